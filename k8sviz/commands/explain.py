"""``k8sviz explain``: may SRC reach DST on a port, and which policy rules decide it."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from .._text import as_written
from ..model import PROTOCOLS
from ._common import (
    add_format_option,
    add_inputs,
    add_ipblocks_option,
    add_warnings_option,
    load_inputs,
    say_engine_warnings,
)

if TYPE_CHECKING:
    from ..policy.reachability import Reachability, Side, Verdict


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "explain",
        help="may SRC reach DST on a port, and which policy rules decide it",
        description=(
            "Judge one connection under the snapshot's policies (NetworkPolicy, admin tiers, "
            "Calico, Cilium) and say why: for the source's egress and the destination's ingress, "
            "the policies that select each end and the rules that allow it (with tiers, each "
            "tier's first matching rule up to the one that decided). Exit status: 0 allowed, "
            "1 denied, 2 error."
        ),
    )
    add_inputs(p)
    p.add_argument("--from", dest="src", required=True, metavar="SRC",
                   help="namespace/pod, namespace/workload or an IP address")
    p.add_argument("--to", dest="dst", required=True, metavar="DST",
                   help="namespace/pod, namespace/workload or an IP address")
    # Not type=int: a name is resolved in run(), and a bad value gets a one-line error there.
    p.add_argument("--port", required=True,
                   help="destination port: a number, or the name of a container port of the destination "
                        "pod(s)")
    p.add_argument("--protocol", choices=PROTOCOLS, default="TCP", type=str.upper, help="default TCP")
    add_ipblocks_option(p)
    add_format_option(p, ("txt", "json"))
    add_warnings_option(p)
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


def resolve_port(reach: Reachability, dst: str, port: str, protocol: str) -> tuple[int, str | None]:
    """``(number, how)``: ``port`` as a number, or the named container port it names on the
    destination pod(s) for ``protocol``, with a sentence saying so (None for a number).

    NetworkPolicy resolves a named port per destination pod; a verdict needs one number, so
    pods that disagree (mid-rollout) are an error naming them, as is a destination without
    such a port.
    """
    from ..errors import QueryError
    from ..model import valid_port_name

    text = port.strip()
    if text.isascii() and text.isdigit():
        return int(text), None  # its range is checked by explain(), as for the library
    if not valid_port_name(text):
        raise QueryError(
            f"invalid port {as_written(port)} (expected a number from 1 to 65535 or a container port name)")
    pods = reach.snapshot.pods
    found = [pods[i] for i in reach._resolve(dst, "destination") if i < len(pods)]
    if not found:
        raise QueryError(f"port name {as_written(text)} needs a destination pod to resolve it, and {dst} "
                         "is an address outside the pods: give the port number")
    cilium = reach.snapshot.runs_cilium
    numbers = {p.key: (p.cilium_named_ports if cilium else p.named_port_numbers).get((text, protocol))
               for p in found}
    have = {k: n for k, n in numbers.items() if n is not None}
    if not have:
        which = found[0].key if len(found) == 1 else f"pods of {dst} ({', '.join(p.key for p in found[:5])})"
        other = sorted({proto for p in found for (name, proto) in p.named_ports if name == text} - {protocol})
        hint = f" (it names a {' and '.join(other)} port: add --protocol {other[0]})" if other else ""
        raise QueryError(f"no container port named {as_written(text)} for {protocol} on {which}{hint}")
    if len(set(have.values())) > 1 or len(next(iter(have.values()))) > 1:
        listed = ", ".join(f"{' and '.join(map(str, n))} on {k}" for k, n in sorted(have.items()))
        raise QueryError(f"port {as_written(text)} ({protocol}) is not one number on {dst}: {listed}; "
                         "give the number")
    (number,) = next(iter(have.values()))
    on = found[0].key if len(found) == 1 else dst
    missing = sorted(k for k, n in numbers.items() if n is None)
    rest = f" (not named on {', '.join(missing)})" if missing else ""
    return number, f"port {text} is {protocol}/{number} on {on}{rest}"


def run(args: argparse.Namespace) -> int:
    from ..policy.reachability import reachability

    snap = load_inputs(args)
    reach = reachability(snap, ipblocks_match_pods=args.ipblocks_match_pods)
    port, resolved = resolve_port(reach, args.dst, str(args.port), args.protocol)
    verdict = reach.explain(args.src, args.dst, port, args.protocol)
    # Caveats on every verdict (ipBlocks over pod addresses, hostNetwork), before it.
    say_engine_warnings(reach.warnings, args.warnings)
    if args.format == "json":
        out = as_dict(verdict)
        if resolved is not None:
            out["port_name"] = args.port.strip()
        print(json.dumps(out, indent=2))
    else:
        if resolved is not None:
            print(resolved)
        print(verdict)
    return 0 if verdict.allowed else 1
