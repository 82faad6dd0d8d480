"""The allowed-connections matrix's title: above the rotated column labels on the top axis, in
a top margin that has room for both, however long the labels and however many title lines."""

from __future__ import annotations

import html
import math

import pandas as pd

from k8sviz.viz import reachability_matrix
from k8sviz.viz._common import esc

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


def _written(axis) -> list[str]:
    """An axis's labels as written: its categories, or the text of each where some are cut."""
    return list(axis.ticktext) if axis.ticktext is not None else []


def test_the_title_is_above_the_longest_column_label():
    for name in ("api", "a-rather-long-workload-name-of-a-payments-backend"):
        df = _frame(name)
        fig = reachability_matrix(df)
        assert fig.layout.xaxis.side == "top" and fig.layout.xaxis.tickangle == -60
        longest = max(map(len, _written(fig.layout.xaxis) or fig.data[0].x))
        assert longest == len(f"b/{name}-0") if name == "api" else longest < 30  # a long one cut
        _check_title_clear_of_labels(fig, longest, lines=2)  # in two, for 480 px


def test_longer_labels_lift_the_title_and_widen_the_margin():
    short, long_ = reachability_matrix(_frame("api")), reachability_matrix(_frame("x" * 14))
    # 11 more characters at 60 degrees: at least 11 * 5.6 * sin(60) = 53 px more
    assert long_.layout.xaxis.ticktext is None  # not cut
    assert long_.layout.title.pad.b - short.layout.title.pad.b >= _label_px(11)
    assert long_.layout.margin.t - short.layout.margin.t >= _label_px(11)


def test_a_two_line_title_has_room_for_its_second_line():
    # 12 namespaces, shown 3 by 3: the title gets a second line that says so
    rows = [{"src": f"n{i:02d}/w{k}", "dst": f"n{(i + 1) % 12:02d}/w{k}", "src_namespace": f"n{i:02d}",
             "dst_namespace": f"n{(i + 1) % 12:02d}", "protocol": "TCP", "ports": ["80"]}
            for i in range(12) for k in range(i + 1)]
    df = pd.DataFrame(rows)
    whole = reachability_matrix(df, max_labels=5, max_namespaces=None)
    cut = reachability_matrix(df, max_labels=5, max_namespaces=3)
    assert "<sup>" in cut.layout.title.text and "<sup>" not in whole.layout.title.text
    # the title in three lines (it fits a 392 px figure so), the note under it in three
    _check_title_clear_of_labels(whole, 3, lines=3)
    _check_title_clear_of_labels(cut, 3, lines=6)
    assert cut.layout.margin.t >= whole.layout.margin.t + 2 * TITLE_LINE


def test_without_labels_the_title_sits_on_the_plot():
    # past 150 columns the labels are hidden: no band for them above the plot
    fig = reachability_matrix(_frame("w", n=160), max_labels=1000)
    assert fig.layout.xaxis.showticklabels is False
    assert fig.layout.title.pad.b - TITLE_LINE < 20  # its first line's, the second's under it
    _check_title_clear_of_labels(fig, 0, lines=2)


def test_a_long_name_is_written_cut_and_whole_in_the_hover():
    """A name past 140 px is written cut in its middle: its start and end, escaped after the
    cut (a quote whole, ``&#34;``); the axis's category, that the hover says, is the whole."""
    name = 'say "hi" <b>to</b> the-payment-reconciliation-worker'
    fig = reachability_matrix(_frame(name, n=2))
    x = fig.layout.xaxis
    whole = [f"b/{name}-{k}" for k in range(2)]
    assert list(fig.data[0].x) == list(x.tickvals) == [esc(w) for w in whole]
    for text, w in zip(x.ticktext, whole, strict=True):
        head, cut, tail = text.partition("…")
        assert cut and esc(w).startswith(head) and esc(w).endswith(tail)
        assert "<" not in text and "&quot;" not in text
    assert x.ticktext[0] != x.ticktext[1]  # told apart by their ends
    assert fig.layout.yaxis.ticktext is None  # the short row names as they are


def test_a_long_title_given_is_written_in_lines_each_escaped():
    """A caller's title, long and with markup in it, is cut into lines at its spaces, each
    escaped (a quote ``&#34;``): the lines' words are the title's, in order."""
    from k8sviz.viz import segmentation_heatmap
    from k8sviz.viz._common import TITLE_FONT, TITLE_ROOM, text_width

    title = ' '.join(['say "hi" <b>to</b> the-zones'] * 4)
    seg = pd.DataFrame([["allowed", "denied"], ["denied", "allowed"]], index=["a", "b"], columns=["a", "b"])
    for fig in (segmentation_heatmap(seg, title=title), reachability_matrix(_frame("api"), title=title)):
        lines = fig.layout.title.text.split("<br>")
        assert len(lines) >= 2 and " ".join(lines) == esc(title)
        assert all("<b>" not in line and '"' not in line for line in lines) and "&#34;" in lines[0]
        assert all(text_width(html.unescape(line), TITLE_FONT) <= TITLE_ROOM for line in lines)
