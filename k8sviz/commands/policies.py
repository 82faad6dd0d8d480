"""``k8sviz policies``: the policy inventory, every dialect in one table (a ruleset export)."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import add_inputs, load_inputs
from .gaps import FORMAT_HELP, FORMATS


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "policies",
        help="inventory of every policy: kind, tier and order, pods selected, evaluated or not",
        description="List every policy (NetworkPolicy, admin tiers, Calico, Cilium, and kinds k8sviz "
        "keeps raw) with its place in the evaluation order, how many pods it applies to, and "
        "whether k8sviz evaluates it.",
    )
    add_inputs(p)
    p.add_argument("--format", choices=FORMATS, default="txt", help=FORMAT_HELP)
    return p


def run(args: argparse.Namespace) -> int:
    from ..analysis.inventory import policy_inventory
    from .gaps import emit

    df = policy_inventory(load_inputs(args))
    emit(df, args.format)
    return 0
