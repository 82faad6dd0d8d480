"""Cilium policy objects: CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy (``cilium.io/v2``).

Each object holds one rule (``spec``) and/or a list (``specs``); each rule is parsed into a
frozen :class:`CiliumRule`.  Label keys in selectors may carry Cilium's source prefix
(``k8s:``, ``any:``), which is dropped: pod labels all come from Kubernetes here.  What the
engine cannot judge from a snapshot (``toGroups``, nodes, other label
sources, reserved labels other than a lone ``reserved:host``, ``reserved:remote-node``,
``reserved:kube-apiserver``, ``reserved:none``, ``reserved:world-ipv4`` or
``reserved:world-ipv6``, which are those entities, or ``reserved:world``) is recorded in
``unsupported``: such a policy is not evaluated, and is listed as such.  The ``kube-apiserver``
entity (and ``cluster``, which covers it) is placed from the ``default/kubernetes``
EndpointSlices; the snapshot marks the policy unsupported when it cannot be (see
``Snapshot._mark_cilium_apiserver``).  ``toServices`` references are kept
(``CiliumPeer.services``); the snapshot resolves them against its Services and marks the
policy unsupported where that depends on the Cilium release (see
``Snapshot._mark_cilium_services``).  ``toFQDNs`` peers are
kept (``CiliumPeer.fqdns``): a snapshot holds no DNS answers, so they match no address here,
and the rest of their policy is evaluated (see ``k8sviz.policy.cilium``).  Rules with a
``nodeSelector`` are host-firewall rules: they govern nodes (and hostNetwork pods), never
pods, and are kept aside.  ``fromRequires`` / ``toRequires`` are kept on their entry
(``CiliumPeer.requires``, pinned as Cilium pins them: :func:`_required`) and applied across
rules by the engine (``k8sviz.policy.cilium``); the snapshot leaves a policy giving them
unevaluated where the Cilium release does not show or is 1.19 or later, which removed them
(:data:`RELEASE_1_19`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ._text import as_written
from .errors import PolicyError
from .goregexp import go_regexp_error
from .model import (
    _SELECTOR,
    IPBlock,
    LabelSelector,
    LoadWarning,
    NamedPolicy,
    Requirement,
    dropped_fields_named,
    known_fields,
)

__all__ = [
    "APISERVER_SERVICE",
    "RELEASE_1_16",
    "RELEASE_1_19",
    "RELEASE_1_20",
    "CiliumPeer",
    "CiliumPolicy",
    "CiliumPort",
    "CiliumRule",
    "CiliumServiceRef",
    "L7Clash",
    "as_stored_before_1_16",
    "as_stored_from_1_20",
    "identity_caveats",
    "knp_matches",
    "knp_pod_selector",
    "knp_selects_every_pod",
    "l7_parser_clashes",
    "namespace_selector_caveats",
    "parse_cilium_policy",
    "pod_view",
    "services_named",
]

NAMESPACE_KEY = "io.kubernetes.pod.namespace"
#: Labels Cilium owns: a pod's own labels under it never reach its identity.
_CILIUM_PREFIX = "io.cilium.k8s"
_NS_LABELS = "io.cilium.k8s.namespace.labels."
_SA_KEY = "io.cilium.k8s.policy.serviceaccount"
#: On every pod identity, with the cluster name from the agents' configuration (ClusterMesh).
_CLUSTER_KEY = "io.cilium.k8s.policy.cluster"
#: Stands for that name, which a snapshot does not hold: not a valid label value, so no selector
#: value equals it (a selector that compares the value leaves its policy unevaluated anyway).
_UNKNOWN_CLUSTER = "<cluster name unknown>"
#: Entities the engine can place: everything, the outside world, the cluster's pods (with the
#: hostNetwork pods, which carry the node's identity), the nodes' own identities, the API server.
ENTITIES = frozenset({"all", "world", "cluster", "host", "remote-node", "none", "kube-apiserver"})
#: Entities Cilium's agent maps (``EntitySelectorMapping``, pkg/policy/api/entity.go) but the
#: CRDs' schema leaves out of its Entity enum (``+kubebuilder:validation:Enum`` on ``Entity``,
#: hence ``toEntities``/``fromEntities`` in the generated ciliumnetworkpolicies.yaml and
#: ciliumclusterwidenetworkpolicies.yaml): the API server refuses a policy naming them, so no
#: cluster holds one.  A lone ``reserved:`` endpoint selector of the same name is valid and
#: selects what the agent would map the entity to.
_REFUSED_ENTITIES = frozenset({"world-ipv4", "world-ipv6"})
#: The Service whose endpoint addresses Cilium's agent labels ``reserved:kube-apiserver``
#: (registerAPIServerBackendWatcher, pkg/ipcache/cell/apiserver_watcher.go; before it
#: addKubeAPIServerServiceEPs / addKubeAPIServerServiceEPSliceV1 in pkg/k8s/watchers).
APISERVER_SERVICE = ("default", "kubernetes")
_PEERS_IN = ("fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities")
_PEERS_OUT = ("toEndpoints", "toCIDR", "toCIDRSet", "toEntities", "toServices")
_NOT_JUDGED = ("fromGroups", "toGroups", "fromNodes", "toNodes")
#: Why ``fromNodes``/``toNodes`` (Cilium 1.16+) are not judged, even an empty selector: with the
#: agents' ``enable-node-selector-labels`` option off, its default, the agent refuses the whole
#: policy (``ErrFromToNodesRequiresNodeSelectorOption``, IngressCommonRule / EgressCommonRule
#: validation); with it on, every other node gets its own identity carrying its Node object's
#: labels, those the ``node-labels`` option keeps, and the selector matches those.
_NODES_WHY = (": nodes selected by their labels, which Cilium's agents judge only with their "
              "enable-node-selector-labels option on (off, the default, they reject the whole policy; on, "
              "the selector matches each node's labels that the node-labels option keeps), and a snapshot "
              "shows neither option")
#: DNS names Cilium's schema admits (``api.FQDNSelector``): letters, digits, ``-``, ``_``, dots;
#: patterns may use ``*`` too.
#: (Written without the schema's nested repetition, which backtracks exponentially on a bad name.)
_FQDN_NAME = re.compile(r"[-a-zA-Z0-9_]+(?:\.[-a-zA-Z0-9_]+)*\.?")
_FQDN_PATTERN = re.compile(r"[-a-zA-Z0-9_*]+(?:\.[-a-zA-Z0-9_*]+)*\.?")


# A rule's fields (``spec``, each of ``specs``), as the Go types in cilium/cilium's
# pkg/policy/api define them (see k8sviz.model for the notation).  Fields k8sviz does not
# evaluate are known all the same (they leave their policy unevaluated, or do not matter here);
# TLS contexts, listeners, cloud groups and generic L7 pairs are left as free maps.
_PORTS = [{"port": None, "endPort": None, "protocol": None}]
_L7_RULES: dict[str, Any] = {
    "http": [{"path": None, "method": None, "host": None, "headers": None, "headerMatches": None}],
    "kafka": [{"role": None, "apiKey": None, "apiVersion": None, "clientID": None, "topic": None}],
    "dns": [{"matchName": None, "matchPattern": None}],
    "l7proto": None,
    "l7": None,
}
_PORT_RULE: dict[str, Any] = {"ports": _PORTS, "terminatingTLS": None, "originatingTLS": None,
                              "serverNames": None, "listener": None, "rules": _L7_RULES}
_CIDR_RULE: dict[str, Any] = {
    "cidr": None, "except": None, "cidrGroupRef": None, "cidrGroupSelector": _SELECTOR,
}
_ICMPS = [{"fields": [{"family": None, "type": None}]}]
#: Peers of egress entries only (toFQDNs: of allow entries only).
_EXTRA_PEERS: dict[str, Any] = {
    "toServices": [{"k8sService": {"serviceName": None, "namespace": None},
                    "k8sServiceSelector": {"selector": _SELECTOR, "namespace": None}}],
    "toFQDNs": [{"matchName": None, "matchPattern": None}],
}


def _entry(way: str, *extra: str, deny: bool = False) -> dict[str, Any]:
    """An ingress (``way`` "from") or egress ("to") entry: its peers, ``extra`` peers, its ports
    (a deny entry has no L7 part) and ICMP matches; an allow entry also ``authentication``."""
    entry: dict[str, Any] = {
        f"{way}Endpoints": [_SELECTOR], f"{way}Requires": [_SELECTOR], f"{way}CIDR": None,
        f"{way}CIDRSet": [_CIDR_RULE], f"{way}Entities": None, f"{way}Groups": None,
        f"{way}Nodes": [_SELECTOR],
        "toPorts": [{"ports": _PORTS}] if deny else [_PORT_RULE], "icmps": _ICMPS,
    }
    entry.update({k: _EXTRA_PEERS[k] for k in extra})
    if not deny:
        entry["authentication"] = {"mode": None}
    return entry


_RULE: dict[str, Any] = {
    "endpointSelector": _SELECTOR,
    "nodeSelector": _SELECTOR,
    "ingress": [_entry("from")],
    "ingressDeny": [_entry("from", deny=True)],
    "egress": [_entry("to", "toServices", "toFQDNs")],
    "egressDeny": [_entry("to", "toServices", deny=True)],
    "labels": None,
    "enableDefaultDeny": {"ingress": None, "egress": None},
    "description": None,
    "log": {"value": None},
}
#: The fields of a policy object k8sviz reads: one rule, a list of them.
_POLICY: dict[str, Any] = {"spec": _RULE, "specs": [_RULE]}


def pod_view(pod: Any, ns_labels: Mapping[str, str]) -> dict[str, str]:
    """The labels Cilium selectors see on a pod's identity (source prefixes dropped).

    Cilium's selectors, its own policies' and the NetworkPolicies it enforces alike, match
    these rather than the pod's labels (see :func:`knp_pod_selector`)."""
    # The agent drops a pod's own labels under Cilium's prefix (filterPodLabels in
    # pkg/k8s/utils), so a pod cannot claim another namespace, account or cluster.
    # What the agents' default label filter drops is not in the identity either
    # (identity_label); a selector on such a label leaves its policy unevaluated, since
    # their --labels may keep it (identity_caveats).
    view = {k: v for k, v in pod.labels.items() if not k.startswith(_CILIUM_PREFIX) and identity_label(k)}
    view[NAMESPACE_KEY] = pod.namespace
    view.update({key: v for k, v in ns_labels.items() if identity_label(key := f"{_NS_LABELS}{k}")})
    view[_SA_KEY] = str(pod.service_account or "default")  # the API server's default
    # Cilium's agent sets the cluster label on every pod identity (SanitizePodLabels in
    # pkg/k8s/utils), so Exists on it holds for every pod whatever the cluster's name.
    view[_CLUSTER_KEY] = _UNKNOWN_CLUSTER
    return view


@dataclass(frozen=True, slots=True)
class CiliumPort:
    """A ``toPorts`` port: a number (0 without ``end``: every port) up to ``end`` (None: that port
    alone; always above the port, so 0 with ``end`` is ports 1 to ``end``), or a named port;
    ``protocols`` among TCP/UDP/SCTP (ANY or none: all three)."""

    port: int | str
    end: int | None
    protocols: tuple[str, ...]

    def __str__(self) -> str:
        p = f"{self.port}-{self.end}" if self.end else ("any port" if self.port == 0 else str(self.port))
        return f"{'/'.join(self.protocols)} {p}"


