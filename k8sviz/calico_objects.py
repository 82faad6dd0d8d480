"""Calico policy objects (``projectcalico.org/v3``, or their ``crd.projectcalico.org/v1`` CRDs).

NetworkPolicy, GlobalNetworkPolicy, Tier, NetworkSet and GlobalNetworkSet are parsed into
frozen dataclasses here; ``k8sviz.policy.calico`` translates the policies onto the engine.
Parsing checks what Calico's validation would reject (actions, protocols, ports, CIDRs,
selectors) and names the file and the object.  A ``crd.projectcalico.org/v1`` object written
straight to the CRD skips that validation (only the CRD's schema, which checks little more than
types, applies), so an API server stores what Calico would refuse and Felix reads it: where
Felix's reading is known from its code, such an object is read so with a
``calico-unvalidated`` warning; elsewhere the error says why k8sviz cannot judge it.  What the
engine cannot judge from a snapshot (source ports, HTTP methods and paths; IP versions,
ServiceAccount labels or Services' endpoints when the snapshot cannot tell them) is recorded in
``unsupported``: such a policy is not evaluated, and is listed as such.
"""

from __future__ import annotations

import contextlib
import ipaddress
import math
import re
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from ._text import as_written
from .errors import PolicyError
from .model import (
    IPBlock,
    LoadWarning,
    NamedPolicy,
    _yaml_scalar_str,
    dropped_fields_named,
    known_fields,
    valid_port_name,
)
from .policy.calico_selector import Selector, _tokenize, parse_selector

T = TypeVar("T")

__all__ = [
    "CATCH_ALL",
    "CRD_API_VERSION",
    "NAMESPACED_MARK",
    "UNVALIDATED",
    "CalicoPolicy",
    "CalicoRule",
    "CalicoTier",
    "EntityRule",
    "NetworkSet",
    "PortRange",
    "canonical_calls",
    "parse_calico_policy",
    "parse_network_set",
    "parse_tier",
]

#: Protocol numbers Calico accepts by name (spelled so: its validator refuses ``tcp``), and the
#: ones the engine models (with ports).
_PROTO_NUMBERS = {"TCP": 6, "UDP": 17, "ICMP": 1, "ICMPv6": 58, "SCTP": 132, "UDPLite": 136}
_PORTED = {6: "TCP", 17: "UDP", 132: "SCTP"}
_ACTIONS = {"Allow": "allow", "Deny": "deny", "Log": "log", "Pass": "pass"}
#: Tiers Calico manages for (Baseline)AdminNetworkPolicy objects (older and newer names).
RESERVED_TIERS = frozenset({"adminnetworkpolicy", "baselineadminnetworkpolicy", "kube-admin",
                            "kube-baseline"})

#: The apiVersion of Calico's CRDs.  Calico's API server and calicoctl validate what they write
#: (libcalico-go/lib/validator/v3); a client that writes the CRD itself is held to the CRD's
#: schema only, and Felix reads whatever the CRD holds.
CRD_API_VERSION = "crd.projectcalico.org/v1"
#: Warning code: a crd.projectcalico.org/v1 object holds what Calico's validator refuses, and is
#: read as Felix reads it.
UNVALIDATED = "calico-unvalidated"
_BYPASS = ("a crd.projectcalico.org/v1 object written straight to the CRD skips Calico's validator, "
           "which refuses this")
#: Why an unvalidated object is an error when nothing more specific is known.
_NO_READING = "k8sviz has found no reading of it in Felix's code"
#: Why, for what the API types cannot even decode (a port out of range, a reversed range...).
_UNDECODABLE = ("libcalico-go cannot decode it into its API types, so Felix does not read the object "
                "as written")


@dataclass(frozen=True, slots=True)
class _Parsing:
    """The object being parsed: whether it is a crd.projectcalico.org/v1 one, and where its
    warnings go."""

    crd: bool
    warn: Callable[[LoadWarning], None] | None


#: Set while an object is parsed: the refusal sites are many helpers deep, and each decides
#: with :func:`_refused` or :func:`_reject` what the apiVersion changes.
_PARSING: ContextVar[_Parsing | None] = ContextVar("k8sviz_calico_parsing", default=None)


@contextlib.contextmanager
def _parsing(api_version: str, warn: Callable[[LoadWarning], None] | None) -> Iterator[None]:
    token = _PARSING.set(_Parsing(api_version == CRD_API_VERSION, warn))
    try:
        yield
    finally:
        _PARSING.reset(token)


def _crd() -> bool:
    ctx = _PARSING.get()
    return ctx is not None and ctx.crd


def _warn(code: str, message: str, source: str, ref: str) -> None:
    ctx = _PARSING.get()
    if ctx is not None and ctx.warn is not None:
        ctx.warn(LoadWarning(code, message, source, ref))


def _reject(message: str, source: str, ref: str, why: str = _NO_READING) -> NoReturn:
    """Calico's validator refuses what ``message`` describes, and k8sviz knows no reading of it:
    an error, which for a crd.projectcalico.org/v1 object (that can hold it) says ``why``."""
    if not _crd():
        raise PolicyError(message, source=source, obj=ref)
    raise PolicyError(f"{message} ({_BYPASS}; k8sviz cannot tell what Felix makes of it: {why})",
                      source=source, obj=ref)


def _refused(message: str, source: str, ref: str, felix: str) -> None:
    """Calico's validator refuses what ``message`` describes, and Felix reads it ``felix``.

    A projectcalico.org/v3 object cannot hold it: an error.  A crd.projectcalico.org/v1 one can:
    a warning, and the caller goes on to read it as Felix does.
    """
    if not _crd():
        raise PolicyError(message, source=source, obj=ref)
    _warn(UNVALIDATED, f"{message}; {_BYPASS}, and Felix reads it {felix}", source, ref)


@dataclass(frozen=True, slots=True)
class PortRange:
    """``lo``-``hi`` (one port: ``lo == hi``), or a named port (``name``)."""

    lo: int = 0
    hi: int = 0
    name: str = ""

    def __str__(self) -> str:
        if self.name:
            return self.name
        return str(self.lo) if self.lo == self.hi else f"{self.lo}:{self.hi}"


@dataclass(frozen=True, slots=True)
class EntityRule:
    """A rule's ``source`` or ``destination``: every field given must match (AND)."""

    nets: tuple[IPBlock, ...] = ()
    not_nets: tuple[IPBlock, ...] = ()
    selector: Selector | None = None
    not_selector: Selector | None = None
    namespace_selector: Selector | None = None
    ports: tuple[PortRange, ...] = ()
    not_ports: tuple[PortRange, ...] = ()
    #: ``serviceAccounts``: names, and a selector over the ServiceAccount's labels (of which a
    #: snapshot knows ``projectcalico.org/name``, the name, only).
    sa_names: tuple[str, ...] | None = None
    sa_selector: Selector | None = None
    #: ``services``: ``(namespace, name)`` of a Service (namespace None: the policy's own),
    #: matched by the addresses (and, as a destination, ports) of its EndpointSlices.
    service: tuple[str | None, str] | None = None

    @property
    def has_positive(self) -> bool:
        """Whether the side has a positive selector part (Calico adds the namespace scope then)."""
        return self.selector is not None or self.sa_names is not None or self.sa_selector is not None

    @property
    def is_empty(self) -> bool:
        return self == _EMPTY

    def __str__(self) -> str:
        parts = []
        if self.namespace_selector is not None:
            parts.append(f"namespaces [{self.namespace_selector}]")
        if self.selector is not None:
            parts.append(f"selector [{self.selector}]")
        if self.not_selector is not None:
            parts.append(f"not selector [{self.not_selector}]")
        if self.sa_names is not None:
            parts.append("service accounts " + ", ".join(self.sa_names))
        if self.sa_selector is not None:
            parts.append(f"service accounts [{self.sa_selector}]")
        if self.service is not None:
            parts.append(f"service {'/'.join(x for x in self.service if x)}")
        if self.nets:
            parts.append("nets " + ", ".join(str(n) for n in self.nets))
        if self.not_nets:
            parts.append("not nets " + ", ".join(str(n) for n in self.not_nets))
        if self.ports:
            parts.append("ports " + ", ".join(str(p) for p in self.ports))
        if self.not_ports:
            parts.append("not ports " + ", ".join(str(p) for p in self.not_ports))
        return " AND ".join(parts) if parts else "anything"


