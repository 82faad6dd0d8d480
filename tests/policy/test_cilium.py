"""CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy on the engine, rule by rule."""

from __future__ import annotations

import html
from typing import Any

import pytest

import k8sviz
from k8sviz.errors import PolicyError

from . import reference
from .helpers import kubernetes_slice, netpol, node, ns, pod, snapshot


def cnp(name: str, spec: Any, namespace: str | None = "db", key: str = "spec") -> dict[str, Any]:
    """A CiliumNetworkPolicy (CiliumClusterwideNetworkPolicy without a namespace); ``key="specs"``
    takes a list of rules."""
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    kind = "CiliumNetworkPolicy" if namespace else "CiliumClusterwideNetworkPolicy"
    return {"apiVersion": "cilium.io/v2", "kind": kind, "metadata": meta, key: spec}


def base(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    """web/a, web/b, db/d (named port sql 5432), db/e; a hostNetwork agent on node n1."""
    return [
        ns("web", team="web"), ns("db", team="db"),
        pod("web", "a", {"app": "a"}, "10.0.0.1"),
        pod("web", "b", {"app": "b"}, "10.0.0.2"),
        pod("db", "d", {"app": "d"}, "10.0.0.9", (("sql", 5432, "TCP"),)),
        pod("db", "e", {"app": "e"}, "10.0.0.10"),
        pod("kube-system", "agent", {"app": "agent"}, "10.0.1.1", host=True, host_ip="10.0.1.1"),
        node("n1", "10.0.1.1", "203.0.113.7"),
        *extra,
    ]


def reach(*extra: dict[str, Any]) -> k8sviz.Reachability:
    return k8sviz.reachability(snapshot(*base(*extra)))


D = {"matchLabels": {"app": "d"}}


def test_a_rule_with_ingress_entries_puts_the_pod_in_default_deny():
    r = reach(cnp("p", {"endpointSelector": D, "ingress": [{"fromEndpoints": [{"matchLabels": {"app": "e"}}]}]}))
    assert r.can_reach("db/e", "db/d", 80)
    assert not r.can_reach("web/a", "db/d", 80)
    assert r.can_reach("web/a", "db/e", 80)  # not selected
    assert r.selecting_policies("db/d", "ingress") == ["CiliumNetworkPolicy/db/p"]


def test_peer_selectors_stay_in_a_namespaced_policys_namespace_unless_they_name_one():
    same = cnp("p", {"endpointSelector": D, "ingress": [{"fromEndpoints": [{}]}]})
    r = reach(same)
    assert r.can_reach("db/e", "db/d", 80) and not r.can_reach("web/a", "db/d", 80)
    other = cnp("p", {"endpointSelector": D, "ingress": [
        {"fromEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "web", "any:app": "a"}}]}]})
    r = reach(other)
    assert r.can_reach("web/a", "db/d", 80) and not r.can_reach("web/b", "db/d", 80)
    by_ns_label = cnp("p", {"endpointSelector": D, "ingress": [
        {"fromEndpoints": [{"matchLabels": {"io.kubernetes.pod.namespace": "web",
                                            "io.cilium.k8s.namespace.labels.team": "web"}}]}]})
    assert reach(by_ns_label).can_reach("web/b", "db/d", 80)


def test_a_clusterwide_empty_selector_means_every_pod_and_nothing_else():
    r = reach(cnp("c", {"endpointSelector": D, "ingress": [{"fromEndpoints": [{}]}]}, namespace=None))
    assert r.can_reach("web/a", "db/d", 80) and r.can_reach("db/e", "db/d", 80)
    assert not r.can_reach("8.8.8.8", "db/d", 80)
    assert not r.can_reach("kube-system/agent", "db/d", 80)  # the host identity is no pod


def test_deny_wins_over_any_allow_networkpolicy_included():
    allow_all = netpol("db", "allow-all", {"podSelector": {}, "ingress": [{}]})
    deny = cnp("deny-web", {"endpointSelector": D, "ingressDeny": [
        {"fromEndpoints": [{"matchLabels": {"io.kubernetes.pod.namespace": "web"}}],
         "toPorts": [{"ports": [{"port": "5432", "protocol": "TCP"}]}]}]})
    r = reach(allow_all, deny)
    assert not r.can_reach("web/a", "db/d", 5432)
    assert r.can_reach("web/a", "db/d", 80) and r.can_reach("db/e", "db/d", 5432)
    assert "ingressDeny[0]: deny from endpoints" in str(r.explain("web/a", "db/d", 5432))
    # The NetworkPolicy's allow does not allow what the deny stops: explain names no allowing
    # rule there, and names it where nothing denies.
    v = r.explain("web/a", "db/d", 5432)
    assert set(v.ingress.policies) == {"db/allow-all", "CiliumNetworkPolicy/db/deny-web"}
    assert v.ingress.allowed_by == ()
    allowing = r.explain("web/a", "db/d", 80).ingress.allowed_by
    assert [(m.policy, m.rule) for m in allowing] == [("db/allow-all", 0)]


#: The server's ingress policies of the table in Cilium's "Deny Policies" page
#: (Documentation/security/policy/deny.rst): client db/e, server db/d.
_CLIENT = {"matchLabels": {"app": "e"}}
_DENY_DOC_ALLOWS = {
    "L7 (HTTP)": {"fromEndpoints": [_CLIENT],
                  "toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}],
                               "rules": {"http": [{"method": "GET", "path": "/"}]}}]},
    "L4 (80/TCP)": {"toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}]}]},
    "L4 (81/TCP)": {"toPorts": [{"ports": [{"port": "81", "protocol": "TCP"}]}]},
    "L3 (Pod: Client)": {"fromEndpoints": [_CLIENT]},
}
_DENY_DOC_DENIES = {
    "L4 (80/TCP)": {"toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}]}]},
    "L3 (Pod: Client)": {"fromEndpoints": [_CLIENT]},
}


@pytest.mark.parametrize(("allows", "denies", "port_81", "port_80"), [
    (tuple(_DENY_DOC_ALLOWS), (), True, True),
    (tuple(_DENY_DOC_ALLOWS), ("L4 (80/TCP)",), True, False),
    (tuple(_DENY_DOC_ALLOWS), ("L3 (Pod: Client)",), False, False),
    (tuple(_DENY_DOC_ALLOWS), ("L4 (80/TCP)", "L3 (Pod: Client)"), False, False),
    ((), ("L4 (80/TCP)",), False, False),
])
def test_the_deny_policies_table_of_ciliums_docs(allows, denies, port_81, port_80):
    """Cilium's "Deny Policies" page (Documentation/security/policy/deny.rst): deny policies
    take precedence over allow policies, and a pod selected by deny policies alone enters
    default deny; its table, one policy per row ticked, gives curl server:81 and server:80.
    (Its third row, ping, is ICMP, which verdicts here do not cover.)"""
    objs = [cnp(f"allow-{i}", {"endpointSelector": D, "ingress": [_DENY_DOC_ALLOWS[k]]})
            for i, k in enumerate(allows)]
    objs += [cnp(f"deny-{i}", {"endpointSelector": D, "ingressDeny": [_DENY_DOC_DENIES[k]]})
             for i, k in enumerate(denies)]
    snap = snapshot(*base(*objs))
    assert not snap.unevaluated_policies
    r = k8sviz.reachability(snap)
    assert r.can_reach("db/e", "db/d", 81) is port_81
    assert r.can_reach("db/e", "db/d", 80) is port_80


def test_the_external_lockdown_example_denies_the_world_only():
    """Cilium's example examples/policies/l3/entities/from_world_deny.yaml, which the "Deny
    Policies" page quotes: a clusterwide policy with ``ingressDeny`` from ``world`` and
    ``ingress`` from ``all`` denies every pod's ingress from outside the cluster and leaves
    in-cluster traffic allowed."""
    lockdown = cnp("external-lockdown", {"endpointSelector": {}, "ingressDeny": [{"fromEntities": ["world"]}],
                                         "ingress": [{"fromEntities": ["all"]}]}, namespace=None)
    r = reach(lockdown)
    assert not r.can_reach("8.8.8.8", "db/d", 80) and not r.can_reach("8.8.8.8", "web/a", 443, "UDP")
    assert r.can_reach("web/a", "db/d", 80) and r.can_reach("db/e", "web/b", 53, "UDP")
    assert r.can_reach("kube-system/agent", "db/d", 80)  # the host is no world
    assert "deny from entities world" in str(r.explain("8.8.8.8", "db/d", 80))


def test_deny_only_rules_still_put_the_pod_in_default_deny_unless_told_not_to():
    deny = {"endpointSelector": D, "ingressDeny": [{"fromEntities": ["world"]}]}
    r = reach(cnp("d", deny))
    assert not r.can_reach("8.8.8.8", "db/d", 80) and not r.can_reach("db/e", "db/d", 80)
    r = reach(cnp("d", {**deny, "enableDefaultDeny": {"ingress": False}}))
    assert not r.can_reach("8.8.8.8", "db/d", 80) and r.can_reach("db/e", "db/d", 80)


#: cilium-agent images: none (release unknown), the old policy engine (1.16, 1.18), and the
#: later ones (1.19, 1.20), whose engine may be the rewritten one (cilium#40213, 2025): every
#: engine read merges an empty entry the same way.
AGENTS = [None, "1.16.5", "1.18.2", "1.19.0", "1.20.0"]


@pytest.mark.parametrize("release", AGENTS)
@pytest.mark.parametrize("field", ["ingress", "egress"])
def test_an_empty_entry_allows_nothing_but_puts_the_pod_in_default_deny(field, release):
    # mergeIngress/mergeEgress (up to 1.18) and mergeL4Filter (the rewritten engine) merge an
    # entry without ports only when it has a peer: ``[{}]`` allows nothing, in every release.
    agent = (agent_of(release),) if release else ()
    snap = snapshot(*base(cnp("p", {"endpointSelector": D, field: [{}]}), *agent))
    assert snap.cilium_release == (tuple(int(x) for x in release.split(".")[:2]) if release else None)
    assert not snap.unevaluated_policies
    r = k8sviz.reachability(snap)
    src, dst = ("db/e", "db/d") if field == "ingress" else ("db/d", "db/e")
    assert not r.can_reach(src, dst, 80) and not r.can_reach(src, dst, 5432, "UDP")
    assert "default deny" in str(r.explain(src, dst, 80))
    # Beside a real entry it adds nothing; with default deny off it has no effect at all.
    peer = {"fromEndpoints" if field == "ingress" else "toEndpoints": [{"matchLabels": {"app": "e"}}]}
    r = k8sviz.reachability(snapshot(*base(cnp("p", {"endpointSelector": D, field: [{}, peer]}), *agent)))
    assert r.can_reach(src, dst, 80)
    other = ("web/a", "db/d") if field == "ingress" else ("db/d", "web/a")
    assert not r.can_reach(*other, 80)
    r = k8sviz.reachability(snapshot(*base(cnp("p", {"endpointSelector": D, field: [{}],
                                                     "enableDefaultDeny": {field: False}}), *agent)))
    assert r.can_reach(src, dst, 80) and r.can_reach(*other, 80)


@pytest.mark.parametrize("release", AGENTS)
@pytest.mark.parametrize("field", ["ingressDeny", "egressDeny"])
def test_an_empty_deny_entry_denies_nothing(field, release):
    # Deny entries go through the same merge: ``ingressDeny: [{}]`` denies no peer, though the
    # direction now applies (default deny) like any entry's.
    agent = (agent_of(release),) if release else ()
    allow = "ingress" if field == "ingressDeny" else "egress"
    key = "fromEndpoints" if allow == "ingress" else "toEndpoints"
    snap = snapshot(*base(cnp("p", {"endpointSelector": D, field: [{}], allow: [{key: [{}]}]}), *agent))
    assert not snap.unevaluated_policies
    r = k8sviz.reachability(snap)
    src, dst = ("db/e", "db/d") if allow == "ingress" else ("db/d", "db/e")
    assert r.can_reach(src, dst, 80)
    alone = k8sviz.reachability(snapshot(*base(cnp("p", {"endpointSelector": D, field: [{}]}), *agent)))
    assert not alone.can_reach(src, dst, 80)
    # An entry with only ICMP in it is outside the TCP/UDP/SCTP model, and no empty entry either.
    assert not snapshot(*base(cnp("p", {"endpointSelector": D, field: [{"icmps": [{"fields": [
        {"type": 8}]}]}]}))).unevaluated_policies


def test_a_ports_only_entry_allows_every_peer():
    r = reach(cnp("p", {"endpointSelector": D, "ingress": [{"toPorts": [{"ports": [{"port": "5432"}]}]}]}))
    assert r.can_reach("8.8.8.8", "db/d", 5432) and r.can_reach("web/a", "db/d", 5432, "UDP")  # ANY
    assert not r.can_reach("web/a", "db/d", 80)
    # An empty list of peers selects nothing.
    assert not reach(cnp("p", {"endpointSelector": D, "ingress": [{"fromEndpoints": []}]})).can_reach("db/e", "db/d", 80)
    # ingress: [] does not apply at all.
    assert reach(cnp("p", {"endpointSelector": D, "ingress": []})).can_reach("web/a", "db/d", 80)


def test_cidrs_match_outside_addresses_only_and_world_is_not_the_nodes():
    r = reach(cnp("p", {"endpointSelector": D, "ingress": [
        {"fromCIDR": ["10.0.0.0/8"]}, {"fromCIDRSet": [{"cidr": "8.0.0.0/8", "except": ["8.8.8.0/24"]}]}]}))
    assert r.can_reach("10.9.9.9", "db/d", 80)
    assert not r.can_reach("web/a", "db/d", 80)  # a pod in 10.0.0.0/8: identity, not CIDR
    assert not r.can_reach("10.0.1.1", "db/d", 80)  # a node address
    assert r.can_reach("8.1.1.1", "db/d", 80) and not r.can_reach("8.8.8.8", "db/d", 80)
    r = reach(cnp("p", {"endpointSelector": D, "ingress": [{"fromEntities": ["world"]}]}))
    assert r.can_reach("8.8.8.8", "db/d", 80) and not r.can_reach("203.0.113.7", "db/d", 80)
    assert not r.can_reach("web/a", "db/d", 80)


def _placed(*extra: dict[str, Any]) -> k8sviz.Reachability:
    """base() with db/d and the agent on node n1, db/e on a second node n2 with its own agent."""
    objs = base(pod("kube-system", "agent2", {"app": "agent"}, "10.0.1.2", host=True, host_ip="10.0.1.2"),
                node("n2", "10.0.1.2"), *extra)
    where = {"d": "n1", "agent": "n1", "e": "n2", "agent2": "n2"}
    for o in objs:
        if o["kind"] == "Pod" and o["metadata"]["name"] in where:
            o["spec"]["nodeName"] = where[o["metadata"]["name"]]
    return k8sviz.reachability(snapshot(*objs))


def test_entities_host_is_the_pods_own_node_and_remote_node_every_other():
    """Cilium's ``host`` is the local host (and its hostNetwork pods), ``remote-node`` any other
    node (Documentation/security/policy/language.rst, "Entities based")."""
    egress_host = cnp("p", {"endpointSelector": D, "egress": [{"toEntities": ["host"]}]})
    r = _placed(egress_host)
    assert r.can_reach("db/d", "kube-system/agent", 80) and r.can_reach("db/d", "10.0.1.1", 80)
    assert r.can_reach("db/d", "203.0.113.7", 80)  # n1's external address is n1 too
    assert not r.can_reach("db/d", "kube-system/agent2", 80) and not r.can_reach("db/d", "10.0.1.2", 80)
    assert not r.can_reach("db/d", "web/a", 80)
    egress_remote = cnp("p", {"endpointSelector": {}, "egress": [{"toEntities": ["remote-node"]}]})
    r = _placed(egress_remote)
    assert r.can_reach("db/d", "kube-system/agent2", 80) and r.can_reach("db/d", "10.0.1.2", 80)
    assert not r.can_reach("db/d", "kube-system/agent", 80) and not r.can_reach("db/d", "10.0.1.1", 80)
    assert r.can_reach("db/e", "kube-system/agent", 80) and not r.can_reach("db/e", "kube-system/agent2", 80)
    # Ingress from the own node gets in anyway (allow-localhost); only the remote one is opened here.
    ingress_remote = cnp("p", {"endpointSelector": D, "ingress": [{"fromEntities": ["remote-node"]}]})
    r = _placed(ingress_remote)
    assert r.can_reach("kube-system/agent2", "db/d", 80) and r.can_reach("kube-system/agent", "db/d", 80)
    ingress_host = cnp("p", {"endpointSelector": D, "ingress": [{"fromEntities": ["host"]}]})
    r = _placed(ingress_host)
    assert r.can_reach("kube-system/agent", "db/d", 80) and not r.can_reach("kube-system/agent2", "db/d", 80)
    assert not r.can_reach("10.0.1.2", "db/d", 80)
    # A deny on the own node closes even what the local-host exception lets in.
    deny_host = cnp("p", {"endpointSelector": D, "ingressDeny": [{"fromEntities": ["host"]}],
                          "ingress": [{"fromEntities": ["remote-node"]}]})
    r = _placed(deny_host)
    assert not r.can_reach("kube-system/agent", "db/d", 80) and r.can_reach("kube-system/agent2", "db/d", 80)
    text = str(r.explain("kube-system/agent2", "db/d", 80))
    assert "ingress[0]: allow" in text, text


def test_a_lone_reserved_label_among_endpoint_selectors_is_the_entity_of_that_name():
    """``EntitySelectorMapping`` (pkg/policy/api/entity.go) makes ``host``, ``remote-node``
    and ``none`` the selector of their one reserved label, and ``getEndpointSelector`` leaves
    a selector with a reserved key unpinned: ``fromEndpoints: [{matchLabels: {reserved:host:
    ""}}]`` is ``fromEntities: [host]``, in a namespaced policy too."""
    ends = ("db/d", "db/e", "web/a", "kube-system/agent", "kube-system/agent2", "10.0.1.1", "10.0.1.2",
            "203.0.113.7", "8.8.8.8")

    def verdicts(r: k8sviz.Reachability) -> set[tuple[str, str]]:
        return {(s, d) for s in ends for d in ends
                if s != d and "/" in s + d and r.can_reach(s, d, 80)}

    for ent in ("host", "remote-node", "none"):
        for sel in ({"matchLabels": {f"reserved:{ent}": ""}},
                    {"matchExpressions": [{"key": f"reserved:{ent}", "operator": "Exists"}]}):
            for field, peer, deny in (("ingress", "fromEndpoints", False), ("egress", "toEndpoints", False),
                                      ("ingressDeny", "fromEndpoints", True)):
                entity_peer = "fromEntities" if peer.startswith("from") else "toEntities"
                extra = {"ingress": [{"fromEntities": ["all"]}]} if deny else {}
                e = {"matchLabels": {"app": "e"}}
                by_label = cnp("p", {"endpointSelector": D, field: [{peer: [sel, e]}], **extra})
                by_entity = cnp("p", {"endpointSelector": D, field: [{entity_peer: [ent]}, {peer: [e]}],
                                      **extra})
                r = _placed(by_label)
                assert not r.snapshot.unevaluated_policies, r.snapshot.cilium_policies[0].unsupported
                assert verdicts(r) == verdicts(_placed(by_entity)), (ent, sel, field)
    # On the wire: the own node's agent, not the other node's, and db/e beside it.
    r = _placed(cnp("p", {"endpointSelector": D, "ingress": [
        {"fromEndpoints": [{"matchLabels": {"reserved:host": ""}}, {"matchLabels": {"app": "e"}}]}],
        "egress": [{"toEndpoints": [{"matchLabels": {"reserved:host": ""}}]}]}))
    assert r.can_reach("db/d", "kube-system/agent", 80) and not r.can_reach("db/d", "kube-system/agent2", 80)
    assert r.can_reach("db/e", "db/d", 80) and not r.can_reach("web/a", "db/d", 80)
    assert "reserved:host" in str(r.explain("db/d", "kube-system/agent", 80))


@pytest.mark.parametrize(("selector", "reason"), [
    ({"matchLabels": {"reserved:health": ""}}, "an identity a snapshot does not place"),
    # Anything but the lone label: the host identity may carry more labels (node labels, the
    # API server's), so the combination is not the entity.
    ({"matchLabels": {"reserved:host": "", "app": "e"}}, "label source 'reserved'"),
    ({"matchLabels": {"reserved:host": "yes"}}, "label source 'reserved'"),
    ({"matchExpressions": [{"key": "reserved:host", "operator": "DoesNotExist"}]}, "label source 'reserved'"),
])
def test_other_reserved_selectors_are_not_judged(selector, reason):
    snap = snapshot(*base(cnp("p", {"endpointSelector": D, "ingress": [{"fromEndpoints": [selector]}]})))
    (pol,) = snap.unevaluated_policies
    assert any(reason in u for u in pol.unsupported), pol.unsupported


def test_where_cilium_enforces_an_ipblock_never_matches_a_node_or_its_hostnetwork_pods():
    """Cilium turns an ipBlock into a CIDR rule, and "CIDR-based selectors do not match
    in-cluster entities (pods or nodes)" by default: the same NetworkPolicy reaches the node
    under another CNI, not under Cilium (its policies or its agents show it is the CNI)."""
    np_ = netpol("web", "out", {"podSelector": {"matchLabels": {"app": "a"}}, "policyTypes": ["Egress"],
                                "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]})
    plain = k8sviz.reachability(snapshot(*base(np_)))
    assert plain.can_reach("web/a", "10.0.1.1", 80) and plain.can_reach("web/a", "kube-system/agent", 80)
    other = cnp("p", {"endpointSelector": D, "ingress": [{"fromEndpoints": [{}]}]})
    agent = pod("kube-system", "cilium-x", {}, "10.0.1.1", host=True, host_ip="10.0.1.1")
    agent["spec"]["containers"] = [{"name": "cilium-agent", "image": "quay.io/cilium/cilium:v1.17.2"}]
    for extra in ((other,), (agent,)):
        snap = snapshot(*base(np_, *extra))
        assert snap.runs_cilium
        r = k8sviz.reachability(snap)
        assert not r.can_reach("web/a", "10.0.1.1", 80) and not r.can_reach("web/a", "kube-system/agent", 80)
        assert r.can_reach("web/a", "10.9.9.9", 80) and not r.can_reach("web/a", "8.8.8.8", 80)


def test_a_namespaced_peer_on_namespace_labels_alone_is_not_judged_since_releases_differ():
    """Older Cilium pins it to the policy's namespace, later releases select in every
    namespace; a clusterwide policy, or a peer that names its namespace, is judged."""
    by_label = {"matchLabels": {"io.cilium.k8s.namespace.labels.team": "web"}}
    snap = snapshot(*base(cnp("p", {"endpointSelector": D, "ingress": [{"fromEndpoints": [by_label]}]})))
    (pol,) = snap.unevaluated_policies
    assert any("namespace labels without naming a namespace" in u for u in pol.unsupported)
    clusterwide = cnp("c", {"endpointSelector": D, "ingress": [{"fromEndpoints": [by_label]}]}, namespace=None)
    snap = snapshot(*base(clusterwide))
    assert not snap.unevaluated_policies
    r = k8sviz.reachability(snap)
    assert r.can_reach("web/a", "db/d", 80) and not r.can_reach("db/e", "db/d", 80)


def test_a_pod_whose_node_is_unknown_has_no_host_and_every_node_is_remote_to_it():
    r = reach(cnp("p", {"endpointSelector": D, "egress": [{"toEntities": ["host"]}]}))
    assert not r.can_reach("db/d", "kube-system/agent", 80) and not r.can_reach("db/d", "10.0.1.1", 80)
    r = reach(cnp("p", {"endpointSelector": D, "egress": [{"toEntities": ["remote-node"]}]}))
    assert r.can_reach("db/d", "kube-system/agent", 80) and r.can_reach("db/d", "10.0.1.1", 80)


def test_explain_names_an_entry_once_whatever_the_rules_it_becomes():
    """An entry naming ``cluster`` and ``host`` becomes a rule per node besides its own (the
    node's host and kube-apiserver peers): where both match, explain still names the entry once."""
    entry = cnp("p", {"endpointSelector": D, "egress": [{"toEntities": ["cluster", "host"]}]})
    r = _placed(entry, kubernetes_slice("10.0.1.1"))  # the API server on n1, db/d's node
    v = r.explain("db/d", "kube-system/agent", 80)
    assert v.allowed
    assert [(m.policy, m.rule) for m in v.egress.allowed_by] == [("CiliumNetworkPolicy/db/p", 0)]


def test_entities_cluster_and_all():
    cluster = cnp("p", {"endpointSelector": D, "ingress": [{"fromEntities": ["cluster"]}]})
    r = reach(cluster, kubernetes_slice("10.0.1.1"))
    assert r.can_reach("web/a", "db/d", 80) and r.can_reach("kube-system/agent", "db/d", 80)
    assert not r.can_reach("8.8.8.8", "db/d", 80)
    # Its selectors include the kube-apiserver one (InitEntities, pkg/policy/api/entity.go):
    # an API server outside the nodes is in the cluster entity too, and without the
    # default/kubernetes EndpointSlices where it is cannot be said.
    r = reach(cluster, kubernetes_slice("172.20.0.10"))
    assert r.can_reach("172.20.0.10", "db/d", 80) and not r.can_reach("172.20.0.11", "db/d", 80)
    assert "the kube-apiserver entity: 172.20.0.10 from default/kubernetes EndpointSlices" in str(
        r.explain("172.20.0.10", "db/d", 80))
    (pol,) = snapshot(*base(cluster)).unevaluated_policies
    assert pol.unsupported == ("the cluster entity (which covers the kube-apiserver entity): the EndpointSlices of "
                               "default/kubernetes, from which Cilium takes the API server's addresses, were not "
                               "read",)
    assert reach(cnp("p", {"endpointSelector": D, "ingress": [{"fromEntities": ["all"]}]})).can_reach(
        "8.8.8.8", "db/d", 80)


HTTPS = [{"ports": [{"port": "443", "protocol": "TCP"}]}]


def test_kube_apiserver_entity_outside_the_nodes_is_its_addresses():
    """The agent labels ``reserved:kube-apiserver`` the endpoint addresses of default/kubernetes
    (pkg/ipcache/cell/apiserver_watcher.go; pkg/k8s/watchers before); an address outside the
    cluster keeps its world and CIDR labels beside it (``resolveIdentity``, pkg/ipcache/metadata.go),
    so CIDR and world rules still match it."""
    egress = cnp("api", {"endpointSelector": D, "egress": [{"toEntities": ["kube-apiserver"], "toPorts": HTTPS}]})
    r = reach(egress, kubernetes_slice("172.20.0.10", "172.20.0.12"))
    assert not r.snapshot.unevaluated_policies
    assert r.can_reach("db/d", "172.20.0.10", 443) and r.can_reach("db/d", "172.20.0.12", 443)
    assert not r.can_reach("db/d", "172.20.0.11", 443) and not r.can_reach("db/d", "8.8.8.8", 443)
    assert not r.can_reach("db/d", "172.20.0.10", 80)
    assert not r.can_reach("db/d", "10.0.1.1", 443) and not r.can_reach("db/d", "web/a", 443)
    text = str(r.explain("db/d", "172.20.0.10", 443))
    assert ("egress[0]: allow to entities kube-apiserver on TCP 443 (the kube-apiserver entity: 172.20.0.10, "
            "172.20.0.12 from default/kubernetes EndpointSlices)") in text, text
    # The lone reserved label is the entity; ingress and deny entries too.
    by_label = cnp("api", {"endpointSelector": D, "egress": [
        {"toEndpoints": [{"matchLabels": {"reserved:kube-apiserver": ""}}], "toPorts": HTTPS}]})
    r = reach(by_label, kubernetes_slice("172.20.0.10"))
    assert r.can_reach("db/d", "172.20.0.10", 443) and not r.can_reach("db/d", "172.20.0.11", 443)
    ingress = cnp("api", {"endpointSelector": D, "ingress": [{"fromEntities": ["kube-apiserver"]}]})
    r = reach(ingress, kubernetes_slice("172.20.0.10"))
    assert r.can_reach("172.20.0.10", "db/d", 8443) and not r.can_reach("8.8.8.8", "db/d", 8443)
    deny = cnp("api", {"endpointSelector": D, "egress": [{"toEntities": ["world"]}, {"toCIDR": ["172.20.0.0/16"]}],
                       "egressDeny": [{"toEntities": ["kube-apiserver"], "toPorts": HTTPS}]})
    r = reach(deny, kubernetes_slice("172.20.0.10"))
    assert not r.can_reach("db/d", "172.20.0.10", 443) and r.can_reach("db/d", "172.20.0.10", 80)
    assert r.can_reach("db/d", "172.20.0.11", 443)
    assert "egressDeny[0]: deny to entities kube-apiserver" in str(r.explain("db/d", "172.20.0.10", 443))


def test_kube_apiserver_entity_on_nodes():
    """An address of a remote node carrying the label becomes identity 7 (kube-apiserver and
    remote-node), that address alone; one of the agent's own node adds the label to the host
    identity, which all of that node's addresses and hostNetwork pods share
    (``resolveIdentity``, pkg/ipcache/metadata.go; reservedIdentityLabels, pkg/identity)."""
    egress = cnp("api", {"endpointSelector": {}, "egress": [{"toEntities": ["kube-apiserver"], "toPorts": HTTPS}]})
    # n1's external address (n1 holds db/d and the agent; n2 db/e and agent2).
    r = _placed(egress, kubernetes_slice("203.0.113.7"))
    assert not r.snapshot.unevaluated_policies
    assert r.can_reach("db/e", "203.0.113.7", 443)
    assert not r.can_reach("db/e", "10.0.1.1", 443) and not r.can_reach("db/e", "kube-system/agent", 443)
    assert all(r.can_reach("db/d", x, 443) for x in ("203.0.113.7", "10.0.1.1", "kube-system/agent"))
    assert not r.can_reach("db/d", "10.0.1.2", 443) and not r.can_reach("db/d", "kube-system/agent2", 443)
    # n2's address, which its hostNetwork agent2 holds: a pod elsewhere reaches that pod too.
    r = _placed(egress, kubernetes_slice("10.0.1.2"))
    assert r.can_reach("db/d", "10.0.1.2", 443) and r.can_reach("db/d", "kube-system/agent2", 443)
    assert not r.can_reach("db/d", "10.0.1.1", 443) and not r.can_reach("db/d", "203.0.113.7", 443)
    assert r.can_reach("db/e", "kube-system/agent2", 443) and not r.can_reach("db/e", "kube-system/agent", 443)
    assert not r.can_reach("db/d", "8.8.8.8", 443) and not r.can_reach("db/d", "db/e", 443)
    assert "the kube-apiserver entity: 10.0.1.2 from default/kubernetes EndpointSlices" in str(
        r.explain("db/d", "kube-system/agent2", 443))
    # A deny on the API server's node.
    deny = cnp("api", {"endpointSelector": D, "ingress": [{"fromEntities": ["remote-node"]}],
                       "ingressDeny": [{"fromEntities": ["kube-apiserver"]}]})
    r = _placed(deny, kubernetes_slice("10.0.1.2"))
    assert not r.can_reach("kube-system/agent2", "db/d", 80) and not r.can_reach("10.0.1.2", "db/d", 80)


@pytest.mark.parametrize(("objs", "reason"), [
    ((), "the EndpointSlices of default/kubernetes, from which Cilium takes the API server's addresses, were not read"),
    ((kubernetes_slice("172.20.0.10", name="other") | {"metadata": {"namespace": "web", "name": "x", "labels": {}}},),
     "the snapshot holds no EndpointSlice of default/kubernetes"),
    ((kubernetes_slice("172.20.0.10", not_ready=("172.20.0.11",)),),
     "list endpoints that are not ready (172.20.0.11): Cilium releases differ"),
    ((kubernetes_slice("10.0.0.2"),), "list pod addresses (10.0.0.2 (web/b))"),
])
def test_kube_apiserver_entity_is_not_judged_without_its_addresses(objs, reason):
    for peer in ({"toEntities": ["kube-apiserver"]}, {"toEndpoints": [{"matchLabels": {"reserved:kube-apiserver": ""}}]}):
        snap = snapshot(*base(cnp("api", {"endpointSelector": D, "egress": [peer]}), *objs))
        (pol,) = snap.unevaluated_policies
        assert len(pol.unsupported) == 1 and pol.unsupported[0].startswith("the kube-apiserver entity: "), pol.unsupported
        assert reason in pol.unsupported[0], pol.unsupported
    # With "all" beside it the entry matches every peer whatever the API server's addresses.
    snap = snapshot(*base(cnp("api", {"endpointSelector": D, "egress": [{"toEntities": ["all", "kube-apiserver"]}]})))
    assert not snap.unevaluated_policies


@pytest.mark.parametrize("entity", ["world-ipv4", "world-ipv6"])
@pytest.mark.parametrize(("field", "peer"), [("egress", "toEntities"), ("ingress", "fromEntities"),
                                             ("egressDeny", "toEntities"), ("ingressDeny", "fromEntities")])
def test_world_ipv4_and_ipv6_entities_are_refused_as_the_api_server_does(tmp_path, entity, field, peer):
    """The agent maps them (``EntitySelectorMapping``, pkg/policy/api/entity.go), but the
    ``+kubebuilder:validation:Enum`` on ``Entity`` leaves them out, so the CRDs' schema refuses
    such a policy: no cluster holds one.  The error names the file and the policy, and says how
    to select those addresses instead.  Beside ``world`` or ``all`` the enum refuses it too."""
    import json

    for names in ([entity], ["world", entity], ["all", entity]):
        bad = cnp("p", {"endpointSelector": D, field: [{peer: names}]})
        path = tmp_path / "p.json"
        path.write_text(json.dumps(bad))
        with pytest.raises(PolicyError) as e:
            k8sviz.load(path)
        text = str(e.value)
        assert str(path) in text and "CiliumNetworkPolicy/db/p" in text, text
        assert f"spec.{field}[0].{peer}: entity {entity!r}" in text and "API server refuses" in text, text
        assert f"the lone label reserved:{entity}" in text, text
        endpoints = peer.replace("Entities", "Endpoints")
        assert f'({endpoints}: [{{matchLabels: {{"reserved:{entity}": ""}}}}])' in text, text


def test_a_lone_reserved_world_label_is_judged_only_where_a_pod_shows_both_families():
    """``AddWorldLabel`` (pkg/labels/cidr.go) gives an outside address ``reserved:world-ipv4`` /
    ``-ipv6`` where the agents run both families and ``reserved:world`` where they run one, so
    with both a lone ``reserved:world-ipv4`` selector is every outside IPv4 address (what a
    CIDR rule on ``0.0.0.0/0`` matches) and a lone ``reserved:world`` selects nothing; the
    ``world`` entity maps to all three labels."""
    dual = pod("web", "c", {"app": "c"}, "10.0.0.3")
    dual["status"]["podIPs"] = [{"ip": "10.0.0.3"}, {"ip": "fd00::3"}]
    ends = ("db/d", "db/e", "web/a", "kube-system/agent", "10.0.1.1", "203.0.113.7", "8.8.8.8", "2001:db8::1")

    def verdicts(r: k8sviz.Reachability) -> set[tuple[str, str]]:
        return {(s, d) for s in ends for d in ends if s != d and "/" in s + d and r.can_reach(s, d, 80)}

    e = {"matchLabels": {"app": "e"}}
    for label in ("world", "world-ipv4", "world-ipv6"):
        for sel in ({"matchLabels": {f"reserved:{label}": ""}},
                    {"matchExpressions": [{"key": f"reserved:{label}", "operator": "Exists"}]}):
            for field, peer, cidr_peer in (("ingress", "fromEndpoints", "fromCIDR"),
                                           ("egress", "toEndpoints", "toCIDR"),
                                           ("egressDeny", "toEndpoints", "toCIDR")):
                extra = {"egress": [{"toEntities": ["all"]}]} if field == "egressDeny" else {}
                by_label = cnp("p", {"endpointSelector": D, field: [{peer: [sel, e]}], **extra})
                # Without a dual-stack pod: not judged, saying why.
                (pol,) = snapshot(*base(by_label)).unevaluated_policies
                assert pol.unsupported == (
                    f"a lone reserved:{label} endpoint selector: outside addresses carry it only where Cilium's "
                    + ("agents run one IP family (reserved:world-ipv4 and reserved:world-ipv6 where they run both), "
                       "which a snapshot does not show" if label == "world" else
                       "agents run both IP families (reserved:world where they run one), which a snapshot does "
                       "not show unless a pod has addresses of both"),), pol.unsupported
                r = reach(by_label, dual)
                assert not r.snapshot.unevaluated_policies
                # world-ipv4/-ipv6: every outside address of the family; world: nothing beside db/e.
                family = {"world-ipv4": ["0.0.0.0/0"], "world-ipv6": ["::/0"]}.get(label)
                same = cnp("p", {"endpointSelector": D, field: [
                    *([{cidr_peer: family}] if family else []), {peer: [e]}], **extra})
                assert verdicts(r) == verdicts(reach(same, dual)), (label, sel, field)
    r = reach(cnp("p", {"endpointSelector": D, "egress": [
        {"toEndpoints": [{"matchLabels": {"reserved:world-ipv6": ""}}]}]}), dual)
    assert r.can_reach("db/d", "2001:db8::1", 80) and not r.can_reach("db/d", "8.8.8.8", 80)
    assert not r.can_reach("db/d", "10.0.1.1", 80) and not r.can_reach("db/d", "web/a", 80)
    assert "reserved:world-ipv6" in str(r.explain("db/d", "2001:db8::1", 80))
    # hostNetwork pods show their node's addresses, not what the agent gives pods.
    host = pod("kube-system", "h", {}, "10.0.1.1", host=True, host_ip="10.0.1.1")
    host["status"]["podIPs"] = [{"ip": "10.0.1.1"}, {"ip": "fd00::1:1"}]
    v4 = cnp("p", {"endpointSelector": D, "egress": [{"toEndpoints": [{"matchLabels": {"reserved:world-ipv4": ""}}]}]})
    assert snapshot(*base(v4, host)).unevaluated_policies
    assert not snapshot(*base(v4, dual)).unevaluated_policies


def test_ports_named_port_zero_ranges_and_l7():
    r = reach(cnp("p", {"endpointSelector": D, "ingress": [
        {"fromEntities": ["all"], "toPorts": [{"ports": [{"port": "sql", "protocol": "TCP"},
                                                         {"port": "8000", "endPort": 8080, "protocol": "TCP"},
                                                         {"port": "0", "protocol": "UDP"}]}]},
        {"fromEntities": ["all"], "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}],
                                               "rules": {"http": [{"method": "GET"}]}}]}]}))
    assert r.can_reach("web/a", "db/d", 5432)
    assert r.can_reach("web/a", "db/d", 5432, "UDP")  # port 0: every UDP port
    assert r.can_reach("web/a", "db/d", 8080) and not r.can_reach("web/a", "db/d", 8081)
    assert r.can_reach("web/a", "db/d", 9, "UDP")
    assert r.can_reach("web/a", "db/d", 443)  # L7 rules filter requests on an allowed port
    assert "(L7 rules filter further)" in str(r.explain("web/a", "db/d", 443))


#: web/a's egress to every pod of db on the named port ``sql`` (db/d names 5432 so; db/e no port).
_TO_DB_SQL = {"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "db"}}],
              "toPorts": [{"ports": [{"port": "sql", "protocol": "TCP"}]}]}
#: A pod outside every rule here that names another port ``sql``.
_OTHER_SQL = pod("web", "z", {"app": "z"}, "10.0.0.50", (("sql", 3306, "TCP"),))


def _egress_sql(release: str | None, *extra: dict[str, Any],
                networkpolicy: bool = False) -> k8sviz.Reachability:
    if networkpolicy:
        policy = netpol("web", "to-db-sql", {
            "podSelector": {"matchLabels": {"app": "a"}}, "policyTypes": ["Egress"],
            "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"team": "db"}}}],
                        "ports": [{"port": "sql"}]}]})
        # A Cilium policy elsewhere says Cilium enforces the NetworkPolicy.
        nobody = {"matchLabels": {"app": "nobody"}}
        extra = (*extra, cnp("other", {"endpointSelector": nobody, "ingress": [{}]}))
    else:
        policy = cnp("to-db-sql", {"endpointSelector": {"matchLabels": {"app": "a"}}, "egress": [_TO_DB_SQL]},
                     namespace="web")
    agent = (agent_of(release),) if release else ()
    snap = snapshot(*base(policy, *extra, *agent))
    r = k8sviz.reachability(snap)
    _agrees_with_reference(r, snap)
    return r


def _agrees_with_reference(r: k8sviz.Reachability, snap: k8sviz.Snapshot) -> None:
    """web/a's connections on the ports named here agree with the reference evaluator."""
    src = next(p for p in snap.pods if p.key == "web/a")
    for dst in [*(p for p in snap.pods if p is not src), "8.8.8.8"]:
        for port in (80, 3306, 5432):
            key = dst if isinstance(dst, str) else dst.key
            expected = reference.allowed(snap, src, dst, "TCP", port)
            assert r.can_reach("web/a", key, port) == expected, (key, port)


@pytest.mark.parametrize("networkpolicy", [False, True])
@pytest.mark.parametrize("release", [None, "1.16.5", "1.18.2", "1.19.0"])
def test_up_to_cilium_1_19_an_egress_named_port_is_the_one_number_the_cluster_gives_it(
        release, networkpolicy):
    """Cilium resolves a named port of an egress rule over the named ports of every pod in the
    cluster, not over the destination's: ``Endpoint.GetNamedPort`` (pkg/endpoint) "egress needs
    named ports of all the pods" reads ``NamedPortMultiMap.GetNamedPort`` (pkg/policy/types),
    which gives the one number the name has for that protocol, or ``ErrDuplicateNamedPorts``
    when pods give it several, and then the port is skipped: cilium#12567 (1.9): "For egress the
    policy rule using the conflicting port is now ignored".  The number so found is allowed to
    every peer of the rule, whether it names the port or not.  NetworkPolicies it enforces go
    the same way (cilium#30003: "NetworkPolicy with named port is not working when there are more
    than one port with the same name").  Cilium 1.20 resolves it per destination identity
    (cilium#44429, which fixes cilium#30003, and cilium#45760); a snapshot without the release
    is read as the releases before, as every one since 1.9 reads it."""
    r = _egress_sql(release, networkpolicy=networkpolicy)
    assert r.can_reach("web/a", "db/d", 5432)
    assert r.can_reach("web/a", "db/e", 5432)  # e names no port: 5432 is the cluster's sql
    assert not r.can_reach("web/a", "db/d", 80) and not r.can_reach("web/a", "db/e", 3306)
    (said,) = [w.message for w in r.warnings if w.code == "cilium-egress-named-port"]
    assert said.startswith("egress rules name the port 'sql' (TCP); ")
    assert "it is 5432 towards every peer of those rules" in said
    # Another pod naming sql differently, though no rule selects it: the named port allows nothing.
    r = _egress_sql(release, _OTHER_SQL, networkpolicy=networkpolicy)
    assert not r.can_reach("web/a", "db/d", 5432) and not r.can_reach("web/a", "db/d", 3306)
    assert not r.can_reach("web/a", "db/e", 5432)
    (said,) = [w.message for w in r.warnings if w.code == "cilium-egress-named-port"]
    assert "pods give it 3306, 5432, so the agent skips it (duplicate named ports)" in said


@pytest.mark.parametrize("networkpolicy", [False, True])
def test_from_cilium_1_20_an_egress_named_port_is_the_destinations_own(networkpolicy):
    """cilium#44429 ("policy: Resolve named ports for egress policies based on destination
    identities", fixing cilium#30003) and cilium#45760 ("Named ports identity label": egress
    policies "with named ports are expanded to per-identity policies"): from Cilium 1.20 the
    name resolves on each destination alone."""
    r = _egress_sql("1.20.0", networkpolicy=networkpolicy)
    assert r.can_reach("web/a", "db/d", 5432) and not r.can_reach("web/a", "db/e", 5432)
    r = _egress_sql("1.20.0", _OTHER_SQL, networkpolicy=networkpolicy)
    assert r.can_reach("web/a", "db/d", 5432) and not r.can_reach("web/a", "db/d", 3306)
    assert not any(w.code == "cilium-egress-named-port" for w in r.warnings)


@pytest.mark.parametrize("release", [None, "1.18.2"])
def test_an_egress_named_port_reaches_outside_peers_up_to_cilium_1_19(release):
    """Resolved over the cluster's pods, the number of an egress named port holds for a peer
    outside the cluster too (pkg/endpoint ``GetNamedPort``); from 1.20 an outside peer has no
    named port (cilium#45760 expands such rules to the identities that name it)."""
    world = cnp("to-world-sql", {"endpointSelector": {"matchLabels": {"app": "a"}}, "egress": [
        {"toEntities": ["world"], "toPorts": [{"ports": [{"port": "sql", "protocol": "TCP"}]}]}]},
                namespace="web")
    agent = (agent_of(release),) if release else ()
    snap = snapshot(*base(world, *agent))
    r = k8sviz.reachability(snap)
    assert r.can_reach("web/a", "8.8.8.8", 5432) and not r.can_reach("web/a", "8.8.8.8", 80)
    _agrees_with_reference(r, snap)
    snap = snapshot(*base(world, agent_of("1.20.0")))
    r = k8sviz.reachability(snap)
    assert not r.can_reach("web/a", "8.8.8.8", 5432)
    _agrees_with_reference(r, snap)


@pytest.mark.parametrize("release", [None, "1.18.2"])
def test_an_ingress_named_port_stays_the_pods_own_whatever_other_pods_name(release):
    """Ingress resolves on the endpoint's own ports (pkg/endpoint ``GetNamedPort``: "Ingress only
    needs the ports of the POD itself"); cilium#12567: "these collisions will not affect ingress
    policies at all"."""
    agent = (agent_of(release),) if release else ()
    snap = snapshot(*base(ingress_ports({"port": "sql", "protocol": "TCP"}), _OTHER_SQL, *agent))
    r = k8sviz.reachability(snap)
    assert r.can_reach("web/a", "db/d", 5432) and not r.can_reach("web/a", "db/d", 3306)
    _agrees_with_reference(r, snap)


@pytest.mark.parametrize("networkpolicy", [False, True])
@pytest.mark.parametrize("release", [None, "1.19.0"])
def test_explain_says_an_egress_named_port_was_resolved_over_the_cluster(release, networkpolicy):
    """explain names the rule, its named port, the cluster's number (or the duplicate that was
    skipped) and the release rule, where that is why a pod that gives the name no port is
    reached, or one that gives it the number is not; its verdict is can_reach's."""
    which = ("the snapshot does not show the Cilium release: read as up to 1.19" if release is None
             else "up to Cilium 1.19 (this is 1.19)")
    r = _egress_sql(release, networkpolicy=networkpolicy)
    v = r.explain("web/a", "db/e", 5432)
    assert v.allowed and v.allowed == r.can_reach("web/a", "db/e", 5432)
    (note,) = [n for n in v.notes if "names the port 'sql'" in n]
    head = v.egress.allowed_by[0]
    assert note.startswith(f"{head.policy} egress[{head.rule}] names the port 'sql' (TCP); {which}")
    assert ("there it is 5432, so the rule allows TCP/5432 towards every peer, though db/e gives no "
            "port that name") in note
    assert note.endswith("(Cilium 1.20 resolves it on the destination)")
    assert html.escape(note) in v._repr_html_() and "'sql'" not in v._repr_html_()
    # db/d gives sql 5432 itself: no note, the name matches there as on the destination.
    assert not any("'sql'" in n for n in r.explain("web/a", "db/d", 5432).notes)
    assert not any("'sql'" in n for n in r.explain("web/a", "db/e", 80).notes)

    r = _egress_sql(release, _OTHER_SQL, networkpolicy=networkpolicy)
    v = r.explain("web/a", "db/d", 5432)
    assert not v.allowed and v.allowed == r.can_reach("web/a", "db/d", 5432)
    (note,) = [n for n in v.notes if "names the port 'sql'" in n]
    assert f"names the port 'sql' (TCP); {which}" in note
    assert ("pods give it 3306, 5432, a duplicate the agent skips (duplicate named ports), so the rule does "
            "not allow TCP/5432 towards db/d, though db/d gives the name 5432") in note
    assert "<li>" in v._repr_html_() and html.escape(note) in v._repr_html_()
    # db/e names no sql: a denial the destination's own ports explain as well.
    assert not any("'sql'" in n for n in r.explain("web/a", "db/e", 5432).notes)
    assert f"note: {note}" in str(v).splitlines()


def test_explain_says_nothing_of_egress_named_ports_from_cilium_1_20():
    r = _egress_sql("1.20.0", _OTHER_SQL)
    assert not any("'sql'" in n for p in ("db/d", "db/e") for n in r.explain("web/a", p, 5432).notes)


def _scoped(*extra: dict[str, Any], scope: list[str] | None, pods_in: list[str] | None = None,
            pods_refused: bool = False) -> k8sviz.Snapshot:
    """web/a's egress to db on sql, read in the namespaces of ``scope`` (None: cluster-wide), with
    the pods of ``pods_in`` (default: the scope's, as a live snapshot so scoped lists them)."""
    from k8sviz.snapshot import SnapshotBuilder

    b = SnapshotBuilder()
    policy = cnp("to-db-sql", {"endpointSelector": {"matchLabels": {"app": "a"}}, "egress": [_TO_DB_SQL]},
                 namespace="web")
    for o in base(policy, *extra):
        read = pods_in if pods_in is not None else scope
        if read is None or o["kind"] != "Pod" or o["metadata"]["namespace"] in (*read, "kube-system"):
            b.add(o, "test")
    if pods_refused:
        b.coverage["pods"] = "forbidden"
    return b.build(namespace_scope=scope)


def test_a_namespace_scoped_snapshot_warns_that_the_clusters_number_may_differ():
    """The agent resolves an egress named port over every pod of the cluster; a namespace-scoped
    snapshot holds some of them, so the one number found may be a duplicate in the cluster, and
    a name no pod of the snapshot gives may have a number there.  The verdicts stay what the
    pods read give (the reference agrees); the warning and explain say the cluster may differ."""
    snap = _scoped(scope=["db", "web"])
    r = k8sviz.reachability(snap)
    _agrees_with_reference(r, snap)
    assert r.can_reach("web/a", "db/e", 5432)
    (said,) = [w.message for w in r.warnings if w.code == "cilium-egress-named-port"]
    assert "it is 5432 towards every peer of those rules" in said
    assert ("but the snapshot is namespace-scoped: it holds the pods of db, web only, and the agent counts "
            "the pods elsewhere too: if they give the name another number, it is a duplicate") in said
    (note,) = [n for n in r.explain("web/a", "db/e", 5432).notes if "'sql'" in n]
    assert "it holds the pods of db, web only, and the agent counts every pod of the cluster" in note
    # Several numbers stay a duplicate whatever other pods give: nothing to add.
    snap = _scoped(_OTHER_SQL, scope=["db", "web"])
    r = k8sviz.reachability(snap)
    _agrees_with_reference(r, snap)
    (said,) = [w.message for w in r.warnings if w.code == "cilium-egress-named-port"]
    assert "a duplicate" not in said and "namespace-scoped" not in said
    (note,) = [n for n in r.explain("web/a", "db/d", 5432).notes if "'sql'" in n]
    assert "namespace-scoped" not in note
    # Listed cluster-wide, the same pods give no such caveat.
    (said,) = [w.message for w in _egress_sql(None).warnings if w.code == "cilium-egress-named-port"]
    assert "namespace-scoped" not in said


def test_a_name_no_pod_of_a_namespace_scoped_snapshot_gives_is_named_in_a_warning():
    """Where no pod read gives the name, the rule allows nothing on it here; in the cluster,
    pods outside the scope may give it the one number the agent then allows everywhere."""
    r = k8sviz.reachability(_scoped(scope=["web"]))  # db/d, which gives sql, is not read
    (said,) = [w.message for w in r.warnings if w.code == "cilium-egress-named-port"]
    assert said.startswith("egress rules name the port 'sql' (TCP); ")
    assert ("no pod of the snapshot gives the name, so those rules are judged to allow nothing on it; but "
            "the snapshot is namespace-scoped: it holds the pods of web only: if pods elsewhere give it one "
            "number, the cluster allows that number towards every peer of those rules") in said
    # Pods listed cluster-wide, but refused in some namespace: the same caveat.
    refused = k8sviz.reachability(_scoped(scope=None, pods_in=["web"], pods_refused=True))
    (said,) = [w.message for w in refused.warnings if w.code == "cilium-egress-named-port"]
    assert ("but listing pods was refused (coverage 'forbidden'): the snapshot may lack some of the "
            "cluster's pods: if pods elsewhere give it one number") in said
    # The same pods read cluster-wide: a name no pod gives is no warning.
    cluster = _scoped(scope=None, pods_in=["web"])
    assert {p.namespace for p in cluster.pods} == {"web", "kube-system"}
    assert not any(w.code == "cilium-egress-named-port" for w in k8sviz.reachability(cluster).warnings)


def ingress_ports(*ports: dict[str, Any]) -> dict[str, Any]:
    """A policy opening db/d's ingress to every peer on ``ports`` only."""
    return cnp("p", {"endpointSelector": D, "ingress": [{"fromEntities": ["all"], "toPorts": [{"ports": list(ports)}]}]})


def test_an_end_port_at_or_below_the_port_is_that_port_alone(tmp_path):
    """The CRDs' schema ties endPort to nothing but 0-65535, and the agent reads an endPort at
    or below the port as the port alone (``PortRangeToMaskedPorts``, pkg/policy); port 0 with
    an endPort is the range up to it (every port only with endPort 0 or 65535)."""
    snap, _ = load_files(tmp_path, ingress_ports({"port": "8080", "endPort": 80, "protocol": "TCP"},
                                                 {"port": "0", "endPort": 100, "protocol": "UDP"},
                                                 {"port": "0", "endPort": 65535, "protocol": "SCTP"}))
    assert not snap.unevaluated_policies
    r = k8sviz.reachability(snap)
    assert r.can_reach("web/a", "db/d", 8080)
    assert not r.can_reach("web/a", "db/d", 80) and not r.can_reach("web/a", "db/d", 8000)
    assert r.can_reach("web/a", "db/d", 1, "UDP") and r.can_reach("web/a", "db/d", 100, "UDP")
    assert not r.can_reach("web/a", "db/d", 101, "UDP")
    assert r.can_reach("web/a", "db/d", 9, "SCTP") and r.can_reach("web/a", "db/d", 65535, "SCTP")
    # Out of the schema's range is still refused by the API server.
    with pytest.raises(PolicyError, match="endPort 65536 must be a number from 0 to 65535"):
        load_files(tmp_path, ingress_ports({"port": "80", "endPort": 65536}))
    with pytest.raises(PolicyError, match="endPort true must be a number from 0 to 65535"):  # YAML's word
        load_files(tmp_path, ingress_ports({"port": "80", "endPort": True}))


def test_port_strings_read_as_the_agent_parses_them(tmp_path):
    """An IANA service name is a port name (``0x10`` included); anything else is parsed by Go's
    ``strconv.ParseUint(port, 0, 16)``: a leading 0 is octal and underscores may separate digits."""
    named = pod("db", "n", {"app": "d"}, "10.0.0.11", (("0x10", 7000, "TCP"),))
    snap, _ = load_files(tmp_path, ingress_ports({"port": "010", "protocol": "TCP"},
                                                 {"port": "0x10", "protocol": "TCP"},
                                                 {"port": "1_000", "protocol": "TCP"},
                                                 {"port": "0o20", "protocol": "UDP"}), named)
    assert not snap.unevaluated_policies
    (pol,) = snap.cilium_policies
    assert [str(p) for p in pol.rules[0].ingress[0].ports] == ["TCP 8", "TCP 0x10", "TCP 1000", "UDP 0o20"]
    r = k8sviz.reachability(snap)
    assert r.can_reach("web/a", "db/d", 8) and not r.can_reach("web/a", "db/d", 10)
    assert not r.can_reach("web/a", "db/d", 16) and r.can_reach("web/a", "db/n", 7000)
    assert r.can_reach("web/a", "db/d", 1000)
    assert not r.can_reach("web/a", "db/d", 16, "UDP")  # 0o20 is a name, which db/d does not have


@pytest.mark.parametrize(("port", "why"), [
    ("08", "invalid syntax"),  # 8 is no octal digit
    ("99999", "value out of range"),  # the schema's first branch matches its first digits
    ("80_", "invalid syntax"),
    ("http_x", "invalid syntax"),  # the schema's second branch matches the trailing x
    ("web-server-01234", "invalid syntax"),  # 16 characters: too long for a name
])
def test_port_strings_the_schema_admits_but_the_agent_cannot_parse(tmp_path, port, why):
    """The schema's pattern is anchored on one branch each, so it admits such strings; the agent's
    ``PortProtocol.Validate`` refuses them, so the policy is judged as absent."""
    snap, _ = load_files(tmp_path, ingress_ports({"port": "81", "protocol": "TCP"}, {"port": port, "protocol": "TCP"}))
    (pol,) = snap.unevaluated_policies
    assert pol.rejected and pol.unsupported == (
        f"Cilium's agent rejects the policy (spec.ingress[0].toPorts[0].ports[1]: unable to parse port: "
        f'strconv.ParseUint: parsing "{port}": {why}), so it enforces nothing of it',), pol.unsupported
    assert k8sviz.reachability(snap).can_reach("web/a", "db/d", 82)


@pytest.mark.parametrize("port", ["-1", " 80", "http-", "a--b!"])
def test_port_strings_the_schema_refuses_are_load_errors(tmp_path, port):
    with pytest.raises(PolicyError, match="CiliumNetworkPolicy/db/p") as e:
        load_files(tmp_path, ingress_ports({"port": port}))
    assert f"port {port!r} does not match the CRDs' pattern for a port" in str(e.value)


def test_an_unparsable_port_in_a_deny_entry_leaves_the_policy_unevaluated(tmp_path):
    """Deny entries are validated by later releases only: older ones read such a port as 0."""
    deny = cnp("p", {"endpointSelector": D, "ingressDeny": [
        {"fromEntities": ["all"], "toPorts": [{"ports": [{"port": "08", "protocol": "TCP"}]}]}]})
    snap, _ = load_files(tmp_path, deny)
    (pol,) = snap.unevaluated_policies
    assert not pol.rejected
    assert pol.unsupported == (
        'spec.ingressDeny[0].toPorts[0].ports[0]: port "08" is no number to Cilium (invalid syntax): releases '
        "that do not validate deny entries deny every port with it, later ones reject the policy, and which "
        "release first does is not settled here",)


@pytest.mark.parametrize("release", ["1.15.7", "1.16.0", None])
def test_end_port_before_cilium_1_16_is_dropped_by_the_api_server(tmp_path, release):
    """Cilium's port type has endPort from 1.16 (port ranges): an older release's CRD prunes the
    field and its agent reads the port alone, with a warning naming the field; a later or unknown
    release reads the range.  So a DNS rule on a range, which 1.16 refuses, is no range before."""
    dns = {"toEndpoints": [{}], "toPorts": [{"ports": [{"port": "53", "endPort": 54, "protocol": "UDP"}],
                                             "rules": {"dns": [{"matchPattern": "*"}]}}]}
    policy = cnp("p", {"endpointSelector": D, "ingress": [{"fromEntities": ["all"], "toPorts": [{"ports": [
        {"port": "8000", "endPort": 8080, "protocol": "TCP"}, {"port": "0", "endPort": 100, "protocol": "UDP"}]}]}],
        "egress": [dns]})
    agent = (agent_of(release),) if release else ()
    snap, _ = load_files(tmp_path, policy, *agent)
    r = k8sviz.reachability(snap)
    dropped = [w for w in snap.warnings if w.code == "cilium-field-dropped"]
    if release == "1.15.7":
        assert not snap.unevaluated_policies
        assert r.can_reach("web/a", "db/d", 8000) and not r.can_reach("web/a", "db/d", 8080)
        assert r.can_reach("web/a", "db/d", 101, "UDP")  # port 0 alone: every port
        assert r.can_reach("db/d", "db/e", 53, "UDP") and not r.can_reach("db/d", "db/e", 54, "UDP")
        (w,) = dropped
        assert w.obj == "CiliumNetworkPolicy/db/p" and w.message.startswith(
            "spec.ingress[0].toPorts[0].ports[0].endPort, spec.ingress[0].toPorts[0].ports[1].endPort, "
            "spec.egress[0].toPorts[0].ports[0].endPort: the cilium-agent image shows Cilium 1.15"), w.message
    else:
        assert not dropped
        (pol,) = snap.unevaluated_policies  # the DNS rule on a range
        assert pol.rejected and "DNS rules do not support port ranges" in pol.unsupported[0]
        without_dns = cnp("p", {**policy["spec"], "egress": []})
        snap, _ = load_files(tmp_path, without_dns, *agent)
        r = k8sviz.reachability(snap)
        assert r.can_reach("web/a", "db/d", 8080) and not r.can_reach("web/a", "db/d", 101, "UDP")


@pytest.mark.parametrize("selector", [{}, {"matchLabels": {"node-role.kubernetes.io/control-plane": ""}}])
def test_to_nodes_is_not_judged_whatever_the_selector_naming_the_agent_option(tmp_path, selector):
    """Even ``toNodes: [{}]`` depends on the agents' enable-node-selector-labels option: off (the
    default), the agent rejects the whole policy; on, it selects every node.  A snapshot shows no
    agent option, so the policy is listed as not evaluated, saying which option decides."""
    for release in ((), (agent_of("1.17.3"),)):
        snap, _ = load_files(tmp_path, cnp("p", {"endpointSelector": D, "egress": [
            {"toNodes": [selector], "toPorts": [{"ports": TCP_80}]}]}), *release)
        (pol,) = snap.unevaluated_policies
        assert pol.unsupported == (
            "spec.egress[0].toNodes: nodes selected by their labels, which Cilium's agents judge only with their "
            "enable-node-selector-labels option on (off, the default, they reject the whole policy; on, the "
            "selector matches each node's labels that the node-labels option keeps), and a snapshot shows "
            "neither option",), pol.unsupported


def test_to_nodes_before_cilium_1_16_is_dropped_by_the_api_server(tmp_path):
    """Before 1.16 no policy type has fromNodes/toNodes: the API server prunes them, and the entry
    keeps its ports alone, which allow every peer."""
    snap, _ = load_files(tmp_path, cnp("p", {"endpointSelector": D, "egress": [
        {"toNodes": [{"matchLabels": {"role": "db"}}], "toPorts": [{"ports": TCP_80}]}]}), agent_of("1.15.7"))
    assert not snap.unevaluated_policies
    r = k8sviz.reachability(snap)
    assert r.can_reach("db/d", "web/a", 80) and r.can_reach("db/d", "8.8.8.8", 80)
    assert not r.can_reach("db/d", "web/a", 81)
    (w,) = [w for w in snap.warnings if w.code == "cilium-field-dropped"]
    assert w.message.startswith("spec.egress[0].toNodes: the cilium-agent image shows Cilium 1.15"), w.message


KAFKA_9092 = {"ports": [{"port": "9092", "protocol": "TCP"}], "rules": {"kafka": [{"topic": "orders"}]}}
R2D2_7000 = {"ports": [{"port": "7000", "protocol": "TCP"}], "rules": {"l7proto": "r2d2", "l7": [{"cmd": "READ"}]}}


@pytest.mark.parametrize("release", ["1.19.4", "1.20.0", "1.21.1", None])
def test_kafka_and_generic_l7_rules_from_cilium_1_20_are_dropped_by_the_api_server(tmp_path, release):
    """Cilium 1.20 removed Kafka rules and generic L7 rules (l7proto, l7) from its policy types
    and CRDs (cilium#43557, cilium#44610): its API server prunes them, and its agents read such
    a toPorts item without them, its ports then open to every request of its peers.  An
    earlier or unknown release reads them as written."""
    policy = cnp("p", {"endpointSelector": D, "ingress": [
        {"fromEndpoints": [FROM_E], "toPorts": [KAFKA_9092]}, {"fromEndpoints": [FROM_E], "toPorts": [R2D2_7000]}]})
    agent = (agent_of(release),) if release else ()
    snap, _ = load_files(tmp_path, policy, *agent)
    assert not snap.unevaluated_policies
    r = k8sviz.reachability(snap)
    assert r.can_reach("db/e", "db/d", 9092) and r.can_reach("db/e", "db/d", 7000)
    assert not r.can_reach("web/a", "db/d", 9092) and not r.can_reach("db/e", "db/d", 80)
    dropped = [w for w in snap.warnings if w.code == "cilium-field-dropped"]
    filtered = "(L7 rules filter further)" in str(r.explain("db/e", "db/d", 9092))
    if release in ("1.20.0", "1.21.1"):
        (w,) = dropped
        assert w.obj == "CiliumNetworkPolicy/db/p" and w.message.startswith(
            "spec.ingress[0].toPorts[0].rules.kafka, spec.ingress[1].toPorts[0].rules.l7proto, "
            f"spec.ingress[1].toPorts[0].rules.l7: the cilium-agent image shows Cilium {release[:4]}, whose "
            "policy types have no Kafka rules, l7proto or l7 (removed in 1.20)"), w.message
        assert not filtered
        assert not any(e.l7 for rule in snap.cilium_policies[0].rules for e in rule.ingress)
    else:
        assert not dropped and filtered


def test_as_stored_from_1_20_keeps_the_rest_of_each_rules_object():
    from k8sviz.cilium_objects import as_stored_from_1_20

    obj = cnp("p", key="specs", spec=[
        {"endpointSelector": D, "egress": [{"toPorts": [KAFKA_9092, {**HTTP_80, "rules": {
            **HTTP_80["rules"], "l7proto": "x"}}]}]},
        {"endpointSelector": D, "ingressDeny": [{"fromEntities": ["world"]}]}])
    out = as_stored_from_1_20(obj)
    items = out["specs"][0]["egress"][0]["toPorts"]
    assert items[0] == {"ports": KAFKA_9092["ports"], "rules": {}}  # pruned, not removed
    assert items[1]["rules"] == HTTP_80["rules"]
    assert out["specs"][1] == obj["specs"][1]
    assert obj["specs"][0]["egress"][0]["toPorts"][0] is KAFKA_9092 and KAFKA_9092["rules"]["kafka"]


@pytest.mark.parametrize("release", ["1.19.4", "1.20.0"])
def test_a_kafka_rule_the_agent_rejects_only_matters_before_cilium_1_20(tmp_path, release):
    """An invalid Kafka rule makes an agent up to 1.19 reject the whole policy (the pod stays
    open); from 1.20 the API server drops the rule, and the policy holds at L3/L4."""
    bad = {"ports": [{"port": "9092", "protocol": "TCP"}], "rules": {"kafka": [{"role": "admin"}]}}
    snap, _ = load_files(tmp_path, cnp("p", {"endpointSelector": D, "ingress": [
        {"fromEndpoints": [FROM_E], "toPorts": [bad]}]}), agent_of(release))
    r = k8sviz.reachability(snap)
    if release == "1.19.4":
        (pol,) = snap.unevaluated_policies
        assert pol.rejected and 'invalid Kafka Role "admin"' in pol.unsupported[0]
    else:
        assert not snap.unevaluated_policies
        assert r.can_reach("db/e", "db/d", 9092) and not r.can_reach("web/a", "db/d", 9092)


@pytest.mark.parametrize("release", ["1.17.4", "1.20.0"])
def test_no_kafka_parser_to_clash_with_from_cilium_1_20(tmp_path, release):
    """HTTP and Kafka rules for one peer on one port: a parser clash the agent cannot merge up
    to 1.19; from 1.20 the Kafka rules are gone, and the HTTP ones alone apply."""
    clash = cnp("p", {"endpointSelector": D, "ingress": [
        {"fromEndpoints": [FROM_E], "toPorts": [HTTP_80]}, {"fromEndpoints": [FROM_E], "toPorts": [KAFKA_80]}]})
    snap, _ = load_files(tmp_path, clash, agent_of(release))
    assert bool(snap.unevaluated_policies) == (release == "1.17.4")
    assert ("cilium-l7-parser-clash" in {w.code for w in snap.warnings}) == (release == "1.17.4")


def test_egress_and_specs():
    r = reach(cnp("p", key="specs", spec=[
        {"endpointSelector": {"matchLabels": {"app": "e"}}, "egress": [{"toEndpoints": [D]}]},
        {"endpointSelector": {"matchLabels": {"app": "e"}}, "egress": [{"toEntities": ["world"],
                                                                        "toPorts": [{"ports": [{"port": "443"}]}]}]},
    ]))
    assert r.can_reach("db/e", "db/d", 80) and r.can_reach("db/e", "8.8.8.8", 443)
    assert not r.can_reach("db/e", "8.8.8.8", 80) and not r.can_reach("db/e", "web/a", 80)


SERVICE = {"toNodes": [{"matchLabels": {"role": "db"}}]}  # a feature a snapshot cannot judge


def test_what_a_snapshot_cannot_judge_is_not_evaluated_and_said_so():
    fqdn = cnp("f", {"endpointSelector": D, "egress": [SERVICE]})
    host = cnp("h", {"nodeSelector": {}, "ingress": [{"fromEntities": ["cluster"]}]}, namespace=None)
    snap = snapshot(*base(fqdn, host))
    r = k8sviz.reachability(snap)
    assert r.can_reach("db/d", "8.8.8.8", 80)  # not evaluated ...
    assert sorted(p.ref for p in snap.unevaluated_policies) == [  # ... and listed
        "CiliumClusterwideNetworkPolicy/h", "CiliumNetworkPolicy/db/f"]
    assert any("CiliumNetworkPolicy/db/f" in n for n in r.explain("db/d", "8.8.8.8", 80).notes)


@pytest.mark.parametrize(("spec", "reason"), [
    ({"endpointSelector": D, "ingress": [{"fromCIDRSet": [{"cidrGroupSelector": {"matchLabels": {"a": "b"}}}]}]},
     "fromCIDRSet[0].cidrGroupSelector"),
    ({"endpointSelector": D, "ingress": [{"fromCIDRSet": [{"cidrGroupRef": "g"}]}]}, "fromCIDRSet[0].cidrGroupRef"),
    ({"endpointSelector": D, "ingress": [{"fromEndpoints": [{"matchLabels": {"io.cilium.k8s.policy.cluster": "default"}}]}]},
     "the Cilium cluster's name"),
])
def test_what_the_snapshot_does_not_hold_leaves_the_policy_unevaluated(spec, reason):
    """CiliumCIDRGroup objects and the cluster's name (ClusterMesh) are not in a snapshot."""
    snap = snapshot(*base(cnp("p", spec)))
    (pol,) = snap.unevaluated_policies
    assert any(reason in u for u in pol.unsupported), pol.unsupported
    assert k8sviz.reachability(snap).can_reach("web/a", "db/d", 80)  # left out, not guessed


@pytest.mark.parametrize(("entry", "why"), [
    ({"fromEndpoints": [{}], "toPorts": [{"ports": [{"port": "0", "protocol": "TCP"}], "rules": {"http": [{"method": "GET"}]}}]},
     "L7 rules can not be used when a port is 0"),
    ({"fromEndpoints": [{}], "toPorts": [{"ports": [{"port": "80"}], "rules": {"http": [{"method": "GET"}]}}]},
     "L7 rules can only apply to TCP (not ANY)"),
    ({"fromEndpoints": [{}], "toPorts": [{"ports": [{"port": "80", "protocol": "UDP"}], "rules": {"kafka": [{"topic": "t"}]}}]},
     "L7 rules can only apply to TCP (not UDP)"),
    ({"fromEndpoints": [{}], "toPorts": [{"ports": [{"port": "53", "protocol": "UDP"}], "rules": {"dns": [{"matchPattern": "*"}]}}]},
     "DNS rules are not allowed on ingress"),
    ({"fromEndpoints": [{}], "toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}],
                                          "rules": {"http": [{"method": "GET"}], "kafka": [{"topic": "t"}]}}]},
     "rules: multiple L7 protocol rule types specified in single rule (http and kafka)"),
    # A kind given as an empty list counts (the Go field is set): ``L7Rules.Validate``.
    ({"fromEndpoints": [{}], "toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}],
                                          "rules": {"http": [], "l7proto": "r2d2", "l7": [{"cmd": "READ"}]}}]},
     "multiple L7 protocol rule types specified in single rule (http and l7proto)"),
])
def test_l7_rules_the_agent_refuses_leave_the_policy_unenforced(entry, why):
    """The API server stores such a policy; Cilium's agent refuses to import it, so it enforces
    nothing: the pod stays open, and the policy is listed with the agent's reason."""
    snap = snapshot(*base(cnp("p", {"endpointSelector": D, "ingress": [entry]})))
    (pol,) = snap.unevaluated_policies
    assert any(why in u and "rejects" in u for u in pol.unsupported), pol.unsupported
    assert k8sviz.reachability(snap).can_reach("web/a", "db/d", 80)


