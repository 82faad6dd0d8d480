"""The README's promises hold: its quick start runs, its first lines carry the two commands."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_first_lines_hold_the_two_commands():
    commands = re.findall(r"^    \$ (.+)$", README.read_text(), re.M)
    assert commands[0].startswith("pip install . && k8sviz report data/demo/cluster")
    assert commands[1].startswith('pip install -e ".[dev]" && python -m pytest')


def test_quick_start_runs(tmp_path, monkeypatch):
    code = re.search(r"## Quick start\n\n```python\n(.*?)```", README.read_text(), re.S).group(1)
    monkeypatch.chdir(README.parent)
    code = code.replace('output="audit-report.html"', f'output=r"{tmp_path / "r.html"}"')
    ns: dict = {}
    exec(compile(code, "README quick start", "exec"), ns)
    assert ns["reach"].can_reach("shop/frontend", "pci/card-vault", 5432) is False
    assert ns["reach"].explain("shop/checkoutservice", "pci/paymentservice", 50051).allowed
    assert (tmp_path / "r.html").stat().st_size > 100_000


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
