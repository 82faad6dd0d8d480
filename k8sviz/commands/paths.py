"""``k8sviz paths``: shortest paths from the internet into a zone, a namespace or a workload."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .._text import counted
from ._common import (
    DEMO_USES_ITS_OWN,
    add_inputs,
    add_zones_option,
    check_inputs,
    load_inputs,
    say_engine_warnings,
)
from .blast import add_path_options, flat_paths
from .gaps import _zones_arg, emit


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "paths",
        help="shortest paths from the internet into a zone, namespace or workload",
        description="For each workload of the target (a zone of --zones, a namespace, or a namespace/pod "
        "or namespace/workload), the shortest chain of allowed connections from an internet address: "
        "through a workload exposed outside the cluster (LoadBalancer/NodePort Service, external IP, "
        "Ingress backend, hostPort or hostNetwork) that the policies let internet addresses reach, then "
        "hop by hop (k8sviz.internet_paths). Exit status 0 whatever is found.",
    )
    add_inputs(p)
    p.add_argument("--to", dest="target", required=True, metavar="TARGET",
                   help="a zone name (with --zones), a namespace, or namespace/pod or namespace/workload")
    add_zones_option(p, "to name a zone in --to", demo=DEMO_USES_ITS_OWN)
    p.add_argument("--any-entry", action="store_true",
                   help="count every workload internet addresses may reach as an entry, exposed or not")
    add_path_options(p)
    return p


def run(args: argparse.Namespace) -> int:
    from ..analysis.blast import internet_paths
    from ..analysis.zones import load_zones
    from ..policy.reachability import reachability

    check_inputs(zones=args.zones)
    snap = load_inputs(args)
    zones_path = _zones_arg(args)
    zones = load_zones(zones_path) if zones_path is not None else None
    reach = reachability(snap, ipblocks_match_pods=args.ipblocks_match_pods)
    df = internet_paths(reach, args.target, zones, exposed_only=not args.any_entry, max_hops=args.max_hops)
    emit(flat_paths(df, args.format), args.format)
    say_engine_warnings(reach.warnings, args.warnings)
    unread = df.attrs.get("exposure_unknown")
    if unread:
        from ..analysis._common import exposure_unread_text

        print(f"k8sviz: warning: {exposure_unread_text(unread)} not read: a workload they may expose "
              "counts as an entry from the internet", file=sys.stderr)
    if args.format == "txt":
        print(f"\n{counted(len(df), 'workload')} of {args.target} reachable from the internet"
              + (f" within {counted(args.max_hops, 'hop')}" if args.max_hops else ""), file=sys.stderr)
    return 0
