#!/usr/bin/env python3
"""JPEG output size at equal PSNR: wias (4:2:0 and 4:4:4, a quality sweep) against
scanimage's JPEG (libjpeg defaults: quality 75, 4:2:0) and libtiff's (`ppm2tiff -c
jpeg:Q`, YCbCr 4:2:0), on one colour page (issue 27.3).

    jpeg_chroma.py WIAS WORKDIR

Pages: SANE's test backend "Color pattern" at 150 dpi (scanimage writes it as PNM and
as JPEG: the same pixels), and a synthetic A4 300 dpi colour scan (bench/gen_pages.py:
photo-like ramp, scanner noise, dark text). PSNR over all samples, decoded by Pillow
(libjpeg; libtiff for TIFF).
"""
import os
import subprocess
import sys

import numpy as np
from PIL import Image

wias, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
here = os.path.dirname(os.path.abspath(__file__))


def psnr(path, ref):
    got = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64)
    se = np.mean((got - ref) ** 2)
    return 10 * np.log10(255.0**2 / se)


def run(*cmd, out=None):
    with open(out, "wb") if out else open(os.devnull, "wb") as f:
        subprocess.run(cmd, check=True, stdout=f, stderr=subprocess.DEVNULL)


def at_psnr(points, target):
    """Size at `target` dB, linear between the sweep's neighbours."""
    points = sorted(points, key=lambda p: p[1])
    for (s0, d0), (s1, d1) in zip(points, points[1:]):
        if d0 <= target <= d1:
            return s0 + (s1 - s0) * (target - d0) / (d1 - d0)
    return None


pages = []
scan = os.path.join(work, "scan.ppm")
args = ["scanimage", "-d", "test", "--mode", "Color", "--resolution", "150",
        "--test-picture", "Color pattern"]
run(*args, "--format=pnm", out=scan)
run(*args, "--format=jpeg", out=os.path.join(work, "scanimage.jpg"))
pages.append(("SANE test 'Color pattern', 150 dpi", scan, os.path.join(work, "scanimage.jpg")))
run(sys.executable, os.path.join(here, "gen_pages.py"), work, "1", "rgb24")
synth = os.path.join(work, "rgb24-00.pnm")
pages.append(("synthetic A4 300 dpi colour scan", synth, None))

for name, ppm, peer_jpeg in pages:
    ref = np.asarray(Image.open(ppm).convert("RGB"), dtype=np.float64)
    raw = os.path.getsize(ppm)
    print(f"\n{name}: {ref.shape[1]}x{ref.shape[0]}, {raw} bytes raw")
    sweep = {"420": [], "444": []}
    print("| writer | quality | chroma | bytes | PSNR dB |")
    print("|---|---|---|---|---|")
    for chroma in ("420", "444"):
        for q in (50, 60, 70, 75, 80, 85, 90, 95, 98):
            out = os.path.join(work, f"w{q}_{chroma}.tif")
            run(wias, "write", "-o", out, "--compression", "jpeg", "--jpeg-quality", str(q),
                "--jpeg-chroma", chroma, ppm)
            size, db = os.path.getsize(out), psnr(out, ref)
            sweep[chroma].append((size, db))
            if q in (75, 90):
                print(f"| wias | {q} | {chroma} | {size} | {db:.2f} |")
    peers = []
    if peer_jpeg:
        peers.append(("scanimage --format=jpeg", 75, peer_jpeg))
    for q in (75, 90):
        out = os.path.join(work, f"lt{q}.tif")
        run("ppm2tiff", "-c", f"jpeg:{q}", "-r", "16", ppm, out)
        peers.append(("libtiff ppm2tiff -c jpeg", q, out))
    for label, q, path in peers:
        size, db = os.path.getsize(path), psnr(path, ref)
        print(f"| {label} | {q} | 420 | {size} | {db:.2f} |")
    print("\nAt the peer's PSNR, wias needs (bytes, and x the peer's size):")
    for label, q, path in peers:
        size, db = os.path.getsize(path), psnr(path, ref)
        cells = []
        for chroma in ("420", "444"):
            s = at_psnr(sweep[chroma], db)
            cells.append(f"{chroma}: " + ("out of range" if s is None else f"{s:.0f} ({s / size:.2f}x)"))
        print(f"- {label} q{q} ({db:.2f} dB, {size} bytes): " + "; ".join(cells))
