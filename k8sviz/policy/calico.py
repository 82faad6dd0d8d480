"""Translator: Calico NetworkPolicy and GlobalNetworkPolicy (projectcalico.org/v3) -> core rules.

Calico evaluates tiers in ``order`` (then name); in a tier, the policies that select the
endpoint in ``order`` (then name), and in each policy its rules in written order.  The first
rule that matches decides: Allow and Deny are final, Pass skips the rest of the tier, Log goes
on.  An endpoint that some policy of a tier selects but no rule decided meets the tier's
``defaultAction`` (Deny unless the Tier says Pass).  An endpoint no tier decides is allowed
(the namespace profile Calico gives Kubernetes pods allows everything).

How this sits on the engine's tiers:

* the ``default`` tier is the NetworkPolicy tier (``K8S_TIER``): Calico places every
  Kubernetes NetworkPolicy there as ``knp.default.<name>`` with order 1000, so the
  NetworkPolicy rules are re-ranked among the Calico policies of that tier;
* the admin and baseline tiers stand where Calico puts its AdminNetworkPolicy tier
  (``adminnetworkpolicy``, order 1000) and BaselineAdminNetworkPolicy tier
  (``baselineadminnetworkpolicy``, order 10,000,000); other tiers go between them by order.

Selectors see a pod's labels plus ``projectcalico.org/namespace``, ``projectcalico.org/orchestrator``
(``k8s``) and ``projectcalico.org/serviceaccount``; namespace selectors see the namespace's
labels plus ``projectcalico.org/name``.  Rule selectors also match the addresses of
NetworkSets (in the namespace that the rule's scope covers) and GlobalNetworkSets (from
global policies, or through ``namespaceSelector: global()``).  ``nets`` match any address,
pods included.  ``services`` match the addresses of a Service's EndpointSlices, and as an
egress destination only with a port of the same slice (one core rule per slice).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .._text import as_written
from ..calico_objects import (
    NAMESPACED_MARK,
    SA_LABEL,
    CalicoPolicy,
    CalicoRule,
    CalicoTier,
    EntityRule,
    NetworkSet,
    canonical_calls,
    endpoint_labels,
    endpoint_namespace_view,
    inherited_labels,
    namespace_view,
    own_under,
    sa_view,
)
from ..model import EndpointSlice, IPBlock, LoadWarning, Namespace, Pod
from .admin import ADMIN_TIER, BASELINE_TIER
from .calico_selector import Selector, parse_selector
from .endpoints import Endpoints
from .engine import CoreRule, EndpointSet, PortSel, RuleOrigin
from .k8s import K8S_TIER
from .ports import MAX_PORT, PortSpace, named_port_cuts

__all__ = [
    "CALICO_PROTOCOLS",
    "CalicoPlan",
    "calico_blocks",
    "calico_named_ports",
    "calico_port_cuts",
    "plan_calico",
    "slices_by_service",
    "translate_calico",
]

#: IANA protocol numbers the engine models (the ones with ports).
CALICO_PROTOCOLS = {6: "TCP", 17: "UDP", 132: "SCTP"}

_ADMIN_MARK = (1000.0, "adminnetworkpolicy")
_DEFAULT_MARK = (1_000_000.0, "default")
_BASELINE_MARK = (10_000_000.0, "baselineadminnetworkpolicy")
_K8S_ORDER = 1000.0  # Calico's order for Kubernetes NetworkPolicies (knp.default.*)
_CLOSE = 10**12  # priority of a tier's closing rule: after every policy of the tier
_STRIDE = 100_000  # priorities per policy within a tier (rule index below it)
#: Where the default tier's policies start, once ranked: after Cilium's denies (-1) and allows
#: (0), which come first in that tier.
_FIRST = 1


@dataclass(frozen=True)
class CalicoPlan:
    """Which Calico policies are evaluated, in order, and where each tier stands."""

    policies: tuple[CalicoPolicy, ...]  # evaluated, in evaluation order
    tier_value: dict[str, float]  # tier name -> engine tier
    tiers: dict[str, CalicoTier]
    warnings: tuple[LoadWarning, ...]


def _order_key(order: float | None, name: str) -> tuple[float, str]:
    return (order if order is not None else float("inf"), name)


def plan_calico(policies: Sequence[CalicoPolicy], tiers: Sequence[CalicoTier]) -> CalicoPlan:
    by_name = {t.name: t for t in tiers}
    warnings: list[LoadWarning] = []
    kept: list[CalicoPolicy] = []
    for p in policies:
        if p.host_only:
            continue  # doNotTrack / preDNAT policies apply to host endpoints only
        if p.unsupported:
            continue  # listed in Snapshot.unevaluated_policies
        kept.append(p)
    names = {p.tier for p in kept}
    for name in sorted(names - set(by_name) - {"default"}):
        warnings.append(LoadWarning(
            "calico-tier-missing",
            f"Calico policies name tier {as_written(name)}, which is not in the snapshot; it is placed "
            "after the tiers with an order",
        ))
        by_name[name] = CalicoTier(name, None)
    # Where each tier stands: the admin, default and baseline tiers are fixed points, the
    # others go between them by (order, name).
    marks = {"adminnetworkpolicy": (_ADMIN_MARK, float(ADMIN_TIER)),
             "default": (_DEFAULT_MARK, float(K8S_TIER)),
             "baselineadminnetworkpolicy": (_BASELINE_MARK, float(BASELINE_TIER))}
    entries = sorted([(_order_key(t.order, t.name), t.name) for t in by_name.values() if t.name not in marks]
                     + [(key, name) for name, (key, _) in marks.items()])
    tier_value: dict[str, float] = {}
    pending: list[str] = []
    prev = 0.0
    for _, name in entries:
        if name not in marks:
            pending.append(name)
            continue
        value = marks[name][1]
        for i, n in enumerate(pending):
            tier_value[n] = prev + (value - prev) * (i + 1) / (len(pending) + 1)
        pending, prev, tier_value[name] = [], value, value
    for i, n in enumerate(pending):
        tier_value[n] = prev + 100.0 * (i + 1) / (len(pending) + 1)
    for name, (key, _) in marks.items():
        t = by_name.get(name)
        if t is not None and _order_key(t.order, name) != key:
            has = "no order" if t.order is None else f"order {as_written(t.order)}"
            warnings.append(LoadWarning(
                "calico-tier-order",
                f"Tier {as_written(name)} has {has}; k8sviz keeps Calico's own place for it "
                f"({key[0]:g})",
            ))
    kept.sort(key=lambda p: (tier_value[p.tier], *_order_key(p.order, p.name), p.namespace or ""))
    return CalicoPlan(tuple(kept), tier_value, by_name, tuple(warnings))


# ------------------------------------------------------------------------------ inputs to the engine


def _rules(policies: Iterable[CalicoPolicy]) -> Iterable[CalicoRule]:
    for p in policies:
        yield from p.ingress
        yield from p.egress


def calico_blocks(policies: Sequence[CalicoPolicy], sets: Sequence[NetworkSet],
                  slices: Mapping[tuple[str, str], Sequence[EndpointSlice]] | None = None) -> list[IPBlock]:
    out = [n for r in _rules(policies) for e in (r.source, r.destination) for n in (*e.nets, *e.not_nets)]
    out += [n for s in sets for n in s.nets]
    for p in policies:
        for _, ns, name in p.service_refs:
            out += [b for es in (slices or {}).get((ns, name), ()) for b in _host_blocks(es.addresses)]
    return out


def _host_blocks(addresses: Iterable[str]) -> list[IPBlock]:
    return [IPBlock.host(a) for a in addresses]


def slices_by_service(slices: Iterable[EndpointSlice]) -> dict[tuple[str, str], list[EndpointSlice]]:
    """``(namespace, service)`` -> its EndpointSlices."""
    out: dict[tuple[str, str], list[EndpointSlice]] = {}
    for es in slices:
        out.setdefault((es.namespace, es.service), []).append(es)
    return out


def _service_of(p: CalicoPolicy, e: EntityRule) -> tuple[str, str]:
    assert e.service is not None
    return e.service[0] or p.namespace or "", e.service[1]


def _protocols(rule: CalicoRule) -> list[str]:
    if rule.protocol is not None:
        name = CALICO_PROTOCOLS.get(rule.protocol)
        protos = [name] if name else []
    else:
        protos = list(CALICO_PROTOCOLS.values())
    if rule.not_protocol is not None:
        protos = [p for p in protos if p != CALICO_PROTOCOLS.get(rule.not_protocol)]
    return protos


def _named_protocols(rule: CalicoRule) -> list[str]:
    """The protocols a rule's named ports resolve for: its protocol, or TCP without one (as
    Felix reads them)."""
    return [p for p in _protocols(rule) if rule.protocol is not None or p == "TCP"]


def calico_named_ports(policies: Sequence[CalicoPolicy]) -> set[tuple[str, str]]:
    return {
        (pr.name, proto)
        for r in _rules(policies)
        for pr in (*r.destination.ports, *r.destination.not_ports)
        if pr.name
        for proto in _named_protocols(r)
    }


def calico_port_cuts(policies: Sequence[CalicoPolicy], pods: Iterable[Pod],
                     slices: Mapping[tuple[str, str], Sequence[EndpointSlice]] | None = None) -> dict[
                         str, set[int]]:
    cuts: dict[str, set[int]] = {}
    for r in _rules(policies):
        for pr in (*r.destination.ports, *r.destination.not_ports):
            if not pr.name:
                for proto in _protocols(r):
                    cuts.setdefault(proto, set()).update((max(pr.lo, 1), min(pr.hi, MAX_PORT) + 1))
    for p in policies:
        for _, ns, name in p.service_refs:
            for es in (slices or {}).get((ns, name), ()):
                for proto, port in es.ports:
                    if port is not None:
                        cuts.setdefault(proto, set()).update((port, port + 1))
    return named_port_cuts(cuts, pods, calico_named_ports(policies))


# ------------------------------------------------------------------------------ translation


_SA = tuple[tuple[str, ...] | None, Selector | None]  # ServiceAccount names, selector


def ns_scope_selector(sel: Selector) -> Selector:
    """A rule's ``namespaceSelector`` as Calico applies it: ``all()`` means "any namespaced
    object" and ``global()`` "a non-namespaced one" (it rewrites them so, as text)."""
    # Calico rewrites its canonical text, where ``all( )`` and ``global( )`` have lost the
    # spaces the selector may have been written with: drop them first.
    text = canonical_calls(sel.text).replace("all()", f"has({NAMESPACED_MARK})")
    return parse_selector(text.replace("global()", f"!has({NAMESPACED_MARK})"))


