"""One test per NetworkPolicy rule the engine implements (issue 3, item 1)."""

from __future__ import annotations

import pytest

import k8sviz
from k8sviz.errors import QueryError

from . import reference
from .helpers import netpol, ns, pod, snapshot

BASE = (
    ns("x", team="a"),
    ns("y", team="b"),
    ns("z"),
    pod("x", "a", {"app": "a"}, "10.1.0.1", (("http", 8080, "TCP"), ("dns", 53, "UDP"))),
    pod("x", "b", {"app": "b", "tier": "web"}, "10.1.0.2", (("http", 9090, "TCP"),)),
    pod("y", "a", {"app": "a"}, "10.1.1.1"),
    pod("y", "c", {"app": "c", "tier": "db"}, "10.1.1.2"),
    pod("z", "d", {}, "10.1.2.1"),
)


def reach(*policies, extra=(), **kw):
    snap = snapshot(*BASE, *extra, *policies)
    r = k8sviz.reachability(snap, **kw)
    return r, snap


def check_ref(r, snap, **kw):
    """Every pod pair and a few ports agree with the reference evaluator."""
    pods = snap.pods
    for s in pods:
        for d in pods:
            if s is d:
                continue
            for proto, port in (("TCP", 80), ("TCP", 8080), ("TCP", 9090), ("UDP", 53), ("SCTP", 80)):
                assert r.can_reach(s.key, d.key, port, proto) == reference.allowed(snap, s, d, proto, port, **kw), (
                    s.key, d.key, proto, port)


def deny_ingress(namespace, selector=None):
    return netpol(namespace, f"deny-{namespace}", {"podSelector": selector or {}, "policyTypes": ["Ingress"]})


def test_non_isolated_by_default():
    r, snap = reach()
    assert r.can_reach("x/a", "y/c", 1234, "UDP")
    assert not r.isolated("x/a", "ingress") and not r.isolated("x/a", "egress")
    assert r.selecting_policies("x/a", "ingress") == []


def test_default_deny_ingress_isolates_whole_namespace_including_intra():
    r, snap = reach(deny_ingress("x"))
    assert not r.can_reach("x/a", "x/b", 80)
    assert not r.can_reach("y/a", "x/a", 80)
    assert r.can_reach("x/a", "y/a", 80)  # egress not affected
    assert r.isolated("x/b", "ingress") and not r.isolated("x/b", "egress")
    assert r.selecting_policies("x/b", "ingress") == ["x/deny-x"]
    check_ref(r, snap)


