"""Translator: CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy -> core rules.

Cilium keeps every policy in one repository with Kubernetes NetworkPolicies, so its rules go
to the NetworkPolicy tier (``K8S_TIER``):

* denies first (priority -1): a deny wins whatever allows it;
* allows with the NetworkPolicy allows (priority 0): allows add up;
* a closing deny (priority 1) for each endpoint a rule puts in default deny: a rule with
  entries for a direction (``ingress`` or ``ingressDeny``) does, unless its
  ``enableDefaultDeny`` says false.

Peers: ``fromEndpoints``/``toEndpoints`` select pods (a namespaced policy's selectors are
pinned to its namespace unless they name one; a lone ``reserved:host``, ``reserved:remote-node``,
``reserved:none``, ``reserved:kube-apiserver``, ``reserved:world-ipv4`` or
``reserved:world-ipv6`` label is that entity, unpinned, and a lone ``reserved:world``, judged
only where pods show dual-stack agents, matches nothing), CIDRs match outside addresses only (Cilium's
CIDR rules never match pods or nodes), entities ``all``, ``world`` (every outside address, whichever
of its three labels the agents give), ``cluster``, ``kube-apiserver`` (the default/kubernetes endpoint
addresses), ``host`` (the subject pod's own node: its addresses and hostNetwork pods, which carry its
identity) and ``remote-node`` (every other node), the last two as one rule per node the subject pods run on.
``toFQDNs`` allows the addresses that DNS answered the pod for its names; like a CIDR rule it never selects
pods or nodes (Cilium's docs: DNS-based rules select "remote, non-cluster peers" and share the limits of CIDR
rules).  A snapshot holds no DNS answers, so such a peer matches no address here.  Its rule still counts (it
puts the pod in default deny for egress, as any egress rule does), the policy's other rules are evaluated, and
``translate_cilium`` returns these rules apart, with the outside addresses they could match, so
that explanations can say which denied connection one might allow.  ``toServices`` becomes, as
Cilium generates it, a CIDR rule per endpoint address of each named Service without a selector,
and from Cilium 1.17 the pods of each one with a selector (when the snapshot does not show the
release, a policy naming such a Service is left unevaluated).  An entry with ports and no peer
matches every peer; an empty entry ``{}`` matches nothing (its rule's default deny still
holds: see ``cilium_objects._entries``).  L7 rules allow at L3/L4 and filter in the proxy.
A named port resolves on the destination pod for ingress; for egress, up to Cilium 1.19 (and
when the snapshot does not show the release), on the cluster's pods as a whole, the one number
they give the name allowed to every peer (:func:`resolve_egress_named_ports`), NetworkPolicies
Cilium enforces included; from 1.20, on the destination.

``fromRequires`` / ``toRequires`` (Cilium up to 1.18; removed in 1.19, where the snapshot leaves
such a policy unevaluated): the requirements of every rule selecting a pod are ANDed into the
endpoint selectors of all the entries of the same kind (allow, deny) of those rules, whatever
policy holds them, NetworkPolicies included (the agent turns their pod and namespace selectors
into endpoint selectors of the same repository: :func:`requires_on_networkpolicies`);
entities, CIDRs (a NetworkPolicy's ipBlocks), DNS names, Services and entries without a peer
are left alone (see :class:`_Requires`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from ..cilium_objects import APISERVER_SERVICE, NAMESPACE_KEY, CiliumPeer, CiliumPolicy, services_named
from ..model import EndpointSlice, IPBlock, LabelSelector, LoadWarning, Namespace, Node, Pod, Service
from .endpoints import Endpoints
from .engine import CoreRule, EndpointSet, PortSel, RuleOrigin
from .k8s import K8S_TIER
from .ports import MAX_PORT, PortSpace, named_port_cuts

__all__ = ["apiserver_addresses", "apiserver_not_ready", "cilium_blocks", "cilium_fqdn_warnings",
           "cilium_named_ports", "cilium_port_cuts", "egress_named_ports_cluster_wide",
           "requires_on_networkpolicies", "resolve_egress_named_ports", "translate_cilium"]


def _peers(policies: Iterable[CiliumPolicy]) -> Iterable[CiliumPeer]:
    for p in policies:
        for r in p.rules:
            yield from (*r.ingress, *r.ingress_deny, *r.egress, *r.egress_deny)


Slices = Mapping[tuple[str, str], Sequence[EndpointSlice]]


def service_addresses(peer: CiliumPeer, services: Sequence[Service], slices: Slices) -> list[str]:
    """The ready endpoint addresses of the Services without a selector that a ``toServices``
    peer names (those with one: :func:`service_selectors`)."""
    return [a for svc in services_named(peer.services or (), services) if not svc.selector
            for es in slices.get((svc.namespace, svc.name), ()) for a in es.addresses
            if a not in es.not_ready]


def service_selectors(peer: CiliumPeer, services: Sequence[Service], release: tuple[int, int] | None
                      ) -> list[LabelSelector]:
    """The pods of the Services with a selector that a ``toServices`` peer names: Cilium 1.17
    and later copy each Service's selector, pinned to its namespace; earlier releases nothing."""
    if release is None or release < (1, 17):
        return []
    return [LabelSelector(tuple(sorted({**svc.selector, NAMESPACE_KEY: svc.namespace}.items())), ())
            for svc in services_named(peer.services or (), services) if svc.selector]


