"""Property tests: ``blast_radius`` and ``internet_paths`` agree with a plain reference.

The reference is written from the docstrings alone: a hop is a pod-to-pod connection the
policies allow (``reach.to_frame(level="pod")``), lifted to the pods' workloads; pods that ran
to completion are no hop; the ports of a hop are the union of what its pod pairs allow; the
shortest chains come from a textbook breadth-first search.  Clusters are ``k8sviz.synth`` ones
with random edits of our own: policies dropped, chains of allow policies across namespaces,
openings to internet and private blocks, exposed Services, Ingresses, hostPorts, and pods that
ended (some with a label policies single out, so that they behave unlike their replicas).
"""

from __future__ import annotations

import copy
import itertools
import random
from collections import defaultdict, deque
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import k8sviz
from k8sviz.analysis._common import INTERNET, classify_block, exposure, maybe_exposed
from k8sviz.analysis.zones import load_zones
from k8sviz.snapshot import SnapshotBuilder
from k8sviz.synth import generate_cluster

# Random clusters leave some zones without pods: the ZoneWarning that says so is right, and
# not what these properties are about.
pytestmark = pytest.mark.filterwarnings("ignore::k8sviz.ZoneWarning")

PROTOCOL_ORDER = ("TCP", "UDP", "SCTP")
#: Peers of the opening policies: internet blocks (whole, partial, with the private space cut
#: out) and private ones, which are no internet entry.
OUTSIDE_BLOCKS = [
    {"cidr": "0.0.0.0/0"},
    {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]},
    {"cidr": "8.8.0.0/16"},
    {"cidr": "8.8.8.0/24"},
    {"cidr": "10.0.0.0/8"},
    {"cidr": "192.168.0.0/16"},
]
PORT_CHOICES: list[list[dict[str, Any]] | None] = [
    None,  # every port
    [{"protocol": "TCP", "port": 8080}],
    [{"protocol": "TCP", "port": 8000, "endPort": 9200}],
    [{"protocol": "TCP", "port": "http"}, {"protocol": "UDP", "port": 53}],
    [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 444}],  # adjacent: one range
    [{"protocol": "SCTP", "port": 3868}, {"protocol": "TCP", "port": 50051}],
]
ZONES = load_zones({"zones": {
    "pci": {"namespaceSelector": {"matchLabels": {"compliance": "pci"}}, "priority": 10},
    "data": {"podSelector": {"matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["db", "cache"]}]}, "priority": 5},
    "batch": {"podSelector": {"matchLabels": {"role": "batch"}}, "priority": 20},
}})
SETTINGS = settings(max_examples=50, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ---------------------------------------------------------------------------------------------
# Random clusters
# ---------------------------------------------------------------------------------------------
def _netpol(namespace: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"namespace": namespace, "name": name}, "spec": spec}


def _rule(key: str, peers: list[dict[str, Any]], ports: list[dict[str, Any]] | None) -> dict[str, Any]:
    rule: dict[str, Any] = {key: peers}
    if ports is not None:
        rule["ports"] = copy.deepcopy(ports)
    return rule


def _app_peer(app: tuple[str, str]) -> dict[str, Any]:
    namespace, name = app
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
            "podSelector": {"matchLabels": {"app": name}}}


def build_cluster(rng: random.Random, pods: int, policies: int) -> tuple[list[dict[str, Any]], str]:
    """Raw objects of a random cluster, and how Services/Ingresses were read
    (``"read"``, ``"ingresses-unread"``, ``"services-unread"``)."""
    objs = generate_cluster(pods=pods, policies=policies, seed=rng.randrange(1 << 30))
    # Fewer of the generator's policies: default denies gone leave namespaces open.
    keep = rng.choice([1.0, 0.7, 0.3])
    objs = [o for o in objs if o["kind"] != "NetworkPolicy" or rng.random() < keep]
    apps = sorted({(o["metadata"]["namespace"], o["metadata"]["name"])
                   for o in objs if o["kind"] == "Deployment"})
    pod_objs = [o for o in objs if o["kind"] == "Pod"]
    extra: list[dict[str, Any]] = []
    # Chains of allow policies, egress on one side and ingress on the other (with their own
    # ports: where they share none the link is closed), so that paths have several hops.
    for c in range(rng.randrange(0, 5)):
        chain = rng.sample(apps, min(len(apps), rng.randrange(2, 6)))
        for i, (a, b) in enumerate(itertools.pairwise(chain)):
            extra.append(_netpol(a[0], f"chain{c}-{i}-egress", {
                "podSelector": {"matchLabels": {"app": a[1]}}, "policyTypes": ["Egress"],
                "egress": [_rule("to", [_app_peer(b)], rng.choice(PORT_CHOICES))]}))
            extra.append(_netpol(b[0], f"chain{c}-{i}-ingress", {
                "podSelector": {"matchLabels": {"app": b[1]}}, "policyTypes": ["Ingress"],
                "ingress": [_rule("from", [_app_peer(a)], rng.choice(PORT_CHOICES))]}))
    # Openings to outside blocks, some of them no internet, often several on one app of two
    # (their ports then differ between blocks), which is sometimes closed to all else first.
    front = rng.sample(apps, min(len(apps), 2))
    for namespace, name in front:
        if rng.random() < 0.8:
            extra.append(_netpol(namespace, f"closed-{name}", {
                "podSelector": {"matchLabels": {"app": name}}, "policyTypes": ["Ingress"]}))
    for k in range(rng.randrange(0, 8)):
        namespace, name = rng.choice(front)
        extra.append(_netpol(namespace, f"outside{k}", {
            "podSelector": {"matchLabels": {"app": name}}, "policyTypes": ["Ingress"],
            "ingress": [_rule("from", [{"ipBlock": copy.deepcopy(rng.choice(OUTSIDE_BLOCKS))}],
                              rng.choice(PORT_CHOICES))]}))
    # Pods that ran to completion: every pod of some workloads, single replicas of others;
    # some of the latter get a label that the policies below single out.
    ended_apps = set(rng.sample(apps, rng.randrange(0, 3)))
    for p in pod_objs:
        m = p["metadata"]
        owner = m["name"].rsplit("-", 2)[0]
        if (m["namespace"], owner) in ended_apps or rng.random() < 0.08:
            p["status"]["phase"] = rng.choice(["Succeeded", "Failed"])
            if rng.random() < 0.5:
                m["labels"]["role"] = "batch"
        elif rng.random() < 0.05:  # a running replica unlike the others (mid-rollout)
            m["labels"]["role"] = "batch"
    for k in range(rng.randrange(0, 3)):
        namespace, name = rng.choice(apps)
        batch = {"podSelector": {"matchLabels": {"role": "batch"}}, "namespaceSelector": {}}
        if rng.random() < 0.5:  # the ended pods may reach this app
            extra.append(_netpol(namespace, f"from-batch{k}", {
                "podSelector": {"matchLabels": {"app": name}}, "policyTypes": ["Ingress"],
                "ingress": [_rule("from", [batch], rng.choice(PORT_CHOICES))]}))
        else:  # the ended pods are open to all
            extra.append(_netpol(namespace, f"batch-open{k}", {
                "podSelector": {"matchLabels": {"role": "batch"}}, "policyTypes": ["Ingress", "Egress"],
                "ingress": [{}], "egress": [{}]}))
    # Exposure outside the cluster.
    services = [o for o in objs if o["kind"] == "Service"]
    for svc in services:
        r = rng.random()
        if r < 0.15:
            svc["spec"]["type"] = rng.choice(["LoadBalancer", "NodePort"])
        elif r < 0.25:
            m = svc["metadata"]
            backend = {"service": {"name": m["name"], "port": {"number": 80}}}
            extra.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                          "metadata": {"namespace": m["namespace"], "name": f"ing-{m['name']}"},
                          "spec": {"rules": [{"http": {"paths": [
                              {"path": "/", "pathType": "Prefix", "backend": backend}]}}]}})
    for p in rng.sample(pod_objs, min(len(pod_objs), rng.randrange(0, 3))):
        p["spec"]["containers"][0]["ports"][0]["hostPort"] = 30080
    read = rng.choice(["read", "ingresses-unread", "services-unread"])
    return objs + extra, read


