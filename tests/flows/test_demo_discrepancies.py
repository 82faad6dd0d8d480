"""The anomalies documented in data/demo/README.md ("Flows") are found, and nothing else."""

from __future__ import annotations

import pandas as pd
import pytest

import k8sviz


@pytest.fixture(scope="module")
def found(demo_snap, demo_flows):
    return k8sviz.flow_discrepancies(demo_flows, k8sviz.reachability(demo_snap))


def test_exactly_the_documented_findings(found):
    assert sorted(zip(found["kind"], found["src"], found["dst"], strict=True)) == [
        ("allowed-but-unused", "monitoring/prometheus", "kube-system/coredns"),
        ("dropped-but-policy-allows", "shop/checkoutservice", "pci/paymentservice"),
        ("observed-but-policy-denies", "shop/loadgenerator", "shop/cartservice"),
    ]


def test_the_frame_is_the_documented_rows_with_their_endpoint_types(found, demo_flows):
    """The same three rows as before the types were added, and the columns before them unchanged."""
    assert list(found.columns) == [
        "kind", "src", "dst", "protocol", "ports", "flows", "records", "first_seen", "last_seen", "sample",
        "policy", "direction", "rule", "detail", "src_type", "dst_type", "rule_text"]  # added last
    assert len(found) == 3
    # The drop's earliest record is Hubble's, naming pods; the forwarded denial's a Calico row
    # aggregated by workload (flow_edges types these edges alike); the rule's ends are workloads.
    assert sorted(zip(found["kind"], found["src_type"], found["dst_type"], strict=True)) == [
        ("allowed-but-unused", "workload", "workload"),
        ("dropped-but-policy-allows", "pod", "pod"),
        ("observed-but-policy-denies", "workload", "workload"),
    ]
    edges = k8sviz.flow_edges(demo_flows)
    for r in found[found["kind"] != "allowed-but-unused"].itertuples():
        e = edges[(edges["src"] == r.src) & (edges["dst"] == r.dst) & (edges["protocol"] == r.protocol)]
        assert (e["src_type"].tolist(), e["dst_type"].tolist()) == ([r.src_type], [r.dst_type])


def test_lost_events_are_noted(found):
    assert found.attrs["k8sviz"]["lost_events"] == 66  # ring-buffer overflows (data/demo/README.md)


def test_a_forwarded_although_denied(found):
    row = found[found["kind"] == "observed-but-policy-denies"].iloc[0]
    # 12 connections, each reported by Hubble at both ends (24 records) and by Calico at both
    # ends (3 aggregated records of 12 flows a side): counted once
    assert row["ports"] == ["7070"] and row["flows"] == 12 and row["records"] == 27
    assert row["first_seen"] >= pd.Timestamp("2024-03-15T14:00:00Z")
    assert row["last_seen"] <= pd.Timestamp("2024-03-15T15:00:00Z")
    assert "shop/loadgenerator-egress" in row["policy"] and "shop/cartservice-ingress" in row["policy"]
    assert row["direction"] == "egress,ingress"
    assert len(row["sample"]) == 3 and all(":" in s for s in row["sample"])


def test_b_dropped_although_allowed(found):
    row = found[found["kind"] == "dropped-but-policy-allows"].iloc[0]
    # 6 connection attempts: 18 Hubble drop events (a SYN and two retransmissions each, one
    # 5-tuple) and 3 Calico deny records of 6 flows at the destination
    assert row["ports"] == ["50051"] and row["flows"] == 6 and row["records"] == 21
    # Hubble drops lie in the 8-minute window (Calico rows cover the hour)
    assert row["first_seen"] >= pd.Timestamp("2024-03-16T03:00:00Z")
    assert row["last_seen"] <= pd.Timestamp("2024-03-16T04:00:00Z")
    assert "pci/paymentservice-ingress ingress[0]" in row["rule"]
    assert "shop/checkoutservice-egress-payment egress[0]" in row["rule"]


def test_c_unused_rule(found):
    row = found[found["kind"] == "allowed-but-unused"].iloc[0]
    assert (row["policy"], row["direction"], row["rule"]) == ("kube-system/coredns-ingress", "ingress", "1")
    # the index is the rule frame's; the rule in words, as the observed rows name theirs
    assert row["rule_text"] == ("kube-system/coredns-ingress ingress[1]: from (every pod in namespaces "
                                "[kubernetes.io/metadata.name=monitoring]) on TCP/metrics")
    observed = found[found["kind"] != "allowed-but-unused"]
    assert list(observed["rule_text"]) == list(observed["rule"])
    assert row["ports"] == ["9153"] and row["flows"] == 0


def test_d_clock_skew(demo_flows):
    sk = k8sviz.clock_skew(demo_flows)
    assert set(sk["suspect_node"]) == {"gke-shop-pool-1-32c3bb81-5nj2"}


def test_e_public_egress(demo_flows):
    e = k8sviz.flow_edges(demo_flows)
    pub = e[(e["src_namespace"] == "shop") & (e["dst_type"] == "external")]
    assert set(pub["dst"]) == {"34.149.87.45", "external-public"}
    assert set(pub["src"]) == {"shop/recommendationservice"}
    assert all(p == ["443"] for p in pub["ports"])