def test_default_deny_both_directions():
    r, snap = reach(netpol("x", "deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}))
    assert not r.can_reach("x/a", "y/a", 80) and not r.can_reach("y/a", "x/a", 80)
    assert r.can_reach("y/a", "z/d", 80)


def test_policies_are_additive():
    p1 = netpol("x", "p1", {"podSelector": {"matchLabels": {"app": "b"}}, "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "a"}}}], "ports": [{"port": 80}]}]})
    p2 = netpol("x", "p2", {"podSelector": {"matchLabels": {"app": "b"}}, "ingress": [{"ports": [{"port": 81}]}]})
    r, snap = reach(p1, p2)
    assert r.can_reach("x/a", "x/b", 80) and r.can_reach("y/c", "x/b", 81)
    assert not r.can_reach("y/c", "x/b", 80)
    assert r.selecting_policies("x/b", "ingress") == ["x/p1", "x/p2"]
    check_ref(r, snap)


def test_allow_all_rule_overrides_restrictive_policy():
    r, snap = reach(deny_ingress("x"), netpol("x", "all", {"podSelector": {}, "ingress": [{}]}))
    assert r.can_reach("z/d", "x/a", 12345, "SCTP")


def test_connection_needs_egress_and_ingress():
    eg = netpol("y", "eg", {"podSelector": {"matchLabels": {"app": "c"}}, "policyTypes": ["Egress"]})
    ing = netpol("x", "ing", {"podSelector": {}, "ingress": [{}]})
    r, snap = reach(eg, ing)
    assert not r.can_reach("y/c", "x/a", 80)  # server allows, client egress denies
    v = r.explain("y/c", "x/a", 80)
    assert not v.allowed and not v.egress.allowed and v.ingress.allowed
    check_ref(r, snap)


def test_ingress_and_egress_independent():
    p = netpol("x", "p", {"podSelector": {"matchLabels": {"app": "a"}}, "policyTypes": ["Ingress", "Egress"], "egress": [{}]})
    r, snap = reach(p)
    assert r.can_reach("x/a", "y/a", 80) and not r.can_reach("y/a", "x/a", 80)


def test_implied_policy_types():
    # No policyTypes + egress rules => Ingress and Egress; no egress rules => Ingress only.
    p = netpol("x", "p", {"podSelector": {"matchLabels": {"app": "a"}}, "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}]})
    r, snap = reach(p)
    assert r.isolated("x/a", "ingress") and r.isolated("x/a", "egress")
    assert r.can_reach("x/a", "y/a", 53, "UDP") and not r.can_reach("x/a", "y/a", 80)
    r2, _ = reach(netpol("x", "q", {"podSelector": {"matchLabels": {"app": "a"}}}))
    assert r2.isolated("x/a", "ingress") and not r2.isolated("x/a", "egress")


def test_egress_rules_ignored_when_policy_types_is_ingress_only():
    p = netpol("x", "p", {"podSelector": {}, "policyTypes": ["Ingress"], "egress": [{"to": []}]})
    r, snap = reach(p)
    assert not r.isolated("x/a", "egress") and r.can_reach("x/a", "z/d", 80)


@pytest.mark.parametrize("rule", [{}, {"from": []}, {"ports": []}, {"from": [], "ports": []}])
def test_empty_and_missing_from_and_ports_mean_all(rule):
    r, snap = reach(netpol("x", "p", {"podSelector": {}, "ingress": [rule]}))
    assert r.can_reach("z/d", "x/a", 4242, "UDP")
    assert r.can_reach("10.9.9.9", "x/a", 1, "SCTP")


def test_empty_ingress_list_denies_all():
    r, snap = reach(netpol("x", "p", {"podSelector": {}, "ingress": []}))
    assert not r.can_reach("x/b", "x/a", 80)


def test_pod_selector_alone_is_namespace_local():
    p = netpol("x", "p", {"podSelector": {}, "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "a"}}}]}]})
    r, snap = reach(p)
    assert not r.can_reach("y/a", "x/b", 80)  # same labels, other namespace
    assert r.can_reach("x/a", "x/b", 80)
    p2 = netpol("x", "p", {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]})
    r2, _ = reach(p2)
    assert r2.can_reach("x/a", "x/b", 80) and not r2.can_reach("z/d", "x/b", 80)


def test_namespace_selector_alone_and_empty():
    p = netpol("x", "p", {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "b"}}}]}]})
    r, snap = reach(p)
    assert r.can_reach("y/a", "x/a", 80) and r.can_reach("y/c", "x/a", 80)
    assert not r.can_reach("z/d", "x/a", 80) and not r.can_reach("x/b", "x/a", 80)
    r2, _ = reach(netpol("x", "p", {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {}}]}]}))
    assert r2.can_reach("z/d", "x/a", 80)
    assert not r2.can_reach("10.9.9.9", "x/a", 80)  # selectors never match external addresses


def test_implicit_namespace_name_label():
    p = netpol("x", "p", {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "z"}}}]}]})
    r, snap = reach(p)
    assert r.can_reach("z/d", "x/a", 80) and not r.can_reach("y/a", "x/a", 80)


def test_namespace_and_pod_selector_in_one_peer_is_and_separate_peers_or():
    both = netpol("x", "p", {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "b"}}, "podSelector": {"matchLabels": {"app": "c"}}}]}]})
    r, snap = reach(both)
    assert r.can_reach("y/c", "x/a", 80) and not r.can_reach("y/a", "x/a", 80) and not r.can_reach("z/d", "x/a", 80)
    sep = netpol("x", "p", {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "b"}}}, {"podSelector": {"matchLabels": {"app": "b"}}}]}]})
    r2, snap2 = reach(sep)
    assert r2.can_reach("y/a", "x/a", 80) and r2.can_reach("x/b", "x/a", 80) and not r2.can_reach("z/d", "x/a", 80)
    check_ref(r2, snap2)


@pytest.mark.parametrize(
    ("expr", "allowed_from"),
    [
        ({"key": "app", "operator": "In", "values": ["a", "c"]}, {"y/a", "y/c"}),
        ({"key": "app", "operator": "NotIn", "values": ["a"]}, {"x/b", "y/c", "z/d"}),  # missing key satisfies NotIn
        ({"key": "tier", "operator": "Exists"}, {"y/c", "x/b"}),
        ({"key": "tier", "operator": "DoesNotExist"}, {"y/a", "z/d"}),
    ],
)
def test_match_expressions_operators(expr, allowed_from):
    p = netpol("x", "p", {"podSelector": {"matchLabels": {"app": "a"}}, "ingress": [{"from": [{"namespaceSelector": {}, "podSelector": {"matchExpressions": [expr]}}]}]})
    r, snap = reach(p)
    got = {q.key for q in snap.pods if q.key != "x/a" and r.can_reach(q.key, "x/a", 80)}
    assert got == allowed_from
    check_ref(r, snap)


