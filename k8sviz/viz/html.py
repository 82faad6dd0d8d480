"""Escaped HTML for tables and small displayable wrappers (notebooks and the report)."""

from __future__ import annotations

import base64
import csv
import gzip
import html
import io
import json
import re
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

import pandas as pd

from .._text import as_given

__all__ = ["CSV_DOWNLOAD_JS", "EMPTY_SAYS_NONE", "GZIP_FROM_CHARS", "HTML", "csv_download", "csv_head",
           "csv_text", "csv_text_download", "csv_value", "embedded_csv", "slug", "table_html"]


#: Longest cell text written into a table (the rest is summarised, not inlined).
MAX_CELL = 600


#: Where a long cell may wrap, besides spaces and hyphens before letters (which browsers break
#: at already): after a separator of names, labels, paths and lists (``/ _ = , ; : | @ .``)
#: unless it stands between two digits (a number, an address, a time stay whole); after a
#: hyphen before a digit (``pool-<wbr>1``) but not in a port range (``1-65535``); in an ISO
#: 8601 time before its ``T``, its fraction and its offset; and between the words of a
#: camelCase name (``Network<wbr>Policy``).
_BREAK = re.compile(
    r"(?:(?<=[^\d\s][/_=,;:|@.])|(?<=\d[/_=,;:|@.])(?!\d))(?=\S)|(?<=[^\d\s]-)(?=\d)"
    r"|(?<=\d)(?=T\d\d:)|(?<=:\d\d)(?=\.\d)|(?<=\d)(?=[+-]\d\d:\d\d(?!\d))"
    r"|(?<=[a-z])(?=[A-Z])"
)


#: A word long enough to widen a narrow column on its own.
_LONG_WORD = re.compile(r"(?<![a-z])[a-z]{12,}(?![a-z])")
#: The last words of compound workload names (``recommendationservice``, ``loadgenerator``):
#: a long word may wrap before them.
_NAME_WORDS = ("service", "controller", "generator", "catalog", "gateway", "exporter", "operator",
               "manager", "server", "worker", "agent", "proxy", "cache", "store")


def _compound(word: str) -> list[int]:
    """The places in ``word`` (lower-case letters) before the :data:`_NAME_WORDS` it ends with,
    each leaving a word of 3 letters or more before it: ``product|catalog|service``."""
    cuts: list[int] = []
    end = len(word)
    while end >= 12:
        last = next((w for w in _NAME_WORDS if word.endswith(w, 0, end) and end - len(w) >= 3), None)
        if last is None:
            break
        end -= len(last)
        cuts.append(end)
    return cuts[::-1]


#: A port range, with its protocol if it has one (``444-6442``, ``TCP/444-6442``), not part of a
#: longer name, number or address (``pool-1-32c3``, ``10.0.0.1-10.0.0.9``, a date ``2024-03-10``).
_PORT_RANGE = re.compile(r"(?<![\w.:/-])(?:[A-Za-z]+/)?\d{1,5}-\d{1,5}(?![\w.:/-])")
#: The pieces of a date or time that stay on one line, as a port range does (Chromium wraps
#: ``2024-03-10`` after a hyphen and ``12:00:00`` after a colon): a date, a time of day (after a
#: date's ``T`` or on its own, as in ``2024-03-10 12:00:00``) and a time's UTC offset.  A time
#: still wraps between its pieces, at the places :data:`_BREAK` marks (before ``T``, its fraction
#: and its offset) and at a space.
_DATE_TIME = re.compile(
    r"(?<![\w.:/-])\d{4}-\d\d-\d\d(?=T\d|[^\w.:/-]|$)"
    r"|(?:(?<=\dT)|(?<![\w.:/+-]))\d\d:\d\d(?::\d\d)?Z?(?![\w:])"
    r"|(?<=\d)[+-]\d\d:\d\d(?![\w:])"
)
#: A protocol before its port (``TCP/80``): no wrap place after its ``/``.
_PROTOCOL = re.compile(r"(?<![\w/])(?:TCP|UDP|SCTP|ANY|tcp|udp|sctp|any)/(?=\d)")
#: The element that keeps a port range or a piece of a date on one line (the report's style sheet
#: sets its class ``white-space: nowrap``): Chromium wraps ``444-6442`` after its hyphen, as
#: ``444-`` / ``6442``.
_WHOLE = ('<span class="nowrap">', "</span>")


