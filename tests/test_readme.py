"""The README's promises hold: its first lines carry the two commands, its tables are the catalog.

tests/test_docs.py runs its code blocks (the quick start among them) and command lines.
"""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_first_lines_hold_the_two_commands():
    commands = re.findall(r"^    \$ (.+)$", README.read_text(), re.M)
    assert commands[0].startswith("pip install . && k8sviz report data/demo/cluster")
    assert commands[1].startswith('pip install -e ".[dev]" && python -m pytest')


def _shown_commands() -> list[tuple[str, str]]:
    """Every ``k8sviz ...`` line of a code block in the README, docs/*.md and the demo's README."""
    root = README.parent
    found = []
    for path in (README, *sorted((root / "docs").glob("*.md")), root / "data" / "demo" / "README.md"):
        text = path.read_text()
        lines = [line for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S) for line in block.splitlines()]
        lines += re.findall(r"^    \$ (.+)$", text, re.M)
        for line in lines:
            m = re.match(r"\s*(?:.*&& )?k8sviz (.*)", line)
            if m:
                found.append((path.name, m.group(1).split(" #", 1)[0].strip()))
    return found


def test_every_command_line_shown_parses():
    """A user copies these lines: each names a subcommand and options that exist, as given."""
    import shlex

    from k8sviz.cli import COMMANDS, build_parser

    shown = _shown_commands()
    assert len(shown) >= 20  # the README's "From the shell" block alone holds ten
    commands = set()
    for where, line in shown:
        try:
            args = build_parser().parse_args(shlex.split(line))
        except SystemExit:
            raise AssertionError(f"{where}: `k8sviz {line}` does not parse") from None
        commands.add(args.command)
    assert commands == set(COMMANDS)  # every subcommand is shown somewhere


def _findings_table() -> dict[str, dict[str, str]]:
    text = README.read_text()
    block = text.split("Every finding `gaps` can report", 1)[1].split("\n\n", 2)[1]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in block.splitlines()]
    header, rows = rows[0], rows[2:]
    return {r[0].strip("`"): dict(zip(header, r, strict=True)) for r in rows}


def test_findings_table_is_the_catalog():
    """The README's table lists every finding id with its base severity, controls and needs."""
    from k8sviz.analysis.controls import FINDINGS

    table = _findings_table()
    assert set(table) == set(FINDINGS)
    for fid, f in FINDINGS.items():
        row = table[fid]
        assert row["base severity"] == f.severity, fid
        assert set(row["controls"].split(", ")) == set(f.controls), fid
        assert row["needs"] == (f.needs if f.needs in ("zones", "flows") else ""), fid


def test_every_catalogued_finding_is_raised_by_gaps():
    """``gaps`` files rows through ``FINDINGS`` (an unknown id is a KeyError), and names each id
    it raises in its source: an id in the catalog that gaps.py never names is documented but
    never reported."""
    import ast

    import k8sviz.analysis.gaps as gaps_module
    from k8sviz.analysis.controls import FINDINGS

    tree = ast.parse(Path(gaps_module.__file__).read_text())
    literals = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert set(FINDINGS) <= literals


def test_shell_block_shows_every_subcommand():
    """The README's "From the shell" block holds one line per subcommand of the CLI."""
    import shlex

    from k8sviz.cli import COMMANDS

    text = README.read_text()
    block = re.search(r"From the shell.*?```\n(.*?)```", text, re.S).group(1)
    shown = [shlex.split(line.split(" #", 1)[0])[1] for line in block.splitlines() if line.startswith("k8sviz ")]
    assert sorted(shown) == sorted(COMMANDS)


def test_dump_command_lists_what_a_live_snapshot_reads():
    """The README's recommended ``kubectl get`` names every built-in kind a live snapshot lists
    (Ingresses, for one, decide what is exposed outside the cluster)."""
    from k8sviz.sources.live import BUILTIN

    line = re.search(r"^    kubectl get (\S+) -A -o json > cluster.json$", README.read_text(), re.M).group(1)
    assert set(line.split(",")) == {r.plural for r in BUILTIN}
