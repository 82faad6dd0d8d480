"""Flows in CSV: for exports from other tools (VPC flow logs, NetFlow collectors, SIEM queries).

The first line is a header; columns may come in any order and unknown columns are ignored
(and reported once).  A column given twice is a ``bad-header`` problem: the file is not read.  ``.csv.gz`` is
read transparently.  Lines may end in LF, CRLF or a bare CR; a row holding bytes that are not UTF-8, or one
the CSV reader refuses (an over-long field), is a ``malformed`` problem and the rows after it are read.
A quote left open makes the lines up to the next quote one row: when the row does not have the
header's fields, its values hold lines with a record's fields, or the quote is never closed, one
problem, named at the line the quote opened, that counts every line it swallowed.

==================  ========  =====================================================================
column              required  meaning
==================  ========  =====================================================================
``time``            yes       RFC 3339 / ISO 8601 (any offset; no offset = UTC) or unix seconds
``dst_port``        yes       destination port (empty for ICMP)
``src_ip``          one of    source IP; mapped to a pod/node/Service through the snapshot
``src_pod``         the       source pod name (needs ``src_namespace``)
``src_workload``    three     source workload name (needs ``src_namespace``)
``src_namespace``   no        source namespace
``dst_ip``,         as for    destination, same rules as the source
``dst_pod``, ...    source
``protocol``        no        ``TCP`` (default), ``UDP``, ``SCTP``, ``ICMP``, ``ICMPv6`` (any case) or
                              their IANA number (6, 17, 132, 1, 58); anything else is malformed
``verdict``         no        ``allowed``/``denied``/``unknown`` (also accepts ``allow``, ``deny``,
                              ``accept``, ``reject``, ``drop``, ``forwarded``, ``dropped``)
``src_port``        no        source port
``node``            no        node that observed the flow
``reporter``        no        ``src`` or ``dst``: which end reported it
``bytes_in``, ``bytes_out``, ``packets_in``, ``packets_out``, ``num_flows``: counters (no)
``end_time``        no        end of the record's interval (``time`` is its start)
``policies``        no        ``;``-separated policy names that decided the flow
==================  ========  =====================================================================

Minimal example::

    time,src_ip,dst_ip,dst_port,protocol,verdict
    2026-11-20T10:00:00Z,10.244.2.203,10.244.0.139,7070,TCP,allowed
"""

from __future__ import annotations

import csv as _csv
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .._text import as_written
from ._table import Report, cannot_read, open_binary

__all__ = ["CSV_COLUMNS", "parse_csv"]

CSV_COLUMNS = (
    "time",
    "src_namespace",
    "src_pod",
    "src_workload",
    "src_ip",
    "src_port",
    "dst_namespace",
    "dst_pod",
    "dst_workload",
    "dst_ip",
    "dst_port",
    "protocol",
    "verdict",
    "node",
    "reporter",
    "bytes_in",
    "bytes_out",
    "packets_in",
    "packets_out",
    "num_flows",
    "end_time",
    "policies",
)
# The protocols the other formats carry (Hubble l4 TCP/UDP/SCTP/ICMPv4/ICMPv6, Calico proto),
# by name (any case) or IANA number; anything else is a malformed record.
_PROTO = {
    "TCP": "TCP",
    "UDP": "UDP",
    "SCTP": "SCTP",
    "ICMP": "ICMP",
    "ICMPV4": "ICMP",
    "ICMPV6": "ICMPv6",
    "ICMP6": "ICMPv6",
    "6": "TCP",
    "17": "UDP",
    "132": "SCTP",
    "1": "ICMP",
    "58": "ICMPv6",
}
_VERDICT = {
    "allowed": "allowed",
    "allow": "allowed",
    "accept": "allowed",
    "accepted": "allowed",
    "forwarded": "allowed",
    "denied": "denied",
    "deny": "denied",
    "reject": "denied",
    "rejected": "denied",
    "drop": "denied",
    "dropped": "denied",
}


def _time(v: str) -> Any:
    if not v:
        return None
    try:
        return float(v)
    except ValueError:
        return v


def _int(v: str | None, column: str) -> int | None:
    """A whole-number cell: empty or "-" is no value; a sign and ASCII digits are read (the range
    is judged with the record); anything else names its column. Python's ``int()`` alone would also
    take "1_000" and other scripts' digits, and say "invalid literal for int()" of the rest."""
    if v is None:
        return None
    t = v.strip()
    if t in ("", "-"):
        return None
    digits = t[1:] if t[:1] in "+-" else t
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"{column} {_shown(v)} is not a whole number")
    if len(digits) > 30:  # past any counter, and int() refuses 4,300 digits in its own words
        raise ValueError(f"{column} {_shown(v)} is too large")
    return int(t)


