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

Only running pods that NetworkPolicy governs are judged (``not-judged`` otherwise): hostNetwork
pods are outside it (``reach.unenforced``), and pods that ran to completion send and receive
nothing.

No dialect is re-derived here: the engine's rules are the ones ``reach.can_reach`` reads.  The
public face is :meth:`Reachability.posture` (one pod: a :class:`Posture`) and
:meth:`Reachability.isolation` (a table per pod or workload); both read one
:class:`PostureTable` per ``Reachability``, built on first use and kept, which
:func:`k8sviz.gaps` reads too.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._checks import is_count
from .._text import as_given, counted
from ..calico_objects import policy_selects
from ..errors import QueryError
from .engine import _decide

if TYPE_CHECKING:
    import pandas as pd

    from ..model import Pod
    from .reachability import Reachability

__all__ = ["NOT_JUDGED", "POD_COLUMNS", "STATES", "WORKLOAD_COLUMNS", "ClassSide", "Posture", "PostureTable"]

#: The states, from the weakest (everything allowed for want of a policy) to the strongest.
STATES = ("unrestricted", "reopened", "partial", "isolated")
#: The state of a pod the engine does not judge: hostNetwork, or ended.
NOT_JUDGED = "not-judged"
DIRECTIONS = ("ingress", "egress")
#: Columns of :meth:`Reachability.isolation`, per level.
POD_COLUMNS = ["namespace", "pod", "workload", "direction", "state", "deny_by", "allow_by", "open_to",
               "not_judged"]
WORKLOAD_COLUMNS = [
    "namespace", "workload", "direction", "state", "pods", "pods_in_state", "deny_by", "allow_by", "open_to",
    "not_judged",
]
#: How many open peers a row of the table names (``reach.posture`` names them all).
SAMPLE = 10

#: A pod row's ``state``, ``deny_by``, ``allow_by``, ``open_to`` and ``not_judged``.
_Cell = tuple[str, list[str], list[str], list[str], str]

#: Words of ``[rows, classes, W]`` per chunk of subject classes (two such arrays: 64 MiB each).
_CHUNK_WORDS = 1 << 23


@dataclasses.dataclass(frozen=True)
class ClassSide:
    """One behaviour class's posture for one direction (see the module docstring); policy
    references as the engine's rules carry them (a Calico tier's end is ``Tier/<name>``)."""

    state: str  # unrestricted | reopened | partial | isolated
    #: Policies whose deny rules (or isolating ends: a NetworkPolicy's, a Calico tier's) decide
    #: part of its traffic, in evaluation order.
    deny_by: tuple[str, ...] = ()
    #: Policies whose allow rules decide part of it.
    allow_by: tuple[str, ...] = ()
    #: Behaviour classes of peers left to the default allow (``partial`` only: for
    #: ``unrestricted`` it is every class), as a bitset: class ``c`` is bit ``c`` in
    #: ``np.packbits`` order (``np.unpackbits`` reads it back); one bit per class, where a tuple
    #: of ints took some 36 bytes per class open (gigabytes when thousands of classes are
    #: partial and open to most of the others).
    open_bits: bytes = b""
    #: False where the additive shortcut judged the class isolated without naming its allows
    #: (the findings do not need them); :meth:`PostureTable.named_sides` fills them in.
    allows_named: bool = True

    @property
    def isolated(self) -> bool:
        return self.state == "isolated"

    @property
    def open_classes(self) -> tuple[int, ...]:
        """The classes of :attr:`open_bits`, ascending."""
        return tuple(np.flatnonzero(np.unpackbits(np.frombuffer(self.open_bits, dtype=np.uint8))).tolist())


