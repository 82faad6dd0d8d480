"""The fast YAML constructor gives exactly what PyYAML's own safe constructor gives, with plain
scalars resolved as go-yaml v2 (kubectl's YAML reader) resolves them."""

from __future__ import annotations

import datetime as dt
import math
import re

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from k8sviz import _yaml

#: go-yaml v2's resolveMap (gopkg.in/yaml.v2 resolve.go), as written there.
GO_MAP = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"),
                    ("bool", True)),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"),
                    ("bool", False)),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), ("null", None)),
    **{w: ("float", float("nan")) for w in (".nan", ".NaN", ".NAN")},
    **{w: ("float", float("inf")) for w in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")},
    **{w: ("float", float("-inf")) for w in ("-.inf", "-.Inf", "-.INF")},
}
GO_YAML_STYLE_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
GO_DECIMAL_FLOAT = re.compile(r"^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$")


def go_parse_int(s):
    """Go's strconv.ParseInt(s, 0, 64), else ParseUint(s, 0, 64); None where both fail."""
    sign, t = ("", s) if s[:1] not in ("+", "-") else (s[0], s[1:])
    base = 10
    if t[:1] == "0" and len(t) > 1:
        base, t = {"x": (16, t[2:]), "o": (8, t[2:]), "b": (2, t[2:])}.get(t[1].lower(), (8, t[1:]))
    if not t or any(c.lower() not in "0123456789abcdef"[:base] for c in t):
        return None
    n = int(t, base) * (-1 if sign == "-" else 1)
    if -(2**63) <= n < 2**63 or (not sign and n < 2**64):
        return n
    return None


def go_parse_float(s):
    """Go's strconv.ParseFloat(s, 64) of a decimal text; None on a syntax or range error."""
    if not GO_DECIMAL_FLOAT.match(s):
        return None
    f = float(s)
    return None if f in (float("inf"), float("-inf")) else f


def go_resolve(s):
    """(kind, value) of a plain scalar, by go-yaml v2's `resolve` step by step (timestamps
    aside: k8sviz keeps them strings; and "<<", a merge key as PyYAML reads it)."""
    if s == "<<":
        return "merge", s
    hint = ("N" if s == "" else "S" if s[0] in "+-" else "D" if s[0] in "0123456789"
            else "M" if s[0] in "yYnNtTfFoO~" else "." if s[0] == "." else None)
    if hint is not None:
        if s in GO_MAP:
            return GO_MAP[s]
        if hint == ".":
            f = go_parse_float(s)
            if f is not None:
                return "float", f
        elif hint in ("D", "S"):
            plain = s.replace("_", "")
            n = go_parse_int(plain)
            if n is not None:
                return "int", n
            if GO_YAML_STYLE_FLOAT.match(plain):
                f = go_parse_float(plain)
                if f is not None:
                    return "float", f
    return "str", s


class Reference(_yaml._Base):  # type: ignore[misc,valid-type]
    """PyYAML's safe constructor with plain scalars resolved by :func:`go_resolve` (and
    k8sviz's constructors for the scalar tags), refusing a key given twice in one mapping
    (outside merge keys) as kubectl reads keys, where PyYAML keeps the last, and keying ``1``
    and ``true`` as kubectl does (``"1"``, ``"true"``), as k8sviz does."""

    def resolve(self, kind, value, implicit):
        if kind is yaml.ScalarNode and implicit[0]:
            return "tag:yaml.org,2002:" + go_resolve(value)[0]
        return super().resolve(kind, value, implicit)

    def construct_mapping(self, node, deep=False):
        merges = any(k.tag == "tag:yaml.org,2002:merge" for k, _ in node.value)
        mapping = super().construct_mapping(node, deep=deep)
        if merges:
            return mapping
        pairs = [(self.construct_object(k, deep=deep), self.construct_object(v, deep=deep))
                 for k, v in node.value]
        return _yaml.kubectl_keys(node, pairs, mapping)


Reference.add_constructor("tag:yaml.org,2002:bool", _yaml._construct_bool)
Reference.add_constructor("tag:yaml.org,2002:int", _yaml._construct_int)
Reference.add_constructor("tag:yaml.org,2002:float", _yaml._construct_float)


