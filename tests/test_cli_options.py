"""An option several subcommands share reads the same in each: one placeholder, its values in one
order, one wording; and README.md and docs/ write it with that placeholder.

A new user read ``--zones FILE`` in gaps and ``--zones Z`` in report, and ``--format`` listed
json, csv, md, txt in connectivity and txt, csv, json, md elsewhere."""

from __future__ import annotations

import argparse
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
    """``--zones FILE`` in README.md and docs/*.md as in --help; a value (``--level pod``), a
    choice list (``--to ZONE|namespace``) or a report page's hint naming the report's inputs
    (``k8sviz gaps CLUSTER... --zones ZONES``) is not a placeholder."""
    shown = _placeholders()
    wrong = []
    for path in (REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "CLUSTER..." in line:
                continue
            for option, word in re.findall(r"(--[a-z][a-z-]*)[ =]([A-Z][A-Z0-9_-]*)\b(?![|a-z])", line):
                if option in shown and word not in shown[option]:
                    wrong.append(f"{path.name}:{number}: {option} {word} (--help: {sorted(shown[option])})")
    assert wrong == []
