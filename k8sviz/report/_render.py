"""Turn :class:`ReportData` into one self-contained, offline, deterministic HTML file."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from markupsafe import Markup

from .._text import as_given, counted, number
from .._version import __version__
from ..viz import (
    changes_figure,
    findings_summary,
    flow_sankey,
    flow_timeline,
    network_figure,
    segmentation_heatmap,
    table_html,
)
from ..viz._network_frame import aggregated_figure
from ..viz.html import CSV_DOWNLOAD_JS, _empty, csv_download, csv_head, csv_text_download
from ..viz.matrix import _matrix as matrix_figure
from ..viz.matrix import _pkey, first_sorted, namespace_cells
from ..viz.network import graph_violations
from ._build import (
    AGGREGATE_ABOVE,
    APPENDIX_ROWS,
    CONNECTED_ROWS,
    FINDING_CHANGE_ROWS,
    FINDING_CSV_CHARS,
    FINDING_ROWS,
    GRAPH_EDGES,
    GRAPH_GROUPS,
    GRAPH_RING_EDGES,
    MATRIX_NAMESPACES,
    NAMESPACE_ROWS,
    UNKNOWN_STATES,
    VIOLATION_CSV_CHARS,
    VIOLATION_ROWS,
    ZONE_MEMBERS,
    ReportData,
    ReportError,
    lost_events,
)
from ._coverage import unread_meaning
from ._failure import failure_text

__all__ = ["figure_html", "render"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
_SCRIPT_CLOSE = re.compile(r"</script", re.IGNORECASE)
_SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
_STATUS_CLASS = {"pass": "st-pass", "fail": "st-fail", "manual": "st-manual", "unknown": "st-unknown"}
_SEVERITY_CLASS = {s: f"sev-{s}" for s in _SEVERITY_RANK}
_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "showSendToCloud": False}

# Rows of the tables that say where the rest is rather than carry it: a command or a call lists
# it (each note in the template names it).
#: Paths from the internet tabulated (``k8sviz paths`` lists them all, per zone).
PATH_ROWS = 500
#: Flow log files tabulated (``flow_report(flows)["sources"]``).
FLOW_SOURCE_ROWS = 500
#: Flow load problems tabulated, of the samples the loader keeps (``flow_report(flows)``).
FLOW_PROBLEM_ROWS = 100
#: Flow discrepancies tabulated (``k8sviz.flow_discrepancies``).
DISCREPANCY_ROWS = 500
#: Columns of the flow discrepancies written under each row, at the table's width.
DISCREPANCY_BELOW = ("policy", "direction", "rule", "sample")
#: Clock skew rows tabulated (``k8sviz.clock_skew``).
SKEW_ROWS = 200
#: Loader warnings listed (``k8sviz info --warnings all``).
WARNINGS_SHOWN = 200
#: The policy engine's warnings listed per code (``k8sviz connectivity ... --warnings all``): per
#: code, as one rule-by-rule code (``ipblock-covers-pods``) would otherwise crowd out the rest.
ENGINE_WARNINGS_SHOWN = 200


@cache
def plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    js = get_plotlyjs()
    if _SCRIPT_CLOSE.search(js):  # pragma: no cover - would break the page
        msg = "plotly.js contains '</script' and cannot be inlined"
        raise ReportError(msg)
    return js


def figure_html(fig: Any, div_id: str) -> Markup:
    """A figure as an HTML fragment with a stable div id and no plotly.js, safe to inline.

    Plotly writes the figure JSON with ``<``, ``>`` and ``/`` as ``\\u003c`` etc., so no
    string from the cluster can close the script element; this is checked, not assumed.
    """
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", div_id):
        msg = f"invalid figure id {as_given(div_id)}"
        raise ReportError(msg)
    out = fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=_PLOTLY_CONFIG)
    # the fragment is <div>...<script>...JSON...</script></div>: exactly one closing tag
    if len(_SCRIPT_CLOSE.findall(out)) != 1 or "<!--" in out:
        msg = f"figure {div_id} would not embed safely"
        raise ReportError(msg)
    return Markup(out)


def _table(df: pd.DataFrame | None, *, max_rows: int | None = 500, **kw: Any) -> Markup | None:
    if df is None:
        return None
    return Markup(table_html(df, max_rows=max_rows, breaks=True, **kw))


def _status(s: Any) -> str:
    v = str(s).strip().lower()
    return {"passed": "pass", "ok": "pass", "failed": "fail", "fail": "fail"}.get(v, v)


def _controls(data: ReportData) -> dict[str, Any]:
    df = data.controls
    if df is None or not hasattr(df, "columns"):
        return {"table": None, "counts": {}}
    df = df.reset_index() if "control" not in df.columns and df.index.name else df
    status_col = next((c for c in ("status", "result", "verdict") if c in df.columns), None)
    counts: Counter[str] = Counter()
    if status_col:
        df = df.assign(**{status_col: df[status_col].map(_status)})
        counts.update(df[status_col])
    classes = {status_col: dict(_STATUS_CLASS)} if status_col else {}
    return {
        "table": _table(
            df,
            max_rows=None,
            table_id="controls-table",
            cell_classes=classes,
            links={"finding_ids": "finding-"} if "finding_ids" in df.columns else None,
        ),
        "counts": {k: counts.get(k, 0) for k in ("pass", "fail", "manual")}
        | {k: n for k, n in sorted(counts.items()) if k not in ("pass", "fail", "manual")},
    }


def _findings(data: ReportData) -> dict[str, Any]:
    gaps = data.gaps
    if gaps is None or not hasattr(gaps, "columns"):
        return {"figure": None, "table": None, "count": None, "by_severity": {}}
    df = gaps.copy()
    if "severity" in df.columns:
        df["_rank"] = df["severity"].astype(str).str.lower().map(_SEVERITY_RANK).fillna(9)
        sort = ["_rank"] + [c for c in ("finding", "namespace", "name") if c in df.columns]
        df = df.sort_values(sort, kind="stable").drop(columns="_rank")
        by_sev = Counter(df["severity"].astype(str).str.lower())
    else:
        by_sev = Counter()
    out: dict[str, Any] = {
        "figure": figure_html(findings_summary(gaps), "fig-findings"),
        "table": _table(
            _first_of_each(df, "finding", FINDING_ROWS) if "finding" in df.columns else df,
            max_rows=FINDING_ROWS,
            table_id="findings-table",
            cell_classes={"severity": _SEVERITY_CLASS},
            anchor=("finding", "finding-") if "finding" in df.columns else None,
            total=len(df),
        ),
        "count": len(df),
        "by_severity": dict(sorted(by_sev.items(), key=lambda kv: _SEVERITY_RANK.get(kv[0], 9))),
    }
    if len(df) > FINDING_ROWS:
        past = _csv_past(df, shown=FINDING_ROWS, cap=FINDING_CSV_CHARS, element_id="findings-csv",
                         filename="findings.csv")
        flags = [*(["--zones", "FILE"] if data.zones is not None else []),
                 *(["--flows", "FLOWS..."] if data.flows_given else []), "--today", _judged_on(data)]
        if getattr(data.reach, "ipblocks_match_pods", False):
            flags.append("--ipblocks-match-pods")
        out["past"] = past | {"command": f"k8sviz gaps CLUSTER... {' '.join(flags)} --format csv"}
    return out


def _first_of_each(df: pd.DataFrame, col: str, rows: int) -> pd.DataFrame:
    """``df``'s first ``rows`` rows, in its order, the first row of each value of ``col`` among
    them: the executive summary links to each finding's first row, which a table of the first
    rows alone would leave out (the least severe kinds come last)."""
    if len(df) <= rows:
        return df
    firsts = ~df[col].duplicated().to_numpy()
    late = (np.flatnonzero(firsts[rows:]) + rows)[:rows]
    keep = np.zeros(len(df), dtype=bool)
    keep[: rows - len(late)] = True
    keep[late] = True
    return df[keep]


def _judged_on(data: ReportData) -> str:
    """The date the report judged zone exceptions on (its segmentation's, else the one given, else
    the snapshot's collection day), as ``--today`` takes it."""
    if data.seg is not None:
        return str(data.seg.today.isoformat())
    from ..analysis.zones import resolve_today

    return resolve_today(data.today, data.snapshot).isoformat()


def _csv_past(
    df: pd.DataFrame, *, shown: int, cap: int | None, element_id: str, filename: str
) -> dict[str, Any]:
    """A table's rows past those it shows, as CSV text in the page: all of ``df``, or its first
    rows that fit in ``cap`` characters, behind a link; the numbers written for the page."""
    text, n = csv_head(df, cap)
    label = f"all {len(df):,} as a CSV file" if n == len(df) else f"the first {n:,} as a CSV file"
    return {
        "csv": Markup(csv_text_download(text, element_id=element_id, filename=filename, label=label)),
        "shown": f"{shown:,}",
        "total": f"{len(df):,}",
        "csv_rows": None if n == len(df) else f"{n:,}",
        "csv_cap": None if cap is None else f"{cap:,}",
    }


def _workload_zones(data: ReportData) -> dict[str, str]:
    """Workload key -> zone name (from the zones object, else from the graph)."""
    z = data.zones
    if z is not None and hasattr(z, "workload_zones"):
        try:
            return {str(k): str(v) for k, v in z.workload_zones(data.snapshot).items()}
        except Exception as e:
            data.problems.append(f"scope: {failure_text(e)}")
    out: dict[str, str] = {}
    G = data.graph
    if G is not None:
        for n, d in G.nodes(data=True):
            ntype = d.get("type") or ("external" if d.get("namespace") is None else "workload")
            # Only workloads are in scope here: not Services, nor the external peers, cluster
            # nodes, network sets and unmapped endpoints that flows add to the graph.
            if ntype in ("workload", "pod"):
                out[str(n)] = str(d.get("zone") or "(no zone)")
    return out


def _connected_peers(rf: pd.DataFrame, wz: dict[str, str], sensitive: set[str]) -> dict[str, set[str]]:
    """Per system outside the sensitive zones: ``from <zone>`` / ``to <zone>`` for each
    sensitive zone an allowed connection joins it with.  On the distinct endpoints and
    (peer, zone) pairs: the frame may hold millions of rows."""
    ends = []
    for col in ("src", "dst"):
        codes, uniq = pd.factorize(rf[col], use_na_sentinel=False)
        texts = [str(u) for u in uniq]
        zone = [wz.get(t) for t in texts]
        zcodes, zuniq = pd.factorize(pd.Series(zone, dtype=object), use_na_sentinel=False)
        inside = np.array([z in sensitive for z in zone], dtype=bool)
        ends.append((codes, texts, zcodes.astype(np.int64), [str(z) for z in zuniq], inside))
    (s_codes, s_texts, s_zone, s_names, s_in), (d_codes, d_texts, d_zone, d_names, d_in) = ends
    in_s, in_d = s_in[s_codes], d_in[d_codes]
    peers: dict[str, set[str]] = defaultdict(set)
    for mask, peer, peer_texts, zone, names, word in (
        (in_s & ~in_d, d_codes, d_texts, s_zone[s_codes], s_names, "from"),
        (in_d & ~in_s, s_codes, s_texts, d_zone[d_codes], d_names, "to"),
    ):
        width = max(1, len(names))
        for key in pd.unique(peer[mask].astype(np.int64) * width + zone[mask]).tolist():
            peers[peer_texts[key // width]].add(f"{word} {names[key % width]}")
    return peers


def _frame_or_none(obj: Any, method: str) -> pd.DataFrame | None:
    fn = getattr(obj, method, None)
    if fn is None:
        return None
    try:
        df = fn()
    except Exception:
        return None
    return df if isinstance(df, pd.DataFrame) else None


def _sensitive(data: ReportData, names: list[str]) -> list[str]:
    z = data.zones
    if z is None or not hasattr(z, "is_sensitive"):
        return []
    return [n for n in names if z.is_sensitive(n)]


def _scope(data: ReportData) -> dict[str, Any]:
    snap = data.snapshot
    wz = _workload_zones(data)
    if not wz:
        wz = {w.key: "(no zone)" for w in snap.workloads}
    members: dict[str, list[str]] = defaultdict(list)
    for w, z in wz.items():
        members[z].append(w)
    sensitive = set(_sensitive(data, sorted(members)))
    order = sorted(members.items(), key=lambda kv: (kv[0] not in sensitive, kv[0] == "(no zone)", kv[0]))
    rows = [
        {
            "zone": z,
            "sensitive": z in sensitive,
            "workloads": len(ws),
            "members": sorted(ws)[:ZONE_MEMBERS] + ([f"... {len(ws) - ZONE_MEMBERS:,} more"]
                                                    if len(ws) > ZONE_MEMBERS else []),
        }
        for z, ws in order
    ]
    members_csv = None
    if any(len(ws) > ZONE_MEMBERS for ws in members.values()):
        # One row per workload, small and bounded by the workloads: carried whole.
        every = pd.DataFrame(
            [(z, "yes" if z in sensitive else "", w) for z, ws in order for w in sorted(ws)],
            columns=["zone", "sensitive", "workload"],
        )
        members_csv = _csv_past(every, shown=ZONE_MEMBERS, cap=None, element_id="zone-members-csv",
                                filename="zone-members.csv")
    # systems connected to a sensitive zone (PCI DSS: "connected-to" components are in scope too)
    connected: list[dict[str, Any]] = []
    rf = data.reach_frame
    if sensitive and rf is not None and len(rf) and {"src", "dst"} <= set(rf.columns):
        peers = _connected_peers(rf, wz, set(sensitive))
        connected = [
            {"system": p, "zone": wz.get(p, "external"), "direction": ", ".join(sorted(d))}
            for p, d in sorted(peers.items())
        ]
    zones_table = None
    allow_table = None
    if data.zones is not None:
        zt = _frame_or_none(data.zones, "to_frame")
        if zt is not None:
            if "sensitive" in zt.columns and zt["sensitive"].dtype == bool:
                # as the table of workloads per zone below says it, not Python's True / False
                zt = zt.assign(sensitive=zt["sensitive"].map({True: "yes", False: ""}))
            zones_table = _table(zt, max_rows=None, table_id="zones-table")
        at = _frame_or_none(data.zones, "allow_frame")
        if at is not None:
            if "ticket" in at.columns and not at["ticket"].fillna("").astype(str).str.len().any():
                at = at.drop(columns="ticket")  # a column only where some rule names its ticket
            classes: dict[str, dict[str, str]] = {}
            if "expires" in at.columns:
                today = (data.seg.today.isoformat() if data.seg is not None
                         else data.today.isoformat() if data.today is not None
                         else str(data.snapshot.meta.get("collected_at") or data.generated_at)[:10])
                at = at.assign(expires=at["expires"].map(lambda v: "" if v is None or pd.isna(v) else str(v)))
                expired = {v: "expired" for v in at["expires"] if v and v < today}
                classes["expires"] = expired
            allow_table = _table(at, max_rows=None, table_id="zone-allow-table", cell_classes=classes)
    connected_csv = None
    if len(connected) > CONNECTED_ROWS:
        # Only the report finds these systems (no command lists them), and they are bounded by
        # the endpoints: carried whole.
        connected_csv = _csv_past(pd.DataFrame(connected), shown=CONNECTED_ROWS, cap=None,
                                  element_id="connected-csv", filename="connected-systems.csv")
    return {
        "zones": rows,
        "members_csv": members_csv,
        "namespaces": sorted(n.name for n in snap.namespaces),
        "zones_given": data.zones_given,
        "sensitive": sorted(sensitive),
        "connected": _table(pd.DataFrame(connected), max_rows=CONNECTED_ROWS, table_id="connected-table")
        if connected
        else None,
        "connected_csv": connected_csv,
        "n_connected": len(connected),
        "zones_table": zones_table,
        "allow_table": allow_table,
    }


def _coverage(data: ReportData) -> list[dict[str, Any]]:
    out = []
    for plural, state in sorted(data.snapshot.coverage.items()):
        unknown = state in UNKNOWN_STATES or state != "ok"
        # what an unknown changes, beside it: "unknown" alone left the reader to guess
        out.append({"resource": plural, "state": state, "unknown": unknown,
                    "means": unread_meaning(plural) if unknown else ""})
    return out


def _segmentation(data: ReportData) -> dict[str, Any]:
    seg = data.seg
    if seg is None:
        return {"figure": None, "violations": None, "n_violations": None}
    v = getattr(seg, "violations", None)
    out = {
        "figure": figure_html(segmentation_heatmap(seg), "fig-segmentation"),
        "violations": _table(
            _no_rule_said(v.iloc[:VIOLATION_ROWS]),
            max_rows=VIOLATION_ROWS,
            table_id="violations-table",
            columns=[c for c in v.columns if c not in ("external_blocks",)],
            total=len(v),
        )
        if v is not None
        else None,
        "n_violations": len(v) if v is not None else None,
        "no_rule": NO_RULE,
        "today": seg.today.isoformat(),
        # The findings group these rows (per workload, outside blocks together): the two
        # counts differ, and the page says why.
        "n_findings": int((data.gaps["finding"] == "zone-violation").sum())
        if data.gaps is not None and "finding" in data.gaps.columns
        else None,
    }
    if v is not None and len(v) > VIOLATION_ROWS:
        out |= _violations_csv(data, v)
    return out


#: A violation's ``rules`` and ``policies`` on the page when no policy rule opens it: the
#: connection is allowed without one (no policy isolates that side, or it comes from a
#: hostNetwork pod's own node, which the API lets in whatever the policies say).
NO_RULE = "none: allowed by default"


def _no_rule_said(v: pd.DataFrame) -> pd.DataFrame:
    """The violation rows shown, their empty ``rules`` and ``policies`` said in words
    (:data:`NO_RULE`), where a blank cell read as a value left out.  The page only: the CSV
    files and ``--format csv`` keep the empty lists, as every other empty list."""
    cols = [c for c in ("rules", "policies") if c in v.columns]
    if not cols or not len(v):
        return v
    return v.assign(**{c: [NO_RULE if _empty(x) else x for x in v[c].tolist()] for c in cols})


def _violations_csv(data: ReportData, v: pd.DataFrame) -> dict[str, Any]:
    """The violations past the table, as CSV in the page: every column (the outside blocks
    the table leaves out too), as many rows as :data:`VIOLATION_CSV_CHARS` allows, and past
    that the command that lists them all."""
    out = _csv_past(v, shown=VIOLATION_ROWS, cap=VIOLATION_CSV_CHARS, element_id="violations-csv",
                    filename="segmentation-violations.csv")
    if out["csv_rows"] is not None:
        # The inputs are those the page lists (paths the reader can check by their SHA-256),
        # the date and ipBlock reading those the report judged with, so the command lists
        # these very rows.
        flags = ["--today", _judged_on(data)]
        if getattr(data.reach, "ipblocks_match_pods", False):
            flags.append("--ipblocks-match-pods")
        out["command"] = f"k8sviz segmentation CLUSTER... --zones FILE {' '.join(flags)} --format csv"
    return out


def _verdict(data: ReportData) -> list[dict[str, Any]]:
    """Per sensitive zone, the headline a reader looks for first: whether a violating
    connection crosses its boundary, with what, and how many paths reach it from the internet
    (None: not computed).  Empty without a segmentation or a sensitive zone."""
    v = getattr(data.seg, "violations", None) if data.seg is not None else None
    if v is None or not hasattr(v, "columns") or not data.sensitive_zones:
        return []
    paths = data.internet_paths
    out = []
    for z in data.sensitive_zones:
        into = (v["dst_zone"] == z).to_numpy()
        rows = into | (v["src_zone"] == z).to_numpy()
        # the other end of each row: its source when the row enters the zone
        other = np.where(into[rows], v["src"].to_numpy(object)[rows], v["dst"].to_numpy(object)[rows])
        other_zone = np.where(into[rows], v["src_zone"].to_numpy(object)[rows],
                              v["dst_zone"].to_numpy(object)[rows])
        outside = other_zone == "external"
        peers = sorted({str(x) for x in other[~outside]})
        out.append({
            "zone": z,
            "violations": int(rows.sum()),
            "peers": peers[:3],
            "more_peers": max(0, len(peers) - 3),
            "outside": bool(outside.any()),
            "paths": None if paths is None else int((paths["zone"] == z).sum()),
        })
    return out


def _internet_paths(data: ReportData) -> dict[str, Any] | None:
    """The paths from the internet into the sensitive zones, or None when none was computed
    (no zones, no sensitive zone, or the analysis failed: said among the limitations)."""
    from ..analysis.blast import paths_as_text

    df = data.internet_paths
    if df is None:
        return None
    reached = sorted(set(df["zone"].dropna().astype(str))) if len(df) else []
    return {
        "zones": data.sensitive_zones,
        "unreached": [z for z in data.sensitive_zones if z not in reached],
        "count": len(df),
        "table": _table(paths_as_text(df), max_rows=PATH_ROWS, table_id="internet-paths-table") if len(df)
        else None,
        "truncated": max(0, len(df) - PATH_ROWS),
        "ipblocks_match_pods": bool(getattr(data.reach, "ipblocks_match_pods", False)),
    }


def _graph(data: ReportData) -> dict[str, Any]:
    G = data.graph
    if G is None:
        return {"figure": None}
    n = G.number_of_nodes()
    aggregate: Literal["namespace"] | None = "namespace" if n > AGGREGATE_ABOVE else None
    v = getattr(data.seg, "violations", None) if data.seg is not None else None
    allowed = data.allowed_edges
    edges = G.number_of_edges()

    if allowed is None and v is not None and hasattr(v, "columns"):
        # both figures mark the same edges: the violation frame read once, for the graph's edges
        v = graph_violations(G, v)

    def draw(by: Literal["namespace", "zone"] | None) -> Any:
        if allowed is not None and by is not None:  # the graph's allowed edges are in allowed
            return aggregated_figure(G, allowed, by=by, violations=v, max_edges=GRAPH_RING_EDGES,
                                     max_groups=GRAPH_GROUPS)
        return network_figure(G, aggregate=by, violations=v, max_groups=GRAPH_GROUPS,
                              max_edges=GRAPH_EDGES if by is None else GRAPH_RING_EDGES)

    if allowed is not None:
        edges += len(allowed)
    fig = draw(aggregate)
    zone_fig, zone_cut = None, None
    if data.zones is not None and n > 0:
        zf = draw("zone")
        zone_fig, zone_cut = figure_html(zf, "fig-graph-zones"), _edges_left_out(zf)
    return {
        "figure": figure_html(fig, "fig-graph"),
        "aggregated": aggregate,
        "nodes": n,
        "edges": edges,
        "parts": _graph_parts(G, 0 if allowed is None else len(allowed)),
        "cut": _edges_left_out(fig),
        "zone_figure": zone_fig,
        "zone_cut": zone_cut,
    }


#: Node types and edge kinds of :func:`k8sviz.graph`, as the page names them (singular, plural).
_NODE_TYPES = {
    "workload": ("workload", "workloads"),
    "pod": ("pod", "pods"),
    "service": ("Service", "Services"),
    "external": ("external address or block", "external addresses or blocks"),
    "node": ("cluster node", "cluster nodes"),
    "networkset": ("network set", "network sets"),
    "unknown": ("unmapped endpoint", "unmapped endpoints"),
    "namespace": ("namespace", "namespaces"),
}
_EDGE_KINDS = {
    "allowed": ("allowed by policy", "allowed by policy"),
    "observed": ("observed in flows", "observed in flows"),
    "selects": ("from a Service to a backend", "from a Service to its backends"),
}


def _graph_parts(G: Any, allowed_outside: int) -> dict[str, str]:
    """The graph's nodes per type and edges per kind, as text: the totals above the figure
    count Services, every external address block and Service edges, which the figure leaves
    out or merges, so a reader could not match them with what is drawn.  ``allowed_outside``:
    allowed edges kept beside the graph (``ReportData.allowed_edges``), counted as its own."""
    types = Counter(str(d.get("type")) for _, d in G.nodes(data=True))
    kinds = Counter(str(d.get("kind")) for _, _, d in G.edges(data=True))
    if allowed_outside:
        kinds["allowed"] += allowed_outside

    def parts(counts: Counter[str], names: dict[str, tuple[str, str]]) -> str:
        known = [k for k in names if counts[k]] + sorted(k for k in counts if k not in names)
        return ", ".join(counted(counts[k], *names.get(k, (k, k))) for k in known)

    return {"nodes": parts(types, _NODE_TYPES), "edges": parts(kinds, _EDGE_KINDS)}


def _edges_left_out(fig: Any) -> dict[str, Any] | None:
    """What a network figure merged past its ``max_groups`` and left out past its
    ``max_edges`` (its ``layout.meta``), numbers written for the page (``drawn`` None when
    every edge left was drawn, ``groups`` None when every group was); None when it drew all."""
    meta = fig.layout.meta
    if not isinstance(meta, dict) or not ({"drawn", "groups"} & set(meta)):
        return None
    out: dict[str, Any] = {"drawn": None, "groups": None}
    if "drawn" in meta:
        kept, total = meta["categories"]["violating"]
        out.update({"drawn": f"{meta['drawn']:,}", "edges": f"{meta['edges']:,}", "violating": f"{total:,}",
                    "violating_drawn": f"{kept:,}", "all_violating": kept == total})
    if "groups" in meta:
        g = meta["groups"]
        drawn, total = g["groups"]
        among = g["among"]
        out["groups"] = {
            "drawn": f"{drawn:,}", "all": f"{total:,}", "rest": f"{total - drawn:,}", "other": g["other"],
            "with": f"{sum(t for _, t in g['with'].values()):,}",
            "merged": f"{sum(k for k, _ in g['with'].values()):,}",
            "among": f"{sum(among.values()):,}", "among_violating": f"{among.get('violating', 0):,}",
        }
    return out


def _flows(data: ReportData) -> dict[str, Any] | None:
    if not data.flows_given:
        return None
    flows = data.flows
    out: dict[str, Any] = {"count": None if flows is None else len(flows)}
    if flows is None:
        return out
    if "verdict" in flows.columns:
        out["verdicts"] = {
            str(k): int(v)
            for k, v in sorted(flows["verdict"].astype(object).fillna("unknown").value_counts().items())
        }
    if "time" in flows.columns and len(flows):
        t = pd.to_datetime(flows["time"], utc=True, errors="coerce").dropna()
        if len(t):
            # An aggregated record (Calico's) covers time up to its end_time: the window ends
            # where the files' windows (flow_windows, the table below) end, not an interval early.
            end = t
            if "end_time" in flows.columns:
                end = pd.to_datetime(flows["end_time"], utc=True, errors="coerce").fillna(
                    pd.to_datetime(flows["time"], utc=True, errors="coerce")).dropna()
            out["start"] = t.min().strftime("%Y-%m-%dT%H:%M:%SZ")
            out["end"] = end.max().strftime("%Y-%m-%dT%H:%M:%SZ")
    if "source_format" in flows.columns:
        out["formats"] = {str(k): int(v) for k, v in sorted(flows["source_format"].value_counts().items())}
    load = data.flow_load
    if isinstance(load, dict):
        sources = pd.DataFrame(load.get("sources") or [])
        if "lost_events" in sources.columns:  # Hubble's lost_events reports: the events lost
            sources["lost_events"] = [
                x.get("events", 0) if isinstance(x, dict) else x for x in sources["lost_events"]
            ]
        if len(sources):
            keep = [
                c
                for c in (
                    "file",
                    "format",
                    "lines",
                    "records",
                    "malformed",
                    "truncated",
                    "bad_time",
                    "skipped",
                    "lost_events",
                    "first",
                    "last",
                )
                if c in sources.columns
            ]
            out["sources"] = _table(sources, max_rows=FLOW_SOURCE_ROWS, columns=keep,
                                    table_id="flow-sources-table")
            out["sources_truncated"] = max(0, len(sources) - FLOW_SOURCE_ROWS)
        lost = lost_events(load)
        if lost:
            out["lost"] = lost
        problems = pd.DataFrame(load.get("problems") or [])
        if len(problems):
            # the loader keeps the first problems as samples and counts them all
            from ..flows import FILE_PROBLEMS, LOSSLESS_PROBLEMS

            counts = load.get("problem_counts")
            if not (isinstance(counts, dict) and counts):
                counts = Counter(problems["kind"]) if "kind" in problems.columns else {"": len(problems)}
            out["n_problems"] = max(sum(counts.values()), len(problems))
            # Only problems that lost records are lines that could not be read (an unused CSV
            # column or an end time left out loses no flow).
            out["n_lost"] = sum(n for kind, n in counts.items()
                                if kind not in LOSSLESS_PROBLEMS and kind not in FILE_PROBLEMS)
            # A file not read, read in part or holding nothing is no count of lines: said by file.
            files: Counter[tuple[str, str, bool]] = Counter()
            for kind, n in counts.items():
                if kind in FILE_PROBLEMS:
                    files[FILE_PROBLEMS[kind]] += n
            out["files_lost"] = [(n, *said) for said, n in sorted(files.items())]
            out["problems"] = _table(problems, max_rows=FLOW_PROBLEM_ROWS, table_id="flow-problems-table")
            out["problems_kept"] = len(problems)
            out["problems_shown"] = min(len(problems), FLOW_PROBLEM_ROWS)
            out["problems_truncated"] = out["n_problems"] - out["problems_shown"]
    edges = data.flow_edges_ns if data.flow_edges_ns is not None else flows
    out["sankey"] = figure_html(flow_sankey(edges), "fig-flow-sankey")
    out["timeline"] = figure_html(flow_timeline(flows), "fig-flow-timeline")
    d = data.discrepancies
    if d is not None and hasattr(d, "columns"):
        if "kind" in d.columns:
            out["discrepancy_kinds"] = {str(k): int(v) for k, v in sorted(d["kind"].value_counts().items())}
        # The types beside the ends they type: two rows of one src and dst differ only there.
        # What the row means (detail) before the counts, within the first screen of a table
        # wider than it; the deciding rules, then the records that show it, last.
        order = [
            "kind",
            "src",
            "dst",
            "src_type",
            "dst_type",
            "protocol",
            "ports",
            "detail",
            "flows",
            "records",
            "first_seen",
            "last_seen",
            "policy",
            "direction",
            "rule",
            "sample",
        ]
        if "rule_text" in d.columns:
            # An unused rule's ``rule`` is its index alone ("1") where the other rows read the
            # rules in words: the page shows every row's rules in words, in one column.
            d = d.assign(rule=d["rule_text"]).drop(columns="rule_text")
        cols = [c for c in order if c in d.columns] + [c for c in d.columns if c not in order]
        # Sixteen columns fitted 1280 px only as narrow ones, a rule or a sample's file path
        # running a word or a path segment per line (25 lines a row): the deciding rules and
        # the records that show them go under their row, at the table's width.
        out["discrepancies"] = _table(d, max_rows=DISCREPANCY_ROWS, table_id="discrepancies-table",
                                      columns=cols, below=DISCREPANCY_BELOW)
        out["discrepancies_truncated"] = max(0, len(d) - DISCREPANCY_ROWS)
    skew = data.clock_skew
    if isinstance(skew, pd.DataFrame):
        # offset_seconds says what the Timedelta column does, and reads better than
        # "-1 days +23:59:53.000499".
        shown = skew.drop(columns="offset") if "offset_seconds" in skew.columns else skew
        if "skewed" in shown.columns and shown["skewed"].dtype == bool:
            # yes / no, as the policy inventory's evaluated, not Python's True / False
            shown = shown.assign(skewed=shown["skewed"].map({True: "yes", False: "no"}))
        out["clock_skew"] = _table(shown, max_rows=SKEW_ROWS, table_id="clock-skew-table")
        out["clock_skew_truncated"] = max(0, len(shown) - SKEW_ROWS)
    elif skew is not None:
        out["clock_skew_text"] = str(skew)
    return out


def _appendix(data: ReportData) -> dict[str, Any] | None:
    rf = data.reach_frame
    if rf is None:
        return None
    out: dict[str, Any] = {"rows": len(rf),
                           "ipblocks_match_pods": bool(getattr(data.reach, "ipblocks_match_pods", False))}
    # The endpoints as Categoricals, their categories in text order: the namespace table, the
    # matrix and the first rows below then read codes, not millions of strings three times.
    cats = {c: _text_ordered(data.reach, rf, c) for c in ("src", "dst")}
    rf = rf.assign(**{c: cat for c, cat in cats.items() if cat is not None})
    ns_cells = None
    if {"src_namespace", "dst_namespace"} <= set(rf.columns) and len(rf):
        from ..analysis._common import port_list_codes

        ns_cells = namespace_cells(rf, port_list_codes(data.reach, data.reach_frame, "workload"))
        items = sorted(ns_cells.items())
        out["namespace_table"] = _table(
            _namespace_rows(items[:NAMESPACE_ROWS], limit=12),
            max_rows=None,
            table_id="allowed-ns-table",
            total=len(items),
        )
        out["namespace_pairs"] = len(items)
        out["namespace_shown"] = min(len(items), NAMESPACE_ROWS)
        if len(items) > NAMESPACE_ROWS:
            # Thousands of namespace pairs as table rows took the browser most of the page's
            # opening time (bench/README, "Audit report"): past the first rows they travel as a
            # CSV file, whole (every port), that the reader saves with one click.
            out["namespace_csv"] = Markup(csv_download(
                _namespace_rows(items, limit=None),
                element_id="allowed-ns-csv",
                filename="allowed-namespace-pairs.csv",
                label=f"all {len(items):,} namespace pairs as a CSV file",
            ))
    elif {"src_namespace", "dst_namespace"} <= set(rf.columns):
        out["namespace_table"] = _table(pd.DataFrame([]), max_rows=None, table_id="allowed-ns-table")
    matrix = matrix_figure(rf, ns_cells=ns_cells, max_namespaces=MATRIX_NAMESPACES)
    out["matrix"] = figure_html(matrix, "fig-reachability")
    meta = matrix.layout.meta
    if isinstance(meta, dict) and "pairs" in meta:  # the busiest namespaces only: say so
        out["matrix_cut"] = {k: [f"{x:,}" for x in meta[k]]
                             for k in ("sources", "destinations", "pairs", "connections")}
    cols = [c for c in ("src", "dst", "protocol", "ports") if c in rf.columns]
    sort = [c for c in ("src", "dst", "protocol") if c in rf.columns]
    out["table"] = _table(
        first_sorted(rf, sort, APPENDIX_ROWS),
        max_rows=APPENDIX_ROWS,
        columns=cols,
        table_id="allowed-table",
        total=len(rf),
    )
    out["truncated"] = max(0, len(rf) - APPENDIX_ROWS)
    return out


def _namespace_rows(items: list[tuple[tuple[str, str], Any]], *, limit: int | None) -> pd.DataFrame:
    """The per-namespace-pair rows of the appendix; ``limit``: ports shown per protocol."""
    rows = []
    for (s, d), cell in items:
        # In port order, as the matrix's hover lists them: as text "443" came before "80",
        # and the first ports past the limit were not the lowest.
        shown = {p: sorted(v, key=_pkey) for p, v in sorted(cell.ports.items())}
        desc = "; ".join(
            f"{p} {', '.join(v[:limit])}{' ...' if limit is not None and len(v) > limit else ''}"
            for p, v in shown.items()
        )
        rows.append(
            {
                "source namespace": s,
                "destination namespace": d,
                "connections": cell.n,
                "sources": cell.sources,
                "destinations": cell.destinations,
                "protocols / ports": desc,
            }
        )
    return pd.DataFrame(rows)


def _text_ordered(reach: Any, rf: pd.DataFrame, col: str) -> pd.Categorical | None:
    """``pd.Categorical(rf[col])`` (categories in text order), from the engine's endpoint codes
    when ``rf`` is its cached frame; None for a column that is one already or whose values
    have no order."""
    from ..analysis._common import endpoint_codes

    if col not in rf.columns or isinstance(rf[col].dtype, pd.CategoricalDtype):
        return None
    codes, names = endpoint_codes(reach, rf, "workload", col)
    try:
        if len(codes) and codes.min() < 0:  # a missing value: as pandas makes it
            return pd.Categorical(rf[col])
        order = np.argsort(names, kind="stable")
    except TypeError:
        return None
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    return pd.Categorical.from_codes(rank[codes], names[order])


def _pairs(d: Any, limit: int = 300) -> str:
    """``k=v; k=v`` of a mapping, cut at ``limit`` characters (escaped when rendered)."""
    text = "; ".join(f"{k}={v}" for k, v in sorted((d or {}).items()))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _policies(data: ReportData) -> dict[str, Any] | None:
    inv = data.inventory
    if inv is None:
        return None
    shown = inv.assign(
        order=inv["order"].map(lambda v: "" if v != v else f"{v:g}"),
        rules=inv["rules"].astype(object).where(inv["rules"].notna(), ""),
        selected_pods=inv["selected_pods"].astype(object).where(inv["selected_pods"].notna(), ""),
        evaluated=inv["evaluated"].map({True: "yes", False: "no"}),
        annotations=inv["annotations"].map(_pairs),
    ).drop(columns=["kind", "namespace", "name", "labels"])
    return {
        "n": len(inv),
        "dead": int(((inv["selected_pods"] == 0) & inv["evaluated"]).sum()),
        "unevaluated": int((~inv["evaluated"]).sum()),
        "table": _table(shown, max_rows=APPENDIX_ROWS, table_id="policy-inventory"),
        "truncated": max(0, len(inv) - APPENDIX_ROWS),
    }


#: Weakest first: the rows an auditor acts on lead the table.
_STATE_ORDER = {"unrestricted": 0, "reopened": 1, "partial": 2, "isolated": 3, "not-judged": 4}


def _isolation(data: ReportData) -> dict[str, Any] | None:
    iso = data.isolation
    if iso is None or not len(iso):
        return None
    rank = iso["state"].map(_STATE_ORDER).fillna(len(_STATE_ORDER))
    shown = iso.assign(_rank=rank).sort_values(["_rank", "namespace", "workload", "direction"], kind="stable")
    shown = shown.drop(columns=["_rank"]).assign(
        **{c: shown[c].map(lambda v: ", ".join(map(str, v)) if isinstance(v, list | tuple) else v)
           for c in ("deny_by", "allow_by", "open_to") if c in shown.columns})
    counts = {(d, st): int(n) for (d, st), n in iso.groupby(["direction", "state"]).size().items()}
    return {
        "workloads": int(iso["workload"].nunique()),
        "open": {d: sum(n for (dd, st), n in counts.items() if dd == d
                        and st in ("unrestricted", "reopened", "partial"))
                 for d in ("ingress", "egress")},
        "table": _table(shown, max_rows=APPENDIX_ROWS, table_id="isolation-table",
                        cell_classes={"state": {"unrestricted": "st-fail", "reopened": "st-fail",
                                                "partial": "sev-medium"}}),
        "truncated": max(0, len(shown) - APPENDIX_ROWS),
    }


def _changes(data: ReportData) -> dict[str, Any] | None:
    base = data.baseline
    if base is None:
        return None
    out: dict[str, Any] = {
        "collected_at": str(base.meta.get("collected_at") or "unknown"),
        "cluster": str(base.meta.get("cluster") or "?"),
        "mismatch": data.baseline_mismatch,
        "sha256": base.sha256,
        "connections": None,
        "policies": None,
    }
    ch = data.changes
    if ch is not None:
        shown = data.changes_shown if data.changes_shown is not None else ch
        out["connections"] = {
            "n": len(ch),
            "by_change": {k: int(v) for k, v in ch["change"].value_counts().items()},
            "truncated": max(0, len(ch) - APPENDIX_ROWS),
            "figure": figure_html(changes_figure(ch), "fig-changes") if len(ch) else None,
        }
        opened = _with_zones(data, ch[ch["change"].isin(["added", "widened", "changed"])])
        if opened is not None:
            from ..analysis.diff import zone_columns

            shown = zone_columns(shown, data.zones, data.baseline, data.snapshot, "workload")
            sensitive = sorted(z for z in data.zones.names if data.zones.is_sensitive(z))
            out["connections"]["sensitive"] = ", ".join(sensitive)
            out["connections"]["sensitive_opened"] = int(
                (opened["src_zone"].isin(sensitive) | opened["dst_zone"].isin(sensitive)).sum()
            )
        out["connections"]["table"] = _table(shown.drop(columns=["src_type", "dst_type"]),
                                             max_rows=APPENDIX_ROWS,
                                             table_id="connection-changes")
    lc = data.label_changes
    out["labels"] = None
    if lc is not None:
        out["labels"] = {
            "n": len(lc),
            "truncated": max(0, len(lc) - APPENDIX_ROWS),
            "table": _table(lc.drop(columns=["object"]).assign(
                set=lc["set"].map(_pairs), unset=lc["unset"].map(", ".join),
                previous=lc["previous"].map(_pairs)),
                max_rows=APPENDIX_ROWS, table_id="label-changes"),
        }
    out["findings"] = _finding_changes(data)
    pc = data.policy_changes
    if pc is not None:
        out["policies"] = {
            "n": len(pc),
            "truncated": max(0, len(pc) - APPENDIX_ROWS),
            "by_change": {k: int(v) for k, v in pc["change"].value_counts().items()},
            "table": _table(pc.drop(columns=["kind", "namespace", "name"]).assign(
                paths=pc["paths"].map(lambda p: ", ".join(p))), max_rows=APPENDIX_ROWS,
                table_id="policy-changes"),
        }
    return out


def _finding_changes(data: ReportData) -> dict[str, Any] | None:
    """The findings new, changed or resolved since the baseline: their first rows inline, the
    rest (and every column, evidence too) as CSV in the page, as the findings are."""
    fc = data.finding_changes
    if fc is None:
        return None
    cols = ["change", "opens", "severity", "severity_before", "finding", "namespace", "name", "detail",
            "detail_before"]
    out: dict[str, Any] = {
        "n": len(fc),
        "by_change": {c: int((fc["change"] == c).sum()) for c in ("new", "changed", "resolved")
                      if (fc["change"] == c).any()},
        "opens": int(fc["opens"].sum()),
        "flows": data.flows is not None,
        "table": _table(fc[cols].assign(opens=fc["opens"].map({True: "yes", False: "no"})),
                        max_rows=FINDING_CHANGE_ROWS, table_id="finding-changes",
                        cell_classes={"severity": _SEVERITY_CLASS, "severity_before": _SEVERITY_CLASS}),
    }
    if len(fc) > FINDING_CHANGE_ROWS:
        past = _csv_past(fc, shown=FINDING_CHANGE_ROWS, cap=FINDING_CSV_CHARS,
                         element_id="finding-changes-csv", filename="finding-changes.csv")
        flags = [*(["--zones", "FILE"] if data.zones is not None else []),
                 *(["--ipblocks-match-pods"] if getattr(data.reach, "ipblocks_match_pods", False) else [])]
        out["past"] = past | {"command": " ".join(["k8sviz diff BASELINE SNAPSHOT --findings", *flags,
                                                   "--format csv"])}
    return out


def _with_zones(data: ReportData, df: pd.DataFrame) -> pd.DataFrame | None:
    """``df`` with each end's zone (either snapshot), or None without zones or when they fail."""
    from ..analysis.diff import zone_columns

    if data.zones is None or not hasattr(data.zones, "assign"):
        return None
    try:
        return zone_columns(df, data.zones, data.baseline, data.snapshot, "workload")
    except Exception as e:
        data.problems.append(f"zones of the connection changes: {failure_text(e)}")
        return None


def _caveats(data: ReportData) -> dict[str, Any] | None:
    """The policy engine's warnings (``reach.warnings``) per code, codes in the order first
    seen, each capped at :data:`ENGINE_WARNINGS_SHOWN`; None when there are none.

    They are the assumptions every verdict of the report rests on (ipBlocks judged
    external-only, hostNetwork pods unenforced...), so the auditor sees them with the loader's.
    """
    warnings = list(getattr(data.reach, "warnings", None) or ())
    if not warnings:
        return None
    by_code: dict[str, list[Any]] = {}
    for w in warnings:
        by_code.setdefault(str(w.code), []).append(w)
    command = "k8sviz connectivity CLUSTER... --warnings all"
    if getattr(data.reach, "ipblocks_match_pods", False):  # the ipBlock warnings' text depends on it
        command += " --ipblocks-match-pods"
    return {
        "n": len(warnings),
        "command": command,
        "codes": [
            {
                "code": code,
                "n": len(ws),
                "more": max(0, len(ws) - ENGINE_WARNINGS_SHOWN),
                "shown": [
                    {"where": ", ".join(str(p) for p in (w.source, w.obj) if p), "message": str(w.message)}
                    for w in ws[:ENGINE_WARNINGS_SHOWN]
                ],
            }
            for code, ws in by_code.items()
        ],
    }


def _refusals_said_by_caveat(data: ReportData, caveats: dict[str, Any] | None) -> list[Any]:
    """The loader's ``forbidden`` warnings of the policy lists the caveat ``policies-not-read``
    names (``snapshot.unread_policies``): each said that a list was refused, which the caveat
    says again (its verdicts take the policies as empty).  Listed under that caveat, as the API
    server's answers behind it, and not among the loader warnings: the fact once, where the
    limitations point."""
    if caveats is None or not any(c["code"] == "policies-not-read" for c in caveats["codes"]):
        return []
    unread = data.snapshot.unread_policies
    return [w for w in data.snapshot.warnings
            if w.code == "forbidden" and any(w.message.startswith(f"listing {p} ") for p in unread)]


def _clashes_said_by_caveat(data: ReportData, caveats: dict[str, Any] | None) -> list[Any]:
    """The loader's ``cilium-l7-parser-clash`` warnings whose policies the caveat
    ``policies-not-evaluated`` names (``snapshot.unevaluated_policies``): each is why those two
    policies are not evaluated, the caveat what follows from it, and the page named the same two
    policies in both places, apart.  Listed under that caveat, as the reason, and not among the
    loader warnings."""
    if caveats is None or not any(c["code"] == "policies-not-evaluated" for c in caveats["codes"]):
        return []
    unevaluated = {p.ref for p in data.snapshot.unevaluated_policies}
    return [w for w in data.snapshot.warnings if w.code == "cilium-l7-parser-clash" and w.obj in unevaluated]


#: A limitation's reference to caveats of the policy verdicts: "caveat CODE" or "caveats CODE, CODE".
_CAVEAT_REFERENCE = re.compile(r"\bcaveats? ([a-z0-9-]+(?:, [a-z0-9-]+)*)")


def _problems(problems: list[str], caveats: dict[str, Any] | None) -> tuple[list[Markup], set[str]]:
    """The limitations as escaped HTML, each caveat they refer to linked to its code in the list
    of caveats, and the codes so referred to (a limitation said there is not said twice)."""
    codes = {c["code"] for c in caveats["codes"]} if caveats is not None else set()
    referred: set[str] = set()

    def link(m: re.Match[str]) -> str:
        names = m.group(1).split(", ")
        if not set(names) <= codes:  # not a reference (or to a caveat not listed): left as text
            return m.group(0)
        referred.update(names)
        linked = ", ".join(f'<a href="#caveat-{n}"><code>{n}</code></a>' for n in names)
        return m.group(0)[: m.start(1) - m.start(0)] + linked

    # Escaped first: codes are [a-z0-9-], which escaping leaves as they are.
    out = [Markup(_CAVEAT_REFERENCE.sub(link, str(Markup.escape(p)))) for p in problems]
    return out, referred


def render(data: ReportData) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["counted"] = counted
    env.filters["num"] = number
    snap = data.snapshot
    meta = snap.meta
    caveats = _caveats(data)
    ctx = {
        "version": __version__,
        "cluster": str(meta.get("cluster") or "?"),
        "source": str(meta.get("source") or "?"),
        "collected_at": str(meta.get("collected_at") or "unknown"),
        "generated_at": data.generated_at,
        "snapshot_sha256": snap.sha256,
        "cilium_release": snap.cilium_release_text,
        "counts": snap.counts(),
        "inputs": data.inputs,
        "coverage": _coverage(data),
        "caveats": caveats,
        "scope": _scope(data),
        "controls": _controls(data),
        "verdict": _verdict(data),
        "findings": _findings(data),
        "segmentation": _segmentation(data),
        "internet_paths": _internet_paths(data),
        "graph": _graph(data),
        "flows": _flows(data),
        "appendix": _appendix(data),
        "policies": _policies(data),
        "isolation": _isolation(data),
        "changes": _changes(data),
        "plotly_js": Markup(plotly_js()),
    }
    moved = _refusals_said_by_caveat(data, caveats)
    clashes = _clashes_said_by_caveat(data, caveats)
    below = [*moved, *clashes]  # said under their caveats
    loader = [w for w in snap.warnings if w not in below] if below else list(snap.warnings)
    ctx["warnings"] = [str(w) for w in loader[:WARNINGS_SHOWN]]
    ctx["n_warnings"] = len(loader)
    ctx["n_moved"] = len(moved)
    ctx["n_clashes"] = len(clashes)
    if caveats is not None:
        for c in caveats["codes"]:
            c["refusals"] = ([{"where": w.source, "message": w.message} for w in moved]
                             if c["code"] == "policies-not-read" else [])
            # the message names both policies first: no place before it
            c["clashes"] = [w.message for w in clashes] if c["code"] == "policies-not-evaluated" else []
    # Last: the sections above may add limitations.
    ctx["problems"], referred = _problems(data.problems, caveats)
    if caveats is not None:
        caveats["referred"] = sorted(referred)  # folded unless a limitation points into it
    # the links' script, once, in the pages that have one
    has_csv = ("csv" in ctx["segmentation"] or "past" in ctx["findings"]
               or "past" in ((ctx["changes"] or {}).get("findings") or {})
               or ctx["scope"]["members_csv"] is not None or ctx["scope"]["connected_csv"] is not None
               or "namespace_csv" in (ctx["appendix"] or {}))
    ctx["csv_download_js"] = Markup(CSV_DOWNLOAD_JS) if has_csv else None
    return env.get_template("report.html.j2").render(**ctx)