class _Matcher:
    """Evaluates Calico selectors over the engine's entities (pods, then external atoms).

    Selectors match by address, as Calico's IP sets do: a workload endpoint by its pod IPs, a
    (Global)NetworkSet by its CIDRs, so an address inside a matching set's CIDR matches
    whatever holds it.
    """

    def __init__(self, ends: Endpoints, pods: Sequence[Pod], namespaces: Sequence[Namespace],
                 sets: Sequence[NetworkSet], sa_labels: Mapping[tuple[str, str], Mapping[str, str]],
                 slices: Mapping[tuple[str, str], Sequence[EndpointSlice]]):
        self.ends = ends
        self.slices = slices
        self.n = ends.n
        self.pods = pods
        ns_labels = {n.name: dict(n.labels) for n in namespaces}
        for p in pods:
            ns_labels.setdefault(p.namespace, {"kubernetes.io/metadata.name": p.namespace})
        self.ns_view = {k: namespace_view(k, v) for k, v in ns_labels.items()}
        self.inherited = {k: inherited_labels(k, v) for k, v in ns_labels.items()}
        # Pods with the same namespace, labels and service account behave alike: evaluate once.
        cls_of: dict[tuple[str, tuple[tuple[str, str], ...], str], int] = {}
        self._cls_labels: list[dict[str, str]] = []
        self._cls_ns: list[str] = []
        self._cls_sa: list[dict[str, str]] = []
        self._cls_sa_name: list[str | None] = []
        # What namespace selectors see of the class's namespace, where its pods' own pcns.
        # labels change it (None: the namespace's own view, shared by its classes).
        self._cls_ns_view: list[dict[str, str] | None] = []
        pod_cls = np.full(len(pods), -1, dtype=np.int64)
        for i, p in enumerate(pods):
            if p.host_network:
                continue  # not a workload endpoint: only nets match it, by its host address
            key = (p.namespace, tuple(sorted(p.labels.items())), p.service_account or "")
            c = cls_of.get(key)
            if c is None:
                c = cls_of[key] = len(self._cls_labels)
                account = sa_labels.get((p.namespace, p.service_account or "default"), {})
                self._cls_labels.append(endpoint_labels(p, ns_labels[p.namespace], account))
                self._cls_sa.append(sa_view(p, account))
                # Names are matched on the endpoint's projectcalico.org/serviceaccount label
                # (updateprocessors/rules.go), which a long ServiceAccount name does not get.
                self._cls_sa_name.append(self._cls_labels[-1].get(SA_LABEL))
                self._cls_ns.append(p.namespace)
                own_ns = any(k.startswith("pcns.") for k in p.labels)
                self._cls_ns_view.append(endpoint_namespace_view(p, ns_labels[p.namespace]) if own_ns
                                         else None)
            pod_cls[i] = c
        self.pod_cls = pod_cls
        # Classes per namespace: a namespaced policy looks at its own namespace's only.
        self._by_ns: dict[str, list[int]] = {}
        for c, ns in enumerate(self._cls_ns):
            self._by_ns.setdefault(ns, []).append(c)
        self.sets = [self._set_view(s) for s in sets]
        self._cache: dict[tuple[object, ...], np.ndarray] = {}

    def _classes_seen_in(self, ns_sel: Selector) -> list[int]:
        """Pod classes whose namespace, as their endpoints show it to a namespace selector
        (:func:`endpoint_namespace_view`), ``ns_sel`` matches."""
        out = []
        for ns, classes in self._by_ns.items():
            whole: bool | None = None  # the namespace's own view, tested once
            for c in classes:
                own = self._cls_ns_view[c]
                if own is not None:
                    ok = ns_sel.matches(own)
                else:
                    if whole is None:
                        whole = ns_sel.matches(self.ns_view[ns])
                    ok = whole
                if ok:
                    out.append(c)
        return out

    def _pods_where(self, classes: Iterable[int] | None, sel: Selector | None,
                    sa: _SA = (None, None)) -> np.ndarray:
        """Pods (as entities) of ``classes`` (None: all) whose labels match ``sel`` (None: any)
        and whose ServiceAccount matches ``sa`` (names, selector; None: any)."""
        names, sa_sel = sa
        ok = np.zeros(len(self._cls_labels), dtype=bool)
        for c in range(len(ok)) if classes is None else classes:
            ok[c] = ((sel is None or sel.matches(self._cls_labels[c]))
                     and (names is None or self._cls_sa_name[c] in names)
                     and (sa_sel is None or sa_sel.matches(self._cls_sa[c])))
        m = np.zeros(self.n, dtype=bool)
        if len(ok):
            has = self.pod_cls >= 0
            m[: len(self.pods)][has] = ok[self.pod_cls[has]]
        return m

    def nets(self, nets: Sequence[IPBlock]) -> np.ndarray:
        """Every entity with an address in one of ``nets`` (pods included)."""
        key = ("nets", tuple(nets))
        hit = self._cache.get(key)
        if hit is None:
            hit = np.zeros(self.n, dtype=bool)
            for b in nets:
                hit[self.ends.network_entities(b)] = True
            self._cache[key] = hit
        return hit

    def subject(self, p: CalicoPolicy) -> np.ndarray:
        selector, sa_selector = p.applied_selectors  # as Felix gets them (all() rewritten)
        key = ("subject", p.namespace, selector, p.namespace_selector, sa_selector)
        hit = self._cache.get(key)
        if hit is None:
            ns_sel = p.namespace_selector
            if p.namespace:
                classes: list[int] | None = self._by_ns.get(p.namespace, [])
            elif ns_sel is not None:
                classes = self._classes_seen_in(ns_sel)
            else:
                classes = None
            hit = self._cache[key] = self._pods_where(classes, selector, (None, sa_selector))
        return hit

    def _set_view(self, s: NetworkSet
                  ) -> tuple[NetworkSet, dict[str, str], str | None, dict[str, str], dict[str, str]]:
        """A network set's labels as Felix holds them, the namespace its rule selectors scope it
        to, what a rule's namespaceSelector is tested on, and what its serviceAccounts selector
        is tested on (the set's ``pcsa.`` labels).

        Calico scopes by labels, not by where the object lives (updateprocessors/rules.go):
        ``projectcalico.org/namespace == '<ns>'`` for a namespaced policy's rule, the
        namespaceSelector with ``pcns.`` before each key (``all()``/``global()``: that label
        there or not) for one with a namespaceSelector.  A namespaced set carries the label
        and its namespace's ``pcns.`` labels; a GlobalNetworkSet its own labels only, which a
        crd.projectcalico.org/v1 object may make the same ones.
        """
        if s.namespace is None:
            labels = dict(s.labels)
        else:
            labels = {**self.inherited.get(s.namespace, {}), **s.labels,
                      "projectcalico.org/namespace": s.namespace}
        home = labels.get("projectcalico.org/namespace")
        ns_view = {k[5:]: v for k, v in labels.items() if k.startswith("pcns.")}
        if home is not None:
            ns_view[NAMESPACED_MARK] = home
        return s, labels, home, ns_view, own_under(labels, "pcsa.")

    def matching(self, scope: tuple[str, object], sel: Selector | None, sa: _SA = (None, None)) -> np.ndarray:
        """Addresses of the pods and network sets in ``scope`` whose labels match ``sel`` (and
        ServiceAccount ``sa``: a pod's, a network set's labels standing for one).

        ``scope``: ``("any", None)``, ``("namespace", name)`` or ``("selector", namespaceSelector)``.
        """
        key = ("match", scope, sel, sa)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        kind, arg = scope
        ns_sel = ns_scope_selector(arg) if kind == "selector" else None  # type: ignore[arg-type]
        if kind == "namespace":
            classes: list[int] | None = self._by_ns.get(arg, [])  # type: ignore[call-overload]
        elif ns_sel is not None:
            classes = self._classes_seen_in(ns_sel)
        else:
            classes = None
        hit = self._pods_where(classes, sel, sa)
        names, sa_sel = sa
        for s, labels, home, view, sa_seen in self.sets:
            # A network set has no ServiceAccount, but Calico's validator lets it carry the
            # labels a rule's serviceAccounts compiles to (updateprocessors/rules.go), and
            # Felix then matches it by them.
            if names is not None and labels.get("projectcalico.org/serviceaccount") not in names:
                continue
            if sa_sel is not None and not sa_sel.matches(sa_seen):
                continue
            scoped = home == arg if kind == "namespace" else ns_sel is None or ns_sel.matches(view)
            if scoped and (sel is None or sel.matches(labels)):
                hit |= self.nets(s.nets)
        self._cache[key] = hit
        return hit

    def entity(self, p: CalicoPolicy, e: EntityRule) -> np.ndarray | None:
        """Entities an entity rule matches (AND of its fields); None: no condition at all.

        The positive selector is scoped (the rule's ``namespaceSelector``, else a namespaced
        policy's own namespace, else everything); ``notSelector`` is not.
        """
        m: np.ndarray | None = None

        def both(x: np.ndarray) -> None:
            nonlocal m
            m = x.copy() if m is None else m & x

        sa = (e.sa_names, e.sa_selector)
        if e.namespace_selector is not None:
            both(self.matching(("selector", e.namespace_selector), e.selector, sa))
        elif p.namespace is not None and (e.has_positive or e.not_selector is not None):
            both(self.matching(("namespace", p.namespace), e.selector, sa))
        elif e.has_positive:
            both(self.matching(("any", None), e.selector, sa))
        if e.not_selector is not None:
            both(~self.matching(("any", None), e.not_selector))
        if e.nets:
            both(self.nets(e.nets))
        if e.not_nets:
            both(~self.nets(e.not_nets))
        if e.service is not None:
            # The Service's endpoint addresses (an ingress source; an egress destination is
            # narrowed further per EndpointSlice, with its ports, by the caller).
            both(self.nets(_host_blocks(a for es in self.slices.get(_service_of(p, e), ())
                                        for a in es.addresses)))
        return m