def apiserver_addresses(slices: Slices) -> list[str]:
    """The addresses that carry the ``kube-apiserver`` identity: those of the
    ``default/kubernetes`` EndpointSlices (a policy naming the entity is judged only when they
    are all ready, see ``Snapshot._mark_cilium_apiserver``)."""
    return list(dict.fromkeys(str(ipaddress.ip_address(a)) for es in slices.get(APISERVER_SERVICE, ())
                              for a in es.addresses if a not in es.not_ready))


def apiserver_not_ready(slices: Slices) -> list[str]:
    """The addresses of ``default/kubernetes`` endpoints that are not ready, which
    :func:`apiserver_addresses` leaves out: releases differ on whether they carry the identity,
    so where there are any a policy naming the entity is not judged."""
    return sorted({str(ipaddress.ip_address(a)) for es in slices.get(APISERVER_SERVICE, ())
                   for a in es.not_ready})


def uses_apiserver(policies: Iterable[CiliumPolicy]) -> bool:
    return any(p.apiserver_entities for p in policies)


def cilium_blocks(policies: Sequence[CiliumPolicy], nodes: Sequence[Node], services: Sequence[Service] = (),
                  slices: Slices | None = None) -> list[IPBlock]:
    """CIDRs to cut the IP space at (``toServices`` endpoints and the API server's addresses
    included), and every node address (their identity is not "world")."""
    out = [c for peer in _peers(policies) for c in peer.cidrs or ()]
    if uses_apiserver(policies):
        out += [IPBlock.host(a) for a in apiserver_addresses(slices or {})]
    seen: set[tuple[object, ...]] = set()  # policies often name the same Services
    for peer in _peers(policies):
        if peer.services and peer.services not in seen:
            seen.add(peer.services)
            out += [IPBlock.host(a) for a in service_addresses(peer, services, slices or {})]
    if policies:
        out += [IPBlock.host(ip) for n in nodes for ip in n.addresses]
    return out


def cilium_named_ports(policies: Sequence[CiliumPolicy]) -> set[tuple[str, str]]:
    return {
        (str(pp.port), proto)
        for peer in _peers(policies)
        for pp in peer.ports or ()
        if isinstance(pp.port, str)
        for proto in pp.protocols
    }


def cilium_port_cuts(policies: Sequence[CiliumPolicy], pods: Iterable[Pod]) -> dict[str, set[int]]:
    cuts: dict[str, set[int]] = {}
    for peer in _peers(policies):
        for pp in peer.ports or ():
            if isinstance(pp.port, int) and (pp.port > 0 or pp.end):
                for proto in pp.protocols:
                    cuts.setdefault(proto, set()).update((max(pp.port, 1),
                                                          min(pp.end or pp.port, MAX_PORT) + 1))
    return named_port_cuts(cuts, pods, cilium_named_ports(policies))


#: The first Cilium release that resolves the named port of an egress rule on each destination
#: (cilium#44429, "Resolve named ports for egress policies based on destination identities",
#: and cilium#45760, which expands such rules "to per-identity policies").
EGRESS_NAMED_PER_DESTINATION = (1, 20)


def egress_named_ports_cluster_wide(release: tuple[int, int] | None) -> bool:
    """Whether Cilium of ``release`` resolves an egress rule's named port over the cluster's
    pods: every release from 1.9 (cilium#12567) to 1.19, and so a snapshot that does not show
    the release."""
    return release is None or release < EGRESS_NAMED_PER_DESTINATION


