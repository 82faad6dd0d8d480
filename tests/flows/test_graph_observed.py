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


@pytest.mark.parametrize("level", ["workload", "pod"])
def test_graph_and_flow_edges_agree_on_the_demo(demo_snap, demo_flows, level):
    flows = demo_flows
    # The demo holds what the two used to disagree on (replies; unknown direction: the test below).
    assert flows["is_reply"].fillna(False).astype(bool).sum() > 1000
    G = k8sviz.graph(demo_snap, flows=flows, level=level)
    got: dict[tuple[str, str, str], dict] = {}
    for u, v, d in observed(G):
        g = got.setdefault((u, v, d["protocol"]), {"records": 0, "bytes": 0, "verdicts": set(), "ports": set(),
                                                    "first": [], "last": []})
        g["records"] += d["count"]
        g["bytes"] += d["bytes"]
        g["verdicts"] |= set(d["verdicts"])
        g["ports"].add(d["port"])
        g["first"].append(pd.Timestamp(d["first_seen"]))
        g["last"].append(pd.Timestamp(d["last_seen"]))
    edges = k8sviz.flow_edges(flows, level=level)
    # Endpoints both name alike: pods and workloads as ns/name, outside addresses by their IP.
    # (At pod level an aggregated Calico row names no pod: the graph has no node for it.)
    kinds = ["pod", "workload", "external"] if level == "workload" else ["pod", "external"]
    named = edges[
        edges["src_type"].isin(kinds) & edges["dst_type"].isin(kinds)
        & ~edges["src"].str.startswith("external") & ~edges["dst"].str.startswith("external")
    ]
    assert len(named) > 40
    for e in named.itertuples():
        g = got.pop((e.src, e.dst, e.protocol))
        assert g["records"] == e.records, e
        assert g["bytes"] == e.bytes, e
        assert ",".join(sorted(g["verdicts"])) == e.verdicts
        assert k8sviz.flows.compare.port_ranges(g["ports"]) == e.ports
        assert min(g["first"]) == e.first_seen and max(g["last"]) == e.last_seen
    # What is left: kubelet scrapes, which the graph names by the node's address (flow_edges: node/<name>).
    nodes = {a for n in demo_snap.nodes for a in n.addresses}
    assert got and all(dst in nodes for _, dst, _ in got)
    assert sum(g["records"] for g in got.values()) == edges.loc[edges["dst_type"] == "node", "records"].sum()


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
    (edge,) = observed(k8sviz.graph(snap, flows=flows))
    assert edge[2]["bytes"] == 125 and edge[2]["count"] == 2 and edge[2]["port"] == 53
