"""Captured server-sent event streams: Whisker's ``GET /flows?watch=true`` saved by ``curl -N``."""

from __future__ import annotations

import gzip
import json
import zlib
import warnings

import pandas as pd
import pytest

import k8sviz

from .conftest import DATA, write_jsonl
from .test_goldmane import CART, FRONTEND, PUB, whisker

ITEMS = [
    whisker(FRONTEND, CART, 7070, "Allow"),
    whisker(FRONTEND, CART, 8080, "Deny", t="2025-11-20T10:00:15Z"),
    whisker(CART, PUB, 443, "Deny", "Src", t="2025-11-20T10:01:00Z"),
]


def event(obj) -> str:
    """One flow as Calico's stream writes it: ``data: <compact JSON>`` and a blank line."""
    return f"data: {json.dumps(obj, separators=(',', ':'))}\n\n"


def loaded(path, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = k8sviz.load_flows(path, **kw)
    return df, [str(w.message) for w in caught if issubclass(w.category, k8sviz.FlowWarning)]


def same_rows(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.drop(columns=["file", "line"]), b.drop(columns=["file", "line"]))


def test_a_captured_stream_gives_the_rows_of_the_same_items_as_lines(tmp_path, demo_snap):
    stream = tmp_path / "flows.sse"
    stream.write_text("".join(event(o) for o in ITEMS))
    df, warned = loaded(stream, snapshot=demo_snap)
    assert warned == []
    src = k8sviz.flow_report(df)["sources"][0]
    assert (src["format"], src["records"]) == ("goldmane", 3)
    same_rows(df, k8sviz.load_flows(write_jsonl(tmp_path, ITEMS, "w.jsonl"), snapshot=demo_snap))
    assert list(df["line"]) == [1, 3, 5]  # the line of each event's data, for the auditor to find it
    first, second = df.iloc[0], df.iloc[1]
    assert (first["src_workload"], first["dst_workload"], second["verdict"]) == ("frontend", "cartservice", "denied")


def test_the_event_stream_rules_of_the_standard(tmp_path, demo_snap):
    a, b = (json.dumps(o, indent=1).splitlines() for o in ITEMS[:2])
    text = (
        ": connected\r\n"                                # a comment
        "retry: 3000\r\n\r\n"
        "event: flow\r\nid: 1\r\n"
        + "".join(f"data: {line}\r\n" for line in a)     # one event over many data lines
        + "\r\n"
        + "".join(f"data:{line}\n" for line in b)        # no space after the colon, LF endings
        + "\n\n\n"
        + f"data: {json.dumps(ITEMS[2])}\n\n"
    )
    p = tmp_path / "capture.txt"
    p.write_text(text, newline="")
    df, warned = loaded(p, snapshot=demo_snap)
    assert warned == [] and len(df) == 3
    same_rows(df, k8sviz.load_flows(write_jsonl(tmp_path, ITEMS, "w.jsonl"), snapshot=demo_snap))


def test_a_capture_cut_mid_event_loses_only_that_event(tmp_path, demo_snap):
    text = "".join(event(o) for o in ITEMS)
    p = tmp_path / "flows.sse"
    p.write_text(text[: len(text) - 40])  # Ctrl-C in the middle of the last flow
    df, warned = loaded(p, snapshot=demo_snap)
    assert len(df) == 2
    (problem,) = k8sviz.flow_report(df)["problems"]
    assert (problem["kind"], problem["line"]) == ("truncated", 5)
    assert any("1 truncated" in w for w in warned)


def test_a_complete_last_event_without_its_blank_line_is_kept(tmp_path, demo_snap):
    p = tmp_path / "flows.sse"
    p.write_text("".join(event(o) for o in ITEMS).rstrip("\n"))
    df, warned = loaded(p, snapshot=demo_snap)
    assert len(df) == 3 and warned == []


def test_the_servers_error_line_and_foreign_lines_are_reported(tmp_path, demo_snap):
    text = event(ITEMS[0]) + "error: Internal Server Error\n\n" + "hello world\n" + event(ITEMS[1])
    p = tmp_path / "flows.sse"
    p.write_text(text)
    df, warned = loaded(p, snapshot=demo_snap)
    assert len(df) == 2
    problems = k8sviz.flow_report(df)["problems"]
    assert [(x["kind"], x["line"]) for x in problems] == [("stream-error", 3), ("malformed", 5)]
    assert "Internal Server Error" in problems[0]["message"] and "hello world" in problems[1]["message"]
    assert any("stream-error" in w and "Internal Server Error" in w for w in warned)
    assert any("1 malformed" in w for w in warned)


def test_a_gzipped_capture_in_a_directory_is_found(tmp_path, demo_snap):
    d = tmp_path / "captures"
    d.mkdir()
    with gzip.open(d / "whisker.sse.gz", "wt") as f:
        f.write("".join(event(o) for o in ITEMS))
    df = k8sviz.load_flows(d, snapshot=demo_snap)
    assert len(df) == 3 and set(df["source_format"].astype(str)) == {"goldmane"}


def test_any_format_may_come_as_a_stream(tmp_path, demo_snap):
    # The framing is independent of the format: Hubble lines relayed as events read the same.
    src = DATA / "hubble_wrapped.jsonl"
    p = tmp_path / "hubble.sse"
    p.write_text("".join(f"data: {line}\n\n" for line in src.read_text().splitlines() if line.strip()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        ours, theirs = k8sviz.load_flows(p, snapshot=demo_snap), k8sviz.load_flows(src, snapshot=demo_snap)
    assert len(ours) == len(theirs) > 0
    same_rows(ours, theirs)


def test_the_archive_reads_a_stream_with_load_flows_reader(tmp_path, demo_snap):
    """An event stream (refused by name before) goes through load_flows' reader: the archive
    gives the edges flow_edges gives, and the stream's problems."""
    pytest.importorskip("duckdb")
    from .test_compare import assert_same_edges

    p = tmp_path / "flows.sse"
    p.write_text("".join(event(o) for o in ITEMS) + "data: {not json\n\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        archive = k8sviz.aggregate_flow_archive(p, snapshot=demo_snap)
        flows = k8sviz.load_flows(p, snapshot=demo_snap)
    assert len(archive) > 0
    assert_same_edges(archive, k8sviz.flow_edges(flows))
    assert archive.attrs["k8sviz"]["problem_counts"] == flows.attrs["k8sviz"]["problem_counts"] != {}


@pytest.mark.parametrize("eol", ["\r", "\r\n", "\n"])
def test_every_line_ending_of_the_standard(tmp_path, demo_snap, eol):
    p = tmp_path / "flows.sse"
    p.write_bytes("".join(event(o) for o in ITEMS).replace("\n", eol).encode())
    df, warned = loaded(p, snapshot=demo_snap)
    assert len(df) == 3 and warned == []
    assert list(df["line"]) == [1, 3, 5]


def test_a_crlf_split_between_two_reads_is_one_line_ending():
    from k8sviz.flows._table import _split_lines

    chunks = [b"data: 1\r", b"\n\r\ndata: 2\r", b"\r"]
    assert list(_split_lines(chunks)) == [(1, b"data: 1"), (2, b""), (3, b"data: 2"), (4, b"")]


def test_a_byte_order_mark_and_what_may_come_before_the_first_flow(tmp_path, demo_snap):
    pings = ": ping\n" * 500  # keep-alive comments: more than a 200-line look-ahead would see
    text = "error: upstream unavailable\n\nid: 7\nfoo: an unknown field, ignored\n" + pings
    p = tmp_path / "flows.sse"
    p.write_bytes(b"\xef\xbb\xbf" + (text + "".join(event(o) for o in ITEMS)).encode())
    df, warned = loaded(p, snapshot=demo_snap)
    assert len(df) == 3 and set(df["source_format"].astype(str)) == {"goldmane"}
    problems = k8sviz.flow_report(df)["problems"]
    assert [(x["kind"], x["line"]) for x in problems] == [("stream-error", 1)]


def test_a_byte_order_mark_before_json_lines_or_an_array(tmp_path, demo_snap):
    lines = tmp_path / "w.jsonl"
    lines.write_bytes(b"\xef\xbb\xbf" + "".join(json.dumps(o) + "\n" for o in ITEMS).encode())
    array = tmp_path / "w.json"
    array.write_bytes(b"\xef\xbb\xbf" + json.dumps({"total": 3, "items": ITEMS}).encode())
    hubble = tmp_path / "h.jsonl"
    hubble.write_bytes(b"\xef\xbb\xbf" + (DATA / "hubble_wrapped.jsonl").read_bytes())
    for p in (lines, array):
        df, warned = loaded(p, snapshot=demo_snap)
        assert len(df) == 3 and warned == [], p
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        ours = k8sviz.load_flows(hubble, snapshot=demo_snap)
        theirs = k8sviz.load_flows(DATA / "hubble_wrapped.jsonl", snapshot=demo_snap)
    same_rows(ours, theirs)


def test_a_gzipped_capture_cut_short_keeps_every_event_before_the_cut(tmp_path, demo_snap):
    text = "".join(event(ITEMS[i % 3]) for i in range(3000)).encode()
    packed = gzip.compress(text)
    p = tmp_path / "cut.sse.gz"
    p.write_bytes(packed[: len(packed) * 2 // 3])
    whole = zlib.decompressobj(wbits=31).decompress(p.read_bytes())  # what can be recovered
    complete = whole.count(b"\n\n")
    df, warned = loaded(p, snapshot=demo_snap)
    assert complete > 1000 and len(df) == complete  # read1: nothing decompressed is dropped
    kinds = [x["kind"] for x in k8sviz.flow_report(df)["problems"]]
    assert kinds.count("truncated") >= 1 and any("truncated" in w for w in warned)


def test_a_long_unfinished_line_is_one_line():
    from k8sviz.flows._table import _split_lines

    chunks = [b"x" * 1000] * 500 + [b"\r", b"\ndata: 2"]
    assert [(n, len(line)) for n, line in _split_lines(chunks)] == [(1, 500_000), (2, 7)]


def test_a_byte_order_mark_before_a_blank_first_line_of_hubble_json(tmp_path, demo_snap):
    p = tmp_path / "h.jsonl"
    p.write_bytes(b"\xef\xbb\xbf\n" + (DATA / "hubble_wrapped.jsonl").read_bytes())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        ours = k8sviz.load_flows(p, snapshot=demo_snap)
        theirs = k8sviz.load_flows(DATA / "hubble_wrapped.jsonl", snapshot=demo_snap)
    assert [x["line"] - 1 for x in k8sviz.flow_report(ours)["problems"]] == [
        x["line"] for x in k8sviz.flow_report(theirs)["problems"]]  # no problem at line 1


def test_stray_bytes_between_json_objects_are_still_reported(tmp_path, demo_snap):
    body = json.dumps(ITEMS[0]) + ",\xbf\xbb\xef," + json.dumps(ITEMS[1])
    p = tmp_path / "w.json"
    p.write_bytes(b"[" + body.encode("latin-1") + b"]")
    df, warned = loaded(p, snapshot=demo_snap)
    assert len(df) == 2 and [x["kind"] for x in k8sviz.flow_report(df)["problems"]] == ["malformed"]


@pytest.mark.parametrize("name", ["flows.sse", "capture.txt"])
def test_a_long_keep_alive_preamble_is_still_read_as_a_stream(tmp_path, demo_snap, name):
    text = ": ping\n" * 20_000 + "".join(event(o) for o in ITEMS)  # 140 KB of comments first
    p = tmp_path / name
    p.write_text(text)
    # No event in the first 64 KiB: the comments say it is a stream, and its format comes from
    # the first events further on.
    df, warned = loaded(p, snapshot=demo_snap)
    assert len(df) == 3 and not warned
    assert k8sviz.flow_report(df)["sources"][0]["format"] == "goldmane"
    assert df["line"].min() == 20_001  # the line of the first event's data


def test_comments_alone_are_a_stream_other_lines_are_not(tmp_path):
    from k8sviz.flows import looks_like_sse

    assert looks_like_sse(b": ping\n: ping\n\n: ping")
    assert not looks_like_sse(b"")
    assert not looks_like_sse(b"\n\n")
    assert not looks_like_sse(b": ping\nhello, world\n")  # a line no stream has
    assert not looks_like_sse(b"event: x\n")  # a field alone (no comment, no data) says too little
