"""An option several subcommands share reads the same in each: one placeholder, its values in one
order, one wording; and README.md and docs/ write it with that placeholder.

A new user read ``--zones FILE`` in gaps and ``--zones Z`` in report, and ``--format`` listed
json, csv, md, txt in connectivity and txt, csv, json, md elsewhere."""

from __future__ import annotations

import argparse
import datetime
import html
import re
from pathlib import Path

import pytest

from k8sviz.cli import build_parser

REPO = Path(__file__).resolve().parents[1]

#: Shared names that mean different things per command, so their placeholders differ:
#: explain's --to is an endpoint or address (DST), paths' a zone, namespace or workload (TARGET).
DIFFERENT_MEANINGS = {"--to": {"explain": "DST", "paths": "TARGET"}}

#: Options whose help holds per-command words around a shared part: the shared part.
SHARED_WORDING = {
    "--zones": "zones file (YAML): ",
    "--level": "endpoint granularity (default workload",
    "--output": "missing directories are created and named on stderr)",
    "--cluster": "name of the cluster (default: from a snapshot file, else 'unnamed'",
    # info's counts the loader's warnings, the others the policy engine's
    "--warnings": "at most N ",
    "--from": "namespace/pod",
    # diff's judges both snapshots on it
    "--today": "judge exception expiry on this date (default: ",
}


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def _shared() -> dict[str, dict[str, argparse.Action]]:
    """Long option name -> command -> its action, for the options of two commands or more."""
    found: dict[str, dict[str, argparse.Action]] = {}
    for command, p in _commands().items():
        for action in p._actions:
            if isinstance(action, argparse._HelpAction) or not action.option_strings:
                continue
            found.setdefault(action.option_strings[-1], {})[command] = action
    return {name: per for name, per in found.items() if len(per) > 1}


def _placeholder(action: argparse.Action) -> str:
    """What ``--help`` shows after the option: its metavar, else argparse's default, the
    choices in braces or the dest upper-cased; empty for a flag."""
    if action.nargs == 0:
        return ""
    if action.metavar is not None:
        return str(action.metavar)
    if action.choices is not None:
        return "{" + ",".join(map(str, action.choices)) + "}"
    return action.dest.upper()


def test_the_shared_options_are_the_ones_this_test_knows():
    shared = _shared()
    # a sanity floor: the walk found the options the review was about
    assert {"--zones", "--flows", "--format", "--level", "--today", "--output", "--warnings",
            "--ipblocks-match-pods", "--cluster", "--demo", "--max-hops"} <= set(shared)


@pytest.mark.parametrize("name", sorted(_shared()))
def test_a_shared_option_has_one_placeholder(name):
    per = _shared()[name]
    if name in DIFFERENT_MEANINGS:
        assert {c: _placeholder(a) for c, a in per.items()} == DIFFERENT_MEANINGS[name]
        return
    placeholders = {c: (_placeholder(a) if a.choices is None else "") for c, a in per.items()}
    assert len(set(placeholders.values())) == 1, placeholders
    nargs = {c: a.nargs for c, a in per.items()}
    assert len(set(nargs.values())) == 1, nargs


@pytest.mark.parametrize("name", sorted(_shared()))
def test_a_shared_option_lists_its_values_in_one_order(name):
    """Each command's values are in the order of all of them together (a command may take
    fewer: explain's --format is txt or json, flows' --level also namespace)."""
    per = {c: list(a.choices) for c, a in _shared()[name].items() if a.choices is not None}
    order: list[str] = []
    for values in per.values():
        order += [v for v in values if v not in order]
    for command, values in per.items():
        assert values == [v for v in order if v in values], (command, values, order)
    # and the order is one: the first command's pairs are not reversed by another's
    for a in per.values():
        for b in per.values():
            common = [v for v in a if v in b]
            assert common == [v for v in b if v in a], (name, a, b)


@pytest.mark.parametrize("name", sorted(_shared()))
def test_a_shared_option_has_one_wording(name):
    per = {c: " ".join((a.help or "").split()) for c, a in _shared()[name].items()}
    if name in DIFFERENT_MEANINGS:
        return
    if name in SHARED_WORDING:
        missing = {c: h for c, h in per.items() if SHARED_WORDING[name] not in h}
        assert missing == {}
        return
    if name == "--format":  # the one of csv's cells where csv is a value
        per = {c: h for c, h in per.items() if "csv" in _shared()[name][c].choices}
    assert len(set(per.values())) == 1, per


def _placeholders() -> dict[str, set[str]]:
    """Long option name -> the placeholders --help shows for it (those of every command), with
    each alternative of a ``{summary,all,N}`` one."""
    shown: dict[str, set[str]] = {}
    for p in _commands().values():
        for action in p._actions:
            for option in action.option_strings:
                text = _placeholder(action)
                shown.setdefault(option, set()).update({text, *text.strip("{}").split(",")})
    return shown


