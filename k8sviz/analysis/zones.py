"""Segmentation intent as code: zones and the cross-zone traffic that is allowed.

A zones file is YAML::

    zones:
      pci: {namespaceSelector: {matchLabels: {compliance: pci}}, sensitive: true}
      dmz: {podSelector: {matchLabels: {tier: edge}}, priority: 10}
    allow:
      - {from: dmz, to: pci, ports: ["TCP/443"], justification: "checkout gateway",
         owner: "payments", expires: 2027-06-30}

Zone keys:

``namespaceSelector`` / ``podSelector``
    Kubernetes label selectors (``matchLabels`` / ``matchExpressions``); when both are given a pod
    must match both (AND).  A zone needs at least one of them.
``priority``
    An integer of at most 15 digits, negative ones included.  A pod matched by several zones
    goes to the one with the highest priority (a zone without ``priority`` ranks below every
    zone with one, even a negative one); a pod matched by several zones without a unique highest
    priority is a :class:`ZoneError` naming the zones and the pod.
    Overlap is checked against the pods of the snapshot being analysed.
``sensitive``
    ``true`` for zones holding regulated data (a PCI CDE): findings into it are weighted up.
``description``
    Free text shown in reports.

Pods in no zone are in the zone ``unzoned``; addresses outside the cluster (ipBlock peers,
flow endpoints that are no pod) are in the zone ``external``.  Both names may be used in
``allow`` rules but not defined.

Allow rules: ``from`` and ``to`` are a zone name or a list of them; ``ports`` is a list of
``"TCP/443"``, ``"UDP/53"``, ``"TCP/8000-8080"``, ``"443"`` (TCP), ``"TCP/*"`` or ``"*"`` (every
port of every protocol, also the meaning of a missing ``ports``); ``justification`` is required
(PCI DSS 1.2.5: every allowed service is business-justified); ``owner``, ``ticket`` (the change
or exception ticket that approved it, e.g. ``CHG-5120``) and ``expires`` (``YYYY-MM-DD``, the
last valid day) are optional.  An expired rule no longer covers anything.
Zone names, ``owner``, ``ticket`` and ``description`` are text (a number is taken as its
digits); a list, a map or a date followed by more text is a :class:`ZoneError`, never stored as
something else.

``requiredPolicyAnnotations`` (optional, top level) lists annotation keys every policy must
carry, e.g. ``[owner, justification]`` (PCI DSS 1.2.1: rulesets follow a standard);
:func:`k8sviz.gaps` reports each policy that lacks one as ``policy-missing-annotations``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._checks import one_of, path_problem, require_snapshot, type_name
from .._text import as_given, as_written, did_you_mean, kind_of, scalar
from ..errors import InputError, PolicyError, ZoneError
from ..model import LabelSelector, Pod
from . import _ports

if TYPE_CHECKING:
    from ..snapshot import Snapshot

__all__ = ["EXTERNAL", "UNZONED", "AllowRule", "Zone", "Zones", "load_zones", "resolve_today"]

UNZONED = "unzoned"
EXTERNAL = "external"
_RESERVED = (UNZONED, EXTERNAL)
_PROTOCOLS = ("TCP", "UDP", "SCTP")
#: The largest ``priority`` (and, negated, the smallest): 15 digits.
_MAX_PRIORITY = 10**15 - 1
#: Empty zones a warning names; past them it counts the rest (a file may declare hundreds).
_NAMED = 10


@dataclass(frozen=True)
class Zone:
    """One declared zone."""

    name: str
    namespace_selector: LabelSelector | None = None
    pod_selector: LabelSelector | None = None
    priority: int | None = None
    sensitive: bool = False
    description: str = ""

    def matches(self, pod_labels: Mapping[str, str], namespace_labels: Mapping[str, str]) -> bool:
        if self.namespace_selector is not None and not self.namespace_selector.matches(namespace_labels):
            return False
        return self.pod_selector is None or self.pod_selector.matches(pod_labels)

    def selector_text(self) -> str:
        parts = []
        if self.namespace_selector is not None:
            parts.append(f"namespaces [{self.namespace_selector}]")
        if self.pod_selector is not None:
            parts.append(f"pods [{self.pod_selector}]")
        return " AND ".join(parts)


@dataclass(frozen=True)
class AllowRule:
    """One justified exception: traffic ``sources`` -> ``destinations`` on ``ports``."""

    index: int
    sources: tuple[str, ...]
    destinations: tuple[str, ...]
    ports: dict[str, _ports.Ranges]  # protocol -> ranges
    justification: str
    owner: str = ""
    expires: dt.date | None = None
    ticket: str = ""  # the change or exception ticket that approved the rule

    @property
    def ref(self) -> str:
        return f"allow[{self.index}]"

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and today > self.expires

    def ports_text(self) -> str:
        if all(self.ports.get(p) == _ports.ALL for p in _PROTOCOLS):
            return "*"
        return ", ".join(f"{p}/{r}" for p, rs in self.ports.items() for r in _ports.fmt(rs))

    def applies(self, src_zone: str, dst_zone: str) -> bool:
        return src_zone in self.sources and dst_zone in self.destinations

    def describe(self) -> str:
        text = f"{self.ref} {','.join(self.sources)} -> {','.join(self.destinations)} {self.ports_text()}"
        text += f" ({self.justification}"
        if self.owner:
            text += f"; owner {self.owner}"
        if self.ticket:
            text += f"; ticket {self.ticket}"
        if self.expires:
            text += f"; expires {self.expires.isoformat()}"
        return text + ")"


@dataclass
class Coverage:
    """What the allow rules say about one cross-zone connection."""

    covered: _ports.Ranges
    uncovered: _ports.Ranges
    rules: list[AllowRule] = field(default_factory=list)
    expired_rules: list[AllowRule] = field(default_factory=list)
    #: The same as text, filled in once by :func:`k8sviz.segmentation` (which caches coverages).
    fmt: tuple[list[str], list[str], list[str], list[str]] | None = field(
        default=None, repr=False, compare=False
    )


def parse_date(text: object, what: str = "today") -> dt.date:
    """``text`` (``YYYY-MM-DD``, or an ISO date and time) as a date.

    Anything else is an :class:`~k8sviz.errors.InputError` naming ``what`` (the parameter, or
    the command-line option), never a ValueError: ``2024-13-01``, ``2024-02-30`` and
    ``tomorrow`` are mistakes to report, not to guess at.
    """
    if isinstance(text, str):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
        try:
            return dt.datetime.fromisoformat(text).date()
        except ValueError as e:
            reason = str(e)
        # Python's "Invalid isoformat string" only repeats the text; a range error says more.
        detail = "" if reason.startswith("Invalid isoformat") else f" ({reason})"
        raise InputError(f"{what} {as_written(text)} is not a date{detail}; write YYYY-MM-DD")
    raise InputError(f"{what} must be a date or YYYY-MM-DD text, not {type(text).__name__} {as_given(text)}")


def resolve_today(today: dt.date | str | None, snapshot: Snapshot | None = None) -> dt.date:
    """The date exceptions are judged against.

    An explicit ``today`` wins; else the snapshot's ``collected_at`` (so that a report on an old
    snapshot is reproducible); else the current UTC date.  A ``today`` that is not a date is an
    :class:`~k8sviz.errors.InputError`.
    """
    if isinstance(today, dt.datetime):
        return today.date()
    if isinstance(today, dt.date):
        return today
    if today is not None and today != "":
        return parse_date(today)
    collected = (snapshot.meta.get("collected_at") if snapshot is not None else None) or ""
    if isinstance(collected, str) and len(collected) >= 10:
        try:
            return dt.date.fromisoformat(collected[:10])
        except ValueError:
            pass
    return dt.datetime.now(dt.UTC).date()


def _require_zone_name(zone: Any, where: str) -> None:
    if not isinstance(zone, str):
        from ..errors import QueryError

        raise QueryError(f"{where}: zone must be a zone name (str), got {type_name(zone)}")


class Zones:
    """Declared zones and allow rules (see the module docstring for the file format).

    Build with :func:`load_zones` (a file, or a dict with the same shape).
    """

    def __init__(self, zones: Iterable[Zone], allow: Iterable[AllowRule], source: str = "<zones>",
                 required_annotations: Iterable[str] = ()):
        self.zones: dict[str, Zone] = {z.name: z for z in zones}
        self.allow: list[AllowRule] = list(allow)
        self.source = source
        #: Annotation keys every policy must carry (owner, ticket, justification...).
        self.required_annotations: tuple[str, ...] = tuple(required_annotations)

    # ------------------------------------------------------------------ membership

    @property
    def names(self) -> list[str]:
        """Declared zone names plus ``unzoned`` and ``external``."""
        return [*self.zones, UNZONED, EXTERNAL]

    def is_sensitive(self, zone: str) -> bool:
        _require_zone_name(zone, "Zones.is_sensitive")
        z = self.zones.get(zone)
        return bool(z and z.sensitive)

    def zone_of(
        self, pod_labels: Mapping[str, str], namespace_labels: Mapping[str, str], what: str = ""
    ) -> str:
        """The zone of a pod with these labels (``unzoned`` when none matches)."""
        for name, labels in (("pod_labels", pod_labels), ("namespace_labels", namespace_labels)):
            if not isinstance(labels, Mapping):
                from ..errors import QueryError

                msg = f"Zones.zone_of: {name} must be a dict of labels, got {type_name(labels)}"
                raise QueryError(msg)
        hits = [z for z in self.zones.values() if z.matches(pod_labels, namespace_labels)]
        if not hits:
            return UNZONED
        if len(hits) == 1:
            return hits[0].name
        # A zone with a priority, even a negative one, outranks one without.
        best = max(hits, key=lambda z: (z.priority is not None, z.priority or 0))
        ties = [z for z in hits if z.priority == best.priority]
        if best.priority is None or len(ties) > 1:
            names = ", ".join(sorted(z.name for z in (ties if best.priority is not None else hits)))
            msg = (
                f"zones {names} overlap{f' on {what}' if what else ''}; give them different "
                f"'priority' values (the highest wins) or make the selectors disjoint"
            )
            raise ZoneError(msg, source=self.source, obj="zones")
        return best.name

    def pod_zones(self, snapshot: Snapshot) -> dict[str, str]:
        """``{"ns/pod": zone}`` for every pod of the snapshot."""
        require_snapshot(snapshot, "Zones.pod_zones")
        ns_labels = {n.name: n.labels for n in snapshot.namespaces}
        return {
            p.key: self.zone_of(p.labels, ns_labels.get(p.namespace, {}), f"pod {p.key}")
            for p in snapshot.pods
        }

    def rank(self, zone: str) -> tuple[int, int, int, int, int]:
        """Sort key, most sensitive first: sensitive zones, then the other declared zones, by
        ``priority`` (highest first; none last), then in file order; ``unzoned`` last."""
        _require_zone_name(zone, "Zones.rank")
        z = self.zones.get(zone)
        if z is None:
            return (2, 1, 0, 0, 0)
        order = list(self.zones).index(zone)
        # None last, apart from the integers: a negative priority still ranks above it.
        return (0 if z.sensitive else 1, 0, 0 if z.priority is not None else 1, -(z.priority or 0), order)

    def workload_zone_sets(self, snapshot: Snapshot) -> dict[str, tuple[str, ...]]:
        """``{"ns/workload": (zone, ...)}``: the zones of a workload's pods, most sensitive
        first (:meth:`rank`).  Pods that ran to completion are left out unless all of the
        workload's did (they send and receive nothing now)."""
        require_snapshot(snapshot, "Zones.workload_zone_sets")
        ns_labels = {n.name: n.labels for n in snapshot.namespaces}
        live: dict[str, set[str]] = {}
        ended: dict[str, set[str]] = {}
        cache: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
        for p in snapshot.pods:
            key = (p.namespace, tuple(sorted(p.labels.items())))
            zone = cache.get(key)
            if zone is None:
                zone = cache[key] = self.zone_of(p.labels, ns_labels.get(p.namespace, {}), f"pod {p.key}")
            (ended if p.terminated else live).setdefault(p.workload_key, set()).add(zone)
        out = {}
        for wl in {**ended, **live}:
            found = live.get(wl) or ended[wl]
            out[wl] = tuple(sorted(found, key=self.rank))
        return out

    def workload_zones(self, snapshot: Snapshot) -> dict[str, str]:
        """``{"ns/workload": zone}``: one zone per workload, the most sensitive of its pods'
        zones (:meth:`workload_zone_sets`).

        A workload whose pods are in several zones (mid-rollout, a label on some replicas) is
        listed by :meth:`split_workloads`; :func:`k8sviz.segmentation` judges it in every zone
        its pods are in, so that none of its cross-zone connections goes unseen.
        """
        return {wl: zones[0] for wl, zones in self.workload_zone_sets(snapshot).items()}

    def split_workloads(self, snapshot: Snapshot) -> dict[str, tuple[str, ...]]:
        """Workloads whose (running) pods fall in more than one zone, with those zones."""
        return {wl: zs for wl, zs in self.workload_zone_sets(snapshot).items() if len(zs) > 1}

    def split_workloads_text(self, snapshot: Snapshot) -> str | None:
        """One sentence naming :meth:`split_workloads`, or None."""
        split = self.split_workloads(snapshot)
        if not split:
            return None
        shown = "; ".join(f"{wl} ({', '.join(zs)})" for wl, zs in sorted(split.items())[:10])
        more = f" and {len(split) - 10} more" if len(split) > 10 else ""
        return (f"{'a workload has' if len(split) == 1 else f'{len(split)} workloads have'} pods in several "
                "zones "
                f"of {self.source}: {shown}{more}; each is judged in every zone its pods are in (its "
                "connections may be a subset's), and weighted as its most sensitive zone")

    def empty_zones(self, snapshot: Snapshot) -> list[str]:
        """Declared zones whose selectors match no pod of the snapshot, in file order.

        A mistyped selector (``compliance: pcii``) empties its zone without any error, and its
        workloads then count as unzoned: an empty sensitive zone would hide every violation
        into it.  Empty for a snapshot without pods (nothing to say either way).
        """
        require_snapshot(snapshot, "Zones.empty_zones")
        if not snapshot.pods:
            return []
        # A zone whose selector matches pods that all go to higher-priority zones is a design
        # choice (the priority says so), not a mistyped selector.
        ns_labels = {n.name: n.labels for n in snapshot.namespaces}
        matched = {z.name for p in snapshot.pods for z in self.zones.values()
                   if z.matches(p.labels, ns_labels.get(p.namespace, {}))}
        return [name for name in self.zones if name not in matched]

    def empty_zones_text(self, snapshot: Snapshot) -> str | None:
        """One sentence naming :meth:`empty_zones` (sensitive ones marked), or None: the warning
        of :func:`warn_empty_zones`, which the CLI prints as it is."""
        return self._empty_text(self.empty_zones(snapshot), snapshot)

    def _empty_text(self, empty: list[str], snapshot: Snapshot) -> str | None:
        if not empty:
            return None
        shown = [f"{n} (sensitive)" if self.is_sensitive(n) else n for n in empty[:_NAMED]]
        names = ", ".join(shown) + (f" and {len(empty) - _NAMED:,} more" if len(empty) > _NAMED else "")
        cluster = snapshot.meta.get("cluster")
        snap = f"snapshot {as_written(cluster)}" if cluster else f"snapshot SHA-256 {snapshot.sha256[:12]}"
        if len(empty) == len(self.zones):
            # Not one selector matches: the file is more likely another cluster's than mistyped.
            which = (f"the one zone of {self.source}, {names}, matches no pod" if len(empty) == 1 else
                     f"none of the {len(empty):,} zones of {self.source} ({names}) matches a pod")
            return (f"{which} of {snap}: are the zones for another cluster? Every workload counts "
                    "as unzoned, so no connection crosses a declared zone")
        hints = "".join(f"; {h}" for h in self._label_hints(empty[:_NAMED], snapshot))
        if len(empty) == 1:
            return (f"zone {names} of {self.source} matches no pod of {snap}: check its selectors; "
                    f"a mistyped one empties the zone, and its workloads count as unzoned{hints}")
        return (f"zones {names} of {self.source} match no pod of {snap}: check their selectors; "
                f"a mistyped one empties its zone, and its workloads count as unzoned{hints}")

    def _label_hints(self, empty: list[str], snapshot: Snapshot) -> list[str]:
        """For the zones ``empty``, each label of their selectors that no pod (or namespace of a
        pod) carries, with the one spelt nearly as it that some do: ``zone pci: no namespace has
        the label complaince; did you mean 'compliance'?``, ``... compliance=pcii; did you mean
        compliance=pci?``. "check its selectors" left the auditor to find the typo."""
        import difflib

        with_pods = {p.namespace for p in snapshot.pods}
        sets = {"namespace": [n.labels for n in snapshot.namespaces if n.name in with_pods],
                "pod": [p.labels for p in snapshot.pods]}
        hints = []
        for name in empty:
            zone = self.zones[name]
            for what, selector in (("namespace", zone.namespace_selector), ("pod", zone.pod_selector)):
                if selector is None:
                    continue
                wanted: list[tuple[str, str | None]] = [*selector.match_labels]
                for r in selector.match_expressions:
                    if r.operator == "In":
                        wanted += [(r.key, v) for v in r.values]
                    elif r.operator == "Exists":
                        wanted.append((r.key, None))
                labelsets = sets[what]
                keys = sorted({k for labels in labelsets for k in labels})
                for key, value in wanted:
                    if key not in keys:
                        close = difflib.get_close_matches(key, keys, 1, 0.7)  # teir: tier
                        if close:
                            hints.append(f"zone {name}: no {what} has the label {as_written(key)}; did you "
                                         f"mean {as_written(close[0])}?")
                        continue
                    values = sorted({labels[key] for labels in labelsets if key in labels})
                    if value is not None and value not in values:
                        close = difflib.get_close_matches(value, values, 1, 0.6)
                        if close:
                            hints.append(f"zone {name}: no {what} has {as_written(f'{key}={value}')}; "
                                         f"did you mean {as_written(f'{key}={close[0]}')}?")
        return hints

    def assign(self, snapshot: Snapshot, level: str = "workload") -> dict[str, str]:
        """:meth:`workload_zones` (``level="workload"``) or :meth:`pod_zones` (``"pod"``); any
        other level is a QueryError (``"workloads"`` was read as ``"pod"``)."""
        if not one_of(level, ("workload", "pod")):
            from ..errors import QueryError

            raise QueryError(f"level must be 'pod' or 'workload', got {as_given(level)}")
        return self.workload_zones(snapshot) if level == "workload" else self.pod_zones(snapshot)

    # ------------------------------------------------------------------ intent

    def coverage(
        self, src_zone: str, dst_zone: str, protocol: str, ranges: _ports.Ranges, today: dt.date
    ) -> Coverage:
        """Which of ``ranges`` (ports of ``protocol``) the valid allow rules cover."""
        covered: _ports.Ranges = ()
        used: list[AllowRule] = []
        expired: list[AllowRule] = []
        for rule in self.allow:
            if not rule.applies(src_zone, dst_zone):
                continue
            hit = _ports.intersect(ranges, rule.ports.get(protocol, ()))
            if not hit:
                continue
            if rule.expired(today):
                expired.append(rule)
                continue
            used.append(rule)
            covered = _ports.union(covered, hit)
        return Coverage(covered, _ports.subtract(ranges, covered), used, expired)

    def __repr__(self) -> str:
        return f"Zones({list(self.zones)}, {len(self.allow)} allow rules, source={self.source!r})"

    def to_frame(self) -> Any:
        import pandas as pd

        df = pd.DataFrame(
            [
                {
                    "zone": z.name,
                    "selector": z.selector_text(),
                    "priority": z.priority,
                    "sensitive": z.sensitive,
                    "description": z.description,
                }
                for z in self.zones.values()
            ],
            columns=["zone", "selector", "priority", "sensitive", "description"],
        )
        # Integers with gaps: a zone without priority is <NA>, not a float NaN turning 10 into 10.0.
        df["priority"] = pd.array([z.priority for z in self.zones.values()], dtype="Int64")
        return df

    def allow_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "rule": r.ref,
                    "from": ",".join(r.sources),
                    "to": ",".join(r.destinations),
                    "ports": r.ports_text(),
                    "justification": r.justification,
                    "owner": r.owner,
                    "ticket": r.ticket,
                    "expires": r.expires.isoformat() if r.expires else None,
                }
                for r in self.allow
            ],
            columns=["rule", "from", "to", "ports", "justification", "owner", "ticket", "expires"],
        )

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(z.name)}</td><td>{html.escape(z.selector_text())}</td>"
            f"<td>{'' if z.priority is None else z.priority}</td><td>{'yes' if z.sensitive else ''}</td></tr>"
            for z in self.zones.values()
        )
        rules = "".join(f"<li>{html.escape(r.describe())}</li>" for r in self.allow)
        return (
            f"<div><b>Zones</b> from {html.escape(self.source)}<table><tr><th>zone</th><th>selector</th>"
            f"<th>priority</th><th>sensitive</th></tr>{rows}</table><b>Allowed cross-zone traffic</b>"
            f"<ul>{rules}</ul></div>"
        )


