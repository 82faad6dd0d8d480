"""Aggregate large flow archives out of core with DuckDB (embedded; ``pip install 'k8sviz[flows]'``).

Hubble, Calico and Goldmane JSON (plain or ``.gz``) is scanned by DuckDB's JSON reader and
Parquet files must hold the normalized table (``load_flows(...).to_parquet(path)``).  Nothing
is loaded into Python row by row: DuckDB streams the files and spills to disk if needed, so
archives far larger than memory can be aggregated into workload edges.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from ..errors import InputError
from ._table import Report, head
from .compare import _kinds, largest_observer, port_ranges

if TYPE_CHECKING:
    from ..snapshot import Snapshot

__all__ = ["aggregate_flow_archive"]


_HUBBLE = """
SELECT
  f->>'$.source.namespace' AS src_ns, f->>'$.source.pod_name' AS src_pod,
  f->>'$.source.workloads[0].name' AS src_wl, f->>'$.IP.source' AS src_ip,
  CASE WHEN f->>'$.source.pod_name' IS NULL THEN
    CASE WHEN contains(coalesce(f->>'$.source.labels', ''), 'reserved:world') THEN 'world'
         WHEN regexp_matches(coalesce(f->>'$.source.labels', ''),
           'reserved:(host|remote-node|kube-apiserver)')
         THEN 'host'
         WHEN f->>'$.source.identity' IN ('2', '9', '10') THEN 'world'
         WHEN f->>'$.source.identity' IN ('1', '6', '7') THEN 'host' END END AS src_kind,
  f->>'$.destination.namespace' AS dst_ns, f->>'$.destination.pod_name' AS dst_pod,
  f->>'$.destination.workloads[0].name' AS dst_wl, f->>'$.IP.destination' AS dst_ip,
  CASE WHEN f->>'$.destination.pod_name' IS NULL THEN
    CASE WHEN contains(coalesce(f->>'$.destination.labels', ''), 'reserved:world') THEN 'world'
         WHEN regexp_matches(coalesce(f->>'$.destination.labels', ''),
           'reserved:(host|remote-node|kube-apiserver)')
         THEN 'host'
         WHEN f->>'$.destination.identity' IN ('2', '9', '10') THEN 'world'
         WHEN f->>'$.destination.identity' IN ('1', '6', '7') THEN 'host' END END AS dst_kind,
  f->>'$.destination_service.namespace' || '/' || (f->>'$.destination_service.name') AS dst_service,
  TRY_CAST(coalesce(f->>'$.l4.TCP.destination_port', f->>'$.l4.UDP.destination_port',
                    f->>'$.l4.SCTP.destination_port') AS INTEGER) AS dst_port,
  CASE WHEN json_extract(f, '$.l4.TCP') IS NOT NULL THEN 'TCP'
       WHEN json_extract(f, '$.l4.UDP') IS NOT NULL THEN 'UDP'
       WHEN json_extract(f, '$.l4.SCTP') IS NOT NULL THEN 'SCTP'
       WHEN json_extract(f, '$.l4.ICMPv4') IS NOT NULL
       THEN 'ICMP' WHEN json_extract(f, '$.l4.ICMPv6') IS NOT NULL THEN 'ICMPv6' END AS protocol,
  CASE WHEN f->>'$.Type' = 'SOCK' THEN 'unknown' ELSE
  CASE f->>'$.verdict' WHEN 'DROPPED' THEN 'denied'
       WHEN 'FORWARDED' THEN 'allowed' WHEN 'REDIRECTED' THEN 'allowed' WHEN 'TRANSLATED' THEN 'allowed'
       WHEN 'TRACED' THEN 'allowed' WHEN 'AUDIT' THEN 'allowed' ELSE 'unknown' END END AS verdict,
  -- The observer (see k8sviz.flows.compare, "Counting connections").
  CASE f->>'$.traffic_direction' WHEN 'EGRESS' THEN 'src' WHEN 'INGRESS' THEN 'dst' END AS reporter,
  f->>'$.event_type.type' AS event_type,
  coalesce(nullif(f->>'$.trace_observation_point', ''), nullif(f->>'$.sock_xlate_point', ''),
           CASE f->>'$.traffic_direction' WHEN 'EGRESS' THEN 'egress' WHEN 'INGRESS' THEN 'ingress' END)
    AS observation_point,
  count(*) AS records,
  -- Hubble reports packets: one connection per distinct 5-tuple (and verdict) of an observer.
  count(DISTINCT sport) FILTER (WHERE sport IS NOT NULL AND f->>'$.IP.source' IS NOT NULL
                                AND f->>'$.IP.destination' IS NOT NULL AND dst_port IS NOT NULL)
    + count(*) FILTER (WHERE NOT coalesce(sport IS NOT NULL AND f->>'$.IP.source' IS NOT NULL
                                          AND f->>'$.IP.destination' IS NOT NULL
                                            AND dst_port IS NOT NULL, false))
    AS flows,
  0::BIGINT AS bytes, 0::BIGINT AS packets,
  min(TRY_CAST(coalesce(f->>'$.time', wtime) AS TIMESTAMPTZ)) AS first_seen,
  max(TRY_CAST(coalesce(f->>'$.time', wtime) AS TIMESTAMPTZ)) AS last_seen
