"""Matrices: zone x zone segmentation and workload x workload reachability."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ._common import empty_figure, esc, find_column, fmt_list, new_figure

__all__ = ["reachability_matrix", "segmentation_heatmap"]

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
    return {(str(a), str(b)) for a, b in zip(v[s], v[d], strict=True)}


def segmentation_heatmap(
    seg: Any, *, title: str = "Zone segmentation (rows: source zone, columns: destination zone)"
) -> go.Figure:
    """Heatmap of a zone x zone segmentation matrix.

    ``seg`` is the result of :func:`k8sviz.segmentation` (its ``.matrix`` DataFrame, rows =
    source zone, columns = destination zone) or such a DataFrame itself. Numeric cells are
    drawn as counts of allowed connections; text cells (``allowed``/``partial``/``denied``/
    ``unknown``/``violation``) on a discrete scale. Cells with a violation in ``seg.violations``
    are outlined in red.
    """
    matrix = seg if isinstance(seg, pd.DataFrame) else getattr(seg, "matrix", None)
    if matrix is None or matrix.size == 0:
        return empty_figure(title, "no zones defined")
    # keep the segmentation's order (zones as defined); sort only an unordered (set-like) index
    rows = [str(r) for r in matrix.index]
    cols = [str(c) for c in matrix.columns]
    values = matrix.to_numpy()
    numeric = all(isinstance(x, int | float) and not isinstance(x, bool) for x in values.ravel())
    fig = new_figure(title)
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
        lo, hi = -1, 3
        scale = []
        for code, color, _ in _DISCRETE:
            a = (code - lo) / (hi - lo + 1)
            b = (code - lo + 1) / (hi - lo + 1)
            scale += [[a, color], [b, color]]
        fig.add_trace(
            go.Heatmap(
                z=z,
                x=[esc(c) for c in cols],
                y=[esc(r) for r in rows],
                text=text,
                texttemplate="%{text}",
                zmin=lo - 0.5,
                zmax=hi + 0.5,
                colorscale=scale,
                colorbar={"tickvals": [c for c, _, _ in _DISCRETE], "ticktext": [t for _, _, t in _DISCRETE]},
                hovertemplate="%{y} → %{x}: %{text}<extra></extra>",
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
        margin={"t": 110},
    )
    return fig


def reachability_matrix(
    reach_frame: pd.DataFrame,
    *,
    max_labels: int = 300,
    collapse_external: bool = True,
    title: str | None = None,
) -> go.Figure:
    """Source x destination matrix of allowed connections, ports on hover.

    ``reach_frame`` is ``reach.to_frame(level="workload")`` (columns ``src``, ``dst``,
    ``protocol``, ``ports``; optional ``src_namespace``/``dst_namespace``). With more than
    ``max_labels`` distinct endpoints the matrix is aggregated to namespaces.
    ``collapse_external`` merges external address blocks (no namespace) into one
    ``(external)`` row and column.
    """
    title = title or "Allowed connections (rows: source, columns: destination)"
    if reach_frame is None or len(reach_frame) == 0:
        return empty_figure(title, "no allowed connections")
    df = reach_frame
    src, dst = "src", "dst"
    if collapse_external and {"src_namespace", "dst_namespace"} <= set(df.columns):
        df = df.assign(
            src=df["src"].astype(object).where(df["src_namespace"].notna(), "(external)"),
            dst=df["dst"].astype(object).where(df["dst_namespace"].notna(), "(external)"),
        )
    n_labels = len(set(df[src]) | set(df[dst]))
    aggregated = False
    if n_labels > max_labels and {"src_namespace", "dst_namespace"} <= set(df.columns):
        # namespaces; every external address block becomes one "(external)" row/column
        df = df.assign(
            src=df["src_namespace"].astype(object).fillna("(external)"),
            dst=df["dst_namespace"].astype(object).fillna("(external)"),
        )
        aggregated = True
        title += " (aggregated to namespaces)"
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    for s_, d_, proto, ports, n in _grouped(df):
        cell = cells.setdefault((s_, d_), {"n": 0, "ports": {}})
        cell["n"] += n
        cell["ports"].setdefault(proto, set()).update(ports)
    srcs = sorted({k[0] for k in cells})
    dsts = sorted({k[1] for k in cells})
    si = {s: i for i, s in enumerate(srcs)}
    di = {d: i for i, d in enumerate(dsts)}
    z: list[list[float | None]] = [[None] * len(dsts) for _ in srcs]
    hover: list[list[str]] = [[""] * len(dsts) for _ in srcs]
    for (s, d), cell in cells.items():
        i, j = si[s], di[d]
        z[i][j] = cell["n"] if aggregated else 1
        desc = "<br>".join(
            f"{esc(p)}: {fmt_list(sorted(v, key=_pkey), limit=8 if aggregated else 16)}"
            for p, v in sorted(cell["ports"].items())
        )
        extra = f"<br>{cell['n']} workload pair(s)" if aggregated else ""
        hover[i][j] = f"{desc}{extra}"
    fig = new_figure(title)
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
        )
    )
    size = max(len(srcs), len(dsts))
    labels = size <= 150
    # room for the rotated column labels above the matrix and the row labels on its left
    top = 60 + (int(5.5 * min(60, max(len(d) for d in dsts))) if labels else 20)
    left = 20 + (int(6.5 * min(60, max(len(s) for s in srcs))) if labels else 20)
    row = 20 if labels else max(2, 600 // max(1, len(srcs)))
    fig.update_layout(
        height=min(2400, max(300, top + 40 + row * len(srcs))),
        title={"y": 0.995, "yanchor": "top"},
        xaxis={
            "side": "top",
            "tickangle": -60,
            "type": "category",
            "showticklabels": labels,
            "tickfont": {"size": 10},
        },
        yaxis={
            "autorange": "reversed",
            "type": "category",
            "showticklabels": labels,
            "tickfont": {"size": 10},
            "dtick": 1,
        },
        margin={"t": top, "l": left},
    )
    return fig


def _port_tuple(ports: Any) -> tuple[str, ...]:
    if ports is None or (isinstance(ports, float) and pd.isna(ports)):
        return ("all",)
    if isinstance(ports, str | int):
        return (str(ports),)
    return tuple(str(p) for p in ports)


def _grouped(df: pd.DataFrame) -> list[tuple[str, str, str, tuple[str, ...], int]]:
    """(src, dst, protocol, ports, rows) with identical rows counted once: fast on 100k+ rows."""
    work = pd.DataFrame(
        {
            "s": df["src"].astype(str).to_numpy(),
            "d": df["dst"].astype(str).to_numpy(),
            "p": df["protocol"].astype(str).to_numpy() if "protocol" in df.columns else "any",
            "k": [_port_tuple(x) for x in df["ports"]] if "ports" in df.columns else [("all",)] * len(df),
        }
    )
    g = work.groupby(["s", "d", "p", "k"], sort=False, observed=True).size()
    return [(s, d, p, k, int(n)) for (s, d, p, k), n in g.items()]


def _pkey(p: str) -> tuple[int, str]:
    head = p.split("-")[0]
    return (int(head), p) if head.isdigit() else (1 << 20, p)
