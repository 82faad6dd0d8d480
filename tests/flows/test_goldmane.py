"""Calico Open Source flows: Goldmane's emitter lines and the Whisker API."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import k8sviz

from .conftest import write_jsonl


def emitter(src, dst, port, action, *, start=1763632800, src_type=1, dst_type=1, reporter=2, **extra):
    """A goldmane.Flow as Go's encoding/json writes it: enums as numbers, zero values left out."""
    key = {
        "source_name": src[1],
        "source_type": src_type,
        "dest_name": dst[1],
        "dest_type": dst_type,
        "dest_port": port,
        "proto": "tcp",
        "reporter": reporter,
        "action": action,
        "policies": {
            "enforced_policies": [
                {"kind": 6, "namespace": "shop", "name": "cart-ingress", "tier": "default", "action": action,
                 "policy_index": 0, "rule_index": 1},
                {"kind": 10, "namespace": "shop", "name": "cart-ingress", "tier": "default", "action": 2,
                 "policy_index": 1},
            ],
            "pending_policies": [{"kind": 5, "namespace": "shop", "name": "staged-x", "action": 2}],
        },
    }
    if src[0]:
        key["source_namespace"] = src[0]
    if dst[0]:
        key["dest_namespace"] = dst[0]
    key.update(extra)
    return {
        "Key": key,
        "start_time": start,
        "end_time": start + 15,
        "source_labels": ["app=x"],
        "bytes_in": 1200,
        "bytes_out": 300,
        "packets_in": 12,
        "packets_out": 3,
        "num_connections_started": 4,
    }


def whisker(src, dst, port, action, reporter="Dst", t="2025-11-20T10:00:00Z"):
    return {
        "start_time": t,
        "end_time": t.replace(":00Z", ":15Z"),
        "action": action,
        "source_name": src[1],
        "source_namespace": src[0],
        "source_labels": "app=x",
        "dest_name": dst[1],
        "dest_namespace": dst[0],
        "dest_labels": "",
        "protocol": "tcp",
        "dest_port": port,
        "reporter": reporter,
        "policies": {
            "enforced": [{"kind": "NetworkPolicy", "name": "cart-ingress", "namespace": "shop", "tier": "default",
                          "action": action, "policy_index": 0, "rule_index": 0, "trigger": None}],
            "pending": [],
        },
        "packets_in": 5,
        "packets_out": 5,
        "bytes_in": 500,
        "bytes_out": 500,
    }


FRONTEND = ("shop", "frontend-wsgrhlsk-*")
CART = ("shop", "cartservice-twvpr6wnp-*")
PUB = ("", "pub")


def lines(tmp_path, objs, name="goldmane.jsonl"):
    return write_jsonl(tmp_path, objs, name)


def test_emitter_lines(tmp_path, demo_snap):
    p = lines(
        tmp_path,
        [
            emitter(FRONTEND, CART, 7070, 1, dest_service_name="cartservice", dest_service_namespace="shop"),
            emitter(CART, PUB, 443, 2, start=1763632815, dst_type=4, reporter=1),
            emitter(("", "gke-shop-pool-1-32c3bb81-6swf"), CART, 7070, 3, start=1763632830, src_type=2),
        ],
    )
    df = k8sviz.load_flows(p, snapshot=demo_snap)
    assert k8sviz.flow_report(df)["sources"][0]["format"] == "goldmane"
    assert list(df["source_format"].astype(str)) == ["goldmane"] * 3
    a, b, c = (df.iloc[i] for i in range(3))
    assert (a["src_type"], a["src_workload"], a["dst_workload"], a["dst_port"]) == ("workload", "frontend", "cartservice", 7070)
    assert (a["protocol"], a["verdict"], a["cni_verdict"], a["reporter"]) == ("TCP", "allowed", "Allow", "dst")
    assert a["dst_service"] == "shop/cartservice" and a["num_flows"] == 4 and a["bytes_in"] == 1200
    assert a["time"] == pd.Timestamp(1763632800, unit="s", tz="UTC") and a["end_time"] - a["time"] == pd.Timedelta("15s")
    assert a["policies"] == "shop/cart-ingress"  # the end-of-tier hit is only in the trace
    assert a["policy_trace"] == "0|default|shop/cart-ingress|allow|1;1|default|shop/cart-ingress|deny|0"
    assert (b["dst_type"], b["dst_address_space"], b["verdict"], b["reporter"]) == ("external", "public", "denied", "src")
    # A host endpoint is named by its node's hostname (felix: the aggregated name of a HEP).
    assert (c["src_type"], c["src_workload"], c["verdict"], c["cni_verdict"]) == (
        "node", "gke-shop-pool-1-32c3bb81-6swf", "allowed", "Pass")
    assert pd.isna(a["src_ip"]) and pd.isna(a["flow_type"])
    assert k8sviz.flow_report(df)["unmapped"] == {}


def test_whisker_list_response_and_lines(tmp_path, demo_snap):
    body = {"total": 2, "items": [whisker(FRONTEND, CART, 7070, "Allow"), whisker(CART, PUB, 443, "Deny", "Src")]}
    listed = tmp_path / "whisker.json"
    listed.write_text(json.dumps(body, indent=2))
    flat = lines(tmp_path, body["items"], "whisker.jsonl")
    for p in (listed, flat):
        df = k8sviz.load_flows(p, snapshot=demo_snap)
        assert len(df) == 2 and set(df["source_format"].astype(str)) == {"goldmane"}
        a, b = df.iloc[0], df.iloc[1]
        assert (a["src_workload"], a["dst_workload"], a["verdict"], a["reporter"]) == ("frontend", "cartservice", "allowed", "dst")
        assert a["time"] == pd.Timestamp("2025-11-20T10:00:00Z") and a["num_flows"] == 1
        assert (b["dst_type"], b["dst_address_space"], b["verdict"]) == ("external", "public", "denied")
        assert a["policies"] == "shop/cart-ingress" and a["policy_trace"] == "0|default|shop/cart-ingress|allow|0"


