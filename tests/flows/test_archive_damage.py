"""aggregate_flow_archive on damaged input: the same edges as flow_edges(load_flows(...)) and the
same problems, in a load report like load_flows' (df.attrs["k8sviz"]); never a traceback, never a
record dropped or counted silently."""

from __future__ import annotations

import copy
import gzip
import json
import re
import warnings

import pandas as pd
import pytest

import k8sviz
from k8sviz.flows import FlowLoadReport, lost_text

from .conftest import write_jsonl
from .test_bad_values import BAD_ADDRESSES, FUTURE, GOOD, PAST, calico, camel, goldmane, hubble, write
from .test_compare import assert_same_edges
from .test_damaged_objects import _records, _stray_quote, _text
from .test_repeated_keys import _twice

pytest.importorskip("duckdb")


def both(path, snapshot=None):
    """``(archive edges, flow_edges of load_flows, archive warnings)`` of one path."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        archive = k8sviz.aggregate_flow_archive(path, snapshot)
    said = [str(w.message) for w in caught if issubclass(w.category, k8sviz.FlowWarning)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        flows = k8sviz.load_flows(path, snapshot=snapshot)
    return archive, flows, said


def problems(df) -> list[tuple[str, str, int | None]]:
    return sorted((p["kind"], p["file"], p["line"]) for p in df.attrs["k8sviz"]["problems"])


def agree(path, snapshot=None, *, damaged: bool = True):
    """The archive and load_flows agree on the edges and on the problems of ``path``."""
    archive, flows, said = both(path, snapshot)
    assert_same_edges(archive, k8sviz.flow_edges(flows))
    assert problems(archive) == problems(flows)
    assert archive.attrs["k8sviz"]["problem_counts"] == flows.attrs["k8sviz"]["problem_counts"]
    if damaged:
        assert problems(archive), "the damage is recorded"
        assert said, "and said in a FlowWarning"
    return archive, flows, said


def _goldmane_line(key: dict) -> str:
    """A Goldmane emitter line with ``key`` as its Key."""
    return json.dumps({"Key": key, "start_time": 1763632800, "end_time": 1763632815,
                       "source_labels": ["app=x"], "bytes_in": 1200, "bytes_out": 300, "packets_in": 12,
                       "packets_out": 3, "num_connections_started": 4}) + "\n"


def _goldmane_key(action: object, rule_action: object = None, **ends: object) -> dict:
    rule = {"kind": 6, "namespace": "shop", "name": "cart-ingress", "tier": "default",
            "action": action if rule_action is None else rule_action, "policy_index": 0, "rule_index": 1}
    end_of_tier = {"kind": 10, "namespace": "shop", "name": "cart-ingress", "tier": "default", "action": 2,
                   "policy_index": 1}
    staged = {"kind": 5, "namespace": "shop", "name": "staged-x", "action": 2}
    return {**ends, "proto": "tcp", "reporter": 2, "action": action,
            "policies": {"enforced_policies": [rule, end_of_tier], "pending_policies": [staged]}}


_INSIDE = {"source_name": "frontend-wsgrhlsk-*", "source_type": 1, "dest_name": "cartservice-7b9f-*",
           "dest_type": 1, "dest_port": 7070}
# Found by a differential fuzz (Goldmane emitter lines): on line 4, Key.action is the string "1".
_ACTION_IN_A_STRING = "".join(
    [_goldmane_line({**_goldmane_key(a, **_INSIDE), "source_namespace": "shop", "dest_namespace": "shop"})
     for a in (1, 2, 3)]
    + [_goldmane_line({**_goldmane_key("1", 1, source_name="pub", source_type=4,
                                       dest_name="frontend-wsgrhlsk-*", dest_type=1, dest_port=443),
                       "dest_namespace": "shop"})]
)


def _lines(fmt: str, n: int = 5) -> list[str]:
    if fmt == "hubble":
        return [json.dumps(hubble(f"2024-03-15T10:00:0{i}Z", port=80 + i)) for i in range(n)]
    return [json.dumps(calico(1710496800 + i, dest_port=80 + i)) for i in range(n)]


def _write(tmp_path, data: bytes, name: str = "f.json"):
    p = tmp_path / name
    p.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return p


class TestTheLoadReport:
    def test_an_archive_result_carries_a_load_report(self, demo_snap):
        path = k8sviz.demo_path("flows", "calico.json")
        archive, flows, said = both(path, demo_snap)
        rep = k8sviz.flow_report(archive)
        assert isinstance(rep, FlowLoadReport) and not said
        (src,) = rep["sources"]
        want = flows.attrs["k8sviz"]["sources"][0]
        assert (src["file"], src["format"], src["records"], src["malformed"], src["truncated"]) == (
            want["file"], want["format"], want["records"], 0, 0)
        assert rep["problems"] == [] and rep["problem_counts"] == {}
        assert rep["snapshot"] == demo_snap.meta.get("cluster")
        assert "Flow load report" in rep.to_html() and str(path) in rep.to_html()

    def test_files_with_nothing_to_read_are_in_the_report_not_an_error(self, tmp_path):
        """Empty, blank, UTF-16: recorded (and said) as load_flows records them; no InputError."""
        _write(tmp_path, b"", "empty.json")
        _write(tmp_path, b"\xef\xbb\xbf", "bom.json")
        _write(tmp_path, b"", "empty.json.gz")
        _write(tmp_path, ("\n".join(_lines("hubble", 2)) + "\n").encode("utf-16"), "wide.json")
        archive, _, said = agree(tmp_path)
        assert len(archive) == 0
        assert sorted(k for k, _, _ in problems(archive)) == ["empty", "empty", "empty", "unreadable"]
        assert [s["format"] for s in archive.attrs["k8sviz"]["sources"]] == [None] * 4
        assert any("3 empty problems" in w for w in said), said

    def test_a_path_with_no_flow_file_is_still_an_input_error(self, tmp_path):
        with pytest.raises(k8sviz.InputError, match="no Hubble, Calico, Goldmane or Parquet flow files"):
            k8sviz.aggregate_flow_archive(tmp_path)


def same_sources(archive, flows):
    """The archive's sources are load_flows' but for ``lines`` (None: the archive does not count them)."""
    def strip(df):
        return sorted(({k: v for k, v in src.items() if k != "lines"} for src in df.attrs["k8sviz"]["sources"]),
                      key=lambda src: src["file"])

    assert strip(archive) == strip(flows)
    assert all(src["lines"] is None for src in archive.attrs["k8sviz"]["sources"]
               if src["format"] != "parquet" and src["malformed"] + src["truncated"] + src["bad_time"] == 0)


LOST = {"lost_events": {"source": "HUBBLE_RING_BUFFER", "num_events_lost": "7", "cpu": 1},
        "node_name": "n1", "time": "2024-03-15T10:00:05Z"}


class TestLostEventsAndWindows:
    """Hubble lost_events added up, and each file's time window, as load_flows gives them."""

    def test_lost_events_are_added_up_and_said(self, tmp_path):
        lines = _lines("hubble", 4)
        objs = [LOST, {**LOST, "lost_events": {"source": "PERF_EVENT_RING_BUFFER", "num_events_lost": 5},
                       "time": "2024-03-15T09:00:00+02:00"},
                {"lostEvents": {"source": "HUBBLE_RING_BUFFER", "numEventsLost": "x"}, "time": "soon"}]
        p = _write(tmp_path, ("".join(f"{x}\n" for x in lines[:2]) + "".join(json.dumps(o) + "\n" for o in objs)
                              + "".join(f"{x}\n" for x in lines[2:])).encode())
        archive, flows, said = both(p)
        same_sources(archive, flows)
        lost = archive.attrs["k8sviz"]["sources"][0]["lost_events"]
        assert lost == {"events": 12, "reports": 3, "first": "2024-03-15T07:00:00+00:00",
                        "last": "2024-03-15T10:00:05+00:00",
                        "by_source": {"HUBBLE_RING_BUFFER": 7, "PERF_EVENT_RING_BUFFER": 5}}
        assert archive.attrs["k8sviz"]["sources"][0]["skipped"] == {"lost_events": 3}
        assert [w for w in said if "Hubble lost 12 events" in w] == [
            lost_text(str(p), lost)], said

    def test_the_demo_flows(self, demo_snap):
        """Hubble's planted ring-buffer overflows (66 events) and every file's window."""
        path = k8sviz.demo_path("flows")
        archive, flows, said = both(path, demo_snap)
        same_sources(archive, flows)
        hubble_src = next(s for s in archive.attrs["k8sviz"]["sources"] if s["format"] == "hubble")
        assert hubble_src["lost_events"]["events"] == 66 and hubble_src["first"] and hubble_src["last"]
        assert any("hubble.json.gz: Hubble lost 66 events between 2024-03-10" in w for w in said), said

    @pytest.mark.parametrize("fmt", ["hubble", "hubble-array", "calico", "goldmane"])
    def test_windows(self, tmp_path, fmt):
        times = ["2024-03-15T10:00:00.123456789Z", "2024-03-15T12:00:00+02:00", "2024-03-16T00:00:00Z"]
        if fmt in ("calico", "goldmane"):
            times = ["2024-03-15T10:00:00Z", "2024-03-14T10:00:00Z", "2024-03-16T00:00:00Z"]
        archive, flows, _ = both(write(tmp_path, fmt, times))
        same_sources(archive, flows)
        src = archive.attrs["k8sviz"]["sources"][0]
        assert src["first"] is not None and src["last"] > src["first"]