def resolve_egress_named_ports(rules: Iterable[CoreRule], pods: Sequence[Pod], space: PortSpace
                               ) -> dict[tuple[str, str], tuple[int, ...]]:
    """Turn the named ports of egress ``rules`` into the numbers Cilium up to 1.19 allows.

    Its agent resolves the named port of an egress rule over the named ports of every pod of
    the cluster (``Endpoint.GetNamedPort``, pkg/endpoint: "egress needs named ports of all the
    pods"), not the destination's: ``NamedPortMultiMap.GetNamedPort`` (pkg/policy/types) gives
    the one number pods give the name for that protocol, allowed to every peer of the rule
    whether it names the port or not, outside addresses included; where pods give it several
    (``ErrDuplicateNamedPorts``) or none, the port allows nothing (cilium#12567: "For egress the
    policy rule using the conflicting port is now ignored"; cilium#30003).  A pod's names are
    its agent's map (the last container naming one wins); hostNetwork pods are no endpoints and
    terminated ones are gone.  Returns the numbers found for each ``(name, protocol)`` the
    egress rules name.
    """
    numbers: dict[tuple[str, str], set[int]] = {}
    for p in pods:
        if p.host_network or p.terminated:
            continue
        for key, nums in p.cilium_named_ports.items():
            numbers.setdefault(key, set()).update(nums)
    used: dict[tuple[str, str], tuple[int, ...]] = {}
    for r in rules:
        if r.direction != "egress" or not r.ports.named:
            continue
        bits = r.ports.bits
        for name, proto in r.ports.named:
            found = numbers.get((name, proto), set())
            used[(name, proto)] = tuple(sorted(found))
            if len(found) == 1:
                (port,) = found
                bits |= space.range_bits(proto, port, port)
        # Rules keep their own PortSel: a shared one is replaced here, never changed.
        r.ports = PortSel(bits, (), r.ports.not_bits, r.ports.not_named)
    return used


def _addresses(p: Pod) -> tuple[str, ...]:
    """A pod's addresses, normalised (a hostNetwork pod's are its node's)."""
    return tuple(str(ipaddress.ip_address(ip)) for ip in (*p.ips, *((p.host_ip,) if p.host_ip else ())))


