"""Bad input gets a clear exception of the wias hierarchy, with the library's message
and HRESULT, and loses nothing: earlier pages stay readable."""

import io

import numpy as np
import pytest
import wias
from PIL import Image

from helpers import pages, pdf_pages, tiff_pages

E_INVALIDARG = 0x80070057


@pytest.mark.parametrize(
    "page, says",
    [
        (np.zeros((4, 4), np.float32), "array of dtype float32: a page is bool (bilevel), uint8 or uint16"),
        (np.zeros((4, 4), np.int16), "array of dtype int16"),
        (np.zeros((4, 4), np.int64), "array of dtype int64"),
        (np.zeros(16, np.uint8), "array of shape (16): a page is (height, width) for bilevel and gray, or (height, width, 3) for RGB"),
        (np.zeros((2, 4, 4, 3), np.uint8), "array of shape (2, 4, 4, 3)"),
        (np.zeros((4, 4, 4), np.uint8), "a colour page has 3 samples a pixel (R, G, B), not 4 (drop alpha: a[..., :3])"),
        (np.zeros((4, 4, 1), np.uint8), "not 1"),
        (np.zeros((4, 4, 3), bool), "bool array of shape (4, 4, 3): a bilevel page is (height, width)"),
        (Image.new("RGBA", (4, 4)), 'PIL image of mode RGBA: a page is mode 1, L, I;16 or RGB (img.convert("RGB"))'),
        (Image.new("P", (4, 4)), "PIL image of mode P"),
        ([[0, 1], [1, 0]], "a page is a NumPy array (bool, uint8 or uint16; (height, width) or (height, width, 3)) or a PIL image (mode 1, L, I;16 or RGB), not list"),
        (b"\x00" * 16, "not bytes"),
    ],
)
def test_wrong_dtype_shape_or_type_is_a_clear_error(tmp_path, page, says):
    path = tmp_path / "doc.tif"
    good = pages()["gray8"]
    with wias.TiffWriter(path) as doc:
        doc.write_page(good)
        with pytest.raises(wias.InvalidInputError) as e:
            doc.write_page(page)
        assert says in str(e.value)
        assert e.value.hresult == E_INVALIDARG
        assert isinstance(e.value, ValueError) and isinstance(e.value, TypeError)
        doc.write_page(255 - good)  # the writer goes on
        assert doc.pages == 2
    got = tiff_pages(path)
    assert len(got) == 2
    np.testing.assert_array_equal(got[1], 255 - good)


def test_library_errors_carry_the_librarys_message_and_hresult(tmp_path):
    with wias.TiffWriter(tmp_path / "a.tif", compression="g4") as doc:
        with pytest.raises(wias.InvalidInputError) as e:
            doc.write_page(np.zeros((4, 4), np.uint8))
    assert str(e.value).startswith("compression g4 cannot hold a gray8 page")
    assert e.value.hresult == E_INVALIDARG
    with pytest.raises(wias.InvalidInputError, match="compression = zstd: must be none, packbits, lzw, deflate, g3, g4, jpeg or auto"):
        wias.TiffWriter(tmp_path / "b.tif", compression="zstd")
    with pytest.raises(wias.InvalidInputError, match="compression lzw cannot be written to PDF"):
        wias.PdfWriter(tmp_path / "c.pdf", compression="lzw")
    with pytest.raises(wias.InvalidInputError, match="dpi = 0"):
        wias.TiffWriter(io.BytesIO()).write_page(np.zeros((2, 2), np.uint8), dpi=0)
    with pytest.raises(wias.InvalidInputError, match=r"dpi = \(1, 2, 3\)"):
        wias.TiffWriter(io.BytesIO()).write_page(np.zeros((2, 2), np.uint8), dpi=(1, 2, 3))


