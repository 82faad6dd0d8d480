"""``k8sviz connectivity``: the connections the NetworkPolicies allow, as a table."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ._common import add_inputs, load_inputs


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "connectivity",
        help="allowed connections between pods/workloads and external blocks",
        description="Evaluate the NetworkPolicies of a snapshot and list what they allow.",
    )
    add_inputs(p)
    p.add_argument("--level", choices=("pod", "workload"), default="workload", help="endpoint granularity (default workload)")
    p.add_argument("--format", choices=("json", "csv", "md", "txt"), default="txt", help="output format (default txt)")
    p.add_argument("--ipblocks-match-pods", action="store_true", help="let ipBlocks match pod IPs too")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    return p


def render(df: Any, fmt: str) -> str:
    import json

    records = [
        {"src": s, "dst": d, "protocol": p, "ports": list(ports)}
        for s, d, p, ports in zip(df["src"], df["dst"], df["protocol"], df["ports"], strict=True)
    ]
    if fmt == "json":
        return json.dumps(records, indent=1) + "\n"
    if fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["src", "dst", "protocol", "ports"])
        for r in records:
            w.writerow([r["src"], r["dst"], r["protocol"], " ".join(r["ports"])])
        return buf.getvalue()
    if fmt == "md":
        def cell(x: str) -> str:
            return x.replace("|", "\\|")

        lines = ["| src | dst | protocol | ports |", "|---|---|---|---|"]
        lines += [f"| {cell(r['src'])} | {cell(r['dst'])} | {r['protocol']} | {', '.join(r['ports'])} |" for r in records]
        return "\n".join(lines) + "\n"
    return "".join(f"{r['src']} => {r['dst']} : {r['protocol']} {','.join(r['ports'])}\n" for r in records)


def run(args: argparse.Namespace) -> int:
    from ..policy.reachability import reachability

    snap = load_inputs(args)
    reach = reachability(snap, ipblocks_match_pods=args.ipblocks_match_pods)
    text = render(reach.to_frame(args.level), args.format)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    for w in reach.warnings:
        print(f"k8sviz: warning: {w}", file=sys.stderr)
    return 0