@dataclass(frozen=True, slots=True)
class CiliumServiceRef:
    """A ``toServices`` item: a Service by ``name`` (``k8sService``) or by its labels
    (``k8sServiceSelector``), in ``namespace`` (None: any namespace, as Cilium reads it)."""

    namespace: str | None
    name: str | None = None
    selector: LabelSelector | None = None

    def matches(self, service: Any) -> bool:
        if self.namespace is not None and service.namespace != self.namespace:
            return False
        if self.selector is not None:
            return self.selector.matches(service.labels)
        return self.name is not None and service.name == self.name

    def __str__(self) -> str:
        where = f"in {self.namespace}" if self.namespace else "in any namespace"
        if self.selector is not None:
            return f"Services [{self.selector}] {where}"
        if self.name is None:
            return "no Service (no name)"
        return f"Service {self.namespace}/{self.name}" if self.namespace else f"Service {self.name} {where}"


def services_named(refs: Iterable[CiliumServiceRef], services: Iterable[Any]) -> list[Any]:
    """The Services any of the ``toServices`` references names."""
    refs = tuple(refs)
    return [svc for svc in services if any(r.matches(svc) for r in refs)]


#: A ``toPorts`` port an L7 parser is set on: (parser, protocol, port as the agent keys its
#: L4 filters: the number and endPort as written, or the port's name).
L7Port = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class CiliumPeer:
    """One ingress/egress entry: its peer (one kind at most: Cilium rejects mixing them) AND its
    ports.  ``endpoints`` None with no ``cidrs`` nor ``entities``: no peer field (every peer when
    ports are given; nothing otherwise: Cilium reads an empty entry ``{}`` as allowing, or
    denying, nothing, see ``_entries``)."""

    endpoints: tuple[LabelSelector, ...] | None = None
    cidrs: tuple[IPBlock, ...] | None = None
    entities: tuple[str, ...] | None = None
    ports: tuple[CiliumPort, ...] | None = None  # None: every port
    l7: bool = False  # L7 rules: allowed at L3/L4, then filtered by the proxy
    #: ``toFQDNs``: the names (``matchName``) and patterns (``matchPattern``, with ``*``) whose
    #: DNS answers the rule allows; a snapshot has no answers, so they match no address here.
    fqdns: tuple[str, ...] | None = None
    #: ``toServices``: the endpoint addresses of the named Services without a selector, and
    #: (Cilium 1.17 and later) the pods of those with one.
    services: tuple[CiliumServiceRef, ...] | None = None
    #: Entities an ``endpoints`` list names by a lone reserved label (``reserved:host``...),
    #: which selects the reserved identity as the entity of that name does; ``world`` here is
    #: the label alone, not the entity (see ``_RESERVED_WORLD``).
    reserved: tuple[str, ...] = ()
    #: The L7 parsers its ``toPorts`` items redirect to, per port (:data:`L7Port`).
    parsers: tuple[L7Port, ...] = ()
    #: Its ``fromRequires`` / ``toRequires`` selectors, pinned as Cilium pins them (see
    #: :func:`_required`).  They restrict no peer of this entry alone: Cilium up to 1.18 ANDs
    #: those of every entry of the rules selecting a pod into the ``fromEndpoints`` /
    #: ``toEndpoints`` of all those rules' entries of the same kind (allow or deny), see
    #: ``k8sviz.policy.cilium``.
    requires: tuple[LabelSelector, ...] = ()

    @property
    def any_peer(self) -> bool:
        return (self.endpoints is None and self.cidrs is None and self.entities is None and self.fqdns is None
                and self.services is None)

    def text(self, direction: str) -> str:
        word = "from" if direction == "ingress" else "to"
        if self.endpoints is not None:
            named = [f"[{s}]" for s in self.endpoints] + [f"[reserved:{e}]" for e in self.reserved]
            peer = "endpoints " + (" OR ".join(named) or "(none)")
        elif self.cidrs is not None:
            peer = "CIDRs " + (", ".join(str(c) for c in self.cidrs) or "(none)")
        elif self.entities is not None:
            peer = "entities " + (", ".join(self.entities) or "(none)")
        elif self.fqdns is not None:
            peer = "DNS names " + (", ".join(self.fqdns) or "(none)")
        elif self.services is not None:
            peer = " OR ".join(str(r) for r in self.services) or "Services (none)"
        else:
            peer = "any peer" if self.ports is not None else "nothing (empty entry)"
        ports = "any port" if self.ports is None else ", ".join(str(p) for p in self.ports)
        return f"{word} {peer} on {ports}" + (" (L7 rules filter further)" if self.l7 else "")


@dataclass(frozen=True, slots=True)
class CiliumRule:
    endpoint_selector: LabelSelector
    ingress: tuple[CiliumPeer, ...] = ()
    ingress_deny: tuple[CiliumPeer, ...] = ()
    egress: tuple[CiliumPeer, ...] = ()
    egress_deny: tuple[CiliumPeer, ...] = ()
    default_deny_ingress: bool = False
    default_deny_egress: bool = False
    where: str = "spec"  #: ``spec`` or ``specs[i]``, as the object has it


@dataclass(frozen=True, slots=True)
class CiliumPolicy(NamedPolicy):
    kind: str
    namespace: str | None  # None: CiliumClusterwideNetworkPolicy
    name: str
    rules: tuple[CiliumRule, ...]
    host_rules: int = 0  # rules with a nodeSelector (host firewall): not about pods
    unsupported: tuple[str, ...] = ()
    api_version: str = "cilium.io/v2"
    #: Cilium's agent refuses to import it (its L7 rules): it takes no part in any pod's policy.
    rejected: bool = False
    #: Paths of the fields it gives that Cilium's types have from 1.16 only: numeric ports'
    #: ``endPort``, ``fromNodes`` and ``toNodes`` (see :func:`as_stored_before_1_16`).
    fields_1_16: tuple[str, ...] = ()
    #: Paths of the L7 rule fields it gives that Cilium's types no longer have from 1.20:
    #: ``rules.kafka``, ``rules.l7proto`` and ``rules.l7`` (see :func:`as_stored_from_1_20`).
    fields_removed_1_20: tuple[str, ...] = ()
    #: Paths of its non-empty ``fromRequires`` / ``toRequires``, which Cilium judges one way up
    #: to 1.18 and no longer from 1.19 (see ``Snapshot._mark_cilium_requires``).
    requires: tuple[str, ...] = ()

    @property
    def apiserver_entities(self) -> tuple[str, ...]:
        """Which of ``kube-apiserver`` and ``cluster`` (whose selectors include the
        kube-apiserver one: ``InitEntities``, pkg/policy/api/entity.go) its entries name, as
        entities or lone reserved labels; an entry that also names ``all`` matches every
        peer whatever the API server's addresses, so it does not count."""
        found: dict[str, None] = {}
        for r in self.rules:
            for e in (*r.ingress, *r.ingress_deny, *r.egress, *r.egress_deny):
                names = (*(e.entities or ()), *e.reserved)
                if "all" not in names:
                    found.update((n, None) for n in names if n in ("kube-apiserver", "cluster"))
        return tuple(sorted(found))

    @property
    def world_family_entities(self) -> tuple[str, ...]:
        """Which of ``world-ipv4`` and ``world-ipv6`` its entries name as entities where the
        entry's peers depend on them: not beside ``all`` or ``world``, which already cover them.

        Always empty for a parsed policy: the API server refuses these entities (see
        ``_REFUSED_ENTITIES``), so only a policy built by hand can name them."""
        found: dict[str, None] = {}
        for r in self.rules:
            for e in (*r.ingress, *r.ingress_deny, *r.egress, *r.egress_deny):
                names = e.entities or ()
                if "all" not in names and "world" not in names:
                    found.update((n, None) for n in names if n in ("world-ipv4", "world-ipv6"))
        return tuple(sorted(found))

    @property
    def world_labels(self) -> tuple[str, ...]:
        """Which of ``world``, ``world-ipv4`` and ``world-ipv6`` its endpoint selectors name as a
        lone ``reserved:`` label: each selects what it does only for one way of running the
        agents (one IP family or both), whatever selectors are beside it."""
        found = {n for r in self.rules for e in (*r.ingress, *r.ingress_deny, *r.egress, *r.egress_deny)
                 for n in e.reserved if n in _RESERVED_WORLD}
        return tuple(sorted(found))

    @property
    def service_refs(self) -> tuple[CiliumServiceRef, ...]:
        """Every ``toServices`` reference of the policy's egress allow entries (Cilium resolves
        them nowhere else)."""
        return tuple(ref for r in self.rules for e in r.egress if e.services for ref in e.services)


# ------------------------------------------------------------------------------ parsing


class _Ctx:
    def __init__(self, source: str, ref: str, namespace: str | None):
        self.source, self.ref, self.namespace = source, ref, namespace
        self.unsupported: list[str] = []
        self.rejected = False
        #: ``rules: {}`` items: stored (and enforced) by older releases, refused by newer API servers.
        self.empty_rules: list[str] = []
        #: Fields of Cilium 1.16 and later (CiliumPolicy.fields_1_16).
        self.fields_1_16: list[str] = []
        #: L7 rule fields gone from Cilium 1.20 (CiliumPolicy.fields_removed_1_20).
        self.fields_removed_1_20: list[str] = []
        #: ``toPorts`` ports written as JSON/YAML numbers, which the CRDs type as strings.
        self.number_ports: list[str] = []
        #: Paths of the non-empty ``fromRequires`` / ``toRequires`` (CiliumPolicy.requires).
        self.requires: list[str] = []
        #: Selector label values written as numbers or booleans, which the CRDs type as strings.
        self.number_labels: list[str] = []
        #: CIDRs written with host bits set (``10.0.0.1/8``), masked as Cilium's agent masks them.
        self.host_bits: list[str] = []

    def error(self, message: str) -> PolicyError:
        return PolicyError(message, source=self.source, obj=self.ref)


def _key(key: Any, where: str, ctx: _Ctx) -> str:
    if not isinstance(key, str):
        raise ctx.error(f"{where}: label key {as_written(key)} must be a string")
    source, sep, rest = key.partition(":")
    if not sep:
        return key
    if source in ("k8s", "any"):
        return rest
    ctx.unsupported.append(f"{where}: label source {as_written(source)} ({key})")
    return key


#: The default identity-label filter of Cilium's agents (``defaultLabelPrefixCfg`` in
#: pkg/labelsfilter/filter.go, with the later ``batch.kubernetes.io/controller-uid`` and
#: ``controller-uid`` exclusions of the identity-relevant-labels docs), as (pattern, include).
#: It judges every label of the identity, the namespace labels copied in as
#: ``io.cilium.k8s.namespace.labels.<key>`` included (the agent filters the labels
#: ``SanitizePodLabels`` returns as a whole).  ``reserved:.*`` is left out: no Kubernetes
#: label has that source.
_LABEL_FILTER = tuple((re.compile(p), include) for p, include in (
    (r"io\.kubernetes\.pod\.namespace", True),
    (r"io\.cilium\.k8s\.namespace\.labels", True),
    (r"app\.kubernetes\.io", True),
    (r"io\.cilium\.k8s\.policy\.cluster", True),
    (r"io\.kubernetes", False),
    (r"kubernetes\.io", False),
    (r"statefulset\.kubernetes\.io/pod-name", False),
    (r"apps\.kubernetes\.io/pod-index", False),
    (r"batch\.kubernetes\.io/job-completion-index", False),
    (r"batch\.kubernetes\.io/controller-uid", False),
    (r".*beta\.kubernetes\.io", False),
    (r"k8s\.io", False),
    (r"pod-template-generation", False),
    (r"pod-template-hash", False),
    (r"controller-revision-hash", False),
    (r"annotation.*", False),
    (r"controller-uid", False),
    (r"etcd_node", False),
))


