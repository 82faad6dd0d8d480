"""The net of tests/message_net.py: what it reads as Python's words, and that it catches a
message k8sviz writes and names the place.  The messages it found are tested in their new words
where they are written: tests/test_hostile_objects.py (a container's env), tests/live/test_live.py
(a list item of another namespace or kind), tests/policy/test_calico.py (a Tier's order)."""

from __future__ import annotations

import ast
import warnings

import pytest

from k8sviz._text import as_written
from k8sviz.errors import InputError, QueryError
from k8sviz.flows import FlowWarning
from k8sviz.flows._table import Report
from k8sviz.model import LoadWarning
from tests.message_net import (
    _SEEN,
    PACKAGE,
    PYTHON_WORDS_SITES,
    Message,
    _messages_in_python_words,
    python_shapes,
)


@pytest.mark.parametrize("value", [
    [True, None], {"a": False}, None, True, ("x",), b"\x00", float("nan"), float("inf"),
])
def test_python_words_are_seen_in_str_and_not_in_as_written(value):
    """Each shape the net looks for in a value a YAML or JSON reader gives is one ``str`` (an
    f-string's ``{value}``) writes and as_written does not."""
    assert python_shapes(f"invalid port {value}"), str(value)
    assert not python_shapes(f"invalid port {as_written(value)}"), as_written(value)


@pytest.mark.parametrize("value", [int, object(), frozenset({1}), set(), {}.keys(), ValueError("x")])
def test_python_objects_are_seen(value):
    """Values no reader gives, shown as Python shows them: a message about input never has them."""
    assert python_shapes(f"got {value!r}"), repr(value)


@pytest.mark.parametrize("text", [
    "metadata.name 'None' is not a DNS-1123 subdomain",  # a name as written, quoted
    "label 'app' is not a string: [true, null] (a list)",
    "ports ['http', 'dns'] are not named in the pod",  # as_written's quoting of strings
    "metadata.name 'a/b' is not a DNS-1123 subdomain",  # no bytes literal
    "pass ipblocks_match_pods=True, or --ipblocks-match-pods",  # a Python keyword argument
    "a field k8sviz reads is missing ('name')",
    "None of the 3 policies selects it",  # English
    "spec.ingress[0].from[0].ipBlock.cidr: invalid CIDR [.inf]",
    "2024-01-02T10:00:00+00:00 is no date",
    "infinite, info, nanny and a NoneType-free line",
    "expected an operator after label 's', found ',' at position 1 in 's,)'",  # the user's text, quoted
    "unterminated string (no closing \") at position 1 in '{\"{is)&,)(n='",  # a quote alone in prose
    "unterminated string (no closing ') at position 0 in \"'|((,)\"",
])
def test_legitimate_text_is_no_python_words(text):
    assert not python_shapes(text), python_shapes(text)


def _from_k8sviz(source: str, name: str):
    """A function compiled as if it were in k8sviz/fake.py: what it raises is k8sviz's message."""
    scope: dict[str, object] = {"InputError": InputError, "LoadWarning": LoadWarning, "Report": Report,
                                "QueryError": QueryError, "warnings": warnings, "FlowWarning": FlowWarning}
    exec(compile(source, str(PACKAGE / "fake.py"), "exec"), scope)
    return scope[name]


@pytest.mark.parametrize(("code", "kind"), [
    ("QueryError(f'no port {v}')", "error"),
    ("LoadWarning('x', f'no port {v}', 'f.yaml', 'Pod/a/b')", "load-warning"),
    ("Report().problem('malformed', 'f.json', 1, f'no port {v}')", "flow-problem"),
    ("[warnings.warn(f'no port {v}', FlowWarning, stacklevel=2) for _ in (1,)]", "warning"),
])
def test_the_net_keeps_each_kind_of_message(code, kind):
    said = _from_k8sviz(f"def said(v):\n    {code}\n", "said")
    start = len(_SEEN)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        said(None)
    kept = _SEEN[start:]
    del _SEEN[start:]
    # a comprehension's frame is its function's place
    assert kept == [Message(kind, "no port None", ("fake.py", "said"))]


def test_the_net_keeps_a_message_k8sviz_writes_and_names_its_place(request):
    code = "def bad(v):\n    return InputError(f'invalid port {v}', source='f.yaml', obj='Pod/a/b')\n"
    bad = _from_k8sviz(code, "bad")
    start = len(_SEEN)
    bad([True, None])
    InputError("a test's own words: [True]")  # not k8sviz's: not kept
    kept = _SEEN[start:]
    del _SEEN[start:]  # read here, not by this test's teardown
    # the message alone: the file and object are names as written
    assert kept == [Message("error", "invalid port [True, None]", ("fake.py", "bad"))]
    (said,) = _messages_in_python_words(request.node, kept)
    assert said.startswith("k8sviz/fake.py (bad), error: invalid port [True, None]"), said