def outcome(text: str):
    try:
        return "ok", list(yaml.load_all(text, Loader=Reference))  # a SafeLoader
    except (yaml.YAMLError, ValueError, TypeError) as e:  # PyYAML lets some of these through
        return "error", f"{type(e).__name__}: {e}"


def ours(text: str):
    try:
        return "ok", list(_yaml.load_all(text))
    except (yaml.YAMLError, ValueError, TypeError) as e:  # PyYAML lets some of these through
        return "error", f"{type(e).__name__}: {e}"


def typed(x, path=()):
    """Values with their exact types (True == 1 and 1 == 1.0 in plain equality); a
    container met again on its own path (a recursive anchor) is written as its depth."""
    if isinstance(x, (dict, list)) and id(x) in path:
        return ("cycle", path.index(id(x)))
    if isinstance(x, dict):
        return ("dict", [(typed(k), typed(v, (*path, id(x)))) for k, v in x.items()])
    if isinstance(x, list):
        return ("list", [typed(v, (*path, id(x))) for v in x])
    if isinstance(x, float) and x != x:
        return ("float", "nan")
    return (type(x).__name__, x)


def same(text: str) -> None:
    a, b = outcome(text), ours(text)
    assert a[0] == b[0], (text, a, b)
    if a[0] == "ok":
        assert typed(a[1]) == typed(b[1]), text
    else:
        assert a[1] == b[1], text


SCALARS = [
    "web", "''", '""', "yes", "No", "on", "OFF", "y", "~", "null", "Null", "true", "False", "0x1F", "0o17",
    "017", "0b101", "1_000", "+12", "-0", "1:30", "190:20:30", "3.14", "1e3", "-.inf", ".NaN", "6.8523015e+5",
    "2024-01-01", "2024-01-08T07:30:00Z", "'2024-01-08T07:30:00Z'", "=", "'<<'", '"tab\\there"', "'it''s'",
    "!!str 1", "!!int '7'", "!!float 1", "!!bool yes", "!!null ''", "!!binary aGVsbG8=", "!!timestamp 2024-01-01",
    "!custom x", "10.0.0.0/8", "a:b", "'x: y'", "é", "\"\\u00e9\"", "!!int x",
    # where go-yaml v2 (kubectl) and PyYAML differ
    "N", "08", "-.5", "1.5e3", "99999999999999999999", "1e400", ".5_0", "!!bool 1", "!!float 7",
]
KEYS = ["app", "name", "80", "yes", "~", "1.5", "'<<'", "=", "2024-01-01", "!!str 3", "!!binary aGk=",
        "1", "true", "'80'", "1.0", "y", "N", "1e3", "1:30"]
# (one key to Python or to kubectl, or not: 1 and true, 80 and '80', y and true...)


def block(depth: int):
    scalar = st.sampled_from(SCALARS)
    if depth == 0:
        return scalar
    inner = block(depth - 1)
    mapping = st.lists(st.tuples(st.sampled_from(KEYS), inner), min_size=1, max_size=4).map(
        lambda kvs: ("map", kvs)
    )
    seq = st.lists(inner, min_size=1, max_size=4).map(lambda vs: ("seq", vs))
    flow = st.lists(scalar, max_size=3).map(lambda vs: "[" + ", ".join(vs) + "]")
    return st.one_of(scalar, mapping, seq, flow, st.just("{}"), st.just("[]"))


def render(node, indent: int = 0) -> str:
    pad = " " * indent
    if isinstance(node, str):
        return node
    kind, items = node
    lines = []
    for item in items:
        if kind == "map":
            k, v = item
            if isinstance(v, tuple):
                lines.append(f"{pad}{k}:\n{render(v, indent + 2)}")
            else:
                lines.append(f"{pad}{k}: {v}")
        elif isinstance(item, tuple):
            lines.append(f"{pad}-\n{render(item, indent + 2)}")
        else:
            lines.append(f"{pad}- {item}")
    return "\n".join(lines)


@settings(max_examples=400, deadline=None)
@given(st.lists(block(3), min_size=1, max_size=3))
def test_random_documents_load_as_pyyaml_loads_them(docs):
    same("\n---\n".join(render(d) for d in docs) + "\n")