def identity_label(key: str) -> bool:
    """Whether Cilium's default filter keeps a label key (a pod's, or a namespace label under
    ``io.cilium.k8s.namespace.labels.``) in the identity its selectors see.

    As ``filterLabels`` decides it: a pattern counts only when its leftmost match starts the
    key, and then by where that match ends; the key is kept when no exclusion counts, or when
    the longest inclusion ends after the shortest exclusion.  So ``app.kubernetes.io/name`` is
    kept (no exclusion starts there), ``io.kubernetes.pod.namespace`` beats ``io.kubernetes``,
    and a namespace label such as ``node.beta.kubernetes.io/x`` is dropped: ``.*beta...``
    reaches past the namespace-label prefix that includes it."""
    included = ignored = 0
    for pattern, include in _LABEL_FILTER:
        m = pattern.match(key)
        if m is None:
            continue
        if include:
            included = max(included, m.end())
        elif ignored == 0 or m.end() < ignored:
            ignored = m.end()
    return ignored == 0 or included > ignored


def _selector(raw: Any, where: str, ctx: _Ctx, identity: bool = True) -> LabelSelector:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ctx.error(f"{where} must be a label selector")
    # Only the two fields of a label selector (known_fields warned of any other).
    fixed: dict[str, Any] = {}
    if "matchLabels" in raw:
        ml = raw["matchLabels"]
        if isinstance(ml, dict):
            ml = {_key(k, where, ctx): v for k, v in ml.items()}
        fixed["matchLabels"] = ml
    if "matchExpressions" in raw:
        me = raw["matchExpressions"]
        if isinstance(me, list):
            me = [{**e, "key": _key(e["key"], where, ctx)} if isinstance(e, dict) and "key" in e else e
                  for e in me]
        fixed["matchExpressions"] = me
    sel = LabelSelector.parse(fixed, where, source=ctx.source, obj=ctx.ref)
    ml, me = fixed.get("matchLabels"), fixed.get("matchExpressions")
    ctx.number_labels += [f"{where}.matchLabels[{as_written(k)}]" for k, v in (ml or {}).items()
                          if v is not None and not isinstance(v, str)]
    ctx.number_labels += [f"{where}.matchExpressions[{i}].values" for i, e in enumerate(me or ())
                          if any(v is not None and not isinstance(v, str) for v in e.get("values") or ())]
    if identity:
        ctx.unsupported += identity_caveats(sel, where)
    return sel


def identity_caveats(sel: LabelSelector, where: str) -> list[str]:
    """Why a selector over pod identities (a Cilium policy's, or a NetworkPolicy's pod selector
    where Cilium enforces it) cannot be judged from a snapshot; empty when it can."""
    out = []
    # A selector on a label Cilium keeps out of identities matches as if no pod had it
    # (unless the agents' --labels keep it, which a snapshot does not show).
    keys = sorted({k for k, _ in sel.match_labels} | {r.key for r in sel.match_expressions})
    for key in (k for k in keys if not identity_label(k)):
        out.append(f"{where}: label {as_written(key)}, which Cilium leaves out of pod identities by default")
    # Every pod identity carries the cluster label (see pod_view): Exists / DoesNotExist on
    # it are judged; only a test of its value (the cluster's name) is not.
    if any(k == _CLUSTER_KEY for k, _ in sel.match_labels) or any(
            r.key == _CLUSTER_KEY and r.operator in ("In", "NotIn") for r in sel.match_expressions):
        out.append(f"{where}: label {as_written(_CLUSTER_KEY)}, the Cilium cluster's name, which a "
                   "snapshot does not hold")
    return out


def namespace_selector_caveats(sel: LabelSelector, where: str) -> list[str]:
    """Why a NetworkPolicy ``namespaceSelector`` Cilium enforces cannot be judged from a
    snapshot; empty when it can.  Cilium rewrites its keys to the namespace-label prefix of
    pod identities (``parseNetworkPolicyPeer``, pkg/k8s/network_policy.go), so a key its
    default filter drops under that prefix matches as if no namespace had it, unless the
    agents' --labels keep it."""
    keys = sorted({k for k, _ in sel.match_labels} | {r.key for r in sel.match_expressions})
    return [f"{where}: namespace label {as_written(key)}, which Cilium leaves out of pod identities "
            "by default"
            for key in keys if not identity_label(f"{_NS_LABELS}{key}")]


def knp_matches(sel: LabelSelector, pod: Any, ns_labels: Mapping[str, str], pinned_to: str | None,
                cilium: bool) -> bool:
    """Whether a NetworkPolicy pod selector matches ``pod``: by its labels, or where Cilium
    enforces the policy (``cilium``) by its identity's, pinned to ``pinned_to`` (the policy's
    namespace, for its own ``podSelector`` and a peer's lone one) as Cilium pins it.  The
    caller checks the namespace as without Cilium; the engine does the same per label class
    (``k8sviz.policy.k8s``)."""
    if not cilium:
        return sel.matches(pod.labels)
    return (knp_pod_selector(sel, pinned_to) if pinned_to is not None else sel).matches(
        pod_view(pod, ns_labels))


def knp_selects_every_pod(sel: LabelSelector, namespace: str, ns_labels: Mapping[str, str],
                          cilium: bool) -> bool:
    """Whether a NetworkPolicy's own ``podSelector`` selects every pod its namespace has and
    every pod it may get later, as the CNI matches it (``cilium``: by identity labels).

    Judged on the labels a pod cannot choose, never on today's pods: without Cilium only the
    empty selector does (any pod may lack any label); with Cilium also one that only asks
    what every identity of the namespace carries (``io.cilium.k8s.policy.cluster`` and the
    ServiceAccount key exist on all, the namespace name and the namespace's labels are
    fixed, a pod's own keys under ``io.cilium.k8s`` are stripped).  A test of a value a
    future pod could change (its labels, its account) or a snapshot does not hold (the
    cluster's name), or of a key the default label filter drops (the agents' --labels may
    keep it), does not count."""
    if not cilium:
        return sel.is_empty
    sel = knp_pod_selector(sel, namespace)
    fixed = {NAMESPACE_KEY: namespace}
    fixed.update({key: v for k, v in ns_labels.items() if identity_label(key := f"{_NS_LABELS}{k}")})
    present = {_SA_KEY, _CLUSTER_KEY}  # on every identity, with a value a snapshot cannot fix

    def always(r: Requirement) -> bool:
        if not identity_label(r.key):
            return False
        if r.key in fixed:
            return r.matches(fixed)
        if r.key in present:
            return r.operator == "Exists"
        # No identity carries any other key under Cilium's prefix (a namespace label the
        # namespace lacks, a pod's own, which the agent strips); any other a pod may carry.
        return r.key.startswith(_CILIUM_PREFIX) and r.operator in ("DoesNotExist", "NotIn")

    reqs = [Requirement(k, "In", (v,)) for k, v in sel.match_labels] + list(sel.match_expressions)
    return all(always(r) for r in reqs)


def knp_pod_selector(sel: LabelSelector, namespace: str) -> LabelSelector:
    """A NetworkPolicy's ``podSelector`` (its own, or a peer's without a ``namespaceSelector``)
    as Cilium translates it, to be matched against :func:`pod_view`: ``matchLabels`` gets
    ``io.kubernetes.pod.namespace`` set to the policy's namespace, replacing one written there
    (``parsePodSelector`` in pkg/k8s/network_policy.go), the rest is kept as written.  A peer's
    ``podSelector`` beside a ``namespaceSelector`` is not pinned: it sees the view as it is."""
    rest = tuple((k, v) for k, v in sel.match_labels if k != NAMESPACE_KEY)
    return LabelSelector(((NAMESPACE_KEY, namespace), *rest), sel.match_expressions)


def _scoped(sel: LabelSelector, ctx: _Ctx, where: str = "") -> LabelSelector:
    """A peer selector as Cilium applies it: in a namespaced policy, the policy's namespace
    unless the selector names one (a cluster-wide policy: any namespace, pods only)."""
    keys = {k for k, _ in sel.match_labels} | {r.key for r in sel.match_expressions}
    if ctx.namespace is None or NAMESPACE_KEY in keys:
        return sel
    if any(k.startswith(_NS_LABELS) for k in keys):
        # Cilium's releases disagree: older ones pin such a selector to the policy's namespace
        # (their docs: namespace labels in peers are for clusterwide policies only), later
        # ones leave a selector on namespace labels unpinned (getEndpointSelector in
        # pkg/k8s/apis/cilium.io/utils skips the pin for such keys); which release
        # first does is not settled here, so the policy is not judged rather than judged one way.
        ctx.unsupported.append(
            f"{where}: a peer selecting by namespace labels without naming a namespace: older Cilium "
            "releases keep it to the policy's namespace, later ones select in every namespace, and "
            "which release first does is not settled here"
        )
    return LabelSelector(((NAMESPACE_KEY, ctx.namespace), *sel.match_labels), sel.match_expressions)


def _required(raw: Any, where: str, ctx: _Ctx) -> LabelSelector:
    """A ``fromRequires`` / ``toRequires`` selector as Cilium's agent keeps it.

    ``parseToCiliumIngressCommonRule`` / ``parseToCiliumEgressCommonRule``
    (pkg/k8s/apis/cilium.io/utils) pass it through ``getEndpointSelector`` as they pass
    ``fromEndpoints``, only without the early return for reserved labels: a namespaced policy's
    selector gets the policy's namespace unless it names one (or namespace labels, where the
    releases disagree as for ``fromEndpoints``: :func:`_scoped`), a cluster-wide policy's gets
    ``Exists`` on the namespace key (releases before that pinned nothing for a cluster-wide
    policy; those were not read).  The result must ask for a namespace label (``In`` or
    ``Exists``): otherwise whether it holds for a reserved identity (host, remote-node, world,
    ...), whose labels a snapshot does not show, is not known, and the policy is not judged."""
    sel = _selector(raw, where, ctx)
    if ctx.namespace is not None:
        sel = _scoped(sel, ctx, where)
    elif not any(k == NAMESPACE_KEY for k, _ in sel.match_labels) and not any(
            r.key == NAMESPACE_KEY for r in sel.match_expressions):
        sel = LabelSelector(sel.match_labels, (*sel.match_expressions, Requirement(NAMESPACE_KEY, "Exists")))
    if not any(k == NAMESPACE_KEY for k, _ in sel.match_labels) and not any(
            r.key == NAMESPACE_KEY and r.operator in ("In", "Exists") for r in sel.match_expressions):
        ctx.unsupported.append(
            f"{where}: a requirement that does not ask for a pod's namespace: Cilium ANDs it into "
            "endpoint selectors naming reserved identities too (host, remote-node, world...), whose "
            "labels a snapshot does not show")
    return sel


#: Reserved identities a lone ``reserved:<name>`` endpoint selector selects exactly as the
#: entity of that name: ``EntitySelectorMapping`` (pkg/policy/api/entity.go) maps ``host``,
#: ``remote-node``, ``none``, ``world-ipv4`` and ``world-ipv6`` to that one selector, and
#: ``getEndpointSelector`` (pkg/k8s/apis/cilium.io/utils) leaves a selector with a reserved key
#: unpinned.  The ``kube-apiserver`` entity is ``reserved:kube-apiserver`` alone likewise
#: (``endpointSelectorKubeAPIServer``, same file).
_RESERVED_ENTITIES = frozenset({"host", "remote-node", "none", "kube-apiserver", "world-ipv4", "world-ipv6"})
#: The world label an outside address's identity carries is ``reserved:world`` when the agents
#: run one IP family and ``reserved:world-ipv4``/``-ipv6`` when they run both
#: (``AddWorldLabel``, pkg/labels/cidr.go; ``GetWorldIdentityFromIP``, pkg/identity), so the
#: entity ``world`` maps to all three selectors, and a lone ``reserved:world`` is not it: it
#: selects every outside address where the agents run one family and none where they run both.
#: It is kept as a reserved name all the same; the snapshot judges it only where it shows both
#: (see ``Snapshot._mark_cilium_world_families``).
_RESERVED_WORLD = frozenset({"world", "world-ipv4", "world-ipv6"})