def test_the_net_passes_a_python_callers_own_words(request):
    kept = [Message("error", "segmentation_heatmap: title must be a str or None, got list",
                    ("_checks.py", "require_title"))]
    assert _messages_in_python_words(request.node, kept) == []


def test_each_python_words_site_is_still_there():
    """An entry left behind when its function went would let a new message in unseen."""
    for file, fn in PYTHON_WORDS_SITES:
        tree = ast.parse((PACKAGE / file).read_text(encoding="utf-8"))
        assert fn in {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}, (file, fn)


def test_a_message_built_in_a_k8sviz_classs_init_is_kept():
    """Only the error's own ``__init__`` passes a message on; another class's is its place
    (``Reachability(snap)`` called by a test writes its own warnings)."""
    code = "class Made:\n    def __init__(self, v):\n        QueryError(f'no port {v}')\n"
    made = _from_k8sviz(code, "Made")
    start = len(_SEEN)
    made(None)
    kept = _SEEN[start:]
    del _SEEN[start:]
    assert kept == [Message("error", "no port None", ("fake.py", "__init__"))]


@pytest.mark.parametrize(("argv", "read"), [
    (["gaps", "x.json"], True),
    (["gaps", "x.json", "--format", "md"], True),
    (["explain", "x.json", "a/b", "c/d"], True),
    (["info", "--demo"], True),
    (["gaps", "x.json", "--format", "json"], False),
    (["gaps", "x.json", "--format=csv"], False),
    (["report", "--demo", "-o", "-"], False),
    (["snapshot", "--demo", "--output=-"], False),
    (["report", "--demo", "-o", "r.html"], True),  # its notes, not the page (read as a report)
    (["gaps", "x.json", "--form", "json"], False),  # a prefix, as argparse takes it
])
def test_the_net_reads_what_the_cli_prints_for_a_person(argv, read):
    from tests.message_net import _for_a_person

    assert _for_a_person(argv) is read


def test_the_net_reads_a_cli_tables_cells_as_k8sviz_shows_them_not_the_users_names(capsys):
    from k8sviz.cli import main

    start = len(_SEEN)
    assert main(["policies", "--demo"]) == 0
    kept = _SEEN[start:]
    del _SEEN[start:]
    out = capsys.readouterr().out
    assert "default-deny-all" in out
    cells = [m.text for m in kept if m.kind == "cli-table"]
    assert {m.site for m in kept if m.kind == "cli-table"} == {("commands/gaps.py", "emit")}
    # the inventory's "evaluated" column said True, Python's word, where the report says yes
    assert "yes" in cells and "True" not in out.split()
    assert "default-deny-all" not in cells  # a name as the user wrote it: data, not read
    assert not [m for m in kept if m.kind == "cli-stdout"]  # the table's lines are not read again
    start = len(_SEEN)
    assert main(["info", "--demo"]) == 0
    kept = _SEEN[start:]
    del _SEEN[start:]
    capsys.readouterr()
    lines = [m for m in kept if m.kind == "cli-stdout"]
    assert lines[0] == Message("cli-stdout", "cluster       demo-boutique", ("commands/info.py", "run"))


def test_the_net_reads_a_reports_text_by_section_not_its_scripts():
    from tests.message_net import report_texts

    page = ('<html><head><style>td{x:None}</style></head><body><p>top</p>'
            '<section id="findings"><table><tr><td>None</td><td>a<wbr>b</td></tr></table>'
            '<script>var x = {"a": True};</script></section><section id="appendix"><p>nan &amp; x</p>'
            '</section></body></html>')
    assert list(report_texts(page)) == [
        (("report/_render.py", "#page"), "top"),
        (("report/_render.py", "#findings"), "None"),
        (("report/_render.py", "#findings"), "ab"),
        (("report/_render.py", "#appendix"), "nan & x"),
    ]


def test_the_net_reads_each_report_page_k8sviz_renders(request):
    import k8sviz

    start = len(_SEEN)
    k8sviz.report(k8sviz.demo(), generated_at="x")
    kept = [m for m in _SEEN[start:] if m.kind == "report-html"]
    del _SEEN[start:]
    sections = {m.site for m in kept}
    assert {("report/_render.py", "#findings"), ("report/_render.py", "#summary")} <= sections
    # a cell in Python's words is named by its section
    cell = Message("report-html", "True", ("report/_render.py", "#flows"))
    said = _messages_in_python_words(request.node, [cell])
    assert said == ["k8sviz/report/_render.py (#flows), report-html: True  <- ['True']"]
