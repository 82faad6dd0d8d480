"""``k8sviz report``: one self-contained HTML audit report (offline, deterministic)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ._common import (
    DEMO_USES_ITS_OWN,
    STDOUT,
    add_flows_option,
    add_inputs,
    add_ipblocks_option,
    add_output,
    add_today_option,
    add_warnings_option,
    add_zones_option,
    check_inputs,
    check_output,
    creating,
    load_inputs,
    say_engine_warnings,
    to_stdout,
)


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "report",
        help="write a self-contained HTML audit report (scope, coverage, findings, matrix, graph, flows)",
        description=(
            "Build one HTML file that opens offline: scope, inputs with SHA-256, coverage, the "
            "loader's warnings and the caveats of the policy verdicts (the policy engine's warnings), "
            "pass/fail/manual/not-checked per control, findings, the zone segmentation matrix and "
            "the paths from the internet into each sensitive zone, the connection graph, observed "
            "flows versus policy, and appendices (isolation per workload, the policy inventory, "
            "the allowed connections); with --baseline, what changed since the previous review. "
            "With --demo, the demo flows and zones are used unless --flows/--zones are given."
        ),
    )
    add_inputs(p)
    add_flows_option(p)
    add_zones_option(p, "the segmentation intent", demo=DEMO_USES_ITS_OWN)
    p.add_argument(
        "--baseline", metavar="OLD",
        help="the previous review's snapshot (file or directory): adds what changed since",
    )
    p.add_argument(
        "--baseline-cluster", metavar="NAME",
        help="name of the baseline's cluster (default: from its snapshot file, else the cluster name "
             "of the PATHs, as a baseline is usually the same cluster at an earlier date); a name other "
             "than theirs is warned about in the report and on stderr",
    )
    add_today_option(p)
    add_ipblocks_option(p)
    add_output(p, "HTML file to write", default="audit-report.html", terminal=False)
    add_warnings_option(p)
    return p


def run(args: argparse.Namespace) -> int:
    from ..analysis.zones import parse_date
    from ..errors import InputError
    from ..report import report
    from ..sources.demo import demo_path

    # Before the inputs are read: a mistyped date should not cost a load first.
    today = None if args.today is None else parse_date(args.today, "--today")
    if args.baseline_cluster is not None and args.baseline is None:
        raise InputError("--baseline-cluster names the --baseline's cluster: give --baseline too")
    check_output(args.output, not_to_terminal="the report")
    check_inputs(zones=args.zones, flows=args.flows, baseline=args.baseline)
    snap = load_inputs(args)
    flows = args.flows
    zones = args.zones
    if args.demo:
        if flows is None and demo_path("flows").is_dir():
            flows = [str(demo_path("flows"))]
        if zones is None and demo_path("zones.yaml").is_file():
            zones = str(demo_path("zones.yaml"))
    import hashlib

    from .._gc import paused
    from ..policy.reachability import reachability

    # Computed here, as the other commands do, for its warnings on stderr (the report lists
    # them too), with the GC paused as report() pauses it.  Should the engine fail, report()
    # evaluates again and shows the failure among the limitations, as it does from Python,
    # rather than the command stopping on it.
    try:
        with paused():
            reach = reachability(snap, ipblocks_match_pods=args.ipblocks_match_pods)
    except Exception:
        reach = None
    with creating(args.output):
        html = report(snap, flows=flows, zones=zones, output=None if args.output == STDOUT else args.output,
                      reach=reach, baseline=args.baseline, today=today,
                      ipblocks_match_pods=args.ipblocks_match_pods, baseline_cluster=args.baseline_cluster)
    if reach is not None:
        say_engine_warnings(reach.warnings, args.warnings)
    if isinstance(html, str):
        data = html.encode("utf-8")
        to_stdout(data)
        written = "standard output"
    else:
        data = html.read_bytes()
        written = str(html)
    # the report's own hash, for the evidence log (it changes with the generation time)
    print(f"wrote {written} ({len(data) / 1e6:.1f} MB, sha256 {hashlib.sha256(data).hexdigest()})",
          file=sys.stderr)
    return 0
