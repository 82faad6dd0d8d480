"""``Reachability.rule_frame`` against a plain per-rule construction of the same frame."""

from __future__ import annotations

import copy
import json
from collections import defaultdict

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import k8sviz
from k8sviz.errors import InputError, K8svizError
from k8sviz.model import PROTOCOLS
from k8sviz.policy.reachability import RULE_COLUMNS
from k8sviz.snapshot import SnapshotBuilder
from k8sviz.synth import generate_cluster
from tests.test_hostile_objects import ADMIN_SEEDS, tampered_dump


def plain_rule_frame(reach, level):
    """One small frame per allow rule, concatenated: for each pair of entities (pods and
    external blocks) the rule admits end to end, OR the port words into its (src unit, dst
    unit); a unit to itself needs two distinct entities, external to external is left out."""
    pods = reach._ends.pods
    ext = list(reach._ends.ips.cidrs)
    names = [p.key for p in pods] if level == "pod" else sorted({p.workload_key for p in pods})
    n_in = len(names)
    index = {k: i for i, k in enumerate(names)}
    unit = [index[p.key if level == "pod" else p.workload_key] for p in pods]
    unit += list(range(n_in, n_in + len(ext)))
    names += ext
    members = defaultdict(list)  # class -> its entities
    for e, b in enumerate(reach._engine.bmap.tolist()):
        members[b].append(e)
    engine = reach._engine
    frames = []
    for r in reach._rules:
        if r.action != "allow" or r.origin is None:
            continue
        src, dst = engine.src_dst(r)
        if not len(src) or not len(dst):
            continue
        block = engine.port_block(r, dst)
        words: dict[tuple[int, int], int] = {}
        for b1 in src.tolist():
            for j, b2 in enumerate(dst.tolist()):
                w = block[j if len(block) > 1 else 0] & engine.matrix[b1, b2]
                if not w.any():
                    continue
                bits = reach.ports.from_words(w)
                for e1 in members[b1]:
                    for e2 in members[b2]:
                        u1, u2 = unit[e1], unit[e2]
                        if e1 == e2 or (u1 >= n_in and u2 >= n_in):
                            continue
                        words[(u1, u2)] = words.get((u1, u2), 0) | bits
        rows = []
        for (u1, u2), bits in sorted(words.items()):
            for proto in PROTOCOLS:
                if reach.ports.has(bits, proto):
                    rows.append({
                        "src": names[u1], "dst": names[u2], "protocol": proto,
                        "ports": reach.ports.ranges(bits, proto),
                        "src_type": "external" if u1 >= n_in else level,
                        "dst_type": "external" if u2 >= n_in else level,
                    })
        if not rows:
            continue
        df = pd.DataFrame(rows)
        df.insert(0, "rule", r.origin.index)
        df.insert(0, "direction", r.origin.direction)
        df.insert(0, "policy", r.origin.policy)
        frames.append(df)
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in RULE_COLUMNS})
    out = pd.concat(frames, ignore_index=True)[RULE_COLUMNS]
    out["src"] = out["src"].astype(object)
    out["dst"] = out["dst"].astype(object)
    out["protocol"] = pd.Categorical(out["protocol"], categories=list(PROTOCOLS))
    for c in ("src_type", "dst_type"):
        out[c] = pd.Categorical(out[c], categories=[level, "external"])
    return out


def check(reach, level="workload"):
    got = reach.rule_frame(level=level)
    want = plain_rule_frame(reach, level)
    pd.testing.assert_frame_equal(got, want, check_categorical=True)
    # rows with the same ports and protocol share one list object, across rules too
    lists = {(str(p), tuple(x)): id(x) for p, x in zip(got["protocol"], got["ports"], strict=True)}
    assert len(set(map(id, got["ports"]))) == len(lists)
    return got


def synth(pods, policies, seed):
    b = SnapshotBuilder()
    for o in generate_cluster(pods=pods, policies=policies, seed=seed):
        b.add(o, "synth")
    return b.build(cluster="synth")


@pytest.mark.parametrize("level", ["workload", "pod"])
def test_demo(level):
    assert len(check(k8sviz.reachability(k8sviz.demo()), level))


def test_demo_with_admin_calico_and_cilium_policies(tmp_path):
    objs = [*k8sviz.demo().raw_objects(), *copy.deepcopy(ADMIN_SEEDS)]
    dump = tmp_path / "cluster.json"
    dump.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}))
    reach = k8sviz.reachability(k8sviz.load(dump))
    check(reach, "workload")
    check(reach, "pod")


@pytest.mark.parametrize(
    ("pods", "policies", "seed"),
    [(300, 40, 1), (300, 60, 2), (2000, 200, 5), pytest.param(6800, 700, 3, marks=pytest.mark.slow)],
)
def test_synthetic_clusters(pods, policies, seed):
    reach = k8sviz.reachability(synth(pods, policies, seed))
    assert len(check(reach, "workload"))
    if pods <= 300:
        check(reach, "pod")


def test_no_rule_gives_the_empty_frame():
    snap = k8sviz.demo()
    objs = [o for o in snap.raw_objects() if o.get("kind") != "NetworkPolicy"]
    b = SnapshotBuilder()
    for o in objs:
        b.add(o, "demo")
    reach = k8sviz.reachability(b.build(cluster="demo"))
    check(reach)
    assert list(reach.rule_frame().columns) == RULE_COLUMNS


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_tampered_dumps(tmp_path, data):
    dump = tampered_dump(tmp_path, data)
    try:
        reach = k8sviz.reachability(k8sviz.load(dump))
    except (InputError, K8svizError):
        return
    check(reach, data.draw(st.sampled_from(["workload", "pod"])))