class _Cilium:
    """Entity sets for Cilium's peers over the engine's entities (pods, then outside atoms)."""

    def __init__(self, ends: Endpoints, pods: Sequence[Pod], namespaces: Sequence[Namespace],
                 nodes: Sequence[Node], services: Sequence[Service] = (), slices: Slices | None = None,
                 release: tuple[int, int] | None = None):
        self.ends = ends
        self.services, self.slices, self.release = services, slices or {}, release
        self.n = ends.n
        n_pods = ends.n_pods
        # Pods are matched by identity, one per label class of the endpoints (built with
        # cilium_identities, so a class shares namespace, labels and ServiceAccount).
        self.cls = ends.ent_lc[:n_pods]
        host = np.zeros(self.n, dtype=bool)
        for i, p in enumerate(pods):
            if p.host_network:
                host[i] = True  # the node's identity: host / remote-node
        node_atoms = np.zeros(self.n, dtype=bool)
        for n in nodes:
            for ip in n.addresses:
                node_atoms[ends.ips.block_atoms(IPBlock.host(ip)) + n_pods] = True
        self.host = host | node_atoms
        # Each node's own identity (its addresses, its hostNetwork pods), and each pod's node:
        # "host" is the pod's own node, "remote-node" every other.
        self.node_of: list[str | None] = [p.node if not p.host_network else None for p in pods]
        own: dict[str, list[int]] = {}
        for n in nodes:
            for ip in n.addresses:
                own.setdefault(n.name, []).extend((ends.ips.block_atoms(IPBlock.host(ip)) + n_pods).tolist())
        for i, p in enumerate(pods):
            if p.host_network and p.node:
                own.setdefault(p.node, []).append(i)
        self.host_of = {name: np.unique(np.asarray(ents, dtype=np.int64)) for name, ents in own.items()}
        outside = np.zeros(self.n, dtype=bool)
        outside[n_pods:] = True
        self.world = outside & ~node_atoms
        self.world4 = self.world.copy()
        for a, cidr in enumerate(ends.ips.cidrs):
            if ipaddress.ip_network(cidr).version == 6:
                self.world4[n_pods + a] = False
        self.pods = np.zeros(self.n, dtype=bool)
        self.pods[:n_pods] = True
        self._cache: dict[object, np.ndarray] = {}
        self._apiserver(pods, nodes)

    def _apiserver(self, pods: Sequence[Pod], nodes: Sequence[Node]) -> None:
        """Where the ``kube-apiserver`` identity is.  The agent adds ``reserved:kube-apiserver``
        to the labels of each address of the default/kubernetes endpoints (pkg/ipcache,
        metadata.go ``resolveIdentity``): an outside address keeps its world and CIDR labels
        beside it; a remote node's address becomes identity 7 (kube-apiserver and
        remote-node), that address alone; an address of the agent's own node adds the label to
        the host identity, which every address of that node and its hostNetwork pods share."""
        n_pods = self.ends.n_pods
        self.apiserver = apiserver_addresses(self.slices)
        wanted = {ipaddress.ip_address(a) for a in self.apiserver}
        owner: dict[object, str] = {}
        for n in nodes:
            for ip in n.addresses:
                owner.setdefault(ipaddress.ip_address(ip), n.name)
        self.api_world = np.zeros(self.n, dtype=bool)
        #: Per node, what of it a pod elsewhere sees as the API server; under None the
        #: hostNetwork pods whose node the snapshot does not say (remote to every pod).
        self.api_remote: dict[str | None, np.ndarray] = {}
        for a in self.apiserver:
            atoms = self.ends.ips.block_atoms(IPBlock.host(a)) + n_pods
            name = owner.get(ipaddress.ip_address(a))
            if name is None:  # outside the nodes, as the engine places addresses
                self.api_world[atoms] = True
            else:
                self.api_remote[name] = np.union1d(self.api_remote.get(name, np.zeros(0, dtype=np.int64)),
                                                   atoms)
        for i, p in enumerate(pods):
            if p.host_network and any(ipaddress.ip_address(ip) in wanted for ip in _addresses(p)):
                self.api_remote[p.node] = np.union1d(self.api_remote.get(p.node, np.zeros(0, dtype=np.int64)),
                                                     [i])
        self.api_world &= self.world

    def world_label(self, name: str) -> np.ndarray:
        """The outside addresses whose identity carries ``reserved:<name>`` (``world``,
        ``world-ipv4`` or ``world-ipv6``) where the agents run both IP families, the only case
        in which a policy depending on these labels is judged (the snapshot leaves it
        unevaluated otherwise): there each address carries its family's label, and none
        ``reserved:world`` (``AddWorldLabel``, pkg/labels/cidr.go)."""
        if name == "world-ipv4":
            return self.world4.copy()
        if name == "world-ipv6":
            return self.world & ~self.world4
        return np.zeros(self.n, dtype=bool)

    def apiserver_text(self) -> str:
        where = ", ".join(self.apiserver) or "no address"
        return f"the kube-apiserver entity: {where} from default/kubernetes EndpointSlices"

    def selected(self, sel: LabelSelector) -> np.ndarray:
        hit = self._cache.get(sel)
        if hit is None:
            ok = self.ends.identity_selector(sel)
            hit = np.zeros(self.n, dtype=bool)
            has = self.cls >= 0
            if len(ok):
                hit[: len(self.cls)][has] = ok[self.cls[has]]
            self._cache[sel] = hit
        return hit

    def peer(self, peer: CiliumPeer) -> np.ndarray | None:
        """Entities the entry's peer matches; None: every peer."""
        if peer.fqdns is not None:
            return np.zeros(self.n, dtype=bool)  # no DNS answers in a snapshot
        if peer.services is not None:
            hit = self._cache.get(peer.services)
            if hit is None:
                # Generated CIDR rules: like any CIDR rule, outside addresses only.
                hit = np.zeros(self.n, dtype=bool)
                for a in service_addresses(peer, self.services, self.slices):
                    hit[self.ends.ips.block_atoms(IPBlock.host(a)) + self.ends.n_pods] = True
                hit &= self.world
                for sel in service_selectors(peer, self.services, self.release):
                    hit |= self.selected(sel)  # the Service's pods (1.17 and later)
                self._cache[peer.services] = hit
            return hit.copy()
        if peer.endpoints is not None:
            m = np.zeros(self.n, dtype=bool)
            for sel in peer.endpoints:
                m |= self.selected(sel)
            if "kube-apiserver" in peer.reserved:
                m |= self.api_world
            for label in peer.reserved:
                if label in ("world", "world-ipv4", "world-ipv6"):
                    m |= self.world_label(label)
            return m  # its reserved host / remote-node / kube-apiserver: see by_node ("none" selects nothing)
        if peer.cidrs is not None:
            m = np.zeros(self.n, dtype=bool)
            for block in peer.cidrs:
                m[self.ends.ips.block_atoms(block) + self.ends.n_pods] = True
            return m & self.world  # CIDR rules never match pods or nodes
        if peer.entities is not None:
            if "all" in peer.entities:
                return None
            m = np.zeros(self.n, dtype=bool)
            for ent in peer.entities:
                if ent == "world":
                    m |= self.world  # all three world labels: whichever the agents give
                elif ent in ("world-ipv4", "world-ipv6"):
                    # Only a hand-built peer names these (the API server refuses them as
                    # entities); the agent maps each to its one reserved label.
                    m |= self.world_label(ent)
                elif ent == "cluster":
                    # Its selectors include the kube-apiserver one, which an outside API
                    # server's addresses match; those on nodes are nodes anyway.
                    m |= self.pods | self.host | self.api_world
                elif ent == "kube-apiserver":
                    m |= self.api_world
                # "host", "remote-node" and kube-apiserver on nodes depend on the subject's node: see by_node.
            return m
        return None

    def node_entities(self, peer: CiliumPeer) -> tuple[bool, bool, bool]:
        """Whether the peer names the ``host``, the ``remote-node`` and (where the API server
        runs on nodes) the ``kube-apiserver`` entity (without ``all``), as an entity or as a
        lone reserved label among its endpoint selectors."""
        ents = (*(peer.entities or ()), *peer.reserved)
        if "all" in ents:
            return False, False, False
        return "host" in ents, "remote-node" in ents, "kube-apiserver" in ents and bool(self.api_remote)

    def by_node(self, subject: np.ndarray, host: bool, remote: bool,
                apiserver: bool = False) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(subject pods, peers)`` per node the subject pods run on: their own node's identity
        for ``host``, every other node's for ``remote-node``; for ``apiserver``, their own
        node's whole identity if the API server has an address there, and the API server's
        addresses (and the hostNetwork pods holding them) on every other node.  A pod whose
        node the snapshot does not say has no known own node: every node is remote to it."""
        groups: dict[str | None, list[int]] = {}
        for i in subject.tolist():
            groups.setdefault(self.node_of[i], []).append(i)
        every = np.flatnonzero(self.host)
        none = np.zeros(0, dtype=np.int64)
        out = []
        for node, pods in groups.items():
            mine = self.host_of.get(node, none) if node else none
            parts = ([mine] if host else []) + ([np.setdiff1d(every, mine)] if remote else [])
            if apiserver:
                parts += [ents for name, ents in self.api_remote.items() if name is None or name != node]
                if node in self.api_remote:
                    parts.append(mine)
            peer = np.unique(np.concatenate(parts or [none])).astype(np.int64)
            if len(peer):
                out.append((np.asarray(pods, dtype=np.int64), peer))
        return out


class _Requires:
    """The ``fromRequires`` / ``toRequires`` of the rules, as Cilium up to 1.18 applies them.

    ``resolveL4IngressPolicy`` / ``resolveL4EgressPolicy`` (pkg/policy/rules.go; before
    1.12 or so ``Repository.ResolveL4IngressPolicy``, pkg/policy/repository.go) gather, for
    the identity whose policy they compute, the requirements of every entry of every rule
    selecting it: the ``ingress`` (``egress``) entries' into one list, the ``ingressDeny``
    (``egressDeny``) entries' into another (``requirementsDeny``, from the deny rules of
    1.9).  Every rule of the repository counts, whatever policy holds it
    (CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy, and the NetworkPolicies the agent
    enforces: :func:`requires_on_networkpolicies`).  ``resolveIngressPolicy`` /
    ``resolveEgressPolicy`` (pkg/policy/rule.go) then pass the allow list to each allow
    entry's ``GetSourceEndpointSelectorsWithRequirements`` (``GetDestination...``,
    pkg/policy/api/ingress.go, egress.go), the deny list to each deny entry's, which AND it
    into each of the entry's ``fromEndpoints`` / ``toEndpoints`` selectors and leave the
    entities and CIDRs (the "aggregated selectors") and an entry without endpoint selectors
    (ports for every peer) as they are.  An entry giving requirements and no peer merges
    nothing (``mergeIngress`` needs endpoint selectors for an L3-only entry), so it allows or
    denies nothing itself, while its section still puts the pods in default deny."""

    def __init__(self, policies: Sequence[CiliumPolicy], c: _Cilium):
        #: (direction, action) -> [(pods the rule selects, its requirements, where it is)]
        self.by: dict[tuple[str, str], list[tuple[np.ndarray, tuple[LabelSelector, ...], str]]] = {}
        for pol in policies:
            for k, rule in enumerate(pol.rules):
                for direction, allows, denies in (("ingress", rule.ingress, rule.ingress_deny),
                                                  ("egress", rule.egress, rule.egress_deny)):
                    for action, entries in (("allow", allows), ("deny", denies)):
                        sels = tuple(dict.fromkeys(s for e in entries for s in e.requires))
                        if sels:
                            where = pol.ref + (f" specs[{k}]" if len(pol.rules) > 1 else "")
                            self.by.setdefault((direction, action), []).append(
                                (c.selected(rule.endpoint_selector), sels, where))

    def groups(self, direction: str, action: str, subject: np.ndarray
               ) -> list[tuple[np.ndarray, tuple[LabelSelector, ...], tuple[str, ...]]]:
        """The subject pods split by the requirements that reach them: ``(pods, requirements,
        the rules giving them)``; requirements empty where none do."""
        found = self.by.get((direction, action), [])
        if not found or not len(subject):
            return [(subject, (), ())]
        pattern = np.stack([m[subject] for m, _, _ in found], axis=1)
        keys, inverse = np.unique(pattern, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        out = []
        for g, key in enumerate(keys):
            chosen = [found[j] for j in np.flatnonzero(key)]
            sels = tuple(dict.fromkeys(s for _, ss, _ in chosen for s in ss))
            refs = tuple(dict.fromkeys(w for *_, w in chosen))
            out.append((subject[inverse == g], sels, refs))
        return out


def requires_text(direction: str, sels: Sequence[LabelSelector], refs: Sequence[str]) -> str:
    """How requirements restrict an entry's endpoint selectors, for explanations."""
    word = "fromRequires" if direction == "ingress" else "toRequires"
    return (f"{word} of {', '.join(refs)} (rules selecting these pods) keep it to peers that also match "
            + " AND ".join(f"[{s}]" for s in sels))


