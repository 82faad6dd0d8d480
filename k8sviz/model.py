"""Frozen dataclasses for the objects k8sviz reasons about, parsed from raw Kubernetes JSON.

Raw JSON (camelCase, as ``kubectl get -o json`` or the API server returns it) goes in; nothing
else in the package touches raw dicts or kubernetes-client model objects.  Parsing validates
what the policy engine depends on (selectors, ports, CIDRs) the way the API server would, and
raises :class:`~k8sviz.errors.PolicyError` naming the object when it would be rejected.

Label maps are plain dicts for ergonomic reading; treat them as read-only.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ._text import as_written, kind_of
from .errors import PolicyError

__all__ = [
    "NAMESPACE_NAME_LABEL",
    "PROTOCOLS",
    "AdminPeer",
    "AdminPolicy",
    "AdminRule",
    "Container",
    "ContainerPort",
    "EndpointSlice",
    "IPBlock",
    "Ingress",
    "LabelSelector",
    "LoadWarning",
    "Namespace",
    "NetworkPolicy",
    "Node",
    "Peer",
    "Pod",
    "PolicyPort",
    "PolicyRule",
    "RawPolicy",
    "Requirement",
    "Service",
    "ServiceAccount",
    "ServicePort",
    "Workload",
    "address_rank",
    "live_pod_by_ip",
    "name_problem",
    "parse_admin_policy",
    "valid_label_key",
    "valid_label_value",
]

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
PROTOCOLS = ("TCP", "UDP", "SCTP")
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")

_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_PORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_SUBDOMAIN_SAID = "lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"

#: The object names the API server takes, by rule (see :func:`name_problem`): the pattern, the
#: most characters and what they are.  Namespaces are DNS labels, Services DNS-1035 labels (a
#: DNS name starts with a letter), CronJobs shorter subdomains (their Jobs' names add 11
#: characters), the other kinds k8sviz reads DNS subdomains (custom resources too).
NAME_RULES: dict[str, tuple[re.Pattern[str], int, str]] = {
    "subdomain": (_DNS_SUBDOMAIN, 253, f"a DNS-1123 subdomain (at most 253 {_SUBDOMAIN_SAID})"),
    "cronjob": (_DNS_SUBDOMAIN, 52, f"a CronJob name (at most 52 {_SUBDOMAIN_SAID})"),
    "label": (_DNS_LABEL, 63, "a DNS-1123 label (at most 63 lowercase letters, digits and '-', starting "
              "and ending with a letter or digit)"),
    "service": (_DNS_1035_LABEL, 63, "a DNS-1035 label (at most 63 lowercase letters, digits and '-', "
                "starting with a letter and ending with a letter or digit)"),
}
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"{_OCTET}(\.{_OCTET}){{3}}")


def _ip(value: Any, what: str) -> str:
    """``value`` if it is an IP address in text form; a ValueError naming ``what`` otherwise.

    The API server validates every address field, so a bad one is a tampered or hand-made
    dump; later stages parse these addresses and must not meet one they cannot read.
    """
    if type(value) is str and _IPV4.fullmatch(value):  # the common case, without ipaddress
        return value
    try:
        ipaddress.ip_address(value if type(value) is str else "-")
    except ValueError:
        raise ValueError(f"{what} {as_written(value)} is not an IP address") from None
    return value  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=65536)
def valid_label_value(value: str) -> bool:
    """Whether the API server would accept ``value`` as a label value."""
    # fullmatch: "$" matches before a trailing newline, so "web\n" passed
    return len(value) <= 63 and bool(_LABEL_NAME.fullmatch(value))


@functools.lru_cache(maxsize=65536)
def valid_label_key(key: str) -> bool:
    """Whether the API server would accept ``key`` as a label key (``[prefix/]name``)."""
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix)):
        return False
    return 0 < len(name) <= 63 and bool(_LABEL_NAME.fullmatch(name))


def valid_port_name(name: str) -> bool:
    """IANA_SVC_NAME: at most 15 lowercase alphanumerics or '-', at least one letter."""
    return (
        0 < len(name) <= 15
        and bool(_PORT_NAME.fullmatch(name))  # fullmatch: "$" would let a trailing newline in
        and "--" not in name
        and any(c.isalpha() for c in name)
    )


@dataclass(frozen=True, slots=True)
class LoadWarning:
    """Something in the input that k8sviz kept, changed or skipped, and wants the user to know."""

    code: str
    message: str
    source: str = ""
    obj: str = ""

    def __str__(self) -> str:
        where = ", ".join(p for p in (self.source, self.obj) if p)
        return f"[{self.code}] {where}: {self.message}" if where else f"[{self.code}] {self.message}"


# --------------------------------------------------------------------------------------------
# Selectors


@dataclass(frozen=True, slots=True)
class Requirement:
    """One ``matchExpressions`` entry."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.operator == "In":
            return labels.get(self.key) in self.values
        if self.operator == "NotIn":
            # A missing key satisfies NotIn (apimachinery labels.Selector semantics).
            return labels.get(self.key) not in self.values
        if self.operator == "Exists":
            return self.key in labels
        return self.key not in labels  # DoesNotExist

    def __str__(self) -> str:
        if self.operator in ("Exists", "DoesNotExist"):
            return self.key if self.operator == "Exists" else f"!{self.key}"
        op = "in" if self.operator == "In" else "notin"
        return f"{self.key} {op} ({','.join(self.values)})"


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A ``metav1.LabelSelector``: ``matchLabels`` AND every ``matchExpressions`` entry.

    The empty selector matches everything.
    """

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[Requirement, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.match_labels and not self.match_expressions

    def matches(self, labels: Mapping[str, str]) -> bool:
        for key, value in self.match_labels:
            if labels.get(key) != value:
                return False
        return all(r.matches(labels) for r in self.match_expressions)

    def __str__(self) -> str:
        parts = [f"{k}={v}" for k, v in self.match_labels] + [str(r) for r in self.match_expressions]
        return ",".join(parts) if parts else "{}"

    @classmethod
    def parse(cls, raw: Any, where: str = "selector", *, source: str = "", obj: str = "",
              warn: Callable[[LoadWarning], None] | None = None) -> LabelSelector:
        """The selector ``raw``; null is the empty selector (the API's zero value), any other
        value not of the API's shape an error: read as empty, ``matchLabels: 0`` or
        ``podSelector: []`` would select everything.  ``warn`` receives an
        ``invalid-selector-label`` warning for each label key or value the API would reject."""
        if raw is None:
            return cls()
        if not isinstance(raw, dict):
            raise PolicyError(f"{where} must be an object", source=source, obj=obj)
        ml = raw.get("matchLabels")
        if ml is None:
            ml = {}
        if not isinstance(ml, dict):
            raise PolicyError(f"{where}.matchLabels must be a map", source=source, obj=obj)
        def text(v: Any, at: str) -> str:
            try:
                return _yaml_scalar_str(v)
            except ValueError:  # an int past Python's limit for int -> str (4300 digits)
                msg = f"{at} is a number too large to read as text (no label holds one)"
                raise PolicyError(msg, source=source, obj=obj) from None

        labels = []
        for k, v in ml.items():
            if type(k) is str and type(v) is str:
                labels.append((k, v))  # as the checks below read it, without naming it first
                continue
            if not _kubectl_key(k):
                msg = f"{where}.matchLabels has the key {as_written(k)}, not a string"
                raise PolicyError(msg, source=source, obj=obj)
            k = label_key_text(k)
            if not (v is None or isinstance(v, str | int | float | bool)):
                msg = f"{where}.matchLabels[{as_written(k)}] is {as_written(v)}, not a string"
                raise PolicyError(msg, source=source, obj=obj)
            labels.append((k, text(v, f"{where}.matchLabels[{as_written(k)}]")))
        exprs = []
        terms = raw.get("matchExpressions")
        if terms is None:
            terms = []
        if not isinstance(terms, list):
            raise PolicyError(f"{where}.matchExpressions must be a list", source=source, obj=obj)
        for i, e in enumerate(terms):
            if not isinstance(e, dict) or e.get("key") is None or e.get("operator") is None:
                raise PolicyError(
                    f"{where}.matchExpressions[{i}] needs key and operator", source=source, obj=obj
                )
            op = e["operator"]
            if not isinstance(e.get("values") if e.get("values") is not None else [], list):
                msg = f"{where}.matchExpressions[{i}].values must be a list"
                raise PolicyError(msg, source=source, obj=obj)
            if op not in OPERATORS:
                raise PolicyError(
                    f"{where}.matchExpressions[{i}]: invalid operator {as_written(op)} "
                    f"(expected one of {', '.join(OPERATORS)})",
                    source=source,
                    obj=obj,
                )
            values = tuple(text(v, f"{where}.matchExpressions[{i}].values") for v in (e.get("values") or ()))
            if op in ("In", "NotIn") and not values:
                raise PolicyError(
                    f"{where}.matchExpressions[{i}]: operator {op} needs a non-empty values list",
                    source=source,
                    obj=obj,
                )
            if op in ("Exists", "DoesNotExist") and values:
                raise PolicyError(
                    f"{where}.matchExpressions[{i}]: operator {op} takes no values",
                    source=source,
                    obj=obj,
                )
            key = text(e["key"], f"{where}.matchExpressions[{i}].key")
            exprs.append(Requirement(key, op, tuple(sorted(set(values)))))
        if warn is not None:
            _warn_selector(raw, where, source, obj, warn)
        return cls(tuple(sorted(labels)), tuple(exprs))


def _selected(sel: LabelSelector | None, what: str, every: str) -> str:
    """``pods [app=web]``, or ``every pod`` for an absent or empty selector (``[{}]`` reads as
    nothing to a reader, though it selects everything)."""
    return every if sel is None or sel.is_empty else f"{what} [{sel}]"


def _yaml_scalar_str(v: Any) -> str:
    # YAML turns `version: 1` or `enabled: true` into non-strings; the API server would reject
    # them, kubectl users quote them.  Compare as the string a user meant.  A null (`app:` with
    # nothing after it, as an empty Helm value renders) is what Go's JSON decoding stores for
    # it in a string map or list of a built-in type: "" (a CRD prunes the entry: see _LABELS).
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list | dict):  # none the API server takes: as JSON writes it, not as Python
        return json.dumps(v, default=str, ensure_ascii=False)
    return str(v)


# --------------------------------------------------------------------------------------------
# Workload objects


@dataclass(frozen=True, slots=True)
class ContainerPort:
    container_port: int
    protocol: str = "TCP"
    name: str | None = None
    host_port: int | None = None


@dataclass(frozen=True, slots=True)
class Container:
    name: str
    image: str
    ports: tuple[ContainerPort, ...] = ()
    privileged: bool = False
    init: bool = False


@dataclass(frozen=True, slots=True)
class Pod:
    """A pod, or a representative pod synthesized from a workload's template."""

    namespace: str
    name: str
    labels: dict[str, str]
    workload_kind: str
    workload: str
    node: str | None = None
    ips: tuple[str, ...] = ()
    host_ip: str | None = None
    host_network: bool = False
    containers: tuple[Container, ...] = ()
    service_account: str | None = None
    phase: str | None = None
    synthesized: bool = False
    uid: str = ""

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def workload_key(self) -> str:
        return f"{self.namespace}/{self.workload}"

    @property
    def terminated(self) -> bool:
        """A pod that ran to completion or failed: its sandbox is gone and its address may be reused.

        The API server keeps ``status.podIP`` after the pod ends, so such a pod can still list
        an address that a running pod now holds.
        """
        return self.phase in ("Succeeded", "Failed")

    @property
    def privileged(self) -> bool:
        return any(c.privileged for c in self.containers)

    @property
    def host_ports(self) -> tuple[int, ...]:
        return tuple(sorted({p.host_port for c in self.containers for p in c.ports if p.host_port}))

    @property
    def named_ports(self) -> dict[tuple[str, str], int]:
        """``{(name, protocol): port}`` over the pod's (non-init) containers: the first
        container's number where two give one name different numbers (see
        :attr:`named_port_numbers`, which policies are judged with)."""
        out: dict[tuple[str, str], int] = {}
        for c in self.containers:
            if c.init:
                continue
            for p in c.ports:
                if p.name:
                    out.setdefault((p.name, p.protocol), p.container_port)
        return out

    @property
    def named_port_numbers(self) -> dict[tuple[str, str], tuple[int, ...]]:
        """``{(name, protocol): ports}``, ascending, over the pod's (non-init) containers.

        The API checks port names unique per container only, so two containers may give one
        name different numbers; a policy naming it matches any of them, as
        kube-network-policies and Calico match it.
        """
        out: dict[tuple[str, str], set[int]] = {}
        for c in self.containers:
            if c.init:
                continue
            for p in c.ports:
                if p.name:
                    out.setdefault((p.name, p.protocol), set()).add(p.container_port)
        return {k: tuple(sorted(v)) for k, v in out.items()}

    @property
    def cilium_named_ports(self) -> dict[tuple[str, str], tuple[int, ...]]:
        """Named ports as Cilium resolves them: one entry per name, the last container's
        (its agent builds a name -> port map container by container, each overwriting)."""
        last: dict[str, tuple[str, int]] = {}
        for c in self.containers:
            if c.init:
                continue
            for p in c.ports:
                if p.name:
                    last[p.name] = (p.protocol, p.container_port)
        return {(name, proto): (port,) for name, (proto, port) in last.items()}


@dataclass(frozen=True, slots=True)
class Workload:
    """A controller that owns pods (or a bare pod, kind ``Pod``)."""

    kind: str
    namespace: str
    name: str
    labels: dict[str, str]
    template_labels: dict[str, str]
    replicas: int | None = None
    uid: str = ""

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class ServicePort:
    port: int
    protocol: str = "TCP"
    name: str | None = None
    target_port: int | str | None = None
    node_port: int | None = None


@dataclass(frozen=True, slots=True)
class Service:
    namespace: str
    name: str
    type: str
    selector: dict[str, str] | None
    ports: tuple[ServicePort, ...] = ()
    cluster_ips: tuple[str, ...] = ()
    external_ips: tuple[str, ...] = ()
    load_balancer_ingress: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def exposed(self) -> bool:
        """Reachable from outside the cluster network (LoadBalancer, NodePort, external IPs)."""
        return self.type in ("LoadBalancer", "NodePort") or bool(self.external_ips)


@dataclass(frozen=True, slots=True)
class Ingress:
    """A networking.k8s.io Ingress: which services it exposes to the outside."""

    namespace: str
    name: str
    ingress_class: str | None
    hosts: tuple[str, ...]
    backends: tuple[str, ...]  # service names in the ingress's namespace

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    labels: dict[str, str]
    internal_ips: tuple[str, ...] = ()
    pod_cidrs: tuple[str, ...] = ()
    external_ips: tuple[str, ...] = ()

    @property
    def addresses(self) -> tuple[str, ...]:
        """Every IP of ``status.addresses`` (InternalIP, then ExternalIP)."""
        return self.internal_ips + self.external_ips


@dataclass(frozen=True, slots=True)
class Namespace:
    name: str
    labels: dict[str, str]
    referenced_only: bool = False


@dataclass(frozen=True, slots=True)
class EndpointSlice:
    """The addresses and ports an EndpointSlice gives its Service (Calico's ``services``
    rules match them).  ``ports`` holds ``(protocol, port)``; port None: every port.
    ``not_ready`` holds the addresses of endpoints whose ``conditions.ready`` is false (a
    missing condition means ready), ``terminating`` those of them still serving while they
    terminate (Cilium's ``toServices`` leaves both out, or the latter only in some releases)."""

    namespace: str
    name: str
    service: str
    addresses: tuple[str, ...]
    ports: tuple[tuple[str, int | None], ...]
    not_ready: tuple[str, ...] = ()
    terminating: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    """A ServiceAccount's name and labels: all a policy can select it by (Calico's
    ServiceAccount selectors).  Its secrets and image pull secrets are never kept."""

    namespace: str
    name: str
    labels: dict[str, str]

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


# --------------------------------------------------------------------------------------------
# NetworkPolicy (networking.k8s.io/v1)


@dataclass(frozen=True, slots=True)
class IPBlock:
    cidr: str
    except_: tuple[str, ...] = ()

    @classmethod
    def host(cls, ip: str) -> IPBlock:
        """The block of one address (``/32`` or ``/128``)."""
        return cls(str(ipaddress.ip_network(ip)))

    def networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, tuple[Any, ...]]:
        net = ipaddress.ip_network(self.cidr, strict=False)
        return net, tuple(ipaddress.ip_network(e, strict=False) for e in self.except_)

    def contains(self, ip: str) -> bool:
        addr = ipaddress.ip_address(ip)
        net, excepts = self.networks()
        return addr in net and not any(addr in e for e in excepts)

    def __str__(self) -> str:
        return self.cidr + (f" except {', '.join(self.except_)}" if self.except_ else "")


