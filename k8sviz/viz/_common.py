"""Shared helpers for the figures: escaping, palettes, column lookup and a small template."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from .._text import as_given
from ..analysis import _ports

__all__ = [
    "SEVERITY_COLORS",
    "SEVERITY_ORDER",
    "VERDICT_COLORS",
    "esc",
    "find_column",
    "fmt_labels",
    "fmt_list",
    "zone_colors",
]

#: Qualitative palette (colour-blind friendly, Okabe-Ito plus a few extra shades).
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#332288",
    "#88CCEE",
    "#44AA99",
    "#117733",
    "#999933",
    "#DDCC77",
    "#AA4499",
)
NO_ZONE = "(no zone)"
NO_ZONE_COLOR = "#9e9e9e"

VERDICT_COLORS: dict[str, str] = {"allowed": "#2e7d32", "denied": "#c62828", "unknown": "#9e9e9e"}
SEVERITY_ORDER: tuple[str, ...] = ("critical", "high", "medium", "low", "info")
SEVERITY_COLORS: dict[str, str] = {
    "critical": "#7f0000",
    "high": "#c62828",
    "medium": "#ef6c00",
    "low": "#f9a825",
    "info": "#607d8b",
}

LAYOUT_DEFAULTS: dict[str, Any] = {
    "template": "plotly_white",
    "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
    "margin": {"l": 40, "r": 20, "t": 50, "b": 40},
    "hoverlabel": {"align": "left"},
}


def esc(value: Any) -> str:
    """Escape a cluster-derived string for plotly text (plotly.js renders a subset of HTML).

    Plotly turns entities back into characters when it draws, so an escaped label shows as
    the literal text and never becomes a tag or a link.  A double quote is written ``&#34;``:
    plotly.js reads numeric entities and only a few named ones (``&lt;``, ``&gt;``, ``&amp;``,
    not ``&quot;``), and a zone or label with a quote in it read ``&quot;`` in the figure.
    """
    if value is None:
        return ""
    return html.escape(str(value), quote=True).replace("&quot;", "&#34;")


def fmt_list(values: Any, limit: int = 8, sep: str = ", ") -> str:
    """Escaped, truncated rendering of a list (or scalar) for hover text."""
    if values is None:
        return ""
    if isinstance(values, str | int | float):
        return esc(values)
    items = [str(v) for v in values]
    shown = sep.join(esc(v) for v in items[:limit])
    if len(items) > limit:
        shown += f"{sep}... {len(items) - limit} more"
    return shown


def fmt_labels(labels: Mapping[str, Any] | None, limit: int = 10) -> str:
    if not labels:
        return "(none)"
    items = sorted(labels.items())
    out = "<br>".join(f"&nbsp;&nbsp;{esc(k)}={esc(v)}" for k, v in items[:limit])
    if len(items) > limit:
        out += f"<br>&nbsp;&nbsp;... {len(items) - limit} more"
    return out


def zone_colors(zones: Iterable[Any]) -> dict[str, str]:
    """Stable colour per zone name (sorted order, so the same zones always get the same colours)."""
    names = sorted({str(z) for z in zones if z not in (None, "", NO_ZONE)})
    out = {z: PALETTE[i % len(PALETTE)] for i, z in enumerate(names)}
    out[NO_ZONE] = NO_ZONE_COLOR
    return out


def check_cap(value: Any, name: str, what: str, least: int) -> int | None:
    """``value`` as an ``int`` (None as None) if it is None or a whole number (a numpy integer
    too: see :func:`~k8sviz._checks.is_count`) of at least ``least`` (a figure's cap on what it
    draws), else an :class:`~k8sviz.errors.InputError`."""
    from .._checks import is_count

    if value is None:
        return None
    if is_count(value) and value >= least:
        return int(value)
    from ..errors import InputError

    raise InputError(f"{name} must be a count of {what} ({least} or more) or None, not {as_given(value)}")


def require_frame(value: Any, where: str, name: str, source: str, columns: tuple[str, ...] = ()) -> None:
    """A TableError (an InputError) unless ``value`` is None or a DataFrame (``source`` says
    which: the figures take the tables of the analyses, and a Snapshot or a Reachability had no
    ``len``) with rows
    holding ``columns``: the table of another analysis was a KeyError from pandas, or drawn as
    "nothing to show"."""
    import pandas as pd

    from ..errors import TableError

    if value is None:
        return
    if not isinstance(value, pd.DataFrame):
        raise TableError(f"{where}: {name} must be a DataFrame from {source}, got {type(value).__name__}")
    missing = [c for c in columns if c not in value.columns]
    if missing and len(value):
        has = ", ".join(map(str, value.columns[:12])) + (" ..." if len(value.columns) > 12 else "")
        raise TableError(f"{where}: {name} must be a DataFrame from {source}, got one without the "
                         f"column{'s' if len(missing) > 1 else ''} {' and '.join(missing)} (it has {has})")


def find_column(columns: Sequence[str], *candidates: str, required: bool = True) -> str | None:
    """First of ``candidates`` present in ``columns``."""
    for c in candidates:
        if c in columns:
            return c
    if required:
        from ..errors import InputError

        msg = f"expected one of the columns {', '.join(candidates)}; got {', '.join(map(str, columns))}"
        raise InputError(msg)
    return None


def new_figure(title: str | None = None, **layout: Any) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(**LAYOUT_DEFAULTS)
    if title:
        fig.update_layout(title={"text": esc(title), "x": 0.01})
    if layout:
        fig.update_layout(**layout)
    return fig


def empty_figure(title: str, message: str) -> go.Figure:
    """A figure that says there is nothing to show (so reports keep their structure)."""
    fig = new_figure(title, height=220)
    fig.add_annotation(text=esc(message), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


#: Port texts that mean every port of a protocol (``network._port_labels`` writes an edge with
#: no port list as ``all ports``): each absorbs the ports and ranges beside it.
ALL_PORTS = ("all ports", "all", "any", "*")


def merged_ports(ports: Iterable[str]) -> set[str]:
    """The union of port texts (``"80"``, ``"8000-8080"``) as the fewest ranges, overlapping
    and adjacent ones merged: ``{"1-65535", "53"}`` -> ``{"1-65535"}``.  A text that means
    every port (:data:`ALL_PORTS`) absorbs the rest, named ports too: ``{"all ports", "53",
    "8000-8080"}`` -> ``{"all ports"}``.  Any other text that is no port or range (a port
    name) is kept as it is."""
    ranges: list[tuple[int, int]] = []
    other: set[str] = set()
    every: list[str] = []
    for p in ports:
        if p.strip().lower() in ALL_PORTS:
            every.append(p)
            continue
        try:
            # parse_one reads "all" as every port: only texts of digits are ranges here
            if not p[:1].isdigit():
                raise ValueError(p)
            ranges.append(_ports.parse_one(p))
        except ValueError:
            other.add(p)
    if every:
        # "all ports" when it is among them, as the figures write it; else the first word, sorted
        return {"all ports" if "all ports" in every else sorted(every)[0]}
    return set(_ports.fmt(_ports.normalize(ranges))) | other


def merged_labels(labels: Iterable[str]) -> list[str]:
    """``PROTO/port`` labels with each protocol's ports merged as :func:`merged_ports` merges
    them (``TCP/1-65535``, ``TCP/53`` -> ``TCP/1-65535``); in their first protocol's order of
    appearance, a label with no ``/`` kept as it is."""
    per: dict[str, set[str]] = {}
    other: list[str] = []
    for label in labels:
        proto, sep, port = str(label).rpartition("/")
        if sep:
            per.setdefault(proto, set()).add(port)
        elif label not in other:
            other.append(label)
    return [f"{proto}/{p}" for proto, ports in per.items() for p in merged_ports(ports)] + other


#: What a character takes, in ems, in the widest of the faces the figures' font list falls to
#: (DejaVu Sans, a Linux browser's sans-serif; measured in Chromium: "recommendationservice"
#: 109 px at 9 px).  Segoe UI, Roboto and San Francisco draw narrower: an estimate by these
#: keeps texts apart in those too.  A character not listed takes :data:`_EM_OTHER`.
_EMS: dict[str, float] = {
    **dict.fromkeys("ijl'|", 0.28), **dict.fromkeys(" .,:;!", 0.32), **dict.fromkeys("-()/[]t", 0.39),
    **dict.fromkeys("fr", 0.41), **dict.fromkeys("sz", 0.53), **dict.fromkeys("c", 0.55),
    **dict.fromkeys("kvxy", 0.59), **dict.fromkeys("aeo", 0.62), **dict.fromkeys("bdghnpqu0123456789_", 0.64),
    **dict.fromkeys("w", 0.82), **dict.fromkeys("mMW", 0.98), "…": 1.0,
}
_EM_OTHER = 0.7  # capitals and the rest: most are narrower
ELLIPSIS = "…"


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """The pixels ``text`` (as written, not escaped) takes at font ``size`` px, at most about:
    Plotly neither wraps nor cuts a text, and a figure drawn where no script runs (JupyterLab)
    can only write what it estimates fits."""
    ems = sum(_EMS.get(c, _EM_OTHER) for c in text)
    return ems * size * (1.12 if bold else 1.0)


def shortened(text: str, keep: int) -> str:
    """``text`` cut to ``keep`` characters and an ellipsis in their middle (a workload's name
    is told apart by its start and its end: ``checkout…vice``, ``worker-…-12``); ``text``
    itself if it has no more, "" for ``keep`` under 3 (an ellipsis and a letter name
    nothing)."""
    if len(text) <= keep:
        return text
    if keep < 3:
        return ""
    head = (keep + 1) // 2
    return text[:head] + ELLIPSIS + text[len(text) - (keep - head):]


def fit_text(text: str, room: float, size: float, *, bold: bool = False) -> str:
    """``text`` whole if it fits ``room`` pixels at font ``size``, else :func:`shortened` to
    the most characters that fit (possibly "")."""
    if text_width(text, size, bold=bold) <= room:
        return text
    # the most characters that fit, halving (a name may be a DNS name's 253 characters)
    low, high = 2, len(text) - 1  # "" fits; the whole does not
    while low < high:
        mid = (low + high + 1) // 2
        if text_width(shortened(text, mid), size, bold=bold) <= room:
            low = mid
        else:
            high = mid - 1
    return shortened(text, low)


#: Plotly's title font (the template's, 1.4 times the figure's 12 px), and the width a title
#: has in the narrowest figure the report and a notebook draw (392 px: the report's in a 480 px
#: window, its page's padding aside; less the title's start at 1 % and some white): a title is
#: written in lines no wider.
TITLE_FONT = 17.0
TITLE_ROOM = 370.0


def wrapped(text: str, room: float = TITLE_ROOM, size: float = TITLE_FONT, *, whole: str = "") -> list[str]:
    """``text`` (as written, not escaped) in lines of whole words, each at most ``room`` pixels
    at font ``size`` (a word wider than that alone on its line), and ``whole`` after it, kept
    on one line as one word: Plotly writes a title on one line however long, and at 480 px the
    segmentation's and the matrix's ran past the figure's right edge.  Escape each line, then
    join them with ``<br>``."""
    lines: list[str] = []
    for word in text.split(" ") + ([whole] if whole else []):
        if lines and text_width(f"{lines[-1]} {word}", size) <= room:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines
