#!/usr/bin/env python3
"""PSNR (dB) of page N of a TIFF against a PNM page.

    psnr.py FILE.tif PAGE_INDEX PAGE.pnm

The page is decoded by tifffile when it can (JPEG strips need the imagecodecs package,
which is often not installed), otherwise by Pillow (its TIFF reader is libtiff, which
decodes JPEG strips with libjpeg: YCbCr pages come back as RGB, as the source is).
"""
import sys

import numpy as np
import tifffile
from PIL import Image


def decode(tif, idx):
    try:
        with tifffile.TiffFile(tif) as t:
            return t.pages[idx].asarray()
    except Exception:  # no codec for these strips in tifffile: let libtiff decode them
        with Image.open(tif) as im:
            im.seek(idx)
            if im.mode not in ("L", "RGB"):
                im = im.convert("RGB")
            return np.asarray(im)


tif, idx, pnm = sys.argv[1], int(sys.argv[2]), sys.argv[3]
got = decode(tif, idx).astype(np.float64)
want = np.asarray(Image.open(pnm)).astype(np.float64)
se = np.mean((got.reshape(want.shape) - want) ** 2)
print("inf" if se == 0 else "%.2f" % (10 * np.log10(255.0 ** 2 / se)))
