"""A C-contiguous uint8/uint16 page is encoded where it lies: write_page allocates no
copy of it. tracemalloc sees NumPy's and Python's allocations (the copy an
ascontiguousarray or tobytes would make); the library's own buffers are Rust's and
are not counted, so the peak measures exactly the copies the binding makes."""

import tracemalloc

import numpy as np
import pytest
import wias


def traced_peak(doc, page):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        doc.write_page(page)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("dtype, shape", [(np.uint8, (2000, 2000)), (np.uint16, (1000, 1000, 3))])
def test_contiguous_pages_are_not_copied(tmp_path, dtype, shape):
    page = (np.arange(np.prod(shape), dtype=np.uint32).reshape(shape) % 200).astype(dtype)
    with wias.TiffWriter(tmp_path / "a.tif", compression="none") as doc:
        assert traced_peak(doc, page) < page.nbytes / 100
        # The same page as a strided view: one contiguous copy, which the measure sees.
        view = np.repeat(page, 2, axis=1)[:, ::2]
        assert not view.flags.c_contiguous
        assert traced_peak(doc, view) >= page.nbytes
