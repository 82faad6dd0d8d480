"""``k8sviz diff``: what changed between two snapshots, connections or policies (change review)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .._text import as_written, counted
from ._common import (
    add_format_option,
    add_ipblocks_option,
    add_level_option,
    add_warnings_option,
    add_zones_option,
    check_inputs,
)


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "diff",
        help="connections opened or closed (or policies, labels changed) between two snapshots",
        description="Compare two snapshots of one cluster, e.g. last quarter's and today's: the "
        "connections the policies allow that were added, removed, widened or narrowed; with "
        "--policies the policies added, removed or modified (or whose named Services resolve "
        "differently, or could not be compared because a snapshot did not read them: not-read); "
        "with --labels the namespaces and "
        "workloads whose labels changed (selectors read them); with --findings the findings of "
        "k8sviz gaps that are new, changed or resolved. Two snapshot files naming "
        "different clusters are compared with a warning. Exit code 0 whatever changed, "
        "unless --exit-code.",
    )
    p.add_argument("before", metavar="BEFORE", help="the earlier snapshot: snapshot file, dump or directory")
    p.add_argument("after", metavar="AFTER", help="the later snapshot, likewise")
    add_level_option(p, default=None, note="; pods are renamed by every rollout")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--policies", action="store_true", help="list the policies that changed instead")
    what.add_argument("--labels", action="store_true",
                      help="list the namespaces and workloads whose labels changed")
    what.add_argument("--findings", action="store_true",
                      help="list the findings (as k8sviz gaps gives them; zone violations with --zones) that "
                           "are new, changed or resolved")
    p.add_argument(
        "--rules", action="store_true",
        help="add the rules behind each change (rules_before: admitted the removed ports; rules_after: admit "
             "the added)",
    )
    p.add_argument(
        "--only", choices=("opened", "closed"),
        help="list only the connection changes that open something (added, widened, changed) or close "
             "something (removed, narrowed, changed); with --findings, the findings that open something "
             "(new, or changed to a higher severity or to evidence reaching further: more sources, pods, "
             "ports or blocks; column opens), or resolved or changed; with --exit-code, exit 1 only if "
             "one is listed: a CI gate on what a change opens, which a revert passes",
    )
    add_zones_option(p, "add each end's zone (src_zone, dst_zone); with --findings, judge zone violations")
    p.add_argument("--today", metavar="YYYY-MM-DD",
                   help="judge exception expiry on this date (default: AFTER's collected_at); with "
                        "--findings, both snapshots are judged on it, so that an exception expiring "
                        "between them is no change")
    add_format_option(p)
    add_ipblocks_option(p)
    p.add_argument("--exit-code", action="store_true",
                   help="exit with 1 if anything is listed, 0 if nothing is (for CI gates; with --only, "
                        "only what is listed counts; with --policies, not-read rows count); 2 on an error "
                        "in the arguments or inputs")
    add_warnings_option(p)
    return p


def run(args: argparse.Namespace) -> int:
    from ..analysis.diff import findings_diff, label_diff, policy_diff, reachability_diff
    from ..analysis.gaps import gaps
    from ..errors import InputError
    from ..policy.reachability import reachability
    from ..snapshot import UNNAMED, load
    from ._common import say_engine_warnings, say_load_warnings
    from .gaps import emit

    if args.today is not None and not args.findings:
        msg = "--today is the date findings are judged on; give it with --findings"
        raise InputError(msg)
    if args.findings and (args.rules or args.level):
        msg = "--level and --rules are about connection changes; leave them out with --findings"
        raise InputError(msg)
    if (args.policies or args.labels) and (args.rules or args.level or args.zones or args.only):
        flag = "--policies" if args.policies else "--labels"
        msg = f"--level, --only, --rules and --zones are about connection changes; leave them out with {flag}"
        raise InputError(msg)
    # AFTER and --zones are read after BEFORE: a mistyped one is said before any is.
    check_inputs(BEFORE=args.before, AFTER=args.after, zones=args.zones)
    before, after = load(args.before), load(args.after)
    for side, path, snap in (("BEFORE", args.before, before), ("AFTER", args.after, after)):
        if snap.warnings:
            say_load_warnings(snap, [path], f"{side} ({path})")
        if snap.is_empty:
            msg = f"{side} ({path}) holds no Kubernetes objects: every connection would show as changed"
            raise InputError(msg)
    names = [str(s.meta.get("cluster") or UNNAMED) for s in (before, after)]
    if names[0] != names[1] and UNNAMED not in names:
        # Only snapshot files carry a name (a dump is unnamed): as the report says of its
        # baseline, two clusters' differences are no change review, but may be meant (a rename).
        print(f"k8sviz: warning: cluster mismatch: BEFORE is a snapshot of cluster "
              f"{as_written(names[0])}, AFTER of "
              f"{as_written(names[1])}; the changes compare two clusters' objects, not one cluster's over "
              "time",
              file=sys.stderr)
    if args.policies:
        df = policy_diff(before, after)
        what = "policy change"
    elif args.labels:
        df = label_diff(before, after)
        what = "label change"
    else:
        reach = [reachability(s, ipblocks_match_pods=args.ipblocks_match_pods) for s in (before, after)]
        # BEFORE's warnings, "before: " unless AFTER has it too, then AFTER's own, "after: ".
        said = [set(map(str, r.warnings)) for r in reach]
        ws = [*reach[0].warnings, *(w for w in reach[1].warnings if str(w) not in said[0])]
        prefixes = [("" if str(w) in said[1] else "before: ") for w in reach[0].warnings]
        prefixes += ["after: "] * (len(ws) - len(prefixes))
        say_engine_warnings(ws, args.warnings, prefixes)
        if args.findings:
            from ..analysis.zones import load_zones, parse_date, resolve_today

            zones = load_zones(args.zones) if args.zones else None
            # Both sides on one day, as the report judges its baseline: each on its own date, an
            # exception expiring between them would read as a change the pull request made.
            day = resolve_today(None if args.today is None else parse_date(args.today, "--today"), after)
            sides = zip((before, after), reach, strict=True)
            df = findings_diff(*(gaps(s, r, zones=zones, today=day) for s, r in sides))
            what = "finding change"
            # Opened: new, or changed to worse (findings_diff's opens), so that a revert, whose
            # findings only go or read otherwise (a namespace's count of policies), passes.
            # Closed: "changed" still counts, as it reads otherwise.
            kept: tuple[str, ...] = ("new", "changed") if args.only == "opened" else ("resolved", "changed")
            if args.only == "opened":
                df = df[df["opens"].astype(bool)].reset_index(drop=True)
            noun = {"opened": "opened finding", "closed": "resolved or changed finding"}
        else:
            df = reachability_diff(
                reach[0], reach[1], level=args.level or "workload", rules=args.rules, zones=args.zones
            )
            what = "connection change"
            # "changed" both adds and removes ports: it opens and closes something.
            kept = (("added", "widened", "changed") if args.only == "opened"
                    else ("removed", "narrowed", "changed"))
            noun = {"opened": "opened connection change", "closed": "closed connection change"}
        if args.only:
            df = df[df["change"].isin(kept)].reset_index(drop=True)
            what = noun[args.only]
    if len(df) or args.format != "txt":  # no change, no table: like diff(1)
        emit(df, args.format)
    if args.format == "txt":
        counts = df["change"].value_counts()
        parts = ", ".join(f"{n} {c}" for c, n in counts.items())
        print(f"\n{counted(len(df), what)}" + (f": {parts}" if parts else ""), file=sys.stderr)
    return 1 if args.exit_code and len(df) else 0