# ---------------------------------------------------------------------------- parsing


def _port_spec(spec: Any, where: str, source: str) -> tuple[str, _ports.Ranges] | None:
    """``(protocol, ranges)``; None protocol-less ``*`` means every protocol."""
    if isinstance(spec, int) and not isinstance(spec, bool):
        with contextlib.suppress(ValueError):  # past 4300 digits an int has no text: no port either
            spec = str(spec)
    if not isinstance(spec, str) or not spec.strip():
        msg = (f"port spec {as_written(spec)} must be a string like 'TCP/443', 'UDP/53' or "
               "'TCP/8000-8080'")
        raise ZoneError(msg, source=source, obj=where)
    text = spec.strip()
    if text == "*":
        return None
    proto, sep, rest = text.partition("/")
    if not sep:
        proto, rest = "TCP", text
    proto = proto.upper()
    if proto not in _PROTOCOLS:
        msg = f"port spec {as_written(spec)}: protocol must be TCP, UDP or SCTP"
        raise ZoneError(msg, source=source, obj=where)
    if rest.strip() == "*":
        return proto, _ports.ALL
    try:
        lo, hi = _ports.parse_one(rest)
    except ValueError:
        msg = f"port spec {as_written(spec)} is not a port (1-65535) or range 'lo-hi'"
        raise ZoneError(msg, source=source, obj=where) from None
    return proto, ((lo, hi),)


