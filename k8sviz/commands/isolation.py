"""``k8sviz isolation``: per pod or workload and direction, how the policies of every dialect
isolate it (``reach.isolation``)."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import add_inputs, add_warnings_option, load_inputs, say_engine_warnings
from .gaps import FORMAT_HELP, FORMATS


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "isolation",
        help="per pod/workload and direction: isolated, partial, reopened or unrestricted, and by which "
             "policies",
        description="Put every peer and port through the policies of every dialect and list, per pod or "
        "workload and direction, its state (unrestricted, reopened, partial, isolated; not-judged for "
        "hostNetwork pods and pods that ended), the policies that deny and allow, and the peers left "
        "open for want of a policy.",
    )
    add_inputs(p)
    p.add_argument(
        "--level", choices=("pod", "workload"), default="workload", help="row granularity (default workload)",
    )
    p.add_argument("--format", choices=FORMATS, default="txt", help=FORMAT_HELP)
    p.add_argument("--ipblocks-match-pods", action="store_true", help="let ipBlocks match pod IPs too")
    add_warnings_option(p)
    return p


def run(args: argparse.Namespace) -> int:
    from ..policy.reachability import reachability
    from .gaps import emit

    reach = reachability(load_inputs(args), ipblocks_match_pods=args.ipblocks_match_pods)
    emit(reach.isolation(args.level), args.format)
    say_engine_warnings(reach.warnings, args.warnings)
    return 0