def test_untyped_name_without_namespace_is_counted_unmapped(tmp_path, demo_snap):
    p = lines(tmp_path, [whisker(("", "corp-nets"), CART, 7070, "Allow")])
    with pytest.warns(k8sviz.FlowWarning, match="unmapped"):
        df = k8sviz.load_flows(p, snapshot=demo_snap)
    assert df.iloc[0]["src_type"] == "unknown"
    assert "corp-nets" in json.dumps(k8sviz.flow_report(df)["unmapped"])


def test_calico_enterprise_documents_are_still_calico(tmp_path):
    doc = {"start_time": 1763632800, "end_time": 1763632815, "source_name": "-", "source_name_aggr": "web-*",
           "source_namespace": "shop", "source_type": "wep", "dest_name": "-", "dest_name_aggr": "db-*",
           "dest_namespace": "shop", "dest_type": "wep", "dest_port": 5432, "proto": "tcp", "action": "allow",
           "reporter": "dst"}
    df = k8sviz.load_flows(lines(tmp_path, [doc], "calico.jsonl"))
    assert list(df["source_format"].astype(str)) == ["calico"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda o: o.update(Key=["x"]), "Key"),
        (lambda o: o["Key"].update(policies="x"), "policies"),
        (lambda o: o["Key"]["policies"].update(enforced_policies=[1]), "policy hit"),
        (lambda o: o["Key"].update(dest_port="80"), "port"),
        (lambda o: o.update(bytes_in=-1), "bytes_in"),
        (lambda o: o.update(start_time=[1]), "time"),
    ],
)
def test_bad_records_are_counted_with_their_line(tmp_path, demo_snap, change, message):
    bad = emitter(FRONTEND, CART, 7070, 1)
    change(bad)
    p = lines(tmp_path, [emitter(FRONTEND, CART, 7070, 1), bad])
    with pytest.warns(k8sviz.FlowWarning):
        df = k8sviz.load_flows(p, format="goldmane", snapshot=demo_snap)
    rep = k8sviz.flow_report(df)
    assert len(df) == 1 and rep["problems"][0]["line"] == 2
    assert message in rep["problems"][0]["message"]


def test_discrepancies_on_aggregated_workloads(tmp_path, demo_snap):
    reach = k8sviz.reachability(demo_snap)
    assert reach.can_reach("shop/frontend", "shop/cartservice", 7070)
    p = lines(tmp_path, [whisker(FRONTEND, CART, 7070, "Deny")])
    d = k8sviz.flow_discrepancies(k8sviz.load_flows(p, snapshot=demo_snap), reach)
    found = d[d["kind"] != "allowed-but-unused"]
    assert list(zip(found["kind"], found["src"], found["dst"], strict=True)) == [
        ("dropped-but-policy-allows", "shop/frontend", "shop/cartservice")
    ]


@pytest.mark.parametrize("shape", ["emitter", "whisker-lines", "whisker-list"])
def test_archive_aggregation_matches_the_in_memory_edges(tmp_path, demo_snap, shape):
    pytest.importorskip("duckdb")
    if shape == "emitter":
        p = lines(tmp_path, [
            emitter(FRONTEND, CART, 7070, 1, dest_service_name="cartservice", dest_service_namespace="shop"),
            emitter(FRONTEND, CART, 7070, 2, start=1763632815),
            emitter(CART, PUB, 443, 2, start=1763632830, dst_type=4, reporter=1),
            emitter(("", "gke-shop-pool-1-32c3bb81-6swf"), CART, 7070, 3, start=1763632845, src_type=2),
        ])
    else:
        items = [whisker(FRONTEND, CART, 7070, "Allow"), whisker(FRONTEND, CART, 8080, "Deny"),
                 whisker(CART, PUB, 443, "Deny", "Src", t="2025-11-20T10:01:00Z")]
        if shape == "whisker-lines":
            p = lines(tmp_path, items)
        else:
            p = tmp_path / "whisker.json"
            p.write_text(json.dumps({"total": len(items), "items": items}))
    a = k8sviz.aggregate_flow_archive(p, snapshot=demo_snap)
    m = k8sviz.flow_edges(k8sviz.load_flows(p, snapshot=demo_snap))
    key = ["src", "dst", "protocol"]
    merged = a.merge(m, on=key, suffixes=("_a", "_m"))
    assert len(merged) == len(a) == len(m) > 1
    for col in ("flows", "allowed", "denied", "unknown", "bytes", "ports", "first_seen", "last_seen"):
        assert (merged[f"{col}_a"] == merged[f"{col}_m"]).all(), col
    assert set(a["sources"]) == {"goldmane"}


def test_a_bad_item_of_a_list_response_costs_only_itself(tmp_path, demo_snap):
    items = [whisker(FRONTEND, CART, 7070, "Allow"), whisker(FRONTEND, CART, 8080, "Deny"),
             whisker(CART, PUB, 443, "Deny", "Src")]
    items[1]["policies"] = "not an object"
    p = tmp_path / "whisker.json"
    p.write_text(json.dumps({"total": 3, "items": items}, indent=1))
    with pytest.warns(k8sviz.FlowWarning, match="1 malformed"):
        df = k8sviz.load_flows(p, snapshot=demo_snap)
    assert len(df) == 2
    (problem,) = k8sviz.flow_report(df)["problems"]
    assert problem["kind"] == "malformed" and "item 1" in problem["message"] and "policies" in problem["message"]
