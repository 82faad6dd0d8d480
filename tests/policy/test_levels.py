"""Workload level is exactly the union of pod level, on generated clusters with many replicas."""

from __future__ import annotations

import pytest

import k8sviz
from k8sviz.snapshot import SnapshotBuilder
from k8sviz.synth import generate_cluster


def _ranges(ports):
    out = set()
    for rg in ports:
        lo, _, hi = rg.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_workload_frame_is_union_of_pod_frame(seed):
    b = SnapshotBuilder()
    for o in generate_cluster(120, 30, seed=seed):
        b.add(o, "gen")
    snap = b.build()
    r = k8sviz.reachability(snap)
    wl = {p.key: p.workload_key for p in snap.pods}
    expect: dict = {}
    pods = r.to_frame("pod")
    for s, d, proto, ports in zip(pods.src, pods.dst, pods.protocol, pods.ports, strict=True):
        key = (wl.get(s, s), wl.get(d, d), str(proto))
        expect.setdefault(key, set()).update(_ranges(ports))
    got = {}
    wdf = r.to_frame("workload")
    for s, d, proto, ports in zip(wdf.src, wdf.dst, wdf.protocol, wdf.ports, strict=True):
        got[(s, d, str(proto))] = _ranges(ports)
    assert got == expect
    keys = list(zip(wdf.src, wdf.dst, wdf.protocol.astype(str), strict=True))
    assert len(keys) == len(set(keys))
