"""Helpers shared by subcommands."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..model import LoadWarning
    from ..snapshot import Snapshot


def add_inputs(p: argparse.ArgumentParser, *, demo: bool = True) -> None:
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="kubectl dumps, manifests, directories or k8sviz snapshot files",
    )
    if demo:
        p.add_argument("--demo", action="store_true", help="use the bundled demo cluster")
    p.add_argument(
        "--cluster", metavar="NAME",
        help="name of the cluster (default: from a snapshot file, else 'unnamed'; with --demo, demo-boutique)"
        if demo else "name of the cluster (default: from a snapshot file, else 'unnamed')",
    )


#: ``--format``'s values, in the one order every command's ``--help`` lists them (a command
#: taking fewer lists its own in this order too).
FORMATS = ("txt", "csv", "json", "md")
#: ``--format``'s help wherever csv is one: what its cells are.
FORMAT_HELP = (
    "output format (default txt); csv writes cells as k8sviz.notebook.to_csv and the report's CSV files do: "
    "lists joined with ', ', mappings as key=value, times in ISO 8601, a cell a spreadsheet would run as a "
    "formula prefixed with '"
)

#: ``--level``'s values, finest first, in every command that has it.
LEVELS = ("pod", "workload", "namespace")

# The options below are declared by several commands; each is declared here once so that its
# placeholder and wording are the same in every --help (tests/test_cli_options.py holds them).


def add_format_option(p: argparse.ArgumentParser, formats: Sequence[str] = FORMATS) -> None:
    """``--format``, default txt, its values in the order of :data:`FORMATS`."""
    choices = tuple(f for f in FORMATS if f in formats)
    p.add_argument("--format", choices=choices, default="txt",
                   help=FORMAT_HELP if "csv" in choices else "output format (default txt)")


def add_level_option(p: argparse.ArgumentParser, levels: Sequence[str] = ("pod", "workload"), *,
                     default: str | None = "workload", note: str = "") -> None:
    """``--level``: the granularity of the endpoints (rows, edge ends), default workload;
    ``default`` None lets ``run`` tell a --level given from one left out (it still means
    workload)."""
    choices = tuple(level for level in LEVELS if level in levels)
    p.add_argument("--level", choices=choices, default=default,
                   help=f"endpoint granularity (default workload{note})")


def add_zones_option(p: argparse.ArgumentParser, use: str, *, demo: str = "") -> None:
    """``--zones FILE``: a zones YAML file, for ``use``; ``demo``: what ``--demo`` does without
    it."""
    tail = f"; {demo}" if demo else ""
    p.add_argument("--zones", metavar="FILE", help=f"zones file (YAML): {use}{tail}")


#: With ``--demo`` and no ``--zones``/``--flows``: the demo's (gaps, segmentation, paths, report).
DEMO_USES_ITS_OWN = "--demo uses the demo's unless this is given"


def add_flows_option(p: argparse.ArgumentParser) -> None:
    """``--flows FLOWS...``: flow logs, as ``k8sviz flows`` takes them (its FLOWS)."""
    p.add_argument(
        "--flows", nargs="+", action="extend", metavar="FLOWS",
        help="flow log files or directories (Hubble, Calico or Goldmane JSON, CSV); repeatable; "
             f"{DEMO_USES_ITS_OWN}",
    )


def add_today_option(p: argparse.ArgumentParser) -> None:
    """``--today``: the date zone exceptions' expiry is judged on."""
    p.add_argument("--today", metavar="YYYY-MM-DD",
                   help="judge exception expiry on this date (default: the snapshot's collected_at)")


def add_ipblocks_option(p: argparse.ArgumentParser) -> None:
    """``--ipblocks-match-pods``, in every command that evaluates the policies."""
    p.add_argument("--ipblocks-match-pods", action="store_true", help="let ipBlocks match pod IPs too")


#: ``-o -``: the Unix convention for standard output.
STDOUT = "-"