def _date(v: Any, where: str, source: str) -> dt.date | None:
    if v is None or v == "":
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        # The whole text, or an ISO date and time: `2027-06-301` is a mistake, not June 30.
        text = v.strip()
        for parse in (dt.date.fromisoformat, lambda t: dt.datetime.fromisoformat(t).date()):
            try:
                return parse(text)
            except ValueError:
                pass
    msg = f"{as_written(v)} is not a date (YYYY-MM-DD)"
    raise ZoneError(msg, source=source, obj=f"{where}.expires")


def _unknown_keys(keys: set[Any], which: str = "") -> str:
    """``unknown key colour`` or ``unknown keys a, b``: text keys as they read, others as written."""
    names = sorted(k if isinstance(k, str) else as_written(k) for k in keys)
    return f"unknown {which}{'key' if len(names) == 1 else 'keys'} {', '.join(names)}"


def _kindas_written(v: Any) -> str:
    """``v``'s kind and value (``a list ['p', 'q']``); ``null``, ``true`` or ``false`` alone."""
    shown = as_written(v)
    # "<a number too large to show>" names its kind already
    return scalar(v) or (shown if shown.startswith("<") else f"{kind_of(v)} {shown}")


def _text(v: Any, what: str, source: str, where: str) -> str:
    """A free-text field: text as is, a number as its digits (YAML reads `owner: 1234` as one),
    nothing as "".  Anything else would be stored as its Python repr, or lost when falsy."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, int | float) and not isinstance(v, bool):
        with contextlib.suppress(ValueError):
            return str(v)
    msg = f"{what} must be text (got {_kindas_written(v)})"
    raise ZoneError(msg, source=source, obj=where)


def _names(v: Any, known: set[str], where: str, key: str, source: str) -> tuple[str, ...]:
    names = [v] if isinstance(v, str) else v
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        msg = "must be a zone name or a list of zone names"
        raise ZoneError(msg, source=source, obj=f"{where}.{key}")
    for n in names:
        if n not in known:
            msg = (f"unknown zone {as_written(n)}{did_you_mean(n, known)} "
                   f"(known: {', '.join(sorted(known))})")
            raise ZoneError(msg, source=source, obj=f"{where}.{key}")
    return tuple(dict.fromkeys(names))


def _selector_typo(raw: Any, where: str) -> str:
    """What in a zone's selector ``raw`` is no field of a label selector ("" if nothing).

    Unlike a policy's, which the API server stored, this selector is the auditor's own text:
    a mistyped ``matchLabel:`` would be left out and the selector read as ``{}``, putting every
    namespace or pod in the zone, so it is an error.
    """
    if not isinstance(raw, dict):
        return ""  # LabelSelector.parse says what is wrong with it
    bad = set(raw) - {"matchLabels", "matchExpressions"}
    if bad:
        return (f"{where}: {_unknown_keys(bad)} "
                "(expected matchLabels, matchExpressions)")
    exprs = raw.get("matchExpressions")
    for i, e in enumerate(exprs if isinstance(exprs, list) else ()):
        bad = set(e) - {"key", "operator", "values"} if isinstance(e, dict) else set()
        if bad:
            return (f"{where}.matchExpressions[{i}]: {_unknown_keys(bad)} "
                    "(expected key, operator, values)")
    return ""


def parse_zones(doc: Any, source: str = "<zones>") -> Zones:
    """Build :class:`Zones` from the parsed YAML document (see the module docstring)."""
    need = "a zones file needs a top-level 'zones:' mapping of zone name -> selectors"
    if not isinstance(doc, dict):
        raise ZoneError(need, source=source)
    unknown_top = set(doc) - {"zones", "allow", "apiVersion", "kind", "metadata", "description",
                              "requiredPolicyAnnotations"}
    # Said apart: a file with `zones:` and nothing under it was told it needs a `zones:`, and
    # one with `zone:` was not told which key it has instead.
    if "zones" not in doc:
        extra = f" ({_unknown_keys(unknown_top, 'top-level ')} instead)" if unknown_top else ""
        raise ZoneError(need + extra, source=source)
    if doc["zones"] is None or doc["zones"] == {}:
        msg = ("'zones:' declares no zone: give at least one, e.g. "
               "pci: {namespaceSelector: {matchLabels: {compliance: pci}}}")
        raise ZoneError(msg, source=source)
    if not isinstance(doc["zones"], dict):
        msg = f"'zones:' must be a mapping of zone name -> selectors, not {kind_of(doc['zones'])}"
        raise ZoneError(msg, source=source)
    if unknown_top:
        msg = (f"{_unknown_keys(unknown_top, 'top-level ')} "
               "(expected zones, allow, requiredPolicyAnnotations)")
        raise ZoneError(msg, source=source)
    required = doc.get("requiredPolicyAnnotations") or []
    if not isinstance(required, list) or not all(isinstance(k, str) and k.strip() for k in required):
        msg = "'requiredPolicyAnnotations' must be a list of annotation keys, e.g. [owner, justification]"
        raise ZoneError(msg, source=source)
    zones = []
    for name, spec in doc["zones"].items():
        where = f"zone {as_written(name)}" if not isinstance(name, str) else f"zone {name}"
        if not isinstance(name, str):
            # An allow rule names zones by text: a zone `1` or `null` could never be named, and
            # `1` and "1" would be one zone, the first silently lost.
            msg = f"a zone name must be text (got {_kindas_written(name)}); quote it"
            raise ZoneError(msg, source=source, obj=where)
        if name in _RESERVED:
            msg = f"'{name}' is a built-in zone and cannot be defined"
            raise ZoneError(msg, source=source, obj=where)
        if not isinstance(spec, dict):
            msg = "must be a mapping with namespaceSelector and/or podSelector"
            raise ZoneError(msg, source=source, obj=where)
        bad = set(spec) - {"namespaceSelector", "podSelector", "priority", "sensitive", "description"}
        if bad:
            msg = (f"{_unknown_keys(bad)} "
                   "(expected namespaceSelector, podSelector, priority, sensitive, description)")
            raise ZoneError(msg, source=source, obj=where)
        if "namespaceSelector" not in spec and "podSelector" not in spec:
            msg = "needs a namespaceSelector and/or a podSelector"
            raise ZoneError(msg, source=source, obj=where)
        for key in ("namespaceSelector", "podSelector"):
            typo = _selector_typo(spec.get(key), key)
            if typo:
                raise ZoneError(f"bad selector: {typo}", source=source, obj=where)
        try:
            nsel = (
                # null is {} (as in a policy); any other value of another shape is an error: `or {}`
                # read "" or 0 as {}, putting every namespace in the zone
                LabelSelector.parse(spec["namespaceSelector"], "namespaceSelector")
                if "namespaceSelector" in spec
                else None
            )
            psel = (
                LabelSelector.parse(spec["podSelector"], "podSelector")
                if "podSelector" in spec
                else None
            )
        except (PolicyError, ValueError) as e:  # ValueError: a label value too large to be text
            raise ZoneError(f"bad selector: {e}", source=source, obj=where) from None
        prio = spec.get("priority")
        if prio is not None and (isinstance(prio, bool) or not isinstance(prio, int)):
            msg = f"priority must be an integer of at most 15 digits (got {as_written(prio)})"
            raise ZoneError(msg, source=source, obj=where)
        if prio is not None and not -_MAX_PRIORITY <= prio <= _MAX_PRIORITY:
            # YAML ints are unbounded; the zones table holds priorities as 64-bit integers and a
            # browser reads numbers as doubles, exact only to 2**53: 15 digits stay exact in both.
            msg = f"priority must be an integer of at most 15 digits (got {as_written(prio)})"
            raise ZoneError(msg, source=source, obj=where)
        sensitive = spec.get("sensitive", False)
        if sensitive is not None and not isinstance(sensitive, bool):
            # "false" or "no" in quotes is a string, and a non-empty string would read as true.
            msg = f"sensitive must be true or false (got {as_written(sensitive)})"
            raise ZoneError(msg, source=source, obj=where)
        description = _text(spec.get("description"), "description", source, where)
        zones.append(Zone(name, nsel, psel, prio, bool(sensitive), description))
    known = {z.name for z in zones} | set(_RESERVED)
    raw_allow = doc.get("allow") or []
    if not isinstance(raw_allow, list):
        msg = "'allow' must be a list of rules"
        raise ZoneError(msg, source=source)
    rules = []
    for i, r in enumerate(raw_allow):
        where = f"allow[{i}]"
        if not isinstance(r, dict):
            msg = "must be a mapping with from, to, ports, justification"
            raise ZoneError(msg, source=source, obj=where)
        bad = set(r) - {"from", "to", "ports", "justification", "owner", "expires", "ticket"}
        if bad:
            msg = _unknown_keys(bad)
            raise ZoneError(msg, source=source, obj=where)
        for key in ("from", "to"):
            if key not in r:
                msg = f"missing '{key}'"
                raise ZoneError(msg, source=source, obj=where)
        srcs = _names(r["from"], known, where, "from", source)
        dsts = _names(r["to"], known, where, "to", source)
        ports: dict[str, _ports.Ranges] = {}
        raw_ports = r.get("ports")
        if raw_ports is None:
            raw_ports = ["*"]
        if not isinstance(raw_ports, list) or not raw_ports:
            msg = "must be a non-empty list like ['TCP/443'] (omit it for every port)"
            raise ZoneError(msg, source=source, obj=f"{where}.ports")
        for j, spec in enumerate(raw_ports):
            parsed = _port_spec(spec, f"{where}.ports[{j}]", source)
            if parsed is None:
                for p in _PROTOCOLS:
                    ports[p] = _ports.ALL
            else:
                proto, rs = parsed
                ports[proto] = _ports.union(ports.get(proto, ()), rs)
        just = r.get("justification")
        if not isinstance(just, str) or not just.strip():
            msg = "needs a non-empty 'justification' (PCI DSS 1.2.5: every allowed service is justified)"
            raise ZoneError(msg, source=source, obj=where)
        rules.append(
            AllowRule(
                i,
                srcs,
                dsts,
                ports,
                just.strip(),
                _text(r.get("owner"), "owner", source, where),
                _date(r.get("expires"), where, source),
                _text(r.get("ticket"), "ticket", source, where),
            )
        )
    return Zones(zones, rules, source, [k.strip() for k in required])


def load_zones(path: str | os.PathLike[str] | Mapping[str, Any] | Zones) -> Zones:
    """Read a zones YAML file (or take an already-parsed dict with the same shape).

    Raises
    ------
    ZoneError
        The file is not valid; the message names the file and the zone or rule.
    """
    if isinstance(path, Zones):
        return path
    if isinstance(path, Mapping):
        return parse_zones(dict(path))
    from .. import _yaml

    if not isinstance(path, str | os.PathLike):
        msg = f"load_zones: path must be a str, pathlib.Path, dict or Zones, got {type(path).__name__}"
        raise ZoneError(msg)
    problem = path_problem(path)
    if problem:
        raise ZoneError(f"load_zones: {problem}")
    p = Path(path)
    try:
        data = p.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        # as load and load_flows say a missing file, not Python's capitalised strerror
        raise ZoneError("no such file or directory (the zones file)", source=str(p)) from None
    except IsADirectoryError:
        raise ZoneError("a directory, not a zones file: give the zones YAML file", source=str(p)) from None
    except OSError as e:
        said = e.strerror or str(e)
        msg = f"cannot read the zones file: {said[:1].lower()}{said[1:]}"
        raise ZoneError(msg, source=str(p)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        msg = f"not UTF-8 text (byte 0x{data[e.start]:02x} at line {line}); save the file as UTF-8"
        raise ZoneError(msg, source=str(p)) from None
    try:
        doc = _yaml.load(text)
    except _yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        msg = f"not valid YAML{where}: {getattr(e, 'problem', None) or e}"
        raise ZoneError(msg, source=str(p)) from None
    except (ValueError, TypeError, OverflowError) as e:  # from PyYAML's constructors, e.g. `!!int x`
        raise ZoneError(f"not valid YAML: a tagged value cannot be built ({e})", source=str(p)) from None
    return parse_zones(doc, str(p))


def warn_empty_zones(zones: Zones, snapshot: Snapshot, *also: Snapshot) -> None:
    """A :class:`~k8sviz.ZoneWarning` naming the zones that match no pod of ``snapshot`` (nor of
    any snapshot of ``also`` that has pods: the other side of a diff), if there are any; and one
    naming the workloads of ``snapshot`` whose pods are in several zones, if there are any.

    Every function that takes zones calls it, so that zones of another cluster are not an
    all-quiet result (every workload unzoned, no violation) in a notebook; a function that calls
    another one leaves it to the outer call (see :func:`zone_warnings_left_out`).
    """
    import warnings

    from .._warnings import ZoneWarning, outside_stacklevel

    empty = zones.empty_zones(snapshot)
    for other in also:
        if other.pods:
            keep = set(zones.empty_zones(other))
            empty = [z for z in empty if z in keep]
    text = zones._empty_text(empty, snapshot)
    if text:
        warnings.warn(text, ZoneWarning, stacklevel=outside_stacklevel())
    # Not a mistake, but the counts read differently: such a workload is in each of its zones.
    split = zones.split_workloads_text(snapshot)
    if split:
        warnings.warn(split, ZoneWarning, stacklevel=outside_stacklevel())


@contextlib.contextmanager
def zone_warnings_left_out() -> Iterator[None]:
    """Around a call of another function that takes zones, by one that has warned already: the
    same warning twice says nothing more."""
    import warnings

    from .._warnings import ZoneWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ZoneWarning)
        yield


def pod_zone(zones: Zones | None, pod: Pod, ns_labels: Mapping[str, str]) -> str | None:
    return zones.zone_of(pod.labels, ns_labels, f"pod {pod.key}") if zones is not None else None
