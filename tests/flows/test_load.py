"""load_flows on small realistic files: Hubble (both wrappers, gz), Calico (lines, array, pretty), CSV."""

from __future__ import annotations

import gzip
import json
import warnings

import pandas as pd
import pytest

import k8sviz
from k8sviz.flows import COLUMNS, CORE_COLUMNS

from .conftest import DATA, load


class TestHubble:
    def test_wrapped_lines_malformed_and_truncated(self, demo_snap):
        df, warns = load("hubble_wrapped.jsonl", snapshot=demo_snap)
        assert list(df.columns) == list(COLUMNS)
        assert len(df) == 5
        src = df.attrs["k8sviz"]["sources"][0]
        assert src["format"] == "hubble"
        assert (src["malformed"], src["truncated"]) == (1, 1)
        assert src["skipped"] == {"lost_events": 1, "agent_event": 1}
        problems = {(p["kind"], p["line"]) for p in df.attrs["k8sviz"]["problems"]}
        assert problems == {("malformed", 4), ("truncated", 10)}
        assert any("malformed" in w and "line 4" in w for w in warns)

    def test_a_line_cut_mid_record_is_said_so(self, tmp_path):
        """The parser's words named "line 1 column 720 (char 719)" of a record on line 3 of the
        file; a cut line says it ends mid-record, at its column."""
        good = json.dumps({"flow": {"time": "2024-03-15T10:00:00Z", "verdict": "FORWARDED",
                                    "IP": {"source": "10.0.0.1", "destination": "10.0.0.2"},
                                    "l4": {"TCP": {"source_port": 40000, "destination_port": 80}}}})
        p = tmp_path / "hubble.json"
        # line 2 cut mid-record (a log rotated mid-write), line 3 damaged, the last line cut too
        p.write_text(f"{good}\n{good[:50]}\n{good[:-1]}x}}\n{good[:60]}")
        df, _ = load_path(p)
        said = [(prob["kind"], prob["line"], prob["message"]) for prob in df.attrs["k8sviz"]["problems"]]
        cut = "not JSON: the record ends mid-way, at column {} (the line was cut, or the record broken)"
        # the damaged line: the parser's words (orjson's differ between its versions), with the column
        damaged = said[1][2]
        assert damaged.startswith("not JSON (unexpected character") and damaged.endswith(
            f" at column {len(good)})"), damaged
        assert said == [
            ("malformed", 2, cut.format(50)),
            ("malformed", 3, damaged),
            ("truncated", 4, cut.format(60)),
        ], said
        assert len(df) == 1

    def test_a_damaged_gzip_flow_log_is_read_up_to_the_damage_and_said(self, tmp_path):
        """A flow log damaged mid-stream gave hundreds of malformed lines, then its "unreadable"
        problem had no sample left (the first 200 are kept), and load_flows stopped on a
        StopIteration; a file named .gz that is none read "Not a gzipped file (b'{"')"."""
        import gzip

        from k8sviz.flows import _table

        good = json.dumps({"flow": {"time": "2024-03-15T10:00:00Z", "verdict": "FORWARDED",
                                    "IP": {"source": "10.0.0.1", "destination": "10.0.0.2"},
                                    "l4": {"TCP": {"source_port": 40000, "destination_port": 80}}}})
        bad = "\n".join(f"{good[:40]}" for _ in range(_table.PROBLEM_SAMPLES + 5))
        packed = bytearray(gzip.compress(f"{good}\n{bad}\n{good}\n".encode()))
        packed[-8] ^= 0xFF  # the CRC: read to the end, then refused
        p = tmp_path / "hubble.json.gz"
        p.write_bytes(bytes(packed))
        df, warns = load_path(p)
        counts = df.attrs["k8sviz"]["problem_counts"]
        assert counts == {"malformed": _table.PROBLEM_SAMPLES + 5, "unreadable": 1}, counts
        (unreadable,) = [q for q in df.attrs["k8sviz"]["problems"] if q["kind"] == "unreadable"]
        assert unreadable["message"].startswith("cannot read further: CRC check failed")
        assert any(w.startswith("1 unreadable problem, e.g. ") for w in warns), warns
        # a small one fails at its end in the first read: its compressed bytes were detected as
        # a CSV file without a header
        small = bytearray(gzip.compress(f"{good}\n{good}\n".encode()))
        small[-8] ^= 0xFF
        p.write_bytes(bytes(small))
        df, _ = load_path(p)
        assert len(df) == 2 and set(df["source_format"]) == {"hubble"}
        assert df.attrs["k8sviz"]["problem_counts"] == {"unreadable": 1}
        p.write_bytes(f"{good}\n".encode())
        df, warns = load_path(p)
        (problem,) = df.attrs["k8sviz"]["problems"]
        assert problem["message"] == ("cannot read further: not a gzip file, though named .gz (it does not "
                                      "start with gzip's bytes 1f 8b)")

    def test_lost_events_are_added_up_and_said(self, tmp_path, demo_snap):
        df, warns = load("hubble_wrapped.jsonl", snapshot=demo_snap)
        assert df.attrs["k8sviz"]["sources"][0]["lost_events"] == {
            "events": 12, "reports": 1, "first": "2026-11-20T10:00:02+00:00", "last": "2026-11-20T10:00:02+00:00",
            "by_source": {"HUBBLE_RING_BUFFER": 12},
        }
        assert any("Hubble lost 12 events at 2026-11-20T10:00:02+00:00" in w for w in warns)
        # protojson writes the uint64 as a string; a time without offset is UTC; an unreadable
        # count is still a report.
        p = tmp_path / "lost.jsonl"
        p.write_text(
            '{"lost_events": {"source": "HUBBLE_RING_BUFFER", "num_events_lost": "12000"}, "time": "2024-03-15T10:00:00Z"}\n'
            '{"lost_events": {"source": "OBSERVER_EVENTS_QUEUE", "num_events_lost": "3"}, "time": "2024-03-15T11:00:00"}\n'
            '{"lost_events": {"num_events_lost": [1]}}\n'
        )
        df, warns = load_path(p)
        lost = df.attrs["k8sviz"]["sources"][0]["lost_events"]
        assert (lost["events"], lost["reports"]) == (12003, 3)
        assert (lost["first"], lost["last"]) == ("2024-03-15T10:00:00+00:00", "2024-03-15T11:00:00+00:00")
        assert lost["by_source"] == {"HUBBLE_RING_BUFFER": 12000, "OBSERVER_EVENTS_QUEUE": 3, "unknown": 0}
        (said,) = [w for w in warns if "lost" in w]
        assert "Hubble lost 12,003 events between 2024-03-15T10:00:00+00:00 and 2024-03-15T11:00:00+00:00" in said
        assert "allowed-but-unused" in said

    def test_times_are_utc_and_ordered(self, demo_snap):
        df, _ = load("hubble_wrapped.jsonl", snapshot=demo_snap)
        assert str(df["time"].dt.tz) == "UTC"
        assert df["time"].is_monotonic_increasing
        # 11:00:01+01:00 is 10:00:01 UTC; nanoseconds are kept
        assert pd.Timestamp("2026-11-20T10:00:01Z") in set(df["time"])
        assert df["time"].iloc[0].nanosecond == 789

    def test_fields(self, demo_snap):
        df, _ = load("hubble_wrapped.jsonl", snapshot=demo_snap)
        first = df.iloc[0]
        assert first["src_workload"] == "loadgenerator" and first["dst_workload"] == "frontend"
        assert first["reporter"] == "src" and first["node"] == "gke-shop-pool-1-32c3bb81-jgp7"
        assert df.iloc[1]["reporter"] == "dst"
        drop = df[df["verdict"] == "denied"].iloc[0]
        assert drop["cni_verdict"] == "DROPPED" and drop["drop_reason"] == "POLICY_DENIED"
        ext = df[df["dst_type"] == "external"].iloc[0]
        assert ext["dst_address_space"] == "public" and ext["dst_port"] == 443
        # no pod name in the flow: mapped through the snapshot by IP
        assert ext["src_workload"] == "recommendationservice" and ext["src_pod"].startswith("recommendation")
        assert ext["policies"] == "shop/recommendation-egress-ml-api"
        assert set(df["source_format"]) == {"hubble"}

    def test_gz_bare_flows_without_snapshot(self):
        df, _ = load("hubble_bare.json.gz")
        assert len(df) == 5
        assert df.attrs["k8sviz"]["sources"][0]["skipped"] == {"lost_events": 1, "agent_event": 1}
        # without a snapshot: workload from Hubble's workloads[] or the pod name's shape
        assert set(df["src_workload"].dropna()) == {"loadgenerator"}
        assert set(df["dst_workload"].dropna()) == {"frontend", "cartservice"}
        assert df.loc[df["dst_ip"] == "35.190.0.1", "dst_address_space"].iloc[0] == "public"

    def test_truncated_gzip_is_reported(self, tmp_path):
        raw = (DATA / "hubble_bare.json.gz").read_bytes()
        cut = tmp_path / "cut.json.gz"
        cut.write_bytes(raw[: len(raw) - 40])
        df, _ = load_path(cut)
        kinds = {p["kind"] for p in df.attrs["k8sviz"]["problems"]}
        assert "truncated" in kinds
        assert 0 < len(df) <= 5

    def test_label_prefixes(self, tmp_path):
        flow = {
            "time": "2026-11-20T10:00:00Z",
            "verdict": "FORWARDED",
            "traffic_direction": "INGRESS",
            "IP": {"source": "10.128.0.6", "destination": "10.244.2.119"},
            "l4": {"UDP": {"source_port": 5353, "destination_port": 9090}},
            "source": {"identity": 6, "labels": ["reserved:remote-node"]},
            "destination": {
                "namespace": "monitoring",
                "pod_name": "prometheus-0",
                "labels": ["k8s:app=prometheus"],
            },
        }
        p = tmp_path / "f.json"
        p.write_text(json.dumps(flow) + "\n")
        df = k8sviz.load_flows(p, snapshot=k8sviz.demo())
        row = df.iloc[0]
        assert row["src_type"] == "node" and row["src_workload"] == "gke-shop-pool-1-32c3bb81-5nj2"
        assert row["dst_workload"] == "prometheus" and row["protocol"] == "UDP"