@dataclasses.dataclass(frozen=True)
class Posture:
    """One pod's isolation for one direction, as the policy engine decides it: what
    :meth:`Reachability.posture` returns.

    Attributes
    ----------
    pod, direction : str
        The pod (``namespace/name``) and ``"ingress"`` or ``"egress"``.
    state : str
        ``unrestricted`` (no rule of any dialect decides any of its traffic), ``reopened``
        (policies select it but allow every peer on every port), ``partial`` (some peers are
        decided, the ``open_to`` ones are left to the default allow), ``isolated`` (every peer
        and port is decided and not all of it allowed), or ``not-judged`` (see ``not_judged``).
    deny_by : tuple of str
        Policies whose deny rules, or whose isolation (a NetworkPolicy or Cilium policy
        selecting the pod, a Calico tier's end), decide part of its traffic, in evaluation
        order.  NetworkPolicies are ``namespace/name``; admin-tier, Calico and Cilium policies
        by their kind-prefixed reference, as ``reach.explain`` names them.
    allow_by : tuple of str
        Policies whose allow rules decide part of its traffic (first match: a rule whose
        traffic an earlier rule already decided is not named).
    open_to : tuple of str
        For ``partial``: the peers left to the default allow, workloads (``namespace/workload``)
        in name order, then external blocks.  Empty otherwise (``unrestricted`` is open to
        every peer).
    not_judged : str
        Why the pod is not judged (``hostNetwork``: NetworkPolicy does not govern it; ended:
        it sends and receives nothing); "" when it is.
    """

    pod: str
    direction: str
    state: str
    deny_by: tuple[str, ...] = ()
    allow_by: tuple[str, ...] = ()
    open_to: tuple[str, ...] = ()
    not_judged: str = ""

    @property
    def isolated(self) -> bool:
        """Whether every peer and port is decided, and not all of it allowed."""
        return self.state == "isolated"

    def __str__(self) -> str:
        head = f"{self.direction} of {self.pod}: {self.state}"
        if self.not_judged:
            return f"{head} ({self.not_judged})"
        parts = [head]
        if self.deny_by:
            parts.append(f"denying (deny rules, isolation): {', '.join(self.deny_by)}")
        if self.allow_by:
            parts.append(f"allowing: {', '.join(self.allow_by)}")
        if self.open_to:
            parts.append(f"open for want of a policy to {', '.join(self.open_to[:SAMPLE])}"
                         + (f" (+{len(self.open_to) - SAMPLE} more)" if len(self.open_to) > SAMPLE else ""))
        return "; ".join(parts)


def not_judged_reason(pod: Pod) -> str:
    """Why the engine does not judge ``pod``'s isolation; "" when it does."""
    if pod.host_network:
        return "hostNetwork: not governed by NetworkPolicy"
    if pod.terminated:
        return f"ended ({pod.phase}): sends and receives nothing"
    return ""