_EMPTY = EntityRule()


@dataclass(frozen=True, slots=True)
class CalicoRule:
    action: str  # allow | deny | log | pass
    protocol: int | None = None  # IANA number; None: any
    not_protocol: int | None = None
    source: EntityRule = _EMPTY
    destination: EntityRule = _EMPTY
    unsupported: tuple[str, ...] = ()  # what a snapshot cannot judge (source ports, http, ...)
    ip_version: int | None = None  # 4 or 6: packets of that family only
    #: The IP families whose packets the rule can match, as Felix renders it (see _families):
    #: its CIDRs' family, none with a catch-all notNets.
    families: frozenset[int] = frozenset({4, 6})

    def text(self) -> str:
        proto = ""
        if self.protocol is not None:
            proto = f" {_PORTED.get(self.protocol, str(self.protocol))}"
        if self.not_protocol is not None:
            proto += f" not {_PORTED.get(self.not_protocol, str(self.not_protocol))}"
        action = self.action.capitalize()
        family = f" IPv{self.ip_version}" if self.ip_version else ""
        return f"{action}{family}{proto} from {self.source} to {self.destination}"


@dataclass(frozen=True, slots=True)
class CalicoPolicy(NamedPolicy):
    """A Calico NetworkPolicy (namespaced) or GlobalNetworkPolicy (``namespace`` None)."""

    kind: str
    namespace: str | None
    name: str
    tier: str
    order: float | None
    selector: Selector
    namespace_selector: Selector | None
    service_account_selector: Selector | None
    types: tuple[str, ...]
    ingress: tuple[CalicoRule, ...]
    egress: tuple[CalicoRule, ...]
    api_version: str = "projectcalico.org/v3"
    host_only: bool = False  # doNotTrack / preDNAT: host endpoints only, never pods
    #: ``spec.selector`` as written (None: absent), which Calico's GlobalNetworkPolicy update
    #: processor rewrites as text (see :meth:`applied_selectors`); ``selector`` is how it reads.
    selector_text: str | None = None
    #: ``spec.serviceAccountSelector`` as written (None: absent), for the same rewrite.
    service_account_selector_text: str | None = None
    #: Whether the snapshot holds every pod's ServiceAccount (with its labels), which
    #: ServiceAccount selectors on labels other than the name need; set by the snapshot.
    sa_labels_read: bool = False
    #: Whether the snapshot holds the EndpointSlices of the Services its rules name.
    services_read: bool = False
    #: Whether every pod has addresses of one IP family exactly, so that ``ipVersion`` rules
    #: can be judged per pod pair; set by the snapshot.
    single_stack: bool = False

    @property
    def label_kind(self) -> str:
        """The kind as k8sviz shows it: ``NetworkPolicy.projectcalico.org``, never to be read as
        a Kubernetes NetworkPolicy, or ``GlobalNetworkPolicy``."""
        return "NetworkPolicy.projectcalico.org" if self.kind == "NetworkPolicy" else self.kind

    @property
    def applied_selectors(self) -> tuple[Selector, Selector | None]:
        """``(selector, serviceAccountSelector)`` as Felix applies them to workload endpoints.

        A GlobalNetworkPolicy with a serviceAccountSelector reaches Felix as one selector
        (updateprocessors/globalnetworkpolicyprocessor.go): the spec's selector as written,
        ANDed with the namespaceSelector (``pcns.`` before each key), every ``all()`` of the
        text then made ``has(projectcalico.org/namespace)``, ANDed with the
        serviceAccountSelector (``pcsa.`` before each key, in its canonical text), every
        ``all()`` left then made ``has(projectcalico.org/serviceaccount)``.  So there ``all()``
        holds only for endpoints that carry that label, which a pod's conversion gives it only
        when its ServiceAccount's name is short enough (:func:`endpoint_service_account`).
        A namespaced NetworkPolicy's serviceAccountSelector is ANDed in with no rewrite.
        """
        sel, sa = self.selector, self.service_account_selector
        if self.namespace is not None or sa is None:
            return sel, sa
        # The serviceAccountSelector in its canonical text, where "all( )" is all().
        raw_sa = canonical_calls(self.service_account_selector_text or sa.text)
        if "all()" in raw_sa:
            sa = _all_rewritten(raw_sa, SA_LABEL_MARK)
        raw = self.selector_text
        if self.namespace_selector is None and raw is not None and "all()" in raw:
            # The selector as written, not in canonical form: "all( )" stays all().  (With a
            # namespaceSelector, its all() became has(projectcalico.org/namespace) first, which
            # every workload endpoint has.)
            sel = _all_rewritten(raw, SA_LABEL)
        return sel, sa

    @property
    def unsupported(self) -> tuple[str, ...]:
        """What a snapshot cannot judge in this policy: if anything, it is not evaluated."""
        out: list[str] = []
        if self.tier in RESERVED_TIERS:
            out.append(f"spec.tier {as_written(self.tier)} (Calico keeps it for AdminNetworkPolicy objects)")
        if not self.sa_labels_read:
            out.extend(f"{where} on ServiceAccount labels ({SA_LABELS_MISSING})"
                       for where in self.sa_label_selectors)
        if not self.services_read:
            out.extend(f"{where} ({SERVICES_MISSING})" for where, _, _ in self.service_refs)
        if not self.single_stack:
            out.extend(f"{where} (the pods' IP families are not all known and single: a pod without "
                       "an address, or a dual-stack pod, which may connect over either family)"
                       for where in self.ip_version_rules)
        for rules in (self.ingress, self.egress):
            for r in rules:
                out.extend(r.unsupported)
        return tuple(out)

    def _modelled_rules(self) -> Iterator[tuple[str, int, CalicoRule]]:
        """``(direction, index, rule)`` of the rules that can match TCP/UDP/SCTP traffic (an
        ICMP rule needs nothing a snapshot may lack)."""
        for direction, rules in (("ingress", self.ingress), ("egress", self.egress)):
            for i, r in enumerate(rules):
                if r.protocol is None or r.protocol in _PORTED:
                    yield direction, i, r

    @property
    def service_refs(self) -> tuple[tuple[str, str, str], ...]:
        """``(where, namespace, name)`` of each Service a rule names."""
        out = []
        for direction, i, r in self._modelled_rules():
            for side, e in (("source", r.source), ("destination", r.destination)):
                if e.service is not None:
                    out.append((f"spec.{direction}[{i}].{side}.services",
                                e.service[0] or self.namespace or "", e.service[1]))
        return tuple(out)

    @property
    def ip_version_rules(self) -> tuple[str, ...]:
        """Where a rule that can match TCP/UDP/SCTP names an ``ipVersion``."""
        return tuple(f"spec.{direction}[{i}].ipVersion"
                     for direction, i, r in self._modelled_rules() if r.ip_version is not None)

    @property
    def sa_label_selectors(self) -> tuple[str, ...]:
        """Where this policy selects ServiceAccounts by labels other than the name: a
        ServiceAccount selector, or a selector on the ``pcsa.`` labels endpoints inherit."""
        out = []
        if not sa_judged(self.service_account_selector):
            out.append("spec.serviceAccountSelector")
        if _uses_account_labels(self.selector):
            out.append("spec.selector")
        for direction, i, r in self._modelled_rules():
            for side, e in (("source", r.source), ("destination", r.destination)):
                if not sa_judged(e.sa_selector):
                    out.append(f"spec.{direction}[{i}].{side}.serviceAccounts.selector")
                for field, sel in (("selector", e.selector), ("notSelector", e.not_selector)):
                    if _uses_account_labels(sel):
                        out.append(f"spec.{direction}[{i}].{side}.{field}")
        return tuple(out)


