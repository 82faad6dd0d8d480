"""Self-contained, offline, deterministic HTML audit reports.

``k8sviz.report(snapshot_or_paths, flows=None, zones=None, output=None)`` builds the report;
the ``k8sviz report`` command wraps it.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import types
from pathlib import Path
from typing import Any

from .._files import atomic_write
from .._gc import paused
from ._build import ReportData, ReportError, collect
from ._render import figure_html, render

__all__ = ["ReportData", "ReportError", "collect", "figure_html", "render", "report"]


def report(
    snapshot_or_paths: Any,
    flows: Any = None,
    zones: Any = None,
    output: str | os.PathLike[str] | None = None,
    *,
    reach: Any = None,
    generated_at: str | dt.datetime | None = None,
    baseline: Any = None,
    today: dt.date | str | None = None,
    ipblocks_match_pods: bool = False,
    baseline_cluster: str | None = None,
) -> str | Path:
    """Build the audit report as one self-contained HTML file.

    Parameters
    ----------
    snapshot_or_paths
        A :class:`k8sviz.Snapshot`, or a path (or list of paths) to cluster dumps, manifests or
        snapshot files.
    flows
        Flow logs: paths (files or directories; Hubble, Calico, Goldmane or CSV) or a DataFrame from
        :func:`k8sviz.load_flows` (mapped to this snapshot, or to none). Adds the flows-versus-policy
        section.
    zones
        A zones file (YAML) or the object returned by :func:`k8sviz.load_zones`.
    output
        Where to write the HTML (atomically; missing directories are created). ``None``
        returns the HTML as a string.
    reach
        A precomputed :func:`k8sviz.reachability` result (computed when omitted).
    generated_at
        Generation time written into the report (default: now, UTC). Everything else is a
        function of the inputs, so two runs differ only in this line.
    baseline
        The previous review's snapshot (a :class:`k8sviz.Snapshot` or paths). Adds a section
        of what changed since: connections opened or closed (:func:`k8sviz.reachability_diff`)
        and policies added, removed or modified (:func:`k8sviz.policy_diff`). Its files are
        listed among the inputs with their SHA-256 (a Snapshot's, those it was loaded from).
        A baseline naming another cluster than the snapshot (both named, not ``"unnamed"``)
        is said in that section and warned about (``UserWarning``), not refused: a cluster
        renamed or rebuilt since the previous review is still a fair baseline.
    today
        The date zone exceptions (``allow`` entries with ``expires``) are judged against, as in
        :func:`k8sviz.segmentation` and :func:`k8sviz.gaps` (default: the snapshot's
        ``collected_at``, else today).  A value that is not a date is an
        :class:`~k8sviz.errors.InputError`, raised before anything is loaded.
    ipblocks_match_pods
        Let ipBlocks match pod addresses too (see :func:`k8sviz.reachability`); the baseline
        is evaluated the same way.  With ``reach``, it must have been computed so.
    baseline_cluster
        The baseline's cluster name, for a baseline given as paths (as ``cluster`` of
        :func:`k8sviz.load`; a Snapshot has its own, and naming it is a
        :class:`ReportError`).  Default: the name its snapshot file carries, else the
        snapshot's: a dump has no name, and a baseline is usually the same cluster at an
        earlier date.

    Returns
    -------
    str or pathlib.Path
        The HTML (``output=None``) or the path written.

    Notes
    -----
    The file embeds plotly.js once and makes no network request. Every string from the
    cluster is HTML-escaped (``<`` inside embedded JSON is written ``\\u003c``).
    """
    if output is not None:
        from .._checks import require_paths

        # Before the work: a report takes seconds to minutes to build.
        require_paths((output,), "report: output", ReportError)
    with paused():  # every analysis allocates by the million: see k8sviz._gc
        data = collect(
            snapshot_or_paths,
            flows=flows,
            zones=zones,
            reach=reach,
            generated_at=generated_at,
            baseline=baseline,
            today=today,
            ipblocks_match_pods=ipblocks_match_pods,
            baseline_cluster=baseline_cluster,
        )
        page = render(data)
        # networkx caches views that point back at the graph, so only the cyclic GC frees it:
        # emptying it now frees its edges at once, not at whichever collection comes next.
        if data.graph is not None:
            data.graph.clear()
    if output is None:
        return page
    target = Path(output)
    try:
        atomic_write(target, page.encode("utf-8"))
    except OSError as e:
        raise ReportError(f"cannot write the report to {target}: {e.strerror or e}") from None
    return target


class _CallableModule(types.ModuleType):
    """Lets ``k8sviz.report(...)`` work even after ``import k8sviz.report`` bound the module."""

    def __call__(self, *args: Any, **kwargs: Any) -> str | Path:
        return report(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
