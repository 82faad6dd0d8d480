"""Aggregated network figures from the engine's allowed-edge frame, with no graph edge per pair.

:func:`~k8sviz.viz.network.network_figure` with ``aggregate`` reads one networkx edge per
allowed workload pair and protocol (700,000 at 2,000 workloads) to merge them into a few
hundred namespace or zone edges.  Here the same merge runs over the frame's columns as integer
codes: the graph supplies only its nodes and its few other edges (observed in flows), from
:func:`~k8sviz.analysis.graph.graph_without_allowed`.  The node and edge rows, so the figure,
are those ``network_figure(k8sviz.graph(...), aggregate=by)`` gives (tests compare the two).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._gc import pausing
from .._text import as_given
from ..analysis._common import object_ids, port_text
from .network import (
    MAX_DRAWN_GROUPS,
    Aggregate,
    EdgeCap,
    _aggregate_nodes,
    _draw,
    _edge_rows,
    _node_rows,
    _port_labels,
    _sorted_sets,
    _violation_set,
    violation_codes,
)

if TYPE_CHECKING:
    import networkx as nx
    import plotly.graph_objects as go

__all__ = ["AllowedEdges", "aggregated_figure", "aggregated_rows"]

#: Edge categories as codes, in the order of their names.
_CATS = ("allowed", "observed", "violating")
_ALLOWED, _OBSERVED, _VIOLATING = 0, 1, 2


@dataclass(frozen=True)
class AllowedEdges:
    """The allowed edges of a frame as codes: what :func:`k8sviz.graph` would make of each row
    (``protocol``, ``port_labels``, ``rules``) without making the edge."""

    #: Endpoint ids (workload keys, external blocks); ``src``/``dst`` index them.
    ids: list[str]
    src: np.ndarray
    dst: np.ndarray
    #: Per row, an index into ``protocols``.
    protocol: np.ndarray
    protocols: list[str]
    #: Per row, an index into ``port_sets``: the ``PROTO/port`` labels an edge is drawn with.
    port_set: np.ndarray
    port_sets: list[list[str]]
    #: Deciding rules: ``rule_text[i]`` (an index into ``texts``) decides row ``rule_row[i]``.
    rule_row: np.ndarray
    rule_text: np.ndarray
    texts: list[str]

    def __len__(self) -> int:
        return len(self.src)

    @classmethod
    def from_frame(cls, edges: pd.DataFrame, rules: pd.DataFrame | None) -> AllowedEdges | None:
        """Codes for ``edges`` (``live_edge_frame``) and the ``rules`` deciding them
        (``rule_frame``, None when the engine has none).

        None when the rows would not each make one graph edge as :func:`k8sviz.graph` adds
        them: a (src, dst, protocol) twice (the graph keeps the last), or a missing protocol.
        """
        proto = edges["protocol"].astype(object)
        if proto.isna().any() or not len(edges):
            return None
        ends = np.concatenate([edges["src"].to_numpy(object), edges["dst"].to_numpy(object)])
        codes, uniq = pd.factorize(ends)
        n = len(edges)
        src, dst = codes[:n].astype(np.int64), codes[n:].astype(np.int64)
        ids = [str(x) for x in uniq]
        pcodes, puniq = pd.factorize(proto.to_numpy())
        protocols = [str(p) for p in puniq]
        key = pd.Index(_row_key(src, dst, pcodes, len(ids), len(protocols)))
        if not key.is_unique:
            return None
        port_set, port_sets = _port_sets(edges["ports"].to_numpy(object), pcodes, protocols)
        rule_row, rule_text, texts = _rule_codes(rules, pd.Index(uniq), pd.Index(puniq), key, len(protocols))
        return cls(ids, src, dst, pcodes.astype(np.int64), protocols, port_set, port_sets,
                   rule_row, rule_text, texts)


def _row_key(src: np.ndarray, dst: np.ndarray, proto: np.ndarray, n_ids: int, n_protos: int) -> np.ndarray:
    return (src * n_ids + dst) * n_protos + proto


def _port_sets(
    ports: np.ndarray, pcodes: np.ndarray, protocols: list[str]
) -> tuple[np.ndarray, list[list[str]]]:
    """Per row, the code of its port labels.  The engine shares one list per distinct port set,
    so they are made once per (protocol, list), as the graph formats them."""
    ids = object_ids(ports)
    codes, _ = pd.factorize(ids * len(protocols) + pcodes)
    rows = pd.Series(np.arange(len(ports))).groupby(codes).first().to_numpy()
    sets = []
    for r in rows.tolist():
        proto, plist = protocols[pcodes[r]], ports[r]
        # the attributes graph() gives an allowed edge, read as network_figure reads them
        attrs = {"protocol": proto, "ports": [str(p) for p in plist], "port_labels": port_text(proto, plist)}
        sets.append(_port_labels(attrs))
    return codes.astype(np.int64), sets


def _rule_codes(
    rules: pd.DataFrame | None, ids: pd.Index, protos: pd.Index, key: pd.Index, n_protos: int
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The rule texts (``"ns/name direction[i]"``) per allowed row they decide; a rule row of
    an edge the frame lacks (a pod that ended) decides nothing drawn."""
    empty = np.zeros(0, dtype=np.int64)
    if rules is None or not len(rules):
        return empty, empty, []
    s = ids.get_indexer(rules["src"].to_numpy(object))
    d = ids.get_indexer(rules["dst"].to_numpy(object))
    p = protos.get_indexer(rules["protocol"].to_numpy(object))
    row = key.get_indexer(_row_key(s, d, p, len(ids), n_protos))
    row[(s < 0) | (d < 0) | (p < 0)] = -1
    text = (rules["policy"].astype(str) + " " + rules["direction"].astype(str) + "["
            + rules["rule"].astype("int64").astype(str) + "]").to_numpy(object)
    keep = row >= 0
    tcodes, tuniq = pd.factorize(text[keep])
    return row[keep].astype(np.int64), tcodes.astype(np.int64), [str(t) for t in tuniq]