def _escaped(text: str, breaks: bool) -> str:
    """``text`` escaped; with ``breaks``, a ``<wbr>`` at each :data:`_BREAK` and before the last
    words of a long compound name (:func:`_compound`): places the line may wrap, which add no
    character to the text a reader copies; and each port range (:data:`_PORT_RANGE`) and piece
    of a date or time (:data:`_DATE_TIME`) in an element that keeps it on one line (no ``<wbr>``
    in it), which adds none either (a non-breaking hyphen would: the copied range would no
    longer read as typed)."""
    if not breaks:
        return html.escape(text)
    cuts = {m.start() for m in _BREAK.finditer(text)}
    for m in _LONG_WORD.finditer(text):
        cuts.update(m.start() + c for c in _compound(m.group()))
    cuts.difference_update(m.end() for m in _PROTOCOL.finditer(text))  # TCP/80 whole too
    whole = sorted({m.span() for pattern in (_PORT_RANGE, _DATE_TIME) for m in pattern.finditer(text)})
    for a, b in whole:
        cuts.difference_update(range(a + 1, b))
    cuts.discard(0)
    if not whole:
        bounds = [0, *sorted(cuts), len(text)]
        return "<wbr>".join(html.escape(text[a:b]) for a, b in pairwise(bounds))
    starts, ends = {a for a, _ in whole}, {b for _, b in whole}
    out = []
    for a, b in pairwise(sorted({0, len(text), *cuts, *starts, *ends})):
        # at one place: a range's end, then a wrap place, then the next range's start
        out += [_WHOLE[1] if a in ends else "", "<wbr>" if a in cuts else "",
                _WHOLE[0] if a in starts else "", html.escape(text[a:b])]
    return "".join(out) + (_WHOLE[1] if len(text) in ends else "")


def _clip(text: str, breaks: bool = False) -> str:
    if len(text) <= MAX_CELL:
        return _escaped(text, breaks)
    return _escaped(text[:MAX_CELL], breaks) + f" ... ({len(text) - MAX_CELL} more characters)"


def _cell(value: Any, breaks: bool = False) -> str:
    return _clip(_shown(value) if isinstance(value, Mapping) else _plain(value), breaks)


#: The element that keeps an entry of a list under its row on one line while it fits one (the
#: report's style sheet sets its class ``display: inline-block; max-width: 100%``): a line of
#: ``file:line`` samples wrapped inside a path, at its ``<wbr>``, where the whole next entry
#: would have fitted the next line.  An entry longer than the line still wraps inside.
_ENTRY = ('<span class="entry">', "</span>")


def _entries(value: Any, breaks: bool) -> str:
    """A cell under its row (``table_html(below=...)``): with ``breaks``, a flat list's entries
    each in an :data:`_ENTRY` element, its ``,`` inside it, so that the line wraps between
    entries first; its text as :func:`_cell` writes it, clipped alike."""
    if not breaks or not isinstance(value, list | tuple) or not value \
            or any(isinstance(v, list | tuple) for v in value):
        return _cell(value, breaks)
    text = _plain(value)
    if len(text) > MAX_CELL:
        return _cell(value, breaks)
    items = [str(v) for v in value]
    return " ".join(f"{_ENTRY[0]}{_escaped(item, True)}{',' if i < len(items) - 1 else ''}{_ENTRY[1]}"
                    for i, item in enumerate(items))


#: Keys of a mapping cell (a finding's evidence) whose empty value is itself evidence: a page
#: says ``key=none`` for them, and leaves out every other key with an empty value
#: (``expired_exceptions=[]``, ``first_seen=``, ``reopened_by={}``, a ``zone`` without zones
#: say nothing the finding does not).  The CSV files and ``--format csv`` keep every key as
#: ``key=[]`` / ``key=``, so that a column reads alike in every row.
#:
#: * ``rules``, ``policies`` (zone-violation): no policy rule opens the connection: no policy
#:   isolates that side, or a hostNetwork pod's own node is let in;
#: * ``workloads`` (namespace-without-policy): the namespace runs no workload;
#: * ``missing`` (namespace-without-default-deny): both default-denies exist, and are re-opened;
#: * ``selects`` (allow-all-rule): the rule's policy selects no running pod;
#: * ``exposed_by``, ``approved_by``, ``unapproved_ports`` (internet-ingress): nothing exposes
#:   the workload outside the cluster; no approved zone-to-zone flow covers it; every port is
#:   approved.
#:
#: Inside a nested mapping (``default_deny={egress=none, ingress=[...]}``, per direction) an
#: empty value is always ``none``: its keys are the cases, each one's emptiness the answer.
EMPTY_SAYS_NONE = frozenset({"rules", "policies", "workloads", "missing", "selects", "exposed_by",
                             "approved_by", "unapproved_ports"})