def test_l7_rules_the_agent_accepts_still_allow_at_l3_l4():
    ok = cnp("p", {"endpointSelector": D, "ingress": [
        {"fromEndpoints": [{}], "toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}], "rules": {"http": [{"method": "GET"}]}}]}],
        "egress": [{"toEndpoints": [{}], "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}], "rules": {"dns": [{"matchPattern": "*"}]}}]}]})
    snap = snapshot(*base(ok))
    assert not snap.unevaluated_policies
    r = k8sviz.reachability(snap)
    assert r.can_reach("db/e", "db/d", 80) and not r.can_reach("db/e", "db/d", 81)


def test_one_rules_object_mixing_l7_kinds_is_refused_by_the_agent():
    """``L7Rules.Validate`` (pkg/policy/api/rule_validation.go) refuses HTTP and DNS rules in one
    ``rules`` object; the API server stores such a policy up to Cilium 1.15, so it is listed as
    enforced by no agent and judged as absent.  A kind given as null is absent (the API server
    prunes it), and one kind alone is accepted."""
    mixed = {"toEndpoints": [{}], "toPorts": [{"ports": [{"port": "53", "protocol": "TCP"}], "rules": {
        "dns": [{"matchPattern": "*"}], "http": [{"method": "GET"}]}}]}
    snap = snapshot(*base(cnp("p", {"endpointSelector": D, "egress": [mixed]})))
    (pol,) = snap.unevaluated_policies
    assert pol.unsupported == ("Cilium's agent rejects the policy (spec.egress[0].toPorts[0].rules: multiple L7 "
                               "protocol rule types specified in single rule (http and dns)), so it enforces nothing "
                               "of it",), pol.unsupported
    assert k8sviz.reachability(snap).can_reach("db/d", "web/a", 80)  # the egress policy counts for nothing
    one = {**mixed, "toPorts": [{**mixed["toPorts"][0], "rules": {"dns": [{"matchPattern": "*"}], "http": None}}]}
    snap = snapshot(*base(cnp("p", {"endpointSelector": D, "egress": [one]})))
    assert not snap.unevaluated_policies
    r = k8sviz.reachability(snap)
    assert r.can_reach("db/d", "db/e", 53) and not r.can_reach("db/d", "db/e", 80)


def load_files(tmp_path: Any, *objs: dict[str, Any]) -> tuple[k8sviz.Snapshot, str]:
    """base() and ``objs`` loaded from one file, as a cluster dump is: (snapshot, the path)."""
    import json

    path = tmp_path / "dump.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": base(*objs)}))
    return k8sviz.load(path), str(path)


LISTENER = {"envoyConfig": {"kind": "CiliumEnvoyConfig", "name": "cec"}, "name": "l1"}
TCP_80 = [{"port": "80", "protocol": "TCP"}]


@pytest.mark.parametrize(("field", "item", "why"), [
    # PortRule.Validate: a listener only on egress, and never beside L7 rules.
    ("ingress", {"ports": TCP_80, "listener": LISTENER}, "toPorts[0]: Listener is not allowed on ingress (l1)"),
    ("egress", {"ports": TCP_80, "listener": LISTENER, "rules": {"http": [{"method": "GET"}]}},
     "toPorts[0]: Listener is not allowed with L7 rules (l1)"),
    # Server names beside L7 rules need the proxy to terminate TLS; none may be empty.
    ("egress", {"ports": TCP_80, "serverNames": ["api.example.com"], "rules": {"http": [{"method": "GET"}]}},
     "toPorts[0]: ServerNames are not allowed with L7 rules without TLS termination"),
    ("egress", {"ports": TCP_80, "serverNames": ["api.example.com", ""]},
     "toPorts[0].serverNames: empty server name is not allowed"),
    # L7Rules.Validate: generic rules need their l7proto; DNS rules need ports.
    ("egress", {"ports": TCP_80, "rules": {"l7": [{"cmd": "READ"}]}},
     "toPorts[0].rules: 'l7' may only be specified when a 'l7proto' is also specified"),
    ("egress", {"rules": {"dns": [{"matchPattern": "*"}]}}, "toPorts[0]: port 53 must be specified for DNS rules"),
    # PortProtocol.Validate: DNS rules on a numeric port with a higher endPort (a range).
    ("egress", {"ports": [{"port": "53", "endPort": 54, "protocol": "UDP"}], "rules": {"dns": [{"matchPattern": "*"}]}},
     "toPorts[0].ports[0]: DNS rules do not support port ranges"),
    ("egress", {"ports": [{"port": str(1000 + i), "protocol": "TCP"} for i in range(41)]},
     "toPorts[0].ports: too many ports, the max is 40"),
    # PortRuleHTTP.Validate: path and method compile as Go regular expressions; header matches.
    ("ingress", {"ports": TCP_80, "rules": {"http": [{"path": "/api/(v1"}]}},
     "toPorts[0].rules.http[0].path: error parsing regexp: missing closing ): `/api/(v1`"),
    ("ingress", {"ports": TCP_80, "rules": {"http": [{"method": "GET"}, {"method": "*"}]}},
     "toPorts[0].rules.http[1].method: error parsing regexp: missing argument to repetition operator: `*`"),
    ("ingress", {"ports": TCP_80, "rules": {"http": [{"path": "/(?!admin).*"}]}},
     "toPorts[0].rules.http[0].path: error parsing regexp: invalid or unsupported Perl syntax"),
    ("ingress", {"ports": TCP_80, "rules": {"http": [{"path": "/(a)\\1"}]}},
     "toPorts[0].rules.http[0].path: error parsing regexp: invalid escape sequence"),
    ("ingress", {"ports": TCP_80, "rules": {"http": [{"headerMatches": [{"name": ""}]}]}},
     "toPorts[0].rules.http[0].headerMatches[0]: header name missing"),
    ("ingress", {"ports": TCP_80, "rules": {"http": [{"headerMatches": [{"name": "x", "mismatch": "DROP"}]}]}},
     "toPorts[0].rules.http[0].headerMatches[0]: invalid header action: DROP"),
    ("ingress", {"ports": TCP_80, "rules": {"http": [{"headerMatches": [{"name": "x", "secret": {"name": ""}}]}]}},
     "toPorts[0].rules.http[0].headerMatches[0]: secret name missing"),
    # PortRuleKafka.Sanitize.
    ("ingress", {"ports": TCP_80, "rules": {"kafka": [{"role": "produce", "apiKey": "fetch"}]}},
     'toPorts[0].rules.kafka[0]: cannot set both Role "produce" and APIKey "fetch" together'),
    ("ingress", {"ports": TCP_80, "rules": {"kafka": [{"apiKey": "createtopic"}]}},  # createtopics
     'toPorts[0].rules.kafka[0]: invalid Kafka APIKey "createtopic"'),
    ("ingress", {"ports": TCP_80, "rules": {"kafka": [{"role": "admin"}]}},
     'toPorts[0].rules.kafka[0]: invalid Kafka Role "admin"'),
    ("ingress", {"ports": TCP_80, "rules": {"kafka": [{"apiVersion": "-1"}]}},
     'toPorts[0].rules.kafka[0]: invalid Kafka APIVersion "-1"'),
    ("ingress", {"ports": TCP_80, "rules": {"kafka": [{"apiVersion": "40000"}]}},
     'toPorts[0].rules.kafka[0]: invalid Kafka APIVersion "40000"'),
    ("ingress", {"ports": TCP_80, "rules": {"kafka": [{"topic": "orders/eu"}]}},
     'toPorts[0].rules.kafka[0]: invalid Kafka Topic name "orders/eu"'),
    ("ingress", {"ports": TCP_80, "rules": {"kafka": [{"topic": "t" * 256}]}},
     "toPorts[0].rules.kafka[0]: kafka topic exceeds maximum len of 255"),
    # PortRuleL7.Validate: generic rules (under their l7proto) need non-empty keys.
    ("egress", {"ports": TCP_80, "rules": {"l7proto": "r2d2", "l7": [{"cmd": "READ"}, {"": "x"}]}},
     "toPorts[0].rules.l7[1]: empty key not allowed"),
])
def test_port_rules_the_agent_refuses_leave_the_policy_unenforced(tmp_path, field, item, why):
    """Refused by Cilium's agent (``PortRule.Validate``, pkg/policy/api/rule_validation.go), not
    by the API server of the releases that have the field: such a policy is stored, enforced by no
    agent, and so judged as absent, listed with the agent's reason."""
    entry = {"fromEndpoints" if field == "ingress" else "toEndpoints": [{}], "toPorts": [item]}
    snap, _ = load_files(tmp_path, cnp("p", {"endpointSelector": D, field: [entry]}))
    (pol,) = snap.unevaluated_policies
    assert pol.ref == "CiliumNetworkPolicy/db/p" and pol.rejected, pol
    assert len(pol.unsupported) == 1 and pol.unsupported[0].startswith(
        f"Cilium's agent rejects the policy (spec.{field}[0].{why}"), pol.unsupported
    r = k8sviz.reachability(snap)
    # Absent: db/d stays open both ways, on ports the policy would have closed.
    assert r.can_reach("web/a", "db/d", 81) and r.can_reach("db/d", "web/a", 81)


@pytest.mark.parametrize("item", [
    {"ports": TCP_80, "listener": LISTENER},  # a listener on egress, without L7 rules
    {"ports": TCP_80, "serverNames": ["api.example.com"], "terminatingTLS": {"secret": {"name": "s"}},
     "rules": {"http": [{"method": "GET"}]}},  # server names with L7 rules and TLS termination
    {"ports": TCP_80, "serverNames": ["api.example.com"]},  # server names alone
    {"ports": TCP_80, "rules": {"l7proto": "r2d2", "l7": [{"cmd": "READ"}]}},
    {"ports": [{"port": "53", "endPort": 53, "protocol": "UDP"}], "rules": {"dns": [{"matchPattern": "*"}]}},
    {"ports": [{"port": "domain", "endPort": 60, "protocol": "UDP"}], "rules": {"dns": [{"matchPattern": "*"}]}},
    # An l7proto without rules holds nothing to validate (``IsEmpty``), so not even UDP is refused.
    {"ports": [{"port": "80", "protocol": "UDP"}], "rules": {"l7proto": "r2d2"}},
    {"ports": [{"port": str(1000 + i), "protocol": "TCP"} for i in range(40)]},
    # Go regular expressions, header matches, Kafka and generic rules the agent takes.
    {"ports": TCP_80, "rules": {"http": [{"path": "/api/v[0-9]+/(?i:items)/.*", "method": "GET|POST"},
                                         {"path": "/a{2,3}\\d*?[^/]\\x41\\pL", "method": "(?i)get"}]}},
    {"ports": TCP_80, "rules": {"http": [{"headerMatches": [
        {"name": "x", "mismatch": "LOG", "secret": {"name": "s"}}, {"name": "y", "value": "1"}]}]}},
    {"ports": TCP_80, "rules": {"kafka": [{"apiKey": "Produce", "apiVersion": "+3", "topic": "a.b_c-d"},
                                          {"role": "CONSUME", "topic": "t" * 255}]}},
    {"ports": TCP_80, "rules": {"l7proto": "r2d2", "l7": [{"cmd": "READ"}, {}]}},
])
def test_port_rules_next_to_those_the_agent_accepts(tmp_path, item):
    """What stays just inside each of those checks is evaluated: egress from db/d is closed but
    to the ports it names."""
    snap, _ = load_files(tmp_path, cnp("p", {"endpointSelector": D, "egress": [{"toEndpoints": [{}], "toPorts": [item]}]}))
    assert not snap.unevaluated_policies, [p.unsupported for p in snap.unevaluated_policies]
    r = k8sviz.reachability(snap)
    assert not r.can_reach("db/d", "db/e", 81) and not r.can_reach("db/d", "db/e", 80, "SCTP")


@pytest.mark.parametrize(("rules", "message"), [
    ({"dns": [{"matchName": "bad name!"}]}, "rules.dns[0].matchName: 'bad name!' is not a DNS name"),
    ({"dns": [{"matchName": "a.com", "matchPattern": "*.a.com"}]}, "set exactly one of matchName and matchPattern"),
    ({"http": [{"headerMatches": [{"value": "1"}]}]}, "rules.http[0].headerMatches[0] needs a name"),
    ({"http": [{"path": 5}]}, "rules.http[0].path must be a string"),
    ({"kafka": [{"topic": ["t"]}]}, "rules.kafka[0].topic must be a string"),
])
def test_l7_rules_the_api_server_refuses_are_load_errors(tmp_path, rules, message):
    """The CRDs' schema: DNS rules as toFQDNs, a header match's name required, strings."""
    entry = {"toEndpoints": [{}], "toPorts": [{"ports": [{"port": "53", "protocol": "UDP"}], "rules": rules}]}
    with pytest.raises(PolicyError, match="CiliumNetworkPolicy/db/p") as e:
        load_files(tmp_path, cnp("p", {"endpointSelector": D, "egress": [entry]}))
    assert message in str(e.value)


@pytest.mark.parametrize(("family", "icmp_type"), [
    (None, 8), ("IPv4", "8"), ("IPv6", "128"), (None, "Echo"), ("IPv4", "EchoRequest"), ("IPv6", "EchoRequest"),
    ("IPv6", "NeighborSolicitation"), ("IPv4", "ExtendedEchoRequest"), ("IPv6", "0")])
def test_icmp_types_cilium_takes_load(tmp_path, family, icmp_type):
    field = {"type": icmp_type} if family is None else {"family": family, "type": icmp_type}
    snap, _ = load_files(tmp_path, cnp("p", {"endpointSelector": D, "ingress": [
        {"fromEndpoints": [{}], "icmps": [{"fields": [field]}]}]}))
    assert not snap.unevaluated_policies


@pytest.mark.parametrize(("family", "icmp_type"), [
    ("IPv6", "Echo"), ("IPv6", "Redirect"), ("IPv4", "PacketTooBig"), (None, "NeighborSolicitation"),
    ("IPv4", "ExtendedEcho Reply")])
def test_an_icmp_type_name_of_the_other_family_is_refused_by_the_agent(tmp_path, family, icmp_type):
    """The CRDs' pattern takes either family's names (and its "ExtendedEcho Reply"); the agent's
    ``ICMPField.UnmarshalJSON`` looks the name up for the field's family and refuses the policy."""
    field = {"type": icmp_type} if family is None else {"family": family, "type": icmp_type}
    entries = [{"fromEndpoints": [{}], "icmps": [{"fields": [field]}]}, {"fromEndpoints": [{}], "toPorts": [{"ports": TCP_80}]}]
    snap, _ = load_files(tmp_path, cnp("p", {"endpointSelector": D, "ingress": entries}))
    (pol,) = snap.unevaluated_policies
    assert pol.rejected and pol.unsupported == (
        f"Cilium's agent rejects the policy (spec.ingress[0].icmps[0].fields[0].type: ICMP type {icmp_type} not "
        f"found in {family or 'IPv4'}), so it enforces nothing of it",), pol.unsupported
    # Nothing of it is enforced: not even the port 80 of the other entry isolates db/d.
    assert k8sviz.reachability(snap).can_reach("web/a", "db/d", 81)


def test_icmps_beside_to_ports_in_an_allow_entry_are_refused_by_the_agent(tmp_path):
    """``IngressRule.Validate``: "the ICMPs block may only be present without ToPorts"."""
    entry = {"fromEndpoints": [{}], "icmps": [{"fields": [{"type": 8}]}], "toPorts": [{"ports": TCP_80}]}
    snap, _ = load_files(tmp_path, cnp("p", {"endpointSelector": D, "ingress": [entry]}))
    (pol,) = snap.unevaluated_policies
    assert pol.rejected and pol.unsupported == (
        "Cilium's agent rejects the policy (spec.ingress[0]: the ICMPs block may only be present without ToPorts), "
        "so it enforces nothing of it",), pol.unsupported
    assert k8sviz.reachability(snap).can_reach("web/a", "db/d", 81)
    # Apart, in two entries, both are accepted.
    split = [{"fromEndpoints": [{}], "icmps": entry["icmps"]}, {"fromEndpoints": [{}], "toPorts": entry["toPorts"]}]
    snap, _ = load_files(tmp_path, cnp("p", {"endpointSelector": D, "ingress": split}))
    assert not snap.unevaluated_policies
    r = k8sviz.reachability(snap)
    assert r.can_reach("db/e", "db/d", 80) and not r.can_reach("db/e", "db/d", 81)


@pytest.mark.parametrize("release", ["1.15.9", "1.16.3", None])
def test_an_empty_rules_object_is_no_l7_rules_with_a_warning_that_newer_api_servers_refuse_it(tmp_path, release):
    """``rules: {}`` (or only null kinds, which the API server prunes) names no L7 kind: every
    agent reads it as no L7 rules (``IsEmpty``), so the policy allows at L3/L4 in any release.
    From Cilium 1.16 the CRDs' oneOf over http, kafka, dns and l7proto refuses it, so a manifest
    holding it no longer applies (an object stored before the upgrade stays): a warning names
    the file, the policy and the item, whichever release runs."""
    items = [{"ports": TCP_80, "rules": {}}, {"ports": [{"port": "81", "protocol": "TCP"}], "rules": {"http": None}}]
    agent = (agent_of(release),) if release else ()
    snap, path = load_files(tmp_path, cnp("p", {"endpointSelector": D, "ingress": [
        {"fromEndpoints": [{}], "toPorts": items}]}), *agent)
    assert not snap.unevaluated_policies
    r = k8sviz.reachability(snap)
    assert r.can_reach("db/e", "db/d", 80) and r.can_reach("db/e", "db/d", 81) and not r.can_reach("db/e", "db/d", 82)
    assert not r.can_reach("web/a", "db/d", 80)
    (w,) = [w for w in snap.warnings if w.code == "cilium-empty-l7-rules"]
    assert w.source.startswith(path) and w.obj == "CiliumNetworkPolicy/db/p", w
    assert w.message.startswith("spec.ingress[0].toPorts[0].rules, spec.ingress[0].toPorts[1].rules are empty objects: ")
    assert "from Cilium 1.16" in w.message and "oneOf over http, kafka, dns and l7proto" in w.message
    # One kind, even an empty list of it, matches a branch of the oneOf: no warning.
    snap, _ = load_files(tmp_path, cnp("p", {"endpointSelector": D, "ingress": [
        {"fromEndpoints": [{}], "toPorts": [{"ports": TCP_80, "rules": {"http": []}}]}]}), *agent)
    assert not [w for w in snap.warnings if w.code == "cilium-empty-l7-rules"]


def test_a_port_written_as_a_number_is_that_port_with_a_warning_that_the_api_server_refuses_it(tmp_path):
    """The CRDs type a toPorts port as a string (port: "80"); a YAML number is refused by the
    API server ("must be of type string"), so such a manifest never applied as written. k8sviz
    judges it as the port it names, and says so."""
    items = [{"ports": [{"port": 80, "protocol": "TCP"}, {"port": "81", "protocol": "TCP"}]}]
    snap, path = load_files(tmp_path, cnp("p", {"endpointSelector": D, "ingress": [
        {"fromEndpoints": [{}], "toPorts": items}]}))
    r = k8sviz.reachability(snap)
    assert r.can_reach("db/e", "db/d", 80) and r.can_reach("db/e", "db/d", 81) and not r.can_reach("db/e", "db/d", 82)
    (w,) = [w for w in snap.warnings if w.code == "cilium-port-not-string"]
    assert w.source.startswith(path) and w.obj == "CiliumNetworkPolicy/db/p"
    assert w.message.startswith("spec.ingress[0].toPorts[0].ports[0].port: a number where the CRDs' schema wants "
                                "a string")
    # Quoted, as the API server stores it: no warning.
    items[0]["ports"][0]["port"] = "80"
    snap, _ = load_files(tmp_path, cnp("p", {"endpointSelector": D, "ingress": [
        {"fromEndpoints": [{}], "toPorts": items}]}))
    assert not [w for w in snap.warnings if w.code == "cilium-port-not-string"]


HTTP_80 = {"ports": [{"port": "80", "protocol": "TCP"}], "rules": {"http": [{"method": "GET"}]}}
KAFKA_80 = {"ports": [{"port": "80", "protocol": "TCP"}], "rules": {"kafka": [{"topic": "t"}]}}
FROM_E = {"matchLabels": {"app": "e"}}


def agent_of(release: str) -> dict[str, Any]:
    """A cilium-agent pod whose image shows the release."""
    obj = pod("kube-system", "cilium-x", {"k8s-app": "cilium"}, "10.0.1.1", host=True, host_ip="10.0.1.1")
    obj["spec"]["containers"] = [{"name": "cilium-agent", "image": f"quay.io/cilium/cilium:v{release}"}]
    return obj


def test_two_l7_parsers_on_one_port_for_one_peer_leave_the_policy_unevaluated():
    """Cilium's agent cannot merge them ("cannot merge conflicting L7 parsers", rule_test.go
    case 9): the selected pods' policy fails to resolve, so no verdict of the rules holds."""
    clash = cnp("p", {"endpointSelector": D, "ingress": [
        {"fromEndpoints": [FROM_E], "toPorts": [HTTP_80]},
        {"fromEndpoints": [FROM_E], "toPorts": [KAFKA_80]}]})
    for release in ((), (agent_of("1.17.4"),), (agent_of("1.18.2"),)):
        snap = snapshot(*base(clash, *release))
        (pol,) = snap.unevaluated_policies
        assert any("CiliumNetworkPolicy/db/p spec.ingress[0] and CiliumNetworkPolicy/db/p spec.ingress[1] "
                   "give pods db/d L7 parsers 'http' and 'kafka' on TCP 80 for one peer" in u
                   for u in pol.unsupported)
        assert "cilium-l7-parser-clash" in {w.code for w in snap.warnings}
    # Not a clash: other ports, one side without L7 rules (L3/L4 only), or a selector that
    # selects no running pod (no identity's policy to fail).
    kafka_81 = {**KAFKA_80, "ports": [{"port": "81", "protocol": "TCP"}]}
    for second in ({"fromEndpoints": [FROM_E], "toPorts": [kafka_81]},
                   {"fromEndpoints": [FROM_E], "toPorts": [{"ports": KAFKA_80["ports"]}]}):
        first = {"fromEndpoints": [FROM_E], "toPorts": [HTTP_80]}
        ok = cnp("p", {"endpointSelector": D, "ingress": [first, second]})
        assert not snapshot(*base(ok)).unevaluated_policies, second
    nobody = cnp("p", {"endpointSelector": {"matchLabels": {"app": "nobody"}},
                       "ingress": clash["spec"]["ingress"]})
    assert not snapshot(*base(nobody)).unevaluated_policies


def test_l7_parsers_clash_across_policies_that_select_one_pod():
    """The agent merges every rule that selects an identity, whatever policy it comes from
    (``resolvePolicyLocked`` over the repository): two policies each with one parser clash on
    the pods both select, and both are left unevaluated; a policy selecting those pods without
    L7 rules is named but stays evaluated (the pods keep the policy they last had)."""
    http = cnp("web-http", {"endpointSelector": D, "ingress": [
        {"fromEndpoints": [FROM_E], "toPorts": [HTTP_80]}]})
    kafka = cnp("all-kafka", {"endpointSelector": {}, "ingress": [
        {"fromEndpoints": [FROM_E], "toPorts": [KAFKA_80]}]})
    plain = netpol("db", "plain", {"podSelector": {"matchLabels": {"app": "d"}}, "ingress": [{}]})
    snap = snapshot(*base(http, kafka, plain))
    assert {p.ref for p in snap.unevaluated_policies} == {"CiliumNetworkPolicy/db/web-http",
                                                          "CiliumNetworkPolicy/db/all-kafka"}
    (w,) = [w for w in snap.warnings if w.code == "cilium-l7-parser-clash"]
    assert "CiliumNetworkPolicy/db/web-http spec.ingress[0]" in w.message
    assert "CiliumNetworkPolicy/db/all-kafka spec.ingress[0]" in w.message
    assert "give pods db/d L7 parsers" in w.message and "db/e" not in w.message.split(" L7 ")[0]
    assert "the other policies selecting them (NetworkPolicy/db/plain) are evaluated as written" in w.message
    # Subjects apart (db/d, db/e): each pod has one parser on the port.
    apart = cnp("e-kafka", {"endpointSelector": FROM_E, "ingress": [
        {"fromEndpoints": [FROM_E], "toPorts": [KAFKA_80]}]})
    assert not snapshot(*base(http, apart)).unevaluated_policies
    # A policy the agent refuses takes no part in any pod's policy.
    refused = cnp("udp-kafka", {"endpointSelector": D, "ingress": [{"fromEndpoints": [FROM_E], "toPorts": [
        {"ports": [{"port": "80", "protocol": "ANY"}], "rules": {"kafka": [{"topic": "t"}]}}]}]})
    (listed,) = snapshot(*base(http, refused)).unevaluated_policies
    assert listed.ref == "CiliumNetworkPolicy/db/udp-kafka"
    assert all("parsers" not in u for u in listed.unsupported)


def test_l7_parsers_for_different_peers_clash_up_to_cilium_1_17():
    """Up to 1.17 an L4 filter (one per port and protocol of a pod's policy) has one L7 parser
    whatever its peers (``mergePortProto`` merges ``existingFilter.L7Parser``); 1.18 moved the
    parser to each peer selector (cilium#37887), and rule_test.go's case 9 then clashes only on
    one selector.  Unknown release: not judged, with both readings given."""
    rule = {"endpointSelector": D, "ingress": [
        {"fromEndpoints": [FROM_E], "toPorts": [HTTP_80]}, {"toPorts": [KAFKA_80]}]}
    old = snapshot(*base(cnp("p", rule), agent_of("1.17.4")))
    (pol,) = old.unevaluated_policies
    assert any("on TCP 80 (up to Cilium 1.17 a port has one L7 parser whatever its peers)" in u
               for u in pol.unsupported), pol.unsupported
    new = snapshot(*base(cnp("p", rule), agent_of("1.18.2")))
    assert not new.unevaluated_policies
    r = k8sviz.reachability(new)
    assert r.can_reach("db/e", "db/d", 80) and r.can_reach("web/a", "db/d", 80)  # L7 rules allow at L3/L4
    unknown = snapshot(*base(cnp("p", rule)))
    (pol,) = unknown.unevaluated_policies
    assert any("no cilium-agent image in the snapshot shows the release" in u for u in pol.unsupported)
    # One shared selector: an entity and the endpoint form of it, or an entity inside another.
    for second in ({"fromEntities": ["host"], "toPorts": [KAFKA_80]},
                   {"fromEntities": ["cluster"], "toPorts": [KAFKA_80]}):
        shared = {"endpointSelector": D, "ingress": [
            {"fromEndpoints": [{"matchLabels": {"reserved:host": ""}}], "toPorts": [HTTP_80]}, second]}
        (pol,) = snapshot(*base(cnp("p", shared), agent_of("1.18.2"))).unevaluated_policies
        assert any("for one peer" in u for u in pol.unsupported), second


TLS_ONLY_80 = {"ports": [{"port": "80", "protocol": "TCP"}], "terminatingTLS": {"secret": {"name": "cert"}}}


def clashes(snap: Any) -> list[str]:
    return [w.message for w in snap.warnings if w.code == "cilium-l7-parser-clash"]


def test_a_tls_only_entry_has_the_tls_parser_which_merges_with_http_but_not_dns_or_a_listener():
    """From Cilium 1.13 (cilium#21808) an item with a TLS context or server names and no rules
    has the ``tls`` parser (``createL4Filter``, pkg/policy/l4.go), which ``L7ParserType.Merge``
    promotes to HTTP, Kafka or a proxylib parser beside it, but cannot merge with DNS or a
    listener (``crd``); before 1.13 such an item had no parser at all."""
    for release in ((), (agent_of("1.17.4"),), (agent_of("1.18.2"),)):
        for second in (HTTP_80, KAFKA_80, {"ports": HTTP_80["ports"], "rules": {"l7proto": "r2d2"}}):
            ok = cnp("p", {"endpointSelector": D, "ingress": [
                {"fromEndpoints": [FROM_E], "toPorts": [TLS_ONLY_80]}, {"fromEndpoints": [FROM_E], "toPorts": [second]}]})
            snap = snapshot(*base(ok, *release))
            assert not snap.unevaluated_policies and not clashes(snap), (release, second)
    to_e = {"toEndpoints": [FROM_E]}
    dns_53 = {"ports": [{"port": "53", "protocol": "TCP"}], "rules": {"dns": [{"matchPattern": "*"}]}}
    tls_53 = {"ports": dns_53["ports"], "originatingTLS": {"secret": {"name": "ca"}}}
    sni_53 = {"ports": dns_53["ports"], "serverNames": ["db.example.com"]}
    listener_53 = {"ports": dns_53["ports"], "listener": {
        "envoyConfig": {"kind": "CiliumEnvoyConfig", "name": "cec"}, "name": "l"}}
    for tls in (tls_53, sni_53):
        for other, parser in ((dns_53, "dns"), (listener_53, "crd")):
            rule = {"endpointSelector": D, "egress": [{**to_e, "toPorts": [tls]}, {**to_e, "toPorts": [other]}]}
            snap = snapshot(*base(cnp("p", rule), agent_of("1.18.2")))
            (pol,) = snap.unevaluated_policies
            assert any(f"L7 parsers 'tls' and {parser!r} on TCP 53 for one peer" in u for u in pol.unsupported), (
                pol.unsupported)
            (warning,) = clashes(snap)
            assert "spec.egress[0] and CiliumNetworkPolicy/db/p spec.egress[1]" in warning
            # Before 1.13 the TLS-only item redirects nowhere: nothing to merge.
            old = snapshot(*base(cnp("p", rule), agent_of("1.12.9")))
            assert not old.unevaluated_policies and not clashes(old), (tls, parser)


def test_parsers_that_clash_are_found_whatever_entry_comes_first():
    """``tls`` then ``http`` then ``kafka`` on one port: the agent promotes ``tls`` to ``http``
    and then cannot merge ``kafka`` ("http/kafka"), so the clash is between the last two."""
    rule = {"endpointSelector": D, "ingress": [
        {"fromEndpoints": [FROM_E], "toPorts": [TLS_ONLY_80]},
        {"fromEndpoints": [FROM_E], "toPorts": [HTTP_80]},
        {"fromEndpoints": [FROM_E], "toPorts": [KAFKA_80]}]}
    snap = snapshot(*base(cnp("p", rule), agent_of("1.18.2")))
    (warning,) = clashes(snap)
    assert ("CiliumNetworkPolicy/db/p spec.ingress[1] and CiliumNetworkPolicy/db/p spec.ingress[2] give pods db/d "
            "L7 parsers 'http' and 'kafka' on TCP 80 for one peer") in warning, warning


def test_a_namespaced_subject_keeps_its_other_namespace_requirements():
    """Cilium sets ``k8s:io.kubernetes.pod.namespace`` to the policy's namespace and keeps the
    selector's other requirements on it, ANDed: naming another namespace selects nothing."""
    rule = {"ingress": [{"fromEndpoints": [{"matchLabels": {"app": "e"}}]}]}
    by_expression = cnp("p", {"endpointSelector": {"matchExpressions": [
        {"key": "io.kubernetes.pod.namespace", "operator": "In", "values": ["web"]}]}, **rule})
    unprefixed = cnp("q", {"endpointSelector": {"matchLabels": {"io.kubernetes.pod.namespace": "web"}}, **rule})
    for pol in (by_expression, unprefixed):
        r = reach(pol)
        assert r.can_reach("web/a", "db/d", 80) and r.selecting_policies("db/d", "ingress") == []
    overwritten = cnp("o", {"endpointSelector": {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "web"}}, **rule})
    r = reach(overwritten)
    assert not r.can_reach("web/a", "db/d", 80) and r.can_reach("db/e", "db/d", 80)
    same = cnp("s", {"endpointSelector": {"matchExpressions": [
        {"key": "k8s:io.kubernetes.pod.namespace", "operator": "In", "values": ["db"]}]}, **rule})
    assert not reach(same).can_reach("web/a", "db/d", 80)


@pytest.mark.parametrize(("spec", "message"), [
    ({}, "exactly one of endpointSelector and nodeSelector"),
    ({"endpointSelector": {}, "nodeSelector": {}}, "exactly one of endpointSelector and nodeSelector"),
    ({"endpointSelector": {}, "ingress": [{"fromCIDR": ["10.0.0.0/33"]}]}, "invalid CIDR"),
    ({"endpointSelector": {}, "ingress": [{"fromEntities": ["moon"]}]}, "unknown entity 'moon'"),
    ({"endpointSelector": {}, "ingress": [{"fromEntities": [{"a": 1}]}]}, "unknown entity {'a': 1}"),
    ({"endpointSelector": {}, "ingress": [{"fromEndpoints": [{}], "fromCIDR": ["1.0.0.0/8"]}]}, "combining"),
    ({"endpointSelector": {}, "ingress": [{"toPorts": [{"ports": [{"port": "80", "protocol": "XTP"}]}]}]},
     "invalid protocol"),
    ({"endpointSelector": {}, "ingress": [{"toPorts": [{"ports": [{"port": 70000}]}]}]}, "out of range"),
    ({"endpointSelector": {"matchExpressions": [{"key": "a", "operator": "In"}]}}, "non-empty values"),
    # These were "malformed object (TypeError: 'float' object is not iterable)", naming no field.
    ({"endpointSelector": {}, "ingress": [{"toPorts": [{"ports": -7.25}]}]},
     "ingress[0].toPorts[0].ports must be a list"),
    ({"endpointSelector": {"matchExpressions": 1.5}},
     "spec.endpointSelector.matchExpressions must be a list"),
    ({"endpointSelector": {"matchExpressions": [{"key": "a", "operator": "In", "values": 256}]}},
     "spec.endpointSelector.matchExpressions[0].values must be a list"),
    # Falsy or of another type, these were read as absent or as ICMP only, unsaid: 'ports: 0' as
    # every port, 'except: 0' as none, 'protocol: 0' as ANY, 'icmps: x' dropped the entry.
    ({"endpointSelector": {}, "ingressDeny": [{"fromEndpoints": [{}], "toPorts": [{"ports": 0}]}]},
     "spec.ingressDeny[0].toPorts[0].ports must be a list"),
    ({"endpointSelector": {}, "ingress": [{"fromCIDRSet": [{"cidr": "10.0.0.0/8", "except": 0}]}]},
     "spec.ingress[0].fromCIDRSet[0].except must be a list"),
    ({"endpointSelector": {}, "ingress": [{"toPorts": [{"ports": [{"port": "80", "protocol": 0}]}]}]},
     "spec.ingress[0].toPorts[0].ports[0]: invalid protocol 0"),
    ({"endpointSelector": {}, "enableDefaultDeny": []}, "spec.enableDefaultDeny must be an object"),
    ({"endpointSelector": {}, "ingress": [{"fromEndpoints": [{}], "icmps": "x"}]},
     "spec.ingress[0].icmps must be a list"),
    ({"endpointSelector": {}, "ingressDeny": [
        {"fromEndpoints": [{}], "toPorts": 0, "icmps": [{"fields": [{"type": 8}]}]}]},
     "spec.ingressDeny[0].toPorts must be a list"),
    ({"endpointSelector": {}, "ingress": [{"icmps": [{"fields": 0}]}]},
     "spec.ingress[0].icmps[0].fields must be a list"),
    ({"endpointSelector": {}, "ingress": [{"icmps": [{"fields": [{"family": "IPv5", "type": 8}]}]}]},
     "spec.ingress[0].icmps[0].fields[0].family must be IPv4 or IPv6, not 'IPv5'"),
    ({"endpointSelector": {}, "egress": [{"icmps": [{"fields": [{"type": 300}]}]}]},
     "spec.egress[0].icmps[0].fields[0].type must be an ICMP type number 0-255 or one of Cilium's ICMP type "
     "names (EchoRequest, DestinationUnreachable, ...), not 300"),
    # The CRDs' pattern takes a number or one of Cilium's names; any other text was taken as a name.
    *(({"endpointSelector": {}, "egress": [{"icmps": [{"fields": [{"type": t}]}]}]},
       f"spec.egress[0].icmps[0].fields[0].type must be an ICMP type number 0-255 or one of Cilium's ICMP type "
       f"names (EchoRequest, DestinationUnreachable, ...), not {said}")
      for t, said in [("Bogus", "'Bogus'"), ("echoRequest", "'echoRequest'"), ("08", "'08'"), ("256", "'256'"),
                      ("", "''"), (True, "true"), (None, "null"),
                      # The pattern says "ExtendedEcho Reply": the API server refuses the agent's name.
                      ("ExtendedEchoReply", "'ExtendedEchoReply'")]),
    ({"endpointSelector": {}, "egress": [{"toFQDNs": [{"matchName": "a.com", "matchPattern": "*.a.com"}]}]},
     "exactly one of matchName and matchPattern"),
    ({"endpointSelector": {}, "egress": [{"toFQDNs": [{}]}]}, "exactly one of matchName and matchPattern"),
    ({"endpointSelector": {}, "egress": [{"toFQDNs": [{"matchName": "*.a.com"}]}]}, "is not a DNS name"),
    ({"endpointSelector": {}, "egress": [{"toFQDNs": [{"matchPattern": "a..com"}]}]}, "is not a DNS name pattern"),
    ({"endpointSelector": {}, "egress": [{"toFQDNs": [{"matchName": 7}]}]}, "is not a DNS name"),
    ({"endpointSelector": {}, "egress": [{"toFQDNs": "a.com"}]}, "toFQDNs must be a list"),
    ({"endpointSelector": {}, "egress": [{"toFQDNs": [{"matchName": "a.com"}], "toCIDR": ["1.0.0.0/8"]}]},
     "combining"),
])
def test_invalid_policies_name_the_object(spec, message):
    with pytest.raises(PolicyError, match="CiliumNetworkPolicy/db/bad") as e:
        snapshot(*base(cnp("bad", spec)))
    assert message in str(e.value)


def test_explain_reads_as_cilium():
    r = reach(cnp("p", {"endpointSelector": D, "ingress": [{"fromEndpoints": [{}]}]}))
    text = str(r.explain("web/a", "db/d", 80))
    assert "Cilium (with NetworkPolicy): denied by CiliumNetworkPolicy/db/p ingress[-1]: default deny" in text


def test_gaps_count_cilium_default_deny_as_isolation():
    snap = snapshot(*base(cnp("iso", {"endpointSelector": {}, "ingress": [{"fromEndpoints": [{}]}]})))
    df = k8sviz.gaps(snap)
    db = df[df["namespace"] == "db"]
    assert "no-ingress-isolation" not in set(db["finding"]) and "no-egress-isolation" in set(db["finding"])
    (row,) = db[db["finding"] == "namespace-without-policy"].itertuples()
    assert row.severity == "low" and row.evidence["cni_policies"] == ["CiliumNetworkPolicy/db/iso"]


def test_allowed_but_unused_names_the_cilium_policy_in_its_namespace(tmp_path):
    snap = snapshot(*base(cnp("p", {"endpointSelector": D, "ingress": [
        {"fromEndpoints": [{"matchLabels": {"app": "e"}}], "toPorts": [{"ports": [{"port": "5432"}]}]}]})))
    flows = tmp_path / "f.csv"
    flows.write_text("time,src_ip,dst_ip,dst_port,protocol,verdict\n"
                     "2026-11-20T10:00:00Z,10.0.0.1,10.0.0.2,80,TCP,allowed\n")
    df = k8sviz.gaps(snap, flows=k8sviz.load_flows(flows, snapshot=snap))
    rows = df[(df["finding"] == "allowed-but-unused") & (df["name"] == "p")]
    assert set(rows["namespace"]) == {"db"}
    assert all(e["policy"] == "CiliumNetworkPolicy/db/p" for e in rows["evidence"])


def test_dialects_survive_a_snapshot_file(tmp_path):
    from .test_calico import DENY_WEB_TO_DB, cal

    snap = snapshot(*base(cnp("p", {"endpointSelector": D, "ingress": [{"fromEntities": ["world"]}]}), DENY_WEB_TO_DB,
                          cal("Tier", "t", {"order": 5}),
                          cal("GlobalNetworkSet", "s", {"nets": ["1.2.3.0/24"]}, labels={"a": "b"})))
    path = tmp_path / "s.json"
    snap.save(path)
    back = k8sviz.load(path)
    for attr in ("cilium_policies", "calico_policies", "calico_tiers", "network_sets"):
        assert getattr(back, attr) == getattr(snap, attr) and getattr(snap, attr), attr


def test_info_lists_what_is_not_evaluated_and_why(tmp_path, capsys):
    import json

    from k8sviz.cli import main

    fqdn = cnp("f", {"endpointSelector": D, "egress": [SERVICE]})
    old = {**cnp("old", {"endpointSelector": D}), "apiVersion": "cilium.io/v2alpha9"}
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": base(fqdn, old)}))
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "CiliumNetworkPolicy (not evaluated)" in out
    assert snapshot(*base(fqdn, old)).counts()["CiliumNetworkPolicy (not evaluated)"] == 2
    assert "CiliumNetworkPolicy/db/f: spec.egress[0].toNodes" in out
    assert "CiliumNetworkPolicy/db/old: cilium.io/v2alpha9 is not a dialect k8sviz evaluates" in out


def test_calico_and_cilium_policies_together_are_warned_about():
    from .test_calico import DENY_WEB_TO_DB

    only_cilium = k8sviz.reachability(snapshot(*base(cnp("p", {"endpointSelector": D, "ingress": [
        {"fromEntities": ["world"]}]}))))
    assert "cni-policies-mixed" not in {w.code for w in only_cilium.warnings}
    both = k8sviz.reachability(snapshot(*base(cnp("p", {"endpointSelector": D, "ingress": [
        {"fromEntities": ["world"]}]}), DENY_WEB_TO_DB)))
    (w,) = [w for w in both.warnings if w.code == "cni-policies-mixed"]
    assert "1 Calico and 1 Cilium" in w.message


def _mixed(egress: list[dict[str, Any]], default_action: str | None = None) -> k8sviz.Reachability:
    """Pods n0/a, n0/b; a Cilium policy putting both in egress default deny (it allows only
    8.8.8.8); a GlobalNetworkPolicy of Calico's default tier with ``egress``."""
    objs = [ns("n0"), pod("n0", "a", {}, "10.0.0.1"), pod("n0", "b", {}, "10.0.0.2"),
            cnp("c", {"endpointSelector": {}, "egress": [{"toCIDR": ["8.8.8.8/32"]}]}, namespace="n0"),
            {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "g"},
             "spec": {"order": 10, "selector": "all()", "egress": egress}}]
    if default_action:
        objs.append({"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": "default"},
                     "spec": {"defaultAction": default_action}})
    return k8sviz.reachability(snapshot(*objs))