@dataclass(frozen=True, slots=True)
class Peer:
    """One ``from``/``to`` entry.  Selectors in one peer AND together; peers OR together.

    ``pod_selector`` without ``namespace_selector`` means pods of the policy's own namespace;
    ``namespace_selector`` without ``pod_selector`` means every pod of the matching namespaces.
    """

    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IPBlock | None = None

    def __str__(self) -> str:
        if self.ip_block is not None:
            return f"ipBlock {self.ip_block}"
        ns = self.namespace_selector
        where = "the policy's namespace" if ns is None else _selected(ns, "namespaces", "every namespace")
        return f"{_selected(self.pod_selector, 'pods', 'every pod')} in {where}"


@dataclass(frozen=True, slots=True)
class PolicyPort:
    """One ``ports`` entry. ``port`` None means every port of ``protocol``."""

    protocol: str = "TCP"
    port: int | str | None = None
    end_port: int | None = None

    def __str__(self) -> str:
        if self.port is None:
            return f"{self.protocol}/*"
        if self.end_port is not None:
            return f"{self.protocol}/{self.port}-{self.end_port}"
        return f"{self.protocol}/{self.port}"


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """An ingress or egress rule.

    ``peers`` is None when ``from``/``to`` is missing and ``()`` when it is empty; both mean
    "every peer".  Likewise ``ports``: None (missing) or ``()`` (empty) mean every port.
    """

    peers: tuple[Peer, ...] | None = None
    ports: tuple[PolicyPort, ...] | None = None

    @property
    def all_peers(self) -> bool:
        return not self.peers

    @property
    def all_ports(self) -> bool:
        return not self.ports


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    namespace: str
    name: str
    pod_selector: LabelSelector
    policy_types: tuple[str, ...]
    ingress: tuple[PolicyRule, ...] = ()
    egress: tuple[PolicyRule, ...] = ()
    policy_types_implied: bool = False
    #: What keeps the engine from judging the policy, as the snapshot found it (empty: it is
    #: evaluated): where Cilium enforces it, selectors on what a snapshot does not hold (see
    #: ``Snapshot._mark_cilium_network_policies``).  Such a policy is listed as not evaluated.
    unsupported: tuple[str, ...] = ()

    #: As the other policy kinds name themselves (``unevaluated_policies`` lists them together).
    kind = "NetworkPolicy"
    label_kind = "NetworkPolicy"
    api_version = "networking.k8s.io/v1"

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def ref(self) -> str:
        return f"NetworkPolicy/{self.key}"

    @property
    def affects_ingress(self) -> bool:
        return "Ingress" in self.policy_types

    @property
    def affects_egress(self) -> bool:
        return "Egress" in self.policy_types


class NamedPolicy:
    """``key``, ``label_kind`` and ``ref`` for a policy object with ``kind``, ``namespace``, ``name``."""

    __slots__ = ()
    kind: str
    namespace: str | None
    name: str

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    @property
    def label_kind(self) -> str:
        """The kind as k8sviz shows it."""
        return self.kind

    @property
    def ref(self) -> str:
        """How rules and explanations name it: ``label_kind/[namespace/]name``."""
        return f"{self.label_kind}/{self.key}"


@dataclass(frozen=True, slots=True)
class RawPolicy(NamedPolicy):
    """A policy of a dialect the engine does not evaluate yet, kept verbatim (and listed)."""

    kind: str
    api_version: str
    namespace: str | None
    name: str
    raw: dict[str, Any]


def address_rank(pod: Pod) -> int:
    """Which of the pods listing one address holds it: lowest first.

    A Running pod (0) before other live ones (1: Pending, Unknown, no phase given) before pods
    that ended (2), whose status keeps an address the network may have handed on.  Two live
    pods listing one address mean a stale status; the Running one has every container set up
    behind it, and kube-network-policies' resolver prefers it the same way.
    """
    if pod.terminated:
        return 2
    return 0 if pod.phase == "Running" else 1


def live_pod_by_ip(pods: Iterable[Pod]) -> dict[str, Pod]:
    """Address -> the pod that holds it (never a hostNetwork pod): by :func:`address_rank`,
    then snapshot order, so a completed Job's stale address never hides a running pod."""
    out: dict[str, Pod] = {}
    # sorted() is stable: snapshot order decides within a rank.
    for p in sorted((p for p in pods if not (p.host_network or p.synthesized)), key=address_rank):
        for ip in p.ips:
            out.setdefault(ip, p)
    return out


# --------------------------------------------------------------------------------------------
# Parsing raw JSON


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    m = obj.get("metadata")
    return m if isinstance(m, dict) else {}


