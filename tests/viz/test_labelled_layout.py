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
    the widest a character is drawn (its name whole, as the trace's meta keeps it: the figure
    writes the names that fit a notebook's narrowest cell, the report's script the whole)."""
    boxes = {}
    for t in fig.data:
        if not t.name.startswith("zone:") or "text" not in (t.mode or ""):
            continue
        for x, y, text in zip(t.x, t.y, t.meta["labels"], strict=True):
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


def test_names_that_would_meet_in_a_narrow_cell_are_cut_in_their_middle_and_escaped():
    """Twenty-four long names in one namespace: laid out apart at full size, but a notebook's
    narrowest cell draws the ring at less than half of it, where no script sets them smaller.
    The figure writes each cut in its middle (told apart by its end), escaped after the cut
    (no entity cut in two), or whole above or beside its node where there is room; and keeps
    the whole, escaped, and its place under its node for the report's script."""
    from k8sviz.viz._common import esc, text_width

    G = nx.MultiDiGraph()
    for j in range(24):
        G.add_node(f'shop/say "payment" <reconciliation> worker-{j}', namespace="shop", zone="web",
                   kind="workload", labels={})
    G.add_node("db/postgres", namespace="db", zone="cde", kind="workload", labels={})
    fig = k8sviz.network_figure(G)
    (trace,) = [t for t in fig.data if t.name == "zone: web"]
    whole = [f'say "payment" <reconciliation> worker-{j}' for j in range(24)]
    assert sorted(trace.meta["labels"]) == sorted(esc(w) for w in whole)
    assert list(trace.meta["places"]) == ["bottom center"] * 24
    texts = list(trace.text)
    assert len(set(texts)) == 24, texts  # each told apart
    assert sum("…" in t for t in texts) >= 20, texts  # most are cut: no room round them
    assert set(trace.textposition) - {"bottom center"}, trace.textposition  # some moved
    for t, w, place in zip(texts, trace.meta["labels"], trace.textposition, strict=True):
        if "…" not in t:  # whole: moved to room above or beside it, or a neighbour was
            assert t == w, (t, place)
            continue
        head, _, tail = t.partition("…")
        assert w.startswith(head) and w.endswith(tail)
        assert "&#34;" in head or '"' not in head  # a quote is written whole, &#34;
        assert text_width(t, 9) < text_width(w, 9)
    assert {t.text[0] for t in fig.data if t.name == "zone: cde"} == {"postgres"}  # it fits


def test_a_short_name_is_moved_where_there_is_room_before_it_is_cut():
    """At a 480 px notebook cell, kube-system's coredns met a node's name under it and was cut
    to "cor…ns", with white above it: a name that meets another is first tried above its node
    and to its sides (Plotly's per-point textposition), and cut only where none has room."""
    from k8sviz.viz.network import _NAME_PLACES, _NOTEBOOK_WIDTH, _name_box

    snap = k8sviz.demo()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        flows = k8sviz.load_flows(k8sviz.demo_path("flows"), snapshot=snap)
    fig = k8sviz.network_figure(k8sviz.graph(snap, flows=flows))
    written = {n: (t, w, p) for tr in fig.data if tr.mode == "markers+text"
               for n, t, w, p in zip(tr.customdata, tr.text, tr.meta["labels"], tr.textposition, strict=True)}
    text, whole, place = written["kube-system/coredns"]
    assert text == whole == "coredns" and place in _NAME_PLACES[1:]
    # a name moved is whole or cut, never hidden; one left under its node is cut or whole
    assert all(t for t, _, _ in written.values())
    assert _NOTEBOOK_WIDTH == 480
    # the places' boxes: above is above the node, beside is beside it
    top, right, left = (_name_box(p, 0, 0, 30, 10) for p in _NAME_PLACES[1:])
    assert top[3] <= -5 and right[0] >= 5 and left[2] <= -5