def test_with_calico_a_cilium_default_deny_is_the_default_tiers_end():
    """Cilium's default deny stands where a NetworkPolicy's isolation does in Calico's default
    tier, after every allow of the tier: a Calico Allow there lets the connection out however
    far down its policy it stands (it denied when a rule that did not match stood before it)."""
    for egress in ([{"action": "Allow"}], [{"action": "Deny", "protocol": "UDP"}, {"action": "Allow"}]):
        v = _mixed(egress).explain("n0/a", "n0/b", 80)
        assert v.allowed, str(v)
        steps = [(d.match.policy, d.match.rule) for d in v.egress.steps]
        assert steps == [("GlobalNetworkPolicy/g", len(egress) - 1)]
    # Nothing of the tier allows it: the default deny closes the tier, named like an isolation.
    v = _mixed([{"action": "Allow", "protocol": "UDP"}]).explain("n0/a", "n0/b", 80)
    assert not v.allowed
    steps = [(d.match.policy, d.match.rule, d.action) for d in v.egress.steps]
    assert steps == [("CiliumNetworkPolicy/n0/c", -1, "deny")]
    assert v.egress.policies == ("CiliumNetworkPolicy/n0/c",)
    # The default tier's Pass default action applies to it too, as to a NetworkPolicy's isolation.
    v = _mixed([{"action": "Allow", "protocol": "UDP"}], "Pass").explain("n0/a", "n0/b", 80)
    assert v.allowed and v.egress.steps[-1].action == "pass", str(v)