class TestJSONLines:
    @pytest.mark.parametrize("fmt", ["hubble", "calico"])
    @pytest.mark.parametrize("gz", [False, True])
    def test_lines_that_are_no_json_are_counted_with_their_line(self, tmp_path, fmt, gz):
        lines = _lines(fmt, 6)
        lines[1] = lines[1][: len(lines[1]) // 2]          # cut mid-write, the next written after it
        lines[3] = lines[3].replace('"', "", 1)             # a lost quote
        lines[4] = lines[4].replace("10.0.0.1", "10.0.\xff.1")  # a byte that is no UTF-8
        data = "\n".join(lines).encode("utf-8", "surrogateescape").replace(b"\xc3\xbf", b"\xff")
        p = _write(tmp_path, data + b"\n" + b'{"flow": {"time"', "f.json.gz" if gz else "f.json")
        archive, _, said = agree(p)
        assert problems(archive) == [("malformed", str(p), 2), ("malformed", str(p), 4),
                                     ("malformed", str(p), 5), ("truncated", str(p), 7)]
        (src,) = archive.attrs["k8sviz"]["sources"]
        assert (src["records"], src["malformed"], src["truncated"]) == (3, 3, 1)
        assert archive["records"].sum() == 3
        assert any(f"{p}: skipped 3 malformed, 1 truncated" in w and "(first at line 2)" in w for w in said)

    @pytest.mark.parametrize("fmt", ["hubble", "calico"])
    @pytest.mark.parametrize("damage", ["cut", "quote", "not-utf8"])
    def test_a_damaged_first_line(self, tmp_path, fmt, damage):
        """The fixtures of test_hostile_files.TestADamagedFirstLine."""
        lines = _lines(fmt)
        first = lines[0]
        bad = {"cut": first[len(first) // 2:].encode(),
               "quote": first.replace('"', '""', 3).encode(),
               "not-utf8": first.encode().replace(b"10.0.0.1", b"10.0.\xff.1")}[damage]
        p = _write(tmp_path, bad + b"\n" + "".join(f"{x}\n" for x in lines[1:]).encode())
        archive, _, _ = agree(p)
        assert problems(archive) == [("malformed", str(p), 1)]

    def test_past_the_samples_every_bad_line_is_counted(self, tmp_path):
        lines = _lines("calico", 1) * 250 + ["{not json"] * 230
        p = _write(tmp_path, ("\n".join(lines) + "\n").encode())
        archive, _, _ = agree(p)
        assert archive.attrs["k8sviz"]["problem_counts"] == {"malformed": 230}
        assert len(archive.attrs["k8sviz"]["problems"]) == 200
        assert archive.attrs["k8sviz"]["sources"][0]["malformed"] == 230

    @pytest.mark.parametrize("fmt", ["hubble", "calico"])
    @pytest.mark.parametrize("gz", [False, True])
    def test_files_joined_with_cat(self, tmp_path, fmt, gz):
        """A byte-order mark inside the file: DuckDB does not read that line, load_flows does;
        the archive reads the file as load_flows does."""
        lines = _lines(fmt, 4)
        bom = b"\xef\xbb\xbf"
        data = bom + "".join(f"{x}\n" for x in lines[:2]).encode() + bom + "".join(
            f"{x}\n" for x in lines[2:]).encode()
        p = _write(tmp_path, data, "f.json.gz" if gz else "f.json")
        archive, _, said = agree(p, damaged=False)
        assert archive["records"].sum() == 4 and not problems(archive) and not said

    @pytest.mark.parametrize("end", ["\r", "\r\n"])
    def test_lone_cr_and_crlf_line_ends(self, tmp_path, end):
        lines = _lines("hubble")
        lines[2] = lines[2][:40]
        p = _write(tmp_path, (end.join(lines) + end).encode())
        archive, _, _ = agree(p)
        assert problems(archive) == [("malformed", str(p), 3)] and archive["records"].sum() == 4


class TestRepeatedKeys:
    @pytest.mark.parametrize("gz", [False, True])
    def test_a_tampered_verdict_is_malformed_in_both(self, tmp_path, demo_snap, gz):
        """DuckDB keeps the first of two values (DROPPED), orjson the last (FORWARDED): the record
        is neither, but a malformed problem, as load_flows reports it."""
        lines = _lines("hubble")
        lines[1] = _twice(lines[1], "verdict", '"DROPPED"')
        p = _write(tmp_path, "".join(f"{x}\n" for x in lines).encode(), "f.json.gz" if gz else "f.json")
        archive, _, said = agree(p, demo_snap)
        assert archive["records"].sum() == 4 and archive["denied"].sum() == 0
        (prob,) = archive.attrs["k8sviz"]["problems"]
        assert (prob["kind"], prob["line"]) == ("malformed", 2)
        assert prob["message"] == "key 'flow.verdict' is given twice; which value holds cannot be told"
        assert any(f"{p}: skipped 1 malformed" in w for w in said)

    def test_a_calico_record_with_two_actions(self, tmp_path):
        lines = _lines("calico", 4)
        lines[2] = _twice(lines[2], "action", '"deny"')
        archive, _, _ = agree(_write(tmp_path, "".join(f"{x}\n" for x in lines).encode()))
        assert archive["denied"].sum() == 0 and archive["records"].sum() == 3

    def test_a_repeat_in_a_nested_object_of_a_pretty_printed_file(self, tmp_path):
        records = [hubble(f"2024-03-15T10:00:0{i}Z", port=80 + i) for i in range(3)]
        text = "".join(json.dumps(r, indent=2) + "\n" for r in records)
        first = text.index('"destination": "10.0.0.2"', text.index("10:00:01"))
        text = text[:first] + '"destination": "10.9.9.9",\n      ' + text[first:]
        archive, _, _ = agree(_write(tmp_path, text.encode()))
        assert set(archive["dst"]) == {"10.0.0.2"} and archive["records"].sum() == 2


class TestObjects:
    """Arrays and streams of pretty-printed objects: DuckDB stops at a damaged object (it cannot
    ignore parse errors there); the archive reads such a file with load_flows' reader, which
    costs only the damaged record."""

    @pytest.mark.parametrize("fmt", ["hubble", "calico"])
    @pytest.mark.parametrize("layout", ["pretty", "array", "array-crlf", "js-array", "one-line"])
    def test_a_stray_quote(self, tmp_path, fmt, layout):
        p = _write(tmp_path, _stray_quote(_text(_records(fmt), layout)).encode())
        archive, _, _ = agree(p)
        assert archive["records"].sum() == 4 and [k for k, _, _ in problems(archive)] == ["malformed"]

    @pytest.mark.parametrize("layout", ["pretty", "array"])
    def test_a_record_that_lost_its_end(self, tmp_path, layout):
        text = _text(_records("calico"), layout)
        at = re.search(r'"dest_port": 81,', text).end()
        following = text.rfind("\n  {" if layout == "array" else "\n{", 0, text.index('_port": 82'))
        archive, _, _ = agree(_write(tmp_path, (text[:at] + text[following:]).encode()))
        assert archive["records"].sum() == 4

    def test_a_cut_array_and_clean_files_beside_it(self, tmp_path, demo_snap):
        """Only the damaged file is read by load_flows' reader; the others by DuckDB."""
        text = _text(_records("calico"), "array")
        _write(tmp_path, text[: text.index('"dest_port": 83')].encode(), "cut.json")
        _write(tmp_path, text.encode(), "whole.json")
        _write(tmp_path, "".join(f"{x}\n" for x in _lines("hubble")).encode(), "h.json")
        archive, _, _ = agree(tmp_path, demo_snap)
        assert [k for k, _, _ in problems(archive)] == ["truncated"]
        assert archive["records"].sum() == 3 + 5 + 5

    def test_a_calico_search_response(self, tmp_path):
        """A whole search response: DuckDB's query does not read its hits, load_flows' reader does."""
        hits = [json.dumps({"_source": calico(1710496800 + i, dest_port=80 + i)}) for i in range(3)]
        p = _write(tmp_path, ('{"hits": {"total": 3, "hits": [\n' + ",\n".join(hits) + "\n]}}\n").encode())
        archive, _, _ = agree(p, damaged=False)
        assert archive["records"].sum() == 3


class TestGzip:
    def test_a_cut_stream(self, tmp_path):
        """DuckDB raised an IO error: now the file's records before the cut count, and the cut is
        a truncated problem at the line reached, as in load_flows."""
        z = gzip.compress(("\n".join(_lines("calico", 1) * 3000) + "\n").encode())
        p = tmp_path / "f.json.gz"
        p.write_bytes(z[: len(z) * 2 // 3])
        archive, flows, _ = agree(p)
        assert [k for k, _, _ in problems(archive)] == ["truncated"]
        assert 0 < archive["records"].sum() == len(flows) < 3000

    @pytest.mark.parametrize("at", [-8, -1], ids=["crc", "length"])
    @pytest.mark.parametrize("fmt", ["hubble", "calico"])
    def test_a_stream_whose_check_fails(self, tmp_path, fmt, at):
        """Found by a differential fuzz: DuckDB checks no gzip CRC (nor length) and read the file
        as whole, where load_flows reports it unreadable at the line it reached; the archive
        reads such a file with load_flows' reader."""
        # Past the first 64 KiB read to tell the format (a check failing there is a bad header).
        z = bytearray(gzip.compress(("\n".join(_lines(fmt, 1) * 400) + "\n").encode()))
        z[at] ^= 0x01
        p = tmp_path / "f.json.gz"
        p.write_bytes(bytes(z))
        archive, flows, _ = agree(p)
        (prob,) = archive.attrs["k8sviz"]["problems"]
        assert (prob["kind"], prob["line"]) == ("unreadable", 401)
        assert ("CRC check failed" if at == -8 else "Incorrect length") in prob["message"]
        assert archive["records"].sum() == len(flows) == 400

    def test_a_stream_cut_before_its_first_line(self, tmp_path):
        p = tmp_path / "f.json.gz"
        p.write_bytes(gzip.compress(("\n".join(_lines("hubble")) + "\n").encode())[:12])
        archive, _, _ = agree(p)
        assert len(archive) == 0 and problems(archive) == [("truncated", str(p), 1)]


class TestBadValues:
    """The cases of test_bad_values: load_flows drops a record whose time a flow table cannot hold,
    whose address is no IP address or whose values have the wrong JSON type (bad-time, malformed;
    bad-end-time keeps it); the archive does the same, with the same files, lines and counts."""

    @pytest.mark.parametrize("fmt", ["hubble", "hubble-array", "calico", "goldmane"])
    @pytest.mark.parametrize("bad", [FUTURE, PAST])
    @pytest.mark.parametrize("good", [0, 1, 3], ids=lambda n: f"{n}good")
    def test_times_out_of_range(self, tmp_path, fmt, bad, good):
        p = write(tmp_path, fmt, [bad, *[GOOD] * good, bad])
        archive, flows, said = agree(p)
        assert archive["records"].sum() == good and len(flows) == good
        (src,) = archive.attrs["k8sviz"]["sources"]
        assert (src["records"], src["bad_time"], src["malformed"]) == (good, 2, 0)
        assert any(f"{p}: skipped 0 malformed, 0 truncated and 2 undated records" in w for w in said), said

    @pytest.mark.parametrize("t", ["yesterday", "", None, "2024-13-01T00:00:00Z", True, 1710496800])
    def test_hubble_times_that_are_no_timestamp(self, tmp_path, t):
        """An odd time: agreed whatever load_flows makes of it (seconds are read as seconds)."""
        p = write_jsonl(tmp_path, [hubble(GOOD), {**hubble(GOOD), "flow": {**hubble(GOOD)["flow"], "time": t},
                                                  "time": t}])
        agree(p, damaged=t != 1710496800)

    def test_calico_end_time_out_of_range_keeps_the_record(self, tmp_path):
        p = write_jsonl(tmp_path, [calico(1710496800, end_time=253402300799), calico(1710496800)])
        archive, _, said = agree(p)
        assert archive["records"].sum() == 2 and [k for k, _, _ in problems(archive)] == ["bad-end-time"]
        assert any("1 bad-end-time problem" in w for w in said)

    def test_seconds_past_any_range(self, tmp_path):
        """DuckDB's to_timestamp raised on 1e20 seconds; load_flows drops -3e10 (bad-time) and
        keeps the record whose end is 1e20 without it (bad-end-time): so does the archive."""
        p = write_jsonl(tmp_path, [calico(1710496800, end_time=1e20), calico(-3e10)])
        archive, _, _ = agree(p)
        assert sorted(k for k, _, _ in problems(archive)) == ["bad-end-time", "bad-time"]
        assert archive["records"].sum() == 1

    @pytest.mark.parametrize("bad", BAD_ADDRESSES)
    @pytest.mark.parametrize("side", ["source", "destination"])
    def test_hubble_addresses(self, tmp_path, bad, side):
        world = {side: {"labels": ["reserved:world"]}}
        addr = {"src": bad} if side == "source" else {"dst": bad}
        p = write_jsonl(tmp_path, [hubble(GOOD, **addr, **world), hubble(GOOD, dst="8.8.8.8", **world),
                                   hubble(GOOD, **addr, **world)])
        archive, _, said = agree(p)
        assert problems(archive) == [("malformed", str(p), 1), ("malformed", str(p), 3)]
        assert archive.attrs["k8sviz"]["problems"][0]["message"] == f"{side} address {bad!r} is not an IP address"
        assert archive["records"].sum() == 1 and bad not in set(archive["src"]) | set(archive["dst"])
        assert any("skipped 2 malformed" in w for w in said)

    @pytest.mark.parametrize("bad", BAD_ADDRESSES)
    def test_calico_addresses(self, tmp_path, bad):
        p = write_jsonl(tmp_path, [calico(1710496800, dst=bad), calico(1710496800, src=bad),
                                   calico(1710496800, dst="1.1.1.1")])
        archive, _, _ = agree(p)
        assert problems(archive) == [("malformed", str(p), 1), ("malformed", str(p), 2)]
        assert archive["records"].sum() == 1

    def test_a_hidden_calico_address_is_no_problem(self, tmp_path):
        archive, _, _ = agree(write_jsonl(tmp_path, [calico(1710496800, dst="-", src="")]), damaged=False)
        assert archive["records"].sum() == 1

    @pytest.mark.parametrize(("field", "value"), [
        ("is_reply", {"value": False}), ("verdict", ["FORWARDED"]), ("node_name", {"n": 1}),
        ("IP", "10.0.0.1"), ("source", ["x"]), ("event_type", {"type": "4"}),
        ("l4", {"TCP": {"source_port": 40000, "destination_port": "80"}}),
        ("l4", {"TCP": {"source_port": 40000, "destination_port": 70000}}),
        ("destination_service", {"name": 5}), ("destination_service", {"namespace": "default", "name": True}),
    ])
    def test_hubble_values_of_the_wrong_type(self, tmp_path, field, value):
        rec = hubble(GOOD)
        rec["flow"][field] = value
        p = write_jsonl(tmp_path, [rec, hubble(GOOD)])
        archive, _, _ = agree(p)
        assert problems(archive) == [("malformed", str(p), 1)] and archive["records"].sum() == 1

    @pytest.mark.parametrize("value", [0, False, [], {}, 1])
    @pytest.mark.parametrize("field", ["pod_name", "namespace", "podName"])
    def test_hubble_names_that_are_no_text(self, tmp_path, demo_snap, field, value):
        """Found by a differential fuzz: a pod_name 0 or false was no pod to load_flows (`or None`)
        and the pod "0" or "false" to DuckDB.  A name that is no text is malformed in both, as
        1 was already."""
        recs = [hubble(GOOD, source={"namespace": "shop", "pod_name": "cart"}), hubble(GOOD)]
        if field == "podName":  # camelCase throughout, as protojson writes it
            recs = [camel(r) for r in recs]
        recs[0]["flow"]["source"][field] = value
        p = write_jsonl(tmp_path, recs)
        archive, _, _ = agree(p, demo_snap)
        assert problems(archive) == [("malformed", str(p), 1)] and archive["records"].sum() == 1
        assert archive["src"].tolist() == ["10.0.0.1"]

    @pytest.mark.parametrize("name", ["0", "false"])
    def test_hubble_names_that_look_like_json_are_names(self, tmp_path, demo_snap, name):
        p = write_jsonl(tmp_path, [hubble(GOOD, source={"namespace": "shop", "pod_name": name})])
        archive, _, _ = agree(p, demo_snap, damaged=False)
        assert archive["src"].tolist() == [f"shop/{name}"]

    @pytest.mark.parametrize(("field", "value"), [
        ("dest_port", "eighty"), ("dest_port", 70000), ("bytes_in", -1), ("source_ip", 5),
        ("num_flows", [1]), ("dest_type", {"t": 1}),
    ])
    def test_calico_values_of_the_wrong_type(self, tmp_path, field, value):
        p = write_jsonl(tmp_path, [calico(1710496800, **{field: value}), calico(1710496800)])
        archive, _, _ = agree(p)
        assert problems(archive) == [("malformed", str(p), 1)] and archive["records"].sum() == 1

    @pytest.mark.parametrize(("field", "value"), [
        ("dest_port", "\u0663"), ("dest_port", "\uff18\uff10"), ("dest_port", " 80"), ("dest_port", "1_000"),
        ("dest_port", True), ("dest_port", 80.7), ("source_port", "0x50"), ("num_flows", "\u0663"),
        ("num_flows_started", "+2"), ("bytes_in", 1.5),
    ])
    def test_calico_numbers_python_and_duckdb_read_otherwise(self, tmp_path, field, value):
        """Found by a differential fuzz: Python's int() read an Arabic-Indic "\u0663" as 3 where
        DuckDB's cast reads nothing, and 80.7 as 80 where DuckDB reads 81.  A port or count is a
        JSON integer or its ASCII digits in a string; anything else is malformed in both."""
        p = write_jsonl(tmp_path, [calico(1710496800, **{field: value}), calico(1710496800, dest_port="81")])
        archive, _, _ = agree(p)
        assert problems(archive) == [("malformed", str(p), 1)] and archive["records"].sum() == 1
        assert archive["ports"].tolist() == [["81"]]
        shown = "true" if value is True else repr(value)  # true as the JSON wrote it, not Python's True
        assert f"{field} {shown} is not a whole number" in archive.attrs["k8sviz"]["problems"][0]["message"]

    @pytest.mark.parametrize(("proto", "want"), [
        ("stra\u00dfe", "STRA\u00dfE"), ("\u0130cmp", "\u0130CMP"), ("\u01c6x", "\u01c6X"), ("\u017fctp", "\u017fCTP"),
        ("Icmp6", "ICMPv6"), ("gre", "GRE"),
    ])
    @pytest.mark.parametrize("fmt", ["calico", "goldmane"])
    def test_protocol_names_change_case_in_ascii_letters_only(self, tmp_path, fmt, proto, want):
        """Found by a differential fuzz: Python upper-cased "\u00df" to "SS" where DuckDB makes it
        "\u1e9e", and DuckDB lower-cased "\u0130CMP" to ICMP where Python does not.  Both change the
        case of ASCII letters only, so an unknown name reads alike in both."""
        if fmt == "calico":
            rec = calico(1710496800, proto=proto)
        else:
            rec = goldmane(1710496800)
            rec["Key"]["proto"] = proto
        archive, flows, _ = agree(write_jsonl(tmp_path, [rec]), damaged=False)
        assert archive["protocol"].tolist() == [want] and flows["protocol"].tolist() == [want]

    @pytest.mark.parametrize(("where", "field", "value"), [
        ("Key", "dest_port", "7070"), ("Key", "source_name", ["x"]), ("Key", "policies", [1]),
        ("top", "bytes_in", 1.5), ("top", "num_connections_started", -2), ("top", "Key", "x"),
    ])
    def test_goldmane_values_of_the_wrong_type(self, tmp_path, where, field, value):
        bad = goldmane(1710496800)
        (bad["Key"] if where == "Key" else bad)[field] = value
        p = write_jsonl(tmp_path, [bad, goldmane(1710496800)])
        archive, _, _ = agree(p)
        assert problems(archive) == [("malformed", str(p), 1)] and archive["records"].sum() == 1

    @pytest.mark.parametrize("line", ["[1, 2]", "42", '"text"', "null"])
    def test_a_line_that_is_no_object(self, tmp_path, line):
        p = tmp_path / "f.json"
        p.write_text("".join(f"{x}\n" for x in [*_lines("hubble", 2), line, *_lines("hubble", 2)]))
        agree(p, damaged=line != "null")

    def test_a_record_the_aggregation_would_count_otherwise(self, tmp_path):
        """A bare flow without a verdict is a record to load_flows (it has IP): the archive agrees."""
        rec = hubble(GOOD)["flow"]
        del rec["verdict"]
        p = write_jsonl(tmp_path, [rec, hubble(GOOD)])
        archive, flows, _ = agree(p, damaged=False)
        assert len(flows) == 2

    def test_only_the_file_with_a_bad_value_is_read_by_load_flows(self, tmp_path, monkeypatch):
        from k8sviz.flows import archive as archive_module

        write_jsonl(tmp_path, [hubble(GOOD), hubble(FUTURE)], "bad.json")
        write_jsonl(tmp_path, [hubble(GOOD, port=81), hubble(GOOD, port=82)], "good.json")
        read = []
        real = archive_module._read_damaged
        monkeypatch.setattr(archive_module, "_read_damaged",
                            lambda con, files, *a: read.extend(files) or real(con, files, *a))
        archive, _, _ = agree(tmp_path)
        assert read == [str(tmp_path / "bad.json")] and archive["records"].sum() == 3


class TestNames:
    """What a name means is each parser's: ``-`` is Calico's and Goldmane's placeholder for none
    and a name to Hubble; the archive reads each as load_flows does (found by a differential
    fuzz and by reading archive._v, which took ``-`` for none whatever the format)."""

    @pytest.mark.parametrize("source", [
        {"namespace": "shop", "pod_name": "-"}, {"namespace": "-", "pod_name": "cart"},
        {"namespace": "shop", "workloads": [{"name": "-"}]},
    ])
    def test_a_hubble_dash_is_a_name(self, tmp_path, demo_snap, source):
        p = write_jsonl(tmp_path, [hubble(GOOD, source=source), hubble(GOOD)])
        archive, flows, _ = agree(p, demo_snap, damaged=False)
        assert sorted(archive["src"]) == sorted(["10.0.0.1", "-/cart" if source["namespace"] == "-" else "shop/-"])
        assert unmapped(archive) == unmapped(flows)

    @pytest.mark.parametrize("labels", [["k8s:app=x", "k8s:io.kubernetes.pod.namespace=shop"],
                                        {"k8s:io.kubernetes.pod.namespace=shop": ""}])
    def test_a_pod_namespace_named_in_its_labels_only(self, tmp_path, demo_snap, labels):
        """Older Hubble builds name a pod's namespace in a label only: load_flows read it, the
        archive did not."""
        src = {"pod_name": "frontend-x", "labels": labels}
        archive, flows, _ = agree(write_jsonl(tmp_path, [hubble(GOOD, source=src)]), demo_snap, damaged=False)
        assert archive["src"].tolist() == ["shop/frontend-x"]
        assert unmapped(archive) == unmapped(flows)

    @pytest.mark.parametrize(("svc", "want"), [
        ({"name": "kubernetes"}, "service/kubernetes"), ({"name": "api", "namespace": ""}, "service/api"),
        ({"name": "", "namespace": "x"}, "service/default/kubernetes"),
    ])
    def test_a_hubble_service_without_a_namespace_or_a_name(self, tmp_path, demo_snap, svc, want):
        """The name alone without a namespace, none without a name, as load_flows reads it; the
        archive made "service/default/kubernetes", "service//api" and "service/x/" of them."""
        p = write_jsonl(tmp_path, [hubble(GOOD, dst="10.96.0.1", destination_service=svc)])  # the API's IP
        archive, _, _ = agree(p, demo_snap, damaged=False)
        assert archive["dst"].tolist() == [want]

    @pytest.mark.parametrize("spelling", ["proto", "camel"])
    def test_a_hubble_flow_of_json_null_is_none(self, tmp_path, demo_snap, spelling):
        """A bare flow with a ``"flow": null`` key is that bare flow to load_flows; the archive
        read the null for the flow and left its edge out (differential seed 1022)."""
        bare = hubble(GOOD)["flow"]
        line = {"flow": None, **(camel(bare) if spelling == "camel" else bare)}
        archive, _, _ = agree(write_jsonl(tmp_path, [line]), demo_snap, damaged=False)
        assert archive[["src", "dst", "flows"]].values.tolist() == [["10.0.0.1", "10.0.0.2", 1]]

    @pytest.mark.parametrize("reporter", ["-", ""])
    def test_a_calico_reporter_dash_is_an_observer_of_its_own(self, tmp_path, reporter):
        """Two observers of one connection (a reporter "-" and none): counted once, as load_flows
        counts them; the archive took both for one observer and added them up."""
        p = write_jsonl(tmp_path, [calico(1710496800, reporter=reporter),
                                   calico(1710496800, reporter=None, dest_port=81)])
        archive, _, _ = agree(p, damaged=False)
        assert archive["flows"].tolist() == [1] and archive["records"].tolist() == [2]


class TestAConnectionInSeveralFiles:
    """A Hubble connection (a 5-tuple of an observer) counts once however many files hold it, as
    flow_edges counts it; the archive counted it once per way of reading (DuckDB, load_flows'
    reader for a damaged file, a file of lines and an array: each a query of its own)."""

    def _twice(self, tmp_path, second: str):
        lines = "".join(json.dumps(hubble(GOOD, port=80 + i)) + "\n" for i in range(2))
        _write(tmp_path, lines.encode(), "a.json")
        if second == "damaged":  # read by load_flows' reader: a record of a bad time beside them
            _write(tmp_path, (lines + json.dumps(hubble(FUTURE)) + "\n").encode(), "b.json")
        elif second == "array":
            _write(tmp_path, json.dumps([hubble(GOOD, port=80 + i) for i in range(2)], indent=1).encode(), "b.json")
        elif second == "camel":
            _write(tmp_path, "".join(json.dumps(camel(hubble(GOOD, port=80 + i))) + "\n"
                                     for i in range(2)).encode(), "b.json")
        else:
            _write(tmp_path, lines.encode(), "b.json.gz")
        return tmp_path

    @pytest.mark.parametrize("second", ["damaged", "array", "camel", "gzip"])
    def test_read_two_ways(self, tmp_path, second):
        archive, _, _ = agree(self._twice(tmp_path, second), damaged=second == "damaged")
        assert archive["records"].tolist() == [4] and archive["flows"].tolist() == [2]
        assert archive["allowed"].tolist() == [2]

    def test_and_a_third_connection_in_one_of_them(self, tmp_path):
        path = self._twice(tmp_path, "damaged")
        _write(tmp_path, (json.dumps(hubble(GOOD, port=82)) + "\n").encode(), "c.json")
        archive, _, _ = agree(path)
        assert archive["flows"].tolist() == [3] and archive["ports"].tolist() == [["80-82"]]

    @pytest.mark.parametrize("named_first", [True, False])
    def test_in_one_file_under_two_names(self, tmp_path, demo_snap, named_first):
        """One connection whose destination is named on one record (shop/ghost) and not on the
        other (its address): both count it by the earliest record's edge (load_flows sorts its
        table by time), here the first line's too.  Each edge has another connection, so that
        which one counts it shows."""
        named = hubble(GOOD, destination={"namespace": "shop", "pod_name": "ghost"})
        bare = hubble("2024-03-15T10:00:01Z")
        first, second = (named, bare) if named_first else (bare, named)
        second["flow"]["time"] = second["time"] = "2024-03-15T10:00:02Z"
        others = [hubble(GOOD, destination={"namespace": "shop", "pod_name": "ghost"}), hubble(GOOD)]
        for rec, sport in zip(others, (40001, 40002), strict=True):
            rec["flow"]["l4"]["TCP"]["source_port"] = sport
        archive, _, _ = agree(write_jsonl(tmp_path, [first, second, *others]), demo_snap, damaged=False)
        flows = dict(zip(archive["dst"], archive["flows"], strict=True))
        assert flows == ({"shop/ghost": 2, "10.0.0.2": 1} if named_first else {"shop/ghost": 1, "10.0.0.2": 2})

    @pytest.mark.parametrize("layout", ["lines", "gzip", "array", "camel", "beside another file", "escaped"])
    @pytest.mark.parametrize("named_first", [True, False])
    def test_in_one_file_under_two_names_at_one_time(self, tmp_path, demo_snap, layout, named_first):
        """The same connection named two ways at the same time: neither starts first in time, so
        the archive finds which comes first in the file, as flow_edges counts the first line's of
        records at one time (it counted the row that hashed first, either way round).  Each edge
        has another connection, so that which one counts it shows."""
        named = hubble(GOOD, destination={"namespace": "shop", "pod_name": "ghost"})
        bare = hubble(GOOD)
        others = [hubble(GOOD, destination={"namespace": "shop", "pod_name": "ghost"}), hubble(GOOD)]
        for rec, sport in zip(others, (40001, 40002), strict=True):
            rec["flow"]["l4"]["TCP"]["source_port"] = sport
        recs = [named, bare, *others] if named_first else [bare, named, *others]
        lines = "".join(json.dumps(camel(r) if layout == "camel" else r) + "\n" for r in recs).encode()
        if layout == "escaped":  # the first record's source address as JSON may write it
            lines = lines.replace(b'"source": "10.0.0.1"', b'"source": "\\u0031\\u0030.0.0.1"', 1)
        if layout == "gzip":
            path = _write(tmp_path, lines, "f.json.gz")
        elif layout == "array":
            path = _write(tmp_path, json.dumps(recs, indent=1).encode())
        else:
            path = _write(tmp_path, lines, "b.json")
        if layout == "beside another file":  # a file before it, in the same query
            _write(tmp_path, (json.dumps(hubble(GOOD, dst="10.0.0.3")) + "\n").encode(), "a.json")
            path = tmp_path
        archive, _, _ = agree(path, demo_snap, damaged=False)
        flows = dict(zip(archive["dst"], archive["flows"], strict=True))
        flows.pop("10.0.0.3", None)  # the other file's
        first, second = (2, 1) if named_first else (1, 2)
        assert flows == {"shop/ghost": first, "10.0.0.2": second}

    @pytest.mark.parametrize("named_first", [True, False])
    def test_tied_records_far_apart_in_a_file_scanned_on_several_threads(self, tmp_path, demo_snap,
                                                                        named_first):
        """Which of two tied records comes first rests on DuckDB's row numbers (WITH
        ORDINALITY) following the file.  A plain scan of a file this size (5,000 records of
        4 KB, 20 MB) runs on several threads and gives the rows out of file order: DuckDB
        2.0.1 on 2 threads started with its record 4,067 (checked by hand).  The tied records
        sit at 100 and 4,900, either side of where that scan split, so a DuckDB whose numbers
        followed such a scan would count the connection on the other edge: numbering the rows
        of such a scan instead (a table filled by it, by rowid) fails this test and passes the
        small files' tests above (checked by hand)."""
        named = hubble(GOOD, destination={"namespace": "shop", "pod_name": "ghost"})
        bare = hubble(GOOD)
        tied = [named, bare] if named_first else [bare, named]
        others = [hubble(GOOD, destination={"namespace": "shop", "pod_name": "ghost"}), hubble(GOOD)]
        for rec, sport in zip(others, (40001, 40002), strict=True):
            rec["flow"]["l4"]["TCP"]["source_port"] = sport
        recs = []
        for i in range(5000):
            rec = hubble(GOOD, dst="10.0.0.3", Summary="x" * (4000 + i % 200))
            rec["flow"]["l4"]["TCP"]["source_port"] = 30000 + i % 7
            recs.append(tied.pop(0) if i in (100, 4900) else rec)
        path = write_jsonl(tmp_path, [*recs, *others])
        assert path.stat().st_size > 20_000_000
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", k8sviz.FlowWarning)
            archive = k8sviz.aggregate_flow_archive(path, demo_snap, threads=2)
            flows = k8sviz.load_flows(path, snapshot=demo_snap)
        assert_same_edges(archive, k8sviz.flow_edges(flows))
        counted = dict(zip(archive["dst"], archive["flows"], strict=True))
        first, second = (2, 1) if named_first else (1, 2)
        assert (counted["shop/ghost"], counted["10.0.0.2"]) == (first, second)

    def test_tied_in_time_the_first_line_at_that_time_counts(self, tmp_path, demo_snap):
        """Named at lines 1 (a second later) and 3, bare at line 2, lines 2 and 3 at one time:
        flow_edges counts the first record of that time (line 2), not the first line of either
        name (line 1)."""
        later = hubble("2024-03-15T10:00:01Z", destination={"namespace": "shop", "pod_name": "ghost"})
        named = hubble(GOOD, destination={"namespace": "shop", "pod_name": "ghost"})
        others = [hubble(GOOD, destination={"namespace": "shop", "pod_name": "ghost"}), hubble(GOOD)]
        for rec, sport in zip(others, (40001, 40002), strict=True):
            rec["flow"]["l4"]["TCP"]["source_port"] = sport
        archive, _, _ = agree(write_jsonl(tmp_path, [later, hubble(GOOD), named, *others]), demo_snap,
                              damaged=False)
        assert dict(zip(archive["dst"], archive["flows"], strict=True)) == {"shop/ghost": 1, "10.0.0.2": 2}

    @pytest.mark.parametrize("files", [1, 2])
    def test_out_of_time_order_the_earliest_name_counts(self, tmp_path, demo_snap, files):
        """load_flows sorts its table by time, so flow_edges counts a connection named two ways
        by its earliest record, not its first line, in one file or across two (the archive
        counted it by the first file's, by name)."""
        named = hubble("2024-03-15T10:00:02Z", destination={"namespace": "shop", "pod_name": "ghost"})
        bare = hubble("2024-03-15T10:00:01Z")
        others = [hubble(GOOD, destination={"namespace": "shop", "pod_name": "ghost"}), hubble(GOOD)]
        for rec, sport in zip(others, (40001, 40002), strict=True):
            rec["flow"]["l4"]["TCP"]["source_port"] = sport
        if files == 1:
            write_jsonl(tmp_path, [named, bare, *others], "a.json")
        else:
            write_jsonl(tmp_path, [named, others[0]], "a.json")
            write_jsonl(tmp_path, [bare, others[1]], "b.json")
        archive, _, _ = agree(tmp_path, demo_snap, damaged=False)
        assert dict(zip(archive["dst"], archive["flows"], strict=True)) == {"shop/ghost": 1, "10.0.0.2": 2}

    def test_many_connections_named_two_ways_at_one_time(self, tmp_path, demo_snap):
        """Seventy connections from seventy addresses, each named two ways at one time, the
        named record first on every other one: past 64 tied addresses the file is read again
        whole, not only the records that hold them.  Each edge has another connection, so that
        which one counts the tied one shows."""
        recs = []
        for i in range(70):
            src = f"10.1.0.{i + 1}"
            pair = [hubble(GOOD, src=src, destination={"namespace": "shop", "pod_name": "ghost"}),
                    hubble(GOOD, src=src)]
            others = copy.deepcopy(pair)
            for rec, sport in zip(others, (40001, 40002), strict=True):
                rec["flow"]["l4"]["TCP"]["source_port"] = sport
            recs += [*pair[:: 1 if i % 2 else -1], *others]
        archive, _, _ = agree(write_jsonl(tmp_path, recs), demo_snap, damaged=False)
        assert sorted(set(archive["flows"])) == [1, 2]

    def test_other_observers_still_count_apart(self, tmp_path):
        """The same 5-tuple at the destination's ingress is another observer's: not taken away."""
        _write(tmp_path, (json.dumps(hubble(GOOD)) + "\n").encode(), "a.json")
        _write(tmp_path, (json.dumps(hubble(GOOD, traffic_direction="INGRESS")) + "\n"
                          + json.dumps(hubble(FUTURE)) + "\n").encode(), "b.json")
        archive, _, _ = agree(tmp_path)
        assert archive["flows"].tolist() == [1] and archive["records"].tolist() == [2]


class TestTheOrderOfFiles:
    """Of records at one time, load_flows' table keeps the order it reads files in: each path as
    given, a directory's files sorted as paths (``a/x`` before ``a-b/x``, which a comparison of
    names as text puts after: '-' sorts before '/').  The archive takes that order wherever a
    file decides (it compared names as text): which file's naming of a connection counts, and
    which file an unmapped endpoint's example names."""

    @staticmethod
    def _named_and_bare(tmp_path, named_in: str, layout: str) -> list:
        """One connection named shop/ghost in one file and by its address in the other, at one
        time, each beside another connection on its edge (so that which edge counts it shows);
        ``named_in`` is the file (under ``a/b`` or ``a-b``) of the named record.  Returns the
        files in load_flows' order."""
        named = hubble(GOOD, destination={"namespace": "shop", "pod_name": "ghost"})
        bare = hubble(GOOD)
        others = [hubble(GOOD, destination={"namespace": "shop", "pod_name": "ghost"}), hubble(GOOD)]
        for rec, sport in zip(others, (40001, 40002), strict=True):
            rec["flow"]["l4"]["TCP"]["source_port"] = sport
        first = [named, others[0]] if named_in == "a/b" else [bare, others[1]]
        second = [bare, others[1]] if named_in == "a/b" else [named, others[0]]
        (tmp_path / "a" / "b").mkdir(parents=True)
        (tmp_path / "a-b").mkdir()
        a = tmp_path / "a" / "b" / "x.json"
        a_b = tmp_path / "a-b" / "x.json"
        a.write_text("".join(json.dumps(r) + "\n" for r in first))
        if layout == "array":  # another query than the other file's
            a_b.write_text(json.dumps(second, indent=1))
        elif layout == "damaged":  # read by load_flows' reader: a record of a bad time beside them
            a_b.write_text("".join(json.dumps(r) + "\n" for r in [*second, hubble(FUTURE)]))
        else:  # both in one query
            a_b.write_text("".join(json.dumps(r) + "\n" for r in second))
        return [a, a_b]

    @pytest.mark.parametrize("layout", ["one query", "array", "damaged"])
    @pytest.mark.parametrize("named_in", ["a/b", "a-b"])
    def test_a_directory_and_one_named_with_a_dash(self, tmp_path, demo_snap, layout, named_in):
        files = self._named_and_bare(tmp_path, named_in, layout)
        archive, flows, _ = agree(tmp_path, demo_snap, damaged=layout == "damaged")
        read = [s["file"] for s in flows.attrs["k8sviz"]["sources"]]
        assert read == [str(f) for f in files] and sorted(read) != read  # not the order of names as text
        counted = dict(zip(archive["dst"], archive["flows"], strict=True))
        # The file under a/ is read first: its naming counts the connection.
        assert counted == ({"shop/ghost": 2, "10.0.0.2": 1} if named_in == "a/b"
                           else {"shop/ghost": 1, "10.0.0.2": 2})

    @pytest.mark.parametrize("given", ["a-b first", "a first"])
    def test_paths_given_one_by_one(self, tmp_path, demo_snap, given):
        """Paths given one by one are read in the order given, whatever their names."""
        a, a_b = self._named_and_bare(tmp_path, "a/b", "one query")
        paths = [a_b, a] if given == "a-b first" else [a, a_b]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", k8sviz.FlowWarning)
            archive = k8sviz.aggregate_flow_archive(paths, demo_snap)
            flows = k8sviz.load_flows(*paths, snapshot=demo_snap)
        assert_same_edges(archive, k8sviz.flow_edges(flows))
        counted = dict(zip(archive["dst"], archive["flows"], strict=True))
        assert counted == ({"shop/ghost": 1, "10.0.0.2": 2} if given == "a-b first"
                           else {"shop/ghost": 2, "10.0.0.2": 1})

    def test_parquet_files_are_found_as_flow_logs_are(self, tmp_path, demo_snap):
        """Parquet files in directories are found by the same walk: sorted as paths, hidden ones
        left out (a backup under .old/ would count twice)."""
        a, a_b = self._named_and_bare(tmp_path, "a/b", "one query")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", k8sviz.FlowWarning)
            table = k8sviz.load_flows(a_b, snapshot=demo_snap)
            table.to_parquet(tmp_path / "a-b" / "y.parquet")
            (tmp_path / "a-b" / ".old").mkdir()
            table.to_parquet(tmp_path / "a-b" / ".old" / "y.parquet")
            a_b.unlink()
            archive = k8sviz.aggregate_flow_archive(tmp_path, demo_snap)
        read = [s["file"] for s in archive.attrs["k8sviz"]["sources"]]
        assert read == [str(a), str(tmp_path / "a-b" / "y.parquet")]
        assert archive["records"].sum() == 4
        counted = dict(zip(archive["dst"], archive["flows"], strict=True))
        assert counted == {"shop/ghost": 2, "10.0.0.2": 1}

    @pytest.mark.parametrize("layout", ["one query", "damaged"])
    def test_an_unmapped_endpoints_example_names_the_first_file_read(self, tmp_path, demo_snap, layout):
        (tmp_path / "a" / "b").mkdir(parents=True)
        (tmp_path / "a-b").mkdir()
        rec = hubble(GOOD, dst="10.9.9.9")  # no pod of the snapshot
        (tmp_path / "a" / "b" / "x.json").write_text(json.dumps(rec) + "\n")
        extra = json.dumps(hubble(FUTURE)) + "\n" if layout == "damaged" else ""
        (tmp_path / "a-b" / "x.json").write_text(json.dumps(rec) + "\n" + extra)
        archive, flows, _ = both(tmp_path, demo_snap)

        def examples(df):
            return {(reason, s["endpoint"]): s["file"] for reason, v in df.attrs["k8sviz"]["unmapped"].items()
                    for s in v["samples"]}

        want = examples(flows)
        assert set(want.values()) == {str(tmp_path / "a" / "b" / "x.json")}
        assert examples(archive) == want


def unmapped(df) -> dict:
    """Per reason: endpoints, records and each endpoint's records (samples in no set order)."""
    return {reason: (v["endpoints"], v["records"], sorted((s["endpoint"], s["records"]) for s in v["samples"]))
            for reason, v in df.attrs["k8sviz"]["unmapped"].items()}


class TestUnmapped:
    """Records of endpoints the snapshot does not know, counted per reason as load_flows counts
    them: every record (replies too), not only the requests that make edges."""

    @pytest.mark.parametrize("which", ["demo", "cluster", "half"])
    def test_the_demo_flows(self, demo_snap, tmp_path, which):
        """With the demo snapshot (all mapped) and the demo cluster without half its pods and its
        workloads (pods, IPs and aggregates of no pod it knows: many records unmapped)."""
        import shutil

        snap = {"demo": demo_snap, "cluster": "data/demo/cluster"}.get(which)
        if which == "half":
            shutil.copytree("data/demo/cluster", tmp_path / "cluster")
            (tmp_path / "cluster" / "workloads.yaml").unlink()
            pods = json.loads((tmp_path / "cluster" / "pods.json").read_text())
            pods["items"] = pods["items"][::2]
            (tmp_path / "cluster" / "pods.json").write_text(json.dumps(pods))
            snap = tmp_path / "cluster"
        archive, flows, _ = both(k8sviz.demo_path("flows"), snap)
        want = unmapped(flows)
        assert unmapped(archive) == want
        if which == "half":
            assert sum(v[1] for v in want.values()) > 1000 and len(want) >= 2, want

    @pytest.mark.parametrize("snapshot", ["demo", "data/demo/cluster"])
    def test_unmapped_ips_replies_and_requests(self, tmp_path, demo_snap, snapshot):
        reply = hubble(GOOD, src="10.0.0.2", dst="10.0.0.1", is_reply=True)
        unknown = hubble(GOOD, dst="10.0.0.3")
        unknown["flow"]["l4"]["TCP"]["flags"] = {"ACK": True}  # no SYN, no is_reply: left out of edges
        lines = [hubble(GOOD), hubble(GOOD, port=81), reply, unknown,
                 hubble(GOOD, src="10.244.0.139", dst="172.16.9.9")]
        p = write_jsonl(tmp_path, lines)
        c = write_jsonl(tmp_path, [
            calico(1710496800, dest_type="wep", dest_name_aggr="-", dst="10.0.0.3"),
            calico(1710496800, source_type="wep", source_namespace="shop", source_name="ghost", source_name_aggr="-"),
        ], "c.json")
        archive, flows, said = both(tmp_path, demo_snap if snapshot == "demo" else snapshot)
        want = unmapped(flows)
        assert want["private-ip-not-in-snapshot"][:2] == (4, 10) and want["pod-not-in-snapshot"][:2] == (1, 1)
        assert unmapped(archive) == want
        samples = {s["endpoint"]: s for v in archive.attrs["k8sviz"]["unmapped"].values() for s in v["samples"]}
        assert samples["10.0.0.1"]["file"] == str(p) and samples["shop/ghost (10.0.0.1)"]["file"] == str(c)
        assert samples["10.0.0.3"]["file"] == str(c)  # the first file (by name) that holds it
        assert all(s["line"] is None for s in samples.values())
        assert any("unmapped endpoints: 1 pod-not-in-snapshot (1 records), 4 private-ip-not-in-snapshot "
                   "(10 records); e.g. shop/ghost (10.0.0.1) at " + str(c) in w and ":None" not in w
                   for w in said), said

    def test_damaged_and_clean_files_together(self, tmp_path, demo_snap):
        """A file read by load_flows' reader (a bad time) counts with its lines, the others without."""
        bad = write_jsonl(tmp_path, [hubble(FUTURE, dst="10.0.0.9"), hubble(GOOD, dst="10.0.0.9")], "a.json")
        write_jsonl(tmp_path, [hubble(GOOD, dst="10.0.0.9"), hubble(GOOD, dst="10.0.0.8")], "b.json")
        archive, flows, _ = both(tmp_path, demo_snap)
        assert unmapped(archive) == unmapped(flows)
        samples = {s["endpoint"]: s for s in archive.attrs["k8sviz"]["unmapped"]["private-ip-not-in-snapshot"][
            "samples"]}
        assert (samples["10.0.0.9"]["records"], samples["10.0.0.9"]["file"], samples["10.0.0.9"]["line"]) == (
            2, str(bad), 1)  # as load_flows names it: the first line it met it on
        assert samples["10.0.0.1"]["records"] == 3 and samples["10.0.0.8"]["line"] is None
        # Lines as load_flows counts them for the file its reader read; none for DuckDB's.
        lines = {src["file"]: src["lines"] for src in archive.attrs["k8sviz"]["sources"]}
        assert lines == {str(bad): 2, str(tmp_path / "b.json"): None}

    def test_no_snapshot_nothing_unmapped(self, tmp_path):
        archive, flows, _ = both(write_jsonl(tmp_path, [hubble(GOOD)]))
        assert archive.attrs["k8sviz"]["unmapped"] == flows.attrs["k8sviz"]["unmapped"] == {}


class TestParquet:
    """A Parquet file that cannot be read as load_flows' table is an InputError naming the file
    (of several, the one), never DuckDB's own error."""

    @pytest.fixture
    def table(self, tmp_path):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", k8sviz.FlowWarning)
            df = k8sviz.load_flows(k8sviz.demo_path("flows", "calico.json"))
        p = tmp_path / "good.parquet"
        df.to_parquet(p)
        return p

    def _fails(self, paths, name, match):
        with pytest.raises(k8sviz.InputError, match=match) as e:
            k8sviz.aggregate_flow_archive(paths)
        assert e.value.source == str(name)
        assert "duckdb" not in type(e.value).__module__

    @pytest.mark.parametrize("several", [False, True])
    def test_a_truncated_file(self, table, tmp_path, several):
        cut = tmp_path / "cut.parquet"
        cut.write_bytes(table.read_bytes()[: table.stat().st_size // 2])
        self._fails([table, cut] if several else [cut], cut, "cannot be read as Parquet")

    @pytest.mark.parametrize("content", [b"", b"not parquet at all\n", b"PAR1" + b"\0" * 100])
    def test_a_file_that_is_no_parquet(self, tmp_path, content):
        p = tmp_path / "x.parquet"
        p.write_bytes(content)
        self._fails([p], p, "cannot be read as Parquet")

    def test_a_parquet_file_of_another_table(self, table, tmp_path):
        other = tmp_path / "other.parquet"
        pd.DataFrame({"a": [1, 2], "time": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)}).to_parquet(other)
        self._fails(tmp_path, other, r"is no flow table of k8sviz.load_flows .*no column source_format, reporter")

    def test_a_table_without_one_column(self, table, tmp_path):
        p = tmp_path / "older.parquet"
        pd.read_parquet(table).drop(columns=["is_reply"]).to_parquet(p)
        self._fails([table, p], p, "no column is_reply$")

    def test_a_table_without_event_type_is_still_read(self, table, tmp_path):
        """Tables of k8sviz before the observer counts have none: read as before."""
        p = tmp_path / "old.parquet"
        pd.read_parquet(table).drop(columns=["event_type"]).to_parquet(p)
        assert k8sviz.aggregate_flow_archive(p)["records"].sum() == k8sviz.aggregate_flow_archive(table)[
            "records"].sum() > 0

    def test_a_damaged_page_past_the_footer(self, table, tmp_path):
        """The schema reads; the data does not: the aggregation names the file that fails alone."""
        data = table.read_bytes()
        n = len(data) // 3
        mid = tmp_path / "mid.parquet"
        mid.write_bytes(data[:n] + bytes(b ^ 0x5A for b in data[n:n + 2000]) + data[n + 2000:])
        self._fails([table, mid], mid, "cannot be read as a flow table")


@pytest.mark.parametrize("odd", [
    {"flow": {"lost_events": {"source": "HUBBLE_RING_BUFFER", "num_events_lost": 12, "cpu": 1},
              "node_name": "x", "time": "2024-03-15T10:00:02Z"}},
    {"flow": {"node_name": "x", "time": "2024-03-15T10:00:02Z", "Type": "L3_L4"}},
])
def test_a_flow_without_a_verdict_is_of_unknown_direction_not_a_crash(tmp_path, odd):
    """Found by a differential fuzz: a ``flow`` without a verdict (here a lost-events record
    wrapped in ``flow``) made the archive's request column NULL, and reading it crashed."""
    lines = _lines("hubble")
    lines[2] = json.dumps(odd)
    path = _write(tmp_path, ("\n".join(lines) + "\n").encode())
    archive, flows, _ = both(path, k8sviz.demo())
    assert_same_edges(archive, k8sviz.flow_edges(flows))
    assert archive.attrs["k8sviz"]["problem_counts"] == flows.attrs["k8sviz"]["problem_counts"]


def test_csv_files_and_damaged_files_read_as_csv_join_the_archive(tmp_path):
    """CSV files (refused before: the whole archive failed) and a JSON file cut so that it looks
    like CSV are read by load_flows' reader: same edges, same problems, the rest still counted."""
    d = tmp_path / "archive"
    d.mkdir()
    (d / "good.json").write_text("\n".join(_lines("hubble")) + "\n")
    (d / "flows.csv").write_text(
        "time,src_ip,dst_ip,dst_port,protocol,verdict\n"
        "2024-03-15T10:00:00Z,10.0.0.1,10.244.0.139,7070,TCP,allowed\n"
        "2024-03-15T10:00:01Z,10.0.0.1,10.244.0.139,7070,TCP,denied\n")
    cut = "\n".join(_lines("calico"))
    (d / "cut.json").write_text(cut[cut.index(",") + 1:] + "\n")  # the first line's head cut off
    archive, flows, said = both(d, k8sviz.demo())
    assert_same_edges(archive, k8sviz.flow_edges(flows))
    assert archive.attrs["k8sviz"]["problem_counts"] == flows.attrs["k8sviz"]["problem_counts"] != {}
    assert said
    formats = {s["file"].rsplit("/", 1)[1]: s["format"] for s in archive.attrs["k8sviz"]["sources"]}
    assert formats["flows.csv"] == "csv" and formats["good.json"] == "hubble"


def test_out_of_memory_is_an_input_error_naming_the_files_and_the_limit(tmp_path):
    """DuckDB's out-of-memory error was a traceback; it names the files and the limit now."""
    path = _write(tmp_path, ("\n".join(_lines("hubble", 50)) + "\n").encode())
    with pytest.raises(k8sviz.InputError, match=r"f\.json.*out of memory.*memory_limit='2MB'"):
        k8sviz.aggregate_flow_archive(path, k8sviz.demo(), memory_limit="2MB")


def agrees_within(path, snapshot, memory_limit):
    """The archive of ``path`` on one thread within ``memory_limit`` (returned): the edges of
    load_flows."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        archive = k8sviz.aggregate_flow_archive(path, snapshot, memory_limit=memory_limit, threads=1)
        flows = k8sviz.load_flows(path, snapshot=snapshot)
    assert_same_edges(archive, k8sviz.flow_edges(flows))
    return archive


def test_the_demo_hubble_file_aggregates_in_300mb_on_one_thread(demo_snap):
    """A `->>` per field kept a JSON parse arena per expression and the record's text up to the
    DISTINCT count: the demo's 16 MB of Hubble lines ran out of memory at 400MB on one thread.
    Each record is parsed once for all its fields now."""
    agrees_within(k8sviz.demo_path("flows", "hubble.json.gz"), demo_snap, "300MB")


def test_endpoints_that_are_no_pod_are_classified_as_load_flows_classifies_them(tmp_path, demo_snap):
    """The first reserved label decides (an API server outside the cluster is labelled
    kube-apiserver and world: a host), then the identity by its JSON type (the number 1 is the
    host, the string "1" is not; true is 1 to Python); an empty pod name is none."""
    sources = [
        {"identity": 7, "labels": ["reserved:kube-apiserver", "reserved:world"]},
        {"labels": ["k8s:a=b", "reserved:host", "reserved:world"]},
        {"identity": 4, "labels": ["reserved:health"]},
        {"identity": 8},
        {"identity": "1"},
        {"identity": 1.0},
        {"identity": True},
        {"labels": {"reserved:host": ""}},
        {"pod_name": "", "identity": 1},
        {"identity": 2, "labels": ["reserved:world"]},
    ]
    recs = []
    for i, ep in enumerate(sources):
        rec = hubble(f"2024-03-15T10:00:{i:02d}Z", port=4240)
        rec["flow"]["IP"]["source"] = f"10.0.9.{i + 1}"
        rec["flow"]["source"] = ep
        recs.append(rec)
    path = write_jsonl(tmp_path, recs)
    archive, _, _ = agree(path, demo_snap, damaged=False)
    kinds = dict(zip(archive["src"], archive["src_type"], strict=True))
    assert kinds["node/10.0.9.1"] == kinds["node/10.0.9.2"] == "node"  # hosts, not the world
    assert kinds["10.0.9.5"] == "external" and kinds["node/10.0.9.7"] == "node"


def test_the_demo_calico_file_aggregates_in_150mb_on_one_thread(demo_snap):
    """As the Hubble query did, the Calico query read each field with a `->>` of its own (a JSON
    parse arena per expression): the demo's 2.5 MB of Calico documents needed 265MB on one thread.
    Each document is parsed once for all its fields now."""
    agrees_within(k8sviz.demo_path("flows", "calico.json"), demo_snap, "150MB")


def test_goldmane_emitter_lines_aggregate_in_200mb_on_one_thread(tmp_path, demo_snap):
    """5,000 emitter lines (4 MB) needed 327MB on one thread with a `->>` per field; each key and
    flow is parsed once for all its fields now."""
    from .test_goldmane import CART, FRONTEND, emitter

    lines = [emitter(FRONTEND, CART, 7000 + i % 100, 1 + i % 3, start=1763632800 + 15 * (i // 100))
             for i in range(5000)]
    archive = agrees_within(write_jsonl(tmp_path, lines), demo_snap, "200MB")
    assert archive["records"].sum() == 5000


class TestGoldmaneEnums:
    """Goldmane's enums are numbers (Go's encoding/json: ``"action": 1``) or names (the Whisker
    API: ``"Allow"``); load_flows reads them by their JSON type, and so does the archive."""

    def test_an_action_in_a_string_is_no_verdict(self, tmp_path):
        """The archive read ``"action": "1"`` as Allow (``->>`` gives the same text for 1 and
        "1"); load_flows reads it as an action of no known name, as it reads "4": unknown."""
        p = _write(tmp_path, _ACTION_IN_A_STRING.encode(), "goldmane.jsonl")
        archive, flows, _ = agree(p, k8sviz.demo(), damaged=False)
        assert flows["verdict"].tolist() == ["allowed", "denied", "allowed", "unknown"]
        row = archive.set_index(["src", "dst"]).loc[("external-public", "shop/frontend")]
        assert (row["flows"], row["allowed"], row["unknown"]) == (4, 0, 4)

    @pytest.mark.parametrize(("field", "value"), [
        ("action", "2"), ("action", "3"), ("action", 4), ("action", "Deny"), ("reporter", "1"),
        ("reporter", "2"), ("reporter", "src"), ("source_type", "2"), ("dest_type", "4"), ("dest_type", 4),
        ("dest_type", "Network"),
    ])
    def test_enums_of_either_type(self, tmp_path, demo_snap, field, value):
        from .test_goldmane import CART, FRONTEND, PUB, emitter

        odd = emitter(FRONTEND, PUB if field == "dest_type" else CART, 443, 1, reporter=1)
        odd["Key"][field] = value
        p = write_jsonl(tmp_path, [emitter(FRONTEND, CART, 7070, 1), emitter(FRONTEND, CART, 7070, 2), odd,
                                   {**odd, "start_time": odd["start_time"] + 15}])
        agree(p, demo_snap, damaged=False)

    @pytest.mark.parametrize("value", [True, 1.0, 2.0, {"r": 1}])
    def test_a_reporter_of_another_type_is_malformed(self, tmp_path, value):
        """A lookup took true and 1.0 for Src, 2.0 for Dst: neither Go nor the API writes them."""
        from .test_goldmane import CART, FRONTEND, emitter

        p = write_jsonl(tmp_path, [emitter(FRONTEND, CART, 7070, 1, reporter=value),
                                   emitter(FRONTEND, CART, 7070, 1)])
        archive, _, _ = agree(p)
        assert problems(archive) == [("malformed", str(p), 1)] and archive["records"].sum() == 1


class TestProtocols:
    """A protocol is a name or an IANA number (Calico's ``proto``, Goldmane's ``proto`` or the
    Whisker API's ``protocol``), read by its JSON type as load_flows reads it: the archive took
    "6" for TCP (`->>` gave the same text for 6 and "6") and knew no ICMPv6 (icmp6, icmpv6, 58)."""

    VALUES = ["tcp", 6, "6", "17", "icmp6", "icmpv6", "ICMPv6", 58, "gre", 47, "", 0, None]

    @staticmethod
    def _goldmane(**key):
        from .test_goldmane import CART, FRONTEND, emitter

        odd = emitter(FRONTEND, CART, 443, 1)
        if "protocol" in key and "proto" not in key:
            del odd["Key"]["proto"]  # the Whisker name alone
        odd["Key"].update(key)
        return [emitter(FRONTEND, CART, 7070, 1), odd, {**odd, "start_time": odd["start_time"] + 15}]

    @pytest.mark.parametrize("value", VALUES)
    def test_calico(self, tmp_path, value):
        p = write_jsonl(tmp_path, [calico(1710496800, dest_port=81), calico(1710496800, proto=value),
                                   calico(1710496801, proto=value)])
        archive, flows, _ = agree(p, damaged=False)
        assert "ICMP6" not in set(archive["protocol"]) | set(flows["protocol"].astype(str))

    @pytest.mark.parametrize("value", VALUES)
    def test_goldmane(self, tmp_path, demo_snap, value):
        agree(write_jsonl(tmp_path, self._goldmane(proto=value)), demo_snap, damaged=False)

    @pytest.mark.parametrize(("key", "want"), [({"proto": None, "protocol": "udp"}, None),
                                               ({"protocol": "udp"}, "UDP"), ({"protocol": "6"}, "6")])
    def test_a_goldmane_proto_given_is_read_even_if_null(self, tmp_path, demo_snap, key, want):
        _, flows, _ = agree(write_jsonl(tmp_path, self._goldmane(**key)), demo_snap, damaged=False)
        assert [None if pd.isna(x) else x for x in flows["protocol"].tolist()[1:]] == [want, want]

    @pytest.mark.parametrize("fmt", ["calico", "goldmane"])
    @pytest.mark.parametrize(("value", "said"), [(True, "a boolean"), (6.0, "6.0"), (1e20, "1e+20"),
                                                 ({"p": 6}, "an object"), (["tcp"], "a list")])
    def test_a_protocol_that_is_no_name_or_number_is_malformed(self, tmp_path, demo_snap, fmt, value, said):
        """A lookup took true for 1 (ICMP) and 6.0 for TCP, and Python and DuckDB write 1e20 as
        text otherwise: such a record is malformed, as a port of the wrong type is."""
        lines = ([calico(1710496800, proto=value), calico(1710496800)] if fmt == "calico"
                 else self._goldmane(proto=value)[::-1])
        p = write_jsonl(tmp_path, lines)
        archive, _, _ = agree(p, demo_snap)
        bad = [line for kind, _, line in problems(archive) if kind == "malformed"]
        assert bad == ([1] if fmt == "calico" else [1, 2])
        # In JSON's words: "a bool" and "a dict" are Python's, and 6.0 is a number, yet no integer.
        assert f"proto is {said}, not a name or an integer" in archive.attrs["k8sviz"]["problems"][0]["message"]


@pytest.mark.parametrize("version", ["1.5.6", "1.4.0", "0.10.3"])
def test_an_older_duckdb_is_refused_with_the_command_that_upgrades_it(version):
    from k8sviz.flows import archive

    with pytest.raises(k8sviz.InputError, match=rf"needs DuckDB 2\.0 or later, and DuckDB {re.escape(version)} is "
                       r"installed: pip install -U 'duckdb>=2\.0'"):
        archive._check_duckdb(version)


@pytest.mark.parametrize("version", ["2.0.0", "2.0.1", "2.1.0-dev12", "10.0.0", "main"])
def test_duckdb_2_and_later_or_a_development_build_runs(version):
    from k8sviz.flows import archive

    archive._check_duckdb(version)


def test_the_installed_duckdb_is_one_the_archive_takes():
    import duckdb

    from k8sviz.flows import archive

    archive._check_duckdb(duckdb.__version__)  # pyproject's floor: duckdb>=2.0
