"""Endpoints read off the engine's own codes must group rows exactly as the names do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import k8sviz
from k8sviz.analysis._common import edge_frame, endpoint_codes
from k8sviz.report._render import _text_ordered
from k8sviz.snapshot import SnapshotBuilder
from k8sviz.synth import generate_cluster


@pytest.fixture(scope="module", params=[(300, 40, 2), (800, 90, 9)])
def reach(request):
    pods, policies, seed = request.param
    b = SnapshotBuilder()
    for o in generate_cluster(pods=pods, policies=policies, seed=seed):
        b.add(o, "test")
    return k8sviz.reachability(b.build(cluster="test", collected_at="2026-06-01T00:00:00Z"))


@pytest.mark.parametrize("level", ["workload", "pod"])
@pytest.mark.parametrize("col", ["src", "dst"])
def test_codes_of_the_cached_frame_are_those_of_factorize(reach, level, col):
    frame = edge_frame(reach, level)
    codes, names = endpoint_codes(reach, frame, level, col)
    want_codes, want_names = pd.factorize(frame[col])
    assert np.array_equal(codes, want_codes)
    assert names.tolist() == list(want_names)


def test_another_frame_is_factorized_itself(reach):
    frame = edge_frame(reach, "workload")
    copy = frame.iloc[::-1].reset_index(drop=True)  # not the cached frame: its codes do not apply
    codes, names = endpoint_codes(reach, copy, "workload", "src")
    want_codes, want_names = pd.factorize(copy["src"])
    assert np.array_equal(codes, want_codes) and names.tolist() == list(want_names)


def test_the_report_orders_endpoints_as_a_categorical_of_their_text(reach):
    frame = edge_frame(reach, "workload")
    for col in ("src", "dst"):
        got = _text_ordered(reach, frame, col)
        want = pd.Categorical(frame[col])
        assert list(got.categories) == list(want.categories)
        assert np.array_equal(got.codes, want.codes)


@pytest.mark.parametrize("level", ["workload", "pod"])
def test_port_list_codes_number_the_list_objects(reach, level):
    from k8sviz.analysis._common import port_list_codes

    frame = edge_frame(reach, level)
    ids = np.fromiter(map(id, frame["ports"]), dtype=np.int64, count=len(frame))
    assert np.array_equal(port_list_codes(reach, frame, level), pd.factorize(ids)[0])
    copy = frame.iloc[::2]
    ids = np.fromiter(map(id, copy["ports"]), dtype=np.int64, count=len(copy))
    assert np.array_equal(port_list_codes(reach, copy, level), pd.factorize(ids)[0])


def _external_reference(frame: pd.DataFrame) -> dict[tuple[str, str], dict]:
    """Row by row: per (finding, workload) the distinct internet blocks in order of first row
    (the first 20 and how many) and the port ranges per protocol, as gaps' evidence gives them."""
    from k8sviz.analysis import _ports
    from k8sviz.analysis._common import classify_block

    out: dict[tuple[str, str], dict] = {}
    for src, dst, st, dt, proto, ports in zip(frame["src"], frame["dst"], frame["src_type"], frame["dst_type"],
                                              frame["protocol"].astype(str), frame["ports"], strict=True):
        if (st == "external") == (dt == "external"):
            continue
        inbound = st == "external"
        block, wl = (src, dst) if inbound else (dst, src)
        if classify_block(block)[0] != "internet":
            continue
        d = out.setdefault(("internet-ingress" if inbound else "internet-egress", wl),
                           {"blocks": [], "ports": {}})
        if block not in d["blocks"]:
            d["blocks"].append(block)
        d["ports"][proto] = _ports.union(d["ports"].get(proto, ()), _ports.parse(ports))
    return {k: {"blocks": d["blocks"][:20], "n_blocks": len(d["blocks"]),
                "ports": [f"{p}/{r}" for p, rs in sorted(d["ports"].items()) for r in _ports.fmt(rs)]}
            for k, d in out.items()}


@pytest.mark.parametrize("codes", [True, False])
def test_internet_evidence_on_codes_is_the_row_by_row_reading(reach, codes, monkeypatch):
    """gaps reads the external rows on the engine's codes (or, for another frame, on factorized
    names): the evidence equals a row-by-row reading of the frame."""
    from k8sviz.analysis import gaps as gaps_module

    if not codes:
        monkeypatch.setattr(gaps_module, "_engine_codes", lambda *a: None)
    want = _external_reference(edge_frame(reach, "workload"))
    assert len(want) >= 3
    found = k8sviz.gaps(reach.snapshot, reach)
    found = found[found["finding"].isin(["internet-ingress", "internet-egress"])]
    got = {(f, ev["workload"]): {"blocks": ev["blocks"], "n_blocks": ev["n_blocks"], "ports": ev["ports"]}
           for f, ev in zip(found["finding"], found["evidence"], strict=True)}
    assert got == want


@pytest.mark.parametrize("codes", [True, False])
def test_internet_evidence_joins_the_ports_of_every_block(codes, monkeypatch):
    """Two blocks open on different ports of one protocol: the evidence has both ports."""
    from k8sviz.analysis import gaps as gaps_module

    if not codes:
        monkeypatch.setattr(gaps_module, "_engine_codes", lambda *a: None)
    b = SnapshotBuilder()
    b.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}, "t")
    b.add({"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "web", "namespace": "a", "labels": {"app": "web"}},
           "spec": {"containers": [{"name": "c", "image": "x"}]},
           "status": {"phase": "Running", "podIP": "10.0.0.1"}}, "t")
    b.add({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "p", "namespace": "a"},
           "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
               {"to": [{"ipBlock": {"cidr": "8.8.8.0/24"}}], "ports": [{"port": 443}]},
               {"to": [{"ipBlock": {"cidr": "1.1.1.0/24"}}], "ports": [{"port": 80}, {"port": 53, "protocol": "UDP"}]},
           ]}}, "t")
    snap = b.build(cluster="t", collected_at="2026-06-01T00:00:00Z")
    found = k8sviz.gaps(snap)
    ev = found[found["finding"] == "internet-egress"]["evidence"].tolist()
    assert len(ev) == 1
    assert ev[0]["ports"] == ["TCP/80", "TCP/443", "UDP/53"]
    assert ev[0]["blocks"] == ["1.1.1.0/24", "8.8.8.0/24"] and ev[0]["n_blocks"] == 2