def test_the_docs_write_an_option_with_its_placeholder():
    """``--zones FILE`` in README.md and docs/*.md as in --help; a value (``--level pod``) or a
    choice list (``--to ZONE|namespace``) is not a placeholder.  The report's hints the docs
    quote (``k8sviz segmentation CLUSTER... --zones FILE``) too: they were left out, and said
    ``--zones ZONES --today DATE`` where --help says ``--zones FILE --today YYYY-MM-DD``."""
    shown = _placeholders()
    wrong = []
    for path in (REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for option, word in re.findall(r"(--[a-z][a-z-]*)[ =]([A-Z][A-Z0-9_-]*)\b(?![|a-z])", line):
                if option in shown and word not in shown[option]:
                    wrong.append(f"{path.name}:{number}: {option} {word} (--help: {sorted(shown[option])})")
    assert wrong == []


#: A word that stands for a value (``FILE``, ``YYYY-MM-DD``, ``FLOWS...``), not a value itself.
_PLACEHOLDER = re.compile(r"[A-Z][A-Z0-9_-]*(\.\.\.)?")


@pytest.fixture(scope="module")
def report_commands() -> list[str]:
    """Every ``k8sviz ...`` command the demo report shows (flows and zones given), its tables
    cut after a row and its CSV files capped so that each hint that names the rest is written."""
    import warnings

    import k8sviz
    from k8sviz.report import _render

    with pytest.MonkeyPatch.context() as mp:
        for name in ("FINDING_ROWS", "VIOLATION_ROWS", "PATH_ROWS", "APPENDIX_ROWS"):
            mp.setattr(_render, name, 1)
        for name in ("FINDING_CSV_CHARS", "VIOLATION_CSV_CHARS"):
            mp.setattr(_render, name, 1_000)
        for name in ("WARNINGS_SHOWN", "ENGINE_WARNINGS_SHOWN"):
            mp.setattr(_render, name, 0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", k8sviz.FlowWarning)
            page = k8sviz.report(k8sviz.demo(), flows=k8sviz.demo_path("flows"),
                                 zones=k8sviz.demo_path("zones.yaml"), generated_at="x")
    shown = [html.unescape(c) for c in re.findall(r"<code>(k8sviz [a-z][^<]*)</code>", page)]
    # and those the demo has no cause to show (a loader warning, a baseline's changes), as the
    # template writes them
    template = (REPO / "k8sviz" / "report" / "templates" / "report.html.j2").read_text()
    return shown + [html.unescape(c) for c in re.findall(r"<code>(k8sviz [a-z][^<{]*)</code>", template)]


def test_the_reports_hints_write_each_option_as_help_does(report_commands):
    """The report's hints said ``--zones ZONES`` (and ``--to ZONE`` for paths' TARGET) where
    --help says ``--zones FILE``: each option of a command the report shows is one of that
    command's, written with its --help placeholder or with a value it takes."""
    commands = _commands()
    # the hints of the demo's report: the rest of the findings, violations, paths, warnings...
    assert {"gaps", "segmentation", "paths", "connectivity", "isolation", "policies", "info", "diff"} <= {
        c.split()[1] for c in report_commands}, report_commands
    wrong = []
    for command in report_commands:
        words = command.split()
        parser = commands.get(words[1])
        if parser is None:
            wrong.append(f"{command}: no command {words[1]}")
            continue
        options = {o: a for a in parser._actions for o in a.option_strings}
        for i, word in enumerate(words[2:], 2):
            if not word.startswith("-"):
                continue
            action = options.get(word)
            if action is None:
                wrong.append(f"{command}: {words[1]} has no {word}")
                continue
            if action.nargs == 0:
                continue
            value = words[i + 1] if i + 1 < len(words) else ""
            if _PLACEHOLDER.fullmatch(value):
                many = value.endswith("...")
                if value.removesuffix("...") != _placeholder(action) or many != (action.nargs in ("+", "*")):
                    wrong.append(f"{command}: {word} {value} (--help: {word} {_placeholder(action)})")
            elif action.choices is not None and value not in action.choices:  # a value: one it takes
                wrong.append(f"{command}: {word} takes {list(action.choices)}, not {value}")
            elif str(action.metavar).startswith("{"):  # {summary,all,N}: a word of them or a count
                words_ = str(action.metavar).strip("{}").split(",")
                if value not in words_ and not ("N" in words_ and value.isdigit()):
                    wrong.append(f"{command}: {word} takes {action.metavar}, not {value}")
            elif action.metavar == "YYYY-MM-DD":
                try:
                    datetime.date.fromisoformat(value)
                except ValueError:
                    wrong.append(f"{command}: {word} takes a date, not {value}")
            elif action.type is not None and callable(action.type):
                try:
                    action.type(value)
                except (TypeError, ValueError, argparse.ArgumentTypeError):
                    wrong.append(f"{command}: {word} does not take {value}")
    assert wrong == []