def test_match_labels_and_expressions_combined():
    sel = {"matchLabels": {"app": "b"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}]}
    r, snap = reach(netpol("x", "p", {"podSelector": sel, "policyTypes": ["Ingress"]}))
    assert r.isolated("x/b", "ingress") and not r.isolated("x/a", "ingress")


def test_named_port_resolved_on_destination_for_ingress():
    p = netpol("x", "p", {"podSelector": {}, "ingress": [{"ports": [{"port": "http"}]}]})
    r, snap = reach(p)
    assert r.can_reach("z/d", "x/a", 8080) and not r.can_reach("z/d", "x/a", 9090)
    assert r.can_reach("z/d", "x/b", 9090) and not r.can_reach("z/d", "x/b", 8080)
    check_ref(r, snap)


def test_named_port_in_egress_resolved_on_destination_pod():
    p = netpol("z", "p", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"ports": [{"port": "http"}]}]})
    r, snap = reach(p)
    assert r.can_reach("z/d", "x/a", 8080) and r.can_reach("z/d", "x/b", 9090)
    assert not r.can_reach("z/d", "x/a", 9090)
    assert not r.can_reach("z/d", "y/a", 8080)  # y/a has no port named http: nothing from that entry
    assert not r.can_reach("z/d", "8.8.8.8", 8080)  # external destinations have no named ports
    check_ref(r, snap)


def _sidecar(obj, *ports):
    obj["spec"]["containers"].append({"name": "side", "image": "img", "ports": [
        {"containerPort": n, "name": name, "protocol": proto} for name, n, proto in ports]})
    return obj


def _agent():
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": "kube-system", "name": "cilium-x"},
            "spec": {"hostNetwork": True, "containers": [{"name": "cilium-agent", "image": "quay.io/cilium/cilium:v1.17.2"}]},
            "status": {"phase": "Running", "podIP": "10.9.0.1", "hostIP": "10.9.0.1"}}


def test_a_name_two_containers_number_differently_matches_either():
    """The API keeps port names unique per container only; kube-network-policies matches any
    container port of that name and protocol, and Calico does too."""
    two = _sidecar(pod("x", "two", {"app": "two"}, "10.1.0.9", (("web", 8080, "TCP"),)), ("web", 9090, "TCP"), ("dns", 53, "UDP"))
    p = netpol("x", "p", {"podSelector": {"matchLabels": {"app": "two"}}, "ingress": [{"ports": [{"port": "web"}]}]})
    r, snap = reach(p, extra=(two,))
    assert r.can_reach("z/d", "x/two", 8080) and r.can_reach("z/d", "x/two", 9090)
    assert not r.can_reach("z/d", "x/two", 80) and not r.can_reach("z/d", "x/two", 53, "UDP")
    (two_pod,) = [q for q in snap.pods if q.key == "x/two"]
    assert two_pod.named_port_numbers[("web", "TCP")] == (8080, 9090) and two_pod.named_ports[("web", "TCP")] == 8080
    check_ref(r, snap)


def test_where_cilium_runs_the_last_container_naming_a_port_counts():
    """Cilium's agent maps each name to one port, container by container, the last winning: for
    NetworkPolicies it enforces as well as its own.  A name the last container gives another
    protocol no longer resolves for the first one's."""
    two = _sidecar(pod("x", "two", {"app": "two"}, "10.1.0.9", (("web", 8080, "TCP"), ("dns", 53, "TCP"))),
                   ("web", 9090, "TCP"), ("dns", 53, "UDP"))
    p = netpol("x", "p", {"podSelector": {"matchLabels": {"app": "two"}},
                          "ingress": [{"ports": [{"port": "web"}, {"port": "dns"}, {"port": "dns", "protocol": "UDP"}]}]})
    r, snap = reach(p, extra=(two, _agent()))
    assert snap.runs_cilium
    assert r.can_reach("z/d", "x/two", 9090) and not r.can_reach("z/d", "x/two", 8080)
    assert r.can_reach("z/d", "x/two", 53, "UDP") and not r.can_reach("z/d", "x/two", 53, "TCP")
    check_ref(r, snap)


