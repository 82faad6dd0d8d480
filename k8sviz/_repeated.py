"""A key given twice in one JSON object: JSON readers keep the last value and drop the other
silently, where the API server's strict field validation refuses it ("duplicate field").

Kept apart from the flow table (pandas) so that reading a JSON dump does not import it.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

__all__ = ["document_repeated_key", "repeat_path"]


# A JSON string (escapes kept) or one of the structural characters: all that locating a key
# needs of a text orjson has already accepted (numbers, literals and whitespace are skipped).
_JSON_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[{}\[\],:]', re.DOTALL)


def repeat_path(raw: bytes) -> str | None:
    """Where ``raw`` (a text orjson read) gives a key twice in one object (``flow.verdict``,
    ``flow.IP.source``), or None if it gives none.

    Of the objects that repeat a key, the first in document order names it: its first key
    given a second time.  A scan of the text's tokens with a stack, not a recursive reader, so
    a record nested as deep as orjson reads (1024 levels) is judged like any other.
    """
    import json

    # One frame per open object or array: [is_object, path, keys seen or item index, key,
    # expecting a key, the object's order of opening].
    stack: list[list[Any]] = []
    opened = 0
    found: tuple[int, str] | None = None
    for m in _JSON_TOKEN.finditer(raw):
        tok = m.group()
        c = tok[0]
        if c == 0x22:  # '"'
            top = stack[-1] if stack else None
            if top is not None and top[0] and top[4]:
                key = json.loads(tok)  # escapes decoded: "a" and "\u0061" are one key
                if key in top[2]:
                    if found is None or top[5] < found[0]:
                        found = (top[5], f"{top[1]}.{key}" if top[1] else key)
                else:
                    top[2].add(key)
                top[3] = key
        elif c == 0x7B or c == 0x5B:  # '{' or '['
            path = ""
            if stack:
                top = stack[-1]
                path = (f"{top[1]}.{top[3]}" if top[1] else top[3]) if top[0] else f"{top[1]}[{top[2]}]"
            if c == 0x7B:
                stack.append([True, path, set(), "", True, opened])
                opened += 1
            else:
                stack.append([False, path, 0, "", False, -1])
        elif c == 0x7D or c == 0x5D:  # '}' or ']'
            stack.pop()
        elif c == 0x2C:  # ','
            top = stack[-1]
            if top[0]:
                top[4] = True
            else:
                top[2] += 1
        else:  # ':'
            stack[-1][4] = False
    # None: the screen counted a ':' that was none (an escaped backslash before "u003a"), or
    # there was no screen (nested past what orjson writes).
    return None if found is None else found[1]


def document_repeated_key(raw: bytes, obj: Any) -> str | None:
    """The path of a key that the JSON document ``raw``, parsed as ``obj``, gives twice in one
    object, or None: for whole files (a ``kubectl get -o json`` dump of 100 MB).

    Exact, by counting: each key of a JSON text is one ``:`` outside strings, and a string's
    ``:`` are the same in ``raw`` and in orjson's writing of ``obj`` (counting the ``\\u003a``
    escapes ``raw`` may write one as), so ``raw`` has more ``:`` than the writing of ``obj`` only
    if ``obj`` lost a key it repeats.  The writing is counted part by part (each list item, each
    value under the top two levels), so no second copy of the document is made; fresh memory
    costs more than the writing itself.  A count that does not settle it (more ``:``, or a
    value orjson cannot write) goes to :func:`repeat_path`, which names the key, or finds none.
    """
    colons = raw.count(b":")
    if b"\\" in raw:
        colons += raw.count(b"\\u003a") + raw.count(b"\\u003A")
    try:
        kept = _colons(obj, 2)
    except TypeError:  # nested deeper than orjson writes, or an integer past 64 bits
        return repeat_path(raw)
    return None if colons <= kept else repeat_path(raw)


def _colons(value: Any, depth: int) -> int:
    """How many ``:`` orjson's writing of ``value`` holds, written ``depth`` levels down."""
    if isinstance(value, str):
        return value.count(":")
    if depth and isinstance(value, dict):
        return sum(1 + k.count(":") + _colons(v, depth - 1) for k, v in value.items())
    if depth and isinstance(value, list):
        return sum(_colons(v, depth - 1) for v in value)
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).count(b":")
    return 0  # numbers, true, false, null
