"""Warnings attributed to the user's line, however deep in k8sviz they are raised."""

from __future__ import annotations

import sys
from pathlib import Path

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