def _init_sidecar(obj, *ports):
    obj["spec"]["initContainers"] = [{"name": "proxy", "image": "img", "restartPolicy": "Always", "ports": [
        {"containerPort": n, "name": name, "protocol": proto} for name, n, proto in ports]}]
    return obj


def test_a_name_only_an_init_container_gives_is_not_resolved_and_said():
    """kube-network-policies resolves a named port over the pod's containers only; a native
    sidecar (an init container with restartPolicy Always) serving it is not matched, and the
    caveat says so (Calico and Kube-OVN read init containers' ports too)."""
    side = _init_sidecar(pod("x", "side", {"app": "side"}, "10.1.0.8", (("web", 8080, "TCP"),)), ("metrics", 9187, "TCP"),
                         ("web", 8443, "TCP"))
    other = _init_sidecar(pod("x", "other", {"app": "side"}, "10.1.0.7"), ("metrics", 9187, "TCP"))
    p = netpol("x", "p", {"podSelector": {"matchLabels": {"app": "side"}},
                          "ingress": [{"ports": [{"port": "metrics"}, {"port": "web"}]}]})
    r, snap = reach(p, extra=(side, other))
    assert not r.can_reach("z/d", "x/side", 9187) and not r.can_reach("z/d", "x/other", 9187)
    # a name its containers give is theirs alone: the init container's number is not added
    assert r.can_reach("z/d", "x/side", 8080) and not r.can_reach("z/d", "x/side", 8443)
    check_ref(r, snap)
    (said,) = [w for w in r.warnings if w.code == "named-port-init-container"]
    assert said.message.startswith("the port name 'metrics' (TCP), which policies name, is given only by an init "
                                   "container (a sidecar) of 2 pods (x/other, x/side): judged not to match there")
    # no policy naming it: nothing to say
    plain = netpol("x", "p", {"podSelector": {"matchLabels": {"app": "side"}}, "ingress": [{"ports": [{"port": 9187}]}]})
    r, snap = reach(plain, extra=(side, other))
    assert r.can_reach("z/d", "x/side", 9187)
    assert not [w for w in r.warnings if w.code == "named-port-init-container"]


def test_named_port_is_per_protocol():
    p = netpol("x", "p", {"podSelector": {}, "ingress": [{"ports": [{"port": "dns", "protocol": "UDP"}, {"port": "dns"}]}]})
    r, snap = reach(p)
    assert r.can_reach("z/d", "x/a", 53, "UDP") and not r.can_reach("z/d", "x/a", 53, "TCP")


def test_end_port_range():
    p = netpol("x", "p", {"podSelector": {}, "ingress": [{"ports": [{"port": 8000, "endPort": 8080}]}]})
    r, snap = reach(p)
    assert r.can_reach("z/d", "x/a", 8000) and r.can_reach("z/d", "x/a", 8080) and r.can_reach("z/d", "x/a", 8050)
    assert not r.can_reach("z/d", "x/a", 7999) and not r.can_reach("z/d", "x/a", 8081)
    df = r.to_frame()
    row = df[(df.src == "z/d") & (df.dst == "x/a")]
    assert row.ports.tolist() == [["8000-8080"]]


def test_end_port_may_equal_port():
    # NetworkPolicy's rule is endPort >= port (unlike the admin APIs' start < end).
    r, snap = reach(netpol("x", "p", {"podSelector": {}, "ingress": [{"ports": [{"port": 8080, "endPort": 8080}]}]}))
    assert r.can_reach("z/d", "x/a", 8080) and not r.can_reach("z/d", "x/a", 8081)
    assert not r.can_reach("z/d", "x/a", 8079)


