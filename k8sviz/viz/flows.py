"""Observed flows: namespace → namespace Sankey and verdicts over time."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .._checks import require_title
from .._text import as_given
from ._common import VERDICT_COLORS, empty_figure, esc, find_column, new_figure, require_frame

__all__ = ["flow_sankey", "flow_timeline"]

_VALUE_COLUMNS = ("flows", "count", "n", "connections", "events")


def flow_sankey(
    flow_edges_ns: pd.DataFrame, *, value: str | None = None, title: str | None = None
) -> go.Figure:
    """Namespace → namespace Sankey of observed flows.

    ``flow_edges_ns`` is ``k8sviz.flow_edges(flows, level="namespace")`` (or a raw flows
    DataFrame: rows are then counted). Nodes are bipartite, ``"<ns> (src)"`` on the left and
    ``"<ns> (dst)"`` on the right, so traffic inside a namespace does not make a loop. Links
    are coloured by verdict when a ``verdict`` column is present (or red where a ``denied``
    count is not 0, the count then on hover); a line under the title says what each colour means.
    """
    require_frame(flow_edges_ns, "flow_sankey", "flow_edges_ns", "k8sviz.flow_edges(flows, level=...)")
    require_title(title, "flow_sankey")
    title = title or "Observed flows between namespaces"
    if flow_edges_ns is None or len(flow_edges_ns) == 0:
        return empty_figure(title, "no flows")
    df = flow_edges_ns
    cols = list(df.columns)
    s = find_column(cols, "src_namespace", "src")
    d = find_column(cols, "dst_namespace", "dst")
    if value is not None and value not in cols:  # a KeyError from pandas
        from ..errors import InputError

        more = f" and {len(cols) - 12} more" if len(cols) > 12 else ""
        shown = ", ".join(as_given(c) for c in cols[:12]) + more
        raise InputError(f"flow_sankey: value {as_given(value)} is no column of the table (it has {shown})")
    v = value or find_column(cols, *_VALUE_COLUMNS, required=False)
    verdict = "verdict" if "verdict" in cols else None
    keys = [s, d] + ([verdict] if verdict else [])
    work = df[keys].copy()
    work[s] = work[s].astype(object).fillna("(external)").astype(str)
    work[d] = work[d].astype(object).fillna("(external)").astype(str)
    if verdict:
        work[verdict] = work[verdict].astype(object).fillna("unknown").astype(str)
    work["_v"] = pd.to_numeric(df[v], errors="coerce").fillna(0) if v else 1
    agg = work.groupby(keys, sort=True, dropna=False)["_v"].sum().reset_index()
    agg = agg[agg["_v"] > 0]
    if agg.empty:
        return empty_figure(title, "no flows")
    srcs = sorted(agg[s].unique())
    dsts = sorted(agg[d].unique())
    labels = [f"{esc(x)} (src)" for x in srcs] + [f"{esc(x)} (dst)" for x in dsts]
    si = {x: i for i, x in enumerate(srcs)}
    di = {x: len(srcs) + i for i, x in enumerate(dsts)}
    denied_col = "denied" if "denied" in cols and not verdict else None
    colors = []
    for rec in agg.itertuples(index=False):
        vv = getattr(rec, verdict) if verdict else "allowed"
        colors.append(_alpha(VERDICT_COLORS.get(vv, VERDICT_COLORS["unknown"])))
    customdata = [esc(getattr(r, verdict)) if verdict else "" for r in agg.itertuples(index=False)]
    # A Sankey has no legend: the title says what the link colours mean.
    key = []
    if verdict:
        seen = set(agg[verdict])
        key = [f"{colour}: {v}" for v, colour in (("allowed", "green"), ("denied", "red")) if v in seen]
        if seen - {"allowed", "denied"}:
            key.append(f"grey: {', '.join(sorted(seen - {'allowed', 'denied'}))}")
    if denied_col:
        den = df.groupby([s, d], sort=True)[denied_col].sum()
        denied = [int(den.get((a, b), 0)) for a, b in zip(agg[s], agg[d], strict=True)]
        colors = [_alpha(VERDICT_COLORS["denied"]) if n else c for n, c in zip(denied, colors, strict=True)]
        customdata = [f"({n:,} denied)" if n else "" for n in denied]
        key = ["green: none denied", "red: some denied"] if any(denied) else ["green: none denied"]
    fig = new_figure(title)
    if key:
        fig.update_layout(title_text=f"{esc(title)}<br><sup>links: {'; '.join(key)}</sup>")
    fig.add_trace(
        go.Sankey(
            arrangement="snap",
            node={
                "label": labels,
                "pad": 12,
                "thickness": 14,
                "color": ["#90a4ae"] * len(srcs) + ["#546e7a"] * len(dsts),
            },
            link={
                "source": [si[x] for x in agg[s]],
                "target": [di[x] for x in agg[d]],
                "value": [float(x) for x in agg["_v"]],
                "color": colors,
                "customdata": customdata,
                "hovertemplate": "%{source.label} → %{target.label}<br>%{value} "
                + (esc(v) if v else "flows")
                + (" %{customdata}" if verdict or denied_col else "")
                + "<extra></extra>",
            },
        )
    )
    fig.update_layout(height=max(360, 40 + 28 * max(len(srcs), len(dsts))))
    return fig


def _alpha(hex_color: str, a: float = 0.45) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{a})"


def flow_timeline(flows: pd.DataFrame, *, freq: str | None = None, title: str | None = None) -> go.Figure:
    """Stacked bars of flows per time bin, one colour per verdict (allowed / denied / unknown).

    ``flows`` is the DataFrame of :func:`k8sviz.load_flows` (columns ``time`` and ``verdict``).
    ``freq`` is a pandas frequency (``"1min"``, ``"1h"``...); by default about 60 bins.
    """
    require_frame(flows, "flow_timeline", "flows", "k8sviz.load_flows(...)", ("time",))
    require_title(title, "flow_timeline")
    title = title or "Flows over time by verdict"
    if flows is None or len(flows) == 0:
        return empty_figure(title, "no flows")
    t = pd.to_datetime(flows["time"], utc=True, errors="coerce")
    verdict = (
        flows["verdict"].astype(object).fillna("unknown").astype(str)
        if "verdict" in flows.columns
        else "unknown"
    )
    work = pd.DataFrame({"time": t, "verdict": verdict}).dropna(subset=["time"])
    if work.empty:
        return empty_figure(title, "no flow has a valid time")
    if freq is None:
        span = (work["time"].max() - work["time"].min()).total_seconds()
        freq = _nice_freq(span / 60 if span > 0 else 1)
    else:
        try:
            pd.tseries.frequencies.to_offset(freq)
        except (ValueError, TypeError):  # pandas' own error was three chained tracebacks
            from ..errors import InputError

            raise InputError(f"flow_timeline: freq must be a pandas frequency such as '1min' or '1h', "
                             f"got {as_given(freq)}") from None
    work["bin"] = work["time"].dt.floor(freq)
    counts = work.groupby(["bin", "verdict"], sort=True).size().unstack(fill_value=0)
    fig = new_figure(title, barmode="stack")
    order = [v for v in ("allowed", "denied", "unknown") if v in counts.columns]
    order += sorted(c for c in counts.columns if c not in order)
    x = [ts.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ") for ts in counts.index]
    for v in order:
        fig.add_trace(
            go.Bar(
                x=x,
                y=[int(n) for n in counts[v]],
                name=esc(v),
                marker={"color": VERDICT_COLORS.get(v, "#6d4c41")},
                hovertemplate="%{x}<br>%{y} " + esc(v) + f" flow(s) per {esc(freq)}<extra></extra>",
            )
        )
    fig.update_layout(
        height=340,
        # the first date, under the axes' corner, was written over the 0 left of it: the dates
        # a few pixels lower
        xaxis={"title": {"text": "time (UTC)"}, "type": "date", "ticklabelstandoff": 8},
        yaxis={"title": {"text": f"flows per {esc(freq)}"}},
        bargap=0.05,
    )
    return fig


def _nice_freq(seconds: float) -> str:
    for s, f in (
        (1, "1s"),
        (5, "5s"),
        (10, "10s"),
        (30, "30s"),
        (60, "1min"),
        (300, "5min"),
        (600, "10min"),
        (1800, "30min"),
        (3600, "1h"),
        (3 * 3600, "3h"),
        (6 * 3600, "6h"),
        (86400, "1D"),
    ):
        if seconds <= s:
            return f
    return "7D"