def load_path(path):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = k8sviz.load_flows(path)
    return df, [str(w.message) for w in caught]


class TestCalico:
    @pytest.mark.parametrize("name", ["calico_array.json", "calico_lines.json", "calico_pretty.json"])
    def test_shapes(self, name, demo_snap):
        df, _ = load(name, snapshot=demo_snap)
        assert set(df["source_format"]) == {"calico"}
        agg = df[(df["src_type"] == "workload") & (df["reporter"] == "src")].iloc[0]
        assert agg["src_workload"] == "frontend" and pd.isna(agg["src_pod"]) and pd.isna(agg["src_ip"])
        assert agg["dst_workload"] == "cartservice" and agg["num_flows"] == 4
        assert agg["bytes_out"] == 5400 and agg["policies"] == "shop/frontend-egress"
        assert agg["policy_trace"] == "0|default|shop/knp.default.frontend-egress|allow|2"
        assert agg["start_time"] == pd.Timestamp("2024-03-15T10:00:00Z") == agg["time"]
        assert agg["end_time"] == pd.Timestamp("2024-03-15T10:05:00Z")
        denied = df[df["verdict"] == "denied"].iloc[0]
        assert denied["src_pod"] == "loadgenerator-45pd8wqjr9-wxgxt" and denied["src_ip"] == "10.244.2.203"
        assert df.attrs["k8sviz"]["unmapped"] == {}

    def test_net_types_and_es_wrapper(self, demo_snap):
        df, _ = load("calico_array.json", snapshot=demo_snap)
        pub = df[df["dst_type"] == "external"].iloc[0]
        assert pub["dst_address_space"] == "public" and pd.isna(pub["dst_ip"])
        pvt = df[df["src_type"] == "external"].iloc[0]
        assert pvt["src_address_space"] == "private" and pvt["dst_pod"] == "card-vault-0"
        assert pvt["policies"] == "staged:pci/default.card-vault-lockdown"
        dns = df[df["protocol"] == "UDP"].iloc[0]  # {"_source": ...}, proto 17
        assert dns["dst_workload"] == "coredns" and dns["dst_namespace"] == "kube-system"

    def test_malformed_and_truncated_lines(self, demo_snap):
        df, warns = load("calico_lines.json", snapshot=demo_snap)
        src = df.attrs["k8sviz"]["sources"][0]
        assert (src["records"], src["malformed"], src["truncated"]) == (6, 1, 1)
        assert warns

    def test_truncated_array(self, demo_snap):
        df, warns = load("calico_truncated_array.json", snapshot=demo_snap)
        assert len(df) == 5
        assert df.attrs["k8sviz"]["sources"][0]["truncated"] == 1
        assert any("truncated" in w for w in warns)

    def test_host_endpoint_is_its_node(self, tmp_path, demo_snap):
        # felix writes a host endpoint's hostname as its aggregated name, often with no IP.
        doc = {"start_time": 1710496800, "end_time": 1710497100, "source_ip": None, "source_name": "-",
               "source_name_aggr": "gke-shop-pool-1-32c3bb81-6swf", "source_namespace": "-",
               "source_type": "hep", "dest_ip": None, "dest_name": "-", "dest_name_aggr": "coredns-jmsh4dhh6v-*",
               "dest_namespace": "kube-system", "dest_port": 53, "dest_type": "wep", "proto": "udp",
               "action": "allow", "reporter": "dst", "num_flows": 5}
        other = {**doc, "source_name_aggr": "node-9", "dest_port": 54}
        p = tmp_path / "hep.json"
        p.write_text(json.dumps(doc) + "\n" + json.dumps(other) + "\n")
        with pytest.warns(k8sviz.FlowWarning, match="1 node-not-in-snapshot"):
            df = k8sviz.load_flows(p, snapshot=demo_snap)
        assert list(df["src_type"]) == ["node", "node"]
        assert list(df["src_workload"]) == ["gke-shop-pool-1-32c3bb81-6swf", "node-9"]
        e = k8sviz.flow_edges(df)
        assert set(e["src"]) == {"node/gke-shop-pool-1-32c3bb81-6swf", "node/node-9"}

    def test_aggregate_without_snapshot(self):
        df, _ = load("calico_array.json")
        assert set(df.loc[df["src_type"] == "workload", "src_workload"]) == {
            "frontend",
            "recommendationservice",
        }


