"""Differential run: k8sviz vs IBM/np-guard network-config-analyzer (nca) on generated clusters.

Not a test (nca is an optional, slow, external tool).  Usage::

    python bench/nca_diff.py [--nca PATH] [--seeds 1 2 3] [--pods 40] [--policies 15]

For each seed it writes Namespaces, Pods and NetworkPolicies of a ``k8sviz.synth`` cluster
as YAML (nca would also invent endpoints for Deployments/ReplicaSets, so those are left
out), runs ``nca --connectivity`` with ``-o txt_no_fw_rules --output_endpoints pods`` and
compares connections with ``k8sviz.reachability(...).to_frame("workload")``.

nca collapses pods with the same owner and labels into one representative endpoint, so
its pod rows are mapped to their workload and compared at workload level (a workload to
itself is left out: nca cannot show it).  External IP rows and nca's invented
``kube-dns-livesim`` endpoint are not compared.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml  # noqa: E402

import k8sviz  # noqa: E402
from k8sviz._yaml import Dumper as KubectlYAML  # noqa: E402  (quotes what kubectl reads as no string)
from k8sviz.snapshot import SnapshotBuilder  # noqa: E402
from k8sviz.synth import generate_cluster  # noqa: E402

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


def parse_nca(text: str) -> dict[tuple[str, str], dict[str, tuple[tuple[int, int], ...]]]:
    conns: dict[tuple[str, str], dict[str, tuple[tuple[int, int], ...]]] = {}
    for line in text.splitlines():
        m = re.match(r"^(\S+) => (\S+) : (.*)$", line.strip())
        if not m or "/" not in m.group(1) or "/" not in m.group(2):
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


def ours(objs: list[dict]) -> tuple[dict, dict[str, str]]:
    b = SnapshotBuilder()
    for o in objs:
        b.add(o, "gen")
    snap = b.build()
    df = k8sviz.reachability(snap).to_frame("workload")
    df = df[(df.src_type == "workload") & (df.dst_type == "workload") & (df.src != df.dst)]
    conns: dict[tuple[str, str], dict[str, tuple[tuple[int, int], ...]]] = {}
    for s, d, p, ports in zip(df.src, df.dst, df.protocol, df.ports, strict=True):
        conns.setdefault((s, d), {})[str(p)] = canon(parse_ports(",".join(ports)))
    return conns, {p.key: p.workload_key for p in snap.pods}


def to_workloads(conns: dict, wl: dict[str, str]) -> dict:
    out: dict[tuple[str, str], dict[str, list[tuple[int, int]]]] = {}
    for (s, d), per in conns.items():
        if s not in wl or d not in wl or wl[s] == wl[d]:
            continue
        agg = out.setdefault((wl[s], wl[d]), {})
        for p, r in per.items():
            agg.setdefault(p, []).extend(r)
    return {k: {p: canon(r) for p, r in v.items()} for k, v in out.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nca", default=shutil.which("nca") or "nca")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--pods", type=int, default=40)
    ap.add_argument("--policies", type=int, default=15)
    args = ap.parse_args()
    total_diff = 0
    for seed in args.seeds:
        objs = [o for o in generate_cluster(args.pods, args.policies, seed=seed) if o["kind"] in KINDS]
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp)
            (d / "cluster.yaml").write_text(yaml.dump_all(objs, Dumper=KubectlYAML))
            res = subprocess.run(
                [args.nca, "--connectivity", "-r", str(d), "-o", "txt_no_fw_rules", "--output_endpoints", "pods"],
                capture_output=True, text=True, timeout=3600,
            )
        theirs = parse_nca(res.stdout)
        mine, wl = ours(objs)
        theirs = to_workloads(theirs, wl)
        keys = sorted(set(theirs) | set(mine))
        diffs = [(k, mine.get(k, {}), theirs.get(k, {})) for k in keys if mine.get(k, {}) != theirs.get(k, {})]
        n_wl = len(set(wl.values()))
        print(f"seed {seed}: {len(wl)} pods, {n_wl} workloads, {n_wl * (n_wl - 1)} ordered pairs, "
              f"{len(mine)} connected (k8sviz), {len(theirs)} connected (nca), {len(diffs)} pairs differ")
        for k, a, b in diffs[:10]:
            print(f"  {k[0]} -> {k[1]}\n    k8sviz {a}\n    nca    {b}")
        total_diff += len(diffs)
    return 1 if total_diff else 0


if __name__ == "__main__":
    sys.exit(main())