def _all_rewritten(text: str, key: str) -> Selector:
    """``text`` with every ``all()`` made ``has(<key>)``, as Calico rewrites a selector's text
    (no label value can hold parentheses: rewriting string literals too changes no match).
    A ``global()`` left, which only a crd.projectcalico.org/v1 object can have here, reads as
    Felix's evaluator reads it: true of everything (see ``_selector``)."""
    calls = canonical_calls(text.replace("all()", f"has({key})"))
    return parse_selector(calls.replace("global()", "all()"))


def _uses_account_labels(sel: Selector | None) -> bool:
    """Whether ``sel`` tests a ServiceAccount label an endpoint inherits (``pcsa.<key>``),
    other than the account's name."""
    return sel is not None and any(k.startswith("pcsa.") and k != "pcsa.projectcalico.org/name"
                                   for k in sel.keys)


#: Why a ``services`` match is not judged: the snapshot lacks the EndpointSlices.
SERVICES_MISSING = (
    "the snapshot does not hold the Service's EndpointSlices: read endpointslices too, "
    "e.g. kubectl get endpointslices -A -o yaml"
)

#: Why a ServiceAccount label selector is not judged: the snapshot lacks the accounts.
SA_LABELS_MISSING = (
    "the snapshot does not hold every pod's ServiceAccount: read serviceaccounts too, "
    "e.g. kubectl get serviceaccounts -A -o yaml"
)


@dataclass(frozen=True, slots=True)
class CalicoTier:
    name: str
    order: float | None
    default_action: str = "deny"  # deny | pass


@dataclass(frozen=True, slots=True)
class NetworkSet:
    """A NetworkSet (namespaced) or GlobalNetworkSet: labels on a list of CIDRs."""

    namespace: str | None
    name: str
    labels: dict[str, str]
    nets: tuple[IPBlock, ...]


# ------------------------------------------------------------------------------ labels


#: The mark of a namespaced object in :func:`namespace_view`, which the ``all()`` and
#: ``global()`` of a rule's namespace selector test (``policy.calico.ns_scope_selector``).
#: Calico tests ``projectcalico.org/namespace`` there, after prefixing every key the user
#: wrote with ``pcns.``, so no user-written key can reach its mark; this key, with its double
#: slash, is no valid label key, so no namespace label can be it either.
NAMESPACED_MARK = "k8sviz//namespaced"


def namespace_view(namespace: str, labels: Mapping[str, str]) -> dict[str, str]:
    """What a Calico namespace selector sees: the namespace's labels and
    ``projectcalico.org/name`` (Calico's namespace profile), plus :data:`NAMESPACED_MARK`.
    Not ``projectcalico.org/namespace``: that is a label of the namespace's endpoints only."""
    return {**labels, "projectcalico.org/name": namespace, NAMESPACED_MARK: namespace}


def inherited_labels(namespace: str, labels: Mapping[str, str]) -> dict[str, str]:
    """Labels an endpoint inherits from its namespace's profile, under Calico's ``pcns.`` prefix."""
    return {f"pcns.{k}": v for k, v in {**labels, "projectcalico.org/name": namespace}.items()}


def own_under(labels: Mapping[str, str], prefix: str) -> dict[str, str]:
    """The labels under ``prefix`` (``pcns.``, ``pcsa.``), with it taken off."""
    return {k[len(prefix):]: v for k, v in labels.items() if k.startswith(prefix)}


def endpoint_namespace_view(pod: Any, ns_labels: Mapping[str, str]) -> dict[str, str]:
    """What a namespace selector (a GlobalNetworkPolicy's, or a rule's) sees of a pod's namespace.

    Calico hands Felix such a selector with ``pcns.`` before each key (updateprocessors), to
    test on the endpoint's labels, and Felix looks a label up among the endpoint's own labels
    before its profiles' (felix/labelindex: own labels, then parents).  So a pod's own
    ``pcns.<key>`` label is what the selector sees as its namespace's ``<key>``: the pod can
    claim another namespace's labels, or name (``pcns.projectcalico.org/name``).  Not the mark
    of a namespaced endpoint (``projectcalico.org/namespace``, which the pod's conversion sets).
    """
    return {**namespace_view(pod.namespace, ns_labels), **own_under(pod.labels, "pcns."),
            NAMESPACED_MARK: pod.namespace}


_NO_LABELS: Mapping[str, str] = {}

#: The label a workload endpoint's ServiceAccount name is matched on (a rule's
#: ``serviceAccounts.names``, a GlobalNetworkPolicy's ``serviceAccountSelector: all()``).
SA_LABEL = "projectcalico.org/serviceaccount"
#: The pod's conversion sets :data:`SA_LABEL` only for a ServiceAccount name shorter than this
#: (libcalico-go conversion/workload_endpoint_default.go, "for backwards compatibility"): a
#: label value holds 63 characters at most, a ServiceAccount name up to 253.
SA_LABEL_NAME_LIMIT = 63
#: In :func:`sa_view`, the mark of an endpoint that carries :data:`SA_LABEL`, which the
#: ``all()`` of a GlobalNetworkPolicy's serviceAccountSelector tests; with its double slash no
#: label key can be it (as :data:`NAMESPACED_MARK`).
SA_LABEL_MARK = "k8sviz//serviceaccount"


def service_account(pod: Any) -> str:
    """The pod's ServiceAccount: the API server sets ``default`` when the spec names none."""
    return str(pod.service_account or "default")


def endpoint_service_account(pod: Any) -> str | None:
    """The pod's workload endpoint's ``projectcalico.org/serviceaccount`` label: its
    ServiceAccount's name when shorter than 63 characters, which the conversion writes over
    any label of the pod's own; else the pod's own such label, if any (None: no label, so no
    ``serviceAccounts.names`` rule matches the pod)."""
    name = service_account(pod)
    if len(name) < SA_LABEL_NAME_LIMIT:
        return name
    own = pod.labels.get(SA_LABEL)
    return None if own is None else str(own)


def sa_view(pod: Any, sa_labels: Mapping[str, str] = _NO_LABELS) -> dict[str, str]:
    """What a ServiceAccount selector sees of the pod's ServiceAccount: its labels (when the
    snapshot holds the account) and ``projectcalico.org/name``, under the pod's own
    ``pcsa.<key>`` labels, which Felix reads first, as for :func:`endpoint_namespace_view`;
    and :data:`SA_LABEL_MARK` when the endpoint carries :data:`SA_LABEL`."""
    view = {**sa_labels, "projectcalico.org/name": service_account(pod), **own_under(pod.labels, "pcsa.")}
    label = endpoint_service_account(pod)
    if label is not None:
        view[SA_LABEL_MARK] = label
    return view


def sa_judged(sel: Selector | None) -> bool:
    """A ServiceAccount selector k8sviz can judge without the accounts: none, or one on the
    name only."""
    return sel is None or sel.keys <= {"projectcalico.org/name"}


def endpoint_labels(
    pod: Any, ns_labels: Mapping[str, str], sa_labels: Mapping[str, str] = _NO_LABELS
) -> dict[str, str]:
    """The labels Calico selectors see on a pod's workload endpoint: its own, and those it
    inherits from its namespace (``pcns.``) and ServiceAccount (``pcsa.``) profiles."""
    labels = {**inherited_labels(pod.namespace, ns_labels), **{f"pcsa.{k}": v for k, v in sa_labels.items()},
              "pcsa.projectcalico.org/name": service_account(pod),
              **pod.labels, "projectcalico.org/namespace": pod.namespace,
              "projectcalico.org/orchestrator": "k8s"}
    label = endpoint_service_account(pod)
    if label is not None:
        labels[SA_LABEL] = label
    return labels


def policy_selects(p: CalicoPolicy, pod: Any, ns_labels: Mapping[str, str],
                   sa_labels: Mapping[str, str] = _NO_LABELS) -> bool:
    """Whether ``p`` applies to ``pod`` (hostNetwork pods are no workload endpoints);
    ``sa_labels``: the labels of the pod's ServiceAccount, when the snapshot holds it."""
    if pod.host_network or p.host_only:
        return False
    if p.namespace is not None:
        if pod.namespace != p.namespace:
            return False
    elif p.namespace_selector is not None and not p.namespace_selector.matches(
        endpoint_namespace_view(pod, ns_labels)):
        return False
    selector, sa_selector = p.applied_selectors
    if sa_selector is not None and not sa_selector.matches(sa_view(pod, sa_labels)):
        return False
    return selector.matches(endpoint_labels(pod, ns_labels, sa_labels))


