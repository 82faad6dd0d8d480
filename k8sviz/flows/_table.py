"""The normalized flow table: columns, chunked column building, line readers and the load report."""

from __future__ import annotations

import functools
import gzip
import io
import ipaddress
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
import orjson
import pandas as pd

from .._repeated import repeat_path as _repeat
from .._text import as_written, kind_of
from ._shapes import structure_detail, structure_problem
from .mapping import Mapper

__all__ = [
    "COLUMNS",
    "CORE_COLUMNS",
    "ChunkBuilder",
    "Report",
    "empty_frame",
    "iter_lines",
    "iter_objects",
    "looks_like_sse",
    "parse_json",
    "sse_payloads",
]

#: Every column of a flow table, with its storage kind.
COLUMNS: dict[str, str] = {
    "time": "time",
    "src_namespace": "cat",
    "src_pod": "cat",
    "src_workload": "cat",
    "src_ip": "cat",
    "src_port": "int",
    "src_type": "cat",
    "src_address_space": "cat",
    "dst_namespace": "cat",
    "dst_pod": "cat",
    "dst_workload": "cat",
    "dst_ip": "cat",
    "dst_port": "int",
    "dst_type": "cat",
    "dst_address_space": "cat",
    "dst_service": "cat",
    "protocol": "cat",
    "verdict": "cat",
    "source_format": "cat",
    "cni_verdict": "cat",
    "drop_reason": "cat",
    "reporter": "cat",
    "observation_point": "cat",
    "node": "cat",
    "is_reply": "bool",
    "flow_type": "cat",
    "event_type": "cat",
    "bytes_in": "int",
    "bytes_out": "int",
    "packets_in": "int",
    "packets_out": "int",
    "num_flows": "int",
    "start_time": "time",
    "end_time": "time",
    "policies": "cat",
    "policy_trace": "cat",
    "file": "cat",
    "line": "int",
}
CORE_COLUMNS = list(COLUMNS)[:19]

#: Layout of the raw record a parser yields (endpoints still unresolved).
RAW_FIELDS = (
    "line",
    "time",
    "src",
    "src_port",
    "dst",
    "dst_port",
    "dst_service",
    "protocol",
    "verdict",
    "cni_verdict",
    "drop_reason",
    "reporter",
    "observation_point",
    "node",
    "is_reply",
    "bytes_in",
    "bytes_out",
    "packets_in",
    "packets_out",
    "num_flows",
    "start_time",
    "end_time",
    "policies",
    "policy_trace",
    "flow_type",
    "event_type",
)

PROBLEM_SAMPLES = 200


class Report:
    """What happened while loading: per-source counts and windows, skipped lines, unmapped endpoints."""

    def __init__(self) -> None:
        self.sources: list[dict[str, Any]] = []
        self.problems: list[dict[str, Any]] = []
        self.problem_counts: dict[str, int] = {}
        self.by_file: dict[tuple[str, str], int] = {}

    def problem(self, kind: str, file: str, line: int | None, message: str, *, count: int = 1) -> None:
        """One problem of ``kind`` at ``line``; ``count``: the lines it costs, where one problem
        loses several (a CSV quote left open swallows the lines after it)."""
        self.problem_counts[kind] = self.problem_counts.get(kind, 0) + count
        self.by_file[(file, kind)] = self.by_file.get((file, kind), 0) + count
        # past the cap, still the first of each kind: the warnings name one of every kind counted
        # (a damaged file's hundreds of malformed lines left its "unreadable" without a sample,
        # and load_flows stopped on it)
        if len(self.problems) < PROBLEM_SAMPLES or self.problem_counts[kind] == count:
            self.problems.append({"kind": kind, "file": file, "line": line, "message": message[:200]})


def _to_time(values: list[Any]) -> pd.Series:
    """Strings (RFC 3339, any offset) or numbers (unix seconds) -> UTC datetimes; bad values -> NaT.

    So do times a nanosecond column cannot hold (before 1677-09-21, after 2262-04-11, e.g. the
    ``9999-12-31T23:59:59Z`` some tools write for "never"): pandas parses them at a coarser
    resolution, and the table is in nanoseconds (see :func:`time_problem` for the message).
    """
    types = set(map(type, values))
    if types <= {str, type(None)}:
        return _ns(
            pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601", errors="coerce")
        )
    strs = [v if isinstance(v, str) else None for v in values]
    nums = np.array([_seconds(v) for v in values])
    out = pd.to_datetime(pd.Series(nums), unit="s", utc=True, errors="coerce")
    if any(strs):
        parsed = pd.to_datetime(pd.Series(strs, dtype=object), utc=True, format="ISO8601", errors="coerce")
        out = _ns(out).where(out.notna(), _ns(parsed))
    return _ns(out)


def _seconds(v: Any) -> float:
    """A JSON/CSV number as float seconds (NaN for anything else, or one too large for a float)."""
    if isinstance(v, int | float) and not isinstance(v, bool):
        try:
            return float(v)
        except OverflowError:
            return np.nan
    return np.nan


#: The range of a nanosecond timestamp, the flow table's resolution.
TIME_MIN = pd.Timestamp.min.tz_localize("UTC")
TIME_MAX = pd.Timestamp.max.tz_localize("UTC")


def _ns(s: pd.Series) -> pd.Series:
    """One resolution everywhere (pandas may infer s/ms/us per batch); times outside the
    nanosecond range become NaT (converting them would raise ``OutOfBoundsDatetime``)."""
    if s.dt.unit == "ns":
        return s
    inside = ((s >= TIME_MIN) & (s <= TIME_MAX)) | s.isna()
    if not inside.all():
        s = s.where(inside)
    return s.dt.as_unit("ns")


def time_problem(what: str, v: Any) -> str:
    """Why ``v``, a record's time that :func:`_to_time` made NaT, cannot be stored."""
    if v is None or v == "":
        return f"no {what}"
    ts = None
    try:
        if isinstance(v, str):
            ts = pd.Timestamp(v)
        elif not np.isnan(_seconds(v)):
            ts = pd.Timestamp(_seconds(v), unit="s")
    except (ValueError, OverflowError, TypeError):
        ts = None
    if ts is not None and not pd.isna(ts):
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
        if ts < TIME_MIN or ts > TIME_MAX:
            return (f"{what} {as_written(v)} is outside the range a flow table holds "
                    f"({TIME_MIN:%Y-%m-%d} to {TIME_MAX:%Y-%m-%d})")[:200]
    return f"{what} {as_written(v)} is not a timestamp"[:200]


def _categorical(values: list[Any]) -> pd.Categorical:
    codes, uniques = pd.factorize(np.array(values, dtype=object))
    return pd.Categorical.from_codes(codes, pd.Index(uniques, dtype=object))