def snapshot_of(objs: list[dict[str, Any]], read: str) -> Any:
    b = SnapshotBuilder()
    for o in objs:
        b.add(o, "test")
    if read == "read":
        b.coverage["ingresses"] = "ok"  # read, even where the cluster has none
    elif read == "services-unread":
        b.coverage["services"] = "forbidden"
    return b.build(cluster="test", collected_at="2026-06-01T00:00:00Z")


def make_case(pods: int, policies: int, seed: int) -> tuple[Any, Any, random.Random]:
    """``(snapshot, reachability, rng)``; the rng then picks the queries."""
    rng = random.Random(seed)
    snap = snapshot_of(*build_cluster(rng, pods, policies))
    return snap, k8sviz.reachability(snap), rng


#: Small draws (sizes and a seed) keep the failing example short to print and quick to shrink.
cases = st.tuples(st.integers(30, 150), st.integers(0, 30), st.integers(0, 1 << 32))


# ---------------------------------------------------------------------------------------------
# The plain reference
# ---------------------------------------------------------------------------------------------
PortsByProto = dict[str, list[tuple[int, int]]]


def _rows(frame: Any) -> Any:
    """``(src, dst, src_type, dst_type, protocol, ports)`` of a ``to_frame`` frame."""
    columns = ("src", "dst", "src_type", "dst_type", "protocol", "ports")
    return zip(*(frame[c] for c in columns), strict=True)


