"""Aggregate large flow archives out of core with DuckDB (embedded; ``pip install 'k8sviz[flows]'``).

Hubble, Calico and Goldmane JSON (plain or ``.gz``) is scanned by DuckDB's JSON reader and
Parquet files must hold the normalized table (``load_flows(...).to_parquet(path)``); CSV files
and captured event streams go through load_flows' reader, a file at a time.  Nothing else
is loaded into Python row by row: DuckDB streams the files and spills to disk if needed, so
archives far larger than memory can be aggregated into workload edges.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from .._checks import is_count, one_of, require_paths, type_name
from .._text import as_given
from ..errors import InputError
from ._table import Report, head
from .calico import _PROTO
from .compare import _kinds, largest_observer, port_ranges
from .goldmane import _TYPES as _GOLDMANE_TYPES

if TYPE_CHECKING:
    from ..snapshot import Snapshot

__all__ = ["aggregate_flow_archive"]


# The fields of a Hubble flow the aggregation reads: (column, path in the flow).
_HUBBLE_FIELDS = (
    ("s_ns", "source.namespace"), ("s_pod", "source.pod_name"), ("s_wl", "source.workloads[0].name"),
    ("s_ip", "IP.source"), ("d_ns", "destination.namespace"), ("d_pod", "destination.pod_name"),
    ("d_wl", "destination.workloads[0].name"), ("d_ip", "IP.destination"),
    ("svc_ns", "destination_service.namespace"),
    ("svc_name", "destination_service.name"), ("tcp_dport", "l4.TCP.destination_port"),
    ("udp_dport", "l4.UDP.destination_port"), ("sctp_dport", "l4.SCTP.destination_port"),
    ("tcp_sport", "l4.TCP.source_port"), ("udp_sport", "l4.UDP.source_port"),
    ("sctp_sport", "l4.SCTP.source_port"), ("ftype", "Type"), ("verdict0", "verdict"),
    ("direction", "traffic_direction"), ("etype", "event_type.type"),
    ("obs_point", "trace_observation_point"), ("xlate", "sock_xlate_point"), ("ftime", "time"),
    ("is_reply", "is_reply"), ("syn", "l4.TCP.flags.SYN"), ("ack", "l4.TCP.flags.ACK"),
)
# Read as JSON (json_extract, where the fields above are json_extract_string): the l4
# protocols count as present even as a JSON null, and an identity or a list of labels must
# keep its JSON type (the number 2 is the world, the string "2" is not).
_HUBBLE_JSON = (("has_tcp", "l4.TCP"), ("has_udp", "l4.UDP"), ("has_sctp", "l4.SCTP"),
                ("has_icmp4", "l4.ICMPv4"), ("has_icmp6", "l4.ICMPv6"),
                ("s_id", "source.identity"), ("s_labels", "source.labels"),
                ("d_id", "destination.identity"), ("d_labels", "destination.labels"))
_HUBBLE_PRESENT = frozenset(c for c, p in _HUBBLE_JSON if p.startswith("l4."))

# What k8sviz.flows.hubble._hint makes of an endpoint that is no pod, for the aggregation: the
# name of its first "reserved:" label (the world and host ones as "world" and "host"), else of
# its reserved identity number.  Its labels may be a list (Hubble's) or an object, whose keys
# Python would iterate; a list that is neither is left to the screen (see _checker).
_RESERVED_MACROS = (
    "CREATE TEMP MACRO k8sviz_reserved_label(r) AS CASE WHEN r IS NULL THEN NULL "
    "WHEN substr(r, 10) IN ('world', 'world-ipv4', 'world-ipv6') THEN 'world' "
    "WHEN substr(r, 10) IN ('host', 'remote-node', 'kube-apiserver') THEN 'host' ELSE substr(r, 10) END",
    "CREATE TEMP MACRO k8sviz_reserved_id(j) AS CASE "
    "CASE WHEN j::VARCHAR = 'true' THEN 1 WHEN j::VARCHAR = 'false' THEN 0 "
    "ELSE TRY_CAST(j::VARCHAR AS DOUBLE) END "
    "WHEN 1 THEN 'host' WHEN 2 THEN 'world' WHEN 6 THEN 'host' WHEN 7 THEN 'host' WHEN 8 THEN 'ingress' "
    "WHEN 9 THEN 'world' WHEN 10 THEN 'world' END",
    "CREATE TEMP MACRO k8sviz_labels(labels) AS CASE json_type(labels) "
    "WHEN 'ARRAY' THEN json_extract_string(labels, '$[*]') WHEN 'OBJECT' THEN json_keys(labels) END",
    "CREATE TEMP MACRO k8sviz_reserved(labels, ident) AS coalesce(k8sviz_reserved_label(list_filter("
    "k8sviz_labels(labels), lambda x: starts_with(x, 'reserved:'))[1]), k8sviz_reserved_id(ident))",
    # hubble._label_namespace: older Hubble builds name a pod's namespace in a label only.
    "CREATE TEMP MACRO k8sviz_label_namespace(labels) AS nullif(substr(list_filter(k8sviz_labels(labels), "
    "lambda x: starts_with(x, 'k8s:io.kubernetes.pod.namespace='))[1], 33), '')",
)


def _reserved(side: str) -> str:
    """SQL: the kind of an endpoint of ``side`` (``s``, ``d``) that is no pod (see
    ``_RESERVED_MACROS``); a pod name of ``""`` is none, as load_flows reads it."""
    return f"CASE WHEN nullif({side}_pod, '') IS NULL THEN k8sviz_reserved({side}_labels, {side}_id) END"


def _namespace(side: str) -> str:
    """SQL: the namespace of ``side`` (``s``, ``d``) as hubble._endpoint gives it: else, for a pod,
    the one its labels name."""
    return (f"CASE WHEN coalesce({side}_ns, '') = '' AND coalesce({side}_pod, '') <> '' "
            f"THEN k8sviz_label_namespace({side}_labels) ELSE {side}_ns END")


def _service(ns: str, name: str, none: str) -> str:
    """SQL: a record's service ``ns/name`` as its parser gives it: none without a name, the name
    alone without a namespace; ``none`` is the SQL list of the values that are none (Hubble's
    ``('')``, Calico's and Goldmane's ``('', '-')``)."""
    return (f"CASE WHEN coalesce({name}, '') NOT IN {none} THEN CASE WHEN coalesce({ns}, '') NOT IN {none} "
            f"THEN {ns} || '/' || {name} ELSE {name} END END")


# Whether a Hubble request's 5-tuple is known: its connection is then counted once (see the
# note above _KEYS).
_ADDRESSED = ("coalesce(request AND sport IS NOT NULL AND s_ip IS NOT NULL AND d_ip IS NOT NULL "
              "AND dport IS NOT NULL, false)")

# Where _HUBBLE reads its records (see _place_ties, which reads them otherwise).
_HUBBLE_SOURCE = "read_json_objects({files}, format='{jformat}', ignore_errors=true, filename=true)"

# Each record is parsed once for all its fields (a list of paths): a `->>` per field parsed it
# some forty times, and the record's text, carried up to the aggregation, was what DuckDB
# materialized for the DISTINCT count, which ran out of memory at 1GB on 358 MB of lines.
_HUBBLE = f"""
SELECT
  {_namespace('s')} AS src_ns, s_pod AS src_pod, s_wl AS src_wl, s_ip AS src_ip, {_reserved('s')} AS src_kind,
  {_namespace('d')} AS dst_ns, d_pod AS dst_pod, d_wl AS dst_wl, d_ip AS dst_ip, {_reserved('d')} AS dst_kind,
  -- What only edges need is NULL for records that are no requests (see request below).
  CASE WHEN request THEN {_service('svc_ns', 'svc_name', "('')")} END AS dst_service,
  CASE WHEN request THEN dport END AS dst_port,
  CASE WHEN NOT request THEN NULL WHEN has_tcp THEN 'TCP' WHEN has_udp THEN 'UDP' WHEN has_sctp THEN 'SCTP'
       WHEN has_icmp4 THEN 'ICMP' WHEN has_icmp6 THEN 'ICMPv6' END AS protocol,
  CASE WHEN NOT request THEN NULL WHEN ftype = 'SOCK' THEN 'unknown' ELSE
  CASE verdict0 WHEN 'DROPPED' THEN 'denied'
       WHEN 'FORWARDED' THEN 'allowed' WHEN 'REDIRECTED' THEN 'allowed' WHEN 'TRANSLATED' THEN 'allowed'
       WHEN 'TRACED' THEN 'allowed' WHEN 'AUDIT' THEN 'allowed' ELSE 'unknown' END END AS verdict,
  -- The observer (see k8sviz.flows.compare, "Counting connections").
  CASE WHEN request THEN
    CASE direction WHEN 'EGRESS' THEN 'src' WHEN 'INGRESS' THEN 'dst' END END AS reporter,
  CASE WHEN request THEN etype END AS event_type,
  CASE WHEN request THEN
    coalesce(nullif(obs_point, ''), nullif(xlate, ''),
             CASE direction WHEN 'EGRESS' THEN 'egress' WHEN 'INGRESS' THEN 'ingress' END) END
    AS observation_point,
  request, min(filename) AS file, count(*) AS records,
  -- Hubble reports packets: one connection per distinct 5-tuple (and verdict) of an observer.
  -- A row per source port of a request's 5-tuple (see the note above _KEYS): the connections
  -- are counted across every file of the archive, whichever way each was read.
  CASE WHEN {_ADDRESSED} THEN sport END AS conn_sport, {_ADDRESSED} AS addressed,
  0::BIGINT AS bytes, 0::BIGINT AS packets,
  min(TRY_CAST(coalesce(ftime, wtime) AS TIMESTAMPTZ)) AS first_seen,
  max(TRY_CAST(coalesce(ftime, wtime) AS TIMESTAMPTZ)) AS last_seen
