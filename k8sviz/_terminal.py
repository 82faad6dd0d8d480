"""Hostile text shown, not obeyed: control characters written as ``\\x1b`` escapes.

Names, labels and annotations of a tampered dump (the API server refuses them, a file does
not) may hold terminal control sequences: ``\\x1b[2J`` clears the screen, with the load
warnings printed before a table; ``\\r`` and ``\\x1b[1A`` overwrite a line already shown, such
as an allowed connection.  The command line writes its messages (standard error) and its
tables on a terminal through :class:`Shown`; files and pipes get the output as it is (JSON
escapes such characters itself, and a CSV reader must get the value).
"""

from __future__ import annotations

import re
from typing import Any, TextIO, cast

__all__ = ["Shown", "shown"]

# C0 but tab and newline, DEL and C1 (the 8-bit CSI \x9b is a control sequence to some terminals).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def shown(text: str) -> str:
    """``text`` with each control character but tab and newline as ``\\xNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class Shown:
    """A text stream that writes :func:`shown` text to ``stream``; everything else is the
    stream's own (``buffer``, ``isatty``, ``fileno``...)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(shown(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)

    @classmethod
    def wrap(cls, stream: TextIO) -> TextIO:
        return cast(TextIO, cls(stream))
