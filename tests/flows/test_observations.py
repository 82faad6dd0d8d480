"""One connection as the CNIs report it: from both ends, in several events, over several intervals.

The records are shaped as Hubble, Calico and Goldmane write them (field names, enums, what they
leave out), for the demo cluster: prometheus -> card-vault:7070 is denied at card-vault's
ingress only (prometheus has no egress policy), loadgenerator -> cartservice:7070 on both sides.
"""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest

import k8sviz

from .conftest import write_jsonl

PROM = ("monitoring", "prometheus-0", "10.244.2.119", "prometheus", "StatefulSet")
VAULT = ("pci", "card-vault-0", "10.244.1.46", "card-vault", "StatefulSet")
LOADGEN = ("shop", "loadgenerator-45pd8wqjr9-wxgxt", "10.244.2.203", "loadgenerator", "Deployment")
CART = ("shop", "cartservice-twvpr6wnp-6jnf6", "10.244.0.139", "cartservice", "Deployment")
FRONTEND = ("shop", "frontend-wsgrhlsk-c2w9b", "10.244.0.250", "frontend", "Deployment")


def _ep(ep):
    ns, pod, _, wl, kind = ep
    return {"namespace": ns, "pod_name": pod, "labels": [f"k8s:io.kubernetes.pod.namespace={ns}"],
            "workloads": [{"name": wl, "kind": kind}]}


def hubble(src, dst, dport, verdict, *, event, direction=None, point=None, flags=("SYN",), reply=None,
           sport=41234, t="2024-03-15T10:00:00.1Z", proto="TCP", node="gke-shop-pool-1-32c3bb81-jgp7"):
    """A Hubble exporter line; ``reply=None`` leaves ``is_reply`` out, as Hubble does for drops."""
    l4 = {"source_port": sport, "destination_port": dport}
    if proto == "TCP" and flags is not None:
        l4["flags"] = {f: True for f in flags}
    f = {"time": t, "verdict": verdict, "IP": {"source": src[2], "destination": dst[2], "ipVersion": "IPv4"},
         "l4": {proto: l4}, "source": _ep(src), "destination": _ep(dst), "Type": "L3_L4", "node_name": node,
         "event_type": {"type": event}}
    if direction:
        f["traffic_direction"] = direction
    if point:
        f["trace_observation_point"] = point
    if reply is not None:
        f["is_reply"] = reply
    if verdict == "DROPPED":
        f["drop_reason"] = 133
        f["drop_reason_desc"] = "POLICY_DENIED"
    return {"flow": f, "node_name": node, "time": t}


def calico(src, dst, dport, action, reporter, *, start=1710496800, num_flows=1, started=1, **extra):
    doc = {"start_time": start, "end_time": start + 300}
    for side, ep in (("source", src), ("dest", dst)):
        doc.update({f"{side}_ip": ep[2], f"{side}_name": ep[1], f"{side}_name_aggr": ep[1].rsplit("-", 1)[0] + "-*",
                    f"{side}_namespace": ep[0], f"{side}_type": "wep"})
    doc.update({"source_port": 41234, "dest_port": dport, "proto": "tcp", "action": action, "reporter": reporter,
                "num_flows": num_flows, "host": "gke-shop-pool-1-32c3bb81-jgp7"})
    if started is not None:
        doc.update({"num_flows_started": started, "num_flows_completed": 0})
    doc.update(extra)
    return doc


def goldmane(src, dst, dport, action, reporter, *, start=1710496800, **counts):
    key = {"source_name": src[1].rsplit("-", 1)[0] + "-*", "source_namespace": src[0], "source_type": 1,
           "dest_name": dst[1].rsplit("-", 1)[0] + "-*", "dest_namespace": dst[0], "dest_type": 1,
           "dest_port": dport, "proto": "tcp", "reporter": reporter, "action": action}
    # Go's encoding/json leaves zero counts out.
    return {"Key": key, "start_time": start, "end_time": start + 15, **{k: v for k, v in counts.items() if v}}


