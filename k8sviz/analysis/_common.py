"""Helpers shared by the analyses: the reachability object, external address classes, exposure."""

from __future__ import annotations

import ctypes
import ipaddress
import sys
import weakref
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from ..model import PROTOCOLS
from . import _ports

if TYPE_CHECKING:
    import pandas as pd

    from ..snapshot import Snapshot

METADATA_IP = ipaddress.ip_address("169.254.169.254")
SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease"})
INTERNET = "internet"


_FRAMES: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], Any]] = weakref.WeakKeyDictionary()


def _cached(reach: Any, kind: str, level: str) -> Any:
    try:
        store = _FRAMES.setdefault(reach, {})
    except TypeError:  # not weak-referenceable: no caching
        store = {}
    key = (kind, level)
    if key not in store:
        if kind == "edges" and hasattr(reach, "_frame_with_codes"):
            store[key], store[("codes", level)] = reach._frame_with_codes(level)
        else:
            store[key] = reach.to_frame(level=level) if kind == "edges" else reach.rule_frame(level=level)
    return store[key]


def row_codes(*cols: np.ndarray) -> np.ndarray:
    """One int64 code per row for the combination of ``cols`` (equal rows, equal codes),
    numbered in order of first occurrence.  Columns of small non-negative integers (codes
    already) are combined by arithmetic; others are factorized first."""
    import pandas as pd

    key = np.zeros(len(cols[0]), dtype=np.int64)
    size = 1  # key < size
    for c in cols:
        c = np.asarray(c)
        if c.dtype.kind in "iu" and (not len(c) or (c.min() >= 0 and c.max() < 1 << 31)):
            codes, n = c.astype(np.int64, copy=False), int(c.max(initial=0)) + 1
        else:
            codes, uniq = pd.factorize(c, use_na_sentinel=False)
            n = max(len(uniq), 1)
        if size > (1 << 62) // n:  # would overflow: renumber what is there first
            key = pd.factorize(key)[0].astype(np.int64)
            size = int(key.max(initial=0)) + 1
        key = key * n + codes
        size *= n
    return pd.factorize(key)[0].astype(np.int64)


def object_ids(values: Any) -> np.ndarray:
    """``[id(v) for v in values]`` as an int64 array.  For an object array in CPython, whose
    ``id`` is the object's address, the array's own pointers are copied out at once: at millions
    of rows (shared port and rule lists, numbered by identity) a Python call per row cost
    seconds."""
    if (isinstance(values, np.ndarray) and values.dtype == object and values.ndim == 1 and len(values)
            and sys.implementation.name == "cpython" and np.dtype(np.intp).itemsize == 8):
        a = np.ascontiguousarray(values)  # a copy holds the same references
        return np.frombuffer(memoryview((ctypes.c_int64 * len(a)).from_address(a.ctypes.data)).cast("B"),
                             dtype=np.int64).copy()
    return np.fromiter(map(id, values), dtype=np.int64, count=len(values))


def first_seen(codes: np.ndarray) -> np.ndarray:
    """Rows that hold the first occurrence of their code, for codes numbered in order of first
    occurrence (as ``pd.factorize`` numbers them): the rows whose code is above every earlier one."""
    seen = np.maximum.accumulate(codes)
    out = np.ones(len(codes), dtype=bool)
    out[1:] = seen[1:] > seen[:-1]
    return out


def _engine_codes(reach: Any, edges: pd.DataFrame, level: str) -> Any:
    """The engine's numbering of ``edges`` (``EndpointCodes``), if ``edges`` is the very frame
    :func:`edge_frame` keeps for ``reach``; else None (another frame: its rows differ)."""
    try:
        store = _FRAMES.get(reach) or {}
    except TypeError:  # not weak-referenceable
        return None
    return store.get(("codes", level)) if store.get(("edges", level)) is edges else None


def endpoint_codes(reach: Any, edges: pd.DataFrame, level: str, col: str) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(edges[col])``: per row a code, in order of first appearance, and the
    distinct values (an object array).  Read off the engine's own endpoint numbers when
    ``edges`` is the frame :func:`edge_frame` keeps for ``reach``: at millions of rows,
    hashing every name costs seconds, the engine's integer codes a fraction of that."""
    import pandas as pd

    codes = _engine_codes(reach, edges, level)
    if codes is not None:
        c, units = pd.factorize(codes.src if col == "src" else codes.dst)
        return c, codes.names[units]
    c, uniq = pd.factorize(edges[col])
    return c, np.asarray(uniq, dtype=object)


