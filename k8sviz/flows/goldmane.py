"""Calico Open Source flows: Goldmane's emitter and the Whisker API (Calico 3.30 and later).

Goldmane aggregates the flows of every node into 15-second buckets. Two JSON shapes reach users:

* **Emitter**: the flow-log endpoint that Goldmane POSTs to receives one ``goldmane.Flow`` per
  line, encoded by Go's ``encoding/json``: the key fields sit under ``Key``, times are unix
  seconds and enums are numbers (``action`` 1 Allow, 2 Deny, 3 Pass; ``*_type`` 1
  WorkloadEndpoint, 2 HostEndpoint, 3 NetworkSet, 4 Network; ``reporter`` 1 Src, 2 Dst).
  Fields at their zero value are left out.
* **Whisker API** (``GET /flows``, what Whisker's UI reads): ``{"total": n, "items": [...]}``
  of flat objects with RFC 3339 times and enum names (``"action": "Allow"``,
  ``"reporter": "Dst"``); it carries no endpoint types.

An enum is read by its JSON type, as they write it: a number in a string (``"action": "1"``) is
neither, so it is an action of no known name (verdict ``unknown``), no reporter, an endpoint type
of no known name; a reporter that is neither a number nor a name (``true``, ``1.0``) is malformed.

Field mapping (``goldmane/proto/api.proto``, ``whisker-backend/pkg/apis/v1/flows.go``):

=====================================  =================================================
``time``, ``start_time``, ``end_time``  ``start_time`` / ``end_time``
``src_*`` / ``dst_*``                   ``source_name`` / ``dest_name`` with the namespace and
                                        type: a workload endpoint's name is the pods'
                                        ``generateName`` + ``*`` (``frontend-7d9f8b6c4-*``),
                                        mapped to the workload owning those pods; a network
                                        is ``pub`` / ``pvt``; a host endpoint is the node
                                        its name gives (felix names it by hostname)
``protocol``                            ``proto`` (emitter) / ``protocol`` (Whisker)
``verdict``                             ``action``: Allow, Pass -> ``allowed``, Deny -> ``denied``
``reporter``                            Src / Dst -> ``src`` / ``dst``
``dst_service``                         ``dest_service_namespace/dest_service_name`` (emitter)
``bytes_*``, ``packets_*``              as is
``num_flows``                           ``num_connections_started`` (0 when Go left it out of
                                        a record with ``num_connections_live`` or
                                        ``_completed``: a connection that goes on), else 1
``policies``, ``policy_trace``          enforced policy hits: names (``ns/name``, ``staged:``
                                        for staged kinds; end-of-tier and profile hits
                                        only in the trace) and
                                        ``index|tier|name|action|rule`` entries
=====================================  =================================================

:func:`k8sviz.aggregate_flow_archive` reads both shapes with DuckDB (``archive.py``).

Without endpoint types (Whisker), a name without a namespace other than ``pub``/``pvt`` may be
a host endpoint or a global network set; it is kept as an unmapped endpoint, and counted.
"""

from __future__ import annotations

from typing import Any

from .._text import kind_of
from ._table import parse_items
from .calico import _not_enum, _protocol

__all__ = ["looks_like_goldmane", "parse_goldmane"]

_ACTIONS = {1: "Allow", 2: "Deny", 3: "Pass"}
_VERDICT = {"allow": "allowed", "pass": "allowed", "deny": "denied"}
_TYPES = {1: "WorkloadEndpoint", 2: "HostEndpoint", 3: "NetworkSet", 4: "Network"}
_REPORTERS = {1: "src", 2: "dst", "src": "src", "dst": "dst"}
_CONNECTIONS = ("num_connections_started", "num_connections_live", "num_connections_completed")
_KINDS = {
    1: "CalicoNetworkPolicy",
    2: "GlobalNetworkPolicy",
    3: "StagedNetworkPolicy",
    4: "StagedGlobalNetworkPolicy",
    5: "StagedKubernetesNetworkPolicy",
    6: "NetworkPolicy",
    7: "ClusterNetworkPolicyAdminTier",
    8: "ClusterNetworkPolicyBaselineTier",
    9: "Profile",
    10: "EndOfTier",
}


def _enum(v: Any, names: dict[int, str]) -> Any:
    """An enum as its name, whether Go wrote the number or the API the name."""
    if v.__class__ is int:
        return names.get(v, str(v))
    return v


def _text(v: Any) -> Any:
    return None if v in ("", "-", None) else v