def _shown(v: str) -> str:
    return as_written(v, 40)


def _lines(path: Path, report: Report, not_utf8: dict[int, int], unclosed: list[int]) -> Iterator[str]:
    """The text lines of a CSV file, with their line breaks (the reader keeps a quoted one in its value).

    A line ends at LF, CRLF or a lone CR, as Python's universal newlines (and so the ``csv``
    module's own advice, ``newline=""``) have it; a file of CR-ended lines would otherwise be one
    line the reader refuses.  Bytes that are no UTF-8 are kept as lone surrogates
    (``surrogateescape``) and the first one of each line is noted in ``not_utf8`` (line ->
    byte): the row is then reported, not stored with U+FFFD in a name.  ``unclosed`` gets the
    line of a quote the file leaves open at its end (an odd count of quotes since it; ``""`` is
    two), which the reader takes for a value running to the end of the file.
    """
    lineno = 0
    inside = 0  # the line that opened the quote still open, or 0
    try:
        with open_binary(path) as fh:
            for raw in fh:
                # A bare CR inside a binary line ends a line too (a CR just before the LF does not).
                for line in raw.splitlines(keepends=True) if b"\r" in raw else (raw,):
                    lineno += 1
                    if line.count(b'"') & 1:
                        inside = 0 if inside else lineno
                    try:
                        yield line.decode("utf-8")
                    except UnicodeDecodeError as e:
                        not_utf8[lineno] = line[e.start]
                        yield line.decode("utf-8", "surrogateescape")
    except EOFError:
        report.problem("truncated", str(path), lineno + 1,
                       "compressed stream ends early (file cut mid-write?)")
    except (OSError, zlib.error) as e:
        report.problem("unreadable", str(path), lineno + 1, cannot_read(e))
    finally:
        if inside:
            unclosed.append(inside)


