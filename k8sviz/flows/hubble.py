"""Hubble flows: ``hubble observe -o json`` / ``-o jsonpb`` lines and Hubble exporter files.

Each line is either a bare ``Flow`` or a wrapper ``{"flow": {...}, "node_name": ..., "time": ...}``
(``GetFlowsResponse`` / exporter ``ExportEvent``), with the proto field names (``pod_name``,
as Hubble writes them) or protojson's default lowerCamelCase ones (``podName``; see
:func:`proto_names`).  Lines carrying something else
(``lost_events``, ``agent_event``, ``debug_event``, ``node_status``) are counted and skipped;
the events that ``lost_events`` lines say were lost are added up per file (see
:func:`note_lost`), since flows missing from a window make its counts lower bounds.

Field mapping (``cilium/api/v1/flow/flow.proto``):

============================  ====================================================
``time``                      ``flow.time`` (else the wrapper's ``time``), to UTC
``src_*`` / ``dst_*``         ``source`` / ``destination``: ``namespace``, ``pod_name``,
                              ``workloads[0].name``; ``IP.source`` / ``IP.destination``;
                              ``reserved:world|host|remote-node`` labels or identities
``src_port``, ``dst_port``    ``l4.TCP|UDP|SCTP.source_port|destination_port``
``protocol``                  ``TCP``, ``UDP``, ``SCTP``, ``ICMP`` (ICMPv4), ``ICMPv6``
``verdict``                   FORWARDED/REDIRECTED/TRANSLATED/TRACED/AUDIT -> ``allowed``,
                              DROPPED -> ``denied``, others -> ``unknown``; raw in ``cni_verdict``.
                              ``SOCK`` events are always ``unknown`` (see below)
``drop_reason``               ``drop_reason_desc``
``reporter``                  ``traffic_direction`` EGRESS -> ``src``, INGRESS -> ``dst``
``observation_point``         ``trace_observation_point`` (``sock_xlate_point`` for ``SOCK``
                              events), else the direction
``node``                      ``node_name`` (flow, else wrapper)
``dst_service``               ``destination_service`` ``namespace/name``
``policies``                  ``{ingress,egress}_{allowed,denied}_by`` names (``ns/name``)
``is_reply``                  ``is_reply``; when absent (flow.proto: "unknown whether it is a
                              reply or not"), a TCP SYN is a request and a SYN+ACK a reply,
                              and a ``SOCK`` event's ``*_FWD``/``*_REV`` point tells; else
                              missing (see :func:`infer_reply`)
``flow_type``                 ``Type``: ``L3_L4``, ``L7`` (also when only ``l7`` is present),
                              ``SOCK``
``event_type``                ``event_type.type`` by Cilium's name: ``drop`` (1), ``trace``
                              (4), ``policy-verdict`` (5), ``trace-sock`` (7), ``l7`` (129)...
============================  ====================================================

Hubble sets ``is_reply`` for trace events whose conntrack reason is known and for forwarded
policy verdicts, but not for drops: a dropped record of unknown direction is taken as a request
by the analyses (policy drops hit a connection's first packets; replies follow conntrack), and
other records of unknown direction are left out of them, counted (see
:func:`k8sviz.flow_edges`).

Two kinds of event are not packets judged by policy, and the table says so:

* ``L7`` records come from Cilium's L7 proxy (HTTP, DNS, Kafka): one per request and one per
  response (``is_reply`` true).  Traffic only reaches the proxy through an L3/L4 rule that
  allowed it, so an L7 ``DROPPED`` is a request refused by an L7 rule on a connection that
  was allowed; :func:`k8sviz.flow_discrepancies` reads them that way.
* ``SOCK`` events are socket load-balancer translations (``TRACED`` before, ``TRANSLATED``
  after the service address is rewritten), taken at ``connect()`` before any policy is
  applied, and the reverse translations run server to client.  Their ``verdict`` is
  ``unknown`` so that they never count as traffic the network carried.
"""

from __future__ import annotations

from typing import Any

from .._text import as_written, kind_of
from ._table import _not_text

__all__ = [
    "event_name",
    "flow_verdict",
    "infer_reply",
    "looks_like_hubble",
    "new_lost",
    "non_flow",
    "note_lost",
    "parse_flow",
    "proto_names",
]

