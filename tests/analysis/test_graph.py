import json

import networkx as nx
import pandas as pd

from k8sviz.analysis.graph import graph
from k8sviz.analysis.zones import load_zones

from .helpers import FakeReach, ns, pod, service, snapshot


def test_graph_nodes_edges_roundtrip():
    snap = snapshot(
        ns("a", team="x"),
        pod("a", "web", app="web"),
        pod("a", "db", app="db"),
        service("a", "web", {"app": "web"}, "LoadBalancer"),
        pod("kube-system", "agent", host_network=True, app="agent"),
    )
    reach = FakeReach(
        snap,
        edges=[("a/web", "a/db", "TCP", ["5432"]), ("0.0.0.0/5", "a/web", "TCP", ["80", "8000-8080"])],
        rules=[("a/db-in", "ingress", 0, "a/web", "a/db", "TCP", ["5432"])],
    )
    flows = pd.DataFrame(
        [
            {
                "time": pd.Timestamp("2026-01-01T00:00:00Z"),
                "src_namespace": "a",
                "src_workload": "web",
                "src_pod": "web",
                "src_ip": "10.0.0.1",
                "dst_namespace": None,
                "dst_workload": None,
                "dst_pod": None,
                "dst_ip": "8.8.8.8",
                "dst_port": 53,
                "protocol": "UDP",
                "verdict": "allowed",
                "bytes": 100,
            },
            {
                "time": pd.Timestamp("2026-01-01T00:00:05Z"),
                "src_namespace": "a",
                "src_workload": "web",
                "src_pod": "web",
                "src_ip": "10.0.0.1",
                "dst_namespace": None,
                "dst_workload": None,
                "dst_pod": None,
                "dst_ip": "8.8.8.8",
                "dst_port": 53,
                "protocol": "UDP",
                "verdict": "denied",
                "bytes": 0,
            },
        ]
    )
    zones = load_zones({"zones": {"x": {"namespaceSelector": {"matchLabels": {"team": "x"}}}}})
    G = graph(snap, reach, flows, zones=zones)
    assert isinstance(G, nx.MultiDiGraph)
    assert G.graph["sha256"] == snap.sha256 and G.graph["collected_at"] == "2026-06-01T00:00:00Z"
    web = G.nodes["a/web"]
    assert web["zone"] == "x" and web["exposed"] and web["labels"] == {"app": "web"}
    assert G.nodes["kube-system/agent"]["host_network"] and G.nodes["kube-system/agent"]["zone"] == "unzoned"
    assert G.nodes["0.0.0.0/5"]["type"] == "external" and G.nodes["0.0.0.0/5"]["address_class"] == "internet"
    allowed = [d for _, _, d in G.edges("a/web", data=True) if d["kind"] == "allowed"]
    assert allowed == [
        {
            "kind": "allowed",
            "protocol": "TCP",
            "ports": ["5432"],
            "port_labels": ["TCP/5432"],
            "rules": ["a/db-in ingress[0]"],
        }
    ]
    obs = [d for _, _, d in G.edges("a/web", data=True) if d["kind"] == "observed"]
    assert (
        obs[0]["count"] == 2 and obs[0]["verdicts"] == {"allowed": 1, "denied": 1} and obs[0]["bytes"] == 100
    )
    assert obs[0]["first_seen"] < obs[0]["last_seen"]
    assert any(d["kind"] == "selects" for _, _, d in G.out_edges("svc:a/web", data=True))
    data = json.loads(json.dumps(nx.node_link_data(G, edges="edges")))
    H = nx.node_link_graph(data, edges="edges")
    assert H.is_multigraph() and H.is_directed()
    assert dict(H.nodes(data=True)) == dict(G.nodes(data=True))
    assert sorted(map(str, H.edges(keys=True, data=True))) == sorted(map(str, G.edges(keys=True, data=True)))
    assert H.graph == G.graph


def test_graph_without_reach_and_pod_level():
    snap = snapshot(ns("a"), pod("a", "web", app="web"))
    G = graph(snap, level="pod", services=False)
    assert list(G.nodes) == ["a/web"] and G.number_of_edges() == 0 and G.nodes["a/web"]["type"] == "pod"


def test_graph_aggregates_allowed_edges_above_max_edges():
    import pytest

    snap = snapshot(
        ns("a", team="x"),
        ns("b"),
        pod("a", "web", app="web"),
        pod("a", "api", app="api"),
        pod("b", "db", app="db"),
    )
    reach = FakeReach(
        snap,
        edges=[
            ("a/web", "b/db", "TCP", ["5432"]),
            ("a/api", "b/db", "TCP", ["5432-5433"]),
            ("a/web", "a/api", "TCP", ["80"]),
            ("0.0.0.0/5", "a/web", "TCP", ["443"]),
        ],
        rules=[("b/db-in", "ingress", 0, "a/web", "b/db", "TCP", ["5432"])],
    )
    full = graph(snap, reach)
    assert full.graph["aggregated"] is None
    assert full.number_of_edges() == 4
    zones = load_zones({"zones": {"x": {"namespaceSelector": {"matchLabels": {"team": "x"}}}}})
    with pytest.warns(UserWarning, match="aggregated per namespace pair"):
        G = graph(snap, reach, zones=zones, max_edges=3)
    assert G.graph["aggregated"] == "namespace"
    assert {"a/web", "a/api", "b/db", "0.0.0.0/5"} <= set(G.nodes)  # endpoint nodes are kept
    assert G.nodes["ns:a"]["type"] == "namespace" and G.nodes["ns:a"]["workloads"] == 2
    assert G.nodes["ns:a"]["zone"] == "x" and G.nodes["ns:a"]["labels"]["team"] == "x"
    e = G.get_edge_data("ns:a", "ns:b")["allowed:TCP"]
    assert e["ports"] == ["5432-5433"] and e["pairs"] == 2 and e["aggregated"] is True
    assert G.get_edge_data("ns:a", "ns:a")["allowed:TCP"]["pairs"] == 1
    assert G.get_edge_data("0.0.0.0/5", "ns:a")["allowed:TCP"]["port_labels"] == ["TCP/443"]
    assert sum(1 for *_, d in G.edges(data=True) if d["kind"] == "allowed") == 3
    json.dumps(nx.node_link_data(G))


