"""CSV text and the download link a page carries it in (k8sviz.viz.html)."""

from __future__ import annotations

import csv
import io
import json
import re

import pandas as pd
import pytest

from k8sviz.viz.html import MAX_CELL, csv_download, csv_text

from .conftest import HOSTILE, HOSTILE2


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_cells_as_tables_write_them_but_whole():
    long = "x" * (MAX_CELL + 50)
    df = pd.DataFrame({"a": [["TCP/80", "UDP/53"], 3.0, None, long], "b": [{"k": "v"}, "q\"uote", "new\nline", 1]})
    rows = _read(csv_text(df))
    assert rows == [["a", "b"], ["TCP/80, UDP/53", "k=v"], ["3", 'q"uote'], ["", "new\nline"], [long, "1"]]


def test_a_findings_evidence_reads_as_text_not_python_reprs():
    # was "peers=['kube-system/node-agent'], rules=[]" in the report and its CSV
    import numpy as np

    from k8sviz.viz.html import table_html

    evidence = {"src": "a/b", "peers": ["a/b", "c/d"], "rules": [], "counts": {"TCP": 2},
                "hops": [["TCP/53", "UDP/53"], ["TCP/443"]], "zones": {"pci"}, "ports": np.array([80, 443])}
    text = ("counts={TCP=2}, hops=[[TCP/53, UDP/53], [TCP/443]], peers=[a/b, c/d], ports=[80, 443], "
            "rules=[], src=a/b, zones=[pci]")
    assert _read(csv_text(pd.DataFrame({"evidence": [evidence]}))) == [["evidence"], [text]]
    # on the page an empty "rules" says none (it is evidence: no rule opens the connection)
    shown = text.replace("rules=[]", "rules=none")
    assert f"<td>{shown}</td>" in table_html(pd.DataFrame({"evidence": [evidence]}))


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\")", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx", "\nx",
                                  "  =1+1", "|calc", "\uff1d1+1", "\uff0b1", " \uff20x"])
def test_formula_cells_are_quoted(cell):
    rows = _read(csv_text(pd.DataFrame({cell: [cell, "ok"]})))
    assert rows == [["'" + cell], ["'" + cell], ["ok"]]


@pytest.mark.parametrize("cell", ["-5", "-0.25", "-1e-3", "+1", "-1+2", "-5 ", " -5"])
def test_a_number_is_no_formula(cell):
    """Only a cell that is a number and nothing else is left as it is (``-1+2`` would run)."""
    from k8sviz.viz.html import csv_cell

    assert csv_cell(cell) == (cell if cell in ("-5", "-0.25", "-1e-3") else "'" + cell)


def test_empty_frame():
    assert _read(csv_text(pd.DataFrame({"a": [], "b": []}))) == [["a", "b"]]


def test_download_carries_hostile_text_inert_and_whole():
    df = pd.DataFrame({"name": [HOSTILE, HOSTILE2, "a&b", "</SCRIPT >"], "n": [1, 2, 3, 4]})
    out = csv_download(df, element_id="t-csv", filename="t.csv", label="<b>all</b>")
    data = re.fullmatch(r'<script type="application/json" id="t-csv">(.*)</script><a [^>]*>(.*)</a>', out, re.S)
    assert data is not None
    body = data.group(1)
    # nothing in the element can close it or open markup; the text decodes back to the CSV
    assert not set("<>&") & set(body)
    assert json.loads(body) == csv_text(df)
    assert data.group(2) == "&lt;b&gt;all&lt;/b&gt;"
    assert 'download="t.csv"' in out and 'data-source="t-csv"' in out


def test_long_text_is_carried_compressed_inert_and_whole(monkeypatch):
    """From GZIP_FROM_CHARS characters on, the element holds the CSV gzip-compressed in base64
    (marked for the page's script), deterministic, and still nothing that could close it."""
    import base64
    import gzip

    from k8sviz.viz import html as html_mod

    df = pd.DataFrame({"name": [HOSTILE, HOSTILE2, "a&b", "</SCRIPT >"] * 20_000, "n": range(80_000)})
    text = csv_text(df)
    assert len(text) >= html_mod.GZIP_FROM_CHARS
    out = csv_download(df, element_id="t-csv", filename="t.csv", label="all")
    opening = '<script type="application/json" id="t-csv" data-encoding="gzip">'
    data = re.fullmatch(opening + r"(.*)</script><a [^>]*>all</a>", out, re.S)
    assert data is not None and not set("<>&") & set(data.group(1))
    packed = base64.b64decode(json.loads(data.group(1)), validate=True)
    assert gzip.decompress(packed).decode("utf-8") == text
    assert len(packed) * 10 < len(text)  # repeated names shrink
    assert csv_download(df, element_id="t-csv", filename="t.csv", label="all") == out  # no time stamp
    assert html_mod.embedded_csv(f"<p>{out}</p>", "t-csv") == text
    # just under the threshold: plain JSON text, read back the same way
    monkeypatch.setattr(html_mod, "GZIP_FROM_CHARS", len(text) + 1)
    plain = csv_download(df, element_id="t-csv", filename="t.csv", label="all")
    assert 'data-encoding' not in plain and html_mod.embedded_csv(plain, "t-csv") == text
    with pytest.raises(KeyError, match="other"):
        html_mod.embedded_csv(plain, "other")


@pytest.mark.parametrize(("element_id", "filename"), [("a b", "t.csv"), ('x"', "t.csv"), ("t", "../t.csv"),
                                                      ("t", 'a".csv'), ("", "t.csv"), ("t", "")])
def test_download_refuses_unsafe_ids_and_names(element_id, filename):
    with pytest.raises(ValueError, match="invalid"):
        csv_download(pd.DataFrame({"a": [1]}), element_id=element_id, filename=filename, label="x")


def test_the_head_is_whole_rows_of_the_text_within_the_cap():
    """csv_head writes the first rows that fit, each whole (line breaks inside cells too), and
    says how many: its text is a prefix of csv_text's, ending where a row does."""
    from k8sviz.viz import html as html_mod

    df = pd.DataFrame({"src": [f"ns/w{i}" for i in range(50)],
                       "ports": [["TCP/80", f"UDP/{i}"] if i % 3 else ["=1+1\nx"] for i in range(50)]})
    whole = csv_text(df)
    assert html_mod.csv_head(df) == (whole, 50)
    rows = _read(whole)
    for cap in (0, 5, len("src,ports\r\n"), 100, 357, len(whole) - 1, len(whole), 10**9):
        text, n = html_mod.csv_head(df, cap)
        assert len(text) <= cap and whole.startswith(text)
        assert _read(text) == (rows[: n + 1] if text else [])
        # one more row would not have fitted
        assert n == 50 or len(csv_text(df.iloc[: n + 1])) > cap


def test_the_head_reads_past_one_chunk_of_rows(monkeypatch):
    from k8sviz.viz import html as html_mod

    monkeypatch.setattr(html_mod, "_CSV_CHUNK", 7)
    shared = ["TCP/1-65535"]  # one object in many rows, as the engine shares its lists
    df = pd.DataFrame({"a": [f"r{i}" for i in range(30)], "p": [shared] * 30, "n": range(30)})
    lines = ["a,p,n"] + [f"r{i},TCP/1-65535,{i}" for i in range(30)]
    assert html_mod.csv_head(df) == ("".join(x + "\r\n" for x in lines), 30)
    text, n = html_mod.csv_head(df, len("".join(x + "\r\n" for x in lines[:10])))
    assert (text, n) == ("".join(x + "\r\n" for x in lines[:10]), 9)
