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

from k8sviz.commands.gaps import HANGING_INDENT, MIN_COLUMN, wrapped_table

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
    return _output([sys.executable, "-m", "k8sviz", *args], columns=columns, terminal=terminal)


def _output(cmd: list[str], *, columns: int, terminal: bool) -> str:
    """The standard output of ``cmd``, on a pseudo-terminal or a pipe."""
    env = dict(os.environ, COLUMNS=str(columns))
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


# Between the outputs of the commands one process runs (a pseudo-terminal run is slow).
_SPLIT = "--- k8sviz test: next command ---"


def _commands(commands: list[list[str]], *, columns: int, terminal: bool) -> list[str]:
    """The standard output of each command, run one after another by ``k8sviz.cli.main`` in one
    process (on a pseudo-terminal or a pipe)."""
    script = (f"import sys\nfrom k8sviz.cli import main\nfor args in {commands!r}:\n"
              f"    assert main(args) == 0\n    print({_SPLIT!r}, flush=True)\n")
    out = _output([sys.executable, "-c", script], columns=columns, terminal=terminal)
    parts = out.split(_SPLIT + "\n")
    assert parts[-1] == "" and len(parts) == len(commands) + 1
    return parts[:-1]


def _rows_of_lines(text: str) -> list[str]:
    """The rows of a txt list wrapped on a terminal: a line indented HANGING_INDENT further than
    the row before it goes on that row (flows' summary indents its own lines by 2); spaces are
    left out (a break at a space drops it)."""
    rows: list[tuple[int, str]] = []
    for line in text.split("\n"):
        indent = len(line) - len(line.lstrip(" "))
        if rows and line.strip() and indent == rows[-1][0] + HANGING_INDENT:
            rows[-1] = (rows[-1][0], rows[-1][1] + line)
        else:
            rows.append((indent, line))
    return ["".join(row.split()) for _, row in rows]


def _matrix(text: str) -> dict[tuple[str, str], str]:
    """The cells of segmentation's zone matrix, in one block or in pandas' blocks of columns
    (each a ``to`` line of zones, a ``from`` line, then a zone's cells a line)."""
    cells: dict[tuple[str, str], str] = {}
    zones: list[str] = []
    for line in text.split("\n"):
        words = [w for w in line.split() if w != "\\"]
        if not words or words == ["from"]:
            continue
        if words[0] == "to":
            zones = words[1:]
        else:
            assert len(words) == len(zones) + 1
            cells.update({(words[0], z): v for z, v in zip(zones, words[1:], strict=True)})
    return cells


def test_lists_and_the_zone_matrix_wrap_on_a_terminal_only():
    """connectivity and flows write a row a line (``src => dst : TCP 80,443``): no column can be
    narrowed when two names fill the terminal, so a row wider than it goes on under itself,
    indented, broken at spaces and after the commas of a port list. segmentation's zone matrix
    is written in blocks of the zones that fit. A pipe gets them as they were."""
    commands = [["connectivity", "--demo"], ["flows", "data/demo/flows", "--snapshot", "data/demo/cluster"],
                ["segmentation", "--demo"]]
    shown = _commands(commands, columns=60, terminal=True)
    piped = _commands(commands, columns=60, terminal=False)
    for text, plain in zip(shown[:2], piped[:2], strict=True):
        assert max(map(len, plain.split("\n"))) > 60  # so there is something to wrap
        assert max(map(len, text.split("\n"))) <= 60
        assert any(line.startswith("    ") and not p.startswith(" ")
                   for line, p in zip(text.split("\n"), plain.split("\n"), strict=False))
        # every row there, whole, in its order: only where its lines break differs
        assert _rows_of_lines(text) == ["".join(line.split()) for line in plain.split("\n")]
    # the matrix's blocks (a "to" line each), then the violations: a table too wide to wrap
    (blocks, rest), (plain, plain_rest) = (
        ([b for b in t.split("\n\n") if b.startswith("to ")],
         [b for b in t.split("\n\n") if not b.startswith("to ")])
        for t in (shown[2], piped[2]))
    assert len(plain) == 1 and max(map(len, plain[0].split("\n"))) > 60
    assert len(blocks) > 1 and max(len(line) for b in blocks for line in b.split("\n")) <= 60
    assert _matrix("\n".join(blocks)) == _matrix(plain[0]) and len(_matrix(plain[0])) == 36  # 6 zones by 6
    assert rest == plain_rest
