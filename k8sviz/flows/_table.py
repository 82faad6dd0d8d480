"""The normalized flow table: columns, chunked column building, line readers and the load report."""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from .mapping import Mapper

__all__ = ["COLUMNS", "CORE_COLUMNS", "ChunkBuilder", "Report", "empty_frame", "iter_lines", "iter_objects", "parse_json"]

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
    "line", "time", "src", "src_port", "dst", "dst_port", "dst_service", "protocol", "verdict",
    "cni_verdict", "drop_reason", "reporter", "observation_point", "node", "is_reply",
    "bytes_in", "bytes_out", "packets_in", "packets_out", "num_flows", "start_time", "end_time",
    "policies", "policy_trace",
)

PROBLEM_SAMPLES = 200


class Report:
    """What happened while loading: per-source counts and windows, skipped lines, unmapped endpoints."""

    def __init__(self) -> None:
        self.sources: list[dict[str, Any]] = []
        self.problems: list[dict[str, Any]] = []
        self.problem_counts: dict[str, int] = {}

    def problem(self, kind: str, file: str, line: int | None, message: str) -> None:
        self.problem_counts[kind] = self.problem_counts.get(kind, 0) + 1
        if len(self.problems) < PROBLEM_SAMPLES:
            self.problems.append({"kind": kind, "file": file, "line": line, "message": message[:200]})


def _to_time(values: list[Any]) -> pd.DatetimeIndex:
    """Strings (RFC 3339, any offset) or numbers (unix seconds) -> UTC datetimes; bad values -> NaT."""
    strs = [v if isinstance(v, str) else None for v in values]
    if all(v is None or isinstance(v, str) for v in values):
        return pd.to_datetime(pd.Series(strs, dtype=object), utc=True, format="ISO8601", errors="coerce")
    nums = np.array([float(v) if isinstance(v, int | float) and not isinstance(v, bool) else np.nan for v in values])
    out = pd.to_datetime(pd.Series(nums), unit="s", utc=True, errors="coerce")
    if any(strs):
        parsed = pd.to_datetime(pd.Series(strs, dtype=object), utc=True, format="ISO8601", errors="coerce")
        out = out.where(out.notna(), parsed)
    return out


def _column(kind: str, values: list[Any]) -> Any:
    if kind == "cat":
        return pd.Categorical(values)
    if kind == "int":
        return pd.array(values, dtype="Int64")
    if kind == "bool":
        return pd.array(values, dtype="boolean")
    return _to_time(values).array


def empty_frame() -> pd.DataFrame:
    data = {name: _column(kind, []) for name, kind in COLUMNS.items()}
    return pd.DataFrame(data)


class ChunkBuilder:
    """Collect resolved rows and turn every ``chunk`` rows into typed column arrays."""

    def __init__(self, mapper: Mapper, report: Report, chunk: int = 100_000):
        self.mapper = mapper
        self.report = report
        self.chunk = chunk
        self.rows: list[tuple[Any, ...]] = []
        self.parts: dict[str, list[Any]] = {name: [] for name in COLUMNS}
        self.n = 0

    def feed(self, records: Iterator[tuple[Any, ...]], fmt: str, file: str) -> int:
        """Resolve the endpoints of raw records and append them; returns the number of records."""
        resolve = self.mapper.resolve
        rows = self.rows
        append = rows.append
        chunk = self.chunk
        count = 0
        for r in records:
            line = r[0]
            s = resolve(r[2], file, line)
            d = resolve(r[4], file, line)
            src_ip = r[2][3]
            dst_ip = r[4][3]
            append((
                r[1], s[0], s[1], s[2], src_ip, r[3], s[3], s[4],
                d[0], d[1], d[2], dst_ip, r[5], d[3], d[4], r[6] or d[5],
                r[7], r[8], fmt, *r[9:22], r[22], r[23], file, line,
            ))
            count += 1
            if len(rows) >= chunk:
                self.flush()
                rows = self.rows
                append = rows.append
        return count

    def flush(self) -> None:
        if not self.rows:
            return
        cols = list(zip(*self.rows, strict=True))
        self.rows = []
        names = list(COLUMNS)
        times = _to_time(list(cols[0]))
        bad = times.isna().to_numpy()
        keep = None
        if bad.any():
            lines = cols[names.index("line")]
            files = cols[names.index("file")]
            for i in np.flatnonzero(bad):
                self.report.problem("bad-time", files[i], lines[i], f"time {cols[0][i]!r} is not a timestamp")
            keep = ~bad
        for i, name in enumerate(names):
            arr = times.array if i == 0 else _column(COLUMNS[name], list(cols[i]))
            if keep is not None:
                arr = arr[keep]
            self.parts[name].append(arr)
        self.n += int(len(bad) - bad.sum())

    def frame(self) -> pd.DataFrame:
        self.flush()
        if not self.n:
            return empty_frame()
        data: dict[str, Any] = {}
        for name, kind in COLUMNS.items():
            parts = self.parts[name]
            if kind == "cat":
                parts = [
                    p if len(p.categories) else pd.Categorical(p, categories=pd.Index([], dtype=object))
                    for p in parts
                ]
                data[name] = union_categoricals(parts) if len(parts) > 1 else parts[0]
            else:
                data[name] = parts[0] if len(parts) == 1 else pd.concat([pd.Series(p) for p in parts]).array
            self.parts[name] = []
        df = pd.DataFrame(data)
        order = np.argsort(df["time"].to_numpy(dtype="datetime64[ns]"), kind="stable")
        if not (order == np.arange(len(order))).all():
            df = df.take(order).reset_index(drop=True)
        return df


