"""Text helpers: counted nouns for messages (``1 policy``, ``2 policies``, never ``1 policies``
or ``policy(s)``), the kind and the value of what was read from YAML or JSON in its format's words, and
Markdown table cells."""

from __future__ import annotations

import base64
import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import cast

__all__ = ["SHOWN", "as_given", "as_written", "clip", "counted", "did_you_mean", "kind_of", "md_cell",
           "number", "scalar"]


def counted(n: int, noun: str, nouns: str | None = None) -> str:
    """``n`` and ``noun`` in the number ``n`` takes: ``counted(1, "policy") == "1 policy"``,
    ``counted(49920, "namespace pair") == "49,920 namespace pairs"``.

    ``nouns`` is the plural when the English rule below does not give it (the last word
    of ``noun`` gets the ending: ``"flow record"`` -> ``"flow records"``).
    """
    if n == 1:
        return f"{n} {noun}"
    if nouns is None:
        if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u"):
            nouns = noun[:-1] + "ies"
        elif noun.endswith(("s", "sh", "ch", "x")):
            nouns = noun + "es"
        else:
            nouns = noun + "s"
    return f"{n:,} {nouns}"


def did_you_mean(ref: object, *groups: Iterable[str], n: int = 3) -> str:
    """``"; did you mean 'shop/frontend'?"`` for an unknown endpoint ``ref``, naming up to ``n``
    names of the first of ``groups`` (workloads, then pods, say) that has any near it: those of
    that name in any namespace when ``ref`` names none (``frontend``), else the closest in
    spelling, case aside (``shop/fronted``, ``Shop/Frontend``); for a namespace (``shop``), names
    of it (``shop/adservice``...); ``""`` when none is close. An auditor typing a name from memory
    was told only that it was unknown."""
    import difflib

    if not isinstance(ref, str) or not ref:
        return ""
    sets = [sorted(set(names)) for names in groups]
    for known in sets:
        hits = [k for k in known if "/" not in ref and k.rsplit("/", 1)[-1] == ref][:n]
        # Kubernetes names are lower case: `PCI` or `Shop/Frontend` meant `pci`, `shop/frontend`
        # (difflib compares case as it compares letters, and found nothing near them)
        lowered: dict[str, str] = {}
        for k in known:
            lowered.setdefault(k.lower(), k)
        hits = hits or difflib.get_close_matches(ref, known, n)
        hits = hits or [lowered[h] for h in difflib.get_close_matches(ref.lower(), list(lowered), n)]
        if hits:
            return "; did you mean " + " or ".join(as_written(h) for h in hits) + "?"
    if "/" not in ref:
        # a namespace where a pod or workload is asked (`--from shop`)
        for known in sets:
            inside = [k for k in known if k.startswith(ref + "/")]
            if inside:
                shown = [as_written(h) for h in inside[:n]]
                listed = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]
                return f"; did you mean a workload of namespace {as_written(ref)}, such as {listed}?"
    return ""


