"""Time the change review (``reachability_diff``, ``policy_diff``) on a synthetic cluster.

    python bench/bench_diff.py                         # M: 5,000 pods / 1,000 policies
    python bench/bench_diff.py --pods 20000 --policies 2000

The "after" snapshot is the same cluster with every 10th NetworkPolicy deleted and the numeric
ports of every 7th moved up by one (``endPort`` too): many connections change, as after a
large rework.  ``--delete-every 1000 --modify-every 1000`` is a routine change instead.  Prints one line per step (seconds, peak RSS) and a Markdown table row.
"""

from __future__ import annotations

import argparse
import copy
import gc
import resource
import time
from typing import Any

import k8sviz
from k8sviz.snapshot import SnapshotBuilder
from k8sviz.synth import generate_cluster


def rework(objs: list[dict[str, Any]], delete_every: int = 10, modify_every: int = 7) -> list[dict[str, Any]]:
    out, n = [], 0
    for o in copy.deepcopy(objs):
        if o["kind"] == "NetworkPolicy":
            n += 1
            if n % delete_every == 0:
                continue
            if n % modify_every == 0:
                for rule in o["spec"].get("ingress", []) + o["spec"].get("egress", []):
                    for p in rule.get("ports") or []:
                        if isinstance(p.get("port"), int) and p["port"] < 65535:
                            p["port"] += 1
                            if "endPort" in p:
                                p["endPort"] = max(p["endPort"], p["port"])
        out.append(o)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pods", type=int, default=5_000)
    ap.add_argument("--policies", type=int, default=1_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--delete-every", type=int, default=10, help="delete every Nth NetworkPolicy (default 10)")
    ap.add_argument("--modify-every", type=int, default=7, help="move the ports of every Nth (default 7)")
    ap.add_argument("--rules", action="store_true", help="also time reachability_diff(rules=True)")
    args = ap.parse_args()
    times: dict[str, float] = {}

    def step(name: str, fn: Any) -> Any:
        gc.collect()
        t = time.perf_counter()
        out = fn()
        times[name] = dt = time.perf_counter() - t
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{name:<28} {dt:8.2f} s   (peak RSS {rss:,.0f} MiB)", flush=True)
        return out

    objs = generate_cluster(pods=args.pods, policies=args.policies, seed=args.seed)

    def build(items: list[dict[str, Any]]) -> k8sviz.Snapshot:
        b = SnapshotBuilder()
        for o in items:
            b.add(o, "synth")
        return b.build(cluster="synth")

    before, after = build(objs), build(rework(objs, args.delete_every, args.modify_every))
    del objs
    rb = step("reachability (before)", lambda: k8sviz.reachability(before))
    ra = step("reachability (after)", lambda: k8sviz.reachability(after))
    frame = step("to_frame(workload), one side", lambda: rb.to_frame("workload"))
    changes = step("reachability_diff(workload)", lambda: k8sviz.reachability_diff(rb, ra))
    policies = step("policy_diff", lambda: k8sviz.policy_diff(before, after))
    if args.rules:
        step("reachability_diff(rules=True)", lambda: k8sviz.reachability_diff(rb, ra, rules=True))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print(f"{len(frame):,} workload rows per side, {len(changes):,} changed, {len(policies):,} policies changed")
    print()
    print("| pods / policies | to_frame(workload) s | reachability_diff s | policy_diff s | rows / changed "
          "| peak RSS MiB |")
    print(f"| {args.pods:,} / {args.policies:,} | {times['to_frame(workload), one side']:.2f} | "
          f"{times['reachability_diff(workload)']:.2f} | {times['policy_diff']:.2f} | "
          f"{len(frame):,} / {len(changes):,} | {rss:,.0f} |")


if __name__ == "__main__":
    main()
