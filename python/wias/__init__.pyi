"""Typed interface of wias (the extension module wias._wias and its exceptions)."""

import os
from typing import IO, Any, Literal, Optional, Protocol, Tuple, Type, TypedDict, Union, final

import numpy as np
import numpy.typing as npt
from types import TracebackType

__version__: str

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

class _PILImage(Protocol):
    """A PIL.Image.Image of mode 1, L, I;16 or RGB."""

    mode: str
    size: Tuple[int, int]
    info: dict
    def tobytes(self) -> bytes: ...

_Page = Union[
    npt.NDArray[np.bool_],
    npt.NDArray[np.uint8],
    npt.NDArray[np.uint16],
    _PILImage,
]
"""bool (H, W) bilevel with True = white; uint8 or uint16 (H, W) gray or (H, W, 3)
RGB; or a PIL image of mode 1, L, I;16 or RGB."""

_Dpi = Union[float, Tuple[float, float], None]
_Target = Union[str, "os.PathLike[str]", IO[bytes]]

_TiffCompression = Literal["auto", "none", "packbits", "lzw", "deflate", "g3", "g4", "jpeg"]
_PdfCompression = Literal["auto", "none", "deflate", "g4", "jpeg"]
_EncodedCompression = Literal["jpeg", "g4", "g3"]

class _PageFacts(TypedDict):
    page: int
    ifd_offset: int
    width: Optional[int]
    height: Optional[int]
    bits_per_sample: Tuple[int, ...]
    samples_per_pixel: int
    photometric: Optional[int]
    compression: str
    compression_code: int
    dpi: Optional[Tuple[float, float]]
    strips: int
    data_bytes: int
    problems: list[str]
    tags: dict[str, Any]

@final
class TiffWriter:
    """A multipage TIFF written page by page, each page committed when
    write_page returns. One thread at a time (BusyError otherwise)."""

    def __new__(
        cls,
        file: _Target,
        compression: _TiffCompression = "auto",
        append: bool = False,
        *,
        jpeg_quality: Optional[int] = None,
        sync: bool = False,
    ) -> "TiffWriter": ...
    def write_page(self, page: _Page, dpi: _Dpi = None) -> None: ...
    def write_encoded_page(
        self,
        data: bytes,
        compression: _EncodedCompression,
        *,
        width: Optional[int] = None,
        height: Optional[int] = None,
        dpi: _Dpi = None,
    ) -> None: ...
    @property
    def pages(self) -> int: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def __enter__(self) -> "TiffWriter": ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]] = None,
        _exc: Optional[BaseException] = None,
        _tb: Optional[TracebackType] = None,
    ) -> bool: ...

@final
class PdfWriter:
    """A multipage PDF written page by page, each page an incremental update
    committed when write_page returns. One thread at a time. pdfa= and ocr= are
    not built yet (issues 22 and 23): giving either raises NotImplementedError."""

    def __new__(
        cls,
        file: _Target,
        compression: _PdfCompression = "auto",
        append: bool = False,
        *,
        jpeg_quality: Optional[int] = None,
        sync: bool = False,
        pdfa: None = None,
        ocr: None = None,
    ) -> "PdfWriter": ...
    def write_page(self, page: _Page, dpi: _Dpi = None) -> None: ...
    def write_encoded_page(
        self,
        data: bytes,
        compression: Literal["jpeg", "g4"],
        *,
        width: Optional[int] = None,
        height: Optional[int] = None,
        dpi: _Dpi = None,
    ) -> None: ...
    @property
    def pages(self) -> int: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def __enter__(self) -> "PdfWriter": ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]] = None,
        _exc: Optional[BaseException] = None,
        _tb: Optional[TracebackType] = None,
    ) -> bool: ...

def inspect(file: _Target) -> list[_PageFacts]:
    """The pages of a TIFF as dicts (FormatError for a non-TIFF or a broken chain)."""

class Error(Exception):
    message: str
    hresult: int
    def __init__(self, message: str, hresult: int = ...) -> None: ...

class InvalidInputError(Error, ValueError, TypeError): ...
class FormatError(Error, ValueError): ...
class LockedError(Error): ...

class StorageError(Error):
    errno: Optional[int]

class BusyError(Error, RuntimeError): ...
class ClosedError(Error, ValueError): ...