@pytest.mark.parametrize(
    "text",
    [
        "base: &b {app: web, port: 80}\nother: *b\nlist: [*b, *b]\n",  # aliases share one object
        "base: &b {app: web}\nmerged:\n  <<: *b\n  port: 80\n",  # merge key: PyYAML's path
        "? [a, b]\n: 1\n",  # unhashable key: PyYAML's error
        "? {a: 1}\n: 1\n",
        "!!set {a, b}\n",
        "!!omap [{a: 1}, {b: 2}]\n",
        "!!pairs [{a: 1}]\n",
        "!!map [a]\n",
        "!!seq {a: 1}\n",
        "!!str {a: 1}\n",
        "a: 1\na: 2\n",  # duplicate key: refused, naming the second
        "a: {x: 1, y: [1, {z: 2, z: 3}]}\n",
        "1: a\n1.0: b\n",  # the same value written two ways
        "base: &b {k: v}\nm:\n  <<: *b\n  k: w\n",  # a merge key's value may be overridden
        "",
        "---\n---\n",
        "= : x\n",
        "creationTimestamp: 2024-01-08T07:30:00Z\nwhen: !!timestamp 2024-01-08\n",
        "key: !!binary |\n  aGVsbG8=\n",
        "x: !Ref foo\n",
        "bad: [unclosed\n",
    ],
)
def test_special_documents_behave_as_in_pyyaml(text):
    same(text)


def test_aliases_share_one_object_and_timestamps_stay_strings():
    (doc,) = list(_yaml.load_all("a: &b {x: 1}\nc: *b\nt: 2024-01-08T07:30:00Z\n"))
    assert doc["a"] is doc["c"]
    assert doc["t"] == "2024-01-08T07:30:00Z"
    (doc,) = list(_yaml.load_all("when: !!timestamp 2024-01-08\n"))
    assert doc["when"] == dt.date(2024, 1, 8)  # an explicit tag still means what it says


def test_a_key_given_twice_is_an_error_naming_it_and_its_line():
    with pytest.raises(yaml.MarkedYAMLError) as e:
        _yaml.load("kind: NetworkPolicy\nspec:\n  ingress: []\n  ingress: [{}]\n")
    assert e.value.problem == "found duplicate key 'ingress'" and e.value.problem_mark.line == 3


def test_keys_one_to_python_are_kubectls_keys():
    # 1 == True to Python: refused as "keys that are the same value", where kubectl (its
    # YAML-to-JSON step, sigs.k8s.io/yaml) sends them as the labels "1" and "true"
    assert _yaml.load("m: {1: a, true: b, app: web}\n") == {"m": {"1": "a", "true": "b", "app": "web"}}
    assert _yaml.load("m:\n  0: a\n  false: b\n  1.5: c\n") == {"m": {"0": "a", "false": "b", "1.5": "c"}}
    # keys no value of Python joins stay as they were written: the checks of the object name them
    assert typed(_yaml.load("{1: a, 2: b}\n")) == typed({1: "a", 2: "b"})


@pytest.mark.parametrize(("text", "problem"), [
    # yaml.v2 keeps the Go types apart (int 1, string "1") and sigs.k8s.io/yaml then writes both
    # as "1": kubectl keeps one of them, in Go's map order, which no one can tell
    ('labels: {1: a, "1": b}\n', "found duplicate key '1'"),
    ("labels: {2.5: a, '2.5': b}\n", "found duplicate key '2.5'"),
    ("labels: {1: a, 1.0: b}\n", "found keys '1' and '1.0', which kubectl reads as the same key '1'"),
    ("labels: {1.0: a, '1': b}\n", "found keys '1.0' and '1', which kubectl reads as the same key '1'"),
    # yaml.v2's strict decoding: "key true already set in map"
    ("m: {true: a, yes: b}\n", "found keys 'true' and 'yes', which kubectl reads as the same key 'true'"),
    ("labels: {0x1F: a, 31: b}\n", "found keys '0x1F' and '31', which kubectl reads as the same key '31'"),
    ("labels: {true: a, 'true': b}\n", "found duplicate key 'true'"),
])
def test_keys_one_to_kubectl_are_refused(text, problem):
    with pytest.raises(yaml.MarkedYAMLError) as e:
        _yaml.load(text)
    assert e.value.problem == problem and e.value.problem_mark.line == 0
    same(text)


