"""Values a flow table cannot hold: reported as bad records with file and line, never raised."""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest

import k8sviz
from k8sviz.cli import main

from .conftest import write_jsonl

GOOD = "2024-03-15T10:00:00Z"
FUTURE = "9999-12-31T23:59:59Z"  # what some tools write for "never"
PAST = "1000-01-01T00:00:00Z"


def hubble(t, src="10.0.0.1", dst="10.0.0.2", port=80, **flow):
    f = {
        "time": t,
        "verdict": "FORWARDED",
        "IP": {"source": src, "destination": dst},
        "l4": {"TCP": {"source_port": 40000, "destination_port": port, "flags": {"SYN": True}}},
        "traffic_direction": "EGRESS",
        "node_name": "n1",
        **flow,
    }
    return {"flow": f, "node_name": "n1", "time": t}


def calico(t, src="10.0.0.1", dst="10.0.0.2", proto="tcp", **doc):
    return {
        "start_time": t, "end_time": t, "reporter": "src", "dest_port": 80, "source_ip": src, "dest_ip": dst,
        "source_type": "net", "dest_type": "net", "source_name_aggr": "pvt", "dest_name_aggr": "pvt",
        "proto": proto, "action": "allow", **doc,
    }


def goldmane(t):
    from .test_goldmane import CART, FRONTEND, emitter

    return emitter(FRONTEND, CART, 7070, 1, start=t)


def _seconds(t):
    return int(pd.Timestamp(t).timestamp()) if t[0] != "9" else 253402300799  # 9999-12-31T23:59:59Z


def write(tmp_path, fmt, times, name=None):
    """One file of ``fmt`` holding one record per time (the same connection)."""
    if fmt == "csv":
        p = tmp_path / (name or "flows.csv")
        p.write_text("time,src_ip,dst_ip,dst_port\n" + "".join(f"{t},10.0.0.1,10.0.0.2,80\n" for t in times))
        return p
    if fmt == "csv-epoch":
        p = tmp_path / (name or "flows.csv")
        p.write_text("time,src_ip,dst_ip,dst_port\n"
                     + "".join(f"{_seconds(t)},10.0.0.1,10.0.0.2,80\n" for t in times))
        return p
    if fmt == "hubble-array":
        p = tmp_path / (name or "flows.json")
        p.write_text(json.dumps([hubble(t) for t in times], indent=1))
        return p
    if fmt == "hubble-sse":
        p = tmp_path / (name or "flows.sse")
        p.write_text("".join(f"data: {json.dumps(hubble(t))}\n\n" for t in times))
        return p
    make = {
        "hubble": hubble,
        "calico": lambda t: calico(_seconds(t)),
        "goldmane": lambda t: goldmane(_seconds(t)),
    }[fmt]
    return write_jsonl(tmp_path, [make(t) for t in times], name or "flows.jsonl")


