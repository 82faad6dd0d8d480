"""Plotly figures over k8sviz results (``go.Figure`` everywhere, so figures survive export).

All cluster-derived strings that end up in figure text (labels, names, hover) are
HTML-escaped, because plotly.js renders a subset of HTML in text.
"""

from __future__ import annotations

from .changes import changes_figure
from .findings import controls_figure, findings_summary
from .flows import flow_sankey, flow_timeline
from .html import HTML, table_html
from .matrix import reachability_matrix, segmentation_heatmap
from .network import network_figure

__all__ = [
    "HTML",
    "changes_figure",
    "controls_figure",
    "findings_summary",
    "flow_sankey",
    "flow_timeline",
    "network_figure",
    "reachability_matrix",
    "segmentation_heatmap",
    "table_html",
]