def test_with_calico_cilium_denies_and_allows_come_first_in_the_default_tier():
    deny = cnp("d", {"endpointSelector": {}, "egressDeny": [{"toEndpoints": [{}]}]}, namespace="n0")
    allow = cnp("e", {"endpointSelector": {}, "egress": [{"toEndpoints": [{}]}]}, namespace="n0")
    objs = [ns("n0"), pod("n0", "a", {}, "10.0.0.1"), pod("n0", "b", {}, "10.0.0.2"),
            {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "g"},
             "spec": {"order": 10, "selector": "all()",
                      "egress": [{"action": "Deny", "protocol": "UDP"}, {"action": "Deny"}]}}]
    v = k8sviz.reachability(snapshot(*objs, allow)).explain("n0/a", "n0/b", 80)
    assert v.allowed and v.egress.steps[0].match.policy == "CiliumNetworkPolicy/n0/e", str(v)
    v = k8sviz.reachability(snapshot(*objs, allow, deny)).explain("n0/a", "n0/b", 80)
    assert not v.allowed and v.egress.steps[0].match.policy == "CiliumNetworkPolicy/n0/d", str(v)
    assert v.egress.allowed_by == ()

def test_the_report_names_two_cnis_policies_as_a_limitation():
    from .test_calico import DENY_WEB_TO_DB

    one = snapshot(*base(cnp("p", {"endpointSelector": D, "ingress": [{"fromEntities": ["world"]}]})))
    assert "two CNIs" not in k8sviz.report(one, generated_at="2026-01-01T00:00:00Z")
    two = snapshot(*base(cnp("p", {"endpointSelector": D, "ingress": [{"fromEntities": ["world"]}]}), DENY_WEB_TO_DB))
    page = k8sviz.report(two, generated_at="2026-01-01T00:00:00Z")
    assert "Limitations of this report" in page and "two CNIs&#39; policies: 1 Calico and 1 Cilium" in page


