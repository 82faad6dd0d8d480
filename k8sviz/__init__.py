"""k8sviz: investigate Kubernetes network security and compliance.

The public API is re-exported here and imported lazily, so ``import k8sviz`` (and the CLI's
``--help``) stays fast::

    snap = k8sviz.load("data/demo/cluster")
    reach = k8sviz.reachability(snap)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

# name -> module that defines it.  Later layers add their entries here.
_API: dict[str, str] = {
    "load": ".snapshot",
    "Snapshot": ".snapshot",
    "demo": ".sources.demo",
    "demo_path": ".sources.demo",
    "K8svizError": ".errors",
    "InputError": ".errors",
    "PolicyError": ".errors",
    "QueryError": ".errors",
    "SnapshotVersionError": ".errors",
    "TableError": ".errors",
    "LiveError": ".errors",
    "ZoneError": ".errors",
    "ZoneWarning": "._warnings",
    # analyses
    "graph": ".analysis.graph",
    "load_zones": ".analysis.zones",
    "Zones": ".analysis.zones",
    "segmentation": ".analysis.segmentation",
    "Segmentation": ".analysis.segmentation",
    "gaps": ".analysis.gaps",
    "policy_inventory": ".analysis.inventory",
    "reachability_diff": ".analysis.diff",
    "policy_diff": ".analysis.diff",
    "label_diff": ".analysis.diff",
    "findings_diff": ".analysis.diff",
    "controls_summary": ".analysis.controls",
    "CONTROLS": ".analysis.controls",
    "FINDINGS": ".analysis.controls",
    "blast_radius": ".analysis.blast",
    "internet_paths": ".analysis.blast",
    "paths_as_text": ".analysis.blast",
    "reachability": ".policy.reachability",
    "Reachability": ".policy.reachability",
    "Verdict": ".policy.reachability",
    "Posture": ".policy.posture",
    "snapshot_cluster": ".sources.live",
    # figures and report
    "report": ".report",
    "network_figure": ".viz",
    "segmentation_heatmap": ".viz",
    "reachability_matrix": ".viz",
    "flow_sankey": ".viz",
    "flow_timeline": ".viz",
    "findings_summary": ".viz",
    "controls_figure": ".viz",
    "changes_figure": ".viz",
    "load_flows": ".flows",
    "flow_edges": ".flows",
    "flow_discrepancies": ".flows",
    "flow_windows": ".flows",
    "flow_report": ".flows",
    "clock_skew": ".flows",
    "aggregate_flow_archive": ".flows",
    "FlowWarning": ".flows",
}

__all__ = ["__version__", *sorted(_API)]

if TYPE_CHECKING:
    from ._warnings import ZoneWarning
    from .analysis.blast import blast_radius, internet_paths, paths_as_text
    from .analysis.controls import CONTROLS, FINDINGS, controls_summary
    from .analysis.diff import findings_diff, label_diff, policy_diff, reachability_diff
    from .analysis.gaps import gaps
    from .analysis.graph import graph
    from .analysis.inventory import policy_inventory
    from .analysis.segmentation import Segmentation, segmentation
    from .analysis.zones import Zones, load_zones
    from .errors import (
        InputError,
        K8svizError,
        LiveError,
        PolicyError,
        QueryError,
        SnapshotVersionError,
        TableError,
        ZoneError,
    )
    from .flows import (
        FlowWarning,
        aggregate_flow_archive,
        clock_skew,
        flow_discrepancies,
        flow_edges,
        flow_report,
        flow_windows,
        load_flows,
    )
    from .policy.posture import Posture
    from .policy.reachability import Reachability, Verdict, reachability
    from .report import report
    from .snapshot import Snapshot, load
    from .sources.demo import demo, demo_path
    from .sources.live import snapshot_cluster
    from .viz import (
        changes_figure,
        controls_figure,
        findings_summary,
        flow_sankey,
        flow_timeline,
        network_figure,
        reachability_matrix,
        segmentation_heatmap,
    )


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        msg = f"module 'k8sviz' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