def allowed_edges(reach: Any, edges: pd.DataFrame) -> AllowedEdges | None:
    """:meth:`AllowedEdges.from_frame` with the rules of ``reach``, taken as graph() takes them."""
    from ..analysis._common import rule_frame

    try:
        rules = rule_frame(reach, "workload")
        if not {"policy", "direction", "rule", "src", "dst", "protocol"} <= set(rules.columns):
            return None
        if rules["rule"].isna().any():
            return None
    except (AttributeError, NotImplementedError, TypeError):  # no rules from this engine
        rules = None
    return AllowedEdges.from_frame(edges, rules)


def aggregated_rows(
    G: nx.Graph, allowed: AllowedEdges, *, by: str, violations: Any = None
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """The node and edge rows ``network_figure`` draws for ``aggregate=by`` on ``G`` with the
    ``allowed`` edges added, computed without those edges.

    Each allowed row is first an edge between drawn nodes (an external block stands for its
    address class) in category ``allowed`` or ``violating``; those are deduplicated with the
    graph's own edges per (src, dst, category), as ``network_figure`` does, then merged per
    group pair.  The edges' ``kind`` is not drawn: here it is ``allowed`` when an allowed
    row is among the merged ones (the graph's edge order decides it there).
    """
    nodes, alias = _node_rows(G, services=False, collapse_external=True)
    # only the graph's own edges are looked up in this set (see _rows_violating for the rest)
    vset = _violation_set(violations, among={(str(u), str(v)) for u, v in G.edges()})
    agg = _aggregate_nodes(nodes, by)
    names = list(nodes)
    pos = {n: i for i, n in enumerate(names)}
    groups = list(agg)
    gpos = {g: i for i, g in enumerate(groups)}
    node_group = np.array([gpos[nodes[n][by]] for n in names], dtype=np.int64)
    # per endpoint id: its drawn node (-1 when not drawn: the edge is not either)
    drawn = np.array([pos[alias[i]] if i in alias else -1 for i in allowed.ids], dtype=np.int64)
    a_src, a_dst = drawn[allowed.src], drawn[allowed.dst]
    ok = (a_src >= 0) & (a_dst >= 0)
    cat = np.where(_rows_violating(allowed, violations), _VIOLATING, _ALLOWED)
    other = _edge_rows(G, vset, alias)  # observed in flows (the graph holds no allowed edge)
    o_src = np.array([pos[e["src"]] for e in other], dtype=np.int64)
    o_dst = np.array([pos[e["dst"]] for e in other], dtype=np.int64)
    o_cat = np.array([_CATS.index(e["cat"]) for e in other], dtype=np.int64)

    n_nodes, n_groups = len(names), len(groups)
    # deduplicated edges: one per (drawn src, drawn dst, category)
    dedup = np.unique(np.concatenate([
        (a_src[ok] * n_nodes + a_dst[ok]) * 3 + cat[ok], (o_src * n_nodes + o_dst) * 3 + o_cat
    ]))
    merged = _merged_edges(dedup, node_group, n_nodes, groups, agg)
    # what each allowed row adds to the merged edge it falls in (rows of undrawn edges add nothing)
    s_group, d_group = node_group[np.maximum(a_src, 0)], node_group[np.maximum(a_dst, 0)]
    g_row = np.where(ok, (s_group * n_groups + d_group) * 3 + cat, -1)
    _add_allowed(merged, allowed, g_row)
    # the graph's own edges, as network_figure merges them
    for e, s, t, c in zip(other, o_src.tolist(), o_dst.tolist(), o_cat.tolist(), strict=True):
        m = merged.get((int(node_group[s]) * n_groups + int(node_group[t])) * 3 + c)
        if m is not None:
            _merge_other(m, e)
    return agg, [_sorted_sets(m) for m in merged.values()]


def _merged_edges(
    dedup: np.ndarray, node_group: np.ndarray, n_nodes: int, groups: list[str], agg: dict[str, dict[str, Any]]
) -> dict[int, dict[str, Any]]:
    """The aggregated edges, keyed ``(src group * groups + dst group) * 3 + category``, each with
    the number of deduplicated edges (``dedup``: ``(src * n_nodes + dst) * 3 + category``) it
    merges; a group's edges to itself count in its ``internal``, and only violating ones
    are drawn (as a loop)."""
    n_groups = len(groups)
    d_cat = dedup % 3
    d_src, d_dst = node_group[dedup // 3 // n_nodes], node_group[dedup // 3 % n_nodes]
    inside = d_src == d_dst
    for g, k in zip(*np.unique(d_src[inside], return_counts=True), strict=True):
        agg[groups[g]]["internal"] = int(k)
    kept = ~inside | (d_cat == _VIOLATING)
    gkeys, counts = np.unique((d_src[kept] * n_groups + d_dst[kept]) * 3 + d_cat[kept], return_counts=True)
    merged: dict[int, dict[str, Any]] = {}
    for gk, k in zip(gkeys.tolist(), counts.tolist(), strict=True):
        s, t = divmod(gk // 3, n_groups)
        merged[gk] = {"src": groups[s], "dst": groups[t], "cat": _CATS[gk % 3], "kind": _CATS[gk % 3],
                      "protocol": set(), "ports": set(), "rules": set(), "count": 0, "edges": k}
    return merged


def _add_allowed(merged: dict[int, dict[str, Any]], allowed: AllowedEdges, g_row: np.ndarray) -> None:
    """The protocols, port labels and rules of the allowed rows into the merged edges they fall
    in (``g_row``: the merged edge's key per row, -1 for a row not drawn)."""
    g_row = np.where(np.isin(g_row, np.fromiter(merged, dtype=np.int64, count=len(merged))), g_row, -1)
    for gk, p in _pairs(g_row, allowed.protocol):
        if allowed.protocols[p]:  # as network_figure drops an empty protocol
            merged[gk]["protocol"].add(allowed.protocols[p])
    for gk, ps in _pairs(g_row, allowed.port_set):
        merged[gk]["ports"].update(allowed.port_sets[ps])
    for gk, t in _pairs(g_row[allowed.rule_row], allowed.rule_text):
        merged[gk]["rules"].add(allowed.texts[t])
    for gk in set(g_row[g_row >= 0].tolist()):
        if merged[gk]["cat"] == "violating":
            merged[gk]["kind"] = "allowed"


def _rows_violating(allowed: AllowedEdges, violations: Any) -> np.ndarray:
    """Per allowed row: whether its (src, dst) is a segmentation violation (``violations``:
    a frame or pairs, as ``network_figure`` takes them)."""
    index = {x: i for i, x in enumerate(allowed.ids)}
    if violations is None:
        return np.zeros(len(allowed), dtype=bool)
    if hasattr(violations, "columns"):
        s, d = violation_codes(violations, index)
    else:
        pairs = _violation_set(violations)
        s = np.array([index.get(a, -1) for a, _ in pairs], dtype=np.int64)
        d = np.array([index.get(b, -1) for _, b in pairs], dtype=np.int64)
    ok = (s >= 0) & (d >= 0)
    n = len(index)
    return pd.Series(allowed.src * n + allowed.dst).isin(s[ok] * n + d[ok]).to_numpy()


def _pairs(keys: np.ndarray, values: np.ndarray) -> list[tuple[int, int]]:
    """The distinct (key, value) pairs, keys -1 left out."""
    on = keys >= 0
    if not on.any():
        return []
    frame = pd.DataFrame({"k": keys[on], "v": values[on]}).drop_duplicates()
    return list(zip(frame["k"].tolist(), frame["v"].tolist(), strict=True))


def _merge_other(m: dict[str, Any], e: dict[str, Any]) -> None:
    """Add a graph edge's row (from ``_edge_rows``) to a merged edge, as ``_dedupe`` and then
    ``_aggregate`` in network.py would."""
    for field_, out in (("protocol", m["protocol"]), ("ports", m["ports"]), ("rules", m["rules"])):
        val = e[field_]
        if val is None:
            continue
        items = [str(x) for x in (val if isinstance(val, list | tuple | set) else [val])]
        out.update(x for x in items if x or field_ != "protocol")
    if isinstance(e["count"], int | float):
        m["count"] += int(e["count"])
    if m["cat"] == "violating" and m["kind"] == "violating":
        m["kind"] = e["kind"]


@pausing
def aggregated_figure(
    G: nx.Graph,
    allowed: AllowedEdges,
    *,
    by: Aggregate,
    violations: Any = None,
    max_edges: EdgeCap = "auto",
    max_groups: int | None = MAX_DRAWN_GROUPS,
) -> go.Figure:
    """``network_figure(G + allowed, aggregate=by, violations=violations, max_edges=max_edges,
    max_groups=max_groups)``, from the rows of :func:`aggregated_rows`."""
    if by not in ("namespace", "zone"):
        from ..errors import InputError

        msg = f"aggregate must be 'namespace' or 'zone', not {as_given(by)}"
        raise InputError(msg)
    nodes, edges = aggregated_rows(G, allowed, by=by, violations=violations)
    return _draw(nodes, edges, aggregate=by, max_edges=max_edges, max_groups=max_groups)