class TestCSV:
    def test_rows_and_problems(self, demo_snap):
        df, warns = load("flows.csv", snapshot=demo_snap)
        assert len(df) == 4
        assert set(df["source_format"]) == {"csv"}
        src = df.attrs["k8sviz"]["sources"][0]
        assert (src["records"], src["malformed"], src["truncated"], src["bad_time"]) == (4, 1, 1, 1)
        kinds = df.attrs["k8sviz"]["problem_counts"]
        assert kinds["ignored-columns"] == 1
        unmapped = df.attrs["k8sviz"]["unmapped"]["private-ip-not-in-snapshot"]
        assert unmapped["samples"][0]["endpoint"] == "192.168.5.5" and unmapped["samples"][0]["line"] == 7
        assert any("unmapped" in w for w in warns)

    def test_mapping_and_times(self, demo_snap):
        df, _ = load("flows.csv", snapshot=demo_snap)
        first = df.iloc[0]
        assert first["src_workload"] == "loadgenerator" and first["dst_workload"] == "cartservice"
        assert (df["time"].iloc[:3] == pd.Timestamp("2024-03-15T10:00:00Z")).all()  # Z, +02:00, epoch
        svc = df[df["dst_type"] == "service"].iloc[0]
        assert svc["dst_service"] == "kube-system/kube-dns" and svc["protocol"] == "UDP"
        assert df.loc[df["verdict"] == "denied", "src_ip"].iloc[0] == "192.168.5.5"

    def test_a_quote_left_open_costs_every_line_it_swallows_said_where_it_opened(self, tmp_path):
        # Found by fuzzing the CLI: the stray quote on line 3 made lines 3-6 one row, reported
        # as "1 truncated" at line 6: three records lost without a word, the line misnamed.
        p = tmp_path / "x.csv"
        rows = [f"2024-03-15T10:00:0{i}Z,10.0.0.1,10.0.0.2,80" for i in range(6)]
        rows[1] = '2024-03-15T10:00:01Z,10.0.0.1,"10.0.0.2,80'
        p.write_text("time,src_ip,dst_ip,dst_port\n" + "\n".join(rows[:5]) + "\n")
        df, _ = load_path(p)
        assert len(df) == 1
        src = df.attrs["k8sviz"]["sources"][0]
        assert (src["records"], src["malformed"], src["truncated"], src["lines"]) == (1, 4, 0, 5)
        assert df.attrs["k8sviz"]["problems"] == [{
            "kind": "malformed", "file": str(p), "line": 3,
            "message": "a quote opened on this line is not closed before line 6: lines 3-6 are one row, "
                       "3 fields, the header has 4; all 4 skipped"}]
        # closed on line 5, the row has the header's four fields by chance: the record inside is
        # seen, its lines counted, and the lines after it read
        p.write_text("time,src_ip,dst_ip,dst_port\n" + "\n".join([*rows[:3], 'x",y', *rows[4:]]) + "\n")
        df, _ = load_path(p)
        assert list(df["line"]) == [2, 6, 7]
        assert df.attrs["k8sviz"]["problem_counts"] == {"malformed": 3}
        assert df.attrs["k8sviz"]["problems"][0]["message"] == (
            "a quote opened on this line is not closed before line 5: lines 3-5 are one row, its values hold "
            "1 line with a record's 4 fields; all 3 skipped")
        # opened in a column k8sviz ignores and run to the end of the file: the row reads, with the
        # records after it in a value; found by fuzzing the CLI, they were lost with no problem
        clean = [f"2024-03-15T10:00:0{i}Z,10.0.0.1,10.0.0.2,80" for i in range(6)]
        p.write_text(f"time,src_ip,dst_ip,dst_port,extra\n{clean[0]},x\n{clean[1]},\"\n"
                     + "".join(f"{r},x\n" for r in clean[2:]))
        df, _ = load_path(p)
        assert list(df["line"]) == [2]
        assert df.attrs["k8sviz"]["problem_counts"] == {"ignored-columns": 1, "malformed": 5}
        assert df.attrs["k8sviz"]["problems"][1]["message"] == (
            "a quote opened on this line is not closed before line 7: lines 3-7 are one row, its values hold "
            "4 lines with a record's 5 fields; all 5 skipped")
        # never closed, over a last line cut short (no record's commas): counted too, where that
        # line was a 'truncated' record without the quote and nothing with it
        p.write_text(f"time,src_ip,dst_ip,dst_port,extra\n{clean[0]},x\n{clean[1]},\"\n"
                     "2024-03-15T10:00:07Z,10.0")
        df, _ = load_path(p)
        assert list(df["line"]) == [2]
        assert df.attrs["k8sviz"]["problems"][1] == {
            "kind": "malformed", "file": str(p), "line": 3,
            "message": "a quote opened on this line is not closed before line 4: lines 3-4 are one row, "
                       "and the quote is never closed (a stray quote, or the file is cut); all 2 skipped"}
        # a quoted line break closed on the last line is a value, as anywhere
        p.write_text(f"time,src_ip,dst_ip,dst_port,node\n{clean[0]},x\n{clean[1]},\"n\n1\"\n")
        df, _ = load_path(p)
        assert df["node"].tolist() == ["x", "n\n1"] and not df.attrs["k8sviz"]["problems"]

    def test_bad_header(self, tmp_path):
        p = tmp_path / "x.csv"
        p.write_text("when,who\n1,2\n")
        df, _ = load_path(p)
        assert len(df) == 0 and list(df.columns) == list(COLUMNS)
        assert df.attrs["k8sviz"]["problem_counts"] == {"bad-header": 1}

    @pytest.mark.parametrize(("header", "kind", "said"), [
        # a mistyped required column is named with the one it likely is
        ("time,src_ip,dst_ip,dst_prot", "bad-header",
         "header lacks dst_port (is column dst_prot meant for dst_port?); see k8sviz.flows.csv"),
        ("tme,src_pd,dst_ip", "bad-header",
         "header lacks time and dst_port and a src_ip, src_pod or src_workload column "
         "(is column tme meant for time? is column src_pd meant for src_pod?); see k8sviz.flows.csv"),
        # the end without a column is said, not "an src_/dst_ ip, pod or workload column"
        ("time,source,dst_ip,dst_port", "bad-header",
         "header lacks a src_ip, src_pod or src_workload column; see k8sviz.flows.csv"),
        # an optional column mistyped is read as unused, and its values (verdicts) lost
        ("time,src_ip,dst_ip,dst_port,verdcit,colour", "ignored-columns",
         "columns not used: verdcit (did you mean verdict?), colour"),
    ])
    def test_a_mistyped_column_is_named_with_the_one_it_likely_is(self, tmp_path, header, kind, said):
        p = tmp_path / "x.csv"
        p.write_text(f"{header}\n2024-03-15T10:00:00Z,10.0.0.1,10.0.0.2,80,deny,red\n")
        df, _ = load_path(p)
        (problem,) = df.attrs["k8sviz"]["problems"]
        assert (problem["kind"], problem["line"], problem["message"]) == (kind, 1, said)


