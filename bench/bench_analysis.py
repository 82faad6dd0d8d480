"""Time the workload-level analyses on a synthetic cluster.

    python bench/bench_analysis.py            # L: 50,000 pods / 5,000 policies
    python bench/bench_analysis.py --pods 5000 --policies 500

Prints one line per step (seconds) and a Markdown table for bench/README.md.
"""

from __future__ import annotations

import argparse
import time

import k8sviz
from k8sviz.analysis._common import edge_frame, rule_frame
from k8sviz.snapshot import SnapshotBuilder
from k8sviz.synth import generate_cluster


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pods", type=int, default=50_000)
    ap.add_argument("--policies", type=int, default=5_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    times: list[tuple[str, float, str]] = []

    def step(name, fn):
        t = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t
        times.append((name, dt, ""))
        print(f"{name:<40} {dt:8.2f} s", flush=True)
        return out

    objs = step(
        "generate_cluster", lambda: generate_cluster(pods=args.pods, policies=args.policies, seed=args.seed)
    )

    def build():
        b = SnapshotBuilder()
        for o in objs:
            b.add(o, "synth")
        return b.build(cluster="synth")

    snap = step("snapshot", build)
    reach = step("reachability", lambda: k8sviz.reachability(snap))
    edges = step("to_frame(workload)", lambda: edge_frame(reach, "workload"))
    step("rule_frame(workload)", lambda: rule_frame(reach, "workload"))
    envs = sorted({n.labels.get("env") for n in snap.namespaces if n.labels.get("env")})
    zones = k8sviz.load_zones(
        {
            "zones": {e: {"namespaceSelector": {"matchLabels": {"env": e}}} for e in envs},
            "allow": [{"from": envs[0], "to": envs[-1], "ports": ["TCP/443"], "justification": "bench"}]
            if envs
            else [],
        }
    )
    seg = step(f"segmentation ({len(envs)} zones)", lambda: k8sviz.segmentation(snap, reach, zones))
    g = step("gaps (with zones)", lambda: k8sviz.gaps(snap, reach, zones=zones))
    start = edges["src"].iloc[0] if len(edges) else snap.pods[0].workload_key
    br = step("blast_radius", lambda: k8sviz.blast_radius(reach, start))
    step(
        "internet_paths (first zone)", lambda: k8sviz.internet_paths(reach, envs[0] if envs else start, zones)
    )
    G = step("graph(workload)", lambda: k8sviz.graph(snap, reach, zones=zones))
    print()
    print(
        f"{len(snap.pods)} pods, {len(snap.workloads)} workloads, {len(snap.network_policies)} policies, "
        f"{len(edges)} workload edges, {len(seg.violations)} violations, {len(g)} findings, "
        f"blast radius {len(br)}, graph {G.number_of_nodes()} nodes / {G.number_of_edges()} edges"
    )
    print()
    print("| step | seconds |")
    print("|---|---|")
    for name, dt, _ in times:
        print(f"| {name} | {dt:.2f} |")


if __name__ == "__main__":
    main()
