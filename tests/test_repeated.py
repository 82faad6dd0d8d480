"""k8sviz._repeated: a key given twice in one object of a whole JSON document, found by counting."""

import random
import subprocess
import sys

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k8sviz._repeated import document_repeated_key, repeat_path

from .flows.test_repeated_keys import TREES, _first_repeat, _has_repeat, _members, _write


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    top=st.sampled_from(["obj", "list", "items"]),
    members=st.lists(_members(TREES), max_size=4),
    seed=st.integers(0, 2**32),
    comma=st.sampled_from([",", ", ", ",\n    "]),
    colon=st.sampled_from([":", ": ", " :\t"]),
)
def test_the_count_finds_every_repeat_and_names_the_first(top, members, seed, comma, colon):
    # Documents shaped as dumps are (a List's items, an array, one object), written compactly,
    # spaced or indented, keys and strings with ':' and its escapes; the reference sees every
    # object's pairs.
    objs = [("obj", m) for m in members]
    if top == "items":
        doc = ("obj", [("kind", "List"), ("items", ("arr", objs))])
    elif top == "list":
        doc = ("arr", objs)
    else:
        doc = ("obj", [pair for m in members for pair in m])
    raw = _write(doc, random.Random(seed), comma, colon).encode()
    found = document_repeated_key(raw, orjson.loads(raw))
    assert (found is not None) is _has_repeat(raw)
    assert found == _first_repeat(raw)


def test_a_repeat_deep_in_an_item_is_named():
    raw = (b'{"kind": "List", "items": [{"metadata": {"name": "a"}},\n'
           b' {"metadata": {"name": "b", "labels": {"x": "1", "y": "2", "x": "3"}}}]}')
    assert document_repeated_key(raw, orjson.loads(raw)) == "items[1].metadata.labels.x"
    assert repeat_path(raw) == "items[1].metadata.labels.x"


def test_values_orjson_cannot_write_are_read_exactly():
    # Nested past orjson's writing depth (254): the exact scan answers.
    deep = b"[" * 300 + b'{"a": 1, "a": 2}' + b"]" * 300
    assert document_repeated_key(deep, orjson.loads(deep)) == "[0]" * 300 + ".a"
    flat = b"[" * 300 + b'{"a": 1, "b": 2}' + b"]" * 300
    assert document_repeated_key(flat, orjson.loads(flat)) is None


def test_loading_a_json_dump_does_not_import_pandas(tmp_path):
    # The check lives apart from the flow table: `k8sviz connectivity` of a JSON dump stays
    # without pandas (about 0.3 s of import), as of a YAML one.
    path = tmp_path / "ns.json"
    path.write_text('{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}')
    code = ("import sys, k8sviz; snap = k8sviz.load(sys.argv[1]); "
            "print(len(snap.namespaces), 'pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "False"]