FQDN_EGRESS = {"endpointSelector": D, "egress": [
    {"toFQDNs": [{"matchName": "API.example.com"}, {"matchPattern": "*.example.org"}],
     "toPorts": [{"ports": [{"port": "443"}]}]},
    {"toEndpoints": [{"matchLabels": {"app": "e"}}]},
]}


def test_tofqdns_matches_no_address_and_the_rest_of_its_policy_is_evaluated():
    snap = snapshot(*base(cnp("f", {**FQDN_EGRESS, "ingress": [{"fromEndpoints": [{"matchLabels": {"app": "e"}}]}]})))
    assert snap.unevaluated_policies == ()
    r = k8sviz.reachability(snap)
    assert r.selecting_policies("db/d", "egress") == ["CiliumNetworkPolicy/db/f"]  # the FQDN entry isolates too
    assert not r.can_reach("db/d", "8.8.8.8", 443)  # no DNS answer names this address
    assert not r.can_reach("db/d", "web/a", 443)
    assert r.can_reach("db/d", "db/e", 80)  # the policy's other egress entry
    assert r.can_reach("db/e", "db/d", 80) and not r.can_reach("web/a", "db/d", 80)  # and its ingress
    (w,) = [w for w in r.warnings if w.code == "cilium-fqdn"]
    assert w.obj == "CiliumNetworkPolicy/db/f" and "*.example.org, api.example.com" in w.message


