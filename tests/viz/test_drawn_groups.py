"""network_figure's ``max_groups``: an aggregated figure draws the namespaces (or zones) with
the most violating edges, the rest as one node in the ring's centre, and a note that says
what was merged and left out; and its ring's lower default edge cap."""

from __future__ import annotations

import json

import networkx as nx
import plotly.graph_objects as go
import pytest

from k8sviz.errors import InputError
from k8sviz.viz import network_figure
from k8sviz.viz.network import MAX_DRAWN_EDGES, RING_EDGES

from .conftest import HOSTILE

BAD_NS = f"z-{HOSTILE}"
BAD = BAD_NS.replace("<", "&lt;").replace(">", "&gt;")


def _graph() -> nx.MultiDiGraph:
    """Seven namespaces of four workloads.  Violating workload edges: a -> b (2 of them),
    a -> c, d -> a, b -> e (2), c -> f (2) and e -> f; so a touches 3 violating namespace
    edges; b, c, e and f 2, merging 4 workload edges for b and 3 for the others; of those e
    touches the most edges (4).  Allowed: b -> c, e -> d (3 workload edges), e -> the hostile
    namespace, f -> the hostile namespace, the hostile namespace -> a."""
    names = ["a", "b", "c", "d", "e", "f", BAD_NS]
    G = nx.MultiDiGraph()
    for ns in names:
        for j in range(4):
            G.add_node(f"{ns}/w{j}", namespace=ns, zone="pci" if ns in "ab" else "web", kind="workload",
                       labels={})
    bad = {"kind": "allowed", "protocol": "TCP", "ports": ["5432"], "violation": True}
    ok = {"kind": "allowed", "protocol": "TCP", "ports": ["80"]}
    for s, d, attrs in [("a/w0", "b/w0", bad), ("a/w1", "b/w1", {**bad, "ports": ["6379"]}),
                        ("a/w0", "c/w0", bad), ("d/w0", "a/w0", bad), ("b/w0", "e/w0", bad),
                        ("b/w1", "e/w1", bad), ("c/w0", "f/w0", bad), ("c/w1", "f/w1", bad),
                        ("e/w0", "f/w0", bad), ("b/w0", "c/w0", ok), ("e/w0", "d/w0", ok),
                        ("e/w1", "d/w1", ok), ("e/w2", "d/w2", ok), ("e/w3", f"{BAD_NS}/w3", ok),
                        ("f/w0", f"{BAD_NS}/w0", ok), (f"{BAD_NS}/w0", "a/w0", ok)]:
        G.add_edge(s, d, **attrs)
    return G


def _nodes(fig: go.Figure) -> dict[str, str]:
    """Node id -> its hover text, over every zone's trace."""
    return {i: h for t in fig.data if t.name.startswith("zone:")
            for i, h in zip(t.customdata, t.hovertext, strict=True)}


def _edges(fig: go.Figure) -> dict[str, list[str]]:
    out = {}
    for cat, name in (("allowed", "allowed by policy"), ("violating", "violates segmentation")):
        trace = next(t for t in fig.data if t.name == f"{name} (hover)")
        out[cat] = sorted(trace.text or ())
    return out


def _pair(text: str) -> str:
    return text.split("</b>")[0].removeprefix("<b>")


def test_the_namespaces_with_the_most_violating_edges_are_drawn():
    # a (3 violating edges), b (2, merging the most workload edges), e (2, touching the most edges)
    fig = network_figure(_graph(), aggregate="namespace", max_groups=3)
    assert set(_nodes(fig)) == {"a", "b", "e", "(4 other namespaces)"}
    # then, past the first tiers, by name: c before f
    assert set(_nodes(network_figure(_graph(), aggregate="namespace", max_groups=4))) == {
        "a", "b", "e", "c", "(3 other namespaces)"}


def test_the_rest_is_one_node_whose_edges_are_merged_and_counted():
    fig = network_figure(_graph(), aggregate="namespace", max_groups=3)
    other = "(4 other namespaces)"
    edges = _edges(fig)
    # among the kept: as they were; with the rest: one edge per kept node, direction and kind
    assert [_pair(t) for t in edges["violating"]] == sorted(
        ["a → b", "b → e", f"a → {other}", f"e → {other}", f"{other} → a"])
    assert [_pair(t) for t in edges["allowed"]] == sorted([f"b → {other}", f"e → {other}", f"{other} → a"])
    merged = next(t for t in edges["allowed"] if t.startswith(f"<b>e → {other}"))
    assert "aggregated edges: 4" in merged  # e -> d's three workload edges and e -> hostile's one
    # c -> f (violating) and f -> hostile (allowed) are among the rest: counted, not drawn
    assert fig.layout.meta["groups"] == {
        "groups": [3, 7], "max_groups": 3, "other": other,
        "among": {"violating": 1, "allowed": 1},
        "with": {"violating": [3, 3], "allowed": [3, 4]},
    }
    assert "drawn" not in fig.layout.meta  # every edge left fits under max_edges
    hover = _nodes(fig)[other]
    assert hover.startswith("<b>4 other namespaces</b>, drawn as one node")
    assert "workloads: 16" in hover and "edges between them, not drawn: 2" in hover
    # the rest in the ring's centre
    trace = next(t for t in fig.data if t.name.startswith("zone:") and other in t.customdata)
    i = list(trace.customdata).index(other)
    assert (trace.x[i], trace.y[i]) == (0.0, 0.0)


