"""Damaged objects in pretty-printed and JSON-array flow files: a stray quote or a lost brace costs
the damaged record (named by its lines), not every record after it."""

from __future__ import annotations

import json
import re

import pytest

from k8sviz.flows import _table

from .test_bad_values import calico, hubble
from .test_hostile_files import load, problems

PORTS = [80, 81, 82, 83, 84]


def _records(fmt: str) -> list[dict]:
    if fmt == "hubble":
        return [hubble(f"2024-03-15T10:00:0{i}Z", port=p) for i, p in enumerate(PORTS)]
    return [calico(1710496800 + i, dest_port=p) for i, p in enumerate(PORTS)]


def _text(records: list[dict], layout: str) -> str:
    if layout == "pretty":  # concatenated pretty-printed objects (jq . , kubectl-style dumps)
        return "".join(json.dumps(r, indent=2) + "\n" for r in records)
    if layout == "array":
        return json.dumps(records, indent=2) + "\n"
    if layout == "array-crlf":
        return (json.dumps(records, indent=4) + "\n").replace("\n", "\r\n")
    if layout == "js-array":  # '}, {' joins the objects: JavaScript's habit
        return "[" + "}, {".join(json.dumps(r, indent=2)[1:-1] for r in records).join("{}") + "]\n"
    return json.dumps(records)  # one line


def _stray_quote(text: str) -> str:
    """A stray quote in the second record (port 81): a value's string is never closed."""
    at = re.search(r'"(?:dest|destination)_port": 81\b', text).start()
    return text[:at] + '"' + text[at:]


@pytest.mark.parametrize("fmt", ["hubble", "calico"])  # the fused Hubble reader and the general one
@pytest.mark.parametrize("layout", ["pretty", "array", "array-crlf", "js-array"])
def test_a_stray_quote_costs_its_record_only(tmp_path, fmt, layout):
    records = _records(fmt)
    text = _text(records, layout)
    p = tmp_path / "f.json"
    p.write_bytes(_stray_quote(text).encode())
    df, warns = load(p)
    assert df.attrs["k8sviz"]["sources"][0]["format"] == fmt
    assert sorted(df["dst_port"].tolist()) == [80, 82, 83, 84]
    # Read in a clean copy, the records start at the same lines.
    clean = tmp_path / "clean.json"
    clean.write_bytes(text.encode())
    ok, _ = load(clean)
    kept = [n for n, port in zip(ok["line"], ok["dst_port"], strict=True) if port != 81]
    assert df["line"].tolist() == kept
    ((kind, line),) = problems(df)
    second = ok["line"].iloc[1]
    assert (kind, line) == ("malformed", second)
    message = df.attrs["k8sviz"]["problems"][0]["message"]
    last = ok["line"].iloc[2] - (0 if layout == "js-array" else 1)  # js: '}, {' ends one, starts the next
    assert f"lines {second}-{last} skipped, at least one record lost" in message, message
    assert "a string is not closed on line" in message
    assert any(f"{p}: skipped 1 malformed" in w and f"(first at line {second})" in w for w in warns), warns


@pytest.mark.parametrize("fmt", ["hubble", "calico"])
def test_a_stray_quote_in_a_one_line_array(tmp_path, fmt):
    """Objects joined on one line have no line to start again at: the next record of the same
    shape (``}, {"flow":``) is where reading goes on."""
    p = tmp_path / "f.json"
    p.write_bytes(_stray_quote(_text(_records(fmt), "one-line")).encode())
    df, _ = load(p)
    assert df["dst_port"].tolist() == [80, 82, 83, 84]
    ((kind, line),) = problems(df)
    assert (kind, line) == ("malformed", 1)
    assert "at least one record lost" in df.attrs["k8sviz"]["problems"][0]["message"]