@pytest.fixture(scope="module")
def reach(demo_snap):
    r = k8sviz.reachability(demo_snap)
    # The cases below rest on these facts of the demo policies.
    v = r.explain("monitoring/prometheus-0", "pci/card-vault-0", 7070)
    assert v.egress.allowed and not v.ingress.allowed
    v = r.explain("shop/loadgenerator", "shop/cartservice", 7070)
    assert not v.egress.allowed and not v.ingress.allowed
    assert r.can_reach("shop/frontend", "shop/cartservice", 7070)
    return r


def load(tmp_path, objs, snap, name="flows.jsonl"):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = k8sviz.load_flows(write_jsonl(tmp_path, objs, name), snapshot=snap)
    return df, [str(w.message) for w in caught if issubclass(w.category, k8sviz.FlowWarning)]


def findings(df, reach):
    d = k8sviz.flow_discrepancies(df, reach)
    return d[d["kind"] != "allowed-but-unused"]


# ---------------------------------------------------------------------------- direction (is_reply)


def test_a_syn_ack_without_is_reply_is_a_reply(tmp_path, demo_snap, reach):
    # A trace at the client's endpoint whose conntrack reason Hubble did not know.
    syn_ack = hubble(CART, FRONTEND, 43210, "FORWARDED", event=4, point="TO_ENDPOINT", flags=("SYN", "ACK"),
                     sport=7070)
    df, warns = load(tmp_path, [syn_ack], demo_snap)
    assert df["is_reply"].tolist() == [True] and df["event_type"].tolist() == ["trace"]
    assert k8sviz.flow_edges(df).empty and not warns
    assert findings(df, reach).empty  # not cartservice -> frontend:43210, which the policies deny


def test_a_syn_without_is_reply_is_a_request(tmp_path, demo_snap):
    syn = hubble(FRONTEND, CART, 7070, "FORWARDED", event=4, point="TO_ENDPOINT")
    df, _ = load(tmp_path, [syn], demo_snap)
    assert df["is_reply"].tolist() == [False]
    assert k8sviz.flow_edges(df)[["src", "dst"]].values.tolist() == [["shop/frontend", "shop/cartservice"]]


def test_what_stays_unknown_is_left_out_and_counted(tmp_path, demo_snap, reach):
    udp = hubble(CART, FRONTEND, 43210, "FORWARDED", event=4, point="TO_ENDPOINT", proto="UDP", sport=53)
    ack = hubble(CART, FRONTEND, 43211, "FORWARDED", event=4, point="TO_ENDPOINT", flags=("ACK",), sport=7070)
    # A drop carries no is_reply in Hubble; policy drops hit requests, so it stays one.
    drop = hubble(LOADGEN, CART, 7070, "DROPPED", event=1, direction="INGRESS", flags=("ACK",))
    df, warns = load(tmp_path, [udp, ack, drop], demo_snap)
    assert df["is_reply"].isna().all()
    (said,) = warns
    assert said.startswith("2 Hubble records of unknown direction") and "flows.jsonl:1" in said
    assert df.attrs["k8sviz"]["unknown_direction"]["records"] == 2
    e = k8sviz.flow_edges(df)
    assert e[["src", "dst", "denied"]].values.tolist() == [["shop/loadgenerator", "shop/cartservice", 1]]
    assert e.attrs["k8sviz"]["unknown_direction_records"] == 2
    assert len(k8sviz.flow_edges(df, replies=True)) == 3  # cartservice -> frontend on UDP and TCP
    d = k8sviz.flow_discrepancies(df, reach)
    assert d.attrs["k8sviz"]["unknown_direction_records"] == 2
    assert d[d["kind"] != "allowed-but-unused"].empty  # the policies deny the drop too


def test_socket_translation_direction(tmp_path, demo_snap):
    def sock(point):
        rec = hubble(LOADGEN, CART, 7070, "TRANSLATED", event=7, flags=None)
        rec["flow"].update(Type="SOCK", sock_xlate_point=point)
        return rec

    df, warns = load(tmp_path, [sock("SOCK_XLATE_POINT_POST_DIRECTION_FWD"),
                                sock("SOCK_XLATE_POINT_POST_DIRECTION_REV")], demo_snap)
    assert df["is_reply"].tolist() == [False, True] and not warns
    assert df["event_type"].tolist() == ["trace-sock", "trace-sock"]


