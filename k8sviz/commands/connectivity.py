"""``k8sviz connectivity``: the connections the NetworkPolicies allow, as a table."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._text import counted, md_cell
from ..model import PROTOCOLS
from ._common import (
    add_format_option,
    add_inputs,
    add_ipblocks_option,
    add_level_option,
    add_output,
    add_warnings_option,
    check_output,
    load_inputs,
    say_engine_warnings,
    write_text,
)

if TYPE_CHECKING:
    from ..policy.reachability import _Table


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "connectivity",
        help="allowed connections between pods/workloads and external blocks",
        description="Evaluate the policies of a snapshot (NetworkPolicy, admin tiers, Calico, Cilium) "
        "and list the connections they allow; --format txt ends with their count on stderr.",
    )
    add_inputs(p)
    add_level_option(p)
    add_format_option(p)
    add_ipblocks_option(p)
    add_output(p, "file to write")
    add_warnings_option(p)
    return p


def render(table: _Table, fmt: str) -> str:
    """The rows of ``table`` in ``fmt`` (json, csv, md or txt), written straight from its arrays.

    Every name and every distinct (protocol, port list) is encoded once, so a row costs one
    string join; no DataFrame is built (importing pandas alone is a third of a small run).
    The output equals a plain rendering of ``to_frame`` row by row (tested); txt without a row
    is ``(none)``.
    """
    names = [_NAME[fmt](x) for x in table.names.tolist()]
    tails = [
        "" if ports is None else _tail(fmt, PROTOCOLS[k % len(PROTOCOLS)], ports)
        for k, ports in enumerate(table.port_lists.tolist())
    ]
    if not len(table.src):
        if fmt == "json":
            return "[]\n"
        if fmt == "txt":
            # Other formats keep their header; txt had nothing to show, so a cluster whose
            # policies allow nothing looked like a run that read nothing. Said as the other
            # commands' txt tables say it.
            return "(none)\n"
    head, pre, sep, joiner, end = _LAYOUT[fmt]
    src, dst, ports = table.src.tolist(), table.dst.tolist(), table.ports.tolist()
    rows = [f"{pre}{names[a]}{sep}{names[b]}{tails[k]}" for a, b, k in zip(src, dst, ports, strict=True)]
    return head + joiner.join(rows) + end


def _tail(fmt: str, proto: str, ports: list[str]) -> str:
    """What follows the destination in a row: protocol and ports, in ``fmt``."""
    if fmt == "json":
        inner = ",".join(f"\n   {json.dumps(x)}" for x in ports)
        listed = f"[{inner}\n  ]" if ports else "[]"
        return f',\n  "protocol": "{proto}",\n  "ports": {listed}\n }}'
    if fmt == "csv":
        return f",{proto},{_csv_field(ports)}\n"
    if fmt == "md":
        return f" | {proto} | {', '.join(ports)} |\n"
    return f" : {proto} {','.join(ports)}\n"


def _csv_field(x: str | list[str]) -> str:
    """``x`` as one field of the CSV that ``k8sviz.notebook.to_csv`` writes of ``to_frame``
    (a port list joined with ", ", a formula cell prefixed with ')."""
    from ..viz.html import csv_value

    text = csv_value(x)
    if not text:
        return ""  # the csv module quotes a lone empty field, never one among others
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([text])
    return buf.getvalue()[:-1]


_NAME: dict[str, Callable[[str], str]] = {
    "json": json.dumps,
    "csv": _csv_field,
    "md": md_cell,
    "txt": str,
}
# Per format: before the rows, before a row's source, between source and destination,
# between rows, after the rows.
_LAYOUT = {
    "json": ("[\n", ' {\n  "src": ', ',\n  "dst": ', ",\n", "\n]\n"),
    "csv": ("src,dst,protocol,ports\n", "", ",", "", ""),
    "md": ("| src | dst | protocol | ports |\n|---|---|---|---|\n", "| ", " | ", "", ""),
    "txt": ("", "", " => ", "", ""),
}


def run(args: argparse.Namespace) -> int:
    from ..policy.reachability import reachability

    check_output(args.output)
    snap = load_inputs(args)
    reach = reachability(snap, ipblocks_match_pods=args.ipblocks_match_pods)
    table = reach._table(args.level)
    text = render(table, args.format)
    write_text(args.output, text, rows=args.format == "txt")
    say_engine_warnings(reach.warnings, args.warnings)
    if args.format == "txt":
        print(f"\n{_count(table, args.level)}", file=sys.stderr)
    return 0


def _count(table: _Table, level: str) -> str:
    """The total the txt rows end with on stderr, as gaps, blast, paths and segmentation end
    with theirs, split as notebook 1 splits ``to_frame`` by ``src_type`` and ``dst_type``: the
    outside blocks an ipBlock cuts the address space into make most rows of a small cluster."""
    inside_src, inside_dst = table.src < table.n_in, table.dst < table.n_in
    within = int((inside_src & inside_dst).sum())
    out, into = int((inside_src & ~inside_dst).sum()), int((~inside_src).sum())
    return (f"{counted(len(table.src), 'allowed connection')} at {level} level: {within} between {level}s, "
            f"{out} to outside address blocks, {into} from them")