FROM (
  SELECT f, wtime,
    TRY_CAST(coalesce(f->>'$.l4.TCP.source_port', f->>'$.l4.UDP.source_port', f->>'$.l4.SCTP.source_port')
             AS INTEGER) AS sport
  FROM (
    SELECT coalesce(json_extract(j, '$.flow'), j) AS f, j->>'$.time' AS wtime
    FROM (SELECT json AS j FROM read_json_objects({files}, format='{jformat}', ignore_errors=true))
    WHERE j IS NOT NULL AND (json_extract(j, '$.flow') IS NOT NULL
      OR json_extract(j, '$.verdict') IS NOT NULL)
  )
)
-- Requests only, as flow_edges: is_reply, else what the TCP flags or the translation point tell,
-- else a drop is a request and anything else of unknown direction is left out.
WHERE NOT coalesce(
  TRY_CAST(f->>'$.is_reply' AS BOOLEAN),
  CASE WHEN f->>'$.Type' = 'SOCK' THEN
         CASE WHEN ends_with(f->>'$.sock_xlate_point', '_FWD') THEN false
              WHEN ends_with(f->>'$.sock_xlate_point', '_REV') THEN true END
       WHEN TRY_CAST(f->>'$.l4.TCP.flags.SYN' AS BOOLEAN)
         THEN coalesce(TRY_CAST(f->>'$.l4.TCP.flags.ACK' AS BOOLEAN), false)
  END,
  NOT (f->>'$.verdict' = 'DROPPED' AND coalesce(f->>'$.Type', '') <> 'SOCK'))
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


_CALICO = """
SELECT
  d->>'$.source_type' AS src_type, d->>'$.source_namespace' AS src_ns, d->>'$.source_name' AS src_name,
  d->>'$.source_name_aggr' AS src_aggr, d->>'$.source_ip' AS src_ip,
  d->>'$.dest_type' AS dst_type, d->>'$.dest_namespace' AS dst_ns, d->>'$.dest_name' AS dst_name,
  d->>'$.dest_name_aggr' AS dst_aggr, d->>'$.dest_ip' AS dst_ip,
  CASE WHEN coalesce(d->>'$.dest_service_name', '-') <> '-'
    AND coalesce(d->>'$.dest_service_namespace', '-') <> '-'
       THEN (d->>'$.dest_service_namespace') || '/' || (d->>'$.dest_service_name') END AS dst_service,
  TRY_CAST(d->>'$.dest_port' AS INTEGER) AS dst_port,
  CASE lower(d->>'$.proto') WHEN 'tcp' THEN 'TCP' WHEN '6' THEN 'TCP' WHEN 'udp' THEN 'UDP'
    WHEN '17' THEN 'UDP'
       WHEN 'sctp' THEN 'SCTP' WHEN '132' THEN 'SCTP' WHEN 'icmp' THEN 'ICMP' WHEN '1' THEN 'ICMP'
       ELSE upper(d->>'$.proto') END AS protocol,
  CASE lower(d->>'$.action') WHEN 'allow' THEN 'allowed' WHEN 'pass' THEN 'allowed' WHEN 'deny' THEN 'denied'
       ELSE 'unknown' END AS verdict,
  d->>'$.reporter' AS reporter, NULL AS event_type, d->>'$.reporter' AS observation_point,
  count(*) AS records,
  sum(coalesce(TRY_CAST(d->>'$.num_flows_started' AS BIGINT), TRY_CAST(d->>'$.num_flows' AS BIGINT), 1))
    AS flows,
  sum(coalesce(TRY_CAST(d->>'$.bytes_in' AS BIGINT), 0)
    + coalesce(TRY_CAST(d->>'$.bytes_out' AS BIGINT), 0)) AS bytes,
  sum(coalesce(TRY_CAST(d->>'$.packets_in' AS BIGINT), 0)
    + coalesce(TRY_CAST(d->>'$.packets_out' AS BIGINT), 0))
    AS packets,
  min(k8sviz_epoch(d->>'$.start_time')) AS first_seen,
  max(k8sviz_epoch(coalesce(d->>'$.end_time', d->>'$.start_time'))) AS last_seen
FROM (
  SELECT coalesce(json_extract(json, '$._source'), json) AS d
  FROM read_json_objects({files}, format='{jformat}', ignore_errors=true)
  WHERE json IS NOT NULL
)
WHERE json_extract(d, '$.start_time') IS NOT NULL OR json_extract(d, '$.dest_port') IS NOT NULL
GROUP BY ALL
"""

