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
    ("2024-03-10T00:24:36.681143+00:00", "2024-03-10<wbr>T00:24:36<wbr>.681143<wbr>+00:00"),
    ("agent_event=4, lost_events=4", "agent_<wbr>event=<wbr>4, lost_<wbr>events=<wbr>4"),
    ("gke-shop-pool-1-32c3bb81-5nj2", "gke-shop-pool-<wbr>1-32c3bb81-5nj2"),
    # numbers, addresses, port ranges and plain words stay whole
    ("-6.999501", "-6.999501"),
    ("10.0.0.0/8, 1-65535", "10.0.0.0/8, 1-65535"),
    ("cartservice", "cartservice"),
    ("calico-reserved-label", "calico-reserved-label"),
])
def test_cells_may_wrap_at_the_separators_of_long_names(text, shown):
    assert _cell(text, breaks=True) == shown
    assert _cell(text) == text  # only where asked (the report's tables)


def test_wrap_places_keep_hostile_text_escaped():
    for text in (HOSTILE, HOSTILE2, "a<b>&c/d=e"):
        cell = _cell(text, breaks=True)
        assert "<" not in cell.replace("<wbr>", "") and ">" not in cell.replace("<wbr>", "")
        assert cell.replace("<wbr>", "") == _cell(text)
    head = table_html(pd.DataFrame({"expired_exceptions": [1]}), breaks=True)
    assert "<th>expired_<wbr>exceptions</th>" in head