def _reserved_entity(raw: Any, where: str, ctx: _Ctx) -> str | None:
    """The entity a ``fromEndpoints``/``toEndpoints`` selector names by one reserved label
    alone (``matchLabels: {"reserved:host": ""}``, or ``Exists`` on that key); "" when it
    names a reserved identity k8sviz cannot place (the reason recorded); None when the
    selector is no such thing (read as a label selector; a reserved key mixed with others
    stays unjudged there)."""
    if not isinstance(raw, dict):
        return None
    labels = raw.get("matchLabels") or {}
    exprs = raw.get("matchExpressions") or []
    if not isinstance(labels, dict) or not isinstance(exprs, list) or len(labels) + len(exprs) != 1:
        return None
    if labels:
        ((key, value),) = labels.items()
        lone = value == ""
    else:
        (e,) = exprs
        if not isinstance(e, dict):
            return None
        key = e.get("key")
        lone = e.get("operator") == "Exists" and not e.get("values")
    if not (lone and isinstance(key, str) and key.startswith("reserved:")):
        return None
    name = key.removeprefix("reserved:")
    if name in _RESERVED_ENTITIES or name in _RESERVED_WORLD:
        return name
    ctx.unsupported.append(f"{where}: {key}, an identity a snapshot does not place")
    return ""


def _refused_entity(where: str, entity: str, field: str) -> str:
    """Why the API server refuses an entity its CRD schema leaves out, and the valid way to
    select the same addresses."""
    peers = field.replace("Entities", "Endpoints")
    return (f"{where}: entity {as_written(entity)} is not in the Entity enum of Cilium's CRD schema, so the "
            f"API server refuses this policy; to select those addresses use an endpoint selector with "
            f"the lone label reserved:{entity} ({peers}: [{{matchLabels: {{\"reserved:{entity}\": \"\"}}}}])")


def _cidrs(raw: Any, where: str, ctx: _Ctx, with_except: bool) -> tuple[IPBlock, ...]:
    if not isinstance(raw, list):
        raise ctx.error(f"{where} must be a list")
    out = []
    for i, item in enumerate(raw):
        cidr, excepts = (item, []) if not with_except else (
            (item.get("cidr"), [] if item.get("except") is None else item["except"]) if isinstance(item, dict)
            else (None, [])
        )
        if with_except and isinstance(item, dict) and not cidr:
            group = next((k for k in ("cidrGroupRef", "cidrGroupSelector") if item.get(k) is not None), None)
            if group is not None:  # CiliumCIDRGroup objects, which a snapshot does not hold
                ctx.unsupported.append(f"{where}[{i}].{group}")
                continue
        try:
            net = ipaddress.ip_network(str(cidr), strict=False) if isinstance(cidr, str) else None
        except ValueError:
            net = None
        if net is None:
            raise ctx.error(f"{where}[{i}]: invalid CIDR {as_written(cidr)}")
        if "/" in str(cidr) and ipaddress.ip_interface(str(cidr)).ip != net.network_address:
            ctx.host_bits.append(f"{where}[{i}] {as_written(cidr)} is {net}")
        if not isinstance(excepts, list):
            raise ctx.error(f"{where}[{i}].except must be a list")
        exc = []
        for e in excepts:
            try:
                en = ipaddress.ip_network(str(e), strict=False)
            except ValueError:
                raise ctx.error(f"{where}[{i}]: invalid except CIDR {as_written(e)}") from None
            if "/" in str(e) and ipaddress.ip_interface(str(e)).ip != en.network_address:
                ctx.host_bits.append(f"{where}[{i}].except {as_written(str(e))} is {en}")
            if en.version != net.version or not en.subnet_of(net):  # type: ignore[arg-type]
                raise ctx.error(f"{where}[{i}]: except {as_written(e)} must lie inside {as_written(cidr)}")
            exc.append(str(en))
        out.append(IPBlock(str(net), tuple(exc)))
    return tuple(out)


#: IANA service names (RFC 6335 section 5.1), which Cilium's agent reads as port names before
#: trying a number (``iana.IsSvcName``, pkg/iana): 1-15 letters, digits and single inner
#: hyphens, at least one letter.  So ``0x10`` is a name, not 16.
_SVC_NAME = re.compile(r"(?:[a-zA-Z0-9]-?)*[a-zA-Z](?:-?[a-zA-Z0-9])*")
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def is_port_name(port: str) -> bool:
    """Whether Cilium's agent reads a ``toPorts`` port string as a port name."""
    # The length test first: it also bounds the regular expression's backtracking.
    return 0 < len(port) <= 15 and _SVC_NAME.fullmatch(port) is not None


def _port_schema_ok(port: str) -> bool:
    """Whether the CRDs' ``port`` pattern admits a string.

    The pattern is ``^(<0-65535>)|([a-zA-Z0-9]-?)*[a-zA-Z](-?[a-zA-Z0-9])*$``, and the API server
    tests it unanchored (Go's ``MatchString``), so the ``^`` binds the first branch only and the
    ``$`` the second: a string passes when it starts with a digit (the first branch matches one
    to four of them), or when it ends in a run of letters, digits and single hyphens that starts
    and ends with a letter or digit and holds a letter.  (Checked here by a scan: the pattern
    itself backtracks heavily on long strings.)"""
    if port[:1].isascii() and port[:1].isdigit():
        return True
    if not port or port[-1] not in _ALNUM:
        return False
    tail = len(port)
    while tail > 0 and (port[tail - 1] in _ALNUM or (port[tail - 1] == "-" and port[tail:tail + 1] != "-")):
        tail -= 1
    return any(c.isalpha() for c in port[tail:])


def _go_underscores_ok(s: str) -> bool:
    """Go's ``underscoreOK`` (strconv): underscores only between digits, or right after a
    ``0b``/``0o``/``0x`` prefix, never last."""
    saw, i = "^", 0
    hexa = False
    if len(s) >= 2 and s[0] == "0" and s[1].lower() in "box":
        i, saw, hexa = 2, "0", s[1].lower() == "x"
    for c in s[i:]:
        if c.isascii() and (c.isdigit() or (hexa and c.lower() in "abcdef")):
            saw = "0"
        elif c == "_":
            if saw != "0":
                return False
            saw = "_"
        elif saw == "_":
            return False
        else:
            saw = "!"
    return saw != "_"


def parse_go_port(port: str) -> tuple[int | None, str]:
    """A numeric port string as Cilium's agent reads it, Go's ``strconv.ParseUint(port, 0, 16)``:
    ``(number, "")``, or ``(None, why)`` with Go's reason ("invalid syntax", "value out of range").

    Base 0 means a leading ``0`` is octal (``"010"`` is 8, ``"08"`` is refused), ``0b``/``0o``/
    ``0x`` prefixes (though a string with those letters is a port name first, see
    :func:`is_port_name`), and underscores between digits (``"1_000"`` is 1000)."""
    if not port:
        return None, "invalid syntax"
    base, body = 10, port
    if port[0] == "0":
        if len(port) >= 3 and port[1].lower() in "box":
            base, body = {"b": 2, "o": 8, "x": 16}[port[1].lower()], port[2:]
        else:
            base, body = 8, port[1:]
    value, underscores = 0, False
    for c in body:
        if c == "_":
            underscores = True
            continue
        if not c.isascii() or not c.isalnum() or (digit := int(c, 36)) >= base:
            return None, "invalid syntax"
        value = value * base + digit
        if value > 0xFFFF:
            return None, "value out of range"
    if underscores and not _go_underscores_ok(port):
        return None, "invalid syntax"
    return value, ""


def _port_refusal(port: Any, where: str) -> str | None:
    """Why Cilium's agent cannot read a ``toPorts`` port string the schema admits (None: it can):
    neither a port name nor a number ``ParseUint(port, 0, 16)`` parses."""
    if not isinstance(port, str) or is_port_name(port) or not _port_schema_ok(port):
        return None
    value, why = parse_go_port(port)
    if value is not None:
        return None
    return f'{where}: unable to parse port: strconv.ParseUint: parsing "{port}": {why}'


#: The most ports one ``toPorts`` item may list: the agent's ``maxPorts``
#: (pkg/policy/api/rule_validation.go), also the CRDs' ``maxItems`` from Cilium 1.16.
_MAX_PORTS = 40


def _l7_rule_count(rules: Mapping[str, Any]) -> int:
    """How many L7 rules a ``rules`` object holds (``L7Rules.Len``): the agent reads the object
    as empty (``IsEmpty``) when this is 0, whatever kinds it names, so ``{l7proto: x}`` alone
    or ``{http: []}`` is not validated as L7 rules.  (Releases before the count compared the
    kinds with nil, so a kind given as an empty list counted; the count is what they share.)"""
    return sum(len(v) for k in ("http", "kafka", "dns", "l7") if isinstance(v := rules.get(k), list))


#: What an HTTP header match may do on a mismatch (``MismatchAction``, pkg/policy/api/http.go);
#: none given: drop the request.
_MISMATCH_ACTIONS = frozenset({"LOG", "ADD", "DELETE", "REPLACE"})
#: The Kafka API keys a rule may name (``KafkaAPIKeyMap``: Cilium's proxy knows keys 0-33), and
#: the roles that stand for groups of them.
_KAFKA_API_KEYS = frozenset({
    "produce", "fetch", "offsets", "metadata", "leaderandisr", "stopreplica", "updatemetadata",
    "controlledshutdown", "offsetcommit", "offsetfetch", "findcoordinator", "joingroup", "heartbeat",
    "leavegroup", "syncgroup", "describegroups", "listgroups", "saslhandshake", "apiversions",
    "createtopics", "deletetopics", "deleterecords", "initproducerid", "offsetforleaderepoch",
    "addpartitionstotxn", "addoffsetstotxn", "endtxn", "writetxnmarkers", "txnoffsetcommit",
    "describeacls", "createacls", "deleteacls", "describeconfigs", "alterconfigs",
})
_KAFKA_ROLES = frozenset({"produce", "consume"})
#: A Kafka topic's characters as the agent checks them: its Go pattern, a raw string with
#: doubled backslashes, admits the backslash too.
_KAFKA_TOPIC = re.compile(r"[a-zA-Z0-9\\._-]+")
_KAFKA_TOPIC_MAX = 255


def _http_refusal(rule: Any) -> str | None:
    """Why the agent refuses an HTTP rule (``PortRuleHTTP.Validate``): ``path`` and ``method``
    must compile as Go regular expressions (checked for what Go certainly refuses, see
    :mod:`k8sviz.goregexp`), and each header match needs a name, a known mismatch action and,
    with a secret, the secret's name.  The result continues the rule's path (".path: ...").
    (Recent CRDs refuse a nameless header match or an unknown action at the API server too.)"""
    if not isinstance(rule, dict):
        return None
    for field in ("path", "method"):
        expr = rule.get(field)
        if isinstance(expr, str) and expr and (why := go_regexp_error(expr)) is not None:
            return f".{field}: error parsing regexp: {why}: `{expr}`"
    for j, match in enumerate(rule["headerMatches"] if isinstance(rule.get("headerMatches"), list) else []):
        if not isinstance(match, dict):
            continue
        at = f".headerMatches[{j}]"
        if not match.get("name"):
            return f"{at}: header name missing"
        action = match.get("mismatch") or ""
        if action and action not in _MISMATCH_ACTIONS:
            return f"{at}: invalid header action: {action}"
        secret = match.get("secret")
        if isinstance(secret, dict) and not secret.get("name"):
            return f"{at}: secret name missing"
    return None


