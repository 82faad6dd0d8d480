"""``k8sviz isolation``: per pod or workload and direction, how the policies of every dialect
isolate it (``reach.isolation``)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .._text import counted
from ._common import (
    add_format_option,
    add_inputs,
    add_ipblocks_option,
    add_level_option,
    add_warnings_option,
    load_inputs,
    say_engine_warnings,
)


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "isolation",
        help="per pod/workload and direction: isolated, partial, reopened, unrestricted or not-judged, "
             "and by which policies",
        description="Put every peer and port through the policies of every dialect and list, per pod or "
        "workload and direction, its state (unrestricted, reopened, partial, isolated; not-judged for "
        "hostNetwork pods and pods that ended), the policies that deny and allow, and the peers left "
        "open for want of a policy.",
    )
    add_inputs(p)
    add_level_option(p)
    add_format_option(p)
    add_ipblocks_option(p)
    add_warnings_option(p)
    return p


def run(args: argparse.Namespace) -> int:
    from ..policy.reachability import reachability
    from .gaps import emit

    reach = reachability(load_inputs(args), ipblocks_match_pods=args.ipblocks_match_pods)
    df = reach.isolation(args.level)
    emit(df, args.format)
    say_engine_warnings(reach.warnings, args.warnings)
    if args.format == "txt":
        print(f"\n{_count(df, args.level)}", file=sys.stderr)
    return 0


#: The states in the order the description gives them, open to closed.
STATES = ("unrestricted", "reopened", "partial", "isolated", "not-judged")


def _count(df: Any, level: str) -> str:
    """The total the txt rows end with on stderr, as connectivity, gaps and segmentation end with
    theirs: how many pods or workloads, and how many of their rows (one per direction) are in
    each state (``17 workloads, ingress and egress: 1 unrestricted, 31 isolated, 2 not-judged``)."""
    units = df[level].nunique() if len(df) else 0
    counts: dict[str, int] = {}
    if len(df):
        counts = {str(k): int(v) for k, v in df["state"].value_counts().items()}
    states = [s for s in STATES if s in counts] + sorted(s for s in counts if s not in STATES)
    said = ", ".join(f"{counts[s]:,} {s}" for s in states)
    return f"{counted(units, level)}, ingress and egress" + (f": {said}" if said else "")