def _labels(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    # Keys and values are strings in JSON from the API; only YAML by hand gives other scalars.
    if type(raw) is dict:
        for k, v in raw.items():
            if type(k) is not str or type(v) is not str:
                break
        else:
            return dict(raw)  # a C copy: cheaper than building the same dict item by item
    return {
        k if type(k) is str else label_key_text(k): v if type(v) is str else _yaml_scalar_str(v)
        for k, v in raw.items()
    }


def label_key_text(k: Any) -> str:
    """A map key as kubectl sends it: its YAML-to-JSON step (sigs.k8s.io/yaml) writes an integer
    or boolean key as text (``1: a`` is the label ``"1"``, ``true: a`` the label ``"true"``)."""
    return k if type(k) is str else _yaml_scalar_str(k)


def _kubectl_key(k: Any) -> bool:
    """Whether kubectl would send the key ``k`` of a hand-written map as a string."""
    return isinstance(k, str | int)  # bool is an int


def parse_namespace(obj: Mapping[str, Any]) -> Namespace:
    m = _meta(obj)
    name = m["name"]
    labels = _labels(m.get("labels"))
    # The API server always sets this label; dumps of old clusters or manifests may lack it.
    labels[NAMESPACE_NAME_LABEL] = name
    return Namespace(name, labels)


def parse_endpoint_slice(obj: Mapping[str, Any]) -> EndpointSlice | None:
    """An EndpointSlice of IP addresses; None for one of FQDNs (no addresses to match)."""
    m = _meta(obj)
    kind = obj.get("addressType") or "IPv4"  # null is absent (Go's zero value), as everywhere here
    if kind == "FQDN":
        return None
    if kind not in ("IPv4", "IPv6"):
        raise ValueError(f"addressType {as_written(kind)} is not IPv4, IPv6 or FQDN")
    service = _labels(m.get("labels")).get("kubernetes.io/service-name", "")
    addresses: list[str] = []
    not_ready: list[str] = []
    terminating: list[str] = []
    for i, e in enumerate(_list(obj.get("endpoints"), "endpoints")):
        if type(e) is not dict:
            raise ValueError(f"endpoints[{i}] is {kind_of(e)}, not a mapping")
        ips = [_ip(a, f"endpoints[{i}].addresses[]")
               for a in _list(e.get("addresses"), f"endpoints[{i}].addresses")]
        addresses += ips
        cond = e.get("conditions")
        if cond is not None and type(cond) is not dict:
            raise ValueError(f"endpoints[{i}].conditions is {kind_of(cond)}, not a mapping")
        if cond and cond.get("ready") is False:
            not_ready += ips
            if cond.get("serving") is True and cond.get("terminating") is True:
                terminating += ips
    ports = []
    for i, p in enumerate(_list(obj.get("ports"), "ports")):
        if p is None:
            p = {}  # Go decodes a null item to the zero EndpointPort: every port, over TCP
        if type(p) is not dict:
            raise ValueError(f"ports[{i}] is {kind_of(p)}, not a mapping")
        proto = p.get("protocol") or "TCP"
        if proto not in PROTOCOLS:
            raise ValueError(f"ports[{i}].protocol {as_written(proto)} is invalid")
        port = p.get("port")
        if port is not None and (type(port) is not int or not 1 <= port <= 65535):
            raise ValueError(f"ports[{i}].port {as_written(port)} is not a port number")
        ports.append((proto, port))
    return EndpointSlice(m.get("namespace") or "default", m["name"], service, tuple(addresses), tuple(ports),
                         tuple(not_ready), tuple(terminating))


def _list(value: Any, what: str) -> list[Any]:
    """``value`` as a list (None: empty); a ValueError naming ``what`` for anything else."""
    if value is None:
        return []
    if type(value) is not list:
        raise ValueError(f"{what} is {kind_of(value)}, not a list")
    return value


def parse_service_account(obj: Mapping[str, Any]) -> ServiceAccount:
    m = _meta(obj)
    return ServiceAccount(m.get("namespace") or "default", m["name"], _labels(m.get("labels")))


def parse_node(obj: Mapping[str, Any]) -> Node:
    m = _meta(obj)
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    def ips(kind: str) -> tuple[str, ...]:
        return tuple(
            _ip(a["address"], "status.addresses[].address")
            for a in status.get("addresses") or ()
            if a is not None and a.get("type") == kind and a.get("address")  # null: the empty address
        )

    cidrs = tuple(spec.get("podCIDRs") or ((spec["podCIDR"],) if spec.get("podCIDR") else ()))
    return Node(m["name"], _labels(m.get("labels")), ips("InternalIP"), cidrs, ips("ExternalIP"))


#: Parsed containers of pod specs, by what they were parsed from (see :func:`pod_spec_parts`).
ContainerCache = dict[tuple[Any, ...], tuple[Container, ...]]


def _opt_str(value: Any, what: str) -> str | None:
    """``value`` if it is a string or None; a ValueError naming ``what`` otherwise (the API
    stores a string, so anything else is a hand-made or tampered object)."""
    if value is None or type(value) is str:
        return value
    raise ValueError(f"{what} is {kind_of(value)} ({as_written(value)}), not a string")


def _opt_bool(value: Any, what: str) -> bool:
    """``value`` if it is a boolean, False for None; a ValueError naming ``what`` otherwise.

    The API server refuses ``"false"`` for a boolean field; read by truthiness, it would be true.
    """
    if value is None or type(value) is bool:
        return bool(value)
    raise ValueError(f"{what} is {as_written(value)} ({kind_of(value)}), not true or false")


def _port_number(value: Any, what: str, *, zero: bool = False) -> int:
    """``value`` as a port number (1-65535; 0 too with ``zero``); a ValueError naming ``what``
    otherwise.  An integral float (``80.0``) is its integer: kubectl writes it so in JSON."""
    if type(value) is float and value.is_integer():
        value = int(value)
    if type(value) is not int or not (0 if zero else 1) <= value <= 65535:
        lowest = 0 if zero else 1
        raise ValueError(f"{what} is {as_written(value)}, not a port number (an integer {lowest}-65535)")
    return value


def _container_fields(raw: Any, init: bool, where: str, source: str) -> tuple[Any, ...]:
    """The validated fields of a :class:`Container`, ports as tuples of ContainerPort fields."""
    # A well-formed container (nearly all of them) is read by one pass of type tests, with
    # no message formatted; anything else is read again by the checks that name its problem.
    if type(raw) is dict:
        name = raw.get("name", "")
        image = raw.get("image", "")
        sc = raw.get("securityContext")
        privileged = sc.get("privileged") if type(sc) is dict else None
        raw_ports = raw.get("ports")
        if (
            type(name) is str
            and type(image) is str
            and (sc is None or type(sc) is dict)
            and (privileged is None or type(privileged) is bool)
            and (raw_ports is None or type(raw_ports) is list)
        ):
            ports = []
            for p in raw_ports or ():
                if type(p) is not dict:
                    break
                cport = p.get("containerPort")
                proto = p.get("protocol") or "TCP"
                hp = p.get("hostPort")
                pname = p.get("name") or None
                if not (
                    type(cport) is int
                    and 1 <= cport <= 65535
                    and type(proto) is str
                    and proto in PROTOCOLS
                    and (hp is None or (type(hp) is int and 0 <= hp <= 65535))
                    and (pname is None or type(pname) is str)
                ):
                    break
                ports.append((cport, proto, pname, hp or None))
            else:
                return name, image, tuple(ports), privileged is True, init
    return _container_fields_checked(raw, init, where, source)


def _container_fields_checked(raw: Any, init: bool, where: str, source: str) -> tuple[Any, ...]:
    """:func:`_container_fields` with every check named: the error for a malformed container."""
    if type(raw) is not dict:
        kind = "initContainers" if init else "containers"
        raise ValueError(f"an entry of spec.{kind} is {kind_of(raw)}, not a mapping")
    name = raw.get("name")
    name = "" if name is None else name
    ports = []
    at_container = f"container {as_written(name)}"
    for i, p in enumerate(_list(raw.get("ports"), f"{at_container} ports")):
        at = f"{at_container} ports[{i}]"
        if type(p) is not dict:
            raise ValueError(f"{at} is {kind_of(p)}, not a mapping")
        if p.get("containerPort") is None:
            raise ValueError(f"{at} has no containerPort")
        cport = _port_number(p["containerPort"], f"{at}.containerPort")
        proto = p.get("protocol") or "TCP"
        if proto not in PROTOCOLS:
            raise PolicyError(f"container port protocol {as_written(proto)} is invalid",
                              source=source, obj=where)
        # 0 (the default) and absent both mean no host port.
        hp = _port_number(p["hostPort"], f"{at}.hostPort", zero=True) if p.get("hostPort") is not None else 0
        pname = p.get("name") or None
        if pname is not None and type(pname) is not str:
            # Named ports are matched by text; unquoted YAML (`name: 8080`) is no IANA name either.
            raise ValueError(f"container port name {as_written(pname)} is not a string")
        ports.append((cport, proto, pname, hp or None))
    sc = raw.get("securityContext")
    if sc is not None and type(sc) is not dict:
        raise ValueError(f"{at_container} securityContext is {kind_of(sc)}, not a mapping")
    image = raw.get("image")
    image = "" if image is None else image
    return (
        name if type(name) is str else str(name),
        image if type(image) is str else str(image),
        tuple(ports),
        _opt_bool(sc.get("privileged"), f"{at_container} securityContext.privileged") if sc else False,
        init,
    )


def _make_container(fields: tuple[Any, ...]) -> Container:
    name, image, ports, privileged, init = fields
    return Container(name, image, tuple([ContainerPort(*p) for p in ports]), privileged, init)


def _container(raw: Mapping[str, Any], init: bool, where: str, source: str) -> Container:
    return _make_container(_container_fields(raw, init, where, source))


def pod_spec_parts(
    spec: Mapping[str, Any], where: str, source: str, cache: ContainerCache | None = None
) -> tuple[tuple[Container, ...], bool, str | None]:
    """``(containers, hostNetwork, service account)`` of a pod spec.

    With ``cache``, pods whose containers parse to the same fields share one tuple of
    containers: the replicas of a workload repeat the same spec, and the values are frozen.
    """
    raw = spec.get("containers")
    fields = [_container_fields(c, False, where, source) for c in raw] if raw else []
    raw = spec.get("initContainers")
    if raw:
        fields += [_container_fields(c, True, where, source) for c in raw]
    key = tuple(fields)
    containers = None
    if cache is not None:
        try:
            containers = cache.get(key)
        except TypeError:  # an unhashable value where the API has a string: parse on its own
            cache = None
    if containers is None:
        containers = tuple([_make_container(f) for f in key])
        if cache is not None:
            cache[key] = containers
    sa = (_opt_str(spec.get("serviceAccountName"), "spec.serviceAccountName")
          or _opt_str(spec.get("serviceAccount"), "spec.serviceAccount"))
    return containers, _opt_bool(spec.get("hostNetwork"), "spec.hostNetwork"), sa


def parse_pod(
    obj: Mapping[str, Any],
    workload_kind: str,
    workload: str,
    source: str = "",
    containers_cache: ContainerCache | None = None,
) -> Pod:
    m = _meta(obj)
    ns, name = m.get("namespace") or "default", m["name"]
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    containers, host_network, sa = pod_spec_parts(spec, f"Pod/{ns}/{name}", source, containers_cache)
    raw_ips = status.get("podIPs")
    ips = tuple([_ip(p["ip"], "status.podIPs[].ip") for p in raw_ips if p.get("ip")]) if raw_ips else ()
    if not ips and status.get("podIP"):
        ips = (_ip(status["podIP"], "status.podIP"),)
    host_ip = status.get("hostIP") or None
    if host_ip is not None:
        _ip(host_ip, "status.hostIP")
    # Positional, in the order of Pod's fields: a keyword call costs more per pod.
    return Pod(
        ns, name, _labels(m.get("labels")), workload_kind, workload,
        _opt_str(spec.get("nodeName"), "spec.nodeName"), ips, host_ip, host_network, containers, sa,
        _opt_str(status.get("phase"), "status.phase"), False, m.get("uid") or "",
    )


def parse_service(obj: Mapping[str, Any]) -> Service:
    m = _meta(obj)
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    ports = []
    for i, p in enumerate(spec.get("ports") or ()):
        tp = p.get("targetPort")
        proto = p.get("protocol") or "TCP"
        if proto not in PROTOCOLS:
            # As a container port's: stored unchecked, it matched no policy port and no flow.
            raise ValueError(f"spec.ports[{i}].protocol is {as_written(proto)}, not TCP, UDP or SCTP")
        at = f"spec.ports[{i}]"
        if p.get("port") is None:
            raise ValueError(f"{at}.port is missing or null")  # the API requires it
        if tp is not None and type(tp) is not str:
            # IntOrString: a number is a port on the pods; int() would read 80.5, true or "80".
            tp = _port_number(tp, f"{at}.targetPort")
        pname = p.get("name") or None
        if pname is not None and type(pname) is not str:
            raise ValueError(f"{at}.name is {as_written(pname)}, not a string")
        np = p.get("nodePort")
        ports.append(
            ServicePort(
                _port_number(p["port"], f"{at}.port"),
                proto,
                pname,
                tp,
                None if np is None else _port_number(np, f"{at}.nodePort", zero=True) or None,
            )
        )
    cips = tuple(spec.get("clusterIPs") or ((spec["clusterIP"],) if spec.get("clusterIP") else ()))
    lb = tuple(
        [
            i.get("ip") or i.get("hostname")
            for i in (status.get("loadBalancer") or {}).get("ingress") or ()
            if i is not None and (i.get("ip") or i.get("hostname"))  # null: the empty entry
        ]
    )
    sel = spec.get("selector")
    return Service(
        namespace=m.get("namespace") or "default",
        name=m["name"],
        type=spec.get("type") or "ClusterIP",
        selector=_labels(sel) if isinstance(sel, dict) else None,
        ports=tuple(ports),
        cluster_ips=tuple([_ip(c, "spec.clusterIPs[]") for c in cips if c and c != "None"]),
        external_ips=tuple([_ip(c, "spec.externalIPs[]") for c in spec.get("externalIPs") or ()]),
        load_balancer_ingress=lb,
        labels=_labels(m.get("labels")),
    )


def parse_ingress(obj: Mapping[str, Any]) -> Ingress:
    m = _meta(obj)
    spec = obj.get("spec") or {}
    backends: set[str] = set()
    hosts: set[str] = set()

    def backend(b: Any) -> None:
        if isinstance(b, dict):
            svc = b.get("service") or {}
            name = svc.get("name") or b.get("serviceName")
            if name:
                backends.add(str(name))

    backend(spec.get("defaultBackend") or spec.get("backend"))
    for rule in spec.get("rules") or ():
        if rule is None:
            continue  # the empty rule: no host, no paths
        if rule.get("host"):
            hosts.add(str(rule["host"]))
        for path in (rule.get("http") or {}).get("paths") or ():
            backend(path.get("backend"))
    cls = spec.get("ingressClassName") or (m.get("annotations") or {}).get(
        "kubernetes.io/ingress.class"
    )
    return Ingress(m.get("namespace") or "default", m["name"], cls, tuple(sorted(hosts)),
                   tuple(sorted(backends)))


def _policy_port(raw: Any, where: str, source: str, obj: str) -> PolicyPort:
    if not isinstance(raw, dict):
        raise PolicyError(f"{where} must be an object", source=source, obj=obj)
    proto = raw.get("protocol")
    if proto is None or proto == "":  # the default ("" as the API's tests read it); 0 or [] is none
        proto = "TCP"
    if not isinstance(proto, str) or proto not in PROTOCOLS:
        raise PolicyError(
            f"{where}: invalid protocol {as_written(proto)} (expected TCP, UDP or SCTP)",
            source=source, obj=obj
        )
    port = raw.get("port")
    end = raw.get("endPort")
    if isinstance(port, bool):
        raise PolicyError(f"{where}: invalid port {as_written(port)}", source=source, obj=obj)
    if isinstance(port, str) and port.isascii() and port.isdigit():
        # The API server never converts: a string is a port name (IsValidPortName wants a
        # letter), so `port: "80"` is rejected there, not read as 80.
        raise PolicyError(
            f"{where}: port {as_written(port)} is a string: the API reads a string as a port name, "
            f"which needs a letter (write {int(port)} without quotes)",
            source=source,
            obj=obj,
        )
    if isinstance(port, int):
        if not 1 <= port <= 65535:
            raise PolicyError(f"{where}: port {port} is out of range 1-65535", source=source, obj=obj)
    elif isinstance(port, str):
        if not valid_port_name(port):
            raise PolicyError(f"{where}: {as_written(port)} is not a valid port name", source=source, obj=obj)
    elif port is not None:
        raise PolicyError(f"{where}: invalid port {as_written(port)}", source=source, obj=obj)
    if end is not None:
        if not isinstance(port, int):
            raise PolicyError(
                f"{where}: endPort needs a numeric port (got {as_written(port)})", source=source, obj=obj
            )
        if isinstance(end, bool) or not isinstance(end, int) or not port <= end <= 65535:
            raise PolicyError(
                f"{where}: endPort {as_written(end)} must be a number from port ({port}) to 65535",
                source=source,
                obj=obj,
            )
    return PolicyPort(proto, port, end)


_Warn = Callable[[LoadWarning], None] | None


def _decimal_octets(addr: str) -> str | None:
    """An IPv4 address written with leading zeros (``010.0.0.1``, also ``0010.0.0.1`` and the
    IPv4 part of ``::ffff:010.0.0.1``) as Kubernetes' legacy ("sloppy") parser reads it: the
    zeros stripped, in decimal; None when it is not that."""
    head, colon, dotted = addr.rpartition(":")
    parts = dotted.split(".")
    if len(parts) != 4 or not all(p.isascii() and p.isdigit() for p in parts):
        return None
    # Strip before int(): a run of thousands of zeros is input too, and int() refuses long digits.
    values = [p.lstrip("0") or "0" for p in parts]
    if values == parts or any(len(v) > 3 or int(v) > 255 for v in values):
        return None
    return head + colon + ".".join(values)


def _cidr(
    value: Any, what: str, where: str, source: str, obj: str, warn: _Warn = None, *,
    loose: bool = False, sloppy: bool = False,
) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """``value`` as a network, in CIDR notation (address/prefix length) as the API requires.

    Host bits are masked off as Kubernetes does (``10.0.0.1/24`` is all of ``10.0.0.0/24``),
    with a warning, since whoever wrote the address most likely meant less than the block.
    ``sloppy`` (NetworkPolicy, whose validation uses Kubernetes' legacy parser) reads IPv4
    octets and prefix lengths with leading zeros as decimal, and an IPv4-mapped IPv6 CIDR
    (``::ffff:10.0.0.0/104``) as the IPv4 block Go matches with it, each with a warning.
    ``loose`` (AdminNetworkPolicy v1alpha1, whose first CRDs only check the address family)
    reads leading zeros as ``sloppy`` does, and also a bare address as its /32 or /128, and a
    netmask, with a warning: a cluster's own objects must load.  An IPv4-mapped CIDR there is
    refused where written with its IPv4 part (no v1alpha1 CRD stores it), and otherwise stays
    the IPv6 block it parses as, warned of (:func:`_loose_mapped`).  Neither (ClusterNetworkPolicy) is CEL
    ``isCIDR``: Go's ``netip.ParsePrefix`` and no IPv4-mapped address.
    """
    text = value if isinstance(value, str) else ""
    addr, slash, length = text.partition("/")
    notes: list[str] = []
    decimal = _decimal_octets(addr) if (sloppy or loose) else None
    if decimal is not None:
        notes.append(f"has leading zeros, read as decimal ({decimal})")
        addr = decimal
        text = addr + slash + length
    try:
        if not text or (slash and not loose and not (length.isascii() and length.isdigit())):
            raise ValueError  # netmask forms (/255.0.0.0) are not CIDR notation either
        host = ipaddress.ip_address(addr)
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise PolicyError(f"{where}: invalid {what} {as_written(value)}", source=source, obj=obj) from None
    if "%" in addr:
        # Python takes an IPv6 zone; Go's net.ParseCIDR, the legacy parser Kubernetes forked
        # from it and netip.ParsePrefix (CEL isCIDR) all refuse one in a CIDR.
        raise PolicyError(f"{where}: invalid {what} {as_written(value)}: a CIDR has no IPv6 zone (%...)",
                          source=source, obj=obj)
    padded = (bool(slash) and len(length) > 1 and length.startswith("0") and length.isascii()
              and length.isdigit())
    strict = not (sloppy or loose)
    if strict and padded:
        # netip.ParsePrefix has refused leading zeros in the length since Go 1.22
        # (golang/go#63850); upstream Kubernetes lets CRDs use isCIDR from 1.31 (the library
        # came in 1.30: openshift/kubernetes#1828), built with Go 1.22 or later.
        raise PolicyError(
            f"{where}: {what} {as_written(value)} has a prefix length with leading zeros, which the API's "
            f"CIDR validation (CEL isCIDR) refuses (write {addr}/{net.prefixlen})",
            source=source,
            obj=obj,
        )
    mapped = host.ipv4_mapped if isinstance(host, ipaddress.IPv6Address) else None
    if strict and mapped is not None:
        # isCIDR's parseCIDR refuses Is4In6 outright (k8s.io/apiserver/pkg/cel/library/cidr.go).
        instead = f" (write {mapped}/{net.prefixlen - 96})" if net.prefixlen >= 96 else ""
        raise PolicyError(
            f"{where}: {what} {as_written(value)} is an IPv4-mapped IPv6 address, which the API's CIDR "
            f"validation (CEL isCIDR) refuses{instead}",
            source=source,
            obj=obj,
        )
    if loose and mapped is not None:
        notes.append(_loose_mapped(value, addr, net, mapped, what, where, source, obj))
    if not slash:
        if not loose:
            # Go's ParseCIDR (and the CEL isCIDR) refuse a bare address: it is not read as /32.
            raise PolicyError(
                f"{where}: {what} {as_written(text)} has no prefix length; the API needs CIDR notation "
                f"(write {net} for the one address)",
                source=source,
                obj=obj,
            )
        notes.append(f"has no prefix length, read as {net}")
    elif not (length.isascii() and length.isdigit()):
        notes.append(f"has a netmask, not a prefix length, read as {net}")
    if padded:
        # Kubernetes' legacy parser and Go's net.ParseCIDR (which v1alpha1 asks implementations
        # to use) read the length's digits as decimal, zeros and all.
        notes.append(f"has a prefix length with leading zeros, read as decimal (/{net.prefixlen})")
    if sloppy and mapped is not None:
        # ::ffff:a.b.c.d/n: Kubernetes' parser (Go's net) keeps it as an IPv6 network, but its
        # Contains matches IPv4 addresses against the last 32 bits where n >= 96 (the ffff
        # survives the mask), so that is the block it stands for there; Python's network
        # would match no IPv4 address.  Strict IP validation (1.33+) refuses it in new objects.
        if net.prefixlen >= 96:
            host, net = mapped, ipaddress.ip_network((mapped, net.prefixlen - 96), strict=False)
            notes.append(f"is an IPv4-mapped IPv6 CIDR, read as the IPv4 block {net}, "
                         "as Kubernetes' parser (Go's net.IPNet) matches addresses")
        else:
            notes.append(f"is an IPv4-mapped IPv6 address with a prefix under /96, read as the IPv6 "
                         f"block {net}, which holds no IPv4 address")
    if host != net.network_address:
        # Even where validation now refuses them (ClusterNetworkPolicy v1beta1), objects stored
        # through an older version keep them: masked, as Kubernetes does.
        notes.append(f"has host bits set; Kubernetes masks them, so the block is widened to {net} (not just "
                     f"{host})")
    if notes and warn is not None:
        code = ("cidr-host-bits" if len(notes) == 1 and notes[0].startswith("has host bits")
                else "cidr-notation")
        warn(LoadWarning(code, f"{where}: {what} {as_written(value)} " + "; ".join(notes), source, obj))
    return net


def _loose_mapped(value: Any, addr: str, net: ipaddress.IPv4Network | ipaddress.IPv6Network,
                  mapped: ipaddress.IPv4Address, what: str, where: str, source: str, obj: str) -> str:
    """An IPv4-mapped IPv6 CIDR in an AdminNetworkPolicy v1alpha1 peer: an error where no
    v1alpha1 CRD stores it, else the note of the warning that it matches no IPv4 peer.

    The first v1alpha1 CRDs held a CIDR to ``self.contains(':') != self.contains('.')``
    ("IPv4 address embedded in IPv6 addresses are not supported"), later ones to CEL
    ``isCIDR``, which refuses every IPv4-mapped address.  So one written with its IPv4 part
    (``::ffff:10.0.0.0/104``) was never stored; one written in hex (``::ffff:a00:0/104``) got
    past the first CRDs, and a server keeps it.
    """
    if "." in addr:
        instead = f" (write {mapped}/{net.prefixlen - 96})" if net.prefixlen >= 96 else ""
        raise PolicyError(
            f"{where}: {what} {as_written(value)} is an IPv4-mapped IPv6 address, which "
            "AdminNetworkPolicy v1alpha1's "
            f"CIDR validation refuses (its first CRDs let a CIDR hold ':' or '.', not both; later ones, CEL "
            f"isCIDR, refuse IPv4-mapped addresses){instead}",
            source=source,
            obj=obj,
        )
    # As the IPv6 block it is, it holds no IPv4 address.  Implementations that match with Go's
    # net.IPNet would see the IPv4 block in its last 32 bits instead: say so, since the two
    # readings differ for every IPv4 peer.
    ipv4 = f"the IPv4 block {ipaddress.ip_network((mapped, net.prefixlen - 96), strict=False)}" \
        if net.prefixlen >= 96 else "no IPv4 address either"
    return ("is an IPv4-mapped IPv6 address, which only the first AdminNetworkPolicy v1alpha1 CRDs let "
            f"through (CEL isCIDR, in later ones, refuses it); read as the IPv6 block {net}, which matches "
            "no "
            f"IPv4 peer (an implementation matching it with Go's net.IPNet would take it as {ipv4})")


def _list_or_none(value: Any, field: str, source: str, obj: str) -> list[Any] | None:
    """``value`` if it is a list or None; else an error naming ``field`` (iterated as it is, a
    string would be judged letter by letter)."""
    if value is not None and type(value) is not list:
        raise PolicyError(f"{field} must be a list (got {kind_of(value)}: {as_written(value)})",
                          source=source, obj=obj)
    return value


def _ip_block(raw: Any, where: str, source: str, obj: str, warn: _Warn = None) -> IPBlock:
    if not isinstance(raw, dict) or not raw.get("cidr"):
        raise PolicyError(f"{where}: ipBlock needs a cidr", source=source, obj=obj)
    net = _cidr(raw["cidr"], "CIDR", f"{where}.ipBlock.cidr", source, obj, warn, sloppy=True)
    raw_except = _list_or_none(raw.get("except"), f"{where}.ipBlock.except", source, obj)
    excepts = []
    for i, e in enumerate(raw_except or ()):
        at = f"{where}.ipBlock.except[{i}]"
        en = _cidr(e, "except CIDR", at, source, obj, warn, sloppy=True)
        # ValidateIPBlock's test, on what ParseCIDRSloppy returns: the cidr's IPNet.Contains
        # the except's address (Go matches an IPv4 address inside a mapped network, as read
        # here), and the cidr's mask is shorter than the except's, both sized as written (an
        # IPv4-mapped /104 is 104 bits, not the /8 it matches).
        inside = en.network_address in net
        if not inside or _written_length(raw["cidr"]) >= _written_length(e):
            why = ""
            if inside and en.subnet_of(net) and en != net:  # type: ignore[arg-type]
                why = (" (Kubernetes compares the prefix lengths as written: "
                       f"/{_written_length(raw['cidr'])} "
                       f"is not shorter than /{_written_length(e)}, whatever block each is read as)")
            raise PolicyError(
                f"{where}: except {as_written(e)} must be a strict subset of cidr "
                f"{as_written(raw['cidr'])}{why}",
                source=source,
                obj=obj,
            )
        if net.subnet_of(en) and warn is not None:  # type: ignore[arg-type]
            warn(LoadWarning(
                "ipblock-except-covers-cidr",
                f"{at}: except {as_written(e)}, read as {en}, holds all of cidr {as_written(raw['cidr'])} "
                f"({net}); the API "
                "accepts it, comparing the prefix lengths as written, and the block matches no address",
                source, obj))
        excepts.append(str(en))
    return IPBlock(str(net), tuple(excepts))


def _written_length(cidr: str) -> int:
    """The prefix length of a CIDR :func:`_cidr` accepted, as written (not as it is read)."""
    return int(cidr.rpartition("/")[2].lstrip("0") or "0")


def _peer(raw: Any, where: str, source: str, obj: str, warn: _Warn = None) -> Peer:
    if not isinstance(raw, dict):
        raise PolicyError(f"{where} must be an object", source=source, obj=obj)
    # A field given as null (`namespaceSelector:` with nothing after it, as an empty Helm value
    # renders) decodes to no field at all in the API server: it does not widen a podSelector
    # peer to every namespace, nor clash with a selector as an ipBlock would.
    has_ps, has_ns, has_ip = (raw.get(k) is not None for k in ("podSelector", "namespaceSelector", "ipBlock"))
    if has_ip and (has_ps or has_ns):
        raise PolicyError(
            f"{where}: ipBlock cannot be combined with podSelector or namespaceSelector",
            source=source,
            obj=obj,
        )
    if not (has_ps or has_ns or has_ip):
        raise PolicyError(
            f"{where}: a peer needs podSelector, namespaceSelector or ipBlock", source=source, obj=obj
        )
    peer = Peer(
        LabelSelector.parse(raw["podSelector"], f"{where}.podSelector", source=source, obj=obj)
        if has_ps
        else None,
        LabelSelector.parse(
            raw["namespaceSelector"], f"{where}.namespaceSelector", source=source, obj=obj
        )
        if has_ns
        else None,
        _ip_block(raw["ipBlock"], where, source, obj, warn) if has_ip else None,
    )
    if warn:
        for name in ("podSelector", "namespaceSelector"):
            _warn_selector(raw.get(name), f"{where}.{name}", source, obj, warn)
    return peer


def _warn_selector(raw: Any, where: str, source: str, obj: str, warn: Callable[[LoadWarning], None]) -> None:
    for problem, effect in selector_problems(raw, where):
        because = f", and no valid label has it, so {effect}" if effect else ""
        warn(LoadWarning("invalid-selector-label", f"{problem}: the API server would reject it "
                         f"(tampered input?){because}; kept as written", source, obj))


def _rules(
    raw: Any, key: str, peer_key: str, source: str, obj: str, warn: _Warn = None
) -> tuple[PolicyRule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise PolicyError(f"spec.{key} must be a list", source=source, obj=obj)
    rules = []
    for i, r in enumerate(raw):
        where = f"spec.{key}[{i}]"
        if r is None:
            r = {}
        if not isinstance(r, dict):
            raise PolicyError(f"{where} must be an object", source=source, obj=obj)
        peers_raw, ports_raw = r.get(peer_key), r.get("ports")
        for name, val in ((peer_key, peers_raw), ("ports", ports_raw)):
            if val is not None and not isinstance(val, list):
                raise PolicyError(f"{where}.{name} must be a list", source=source, obj=obj)
        peers = (
            None
            if peers_raw is None
            else tuple(_peer(p, f"{where}.{peer_key}[{j}]", source, obj, warn)
                       for j, p in enumerate(peers_raw))
        )
        ports = (
            None
            if ports_raw is None
            else tuple(
                _policy_port(p, f"{where}.ports[{j}]", source, obj) for j, p in enumerate(ports_raw)
            )
        )
        rules.append(PolicyRule(peers, ports))
    return tuple(rules)


# What each policy kind's spec holds, as data: a dict maps field names to their schema, a
# one-item list is a list of that schema, None is a leaf or a free map, ``_LABELS`` a map of
# label values, and an :class:`Either` picks one of two shapes by the value it meets.  Fields
# the API does not have are read as an API server that accepts the object stores them:
# dropped (see :func:`known_fields`).  So are fields given as null: Go's JSON decoding stores
# the zero value (nil, "", an empty struct) for a null, so a built-in type cannot tell it from
# an absent field, and the apiextensions server prunes a null from a custom resource wherever
# the CRD's schema does not mark the field ``nullable`` and gives it no default
# (PruneNonNullableNullsWithoutDefaults; a defaulted field then gets its default, as it would
# when absent).  No field of the NetworkPolicy, admin, Calico or Cilium schemas read here is
# nullable.  The two differ inside lists and label maps, see :func:`_walk`.


@dataclass(frozen=True, slots=True)
class Either:
    """A schema node of two shapes: ``then`` where ``when(value)`` holds, else ``otherwise``
    (the two revisions of a type that share an API version)."""

    when: Callable[[Any], bool]
    then: Any
    otherwise: Any


class _LabelMap:
    """The schema of a label map (``matchLabels``): a leaf, whose entries given as null a CRD
    prunes (its schema types the values, ``additionalProperties: {type: string}``)."""

    def __repr__(self) -> str:
        return "_LABELS"


_LABELS = _LabelMap()
_SELECTOR: dict[str, Any] = {
    "matchLabels": _LABELS, "matchExpressions": [{"key": None, "operator": None, "values": None}],
}
_NP_PEER: dict[str, Any] = {"podSelector": _SELECTOR, "namespaceSelector": _SELECTOR,
                            "ipBlock": {"cidr": None, "except": None}}
_NP_PORT: dict[str, Any] = {"protocol": None, "port": None, "endPort": None}
_NP_SPEC: dict[str, Any] = {
    "podSelector": _SELECTOR,
    "policyTypes": None,
    "ingress": [{"from": [_NP_PEER], "ports": [_NP_PORT]}],
    "egress": [{"to": [_NP_PEER], "ports": [_NP_PORT]}],
}
#: At most this many unknown fields are named per object (a mangled object would list them all).
_MAX_UNKNOWN = 10


def _shape(raw: Any, schema: Any) -> Any:
    """The schema ``raw`` has: an :class:`Either` decided on ``raw`` without its null fields
    (which the server drops before anything reads the object)."""
    while isinstance(schema, Either):
        schema = schema.then if schema.when(_without_nulls(raw)) else schema.otherwise
    return schema


def _without_nulls(raw: Any) -> Any:
    """``raw`` without its fields given as null, where it is a mapping."""
    return {k: v for k, v in raw.items() if v is not None} if isinstance(raw, dict) else raw


def _walk(
    raw: Any, schema: Any, where: str, found: list[str], builtin: bool = False, keep_unknown: bool = False,
    meant: dict[str, str] | None = None,
) -> Any:
    """``raw`` as the API server stores it (``raw`` itself where that changes nothing): without
    the fields ``schema`` does not know, appending the path of each to ``found``, and without
    the known fields given as null.  With ``keep_unknown`` the fields ``schema`` does not know
    stay, as written (but for a null one, which no server stores).  ``meant``, if given, gets
    for each path of ``found`` spelt nearly as a field ``schema`` has there the path of that
    field (``spec.podSelectr`` -> ``spec.podSelector``).

    ``builtin`` (a type of Kubernetes itself, decoded by Go's encoding/json): a null item of
    a list of objects is the empty object (``ports: [null]`` is every port over TCP), and a
    null label value is "" (:func:`_yaml_scalar_str`).  In a custom resource a null item
    stays, and the schema's validation refuses it, while a null label value is pruned.
    """
    schema = _shape(raw, schema)
    if isinstance(schema, list) and isinstance(raw, list):
        empty = builtin and isinstance(schema[0], dict)
        items = [_walk({} if item is None and empty else item, schema[0], f"{where}[{i}]", found, builtin,
                       keep_unknown, meant)
                 for i, item in enumerate(raw)]
        return raw if all(a is b for a, b in zip(items, raw, strict=True)) else items
    if schema is _LABELS and isinstance(raw, dict) and not builtin:
        return raw if None not in raw.values() else {k: v for k, v in raw.items() if v is not None}
    if isinstance(schema, dict) and isinstance(raw, dict):
        kept: dict[Any, Any] = {}
        for k, v in raw.items():
            at = f"{where}.{k}" if where else str(k)
            if k not in schema:
                found.append(at)
                if meant is not None and isinstance(k, str):
                    near = _near_field(k, schema)
                    if near is not None:
                        meant[at] = f"{where}.{near}" if where else near
                if keep_unknown and v is not None:
                    kept[k] = v
            elif v is not None:
                kept[k] = _walk(v, schema[k], at, found, builtin, keep_unknown, meant)
        same = len(kept) == len(raw) and all(kept[k] is raw[k] for k in kept)
        return raw if same else kept
    return raw


def _near_field(key: str, schema: Mapping[Any, Any]) -> str | None:
    """The field of ``schema`` spelt nearly as ``key`` (``podSelectr``, ``form``, ``ipblock``),
    or None."""
    import difflib

    fields = {f.lower(): f for f in schema if isinstance(f, str)}
    hits = difflib.get_close_matches(key.lower(), list(fields), 1, 0.75)
    return fields[hits[0]] if hits else None


def as_stored(raw: Any, schema: Any, *, builtin: bool = False) -> Any:
    """``raw`` without what an API server does not store, for comparing two versions of one
    object: its fields given as null (see :func:`_walk`), which read as absent ones.

    The fields ``schema`` does not know are kept, as written: a server drops them (and the
    loader warns of them), but a document that has them differs from one that has not, and
    whoever compares two versions should see that it does.
    """
    return _walk(raw, schema, "", [], builtin, keep_unknown=True)


def network_policy_as_stored(spec: Any) -> Any:
    """A NetworkPolicy ``spec`` as the API server stores and serves it (networking/v1
    ``types.go`` and ``defaults.go``), so that two ways of writing one policy compare equal.

    Its fields given as null are dropped (:func:`as_stored`: a null rule or port is the empty
    one, a null label value "").  The lists, and ``matchLabels``, are ``omitempty``: an empty
    one is served as an absent one, and the API gives both one meaning (no rule; every port;
    every peer; no exception).  Defaults are filled in: ``podSelector`` ``{}``, a port's
    ``protocol`` TCP, and an empty ``policyTypes`` Ingress, with Egress when there are egress
    rules.  A peer's selector given as ``{}`` stays: it selects every pod (or namespace),
    where an absent one selects none.
    """
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        return spec
    out = dict(as_stored(spec, _NP_SPEC, builtin=True))
    out["podSelector"] = _selector_as_stored(out.get("podSelector", {}))
    for key, peers in (("ingress", "from"), ("egress", "to")):
        rules = out.pop(key, None)
        if rules:
            out[key] = [_np_rule_as_stored(r, peers) for r in rules] if isinstance(rules, list) else rules
    if not out.get("policyTypes"):
        out["policyTypes"] = ["Ingress", *(["Egress"] if out.get("egress") else [])]
    return out


def _np_rule_as_stored(rule: Any, peers_key: str) -> Any:
    if not isinstance(rule, dict):
        return rule
    out = {k: v for k, v in rule.items() if not (k in ("ports", peers_key) and v == [])}
    if isinstance(out.get("ports"), list):
        out["ports"] = [{"protocol": "TCP", **p} if isinstance(p, dict) else p for p in out["ports"]]
    if isinstance(out.get(peers_key), list):
        out[peers_key] = [_np_peer_as_stored(p) for p in out[peers_key]]
    return out


def _np_peer_as_stored(peer: Any) -> Any:
    if not isinstance(peer, dict):
        return peer
    out = {k: _selector_as_stored(v) if k in ("podSelector", "namespaceSelector") else v
           for k, v in peer.items()}
    block = out.get("ipBlock")
    if isinstance(block, dict) and block.get("except") == []:
        out["ipBlock"] = {k: v for k, v in block.items() if k != "except"}
    return out


def _selector_as_stored(sel: Any) -> Any:
    """A label selector of a built-in type as stored: empty ``matchLabels``, ``matchExpressions``
    and ``values`` left out (``omitempty``), a null label value or value item ""."""
    if not isinstance(sel, dict):
        return sel
    out = dict(sel)
    labels = out.pop("matchLabels", None)
    if isinstance(labels, dict) and labels:
        out["matchLabels"] = {k: "" if v is None else v for k, v in labels.items()}
    elif labels:
        out["matchLabels"] = labels
    terms = out.pop("matchExpressions", None)
    if isinstance(terms, list) and terms:
        out["matchExpressions"] = [_term_as_stored(t) for t in terms]
    elif terms:
        out["matchExpressions"] = terms
    return out


def _term_as_stored(term: Any) -> Any:
    if not isinstance(term, dict):
        return term
    out = {k: v for k, v in term.items() if not (k == "values" and v == [])}
    if isinstance(out.get("values"), list):
        out["values"] = ["" if v is None else v for v in out["values"]]
    return out


_ABSENT = object()


def _clean(raw: Any, schema: Any, builtin: bool = False) -> bool:
    """Whether :func:`_walk` would keep ``raw`` as it is (only fields ``schema`` knows, none
    of them null), without building a path per field: nearly every object is so."""
    schema = _shape(raw, schema)
    if isinstance(schema, list):
        if not isinstance(raw, list):
            return True
        empty = builtin and isinstance(schema[0], dict)
        return all(not (item is None and empty) and _clean(item, schema[0], builtin) for item in raw)
    if schema is _LABELS:
        return builtin or not isinstance(raw, dict) or None not in raw.values()
    if isinstance(schema, dict) and isinstance(raw, dict):
        for k, v in raw.items():
            sub = schema.get(k, _ABSENT)
            if sub is _ABSENT or v is None or (sub is not None and not _clean(v, sub, builtin)):
                return False
    return True


def unknown_fields(raw: Any, schema: Any, where: str) -> list[str]:
    """Paths of the fields in ``raw`` that ``schema`` (see ``_NP_SPEC``) does not know."""
    found: list[str] = []
    _walk(raw, schema, where, found)
    return found


def known_fields(
    raw: Any, schema: Any, where: str, kind: str, source: str, ref: str, warn: _Warn, *, builtin: bool = False
) -> tuple[Any, list[str]]:
    """``raw`` as an API server that accepts it stores it: without the fields of ``schema``'s
    kind (``kind``, as the warning names it) that it does not have, and those fields' paths;
    without the fields given as null either (``builtin``: a type of Kubernetes itself, see
    :func:`_walk`).

    A typo (``ingres:``, ``matchLabel:``) is no field of the API: kubectl refuses the object
    under strict field validation, and an API server that accepts it (a client that does not
    ask for strict validation; a CRD prunes them) drops the field, so the policy is read as
    stored without it.  That can widen a selector to every pod or turn an allow into a deny,
    hence one ``unknown-field`` warning per object, naming at most ten paths.
    """
    if _clean(raw, schema, builtin):
        return raw, []
    found: list[str] = []
    meant: dict[str, str] = {}
    kept = _walk(raw, schema, where, found, builtin, meant=meant)
    if found and warn is not None:
        # the fields a typo likely meant, named: "(a typo?)" left the reader to find them
        near = [meant[p] for p in found[:_MAX_UNKNOWN] if p in meant]
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        warn(LoadWarning("unknown-field", f"{_listed(found)}: not a field of {kind} "
                         "(a typo?); read without it, as an API server that accepts the object stores it "
                         f"(kubectl's strict validation refuses it){hint}", source, ref))
    return kept, found


def _listed(paths: list[str]) -> str:
    """The first ten of ``paths``, joined (``, ...`` after them when there are more)."""
    more = ", ..." if len(paths) > _MAX_UNKNOWN else ""
    return f"{', '.join(paths[:_MAX_UNKNOWN])}{more}"


@contextmanager
def dropped_fields_named(found: list[str], kind: str) -> Iterator[None]:
    """Add to a :class:`PolicyError` raised inside what fields ``known_fields`` dropped beside
    the place it names: a required field misspelt is then missing, and the error says why.

    Only the fields whose object the message names (``spec.ingress[0].icmp`` for a dropped
    ``spec.ingress[0].icmp.typ``) are added: a field dropped elsewhere in the object did not
    cause the error, and naming it would send the reader to the wrong place.
    """
    try:
        yield
    except PolicyError as e:
        near = [p for p in found if p.rpartition(".")[0] in e.message]
        if not near:
            raise
        message = f"{e.message} (read without {_listed(near)}, not a field of {kind})"
        raise PolicyError(message, source=e.source, obj=e.obj) from None


def parse_network_policy(
    obj: Mapping[str, Any], source: str = "", warn: Callable[[LoadWarning], None] | None = None
) -> NetworkPolicy:
    m = _meta(obj)
    ns, name = m.get("namespace") or "default", m["name"]
    ref = f"NetworkPolicy/{ns}/{name}"
    spec = obj.get("spec")
    if spec is None:
        # The API validates no field of the spec as required: a policy without one (or with
        # `spec:` null) is stored with the empty spec, which isolates every pod of the
        # namespace for ingress and allows nothing.
        spec = {}
    if not isinstance(spec, dict):
        raise PolicyError(f"spec must be an object (got {kind_of(spec, 'an object')}: {as_written(spec)})",
                          source=source, obj=ref)
    spec, dropped = known_fields(spec, _NP_SPEC, "spec", "NetworkPolicy", source, ref, warn, builtin=True)
    with dropped_fields_named(dropped, "NetworkPolicy"):
        return _network_policy(spec, ns, name, source, ref, warn)


def _network_policy(
    spec: dict[str, Any], ns: str, name: str, source: str, ref: str, warn: _Warn
) -> NetworkPolicy:
    if "podSelector" not in spec and warn:
        warn(LoadWarning("policy-no-podselector",
                         "spec.podSelector is missing or null; read as {} (all pods of the namespace)",
                         source, ref))
    selector = LabelSelector.parse(spec.get("podSelector"), "spec.podSelector", source=source, obj=ref)
    if warn:
        _warn_selector(spec.get("podSelector"), "spec.podSelector", source, ref, warn)
    ingress = _rules(spec.get("ingress"), "ingress", "from", source, ref, warn)
    egress = _rules(spec.get("egress"), "egress", "to", source, ref, warn)
    raw_types = _list_or_none(spec.get("policyTypes"), "spec.policyTypes", source, ref)
    if raw_types:
        bad = [t for t in raw_types if t not in ("Ingress", "Egress")]
        if bad:
            shown = ", ".join(as_written(t) for t in bad)
            raise PolicyError(f"spec.policyTypes: invalid {'value' if len(bad) == 1 else 'values'} {shown} "
                              "(expected Ingress, Egress)", source=source, obj=ref)
        types = tuple(t for t in ("Ingress", "Egress") if t in raw_types)
        implied = False
    else:
        # API defaulting: Ingress always; Egress iff the policy has egress rules.
        types = ("Ingress", "Egress") if egress else ("Ingress",)
        implied = True
    return NetworkPolicy(ns, name, selector, types, ingress, egress, implied)


# --------------------------------------------------------------------------------------------
# AdminNetworkPolicy / BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1)

ADMIN_ACTIONS = ("Allow", "Deny", "Pass")


@dataclass(frozen=True, slots=True)
class AdminPeer:
    """One ``from``/``to`` entry of an admin rule; exactly one field is set.

    ``pods`` pairs a namespace selector with a pod selector (AND); ``namespaces`` selects every
    pod of the matching namespaces; ``networks`` (egress) match any address in the CIDRs, pod
    addresses included; ``nodes`` (egress) the addresses of the matching nodes.  ``unknown``
    describes a peer k8sviz cannot evaluate (the API says: fail closed): one with no field this
    version knows (naming the fields it had, which the server drops), or an early-v1alpha1 peer
    whose namespaces are chosen relative to the subject's (``related``, ``sameLabels``,
    ``notSameLabels``), by its path.
    """

    namespaces: LabelSelector | None = None
    pods: tuple[LabelSelector, LabelSelector] | None = None
    networks: tuple[IPBlock, ...] = ()
    nodes: LabelSelector | None = None
    domain_names: tuple[str, ...] = ()
    unknown: str = ""

    def __str__(self) -> str:
        if self.namespaces is not None:
            return f"every pod in {_selected(self.namespaces, 'namespaces', 'every namespace')}"
        if self.pods is not None:
            pods, ns = _selected(self.pods[1], "pods", "every pod"), _selected(
                self.pods[0], "namespaces", "every namespace")
            return f"{pods} in {ns}"
        if self.networks:
            return "networks " + ", ".join(b.cidr for b in self.networks)
        if self.nodes is not None:
            return f"nodes [{self.nodes}]"
        if self.domain_names:
            return "domainNames " + ", ".join(self.domain_names)
        return f"unknown peer ({self.unknown})"


@dataclass(frozen=True, slots=True)
class AdminRule:
    """``ports`` None: every port.  A named port matches the container port of that name, with
    its own protocol, on the destination pod."""

    name: str
    action: str  # Allow, Deny, Pass
    peers: tuple[AdminPeer, ...]
    ports: tuple[PolicyPort, ...] | None = None

    def text(self, direction: str) -> str:
        """``Deny 'name' from namespaces [...] on TCP/80``: the rule as explanations quote it."""
        ports = "any port" if self.ports is None else "no port" if not self.ports else ", ".join(
            f"{p.port}" if isinstance(p.port, str) else str(p) for p in self.ports
        )
        label = f" {as_written(self.name)}" if self.name else ""
        word = "from" if direction == "ingress" else "to"
        return f"{self.action}{label} {word} {' OR '.join(str(p) for p in self.peers)} on {ports}"

    def __str__(self) -> str:
        return self.text("ingress")


@dataclass(frozen=True, slots=True)
class AdminPolicy:
    """A cluster-scoped policy of the admin or baseline tier: an AdminNetworkPolicy
    (``priority`` 0-1000, lower first), the BaselineAdminNetworkPolicy (``priority`` None), or
    a ClusterNetworkPolicy of either ``tier``.  ``subject`` is ``(namespace selector, pod
    selector)``; a ``namespaces`` subject has an empty pod selector.  Rule actions keep the
    API's words: Allow (ANP/BANP) and Accept (ClusterNetworkPolicy) mean the same."""

    kind: str
    name: str
    priority: int | None
    subject: tuple[LabelSelector, LabelSelector]
    ingress: tuple[AdminRule, ...] = ()
    egress: tuple[AdminRule, ...] = ()
    tier: str = "Admin"  # Admin or Baseline

    @property
    def key(self) -> str:
        return self.name

    @property
    def baseline(self) -> bool:
        return self.tier == "Baseline"


#: What each selector of a ``pods`` subject or peer selects when empty, for the errors.
_EVERY = {"namespaceSelector": "every namespace", "podSelector": "every pod"}


def _required_selectors(raw: dict[str, Any], names: Sequence[str], where: str, source: str, obj: str) -> None:
    """Refuse ``raw`` without one of the selectors ``names`` (given as null counts as absent:
    the CRD's server prunes the null, then its schema refuses the object).  Read as ``{}``,
    a missing selector would select every pod or namespace, far more than was written."""
    missing = [n for n in names if n not in raw]
    if missing:
        n = missing[0]
        raise PolicyError(
            f"{where}: {n} is required (write {n}: {{}} to select {_EVERY[n]}); the API server refuses "
            f"a pods selection without it",
            source=source,
            obj=obj,
        )


def _admin_selector_pair(
    raw: Any, where: str, source: str, obj: str, required: Sequence[str], warn: _Warn = None
) -> tuple[LabelSelector, LabelSelector]:
    """A ``pods`` subject or peer (``NamespacedPod``): its namespace and pod selectors, of
    which the CRD requires ``required``."""
    if not isinstance(raw, dict):
        raise PolicyError(f"{where} must be an object", source=source, obj=obj)
    _required_selectors(raw, required, where, source, obj)
    return (
        LabelSelector.parse(raw.get("namespaceSelector"), f"{where}.namespaceSelector", source=source,
                            obj=obj, warn=warn),
        LabelSelector.parse(raw.get("podSelector"), f"{where}.podSelector", source=source, obj=obj,
                            warn=warn),
    )


def _pods_required(v1alpha1: bool) -> tuple[str, ...]:
    """The selectors a ``pods`` subject or peer must set.  v1alpha1's NamespacedPod requires
    both (its package defaults every field to required; its CRD lists both).  In
    ClusterNetworkPolicy (v1beta1 and the later v1alpha2 revisions) namespaceSelector is
    ``+optional``, read as the empty selector its Go zero value is, and podSelector
    ``+required``."""
    return ("namespaceSelector", "podSelector") if v1alpha1 else ("podSelector",)


# The first revisions of v1alpha1 nested the namespace selection of a peer one level deeper:
# ``namespaces: {namespaceSelector | related | sameLabels | notSameLabels}`` and
# ``pods: {namespaces: {...}, podSelector}``.  Objects written so still carry apiVersion
# v1alpha1 (upstream's own conformance manifests did); read as today's plain LabelSelector,
# ``namespaceSelector`` would be an unknown key and the peer would select every namespace.
_EARLY_NAMESPACED = ("namespaceSelector", "related", "sameLabels", "notSameLabels")


def _is_early_namespaced(val: Any) -> bool:
    return isinstance(val, dict) and any(k in val for k in _EARLY_NAMESPACED) and not (
        "matchLabels" in val or "matchExpressions" in val)


def _early_namespaces(
    val: dict[str, Any], where: str, source: str, obj: str, warn: _Warn
) -> LabelSelector | None:
    """The namespaces an early-v1alpha1 ``NamespacedPeer`` selects; None where they are chosen
    relative to the subject's namespace (``related``, ``sameLabels``, ``notSameLabels``), which
    k8sviz does not evaluate: the peer is then unknown, and fails closed as the API asks."""
    if "namespaceSelector" in val:
        return LabelSelector.parse(val["namespaceSelector"], f"{where}.namespaceSelector", source=source,
                                   obj=obj, warn=warn)
    if warn is not None:
        keys = ", ".join(k for k in _EARLY_NAMESPACED if k in val)
        warn(LoadWarning(
            "admin-relative-namespaces",
            f"{where}: {keys} selects namespaces relative to the subject's, which k8sviz does not "
            "evaluate: the peer is read as unknown (it fails closed)",
            source,
            obj,
        ))
    return None


def _admin_peer(
    raw: Any, where: str, egress: bool, source: str, obj: str, warn: _Warn = None, loose: bool = False,
    v1alpha1: bool = False, dropped: Sequence[str] = (), kind: str = "",
) -> AdminPeer:
    """One peer; ``v1alpha1``: of AdminNetworkPolicy or BaselineAdminNetworkPolicy (else of
    ClusterNetworkPolicy), which decides the shapes read and the selectors ``pods`` requires."""
    if not isinstance(raw, dict):
        raise PolicyError(f"{where} must be an object", source=source, obj=obj)
    known = ("namespaces", "pods", "networks", "nodes", "domainNames") if egress else ("namespaces", "pods")
    present = [k for k in known if k in raw]
    if len(present) > 1:
        raise PolicyError(f"{where}: set exactly one of {', '.join(present)}", source=source, obj=obj)
    if not present:
        # The walk stops at an unknown field, so what it dropped here are the peer's own fields:
        # name them, or the rule would explain as an empty peer and not say why it fails closed.
        gone = [p[len(where) + 1:] for p in dropped if p.startswith(f"{where}.")]
        gone += [str(k) for k in raw]
        if not gone:
            return AdminPeer(unknown="empty")
        side = "egress" if egress else "ingress"
        return AdminPeer(unknown=f"only {', '.join(gone)}, which {kind or 'this kind'} {side} peers do not "
                                 "have")
    key = present[0]
    val = raw[key]
    if v1alpha1 and key == "namespaces" and _is_early_namespaced(val):
        ns_sel = _early_namespaces(val, f"{where}.namespaces", source, obj, warn)
        if ns_sel is None:
            return AdminPeer(unknown=f"{where}.namespaces")
        return AdminPeer(namespaces=ns_sel)
    if v1alpha1 and key == "pods" and isinstance(val, dict) and _is_early_namespaced(val.get("namespaces")):
        ns_sel = _early_namespaces(val["namespaces"], f"{where}.pods.namespaces", source, obj, warn)
        if ns_sel is None:
            return AdminPeer(unknown=f"{where}.pods.namespaces")
        # NamespacedPodPeer: "PodSelector ... This field is NOT optional".
        _required_selectors(val, ("podSelector",), f"{where}.pods", source, obj)
        pod_sel = LabelSelector.parse(val["podSelector"], f"{where}.pods.podSelector", source=source, obj=obj,
                                      warn=warn)
        return AdminPeer(pods=(ns_sel, pod_sel))
    if key == "namespaces":
        return AdminPeer(namespaces=LabelSelector.parse(val, f"{where}.namespaces", source=source,
                                                        obj=obj, warn=warn))
    if key == "pods":
        return AdminPeer(pods=_admin_selector_pair(val, f"{where}.pods", source, obj,
                                                   _pods_required(v1alpha1), warn))
    if key == "nodes":
        return AdminPeer(nodes=LabelSelector.parse(val, f"{where}.nodes", source=source, obj=obj, warn=warn))
    if not isinstance(val, list) or not val:
        raise PolicyError(f"{where}.{key} must be a non-empty list", source=source, obj=obj)
    if key == "domainNames":
        bad = [d for d in val if not isinstance(d, str) or not d]
        if bad:  # the CRD's schema: strings of its DomainName pattern (a null too: not "no bad one")
            raise PolicyError(f"{where}.domainNames: {as_written(bad[0])} is not a domain name",
                              source=source, obj=obj)
        return AdminPeer(domain_names=tuple(val))
    return AdminPeer(networks=tuple(
        IPBlock(str(_cidr(c, "CIDR", f"{where}.networks[{i}]", source, obj, warn, loose=loose)))
        for i, c in enumerate(val)
    ))


def _one_field(raw: Any, where: str, fields: str, source: str, obj: str) -> tuple[str, Any]:
    """The single ``(key, value)`` of an object that must set exactly one of ``fields``."""
    if not isinstance(raw, dict) or len(raw) != 1:
        raise PolicyError(f"{where} must set exactly one of {fields}", source=source, obj=obj)
    ((key, val),) = raw.items()
    return key, val


def _named_port(val: Any, where: str, source: str, obj: str) -> PolicyPort:
    if not isinstance(val, str) or not valid_port_name(val):
        raise PolicyError(f"{where}: {as_written(val)} is not a valid port name", source=source, obj=obj)
    return PolicyPort("TCP", val)  # the protocol is the named container port's own


def _number_port(proto: Any, number: Any, end: Any, where: str, source: str, obj: str, *,
                 strict: bool = True) -> PolicyPort:
    """A port number, or the range ``number``-``end``: numbers only, never a name."""
    for v in (number, end):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
            raise PolicyError(f"{where}: {as_written(v)} is not a port number", source=source, obj=obj)
    if number is None:
        raise PolicyError(f"{where} needs a port number", source=source, obj=obj)
    if end is not None and (number >= end if strict else number > end):
        # ClusterNetworkPolicy's CEL rule is `self.start < self.end`.  The v1alpha1 PortRange
        # only documents it ("the Start value must be less than End"), and its API server
        # accepts start == end: read as that one port (``strict=False``), so a cluster's own
        # objects still load.  NetworkPolicy's endPort may equal port: that path does not
        # come through here.
        raise PolicyError(
            f"{where}: start {number} must be less than end {end} (one port is written as a number)",
            source=source,
            obj=obj,
        )
    return _policy_port({"protocol": proto, "port": number, "endPort": end}, where, source, obj)


def _admin_port(raw: Any, where: str, source: str, obj: str, warn: _Warn = None) -> PolicyPort | None:
    """One ``ports`` entry of an AdminNetworkPolicy or BaselineAdminNetworkPolicy rule; None
    for a range that ends before it starts (no port), which v1alpha1's server stores."""
    key, val = _one_field(raw, where, "portNumber, portRange, namedPort", source, obj)
    if key == "namedPort":
        return _named_port(val, where, source, obj)
    if key not in ("portNumber", "portRange"):
        raise PolicyError(f"{where}: unknown port field {as_written(key)}", source=source, obj=obj)
    if not isinstance(val, dict):
        raise PolicyError(f"{where}.{key} must be an object", source=source, obj=obj)
    if key == "portNumber":
        return _number_port(val.get("protocol"), val.get("port"), None, f"{where}.portNumber", source, obj)
    if val.get("end") is None:
        raise PolicyError(f"{where}.portRange needs start and end", source=source, obj=obj)
    start, end = val.get("start"), val["end"]
    if type(start) is int and type(end) is int and 1 <= end < start <= 65535:
        if warn is not None:
            warn(LoadWarning("port-range-empty", f"{where}.portRange {start}-{end} ends before it starts: "
                             "it matches no port (the API documents start < end without enforcing it)",
                             source, obj))
        return None
    return _number_port(val.get("protocol"), start, end, f"{where}.portRange", source, obj, strict=False)


def _cnp_protocol(raw: Any, where: str, source: str, obj: str) -> PolicyPort:
    """One ``protocols`` entry of a ClusterNetworkPolicy rule."""
    key, val = _one_field(raw, where, "tcp, udp, sctp, destinationNamedPort", source, obj)
    if key == "destinationNamedPort":
        return _named_port(val, where, source, obj)
    proto = {"tcp": "TCP", "udp": "UDP", "sctp": "SCTP"}.get(key)
    if proto is None:
        raise PolicyError(f"{where}: unknown protocol field {as_written(key)}", source=source, obj=obj)
    where = f"{where}.{key}.destinationPort"
    dkey, dval = _one_field(val.get("destinationPort") if isinstance(val, dict) else None, where,
                            "number, range", source, obj)
    if dkey == "number":
        return _number_port(proto, dval, None, where, source, obj)
    if dkey != "range" or not isinstance(dval, dict) or dval.get("end") is None:
        raise PolicyError(f"{where}.range needs start and end", source=source, obj=obj)
    return _number_port(proto, dval.get("start"), dval["end"], f"{where}.range", source, obj)


def _admin_rules(
    raw: Any, key: str, baseline: bool, source: str, obj: str, cnp: bool = False, warn: _Warn = None,
    loose: bool = False, dropped: Sequence[str] = (), kind: str = "",
) -> tuple[AdminRule, ...]:
    """``dropped``: the paths :func:`known_fields` dropped from the spec of ``kind`` (its kind
    and version, as a warning names them), for the peers they leave with no field."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise PolicyError(f"spec.{key} must be a list", source=source, obj=obj)
    peer_key = "from" if key == "ingress" else "to"
    if cnp:
        actions: tuple[str, ...] = ("Accept", "Deny", "Pass")
    else:
        actions = ("Allow", "Deny") if baseline else ADMIN_ACTIONS
    rules = []
    for i, r in enumerate(raw):
        where = f"spec.{key}[{i}]"
        if not isinstance(r, dict):
            raise PolicyError(f"{where} must be an object", source=source, obj=obj)
        action = r.get("action")
        if action not in actions:
            raise PolicyError(f"{where}: action must be one of {', '.join(actions)}, not "
                              f"{as_written(action)}",
                              source=source, obj=obj)
        peers = r.get(peer_key)
        if not isinstance(peers, list) or not peers:
            raise PolicyError(f"{where}.{peer_key} must be a non-empty list", source=source, obj=obj)
        port_key = "protocols" if cnp else "ports"
        ports = r.get(port_key)
        if ports is not None and (not isinstance(ports, list) or not ports):
            raise PolicyError(f"{where}.{port_key} must be a non-empty list", source=source, obj=obj)
        name = r.get("name") or ""
        if not isinstance(name, str):  # the CRD's schema: a string (explanations quote it)
            raise PolicyError(f"{where}.name must be a string, not {as_written(name)}",
                              source=source, obj=obj)
        rule = AdminRule(
            str(name),
            str(action),
            tuple(
                _admin_peer(
                    p, f"{where}.{peer_key}[{j}]", key == "egress", source, obj, warn, loose,
                    v1alpha1=not cnp,
                    dropped=dropped, kind=kind,
                )
                for j, p in enumerate(peers)
            ),
            None if ports is None else tuple(
                pp for j, p in enumerate(ports)
                if (pp := (_cnp_protocol(p, f"{where}.{port_key}[{j}]", source, obj) if cnp
                           else _admin_port(p, f"{where}.{port_key}[{j}]", source, obj, warn))) is not None
            ),
        )
        # The egress rule's CEL (ANP/BANP v1alpha1, ClusterNetworkPolicy v1alpha2 and v1beta1):
        # addresses outside the pods have no container ports, so no port names either.
        outside = [f"{peer_key}[{j}]" for j, p in enumerate(rule.peers) if p.networks or p.nodes is not None
                   or p.domain_names]
        named = [f"{port_key}[{j}]" for j, p in enumerate(rule.ports or ()) if isinstance(p.port, str)]
        if outside and named:
            field_name = "destinationNamedPort" if cnp else "namedPort"
            raise PolicyError(
                f"{where}{f' ({as_written(name)})' if name else ''}: networks/nodes/domainNames peer "
                "cannot be set "
                f"with {field_name} ({', '.join(outside)} with {', '.join(named)}): those peers have no "
                f"named ports",
                source=source,
                obj=obj,
            )
        rules.append(rule)
    return tuple(rules)


# The specs of AdminNetworkPolicy and BaselineAdminNetworkPolicy (v1alpha1, with the first
# revisions' nested peers, which k8sviz reads as :func:`_admin_peer` does) and of
# ClusterNetworkPolicy (v1alpha2 and v1beta1 have one shape), as the Go types in
# kubernetes-sigs/network-policy-api's apis/ define them.
_NAMESPACED_POD: dict[str, Any] = {"namespaceSelector": _SELECTOR, "podSelector": _SELECTOR}
_EARLY_NAMESPACES: dict[str, Any] = {
    "namespaceSelector": _SELECTOR, "related": None, "sameLabels": None, "notSameLabels": None,
}
_V1ALPHA1_PEER: dict[str, Any] = {
    "namespaces": Either(_is_early_namespaced, _EARLY_NAMESPACES, _SELECTOR),
    # The shape is decided on the value without its null fields, one level down too (see _shape).
    "pods": Either(lambda v: isinstance(v, dict)
                   and _is_early_namespaced(_without_nulls(v.get("namespaces"))),
                   {"namespaces": _EARLY_NAMESPACES, "podSelector": _SELECTOR}, _NAMESPACED_POD),
}
_V1ALPHA1_PORT: dict[str, Any] = {
    "portNumber": {"protocol": None, "port": None},
    "namedPort": None,
    "portRange": {"protocol": None, "start": None, "end": None},
}
_CNP_PEER: dict[str, Any] = {"namespaces": _SELECTOR, "pods": _NAMESPACED_POD}
_CNP_DESTINATION = {"destinationPort": {"number": None, "range": {"start": None, "end": None}}}
_CNP_PROTOCOL: dict[str, Any] = {
    "tcp": _CNP_DESTINATION, "udp": _CNP_DESTINATION, "sctp": _CNP_DESTINATION, "destinationNamedPort": None,
}


def _admin_spec(
    peer: dict[str, Any], outside: dict[str, Any], ports: str, port: Any, *top: str
) -> dict[str, Any]:
    """A spec of ``top`` leaves, a subject, and rules whose egress peers add ``outside``."""
    return {
        **dict.fromkeys(top),
        "subject": {"namespaces": _SELECTOR, "pods": _NAMESPACED_POD},
        "ingress": [{"name": None, "action": None, "from": [peer], ports: [port]}],
        "egress": [{"name": None, "action": None, "to": [{**peer, **outside}], ports: [port]}],
    }


_OUTSIDE: dict[str, Any] = {"nodes": _SELECTOR, "networks": None, "domainNames": None}
#: The spec schema of each admin kind and version k8sviz evaluates.
_ADMIN_SPECS: dict[tuple[str, str], dict[str, Any]] = {
    ("AdminNetworkPolicy", "policy.networking.k8s.io/v1alpha1"): _admin_spec(
        _V1ALPHA1_PEER, _OUTSIDE, "ports", _V1ALPHA1_PORT, "priority"),
    # No priority, and no domainNames (BaselineAdminNetworkPolicyEgressPeer).
    ("BaselineAdminNetworkPolicy", "policy.networking.k8s.io/v1alpha1"): _admin_spec(
        _V1ALPHA1_PEER, {"nodes": _SELECTOR, "networks": None}, "ports", _V1ALPHA1_PORT),
    **{("ClusterNetworkPolicy", f"policy.networking.k8s.io/{v}"): _admin_spec(
        _CNP_PEER, _OUTSIDE, "protocols", _CNP_PROTOCOL, "tier", "priority")
       for v in ("v1alpha2", "v1beta1")},
}


def parse_admin_policy(obj: Mapping[str, Any], source: str = "", warn: _Warn = None) -> AdminPolicy:
    """An AdminNetworkPolicy or BaselineAdminNetworkPolicy (v1alpha1), or a
    ClusterNetworkPolicy (v1alpha2, v1beta1), from its raw object.  ``warn`` receives what
    the API accepts but k8sviz reads differently from how it is written (host bits)."""
    kind = obj.get("kind")
    name = _meta(obj).get("name")
    ref = f"{kind}/{name}"
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        raise PolicyError("spec is missing", source=source, obj=ref)
    version = str(obj.get("apiVersion"))
    schema = _ADMIN_SPECS.get((str(kind), version))
    if schema is None:
        raise PolicyError(f"{kind} {version} is not a kind and version k8sviz evaluates", source=source,
                          obj=ref)
    spec, dropped = known_fields(spec, schema, "spec", f"{kind} {version}", source, ref, warn)
    with dropped_fields_named(dropped, f"{kind} {version}"):
        return _admin_policy(spec, str(kind), str(name), source, ref, warn, dropped, version)


def _admin_policy(
    spec: dict[str, Any], kind: str, name: str, source: str, ref: str, warn: _Warn,
    dropped: Sequence[str] = (), version: str = "",
) -> AdminPolicy:
    cnp = kind == "ClusterNetworkPolicy"
    if cnp:
        tier = spec.get("tier")
        if tier not in ("Admin", "Baseline"):
            raise PolicyError(f"spec.tier must be Admin or Baseline, not {as_written(tier)}",
                              source=source, obj=ref)
    else:
        tier = "Baseline" if kind == "BaselineAdminNetworkPolicy" else "Admin"
    baseline = kind == "BaselineAdminNetworkPolicy"
    priority = None
    if not baseline:
        priority = spec.get("priority")
        if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 1000:
            raise PolicyError(f"spec.priority must be a number from 0 to 1000, not {as_written(priority)}",
                              source=source, obj=ref)
    subj = spec.get("subject")
    if not isinstance(subj, dict) or len([k for k in ("namespaces", "pods") if k in subj]) != 1:
        raise PolicyError("spec.subject must set exactly one of namespaces, pods", source=source, obj=ref)
    if "namespaces" in subj:
        subject = (LabelSelector.parse(subj["namespaces"], "spec.subject.namespaces", source=source,
                                       obj=ref, warn=warn), LabelSelector())
    else:
        subject = _admin_selector_pair(subj["pods"], "spec.subject.pods", source, ref,
                                       _pods_required(not cnp), warn)
    # ClusterNetworkPolicy's CIDR type is CEL `isCIDR(self)` (v1beta1 adds "masked", which
    # objects stored through v1alpha2 need not meet); AdminNetworkPolicy v1alpha1's first CRDs
    # only check the address family (later ones, bundle v0.1.7, isCIDR too), so a server keeps
    # bare addresses, netmasks and zero-padded lengths it stored then: read them, loosely.
    loose = not cnp
    described = f"{kind} {version}".strip()
    return AdminPolicy(
        str(kind),
        str(name),
        priority,
        subject,
        _admin_rules(spec.get("ingress"), "ingress", baseline, source, ref, cnp, warn, loose, dropped,
                     described),
        _admin_rules(spec.get("egress"), "egress", baseline, source, ref, cnp, warn, loose, dropped,
                     described),
        str(tier),
    )


def selector_problems(raw: Any, where: str) -> Iterable[tuple[str, str]]:
    """``(problem, effect)`` for each label key or value in the raw form of a selector that
    :meth:`LabelSelector.parse` accepted but the API server would reject.

    A key or value no valid label can have is kept as written (a hand-edited dump is still
    read), but its term can then never match a label of a real object: ``effect`` says what
    that does to the selector ("" for a number or boolean, compared as the text it reads as).
    """
    if not isinstance(raw, dict):
        return
    ml = raw.get("matchLabels")
    for k, v in (ml.items() if isinstance(ml, dict) else ()):
        if not valid_label_key(label_key_text(k)):
            yield f"{where}.matchLabels: invalid label key {as_written(k)}", "the selector matches nothing"
        elif v is None:
            continue  # "" (see _yaml_scalar_str), a valid value
        elif not isinstance(v, str):
            yield (f"{where}.matchLabels: value of label {as_written(k)} is not a string: {as_written(v)} "
                   f"({kind_of(v)}), compared as {as_written(_yaml_scalar_str(v))}"), ""
        elif not valid_label_value(v):
            yield (f"{where}.matchLabels: invalid value for label {as_written(k)}: {as_written(v)}",
                   "the selector matches nothing")
    exprs = raw.get("matchExpressions")
    for i, e in enumerate(exprs if isinstance(exprs, list) else ()):
        if not isinstance(e, dict):
            continue
        at, op, key = f"{where}.matchExpressions[{i}]", e.get("operator"), e.get("key")
        # NotIn and DoesNotExist hold for what no valid label can be; In and Exists fail.
        negative = op in ("NotIn", "DoesNotExist")
        if not isinstance(key, str) and valid_label_key(_yaml_scalar_str(key)):
            yield (f"{at}: label key {as_written(key)} is not a string ({kind_of(key)}), compared as "
                   f"{as_written(_yaml_scalar_str(key))}"), ""
        elif not valid_label_key(_yaml_scalar_str(key)):
            yield (f"{at}: invalid label key {as_written(key)}",
                   f"the expression {'always holds' if negative else 'matches nothing'}")
            continue
        values = e.get("values")
        for v in values if isinstance(values, list) else ():
            if v is None:
                continue  # "", as above
            if not isinstance(v, str):
                yield (f"{at}: value {as_written(v)} of label {as_written(key)} is not a string "
                       f"({kind_of(v)}), compared as {as_written(_yaml_scalar_str(v))}"), ""
            elif not valid_label_value(v):
                yield (f"{at}: invalid value for label {as_written(key)}: {as_written(v)}",
                       f"that value {'excludes' if negative else 'matches'} nothing")


def name_problem(name: str, rule: str, field: str = "metadata.name") -> str | None:
    """What the API server would say of ``name`` as a ``field`` of the :data:`NAME_RULES`
    ``rule`` (uppercase, a ``/``, a control character, too long), or None if it takes it."""
    pattern, most, what = NAME_RULES[rule]
    if len(name) <= most and pattern.fullmatch(name):
        return None
    length = f" ({len(name)} characters)" if len(name) > most else ""
    return f"{field} {as_written(name)}{length} is not {what}"


def label_problems(labels: Mapping[str, str]) -> Iterable[str]:
    """Label keys or values the API server would reject (a tampered or hand-written dump)."""
    for k, v in labels.items():
        if not _kubectl_key(k) or not valid_label_key(label_key_text(k)):
            yield f"invalid label key {as_written(k)}"
        elif v is None:
            continue  # "" to the API (Go's zero string), a valid value
        elif not isinstance(v, str):
            # Unquoted YAML (`version: 1`, `enabled: yes`) gives numbers and booleans.
            yield (
                f"value of label {as_written(k)} is not a string: {as_written(v)} ({kind_of(v)}), "
                f"compared as {as_written(_yaml_scalar_str(v))}"
            )
        elif not valid_label_value(v):
            yield f"invalid value for label {as_written(k)}: {as_written(v)}"