def _restricted(c: _Cilium, entry: CiliumPeer,
                groups: Sequence[tuple[np.ndarray, tuple[LabelSelector, ...], tuple[str, ...]]],
                origin: RuleOrigin, action: str, ports: PortSel
                ) -> tuple[list[CoreRule], list[tuple[CoreRule, CoreRule | None]]]:
    """The rules of an entry whose endpoint selectors requirements restrict, per group of
    subject pods the same requirements reach (the groups no requirement reaches are left to the
    caller), and with each the rule the entry alone would give, for explanations.

    Each endpoint selector ANDs all the requirements.  A requirement always asks for a pod's
    namespace label (``cilium_objects._required``), which no reserved identity carries, so the
    entry's lone reserved labels (host, remote-node, world...) select nothing then."""
    rules: list[CoreRule] = []
    shadows: list[tuple[CoreRule, CoreRule | None]] = []
    m = c.peer(entry)
    plain = EndpointSet(everything=True) if m is None else EndpointSet(
        ents=np.flatnonzero(m).astype(np.int64))
    priority = -1 if action == "deny" else 0
    for group, sels, refs in groups:
        if not sels:
            continue
        hit = np.zeros(c.n, dtype=bool)
        for sel in entry.endpoints or ():
            hit |= c.selected(sel)
        for sel in sels:
            hit &= c.selected(sel)
        said = RuleOrigin(origin.policy, origin.direction, origin.index,
                          f"{origin.text}; {requires_text(origin.direction, sels, refs)}")
        restricted = None
        if hit.any():
            peers = EndpointSet(ents=np.flatnonzero(hit).astype(np.int64))
            restricted = CoreRule(K8S_TIER, priority, action, origin.direction,  # type: ignore[arg-type]
                                  EndpointSet(ents=group), peers, ports, said)
            rules.append(restricted)
        shadows.append((CoreRule(K8S_TIER, priority, action, origin.direction,  # type: ignore[arg-type]
                                 EndpointSet(ents=group), plain, ports, said), restricted))
    return rules, shadows


