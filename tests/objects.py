"""Builders of small raw Kubernetes objects for tests (dicts, as the API returns them)."""

from __future__ import annotations

import re
from typing import Any

#: Python's words where a message about a user's file should have YAML's or JSON's: ``True``,
#: ``False`` and ``None`` outside quotes (the file says ``true``, ``false``, ``null``), ``b'...'``
#: bytes, and an exception's class or its stock text ("'int' object is not iterable").
PYTHON_WORDS = re.compile(
    r"(?<![\w'\"])(?:True|False|None)(?![\w'\"])|\bb'|\b(?:Key|Type|Attribute|Overflow)Error\b"
    r"|object has no attribute|object is not (?:iterable|subscriptable)|unhashable type"
)


def pod(ns: str, name: str, labels: dict[str, str] | None = None, *, ip: str | None = None,
        owner: tuple[str, str] | None = None, ports: list[dict[str, Any]] | None = None,
        host_network: bool = False, **spec: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns, "labels": labels or {}}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1],
                                    "controller": True, "uid": "u"}]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"hostNetwork": host_network,
                 "containers": [{"name": "main", "image": "img", "ports": ports or []}], **spec},
        "status": {"phase": "Running", **({"podIP": ip, "podIPs": [{"ip": ip}]} if ip else {})},
    }


def netpol(ns: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def deployment(ns: str, name: str, labels: dict[str, str], ports: list[dict[str, Any]] | None = None
               ) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
        "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [{"name": "c", "image": "img", "ports": ports or []}]}}},
    }



def leaf_paths(obj: Any, path: tuple[Any, ...] = ()) -> Any:
    """Every key/index path inside ``obj`` (for tests that tamper with one value)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from leaf_paths(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from leaf_paths(v, (*path, i))
    if path:
        yield path


def set_path(obj: Any, path: tuple[Any, ...], value: Any) -> None:
    for k in path[:-1]:
        obj = obj[k]
    obj[path[-1]] = value
