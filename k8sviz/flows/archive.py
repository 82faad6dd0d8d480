"""Aggregate large flow archives out of core with DuckDB (embedded; ``pip install 'k8sviz[flows]'``).

Hubble and Calico JSON lines (plain or ``.gz``) are scanned by DuckDB's JSON reader and
Parquet files must hold the normalized table (``load_flows(...).to_parquet(path)``).  Nothing
is loaded into Python row by row: DuckDB streams the files and spills to disk if needed, so
archives far larger than memory can be aggregated into workload edges.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from ..errors import InputError
from ._table import Report
from .compare import port_ranges

if TYPE_CHECKING:
    from ..snapshot import Snapshot

__all__ = ["aggregate_flow_archive"]

_POD_HASH = r"-[a-z0-9]{5,10}-[a-z0-9]{5}$"

_HUBBLE = """
WITH o AS (
  SELECT json AS j FROM read_json_objects({files}, format='newline_delimited', ignore_errors=true)
), f AS (
  SELECT coalesce(j->'$.flow', j) AS f, j->>'$.time' AS wtime FROM o
  WHERE j IS NOT NULL AND (json_extract(j, '$.flow') IS NOT NULL OR json_extract(j, '$.verdict') IS NOT NULL)
)
SELECT
  TRY_CAST(coalesce(f->>'$.time', wtime) AS TIMESTAMPTZ) AS ts,
  f->>'$.source.namespace' AS src_ns, f->>'$.source.pod_name' AS src_pod,
  f->>'$.source.workloads[0].name' AS src_wl, f->>'$.IP.source' AS src_ip,
  f->>'$.destination.namespace' AS dst_ns, f->>'$.destination.pod_name' AS dst_pod,
  f->>'$.destination.workloads[0].name' AS dst_wl, f->>'$.IP.destination' AS dst_ip,
  NULL::VARCHAR AS src_aggr, NULL::VARCHAR AS dst_aggr, NULL::VARCHAR AS src_kind, NULL::VARCHAR AS dst_kind,
  TRY_CAST(coalesce(f->>'$.l4.TCP.destination_port', f->>'$.l4.UDP.destination_port',
                    f->>'$.l4.SCTP.destination_port') AS INTEGER) AS dst_port,
  CASE WHEN json_extract(f, '$.l4.TCP') IS NOT NULL THEN 'TCP' WHEN json_extract(f, '$.l4.UDP') IS NOT NULL THEN 'UDP'
       WHEN json_extract(f, '$.l4.SCTP') IS NOT NULL THEN 'SCTP' WHEN json_extract(f, '$.l4.ICMPv4') IS NOT NULL THEN 'ICMP'
       WHEN json_extract(f, '$.l4.ICMPv6') IS NOT NULL THEN 'ICMPv6' END AS protocol,
  CASE f->>'$.verdict' WHEN 'DROPPED' THEN 'denied'
       WHEN 'FORWARDED' THEN 'allowed' WHEN 'REDIRECTED' THEN 'allowed' WHEN 'TRANSLATED' THEN 'allowed'
       WHEN 'TRACED' THEN 'allowed' WHEN 'AUDIT' THEN 'allowed' ELSE 'unknown' END AS verdict,
  1::BIGINT AS n, 0::BIGINT AS bytes, 0::BIGINT AS packets,
  coalesce(TRY_CAST(f->>'$.is_reply' AS BOOLEAN), false) AS is_reply,
  'hubble' AS source_format
FROM f
"""

_CALICO = """
WITH o AS (
  SELECT coalesce(json->'$._source', json) AS d
  FROM read_json_objects({files}, format='newline_delimited', ignore_errors=true)
  WHERE json IS NOT NULL
)
SELECT
  to_timestamp(TRY_CAST(d->>'$.start_time' AS DOUBLE)) AS ts,
  nullif(d->>'$.source_namespace', '-') AS src_ns, nullif(d->>'$.source_name', '-') AS src_pod,
  NULL::VARCHAR AS src_wl, nullif(d->>'$.source_ip', '-') AS src_ip,
  nullif(d->>'$.dest_namespace', '-') AS dst_ns, nullif(d->>'$.dest_name', '-') AS dst_pod,
  NULL::VARCHAR AS dst_wl, nullif(d->>'$.dest_ip', '-') AS dst_ip,
  nullif(d->>'$.source_name_aggr', '-') AS src_aggr, nullif(d->>'$.dest_name_aggr', '-') AS dst_aggr,
  d->>'$.source_type' AS src_kind, d->>'$.dest_type' AS dst_kind,
  TRY_CAST(d->>'$.dest_port' AS INTEGER) AS dst_port,
  CASE lower(d->>'$.proto') WHEN 'tcp' THEN 'TCP' WHEN '6' THEN 'TCP' WHEN 'udp' THEN 'UDP' WHEN '17' THEN 'UDP'
       WHEN 'sctp' THEN 'SCTP' WHEN '132' THEN 'SCTP' WHEN 'icmp' THEN 'ICMP' WHEN '1' THEN 'ICMP'
       ELSE upper(d->>'$.proto') END AS protocol,
  CASE lower(d->>'$.action') WHEN 'allow' THEN 'allowed' WHEN 'deny' THEN 'denied' ELSE 'unknown' END AS verdict,
  coalesce(TRY_CAST(d->>'$.num_flows' AS BIGINT), 1) AS n,
  coalesce(TRY_CAST(d->>'$.bytes_in' AS BIGINT), 0) + coalesce(TRY_CAST(d->>'$.bytes_out' AS BIGINT), 0) AS bytes,
  coalesce(TRY_CAST(d->>'$.packets_in' AS BIGINT), 0) + coalesce(TRY_CAST(d->>'$.packets_out' AS BIGINT), 0)
    AS packets,
  false AS is_reply,
  'calico' AS source_format