# Goldmane emitter lines (the key under ``Key``, enums as numbers, unix seconds) and Whisker
# items (flat, enum names, RFC 3339), a Whisker list response's items unnested.
_GOLDMANE = """
SELECT
  k->>'$.source_namespace' AS src_ns, k->>'$.source_name' AS src_name, k->>'$.source_type' AS src_type,
  k->>'$.dest_namespace' AS dst_ns, k->>'$.dest_name' AS dst_name, k->>'$.dest_type' AS dst_type,
  CASE WHEN coalesce(k->>'$.dest_service_name', '') <> ''
    AND coalesce(k->>'$.dest_service_namespace', '') <> ''
       THEN (k->>'$.dest_service_namespace') || '/' || (k->>'$.dest_service_name') END AS dst_service,
  TRY_CAST(k->>'$.dest_port' AS INTEGER) AS dst_port,
  CASE lower(coalesce(k->>'$.proto', k->>'$.protocol')) WHEN 'tcp' THEN 'TCP' WHEN '6' THEN 'TCP'
       WHEN 'udp' THEN 'UDP' WHEN '17' THEN 'UDP' WHEN 'sctp' THEN 'SCTP' WHEN '132' THEN 'SCTP'
       WHEN 'icmp' THEN 'ICMP' WHEN '1' THEN 'ICMP' ELSE upper(coalesce(k->>'$.proto', k->>'$.protocol')) END
    AS protocol,
  CASE lower(k->>'$.action') WHEN 'allow' THEN 'allowed' WHEN '1' THEN 'allowed' WHEN 'pass' THEN 'allowed'
       WHEN '3' THEN 'allowed' WHEN 'deny' THEN 'denied' WHEN '2' THEN 'denied' ELSE 'unknown' END AS verdict,
  CASE lower(k->>'$.reporter') WHEN '1' THEN 'src' WHEN 'src' THEN 'src' WHEN '2' THEN 'dst'
    WHEN 'dst' THEN 'dst'
       END AS reporter,
  NULL AS event_type,
  CASE lower(k->>'$.reporter') WHEN '1' THEN 'src' WHEN 'src' THEN 'src' WHEN '2' THEN 'dst'
    WHEN 'dst' THEN 'dst'
       END AS observation_point,
  count(*) AS records,
  sum(CASE WHEN f->>'$.num_connections_started' IS NOT NULL OR f->>'$.num_connections_live' IS NOT NULL
                OR f->>'$.num_connections_completed' IS NOT NULL
           THEN coalesce(TRY_CAST(f->>'$.num_connections_started' AS BIGINT), 0) ELSE 1 END) AS flows,
  sum(coalesce(TRY_CAST(f->>'$.bytes_in' AS BIGINT), 0)
    + coalesce(TRY_CAST(f->>'$.bytes_out' AS BIGINT), 0)) AS bytes,
  sum(coalesce(TRY_CAST(f->>'$.packets_in' AS BIGINT), 0)
    + coalesce(TRY_CAST(f->>'$.packets_out' AS BIGINT), 0))
    AS packets,
  min(coalesce(k8sviz_epoch(f->>'$.start_time'), TRY_CAST(f->>'$.start_time' AS TIMESTAMPTZ)))
    AS first_seen,
  max(coalesce(k8sviz_epoch(coalesce(f->>'$.end_time', f->>'$.start_time')),
               TRY_CAST(coalesce(f->>'$.end_time', f->>'$.start_time') AS TIMESTAMPTZ))) AS last_seen
FROM (
  SELECT f, coalesce(json_extract(f, '$.Key'), f) AS k
  FROM (
    SELECT unnest(CASE WHEN json_type(json, '$.items') = 'ARRAY' THEN json_extract(json, '$.items[*]')
                       ELSE [json] END) AS f
    FROM read_json_objects({files}, format='{jformat}', ignore_errors=true)
    WHERE json IS NOT NULL
  )
)
WHERE json_extract(k, '$.source_name') IS NOT NULL OR json_extract(k, '$.dest_name') IS NOT NULL
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
  verdict::VARCHAR AS verdict, count(*) AS records,
  -- Connections as connection_counts (k8sviz.flows.compare) counts them; Python picks
  -- flows_hubble for Hubble rows, whose events count by distinct 5-tuple.
  sum(coalesce(num_flows, 1)) AS flows,
  count(DISTINCT src_port) FILTER (WHERE src_ip IS NOT NULL AND src_port IS NOT NULL AND dst_ip IS NOT NULL
                                   AND dst_port IS NOT NULL)
    + count(*) FILTER (WHERE src_ip IS NULL OR src_port IS NULL OR dst_ip IS NULL OR dst_port IS NULL)
    AS flows_hubble,
  sum(coalesce(bytes_in, 0) + coalesce(bytes_out, 0)) AS bytes,
  sum(coalesce(packets_in, 0) + coalesce(packets_out, 0)) AS packets,
  min(time) AS first_seen, max(coalesce(end_time, time)) AS last_seen
FROM read_parquet({files}, union_by_name=true)
WHERE NOT coalesce(is_reply, source_format::VARCHAR = 'hubble' AND verdict::VARCHAR <> 'denied')
GROUP BY ALL
"""

