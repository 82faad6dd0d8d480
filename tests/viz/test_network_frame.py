"""The aggregated network figures from the allowed-edge frame (k8sviz.viz._network_frame) are
those network_figure draws from the whole graph, to the byte."""

from __future__ import annotations

import itertools
import json
import warnings
from pathlib import Path

import pytest

import k8sviz
from k8sviz.analysis.graph import graph_without_allowed
from k8sviz.synth import generate_cluster
from k8sviz.viz._network_frame import aggregated_figure, aggregated_rows, allowed_edges
from k8sviz.viz.network import _aggregate, _dedupe, _edge_rows, _node_rows, _violation_set

from ..flows.conftest import calico_doc, write_jsonl
from ..report.conftest import HOSTILE_DUMP, HOSTILE_FLOWS, HOSTILE_ZONES

NODE_IP = "10.128.0.2"  # every synthetic pod's hostIP

# Zones for the synthetic cluster: by the namespaces' env label, and a sensitive zone for the
# pods labelled pci=yes, which one replica of a multi-pod workload carries (a split workload).
SYNTH_ZONES = """
zones:
  cde: {podSelector: {matchLabels: {pci: "yes"}}, sensitive: true, priority: 10}
  prod: {namespaceSelector: {matchLabels: {env: prod}}, sensitive: true}
  staging: {namespaceSelector: {matchLabels: {env: staging}}}
allow:
  - {from: staging, to: prod, ports: ["TCP/5432"], justification: migrations, owner: db}
"""

NETWORK_SETS = [
    {"apiVersion": "projectcalico.org/v3", "kind": "NetworkSet",
     "metadata": {"name": "partners", "namespace": "NS", "labels": {"role": "partner"}},
     "spec": {"nets": ["198.51.100.0/24"]}},
    {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkSet",
     "metadata": {"name": "threat-feed", "labels": {"feed": "bad"}}, "spec": {"nets": ["203.0.113.0/24"]}},
]


def _synthetic_objects() -> list[dict]:
    objs = generate_cluster(500, 60, seed=5)
    pods = [o for o in objs if o["kind"] == "Pod"]
    by_rs: dict[str, list[dict]] = {}
    for p in pods:
        by_rs.setdefault(p["metadata"]["ownerReferences"][0]["name"], []).append(p)
    split = next(ps for ps in by_rs.values() if len(ps) > 1)
    split[0]["metadata"]["labels"]["pci"] = "yes"  # one replica in zone cde, the others not
    # pods that ran to completion connect to nothing: the live frame leaves them out
    done = [ps[0] for ps in by_rs.values() if len(ps) == 1][:2]
    done.append(next(ps for ps in by_rs.values() if len(ps) > 2 and ps is not split)[-1])
    for p in done:
        p["status"]["phase"] = "Succeeded"
    ns = pods[0]["metadata"]["namespace"]
    node = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "node-a", "labels": {"kubernetes.io/hostname": "node-a"}},
            "status": {"addresses": [{"type": "InternalIP", "address": NODE_IP}]}}
    sets = json.loads(json.dumps(NETWORK_SETS).replace('"NS"', json.dumps(ns)))
    return [*objs, node, *sets]


