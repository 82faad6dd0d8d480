"""``k8sviz blast``: assume breach — every workload a compromised one reaches, hop by hop."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .._text import as_written, counted
from ._common import (
    add_format_option,
    add_inputs,
    add_ipblocks_option,
    add_warnings_option,
    load_inputs,
    say_engine_warnings,
)
from .gaps import emit


def add_path_options(p: argparse.ArgumentParser) -> None:
    """The options ``blast`` and ``paths`` share: a hop limit, the output format, ipBlocks,
    the engine's warnings."""
    p.add_argument("--max-hops", type=_positive, metavar="N", help="stop after N hops (default: no limit)")
    add_format_option(p)
    add_ipblocks_option(p)
    add_warnings_option(p)


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        msg = f"must be a whole number of hops, 1 or more, not {as_written(text)}"
        raise argparse.ArgumentTypeError(msg)
    return n


def flat_paths(df: Any, fmt: str) -> Any:
    """Paths and per-hop ports as text for the table formats; JSON keeps the lists."""
    from ..analysis.blast import paths_as_text

    return df if fmt == "json" else paths_as_text(df)


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "blast",
        help="assume breach: every workload a compromised pod or workload reaches, hop by hop",
        description="List every workload reachable from a compromised pod or workload by the shortest "
        "chain of connections the policies allow end to end (egress of each source, ingress of each "
        "destination), with the path and the ports allowed on each hop (k8sviz.blast_radius). Whether "
        "a service listens on those ports is not checked. Exit status 0 whatever is reached.",
    )
    add_inputs(p)
    p.add_argument("--from", dest="start", required=True, metavar="SRC",
                   help="the compromised namespace/pod or namespace/workload")
    add_path_options(p)
    return p


def run(args: argparse.Namespace) -> int:
    from ..analysis.blast import blast_radius
    from ..policy.reachability import reachability

    reach = reachability(load_inputs(args), ipblocks_match_pods=args.ipblocks_match_pods)
    df = blast_radius(reach, args.start, max_hops=args.max_hops)
    emit(flat_paths(df, args.format), args.format)
    say_engine_warnings(reach.warnings, args.warnings)
    if args.format == "txt":
        namespaces = df["namespace"].nunique() if len(df) else 0
        print(f"\n{counted(len(df), 'workload')} in {counted(namespaces, 'namespace')} reachable from "
              f"{args.start}" + (f" within {counted(args.max_hops, 'hop')}" if args.max_hops else ""),
              file=sys.stderr)
    return 0