@pytest.mark.parametrize(("value", "sent"), [
    # Go's strconv.FormatFloat(f, 'g', -1, 32), as sigs.k8s.io/yaml writes a float key
    (1.0, "1"), (1.5, "1.5"), (1e36, "1e+36"), (1e6, "1e+06"), (123456.0, "123456"),
    (1234567.0, "1.234567e+06"),
    (1e-5, "1e-05"), (0.0001, "0.0001"), (3.14159265, "3.1415927"), (float("inf"), ".inf"), (-1e300, "-.inf"),
    (float("nan"), ".nan"), (True, "true"), (False, "false"), (-3, "-3"), (10**20, "1e+20"), ("x", "x"),
])
def test_kubectl_key(value, sent):
    assert _yaml.kubectl_key(value) == sent


@pytest.mark.parametrize("text", [
    "x: " + "[" * 30000 + "]" * 30000 + "\n",  # libyaml's composer overflows the C stack past ~20,000
    "x: " + "{a: " * 30000 + "1" + "}" * 30000 + "\n",
    "x:\n  " + "- " * 30000 + "a\n",
    "[\n" * 30000,
])
def test_nesting_that_would_crash_the_c_parser_is_refused_first(text):
    with pytest.raises(yaml.YAMLError, match="nested more than 5,000 levels deep"):
        _yaml.load(text)


def pyyaml_refuses(text: str) -> str | None:
    """PyYAML's own error for text its parser refuses, else None (PyYAML 6.0.4's libyaml
    refuses nesting past 1,000 levels; 6.0.3's parses it)."""
    try:
        list(yaml.compose_all(text, Loader=_yaml._Base))
    except yaml.YAMLError as e:
        return str(e)
    return None


def test_deep_nesting_loads_like_pyyaml():
    """Deeper than Python's recursion limit: the plain walk hands over to PyYAML."""
    depth = 3000
    text = "a: " + "[" * depth + "x" + "]" * depth + "\n"
    refused = pyyaml_refuses(text)
    if refused is not None:  # this PyYAML's parser has a nesting limit: the same error
        with pytest.raises(yaml.YAMLError) as e:
            list(_yaml.load_all(text))
        assert str(e.value) == refused
        return
    (doc,) = list(_yaml.load_all(text))
    node, seen = doc["a"], 1
    while isinstance(node, list):
        node, seen = node[0], seen + 1
    assert (node, seen) == ("x", depth + 1)


@pytest.mark.parametrize(
    "text",
    [
        "a: &x [1, *x]\n",
        "a: &x {b: *x}\n",
        "a: &x {b: [c, {d: *x}]}\n",
        "base: &b {k: v}\na: &x {<<: *b, self: *x}\n",  # a merge key: built by PyYAML, then refused
    ],
)
def test_recursive_alias_is_an_error_with_its_position(text):
    with pytest.raises(yaml.MarkedYAMLError, match="alias inside its own anchor") as e:
        list(_yaml.load_all(text))
    assert e.value.problem_mark is not None and e.value.problem_mark.line == 0


def _laughs(levels: int, prefix: str = "") -> str:
    lines = [f"{prefix}a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"{prefix}a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("extra", ["", "merged: {<<: {k: v}}\n"])  # the plain walk and PyYAML's
def test_billion_laughs_is_refused_before_anything_expands_it(extra):
    with pytest.raises(yaml.MarkedYAMLError, match="billion laughs"):
        list(_yaml.load_all(_laughs(9) + extra))


def test_ordinary_aliases_still_load():
    (doc,) = list(_yaml.load_all(_laughs(4) + "labels: &l {app: web}\nagain: *l\n"))
    assert len(doc["a3"]) == 9 and doc["again"] == {"app": "web"}


SPECIAL_SCALARS = [
    "", "~", "null", "Null", "NULL", "nULL", "yes", "No", "on", "OFF", "y", "n", "true", "False",
    "0", "-0", "+1", "0x1F", "0o17", "017", "0b101", "1_000", "1:30", "190:20:30", "-1:30",
    "1.5", ".5", "1e3", "1.0e+3", "6.8523015e+5", ".inf", "-.Inf", "+.INF", ".nan", ".NaN",
    "<<", "=", "2024-01-08", "2024-01-08T07:30:00Z", "!x", "&a", "*a", "-", ".", "+", "0x",
    "app", "metadata", "10.0.0.1", "10.0.0.0/8", "80", "8080-8090", "v1", "é", "1 2",
]


@pytest.mark.parametrize("value", SPECIAL_SCALARS)
@pytest.mark.parametrize("implicit", [(True, False), (False, True), (False, False)])
def test_scalar_tags_are_pyyaml_s(value, implicit):
    ours_, theirs = _yaml.Loader(""), Reference("")
    for _ in range(2):  # the second time from the cache of resolved scalars
        assert ours_.resolve(yaml.ScalarNode, value, implicit) == theirs.resolve(yaml.ScalarNode, value,
                                                                                 implicit)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789+-.:_eExXoObB~<=!nNyYtTfF ualsi"), max_size=8)
       | st.text(max_size=6))
