"""What changed between two snapshots, as a figure: connections per namespace pair and kind."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .._checks import is_count, require_title
from .._text import as_given
from ..errors import InputError
from ._common import empty_figure, esc, find_column, new_figure, require_frame

__all__ = ["CHANGE_COLORS", "changes_figure"]

#: Openings in reds and oranges, closings in greens (``change`` of :func:`k8sviz.reachability_diff`).
CHANGE_COLORS: dict[str, str] = {
    "added": "#c62828",
    "widened": "#ef6c00",
    "changed": "#f9a825",
    "narrowed": "#66bb6a",
    "removed": "#2e7d32",
}


def changes_figure(changes: pd.DataFrame, *, title: str | None = None, top: int = 25) -> go.Figure:
    """Horizontal stacked bars: changed connections per namespace pair, coloured by kind.

    ``changes`` is :func:`k8sviz.reachability_diff`.  A pair is ``source namespace ->
    destination namespace`` (``external`` for address blocks); the ``top`` pairs with the most
    openings (added, widened, changed) come first, then the most changes (None: every pair).
    """
    require_frame(changes, "changes_figure", "changes", "k8sviz.reachability_diff(...)")
    require_title(title, "changes_figure")
    if top is not None:
        if not is_count(top) or top < 0:
            # (a negative top was a slice from the end: every pair but the last ones)
            raise InputError("changes_figure: top must be a count of namespace pairs or None, "
                             f"not {as_given(top)}")
        top = int(top)
    title = title or "Connection changes by namespace pair"
    if changes is None or len(changes) == 0:
        return empty_figure(title, "no connection changed")
    columns = list(changes.columns)
    change = find_column(columns, "change")
    ends = []
    for end in ("src", "dst"):
        names = changes[find_column(columns, end)].astype(str)
        kinds = changes[f"{end}_type"].astype(str) if f"{end}_type" in changes else pd.Series(
            "", index=changes.index)
        ends.append(names.str.split("/", n=1).str[0].where(kinds != "external", "external"))
    work = pd.DataFrame({"pair": ends[0] + " → " + ends[1], "change": changes[change].astype(str)})
    counts = work.groupby(["pair", "change"], sort=True).size().unstack(fill_value=0)
    order = [c for c in CHANGE_COLORS if c in counts.columns]
    opened = counts[[c for c in ("added", "widened", "changed") if c in counts.columns]].sum(axis=1)
    pairs = sorted(counts.index, key=lambda p: (-int(opened.get(p, 0)), -int(counts.loc[p].sum()), p))[:top]
    fig = new_figure(title, barmode="stack")
    for c in order:
        fig.add_trace(
            go.Bar(
                y=[esc(p) for p in pairs],
                x=[int(counts.at[p, c]) for p in pairs],
                orientation="h",
                name=esc(c),
                marker={"color": CHANGE_COLORS[c]},
                hovertemplate="%{y}: %{x} " + esc(c) + "<extra></extra>",
            )
        )
    more = len(counts) - len(pairs)
    fig.update_layout(
        height=max(260, 90 + 28 * len(pairs)),
        yaxis={"autorange": "reversed", "type": "category"},
        legend={"traceorder": "normal"},
        xaxis={"title": {"text": "connections"
                         + (f" (top {len(pairs)} of {len(counts)} pairs)" if more else "")}},
        margin={"l": 260},
    )
    return fig
