"""The analyses on the bundled demo cluster: the documented gaps are found, locked-down
namespaces are not flagged."""

import json

import pandas as pd

import networkx as nx
import pytest

import k8sviz
from k8sviz.sources.demo import demo_path


@pytest.fixture(scope="module")
def demo():
    snap = k8sviz.demo()
    reach = k8sviz.reachability(snap)
    zones = k8sviz.load_zones(demo_path("zones.yaml"))
    return snap, reach, zones


@pytest.fixture(scope="module")
def findings(demo):
    snap, reach, zones = demo
    return k8sviz.gaps(snap, reach, zones=zones)


def rows(df, finding, name=None, namespace=None):
    sel = df[df["finding"] == finding]
    if name is not None:
        sel = sel[sel["name"] == name]
    if namespace is not None:
        sel = sel[sel["namespace"] == namespace]
    return sel


def test_documented_gaps_are_found(findings):
    df = findings
    # 1. monitoring has no default deny; prometheus egress unrestricted
    assert len(rows(df, "namespace-without-default-deny", namespace="monitoring")) == 1
    assert len(rows(df, "no-egress-isolation", "prometheus")) == 1
    assert len(rows(df, "internet-egress", "prometheus")) == 1
    # 2. over-broad allow into the CDE
    cv = rows(df, "allow-all-rule", "card-vault-maintenance")
    assert cv["severity"].tolist() == ["critical"]
    assert (
        cv["evidence"].item()["policy"] == "pci/card-vault-maintenance" and cv["evidence"].item()["rule"] == 0
    )
    assert "PCI-1.3.1" in cv["controls"].item()
    # 3. internet egress (and the metadata endpoint) from recommendationservice
    assert len(rows(df, "internet-egress", "recommendationservice")) == 1
    assert "TCP/443" in rows(df, "metadata-egress", "recommendationservice")["evidence"].item()["ports"]
    assert len(rows(df, "allow-all-rule", "recommendation-egress-ml-api")) == 1
    zv = rows(df, "zone-violation", "recommendationservice")
    assert any("shop/recommendation-egress-ml-api egress[0]" in e["rules"] for e in zv["evidence"])
    # 4. dead policy
    assert rows(df, "policy-selects-nothing")["name"].tolist() == ["cartservice-legacy-allow"]
    # hostNetwork node-agent is outside the boundary
    assert {"host-network", "privileged", "host-port"} <= set(rows(df, "host-network").finding) | set(
        df[df["name"] == "node-agent"]["finding"]
    )
    # exposure: the LoadBalancer-fronted controller is the internet entry
    ii = rows(df, "internet-ingress")
    assert ii["name"].tolist() == ["ingress-nginx-controller"]
    # ... and the zones file approves it (external -> dmz on 80/443): evidence, not a gap
    assert ii["severity"].item() == "info" and ii["controls"].item() == ["PCI-1.4.1"]
    assert ii["evidence"].item()["approved_by"] == ["allow[0]"] and not ii["evidence"].item()["unapproved_ports"]


def test_locked_down_namespaces_are_quiet(findings):
    df = findings
    for ns in ("shop", "pci", "ingress-nginx"):
        sel = df[df["namespace"] == ns]
        assert (
            not sel["finding"]
            .isin(
                [
                    "no-ingress-isolation",
                    "no-egress-isolation",
                    "namespace-without-policy",
                    "namespace-without-default-deny",
                ]
            )
            .any()
        ), ns
    assert not rows(df, "internet-ingress", namespace="pci").any().any()
    assert not rows(df, "observed-but-policy-denies").any().any()  # no flows given


def test_segmentation_and_expiry(demo):
    snap, reach, zones = demo
    seg = k8sviz.segmentation(snap, reach, zones)
    assert seg.today.isoformat() == "2024-03-10"  # collected_at
    v = seg.violations
    # checkout -> payment is justified; nothing else crosses into the CDE end to end but the
    # hostNetwork node-agent, which no rule opens: the API lets a pod's own node in.
    into_cde = v[v["dst_zone"] == "pci"]
    assert set(into_cde["src"]) == {"kube-system/node-agent"} and not into_cde["rules"].map(len).any()
    assert seg.matrix.loc["shop", "pci"] == "partial"
    # the scrape exception expired on 2024-01-31
    scrape = v[(v["src"] == "monitoring/prometheus") & (v["dst"] == "shop/cartservice")]
    assert scrape["expired_exceptions"].item() == ["allow[6]"]
    assert scrape["rules"].item() == ["shop/allow-prometheus-scrape ingress[0]"]
    earlier = k8sviz.segmentation(snap, reach, zones, today="2024-01-15").violations
    assert not ((earlier["src"] == "monitoring/prometheus") & (earlier["dst_zone"] == "shop")).any()
    html = seg._repr_html_()
    assert "<script" not in html and "monitoring/prometheus" in html