def _kafka_refusal(rule: Any) -> str | None:
    """Why the agent refuses a Kafka rule (``PortRuleKafka.Sanitize``): a role and an API key
    together, an unknown API key or role (either case), an API version that is not a number
    from 0 to 32767 (Go's ``ParseInt(v, 10, 16)``), a topic over 255 bytes or with other
    characters than letters, digits, ``.``, ``_``, ``-`` (and ``\\``, as its pattern is written).
    (Recent CRDs refuse an unknown role and a longer topic at the API server too.)"""
    if not isinstance(rule, dict):
        return None
    role, key = str(rule.get("role") or ""), str(rule.get("apiKey") or "")
    version, topic = str(rule.get("apiVersion") or ""), str(rule.get("topic") or "")
    if role and key:
        return f'cannot set both Role "{role}" and APIKey "{key}" together'
    if key and key.lower() not in _KAFKA_API_KEYS:
        return f'invalid Kafka APIKey "{key}"'
    if role and role.lower() not in _KAFKA_ROLES:
        return f'invalid Kafka Role "{role}"'
    if version and not (re.fullmatch(r"[+-]?[0-9]+", version) and 0 <= int(version) <= 0x7FFF):
        return f'invalid Kafka APIVersion "{version}"'
    if topic:
        if len(topic.encode()) > _KAFKA_TOPIC_MAX:
            return f"kafka topic exceeds maximum len of {_KAFKA_TOPIC_MAX}"
        if not _KAFKA_TOPIC.fullmatch(topic):
            return f'invalid Kafka Topic name "{topic}"'
    return None


def _check_l7_schema(pr: Mapping[str, Any], where: str, ctx: _Ctx) -> None:
    """Raise what the API server refuses in a ``toPorts`` item's L7 rules: fields of the wrong
    type, a header match without ``name`` or a secret without one, and DNS rules as for
    ``toFQDNs`` (exactly one of matchName and matchPattern, each of DNS characters)."""
    rules = pr.get("rules")
    if not isinstance(rules, dict):
        return
    for kind, fields in (("http", ("path", "method", "host")),
                         ("kafka", ("role", "apiKey", "apiVersion", "clientID", "topic"))):
        items = rules.get(kind)
        if items is None:
            continue
        if not isinstance(items, list):
            raise ctx.error(f"{where}.rules.{kind} must be a list")
        for i, item in enumerate(items):
            at = f"{where}.rules.{kind}[{i}]"
            if not isinstance(item, dict):
                raise ctx.error(f"{at} must be an object")
            for f in fields:
                if item.get(f) is not None and not isinstance(item[f], str):
                    raise ctx.error(f"{at}.{f} must be a string")
            for j, match in enumerate(item.get("headerMatches") or [] if kind == "http" else []):
                if not isinstance(match, dict) or not isinstance(match.get("name"), str):
                    raise ctx.error(f"{at}.headerMatches[{j}] needs a name (a string)")
                if match.get("mismatch") is not None and not isinstance(match["mismatch"], str):
                    raise ctx.error(f"{at}.headerMatches[{j}].mismatch must be a string")
                secret = match.get("secret")
                if secret is not None and (not isinstance(secret, dict)
                                           or not isinstance(secret.get("name"), str)):
                    raise ctx.error(f"{at}.headerMatches[{j}].secret needs a name (a string)")
    if rules.get("dns") is not None:
        if not isinstance(rules["dns"], list):
            raise ctx.error(f"{where}.rules.dns must be a list")
        _fqdns(rules["dns"], f"{where}.rules.dns", ctx)
    items = rules.get("l7")
    if items is not None:
        if not isinstance(items, list):
            raise ctx.error(f"{where}.rules.l7 must be a list")
        for i, item in enumerate(items):
            if not isinstance(item, dict) or not all(isinstance(v, str) for v in item.values()):
                raise ctx.error(f"{where}.rules.l7[{i}] must be an object of strings")


def _port_value(port: Any) -> int | None:
    """The number a ``toPorts`` port stands for to the agent (None: a port name, or unreadable)."""
    if isinstance(port, int) and not isinstance(port, bool):
        return port
    if not isinstance(port, str) or is_port_name(port):
        return None
    return parse_go_port(port)[0]


def _rejected_l7(pr: Mapping[str, Any], where: str, ingress: bool, deny: bool = False) -> str | None:
    """Why Cilium's agent refuses a ``toPorts`` item (``PortRule.Validate``, called
    ``sanitize`` before 1.17, with ``PortProtocol`` and ``L7Rules`` validation), if it does:
    the API server stores such a policy, the agent does not import it.  The checks run in the
    agent's order, so the reason given is the one its log shows."""
    rules: Mapping[str, Any] = pr["rules"] if isinstance(pr.get("rules"), dict) else {}
    has_rules = _l7_rule_count(rules) > 0  # not IsEmpty
    dns = bool(rules.get("dns"))  # hasDNSRules: at least one DNS rule
    if ingress and dns:
        return f"{where}: DNS rules are not allowed on ingress"
    names: list[Any] = pr["serverNames"] if isinstance(pr.get("serverNames"), list) else []
    if names and has_rules and pr.get("terminatingTLS") is None:
        return f"{where}: ServerNames are not allowed with L7 rules without TLS termination"
    if "" in names:
        return f"{where}.serverNames: empty server name is not allowed"
    raw_ports: list[Any] = pr["ports"] if isinstance(pr.get("ports"), list) else []
    if len(raw_ports) > _MAX_PORTS:
        return (f"{where}.ports: too many ports, the max is {_MAX_PORTS} (from Cilium 1.16 the API server "
                "refuses it already)")
    ports = [p for p in raw_ports if isinstance(p, dict)]
    for j, p in enumerate(ports):
        # ``PortProtocol.Validate``: a port string that is neither a name nor a number.  (Deny
        # entries are left to the caller: releases differ on validating them.)
        refused = None if deny else _port_refusal(p.get("port"), f"{where}.ports[{j}]")
        if refused is not None:
            return refused
        number, end = _port_value(p.get("port")), p.get("endPort")
        # A numeric port (not an IANA service name) with an endPort above it is a range
        # (cilium#34023; endPort itself came in Cilium 1.16, whose branch has the check too).
        if (dns and number is not None and isinstance(end, int) and not isinstance(end, bool)
                and end > number):
            return f"{where}.ports[{j}]: DNS rules do not support port ranges"
        proto = str(p.get("protocol") or "ANY").upper()
        if has_rules and not dns and proto != "TCP":
            return f"{where}: L7 rules can only apply to TCP (not {proto}) except for DNS rules"
    listener = pr.get("listener")
    if listener is not None:
        name = listener.get("name") if isinstance(listener, dict) else listener
        if ingress:
            return f"{where}: Listener is not allowed on ingress ({name})"
        if has_rules:
            return f"{where}: Listener is not allowed with L7 rules ({name})"
    if not has_rules:
        return None
    if any(_port_value(p.get("port")) == 0 for p in ports):
        return f"{where}: L7 rules can not be used when a port is 0"
    # ``L7Rules.Validate``, kind by kind: each HTTP and Kafka rule; a DNS kind needs ports;
    # generic ``l7`` rules need their ``l7proto`` (from Cilium 1.16 the CRDs' oneOf over http,
    # kafka, dns and l7proto, which ``l7`` alone matches none of, refuses it at the API server
    # already), and then each of them.
    for i, rule in enumerate(rules["http"] if isinstance(rules.get("http"), list) else []):
        if (why := _http_refusal(rule)) is not None:
            return f"{where}.rules.http[{i}]{why}"
    for i, rule in enumerate(rules["kafka"] if isinstance(rules.get("kafka"), list) else []):
        if (why := _kafka_refusal(rule)) is not None:
            return f"{where}.rules.kafka[{i}]: {why}"
    if rules.get("dns") is not None and not ports:
        return f"{where}: port 53 must be specified for DNS rules"
    if rules.get("l7") is not None and not rules.get("l7proto"):
        return f"{where}.rules: 'l7' may only be specified when a 'l7proto' is also specified"
    for i, rule in enumerate(rules["l7"] if rules.get("l7proto") and isinstance(rules.get("l7"), list)
                             else []):
        if isinstance(rule, dict) and "" in rule:
            return f"{where}.rules.l7[{i}]: empty key not allowed"
    # It counts a kind whose field is set at all (an empty list too; a null one the API server
    # prunes), and refuses more than one.  From Cilium 1.16 the CRDs' schema (the same oneOf,
    # cilium#32814) refuses it at the API server already.
    given = [k for k in ("http", "kafka", "dns") if rules.get(k) is not None]
    given += ["l7proto"] if rules.get("l7proto") else []
    if len(given) > 1:
        return (f"{where}.rules: multiple L7 protocol rule types specified in single rule "
                f"({' and '.join(given)})")
    return None


def _empty_rules_refused(pr: Mapping[str, Any]) -> bool:
    """Whether a ``toPorts`` item's ``rules`` object names no kind (``rules: {}``, or only null
    kinds, which the API server prunes): the CRDs' oneOf over http, kafka, dns and l7proto
    (cilium#32814, Cilium 1.16; over http and dns from 1.20, cilium#44610) refuses it, while
    every agent reads it as no L7 rules.  (An
    object with ``l7`` alone matches no branch either, but the agent refuses that anyway.)"""
    rules = pr.get("rules")
    return isinstance(rules, dict) and all(rules.get(k) is None
                                           for k in ("http", "kafka", "dns", "l7proto", "l7"))


def _l7_parser(pr: Mapping[str, Any]) -> str | None:
    """The L7 parser a ``toPorts`` item redirects its ports to (None: none), as
    ``createL4Filter`` (pkg/policy/l4.go) names it: ``dns`` for DNS rules, else the kind of its
    HTTP or Kafka rules or its ``l7proto`` (TCP only, which the agent's validation already
    demands), ``crd`` for a listener whatever its rules, and ``tls`` for an item with a TLS
    context (``terminatingTLS``, ``originatingTLS``) or server names and no rules: the
    Envoy TCP proxy, from Cilium 1.13 (cilium#21808; before it such an item had no parser,
    which :func:`l7_parser_clashes` accounts for)."""
    rules = pr.get("rules")
    tls = (pr.get("terminatingTLS") is not None or pr.get("originatingTLS") is not None
           or bool(pr.get("serverNames")))
    parser = "tls" if tls else None
    if isinstance(rules, dict):
        if rules.get("dns"):
            parser = "dns"
        elif rules.get("http"):
            parser = "http"
        elif rules.get("kafka"):
            parser = "kafka"
        elif rules.get("l7proto"):
            parser = str(rules["l7proto"])
    return "crd" if pr.get("listener") is not None else parser


def _filter_key(port: int | str, raw: Any, end: Any) -> str:
    """A port as the agent keys its L4 filters (``L4PolicyMap.Upsert``): a name as it is; a number
    as base 10 reads the string (0 where it cannot, such as ``"1_000"``) with the endPort as
    written, so ``80`` and ``80``-``70`` are two filters."""
    if isinstance(port, str):
        return port
    text = str(raw)
    number = int(text) if text.isascii() and text.isdigit() and int(text) <= 0xFFFF else 0
    return f"{number}-{end}" if end else str(number)