def _ports(rule: CalicoRule, space: PortSpace) -> PortSel | None:
    """The rule's destination ports on the protocols it names; None: no modelled traffic."""
    protos = _protocols(rule)
    if not protos:
        return None
    d = rule.destination
    bits = not_bits = 0
    named: set[tuple[str, str]] = set()
    not_named: set[tuple[str, str]] = set()
    named_protos = _named_protocols(rule)
    for proto in protos:
        if d.ports:
            for pr in d.ports:
                if pr.name:
                    if proto in named_protos:
                        named.add((pr.name, proto))
                elif pr.hi >= 1:
                    bits |= space.range_bits(proto, max(pr.lo, 1), min(pr.hi, MAX_PORT))
        else:
            bits |= space.proto_bits(proto)
        # Every match criterion of a rule must hold: notPorts (numbers or names) take ports
        # out of the named ports too, whatever number those resolve to on the destination.
        for pr in d.not_ports:
            if pr.name:
                if proto in named_protos:
                    not_named.add((pr.name, proto))
            elif pr.hi >= 1:
                not_bits |= space.range_bits(proto, max(pr.lo, 1), min(pr.hi, MAX_PORT))
    return PortSel(bits & ~not_bits, tuple(sorted(named)), not_bits, tuple(sorted(not_named)))