def test_the_note_says_what_was_merged_and_left_out():
    fig = network_figure(_graph(), aggregate="namespace", max_groups=3, max_edges=4)
    (note,) = [a.text for a in fig.layout.annotations if "max_groups" in a.text]
    assert note == (
        "<b>The 3 of 7 namespaces with the most violating edges are drawn</b> (max_groups=3); the other"
        " 4 are one node, (4 other namespaces), in the centre:<br>its 7 edges with the namespaces drawn"
        " (violating 3, allowed 4) merged into 6; the 2 edges among its namespaces not drawn (violating 1,"
        " allowed 1).<br><b>4 of 8 edges drawn</b> (max_edges=4), <b>only 4 of the 5 violating edges</b>:"
        " violating 4 of 5, allowed 0 of 3; every node is drawn.<br>Kept first: violating, then observed,"
        " then allowed; within each, the edges merging the most workload edges, then flows, then ports.")
    assert fig.layout.meta["drawn"] == 4 and fig.layout.meta["groups"]["groups"] == [3, 7]


def _colors(fig: go.Figure) -> dict[str, str]:
    return {t.name: t.marker.color for t in fig.data if t.name.startswith("zone:")}


def test_a_zone_keeps_its_colour_when_its_namespaces_are_merged():
    G = _graph()
    for j in range(4):  # a third zone, "app", of one namespace the cut merges
        G.add_node(f"g/w{j}", namespace="g", zone="app", kind="workload", labels={})
    whole = _colors(network_figure(G, aggregate="namespace", max_groups=None))
    cut = network_figure(G, aggregate="namespace", max_groups=3)
    assert "g" not in _nodes(cut)
    assert _colors(cut) == {**{k: v for k, v in whole.items() if k != "zone: app"},
                            "zone: mixed: app, web": "#6d4c41"}
    # by zone, alike: the one zone merged is drawn in its own colour
    whole = _colors(network_figure(G, aggregate="zone", max_groups=None))
    cut = network_figure(G, aggregate="zone", max_groups=2)
    assert set(_nodes(cut)) == {"pci", "web", "(1 other zone)"} and _colors(cut) == whole


def test_hostile_names_stay_escaped():
    G = _graph()
    for j in range(4):  # the hostile namespace the busiest: 4 more violating edges
        G.add_edge(f"{BAD_NS}/w{j}", f"d/w{j}", kind="allowed", violation=True, ports=["1"], protocol="TCP")
        G.add_edge(f"{BAD_NS}/w{j}", f"a/w{j}", kind="allowed", violation=True, ports=["1"], protocol="TCP")
    fig = network_figure(G, aggregate="namespace", max_groups=2)
    assert set(_nodes(fig)) == {"a", BAD_NS, "(5 other namespaces)"}  # ids, for callbacks
    shown = fig.to_plotly_json()
    for t in shown["data"]:
        t.pop("customdata", None)  # node ids for callbacks, never drawn
    raw = json.dumps(shown, default=str)
    assert "<script" not in raw and f"<b>namespace {BAD}</b>" in raw


def test_under_the_cap_or_none_the_figure_is_as_before():
    G = _graph()
    whole = network_figure(G, aggregate="namespace", max_groups=None)
    assert network_figure(G, aggregate="namespace", max_groups=7).to_json() == whole.to_json()
    assert network_figure(G, aggregate="namespace").to_json() == whole.to_json()  # 7 under the default 30
    assert whole.layout.meta is None
    # zones: two, under any cap of two
    assert network_figure(G, aggregate="zone", max_groups=2).to_json() == \
        network_figure(G, aggregate="zone", max_groups=None).to_json()
    # a figure of workloads is never cut by it
    assert network_figure(G, max_groups=1).to_json() == network_figure(G, max_groups=None).to_json()


def test_zones_are_cut_alike():
    # pci and web touch 3 violating zone edges each; web's merge more workload edges (8 to 7)
    fig = network_figure(_graph(), aggregate="zone", max_groups=1)
    assert set(_nodes(fig)) == {"web", "(1 other zone)"}
    note = fig.layout.annotations[0].text
    assert note.startswith("<b>The 1 of 2 zones with the most violating edges are drawn</b> (max_groups=1);"
                           " the other 1 is one node, (1 other zone), in the centre")


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "30"])
def test_a_bad_cap_is_an_input_error(bad):
    with pytest.raises(InputError, match="max_groups"):
        network_figure(_graph(), aggregate="namespace", max_groups=bad)
    with pytest.raises(InputError, match="max_groups"):
        network_figure(_graph(), max_groups=bad)


def _ring(pairs: int) -> nx.MultiDiGraph:
    """Allowed edges between ``pairs`` distinct pairs of namespaces (20 namespaces)."""
    G = nx.MultiDiGraph()
    for i in range(20):
        G.add_node(f"n{i:02d}/w", namespace=f"n{i:02d}", zone="z", kind="workload", labels={})
    links = [(a, b) for a in range(20) for b in range(20) if a != b][:pairs]
    for a, b in links:
        G.add_edge(f"n{a:02d}/w", f"n{b:02d}/w", kind="allowed", protocol="TCP", ports=["80"])
    return G


def test_an_aggregated_ring_draws_fewer_edges_by_default():
    G = _ring(RING_EDGES + 1)
    fig = network_figure(G, aggregate="namespace")
    assert (fig.layout.meta["drawn"], fig.layout.meta["max_edges"]) == (RING_EDGES, RING_EDGES)
    assert network_figure(G, aggregate="namespace", max_edges="auto").to_json() == fig.to_json()
    # an explicit cap is the cap, and the figure of workloads keeps the higher default
    assert network_figure(G, aggregate="namespace", max_edges=MAX_DRAWN_EDGES).layout.meta is None
    assert network_figure(G).layout.meta is None
    assert network_figure(_ring(RING_EDGES), aggregate="namespace").layout.meta is None
