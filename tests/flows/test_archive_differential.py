"""aggregate_flow_archive against flow_edges(load_flows(...)) on damaged and hostile files.

A bounded differential test: each case takes one small flow file (Hubble wrapped, bare and
camelCase lines, Calico lines, arrays and pretty-printed documents, Goldmane emitter lines, a
Whisker list, the first records of the demo's Hubble and Calico files), damages it one to
three ways chosen by the case's seed (a value replaced by a hostile one, a key dropped or given
twice, the file cut, a line lost or repeated, junk or a blank line between lines, a stray byte,
a byte-order mark, other line ends, a gzip stream cut short...) and reads it both ways.  The
two must give the same edges and the same problems (kind, file and line), or both refuse the
file with the same kind of error; neither may raise anything else.  Every case is reproducible
from its seed alone (``case(seed)``).
"""

from __future__ import annotations

import copy
import functools
import gzip
import json
import random
import warnings
from typing import Any

import pytest

import k8sviz
from k8sviz.errors import K8svizError

from .conftest import DATA
from .test_bad_values import camel

pytest.importorskip("duckdb")

# Sixty cases, and those of later seeds that found disagreements since fixed (a Calico number
# true, 80.7 or "\uff18\uff10"; a Hubble pod_name [], 0 or a namespace false; a line repeated
# with its destination's namespace changed: one connection named two ways at one time; a bare
# Hubble line given a "flow": null).
SEEDS = (*range(60), 83, 137, 145, 166, 845, 1022)
EDGE_COLUMNS = ["src", "dst", "protocol", "ports", "records", "flows", "allowed", "denied", "unknown"]

# Values that have broken one reader or the other: types where another belongs, numbers past
# every range, text that Python and DuckDB read otherwise (non-ASCII digits and letters,
# whitespace, "-"), times a flow table cannot hold, addresses that are none.
HOSTILE: tuple[Any, ...] = (
    None, True, False, 0, -1, 70000, 2**63, 10**30, 0.5, 80.7, "", " ", "-", "null", "x\ny", "\u0000",
    "\u0663", "\uff18\uff10", " 80 ", "1_000", "0x50", "stra\u00dfe", "\u0130CMP", "999.1.2.3", "not-an-ip",
    "10.0.0.1/24", "fe80::1%eth0", "9999-12-31T23:59:59Z", "2024-02-30T00:00:00Z", "1e999", "NaN", [], [1, 2],
    {}, {"a": 1}, "DROPPED", "FORWARDED", "TCP", "allow", "deny", {"type": "x"}, {"name": {"x": 1}},
)

# Fields the two readers have read otherwise, and values of each that one took for something
# else than the other did (a placeholder, no name, a name; a number; a protocol's case): half
# the changes to a record set one of these fields to one of its values.
_NAMES = ("-", "", 0, False, "0", "false", [])
_NUMBERS = ("\u0663", "\uff18\uff10", " 80", "1_000", 80.7, True, "80")
TRICKY: dict[str, tuple[Any, ...]] = {
    **dict.fromkeys(("pod_name", "podName", "namespace", "name", "source_name", "dest_name",
                     "source_namespace", "dest_namespace", "dest_service_name", "dest_service_namespace",
                     "source_type", "dest_type", "reporter", "trace_observation_point", "traffic_direction"),
                    _NAMES),
    **dict.fromkeys(("dest_port", "source_port", "destination_port", "num_flows", "num_flows_started",
                     "bytes_in", "packets_out"), _NUMBERS),
    **dict.fromkeys(("proto", "protocol"), ("stra\u00dfe", "\u0130cmp", "\u017fctp", "Tcp", 6, "6", 0)),
}


@functools.cache
def seed_files() -> tuple[tuple[str, bytes], ...]:
    """The undamaged files: (name, content)."""
    from .test_goldmane import CART, FRONTEND, emitter, whisker

    wrapped = (DATA / "hubble_wrapped.jsonl").read_bytes()
    with gzip.open(k8sviz.demo_path("flows", "hubble.json.gz"), "rb") as fh:
        demo_hubble = b"".join(fh.readline() for _ in range(60))
    docs = json.loads(k8sviz.demo_path("flows", "calico.json").read_bytes())[:30]
    demo_calico = b"[\n" + b",\n".join(json.dumps(d).encode() for d in docs) + b"\n]\n"
    goldmane = [emitter(FRONTEND, CART, 7070, a) for a in (1, 2, 3)]
    goldmane.append(emitter((None, "pub"), FRONTEND, 443, 1, src_type=4))
    items = [whisker(FRONTEND, ("shop", "cart-1"), 7070, "Allow"),
             whisker(FRONTEND, ("shop", "cart-2"), 80, "Deny")]
    return (
        ("hubble_wrapped.jsonl", wrapped),
        ("hubble_bare.json", gzip.decompress((DATA / "hubble_bare.json.gz").read_bytes())),
        ("hubble_camel.json", b"".join(json.dumps(camel(obj)).encode() + b"\n" for obj in _objects(wrapped))),
        ("demo_hubble.json", demo_hubble),
        ("calico_lines.json", (DATA / "calico_lines.json").read_bytes()),
        ("calico_array.json", (DATA / "calico_array.json").read_bytes()),
        ("calico_pretty.json", (DATA / "calico_pretty.json").read_bytes()),
        ("demo_calico.json", demo_calico),
        ("goldmane.jsonl", b"".join(json.dumps(o).encode() + b"\n" for o in goldmane)),
        ("whisker_list.json", json.dumps({"total": 2, "items": items}, indent=1).encode()),
    )


