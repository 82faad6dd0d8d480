"""Helpers shared by the analyses: the reachability object, external address classes, exposure."""

from __future__ import annotations

import html
import ipaddress
import weakref
from collections import defaultdict
from functools import lru_cache
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

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
        store[key] = reach.to_frame(level=level) if kind == "edges" else reach.rule_frame(level=level)
    return store[key]


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


def rule_frame(reach: Any, level: str = "workload") -> pd.DataFrame:
    """``reach.rule_frame(level)``, computed once per reachability object (treat as read-only)."""
    return _cached(reach, "rules", level)


def get_reach(snapshot: Snapshot, reach: Any) -> Any:
    """``reach`` as given, else ``k8sviz.reachability(snapshot)``."""
    if reach is not None:
        return reach
    import k8sviz

    return k8sviz.reachability(snapshot)


@lru_cache(maxsize=4096)
def classify_block(text: str) -> tuple[str, bool]:
    """``(kind, has_metadata)`` for an external peer (a CIDR string from the engine).

    ``kind`` is ``internet`` when the block holds any globally routable address, else
    ``private`` (RFC 1918, CGNAT, link-local, loopback...).  ``has_metadata`` is True when the
    block contains the cloud metadata address 169.254.169.254.
    """
    token = str(text).split()[0] if str(text).strip() else ""
    try:
        net = ipaddress.ip_network(token, strict=False)
    except ValueError:
        return INTERNET, False
    meta = net.version == 4 and METADATA_IP in net
    private = net.is_private or net.is_loopback or net.is_link_local or net.is_multicast or net.is_reserved
    if not private and net.version == 4:
        # summarize_address_range may cut CGNAT 100.64/10 into pieces ipaddress calls non-private
        private = net.subnet_of(ipaddress.ip_network("100.64.0.0/10"))  # type: ignore[arg-type]
    return ("private" if private else INTERNET), meta


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


def workload_of(snapshot: Snapshot, key: str) -> str:
    """The workload key of ``key`` ("ns/pod" or "ns/workload")."""
    pod = snapshot.pod(key)
    if pod is not None:
        return pod.workload_key
    return key


def frame_html(df: pd.DataFrame, title: str, max_rows: int = 50) -> str:
    """An escaped HTML table (cluster-sourced strings are untrusted)."""
    body = df.head(max_rows).to_html(index=False, escape=True, na_rep="")
    more = f"<p>... {len(df) - max_rows} more rows</p>" if len(df) > max_rows else ""
    return f"<div><b>{html.escape(title)}</b> ({len(df)} rows){body}{more}</div>"