FROM (
  SELECT *,
    -- Requests only count in edges, as flow_edges counts them: is_reply, else what the TCP flags
    -- or the translation point tell, else a drop is a request and anything else of unknown
    -- direction is left out.  The other records count only for the endpoints (unmapped ones).
    NOT coalesce(
      TRY_CAST(is_reply AS BOOLEAN),
      CASE WHEN ftype = 'SOCK' THEN
             CASE WHEN ends_with(xlate, '_FWD') THEN false WHEN ends_with(xlate, '_REV') THEN true END
           WHEN TRY_CAST(syn AS BOOLEAN) THEN coalesce(TRY_CAST(ack AS BOOLEAN), false)
      END,
      NOT (coalesce(verdict0, '') = 'DROPPED' AND coalesce(ftype, '') <> 'SOCK')) AS request,
    TRY_CAST(coalesce(tcp_sport, udp_sport, sctp_sport) AS INTEGER) AS sport,
    TRY_CAST(coalesce(tcp_dport, udp_dport, sctp_dport) AS INTEGER) AS dport
  FROM (
    SELECT {", ".join(f"v[{i}] AS {c}" for i, (c, _) in enumerate(_HUBBLE_FIELDS, 1))},
      {", ".join((f"j[{i}] IS NOT NULL AS {c}" if c in _HUBBLE_PRESENT else f"j[{i}] AS {c}")
                 for i, (c, _) in enumerate(_HUBBLE_JSON, 1))},
      wtime, filename
    FROM (
      SELECT json_extract_string(f, [{", ".join(f"'$.{p}'" for _, p in _HUBBLE_FIELDS)}]) AS v,
        json_extract(f, [{", ".join(f"'$.{p}'" for _, p in _HUBBLE_JSON)}]) AS j, wtime, filename
      FROM (
        -- the line parsed once for what the wrapper holds (list_count: a filter on w[1] and w[2]
        -- would be rewritten with the extraction copied into each test); a "flow" of JSON null
        -- is none, as load_flows reads it: the line is a bare flow (told by its text, which
        -- json_extract writes as null: json_type parsed the flow again, +10% on the query)
        SELECT CASE WHEN w[1] IS NULL OR w[1]::VARCHAR = 'null' THEN j ELSE w[1] END AS f,
          w[3]->>'$' AS wtime, filename
        FROM (SELECT j, json_extract(j, ['$.flow', '$.verdict', '$.time']) AS w, filename
              FROM (SELECT json AS j, filename FROM {_HUBBLE_SOURCE})
              WHERE j IS NOT NULL)
        WHERE list_count(w[1:2]) > 0
      )
    )
  )
)
GROUP BY ALL
"""

_CAMEL_PATH = re.compile(r"'\$\.[^']*'")
_CAMEL_MARKS = (b'"podName"', b'"trafficDirection"', b'"nodeName"', b'"sourcePort"', b'"destinationPort"',
                b'"isReply"', b'"eventType"')
_PROTO_MARKS = (b'"pod_name"', b'"traffic_direction"', b'"node_name"', b'"source_port"',
                b'"destination_port"',
                b'"is_reply"', b'"event_type"')


def _camel_sql(sql: str) -> str:
    """The query for Hubble JSON written with protojson's camelCase names (``podName``...)."""
    return _CAMEL_PATH.sub(lambda m: re.sub(r"_([a-z])", lambda c: c.group(1).upper(), m.group(0)), sql)


def _hubble_names(path: Path) -> str:
    """``"camel"`` if a Hubble file's first bytes spell the fields in camelCase, else ``"proto"``."""
    text = head(path)
    camel = any(m in text for m in _CAMEL_MARKS)
    if camel and any(m in text for m in _PROTO_MARKS):
        msg = ("Hubble records with both camelCase (podName) and proto (pod_name) field names are not "
               "supported in archives; load the file with k8sviz.load_flows")
        raise InputError(msg, source=str(path))
    return "camel" if camel else "proto"


# The fields of a Calico flow-log document the aggregation reads: (column, field).
_CALICO_FIELDS = (
    ("s_type", "source_type"), ("s_ns", "source_namespace"), ("s_name", "source_name"),
    ("s_aggr", "source_name_aggr"), ("s_ip", "source_ip"), ("d_type", "dest_type"),
    ("d_ns", "dest_namespace"), ("d_name", "dest_name"), ("d_aggr", "dest_name_aggr"), ("d_ip", "dest_ip"),
    ("svc_name", "dest_service_name"), ("svc_ns", "dest_service_namespace"), ("dport", "dest_port"),
    ("proto", "proto"), ("action", "action"), ("reporter0", "reporter"), ("started", "num_flows_started"),
    ("nflows", "num_flows"), ("bytes_in", "bytes_in"), ("bytes_out", "bytes_out"),
    ("packets_in", "packets_in"), ("packets_out", "packets_out"), ("t_start", "start_time"),
    ("t_end", "end_time"),
)
# What makes a document a flow record (present, even as JSON null), as load_flows tells it.
_CALICO_RECORD = ("start_time", "dest_port", "dest_name_aggr")


def _any_present(r: str, n: int) -> str:
    """SQL: whether any of the first ``n`` values of the list ``r`` (json_extract: a JSON null is
    a value) is present.  Written ``r[1] IS NOT NULL OR r[2] IS NOT NULL...``, DuckDB 2.0.1 put
    the json_extract making ``r`` into the filter once per element (EXPLAIN), parsing each
    document again for each and once more for the columns read from ``r`` after the filter:
    107MB instead of 90MB for the demo's Calico file on one thread."""
    return f"list_count({r}[1:{n}]) > 0"


def _number(t: str) -> str:
    """SQL: whether the JSON type ``t`` (json_type) is an integer's."""
    return f"{t} IN ('UBIGINT', 'BIGINT')"


_LOWER, _UPPER = "'abcdefghijklmnopqrstuvwxyz'", "'ABCDEFGHIJKLMNOPQRSTUVWXYZ'"


def _protocol(v: str, t: str) -> str:
    """SQL: the protocol ``v`` of JSON type ``t`` as load_flows gives it (calico._protocol): a
    name or an IANA number by its name, another as given (its ASCII letters upper case), none
    for ``""`` and 0.  A number in a string is a name (``"6"`` is no TCP): `->>` gave the same
    text for both.  Case changes by translate, ASCII letters only, as in calico._protocol:
    DuckDB's lower() and upper() change other letters otherwise than Python does."""
    numbers = " ".join(f"WHEN '{k}' THEN '{name}'" for k, name in _PROTO.items() if isinstance(k, int))
    names = " ".join(f"WHEN '{k}' THEN '{name}'" for k, name in _PROTO.items() if isinstance(k, str))
    return (f"CASE WHEN {_number(t)} THEN CASE {v} {numbers} WHEN '0' THEN NULL ELSE {v} END "
            f"WHEN {t} = 'VARCHAR' THEN CASE translate({v}, {_UPPER}, {_LOWER}) {names} WHEN '' THEN NULL "
            f"ELSE translate({v}, {_LOWER}, {_UPPER}) END END")


def _paths(fields: Iterable[str]) -> str:
    """SQL: a list of JSON paths, one per field."""
    return "[" + ", ".join(f"'$.{p}'" for p in fields) + "]"


def _columns(v: str, names: Iterable[str]) -> str:
    """SQL: the elements of the list ``v`` as columns ``names``."""
    return ", ".join(f"{v}[{i}] AS {c}" for i, c in enumerate(names, 1))


# Each document is parsed once for its fields and once for whether it is a record (lists of
# paths), as _HUBBLE reads its records: a `->>` per field held a JSON parse arena per
# expression.
_CALICO = f"""
SELECT
  s_type AS src_type, s_ns AS src_ns, s_name AS src_name, s_aggr AS src_aggr, s_ip AS src_ip,
  d_type AS dst_type, d_ns AS dst_ns, d_name AS dst_name, d_aggr AS dst_aggr, d_ip AS dst_ip,
  {_service('svc_ns', 'svc_name', "('', '-')")} AS dst_service,
  TRY_CAST(dport AS INTEGER) AS dst_port,
  {_protocol("proto", "proto_t")} AS protocol,
  CASE lower(action) WHEN 'allow' THEN 'allowed' WHEN 'pass' THEN 'allowed' WHEN 'deny' THEN 'denied'
       ELSE 'unknown' END AS verdict,
  reporter0 AS reporter, NULL AS event_type, reporter0 AS observation_point,
  true AS request, min(filename) AS file, count(*) AS records,
  sum(coalesce(TRY_CAST(started AS BIGINT), TRY_CAST(nflows AS BIGINT), 1)) AS flows,
  sum(coalesce(TRY_CAST(bytes_in AS BIGINT), 0) + coalesce(TRY_CAST(bytes_out AS BIGINT), 0)) AS bytes,
  sum(coalesce(TRY_CAST(packets_in AS BIGINT), 0) + coalesce(TRY_CAST(packets_out AS BIGINT), 0)) AS packets,
  min(k8sviz_epoch(t_start)) AS first_seen,
  max(k8sviz_epoch(coalesce(t_end, t_start))) AS last_seen
FROM (
  SELECT {_columns("v", (c for c, _ in _CALICO_FIELDS))}, json_type(r[{len(_CALICO_RECORD) + 1}]) AS proto_t,
    filename
  FROM (
    SELECT json_extract_string(d, {_paths(p for _, p in _CALICO_FIELDS)}) AS v,
      json_extract(d, {_paths([*_CALICO_RECORD, "proto"])}) AS r, filename
    FROM (
      SELECT coalesce(json_extract(json, '$._source'), json) AS d, filename
      FROM read_json_objects({{files}}, format='{{jformat}}', ignore_errors=true, filename=true)
      WHERE json IS NOT NULL
    )
  )
  WHERE {_any_present("r", len(_CALICO_RECORD))}
)
GROUP BY ALL
"""

# The fields of a Goldmane flow's key (under ``Key``, or the Whisker item itself) and of the
# flow the aggregation reads: (column, field).
_GOLDMANE_KEY = (
    ("s_ns", "source_namespace"), ("s_name", "source_name"), ("s_type", "source_type"),
    ("d_ns", "dest_namespace"), ("d_name", "dest_name"), ("d_type", "dest_type"),
    ("svc_name", "dest_service_name"), ("svc_ns", "dest_service_namespace"), ("dport", "dest_port"),
    ("proto0", "proto"), ("protocol0", "protocol"), ("action", "action"), ("reporter0", "reporter"),
)
_GOLDMANE_FLOW = (
    ("started", "num_connections_started"), ("live", "num_connections_live"),
    ("completed", "num_connections_completed"), ("bytes_in", "bytes_in"), ("bytes_out", "bytes_out"),
    ("packets_in", "packets_in"), ("packets_out", "packets_out"), ("t_start", "start_time"),
    ("t_end", "end_time"),
)
# What makes a key a flow's (present, even as JSON null), as load_flows tells it.
_GOLDMANE_RECORD = ("source_name", "dest_name")
# The key's enums and protocol, whose JSON type tells what they are, as load_flows reads them:
# Go writes numbers (action 1), the Whisker API names ("Allow"); a number in a string ("1") is
# neither.  A protocol given (even as JSON null) is read, else the Whisker name (``protocol``).
_GOLDMANE_ENUMS = (("action_t", "action"), ("reporter_t", "reporter"), ("s_type_t", "source_type"),
                   ("d_type_t", "dest_type"), ("proto_t", "proto"), ("protocol_t", "protocol"))


