"""Port-range arithmetic shared by the analyses.

Ranges are sorted, disjoint, inclusive ``(lo, hi)`` tuples of ints in 1-65535; their text form is
the engine's: ``["80", "8000-8080"]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from .._text import as_written

Ranges = tuple[tuple[int, int], ...]

ALL: Ranges = ((1, 65535),)
_ALL_WORDS = {"*", "all", "any", "1-65535", "0-65535"}


def normalize(ranges: Iterable[tuple[int, int]]) -> Ranges:
    out: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((a, b) for a, b in out)


def parse_one(text: str) -> tuple[int, int]:
    """``"80"`` or ``"8000-8080"``; raises ValueError otherwise."""
    t = str(text).strip()
    if t.lower() in _ALL_WORDS:
        return ALL[0]
    lo, sep, hi = t.partition("-")
    a = int(lo)
    b = int(hi) if sep else a
    if not (1 <= a <= b <= 65535) and not (a == 0 and b == 65535):
        msg = f"port range {as_written(text)} must be within 1-65535"
        raise ValueError(msg)
    return (max(a, 1), b)


def parse(ports: object) -> Ranges:
    """Engine port lists (``["80", "8000-8080"]``), a single string, or None (= every port)."""
    if ports is None or isinstance(ports, str | int):
        return _parse(ports)
    try:
        return _parse_cached(tuple(ports))  # type: ignore[arg-type]
    except TypeError:
        return _parse(list(ports))  # type: ignore[call-overload]


@lru_cache(maxsize=65536)
def _parse_cached(ports: tuple[object, ...]) -> Ranges:
    return _parse([str(p) for p in ports])


def _parse(ports: object) -> Ranges:
    if ports is None:
        return ALL
    if isinstance(ports, str):
        ports = [p for p in ports.replace(";", ",").split(",") if p.strip()]
    if isinstance(ports, int):
        return ((ports, ports),)
    return normalize(parse_one(str(p)) for p in ports)  # type: ignore[attr-defined]


def fmt(ranges: Ranges) -> list[str]:
    return list(_fmt(ranges))


@lru_cache(maxsize=65536)
def _fmt(ranges: Ranges) -> tuple[str, ...]:
    return tuple(str(a) if a == b else f"{a}-{b}" for a, b in ranges)


def union(*many: Ranges) -> Ranges:
    return normalize(r for rs in many for r in rs)


def intersect(a: Ranges, b: Ranges) -> Ranges:
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def subtract(a: Ranges, b: Ranges) -> Ranges:
    out: list[tuple[int, int]] = []
    for lo, hi in a:
        cur = lo
        for blo, bhi in b:
            if bhi < cur or blo > hi:
                continue
            if blo > cur:
                out.append((cur, blo - 1))
            cur = max(cur, bhi + 1)
            if cur > hi:
                break
        if cur <= hi:
            out.append((cur, hi))
    return tuple(out)


def contains(ranges: Ranges, port: int) -> bool:
    return any(lo <= port <= hi for lo, hi in ranges)


def count(ranges: Sequence[tuple[int, int]]) -> int:
    return sum(hi - lo + 1 for lo, hi in ranges)