def _empty(value: Any) -> bool:
    """A value with nothing in it: None, a missing number or time, ``""`` or an empty collection
    (a zero or False is a value)."""
    if value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and value != value):
        return True
    if isinstance(value, str | Mapping | list | tuple | set | frozenset):
        return len(value) == 0
    return hasattr(value, "size") and hasattr(value, "tolist") and value.size == 0


def _shown(value: Mapping[Any, Any]) -> str:
    """A mapping cell as a page shows it: :func:`_plain`'s ``key=value, ...`` without the keys
    whose value is empty, but those of :data:`EMPTY_SAYS_NONE`, shown as ``key=none``."""
    parts = []
    for k, v in sorted(value.items(), key=lambda kv: str(kv[0])):
        if _empty(v):
            if str(k) in EMPTY_SAYS_NONE:
                parts.append(f"{k}=none")
            continue
        parts.append(f"{k}={_shown_nested(v)}")
    return ", ".join(parts)


def _shown_nested(value: Any) -> str:
    """:func:`_nested` as a page shows it: an empty value in a nested mapping as ``none``."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}={'none' if _empty(v) else _shown_nested(v)}"
                               for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))) + "}"
    return _nested(value)


def _plain(value: Any) -> str:
    """A cell's text, unescaped and whole (:func:`_cell` escapes and clips it)."""
    if value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple | set | frozenset):
        if value and all(isinstance(v, list | tuple) for v in value):
            # A list per hop (blast radius ports): "TCP/53, UDP/53 | TCP/443", not "[['TCP/53', ...".
            return " | ".join(", ".join(map(str, v)) for v in value)
        items = sorted(map(str, value)) if isinstance(value, set | frozenset) else [str(v) for v in value]
        return ", ".join(items)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_nested(v)}" for k, v in sorted(value.items(), key=lambda kv: str(kv[0])))
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, pd.Timedelta):
        # Signed seconds: str() writes a negative offset as "-1 days +23:59:53.000499".
        return f"{value.total_seconds():+.6f}".rstrip("0").rstrip(".") + " s"
    if hasattr(value, "tolist") and not isinstance(value, str | bytes):
        return _plain(value.tolist())
    return str(value)


def _nested(value: Any) -> str:
    """A value inside a mapping (a finding's evidence): a list keeps its brackets, since the
    mapping's own entries are joined with commas, but not Python's quotes (``peers=[a, b]``,
    not ``peers=['a', 'b']``); an empty one stays ``[]``, which says "none"."""
    if isinstance(value, Mapping):
        return "{" + _plain(value) + "}"
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return "[" + ", ".join(_nested(v) for v in items) + "]"
    if hasattr(value, "tolist") and not isinstance(value, str | bytes):
        return _nested(value.tolist())  # a numpy array or scalar
    return _plain(value)


def slug(value: Any) -> str:
    """A safe fragment for an HTML id: lower-case letters, digits and single dashes."""
    return re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-")[:80]


def _linked(value: Any, prefix: str) -> str:
    items = value.tolist() if hasattr(value, "tolist") else value
    if not isinstance(items, list | tuple | set | frozenset):
        items = [] if items is None or (isinstance(items, float) and pd.isna(items)) else [items]
    if isinstance(items, set | frozenset):
        items = sorted(items, key=str)
    return ", ".join(
        f'<a href="#{html.escape(prefix)}{slug(v)}">{html.escape(str(v))}</a>'
        if slug(v)
        else html.escape(str(v))
        for v in items
    )


def _rows(value: Any, name: str) -> int | None:
    """``value`` (a count of rows, or None) as an int; else an InputError naming it."""
    from .._checks import is_count

    if value is None:
        return None
    if not is_count(value) or value < 0:
        from ..errors import InputError

        raise InputError(f"table_html: {name} must be a count of rows or None, not {as_given(value)}")
    return int(value)