def _masked(values: list[Any], dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(data, mask)`` for nullable arrays: fast paths for all-missing and none-missing columns."""
    n = len(values)
    missing = values.count(None)
    if missing == n:
        return np.zeros(n, dtype=dtype), np.ones(n, dtype=bool)
    if missing == 0:
        return np.array(values, dtype=dtype), np.zeros(n, dtype=bool)
    mask = np.fromiter((v is None for v in values), dtype=bool, count=n)
    data = np.array([0 if v is None else v for v in values], dtype=dtype)
    return data, mask


def _column(kind: str, values: list[Any]) -> Any:
    if kind == "cat":
        return _categorical(values)
    if kind == "int":
        return pd.arrays.IntegerArray(*_masked(values, np.int64))
    if kind == "bool":
        return pd.arrays.BooleanArray(*_masked(values, np.bool_))
    if values.count(None) == len(values):
        return pd.array(np.full(len(values), np.datetime64("NaT", "ns")), dtype="datetime64[ns, UTC]")
    return _to_time(values).array


def empty_frame() -> pd.DataFrame:
    data = {name: _column(kind, []) for name, kind in COLUMNS.items()}
    return pd.DataFrame(data)


class _Codes:
    """Incremental categorical codes: value -> code, stable across chunks (None -> -1)."""

    __slots__ = ("index", "values")

    def __init__(self) -> None:
        self.index: dict[Any, int] = {}
        self.values: list[Any] = []

    def code(self, v: Any) -> int:
        if v is None:
            return -1
        c = self.index.get(v)
        if c is None:
            c = self.index[v] = len(self.values)
            self.values.append(v)
        return c

    def categories(self) -> pd.Index:
        return pd.Index(self.values, dtype=object)


# Resolved endpoint fields -> columns (per side), and record-class fields -> columns.
_EP_FIELDS = ("namespace", "pod", "workload", "type", "address_space", "service", "ip")
_CLASS_COLUMNS = (
    "dst_service",
    "protocol",
    "verdict",
    "cni_verdict",
    "drop_reason",
    "reporter",
    "observation_point",
    "node",
    "is_reply",
    "policies",
    "policy_trace",
    "flow_type",
    "event_type",
    "source_format",
    "file",
)
_ROW_INTS = {
    "src_port": 2,
    "dst_port": 4,
    "bytes_in": 6,
    "bytes_out": 7,
    "packets_in": 8,
    "packets_out": 9,
    "num_flows": 10,
    "line": 13,
}
_ROW_TIMES = {"time": 0, "start_time": 11, "end_time": 12}

_TEXT_FIELDS = tuple(RAW_FIELDS.index(f) for f in (
    "dst_service", "protocol", "verdict", "cni_verdict", "drop_reason", "reporter",
    "observation_point", "node", "policies", "policy_trace", "flow_type", "event_type",
))
_COUNT_FIELDS = tuple(
    RAW_FIELDS.index(f) for f in ("bytes_in", "bytes_out", "packets_in", "packets_out", "num_flows")
)
_MAX_COUNT = 2**63 - 1


def _not_text(what: str, v: Any) -> str | None:
    if v is None or v.__class__ is str:
        return None
    return f"{what} is {kind_of(v, 'an object')}, not text: {as_written(v)}"[:200]


def _not_port(what: str, v: Any) -> str | None:
    if v is None or (v.__class__ is int and 0 <= v <= 65535):
        return None
    return f"{what} {as_written(v)} is not a port number (0-65535)"[:200]


def _class_problem(raw: tuple[Any, ...]) -> str | None:
    """The text fields of a raw Hubble class key (see ``feed_hubble``) that are not text."""
    for i, what in ((1, "verdict"), (2, "drop_reason_desc"), (4, "trace_observation_point"), (5, "node_name"),
                    (7, "destination_service.namespace"), (8, "destination_service.name"), (10, "Type")):
        bad = _not_text(what, raw[i])
        if bad:
            return bad
    if raw[6] is not None and raw[6].__class__ is not bool:
        return f"is_reply {as_written(raw[6])} is not true or false"[:200]
    return None


def endpoint_problem(ep: tuple[Any, ...]) -> str | None:
    """Why a raw endpoint cannot be stored, or None: every field is text or missing."""
    for v in ep:
        bad = _not_text("an endpoint field", v)
        if bad:
            return bad
    return None


class BadRecord(ValueError):
    """A record whose values cannot be stored; its message says why (reported as malformed)."""


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def address_problem(ep: tuple[Any, ...], side: str) -> str | None:
    """Why a raw endpoint cannot be stored, or None: a field that is not text, or an address
    that is not an IPv4 or IPv6 address (``not-an-ip``, ``999.1.2.3``; an empty one is missing)."""
    bad = endpoint_problem(ep)
    if bad:
        return bad
    ip = ep[3]
    if ip and not _is_ip(ip):
        return f"{side} address {as_written(ip)} is not an IP address"[:200]
    return None


def record_problem(r: tuple[Any, ...]) -> str | None:
    """Why a raw record cannot be stored (a value of the wrong type or out of range), or None.

    A log line with, say, a list where a port belongs is reported as malformed with its file
    and line; without this check one such line would fail the whole chunk it is converted in.
    """
    bad = (
        endpoint_problem(r[2]) or endpoint_problem(r[4])
        or _not_port("source port", r[3]) or _not_port("destination port", r[5])
    )
    if bad:
        return bad
    for i in _TEXT_FIELDS:
        bad = _not_text(RAW_FIELDS[i], r[i])
        if bad:
            return bad
    if r[14] is not None and r[14].__class__ is not bool:
        return f"is_reply {as_written(r[14])} is not true or false"[:200]
    for i in _COUNT_FIELDS:
        v = r[i]
        if v is not None and (v.__class__ is not int or not 0 <= v <= _MAX_COUNT):
            return f"{RAW_FIELDS[i]} {as_written(v)} is not a count"[:200]
    return None


#: The fewest rows converted to columns at a time.  Converting a chunk costs about 2 ms whatever
#: its size (pandas' time parsing, a dozen typed arrays): one record per chunk took 45 s for the
#: demo's 15,000 records, where 4,096 rows held as tuples take a few hundred kilobytes.
LEAST_CHUNK = 4096


class ChunkBuilder:
    """Resolve and intern rows, turning every ``chunk`` rows (at least ``least``: see
    :data:`LEAST_CHUNK`) into typed column arrays.

    Endpoints are interned (one id per distinct raw endpoint, resolved once through the
    :class:`~k8sviz.flows.mapping.Mapper`) and so are the low-cardinality fields of a record
    (protocol, verdict, node, reporter, policies, file...).  A row is then 14 small values, and
    categorical columns are built by indexing code tables with numpy, with categories that stay
    stable across chunks (no re-encoding at the end).
    """

    def __init__(self, mapper: Mapper, report: Report, chunk: int = 100_000, least: int = LEAST_CHUNK):
        self.mapper = mapper
        self.report = report
        self.chunk = max(chunk, least)
        self.rows: list[tuple[Any, ...]] = []
        self.narrow: list[tuple[Any, ...]] = []
        self.n = 0
        self._eps: dict[Any, tuple[int, str | None]] = {}
        self._unmapped: dict[int, tuple[str, Any]] = {}  # endpoint id -> (reason, endpoint), if unmapped
        self._ep_codes: dict[str, list[Any]] = {f: [] for f in _EP_FIELDS}  # endpoint id -> value, per field
        self._classes: dict[tuple[Any, ...], int] = {}
        self._class_codes: dict[str, list[Any]] = {c: [] for c in _CLASS_COLUMNS}
        self.codes: dict[str, _Codes] = {name: _Codes() for name, kind in COLUMNS.items() if kind == "cat"}
        self.parts: dict[str, list[Any]] = {name: [] for name in COLUMNS}
        self._done: dict[str, list[int]] = {}

    def _endpoint(self, ep: tuple[Any, ...], file: str, line: int) -> int:
        hit = self._eps.get(ep)
        if hit is None:
            bad = endpoint_problem(ep)
            if bad:
                raise ValueError(bad)
            res, reason = self.mapper.resolve_new(ep)
            i = len(self._eps)
            self._eps[ep] = hit = (i, reason)
            if reason is not None:
                self._unmapped[i] = (reason, ep)
            for field, value in zip(_EP_FIELDS, (*res, ep[3]), strict=True):
                self._ep_codes[field].append(value)
        if hit[1] is not None:
            self.mapper.count(hit[1], ep, file, line)
        return hit[0]

    def feed(self, records: Iterator[tuple[Any, ...]], fmt: str, file: str) -> int:
        """Resolve the endpoints of raw records and append them; returns the number of records."""
        endpoint = self._endpoint
        eps = self._eps
        classes = self._classes
        rows = self.rows
        append = rows.append
        chunk = self.chunk
        count = 0
        report = self.report
        for r in records:
            line = r[0]
            bad = record_problem(r)
            hs = hd = None
            if bad is None:
                # An endpoint seen before was checked then: only new ones are (once each).
                hs = eps.get(r[2])
                hd = eps.get(r[4])
                if hs is None:
                    bad = address_problem(r[2], "source")
                if bad is None and hd is None:
                    bad = address_problem(r[4], "destination")
            if bad:
                report.problem("malformed", file, line, bad)
                continue
            key = (r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[22], r[23], r[24], r[25], fmt,
                   file)
            cid = classes.get(key)
            if cid is None:
                cid = classes[key] = len(classes)
                for name, value in zip(_CLASS_COLUMNS, key, strict=True):
                    self._class_codes[name].append(value)
            s = endpoint(r[2], file, line) if hs is None or hs[1] is not None else hs[0]
            d = endpoint(r[4], file, line) if hd is None or hd[1] is not None else hd[0]
            append((r[1], s, r[3], d, r[5], cid, r[15], r[16], r[17], r[18], r[19], r[20], r[21], line))
            count += 1
            if len(rows) >= chunk:
                self.flush()
                rows = self.rows
                append = rows.append
        return count

    def feed_hubble(self, path: Path, lines: bool, report: Report, stats: dict[str, Any]) -> int:
        """Fused fast path for Hubble: read, parse, extract and intern without intermediate records.

        Same result as ``feed(parse_json(..., parse_flow))`` (the tests compare both), about
        twice as fast: this loop is the hot path of a multi-million-line file.
        """
        import orjson

        from .hubble import (
            _L4_NAMES,
            _NO_POLICIES,
            _OBS,
            _REPORTER,
            _event_kind,
            _hint,
            _label_namespace,
            _policies,
            event_name,
            flow_verdict,
            infer_reply,
            non_flow,
            note_lost,
            proto_names,
        )

        file = str(path)
        loads = orjson.loads
        dumps = orjson.dumps
        decode_error = orjson.JSONDecodeError
        endpoint = self._endpoint
        eps = self._eps
        classes = self._classes
        class_codes = self._class_codes
        rows = self.narrow
        append = rows.append
        chunk = self.chunk
        raw_classes: dict[tuple[Any, ...], int] = {}
        skipped = stats["skipped"]
        reporters: dict[Any, str] = _REPORTER
        obs: dict[Any, str] = _OBS
        l4_names = _L4_NAMES
        empty: dict[str, Any] = {}
        count = 0
        lineno = 0
        fh = None
        try:
            if lines:
                fh = open_binary(path)
                source: Any = enumerate(fh, 1)
            else:
                source = ((n, b) for n, b in iter_objects(path, report))
            for lineno, line in source:
                try:
                    obj = loads(line)
                except decode_error as e:
                    if not line.strip():
                        continue  # blank line
                    obj = _after_bom(line)  # at the start of any line: files joined with cat
                    if obj is _BLANK:
                        continue
                    if obj is _NOT_JSON:
                        kind = "malformed" if line.endswith(b"\n") or not lines else "truncated"
                        report.problem(kind, file, lineno, not_json(e, line))
                        continue
                # Every record is checked for a key given twice (see repeated_key), with its
                # first screen inlined: a call less per record of this hot loop.
                try:
                    written: bytes | None = dumps(obj)
                except TypeError:  # nested deeper than orjson writes
                    written = None
                if written is None or not line.startswith(written):
                    twice = repeated_key(line, obj, written)
                    if twice is not None:
                        report.problem("malformed", file, lineno, repeat_problem(twice))
                        continue
                try:
                    if obj.__class__ is not dict:
                        raise TypeError(f"expected a JSON object, got {kind_of(obj, 'an object')}")
                    f = obj.get("flow")
                    if f is not None:
                        wrapper = obj
                    elif "verdict" in obj or "IP" in obj or "source" in obj or "l4" in obj:
                        f = obj
                        wrapper = empty
                    else:
                        kind = non_flow(obj)
                        skipped[kind] = skipped.get(kind, 0) + 1
                        if kind == "lost_events":
                            note_lost(stats["lost_events"], obj)
                        continue
                    if "node_name" not in f and "event_type" not in f:  # Hubble writes both: maybe camelCase
                        f = proto_names(f)
                    ip = f.get("IP") or empty
                    # Source and destination are unrolled on purpose: this loop runs once per
                    # flow record and is the ingestion hot path that bench_flows.py measures.
                    ep = f.get("source")
                    if ep:
                        pod = ep.get("pod_name")
                        if pod == "":  # 0, false, [] and {} stay, reported as no text (hubble._endpoint)
                            pod = None
                        ns = ep.get("namespace")
                        if ns is None or ns == "":
                            ns = _label_namespace(ep) if pod else None
                        wls = ep.get("workloads")
                        sep = (
                            ns,
                            pod,
                            wls[0].get("name") if wls else None,
                            ip.get("source"),
                            None if pod else _hint(ep),
                            None,
                        )
                    else:
                        sep = (None, None, None, ip.get("source"), None, None)
                    ep = f.get("destination")
                    if ep:
                        pod = ep.get("pod_name")
                        if pod == "":  # 0, false, [] and {} stay, reported as no text (hubble._endpoint)
                            pod = None
                        ns = ep.get("namespace")
                        if ns is None or ns == "":
                            ns = _label_namespace(ep) if pod else None
                        wls = ep.get("workloads")
                        dep = (
                            ns,
                            pod,
                            wls[0].get("name") if wls else None,
                            ip.get("destination"),
                            None if pod else _hint(ep),
                            None,
                        )
                    else:
                        dep = (None, None, None, ip.get("destination"), None, None)
                    hs = eps.get(sep)
                    if hs is None:
                        bad = address_problem(sep, "source")
                        if bad:
                            raise BadRecord(bad)
                    hd = eps.get(dep)
                    if hd is None:
                        bad = address_problem(dep, "destination")
                        if bad:
                            raise BadRecord(bad)
                    l4 = f.get("l4")
                    proto = sport = dport = flags = None
                    if l4:
                        for k, v in l4.items():
                            proto = l4_names.get(k)
                            if proto is not None:
                                if v and proto in ("TCP", "UDP", "SCTP"):
                                    sport = v.get("source_port")
                                    dport = v.get("destination_port")
                                    if not (
                                        sport.__class__ is int and dport.__class__ is int
                                        and 0 <= sport <= 65535 and 0 <= dport <= 65535
                                    ):
                                        bad = _not_port("source port", sport)
                                        bad = bad or _not_port("destination port", dport)
                                        if bad:
                                            raise ValueError(bad)
                                    if proto == "TCP":
                                        flags = v.get("flags")
                                break
                    svc = f.get("destination_service")
                    pols = None
                    if (
                        "ingress_allowed_by" in f
                        or "egress_allowed_by" in f
                        or "ingress_denied_by" in f
                        or ("egress_denied_by" in f)
                    ):
                        pols = _policies(f)
                    ftype = f.get("Type") or ("L7" if "l7" in f else None)
                    reply = f.get("is_reply")
                    if reply is None:
                        reply = infer_reply(None, flags, ftype, f.get("sock_xlate_point"))
                    # Raw class key; the derived class values are computed once per distinct key.
                    raw = (
                        proto,
                        f.get("verdict"),
                        f.get("drop_reason_desc"),
                        f.get("traffic_direction"),
                        f.get("trace_observation_point") or f.get("sock_xlate_point"),
                        f.get("node_name") or wrapper.get("node_name") or wrapper.get("nodeName"),
                        reply,
                        svc.get("namespace") if svc else None,
                        svc.get("name") if svc else None,
                        pols,
                        ftype,
                        _event_kind(f.get("event_type")),
                    )
                    try:
                        cid = raw_classes.get(raw)
                    except TypeError:  # an object or a list where text belongs: say which field
                        cid = None
                    if cid is None:
                        bad = _class_problem(raw)
                        if bad:
                            raise ValueError(bad)
                        cv, direction = raw[1], raw[3]
                        dst_service = None
                        if raw[8]:
                            dst_service = f"{raw[7]}/{raw[8]}" if raw[7] else raw[8]
                        pp = pols or _NO_POLICIES
                        key = (
                            dst_service,
                            proto,
                            flow_verdict(raw[10], cv),
                            cv,
                            raw[2],
                            reporters.get(direction),
                            raw[4] or obs.get(direction),
                            raw[5],
                            raw[6],
                            pp[0],
                            pp[1],
                            raw[10],
                            event_name(raw[11]),
                            "hubble",
                            file,
                        )
                        cid = classes.get(key)
                        if cid is None:
                            cid = classes[key] = len(classes)
                            for name, value in zip(_CLASS_COLUMNS, key, strict=True):
                                class_codes[name].append(value)
                        raw_classes[raw] = cid
                    s = endpoint(sep, file, lineno) if hs is None or hs[1] is not None else hs[0]
                    d = endpoint(dep, file, lineno) if hd is None or hd[1] is not None else hd[0]
                    append((f.get("time") or wrapper.get("time"), s, sport, d, dport, cid, lineno))
                except BadRecord as e:
                    report.problem("malformed", file, lineno, str(e))
                    continue
                except (TypeError, ValueError, AttributeError, KeyError, IndexError) as e:
                    report.problem("malformed", file, lineno, structure_problem(obj, "hubble", e))
                    continue
                count += 1
                if len(rows) >= chunk:
                    self.flush()
                    rows = self.narrow
                    append = rows.append
        except EOFError:
            report.problem(
                "truncated", file, lineno + 1, "compressed stream ends early (file cut mid-write?)"
            )
        except (OSError, zlib.error) as e:
            report.problem("unreadable", file, lineno + 1, cannot_read(e))
        finally:
            if fh is not None:
                fh.close()
        stats["lines"] = lineno
        return count

    def _table(self, column: str, values: list[Any], done: list[int]) -> np.ndarray:
        """Codes (in ``self.codes[column]``) of a growing per-id value list; ``done`` caches them."""
        codes = self.codes[column]
        for v in values[len(done) :]:
            done.append(codes.code(v))
        return np.asarray(done, dtype=np.int32)

    def flush(self) -> None:
        if self.narrow:
            rows, self.narrow = self.narrow, []
            self._flush(list(zip(*rows, strict=True)), narrow=True)
        if self.rows:
            rows, self.rows = self.rows, []
            self._flush(list(zip(*rows, strict=True)), narrow=False)

    def _flush(self, cols: list[tuple[Any, ...]], narrow: bool) -> None:
        """Typed arrays from transposed rows: wide (14 fields) or narrow Hubble rows (7 fields)."""
        n = len(cols[0])
        if narrow:  # (time, src, src_port, dst, dst_port, class, line); the rest is constant
            none = (None,) * n
            cols = [
                cols[0],
                cols[1],
                cols[2],
                cols[3],
                cols[4],
                cols[5],
                none,
                none,
                none,
                none,
                (1,) * n,
                none,
                none,
                cols[6],
            ]
        times = _to_time(list(cols[0]))
        bad = times.isna().to_numpy()
        keep = None
        if bad.any():
            cfile = self._class_codes["file"]
            for j in np.flatnonzero(bad):
                self.report.problem("bad-time", cfile[cols[5][j]], cols[13][j],
                                    time_problem("time", cols[0][j]))
                for eid in (cols[1][j], cols[3][j]):  # a dropped record counts in no unmapped total
                    u = self._unmapped.get(eid)
                    if u is not None:
                        self.mapper.uncount(*u)
            keep = ~bad
        sid = np.asarray(cols[1], dtype=np.int64)
        did = np.asarray(cols[3], dtype=np.int64)
        cid = np.asarray(cols[5], dtype=np.int64)
        out: dict[str, Any] = {}
        for field in _EP_FIELDS:
            vals = self._ep_codes[field]
            for side, ids in (("src", sid), ("dst", did)):
                name = f"{side}_{field}"
                if field == "service" or name not in self.codes:
                    continue
                table = self._table(name, vals, self._done.setdefault(name, []))
                out[name] = table[ids]
        for name in _CLASS_COLUMNS:
            if name in ("dst_service", "is_reply"):
                continue
            table = self._table(name, self._class_codes[name], self._done.setdefault(name, []))
            out[name] = table[cid]
        # dst_service: the flow's own (Hubble destination_service) or the resolved ClusterIP's.
        own = self._table(
            "dst_service", self._class_codes["dst_service"], self._done.setdefault("dst_service", [])
        )[cid]
        res = self._table(
            "dst_service", self._ep_codes["service"], self._done.setdefault("dst_service/ep", [])
        )[did]
        out["dst_service"] = np.where(own >= 0, own, res)
        for name, i in _ROW_INTS.items():
            if narrow and i in (6, 7, 8, 9, 10):  # Hubble has no counters: constant columns
                data = np.ones(n, np.int64) if i == 10 else np.zeros(n, np.int64)
                out[name] = pd.arrays.IntegerArray(data, np.full(n, i != 10))
            else:
                out[name] = pd.arrays.IntegerArray(*_masked(list(cols[i]), np.int64))
        for name, i in _ROW_TIMES.items():
            if name == "time":
                out[name] = times.array
            elif narrow:
                out[name] = pd.array(np.full(n, np.datetime64("NaT", "ns")),
                                     dtype="datetime64[ns]").tz_localize("UTC")
            else:
                vals = list(cols[i])
                out[name] = col = _column("time", vals)
                if name == "end_time":
                    # A record keeps its (good) time; an end it cannot hold is said, not dropped silently.
                    lost = np.asarray(pd.isna(col)) & np.fromiter((v is not None for v in vals), bool, n)
                    if keep is not None:
                        lost &= keep
                    if lost.any():
                        cfile = self._class_codes["file"]
                        for j in np.flatnonzero(lost):
                            self.report.problem(
                                "bad-end-time", cfile[cols[5][j]], cols[13][j],
                                time_problem("end_time", vals[j]) + "; the record is kept without it",
                            )
        reply_vals = self._class_codes["is_reply"]
        rv = np.array([v is True for v in reply_vals], dtype=bool)[cid] if reply_vals else np.zeros(0, bool)
        rm = np.array([v is None for v in reply_vals], dtype=bool)[cid] if reply_vals else np.zeros(0, bool)
        out["is_reply"] = pd.arrays.BooleanArray(rv, rm)
        for name, kind in COLUMNS.items():
            arr = out[name]
            if keep is not None:
                arr = arr[keep]
            if kind == "cat":  # smallest code type for the categories known so far
                k = len(self.codes[name].values)
                arr = arr.astype(np.int8 if k < 127 else np.int16 if k < 32767 else np.int32)
            self.parts[name].append(arr)
        self.n += int(len(bad) - bad.sum())

    def frame(self) -> pd.DataFrame:
        self.flush()
        del self.rows, self.narrow
        if not self.n:
            return empty_frame()
        data: dict[str, Any] = {}
        for name, kind in COLUMNS.items():
            parts = self.parts[name]
            if kind == "cat":
                codes = parts[0] if len(parts) == 1 else np.concatenate(parts)
                data[name] = pd.Categorical.from_codes(codes, self.codes[name].categories())
            elif len(parts) == 1:
                data[name] = parts[0]
            elif kind == "int":
                data[name] = pd.arrays.IntegerArray(
                    np.concatenate([p._data for p in parts]), np.concatenate([p._mask for p in parts])
                )
            elif kind == "bool":
                data[name] = pd.arrays.BooleanArray(
                    np.concatenate([p._data for p in parts]), np.concatenate([p._mask for p in parts])
                )
            else:
                ns = np.concatenate([np.asarray(p, dtype="datetime64[ns]") for p in parts])
                data[name] = pd.array(ns, dtype="datetime64[ns]").tz_localize("UTC")
            self.parts[name] = []
        df = pd.DataFrame(data, copy=False)  # the default copies every column
        t = df["time"].to_numpy(dtype="datetime64[ns]")
        if len(t) > 1 and not (t[1:] >= t[:-1]).all():
            order = np.argsort(t, kind="stable")
            df = df.take(order).reset_index(drop=True)
        return df


# ---------------------------------------------------------------------------- reading


_NOT_JSON, _BLANK = object(), object()


def cannot_read(e: BaseException) -> str:
    """The ``unreadable`` problem of a read that failed with ``e``: a file named .gz that is
    none, or a damaged deflate stream, in words (Python's were "Not a gzipped file (b'{"')" and
    "Error -3 while decompressing data: ...")."""
    if isinstance(e, gzip.BadGzipFile) and str(e).startswith("Not a gzipped file"):
        return ("cannot read further: not a gzip file, though named .gz (it does not start with gzip's "
                "bytes 1f 8b)")
    if isinstance(e, zlib.error):
        detail = str(e).rpartition("while decompressing data: ")[2]
        return f"cannot read further: damaged gzip stream ({detail})"
    return f"cannot read further: {e}"


def not_json(e: Exception, line: bytes) -> str:
    """What a record that does not parse says: ``the record ends mid-way, at column 720`` for
    one whose line ends before the record does (a log cut while written, a record broken over
    lines), else the parser's words with the column (``invalid literal ... at column 7``).
    The parser's own text said ``line 1 column 720 (char 719)`` of a record on line 3 of the
    file, counting within the record."""
    text = line.decode("utf-8", "replace")
    body = text.rstrip("\r\n")
    pos, msg, colno = getattr(e, "pos", None), getattr(e, "msg", None), getattr(e, "colno", None)
    if "\n" in body or not isinstance(pos, int) or not isinstance(msg, str):
        return f"not JSON ({e})"  # a record over several lines: the parser's line is the record's
    end = len(body.rstrip())
    if pos >= end and body.lstrip().startswith(("{", "[")):
        return f"not JSON: the record ends mid-way, at column {end} (the line was cut, or the record broken)"
    return f"not JSON ({msg} at column {colno})"


def _after_bom(line: bytes) -> Any:
    """A line's JSON behind a byte-order mark (at the start of a file, or of one joined to
    another with ``cat``); ``_BLANK`` if nothing follows the mark, else ``_NOT_JSON``."""
    import orjson

    if line.startswith(BOM):
        rest = line[len(BOM):]
        if not rest.strip():
            return _BLANK
        try:
            return orjson.loads(rest)
        except orjson.JSONDecodeError:
            pass
    return _NOT_JSON


def open_binary(path: Path) -> io.BufferedIOBase:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return open(path, "rb")


def head(path: Path, size: int = 65536) -> bytes:
    """The first bytes of a (possibly gzipped) file, for format detection."""
    parts: list[bytes] = []
    got = 0
    try:
        with open_binary(path) as fh:
            while got < size:
                b = fh.read(min(4096, size - got))
                if not b:
                    break
                parts.append(b)
                got += len(b)
    except (EOFError, zlib.error):
        pass  # a truncated stream: what was read so far is enough to detect the format
    except OSError:
        if not parts:
            with open(path, "rb") as fh:
                raw = fh.read(size)
            # A gzip file whose trailer is damaged (CRC) fails at its end, which a small file
            # reaches in the first read: its compressed bytes were detected as a CSV file
            # without a header. Its data, without the trailer, is what to detect.
            return _inflated(raw, size) if raw.startswith(b"\x1f\x8b") else raw
    return b"".join(parts)


def _inflated(raw: bytes, size: int) -> bytes:
    """The first ``size`` bytes ``raw``, a gzip stream, holds, without checking its trailer; as
    much as inflates before any damage."""
    inflate = zlib.decompressobj(31)
    out: list[bytes] = []
    try:
        for i in range(0, max(len(raw) - 8, 0), 4096):
            out.append(inflate.decompress(raw[i:min(i + 4096, len(raw) - 8)]))
    except zlib.error:
        pass
    return b"".join(out)[:size]


def iter_lines(path: Path, report: Report) -> Iterator[tuple[int, bytes, bool]]:
    """Yield ``(line_number, line, complete)`` for non-blank lines, streaming.

    ``complete`` is False for a last line without a newline (a file cut mid-write).  A gzip
    stream that ends early is reported as truncated, not raised.
    """
    lineno = 0
    try:
        with open_binary(path) as fh:
            for lineno, line in enumerate(fh, 1):
                if line.startswith(BOM):  # not only on line 1: files joined with cat
                    line = line[3:]
                if line.endswith(b"\n"):
                    if len(line) > 1 and not line.isspace():
                        yield lineno, line, True
                elif line.strip():
                    yield lineno, line, False
    except EOFError:
        report.problem(
            "truncated", str(path), lineno + 1, "compressed stream ends early (file cut mid-write?)"
        )
    except (OSError, zlib.error) as e:
        report.problem("unreadable", str(path), lineno + 1, cannot_read(e))


_TOKENS = re.compile(rb'[{}"\\\n]')


_BETWEEN = b" \t\r\n,[]"  # what may separate the objects of an array or a stream
_BLOCK = 1 << 20  # bytes read at a time
_SIGHT = 256  # how far back the start of an object's line is looked for
_CARRY = 1024  # the last line of a block kept while looking for the next object
_FIRST_KEY = re.compile(rb'\{\s*("(?:[^"\\\n]|\\.){1,128}")\s*:')


@functools.lru_cache(maxsize=64)
def _object_line(indent: bytes | None) -> re.Pattern[bytes]:
    """A line that starts a top-level object at ``indent``: ``{``, or the ``}, {`` / ``,{`` of an
    array whose objects are joined on one line (any blanks where the indentation is unknown).
    Group 1 is the end of the previous object on that line, if any."""
    blanks = rb"[ \t]*" if indent is None else re.escape(indent)
    return re.compile(rb"\n" + blanks + rb"(\}[ \t]*)?(?:,[ \t]*)?\{")


def _line_indent(block: bytes, i: int, tail: bytes | None) -> bytes | None:
    """The blanks that start the line holding ``block[i]`` (``tail``: the unfinished last line of
    the previous block, None if unknown); None if that line starts out of sight (a long compact
    line: its objects are not laid out one per line)."""
    lo = max(0, i - _SIGHT)
    nl = block.rfind(b"\n", lo, i)
    if nl >= 0:
        line = block[nl + 1 : i]
    elif lo == 0 and tail is not None and len(tail) + i <= _SIGHT:
        line = tail + block[:i]
    else:
        return None
    return line[: len(line) - len(line.lstrip(b" \t"))]


def _next_record(text: bytes) -> tuple[int, int] | None:
    """Where, in the text of an object that never closed, the next object of the same shape
    starts (``}, {"flow":``, or ``, {"flow":`` where the ``}`` was lost, after a ``{"flow":``
    object: records of one file share their first key): ``(index of the '}' or ',' before it,
    index of its '{')``, or None.  For objects joined on
    one line, which have no lines to resynchronise at."""
    key = _FIRST_KEY.match(text)
    if key is None:
        return None
    m = re.compile(rb"(?:\}\s*,?|,)\s*(\{)\s*" + re.escape(key.group(1)) + rb"\s*:").search(text, 1)
    return None if m is None else (m.start(), m.start(1))


class _Scan:
    """Where the object scanner of :func:`iter_objects` is: the state carried from block to block."""

    __slots__ = ("cut", "lineno", "lost", "open")

    def __init__(self, lineno: int) -> None:
        self.lineno = lineno
        self.cut = False  # the file could not be read to its end (already reported)
        # After a damaged object, until the next one is found: (its first line, why, the line sought).
        self.lost: tuple[int, str, re.Pattern[bytes]] | None = None
        self.open: tuple[int, bytes] | None = None  # an object still open at the end: (first line, text)


_LONE_CR = re.compile(rb"\r(?!\n)")


def _blocks(path: Path, report: Report, scan: _Scan) -> Iterator[bytes]:
    """The blocks (1 MiB) of a (possibly gzipped) file, without a leading byte-order mark; a stream
    that ends early or cannot be read further is reported, at the line reached.

    A line that ends in a lone CR (old Mac exports) ends in LF here, so that lines are counted
    and damage is found as in other files: one byte for one, and a CR is JSON whitespace or,
    raw in a string, as invalid as a raw LF.  A CR that ends a block waits for the next one,
    which may start with its LF.
    """
    try:
        with open_binary(path) as fh:
            first = True
            held = b""
            # read1: a gzip stream cut short still gives what it decompressed before the cut.
            while block := fh.read1(_BLOCK):
                if first:
                    block, first = block.removeprefix(BOM), False
                if held:
                    block, held = held + block, b""
                if b"\r" in block:
                    if block.endswith(b"\r"):
                        block, held = block[:-1], b"\r"
                    if block.count(b"\r") != block.count(b"\r\n"):
                        block = _LONE_CR.sub(b"\n", block)
                if block:
                    yield block
            if held:
                yield b"\n"
    except EOFError:
        scan.cut = True
        report.problem("truncated", str(path), scan.lineno,
                       "compressed stream ends early (file cut mid-write?)")
    except (OSError, zlib.error) as e:
        scan.cut = True
        report.problem("unreadable", str(path), scan.lineno, cannot_read(e))


def iter_objects(path: Path, report: Report) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_number, bytes)`` of every top-level JSON object in a stream of objects.

    Handles a JSON array of objects (``[{...}, {...}]``) and concatenated pretty-printed
    objects, reading 1 MiB blocks; brackets and commas between objects are ignored, and any
    other text outside the objects is a ``malformed`` problem (never skipped silently).

    A damaged object does not take the rest of the file with it.  A line that ends inside a
    string (a stray or missing quote: JSON strings hold no raw line break), or a line that
    starts a new top-level object (``{`` at the indentation of the object's own first line)
    before a pretty-printed object closed (a lost ``}``, a record cut mid-write), marks the
    object damaged: its lines up to the next such line are one ``malformed`` problem naming
    them (how many records they held cannot be told: at least one), and reading goes on from
    there.  Objects joined on one line have no such lines: there, an object still open at the
    end of the file is damaged if a record of its shape starts inside it (``}, {"flow":``
    after a ``{"flow":`` record), and reading goes on from that record.
    """
    file = str(path)

    def damaged(first: int, why: str, last: int) -> None:
        span = f"line {first}" if last <= first else f"lines {first}-{last}"
        report.problem("malformed", file, first,
                       f"a damaged JSON object ({why}): {span} skipped, at least one record lost")

    scan = reading = _Scan(1)
    yield from _scan_objects(_blocks(path, report, reading), report, file, scan, damaged)
    while scan.open is not None:
        first, text = scan.open
        found = _next_record(text)
        if found is None:
            if not reading.cut:  # else the end of what could be read was reported
                last = first + text.count(b"\n", 0, len(text.rstrip()))
                span = f"line {first}" if last == first else f"lines {first}-{last}"
                report.problem("truncated", file, first, f"the JSON object of {span} never closes "
                               "(file cut mid-write?): at least one record lost")
            break
        end, j = found
        line = first + text.count(b"\n", 0, j)
        damaged(first, f"it runs on into the next record, on line {line}", first + text.count(b"\n", 0, end))
        scan = _Scan(line)
        yield from _scan_objects(iter([text[j:]]), report, file, scan, damaged)
    if scan.lost is not None:
        damaged(scan.lost[0], scan.lost[1], scan.lineno)


def _scan_objects(
    blocks: Iterator[bytes], report: Report, file: str, scan: _Scan, damaged: Callable[[int, str, int], None]
) -> Iterator[tuple[int, bytes]]:
    """The objects of :func:`iter_objects` in ``blocks``, starting at line ``scan.lineno``; leaves in
    ``scan`` the line reached, and an object still open at the end (or the damaged one being skipped)."""

    def gap(text: bytes, line: int) -> None:
        junk = text.strip(_BETWEEN)
        if junk and BOM in junk:  # the byte-order marks of files joined with cat
            junk = junk.replace(BOM, b"").strip(_BETWEEN)
        if junk:
            # The file's text, quoted (its bytes as Python shows them were b'...')
            said = as_written(junk[:60].decode("utf-8", "replace"))
            report.problem("malformed", file, line, f"text outside any JSON object skipped: {said}")

    depth = 0
    in_str = False
    skip = -1  # index in the current block of a character escaped by a backslash
    lineno = scan.lineno
    start_line = 0
    parts: list[bytes] = []
    start = 0
    indent: bytes | None = None  # the blanks before the first line of an object open across blocks
    laid_out = True  # False once the open object is known not to be pretty-printed
    tail: bytes | None = b""  # the unfinished last line of the previous block (None: too long)
    lost: tuple[int, str, re.Pattern[bytes]] | None = None
    carry = b""  # while lost: the last line of the previous block (a sought line may straddle two)
    for block in blocks:
        pos = 0
        if lost is not None:
            seen = len(carry)  # its line breaks are counted
            block = carry + block
            m = lost[2].search(block)
            if m is None:
                lineno += block.count(b"\n", seen)
                scan.lineno = lineno
                nl = block.rfind(b"\n")
                carry = block[nl:] if nl >= 0 and len(block) - nl <= _CARRY else b""
                continue
            pos = m.end() - 1
            lineno += block.count(b"\n", seen, pos)
            damaged(lost[0], lost[1], lineno if m.group(1) else lineno - 1)
            lost = scan.lost = None
        start = 0 if depth else -1
        after = pos  # where the text outside objects began in this block (depth 0)
        restart = True
        while restart:
            restart = False
            for m in _TOKENS.finditer(block, pos):
                i = m.start()
                c = block[i]
                if c == 10:
                    lineno += 1
                    if in_str and depth:
                        # JSON strings hold no raw line break: a quote is missing or stray, and
                        # what is string and what is not is swapped from there on.
                        why = f"a string is not closed on line {lineno - 1}"
                        if not parts:  # the object began in this block
                            indent = _line_indent(block, start, tail)
                        pattern = _object_line(indent)
                        found = pattern.search(block, i)
                        depth, in_str, skip, parts = 0, False, -1, []
                        if found is None:
                            lost = scan.lost = (start_line, why, pattern)
                            lineno += block.count(b"\n", i + 1)
                            nl = block.rfind(b"\n")
                            carry = block[nl:] if len(block) - nl <= _CARRY else b""
                            break
                        pos = after = found.end() - 1
                        lineno += block.count(b"\n", i + 1, pos)
                        damaged(start_line, why, lineno if found.group(1) else lineno - 1)
                        start = -1
                        restart = True
                        break
                    continue
                if i == skip:
                    continue
                if in_str:
                    if c == 92:  # backslash
                        skip = i + 1
                    elif c == 34:
                        in_str = False
                    continue
                if c == 34:
                    in_str = True
                elif c == 123:  # {
                    if depth == 0:
                        gap(block[after:i], lineno)
                        start = i
                        start_line = lineno
                        parts = []
                        laid_out = True
                    depth += 1
                elif c == 125 and depth:  # }
                    depth -= 1
                    if depth == 0:
                        parts.append(block[start : i + 1])
                        yield start_line, b"".join(parts)
                        parts = []
                        start = -1
                        after = i + 1
            else:
                if depth and not parts:
                    indent = _line_indent(block, start, tail)  # of an object begun in this block
                if depth and indent is not None and laid_out:
                    # An object open at the end of a block, as one is that lost a '}' (a record cut
                    # mid-write): did a top-level object start inside it?
                    new = _new_object(block, start, parts, indent)
                    laid_out = new is not False
                    if new is not True and new is not False:
                        block, pos, shared = new
                        after = pos
                        line = lineno - block.count(b"\n", pos)
                        damaged(start_line, f"a new object starts on line {line} before it closed",
                                line if shared else line - 1)
                        lineno = line
                        depth, in_str, skip, parts = 0, False, -1, []
                        start = -1
                        restart = True
        scan.lineno = lineno
        if lost is not None:
            continue
        skip = 0 if skip == len(block) else -1
        if depth and start >= 0:
            parts.append(block[start:])
        elif not depth:
            gap(block[after:], lineno)
        nl = block.rfind(b"\n")
        if nl >= 0:
            tail = block[nl + 1 :] if len(block) - nl <= _SIGHT else None
        elif tail is not None:
            tail = tail + block if len(tail) + len(block) <= _SIGHT else None
    if depth and lost is None:
        scan.open = (start_line, b"".join(parts))


def _new_object(
    block: bytes, start: int, parts: list[bytes], indent: bytes
) -> tuple[bytes, int, bool] | bool:
    """Where a line starts a top-level object (see :func:`_object_line`) inside the open object
    that begins at ``block[start]`` (or in an earlier block, if ``parts`` holds its text so far):
    ``(text, index of its '{' in text, whether that line also ends an object)``, where ``text``
    is ``block`` or, for a line that began in the earlier text, ``block`` behind the end of it.
    False if the object is not laid out as a pretty-printer does (no such line will be found in
    it), True if none is found so far.

    In a pretty-printed object every line but its last is indented deeper than its first, so
    such a line means the object lost its end (a ``}``, or the rest of a record cut mid-write).
    Only a line that follows no ``:`` nor ``[`` (after which a value is due) and whose object
    starts with the same key (``{"flow":`` after a ``{"flow":`` record: records of one file
    share their shape) is taken, so that an object of odd layout is not cut in two.
    """
    head = block[start:] if not parts else parts[0]
    k = 1
    while len(head) < 2 * _SIGHT and k <= len(parts):  # enough of the object to read its first key
        head += parts[k] if k < len(parts) else block
        k += 1
    key = _FIRST_KEY.match(head)
    if key is None:
        return len(head) < 2 * _SIGHT  # not yet read, or no key to match records on
    same = re.compile(rb"\s*" + re.escape(key.group(1)) + rb"\s*:")
    text, offset, begin = block, 0, start + 1
    if parts:
        # With the end of the earlier text: a line may straddle the blocks.
        ctx = parts[-1][-_CARRY:]
        k = len(parts) - 1
        while len(ctx) < _CARRY and k:
            k -= 1
            ctx = parts[k][-_CARRY:] + ctx
        text, offset, begin = ctx + block, len(ctx), 0
    whole = b""
    for m in _object_line(indent).finditer(text, begin):
        if m.end() + 2 * _SIGHT <= offset:
            continue  # looked at with the earlier text
        if same.match(text, m.end()):
            if not whole:
                whole = b"".join(parts) + block if parts else block
                lead = sum(map(len, parts)) - offset if parts else 0
            at = lead + m.start()
            if _shallow_line(indent).search(whole, 0 if parts else start, at) is not None:
                return False
            if whole[max(0, at - 64) : at].rstrip(b" \t\r")[-1:] not in (b":", b"["):
                return text, m.end() - 1, m.group(1) is not None
    return True


@functools.lru_cache(maxsize=64)
def _shallow_line(indent: bytes) -> re.Pattern[bytes]:
    """A line break before a line that is neither indented deeper than ``indent``, nor blank, nor
    starting there with the ``}`` or ``]`` that ends a value or with what starts an object (see
    :func:`_object_line`): what no pretty-printed object holds."""
    return re.compile(rb"\n(?!" + re.escape(indent) + rb"[ \t{}\],]|[ \t]*\r?(?:\n|$))")


Framing = Literal["lines", "objects", "sse"]
"""How a JSON file holds its records: one per line, a stream or array of (pretty-printed)
objects, or the ``data:`` lines of a captured server-sent event stream."""

BOM = b"\xef\xbb\xbf"
_SSE_FIELD = re.compile(rb"[A-Za-z][A-Za-z0-9_-]*(:|$)")


def looks_like_sse(text: bytes) -> bool:
    """The start of a captured server-sent event stream (``curl -N ...?watch=true``).

    Whisker's ``GET /flows?watch=true`` answers ``data: {json}`` and a blank line per flow.
    Within the first bytes, every line before the first ``data`` line must be blank, a comment
    (``:``) or a field (``event:``, ``id:``, ``retry:``, Calico's ``error:``...): a JSON file
    starts with ``{`` or ``[``, and a CSV header with commas fails at the first comma.  First
    bytes that hold only such lines, with at least one comment, are a stream whose keep-alive
    comments (``: ping``) came before the first event: no other format starts with ``:``.
    """
    comment = False
    for line in text.removeprefix(BOM).splitlines():
        if not line.strip():
            continue
        if line.startswith(b":"):
            comment = True
            continue
        if line.startswith(b"data:") or line == b"data":
            return True
        if not _SSE_FIELD.match(line):
            return False
    return comment


def _sse_events(lines: Iterable[tuple[int, bytes]], problem: Callable[[str, int, str], None]
                ) -> Iterator[tuple[int, bytes, bool]]:
    """``(line of the first data line, data, complete)`` per event of a server-sent event stream.

    The WHATWG rules: an event's ``data`` lines are joined by newlines and it ends at a blank
    line; ``:`` starts a comment; one space after the colon is dropped; other fields
    (``event``, ``id``, ``retry``, unknown ones) carry nothing here.  Two departures, so that
    nothing is lost silently: Calico's ``error: message`` (its upstream failed) is recorded as
    a ``stream-error``, and a line whose name is not a plain token (letters, digits, ``-``,
    ``_``; e.g. ``hello world``) is recorded as ``malformed``: a browser would ignore it as an
    unknown field, but in a capture it points to damage.  An
    event cut off at the end of the file is yielded with ``complete`` False: it is kept if its
    data still parses, else counted as truncated.
    """
    data: list[bytes] = []
    start = 0
    for lineno, line in lines:
        if not line:
            if data:
                yield start, b"\n".join(data), True
                data = []
            continue
        field, _, value = line.partition(b":")
        if value[:1] == b" ":
            value = value[1:]
        if field == b"data":
            if not data:
                start = lineno
            data.append(value)
        elif field == b"error":
            problem("stream-error", lineno, f"the server reported: {value[:200].decode('utf-8', 'replace')}")
        elif field and not _SSE_FIELD.match(line):
            said = as_written(line[:60].decode("utf-8", "replace"))
            problem("malformed", lineno, f"not a server-sent event line: {said}")
    if data:
        yield start, b"\n".join(data), False


def _split_lines(chunks: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """``(number, line)`` of a byte stream whose lines end in LF, CRLF or a lone CR.

    A byte-order mark at the start of a line is dropped (the stream's, or that of a capture
    joined to another with ``cat``).  A CR at the end of a chunk waits for the next one,
    which may start with its LF.  The pieces of an unfinished line are kept apart and joined
    once, when it ends, so a very long line costs its length, not its length squared.
    """
    pending: list[bytes] = []
    lineno = 0
    for chunk in chunks:
        if b"\n" not in chunk and b"\r" not in chunk:
            pending.append(chunk)
            continue
        lines = b"".join([*pending, chunk]).splitlines(keepends=True)  # bytes: LF, CRLF, CR only
        pending = []
        last = lines[-1] if lines else b""
        if not last.endswith((b"\n", b"\r")) or (last.endswith(b"\r") and not last.endswith(b"\r\n")):
            pending.append(lines.pop())  # unfinished, or maybe the first half of a CRLF
        for line in lines:
            lineno += 1
            yield lineno, line.rstrip(b"\r\n").removeprefix(BOM)
    rest = b"".join(pending)
    if rest:
        yield lineno + 1, rest.rstrip(b"\r\n").removeprefix(BOM)


def sse_payloads(text: bytes) -> list[bytes]:
    """The data of the events in the first bytes of a stream (for format detection)."""
    return [d for _, d, _ in _sse_events(_split_lines([text]), lambda *_: None)]


def iter_sse(path: Path, report: Report) -> Iterator[tuple[int, bytes, bool]]:
    """``(line_number, data, complete)`` of each event of a captured server-sent event stream."""
    file = str(path)
    read = 0

    def chunks() -> Iterator[bytes]:
        nonlocal read
        try:
            with open_binary(path) as fh:
                # read1: a gzip stream cut short still gives what it decompressed before the cut.
                while block := fh.read1(_BLOCK):
                    read += block.count(b"\n") + block.count(b"\r") - block.count(b"\r\n")
                    yield block
        except EOFError:
            report.problem("truncated", file, read + 1, "compressed stream ends early (file cut mid-write?)")
        except (OSError, zlib.error) as e:
            report.problem("unreadable", file, read + 1, cannot_read(e))

    yield from _sse_events(_split_lines(chunks()), lambda kind, line,
                           msg: report.problem(kind, file, line, msg))


def rewritten(obj: Any) -> bytes | None:
    """``obj`` written by orjson (compact), or None if it is nested deeper than orjson writes
    (254 levels; it reads 1024)."""
    try:
        return orjson.dumps(obj)
    except TypeError:  # orjson.JSONEncodeError: "Recursion limit reached"
        return None


# How Hubble writes its JSON lines, from the sources (read 2026-11-28), and why most of them
# pass the first screen of repeated_key as they are:
#
# * `hubble observe -o json` / `-o jsonpb` (cilium/hubble pkg/printer/printer.go, now
#   cilium/cilium hubble/pkg/printer/printer.go: Printer.WriteProtoFlow) and the exporter
#   (cilium/cilium pkg/hubble/exporter/exporter.go: exporter.OnDecodedEvent; encoder.go:
#   JsonEncoder) all write with Go's `json.NewEncoder(w).Encode(v)`, one value and "\n" a line.
# * The values are protobuf messages whose generated MarshalJSON (cilium/cilium
#   api/v1/flow/flow.pb.json.go, api/v1/observer/observer.pb.json.go, protoc-gen-go-json) is
#   `protojson.MarshalOptions{UseProtoNames: true}.Marshal`: proto field names ("node_name",
#   "IP", "Type"), fields in the .proto's order, default values left out, 64-bit integers as
#   strings, enums by name, Timestamps as RFC 3339 strings.
# * protojson's single-line writer (google.golang.org/protobuf internal/encoding/json/encode.go:
#   Encoder.prepareNext) puts a space after each ',' when internal/detrand's Bool() is true: a
#   hash of the running binary's size and bytes (detrand.binaryHash), so the same for every
#   line a given build writes and unknown in advance; detrand.Disable() (tests) turns it off.
#   Its strings (internal/encoding/json/string.go: appendString) escape only '"', '\\' and
#   controls (\b \f \n \r \t, others as \u00xx, lower-case hex); UTF-8 is written as is.
# * Go's encoding/json does not copy a MarshalJSON result: marshalerEncoder (golang/go
#   src/encoding/json/encode.go) passes it through compact (indent.go: appendCompact) with the
#   Encoder's escapeHTML, true by default (stream.go: NewEncoder).  That drops every space
#   outside strings (so protojson's random spaces never reach a Hubble line: the exporter's
#   test, exporter_test.go TestExporter, expects exact compact bytes) and writes '<', '>', '&'
#   as \u003c, \u003e, \u0026 and U+2028, U+2029 as \u2028, \u2029, inside strings.
#
# orjson writes strings as protojson does (same escapes, same lower-case hex, UTF-8 as is) and
# keeps the parsed key order, so a Hubble line is orjson.dumps of its record byte for byte,
# except where a string holds '<', '>', '&', U+2028 or U+2029 (L7 HTTP urls with a query string,
# their Summary, headers), or a number orjson writes another way (a float; such a line goes on
# to the ':' screen, still exact).  The lines expected by Hubble's printer tests (json and
# jsonpb cases, one with \u001b and \r escapes) and exporter test, and captured exporter lines
# quoted in public write-ups, are orjson's writing byte for byte (checked one by one, not
# committed).  Only those escapes need a second screen: go_escaped.


def go_escaped(written: bytes) -> bytes:
    """``written`` (orjson's compact writing) with the escapes Go's encoding/json Encoder adds:
    ``<``, ``>``, ``&`` as ``\\u003c``, ``\\u003e``, ``\\u0026``, U+2028 and U+2029 as
    ``\\u2028``, ``\\u2029``.  ``written`` itself if it holds none of them."""
    out = written.replace(b"&", b"\\u0026").replace(b"<", b"\\u003c").replace(b">", b"\\u003e")
    if b"\xe2" in out:  # the lead byte of U+2028/U+2029 (a 3-byte search costs ~1 us: avoided)
        out = out.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
    return out


def repeated_key(raw: bytes, obj: Any, written: bytes | None = b"") -> str | None:
    """The path of a key that ``raw``, parsed as ``obj``, gives twice in one object, or None.

    orjson (like Python's json) keeps the last value of a repeated key and drops the other
    silently.  ``written`` is ``rewritten(obj)`` if the caller has it (empty: not computed).
    Screened cheaply first, in steps that can only let through a record that has no repeat,
    so the answer is exact for every record:

    * ``raw`` is ``written`` (plus whitespace): a compact line as orjson writes it, which is
      how Hubble writes a record unless a string holds ``<``, ``>``, ``&``, U+2028 or U+2029
      (see the notes above :func:`go_escaped`).  Costs one serialization and a comparison.
    * ``raw`` holds a backslash and is ``go_escaped(written)`` (plus whitespace): Hubble's
      line for a record whose strings hold those characters.  A few byte replacements.
    * Else each key is a ``:`` outside strings, and ``written`` has every string's ``:`` as it
      is and each kept key once, so ``raw`` has more ``:`` only if it repeats a key (counting
      the ``\\u003a`` escapes a ``:`` may be written as).

    Why the first two are exact: ``written`` (orjson) gives each key of an object once.
    ``go_escaped`` only rewrites characters inside strings as their ``\\u`` escapes (orjson
    writes ``<``, ``>``, ``&`` and the UTF-8 lead byte 0xE2 nowhere else), so its result is a
    JSON text of the same value, each key once.  ``raw`` parsed as ``obj``, so it is one JSON
    value and whitespace; if it starts with an object or array text, that text is its whole
    value (a bracket closes it), so ``raw``'s objects are that text's: no key twice.  A
    scalar holds no key at all.

    Only a record that passes none of them (or that orjson cannot write) is read again with
    every pair kept, to name the key.
    """
    if written == b"":
        written = rewritten(obj)
    if written is None:
        return _repeat(raw)
    if raw.startswith(written):
        return None
    if b"\\" in raw:
        escaped = go_escaped(written)
        if escaped is not written and raw.startswith(escaped):
            return None
    colons = raw.count(b":")
    if b"\\" in raw:
        colons += raw.count(b"\\u003a") + raw.count(b"\\u003A")
    if colons <= written.count(b":"):
        return None
    return _repeat(raw)


def repeat_problem(key: str) -> str:
    """Why a record that gives ``key`` twice is not read (as for a CSV column given twice)."""
    return f"key {as_written(key)} is given twice; which value holds cannot be told"[:200]


def json_source(path: Path, report: Report, framing: Framing = "lines") -> Iterator[tuple[int, bytes, bool]]:
    """``(line_number, bytes, complete)`` of each JSON line, object of an array/stream, or event."""
    if framing == "lines":
        return iter_lines(path, report)
    if framing == "sse":
        return iter_sse(path, report)
    return ((n, b, True) for n, b in iter_objects(path, report))


def parse_items(
    parse_obj: Callable[[Any, int], Any], items: list[Any], line: int, fmt: str = ""
) -> list[Any]:
    """Records of the items of a list response, with an exception in place of each bad item and
    the kind (``"other"``...) of each item that holds no flow, to be counted as skipped."""
    out: list[Any] = []
    for i, item in enumerate(items):
        try:
            rec = parse_obj(item, line)
        except (TypeError, ValueError, AttributeError, KeyError) as e:
            out.append(ValueError(f"item {i}: {structure_detail(item, fmt, e)}"))
            continue
        if rec.__class__ is list:  # an item that is itself a list response
            out.extend(rec)
        elif rec is not None:
            out.append(rec)
    return out


def parse_json(
    path: Path,
    report: Report,
    stats: dict[str, Any],
    parse_obj: Callable[[Any, int], Any],
    *,
    framing: Framing = "lines",
    on_skip: Callable[[str, Any], None] | None = None,
    fmt: str = "",
) -> Iterator[tuple[Any, ...]]:
    """Run ``parse_obj(obj, line)`` over the JSON lines (or objects) of a file, counting what is skipped.

    ``on_skip(kind, obj)`` sees each skipped non-flow object (Hubble's ``lost_events`` carry a count);
    ``fmt`` (``hubble``, ``calico``, ``goldmane``) names the fields of a record that fails.
    """
    import orjson

    loads = orjson.loads
    decode_error = orjson.JSONDecodeError
    file = str(path)
    skipped = stats["skipped"]
    source = json_source(path, report, framing)
    lineno = 0
    for lineno, line, complete in source:
        try:
            obj = loads(line)
        except decode_error as e:
            kind = "truncated" if not complete else "malformed"
            report.problem(kind, file, lineno, not_json(e, line))
            continue
        twice = repeated_key(line, obj)
        if twice is not None:
            report.problem("malformed", file, lineno, repeat_problem(twice))
            continue
        try:
            rec = parse_obj(obj, lineno)
        except (TypeError, ValueError, AttributeError, KeyError) as e:
            report.problem("malformed", file, lineno, structure_problem(obj, fmt, e))
            continue
        if rec.__class__ is tuple:
            yield rec
        elif rec is None:
            continue
        elif isinstance(rec, str):
            skipped[rec] = skipped.get(rec, 0) + 1
            if on_skip is not None:
                on_skip(rec, obj)
        elif isinstance(rec, list):  # the items of a list response; a bad one is its own problem
            for item in rec:
                if isinstance(item, Exception):
                    report.problem("malformed", file, lineno, f"unexpected structure: {item}")
                elif isinstance(item, str):  # an item that holds no flow: counted as a line would be
                    skipped[item] = skipped.get(item, 0) + 1
                else:
                    yield item
    stats["lines"] = lineno
