"""``k8sviz policies``: the policy inventory, every dialect in one table (a ruleset export)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .._text import counted
from ._common import add_format_option, add_inputs, load_inputs


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "policies",
        help="inventory of every policy: kind, tier and order, pods selected, evaluated or not",
        description="List every policy (NetworkPolicy, admin tiers, Calico, Cilium, and kinds k8sviz "
        "keeps raw) with its place in the evaluation order, how many pods it applies to, and "
        "whether k8sviz evaluates it.",
    )
    add_inputs(p)
    add_format_option(p)
    return p


def run(args: argparse.Namespace) -> int:
    from ..analysis.inventory import policy_inventory
    from .gaps import emit

    df = policy_inventory(load_inputs(args))
    emit(df, args.format)
    if args.format == "txt":
        print(f"\n{_count(df)}", file=sys.stderr)
    return 0


def _count(df: Any) -> str:
    """The total the txt rows end with on stderr, as connectivity, gaps and segmentation end with
    theirs: policies per kind, in the order the table first lists them, and how many k8sviz
    evaluates (``33 policies: 31 NetworkPolicy, 2 CiliumNetworkPolicy; 32 evaluated, 1 not``)."""
    if not len(df):
        return "0 policies"
    kinds = df["kind"].value_counts(sort=False)
    evaluated = int(df["evaluated"].sum())
    rest = len(df) - evaluated
    return (f"{counted(len(df), 'policy')}: " + ", ".join(f"{n:,} {k}" for k, n in kinds.items())
            + f"; {evaluated:,} evaluated" + (f", {rest:,} not (see not_judged)" if rest else ""))