class PostureTable:
    """Per pod and direction, the :class:`ClassSide` the engine's rules give (see the module
    docstring), computed per behaviour class on first use of a direction.  Only running pods
    that NetworkPolicy governs are judged."""

    def __init__(self, reach: Reachability):
        self.reach = reach
        engine = reach._engine
        self._engine = engine
        snap = reach.snapshot
        index = reach._pod_index
        wanted = [p for p in snap.pods if not not_judged_reason(p)]
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
        self._subjects = np.unique(np.fromiter(self._class.values(), dtype=np.int64, count=len(self._class)))
        self._sides: dict[str, dict[int, ClassSide]] = {}
        self._named: dict[str, dict[int, ClassSide]] = {d: {} for d in DIRECTIONS}
        self._peer_index: tuple[list[str], np.ndarray, np.ndarray, list[str], np.ndarray] | None = None
        self._samples: dict[tuple[str, int], list[str]] = {}
        self._calico: list[Any] | None = None
        self._names: dict[tuple[Any, ...], tuple[str, ...]] = {}

    # ------------------------------------------------------------------ per class

    def sides(self, direction: str) -> dict[int, ClassSide]:
        """Behaviour class -> :class:`ClassSide` for ``direction``, every judged class."""
        got = self._sides.get(direction)
        if got is None:
            got = self._sides[direction] = self._direction(direction, self._subjects)
        return got

    def side(self, pod_key: str, direction: str) -> ClassSide | None:
        """The pod's posture for ``direction``; None for a pod not judged (hostNetwork, ended)."""
        c = self._class.get(pod_key)
        return None if c is None else self.sides(direction)[c]

    def named_sides(self, direction: str, classes: Iterable[int]) -> dict[int, ClassSide]:
        """The sides of ``classes`` with their allows named: those the additive shortcut left
        unnamed are named as full evaluation names them (:meth:`_name_allows`, in one batch)
        and kept.  The state and the denies stay the shortcut's (the tests hold the two
        evaluations equal); the findings never need the allows, so they never pay for them."""
        sides = self.sides(direction)
        done = self._named[direction]
        wanted = list(classes)
        pending = sorted({c for c in wanted if not sides[c].allows_named and c not in done})
        if pending:
            done.update(self._name_allows(direction, pending))
        return {c: done.get(c, sides[c]) for c in wanted}

    def _name_allows(self, direction: str, pending: list[int]) -> dict[int, ClassSide]:
        """The allows of ``pending`` (classes the additive shortcut judged isolated), named as
        full evaluation names them.  In that shape the allows come first, in one tier, so what
        names them for a class is which allow rules select it, in order, and (ingress) the
        ports its named ports resolve to: classes alike in these are named alike, and only one
        of each kind is evaluated (at 50,000 pods, a fifth of them or fewer)."""
        eng = self._engine
        allows = sorted((r for r in eng.rules if r.direction == direction and r.action == "allow"
                         and len(r.subj_b) and len(r.peer_b)), key=lambda r: (r.tier, r.priority))
        pos = np.full(eng.n_b, -1, dtype=np.int64)
        pos[pending] = np.arange(len(pending))
        kinds: list[list[Any]] = [[] for _ in pending]
        for k, r in enumerate(allows):
            rows = pos[r.subj_b]
            keep = rows >= 0
            if direction == "ingress" and r.ports.per_destination:  # ports resolve on the subject
                words = eng.port_block(r, r.subj_b[keep])
                for i, row in zip(rows[keep].tolist(), words, strict=True):
                    kinds[i].append((k, row.tobytes()))
            else:
                for i in rows[keep].tolist():
                    kinds[i].append(k)
        first: dict[tuple[Any, ...], int] = {}
        rep = [first.setdefault(tuple(kind), c) for c, kind in zip(pending, kinds, strict=True)]
        full = self._evaluate(direction, np.asarray(sorted(set(rep)), dtype=np.int64))
        sides = self.sides(direction)
        return {c: dataclasses.replace(sides[c], allow_by=full[r].allow_by, allows_named=True)
                for c, r in zip(pending, rep, strict=True)}

    def peers(self, side: ClassSide, limit: int | None = 10) -> list[str]:
        """Names of the peers ``side`` leaves to the default allow: workload keys of running
        pods, in name order, then external blocks, by class and then entity (the first
        ``limit``; every one for None)."""
        if limit is not None:
            # Checked first, for every side: a negative limit sliced from the end and True
            # counted as 1, both silently; a float or a "3" failed deep inside as a TypeError.
            if not is_count(limit) or limit < 0:
                msg = f"PostureTable.peers: limit must be None or a whole number >= 0, got {as_given(limit)}"
                raise QueryError(msg)
            limit = int(limit)
        if not side.open_bits:
            return []
        if self._peer_index is None:
            self._peer_index = self._index_peers()
        workloads, wl_code, pod_class, blocks, block_class = self._peer_index
        bits = np.frombuffer(side.open_bits, dtype=np.uint8)
        is_open = np.unpackbits(bits, count=self._engine.n_b).astype(bool)
        wl_open = np.zeros(len(workloads), dtype=bool)
        wl_open[wl_code[is_open[pod_class]]] = True
        out = dict.fromkeys(workloads[i] for i in np.flatnonzero(wl_open)[:limit].tolist())
        for j in np.flatnonzero(is_open[block_class]).tolist():
            if limit is not None and len(out) >= limit:
                break
            out.setdefault(blocks[j])
        return list(out)[:limit]

    def _index_peers(self) -> tuple[list[str], np.ndarray, np.ndarray, list[str], np.ndarray]:
        """For :meth:`peers`: the workload keys of the running pods (sorted, distinct), each
        running pod's code into them and class; the external blocks, ordered by class and
        entity, and their classes."""
        ends = self.reach._ends
        bmap = self._engine.bmap
        live = np.flatnonzero(self._live_ents)
        pod_ents = live[live < ends.n_pods]
        keys = [ends.pods[e].workload_key for e in pod_ents.tolist()]
        workloads = sorted(set(keys))
        at = {k: i for i, k in enumerate(workloads)}
        wl_code = np.fromiter((at[k] for k in keys), dtype=np.int64, count=len(keys))
        ext = live[live >= ends.n_pods]
        ext = ext[np.lexsort((ext, bmap[ext]))]
        return (workloads, wl_code, bmap[pod_ents].astype(np.int64), [ends.name(e) for e in ext.tolist()],
                bmap[ext].astype(np.int64))

    def policy_names(self, pod: Pod, refs: Iterable[str], direction: str) -> list[str]:
        """``refs`` as policies: a Calico tier's end (``Tier/<name>``) becomes the policies of
        that tier that select ``pod`` for ``direction`` (the tier's name when none does)."""
        refs = tuple(refs)
        if not any(r.startswith("Tier/") for r in refs):
            return list(dict.fromkeys(refs))
        snap = self.reach.snapshot
        if self._calico is None:
            self._calico = [c for c in snap.calico_policies if not (c.unsupported or c.host_only)]
            self._ns_labels = {n.name: n.labels for n in snap.namespaces}
            self._accounts = snap.service_account_labels()
        account_name = pod.service_account or "default"
        # What the selectors read: pods alike in these are named alike.
        key = (refs, direction, pod.namespace, tuple(sorted(pod.labels.items())), account_name)
        got = self._names.get(key)
        if got is None:
            ns_labels = self._ns_labels.get(pod.namespace, {})
            account = self._accounts.get((pod.namespace, account_name), {})
            out: list[str] = []
            for ref in refs:
                if ref.startswith("Tier/"):
                    tier = ref.split("/", 1)[1]
                    out += [c.ref for c in self._calico if c.tier == tier
                            and direction.capitalize() in c.types
                            and policy_selects(c, pod, ns_labels, account)] or [ref]
                else:
                    out.append(ref)
            got = self._names[key] = tuple(dict.fromkeys(out))
        return list(got)

    # ------------------------------------------------------------------ per pod

    def posture(self, pod: Pod, direction: str) -> Posture:
        """The public :class:`Posture` of ``pod`` (any pod of the snapshot) for ``direction``."""
        reason = not_judged_reason(pod)
        if reason:
            return Posture(pod.key, direction, NOT_JUDGED, not_judged=reason)
        c = self._class[pod.key]
        s = self.named_sides(direction, [c])[c]
        return Posture(
            pod.key, direction, s.state,
            tuple(self.policy_names(pod, s.deny_by, direction)),
            tuple(self.policy_names(pod, s.allow_by, direction)),
            tuple(self.peers(s, limit=None)),
        )

    def frame(self, level: str) -> pd.DataFrame:
        """The table of :meth:`Reachability.isolation` (``level`` already checked)."""
        import pandas as pd

        pods = sorted(self.reach.snapshot.pods, key=lambda p: p.key)
        classes = sorted({self._class[p.key] for p in pods if p.key in self._class})
        sides = {d: self.named_sides(d, classes) for d in DIRECTIONS}
        # Pods alike (same class, no Calico tier to name per pod) share their cells.
        cells: dict[tuple[Any, ...], _Cell] = {}
        cols: dict[str, list[Any]] = {c: [] for c in POD_COLUMNS}
        for p in pods:
            reason = not_judged_reason(p)
            for d in DIRECTIONS:
                cols["namespace"].append(p.namespace)
                cols["pod"].append(p.key)
                cols["workload"].append(p.workload_key)
                cols["direction"].append(d)
                cell: _Cell
                if reason:
                    cell = (NOT_JUDGED, [], [], [], reason)
                else:
                    cell = self._cell(p, d, sides[d][self._class[p.key]], cells)
                for c, v in zip(POD_COLUMNS[4:], cell, strict=True):
                    cols[c].append(v)
        if level == "pod":
            return pd.DataFrame(cols, columns=POD_COLUMNS)
        by_wl: dict[tuple[str, str], list[int]] = defaultdict(list)
        for i, (wl, d) in enumerate(zip(cols["workload"], cols["direction"], strict=True)):
            by_wl[(wl, d)].append(i)
        rows = [_workload_row(wl, d, by_wl[(wl, d)], cols)
                for wl in sorted({wl for wl, _ in by_wl}) for d in DIRECTIONS]
        return pd.DataFrame(rows, columns=WORKLOAD_COLUMNS)

    def _cell(self, pod: Pod, direction: str, s: ClassSide, cells: dict[tuple[Any, ...], _Cell]) -> _Cell:
        """``state``, ``deny_by``, ``allow_by``, ``open_to`` and ``not_judged`` of a judged pod."""
        c = self._class[pod.key]
        per_pod = any(r.startswith("Tier/") for r in s.deny_by + s.allow_by)
        key: tuple[Any, ...] = (direction, c, pod.key if per_pod else None)
        got = cells.get(key)
        if got is None:
            sample = self._samples.get((direction, c))
            if sample is None:
                sample = self._samples[(direction, c)] = self.peers(s, SAMPLE)
            got = cells[key] = (s.state, self.policy_names(pod, s.deny_by, direction),
                                self.policy_names(pod, s.allow_by, direction), sample, "")
        # Lists of their own per row: a caller editing one cell must not edit others.
        return got[0], list(got[1]), list(got[2]), list(got[3]), got[4]

    # ------------------------------------------------------------------ evaluation

    def _direction(self, direction: str, subjects: np.ndarray) -> dict[int, ClassSide]:
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
                out[c] = (ClassSide("isolated", tuple(deny_by[i]), allows_named=False) if iso[c]
                          else ClassSide("unrestricted"))
        return out

    def _evaluate(self, direction: str, subjects: np.ndarray) -> dict[int, ClassSide]:
        """First match over the direction's rules (as the engine's ``_direction``), for the
        subject classes ``subjects`` against every class, in chunks of subjects; each chunk
        visits only the rules whose subjects it holds."""
        eng = self._engine
        n, w = eng.n_b, eng.ports.words
        full = eng.ports.to_words(eng.ports.all)
        rules = sorted((r for r in eng.rules if r.direction == direction and len(r.subj_b) and len(r.peer_b)),
                       key=lambda r: (r.tier, r.priority))
        live = self.live_classes
        out: dict[int, ClassSide] = {}
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
            bits = np.packbits(open_, axis=1)
            for i, c in enumerate(chunk.tolist()):
                open_bits = b""
                if not touched[i]:
                    state = "unrestricted"  # every peer is open: not listed
                elif all_allowed[i]:
                    state = "reopened"
                elif any_open[i]:
                    state = "partial"
                    open_bits = bits[i].tobytes()
                else:
                    state = "isolated"
                out[c] = ClassSide(state, tuple(deny_by[i]), tuple(allow_by[i]), open_bits)
        return out