def _ports(raw: Any, where: str, ctx: _Ctx, ingress: bool = False, deny: bool = False
           ) -> tuple[tuple[CiliumPort, ...] | None, bool, tuple[L7Port, ...]]:
    if raw is None or raw == []:
        return None, False, ()
    if not isinstance(raw, list):
        raise ctx.error(f"{where} must be a list")
    out: list[CiliumPort] = []
    parsers: list[L7Port] = []
    l7 = False
    for i, pr in enumerate(raw):
        if not isinstance(pr, dict):
            raise ctx.error(f"{where}[{i}] must be an object")
        if pr.get("rules") or pr.get("listener") or pr.get("terminatingTLS") or pr.get("serverNames"):
            l7 = True
        _check_l7_schema(pr, f"{where}[{i}]", ctx)
        if isinstance(pr.get("rules"), dict):
            ctx.fields_removed_1_20 += [f"{where}[{i}].rules.{k}" for k in _REMOVED_1_20
                                        if pr["rules"].get(k) is not None]
        refused = _rejected_l7(pr, f"{where}[{i}]", ingress, deny)
        if refused is not None:
            ctx.rejected = True
            ctx.unsupported.append(f"Cilium's agent rejects the policy ({refused}), so it enforces nothing "
                                   "of it")
        elif _empty_rules_refused(pr):
            ctx.empty_rules.append(f"{where}[{i}].rules")
        parser = _l7_parser(pr)
        # Only null is absent: read through 'or', 'ports: 0' was no ports, i.e. every port.
        if not isinstance(pr.get("ports", []), list | None):
            raise ctx.error(f"{where}[{i}].ports must be a list")
        for j, p in enumerate(pr.get("ports") or []):
            w = f"{where}[{i}].ports[{j}]"
            if not isinstance(p, dict) or "port" not in p:
                raise ctx.error(f"{w}: a port needs 'port'")
            proto = p.get("protocol") or "ANY"
            if not isinstance(p.get("protocol"), str | None):  # 0 or [] is no protocol (nor ANY)
                raise ctx.error(f"{w}: invalid protocol {as_written(p['protocol'])}")
            if proto not in ("TCP", "UDP", "SCTP", "ANY"):
                if proto in ("ICMP", "ICMPv6", "VRRP", "IGMP"):
                    continue  # not a TCP/UDP/SCTP port: outside the model, matches none of it
                raise ctx.error(f"{w}: invalid protocol {as_written(proto)}")
            protos = ("TCP", "UDP", "SCTP") if proto == "ANY" else (proto,)
            written = port = p["port"]
            if isinstance(port, bool) or not isinstance(port, int | str) or port == "":
                raise ctx.error(f"{w}: invalid port {as_written(port)}")
            end = p.get("endPort")
            # The CRDs' schema: endPort an integer from 0 to 65535 (nothing ties it to port).
            if end is not None and (isinstance(end, bool) or not isinstance(end, int)
                                    or not 0 <= end <= 65535):
                raise ctx.error(f"{w}: endPort {as_written(end)} must be a number from 0 to 65535")
            if isinstance(port, int):
                ctx.number_ports.append(w)
            if isinstance(port, str):
                if not _port_schema_ok(port):
                    raise ctx.error(f"{w}: port {as_written(port)} does not match the CRDs' pattern for a "
                                    "port (a number, or a name of letters, digits and single '-')")
                if not is_port_name(port):
                    number, why = parse_go_port(port)
                    if number is None:
                        if deny:
                            # Older agents validate no deny entry and read the port as 0 (every
                            # port: createL4Filter ignores the parse error); later ones refuse
                            # the policy.  Allow entries are refused by every release (above).
                            ctx.unsupported.append(
                                f'{w}: port "{port}" is no number to Cilium ({why}): releases that do not '
                                "validate deny entries deny every port with it, later ones reject the "
                                "policy, "
                                "and which release first does is not settled here")
                        continue
                    port = number
            if isinstance(port, int):
                if not 0 <= port <= 65535:
                    raise ctx.error(f"{w}: port {port} is out of range 0-65535")
                if end:
                    ctx.fields_1_16.append(f"{w}.endPort")
                # The agent reads an endPort at or below the port as that port alone, and port 0
                # with endPort 0 or 65535 as every port (PortRangeToMaskedPorts, pkg/policy).
                ranged = end if end and end > port and not (port == 0 and end == 65535) else None
                out.append(CiliumPort(port, ranged, protos))
            else:
                out.append(CiliumPort(port.lower(), None, protos))  # named ports: endPort is ignored
            key = _filter_key(port if isinstance(port, int) else port.lower(), written, end)
            if parser is not None:
                # ``createL4Filter`` gives an HTTP, Kafka or l7proto parser to TCP only (on
                # another protocol such rules are refused, except ``{l7proto: x}`` alone, which
                # holds no rule to refuse).
                parsers += [(parser, proto_one, key) for proto_one in protos
                            if proto_one == "TCP" or parser in ("dns", "crd", "tls")]
    return tuple(out), l7, tuple(dict.fromkeys(parsers))


def _fqdns(raw: list[Any], where: str, ctx: _Ctx) -> tuple[str, ...]:
    out = []
    for j, sel in enumerate(raw):
        w = f"{where}[{j}]"
        if not isinstance(sel, dict):
            raise ctx.error(f"{w} must be an object")
        given = [k for k in ("matchName", "matchPattern") if sel.get(k) is not None]
        if len(given) != 1:
            raise ctx.error(f"{w}: set exactly one of matchName and matchPattern")
        val = sel[given[0]]
        pattern = _FQDN_NAME if given[0] == "matchName" else _FQDN_PATTERN
        if not isinstance(val, str) or not pattern.fullmatch(val):
            raise ctx.error(f"{w}.{given[0]}: {as_written(val)} is not a DNS name"
                            + (" pattern" if given[0] == "matchPattern" else ""))
        out.append(val.lower())  # DNS names are case-insensitive
    return tuple(out)


def _services(raw: list[Any], where: str, ctx: _Ctx) -> tuple[CiliumServiceRef, ...]:
    out = []
    for j, item in enumerate(raw):
        w = f"{where}[{j}]"
        if not isinstance(item, dict):
            raise ctx.error(f"{w} must be an object")
        # As Cilium reads an item: the selector first, else the name; neither selects nothing.
        sel, ref = item.get("k8sServiceSelector"), item.get("k8sService")
        body = sel if sel is not None else ref
        if body is None:
            continue
        if not isinstance(body, dict):
            raise ctx.error(f"{w}: {'k8sServiceSelector' if sel is not None else 'k8sService'} must be an "
                            "object")
        ns = body.get("namespace")
        if ns is not None and not isinstance(ns, str):
            raise ctx.error(f"{w}: namespace must be a string")
        if sel is not None:
            if body.get("selector") is None:
                raise ctx.error(f"{w}.k8sServiceSelector.selector is required")
            selector = _selector(body["selector"], f"{w}.k8sServiceSelector.selector", ctx, identity=False)
            out.append(CiliumServiceRef(ns or None, selector=selector))
        else:
            name = body.get("serviceName")
            if name is not None and not isinstance(name, str):
                raise ctx.error(f"{w}.k8sService.serviceName must be a string")
            out.append(CiliumServiceRef(ns or None, name or None))
    return tuple(out)


#: The ICMP type names of Cilium's agent per family (pkg/policy/api/icmp.go).
_ICMP_NAMES: dict[str, frozenset[str]] = {
    "IPv4": frozenset((
        "EchoReply", "DestinationUnreachable", "Redirect", "Echo", "EchoRequest", "RouterAdvertisement",
        "RouterSelection", "TimeExceeded", "ParameterProblem", "Timestamp", "TimestampReply",
        "Photuris", "ExtendedEchoRequest", "ExtendedEchoReply")),
    "IPv6": frozenset((
        "DestinationUnreachable", "PacketTooBig", "TimeExceeded", "ParameterProblem", "EchoRequest",
        "EchoReply", "MulticastListenerQuery", "MulticastListenerReport", "MulticastListenerDone",
        "RouterSolicitation", "RouterAdvertisement", "NeighborSolicitation", "NeighborAdvertisement",
        "RedirectMessage", "RouterRenumbering", "ICMPNodeInformationQuery", "ICMPNodeInformationResponse",
        "InverseNeighborDiscoverySolicitation", "InverseNeighborDiscoveryAdvertisement",
        "HomeAgentAddressDiscoveryRequest", "HomeAgentAddressDiscoveryReply", "MobilePrefixSolicitation",
        "MobilePrefixAdvertisement", "DuplicateAddressRequestCodeSuffix",
        "DuplicateAddressConfirmationCodeSuffix", "ExtendedEchoRequest", "ExtendedEchoReply")),
}
#: The names the CRDs' pattern for ``type`` takes (the API server refuses any other). It is
#: the two lists in one, whatever the family (the agent refuses IPv4's Echo with IPv6), and
#: it says "ExtendedEcho Reply", with a space, for ExtendedEchoReply.
_ICMP_SCHEMA_NAMES = ((_ICMP_NAMES["IPv4"] | _ICMP_NAMES["IPv6"] | {"ExtendedEcho Reply"})
                      - {"ExtendedEchoReply"})
#: A type number as text, as the CRDs' pattern takes it (no sign, no leading zero).
_ICMP_NUMBER = re.compile(r"[0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5]")


def _check_icmps(raw: Any, where: str, ctx: _Ctx) -> None:
    """The shape the CRDs give ``icmps`` (a list of ``{fields: [{family, type}]}``, family IPv4
    or IPv6, type a number 0-255 or a name): any ``icmps`` makes its entry ICMP only, so one
    the API server would refuse (``icmps: x``) must not quietly turn an entry into nothing."""
    if raw is None:
        return
    if not isinstance(raw, list):
        raise ctx.error(f"{where} must be a list")
    for i, rule in enumerate(raw):
        fields = rule.get("fields") if isinstance(rule, dict) else rule
        if not isinstance(fields, list | None):
            raise ctx.error(f"{where}[{i}]" + (".fields must be a list" if isinstance(rule, dict)
                                                else " must be an object"))
        for j, f in enumerate(fields or ()):
            at = f"{where}[{i}].fields[{j}]"
            if not isinstance(f, dict):
                raise ctx.error(f"{at} must be an object")
            if f.get("family") not in (None, "IPv4", "IPv6"):
                raise ctx.error(f"{at}.family must be IPv4 or IPv6, not {as_written(f['family'])}")
            t = f.get("type")
            numbered = ((type(t) is int and 0 <= t <= 255)
                        or (isinstance(t, str) and _ICMP_NUMBER.fullmatch(t) is not None))
            if not (numbered or (isinstance(t, str) and t in _ICMP_SCHEMA_NAMES)):
                # An unknown name ('Bogus', 'echo') is refused by the API server, as 300 is.
                raise ctx.error(f"{at}.type must be an ICMP type number 0-255 or one of Cilium's ICMP "
                                "type names (EchoRequest, DestinationUnreachable, ...), not "
                                f"{as_written(t)}")
            family = f.get("family") or "IPv4"
            if not numbered and t not in _ICMP_NAMES[family]:
                # Past the schema, the agent's ICMPField.UnmarshalJSON looks the name up for its
                # family ('Echo' is IPv4's only) and refuses the whole policy.
                ctx.rejected = True
                ctx.unsupported.append(f"Cilium's agent rejects the policy ({at}.type: ICMP type {t} not "
                                       f"found in {family}), so it enforces nothing of it")


