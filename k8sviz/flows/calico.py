"""Calico Enterprise / Calico Cloud flow logs, as exported from Elasticsearch.

Input: JSON documents one per line, a JSON array of documents, or pretty-printed documents;
Elasticsearch hits (``{"_source": {...}}``) are unwrapped.  One row per document; its
``num_flows`` stays in a column.

Field mapping (tigera docs, flow log data types):

=====================================  =================================================
``time``, ``start_time``, ``end_time``  ``start_time`` / ``end_time`` (unix seconds), to UTC
``src_namespace``/``dst_namespace``     ``source_namespace`` / ``dest_namespace`` (``-`` = none)
``src_pod``/``dst_pod``                 ``source_name`` / ``dest_name`` (``-`` = aggregated)
``src_workload``/``dst_workload``       from the pod, else from ``*_name_aggr``
                                        (``frontend-7d9f8b6c4-*`` -> ``frontend``)
``src_ip``/``dst_ip``                   ``source_ip`` / ``dest_ip`` (``-`` = hidden)
``src_type``/``dst_type``               ``wep`` -> pod (or workload when aggregated),
                                        ``hep`` -> node (``*_name_aggr``: its hostname),
                                        ``ns`` -> networkset, ``net`` -> external
``*_address_space``                     ``net`` rows: ``pub``/``pvt`` or the IP
``protocol``                            ``proto`` (name or IANA number; another name
                                        with its ASCII letters upper case)
``verdict``                             ``action`` allow -> ``allowed``, deny -> ``denied``
``reporter``, ``node``                  ``reporter`` (src/dst), ``host``
``bytes_*``, ``packets_*``              as is
``num_flows``                           ``num_flows_started`` where present, else ``num_flows``:
                                        felix's ``num_flows`` counts every flow active in the
                                        interval, so a long-lived connection is in each one
``dst_service``                         ``dest_service_namespace/dest_service_name``
``policies``                            policy names of the trace (``knp.default.`` stripped)
``policy_trace``                        ``index|tier|policy|action|rule`` entries, ``;``-joined
=====================================  =================================================

Ports and counts are JSON integers or their ASCII digits in a string (``"80"``); a document with
any other (``"٣"``, ``" 80"``, ``true``, 80.7) is malformed.
"""

from __future__ import annotations

import string
from typing import Any

from .._text import as_written, kind_of

__all__ = ["looks_like_calico", "parse_doc", "policy_name"]

_PROTO = {
    "tcp": "TCP",
    "udp": "UDP",
    "sctp": "SCTP",
    "icmp": "ICMP",
    "icmp6": "ICMPv6",
    "icmpv6": "ICMPv6",
    6: "TCP",
    17: "UDP",
    132: "SCTP",
    1: "ICMP",
    58: "ICMPv6",
}
_ACTION = {"allow": "allowed", "deny": "denied", "pass": "allowed"}


def _v(x: Any) -> Any:
    return None if x in ("-", "", None) else x


def _int(x: Any, key: str) -> int | None:
    """A port or a count: a JSON integer, or its ASCII decimal digits in a string (``"80"``);
    none for ``"-"``, ``""`` and null.  Anything else raises ValueError (a malformed record):
    Python's int() would read ``"٣"`` (an Arabic-Indic 3), ``" 80"``, ``"1_000"``, ``true`` and
    80.7 (as 80), which DuckDB's casts, reading the same files for aggregate_flow_archive, read
    otherwise or not at all."""
    if x is None or x == "-" or x == "":
        return None
    if x.__class__ is int:
        return x
    if x.__class__ is str and x.isascii() and x.isdigit():
        return int(x)
    raise ValueError(f"{key} {as_written(x)} is not a whole number"[:200])


# Protocol names change case in their ASCII letters only, as aggregate_flow_archive's SQL
# changes them (translate): str.upper() makes "ß" "SS" where DuckDB's upper() makes it "ẞ", and
# str.lower() makes "İ" two characters where DuckDB's lower() makes it "i" ("İCMP" is no ICMP).
_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _protocol(v: Any, key: str = "proto") -> str | None:
    """A protocol as its name (``tcp``, 6 -> ``TCP``; ``icmp6``, 58 -> ``ICMPv6``), another name or
    number as given (its ASCII letters upper case: ``ß`` stays), None for none (``""``, 0).
    ``key`` names the field in errors."""
    if v.__class__ is str:
        return _PROTO.get(v.translate(_ASCII_LOWER), v.translate(_ASCII_UPPER) if v else None)
    if v is not None and v.__class__ is not int:
        # A name or an IANA number: a lookup would take true for 1 (ICMP) and 6.0 for TCP.
        raise TypeError(f"{key} is {_not_enum(v)}, not a name or an integer")
    return _PROTO.get(v, str(v) if v else None)


