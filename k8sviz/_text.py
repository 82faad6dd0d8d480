"""Text helpers: counted nouns for messages (``1 policy``, ``2 policies``, never ``1 policies``
or ``policy(s)``), the kind of a value read from YAML or JSON in its format's words, and
Markdown table cells."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

__all__ = ["as_written", "clip", "counted", "kind_of", "md_cell", "number", "scalar"]


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


def as_written(value: object) -> str:
    """``value`` for a message as the user wrote it: ``true``, ``false`` and ``null`` as YAML and
    JSON write them, anything else as ``repr`` gives it (``'tcp'``, ``80``, ``[1]``)."""
    word = scalar(value)
    if word is not None:
        return word
    try:
        return repr(value)
    except ValueError:  # an int past Python's 4300 digits has no repr at all
        return f"<{kind_of(value)} too large to show>"
