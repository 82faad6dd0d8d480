"""The graph's observed edges count the records flow_edges counts (no replies, no unknown direction)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import k8sviz
from k8sviz.flows.compare import edge_records

from .test_l7_sock import CART, FRONTEND, event


def observed(G):
    return [(u, v, d) for u, v, d in G.edges(data=True) if d["kind"] == "observed"]


def summed(G):
    """Observed edges summed over ports, per (src, dst, protocol), as flow_edges has them."""
    got: dict[tuple[str, str, str], dict] = {}
    for u, v, d in observed(G):
        g = got.setdefault((u, v, d["protocol"]), {"records": 0, "bytes": 0, "verdicts": set(),
                                                    "ports": set(), "first": [], "last": []})
        g["records"] += d["count"]
        g["bytes"] += d["bytes"]
        g["verdicts"] |= set(d["verdicts"])
        g["ports"].add(d["port"])
        g["first"].append(pd.Timestamp(d["first_seen"]))
        g["last"].append(pd.Timestamp(d["last_seen"]))
    return got


def graph_id(label: str) -> str:
    """The graph's node for a flow_edges endpoint: the same, but a ClusterIP is its Service's node."""
    return "svc:" + label.removeprefix("service/") if label.startswith("service/") else label


@pytest.mark.parametrize("level", ["workload", "pod"])
def test_graph_and_flow_edges_agree_on_the_demo(demo_snap, demo_flows, level):
    flows = demo_flows
    # The demo holds what the two used to disagree on (replies; unknown direction: the test below).
    assert flows["is_reply"].fillna(False).astype(bool).sum() > 1000
    G = k8sviz.graph(demo_snap, flows=flows, level=level)
    got = summed(G)
    edges = k8sviz.flow_edges(flows, level=level)
    # Every endpoint kind of the demo: pods and workloads, nodes (kubelet scrapes), external
    # addresses shown and hidden; at pod level also the workloads of aggregated Calico rows.
    assert {"pod", "workload", "external", "node"} <= set(edges["dst_type"])
    assert edges["dst"].str.startswith("node/").any() and edges["src"].eq("external-public").any()
    for e in edges.itertuples():
        g = got.pop((graph_id(e.src), graph_id(e.dst), e.protocol))
        assert g["records"] == e.records, e
        assert g["bytes"] == e.bytes, e
        assert ",".join(sorted(g["verdicts"])) == e.verdicts
        assert k8sviz.flows.compare.port_ranges(g["ports"]) == e.ports
        assert min(g["first"]) == e.first_seen and max(g["last"]) == e.last_seen
    assert not got  # no observed edge that flow_edges does not have
    for e in edges.itertuples():  # each end is a node of its own type
        for label, typ in ((e.src, e.src_type), (e.dst, e.dst_type)):
            want = "workload" if level == "workload" and typ == "pod" else typ
            assert G.nodes[graph_id(label)]["type"] == want, (label, typ)
    node = G.nodes["node/gke-shop-pool-1-32c3bb81-6swf"]
    (known,) = [n for n in demo_snap.nodes if n.name == "gke-shop-pool-1-32c3bb81-6swf"]
    assert node["addresses"] == list(known.addresses) and node["addresses"]
    assert not any(a in G for a in known.addresses)  # the node is not an "external" address too
    assert G.nodes["external-public"]["address_class"] == "internet"
    assert G.nodes["external-private"]["address_class"] == "private"


def test_replies_and_unknown_direction_make_no_observed_edge(tmp_path, demo_snap):
    from .conftest import write_jsonl

    reply = event(CART, FRONTEND, 43210, "FORWARDED", reply=True)
    unknown = event(FRONTEND, CART, 7070, "FORWARDED", t=1)
    del unknown["flow"]["is_reply"]  # no is_reply, no SYN flag, not dropped
    request = event(FRONTEND, CART, 7070, "FORWARDED", t=2)
    p = write_jsonl(tmp_path, [reply, unknown, request])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        flows = k8sviz.load_flows(p, snapshot=demo_snap)
    assert len(flows) == 3 and len(edge_records(flows)) == 1
    G = k8sviz.graph(demo_snap, flows=flows)
    (edge,) = observed(G)
    assert edge[:2] == ("shop/frontend", "shop/cartservice") and edge[2]["count"] == 1
    (e,) = k8sviz.flow_edges(flows).itertuples()
    assert (e.src, e.dst, e.records) == ("shop/frontend", "shop/cartservice", 1)
    # replies=True in flow_edges is the graph of every record: the rule is one function.
    assert len(edge_records(flows, replies=True)) == 3


def test_observed_bytes_of_a_flow_table(tmp_path):
    """A load_flows table has bytes_in and bytes_out (no bytes column): the edge sums both."""
    p = tmp_path / "f.csv"
    p.write_text("time,src_ip,dst_ip,dst_port,bytes_in,bytes_out\n"
                 "2024-03-15T10:00:00Z,10.0.0.1,8.8.8.8,53,100,20\n2024-03-15T10:00:01Z,10.0.0.1,8.8.8.8,53,,5\n"
                 "2024-03-15T10:00:02Z,10.0.0.1,8.8.8.8,,1,1\n")
    flows = k8sviz.load_flows(p)
    snap = k8sviz.demo()
    G = k8sviz.graph(snap, flows=flows)
    with53, without = sorted(observed(G), key=lambda e: e[2]["port"] is None)
    assert with53[2]["bytes"] == 125 and with53[2]["count"] == 2 and with53[2]["port"] == 53
    # A record without a port (ICMP, a CSV that leaves it out) is an edge of its own, as
    # flow_edges counts it: no port, its own key.
    assert without[2]["port"] is None and without[2]["count"] == 1 and without[2]["bytes"] == 2
    assert set(G["10.0.0.1"]["8.8.8.8"]) == {f"observed:{with53[2]['protocol']}/53",
                                             f"observed:{with53[2]['protocol']}"}
    (e,) = k8sviz.flow_edges(flows).itertuples()
    assert (e.records, e.bytes, e.ports) == (3, 127, ["53"])


NETWORK_SETS = """\
apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata: {name: partners, namespace: shop, labels: {role: partner}}
spec: {nets: ["198.51.100.0/24"]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: threat-feed, labels: {feed: bad}}
spec: {nets: ["203.0.113.0/24"]}
"""


@pytest.fixture(scope="module")
def every_kind(tmp_path_factory):
    """The demo cluster with two network sets, and flows from the frontend to every kind of
    endpoint: a pod, a node, a ClusterIP, an internet address, an unknown pod address (CSV);
    network sets, hidden addresses and a node's host endpoint (Calico)."""
    from .conftest import calico_doc, write_jsonl

    tmp = tmp_path_factory.mktemp("every-kind")
    (tmp / "netsets.yaml").write_text(NETWORK_SETS)
    snap = k8sviz.load(k8sviz.demo_path("cluster"), tmp / "netsets.yaml")
    front = next(p for p in snap.pods if p.workload_key == "shop/frontend")
    cart = next(p for p in snap.pods if p.workload_key == "shop/cartservice")
    node = next(n for n in snap.nodes if n.name == "gke-shop-pool-1-32c3bb81-6swf")
    dns = next(s for s in snap.services if s.key == "kube-system/kube-dns")
    ip = front.ips[0]
    assert not any("10.244.1.254" in p.ips for p in snap.pods)  # in a node's pod CIDR, no pod's
    rows = [f"2024-03-15T10:00:0{i}Z,{ip},{dst},{port},TCP,allowed,{10 * (i + 1)}"
            for i, (dst, port) in enumerate([(cart.ips[0], 7070), (node.addresses[0], 10250),
                                             (dns.cluster_ips[0], 53), ("8.8.8.8", 443),
                                             ("10.244.1.254", 8080)])]
    header = "time,src_ip,dst_ip,dst_port,protocol,verdict,bytes_out\n"
    (tmp / "flows.csv").write_text(header + "\n".join(rows) + "\n")
    src = {"type": "wep", "namespace": "shop", "name": front.name, "ip": ip}
    docs = [
        calico_doc(src, {"type": "ns", "namespace": "shop", "name_aggr": "partners"}, 443),
        calico_doc(src, {"type": "ns", "name_aggr": "threat-feed"}, 443, action="deny"),
        calico_doc(src, {"type": "net", "name_aggr": "pub"}, 443),
        calico_doc(src, {"type": "net", "name_aggr": "pvt"}, 443),
        calico_doc({"type": "hep", "name_aggr": node.name}, {**src, "name": front.name}, 8080),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)  # the unknown pod address is reported
        flows = k8sviz.load_flows(tmp / "flows.csv", write_jsonl(tmp, docs, "calico.json"), snapshot=snap)
    assert set(flows["dst_type"]) == {"pod", "node", "service", "external", "unknown", "networkset"}
    return snap, flows


