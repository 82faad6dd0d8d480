"""Values of a user's YAML or JSON are named in its words (``a string``, ``null``), not Python's
(``a str``, ``a NoneType``), and shown as it wrote them (``[true, null]``, not ``[True, None]``);
no new error about input data goes back to ``type(x).__name__`` or to ``repr``."""

from __future__ import annotations

import ast
import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

import k8sviz
from k8sviz._text import SHOWN, as_written, kind_of, scalar
from k8sviz._yaml import Dumper as KUBECTL_YAML
from k8sviz.analysis.zones import load_zones
from k8sviz.errors import InputError, ZoneError
from k8sviz.snapshot import _malformed
from tests.objects import PYTHON_WORDS

PACKAGE = Path(__file__).resolve().parent.parent / "k8sviz"


@pytest.mark.parametrize(("value", "said"), [
    ("tcp", "a string"), ("", "a string"), (5, "a number"), (0, "a number"), (1.5, "a number"),
    (True, "a boolean"), (False, "a boolean"), (None, "null"), ([], "a list"), (["x"], "a list"),
    ({}, "a mapping"), ({"a": 1}, "a mapping"), (dt.date(2024, 1, 2), "a date"),
    (dt.datetime(2024, 1, 2, 10, 0, tzinfo=dt.UTC), "a timestamp"), (b"\x00", "binary data"),
    ({1, 2}, "a set"),
])
def test_kind_of_names_a_value_in_yaml_words(value, said):
    assert kind_of(value) == said


def test_kind_of_says_object_for_json_readers():
    assert kind_of({"a": 1}, "an object") == "an object"
    assert kind_of([{"a": 1}], "an object") == "a list"  # only a mapping takes the word


def test_a_boolean_is_no_number():
    # Python's True is an int; YAML's true is not, and "is a number, not a port" would mislead.
    assert kind_of(True) != kind_of(1)


@pytest.mark.parametrize(("value", "said"), [(True, "true"), (False, "false"), (None, "null"), (0, None),
                                             ("", None), ("true", None), ([], None)])
def test_scalar_writes_true_false_and_null_as_yaml_does(value, said):
    assert scalar(value) == said


@pytest.mark.parametrize(("value", "said"), [(True, "true"), (False, "false"), (None, "null"),
                                             ("tcp", "'tcp'"), (80, "80"), ([1], "[1]")])
def test_as_written_shows_a_value_as_yaml_writes_its_scalars(value, said):
    assert as_written(value) == said


def test_as_written_shows_an_int_too_long_for_repr():
    assert as_written(10**5000) == "<a number too large to show>"  # repr raises ValueError past 4300 digits


@pytest.mark.parametrize(("value", "said"), [
    ([True, None, "x", 1.5], "[true, null, 'x', 1.5]"),
    ({"a": None, 1: [False]}, "{'a': null, 1: [false]}"),
    ([{"k": [None]}], "[{'k': [null]}]"),
    ([], "[]"), ({}, "{}"), (("a",), "['a']"), ("", "''"), ("a b", "'a b'"),
    (float("inf"), ".inf"), (float("-inf"), "-.inf"), (float("nan"), ".nan"), ([float("inf")], "[.inf]"),
    (dt.date(2024, 1, 2), "2024-01-02"),
    (dt.datetime(2024, 1, 2, 10, 0, tzinfo=dt.UTC), "2024-01-02T10:00:00+00:00"),
    (b"\x00\x01\x02", "!!binary AAEC"),  # YAML's !!binary, as the file wrote it
])
def test_as_written_shows_values_inside_lists_and_maps_as_yaml_writes_them(value, said):
    assert as_written(value) == said


def test_as_written_shows_numpy_scalars_as_the_file_wrote_them():
    np = pytest.importorskip("numpy")
    # a DataFrame column's values: numpy's repr says np.int64(80) and np.True_
    assert [as_written(v) for v in (np.int64(80), np.float64(1.5), np.bool_(True))] == ["80", "1.5", "true"]