def _ranges(texts: list[str]) -> list[tuple[int, int]]:
    out = []
    for t in texts:
        lo, _, hi = str(t).partition("-")
        out.append((int(lo), int(hi or lo)))
    return out


def _port_list(by_proto: PortsByProto) -> list[str]:
    """``["TCP/80-81", "UDP/53"]``: the ports as a set, in fewest ranges, protocols in the
    engine's order."""
    out = []
    for proto in PROTOCOL_ORDER:
        merged: list[list[int]] = []
        for lo, hi in sorted(by_proto.get(proto, ())):
            if merged and lo <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        out += [f"{proto}/{lo}" if lo == hi else f"{proto}/{lo}-{hi}" for lo, hi in merged]
    return out


class Reference:
    """The allowed workload graph of the pods that have not ended, from the pod-level frame."""

    def __init__(self, reach: Any):
        snap = reach.snapshot
        pods = {p.key: p for p in snap.pods}
        edges: dict[tuple[str, str], PortsByProto] = defaultdict(lambda: defaultdict(list))
        entries: dict[str, PortsByProto] = defaultdict(lambda: defaultdict(list))
        for src, dst, src_type, dst_type, proto, ports in _rows(reach.to_frame(level="pod")):
            if dst_type == "external" or pods[dst].terminated:
                continue
            if src_type == "external":
                if classify_block(src)[0] == INTERNET:
                    entries[pods[dst].workload_key][str(proto)] += _ranges(ports)
                continue
            if pods[src].terminated:
                continue
            a, b = pods[src].workload_key, pods[dst].workload_key
            if a != b:
                edges[(a, b)][str(proto)] += _ranges(ports)
        self.ports = {pair: _port_list(by) for pair, by in edges.items()}
        self.entry_ports = {wl: _port_list(by) for wl, by in entries.items()}
        self.succ: dict[str, set[str]] = defaultdict(set)
        for a, b in edges:
            self.succ[a].add(b)

    def distances(self, starts: dict[str, int]) -> dict[str, int]:
        """Breadth-first search from ``starts`` (node -> its distance)."""
        dist = dict(starts)
        queue = deque(sorted(starts, key=starts.__getitem__))
        while queue:
            node = queue.popleft()
            for nxt in self.succ.get(node, ()):
                if nxt not in dist:
                    dist[nxt] = dist[node] + 1
                    queue.append(nxt)
        return dist

    def check_chain(self, path: list[str], ports: list[list[str]]) -> None:
        """Every consecutive pair is an allowed hop, with that hop's ports."""
        assert len(ports) == len(path) - 1
        for (a, b), got in zip(itertools.pairwise(path), ports, strict=True):
            assert (a, b) in self.ports, f"{a} -> {b} is no allowed hop"
            assert list(got) == self.ports[(a, b)], (a, b)


