"""Map flow endpoints to the snapshot: pods, workloads, nodes, Services or external addresses.

Each endpoint a parser reads is a tuple ``(namespace, pod, workload, ip, hint, aggregate)``
where ``hint`` is what the source says about the endpoint kind (Hubble ``reserved:`` labels,
Calico ``source_type``) and ``aggregate`` a Calico aggregated name (``frontend-7d9f8b6c4-*``,
``pub``, ``pvt``).  :class:`Mapper` resolves it, in this order:

1. namespace + pod name: the snapshot's pod, whose workload is its top controller;
2. aggregated name: the workload owning the pods whose names start with the prefix;
3. IP: a pod IP (not host-network), a node IP (or host-network pod), a Service ClusterIP;
4. anything else is ``external``, with ``address_space`` ``private`` or ``public``.

The result is ``(namespace, pod, workload, type, address_space, service)`` with ``type`` one of
``pod``, ``workload`` (aggregated row: no pod, no IP), ``node`` (``workload`` holds the node
name), ``service``, ``networkset``, ``external`` or ``unknown``.  A host endpoint (hint ``hep`` or
``host``) is a node: named by its IP where that is a node's address, else by the name the
source gives (Calico's ``*_name_aggr`` and Goldmane's name of a host endpoint are its node's
hostname).  Endpoints that cannot be mapped
are counted per reason with the first file and line where they were seen.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..model import live_pod_by_ip

if TYPE_CHECKING:
    from ..snapshot import Snapshot

__all__ = ["Mapper", "address_space", "workload_from_pod_name"]

Endpoint = tuple[Any, Any, Any, Any, Any, Any]
Resolved = tuple[Any, Any, Any, str, Any, Any]

_DEPLOY_POD = re.compile(r"^(?P<w>.+)-[a-z0-9]{5,10}-[a-z0-9]{5}$")
_STS_POD = re.compile(r"^(?P<w>.+)-\d+$")
_SHORT_POD = re.compile(r"^(?P<w>.+)-[a-z0-9]{5}$")
_HASH_TAIL = re.compile(r"^(?P<w>.+)-[a-z0-9]{5,10}$")


def address_space(ip: str | None) -> str | None:
    """``"public"`` for globally routable addresses, ``"private"`` otherwise, None if not an IP."""
    if not ip:
        return None
    try:
        return "public" if ipaddress.ip_address(ip).is_global else "private"
    except ValueError:
        return None


def workload_from_pod_name(pod: str) -> str:
    """Guess a pod's controller from its name when no snapshot says (``web-7d9f8b6c4-x2kqp`` -> ``web``)."""
    for pattern in (_DEPLOY_POD, _STS_POD, _SHORT_POD):
        m = pattern.match(pod)
        if m:
            return m.group("w")
    return pod


def _aggregate_prefix(aggr: str) -> str:
    return aggr[:-1] if aggr.endswith("*") else aggr


