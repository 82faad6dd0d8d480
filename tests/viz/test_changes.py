"""The change-review figure: changed connections per namespace pair, by kind."""

from __future__ import annotations

import pandas as pd
import pytest

import k8sviz
from k8sviz.viz.changes import CHANGE_COLORS

from .conftest import HOSTILE


def _row(src, dst, change, src_type="workload", dst_type="workload"):
    return {"src": src, "dst": dst, "src_type": src_type, "dst_type": dst_type, "protocol": "TCP",
            "change": change, "ports_before": [], "ports_after": [], "added": [], "removed": []}


def test_counts_per_pair_and_kind_with_openings_first():
    df = pd.DataFrame([
        _row("a/x", "b/y", "removed"), _row("a/x", "b/z", "removed"), _row("a/x", "b/z", "removed"),
        _row("c/x", "10.0.0.0/8", "added", dst_type="external"), _row("c/w", "b/y", "widened"),
    ])
    fig = k8sviz.changes_figure(df)
    bars = {t.name: dict(zip(t.y, t.x, strict=True)) for t in fig.data}
    assert bars["added"] == {"c → external": 1, "c → b": 0, "a → b": 0}
    assert bars["widened"]["c → b"] == 1 and bars["removed"]["a → b"] == 3
    assert list(fig.data[0].y) == ["c → b", "c → external", "a → b"]  # openings first, then most changes, then name
    assert [t.marker.color for t in fig.data] == [CHANGE_COLORS[t.name] for t in fig.data]


def test_top_pairs_only_and_an_empty_diff():
    df = pd.DataFrame([_row(f"n{i}/x", "b/y", "removed") for i in range(30)])
    fig = k8sviz.changes_figure(df, top=5)
    assert len(fig.data[0].y) == 5 and "top 5 of 30 pairs" in fig.layout.xaxis.title.text
    empty = k8sviz.changes_figure(df.iloc[:0])
    assert empty.layout.annotations[0].text == "no connection changed"
    with pytest.raises(k8sviz.InputError, match="expected one of the columns src"):
        k8sviz.changes_figure(df.drop(columns=["src"]))  # not a reachability_diff frame


def test_namespace_names_are_escaped():
    fig = k8sviz.changes_figure(pd.DataFrame([_row(f"{HOSTILE}/x", "b/y", "added")]))
    label = fig.data[0].y[0]
    assert "<" not in label and "&lt;" in label


def test_on_the_demo_remediation():
    before, after = k8sviz.demo(), k8sviz.load(k8sviz.demo_path("remediated.k8sviz.json"))
    df = k8sviz.reachability_diff(k8sviz.reachability(before), k8sviz.reachability(after))
    fig = k8sviz.changes_figure(df)
    assert sum(sum(t.x) for t in fig.data) == len(df)
    assert {t.name for t in fig.data} == set(df["change"])