def _goldmane_type(side: str) -> str:
    """SQL: the endpoint type of ``side`` (``s``, ``d``) as load_flows gives it (goldmane._enum:
    a number by the name it stands for, anything else as it is)."""
    names = " ".join(f"WHEN '{n}' THEN '{name}'" for n, name in _GOLDMANE_TYPES.items())
    v = f"{side}_type"
    return f"CASE WHEN {_number(f'{v}_t')} THEN CASE {v} {names} ELSE {v} END ELSE {v} END"


_GOLDMANE_VERDICT = f"""CASE
    WHEN {_number('action_t')} THEN
      CASE action WHEN '1' THEN 'allowed' WHEN '2' THEN 'denied' WHEN '3' THEN 'allowed' ELSE 'unknown' END
    WHEN action_t = 'VARCHAR' THEN
      CASE lower(action) WHEN 'allow' THEN 'allowed' WHEN 'pass' THEN 'allowed' WHEN 'deny' THEN 'denied'
        ELSE 'unknown' END
    ELSE 'unknown' END"""
_GOLDMANE_REPORTER = f"""CASE
    WHEN {_number('reporter_t')} THEN CASE reporter0 WHEN '1' THEN 'src' WHEN '2' THEN 'dst' END
    WHEN reporter_t = 'VARCHAR' THEN CASE lower(reporter0) WHEN 'src' THEN 'src' WHEN 'dst' THEN 'dst' END
  END"""
_GOLDMANE_ENUM_TYPES = ", ".join(
    f"json_type(r[{i}]) AS {c}" for i, (c, _) in enumerate(_GOLDMANE_ENUMS, len(_GOLDMANE_RECORD) + 1))

# Goldmane emitter lines (the key under ``Key``, enums as numbers, unix seconds) and Whisker
# items (flat, enum names, RFC 3339), a Whisker list response's items unnested.  Each key and
# each flow is parsed once for its fields (lists of paths), as in _HUBBLE.
_GOLDMANE = f"""
SELECT
  s_ns AS src_ns, s_name AS src_name, {_goldmane_type('s')} AS src_type,
  d_ns AS dst_ns, d_name AS dst_name, {_goldmane_type('d')} AS dst_type,
  {_service('svc_ns', 'svc_name', "('', '-')")} AS dst_service,
  TRY_CAST(dport AS INTEGER) AS dst_port,
  CASE WHEN proto_t IS NOT NULL THEN {_protocol("proto0", "proto_t")}
       ELSE {_protocol("protocol0", "protocol_t")} END AS protocol,
  {_GOLDMANE_VERDICT} AS verdict,
  {_GOLDMANE_REPORTER} AS reporter, NULL AS event_type, {_GOLDMANE_REPORTER} AS observation_point,
  true AS request, min(filename) AS file, count(*) AS records,
  sum(CASE WHEN started IS NOT NULL OR live IS NOT NULL OR completed IS NOT NULL
           THEN coalesce(TRY_CAST(started AS BIGINT), 0) ELSE 1 END) AS flows,
  sum(coalesce(TRY_CAST(bytes_in AS BIGINT), 0) + coalesce(TRY_CAST(bytes_out AS BIGINT), 0)) AS bytes,
  sum(coalesce(TRY_CAST(packets_in AS BIGINT), 0) + coalesce(TRY_CAST(packets_out AS BIGINT), 0)) AS packets,
  min(coalesce(k8sviz_epoch(t_start), TRY_CAST(t_start AS TIMESTAMPTZ))) AS first_seen,
  max(coalesce(k8sviz_epoch(coalesce(t_end, t_start)), TRY_CAST(coalesce(t_end, t_start) AS TIMESTAMPTZ)))
    AS last_seen
FROM (
  SELECT {_columns("kv", (c for c, _ in _GOLDMANE_KEY))}, {_columns("fv", (c for c, _ in _GOLDMANE_FLOW))},
    {_GOLDMANE_ENUM_TYPES}, filename
  FROM (
    SELECT json_extract_string(k, {_paths(p for _, p in _GOLDMANE_KEY)}) AS kv,
      json_extract(k, {_paths([*_GOLDMANE_RECORD, *(p for _, p in _GOLDMANE_ENUMS)])}) AS r,
      json_extract_string(f, {_paths(p for _, p in _GOLDMANE_FLOW)}) AS fv, filename
    FROM (
      SELECT f, coalesce(json_extract(f, '$.Key'), f) AS k, filename
      FROM (
        SELECT unnest(CASE WHEN json_type(json, '$.items') = 'ARRAY' THEN json_extract(json, '$.items[*]')
                           ELSE [json] END) AS f, filename
        FROM read_json_objects({{files}}, format='{{jformat}}', ignore_errors=true, filename=true)
        WHERE json IS NOT NULL
      )
    )
  )
  WHERE {_any_present("r", len(_GOLDMANE_RECORD))}
)
GROUP BY ALL
"""

_PARQUET = """
SELECT
  source_format::VARCHAR AS source_format, reporter::VARCHAR AS reporter, {event_type} AS event_type,
  observation_point::VARCHAR AS observation_point,
  src_type::VARCHAR AS src_type, src_namespace::VARCHAR AS src_ns, src_pod::VARCHAR AS src_pod,
  src_workload::VARCHAR AS src_wl, src_ip::VARCHAR AS src_ip, src_address_space::VARCHAR AS src_space,
  dst_type::VARCHAR AS dst_type, dst_namespace::VARCHAR AS dst_ns, dst_pod::VARCHAR AS dst_pod,
  dst_workload::VARCHAR AS dst_wl, dst_ip::VARCHAR AS dst_ip, dst_address_space::VARCHAR AS dst_space,
  dst_service::VARCHAR AS dst_service, dst_port::INTEGER AS dst_port, protocol::VARCHAR AS protocol,
  verdict::VARCHAR AS verdict, true AS request, min({file}) AS file, count(*) AS records,
  -- Connections as connection_counts (k8sviz.flows.compare) counts them; Python picks
  -- flows_hubble for Hubble rows, whose events count by distinct 5-tuple (a row per source
  -- port here, counted across the archive: see the note above _KEYS).
  sum(coalesce(num_flows, 1)) AS flows,
  CASE WHEN addressed THEN src_port END AS conn_sport, addressed,
  sum(coalesce(bytes_in, 0) + coalesce(bytes_out, 0)) AS bytes,
  sum(coalesce(packets_in, 0) + coalesce(packets_out, 0)) AS packets,
  min(time) AS first_seen, max(coalesce(end_time, time)) AS last_seen
FROM (
  SELECT *, coalesce(source_format::VARCHAR = 'hubble' AND src_ip IS NOT NULL AND src_port IS NOT NULL
                     AND dst_ip IS NOT NULL AND dst_port IS NOT NULL, false) AS addressed
  FROM read_parquet({files}, union_by_name=true, filename=true)
)
WHERE NOT coalesce(is_reply, source_format::VARCHAR = 'hubble' AND verdict::VARCHAR <> 'denied')
GROUP BY ALL
"""
_PARQUET_FROM = "read_parquet({files}, union_by_name=true, filename=true)"

# The rows of _HUBBLE and _PARQUET are a first stage (a temporary table, per source port of each
# Hubble request's 5-tuple); the second aggregates them into a row per endpoints, port,
# protocol, verdict and observer, and adds each connection (a 5-tuple of an observer) to
# k8sviz_conns.  Each is then counted once, by one row: a connection in several files, read by
# DuckDB and by load_flows' reader (a damaged file), or in a file of lines and an array, counts
# once, as flow_edges counts it.  flow_edges counts the first record of its table, which
# load_flows sorts by time (stably: of records at one time, the first file's in the order it
# reads them, k8sviz.flows._files, then the first line's); so the row that counts is the one
# whose records start first in time, then the first file's (``file``: its place in that order,
# never its name, which compares otherwise as text: "a-b/x" < "a/x"), then of rows of one file
# the one whose first record of that time comes first in it (``pos``, read for such ties only:
# the aggregation reads no positions, which DuckDB gives in file order only on one thread, see
# _place_ties).
_KEYS = {
    "hubble": ("src_ns", "src_pod", "src_wl", "src_ip", "src_kind", "dst_ns", "dst_pod", "dst_wl", "dst_ip",
               "dst_kind", "dst_service", "dst_port", "protocol", "verdict", "reporter", "event_type",
               "observation_point", "request"),
    "table": ("source_format", "reporter", "event_type", "observation_point", "src_type", "src_ns",
              "src_pod", "src_wl", "src_ip", "src_space", "dst_type", "dst_ns", "dst_pod", "dst_wl", "dst_ip",
              "dst_space", "dst_service", "dst_port", "protocol", "verdict", "request"),
}
_CONNS = """CREATE TEMP TABLE k8sviz_conns (part INTEGER, grp UBIGINT, file BIGINT, src_ip VARCHAR,
  src_port INTEGER, dst_ip VARCHAR, dst_port INTEGER, protocol VARCHAR, verdict VARCHAR, reporter VARCHAR,
  event_type VARCHAR, observation_point VARCHAR, first_seen TIMESTAMPTZ, pos BIGINT)"""
# An address written in JSON as it is (no character that JSON escapes but as \uXXXX).
_PLAIN_ADDRESS = re.compile(r"[0-9A-Za-z.:%_-]+")
# A connection's key in k8sviz_conns: its 5-tuple, verdict and observer.
_CONN = "src_ip, src_port, dst_ip, dst_port, protocol, verdict, reporter, event_type, observation_point"