def workload_frame_ports(reach: Any, leave_out: set[str]) -> dict[tuple[str, str], list[str]]:
    """The hops of the workload frame with their ports, but those of workloads in ``leave_out``."""
    hops: dict[tuple[str, str], PortsByProto] = defaultdict(lambda: defaultdict(list))
    for s, d, s_type, d_type, proto, ports in _rows(reach.to_frame(level="workload")):
        if s_type != "external" and d_type != "external" and s != d and not {s, d} & leave_out:
            hops[(s, d)][str(proto)] += _ranges(ports)
    return {k: _port_list(v) for k, v in hops.items()}


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------
def _max_hops(rng: random.Random) -> int | None:
    return rng.choice([None, None, 0, 1, 2, 3])


def check_blast(reach: Any, ref: Reference, start: str, max_hops: int | None) -> Any:
    df = k8sviz.blast_radius(reach, start, max_hops=max_hops)
    wl = reach.snapshot.pod(start).workload_key if reach.snapshot.pod(start) else start
    dist = ref.distances({wl: 0})
    want = {w: d for w, d in dist.items() if d > 0 and (max_hops is None or d <= max_hops)}
    got = dict(zip(df["workload"], df["hops"], strict=True))
    assert got == want, (start, max_hops, sorted(set(got.items()) ^ set(want.items())))
    order = list(zip(df["hops"], df["workload"], strict=True))
    assert order == sorted(order)
    for row in df.itertuples(index=False):
        assert row.namespace == row.workload.split("/", 1)[0]
        assert len(row.path) == row.hops + 1
        assert row.path[0] == wl and row.path[-1] == row.workload
        ref.check_chain(row.path, row.ports)
    return df


@SETTINGS
@given(cases)
def test_blast_radius_agrees_with_reference(case):
    snap, reach, rng = make_case(*case)
    ref = Reference(reach)
    # Between workloads none of whose pods ended, the reference is the workload frame itself
    # (a workload row is the union over its pods).
    ended = {p.workload_key for p in snap.pods if p.terminated}
    assert workload_frame_ports(reach, ended) == {k: v for k, v in ref.ports.items() if not set(k) & ended}
    for p in rng.sample(snap.pods, min(4, len(snap.pods))):
        max_hops = _max_hops(rng)
        by_workload = check_blast(reach, ref, p.workload_key, max_hops)
        by_pod = k8sviz.blast_radius(reach, p.key, max_hops=max_hops)
        assert by_pod.equals(by_workload)


def _targets(snap: Any, target: str) -> tuple[set[str], str | None]:
    """The workloads ``target`` names, and the zone column they should carry."""
    if target in ZONES.names:
        ns_labels = {n.name: n.labels for n in snap.namespaces}
        return {p.workload_key for p in snap.pods if not p.terminated
                and ZONES.zone_of(p.labels, ns_labels.get(p.namespace, {})) == target}, target
    pod = snap.pod(target)
    if pod is not None:
        return {pod.workload_key}, None
    if target in {p.workload_key for p in snap.pods}:
        return {target}, None
    return {p.workload_key for p in snap.pods if p.namespace == target}, None