def test_paths_and_blast_radius(demo):
    snap, reach, zones = demo
    paths = k8sviz.internet_paths(reach, "pci", zones)
    vault = paths[paths["target"] == "pci/card-vault"].iloc[0]
    # node-agent is exposed (hostNetwork, hostPort 9100) and is its nodes: it reaches the
    # vault pod on its node on every port, whatever the vault's policies.
    assert vault["path"] == ["internet", "kube-system/node-agent", "pci/card-vault"]
    assert "TCP/1-65535" in vault["ports"][-1]
    # Through the policies' own rules, the way in is the storefront's (five hops).
    for a, b, port in (("ingress-nginx/ingress-nginx-controller", "shop/frontend", 8080),
                       ("shop/frontend", "shop/checkoutservice", 5050),
                       ("shop/checkoutservice", "pci/paymentservice", 50051),
                       ("pci/paymentservice", "pci/card-vault", 5432)):
        assert reach.can_reach(a, b, port), (a, b)
    blast = k8sviz.blast_radius(reach, "shop/frontend").set_index("workload")
    assert blast.loc["pci/card-vault", "hops"] == 3
    assert blast.loc["shop/checkoutservice", "hops"] == 1
    pod = next(p.key for p in snap.pods if p.workload_key == "shop/frontend")
    assert k8sviz.blast_radius(reach, pod, max_hops=1)["hops"].max() == 1


def test_graph_roundtrip_on_demo(demo):
    snap, reach, zones = demo
    G = k8sviz.graph(snap, reach, zones=zones)
    assert G.nodes["pci/card-vault"]["zone"] == "pci"
    assert G.nodes["ingress-nginx/ingress-nginx-controller"]["exposed"]
    edge = G.get_edge_data("shop/checkoutservice", "pci/paymentservice")["allowed:TCP"]
    assert edge["ports"] == ["50051"] and "pci/paymentservice-ingress ingress[0]" in edge["rules"]
    text = json.dumps(nx.node_link_data(G, edges="edges"))
    H = nx.node_link_graph(json.loads(text), edges="edges")
    assert H.number_of_edges() == G.number_of_edges() and H.graph["sha256"] == snap.sha256


def test_controls_summary(findings):
    s = k8sviz.controls_summary(findings).set_index("control")
    # Manual in the benchmark: evidence for an assessor, not a verdict
    assert s.loc["CIS-5.3.2", "status"] == "manual" and s.loc["CIS-5.3.2", "findings"] > 0
    assert s.loc["PCI-1.3.1", "worst"] == "critical"
    assert s.loc["PCI-11.4.5", "status"] == "manual"


def test_findings_are_json_serializable(findings):
    json.dumps(findings.to_dict("records"))
    assert set(findings.attrs["checked"]) >= {"zone-violation", "redundant-rule", "host-network"}


def test_pod_level_segmentation(demo):
    snap, reach, zones = demo
    seg = k8sviz.segmentation(snap, reach, zones, level="pod")
    assert seg.violations["src"].str.startswith("monitoring/prometheus-0").any()
    into_cde = seg.violations[seg.violations["dst_zone"] == "pci"]
    assert len(into_cde) and into_cde["src"].str.startswith("kube-system/node-agent-").all()


def test_gaps_reuses_a_given_segmentation(demo, findings):
    snap, reach, zones = demo
    seg = k8sviz.segmentation(snap, reach, zones)
    reused = k8sviz.gaps(snap, reach, segmentation=seg)  # zones and date come from seg
    pd.testing.assert_frame_equal(reused, findings)
    assert "zone-violation" in reused.attrs["checked"]
    assert k8sviz.gaps(snap, reach, zones=demo_path("zones.yaml"), segmentation=seg).equals(findings)
    # A segmentation that does not match what is given beside it is refused, not silently used.
    older = k8sviz.segmentation(snap, reach, zones, today="2024-01-15")
    with pytest.raises(k8sviz.QueryError, match="judged on 2024-01-15"):
        k8sviz.gaps(snap, reach, zones=zones, today=seg.today, segmentation=older)
    other = k8sviz.load_zones({"zones": {"pci": {"namespaceSelector": {"matchLabels": {"compliance": "pci"}}}}})
    with pytest.raises(k8sviz.QueryError, match="other zones"):
        k8sviz.gaps(snap, reach, zones=other, segmentation=seg)
    with pytest.raises(k8sviz.QueryError, match="must come from k8sviz.segmentation"):
        k8sviz.gaps(snap, reach, segmentation=seg.violations)