def port_list_codes(reach: Any, edges: pd.DataFrame, level: str) -> np.ndarray:
    """Per row, a code of its ``ports`` list object, in order of first appearance (what
    factorizing the objects' ``id`` gives); from the engine's own numbering when ``edges`` is
    the frame :func:`edge_frame` keeps for ``reach`` (no Python step per row)."""
    import pandas as pd

    codes = _engine_codes(reach, edges, level)
    if codes is not None:
        return pd.factorize(codes.ports)[0]
    lists = edges["ports"].to_numpy(dtype=object)
    return pd.factorize(object_ids(lists))[0]


def object_array(values: Iterable[Any]) -> np.ndarray:
    """A 1-D object array of ``values``, filled one by one: numpy would turn equal-length lists
    (port lists, rule lists) into a 2-D array."""
    items = list(values)
    out = np.empty(len(items), dtype=object)
    for i, v in enumerate(items):
        out[i] = v
    return out


def edge_frame(reach: Any, level: str = "workload") -> pd.DataFrame:
    """``reach.to_frame(level)``, computed once per reachability object (treat as read-only)."""
    return _cached(reach, "edges", level)


def live_edge_frame(reach: Any, level: str = "workload") -> pd.DataFrame:
    """:func:`edge_frame` without the pods that ran to completion (phase Succeeded or Failed):
    they send and receive nothing now (``reach.explain`` says so too).

    At workload level, a workload whose pods all ended is left out; one with running pods too
    keeps the connections of its running pods: when an ended pod behaves like a running one of
    its workload (the engine puts them in one class) nothing changes, else the workload's rows
    are rebuilt from the pod-level connections of its running pods.  Computed once per
    reachability object (treat as read-only); the plain frame when no pod ended.
    """
    snap = reach.snapshot
    ended = [p for p in snap.pods if p.terminated]
    if not ended:
        return edge_frame(reach, level)
    try:
        store = _FRAMES.setdefault(reach, {})
    except TypeError:
        store = {}
    key = ("live-edges", level)
    if key not in store:
        store[key] = _live_edges(reach, level, ended)
    return store[key]


def _live_edges(reach: Any, level: str, ended: list[Any]) -> pd.DataFrame:
    import pandas as pd

    df = edge_frame(reach, level)
    snap = reach.snapshot
    if level != "workload":
        gone = {p.key for p in ended}
        return df[~(df["src"].isin(gone) | df["dst"].isin(gone))].reset_index(drop=True)
    running: dict[str, list[Any]] = defaultdict(list)
    for p in snap.pods:
        if not p.terminated:
            running[p.workload_key].append(p)
    gone = {p.workload_key for p in ended if p.workload_key not in running}
    # Workloads with running and ended pods: do the ended ones behave otherwise?
    engine = getattr(reach, "_engine", None)
    index = getattr(reach, "_pod_index", None)
    stale: set[str] = set()
    if engine is not None and index is not None:
        for p in ended:
            if p.workload_key in running:
                classes = {int(engine.bmap[index[q.key]]) for q in running[p.workload_key]}
                if int(engine.bmap[index[p.key]]) not in classes:
                    stale.add(p.workload_key)
    drop = gone | stale
    out = df[~(df["src"].isin(drop) | df["dst"].isin(drop))]
    if stale:
        pods = reach.to_frame(level="pod")
        dead = {p.key for p in ended}
        pods = pods[~(pods["src"].isin(dead) | pods["dst"].isin(dead))]
        owner = {p.key: p.workload_key for p in snap.pods}
        src = pods["src"].map(lambda k: owner.get(k, k))
        dst = pods["dst"].map(lambda k: owner.get(k, k))
        mine = (src.isin(stale) | dst.isin(stale)) & ~(src.isin(gone) | dst.isin(gone))
        merged: dict[tuple[str, str, str], Any] = {}
        meta: dict[tuple[str, str, str], tuple[Any, ...]] = {}
        for s, d, row in zip(src[mine], dst[mine], pods[mine].itertuples(index=False), strict=True):
            k = (s, d, str(row.protocol))
            merged[k] = _ports.union(merged.get(k, ()), _ports.parse(row.ports))
            meta.setdefault(k, (row.src_namespace, row.dst_namespace,
                                "external" if row.src_type == "external" else "workload",
                                "external" if row.dst_type == "external" else "workload"))
        rows = [
            {"src": s, "dst": d, "src_namespace": meta[(s, d, proto)][0],
             "dst_namespace": meta[(s, d, proto)][1],
             "src_type": meta[(s, d, proto)][2], "dst_type": meta[(s, d, proto)][3], "protocol": proto,
             "ports": _ports.fmt(rs)}
            # in the plain frame's order (src, dst, then TCP, UDP, SCTP): port lists built from
            # these rows, such as a hop's, then read alike whichever pod pair came first
            for (s, d, proto), rs in sorted(merged.items(), key=lambda kv: (kv[0][0], kv[0][1],
                                                                           PROTOCOLS.index(kv[0][2])))
        ]
        add = pd.DataFrame(rows, columns=list(df.columns))
        out = pd.concat([out.astype({c: object for c in out.columns
                                     if isinstance(out[c].dtype, pd.CategoricalDtype)}),
                         add], ignore_index=True)
    return out.reset_index(drop=True)


