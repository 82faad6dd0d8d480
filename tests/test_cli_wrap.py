"""``--format txt`` on a terminal: a long cell (a finding's detail) wraps within its column so the
table fits the terminal's width; a file or pipe gets pandas' table as before (scripts parse it).

gaps --demo ran to 246 columns; the detail column was cut at 120 characters with "..."."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from k8sviz.commands.gaps import MIN_COLUMN, wrapped_table

pty = pytest.importorskip("pty")


def _columns(header: str) -> list[tuple[int, int]]:
    """Where each column of a wrapped table's header line starts and ends (names are left
    aligned and hold no spaces)."""
    starts = [i for i, ch in enumerate(header) if ch != " " and (i == 0 or header[i - 1] == " ")]
    return [(s, e - 2) for s, e in zip(starts, [*starts[1:], 10**6], strict=True)]


def _rows(text: str) -> list[list[str]]:
    """Each row of a wrapped table as its cells, the lines of a cell joined with a space."""
    lines = text.split("\n")
    spans = _columns(lines[0])
    blocks: list[list[str]] = [[]]
    for line in lines[1:]:
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [[" ".join(part for line in block if (part := line[s:e].strip())) for s, e in spans]
            for block in blocks if block]


def test_a_long_cell_wraps_within_its_column_and_names_stay_whole():
    detail = ("pci/card-vault-maintenance ingress[0] (all ports) allows from[0] every pod in namespaces "
              "[team=web]: all ports from outside the namespace into sensitive zone")
    flat = pd.DataFrame({
        "name": ["shop/a-rather-long-workload-name", "b"],
        "detail": [detail, "short"],
        "count": ["7", "12"],
    })
    text = wrapped_table(flat, 80, numeric={"count"})
    assert text is not None
    lines = text.split("\n")
    assert max(map(len, lines)) <= 80 and len(lines) > 3
    assert _rows(text) == [["shop/a-rather-long-workload-name", detail, "7"], ["b", "short", "12"]]
    assert "" in lines  # rows of several lines are set apart
    assert lines[-1].endswith("12") and lines[1].endswith(" 7")  # a number column aligned right


def test_a_table_that_cannot_fit_is_left_as_it_is():
    # names are kept whole and text columns are MIN_COLUMN wide at least: this needs more than 60
    flat = pd.DataFrame({"a": ["x" * 50], "b": [" ".join(["word"] * 30)]})
    assert wrapped_table(flat, 60) is None
    assert wrapped_table(flat, 50 + 2 + MIN_COLUMN) is not None


def _k8sviz(args: list[str], *, columns: int, terminal: bool) -> str:
    """The standard output of the command, on a pseudo-terminal or a pipe."""
    env = dict(os.environ, COLUMNS=str(columns))
    cmd = [sys.executable, "-m", "k8sviz", *args]
    if not terminal:
        return subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    master, slave = pty.openpty()
    with subprocess.Popen(cmd, env=env, stdout=slave, stderr=subprocess.PIPE) as proc:
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO once the command has exited and closed its end
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.communicate()
    os.close(master)
    assert proc.returncode == 0
    return b"".join(chunks).decode().replace("\r\n", "\n")  # the terminal's line discipline


def test_gaps_wraps_on_a_terminal_only():
    findings = json.loads(_k8sviz(["gaps", "--demo", "--format", "json"], columns=160, terminal=False))
    shown = _k8sviz(["gaps", "--demo"], columns=160, terminal=True).rstrip("\n")
    assert max(map(len, shown.split("\n"))) <= 160
    rows = _rows(shown)
    assert [r[0] for r in rows] == [f["finding"] for f in findings]
    # each detail whole, not cut at 120 characters ("..."); a word wider than the column is
    # broken inside, so the comparison leaves the spaces out
    assert ["".join(r[4].split()) for r in rows] == ["".join(f["detail"].split()) for f in findings]
    # a pipe gets pandas' table whatever the width says
    piped = _k8sviz(["gaps", "--demo"], columns=160, terminal=False)
    assert max(map(len, piped.split("\n"))) > 160
    assert piped == _k8sviz(["gaps", "--demo"], columns=80, terminal=False)


def test_a_word_of_a_text_column_is_whole_up_to_long_word():
    ids = "allow-all-rule, observed-but-policy-denies, zone-violation"  # a 26-character id
    flat = pd.DataFrame({"control": ["PCI-1.2.8"], "finding_ids": [ids], "title": [" ".join(["word"] * 20)]})
    text = wrapped_table(flat, 60)  # a width at which ids would be narrowed to 23 characters
    assert text is not None and max(map(len, text.split("\n"))) <= 60
    assert any("observed-but-policy-denies" in line for line in text.split("\n"))
    assert _rows(text) == [["PCI-1.2.8", ids, " ".join(["word"] * 20)]]