def test_as_written_keeps_a_message_on_one_line():
    # repr's escapes: a newline, a terminal's escape or a line separator in a value cannot
    # break the message, nor rewrite the terminal it is printed on.
    for value in ("a\nb", "a\rb", "\x1b[2J", "a\u2028b", "\x00", ["x\ny"], {"k\n": "v\r"}):
        shown = as_written(value)
        assert shown.isprintable(), shown


def test_as_written_cuts_a_long_string_and_says_how_much_is_left_out():
    shown = as_written("x" * 1_000_000)
    assert shown == f"'{'x' * SHOWN}'... (999,920 more characters)"
    assert as_written("x" * 100, 40) == f"'{'x' * 40}'... (60 more characters)"


@pytest.mark.parametrize("value", [
    "x" * 10**6, list(range(10**5)), {str(i): i for i in range(10**5)}, ["y" * 10**5] * 100,
    {"k" * 10**5: ["v" * 10**5] * 10}, 10**4000, b"z" * 10**6,
    json.loads("[" * 500 + "]" * 500), [[[["a" * 300] * 5] * 5] * 5] * 5,
])
def test_as_written_stays_short_whatever_the_value(value):
    """A tampered field may hold a megabyte or a thousand levels: the message names it, and stays a line."""
    assert len(as_written(value)) < 4 * SHOWN


def test_as_written_counts_what_a_long_list_leaves_out():
    assert as_written(list(range(1000))).endswith(", ... (978 more items)]")
    assert as_written(json.loads("[" * 50 + "]" * 50)) == "[" * 9 + "..." + "]" * 9


# --- Real hostile inputs: messages in the file's words ----------------------------------------


def _load_error(tmp_path, *objs):
    p = tmp_path / "cluster.yaml"
    shop = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}
    p.write_text(yaml.dump_all([shop, *objs], Dumper=KUBECTL_YAML))
    with pytest.raises(InputError) as e:
        k8sviz.load(p)
    said = str(e.value)
    assert str(p) in said and not PYTHON_WORDS.search(said), said
    return said


def _netpol(ports=None, peers=None):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "np", "namespace": "shop"},
            "spec": {"podSelector": {}, "ingress": [{**({"ports": ports} if ports else {}),
                                                     **({"from": peers} if peers else {})}]}}


_CALICO = {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "g"}}
_CILIUM = {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
           "metadata": {"name": "c", "namespace": "shop"}}
_ANP = {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
        "metadata": {"name": "a"}}


@pytest.mark.parametrize(("obj", "said"), [
    (_netpol(ports=[{"protocol": [True, None], "port": 80}]),
     "NetworkPolicy/shop/np: spec.ingress[0].ports[0]: invalid protocol [true, null] (expected TCP, UDP or "
     "SCTP)"),
    (_netpol(ports=[{"port": {"a": None}}]),
     "NetworkPolicy/shop/np: spec.ingress[0].ports[0]: invalid port {'a': null}"),
    (_netpol(ports=[{"port": 80, "endPort": [1.5]}]),
     "spec.ingress[0].ports[0]: endPort [1.5] must be a number from port (80) to 65535"),
    (_netpol(peers=[{"ipBlock": {"cidr": [True]}}]),
     "spec.ingress[0].from[0].ipBlock.cidr: invalid CIDR [true]"),
    ({**_CALICO, "spec": {"selector": "all()", "types": [True, None]}},
     "GlobalNetworkPolicy/g: spec.types must list Ingress and/or Egress, not [true, null]"),
    ({**_CALICO, "spec": {"selector": "all()", "ingress": [{"action": "Allow", "protocol": {"a": None}}]}},
     "GlobalNetworkPolicy/g: spec.ingress[0].protocol: invalid protocol {'a': null}"),
    ({**_CILIUM, "spec": {"endpointSelector": {},
                          "ingress": [{"toPorts": [{"ports": [{"port": "80", "protocol": [False]}]}]}]}},
     "CiliumNetworkPolicy/shop/c: spec.ingress[0].toPorts[0].ports[0]: invalid protocol [false]"),
    ({**_ANP, "spec": {"priority": [True], "subject": {"namespaces": {}}}},
     "AdminNetworkPolicy/a: spec.priority must be a number from 0 to 1000, not [true]"),
])
def test_a_policy_with_values_of_the_wrong_type_is_named_in_yaml_words(tmp_path, obj, said):
    assert said in _load_error(tmp_path, obj)