def test_every_endpoint_kind_is_a_node_of_its_type(every_kind):
    import json

    import networkx as nx

    snap, flows = every_kind
    zones = k8sviz.load_zones(k8sviz.demo_path("zones.yaml"))
    G = k8sviz.graph(snap, flows=flows, zones=zones)
    out = {v: (G.nodes[v], d) for u, v, d in observed(G) if u == "shop/frontend"}
    node = "node/gke-shop-pool-1-32c3bb81-6swf"
    (known,) = [n for n in snap.nodes if n.name == node.removeprefix("node/")]
    assert out[node][0]["type"] == "node" and out[node][0]["addresses"] == list(known.addresses)
    assert out[node][0]["labels"] == known.labels and out[node][0]["zone"] == "external"
    assert known.addresses[0] not in G  # a node's address is no "external" node
    from_node = {(v, d["port"]) for u, v, d in observed(G) if u == node}  # the node's host endpoint
    assert ("shop/frontend", 8080) in from_node
    # The ClusterIP is the Service's node of the snapshot, not a second node for it.
    svc = out["svc:kube-system/kube-dns"][0]
    assert svc["type"] == "service" and svc["service_type"] == "ClusterIP"
    assert "10.96.0.10" in svc["cluster_ips"]
    assert not any(str(n).startswith("service/") for n in G)
    assert sum(1 for _, d in G.nodes(data=True) if d["type"] == "service") == len(snap.services)
    assert out["svc:kube-system/kube-dns"][1]["port"] == 53
    partners = out["networkset/shop/partners"][0]
    assert (partners["type"], partners["namespace"], partners["name"]) == ("networkset", "shop", "partners")
    assert partners["nets"] == ["198.51.100.0/24"] and partners["labels"] == {"role": "partner"}
    feed = out["networkset/threat-feed"]
    assert feed[0]["kind"] == "GlobalNetworkSet" and feed[0]["namespace"] is None
    assert feed[1]["verdicts"] == {"denied": 1}
    hidden = out["external-public"][0]
    assert hidden["type"] == "external" and hidden["address_class"] == "internet"
    assert out["external-private"][0]["address_class"] == "private"
    assert out["8.8.8.8"][0]["address_class"] == "internet" and out["8.8.8.8"][0]["zone"] == "external"
    unknown = out["10.244.1.254"][0]
    assert unknown["type"] == "unknown" and unknown["zone"] is None and unknown["ip"] == "10.244.1.254"
    assert out["shop/cartservice"][0]["type"] == "workload"
    # flow_edges and the graph count alike, endpoint by endpoint
    got = summed(G)
    for e in k8sviz.flow_edges(flows).itertuples():
        g = got.pop((graph_id(e.src), graph_id(e.dst), e.protocol))
        assert (g["records"], g["bytes"]) == (e.records, e.bytes), e
    assert not got
    data = json.loads(json.dumps(nx.node_link_data(G, edges="edges")))
    assert dict(nx.node_link_graph(data, edges="edges").nodes(data=True)) == dict(G.nodes(data=True))