def _staged(con: Any, sql: str, kind: str, part: int) -> pd.DataFrame:
    """The pre-aggregated rows of the first stage ``sql`` (of _HUBBLE or _PARQUET, ``kind``
    ``hubble`` or ``table``): the second stage, with a ``grp`` naming each row; its connections
    are added to k8sviz_conns as ``part``'s (see the note above _KEYS)."""
    from .hubble import _EVENT_TYPES

    keys = ", ".join(_KEYS[kind])
    con.execute(f"CREATE OR REPLACE TEMP TABLE k8sviz_stage AS {sql}")
    connections = "count(*) FILTER (WHERE addressed) + coalesce(sum(records) FILTER (WHERE NOT addressed), 0)"
    flows = (f"({connections})::BIGINT AS flows" if kind == "hubble"
             else f"sum(flows)::BIGINT AS flows, ({connections})::BIGINT AS flows_hubble")
    out: pd.DataFrame = con.execute(
        f"SELECT {keys}, min(file) AS file, sum(records)::BIGINT AS records, {flows}, "
        "sum(bytes)::BIGINT AS bytes, sum(packets)::BIGINT AS packets, min(first_seen) AS first_seen, "
        f"max(last_seen) AS last_seen, hash({keys}) AS grp FROM k8sviz_stage GROUP BY ALL").df()
    # The observer as load_flows names it: Hubble's event type by its name (hubble.event_name).
    event = "event_type"
    if kind == "hubble":
        names = " ".join(f"WHEN '{n}' THEN '{name}'" for n, name in _EVENT_TYPES.items())
        event = f"CASE event_type {names} ELSE event_type END"
    con.execute(f"INSERT INTO k8sviz_conns SELECT {part}, hash({keys}), file, src_ip, conn_sport, dst_ip, "
                f"dst_port, protocol, verdict, reporter, {event}, observation_point, first_seen, NULL "
                "FROM k8sviz_stage WHERE addressed")
    con.execute("DROP TABLE k8sviz_stage")
    return out


#: The oldest DuckDB the archive is tested with. Older ones lack ``file_index`` (before 1.3)
#: or ``WITH ORDINALITY`` (before 1.4), and 1.4-1.5 read a cut JSON array otherwise, so the
#: archive would no longer agree with load_flows.
DUCKDB_MIN = (2, 0)


def _check_duckdb(version: str) -> None:
    """Refuse a DuckDB older than :data:`DUCKDB_MIN`, with the command that upgrades it."""
    try:
        found = tuple(int(x) for x in version.split(".")[:2])
    except ValueError:
        return  # a development build: let it run
    if found < DUCKDB_MIN:
        need = ".".join(map(str, DUCKDB_MIN))
        raise InputError(f"aggregate_flow_archive needs DuckDB {need} or later, and DuckDB {version} is "
                         f"installed: pip install -U 'duckdb>={need}'")


def _count_once(parts: list[tuple[str, pd.DataFrame]], elsewhere: dict[tuple[int, int], int]) -> None:
    """Take from each part's rows the connections a row before it counts (see the note above _KEYS)."""
    for part, (kind, df) in enumerate(parts):
        if "grp" not in df or not len(df):
            continue
        lost = df["grp"].map(lambda g, part=part: elsewhere.get((part, int(g)), 0)).astype("int64")
        column = "flows" if kind == "hubble" else "flows_hubble"
        df[column] = df[column].astype("int64") - lost


def _counted_elsewhere(con: Any) -> dict[tuple[int, int], int]:
    """Per (part, grp): how many of its connections another row counts, as flow_edges counts
    them: the row whose records of it start first in time, then the first file's (in load_flows' order),
    then of rows of one file the one whose first record of that time comes first in it
    (``pos``, see _place_ties), then the first part's (see the note above _KEYS)."""
    rows = con.execute(
        f"SELECT part, grp, count(*) FROM (SELECT part, grp, row_number() OVER (PARTITION BY {_CONN} "
        "ORDER BY first_seen, file, pos, part, grp) AS k FROM k8sviz_conns) WHERE k > 1 "
        "GROUP BY ALL").fetchall()
    return {(int(part), int(grp)): int(n) for part, grp, n in rows}


def _place_ties(con: Any, hubble: dict[int, tuple[str, str]], names: list[str]) -> None:
    """Set ``pos`` in k8sviz_conns where time cannot tell which row of a file counts a
    connection: two rows of one Hubble file of ``hubble`` (part -> its JSON format and
    spelling) whose records of it start at the same time, its endpoints named two ways (a pod
    name on one, none on the other); ``names`` are the files by their number (``file``).
    ``pos`` is the position in the file of each of that
    file's rows' first record of its earliest time, as flow_edges tells them apart (by line).

    The positions come from a second scan of each such file alone, WITH ORDINALITY: DuckDB 2.0.1
    numbers the rows by a streaming window (row_number() OVER ()), an operator it runs on one
    thread only and that keeps its input's order, so the scan under it gives the rows in file
    order (plain, gzipped, arrays, objects one after another; checked on 70 MB of lines with
    2 and 4 threads).  A scan on several threads gives them in no set order, which is why the
    aggregation itself has no positions.  The second scan reads the whole file on one thread
    but reads the fields only of records that can hold a tied connection (1.0 CPU-s on the
    bench's 358 MB of lines, against 5.5 s with every record's; bench/README.md), paid only
    for a file with such a tie (none where each connection is named one way or its names start
    at different times)."""
    if not hubble:
        return
    # Ties anywhere, not only the first place of a connection: a grouping costs a fifth of the
    # windows that would tell the first place (0.09 against 0.46 CPU-s on 300,000 connections),
    # and a file rescanned for a later tie changes no count.
    ties = con.execute(
        f"SELECT DISTINCT part, file, src_ip FROM k8sviz_conns WHERE part IN ({', '.join(map(str, hubble))}) "
        f"GROUP BY {_CONN}, file, first_seen, part HAVING count(*) > 1 ORDER BY part, file").fetchall()
    sources: dict[tuple[int, int], set[str]] = {}
    for part, file, ip in ties:
        sources.setdefault((int(part), int(file)), set()).add(ip)
    keys = ", ".join(_KEYS["hubble"])
    for (part, file), ips in sources.items():
        jformat, spelling = hubble[part]
        sql = _camel_sql(_HUBBLE) if spelling == "camel" else _HUBBLE
        # The position stands in for the file name, and the stage's file is the position of the
        # row's first record of its earliest time (flow_edges takes the first line of records at
        # one time, whatever came before them); the window is right over the scan, before any
        # filter.
        first = "min({'t': TRY_CAST(coalesce(ftime, wtime) AS TIMESTAMPTZ), 'p': filename}).p AS file"
        sql = sql.replace("min(filename) AS file", first)
        numbered = (f"(SELECT json, ordinality AS filename FROM read_json_objects({_list([names[file]])}, "
                    f"format='{jformat}', ignore_errors=true) WITH ORDINALITY)")
        if len(ips) <= 64 and all(_PLAIN_ADDRESS.fullmatch(ip) for ip in ips):
            # Only the records that can hold a tied connection are read for their fields: those
            # whose text holds its source address as a JSON string.  An address of no quote or
            # backslash is written so or with a \u escape, and a record with one is kept too.
            near = " OR ".join(f"contains(json::VARCHAR, '\"{ip}\"')" for ip in sorted(ips))
            numbered = f"(SELECT * FROM {numbered} WHERE contains(json::VARCHAR, '\\u') OR {near})"
        sql = sql.replace(_HUBBLE_SOURCE, numbered).replace("{jformat}", jformat)
        con.execute(
            f"UPDATE k8sviz_conns SET pos = s.pos FROM (SELECT hash({keys}) AS grp, conn_sport, "
            f"min(file) AS pos FROM ({sql}) WHERE addressed GROUP BY ALL) AS s "
            f"WHERE part = {int(part)} AND file = {file} AND k8sviz_conns.grp = s.grp "
            "AND src_port = s.conn_sport")


# The first scan of each group of JSON files, before the aggregation: per file and kind of
# object, how many objects DuckDB read, how many flow records they hold (as the aggregation
# counts them: the same conditions as its WHERE), how many load_flows would read otherwise
# (see _checker: a key given twice, a value it rejects, a record it counts otherwise), the
# file's time window and its Hubble lost_events objects.  With ignore_errors, DuckDB gives a
# NULL for each line of JSON lines that is no JSON (cut, a stray quote, a byte that is no
# UTF-8, a byte-order mark inside the file): kind "bad".  Its cost is measured in
# aggregate_flow_archive's Notes.
_SCREEN = """
SELECT filename AS file, kind, count(*) AS objects, sum(records)::BIGINT AS records,
  count(*) FILTER (WHERE c.doubt) AS doubts, min(c.first) AS first, max(c.last) AS last,
  list(json::VARCHAR) FILTER (WHERE kind = 'lost_events') AS lost
FROM (
  SELECT filename, json, kind, records,
    CASE WHEN json IS NOT NULL THEN k8sviz_check_{fmt}(json::VARCHAR, kind, records) END AS c
  FROM (
    SELECT filename, json, CASE WHEN json IS NULL THEN 'bad' ELSE {kind} END AS kind,
      CASE WHEN json IS NULL THEN 0 ELSE {records} END AS records
    FROM ({probe})
  )
)
GROUP BY ALL
"""
_OBJECTS = "read_json_objects({files}, format='{jformat}', ignore_errors=true, filename=true)"