def _pod(**fields):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop"},
            "spec": {"containers": [{"name": "c"}]}, **fields}


@pytest.mark.parametrize(("obj", "said"), [
    (_pod(spec={"containers": [{"name": "c", "ports": [{"containerPort": 80, "protocol": [None, 1.0]}]}]}),
     "Pod/shop/p: container port protocol [null, 1.0] is invalid"),
    (_pod(status={"podIP": [None]}),
     "Pod/shop/p: malformed object: status.podIP [null] is not an IP address"),
    (_pod(status={"podIPs": [{"ip": {"a": True}}]}),
     "Pod/shop/p: malformed object: status.podIPs[].ip {'a': true} is not an IP address"),
    ({**_pod(), "metadata": {"name": True, "namespace": "shop"}},
     "Pod/shop/true: malformed object: metadata.name is a boolean, not a string"),
])
def test_a_pod_with_values_of_the_wrong_type_is_named_in_yaml_words(tmp_path, obj, said):
    assert said in _load_error(tmp_path, obj)


def test_a_label_of_the_wrong_type_is_warned_in_yaml_words(tmp_path):
    p = tmp_path / "cluster.yaml"
    meta = {"name": "p", "namespace": "shop", "labels": {"app": [True, None]}}
    p.write_text(yaml.dump(Dumper=KUBECTL_YAML, data=_pod(metadata=meta)))
    (w,) = [str(w) for w in k8sviz.load(p).warnings if w.code == "invalid-label"]
    # compared as the text JSON writes for it, which a selector would have to say to match it
    assert "label 'app' is not a string: [true, null] (a list), compared as '[true, null]'" in w, w


_ZONE = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "shop"}}}
_ALLOW = {"from": "a", "to": "a", "justification": "j", "owner": "o"}


@pytest.mark.parametrize(("doc", "said"), [
    ({"zones": {"a": {**_ZONE, "sensitive": [True, None]}}},
     "zone a: sensitive must be true or false (got [true, null])"),
    ({"zones": {"a": {**_ZONE, "priority": {"x": False}}}},
     "zone a: priority must be an integer of at most 15 digits (got {'x': false})"),
    ({"zones": {"a": _ZONE}, "allow": [{**_ALLOW, "ports": [[1.5, None]]}]},
     "allow[0].ports[0]: port spec [1.5, null] must be a string like 'TCP/443'"),
    ({"zones": {"a": _ZONE}, "allow": [{**_ALLOW, "expires": [True]}]},
     "allow[0].expires: [true] is not a date (YYYY-MM-DD)"),
])
def test_a_zones_file_with_values_of_the_wrong_type_is_named_in_yaml_words(tmp_path, doc, said):
    p = tmp_path / "zones.yaml"
    p.write_text(yaml.dump(Dumper=KUBECTL_YAML, data=doc))
    with pytest.raises(ZoneError) as e:
        load_zones(p)
    assert said in str(e.value) and not PYTHON_WORDS.search(str(e.value)), str(e.value)


def test_a_flow_record_with_values_of_the_wrong_type_is_named_in_yaml_words(tmp_path):
    good = {"flow": {"time": "2024-03-15T10:00:00Z", "verdict": "FORWARDED",
                     "IP": {"source": "10.0.0.1", "destination": "10.0.0.2"},
                     "l4": {"TCP": {"source_port": 40000, "destination_port": 80}}}}
    bad = [json.loads(json.dumps(good)) for _ in range(3)]
    bad[0]["flow"]["is_reply"] = [True, None]
    bad[1]["flow"]["l4"]["TCP"]["destination_port"] = [1.5, False]
    bad[2]["flow"]["node_name"] = {"a": None}
    p = tmp_path / "hubble.json"
    p.write_text("".join(json.dumps(r) + "\n" for r in [*bad, good]))
    df = k8sviz.load_flows(p)
    said = [(prob["line"], prob["message"]) for prob in df.attrs["k8sviz"]["problems"]]
    assert len(df) == 1
    assert [line for line, _ in said] == [1, 2, 3], said
    assert "is_reply [true, null] is not true or false" in said[0][1]
    assert "[1.5, false]" in said[1][1]
    assert "node_name is an object, not text: {'a': null}" in said[2][1]
    assert not any(PYTHON_WORDS.search(m) for _, m in said), said


