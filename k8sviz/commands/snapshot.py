"""``k8sviz snapshot``: write a snapshot file from dumps/manifests or from a live cluster."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .._text import as_written, counted
from ._common import (
    STDOUT,
    add_inputs,
    add_output,
    check_output,
    creating,
    load_inputs,
    to_stdout,
    writing,
)


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "snapshot",
        help="write a snapshot file from kubectl dumps/manifests, or from a live cluster",
        description="Offline: give PATHs. Live: give --kubeconfig/--context (or --in-cluster).",
    )
    add_inputs(p)
    # A live snapshot is named after its context (docs/live.md), which the shared help left out.
    cluster = next(a for a in p._actions if a.dest == "cluster")
    cluster.help = ("name of the cluster (default: from a snapshot file, else 'unnamed'; with --demo, "
                    "demo-boutique; live: the name of the kubeconfig context, in-cluster for --in-cluster)")
    add_output(p, "snapshot file to write", required=True, terminal=False)
    live = p.add_argument_group("live cluster (read-only)")
    live.add_argument("--kubeconfig", metavar="FILE",
                      help="kubeconfig file (default: $KUBECONFIG, else ~/.kube/config; never written)")
    live.add_argument("--context", metavar="NAME", help="kubeconfig context (default: its current-context)")
    live.add_argument(
        "--namespace", "-n", action="append", default=None, metavar="NS",
        help="restrict to this namespace (repeatable; it must exist), for namespace-scoped auditors",
    )
    live.add_argument("--in-cluster", action="store_true", help="use the pod's service account")
    live.add_argument(
        "--concurrency", default=None, metavar="N",
        help="lists (and discovery documents) fetched at once (default 4; 1: one after the other); "
             "the snapshot is the same",
    )
    live.add_argument(
        "--timeout", default=None, metavar="SECONDS",
        help="longest wait for one request's whole answer, and for the kubeconfig's exec plugin "
             "(default 300); a request or plugin still unfinished then stops the snapshot",
    )
    return p


def _concurrency(value: str) -> int:
    """The --concurrency value; checked here rather than by argparse, whose error is a usage
    block, not one line."""
    from ..errors import InputError

    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        msg = f"--concurrency takes a whole number of at least 1, not {as_written(value)}"
        raise InputError(msg)
    return n


def _timeout(value: str) -> float:
    """The --timeout value (seconds), checked here for a one-line error, as --concurrency is."""
    import math

    from ..errors import InputError

    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds < math.inf:  # nan, inf and 1e999 are floats too
        msg = f"--timeout takes a positive number of seconds (say 30 or 2.5), not {as_written(value)}"
        raise InputError(msg)
    return seconds


def run(args: argparse.Namespace) -> int:
    live = args.kubeconfig or args.context or args.in_cluster or args.namespace
    check_output(args.output, not_to_terminal="the snapshot")
    for option, value in (("--concurrency", args.concurrency), ("--timeout", args.timeout)):
        if value is not None and not live:
            from ..errors import InputError

            msg = f"{option} applies to a live snapshot (--kubeconfig/--context/--in-cluster)"
            raise InputError(msg)
    if args.concurrency is not None:
        args.concurrency = _concurrency(args.concurrency)
    if args.timeout is not None:
        args.timeout = _timeout(args.timeout)
    if live:
        from ..errors import InputError

        if args.paths or args.demo:
            # Name the live options given: --namespace alone reads as a filter of the PATHs.
            given = [o for o, v in (("--kubeconfig", args.kubeconfig), ("--context", args.context),
                                    ("--in-cluster", args.in_cluster), ("--namespace", args.namespace)) if v]
            offline = "--demo" if args.demo and not args.paths else "PATHs"
            msg = ("give either PATHs (offline) or --kubeconfig/--context/--in-cluster (live), not both "
                   f"(given: {offline} and {', '.join(given)}"
                   + ("; --namespace applies to a live snapshot only)" if args.namespace else ")"))
            raise InputError(msg)
        import logging

        from ..sources.live import snapshot_cluster

        # The library logs refused lists as they come; printed like the command's other warnings
        # (without a handler, Python printed the bare message).
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("k8sviz: warning: %(message)s"))
        handler.setLevel(logging.WARNING)
        logger = logging.getLogger("k8sviz")
        logger.addHandler(handler)
        try:
            snap = snapshot_cluster(
                kubeconfig=args.kubeconfig,
                context=args.context,
                namespaces=args.namespace,
                in_cluster=args.in_cluster,
                cluster=args.cluster,
                **({} if args.concurrency is None else {"concurrency": args.concurrency}),
                timeout=args.timeout,
            )
        finally:
            logger.removeHandler(handler)
    else:
        if not args.paths and not args.demo:
            from ..errors import InputError

            # load_inputs says "give at least one PATH (or --demo)", and this command also reads
            # a live cluster: a user expecting kubectl's current context learns which option.
            msg = ("give at least one PATH (or --demo) for an offline snapshot, or --kubeconfig FILE, "
                   "--context NAME or --in-cluster for a live one (nothing is read from a kubeconfig unless "
                   "one of them is given)")
            raise InputError(msg)
        snap = load_inputs(args)
    if args.output == STDOUT:
        to_stdout(snap.to_json())
        written = "standard output"
    else:
        with creating(args.output), writing(args.output):
            written = str(snap.save(args.output))
    print(f"wrote {written} ({counted(len(snap.pods), 'pod')}, "
          f"{counted(len(snap.network_policies), 'network policy')}, "
          f"{counted(len(snap.warnings), 'warning')}, sha256 {snap.sha256[:12]})", file=sys.stderr)
    return 0
