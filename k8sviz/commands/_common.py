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


def load_inputs(args: argparse.Namespace) -> Snapshot:
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
    return load(*paths, cluster=args.cluster)
