"""The check for a key given twice, on lines written the way Hubble's Go code writes them.

Hubble writes each line with Go's ``json.Encoder`` over protojson's output (see the notes above
``k8sviz.flows._table.go_escaped``): compact, protojson's string escapes, and ``<``, ``>``,
``&``, U+2028, U+2029 escaped by Go.  A tool calling protojson directly may put a space after
each ``,`` (protojson's detrand).  The writers here model those forms from the Go sources,
independently of the code under test, so that the screens are tested against them.
"""

from __future__ import annotations

import gzip
import json

import orjson
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import k8sviz.flows._table as table
from k8sviz.flows._table import go_escaped, repeated_key, rewritten

from .test_bad_values import hubble
from .test_hostile_files import load, problems
from .test_repeated_keys import _has_repeat, json_trees, members

_CONTROL = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\"}
_GO_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _protojson_string(s: str, go: bool) -> str:
    """A string as protojson writes it (internal/encoding/json/string.go appendString: '"', '\\'
    and controls escaped, \\u00xx in lower-case hex, the rest as UTF-8), then, if ``go``, with
    the escapes Go's compact adds (encoding/json indent.go appendCompact, escapeHTML)."""
    out = []
    for c in s:
        if c in _CONTROL:
            out.append(_CONTROL[c])
        elif c < " ":
            out.append(f"\\u{ord(c):04x}")
        elif go and c in _GO_HTML:
            out.append(_GO_HTML[c])
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def _write(node, form: str) -> str:
    """``node`` (scalars, ``("arr", items)``, ``("obj", pairs)`` with repeats kept) in ``form``:
    ``go`` (a Hubble line), ``protojson`` (single-line, no space) or ``protojson-spaced``
    (a space after each ',', as when detrand's Bool() is true)."""
    comma = ", " if form == "protojson-spaced" else ","
    go = form == "go"
    if isinstance(node, tuple) and node[0] == "obj":
        return "{" + comma.join(_protojson_string(k, go) + ":" + _write(v, form) for k, v in node[1]) + "}"
    if isinstance(node, tuple):
        return "[" + comma.join(_write(v, form) for v in node[1]) + "]"
    if isinstance(node, str):
        return _protojson_string(node, go)
    return json.dumps(node)  # null, true/false, integers: written alike by all


CHARS = st.sampled_from('ab<>&:,"\\/é\n\x1b\x7f\u2028\u2029😀 ')
TEXT = st.text(CHARS | st.characters(blacklist_categories=("Cs",)), max_size=8)
KEYS = st.sampled_from(["a", "b", "verdict", "url", "a&b", "<", "\u2028", "a, b", "a,b", ":"]) | TEXT
SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | TEXT


def _members(children):
    return members(KEYS, children)


TREES = json_trees(KEYS, SCALARS)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(members=_members(TREES), form=st.sampled_from(["go", "protojson", "protojson-spaced"]),
       end=st.sampled_from(["\n", "", "\r\n"]))
def test_the_screens_never_miss_a_repeat_in_hubbles_forms(members, form, end):
    raw = (_write(("obj", members), form) + end).encode()
    obj = orjson.loads(raw)
    expected = _has_repeat(raw)
    assert (repeated_key(raw, obj) is not None) is expected
    written = rewritten(obj)
    found = None if raw.startswith(written) else repeated_key(raw, obj, written)  # as load_flows
    assert (found is not None) is expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(members=st.lists(st.tuples(KEYS, TREES), max_size=5, unique_by=lambda kv: kv[0]))
def test_a_hubble_line_without_repeats_passes_a_first_screen(members):
    """Hubble's lines are orjson's writing, or its go_escaped form: never the ':' count or the
    re-read (for records whose nested objects repeat nothing either)."""
    raw = (_write(("obj", members), "go") + "\n").encode()
    if _has_repeat(raw):
        return
    written = rewritten(orjson.loads(raw))
    assert raw.startswith(written) or raw.startswith(go_escaped(written))
    assert raw.startswith(written) is (go_escaped(written) == written)


def _l7(i: int, **flow) -> dict:
    """A Hubble L7 HTTP request record (Type L7, event type 129, the url in Summary too)."""
    url = f"http://cart.shop:8080/api/cart?user={i}&currency=EUR&q=%3Cb%3E"
    return hubble(f"2024-03-15T10:00:0{i}Z", port=8080, Type="L7", event_type={"type": 129},
                  l7={"type": "REQUEST", "latency_ns": "0",
                      "http": {"method": "GET", "url": url, "protocol": "HTTP/1.1",
                               "headers": [{"key": "Accept", "value": "text/html, */*"}]}},
                  Summary=f"HTTP/1.1 GET {url} <b>\u2028", **flow)


def _go_line(record: dict) -> str:
    return _write(_tree(record), "go")


def _tree(v):
    if isinstance(v, dict):
        return ("obj", [(k, _tree(x)) for k, x in v.items()])
    if isinstance(v, list):
        return ("arr", [_tree(x) for x in v])
    return v


def test_the_go_form_of_an_l7_record_is_escaped_and_passes_the_second_screen(monkeypatch):
    raw = (_go_line(_l7(1)) + "\n").encode()
    assert b"\\u0026currency" in raw and b"\\u003cb\\u003e" in raw and b"\\u2028" in raw
    obj = orjson.loads(raw)
    written = rewritten(obj)
    assert not raw.startswith(written) and raw.startswith(go_escaped(written))

    def no_count(*_):
        raise AssertionError("went past the second screen")

    monkeypatch.setattr(table, "_repeat", no_count)
    assert repeated_key(raw, obj, written) is None


@pytest.mark.parametrize("gz", [False, True])
def test_hubble_l7_lines_in_go_form_read_as_orjson_lines_and_a_repeat_is_caught(tmp_path, gz):
    records = [_l7(i) for i in range(5)]
    plain = "".join(orjson.dumps(r).decode() + "\n" for r in records)
    lines = [_go_line(r) for r in records]
    at = lines[3].index('"verdict":')
    lines[3] = lines[3][:at] + '"verdict":"DROPPED",' + lines[3][at:]  # DROPPED, then FORWARDED
    go = "".join(x + "\n" for x in lines)
    p, q = tmp_path / "plain.json", tmp_path / ("go.json.gz" if gz else "go.json")
    p.write_text(plain)
    if gz:
        q.write_bytes(gzip.compress(go.encode()))
    else:
        q.write_text(go)
    a, _ = load(p)
    b, warns = load(q)
    assert problems(b) == [("malformed", 4)] and any("skipped 1 malformed" in w for w in warns), warns
    assert "key 'flow.verdict' is given twice" in b.attrs["k8sviz"]["problems"][0]["message"]
    keep = a["line"] != 4
    pd.testing.assert_frame_equal(a[keep].drop(columns=["file"]).reset_index(drop=True),
                                  b.drop(columns=["file"]).reset_index(drop=True))
    assert b["flow_type"].tolist() == ["L7"] * 4