def requires_on_networkpolicies(
    rules: Sequence[CoreRule],
    policies: Sequence[CiliumPolicy],
    ends: Endpoints,
    pods: Sequence[Pod],
    namespaces: Sequence[Namespace],
    nodes: Sequence[Node],
) -> tuple[list[CoreRule], list[tuple[CoreRule, CoreRule | None]]]:
    """The NetworkPolicy rules (``k8s.translate``) where Cilium enforces them, with the
    ``fromRequires`` / ``toRequires`` of the Cilium rules selecting their pods applied; and the
    shadows for explanations, as :func:`translate_cilium` returns them.

    Cilium's agent turns a NetworkPolicy into rules of the one repository (``ParseNetworkPolicy``,
    pkg/k8s/network_policy.go): each peer's pod / namespace selector becomes a ``FromEndpoints``
    (``ToEndpoints``) selector, an empty ``from`` (``to``) the wildcard selector, an ipBlock a
    ``FromCIDRSet`` (``ToCIDRSet``).  ``resolveL4IngressPolicy`` / ``resolveL4EgressPolicy``
    AND the requirements of every rule selecting the pod into the endpoint selectors of every
    rule selecting it, these included (see :class:`_Requires`), and leave the CIDR rules alone:
    the selector part of a peer set keeps only the pods meeting them, its ipBlock part stays,
    and "every peer" becomes those pods (no address, no node: a requirement asks for a pod's
    namespace)."""
    if not any(e.requires for p in policies for r in p.rules
               for e in (*r.ingress, *r.ingress_deny, *r.egress, *r.egress_deny)):
        return list(rules), []
    c = _Cilium(ends, pods, namespaces, nodes)
    reqs = _Requires(policies, c)
    cls = c.cls
    has = cls >= 0

    def ents_of(es: EndpointSet) -> np.ndarray:
        """Its entities (pods of its label classes, then the rest); every one for everything."""
        if es.everything:
            return np.arange(c.n, dtype=np.int64)
        out = np.zeros(c.n, dtype=bool)
        if es.lc is not None and len(es.lc):
            out[: len(cls)][has] = es.lc[cls[has]]
        if es.ents is not None:
            out[es.ents] = True
        return np.flatnonzero(out).astype(np.int64)

    out: list[CoreRule] = []
    shadows: list[tuple[CoreRule, CoreRule | None]] = []
    for rule in rules:
        if rule.action != "allow" or rule.origin is None or rule.origin.index < 0:
            out.append(rule)  # a policy's isolation: no peer to restrict
            continue
        subject = ents_of(rule.subject)
        groups = reqs.groups(rule.direction, "allow", subject)
        if not any(sels for _, sels, _ in groups):
            out.append(rule)
            continue
        origin = rule.origin
        # The selector part of the peer set (label classes, or the wildcard selector for
        # every peer) and its CIDR part (ipBlocks: outside addresses where Cilium enforces).
        if rule.peer.everything:
            selected, cidrs = np.ones(c.n, dtype=bool), np.zeros(0, dtype=np.int64)
        else:
            selected = np.zeros(c.n, dtype=bool)
            selected[ents_of(EndpointSet(lc=rule.peer.lc))] = True
            cidrs = rule.peer.ents if rule.peer.ents is not None else np.zeros(0, dtype=np.int64)
        plain = ents_of(rule.peer)
        for group, sels, refs in groups:
            if not sels:
                out.append(CoreRule(rule.tier, rule.priority, rule.action, rule.direction,
                                    EndpointSet(ents=group), rule.peer, rule.ports, origin))
                continue
            hit = selected & c.pods
            for sel in sels:
                hit &= c.selected(sel)
            peers = np.union1d(np.flatnonzero(hit), cidrs).astype(np.int64)
            said = f"{origin.text}; {requires_text(origin.direction, sels, refs)}"
            restricted = None
            if len(peers):
                restricted = CoreRule(rule.tier, rule.priority, rule.action, rule.direction,
                                      EndpointSet(ents=group), EndpointSet(ents=peers), rule.ports,
                                      RuleOrigin(origin.policy, origin.direction, origin.index, said))
                out.append(restricted)
            shadows.append((CoreRule(rule.tier, rule.priority, rule.action, rule.direction,
                                     EndpointSet(ents=group), EndpointSet(ents=plain), rule.ports,
                                     RuleOrigin(origin.policy, origin.direction, origin.index,
                                                f"{origin.direction}[{origin.index}]: {said}")),
                            restricted))
    return out, shadows