def _entries(raw: Any, where: str, ctx: _Ctx, ingress: bool, deny: bool) -> tuple[CiliumPeer, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ctx.error(f"{where} must be a list")
    names = _PEERS_IN if ingress else _PEERS_OUT if deny else (*_PEERS_OUT, "toFQDNs")
    out = []
    for i, e in enumerate(raw):
        w = f"{where}[{i}]"
        if e is None:
            e = {}
        if not isinstance(e, dict):
            raise ctx.error(f"{w} must be an object")
        requires: tuple[LabelSelector, ...] = ()
        req_key = "fromRequires" if ingress else "toRequires"
        if e.get(req_key) is not None:
            if not isinstance(e[req_key], list):
                raise ctx.error(f"{w}.{req_key} must be a list")
            requires = tuple(_required(s, f"{w}.{req_key}[{j}]", ctx) for j, s in enumerate(e[req_key]))
            if requires:
                ctx.requires.append(f"{w}.{req_key}")
        for k in _NOT_JUDGED:
            if e.get(k):
                ctx.unsupported.append(f"{w}.{k}" + (_NODES_WHY if k.endswith("Nodes") else ""))
            if k.endswith("Nodes") and e.get(k) is not None:
                ctx.fields_1_16.append(f"{w}.{k}")
        if e.get("toServices") is not None and (deny or not e["toServices"]):
            # Cilium resolves toServices in egress (allow) rules only, and an empty list leaves the
            # entry without a peer: how either is enforced is not settled here.
            ctx.unsupported.append(f"{w}.toServices" + (" in a deny entry" if deny else " is an empty list"))
        _check_icmps(e.get("icmps"), f"{w}.icmps", ctx)
        if not isinstance(e.get("toPorts"), list | None):  # 'toPorts: 0' would make it ICMP only
            raise ctx.error(f"{w}.toPorts must be a list")
        if e.get("icmps") and e.get("toPorts") and not deny:
            # ``IngressRule.Validate`` / ``EgressRule.Validate``: "the ICMPs block may only be
            # present without ToPorts" (deny entries are checked so only by later releases).
            ctx.rejected = True
            ctx.unsupported.append(f"Cilium's agent rejects the policy ({w}: the ICMPs block may only be "
                                   "present without ToPorts), so it enforces nothing of it")
        if e.get("icmps") and not e.get("toPorts"):
            # ICMP only: outside the TCP/UDP/SCTP model, so it allows (or denies) nothing here;
            # its requirements still restrict the other entries (Cilium collects them from
            # every entry, whatever its ports), so they are kept on a peer matching nothing.
            if requires:
                out.append(CiliumPeer(endpoints=(), ports=(), requires=requires))
            continue
        present = [k for k in names if k in e and e[k] is not None]
        if len(present) > 1:
            raise ctx.error(f"{w}: combining {present[0]} and {present[1]} is not supported (by Cilium "
                            "either)")
        # (Deny entries have no toFQDNs nor L7 part: known_fields dropped any.)
        ports, l7, parsers = _ports(e.get("toPorts"), f"{w}.toPorts", ctx, ingress, deny)
        peer = CiliumPeer(ports=ports, l7=l7, parsers=parsers)
        # An empty entry ``{}`` (no peer, no ports) allows nothing in every release read; it
        # only makes its direction apply, so the rule's default deny holds.  Cilium's agent
        # merges an L3-only entry only when it has a peer: before the rewrite ``mergeIngress``
        # / ``mergeEgress`` need ``len(fromEndpoints) > 0`` / ``len(toEndpoints) > 0``
        # (pkg/policy/rule.go); the rewritten engine (cilium#40213, "Replace api.Rule with
        # types.PolicyEntry", 2025) turns the missing peer into an empty non-nil L3 list
        # (``RulesToPolicyEntries``, pkg/policy/utils/parserules.go) and ``mergeL4Filter``
        # (pkg/policy/rule.go, both before and after policy tiers) merges an entry without
        # ports only when ``len(rule.L3) > 0``.  The connectivity suite agrees (cilium-cli
        # builder all_ingress_deny.go / all_egress_deny.go with manifests deny-all-*.yaml,
        # ``ingress: [{}]``: pod-to-pod dropped).  (``PolicyEntry.L3``'s doc comment, "all
        # endpoints if empty", holds only for an entry with ports.)  Releases before the
        # L3-only merge of cilium#7536 (2019) were not read.  Deny entries: the same code,
        # so ``ingressDeny: [{}]`` denies nothing.
        if present:
            k = present[0]
            val = e[k]
            if not isinstance(val, list):
                raise ctx.error(f"{w}.{k} must be a list")
            if k.endswith("Endpoints"):
                sels, reserved = [], []
                for j, s in enumerate(val):
                    at = f"{w}.{k}[{j}]"
                    ent = _reserved_entity(s, at, ctx)
                    if ent is None:
                        sels.append(_scoped(_selector(s, at, ctx), ctx, at))
                    elif ent:
                        reserved.append(ent)
                peer = CiliumPeer(endpoints=tuple(sels), ports=ports, l7=l7, parsers=parsers,
                                  reserved=tuple(dict.fromkeys(reserved)))
            elif k.endswith("CIDRSet"):
                peer = CiliumPeer(cidrs=_cidrs(val, f"{w}.{k}", ctx, True), ports=ports, l7=l7,
                                  parsers=parsers)
            elif k.endswith("CIDR"):
                peer = CiliumPeer(cidrs=_cidrs(val, f"{w}.{k}", ctx, False), ports=ports, l7=l7,
                                  parsers=parsers)
            elif k == "toServices":
                peer = CiliumPeer(services=_services(val, f"{w}.{k}", ctx), ports=ports, l7=l7,
                                  parsers=parsers)
            elif k == "toFQDNs":
                if not val:
                    # Whether Cilium reads an empty list as no peer or as no constraint is not
                    # settled here: the policy is not judged rather than judged one way.
                    ctx.unsupported.append(f"{w}.toFQDNs is an empty list")
                peer = CiliumPeer(fqdns=_fqdns(val, f"{w}.{k}", ctx), ports=ports, l7=l7, parsers=parsers)
            else:
                ents = []
                for ent in val:
                    if isinstance(ent, str) and ent in _REFUSED_ENTITIES:
                        raise ctx.error(_refused_entity(f"{w}.{k}", ent, k))
                    if not isinstance(ent, str) or ent not in ENTITIES:
                        if isinstance(ent, str) and ent in ("ingress", "health", "init", "unmanaged"):
                            ctx.unsupported.append(f"{w}.{k}: entity {as_written(ent)}")
                            continue
                        raise ctx.error(f"{w}.{k}: unknown entity {as_written(ent)}")
                    ents.append(ent)
                peer = CiliumPeer(entities=tuple(ents), ports=ports, l7=l7, parsers=parsers)
        out.append(replace(peer, requires=requires) if requires else peer)
    return tuple(out)


def _rule(raw: Any, where: str, ctx: _Ctx) -> CiliumRule | None:
    if not isinstance(raw, dict):
        raise ctx.error(f"{where} must be an object")
    has_ep, has_node = raw.get("endpointSelector") is not None, raw.get("nodeSelector") is not None
    if has_ep == has_node:
        raise ctx.error(f"{where}: set exactly one of endpointSelector and nodeSelector")
    if has_node:
        if ctx.namespace is not None:
            raise ctx.error(f"{where}: nodeSelector is only allowed in a CiliumClusterwideNetworkPolicy")
        return None
    sel = _selector(raw["endpointSelector"], f"{where}.endpointSelector", ctx)
    if ctx.namespace is not None:
        # Cilium pins a namespaced policy's subject to its namespace by setting the matchLabels
        # entry ``k8s:io.kubernetes.pod.namespace`` (overwriting one written so); the selector's
        # other requirements on the namespace (an unprefixed or ``any:`` key, expressions) stay,
        # ANDed with it.
        raw_labels = raw["endpointSelector"].get("matchLabels") if isinstance(
            raw["endpointSelector"], dict) else None
        also = tuple(
            Requirement(NAMESPACE_KEY, "In", (str(v),)) for k, v in (raw_labels or {}).items()
            if isinstance(k, str) and k in (NAMESPACE_KEY, f"any:{NAMESPACE_KEY}") and v != ctx.namespace
        )
        sel = LabelSelector(
            ((NAMESPACE_KEY, ctx.namespace), *((k, v) for k, v in sel.match_labels if k != NAMESPACE_KEY)),
            (*sel.match_expressions, *also),
        )
    lists = {
        name: _entries(raw.get(name), f"{where}.{name}", ctx, name.startswith("ingress"),
                       name.endswith("Deny"))
        for name in ("ingress", "ingressDeny", "egress", "egressDeny")
    }
    dd = raw.get("enableDefaultDeny")
    if dd is None:
        dd = {}
    if not isinstance(dd, dict):
        raise ctx.error(f"{where}.enableDefaultDeny must be an object")

    def default_deny(direction: str) -> bool:
        # A direction applies when the rule has entries for it; then it defaults to deny
        # unless enableDefaultDeny says false.
        raw_list = raw.get(direction)
        raw_deny = raw.get(f"{direction}Deny")
        enabled = bool(raw_list) or bool(raw_deny)
        flag = dd.get(direction)
        if flag is not None and not isinstance(flag, bool):
            raise ctx.error(f"{where}.enableDefaultDeny.{direction} must be true or false")
        return enabled and flag is not False

    return CiliumRule(sel, lists["ingress"], lists["ingressDeny"], lists["egress"], lists["egressDeny"],
                      default_deny("ingress"), default_deny("egress"), where)


def parse_cilium_policy(
    obj: Mapping[str, Any], source: str = "", warn: Callable[[LoadWarning], None] | None = None
) -> CiliumPolicy:
    """A CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy from its raw object; ``warn``
    receives an ``unknown-field`` warning for fields a rule does not have (read without them)."""
    kind = str(obj.get("kind"))
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    name = str(meta.get("name", ""))  # type: ignore[union-attr]
    ns = meta.get("namespace") if kind == "CiliumNetworkPolicy" else None  # type: ignore[union-attr]
    ref = f"{kind}/{ns}/{name}" if ns else f"{kind}/{name}"
    if kind == "CiliumNetworkPolicy" and not ns:
        raise PolicyError("a CiliumNetworkPolicy needs metadata.namespace", source=source, obj=ref)
    what = f"{kind} {obj.get('apiVersion')}"
    rules = {k: obj[k] for k in ("spec", "specs") if k in obj}
    body, dropped = known_fields(rules, _POLICY, "", what, source, ref, warn)
    with dropped_fields_named(dropped, what):
        return _policy(body, kind, name, ns, source, ref, str(obj.get("apiVersion")), warn)


def _policy(obj: Mapping[str, Any], kind: str, name: str, ns: Any, source: str, ref: str,
            api_version: str, warn: Callable[[LoadWarning], None] | None = None) -> CiliumPolicy:
    ctx = _Ctx(source, ref, str(ns) if ns else None)
    raws: list[tuple[str, Any]] = []
    if obj.get("spec") is not None:
        raws.append(("spec", obj["spec"]))
    specs = obj.get("specs")
    if specs is not None:
        if not isinstance(specs, list):
            raise ctx.error("specs must be a list")
        raws += [(f"specs[{i}]", s) for i, s in enumerate(specs)]
    if not raws:
        raise ctx.error("spec or specs is required")
    rules, host = [], 0
    for where, raw in raws:
        r = _rule(raw, where, ctx)
        if r is None:
            host += 1
            ctx.unsupported.append(f"{where}.nodeSelector (a host firewall rule: it governs nodes and "
                                   "hostNetwork pods, which k8sviz does not judge)")
        else:
            rules.append(r)
    if ctx.empty_rules and warn is not None:
        # Every agent reads an empty ``rules`` object as no L7 rules, so the policy is evaluated
        # so; but from Cilium 1.16 the API server refuses to store it (an object stored before
        # the CRDs were upgraded stays, and keeps being enforced), so a manifest holding one no
        # longer applies.
        warn(LoadWarning(
            "cilium-empty-l7-rules",
            f"{', '.join(ctx.empty_rules)} "
            f"{'is an empty object' if len(ctx.empty_rules) == 1 else 'are empty objects'}"
            ": Cilium's agents read it as no L7 rules (and so does k8sviz), but from Cilium 1.16 the CRDs' "
            "schema (a oneOf over http, kafka, dns and l7proto; http and dns from 1.20) refuses it, so the "
            "API server no longer "
            "accepts this policy as written; leave rules out, or give one kind of rules",
            source, ref))
    if ctx.number_ports and warn is not None:
        # kubectl and the API server refuse the policy ("must be of type string"), so it was
        # never applied as written (a live snapshot only holds strings); the number is the port
        # the quoted form names, and is judged so.
        warn(LoadWarning(
            "cilium-port-not-string",
            f"{', '.join(p + '.port' for p in ctx.number_ports)}: a number where the CRDs' schema wants a "
            "string "
            '(port: "80"), so the API server refuses this policy as written; judged as the port it names',
            source, ref))
    if ctx.number_labels and warn is not None:
        # As for ports: the API server refuses the policy as written ("must be of type
        # string"); a label value is compared as the text YAML wrote (1.5 as "1.5").
        warn(LoadWarning(
            "invalid-selector-label",
            f"{', '.join(ctx.number_labels)}: a label value that is not a string, where the CRDs' schema "
            "wants one, so the API server refuses this policy as written; compared as the text it reads as",
            source, ref))
    if ctx.host_bits and warn is not None:
        # Cilium's agent parses each CIDR to its prefix (the address masked); the API server
        # checks only the pattern. So `10.0.0.1/8` is all of 10.0.0.0/8, likely not what was meant.
        warn(LoadWarning(
            "cidr-host-bits",
            f"{'; '.join(ctx.host_bits)}: host bits set; Cilium masks them, so each block is widened to "
            "its network", source, ref))
    return CiliumPolicy(kind, ctx.namespace, name, tuple(rules), host, tuple(ctx.unsupported), api_version,
                        ctx.rejected, tuple(ctx.fields_1_16), tuple(ctx.fields_removed_1_20),
                        tuple(ctx.requires))


def _map_entries(obj: Mapping[str, Any], entry: Callable[[Any], Any]) -> dict[str, Any]:
    """The object with ``entry`` applied to every ingress/egress (deny) entry of each rule."""
    def rule(r: Any) -> Any:
        if not isinstance(r, dict):
            return r
        return {**r,
                **{k: [entry(e) for e in r[k]] for k in ("ingress", "ingressDeny", "egress", "egressDeny")
                        if isinstance(r.get(k), list)}}

    out = dict(obj)
    if "spec" in out:
        out["spec"] = rule(out["spec"])
    if isinstance(out.get("specs"), list):
        out["specs"] = [rule(r) for r in out["specs"]]
    return out


#: The first Cilium release whose port type has ``endPort`` (port ranges, cilium#32389) and
#: whose entries have ``fromNodes``/``toNodes``.
RELEASE_1_16 = (1, 16)


def as_stored_before_1_16(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A Cilium policy object as an API server of a release before 1.16 stores it: every
    ``toPorts`` port without ``endPort``, every entry without ``fromNodes``/``toNodes``.

    Those releases' CRDs (``apiextensions.k8s.io/v1``, so structural and pruned) have no such
    fields and nothing there that preserves unknown fields, so the server drops them; their
    agents' Go types have no such fields either.  Each such port is its ``port`` alone; an entry
    that named nodes keeps its other fields (so ``{toNodes: [...], toPorts: [...]}`` becomes
    ports for every peer)."""
    def entry(e: Any) -> Any:
        if isinstance(e, dict) and ("fromNodes" in e or "toNodes" in e):
            e = {k: v for k, v in e.items() if k not in ("fromNodes", "toNodes")}
        if not isinstance(e, dict) or not isinstance(e.get("toPorts"), list):
            return e
        items = [{**pr, "ports": [{k: v for k, v in p.items() if k != "endPort"} if isinstance(p, dict) else p
                                  for p in pr["ports"]]}
                 if isinstance(pr, dict) and isinstance(pr.get("ports"), list) else pr
                 for pr in e["toPorts"]]
        return {**e, "toPorts": items}

    return _map_entries(obj, entry)


#: The first Cilium release whose policy types and CRDs have no Kafka rules nor generic L7
#: rules (``l7proto`` with its ``l7`` pairs): cilium#43557 ("proxy: Remove proxylib support",
#: which dropped Kafka-aware policies) and cilium#44610 ("policy: Remove generic L7 policy
#: support": "Kafka, L7Proto and L7 fields are removed from CNP and CCNP CRDs"), after Kafka
#: policies were announced deprecated for removal in 1.20 (cilium#40967's release note).
RELEASE_1_20 = (1, 20)
#: The first Cilium release without ``fromRequires`` / ``toRequires``: cilium#42615 ("policy:
#: Remove support for FromRequires and ToRequires", released in 1.19, whose upgrade notes say
#: the fields "have been removed") dropped them from the agent, and cilium#43167 (1.19,
#: closing the 1.19 release blocker cilium#43088, "Reject policies with FromRequires or
#: ToRequires set") put them back into the CRDs as deprecated with ``MaxItems=0``, so the API
#: server refuses a policy that gives any.  (Deprecated in the docs from 1.17, cilium#36649.)
RELEASE_1_19 = (1, 19)
#: The ``rules`` fields those releases no longer have.
_REMOVED_1_20 = ("kafka", "l7proto", "l7")


def as_stored_from_1_20(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A Cilium policy object as an API server of Cilium 1.20 or later serves it: every
    ``toPorts`` item's ``rules`` without ``kafka``, ``l7proto`` and ``l7``.

    Those releases' CRDs (structural, pruned) no longer have these fields, and the API server
    prunes unknown fields whenever it decodes a custom resource, from a request and from etcd
    alike (kubernetes apiextensions-apiserver, pkg/apiserver/customresource_handler.go: the
    storage codec's ``schemaCoercingDecoder``, "drop invalid fields while decoding old CRs"),
    so a policy stored before the upgrade is read without them; the agents' Go types lack
    them too.  A ``rules`` object left empty stays (``rules: {}``): no L7 rules, so the item
    allows its ports for every request.  (Written anew, such a policy is refused: pruned to
    ``rules: {}``, it matches no branch of the CRDs' oneOf.)"""
    def entry(e: Any) -> Any:
        if not isinstance(e, dict) or not isinstance(e.get("toPorts"), list):
            return e
        items = [{**pr, "rules": {k: v for k, v in pr["rules"].items() if k not in _REMOVED_1_20}}
                 if isinstance(pr, dict) and isinstance(pr.get("rules"), dict) else pr
                 for pr in e["toPorts"]]
        return {**e, "toPorts": items}

    return _map_entries(obj, entry)


# ------------------------------------------------------------------------------ L7 parser clashes


@dataclass(frozen=True, slots=True)
class L7Clash:
    """Two allow entries that give the pods of one identity two L7 parsers on one port, which
    Cilium's agent cannot merge: it fails to compute those pods' policy."""

    pods: tuple[str, ...]
    #: (policy ref, entry path, parser) of each entry
    first: tuple[str, str, str]
    second: tuple[str, str, str]
    protocol: str
    port: str
    #: The entries give one peer selector both parsers: a clash in every release (from 1.13
    #: where one is ``tls``).  Otherwise only up to 1.17, whose agents keep one parser per port
    #: whatever the peers.
    one_peer: bool


#: The selectors an entity stands for (``EntitySelectorMapping``, ``InitEntities``:
#: pkg/policy/api/entity.go); ``all`` is the wildcard selector an entry without a peer gets.
_ENTITY_SELECTORS = {
    "world": ("world", "world-ipv4", "world-ipv6"),
    "cluster": ("host", "remote-node", "init", "ingress", "health", "unmanaged", "kube-apiserver",
                "cluster-name"),
}


def _peer_keys(peer: CiliumPeer) -> tuple[tuple[object, ...], ...]:
    """The peer selectors an entry's L7 rules are kept under (the agent's cached selectors),
    as comparable keys: a selector as written after pinning, an entity's reserved labels."""
    keys: list[tuple[object, ...]] = []
    if peer.endpoints is not None:
        keys += [("selector", tuple(sorted(s.match_labels)),
                  tuple(sorted(str(r) for r in s.match_expressions))) for s in peer.endpoints]
        keys += [("reserved", e) for e in peer.reserved]
    elif peer.entities is not None:
        for e in peer.entities:
            keys += [("all",)] if e == "all" else [("reserved", x) for x in _ENTITY_SELECTORS.get(e, (e,))]
    elif peer.cidrs is not None:
        keys += [("cidr", str(b)) for b in peer.cidrs]
    elif peer.fqdns is not None:
        keys += [("fqdn", n) for n in peer.fqdns]
    elif peer.services is not None:
        keys += [("service", str(r)) for r in peer.services]
    else:
        keys.append(("all",))
    return tuple(keys)


def _parsers_merge(a: str, b: str) -> bool:
    """Whether the agent merges two L7 parsers on one port (``L7ParserType.Merge``,
    pkg/policy/l4.go): equal ones, and ``tls`` with any parser but ``dns`` and ``crd`` (the
    TLS-only proxy is promoted to the HTTP, Kafka or proxylib one beside it)."""
    if a == b:
        return True
    return "tls" in (a, b) and not {a, b} & {"dns", "crd"}


def l7_parser_clashes(policies: Iterable[CiliumPolicy], pods: Iterable[Any],
                      ns_labels: Mapping[str, Mapping[str, str]], release: tuple[int, int] | None
                      ) -> list[L7Clash]:
    """Where the policies give a running pod two L7 parsers on one port, per direction.

    Cilium's agent computes one policy per identity from every rule selecting it and merges
    the rules' L7 parts per port and protocol (``mergePortProto``, pkg/policy/rule.go); two
    parsers it cannot merge (:func:`_parsers_merge`) fail it, "cannot merge conflicting L7
    parsers", and with it the whole policy of the identity.  A TLS-only entry's ``tls`` parser
    exists from 1.13; with an earlier known ``release`` it takes no part.  Up to 1.17 the parser belongs to
    the port, whatever the peers; from 1.18 (cilium#37887, "Move L7 parser type to PerSelectorPolicy";
    rule_test.go's case 9 then asks for the same selector) to each peer selector on it.  ``release`` None:
    both readings, the clash marked ``one_peer`` when it holds in every release.  A policy
    the agent rejects takes no part; a rule that selects no running pod fails nothing."""
    # Before 1.13 an item with TLS contexts and no rules redirected nowhere (no parser).
    tls_parser = release is None or release >= (1, 13)
    cands = [(pol, f"{rule.where}.{direction}[{i}]", direction, ps, _peer_keys(e), rule.endpoint_selector)
             for pol in policies if not pol.rejected for rule in pol.rules
             for direction, entries in (("ingress", rule.ingress), ("egress", rule.egress))
             for i, e in enumerate(entries)
             if (ps := tuple(x for x in e.parsers if tls_parser or x[0] != "tls"))]
    if not cands:
        return []
    identities: dict[tuple[object, ...], list[Any]] = {}
    for p in pods:
        if not p.host_network and not p.terminated:
            key = (p.namespace, tuple(sorted(p.labels.items())), p.service_account or "default")
            identities.setdefault(key, []).append(p)
    per_port = release is None or release < (1, 18)
    found: dict[tuple[object, ...], tuple[L7Clash, list[str]]] = {}
    for members in identities.values():
        first = members[0]
        labels = ns_labels.get(first.namespace, {"kubernetes.io/metadata.name": first.namespace})
        view = pod_view(first, labels)
        chosen = [c for c in cands if c[5].matches(view)]
        passes = [True, False] if per_port else [True]
        for one_peer in passes:
            # Per port (and peer): the first entry giving each parser, so that every pair the
            # agent cannot merge is found whatever the order (tls, http, kafka: http/kafka).
            seen: dict[tuple[object, ...], dict[str, tuple[str, str, str]]] = {}
            for pol, where, direction, parsers, peer_keys, _ in chosen:
                for parser, proto, port in parsers:
                    for pk in peer_keys if one_peer else ((),):
                        origin = (pol.ref, where, parser)
                        given = seen.setdefault((direction, proto, port, pk), {})
                        for other in list(given.values()):
                            if _parsers_merge(other[2], parser):
                                continue
                            pair = (other[:2], origin[:2])
                            if pair in found:
                                found[pair][1].extend(m.key for m in members)
                            else:
                                clash = L7Clash((), other, origin, proto, port, one_peer)
                                found[pair] = (clash, [m.key for m in members])
                        given.setdefault(parser, origin)
    return [L7Clash(tuple(dict.fromkeys(keys)), c.first, c.second, c.protocol, c.port, c.one_peer)
            for c, keys in found.values()]