@pytest.mark.parametrize(("error", "said"), [
    (TypeError("unhashable type: 'dict'"), "a field holds a value of the wrong kind"),
    (AttributeError("'int' object has no attribute 'get'"), "a field holds a value of the wrong kind"),
    (KeyError("name"), "a field k8sviz reads is missing ('name')"),
    (OverflowError("cannot convert float infinity to integer"), "a number is too large, or not finite"),
])
def test_the_last_resort_of_a_malformed_object_is_in_plain_words(error, said):
    """Where no field could be blamed, the error still names the file and the object, and says
    what is wrong without Python's exception (it said "malformed object (TypeError: ...)")."""
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop"}}
    e = _malformed(error, obj, "cluster.yaml")
    assert str(e).startswith(f"cluster.yaml, Pod/shop/p: malformed object: {said}"), str(e)
    assert not PYTHON_WORDS.search(str(e)) and type(error).__name__ not in str(e), str(e)


# --- No type(x).__name__ in errors about input data -------------------------------------------

#: Where a message names a Python type on purpose: a Python caller passed a Python object of the
#: wrong type (``load_zones(path=[...])`` is "got list"), so Python's words are right; and one
#: that names the exception a parser raised.  (file, function).
PYTHON_ARGUMENT_SITES = {
    ("analysis/blast.py", "_check_args"),
    ("analysis/diff.py", "_snapshots"),
    ("analysis/diff.py", "reachability_diff"),
    ("analysis/gaps.py", "_agree_with"),
    ("analysis/zones.py", "load_zones"),
    ("analysis/zones.py", "parse_date"),  # today=: a str from the command line, anything from Python
    ("notebook.py", "table"),
    ("notebook.py", "to_csv"),
    ("viz/_common.py", "require_frame"),
    ("viz/matrix.py", "segmentation_heatmap"),
    ("viz/network.py", "_check_drawing"),
    ("viz/network.py", "network_figure"),
}


def _is_type_name(node: ast.AST, caught: set[str]) -> bool:
    """``type(x).__name__`` (or ``x.__class__.__name__``), ``x`` not an exception caught in the
    function: ``({type(e).__name__}: {e})`` names an exception, not a value of the input."""
    if not (isinstance(node, ast.Attribute) and node.attr == "__name__"):
        return False
    inner = node.value
    if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id == "type":
        of = inner.args[0] if inner.args else None
    elif isinstance(inner, ast.Attribute) and inner.attr == "__class__":
        of = inner.value
    else:
        return False
    return not (isinstance(of, ast.Name) and of.id in caught)


def _names_a_python_type(node: ast.AST, caught: set[str]) -> bool:
    return any(isinstance(f, ast.JoinedStr) and any(_is_type_name(n, caught) for n in ast.walk(f))
               for f in ast.walk(node))


def _is_message_call(node: ast.AST) -> bool:
    """``SomethingError(...)``, ``LoadWarning(...)`` or ``<report>.problem(...)``."""
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
    return (name.endswith("Error") or name == "LoadWarning"
            or (isinstance(f, ast.Attribute) and name == "problem"))


def _message_args(node: ast.AST) -> list[ast.expr]:
    """The arguments of each message call in ``node``."""
    return [a for c in ast.walk(node) if _is_message_call(c) and isinstance(c, ast.Call)
            for a in (*c.args, *(k.value for k in c.keywords))]