def load(path, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = k8sviz.load_flows(path, **kw)
    return df, [str(w.message) for w in caught if issubclass(w.category, k8sviz.FlowWarning)]


FORMATS = ["hubble", "hubble-array", "hubble-sse", "calico", "goldmane", "csv", "csv-epoch"]


class TestTimesOutOfRange:
    @pytest.mark.parametrize("fmt", FORMATS)
    @pytest.mark.parametrize("bad", [FUTURE, PAST])
    @pytest.mark.parametrize("good", [0, 1, 3], ids=lambda n: f"{n}good")
    def test_bad_time_with_file_and_line_whatever_the_mix(self, tmp_path, fmt, bad, good):
        times = [bad, *[GOOD] * good, bad]
        p = write(tmp_path, fmt, times)
        df, warns = load(p)
        assert len(df) == good
        assert df["time"].dt.year.eq(2024).all()
        src = df.attrs["k8sviz"]["sources"][0]
        assert (src["records"], src["bad_time"], src["malformed"]) == (good, 2, 0)
        probs = [x for x in df.attrs["k8sviz"]["problems"] if x["kind"] == "bad-time"]
        first = 2 if fmt.startswith("csv") else 1  # the header is line 1
        assert {x["file"] for x in probs} == {str(p)}
        if fmt == "hubble-array":  # pretty-printed: a record starts further down
            assert probs[0]["line"] == 2 and probs[1]["line"] > probs[0]["line"]
        elif fmt == "hubble-sse":  # one event per two lines
            assert [x["line"] for x in probs] == [1, 1 + 2 * (good + 1)]
        else:
            assert [x["line"] for x in probs] == [first, first + good + 1]
        assert "outside the range a flow table holds (1677-09-21 to 2262-04-11)" in probs[0]["message"]
        assert any(f"{p}: skipped 0 malformed, 0 truncated and 2 undated records" in w for w in warns), warns

    def test_dropped_records_count_in_no_unmapped_total(self, tmp_path, demo_snap):
        p = write(tmp_path, "csv", [FUTURE, GOOD, "never", FUTURE])
        df, warns = load(p, snapshot=demo_snap)
        unmapped = df.attrs["k8sviz"]["unmapped"]
        assert unmapped["private-ip-not-in-snapshot"]["records"] == 2  # one record, two endpoints
        assert [s["records"] for s in unmapped["private-ip-not-in-snapshot"]["samples"]] == [1, 1]
        df, _ = load(write(tmp_path, "csv", [FUTURE], name="all.csv"), snapshot=demo_snap)
        assert df.attrs["k8sviz"]["unmapped"] == {}

    def test_a_time_that_is_no_timestamp_says_so(self, tmp_path):
        df, _ = load(write(tmp_path, "csv", ["yesterday", GOOD]))
        (prob,) = df.attrs["k8sviz"]["problems"]
        assert prob["message"] == "time 'yesterday' is not a timestamp" and prob["line"] == 2

    def test_edges_analyses_and_report_run_on_what_is_left(self, tmp_path, demo_snap):
        p = write(tmp_path, "hubble", [FUTURE, GOOD])
        df, _ = load(p, snapshot=demo_snap)
        assert k8sviz.flow_edges(df)["records"].tolist() == [1]
        assert len(k8sviz.flow_windows(df)) == 1
        k8sviz.flow_discrepancies(df, k8sviz.reachability(demo_snap))

    def test_end_time_out_of_range_keeps_the_record_and_says_so(self, tmp_path):
        p = tmp_path / "end.csv"
        p.write_text(
            "time,end_time,src_ip,dst_ip,dst_port\n"
            f"{GOOD},{FUTURE},10.0.0.1,10.0.0.2,80\n"
            f"{GOOD},soon,10.0.0.1,10.0.0.2,80\n"
            f"{GOOD},,10.0.0.1,10.0.0.2,80\n"
        )
        df, warns = load(p)
        assert len(df) == 3 and df["end_time"].isna().all()
        probs = df.attrs["k8sviz"]["problems"]
        assert [(x["kind"], x["line"]) for x in probs] == [("bad-end-time", 2), ("bad-end-time", 3)]
        assert "end_time '9999-12-31T23:59:59Z' is outside the range" in probs[0]["message"]
        assert probs[1]["message"].startswith("end_time 'soon' is not a timestamp; the record is kept")
        assert any("2 bad-end-time problems, e.g. " in w and "end.csv:2" in w for w in warns), warns

    def test_calico_end_time_out_of_range(self, tmp_path):
        p = write_jsonl(tmp_path, [calico(1710496800, end_time=253402300799)])
        df, _ = load(p)
        assert len(df) == 1 and pd.isna(df["end_time"].iloc[0])
        assert [x["kind"] for x in df.attrs["k8sviz"]["problems"]] == ["bad-end-time"]


class TestCommandsWithOutOfRangeTimes:
    def test_flows_command(self, tmp_path, capsys):
        p = write(tmp_path, "hubble", [FUTURE], name="one.json")
        assert main(["flows", str(p)]) == 0
        out = capsys.readouterr().out
        assert "hubble  1 file, 0 records" in out and "1 undated" in out
        assert f"bad-time: {p}:1: time '9999-12-31T23:59:59Z' is outside the range" in out

    def test_gaps_command_with_a_flow_directory(self, tmp_path, capsys):
        d = tmp_path / "flows"
        d.mkdir()
        write(d, "hubble", [FUTURE], name="h.json")
        write(d, "calico", [FUTURE], name="c.json")
        write(d, "csv", [PAST], name="x.csv")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert main(["gaps", "data/demo/cluster", "--flows", str(d)]) == 0
        said = "\n".join(str(w.message) for w in caught)
        for name in ("h.json", "c.json", "x.csv"):
            assert f"{d / name}: skipped 0 malformed, 0 truncated and 1 undated record" in said
        assert "22 findings" in capsys.readouterr().err

    def test_report_names_the_file(self, tmp_path):
        p = write(tmp_path, "hubble", [FUTURE, GOOD], name="h.json")
        with pytest.warns(k8sviz.FlowWarning, match="1 undated record"):
            html = k8sviz.report("data/demo/cluster", flows=p, generated_at="2024-01-01T00:00:00Z")
        assert "flows failed" not in html and "OutOfBoundsDatetime" not in html
        assert "outside the range a flow table holds" in html and str(p) in html


BAD_ADDRESSES = ["not-an-ip", "999.999.1.1", "10.0.0", "10.0.0.1/32", " 10.0.0.1", "::g"]


class TestAddresses:
    @pytest.mark.parametrize("bad", BAD_ADDRESSES)
    @pytest.mark.parametrize("side", ["source", "destination"])
    @pytest.mark.parametrize("path", ["fast", "sse"])
    def test_hubble(self, tmp_path, bad, side, path):
        world = {side: {"labels": ["reserved:world"]}}  # an outside address: external before
        addr = {"src": bad} if side == "source" else {"dst": bad}
        recs = [hubble(GOOD, **addr, **world), hubble(GOOD, dst="8.8.8.8", **world), hubble(GOOD, **addr, **world)]
        if path == "fast":
            p = write_jsonl(tmp_path, recs)
        else:
            p = tmp_path / "f.sse"
            p.write_text("".join(f"data: {json.dumps(r)}\n\n" for r in recs))
        df, warns = load(p)
        assert len(df) == 1 and df["dst_ip"].tolist() == ["8.8.8.8"]
        src = df.attrs["k8sviz"]["sources"][0]
        assert src["malformed"] == 2
        probs = df.attrs["k8sviz"]["problems"]
        lines = [1, 3] if path == "fast" else [1, 5]
        assert [(x["kind"], x["file"], x["line"]) for x in probs] == [("malformed", str(p), n) for n in lines]
        assert probs[0]["message"] == f"{side} address {bad!r} is not an IP address"
        assert not df.attrs["k8sviz"]["unmapped"]
        assert any("skipped 2 malformed" in w for w in warns)

    @pytest.mark.parametrize("bad", BAD_ADDRESSES)
    def test_calico(self, tmp_path, bad):
        p = write_jsonl(tmp_path, [calico(1710496800, dst=bad), calico(1710496800, src=bad),
                                   calico(1710496800, dst="1.1.1.1")])
        df, _ = load(p)
        assert df["dst_ip"].tolist() == ["1.1.1.1"]
        probs = df.attrs["k8sviz"]["problems"]
        assert [(x["kind"], x["line"]) for x in probs] == [("malformed", 1), ("malformed", 2)]
        assert probs[0]["message"] == f"destination address {bad!r} is not an IP address"
        assert probs[1]["message"] == f"source address {bad!r} is not an IP address"

    def test_calico_hidden_address_is_no_problem(self, tmp_path):
        df, _ = load(write_jsonl(tmp_path, [calico(1710496800, dst="-", src="")]))
        assert len(df) == 1 and not df.attrs["k8sviz"]["problems"]

    def test_csv_no_longer_only_unmapped(self, tmp_path, demo_snap):
        p = tmp_path / "f.csv"
        p.write_text("time,src_ip,dst_ip,dst_port\n"
                     f"{GOOD},10.0.0.1,999.1.2.3,80\n{GOOD},fe80::1,2001:db8::1,80\n{GOOD},not-an-ip,,80\n")
        df, _ = load(p, snapshot=demo_snap)
        assert df["dst_ip"].tolist() == ["2001:db8::1"]
        probs = df.attrs["k8sviz"]["problems"]
        assert [(x["kind"], x["line"], x["message"]) for x in probs] == [
            ("malformed", 2, "destination address '999.1.2.3' is not an IP address"),
            ("malformed", 4, "source address 'not-an-ip' is not an IP address"),
        ]
        assert "not-an-ip" not in df.attrs["k8sviz"]["unmapped"]

    def test_a_record_with_a_bad_address_leaves_no_category_behind(self, tmp_path):
        p = tmp_path / "f.csv"
        p.write_text("time,src_ip,dst_ip,dst_port,protocol,node\n"
                     f"{GOOD},10.0.0.1,999.1.2.3,80,UDP,odd-node\n{GOOD},10.0.0.1,10.0.0.2,80,TCP,n1\n")
        df, _ = load(p)
        assert list(df["protocol"].cat.categories) == ["TCP"] and list(df["node"].cat.categories) == ["n1"]
        assert "999.1.2.3" not in list(df["dst_ip"].cat.categories)


class TestCSVProtocolAndHeader:
    @pytest.mark.parametrize(("given", "kept"), [
        ("TCP", "TCP"), ("tcp", "TCP"), ("Udp", "UDP"), ("sctp", "SCTP"), ("6", "TCP"), ("17", "UDP"),
        ("132", "SCTP"), ("006", "TCP"), ("ICMP", "ICMP"), ("icmpv4", "ICMP"), ("1", "ICMP"),
        ("ICMPv6", "ICMPv6"), ("icmp6", "ICMPv6"), ("58", "ICMPv6"), ("", "TCP"),
    ])
    def test_accepted(self, tmp_path, given, kept):
        p = tmp_path / "f.csv"
        p.write_text(f"time,src_ip,dst_ip,dst_port,protocol\n{GOOD},10.0.0.1,10.0.0.2,80,{given}\n")
        df, _ = load(p)
        assert df["protocol"].tolist() == [kept] and not df.attrs["k8sviz"]["problems"]

    @pytest.mark.parametrize("given", ["XYZ", "999", "-1", "47", "tcp/udp", "6.0", "٦"])
    def test_anything_else_is_a_bad_record(self, tmp_path, given):
        p = tmp_path / "f.csv"
        p.write_text(f"time,src_ip,dst_ip,dst_port,protocol\n{GOOD},10.0.0.1,10.0.0.2,80,{given}\n"
                     f"{GOOD},10.0.0.1,10.0.0.2,81,udp\n")
        df, warns = load(p)
        assert df["protocol"].tolist() == ["UDP"] and list(df["protocol"].cat.categories) == ["UDP"]
        (prob,) = df.attrs["k8sviz"]["problems"]
        assert (prob["kind"], prob["file"], prob["line"]) == ("malformed", str(p), 2)
        assert prob["message"].startswith(f"protocol {given!r} is not TCP, UDP, SCTP, ICMP, ICMPv6")
        assert any("skipped 1 malformed" in w for w in warns)

    def test_csv_keeps_the_protocols_the_other_formats_keep(self, tmp_path):
        """ICMP and ICMPv6, as Hubble's l4 ICMPv4/ICMPv6 and Calico's icmp/icmp6."""
        h = hubble(GOOD)
        h["flow"]["l4"] = {"ICMPv6": {"type": 128}}
        c = calico(1710496800, proto="icmp6")
        (tmp_path / "h").mkdir()
        write_jsonl(tmp_path / "h", [h, {**h, "flow": {**h["flow"], "l4": {"ICMPv4": {"type": 8}}}}])
        write_jsonl(tmp_path / "h", [c, calico(1710496800, proto="icmp")], "c.jsonl")
        (tmp_path / "h" / "x.csv").write_text(
            f"time,src_ip,dst_ip,dst_port,protocol\n{GOOD},10.0.0.1,10.0.0.2,,ICMPv6\n{GOOD},10.0.0.1,10.0.0.2,,icmp\n")
        df, _ = load(tmp_path / "h")
        by = df.groupby("source_format", observed=True)["protocol"].agg(lambda s: sorted(map(str, s)))
        assert by.to_dict() == {f: ["ICMP", "ICMPv6"] for f in ("calico", "csv", "hubble")}

    @pytest.mark.parametrize("header", [
        "time,src_ip,dst_ip,dst_port,time",
        "time,src_ip,dst_ip,dst_port,Time",
        "time,src_ip,dst_ip, dst_port ,dst_port",
        "time,src_ip,dst_ip,dst_port,verdict,verdict",
    ])
    def test_a_column_given_twice_is_an_error_naming_it(self, tmp_path, header):
        p = tmp_path / "f.csv"
        n = header.count(",") + 1
        p.write_text(header + "\n" + ",".join([GOOD, "10.0.0.1", "10.0.0.2", "80", *["x"] * (n - 4)]) + "\n")
        df, warns = load(p)
        assert len(df) == 0
        (prob,) = df.attrs["k8sviz"]["problems"]
        name = header.split(",")[-1].strip().lower()
        assert (prob["kind"], prob["file"], prob["line"]) == ("bad-header", str(p), 1)
        assert f"column {name!r} is given twice" in prob["message"]
        assert any(f"{p}:1: column {name!r} is given twice" in w for w in warns), warns

    def test_an_unknown_column_given_twice_is_only_ignored(self, tmp_path):
        p = tmp_path / "f.csv"
        p.write_text(f"time,src_ip,dst_ip,dst_port,note,note\n{GOOD},10.0.0.1,10.0.0.2,80,a,b\n")
        df, _ = load(p)
        assert len(df) == 1
        assert [x["kind"] for x in df.attrs["k8sviz"]["problems"]] == ["ignored-columns"]

    def test_flows_command_says_it(self, tmp_path, capsys):
        p = tmp_path / "f.csv"
        p.write_text(f"time,src_ip,dst_ip,dst_port,time\n{GOOD},10.0.0.1,10.0.0.2,80,{GOOD}\n")
        assert main(["flows", str(p)]) == 0
        assert f"bad-header: {p}:1: column 'time' is given twice (columns 1 and 5)" in capsys.readouterr().out


def camel(obj):
    """``obj`` as protojson writes it without UseProtoNames: lowerCamelCase field names."""
    import re

    if isinstance(obj, dict):
        return {re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), k): camel(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [camel(v) for v in obj]
    return obj


class TestHubbleCamelCase:
    @pytest.fixture(scope="class")
    def files(self, tmp_path_factory):
        import gzip

        d = tmp_path_factory.mktemp("camel")
        lines = gzip.decompress(k8sviz.demo_path("flows/hubble.json.gz").read_bytes()).decode().splitlines()
        objs = [json.loads(x) for x in lines]
        assert any("lost_events" in o for o in objs)  # the demo plants some: they must be read too
        (d / "proto").mkdir()
        (d / "camel").mkdir()
        (d / "proto" / "h.json").write_text("".join(json.dumps(o) + "\n" for o in objs))
        (d / "camel" / "h.json").write_text("".join(json.dumps(camel(o)) + "\n" for o in objs))
        text = (d / "camel" / "h.json").read_text()
        assert '"trafficDirection"' in text and '"podName"' in text and '"sourcePort"' in text
        assert '"isReply"' in text and '"lostEvents"' in text and "_name" not in text.replace("_name_", "")
        return d

    @pytest.mark.parametrize("framing", ["lines", "sse"])
    def test_same_table_as_the_proto_names(self, files, demo_snap, tmp_path, framing):
        paths = [files / "proto" / "h.json", files / "camel" / "h.json"]
        if framing == "sse":
            for i, p in enumerate(paths):
                paths[i] = tmp_path / f"{i}.sse"
                paths[i].write_text("".join(f"data: {x}\n\n" for x in p.read_text().splitlines()))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", k8sviz.FlowWarning)
            want, got = (k8sviz.load_flows(p, snapshot=demo_snap) for p in paths)
        assert len(got) > 100
        pd.testing.assert_frame_equal(got.drop(columns="file"), want.drop(columns="file"))
        for col in ("src_pod", "dst_port", "src_port", "reporter", "is_reply", "observation_point", "node",
                    "event_type", "policies"):
            assert got[col].notna().any(), col
        a, b = (df.attrs["k8sviz"]["sources"][0] for df in (want, got))
        assert b["lost_events"] == a["lost_events"] and b["lost_events"]["events"] == 66
        assert b["skipped"] == a["skipped"]
        pd.testing.assert_frame_equal(k8sviz.flow_edges(got), k8sviz.flow_edges(want))

    def test_the_archive_reads_them_too(self, files, demo_snap):
        want, got = (k8sviz.aggregate_flow_archive(files / d, snapshot=demo_snap) for d in ("proto", "camel"))
        assert len(got) > 3
        pd.testing.assert_frame_equal(got, want)

    def test_a_bare_camel_lost_events_file_is_hubble(self, tmp_path):
        p = write_jsonl(tmp_path, [{"lostEvents": {"source": "HUBBLE_RING_BUFFER", "numEventsLost": "7"},
                                    "nodeName": "n1", "time": GOOD}])
        df, warns = load(p)
        src = df.attrs["k8sviz"]["sources"][0]
        assert src["format"] == "hubble" and src["lost_events"]["events"] == 7
        assert src["skipped"] == {"lost_events": 1}
        assert any("Hubble lost 7 events" in w for w in warns)

    def test_a_camel_wrapped_reply(self, tmp_path, demo_snap):
        p = tmp_path / "camel.json"
        p.write_text(CAMEL_LINE + "\n")
        df, _ = load(p, snapshot=demo_snap)
        r = df.iloc[0]
        assert (r["src_pod"], r["dst_port"], r["src_port"], r["reporter"], bool(r["is_reply"]), r["node"]) == (
            "cartservice-twvpr6wnp-6jnf6", 43210, 7070, "dst", True, "n1")
        assert r["src_workload"] == "cartservice" and r["observation_point"] == "ingress"


CAMEL_LINE = (
    '{"flow":{"time":"2024-03-15T10:00:00.2Z","verdict":"FORWARDED","IP":{"source":"10.244.0.139","destin'
    'ation":"10.244.0.250","ipVersion":"IPv4"},"l4":{"TCP":{"sourcePort":7070,"destinationPort":43210,"fl'
    'ags":{"SYN":true,"ACK":true}}},"source":{"namespace":"shop","podName":"cartservice-twvpr6wnp-6jnf6"}'
    ',"destination":{"namespace":"shop","podName":"frontend-wsgrhlsk-c2w9b"},"Type":"L3_L4","nodeName":"n'
    '1","trafficDirection":"INGRESS","isReply":true},"nodeName":"n1","time":"2024-03-15T10:00:00.2Z"}'
)


@pytest.mark.parametrize(("field", "value", "said"), [
    ("is_reply", {"value": False}, "is_reply {'value': false} is not true or false"),
    ("verdict", ["FORWARDED"], "verdict is a list, not text"),
    ("node_name", {"n": 1}, "node_name is an object, not text"),
])
def test_an_object_where_a_value_belongs_is_named(tmp_path, field, value, said):
    rec = hubble(GOOD)
    rec["flow"][field] = value
    df, _ = load(write_jsonl(tmp_path, [rec, hubble(GOOD)]))
    assert len(df) == 1
    (prob,) = df.attrs["k8sviz"]["problems"]
    assert (prob["kind"], prob["line"]) == ("malformed", 1) and said in prob["message"]
