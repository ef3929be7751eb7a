"""The exceptions wias raises: one hierarchy under :class:`wias.Error`.

Every exception carries the library's message and ``hresult``, the HRESULT (as an
unsigned 32-bit int) a WIA driver would return for the same failure, e.g. ``0x80070057``
(``E_INVALIDARG``) for a bad page or ``0x80030070`` (``STG_E_MEDIUMFULL``) for a full
disk. When a Python file object the document was written to raised, that exception is
the ``__cause__``.
"""

E_FAIL = 0x80004005


class Error(Exception):
    """Base class of every wias exception.

    >>> import wias
    >>> e = wias.InvalidInputError("dpi = 0: give a positive number", 0x80070057)
    >>> isinstance(e, wias.Error), isinstance(e, ValueError), hex(e.hresult)
    (True, True, '0x80070057')
    """

    def __init__(self, message: str, hresult: int = E_FAIL) -> None:
        super().__init__(message)
        self.message = message
        self.hresult = hresult


class InvalidInputError(Error, ValueError, TypeError):
    """A page, argument or option that cannot be written: a wrong dtype or shape, a
    codec that cannot hold the page, a PDF closed without a page. Also a ValueError and
    a TypeError, so either ``except`` catches it."""


class FormatError(Error, ValueError):
    """A file that is not a TIFF (or PDF, for appending), or a damaged one; it is
    left untouched."""


class LockedError(Error):
    """Another writer (this process or another) holds the file."""


class StorageError(Error):
    """Reading or writing the file or stream failed: a full disk, no permission, a
    file object that raised. ``errno`` is the OS error number when there is one."""

    errno = None


class BusyError(Error, RuntimeError):
    """A second thread called a writer while a call on it was running: a writer is
    for one thread at a time."""


class ClosedError(Error, ValueError):
    """The writer was closed."""


# Shown as wias.X in tracebacks and reprs, where users import them from.
for _cls in (Error, InvalidInputError, FormatError, LockedError, StorageError, BusyError, ClosedError):
    _cls.__module__ = "wias"
del _cls