def clip(text: str, limit: int = 600) -> str:
    """``text`` cut to ``limit`` characters, saying how many were left out: a label value the
    API server would refuse may be any length, and a warning quoting it whole ran 5,000
    characters wide in a notebook."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]} ... ({len(text) - limit:,} more characters)"


def number(n: object) -> str:
    """An integer with thousands separators (``49,920``); anything else as ``str`` gives it."""
    return f"{n:,}" if isinstance(n, int) and not isinstance(n, bool) else str(n)


def md_cell(value: object) -> str:
    """``value`` as one Markdown table cell: ``|`` escaped, newlines as spaces, and ``&``,
    ``<``, ``>`` as HTML entities, since Markdown renders raw HTML and names, labels and
    annotations may hold markup (``<script>`` in an annotation is valid Kubernetes)."""
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def kind_of(value: object, mapping: str = "a mapping") -> str:
    """The kind of ``value``, read from a user's YAML or JSON, in that format's words: ``a string``,
    ``a number``, ``a boolean``, ``null``, ``a list``, or ``mapping`` (``"a mapping"`` for YAML;
    JSON's readers pass ``"an object"``).

    The user wrote ``spec: tcp`` or ``"Key": []``, not a Python ``str`` or ``list``: "spec is a
    str" and "is a NoneType" are Python's words.  A boolean is no number here (Python's
    ``True`` is an ``int``; YAML's ``true`` is not).  A value no YAML or JSON reader gives is
    named by its type (``a set``).
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return mapping
    if isinstance(value, dt.datetime):  # YAML reads an unquoted 2024-01-02T10:00:00Z as one
        return "a timestamp"
    if isinstance(value, dt.date):  # and an unquoted 2024-01-02 as a date
        return "a date"
    if isinstance(value, bytes):  # YAML's !!binary
        return "binary data"
    return f"a {type(value).__name__}"


def scalar(value: object) -> str | None:
    """``true``, ``false`` or ``null`` for a YAML or JSON value that is one, as the user wrote it
    (Python's repr says ``True`` and ``None``); None for any other value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return None


#: How many characters of a value a message shows: a tampered field may hold a 1 MB string or
#: a list of a million items, and the message names it, not quotes it whole.
SHOWN = 80

#: How deep a message follows lists in lists: past it, ``[...]`` (JSON and YAML may nest far).
_DEPTH = 8


def as_written(value: object, limit: int = SHOWN) -> str:
    """``value`` for a message as the user wrote it, on one line and cut to about ``limit``
    characters: ``true``, ``false`` and ``null`` as YAML and JSON write them, lists and mappings
    in flow style with the same words inside (``[true, null]``, ``{'a': null}``, not Python's
    ``[True, None]`` and ``{'a': None}``), ``.inf`` and ``.nan`` as YAML writes them, a timestamp
    as ISO 8601 and ``!!binary`` data as base64.

    A string is quoted as ``repr`` quotes it (``'tcp'``): the house style of every message, where
    an empty string or one with spaces stays visible, and a newline or control character is
    escaped (``'a\\nb'``), so a message stays one line.  Longer than ``limit``, it is cut and says
    how many characters were left out.
    """
    parts: list[str] = []
    _write(value, parts, [max(limit, 8)], 0)
    return "".join(parts)


def as_given(value: object, limit: int = SHOWN) -> str:
    """A Python caller's argument for a message, in Python's words (``None``, ``True``, ``2.5``,
    ``'tcp'``: the caller wrote Python, not YAML), cut as :func:`as_written` cuts: a level, a
    protocol or a pod name of 10,000 characters was echoed whole, a screen of one letter.  A
    value whose repr takes several lines (a DataFrame, a Series: a table, not a value to quote)
    is named by its type (``DataFrame``): its lines joined into one read as a row of numbers."""
    if isinstance(value, str):
        return as_written(value, limit)
    try:
        text = repr(value)
    except Exception:  # a repr that fails must not hide the message it is in
        return f"<{type(value).__name__}>"
    if "\n" in text.strip():
        return type(value).__name__
    return _cut(" ".join(text.split()), max(limit, 8))


def _write(value: object, out: list[str], budget: list[int], depth: int) -> None:
    """Append ``value``, shown, to ``out``, spending ``budget[0]`` characters (a list: nested
    calls share it)."""
    if isinstance(value, list | tuple):
        _write_items(value, len(value), "[", "]", out, budget, depth)
    elif isinstance(value, Mapping):
        _write_items(value.items(), len(value), "{", "}", out, budget, depth)
    else:
        text = _one(value, budget[0])
        budget[0] -= len(text)
        out.append(text)


def _write_items(items: Iterable[object], n: int, opening: str, closing: str, out: list[str],
                 budget: list[int], depth: int) -> None:
    if not n:
        out.append(opening + closing)
        return
    if depth >= _DEPTH:
        out.append(f"{opening}...{closing}")
        return
    out.append(opening)
    budget[0] -= 2
    for i, item in enumerate(items):
        if i:
            out.append(", ")
            budget[0] -= 2
        if budget[0] <= 0:
            out.append(f"... ({counted(n - i, 'more item')})")
            break
        if opening == "{":
            key, val = cast("tuple[object, object]", item)
            _write(key, out, budget, depth + 1)
            out.append(": ")
            budget[0] -= 2
            _write(val, out, budget, depth + 1)
        else:
            _write(item, out, budget, depth + 1)
    out.append(closing)


def _one(value: object, limit: int) -> str:
    """A value that is no list or mapping, shown in at most about ``limit`` characters."""
    limit = max(limit, 8)
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        value = value.item()  # a DataFrame's np.int64(80) or np.True_: 80 and true, as the file wrote them
    word = scalar(value)
    if word is not None:
        return word
    if isinstance(value, str):
        text = str.__str__(value)  # a subclass's own repr (an enum's, numpy's str_) says its class
        if len(text) <= limit:
            return repr(text)
        return f"{text[:limit]!r}... ({len(text) - limit:,} more characters)"
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (math.inf, -math.inf):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, int):
        if value.bit_length() > 14_000:  # about 4,200 digits: past 4,300 Python writes none at all
            return "<a number too large to show>"
        digits = str(value)
        if len(digits) <= limit:
            return digits
        return f"{digits[:limit]}... ({len(digits):,} digits)"
    if isinstance(value, dt.date):  # and a datetime: YAML reads an unquoted 2024-01-02 as one
        return _cut(value.isoformat(), limit)
    if isinstance(value, bytes | bytearray):  # YAML's !!binary, as it was written
        data = bytes(value[: limit * 3 // 4])
        more = f"... ({len(value):,} bytes)" if len(value) > len(data) else ""
        return f"!!binary {base64.b64encode(data).decode()}{more}"
    try:  # no YAML or JSON reader gives another type: a Python caller's value
        text = repr(value)
    except Exception:  # a repr that fails must not hide the message it is in
        return f"<{kind_of(value)}>"
    return _cut(" ".join(text.split()), limit)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}..."
