"""An aggregated figure's ring: its nodes, sized by their workloads, never cover their
neighbours at the figure's height; and the centre node's label, where every spoke meets, is
drawn over the spokes on a white ground."""

from __future__ import annotations

import math

import networkx as nx
import plotly.graph_objects as go
import pytest

from k8sviz.viz import network_figure

from .conftest import HOSTILE


def _graph(namespaces: int, big: int = 300) -> nx.MultiDiGraph:
    """``namespaces`` namespaces of 1 to 60 workloads, the first of ``big`` (drawn at the largest
    size), each sending to another; every fourth edge violates.  One namespace has markup."""
    G = nx.MultiDiGraph()
    names = [f"ns{i:03d}" for i in range(namespaces - 1)] + [f"x-{HOSTILE}"]
    for i, ns in enumerate(names):
        for j in range(big if i == 0 else 1 + (i * 37) % 60):
            G.add_node(f"{ns}/w{j}", namespace=ns, zone="web" if i % 3 else "pci", kind="workload", labels={})
    G.add_node("203.0.113.0/24", kind="external", address_class="internet")
    for i, ns in enumerate(names):
        G.add_edge(f"{ns}/w0", f"{names[(i * 7 + 3) % len(names)]}/w0", kind="allowed", protocol="TCP",
                   ports=["80"], violation=i % 4 == 0)
        G.add_edge("203.0.113.0/24", f"{ns}/w0", kind="allowed", protocol="TCP", ports=["443"])
    return G


def _markers(fig: go.Figure) -> list[tuple[str, float, float, float]]:
    """Every node drawn: (id, x, y, marker size in pixels)."""
    out = []
    for t in fig.data:
        if t.name.startswith("zone:"):
            sizes = t.marker.size
            out += [(i, x, y, s) for i, x, y, s in zip(t.customdata, t.x, t.y, sizes, strict=True)]
    return out


def _scale(fig: go.Figure) -> float:
    """Pixels per unit of the plot, as drawn at the figure's height (the ring fits the height)."""
    lo, hi = fig.layout.yaxis.range
    plot = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    return plot / (hi - lo)


@pytest.mark.parametrize(("namespaces", "max_groups"), [(137, None), (45, 30), (31, None), (8, 30)])
def test_no_node_covers_another(namespaces, max_groups):
    fig = network_figure(_graph(namespaces), aggregate="namespace", max_groups=max_groups)
    nodes = _markers(fig)
    groups = namespaces + 1  # and the outside addresses' node
    assert len(nodes) == (groups if max_groups is None or groups <= max_groups else max_groups + 1)
    scale = _scale(fig)
    lo, hi = fig.layout.yaxis.range
    for k, (a, xa, ya, sa) in enumerate(nodes):
        # inside the plot, with its whole marker
        assert lo * scale + sa / 2 <= ya * scale <= hi * scale - sa / 2, a
        for b, xb, yb, sb in nodes[k + 1:]:
            apart = math.hypot(xa - xb, ya - yb) * scale
            assert apart >= (sa + sb) / 2, (a, b, apart, sa, sb)


def test_nodes_keep_their_sizes_where_the_ring_has_room():
    # eight namespaces and the outside: each node as large as its workloads make it
    fig = network_figure(_graph(8), aggregate="namespace")
    sizes = {i: s for i, _, _, s in _markers(fig)}
    assert sizes["ns000"] == 48  # 300 workloads: the largest a node is drawn
    assert sizes["ns001"] == 12 + 4 * math.sqrt(1 + 37 % 60)
    # on a ring of 137 the largest is cut to the room between neighbours, and still the largest
    crowded = {i: s for i, _, _, s in _markers(network_figure(_graph(137), aggregate="namespace",
                                                              max_groups=None))}
    assert crowded["ns000"] < 48 and crowded["ns000"] == max(crowded.values())


def test_the_centre_label_is_drawn_over_the_spokes():
    fig = network_figure(_graph(45), aggregate="namespace", max_groups=30)
    other = "(16 other namespaces)"  # 46 groups with the outside
    (centre,) = [(x, y, s) for i, x, y, s in _markers(fig) if i == other]
    # not a trace's text, drawn among the spokes' traces: the node trace leaves it blank...
    for t in fig.data:
        if t.name.startswith("zone:"):
            assert all(text == "" for i, text in zip(t.customdata, t.text, strict=True) if i == other)
            assert all(text for i, text in zip(t.customdata, t.text, strict=True) if i != other)
    # ...and an annotation, drawn above every trace, says it on a white ground above the node
    (label,) = [a for a in fig.layout.annotations if a.text == other]
    assert (label.x, label.y) == centre[:2]
    assert label.yanchor == "bottom" and label.yshift >= centre[2] / 2
    assert label.showarrow is False
    r, g, b, alpha = (float(v) for v in label.bgcolor.removeprefix("rgba(").removesuffix(")").split(","))
    assert (r, g, b) == (255, 255, 255) and alpha >= 0.85


def test_an_uncut_ring_has_no_centre_label():
    fig = network_figure(_graph(8), aggregate="namespace")
    assert not fig.layout.annotations


@pytest.mark.parametrize("namespaces", [6, 12])
def test_a_ring_writes_each_name_away_from_its_centre(namespaces):
    """Under every node, the names of a small ring's two lowest nodes met in a narrow figure,
    and the chords from its top nodes ran through the names under them: a name is written
    above a node in the ring's upper part, under one in its lower part, on the side away from
    the centre, and under the nodes at the ring's sides; drawn whole past the axes."""
    fig = network_figure(_graph(namespaces), aggregate="namespace")
    seen = set()
    for t in fig.data:
        if not t.name.startswith("zone:"):
            continue
        assert t.cliponaxis is False
        for x, y, side in zip(t.x, t.y, t.textposition, strict=True):
            r = math.hypot(x, y)
            if abs(y) <= 0.5 * r:
                assert side == "bottom center"
            else:
                vertical, horizontal = side.split()
                assert vertical == ("top" if y > 0 else "bottom")
                assert horizontal == ("left" if x < -1e-6 * r else "right" if x > 1e-6 * r else "center")
            seen.add(side)
    assert {"top left", "top right", "bottom left", "bottom right", "bottom center"} <= seen