def test_port_sets_past_one_word():
    # 100 TCP ports, then UDP ones: the engine's port sets are 64-bit words of port atoms, TCP's
    # first, so UDP's and SCTP's atoms (and the high TCP ones) sit in the second word and after.
    # The generated clusters stay within one word (about 50 atoms), so this pins the others.
    tcp = [{"port": 1000 + 3 * k} for k in range(100)]
    udp = [{"protocol": "UDP", "port": 2000 + 2 * k, "endPort": 2000 + 2 * k} for k in range(30)]
    p = netpol("x", "p", {"podSelector": {"matchLabels": {"app": "a"}},
                          "ingress": [{"from": [{"namespaceSelector": {}}], "ports": [*tcp, *udp]}]})
    q = netpol("x", "q", {"podSelector": {"matchLabels": {"app": "b"}}, "policyTypes": ["Ingress", "Egress"],
                          "ingress": [{"ports": [{"protocol": "SCTP", "port": 80}, {"port": 1297}]}],
                          "egress": [{"ports": [{"protocol": "UDP"}, *tcp[::2]]}]})
    r, snap = reach(p, q)
    assert r.ports.words >= 2
    assert r.can_reach("z/d", "x/a", 1297) and not r.can_reach("z/d", "x/a", 1298)
    assert r.can_reach("z/d", "x/a", 2058, "UDP") and not r.can_reach("z/d", "x/a", 2059, "UDP")
    assert r.can_reach("y/a", "x/b", 80, "SCTP") and not r.can_reach("y/a", "x/b", 80, "TCP")
    assert r.can_reach("x/b", "x/a", 1294) and not r.can_reach("x/b", "x/a", 1291)  # egress: every other port
    assert r.can_reach("x/b", "x/a", 2000, "UDP") and not r.can_reach("x/b", "x/a", 2001, "UDP")
    df = r.to_frame()
    row = df[(df.src == "z/d") & (df.dst == "x/a") & (df.protocol == "UDP")]
    assert row.ports.tolist() == [[str(2000 + 2 * k) for k in range(30)]]
    pods = snap.pods
    for s in pods:
        for d in pods:
            if s is not d:
                for proto, port in (("TCP", 1000), ("TCP", 1294), ("TCP", 1297), ("UDP", 2058), ("UDP", 2059),
                                    ("UDP", 53), ("SCTP", 80)):
                    want = reference.allowed(snap, s, d, proto, port)
                    assert r.can_reach(s.key, d.key, port, proto) == want, (s.key, d.key, proto, port)


def test_default_protocol_is_tcp():
    r, snap = reach(netpol("x", "p", {"podSelector": {}, "ingress": [{"ports": [{"port": 80}]}]}))
    assert r.can_reach("z/d", "x/a", 80, "TCP") and not r.can_reach("z/d", "x/a", 80, "UDP")


def test_protocol_only_port_entry_allows_all_ports_of_that_protocol():
    r, snap = reach(netpol("x", "p", {"podSelector": {}, "ingress": [{"ports": [{"protocol": "UDP"}]}]}))
    assert r.can_reach("z/d", "x/a", 1, "UDP") and r.can_reach("z/d", "x/a", 65535, "UDP")
    assert not r.can_reach("z/d", "x/a", 80, "TCP")


def test_sctp_only_rule_isolates_for_tcp():
    r, snap = reach(netpol("x", "p", {"podSelector": {}, "ingress": [{"ports": [{"port": 80, "protocol": "SCTP"}]}]}))
    assert r.can_reach("z/d", "x/a", 80, "SCTP") and not r.can_reach("z/d", "x/a", 80, "TCP")


def test_ipblock_with_except_for_external_peers():
    p = netpol("x", "p", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {"cidr": "192.168.0.0/16", "except": ["192.168.1.0/24"]}}]}]})
    r, snap = reach(p)
    assert r.can_reach("x/a", "192.168.2.3", 443)
    assert not r.can_reach("x/a", "192.168.1.7", 443)
    assert not r.can_reach("x/a", "8.8.8.8", 443)
    assert set(r.external_blocks()) >= {"192.168.1.0/24", "192.168.0.0/24"}
    assert not r.can_reach("x/a", "y/a", 443)


def test_except_ip_still_allowed_by_another_policy():
    p = netpol("x", "p", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {"cidr": "192.168.0.0/16", "except": ["192.168.1.0/24"]}}]}]})
    q = netpol("x", "q", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {"cidr": "192.168.1.5/32"}}]}]})
    r, _ = reach(p, q)
    assert r.can_reach("x/a", "192.168.1.5", 1) and not r.can_reach("x/a", "192.168.1.6", 1)


def test_ipblock_ipv6():
    p = netpol("x", "p", {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "2001:db8::/32"}}]}]})
    r, _ = reach(p)
    assert r.can_reach("2001:db8::1", "x/a", 80) and not r.can_reach("2001:db9::1", "x/a", 80)


