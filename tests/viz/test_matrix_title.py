"""The allowed-connections matrix's title: above the rotated column labels on the top axis, in
a top margin that has room for both, however long the labels and however many title lines."""

from __future__ import annotations

import math

import pandas as pd

from k8sviz.viz import reachability_matrix

#: The narrowest a character of the 10 px tick labels is on average (DejaVu Sans, system-ui),
#: the labels' angle, and the least height of one title line (plotly's 17 px title font).
CHAR_PX = 5.6
ANGLE = math.radians(60)
TITLE_LINE = 20


def _frame(name: str, n: int = 4) -> pd.DataFrame:
    """``n`` workloads in two namespaces, each sending to one whose name is ``name``."""
    rows = [{"src": f"a/w{k}", "dst": f"b/{name}-{k}", "src_namespace": "a", "dst_namespace": "b",
             "protocol": "TCP", "ports": ["80"]} for k in range(n)]
    return pd.DataFrame(rows)


def _label_px(chars: int) -> float:
    """The least height a column label of ``chars`` characters takes at its angle."""
    return CHAR_PX * chars * math.sin(ANGLE)


def _check_title_clear_of_labels(fig, longest: int, lines: int) -> None:
    title, top = fig.layout.title, fig.layout.margin.t
    assert title.text.count("<br>") == lines - 1
    # the title's bottom is on the plot's top edge, lifted past the labels' band; plotly places
    # it by its first line, the others under it: lifted past them too
    assert (title.yref, title.y, title.yanchor) == ("paper", 1, "bottom")
    assert title.pad.b >= _label_px(longest) + (lines - 1) * TITLE_LINE
    # and the margin holds the band and every line of the title above it
    assert top >= _label_px(longest) + lines * TITLE_LINE


def test_the_title_is_above_the_longest_column_label():
    for name in ("api", "a-rather-long-workload-name-of-a-payments-backend"):
        df = _frame(name)
        fig = reachability_matrix(df)
        assert fig.layout.xaxis.side == "top" and fig.layout.xaxis.tickangle == -60
        _check_title_clear_of_labels(fig, len(f"b/{name}-0"), lines=2)  # in two, for 480 px


def test_longer_labels_lift_the_title_and_widen_the_margin():
    short, long_ = reachability_matrix(_frame("api")), reachability_matrix(_frame("x" * 40))
    # 38 more characters at 60 degrees: at least 38 * 5.6 * sin(60) = 184 px more
    assert long_.layout.title.pad.b - short.layout.title.pad.b >= _label_px(38)
    assert long_.layout.margin.t - short.layout.margin.t >= _label_px(38)


def test_a_two_line_title_has_room_for_its_second_line():
    # 12 namespaces, shown 3 by 3: the title gets a second line that says so
    rows = [{"src": f"n{i:02d}/w{k}", "dst": f"n{(i + 1) % 12:02d}/w{k}", "src_namespace": f"n{i:02d}",
             "dst_namespace": f"n{(i + 1) % 12:02d}", "protocol": "TCP", "ports": ["80"]}
            for i in range(12) for k in range(i + 1)]
    df = pd.DataFrame(rows)
    whole = reachability_matrix(df, max_labels=5, max_namespaces=None)
    cut = reachability_matrix(df, max_labels=5, max_namespaces=3)
    assert "<sup>" in cut.layout.title.text and "<sup>" not in whole.layout.title.text
    # the title in two lines (it fits a 480 px figure so), the note under it in two
    _check_title_clear_of_labels(whole, 3, lines=2)
    _check_title_clear_of_labels(cut, 3, lines=4)
    assert cut.layout.margin.t >= whole.layout.margin.t + 2 * TITLE_LINE


def test_without_labels_the_title_sits_on_the_plot():
    # past 150 columns the labels are hidden: no band for them above the plot
    fig = reachability_matrix(_frame("w", n=160), max_labels=1000)
    assert fig.layout.xaxis.showticklabels is False
    assert fig.layout.title.pad.b - TITLE_LINE < 20  # its first line's, the second's under it
    _check_title_clear_of_labels(fig, 0, lines=2)
