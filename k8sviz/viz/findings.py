"""Findings (policy gaps) and control results as figures."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .._checks import require_title
from ._common import SEVERITY_COLORS, SEVERITY_ORDER, empty_figure, esc, new_figure, require_frame

__all__ = ["controls_figure", "findings_summary"]


def findings_summary(gaps: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Horizontal stacked bars: number of findings per kind, coloured by severity.

    ``gaps`` is :func:`k8sviz.gaps` (columns ``finding``, ``severity``, ...).
    """
    require_frame(gaps, "findings_summary", "gaps", "k8sviz.gaps(...)", ("finding",))
    require_title(title, "findings_summary")
    title = title or "Findings by kind and severity"
    if gaps is None or len(gaps) == 0:
        return empty_figure(title, "no findings")
    sev = (
        gaps["severity"].astype(object).fillna("info").astype(str).str.lower()
        if "severity" in gaps
        else "info"
    )
    work = pd.DataFrame({"finding": gaps["finding"].astype(str), "severity": sev})
    counts = work.groupby(["finding", "severity"], sort=True).size().unstack(fill_value=0)
    order = [s for s in SEVERITY_ORDER if s in counts.columns]
    order += sorted(c for c in counts.columns if c not in order)
    rank = {s: i for i, s in enumerate(order)}

    # most severe, then most frequent first
    def key(f: str) -> tuple[int, int, str]:
        worst = min((rank[s] for s in order if counts.at[f, s] > 0), default=99)
        return (worst, -int(counts.loc[f].sum()), f)

    findings = sorted(counts.index, key=key)
    fig = new_figure(title, barmode="stack")
    for s in order:
        fig.add_trace(
            go.Bar(
                y=[esc(f) for f in findings],
                x=[int(counts.at[f, s]) for f in findings],
                orientation="h",
                name=esc(s),
                marker={"color": SEVERITY_COLORS.get(s, "#6d4c41")},
                hovertemplate="%{y}: %{x} " + esc(s) + "<extra></extra>",
            )
        )
    fig.update_layout(
        height=max(260, 90 + 30 * len(findings)),
        yaxis={"autorange": "reversed", "type": "category"},
        legend={"traceorder": "normal"},
        xaxis={"title": {"text": "findings"}, "dtick": 1 if counts.to_numpy().sum() < 15 else None},
        margin={"l": 240},
    )
    return fig


_STATUS_COLORS = {
    "pass": "#2e7d32",
    "fail": "#c62828",
    "manual": "#f9a825",
    "unknown": "#9e9e9e",
    "n/a": "#bdbdbd",
}


def controls_figure(summary: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Bar of controls per status (pass / fail / manual) from :func:`k8sviz.controls_summary`."""
    require_frame(summary, "controls_figure", "summary", "k8sviz.controls_summary(...)", ("status",))
    require_title(title, "controls_figure")
    title = title or "Controls by status"
    if summary is None or len(summary) == 0 or "status" not in summary:
        return empty_figure(title, "no controls evaluated")
    counts = summary["status"].astype(str).str.lower().value_counts()
    order = [s for s in ("pass", "fail", "manual", "unknown", "n/a") if s in counts.index]
    order += sorted(s for s in counts.index if s not in order)
    fig = new_figure(title)
    fig.add_trace(
        go.Bar(
            x=[esc(s) for s in order],
            y=[int(counts[s]) for s in order],
            marker={"color": [_STATUS_COLORS.get(s, "#6d4c41") for s in order]},
            hovertemplate="%{x}: %{y} control(s)<extra></extra>",
        )
    )
    fig.update_layout(height=280, showlegend=False, xaxis={"title": {"text": "status"}},
                      yaxis={"title": {"text": "controls"}})
    return fig
