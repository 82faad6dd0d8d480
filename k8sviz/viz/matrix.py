"""Matrices: zone x zone segmentation and workload x workload reachability."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .._checks import is_count, require_flag, require_title
from .._text import as_given
from ..analysis._common import first_seen, object_ids
from ..errors import InputError
from ._common import (
    TITLE_FONT,
    check_cap,
    empty_figure,
    esc,
    find_column,
    fit_text,
    fmt_list,
    merged_ports,
    new_figure,
    require_frame,
    text_width,
    wrapped,
)

__all__ = ["MAX_NAMESPACES", "first_sorted", "namespace_cells", "reachability_matrix", "segmentation_heatmap"]

#: The namespaces a matrix aggregated to namespaces shows at most on each axis by default
#: (``max_namespaces``): past 150 rows its labels are hidden and its cells a few pixels wide.
MAX_NAMESPACES = 150
#: The row and column of every outside address block in a matrix aggregated to namespaces.
EXTERNAL = "(external)"

#: Category codes for text cells (segmentation verdicts).
_CODES: dict[str, int] = {
    "denied": 0,
    "deny": 0,
    "none": 0,
    "blocked": 0,
    "isolated": 0,
    "no": 0,
    "false": 0,
    "partial": 1,
    "restricted": 1,
    "limited": 1,
    "allowed": 2,
    "allow": 2,
    "open": 2,
    "all": 2,
    "yes": 2,
    "true": 2,
    "violation": 3,
    "violating": 3,
    "forbidden": 3,
    "unknown": -1,
    "?": -1,
    "": -1,
}
_DISCRETE = [
    (-1, "#bdbdbd", "unknown"),
    (0, "#e8f5e9", "denied"),  # the word the cells say (segmentation's matrix: nothing connects)
    (1, "#fff59d", "partial"),
    (2, "#90caf9", "allowed"),
    (3, "#e53935", "violation"),
]


def _violation_cells(seg: Any) -> set[tuple[str, str]]:
    v = getattr(seg, "violations", None)
    if v is None or not hasattr(v, "columns") or len(v) == 0:
        return set()
    cols = list(v.columns)
    s = find_column(cols, "src_zone", "from_zone", "source_zone", required=False)
    d = find_column(cols, "dst_zone", "to_zone", "destination_zone", required=False)
    if not s or not d:
        return set()
    # each distinct pair once: a segmentation may list millions of violating rows
    return {(str(a), str(b)) for a, b in pd.MultiIndex.from_arrays([v[s], v[d]]).unique()}


def segmentation_heatmap(
    seg: Any, *, title: str = "Zone segmentation (rows: source zone, columns: destination zone)"
) -> go.Figure:
    """Heatmap of a zone x zone segmentation matrix.

    ``seg`` is the result of :func:`k8sviz.segmentation` (its ``.matrix`` DataFrame, rows =
    source zone, columns = destination zone) or such a DataFrame itself. Numeric cells are
    drawn as counts of allowed connections; text cells (``allowed``/``partial``/``denied``/
    ``unknown``/``violation``) on a discrete scale, whose colour bar names only the values the
    matrix can hold (a segmentation's ``denied``/``partial``/``allowed``; a frame's, those its
    cells hold). Cells with a violation in ``seg.violations`` are outlined in red, say so on
    hover, and the colour bar's title says what the outline means.
    """
    require_title(title, "segmentation_heatmap")
    given = seg if isinstance(seg, pd.DataFrame) else getattr(seg, "matrix", None)
    if seg is not None and not isinstance(given, pd.DataFrame):
        from ..errors import InputError

        # a Snapshot was drawn as "no zones defined"
        msg = ("segmentation_heatmap: seg must be k8sviz.segmentation(...) or its .matrix DataFrame, "
               f"got {type(seg).__name__}")
        raise InputError(msg)
    matrix = seg if isinstance(seg, pd.DataFrame) else getattr(seg, "matrix", None)
    if matrix is None or matrix.size == 0:
        return empty_figure(title, "no zones defined")
    # keep the segmentation's order (zones as defined); sort only an unordered (set-like) index
    rows = [str(r) for r in matrix.index]
    cols = [str(c) for c in matrix.columns]
    values = matrix.to_numpy()
    numeric = all(isinstance(x, int | float) and not isinstance(x, bool) for x in values.ravel())
    fig = new_figure(title)
    heading = wrapped(title)
    fig.update_layout(title_text="<br>".join(esc(line) for line in heading))
    viol = _violation_cells(seg)
    if numeric:
        z = [[float(x) for x in row] for row in values]
        text = [[f"{int(x)}" if float(x).is_integer() else f"{x:.2f}" for x in row] for row in values]
        fig.add_trace(
            go.Heatmap(
                z=z,
                x=[esc(c) for c in cols],
                y=[esc(r) for r in rows],
                text=text,
                texttemplate="%{text}",
                colorscale=[[0, "#f1f8e9"], [1, "#1565c0"]],
                colorbar={"title": {"text": "connections"}},
                hovertemplate="%{y} → %{x}: %{text} allowed connection(s)<extra></extra>",
            )
        )
    else:
        z, text = [], []
        for row in values:
            zr: list[float] = []
            tr: list[str] = []
            for x in row:
                if isinstance(x, bool):
                    code = 2 if x else 0
                    label = "allowed" if x else "denied"
                else:
                    label = "unknown" if x is None or (isinstance(x, float) and pd.isna(x)) else str(x)
                    code = _CODES.get(label.strip().lower(), 1)
                zr.append(code)
                tr.append(esc(label))
            z.append(zr)
            text.append(tr)
        # The outlines carry no text: the hover says which cells they mark.
        note = [[" (violation: red outline)" if (r, c) in viol else "" for c in cols] for r in rows]
        # The colour bar names only the values the matrix can hold: a segmentation's are
        # denied, partial and allowed (all three, so two reports' legends read alike); a bare
        # frame's, those its cells hold. "unknown" and "violation" in a segmentation's bar
        # named colours no cell had (a violation is the red outline, which the bar's title says).
        used = {code for zr in z for code in zr}
        if not isinstance(seg, pd.DataFrame):
            used |= {0, 1, 2}
        shown = [(code, color, word) for code, color, word in _DISCRETE if code in used]
        place: dict[float, float] = {code: float(i) for i, (code, _, _) in enumerate(shown)}
        z = [[place[code] for code in zr] for zr in z]
        scale = []
        for i, (_, color, _) in enumerate(shown):
            scale += [[i / len(shown), color], [(i + 1) / len(shown), color]]
        bar: dict[str, Any] = {"tickvals": list(range(len(shown))), "ticktext": [w for _, _, w in shown]}
        if viol:
            bar["title"] = {"text": "red outline:<br>violation"}
        fig.add_trace(
            go.Heatmap(
                z=z,
                x=[esc(c) for c in cols],
                y=[esc(r) for r in rows],
                text=text,
                texttemplate="%{text}",
                zmin=-0.5,
                zmax=len(shown) - 0.5,
                colorscale=scale,
                colorbar=bar,
                customdata=note,
                hovertemplate="%{y} → %{x}: %{text}%{customdata}<extra></extra>",
            )
        )
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            if (r, c) in viol:
                fig.add_shape(
                    type="rect",
                    x0=j - 0.5,
                    x1=j + 0.5,
                    y0=i - 0.5,
                    y1=i + 0.5,
                    line={"color": "#c62828", "width": 3},
                )
    fig.update_layout(
        height=max(300, 60 + 45 * len(rows)),
        xaxis={"side": "top", "type": "category"},
        yaxis={"autorange": "reversed", "type": "category"},
        # the title's lines from the figure's top down, the zones' names under them (turned in
        # a narrow figure): 110 px held one line.  Anchored at its top, a title of several lines
        # is drawn a line higher than its pad (measured in Chromium: its top 5 px above the
        # figure's): the pad has that line more
        title={"yref": "container", "y": 1, "yanchor": "top",
               "pad": {"t": _TITLE_GAP + (_TITLE_LINE if len(heading) > 1 else 0)}},
        margin={"t": 110 + _TITLE_LINE * (len(heading) - 1)},
    )
    return fig


def reachability_matrix(
    reach_frame: pd.DataFrame,
    *,
    max_labels: int = 300,
    collapse_external: bool = True,
    title: str | None = None,
    max_namespaces: int | None = MAX_NAMESPACES,
) -> go.Figure:
    """Source x destination matrix of allowed connections, ports on hover.

    ``reach_frame`` is ``reach.to_frame(level="workload")`` (columns ``src``, ``dst``,
    ``protocol``, ``ports``; optional ``src_namespace``/``dst_namespace``). With more than
    ``max_labels`` distinct endpoints the matrix is aggregated to namespaces.
    ``collapse_external`` merges external address blocks (no namespace) into one
    ``(external)`` row and column.

    ``max_namespaces``: a matrix aggregated to namespaces shows at most this many source
    and this many destination namespaces, those with the most allowed workload connections
    (ties by name); None shows all.  The title then says how many rows, columns, pairs and
    connections it shows of how many, and ``fig.layout.meta`` holds those counts
    (``sources``, ``destinations``, ``pairs``, ``connections``: each [shown, all]).  The
    default, :data:`MAX_NAMESPACES` (150), is where the rows lose their labels: at 50,000
    pods the matrix had 627 x 580 namespaces, cells two pixels high and 5.8 MiB of page.

    Aggregated to namespaces, a cell's colour is the logarithm of its workload pairs, on a
    scale from the least to the most of the cells between namespaces: the ``(external)`` row
    and column, whose counts are far larger, take its darkest colour past it (the colour bar
    says how far they go); the hover gives every cell's exact count.
    """
    require_frame(reach_frame, "reachability_matrix", "reach_frame", "reach.to_frame(level='workload')",
                  ("src", "dst"))
    require_title(title, "reachability_matrix")
    require_flag(collapse_external, "reachability_matrix", "collapse_external", InputError)
    return _matrix(reach_frame, max_labels=max_labels, collapse_external=collapse_external, title=title,
                   max_namespaces=max_namespaces)


def _matrix(
    reach_frame: pd.DataFrame,
    *,
    max_labels: int = 300,
    collapse_external: bool = True,
    title: str | None = None,
    ns_cells: Cells | None = None,
    max_namespaces: int | None = MAX_NAMESPACES,
) -> go.Figure:
    """:func:`reachability_matrix`; ``ns_cells``: the frame's :func:`namespace_cells`, when the
    caller has them already (the report's appendix tabulates them too)."""
    max_namespaces = check_cap(max_namespaces, "max_namespaces", "namespaces", 1)  # also where nothing is cut
    if not is_count(max_labels) or max_labels < 1:
        from ..errors import InputError

        # ("3" was a TypeError from the comparison below)
        raise InputError(f"max_labels must be a count of labels (1 or more), not {as_given(max_labels)}")
    max_labels = int(max_labels)
    title = title or "Allowed connections (rows: source, columns: destination)"
    if reach_frame is None or len(reach_frame) == 0:
        return empty_figure(title, "no allowed connections")
    df = reach_frame
    by_ns = {"src_namespace", "dst_namespace"} <= set(df.columns)
    src, dst = _Codes.of(df["src"]), _Codes.of(df["dst"])
    if collapse_external and by_ns:
        src = src.where(df["src_namespace"].isna().to_numpy(), EXTERNAL)
        dst = dst.where(df["dst_namespace"].isna().to_numpy(), EXTERNAL)
    n_labels = len(set(src.values) | set(dst.values))
    aggregated = n_labels > max_labels and by_ns
    if aggregated:
        # namespaces; every external address block becomes one "(external)" row/column
        cells = ns_cells if ns_cells is not None else namespace_cells(df)
    else:
        cells = _cells(src, dst, _protocols(df), _Ports.of(df))
    cut = None
    if aggregated and max_namespaces is not None:
        cells, cut = _busiest(cells, max_namespaces)
    note = None
    if cut is not None:
        (s, s_all), (d, d_all) = cut["sources"], cut["destinations"]
        (p, p_all), (c, c_all) = cut["pairs"], cut["connections"]
        note = (f"the {s:,} of {s_all:,} source and {d:,} of {d_all:,} destination namespaces with the most"
                f" connections: {p:,} of {p_all:,} namespace pairs, {c:,} of {c_all:,} workload connections")
    # said whole on one line of the title
    whole = "(aggregated to namespaces)" if aggregated else ""
    fig = _matrix_figure(cells, aggregated, title, note, whole=whole)
    if cut is not None:
        fig.update_layout(meta=cut)
    return fig


def _busiest(cells: Cells, n: int) -> tuple[Cells, dict[str, Any] | None]:
    """The cells among the ``n`` sources and the ``n`` destinations with the most connections
    (ties by name), and how many of each were shown (None when all of them are)."""
    out: dict[str, int] = {}
    into: dict[str, int] = {}
    for (s, d), cell in cells.items():
        out[s] = out.get(s, 0) + cell.n
        into[d] = into.get(d, 0) + cell.n
    if len(out) <= n and len(into) <= n:
        return cells, None
    srcs = set(sorted(out, key=lambda k: (-out[k], k))[:n])
    dsts = set(sorted(into, key=lambda k: (-into[k], k))[:n])
    kept = {k: c for k, c in cells.items() if k[0] in srcs and k[1] in dsts}
    return kept, {
        "sources": [len({s for s, _ in kept}), len(out)],
        "destinations": [len({d for _, d in kept}), len(into)],
        "pairs": [len(kept), len(cells)],
        "connections": [sum(c.n for c in kept.values()), sum(c.n for c in cells.values())],
        "max_namespaces": n,
    }


def _matrix_figure(
    cells: Cells, aggregated: bool, title: str, note: str | None = None, *, whole: str = ""
) -> go.Figure:
    """The matrix of ``cells``; its title ``title``, then ``whole`` on one line, ``note`` under
    them."""
    srcs = sorted({k[0] for k in cells})
    dsts = sorted({k[1] for k in cells})
    si = {s: i for i, s in enumerate(srcs)}
    di = {d: i for i, d in enumerate(dsts)}
    z: list[list[float | None]] = [[None] * len(dsts) for _ in srcs]
    hover: list[list[str]] = [[""] * len(dsts) for _ in srcs]
    for (s, d), cell in cells.items():
        i, j = si[s], di[d]
        z[i][j] = cell.n if aggregated else 1
        desc = "<br>".join(
            f"{esc(p)}: {fmt_list(sorted(v, key=_pkey), limit=8 if aggregated else 16)}"
            for p, v in sorted(cell.ports.items())
        )
        extra = f"<br>{cell.n} workload pair(s)" if aggregated else ""
        hover[i][j] = f"{desc}{extra}"
    fig = new_figure(f"{title} {whole}" if whole else title)
    # each line no wider than the report's 392 px figure has (a note's in <sup>, 70 % of the
    # title's font)
    notes = wrapped(note, size=0.7 * TITLE_FONT) if note is not None else []
    heading = [esc(line) for line in wrapped(title, whole=whole)]
    heading += [f"<sup>{esc(line)}</sup>" for line in notes]
    fig.update_layout(title_text="<br>".join(heading))
    scale = _count_scale(cells) if aggregated else {}
    if scale:
        z = [[None if n is None else _log(n) for n in row] for row in z]
    fig.add_trace(
        go.Heatmap(
            z=z,
            x=[esc(d) for d in dsts],
            y=[esc(s) for s in srcs],
            text=hover,
            hovertemplate="<b>%{y} → %{x}</b><br>%{text}<extra></extra>",
            hoverongaps=False,
            xgap=1,
            ygap=1,
            colorscale=[[0, "#90caf9"], [1, "#0d47a1"]],
            showscale=aggregated,
            # the report's script sets the column names smaller, or writes every second (third...)
            # one, where the plot's width would draw them over each other: a figure cannot know
            # the width it is drawn at (the others stay in the hover); in a narrow figure it cuts
            # the row names shorter, so that the grid keeps some room (whole in the hover)
            meta={"fit_column_names": True, "fit_row_names": True},
            **scale,
        )
    )
    size = max(len(srcs), len(dsts))
    labels = size <= 150
    # each name written at most _TICK_ROOM wide, the whole in the hover (the axes' categories)
    rows = [fit_text(s, _TICK_ROOM, _TICK_FONT) for s in srcs]
    cols = [fit_text(d, _TICK_ROOM, _TICK_FONT) for d in dsts]
    # the rotated column labels above the matrix, the title above them, the row labels on its left
    band = _label_band(max(len(d) for d in cols)) if labels else 0
    lines = len(heading)
    top = band + _TITLE_GAP + _TITLE_LINE * lines + _TITLE_GAP
    # the row names' width (estimated at the widest faces draw them) and the tick's gap
    left = 20 + (math.ceil(max(text_width(s, _TICK_FONT) for s in rows)) + 6 if labels else 20)
    row = 20 if labels else max(2, 600 // max(1, len(srcs)))
    fig.update_layout(
        # a plot of 160 px at least under the title's lines: a cut matrix's four (its note's
        # two) left its colour bar too short for its ticks
        height=min(2400, max(300, top + 40 + row * len(srcs), top + 200)),
        # anchored to the plot's top edge, past the label band: a title anchored to the page's
        # top sat far above short labels.  Plotly places a title by its first line, the next
        # ones under it: the pad holds them too (a third and fourth line ran into the labels)
        title={"yref": "paper", "y": 1, "yanchor": "bottom",
               "pad": {"b": band + _TITLE_GAP + _TITLE_LINE * (lines - 1)}},
        xaxis={
            "side": "top",
            "tickangle": -_TICK_ANGLE,
            "type": "category",
            "showticklabels": labels,
            "tickfont": {"size": _TICK_FONT},
            **_cut_ticks(dsts, cols),
        },
        yaxis={
            "autorange": "reversed",
            "type": "category",
            "showticklabels": labels,
            "tickfont": {"size": _TICK_FONT},
            "dtick": 1,
            **_cut_ticks(srcs, rows),
        },
        margin={"t": top, "l": left},
    )
    return fig


#: The longest label the margins make room for (a longer one runs past them).
_LABEL_CHARS = 60
#: The most pixels a name takes on an axis (at :data:`_TICK_FONT`): a longer one is cut in its
#: middle, whole in the hover.  In a 480 px window the report draws the matrix 392 px wide, and
#: the demo's row names (up to 38 characters, ``ingress-nginx/ingress-nginx-controller``) left
#: its grid 75 px of it.
_TICK_ROOM = 140.0


def _cut_ticks(names: list[str], written: list[str]) -> dict[str, Any]:
    """An axis's labels where some name is cut: each category (its whole, escaped name, that
    the hover says) written as cut; nothing where none is."""
    if names == written:
        return {}
    return {"tickmode": "array", "tickvals": [esc(n) for n in names], "ticktext": [esc(w) for w in written]}
#: The tick labels' font size, the width of one of their characters at most (DejaVu Sans and
#: system-ui at 10 px: 5.6 px on average for namespace and workload names), their angle.
_TICK_FONT = 10
_CHAR_PX = 6.0
_TICK_ANGLE = 60
#: A title line (plotly's title font is 1.4 times the figure's 12 px, a line 1.3 of that),
#: and the white between the title and the page's top edge or the labels.
_TITLE_LINE = 22
_TITLE_GAP = 10


def _label_band(chars: int) -> int:
    """The height in pixels of a column label of ``chars`` characters (at most
    :data:`_LABEL_CHARS`) drawn at :data:`_TICK_ANGLE` degrees, with the tick's gap under it."""
    a = math.radians(_TICK_ANGLE)
    text = _CHAR_PX * min(_LABEL_CHARS, chars)
    return math.ceil(text * math.sin(a) + _TICK_FONT * math.cos(a)) + 6


def _count_scale(cells: Cells) -> dict[str, Any]:
    """The colour scale of a matrix aggregated to namespaces: the log of each cell's count,
    from the least to the most of the cells between namespaces.  The ``(external)`` row and
    column merge every outside address block, so their counts run to a hundred times the
    others' (18,900 against a median of 16 at 6,800 pods): on a linear scale up to them every
    other cell was the same pale blue.  Cells past the range are drawn in its darkest colour;
    the hover gives each cell's exact count."""
    inner = [c.n for (s, d), c in cells.items() if EXTERNAL not in (s, d)] or [c.n for c in cells.values()]
    lo, hi = min(inner), max(inner)
    top = max(c.n for c in cells.values())
    span = math.log10(hi / lo)
    ticks = [v for v in _round_counts(lo, hi) if span * 0.08 < math.log10(v / lo) < span * 0.92]
    tickvals = [lo, *ticks, hi] if hi > lo else [hi]
    ticktext = [f"{v:,}" for v in tickvals]
    label = "workload pairs"
    if top > hi:
        ticktext[-1] = f"{hi:,} or more"
        # a last, empty line keeps the note clear of the top tick's label
        label += f"<br><sup>(external): up to {top:,}</sup><br>&nbsp;"
    return {
        # one count: the cells between namespaces in the darkest colour of a decade's range
        "zmin": _log(lo) - (0 if hi > lo else 1),
        "zmax": _log(hi),
        "colorbar": {"title": {"text": label}, "tickvals": [_log(v) for v in tickvals],
                     "ticktext": ticktext},
    }


def _log(n: float) -> float:
    """A count's place on the colour scale, to three decimals (a step of 0.23 % in the count,
    finer than any colour tells): the full floats made the 150 x 150 matrix of 50,000 pods
    1.65 MiB of page where its counts were 1.38 (bench/README)."""
    return round(math.log10(n), 3)


def _round_counts(lo: int, hi: int) -> list[int]:
    """1, 2 and 5 times the powers of ten from ``lo`` to ``hi``."""
    out = []
    p = 1
    while p <= hi:
        out += [v for v in (p, 2 * p, 5 * p) if lo <= v <= hi]
        p *= 10
    return out


@dataclass(frozen=True)
class _Codes:
    """A column as integer codes into its distinct values, and those values as text (``str()``
    of each: two values with one text share a code, as a grouping of the text would merge
    them).  Frames of allowed connections run to millions of rows over a few thousand
    endpoints: grouping codes avoids a Python string (and tuple) per row."""

    codes: np.ndarray
    values: list[str]

    @classmethod
    def of(cls, column: pd.Series) -> _Codes:
        codes, uniq = pd.factorize(column, use_na_sentinel=False)
        return cls._merged(codes, [str(u) for u in uniq])

    @classmethod
    def filled(cls, column: pd.Series, value: str) -> _Codes:
        """:meth:`of` with ``value`` for a missing value (``fillna``)."""
        if isinstance(column.dtype, pd.CategoricalDtype):  # on its codes, no row made text
            codes = column.cat.codes.to_numpy().astype(np.int64)
            texts = [str(c) for c in column.cat.categories]
            codes[codes < 0] = len(texts)
            used, uniq = pd.factorize(codes)
            return cls._merged(used, [[*texts, value][u] for u in uniq.tolist()])
        return cls.of(column.astype(object).fillna(value))

    @classmethod
    def _merged(cls, codes: np.ndarray, texts: list[str]) -> _Codes:
        again, values = pd.factorize(np.array(texts, dtype=object))
        return cls(again.astype(np.int64)[codes], [str(v) for v in values])

    def where(self, mask: np.ndarray, value: str) -> _Codes:
        """``value`` in the rows of ``mask``; values no row keeps are dropped."""
        codes = self.codes.copy()
        codes[mask] = len(self.values)
        used, uniq = pd.factorize(codes)
        texts = [*self.values, value]
        return _Codes._merged(used, [texts[u] for u in uniq.tolist()])


@dataclass(frozen=True)
class _Ports:
    """The ``ports`` column as codes into distinct port tuples (``("all",)`` where missing)."""

    codes: np.ndarray
    values: list[tuple[str, ...]]

    @classmethod
    def of(cls, df: pd.DataFrame, lists: np.ndarray | None = None) -> _Ports:
        """``lists``: per row, a code of its list object, when the caller has them."""
        if "ports" not in df.columns:
            return cls(np.zeros(len(df), dtype=np.int64), [("all",)])
        ports = df["ports"].to_numpy(object)
        # The engine shares one list per distinct port set: read each object once.
        if lists is None:
            lists = object_ids(ports)
        codes, first = _first_rows(lists)
        tuples = [_port_tuple(ports[r]) for r in first.tolist()]
        index: dict[tuple[str, ...], int] = {}
        merged = np.array([index.setdefault(t, len(index)) for t in tuples], dtype=np.int64)
        return cls(merged[codes] if len(merged) else codes, list(index))


def _protocols(df: pd.DataFrame) -> _Codes:
    if "protocol" not in df.columns:
        return _Codes(np.zeros(len(df), dtype=np.int64), ["any"])
    return _Codes.of(df["protocol"])


def _first_rows(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of ``keys`` in order of first appearance, and the row each first appears in."""
    codes = pd.factorize(keys)[0].astype(np.int64)
    return codes, np.flatnonzero(first_seen(codes))


@dataclass
class Cell:
    """One matrix cell: rows merged into it, and its ports per protocol."""

    n: int = 0
    ports: dict[str, set[str]] = field(default_factory=dict)
    sources: int = 0
    destinations: int = 0


Cells = dict[tuple[str, str], Cell]


def _cells(src: _Codes, dst: _Codes, proto: _Codes, ports: _Ports) -> Cells:
    """Rows merged per (source, destination): how many, and the union of their ports per
    protocol (each distinct row read once)."""
    pair = src.codes * max(1, len(dst.values)) + dst.codes
    pair_codes, pair_first = _first_rows(pair)
    key = (pair_codes * max(1, len(proto.values)) + proto.codes) * max(1, len(ports.values)) + ports.codes
    _, first = _first_rows(key)
    counts = np.bincount(pair_codes, minlength=len(pair_first))
    cells: Cells = {}
    for r in pair_first.tolist():
        cells[(src.values[src.codes[r]], dst.values[dst.codes[r]])] = Cell()
    for (s, d), n in zip(list(cells), counts.tolist(), strict=True):
        cells[(s, d)].n = n
    for r in first.tolist():
        cell = cells[(src.values[src.codes[r]], dst.values[dst.codes[r]])]
        cell.ports.setdefault(proto.values[proto.codes[r]], set()).update(ports.values[ports.codes[r]])
    for cell in cells.values():
        # The rows' lists, joined, said "1-65535, 53, 443" where one range holds them all.
        cell.ports = {p: merged_ports(v) for p, v in cell.ports.items()}
    return cells


def namespace_cells(df: pd.DataFrame, port_lists: np.ndarray | None = None) -> Cells:
    """:func:`_cells` per (source namespace, destination namespace), an external address block
    in ``(external)``; with the distinct sources and destinations of each pair.  ``port_lists``:
    per row, a code of its ``ports`` list object, when the caller has them."""
    s_ns = _Codes.filled(df["src_namespace"], EXTERNAL)
    d_ns = _Codes.filled(df["dst_namespace"], EXTERNAL)
    cells = _cells(s_ns, d_ns, _protocols(df), _Ports.of(df, port_lists))
    pair = s_ns.codes * max(1, len(d_ns.values)) + d_ns.codes
    n_dst = max(1, len(d_ns.values))
    for col, attr in (("src", "sources"), ("dst", "destinations")):
        # distinct values per pair; a missing value (code -1) is not one, as nunique has it
        column = df[col]
        if isinstance(column.dtype, pd.CategoricalDtype):  # its codes are distinct values already
            codes, size = column.cat.codes.to_numpy().astype(np.int64), len(column.cat.categories)
        else:
            codes, uniq = pd.factorize(column)
            size = len(uniq)
        ok = codes >= 0
        distinct = pd.unique(pair[ok] * (size + 1) + codes[ok])
        per_pair = pd.Series(distinct // (size + 1)).value_counts()
        for p, n in zip(per_pair.index.tolist(), per_pair.tolist(), strict=True):
            setattr(cells[(s_ns.values[p // n_dst], d_ns.values[p % n_dst])], attr, int(n))
    return cells


def _port_tuple(ports: Any) -> tuple[str, ...]:
    if ports is None or (isinstance(ports, float) and pd.isna(ports)):
        return ("all",)
    if isinstance(ports, str | int):
        return (str(ports),)
    return tuple(str(p) for p in ports)


def _pkey(p: str) -> tuple[int, str]:
    head = p.split("-")[0]
    return (int(head), p) if head.isdigit() else (1 << 20, p)


def first_sorted(df: pd.DataFrame, by: list[str], n: int) -> pd.DataFrame:
    """``df.sort_values(by, kind="stable").iloc[:n]``, without sorting every row: the report
    shows the first rows of frames of millions.  Object columns order by their values, a
    categorical by its categories, missing values last, ties in frame order, as pandas does."""
    if not by or len(df) <= n or n <= 0:
        return df.sort_values(by, kind="stable").iloc[:max(n, 0)] if by else df.iloc[:max(n, 0)]
    key = np.zeros(len(df), dtype=np.int64)
    room = 1
    for c in by:
        col = df[c]
        if isinstance(col.dtype, pd.CategoricalDtype):
            codes, size = col.cat.codes.to_numpy().astype(np.int64), len(col.cat.categories)
        else:
            try:
                codes, uniq = pd.factorize(col, sort=True)
            except TypeError:  # values Python cannot order among themselves: as pandas would say
                return df.sort_values(by, kind="stable").iloc[:n]
            codes, size = codes.astype(np.int64), len(uniq)
        room *= size + 1
        if room * len(df) >= 2**62:
            return df.sort_values(by, kind="stable").iloc[:n]
        key = key * (size + 1) + np.where(codes < 0, size, codes)
    key = key * len(df) + np.arange(len(df), dtype=np.int64)  # ties in frame order
    first = np.argpartition(key, n - 1)[:n]
    return df.iloc[first[np.argsort(key[first])]]