class Mapper:
    """Resolve endpoints against an optional snapshot, memoizing every distinct endpoint."""

    def __init__(self, snapshot: Snapshot | None = None):
        self.snapshot = snapshot
        self._memo: dict[Endpoint, tuple[Resolved, str | None]] = {}
        #: reason -> {endpoint text -> [count, file, line]}
        self.unmapped: dict[str, dict[str, list[Any]]] = {}
        self._pods: dict[tuple[str, str], Any] = {}
        self._pod_ips: dict[str, Any] = {}
        self._node_ips: dict[str, str] = {}
        self._node_names: set[str] = set()
        self._svc_ips: dict[str, Any] = {}
        self._pods_by_ns: dict[str, list[Any]] = {}
        self._workloads_by_ns: dict[str, set[str]] = {}
        self._pod_cidrs: list[Any] = []
        if snapshot is None:
            return
        for node in snapshot.nodes:
            self._node_names.add(node.name)
            for ip in node.addresses:
                self._node_ips[ip] = node.name
            for cidr in node.pod_cidrs:
                with contextlib.suppress(ValueError):  # a malformed podCIDR maps nothing
                    self._pod_cidrs.append(ipaddress.ip_network(cidr, strict=False))
        for pod in snapshot.pods:
            if pod.synthesized:
                continue
            self._pods[(pod.namespace, pod.name)] = pod
            self._pods_by_ns.setdefault(pod.namespace, []).append(pod)
            if pod.host_network and pod.node:
                for ip in pod.ips:
                    self._node_ips.setdefault(ip, pod.node)
        self._pod_ips = live_pod_by_ip(snapshot.pods)
        for wl in snapshot.workloads:
            self._workloads_by_ns.setdefault(wl.namespace, set()).add(wl.name)
        for svc in snapshot.services:
            for ip in svc.cluster_ips:
                if ip and ip != "None":
                    self._svc_ips[ip] = svc

    # ------------------------------------------------------------------------ resolution

    def resolve(self, ep: Endpoint, file: str, line: int) -> Resolved:
        hit = self._memo.get(ep)
        if hit is None:
            if len(self._memo) > 2_000_000:
                self._memo.clear()
            hit = self._memo[ep] = self._resolve(ep)
        res, reason = hit
        if reason is not None:
            self._count(reason, ep, file, line)
        return res

    def resolve_new(self, ep: Endpoint) -> tuple[Resolved, str | None]:
        """Resolve without memo or counting (the caller interns endpoints and calls :meth:`count`)."""
        return self._resolve(ep)

    def count(self, reason: str, ep: Endpoint, file: str, line: int) -> None:
        """Count one record whose endpoint could not be mapped (first file and line kept)."""
        self._count(reason, ep, file, line)

    def uncount(self, reason: str, ep: Endpoint) -> None:
        """Take back one record counted by :meth:`count` (it was dropped afterwards, e.g. undated)."""
        by_text = self.unmapped.get(reason, {})
        text = self._text(ep)
        seen = by_text.get(text)
        if seen is None:
            return
        seen[0] -= 1
        if seen[0] <= 0:
            del by_text[text]
            if not by_text:
                del self.unmapped[reason]

    @staticmethod
    def _text(ep: Endpoint) -> str:
        ns, pod, workload, ip, _hint, aggr = ep
        text = "/".join(x for x in (ns, pod or aggr or workload) if x) or ip or "?"
        if ip and text != ip:
            text = f"{text} ({ip})"
        return text

    def _count(self, reason: str, ep: Endpoint, file: str, line: int) -> None:
        text = self._text(ep)
        seen = self.unmapped.setdefault(reason, {}).get(text)
        if seen is None:
            self.unmapped[reason][text] = [1, file, line]
        else:
            seen[0] += 1

    def _resolve(self, ep: Endpoint) -> tuple[Resolved, str | None]:
        ns, pod, workload, ip, hint, aggr = ep
        snap = self.snapshot is not None
        if hint in ("net", "world") or aggr in ("pub", "pvt"):
            space = address_space(ip) or {"pub": "public", "pvt": "private"}.get(aggr or "")
            return (None, None, None, "external", space, None), None
        if hint == "ns":  # a Calico NetworkSet (namespaced or global)
            return (ns, None, pod or aggr, "networkset", address_space(ip), None), None
        if pod and ns:
            p = self._pods.get((ns, pod))
            if p is not None:
                return (ns, pod, p.workload, "pod", None, None), None
            wl = workload or workload_from_pod_name(pod)
            return (ns, pod, wl, "pod", None, None), ("pod-not-in-snapshot" if snap else None)
        if aggr and ns:
            return self._resolve_aggregate(ns, aggr)
        if workload and ns:
            known = (workload in self._workloads_by_ns.get(ns, ())
                     or any(p.workload == workload for p in self._pods_by_ns.get(ns, ())))
            return (ns, None, workload, "workload", None, None), (
                None if known or not snap else "workload-not-in-snapshot")
        if ip:
            p = self._pod_ips.get(ip)
            if p is not None:
                return (p.namespace, p.name, p.workload, "pod", None, None), None
            node = self._node_ips.get(ip)
            if node is not None:
                return (None, None, node, "node", None, None), None
            if hint in ("host", "remote-node", "hep"):
                return self._node(workload, ip)
            svc = self._svc_ips.get(ip)
            if svc is not None:
                return (svc.namespace, None, None, "service", None, f"{svc.namespace}/{svc.name}"), None
            space = address_space(ip)
            if space is None:
                return (ns, None, None, "unknown", None, None), "not-an-ip"
            if not snap:
                return (ns, None, None, "external", space, None), None
            try:
                addr = ipaddress.ip_address(ip)
                in_cluster = any(addr in net for net in self._pod_cidrs)
            except ValueError:  # pragma: no cover - checked above
                in_cluster = False
            if in_cluster:
                return (ns, None, None, "unknown", space, None), "pod-ip-not-in-snapshot"
            return (ns, None, None, "external", space, None), (
                "private-ip-not-in-snapshot" if space == "private" and hint != "world" else None
            )
        if hint in ("host", "hep"):
            return self._node(workload, ip)
        return (ns, None, None, "unknown", None, None), "no-address"

    def _node(self, name: str | None, ip: str | None) -> tuple[Resolved, str | None]:
        """A host endpoint that no node address names: the node the source names, if any."""
        known = name in self._node_names if name else ip is None  # no name, no IP: this node itself
        reason = None if known or self.snapshot is None else "node-not-in-snapshot"
        return (None, None, name, "node", None, None), reason

    def _resolve_aggregate(self, ns: str, aggr: str) -> tuple[Resolved, str | None]:
        prefix = _aggregate_prefix(aggr)
        owners = {p.workload for p in self._pods_by_ns.get(ns, ()) if p.name.startswith(prefix)}
        if len(owners) == 1:
            return (ns, None, owners.pop(), "workload", None, None), None
        names = self._workloads_by_ns.get(ns, set())
        base = prefix.rstrip("-")
        for cand in (base, _HASH_TAIL.sub(r"\g<w>", base), workload_from_pod_name(base)):
            if cand in names:
                return (ns, None, cand, "workload", None, None), None
        guess = _HASH_TAIL.sub(r"\g<w>", base) if prefix.endswith("-") else base
        reason = "workload-not-in-snapshot" if self.snapshot is not None else None
        return (ns, None, guess, "workload", None, None), reason

    # ------------------------------------------------------------------------ report

    def report(self, limit: int = 50) -> dict[str, Any]:
        """``{reason: {"endpoints": n, "records": n, "samples": [{endpoint, records, file, line}]}}``."""
        out: dict[str, Any] = {}
        for reason, seen in sorted(self.unmapped.items()):
            items = sorted(seen.items(), key=lambda kv: -kv[1][0])
            out[reason] = {
                "endpoints": len(items),
                "records": sum(v[0] for _, v in items),
                "samples": [
                    {"endpoint": k, "records": v[0], "file": v[1], "line": v[2]} for k, v in items[:limit]
                ],
            }
        return out


def known_reasons() -> Iterable[str]:
    """Reasons an endpoint is reported as unmapped."""
    return (
        "pod-not-in-snapshot",
        "workload-not-in-snapshot",
        "node-not-in-snapshot",
        "pod-ip-not-in-snapshot",
        "private-ip-not-in-snapshot",
        "not-an-ip",
        "no-address",
    )
