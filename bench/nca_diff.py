"""Differential run: k8sviz vs IBM/np-guard network-config-analyzer (nca) on generated clusters.

Not a test (nca is an optional, slow, external tool).  Usage::

    python bench/nca_diff.py [--nca PATH] [--seeds 1 2 3] [--pods 40] [--policies 15] [--variant edge]

For each seed it writes Namespaces, Pods and NetworkPolicies of a ``k8sviz.synth`` cluster
as YAML (nca would also invent endpoints for Deployments/ReplicaSets, so those are left
out), runs ``nca --connectivity`` with ``-o txt_no_fw_rules --output_endpoints pods`` and
compares connections with ``k8sviz.reachability(...).to_frame("workload")``.

nca collapses pods with the same owner and labels into one representative endpoint, so
its pod rows are mapped to their workload and compared at workload level (a workload to
itself is left out: nca cannot show it).  Rows between a pod and outside addresses are
compared per workload, direction and address interval (nca prints merged IPv4 ranges,
k8sviz CIDR atoms; nca prints no IPv6 rows, so those are not compared).  nca's invented
``kube-dns-livesim`` endpoint is not compared.

``--variant edge`` rewrites the generated objects (deterministically, from the seed) into
shapes the generator does not write: named ports whose number differs between the pods of
one workload (those pods get a ``variant`` label, so nca does not fold them into one), a
sidecar's named port, ports without ``protocol`` (TCP by default), protocol-only entries,
``endPort`` equal to ``port``, empty ``from``/``to``, ``podSelector: {}`` and
``namespaceSelector: {}`` peers, ``kubernetes.io/metadata.name`` matched by ``In``, and
``policyTypes`` left out (implied: Ingress, plus Egress where egress rules exist).
``--variant ports`` is ``edge`` plus, per namespace, an ingress and an egress policy naming
some 90 TCP and 40 UDP ports and ranges, so that k8sviz's port sets span more than one 64-bit
word (the generated policies alone give about 50 port atoms, one word).
"""

from __future__ import annotations

import argparse
import ipaddress
import itertools
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml

import k8sviz
from k8sviz._yaml import Dumper as KubectlYAML  # quotes what kubectl reads as no string
from k8sviz.snapshot import SnapshotBuilder
from k8sviz.synth import generate_cluster

PROTOS = ("TCP", "UDP", "SCTP")
KINDS = ("Namespace", "Pod", "NetworkPolicy")


