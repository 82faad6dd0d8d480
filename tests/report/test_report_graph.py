"""The report's connection graph above the aggregation size: its allowed edges stay in the
engine's frame (data.allowed_edges), and the page is the one the whole graph gives."""

from __future__ import annotations

import dataclasses
import json

import k8sviz
from k8sviz.report import collect, render

from ..viz.test_network_frame import SYNTH_ZONES, _synthetic_flows, _synthetic_objects

WHEN = "2026-01-01T00:00:00Z"


def test_aggregated_report_is_the_page_of_the_whole_graph(tmp_path):
    (tmp_path / "cluster.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List",
                                                       "items": _synthetic_objects()}))
    (tmp_path / "zones.yaml").write_text(SYNTH_ZONES)
    snap = k8sviz.load(tmp_path / "cluster.json")
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
    assert f"{G.number_of_nodes()} nodes, {G.number_of_edges()} edges, shown aggregated" in page
    assert 'id="fig-graph-zones"' in page


def test_small_graph_is_built_whole():
    snap = k8sviz.demo()
    data = collect(snap, zones=k8sviz.demo_path("zones.yaml"), generated_at=WHEN)
    assert data.allowed_edges is None and data.graph.number_of_nodes() <= 150
    G = k8sviz.graph(snap, reach=data.reach, zones=data.zones)
    assert sorted(data.graph.edges(keys=True)) == sorted(G.edges(keys=True))
