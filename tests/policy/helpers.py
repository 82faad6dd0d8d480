"""Raw-object builders for small explicit clusters."""

from __future__ import annotations

from typing import Any

from k8sviz.snapshot import SnapshotBuilder


def ns(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": dict(labels)}}


def pod(
    namespace: str,
    name: str,
    labels: dict[str, str] | None = None,
    ip: str | None = None,
    ports: tuple[tuple[str, int, str], ...] = (),
    host: bool = False,
    host_ip: str | None = None,
) -> dict[str, Any]:
    status: dict[str, Any] = {}
    if ip:
        status["podIP"] = ip
    if host_ip:
        status["hostIP"] = host_ip
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"namespace": namespace, "name": name, "labels": dict(labels or {})},
        "spec": {
            "hostNetwork": host,
            "containers": [
                {"name": "c", "image": "img", "ports": [{"containerPort": p, "name": n, "protocol": pr} for n, p, pr in ports]}
            ],
        },
        "status": status,
    }


def netpol(namespace: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"namespace": namespace, "name": name}, "spec": spec}


def snapshot(*objs: dict[str, Any]):
    b = SnapshotBuilder()
    for o in objs:
        b.add(o, "test")
    return b.build()


def node(name: str, ip: str, external_ip: str | None = None, **labels: str) -> dict[str, Any]:
    addresses = [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}]
    if external_ip:
        addresses.append({"type": "ExternalIP", "address": external_ip})
    return {
        "apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": dict(labels)},
        "status": {"addresses": addresses},
    }


def anp(name: str, spec: dict[str, Any], *, baseline: bool = False) -> dict[str, Any]:
    return {
        "apiVersion": "policy.networking.k8s.io/v1alpha1",
        "kind": "BaselineAdminNetworkPolicy" if baseline else "AdminNetworkPolicy",
        "metadata": {"name": name},
        "spec": spec,
    }


def kubernetes_slice(*addresses: str, not_ready: tuple[str, ...] = (), name: str = "kubernetes") -> dict[str, Any]:
    """An EndpointSlice of the ``default/kubernetes`` Service (the API server's addresses, port
    6443); ``not_ready`` addresses with ``ready: false``."""
    return {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
        "metadata": {"namespace": "default", "name": name, "labels": {"kubernetes.io/service-name": "kubernetes"}},
        "endpoints": [{"addresses": [a], "conditions": {"ready": a not in not_ready}} for a in (*addresses, *not_ready)],
        "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}],
    }
