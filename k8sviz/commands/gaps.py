"""``k8sviz gaps``: the compliance findings of a snapshot, mapped to controls."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Collection
from typing import Any

from .._text import counted, md_cell
from ._common import (
    DEMO_USES_ITS_OWN,
    add_flows_option,
    add_format_option,
    add_inputs,
    add_ipblocks_option,
    add_today_option,
    add_warnings_option,
    add_zones_option,
    check_inputs,
    load_inputs,
    say_engine_warnings,
)


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "gaps",
        help="segmentation and compliance findings (PCI DSS, CIS, NSA/CISA, NIST 800-190)",
        description="List findings with severity, evidence and the controls they fail. Exit code 0 "
        "whatever is found (findings are the output, not an error).",
    )
    add_inputs(p)
    add_zones_option(p, "the segmentation intent", demo=DEMO_USES_ITS_OWN)
    add_flows_option(p)
    add_format_option(p)
    add_today_option(p)
    p.add_argument("--summary", action="store_true", help="print the per-control summary instead")
    add_ipblocks_option(p)
    add_warnings_option(p)
    return p


def _zones_arg(args: argparse.Namespace) -> Any:
    if args.zones:
        return args.zones
    if getattr(args, "demo", False):
        from ..sources.demo import demo_path

        path = demo_path("zones.yaml")
        return path if path.exists() else None
    return None


def _flows_arg(args: argparse.Namespace) -> list[str] | None:
    """The flow logs to read: ``--flows``, else with ``--demo`` the demo's, so that ``gaps --demo``
    counts the findings ``report --demo`` does (it counted 54 to the report's 57: the flow
    discrepancies were missing)."""
    if args.flows:
        return list(args.flows)
    if getattr(args, "demo", False):
        from ..sources.demo import demo_path

        path = demo_path("flows")
        return [str(path)] if path.is_dir() else None
    return None


def _cell(v: Any) -> str:
    """A txt or md cell as the report and ``k8sviz.notebook.table`` show it: a flag as yes / no
    (a policy's ``evaluated``), a mapping as ``key=value, ...`` (a policy's labels) and a whole
    number in a float column without ``.0``, as the CSV has them, where the tables said
    ``True``, ``{"app": "web"}`` and ``100.0``."""
    if isinstance(v, bool) or type(v).__name__ == "bool_":  # numpy's, without importing numpy here
        return "yes" if v else "no"
    if isinstance(v, list | tuple):
        return ", ".join(map(_cell, v))
    if isinstance(v, dict):
        from ..viz.html import _plain

        return _plain(v)
    if v is None or type(v).__name__ == "NAType" or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))  # a Calico order of 100, which the float column holds as 100.0
    return str(v)


#: One JSON escape (a backslash and the character after it), read left to right so that an
#: escaped backslash (``\\``, JSON for one backslash) is never taken as the start of another escape.
_JSON_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def plain_slashes(text: str) -> str:
    """``text`` (JSON written by pandas' ``to_json``) with ``/`` as itself, not ``\\/``.

    pandas' encoder escapes every slash: ``"kube-system\\/coredns"`` is valid JSON but a grep
    for ``kube-system/coredns`` misses it, and kubectl (Go's encoder) writes ``/`` plain.  Only
    the ``\\/`` escapes change; the strings, numbers, nulls and key order read back the same.
    """
    return _JSON_ESCAPE.sub(lambda m: "/" if m.group(1) == "/" else m.group(0), text)


def emit(df: Any, fmt: str, out: Any = None) -> None:
    """``df`` in ``fmt`` on ``out`` (stdout): the table every command with ``--format`` prints."""
    out = out or sys.stdout
    if fmt == "json":
        # pandas writes no rows as "[\n\n]"; connectivity, flows and explain (json.dumps) as "[]".
        text = plain_slashes(df.to_json(orient="records", indent=1, default_handler=str)) if len(df) else "[]"
        out.write(text + "\n")
        return
    if fmt == "txt" and not len(df):
        out.write("(none)\n")
        return
    if fmt == "csv":
        from ..viz.html import csv_text

        # The CSV of k8sviz.notebook.to_csv and of the report, so the three read alike in a
        # spreadsheet; text from the input (flow logs, labels) never runs there as a formula.
        out.write(csv_text(df, lineterminator="\n"))
        return
    flat = df.copy()
    for c in flat.columns:
        flat[c] = flat[c].map(_cell)
    if fmt == "md":
        cols = list(flat.columns)
        out.write("| " + " | ".join(md_cell(c) for c in cols) + " |\n|" + "---|" * len(cols) + "\n")
        for row in flat.itertuples(index=False):
            out.write("| " + " | ".join(md_cell(v) for v in row) + " |\n")
    else:
        text = flat.to_string(index=False, max_colwidth=120)
        width = terminal_columns(out)
        if width is not None and max(map(len, text.splitlines())) > width:
            text = wrapped_table(flat, width, numeric={c for c in df.columns if _numeric(df[c])}) or text
        out.write(text + "\n")


def terminal_columns(out: Any) -> int | None:
    """The terminal's width when ``out`` is one, else None: a file or pipe gets pandas' table
    as it always was, as scripts parse it."""
    isatty = getattr(out, "isatty", None)
    if isatty is None or not isatty():
        return None
    import shutil

    return shutil.get_terminal_size().columns


def _numeric(column: Any) -> bool:
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    return bool(is_numeric_dtype(column) and not is_bool_dtype(column))


#: A column is not narrowed below this (nor below its header) for a terminal: a table that
#: would need narrower columns is written as to a file, past the terminal's edge, rather than
#: cut into a few words per line.
MIN_COLUMN = 20
#: Nor below its longest word up to this many characters (a finding id of a list); a longer
#: word (a pod name with its hash) is broken inside.
LONG_WORD = 32


def wrapped_table(flat: Any, width: int, *, numeric: Collection[Any] = ()) -> str | None:
    """``flat`` (cells as text) as a table no wider than ``width``, or None if it cannot be one
    (too many columns, or long names): the widest columns of text with spaces (a finding's
    detail, a list) are narrowed to one width, the most that fits, and their cells wrap within
    it, at spaces (inside a word longer than the column); columns of names are kept whole. Rows
    are then separated by an empty line, so a wrapped row reads as one. ``numeric`` columns are
    aligned right, as pandas aligns them; text ones left, so a wrapped cell's lines line up.

    Control characters are measured as the terminal shows them (``\\x1b``, k8sviz._terminal)."""
    import textwrap

    from .._terminal import shown

    cols = list(flat.columns)
    header = [shown(str(c)) for c in cols]
    rows = [[shown(str(v)) for v in row] for row in flat.itertuples(index=False)]
    natural = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
    # A column of names (no cell with a space) is kept whole: a name cut in two reads as two.
    # One of text is not narrowed below its longest word either (a finding id in a list), up
    # to LONG_WORD: a longer one (a pod name with its hash) is broken rather than the table.
    prose = [any(" " in r[i] for r in rows) for i in range(len(cols))]
    word = [max(len(w) for r in rows for w in [*r[i].split(), ""]) for i in range(len(cols))]
    floor = [min(n, max(len(h), MIN_COLUMN, min(wd, LONG_WORD))) if p else n
             for n, h, p, wd in zip(natural, header, prose, word, strict=True)]
    room = width - 2 * (len(cols) - 1)
    if sum(floor) > room:
        return None
    cap = max(natural)
    while sum(max(f, min(w, cap)) for w, f in zip(natural, floor, strict=True)) > room:
        cap -= 1
    widths = [max(f, min(w, cap)) for w, f in zip(natural, floor, strict=True)]

    def lines(text: str, w: int) -> list[str]:
        if len(text) <= w and "\n" not in text and "\t" not in text:
            return [text]
        return textwrap.wrap(text, w, break_on_hyphens=False) or [""]

    def block(cells: list[str]) -> list[str]:
        parts = [lines(c, w) for c, w in zip(cells, widths, strict=True)]
        height = max(map(len, parts))
        out = []
        for k in range(height):
            line = []
            for part, w, c in zip(parts, widths, cols, strict=True):
                piece = part[k] if k < len(part) else ""
                line.append(piece.rjust(w) if c in numeric else piece.ljust(w))
            out.append("  ".join(line).rstrip())
        return out

    blocks = [block(r) for r in rows]
    sep = [""] if any(len(b) > 1 for b in blocks) else []
    body: list[str] = []
    for b in blocks:
        body += [*sep, *b] if body else b
    return "\n".join([*block(header), *body])


#: A row of a list wrapped on a terminal (:func:`wrapped_lines`) goes on this much further in.
HANGING_INDENT = 4
# What a row of a list breaks at: after spaces, or after a comma inside a list such as ports
# (53,443,6443), so a port number or a name stays whole.
_CHUNK = re.compile(r" +|[^ ,]*,|[^ ,]+")


def wrapped_lines(text: str, width: int) -> str:
    """``text`` with each line wider than ``width`` broken into lines no wider, the lines after
    the first indented :data:`HANGING_INDENT` further, so each reads as one row: the rows of a
    list (``connectivity``'s ``src => dst : TCP 80,443``, ``flows``' edges), which no column
    alignment could fit when two names fill the terminal. Breaks fall at spaces and after the
    commas of a list, inside a word (a name) only when the word is wider than the line. Lines
    that fit are as they were, and so is a line that would hold fewer than :data:`MIN_COLUMN`
    characters after its indent.

    Control characters are measured as the terminal shows them (``\\x1b``, k8sviz._terminal)."""
    from .._terminal import shown

    out: list[str] = []
    for line in shown(text).split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        body = line.lstrip(" ")
        lead = len(line) - len(body)
        indent = " " * (lead + HANGING_INDENT if lead + HANGING_INDENT <= width // 2 else lead)
        if width - len(indent) < MIN_COLUMN:  # a few characters a line: left to the terminal
            out.append(line)
            continue
        current = line[:lead]
        fresh = True  # nothing but the indent on the current line yet
        gap = ""
        for chunk in _CHUNK.findall(body):
            if chunk.startswith(" "):
                gap = chunk
                continue
            if len(current) + len(gap) + len(chunk) <= width:
                current += ("" if fresh else gap) + chunk
                fresh, gap = False, ""
                continue
            if not fresh:
                out.append(current.rstrip())
                current, fresh = indent, True
            gap = ""
            while chunk and len(current) + len(chunk) > width:  # a word wider than the line: broken
                room = max(width - len(current), 1)
                out.append(current + chunk[:room])
                current, chunk = indent, chunk[room:]
            current += chunk
            fresh = not chunk
        out.append(current.rstrip())
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    from ..analysis.controls import controls_summary
    from ..analysis.gaps import gaps
    from ..analysis.zones import parse_date
    from ..policy.reachability import reachability

    # Before the inputs are read: a mistyped date should not cost a load first.
    today = None if args.today is None else parse_date(args.today, "--today")
    check_inputs(zones=args.zones, flows=args.flows)
    snap = load_inputs(args)
    flows = None
    flow_paths = _flows_arg(args)
    if flow_paths:
        from ..flows import load_flows

        flows = load_flows(*flow_paths, snapshot=snap)
    zones = _zones_arg(args)
    if zones is not None:
        from ..analysis.zones import load_zones

        zones = load_zones(zones)  # gaps() warns of empty zones and split workloads (ZoneWarnings)
    # Computed here, not by gaps(), for its warnings: the caveats every finding rests on.
    reach = reachability(snap, ipblocks_match_pods=args.ipblocks_match_pods)
    say_engine_warnings(reach.warnings, args.warnings)
    df = gaps(snap, reach, flows=flows, zones=zones, today=today)
    by_reason: dict[str, list[str]] = {}
    for finding, reason in df.attrs.get("not_checked", {}).items():
        by_reason.setdefault(reason, []).append(finding)
    for reason, findings in by_reason.items():
        print(f"k8sviz: warning: not checked, since {reason}: {', '.join(findings)}", file=sys.stderr)
    if args.summary:
        emit(controls_summary(df), args.format)
        return 0
    if args.format in ("txt", "md", "csv"):
        df = df.drop(columns=["evidence"]) if args.format != "csv" else df
    emit(df, args.format)
    if args.format == "txt":
        counts = df["severity"].value_counts()
        print(
            f"\n{counted(len(df), 'finding')}: "
            + ", ".join(
                f"{counts[s]} {s}" for s in ("critical", "high", "medium", "low", "info") if s in counts
            ),
            file=sys.stderr,
        )
    return 0
