"""Assume breach: what a compromised workload reaches, and how the internet reaches a zone."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._text import as_given, as_written, did_you_mean
from ..model import PROTOCOLS
from . import _ports
from ._common import (
    INTERNET,
    classify_block,
    endpoint_codes,
    exposure,
    exposure_unread,
    first_seen,
    live_edge_frame,
    maybe_exposed,
    object_ids,
    port_text,
    row_codes,
    workload_of,
)
from .zones import EXTERNAL, Zones, load_zones, warn_empty_zones

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["blast_radius", "internet_paths", "paths_as_text"]

BLAST_COLUMNS = ["workload", "namespace", "hops", "path", "ports"]
PATH_COLUMNS = ["target", "namespace", "zone", "hops", "path", "ports"]


class _Hops:
    """Workload hop graph in CSR form (memory-lean for tens of millions of allowed edges).

    One hop = a connection the policies allow end to end (egress of the source and ingress of
    the destination), on any port; ports are looked up only for the hops of returned paths.
    """

    def __init__(self, reach: Any):
        import numpy as np
        import pandas as pd

        edges = live_edge_frame(reach, "workload")  # pods that ran to completion are no hop
        inside = np.asarray((edges["src_type"] != "external") & (edges["dst_type"] != "external"))
        internal = edges[inside]
        ends = []
        for col in ("src", "dst"):
            # factorize(internal[col]): the whole frame's codes, renumbered over the rows kept
            full, names = endpoint_codes(reach, edges, "workload", col)
            codes, used = pd.factorize(full[inside])
            ends.append((codes, names[used]))
        (sc, su), (dc, du) = ends
        su = np.asarray(su, dtype=str)
        du = np.asarray(du, dtype=str)
        self.keys = np.unique(np.concatenate([su, du])) if len(su) else np.array([], dtype=str)
        self.code = {k: i for i, k in enumerate(self.keys.tolist())}
        si = np.searchsorted(self.keys, su).astype(np.int64)[sc] if len(su) else np.zeros(0, dtype=np.int64)
        di = np.searchsorted(self.keys, du).astype(np.int64)[dc] if len(du) else np.zeros(0, dtype=np.int64)
        del sc, dc
        n = max(len(self.keys), 1)
        keep = si != di
        self.row_pos = np.flatnonzero(keep)
        self.pair = si[keep] * n + di[keep]
        self.n = n
        # The frame lists rows by source, then destination, in key order, so the pairs are
        # sorted already: then distinct by a neighbour test, else by a sort.
        pair = self.pair
        if len(pair) and bool((pair[1:] >= pair[:-1]).all()):
            uniq = pair[np.concatenate(([True], pair[1:] != pair[:-1]))]
        else:
            uniq = np.unique(pair)
        us, ud = uniq // n, uniq % n
        self.indptr = np.zeros(len(self.keys) + 1, dtype=np.int64)
        np.cumsum(np.bincount(us, minlength=len(self.keys)), out=self.indptr[1:])
        self.indices = ud
        self.frame = internal

    def bfs(self, starts: list[int], max_hops: int | None) -> tuple[Any, Any]:
        """``(parent, depth)`` arrays: parent -2 for a start, -1 when unreached."""
        import numpy as np

        parent = np.full(len(self.keys), -1, dtype=np.int64)
        depth = np.full(len(self.keys), -1, dtype=np.int64)
        frontier = np.unique(np.asarray(starts, dtype=np.int64))
        parent[frontier] = -2
        depth[frontier] = 0
        level = 0
        while len(frontier) and (max_hops is None or level < max_hops):
            lo, hi = self.indptr[frontier], self.indptr[frontier + 1]
            deg = hi - lo
            if not deg.sum():
                break
            nbrs = np.concatenate([self.indices[a:b] for a, b in zip(lo.tolist(), hi.tolist(), strict=True)])
            srcs = np.repeat(frontier, deg)
            new = parent[nbrs] == -1
            nbrs, srcs = nbrs[new], srcs[new]
            nodes, first = np.unique(nbrs, return_index=True)
            level += 1
            parent[nodes] = srcs[first]
            depth[nodes] = level
            frontier = nodes
        return parent, depth

    def path(self, parent: Any, node: int) -> list[int]:
        out = [node]
        while parent[out[-1]] >= 0:
            out.append(int(parent[out[-1]]))
        return out[::-1]

    def hop_ports(self, hops: set[tuple[int, int]]) -> dict[tuple[int, int], list[str]]:
        """Ports (``["TCP/5432", ...]``) of the given hops."""
        import numpy as np

        if not hops:
            return {}
        wanted = np.fromiter((a * self.n + b for a, b in hops), dtype=np.int64, count=len(hops))
        rows = self.row_pos[np.isin(self.pair, wanted)]
        out: dict[tuple[int, int], list[str]] = {}
        sub = self.frame.iloc[rows]
        for src, dst, proto, ports in zip(
            sub["src"].tolist(),
            sub["dst"].tolist(),
            sub["protocol"].tolist(),
            sub["ports"].tolist(),
            strict=True,
        ):
            out.setdefault((self.code[src], self.code[dst]), []).extend(port_text(proto, ports))
        return out


def _entry_rows(edges: pd.DataFrame, entry: Callable[[str], bool]) -> list[tuple[str, str, Any]]:
    """``(workload, protocol, ports)`` of the rows from an internet block to a workload that
    ``entry`` admits, in frame order, each distinct (workload, protocol, port list) once: the
    union of their ports is the first hop's.  Each block is classified once and each
    workload asked once; only those rows are read, column by column."""
    import numpy as np
    import pandas as pd

    rows = np.flatnonzero(np.asarray((edges["src_type"] == "external") & (edges["dst_type"] != "external")))
    if not len(rows):
        return []
    sc, blocks = pd.factorize(edges["src"].to_numpy(dtype=object)[rows])
    keep = np.array([classify_block(str(b))[0] == INTERNET for b in blocks], dtype=bool)[sc]
    dst = edges["dst"].to_numpy(dtype=object)[rows]
    dc, workloads = pd.factorize(dst)
    keep &= np.array([entry(str(w)) for w in workloads], dtype=bool)[dc]
    rows, dst, dc = rows[keep], dst[keep], dc[keep]
    proto = edges["protocol"].iloc[rows].astype(object).to_numpy()
    ports = edges["ports"].to_numpy(dtype=object)[rows]
    key = row_codes(dc, proto, object_ids(ports))
    return [(str(dst[i]), str(proto[i]), ports[i]) for i in np.flatnonzero(first_seen(key)).tolist()]


def _hops(reach: Any) -> _Hops:
    from ._common import _FRAMES

    try:
        store = _FRAMES.setdefault(reach, {})
    except TypeError:
        store = {}
    if ("hops", "workload") not in store:
        store[("hops", "workload")] = _Hops(reach)
    return store[("hops", "workload")]


def _check_args(where: str, name: str, value: Any, max_hops: Any) -> None:
    """``value`` a str and ``max_hops`` None or a whole number >= 0, else a QueryError naming it
    (a list or a ``"3"`` from a widget got as far as a TypeError in the search)."""
    from .._checks import is_count
    from ..errors import QueryError

    if not isinstance(value, str):
        msg = f"{where}: {name} must be a str such as 'namespace/workload', got {type(value).__name__}"
        raise QueryError(msg)
    if max_hops is not None and (not is_count(max_hops) or max_hops < 0):
        msg = f"{where}: max_hops must be None or a whole number >= 0, got {as_given(max_hops)}"
        raise QueryError(msg)


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
    Pods that ran to completion (phase Succeeded or Failed) are no hop: they send and receive
    nothing now.
    """
    import pandas as pd

    from .._checks import require_reach
    from ..errors import QueryError

    snap = require_reach(reach, "blast_radius").snapshot
    _check_args("blast_radius", "start", start, max_hops)
    wl = workload_of(snap, start)
    if wl not in {p.workload_key for p in snap.pods}:
        msg = (f"unknown workload or pod {as_written(start)} (expected namespace/pod or namespace/workload)"
               + did_you_mean(start, (p.workload_key for p in snap.pods), (p.key for p in snap.pods)))
        raise QueryError(msg)
    hops = _hops(reach)
    rows = []
    if wl in hops.code:
        parent, depth = hops.bfs([hops.code[wl]], max_hops)
        reached = [int(i) for i in (depth > 0).nonzero()[0]]
        paths = {i: hops.path(parent, i) for i in reached}
        ports = hops.hop_ports({(a, b) for p in paths.values() for a, b in itertools.pairwise(p)})
        for i, path in paths.items():
            dst = str(hops.keys[i])
            rows.append(
                {
                    "workload": dst,
                    "namespace": dst.split("/", 1)[0],
                    "hops": len(path) - 1,
                    "path": [str(hops.keys[j]) for j in path],
                    "ports": [ports.get((a, b), []) for a, b in itertools.pairwise(path)],
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
        let internet addresses reach counts as an entry point.  When Services (or Ingresses)
        were not read, exposure through them is unknown: a workload they may expose counts as
        an entry, and ``df.attrs["exposure_unknown"]`` names the resources not read.
    max_hops
        Leave out targets more than this many hops from the internet (internet -> entry is
        one hop; None: no limit).

    Returns
    -------
    DataFrame with ``target``, ``namespace``, ``zone``, ``hops`` (internet -> entry is 1),
    ``path`` (``["internet", "ingress-nginx/ingress-nginx-controller", "shop/frontend", ...]``),
    ``ports`` (per hop, as in :func:`blast_radius`; the first hop's are the ports some internet
    address may use), one row per reachable target workload, sorted by hops then target.
    """
    import pandas as pd

    from .._checks import require_flag, require_reach

    snap = require_reach(reach, "internet_paths").snapshot
    require_flag(exposed_only, "internet_paths", "exposed_only")
    _check_args("internet_paths", "zone_or_workload", zone_or_workload, max_hops)
    zones = load_zones(zones) if zones is not None else None
    if zones is not None:
        warn_empty_zones(zones, snap)
    if zones is not None and zone_or_workload == EXTERNAL:
        from ..errors import QueryError

        msg = (f"{EXTERNAL!r} is the zone of the addresses outside the cluster, where the paths start, "
               "not a target: name a zone of workloads, a namespace or a workload")
        raise QueryError(msg)
    zsets = zones.workload_zone_sets(snap) if zones is not None else {}
    wzones = {w: zs[0] for w, zs in zsets.items()}
    all_wl = {p.workload_key for p in snap.pods}
    if zones is not None and zone_or_workload in zones.names:
        # a workload whose pods are in several zones is a target of each
        targets = {w for w, zs in zsets.items() if zone_or_workload in zs}
        wzones = dict.fromkeys(targets, zone_or_workload)
    else:
        wl = workload_of(snap, zone_or_workload)
        if wl in all_wl:
            targets = {wl}
        elif zone_or_workload in {p.namespace for p in snap.pods}:
            targets = {w for w in all_wl if w.split("/", 1)[0] == zone_or_workload}
        else:
            from ..errors import QueryError

            msg = f"{as_written(zone_or_workload)} is no zone, workload, pod or namespace of the snapshot"
            if zones is None and "/" not in zone_or_workload:
                # "no zone" alone reads as if the zones were searched: none were given
                msg += " (no zones file was given, and a zone name needs one)"
            msg += did_you_mean(zone_or_workload, [*(zones.names if zones is not None else ()),
                                                   *(p.namespace for p in snap.pods), *all_wl],
                                (p.key for p in snap.pods))
            raise QueryError(msg)
    edges = live_edge_frame(reach, "workload")
    hops = _hops(reach)
    exposed = exposure(snap)
    # Services or Ingresses not read: exposure through them is unknown, so a workload they may
    # expose counts as an entry (the frame's attrs say so).
    unknown = maybe_exposed(snap)
    # The first hop's ports: every port some internet address may use, as one set per protocol
    # (blocks allowed on overlapping ports would otherwise list a port twice).
    entry_ranges: dict[str, dict[str, _ports.Ranges]] = {}
    if max_hops is None or max_hops >= 1:  # internet -> entry is a hop already
        def entry_point(wl: str) -> bool:
            return not (exposed_only and wl not in exposed and not (unknown is None or wl in unknown))

        for dst, proto, ports in _entry_rows(edges, entry_point):
            by_proto = entry_ranges.setdefault(dst, {})
            by_proto[proto] = _ports.union(by_proto.get(proto, ()), _ports.parse(ports))
    entry = {
        wl: [f"{proto}/{p}" for proto in PROTOCOLS if proto in by_proto for p in _ports.fmt(by_proto[proto])]
        for wl, by_proto in entry_ranges.items()
    }
    starts = [hops.code[e] for e in entry if e in hops.code]
    parent, depth = hops.bfs(starts, None if max_hops is None else max(max_hops - 1, 0))
    paths: dict[str, list[str]] = {e: [INTERNET, e] for e in entry if e not in hops.code}
    wanted = [hops.code[t] for t in targets if t in hops.code and depth[hops.code[t]] >= 0]
    coded = {i: hops.path(parent, i) for i in wanted}
    hop_sets = hops.hop_ports({(a, b) for p in coded.values() for a, b in itertools.pairwise(p)})
    hop_ports: dict[tuple[str, str], list[str]] = {(INTERNET, e): p for e, p in entry.items()}
    for codes in coded.values():
        names = [str(hops.keys[j]) for j in codes]
        paths[names[-1]] = [INTERNET, *names]
        for (ia, ib), (na, nb) in zip(itertools.pairwise(codes), itertools.pairwise(names), strict=True):
            hop_ports[(na, nb)] = hop_sets.get((ia, ib), [])
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
                "ports": [hop_ports[(a, b)] for a, b in itertools.pairwise(path)],
            }
        )
    df = pd.DataFrame(rows, columns=PATH_COLUMNS)
    df = df.sort_values(["hops", "target"], ignore_index=True) if len(df) else df
    unread = exposure_unread(snap)
    if exposed_only and unread:
        df.attrs["exposure_unknown"] = unread
    return df


def paths_as_text(df: pd.DataFrame) -> pd.DataFrame:
    """A :func:`blast_radius` or :func:`internet_paths` frame with ``path`` and ``ports`` as
    text, for tables: ``a -> b -> c`` and ``TCP/53, UDP/53 | TCP/443`` (one group per hop)."""
    import pandas as pd

    if not isinstance(df, pd.DataFrame) or not {"path", "ports"} <= set(df.columns):
        from ..errors import TableError

        got = type(df).__name__ if not isinstance(df, pd.DataFrame) else "a DataFrame without path and ports"
        raise TableError(f"paths_as_text: df must be a frame of blast_radius or internet_paths, got {got}")
    if not len(df):
        return df
    return df.assign(
        path=[" -> ".join(map(str, p)) for p in df["path"]],
        ports=[" | ".join(", ".join(map(str, hop)) for hop in hops) for hops in df["ports"]],
    )
