"""Isolation as the policy engine decides it: per pod and direction, what happens to traffic
that no rule names.

Every dialect (NetworkPolicy, the admin tiers, Calico, Cilium) ends up as ordered core rules
in the engine (:mod:`k8sviz.policy.engine`).  Evaluating those rules for one direction, with
every peer (each pod and each external address block) and every port, tells per pod:

* which peers and ports no rule decides: the engine lets them through for want of a policy
  (``open`` peers);
* whether everything ends up allowed (decided by allows, or undecided);
* which policies' deny rules (or isolating tier ends) decide something, and which allows.

That is the pod's *posture* for the direction:

``unrestricted``
    nothing decides anything: no policy of any dialect selects it;
``reopened``
    policies select it, but what they allow is every peer on every port (an allow-all rule
    next to a default deny);
``partial``
    some peers are decided (a cluster-wide Deny of every pod, say) but others are left to the
    default allow (addresses outside the cluster, nodes...);
``isolated``
    every peer and port is decided, and not all of it is allowed.

No dialect is re-derived here: the engine's rules are the ones ``reach.can_reach`` reads.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from itertools import groupby
from typing import TYPE_CHECKING, Any

import numpy as np

from ..policy.engine import _decide

if TYPE_CHECKING:
    from ..model import Pod
    from ..snapshot import Snapshot

__all__ = ["Posture", "Side", "cluster_wide_snapshot", "engine_reach"]

#: Words of ``[rows, classes, W]`` per chunk of subject classes (two such arrays: 64 MiB each).
_CHUNK_WORDS = 1 << 23


@dataclasses.dataclass(frozen=True)
class Side:
    """One pod's posture for one direction (see the module docstring)."""

    state: str  # unrestricted | reopened | partial | isolated
    #: Policies whose deny rules (or isolating ends: a NetworkPolicy's, a Calico tier's) decide
    #: part of its traffic, in evaluation order.
    deny_by: tuple[str, ...] = ()
    #: Policies whose allow rules decide part of it.
    allow_by: tuple[str, ...] = ()
    #: Behaviour classes of peers left to the default allow (``partial`` only: for
    #: ``unrestricted`` it is every class).
    open_classes: tuple[int, ...] = ()

    @property
    def isolated(self) -> bool:
        return self.state == "isolated"


def engine_reach(snapshot: Snapshot, reach: Any) -> Any:
    """``reach`` when it is the engine's result for ``snapshot``, else the engine's result for
    it (a stand-in given for the connections does not say how the policies isolate)."""
    if reach is not None and getattr(reach, "_engine", None) is not None and reach.snapshot is snapshot:
        return reach
    import k8sviz

    return k8sviz.reachability(snapshot, ipblocks_match_pods=bool(getattr(reach, "ipblocks_match_pods", False)))


def cluster_wide_snapshot(snapshot: Snapshot) -> Snapshot | None:
    """``snapshot`` with the cluster-scoped policies only (admin tiers, Calico
    GlobalNetworkPolicy, CiliumClusterwideNetworkPolicy), or None when it has none: what
    isolates a namespace's pods without any policy of their own."""
    calico = tuple(p for p in snapshot.calico_policies if not p.namespace)
    cilium = tuple(p for p in snapshot.cilium_policies if not p.namespace)
    if not (snapshot.admin_policies or calico or cilium):
        return None
    return dataclasses.replace(snapshot, network_policies=(), calico_policies=calico, cilium_policies=cilium)