def test_explain_says_which_denied_egress_a_tofqdns_rule_could_allow():
    r = reach(cnp("f", FQDN_EGRESS))
    v = r.explain("db/d", "8.8.8.8", 443)
    (note,) = [n for n in v.notes if "DNS" in n]
    assert note.startswith("CiliumNetworkPolicy/db/f egress[0] allows egress on this port")
    assert [(m.policy, m.rule) for m in v.dns_rules] == [("CiliumNetworkPolicy/db/f", 0)]
    assert not r.explain("db/d", "8.8.8.8", 80).dns_rules
    assert "8.8.8.8" in note
    # The toFQDNs rule matched nothing: the default deny decided.
    assert [str(d.match) for d in v.egress.steps] == [
        "CiliumNetworkPolicy/db/f egress[-1]: default deny: selected pods accept only what some rule allows"]
    # Not on another port, not for a source the policy does not select, not once allowed.
    assert not [n for n in r.explain("db/d", "8.8.8.8", 80).notes if "DNS" in n]
    assert not [n for n in r.explain("web/a", "8.8.8.8", 443).notes if "DNS" in n]
    assert not [n for n in r.explain("db/d", "db/e", 443).notes if "DNS" in n]
    # Like CIDR rules, DNS-based rules never select pods or nodes: no note for those.
    assert not r.can_reach("db/d", "web/a", 443) and not r.can_reach("db/d", "203.0.113.7", 443)
    assert not [n for n in r.explain("db/d", "web/a", 443).notes if "DNS" in n]
    assert not [n for n in r.explain("db/d", "203.0.113.7", 443).notes if "DNS" in n]


def test_an_explicit_deny_leaves_no_tofqdns_note():
    deny = cnp("no-dns", {"endpointSelector": D, "egressDeny": [{"toEntities": ["world"]}]})
    r = reach(cnp("f", FQDN_EGRESS), deny)
    assert not r.can_reach("db/d", "8.8.8.8", 443)
    assert not [n for n in r.explain("db/d", "8.8.8.8", 443).notes if "DNS" in n]


def test_a_baseline_deny_leaves_the_tofqdns_note():
    from .helpers import anp
    from .test_admin import ALL

    # Without the policy's default deny, a baseline Deny decides; a toFQDNs allow comes before it.
    open_ = cnp("f", {**FQDN_EGRESS, "enableDefaultDeny": {"egress": False}})
    deny = anp("default", {"subject": ALL, "egress": [{"action": "Deny", "to": [{"networks": ["0.0.0.0/0"]}]}]},
               baseline=True)
    r = reach(open_, deny)
    v = r.explain("db/d", "8.8.8.8", 443)
    assert not v.allowed and v.egress.steps[-1].tier == "baseline"
    assert [(m.policy, m.rule) for m in v.dns_rules] == [("CiliumNetworkPolicy/db/f", 0)]


def test_an_empty_tofqdns_list_is_not_judged():
    snap = snapshot(*base(cnp("f", {"endpointSelector": D, "egress": [{"toFQDNs": []}]})))
    assert snap.cilium_policies[0].unsupported == ("spec.egress[0].toFQDNs is an empty list",)


def test_tofqdns_survives_a_snapshot_file_and_reads_in_the_inventory(tmp_path):
    snap = snapshot(*base(cnp("f", FQDN_EGRESS)))
    (rule,) = snap.cilium_policies[0].rules
    assert rule.egress[0].fqdns == ("api.example.com", "*.example.org")
    path = tmp_path / "s.json"
    snap.save(path)
    assert k8sviz.load(path).cilium_policies == snap.cilium_policies
    row = k8sviz.policy_inventory(snap).set_index("policy").loc["CiliumNetworkPolicy/db/f"]
    assert row["evaluated"] and "toFQDNs api.example.com, *.example.org" in row["not_judged"]


def test_a_hostile_dns_name_is_refused_quickly():
    bad = "a" * 5000 + "!"
    with pytest.raises(PolicyError, match="is not a DNS name"):
        snapshot(*base(cnp("bad", {"endpointSelector": {}, "egress": [{"toFQDNs": [{"matchName": bad}]}]})))


def test_the_report_names_egress_to_dns_names_as_a_limitation():
    from .test_admin import ALL, anp

    plain = snapshot(*base(cnp("p", {"endpointSelector": D, "egress": [{"toEntities": ["world"]}]})))
    assert "egress to DNS names" not in k8sviz.report(plain, generated_at="2026-01-01T00:00:00Z")
    domains = anp("dns", {"priority": 1, "subject": ALL, "egress": [{"action": "Allow", "to": [{"domainNames": ["x.io"]}]}]})
    snap = snapshot(*base(cnp("f", FQDN_EGRESS), domains))
    page = k8sviz.report(snap, generated_at="2026-01-01T00:00:00Z")
    # the limitation refers to the caveats, which name each policy and its DNS names
    assert ("egress to DNS names: egress that 2 policies allow by DNS name is not shown as allowed (caveats "
            '<a href="#caveat-cilium-fqdn"><code>cilium-fqdn</code></a>, '
            '<a href="#caveat-admin-domain-names"><code>admin-domain-names</code></a>)') in page
    assert ("<code>CiliumNetworkPolicy/db/f</code>: toFQDNs allows egress to what DNS answers for "
            "*.example.org, api.example.com") in page
    assert "<code>AdminNetworkPolicy/dns</code>: egress rule 0 names domainNames" in page


def test_flows_the_policies_deny_but_a_tofqdns_rule_may_allow_say_so(tmp_path):
    snap = snapshot(*base(cnp("f", FQDN_EGRESS)))
    flows = tmp_path / "f.csv"
    flows.write_text("time,src_ip,dst_ip,dst_port,protocol,verdict\n"
                     "2026-11-20T10:00:00Z,10.0.0.9,8.8.8.8,443,TCP,allowed\n"
                     "2026-11-20T10:00:01Z,10.0.0.9,8.8.8.8,80,TCP,allowed\n")
    df = k8sviz.flow_discrepancies(k8sviz.load_flows(flows, snapshot=snap), k8sviz.reachability(snap))
    (row,) = df[df["kind"] == "observed-but-policy-denies"].itertuples()
    assert row.ports == ["80", "443"]
    assert row.detail.startswith("forwarded by the CNI, denied by the policies; on 443: unless the address is "
                                 "among the DNS answers for a toFQDNs rule (CiliumNetworkPolicy/db/f egress[0]:")
    assert "80" not in row.detail.split("; on ")[1].split(":")[0]  # no toFQDNs rule on port 80
    assert k8sviz.reachability(snap).has_dns_rules and not k8sviz.reachability(snapshot(*base())).has_dns_rules


def test_a_port_scan_checks_a_bounded_number_of_ports_against_tofqdns_rules(tmp_path):
    snap = snapshot(*base(cnp("f", {"endpointSelector": D, "egress": [{"toFQDNs": [{"matchName": "a.io"}]}]})))
    flows = tmp_path / "f.csv"
    flows.write_text("time,src_ip,dst_ip,dst_port,protocol,verdict\n" + "".join(
        f"2026-11-20T10:00:{i % 60:02d}Z,10.0.0.9,8.8.8.8,{1000 + i},TCP,allowed\n" for i in range(70)))
    df = k8sviz.flow_discrepancies(k8sviz.load_flows(flows, snapshot=snap), k8sviz.reachability(snap))
    (row,) = df[df["kind"] == "observed-but-policy-denies"].itertuples()
    assert "on 1000-1063: unless the address is among the DNS answers" in row.detail
    assert row.detail.endswith("(the first 64 of 70 ports checked)")


def test_an_earlier_tiers_end_of_tier_deny_leaves_no_tofqdns_note():
    from .test_calico import cal

    tier = cal("Tier", "security", {"order": 100})
    sec = cal("GlobalNetworkPolicy", "sec", {"tier": "security", "order": 1, "selector": "app == 'd'",
                                             "types": ["Egress"],
                                             "egress": [{"action": "Allow", "destination": {"nets": ["10.0.0.0/8"]}}]})
    r = reach(cnp("f", FQDN_EGRESS), tier, sec)
    v = r.explain("db/d", "8.8.8.8", 443)
    assert not v.allowed and v.egress.steps[-1].tier == "Calico tier security"
    assert v.egress.steps[-1].match.rule < 0  # the tier's implicit end, before the toFQDNs allow
    assert not v.dns_rules and not [n for n in v.notes if "DNS" in n]


def test_explain_json_carries_the_tofqdns_rules(tmp_path, capsys):
    import json

    from k8sviz.cli import main

    path = tmp_path / "c.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": base(cnp("f", FQDN_EGRESS))}))
    assert main(["explain", str(path), "--from", "db/d", "--to", "8.8.8.8", "--port", "443", "--format", "json"]) == 1  # denied
    out = json.loads(capsys.readouterr().out)
    assert [(m["policy"], m["rule"]) for m in out["dns_rules"]] == [("CiliumNetworkPolicy/db/f", 0)]


# ------------------------------------------------------------------------------ toServices


def svc(namespace: str, name: str, selector: dict[str, str] | None = None, **labels: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"ports": [{"port": 5432}]}
    if selector is not None:
        spec["selector"] = selector
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"namespace": namespace, "name": name, "labels": labels}, "spec": spec}


def _services() -> list[dict[str, Any]]:
    from .test_calico import eps

    return [
        svc("db", "rds", tier="external"),  # no selector: endpoints outside the cluster
        eps("db", "rds-1", "rds", ["192.0.2.10", "192.0.2.11"], [("TCP", 5432)]),
        svc("db", "inside", tier="inside"),  # no selector, but its endpoint is a pod's address
        eps("db", "inside-1", "inside", ["10.0.0.9"], [("TCP", 5432)]),
        svc("db", "d-svc", {"app": "d"}, tier="pods"),
        eps("db", "d-svc-1", "d-svc", ["10.0.0.9"], [("TCP", 5432)]),
    ]


def to_services(*items: dict[str, Any], app: str = "e") -> dict[str, Any]:
    entry: dict[str, Any] = {"toServices": list(items), "toPorts": [{"ports": [{"port": "5432"}]}]}
    return {"endpointSelector": {"matchLabels": {"app": app}}, "egress": [entry]}


RDS = {"k8sService": {"serviceName": "rds", "namespace": "db"}}


def test_to_services_allows_the_endpoints_of_a_service_without_a_selector():
    snap = snapshot(*base(cnp("s", to_services(RDS)), *_services()))
    assert snap.unevaluated_policies == ()
    r = k8sviz.reachability(snap)
    assert r.can_reach("db/e", "192.0.2.10", 5432) and r.can_reach("db/e", "192.0.2.11", 5432)
    assert not r.can_reach("db/e", "192.0.2.12", 5432)  # not an endpoint
    assert not r.can_reach("db/e", "192.0.2.10", 80)  # the entry's ports
    assert not r.can_reach("db/e", "db/d", 5432)  # egress is isolated now
    (m,) = r.explain("db/e", "192.0.2.10", 5432).egress.steps
    assert str(m.match).endswith("egress[0]: allow to Service db/rds on TCP/UDP/SCTP 5432")