def _ports(peer: CiliumPeer, space: PortSpace) -> PortSel:
    if peer.ports is None:
        return PortSel(space.all)
    # Port 0 with an end is the ports up to it (the agent's range from 0), not every port.
    return PortSel(*space.selection((proto, 1 if pp.port == 0 and pp.end else pp.port, pp.end)
                                    for pp in peer.ports for proto in pp.protocols))


def translate_cilium(
    policies: Sequence[CiliumPolicy],
    ends: Endpoints,
    space: PortSpace,
    pods: Sequence[Pod],
    namespaces: Sequence[Namespace],
    nodes: Sequence[Node],
    services: Sequence[Service] = (),
    slices: Slices | None = None,
    release: tuple[int, int] | None = None,
) -> tuple[list[CoreRule], list[CoreRule], np.ndarray, list[tuple[CoreRule, CoreRule | None]]]:
    """Core rules of the policies; the ``toFQDNs`` rules among them, which match no address
    here; the entities such a rule could match (outside addresses, no node's); and, for each
    entry that requirements restrict (:class:`_Requires`), the rule the entry alone would give
    with the restricted rule (None where nothing is left), for explanations."""
    c = _Cilium(ends, pods, namespaces, nodes, services, slices, release)
    reqs = _Requires(policies, c)
    everything = EndpointSet(everything=True)
    out: list[CoreRule] = []
    fqdn: list[CoreRule] = []
    shadows: list[tuple[CoreRule, CoreRule | None]] = []
    for pol in policies:
        counters = {"ingress": 0, "egress": 0}
        for k, rule in enumerate(pol.rules):
            where = f"specs[{k}]." if len(pol.rules) > 1 else ""
            subject_ents = np.flatnonzero(c.selected(rule.endpoint_selector)).astype(np.int64)
            subject = EndpointSet(ents=subject_ents)
            for direction, allows, denies, closes in (
                ("ingress", rule.ingress, rule.ingress_deny, rule.default_deny_ingress),
                ("egress", rule.egress, rule.egress_deny, rule.default_deny_egress),
            ):
                for action, entries, name in (("allow", allows, direction),
                                              ("deny", denies, f"{direction}Deny")):
                    for i, entry in enumerate(entries):
                        index = counters[direction]
                        counters[direction] += 1
                        if entry.any_peer and entry.ports is None:
                            continue  # an empty entry: Cilium merges nothing of it (see cilium_objects)
                        m = c.peer(entry)
                        text = f"{where}{name}[{i}]: {action} {entry.text(direction)}"
                        priority = -1 if action == "deny" else 0
                        groups = (reqs.groups(direction, action, subject_ents)
                                  if entry.endpoints is not None and (entry.endpoints or entry.reserved)
                                  else [(subject_ents, (), ())])
                        if any(sels for _, sels, _ in groups):
                            rules, shades = _restricted(c, entry, groups, RuleOrigin(
                                pol.ref, direction, index, text), action, _ports(entry, space))  # type: ignore[arg-type]
                            out += rules
                            shadows += shades
                            subject_ents_here = np.concatenate([g for g, sels, _ in groups if not sels]
                                                               or [np.zeros(0, dtype=np.int64)])
                            if not len(subject_ents_here):
                                continue
                        else:
                            subject_ents_here = subject_ents
                        subject_here = subject if subject_ents_here is subject_ents else EndpointSet(
                            ents=np.sort(subject_ents_here))
                        named = (*(entry.entities or ()), *entry.reserved)
                        if "all" not in named and ("kube-apiserver" in named
                                                   or ("cluster" in named and c.api_world.any())):
                            text += f" ({c.apiserver_text()})"
                        origin = RuleOrigin(pol.ref, direction, index, text)  # type: ignore[arg-type]
                        host, remote, api = c.node_entities(entry)
                        if host or remote or api:
                            # One rule per node the subject pods run on, each with that node's
                            # "host" / "remote-node" / kube-apiserver peers (same origin, so
                            # explanations cite it).
                            for pods_here, peers_here in c.by_node(subject_ents_here, host, remote, api):
                                out.append(CoreRule(
                                    K8S_TIER, priority, action, direction,  # type: ignore[arg-type]
                                    EndpointSet(ents=pods_here), EndpointSet(ents=peers_here),
                                    _ports(entry, space), origin,
                                ))
                            if m is not None and not m.any():
                                continue
                        peer = everything if m is None else EndpointSet(
                            ents=np.flatnonzero(m).astype(np.int64))
                        out.append(CoreRule(
                            K8S_TIER, priority, action, direction,  # type: ignore[arg-type]
                            subject_here, peer, _ports(entry, space), origin,
                        ))
                        if entry.fqdns is not None:
                            fqdn.append(out[-1])
                if closes:
                    out.append(CoreRule(
                        K8S_TIER, 1, "deny", direction, subject,  # type: ignore[arg-type]
                        everything, PortSel(space.all),
                        RuleOrigin(pol.ref, direction, -1,  # type: ignore[arg-type]
                                   f"{where}default deny: selected pods accept only what some rule allows"),
                    ))
    return out, fqdn, c.world, shadows


def cilium_fqdn_warnings(policies: Sequence[CiliumPolicy]) -> list[LoadWarning]:
    """One warning per policy whose egress allows DNS names: what they resolve to is unknown here."""
    out = []
    for pol in policies:
        names = sorted({n for r in pol.rules for e in r.egress if e.fqdns for n in e.fqdns})
        if any(e.fqdns is not None for r in pol.rules for e in r.egress):
            out.append(LoadWarning(
                "cilium-fqdn",
                "toFQDNs allows egress to what DNS answers for " + (", ".join(names) or "no name")
                + " at run time; a snapshot holds no DNS answers, so those rules match no address "
                "here and the egress they allow is not shown (the policy's other rules and its "
                "default deny are evaluated)",
                obj=pol.ref,
            ))
    return out
