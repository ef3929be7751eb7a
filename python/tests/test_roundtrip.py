"""Pages written through the binding, read back pixel for pixel by readers that share
no code with wias: tifffile and Pillow for TIFF, pikepdf (qpdf) for PDF."""

import io

import numpy as np
import pytest
import wias
from PIL import Image

from helpers import pages, pdf_page_sizes, pdf_pages, pil_pages, tiff_pages

KINDS = list(pages())


# tifffile decodes LZW and CCITT only with imagecodecs, which the tests do without:
# those codecs are read back by Pillow (libtiff), every codec by Pillow.
@pytest.mark.parametrize(
    "compression, reader",
    [(c, "tifffile") for c in ["none", "packbits", "deflate"]]
    + [(c, "pillow") for c in ["auto", "none", "packbits", "lzw", "deflate"]],
)
def test_tiff_every_kind_round_trips(tmp_path, compression, reader):
    src = pages()
    if reader == "pillow":
        del src["rgb48"]  # Pillow has no 16-bit RGB
    path = tmp_path / "doc.tif"
    with wias.TiffWriter(path, compression=compression) as doc:
        for a in src.values():
            doc.write_page(a)
        assert doc.pages == len(src)
    got = (tiff_pages if reader == "tifffile" else pil_pages)(path)
    assert len(got) == len(src)
    for (kind, want), have in zip(src.items(), got):
        assert have.shape == want.shape, kind
        np.testing.assert_array_equal(have.astype(want.dtype), want, err_msg=kind)


def test_tiff_g4_bilevel_through_tifffile_and_pillow(tmp_path):
    bits = pages()["bilevel"]
    path = tmp_path / "g4.tif"
    with wias.TiffWriter(str(path), compression="g4") as doc:
        doc.write_page(bits, dpi=200)
        doc.write_page(~bits)
    for reader in (pil_pages,):
        got = reader(path)
        np.testing.assert_array_equal(got[0], bits)
        np.testing.assert_array_equal(got[1], ~bits)
    with Image.open(path) as im:
        assert im.info["compression"] == "group4"
        assert tuple(round(v) for v in im.info["dpi"]) == (200, 200)


def test_pil_images_of_each_mode_through_pillow(tmp_path):
    src = pages()
    images = [
        Image.fromarray(src["bilevel"]).convert("1"),
        Image.fromarray(src["gray8"], "L"),
        Image.fromarray(src["gray16"]),
        Image.fromarray(src["rgb24"], "RGB"),
    ]
    assert [im.mode for im in images] == ["1", "L", "I;16", "RGB"]
    images[1].info["dpi"] = (150, 120)
    path = tmp_path / "pil.tif"
    with wias.TiffWriter(path) as doc:
        for im in images:
            doc.write_page(im)
    got = pil_pages(path)
    for im, have in zip(images, got):
        np.testing.assert_array_equal(have, np.asarray(im), err_msg=im.mode)
    with Image.open(path) as im:
        im.seek(1)
        assert tuple(round(v) for v in im.info["dpi"]) == (150, 120)  # the image's own dpi


def test_arrays_in_other_layouts_are_written_as_they_read(tmp_path):
    """Slices, Fortran order and big-endian samples are copied once, not refused."""
    base = pages()
    cases = [
        base["gray8"][::2, 1::3],
        np.asfortranarray(base["rgb24"]),
        base["gray16"].astype(">u2"),
        base["bilevel"][:, ::-1],
    ]
    buf = io.BytesIO()
    with wias.TiffWriter(buf, compression="deflate") as doc:
        for a in cases:
            doc.write_page(a)
    for want, have in zip(cases, tiff_pages(buf.getvalue())):
        np.testing.assert_array_equal(have, want)


@pytest.mark.parametrize("compression", ["auto", "none", "deflate"])
def test_pdf_every_kind_through_pikepdf(tmp_path, compression):
    src = pages()
    path = tmp_path / "doc.pdf"
    with wias.PdfWriter(path, compression=compression) as doc:
        for a in src.values():
            doc.write_page(a, dpi=(72, 144))
        assert doc.pages == len(src)
    got = pdf_pages(path)
    assert len(got) == len(src)
    for (kind, want), have in zip(src.items(), got):
        assert have.shape == want.shape, kind
        np.testing.assert_array_equal(have, want, err_msg=kind)
    for (kind, want), size in zip(src.items(), pdf_page_sizes(path)):
        h, w = want.shape[:2]
        assert size == pytest.approx((w, h / 2)), kind  # pixels / dpi * 72


def test_pdf_pil_images_to_a_file_object(tmp_path):
    src = pages()
    images = [Image.fromarray(src["bilevel"]).convert("1"), Image.fromarray(src["rgb24"], "RGB")]
    buf = io.BytesIO()
    with wias.PdfWriter(buf) as doc:
        for im in images:
            doc.write_page(im)
    got = pdf_pages(buf.getvalue())
    for im, have in zip(images, got):
        np.testing.assert_array_equal(have, np.asarray(im))