def rule_frame(reach: Any, level: str = "workload") -> pd.DataFrame:
    """``reach.rule_frame(level)``, computed once per reachability object (treat as read-only)."""
    return _cached(reach, "rules", level)


def get_reach(snapshot: Snapshot, reach: Any) -> Any:
    """``reach`` as given, else ``k8sviz.reachability(snapshot)``."""
    if reach is not None:
        return reach
    import k8sviz

    return k8sviz.reachability(snapshot)


def _nets(*texts: str) -> tuple[tuple[int, int], ...]:
    out = []
    for t in texts:
        n = ipaddress.ip_network(t)
        out.append((int(n.network_address), int(n.broadcast_address)))
    return tuple(out)


# What "the internet" is, per family: the globally routable space.  From the IANA IPv4 and
# IPv6 Special-Purpose Address Registries (entries marked not globally reachable), plus
# multicast and, for IPv6, everything outside global unicast 2000::/3 (RFC 4291) but the NAT64
# well-known prefix 64:ff9b::/96 (RFC 6052: it holds the IPv4 internet).  Where the registry
# says "N/A" (6to4 2002::/16, the deprecated relay 192.88.99.0/24) the space counts as
# internet: an audit would rather name one block too many than hide an exposure.
_V4_GLOBAL = _nets("0.0.0.0/0")
_V4_NOT_GLOBAL = _nets(
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
)
_V4_GLOBAL_AGAIN = _nets("192.0.0.9/32", "192.0.0.10/32")  # PCP and TURN anycast
_V6_GLOBAL = _nets("2000::/3", "64:ff9b::/96")
_V6_NOT_GLOBAL = _nets("2001::/23", "2001:db8::/32", "3fff::/20")
_V6_GLOBAL_AGAIN = _nets(  # globally reachable assignments inside 2001::/23
    "2001:1::1/128", "2001:1::2/128", "2001:1::3/128", "2001:3::/32", "2001:4:112::/48", "2001:20::/28",
    "2001:30::/28",
)
#: Cloud metadata endpoints: 169.254.169.254 (AWS, GCP, Azure...) and AWS's IPv6 fd00:ec2::254.
METADATA_IPS = (METADATA_IP, ipaddress.ip_address("fd00:ec2::254"))


def _minus(ranges: list[tuple[int, int]], cut: tuple[int, int]) -> list[tuple[int, int]]:
    lo, hi = cut
    out = []
    for a, b in ranges:
        if b < lo or a > hi:
            out.append((a, b))
            continue
        if a < lo:
            out.append((a, lo - 1))
        if b > hi:
            out.append((hi + 1, b))
    return out


def _within(lo: int, hi: int, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(max(lo, a), min(hi, b)) for a, b in spans if a <= hi and b >= lo]


@lru_cache(maxsize=4096)
def _public_ranges(text: str) -> tuple[int, tuple[tuple[int, int], ...]] | None:
    """``(version, ranges)``: the globally routable addresses of a CIDR, as integer ranges;
    None when ``text`` is no CIDR."""
    token = str(text).split()[0] if str(text).strip() else ""
    try:
        net = ipaddress.ip_network(token, strict=False)
    except ValueError:
        return None
    lo, hi = int(net.network_address), int(net.broadcast_address)
    glob, cuts, again = (
        (_V4_GLOBAL, _V4_NOT_GLOBAL, _V4_GLOBAL_AGAIN) if net.version == 4
        else (_V6_GLOBAL, _V6_NOT_GLOBAL, _V6_GLOBAL_AGAIN)
    )
    ranges = _within(lo, hi, glob)
    for cut in cuts:
        ranges = _minus(ranges, cut)
    ranges += [r for r in _within(lo, hi, again) if _within(r[0], r[1], glob)]
    return net.version, tuple(sorted(set(ranges)))


def public_part(text: str, limit: int = 8) -> list[str]:
    """The globally routable part of an external block, as CIDRs, the largest first (the
    first ``limit``; a trailing ``"..."`` when there are more); ``public_part("::/1")`` starts
    ``["2800::/5", "3000::/5", ...]`` (2000::/3 less the special ranges 2001::/23, 3fff::/20,
    plus 64:ff9b::/96)."""
    found = _public_ranges(text)
    if found is None:
        return [str(text)]
    version, ranges = found
    cls = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    nets = [n for lo, hi in ranges for n in ipaddress.summarize_address_range(cls(lo), cls(hi))]
    nets.sort(key=lambda n: (n.prefixlen, n))  # the largest first: the sample says most
    out = [str(n) for n in nets[:limit]]
    return [*out, "..."] if len(nets) > limit else out


