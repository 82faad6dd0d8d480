"""``k8sviz flows``: load flow logs, summarize each source and print the observed edges."""

from __future__ import annotations

import argparse
from typing import Any

from .._text import counted
from ._common import (
    LEVELS,
    add_format_option,
    add_level_option,
    add_output,
    check_inputs,
    check_output,
    swallowed,
    write_text,
)


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "flows",
        help="summarize Hubble/Calico/Goldmane/CSV flow logs and list observed edges",
        description="Load flow logs (Hubble, Calico, Goldmane, CSV; .gz allowed), map them to a snapshot and "
                    "print "
        "a per-source summary (records, window, skipped lines) and the observed edges (--format csv "
        "and md: the edges only, with what the summary would say of lost events, unreadable lines and "
        "unmapped endpoints as warnings on stderr; json: both, under summary and edges).",
    )
    # "*", not "+": a missing FLOWS is reported by run(), which can say where it went.
    p.add_argument("flows", nargs="*", metavar="FLOWS", help="flow log files or directories")
    p.add_argument(
        "--snapshot",
        nargs="+",
        action="extend",
        metavar="PATH",
        default=None,
        help="snapshot file, kubectl dumps or directories used to map IPs and pods",
    )
    p.add_argument(
        "--flow-format",
        choices=("auto", "hubble", "calico", "goldmane", "csv"),
        default="auto",
        help="input format (default: detected per file)",
    )
    add_level_option(p, LEVELS)
    add_format_option(p)
    add_output(p, "file to write")
    return p


def _summary(flows: Any) -> dict[str, Any]:
    from ..flows import flow_report

    rep = flow_report(flows)
    per_format: dict[str, dict[str, Any]] = {}
    for s in rep["sources"]:
        fmt = s["format"] or "unknown"
        agg = per_format.setdefault(
            fmt,
            {
                "files": 0,
                "records": 0,
                "lines": 0,
                "malformed": 0,
                "truncated": 0,
                "bad_time": 0,
                "non_flow": 0,
                "first": None,
                "last": None,
            },
        )
        agg["files"] += 1
        for k in ("records", "lines", "malformed", "truncated", "bad_time"):
            agg[k] += s.get(k, 0)
        agg["non_flow"] += sum(s["skipped"].values())
        lost = s.get("lost_events") or {}
        if lost.get("reports"):
            agg.setdefault("lost_events", []).append({"file": s["file"], **lost})
        if s.get("first") and (agg["first"] is None or s["first"] < agg["first"]):
            agg["first"] = s["first"]
        if s.get("last") and (agg["last"] is None or s["last"] > agg["last"]):
            agg["last"] = s["last"]
    types = flows["flow_type"].value_counts() if "flow_type" in flows else {}
    return {
        # By format, not by the order the files were given in: the edges do not depend on it either.
        "sources": dict(sorted(per_format.items())),
        # Hubble event types: L7 proxy records and SOCK translations are not plain packets.
        "flow_types": {str(k): int(v) for k, v in sorted(dict(types).items()) if v},
        "problems": rep["problems"],
        "unmapped": {
            k: {"endpoints": v["endpoints"], "records": v["records"]} for k, v in rep["unmapped"].items()
        },
    }


#: The edge columns the command prints (``flow_edges`` has more).
EDGE_COLUMNS = ("src", "dst", "protocol", "ports", "flows", "allowed", "denied", "unknown", "bytes",
                "first_seen", "last_seen", "sources")


