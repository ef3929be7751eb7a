"""wias: crash-safe multipage TIFF and PDF from NumPy arrays and Pillow images.

Every page is in the file when ``write_page`` returns, so a killed script loses no
page it was told was written, and documents are appended to without being rewritten.

>>> import io, numpy as np, wias
>>> buf = io.BytesIO()
>>> with wias.TiffWriter(buf) as doc:
...     doc.write_page(np.zeros((4, 4), dtype=np.uint8))
>>> _ = buf.seek(0)
>>> [p["width"] for p in wias.inspect(buf)]
[4]

See :class:`TiffWriter`, :class:`PdfWriter`, :func:`inspect` and the exceptions
under :class:`Error`.
"""

from ._errors import (
    BusyError,
    ClosedError,
    Error,
    FormatError,
    InvalidInputError,
    LockedError,
    StorageError,
)
from ._wias import PdfWriter, TiffWriter, __version__, inspect

__all__ = [
    "TiffWriter",
    "PdfWriter",
    "inspect",
    "Error",
    "InvalidInputError",
    "FormatError",
    "LockedError",
    "StorageError",
    "BusyError",
    "ClosedError",
    "__version__",
]