# ------------------------------------------------------------------------------ parsing


# The specs of the kinds read here, as the Go types in projectcalico/calico's
# api/pkg/apis/projectcalico/v3 define them (see k8sviz.model for the notation); the
# crd.projectcalico.org/v1 objects behind them have the same specs.  Calico's API server
# refuses a field not among them only when the client asks for strict field validation (as
# kubectl does), and its CRDs drop one: such a field is warned of and read as absent, as for
# the other kinds.
_ENTITY: dict[str, Any] = {
    "nets": None, "notNets": None, "selector": None, "notSelector": None, "namespaceSelector": None,
    "ports": None, "notPorts": None, "serviceAccounts": {"names": None, "selector": None},
    "services": {"name": None, "namespace": None},
}
_ICMP: dict[str, Any] = {"type": None, "code": None}
_RULE: dict[str, Any] = {
    "action": None, "ipVersion": None, "protocol": None, "notProtocol": None, "icmp": _ICMP, "notICMP": _ICMP,
    "source": _ENTITY, "destination": _ENTITY,
    "http": {"methods": None, "paths": [{"exact": None, "prefix": None}]},
    "metadata": {"annotations": None},
}
_NETWORK_POLICY: dict[str, Any] = {
    "tier": None, "order": None, "selector": None, "types": None, "serviceAccountSelector": None,
    "performanceHints": None, "ingress": [_RULE], "egress": [_RULE],
}
_SPECS: dict[str, dict[str, Any]] = {
    "NetworkPolicy": _NETWORK_POLICY,
    "GlobalNetworkPolicy": {**_NETWORK_POLICY, "namespaceSelector": None, "doNotTrack": None, "preDNAT": None,
                            "applyOnForward": None},
    "Tier": {"order": None, "defaultAction": None},
    "NetworkSet": {"nets": None},
    "GlobalNetworkSet": {"nets": None},
}


def _spec(obj: Mapping[str, Any], source: str, ref: str, warn: Callable[[LoadWarning], None] | None = None
          ) -> tuple[Mapping[str, Any], list[str], str]:
    """The object's spec without the fields its kind does not have (``warn`` is told of them),
    those fields' paths, and the kind and version, as errors and warnings name them."""
    spec = obj.get("spec", {})
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        raise PolicyError("spec must be an object", source=source, obj=ref)
    kind = str(obj.get("kind"))
    what = f"{kind} {obj.get('apiVersion')}"
    spec, dropped = known_fields(spec, _SPECS.get(kind, {}), "spec", what, source, ref, warn)
    return spec, dropped, what


def _name(obj: Mapping[str, Any]) -> tuple[str | None, str]:
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    ns = meta.get("namespace")
    return (str(ns) if ns else None), str(meta.get("name", ""))


def _order(raw: Any, where: str, source: str, ref: str) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise PolicyError(f"{where} must be a number, not {as_written(raw)}"[:200], source=source, obj=ref)
    try:
        value = float(raw)
    except OverflowError:  # an int past a float64 (YAML 0x... of 300 digits): Calico's order is one
        value = math.inf
    if not math.isfinite(value):
        raise PolicyError(f"{where} must be a number a 64-bit float holds", source=source, obj=ref)
    return value


def canonical_calls(text: str) -> str:
    """``text`` (a valid selector) with ``all( )`` and ``global( )`` written without the spaces
    inside, as in Calico's canonical form of the selector, which its text rewrites work on."""
    if "(" not in text:
        return text
    parts: list[str] = []
    last = 0
    for tok in _tokenize(text):
        if tok.kind in ("all()", "global()"):
            parts += [text[last:tok.pos], tok.kind]
            last = text.index(")", tok.pos) + 1
    return "".join(parts) + text[last:]


def _selector(
    raw: Any, where: str, source: str, ref: str, *, scope: bool = False, empty_absent: bool = False,
    global_true: bool = False, global_known: bool = True,
) -> Selector | None:
    """``empty_absent``: an empty string counts as a missing field, as in Calico's entity rules
    (its Go fields cannot tell them apart), where an empty policy ``selector`` means ``all()``.

    ``global_true``: a field Calico's validation lets ``global()`` into and whose selector it
    evaluates as written (a rule's ``notSelector`` and ``serviceAccounts.selector``): Calico's
    evaluator takes ``global()`` as true of everything there, so it is read as ``all()``.
    ``global_known``: whether Felix evaluates this field's text as written, so that a
    crd.projectcalico.org/v1 object that has ``global()`` where the validator refuses it is read
    the same way.
    """
    if raw is None or (empty_absent and raw == ""):
        return None
    if not isinstance(raw, str):
        raise PolicyError(f"{where} must be a selector string, not {as_written(raw)}", source=source, obj=ref)
    sel = parse_selector(raw, where, source=source, obj=ref)
    calls = canonical_calls(raw)
    if "global()" in calls and not scope and not global_true:
        # Calico's validation: global() only means something in a rule's namespaceSelector (the
        # newest releases also refuse it written with spaces, "global( )").
        message = f"{where}: global() can only be used in a rule's namespaceSelector"
        if not global_known:
            _reject(message, source, ref)
        _refused(message, source, ref, "as all(): its selector evaluator takes global() to be true of "
                 "everything")
        global_true = True
    if global_true and "global()" in calls:
        # (No label value can hold parentheses: rewriting string literals too changes no match.)
        return parse_selector(calls.replace("global()", "all()"), where, source=source, obj=ref)
    if scope and "global(" in raw and raw != "global()":
        # Calico's validation: there, global() must be the whole selector.
        tokens = _tokenize(raw)
        if len(tokens) > 2 or tokens[0].kind != "global()":
            # libcalico-go rewrites all() and global() in a rule's namespace selector as text
            # (updateprocessors/rules.go), which ns_scope_selector does too, whatever surrounds them.
            _refused(f"{where}: global() cannot be combined with other selectors "
                     f"({as_written(raw)})", source, ref,
                     "with global() as 'not a namespaced endpoint' inside the expression")
    return sel


#: How Felix reads a rule's CIDR it cannot parse: libcalico-go leaves a source one out
#: (updateprocessors/rules.go ConvertStringsToNets) and makes a destination one nil, which
#: Felix's rule conversion leaves out (felix/calc/rule_convert.go ipNetsToProtoStrings).
_NET_DROPPED = ("without that entry, as libcalico-go and Felix leave out an address they cannot parse "
                "(a field left with no entry restricts nothing)")


def _go_network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """``text`` as libcalico-go's ParseCIDROrIP reads it (Go's net.ParseCIDR, else net.ParseIP),
    masked: Go takes no zone and a prefix length of decimal digits only, where Python's
    ip_network also takes "10.0.0.0/255.0.0.0" and "fe80::1%eth0"."""
    if "%" in text:
        return None
    addr, slash, bits = text.partition("/")
    if slash and not (bits.isascii() and bits.isdigit()):
        return None
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return None
    length = int(bits) if slash else ip.max_prefixlen
    if length > ip.max_prefixlen:
        return None
    return ipaddress.ip_network((ip, length), strict=False)


#: Felix's reading of a GlobalNetworkSet entry it cannot parse.
_SET_NET_DROPPED = ("without that entry: the GlobalNetworkSet update processor "
                    "(libcalico-go syncersv1/updateprocessors/globalnetworksetprocessor.go) logs it and "
                    "goes on to the next one")
#: Why an unparsable NetworkSet entry has no reading.
_SET_NET_PANICS = ("the NetworkSet update processor (libcalico-go syncersv1/updateprocessors/"
                   "networksetprocessor.go) logs it but, unlike the GlobalNetworkSet one, does not skip "
                   "it: it dereferences the nil network ParseCIDROrIP returned, and the syncer (Felix or "
                   "Typha) panics")


