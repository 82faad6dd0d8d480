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
