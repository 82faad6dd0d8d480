"""The report's connection graph above the aggregation size: its allowed edges stay in the
engine's frame (data.allowed_edges), and the page is the one the whole graph gives."""

from __future__ import annotations

import dataclasses
import json
import re

import k8sviz
from k8sviz.report import collect, render

from ..viz.test_network_frame import SYNTH_ZONES, _synthetic_flows, _synthetic_objects

WHEN = "2026-01-01T00:00:00Z"


def _synthetic_cluster(tmp_path):
    """The synthetic cluster (past the report's node cap) and its zones file, written and loaded."""
    (tmp_path / "cluster.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List",
                                                       "items": _synthetic_objects()}))
    (tmp_path / "zones.yaml").write_text(SYNTH_ZONES)
    return k8sviz.load(tmp_path / "cluster.json")


def test_aggregated_report_is_the_page_of_the_whole_graph(tmp_path):
    snap = _synthetic_cluster(tmp_path)
    reach = k8sviz.reachability(snap)
    zones = k8sviz.load_zones(tmp_path / "zones.yaml")
    flows = _synthetic_flows(tmp_path, snap, reach, k8sviz.segmentation(snap, reach, zones).violations)
    data = collect(snap, flows=flows, zones=tmp_path / "zones.yaml", reach=reach, generated_at=WHEN)
    assert data.allowed_edges is not None and data.graph.number_of_nodes() > 150
    assert not any(d["kind"] == "allowed" for _, _, d in data.graph.edges(data=True))
    page = render(data)
    G = k8sviz.graph(snap, reach=reach, flows=data.flows, zones=data.zones)
    whole = dataclasses.replace(data, graph=G, allowed_edges=None, problems=list(data.problems))
    assert render(whole) == page
    assert f"{G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges, shown aggregated" in page
    assert 'id="fig-graph-zones"' in page


def test_small_graph_is_built_whole():
    snap = k8sviz.demo()
    data = collect(snap, zones=k8sviz.demo_path("zones.yaml"), generated_at=WHEN)
    assert data.allowed_edges is None and data.graph.number_of_nodes() <= 150
    G = k8sviz.graph(snap, reach=data.reach, zones=data.zones)
    assert sorted(data.graph.edges(keys=True)) == sorted(G.edges(keys=True))


def _graph_section(page: str) -> str:
    return page.split('<section id="graph">', 1)[1].split("</section>", 1)[0]


def test_a_graph_past_its_edge_cap_says_what_it_left_out_and_where_the_rest_are(tmp_path, monkeypatch):
    from k8sviz.report import _render

    snap = _synthetic_cluster(tmp_path)
    data = collect(snap, zones=tmp_path / "zones.yaml", generated_at=WHEN)
    assert data.allowed_edges is not None  # the aggregated figure of the report's own path
    monkeypatch.setattr(_render, "GRAPH_RING_EDGES", 7)
    monkeypatch.setattr(_render, "NAMESPACE_ROWS", 5)
    page = render(data)
    text = _graph_section(page)
    m = re.search(r'<p id="graph-edges-left-out">The figure draws 7 of the (\d+) edges between namespaces: '
                  r"<strong>only 7 of the (\d+) violating ones</strong>", text)
    assert m and int(m[1]) > int(m[2]) > 7
    # the figure's own note (plotly's JSON writes < as \u003c) gives the same counts
    note = f"7 of {m[1]} edges drawn</b> (max_edges=7), <b>only 7 of the {m[2]} violating edges</b>"
    assert note.replace("<", "\\u003c").replace("/", "\\u002f").replace(">", "\\u003e") in text
    # and the page says where every edge is: the links lead to what is on the page
    for target in ("allowed-ns-table", "allowed-ns-download", "segmentation"):
        assert f'href="#{target}"' in text and f'id="{target}"' in page
    pairs = re.search(r"the first 5 inline, all (\d+) in", text)
    assert pairs and f"The table shows the first 5 namespace pairs of {pairs[1]}" in page


def test_a_workload_graph_past_its_edge_cap_points_at_the_workload_table(monkeypatch):
    from k8sviz.report import _render

    data = collect(k8sviz.demo(), zones=k8sviz.demo_path("zones.yaml"), generated_at=WHEN)
    assert render(data).count("edges-left-out") == 0  # under the cap: as before
    monkeypatch.setattr(_render, "GRAPH_EDGES", 50)
    text = _graph_section(render(data))
    m = re.search(r"The figure draws 50 of the (\d+) edges between workloads: "
                  r"every violating one \((\d+)\) first", text)
    assert m and int(m[2]) < 50 < int(m[1])
    assert 'href="#allowed-table"' in text and 'href="#allowed-ns-table"' in text


def test_a_graph_past_its_namespace_cap_says_what_it_merged_and_where_the_rest_are(tmp_path, monkeypatch):
    from k8sviz.report import _render

    snap = _synthetic_cluster(tmp_path)
    data = collect(snap, zones=tmp_path / "zones.yaml", generated_at=WHEN)
    assert data.allowed_edges is not None
    page = render(data)
    assert "graph-edges-left-out" not in page and "max_groups" not in page  # under the caps
    monkeypatch.setattr(_render, "GRAPH_GROUPS", 3)
    text = _graph_section(render(data))
    m = re.search(r'<p id="graph-edges-left-out">The figure draws the 3 of the (\d+) namespaces with the most '
                  r"violating edges; the other (\d+) are one node in its centre, \((\d+) other namespaces\): "
                  r"their (\d+) edges with those drawn are merged into (\d+), their (\d+) edges among "
                  r"themselves \((\d+) violating\) are not drawn\. \(the note above it", text)
    assert m and int(m[1]) > 3 and int(m[2]) == int(m[3]) == int(m[1]) - 3
    assert int(m[4]) >= int(m[5]) > 0 and int(m[6]) >= int(m[7])
    # the figure's own note gives the same counts
    note = (f"the other {m[2]} are one node, ({m[2]} other namespaces), in the centre:<br>its {m[4]} edges"
            f" with the namespaces drawn")
    assert note.replace("<", "\\u003c").replace(">", "\\u003e") in text
    # zones (four here, one without an edge) are cut too
    assert ('<p id="graph-zone-edges-left-out">The figure draws the 3 of the 4 zones with the most violating '
            "edges; the other 1 is one node in its centre, (1 other zone), with no edge. (the note") in text
    for target in ("allowed-ns-table", "segmentation"):
        assert f'href="#{target}"' in text and f'id="{target}"' in page