def add_output(p: argparse.ArgumentParser, what: str, *, default: str | None = None,
               required: bool = False, terminal: bool = True) -> None:
    """The ``-o/--output FILE`` option of a command that writes ``what``, with its conventions
    (see :func:`check_output`) in its help; ``terminal`` false: ``-o -`` is refused on a
    terminal (give :func:`check_output` the output's name)."""
    if default is not None:
        where = f"default: {default}; "
    elif required:
        where = ""
    else:
        where = "default: standard output; "
    dash = "- for standard output" if terminal else "- for standard output, if not a terminal"
    p.add_argument(
        "-o", "--output", default=default, required=required, metavar="FILE",
        help=f"{what} ({where}{dash}; missing directories are created and named on stderr)",
    )


def check_output(path: str | None, *, not_to_terminal: str | None = None) -> None:
    """An InputError unless ``path`` (an ``-o`` value; ``-`` and None are standard output) can
    be written as a file: checked before the inputs are read, as a report or a live snapshot
    can take minutes to build and would be lost.

    Missing directories are created when the file is written, as the library's writers create
    them, and named on stderr then (:func:`creating`: a mistyped ``-o reprots/r.html`` is seen);
    one that cannot be created, or a file where a directory belongs, is an error now (see
    :func:`k8sviz._files.output_problem`).  With ``not_to_terminal`` (the output's name, ``"the
    report"``), ``-o -`` onto a terminal is an error too, as in ``gzip``: megabytes of HTML or
    JSON on the screen are read by nobody and bury what was on it.
    """
    from ..errors import InputError

    if path == STDOUT and not_to_terminal and sys.stdout.isatty():
        msg = f"refusing to write {not_to_terminal} to a terminal: redirect it (> FILE) or give -o FILE"
        raise InputError(msg)
    if path is None or path == STDOUT:
        return

    from .._files import output_problem

    problem = output_problem(path)
    if problem:
        raise InputError(problem)


def check_inputs(**given: str | list[str] | None) -> None:
    """An InputError naming the first path of an option (``zones="z.yaml"``, ``flows=[...]``)
    that names nothing: checked before anything is read, as :func:`check_output` is, since the
    PATHs (a large dump) and the flow logs are read first and a mistyped ``--zones`` or
    ``--baseline`` was said only once they were; a ``zones`` file is also parsed (a ZoneError
    for one that cannot be used). Keyword ``x_y`` is option ``--x-y``; ``BEFORE`` and ``AFTER``
    (upper case) are positional."""
    from .._checks import is_input_dir
    from ..errors import InputError

    for name, value in given.items():
        option = name if name.isupper() else "--" + name.replace("_", "-")
        for path in [value] if isinstance(value, str) else value or ():
            try:
                is_input_dir(path)
            except InputError as e:
                raise InputError(f"{e.message} ({option})", source=e.source) from None
    zones = given.get("zones")
    if isinstance(zones, str):
        # Read here too (it is small, and needs no snapshot): a mistyped zone name or port in
        # it was said only once the dump, and for gaps the flow logs, had been read.
        from ..analysis.zones import load_zones

        load_zones(zones)


def write_text(path: str | None, text: str, *, rows: bool = False) -> None:
    """``text`` to the ``-o`` file ``path`` (UTF-8), or to standard output for ``-`` or None.

    The file is replaced atomically (:func:`k8sviz._files.atomic_write`), as ``snapshot`` and
    ``report`` do: a plain ``open()`` truncates first, so a run stopped half-way (a full disk,
    Ctrl-C) left a shorter file that looks like a complete answer.

    With ``rows`` (a txt list, one row a line), a line wider than the terminal that standard
    output is breaks within it (:func:`k8sviz.commands.gaps.wrapped_lines`), as the other
    commands' txt tables wrap their cells; a file or pipe gets ``text`` as it is.
    """
    if path is None or path == STDOUT:
        if rows:
            from .gaps import terminal_columns, wrapped_lines

            width = terminal_columns(sys.stdout)
            if width is not None:
                text = wrapped_lines(text, width)
        sys.stdout.write(text)
        return
    from pathlib import Path

    from .._files import atomic_write

    with creating(path), writing(path):
        atomic_write(Path(path), text.encode("utf-8"))