def _synthetic_flows(tmp: Path, snap: k8sviz.Snapshot, reach, violations) -> object:
    """Flows between workloads (violating pairs among them), to a Service, a node, internet,
    private and metadata addresses (CSV); to network sets and hidden addresses, and from the
    node's host endpoint (Calico)."""
    ip_of = {}
    for p in snap.pods:
        if p.ips:
            ip_of.setdefault(p.workload_key, p.ips[0])
    frame = reach.to_frame(level="workload")
    inside = frame[(frame["src_type"] == "workload") & (frame["dst_type"] == "workload")]
    pairs = list(zip(inside["src"], inside["dst"], strict=True))[::997][:40]
    pairs += [(a, b) for a, b in zip(violations["src"], violations["dst"], strict=True)
              if a in ip_of and b in ip_of][:15]
    pairs += [(a, a) for a, _ in pairs[:3]]  # a workload talking to itself
    svc = next(s for s in snap.services if s.cluster_ips)
    rows = [(ip_of[a], ip_of[b], 8080) for a, b in pairs if a in ip_of and b in ip_of]
    src = rows[0][0]
    rows += [(src, svc.cluster_ips[0], 80), (src, NODE_IP, 10250), (src, "8.8.8.8", 443),
             (src, "93.184.216.34", 443), (src, "172.31.9.9", 5432), (src, "169.254.169.254", 80)]
    lines = [f"2024-03-15T10:{i // 60:02d}:{i % 60:02d}Z,{s},{d},{port},TCP,allowed,{10 + i}"
             for i, (s, d, port) in enumerate(rows)]
    (tmp / "flows.csv").write_text("time,src_ip,dst_ip,dst_port,protocol,verdict,bytes_out\n"
                                   + "\n".join(lines) + "\n")
    pod = next(p for p in snap.pods if p.ips and p.ips[0] == src)
    me = {"type": "wep", "namespace": pod.namespace, "name": pod.name, "ip": src}
    docs = [
        calico_doc(me, {"type": "ns", "namespace": pod.namespace, "name_aggr": "partners"}, 443),
        calico_doc(me, {"type": "ns", "name_aggr": "threat-feed"}, 443, action="deny"),
        calico_doc(me, {"type": "net", "name_aggr": "pub"}, 443),
        calico_doc(me, {"type": "net", "name_aggr": "pvt"}, 443),
        calico_doc({"type": "hep", "name_aggr": "node-a"}, me, 8080),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        return k8sviz.load_flows(tmp / "flows.csv", write_jsonl(tmp, docs, "calico.json"), snapshot=snap)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("synthetic")
    (tmp / "cluster.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List",
                                                  "items": _synthetic_objects()}))
    (tmp / "zones.yaml").write_text(SYNTH_ZONES)
    snap = k8sviz.load(tmp / "cluster.json")
    reach = k8sviz.reachability(snap)
    zones = k8sviz.load_zones(tmp / "zones.yaml")
    violations = k8sviz.segmentation(snap, reach, zones).violations
    flows = _synthetic_flows(tmp, snap, reach, violations)
    return snap, reach, zones, flows


def _old_rows(G, by: str, violations) -> tuple[dict, list]:
    """The rows network_figure aggregates from the whole graph."""
    nodes, alias = _node_rows(G, services=False, collapse_external=True)
    return _aggregate(nodes, _dedupe(_edge_rows(G, _violation_set(violations), alias)), by)


def _without_kind(edges: list[dict]) -> list[dict]:
    return sorted(({k: v for k, v in e.items() if k != "kind"} for e in edges),
                  key=lambda e: (e["src"], e["dst"], e["cat"]))


def assert_same(snap, reach, *, flows=None, zones=None, extra=()) -> tuple:
    """Both aggregated figures of the frame path equal network_figure's on k8sviz.graph, and
    the graph without allowed edges has the whole graph's nodes and edges less those.

    ``extra``: (src, dst) pairs drawn as violating too (network_figure's ``violations``
    takes any), added to the segmentation's."""
    import pandas as pd

    violations = k8sviz.segmentation(snap, reach, zones).violations if zones is not None else None
    if extra:
        more = pd.DataFrame(list(extra), columns=["src", "dst"])
        violations = more if violations is None else pd.concat([violations[["src", "dst"]], more])
    G = k8sviz.graph(snap, reach=reach, flows=flows, zones=zones)
    base, frame = graph_without_allowed(snap, reach, flows, zones=zones)
    allowed = allowed_edges(reach, frame)
    assert allowed is not None
    assert list(base.nodes(data=True)) == list(G.nodes(data=True))
    assert base.number_of_edges() + len(allowed) == G.number_of_edges()
    assert not any(d["kind"] == "allowed" for _, _, d in base.edges(data=True))
    for by in ("namespace", "zone"):
        want = k8sviz.network_figure(G, aggregate=by, violations=violations)
        got = aggregated_figure(base, allowed, by=by, violations=violations)
        assert got.to_json() == want.to_json(), by
        # past max_edges, the same edges kept: the order reads only what both paths' rows hold
        want = k8sviz.network_figure(G, aggregate=by, violations=violations, max_edges=7)
        got = aggregated_figure(base, allowed, by=by, violations=violations, max_edges=7)
        assert got.to_json() == want.to_json(), by
        # past max_groups, the same groups kept and the same merged into one node
        want = k8sviz.network_figure(G, aggregate=by, violations=violations, max_groups=2)
        got = aggregated_figure(base, allowed, by=by, violations=violations, max_groups=2)
        assert got.to_json() == want.to_json(), by
        if by == "namespace":  # the case cuts (zones may be one or two)
            assert want.layout.meta["groups"]["groups"][1] > 2
        old_nodes, old_edges = _old_rows(G, by, violations)
        new_nodes, new_edges = aggregated_rows(base, allowed, by=by, violations=violations)
        assert new_nodes == old_nodes
        assert _without_kind(new_edges) == _without_kind(old_edges)  # protocols too, not drawn
    return G, violations, _old_rows(G, "namespace", violations)