def test_jpeg_pages_byte_for_byte_in_pdf_and_decoded_alike_in_tiff(tmp_path):
    rgb = pages()["rgb24"]
    jpeg = io.BytesIO()
    Image.fromarray(rgb).save(jpeg, "JPEG", quality=80, dpi=(150, 150))
    jpeg = jpeg.getvalue()
    pdf = tmp_path / "j.pdf"
    with wias.PdfWriter(pdf) as doc:
        doc.write_encoded_page(jpeg, "jpeg")
    import pikepdf

    with pikepdf.open(pdf) as p:
        (obj,) = p.pages[0].get_images().values()
        assert obj.read_raw_bytes() == jpeg
        assert (int(obj.Width), int(obj.Height)) == (27, 19)
    assert pdf_page_sizes(pdf)[0] == pytest.approx((27 / 150 * 72, 19 / 150 * 72))
    tif = tmp_path / "j.tif"
    with wias.TiffWriter(tif) as doc:
        doc.write_encoded_page(jpeg, "jpeg")
    with Image.open(io.BytesIO(jpeg)) as j:
        want = np.asarray(j)
    np.testing.assert_array_equal(pil_pages(tif)[0], want)


def test_g4_data_from_pillow_as_encoded_pages(tmp_path):
    import tifffile

    bits = pages()["bilevel"]
    src = tmp_path / "pillow-g4.tif"
    # CCITT data code white runs as 0 bits. Pillow stores mode 1 as BlackIsZero, so its
    # G4 data for the image ~bits are the data of bits in the fax convention (0 = white)
    # that encoded pages are in.
    Image.fromarray(~bits).convert("1").save(src, compression="group4", tiffinfo={278: 1 << 20})
    with tifffile.TiffFile(src) as t:
        page = t.pages[0]
        assert page.photometric == tifffile.PHOTOMETRIC.MINISBLACK
        assert len(page.dataoffsets) == 1
        with open(src, "rb") as f:
            f.seek(page.dataoffsets[0])
            g4 = f.read(page.databytecounts[0])
    h, w = bits.shape
    tif, pdf = tmp_path / "g4.tif", tmp_path / "g4.pdf"
    with wias.TiffWriter(tif) as doc:
        doc.write_encoded_page(g4, "g4", width=w, height=h, dpi=200)
    with wias.PdfWriter(pdf) as doc:
        doc.write_encoded_page(g4, "g4", width=w, height=h)
    np.testing.assert_array_equal(pil_pages(tif)[0], bits)
    np.testing.assert_array_equal(pdf_pages(pdf)[0], bits)


def test_append_to_another_producers_tiff_and_pdf(tmp_path):
    import img2pdf

    gray = pages()["gray8"]
    tif = tmp_path / "pillow.tif"
    Image.fromarray(gray).save(tif, save_all=True, append_images=[Image.fromarray(255 - gray)])
    with wias.TiffWriter(tif, append=True) as doc:
        assert doc.pages == 2
        doc.write_page(gray[::-1].copy())
        assert doc.pages == 3
    got = tiff_pages(tif)
    for want, have in zip([gray, 255 - gray, gray[::-1]], got):
        np.testing.assert_array_equal(have, want)

    png = io.BytesIO()
    Image.fromarray(gray).save(png, "PNG")
    pdf = tmp_path / "img2pdf.pdf"
    pdf.write_bytes(img2pdf.convert(png.getvalue()))
    with wias.PdfWriter(pdf, append=True) as doc:
        assert doc.pages == 1
        doc.write_page(255 - gray)
    got = pdf_pages(pdf)
    assert len(got) == 2
    np.testing.assert_array_equal(got[1], 255 - gray)


def test_tiff_into_a_file_object_after_other_bytes_and_into_a_pipe(tmp_path):
    """Offsets count from where the document starts; a pipe gets a streamed TIFF."""
    import os
    import threading

    gray = pages()["gray8"]
    buf = io.BytesIO()
    buf.write(b"preamble")
    with wias.TiffWriter(buf) as doc:
        doc.write_page(gray)
    np.testing.assert_array_equal(tiff_pages(buf.getvalue()[8:])[0], gray)

    r, w = os.pipe()
    got = []
    reader = threading.Thread(target=lambda: got.append(os.fdopen(r, "rb").read()))
    reader.start()
    with os.fdopen(w, "wb") as pipe:
        assert not pipe.seekable()
        with wias.TiffWriter(pipe, compression="deflate") as doc:
            doc.write_page(gray)
            doc.write_page(255 - gray)
    reader.join()
    pages_ = tiff_pages(got[0])
    np.testing.assert_array_equal(pages_[0], gray)
    np.testing.assert_array_equal(pages_[1], 255 - gray)
