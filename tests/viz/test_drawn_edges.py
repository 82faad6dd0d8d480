"""network_figure's ``max_edges``: past it, violating edges first, then observed, then
allowed, each by the workload edges merged, and a note that says what was left out."""

from __future__ import annotations

import json

import networkx as nx
import plotly.graph_objects as go
import pytest

from k8sviz.errors import InputError
from k8sviz.viz import network_figure

from .conftest import HOSTILE, make_graph

BAD_NS = f"ns-{HOSTILE}"


def _namespaces_graph(order: int = 1) -> nx.MultiDiGraph:
    """12 namespaces of 12 workloads each (one named with markup).  Namespace ``n<i>`` has
    ``i + 1`` allowed workload edges to ``n<i+1>`` (so a namespace edge merging more of them
    ranks higher), one pair of namespaces violates, two are observed in flows.  ``order``:
    -1 adds nodes and edges in reverse."""
    names = [f"n{i:02d}" for i in range(11)] + [BAD_NS]
    nodes = [(f"{ns}/w{j}", {"namespace": ns, "zone": "z", "kind": "workload", "labels": {"app": f"w{j}"}})
             for ns in names for j in range(12)]
    edges = []
    for i in range(len(names)):
        a, b = names[i], names[(i + 1) % len(names)]
        for k in range(i + 1):
            edges.append((f"{a}/w{k}", f"{b}/w{k}", {"kind": "allowed", "protocol": "TCP",
                                                     "ports": [str(8000 + k)]}))
    edges.append(("n03/w0", "n07/w1", {"kind": "allowed", "protocol": "TCP", "ports": ["5432"],
                                       "violation": True}))
    edges.append(("n05/w0", "n09/w0", {"kind": "observed", "protocol": "TCP", "port": 80, "count": 5}))
    edges.append(("n06/w0", "n01/w0", {"kind": "observed", "protocol": "TCP", "port": 80, "count": 50}))
    G = nx.MultiDiGraph()
    G.add_nodes_from(nodes[::order])
    G.add_edges_from(edges[::order])
    return G


def _drawn(fig: go.Figure) -> dict[str, list[str]]:
    """Per category, the hover texts of the edges drawn (one per edge)."""
    out = {}
    for cat, name in (("allowed", "allowed by policy"), ("observed", "observed in flows"),
                      ("violating", "violates segmentation")):
        trace = next(t for t in fig.data if t.name == f"{name} (hover)")
        out[cat] = list(trace.text or ())
    return out


def _note(fig: go.Figure) -> str:
    return next(a.text for a in fig.layout.annotations if "edges drawn" in a.text)


def _pairs(texts: list[str]) -> list[str]:
    return [t.split("</b>")[0].removeprefix("<b>") for t in texts]


def test_every_violating_edge_is_kept_before_any_other():
    G = _namespaces_graph()
    whole = _drawn(network_figure(G, aggregate="namespace", max_edges=None))
    assert [len(whole[c]) for c in ("violating", "observed", "allowed")] == [1, 2, 12]
    fig = network_figure(G, aggregate="namespace", max_edges=5)
    drawn = _drawn(fig)
    assert drawn["violating"] == whole["violating"]
    assert drawn["observed"] == whole["observed"]
    # the allowed namespace edges merging the most workload edges: hostile -> n00 (12), n10 -> hostile
    bad = BAD_NS.replace("<", "&lt;").replace(">", "&gt;")
    assert _pairs(drawn["allowed"]) == [f"n10 → {bad}", f"{bad} → n00"]
    assert fig.layout.meta == {"edges": 15, "drawn": 5, "max_edges": 5,
                               "categories": {"violating": [1, 1], "observed": [2, 2], "allowed": [2, 12]}}


def test_only_part_of_the_violating_edges_fits():
    G = _namespaces_graph()
    for i in range(4):  # three more violating namespace edges, merging 1, 2 and 3 workload edges
        for k in range(i):
            G.add_edge(f"n0{i}/w{k}", "n10/w0", kind="allowed", protocol="UDP", ports=["53"], violation=True)
    fig = network_figure(G, aggregate="namespace", max_edges=2)
    drawn = _drawn(fig)
    assert _pairs(drawn["violating"]) == ["n02 → n10", "n03 → n10"]
    assert drawn["observed"] == drawn["allowed"] == []
    note = _note(fig)
    assert note.startswith("<b>2 of 18 edges drawn</b> (max_edges=2), <b>only 2 of the 4 violating edges</b>:"
                           " violating 2 of 4, observed 0 of 2, allowed 0 of 12; every node is drawn.")
    assert fig.layout.annotations[0].font.color == "#b71c1c"


