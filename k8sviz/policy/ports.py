"""The port space as atoms: per protocol, the coarsest intervals no policy port entry splits.

Every port entry (number, ``endPort`` range, named port resolved on some pod, protocol-only)
is a union of atoms, so a set of ports is a bitset over atoms.  Atoms of all protocols share
one index space (TCP first, then UDP, SCTP) and bitsets are stored as ``W`` little-endian
uint64 words, the last axis of every matrix in the engine.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..model import PROTOCOLS

__all__ = ["MAX_PORT", "PortSpace", "named_port_cuts"]

MAX_PORT = 65535


class PortSpace:
    """Atoms of ``1..65535`` per protocol, from the interval starts the policies induce."""

    def __init__(self, cuts: Mapping[str, Iterable[int]]):
        self.starts: dict[str, list[int]] = {}
        self.offset: dict[str, int] = {}
        n = 0
        for proto in PROTOCOLS:
            s = sorted({1, *(c for c in cuts.get(proto, ()) if 1 < c <= MAX_PORT)})
            self.starts[proto] = s
            self.offset[proto] = n
            n += len(s)
        self.n_atoms = n
        self.words = (n + 63) // 64
        self.all = (1 << n) - 1

    # -- building bitsets (Python ints: few per policy, cheap and exact)

    def atom(self, proto: str, port: int) -> int:
        return self.offset[proto] + bisect_right(self.starts[proto], port) - 1

    def range_bits(self, proto: str, lo: int, hi: int) -> int:
        a, b = self.atom(proto, lo), self.atom(proto, hi)
        return ((1 << (b - a + 1)) - 1) << a

    def proto_bits(self, proto: str) -> int:
        return ((1 << len(self.starts[proto])) - 1) << self.offset[proto]

    def selection(self, entries: Iterable[tuple[str, int | str, int | None]]) -> tuple[
        int, tuple[tuple[str, str], ...]]:
        """``(bits, named)`` of a rule's port entries ``(protocol, port, end)``: a port name
        (resolved later, per destination), 0 (every port of the protocol), or a number up to
        ``end`` (None: that port alone)."""
        bits = 0
        named: set[tuple[str, str]] = set()
        for proto, port, end in entries:
            if isinstance(port, str):
                named.add((port, proto))
            elif port == 0:
                bits |= self.proto_bits(proto)
            else:
                bits |= self.range_bits(proto, port, min(end or port, MAX_PORT))
        return bits, tuple(sorted(named))

    def to_words(self, bits: int) -> np.ndarray:
        out = np.zeros(self.words, dtype=np.uint64)
        for w in range(self.words):
            out[w] = (bits >> (64 * w)) & 0xFFFFFFFFFFFFFFFF
        return out

    def from_words(self, words: np.ndarray) -> int:
        return sum(int(v) << (64 * i) for i, v in enumerate(words))

    # -- reading bitsets back

    def ranges(self, bits: int, proto: str) -> list[str]:
        """Port ranges of ``proto`` in ``bits`` as strings ("80", "8000-8080"), ascending."""
        starts, off = self.starts[proto], self.offset[proto]
        out: list[str] = []
        lo = None
        for k, s in enumerate(starts):
            if bits >> (off + k) & 1:
                if lo is None:
                    lo = s
            elif lo is not None:
                out.append(_fmt(lo, s - 1))
                lo = None
        if lo is not None:
            out.append(_fmt(lo, MAX_PORT))
        return out

    def has(self, bits: int, proto: str) -> bool:
        return bool(bits & self.proto_bits(proto))


def _fmt(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"{lo}-{hi}"


def named_port_cuts(
    cuts: dict[str, set[int]], pods: Iterable[Any], used: set[tuple[str, str]]
) -> dict[str, set[int]]:
    """Add to ``cuts`` the ports that the named ports in ``used`` (name, protocol) resolve to
    on each pod: a named port is one atom per number per destination pod."""
    if used:
        for pod in pods:
            for key, numbers in pod.named_port_numbers.items():
                if key in used:
                    for port in numbers:
                        cuts.setdefault(key[1], set()).update((port, port + 1))
    return cuts
