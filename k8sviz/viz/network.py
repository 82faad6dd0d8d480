"""The connection graph as a Plotly figure: zones coloured, namespaces grouped, edges by kind."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from itertools import pairwise
from typing import Any, Literal

import networkx as nx
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .._checks import one_of, type_name
from .._gc import pausing
from .._text import as_given, as_written
from ..analysis._common import first_seen, object_ids
from ..analysis.zones import EXTERNAL as EXTERNAL_ZONE
from ._common import (
    NO_ZONE,
    check_cap,
    esc,
    fmt_labels,
    fmt_list,
    merged_labels,
    new_figure,
    shortened,
    text_width,
    zone_colors,
)

__all__ = ["MAX_DRAWN_EDGES", "MAX_DRAWN_GROUPS", "RING_EDGES", "network_figure"]

Aggregate = Literal["namespace", "zone"] | None
#: ``max_edges``: a count, None (no cap) or "auto" (by the figure's kind, see network_figure).
EdgeCap = int | None | Literal["auto"]
EXTERNAL = "(external)"
#: The group of the cluster's nodes (a flow reached them: kubelet scrapes, host endpoints).
NODES = "(nodes)"

EDGE_STYLE: dict[str, dict[str, Any]] = {
    "allowed": {
        "name": "allowed by policy",
        "color": "rgba(120,144,156,0.55)",
        "width": 1.0,
        "dash": "solid",
    },
    "observed": {"name": "observed in flows", "color": "rgba(21,101,192,0.8)", "width": 1.6, "dash": "dot"},
    "violating": {
        "name": "violates segmentation",
        "color": "rgba(198,40,40,0.95)",
        "width": 2.4,
        "dash": "solid",
    },
}
_GOLDEN = math.pi * (3 - math.sqrt(5))
#: The edges :func:`network_figure` draws at most by default (its ``max_edges``) between workloads.
MAX_DRAWN_EDGES = 2000
#: The edges an aggregated figure draws at most by default: its namespaces or zones are one
#: ring, each edge a chord across it, and past a few hundred chords the ring is a solid disc
#: (2,000 at 50,000 pods were); 200 on a ring of 31 can still be followed one by one.
RING_EDGES = 200
#: Above this many namespaces or zones an aggregated figure names them on hover only: a
#: thousand labels on one ring overprint each other into a dark band.
LABELLED_GROUPS = 150
#: The namespaces or zones an aggregated figure draws at most by default (its ``max_groups``):
#: at 6,800 pods the ring of its 137 namespaces under 987 chords was a red disc too; with 30
#: (and the rest one node) the chords can be told apart.
MAX_DRAWN_GROUPS = 30
#: The order in which edge categories are kept when a figure cannot draw every edge.
_CUT_ORDER = ("violating", "observed", "allowed")


_NODE_TYPES = ("workload", "external", "service", "pod", "namespace", "node", "networkset", "unknown")


def _node_type(d: Mapping[str, Any]) -> str:
    t = d.get("type")
    if t:
        return str(t)
    k = d.get("kind")
    return str(k) if k in _NODE_TYPES else ("external" if d.get("namespace") is None else "workload")


def _exposure(d: Mapping[str, Any]) -> str | None:
    if d.get("exposure"):
        return str(d["exposure"])
    if d.get("exposed"):
        by = d.get("exposed_by") or []
        return "exposed" + (f" via {', '.join(map(str, by))}" if by else "")
    return None


def _node_rows(
    G: nx.Graph, *, services: bool, collapse_external: bool
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Node table and a map from graph node to drawn node (externals may be merged)."""
    rows: dict[str, dict[str, Any]] = {}
    alias: dict[str, str] = {}
    for n, d in G.nodes(data=True):
        ntype = _node_type(d)
        if ntype == "service" and not services:
            continue
        nid = str(n)
        ns = d.get("namespace")
        if ntype == "external" and collapse_external:
            cls = str(d.get("address_class") or "external")
            if d.get("metadata"):
                cls = "metadata"
            merged = f"external: {cls}"
            alias[nid] = merged
            r = rows.setdefault(
                merged,
                {
                    "id": merged,
                    "namespace": EXTERNAL,
                    "zone": str(d.get("zone") or NO_ZONE),
                    "kind": "external",
                    "type": "external",
                    "labels": {},
                    "exposure": None,
                    "host_network": False,
                    "members": 0,
                    "cidrs": [],
                },
            )
            r["members"] += 1
            r["cidrs"].append(nid)
            continue
        alias[nid] = nid
        zones = [str(z) for z in d.get("zones") or ()]
        # A namespace the graph aggregated has no one zone when its workloads span several.
        zone = str(d["zone"]) if d.get("zone") else (_zone_label(zones) if ntype == "namespace" else NO_ZONE)
        rows[nid] = {
            "id": nid,
            "namespace": str(ns) if ns else (NODES if ntype == "node" else EXTERNAL),
            "zone": zone,
            "zones": zones,
            "kind": str(d.get("kind") or ntype),
            "type": ntype,
            "labels": d.get("labels") or {},
            "exposure": _exposure(d),
            "host_network": bool(d.get("host_network")),
            "privileged": bool(d.get("privileged")),
            "members": 1,
            "addresses": _addresses(d),
        }
    return rows, alias


def _addresses(d: Mapping[str, Any]) -> list[str]:
    """What a cluster node, network set or unmapped endpoint stands for (none for the rest)."""
    found = d.get("addresses") or d.get("nets") or ([d["ip"]] if d.get("ip") else [])
    return [str(a) for a in found]


def graph_violations(G: nx.Graph, violations: Any) -> set[tuple[str, str]]:
    """The ``(src, dst)`` of ``G``'s edges that ``violations`` (a frame or pairs, as
    :func:`network_figure` takes them) makes violating; pairs given are kept as they are.

    When ``graph()`` merged the allowed edges per namespace (``G.graph["aggregated"]``), a
    violation between two workloads also marks the merged edge between their namespace
    nodes (``ns:<namespace>``), and one towards outside addresses the edge between its
    workload's namespace and each block: a segmentation names workloads, not namespaces."""
    if violations is None:
        return set()
    ends = _namespace_ends(G)
    if not hasattr(violations, "columns"):
        pairs = _violation_set(violations)
        return pairs | {(ends.get(a, a), ends.get(b, b)) for a, b in pairs}
    edges = {(str(u), str(v)) for u, v in G.edges()}
    if not ends:
        return _violation_set(violations, among=edges)
    # The frame read once (its millions of rows), its ends then matched twice: as themselves
    # against the graph's own edges, and as their namespace's node against the merged ones.
    ids = list({x for pair in edges for x in pair} | set(ends))
    s, d = violation_codes(violations, {x: i for i, x in enumerate(ids)})
    merged = [(a, b) for a, b in edges if a not in ends and b not in ends]
    return (_pairs_among(s, d, ids, list(edges), {})
            | _pairs_among(s, d, ids, merged, ends))


def _namespace_ends(G: nx.Graph) -> dict[str, str]:
    """Node id -> the ``ns:<namespace>`` node its allowed edges were merged into, for a graph
    ``graph()`` aggregated per namespace (else empty)."""
    if G.graph.get("aggregated") != "namespace":
        return {}
    out = {}
    for n, d in G.nodes(data=True):
        ns = d.get("namespace")
        if ns and d.get("type") != "namespace" and f"ns:{ns}" in G:
            out[str(n)] = f"ns:{ns}"
    return out


def _violation_set(
    violations: Any, among: Iterable[tuple[str, str]] | None = None
) -> set[tuple[str, str]]:
    """``(src, dst)`` pairs as graph node ids.  A segmentation violation towards or from
    outside addresses names its blocks in ``external_blocks`` (its ``src``/``dst`` is their
    merged text, no node's id): each block, a graph node, is paired with the other end.

    ``among``: only those of these pairs (the graph's edges): a segmentation's millions of
    violating rows are then matched on integer codes, never each made text or a tuple."""
    if violations is None:
        return set()
    if hasattr(violations, "columns"):
        if among is None:
            return _all_pairs(violations)
        wanted = list(among)
        ids = list({x for pair in wanted for x in pair})
        s, d = violation_codes(violations, {x: i for i, x in enumerate(ids)})
        return _pairs_among(s, d, ids, wanted, {})
    return {(str(a), str(b)) for a, b in violations}


def _pairs_among(
    s: np.ndarray, d: np.ndarray, ids: list[str], wanted: list[tuple[str, str]], node_of: Mapping[str, str]
) -> set[tuple[str, str]]:
    """The ``wanted`` pairs that some violation pair is, its ends (``s``, ``d``: codes into
    ``ids``, -1 for none) read as the node ``node_of`` gives (themselves when not in it)."""
    index: dict[str, int] = {}
    for a, b in wanted:
        index.setdefault(a, len(index))
        index.setdefault(b, len(index))
    n = max(1, len(index))
    to = np.array([index.get(node_of.get(x, x), -1) for x in ids] + [-1], dtype=np.int64)
    s, d = to[s], to[d]  # a code of -1 reads the last entry: -1 again
    ok = (s >= 0) & (d >= 0)
    keys = s[ok] * n + d[ok]
    want_keys = np.array([index[a] * n + index[b] for a, b in wanted], dtype=np.int64)
    found = set(pd.unique(keys[pd.Series(keys).isin(want_keys).to_numpy()]).tolist())
    return {(a, b) for (a, b), k in zip(wanted, want_keys.tolist(), strict=True) if k in found}


