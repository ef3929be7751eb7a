#!/usr/bin/env python3
"""PSNR (dB) of page N of a TIFF against a PNM page, decoded by tifffile + imagecodecs.

    psnr.py FILE.tif PAGE_INDEX PAGE.pnm
"""
import sys

import numpy as np
import tifffile
from PIL import Image

tif, idx, pnm = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with tifffile.TiffFile(tif) as t:
    got = t.pages[idx].asarray().astype(np.float64)
want = np.asarray(Image.open(pnm)).astype(np.float64)
se = np.mean((got.reshape(want.shape) - want) ** 2)
print("inf" if se == 0 else "%.2f" % (10 * np.log10(255.0 ** 2 / se)))
