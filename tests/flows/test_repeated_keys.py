"""A key given twice in one object of a flow record (two "verdict"s: a tampered or mangled
record) makes the record ambiguous: it is a malformed problem naming the file, line and key,
as a CSV column given twice is, never read last-wins."""

from __future__ import annotations

import gzip
import json
import random

import orjson
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k8sviz.flows._table import _repeat, repeat_problem, repeated_key, rewritten

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


def _compact(record: dict) -> str:
    return orjson.dumps(record).decode()


def _twice_compact(line: str, key: str, value: str) -> str:
    """``_twice`` for a compact line (``"key":value``, as Hubble writes it)."""
    at = line.index(f'"{key}":')
    return line[:at] + f'"{key}":{value},' + line[at:]


LONG = 10_005  # past the 10,000 records the fused reader once checked


@pytest.mark.parametrize("name", ["f.json", "f.json.gz"])
@pytest.mark.parametrize("compact", [True, False], ids=["compact", "spaced"])
def test_every_record_of_a_long_file_is_checked(tmp_path, name, compact):
    """A tampered record at line 10,001 of a file whose first 10,000 are clean, and the last
    record of the file (no line end after it), are reported, not read with one of their values."""
    records = [hubble(f"2024-03-15T10:00:{i % 60:02d}Z", port=1000 + i) for i in range(LONG)]
    lines = [_compact(r) if compact else json.dumps(r) for r in records]
    twice = _twice_compact if compact else _twice
    lines[10_000] = twice(lines[10_000], "verdict", '"DROPPED"')
    lines[-1] = twice(lines[-1], "destination", '"10.9.9.9"')  # in flow.IP
    data = "\n".join(lines).encode()
    p = tmp_path / name
    p.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    df, _ = load(p)
    assert problems(df) == [("malformed", 10_001), ("malformed", LONG)]
    messages = [x["message"] for x in df.attrs["k8sviz"]["problems"]]
    assert "'flow.verdict'" in messages[0] and "'flow.IP.destination'" in messages[1]
    assert sorted(df["line"]) == [n for n in range(1, LONG + 1) if n not in (10_001, LONG)]
    assert set(df["verdict"]) == {"allowed"}


def test_a_file_without_repeats_reads_as_without_the_check(tmp_path, monkeypatch):
    """The check only drops records: a clean file (compact lines, spaced ones, a pretty-printed
    one, past 10,000 records) gives the same frame as the fused reader with the check off."""
    records = [hubble(f"2024-03-15T10:00:{i % 60:02d}Z", port=1000 + i % 50_000, is_reply=i % 3 == 0)
               for i in range(LONG)]
    files = {
        "compact.json": "".join(_compact(r) + "\n" for r in records),
        "spaced.json": "".join(json.dumps(r) + "\n" for r in records),
        "pretty.json": "".join(json.dumps(r, indent=2) + "\n" for r in records[:300]),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    checked = {name: load(tmp_path / name)[0] for name in files}
    # With orjson writing nothing, every line starts with what it wrote: nothing is checked.
    monkeypatch.setattr(orjson, "dumps", lambda obj: b"")
    for name in files:
        unchecked, _ = load(tmp_path / name)
        assert not problems(checked[name])
        pd.testing.assert_frame_equal(checked[name], unchecked)


@pytest.mark.parametrize(("depth", "repeat", "key"), [
    # orjson reads 1024 levels but writes 254: such a record was a crash, not a check
    (300, ', "x": 1', "x"),
    # the exact check reads as deep as orjson (it used to recurse, and called a record past
    # Python's recursion limit malformed, repeat or not)
    (900, None, "x" + "[0]" * 900 + ".k"),
    (1010, None, "x" + "[0]" * 1010 + ".k"),
])
def test_a_record_nested_as_deep_as_orjson_reads_is_judged(tmp_path, depth, repeat, key):
    deep = "[" * depth + "]" * depth
    lines = _hubble_lines(3)
    lines[1] = lines[1][:-1] + f', "x": {deep}}}'
    if repeat is None:  # the repeat at the bottom
        repeat = ""
        deep = "[" * depth + '{"k": 1, "k": 2}' + "]" * depth
    lines[2] = lines[2][:-1] + f', "x": {deep}{repeat}}}'
    p = tmp_path / "f.json"
    p.write_text("".join(f"{x}\n" for x in lines))
    df, _ = load(p)
    assert df["dst_port"].tolist() == [80, 81]
    assert problems(df) == [("malformed", 3)]
    assert df.attrs["k8sviz"]["problems"][0]["message"] == repeat_problem(key)


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
    (b'{"a":{"x":1,"x":2},"a":3}', "a"),      # the first object in document order names it
    (b'[{"x":[{"y":1,"y":2}],"x":1}]', "[0].x"),
    (b'{"a":"x\\"y","a\\u0022":1,"a\\"":2}', 'a"'),
])
def test_repeated_key(raw, key):
    assert repeated_key(raw, orjson.loads(raw)) == key


