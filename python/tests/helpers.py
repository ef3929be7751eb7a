"""Pages to write and independent readers to read them back with (tifffile, Pillow,
pikepdf): nothing here uses wias."""

import io

import numpy as np

RNG_SEED = 25


def pages():
    """One page of each kind the binding takes, as (name, array, what a reader gives)."""
    rng = np.random.default_rng(RNG_SEED)
    bits = rng.random((37, 53)) < 0.5  # width not a multiple of 8
    return {
        "bilevel": bits,
        "gray8": rng.integers(0, 256, (41, 29), dtype=np.uint8),
        "gray16": rng.integers(0, 65536, (23, 31), dtype=np.uint16),
        "rgb24": rng.integers(0, 256, (19, 27, 3), dtype=np.uint8),
        "rgb48": rng.integers(0, 65536, (17, 13, 3), dtype=np.uint16),
    }


def tiff_pages(src):
    """Every page of a TIFF (path or bytes) as tifffile decodes it, bilevel as bool
    with True = white (tifffile gives the stored samples: a WhiteIsZero page is
    turned round here)."""
    import tifffile

    if isinstance(src, (bytes, bytearray)):
        src = io.BytesIO(src)
    out = []
    with tifffile.TiffFile(src) as t:
        for p in t.pages:
            a = p.asarray()
            if p.photometric == tifffile.PHOTOMETRIC.MINISWHITE:
                a = ~a if a.dtype == bool else np.iinfo(a.dtype).max - a
            out.append(a)
    return out


def pil_pages(src):
    """Every page of a TIFF as Pillow (libtiff) decodes it (NumPy arrays; mode 1 as
    bool, True = white). Pillow has no 16-bit RGB."""
    from PIL import Image, ImageSequence

    if isinstance(src, (bytes, bytearray)):
        src = io.BytesIO(src)
    with Image.open(src) as im:
        return [np.asarray(frame.copy()) for frame in ImageSequence.Iterator(im)]


def pdf_pages(src):
    """Every page's image of a PDF as pikepdf (qpdf) decodes it, in page order:
    bilevel as bool (True = white), 16-bit samples as uint16."""
    import pikepdf

    if isinstance(src, (bytes, bytearray)):
        src = io.BytesIO(src)
    out = []
    with pikepdf.open(src) as pdf:
        for page in pdf.pages:
            imgs = page.get_images() if hasattr(page, "get_images") else page.images
            (obj,) = imgs.values()
            out.append(pdf_image(obj))
    return out


def pdf_image(obj):
    import pikepdf

    w, h = int(obj.Width), int(obj.Height)
    bpc = int(obj.BitsPerComponent)
    cs = str(obj.ColorSpace)
    comps = 3 if cs == "/DeviceRGB" else 1
    filt = obj.get("/Filter")
    filters = [str(f) for f in filt] if isinstance(filt, pikepdf.Array) else [str(filt)]
    if "/CCITTFaxDecode" in filters or "/DCTDecode" in filters:
        img = pikepdf.PdfImage(obj).as_pil_image()
        a = np.asarray(img)
        return a if img.mode != "1" else a.astype(bool)
    raw = obj.read_bytes()  # qpdf undoes Flate and the PNG predictor
    if bpc == 1:
        bits = np.unpackbits(np.frombuffer(raw, np.uint8).reshape(h, -1), axis=1)[:, :w]
        decode = obj.get("/Decode")
        white = bits == (0 if decode is not None and int(decode[0]) == 1 else 1)
        return white
    dtype = ">u2" if bpc == 16 else np.uint8
    a = np.frombuffer(raw, dtype).reshape((h, w, comps) if comps == 3 else (h, w))
    return a.astype(np.uint16) if bpc == 16 else a


def pdf_page_sizes(src):
    """Each page's MediaBox width and height in points."""
    import pikepdf

    if isinstance(src, (bytes, bytearray)):
        src = io.BytesIO(src)
    with pikepdf.open(src) as pdf:
        return [tuple(float(v) for v in p.MediaBox[2:]) for p in pdf.pages]