def test_a_clusterip_flow_without_service_nodes(every_kind):
    """services=False: the Service a flow reaches still gets its node (and only that one)."""
    snap, flows = every_kind
    G = k8sviz.graph(snap, flows=flows, services=False)
    svcs = [n for n, d in G.nodes(data=True) if d["type"] == "service"]
    assert svcs == ["svc:kube-system/kube-dns"]
    assert G.nodes["svc:kube-system/kube-dns"]["cluster_ips"] == ["10.96.0.10"]
    assert not any(d["kind"] == "selects" for *_, d in G.edges(data=True))


def test_a_cluster_node_and_a_workload_of_one_name_stay_two_nodes():
    """flow_edges names a cluster node x node/x, as it names the workload x of a namespace called
    "node": the graph keeps them apart (the node gets its kind as a prefix), never merging one's
    traffic into the other's."""
    from tests.analysis.helpers import ns, pod, snapshot

    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "x"},
            "status": {"addresses": [{"type": "InternalIP", "address": "192.168.0.9"}]}}
    snap = snapshot(ns("node"), ns("a"), pod("node", "x", ip="10.0.0.1"), pod("a", "y", ip="10.0.0.2"), node)
    t = pd.Timestamp("2024-01-01", tz="UTC")
    row = {"time": t, "dst_type": "pod", "dst_namespace": "a", "dst_pod": "y", "dst_workload": "y",
           "dst_ip": "10.0.0.2", "protocol": "TCP", "dst_port": 80, "verdict": "allowed"}
    flows = pd.DataFrame([
        {**row, "src_type": "pod", "src_namespace": "node", "src_pod": "x", "src_workload": "x", "src_ip": "10.0.0.1"},
        {**row, "src_type": "node", "src_workload": "x", "src_ip": "192.168.0.9", "dst_port": 9100},
    ])
    G = k8sviz.graph(snap, flows=flows)
    assert G.nodes["node/x"]["type"] == "workload" and G.nodes["node:node/x"]["type"] == "node"
    assert G.nodes["node:node/x"]["addresses"] == ["192.168.0.9"]
    assert {(u, d["port"]) for u, _, d in observed(G)} == {("node/x", 80), ("node:node/x", 9100)}
    # flow_edges keeps them apart too: two rows of one label, one per kind.
    edges = k8sviz.flow_edges(flows)
    assert sorted(zip(edges["src"], edges["src_type"], edges["ports"])) == [
        ("node/x", "node", ["9100"]), ("node/x", "pod", ["80"])]