def _nets(raw: Any, where: str, source: str, ref: str, *, rule: bool = False,
          kind: str = "") -> tuple[IPBlock, ...]:
    """``rule``: the nets of a rule, which Calico's validator wants as masked CIDRs (the
    ``net`` tag of EntityRule.Nets in api/pkg/apis/projectcalico/v3/policy_common.go, and
    validateRule's net.ParseCIDR of each); a network set's (``kind`` NetworkSet or
    GlobalNetworkSet) may be addresses and need no mask (the ``cidr`` tag of its Nets): either
    way libcalico-go hands Felix the masked network (ParseCIDROrIP), and the validator asks
    nothing of a set's IP families, whose CIDRs Felix splits into one IP set per family."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise PolicyError(f"{where} must be a list of CIDRs", source=source, obj=ref)
    out = []
    for i, cidr in enumerate(raw):
        if not isinstance(cidr, str):  # the CRD's schema holds nets to strings
            raise PolicyError(f"{where}[{i}]: invalid CIDR {as_written(cidr)}", source=source, obj=ref)
        net = _go_network(cidr)
        if net is None:
            message = f"{where}[{i}]: invalid CIDR {as_written(cidr)}"
            if rule:
                _refused(message, source, ref, _NET_DROPPED)
            elif kind == "GlobalNetworkSet":
                _refused(message, source, ref, _SET_NET_DROPPED)
            else:
                _reject(message, source, ref, _SET_NET_PANICS)
            continue
        if rule and "/" not in cidr:
            _refused(f"{where}[{i}]: {as_written(cidr)} is an address, not a CIDR (write {net})", source, ref,
                     f"as {net}, as libcalico-go reads a lone address (ParseCIDROrIP)")
        elif rule and net.network_address != ipaddress.ip_address(cidr.partition("/")[0]):
            # Felix gets the masked network: libcalico-go parses rule nets with Go's
            # net.ParseCIDR, which masks (updateprocessors/rules.go, lib/net/ipnet.go).
            _refused(f"{where}[{i}]: {as_written(cidr)} has host bits set (the network is "
                     f"{net})", source, ref,
                     f"masked, as {net}")
        out.append(IPBlock(str(net)))
    return tuple(out)


def _protocol(raw: Any, where: str, source: str, ref: str) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, str) and raw in _PROTO_NUMBERS:
        return _PROTO_NUMBERS[raw]
    if isinstance(raw, str) and raw.isascii() and raw.isdigit():
        raw = int(raw)  # numorstring reads a string of (ASCII) digits as the number
    if isinstance(raw, int) and not isinstance(raw, bool) and 1 <= raw <= 255:
        return raw
    if isinstance(raw, str):
        # Calico's validator matches the names case-sensitively (``tcp`` is refused); libcalico-go
        # lowercases them all before Felix sees the rule (numorstring Protocol.ToV1, called from
        # updateprocessors/rules.go), and Felix's renderers take the lowercase names.
        canonical = next((name for name in _PROTO_NUMBERS if name.lower() == raw.lower()), None)
        if canonical is not None:
            _refused(f"{where}: invalid protocol {as_written(raw)} (Calico spells it "
                     f"{as_written(canonical)})", source, ref,
                     f"as {canonical}, since libcalico-go lowercases protocol names")
            return _PROTO_NUMBERS[canonical]
        why = ("libcalico-go hands a name it does not know to the dataplane as it is, and the "
               "dataplanes differ (Felix's BPF programs read an unknown name as protocol 0)")
    else:
        why = _UNDECODABLE if isinstance(raw, int) and raw > 255 else _NO_READING
    _reject(f"{where}: invalid protocol {as_written(raw)}", source, ref, why)


#: numorstring.Port's forms (api/pkg/lib/numorstring/port.go PortFromString): digits (Go's \d is
#: ASCII only), two of them around a colon, or a name of these characters.
_PORT_DIGITS = re.compile(r"[0-9]+")
_PORT_RANGE = re.compile(r"([0-9]+):([0-9]+)")
_PORT_NAME_CHARS = re.compile(r"[a-zA-Z0-9_.-]{1,128}")


def _port(raw: Any, where: str, source: str, ref: str) -> PortRange:
    # Calico's validator: port numbers are 1-65535, in ranges too (0 is refused); numorstring
    # cannot decode more than 16 bits.
    def num(n: int) -> int:
        if not 1 <= n <= 65535:
            _reject(f"{where}: invalid port {as_written(raw)} (port numbers are 1-65535)", source, ref,
                    _NO_READING if n == 0 else _UNDECODABLE)
        return n

    if isinstance(raw, int) and not isinstance(raw, bool):
        if not 1 <= raw <= 65535:
            _reject(f"{where}: port {raw} is out of range 1-65535", source, ref,
                    _NO_READING if raw == 0 else _UNDECODABLE)
        return PortRange(raw, raw)
    if not isinstance(raw, str):
        _reject(f"{where}: invalid port {as_written(raw)}", source, ref, _UNDECODABLE)
    if _PORT_DIGITS.fullmatch(raw):
        n = num(int(raw))  # leading zeros too, as strconv.ParseUint reads them
        return PortRange(n, n)
    bounds = _PORT_RANGE.fullmatch(raw)
    if bounds:
        lo, hi = int(bounds[1]), int(bounds[2])
        if max(lo, hi) <= 65535 and lo > hi:
            _reject(f"{where}: port range {as_written(raw)} ends before it starts", source, ref, _UNDECODABLE)
        return PortRange(num(lo), num(hi))
    if not _PORT_NAME_CHARS.fullmatch(raw):
        # Neither a number, a range ("80:", ":80" and "http:80" are none) nor a name.
        _reject(f"{where}: invalid port {as_written(raw)} (a number, min:max or a port name)", source, ref,
                _UNDECODABLE)
    if not valid_port_name(raw):
        # Calico's validator holds names to Kubernetes' IsValidPortName (validatePortName).
        hint = f"; write {as_written(raw.lower())}" if valid_port_name(raw.lower()) else ""
        _refused(f"{where}: {as_written(raw)} is not a valid port name (at most 15 lowercase letters, "
                 f"digits and '-', with a letter{hint})", source, ref,
                 "as a port name no pod port can have (Kubernetes holds container port names to the same "
                 "rule), so it matches nothing")
    return PortRange(name=raw)


def _each(raw: Any, where: str, source: str, ref: str, parse: Callable[[Any, str, str, str], T]) -> tuple[
    T, ...]:
    """``parse`` applied to each item of an optional list."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise PolicyError(f"{where} must be a list", source=source, obj=ref)
    return tuple(parse(item, f"{where}[{i}]", source, ref) for i, item in enumerate(raw))


def _ports(raw: Any, where: str, source: str, ref: str) -> tuple[PortRange, ...]:
    return _each(raw, where, source, ref, _port)