def test_not_a_tiff_or_pdf_is_refused_and_left_untouched(tmp_path):
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"P5 1 1 255\n\x00")
    for cls in (wias.TiffWriter, wias.PdfWriter):
        with pytest.raises(wias.FormatError) as e:
            cls(junk, append=True)
        assert junk.read_bytes() == b"P5 1 1 255\n\x00"
        assert e.value.hresult == 0x8007000D  # HRESULT_FROM_WIN32(ERROR_INVALID_DATA)
    with pytest.raises(wias.FormatError, match="not a TIFF file"):
        wias.inspect(junk)
    with pytest.raises(wias.StorageError) as e:
        wias.TiffWriter(tmp_path / "missing.tif", append=True)
    assert e.value.errno == 2 and "missing.tif" in str(e.value)


def test_a_second_writer_of_the_same_file_is_refused(tmp_path):
    path = tmp_path / "doc.pdf"
    with wias.PdfWriter(path) as doc:
        doc.write_page(pages()["gray8"])
        with pytest.raises(wias.LockedError, match="locked by another writer"):
            wias.PdfWriter(path, append=True)
    with wias.PdfWriter(path, append=True) as doc:  # free again once closed
        assert doc.pages == 1


def test_closed_writer_and_pdf_without_pages(tmp_path):
    doc = wias.TiffWriter(io.BytesIO())
    doc.write_page(pages()["gray8"])
    doc.close()
    doc.close()  # twice is fine
    assert doc.closed and doc.pages == 1
    with pytest.raises(wias.ClosedError, match="the TiffWriter is closed"):
        doc.write_page(pages()["gray8"])
    with pytest.raises(wias.InvalidInputError, match="no page was written: a PDF needs at least one page"):
        with wias.PdfWriter(tmp_path / "empty.pdf"):
            pass


def test_pdfa_and_ocr_are_not_accepted_silently(tmp_path):
    with pytest.raises(NotImplementedError, match="issue 22"):
        wias.PdfWriter(tmp_path / "a.pdf", pdfa="2b")
    with pytest.raises(NotImplementedError, match="issue 23"):
        wias.PdfWriter(tmp_path / "a.pdf", ocr="eng")
    assert not (tmp_path / "a.pdf").exists()


@pytest.mark.parametrize("fmt", ["tiff", "pdf"])
def test_an_exception_mid_document_leaves_earlier_pages_readable(tmp_path, fmt):
    src = pages()
    path = tmp_path / f"doc.{fmt}"
    cls = wias.TiffWriter if fmt == "tiff" else wias.PdfWriter
    with pytest.raises(KeyError):
        with cls(path) as doc:
            doc.write_page(src["gray8"])
            doc.write_page(src["rgb24"])
            raise KeyError("the scanner jammed")
    got = (tiff_pages if fmt == "tiff" else pdf_pages)(path)
    assert len(got) == 2
    np.testing.assert_array_equal(got[0], src["gray8"])
    np.testing.assert_array_equal(got[1], src["rgb24"])


class FailingFile(io.BytesIO):
    """A file object whose writes fail once `budget` bytes have gone in (a full disk
    behind a Python file object)."""

    def __init__(self, budget):
        super().__init__()
        self.budget = budget

    def write(self, b):
        if self.tell() + len(b) > self.budget:
            raise OSError(28, "No space left on device")
        return super().write(b)


@pytest.mark.parametrize("fmt", ["tiff", "pdf"])
def test_a_file_object_that_fails_mid_page_keeps_the_pages_before(fmt):
    src = pages()
    first = io.BytesIO()
    cls = wias.TiffWriter if fmt == "tiff" else wias.PdfWriter
    with cls(first, compression="none") as doc:
        doc.write_page(src["gray8"])
    room = len(first.getvalue()) + 64 * 3  # page 1 and part of page 2 fit
    sink = FailingFile(room)
    doc = cls(sink, compression="none")
    doc.write_page(src["gray8"])
    with pytest.raises(wias.StorageError) as e:
        doc.write_page(src["rgb24"])
    assert "page 2" in str(e.value) and "No space left on device" in str(e.value)
    assert isinstance(e.value.__cause__, OSError) and e.value.__cause__.errno == 28
    assert e.value.hresult == 0x80030070 and e.value.errno == 28  # STG_E_MEDIUMFULL
    got = (tiff_pages if fmt == "tiff" else pdf_pages)(sink.getvalue())
    assert len(got) == 1
    np.testing.assert_array_equal(got[0], src["gray8"])
