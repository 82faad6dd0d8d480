from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest

HOSTILE = "<script>window.__pwned=1;alert(1)</script>"
HOSTILE2 = '"><img src=x onerror="window.__pwned=2">'


def make_graph() -> nx.MultiDiGraph:
    G = nx.MultiDiGraph()
    G.add_node(
        "shop/frontend",
        namespace="shop",
        labels={"app": "frontend", "evil": HOSTILE},
        zone="web",
        exposure="internet",
        host_network=False,
        kind="workload",
    )
    G.add_node("shop/cart", namespace="shop", labels={"app": "cart"}, zone="web", kind="workload")
    G.add_node(
        "pci/payment", namespace="pci", labels={"app": "payment", "x": HOSTILE2}, zone="cde", kind="workload"
    )
    G.add_node(
        "kube-system/agent", namespace="kube-system", labels={}, zone=None, host_network=True, kind="workload"
    )
    G.add_node("internet", namespace=None, kind="external")
    G.add_edge(
        "internet",
        "shop/frontend",
        kind="allowed",
        protocol="TCP",
        ports=["8080"],
        rules=["shop/allow-web ingress[0]"],
    )
    G.add_edge("shop/frontend", "shop/cart", kind="allowed", protocol="TCP", ports=["7070"], rules=["r1"])
    G.add_edge("shop/frontend", "shop/cart", kind="observed", protocol="TCP", ports=["7070"], count=12)
    G.add_edge(
        "shop/cart",
        "pci/payment",
        kind="allowed",
        protocol="TCP",
        ports=["50051"],
        rules=[HOSTILE],
        violation=True,
    )
    G.add_edge("kube-system/agent", "pci/payment", kind="observed", protocol="TCP", ports=["5432"], count=3)
    return G


@pytest.fixture
def graph() -> nx.MultiDiGraph:
    return make_graph()


@pytest.fixture
def reach_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "src": "shop/frontend",
                "dst": "shop/cart",
                "src_namespace": "shop",
                "dst_namespace": "shop",
                "src_type": "workload",
                "dst_type": "workload",
                "protocol": "TCP",
                "ports": ["7070"],
            },
            {
                "src": "shop/cart",
                "dst": "pci/payment",
                "src_namespace": "shop",
                "dst_namespace": "pci",
                "src_type": "workload",
                "dst_type": "workload",
                "protocol": "TCP",
                "ports": ["50051", "8000-8100"],
            },
            {
                "src": "internet",
                "dst": "shop/frontend",
                "src_namespace": None,
                "dst_namespace": "shop",
                "src_type": "external",
                "dst_type": "workload",
                "protocol": "TCP",
                "ports": ["8080"],
            },
            {
                "src": f"shop/{HOSTILE}",
                "dst": "shop/cart",
                "src_namespace": "shop",
                "dst_namespace": "shop",
                "src_type": "workload",
                "dst_type": "workload",
                "protocol": "UDP",
                "ports": ["53"],
            },
        ]
    )


@pytest.fixture
def flows() -> pd.DataFrame:
    t0 = pd.Timestamp("2024-03-10T08:00:00Z")
    rows = []
    for i in range(40):
        rows.append(
            {
                "time": t0 + pd.Timedelta(seconds=30 * i),
                "src_namespace": "shop" if i % 3 else "monitoring",
                "src_workload": "frontend",
                "dst_namespace": "pci" if i % 5 == 0 else "shop",
                "dst_workload": "cart",
                "dst_port": 7070,
                "protocol": "TCP",
                "verdict": ["allowed", "denied", "unknown", "allowed"][i % 4],
            }
        )
    return pd.DataFrame(rows)


@pytest.fixture
def gaps() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "finding": "namespace-without-policy",
                "severity": "high",
                "namespace": "default",
                "name": "",
                "detail": "no NetworkPolicy selects any pod",
                "controls": ["PCI-1.2.1", "CIS-5.3.2"],
            },
            {
                "finding": "host-network",
                "severity": "medium",
                "namespace": "kube-system",
                "name": "node-agent",
                "detail": HOSTILE,
                "controls": ["PCI-1.3.1"],
            },
            {
                "finding": "host-network",
                "severity": "medium",
                "namespace": "kube-system",
                "name": "other",
                "detail": "x",
                "controls": ["PCI-1.3.1"],
            },
        ]
    )