_VERDICTS = {
    "FORWARDED": "allowed",
    "REDIRECTED": "allowed",
    "TRANSLATED": "allowed",
    "TRACED": "allowed",
    "AUDIT": "allowed",
    "DROPPED": "denied",
    "ERROR": "unknown",
    "VERDICT_UNKNOWN": "unknown",
}
_REPORTER = {"EGRESS": "src", "INGRESS": "dst"}
_OBS = {"EGRESS": "egress", "INGRESS": "ingress"}
_L4_NAMES = {"TCP": "TCP", "UDP": "UDP", "SCTP": "SCTP", "ICMPv4": "ICMP", "ICMPv6": "ICMPv6"}
# Numeric reserved identities (cilium/pkg/identity/numericidentity.go).
_RESERVED_IDS = {
    1: "host",
    2: "world",
    6: "remote-node",
    7: "kube-apiserver",
    8: "ingress",
    9: "world",
    10: "world",
}
_POLICY_KEYS = frozenset(("ingress_allowed_by", "egress_allowed_by", "ingress_denied_by", "egress_denied_by"))
_NO_POLICIES = (None, None)
_NON_FLOW = ("lost_events", "agent_event", "debug_event", "node_status")
# Cilium's monitor message types (pkg/monitor/api/types.go), by the names hubble observe --type takes.
_EVENT_TYPES = {
    1: "drop",
    2: "debug",
    3: "capture",
    4: "trace",
    5: "policy-verdict",
    6: "recorder",
    7: "trace-sock",
    129: "l7",
    130: "agent",
}


# protojson writes lowerCamelCase names unless told to keep the proto names (UseProtoNames),
# and reads both: Hubble's own output has the proto names, tools built on its protobufs may
# write the camelCase ones.  The names of the fields read here, camelCase -> proto name
# (IP, l4, TCP, Type, verdict, source, time... are spelled alike).
_FLOW_CAMEL = {
    "trafficDirection": "traffic_direction",
    "isReply": "is_reply",
    "nodeName": "node_name",
    "dropReasonDesc": "drop_reason_desc",
    "traceObservationPoint": "trace_observation_point",
    "sockXlatePoint": "sock_xlate_point",
    "destinationService": "destination_service",
    "eventType": "event_type",
    "ingressAllowedBy": "ingress_allowed_by",
    "egressAllowedBy": "egress_allowed_by",
    "ingressDeniedBy": "ingress_denied_by",
    "egressDeniedBy": "egress_denied_by",
}
_PORT_CAMEL = {"sourcePort": "source_port", "destinationPort": "destination_port"}
#: Non-flow events of a ``GetFlowsResponse`` / ``ExportEvent`` by their camelCase names.
NON_FLOW_CAMEL = {"lostEvents": "lost_events", "agentEvent": "agent_event", "debugEvent": "debug_event",
                  "nodeStatus": "node_status"}


def proto_names(f: dict[str, Any]) -> dict[str, Any]:
    """A flow with the camelCase names of the fields read (``trafficDirection``, ``isReply``,
    ``source.podName``, ``l4.TCP.sourcePort``...) given their proto names; ``f`` itself when it
    has none.  A field spelled both ways keeps its proto-named value."""
    out = f
    for camel, snake in _FLOW_CAMEL.items():
        if camel in f and snake not in f:
            if out is f:
                out = dict(f)
            out[snake] = f[camel]
    for side in ("source", "destination"):
        ep = f.get(side)
        if ep.__class__ is dict and "podName" in ep and "pod_name" not in ep:
            if out is f:
                out = dict(f)
            out[side] = {**ep, "pod_name": ep["podName"]}
    l4 = f.get("l4")
    if l4.__class__ is dict:
        for k, v in l4.items():
            if v.__class__ is dict and any(c in v and n not in v for c, n in _PORT_CAMEL.items()):
                if out is f:
                    out = dict(f)
                if out["l4"] is l4:
                    out["l4"] = dict(l4)
                out["l4"][k] = {**v, **{n: v[c] for c, n in _PORT_CAMEL.items() if c in v and n not in v}}
    return out


def non_flow(obj: dict[str, Any]) -> str:
    """The kind of a line that holds no flow: ``lost_events``, ``agent_event``... or ``other``."""
    for key in _NON_FLOW:
        if key in obj:
            return key
    for camel, key in NON_FLOW_CAMEL.items():
        if camel in obj:
            return key
    return "other"