# ---------------------------------------------------------------------------- reading


def open_binary(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")  # noqa: SIM115


def head(path: Path, size: int = 65536) -> bytes:
    """The first bytes of a (possibly gzipped) file, for format detection."""
    try:
        with open_binary(path) as fh:
            return fh.read(size)
    except (OSError, EOFError, zlib.error):
        with open(path, "rb") as fh:
            return fh.read(size)


def iter_lines(path: Path, report: Report) -> Iterator[tuple[int, bytes, bool]]:
    """Yield ``(line_number, line, complete)`` for non-blank lines, streaming.

    ``complete`` is False for a last line without a newline (a file cut mid-write).  A gzip
    stream that ends early is reported as truncated, not raised.
    """
    lineno = 0
    try:
        with open_binary(path) as fh:
            for lineno, line in enumerate(fh, 1):  # noqa: B007
                if line.endswith(b"\n"):
                    if len(line) > 1 and not line.isspace():
                        yield lineno, line, True
                elif line.strip():
                    yield lineno, line, False
    except EOFError:
        report.problem("truncated", str(path), lineno + 1, "compressed stream ends early (file cut mid-write?)")
    except (OSError, zlib.error) as e:
        report.problem("unreadable", str(path), lineno + 1, f"cannot read further: {e}")


_TOKENS = re.compile(rb'[{}"\\\n]')


def iter_objects(path: Path, report: Report) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_number, bytes)`` of every top-level JSON object in a stream of objects.

    Handles a JSON array of objects (``[{...}, {...}]``) and concatenated pretty-printed
    objects, reading 1 MiB blocks; brackets and commas between objects are ignored.
    """
    depth = 0
    in_str = False
    skip = -1  # index in the current block of a character escaped by a backslash
    lineno = 1
    start_line = 0
    parts: list[bytes] = []
    start = 0
    try:
        with open_binary(path) as fh:
            while True:
                block = fh.read(1 << 20)
                if not block:
                    break
                start = 0 if depth else -1
                for m in _TOKENS.finditer(block):
                    i = m.start()
                    c = block[i]
                    if c == 10:
                        lineno += 1
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
                            start = i
                            start_line = lineno
                            parts = []
                        depth += 1
                    elif c == 125 and depth:  # }
                        depth -= 1
                        if depth == 0:
                            parts.append(block[start : i + 1])
                            yield start_line, b"".join(parts)
                            parts = []
                            start = -1
                skip = 0 if skip == len(block) else -1
                if depth and start >= 0:
                    parts.append(block[start:])
    except EOFError:
        report.problem("truncated", str(path), lineno, "compressed stream ends early (file cut mid-write?)")
        return
    except (OSError, zlib.error) as e:
        report.problem("unreadable", str(path), lineno, f"cannot read further: {e}")
        return
    if depth:
        report.problem("truncated", str(path), start_line, "the last JSON object is incomplete (file cut mid-write?)")


def parse_json(
    path: Path,
    report: Report,
    stats: dict[str, Any],
    parse_obj: Callable[[Any, int], Any],
    *,
    lines: bool = True,
) -> Iterator[tuple[Any, ...]]:
    """Run ``parse_obj(obj, line)`` over the JSON lines (or objects) of a file, counting what is skipped."""
    import orjson

    loads = orjson.loads
    file = str(path)
    source = iter_lines(path, report) if lines else ((n, b, True) for n, b in iter_objects(path, report))
    for lineno, line, complete in source:
        stats["lines"] += 1
        try:
            obj = loads(line)
        except orjson.JSONDecodeError as e:
            kind = "truncated" if not complete else "malformed"
            stats[kind] += 1
            report.problem(kind, file, lineno, f"not JSON ({e})")
            continue
        try:
            rec = parse_obj(obj, lineno)
        except (TypeError, ValueError, AttributeError, KeyError) as e:
            stats["malformed"] += 1
            report.problem("malformed", file, lineno, f"unexpected structure ({type(e).__name__}: {e})")
            continue
        if rec is None:
            continue
        if isinstance(rec, str):
            stats["skipped"][rec] = stats["skipped"].get(rec, 0) + 1
            continue
        if isinstance(rec, list):
            yield from rec
            continue
        yield rec