@contextlib.contextmanager
def creating(path: str | None) -> Iterator[None]:
    """Around the write of the ``-o`` file ``path``: once it is written, name on stderr the
    directories it created (``k8sviz: created the directory reprots``), as ``mkdir -pv`` does,
    so a mistyped one is seen rather than holding the evidence where nobody looks."""
    if path is None or path == STDOUT:
        yield
        return
    import os

    from .._files import missing_directories

    missing = missing_directories(path)
    yield
    made = [d for d in missing if os.path.isdir(d)]
    if made:
        print(f"k8sviz: created the director{'y' if len(made) == 1 else 'ies'} {', '.join(made)}",
              file=sys.stderr)


@contextlib.contextmanager
def writing(path: str) -> Iterator[None]:
    """Name the ``-o`` file in an error writing it that names no file: a full disk raised "No
    space left on device" alone (a write names none), where an open says "File too large: out.txt"."""
    try:
        yield
    except OSError as e:
        if e.filename is not None or isinstance(e, BrokenPipeError):
            raise
        raise OSError(e.errno, e.strerror or str(e), path) from None


def to_stdout(data: bytes) -> None:
    """``data`` on standard output as they are (no newline translation, no re-encoding)."""
    sys.stdout.flush()  # anything written as text before goes first
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def swallowed(option: str, values: list[str] | None, positional: str) -> str:
    """What to add to "give at least one <positional>" when ``option``, which takes one or
    more values, took the positional ones too (``gaps --flows f.gz snap.json``); "" otherwise.

    argparse cannot tell where such an option's values end, and its own error names only the
    missing positional, which the user did give.
    """
    if not values or len(values) < 2:
        return ""
    return (f": {option} takes one or more paths and took every one after it ({', '.join(values)}); "
            f"put {option} after the {positional}, or end its paths with -- (then give every other "
            "option before it)")


def load_inputs(args: argparse.Namespace, *, say_warnings: bool = True) -> Snapshot:
    """The snapshot of the command's PATHs (and ``--demo``).  Its load warnings (objects
    skipped or changed, files not read) are summed up on stderr, one line, unless
    ``say_warnings`` is false (``info``, which lists them itself)."""
    from ..errors import InputError
    from ..snapshot import load
    from ..sources.demo import demo_path

    paths = list(args.paths)
    if getattr(args, "demo", False):
        paths.append(str(demo_path("cluster")))
        args.cluster = args.cluster or "demo-boutique"
    if not paths:
        msg = "give at least one PATH (or --demo)" + swallowed("--flows", getattr(args, "flows", None),
                                                               "PATHs")
        raise InputError(msg)
    snap = load(*paths, cluster=args.cluster)
    if say_warnings and snap.warnings:
        say_load_warnings(snap, paths)
    return snap


def say_load_warnings(snap: Snapshot, paths: list[str], what: str = "the input") -> None:
    """One stderr line: how many load warnings, the first, and how to list them all.

    ``what`` names the input where a command reads more than one (``diff``'s BEFORE and AFTER)."""
    import shlex

    from .._text import counted

    n = len(snap.warnings)
    first = str(snap.warnings[0]).replace("\n", " ")
    if len(first) > 300:
        first = first[:299] + "…"
    listing = "k8sviz info " + " ".join(shlex.quote(p) for p in paths) + " --warnings all"
    print(f"k8sviz: warning: {counted(n, 'load warning')} while reading {what}"
          f"{', the first' if n > 1 else ''}: {first} (`{listing}` lists {'them' if n > 1 else 'it'})",
          file=sys.stderr)


#: ``--warnings summary``: the warnings printed per code before the rest of the code are counted.
WARNINGS_PER_CODE = 3
#: ``--warnings summary``: a warning line longer than this is cut (one can list thousands of names).
WARNING_LINE_MAX = 1000

#: What ``--warnings`` governs and what it leaves, in every ``--help`` that has it.
WARNINGS_SCOPE = (
    "The loader's warnings are one line per input whatever this says (their count, the first, "
    "and the k8sviz info command that lists them); a warning about flow logs or a zones file is "
    "one line each."
)