def _entity(raw: Any, where: str, source: str, ref: str, unsupported: list[str]) -> EntityRule:
    if raw is None:
        return _EMPTY
    if not isinstance(raw, dict):
        raise PolicyError(f"{where} must be an object", source=source, obj=ref)
    service = None
    svc = raw.get("services")
    if svc is not None:
        if not isinstance(svc, dict) or not isinstance(svc.get("name"), str) or not svc["name"]:
            if isinstance(svc, dict) and svc.get("name") in (None, ""):
                _reject(f"{where}.services needs a service name", source, ref)
            raise PolicyError(f"{where}.services needs a service name", source=source, obj=ref)
        ns = svc.get("namespace")
        if ns is not None and not isinstance(ns, str):
            raise PolicyError(f"{where}.services.namespace must be a name", source=source, obj=ref)
        service = (ns or None, svc["name"])
        # Calico's validation: the Service's endpoints give the addresses (and, for a
        # destination, the ports); nothing else may select the peer.
        clash = [k for k in ("selector", "notSelector", "namespaceSelector", "nets", "notNets") if raw.get(k)]
        if raw.get("serviceAccounts") is not None:  # Calico rejects the field itself, even empty
            clash.append("serviceAccounts")
        if clash:
            _reject(f"{where}: services cannot be combined with {clash[0]}", source, ref)
        if where.endswith(".destination") and (raw.get("ports") or raw.get("notPorts")):
            _reject(f"{where}: services take their ports from the Service's endpoints, not ports",
                    source, ref)
    sa_names: tuple[str, ...] | None = None
    sa_selector: Selector | None = None
    sas = raw.get("serviceAccounts")
    if sas is not None:
        if not isinstance(sas, dict):
            raise PolicyError(f"{where}.serviceAccounts must be an object", source=source, obj=ref)
        names = sas.get("names")
        if names is not None:
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise PolicyError(f"{where}.serviceAccounts.names must be a list of names", source=source,
                                  obj=ref)
            # Calico: an empty list of names is no condition, not "no ServiceAccount".
            sa_names = tuple(names) or None
        sa_selector = _selector(
            sas.get("selector"), f"{where}.serviceAccounts.selector", source, ref, empty_absent=True,
            global_true=True,
        )
    return EntityRule(
        nets=_nets(raw.get("nets"), f"{where}.nets", source, ref, rule=True),
        not_nets=_nets(raw.get("notNets"), f"{where}.notNets", source, ref, rule=True),
        selector=_selector(raw.get("selector"), f"{where}.selector", source, ref, empty_absent=True),
        not_selector=_selector(raw.get("notSelector"), f"{where}.notSelector", source, ref, empty_absent=True,
                               global_true=True),
        namespace_selector=_selector(
            raw.get("namespaceSelector"), f"{where}.namespaceSelector", source, ref, scope=True,
            empty_absent=True
        ),
        ports=_ports(raw.get("ports"), f"{where}.ports", source, ref),
        not_ports=_ports(raw.get("notPorts"), f"{where}.notPorts", source, ref),
        sa_names=sa_names,
        sa_selector=sa_selector,
        service=service,
    )


#: The rule actions Felix takes, by the lowercase form libcalico-go hands it
#: (updateprocessors/rules.go ruleActionAPIV2ToBackend; felix/rules CalculateActions, where an
#: empty action allows and "next-tier" is Pass's older name).
_FELIX_ACTIONS = {
    "allow": "Allow", "": "Allow", "deny": "Deny", "log": "Log", "pass": "Pass", "next-tier": "Pass",
}
#: How Felix reads a rule whose CIDRs are of both families, or of the family its ipVersion
#: excludes (felix/rules/policy.go FilterRuleToIPVersion).
_PER_FAMILY = ("per IP family, with that family's CIDRs only, and not at all for a family that leaves one "
               "of the rule's CIDR fields empty")
#: Warning code: a rule's notNets hold every address of a family.
CATCH_ALL = "calico-notnets-catch-all"


def _families(src: EntityRule, dst: EntityRule, ipv: int | None) -> frozenset[int]:
    """The IP families whose packets a rule can match, as Felix renders it: Felix renders each
    rule once per family (felix/rules/policy.go FilterRuleToIPVersion, which the iptables,
    nftables and BPF dataplanes share), for its ``ipVersion`` only, with each CIDR field cut
    down to that family's CIDRs, and not at all when that empties a field that had CIDRs or
    leaves a catch-all CIDR in a negated one (Felix's filterNets since the fix of
    projectcalico/calico#10563, July 2025; before, the negated catch-all matched no packet, or
    broke the whole table with iptables-nft, projectcalico/calico#9211)."""
    out = set()
    for family in (4, 6) if ipv is None else (ipv,):
        fits = True
        for ent in (src, dst):
            for nets, negated in ((ent.nets, False), (ent.not_nets, True)):
                mine = [n for n in nets if (":" in n.cidr) == (family == 6)]
                if nets and (not mine or (negated and any(n.cidr.endswith("/0") for n in mine))):
                    fits = False
        if fits:
            out.add(family)
    return frozenset(out)



def _rule(raw: Any, where: str, source: str, ref: str) -> CalicoRule:
    if not isinstance(raw, dict):
        raise PolicyError(f"{where} must be an object", source=source, obj=ref)
    action = raw.get("action")
    if not isinstance(action, str | None) or action not in _ACTIONS:  # a list or map is unhashable
        message = f"{where}.action must be Allow, Deny, Log or Pass, not {as_written(action)}"
        if not isinstance(action, str):  # the CRD's schema wants a string there
            raise PolicyError(message, source=source, obj=ref)
        read = _FELIX_ACTIONS.get(action.lower())
        if read is None:
            _reject(message, source, ref,
                    "Felix stops on a rule action it does not know (its rule renderer panics)")
        _refused(message, source, ref, f"as {read}: libcalico-go lowercases the action "
                 "(updateprocessors/rules.go), and Felix's rule renderers take allow, deny, log, pass and "
                 "next-tier, and an empty action as allow")
        action = read
    unsupported: list[str] = []
    protocol = _protocol(raw.get("protocol"), f"{where}.protocol", source, ref)
    not_protocol = _protocol(raw.get("notProtocol"), f"{where}.notProtocol", source, ref)
    src = _entity(raw.get("source"), f"{where}.source", source, ref, unsupported)
    dst = _entity(raw.get("destination"), f"{where}.destination", source, ref, unsupported)
    for side, ent in (("source", src), ("destination", dst)):
        given = (*ent.ports, *ent.not_ports)
        # Calico's validator: without a protocol, named ports only (Felix then reads them as
        # TCP); with one, a protocol that has ports.
        if given and (protocol not in _PORTED if protocol is not None else not all(p.name for p in given)):
            _reject(
                f"{where}.{side}: port numbers and ranges need protocol TCP, UDP or SCTP"
                + ("" if protocol is None else " (named ports: that or none)"),
                source, ref,
            )
    if src.ports or src.not_ports:
        unsupported.append(f"{where}.source ports (the client's ephemeral port is not in a snapshot)")
    http = raw.get("http")
    if http is not None and not isinstance(http, dict):  # the CRD's schema wants an object
        raise PolicyError(f"{where}.http must be an object, not {as_written(http)}", source=source, obj=ref)
    for field in ("methods", "paths"):
        # A falsy value of another type ('paths: 0') would read as no condition, judged.
        if http and not isinstance(http.get(field), list | None):
            raise PolicyError(f"{where}.http.{field} must be a list, not {as_written(http[field])}",
                              source=source, obj=ref)
    methods = http.get("methods") if http else None
    # "*" among the methods matches every method: matchHTTPMethods (app-policy/checker/match.go)
    # has done so in every stored version, back to the first one that matched api.HTTPRule, so
    # in every release with HTTP matches.
    narrows_methods = bool(methods) and not (isinstance(methods, list) and "*" in methods)
    if http and (narrows_methods or http.get("paths")):
        # Without methods or paths the match holds for every request, and for traffic that is
        # no HTTP at all: Dikastes' matchHTTP (app-policy/checker/match.go) takes an empty list
        # as no condition, and Felix's own rules carry the rule's other matches only.  So
        # ``http: {}`` is no condition, judged; what it narrows is not in a snapshot.
        unsupported.append(f"{where}.http")
    raw_protocol = raw.get("protocol")
    if http is not None:
        # Calico's validator: HTTP matches belong to Allow rules over TCP (or any protocol).
        if action != "Allow":
            _reject(f"{where}.http is only valid in Allow rules", source, ref)
        if raw_protocol is not None and not _spelled(raw_protocol, "TCP"):
            message = f"{where}.http needs protocol TCP (or none), not {as_written(raw_protocol)}"
            if protocol != 6:
                _reject(message, source, ref)
            # 6 (or "6", "tcp"): the validator compares the decoded protocol with TCP's name, so
            # it refuses TCP's number; Felix matches the protocol by that number all the same.
            _refused(message + " (the validator takes TCP by its name only)", source, ref,
                     "as a TCP rule: Felix matches protocol 6 as TCP, and libcalico-go lowercases names")
    if raw.get("icmp") is not None:
        # Calico accepts an ICMP match only with protocol ICMP or ICMPv6: the rule then
        # matches no TCP/UDP/SCTP traffic whatever the type, so it is judged as such.
        if protocol not in (1, 58):
            _reject(f"{where}.icmp needs protocol ICMP or ICMPv6", source, ref)
        if not _spelled(raw_protocol, "ICMP", "ICMPv6"):
            # The validator compares the decoded protocol with those names (validateRule), so it
            # refuses their numbers (1, "58") and other spellings.
            _refused(f"{where}.icmp needs protocol ICMP or ICMPv6 by name, not "
                     f"{as_written(raw_protocol)}", source, ref,
                     f"as written: protocol {protocol} by its number, with the ICMP type match Felix renders "
                     "from the icmp fields; either way the rule matches no TCP, UDP or SCTP connection")
    if raw.get("notICMP") is not None and protocol not in (1, 58):
        # validateRule checks the protocol of ``icmp`` only: notICMP is taken with any protocol,
        # or none.  Felix renders it as written, and what that matches of other traffic is the
        # dataplane's: iptables' icmp match refuses a rule not limited to ICMP, nftables' holds
        # for ICMP packets only, and the eBPF program compares the type with a byte of the
        # destination port (it shares their place in its state).  So a snapshot cannot judge it.
        unsupported.append(f"{where}.notICMP (without protocol ICMP or ICMPv6 what it matches of "
                           "TCP, UDP and SCTP traffic depends on Calico's dataplane: iptables refuses "
                           "the rule, nftables matches ICMP only, eBPF reads a destination port byte)")
    for k in ("icmp", "notICMP"):
        _icmp_fields(raw.get(k), f"{where}.{k}", source, ref)
    ipv = raw.get("ipVersion")
    if ipv not in (None, 4, 6) or isinstance(ipv, bool):
        message = f"{where}.ipVersion must be 4 or 6, not {as_written(ipv)}"
        if not isinstance(ipv, int) or isinstance(ipv, bool):  # the CRD's schema wants an integer
            raise PolicyError(message, source=source, obj=ref)
        _refused(message, source, ref, "as no ipVersion: Felix keeps a rule to one IP family for 4 and 6 "
                 "only (felix/calc/rule_convert.go ipVersionToProtoIPVersion)")
        ipv = None
    for field, proto in (("protocol", protocol), ("notProtocol", not_protocol)):
        # Calico's validator: ICMP is IPv4's, ICMPv6 IPv6's, for the protocols written by those
        # names (it compares the decoded protocol with theirs): a number, 1 or 58, is not checked.
        family = {1: 4, 58: 6}.get(proto or 0) if _spelled(raw.get(field), "ICMP", "ICMPv6") else None
        if ipv is not None and family is not None and ipv != family:
            name = "ICMP" if family == 4 else "ICMPv6"
            _refused(f"{where}.{field} {name} needs ipVersion {family}, not {ipv}", source, ref,
                     f"as written: the rule matches IPv{ipv} packets only, and the protocol by its number")
    cidr_families = {6 if ":" in net.cidr else 4 for ent in (src, dst) for net in (*ent.nets, *ent.not_nets)}
    if len(cidr_families) > 1:
        # Calico's validator: one rule's nets and notNets are all of one IP family.
        _refused(f"{where}: the rule mixes IPv4 and IPv6 CIDRs", source, ref, _PER_FAMILY)
    if ipv is not None:
        wrong = [(side, net) for side, ent in (("source", src), ("destination", dst))
                 for net in (*ent.nets, *ent.not_nets) if (":" in net.cidr) != (ipv == 6)]
        if wrong:
            side, net = wrong[0]
            _refused(f"{where}.{side}: {net.cidr} is not an IPv{ipv} CIDR, as ipVersion says", source, ref,
                     _PER_FAMILY)
    for side, ent in (("source", src), ("destination", dst)):
        for net in ent.not_nets:
            if net.cidr.endswith("/0"):
                # Calico's validator refuses it since projectcalico/calico#10563 (July 2025, in
                # the v3.29 and v3.30 branches too); what older releases stored stays, so it is
                # read as every Felix reads it, with a warning.
                family = 6 if ":" in net.cidr else 4
                _warn(CATCH_ALL, f"{where}.{side}.notNets holds {net.cidr}, which every IPv{family} address "
                      f"is in: the rule matches no IPv{family} packet (Felix drops it for IPv{family} since "
                      "projectcalico/calico#10563; before, it rendered a match no packet meets, which "
                      "iptables-nft refuses, projectcalico/calico#9211), and a rule whose CIDRs are all of "
                      "one family matches no packet of the other", source, ref)
    families = _families(src, dst, ipv)
    if protocol is not None and protocol not in _PORTED:
        # ICMP and other protocols outside the model: whatever else the rule says, it
        # decides no TCP/UDP/SCTP connection (typically ``ipVersion: 4`` with ICMP).
        unsupported.clear()
        ipv = None
    return CalicoRule(_ACTIONS[action], protocol, not_protocol, src, dst, tuple(unsupported), ipv, families)