def _objects(lines: bytes) -> list[Any]:
    """The lines of ``lines`` that are JSON (the fixture has a damaged one)."""
    out = []
    for line in lines.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def _stream(data: bytes) -> list[Any]:
    """The objects of a stream of pretty-printed JSON objects (none if ``data`` is no such stream)."""
    decoder = json.JSONDecoder()
    try:
        text = data.decode()
    except UnicodeDecodeError:
        return []
    out: list[Any] = []
    at = 0
    while at < len(text):
        if text[at].isspace():
            at += 1
            continue
        try:
            obj, at = decoder.raw_decode(text, at)
        except ValueError:
            return []
        out.append(obj)
    return out


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every value inside ``obj`` (keys and indexes), its own first."""
    out = [prefix]
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for k, v in items:
        out += _paths(v, (*prefix, k))
    return out


def _mutate(rng: random.Random, obj: Any) -> tuple[Any, str]:
    """One change to a JSON value: a value replaced, dropped, nested or made text; ``(new, what)``."""
    obj = copy.deepcopy(obj)
    paths = _paths(obj)[1:]
    if not paths:
        return copy.deepcopy(rng.choice(HOSTILE)), "the whole object replaced"
    named = [p for p in paths if p[-1] in TRICKY]
    tricky = bool(named) and rng.random() < 0.5
    path = rng.choice(named if tricky else paths)
    parent = obj
    for p in path[:-1]:
        parent = parent[p]
    op = "tricky" if tricky else rng.choice(["replace", "replace", "replace", "drop", "nest", "text"])
    if op in ("tricky", "replace"):
        parent[path[-1]] = copy.deepcopy(rng.choice(TRICKY[path[-1]] if tricky else HOSTILE))
        return obj, f"{path} = {parent[path[-1]]!r}"
    if op == "drop":
        del parent[path[-1]]
        return obj, f"{path} dropped"
    if op == "nest":
        parent[path[-1]] = [parent[path[-1]]]
        return obj, f"{path} nested in a list"
    v = parent[path[-1]]
    if isinstance(v, str):
        parent[path[-1]] = v + rng.choice(["\n", "\u0000", " ", "\u2028"])
    else:
        parent[path[-1]] = json.dumps(v)
    return obj, f"{path} as text"


def _structural(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    """A value of one record changed (a whole-document file: of the document), or a key of one
    line given twice."""
    try:
        doc = json.loads(data)
    except ValueError:
        pass
    else:
        new, what = _mutate(rng, doc)
        return json.dumps(new, indent=rng.choice([None, 1])).encode(), f"document: {what}"
    first = data.lstrip().split(b"\n", 1)[0]
    stream = [] if _objects(first) else _stream(data)
    if len(stream) > 1:  # pretty-printed objects one after another
        i = rng.randrange(len(stream))
        stream[i], what = _mutate(rng, stream[i])
        return b"\n".join(json.dumps(o, indent=2).encode() for o in stream) + b"\n", f"object {i + 1}: {what}"
    lines = data.splitlines(keepends=True)
    numbered = [i for i, line in enumerate(lines) if line.strip()]
    if not numbered:
        return data, "nothing to change"
    i = rng.choice(numbered)
    try:
        obj = json.loads(lines[i])
    except ValueError:
        return data, "nothing to change"
    if rng.random() < 0.15:
        at = lines[i].find(b"{") + 1
        key = rng.choice([b'"verdict"', b'"time"', b'"flow"', b'"source_ip"', b'"dest_port"', b'"Key"'])
        value = rng.choice([b'"DROPPED"', b"null", b"123", b"{}"])
        lines[i] = lines[i][:at] + key + b":" + value + b"," + lines[i][at:]
        return b"".join(lines), f"line {i + 1}: {key.decode()} given twice"
    new, what = _mutate(rng, obj)
    lines[i] = json.dumps(new).encode() + b"\n"
    return b"".join(lines), f"line {i + 1}: {what}"


def _bytes(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    """Damage as files get it: cut, stray bytes, line ends, lines lost, repeated or joined."""
    op = rng.choice(["cut", "head", "flip", "nul", "not-utf8", "bom", "crlf", "cr", "repeat", "drop", "blank",
                     "junk", "empty"])
    if not data or op == "empty":
        return b"", "empty"
    lines = data.splitlines(keepends=True)
    i = rng.randrange(len(lines))
    at = rng.randrange(len(data))
    if op == "cut":
        return data[:at], f"cut at byte {at}"
    if op == "head":
        return data[at % 400:], f"first {at % 400} bytes lost"
    if op == "flip":
        return data[:at] + bytes([rng.randrange(256)]) + data[at + 1:], f"byte {at} changed"
    if op == "nul":
        return data[:at] + b"\x00" + data[at:], f"NUL at byte {at}"
    if op == "not-utf8":
        stray = rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80"])
        return data[:at] + stray + data[at:], f"no UTF-8 at byte {at}"
    if op == "bom":
        return b"\xef\xbb\xbf" + data, "byte-order mark"
    if op == "crlf":
        return data.replace(b"\n", b"\r\n"), "CRLF line ends"
    if op == "cr":
        return data.replace(b"\n", b"\r"), "CR line ends"
    if op == "repeat":
        return b"".join([*lines[:i + 1], lines[i], *lines[i + 1:]]), f"line {i + 1} repeated"
    if op == "drop":
        return b"".join(lines[:i] + lines[i + 1:]), f"line {i + 1} lost"
    if op == "blank":
        return b"".join([*lines[:i], b"  \n", *lines[i:]]), f"blank line at {i + 1}"
    junk = rng.choice([b"garbage\n", b"{\n", b"[1,2]\n", b"42\n", b"null\n", b"{}\n", b'{"a":1}{"b":2}\n'])
    return b"".join([*lines[:i], junk, *lines[i:]]), f"{junk!r} at line {i + 1}"


def case(seed: int) -> tuple[str, bytes, list[str]]:
    """The damaged file of ``seed``: (name, content, what was done to it)."""
    rng = random.Random(seed)
    name, original = rng.choice(seed_files())
    data, how = original, [name]
    for _ in range(rng.choice([1, 1, 2, 3])):
        data, what = _structural(rng, data) if rng.random() < 0.6 else _bytes(rng, data)
        how.append(what)
    while data == original:  # the line picked was no JSON: damaged otherwise
        data, what = _bytes(rng, data)
        how.append(what)
    if rng.random() < 0.15:
        z = gzip.compress(data)
        cut = rng.choice([len(z), len(z), rng.randrange(len(z))])
        data, name = z[:cut], name + ".gz"
        how.append("gzip" if cut == len(z) else f"gzip cut at byte {cut} of {len(z)}")
    return name, data, how


def _read(read: Any) -> Any:
    """What ``read()`` gives, or the class of the K8svizError it raises (anything else fails)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        try:
            return read()
        except K8svizError as e:
            return type(e)


