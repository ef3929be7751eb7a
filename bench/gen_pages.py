#!/usr/bin/env python3
"""Writes synthetic A4 300 dpi scan pages (2481 x 3508) as PNM, as CODECS.md describes:
text-like glyphs for bilevel (P4), a photo-like ramp with +-3 scanner noise and dark
text for gray (P5) and colour (P6).

    gen_pages.py OUTDIR [PAGES] [TYPES]     TYPES: comma list of bilevel,gray8,rgb24
"""
import os
import sys

import numpy as np

W, H = 2481, 3508


def glyph_mask(rng):
    """True where a text page is black: lines of 5x7 glyphs scaled 4x, with margins."""
    bank = rng.random((96, 7, 5)) < 0.45
    bank = bank.repeat(4, axis=1).repeat(4, axis=2)  # 28 x 20 glyphs
    mask = np.zeros((H, W), dtype=bool)
    cell_w, line_h = 24, 50
    cols = (W - 300) // cell_w
    for top in range(200, H - 250, line_h):
        idx = rng.integers(0, 96, cols)
        spaces = rng.random(cols) < 0.17
        line = bank[idx]  # cols x 28 x 20
        line[spaces] = False
        strip = np.zeros((28, cols * cell_w), dtype=bool)
        for k in range(cols):
            strip[:, k * cell_w:k * cell_w + 20] = line[k]
        mask[top:top + 28, 150:150 + cols * cell_w] = strip
    return mask


def photo(rng, channels):
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    out = []
    for c in range(channels):
        base = 128 + 80 * np.sin(x / (300 + 70 * c)) * np.cos(y / (410 - 50 * c)) + 30 * (x / W)
        out.append(base)
    img = np.stack(out, axis=-1)
    img += rng.integers(-3, 4, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def main():
    outdir = sys.argv[1]
    pages = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    types = (sys.argv[3] if len(sys.argv) > 3 else "bilevel,gray8,rgb24").split(",")
    os.makedirs(outdir, exist_ok=True)
    for t in types:
        for n in range(pages):
            rng = np.random.default_rng(1000 * n + len(t))
            path = os.path.join(outdir, f"{t}-{n:02d}.pnm")
            if os.path.exists(path):
                continue
            text = glyph_mask(rng)
            with open(path, "wb") as f:
                if t == "bilevel":
                    f.write(b"P4\n%d %d\n" % (W, H))
                    f.write(np.packbits(text, axis=1).tobytes())  # PBM: 1 = black
                else:
                    ch = 1 if t == "gray8" else 3
                    img = photo(rng, ch)
                    img[text] = 20
                    f.write(b"P%d\n%d %d\n255\n" % (5 if ch == 1 else 6, W, H))
                    f.write(img.tobytes())
    print(outdir)


if __name__ == "__main__":
    main()
