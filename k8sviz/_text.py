"""Text helpers: counted nouns for messages (``1 policy``, ``2 policies``, never ``1 policies``
or ``policy(s)``) and Markdown table cells."""

from __future__ import annotations

__all__ = ["clip", "counted", "md_cell", "number"]


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