def _screen_sql(fmt: str) -> tuple[str, str, str]:
    """``(probe, kind, records)``: SQL for the objects of a file of ``fmt`` (``filename``, ``json``
    and what the other two read of it), for the kind of one object (``flow``, a kind of non-flow
    object as load_flows names it, or a shape the aggregation cannot read) and for the number of
    flow records it holds for the aggregation.

    Each object is parsed once for the fields that tell its kind (a list of paths, present even
    as JSON null as json_extract tells it), as the aggregation reads its records: a json_extract
    per field held a JSON parse arena per expression."""
    if fmt == "hubble":
        from .hubble import _NON_FLOW, NON_FLOW_CAMEL

        names = [(k, k) for k in _NON_FLOW] + list(NON_FLOW_CAMEL.items())
        keys = ["flow", "verdict", *(key for key, _ in names)]
        probe = f"SELECT filename, json, json_extract(json, {_paths(keys)}) AS p FROM {_OBJECTS}"
        others = " ".join(f"WHEN p[{i}] IS NOT NULL THEN '{kind}'" for i, (_, kind) in enumerate(names, 3))
        is_flow = "p[1] IS NOT NULL OR p[2] IS NOT NULL"
        return (probe, f"CASE WHEN {is_flow} THEN 'flow' {others} ELSE 'other' END",
                f"CASE WHEN {is_flow} THEN 1 ELSE 0 END")
    if fmt == "calico":
        probe = ("SELECT filename, json, json_extract(coalesce(json_extract(json, '$._source'), json), "
                 f"{_paths(['hits.hits', *_CALICO_RECORD])}) AS p FROM {_OBJECTS}")
        is_flow = "(p[2] IS NOT NULL OR p[3] IS NOT NULL OR p[4] IS NOT NULL)"
        # A whole search response ({"hits": {"hits": [...]}}): load_flows reads its hits, the
        # aggregation does not.
        return (probe, f"CASE WHEN json_type(p[1]) = 'ARRAY' THEN 'search-response' "
                       f"WHEN {is_flow} THEN 'flow' ELSE 'other' END",
                f"CASE WHEN {is_flow} THEN 1 ELSE 0 END")

    def record(f: str) -> str:
        """SQL: the names of the Goldmane object ``f``'s key, JSON (a flow's has one, see _GOLDMANE)."""
        return f"json_extract(coalesce(json_extract({f}, '$.Key'), {f}), {_paths(_GOLDMANE_RECORD)})"

    # ``p``: a Whisker list response, whose items are the flows; ``r``: an object's key names.
    probe = (f"SELECT filename, json, p, CASE WHEN NOT coalesce(p, false) THEN {record('json')} END AS r "
             f"FROM (SELECT filename, json, json_type(json, '$.items') = 'ARRAY' AS p FROM {_OBJECTS})")
    is_flow = "r[1] IS NOT NULL OR r[2] IS NOT NULL"
    return (probe, f"CASE WHEN p THEN 'list' WHEN {is_flow} THEN 'flow' ELSE 'other' END",
            f"CASE WHEN p THEN len(list_filter(json_extract(json, '$.items[*]'), "
            f"lambda i: list_count({record('i')}) > 0)) WHEN {is_flow} THEN 1 ELSE 0 END")


# Objects of these kinds are read by load_flows' own reader (see aggregate_flow_archive, Notes).
_DAMAGE = ("bad", "search-response")


def _checker(fmt: str) -> Callable[[Any, Any, Any], Any]:
    """A DuckDB function (Arrow) for the screen of ``fmt`` files: per object (its text, its kind
    and its flow records as the screen counts them), ``doubt``: whether load_flows reads it
    otherwise than the aggregation does, and ``first``, ``last``: the time window of its records
    (nanoseconds), as load_flows gives it.

    The object is read by load_flows' own parser and checked by its own checks, so the two
    cannot drift apart: a key given twice (DuckDB keeps the first value, orjson the last; see
    :func:`k8sviz.flows._table.repeated_key`), a value load_flows rejects (a time a flow table
    cannot hold, an address that is no IP address, a value of the wrong JSON type: a
    ``bad-time``, ``bad-end-time`` or ``malformed`` problem), or an object it counts as another
    kind or number of records than the screen does.  A file with such an object is read by
    load_flows' reader (see ``_read_damaged``), which reports each with its line.
    """
    import numpy as np
    import orjson
    import pyarrow as pa

    from ._table import _to_time, address_problem, record_problem, repeated_key
    from .calico import parse_doc
    from .goldmane import parse_goldmane
    from .hubble import parse_flow

    parse = {"hubble": parse_flow, "goldmane": parse_goldmane}.get(fmt, parse_doc)
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    # What passed load_flows' checks already: endpoints (text, IP addresses) and the other checked
    # values of a record with their types (True == 1, but is_reply 1 is no boolean).  A record
    # of both is checked by its ports alone: the checks depend on nothing else.
    good: set[Any] = set()
    fine: set[Any] = set()

    def rejected(r: Any) -> bool:
        """Whether load_flows reports record ``r`` (a raw record of a parser) as malformed."""
        if r.__class__ is not tuple:
            return True
        rest = r[6:20] + r[22:]  # all but the line, times, endpoints and ports
        key: Any = (rest, tuple([v.__class__ for v in rest]))
        try:
            if (r[2] in good and r[4] in good and key in fine
                    and (r[3] is None or (r[3].__class__ is int and 0 <= r[3] <= 65535))
                    and (r[5] is None or (r[5].__class__ is int and 0 <= r[5] <= 65535))):
                return False
        except TypeError:  # an unhashable value: a list or an object where text belongs
            key = None
        if (record_problem(r) is not None or address_problem(r[2], "source") is not None
                or address_problem(r[4], "destination") is not None):
            return True
        if len(good) > 100_000 or len(fine) > 100_000:
            good.clear()
            fine.clear()
        good.update((r[2], r[4]))
        if key is not None:
            fine.add(key)
        return False
    struct = pa.struct([("doubt", pa.bool_()), ("first", pa.int64()), ("last", pa.int64())])

    def check(raw: Any, kinds: Any, counts: Any) -> Any:
        texts, kind, count = raw.to_pylist(), kinds.to_pylist(), counts.to_pylist()
        doubt: list[bool | None] = [None if t is None else False for t in texts]
        times: list[Any] = []
        ends: list[Any] = []
        owner: list[int] = []
        for i, text in enumerate(texts):
            if text is None:
                continue
            b = text.encode()
            try:
                obj = loads(b)
                if repeated_key(b, obj) is not None:
                    doubt[i] = True
                    continue
                rec = parse(obj, 0)
            except (decode_error, TypeError, ValueError, AttributeError, KeyError):
                doubt[i] = True  # DuckDB's reader took it, load_flows does not
                continue
            if rec.__class__ is str:  # a kind of object that holds no flow
                doubt[i] = rec != kind[i] or bool(count[i])
                continue
            recs = [rec] if rec.__class__ is tuple else rec if rec.__class__ is list else []
            if len(recs) != count[i]:
                doubt[i] = True
                continue
            for r in recs:
                if rejected(r):
                    doubt[i] = True  # a bad item of a list, a value of the wrong type
                    break
                times.append(r[1])
                ends.append(r[21])
                owner.append(i)
        n = len(texts)
        first = np.full(n, np.iinfo(np.int64).max, np.int64)
        last = np.full(n, np.iinfo(np.int64).min, np.int64)
        if times:
            at = np.asarray(owner)
            t = _to_time(times)
            e = _to_time(ends)
            # A time a flow table cannot hold (bad-time), an end time it cannot (bad-end-time).
            bad = t.isna().to_numpy() | (e.isna().to_numpy() & np.array([x is not None for x in ends]))
            for i in np.unique(at[bad]):
                doubt[i] = True
            tv = t.to_numpy("int64", na_value=0)
            np.minimum.at(first, at, tv)
            np.maximum.at(last, at, e.fillna(t).to_numpy("int64", na_value=0))
        held = np.zeros(n, bool)
        if owner:
            held[np.asarray(owner)] = True
        return pa.StructArray.from_arrays(
            [pa.array(doubt, pa.bool_()), pa.array(first, mask=~held), pa.array(last, mask=~held)],
            fields=list(struct))

    return check


_SUMS = ["records", "flows", "allowed", "denied", "unknown", "bytes", "packets"]
_OUT = ["src", "dst", "protocol", "ports", *_SUMS, "first_seen", "last_seen", "sources",
        "src_type", "dst_type"]


_MEMORY_LIMIT = "aggregate_flow_archive: memory_limit must be a size such as '1GB' or '500MB'"