def python_type_messages(tree: ast.AST) -> list[tuple[str, int]]:
    """(function, line) of each message whose text names ``type(x).__name__``: written in a
    message call, or assigned to a name that a later statement of the same block gives one
    (``msg = f"..."; raise InputError(msg)``)."""
    found: set[tuple[str, int]] = set()
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        caught = {h.name for h in ast.walk(fn) if isinstance(h, ast.ExceptHandler) and h.name}
        found.update((fn.name, a.lineno) for a in _message_args(fn) if _names_a_python_type(a, caught))
        for block in (b for n in ast.walk(fn) for f in ("body", "orelse", "finalbody")
                      if isinstance(b := getattr(n, f, None), list)):
            for i, stmt in enumerate(block):
                if not (isinstance(stmt, ast.Assign) and _names_a_python_type(stmt.value, caught)):
                    continue
                names = {t.id for t in stmt.targets if isinstance(t, ast.Name)}
                for later in block[i + 1:]:
                    if any(isinstance(a, ast.Name) and a.id in names for a in _message_args(later)):
                        found.add((fn.name, stmt.lineno))
                    if any(isinstance(t, ast.Name) and t.id in names for n in ast.walk(later)
                           if isinstance(n, ast.Assign) for t in n.targets):
                        break  # the name holds another message from here
    return sorted(found)


def test_the_scan_finds_a_python_type_in_a_message():
    """The scan below would pass on any code if it found nothing: it finds each form."""
    code = '''
def direct(v):
    raise ValueError(f"spec is a {type(v).__name__}, not a mapping")

def through_a_variable(v, warn):
    msg = f"document is a {v.__class__.__name__}"
    warn(LoadWarning("not-an-object", msg, "f.yaml"))

def reported(v, report):
    report.problem("malformed", "f.json", 1, f"Key is a {type(v).__name__}")

def fine(v):
    raise ValueError(f"spec is {kind_of(v)}, not a mapping")

def an_exception(path):
    try:
        open(path)
    except OSError as e:
        raise InputError(f"cannot read {path} ({type(e).__name__}: {e})") from None

def another_message_in_the_name(v):
    if v:
        msg = f"got {type(v).__name__}"
        print(msg)
    msg = "no value"
    raise QueryError(msg)
'''
    found = [f for f, _ in python_type_messages(ast.parse(code))]
    assert found == ["direct", "reported", "through_a_variable"]