FROM o WHERE json_extract(d, '$.start_time') IS NOT NULL OR json_extract(d, '$.dest_port') IS NOT NULL
"""

_PARQUET = """
SELECT
  time::TIMESTAMPTZ AS ts, src_namespace AS src_ns, src_pod, src_workload AS src_wl, src_ip,
  dst_namespace AS dst_ns, dst_pod, dst_workload AS dst_wl, dst_ip,
  NULL::VARCHAR AS src_aggr, NULL::VARCHAR AS dst_aggr,
  src_type AS src_kind, dst_type AS dst_kind,
  dst_port::INTEGER AS dst_port, protocol::VARCHAR AS protocol, verdict::VARCHAR AS verdict,
  coalesce(num_flows, 1)::BIGINT AS n,
  (coalesce(bytes_in, 0) + coalesce(bytes_out, 0))::BIGINT AS bytes,
  (coalesce(packets_in, 0) + coalesce(packets_out, 0))::BIGINT AS packets,
  coalesce(is_reply, false) AS is_reply, source_format::VARCHAR AS source_format
FROM read_parquet({files}, union_by_name=true)
"""


def _side(p: str, level: str) -> str:
    """SQL for the label of one side (``p`` = ``src`` or ``dst``) joined with the mapping tables."""
    wl = (
        f"coalesce(pm_{p}.workload, {p}_wl, "
        f"CASE WHEN {p}_pod IS NOT NULL THEN regexp_replace(regexp_replace({p}_pod, '{_POD_HASH}', ''), '-[0-9]+$', '') END, "
        f"CASE WHEN {p}_aggr IS NOT NULL THEN regexp_replace(regexp_replace({p}_aggr, '-\\*$', ''), "
        f"'-[a-z0-9]{{5,10}}$', '') END)"
    )
    external = (
        f"CASE WHEN {p}_aggr = 'pub' THEN 'external-public' WHEN {p}_aggr = 'pvt' THEN 'external-private' "
        f"ELSE coalesce({p}_ip, 'external') END"
    )
    if level == "namespace":
        return (
            f"CASE WHEN {p}_kind IN ('net', 'external') THEN "
            f"CASE WHEN {p}_aggr = 'pub' THEN 'external-public' WHEN {p}_aggr = 'pvt' THEN 'external-private' "
            f"ELSE 'external' END "
            f"WHEN {p}_ns IS NOT NULL THEN {p}_ns "
            f"WHEN im_{p}.namespace IS NOT NULL THEN im_{p}.namespace "
            f"WHEN im_{p}.label IS NOT NULL THEN im_{p}.label "
            f"ELSE 'external' END"
        )
    return (
        f"CASE WHEN {p}_kind IN ('net', 'external') THEN {external} "
        f"WHEN {p}_ns IS NOT NULL AND ({p}_pod IS NOT NULL OR {p}_aggr IS NOT NULL OR {p}_wl IS NOT NULL) "
        f"THEN {p}_ns || '/' || {wl} "
        f"WHEN im_{p}.label IS NOT NULL THEN im_{p}.label "
        f"ELSE {external} END"
    )


def aggregate_flow_archive(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    snapshot: Snapshot | str | os.PathLike[str] | None = None,
    *,
    level: Literal["workload", "namespace"] = "workload",
    memory_limit: str = "1GB",
    threads: int | None = None,
) -> pd.DataFrame:
    """Aggregate a flow archive into edges without loading it into memory.

    Parameters
    ----------
    paths
        Files or directories: Hubble or Calico JSON lines (``.gz`` allowed) and Parquet files
        of the normalized table.  Replies (Hubble ``is_reply``) are left out.
    snapshot
        Used to map pod names and IPs to workloads (as :func:`k8sviz.load_flows` does).
    level
        ``"workload"`` or ``"namespace"``.
    memory_limit, threads
        DuckDB settings; beyond the memory limit DuckDB spills to a temporary directory.

    Returns
    -------
    pandas.DataFrame
        ``src, dst, protocol, ports, records, flows, allowed, denied, unknown, bytes, packets,
        first_seen, last_seen, sources``, ordered by flows (descending).
    """
    try:
        import duckdb
    except ImportError as e:  # pragma: no cover - depends on the environment
        msg = "aggregate_flow_archive needs DuckDB: pip install 'k8sviz[flows]'"
        raise InputError(msg) from e
    from . import _detect, _files, _load_snapshot

    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    files = _files(paths)
    parquet = [p for p in files if p.name.endswith(".parquet")]
    found: list[str] = []
    for p in paths:
        if Path(p).is_dir():
            found.extend(str(f) for f in sorted(Path(p).rglob("*.parquet")))
    parquet = sorted({str(p) for p in parquet} | set(found))
    groups: dict[str, list[str]] = {"hubble": [], "calico": []}
    report = Report()
    for p in files:
        if p.name.endswith(".parquet"):
            continue
        fmt, _ = _detect(p, report)
        if fmt in groups:
            groups[fmt].append(str(p))
        elif fmt is not None:
            msg = f"{fmt} files are not supported in archives; load them with k8sviz.load_flows"
            raise InputError(msg, source=str(p))
    con = duckdb.connect(config={"memory_limit": memory_limit})
    if threads:
        con.execute(f"SET threads={int(threads)}")
    parts = []
    if groups["hubble"]:
        parts.append(_HUBBLE.format(files=_list(groups["hubble"])))
    if groups["calico"]:
        parts.append(_CALICO.format(files=_list(groups["calico"])))
    if parquet:
        parts.append(_PARQUET.format(files=_list(parquet)))
    if not parts:
        msg = "no Hubble, Calico or Parquet flow files found"
        raise InputError(msg, source=", ".join(map(str, paths)))
    snap = _load_snapshot(snapshot)
    ip_rows, pod_rows = _mapping_tables(snap)
    con.register("ipmap", pd.DataFrame(ip_rows, columns=["ip", "label", "namespace"]))
    con.register("podmap", pd.DataFrame(pod_rows, columns=["namespace", "pod", "workload"]))
    union = " UNION ALL ".join(f"({q})" for q in parts)
    sql = f"""
    WITH r AS ({union}),
    r2 AS (
      SELECT *, {_side('src', level)} AS src, {_side('dst', level)} AS dst
      FROM r
      LEFT JOIN podmap pm_src ON pm_src.namespace = r.src_ns AND pm_src.pod = r.src_pod
      LEFT JOIN podmap pm_dst ON pm_dst.namespace = r.dst_ns AND pm_dst.pod = r.dst_pod
      LEFT JOIN ipmap im_src ON im_src.ip = r.src_ip
      LEFT JOIN ipmap im_dst ON im_dst.ip = r.dst_ip
      WHERE NOT is_reply
    )
    SELECT src, dst, coalesce(protocol, '?') AS protocol,
      list(DISTINCT dst_port) FILTER (WHERE dst_port IS NOT NULL) AS ports,
      count(*) AS records, sum(n) AS flows,
      sum(n) FILTER (WHERE verdict = 'allowed') AS allowed,
      sum(n) FILTER (WHERE verdict = 'denied') AS denied,
      sum(n) FILTER (WHERE verdict NOT IN ('allowed', 'denied')) AS unknown,
      sum(bytes) AS bytes, sum(packets) AS packets,
      min(ts) AS first_seen, max(ts) AS last_seen,
      string_agg(DISTINCT source_format, ',' ORDER BY source_format) AS sources
    FROM r2
    GROUP BY ALL
    ORDER BY flows DESC, src, dst
    """
    out = con.execute(sql).df()
    con.close()
    out["ports"] = [port_ranges(p if p is not None else ()) for p in out["ports"]]
    for c in ("allowed", "denied", "unknown", "bytes", "packets", "flows", "records"):
        out[c] = out[c].fillna(0).astype("int64")
    for c in ("first_seen", "last_seen"):
        out[c] = pd.to_datetime(out[c], utc=True)
    return out


def _list(files: list[str]) -> str:
    return "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"


def _mapping_tables(snap: Any) -> tuple[list[tuple[str, str, str | None]], list[tuple[str, str, str]]]:
    ip_rows: list[tuple[str, str, str | None]] = []
    pod_rows: list[tuple[str, str, str]] = []
    if snap is None:
        return ip_rows, pod_rows
    seen: set[str] = set()
    for pod in snap.pods:
        if pod.synthesized:
            continue
        pod_rows.append((pod.namespace, pod.name, pod.workload))
        for ip in pod.ips:
            if not pod.host_network and ip not in seen:
                seen.add(ip)
                ip_rows.append((ip, f"{pod.namespace}/{pod.workload}", pod.namespace))
    for node in snap.nodes:
        for ip in node.internal_ips:
            if ip not in seen:
                seen.add(ip)
                ip_rows.append((ip, f"node/{node.name}", None))
    for svc in snap.services:
        for ip in svc.cluster_ips:
            if ip and ip != "None" and ip not in seen:
                seen.add(ip)
                ip_rows.append((ip, f"service/{svc.namespace}/{svc.name}", svc.namespace))
    return ip_rows, pod_rows
