"""Assume breach: what a compromised workload reaches, and how the internet reaches a zone."""

from __future__ import annotations

import itertools
from collections import deque
from typing import TYPE_CHECKING, Any

from ._common import INTERNET, classify_block, edge_frame, exposure, port_text, workload_of
from .zones import Zones, load_zones

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["blast_radius", "hop_graph", "internet_paths"]

BLAST_COLUMNS = ["workload", "namespace", "hops", "path", "ports"]
PATH_COLUMNS = ["target", "namespace", "zone", "hops", "path", "ports"]


def hop_graph(reach: Any) -> dict[str, dict[str, list[str]]]:
    """``{src: {dst: ["TCP/80", ...]}}`` over workloads: one hop = a connection the policies
    allow (egress of the source and ingress of the destination)."""
    edges = edge_frame(reach, "workload")
    adj: dict[str, dict[str, list[str]]] = {}
    internal = edges[(edges["src_type"] != "external") & (edges["dst_type"] != "external")]
    for row in internal.itertuples(index=False):
        if row.src == row.dst:
            continue
        adj.setdefault(row.src, {}).setdefault(row.dst, []).extend(port_text(row.protocol, row.ports))
    return adj


def _bfs(
    adj: dict[str, dict[str, list[str]]], starts: list[str], max_hops: int | None
) -> dict[str, list[str]]:
    parent: dict[str, str | None] = dict.fromkeys(starts)
    depth = dict.fromkeys(starts, 0)
    q = deque(starts)
    while q:
        u = q.popleft()
        if max_hops is not None and depth[u] >= max_hops:
            continue
        for v in sorted(adj.get(u, ())):
            if v not in parent:
                parent[v] = u
                depth[v] = depth[u] + 1
                q.append(v)
    paths: dict[str, list[str]] = {}
    for v in parent:
        path = [v]
        while parent[path[-1]] is not None:
            path.append(parent[path[-1]])  # type: ignore[arg-type]
        paths[v] = path[::-1]
    return paths


def blast_radius(reach: Any, start: str, max_hops: int | None = None) -> pd.DataFrame:
    """Every workload reachable from a compromised one, by the shortest chain of allowed hops.

    Parameters
    ----------
    reach
        ``k8sviz.reachability(snapshot)``.
    start
        ``"namespace/pod"`` or ``"namespace/workload"``.
    max_hops
        Stop after this many hops (None: no limit).

    Returns
    -------
    DataFrame with ``workload``, ``namespace``, ``hops`` (a direct peer is 1), ``path`` (list of
    workload keys from ``start``'s workload to ``workload``) and ``ports`` (per hop, the list of
    ``"TCP/5432"``-style ports allowed on that hop), sorted by hops then workload.  The start
    itself is not listed.  A hop is a connection the policies allow end to end (egress of the
    source and ingress of the destination); whether a service actually listens is not checked.
    """
    import pandas as pd

    from ..errors import QueryError

    snap = reach.snapshot
    wl = workload_of(snap, start)
    if wl not in {p.workload_key for p in snap.pods}:
        msg = f"unknown workload or pod {start!r} (expected namespace/pod or namespace/workload)"
        raise QueryError(msg)
    adj = hop_graph(reach)
    paths = _bfs(adj, [wl], max_hops)
    rows = []
    for dst, path in paths.items():
        if dst == wl:
            continue
        rows.append(
            {
                "workload": dst,
                "namespace": dst.split("/", 1)[0],
                "hops": len(path) - 1,
                "path": path,
                "ports": [adj[a][b] for a, b in itertools.pairwise(path)],
            }
        )
    df = pd.DataFrame(rows, columns=BLAST_COLUMNS)
    return df.sort_values(["hops", "workload"], ignore_index=True) if len(df) else df


def internet_paths(
    reach: Any,
    zone_or_workload: str,
    zones: Zones | str | Any = None,
    *,
    exposed_only: bool = True,
    max_hops: int | None = None,
) -> pd.DataFrame:
    """Shortest paths from the internet into a zone (or to one workload).

    Parameters
    ----------
    reach
        ``k8sviz.reachability(snapshot)``.
    zone_or_workload
        A zone name of ``zones``, a ``"namespace/workload"``/``"namespace/pod"``, or a namespace.
    zones
        Zones (or a zones YAML path), needed when a zone is named.
    exposed_only
        The first hop must be a workload exposed outside the cluster (LoadBalancer/NodePort
        Service, external IP, Ingress backend, hostPort or hostNetwork) *and* allowed to receive
        traffic from internet addresses by policy (default).  False: any workload the policies
        let internet addresses reach counts as an entry point.

    Returns
    -------
    DataFrame with ``target``, ``namespace``, ``zone``, ``hops`` (internet -> entry is 1),
    ``path`` (``["internet", "ingress-nginx/ingress-nginx-controller", "shop/frontend", ...]``),
    ``ports`` (per hop), one row per reachable target workload, sorted by hops.
    """
    import pandas as pd

    snap = reach.snapshot
    zones = load_zones(zones) if zones is not None else None
    wzones = zones.workload_zones(snap) if zones is not None else {}
    all_wl = {p.workload_key for p in snap.pods}
    if zones is not None and zone_or_workload in zones.names:
        targets = {w for w, z in wzones.items() if z == zone_or_workload}
    else:
        wl = workload_of(snap, zone_or_workload)
        if wl in all_wl:
            targets = {wl}
        elif zone_or_workload in {p.namespace for p in snap.pods}:
            targets = {w for w in all_wl if w.split("/", 1)[0] == zone_or_workload}
        else:
            from ..errors import QueryError

            msg = f"{zone_or_workload!r} is no zone, workload, pod or namespace of the snapshot"
            raise QueryError(msg)
    edges = edge_frame(reach, "workload")
    adj = hop_graph(reach)
    exposed = exposure(snap)
    entry: dict[str, list[str]] = {}
    for row in edges[(edges["src_type"] == "external") & (edges["dst_type"] != "external")].itertuples(
        index=False
    ):
        if classify_block(row.src)[0] != INTERNET:
            continue
        if exposed_only and row.dst not in exposed:
            continue
        ports = entry.setdefault(row.dst, [])
        for p in port_text(row.protocol, row.ports):
            if p not in ports:
                ports.append(p)
    adj = {**adj, INTERNET: entry}
    paths = _bfs(adj, [INTERNET], None if max_hops is None else max_hops)
    rows = []
    for t in sorted(targets):
        if t not in paths:
            continue
        path = paths[t]
        rows.append(
            {
                "target": t,
                "namespace": t.split("/", 1)[0],
                "zone": wzones.get(t),
                "hops": len(path) - 1,
                "path": path,
                "ports": [adj[a][b] for a, b in itertools.pairwise(path)],
            }
        )
    df = pd.DataFrame(rows, columns=PATH_COLUMNS)
    return df.sort_values(["hops", "target"], ignore_index=True) if len(df) else df