def _workload_row(workload: str, direction: str, rows: Sequence[int], cols: dict[str, list[Any]]) -> dict[
    str, Any]:
    """One workload's row for ``direction`` from its pods' rows (indices into the pod table's
    columns ``cols``): the weakest state among the pods judged, how many pods are in it, and
    the policies and open peers of those pods."""
    state_of = cols["state"]
    judged = [i for i in rows if state_of[i] != NOT_JUDGED]
    skipped: dict[str, int] = defaultdict(int)
    for i in rows:
        if cols["not_judged"][i]:
            skipped[cols["not_judged"][i]] += 1
    note = "; ".join(f"{reason} ({counted(n, 'pod')})" for reason, n in skipped.items())
    head = {"namespace": cols["namespace"][rows[0]], "workload": workload, "direction": direction}
    if not judged:
        return {**head, "state": NOT_JUDGED, "pods": 0, "pods_in_state": 0, "deny_by": [], "allow_by": [],
                "open_to": [], "not_judged": note}
    state = min((state_of[i] for i in judged), key=STATES.index)
    weakest = [i for i in judged if state_of[i] == state]

    def union(col: str) -> list[str]:
        return list(dict.fromkeys(x for i in weakest for x in cols[col][i]))

    return {**head, "state": state, "pods": len(judged), "pods_in_state": len(weakest),
            "deny_by": union("deny_by"), "allow_by": union("allow_by"), "open_to": union("open_to")[:SAMPLE],
            "not_judged": note}