def _spelled(raw: Any, *names: str) -> bool:
    """Whether a rule's protocol is written as one of ``names``.  Calico's validator compares the
    decoded numorstring.Protocol with the one its name decodes to, so the number (``6``, ``"6"``)
    or another spelling (``tcp``) of the same protocol is not it."""
    return isinstance(raw, str) and raw in names


def _icmp_fields(raw: Any, where: str, source: str, ref: str) -> None:
    """Calico's checks of ``icmp``/``notICMP``: a type 0-254, a code 0-255 with a type only."""
    if raw is None:
        return
    if not isinstance(raw, dict):
        raise PolicyError(f"{where} must be an object", source=source, obj=ref)
    for key, top in (("type", 254), ("code", 255)):
        v = raw.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= top):
            _reject(f"{where}.{key} must be a number 0-{top}, not {as_written(v)}", source, ref)
    if raw.get("code") is not None and raw.get("type") is None:
        # The kernel's matches take a code only with its type.
        _refused(f"{where}: an ICMP code needs an ICMP type", source, ref,
                 "without the code, which Felix leaves out when no type comes with it "
                 "(felix/calc/rule_convert.go)")


def _rules(raw: Any, where: str, source: str, ref: str) -> tuple[CalicoRule, ...]:
    return _each(raw, where, source, ref, _rule)


def parse_calico_policy(
    obj: Mapping[str, Any], source: str = "", warn: Callable[[LoadWarning], None] | None = None
) -> CalicoPolicy:
    """A Calico NetworkPolicy or GlobalNetworkPolicy from its raw object; ``warn`` receives an
    ``unknown-field`` warning for fields its spec does not have (read without them)."""
    kind = str(obj.get("kind"))
    ns, name = _name(obj)
    ref = f"{kind}/{ns}/{name}" if ns else f"{kind}/{name}"
    if kind == "NetworkPolicy" and not ns:
        raise PolicyError("a Calico NetworkPolicy needs metadata.namespace", source=source, obj=ref)
    spec, dropped, what = _spec(obj, source, ref, warn)
    api_version = str(obj.get("apiVersion"))
    with _parsing(api_version, warn), dropped_fields_named(dropped, what):
        return _calico_policy(spec, kind, ns, name, source, ref, api_version)


def _calico_policy(spec: Mapping[str, Any], kind: str, ns: str | None, name: str, source: str, ref: str,
                   api_version: str) -> CalicoPolicy:
    tier = spec.get("tier") or "default"
    if not isinstance(tier, str):
        raise PolicyError(f"spec.tier must be a name, not {as_written(tier)}", source=source, obj=ref)
    ingress = _rules(spec.get("ingress"), "spec.ingress", source, ref)
    egress = _rules(spec.get("egress"), "spec.egress", source, ref)
    types = _types(spec.get("types"), ingress, egress, source, ref)
    for i, r in enumerate(spec.get("egress") or ()):
        if isinstance(r, dict) and r.get("http") is not None:
            # Calico's validator: application-layer matches are for ingress rules only.
            _reject(f"spec.egress[{i}].http is not allowed in egress rules", source, ref)
    if kind == "GlobalNetworkPolicy":
        _check_host_flags(spec, source, ref)
    for direction, rules, side in (("ingress", ingress, "destination"), ("egress", egress, "source")):
        for i, r in enumerate(rules):
            if getattr(r, side).service is not None:
                _reject(f"spec.{direction}[{i}].{side}.services is not allowed (services are "
                        "an egress destination or an ingress source)", source, ref)
            other = r.source if direction == "ingress" else r.destination
            if kind == "GlobalNetworkPolicy" and other.service is not None and other.service[0] is None:
                _reject(f"spec.{direction}[{i}].{'source' if direction == 'ingress' else 'destination'}"
                        ".services must name a namespace in a GlobalNetworkPolicy", source, ref)
    raw_selector = spec.get("selector")
    selector = _selector(raw_selector, "spec.selector", source, ref)
    return CalicoPolicy(
        kind=kind,
        namespace=ns,
        name=name,
        tier=tier,
        order=_order(spec.get("order"), "spec.order", source, ref),
        selector=selector if selector is not None else parse_selector("all()"),
        namespace_selector=(
            _selector(spec.get("namespaceSelector"), "spec.namespaceSelector", source, ref, empty_absent=True,
                      global_known=False)
            if kind == "GlobalNetworkPolicy" else None
        ),
        service_account_selector=_selector(
            spec.get("serviceAccountSelector"), "spec.serviceAccountSelector", source, ref, empty_absent=True
        ),
        service_account_selector_text=spec.get("serviceAccountSelector") or None,
        types=types,
        ingress=ingress,
        egress=egress,
        api_version=api_version,
        host_only=bool(spec.get("doNotTrack") or spec.get("preDNAT")),
        selector_text=raw_selector,
    )


