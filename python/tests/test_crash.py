"""A Python process killed with SIGKILL while writing loses no page it was told was
written: the child prints after each write_page returns, the parent kills it once it
has read that line (a state, not a sleep), then reads the file with independent
readers and adds a page to it."""

import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import wias

from helpers import pdf_pages, tiff_pages

CHILD = r"""
import sys, numpy as np, wias
path, fmt = sys.argv[1], sys.argv[2]
cls = wias.TiffWriter if fmt == "tiff" else wias.PdfWriter
doc = cls(path, compression="deflate")
n = 0
while True:
    # Page n: a 1200 x 1000 gray ramp shifted by n, large enough that the kill can
    # land inside a page write.
    page = ((np.arange(1200 * 1000, dtype=np.uint32).reshape(1200, 1000) + n * 7) % 251).astype(np.uint8)
    doc.write_page(page)
    n += 1
    print(n, flush=True)
"""


def page(n):
    return ((np.arange(1200 * 1000, dtype=np.uint32).reshape(1200, 1000) + n * 7) % 251).astype(np.uint8)


@pytest.mark.parametrize("fmt", ["tiff", "pdf"])
def test_kill_9_loses_no_acknowledged_page(tmp_path, fmt):
    path = tmp_path / f"doc.{fmt}"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), fmt],
        stdout=subprocess.PIPE,
        text=True,
    )
    acknowledged = 0
    try:
        for line in child.stdout:
            acknowledged = int(line)
            if acknowledged == 3:
                break
        child.send_signal(signal.SIGKILL)  # while it writes page 4 (or 5)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert acknowledged == 3
    got = (tiff_pages if fmt == "tiff" else pdf_pages)(path)
    assert len(got) >= 3  # page 4 too if its commit landed before the kill
    for n, have in enumerate(got):
        np.testing.assert_array_equal(have, page(n), err_msg=f"page {n + 1}")
    # The document takes more pages after the crash.
    with (wias.TiffWriter if fmt == "tiff" else wias.PdfWriter)(path, append=True) as doc:
        assert doc.pages == len(got)
        doc.write_page(page(99))
    again = (tiff_pages if fmt == "tiff" else pdf_pages)(path)
    assert len(again) == len(got) + 1
    np.testing.assert_array_equal(again[-1], page(99))
