"""Time the workload-level analyses on a synthetic cluster.

    python bench/bench_analysis.py            # L: 50,000 pods / 5,000 policies
    python bench/bench_analysis.py --pods 5000 --policies 500

Prints one line per step (seconds) and a Markdown table for bench/README.md.  A step that runs
out of memory (run under ``ulimit -v`` on shared machines) is reported as such, and the steps
that need its result are skipped.
"""

from __future__ import annotations

import argparse
import gc
import resource
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
    ap.add_argument(
        "--skip", nargs="*", default=[], help="step names to skip (segmentation, gaps, graph, ...)"
    )
    args = ap.parse_args()
    rows: list[tuple[str, str]] = []

    def step(name, fn):
        if any(name.startswith(s) for s in args.skip):
            rows.append((name, "skipped"))
            print(f"{name:<40} skipped", flush=True)
            return None
        gc.collect()
        t = time.perf_counter()
        try:
            out = fn()
        except MemoryError:
            rows.append((name, "out of memory"))
            print(f"{name:<40} out of memory", flush=True)
            return None
        dt = time.perf_counter() - t
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
        rows.append((name, f"{dt:.2f}"))
        print(f"{name:<40} {dt:8.2f} s   (peak RSS {rss:.1f} GB)", flush=True)
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
    del objs
    inv = step("policy_inventory", lambda: k8sviz.policy_inventory(snap))
    del inv
    reach = step("reachability", lambda: k8sviz.reachability(snap))
    edges = step("to_frame(workload)", lambda: edge_frame(reach, "workload"))
    facts = [
        f"{len(snap.pods)} pods",
        f"{len(snap.workloads)} workloads",
        f"{len(snap.network_policies)} policies",
    ]
    if edges is not None:
        facts.append(f"{len(edges)} allowed workload edges")
        step("rule_frame(workload)", lambda: rule_frame(reach, "workload"))
        envs = sorted({n.labels.get("env") for n in snap.namespaces if n.labels.get("env")})
        zones = k8sviz.load_zones(
            {
                "zones": {e: {"namespaceSelector": {"matchLabels": {"env": e}}} for e in envs},
                "allow": [{"from": envs[0], "to": envs[-1], "ports": ["TCP/443"], "justification": "bench"}],
            }
        )
        start = edges["src"].iloc[0]
        br = step("blast_radius", lambda: k8sviz.blast_radius(reach, start))
        if br is not None:
            facts.append(f"blast radius {len(br)}")
        step("internet_paths (first zone)", lambda: k8sviz.internet_paths(reach, envs[0], zones))
        from k8sviz.analysis._common import _FRAMES

        _FRAMES.get(reach, {}).pop(("hops", "workload"), None)  # free the blast-radius graph
        seg = step(f"segmentation ({len(envs)} zones)", lambda: k8sviz.segmentation(snap, reach, zones))
        if seg is not None:
            facts.append(f"{len(seg.violations)} violations")
            # What `k8sviz report` does: gaps reuses the segmentation it already has.
            g = step("gaps (segmentation given)", lambda: k8sviz.gaps(snap, reach, segmentation=seg))
            del g
        del seg
        g = step("gaps (with zones)", lambda: k8sviz.gaps(snap, reach, zones=zones))
        if g is not None:
            facts.append(f"{len(g)} findings")
        del g
        G = step("graph(workload)", lambda: k8sviz.graph(snap, reach, zones=zones))
        if G is not None:
            facts.append(f"graph {G.number_of_nodes()} nodes / {G.number_of_edges()} edges")
    print()
    print(", ".join(facts))
    print()
    print("| step | seconds |")
    print("|---|---|")
    for name, v in rows:
        print(f"| {name} | {v} |")


if __name__ == "__main__":
    main()