def aggregate_flow_archive(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    snapshot: Snapshot | str | os.PathLike[str] | None = None,
    *,
    level: Literal["workload", "namespace"] = "workload",
    memory_limit: str = "1GB",
    threads: int | None = None,
) -> pd.DataFrame:
    """Aggregate a flow archive into edges without loading it into memory.

    DuckDB scans the files (streaming, spilling to a temporary directory beyond
    ``memory_limit``) and reduces them to one row per distinct endpoint pair, port, protocol,
    verdict and observer; only those rows reach Python, where endpoints are mapped to the
    snapshot exactly as :func:`k8sviz.load_flows` does and counted into edges as
    :func:`k8sviz.flow_edges` counts them (the largest count of any one observer).

    Parameters
    ----------
    paths
        Files or directories: Hubble, Calico or Goldmane JSON (``.gz`` allowed) and Parquet files
        of the normalized table (``load_flows(...).to_parquet(path)``).  Directories are searched
        as :func:`k8sviz.load_flows` searches them (hidden files and directories skipped), for
        Parquet files too, and the files taken in its order (see Notes).  CSV files and captured
        event streams (``data:`` lines), which DuckDB's JSON reader does not read, are read by
        load_flows' own reader, one file at a time in memory (see Notes).  Replies (Hubble
        ``is_reply``, or as :func:`k8sviz.load_flows` tells it from the TCP flags) and Hubble
        records of unknown direction are left out, as :func:`k8sviz.flow_edges` does.
        Damaged input is counted and reported as :func:`k8sviz.load_flows` reports it (see Notes).
    snapshot
        Used to map pod names and IPs to workloads.
    level
        ``"workload"`` or ``"namespace"``.
    memory_limit, threads
        DuckDB settings.  DuckDB does not spill every part of these queries to disk: when it runs
        out of memory the call raises :class:`k8sviz.InputError` naming the files and the limit
        (each query's own need is small: the demo's Hubble file aggregates in 300MB on one
        thread, its Calico file in 150MB; DuckDB's JSON reader and functions hold buffers per
        thread).

    Returns
    -------
    pandas.DataFrame
        ``src, dst, protocol, ports, records, flows, allowed, denied, unknown, bytes, packets,
        first_seen, last_seen, sources, src_type, dst_type``, ordered by flows (descending);
        same labels as :func:`k8sviz.flow_edges`, and as it does, one row per kind of endpoint
        where two kinds share a label (a node ``x`` and the workload ``x`` of a namespace
        called ``node`` are both ``node/x``: ``src_type`` tells them apart; pods and workloads
        are one kind, so an edge's ``pod`` or ``workload`` is that of one of its records).
        ``df.attrs["k8sviz"]`` is a load report as :func:`k8sviz.load_flows` gives one (see
        :func:`k8sviz.flow_report`): ``sources`` (per file its format, records, malformed,
        truncated and skipped objects, Hubble ``lost_events`` and its time window ``first``,
        ``last``), ``problems`` (kind, file, line, message; the first 200) and
        ``problem_counts``; what it holds is also said in a :class:`k8sviz.FlowWarning`.
        ``unmapped`` counts the records of each endpoint that could not be mapped per reason, as
        load_flows counts them (every record, replies too); where DuckDB aggregated the records
        an example names the first file that holds it (in load_flows' order) with a ``line`` of None, and
        ``lines`` is None for those files.  The aggregation reads no positions: DuckDB gives a
        file's rows in file order only on one thread (see Notes), and what it numbers are
        objects, not lines (it skips blank lines; an array's objects share lines), so no line of
        load_flows' can be told from them.  load_flows counts the last line it read (of an array
        or pretty-printed objects, the first line of the last object), which would cost another
        scan of each file, decompressed, and a parse of its objects.  Files read by load_flows'
        reader (damaged ones, CSV, event streams) have both, as load_flows gives them.

    Notes
    -----
    Each group of JSON files is scanned twice by DuckDB: once to screen it and once to
    aggregate it.  The screen reads each object with load_flows' own parser and checks (a
    DuckDB function in Python, per object), so the archive and load_flows agree on what a
    record is and which records are bad; it also adds up Hubble ``lost_events`` (by
    load_flows' rules) and each file's time window.  That costs CPU time, the parser running per
    object in Python: +11 to +30% in paired runs on 300,000 bench_flows lines at
    ``memory_limit="3GB"`` (a throwaway script outside bench/, on a shared machine, before
    the aggregation read each record once for all its fields).
    What the screen finds:

    * Lines of JSON lines that are no JSON (cut mid-write, a stray quote, a byte that is no
      UTF-8) are ``malformed`` problems, the last line cut mid-write ``truncated``, each with its
      file and line as load_flows reports them (found by reading that file line by line, only
      for a file that has such lines), and are left out of the edges.
    * A file that DuckDB cannot read as load_flows reads it is read by load_flows' own reader
      instead, and its table aggregated: its records are then held in memory (those of that
      file only).  Such files are those with a record that load_flows rejects or reads
      otherwise than the aggregation: a time a flow table cannot hold (``9999-12-31T23:59:59Z``:
      ``bad-time``) or no time, an end time it cannot hold (``bad-end-time``, the record kept),
      an address that is no IP address or a value of the wrong JSON type (``malformed``), a
      key given twice (DuckDB would keep the first value, orjson the last: load_flows reports
      the record as malformed, never reads either), an object that is a record to one and not
      the other; and files with a damaged object in an array or stream of objects (DuckDB
      stops reading there; load_flows costs only that record, reporting its lines), a gzip
      stream that ends early or fails its CRC check (DuckDB checks none and reads a flipped bit
      as other text: each ``.gz`` file is decompressed once more, in Python, to check it), a
      byte-order mark inside the file (files joined with ``cat``) or
      a Calico search response (``{"hits": {"hits": [...]}}``).  Every such record is then
      reported with its file and line, as load_flows reports it, and left out of the edges.
    * Empty and blank files, UTF-16 text and files of no known format are problems of the
      report, as in load_flows, not errors.
    * A Parquet file that is cut short, no Parquet at all, no table of load_flows (a column
      missing) or damaged past its footer raises :class:`k8sviz.InputError` naming it (of
      several files, the one that cannot be read).

    A Hubble connection (a 5-tuple and verdict of an observer) counts once however many files
    hold it and whichever way each is read (by DuckDB, by load_flows' reader, from Parquet), as
    :func:`k8sviz.flow_edges` counts it.  Where its records name its endpoints two ways (a pod
    name on some, none on others), which makes two edges, it counts on the edge of its first
    record in load_flows' table, which is sorted by time: its earliest record's, of records at
    one time the first file's (in the order load_flows reads them: each path as given, a
    directory's files sorted as paths, ``a/x`` before ``a-b/x``), and of those of one file the
    first in the file.  That
    last is read only for a file with such a tie, by a second scan of that file alone on one
    thread: DuckDB numbers rows in file order (``WITH ORDINALITY``) only so, while the
    aggregation runs on every thread and reads no positions.  Files that DuckDB aggregates in
    one query count by the first file (in that order) that holds each way of naming, which is not
    always the file of its earliest record: a connection named one way in two such files and
    the other way in the second, at the same time, can count on the other edge than in
    flow_edges.
    """
    try:
        import duckdb
    except ImportError as e:  # pragma: no cover - depends on the environment
        msg = "aggregate_flow_archive needs DuckDB: pip install 'k8sviz[flows]'"
        raise InputError(msg) from e
    _check_duckdb(duckdb.__version__)
    import shutil
    import tempfile

    from . import _count_problems, _detect, _files, _load_snapshot
    from .mapping import Mapper

    if not one_of(level, ("workload", "namespace")):
        msg = f"level must be workload or namespace, not {as_given(level)}"
        raise InputError(msg)
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    if not isinstance(paths, Iterable) or isinstance(paths, bytes):
        msg = f"aggregate_flow_archive: paths must be a path or a list of paths, got {type_name(paths)}"
        raise InputError(msg)
    paths = list(paths)
    require_paths(tuple(paths), "aggregate_flow_archive")
    if not isinstance(memory_limit, str):
        raise InputError(f"{_MEMORY_LIMIT}, got {as_given(memory_limit)}")
    if threads is not None and (not is_count(threads) or threads < 1):
        msg = ("aggregate_flow_archive: threads must be a whole number of at least 1 or None, "
               f"got {as_given(threads)}")
        raise InputError(msg)
    files = _files(paths, parquet=True)
    # Each file by its place in load_flows' order of files (see _KEYS): the order of its records
    # at one time in load_flows' table, which the aggregation compares as numbers, not names.
    names = [str(p) for p in files]
    order = {name: i for i, name in enumerate(names)}
    parquet = [name for name in names if name.endswith(".parquet")]
    groups: dict[tuple[str, str, str], list[str]] = {}
    readers: list[str] = []  # files for load_flows' own reader
    report = Report()
    sources: dict[str, dict[str, Any]] = {}  # per file, in the order read: the load report's sources
    for p in files:
        if p.name.endswith(".parquet"):
            continue
        fmt, framing = _detect(p, report)
        sources[str(p)] = _source(str(p), fmt)
        if fmt is not None and (framing == "sse" or fmt == "csv"):
            # Formats DuckDB's JSON reader does not read (CSV, captured event streams): read by
            # load_flows' reader, as damaged files are, with their problems.  A damaged JSON
            # file can look like CSV (a cut first line): it is reported as load_flows reports
            # it, not a reason to refuse the whole archive.
            readers.append(str(p))
        elif fmt in ("hubble", "calico", "goldmane"):
            jformat = (
                "newline_delimited"
                if framing == "lines"
                else ("array" if head(p).lstrip()[:1] == b"[" else "unstructured")
            )
            spelling = _hubble_names(p) if fmt == "hubble" else "proto"
            groups.setdefault((fmt, jformat, spelling), []).append(str(p))
        elif fmt is not None:
            msg = f"{fmt} files are not supported in archives; load them with k8sviz.load_flows"
            raise InputError(msg, source=str(p))
    for name in parquet:
        sources[name] = _source(name, "parquet")
    if not sources:
        msg = "no Hubble, Calico, Goldmane or Parquet flow files found"
        raise InputError(msg, source=", ".join(map(str, paths)))
    snap = _load_snapshot(snapshot, "aggregate_flow_archive")
    mapper = Mapper(snap)
    spill = tempfile.mkdtemp(prefix="k8sviz-duckdb-")
    try:
        con = duckdb.connect(
            config={
                "memory_limit": memory_limit,
                "temp_directory": spill,
                "preserve_insertion_order": False,
            }
        )
    except duckdb.Error as e:  # a size DuckDB cannot read ("1 gig"): its own exception class
        shutil.rmtree(spill, ignore_errors=True)
        raise InputError(f"{_MEMORY_LIMIT}, got {as_given(memory_limit)} ({e})") from None
    parts: list[tuple[str, pd.DataFrame]] = []
    hubble_parts: dict[int, tuple[str, str]] = {}  # the parts of Hubble JSON: their format and spelling
    try:
        con.execute("SET enable_progress_bar=false")  # a library call: no bar on stderr
        if threads:
            con.execute(f"SET threads={int(threads)}")
        # Unix seconds to a time, NULL beyond what a nanosecond table holds (about 1677 to 2262,
        # as load_flows; to_timestamp raises on seconds past its own range, such as 1e20).
        for macro in _RESERVED_MACROS:
            con.execute(macro)
        con.execute("CREATE TEMP MACRO k8sviz_epoch(x) AS CASE WHEN abs(TRY_CAST(x AS DOUBLE)) < 9.2e9 "
                    "THEN to_timestamp(TRY_CAST(x AS DOUBLE)) END")
        con.execute(_CONNS)
        check = duckdb.struct_type({"doubt": "BOOLEAN", "first": "BIGINT", "last": "BIGINT"})
        for fmt in sorted({g[0] for g in groups}):
            con.create_function(f"k8sviz_check_{fmt}", _checker(fmt), ["VARCHAR", "VARCHAR", "BIGINT"],  # type: ignore[call-overload]
                                check, type="arrow")
        damaged: list[str] = list(readers)
        for (fmt, jformat, spelling), group in sorted(groups.items()):
            cut = [n for n in group if n.endswith(".gz") and _gzip_damaged(n)]
            damaged += cut
            group = [n for n in group if n not in cut]
            if not group:
                continue
            bad = _screen(con, duckdb.Error, fmt, jformat, group, sources, report)
            damaged += bad
            group = [n for n in group if n not in bad]
            if not group:
                continue
            sql = {"hubble": _HUBBLE, "goldmane": _GOLDMANE}.get(fmt, _CALICO)
            if spelling == "camel":
                sql = _camel_sql(sql)
            # The scan's "filename" is the file's number in the scan, "file" its place in the order.
            sql = sql.replace(_HUBBLE_SOURCE, f"(SELECT json, file_index AS filename FROM {_HUBBLE_SOURCE})")
            sql = sql.replace("{files}", _list(group))
            sql = sql.replace("min(filename) AS file", _first_file([order[n] for n in group], "filename"))
            sql = sql.replace("{jformat}", jformat)
            if fmt == "hubble":
                hubble_parts[len(parts)] = (jformat, spelling)
            rows = _staged(con, sql, "hubble", len(parts)) if fmt == "hubble" else con.execute(sql).df()
            parts.append((fmt, rows))
        if damaged:
            # Read in load_flows' order: the first example of an unmapped endpoint is its first file's.
            damaged.sort(key=order.__getitem__)
            parts.append(("table", _read_damaged(con, damaged, mapper, report, sources, len(parts), order)))
        if parquet:
            parts.append(("parquet", _parquet(con, duckdb.Error, parquet, len(parts), order)))
        _place_ties(con, hubble_parts, names)
        _count_once(parts, _counted_elsewhere(con))
    except duckdb.OutOfMemoryException as e:
        msg = (f"DuckDB ran out of memory (memory_limit={as_given(memory_limit)}, "
               f"threads={threads or 'all'}): "
               f"give a larger memory_limit or fewer threads ({_first_line(e)})")
        raise InputError(msg, source=", ".join(sources)) from e
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    _count_problems(sources.values(), report)  # as load_flows counts them
    unmapped: dict[tuple[str, str], list[Any]] = {}
    edges = _edges(parts, mapper, level, unmapped)
    # Records of endpoints that could not be mapped, as load_flows counts them: those of the
    # files DuckDB aggregated from its rows (the first file that holds one, in load_flows'
    # order; no line), added to those load_flows' reader counted.
    for (reason, text), (n, file) in unmapped.items():
        seen = mapper.unmapped.setdefault(reason, {}).get(text)
        if seen is None:
            mapper.unmapped[reason][text] = [n, names[file], None]
        else:
            seen[0] += n
            if file < order[seen[1]]:
                seen[1:] = [names[file], None]
    attrs: dict[str, Any] = {
        "sources": list(sources.values()),
        "problems": report.problems,
        "problem_counts": report.problem_counts,
        "unmapped": mapper.report(),
        "snapshot": None if snap is None else snap.meta.get("cluster"),
        # which snapshot, so that the analyses refuse the flows with another one
        "snapshot_sha256": None if snap is None else snap.sha256,
    }
    _say(attrs)
    edges.attrs["k8sviz"] = attrs
    return edges


