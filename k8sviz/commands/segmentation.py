"""``k8sviz segmentation``: zone-to-zone matrix and the violations of the declared intent."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .._text import counted
from ._common import (
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
from .gaps import _zones_arg, emit


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "segmentation",
        help="zone x zone matrix and violations of a zones file",
        description="Assign workloads to the zones of a zones file, print the zone x zone matrix "
        "(denied, partial, allowed) and every connection that crosses zones without an allow "
        "entry (or with an expired one), with the policy rules that open it. The matrix, the date "
        "exceptions were judged on and the count of violations (on stderr) are printed with --format "
        "txt only: csv, json and md are the table of connections. --format csv writes "
        "every column (each row's outside address blocks too) and quotes cells a spreadsheet "
        "would run as formulas, as the audit report's CSV file.",
    )
    add_inputs(p)
    add_zones_option(p, "the segmentation intent", demo="required unless --demo, which uses the demo's")
    add_format_option(p)
    add_today_option(p)
    add_ipblocks_option(p)
    add_warnings_option(p)
    return p


def run(args: argparse.Namespace) -> int:
    from ..analysis.segmentation import segmentation
    from ..analysis.zones import load_zones, parse_date
    from ..errors import ZoneError
    from ..policy.reachability import reachability

    zones = _zones_arg(args)
    if zones is None:
        msg = "give --zones FILE"
        raise ZoneError(msg)
    # Before the inputs are read: a mistyped date should not cost a load first.
    today = None if args.today is None else parse_date(args.today, "--today")
    check_inputs(zones=args.zones)
    snap = load_inputs(args)
    zones = load_zones(zones)  # a bad zones file is said before the policies are evaluated
    # Computed here, not by segmentation(), for its warnings: the caveats every verdict rests on.
    reach = reachability(snap, ipblocks_match_pods=args.ipblocks_match_pods)
    seg = segmentation(snap, reach, zones, today=today)
    # segmentation() warned of empty zones and split workloads (ZoneWarnings: the CLI's lines)
    say_engine_warnings(reach.warnings, args.warnings)
    if args.format == "txt":
        print(f"judged on {seg.today.isoformat()}\n")
        print(_matrix_text(seg.matrix))
        print()
    # csv: every column, the outside blocks too (src and dst name only the first ones): the CSV
    # file the report carries, which points here past its cap.
    emit(
        seg.violations.drop(columns=["external_blocks"]) if args.format in ("txt", "md") else seg.violations,
        args.format,
    )
    if args.format == "txt":
        # The count gaps, blast and paths end with, in the words of the notebook's view of the
        # result: a wide table of violations gave no total to compare with the report's.
        v = seg.violations
        pairs = v[["src_zone", "dst_zone"]].drop_duplicates() if len(v) else v
        print(f"\n{counted(len(v), 'violating connection')} in {counted(len(pairs), 'zone pair')} "
              f"(allow rules' expiry judged on {seg.today.isoformat()})", file=sys.stderr)
    return 0


def _matrix_text(matrix: Any) -> str:
    """The zone matrix as pandas writes it; on a terminal narrower than that, in blocks of the
    zones that fit its width one under another (pandas' ``line_width``), as the other tables
    wrap there: zone names are kept whole. A file or pipe gets one block, as scripts read it."""
    from .gaps import terminal_columns

    text = str(matrix.to_string())
    width = terminal_columns(sys.stdout)
    if width is not None and max(map(len, text.splitlines()), default=0) > width:
        return str(matrix.to_string(line_width=width))
    return text
