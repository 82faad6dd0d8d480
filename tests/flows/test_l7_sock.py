"""Hubble events that are not packets judged by policy: L7 proxy records and socket-LB translations."""

from __future__ import annotations

import pandas as pd
import pytest

import k8sviz

from .conftest import write_jsonl

LOADGEN = ("shop", "loadgenerator-45pd8wqjr9-wxgxt", "10.244.2.203")
FRONTEND = ("shop", "frontend-wsgrhlsk-c2w9b", "10.244.0.250")
CART = ("shop", "cartservice-twvpr6wnp-6jnf6", "10.244.0.139")
FRONTEND_SVC = "10.104.211.49"


def _ep(ep):
    if ep is None:
        return {}
    ns, pod, _ = ep
    return {"namespace": ns, "pod_name": pod, "labels": [f"k8s:io.kubernetes.pod.namespace={ns}"]}


def event(src, dst, port, verdict, *, type_=None, l7=None, reply=False, xlate=None, dst_ip=None, t=0):
    f = {
        "time": f"2026-11-20T10:00:{t:02d}Z",
        "verdict": verdict,
        "IP": {"source": src[2], "destination": dst_ip or dst[2], "ipVersion": "IPv4"},
        "l4": {"TCP": {"source_port": 41000 + t, "destination_port": port}},
        "source": _ep(src),
        "destination": _ep(dst if dst_ip is None else None),
        "traffic_direction": "EGRESS",
        "is_reply": reply,
        "node_name": "node-1",
    }
    if type_:
        f["Type"] = type_
    if l7 is not None:
        f["l7"] = l7
    if xlate:
        f["sock_xlate_point"] = xlate
        del f["traffic_direction"]
    return {"flow": f, "node_name": "node-1", "time": f["time"]}


HTTP_REQ = {"type": "REQUEST", "http": {"method": "GET", "url": "http://frontend/cart", "protocol": "HTTP/1.1"}}
HTTP_RESP = {"type": "RESPONSE", "http": {"code": 403, "method": "GET", "url": "http://frontend/cart"}}


@pytest.fixture(scope="module")
def reach(demo_snap):
    r = k8sviz.reachability(demo_snap)
    # The cases below rest on these two facts of the demo policies.
    assert r.can_reach("shop/loadgenerator", "shop/frontend", 8080)
    assert not r.can_reach("shop/loadgenerator", "shop/cartservice", 7070)
    return r


def write(tmp_path, objs, name="hubble.jsonl"):
    return write_jsonl(tmp_path, objs, name)


def test_flow_type_column(tmp_path, demo_snap):
    p = write(
        tmp_path,
        [
            event(LOADGEN, FRONTEND, 8080, "FORWARDED", type_="L3_L4", t=1),
            event(LOADGEN, FRONTEND, 8080, "FORWARDED", type_="L7", l7=HTTP_REQ, t=2),
            event(LOADGEN, FRONTEND, 8080, "FORWARDED", l7=HTTP_REQ, t=3),  # no Type: l7 tells
            event(LOADGEN, FRONTEND, 8080, "FORWARDED", t=4),  # neither: unknown type
        ],
    )
    df = k8sviz.load_flows(p, snapshot=demo_snap)
    assert df["flow_type"].tolist()[:3] == ["L3_L4", "L7", "L7"] and pd.isna(df["flow_type"].iloc[3])
    csv = tmp_path / "f.csv"
    csv.write_text("time,src_ip,dst_ip,dst_port,protocol,verdict\n2026-11-20T10:00:00Z,1.2.3.4,5.6.7.8,80,TCP,allowed\n")
    assert k8sviz.load_flows(csv)["flow_type"].isna().all()


def test_socket_translations_are_not_verdicts(tmp_path, demo_snap):
    p = write(
        tmp_path,
        [
            event(LOADGEN, None, 80, "TRACED", type_="SOCK", xlate="SOCK_XLATE_POINT_PRE_DIRECTION_FWD",
                  dst_ip=FRONTEND_SVC, t=1),
            event(LOADGEN, CART, 7070, "TRANSLATED", type_="SOCK", xlate="SOCK_XLATE_POINT_POST_DIRECTION_FWD", t=2),
            event(LOADGEN, CART, 7070, "TRACED", type_="L3_L4", t=3),
        ],
    )
    df = k8sviz.load_flows(p, snapshot=demo_snap)
    assert df["verdict"].astype(object).tolist() == ["unknown", "unknown", "allowed"]
    assert df["cni_verdict"].astype(object).tolist() == ["TRACED", "TRANSLATED", "TRACED"]
    assert df["observation_point"].iloc[0] == "SOCK_XLATE_POINT_PRE_DIRECTION_FWD"
    assert df["flow_type"].iloc[1] == "SOCK"


def test_fast_path_equals_generic_parser_on_l7_and_sock(tmp_path, demo_snap, monkeypatch):
    import k8sviz.flows as F

    p = write(
        tmp_path,
        [
            event(LOADGEN, FRONTEND, 8080, "DROPPED", type_="L7", l7=HTTP_REQ, t=1),
            event(FRONTEND, LOADGEN, 41001, "FORWARDED", type_="L7", l7=HTTP_RESP, reply=True, t=2),
            event(LOADGEN, CART, 7070, "TRANSLATED", type_="SOCK", xlate="SOCK_XLATE_POINT_POST_DIRECTION_FWD", t=3),
            event(LOADGEN, FRONTEND, 8080, "FORWARDED", l7=HTTP_REQ, t=4),
        ],
    )
    fast = k8sviz.load_flows(p, snapshot=demo_snap)
    original = F._read_all
    monkeypatch.setattr(F, "_read_all", lambda *a, **k: original(*a, fast=False))
    slow = k8sviz.load_flows(p, snapshot=demo_snap)
    pd.testing.assert_frame_equal(fast, slow)