def render(summary: dict[str, Any], edges: Any, fmt: str) -> str:
    if fmt == "csv":
        from ..viz.html import csv_text

        # The cells of k8sviz.notebook.to_csv (ports joined with ", "); endpoint names come from
        # the logs: none may run as a formula in a spreadsheet.
        return csv_text(edges.loc[:, list(EDGE_COLUMNS)], lineterminator="\n")
    if fmt == "md":
        import io

        from .gaps import emit

        # The other commands' Markdown table, of the csv's columns; times in ISO 8601, as csv
        # and json write them (a Timestamp's text has a space for the T).
        table = edges.loc[:, list(EDGE_COLUMNS)].copy()
        for c in ("first_seen", "last_seen"):
            table[c] = [t.isoformat() if hasattr(t, "isoformat") and t == t else "" for t in table[c]]
        buf = io.StringIO()
        emit(table, "md", buf)
        return buf.getvalue()
    import json

    from ..flows import lost_text, problem_place

    recs = []
    for r in edges.itertuples(index=False):
        recs.append(
            {
                "src": r.src,
                "dst": r.dst,
                "protocol": r.protocol,
                "ports": list(r.ports),
                "flows": int(r.flows),
                "allowed": int(r.allowed),
                "denied": int(r.denied),
                "unknown": int(r.unknown),
                "bytes": int(r.bytes),
                "first_seen": r.first_seen.isoformat(),
                "last_seen": r.last_seen.isoformat(),
                "sources": r.sources,
            }
        )
    if fmt == "json":
        return json.dumps({"summary": summary, "edges": recs}, indent=1, default=str) + "\n"
    out = []
    for fmt_name, s in summary["sources"].items():
        out.append(
            f"{fmt_name:<7} {counted(s['files'], 'file')}, {counted(s['records'], 'record')}, {_window(s)}; "
            f"skipped {s['malformed']} malformed, {s['truncated']} truncated, "
            f"{s['bad_time']} undated, {s['non_flow']} non-flow"
        )
    if set(summary["flow_types"]) - {"L3_L4"}:
        counts = ", ".join(f"{k} {v}" for k, v in summary["flow_types"].items())
        out.append(f"  Hubble event types: {counts} (L7: proxy records; SOCK: socket translations, verdict "
                   "unknown)")
    for s in summary["sources"].values():
        for lost in s.get("lost_events", ()):
            out.append("  " + lost_text(lost["file"], lost))
    problems = summary["problems"]
    shown = problems[:10]
    # and the first of each kind past them: a damaged file's "unreadable" came after hundreds of
    # malformed lines, and the summary did not say the file could not be read to its end
    kinds = {p["kind"] for p in shown}
    for p in problems[10:]:
        if p["kind"] not in kinds:
            kinds.add(p["kind"])
            shown.append(p)
    for p in shown:
        out.append(f"  {p['kind']}: {problem_place(p)}: {p['message']}")
    if len(problems) > len(shown):
        out.append(f"  ... and more problems: --format json lists the first {len(problems):,}")
    for reason, u in summary["unmapped"].items():
        out.append(f"  unmapped ({reason}): {counted(u['endpoints'], 'endpoint')}, "
                   f"{counted(u['records'], 'record')}")
    out.append("")
    for r in recs:
        verdict = (
            f"allowed {r['allowed']}"
            + (f", DENIED {r['denied']}" if r["denied"] else "")
            + (f", unknown {r['unknown']}" if r["unknown"] else "")
        )
        out.append(
            f"{r['src']} => {r['dst']} : {r['protocol']} {','.join(r['ports'])}  "
            f"{counted(r['flows'], 'flow')} ({verdict})  {r['first_seen'][:19]} .. {r['last_seen'][:19]}"
        )
    if any(r["allowed"] + r["denied"] + r["unknown"] != r["flows"] for r in recs):
        # "145 flows (allowed 145, DENIED 6)" read as a sum gone wrong: say how they are counted.
        out += ["", "flows: connections, as counted by the observer that saw the most of them (Hubble at "
                "the source or at the destination, Calico at either end); allowed, DENIED and unknown are "
                "each counted that way within their verdict, so they need not add up to flows: a "
                "connection allowed at its source and dropped at its destination counts in both "
                "(docs/flows.md, \"Counting connections\")"]
    return "\n".join(out) + "\n"


def _window(source: dict[str, Any]) -> str:
    """The time span of a source's records, as the summary line says it: files with no record
    have none (their ``first`` and ``last`` are None, ``null`` in JSON)."""
    if source["first"] is None or source["last"] is None:
        return "no records" if not source["records"] else "window unknown"
    return f"window {source['first']} .. {source['last']}"


def run(args: argparse.Namespace) -> int:
    import warnings

    from ..flows import FlowWarning, flow_edges, load_flows

    if not args.flows:
        from ..errors import InputError

        msg = "give at least one FLOWS file or directory" + swallowed("--snapshot", args.snapshot, "FLOWS")
        raise InputError(msg)
    check_output(args.output)
    check_inputs(snapshot=args.snapshot, FLOWS=args.flows)
    snap = None
    if args.snapshot:
        from ..snapshot import load

        snap = load(*args.snapshot)
        if snap.warnings:  # an empty or half-read snapshot leaves flows unmapped: say why
            from ._common import say_load_warnings

            say_load_warnings(snap, list(args.snapshot), "the --snapshot input")
    with warnings.catch_warnings():
        if args.format not in ("csv", "md"):
            # txt and json carry the load report (lost events, bad lines, unmapped endpoints);
            # csv and md hold the edges only, so there the warnings on stderr are all that says it.
            warnings.simplefilter("ignore", FlowWarning)
        flows = load_flows(*args.flows, format=args.flow_format, snapshot=snap)
    text = render(_summary(flows), flow_edges(flows, level=args.level), args.format)
    write_text(args.output, text, rows=args.format == "txt")
    return 0