def test_to_services_by_label_and_in_any_namespace():
    by_label = {"k8sServiceSelector": {"selector": {"matchLabels": {"tier": "external"}}}}
    # A namespaced policy's reference without a namespace finds Services in any namespace.
    r = reach(cnp("s", to_services(by_label, app="a"), namespace="web"), *_services())
    assert r.can_reach("web/a", "192.0.2.10", 5432) and not r.can_reach("web/a", "8.8.8.8", 5432)
    in_web = {"k8sServiceSelector": {"selector": {"matchLabels": {"tier": "external"}}, "namespace": "web"}}
    r = reach(cnp("s", to_services(in_web, app="a"), namespace="web"), *_services())
    assert not r.can_reach("web/a", "192.0.2.10", 5432)  # no such Service in web: nothing
    other_ns = {"k8sService": {"serviceName": "rds", "namespace": "web"}}
    r = reach(cnp("s", to_services(other_ns)), *_services())
    assert not r.can_reach("db/e", "192.0.2.10", 5432)  # no such Service: nothing


def test_to_services_never_matches_pods_even_as_endpoints():
    inside = {"k8sService": {"serviceName": "inside", "namespace": "db"}}
    r = reach(cnp("s", to_services(inside)), *_services())
    assert not r.can_reach("db/e", "db/d", 5432)  # generated CIDR rules match outside addresses only


def test_to_services_that_depend_on_the_cilium_release_are_not_judged():
    pods = {"k8sService": {"serviceName": "d-svc", "namespace": "db"}}
    snap = snapshot(*base(cnp("s", to_services(pods)), *_services()))
    (p,) = snap.unevaluated_policies
    assert p.unsupported == ("toServices selects 1 Service(s) with a selector (db/d-svc): Cilium 1.17 and later "
                             "allow their pods, earlier releases nothing, and no cilium-agent image in the "
                             "snapshot shows the release",)
    everything = {"k8sServiceSelector": {"selector": {}}}
    many = [svc("db", f"s{i:02d}", {"app": "x"}) for i in range(30)]
    (p,) = snapshot(*base(cnp("s", to_services(everything)), *_services(), *many)).unevaluated_policies
    (reason,) = p.unsupported  # one reason, however many Services
    assert reason.startswith("toServices selects 31 Service(s) with a selector (db/d-svc, db/s00, db/s01, db/s02, "
                             "db/s03 and 26 more)")
    # The policy-not-evaluated finding says why.
    (row,) = k8sviz.gaps(snap).query("finding == 'policy-not-evaluated'").itertuples()
    assert row.evidence["not_judged"] == list(snap.unevaluated_policies[0].unsupported)
    # Without the Services or their EndpointSlices, nothing can be resolved.
    (p,) = snapshot(*base(cnp("s", to_services(RDS)))).unevaluated_policies
    assert p.unsupported == ("toServices: the Services or EndpointSlices were not read in full",)
    for spec, reason in (
        ({"endpointSelector": {}, "egressDeny": [{"toServices": [RDS]}]}, "spec.egressDeny[0].toServices in a deny entry"),
        ({"endpointSelector": {}, "egress": [{"toServices": []}]}, "spec.egress[0].toServices is an empty list"),
    ):
        (p,) = snapshot(*base(cnp("s", spec), *_services())).unevaluated_policies
        assert p.unsupported == (reason,)
    # Services read, EndpointSlices not (or the other way round): not judged either.
    only_services = [o for o in _services() if o["kind"] == "Service"]
    only_slices = [o for o in _services() if o["kind"] == "EndpointSlice"]
    for objs in (only_services, only_slices):
        (p,) = snapshot(*base(cnp("s", to_services(RDS)), *objs)).unevaluated_policies
        assert p.unsupported == ("toServices: the Services or EndpointSlices were not read in full",)


@pytest.mark.parametrize(("item", "message"), [
    ({"k8sService": "rds"}, "k8sService must be an object"),
    ({"k8sService": {"serviceName": 7}}, "serviceName must be a string"),
    ({"k8sServiceSelector": {"namespace": "db"}}, "k8sServiceSelector.selector is required"),
    ({"k8sServiceSelector": {"selector": {}, "namespace": 3}}, "namespace must be a string"),
    ("rds", "must be an object"),
])
def test_invalid_to_services_name_the_policy(item, message):
    with pytest.raises(PolicyError, match="CiliumNetworkPolicy/db/bad") as e:
        snapshot(*base(cnp("bad", to_services(item)), *_services()))
    assert message in str(e.value)


def test_to_services_in_a_namespace_scoped_snapshot():
    from k8sviz.snapshot import SnapshotBuilder

    def scoped(ref):
        b = SnapshotBuilder()
        for o in base(cnp("s", to_services(ref)), *_services()):
            b.add(o, "test")
        return b.build(namespace_scope=["db"])

    assert scoped(RDS).unevaluated_policies == ()  # named in the scope: resolved
    anywhere = {"k8sService": {"serviceName": "rds"}}
    (p,) = scoped(anywhere).unevaluated_policies  # any namespace: outside the scope too
    assert p.unsupported == ("toServices names Services outside the namespace scope of the snapshot",)


def test_a_selector_is_read_before_a_name_as_cilium_does():
    both = {"k8sServiceSelector": {"selector": {"matchLabels": {"tier": "external"}}}, "k8sService": {"serviceName": "nope"}}
    r = reach(cnp("s", to_services(both)), *_services())
    assert r.can_reach("db/e", "192.0.2.10", 5432)


def test_to_services_leaves_out_endpoints_that_are_not_ready():
    from .test_calico import eps

    slice_ = eps("db", "rds-2", "rds", ["192.0.2.20", "192.0.2.21"], [("TCP", 5432)])
    slice_["endpoints"][0]["conditions"] = {"ready": False}
    slice_["endpoints"][1]["conditions"] = {"ready": True, "serving": True}
    v6 = eps("db", "rds-3", "rds", ["2001:db8::20"], [("TCP", 5432)], "IPv6")
    snap = snapshot(*base(cnp("s", to_services(RDS)), *_services(), slice_, v6))
    assert [es.not_ready for es in snap.endpoint_slices if es.name == "rds-2"] == [("192.0.2.20",)]
    r = k8sviz.reachability(snap)
    assert not r.can_reach("db/e", "192.0.2.20", 5432) and r.can_reach("db/e", "192.0.2.21", 5432)
    assert r.can_reach("db/e", "2001:db8::20", 5432)  # IPv6 endpoints: /128 rules
    # An endpoint that still serves while it terminates: releases differ, so not judged.
    slice_["endpoints"][0]["conditions"] = {"ready": False, "serving": True, "terminating": True}
    (p,) = snapshot(*base(cnp("s", to_services(RDS)), *_services(), slice_, v6)).unevaluated_policies
    assert p.unsupported == ("toServices selects Service(s) with endpoints that serve while terminating (db/rds): "
                             "Cilium releases differ on whether they are allowed",)


def test_to_services_references_read_plainly():
    from k8sviz.cilium_objects import CiliumServiceRef
    from k8sviz.model import LabelSelector

    assert str(CiliumServiceRef("db", "rds")) == "Service db/rds"
    assert str(CiliumServiceRef(None, "rds")) == "Service rds in any namespace"
    assert str(CiliumServiceRef(None)) == "no Service (no name)"
    assert str(CiliumServiceRef("db", selector=LabelSelector((("tier", "x"),), ()))).startswith("Services [")


def agent(name: str, image: str, node_ip: str = "10.0.1.1") -> dict[str, Any]:
    """A Cilium agent pod (hostNetwork), whose image tag shows the release."""
    obj = pod("kube-system", name, {"k8s-app": "cilium"}, node_ip, host=True, host_ip=node_ip)
    obj["spec"]["containers"] = [{"name": "cilium-agent", "image": image}]
    obj["spec"]["initContainers"] = [{"name": "config", "image": "quay.io/cilium/cilium:v0.1.0"}]
    return obj


@pytest.mark.parametrize(("images", "release"), [
    (["quay.io/cilium/cilium:v1.17.2@sha256:" + "a" * 64], (1, 17)),
    (["quay.io/cilium/cilium:v1.16.5-eks", "quay.io/cilium/cilium:1.16.9", "c/cilium:v1.16.5-eks-1"], (1, 16)),
    (["my.registry:5000/cilium/cilium:v1.18.1", "cilium:1.18"], (1, 18)),  # a registry port is no version
    (["quay.io/cilium/cilium:v1.16.5", "quay.io/cilium/cilium:v1.17.0"], None),  # an upgrade under way
    (["my.registry:5000/cilium/cilium:stable"], None),  # no version in the tag (nor the port)
    (["quay.io/cilium/cilium@sha256:" + "b" * 64], None),  # a digest only
    (["quay.io/cilium/cilium:latest"], None),
    (["quay.io/cilium/cilium:v1.17.0-pre.1"], None),  # a pre-release: not known to behave as 1.17
    (["quay.io/cilium/cilium:v1.17.0-rc.2"], None),
    ([], None),
])
def test_the_cilium_release_comes_from_the_agents_image(images, release):
    snap = snapshot(*base(*(agent(f"cilium-{i}", im) for i, im in enumerate(images))))
    assert snap.cilium_release == release


def test_an_agent_that_ended_does_not_count():
    ended = agent("cilium-old", "cilium/cilium:v1.16.4")
    ended["status"]["phase"] = "Failed"
    snap = snapshot(*base(ended, agent("cilium-new", "cilium/cilium:v1.17.1")))
    assert snap.cilium_release == (1, 17)
    both = snapshot(*base(cnp("p", {"endpointSelector": D, "egress": [{"toEndpoints": [{}]}]}),
                          agent("cilium-a", "cilium/cilium:v1.16.4"), agent("cilium-b", "cilium/cilium:v1.17.1")))
    assert both.cilium_release_text == "unknown (the cilium-agent images disagree: 1.16, 1.17)"


def test_a_service_selecting_by_labels_cilium_keeps_out_of_identities_is_not_judged():
    sts = svc("db", "sts-0", {"statefulset.kubernetes.io/pod-name": "sts-0"})
    ref = {"k8sService": {"serviceName": "sts-0", "namespace": "db"}}
    (p,) = snapshot(*base(cnp("s", to_services(ref)), *_services(), sts,
                          agent("cilium-1", "cilium/cilium:v1.17.1"))).unevaluated_policies
    assert p.unsupported == ("toServices selects Service(s) by labels Cilium leaves out of pod identities by "
                             "default (db/sts-0 (statefulset.kubernetes.io/pod-name)): such a selector matches "
                             "no pod unless the agents are configured to keep them",)
    fine = svc("db", "web", {"app.kubernetes.io/name": "d"})
    ref = {"k8sService": {"serviceName": "web", "namespace": "db"}}
    assert snapshot(*base(cnp("s", to_services(ref)), *_services(), fine,
                          agent("cilium-1", "cilium/cilium:v1.17.1"))).unevaluated_policies == ()


def test_from_cilium_1_17_to_services_allow_the_pods_of_a_service_with_a_selector():
    pods = {"k8sService": {"serviceName": "d-svc", "namespace": "db"}}
    new = snapshot(*base(cnp("s", to_services(pods)), *_services(), agent("cilium-1", "cilium/cilium:v1.17.1")))
    assert new.unevaluated_policies == ()
    r = k8sviz.reachability(new)
    assert r.can_reach("db/e", "db/d", 5432)  # the Service's pods (app=d in db)
    assert not r.can_reach("db/e", "web/a", 5432) and not r.can_reach("db/e", "10.0.0.9", 80)
    # Its endpoint address as an outside address is not what 1.17 allows: the pods are.
    old = snapshot(*base(cnp("s", to_services(pods)), *_services(), agent("cilium-1", "cilium/cilium:v1.16.4")))
    assert old.unevaluated_policies == ()
    r = k8sviz.reachability(old)
    assert not r.can_reach("db/e", "db/d", 5432)  # before 1.17: nothing


def test_info_shows_the_cilium_release_it_judges_by(tmp_path, capsys):
    import json

    from k8sviz.cli import main

    for extra, line in (((agent("cilium-1", "cilium/cilium:v1.17.1"),), "cilium        1.17 (from the cilium-agent image)"),
                        ((), "cilium        unknown (no cilium-agent image shows it)")):
        path = tmp_path / "c.json"
        path.write_text(json.dumps({"apiVersion": "v1", "kind": "List",
                                    "items": base(cnp("p", {"endpointSelector": D, "egress": [{"toEndpoints": [{}]}]}),
                                                  *extra)}))
        assert main(["info", str(path)]) == 0
        assert line in capsys.readouterr().out.splitlines()
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": base()}))
    assert main(["info", str(path)]) == 0
    assert "cilium " not in capsys.readouterr().out  # no Cilium policy: nothing to say


def test_the_report_names_the_cilium_release_it_judges_by():
    plain = snapshot(*base())
    assert 'id="cilium-release"' not in k8sviz.report(plain, generated_at="2026-01-01T00:00:00Z")
    snap = snapshot(*base(cnp("p", {"endpointSelector": D, "egress": [{"toEndpoints": [{}]}]}),
                          agent("cilium-1", "cilium/cilium:v1.16.3")))
    page = k8sviz.report(snap, generated_at="2026-01-01T00:00:00Z")
    assert '<td id="cilium-release">1.16 (from the cilium-agent image)</td>' in page


@pytest.mark.parametrize(("selector", "hidden"), [
    ({"matchLabels": {"statefulset.kubernetes.io/pod-name": "db-0"}}, "statefulset.kubernetes.io/pod-name"),
    ({"matchLabels": {"k8s:pod-template-hash": "abc"}}, "pod-template-hash"),
    ({"matchExpressions": [{"key": "controller-revision-hash", "operator": "Exists"}]}, "controller-revision-hash"),
    ({"matchLabels": {"app.kubernetes.io/name": "d"}}, None),  # kept in identities
    ({"matchLabels": {"io.kubernetes.pod.namespace": "db"}}, None),
    ({"matchLabels": {"io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name": "db",
                      "io.kubernetes.pod.namespace": "db"}}, None),
    ({"matchLabels": {"k8s-app": "kube-dns"}}, None),
    ({"matchLabels": {"controller-uid": "1234"}}, "controller-uid"),  # older Jobs' label
    ({"matchLabels": {"topology.kubernetes.io/zone": "a"}}, None),  # the filter's patterns match from the start
    ({"matchLabels": {"node.beta.kubernetes.io/x": "a"}}, "node.beta.kubernetes.io/x"),
    # A namespace label under the identity prefix: the prefix's inclusion is shorter than the
    # ``.*beta\.kubernetes\.io`` exclusion's match, so the filter drops it.
    ({"matchLabels": {"io.kubernetes.pod.namespace": "db",
                      "io.cilium.k8s.namespace.labels.node.beta.kubernetes.io/x": "a"}},
     "io.cilium.k8s.namespace.labels.node.beta.kubernetes.io/x"),
    ({"matchLabels": {"io.kubernetes.pod.namespace": "db"},
      "matchExpressions": [{"key": "io.cilium.k8s.namespace.labels.node.beta.kubernetes.io/x",
                            "operator": "DoesNotExist"}]},
     "io.cilium.k8s.namespace.labels.node.beta.kubernetes.io/x"),
    ({"matchLabels": {"io.kubernetes.pod.namespace": "db",
                      "io.cilium.k8s.namespace.labels.team": "db"}}, None),
    ({"matchLabels": {"io.kubernetes.pod.namespacefoo": "db"}}, None),  # the inclusion beats io.kubernetes
    ({"matchLabels": {"io.kubernetes.pod.name": "d"}}, "io.kubernetes.pod.name"),
])
def test_selectors_on_labels_cilium_keeps_out_of_identities_are_not_judged(selector, hidden):
    for spec in ({"endpointSelector": selector, "ingress": [{"fromEndpoints": [{}]}]},
                 {"endpointSelector": D, "egress": [{"toEndpoints": [selector]}]}):
        (p,) = snapshot(*base(cnp("p", spec))).cilium_policies
        if hidden is None:
            assert p.unsupported == ()
        else:
            (reason,) = p.unsupported
            assert reason.endswith(f": label {hidden!r}, which Cilium leaves out of pod identities by default")


def test_the_default_label_filter_keeps_what_upstreams_test_keeps():
    """``TestDefaultFilterLabels`` (pkg/labelsfilter/filter_test.go): of these keys the default
    filter keeps exactly the pod namespace, ``app.kubernetes.io``, ``ioXkubernetes`` (the
    patterns are regular expressions with escaped dots) and ``ignore``/``ignorE``."""
    from k8sviz.cilium_objects import identity_label

    kept = {"io.kubernetes.pod.namespace", "app.kubernetes.io", "ioXkubernetes", "ignore", "ignorE"}
    dropped = {
        "io.kubernetes.container.hash", "io.kubernetes.container.name",
        "io.kubernetes.container.restartCount", "io.kubernetes.container.terminationMessagePath",
        "io.kubernetes.pod.name", "kubernetes.io.foo", "beta.kubernetes.io.foo",
        "annotation.kubectl.kubernetes.io", "annotation.hello", "io.kubernetes.pod.terminationGracePeriod",
        "io.kubernetes.pod.uid", "annotation.kubernetes.io/config.seen", "controller-revision-hash",
    }
    assert {k for k in kept | dropped if identity_label(k)} == kept


def test_namespace_labels_the_default_filter_drops_are_not_in_the_identity():
    """Cilium copies every namespace label into the identity under
    ``io.cilium.k8s.namespace.labels.`` and then filters the whole set: one with
    ``beta.kubernetes.io`` in its key is dropped, ``kubernetes.io/metadata.name`` is kept (no
    exclusion starts at the prefix)."""
    from k8sviz.cilium_objects import pod_view
    from k8sviz.model import Pod

    p = Pod("db", "d", {"app": "d", "pod-template-hash": "x"}, "Pod", "d")
    view = pod_view(p, {"kubernetes.io/metadata.name": "db", "team": "db",
                        "topology.beta.kubernetes.io/region": "eu"})
    assert view["io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name"] == "db"
    assert view["io.cilium.k8s.namespace.labels.team"] == "db"
    assert "io.cilium.k8s.namespace.labels.topology.beta.kubernetes.io/region" not in view
    assert "pod-template-hash" not in view and view["app"] == "d"


def test_exists_on_the_cluster_label_is_judged_since_every_pod_identity_carries_it():
    """Cilium's agent sets ``io.cilium.k8s.policy.cluster`` on every pod identity
    (``SanitizePodLabels``, pkg/k8s/utils), so Exists holds for every pod and DoesNotExist for
    none whatever the cluster's name; only a test of the name itself is left unjudged."""
    def on_cluster(op: str) -> dict[str, Any]:
        return {"matchExpressions": [{"key": "io.cilium.k8s.policy.cluster", "operator": op}]}

    exists = cnp("p", {"endpointSelector": D, "ingress": [{"fromEndpoints": [on_cluster("Exists")]}]})
    snap = snapshot(*base(exists))
    assert not snap.unevaluated_policies
    r = k8sviz.reachability(snap)
    assert r.can_reach("db/e", "db/d", 80)
    assert not r.can_reach("web/a", "db/d", 80)  # still pinned to the policy's namespace
    assert not r.can_reach("8.8.8.8", "db/d", 80)  # no outside address carries it
    r = reach(cnp("p", {"endpointSelector": D, "ingress": [{"fromEndpoints": [on_cluster("DoesNotExist")]}]}))
    assert not r.can_reach("db/e", "db/d", 80)
    by_name = cnp("p", {"endpointSelector": D, "ingress": [{"fromEndpoints": [
        {"matchExpressions": [{"key": "io.cilium.k8s.policy.cluster", "operator": "In", "values": ["default"]}]}]}]})
    (pol,) = snapshot(*base(by_name)).unevaluated_policies
    assert any("the Cilium cluster's name" in u for u in pol.unsupported)


def unknown_fields(snap):
    return {w.obj: w.message for w in snap.warnings if w.code == "unknown-field"}


def test_fields_a_cilium_rule_does_not_have_are_warned_and_read_as_absent():
    # `matchLabel`: the subject selector selects every pod of db (its other key was dropped
    # before the selector was read); `toPort`: every port; a deny entry's toFQDNs and L7 rules,
    # which its type has not, are dropped too: the deny is read without them.
    wide = cnp("wide", {"endpointSelector": {"matchLabel": {"app": "d"}},
                        "ingress": [{"fromEndpoints": [{"matchLabels": {"app": "e"}}], "toPort": [{"ports": [{"port": "5432"}]}]}]})
    deny = cnp("deny", key="specs", spec=[
        {"endpointSelector": {"matchLabels": {"app": "a"}}, "egressDeny": [
            {"toEntities": ["world"], "toFQDNs": [{"matchName": "a.com"}],
             "toPorts": [{"ports": [{"port": "443"}], "rules": {"http": [{"method": "GET"}]}}]}]},
        {"endpointSelector": {}, "ingres": [{"fromEntities": ["world"]}]}], namespace="web")
    snap = snapshot(*base(wide, deny))
    found = unknown_fields(snap)
    assert found["CiliumNetworkPolicy/db/wide"].startswith(
        "spec.endpointSelector.matchLabel, spec.ingress[0].toPort: not a field of CiliumNetworkPolicy cilium.io/v2 "
        "(a typo?); read without it")
    assert found["CiliumNetworkPolicy/web/deny"].startswith(
        "specs[0].egressDeny[0].toFQDNs, specs[0].egressDeny[0].toPorts[0].rules, specs[1].ingres: ")
    assert snap.unevaluated_policies == ()
    r = k8sviz.reachability(snap)
    assert not r.can_reach("web/a", "db/e", 80)  # e isolated: the subject is every pod of db
    assert r.can_reach("db/e", "db/d", 9999)  # on every port
    (p,) = [p for p in snap.cilium_policies if p.name == "deny"]
    assert [str(e.ports[0]) for e in p.rules[0].egress_deny] == ["TCP/UDP/SCTP 443"] and not p.rules[0].egress_deny[0].l7
    assert p.rules[1].ingress == ()