def _types(raw: Any, ingress: tuple[CalicoRule, ...], egress: tuple[CalicoRule, ...], source: str, ref: str
           ) -> tuple[str, ...]:
    """The directions a policy governs.

    Calico's API server and calicoctl fill an empty or missing ``types`` in when they write a
    policy (libcalico-go clientv3 defaultPolicyTypesField: Ingress, plus Egress with egress
    rules, Egress alone with egress rules only).  A crd.projectcalico.org/v1 object written
    straight to the CRD keeps it empty, and Felix reads no types as both directions (its policy
    sorter: "no Types means Ingress and Egress"), matching the names it has case-insensitively
    and ignoring the others.
    """
    if raw is None or raw == []:
        written = ("Ingress", "Egress") if ingress and egress else ("Egress",) if egress else ("Ingress",)
        if not _crd() or written == ("Ingress", "Egress"):
            return written
        _warn(UNVALIDATED, f"spec.types is {'empty' if raw == [] else 'missing'}: Calico's API server and "
              "calicoctl set it from the rules when they write a policy, but a crd.projectcalico.org/v1 "
              "object written straight to the CRD keeps it so, and Felix reads a policy without types as "
              f"Ingress and Egress (not {written[0]} alone): the endpoints it selects meet the end of its "
              "tier in both directions", source, ref)
        return ("Ingress", "Egress")
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):  # the CRD's schema
        raise PolicyError(f"spec.types must list Ingress and/or Egress, not "
                          f"{as_written(raw)}", source=source, obj=ref)
    felix = ("as the directions it names in any case, ignoring other names (Felix's policy sorter "
             "matches ingress and egress case-insensitively)")
    if any(t not in ("Ingress", "Egress") for t in raw):
        _refused(f"spec.types must list Ingress and/or Egress, not {as_written(raw)}", source, ref, felix)
    if len(set(raw)) != len(raw):
        _refused(f"spec.types lists a type more than once: {as_written(raw)}", source, ref, felix)
    return tuple(t for t in ("Ingress", "Egress") if any(x.lower() == t.lower() for x in raw))


def _check_host_flags(spec: Mapping[str, Any], source: str, ref: str) -> None:
    """Calico's validation of ``preDNAT``/``doNotTrack`` (host endpoint policies)."""
    for flag in ("preDNAT", "doNotTrack", "applyOnForward"):
        # The CRD's schema wants a boolean: read for its truth, "false" would make the policy
        # one for host endpoints only, and drop every rule it has for pods unsaid.
        if not isinstance(spec.get(flag), bool | None):
            raise PolicyError(f"spec.{flag} must be true or false, not {as_written(spec[flag])}",
                              source=source, obj=ref)
    pre, untracked = bool(spec.get("preDNAT")), bool(spec.get("doNotTrack"))
    # Whatever else such a policy says, Felix gives preDNAT and doNotTrack policies to host
    # endpoints only, so none of these bears on a pod.
    host = "as a host endpoint policy, which no pod meets"
    if pre and untracked:
        _refused("spec.preDNAT and spec.doNotTrack cannot both be true", source, ref, host)
    if (pre or untracked) and not spec.get("applyOnForward"):
        _refused(f"spec.applyOnForward must be true with spec.{'preDNAT' if pre else 'doNotTrack'}",
                 source, ref, host)
    # A pre-DNAT policy has ingress rules only: no egress rules, and no type Egress written.
    if pre and (spec.get("egress") or "Egress" in (spec.get("types") or ())):
        _refused("a spec.preDNAT policy cannot have egress rules or type Egress", source, ref, host)


def parse_tier(obj: Mapping[str, Any], source: str = "", warn: Callable[[LoadWarning], None] | None = None
               ) -> CalicoTier:
    _, name = _name(obj)
    ref = f"Tier/{name}"
    spec, dropped, what = _spec(obj, source, ref, warn)
    with _parsing(str(obj.get("apiVersion")), warn), dropped_fields_named(dropped, what):
        # The field came with Calico 3.29 (projectcalico/calico#9232); before it every tier ended
        # in the implicit deny that an absent field still means.
        action = spec.get("defaultAction")
        if action is None or action == "":  # as before; but 0 or [] is no action: refused below
            action = "Deny"
        if action not in ("Deny", "Pass"):
            message = f"spec.defaultAction must be Deny or Pass, not {as_written(action)}"
            if not isinstance(action, str):  # the CRD's schema wants a string there
                raise PolicyError(message, source=source, obj=ref)
            # The Tier CRD's schema lists Pass and Deny too, where the installed CRD has that
            # enum; where it has not, Felix gets what the update processor makes of it.
            _refused(message, source, ref, "as Deny: the Tier update processor (libcalico-go "
                     "syncersv1/updateprocessors/tierprocessor.go) takes every value but Pass, in that "
                     "case, as Deny")
            action = "Deny"
        return CalicoTier(name, _order(spec.get("order"), "spec.order", source, ref), action.lower())


def parse_network_set(
    obj: Mapping[str, Any], source: str = "", warn: Callable[[LoadWarning], None] | None = None
) -> NetworkSet:
    ns, name = _name(obj)
    kind = str(obj.get("kind"))
    ref = f"{kind}/{ns}/{name}" if ns else f"{kind}/{name}"
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    labels = meta.get("labels") or {}  # type: ignore[union-attr]
    if not isinstance(labels, dict):
        raise PolicyError("metadata.labels must be a map", source=source, obj=ref)
    spec, dropped, what = _spec(obj, source, ref, warn)
    with _parsing(str(obj.get("apiVersion")), warn):
        for k, v in labels.items():
            if not isinstance(k, str) or not isinstance(v, str | int | float | bool):
                raise PolicyError(f"metadata.labels[{as_written(k)}]: a label is a name and a string, not "
                                  f"{as_written(v)}",
                                  source=source, obj=ref)
            if k == "projectcalico.org/namespace":
                # Calico's validator: the label is its own mark of namespaced endpoints, which
                # scopes the rule selectors of namespaced policies (updateprocessors/rules.go).
                if ns:
                    felix = ("as the set's own namespace: networksetprocessor.go writes that over it "
                             "after copying the labels")
                else:
                    felix = (f"as written: globalnetworksetprocessor.go keeps the labels, so Felix takes the "
                             f"set for one in namespace {as_written(v)} where rules.go scopes a selector "
                             "by that label "
                             "(a namespaced policy's rule selectors, a rule's namespaceSelector: all() "
                             "or global(), and its other namespaceSelectors over the set's own pcns. labels)")
                _refused(f"metadata.labels[{as_written(k)}]: projectcalico.org/namespace is reserved "
                         "by Calico",
                         source, ref, felix)
        with dropped_fields_named(dropped, what):
            nets = _nets(spec.get("nets"), "spec.nets", source, ref, kind=kind)
    return NetworkSet(ns, name,
                      {k: v if isinstance(v, str) else _yaml_scalar_str(v) for k, v in labels.items()},
                      nets)
