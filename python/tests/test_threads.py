"""A writer is for one thread at a time, and a second thread gets BusyError, not
interleaved pages; a page write releases the GIL, so other threads run meanwhile."""

import io
import sys
import threading
import time

import numpy as np
import pytest
import wias

from helpers import pdf_pages, tiff_pages


class GatedFile(io.BytesIO):
    """A file object whose first write once armed tells the test it is inside
    write_page, then waits for the test to let it go on."""

    def __init__(self):
        super().__init__()
        self.armed = False
        self.inside = threading.Event()
        self.go_on = threading.Event()

    def write(self, b):
        if self.armed and not self.inside.is_set():
            self.inside.set()
            assert self.go_on.wait(60)
        return super().write(b)


@pytest.mark.parametrize("fmt", ["tiff", "pdf"])
def test_a_second_thread_during_a_write_gets_busy_error(fmt):
    sink = GatedFile()
    cls = wias.TiffWriter if fmt == "tiff" else wias.PdfWriter
    gray = np.full((64, 64), 77, np.uint8)
    doc = cls(sink)  # a TIFF's header is written here, before the gate is armed
    sink.armed = True
    errors = []
    writer = threading.Thread(target=lambda: doc.write_page(gray))
    writer.start()
    assert sink.inside.wait(60)  # the writer thread is inside write_page
    for call in (lambda: doc.write_page(gray), lambda: doc.pages, doc.close):
        try:
            call()
        except wias.BusyError as e:
            errors.append(str(e))
    sink.go_on.set()
    writer.join()
    assert len(errors) == 3
    assert "in use by another thread: a writer is for one thread at a time" in errors[0]
    assert doc.pages == 1  # only the first thread's page
    doc.write_page(255 - gray)  # free again
    doc.close()
    got = (tiff_pages if fmt == "tiff" else pdf_pages)(sink.getvalue())
    np.testing.assert_array_equal(got[0], gray)
    np.testing.assert_array_equal(got[1], 255 - gray)


def test_page_writes_release_the_gil(tmp_path):
    """With a switch interval of 100 s the interpreter never takes the GIL from a
    thread that holds it: the ticker thread below can only run while the main
    thread's write_page has released it. Were the GIL held while encoding, the
    ticker would get no tick in before the 200 pages are done (checked: the test
    fails so with the encoding run under the GIL)."""
    gray = (np.arange(1500 * 1500, dtype=np.uint32).reshape(1500, 1500) % 251).astype(np.uint8)
    ticks = []
    start = threading.Event()

    def ticker():
        start.wait()
        while len(ticks) < 3:
            ticks.append(1)
            time.sleep(0)  # hands the GIL back to a waiting writer

    t = threading.Thread(target=ticker)
    t.start()
    old = sys.getswitchinterval()
    sys.setswitchinterval(100)
    try:
        with wias.TiffWriter(tmp_path / "gil.tif", compression="deflate") as doc:
            # A first page, before the ticker may run: its first use of NumPy's C API
            # imports modules, and reading their files releases the GIL too.
            doc.write_page(gray)
            start.set()
            for _ in range(200):
                doc.write_page(gray)
                if len(ticks) >= 3:
                    break
            during = len(ticks)  # counted before the interval is back to normal
    finally:
        sys.setswitchinterval(old)
        start.set()
    t.join(60)
    assert during >= 3