def add_warnings_option(p: argparse.ArgumentParser) -> None:
    """The ``--warnings`` option of a command that evaluates the policies: ``summary``, ``all``
    or a count, as ``info``'s takes them (see :func:`warnings_choice`)."""
    p.add_argument(
        "--warnings", default="summary", metavar="{summary,all,N}",
        help="the policy engine's caveats on stderr: at most N lines per warning code (codes in the "
             "order first seen), then a count of the rest of that code, so no code is hidden behind "
             f"another's (0: only a count per code; summary, the default: {WARNINGS_PER_CODE}), or every "
             f"one (all). {WARNINGS_SCOPE}",
    )


def per_code(how: str | int) -> int | None:
    """The lines per warning code a ``--warnings`` value (from :func:`warnings_choice`) shows,
    None for every one: ``summary`` is :data:`WARNINGS_PER_CODE`, N is N.

    Per code rather than the first N in order: one code raised per policy rule
    (``ipblock-covers-pods``) filled the N lines, and a code of one warning after them
    (``policies-not-evaluated``) was said only as "and 200 more warnings"."""
    if how == "all":
        return None
    return WARNINGS_PER_CODE if how == "summary" else int(how)


def warnings_choice(value: str | int) -> str | int:
    """A ``--warnings`` value, every command alike: ``"summary"``, ``"all"`` (any case) or a
    count of 0 or more; anything else an InputError of one line (argparse's is a usage block).
    ``info`` and the commands that evaluate the policies took different values."""
    from ..errors import InputError

    if isinstance(value, int):
        return value
    word = value.strip().lower()
    if word in ("summary", "all"):
        return word
    try:
        n = int(word)
    except ValueError:
        n = -1
    if n < 0:
        from .._text import as_written

        msg = f"--warnings takes summary, all or a count of 0 or more, not {as_written(value)}"
        raise InputError(msg)
    return n


def say_engine_warnings(warnings: Sequence[LoadWarning], how: str | int = "summary",
                        prefixes: Sequence[str] | None = None) -> None:
    """The policy engine's warnings (``reach.warnings``) on stderr, one ``k8sviz: warning:`` line
    each, after its prefix in ``prefixes`` (``diff``'s ``before: ``), if given; a line said
    already is not said again.

    ``how`` ``"all"`` prints every one in order.  Otherwise (a count N, or ``"summary"`` for
    :data:`WARNINGS_PER_CODE`, see :func:`per_code`) they are grouped by code, codes in the
    order first seen, and the first N of each are printed, then a count of the rest of that
    code: a big cluster raises one ``ipblock-covers-pods`` warning per policy rule, and hundreds
    of the same caveat buried the answer.  The lines printed but with ``"all"`` keep their
    text, cut at :data:`WARNING_LINE_MAX` characters and on one line.
    """
    limit = per_code(warnings_choice(how))
    unique: dict[str, LoadWarning] = {}  # line -> its warning, in order: a line twice says nothing more
    for i, w in enumerate(warnings):
        unique.setdefault(f"k8sviz: warning: {'' if prefixes is None else prefixes[i]}{w}", w)
    if limit is None:
        for line in unique:
            print(line, file=sys.stderr)
        return
    from .._text import counted

    by_code: dict[str, list[str]] = {}
    for line, w in unique.items():
        by_code.setdefault(w.code, []).append(line)
    for code, lines in by_code.items():
        for line in lines[:limit]:
            print(_one_line(line), file=sys.stderr)
        rest = len(lines) - limit
        if rest <= 0:
            continue
        them = "them" if rest > 1 else "it"
        if limit:
            print(f"k8sviz: warning: ... and {counted(rest, f'more [{code}] warning')} like these "
                  f"(--warnings all lists {them})", file=sys.stderr)
        else:
            print(f"k8sviz: warning: {counted(rest, f'[{code}] warning')} (--warnings all lists {them})",
                  file=sys.stderr)


def _one_line(line: str) -> str:
    """``line`` on one line (a name from the input may hold a newline) and at most
    :data:`WARNING_LINE_MAX` characters, saying where it was cut."""
    line = line.replace("\n", " ")
    if len(line) <= WARNING_LINE_MAX:
        return line
    tail = "… (cut; --warnings all prints it whole)"
    return line[:WARNING_LINE_MAX - len(tail)] + tail
