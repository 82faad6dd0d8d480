"""Translator: cluster-scoped policies of the admin and baseline tiers -> core rules.

AdminNetworkPolicy and BaselineAdminNetworkPolicy (v1alpha1) and ClusterNetworkPolicy
(v1alpha2, v1beta1; its ``tier`` says which) share one model (:class:`~k8sviz.model.AdminPolicy`).
The admin tier comes before NetworkPolicy and the baseline after it:

* **Admin tier**: in ``priority`` order (lower first; ties, which the API leaves undefined, by
  kind and name, with a warning), the rules of each in written order.  The first matching rule
  decides: Allow/Accept and Deny are final, Pass skips the rest of the tier.
* **NetworkPolicy tier** (``k8s.py``): decides for the pods it isolates.
* **Baseline tier**: the same, for traffic nothing above decided; a Pass there, or no match,
  leaves the default: allowed.

Peers: ``namespaces`` and ``pods`` select non-hostNetwork pods; ``networks`` match any address in
the CIDRs, pod addresses included (the API says so: a Deny to 0.0.0.0/0 denies pod-to-pod
traffic too); ``nodes`` match the nodes' addresses (InternalIP and ExternalIP; hostNetwork pods
on them included).  ``domainNames`` cannot be judged from a snapshot: such a peer matches nothing, with a
warning.  A peer with no known field fails closed, as the API asks: it matches nothing in an
Allow rule and turns a Deny or Pass rule into "deny everything".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from .._text import as_written
from ..model import PROTOCOLS, AdminPeer, AdminPolicy, AdminRule, IPBlock, LoadWarning, Node, Pod
from .endpoints import Endpoints
from .engine import CoreRule, EndpointSet, PortSel, RuleOrigin
from .k8s import K8S_TIER
from .ports import PortSpace, named_port_cuts

__all__ = [
    "ADMIN_TIER",
    "BASELINE_TIER",
    "admin_blocks",
    "admin_named_ports",
    "admin_port_cuts",
    "policy_ref",
    "translate_admin",
]

ADMIN_TIER = 10
BASELINE_TIER = 200
assert ADMIN_TIER < K8S_TIER < BASELINE_TIER

_ACTIONS = {"Allow": "allow", "Accept": "allow", "Deny": "deny", "Pass": "pass"}


def policy_ref(pol: AdminPolicy) -> str:
    """How rules and explanations name an admin policy (cluster-scoped: kind/name)."""
    return f"{pol.kind}/{pol.name}"


def _rules(policies: Iterable[AdminPolicy]) -> Iterable[AdminRule]:
    for p in policies:
        yield from p.ingress
        yield from p.egress


def _node_ips(nodes: Sequence[Node], peer: AdminPeer) -> list[str]:
    assert peer.nodes is not None
    return [ip for n in nodes if peer.nodes.matches(n.labels) for ip in n.addresses]


def admin_blocks(policies: Sequence[AdminPolicy], nodes: Sequence[Node]) -> list[IPBlock]:
    """Blocks the IP space must be cut at: ``networks`` CIDRs and single node addresses."""
    out: list[IPBlock] = []
    for r in _rules(policies):
        for peer in r.peers:
            out.extend(peer.networks)
            if peer.nodes is not None:
                for ip in _node_ips(nodes, peer):
                    out.append(IPBlock.host(ip))
    return out


def admin_named_ports(policies: Sequence[AdminPolicy]) -> set[tuple[str, str]]:
    """A named port matches its container port whatever the protocol: every protocol is looked up."""
    return {
        (pp.port, proto)
        for r in _rules(policies)
        for pp in r.ports or ()
        if isinstance(pp.port, str)
        for proto in PROTOCOLS
    }


def admin_port_cuts(policies: Sequence[AdminPolicy], pods: Iterable[Pod]) -> dict[str, set[int]]:
    cuts: dict[str, set[int]] = {}
    for r in _rules(policies):
        for pp in r.ports or ():
            if isinstance(pp.port, int):
                cuts.setdefault(pp.protocol, set()).update((pp.port, (pp.end_port or pp.port) + 1))
    return named_port_cuts(cuts, pods, admin_named_ports(policies))


def _ports(rule: AdminRule, space: PortSpace) -> PortSel:
    if rule.ports is None:
        return PortSel(space.all)
    entries: list[tuple[str, int | str, int | None]] = []
    for pp in rule.ports:
        assert pp.port is not None
        # A named port carries no protocol: it resolves on whichever the pod declares.
        protos = PROTOCOLS if isinstance(pp.port, str) else (pp.protocol,)
        entries += [(proto, pp.port, pp.end_port) for proto in protos]
    return PortSel(*space.selection(entries))


class _Peers:
    """Resolves admin peers to endpoint sets; notes what it could not judge."""

    def __init__(self, ends: Endpoints, nodes: Sequence[Node]):
        self.ends = ends
        self.nodes = nodes

    def subject(self, pol: AdminPolicy) -> EndpointSet:
        ns_sel, pod_sel = pol.subject
        return EndpointSet(lc=self.ends.namespace_selector(ns_sel) & self.ends.pod_selector(pod_sel))

    def peer_set(self, peers: Iterable[AdminPeer]) -> EndpointSet:
        lc = np.zeros(self.ends.n_lc, dtype=bool)
        ents: list[np.ndarray] = []
        for peer in peers:
            if peer.namespaces is not None:
                lc |= self.ends.namespace_selector(peer.namespaces)
            elif peer.pods is not None:
                lc |= self.ends.namespace_selector(peer.pods[0]) & self.ends.pod_selector(peer.pods[1])
            elif peer.networks:
                ents.extend(self.ends.network_entities(b) for b in peer.networks)
            elif peer.nodes is not None:
                # A node's address: its outside atom and the hostNetwork pods on it, never a
                # pod network address (even with ipblocks_match_pods).
                for ip in _node_ips(self.nodes, peer):
                    hit = self.ends.block_entities(IPBlock.host(ip))
                    ents.append(hit[[e >= self.ends.n_pods or self.ends.pods[e].host_network for e in hit]])
        return EndpointSet(lc=lc, ents=np.unique(np.concatenate(ents)) if ents else None)


def translate_admin(
    policies: Sequence[AdminPolicy], ends: Endpoints, space: PortSpace, nodes: Sequence[Node] = ()
) -> tuple[list[CoreRule], list[LoadWarning]]:
    """Core rules of the admin and baseline tiers, and warnings about what they cannot say."""
    out: list[CoreRule] = []
    warnings: list[LoadWarning] = []
    peers = _Peers(ends, nodes)
    everything = EndpointSet(everything=True)

    def order(p: AdminPolicy) -> tuple[int, str, str]:
        return (p.priority or 0, p.kind, p.name)

    admins = sorted((p for p in policies if not p.baseline), key=order)
    baselines = sorted((p for p in policies if p.baseline), key=order)
    for tier_name, group in (("admin", admins), ("baseline", baselines)):
        for prio, n in sorted(Counter(p.priority for p in group if p.priority is not None).items()):
            if n > 1:
                names = ", ".join(policy_ref(p) for p in group if p.priority == prio)
                warnings.append(LoadWarning(
                    "admin-priority-tie",
                    f"{n} {tier_name}-tier policies share priority {prio} ({names}): the API leaves their "
                    "order undefined; k8sviz applies them by kind and name",
                ))
    banps = [p for p in baselines if p.kind == "BaselineAdminNetworkPolicy"]
    for pol in banps:
        if pol.name != "default" or len(banps) > 1:
            warnings.append(LoadWarning(
                "baseline-not-default",
                f"BaselineAdminNetworkPolicy {as_written(pol.name)}: the API admits one, named 'default'; "
                "k8sviz applies every one, by name",
                obj=policy_ref(pol),
            ))
    tiers = [(ADMIN_TIER, admins), (BASELINE_TIER, baselines)]
    for tier, group in tiers:
        for rank, pol in enumerate(group):
            subject = peers.subject(pol)
            ref = policy_ref(pol)
            for direction, rules in (("ingress", pol.ingress), ("egress", pol.egress)):
                for i, rule in enumerate(rules):
                    action = _ACTIONS[rule.action]
                    known = [p for p in rule.peers if not p.unknown]
                    if any(p.domain_names for p in known):
                        warnings.append(LoadWarning(
                            "admin-domain-names",
                            f"{direction} rule {i} names domainNames, which a snapshot cannot resolve: "
                            "that peer matches nothing here",
                            obj=ref,
                        ))
                    peer = peers.peer_set(known)
                    ports = _ports(rule, space)
                    text = rule.text(direction)
                    if len(known) < len(rule.peers) and action != "allow":  # Deny or Pass
                        # Fail closed: an unknown peer in a Deny/Pass rule denies everything.
                        warnings.append(LoadWarning(
                            "admin-unknown-peer",
                            f"{direction} rule {i} has a peer k8sviz cannot evaluate "
                            f"({'; '.join(str(p.unknown) for p in rule.peers if p.unknown)}); as the API "
                            "asks of a peer it does not know, the rule is read as 'deny everything'",
                            obj=ref,
                        ))
                        action, peer, ports = "deny", everything, PortSel(space.all)
                        text += " (read as deny everything: unknown peer)"
                    out.append(CoreRule(
                        tier, rank * 1000 + i, action, direction, subject, peer, ports,  # type: ignore[arg-type]
                        RuleOrigin(ref, direction, i, text),  # type: ignore[arg-type]
                    ))
    return out, warnings