def canon(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((a, b) for a, b in out)


def parse_ports(text: str) -> list[tuple[int, int]]:
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        lo, _, hi = part.partition("-")
        out.append((int(lo), int(hi or lo)))
    return out


Conns = dict[tuple[str, str], dict[str, tuple[tuple[int, int], ...]]]


def parse_nca(text: str, external: bool = False) -> Conns:
    """nca's pod-to-pod rows (``external``: its rows between a pod and an address range)."""
    conns: dict[tuple[str, str], dict[str, tuple[tuple[int, int], ...]]] = {}
    for line in text.splitlines():
        m = re.match(r"^(\S+) => (\S+) : (.*)$", line.strip())
        if not m or ("/" in m.group(1)) + ("/" in m.group(2)) != (1 if external else 2):
            continue
        src, dst, conn = m.groups()
        per: dict[str, list[tuple[int, int]]] = {}
        if conn.strip() == "All connections":
            per = {p: [(1, 65535)] for p in PROTOS}
        else:
            for grp in re.findall(r"\{([^}]*)\}", conn):
                pm = re.search(r"protocols:([A-Z, ]+?)(?:,dst_ports:|$)", grp)
                protos = [p.strip() for p in pm.group(1).split(",")] if pm else list(PROTOS)
                dm = re.search(r"dst_ports:([0-9,\- ]+)", grp)
                ports = parse_ports(dm.group(1)) if dm else [(1, 65535)]
                for p in protos:
                    if p in PROTOS:
                        per.setdefault(p, []).extend(ports)
        agg = conns.setdefault((src, dst), {})  # nca prints one line per connection group
        for p, r in per.items():
            agg[p] = canon([*agg.get(p, ()), *r])
    return conns


_V4_RANGE = re.compile(r"^(\d+\.\d+\.\d+\.\d+)-(\d+\.\d+\.\d+\.\d+)$")

#: ``{(direction, workload): [(first address, last address, {protocol: port ranges})]}``,
#: direction "in" (from the addresses) or "out" (to them); IPv4 only (nca prints no IPv6 rows).
External = dict[tuple[str, str], list[tuple[int, int, dict[str, tuple[tuple[int, int], ...]]]]]


def nca_external(text: str, wl: dict[str, str]) -> External:
    out: External = {}
    for (src, dst), per in parse_nca(text, external=True).items():
        for addr, pod, direction in ((src, dst, "in"), (dst, src, "out")):
            m = _V4_RANGE.match(addr)
            if m and pod in wl:
                lo, hi = (int(ipaddress.IPv4Address(a)) for a in m.groups())
                out.setdefault((direction, wl[pod]), []).append((lo, hi, per))
    return out


def ours_external(df: Any) -> External:
    out: External = {}
    for s, d, st, p, ports in zip(df.src, df.dst, df.src_type, df.protocol, df.ports, strict=True):
        direction, addr, owner = ("in", s, d) if st == "external" else ("out", d, s)
        net = ipaddress.ip_network(addr)
        if net.version != 4:
            continue
        per = {str(p): canon(parse_ports(",".join(ports)))}
        span = (int(net.network_address), int(net.broadcast_address))
        out.setdefault((direction, owner), []).append((*span, per))
    return out


def external_diffs(mine: External, theirs: External) -> list[tuple[tuple[str, str], int, int, dict, dict]]:
    """``(key, first, last, k8sviz ports, nca ports)`` of each address interval where the two differ."""
    out = []
    for key in sorted(set(mine) | set(theirs)):
        a, b = mine.get(key, []), theirs.get(key, [])
        cuts = sorted({0, 1 << 32, *(x for lo, hi, _ in a + b for x in (lo, hi + 1))})
        for lo, nxt in itertools.pairwise(cuts):
            def at(rows: list, lo: int = lo) -> dict[str, tuple[tuple[int, int], ...]]:
                agg: dict[str, list[tuple[int, int]]] = {}
                for rlo, rhi, per in rows:
                    if rlo <= lo <= rhi:
                        for proto, r in per.items():
                            agg.setdefault(proto, []).extend(r)
                return {proto: canon(r) for proto, r in agg.items() if r}
            x, y = at(a), at(b)
            if x != y:
                if out and out[-1][0] == key and out[-1][2] == lo - 1 and (out[-1][3], out[-1][4]) == (x, y):
                    out[-1] = (key, out[-1][1], nxt - 1, x, y)
                else:
                    out.append((key, lo, nxt - 1, x, y))
    return out


def ours(objs: list[dict]) -> tuple[dict, dict[str, str], External]:
    b = SnapshotBuilder()
    for o in objs:
        b.add(o, "gen")
    snap = b.build()
    df = k8sviz.reachability(snap).to_frame("workload")
    ext = ours_external(df[(df.src_type == "external") != (df.dst_type == "external")])
    df = df[(df.src_type == "workload") & (df.dst_type == "workload") & (df.src != df.dst)]
    conns: dict[tuple[str, str], dict[str, tuple[tuple[int, int], ...]]] = {}
    for s, d, p, ports in zip(df.src, df.dst, df.protocol, df.ports, strict=True):
        conns.setdefault((s, d), {})[str(p)] = canon(parse_ports(",".join(ports)))
    return conns, {p.key: p.workload_key for p in snap.pods}, ext


def to_workloads(conns: dict, wl: dict[str, str]) -> dict:
    out: dict[tuple[str, str], dict[str, list[tuple[int, int]]]] = {}
    for (s, d), per in conns.items():
        if s not in wl or d not in wl or wl[s] == wl[d]:
            continue
        agg = out.setdefault((wl[s], wl[d]), {})
        for p, r in per.items():
            agg.setdefault(p, []).extend(r)
    return {k: {p: canon(r) for p, r in v.items()} for k, v in out.items()}


def edge_variant(objs: list[dict], seed: int) -> list[dict]:
    """``objs`` with the edge shapes of ``--variant edge`` (see the module's docstring)."""
    rng = random.Random(seed * 7919 + 1)
    ns_names = [o["metadata"]["name"] for o in objs if o["kind"] == "Namespace"]
    by_owner: dict[str, list[dict]] = {}
    for o in objs:
        if o["kind"] == "Pod":
            by_owner.setdefault(o["metadata"]["ownerReferences"][0]["name"], []).append(o)
    for pods in by_owner.values():
        if len(pods) >= 2 and rng.random() < 0.4:
            for pod in pods[len(pods) // 2:]:  # the same port name, another number
                pod["metadata"]["labels"]["variant"] = "b"
                for c in pod["spec"]["containers"]:
                    for cp in c["ports"]:
                        cp["containerPort"] += 1
        if rng.random() < 0.3:
            for pod in pods:
                pod["spec"]["containers"].append({"name": "proxy", "image": "envoyproxy/envoy:v1.29",
                                                  "ports": [{"name": "admin", "containerPort": 9901}]})

    def port(entry: dict) -> dict:
        r = rng.random()
        if r < 0.15:
            return {"protocol": rng.choice(["TCP", "UDP", "SCTP"])}  # every port of the protocol
        if r < 0.25:
            return {"port": "admin"}
        if r < 0.35 and isinstance(entry.get("port"), int):
            return {"protocol": entry.get("protocol", "TCP"), "port": entry["port"], "endPort": entry["port"]}
        if entry.get("protocol") == "TCP" and r < 0.7:
            return {k: v for k, v in entry.items() if k != "protocol"}
        return entry

    def peer(entry: dict) -> dict:
        ns_sel = entry.get("namespaceSelector", {}).get("matchLabels", {})
        if NS_NAME in ns_sel and rng.random() < 0.4:
            names = sorted({ns_sel[NS_NAME], rng.choice(ns_names)})
            rest = {k: v for k, v in entry["namespaceSelector"].items() if k != "matchLabels"}
            return {**entry, "namespaceSelector": {
                **rest, "matchExpressions": [{"key": NS_NAME, "operator": "In", "values": names}]}}
        return entry

    for o in objs:
        if o["kind"] != "NetworkPolicy":
            continue
        spec = o["spec"]
        for key, peers in (("ingress", "from"), ("egress", "to")):
            for rule in spec.get(key, ()):
                if "ports" in rule:
                    rule["ports"] = [port(e) for e in rule["ports"]]
                if peers in rule:
                    rule[peers] = [peer(e) for e in rule[peers]]
                    r = rng.random()
                    if r < 0.05:
                        rule[peers] = []  # every peer
                    elif r < 0.12:
                        rule[peers].append({"podSelector": {}})  # every pod of the namespace
                    elif r < 0.17:
                        rule[peers].append({"namespaceSelector": {}, "podSelector": {
                            "matchLabels": {"tier": rng.choice(["web", "api", "db", "cache"])}}})
        if rng.random() < 0.2:
            spec.pop("policyTypes", None)  # implied: Ingress, and Egress if there are egress rules
    return objs


NS_NAME = "kubernetes.io/metadata.name"


def many_ports(objs: list[dict], seed: int) -> list[dict]:
    """``objs`` with two policies per namespace naming many ports (``--variant ports``)."""
    rng = random.Random(seed * 104729 + 3)
    apps: dict[str, list[str]] = {}
    for o in objs:
        if o["kind"] == "Pod":
            apps.setdefault(o["metadata"]["namespace"], []).append(o["metadata"]["labels"]["app"])
    extra = []
    for ns, names in apps.items():
        tcp = sorted(rng.sample(range(1000, 40000), 90))
        ports: list[dict] = [{"port": p} if rng.random() < 0.7
                             else {"port": p, "endPort": p + rng.randrange(1, 40)} for p in tcp]
        ports += [{"protocol": "UDP", "port": p} for p in sorted(rng.sample(range(1000, 40000), 40))]
        for kind, peers in (("Ingress", "from"), ("Egress", "to")):
            rule = {peers: [{"podSelector": {"matchLabels": {"app": rng.choice(names)}}}],
                    "ports": rng.sample(ports, len(ports) * 2 // 3)}
            extra.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                          "metadata": {"namespace": ns, "name": f"many-ports-{kind.lower()}"},
                          "spec": {"podSelector": {"matchLabels": {"app": rng.choice(names)}},
                                   "policyTypes": [kind], kind.lower(): [rule]}})
    return objs + extra


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nca", default=shutil.which("nca") or "nca")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--pods", type=int, default=40)
    ap.add_argument("--policies", type=int, default=15)
    ap.add_argument("--variant", choices=["plain", "edge", "ports"], default="plain",
                    help="edge: rewrite the generated objects into rarer shapes; ports: edge, and policies "
                    "naming many ports (see the docstring)")
    args = ap.parse_args()
    total_diff = 0
    for seed in args.seeds:
        objs = [o for o in generate_cluster(args.pods, args.policies, seed=seed) if o["kind"] in KINDS]
        if args.variant in ("edge", "ports"):
            objs = edge_variant(objs, seed)
        if args.variant == "ports":
            objs = many_ports(objs, seed)
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp)
            (d / "cluster.yaml").write_text(yaml.dump_all(objs, Dumper=KubectlYAML))
            res = subprocess.run(
                [args.nca, "--connectivity", "-r", str(d), "-o", "txt_no_fw_rules",
                 "--output_endpoints", "pods"],
                capture_output=True, text=True, timeout=3600,
            )
        theirs = parse_nca(res.stdout)
        mine, wl, mine_ext = ours(objs)
        ext = external_diffs(mine_ext, nca_external(res.stdout, wl))
        theirs = to_workloads(theirs, wl)
        keys = sorted(set(theirs) | set(mine))
        diffs = [(k, mine.get(k, {}), theirs.get(k, {})) for k in keys
                 if mine.get(k, {}) != theirs.get(k, {})]
        n_wl = len(set(wl.values()))
        print(f"seed {seed}: {len(wl)} pods, {n_wl} workloads, {n_wl * (n_wl - 1)} ordered pairs, "
              f"{len(mine)} connected (k8sviz), {len(theirs)} connected (nca), {len(diffs)} pairs differ; "
              f"{len(mine_ext)} workload-directions with outside IPv4 peers, "
              f"{len(ext)} address ranges differ")
        for k, a, b in diffs[:10]:
            print(f"  {k[0]} -> {k[1]}\n    k8sviz {a}\n    nca    {b}")
        for (direction, w), lo, hi, a, b in ext[:10]:
            span = f"{ipaddress.IPv4Address(lo)}-{ipaddress.IPv4Address(hi)}"
            pair = f"{span} -> {w}" if direction == "in" else f"{w} -> {span}"
            print(f"  {pair}\n    k8sviz {a}\n    nca    {b}")
        total_diff += len(diffs) + len(ext)
    return 1 if total_diff else 0


if __name__ == "__main__":
    sys.exit(main())