def _edges(df: Any) -> list[tuple[str, ...]]:
    return sorted(tuple(map(str, row)) for row in df[EDGE_COLUMNS].itertuples(index=False))


def _problems(df: Any) -> tuple[list[tuple[str, str, int | None]], dict[str, int]]:
    report = df.attrs["k8sviz"]
    return sorted((p["kind"], p["file"], p["line"]) for p in report["problems"]), report["problem_counts"]


@pytest.mark.parametrize("seed", SEEDS)
def test_the_archive_and_load_flows_agree_on_a_damaged_file(tmp_path, demo_snap, seed):
    name, data, how = case(seed)
    path = tmp_path / name
    path.write_bytes(data)
    archive = _read(lambda: k8sviz.aggregate_flow_archive(path, demo_snap))
    flows = _read(lambda: k8sviz.load_flows(path, snapshot=demo_snap))
    if isinstance(archive, type) or isinstance(flows, type):
        assert archive == flows, how  # both refuse the file, with the same kind of error
        return
    assert _edges(archive) == _edges(k8sviz.flow_edges(flows)), how
    assert _problems(archive) == _problems(flows), how


def test_the_cases_are_damaged_and_differ():
    """Each case changes its file, and the seeds reach every file and both kinds of damage."""
    cases = [case(seed) for seed in SEEDS]
    originals = dict(seed_files())
    assert all(data != originals[name.removesuffix(".gz")] for name, data, _ in cases)
    assert {name.removesuffix(".gz") for name, _, _ in cases} == set(originals)
    steps = [step for _, _, how in cases for step in how[1:]]
    assert any(step.startswith(("line", "document", "object")) for step in steps)
    assert any(step.startswith(("cut", "byte", "first", "NUL", "no UTF-8")) for step in steps)
