"""Damaged flow files (line endings, bytes that are no UTF-8, rows the CSV reader refuses, a cut
first line): every record is read, or counted as a problem with its file and line; never raised."""

from __future__ import annotations

import gzip
import json
import warnings

import pytest

import k8sviz
from k8sviz.cli import main

GOOD = "2024-03-15T10:00:00Z"
HEADER = "time,src_ip,dst_ip,dst_port,protocol,node"


def load(path, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = k8sviz.load_flows(path, **kw)
    return df, [str(w.message) for w in caught if issubclass(w.category, k8sviz.FlowWarning)]


def rows(n: int, first_port: int = 80) -> list[str]:
    return [f"{GOOD},10.0.0.1,10.0.0.2,{first_port + i},TCP,n1" for i in range(n)]


def problems(df) -> list[tuple[str, int | None]]:
    return [(p["kind"], p["line"]) for p in df.attrs["k8sviz"]["problems"]]


class TestCSVLineEndings:
    @pytest.mark.parametrize("end", ["\r", "\r\n", "\n"])
    def test_every_line_ending_reads_every_row(self, tmp_path, end):
        """Old Mac exports end lines in a bare CR; the CSV reader took the whole file for one line."""
        p = tmp_path / "f.csv"
        p.write_bytes(end.join([HEADER, *rows(3)]).encode() + end.encode())
        df, warns = load(p)
        assert df["dst_port"].tolist() == [80, 81, 82] and df["line"].tolist() == [2, 3, 4]
        assert not problems(df) and not warns

    def test_a_quoted_line_break_is_kept_in_the_value(self, tmp_path):
        p = tmp_path / "f.csv"
        p.write_bytes(f'{HEADER}\r{GOOD},10.0.0.1,10.0.0.2,80,TCP,"n\r1"\r{GOOD},10.0.0.1,10.0.0.2,81,TCP,n2\r'
                      .encode())
        df, _ = load(p)
        assert df["node"].tolist() == ["n\r1", "n2"] and df["line"].tolist() == [3, 4]

    def test_the_flows_command_reads_a_cr_file(self, tmp_path, capsys):
        p = tmp_path / "f.csv"
        p.write_bytes("\r".join([HEADER, *rows(2)]).encode())
        assert main(["flows", str(p), "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out)["summary"]["sources"]["csv"]["records"] == 2


class TestCSVRowsTheReaderRefuses:
    def test_a_header_the_reader_refuses_is_a_bad_header(self, tmp_path):
        p = tmp_path / "f.csv"
        p.write_text("time," + "x" * 200_000 + ",src_ip,dst_ip,dst_port\n" + "\n".join(rows(1)) + "\n")
        df, warns = load(p)
        assert len(df) == 0 and problems(df) == [("bad-header", 1)]
        assert "field larger than field limit" in df.attrs["k8sviz"]["problems"][0]["message"]
        assert any(f"{p}:1:" in w for w in warns)

    def test_a_row_the_reader_refuses_costs_only_itself(self, tmp_path):
        p = tmp_path / "f.csv"
        big = f"{GOOD},10.0.0.1,10.0.0.2,90,TCP," + "n" * 200_000
        p.write_text("\n".join([HEADER, *rows(2), big, *rows(2, 100)]) + "\n")
        df, warns = load(p)
        assert df["dst_port"].tolist() == [80, 81, 100, 101]
        assert problems(df) == [("malformed", 4)]
        src = df.attrs["k8sviz"]["sources"][0]
        assert (src["lines"], src["records"], src["malformed"]) == (5, 4, 1)
        assert any("skipped 1 malformed" in w and "line 4" in w for w in warns)


class TestCSVNotUTF8:
    def test_a_row_with_bytes_that_are_no_utf8_is_malformed(self, tmp_path):
        """A Latin-1 value would be stored as U+FFFD, a name that is in no snapshot."""
        p = tmp_path / "f.csv"
        data = "\n".join([HEADER, *rows(1)]).encode() + f"\n{GOOD},10.0.0.1,10.0.0.2,81,TCP,n".encode()
        p.write_bytes(data + b"\xe9\n" + rows(1, 82)[0].encode() + b"\n")
        df, warns = load(p)
        assert df["dst_port"].tolist() == [80, 82] and list(df["node"].cat.categories) == ["n1"]
        (prob,) = df.attrs["k8sviz"]["problems"]
        assert (prob["kind"], prob["file"], prob["line"]) == ("malformed", str(p), 3)
        assert "not UTF-8 (byte 0xe9)" in prob["message"]
        assert any("skipped 1 malformed" in w for w in warns)

    def test_a_header_with_bytes_that_are_no_utf8_names_them_printably(self, tmp_path, capsys):
        p = tmp_path / "f.csv.gz"
        p.write_bytes(gzip.compress(HEADER.encode() + b",n\xe9e\n" + rows(1)[0].encode() + b",x\n"))
        df, _ = load(p)
        assert len(df) == 1
        (prob,) = df.attrs["k8sviz"]["problems"]
        assert prob["kind"] == "ignored-columns" and "n\ufffde" in prob["message"]
        assert main(["flows", str(p)]) == 0  # the message prints (no lone surrogate on stdout)
        assert "n\ufffde" in capsys.readouterr().out


def test_a_cut_gzip_csv_names_the_line_it_stops_at(tmp_path):
    p = tmp_path / "f.csv.gz"
    z = gzip.compress(("\n".join([HEADER, *rows(3000)]) + "\n").encode())
    p.write_bytes(z[: len(z) * 2 // 3])
    df, warns = load(p)
    (prob,) = df.attrs["k8sviz"]["problems"]
    assert prob["kind"] == "truncated" and prob["line"] == len(df) + 2  # the header, then the rows read
    said = f"{p}: skipped 0 malformed, 1 truncated"
    assert 0 < len(df) < 3000 and any(said in w and f"line {prob['line']})" in w for w in warns)


def _hubble_lines(n: int = 5) -> list[str]:
    from tests.flows.test_bad_values import hubble

    return [json.dumps(hubble(f"2024-03-15T10:00:0{i}Z", port=80 + i)) for i in range(n)]


def _calico_lines(n: int = 5) -> list[str]:
    from tests.flows.test_bad_values import calico

    return [json.dumps(calico(1710496800 + i, dest_port=80 + i)) for i in range(n)]


class TestADamagedFirstLine:
    """A JSON-lines file whose first line is damaged: the lines below it are still whole records.

    A log rotated mid-record (``copytruncate``) or read with ``tail -c`` starts in the middle of a
    record; one corrupted byte can leave a first line that is not JSON.  Only that line is lost.
    """

    @pytest.mark.parametrize(("fmt", "make"), [("hubble", _hubble_lines), ("calico", _calico_lines)])
    @pytest.mark.parametrize("damage", [
        "cut",        # the tail of a record: not JSON, and no '{' to start with (was read as a CSV)
        "quote",      # a stray quote: the object reader lost every record after it
        "not-utf8",   # a byte that is no UTF-8
    ])
    @pytest.mark.parametrize("gz", [False, True])
    def test_only_the_first_line_is_lost(self, tmp_path, fmt, make, damage, gz):
        lines = make()
        first = lines[0]
        bad = {"cut": first[len(first) // 2:].encode(),
               "quote": first.replace('"', '""', 3).encode(),
               "not-utf8": first.encode().replace(b"10.0.0.1", b"10.0.\xff.1")}[damage]
        data = bad + b"\n" + "".join(f"{x}\n" for x in lines[1:]).encode()
        p = tmp_path / ("f.json.gz" if gz else "f.json")
        p.write_bytes(gzip.compress(data) if gz else data)
        df, warns = load(p)
        src = df.attrs["k8sviz"]["sources"][0]
        assert src["format"] == fmt
        assert df["line"].tolist() == [2, 3, 4, 5] and df["dst_port"].tolist() == [81, 82, 83, 84]
        assert problems(df) == [("malformed", 1)]
        assert any(f"{p}: skipped 1 malformed" in w and "(first at line 1)" in w for w in warns), warns

    def test_a_pretty_printed_document_is_still_read_as_one(self, tmp_path):
        """Lines of a pretty-printed search response are no records, even where one is an object."""
        from tests.flows.test_bad_values import calico

        hits = [json.dumps({"_source": calico(1710496800 + i, dest_port=80 + i)}) for i in range(3)]
        p = tmp_path / "f.json"
        p.write_text('{"hits": {"total": 3, "hits": [\n' + ",\n".join(hits) + "\n]}}\n")
        df, _ = load(p)
        assert df["dst_port"].tolist() == [80, 81, 82] and not problems(df)


class TestNothingToRead:
    """A file that gives no records says why: empty, blank, or a compressed stream cut before its
    first line.  Blank first bytes do not hide the records after them."""

    @pytest.mark.parametrize(("name", "data"), [
        ("empty.json", b""),
        ("blank.jsonl", b"\n\n  \r\n\t\n"),
        ("bom.json", b"\xef\xbb\xbf"),
        ("empty.json.gz", gzip.compress(b"")),
    ])
    def test_an_empty_file_is_said(self, tmp_path, capsys, name, data):
        p = tmp_path / name
        p.write_bytes(data)
        df, warns = load(p)
        assert len(df) == 0 and problems(df) == [("empty", None)]
        assert df.attrs["k8sviz"]["problems"][0]["file"] == str(p)
        assert any(f"e.g. {p}: the file holds no flow records (empty or blank)" in w for w in warns), warns
        assert main(["flows", str(p)]) == 0
        assert f"  empty: {p}: the file holds no flow records" in capsys.readouterr().out

    @pytest.mark.parametrize("fmt", ["auto", "hubble", "calico", "goldmane", "csv"])
    @pytest.mark.parametrize("name", ["empty.json", "empty.csv", "empty.csv.gz"])
    def test_an_empty_file_is_said_whatever_the_format(self, tmp_path, fmt, name):
        p = tmp_path / name
        p.write_bytes(gzip.compress(b"\xef\xbb\xbf\n") if name.endswith(".gz") else b"\xef\xbb\xbf\n")
        df, warns = load(p, format=fmt)
        assert len(df) == 0 and problems(df) == [("empty", None)]
        assert any(f"e.g. {p}: the file holds no flow records" in w for w in warns), warns

    def test_a_gzip_stream_cut_before_its_first_line_is_truncated(self, tmp_path):
        p = tmp_path / "f.json.gz"
        p.write_bytes(gzip.compress(("\n".join(_hubble_lines()) + "\n").encode())[:12])
        df, warns = load(p)
        assert len(df) == 0 and problems(df) == [("truncated", 1)]
        assert any(f"{p}: skipped 0 malformed, 1 truncated" in w for w in warns), warns

    @pytest.mark.parametrize("gz", [False, True])
    def test_records_after_a_long_blank_start_are_read(self, tmp_path, gz):
        data = b"\n" * 70_000 + ("\n".join(_hubble_lines()) + "\n").encode()
        p = tmp_path / ("f.json.gz" if gz else "f.json")
        p.write_bytes(gzip.compress(data) if gz else data)
        df, warns = load(p)
        assert df.attrs["k8sviz"]["sources"][0]["format"] == "hubble"
        assert df["line"].tolist() == list(range(70_001, 70_006)) and not problems(df) and not warns


@pytest.mark.parametrize("chunk_size", ["10", None, 2.5, 0, -1, True])
def test_a_chunk_size_that_is_no_row_count_is_an_input_error(chunk_size):
    with pytest.raises(k8sviz.InputError, match=r"chunk_size must be a positive whole number of rows, not "):
        k8sviz.load_flows(k8sviz.demo_path("flows"), chunk_size=chunk_size)


class TestItemsOfAListResponse:
    """Every item of a Whisker list response or a Calico search response is a record, a problem
    or a counted skip, as a line of a file is."""

    def test_whisker_items_that_hold_no_flow_are_counted(self, tmp_path):
        from tests.flows.test_goldmane import CART, FRONTEND, whisker

        items = [whisker(FRONTEND, CART, 80, "Allow"), {"note": "no flow"},
                 {"x": whisker(FRONTEND, CART, 81, "Deny")},
                 {"total": 1, "items": [whisker(FRONTEND, CART, 82, "Allow")]}]
        p = tmp_path / "w.json"
        p.write_text(json.dumps({"total": 4, "items": items}))
        df, _ = load(p)
        assert df["dst_port"].tolist() == [80, 82]
        assert df.attrs["k8sviz"]["sources"][0]["skipped"] == {"other": 2}

    def test_calico_hits_that_hold_no_flow_are_counted(self, tmp_path):
        from tests.flows.test_bad_values import calico

        hits = [{"_source": calico(1710496800)}, {"_source": {"note": 1}}, {"_id": "x"}]
        p = tmp_path / "c.json"
        p.write_text(json.dumps({"hits": {"total": 3, "hits": hits}}))
        df, _ = load(p)
        assert len(df) == 1 and df.attrs["k8sviz"]["sources"][0]["skipped"] == {"other": 2}


@pytest.mark.parametrize(("encoding", "name"), [("utf-16", "f.json"), ("utf-16-be", "f.json"),
                                                ("utf-32", "f.json"), ("utf-16", "f.csv")])
def test_utf16_text_is_named_not_read_as_a_bad_csv(tmp_path, encoding, name):
    """Windows PowerShell 5's `>` writes UTF-16 (`hubble observe -o json > flows.json`)."""
    text = "\n".join(_hubble_lines(2)) + "\n" if name.endswith(".json") else HEADER + "\n" + rows(1)[0] + "\n"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    p = tmp_path / name
    p.write_bytes(data)
    df, warns = load(p)
    assert len(df) == 0
    (prob,) = df.attrs["k8sviz"]["problems"]
    assert (prob["kind"], prob["line"]) == ("unreadable", 1)
    assert prob["message"].startswith(f"{encoding[:6].upper()} text, not UTF-8")
    assert any(f"e.g. {p}:1: {encoding[:6].upper()} text" in w for w in warns), warns


@pytest.mark.parametrize(("text", "cut"), [
    ('{"flow": {"source": ', True),              # one Hubble record, cut off
    ('[{"flow": {"source": {}}', True),           # an array cut before its end
    ('{"a": 1}\n', False),                       # whole, of no known kind
])
def test_a_file_with_no_whole_record_says_so_rather_than_name_another_kind(tmp_path, text, cut):
    p = tmp_path / "f.json"
    p.write_text(text)
    df, _ = load(p)
    assert len(df) == 0
    (prob,) = df.attrs["k8sviz"]["problems"]
    assert prob["kind"] == "unknown-format"
    said_cut = prob["message"].startswith("no whole JSON record in the first lines (cut off or damaged)")
    assert said_cut == cut, prob["message"]
    assert prob["message"].endswith("neither Hubble, Calico, Goldmane nor CSV flows")


def test_cluster_input_given_as_flows_says_where_it_goes(tmp_path, capsys):
    """``k8sviz flows dumps/`` (or ``--flows snap.json``) read the demo dump as flows of no known
    format, and said only that; the dump and the snapshot file are the cluster's input."""
    import shutil
    from pathlib import Path

    shutil.copy("data/demo/cluster/pods.json", tmp_path / "pods.json")
    k8sviz.load("data/demo/cluster").save(tmp_path / "snap.json")
    (tmp_path / "other.json").write_text('{"a": 1}\n')
    df, _ = load(tmp_path)
    said = {Path(p["file"]).name: p["message"] for p in df.attrs["k8sviz"]["problems"]}
    plain = "neither Hubble, Calico, Goldmane nor CSV flows"
    assert said == {
        "pods.json": f"{plain}; it is a Kubernetes object ('PodList'), cluster input (a PATH; --snapshot of "
                     "k8sviz flows), not flows",
        "snap.json": f"{plain}; it is a k8sviz snapshot file, cluster input (a PATH; --snapshot of k8sviz "
                     "flows), not flows",
        "other.json": plain,
    }
    assert main(["flows", str(tmp_path / "pods.json")]) == 0
    assert "it is a Kubernetes object ('PodList'), cluster input" in capsys.readouterr().out


class TestFilesJoinedWithCat:
    """``cat a.json b.json``: the second file's byte-order mark starts a line in the middle of the
    joined one.  It is dropped there as at the start of a file, whatever the framing."""

    BOM = b"\xef\xbb\xbf"

    @pytest.mark.parametrize("fmt", ["hubble", "calico"])
    @pytest.mark.parametrize("name", ["f.jsonl", "f.json", "f.sse"])
    @pytest.mark.parametrize("gz", [False, True])
    def test_a_byte_order_mark_inside_the_file_is_dropped(self, tmp_path, fmt, name, gz):
        make = _hubble_lines if fmt == "hubble" else _calico_lines
        lines = make(4)
        if name == "f.jsonl":
            parts = [f"{x}\n" for x in lines]
        elif name == "f.sse":
            parts = [f"data: {x}\n\n" for x in lines]
        else:
            parts = [json.dumps(json.loads(x), indent=2) + "\n" for x in lines]
        one, two = "".join(parts[:2]).encode(), "".join(parts[2:]).encode()
        data = self.BOM + one + self.BOM + two
        p = tmp_path / (name + ".gz" if gz else name)
        p.write_bytes(gzip.compress(data) if gz else data)
        df, warns = load(p)
        assert df.attrs["k8sviz"]["sources"][0]["format"] == fmt
        assert df["dst_port"].tolist() == [80, 81, 82, 83] and not problems(df) and not warns
        firsts = [1 + "".join(parts[:i]).count("\n") for i in range(4)]
        assert df["line"].tolist() == firsts


class TestCSVJoinedWithCat:
    @pytest.mark.parametrize("bom", ["", "\ufeff"])
    def test_the_second_header_is_named_as_such(self, tmp_path, bom):
        """``cat a.csv b.csv``: b's header line sits among a's rows; it is no record, and the
        problem says what it is rather than 'bad value'."""
        p = tmp_path / "joined.csv"
        lines = [HEADER, *rows(2), bom + HEADER.upper(), *rows(2, 90)]
        p.write_text("\n".join(lines) + "\n", encoding="utf-8")
        df, _ = load(p)
        assert df["dst_port"].tolist() == [80, 81, 90, 91]
        got = [(x["kind"], x["line"], x["message"]) for x in df.attrs["k8sviz"]["problems"]]
        assert got == [("malformed", 4, "the header again (files joined?): not a record")]


@pytest.mark.parametrize(
    ("cell", "said"),
    [
        ("abc", "dst_port 'abc' is not a whole number"),
        ("1_000", "dst_port '1_000' is not a whole number"),  # int() reads it as 1000
        ("\u0668\u0660", "dst_port '\u0668\u0660' is not a whole number"),  # Arabic-Indic 80: int() reads it
        ("8" * 5000, "dst_port '" + "8" * 40 + "'... (4,960 more characters) is too large"),  # int() refuses it
    ],
)
def test_a_number_cell_that_is_no_number_names_its_column(tmp_path, cell, said):
    p = tmp_path / "flows.csv"
    r = rows(2)
    r[0] = r[0].replace(",80,", f",{cell},")
    p.write_text("\n".join([HEADER, *r]) + "\n", encoding="utf-8")
    df, _ = load(p)
    assert df["dst_port"].tolist() == [81]
    got = [(x["kind"], x["line"], x["message"]) for x in df.attrs["k8sviz"]["problems"]]
    assert got == [("malformed", 2, f"bad value ({said})")]


def test_signed_and_padded_number_cells_are_read(tmp_path):
    p = tmp_path / "flows.csv"
    r = rows(3)
    r[0] = r[0].replace(",80,", ", 80 ,")
    r[1] = r[1].replace(",81,", ",+81,")
    p.write_text("\n".join([HEADER, *r]) + "\n", encoding="utf-8")
    df, _ = load(p)
    assert df["dst_port"].tolist() == [80, 81, 82] and not problems(df)