class Posture:
    """Per pod and direction, the :class:`Side` the engine's rules give (see the module
    docstring).  Only running pods that NetworkPolicy governs are judged: hostNetwork pods are
    outside it, and pods that ran to completion send and receive nothing."""

    def __init__(self, reach: Any, pods: Iterable[Pod] | None = None):
        self.reach = reach
        engine = reach._engine
        self._engine = engine
        snap = reach.snapshot
        index = reach._pod_index
        wanted = [p for p in (snap.pods if pods is None else pods) if not p.host_network and not p.terminated]
        self._class = {p.key: int(engine.bmap[index[p.key]]) for p in wanted}
        # Peers that count: running pods (hostNetwork ones too: they send as their node) and
        # every external block; a class of pods that all ended is no peer any more.
        n_pods = reach._ends.n_pods
        live = np.zeros(len(engine.bmap), dtype=bool)
        live[n_pods:] = True
        for i, p in enumerate(reach._ends.pods):
            live[i] = not p.terminated
        self._live_ents = live
        self.live_classes = np.zeros(engine.n_b, dtype=bool)
        self.live_classes[engine.bmap[live]] = True
        subjects = np.unique(np.fromiter(self._class.values(), dtype=np.int64, count=len(self._class)))
        self._sides: dict[str, dict[int, Side]] = {d: self._direction(d, subjects) for d in ("ingress", "egress")}
        self._members: dict[int, list[int]] | None = None

    def side(self, pod_key: str, direction: str) -> Side | None:
        """The pod's posture for ``direction``; None for a pod not judged (hostNetwork, ended)."""
        c = self._class.get(pod_key)
        return None if c is None else self._sides[direction][c]

    def peers(self, side: Side, limit: int = 10) -> list[str]:
        """Names of the peers ``side`` leaves to the default allow: workload keys of running
        pods, then external blocks (the first ``limit``)."""
        if self._members is None:
            members: dict[int, list[int]] = defaultdict(list)
            for e in np.flatnonzero(self._live_ents).tolist():
                members[int(self._engine.bmap[e])].append(e)
            self._members = members
        ends = self.reach._ends
        pods, blocks = [], []
        for c in side.open_classes:
            for e in self._members.get(c, ()):
                if e < ends.n_pods:
                    pods.append(ends.pods[e].workload_key)
                else:
                    blocks.append(ends.name(e))
        return list(dict.fromkeys(sorted(pods) + blocks))[:limit]

    def _direction(self, direction: str, subjects: np.ndarray) -> dict[int, Side]:
        """:meth:`_evaluate`, or for the additive shape of the rules (NetworkPolicy alone: one
        tier, allows, then denies of everything closing it for the endpoints the allows attach
        to, the shape the engine's own fast path takes) the same result without evaluating
        every cell: a class no closing deny selects is unrestricted, one that a closing deny
        selects is isolated unless its allows cover every peer on every port, which only the
        classes whose allows name every external block can, and those are evaluated."""
        eng = self._engine
        n = eng.n_b
        rules = [r for r in eng.rules if r.direction == direction]
        allows = [r for r in rules if r.action == "allow"]
        closers = [r for r in rules if r.action != "allow"]
        top = max((a.priority for a in allows), default=None)
        additive = len({r.tier for r in rules}) <= 1 and all(
            r.action == "deny" and len(r.peer_b) == n and not r.ports.per_destination
            and r.ports.bits == eng.ports.all and (top is None or top < r.priority)
            for r in closers
        )
        iso = np.zeros(n, dtype=bool)
        for r in closers:
            iso[r.subj_b] = True
        if not additive or any(not iso[a.subj_b].all() for a in allows if len(a.peer_b)):
            return self._evaluate(direction, subjects)
        pos = np.full(n, -1, dtype=np.int64)
        pos[subjects] = np.arange(len(subjects))
        deny_by: list[dict[str, None]] = [{} for _ in subjects]
        for r in sorted(closers, key=lambda r: r.priority):
            if r.origin is None:
                continue
            for i in pos[r.subj_b][pos[r.subj_b] >= 0].tolist():
                deny_by[i][r.origin.policy] = None
        # Every peer on every port needs every external block among the peers.
        ext = np.unique(eng.bmap[self.reach._ends.n_pods:])
        col = np.full(n, -1, dtype=np.int64)
        col[ext] = np.arange(len(ext))
        cover = np.zeros((len(subjects), max(len(ext), 1)), dtype=bool)
        for r in allows:
            rows = pos[r.subj_b]
            rows = rows[rows >= 0]
            if not len(rows) or not len(r.peer_b):
                continue
            cols = col[r.peer_b]
            cols = cols[cols >= 0]
            if len(cols):
                cover[np.ix_(rows, cols)] = True
        maybe = iso[subjects] & cover.all(axis=1)
        out = self._evaluate(direction, subjects[maybe]) if maybe.any() else {}
        for i, c in enumerate(subjects.tolist()):
            if c not in out:
                out[c] = Side("isolated", tuple(deny_by[i])) if iso[c] else Side("unrestricted")
        return out

    def _evaluate(self, direction: str, subjects: np.ndarray) -> dict[int, Side]:
        """First match over the direction's rules (as the engine's ``_direction``), for the
        subject classes ``subjects`` against every class, in chunks of subjects; each chunk
        visits only the rules whose subjects it holds."""
        eng = self._engine
        n, w = eng.n_b, eng.ports.words
        full = eng.ports.to_words(eng.ports.all)
        rules = sorted((r for r in eng.rules if r.direction == direction and len(r.subj_b) and len(r.peer_b)),
                       key=lambda r: (r.tier, r.priority))
        live = self.live_classes
        out: dict[int, Side] = {}
        step = max(1, _CHUNK_WORDS // max(1, n * w))
        chunk_of = np.full(n, -1, dtype=np.int64)
        chunk_of[subjects] = np.arange(len(subjects)) // step
        per_chunk: dict[int, list[int]] = defaultdict(list)
        for k, r in enumerate(rules):
            ids = np.unique(chunk_of[r.subj_b])
            for c in ids[ids >= 0].tolist():
                per_chunk[c].append(k)
        for ci, lo in enumerate(range(0, len(subjects), step)):
            chunk = subjects[lo:lo + step]
            pos = np.full(n, -1, dtype=np.int64)
            pos[chunk] = np.arange(len(chunk))
            allowed = np.zeros((len(chunk), n, w), dtype=np.uint64)
            decided = np.zeros((len(chunk), n, w), dtype=np.uint64)
            deny_by: list[dict[str, None]] = [{} for _ in chunk]
            allow_by: list[dict[str, None]] = [{} for _ in chunk]
            passed: np.ndarray | None = None  # a Pass skips the rest of its own tier
            tier = None
            for k in per_chunk.get(ci, ()):
                r = rules[k]
                if r.tier != tier:
                    if passed is not None:
                        decided &= ~passed
                        passed = None
                    tier = r.tier
                rows = pos[r.subj_b]
                keep = rows >= 0
                rows, subj = rows[keep], r.subj_b[keep]
                if direction == "egress":  # ports resolve on the destination: the peer
                    blk = eng.port_block(r, r.peer_b)[None, :, :]
                else:  # the subject
                    blk = eng.port_block(r, subj)[:, None, :]
                every = len(r.peer_b) == n
                ix: Any = rows if every else np.ix_(rows, r.peer_b)
                new = blk & ~decided[ix]
                hit = new.any(axis=(1, 2))
                if r.action == "deny" and every and r.origin is not None and r.origin.index < 0:
                    # an isolating end (a NetworkPolicy's, a Calico tier's): the policy selects
                    # the pod, decisive or not
                    for i in rows.tolist():
                        deny_by[i][r.origin.policy] = None
                if not hit.any():
                    continue
                passed = _decide(r.action, ix, new, allowed, decided, passed)
                if r.action in ("allow", "deny") and r.origin is not None:
                    for i in rows[hit].tolist():
                        (allow_by if r.action == "allow" else deny_by)[i][r.origin.policy] = None
            if passed is not None:
                decided &= ~passed
            undecided = ~decided & full[None, None, :]
            open_ = undecided.any(axis=2) & live[None, :]
            everything = ((allowed | undecided) == full[None, None, :]).all(axis=2) | ~live[None, :]
            touched = ((decided != 0).any(axis=2) & live[None, :]).any(axis=1)
            any_open = open_.any(axis=1)
            all_allowed = everything.all(axis=1)
            for i, c in enumerate(chunk.tolist()):
                open_classes: tuple[int, ...] = ()
                if not touched[i]:
                    state = "unrestricted"  # every peer is open: not listed
                elif all_allowed[i]:
                    state = "reopened"
                elif any_open[i]:
                    state = "partial"
                    open_classes = tuple(np.flatnonzero(open_[i]).tolist())
                else:
                    state = "isolated"
                out[c] = Side(state, tuple(deny_by[i]), tuple(allow_by[i]), open_classes)
        return out
