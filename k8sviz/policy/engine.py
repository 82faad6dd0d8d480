"""One evaluation core for every policy dialect: ordered tiers of Allow / Deny / Pass rules.

Endpoints are the snapshot's pods plus the atoms of the external IP space.  Dialect
translators (``admin.py`` for the admin and baseline tiers, ``k8s.py`` for NetworkPolicy,
``calico.py`` for Calico's tiers; Cilium later) turn policies into :class:`CoreRule` objects over
:class:`EndpointSet` selections; the core then

1. merges endpoints that no rule can tell apart (same subject/peer memberships, same named
   ports) into *behaviour classes*, so the work scales with distinct behaviours, not pods;
2. evaluates each direction as first-match over the rules in (tier, priority) order on
   bit matrices ``[src_class, dst_class, port_word]`` (uint64 words of port-atom bits);
3. ANDs egress (of the source) with ingress (of the destination).

Undecided traffic is allowed (no policy isolates it): a dialect that isolates emits a Deny
that closes its tier, as the Kubernetes translator does for selected pods.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, Literal

import numpy as np

from .ports import PortSpace

__all__ = ["CoreRule", "EndpointSet", "Engine", "PortSel", "RuleOrigin"]

_CHUNK_WORDS = 1 << 24  # uint64 words per ingress column chunk (128 MiB)

Action = Literal["allow", "deny", "pass"]
Direction = Literal["ingress", "egress"]


@dataclass(frozen=True)
class RuleOrigin:
    """Where a core rule came from, for explanations."""

    policy: str  # "ns/name" (or a cluster-scoped name)
    direction: Direction
    index: int  # rule index in the policy's list for that direction; -1 for implicit rules
    text: str


@dataclass
class EndpointSet:
    """A selection of endpoints: label classes (``lc``, bool per label class) OR entities.

    Label classes cover the non-hostNetwork pods; ``ents`` (sorted entity indices) carries
    what labels cannot select: external atoms and host addresses matched by ipBlocks.
    """

    lc: np.ndarray | None = None
    ents: np.ndarray | None = None
    everything: bool = False


@dataclass(frozen=True)
class PortSel:
    """Ports of a rule: atom bits plus named ports, which resolve per destination endpoint,
    minus the excluded ones (Calico's ``notPorts``: ``bits`` already leave out ``not_bits``,
    the named ports do not until resolved)."""

    bits: int
    named: tuple[tuple[str, str], ...] = ()
    not_bits: int = 0
    not_named: tuple[tuple[str, str], ...] = ()

    @property
    def per_destination(self) -> bool:
        """Whether the ports depend on the destination (named ports resolve on it)."""
        return bool(self.named or self.not_named)


@dataclass
class CoreRule:
    tier: float  # tiers apply in ascending order (Calico's fall between the fixed ints)
    priority: int
    action: Action
    direction: Direction
    subject: EndpointSet  # the endpoint the policy is attached to
    peer: EndpointSet
    ports: PortSel
    origin: RuleOrigin | None = None
    # Filled by the engine: sorted behaviour-class indices.
    subj_b: np.ndarray = field(default=None, repr=False)  # type: ignore[arg-type]
    peer_b: np.ndarray = field(default=None, repr=False)  # type: ignore[arg-type]


class Engine:
    """Evaluates core rules over endpoints; ``matrix`` is ``[B, B, W]`` uint64 of allowed ports."""

    _all_b: np.ndarray | None = None  # every class index, shared by all "everything" sets

    def __init__(
        self,
        ent_lc: np.ndarray,
        n_lc: int,
        named: dict[tuple[str, str], np.ndarray],
        ports: PortSpace,
        rules: Sequence[CoreRule],
    ):
        self.ports = ports
        self.rules = list(rules)
        self.bmap, self.n_b = _behaviour_classes(ent_lc, n_lc, named, self.rules)
        rep = np.full(self.n_b, -1, dtype=np.int64)
        rep[self.bmap[::-1]] = np.arange(len(self.bmap) - 1, -1, -1)  # first entity of each class
        rep_lc = ent_lc[rep]
        resolved: dict[int, np.ndarray] = {}  # EndpointSets are shared between rules
        for r in self.rules:
            for attr, es in (("subj_b", r.subject), ("peer_b", r.peer)):
                hit = resolved.get(id(es))
                if hit is None:
                    hit = resolved[id(es)] = self._to_b(es, rep_lc)
                setattr(r, attr, hit)
        # Named port -> atoms per behaviour class, one column per number the class gives the
        # name ([n_b, k]; -1: no such port, or fewer numbers than k).
        self.named_atom: dict[tuple[str, str], np.ndarray] = {}
        for (name, proto), port_of in named.items():
            pb = _columns(port_of)[rep]
            atoms = np.full(pb.shape, -1, dtype=np.int64)
            for p in np.unique(pb[pb > 0]):
                atoms[pb == p] = ports.atom(proto, int(p))
            self.named_atom[(name, proto)] = atoms
        iso = {d: self._closing_denies(d) for d in ("egress", "ingress")}
        if iso["egress"] is not None and iso["ingress"] is not None:
            iso_e, iso_i = self._renumber(iso["egress"], iso["ingress"])
            self.matrix = self._additive(iso_e, iso_i)
        else:
            self.matrix = self._general()

    def _to_b(self, s: EndpointSet, rep_lc: np.ndarray) -> np.ndarray:
        if s.everything:  # one shared array: every isolated pod has a closing "everything" rule
            if self._all_b is None or len(self._all_b) != self.n_b:
                self._all_b = np.arange(self.n_b)
            return self._all_b
        keep = np.zeros(self.n_b, dtype=bool)
        if s.lc is not None:
            ok = rep_lc >= 0
            keep[ok] = s.lc[rep_lc[ok]]
        if s.ents is not None and len(s.ents):
            keep[self.bmap[s.ents]] = True
        return np.flatnonzero(keep)

    def port_block(self, rule: CoreRule, dst: np.ndarray) -> np.ndarray:
        """Allowed port words of ``rule`` for each destination class: ``[len(dst) or 1, W]``."""
        sel = rule.ports
        base = self.ports.to_words(sel.bits)
        if not sel.per_destination:
            return base[None, :]
        out = np.repeat(base[None, :], len(dst), axis=0)
        for key in sel.named:
            for atoms in self.named_atom[key][dst].T:  # any of the numbers a pod gives the name
                rows = np.flatnonzero(atoms >= 0)
                a = atoms[rows]
                out[rows, a // 64] |= np.left_shift(np.uint64(1), (a % 64).astype(np.uint64))
        if sel.not_bits and sel.named:
            out &= ~self.ports.to_words(sel.not_bits)[None, :]
        for key in sel.not_named:
            for atoms in self.named_atom[key][dst].T:
                rows = np.flatnonzero(atoms >= 0)
                a = atoms[rows]
                out[rows, a // 64] &= ~np.left_shift(np.uint64(1), (a % 64).astype(np.uint64))
        return out

    def src_dst(self, rule: CoreRule) -> tuple[np.ndarray, np.ndarray]:
        return (rule.subj_b, rule.peer_b) if rule.direction == "egress" else (rule.peer_b, rule.subj_b)

    def _closing_denies(self, direction: Direction) -> np.ndarray | None:
        """Classes isolated for ``direction`` if its rules have the additive shape, else None.

        The additive shape (Kubernetes NetworkPolicy alone): one tier, allows first, then
        denies of everything that only close the tier for endpoints the allows attach to.
        Then isolation is a vector, and the dense decided/pass matrices are not needed.
        """
        rules = [r for r in self.rules if r.direction == direction]
        if len({r.tier for r in rules}) > 1:
            return None
        allows = [r for r in rules if r.action == "allow"]
        closers = [r for r in rules if r.action != "allow"]
        top = max((a.priority for a in allows), default=None)
        for r in closers:
            if (r.action != "deny" or not r.peer.everything or r.ports.per_destination
                    or r.ports.bits != self.ports.all):
                return None
            if top is not None and top >= r.priority:
                return None
        iso = np.zeros(self.n_b, dtype=bool)
        for r in closers:
            iso[r.subj_b] = True
        if any(not iso[a.subj_b].all() for a in allows):
            return None
        return np.flatnonzero(iso)

    def _renumber(self, iso_e: np.ndarray, iso_i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Number ingress-isolated classes first, so ingress work runs on column slices."""
        flag = np.zeros(self.n_b, dtype=bool)
        flag[iso_i] = True
        perm = np.argsort(~flag, kind="stable")  # new id -> old id
        inv = np.empty(self.n_b, dtype=np.int64)
        inv[perm] = np.arange(self.n_b)
        self.bmap = inv[self.bmap]
        done: dict[int, np.ndarray] = {}
        for r in self.rules:
            for attr in ("subj_b", "peer_b"):
                old = getattr(r, attr)
                new = done.get(id(old))
                if new is None:
                    new = done[id(old)] = np.sort(inv[old])
                setattr(r, attr, new)
        for key, atoms in self.named_atom.items():
            self.named_atom[key] = atoms[perm]
        return np.sort(inv[iso_e]), np.arange(len(iso_i))

    def _additive(self, iso_e: np.ndarray, iso_i: np.ndarray) -> np.ndarray:
        """Egress AND ingress for the additive shape, filling only what isolation restricts.

        Rows of egress-isolated sources start empty and collect their allows; then the
        ingress allows of isolated destinations are built in column chunks (bounded memory)
        and ANDed in.  Everything else stays "all ports".
        """
        n, w = self.n_b, self.ports.words
        full = self.ports.to_words(self.ports.all)
        out = np.zeros((n, n, w), dtype=np.uint64)
        free = np.ones(n, dtype=bool)
        free[iso_e] = False
        out[free] = full  # sources no policy isolates for egress send everything
        for r in self.rules:
            if r.direction == "egress" and r.action == "allow" and len(r.subj_b) and len(r.peer_b):
                blk = self.port_block(r, r.peer_b)[None, :, :]
                if r.peer.everything:
                    out[r.subj_b] |= blk
                else:
                    out[np.ix_(r.subj_b, r.peer_b)] |= blk
        # Ingress-isolated classes are numbered 0..len(iso_i)-1 (see _renumber).
        ing = [
            r for r in self.rules
            if r.direction == "ingress" and r.action == "allow" and len(r.subj_b) and len(r.peer_b)
        ]
        chunk = max(1, _CHUNK_WORDS // max(1, n * w))
        for lo in range(0, len(iso_i), chunk):
            hi = min(len(iso_i), lo + chunk)
            # Transposed ([dst, src]) so a rule's destinations are contiguous rows.  One
            # buffer for all chunks: first touch of fresh pages is the dominant cost.
            if lo == 0:
                buf = np.zeros((min(chunk, len(iso_i)), n, w), dtype=np.uint64)
            else:
                buf.fill(0)
            part = buf[: hi - lo]
            for r in ing:
                a, b = np.searchsorted(r.subj_b, (lo, hi))
                if a == b:
                    continue
                sub = r.subj_b[a:b]
                blk = self.port_block(r, sub)[:, None, :]
                if r.peer.everything:
                    part[sub - lo] |= blk
                else:
                    part[np.ix_(sub - lo, r.peer_b)] |= blk
            out[:, lo:hi] &= part.transpose(1, 0, 2)
        return out

    def _general(self) -> np.ndarray:
        """Egress AND ingress for any tiers, built in blocks of destination columns.

        Every rule's decision for a (source, destination) cell depends on that cell alone, so
        each block of destinations is evaluated on its own: memory stays at a few blocks
        (as in :meth:`_additive`) instead of several dense ``[n, n, W]`` matrices.
        """
        n, w = self.n_b, self.ports.words
        out = np.empty((n, n, w), dtype=np.uint64)
        chunk = max(1, _CHUNK_WORDS // max(1, n * w))
        ordered = {
            d: sorted((r for r in self.rules if r.direction == d), key=lambda r: (r.tier, r.priority))
            for d in ("egress", "ingress")
        }
        for lo in range(0, n, chunk):
            hi = min(n, lo + chunk)
            block = self._direction(ordered["egress"], lo, hi)
            block &= self._direction(ordered["ingress"], lo, hi)
            out[:, lo:hi] = block
        return out

    def rows(self, src: np.ndarray, extra: Sequence[CoreRule] = ()) -> np.ndarray:
        """Allowed ports from the classes ``src`` (sorted) to every class, ``[len(src), B, W]``,
        with ``extra`` rules (``subj_b``/``peer_b`` set) evaluated among the engine's own.

        For what-ifs on a few sources, such as the node-local ingress exception: the rules'
        first-match order is the same as :meth:`_general`'s, so without ``extra`` this is
        ``matrix[src]``.
        """
        out: np.ndarray | None = None
        for d in ("egress", "ingress"):
            rules = sorted((r for r in (*self.rules, *extra) if r.direction == d),
                           key=lambda r: (r.tier, r.priority))
            part = self._direction_rows(rules, src)
            out = part if out is None else out & part
        assert out is not None
        return out

    def _direction_rows(self, rules: Sequence[CoreRule], src: np.ndarray) -> np.ndarray:
        """:meth:`_direction` for the source classes ``src`` and every destination."""
        n, w = self.n_b, self.ports.words
        pos = np.full(n, -1, dtype=np.int64)
        pos[src] = np.arange(len(src))
        allowed = np.zeros((len(src), n, w), dtype=np.uint64)
        decided = np.zeros((len(src), n, w), dtype=np.uint64)
        for _tier, group in groupby(rules, key=lambda r: r.tier):
            passed: np.ndarray | None = None
            for r in group:
                s, dst = self.src_dst(r)
                rows = pos[s] if len(s) else s
                rows = rows[rows >= 0]
                if not len(rows) or not len(dst):
                    continue
                ix = np.ix_(rows, dst)
                passed = _decide(r.action, ix, self.port_block(r, dst)[None, :, :] & ~decided[ix],
                                 allowed, decided, passed)
            if passed is not None:
                decided &= ~passed
        return self._undecided_allowed(allowed, decided)

    def _direction(self, rules: Sequence[CoreRule], lo: int, hi: int) -> np.ndarray:
        """First-match over ``rules`` (sorted by tier, priority) for destinations ``lo..hi-1``."""
        n, w = self.n_b, self.ports.words
        allowed = np.zeros((n, hi - lo, w), dtype=np.uint64)
        decided = np.zeros((n, hi - lo, w), dtype=np.uint64)
        any_decided = any_blocking = False
        for _tier, group in groupby(rules, key=lambda r: r.tier):
            passed: np.ndarray | None = None  # a Pass only skips the rest of its own tier
            for r in group:
                src, dst = self.src_dst(r)
                if not len(src) or not len(dst):
                    continue
                a, b = np.searchsorted(dst, (lo, hi))
                if a == b:
                    continue
                dst = dst[a:b]
                blk = self.port_block(r, dst)[None, :, :]
                ix = _block_index(src, dst - lo)
                # First match wins; an allow only needs masking once something blocked.
                if any_blocking or (any_decided and r.action != "allow"):
                    blk = blk & ~decided[ix]
                passed = _decide(r.action, ix, blk, allowed, decided, passed)
                any_blocking |= r.action != "allow"
                any_decided = True
            if passed is not None:
                decided &= ~passed  # passed traffic is decided by the next tiers
        return self._undecided_allowed(allowed, decided)

    def _undecided_allowed(self, allowed: np.ndarray, decided: np.ndarray) -> np.ndarray:
        """``allowed`` plus what no rule decided (no policy isolates it: allowed)."""
        allowed |= ~decided
        if self.ports.words * 64 > self.ports.n_atoms:  # padding bits clear: equality/any() exact
            allowed &= self.ports.to_words(self.ports.all)[None, None, :]
        return allowed


def _decide(action: str, ix: Any, blk: np.ndarray, allowed: np.ndarray, decided: np.ndarray,
            passed: np.ndarray | None) -> np.ndarray | None:
    """One rule's first-match step on the cells ``ix``: ``blk`` (its ports there, minus what
    earlier rules decided) is allowed, passed on, or denied; returns the tier's passed cells."""
    if action == "allow":
        allowed[ix] |= blk
    elif action == "pass":
        if passed is None:
            passed = np.zeros_like(decided)
        passed[ix] |= blk
    decided[ix] |= blk
    return passed


def _block_index(rows: np.ndarray, cols: np.ndarray) -> tuple[Any, Any]:
    """Index of the ``rows x cols`` block: slices (views, no copies) where the sorted indices
    are contiguous, which is what the broad rules (every class, a tier's end) select."""
    def one(idx: np.ndarray) -> object:
        return slice(int(idx[0]), int(idx[-1]) + 1) if int(idx[-1]) - int(idx[0]) + 1 == len(idx) else idx

    r, c = one(rows), one(cols)
    if isinstance(r, slice) or isinstance(c, slice):
        return r, c  # at most one index array: numpy keeps the axes in place
    ix = np.ix_(rows, cols)
    return ix[0], ix[1]


def _behaviour_classes(
    ent_lc: np.ndarray,
    n_lc: int,
    named: dict[tuple[str, str], np.ndarray],
    rules: Sequence[CoreRule],
) -> tuple[np.ndarray, int]:
    """Map each entity to a class of entities that every rule treats alike.

    Two 64-bit random sums over the selections an entity belongs to (plus its named ports)
    make a 128-bit signature; a collision would need two different membership sets to sum
    alike in both, which a fixed-seed run checks never happens in practice.
    """
    rng = np.random.default_rng(20260)
    n = len(ent_lc)
    h_lc = np.zeros((2, n_lc + 1), dtype=np.uint64)
    h = np.zeros((2, n), dtype=np.uint64)
    # Distinguish label-class entities from the rest even when no rule looks at labels.
    h_lc[:, :n_lc] = 1
    seen: set[int] = set()
    for r in rules:
        for s in (r.subject, r.peer):
            if s.everything or id(s) in seen:
                continue
            seen.add(id(s))
            k = rng.integers(1, 2**63, size=2, dtype=np.uint64)
            if s.lc is not None:
                h_lc[0, :n_lc][s.lc] += k[0]
                h_lc[1, :n_lc][s.lc] += k[1]
            if s.ents is not None and len(s.ents):
                h[0, s.ents] += k[0]
                h[1, s.ents] += k[1]
    h += h_lc[:, np.where(ent_lc >= 0, ent_lc, n_lc)]
    for key in sorted(named):
        for port_of in _columns(named[key]).T.astype(np.uint64):
            k = rng.integers(1, 2**63, size=2, dtype=np.uint64)
            h[0] += port_of * k[0]
            h[1] += port_of * k[1]
    sig = np.ascontiguousarray(h.T).view(np.dtype((np.void, 16))).ravel()
    _, first, inv = np.unique(sig, return_index=True, return_inverse=True)
    # Number classes by first appearance so results do not depend on hash values.
    order = np.argsort(np.argsort(first, kind="stable"), kind="stable")
    return order[inv].astype(np.int64), len(first)


def _columns(port_of: np.ndarray) -> np.ndarray:
    """A named port's numbers per entity as ``[n, k]`` (a 1-D array is one number each)."""
    return port_of[:, None] if port_of.ndim == 1 else port_of
