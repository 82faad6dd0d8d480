"""Values of a user's YAML or JSON are named in its words (``a string``, ``null``), not Python's
(``a str``, ``a NoneType``), and no new error about input data goes back to ``type(x).__name__``."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from k8sviz._text import as_written, kind_of, scalar

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


# --- No type(x).__name__ in errors about input data -------------------------------------------

#: Where a message names a Python type on purpose: a Python caller passed a Python object of the
#: wrong type (``load_zones(path=[...])`` is "got list"), so Python's words are right; and one
#: that names the exception a parser raised.  (file, function).
PYTHON_ARGUMENT_SITES = {
    ("analysis/blast.py", "_check_args"),
    ("analysis/diff.py", "_snapshots"),
    ("analysis/diff.py", "reachability_diff"),
    ("analysis/gaps.py", "_agree_with"),
    ("analysis/gaps.py", "gaps"),
    ("analysis/zones.py", "load_zones"),
    ("analysis/zones.py", "parse_date"),  # today=: a str from the command line, anything from Python
    ("flows/__init__.py", "flow_report"),
    ("notebook.py", "table"),
    ("notebook.py", "to_csv"),
    ("snapshot.py", "_malformed"),  # the exception's class, after shape_problem found no field to name
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
