"""A figure of workloads that names them lays each namespace's out so that no two names overlap
(the report's browser test measures them drawn: tests/report/test_browser_screen.py)."""

from __future__ import annotations

import itertools
import warnings

import networkx as nx

import k8sviz
from k8sviz.viz.network import _LABEL_CHAR, _LABEL_LINE


def _label_boxes(fig) -> dict[str, tuple[float, float, float, float]]:
    """Each named node's label as laid out, in pixels: under its node, as wide as its text at
    the widest a character is drawn."""
    boxes = {}
    for t in fig.data:
        if not t.name.startswith("zone:") or "text" not in (t.mode or ""):
            continue
        for x, y, text in zip(t.x, t.y, t.text, strict=True):
            w = len(text) * _LABEL_CHAR / 2
            boxes[text] = (x - w, y - 7 - _LABEL_LINE, x + w, y - 7)
    return boxes


def _overlapping(boxes):
    return [(a, b) for (a, p), (b, q) in itertools.combinations(boxes.items(), 2)
            if p[0] < q[2] and q[0] < p[2] and p[1] < q[3] and q[1] < p[3]]


def test_the_demo_graph_names_every_workload_apart():
    snap = k8sviz.demo()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        flows = k8sviz.load_flows(k8sviz.demo_path("flows"), snapshot=snap)
    G = k8sviz.graph(snap, flows=flows, zones=k8sviz.demo_path("zones.yaml"))
    fig = k8sviz.network_figure(G)
    boxes = _label_boxes(fig)
    shop = {"recommendationservice", "productcatalogservice", "checkoutservice", "currencyservice"}
    assert shop <= set(boxes)
    assert _overlapping(boxes) == []
    # a pixel of the layout is one on the screen: the axes span it and the plot is as high
    low, high = fig.layout.yaxis.range
    assert fig.layout.height - fig.layout.margin.t - fig.layout.margin.b >= high - low
    assert 560 <= fig.layout.height <= 1000


def test_a_crowded_namespace_of_long_names_is_laid_out_in_rows_and_columns():
    G = nx.MultiDiGraph()
    for j in range(24):
        G.add_node(f"shop/payment-reconciliation-worker-{j}", namespace="shop", zone="web",
                   kind="workload", labels={})
    G.add_node("db/postgres", namespace="db", zone="cde", kind="workload", labels={})
    fig = k8sviz.network_figure(G)
    boxes = _label_boxes(fig)
    assert len(boxes) == 25 and _overlapping(boxes) == []
    assert k8sviz.network_figure(G, height=500).layout.height == 500  # a height given is kept