def test_event_type_must_be_an_object(tmp_path, demo_snap):
    bad = hubble(FRONTEND, CART, 7070, "FORWARDED", event=4, point="TO_ENDPOINT")
    bad["flow"]["event_type"] = "trace"
    df, warns = load(tmp_path, [hubble(FRONTEND, CART, 7070, "FORWARDED", event=4, point="TO_ENDPOINT"), bad],
                     demo_snap)
    assert len(df) == 1 and any("1 malformed" in w for w in warns)
    assert "event_type is a string" in k8sviz.flow_report(df)["problems"][0]["message"]


def test_fast_and_generic_hubble_paths_agree(tmp_path, demo_snap, monkeypatch):
    import k8sviz.flows as F

    objs = [
        hubble(CART, FRONTEND, 43210, "FORWARDED", event=4, point="TO_ENDPOINT", flags=("SYN", "ACK"), sport=7070),
        hubble(FRONTEND, CART, 7070, "FORWARDED", event=4, point="TO_ENDPOINT"),
        hubble(CART, FRONTEND, 43210, "FORWARDED", event=4, proto="UDP", sport=53),
        hubble(LOADGEN, CART, 7070, "DROPPED", event=5, direction="INGRESS"),
        hubble(LOADGEN, CART, 7070, "DROPPED", event=1, direction="INGRESS", flags=None),
    ]
    p = write_jsonl(tmp_path, objs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = k8sviz.load_flows(p, snapshot=demo_snap)
        original = F._read_all
        monkeypatch.setattr(F, "_read_all", lambda *a, **k: original(*a, fast=False))
        slow = k8sviz.load_flows(p, snapshot=demo_snap)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast.attrs == slow.attrs
    assert fast["event_type"].tolist() == ["trace", "trace", "trace", "policy-verdict", "drop"]


def test_archive_leaves_out_what_flow_edges_leaves_out(tmp_path, demo_snap):
    pytest.importorskip("duckdb")
    objs = [
        hubble(CART, FRONTEND, 43210, "FORWARDED", event=4, point="TO_ENDPOINT", flags=("SYN", "ACK"), sport=7070),
        hubble(FRONTEND, CART, 7070, "FORWARDED", event=4, point="TO_ENDPOINT"),
        hubble(CART, FRONTEND, 43211, "FORWARDED", event=4, proto="UDP", sport=53),
        hubble(LOADGEN, CART, 7070, "DROPPED", event=1, direction="INGRESS", flags=("ACK",)),
    ]
    p = write_jsonl(tmp_path, objs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = k8sviz.load_flows(p, snapshot=demo_snap)
    df.to_parquet(tmp_path / "flows.parquet")
    m = k8sviz.flow_edges(df)
    for path in (p, tmp_path / "flows.parquet"):
        a = k8sviz.aggregate_flow_archive(path, snapshot=demo_snap)
        assert sorted(zip(a["src"], a["dst"], a["flows"], strict=True)) == sorted(
            zip(m["src"], m["dst"], m["flows"], strict=True)
        ) == [("shop/frontend", "shop/cartservice", 1), ("shop/loadgenerator", "shop/cartservice", 1)]


# ---------------------------------------------------------------------------- counting connections


def ingress_denied_hubble():
    """One denied attempt as Hubble reports it: the source forwards it (egress, TO_STACK), the
    destination's node emits a policy-verdict and a drop event for the same SYN."""
    return [
        hubble(PROM, VAULT, 7070, "FORWARDED", event=4, direction="EGRESS", point="TO_STACK", reply=False),
        hubble(PROM, VAULT, 7070, "DROPPED", event=5, direction="INGRESS", t="2024-03-15T10:00:00.1004Z",
               node="gke-shop-pool-1-32c3bb81-5nj2"),
        hubble(PROM, VAULT, 7070, "DROPPED", event=1, direction="INGRESS", t="2024-03-15T10:00:00.10041Z",
               node="gke-shop-pool-1-32c3bb81-5nj2"),
    ]


def test_one_hubble_attempt_is_one_flow(tmp_path, demo_snap, capsys):
    from k8sviz.cli import main

    df, _ = load(tmp_path, ingress_denied_hubble(), demo_snap)
    assert df["event_type"].tolist() == ["trace", "policy-verdict", "drop"]
    (e,) = k8sviz.flow_edges(df).itertuples()
    assert (e.records, e.flows, e.allowed, e.denied) == (3, 1, 1, 1)
    assert main(["flows", str(tmp_path / "flows.jsonl"), "--snapshot", "data/demo/cluster"]) == 0
    assert "monitoring/prometheus => pci/card-vault : TCP 7070  1 flow (allowed 1, DENIED 1)" in capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["calico", "goldmane"])
def test_both_reporters_of_one_connection_are_one_flow(tmp_path, demo_snap, fmt):
    if fmt == "calico":
        objs = [calico(FRONTEND, CART, 7070, "allow", "src", num_flows=3, started=3),
                calico(FRONTEND, CART, 7070, "allow", "dst", num_flows=3, started=3)]
    else:
        objs = [goldmane(FRONTEND, CART, 7070, 1, 1, num_connections_started=3),
                goldmane(FRONTEND, CART, 7070, 1, 2, num_connections_started=3)]
    df, _ = load(tmp_path, objs, demo_snap)
    (e,) = k8sviz.flow_edges(df).itertuples()
    assert (e.records, e.flows, e.allowed, e.denied) == (2, 3, 3, 0)


def test_formats_and_files_of_the_same_observer(tmp_path, demo_snap):
    # The same connection logged by Hubble and by Calico: counted once.
    h = write_jsonl(tmp_path, [hubble(FRONTEND, CART, 7070, "FORWARDED", event=4, direction="EGRESS",
                                      point="TO_STACK", reply=False)], "hubble.jsonl")
    c = write_jsonl(tmp_path, [calico(FRONTEND, CART, 7070, "allow", "src")], "calico.jsonl")
    (e,) = k8sviz.flow_edges(k8sviz.load_flows(h, c, snapshot=demo_snap)).itertuples()
    assert (e.records, e.flows, e.sources) == (2, 1, "calico,hubble")
    # Two nodes' files of one observer hold different connections: they add up.
    other = write_jsonl(tmp_path, [hubble(FRONTEND, CART, 7070, "FORWARDED", event=4, direction="EGRESS",
                                          point="TO_STACK", reply=False, sport=50000)], "hubble-2.jsonl")
    (e,) = k8sviz.flow_edges(k8sviz.load_flows(h, other, snapshot=demo_snap)).itertuples()
    assert (e.records, e.flows) == (2, 2)


def test_hubble_packets_of_one_connection_are_one_flow(tmp_path, demo_snap, reach):
    # A SYN and two retransmissions, dropped although allowed; then a second attempt.
    drops = [hubble(FRONTEND, CART, 7070, "DROPPED", event=1, direction="INGRESS", t=f"2024-03-15T10:00:0{k}Z")
             for k in (0, 1, 3)]
    drops.append(hubble(FRONTEND, CART, 7070, "DROPPED", event=1, direction="INGRESS", sport=41300,
                        t="2024-03-15T10:00:09Z"))
    df, _ = load(tmp_path, drops, demo_snap)
    (e,) = k8sviz.flow_edges(df).itertuples()
    assert (e.records, e.flows, e.denied) == (4, 2, 2)
    (row,) = findings(df, reach).itertuples()
    assert (row.kind, row.flows, row.records) == ("dropped-but-policy-allows", 2, 4)


def test_archive_counts_as_flow_edges(tmp_path, demo_snap):
    pytest.importorskip("duckdb")
    objs = [*ingress_denied_hubble(),
            hubble(FRONTEND, CART, 7070, "DROPPED", event=1, direction="INGRESS", t="2024-03-15T10:00:01Z"),
            hubble(FRONTEND, CART, 7070, "DROPPED", event=1, direction="INGRESS", t="2024-03-15T10:00:03Z"),
            hubble(FRONTEND, CART, 7070, "FORWARDED", event=4, direction="EGRESS", point="TO_STACK", reply=False)]
    h = write_jsonl(tmp_path, objs, "hubble.jsonl")
    c = write_jsonl(tmp_path, [calico(FRONTEND, CART, 7070, "allow", "src", num_flows=2, started=2),
                               calico(FRONTEND, CART, 7070, "allow", "dst", num_flows=2, started=2)], "calico.jsonl")
    g = write_jsonl(tmp_path, [goldmane(PROM, VAULT, 7070, 1, 1, num_connections_started=1),
                               goldmane(PROM, VAULT, 7070, 2, 2, num_connections_started=1)], "goldmane.jsonl")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = k8sviz.load_flows(h, c, g, snapshot=demo_snap)
    df.to_parquet(tmp_path / "flows.parquet")
    m = k8sviz.flow_edges(df)
    cols = ["src", "dst", "records", "flows", "allowed", "denied", "unknown"]
    expected = sorted(map(tuple, m[cols].values.tolist()))
    assert expected == [
        ("monitoring/prometheus", "pci/card-vault", 5, 1, 1, 1, 0),
        ("shop/frontend", "shop/cartservice", 5, 2, 2, 1, 0),
    ]
    for paths in ([h, c, g], [tmp_path / "flows.parquet"]):
        a = k8sviz.aggregate_flow_archive(paths, snapshot=demo_snap)
        assert sorted(map(tuple, a[cols].values.tolist())) == expected, paths


# ---------------------------------------------------------------------------- long-lived connections


def calico_longlived(started=(1, 0, 0)):
    """One connection over three 5-minute intervals: felix's num_flows counts it in each."""
    return [calico(FRONTEND, CART, 7070, "allow", "src", start=1710496800 + 300 * i, num_flows=1, started=s)
            for i, s in enumerate(started)]


def goldmane_longlived():
    """One connection over three 15-second buckets, as Goldmane's emitter writes it."""
    return [goldmane(FRONTEND, CART, 7070, 1, 1, num_connections_started=1, num_connections_live=1),
            goldmane(FRONTEND, CART, 7070, 1, 1, start=1710496815, num_connections_live=1),
            goldmane(FRONTEND, CART, 7070, 1, 1, start=1710496830, num_connections_completed=1)]


@pytest.mark.parametrize("objs", [calico_longlived(), goldmane_longlived()], ids=["calico", "goldmane"])
def test_a_long_lived_connection_is_one_flow(tmp_path, demo_snap, objs):
    df, _ = load(tmp_path, objs, demo_snap)
    assert df["num_flows"].tolist() == [1, 0, 0]
    (e,) = k8sviz.flow_edges(df).itertuples()
    assert (e.records, e.flows, e.allowed) == (3, 1, 1)


def test_an_edge_seen_only_going_on_is_still_observed(tmp_path, demo_snap, reach):
    df, _ = load(tmp_path, calico_longlived(started=(0, 0, 0)), demo_snap)
    (e,) = k8sviz.flow_edges(df).itertuples()
    assert (e.records, e.flows, e.allowed) == (3, 1, 1)
    unused = k8sviz.flow_discrepancies(df, reach)
    assert not any("shop/frontend -> shop/cartservice" in d for d in unused["detail"])


def test_counts_fall_back_where_the_source_has_none(tmp_path, demo_snap):
    # An export without num_flows_started counts num_flows; Whisker items carry no counts.
    old = [calico(FRONTEND, CART, 7070, "allow", "src", num_flows=4, started=None)]
    df, _ = load(tmp_path, old, demo_snap, "calico.jsonl")
    assert df["num_flows"].tolist() == [4]
    item = goldmane(FRONTEND, CART, 7070, 1, 1)  # no count at all: one connection
    df, _ = load(tmp_path, [item], demo_snap, "goldmane.jsonl")
    assert df["num_flows"].tolist() == [1]


def test_archive_counts_started_connections(tmp_path, demo_snap):
    pytest.importorskip("duckdb")
    c = write_jsonl(tmp_path, calico_longlived(), "calico.jsonl")
    g = write_jsonl(tmp_path, goldmane_longlived(), "goldmane.jsonl")
    for p in (c, g):
        a = k8sviz.aggregate_flow_archive(p, snapshot=demo_snap)
        assert a[["records", "flows"]].values.tolist() == [[3, 1]], p


# ---------------------------------------------------------------------------- whose verdict an allowed record is


def ingress_denied(fmt):
    """prometheus -> card-vault:7070, forwarded by the source and dropped at the destination."""
    if fmt == "hubble":
        return ingress_denied_hubble()
    if fmt == "calico":
        return [calico(PROM, VAULT, 7070, "allow", "src"), calico(PROM, VAULT, 7070, "deny", "dst")]
    return [goldmane(PROM, VAULT, 7070, 1, 1, num_connections_started=1),
            goldmane(PROM, VAULT, 7070, 2, 2, num_connections_started=1)]


@pytest.mark.parametrize("fmt", ["hubble", "calico", "goldmane"])
def test_the_source_allowing_an_ingress_denied_connection_is_no_finding(tmp_path, demo_snap, reach, fmt):
    df, _ = load(tmp_path, ingress_denied(fmt), demo_snap)
    (e,) = k8sviz.flow_edges(df).itertuples()
    assert (e.flows, e.allowed, e.denied) == (1, 1, 1)
    assert findings(df, reach).empty


def test_the_destination_allowing_it_is_a_finding(tmp_path, demo_snap, reach):
    df, _ = load(tmp_path, [calico(PROM, VAULT, 7070, "allow", "src"), calico(PROM, VAULT, 7070, "allow", "dst")],
                 demo_snap)
    (row,) = findings(df, reach).itertuples()
    assert (row.kind, row.direction, row.flows, row.records) == ("observed-but-policy-denies", "ingress", 1, 1)
    assert row.sample == [f"{tmp_path / 'flows.jsonl'}:2"]


@pytest.mark.parametrize("reporter", ["src", "dst"])
def test_an_egress_denial_is_contradicted_from_either_end(tmp_path, demo_snap, reach, reporter):
    # cartservice -> card-vault:7070: cartservice's egress denies it, card-vault's ingress allows
    # it (card-vault-maintenance). The source forwarding it, or the destination receiving it,
    # shows the egress policy was not what ran.
    v = reach.explain("shop/cartservice", "pci/card-vault", 7070)
    assert not v.egress.allowed and v.ingress.allowed
    df, _ = load(tmp_path, [calico(CART, VAULT, 7070, "allow", reporter)], demo_snap)
    (row,) = findings(df, reach).itertuples()
    assert (row.kind, row.direction) == ("observed-but-policy-denies", "egress")


def test_a_record_of_unknown_side_counts_as_delivered(tmp_path, demo_snap, reach):
    csv = tmp_path / "flows.csv"
    csv.write_text("time,src_ip,dst_ip,src_port,dst_port,protocol,verdict\n"
                   f"2024-03-15T10:00:00Z,{PROM[2]},{VAULT[2]},41234,7070,TCP,allowed\n")
    df = k8sviz.load_flows(csv, snapshot=demo_snap)
    (row,) = findings(df, reach).itertuples()
    assert (row.kind, row.src, row.dst) == ("observed-but-policy-denies", "monitoring/prometheus", "pci/card-vault")


def test_a_connection_denied_on_both_sides_forwarded_by_its_source(tmp_path, demo_snap, reach):
    fwd = hubble(LOADGEN, CART, 7070, "FORWARDED", event=4, direction="EGRESS", point="TO_STACK", reply=False)
    df, _ = load(tmp_path, [fwd], demo_snap)
    (row,) = findings(df, reach).itertuples()
    assert (row.kind, row.direction, row.flows) == ("observed-but-policy-denies", "egress,ingress", 1)