def _printable(text: str) -> str:
    """``text`` with the bytes :func:`_lines` kept as surrogates shown as U+FFFD (a message must print)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _meant(unknown: list[str], absent: list[str]) -> dict[str, str]:
    """Each column of ``unknown`` spelt nearly as one of ``absent`` (columns k8sviz reads that
    the header lacks) -> that column: a mistyped ``dst_prot`` was said to be unused, or the
    file refused for lacking ``dst_port``, without the one saying it was the other."""
    import difflib

    meant = {}
    for h in unknown:
        hits = difflib.get_close_matches(h, absent, 1, 0.8)
        if hits:
            meant[h] = hits[0]
    return meant


def parse_csv(path: Path, report: Report, stats: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    """Stream the rows of a flow CSV as raw records."""
    file = str(path)
    not_utf8: dict[int, int] = {}
    unclosed: list[int] = []
    reader = _csv.reader(_lines(path, report, not_utf8, unclosed))
    try:
        header = next(reader, None)
    except _csv.Error as e:
        report.problem("bad-header", file, reader.line_num, f"CSV error: {e}; the file is not read")
        return
    if header is None:
        return
    header = [_printable(h).strip().lower().lstrip("\ufeff") for h in header]
    idx: dict[str, int] = {}
    for i, h in enumerate(header):
        if h in idx and h in CSV_COLUMNS:
            # Which of the two holds the value is a guess: refuse the file rather than take one.
            report.problem(
                "bad-header", file, 1,
                f"column {as_written(h)} is given twice (columns {idx[h] + 1} and {i + 1}); the file is "
                "not read",
            )
            return
        idx.setdefault(h, i)
    missing = [c for c in ("time", "dst_port") if c not in idx]
    # which end has no column naming it, said as such ("an src_/dst_ ... column" named neither)
    missing += [f"a {side}_ip, {side}_pod or {side}_workload column" for side in ("src", "dst")
                if not any(f"{side}_{k}" in idx for k in ("ip", "pod", "workload"))]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    meant = _meant(unknown, [c for c in CSV_COLUMNS if c not in idx])
    if missing:
        typos = " ".join(f"is column {h} meant for {c}?" for h, c in meant.items())
        report.problem(
            "bad-header",
            file,
            1,
            f"header lacks {' and '.join(missing)}{f' ({typos})' if typos else ''}; see k8sviz.flows.csv",
        )
        return
    if unknown:
        listed = ", ".join(f"{h} (did you mean {meant[h]}?)" if h in meant else h for h in unknown)
        report.problem("ignored-columns", file, 1, f"columns not used: {listed}")
    width = len(header)

    def get(row: list[str], name: str) -> str | None:
        i = idx.get(name)
        if i is None:
            return None
        v = row[i].strip()
        return v or None

    def ep(row: list[str], side: str) -> tuple[Any, ...]:
        return (
            get(row, f"{side}_namespace"),
            get(row, f"{side}_pod"),
            get(row, f"{side}_workload"),
            get(row, f"{side}_ip"),
            None,
            None,
        )

    def record(first: int, lineno: int, row: list[str], last: bool) -> tuple[Any, ...] | None:
        stats["lines"] += 1

        def problem(kind: str, message: str) -> None:
            if lineno == first:
                report.problem(kind, file, lineno, message)
                return
            # A stray quote opens a field that runs over the line breaks to the next quote or the
            # end of the file: every line it swallowed is lost, not one record at its last line.
            lines = lineno - first + 1
            stats["lines"] += lines - 1
            report.problem(kind, file, first,
                           f"a quote opened on this line is not closed before line {lineno}: lines {first}-"
                           f"{lineno} are one row, {message}; all {lines} skipped", count=lines)

        if not any(c.strip() for c in row):
            return None
        if not_utf8:
            bad = next((n for n in range(first, lineno + 1) if n in not_utf8), None)
            if bad is not None:
                on = "" if bad == lineno else f" on line {bad}"
                problem("malformed", f"not UTF-8 (byte 0x{not_utf8[bad]:02x}{on})")
                return None
        if len(row) == width and [_printable(c).strip().lower().lstrip("\ufeff") for c in row] == header:
            # not a record: what two CSV files joined with cat leave between them
            problem("malformed", "the header again (files joined?): not a record")
            return None
        if len(row) != width:
            kind = "truncated" if last and len(row) < width and lineno == first else "malformed"
            problem(kind, f"{len(row)} fields, the header has {width}")
            return None
        if lineno > first:
            # A quoted line break is kept in its value, but lines in it with a record's commas are
            # records a stray quote swallowed (into an ignored column, the row still reads), and a
            # quote never closed swallowed every line to the end of the file.
            shaped = sum(part.count(",") >= width - 1 for c in row for part in c.splitlines()[1:])
            if shaped:
                problem("malformed", f"its values hold {shaped} line{'s' * (shaped > 1)} with a record's "
                        f"{width} fields")
                return None
            if last and unclosed and first <= unclosed[0] <= lineno:
                problem("malformed", "and the quote is never closed (a stray quote, or the file is cut)")
                return None
        try:
            given = get(row, "protocol")
            key = (given or "TCP").upper()
            proto = _PROTO.get(str(int(key)) if key.isascii() and key.isdigit() else key)  # 006 is 6
            if proto is None:
                problem(
                    "malformed",
                    f"protocol {as_written(given)} is not TCP, UDP, SCTP, ICMP, ICMPv6 or their IANA number "
                    "(6, 17, 132, 1, 58)",
                )
                return None
            verdict = get(row, "verdict")
            pols = get(row, "policies")
            return (
                lineno,
                _time(get(row, "time") or ""),
                ep(row, "src"),
                _int(get(row, "src_port"), "src_port"),
                ep(row, "dst"),
                _int(get(row, "dst_port"), "dst_port"),
                None,
                proto,
                _VERDICT.get((verdict or "").lower(), "unknown"),
                verdict,
                None,
                get(row, "reporter"),
                get(row, "reporter"),
                get(row, "node"),
                None,
                _int(get(row, "bytes_in"), "bytes_in"),
                _int(get(row, "bytes_out"), "bytes_out"),
                _int(get(row, "packets_in"), "packets_in"),
                _int(get(row, "packets_out"), "packets_out"),
                _int(get(row, "num_flows"), "num_flows") if get(row, "num_flows") else 1,
                _time(get(row, "time") or ""),
                _time(get(row, "end_time") or ""),
                pols,
                None,
                None,
                None,
            )
        except ValueError as e:
            problem("malformed", f"bad value ({e})")
            return None

    # A row is held back until the next one is read: only the last row of the file may be cut short.
    pending: tuple[int, int, list[str]] | None = None
    end = reader.line_num
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except _csv.Error as e:
            # The reader goes on with the next line: one row it refuses costs only that row.
            stats["lines"] += 1
            report.problem("malformed", file, reader.line_num, f"CSV error: {e}")
            end = reader.line_num
            continue
        end = reader.line_num
        if pending is not None:
            rec = record(*pending, False)
            if rec is not None:
                yield rec
        pending = (start, end, row)
    if pending is not None:
        rec = record(*pending, True)
        if rec is not None:
            yield rec