def table_html(
    df: pd.DataFrame,
    *,
    max_rows: int | None = 500,
    table_id: str | None = None,
    classes: str = "k8sviz-table",
    columns: Sequence[str] | None = None,
    cell_classes: Mapping[str, Mapping[str, str]] | None = None,
    links: Mapping[str, str] | None = None,
    anchor: tuple[str, str] | None = None,
    total: int | None = None,
    breaks: bool = False,
    below: Sequence[str] | None = None,
) -> str:
    """Render a DataFrame as an escaped HTML table (no random ids, no Styler state).

    Every header and cell is HTML-escaped; lists are joined with ``", "``. At most
    ``max_rows`` rows are written and a final row says how many were left out.
    ``cell_classes`` maps a column to ``{value: css class}`` (e.g. severity colours).
    ``links`` maps a column to an anchor prefix: each value (or list item) ``v`` becomes a
    link to ``#<prefix><slug(v)>``. ``anchor=(column, prefix)`` gives the first row of each
    value of ``column`` the id ``<prefix><slug(value)>``.  ``total``: the rows of the whole
    table, when ``df`` holds only its first ones (the final row counts those left out).
    ``below``: columns written under each row rather than beside it, in a second row
    (``<tr class="below">``) across the table, one ``name value`` line per column that holds
    something (no second row when none does): long texts (rules, file paths) read at the
    table's width, not a narrow column's.
    ``breaks``: headers and cells may wrap after the separators of long names, labels, lists
    and times (``shop/<wbr>checkout``, ``expired_<wbr>exceptions``), not only at spaces, so a
    table of many columns fits its page (the report's); the text a reader copies is the same.
    """
    max_rows = _rows(max_rows, "max_rows")
    total = _rows(total, "total")
    n = len(df) if total is None else max(total, len(df))
    # rows first: a frame of millions is not copied whole for the columns shown
    shown = df if max_rows is None or len(df) <= max_rows else df.iloc[:max_rows]
    if columns is not None:
        shown = shown.loc[:, [c for c in columns if c in shown.columns]]
    under = [c for c in shown.columns if below is not None and c in below]
    if under:
        shown = shown.loc[:, [c for c in shown.columns if c not in under] + under]
    cols = [str(c) for c in shown.columns]
    n_top = len(cols) - len(under)
    attrs = f' class="{html.escape(classes)}"'
    if table_id:
        attrs += f' id="{html.escape(table_id)}"'
    out = [f'<div class="table-wrap"><table{attrs}><thead><tr>']
    out += [f"<th>{_escaped(c, breaks)}</th>" for c in cols[:n_top]]
    out.append("</tr></thead><tbody>")
    cc = cell_classes or {}
    lk = links or {}
    seen: set[str] = set()
    for row in shown.itertuples(index=False, name=None):
        rid = ""
        if anchor is not None and anchor[0] in cols:
            key = slug(row[cols.index(anchor[0])])
            if key and key not in seen:
                seen.add(key)
                rid = f' id="{anchor[1]}{key}"'
        out.append(f"<tr{rid}>")
        for c, v in zip(cols[:n_top], row, strict=False):
            klass = cc.get(c, {}).get(str(v)) if c in cc else None
            k = f' class="{html.escape(klass)}"' if klass else ""
            out.append(f"<td{k}>{_linked(v, lk[c]) if c in lk else _cell(v, breaks)}</td>")
        out.append("</tr>")
        if under:
            lines = [f'<div><span class="below-name">{html.escape(c)}</span> '
                     f"{_linked(v, lk[c]) if c in lk else _entries(v, breaks)}</div>"
                     for c, v in zip(cols[n_top:], row[n_top:], strict=True) if not _empty(v)]
            if lines:  # none for a row with nothing to say under it
                out.append(f'<tr class="below"><td colspan="{n_top}">{"".join(lines)}</td></tr>')
    if len(shown) < n:
        more = n - len(shown)
        rows = "row" if more == 1 else "rows"
        out.append(f'<tr class="more"><td colspan="{n_top}">... {more:,} more {rows} not shown</td></tr>')
    out.append("</tbody></table></div>")
    return "".join(out)