def test_the_note_states_the_counts_with_separators():
    G = nx.MultiDiGraph()
    for i in range(2100):
        G.add_edge(f"a/w{i}", f"b/w{i}", kind="allowed", protocol="TCP", ports=["80"])
        G.add_node(f"a/w{i}", namespace="a")
        G.add_node(f"b/w{i}", namespace="b")
    fig = network_figure(G)  # the default cap
    assert fig.layout.meta["drawn"] == 2000 and fig.layout.meta["edges"] == 2100
    note = _note(fig)
    assert note.startswith("<b>2,000 of 2,100 edges drawn</b> (max_edges=2,000): allowed 2,000 of 2,100;")
    nodes = sum(len(t.x) for t in fig.data if t.name.startswith("zone:"))
    assert nodes == 4200  # the nodes of the edges left out too
    assert len(_drawn(fig)["allowed"]) == 2000


def test_the_order_is_deterministic():
    a = network_figure(_namespaces_graph(), aggregate="namespace", max_edges=6)
    b = network_figure(_namespaces_graph(order=-1), aggregate="namespace", max_edges=6)
    assert a.to_json() == b.to_json()
    # every workload-level edge merges one: the most flows first, then ports, then names
    c = network_figure(_namespaces_graph(), max_edges=2)
    assert _pairs(_drawn(c)["observed"]) == ["n06/w0 → n01/w0"]
    c = network_figure(_namespaces_graph(), max_edges=4)
    assert _pairs(_drawn(c)["allowed"]) == ["n00/w0 → n01/w0"]
    G = _namespaces_graph()
    G.add_edge("n04/w0", "n05/w0", kind="allowed", protocol="UDP", ports=["53", "5353"])
    c = network_figure(G, max_edges=4)
    assert _pairs(_drawn(c)["allowed"]) == ["n04/w0 → n05/w0"]


def test_hostile_names_stay_escaped():
    fig = network_figure(_namespaces_graph(), aggregate="namespace", max_edges=3)
    shown = fig.to_plotly_json()
    for t in shown["data"]:
        t.pop("customdata", None)  # node ids for callbacks, never drawn
    raw = json.dumps(shown, default=str)
    assert "<script" not in raw and "&lt;script&gt;" in raw
    assert "script" not in _note(fig)


def test_none_draws_every_edge():
    G = _namespaces_graph()
    fig = network_figure(G, max_edges=None)
    assert sum(len(v) for v in _drawn(fig).values()) == G.number_of_edges()
    assert fig.layout.meta is None


def test_a_graph_under_the_cap_is_drawn_as_before():
    G = make_graph()
    for kw in ({}, {"aggregate": "namespace"}, {"aggregate": "zone"}, {"layout": "spring"}):
        fig = network_figure(G, **kw)
        assert fig.to_json() == network_figure(G, max_edges=None, **kw).to_json()
        assert fig.layout.meta is None and all("edges drawn" not in a.text for a in fig.layout.annotations)
    # exactly at the cap: nothing left out
    assert network_figure(G, max_edges=5).to_json() == network_figure(G, max_edges=None).to_json()


def test_the_cap_applies_to_the_categories_shown():
    G = _namespaces_graph()
    fig = network_figure(G, aggregate="namespace", show=("allowed",), max_edges=12)
    assert fig.layout.meta is None


def test_positions_do_not_depend_on_the_cap():
    G = _namespaces_graph()
    for layout in ("grouped", "spring"):
        whole = network_figure(G, layout=layout, max_edges=None)
        cut = network_figure(G, layout=layout, max_edges=3)
        nodes = [(list(t.x), list(t.y)) for t in whole.data if t.name.startswith("zone:")]
        assert nodes == [(list(t.x), list(t.y)) for t in cut.data if t.name.startswith("zone:")]


def test_a_negative_cap_is_an_input_error():
    for cap in (-1, "5", 2.5, False):
        with pytest.raises(InputError, match=r"max_edges must be a count of edges \(0 or more\)"):
            network_figure(make_graph(), max_edges=cap)