def _rollout(evil=""):
    """Mid-rollout: one ReplicaSet's pod is in the dmz, the other's in the pci zone."""

    def rs_pod(name, rs, **labels):
        p = pod("shop", name, **labels)
        p["metadata"]["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs, "uid": rs, "controller": True}]
        return p

    snap = snapshot(
        ns("shop"),
        rs_pod("api-abc-1", "api-abc", app="api", tier="edge", **{"pod-template-hash": "abc"}),
        rs_pod("api-def-2", "api-def", app="api", pci="cde", **{"pod-template-hash": "def"}),
        pod("shop", "web-1", app="web"),
        service("shop", "api", {"app": "api"}),
    )
    zones = load_zones({"zones": {f"dmz{evil}": {"podSelector": {"matchLabels": {"tier": "edge"}}},
                                  "pci": {"podSelector": {"matchLabels": {"pci": "cde"}},
                                          "sensitive": True}}})
    return snap, zones


def test_a_workload_in_several_zones_lists_them_all():
    """Mid-rollout: ``zone`` stays the most sensitive, ``zones`` has every zone of the pods,
    in the order of the zones file (here not the order of sensitivity)."""
    import pytest

    snap, zones = _rollout()
    assert zones.split_workloads(snap) == {"shop/api": ("pci", "dmz")}  # most sensitive first
    G = graph(snap, zones=zones)
    api = G.nodes["shop/api"]
    assert api["zone"] == "pci" and api["zones"] == ["dmz", "pci"]
    assert G.nodes["shop/web-1"]["zones"] == ["unzoned"]
    assert G.nodes["svc:shop/api"]["zones"] == ["dmz", "pci"]
    P = graph(snap, zones=zones, level="pod")
    assert P.nodes["shop/api-abc-1"]["zones"] == ["dmz"] and P.nodes["shop/api-def-2"]["zones"] == ["pci"]
    assert graph(snap).nodes["shop/api"]["zones"] == []  # no zones file: no zones
    both = [("shop/api", "shop/web-1", "TCP", ["80"]), ("shop/web-1", "shop/api", "TCP", ["80"])]
    reach = FakeReach(snap, edges=both)
    with pytest.warns(UserWarning, match="aggregated"):
        A = graph(snap, reach, zones=zones, max_edges=1)
    assert A.nodes["ns:shop"]["zones"] == ["dmz", "pci", "unzoned"] and A.nodes["ns:shop"]["zone"] is None
    json.dumps(nx.node_link_data(A))


def test_the_network_figure_names_every_zone_of_a_split_workload():
    from k8sviz.viz import network_figure

    snap, zones = _rollout(evil="<b>x</b>")
    fig = network_figure(graph(snap, zones=zones))
    nodes = [t for t in fig.data if t.name.startswith("zone:")]
    hover = {i: h for t in nodes for i, h in zip(t.customdata, t.hovertext, strict=True)}
    assert "zone: pci<br>pods in zones: dmz&lt;b&gt;x&lt;/b&gt;, pci" in hover["shop/api"]
    assert "pods in zones" not in hover["shop/web-1"]  # one zone: nothing more to say


def test_the_network_figure_puts_a_namespace_in_every_zone_of_its_workloads():
    """A namespace whose one workload is split across zones spans them all, in the figure's
    namespace aggregation as at workload level (where the workload's hover lists them): not
    only the most sensitive, which is all a node's ``zone`` holds."""
    import pytest

    from k8sviz.viz import network_figure

    snap, zones = _rollout()
    G = graph(snap, zones=zones)
    drawn = _drawn(network_figure(G, aggregate="namespace"))
    trace, hover = drawn["shop"]
    assert trace == "zone: mixed: dmz, pci, unzoned"
    assert "zone: dmz, pci, unzoned" in hover
    # Without the unzoned pod the namespace is the split workload alone: still both zones.
    G.remove_node("shop/web-1")
    trace, hover = _drawn(network_figure(G, aggregate="namespace"))["shop"]
    assert trace == "zone: mixed: dmz, pci" and "zone: dmz, pci" in hover
    assert _drawn(network_figure(G, aggregate="zone"))["pci"][0] == "zone: pci"  # one group per node
    # A namespace node the graph aggregated (zone None: its workloads span zones) is drawn so too.
    reach = FakeReach(snap, edges=[("shop/api", "shop/web-1", "TCP", ["80"])])
    with pytest.warns(UserWarning, match="aggregated"):
        A = graph(snap, reach, zones=zones, max_edges=0)
    trace, hover = _drawn(network_figure(A))["ns:shop"]
    assert trace == "zone: mixed: dmz, pci, unzoned" and "pods in zones: dmz, pci, unzoned" in hover


def _drawn(fig):
    """Drawn node -> (the name of its zone's trace, its hover text)."""
    return {i: (t.name, h) for t in fig.data if t.name.startswith("zone:")
            for i, h in zip(t.customdata, t.hovertext, strict=True)}