def _endpoint(ns: Any, name: Any, typ: Any) -> tuple[Any, ...]:
    ns, name = _text(ns), _text(name)
    if typ == "Network" or (typ is None and ns is None and name in ("pub", "pvt")):
        return (None, None, None, None, "net", name)
    if typ == "NetworkSet":
        return (ns, name, None, None, "ns", None)
    if typ == "HostEndpoint":
        return (None, None, name, None, "host", None)
    if name is not None and name.endswith("*"):
        return (ns, None, None, None, "wep", name)
    if ns is None:  # no type and no namespace: a host endpoint or a global network set
        return (None, None, None, None, None, name)
    return (ns, name, None, None, "wep", None)  # a pod without generateName


def _hits(policies: Any) -> tuple[str | None, str | None]:
    if not isinstance(policies, dict):
        if policies is None:
            return None, None
        raise TypeError(f"policies is {kind_of(policies, 'an object')}, not an object")
    hits = policies.get("enforced_policies", policies.get("enforced")) or []
    if not isinstance(hits, list):
        raise TypeError(f"enforced policies are {kind_of(hits, 'an object')}, not a list")
    names: list[str] = []
    trace: list[str] = []
    for h in hits:
        if not isinstance(h, dict):
            raise TypeError(f"a policy hit is {kind_of(h, 'an object')}, not an object")
        kind = _enum(h.get("kind"), _KINDS) or ""
        name = h.get("name") or "?"
        ns = h.get("namespace")
        full = f"{ns}/{name}" if ns else str(name)
        if str(kind).startswith("Staged"):
            full = f"staged:{full}"
        action = str(_enum(h.get("action"), _ACTIONS) or "").lower()
        trace.append(
            f"{h.get('policy_index', 0)}|{h.get('tier') or ''}|{full}|{action}|{h.get('rule_index', 0)}")
        if kind not in ("EndOfTier", "Profile"):
            names.append(full)
    return (";".join(dict.fromkeys(names)) or None), (";".join(trace) or None)


def parse_goldmane(obj: Any, line: int) -> tuple[Any, ...] | list[tuple[Any, ...]] | str | None:
    """One Goldmane / Whisker object -> a raw record, the records of a list response, or why it is skipped."""
    if not isinstance(obj, dict):
        raise TypeError(f"expected a JSON object, got {kind_of(obj, 'an object')}")
    items = obj.get("items")
    if isinstance(items, list):  # a Whisker list response
        return parse_items(parse_goldmane, items, line, "goldmane")
    key = obj.get("Key")
    if key is None:
        if "source_name" not in obj and "dest_name" not in obj:
            return "other"
        key = obj  # Whisker: one flat object
    elif not isinstance(key, dict):
        raise TypeError(f"Key is {kind_of(key, 'an object')}, not an object")
    proto = _protocol(key["proto"]) if "proto" in key else _protocol(key.get("protocol"), "protocol")
    action = _enum(key.get("action"), _ACTIONS)
    svc = _text(key.get("dest_service_name"))
    if svc and _text(key.get("dest_service_namespace")):
        svc = f"{key['dest_service_namespace']}/{svc}"
    reporter = key.get("reporter")
    if reporter is not None and reporter.__class__ is not str and reporter.__class__ is not int:
        # Neither Go's number nor the API's name (a lookup would take true and 1.0 for Src).
        raise TypeError(f"reporter is {_not_enum(reporter)}, not a name or an integer")
    reporter = _REPORTERS.get(reporter.lower() if isinstance(reporter, str) else reporter)
    names, trace = _hits(key.get("policies"))
    start, end = obj.get("start_time"), obj.get("end_time")
    # Go leaves zero counts out: a record with only live or completed connections started none.
    counted = any(obj.get(k) is not None for k in _CONNECTIONS)
    started = obj.get("num_connections_started")
    started = (started or 0) if counted else 1
    return (
        line,
        start,
        _endpoint(key.get("source_namespace"), key.get("source_name"), _enum(key.get("source_type"), _TYPES)),
        None,
        _endpoint(key.get("dest_namespace"), key.get("dest_name"), _enum(key.get("dest_type"), _TYPES)),
        key.get("dest_port"),
        svc,
        proto,
        _VERDICT.get(str(action).lower(), "unknown") if action else "unknown",
        action,
        None,
        reporter,
        reporter,
        None,
        None,
        obj.get("bytes_in"),
        obj.get("bytes_out"),
        obj.get("packets_in"),
        obj.get("packets_out"),
        started,
        start,
        end,
        names,
        trace,
        None,
        None,
    )


def looks_like_goldmane(obj: Any) -> bool:
    if not isinstance(obj, dict):
        return False
    items = obj.get("items")
    if isinstance(items, list) and "total" in obj:
        return not items or looks_like_goldmane(items[0])
    key = obj.get("Key")
    if isinstance(key, dict):
        return "start_time" in obj or "source_name" in key or "dest_name" in key
    # Whisker: Calico Enterprise documents have ``proto`` and ``*_name_aggr`` instead.
    return "protocol" in obj and "source_name" in obj and "dest_name" in obj and "source_name_aggr" not in obj
