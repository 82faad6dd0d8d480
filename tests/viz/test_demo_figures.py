"""Figures on the real demo pipeline (loader, engine, analysis, flows), not hand-made inputs."""

from __future__ import annotations

import pytest

import k8sviz


@pytest.fixture(scope="module")
def demo():
    snap = k8sviz.demo()
    reach = k8sviz.reachability(snap)
    zones = k8sviz.load_zones(k8sviz.demo_path("zones.yaml"))
    return snap, reach, zones


def _node_ids(fig):
    return sorted(i for t in fig.data if t.name.startswith("zone:") for i in t.customdata)


def test_network_figure_on_demo_graph(demo):
    snap, reach, zones = demo
    G = k8sviz.graph(snap, reach=reach, zones=zones)
    seg = k8sviz.segmentation(snap, reach, zones)
    fig = k8sviz.network_figure(G, violations=seg.violations)
    ids = _node_ids(fig)
    assert "pci/card-vault" in ids and "external: internet" in ids
    assert not any(i.startswith("svc:") for i in ids)  # Services hidden by default
    zones_drawn = {t.name for t in fig.data if t.name.startswith("zone:")}
    assert {"zone: pci", "zone: shop", "zone: dmz"} <= zones_drawn
    viol = next(t for t in fig.data if t.name == "violates segmentation (hover)")
    assert len(viol.x) > 0
    allowed = next(t for t in fig.data if t.name == "allowed by policy (hover)")
    hover = " ".join(allowed.text)
    assert "ports: TCP/50051" in hover and "rule: " in hover

    assert _node_ids(k8sviz.network_figure(G, aggregate="zone")) == sorted(
        ["dmz", "external", "kube-system", "monitoring", "pci", "shop"]
    )
    assert "pci" in _node_ids(k8sviz.network_figure(G, aggregate="namespace"))
    drill = _node_ids(k8sviz.network_figure(G, namespace="pci"))
    assert "pci/paymentservice" in drill and "shop/checkoutservice" in drill
    assert "shop/adservice" not in drill


def test_heatmap_and_matrix_on_demo(demo):
    snap, reach, zones = demo
    seg = k8sviz.segmentation(snap, reach, zones)
    hm = k8sviz.segmentation_heatmap(seg)
    assert "pci" in hm.data[0].y
    m = k8sviz.reachability_matrix(reach.to_frame(level="workload"))
    assert "pci/paymentservice" in m.data[0].x


def test_findings_and_controls_on_demo(demo):
    snap, reach, zones = demo
    gaps = k8sviz.gaps(snap, reach=reach, zones=zones)
    fig = k8sviz.findings_summary(gaps)
    assert fig.data[0].name == "critical"
    ctl = k8sviz.controls_figure(k8sviz.controls_summary(gaps))
    assert "fail" in ctl.data[0].x
    # the bars' axes say what they count (notebook 4 showed bare numbers beside status words)
    assert (ctl.layout.xaxis.title.text, ctl.layout.yaxis.title.text) == ("status", "controls")
    assert dict(zip(ctl.data[0].x, ctl.data[0].y, strict=True)) == {"pass": 3, "fail": 13, "manual": 4}


def test_flow_figures_on_demo(demo):
    snap, reach, zones = demo
    if not k8sviz.demo_path("flows").is_dir():
        pytest.skip("demo flows are not in this checkout")
    flows = k8sviz.load_flows(k8sviz.demo_path("flows"), snapshot=snap)
    s = k8sviz.flow_sankey(k8sviz.flow_edges(flows, level="namespace")).data[0]
    assert "shop (src)" in s.node.label and "pci (dst)" in s.node.label
    t = k8sviz.flow_timeline(flows)
    assert sum(sum(tr.y) for tr in t.data) == len(flows)
    G = k8sviz.graph(snap, reach=reach, flows=flows, zones=zones)
    fig = k8sviz.network_figure(G, show=("observed",))
    observed = next(t for t in fig.data if t.name == "observed in flows (hover)")
    assert len(observed.x) > 0


def test_network_figure_draws_the_endpoints_flows_add(demo, tmp_path):
    """Cluster nodes, hidden addresses and a host endpoint with a hostile name, from real flows:
    each drawn as its type, its hover escaped, observed ports as observed."""
    import json
    import warnings

    snap, reach, zones = demo
    front = next(p for p in snap.pods if p.workload_key == "shop/frontend")
    evil = "<img src=x onerror=alert(1)>"
    doc = {"start_time": 1710496800, "end_time": 1710497100, "action": "allow", "proto": "tcp",
           "reporter": "dst", "dest_port": 8080, "num_flows": 1, "bytes_in": 1, "bytes_out": 1,
           "source_type": "hep", "source_namespace": "-", "source_name": "-", "source_name_aggr": evil,
           "source_ip": "-", "dest_type": "wep", "dest_namespace": "shop", "dest_name": front.name,
           "dest_name_aggr": "-", "dest_ip": front.ips[0]}
    (tmp_path / "hep.json").write_text(json.dumps(doc) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        flows = k8sviz.load_flows(k8sviz.demo_path("flows"), tmp_path / "hep.json", snapshot=snap)
    G = k8sviz.graph(snap, reach=reach, flows=flows, zones=zones)
    assert G.nodes[f"node/{evil}"]["type"] == "node"
    fig = k8sviz.network_figure(G, collapse_external=False)
    drawn = {i: (t, k) for t in fig.data if t.name.startswith("zone:") for k, i in enumerate(t.customdata)}
    node = "node/gke-shop-pool-1-32c3bb81-6swf"
    trace, k = drawn[node]
    assert trace.marker.symbol[k] == "pentagon"
    assert "addresses: 10.128.0.4" in trace.hovertext[k] and "namespace: (nodes)" in trace.hovertext[k]
    assert "external-public" in drawn and f"node/{evil}" in drawn
    trace, k = drawn[f"node/{evil}"]
    shown = trace.hovertext[k] + " " + str(trace.text[k])  # what plotly renders (customdata it does not)
    assert "<img" not in shown and "&lt;img src=x onerror=alert(1)&gt;" in shown
    observed = next(t for t in fig.data if t.name == "observed in flows (hover)")
    assert "<img" not in " ".join(observed.text)
    scrape = [h for h in observed.text if f"→ {node}</b>" in h]
    assert scrape and all("ports: TCP/" in h and "all ports" not in h for h in scrape)
    assert "(nodes)" in _node_ids(k8sviz.network_figure(G, aggregate="namespace"))
    assert "external" in _node_ids(k8sviz.network_figure(G, aggregate="zone"))
    collapsed = _node_ids(k8sviz.network_figure(G))
    assert "external: internet" in collapsed and "external-public" not in collapsed
