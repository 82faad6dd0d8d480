"""reachability_matrix's ``max_namespaces``: a matrix aggregated to namespaces shows the
busiest source and destination namespaces, and says how much it shows of how much."""

from __future__ import annotations

import pandas as pd
import pytest

from k8sviz.errors import InputError
from k8sviz.viz import reachability_matrix

from .conftest import HOSTILE


def _frame() -> pd.DataFrame:
    """12 namespaces (one named with markup), each workload talking to the next namespace's:
    namespace i sends i + 1 connections, so the busiest sources are the last ones."""
    names = [f"n{i:02d}" for i in range(11)] + [f"x-{HOSTILE}"]
    rows = []
    for i, a in enumerate(names):
        b = names[(i + 1) % len(names)]
        for k in range(i + 1):
            rows.append({"src": f"{a}/w{k}", "dst": f"{b}/w{k}", "src_namespace": a, "dst_namespace": b,
                         "protocol": "TCP", "ports": [str(8000 + k)]})
    rows.append({"src": "n00/w0", "dst": "n05/w0", "src_namespace": "n00", "dst_namespace": "n05",
                 "protocol": "UDP", "ports": ["53"]})
    return pd.DataFrame(rows)


def test_the_busiest_namespaces_are_shown_and_counted():
    df = _frame()
    whole = reachability_matrix(df, max_labels=5, max_namespaces=None)
    fig = reachability_matrix(df, max_labels=5, max_namespaces=3)
    bad = f"x-{HOSTILE}".replace("<", "&lt;").replace(">", "&gt;")
    # sources by connections sent: x- (12), n10 (11), n09 (10); destinations by received
    assert list(fig.data[0].y) == ["n09", "n10", bad]
    assert list(fig.data[0].x) == ["n00", "n10", bad]
    # the cells shown are the whole matrix's
    w = whole.data[0]
    cell = {(y, x): (z, t) for y, zr, tr in zip(w.y, w.z, w.text, strict=True)
            for x, z, t in zip(w.x, zr, tr, strict=True)}
    for y, zr, tr in zip(fig.data[0].y, fig.data[0].z, fig.data[0].text, strict=True):
        for x, z, t in zip(fig.data[0].x, zr, tr, strict=True):
            if z is not None:
                assert cell[(y, x)] == (z, t)
    assert fig.layout.meta == {"sources": [3, 12], "destinations": [3, 12], "pairs": [3, 13],
                               "connections": [33, 79], "max_namespaces": 3}
    # the note under the title, in lines that fit a 480 px figure
    note = fig.layout.title.text.split("<br><sup>", 1)[1].replace("</sup><br><sup>", " ")
    assert note == ("the 3 of 12 source and 3 of 12 destination namespaces with the most connections: "
                    "3 of 13 namespace pairs, 33 of 79 workload connections</sup>")
    assert "<script" not in fig.to_json()


def test_under_the_cap_or_none_the_matrix_is_as_before():
    df = _frame()
    whole = reachability_matrix(df, max_labels=5, max_namespaces=None)
    assert reachability_matrix(df, max_labels=5).to_json() == whole.to_json()  # 12 under the default
    assert reachability_matrix(df, max_labels=5, max_namespaces=12).to_json() == whole.to_json()
    assert whole.layout.meta is None
    # a matrix per workload is never cut
    small = df[df["src_namespace"].isin(["n00", "n01"])]
    assert reachability_matrix(small, max_namespaces=1).layout.meta is None


@pytest.mark.parametrize("cap", [0, -3, "10", 2.5, True])
def test_a_cap_that_is_no_count_of_one_or_more_is_an_input_error(cap):
    with pytest.raises(InputError, match=r"max_namespaces must be a count of namespaces \(1 or more\)"):
        reachability_matrix(_frame(), max_labels=5, max_namespaces=cap)
    # also where the matrix is not aggregated, so nothing would be cut
    with pytest.raises(InputError, match="max_namespaces"):
        reachability_matrix(_frame(), max_namespaces=cap)