def _say(attrs: dict[str, Any]) -> None:
    """The FlowWarnings of load_flows' report, the example of an unmapped endpoint named by its
    file alone where the archive does not know its line."""
    import warnings

    from .._warnings import outside_stacklevel
    from . import FlowWarning, _warn, problem_place

    _warn({**attrs, "unmapped": {}})
    unmapped = attrs["unmapped"]
    if unmapped:
        parts = [f"{v['endpoints']} {k} ({v['records']} records)" for k, v in unmapped.items()]
        s = next(iter(unmapped.values()))["samples"][0]
        warnings.warn(f"unmapped endpoints: {', '.join(parts)}; e.g. {s['endpoint']} at {problem_place(s)}",
                      FlowWarning, stacklevel=outside_stacklevel())


def _edges(parts: list[tuple[str, pd.DataFrame]], mapper: Any, level: str,
           unmapped: dict[tuple[str, str], list[Any]]) -> pd.DataFrame:
    """The edges of the pre-aggregated rows of each part, counted as flow_edges counts them
    (requests only); the records of unmapped endpoints counted into ``unmapped``."""
    frames = [_label_rows(kind, df, mapper, level, unmapped) for kind, df in parts if len(df)]
    rows = pd.concat(frames, ignore_index=True) if frames else None
    if rows is None or not rows["_request"].any():
        return pd.DataFrame(columns=_OUT)
    rows = rows[rows["_request"]].reset_index(drop=True)
    for c in [*_SUMS, "_a", "_d", "_u"]:
        rows[c] = rows[c].fillna(0).astype("int64")
    rows["_obs"] = pd.factorize(rows["_observer"])[0]
    # Two kinds of endpoint can share a label (a node x and the workload x of a namespace called
    # "node" are both node/x): kept apart as flow_edges keeps them, never summed into one row.
    rows["_sk"] = _kinds(rows["src_type"])
    rows["_dk"] = _kinds(rows["dst_type"])
    keys = ["src", "_sk", "dst", "_dk", "protocol"]
    g = rows.groupby(keys, sort=False, dropna=False)
    edges = g[["records", "bytes", "packets"]].sum()
    edges["src_type"] = g["src_type"].first()
    edges["dst_type"] = g["dst_type"].first()
    counts = {"flows": "records", "allowed": "_a", "denied": "_d", "unknown": "_u"}
    edges = edges.join(largest_observer(rows, keys, counts))
    edges["first_seen"] = pd.to_datetime(g["first_seen"].min(), utc=True)
    edges["last_seen"] = pd.to_datetime(g["last_seen"].max(), utc=True)
    edges["ports"] = g["dst_port"].agg(lambda p: port_ranges(p.dropna()))
    edges["sources"] = g["source_format"].agg(lambda s: ",".join(sorted(set(s.dropna()))))
    edges = edges.reset_index()[_OUT]
    return edges.sort_values(["flows", "src", "dst"], ascending=[False, True, True], ignore_index=True)


# The columns of load_flows' table that the aggregation of a Parquet file reads (event_type
# came later, with k8sviz's observer counts: a table without it is read with none).
_PARQUET_COLUMNS = (
    "source_format", "reporter", "observation_point", "src_type", "src_namespace", "src_pod", "src_workload",
    "src_ip", "src_address_space", "dst_type", "dst_namespace", "dst_pod", "dst_workload", "dst_ip",
    "dst_address_space", "dst_service", "dst_port", "protocol", "verdict", "num_flows", "src_port",
    "bytes_in", "bytes_out", "packets_in", "packets_out", "time", "end_time", "is_reply",
)


def _reraise_out_of_memory(e: Exception) -> None:
    """Raise ``e`` again if it is DuckDB running out of memory: the handlers that read a DuckDB
    error as a damaged file must not take a memory limit for damage (the caller says so)."""
    import duckdb

    if isinstance(e, duckdb.OutOfMemoryException):
        raise e


def _parquet(con: Any, error: type[Exception], files: list[str], part: int,
             order: dict[str, int]) -> pd.DataFrame:
    """The pre-aggregated rows of the Parquet files (see ``_PARQUET``).  A file that is no Parquet
    (cut short, another format so named), no flow table of load_flows, or that DuckDB cannot read
    further is an InputError naming it, never DuckDB's own error or rows of NULL endpoints."""
    event_type = False
    for name in files:  # each file's schema: only its footer is read
        try:
            rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet({_list([name])})").fetchall()
        except error as e:
            _reraise_out_of_memory(e)
            msg = f"cannot be read as Parquet ({_first_line(e)})"
            raise InputError(msg, source=name) from e
        have = {r[0] for r in rows}
        missing = [c for c in _PARQUET_COLUMNS if c not in have]
        if missing:
            msg = (f"is no flow table of k8sviz.load_flows (load_flows(...).to_parquet(path)): "
                   f"no column {', '.join(missing)}")[:300]
            raise InputError(msg, source=name)
        event_type = event_type or "event_type" in have

    def run(names: list[str]) -> pd.DataFrame:
        scan = f"(SELECT *, file_index AS k8sviz_file FROM {_PARQUET_FROM})"
        sql = _PARQUET.replace(_PARQUET_FROM, scan).replace("{files}", _list(names))
        sql = sql.replace("min({file}) AS file", _first_file([order[n] for n in names], "k8sviz_file"))
        sql = sql.replace("{event_type}", "event_type::VARCHAR" if event_type else "NULL::VARCHAR")
        return _staged(con, sql, "table", part)

    try:
        return run(files)
    except error as e:
        _reraise_out_of_memory(e)
        # A damaged page past the footer (or a column of another type): which file, read alone.
        for name in files if len(files) > 1 else ():
            try:
                run([name])
            except error as one:
                _reraise_out_of_memory(one)
                msg = f"cannot be read as a flow table ({_first_line(one)})"
                raise InputError(msg, source=name) from one
        msg = f"cannot be read as a flow table ({_first_line(e)})"
        raise InputError(msg, source=", ".join(files)) from e


def _first_line(e: Exception) -> str:
    return str(e).strip().split("\n")[0][:200]


def _source(file: str, fmt: str | None) -> dict[str, Any]:
    """A file's entry in the load report's sources, with the fields load_flows gives (``lines``
    unknown: the aggregation does not count a file's lines; ``first``, ``last`` from the screen)."""
    from .hubble import new_lost

    return {"file": file, "format": fmt, "lines": None, "records": 0, "malformed": 0, "truncated": 0,
            "bad_time": 0, "skipped": {}, "lost_events": None if fmt == "parquet" else new_lost(),
            "first": None, "last": None}


def _screen(con: Any, error: type[Exception], fmt: str, jformat: str, names: list[str],
            sources: dict[str, dict[str, Any]], report: Report) -> list[str]:
    """Screen one group of JSON files (see ``_SCREEN``): count each file's records, skipped
    objects, Hubble lost events and time window into ``sources``, and return the files DuckDB
    cannot read as load_flows reads them (damaged objects, keys given twice, values load_flows
    rejects, search responses, or a file DuckDB stops reading in: a damaged array or stream of
    objects, a cut gzip stream)."""
    import orjson

    from .hubble import note_lost

    probe, kind, records = _screen_sql(fmt)
    sql = _SCREEN.replace("{probe}", probe).replace("{kind}", kind).replace("{records}", records)
    sql = sql.replace("{jformat}", jformat)
    try:
        rows = con.execute(sql.replace("{files}", _list(names)).replace("{fmt}", fmt)).fetchall()
    except error as e:
        _reraise_out_of_memory(e)
        if len(names) == 1:
            return names
        # Which file it was: each on its own (a clean file is screened again, a damaged one not read).
        bad: list[str] = []
        for n in names:
            bad += _screen(con, error, fmt, jformat, [n], sources, report)
        return bad
    damaged: set[str] = set()
    cut: dict[str, int] = {}  # files of JSON lines with lines that are no JSON: how many
    window: dict[str, tuple[int, int]] = {}
    for file, kind_, objects, recs, doubts, first, last, lost in rows:
        src = sources[file]
        if kind_ == "bad" and jformat == "newline_delimited":
            cut[file] = int(objects)
        elif kind_ in _DAMAGE or doubts:
            damaged.add(file)
        if kind_ == "flow" or kind_ == "list":
            src["records"] += int(recs or 0)
        elif kind_ not in _DAMAGE:
            src["skipped"][kind_] = src["skipped"].get(kind_, 0) + int(objects)
        for text in lost or ():  # few lines: added up by load_flows' own rules (note_lost)
            note_lost(src["lost_events"], orjson.loads(text))
        if first is not None:
            was = window.get(file, (first, last))
            window[file] = (min(was[0], first), max(was[1], last))
    for file, lines in cut.items():
        if file not in damaged and not _locate(file, lines, report):
            damaged.add(file)
    for file, (first, last) in window.items():  # ISO text, as load_flows gives it
        sources[file]["first"] = pd.Timestamp(first, unit="ns", tz="UTC").isoformat()
        sources[file]["last"] = pd.Timestamp(last, unit="ns", tz="UTC").isoformat()
    return [n for n in names if n in damaged]