_FAMILY = {4: IPBlock("0.0.0.0/0"), 6: IPBlock("::/0")}


def _slice_bits(es: EndpointSlice, space: PortSpace) -> int:
    """The ports an EndpointSlice serves (a port left out: every port of its protocol)."""
    bits = 0
    for proto, port in es.ports:
        bits |= space.proto_bits(proto) if port is None else space.range_bits(proto, port, port)
    return bits


def _to_set(mask: np.ndarray) -> EndpointSet:
    return EndpointSet(ents=np.flatnonzero(mask).astype(np.int64))


def translate_calico(
    plan: CalicoPlan,
    ends: Endpoints,
    space: PortSpace,
    pods: Sequence[Pod],
    namespaces: Sequence[Namespace],
    sets: Sequence[NetworkSet],
    k8s_rules: list[CoreRule],
    k8s_names: dict[str, str],
    sa_labels: Mapping[tuple[str, str], Mapping[str, str]],
    slices: Mapping[tuple[str, str], Sequence[EndpointSlice]],
    cilium_rules: Sequence[CoreRule] = (),
) -> list[CoreRule]:
    """Core rules of the Calico tiers; re-ranks ``k8s_rules`` (in place) among the default tier's.

    ``k8s_names`` maps a NetworkPolicy's ``ns/name`` to its name; ``sa_labels`` the
    ServiceAccounts' ``(namespace, name)`` to their labels, ``slices`` the Services' to their
    EndpointSlices.  ``cilium_rules``: Cilium's, which share NetworkPolicy's place in the
    default tier: its denies and allows stay ahead of the tier's policies, and its default
    deny becomes, like a NetworkPolicy's isolation, the tier's end (in place too).
    """
    match = _Matcher(ends, pods, namespaces, sets, sa_labels, slices)
    everything = EndpointSet(everything=True)
    out: list[CoreRule] = []
    # Rank of every policy of the default tier, Kubernetes NetworkPolicies included.
    default = [(_order_key(p.order, p.name), p.namespace or "", "calico", p.ref) for p in plan.policies
               if p.tier == "default"]
    default += [((_K8S_ORDER, f"knp.default.{name}"), key.split("/", 1)[0], "k8s", key)
                for key, name in k8s_names.items()]
    rank = {(kind, ref): i for i, (_, _, kind, ref) in enumerate(sorted(default))}
    default_action = plan.tiers["default"].default_action if "default" in plan.tiers else "deny"
    if any(p.tier == "default" for p in plan.policies) or default_action != "deny":
        for r in k8s_rules:
            assert r.origin is not None
            if r.origin.index < 0:
                r.priority, r.action = _CLOSE, default_action  # type: ignore[assignment]
            else:
                r.priority = _FIRST + rank[("k8s", r.origin.policy)] * _STRIDE + r.origin.index
        for r in cilium_rules:
            assert r.origin is not None
            # Its default deny after every allow of the tier, as a NetworkPolicy's isolation is
            # (left among Cilium's own rules, it would deny before the Calico policies' and
            # NetworkPolicies' allows, or not, by how far down their rules stand).
            if r.tier == K8S_TIER and r.origin.index < 0:
                r.priority, r.action = _CLOSE, default_action  # type: ignore[assignment]
    per_tier_rank: dict[str, int] = {}
    closing: dict[tuple[str, str], np.ndarray] = {}
    for p in plan.policies:
        tier = plan.tier_value[p.tier]
        if p.tier == "default":
            base = _FIRST + rank[("calico", p.ref)] * _STRIDE
        else:
            base = per_tier_rank.get(p.tier, 0) * _STRIDE
            per_tier_rank[p.tier] = per_tier_rank.get(p.tier, 0) + 1
        subject = match.subject(p)
        for direction, rules in (("ingress", p.ingress), ("egress", p.egress)):
            if direction.capitalize() not in p.types:
                continue
            key = (p.tier, direction)
            closing[key] = closing.get(key, np.zeros(match.n, dtype=bool)) | subject
            for i, rule in enumerate(rules):
                if rule.action == "log":
                    continue
                ports = _ports(rule, space)
                if ports is None:
                    continue  # ICMP and other protocols without ports: outside the model
                if not rule.families:
                    continue  # Felix renders it for no IP family (a catch-all notNets...)
                own, other = (rule.destination, rule.source) if direction == "ingress" else (
                    rule.source, rule.destination)
                own_m = match.entity(p, own)
                subj = subject if own_m is None else subject & own_m
                peer_m = match.entity(p, other)
                if rule.ip_version is not None:
                    # Both ends need an address of that family (single-stack pods: one each).
                    family = match.nets([_FAMILY[rule.ip_version]])
                    subj = subj & family
                    peer_m = family if peer_m is None else peer_m & family
                elif len(rule.families) == 1:
                    # CIDRs of one family keep the rule to that family's packets: an end whose
                    # every known address is of the other family never sends one.  (notNets
                    # alone would match it; nets already need an address of the family.)
                    (fam,) = rule.families
                    foreign = match.nets([_FAMILY[10 - fam]]) & ~match.nets([_FAMILY[fam]])
                    subj = subj & ~foreign
                    peer_m = ~foreign if peer_m is None else peer_m & ~foreign
                origin = RuleOrigin(p.ref, direction, i, rule.text())  # type: ignore[arg-type]
                if direction == "egress" and rule.destination.service is not None:
                    # Each (address, protocol, port) of the Service's EndpointSlices, as
                    # Calico's "hash:ip,port" IP set: one rule per slice, same place and action.
                    assert peer_m is not None
                    for es in slices.get(_service_of(p, rule.destination), ()):
                        sliced = PortSel(ports.bits & _slice_bits(es, space), ())
                        if sliced.bits:
                            out.append(CoreRule(
                                tier, base + i, rule.action, direction,  # type: ignore[arg-type]
                                _to_set(subj),
                                _to_set(peer_m & match.nets(_host_blocks(es.addresses))), sliced, origin,
                            ))
                    continue
                out.append(CoreRule(
                    tier, base + i, rule.action, direction,  # type: ignore[arg-type]
                    _to_set(subj), everything if peer_m is None else _to_set(peer_m), ports, origin,
                ))
    for (tier_name, direction), subj in sorted(closing.items()):
        action = plan.tiers[tier_name].default_action if tier_name in plan.tiers else "deny"
        out.append(CoreRule(
            plan.tier_value[tier_name], _CLOSE, action, direction,  # type: ignore[arg-type]
            _to_set(subj), everything, PortSel(space.all),
            RuleOrigin(f"Tier/{tier_name}", direction, -1,  # type: ignore[arg-type]
                       f"end of tier {tier_name}: {action} what its policies selected and did not decide"),
        ))
    return out
