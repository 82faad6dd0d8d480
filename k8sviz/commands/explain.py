"""``k8sviz explain``: may SRC reach DST on a port, and which policy rules decide it."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from ..model import PROTOCOLS
from ._common import add_inputs, load_inputs

if TYPE_CHECKING:
    from ..policy.reachability import Side, Verdict


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "explain",
        help="may SRC reach DST on a port, and which policy rules decide it",
        description=(
            "Judge one connection under the snapshot's NetworkPolicies and say why: for the "
            "source's egress and the destination's ingress, the policies that select each "
            "end and the rules that allow it. Exit status: 0 allowed, 1 denied, 2 error."
        ),
    )
    add_inputs(p)
    p.add_argument("--from", dest="src", required=True, metavar="SRC",
                   help="namespace/pod, namespace/workload or an IP address")
    p.add_argument("--to", dest="dst", required=True, metavar="DST",
                   help="namespace/pod, namespace/workload or an IP address")
    p.add_argument("--port", required=True, type=int, help="destination port number")
    p.add_argument("--protocol", choices=PROTOCOLS, default="TCP", type=str.upper, help="default TCP")
    p.add_argument("--ipblocks-match-pods", action="store_true", help="let ipBlocks match pod IPs too")
    p.add_argument("--format", choices=("txt", "json"), default="txt", help="output format (default txt)")
    return p


def as_dict(v: Verdict) -> dict[str, Any]:
    """A verdict as plain data: the JSON output of ``k8sviz explain``."""

    def side(s: Side) -> dict[str, Any]:
        return {
            "direction": s.direction,
            "endpoint": s.endpoint,
            "allowed": s.allowed,
            "isolated": s.isolated,
            "policies": list(s.policies),
            "allowed_by": [asdict(m) for m in s.allowed_by],
            "note": s.note,
            "steps": [{"tier": d.tier, "action": d.action, **asdict(d.match)} for d in s.steps],
        }

    return {
        "src": v.src,
        "dst": v.dst,
        "protocol": v.protocol,
        "port": v.port,
        "allowed": v.allowed,
        "egress": side(v.egress),
        "ingress": side(v.ingress),
        "notes": list(v.notes),
        "dns_rules": [asdict(m) for m in v.dns_rules],
    }


def run(args: argparse.Namespace) -> int:
    from ..policy.reachability import reachability

    snap = load_inputs(args)
    reach = reachability(snap, ipblocks_match_pods=args.ipblocks_match_pods)
    verdict = reach.explain(args.src, args.dst, args.port, args.protocol)
    for w in reach.warnings:  # caveats on every verdict (ipBlocks over pod addresses, hostNetwork)
        print(f"k8sviz: warning: {w}", file=sys.stderr)
    if args.format == "json":
        print(json.dumps(as_dict(verdict), indent=2))
    else:
        print(verdict)
    return 0 if verdict.allowed else 1