def check_paths(reach: Any, ref: Reference, target: str, exposed_only: bool, max_hops: int | None) -> Any:
    snap = reach.snapshot
    df = k8sviz.internet_paths(reach, target, ZONES, exposed_only=exposed_only, max_hops=max_hops)
    targets, zone = _targets(snap, target)
    exposed, maybe = exposure(snap), maybe_exposed(snap)
    entries = {w for w in ref.entry_ports
               if not exposed_only or w in exposed or maybe is None or w in maybe}
    dist = ref.distances(dict.fromkeys(entries, 1))
    want = {t: dist[t] for t in targets if t in dist and (max_hops is None or dist[t] <= max_hops)}
    got = dict(zip(df["target"], df["hops"], strict=True))
    assert got == want, (target, exposed_only, max_hops, sorted(set(got.items()) ^ set(want.items())))
    order = list(zip(df["hops"], df["target"], strict=True))
    assert order == sorted(order)
    for row in df.itertuples(index=False):
        assert row.namespace == row.target.split("/", 1)[0]
        if zone is not None:
            assert row.zone == zone
        assert len(row.path) == row.hops + 1
        assert row.path[0] == INTERNET and row.path[1] in entries and row.path[-1] == row.target
        assert list(row.ports[0]) == ref.entry_ports[row.path[1]]
        ref.check_chain(row.path[1:], row.ports[1:])
    return df


@SETTINGS
@given(cases)
def test_internet_paths_agree_with_reference(case):
    snap, reach, rng = make_case(*case)
    ref = Reference(reach)
    # ``external`` holds the addresses paths start from: no target (an error, tested in test_blast.py).
    names = [*(z for z in ZONES.names if z != "external"), *sorted({p.namespace for p in snap.pods})]
    some = rng.sample(snap.pods, min(2, len(snap.pods)))
    targets = [*rng.sample(names, 2), some[0].workload_key, some[-1].key]
    if ref.entry_ports:  # an entry's namespace: its paths start at entries for sure
        targets.append(rng.choice(sorted(ref.entry_ports)).split("/", 1)[0])
    for target in targets:
        for exposed_only in (True, False):
            check_paths(reach, ref, target, exposed_only, _max_hops(rng))


# ---------------------------------------------------------------------------------------------
# The clusters are worth testing on
# ---------------------------------------------------------------------------------------------
def test_random_clusters_have_long_chains_entries_and_ended_pods():
    """Over a few fixed seeds, the generator gives what the properties need to bite: chains of
    three hops and more, internet entries both exposed and not, ended pods that behave unlike
    their running replicas, a workload whose pods all ended, and an entry that internet blocks
    may reach on different ports."""
    seen: dict[str, int] = defaultdict(int)
    for seed in range(16):
        rng = random.Random(seed)
        snap = snapshot_of(*build_cluster(rng, rng.randrange(30, 150), rng.randrange(0, 20)))
        reach = k8sviz.reachability(snap)
        ref = Reference(reach)
        longest = max((max(ref.distances({w: 0}).values()) for w in list(ref.succ)), default=0)
        seen["3+ hops"] += longest >= 3
        exposed = exposure(snap)
        seen["exposed entry"] += any(w in exposed for w in ref.entry_ports)
        seen["unexposed entry"] += any(w not in exposed for w in ref.entry_ports)
        live = {p.workload_key for p in snap.pods if not p.terminated}
        seen["all pods ended"] += any(p.workload_key not in live for p in snap.pods)
        # Where the workload frame (fully ended workloads left out) differs from the reference,
        # some ended pod behaved unlike its running replicas.
        gone = {p.workload_key for p in snap.pods} - live
        seen["ended unlike replicas"] += workload_frame_ports(reach, gone) != ref.ports
        by_block: dict[str, dict[str, set[tuple[str, ...]]]] = defaultdict(lambda: defaultdict(set))
        for s, d, s_type, _, proto, ports in _rows(reach.to_frame(level="workload")):
            if s_type == "external" and classify_block(s)[0] == INTERNET:
                by_block[d][s].add((str(proto), *ports))
        seen["blocks on other ports"] += any(len({frozenset(v) for v in blocks.values()}) > 1
                                             for blocks in by_block.values())
    wanted = ("3+ hops", "exposed entry", "unexposed entry", "all pods ended", "ended unlike replicas",
              "blocks on other ports")
    assert all(seen[k] >= 2 for k in wanted), seen