def test_random_scalar_tags_are_pyyaml_s(value):
    assert _yaml.Loader("").resolve(yaml.ScalarNode, value, (True, False)) == Reference("").resolve(
        yaml.ScalarNode, value, (True, False))


def test_collection_tags_and_the_cache_bound():
    loader = _yaml.Loader("")
    assert loader.resolve(yaml.SequenceNode, None, (True, False)) == "tag:yaml.org,2002:seq"
    assert loader.resolve(yaml.MappingNode, None, (True, False)) == "tag:yaml.org,2002:map"
    for i in range(_yaml._PLAIN_TAGS_MAX + 10):
        loader.resolve(yaml.ScalarNode, f"uid-{i}", (True, False))
    assert len(_yaml._PLAIN_TAGS) <= _yaml._PLAIN_TAGS_MAX


# A `kind: List` dump is parsed a few items at a time (_yaml._list_in_parts), the rest of the
# document with `items: []`; the result must be the whole parse's, and anything the cut could
# change must go to the whole parse.
def list_text(items: list[str], head: str = "apiVersion: v1\n", tail: str = "kind: List\n") -> str:
    return head + "items:\n" + "".join(items) + tail


def item_text(node) -> str:
    body = render(node, 2) if isinstance(node, tuple) else "  v: " + node
    return "- " + body[2:] + "\n"


@settings(max_examples=300, deadline=None)
@given(st.lists(block(3), min_size=1, max_size=7), st.integers(1, 3))
def test_a_list_parsed_in_parts_is_the_whole_parse(items, part):
    text = list_text([item_text(i) for i in items])
    old = _yaml.LIST_PART
    _yaml.LIST_PART = part  # several parts even for a few items
    try:
        same(text)
    finally:
        _yaml.LIST_PART = old


def test_a_kubectl_list_is_parsed_in_parts(monkeypatch):
    monkeypatch.setattr(_yaml, "LIST_PART", 2)
    items = [f"- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p{i}\n    labels: {{app: web}}\n"
             f"  spec:\n    containers:\n    - name: c\n      ports:\n      - containerPort: {8000 + i}\n"
             for i in range(5)]
    text = list_text(items, tail="kind: List\nmetadata:\n  resourceVersion: \"\"\n")
    parts = _yaml._list_in_parts(text)
    assert parts is not None
    assert parts == list(yaml.load_all(text, Loader=Reference))
    assert [p["metadata"]["name"] for p in parts[0]["items"]] == [f"p{i}" for i in range(5)]
    same(text.replace("\n", "\r\n"))  # Windows line ends


@pytest.mark.parametrize(
    "items, whole",
    [
        # a quoted scalar whose next line starts with '- ' at column 0: one item, not two
        (['- v: "a\n', '- b"\n', "- w: 1\n"], True),
        (["- v: 'a\n", "- b'\n"], True),
        (["- v: [1,\n", "- 2]\n"], True),  # a flow collection over the cut
        (["- &a {x: 1}\n", "- *a\n"], True),  # an alias of another item
        (["- v: &a {x: 1}\n  w: *a\n"], True),  # an alias inside one item: the whole parse's limits
        (["- base: &b {k: 1}\n  m:\n    <<: *b\n"], True),  # a merge key
        (["- a: 1\n", "# a comment\n", "\n", "- b: |\n    text\n    - not an item\n"], False),
        (["- a: 1\n", "-\n  b: 2\n"], True),  # an entry whose dash ends its line
        (["- a: 1\n", "- x\n  - y\n"], False),
        (["- !!str 1\n", "- !!binary aGk=\n", "- !custom x\n"], True),  # tags: some need PyYAML's constructor
    ],
)
def test_what_the_cut_could_change_is_parsed_whole(items, whole, monkeypatch):
    monkeypatch.setattr(_yaml, "LIST_PART", 1)
    text = list_text(items)
    assert (_yaml._list_in_parts(text) is None) == whole
    same(text)


