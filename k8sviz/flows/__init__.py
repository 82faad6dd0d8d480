"""Observed flows: load Hubble, Calico, Goldmane and CSV flow logs into one table, aggregate and compare.

``load_flows`` returns one row per flow record with the same columns whatever the source
(see :data:`COLUMNS`); ``df.attrs["k8sviz"]`` holds the load report: per source file its format,
records, skipped lines and time window, every problem (file and line) and the endpoints that
could not be mapped to the snapshot.

Modules: :mod:`.hubble`, :mod:`.calico`, :mod:`.goldmane`, :mod:`.csv` (parsers), :mod:`.mapping` (endpoint ->
pod/workload/node/external), :mod:`.compare` (edges, windows, clock skew, intent vs observed),
:mod:`.archive` (out-of-core aggregation with DuckDB).
"""

from __future__ import annotations

import itertools
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .._checks import is_input_dir
from .._files import each_once
from .._gc import paused
from .._text import as_given, as_written
from .._warnings import outside_stacklevel
from ..errors import InputError
from ._table import (
    BOM,
    COLUMNS,
    CORE_COLUMNS,
    ChunkBuilder,
    Framing,
    Report,
    head,
    iter_lines,
    iter_objects,
    iter_sse,
    looks_like_sse,
    parse_json,
    sse_payloads,
)
from .compare import clock_skew, flow_discrepancies, flow_edges, flow_windows, unknown_direction
from .mapping import Mapper

if TYPE_CHECKING:
    import pandas as pd

    from ..snapshot import Snapshot

__all__ = [
    "COLUMNS",
    "CORE_COLUMNS",
    "FlowLoadReport",
    "FlowWarning",
    "aggregate_flow_archive",
    "clock_skew",
    "flow_discrepancies",
    "flow_edges",
    "flow_report",
    "flow_windows",
    "load_flows",
]

FlowFormat = Literal["auto", "hubble", "calico", "goldmane", "csv"]
_SUFFIXES = (".json", ".jsonl", ".ndjson", ".log", ".csv", ".txt", ".sse")


class FlowWarning(UserWarning):
    """Flow records were skipped or endpoints could not be mapped (details in ``df.attrs``)."""


def _files(
    paths: Iterable[str | os.PathLike[str]], report: Report | None = None, *, parquet: bool = False
) -> list[Path]:
    """The flow log files of ``paths`` in the order load_flows reads them: each path as given, a
    directory's files (below it too, hidden ones left out) sorted as paths, part by part (``a/x``
    before ``a-b/x``, which a comparison of names as text puts first).  Of records at one time,
    load_flows' table keeps this order, so :func:`~k8sviz.aggregate_flow_archive` takes it too
    wherever the file decides (``parquet``: its Parquet files found in directories as well).
    A directory holding none is a ``no-input`` problem in ``report`` (a mistyped directory, or
    logs under a suffix not read, would otherwise load as a quiet network: zero flows)."""
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if is_input_dir(path):
            found = len(out)
            for f in sorted(path.rglob("*")):
                name = f.name.removesuffix(".gz")
                hidden = any(part.startswith(".") for part in f.relative_to(path).parts)
                wanted = name.endswith(_SUFFIXES) or (parquet and f.name.endswith(".parquet"))
                if f.is_file() and wanted and not hidden:  # as manifests are walked
                    out.append(f)
            if report is not None and len(out) == found:
                suffixes = ", ".join(_SUFFIXES)
                report.problem("no-input", str(path), None,
                               f"no flow log file ({suffixes}, nor their .gz) in this directory or below it: "
                               "nothing read")
        else:
            out.append(path)
    return each_once(out)  # a file given twice is read (and listed) once


_PROBE = 50  # records looked at to recognise a file's format


def _loads_or_none(data: bytes) -> Any:
    import orjson

    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return None