# The screens in front of the exact check must never let a repeat through: random records
# with and without repeated keys at any depth, written compactly or spaced, with escapes.
KEYS = st.sampled_from(["a", "b", "verdict", "a:b", ":", "é", 'q"', "\\", "u003a", "\\u003a"])
SCALARS = (
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.sampled_from('ab:"\\/é\n\u2028') | st.characters(blacklist_categories=("Cs",)), max_size=6)
)


def members(keys, children):
    """An object's (key, value) pairs: any keys, repeats likely, or each key once."""
    pairs = st.tuples(keys, children)
    return st.lists(pairs, max_size=4) | st.lists(pairs, max_size=4, unique_by=lambda kv: kv[0])


def json_trees(keys, scalars):
    """JSON values as trees: scalars, ``("arr", items)`` and ``("obj", pairs)`` (repeats kept)."""
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=3).map(lambda x: ("arr", x))
        | members(keys, children).map(lambda x: ("obj", x)),
        max_leaves=24,
    )


def _members(children):
    return members(KEYS, children)


TREES = json_trees(KEYS, SCALARS)


def _string(s: str, rng: random.Random) -> str:
    """``s`` as a JSON string, each character written plainly or as a ``\\uXXXX`` escape."""
    out = []
    for c in s:
        plain = json.dumps(c, ensure_ascii=rng.random() < 0.5)[1:-1]
        out.append(f"\\u{ord(c):04x}" if rng.random() < 0.2 and ord(c) <= 0xFFFF else plain)
    return '"' + "".join(out) + '"'


def _write(node, rng: random.Random, comma: str, colon: str) -> str:
    if isinstance(node, tuple) and node[0] == "obj":
        members = (_string(k, rng) + colon + _write(v, rng, comma, colon) for k, v in node[1])
        return "{" + comma.join(members) + "}"
    if isinstance(node, tuple):
        return "[" + comma.join(_write(v, rng, comma, colon) for v in node[1]) + "]"
    if isinstance(node, str):
        return _string(node, rng)
    return json.dumps(node)


def _has_repeat(raw: bytes) -> bool:
    """The reference: Python's json with every object's pairs seen."""
    found = False

    def pairs(kv):
        nonlocal found
        keys = [k for k, _ in kv]
        found = found or len(set(keys)) < len(keys)
        return dict(kv)

    json.loads(raw, object_pairs_hook=pairs)
    return found


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    members=_members(TREES),
    seed=st.integers(0, 2**32),
    comma=st.sampled_from([",", ", ", " ,\n  "]),
    colon=st.sampled_from([":", ": ", " :\t"]),
    end=st.sampled_from(["", "\n", "\r\n", "  "]),
)
def test_the_screens_never_miss_a_repeat(members, seed, comma, colon, end):
    raw = (_write(("obj", members), random.Random(seed), comma, colon) + end).encode()
    obj = orjson.loads(raw)
    expected = _has_repeat(raw)
    assert (repeated_key(raw, obj) is not None) is expected
    written = rewritten(obj)
    # The fused Hubble reader's inlined first screen, then the rest.
    found = None if raw.startswith(written) else repeated_key(raw, obj, written)
    assert (found is not None) is expected


def _first_repeat(raw: bytes) -> str | None:
    """The reference for the key named: every object's pairs kept, objects visited in document
    order (pre-order), each object's first key given a second time."""
    objects: list[tuple[str, list]] = []

    def walk(node, path):
        if isinstance(node, Pairs):
            objects.append((path, [k for k, _ in node]))
            for k, v in node:
                walk(v, f"{path}.{k}" if path else k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")

    walk(json.loads(raw, object_pairs_hook=Pairs), "")
    for path, keys in objects:
        seen: set[str] = set()
        for k in keys:
            if k in seen:
                return f"{path}.{k}" if path else k
            seen.add(k)
    return None


class Pairs(list):
    pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=TREES, seed=st.integers(0, 2**32), comma=st.sampled_from([",", ", ", " ,\n  "]),
       colon=st.sampled_from([":", ": ", " :\t"]))
def test_the_key_named_is_the_first_repeat_in_document_order(tree, seed, comma, colon):
    raw = _write(tree, random.Random(seed), comma, colon).encode()
    assert _repeat(raw) == _first_repeat(raw)