@pytest.mark.parametrize(
    "text",
    [
        "items:\n- a: 1\nkind: List\nitems:\n- b: 2\n",  # a key given twice: PyYAML's error
        "kind: List\nitems:\n- a: 1\n- b\nkind: x\n",
        "---\nitems:\n- a: 1\n---\nitems:\n- b: 2\n",  # two documents
        "%YAML 1.1\n---\nitems:\n- a: 1\n",
        "items: # the pods\n- a: 1\n",
        "items:\n  - a: 1\n  - b: 2\nkind: List\n",  # an indented sequence
        "items:\n- a: 1\n-bad: 2\n",
        "items:\n- a: 1\n\tb: 2\n",
        "items:\n- a: 1\n...\n",
        "key: |\n  text\nitems:\n- a: 1\n",
        "items:\n- a: 1\n- b: \"unclosed\n",
        # `items:` inside a quoted scalar over several lines, the real items after it
        'a: "x\nitems:\n- b\n"\nitems: []\n',
        'a: "x\nitems:\n- b\n"\nitems: [k8sviz-list-items-parsed-apart]\n',
        "a: 'x\nitems:\n- b\n'\nitems:\n- c\n",
        "a: [x,\nitems:\n- b\n]\nitems:\n- c\n",
        # document markers after YAML's other line breaks, and after a byte-order mark
        "items:\n- a\u2028...\nkind: List\n",
        "items:\n- a\x85...\nkind: List\n",
        "items:\n- a\u2029---\nkind: List\n",
        "items:\n- a\r...\r\nkind: List\n",
        "items:\n- a\n\ufeff...\nkind: List\n",
        "items:\n- a\n\ufeff---\n- b\n",
    ],
)
def test_lists_in_unusual_forms_load_as_pyyaml_loads_them(text):
    same(text)


FRAGMENTS = ["- ", "-", "  ", "\t", "items:", "kind: List", "a: ", "b", '"', "'", "[", "]", "{", "}", ", ",
             "...", "---", "%YAML 1.1", "#", "&x ", "*x", "|", ">", "? ", ": ", "!!str ", "\u2028", "\x85",
             "\r", "\ufeff", "k8sviz-list-items-parsed-apart", "1", "- a: 1"]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.lists(st.sampled_from(FRAGMENTS), max_size=4).map("".join), max_size=8), st.integers(1, 2))
def test_odd_lists_load_as_pyyaml_loads_them(lines, part):
    """Crafted text around an `items:` line: reading it in parts must never read another document."""
    text = "apiVersion: v1\nitems:\n- a: 1\n" + "\n".join(lines) + "\n"
    old = _yaml.LIST_PART
    _yaml.LIST_PART = part
    try:
        same(text)
    finally:
        _yaml.LIST_PART = old


@pytest.mark.parametrize("part", [1, 2, 100])
def test_an_anchor_given_twice_in_two_parts_of_a_list_is_refused_as_pyyaml_refuses_it(part):
    """Found by the fuzzer above: the parts of a List are composed apart, so ``- &x`` in two
    parts was read (``[{a: 1}, null, null]``) where PyYAML refuses a duplicate anchor."""
    old = _yaml.LIST_PART
    _yaml.LIST_PART = part
    try:
        text = "apiVersion: v1\nitems:\n- a: 1\n- &x \n- &x \n"
        assert outcome(text)[0] == "error" and ours(text)[0] == "error"
        same(text)
        # A `&` that is no anchor (a URL's query) keeps the List read in parts, as PyYAML reads it.
        same("apiVersion: v1\nitems:\n- url: http://h/?a=1&b=2\n- b: 2\n- c: 3\n")
    finally:
        _yaml.LIST_PART = old