def test_several_files_one_schema(demo_snap):
    df = k8sviz.load_flows(DATA / "calico_array.json", DATA / "hubble_bare.json.gz", snapshot=demo_snap)
    assert set(df["source_format"]) == {"calico", "hubble"}
    assert CORE_COLUMNS[:3] == ["time", "src_namespace", "src_pod"]
    assert df["time"].is_monotonic_increasing
    assert set(df["verdict"]) <= {"allowed", "denied", "unknown"}


def test_explicit_format_and_errors(tmp_path):
    with pytest.raises(k8sviz.InputError):
        k8sviz.load_flows()
    with pytest.raises(k8sviz.InputError):
        k8sviz.load_flows(tmp_path / "missing.json")
    with pytest.raises(k8sviz.InputError):
        k8sviz.load_flows(DATA / "flows.csv", format="netflow")
    df = k8sviz.load_flows(DATA / "hubble_bare.json.gz", format="hubble")
    assert len(df) == 5


def test_chunks_give_the_same_table(demo_snap):
    a = k8sviz.load_flows(DATA / "hubble_bare.json.gz", DATA / "calico_array.json", snapshot=demo_snap)
    b = k8sviz.load_flows(
        DATA / "hubble_bare.json.gz", DATA / "calico_array.json", snapshot=demo_snap, chunk_size=2
    )
    pd.testing.assert_frame_equal(a.astype(str), b.astype(str))


