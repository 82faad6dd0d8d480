"""``k8sviz info``: what a snapshot holds, what it could not see or judge, and what it warns about."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from .._text import counted
from ._common import WARNINGS_PER_CODE, add_inputs, load_inputs, per_code, warnings_choice

if TYPE_CHECKING:
    from ..model import LoadWarning


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "info",
        help="counts per kind, coverage and warnings of a snapshot or dump",
        description="Summarise what the input holds: objects per kind, the coverage of each "
        "resource (a kind not read is unknown, not empty), the policies k8sviz does not "
        "evaluate, and the warnings raised while reading.",
    )
    add_inputs(p)
    p.add_argument(
        "--warnings",
        default="50",
        metavar="{summary,all,N}",
        help="show at most N warnings per warning code (codes in the order first seen), then a count "
             "of the rest of that code (default 50; 0: only a count per code; summary: "
             f"{WARNINGS_PER_CODE}), or every one in order (all), as the commands that evaluate the "
             "policies take it",
    )
    return p


def run(args: argparse.Namespace) -> int:
    how = warnings_choice(args.warnings)
    snap = load_inputs(args, say_warnings=False)  # listed below
    meta = snap.meta
    print(f"cluster       {meta['cluster']}")
    print(f"source        {meta['source']}")
    # unknown for files that do not say (manifests), as the report says it; not Python's None
    print(f"collected at  {meta.get('collected_at') or 'unknown'}")
    print(f"sha256        {snap.sha256}")
    print(f"inputs        {counted(len(meta['inputs']), 'file')}")
    if snap.namespace_scope is not None:
        # A namespace-scoped live snapshot: the counts below say nothing of other namespaces.
        print(f"scope         namespaces {', '.join(snap.namespace_scope)} only "
              "(namespaced objects elsewhere are unknown)")
    if snap.cilium_release_text is not None:
        # What release-dependent Cilium rules are judged by (toServices on Services with a selector).
        print(f"cilium        {snap.cilium_release_text}")
    print()
    counts = snap.counts()
    width = max(len(k) for k in counts)
    for kind, n in counts.items():
        print(f"{kind:<{width}}  {n:>7}")
    print()
    print("coverage")
    shown_coverage = {p: s for p, s in snap.coverage.items() if s != "not-in-input"}
    key_width = max((len(p) for p in shown_coverage), default=0)
    for plural, state in shown_coverage.items():
        # A refused list counts 0 above: say here that it means unknown.
        note = " (unknown, not empty)" if state == "forbidden" else ""
        print(f"  {plural:<{key_width}}  {state}{note}")
    missing = [p for p, s in snap.coverage.items() if s == "not-in-input"]
    if missing:
        print(f"  not in input (unknown, not empty): {', '.join(missing)}")
    unevaluated = snap.unevaluated_policies
    if unevaluated:
        print()
        print(f"not evaluated {len(unevaluated)} (the cluster enforces them; verdicts leave them out)")
        for p in unevaluated:
            why = ("; ".join(getattr(p, "unsupported", ()))
                   or f"{p.api_version} is not a dialect k8sviz evaluates")
            print(f"  {p.ref}: {why}")
    print()
    print(f"warnings      {len(snap.warnings)}")
    limit = per_code(how)
    if limit is None:
        for w in snap.warnings:
            print(f"  {w}")
        return 0
    # as the engine's warnings are summarised: the first N of each code, then a count of the rest
    by_code: dict[str, list[LoadWarning]] = {}
    for w in snap.warnings:
        by_code.setdefault(w.code, []).append(w)
    for code, ws in by_code.items():
        for w in ws[:limit]:
            print(f"  {w}")
        rest = len(ws) - limit
        if rest > 0:
            print(f"  {'... ' if limit else ''}{rest}{' more' if limit else ''} [{code}] "
                  "(--warnings all shows every one)")
    return 0
