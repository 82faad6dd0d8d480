"""A failed analysis as the report's limitations say it: what happened, in words.

A limitation read "scope: KeyError: 'pci'": the name of a Python exception, which tells an
auditor nothing about what is unknown and why.
"""

from __future__ import annotations

from .._text import as_written
from ..errors import K8svizError

__all__ = ["failure_text"]

#: The last words of a failure k8sviz did not foresee: the reader cannot fix it, its authors can.
_REPORT_IT = "an error in k8sviz, not in the inputs: please report it with the command that made this report"


def failure_text(e: BaseException) -> str:
    """What ``e`` says happened, for a reader who does not read Python: k8sviz's own errors
    (written for the user) as they are, Python's described in words with their message after."""
    if isinstance(e, K8svizError):
        return str(e)
    message = str(e)
    if isinstance(e, OSError):
        what = e.strerror or message
        where = f" ({e.filename})" if e.filename else ""
        if isinstance(e, FileNotFoundError):
            return f"a file it needs does not exist{where}"
        if isinstance(e, PermissionError):
            return f"a file it needs could not be read: permission denied{where}"
        return f"a file could not be read or written: {what}{where}"
    if isinstance(e, MemoryError):
        return "the machine ran out of memory"
    if isinstance(e, RecursionError):
        return "the input nests too deeply to be evaluated"
    if isinstance(e, UnicodeError):
        return f"a text is not in the expected character encoding ({message})"
    if isinstance(e, KeyError):
        key = as_written(e.args[0]) if e.args else "?"
        return f"an entry it looks up is missing ({key}); {_REPORT_IT}"
    if isinstance(e, ArithmeticError):
        return f"a number is out of range ({message}); {_REPORT_IT}"
    if isinstance(e, ValueError):
        return f"a value it cannot use ({message}); {_REPORT_IT}"
    if isinstance(e, TypeError | AttributeError):
        return f"a value of the wrong kind ({message}); {_REPORT_IT}"
    said = f" ({message})" if message else ""
    return f"an unexpected failure{said}; {_REPORT_IT}"