_SUMS = ["records", "flows", "allowed", "denied", "unknown", "bytes", "packets"]
_OUT = ["src", "dst", "protocol", "ports", *_SUMS, "first_seen", "last_seen", "sources",
        "src_type", "dst_type"]


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
        of the normalized table (``load_flows(...).to_parquet(path)``).  Replies (Hubble
        ``is_reply``, or as :func:`k8sviz.load_flows` tells it from the TCP flags) and Hubble
        records of unknown direction are left out, as :func:`k8sviz.flow_edges` does.
        Malformed lines are skipped.
    snapshot
        Used to map pod names and IPs to workloads.
    level
        ``"workload"`` or ``"namespace"``.
    memory_limit, threads
        DuckDB settings.

    Returns
    -------
    pandas.DataFrame
        ``src, dst, protocol, ports, records, flows, allowed, denied, unknown, bytes, packets,
        first_seen, last_seen, sources, src_type, dst_type``, ordered by flows (descending);
        same labels as :func:`k8sviz.flow_edges`, and as it does, one row per kind of endpoint
        where two kinds share a label (a node ``x`` and the workload ``x`` of a namespace
        called ``node`` are both ``node/x``: ``src_type`` tells them apart; pods and workloads
        are one kind, so an edge's ``pod`` or ``workload`` is that of one of its records).
    """
    try:
        import duckdb
    except ImportError as e:  # pragma: no cover - depends on the environment
        msg = "aggregate_flow_archive needs DuckDB: pip install 'k8sviz[flows]'"
        raise InputError(msg) from e
    import shutil
    import tempfile

    from . import _detect, _files, _load_snapshot
    from .mapping import Mapper

    if level not in ("workload", "namespace"):
        msg = f"level must be workload or namespace, not {level!r}"
        raise InputError(msg)
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    paths = list(paths)
    files = _files(paths)
    parquet = sorted(
        {str(p) for p in files if p.name.endswith(".parquet")}
        | {str(f) for p in paths if Path(p).is_dir() for f in Path(p).rglob("*.parquet")}
    )
    groups: dict[tuple[str, str, str], list[str]] = {}
    report = Report()
    for p in files:
        if p.name.endswith(".parquet"):
            continue
        fmt, framing = _detect(p, report)
        if fmt is not None and framing == "sse":
            msg = ("captured event streams (data: lines) are not supported in archives; "
                   "load them with k8sviz.load_flows")
            raise InputError(msg, source=str(p))
        if fmt in ("hubble", "calico", "goldmane"):
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
    if not (groups or parquet):
        msg = "no Hubble, Calico, Goldmane or Parquet flow files found"
        raise InputError(msg, source=", ".join(map(str, paths)))
    spill = tempfile.mkdtemp(prefix="k8sviz-duckdb-")
    con = duckdb.connect(
        config={
            "memory_limit": memory_limit,
            "temp_directory": spill,
            "preserve_insertion_order": False,
        }
    )
    parts: list[tuple[str, pd.DataFrame]] = []
    try:
        if threads:
            con.execute(f"SET threads={int(threads)}")
        # Unix seconds to a time, NULL beyond what a nanosecond table holds (about 1677 to 2262,
        # as load_flows; to_timestamp raises on seconds past its own range, such as 1e20).
        con.execute("CREATE TEMP MACRO k8sviz_epoch(x) AS CASE WHEN abs(TRY_CAST(x AS DOUBLE)) < 9.2e9 "
                    "THEN to_timestamp(TRY_CAST(x AS DOUBLE)) END")
        for (fmt, jformat, spelling), names in sorted(groups.items()):
            sql = {"hubble": _HUBBLE, "goldmane": _GOLDMANE}.get(fmt, _CALICO)
            if spelling == "camel":
                sql = _camel_sql(sql)
            sql = sql.replace("{files}", _list(names))
            parts.append((fmt, con.execute(sql.replace("{jformat}", jformat)).df()))
        if parquet:
            files_sql = _list(parquet)
            have = {r[0] for r in con.execute(
                f"DESCRIBE SELECT * FROM read_parquet({files_sql}, union_by_name=true)").fetchall()}
            # event_type came with k8sviz's observer counts: older tables have none (NULL).
            event_type = "event_type::VARCHAR" if "event_type" in have else "NULL::VARCHAR"
            sql = _PARQUET.replace("{files}", files_sql).replace("{event_type}", event_type)
            parts.append(("parquet", con.execute(sql).df()))
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    mapper = Mapper(_load_snapshot(snapshot))
    frames = [_label_rows(kind, df, mapper, level) for kind, df in parts if len(df)]
    if not frames:
        return pd.DataFrame(columns=_OUT)
    rows = pd.concat(frames, ignore_index=True)
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


def _v(x: Any) -> Any:
    return None if x is None or (isinstance(x, float) and x != x) or x in ("-", "") else x


def _label_rows(kind: str, df: pd.DataFrame, mapper: Any, level: str) -> pd.DataFrame:
    """Endpoint labels for the pre-aggregated rows of one format (mapping each distinct endpoint once)."""
    from .calico import _endpoint as calico_endpoint
    from .compare import _label
    from .goldmane import _TYPES, _enum
    from .goldmane import _endpoint as goldmane_endpoint
    from .hubble import event_name

    labels: dict[str, list[str]] = {"src": [], "dst": []}
    types: dict[str, list[Any]] = {"src": [], "dst": []}
    cache: dict[tuple[Any, ...], tuple[str, Any]] = {}
    for rec in df.to_dict("records"):
        for side in ("src", "dst"):
            if kind == "parquet":
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
                if key not in cache:
                    cache[key] = (_label(level, *key), key[0])
                labels[side].append(cache[key][0])
                types[side].append(cache[key][1])
                continue
            if kind == "goldmane":
                typ = _v(rec[f"{side}_type"])
                ep = goldmane_endpoint(
                    _v(rec[f"{side}_ns"]),
                    _v(rec[f"{side}_name"]),
                    _enum(int(typ) if isinstance(typ, str) and typ.isdigit() else typ, _TYPES),
                )
            elif kind == "hubble":
                ep = (
                    _v(rec[f"{side}_ns"]),
                    _v(rec[f"{side}_pod"]),
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
                ns, pod, wl, typ, space, rsvc = mapper.resolve_new(ep)[0]
                cache[key] = (_label(level, typ, ns, pod, wl, ep[3], space, svc or rsvc), typ)
            labels[side].append(cache[key][0])
            types[side].append(cache[key][1])
    verdict = df["verdict"].astype(object)
    flows = df["flows"].fillna(0).astype("int64")
    records = df["records"].fillna(0).astype("int64")
    fmt = df["source_format"].tolist() if kind == "parquet" else [kind] * len(df)
    event = [_v(x) for x in df["event_type"].tolist()]
    if kind == "hubble":  # the number Hubble wrote, by the name load_flows gives it
        event = [event_name(int(x)) if isinstance(x, str) and x.isdigit() else x for x in event]
    observer = [
        "|".join(str(_v(x)) for x in t)
        for t in zip(fmt, df["reporter"].tolist(), event, df["observation_point"].tolist(), strict=True)
    ]
    if kind == "parquet":  # Hubble rows count distinct 5-tuples (see _PARQUET)
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
            "source_format": "parquet" if kind == "parquet" else kind,
            "src_type": types["src"],
            "dst_type": types["dst"],
        }
    )


def _list(files: list[str]) -> str:
    return "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
