"""Helpers shared by subcommands."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..snapshot import Snapshot


def add_inputs(p: argparse.ArgumentParser, *, demo: bool = True) -> None:
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="kubectl dumps, manifests, directories or k8sviz snapshot files",
    )
    if demo:
        p.add_argument("--demo", action="store_true", help="use the bundled demo cluster")
    p.add_argument(
        "--cluster",
        help="name of the cluster (default: from a snapshot file, else 'unnamed'; with --demo, demo-boutique)"
        if demo else "name of the cluster (default: from a snapshot file, else 'unnamed')",
    )


def swallowed(option: str, values: list[str] | None, positional: str) -> str:
    """What to add to "give at least one <positional>" when ``option``, which takes one or
    more values, took the positional ones too (``gaps --flows f.gz snap.json``); "" otherwise.

    argparse cannot tell where such an option's values end, and its own error names only the
    missing positional, which the user did give.
    """
    if not values or len(values) < 2:
        return ""
    return (f": {option} takes one or more paths and took every one after it ({', '.join(values)}); "
            f"put {option} after the {positional}, or end its paths with -- (then give every other "
            "option before it)")


def load_inputs(args: argparse.Namespace, *, say_warnings: bool = True) -> Snapshot:
    """The snapshot of the command's PATHs (and ``--demo``).  Its load warnings (objects
    skipped or changed, files not read) are summed up on stderr, one line, unless
    ``say_warnings`` is false (``info``, which lists them itself)."""
    from ..errors import InputError
    from ..snapshot import load
    from ..sources.demo import demo_path

    paths = list(args.paths)
    if getattr(args, "demo", False):
        paths.append(str(demo_path("cluster")))
        args.cluster = args.cluster or "demo-boutique"
    if not paths:
        msg = "give at least one PATH (or --demo)" + swallowed("--flows", getattr(args, "flows", None),
                                                               "PATHs")
        raise InputError(msg)
    snap = load(*paths, cluster=args.cluster)
    if say_warnings and snap.warnings:
        say_load_warnings(snap, paths)
    return snap


def say_load_warnings(snap: Snapshot, paths: list[str], what: str = "the input") -> None:
    """One stderr line: how many load warnings, the first, and how to list them all.

    ``what`` names the input where a command reads more than one (``diff``'s BEFORE and AFTER)."""
    import shlex
    import sys

    from .._text import counted

    n = len(snap.warnings)
    first = str(snap.warnings[0]).replace("\n", " ")
    if len(first) > 300:
        first = first[:299] + "…"
    listing = "k8sviz info " + " ".join(shlex.quote(p) for p in paths) + " --warnings all"
    print(f"k8sviz: warning: {counted(n, 'load warning')} while reading {what}"
          f"{', the first' if n > 1 else ''}: {first} (`{listing}` lists {'them' if n > 1 else 'it'})",
          file=sys.stderr)
