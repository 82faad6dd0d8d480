"""A key given twice in one object of a flow record (two "verdict"s: a tampered or mangled
record) makes the record ambiguous: it is a malformed problem naming the file, line and key,
as a CSV column given twice is, never read last-wins."""

from __future__ import annotations

import json

import orjson
import pytest

from k8sviz.flows import _table
from k8sviz.flows._table import repeated_key

from .test_bad_values import calico, hubble
from .test_hostile_files import load, problems


def _hubble_lines(n: int = 5) -> list[str]:
    return [json.dumps(hubble(f"2024-03-15T10:00:0{i}Z", port=80 + i)) for i in range(n)]


def _twice(line: str, key: str, value: str) -> str:
    """``line`` with ``"key": value`` written before its own ``"key"`` (read last-wins, the
    record would look untouched)."""
    at = line.index(f'"{key}": ')
    return line[:at] + f'"{key}": {value}, ' + line[at:]


@pytest.mark.parametrize("name", ["f.json", "f.sse"])  # the fused Hubble reader, and the general one
def test_a_hubble_record_with_two_verdicts_is_not_read(tmp_path, name):
    lines = _hubble_lines()
    lines[1] = _twice(lines[1], "verdict", '"DROPPED"')  # DROPPED, then FORWARDED
    p = tmp_path / name
    sse = name.endswith(".sse")
    p.write_text("".join(f"data: {x}\n\n" if sse else f"{x}\n" for x in lines))
    df, warns = load(p)
    assert df["dst_port"].tolist() == [80, 82, 83, 84]
    line = 3 if sse else 2
    assert problems(df) == [("malformed", line)]
    message = df.attrs["k8sviz"]["problems"][0]["message"]
    assert message == "key 'flow.verdict' is given twice; which value holds cannot be told"
    assert any(f"{p}: skipped 1 malformed" in w for w in warns), warns


def test_a_calico_record_with_two_actions_is_not_read(tmp_path):
    lines = [json.dumps(calico(1710496800 + i, dest_port=80 + i)) for i in range(4)]
    lines[2] = _twice(lines[2], "action", '"deny"')
    p = tmp_path / "c.json"
    p.write_text("".join(f"{x}\n" for x in lines))
    df, _ = load(p)
    assert df["dst_port"].tolist() == [80, 81, 83]
    assert problems(df) == [("malformed", 3)]
    assert "key 'action' is given twice" in df.attrs["k8sviz"]["problems"][0]["message"]


def test_a_repeat_in_a_nested_object_of_a_pretty_printed_file_is_named(tmp_path):
    records = [hubble(f"2024-03-15T10:00:0{i}Z", port=80 + i) for i in range(3)]
    text = "".join(json.dumps(r, indent=2) + "\n" for r in records)
    first = text.index('"destination": "10.0.0.2"', text.index("10:00:01"))
    text = text[:first] + '"destination": "10.9.9.9",\n      ' + text[first:]
    p = tmp_path / "f.json"
    p.write_text(text)
    df, _ = load(p)
    assert df["dst_port"].tolist() == [80, 82]
    ((kind, _),) = problems(df)
    assert kind == "malformed"
    assert "key 'flow.IP.destination' is given twice" in df.attrs["k8sviz"]["problems"][0]["message"]


def test_the_fused_reader_checks_a_whole_file_once_it_finds_a_repeat(tmp_path, monkeypatch):
    """Checking costs the fused reader a quarter of its time per record: it checks the first
    records of a file, and every record of a file where it found a repeat."""
    monkeypatch.setattr(_table, "DUPLICATE_SCREEN", 1)
    lines = _hubble_lines()
    lines[0] = _twice(lines[0], "verdict", '"DROPPED"')
    lines[3] = _twice(lines[3], "verdict", '"DROPPED"')
    p = tmp_path / "f.json"
    p.write_text("".join(f"{x}\n" for x in lines))
    df, _ = load(p)
    assert df["dst_port"].tolist() == [81, 82, 84]
    assert problems(df) == [("malformed", 1), ("malformed", 4)]


@pytest.mark.parametrize(("raw", "key"), [
    (b'{"a":1,"a":2}', "a"),
    (b'{"a" : 1, "b":{"c":[{"d":1}, {"d":1, "d" :2}]}}', "b.c[1].d"),
    (b'{"a":"\\u003a","a":1}', "a"),           # a ':' in a string, written escaped, hides no repeat
    (b'{"x":"a:b:c","y":{"x":1,"x":1}}', "y.x"),  # the same value twice is still a repeat
    (b'{"a":1,"b":"a\\":1"}', None),           # quotes and colons inside strings
    (b'{"a\\u003a":1,"a:":2}', "a:"),          # an escaped key is the same key
    (b'{"a":"\\\\u003a"}', None),              # an escaped backslash, then text: no escaped ':'
    (b'{"a" :1, "b" : {"c" :2}}', None),
    (b'{"k8s:app":"x:y","t":"10:00:00"}', None),
])
def test_repeated_key(raw, key):
    assert repeated_key(raw, orjson.loads(raw)) == key