def event_name(kind: Any) -> str | None:
    """The name of a Hubble ``event_type.type`` (its number when Cilium has no name for it)."""
    if kind is None:
        return None
    if kind.__class__ is not int:
        raise ValueError(f"event_type.type {as_written(kind)} is not a number"[:200])
    return _EVENT_TYPES.get(kind, str(kind))


def _event_kind(et: Any) -> Any:
    """``event_type.type`` of an event (``event_type`` must be an object)."""
    if et is None:
        return None
    if et.__class__ is not dict:
        raise ValueError(f"event_type is {kind_of(et, 'an object')}, not an object")
    return et.get("type")


def infer_reply(is_reply: Any, flags: Any, flow_type: Any, xlate: Any) -> Any:
    """``is_reply``, or where Hubble left it out, what the packet shows: a TCP SYN opens a
    connection (a request) and a SYN+ACK answers one (a reply); a socket translation's
    ``*_FWD`` point runs client to server, ``*_REV`` back.  None when nothing tells."""
    if is_reply is not None:
        return is_reply
    if flow_type == "SOCK":
        if xlate.__class__ is str:
            if xlate.endswith("_FWD"):
                return False
            if xlate.endswith("_REV"):
                return True
        return None
    if flags.__class__ is dict and flags.get("SYN") is True:
        return flags.get("ACK") is True
    return None


def flow_verdict(flow_type: Any, cni_verdict: Any) -> str:
    """The normalized verdict of a Hubble event of this ``Type`` and ``verdict``."""
    if flow_type == "SOCK":
        return "unknown"  # a socket translation is not a policy verdict
    return _VERDICTS.get(cni_verdict, "unknown")


def new_lost() -> dict[str, Any]:
    """The per-file account of Hubble's ``lost_events`` reports (see :func:`note_lost`)."""
    return {"events": 0, "reports": 0, "first": None, "last": None, "by_source": {}}


def note_lost(lost: dict[str, Any], obj: dict[str, Any]) -> None:
    """Add one ``lost_events`` line to ``lost``: events lost, reports, first/last time, per source.

    ``num_events_lost`` is a uint64, which protojson writes as a string.  A report whose number
    cannot be read still counts as a report (``events`` is then a lower bound).
    """
    import pandas as pd

    ev = obj.get("lost_events")
    if ev is None:
        ev = obj.get("lostEvents")  # protojson's camelCase names
    ev = ev if isinstance(ev, dict) else {}
    lost["reports"] += 1
    n = ev.get("num_events_lost")
    if n is None:
        n = ev.get("numEventsLost")
    try:
        num = int(n) if n is not None and not isinstance(n, bool) else 0
    except (TypeError, ValueError):
        num = 0
    num = max(num, 0)
    lost["events"] += num
    source = ev.get("source")
    source = source if isinstance(source, str) and source else "unknown"
    lost["by_source"][source] = lost["by_source"].get(source, 0) + num
    t = obj.get("time")
    try:
        ts = pd.Timestamp(t) if isinstance(t, str) else None
    except (TypeError, ValueError):
        ts = None
    if ts is not None and not pd.isna(ts):
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")  # no offset: UTC
        iso = ts.isoformat()
        if lost["first"] is None or ts < pd.Timestamp(lost["first"]):
            lost["first"] = iso
        if lost["last"] is None or ts > pd.Timestamp(lost["last"]):
            lost["last"] = iso


def _hint(ep: dict[str, Any]) -> str | None:
    for label in ep.get("labels") or ():
        if label.startswith("reserved:"):
            name = label[9:]
            if name in ("world", "world-ipv4", "world-ipv6"):
                return "world"
            if name in ("host", "remote-node", "kube-apiserver"):
                return "host"
            return name
    ident = ep.get("identity")
    if ident is not None:
        r = _RESERVED_IDS.get(ident)
        if r is not None:
            return "host" if r in ("remote-node", "kube-apiserver") else r
    return None


def _label_namespace(ep: dict[str, Any]) -> str | None:
    """The namespace from a ``k8s:io.kubernetes.pod.namespace=<ns>`` label (older Hubble builds)."""
    for label in ep.get("labels") or ():
        if label.startswith("k8s:io.kubernetes.pod.namespace="):
            return label[32:] or None
    return None


