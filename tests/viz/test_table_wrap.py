"""The report's tables may wrap a cell at the separators of long names, not only at spaces."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from k8sviz.viz.html import table_html

from .conftest import HOSTILE, HOSTILE2


def _cell(value, **kw) -> str:
    out = table_html(pd.DataFrame({"c": [value]}), **kw)
    return re.search(r"<td>(.*?)</td>", out).group(1)


@pytest.mark.parametrize(("text", "shown"), [
    ("shop/recommendationservice", "shop/<wbr>recommendation<wbr>service"),
    ("NetworkPolicy/shop/productcatalogservice-egress",
     "Network<wbr>Policy/<wbr>shop/<wbr>product<wbr>catalog<wbr>service-egress"),
    # a timestamp wraps between its pieces, each piece whole (Chromium wraps a date after a
    # hyphen and a time after a colon)
    ("2024-03-10T00:24:36.681143+00:00",
     '<span class="nowrap">2024-03-10</span><wbr>T<span class="nowrap">00:24:36</span><wbr>.681143'
     '<wbr><span class="nowrap">+00:00</span>'),
    ("2024-03-10T08:13:37Z",
     '<span class="nowrap">2024-03-10</span><wbr>T<span class="nowrap">08:13:37Z</span>'),
    ("2024-03-10 12:00:00, 9:30",
     '<span class="nowrap">2024-03-10</span> <span class="nowrap">12:00:00</span>, 9:30'),
    ("judged_on=2024-03-10", 'judged_<wbr>on=<wbr><span class="nowrap">2024-03-10</span>'),
    ("fd00:10:20::1, 12024-03-10", "fd00:10:20:<wbr>:<wbr>1, 12024-03-10"),  # not dates nor times
    ("agent_event=4, lost_events=4", "agent_<wbr>event=<wbr>4, lost_<wbr>events=<wbr>4"),
    ("gke-shop-pool-1-32c3bb81-5nj2", "gke-shop-pool-<wbr>1-32c3bb81-5nj2"),
    # numbers, addresses, port ranges and plain words stay whole: a port range (with its
    # protocol) in an element that keeps it on one line, as Chromium wraps it after its hyphen
    ("-6.999501", "-6.999501"),
    ("10.0.0.0/8, 1-65535", '10.0.0.0/8, <span class="nowrap">1-65535</span>'),
    ("TCP/80, TCP/444-6442, UDP/1-52", 'TCP/80, <span class="nowrap">TCP/444-6442</span>, '
                                       '<span class="nowrap">UDP/1-52</span>'),
    ("ports=[444-6442], a/b", 'ports=<wbr>[<span class="nowrap">444-6442</span>], a/<wbr>b'),
    ("2024-03-10, 10.0.0.1-10.0.0.9", '<span class="nowrap">2024-03-10</span>, 10.0.0.1-10.0.0.9'),
    ("cartservice", "cartservice"),
    ("calico-reserved-label", "calico-reserved-label"),
])
def test_cells_may_wrap_at_the_separators_of_long_names(text, shown):
    assert _cell(text, breaks=True) == shown
    assert _cell(text) == text  # only where asked (the report's tables)


def _marks_out(cell: str) -> str:
    return re.sub(r'<wbr>|<span class="(?:nowrap|entry)">|</span>', "", cell)


def test_wrap_places_keep_hostile_text_escaped():
    for text in (HOSTILE, HOSTILE2, "a<b>&c/d=e", "<b>TCP/1-2</b>&3-4<", "'1-2\"/<",
                 "<2024-03-10T00:00:00+01:00>&'12:00'"):
        cell = _cell(text, breaks=True)
        assert "<" not in _marks_out(cell) and ">" not in _marks_out(cell)
        assert _marks_out(cell) == _cell(text)
    head = table_html(pd.DataFrame({"expired_exceptions": [1]}), breaks=True)
    assert "<th>expired_<wbr>exceptions</th>" in head


def test_columns_below_their_row_are_escaped_and_span_the_table():
    df = pd.DataFrame({"kind": ["a", "b"], "n": [1, 2], "rule": [HOSTILE, ""],
                       "sample": [["f.json:1", "g/h.json:2"], []]})
    out = table_html(df, breaks=True, below=["rule", "sample"], total=3)
    head = re.search(r"<thead>(.*?)</thead>", out).group(1)
    assert re.findall(r"<th>(.*?)</th>", head) == ["kind", "n"]
    under = re.findall(r'<tr class="below"><td colspan="2">(.*?)</td></tr>', out)
    assert len(under) == 1  # nothing to say under the second row: no line
    lines = re.findall(r'<div><span class="below-name">(\w+)</span> (.*?)</div>', under[0])
    assert [(name, _marks_out(text)) for name, text in lines] == [
        ("rule", _cell(HOSTILE)), ("sample", "f.json:1, g/h.json:2")]
    assert "<" not in _marks_out(lines[0][1])
    assert '<tr class="more"><td colspan="2">... 1 more row not shown</td></tr>' in out
    # each sample in an element that moves to the next line whole, its comma in it
    assert re.findall(r'<span class="entry">(.*?)</span>(?= |$)', lines[1][1]) == [
        "f.<wbr>json:<wbr>1,", "g/<wbr>h.<wbr>json:<wbr>2"]


def test_the_entries_of_a_list_below_their_row_are_escaped_each():
    entries = [HOSTILE, "a/b:1", HOSTILE2]
    out = table_html(pd.DataFrame({"k": ["x"], "sample": [entries]}), breaks=True, below=["sample"])
    line = re.search(r'<span class="below-name">sample</span> (.*?)</div>', out).group(1)
    assert line.count('<span class="entry">') == 3
    assert "<" not in _marks_out(line) and _marks_out(line) == _cell(entries)
    # without breaks (a notebook's table), the plain cell; a list of lists keeps its " | "
    plain = table_html(pd.DataFrame({"k": ["x"], "sample": [entries]}), below=["sample"])
    assert "entry" not in plain
    hops = table_html(pd.DataFrame({"k": ["x"], "p": [[["TCP/53"], ["TCP/1"]]]}), breaks=True, below=["p"])
    assert "entry" not in hops and "TCP/53 | TCP/1" in _marks_out(hops)