def _quietly(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fixtures' malformed and truncated lines, said elsewhere
        return fn(*args, **kwargs)


FIXTURES = sorted(p for p in DATA.iterdir() if p.is_file())


@pytest.mark.parametrize("paths", [[k8sviz.demo_path("flows")], FIXTURES], ids=["demo", "fixtures"])
def test_small_chunk_sizes_give_the_same_table(demo_snap, paths):
    # chunk_size=1 converted each record on its own: 45 s for the demo's 15,493 records
    whole = _quietly(k8sviz.load_flows, *paths, snapshot=demo_snap)
    assert len(whole) > 20  # several chunks of 7
    for chunk_size in (1, 7):
        chunked = _quietly(k8sviz.load_flows, *paths, snapshot=demo_snap, chunk_size=chunk_size)
        pd.testing.assert_frame_equal(chunked, whole)
        assert chunked.attrs == whole.attrs


def test_tables_converted_a_few_rows_at_a_time_are_the_same(demo_snap):
    # load_flows converts at least LEAST_CHUNK rows at a time; the conversion itself must not
    # depend on where a chunk ends (categories, interned endpoints, bad times across chunks)
    from k8sviz.flows import _read_all
    from k8sviz.flows._table import ChunkBuilder, Report
    from k8sviz.flows.mapping import Mapper

    def frame(chunk: int, least: int) -> pd.DataFrame:
        report = Report()
        builder = ChunkBuilder(Mapper(demo_snap), report, chunk, least=least)
        _quietly(_read_all, FIXTURES, "auto", report, builder)
        return builder.frame()

    whole = frame(100_000, 1)
    assert len(whole) > 20  # several chunks of 7
    for chunk in (1, 7):
        pd.testing.assert_frame_equal(frame(chunk, 1), whole)


def test_attrs_survive_parquet(tmp_path, demo_snap):
    df = k8sviz.load_flows(DATA / "hubble_bare.json.gz", snapshot=demo_snap)
    df.to_parquet(tmp_path / "f.parquet")


def test_gzip_detection_by_content(tmp_path):
    p = tmp_path / "flows.log.gz"
    with gzip.open(p, "wt") as fh:
        fh.write((DATA / "calico_lines.json").read_text().splitlines()[0] + "\n")
    assert k8sviz.load_flows(p).attrs["k8sviz"]["sources"][0]["format"] == "calico"


def test_fast_hubble_path_equals_generic_parser(demo_snap, monkeypatch):
    import k8sviz.flows as F

    paths = [
        DATA / "hubble_wrapped.jsonl",
        DATA / "hubble_bare.json.gz",
        k8sviz.demo_path("flows", "hubble.json.gz"),
    ]
    fast = k8sviz.load_flows(*paths, snapshot=demo_snap)
    original = F._read_all
    monkeypatch.setattr(F, "_read_all", lambda *a, **k: original(*a, fast=False))
    slow = k8sviz.load_flows(*paths, snapshot=demo_snap)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast.attrs == slow.attrs


def test_namespace_from_k8s_label(tmp_path):
    flow = {
        "time": "2026-11-20T10:00:00Z", "verdict": "FORWARDED",
        "IP": {"source": "10.9.9.9", "destination": "93.184.216.34"},
        "l4": {"TCP": {"source_port": 40000, "destination_port": 443}},
        "source": {"pod_name": "web-7d9f8b6c4-x2kqp", "labels": ["k8s:app=web", "k8s:io.kubernetes.pod.namespace=shop"]},
        "destination": {"identity": 2, "labels": ["reserved:world"]},
    }
    p = tmp_path / "f.json"
    p.write_text(json.dumps(flow) + "\n")
    row = k8sviz.load_flows(p).iloc[0]
    assert (row["src_namespace"], row["src_workload"]) == ("shop", "web")
    assert (row["dst_type"], row["dst_address_space"]) == ("external", "public")


def test_a_csv_workload_the_snapshot_lacks_is_reported_unmapped(tmp_path, demo_snap):
    csv = tmp_path / "flows.csv"
    csv.write_text("time,src_namespace,src_workload,dst_namespace,dst_workload,dst_port,protocol,verdict\n"
                   "2026-01-01T00:00:00Z,shop,frontnd,pci,card-vault,5432,TCP,allowed\n"
                   "2026-01-01T00:00:01Z,shop,frontend,pci,card-vault,5432,TCP,allowed\n")
    with pytest.warns(k8sviz.flows.FlowWarning, match="workload-not-in-snapshot"):
        flows = k8sviz.load_flows(csv, snapshot=demo_snap)
    assert len(flows) == 2  # kept, and said
    (sample,) = k8sviz.flow_report(flows)["unmapped"]["workload-not-in-snapshot"]["samples"]
    assert sample["endpoint"] == "shop/frontnd" and sample["line"] == 2


def test_load_flows_docstring_example_holds():
    import doctest

    import k8sviz.flows

    # Rows are ordered by time, so unique() follows whichever format logged first; the example
    # must show what a user actually gets.
    finder = doctest.DocTestFinder()
    (test,) = finder.find(k8sviz.flows.load_flows, "load_flows", globs={"k8sviz": k8sviz})
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    result = runner.run(test)
    assert result.attempted == 2
    assert result.failed == 0


def test_a_flow_file_given_twice_is_read_once(demo_snap):
    one, _ = load("hubble_wrapped.jsonl", snapshot=demo_snap)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        twice = k8sviz.load_flows(DATA / "hubble_wrapped.jsonl", DATA, snapshot=demo_snap)
    mine = twice[twice["file"] == str(DATA / "hubble_wrapped.jsonl")]
    assert len(mine) == len(one)  # not every record twice
    assert [s["file"] for s in twice.attrs["k8sviz"]["sources"]].count(str(DATA / "hubble_wrapped.jsonl")) == 1


def test_load_flows_of_a_list_names_the_argument():
    # a list given as one argument was a TypeError from deep inside pathlib
    with pytest.raises(k8sviz.InputError, match=r"^load_flows: a path must be .* got list \(give several paths"):
        k8sviz.load_flows([str(DATA)])