def _gzip_damaged(name: str) -> bool:
    """Whether a gzip file's stream is damaged (cut short, a CRC or length that does not match,
    junk after it): DuckDB checks no CRC and reads a flipped bit as other text, where
    load_flows' reader (Python's gzip) reports the file unreadable at the line it reached.
    Read once, streaming."""
    import gzip
    import zlib

    try:
        with gzip.open(name, "rb") as fh:
            while fh.read(1 << 20):
                pass
    except (OSError, EOFError, zlib.error):  # gzip.BadGzipFile is an OSError
        return True
    return False


def _locate(file: str, expected: int, report: Report) -> bool:
    """Report the lines of a file of JSON lines that are no JSON, as load_flows does (``truncated``
    for a last line cut mid-write, else ``malformed``), reading it line by line (streaming: only
    for a file DuckDB found such lines in).  False, reporting nothing, unless they are the
    ``expected`` lines DuckDB left out (a byte-order mark inside the file, which load_flows reads
    past): then load_flows' reader must read the file."""
    import orjson

    from ._table import iter_lines, not_json

    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    probe = Report()
    for lineno, line, complete in iter_lines(Path(file), probe):
        try:
            loads(line)
        except decode_error as e:
            probe.problem("malformed" if complete else "truncated", file, lineno, not_json(e, line))
    kinds = set(probe.problem_counts)
    if sum(probe.problem_counts.values()) != expected or kinds - {"malformed", "truncated"}:
        return False
    for p in probe.problems:
        report.problem(p["kind"], p["file"], p["line"], p["message"])
    # Past the samples kept, counted only (as load_flows counts them).
    for kind, n in probe.problem_counts.items():
        kept = sum(1 for p in probe.problems if p["kind"] == kind)
        report.problem_counts[kind] = report.problem_counts.get(kind, 0) + n - kept
        report.by_file[(file, kind)] = report.by_file.get((file, kind), 0) + n - kept
    return True


def _read_damaged(con: Any, files: list[str], mapper: Any, report: Report,
                  sources: dict[str, dict[str, Any]], part: int, order: dict[str, int]) -> pd.DataFrame:
    """Read damaged files with load_flows' own reader and aggregate its table as a Parquet table is
    aggregated: each damaged record costs only itself and is reported with its file and line, as
    load_flows reports it, and its endpoints are counted by the archive's ``mapper`` (unmapped
    ones with their file and line).  Their records are held in memory (only these files' records)."""
    from .._gc import paused
    from . import _read_all, _set_windows
    from ._table import ChunkBuilder

    builder = ChunkBuilder(mapper, report)
    start = len(report.sources)
    with paused():  # as load_flows: millions of small tuples, which the cyclic GC would rescan
        _read_all(files, "auto", report, builder)
        table = builder.frame()
    # The sources' records and windows, as load_flows gives them.
    kept = table["file"].value_counts().to_dict() if len(table) else {}
    _set_windows(report.sources[start:], table)
    for src in report.sources[start:]:
        src["records"] = int(kept.get(src["file"], 0))
        sources[src["file"]] = src
    if not len(table):
        return table.iloc[:0]
    # DuckDB scans the DataFrame in place (categoricals as enums, cast to text below); a
    # record's file by its place in load_flows' order (see _KEYS).
    table["k8sviz_file"] = table["file"].astype(object).map(order).astype("int64")
    con.register("k8sviz_damaged", table)
    sql = _PARQUET.replace(_PARQUET_FROM, "k8sviz_damaged").replace("{file}", "k8sviz_file")
    out = _staged(con, sql.replace("{event_type}", "event_type::VARCHAR"), "table", part)
    con.unregister("k8sviz_damaged")
    return out


def _v(x: Any) -> Any:
    """A value of a pre-aggregated row as load_flows' parser holds it: SQL's NULL (NaN in a
    DataFrame) is None; anything else as it is, ``"-"`` and ``""`` too (what they stand for is
    each parser's business: ``"-"`` is no name to Calico, a name to Hubble)."""
    return None if x is None or (isinstance(x, float) and x != x) else x


def _label_rows(kind: str, df: pd.DataFrame, mapper: Any, level: str,
                unmapped: dict[tuple[str, str], list[Any]]) -> pd.DataFrame:
    """Endpoint labels for the pre-aggregated rows of one format (mapping each distinct endpoint
    once), and into ``unmapped`` (reason, endpoint text) -> [records, first file] the records of
    each endpoint that could not be mapped, as load_flows' Mapper counts them."""
    from .calico import _endpoint as calico_endpoint
    from .compare import _label
    from .goldmane import _endpoint as goldmane_endpoint
    from .hubble import event_name

    labels: dict[str, list[str]] = {"src": [], "dst": []}
    types: dict[str, list[Any]] = {"src": [], "dst": []}
    cache: dict[tuple[Any, ...], tuple[str, Any, tuple[str, str] | None]] = {}
    for rec in df.to_dict("records"):
        for side in ("src", "dst"):
            if kind in ("parquet", "table"):
                key = (
                    rec[f"{side}_type"],
                    rec[f"{side}_ns"],
                    rec[f"{side}_pod"],
                    rec[f"{side}_wl"],
                    rec[f"{side}_ip"],
                    rec[f"{side}_space"],
                    rec["dst_service"] if side == "dst" else None,
                )
                key = tuple(_v(x) for x in key)
                if key not in cache:  # mapped by load_flows already
                    cache[key] = (_label(level, *key), key[0], None)
                labels[side].append(cache[key][0])
                types[side].append(cache[key][1])
                continue
            if kind == "goldmane":
                typ = _v(rec[f"{side}_type"])
                ep = goldmane_endpoint(
                    _v(rec[f"{side}_ns"]),
                    _v(rec[f"{side}_name"]),
                    typ,  # by its name already (see _GOLDMANE)
                )
            elif kind == "hubble":
                ep = (  # as hubble._endpoint: an empty namespace or pod name is none
                    _v(rec[f"{side}_ns"]) or None,
                    _v(rec[f"{side}_pod"]) or None,
                    _v(rec[f"{side}_wl"]),
                    _v(rec[f"{side}_ip"]),
                    _v(rec[f"{side}_kind"]),
                    None,
                )
            else:
                prefix = "source" if side == "src" else "dest"
                doc = {
                    f"{prefix}_type": _v(rec[f"{side}_type"]),
                    f"{prefix}_namespace": _v(rec[f"{side}_ns"]),
                    f"{prefix}_name": _v(rec[f"{side}_name"]),
                    f"{prefix}_name_aggr": _v(rec[f"{side}_aggr"]),
                    f"{prefix}_ip": _v(rec[f"{side}_ip"]),
                }
                ep = calico_endpoint(doc, prefix)
            svc = _v(rec.get("dst_service")) if side == "dst" else None
            key = (*ep, svc)
            if key not in cache:
                (ns, pod, wl, typ, space, rsvc), reason = mapper.resolve_new(ep)
                cache[key] = (_label(level, typ, ns, pod, wl, ep[3], space, svc or rsvc), typ,
                              None if reason is None else (reason, mapper._text(ep)))
            label, typ, why = cache[key]
            labels[side].append(label)
            types[side].append(typ)
            if why:
                seen = unmapped.setdefault(why, [0, rec["file"]])
                seen[0] += int(rec["records"])
                seen[1] = min(seen[1], rec["file"])
    verdict = df["verdict"].astype(object)
    flows = df["flows"].fillna(0).astype("int64")
    records = df["records"].fillna(0).astype("int64")
    fmt = df["source_format"].tolist() if kind in ("parquet", "table") else [kind] * len(df)
    event = [_v(x) for x in df["event_type"].tolist()]
    if kind == "hubble":  # the number Hubble wrote, by the name load_flows gives it
        event = [event_name(int(x)) if isinstance(x, str) and x.isdigit() else x for x in event]
    observer = [  # repr: a reporter "-" or "" is not the missing one (None), as in load_flows
        "\x1f".join(repr(_v(x)) for x in t)
        for t in zip(fmt, df["reporter"].tolist(), event, df["observation_point"].tolist(), strict=True)
    ]
    if kind in ("parquet", "table"):  # Hubble rows count distinct 5-tuples (see _PARQUET)
        hubble = df["source_format"].astype(object) == "hubble"
        flows = flows.where(~hubble, df["flows_hubble"].fillna(0).astype("int64"))
    return pd.DataFrame(
        {
            "src": labels["src"],
            "dst": labels["dst"],
            "protocol": df["protocol"].astype(object).fillna("?"),
            "dst_port": df["dst_port"],
            "records": df["records"],
            "flows": flows,
            "allowed": flows.where(verdict == "allowed", 0),
            "denied": flows.where(verdict == "denied", 0),
            "unknown": flows.where(~verdict.isin(["allowed", "denied"]), 0),
            "_a": records.where(verdict == "allowed", 0),
            "_d": records.where(verdict == "denied", 0),
            "_u": records.where(~verdict.isin(["allowed", "denied"]), 0),
            "_observer": observer,
            "bytes": df["bytes"],
            "packets": df["packets"],
            "first_seen": pd.to_datetime(df["first_seen"], utc=True),
            "last_seen": pd.to_datetime(df["last_seen"], utc=True),
            "source_format": "parquet" if kind == "parquet" else fmt,
            "src_type": types["src"],
            "dst_type": types["dst"],
            "_request": df["request"].astype(bool),
        }
    )


def _first_file(numbers: list[int], index: str) -> str:
    """SQL for the ``file`` of a row of a scan of files whose places in load_flows' order (see
    _KEYS) are ``numbers``, in the order scanned: the place of the first that holds the row.
    ``index`` is the column of each record's file by its number in the scan (DuckDB's
    ``file_index``: the files in the order given).  A name would compare as text."""
    if len(numbers) == 1:  # the file of every row: no aggregate needed
        return f"{numbers[0]}::BIGINT AS file"
    return f"[{', '.join(map(str, numbers))}][min({index})::BIGINT + 1]::BIGINT AS file"


def _list(files: list[str]) -> str:
    return "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