def _kinds(G) -> set:
    return {d.get("type") for _, d in G.nodes(data=True)}


def test_demo_with_flows_and_zones():
    snap = k8sviz.demo()
    reach = k8sviz.reachability(snap)
    zones = k8sviz.load_zones(k8sviz.demo_path("zones.yaml"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)  # the lost events the demo plants
        flows = k8sviz.load_flows(k8sviz.demo_path("flows"), snapshot=snap)
    _, violations, (_, edges) = assert_same(snap, reach, flows=flows, zones=zones)
    assert len(violations) and {e["cat"] for e in edges} == {"allowed", "observed", "violating"}
    assert_same(snap, reach, flows=flows)
    assert_same(snap, reach)


def test_synthetic_cluster_with_flows_zones_and_every_endpoint_kind(synthetic):
    snap, reach, zones, flows = synthetic
    # violating edges inside a namespace too (drawn as a loop): an allowed pair, and a workload
    # that flows show talking to itself
    frame = reach.to_frame(level="workload")
    same = frame[(frame["src_namespace"] == frame["dst_namespace"]) & (frame["src"] != frame["dst"])]
    looped = next(u for u, v, d in k8sviz.graph(snap, flows=flows).edges(data=True) if u == v)
    extra = [(same["src"].iloc[0], same["dst"].iloc[0]), (looped, looped)]
    G, violations, (nodes, edges) = assert_same(snap, reach, flows=flows, zones=zones, extra=extra)
    assert G.number_of_nodes() > 150  # the size at which the report aggregates
    # the case holds what the merge must get right
    assert {"node", "networkset", "external", "service", "workload"} <= _kinds(G)
    assert any(len(d.get("zones") or ()) > 1 for _, d in G.nodes(data=True) if d["type"] == "workload")
    vpairs = set(zip(violations["src"], violations["dst"], strict=True))
    assert any((u, v) in vpairs for u, v, d in G.edges(data=True) if d["kind"] == "observed")
    drawn, _ = _node_rows(G, services=False, collapse_external=True)  # external peers collapsed
    assert all(drawn[f"external: {c}"]["members"] > 1 for c in ("internet", "private", "metadata"))
    cats = {e["cat"] for e in edges}
    assert cats == {"allowed", "observed", "violating"}
    assert any(e["src"] == e["dst"] and e["cat"] == "violating" for e in edges)
    assert sum(a["internal"] > 0 for a in nodes.values()) > 2  # connections inside namespaces
    from k8sviz.analysis._common import live_edge_frame

    assert len(live_edge_frame(reach)) < len(reach.to_frame(level="workload"))  # pods ended
    assert any(e["rules"] for e in edges) and any(e["count"] for e in edges)


def test_synthetic_cluster_without_zones(synthetic):
    snap, reach, _, flows = synthetic
    G, _, _ = assert_same(snap, reach, flows=flows)
    assert G.number_of_nodes() > 150
    assert_same(snap, reach)


def test_hostile_strings(tmp_path):
    (tmp_path / "dump.json").write_text(json.dumps(HOSTILE_DUMP))
    (tmp_path / "zones.yaml").write_text(HOSTILE_ZONES)
    (tmp_path / "flows.csv").write_text(HOSTILE_FLOWS)
    snap = k8sviz.load(tmp_path / "dump.json")
    reach = k8sviz.reachability(snap)
    zones = k8sviz.load_zones(tmp_path / "zones.yaml")
    flows = k8sviz.load_flows(tmp_path / "flows.csv", snapshot=snap)
    G, _, _ = assert_same(snap, reach, flows=flows, zones=zones)
    assert any("<" in str(n) or '"' in str(n) for n in G)


def test_bad_aggregate_is_an_input_error(synthetic):
    snap, reach, _, _ = synthetic
    base, frame = graph_without_allowed(snap, reach)
    allowed = allowed_edges(reach, frame)
    assert allowed is not None
    with pytest.raises(k8sviz.errors.InputError, match="aggregate must be"):
        aggregated_figure(base, allowed, by=None)


def test_rows_the_graph_would_not_make_one_edge_each_are_refused(synthetic):
    """A (src, dst, protocol) twice is one graph edge (the last row's): no codes for it."""
    import pandas as pd

    _, reach, _, _ = synthetic
    frame = reach.to_frame(level="workload")
    assert allowed_edges(reach, frame) is not None
    assert allowed_edges(reach, pd.concat([frame, frame.head(1)], ignore_index=True)) is None


def _violating(fig) -> set[str]:
    trace = next(t for t in fig.data if t.name == "violates segmentation (hover)")
    return {t.split("</b>")[0] for t in trace.text}


def test_a_graph_merged_per_namespace_draws_the_violations_between_namespaces(synthetic):
    """Past graph()'s max_edges its allowed edges run between namespace nodes, which no
    violation names: a violation still marks its namespaces' edge, as in the whole graph."""
    from k8sviz.viz.network import graph_violations

    snap, reach, zones, flows = synthetic
    violations = k8sviz.segmentation(snap, reach, zones).violations
    whole = k8sviz.graph(snap, reach=reach, flows=flows, zones=zones)
    with pytest.warns(UserWarning, match="aggregated per namespace pair"):
        merged = k8sviz.graph(snap, reach=reach, flows=flows, zones=zones, max_edges=10)
    assert merged.graph["aggregated"] == "namespace"
    for by in ("namespace", "zone"):
        want = _violating(k8sviz.network_figure(whole, aggregate=by, violations=violations, max_edges=None))
        got = k8sviz.network_figure(merged, aggregate=by, violations=violations, max_edges=None)
        assert _violating(got) == want and len(want) > 3, by
        # as pairs (the report's reading), the same
        pairs = graph_violations(merged, violations)
        again = k8sviz.network_figure(merged, aggregate=by, violations=pairs, max_edges=None)
        assert again.to_json() == got.to_json()
    # workload level: the merged namespace edges and the observed workload edges both marked
    pairs = graph_violations(merged, violations)
    assert any(a.startswith("ns:") for a, _ in pairs)
    assert any(merged.edges[a, b, k]["kind"] == "observed" for a, b in pairs for k in merged[a][b])


def test_aggregated_edges_merge_their_members_ports_as_ranges():
    """A namespace edge listed 'TCP/1-65535, TCP/53, TCP/443': its members' ports joined, where
    one range holds them all.  Each protocol's ranges are now disjoint and not adjacent."""
    snap = k8sviz.demo()
    reach = k8sviz.reachability(snap)
    base, frame = graph_without_allowed(snap, reach, None)
    G = k8sviz.graph(snap, reach=reach)
    edges = {(e["src"], e["dst"], e["cat"]): e["ports"]
             for e in aggregated_rows(base, allowed_edges(reach, frame), by="namespace")[1]}
    assert edges[("kube-system", "(external)", "allowed")] == ["SCTP/1-65535", "TCP/1-65535", "UDP/1-65535"]
    assert edges[("monitoring", "shop", "allowed")] == ["TCP/7000-8080"]
    for ports in [*edges.values(), *(e["ports"] for e in _old_rows(G, "namespace", None)[1])]:
        per: dict[str, list[tuple[int, int]]] = {}
        for label in ports:
            proto, _, p = label.rpartition("/")
            if p[:1].isdigit():
                lo, _, hi = p.partition("-")
                per.setdefault(proto, []).append((int(lo), int(hi or lo)))
        for ranges in per.values():
            ranges.sort()
            assert all(b[0] > a[1] + 1 for a, b in itertools.pairwise(ranges)), ports