def test_flow_type_that_is_not_text_is_malformed(tmp_path, demo_snap):
    e = event(LOADGEN, FRONTEND, 8080, "FORWARDED", t=1)
    e["flow"]["Type"] = ["L7"]
    p = write(tmp_path, [e, event(LOADGEN, FRONTEND, 8080, "FORWARDED", t=2)])
    with pytest.warns(k8sviz.FlowWarning):
        df = k8sviz.load_flows(p, snapshot=demo_snap)
    rep = k8sviz.flow_report(df)
    assert len(df) == 1 and rep["problem_counts"] == {"malformed": 1}
    assert "Type" in rep["problems"][0]["message"] and rep["problems"][0]["line"] == 1


def kinds(d):
    return {(k, s, t) for k, s, t in zip(d["kind"], d["src"], d["dst"], strict=True) if k != "allowed-but-unused"}


def test_l7_denial_on_an_allowed_connection(tmp_path, demo_snap, reach):
    p = write(
        tmp_path,
        [
            event(LOADGEN, FRONTEND, 8080, "DROPPED", type_="L7", l7=HTTP_REQ, t=1),
            event(FRONTEND, LOADGEN, 41001, "FORWARDED", type_="L7", l7=HTTP_RESP, reply=True, t=2),
        ],
    )
    d = k8sviz.flow_discrepancies(k8sviz.load_flows(p, snapshot=demo_snap), reach)
    assert kinds(d) == {("denied-at-l7", "shop/loadgenerator", "shop/frontend")}
    row = d[d["kind"] == "denied-at-l7"].iloc[0]
    assert row["records"] == 1 and row["ports"] == ["8080"] and "L7" in row["detail"]
    assert (row["src_type"], row["dst_type"]) == ("pod", "pod")  # Hubble names the pods
    # The same drop at L3/L4 is enforcement differing from the policies.
    p = write(tmp_path, [event(LOADGEN, FRONTEND, 8080, "DROPPED", type_="L3_L4", t=1)], "l4.jsonl")
    d = k8sviz.flow_discrepancies(k8sviz.load_flows(p, snapshot=demo_snap), reach)
    assert kinds(d) == {("dropped-but-policy-allows", "shop/loadgenerator", "shop/frontend")}


def test_l7_record_on_a_denied_connection_was_carried(tmp_path, demo_snap, reach):
    # Whatever the proxy decided, the connection reached it: the policies were not what ran.
    p = write(tmp_path, [event(LOADGEN, CART, 7070, "DROPPED", type_="L7", l7=HTTP_REQ, t=1)])
    d = k8sviz.flow_discrepancies(k8sviz.load_flows(p, snapshot=demo_snap), reach)
    assert kinds(d) == {("observed-but-policy-denies", "shop/loadgenerator", "shop/cartservice")}


def test_socket_translation_to_a_denied_backend_is_no_finding(tmp_path, demo_snap, reach):
    p = write(
        tmp_path,
        [event(LOADGEN, CART, 7070, "TRANSLATED", type_="SOCK", xlate="SOCK_XLATE_POINT_POST_DIRECTION_FWD", t=1)],
    )
    df = k8sviz.load_flows(p, snapshot=demo_snap)
    assert kinds(k8sviz.flow_discrepancies(df, reach)) == set()
    # Before this was handled, TRANSLATED counted as forwarded: the same event at L3/L4 is a finding.
    p = write(tmp_path, [event(LOADGEN, CART, 7070, "TRANSLATED", type_="L3_L4", t=1)], "l4.jsonl")
    d = k8sviz.flow_discrepancies(k8sviz.load_flows(p, snapshot=demo_snap), reach)
    assert kinds(d) == {("observed-but-policy-denies", "shop/loadgenerator", "shop/cartservice")}


def test_l7_denial_in_gaps(tmp_path, demo_snap, reach):
    p = write(tmp_path, [event(LOADGEN, FRONTEND, 8080, "DROPPED", type_="L7", l7=HTTP_REQ, t=1)])
    g = k8sviz.gaps(demo_snap, reach=reach, flows=k8sviz.load_flows(p, snapshot=demo_snap))
    row = g[g["finding"] == "denied-at-l7"]
    assert len(row) == 1 and row["severity"].item() == "info"
    assert "denied-at-l7" in g.attrs["checked"]
    assert not g["finding"].isin(["dropped-but-policy-allows"]).any()


def test_archive_counts_socket_translations_as_unknown(tmp_path, demo_snap):
    pytest.importorskip("duckdb")
    p = write(
        tmp_path,
        [
            event(LOADGEN, CART, 7070, "TRANSLATED", type_="SOCK", xlate="SOCK_XLATE_POINT_POST_DIRECTION_FWD", t=1),
            event(LOADGEN, CART, 7070, "TRACED", type_="L3_L4", t=2),
        ],
    )
    a = k8sviz.aggregate_flow_archive(p, demo_snap)
    row = a[(a["src"] == "shop/loadgenerator") & (a["dst"] == "shop/cartservice")].iloc[0]
    assert (row["allowed"], row["unknown"]) == (1, 1)
    e = k8sviz.flow_edges(k8sviz.load_flows(p, snapshot=demo_snap))
    assert (e.iloc[0]["allowed"], e.iloc[0]["unknown"]) == (1, 1)