def _endpoint(ep: dict[str, Any] | None, ip: str | None) -> tuple[Any, ...]:
    if not ep:
        return (None, None, None, ip, None, None)
    # "" is no name; 0, false, [] and {} are no text, and stay to be reported (`or None` took
    # them for no pod, where DuckDB reads "0" and "false" as names).
    pod = ep.get("pod_name")
    if pod == "":
        pod = None
    ns = ep.get("namespace")
    if ns is None or ns == "":
        ns = _label_namespace(ep) if pod else None
    wls = ep.get("workloads")
    wl = wls[0].get("name") if wls else None
    hint = None if pod else _hint(ep)
    return (ns, pod, wl, ip, hint, None)


def _policies(f: dict[str, Any]) -> tuple[str | None, str | None]:
    names: list[str] = []
    trace: list[str] = []
    for key in ("ingress_denied_by", "egress_denied_by", "ingress_allowed_by", "egress_allowed_by"):
        for pol in f.get(key) or ():
            name = pol.get("name") or "?"
            ns = pol.get("namespace")
            full = f"{ns}/{name}" if ns else name
            names.append(full)
            trace.append(f"{key.replace('_', '-')}:{full}")
    if not names:
        return None, None
    return ";".join(dict.fromkeys(names)), ";".join(trace)


def parse_flow(obj: Any, line: int) -> tuple[Any, ...] | str | None:
    """One JSON line -> a raw record, or the name of a skipped non-flow event."""
    if not isinstance(obj, dict):
        raise TypeError(f"expected a JSON object, got {kind_of(obj, 'an object')}")
    f = obj.get("flow")
    node = wtime = None
    if f is not None:
        node = obj.get("node_name") or obj.get("nodeName")
        wtime = obj.get("time")
    elif "verdict" in obj or "IP" in obj or "source" in obj or "l4" in obj:
        f = obj
    else:
        return non_flow(obj)
    if "node_name" not in f and "event_type" not in f:  # Hubble writes both: maybe camelCase
        f = proto_names(f)
    ip = f.get("IP") or {}
    src_ip = ip.get("source")
    dst_ip = ip.get("destination")
    l4 = f.get("l4")
    proto = sport = dport = flags = None
    if l4:
        for key, v in l4.items():
            proto = _L4_NAMES.get(key)
            if proto is not None:
                if proto in ("TCP", "UDP", "SCTP") and v:
                    sport = v.get("source_port")
                    dport = v.get("destination_port")
                    if proto == "TCP":
                        flags = v.get("flags")
                break
    cv = f.get("verdict")
    flow_type = f.get("Type") or ("L7" if "l7" in f else None)
    direction = f.get("traffic_direction")
    svc = f.get("destination_service")
    dst_service = None
    if svc:  # text, as feed_hubble checks it (true would be "ns/True" here, "ns/true" to DuckDB)
        bad = (_not_text("destination_service.namespace", svc.get("namespace"))
               or _not_text("destination_service.name", svc.get("name")))
        if bad:
            raise ValueError(bad)
    if svc and svc.get("name"):
        dst_service = f"{svc.get('namespace')}/{svc['name']}" if svc.get("namespace") else svc["name"]
    pols: tuple[str | None, str | None] = _NO_POLICIES
    if f.keys() & _POLICY_KEYS:
        pols = _policies(f)
    return (
        line,
        f.get("time") or wtime,
        _endpoint(f.get("source"), src_ip),
        sport,
        _endpoint(f.get("destination"), dst_ip),
        dport,
        dst_service,
        proto,
        flow_verdict(flow_type, cv),
        cv,
        f.get("drop_reason_desc"),
        _REPORTER.get(direction),  # type: ignore[arg-type]
        f.get("trace_observation_point") or f.get("sock_xlate_point") or _OBS.get(direction),  # type: ignore[arg-type]
        f.get("node_name") or node,
        infer_reply(f.get("is_reply"), flags, flow_type, f.get("sock_xlate_point")),
        None,
        None,
        None,
        None,
        1,
        None,
        None,
        pols[0],
        pols[1],
        flow_type,
        event_name(_event_kind(f.get("event_type"))),
    )


def looks_like_hubble(obj: Any) -> bool:
    if not isinstance(obj, dict):
        return False
    if "flow" in obj or any(k in obj for k in _NON_FLOW) or any(k in obj for k in NON_FLOW_CAMEL):
        return True
    return "verdict" in obj and ("IP" in obj or "source" in obj or "l4" in obj)
