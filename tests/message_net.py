"""A net under every test: no message k8sviz writes shows a value in Python's words.

``tests/test_text.py`` scans the source for ``!r`` and ``repr()``; it cannot see a list, a
boolean or None put into a message by a plain ``{value}``, ``str(value)`` or ``%s``, which
shows ``[True, None]`` where the user wrote ``[true, null]``.  Those are found here by what the
messages say while the tests run, not by how the code reads.

Design:

* **Where messages are caught.**  A session-scoped autouse fixture wraps the constructors of the
  messages k8sviz writes: ``K8svizError.__init__`` (every error: InputError, PolicyError,
  ZoneError, QueryError, LiveError, ReportError...), ``LoadWarning.__init__``, ``warnings.warn``
  (FlowWarning and the others), the flow loaders' ``Report.problem`` (``df.attrs``' problems),
  and the CLI's standard error (its warnings and notes).  Each message is kept with the place in
  k8sviz that wrote it (file, function: the first frame that is no ``__init__`` passing it on
  nor a comprehension).  Messages a test builds itself are not k8sviz's and are not kept.
* **What is printed and rendered.**  What the CLI prints for a person on standard output (not
  ``--format json/csv``, not ``-o -``) is read line by line, kept with the function that wrote
  it (``explain``'s text, ``info``'s summary, notes).  A command's table (``--format txt`` or
  ``md``) is read cell by cell as ``commands/gaps.py``'s ``_cell`` shows each value, not as
  lines, so that the user's data is not read as k8sviz's words: a str cell is a name or label as
  the user wrote it (a pod may be called ``None``) unless it holds words (a finding's detail),
  and any other value is shown by k8sviz (``True`` was its word for yes).  Every report page
  ``k8sviz.report`` renders is read too, each text of the page (no scripts: Plotly's figures
  and the CSV downloads are data) with the id of the section holding it (``#flows``), the place
  an allow-list names.
* **Which tests.**  Every test, not a list of bad-input ones: most of the suite feeds malformed
  input somewhere (a list kept by hand would miss the next file), and a message is judged the
  same whichever test makes k8sviz write it.  What may say Python's words is decided by the
  place that writes it (below), not by the test.
* **What counts as Python's words.**  Shapes :func:`k8sviz._text.as_written` never writes:
  ``True``/``False``/``None`` as words (YAML and JSON write ``true``/``false``/``null``), a
  bytes literal, ``nan``/``inf`` (``.nan``/``.inf``), a one-item tuple's ``,)``, ``<class ...>``,
  ``object at 0x``, a traceback, Python's exception names and words ("object is not iterable"),
  numpy's, pandas' and the standard library's reprs.  A list of strings is no such shape:
  ``['a', 'b']`` is as_written's house style too (strings quoted as repr quotes them), so str()
  and as_written agree there, and only the length cut differs.
* **What is not a regression.**  Text the user wrote where it stands as a name: the file and
  object of an InputError or LoadWarning (``Pod/shop/None`` is a pod named ``None``) are left
  out and only the message is read; a quoted string (``'None'``, ``'s,)'``) is as_written's
  quoting of what the user wrote, and is not read.  ``None of ...`` is English, and
  ``name=True`` a Python keyword argument told to a Python caller.  The places where a Python
  caller passed a Python object of the wrong type (``level=None``: "got None" is right there)
  are skipped: those ``tests/test_text.py`` allows by name (:data:`~tests.test_text.REPR_SITES`,
  :data:`~tests.test_text.PYTHON_ARGUMENT_SITES`) and :data:`PYTHON_WORDS_SITES`, which also
  holds a library's failure named in its own words.
* **When it fails.**  A ``pytest_runtest_teardown`` hook reads each test's messages after its
  teardown (a hook, not a function-scoped fixture: Hypothesis refuses one around a ``@given``
  test), and fails the test there, naming the message, the shape found and the place in k8sviz
  that wrote it.  A test that means to see such a message (none does today) marks itself
  ``@pytest.mark.python_words``.  With ``K8SVIZ_MESSAGE_LOG=FILE`` set, what it finds is
  appended to FILE instead (test, place, message), to survey a run without stopping it.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "k8sviz"

#: Shapes of Python's own spelling of a value, which as_written never writes.
PYTHON_SHAPES = re.compile(
    # YAML's true/false/null; not a quoted name, nor a Python keyword argument
    # ("ipblocks_match_pods=True" tells a Python caller what to pass), nor English ("None of")
    r"(?<![\w'\"/.=\-])(?:True|False|None)(?![\w'\"/\-]| of\b)"
    # a bytes literal (as_written writes !!binary): b'' or one with an escape, since a quoted
    # text ending in "b" ('a == b') reads the same as b'... otherwise
    r"|(?<![\w'\"])b(?:''|\"\"|'[^']*\\x[0-9a-f]{2}|\"[^\"]*\\x[0-9a-f]{2})"
    r"|(?<![\w.'\"\-])-?(?:nan|inf)(?![\w'\"])"  # .nan / .inf as YAML writes them
    r"|,\)"  # a one-item tuple
    r"|<class '|\bobject at 0x|Traceback \(most recent call last\)"
    r"|\b(?:Key|Type|Attribute|Overflow|Value|Index|Recursion|ZeroDivision|Unicode\w*)Error\b"
    r"|object has no attribute|object is not (?:iterable|subscriptable)|unhashable type"
    r"|\bnp\.\w+\(|\bnumpy\.\w+|\bnp\.(?:True|False)_"  # numpy's scalars
    r"|\bTimestamp\('|\bTimedelta\('|\bdatetime\.\w+\(|\b(?:Posix|Windows)?Path\('"
    r"|\bfrozenset\(|\bset\(\)|\bdict_(?:keys|values|items)\(|\bmappingproxy\("
)


@dataclass(frozen=True)
class Message:
    """One message k8sviz wrote: ``kind`` (error, load-warning, warning, flow-problem, cli),
    the text judged, and the (file under k8sviz/, function) that wrote it."""

    kind: str
    text: str
    site: tuple[str, str]


_SEEN: list[Message] = []


#: A string as as_written (and repr) quotes it: what the user wrote, which may hold any text
#: (a selector of ``s,)``, a label value ``None``), so it is not read for shapes.  An apostrophe
#: inside a word ("Calico's") opens none.
_QUOTED = (re.compile(r"(?<!\w)'(?:[^'\\\n]|\\.)*'(?!\w)"), re.compile(r'(?<!\w)"(?:[^"\\\n]|\\.)*"(?!\w)'))


def python_shapes(text: str) -> list[str]:
    """The Python-literal shapes in ``text``, outside the strings it quotes.

    Quotes are paired both ways, single quotes first and double quotes first, and the fewer
    shapes found is the answer: prose may show a quote character alone (``no closing "``) and
    pair with one of a quoted text, and one of the two ways pairs them as written.
    """
    found = []
    for first, then in (_QUOTED, _QUOTED[::-1]):
        bare = then.sub("''", first.sub("''", text))
        found.append([m.group(0) for m in PYTHON_SHAPES.finditer(bare)])
    return min(found, key=len)


#: Frames named for no function of the source (before Python 3.12 a comprehension has its own).
_INNER = frozenset({"<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>"})


def _site(depth: int, made: object = None) -> tuple[str, str] | None:
    """(file, function) of the first frame of k8sviz above ``depth`` that is neither ``made``'s
    own ``__init__`` (a subclass's, passing its message on) nor a comprehension; None when a
    test (not k8sviz) wrote the message."""
    frame = sys._getframe(depth + 1)
    while frame is not None:
        code = frame.f_code
        passing_on = code.co_name in _INNER or (
            made is not None and code.co_name == "__init__" and frame.f_locals.get("self") is made)
        if not passing_on or not Path(code.co_filename).is_relative_to(PACKAGE):
            break
        frame = frame.f_back
    if frame is None or not Path(frame.f_code.co_filename).is_relative_to(PACKAGE):
        return None
    return Path(frame.f_code.co_filename).relative_to(PACKAGE).as_posix(), frame.f_code.co_name


def _keep(kind: str, text: object, depth: int, made: object = None) -> None:
    site = _site(depth + 1, made)
    if site is not None:
        _SEEN.append(Message(kind, str(text), site))


#: Places that say Python's words on purpose besides those ``tests/test_text.py`` lists (which
#: hold a ``repr`` or a ``type(x).__name__``): (file, function).
PYTHON_WORDS_SITES = {
    # A Python caller's argument: title= "must be a str or None, got list".
    ("_checks.py", "require_title"),
    # A library failing inside itself, named as it raised it: the kubernetes client in a removed
    # auth-provider ("AttributeError: 'NoneType' object has no attribute 'token'").
    ("sources/live.py", "_api_client"),
}


def _as_given_sites() -> set[tuple[str, str]]:
    """(file, function) of every function of the package that calls ``as_given``: it answers a
    Python caller about an argument, in Python's words on purpose (``or None, not True``)."""
    import ast

    import k8sviz

    package = Path(k8sviz.__file__).parent
    sites = set()
    for path in package.rglob("*.py"):
        rel = path.relative_to(package).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id == "as_given"
                for c in ast.walk(node)
            ):
                sites.add((rel, node.name))
    return sites


@functools.cache
def _allowed_sites() -> frozenset[tuple[str, str]]:
    from tests.test_text import PYTHON_ARGUMENT_SITES, REPR_SITES

    return (frozenset(PYTHON_ARGUMENT_SITES) | {(f, fn) for f, fn, _ in REPR_SITES} | PYTHON_WORDS_SITES
            | _as_given_sites())


#: Where the commands' tables (``--format txt`` and ``md``) are written: their cells are read
#: one by one, as k8sviz shows each value, not as lines holding the user's names.
_TABLE = ("commands/gaps.py", "emit")

#: --format values whose output is data in its own format's words (JSON, CSV, YAML, HTML), not
#: text for a person.
_MACHINE_FORMATS = frozenset({"json", "csv", "yaml", "html", "jsonl", "ndjson"})


def _for_a_person(argv: Any) -> bool:
    """Whether the command ``argv`` prints text for a person on standard output: a table as
    text or Markdown, explain's text, notes; not a machine format, nor a file (a report, a
    snapshot) written to ``-o -``."""
    args = list(argv or ())
    for i, a in enumerate(args):
        name = a.split("=", 1)[0]
        value = a.split("=", 1)[1] if "=" in a else (args[i + 1] if i + 1 < len(args) else "")
        # argparse takes an option's prefix too (--form json)
        if len(name) > 3 and "--format".startswith(name) and value.lower() in _MACHINE_FORMATS:
            return False
        if (name == "-o" or (len(name) > 3 and "--output".startswith(name))) and value == "-":
            return False
    return True


#: What a report page shows as text: each element's text, without scripts and styles (code and
#: data: Plotly's figures, the CSV downloads), with the id of the section that holds it.
_HIDDEN = re.compile(r"<(script|style|template)\b.*?</\1>", re.S | re.I)
_SECTION = re.compile(r'<section\b[^>]*\bid="([^"]+)"', re.I)


def report_texts(page: str) -> Iterator[tuple[tuple[str, str], str]]:
    """((file, place), text) of each text of a report page, its place the section that holds it
    (``#findings``): the page is one template, and its sections are what the allow-lists name."""
    import html

    visible = _HIDDEN.sub("", page).replace("<wbr>", "")
    starts = [(m.start(), m.group(1)) for m in _SECTION.finditer(visible)]
    for m in re.finditer(r">([^<]+)<", visible):
        text = html.unescape(m.group(1)).strip()
        if not text:
            continue
        section = "page"
        for at, name in starts:
            if at > m.start():
                break
            section = name
        yield ("report/_render.py", f"#{section}"), text


@pytest.fixture(scope="session", autouse=True)
def _message_constructors() -> Iterator[list[Message]]:
    """Wrap the constructors of k8sviz's messages for the session; see the module's docstring."""
    import k8sviz.cli as cli
    import k8sviz.commands.gaps as table_module
    import k8sviz.report as report_module
    from k8sviz.errors import InputError, K8svizError
    from k8sviz.flows._table import Report
    from k8sviz.model import LoadWarning

    base_init = K8svizError.__init__
    load_warning_init = LoadWarning.__init__
    problem = Report.problem
    warn = warnings.warn
    cli_main = cli._main
    render = report_module.render
    table_cell = table_module._cell

    def error_init(self: K8svizError, *args: Any, **kwargs: Any) -> None:
        base_init(self, *args, **kwargs)
        # An InputError's file and object are names as written; its message is k8sviz's.
        text = self.message if isinstance(self, InputError) and hasattr(self, "message") else str(self)
        _keep("error", text, 1, self)

    def load_warning(self: LoadWarning, *args: Any, **kwargs: Any) -> None:
        load_warning_init(self, *args, **kwargs)
        _keep("load-warning", self.message, 1)

    def report_problem(self: Report, kind: str, file: str, line: int | None, message: str,
                       **kwargs: Any) -> None:
        _keep("flow-problem", message, 1)
        problem(self, kind, file, line, message, **kwargs)

    def warn_wrapper(message: Any, category: Any = None, stacklevel: int = 1, *args: Any,
                     **kwargs: Any) -> None:
        _keep("warning", message, 1)
        warn(message, category, stacklevel + 1, *args, **kwargs)  # this wrapper is one frame more

    def main_wrapper(argv: Any) -> int:
        class Tee:
            def __init__(self, stream: Any) -> None:
                self.stream = stream

            def write(self, text: str) -> int:
                for line in text.splitlines():
                    # An error or warning was read when it was built, without its file and
                    # object (names as written), which the line prints: the CLI's own notes here.
                    if line.strip() and not line.startswith(("k8sviz: error: ", "k8sviz: warning: ")):
                        _SEEN.append(Message("cli", line, ("cli.py", "main")))
                return self.stream.write(text)

            def __getattr__(self, name: str) -> Any:
                return getattr(self.stream, name)

        class StdoutTee(Tee):
            """What a command prints for a person (tables as text or Markdown, explain's
            text), kept with the place in k8sviz that wrote it; machine formats (JSON, CSV,
            YAML, HTML) are data in their own words and are not read."""

            def write(self, text: str) -> int:
                site = _site(1)
                if site is not None and site != _TABLE:  # a table's cells are read one by one
                    _SEEN.extend(Message("cli-stdout", line, site) for line in text.splitlines()
                                 if line.strip())
                return self.stream.write(text)

        err, out = sys.stderr, sys.stdout
        sys.stderr = Tee(err)  # type: ignore[assignment]
        if _for_a_person(argv):
            sys.stdout = StdoutTee(out)  # type: ignore[assignment]
        try:
            return cli_main(argv)
        finally:
            sys.stderr, sys.stdout = err, out

    def cell_wrapper(value: Any) -> str:
        text = table_cell(value)
        # A str is the user's data (a name, a label) unless it holds words (a finding's detail:
        # k8sviz's prose); any other value is shown by k8sviz (True was its word for yes).
        if not isinstance(value, str) or len(value.split()) > 1:
            _SEEN.append(Message("cli-table", text, _TABLE))
        return text

    def render_wrapper(data: Any) -> str:
        page = render(data)
        _SEEN.extend(Message("report-html", text, site) for site, text in report_texts(page))
        return page

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(report_module, "render", render_wrapper)
        mp.setattr(table_module, "_cell", cell_wrapper)
        mp.setattr(K8svizError, "__init__", error_init)
        mp.setattr(LoadWarning, "__init__", load_warning)
        mp.setattr(Report, "problem", report_problem)
        mp.setattr(warnings, "warn", warn_wrapper)
        mp.setattr(cli, "_main", main_wrapper)
        yield _SEEN


def _messages_in_python_words(item: pytest.Item, seen: list[Message]) -> list[str]:
    if item.get_closest_marker("python_words"):
        return []
    allowed = _allowed_sites()
    # Each distinct message is read once: a test may make the same few warnings many times
    # (a tampered paged list made 200,000 of 4 texts, 15 s of reading), and what is said is a
    # set of lines anyway.
    shapes = {m: python_shapes(m.text) for m in set(seen) if m.site not in allowed}
    return sorted({f"k8sviz/{m.site[0]} ({m.site[1]}), {m.kind}: {m.text[:300]}  <- {found}"
                   for m, found in shapes.items() if found})


_START = pytest.StashKey[int]()


# Hooks, not a function-scoped fixture: Hypothesis refuses a function-scoped fixture around a
# @given test (its health check), and these hooks see the messages of the test's own fixtures too.
@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item.stash[_START] = len(_SEEN)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Fail the test whose run made k8sviz write a value in Python's words."""
    result = yield
    start = item.stash.get(_START, len(_SEEN))
    seen = _SEEN[start:]
    del _SEEN[start:]
    found = _messages_in_python_words(item, seen)
    if found and os.environ.get("K8SVIZ_MESSAGE_LOG"):
        with open(os.environ["K8SVIZ_MESSAGE_LOG"], "a", encoding="utf-8") as log:
            log.writelines(f"{item.nodeid}\t{line}\n" for line in found)
    elif found:
        pytest.fail("a message shows a value in Python's words; show it with k8sviz._text.as_written "
                    "or say it in words:\n" + "\n".join(found), pytrace=False)
    return result


__all__ = ["PYTHON_SHAPES", "Message", "pytest_runtest_setup", "pytest_runtest_teardown", "python_shapes"]
