"""Translator: Kubernetes NetworkPolicy (networking.k8s.io/v1) -> core rules.

NetworkPolicy is one tier in which allows are additive and selection implies isolation:
every rule of a policy becomes an Allow for the pods the policy selects, and each selected
pod gets a closing Deny (priority after the allows) in every direction its policyTypes name.
Pods no policy selects fall through the tier undecided, i.e. allowed.

Where Cilium enforces NetworkPolicies (the endpoints carry ``cilium_identities``), pod
selectors match what Cilium's translation of the policy matches: the pod's identity labels
(its labels plus ``io.kubernetes.pod.namespace``, the namespace's labels, ServiceAccount and
cluster label), a ``podSelector`` without ``namespaceSelector`` pinned to the policy's
namespace by ``matchLabels`` (see :func:`k8sviz.cilium_objects.knp_pod_selector`).  A
``namespaceSelector`` sees the namespace's labels, as without Cilium (one on a namespace label
Cilium's default filter drops leaves its policy unevaluated, see
``Snapshot._mark_cilium_network_policies``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from ..cilium_objects import knp_pod_selector
from ..model import IPBlock, LabelSelector, NetworkPolicy, Peer, Pod, PolicyRule
from .endpoints import Endpoints
from .engine import CoreRule, EndpointSet, PortSel, RuleOrigin
from .ports import MAX_PORT, PortSpace, named_port_cuts

__all__ = ["K8S_TIER", "ipblocks_of", "named_ports_used", "port_cuts", "rule_text", "translate"]

#: Tier of NetworkPolicy among future dialects (admin tiers before it, baseline after it).
K8S_TIER = 100


def ipblocks_of(policies: Iterable[NetworkPolicy]) -> list[tuple[NetworkPolicy, str, int, IPBlock]]:
    out = []
    for p in policies:
        for direction, rules in (("ingress", p.ingress), ("egress", p.egress)):
            for i, r in enumerate(rules):
                for peer in r.peers or ():
                    if peer.ip_block is not None:
                        out.append((p, direction, i, peer.ip_block))
    return out


def named_ports_used(policies: Iterable[NetworkPolicy]) -> set[tuple[str, str]]:
    return {
        (pp.port, pp.protocol)
        for p in policies
        for r in (*p.ingress, *p.egress)
        for pp in r.ports or ()
        if isinstance(pp.port, str)
    }


def port_cuts(policies: Sequence[NetworkPolicy], pods: Iterable[Pod]) -> dict[str, set[int]]:
    """Interval starts of the port atoms: numeric entries, ranges, and named ports as resolved."""
    cuts: dict[str, set[int]] = {}
    for p in policies:
        for r in (*p.ingress, *p.egress):
            for pp in r.ports or ():
                if isinstance(pp.port, int):
                    cuts.setdefault(pp.protocol, set()).update((pp.port, (pp.end_port or pp.port) + 1))
    return named_port_cuts(cuts, pods, named_ports_used(policies))


def rule_ports(rule: PolicyRule, space: PortSpace) -> PortSel:
    if rule.all_ports:
        return PortSel(space.all)
    bits = 0
    named: list[tuple[str, str]] = []
    for pp in rule.ports or ():
        if pp.port is None:
            bits |= space.proto_bits(pp.protocol)
        elif isinstance(pp.port, int):
            bits |= space.range_bits(pp.protocol, pp.port, min(pp.end_port or pp.port, MAX_PORT))
        else:
            named.append((pp.port, pp.protocol))
    return PortSel(bits, tuple(sorted(set(named))))


def peer_set(rule: PolicyRule, policy_ns: str, ends: Endpoints, everything: EndpointSet) -> EndpointSet:
    if rule.all_peers:
        return everything
    lc = np.zeros(ends.n_lc, dtype=bool)
    ents: list[np.ndarray] = []
    for peer in rule.peers or ():
        if peer.ip_block is not None:
            ents.append(ends.ipblock_entities(peer.ip_block))
            continue
        if peer.namespace_selector is None:
            # podSelector alone: the policy's namespace
            m = ends.in_namespace(policy_ns) & _pods(ends, peer.pod_selector or LabelSelector(), policy_ns)
        else:
            m = ends.namespace_selector(peer.namespace_selector)
            if peer.pod_selector is not None:
                m = m & _pods(ends, peer.pod_selector, None)
        lc |= m
    return EndpointSet(lc=lc, ents=np.unique(np.concatenate(ents)) if ents else None)


def _pods(ends: Endpoints, sel: LabelSelector, pinned_to: str | None) -> np.ndarray:
    """Label classes a pod selector matches: by the pods' labels, or where Cilium enforces the
    policy by their identity labels, pinned to ``pinned_to`` as Cilium's translation pins it."""
    if not ends.cilium_identities:
        return ends.pod_selector(sel)
    return ends.identity_selector(knp_pod_selector(sel, pinned_to) if pinned_to is not None else sel)


def translate(policies: Sequence[NetworkPolicy], ends: Endpoints, space: PortSpace) -> list[CoreRule]:
    out: list[CoreRule] = []
    everything = EndpointSet(everything=True)  # shared: the engine resolves each set once
    for pol in policies:
        subject = EndpointSet(lc=ends.in_namespace(pol.namespace)
                              & _pods(ends, pol.pod_selector, pol.namespace))
        for direction, rules, enabled in (
            ("ingress", pol.ingress, pol.affects_ingress),
            ("egress", pol.egress, pol.affects_egress),
        ):
            if not enabled:
                continue  # e.g. egress rules of a policy whose policyTypes omit Egress
            for i, rule in enumerate(rules):
                origin = RuleOrigin(pol.key, direction, i, rule_text(rule, direction))  # type: ignore[arg-type]
                out.append(
                    CoreRule(K8S_TIER, 0, "allow", direction, subject,  # type: ignore[arg-type]
                             peer_set(rule, pol.namespace, ends, everything), rule_ports(rule, space),
                             origin)
                )
            out.append(
                CoreRule(
                    K8S_TIER, 1, "deny", direction, subject, everything, PortSel(space.all),  # type: ignore[arg-type]
                    RuleOrigin(pol.key, direction, -1,  # type: ignore[arg-type]
                               "isolation: selected pods accept only what some rule allows"),
                )
            )
    return out


def rule_text(rule: PolicyRule, direction: str) -> str:
    word = "from" if direction == "ingress" else "to"
    peers = "any peer" if rule.all_peers else " OR ".join(_peer_text(p) for p in rule.peers or ())
    ports = "any port" if rule.all_ports else ", ".join(str(p) for p in rule.ports or ())
    return f"{word} {peers} on {ports}"


def _peer_text(p: Peer) -> str:
    if p.ip_block is not None or p.namespace_selector is not None:
        return f"({p})"
    return f"(pods [{p.pod_selector}] in the policy's namespace)"