@lru_cache(maxsize=4096)
def classify_block(text: str) -> tuple[str, bool]:
    """``(kind, has_metadata)`` for an external peer (a CIDR string from the engine).

    ``kind`` is ``internet`` when the block holds any globally routable address (anything
    outside the IANA special-purpose ranges that are not globally reachable; for IPv6, global
    unicast 2000::/3 and the NAT64 prefix 64:ff9b::/96), else ``private`` (RFC 1918, CGNAT,
    link-local, loopback, unique-local, documentation, multicast...).  A block is judged by every
    address it holds, not by the first: ``::/1`` holds 2000::/3 and is internet.  Text that is
    no CIDR counts as internet.  ``has_metadata`` is True when the block contains a cloud
    metadata address (:data:`METADATA_IPS`).
    """
    found = _public_ranges(text)
    if found is None:
        return INTERNET, False
    token = str(text).split()[0]
    net = ipaddress.ip_network(token, strict=False)
    meta = any(ip.version == net.version and ip in net for ip in METADATA_IPS)
    return (INTERNET if found[1] else "private"), meta


def port_text(protocol: str, ports: Any) -> list[str]:
    """``["TCP/80", "TCP/8000-8080"]`` from a protocol and engine port strings."""
    return [f"{protocol}/{p}" for p in _ports.fmt(_ports.parse(ports))]


def exposure(snapshot: Snapshot) -> dict[str, list[str]]:
    """``{"ns/workload": [reasons]}``: Services of type LoadBalancer/NodePort or with externalIPs,
    Ingress backends, hostPorts and hostNetwork that make a workload reachable from outside."""
    out: dict[str, list[str]] = defaultdict(list)
    by_ns: dict[str, list[Any]] = defaultdict(list)
    for p in snapshot.pods:
        by_ns[p.namespace].append(p)
    ingress_backends: dict[tuple[str, str], list[str]] = defaultdict(list)
    for ing in snapshot.ingresses:
        for b in ing.backends:
            ingress_backends[(ing.namespace, b)].append(ing.key)
    for svc in snapshot.services:
        if not svc.selector:
            continue
        reasons = []
        if svc.exposed:
            reasons.append(f"Service {svc.key} ({svc.type})")
        reasons += [
            f"Ingress {i} -> Service {svc.key}" for i in ingress_backends.get((svc.namespace, svc.name), ())
        ]
        if not reasons:
            continue
        for p in by_ns[svc.namespace]:
            if all(p.labels.get(k) == v for k, v in svc.selector.items()):
                for r in reasons:
                    if r not in out[p.workload_key]:
                        out[p.workload_key].append(r)
    for p in snapshot.pods:
        if p.host_ports and "hostPort" not in " ".join(out[p.workload_key]):
            out[p.workload_key].append(f"hostPort {','.join(map(str, p.host_ports))}")
        if p.host_network and "hostNetwork" not in out[p.workload_key]:
            out[p.workload_key].append("hostNetwork")
    return {k: v for k, v in out.items() if v}


#: Resources that say how a workload is exposed outside the cluster (:func:`exposure`).
EXPOSURE_PLURALS = ("services", "ingresses")


def exposure_unread(snapshot: Snapshot) -> dict[str, str]:
    """The resources of :data:`EXPOSURE_PLURALS` that were not read (forbidden, missing from the
    input...) with their coverage state: exposure through them is unknown, not absent."""
    out = {}
    for plural in EXPOSURE_PLURALS:
        state = snapshot.coverage.get(plural, "not-in-input")
        if state not in ("ok", "not-installed"):
            out[plural] = state
    return out


def maybe_exposed(snapshot: Snapshot) -> set[str] | None:
    """Workloads that may be exposed outside the cluster through what was not read: None (any
    workload) when Services were not read; the workloads behind some Service when only
    Ingresses were not (an Ingress routes to a Service); empty when both were read."""
    unread = exposure_unread(snapshot)
    if "services" in unread:
        return None
    if "ingresses" not in unread:
        return set()
    out: set[str] = set()
    by_ns: dict[str, list[Any]] = defaultdict(list)
    for p in snapshot.pods:
        by_ns[p.namespace].append(p)
    for svc in snapshot.services:
        if svc.selector:
            out.update(p.workload_key for p in by_ns[svc.namespace]
                       if all(p.labels.get(k) == v for k, v in svc.selector.items()))
    return out


def exposure_unread_text(unread: dict[str, str]) -> str:
    """``"services (forbidden), ingresses (not-in-input)"``."""
    return ", ".join(f"{p} ({s})" for p, s in unread.items())


def workload_of(snapshot: Snapshot, key: str) -> str:
    """The workload key of ``key`` ("ns/pod" or "ns/workload")."""
    pod = snapshot.pod(key)
    if pod is not None:
        return pod.workload_key
    return key