def test_ipblocks_external_only_by_default_and_option_matches_pods():
    p = netpol("x", "p", {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.1.1.0/24"}}]}]})
    r, snap = reach(p)
    assert not r.can_reach("y/a", "x/a", 80)  # 10.1.1.1 is a pod: not matched by default
    assert r.can_reach("10.1.1.200", "x/a", 80)  # a non-pod address in the block is external
    cov = r.ipblocks_covering_pods()
    assert cov == [{"policy": "x/p", "direction": "ingress", "rule": 0, "cidr": "10.1.1.0/24", "pods": ["y/a", "y/c"]}]
    assert any(w.code == "ipblock-covers-pods" for w in r.warnings)
    check_ref(r, snap)
    r2, snap2 = reach(p, ipblocks_match_pods=True)
    assert r2.can_reach("y/a", "x/a", 80) and r2.can_reach("10.1.1.1", "x/a", 80)
    check_ref(r2, snap2, ipblocks_match_pods=True)


def test_hostnetwork_pods_are_unenforced_and_matched_by_host_ip():
    host = pod("x", "node-agent", {"app": "a"}, "172.16.0.5", host=True, host_ip="172.16.0.5")
    deny = deny_ingress("x")
    allow_a = netpol("y", "p", {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "a"}}}]}]})
    r, snap = reach(deny, allow_a, extra=(host,))
    assert r.unenforced == ("x/node-agent",)
    assert not r.isolated("x/node-agent", "ingress")
    assert r.can_reach("z/d", "x/node-agent", 80)  # not governed, though its namespace denies ingress
    assert r.can_reach("x/a", "y/c", 80) and not r.can_reach("x/node-agent", "y/c", 80)  # selectors skip it
    ipb = netpol("y", "p", {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "172.16.0.0/24"}}]}]})
    r2, snap2 = reach(ipb, extra=(host,))
    assert r2.can_reach("x/node-agent", "y/c", 80) and not r2.can_reach("x/a", "y/c", 80)
    assert any(w.code == "hostnetwork-unenforced" for w in r2.warnings)
    check_ref(r2, snap2)
    v = r2.explain("z/d", "x/node-agent", 80)
    assert "hostNetwork" in str(v)


def test_pod_to_itself_is_not_judged():
    r, snap = reach(deny_ingress("x"))
    with pytest.raises(QueryError):
        r.can_reach("x/a", "x/a", 80)
    df = r.to_frame()
    assert not ((df.src == df.dst) & (df.src_type == "pod")).any()


def test_synthesized_pods_take_part():
    dep = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"namespace": "x", "name": "api"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "api"}}, "template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [{"name": "c", "image": "i", "ports": [{"name": "grpc", "containerPort": 9000}]}]}}},
    }
    p = netpol("x", "p", {"podSelector": {"matchLabels": {"app": "api"}}, "ingress": [{"ports": [{"port": "grpc"}]}]})
    r, snap = reach(p, extra=(dep,))
    synth = [q for q in snap.pods if q.synthesized]
    assert synth
    key = synth[0].key
    assert r.can_reach("z/d", key, 9000) and not r.can_reach("z/d", key, 80)
    assert r.can_reach("z/d", "x/api", 9000)  # workload endpoint


def test_queries_reject_unknown_endpoints_and_bad_protocols():
    r, snap = reach()
    for args in [("x/nope", "x/a", 80), ("x/a", "bogus", 80), ("x/a", "x/b", 0), ("x/a", "x/b", 70000), ("x/a", "x/b", "http")]:
        with pytest.raises(QueryError):
            r.can_reach(*args)
    with pytest.raises(QueryError, match="protocol"):
        r.can_reach("x/a", "x/b", 80, "ICMP")
    with pytest.raises(QueryError):
        r.can_reach("1.2.3.4", "5.6.7.8", 80)
    with pytest.raises(QueryError):
        r.isolated("x/a", "sideways")


def test_a_numpy_port_is_a_port():
    # a flow table's dst_port gives numpy.int64 (itertuples, .iloc): it was an "invalid port"
    import numpy as np

    r, _ = reach()
    for port in (np.int64(80), np.int32(80), np.uint16(80)):
        assert r.can_reach("x/a", "x/b", port) == r.can_reach("x/a", "x/b", 80)
        v = r.explain("x/a", "x/b", port)
        assert v.port == 80 and type(v.port) is int
    for bad in (np.int64(0), np.int64(70000), np.float64(80.0), np.bool_(True)):
        with pytest.raises(QueryError, match="invalid port"):
            r.can_reach("x/a", "x/b", bad)


def test_pod_ip_stands_for_the_pod():
    r, snap = reach(deny_ingress("x"))
    assert not r.can_reach("10.1.1.1", "10.1.0.1", 80)
    assert r.can_reach("10.1.0.1", "10.1.1.1", 80)