def test_labels_1_and_true_load_as_kubectl_sends_them(tmp_path):
    import k8sviz

    path = tmp_path / "ns.yaml"
    path.write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {1: a, true: b}\n")
    labels = k8sviz.load(path).namespace("shop").labels
    assert (labels["1"], labels["true"]) == ("a", "b")
    path.write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {1: a, '1': b}\n")
    with pytest.raises(k8sviz.InputError,
                       match=r"ns\.yaml: malformed YAML at line 5, column \d+: found duplicate key '1'$"):
        k8sviz.load(path)


def test_a_json_key_given_twice_is_refused_as_a_yaml_one(tmp_path):
    # the JSON reader kept the last value silently, where YAML's is refused (and the API
    # server's strict field validation refuses it: "duplicate field")
    import k8sviz

    path = tmp_path / "ns.json"
    path.write_text('{"apiVersion": "v1", "kind": "Namespace",\n'
                    ' "metadata": {"name": "shop", "labels": {"a": "1", "a": "2"}}}\n')
    said = (r"ns\.json: malformed JSON: key 'metadata\.labels\.a' is given twice in one object; "
            r"which value holds cannot be told$")
    with pytest.raises(k8sviz.InputError, match=said):
        k8sviz.load(path)
    path.write_text('{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", '
                    '"labels": {"a": "a:b", "b": "1"}}}')  # a ':' inside a string is no key
    assert k8sviz.load(path).namespace("shop").labels["a"] == "a:b"


@pytest.mark.parametrize(("text", "value"), [
    # go-yaml v2 (kubectl) against PyYAML's YAML 1.1, where they differ
    ("y", True), ("Y", True), ("n", False), ("N", False), ("1:30", "1:30"), ("190:20:30", "190:20:30"),
    ("1e3", 1000.0), ("1.5e3", 1500.0), ("-.5", -0.5), ("08", 8.0), ("0o17", 15), ("0O17", 15), ("=", "="),
    ("99999999999999999999", 1e20), ("18446744073709551615", 2**64 - 1), ("-9223372036854775809", -2.0**63),
    ("+18446744073709551615", 1.8446744073709552e19), ("0x1FFFFFFFFFFFFFFFFF", "0x1FFFFFFFFFFFFFFFFF"),
    ("1e400", "1e400"), (".5_0", ".5_0"), ("1_0.5", 10.5), ("-0b101", -5), ("2024-01-08", "2024-01-08"),
    # and where they agree
    ("yes", True), ("off", False), ("017", 15), ("0x1F", 31), ("0b101", 5), ("1_000", 1000), ("+1", 1),
    ("1.", 1.0), (".5", 0.5), ("-.inf", -math.inf), ("~", None), ("Infinity", "Infinity"), ("nan", "nan"),
    ("1 2", "1 2"), ("10.0.0.1", "10.0.0.1"),
])
def test_plain_scalars_are_read_as_kubectl_reads_them(text, value):
    got = _yaml.load(f"v: {text}\n")["v"]
    assert typed(got) == typed(value)
    assert typed(got) == typed(go_resolve(text)[1])


@pytest.mark.parametrize(("text", "problem"), [
    ("!!bool 1", "'1' is tagged !!bool but is not a boolean"),
    ("!!int 1:30", "'1:30' is tagged !!int but is not an integer"),
    ("!!float x", "'x' is tagged !!float but is not a float"),
])
def test_a_tagged_scalar_that_is_not_its_tag_is_an_error_naming_it(text, problem):
    with pytest.raises(yaml.MarkedYAMLError) as e:
        _yaml.load(f"v: {text}\n")
    assert e.value.problem == problem and e.value.problem_mark.line == 0


def test_a_label_y_is_a_boolean_as_kubectl_reads_it(tmp_path):
    # kubectl reads `y` as true and `1:30` as text: an object kubectl cannot apply is named so
    import k8sviz

    path = tmp_path / "pod.yaml"
    path.write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: d\n  labels:\n"
                    "    backup: y\n    at: 1:30\nspec:\n  containers: [{name: c, image: x}]\n")
    snap = k8sviz.load(path)
    assert snap.pods[0].labels == {"backup": "true", "at": "1:30"}
    assert next(w.message for w in snap.warnings if w.code == "invalid-label").startswith(
        "value of label 'backup' is not a string: true (a boolean)")