def _connections(doc: dict[str, Any]) -> int:
    """Connections a document adds: those started in its interval (felix carries active flows
    over from one interval to the next, and ``num_flows`` counts them again)."""
    for key in ("num_flows_started", "num_flows"):
        n = _int(doc.get(key), key)
        if n is not None:
            return n
    return 1


def policy_name(name: str) -> str:
    """Normalize a Calico policy name: ``shop/knp.default.web`` -> ``shop/web``; ``staged:`` kept."""
    prefix = ""
    if name.startswith("staged:"):
        prefix, name = "staged:", name[7:]
    ns, sep, rest = name.rpartition("/")
    if rest.startswith("knp.default."):
        rest = rest[12:]
    return f"{prefix}{ns}{sep}{rest}"


def _trace(policies: Any) -> tuple[str | None, str | None]:
    if not policies:
        return None, None
    if isinstance(policies, dict):
        entries = policies.get("enforced_policies") or policies.get("all_policies") or []
    else:
        entries = policies
    if isinstance(entries, str):
        entries = [entries]
    names = []
    for e in entries:
        parts = str(e).split("|")
        if len(parts) >= 3:
            names.append(policy_name(parts[2]))
    return (";".join(dict.fromkeys(names)) or None), (";".join(map(str, entries)) or None)


def _endpoint(doc: dict[str, Any], side: str) -> tuple[Any, ...]:
    kind = doc.get(f"{side}_type")
    ns = _v(doc.get(f"{side}_namespace"))
    name = _v(doc.get(f"{side}_name"))
    aggr = _v(doc.get(f"{side}_name_aggr"))
    ip = _v(doc.get(f"{side}_ip"))
    if kind == "net":
        return (None, None, None, ip, "net", aggr)
    if kind == "ns":
        return (ns, name, None, ip, "ns", aggr)
    if kind == "hep":
        # felix names a host endpoint's aggregate by its node's hostname (name: the endpoint id).
        return (None, None, aggr, ip, "hep", None)
    if name and name.endswith("*"):
        name, aggr = None, name
    return (ns, name, None, ip, kind, aggr)


def _not_enum(v: Any) -> str:
    """What an enum field (a name or its number) holds instead, for an error: a float as
    written (``6.0`` is "a number", yet no integer to protojson), else its JSON kind."""
    return as_written(v) if isinstance(v, float) else kind_of(v, "an object")


def parse_doc(obj: Any, line: int) -> tuple[Any, ...] | list[tuple[Any, ...]] | str | None:
    """One flow-log document -> a raw record, the records of a search response, or why it is skipped."""
    if not isinstance(obj, dict):
        raise TypeError(f"expected a JSON object, got {kind_of(obj, 'an object')}")
    doc = obj.get("_source", obj)
    hits = doc.get("hits")
    if isinstance(hits, dict) and isinstance(hits.get("hits"), list):  # a whole search response
        from ._table import parse_items

        return parse_items(parse_doc, hits["hits"], line, "calico")
    if "start_time" not in doc and "dest_port" not in doc and "dest_name_aggr" not in doc:
        return "other"
    start = doc.get("start_time")
    end = doc.get("end_time")
    proto = _protocol(doc.get("proto"))
    action = doc.get("action")
    names, trace = _trace(doc.get("policies"))
    svc = _v(doc.get("dest_service_name"))
    if svc and _v(doc.get("dest_service_namespace")):
        svc = f"{doc['dest_service_namespace']}/{svc}"
    reporter = doc.get("reporter")
    return (
        line,
        start if start is not None else doc.get("@timestamp"),
        _endpoint(doc, "source"),
        _int(doc.get("source_port"), "source_port"),
        _endpoint(doc, "dest"),
        _int(doc.get("dest_port"), "dest_port"),
        svc,
        proto,
        _ACTION.get(str(action).lower(), "unknown") if action else "unknown",
        action,
        None,
        reporter,
        reporter,
        _v(doc.get("host")),
        None,
        _int(doc.get("bytes_in"), "bytes_in"),
        _int(doc.get("bytes_out"), "bytes_out"),
        _int(doc.get("packets_in"), "packets_in"),
        _int(doc.get("packets_out"), "packets_out"),
        _connections(doc),
        start,
        end,
        names,
        trace,
        None,
        None,
    )


def looks_like_calico(obj: Any) -> bool:
    if not isinstance(obj, dict):
        return False
    doc = obj.get("_source", obj)
    return isinstance(doc, dict) and (
        "source_name_aggr" in doc
        or "dest_name_aggr" in doc
        or ("reporter" in doc and "dest_port" in doc)
        or "hits" in doc
    )
