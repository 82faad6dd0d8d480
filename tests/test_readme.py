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