@pytest.mark.parametrize("fmt", ["hubble", "calico"])
@pytest.mark.parametrize("layout", ["pretty", "array"])
def test_a_record_that_lost_its_end(tmp_path, fmt, layout):
    """A record cut mid-write (a log rotated, a copy interrupted) with the next one written after
    it: no string is left open, but a top-level object starts before the cut one closed."""
    text = _text(_records(fmt), layout)
    at = re.search(r'"(?:dest|destination)_port": 81,', text).end()
    following = text.rfind("\n  {" if layout == "array" else "\n{", 0, text.index('_port": 82'))
    cut = text[:at] + text[following:]
    p = tmp_path / "f.json"
    p.write_bytes(cut.encode())
    df, _ = load(p)
    assert sorted(df["dst_port"].tolist()) == [80, 82, 83, 84]
    ((kind, _line),) = problems(df)
    message = df.attrs["k8sviz"]["problems"][0]["message"]
    assert kind == "malformed" and "before it closed" in message and "at least one record lost" in message


@pytest.mark.parametrize("block", [7, 64, 1 << 20])
@pytest.mark.parametrize("layout", ["pretty", "array", "array-crlf", "js-array", "one-line"])
def test_block_boundaries_change_nothing(tmp_path, monkeypatch, block, layout):
    """The file is read in blocks: a damaged record is found, and a whole one read, wherever the
    blocks end."""
    monkeypatch.setattr(_table, "_BLOCK", block)
    text = _text(_records("hubble"), layout)
    p = tmp_path / "ok.json"
    p.write_bytes(text.encode())
    df, warns = load(p)
    assert df["dst_port"].tolist() == PORTS and not problems(df) and not warns
    p = tmp_path / "bad.json"
    p.write_bytes(_stray_quote(text).encode())
    df, _ = load(p)
    assert df["dst_port"].tolist() == [80, 82, 83, 84] and [k for k, _ in problems(df)] == ["malformed"]


def test_a_pretty_document_with_values_at_the_left_margin_is_not_cut(tmp_path, monkeypatch):
    """Odd but valid layouts (a nested object starting a line at the record's own indentation)
    are no damaged records."""
    monkeypatch.setattr(_table, "_BLOCK", 16)
    flows = [{"time": f"2024-03-15T10:00:0{i}", "verdict": "FORWARDED",
              "IP": {"source": "10.0.0.1", "destination": "10.0.0.2"}, "l4": {"TCP": {"destination_port": p}}}
             for i, p in enumerate(PORTS)]
    text = "".join('{"flow":\n' + json.dumps(f) + "\n}\n" for f in flows)
    p = tmp_path / "f.json"
    p.write_text(text)
    df, _ = load(p)
    assert df["dst_port"].tolist() == PORTS and not [k for k, _ in problems(df) if k == "malformed"]


@pytest.mark.parametrize("fmt", ["hubble", "calico"])
@pytest.mark.parametrize("end", ["\r", "\r\n", "\n"])
@pytest.mark.parametrize("block", [5, 1 << 20])
def test_problems_name_the_line_whatever_the_line_ends(tmp_path, monkeypatch, fmt, end, block):
    """JSON lines ending in a lone CR (old Mac exports) are read as a stream of objects; their
    lines were all line 1, and a cut record took every record after it."""
    monkeypatch.setattr(_table, "_BLOCK", block)
    lines = [json.dumps(r) for r in _records(fmt)]
    lines[2] = lines[2][:40]  # cut mid-write, the next record written after it
    p = tmp_path / "f.json"
    p.write_bytes((end.join(lines) + end).encode())
    df, _ = load(p)
    assert df["dst_port"].tolist() == [80, 81, 83, 84]
    assert df["line"].tolist() == [1, 2, 4, 5]
    assert problems(df) == [("malformed", 3)]


@pytest.mark.parametrize("block", [5, 1 << 20])
def test_a_stray_quote_in_a_pretty_printed_file_with_lone_cr_line_ends(tmp_path, monkeypatch, block):
    monkeypatch.setattr(_table, "_BLOCK", block)
    text = _text(_records("hubble"), "pretty")
    p = tmp_path / "f.json"
    p.write_bytes(_stray_quote(text).replace("\n", "\r").encode())
    df, _ = load(p)
    size = json.dumps(_records("hubble")[0], indent=2).count("\n") + 1  # lines per record
    assert df["line"].tolist() == [1, 2 * size + 1, 3 * size + 1, 4 * size + 1]
    ((kind, line),) = problems(df)
    assert (kind, line) == ("malformed", size + 1)
    assert f"lines {size + 1}-{2 * size} skipped" in df.attrs["k8sviz"]["problems"][0]["message"]
