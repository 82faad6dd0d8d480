"""Time the posture table (``reach.isolation``, what ``k8sviz.gaps`` reads) where many pods are
``partial``, and measure what it holds.

    python bench/bench_posture.py                        # L: 50,000 pods / 5,000 policies
    python bench/bench_posture.py --pods 5000 --policies 500
    python bench/bench_posture.py --skip isolation gaps  # the table alone

The generated cluster gets one AdminNetworkPolicy that denies ingress from and egress to one
namespace for every pod: each pod that no NetworkPolicy isolates for a direction is then
``partial``, decided for that namespace's classes and open to nearly every other class.  Prints
one line per step (seconds; RSS now and peak, from ``/proc/self/status``) and the states.
"""

from __future__ import annotations

import argparse
import gc
import time
from typing import Any

import k8sviz
from k8sviz.snapshot import SnapshotBuilder
from k8sviz.synth import generate_cluster


def deny_one_namespace(namespace: str) -> dict[str, Any]:
    peer = [{"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}]
    return {
        "apiVersion": "policy.networking.k8s.io/v1alpha1",
        "kind": "AdminNetworkPolicy",
        "metadata": {"name": "deny-one-namespace"},
        "spec": {"priority": 10, "subject": {"namespaces": {}},
                 "ingress": [{"action": "Deny", "from": peer}], "egress": [{"action": "Deny", "to": peer}]},
    }


def rss_gb() -> tuple[float, float]:
    """(resident now, peak) in GB."""
    with open("/proc/self/status") as f:
        status = dict(line.split(":", 1) for line in f)
    return tuple(int(status[k].split()[0]) / 1024 / 1024 for k in ("VmRSS", "VmHWM"))  # type: ignore[return-value]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pods", type=int, default=50_000)
    ap.add_argument("--policies", type=int, default=5_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip", nargs="*", default=[], help="steps to skip: isolation, gaps")
    args = ap.parse_args()

    def step(name: str, fn: Any) -> Any:
        gc.collect()
        t = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t
        gc.collect()
        now, peak = rss_gb()
        print(f"{name:<36} {dt:8.2f} s   (RSS {now:.2f} GB, peak {peak:.2f} GB)", flush=True)
        return out

    objs = generate_cluster(pods=args.pods, policies=args.policies, seed=args.seed)
    namespaces = sorted(o["metadata"]["name"] for o in objs if o["kind"] == "Namespace")
    denied = namespaces[len(namespaces) // 2]
    b = SnapshotBuilder()
    for o in [*objs, deny_one_namespace(denied)]:
        b.add(o, "synth")
    del objs
    snap = step("snapshot", lambda: b.build(cluster="synth"))
    reach = step("reachability", lambda: k8sviz.reachability(snap))
    print(f"{len(snap.pods)} pods, {reach._engine.n_b} behaviour classes, denied namespace {denied}")

    def table() -> Any:
        t = reach._postures()
        for d in ("ingress", "egress"):
            t.sides(d)
        return t

    posture = step("posture table (both directions)", table)
    for d in ("ingress", "egress"):
        sides = posture.sides(d).values()
        states: dict[str, int] = {}
        for s in sides:
            states[s.state] = states.get(s.state, 0) + 1
        open_total = sum(len(s.open_classes) for s in sides if s.state == "partial")
        print(f"  {d}: {states}; open peer classes over the partial classes: {open_total:,}")
    if "isolation" not in args.skip:
        iso = step("isolation(workload)", lambda: reach.isolation("workload"))
        print(f"  {len(iso)} rows")
        del iso
    if "gaps" not in args.skip:
        g = step("gaps (no zones)", lambda: k8sviz.gaps(snap, reach))
        print(f"  {len(g)} findings")


if __name__ == "__main__":
    main()