def _all_pairs(violations: pd.DataFrame) -> set[tuple[str, str]]:
    """Every pair a violation frame names (see :func:`_violation_set`), row by row."""
    out: set[tuple[str, str]] = set()
    cols = set(violations.columns)
    if not {"src", "dst"} <= cols:
        return out
    blocks = violations["external_blocks"] if "external_blocks" in cols else [None] * len(violations)
    zones = (zip(violations["src_zone"], violations["dst_zone"], strict=True)
             if {"src_zone", "dst_zone"} <= cols else [(None, None)] * len(violations))
    for a, b, bl, (za, zb) in zip(violations["src"], violations["dst"], blocks, zones, strict=True):
        if isinstance(bl, list | tuple) and bl and EXTERNAL_ZONE in (za, zb):
            out.update((str(x), str(b)) if za == EXTERNAL_ZONE else (str(a), str(x)) for x in bl)
        else:
            out.add((str(a), str(b)))
    return out


def violation_codes(violations: pd.DataFrame, index: Mapping[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """The (src, dst) of a violation frame's pairs (see :func:`_violation_set`) as codes in
    ``index`` (node id -> code; -1 for an end not in it): a row towards or from outside
    addresses gives one pair per block."""
    cols = set(violations.columns)
    if not {"src", "dst"} <= cols:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    s, d = _codes_in(violations["src"], index), _codes_in(violations["dst"], index)
    if "external_blocks" not in cols or not {"src_zone", "dst_zone"} <= cols:
        return s, d
    on_src, on_dst = (np.asarray(violations[c].eq(EXTERNAL_ZONE).fillna(False), dtype=bool)
                      for c in ("src_zone", "dst_zone"))
    ext = np.flatnonzero(on_src | on_dst)
    if not len(ext):
        return s, d
    # Rows share their block lists: each distinct list read once, then spread over its rows.
    objs = violations["external_blocks"].to_numpy(object)[ext]
    ids = object_ids(objs)
    which = pd.factorize(ids)[0].astype(np.int64)
    lists = []
    for r in np.flatnonzero(first_seen(which)).tolist():
        bl = objs[r]
        lists.append([index.get(str(x), -1) for x in bl] if isinstance(bl, list | tuple) and bl else [])
    lengths = np.array([len(x) for x in lists], dtype=np.int64)
    flat = np.array([c for x in lists for c in x], dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    spread = lengths[which] > 0
    rows, lists_of = ext[spread], which[spread]
    count = lengths[lists_of]
    rep, rep_list = np.repeat(rows, count), np.repeat(lists_of, count)
    within = np.arange(int(count.sum()), dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
    block = flat[starts[rep_list] + within]
    towards = on_src[rep]  # the block is the source when the source zone is outside
    keep = np.ones(len(s), dtype=bool)
    keep[rows] = False
    return (np.concatenate([s[keep], np.where(towards, block, s[rep])]),
            np.concatenate([d[keep], np.where(towards, d[rep], block)]))


def _codes_in(column: pd.Series, index: Mapping[str, int]) -> np.ndarray:
    """Per row, the code in ``index`` of ``str()`` of its value, or -1: each distinct value
    looked up once (Arrow strings and Categoricals are factorized without making text)."""
    codes, uniq = pd.factorize(column, use_na_sentinel=False)
    lookup = np.array([index.get(str(u), -1) for u in uniq] + [-1], dtype=np.int64)
    return lookup[codes]


def _edge_rows(
    G: nx.Graph, violations: set[tuple[str, str]], alias: Mapping[str, str]
) -> list[dict[str, Any]]:
    out = []
    for u, v, d in G.edges(data=True):
        kind = str(d.get("kind") or "allowed")
        if kind not in ("allowed", "observed", "violation", "violating"):
            continue  # structural edges (service selects pods...) are not connections
        su, sv = str(u), str(v)
        if su not in alias or sv not in alias:
            continue
        cat = "observed" if kind == "observed" else "allowed"
        if (
            d.get("violation")
            or d.get("violating")
            or kind in ("violation", "violating")
            or ((su, sv) in violations)
        ):
            cat = "violating"
        u, v = alias[su], alias[sv]
        ports = _port_labels(d)
        rules = d.get("rules") or d.get("rule")
        count = d.get("count", d.get("counts", d.get("flows")))
        if isinstance(count, Mapping):
            count = sum(int(x) for x in count.values() if isinstance(x, int | float))
        pairs = d.get("pairs")  # the endpoint pairs graph() merged into one namespace edge
        out.append(
            {
                "src": str(u),
                "dst": str(v),
                "cat": cat,
                "kind": kind,
                "protocol": d.get("protocol"),
                "ports": ports,
                "rules": rules,
                "count": count,
                "pairs": int(pairs) if isinstance(pairs, int | float) else None,
            }
        )
    return out


def _aggregate(
    nodes: dict[str, dict[str, Any]], edges: list[dict[str, Any]], by: str
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    group = {nid: r[by] for nid, r in nodes.items()}
    agg = _aggregate_nodes(nodes, by)
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for e in edges:
        s, t = group.get(e["src"]), group.get(e["dst"])
        if s is None or t is None:
            continue
        if s == t:
            agg[s]["internal"] += 1
            if e["cat"] != "violating":
                continue
        m = merged.setdefault(
            (s, t, e["cat"]),
            {
                "src": s,
                "dst": t,
                "cat": e["cat"],
                "kind": e["kind"],
                "protocol": set(),
                "ports": set(),
                "rules": set(),
                "count": 0,
                "edges": 0,
            },
        )
        # an edge of a graph that merged its allowed edges per namespace counts the
        # workload edges it stands for, so the figure ranks the pairs as the whole graph would
        m["edges"] += e.get("pairs") or 1
        protos = e["protocol"] if isinstance(e["protocol"], list) else [e["protocol"]]
        m["protocol"].update(str(p) for p in protos if p)
        m["ports"].update(str(p) for p in e["ports"] or [])
        rules = e["rules"]
        if rules:
            m["rules"].update(str(r) for r in (rules if isinstance(rules, list | tuple | set) else [rules]))
        if isinstance(e["count"], int | float):
            m["count"] += int(e["count"])
    return agg, [_sorted_sets(m) for m in merged.values()]


def _sorted_sets(m: dict[str, Any]) -> dict[str, Any]:
    """An aggregated edge with its protocol, port and rule sets as sorted lists."""
    m["protocol"] = sorted(m["protocol"])
    # the members' lists joined said "TCP/1-65535, TCP/53" where one range holds both
    m["ports"] = sorted(merged_labels(m["ports"]), key=_port_key)
    m["rules"] = sorted(m["rules"])
    return m


def _aggregate_nodes(nodes: dict[str, dict[str, Any]], by: str) -> dict[str, dict[str, Any]]:
    """One node per namespace or zone (``by``) with its member count, zones and exposure;
    ``internal`` (connections inside) left at 0 for the edges to fill in."""
    agg: dict[str, dict[str, Any]] = {}
    for r in nodes.values():
        g = r[by]
        a = agg.setdefault(
            g,
            {
                "id": g,
                "namespace": g if by == "namespace" else "",
                "zones": set(),
                "kind": by,
                "type": by,
                "labels": {},
                "exposure": None,
                "host_network": False,
                "members": 0,
                "internal": 0,
            },
        )
        a["members"] += r["members"]
        # Every zone of a member: a workload mid-rollout has pods in several (its ``zone`` is
        # only the most sensitive), and the namespace spans all of them.
        a["zones"].update(r.get("zones") or [r["zone"]])
        a["host_network"] = a["host_network"] or r["host_network"]
        if r["exposure"] and r["exposure"] not in (None, "none", "internal"):
            a["exposure"] = "has exposed workloads"
    for a in agg.values():
        zones = sorted(a.pop("zones"))
        a["zone"] = a["id"] if by == "zone" else _zone_label(zones)
        a["zone_list"] = zones
    return agg


def _zone_label(zones: Iterable[str]) -> str:
    """The zone a group of zones is drawn in: its one zone, or ``mixed: a, b``."""
    real = sorted({z for z in zones if z != NO_ZONE})
    return real[0] if len(real) == 1 else (NO_ZONE if not real else "mixed: " + ", ".join(real))


def _port_labels(d: Mapping[str, Any]) -> list[str]:
    """``PROTO/port`` strings for an edge (``port_labels`` if the graph has them)."""
    if d.get("port_labels"):
        return [str(x) for x in d["port_labels"]]
    proto = d.get("protocol")
    if "port" in d and "ports" not in d:  # an observed edge: one destination port, or none (ICMP)
        return [f"{proto}/{d['port']}" if d["port"] is not None else str(proto)] if proto else []
    ports = d.get("ports")
    if ports is None or ports == []:
        return [f"{proto}/all ports"] if proto else []
    plist = ports if isinstance(ports, list | tuple | set) else [ports]
    return [f"{proto}/{p}" if proto and "/" not in str(p) else str(p) for p in plist]


def _dedupe(edges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One drawn edge per (src, dst, category): merge protocols, ports, rules and counts."""
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for e in edges:
        key = (e["src"], e["dst"], e["cat"])
        m = merged.get(key)
        if m is None:
            merged[key] = m = {**e, "protocol": [], "ports": [], "rules": [], "count": None, "pairs": None}
        for field_ in ("protocol", "ports", "rules"):
            val = e[field_]
            if val is None:
                continue
            for x in val if isinstance(val, list | tuple | set) else [val]:
                if str(x) not in m[field_]:
                    m[field_].append(str(x))
        if isinstance(e["count"], int | float):
            m["count"] = (m["count"] or 0) + int(e["count"])
        if e.get("pairs"):
            m["pairs"] = (m["pairs"] or 0) + e["pairs"]
    for m in merged.values():
        # one pair's edges joined said "TCP/all ports, TCP/53" where all ports hold the rest
        m["ports"] = sorted(merged_labels(m["ports"]), key=_port_key)
        m["rules"] = sorted(m["rules"])
        m["protocol"] = sorted(m["protocol"])
    return list(merged.values())


def _rank(e: dict[str, Any]) -> tuple[Any, ...]:
    """The order in which edges are kept when not all are drawn (see ``max_edges`` in
    :func:`network_figure`): category, then the most workload edges merged, flows, ports."""
    count = e["count"] if isinstance(e["count"], int | float) else 0
    merged = e.get("edges") or e.get("pairs") or 1
    return (_CUT_ORDER.index(e["cat"]), -merged, -count, -len(e["ports"] or ()), e["src"], e["dst"])


def _select(
    edges: list[dict[str, Any]], max_edges: int | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The edges drawn under ``max_edges`` (all of them when they fit) and, when some are
    left out, what was: ``{"edges": all, "drawn": kept, "max_edges": cap, "categories":
    {category: [kept, all]}}`` (None when every edge is drawn)."""
    max_edges = check_cap(max_edges, "max_edges", "edges", 0)
    if max_edges is None or len(edges) <= max_edges:
        return edges, None
    kept = sorted(edges, key=_rank)[:max_edges]
    cats = {c: [sum(e["cat"] == c for e in kept), sum(e["cat"] == c for e in edges)] for c in _CUT_ORDER}
    return kept, {"edges": len(edges), "drawn": len(kept), "max_edges": max_edges, "categories": cats}


def _busiest_groups(
    nodes: dict[str, dict[str, Any]], edges: list[dict[str, Any]], n: int | None, by: str
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]], dict[str, Any] | None]:
    """The ``n`` groups (namespaces or zones, ``by``) with the most violating edges, then the
    most violating workload edges, the most edges, ties by name; the rest merged into one node
    whose edges with the kept groups are merged per (src, dst, category) and whose edges among
    its members are counted, not drawn.  And what was merged (None when every group is drawn):
    ``{"groups": [drawn, all], "max_groups": n, "other": id, "among": {category: edges},
    "with": {category: [merged edges, edges]}}``."""
    n = check_cap(n, "max_groups", "namespaces or zones", 1)
    if n is None or len(nodes) <= n:
        return nodes, edges, None
    violating: dict[str, int] = defaultdict(int)
    violating_merged: dict[str, int] = defaultdict(int)
    touching: dict[str, int] = defaultdict(int)
    for e in edges:
        for g in {e["src"], e["dst"]}:
            touching[g] += 1
            if e["cat"] == "violating":
                violating[g] += 1
                violating_merged[g] += _merged(e)
    ranked = sorted(nodes, key=lambda g: (-violating[g], -violating_merged[g], -touching[g], g))
    keep, rest = set(ranked[:n]), ranked[n:]
    other = f"({_others(len(rest), by)})"
    zones = sorted({z for g in rest for z in nodes[g]["zone_list"]})
    members = [nodes[g] for g in rest]
    out = {g: r for g, r in nodes.items() if g in keep}
    out[other] = {
        "id": other, "namespace": other if by == "namespace" else "", "kind": by, "type": by,
        "labels": {}, "host_network": any(r["host_network"] for r in members),
        "exposure": next((r["exposure"] for r in members if r["exposure"]), None),
        "members": sum(r["members"] for r in members), "internal": sum(r["internal"] for r in members),
        "zone": _zone_label(zones), "zone_list": zones, "groups": len(rest),
    }
    among: dict[str, int] = defaultdict(int)
    with_: dict[str, list[int]] = {}
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    kept: list[dict[str, Any]] = []
    for e in edges:
        s, t = (e["src"] if e["src"] in keep else other), (e["dst"] if e["dst"] in keep else other)
        if s == other and t == other:
            among[e["cat"]] += 1
            continue
        if s != other and t != other:
            kept.append(e)
            continue
        with_.setdefault(e["cat"], [0, 0])[1] += 1
        m = merged.get((s, t, e["cat"]))
        if m is None:
            merged[(s, t, e["cat"])] = m = {"src": s, "dst": t, "cat": e["cat"], "kind": e["kind"],
                                            "protocol": set(), "ports": set(), "rules": set(), "count": 0,
                                            "edges": 0}
            with_[e["cat"]][0] += 1
        m["edges"] += _merged(e)
        m["protocol"].update(e["protocol"] or ())
        m["ports"].update(e["ports"] or ())
        m["rules"].update(e["rules"] or ())
        if isinstance(e["count"], int | float):
            m["count"] += int(e["count"])
    out[other]["among"] = sum(among.values())
    cut = {"groups": [n, len(nodes)], "max_groups": n, "other": other,
           "among": {c: among[c] for c in _CUT_ORDER if among[c]},
           "with": {c: with_[c] for c in _CUT_ORDER if c in with_}}
    return out, kept + [_sorted_sets(m) for m in merged.values()], cut


def _others(n: int, by: str) -> str:
    return f"{n:,} other {by}" + ("s" if n != 1 else "")


def _merged(e: Mapping[str, Any]) -> int:
    """The workload edges an aggregated edge stands for."""
    return int(e.get("edges") or e.get("pairs") or 1)


def _groups_note(cut: Mapping[str, Any], by: str) -> str:
    """The figure's note of the groups merged into one node (numbers and fixed words only)."""
    drawn, total = cut["groups"]
    words = "namespaces" if by == "namespace" else "zones"
    head = (f"<b>The {drawn:,} of {total:,} {words} with the most violating edges are drawn</b>"
            f" (max_groups={cut['max_groups']:,}); the other {total - drawn:,}"
            f" {'is' if total - drawn == 1 else 'are'} one node,"
            f" {esc(cut['other'])}, in the centre")
    with_ = cut["with"]
    parts = []
    if with_:
        merged = sum(k for k, _ in with_.values())
        edges = sum(t for _, t in with_.values())
        kinds = ", ".join(f"{c} {t:,}" for c in _CUT_ORDER for _, t in [with_.get(c, (0, 0))] if t)
        parts.append(f"its {edges:,} edges with the {words} drawn ({kinds}) merged into {merged:,}")
    among = cut["among"]
    if among:
        kinds = ", ".join(f"{c} {k:,}" for c, k in among.items())
        parts.append(f"the {sum(among.values()):,} edges among its {words} not drawn ({kinds})")
    return head + (":<br>" + "; ".join(parts) if parts else "") + "."


def _cut_note(cut: Mapping[str, Any]) -> str:
    """The figure's note of the edges it left out (numbers and fixed words only)."""
    cats = cut["categories"]
    head = f"<b>{cut['drawn']:,} of {cut['edges']:,} edges drawn</b> (max_edges={cut['max_edges']:,})"
    kept, total = cats["violating"]
    if kept < total:
        head += f", <b>only {kept:,} of the {total:,} violating edges</b>"
    counts = ", ".join(f"{c} {k:,} of {t:,}" for c in _CUT_ORDER for k, t in [cats[c]] if t)
    return (f"{head}: {counts}; every node is drawn.<br>Kept first: violating, then observed, then"
            " allowed; within each, the edges merging the most workload edges, then flows, then ports.")


def _port_key(p: str) -> tuple[int, str]:
    head = p.split("/")[-1].split("-")[0]
    return (int(head), p) if head.isdigit() else (1 << 20, p)


def _grouped_layout(
    nodes: dict[str, dict[str, Any]], group_key: str
) -> tuple[dict[str, tuple[float, float]], dict[str, tuple[float, float, float]]]:
    """Groups on a ring, members on a sunflower spiral inside each group: O(n), no randomness."""
    groups: dict[str, list[str]] = defaultdict(list)
    for nid in sorted(nodes):
        groups[nodes[nid][group_key]].append(nid)
    order = sorted(groups, key=lambda g: (g == EXTERNAL, _zone_of_group(nodes, groups[g]), g))
    radius = {g: 0.6 * math.sqrt(len(groups[g])) + 0.4 for g in order}
    gap = 0.8
    if not order:
        return {}, {}
    if len(order) == 1:
        centres = {order[0]: (0.0, 0.0)}
    else:
        circumference = sum(2 * radius[g] + gap for g in order)
        ring = max(circumference / (2 * math.pi), max(radius.values()) + gap)
        centres = {}
        angle = math.pi / 2
        for g in order:
            span = (2 * radius[g] + gap) / ring
            angle -= span / 2
            centres[g] = (ring * math.cos(angle), ring * math.sin(angle))
            angle -= span / 2
    pos: dict[str, tuple[float, float]] = {}
    boxes: dict[str, tuple[float, float, float]] = {}
    for g in order:
        cx, cy = centres[g]
        members = groups[g]
        n = len(members)
        for i, nid in enumerate(members):
            if n == 1:
                pos[nid] = (cx, cy)
                continue
            r = (radius[g] - 0.3) * math.sqrt((i + 0.5) / n)
            pos[nid] = (cx + r * math.cos(i * _GOLDEN), cy + r * math.sin(i * _GOLDEN))
        boxes[g] = (cx, cy, radius[g])
    return pos, boxes


def _zone_of_group(nodes: dict[str, dict[str, Any]], members: list[str]) -> str:
    zs = sorted({nodes[m]["zone"] for m in members})
    return zs[0] if zs else NO_ZONE


#: A workload figure names its nodes (under each one) up to this many nodes.
LABELLED_NODES = 80
#: The node labels' font size, and what a label takes in pixels at it: a character's width at
#: most (wide letters and digits of the usual sans-serif faces; measured in Chromium, the
#: demo's labels take 4.3 to 5.5 px), a line's height.
_LABEL_FONT = 9
_LABEL_CHAR = 5.5
_LABEL_LINE = 11.0
#: The room of one labelled node in pixels: its marker (14 px at most) and label over the label
#: line, with white round both.
_CELL_GAP = 8.0
_CELL_HEIGHT = 14 + _LABEL_LINE + 5
#: Pixels between two groups on the ring, and round the ring (a group's title above it).
_GROUP_GAP = 20.0
_LABELLED_PAD = 24.0
#: The highest a figure of named workloads is drawn by default: about the widest plot a 1280 px
#: screen gives it (a wider ring would be drawn smaller than laid out all the same); past it
#: the ring is drawn smaller and the names of crowded namespaces may touch.
_LABELLED_HEIGHT = 1000


def _label_width(text: str) -> float:
    return len(text) * _LABEL_CHAR


#: The narrowest a notebook draws a figure, in pixels: a JupyterLab cell of about 600 px less
#: its prompt and padding, a narrow window's.  A figure of named workloads writes the names
#: that fit there (see :func:`_fitted_labels`).
_NOTEBOOK_WIDTH = 480
#: A group's title (an annotation, bold, 11 px) above its circle: its font, the height of its
#: text and where it is drawn, its middle that many pixels above the circle's top; a node's
#: name, under it, as high (measured in Chromium: 13 and 10 px, 9.5 px up).
_TITLE_FONT = 11
_TITLE_LINE = 13.0
_TITLE_SHIFT = 9.5
_NAME_LINE = 10.0


#: Where a node's name may be written, as Plotly's ``textposition`` says it: under its node as
#: laid out, and where a name that meets another there is tried before it is cut.
_NAME_PLACES = ("bottom center", "top center", "middle right", "middle left")
#: A text's or a node's box on the screen: [left, top, right, bottom], in pixels, y downwards.
_Box = tuple[float, float, float, float]


def _name_box(place: str, x: float, y: float, width: float, marker: float) -> _Box:
    """The box [left, top, right, bottom] (screen pixels, y downwards) of a name ``width``
    pixels wide written at ``place`` of a node of ``marker`` pixels at (x, y).  Plotly sets a
    name off a marker's middle by its radius / 0.8 + 1 (scatter's textPointPosition); under
    it, the name's top is the marker's edge and a pixel (measured in Chromium)."""
    off = marker / 2 / 0.8 + 1
    if place == "bottom center":
        return (x - width / 2, y + marker / 2 + 1, x + width / 2, y + marker / 2 + 1 + _NAME_LINE)
    if place == "top center":
        return (x - width / 2, y - off - _NAME_LINE, x + width / 2, y - off + 1)
    if place == "middle right":
        return (x + off, y - _NAME_LINE / 2, x + off + width, y + _NAME_LINE / 2)
    return (x - off - width, y - _NAME_LINE / 2, x - off, y + _NAME_LINE / 2)


def _fitted_labels(
    pos: Mapping[str, tuple[float, float]],
    labels: Mapping[str, str],
    groups: Mapping[str, tuple[float, float, float]],
    scale: float,
    marker: Mapping[str, float],
    room: float = math.inf,
) -> tuple[dict[str, str], dict[str, str]]:
    """Each node's name as a figure drawn at ``scale`` screen pixels per pixel of its layout
    writes it, and where (a ``textposition``): whole under its node where it keeps apart from
    every other name, group title and node there; else whole above it or to a side where one
    of those has room (within the plot, ``room`` layout pixels round the origin); else cut in
    its middle (:func:`~k8sviz.viz._common.shortened`) or left to the hover ("").

    The layout keeps the names apart at full size; drawn smaller, the places come closer and
    the names keep their size.  The report sets them smaller by as much (its script), but
    JupyterLab draws a figure with plotly's renderer and runs none: in a cell of about 600 px
    seven pairs of the demo's names were written over each other.  Where two names meet, each
    tries the other places (the wider first), the name above or beside its node keeping clear
    of every other; where none has room, the longer gives a character (both when as long),
    until none meets another; a name that meets a title gives way to it.  Cut under its node
    only, a short name lost most of itself ("coredns" was "cor…ns" at 480 px, with white above
    it).  Plain text in and out: escape it after."""

    def box(x: float, top: float, width: float, height: float) -> tuple[float, float, float, float]:
        return (x - width / 2, top, x + width / 2, top + height)

    def meet(p: tuple[float, float, float, float], q: tuple[float, float, float, float]) -> bool:
        return p[0] < q[2] and q[0] < p[2] and p[1] < q[3] and q[1] < p[3]

    def at(n: str, where: str, text: str) -> _Box:
        x, y = pos[n][0] * scale, -pos[n][1] * scale
        return _name_box(where, x, y, text_width(text, _LABEL_FONT), marker[n])

    # screen pixels, y downwards: a name under its node, a title above its group's circle
    titles = [box(cx * scale, -(cy + r) * scale - _TITLE_SHIFT - _TITLE_LINE / 2,
                  text_width(g, _TITLE_FONT, bold=True), _TITLE_LINE)
              for g, (cx, cy, r) in groups.items()]
    nodes = {n: box(pos[n][0] * scale, -pos[n][1] * scale - marker[n] / 2, marker[n], marker[n])
             for n in labels}
    edge = room * scale
    shown = dict(labels)
    place = dict.fromkeys(labels, _NAME_PLACES[0])
    keep = {n: len(t) for n, t in labels.items()}

    def free(n: str, p: _Box, boxes: Mapping[str, _Box]) -> bool:
        return not any(meet(p, t) for t in titles) and not any(meet(p, q) for m, q in boxes.items() if m != n)

    def clear(n: str, p: _Box, boxes: Mapping[str, _Box]) -> bool:
        # inside the plot (a text past the axes is clipped), and over no node
        return (-edge <= p[0] and p[2] <= edge and -edge <= p[1] and p[3] <= edge and free(n, p, boxes)
                and not any(meet(p, q) for m, q in nodes.items() if m != n))

    while True:
        boxes = {n: at(n, place[n], t) for n, t in shown.items() if t}
        order = sorted(boxes)
        met: set[str] = set()
        for i, a in enumerate(order):
            if any(meet(boxes[a], t) for t in titles):
                met.add(a)
            met |= {x for b in order[i + 1:] if meet(boxes[a], boxes[b]) for x in (a, b)}
        if not met:
            return shown, place
        # another place first, the widest name first (it would give first), each clear of the
        # names as they are by then
        moved = False
        for n in sorted(met, key=lambda n: (-(boxes[n][2] - boxes[n][0]), n)):
            if free(n, boxes[n], boxes):  # another moved away
                continue
            for where in _NAME_PLACES:
                if where != place[n] and clear(n, there := at(n, where, shown[n]), boxes):
                    place[n], boxes[n], moved = where, there, True
                    break
        if moved:
            continue
        cut: set[str] = set()
        for i, a in enumerate(order):
            p = boxes[a]
            if any(meet(p, t) for t in titles):
                cut.add(a)
            for b in order[i + 1:]:
                q = boxes[b]
                if meet(p, q):
                    wa, wb = p[2] - p[0], q[2] - q[0]
                    cut |= {a} if wa > wb else {b} if wb > wa else {a, b}
        for n in cut:
            keep[n] = min(keep[n], len(labels[n])) - 1
            shown[n] = shortened(labels[n], keep[n])


def _labelled_layout(
    nodes: dict[str, dict[str, Any]], group_key: str, labels: Mapping[str, str]
) -> tuple[dict[str, tuple[float, float]], dict[str, tuple[float, float, float]], float]:
    """:func:`_grouped_layout` for a figure that names its nodes: places in pixels, each group's
    members in rows and columns as wide as its longest label and as high as a node with its
    label under it, so that no two labels overlap (the spiral put the twelve workloads of a
    shop namespace so close that their names were written over each other); the groups on
    a ring, each a circle round its grid.  Also the ring's size in pixels, margins aside."""
    groups: dict[str, list[str]] = defaultdict(list)
    for nid in sorted(nodes):
        groups[nodes[nid][group_key]].append(nid)
    order = sorted(groups, key=lambda g: (g == EXTERNAL, _zone_of_group(nodes, groups[g]), g))
    grids: dict[str, tuple[int, float]] = {}  # columns, cell width
    radius: dict[str, float] = {}
    for g in order:
        n = len(groups[g])
        width = max(14.0, *(_label_width(labels[m]) for m in groups[g])) + _CELL_GAP

        def half_diagonal(cols: int, n: int = n, width: float = width) -> float:
            return math.hypot(cols * width, math.ceil(n / cols) * _CELL_HEIGHT) / 2

        cols = min(range(1, n + 1), key=half_diagonal)
        grids[g] = (cols, width)
        radius[g] = half_diagonal(cols) + _CELL_GAP
    if not order:
        return {}, {}, 0.0
    if len(order) == 1:
        centres = {order[0]: (0.0, 0.0)}
        ring = 0.0
    else:
        circumference = sum(2 * radius[g] + _GROUP_GAP for g in order)
        ring = max(circumference / (2 * math.pi), max(radius.values()) + _GROUP_GAP)

        def spans(ring: float) -> list[float]:
            # the angle whose chord is a group's diameter and gap: a span by arc length put
            # two large neighbours on a small ring closer than that
            return [2 * math.asin(min(1.0, (radius[g] + _GROUP_GAP / 2) / ring)) for g in order]

        while sum(spans(ring)) > 2 * math.pi:
            ring *= 1.05
        angles = spans(ring)
        slack = (2 * math.pi - sum(angles)) / len(order)  # shared out, the ring kept round
        centres = {}
        angle = math.pi / 2
        for g, span in zip(order, angles, strict=True):
            angle -= (span + slack) / 2
            centres[g] = (ring * math.cos(angle), ring * math.sin(angle))
            angle -= (span + slack) / 2
    pos: dict[str, tuple[float, float]] = {}
    boxes: dict[str, tuple[float, float, float]] = {}
    for g in order:
        cx, cy = centres[g]
        members = groups[g]
        cols, width = grids[g]
        rows = math.ceil(len(members) / cols)
        for i, nid in enumerate(members):
            row, col = divmod(i, cols)
            in_row = min(cols, len(members) - row * cols)  # the last row's, centred
            x = cx + (col - (in_row - 1) / 2) * width
            # each cell's node above its label, the pair centred in the cell
            y = cy + ((rows - 1) / 2 - row) * _CELL_HEIGHT + _LABEL_LINE / 2
            pos[nid] = (x, y)
        boxes[g] = (cx, cy, radius[g])
    extent = max(max(abs(x) + radius[g], abs(y) + radius[g]) for g, (x, y) in centres.items())
    return pos, boxes, extent


@pausing  # a row per graph edge, then merged: see k8sviz._gc
def network_figure(
    G: nx.Graph,
    *,
    aggregate: Aggregate = None,
    namespace: str | Iterable[str] | None = None,
    violations: Any = None,
    layout: Literal["grouped", "spring", "circular"] = "grouped",
    seed: int = 0,
    show: Iterable[str] = ("allowed", "observed", "violating"),
    title: str | None = None,
    height: int | None = None,
    webgl: bool | None = None,
    services: bool = False,
    collapse_external: bool = True,
    max_edges: EdgeCap = "auto",
    max_groups: int | None = MAX_DRAWN_GROUPS,
) -> go.Figure:
    """Draw a connection graph (from :func:`k8sviz.graph`) as a Plotly figure.

    Parameters
    ----------
    G
        Graph whose nodes carry ``namespace``, ``zone``, ``labels``, ``kind``, ``exposure``,
        ``host_network`` and whose edges carry ``kind`` (``allowed``/``observed``), ``protocol``,
        ``ports``, ``rules``; an edge with a truthy ``violation`` attribute is drawn as violating.
        A node's ``zones``, when it has several (a workload mid-rollout), are listed on hover.
        Node ``type`` sets the marker: external peers diamonds, Services hexagons, cluster nodes
        pentagons (grouped as ``(nodes)``), network sets open diamonds, unmapped endpoints
        crosses; the addresses of the last three are on hover.
    aggregate
        ``"namespace"`` or ``"zone"`` collapses nodes into one per group (use it for thousands of
        workloads); ``None`` draws every node.  A namespace is in every zone of its members,
        a split workload's ``zones`` included, and drawn as ``mixed: a, b`` when that is more
        than one (so is a namespace node the graph aggregated, whose ``zone`` is then None);
        by zone, a node is in its ``zone``, the most sensitive of its zones.
    namespace
        Drill down: keep only nodes in these namespaces and their direct neighbours.
    violations
        Extra violating edges: ``(src, dst)`` pairs or a DataFrame with ``src``/``dst`` columns.
        On a graph that merged its allowed edges per namespace (``graph(max_edges=...)``), a
        violation between workloads marks the edge between their namespaces (see
        :func:`graph_violations`): such a namespace pair is then drawn violating only.
    layout
        ``"grouped"`` (default: namespaces on a ring, deterministic and linear-time),
        ``"spring"`` (``networkx.spring_layout`` with ``seed``) or ``"circular"``.  A grouped
        figure of workloads that names them (up to :data:`LABELLED_NODES` nodes) lays each
        namespace's out in rows and columns as wide as its longest name, in pixels, and is
        drawn as high as that takes, up to 1,000 px and the legend's rows (``height`` unless
        given): no two names overlap while the plot is as wide as high and no higher than that.
    show
        Edge categories to draw: any of ``allowed``, ``observed``, ``violating``.
    services
        Also draw Service nodes (off by default: connections go workload to workload).
    collapse_external
        Merge external address blocks into one node per address class (internet, private,
        metadata); the CIDRs are listed on hover.
    max_edges
        Draw at most this many edges (after ``show``, ``namespace``, ``aggregate`` and
        ``max_groups``); None draws every one; ``"auto"`` (the default) is
        :data:`MAX_DRAWN_EDGES` (2,000) for a figure of workloads and :data:`RING_EDGES` (200)
        for one aggregated per namespace or zone, whose nodes are one ring and each edge a
        chord across it (2,000 chords on it were a solid disc at 50,000 pods).  Past it the
        figure keeps every violating edge first (a zone violation is the audit's evidence),
        then the observed ones, then the allowed ones;
        within each category the edges merging the most workload edges first, then the most
        flows, then the most ports, ties by source and destination name.  Should the
        violating edges alone be more than ``max_edges``, the first of them in that order are
        drawn and the note says so.  A note above the figure gives the counts drawn and in
        all, per category, and ``fig.layout.meta`` holds them (``edges``, ``drawn``,
        ``max_edges``, ``categories``: category -> [drawn, all]).  Nodes (those under
        ``max_groups``) are all drawn, with an edge or not, and keep their places (a spring
        layout is computed on every edge).  :data:`MAX_DRAWN_EDGES` (2,000): past a few
        thousand lines a ring of namespaces is a solid disc nobody reads, while each edge
        costs the page about 310 bytes (its line, its midpoint marker and hover text) and, in
        a figure of under 1,000 nodes (drawn as SVG), an element the browser lays out: at
        50,000 pods the report's namespace graph drew 49,584 edges, 15.1 MiB of its page, and
        with 2,000 it was 0.9 MiB (its 1,001 namespaces included).
    max_groups
        An aggregated figure draws at most this many namespaces or zones as nodes, those with
        the most violating edges (then the most violating workload edges, the most edges, ties
        by name); None draws every one.  The rest are one node, ``(N other namespaces)`` (or
        zones), in the ring's centre: their edges with the nodes drawn are merged into one
        per node and category (drawn as spokes, counted against ``max_edges`` as any edge),
        those among them are counted, not drawn.  A note above the figure says how many
        groups and edges were merged and left out, and ``fig.layout.meta["groups"]`` holds it
        (``groups``: [drawn, all], ``max_groups``, ``other``: the node's id, ``among``:
        category -> edges not drawn, ``with``: category -> [merged edges, edges]).  The
        default, :data:`MAX_DRAWN_GROUPS` (30): at 50,000 pods the ring of 1,001 namespaces
        under 2,000 violating chords was a red disc, and at 6,800 pods that of 137 under 987.
        A figure of workloads (``aggregate=None``) is not cut by it.

    Returns
    -------
    plotly.graph_objects.Figure
        One trace per edge category (lines plus hoverable midpoints) and one node trace per zone.
        The legend is in rows under the plot (on its right it took about 180 px of a narrow
        figure's width), the figure made higher by the rows it takes where the plot is as wide
        as high (unless ``height`` is given): drawn wider, the plot keeps its height.
    """
    import networkx as nx

    if not isinstance(G, nx.Graph):
        from ..errors import InputError

        hint = (" (build it: k8sviz.graph(snapshot, reach=reach))"
                if hasattr(G, "pods") or hasattr(G, "can_reach") else "")
        msg = f"network_figure: G must be a graph from k8sviz.graph(...), got {type(G).__name__}{hint}"
        raise InputError(msg)
    judged: Any = getattr(violations, "snapshot", None)  # a Segmentation knows its snapshot
    if hasattr(judged, "sha256") and G.graph.get("sha256") not in (None, judged.sha256):
        from ..errors import InputError

        # its workloads are not the graph's: their pairs matched nothing, and nothing was marked
        theirs, ours = as_written(judged.meta.get("cluster")), as_written(G.graph.get("cluster"))
        raise InputError("network_figure: violations are a segmentation of another snapshot than the "
                         f"graph's ({theirs}, not {ours})")
    show, violations, height = _check_drawing(show, layout, height, violations)
    _check_options(seed, title, webgl, services, collapse_external)
    if namespace is not None:
        namespace = _names(namespace, "namespace must be a namespace name or a list of them")
    nodes, alias = _node_rows(G, services=services, collapse_external=collapse_external)
    vset = graph_violations(G, violations)
    edges = _edge_rows(G, vset, alias)
    edges = _dedupe(edges)
    if namespace is not None:
        wanted = {namespace} if isinstance(namespace, str) else set(namespace)
        absent = sorted(wanted - {r["namespace"] for r in nodes.values()})
        if absent:
            from ..errors import InputError

            # a mistyped namespace drew an empty figure, as if it had no traffic
            raise InputError(f"network_figure: no node of the graph is in the namespace "
                             f"{', '.join(map(repr, absent))}")
        core = {n for n, r in nodes.items() if r["namespace"] in wanted}
        keep = set(core)
        for e in edges:
            if e["src"] in core or e["dst"] in core:
                keep.update((e["src"], e["dst"]))
        nodes = {n: r for n, r in nodes.items() if n in keep}
        edges = [e for e in edges if e["src"] in keep and e["dst"] in keep]
    if aggregate is not None:
        if aggregate not in ("namespace", "zone"):
            from ..errors import InputError

            msg = f"aggregate must be 'namespace', 'zone' or None, not {as_given(aggregate)}"
            raise InputError(msg)
        nodes, edges = _aggregate(nodes, edges, aggregate)
    return _draw(
        nodes, edges, aggregate=aggregate, namespace=namespace, layout=layout, seed=seed, show=show,
        title=title, height=height, webgl=webgl, max_edges=max_edges, max_groups=max_groups,
    )


_SHOW = ("allowed", "observed", "violating")


def _names(value: Any, what: str) -> str | tuple[str, ...]:
    """``value``, a str or some of them (as a tuple), else an InputError saying ``what`` it must
    be: ``set(3)`` and ``tuple(None)`` were TypeErrors that named no argument."""
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable) and not isinstance(value, bytes | Mapping):
        items = tuple(value)
        if all(isinstance(v, str) for v in items):
            return items
    from ..errors import InputError

    raise InputError(f"network_figure: {what}, got {type_name(value)}")


def _check_options(seed: Any, title: Any, webgl: Any, services: Any, collapse_external: Any) -> None:
    """InputErrors naming the argument for the options of :func:`network_figure` that were
    taken as given: ``webgl="no"`` and ``services="false"`` by their truth, a seed of any kind."""
    from .._checks import is_count, require_flag, require_title
    from ..errors import InputError

    if not is_count(seed):
        raise InputError(f"network_figure: seed must be a whole number, got {as_given(seed)}")
    require_title(title, "network_figure")
    if webgl is not None:
        require_flag(webgl, "network_figure", "webgl", InputError)
    require_flag(services, "network_figure", "services", InputError)
    require_flag(collapse_external, "network_figure", "collapse_external", InputError)
_LAYOUTS = ("grouped", "spring", "circular")


def _check_drawing(
    show: Any, layout: Any, height: Any, violations: Any
) -> tuple[tuple[str, ...], Any, int | None]:
    """``show`` as a tuple (one category given as a str is that one: ``set("allowed")`` was its
    letters, and nothing was drawn), ``violations`` as pairs or a frame (a Segmentation is
    its ``violations``) and ``height`` as an int; an unknown category or layout, a height that
    is no number of pixels, or violations of another shape are InputErrors naming the argument."""
    from ..errors import InputError

    show = _names(show, f"show must be edge categories (any of {', '.join(_SHOW)})")
    shown = (show,) if isinstance(show, str) else show
    unknown = [s for s in shown if s not in _SHOW]
    if unknown:
        raise InputError(f"show: {', '.join(map(repr, unknown))} is no edge category "
                         f"(any of {', '.join(_SHOW)})")
    if not one_of(layout, _LAYOUTS):
        raise InputError(f"layout must be 'grouped', 'spring' or 'circular', not {as_given(layout)}")
    height = check_cap(height, "height", "pixels", 10)
    if violations is None or hasattr(violations, "columns"):
        return shown, violations, height
    if hasattr(getattr(violations, "violations", None), "columns"):
        return shown, violations.violations, height
    try:
        pairs = list(violations)
    except TypeError:
        pairs = None
    if pairs is None or not all(isinstance(p, tuple | list) and len(p) == 2 for p in pairs):
        raise InputError("violations must be (src, dst) pairs, a DataFrame with src and dst columns "
                         f"or k8sviz.segmentation(...), not {type(violations).__name__}")
    return shown, violations if isinstance(violations, set | frozenset | list | tuple) else pairs, height


def _draw(
    nodes: dict[str, dict[str, Any]],
    edges: list[dict[str, Any]],
    *,
    aggregate: Aggregate,
    namespace: str | Iterable[str] | None = None,
    layout: Literal["grouped", "spring", "circular"] = "grouped",
    seed: int = 0,
    show: Iterable[str] = ("allowed", "observed", "violating"),
    title: str | None = None,
    height: int | None = None,
    webgl: bool | None = None,
    max_edges: EdgeCap = "auto",
    max_groups: int | None = MAX_DRAWN_GROUPS,
) -> go.Figure:
    """The figure of node and edge rows (drawn nodes, deduplicated or aggregated edges)."""
    if isinstance(max_edges, str) and max_edges == "auto":
        max_edges = MAX_DRAWN_EDGES if aggregate is None else RING_EDGES
    shown = set(show)
    edges = [e for e in edges if e["cat"] in shown]
    groups_cut = None
    if aggregate is not None:
        nodes, edges, groups_cut = _busiest_groups(nodes, edges, max_groups, aggregate)
    else:
        max_groups = check_cap(max_groups, "max_groups", "namespaces or zones", 1)
    drawn, cut = _select(edges, max_edges)

    group_key = "zone" if aggregate == "zone" else "namespace"
    other = groups_cut["other"] if groups_cut is not None else None
    labelled = len(nodes) <= (LABELLED_GROUPS if aggregate else LABELLED_NODES)
    extent = None
    if layout == "grouped" and aggregate is None and labelled:
        pos, boxes, extent = _labelled_layout(nodes, group_key, {k: _short(k, aggregate) for k in nodes})
    elif layout == "grouped" or (aggregate is not None and layout == "grouped"):
        pos, boxes = _grouped_layout({k: r for k, r in nodes.items() if k != other}, group_key)
        if other is not None:
            # the rest in the ring's centre: their edges are spokes, told apart from the chords
            pos[other] = (0.0, 0.0) if len(nodes) > 2 else (0.0, -2.0)
    else:
        H = nx.DiGraph()
        H.add_nodes_from(sorted(nodes))
        H.add_edges_from(sorted({(e["src"], e["dst"]) for e in edges}))
        raw = nx.circular_layout(H) if layout == "circular" else nx.spring_layout(H, seed=seed)
        pos = {n: (float(p[0]), float(p[1])) for n, p in raw.items()}
        boxes = {}
    big = len(nodes) > 1000 if webgl is None else webgl
    Sc = go.Scattergl if big else go.Scatter

    fig = new_figure(title or _default_title(aggregate, namespace), showlegend=True)
    fig.update_layout(
        # a cut ring has four lines of notes above it: the room they take, back to the ring
        height=height or (700 if len(nodes) > 60 else 560) + (200 if groups_cut is not None else 0),
        hovermode="closest",
        xaxis={"visible": False, "scaleanchor": "y"},
        yaxis={"visible": False},
        legend={"itemsizing": "constant"},
    )
    if cut is not None or groups_cut is not None:
        kept, total = cut["categories"]["violating"] if cut is not None else (0, 0)
        notes = ([_groups_note(groups_cut, str(aggregate))] if groups_cut is not None else []) + (
            [_cut_note(cut)] if cut is not None else [])
        note = "<br>".join(notes)
        meta = {**(cut or {}), **({"groups": groups_cut} if groups_cut is not None else {})}
        fig.update_layout(meta=meta, margin={"t": 65 + 15 * (note.count("<br>") + 1)})
        if groups_cut is not None:  # the title above the notes, not over them
            fig.update_layout(title={"y": 0.99, "yanchor": "top"})
        fig.add_annotation(text=note, showarrow=False, xref="paper", yref="paper", x=0, y=1,
                           xanchor="left", yanchor="bottom", yshift=8, align="left",
                           font={"size": 11, "color": "#b71c1c" if kept < total else "#455a64"})
    if extent is not None:
        # Places are pixels: the axes span the ring and its pad, and the plot is made as high
        # (the notes above it aside), so that a pixel of the layout is one on the screen or
        # more and the labels keep apart as laid out, while the plot is as wide as high.
        # Drawn narrower than high, the plot is made narrower ("domain"), not its x range
        # wider: a range widened once stayed so when the figure grew back (a window resized).
        room = extent + _LABELLED_PAD
        fig.update_layout(xaxis={"range": [-room, room], "constrain": "domain"},
                          yaxis={"range": [-room, room], "constrain": "domain"})
        if height is None:
            margin = fig.layout.margin
            need = math.ceil(2 * room + float(margin.t) + float(margin.b))
            fig.update_layout(height=max(int(fig.layout.height), min(need, _LABELLED_HEIGHT)))
    narrowest = _legend_below(fig, sorted({str(r["zone"]) for r in nodes.values()}), grow=height is None)
    names = {k: "" if k == other else _short(k, aggregate) for k in nodes}
    written = names
    places: dict[str, str] = {}
    if extent is not None:
        # the plot a notebook's narrowest cell draws, as wide as high, and the layout in it
        margin = fig.layout.margin
        plot = min(_NOTEBOOK_WIDTH - float(margin.l) - float(margin.r), narrowest)
        scale = min(1.0, plot / (2 * (extent + _LABELLED_PAD)))
        marker = {k: _node_size(r, aggregate) for k, r in nodes.items()}
        written, places = _fitted_labels(pos, names, boxes, scale, marker, extent + _LABELLED_PAD)
    # group outlines (namespaces or zones) as shapes with a label, behind everything
    if aggregate is None:
        for g, (cx, cy, r) in sorted(boxes.items()):
            fig.add_shape(
                type="circle",
                x0=cx - r,
                y0=cy - r,
                x1=cx + r,
                y1=cy + r,
                line={"color": "rgba(0,0,0,0.15)", "width": 1},
                fillcolor="rgba(0,0,0,0.02)",
                layer="below",
            )
            fig.add_annotation(
                x=cx,
                y=cy + r,
                text=f"<b>{esc(g)}</b>",
                showarrow=False,
                yshift=10,
                font={"size": 11, "color": "#455a64"},
            )

    for cat in ("allowed", "observed", "violating"):
        es = sorted((e for e in drawn if e["cat"] == cat), key=lambda e: (e["src"], e["dst"]))
        style = EDGE_STYLE[cat]
        xs: list[float | None] = []
        ys: list[float | None] = []
        mx: list[float] = []
        my: list[float] = []
        hover: list[str] = []
        for e in es:
            if e["src"] not in pos or e["dst"] not in pos:
                continue
            (x0, y0), (x1, y1) = pos[e["src"]], pos[e["dst"]]
            xs += [x0, x1, None]
            ys += [y0, y1, None]
            # midpoint marker slightly towards the destination shows direction
            mx.append(x0 + (x1 - x0) * 0.6)
            my.append(y0 + (y1 - y0) * 0.6)
            hover.append(_edge_hover(e, cat))
        fig.add_trace(
            Sc(
                x=xs,
                y=ys,
                mode="lines",
                name=style["name"],
                legendgroup=cat,
                hoverinfo="skip",
                line={"color": style["color"], "width": style["width"], "dash": style["dash"]},
            )
        )
        fig.add_trace(
            Sc(
                x=mx,
                y=my,
                mode="markers",
                name=style["name"] + " (hover)",
                legendgroup=cat,
                showlegend=False,
                marker={"size": 6, "color": style["color"], "symbol": "triangle-up"},
                text=hover,
                hovertemplate="%{text}<extra></extra>",
            )
        )

    # a ring's nodes no larger than the room between neighbours, the ring as large as the plot
    cap = (_fit_ring(fig, {k: p for k, p in pos.items() if k != other}, narrowest)
           if aggregate is not None and layout == "grouped" else None)
    # the zones merged into the rest keep their place in the palette: a zone has one colour
    # in every figure, cut or not
    merged = nodes[other]["zone_list"] if other is not None else []
    colors = zone_colors([*(r["zone"] for r in nodes.values() if not str(r["zone"]).startswith("mixed: ")),
                          *merged])
    by_zone: dict[str, list[str]] = defaultdict(list)
    for nid in sorted(nodes):
        by_zone[nodes[nid]["zone"]].append(nid)
    for zone in sorted(by_zone, key=lambda z: (z == NO_ZONE, z)):
        ids = by_zone[zone]
        color = colors.get(zone, "#6d4c41")
        sizes = [_node_size(nodes[i], aggregate) if cap is None or i == other
                 else min(_node_size(nodes[i], aggregate), cap) for i in ids]
        symbols = [_node_symbol(nodes[i]) for i in ids]
        fig.add_trace(
            Sc(
                x=[pos[i][0] for i in ids],
                y=[pos[i][1] for i in ids],
                mode="markers+text" if labelled else "markers",
                name=f"zone: {esc(zone)}",
                legendgroup=f"zone-{zone}",
                marker={
                    "size": sizes,
                    "color": color,
                    "symbol": symbols,
                    "line": {"width": 1, "color": "#fff"},
                },
                text=[esc(written[i]) for i in ids],
                textposition=[_ring_label_side(pos[i]) for i in ids] if cap is not None
                else [places[i] for i in ids] if places else "bottom center",
                # a name beside a ring's node may reach past the axes in a narrow figure: drawn
                # whole (a WebGL trace has no such option)
                **({"cliponaxis": False} if cap is not None and Sc is go.Scatter else {}),
                textfont={"size": _LABEL_FONT},
                # laid out in pixels: a page may set the names smaller where it draws the figure
                # smaller than that (the report does: see its last script)
                # (and write the names whole, kept here: the figure writes those that fit the
                # narrowest notebook cell, see _fitted_labels)
                # (and where the layout places them, under their nodes: see _fitted_labels)
                meta={"labels_in_pixels": True, "labels": [esc(names[i]) for i in ids],
                      "places": [_NAME_PLACES[0]] * len(ids)}
                if extent is not None else None,
                hovertext=[_node_hover(nodes[i], aggregate) for i in ids],
                hovertemplate="%{hovertext}<extra></extra>",
                customdata=ids,
            )
        )
    if other is not None:
        # Every spoke meets at the centre node, and its label under it was written over them
        # (a trace's text is drawn with the trace, the spokes' traces round it): an annotation
        # is drawn above every trace, and its white ground hides the spokes it lies on.
        x, y = pos[other]
        fig.add_annotation(x=x, y=y, text=esc(other), showarrow=False, yanchor="bottom",
                           yshift=_node_size(nodes[other], aggregate) / 2 + 4, bgcolor=_LABEL_GROUND,
                           borderpad=2, font={"size": 10, "color": "#37474f"})
    return fig


#: The ground of the centre node's label: white enough that no spoke shows through its text.
_LABEL_GROUND = "rgba(255,255,255,0.9)"
#: Room in pixels kept above and below a ring (a largest node's half and a label under it).
_RING_PAD = 40
#: The white in pixels between two neighbours on a ring, the least size a node is drawn at.
_RING_GAP = 3
_LEAST_NODE = 4.0


#: The legend under the plot, as Plotly draws it (font 12 px; measured in Chromium): a row's
#: height, the room Plotly keeps under the plot past its rows, and an entry's width at most,
#: its symbol and the room round it plus its characters' (97 to 186 px for 9 to 22 characters).
_LEGEND_ROW = 29
_LEGEND_PAD = 12
_LEGEND_ENTRY = 46.0
_LEGEND_CHAR = 7.2


def _legend_rows(names: Iterable[str], width: float) -> int:
    """The rows a horizontal legend of entries ``names`` takes at most ``width`` pixels wide
    (Plotly moves an entry that does not fit its row to the next)."""
    rows, used = 0, width
    for name in names:
        entry = _LEGEND_ENTRY + _LEGEND_CHAR * len(name)
        if used + entry > width:
            rows, used = rows + 1, 0.0
        used += entry
    return rows


def _legend_below(fig: go.Figure, zones: list[str], *, grow: bool) -> float:
    """The legend in rows under the plot, the figure made higher by as many as it takes where
    the plot is as wide as high (``grow``: the height is the figure's own, not a caller's);
    and the plot's height there, its legend in the most rows.

    On the right it took about 180 px of the width, which in a narrow figure (a notebook cell
    of 600 to 800 px, the report in a 480 px window) is the plot's: a plot as wide as high
    was drawn as narrow, its ring and names smaller (158 px of a 392 px figure at 480 px).
    Under it, a narrow figure's legend wraps into more rows, taken from the height, which
    such a plot has to spare; a wide one's plot keeps its height.  (Plotly has no layout by
    the width it is drawn at, and JupyterLab draws a figure with no script of the page.)"""
    names = [s["name"] for s in EDGE_STYLE.values()] + [f"zone: {z}" for z in zones]
    margin = fig.layout.margin
    below = float(margin.b)  # under the plot: nothing else, its axes hidden
    plot = float(fig.layout.height) - float(margin.t) - below
    # the rows at the width where the plot, as wide as high, stops being drawn narrower
    need = _legend_rows(names, plot) * _LEGEND_ROW + _LEGEND_PAD
    more = max(0, need - math.floor(below))
    # The margin holds one row: Plotly lowers it by the rows a narrower figure's legend takes
    # (its margins grow to a legend outside the plot).  A margin for them all was white under
    # a wide figure's one row (99 px of it under a ring's at 1280 px): that height is now
    # the plot's, a ring drawn as much larger.
    fig.update_layout(
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 0, "yanchor": "top"},
        margin={"b": max(below, _LEGEND_ROW + _LEGEND_PAD)},
        **({"height": int(fig.layout.height) + more} if grow else {}),
    )
    return float(fig.layout.height) - float(margin.t) - (below + more)


def _ring_label_side(at: tuple[float, float]) -> str:
    """Where a ring node's name is written: away from the ring's centre (its origin), that its
    chords cross.  Under every node, the names of the two lowest nodes of a small ring met in
    a narrow window (``kube-system`` over ``monitoring`` in a 480 px one), and the chords from
    the top nodes ran through the names under them."""
    x, y = at
    near = 1e-6 * max(1.0, math.hypot(x, y))
    side = "top" if y > near else "bottom"
    if abs(y) <= 0.5 * math.hypot(x, y):  # the ring's sides: under the node, as before
        return "bottom center"
    return f"{side} {'left' if x < -near else 'right' if x > near else 'center'}"


def _fit_ring(fig: go.Figure, ring: Mapping[str, tuple[float, float]], plot: float) -> float | None:
    """The largest a node of the ring ``ring`` (its nodes' places, on one circle round the
    origin) can be drawn, in pixels, without touching its neighbours, in a plot ``plot`` pixels
    high (the least it is, its legend in the most rows); and the figure's axes set to the ring
    and :data:`_RING_PAD` round it, so that its scale is known.

    Marker sizes are pixels, places are data: with the axes left to autorange, the scale came
    from the markers' own sizes and ``(external)``'s 48 px could cover its neighbours (a
    thousand namespaces on a 560 px ring are 2 px apart).  The scale holds while the plot is
    as wide as high (a ring is drawn to the plot's height past about 900 px of figure);
    narrower, the ring shrinks and its nodes come closer.  A node is drawn at
    :data:`_LEAST_NODE` pixels at least: past about 200 namespaces on a ring (``max_groups``
    above its default) such nodes touch.  None (axes left alone) for fewer than two nodes."""
    if len(ring) < 2:
        return None
    radius = max(math.hypot(x, y) for x, y in ring.values())
    angles = sorted(math.atan2(y, x) for x, y in ring.values())
    steps = [b - a for a, b in pairwise(angles)] + [2 * math.pi - angles[-1] + angles[0]]
    apart = 2 * radius * math.sin(min(steps) / 2)  # the chord between the closest neighbours
    scale = max(1.0, plot - 2 * _RING_PAD) / (2 * radius)  # pixels per unit
    room = radius + _RING_PAD / scale
    # Drawn narrower or wider than high, the plot is made so ("domain"), not a range wider:
    # Plotly keeps a range it widened, and a ring drawn at 1280 px, then 480 and 1280 again (a
    # window resized) was 390, 114 and 122 px wide.
    fig.update_layout(xaxis={"range": [-room, room], "constrain": "domain"},
                      yaxis={"range": [-room, room], "constrain": "domain"})
    return max(_LEAST_NODE, apart * scale - _RING_GAP)


def _default_title(aggregate: Aggregate, namespace: Any) -> str:
    if namespace is not None:
        ns = namespace if isinstance(namespace, str) else ", ".join(sorted(namespace))
        return f"Connections of namespace {ns}"
    return {"namespace": "Connections between namespaces", "zone": "Connections between zones"}.get(
        str(aggregate), "Connections between workloads"
    )


def _short(nid: str, aggregate: Aggregate) -> str:
    return nid if aggregate is not None else nid.rsplit("/", 1)[-1]


def _node_size(r: dict[str, Any], aggregate: Aggregate) -> float:
    if aggregate is not None:
        return min(12 + 4 * math.sqrt(r["members"]), 48)
    return 14 if r["type"] == "external" else 11


def _node_symbol(r: dict[str, Any]) -> str:
    if r["type"] == "external":
        return "diamond"
    if r["type"] == "service":
        return "hexagon"
    if r["type"] == "node":
        return "pentagon"
    if r["type"] == "networkset":
        return "diamond-open"
    if r["type"] == "unknown":
        return "x"
    if r["host_network"]:
        return "square"
    return "circle"


def _node_hover(r: dict[str, Any], aggregate: Aggregate) -> str:
    if aggregate is not None:
        head = (f"<b>{_others(r['groups'], str(aggregate))}</b>, drawn as one node" if r.get("groups")
                else f"<b>{esc(aggregate)} {esc(r['id'])}</b>")
        parts = [head, f"workloads: {r['members']}"]
        if aggregate == "namespace":
            parts.append(f"zone: {fmt_list(r.get('zone_list'))}")
        parts.append(f"connections inside: {r['internal']}")
        if r.get("groups"):
            parts.append(f"edges between them, not drawn: {r['among']:,}")
        if r["host_network"]:
            parts.append("has hostNetwork pods")
        if r["exposure"]:
            parts.append(f"exposure: {esc(r['exposure'])}")
        return "<br>".join(parts)
    if r["type"] == "external":
        return "<br>".join(
            [
                f"<b>{esc(r['id'])}</b>",
                f"zone: {esc(r['zone'])}",
                f"{r['members']} address block(s):<br>&nbsp;&nbsp;"
                + fmt_list(r.get("cidrs") or [r["id"]], limit=10, sep="<br>&nbsp;&nbsp;"),
            ]
        )
    parts = [
        f"<b>{esc(r['id'])}</b>",
        f"kind: {esc(r['kind'])}",
        f"namespace: {esc(r['namespace'])}",
        f"zone: {esc(r['zone'])}",
    ]
    if len(r.get("zones") or ()) > 1:  # pods in several zones (mid-rollout): zone is the most sensitive
        parts.append(f"pods in zones: {fmt_list(r['zones'])}")
    if r.get("addresses"):
        parts.append(f"addresses: {fmt_list(r['addresses'], limit=6)}")
    if r["exposure"]:
        parts.append(f"exposure: {esc(r['exposure'])}")
    if r["host_network"]:
        parts.append("hostNetwork: true")
    if r.get("privileged"):
        parts.append("privileged: true")
    if r["type"] != "external":
        parts.append("labels:<br>" + fmt_labels(r["labels"]))
    return "<br>".join(parts)


def _edge_hover(e: dict[str, Any], cat: str) -> str:
    parts = [f"<b>{esc(e['src'])} → {esc(e['dst'])}</b>", EDGE_STYLE[cat]["name"]]
    if e.get("ports"):
        parts.append("ports: " + fmt_list(e["ports"], limit=10))
    if e.get("edges"):
        parts.append(f"aggregated edges: {e['edges']}")
    if e.get("count"):
        parts.append(f"flows: {e['count']}")
    if e.get("rules"):
        parts.append("rule: " + fmt_list(e["rules"], limit=4, sep="<br>&nbsp;&nbsp;"))
    return "<br>".join(parts)