def test_a_cilium_policy_of_every_field_has_no_unknown_field_warning():
    sel = {"matchLabels": {"app": "a"}, "matchExpressions": [{"key": "app", "operator": "In", "values": ["a"]}]}
    ports = [{"port": "80", "endPort": 90, "protocol": "TCP"}]
    port_rule = {"ports": ports, "terminatingTLS": {"secret": {"name": "s"}}, "originatingTLS": {"secret": {"name": "s"}},
                 "serverNames": ["a.io"], "listener": {"envoyConfig": {"kind": "CiliumEnvoyConfig", "name": "e"}, "name": "l"},
                 "rules": {"http": [{"path": "/", "method": "GET", "host": "a.io", "headers": ["X: y"],
                                     "headerMatches": [{"name": "X", "value": "y", "mismatch": "LOG"}]}]}}
    icmps = [{"fields": [{"family": "IPv4", "type": 8}]}]
    cidr_set = [{"cidr": "8.8.0.0/16", "except": ["8.8.8.0/24"]}, {"cidrGroupRef": "g"},
                {"cidrGroupSelector": {"matchLabels": {"g": "1"}}}]
    rule = {
        "endpointSelector": sel, "description": "all", "labels": [{"key": "k", "value": "v", "source": "unspec"}],
        "enableDefaultDeny": {"ingress": True, "egress": False}, "log": {"value": "x"},
        "ingress": [{"fromEndpoints": [sel], "fromRequires": [sel], "toPorts": [port_rule], "authentication": {"mode": "required"}},
                    {"fromCIDR": ["8.8.8.8/32"], "icmps": icmps}, {"fromCIDRSet": cidr_set},
                    {"fromEntities": ["world"]}, {"fromGroups": [{"aws": {"securityGroupsIds": ["sg-1"]}}]},
                    {"fromNodes": [sel]}],
        "ingressDeny": [{"fromEndpoints": [sel], "toPorts": [{"ports": ports}], "icmps": icmps}],
        "egress": [{"toEndpoints": [sel], "toRequires": [sel], "toPorts": [port_rule]}, {"toCIDR": ["8.8.8.8/32"]},
                   {"toCIDRSet": cidr_set}, {"toEntities": ["world"]}, {"toNodes": [sel]},
                   {"toGroups": [{"aws": {"region": "eu"}}]},
                   {"toServices": [{"k8sService": {"serviceName": "s", "namespace": "db"}},
                                   {"k8sServiceSelector": {"selector": sel, "namespace": "db"}}]},
                   {"toFQDNs": [{"matchName": "a.io"}, {"matchPattern": "*.a.io"}],
                    "toPorts": [{"ports": [{"port": "53", "protocol": "UDP"}], "rules": {"dns": [{"matchPattern": "*"}]}}]},
                   {"toPorts": [{"ports": ports, "rules": {"kafka": [{"role": "produce", "apiKey": "k", "apiVersion": "1",
                                                                       "clientID": "c", "topic": "t"}]}}]},
                   {"toPorts": [{"ports": ports, "rules": {"l7proto": "p", "l7": [{"k": "v"}]}}], "icmps": icmps,
                    "authentication": {"mode": "disabled"}}],
        "egressDeny": [{"toEndpoints": [sel], "toPorts": [{"ports": ports}], "icmps": icmps},
                       {"toServices": [{"k8sService": {"serviceName": "s"}}]}],
    }
    host = {"nodeSelector": sel, "ingress": [{"fromEntities": ["world"]}]}
    snap = snapshot(*base(cnp("full", rule), cnp("more", key="specs", spec=[rule, host], namespace=None)))
    assert len(snap.cilium_policies) == 2
    assert unknown_fields(snap) == {}


def test_a_pods_own_labels_under_ciliums_prefix_never_reach_its_identity():
    """The agent drops them before adding its own (``filterPodLabels``, pkg/k8s/utils): a pod
    cannot claim another account, namespace or cluster, nor match a selector on such a key."""
    forged = pod("db", "f", {"io.cilium.k8s.policy.serviceaccount": "api", "io.cilium.k8s.extra": "x"}, "10.0.0.11")
    for peer in ({"matchLabels": {"io.cilium.k8s.extra": "x"}},
                 {"matchLabels": {"io.cilium.k8s.policy.serviceaccount": "api"}}):
        r = reach(forged, cnp("p", {"endpointSelector": D, "ingress": [{"fromEndpoints": [peer]}]}))
        assert not r.can_reach("db/f", "db/d", 80), peer
    r = reach(forged, cnp("p", {"endpointSelector": D, "ingress": [{"fromEndpoints": [
        {"matchLabels": {"io.cilium.k8s.policy.serviceaccount": "default"}}]}]}))
    assert r.can_reach("db/f", "db/d", 80) and r.can_reach("db/e", "db/d", 80)


# ------------------------------------------------------------------------------ fromRequires / toRequires
# Cilium up to 1.18 (resolveL4IngressPolicy / resolveL4EgressPolicy, pkg/policy/rules.go;
# GetSourceEndpointSelectorsWithRequirements, pkg/policy/api/ingress.go): the requirements of
# every entry of every rule selecting a pod are ANDed into the endpoint selectors of all those
# rules' entries of the same kind (allow, deny).  From 1.19 they are gone (cilium#42615).

#: db/d's namespace gets a prod pod and a dev pod beside e (both app=e).
PROD = [pod("db", "p", {"app": "e", "env": "prod"}, "10.0.0.20"),
        pod("db", "q", {"app": "e", "env": "dev"}, "10.0.0.21")]
ENV_PROD = {"matchLabels": {"env": "prod"}}


def requiring(*policies: dict[str, Any], release: str | None = "1.18.2") -> k8sviz.Reachability:
    snap = snapshot(*base(*PROD, *policies, *((agent_of(release),) if release else ())))
    assert not snap.unevaluated_policies, [p.unsupported for p in snap.unevaluated_policies]
    return k8sviz.reachability(snap)


def test_from_requires_of_one_policy_restricts_the_from_endpoints_of_another():
    req = cnp("req", {"endpointSelector": D, "ingress": [{"fromRequires": [ENV_PROD]}]})
    allow = cnp("allow", {"endpointSelector": D, "ingress": [{"fromEndpoints": [{"matchLabels": {"app": "e"}}]}]})
    r = requiring(allow)
    assert r.can_reach("db/p", "db/d", 80) and r.can_reach("db/q", "db/d", 80) and r.can_reach("db/e", "db/d", 80)
    r = requiring(req, allow)
    assert r.can_reach("db/p", "db/d", 80)
    assert not r.can_reach("db/q", "db/d", 80) and not r.can_reach("db/e", "db/d", 80)
    # The explanation names the requirement, where it allows and where it keeps a peer out.
    assert "fromRequires of CiliumNetworkPolicy/db/req" in str(r.explain("db/p", "db/d", 80))
    text = str(r.explain("db/q", "db/d", 80))
    assert "CiliumNetworkPolicy/db/allow ingress[0] would allow this ingress, but fromRequires of " \
           "CiliumNetworkPolicy/db/req" in text and "db/q does not" in text
    # Pods the requiring rule does not select keep the plain selector.
    r = requiring(req, cnp("allow", {"endpointSelector": {"matchLabels": {"app": "e"}},
                                     "ingress": [{"fromEndpoints": [{"matchLabels": {"app": "d"}}]}]}))
    assert r.can_reach("db/d", "db/e", 80)


def test_a_rule_with_only_from_requires_grants_nothing_but_isolates():
    r = requiring(cnp("req", {"endpointSelector": D, "ingress": [{"fromRequires": [ENV_PROD]}]}))
    assert not r.can_reach("db/p", "db/d", 80) and not r.can_reach("db/e", "db/d", 80)
    assert r.isolated("db/d", "ingress")


def test_requirements_leave_entities_cidrs_and_port_only_entries_alone():
    req = cnp("req", {"endpointSelector": D, "ingress": [{"fromRequires": [ENV_PROD]}]})
    r = requiring(req, cnp("world", {"endpointSelector": D, "ingress": [{"fromEntities": ["world"]}]}))
    assert r.can_reach("8.8.8.8", "db/d", 80) and not r.can_reach("db/q", "db/d", 80)
    r = requiring(req, cnp("all", {"endpointSelector": D, "ingress": [{"fromEntities": ["all"]}]}))
    assert r.can_reach("db/q", "db/d", 80) and r.can_reach("web/a", "db/d", 80)
    r = requiring(req, cnp("cidr", {"endpointSelector": D, "ingress": [{"fromCIDR": ["8.8.8.0/24"]}]}))
    assert r.can_reach("8.8.8.8", "db/d", 80)
    # An entry giving requirements and ports but no peer: ports for every peer, unrestricted.
    r = requiring(cnp("ports", {"endpointSelector": D, "ingress": [
        {"fromRequires": [ENV_PROD], "toPorts": [{"ports": [{"port": "5432"}]}]}]}))
    assert r.can_reach("db/q", "db/d", 5432) and r.can_reach("web/a", "db/d", 5432)
    assert not r.can_reach("db/q", "db/d", 80)


def test_requirements_drop_the_reserved_peers_of_endpoint_selectors():
    """A lone ``reserved:remote-node`` label is among the ``fromEndpoints``, so the requirement
    (pinned to the policy's namespace) is ANDed into it, and no reserved identity carries a
    namespace label: the nodes are left out."""
    peer = cnp("n", {"endpointSelector": D, "ingress": [{"fromEndpoints": [{"matchLabels": {"reserved:remote-node": ""}}]}]})
    assert requiring(peer).can_reach("kube-system/agent", "db/d", 80)  # d's node is unknown: n1 is remote
    r = requiring(peer, cnp("req", {"endpointSelector": D, "ingress": [{"fromRequires": [{}]}]}))
    assert not r.can_reach("kube-system/agent", "db/d", 80)


def test_requirements_of_a_namespaced_policy_keep_peers_to_its_namespace():
    """getEndpointSelector pins a CiliumNetworkPolicy's requirement to its namespace, so a
    fromEndpoints naming another namespace, in any policy selecting the pod, matches nothing."""
    other_ns = {"fromEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "web", "app": "a"}}]}
    allow = cnp("allow", {"endpointSelector": D, "ingress": [other_ns]})
    assert requiring(allow).can_reach("web/a", "db/d", 80)
    r = requiring(allow, cnp("req", {"endpointSelector": D, "ingress": [{"fromRequires": [{}]}]}))
    assert not r.can_reach("web/a", "db/d", 80) and not r.can_reach("db/e", "db/d", 80)
    # A requirement naming the namespace itself is not pinned.
    named = {"matchLabels": {"io.kubernetes.pod.namespace": "web"}}
    r = requiring(allow, cnp("req", {"endpointSelector": D, "ingress": [{"fromRequires": [named]}]}))
    assert r.can_reach("web/a", "db/d", 80)


def test_a_clusterwide_requirement_applies_to_namespaced_rules_and_asks_for_a_pod():
    ccnp = cnp("req", {"endpointSelector": D, "ingress": [{"fromRequires": [ENV_PROD]}]}, namespace=None)
    allow = cnp("allow", {"endpointSelector": D, "ingress": [{"fromEndpoints": [{}]}]})
    r = requiring(ccnp, allow)
    assert r.can_reach("db/p", "db/d", 80) and not r.can_reach("db/q", "db/d", 80)
    # ... and a namespaced one to a cluster-wide policy's rules.
    r = requiring(cnp("req", {"endpointSelector": D, "ingress": [{"fromRequires": [ENV_PROD]}]}),
                  cnp("all", {"endpointSelector": D, "ingress": [{"fromEndpoints": [{}]}]}, namespace=None))
    assert r.can_reach("db/p", "db/d", 80) and not r.can_reach("web/a", "db/d", 80)


def test_deny_requirements_restrict_deny_entries_only():
    deny = cnp("deny", {"endpointSelector": D, "ingressDeny": [{"fromEndpoints": [{"matchLabels": {"app": "e"}}]},
                                                               {"fromRequires": [ENV_PROD]}]})
    allow = cnp("allow", {"endpointSelector": D, "ingress": [{"fromEndpoints": [{}]}]})
    r = requiring(deny, allow)
    assert not r.can_reach("db/p", "db/d", 80)  # app=e AND env=prod: denied
    assert r.can_reach("db/q", "db/d", 80) and r.can_reach("db/e", "db/d", 80)  # allowed, not denied
    text = str(r.explain("db/q", "db/d", 80))
    assert "ingressDeny[0] would deny this ingress" in text, text


def test_to_requires_restricts_egress():
    req = cnp("req", {"endpointSelector": D, "egress": [{"toRequires": [ENV_PROD]}]})
    allow = cnp("allow", {"endpointSelector": D, "egress": [{"toEndpoints": [{}]}, {"toEntities": ["world"]}]})
    r = requiring(req, allow)
    assert r.can_reach("db/d", "db/p", 80) and not r.can_reach("db/d", "db/q", 80)
    assert r.can_reach("db/d", "8.8.8.8", 80)  # entities: untouched
    # Ingress requirements do not reach egress entries.
    r = requiring(cnp("req", {"endpointSelector": D, "ingress": [{"fromRequires": [ENV_PROD]}]}), allow)
    assert r.can_reach("db/d", "db/q", 80)


def test_requirements_of_icmp_only_entries_count():
    req = cnp("req", {"endpointSelector": D, "ingress": [{"fromRequires": [ENV_PROD], "icmps": [{"fields": [{"type": 8}]}]}]})
    allow = cnp("allow", {"endpointSelector": D, "ingress": [{"fromEndpoints": [{}]}]})
    r = requiring(req, allow)
    assert r.can_reach("db/p", "db/d", 80) and not r.can_reach("db/q", "db/d", 80)


@pytest.mark.parametrize("release", [None, "1.19.0", "1.20.1"])
def test_requirements_are_not_judged_from_1_19_nor_without_the_release(release):
    req = cnp("req", {"endpointSelector": D, "ingress": [{"fromRequires": [ENV_PROD]}]})
    snap = snapshot(*base(*PROD, req, *((agent_of(release),) if release else ())))
    (pol,) = snap.unevaluated_policies
    (why,) = pol.unsupported
    assert why.startswith("spec.ingress[0].fromRequires: ")
    assert ("no cilium-agent image" in why) == (release is None)
    assert ("cilium#42615" in why)


def test_a_requirement_that_does_not_ask_for_a_namespace_is_not_judged():
    odd = {"matchExpressions": [{"key": "io.kubernetes.pod.namespace", "operator": "NotIn", "values": ["x"]}]}
    snap = snapshot(*base(cnp("req", {"endpointSelector": D, "ingress": [{"fromRequires": [odd]}]}),
                          agent_of("1.18.2")))
    (pol,) = snap.unevaluated_policies
    assert any("does not ask for a pod's namespace" in u for u in pol.unsupported)


def test_to_requires_beside_to_services_with_a_selector_is_not_judged_from_1_17():
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"namespace": "db", "name": "s"},
           "spec": {"selector": {"app": "e"}, "ports": [{"port": 80}]}}
    req = cnp("req", {"endpointSelector": D, "egress": [{"toRequires": [ENV_PROD]}]})
    to_svc = cnp("svc", {"endpointSelector": D, "egress": [{"toServices": [{"k8sService": {"serviceName": "s", "namespace": "db"}}]}]})
    from .test_calico import eps

    objs = [*PROD, svc, eps("db", "s-1", "s", ["10.0.0.10"], [("TCP", 80)]), req, to_svc]
    snap = snapshot(*base(*objs, agent_of("1.18.2")))
    assert [p.name for p in snap.unevaluated_policies] == ["req"]
    (why,) = snap.unevaluated_policies[0].unsupported
    assert why.startswith("toRequires reaches pods whose egress toServices names a Service with a selector")
    assert not snapshot(*base(*objs, agent_of("1.16.5"))).unevaluated_policies


def test_requirements_of_several_rules_all_hold_at_once():
    """They form one conjunction: a peer must meet every requirement of every rule selecting
    the pod, not one of them."""
    tier = pod("db", "r", {"app": "e", "env": "prod", "tier": "x"}, "10.0.0.22")
    reqs = cnp("req", key="specs", spec=[
        {"endpointSelector": D, "ingress": [{"fromRequires": [ENV_PROD]}]},
        {"endpointSelector": {}, "ingress": [{"fromRequires": [{"matchLabels": {"tier": "x"}}]}]}])
    allow = cnp("allow", {"endpointSelector": D, "ingress": [{"fromEndpoints": [{}]}]})
    r = requiring(tier, reqs, allow)
    assert r.can_reach("db/r", "db/d", 80) and not r.can_reach("db/p", "db/d", 80)


def test_requirements_restrict_the_peers_of_networkpolicies_cilium_enforces():
    """Cilium's agent turns a NetworkPolicy into rules of the same repository
    (``ParseNetworkPolicy``, pkg/k8s/network_policy.go: a peer's pod / namespace selector
    becomes a ``FromEndpoints`` selector, an empty ``from`` the wildcard selector, an ipBlock a
    ``FromCIDRSet``), so the requirements of the Cilium rules selecting a pod are ANDed into
    them too (``resolveL4IngressPolicy`` gathers them over every matching rule)."""
    req = cnp("req", {"endpointSelector": D, "ingress": [{"fromRequires": [ENV_PROD]}]})
    from_e = netpol("db", "from-e", {"podSelector": D, "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "e"}}}]}]})
    assert requiring(from_e).can_reach("db/q", "db/d", 80)
    r = requiring(req, from_e)
    assert r.can_reach("db/p", "db/d", 80)
    assert not r.can_reach("db/q", "db/d", 80) and not r.can_reach("db/e", "db/d", 80)
    assert "db/from-e ingress[0] would allow this ingress, but fromRequires of CiliumNetworkPolicy/db/req" \
        in str(r.explain("db/q", "db/d", 80))
    # An empty ``from``: the wildcard selector, the requirement ANDed: prod pods, no address.
    every = netpol("db", "every", {"podSelector": {}, "ingress": [{}]})
    r = requiring(req, every)
    assert r.can_reach("db/p", "db/d", 80)
    assert not r.can_reach("web/a", "db/d", 80) and not r.can_reach("8.8.8.8", "db/d", 80)
    assert r.can_reach("web/a", "db/e", 80) and r.can_reach("8.8.8.8", "db/e", 80)  # not selected by req
    # An ipBlock: a CIDR rule, left alone; a namespaceSelector: an endpoint selector, restricted.
    r = requiring(req, netpol("db", "mixed", {"podSelector": D, "ingress": [{"from": [
        {"ipBlock": {"cidr": "8.8.8.0/24"}}, {"namespaceSelector": {"matchLabels": {"team": "web"}}}]}]}))
    assert r.can_reach("8.8.8.8", "db/d", 80) and not r.can_reach("web/a", "db/d", 80)
    # toRequires and a NetworkPolicy's egress.
    r = requiring(cnp("req", {"endpointSelector": D, "egress": [{"toRequires": [ENV_PROD]}]}),
                  netpol("db", "out", {"podSelector": D, "policyTypes": ["Egress"], "egress": [{}]}))
    assert r.can_reach("db/d", "db/p", 80) and not r.can_reach("db/d", "db/q", 80)
    assert not r.can_reach("db/d", "8.8.8.8", 80)


def test_selector_label_values_that_are_not_strings_are_warned():
    """The CRDs type them as strings: the API server refuses ``app: 1.5``.  It was compared as
    "1.5" without a word (found by fuzzing)."""
    pol = cnp("p", {"endpointSelector": {"matchLabels": {"app": 1.5}}, "ingress": [
        {"fromEndpoints": [{"matchExpressions": [{"key": "app", "operator": "In", "values": ["a", 7]}]}]}]})
    snap = snapshot(*base(pol))
    (w,) = [w for w in snap.warnings if w.code == "invalid-selector-label"]
    assert w.obj == "CiliumNetworkPolicy/db/p"
    assert w.message.startswith("spec.endpointSelector.matchLabels['app'], "
                                "spec.ingress[0].fromEndpoints[0].matchExpressions[0].values: a label value "
                                "that is not a string")


def test_a_cidr_with_host_bits_set_is_masked_and_warned():
    """``10.0.0.1/8`` is all of 10.0.0.0/8 to the agent: widened as NetworkPolicy's ipBlocks are,
    and said as they are (cidr-host-bits), where it was masked without a word."""
    spec = {"endpointSelector": {"matchLabels": {"app": "a"}},
            "egress": [{"toCIDR": ["192.0.2.77/24", "198.51.100.0/24", "203.0.113.9"]},
                       {"toCIDRSet": [{"cidr": "100.64.0.0/10", "except": ["100.64.1.1/24"]}]}]}
    snap = snapshot(*base(cnp("out", spec, namespace="web")))
    said = [w for w in snap.warnings if w.code == "cidr-host-bits"]
    assert [(w.obj, w.message) for w in said] == [(
        "CiliumNetworkPolicy/web/out",
        "spec.egress[0].toCIDR[0] '192.0.2.77/24' is 192.0.2.0/24; spec.egress[1].toCIDRSet[0].except "
        "'100.64.1.1/24' is 100.64.1.0/24: host bits set; Cilium masks them, so each block is widened to its network",
    )]
    r = k8sviz.reachability(snap)
    assert r.can_reach("web/a", "192.0.2.1", 443) and r.can_reach("web/a", "203.0.113.9", 443)
    assert not r.can_reach("web/a", "203.0.113.10", 443)
    assert not r.can_reach("web/a", "100.64.1.200", 443) and r.can_reach("web/a", "100.64.2.1", 443)
