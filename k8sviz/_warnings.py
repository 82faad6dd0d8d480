"""Warnings attributed to the user's line, however deep in k8sviz they are raised."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from types import FrameType

_PACKAGE = str(Path(__file__).resolve().parent) + "/"


def outside_stacklevel() -> int:
    """The ``stacklevel`` for ``warnings.warn`` that names the first caller outside k8sviz.

    A fixed level is right for one call path only: ``load_flows`` called by the user and
    called by ``report`` differ in depth, and with the wrong level a notebook shows a line of
    k8sviz's own code (``return fn(*args, **kwargs)``) as the place of the problem. Call it
    from the function that warns.
    """
    frame = sys._getframe(1)  # the function about to warn: stacklevel 1
    level = 1
    while frame.f_back is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    return level


class ZoneWarning(UserWarning):
    """Declared zones that match no pod of the snapshot analysed: a mistyped selector, or a
    zones file written for another cluster.  Their workloads count as ``unzoned``, so a
    segmentation with them finds nothing to report rather than failing."""


def warning_line(text: str, category: type[Warning] | None = None) -> str:
    """A k8sviz warning as the command line writes it, ``k8sviz: warning:`` and its words, on
    one line (a name from the input may hold a newline), control characters shown as ``\\xNN``
    (see :mod:`k8sviz._terminal`).  With ``category``, as a notebook writes it (after
    :func:`k8sviz.notebook.setup`): its class in place of ``warning`` (``k8sviz: FlowWarning:``),
    the name a filter takes (``warnings.simplefilter("ignore", k8sviz.FlowWarning)``)."""
    from ._terminal import shown

    label = "warning" if category is None else category.__name__
    return f"k8sviz: {label}: {' '.join(shown(text).splitlines())}\n"


def raised_by_k8sviz(category: type[Warning], skip: int = 1) -> bool:
    """Whether the warning being shown is k8sviz's own: one of its classes (``FlowWarning``,
    ``ZoneWarning``), or warned by its code (a ``UserWarning`` such as ``network_graph``'s
    aggregation).  Called while the warning is shown: the first frame above the caller's
    ``skip`` frames that is not the ``warnings`` module's is the one that called
    ``warnings.warn``; its ``stacklevel`` names the user's line, so the file and line shown are
    no clue.  A third-party library's warning raised below a k8sviz call is the library's."""
    module = getattr(category, "__module__", "")
    if module == "k8sviz" or module.startswith("k8sviz."):
        return True
    frame: FrameType | None = sys._getframe(skip + 1)
    machinery = str(Path(warnings.__file__).resolve())
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()) == machinery:
        frame = frame.f_back
    return frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(_PACKAGE)