def test_no_error_about_input_names_a_python_type():
    """Errors and warnings about a user's files say ``a string``, ``null``, ``a mapping``
    (:func:`k8sviz._text.kind_of`); ``type(x).__name__`` is left only where a Python caller
    passed a Python object of the wrong type (:data:`PYTHON_ARGUMENT_SITES`)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        for fn, line in python_type_messages(ast.parse(path.read_text(encoding="utf-8"))):
            if (rel, fn) not in PYTHON_ARGUMENT_SITES:
                found.append(f"k8sviz/{rel}:{line} ({fn})")
    assert not found, "name the value with k8sviz._text.kind_of, not type(x).__name__:\n" + "\n".join(found)


def test_each_allowed_site_still_names_a_python_type():
    """An entry left behind when its message changed would let a new one in unseen."""
    sites = {(path.relative_to(PACKAGE).as_posix(), fn) for path in PACKAGE.rglob("*.py")
             for fn, _ in python_type_messages(ast.parse(path.read_text(encoding="utf-8")))}
    assert sites >= PYTHON_ARGUMENT_SITES, sorted(PYTHON_ARGUMENT_SITES - sites)


# --- No repr of input data in messages ----------------------------------------------------------

#: Where ``!r`` or ``repr()`` stays, (file, function, the expression shown).  Every other value a
#: message shows goes through :func:`k8sviz._text.as_written`: ``[true, null]`` as YAML and JSON
#: write it, not Python's ``[True, None]``, cut short and on one line.
REPR_SITES = {
    # synth runs as a script too and imports nothing of the package (as_given is k8sviz._text's).
    ("synth.py", "write_cluster", "fmt"),
    # A name Python looked up: module attribute errors, in Python's own form.
    ("__init__.py", "__getattr__", "name"),
    ("flows/__init__.py", "__getattr__", "__name__"),
    ("flows/__init__.py", "__getattr__", "name"),
    # k8sviz's own constants, strings it wrote.
    ("analysis/blast.py", "internet_paths", "EXTERNAL"),
    ("notebook.py", "setup", "OFFLINE_RENDERER"),
    ("policy/calico_selector.py", "describe", "self.kind"),
    # A selector's text around an error: a str, cut to _SHOWN_TEXT characters by _excerpt itself.
    ("policy/calico_selector.py", "_excerpt", "text"),
    ("policy/calico_selector.py", "_excerpt", "text[start:end]"),
    # No message: a key telling a reporter "-" from a missing one.
    ("flows/archive.py", "_label_rows", "_v(x)"),
    # as_written itself: a string quoted as repr quotes it (the house style), anything else a
    # Python caller passed; as_given, a Python caller's argument in Python's words (``None``),
    # cut as as_written cuts.
    ("_text.py", "as_given", "value"),
    ("_text.py", "_one", "value"),
    ("_text.py", "_one", "text"),
    ("_text.py", "_one", "text[:limit]"),
}


def repr_uses(tree: ast.AST) -> list[tuple[str, str, int]]:
    """(function, expression, line) of each ``{x!r}`` and ``repr(x)`` in ``tree``, outside
    ``__repr__`` methods (a Python object's repr is Python's to write)."""
    found: list[tuple[str, str, int]] = []

    def visit(node: ast.AST, fn: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.name == "__repr__":
                return
            fn = node.name
        if isinstance(node, ast.FormattedValue) and node.conversion == ord("r"):
            found.append((fn, ast.unparse(node.value), node.value.lineno))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "repr"
              and node.args):
            found.append((fn, ast.unparse(node.args[0]), node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child, fn)

    visit(tree, "<module>")
    return found


def test_the_scan_finds_each_repr_of_a_value():
    code = '''
def f_string(v):
    raise PolicyError(f"invalid port {v!r}")

def called(v, warn):
    warn(LoadWarning("x", "labels: " + repr(v["labels"])))

def nested(v):
    def inner():
        return f"{v.name!r}"
    return inner

def fine(v):
    raise PolicyError(f"invalid port {as_written(v)}, {v}")

class C:
    def __repr__(self):
        return f"C({self.x!r})"
'''
    assert [(f, e) for f, e, _ in repr_uses(ast.parse(code))] == [
        ("f_string", "v"), ("called", "v['labels']"), ("inner", "v.name")]


def _repr_sites() -> list[tuple[str, str, str, int]]:
    return [(path.relative_to(PACKAGE).as_posix(), fn, expr, line) for path in sorted(PACKAGE.rglob("*.py"))
            for fn, expr, line in repr_uses(ast.parse(path.read_text(encoding="utf-8")))]


def test_no_message_shows_a_value_by_its_python_repr():
    """``{v!r}`` shows ``True``, ``None``, ``[True]``, ``b'..'`` and a megabyte whole; a value a
    message shows goes through :func:`k8sviz._text.as_written`.  A new ``!r`` either is one of
    :data:`REPR_SITES`' kinds (and is added there, with its reason) or is changed."""
    found = [f"k8sviz/{rel}:{line} ({fn}: {expr})" for rel, fn, expr, line in _repr_sites()
             if (rel, fn, expr) not in REPR_SITES]
    assert not found, "show the value with k8sviz._text.as_written, not repr:\n" + "\n".join(found)


def test_each_allowed_repr_is_still_there():
    """An entry left behind when its code changed would let a new one in unseen."""
    sites = {(rel, fn, expr) for rel, fn, expr, _ in _repr_sites()}
    assert sites >= REPR_SITES, sorted(REPR_SITES - sites)


def test_as_given_keeps_pythons_words_and_cuts_as_as_written_does():
    from k8sviz._text import SHOWN, as_given, as_written

    assert [as_given(v) for v in (None, True, 2.5, "tcp", ["a"])] == ["None", "True", "2.5", "'tcp'", "['a']"]
    long = "p" * 10_000
    assert as_given(long) == as_written(long) == f"{'p' * SHOWN!r}... (9,920 more characters)"
    assert as_given([long]) == f"['{'p' * (SHOWN - 2)}..."
    assert as_given(object()).startswith("<object object at ")
    import pandas as pd  # a table, not a value: its lines joined read as a row of numbers ("a 0 1")

    assert (as_given(pd.DataFrame({"a": [1]})), as_given(pd.Series([1, 2]))) == ("DataFrame", "Series")