#: Characters that make a spreadsheet read a CSV cell as a formula (CSV injection), with their
#: full-width forms and ``|`` (DDE); checked after leading spaces, which some spreadsheets skip.
_FORMULA_START = ("=", "+", "-", "@", "|", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


#: A cell that is only a number (``-5``, ``-0.25``, ``1e-3``) is no formula: kept as it is.
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")


def csv_cell(s: str) -> str:
    """``s`` for a CSV cell a spreadsheet may open: prefixed with ``'`` if a spreadsheet would
    run it as a formula (it starts, after any spaces, with ``=``, ``+``, ``-``, ``@``, ``|``,
    their full-width forms, a tab or a line break), unless it is only a number."""
    start = s.startswith(_FORMULA_START) or s.lstrip(" ").startswith(_FORMULA_START)
    if start and not _NUMBER.fullmatch(s):
        return "'" + s
    return s


def _csv_column(values: list[Any]) -> list[str]:
    """Each cell's CSV text (:func:`csv_text`).  A column repeats a few values many times (zone
    names; the one list the engine shares between all the rows a rule does not open), so
    strings are written once per value and lists once per object: the frame holds the objects,
    so no id is reused while this runs."""
    by_value: dict[str, str] = {}
    by_id: dict[int, str] = {}
    out: list[str] = []
    for v in values:
        if type(v) is str:
            t = by_value.get(v)
            if t is None:
                t = by_value[v] = csv_cell(v)
        elif isinstance(v, list | tuple | set | frozenset | dict):
            t = by_id.get(id(v))
            if t is None:
                t = by_id[id(v)] = csv_cell(_plain(v))
        else:
            t = csv_value(v)
        out.append(t)
    return out


def csv_value(value: Any) -> str:
    """One cell's text as :func:`csv_text` writes it (before the CSV quoting): lists joined with
    ``", "``, a mapping as ``key=value``, times in ISO 8601, a formula cell prefixed with ``'``.
    For writers that make CSV without a DataFrame (``k8sviz connectivity``)."""
    return csv_cell(_plain(value))


#: Rows made into text at a time by :func:`csv_head`: past its ``max_chars`` at most this many
#: rows are written in vain.
_CSV_CHUNK = 20_000


def csv_head(
    df: pd.DataFrame, max_chars: int | None = None, *, lineterminator: str = "\r\n"
) -> tuple[str, int]:
    """The CSV text of ``df``'s first rows (:func:`csv_text`), as many whole rows as fit in
    ``max_chars`` characters with the header (all of them when None), and how many that is.

    Only the rows written are read: the frame may hold millions past the cap.
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=lineterminator)
    w.writerow(_csv_column(list(df.columns)))
    if max_chars is not None and buf.tell() > max_chars:
        return "", 0
    done = 0
    # yes / no, as k8sviz.notebook.table, the report and the commands' txt and md show a
    # boolean column (a policy's "evaluated", a node pair's "skewed"): the CSV read True / False
    flags = [pd.api.types.is_bool_dtype(df.dtypes.iloc[i]) for i in range(df.shape[1])]
    for start in range(0, len(df), _CSV_CHUNK):
        part = df.iloc[start:start + _CSV_CHUNK]
        cols = [["" if v is pd.NA else "yes" if v else "no" for v in part.iloc[:, i].tolist()] if flags[i]
                else _csv_column(part.iloc[:, i].tolist()) for i in range(part.shape[1])]
        for row in zip(*cols, strict=True) if cols else ((),) * len(part):
            end = buf.tell()
            w.writerow(row)
            if max_chars is not None and buf.tell() > max_chars:
                buf.seek(end)
                buf.truncate()
                return buf.getvalue(), done
            done += 1
    return buf.getvalue(), done


def csv_text(df: pd.DataFrame, *, lineterminator: str = "\r\n") -> str:
    """``df`` as CSV text for a spreadsheet: cells as :func:`table_html` writes them (lists
    joined with ``", "``, a mapping as ``key=value``, times in ISO 8601, a boolean column as
    ``yes``/``no``, as ``k8sviz.notebook.table`` shows it) but whole, and a cell
    that a spreadsheet would run as a formula (one starting, after any spaces, with ``=``,
    ``+``, ``-``, ``@``, ``|``, their full-width forms, a tab or a line break) prefixed with
    ``'``.  The one writer of the report's CSV files, ``k8sviz.notebook.to_csv`` and the
    commands' ``--format csv`` (which end rows with a line feed, as shell tools do)."""
    return csv_head(df, lineterminator=lineterminator)[0]


#: The script a page with :func:`csv_download` links needs (once): the file is made when a link is
#: first clicked, and the click then saves it.
CSV_DOWNLOAD_JS = """
document.querySelectorAll("a.csv-download").forEach(function (a) {
  a.addEventListener("click", function (ev) {
    if (a.dataset.ready) return;
    var el = document.getElementById(a.dataset.source);
    var text = JSON.parse(el.textContent);
    if (el.dataset.encoding !== "gzip") {
      a.href = URL.createObjectURL(new Blob([text], {type: "text/csv;charset=utf-8"}));
      a.dataset.ready = "1";
      return;
    }
    ev.preventDefault();  // saved once unpacked, which takes a moment
    if (a.dataset.busy) return;
    a.dataset.busy = "1";
    if (typeof DecompressionStream === "undefined") {
      a.insertAdjacentText("afterend", " (this browser cannot unpack the file: use a current one)");
      return;
    }
    var packed = Uint8Array.from(atob(text), function (c) { return c.charCodeAt(0); });
    new Response(new Blob([packed]).stream().pipeThrough(new DecompressionStream("gzip"))).blob()
      .then(function (b) {
        a.href = URL.createObjectURL(new Blob([b], {type: "text/csv;charset=utf-8"}));
        a.dataset.ready = "1";
        a.click();
      });
  });
});
"""

#: CSV text from this many characters on is carried gzip-compressed (base64) and unpacked by
#: the browser when its link is clicked: a report's violations (millions of rows naming the
#: same workloads again and again) shrink about tenfold, and smaller files stay readable in
#: the page source.
GZIP_FROM_CHARS = 200_000


def csv_download(df: pd.DataFrame, *, element_id: str, filename: str, label: str) -> str:
    """A link that saves ``df`` as a CSV file, with the file's text inlined in the page.

    The text is kept as a JSON string in a ``<script type="application/json">`` element (never
    run; ``<``, ``>`` and ``&`` written as ``\\u003c`` etc., so no cell can close the element or
    open markup; gzip-compressed in base64 from :data:`GZIP_FROM_CHARS` characters on, marked
    ``data-encoding="gzip"``) and the report's own script turns it into a file when the link is
    clicked:
    a page of one element's text, where the same rows as a table would cost the browser
    seconds to lay out.  The page must run :data:`CSV_DOWNLOAD_JS` once.  ``element_id`` and
    ``filename`` are the caller's, not the cluster's.
    """
    return csv_text_download(csv_text(df), element_id=element_id, filename=filename, label=label)


def csv_text_download(text: str, *, element_id: str, filename: str, label: str) -> str:
    """:func:`csv_download` of CSV text already made (e.g. the first rows :func:`csv_head` wrote)."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", element_id):
        msg = f"invalid element id {as_given(element_id)}"
        raise ValueError(msg)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", filename):
        msg = f"invalid file name {as_given(filename)}"
        raise ValueError(msg)
    encoding = ""
    if len(text) >= GZIP_FROM_CHARS:
        # mtime=0: the same rows give the same page bytes
        text = base64.b64encode(gzip.compress(text.encode("utf-8"), mtime=0)).decode("ascii")
        encoding = ' data-encoding="gzip"'
    data = json.dumps(text, ensure_ascii=True)
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (
        f'<script type="application/json" id="{element_id}"{encoding}>{data}</script>'
        f'<a href="#" class="csv-download" data-source="{element_id}" download="{filename}">'
        f"{html.escape(label)}</a>"
    )


def embedded_csv(page: str, element_id: str) -> str:
    """The CSV text that :func:`csv_text_download` put in ``page`` under ``element_id``
    (unpacked if it was compressed), as the link saves it."""
    opening = f'<script type="application/json" id="{re.escape(element_id)}"'
    m = re.search(opening + r'( data-encoding="gzip")?>(.*?)</script>', page, re.S)
    if m is None:
        msg = f"no CSV element {as_given(element_id)} in the page"
        raise KeyError(msg)
    text: str = json.loads(m.group(2))
    if m.group(1):
        text = gzip.decompress(base64.b64decode(text)).decode("utf-8")
    return text


class HTML(str):
    """A string of already-escaped HTML that notebooks display as HTML."""

    __slots__ = ()

    def _repr_html_(self) -> str:
        return str(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/html": str(self), "text/plain": f"<HTML: {len(self)} characters>"}