def _known(obj: Any) -> bool:
    from .calico import looks_like_calico
    from .goldmane import looks_like_goldmane
    from .hubble import looks_like_hubble

    return looks_like_hubble(obj) or looks_like_goldmane(obj) or looks_like_calico(obj)


def _whole_records(lines: list[bytes]) -> list[Any]:
    """The flow records of ``lines`` (the first bytes of a file after its first line) if most
    of those lines are one whole record each, else ``[]``.

    The last line may be cut where the first bytes end.  A pretty-printed document has lines
    that are no JSON by themselves (``"hits": [``, ``},``), and at most a few that are.
    """
    lines = [b for b in lines[:-1] if b.strip()] or [b for b in lines if b.strip()]
    parsed = [_loads_or_none(b) for b in lines]
    records = [c for c in parsed if isinstance(c, dict) and _known(c)]
    return records if lines and 2 * len(records) > len(lines) else []


def _wide_text(data: bytes) -> str | None:
    """``"UTF-16"`` or ``"UTF-32"`` for text that starts with their byte-order mark."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    return None


def _detect(path: Path, report: Report) -> tuple[str | None, Framing]:
    """``(format, framing)`` of a file from its name and first bytes."""
    import orjson

    from .calico import looks_like_calico
    from .goldmane import looks_like_goldmane
    from .hubble import looks_like_hubble

    name = path.name.removesuffix(".gz")
    raw = head(path)
    wide = _wide_text(raw)
    if wide:
        # Windows PowerShell 5 writes UTF-16 with `>`: say so, rather than call it a bad CSV.
        msg = f"{wide} text, not UTF-8; convert it (iconv -f {wide} -t UTF-8)"
        report.problem("unreadable", str(path), 1, msg)
        return None, "lines"
    text = raw.removeprefix(BOM).lstrip()
    if not text:
        # Blank first bytes: an empty file, a compressed stream cut before its first line, or
        # blank lines before the records (which must not hide them).
        probe = Report()
        lines = [line for _, line, _ in itertools.islice(iter_lines(path, probe), _PROBE)]
        if not lines:
            for p in probe.problems:
                report.problem(p["kind"], p["file"], p["line"], p["message"])
            if not probe.problems:
                report.problem("empty", str(path), None, "the file holds no flow records (empty or blank)")
            return None, "lines"
        text = b"".join(lines)
    if name.endswith(".csv"):
        return "csv", "lines"
    framing: Framing = "lines"
    if name.endswith(".sse") or looks_like_sse(text):
        framing = "sse"
        candidates = [_loads_or_none(b) for b in sse_payloads(text)[:_PROBE]]
        if not candidates:
            # A long keep-alive preamble hides the events: find the first ones further on.
            candidates = [_loads_or_none(d) for _, d, _ in itertools.islice(iter_sse(path, Report()), _PROBE)]
    else:
        # The first object that looks like a known format decides, so one junk or tampered
        # record at the top does not hide the file's format.
        first, *rest = text.split(b"\n")[:_PROBE]
        try:
            candidates = [orjson.loads(first), *(_loads_or_none(b) for b in rest)]
        except orjson.JSONDecodeError:
            later = _whole_records(rest)
            if later:
                # One damaged line at the top (a log rotated mid-record, a corrupted byte) over
                # whole records: JSON lines, where only that line is lost.  Read as a stream of
                # objects, a stray quote in it would swallow every record after it.
                candidates = later
            elif text[:1] not in b"[{":
                return "csv", "lines"
            else:
                framing = "objects"
                objects = itertools.islice(iter_objects(path, Report()), _PROBE)
                candidates = [_loads_or_none(b) for _, b in objects]
        if candidates and isinstance(candidates[0], list):
            framing = "objects"
    flat: list[Any] = []
    for c in candidates:
        flat.extend(c[:_PROBE] if isinstance(c, list) else [c])
    for obj in flat[:_PROBE]:
        if looks_like_hubble(obj):
            return "hubble", framing
        if looks_like_goldmane(obj):  # before Calico: a Whisker object has Calico's field names
            return "goldmane", framing
        if looks_like_calico(obj):
            return "calico", framing
    # A CSV header can be valid JSON too (a bare number or string).
    if framing != "sse" and text[:1] not in b"[{":
        return "csv", "lines"
    if all(obj is None for obj in flat):
        # Nothing whole to judge by: say so, rather than suggest the records are of another kind.
        report.problem("unknown-format", str(path), 1,
                       "no whole JSON record in the first lines (cut off or damaged), so its format "
                       "cannot be told: neither Hubble, Calico, Goldmane nor CSV flows")
    else:
        report.problem("unknown-format", str(path), 1,
                       "neither Hubble, Calico, Goldmane nor CSV flows" + _cluster_input_hint(flat))
    return None, framing


def _cluster_input_hint(objects: list[Any]) -> str:
    """What to do when a file given as flows is cluster input (a dump, a snapshot file): its
    place is the snapshot (``k8sviz flows dumps/`` read the dump as unknown flows and went on)."""
    for obj in objects[:_PROBE]:
        if not isinstance(obj, dict):
            continue
        if "schema_version" in obj and "objects" in obj:
            what = "a k8sviz snapshot file"
        elif isinstance(obj.get("kind"), str) and "apiVersion" in obj:
            what = f"a Kubernetes object ({as_written(obj['kind'])})"
        else:
            continue
        return f"; it is {what}, cluster input (a PATH; --snapshot of k8sviz flows), not flows"
    return ""


def _load_snapshot(snapshot: Any, where: str = "load_flows") -> Snapshot | None:
    if snapshot is None:
        return None
    from ..snapshot import Snapshot, load

    if isinstance(snapshot, Snapshot):
        return snapshot
    if isinstance(snapshot, str | os.PathLike):
        return load(snapshot)
    if isinstance(snapshot, list | tuple) and all(isinstance(s, str | os.PathLike) for s in snapshot):
        return load(*snapshot)
    from .._checks import require_snapshot

    # Anything else (a reachability, a graph) is no snapshot: say so, naming the argument.
    return require_snapshot(snapshot, where)


def load_flows(
    *paths: str | os.PathLike[str],
    format: FlowFormat = "auto",
    snapshot: Snapshot | str | os.PathLike[str] | Iterable[str] | None = None,
    chunk_size: int = 100_000,
) -> pd.DataFrame:
    """Load flow logs (Hubble, Calico, Goldmane, CSV; plain or ``.gz``) into one normalized table.

    Parameters
    ----------
    *paths
        Files or directories (searched for ``.json``, ``.jsonl``, ``.ndjson``, ``.log``,
        ``.csv``, ``.txt``, ``.sse`` and their ``.gz`` forms).  A captured server-sent event
        stream (``data:`` lines, e.g. Whisker's ``GET /flows?watch=true``) is read event by event.
    format
        ``"hubble"``, ``"calico"`` (Calico Enterprise/Cloud flow logs), ``"goldmane"``
        (Calico Open Source 3.30+: Goldmane's emitter or the Whisker API), ``"csv"`` or
        ``"auto"`` (detected per file).
    snapshot
        A :class:`~k8sviz.Snapshot` (or paths to load one) used to map IPs and pod names to
        pods, workloads, nodes and Services.  Without it, pod names are mapped to workloads by
        their shape and IPs stay unmapped.  The table records which snapshot it was mapped to
        (``attrs["k8sviz"]["snapshot_sha256"]``): :func:`~k8sviz.gaps`, :func:`~k8sviz.graph`,
        :func:`~k8sviz.flow_discrepancies` and :func:`~k8sviz.report` warn when given another
        snapshot (a FlowWarning: the same cluster's later snapshot is a fair question), and refuse
        one that holds none of the workloads the flows name (a QueryError; a ReportError).
    chunk_size
        Rows converted to columns at a time (memory stays bounded by the chunk plus the result).
        Below 4,096 rows the fixed cost of each conversion would dominate the load, so a smaller
        chunk converts 4,096 rows at a time (held as tuples: a few hundred kilobytes); the table
        is the same whatever the chunk.

    Returns
    -------
    pandas.DataFrame
        One row per flow record, ordered by ``time`` (UTC), with the columns of
        :data:`k8sviz.flows.COLUMNS`.  ``df.attrs["k8sviz"]`` is the load report
        (see :func:`flow_report`).  Malformed, truncated and non-flow lines are counted there
        (with file and line) and summarized in a :class:`FlowWarning`; they never raise.

    Examples
    --------
    >>> flows = k8sviz.load_flows(k8sviz.demo_path("flows"), snapshot=k8sviz.demo())
    >>> sorted(flows["source_format"].unique())
    ['calico', 'hubble']
    """
    if not paths:
        msg = "k8sviz.load_flows needs at least one file or directory"
        raise InputError(msg)
    from .._checks import require_paths

    require_paths(paths, "load_flows")
    if format not in ("auto", "hubble", "calico", "goldmane", "csv"):
        msg = f"format must be auto, hubble, calico, goldmane or csv, not {as_given(format)}"
        raise InputError(msg)
    if chunk_size.__class__ is not int or chunk_size < 1:
        msg = f"chunk_size must be a positive whole number of rows, not {as_given(chunk_size)}"[:200]
        raise InputError(msg)
    snap = _load_snapshot(snapshot)
    report = Report()
    mapper = Mapper(snap)
    builder = ChunkBuilder(mapper, report, chunk_size)
    # Millions of small acyclic tuples: the cyclic GC would rescan them over and over.
    with paused():
        _read_all(paths, format, report, builder)
        df = builder.frame()
    kept = df["file"].value_counts().to_dict() if len(df) else {}
    for src in report.sources:
        src["records"] = int(kept.get(src["file"], 0))
    _count_problems(report.sources, report)
    attrs = {
        "sources": report.sources,
        "problems": report.problems,
        "problem_counts": report.problem_counts,
        "unmapped": mapper.report(),
        "snapshot": None if snap is None else snap.meta.get("cluster"),
        # which snapshot, so that the analyses refuse the flows with another one
        "snapshot_sha256": None if snap is None else snap.sha256,
    }
    _set_windows(report.sources, df)
    unknown = np.flatnonzero(unknown_direction(df))
    attrs["unknown_direction"] = {
        "records": len(unknown),
        "sample": f"{df['file'].iat[unknown[0]]}:{df['line'].iat[unknown[0]]}" if len(unknown) else None,
    }
    df.attrs["k8sviz"] = attrs
    _warn(attrs)
    return df


def _count_problems(sources: Iterable[dict[str, Any]], report: Report) -> None:
    """Each source's ``malformed``, ``truncated`` and ``bad_time`` counts, from ``report``."""
    for src in sources:
        for kind in ("malformed", "truncated", "bad-time"):
            src[kind.replace("-", "_")] = report.by_file.get((src["file"], kind), 0)


def _set_windows(sources: Iterable[dict[str, Any]], table: pd.DataFrame) -> None:
    """Each source's ``first`` and ``last`` record times in ``table`` (None without records)."""
    windows = flow_windows(table) if len(table) else None
    for src in sources:
        src["first"] = src["last"] = None
        if windows is not None:
            w = windows[windows["file"] == src["file"]]
            if len(w):
                # ISO strings keep the attrs JSON-serializable (DataFrame.to_parquet writes them).
                src["first"] = w["first"].iloc[0].isoformat()
                src["last"] = w["last"].iloc[0].isoformat()


def _read_all(
    paths: Iterable[str | os.PathLike[str]],
    format: str,
    report: Report,
    builder: ChunkBuilder,
    fast: bool = True,
) -> None:
    from .calico import parse_doc
    from .csv import parse_csv
    from .goldmane import parse_goldmane
    from .hubble import new_lost, note_lost, parse_flow

    for path in _files(paths, report):
        framing: Framing
        if format == "auto":
            fmt, framing = _detect(path, report)
        else:
            probe = Report()
            fmt, (_, framing) = format, _detect(path, probe)
            if format == "csv":
                framing = "lines"
            # The reader says what else is wrong (a cut stream, lines that are not JSON); of an
            # empty file, it would say nothing (or, reading a BOM as a CSV header, the wrong thing).
            for p in probe.problems:
                if p["kind"] == "empty":
                    report.problem(p["kind"], p["file"], p["line"], p["message"])
                    fmt = None
        stats: dict[str, Any] = {
            "file": str(path),
            "format": fmt if format == "auto" else format,
            "lines": 0,
            "records": 0,
            "malformed": 0,
            "truncated": 0,
            "bad_time": 0,
            "skipped": {},
            "lost_events": new_lost(),
        }
        report.sources.append(stats)
        if fmt is None:
            continue
        if fmt == "hubble" and fast and framing != "sse":
            builder.feed_hubble(path, framing == "lines", report, stats)
            continue
        if fmt == "csv":
            records = parse_csv(path, report, stats)
        else:
            parse = {"hubble": parse_flow, "goldmane": parse_goldmane}.get(fmt, parse_doc)
            lost = stats["lost_events"]

            def on_skip(kind: str, obj: Any, lost: dict[str, Any] = lost) -> None:
                if kind == "lost_events":
                    note_lost(lost, obj)

            records = parse_json(path, report, stats, parse, framing=framing, on_skip=on_skip, fmt=fmt)
        builder.feed(records, fmt, str(path))


class FlowLoadReport(dict[str, Any]):
    """The load report of a flow table: a plain dict that notebooks display as tables.

    Keys: ``sources`` (per file its format, lines, records, skipped lines, time window and
    Hubble ``lost_events``), ``problems`` (samples with file and line), ``problem_counts``,
    ``unmapped`` (endpoints not found in the snapshot), ``unknown_direction``, ``snapshot``
    (its cluster name) and ``snapshot_sha256``.
    In the report of :func:`k8sviz.aggregate_flow_archive`, a file that DuckDB aggregated has
    ``lines`` None and its unmapped endpoints' samples a ``line`` of None (see there).
    """

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_html(self) -> str:
        """Escaped HTML: the files read, what was lost or skipped, and what could not be mapped."""
        import html

        import pandas as pd

        from ..viz.html import table_html

        e = html.escape
        snap = self.get("snapshot")
        mapped = f", mapped to snapshot <code>{e(str(snap))}</code>" if snap else ", not mapped to a snapshot"
        parts = [f"<div class='k8sviz-flow-report'><b>Flow load report</b>{mapped}"]
        sources = pd.DataFrame(self.get("sources") or [])
        if len(sources):
            if "lost_events" in sources.columns:
                # The dict per file is the evidence; the table shows how many events it says were lost.
                sources["lost_events"] = [x.get("events", 0) if isinstance(x, dict) else x
                                          for x in sources["lost_events"]]
            cols = ["file", "format", "lines", "records", "malformed", "truncated", "bad_time", "skipped",
                    "lost_events", "first", "last"]
            parts.append(table_html(sources, max_rows=None, columns=cols))
        else:
            parts.append("<p>No flow file was read.</p>")
        notes = [lost_text(str(s.get("file", "?")), _lost(s["lost_events"])) for s in self.get("sources")
                 or []
                 if isinstance(s.get("lost_events"), dict) and s["lost_events"].get("reports")]
        unknown = self.get("unknown_direction") or {}
        if unknown.get("records"):
            notes.append(unknown_text(unknown))
        parts += [f"<p>{e(n)}</p>" for n in notes]
        counts = self.get("problem_counts") or {}
        if counts:
            listed = ", ".join(f"{e(str(k))} {v}" for k, v in sorted(counts.items()))
            parts.append(f"<p><b>Problems</b>: {listed}</p>")
            parts.append(table_html(pd.DataFrame(self.get("problems") or []), max_rows=20))
        unmapped = self.get("unmapped") or {}
        if unmapped:
            rows = [{"reason": reason, "endpoint": s["endpoint"], "records": s["records"], "file": s["file"],
                     "line": s["line"]} for reason, v in unmapped.items() for s in v.get("samples", [])]
            total = ", ".join(f"{e(str(k))}: {v['endpoints']} endpoints, {v['records']} records"
                              for k, v in unmapped.items())
            parts.append(f"<p><b>Unmapped endpoints</b> ({total})</p>")
            parts.append(table_html(pd.DataFrame(rows), max_rows=20))
        parts.append("</div>")
        return "".join(parts)


def _lost(lost: dict[str, Any]) -> dict[str, Any]:
    """A file's lost_events entry with every field lost_text reads (attrs kept by an older k8sviz may lack
    one)."""
    by_source = lost.get("by_source")
    return {
        "events": lost.get("events", 0),
        "reports": lost.get("reports", 0),
        "first": lost.get("first"),
        "last": lost.get("last"),
        "by_source": by_source if isinstance(by_source, dict) else {},
    }


def flow_report(flows: pd.DataFrame) -> FlowLoadReport:
    """The load report of a flow table (``flows.attrs["k8sviz"]``) of :func:`load_flows` or
    :func:`~k8sviz.aggregate_flow_archive`.

    A :class:`FlowLoadReport`: the dict itself (a shallow copy), which a notebook displays as tables.
    A table without rows and without a report (``flows[flows.verdict == "x"]`` of a table whose
    attrs were lost, ``pd.DataFrame()``) has the empty report: nothing was lost from it.  Any other
    table without one is an :class:`~k8sviz.InputError`: one of something else (a
    :class:`~k8sviz.TableError` naming the columns it lacks), or the flows of load_flows after
    a pandas operation that left the attrs behind; an empty report would say that no file was read.
    """
    import pandas as pd

    from .._checks import flow_table_problem
    from ..errors import TableError

    info = flows.attrs.get("k8sviz") if isinstance(flows, pd.DataFrame) else None
    if isinstance(info, dict) and "sources" in info:
        return FlowLoadReport(info)
    # pd.DataFrame(): no rows, nothing to report
    if not isinstance(flows, pd.DataFrame) or len(flows.columns) or len(flows):
        problem = flow_table_problem(flows, "flow_report", CORE_COLUMNS)
        if problem:
            raise TableError(problem)
    if len(flows):
        msg = (f"flow_report: flows has {len(flows):,} rows but no load report (df.attrs['k8sviz']), which "
               "k8sviz.load_flows(...) sets and some pandas operations (pd.concat, merge, a file read back) "
               "leave behind; call flow_report on the table load_flows returned")
        raise InputError(msg)
    return FlowLoadReport({"sources": [], "problems": [], "problem_counts": {}, "unmapped": {}})


#: Where a flow warning sends a Python user for every problem (the CLI names its own way).
PROBLEMS_HINT = "df.attrs['k8sviz']['problems']"

#: Problem kinds that lose nothing: the record is kept (without its end time), the columns
#: not used are only named.  The others lose records, or a whole file.
LOSSLESS_PROBLEMS = frozenset({"bad-end-time", "ignored-columns"})
#: Problem kinds said of a whole file (or a directory), not of a line: what became of it, and
#: whether flows may have been lost there (an empty file lost none, but holds no evidence).
FILE_PROBLEMS: dict[str, tuple[str, str, bool]] = {
    "unknown-format": ("flow log file", "could not be read (not a flow log format)", True),
    "bad-header": ("flow log file", "could not be read (its CSV header)", True),
    "unreadable": ("flow log file", "could be read only in part", True),
    "empty": ("flow log file", "held no flow records", False),
    "no-input": ("flow log directory", "held no flow log file", False),
}


def _warn(attrs: dict[str, Any]) -> None:
    from .._text import counted

    for src in attrs["sources"]:
        bad = src["malformed"] + src["truncated"] + src["bad_time"]
        if bad:
            where = [
                p
                for p in attrs["problems"]
                if p["file"] == src["file"] and p["kind"] in ("malformed", "truncated", "bad-time")
            ]
            first = f" (first at line {where[0]['line']})" if where else ""
            warnings.warn(
                f"{src['file']}: skipped {src['malformed']} malformed, {src['truncated']} truncated and "
                f"{src['bad_time']} undated {'record' if src['bad_time'] == 1 else 'records'}{first}; see "
                f"{PROBLEMS_HINT}",
                FlowWarning,
                stacklevel=outside_stacklevel(),
            )
    for kind, n in attrs["problem_counts"].items():
        if kind in ("unreadable", "unknown-format", "bad-header", "stream-error", "bad-end-time", "empty",
                    "no-input"):
            sample = next((p for p in attrs["problems"] if p["kind"] == kind), None)
            example = "" if sample is None else f", e.g. {problem_place(sample)}: {sample['message']}"
            warnings.warn(
                f"{counted(n, f'{kind} problem')}{example}",
                FlowWarning,
                stacklevel=outside_stacklevel(),
            )
    for src in attrs["sources"]:
        lost = src.get("lost_events") or {}
        if lost.get("reports"):
            warnings.warn(lost_text(src["file"], lost), FlowWarning, stacklevel=outside_stacklevel())
    unknown = attrs.get("unknown_direction") or {}
    if unknown.get("records"):
        warnings.warn(unknown_text(unknown), FlowWarning, stacklevel=outside_stacklevel())
    unmapped = dict(attrs["unmapped"])
    if unmapped:
        parts = [f"{v['endpoints']} {k} ({v['records']} records)" for k, v in unmapped.items()]
        s = next(iter(unmapped.values()))["samples"][0]
        warnings.warn(
            f"unmapped endpoints: {', '.join(parts)}; e.g. {s['endpoint']} at {s['file']}:{s['line']}",
            FlowWarning,
            stacklevel=outside_stacklevel(),
        )


def problem_place(problem: dict[str, Any]) -> str:
    """``file:line`` of a load problem, or the file alone for one about the whole file."""
    line = problem.get("line")
    return f"{problem['file']}:{line}" if line is not None else str(problem["file"])


def unknown_text(unknown: dict[str, Any]) -> str:
    """What the Hubble records of unknown direction are, and where the first is."""
    from .._text import counted

    return (
        f"{counted(unknown['records'], 'Hubble record')} of unknown direction (no is_reply, no TCP SYN flag, "
        f"not dropped: a reply cannot be told from a request) left out of edges and comparisons; "
        f"e.g. {unknown['sample']}"
    )


def lost_text(file: str, lost: dict[str, Any]) -> str:
    """What a file's Hubble ``lost_events`` reports mean for the flows read from it."""
    from .._text import counted

    when = ""
    if lost["first"] == lost["last"] and lost["first"]:
        when = f" at {lost['first']}"
    elif lost["first"]:
        when = f" between {lost['first']} and {lost['last']}"
    sources = ", ".join(f"{k} {v}" for k, v in sorted(lost["by_source"].items()))
    return (
        f"{file}: Hubble lost {counted(lost['events'], 'event')}{when} "
        f"({counted(lost['reports'], 'lost_events report')}{': ' if sources else ''}{sources}); "
        "flows of that time are missing, "
        "so counts are lower bounds and allowed-but-unused may list rules that were used"
    )


def __getattr__(name: str) -> Any:
    if name == "aggregate_flow_archive":
        from .archive import aggregate_flow_archive

        return aggregate_flow_archive
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
