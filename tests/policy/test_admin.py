"""AdminNetworkPolicy and BaselineAdminNetworkPolicy (v1alpha1) around NetworkPolicy, rule by rule."""

from __future__ import annotations

import pytest
import yaml

import k8sviz
from k8sviz._yaml import Dumper as KUBECTL_YAML
from k8sviz.errors import PolicyError

from .helpers import anp, netpol, node, ns, pod, snapshot

ALL = {"namespaces": {}}


def base(*extra):
    """Two namespaces: web (a, b) and db (d, with a named port), and a hostNetwork agent on a node."""
    return [
        ns("web", team="web"),
        ns("db", team="db"),
        pod("web", "a", {"app": "a"}, "10.0.0.1"),
        pod("web", "b", {"app": "b"}, "10.0.0.2"),
        pod("db", "d", {"app": "d"}, "10.0.0.9", (("sql", 5432, "TCP"), ("stats", 9000, "UDP"))),
        pod("kube-system", "agent", {"app": "agent"}, "10.0.1.1", host=True, host_ip="10.0.1.1"),
        node("n1", "10.0.1.1", "203.0.113.7", role="worker"),
        *extra,
    ]


def reach(*extra, **kw):
    return k8sviz.reachability(snapshot(*base(*extra)), **kw)


def deny_db_from_web(priority=10, action="Deny", name="deny-web"):
    return anp(name, {
        "priority": priority,
        "subject": {"namespaces": {"matchLabels": {"team": "db"}}},
        "ingress": [{"action": action, "from": [{"namespaces": {"matchLabels": {"team": "web"}}}]}],
    })


ONLY_A_TO_D = netpol("db", "only-a", {
    "podSelector": {},
    "ingress": [{"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "a"}}}]}],
})


def test_admin_deny_beats_a_networkpolicy_allow():
    r = reach(ONLY_A_TO_D, deny_db_from_web())
    assert not r.can_reach("web/a", "db/d", 5432)
    v = r.explain("web/a", "db/d", 5432)
    assert v.ingress.admin is not None and v.ingress.admin.action == "deny"
    assert "DENIED by AdminNetworkPolicy/deny-web ingress[0]" in str(v)


def test_admin_allow_beats_networkpolicy_isolation():
    allow_b = anp("allow-b", {
        "priority": 3,
        "subject": {"pods": {"namespaceSelector": {"matchLabels": {"team": "db"}}, "podSelector": {}}},
        "ingress": [{"action": "Allow", "from": [{"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "b"}}}}],
                     "ports": [{"portNumber": {"protocol": "TCP", "port": 5432}}]}],
    })
    r = reach(ONLY_A_TO_D, allow_b)
    assert r.can_reach("web/b", "db/d", 5432) and not r.can_reach("web/b", "db/d", 5433)
    assert "allowed by AdminNetworkPolicy/allow-b ingress[0]" in str(r.explain("web/b", "db/d", 5432))
    assert r.isolated("db/d", "ingress") and r.selecting_policies("db/d", "ingress") == ["db/only-a"]


def test_pass_hands_over_to_networkpolicy_then_baseline():
    passing = deny_db_from_web(action="Pass", name="pass-web")
    banp_deny = anp("default", {
        "subject": ALL,
        "ingress": [{"action": "Deny", "from": [ALL]}],
    }, baseline=True)
    # NetworkPolicy isolates d: it decides (a allowed, b denied), the baseline is not consulted.
    r = reach(ONLY_A_TO_D, passing, banp_deny)
    assert r.can_reach("web/a", "db/d", 5432) and not r.can_reach("web/b", "db/d", 5432)
    lines = str(r.explain("web/a", "db/d", 5432))
    assert "passed on by AdminNetworkPolicy/pass-web ingress[0]" in lines and "allowed by db/only-a" in lines
    # Without NetworkPolicy the baseline decides what was passed to it.
    r = reach(passing, banp_deny)
    assert not r.can_reach("web/a", "db/d", 5432)
    assert "DENIED by BaselineAdminNetworkPolicy/default ingress[0]" in str(r.explain("web/a", "db/d", 5432))
    # A Deny in an earlier admin rule is final even with a later Pass.
    assert not reach(deny_db_from_web(priority=1), passing).can_reach("web/a", "db/d", 5432)


def test_a_baseline_pass_skips_the_later_baseline_policies_and_the_default_allows():
    """ClusterNetworkPolicy (apis/v1beta1 and v1alpha2, clusternetworkpolicy_types.go): Pass
    "skips all further ClusterNetworkPolicy rules in the current tier ... and passes evaluation
    to the next tier"; after the Baseline tier there is none, and "if a given connection wasn't
    allowed or denied by any of the tiers, the default kubernetes policy is applied": allowed.
    A later Baseline policy's Deny is one of the rules skipped."""
    a_peer = {"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "a"}}}}
    passing = cnp("b-pass", {"tier": "Baseline", "priority": 1, "subject": ALL,
                             "ingress": [{"action": "Pass", "from": [a_peer]}]})
    denying = cnp("b-deny", {"tier": "Baseline", "priority": 2, "subject": ALL,
                             "ingress": [{"action": "Deny", "from": [ALL]}]})
    r = reach(passing, denying)
    assert r.can_reach("web/a", "web/b", 80) and r.can_reach("web/a", "db/d", 5432, "UDP")
    assert not r.can_reach("web/b", "web/a", 80)  # not passed: the later Deny decides
    lines = str(r.explain("web/a", "web/b", 80))
    assert "passed on by ClusterNetworkPolicy/b-pass ingress[0]" in lines and "b-deny" not in lines


def test_an_admin_pass_meets_a_networkpolicy_only_in_the_directions_it_selects_for():
    """AdminNetworkPolicy v1alpha1's Pass "pass[es] execution to any NetworkPolicies that select
    the pod. If the pod is not selected by any NetworkPolicies then execution is passed to any
    BaselineAdminNetworkPolicies" (apis/v1alpha1/adminnetworkpolicy_types.go); a NetworkPolicy
    selects a pod for the directions of its policyTypes, so one that is Egress-only leaves the
    pod's ingress to the baseline."""
    pass_all = anp("pass-all", {"priority": 1, "subject": ALL,
                                "ingress": [{"action": "Pass", "from": [ALL]}],
                                "egress": [{"action": "Pass", "to": [ALL]}]})
    to_web = {"to": [{"namespaceSelector": {"matchLabels": {"team": "web"}}}]}
    egress_only = netpol("db", "egress-to-web", {"podSelector": {}, "policyTypes": ["Egress"],
                                                  "egress": [to_web]})
    banp_deny = anp("default", {"subject": ALL, "ingress": [{"action": "Deny", "from": [ALL]}],
                                "egress": [{"action": "Deny", "to": [ALL]}]}, baseline=True)
    r = reach(pass_all, egress_only, banp_deny)
    # Egress of d: NetworkPolicy decides (web allowed, the rest denied by its isolation).
    assert r.explain("db/d", "web/a", 80).egress.allowed
    assert "allowed by db/egress-to-web egress[0]" in str(r.explain("db/d", "web/a", 80))
    # Ingress of d: no NetworkPolicy selects it for ingress, so the baseline decides.
    assert not r.can_reach("web/a", "db/d", 5432)
    assert "DENIED by BaselineAdminNetworkPolicy/default ingress[0]" in str(r.explain("web/a", "db/d", 5432))


def test_priority_order_and_ties():
    allow = anp("z-allow", {
        "priority": 5, "subject": ALL, "ingress": [{"action": "Allow", "from": [ALL]}],
    })
    assert reach(deny_db_from_web(priority=1), allow).can_reach("web/a", "db/d", 5432) is False
    assert reach(deny_db_from_web(priority=9), allow).can_reach("web/a", "db/d", 5432) is True
    tie = reach(deny_db_from_web(priority=5, name="a-deny"), allow)
    assert not tie.can_reach("web/a", "db/d", 5432)  # same priority: by name, a-deny first
    assert any(
        w.code == "admin-priority-tie" and "AdminNetworkPolicy/a-deny, AdminNetworkPolicy/z-allow" in w.message
        for w in tie.warnings
    )


def test_baseline_only_for_pods_no_networkpolicy_selects():
    banp = anp("default", {
        "subject": {"namespaces": {"matchLabels": {"team": "db"}}},
        "ingress": [{"action": "Deny", "from": [{"namespaces": {"matchLabels": {"team": "web"}}}],
                     "ports": [{"portRange": {"protocol": "TCP", "start": 5000, "end": 6000}}]}],
    }, baseline=True)
    r = reach(banp)
    assert not r.can_reach("web/a", "db/d", 5432) and r.can_reach("web/a", "db/d", 8080)
    assert r.can_reach("db/d", "web/a", 5432)  # the web pods are not its subject
    assert reach(ONLY_A_TO_D, banp).can_reach("web/a", "db/d", 5432)  # NetworkPolicy decides


def test_networks_match_pod_addresses_and_nodes_match_node_addresses():
    egress = anp("egress", {
        "priority": 1, "subject": {"namespaces": {"matchLabels": {"team": "web"}}},
        "egress": [
            {"action": "Deny", "to": [{"networks": ["10.0.0.8/29"]}]},
            {"action": "Deny", "to": [{"nodes": {"matchLabels": {"role": "worker"}}}]},
        ],
    })
    for match_pods in (False, True):
        r = reach(egress, ipblocks_match_pods=match_pods)
        assert not r.can_reach("web/a", "db/d", 5432)  # 10.0.0.9 is in 10.0.0.8/29
        assert r.can_reach("web/a", "web/b", 80)
        assert not r.can_reach("web/a", "10.0.1.1", 10250)  # the node
        assert not r.can_reach("web/a", "203.0.113.7", 10250)  # its ExternalIP too
        assert not r.can_reach("web/a", "kube-system/agent", 10250)  # a hostNetwork pod on it
        assert r.can_reach("web/a", "10.0.1.2", 10250)


def test_named_port_matches_its_own_protocol():
    allow_stats = anp("stats", {
        "priority": 1, "subject": {"namespaces": {"matchLabels": {"team": "db"}}},
        "ingress": [{"action": "Deny", "from": [ALL], "ports": [{"namedPort": "stats"}]}],
    })
    r = reach(allow_stats)
    assert not r.can_reach("web/a", "db/d", 9000, "UDP")
    assert r.can_reach("web/a", "db/d", 9000, "TCP") and r.can_reach("web/a", "db/d", 5432)


def test_unknown_peers_fail_closed_and_domain_names_are_not_judged():
    unknown_allow = anp("u-allow", {"priority": 1, "subject": ALL, "ingress": [{"action": "Allow", "from": [{"futurePeer": {}}]}]})
    unknown_deny = anp("u-deny", {"priority": 2, "subject": {"namespaces": {"matchLabels": {"team": "db"}}},
                                  "ingress": [{"action": "Pass", "from": [{"futurePeer": {}}], "ports": [{"namedPort": "sql"}]}]})
    r = reach(ONLY_A_TO_D, unknown_allow, unknown_deny)
    assert not r.can_reach("web/a", "db/d", 5432) and not r.can_reach("web/a", "db/d", 9000, "UDP")
    assert r.can_reach("web/a", "web/b", 80)  # the Allow with an unknown peer matched nothing
    assert [w.code for w in r.warnings if w.code.startswith("admin")] == ["admin-unknown-peer"]
    # networks is an egress peer: in an ingress rule it is a peer this version does not know.
    ingress_networks = anp("n", {"priority": 1, "subject": {"namespaces": {"matchLabels": {"team": "db"}}},
                                 "ingress": [{"action": "Deny", "from": [{"networks": ["10.9.0.0/16"]}]}]})
    r = reach(ingress_networks)
    assert not r.can_reach("web/a", "db/d", 80) and any(w.code == "admin-unknown-peer" for w in r.warnings)
    domains = anp("dns", {"priority": 1, "subject": ALL, "egress": [{"action": "Allow", "to": [{"domainNames": ["example.com"]}]}]})
    assert any(w.code == "admin-domain-names" for w in reach(domains).warnings)


def test_a_peer_whose_fields_were_all_dropped_explains_what_it_had():
    # Each peer's one field is dropped (a newer version's peer, a field this side or kind does
    # not have), which leaves it empty: the explanation names the field, so an auditor sees why
    # the rule denies everything.
    future = anp("future", {"priority": 1, "subject": {"namespaces": {"matchLabels": {"team": "db"}}},
                            "ingress": [{"action": "Deny", "from": [{"futurePeer": {"x": 1}}]}]})
    r = reach(future)
    text = str(r.explain("web/a", "db/d", 5432))
    assert ("DENIED by AdminNetworkPolicy/future ingress[0]: Deny from unknown peer (only futurePeer, which "
            "AdminNetworkPolicy policy.networking.k8s.io/v1alpha1 ingress peers do not have) on any port "
            "(read as deny everything: unknown peer)") in text
    (w,) = [w for w in r.warnings if w.code == "admin-unknown-peer"]
    assert "(only futurePeer, which AdminNetworkPolicy" in w.message
    sideways = cnp("sideways", {**CNP, "subject": {"namespaces": {"matchLabels": {"team": "db"}}},
                                "ingress": [{"action": "Pass", "from": [{"networks": ["10.0.0.0/8"]}]}]}, version="v1alpha2")
    text = str(reach(sideways).explain("web/a", "db/d", 5432))
    assert ("Pass from unknown peer (only networks, which ClusterNetworkPolicy policy.networking.k8s.io/v1alpha2 "
            "ingress peers do not have)") in text
    baseline = anp("default", {"subject": {"namespaces": {"matchLabels": {"team": "web"}}}, "egress": [
        {"action": "Deny", "to": [{"domainNames": ["example.com"], "nodez": {}}]}]}, baseline=True)
    text = str(reach(baseline).explain("web/a", "db/d", 5432))
    assert ("Deny to unknown peer (only domainNames, nodez, which BaselineAdminNetworkPolicy "
            "policy.networking.k8s.io/v1alpha1 egress peers do not have)") in text


def test_early_v1alpha1_peers_nest_the_namespace_selector():
    """The first v1alpha1 revisions wrote ``namespaces: {namespaceSelector: ...}`` and ``pods:
    {namespaces: {namespaceSelector: ...}, podSelector: ...}`` (network-policy-api's conformance
    manifests did): the nested selector decides, not "every namespace"."""
    db = {"namespaces": {"matchLabels": {"team": "db"}}}
    from_web = {"namespaces": {"namespaceSelector": {"matchLabels": {"team": "web"}}}}
    b_anywhere = {"pods": {"namespaces": {"namespaceSelector": {}},
                           "podSelector": {"matchLabels": {"app": "b"}}}}
    early = anp("early", {"priority": 1, "subject": db, "ingress": [
        {"action": "Deny", "from": [from_web], "ports": [{"portNumber": {"protocol": "TCP", "port": 5432}}]},
        {"action": "Deny", "from": [b_anywhere]},
    ]})
    r = reach(early, ns("other"), pod("other", "o", {"app": "o"}, "10.0.0.20"))
    assert not r.can_reach("web/a", "db/d", 5432) and r.can_reach("other/o", "db/d", 5432)
    assert r.can_reach("web/a", "db/d", 9000, "UDP") and not r.can_reach("web/b", "db/d", 9000, "UDP")
    assert not [w for w in r.warnings if w.code.startswith("admin")]
    # Namespaces chosen relative to the subject's are not evaluated: the peer fails closed.
    relative = anp("rel", {"priority": 1, "subject": db, "ingress": [
        {"action": "Deny", "from": [{"namespaces": {"sameLabels": ["team"]}}]}]})
    snap = snapshot(*base(relative))
    assert [w.code for w in snap.warnings] == ["admin-relative-namespaces"]
    r = k8sviz.reachability(snap)
    assert not r.can_reach("web/a", "db/d", 80)
    (w,) = [w for w in r.warnings if w.code == "admin-unknown-peer"]
    # It names the peer, which has a field this version knows (it used to say it had none).
    assert "(spec.ingress[0].from[0].namespaces)" in w.message and "no field" not in w.message


def test_host_network_pods_are_not_subjects():
    r = reach(anp("all", {"priority": 1, "subject": ALL, "ingress": [{"action": "Deny", "from": [ALL]}],
                          "egress": [{"action": "Deny", "to": [ALL]}]}))
    assert r.can_reach("kube-system/agent", "8.8.8.8", 53)
    assert not r.can_reach("web/a", "db/d", 80)
    assert r.can_reach("web/a", "8.8.8.8", 53)  # a namespaces peer selects pods, not outside addresses


def test_rule_frame_lists_admin_allow_rules():
    allow = anp("allow-a", {"priority": 1, "subject": {"namespaces": {"matchLabels": {"team": "db"}}},
                            "ingress": [{"name": "from-a", "action": "Allow", "from": [{"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "a"}}}}]}]})
    rf = reach(ONLY_A_TO_D, allow).rule_frame(level="pod")
    row = rf[rf["policy"] == "AdminNetworkPolicy/allow-a"]
    assert set(zip(row["src"], row["dst"], strict=True)) == {("web/a", "db/d")}


def cnp(name, spec, version="v1beta1"):
    return {"apiVersion": f"policy.networking.k8s.io/{version}", "kind": "ClusterNetworkPolicy",
            "metadata": {"name": name}, "spec": spec}


def test_snapshot_parses_admin_and_cluster_network_policies(tmp_path):
    cilium = {"apiVersion": "cilium.io/v2alpha9", "kind": "CiliumNetworkPolicy",  # a version not evaluated
              "metadata": {"name": "c", "namespace": "web"}, "spec": {}}
    snap = snapshot(*base(
        deny_db_from_web(priority=7), anp("default", {"subject": ALL}, baseline=True),
        cnp("base", {"tier": "Baseline", "priority": 3, "subject": ALL}),
        cnp("adm", {"tier": "Admin", "priority": 2, "subject": ALL}, version="v1alpha2"),
        cilium,
    ))
    assert [(a.kind, a.key, a.tier) for a in snap.admin_policies] == [
        ("ClusterNetworkPolicy", "adm", "Admin"),
        ("AdminNetworkPolicy", "deny-web", "Admin"),
        ("BaselineAdminNetworkPolicy", "default", "Baseline"),
        ("ClusterNetworkPolicy", "base", "Baseline"),
    ]
    assert [p.kind for p in snap.other_policies] == ["CiliumNetworkPolicy"]
    assert snap.counts()["admin network policies"] == 4
    path = tmp_path / "s.json"
    snap.save(path)
    assert k8sviz.load(path).admin_policies == snap.admin_policies


def test_cluster_network_policy_tiers_accept_and_protocols():
    admin = cnp("admin-accept", {
        "tier": "Admin", "priority": 1, "subject": {"namespaces": {"matchLabels": {"team": "db"}}},
        "ingress": [{"action": "Accept", "from": [{"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "b"}}}}],
                     "protocols": [{"tcp": {"destinationPort": {"number": 5432}}}, {"destinationNamedPort": "stats"}]}],
    })
    baseline = cnp("baseline-deny", {
        "tier": "Baseline", "priority": 10, "subject": ALL,
        "ingress": [{"action": "Pass", "from": [{"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "a"}}}}]},
                    {"action": "Deny", "from": [ALL], "protocols": [{"udp": {"destinationPort": {"range": {"start": 1, "end": 9999}}}}]}],
    })
    r = reach(ONLY_A_TO_D, admin, baseline)
    assert r.can_reach("web/b", "db/d", 5432) and r.can_reach("web/b", "db/d", 9000, "UDP")  # Accept beats NP
    assert not r.can_reach("web/b", "db/d", 5433)  # NetworkPolicy decides the rest
    assert "allowed by ClusterNetworkPolicy/admin-accept ingress[0]: Accept from pods" in str(r.explain("web/b", "db/d", 5432))
    # web pods are not isolated: the baseline decides; a's traffic is passed to the default (allowed).
    assert not r.can_reach("web/b", "web/a", 53, "UDP") and r.can_reach("web/b", "web/a", 53, "TCP")
    assert r.can_reach("web/a", "web/b", 53, "UDP")
    assert "DENIED by ClusterNetworkPolicy/baseline-deny ingress[1]" in str(r.explain("web/b", "web/a", 53, "UDP"))


CNP = {"tier": "Admin", "priority": 1, "subject": ALL}


def cnp_rule(**rule):
    return {**CNP, "ingress": [{"action": "Deny", "from": [ALL], **rule}]}


@pytest.mark.parametrize(
    ("make", "spec", "message"),
    [
        (anp, {"priority": 1001, "subject": ALL}, "spec.priority"),
        (anp, {"priority": "1", "subject": ALL}, "spec.priority"),
        (anp, {"priority": 1, "subject": {"namespaces": {}, "pods": {}}}, "spec.subject"),
        (anp, {"priority": 1, "subject": ALL, "ingress": [{"action": "Drop", "from": [ALL]}]}, "action"),
        # Found by fuzzing: "malformed object (TypeError: 'int' object is not iterable)".
        (anp, {"priority": 1, "subject": {"namespaces": {
            "matchExpressions": [{"key": "a", "operator": "In", "values": 256}]}}},
         "spec.subject.namespaces.matchExpressions[0].values must be a list"),
        # Falsy, these were read as absent: the empty selector, which selects everything.
        (anp, {"priority": 1, "subject": {"namespaces": {"matchLabels": 0}}},
         "spec.subject.namespaces.matchLabels must be a map"),
        (cnp, {**CNP, "ingress": [{"action": "Deny", "from": [{"pods": {"podSelector": []}}]}]},
         "spec.ingress[0].from[0].pods.podSelector must be an object"),
        (anp, {"priority": 1, "subject": ALL, "egress": [{"action": "Deny", "to": [{"nodes": ""}]}]},
         "spec.egress[0].to[0].nodes must be an object"),
        # 'protocol: 0' was read as the default TCP, and a number as the domain name "5", unsaid.
        (anp, {"priority": 1, "subject": ALL, "egress": [
            {"action": "Deny", "to": [ALL], "ports": [{"portNumber": {"protocol": 0, "port": 80}}]}]},
         "spec.egress[0].ports[0].portNumber: invalid protocol 0"),
        (anp, {"priority": 1, "subject": ALL, "egress": [{"action": "Deny", "to": [{"domainNames": [5]}]}]},
         "spec.egress[0].to[0].domainNames: 5 is not a domain name"),
        (cnp, {**CNP, "egress": [{"name": ["x"], "action": "Deny", "to": [ALL]}]},
         "spec.egress[0].name must be a string, not ['x']"),
        (anp, {"priority": 1, "subject": ALL, "ingress": [{"action": "Deny", "from": []}]}, "spec.ingress[0].from"),
        (anp, {"priority": 1, "subject": ALL, "egress": [{"action": "Deny", "to": [{"networks": ["10.0.0.0/33"]}]}]}, "CIDR"),
        # ClusterNetworkPolicy's CEL refuses a range of one port (AdminNetworkPolicy's API
        # server accepts it: test_an_admin_range_of_one_port_is_that_port).
        (cnp, cnp_rule(protocols=[{"tcp": {"destinationPort": {"range": {"start": 1000, "end": 1000}}}}]),
         "spec.ingress[0].protocols[0].tcp.destinationPort.range: start 1000 must be less than end 1000"),
        (lambda name, spec: cnp(name, spec, version="v1alpha2"),
         cnp_rule(protocols=[{"sctp": {"destinationPort": {"range": {"start": 9, "end": 2}}}}]), "start 9 must be less than end 2"),
        # Egress CEL: networks/nodes/domainNames peers have no named ports.
        (anp, {"priority": 1, "subject": ALL, "egress": [
            {"action": "Deny", "to": [ALL]},
            {"name": "metadata", "action": "Deny", "to": [ALL, {"networks": ["169.254.169.254/32"]}],
             "ports": [{"portNumber": {"port": 80}}, {"namedPort": "http"}]}]},
         "spec.egress[1] ('metadata'): networks/nodes/domainNames peer cannot be set with namedPort (to[1] with ports[1])"),
        (lambda name, spec: anp(name, spec, baseline=True),
         {"subject": ALL, "egress": [{"action": "Deny", "to": [{"nodes": {}}], "ports": [{"namedPort": "kubelet"}]}]},
         "spec.egress[0]: networks/nodes/domainNames peer cannot be set with namedPort (to[0] with ports[0])"),
        (anp, {"priority": 1, "subject": ALL, "egress": [
            {"action": "Allow", "to": [{"domainNames": ["example.com"]}], "ports": [{"namedPort": "https"}]}]},
         "peer cannot be set with namedPort (to[0] with ports[0])"),
        (cnp, {**CNP, "egress": [{"action": "Accept", "to": [{"networks": ["10.0.0.0/8"]}, {"nodes": {}}],
                                  "protocols": [{"destinationNamedPort": "dns"}]}]},
         "peer cannot be set with destinationNamedPort (to[0], to[1] with protocols[0])"),
        (lambda name, spec: cnp(name, spec, version="v1alpha2"),
         {**CNP, "egress": [{"action": "Deny", "to": [{"domainNames": ["example.com"]}], "protocols": [{"destinationNamedPort": "dns"}]}]},
         "peer cannot be set with destinationNamedPort"),
        (anp, {"priority": 1, "subject": ALL, "egress": [{"action": "Deny", "to": [ALL], "ports": [{"portNumber": {"protocol": "TCP"}}]}]}, "needs a port number"),
        (anp, {"priority": 1, "subject": ALL, "egress": [{"action": "Deny", "to": [ALL], "ports": [{"portNumber": {"port": "http"}}]}]}, "'http' is not a port number"),
        (anp, {"priority": 1, "subject": ALL, "egress": [{"action": "Deny", "to": [ALL], "ports": [{"portNumber": {"port": True}}]}]}, "true is not a port number"),
        (anp, {"priority": 1, "subject": ALL, "egress": [{"action": "Deny", "to": [ALL], "ports": [{"portRange": {"end": 9}}]}]}, "needs a port number"),
        (cnp, {**CNP, "tier": "Middle"}, "spec.tier"),
        (cnp, {**CNP, "ingress": [{"action": "Allow", "from": [ALL]}]}, "Accept"),
        (cnp, cnp_rule(protocols=[{"tcp": {}}]), "destinationPort"),
        (cnp, cnp_rule(protocols=[{"icmp": {}}]), "icmp"),
        (cnp, cnp_rule(protocols=[{"udp": {"destinationPort": {"number": "53"}}}]), "'53' is not a port number"),
        (cnp, cnp_rule(protocols=[{"udp": {"destinationPort": {"range": {"start": 1}}}}]), "range needs start and end"),
        # ClusterNetworkPolicy networks are CIDRs (CEL isCIDR): a bare address is not one.
        (cnp, {**CNP, "egress": [{"action": "Deny", "to": [{"networks": ["10.0.0.0/8", "fd00::1"]}]}]},
         "networks[1]: CIDR 'fd00::1' has no prefix length"),
        # isCIDR parses with Go's netip.ParsePrefix, which refuses leading zeros in the length
        # (since Go 1.22, golang/go#63850), and refuses IPv4-mapped addresses itself
        # (k8s.io/apiserver/pkg/cel/library/cidr.go, parseCIDR).
        (lambda name, spec: cnp(name, spec, version="v1alpha2"),
         {**CNP, "egress": [{"action": "Deny", "to": [{"networks": ["10.0.0.0/016"]}]}]},
         "networks[0]: CIDR '10.0.0.0/016' has a prefix length with leading zeros, which the API's CIDR "
         "validation (CEL isCIDR) refuses (write 10.0.0.0/16)"),
        (cnp, {**CNP, "egress": [{"action": "Deny", "to": [{"networks": ["fd00::/048"]}]}]},
         "CIDR 'fd00::/048' has a prefix length with leading zeros"),
        (lambda name, spec: cnp(name, spec, version="v1alpha2"),
         {**CNP, "egress": [{"action": "Deny", "to": [{"networks": ["::ffff:10.0.0.0/104"]}]}]},
         "CIDR '::ffff:10.0.0.0/104' is an IPv4-mapped IPv6 address, which the API's CIDR validation (CEL isCIDR) "
         "refuses (write 10.0.0.0/8)"),
        (cnp, {**CNP, "egress": [{"action": "Deny", "to": [{"networks": ["::ffff:a00:0/104"]}]}]}, "IPv4-mapped"),
        # No parser Kubernetes or an implementation uses takes an IPv6 zone in a CIDR.
        (cnp, {**CNP, "egress": [{"action": "Deny", "to": [{"networks": ["fe80::%eth0/64"]}]}]},
         "invalid CIDR 'fe80::%eth0/64': a CIDR has no IPv6 zone"),
        (anp, {"priority": 1, "subject": ALL, "egress": [{"action": "Deny", "to": [{"networks": ["fe80::%eth0/64"]}]}]},
         "invalid CIDR 'fe80::%eth0/64': a CIDR has no IPv6 zone"),
    ],
)
def test_invalid_admin_policies_name_file_and_object(tmp_path, make, spec, message):
    obj = make("bad", spec)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.dump(Dumper=KUBECTL_YAML, data=obj))
    with pytest.raises(PolicyError) as e:
        k8sviz.load(path)
    assert message in str(e.value) and f"{obj['kind']}/bad" in str(e.value) and "policy.yaml" in str(e.value)


@pytest.mark.parametrize("make", [
    lambda spec: anp("wide", spec),
    lambda spec: anp("wide", {k: v for k, v in spec.items() if k != "priority"}, baseline=True),
    lambda spec: cnp("wide", {**spec, "tier": "Admin"}, version="v1alpha2"),
    # v1beta1's validation adds "masked", but objects stored through v1alpha2 come back as
    # v1beta1 with their host bits: a live snapshot must read them.
    lambda spec: cnp("wide", {**spec, "tier": "Admin"}, version="v1beta1"),
])
def test_networks_with_host_bits_are_masked_with_a_warning_where_the_api_accepts_them(make):
    # v1alpha1 (AdminNetworkPolicy, BaselineAdminNetworkPolicy) and v1alpha2 ClusterNetworkPolicy
    # validate with `isCIDR(self)` only, which takes host bits; implementations mask them.
    obj = make({"priority": 1, "subject": ALL, "egress": [{"action": "Deny", "to": [{"networks": ["10.0.0.10/29", "10.1.0.0/16"]}]}]})
    snap = snapshot(*base(obj))
    assert [b.cidr for b in snap.admin_policies[0].egress[0].peers[0].networks] == ["10.0.0.8/29", "10.1.0.0/16"]
    (w,) = [w for w in snap.warnings if w.code == "cidr-host-bits"]
    assert w.obj == f"{obj['kind']}/wide" and w.source == "test"
    assert "networks[0]: CIDR '10.0.0.10/29' has host bits set" in w.message and "widened to 10.0.0.8/29" in w.message
    r = k8sviz.reachability(snap)
    assert not r.can_reach("web/a", "db/d", 5432)  # 10.0.0.9: in the masked block, not the address written
    assert r.can_reach("web/a", "web/b", 80)


def test_named_ports_stay_valid_with_pod_peers_and_in_ingress():
    # The rule is about egress to addresses outside the pods; pods and namespaces peers keep
    # their named ports, and so do ingress rules.
    snap = snapshot(*base(
        anp("np", {"priority": 1, "subject": ALL, "egress": [
            {"action": "Deny", "to": [{"networks": ["10.9.0.0/16"]}], "ports": [{"portNumber": {"port": 5432}}]},
            {"action": "Deny", "to": [{"namespaces": {}}], "ports": [{"namedPort": "sql"}]}]}),
        cnp("c", {**CNP, "egress": [{"action": "Deny", "to": [{"pods": {"podSelector": {}}}],
                                     "protocols": [{"destinationNamedPort": "stats"}]}]}),
    ))
    assert {a.name: len(a.egress) for a in snap.admin_policies} == {"np": 2, "c": 1}


def test_baseline_takes_no_pass_and_warns_when_not_named_default():
    with pytest.raises(PolicyError, match="action must be one of Allow, Deny"):
        snapshot(anp("default", {"subject": ALL, "ingress": [{"action": "Pass", "from": [ALL]}]}, baseline=True))
    r = reach(anp("other", {"subject": ALL}, baseline=True))
    assert any(w.code == "baseline-not-default" for w in r.warnings)


def test_gaps_say_when_a_cluster_wide_default_deny_covers_a_workload():
    # Egress: every pod and every address (networks 0.0.0.0/0 and ::/0) is denied: covered.
    # Ingress: admin peers name pods only, so addresses outside the cluster and hostNetwork
    # pods are left to the default allow: not covered, and said so.
    banp = anp("default", {"subject": {"namespaces": {"matchLabels": {"team": "db"}}},
                           "ingress": [{"action": "Deny", "from": [ALL]}],
                           "egress": [{"action": "Deny", "to": [ALL, {"networks": ["0.0.0.0/0", "::/0"]}]}]},
               baseline=True)
    snap = snapshot(*base(banp))
    g = k8sviz.gaps(snap)
    out = g[g["finding"] == "no-egress-isolation"].set_index("name")
    assert out.loc["d", "severity"] == "low" and out.loc["d", "evidence"]["admin_policies"] == [
        "BaselineAdminNetworkPolicy/default"
    ]
    assert "a cluster-wide default-deny from admin policies covers" in out.loc["d", "detail"]
    assert out.loc["a", "evidence"]["admin_policies"] == [] and out.loc["a", "severity"] != "low"
    into = g[(g["finding"] == "no-ingress-isolation") & (g["name"] == "d")].iloc[0]
    assert into["severity"] == "medium" and into["evidence"]["posture"] == "partial"
    assert into["evidence"]["denied_by"] == ["BaselineAdminNetworkPolicy/default"]
    assert {"kube-system/agent", "0.0.0.0/0", "::/0"} <= set(into["evidence"]["open_to"])
    # The namespace is not "unrestricted": an admin policy decides for its pods.
    ns_row = g[(g["finding"] == "namespace-without-policy") & (g["namespace"] == "db")].iloc[0]
    assert ns_row["severity"] == "low" and "unrestricted" not in ns_row["detail"]
    assert ns_row["evidence"]["cni_policies"] == ["BaselineAdminNetworkPolicy/default"]
    # A narrow Deny (one address) is no default-deny: the finding keeps its severity.
    narrow = anp("imds", {"priority": 1, "subject": ALL,
                          "egress": [{"action": "Deny", "to": [{"networks": ["169.254.169.254/32"]}]}]})
    g = k8sviz.gaps(snapshot(*base(narrow)))
    row = g[(g["finding"] == "no-egress-isolation") & (g["name"] == "a")].iloc[0]
    assert row["evidence"]["admin_policies"] == [] and row["severity"] != "low"
    assert row["evidence"]["posture"] == "partial"


def test_namespace_default_deny_finding_notes_a_cluster_wide_default_deny():
    everything = [ALL, {"networks": ["0.0.0.0/0", "::/0"]}]
    banp = anp("default", {"subject": ALL, "egress": [{"action": "Deny", "to": everything}]}, baseline=True)
    only_pods = anp("default", {"subject": ALL, "egress": [{"action": "Deny", "to": [ALL]}]}, baseline=True)
    egress_np = netpol("db", "only-a", {"podSelector": {}, "policyTypes": ["Ingress"],
                                        "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "a"}}}]}]})
    deny_in = netpol("db", "deny-in", {"podSelector": {}, "policyTypes": ["Ingress"]})
    pick = lambda g: g[(g["finding"] == "namespace-without-default-deny") & (g["name"] == "db")].iloc[0]  # noqa: E731
    plain = pick(k8sviz.gaps(snapshot(*base(egress_np, deny_in))))
    assert plain["severity"] != "low" and plain["evidence"]["missing"] == ["egress"]
    assert plain["evidence"]["admin_policies"] == {"egress": []}
    row = pick(k8sviz.gaps(snapshot(*base(egress_np, deny_in, banp))))
    banp_ref = ["BaselineAdminNetworkPolicy/default"]
    assert row["severity"] == "low" and row["evidence"]["admin_policies"] == {"egress": banp_ref}
    assert "covers it (BaselineAdminNetworkPolicy/default)" in row["detail"]
    # A Deny of every pod leaves the outside world to the default allow: it covers nothing.
    partial = pick(k8sviz.gaps(snapshot(*base(egress_np, deny_in, only_pods))))
    assert partial["severity"] != "low" and partial["evidence"]["admin_policies"] == {"egress": []}


def test_flow_discrepancies_name_the_admin_rule_that_decided(tmp_path):
    r = reach(ONLY_A_TO_D, deny_db_from_web())
    flows = tmp_path / "f.csv"
    flows.write_text("time,src_ip,dst_ip,dst_port,protocol,verdict\n2026-11-20T10:00:00Z,10.0.0.1,10.0.0.9,5432,TCP,allowed\n")
    d = k8sviz.flow_discrepancies(k8sviz.load_flows(flows, snapshot=r.snapshot), r)
    row = d[d["kind"] == "observed-but-policy-denies"].iloc[0]
    assert row["policy"] == "AdminNetworkPolicy/deny-web" and row["direction"] == "ingress"
    assert "denied by AdminNetworkPolicy/deny-web ingress[0]" in row["rule"]


def test_nodes_peers_warn_when_nodes_were_not_read():
    deny_nodes = anp("nodes", {
        "priority": 1, "subject": {"namespaces": {}},
        "egress": [{"action": "Deny", "to": [{"nodes": {"matchLabels": {"role": "worker"}}}]}],
    })
    assert not [w for w in reach(deny_nodes).warnings if w.code == "nodes-not-read"]
    without_nodes = [o for o in base(deny_nodes) if o["kind"] != "Node"]
    r = k8sviz.reachability(snapshot(*without_nodes))
    (w,) = [w for w in r.warnings if w.code == "nodes-not-read"]
    assert "not-in-input" in w.message and "0 nodes" in w.message
    # Without a nodes peer the node list does not matter.
    r = k8sviz.reachability(snapshot(*[o for o in base(deny_db_from_web()) if o["kind"] != "Node"]))
    assert not [w for w in r.warnings if w.code == "nodes-not-read"]


def test_an_admin_range_of_one_port_is_that_port():
    # v1alpha1 only documents start < end; its API server accepts start == end, so a
    # cluster's own policy must load: it is that one port.
    deny = anp("one", {"priority": 1, "subject": ALL, "ingress": [
        {"action": "Deny", "from": [ALL], "ports": [{"portRange": {"start": 1000, "end": 1000}}]}]})
    snap = snapshot(ns("a"), pod("a", "x", {"app": "x"}, "10.0.0.1"), pod("a", "y", {"app": "y"}, "10.0.0.2"), deny)
    r = k8sviz.reachability(snap)
    assert not r.can_reach("a/x", "a/y", 1000) and r.can_reach("a/x", "a/y", 999) and r.can_reach("a/x", "a/y", 1001)


def test_cidr_peers_covering_dual_stack_pods_are_warned_about():
    # A CIDR is of one family: on a dual-stack pod it matches connections over that family
    # only, which per-pod verdicts cannot say.
    def dual(name: str, v4: str, v6: str) -> dict:
        obj = pod("a", name, {"app": name}, v4)
        obj["status"]["podIPs"] = [{"ip": v4}, {"ip": v6}]
        return obj

    deny_v4 = anp("v4", {"priority": 5, "subject": ALL, "egress": [{"action": "Deny", "to": [{"networks": ["10.0.0.0/8"]}]}]})
    objs = [ns("a"), dual("s", "10.0.1.6", "fd00::6"), dual("d", "10.0.1.5", "fd00::5")]
    codes = lambda r: {w.code: str(w) for w in r.warnings}  # noqa: E731
    got = codes(k8sviz.reachability(snapshot(*objs, deny_v4)))
    assert "AdminNetworkPolicy/v4" in got["dual-stack-cidr"] and "a/d" in got["dual-stack-cidr"]
    v6_elsewhere = anp("v6", {"priority": 5, "subject": ALL, "egress": [{"action": "Deny", "to": [{"networks": ["fd99::/64"]}]}]})
    assert "dual-stack-cidr" not in codes(k8sviz.reachability(snapshot(*objs, v6_elsewhere)))
    single = [ns("a"), pod("a", "s", {"app": "s"}, "10.0.1.6"), pod("a", "d", {"app": "d"}, "10.0.1.5")]
    assert "dual-stack-cidr" not in codes(k8sviz.reachability(snapshot(*single, deny_v4)))
    # NetworkPolicy ipBlocks match pods only on request.
    block = netpol("a", "b", {"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]})
    assert "dual-stack-cidr" not in codes(k8sviz.reachability(snapshot(*objs, block)))
    assert "dual-stack-cidr" in codes(k8sviz.reachability(snapshot(*objs, block), ipblocks_match_pods=True))


def test_dual_stack_warning_follows_excepts_network_sets_and_hostnetwork_pods():
    def dual(name: str, v4: str, v6: str, host: bool = False) -> dict:
        obj = pod("a", name, {"app": name}, v4, host=host, host_ip=v4 if host else None)
        obj["status"]["podIPs"] = [{"ip": v4}, {"ip": v6}]
        return obj

    def warned(*objs: dict, match: bool = False) -> str:
        r = k8sviz.reachability(snapshot(ns("a"), *objs), ipblocks_match_pods=match)
        return next((str(w) for w in r.warnings if w.code == "dual-stack-cidr"), "")

    pods = [dual("s", "10.0.1.6", "fd00::6"), dual("h", "10.0.2.6", "fd00::7", host=True)]
    except_them = netpol("a", "b", {"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.0.1.0/24"]}}]}]})
    text = warned(*pods, except_them)
    assert "1 dual-stack pod (a/h) has an address" in text  # a/s is excepted; ipBlocks match only the hostNetwork pod
    assert "1 dual-stack pod (a/h) has an address" in warned(*pods, except_them, match=True)  # a/s still excepted
    gns = {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkSet", "metadata": {"name": "corp", "labels": {"r": "x"}},
           "spec": {"nets": ["fd00::/64"]}}
    gnp = {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "g"},
           "spec": {"order": 1, "selector": "all()", "egress": [{"action": "Deny", "destination": {"selector": "r == 'x'"}}]}}
    assert "GlobalNetworkSet/corp" in warned(*pods, gns, gnp)
    # Under Cilium an ipBlock matches no hostNetwork pod, so it cannot cover a/h.
    agent = pod("kube-system", "cilium-x", {}, "10.9.0.1", host=True, host_ip="10.9.0.1")
    agent["spec"]["containers"] = [{"name": "cilium-agent", "image": "quay.io/cilium/cilium:v1.17.2"}]
    assert warned(*pods, except_them, agent) == ""
    assert "1 dual-stack pod (a/s)" in warned(*pods, netpol("a", "c", {"podSelector": {}, "egress": [
        {"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]}), agent, match=True)


def test_admin_v1alpha1_networks_take_what_its_api_server_keeps():
    # v1alpha1's CIDR type checks only the address family: a bare address and a netmask are
    # stored, so a cluster's own policy must load (read as the /32 and the prefix, warned).
    obj = anp("loose", {"priority": 1, "subject": ALL, "egress": [
        {"action": "Deny", "to": [{"networks": ["10.0.0.9", "10.1.0.0/255.255.0.0"]}]}]})
    snap = snapshot(*base(obj))
    assert [b.cidr for b in snap.admin_policies[0].egress[0].peers[0].networks] == ["10.0.0.9/32", "10.1.0.0/16"]
    texts = [w.message for w in snap.warnings if w.code == "cidr-notation"]
    assert any("'10.0.0.9' has no prefix length, read as 10.0.0.9/32" in t for t in texts)
    assert any("has a netmask, not a prefix length, read as 10.1.0.0/16" in t for t in texts)
    assert not k8sviz.reachability(snap).can_reach("web/a", "db/d", 5432)  # db/d is 10.0.0.9


def test_admin_v1alpha1_networks_with_a_zero_padded_length_read_as_decimal_with_a_warning():
    # The first v1alpha1 CRDs check only the address family, so a server stored these; the
    # types ask implementations to parse with Go's net.ParseCIDR, whose dtoi reads the length's
    # digits zeros and all.  (ClusterNetworkPolicy refuses them: isCIDR.)
    obj = anp("padded", {"priority": 1, "subject": ALL, "egress": [
        {"action": "Deny", "to": [{"networks": ["10.0.0.0/016", "fd00::/048"]}]}]})
    snap = snapshot(*base(obj))
    assert [b.cidr for b in snap.admin_policies[0].egress[0].peers[0].networks] == ["10.0.0.0/16", "fd00::/48"]
    texts = [w.message for w in snap.warnings if w.code == "cidr-notation"]
    assert texts == [
        "spec.egress[0].to[0].networks[0]: CIDR '10.0.0.0/016' has a prefix length with leading zeros, read as decimal (/16)",
        "spec.egress[0].to[0].networks[1]: CIDR 'fd00::/048' has a prefix length with leading zeros, read as decimal (/48)",
    ]
    r = k8sviz.reachability(snap)
    assert not r.can_reach("web/a", "db/d", 5432) and not r.can_reach("web/a", "10.0.255.1", 80)
    assert r.can_reach("web/a", "10.1.0.1", 80)  # /16, not /1 or /160


def test_networkpolicy_cidrs_with_leading_zeros_read_as_kubernetes_reads_them():
    # Kubernetes' legacy parser reads 010.0.0.0 as decimal 10.0.0.0.
    pol = netpol("web", "zeros", {"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "010.000.0.0/8"}}]}]})
    snap = snapshot(*base(pol))
    assert snap.network_policies[0].egress[0].peers[0].ip_block.cidr == "10.0.0.0/8"
    (w,) = [w for w in snap.warnings if w.code == "cidr-notation"]
    assert "has leading zeros, read as decimal (10.0.0.0)" in w.message


def test_an_admin_range_that_ends_before_it_starts_matches_no_port():
    # v1alpha1's server stores it (start < end is documented, not enforced): the policy loads,
    # the entry matches nothing, and a warning says so.
    deny = anp("back", {"priority": 1, "subject": ALL, "ingress": [
        {"action": "Deny", "from": [ALL], "ports": [{"portRange": {"start": 9000, "end": 8000}}]},
        {"action": "Deny", "from": [ALL], "ports": [{"portRange": {"start": 9000, "end": 8000}}, {"portNumber": {"port": 22}}]}]})
    snap = snapshot(ns("a"), pod("a", "x", {"app": "x"}, "10.0.0.1"), pod("a", "y", {"app": "y"}, "10.0.0.2"), deny)
    msgs = [w.message for w in snap.warnings if w.code == "port-range-empty"]
    assert len(msgs) == 2 and all("9000-8000 ends before it starts" in m for m in msgs)
    assert snap.admin_policies[0].ingress[0].text("ingress").endswith(" on no port")
    r = k8sviz.reachability(snap)
    assert r.can_reach("a/x", "a/y", 8500) and r.can_reach("a/x", "a/y", 9000) and not r.can_reach("a/x", "a/y", 22)


def unknown_fields(snap):
    return {w.obj: w.message for w in snap.warnings if w.code == "unknown-field"}


def test_fields_the_admin_kinds_do_not_have_are_warned_and_read_as_absent():
    from_web = {"namespaces": {"matchLabels": {"team": "web"}}}
    db = {"namespaces": {"matchLabels": {"team": "db"}}}
    # `prots`: the deny holds on every port; a port entry with a stray key beside its one field
    # is read (an API server that accepts the object drops the key; the entry keeps one field).
    typo = anp("typo", {"priority": 5, "subject": db, "ingress": [
        {"action": "Deny", "from": [from_web], "prots": [{"portNumber": {"protocol": "TCP", "port": 5432}}]},
        {"action": "Deny", "from": [{"namespaces": {}}],
         "ports": [{"portNumber": {"protocol": "UDP", "port": 9000}, "namedPrt": "x"}]}]})
    # No priority, and no domainNames peer, in a BaselineAdminNetworkPolicy: that peer has no
    # field left, and fails closed (an Allow rule that matches nothing).
    base_typo = anp("default", {"priority": 3, "subject": ALL, "egress": [
        {"action": "Allow", "to": [{"domainNames": ["example.com"]}]}]}, baseline=True)
    # The `ports` of some v1alpha2 manifests, where the type has `protocols`: every port.
    cnp_ports = cnp("c", {**CNP, "priority": 9, "subject": db, "ingress": [
        {"action": "Deny", "from": [{"namespaces": {"matchLabels": {"app": "none"}}}]},
        {"action": "Pass", "from": [from_web], "ports": [{"portNumber": {"protocol": "TCP", "port": 5432}}]}]},
        version="v1alpha2")
    snap = snapshot(*base(typo, base_typo, cnp_ports))
    found = unknown_fields(snap)
    assert set(found) == {"AdminNetworkPolicy/typo", "BaselineAdminNetworkPolicy/default", "ClusterNetworkPolicy/c"}
    assert found["AdminNetworkPolicy/typo"].startswith(
        "spec.ingress[0].prots, spec.ingress[1].ports[0].namedPrt: not a field of AdminNetworkPolicy "
        "policy.networking.k8s.io/v1alpha1 (a typo?); read without it")
    assert found["BaselineAdminNetworkPolicy/default"].startswith("spec.priority, spec.egress[0].to[0].domainNames: ")
    assert found["ClusterNetworkPolicy/c"].startswith(
        "spec.ingress[1].ports: not a field of ClusterNetworkPolicy policy.networking.k8s.io/v1alpha2")
    r = k8sviz.reachability(snap)
    assert not r.can_reach("web/a", "db/d", 80)  # denied on every port, not 5432 only
    assert not r.can_reach("web/a", "db/d", 9000, "UDP") and r.can_reach("web/b", "web/a", 9000, "UDP")
    (banp,) = [p for p in snap.admin_policies if p.baseline]
    assert banp.priority is None and str(banp.egress[0].peers[0]) == (
        "unknown peer (only domainNames, which BaselineAdminNetworkPolicy policy.networking.k8s.io/v1alpha1 "
        "egress peers do not have)")
    (c,) = [p for p in snap.admin_policies if p.kind == "ClusterNetworkPolicy"]
    assert c.ingress[1].ports is None  # every port


def test_v1alpha1_peers_are_checked_in_the_shape_k8sviz_reads_them():
    # The first revisions' nested shape (namespaceSelector under namespaces), with a typo in it;
    # today's shape (a label selector) with the first revisions' field beside it, which it drops.
    early = anp("early", {"priority": 1, "subject": ALL, "ingress": [
        {"action": "Deny", "from": [{"namespaces": {"namespaceSelector": {"matchLabels": {"team": "web"}}, "relatd": "Self"}},
                                    {"pods": {"namespaces": {"namespaceSelector": {}}, "podSelector": {}, "podSelektor": {}}}]}]})
    mixed = anp("mixed", {"priority": 2, "subject": ALL, "ingress": [
        {"action": "Deny", "from": [{"namespaces": {"matchLabels": {"team": "db"}, "namespaceSelector": {}}}]}]})
    snap = snapshot(*base(early, mixed))
    found = unknown_fields(snap)
    assert found["AdminNetworkPolicy/early"].startswith(
        "spec.ingress[0].from[0].namespaces.relatd, spec.ingress[0].from[1].pods.podSelektor: ")
    assert found["AdminNetworkPolicy/mixed"].startswith("spec.ingress[0].from[0].namespaces.namespaceSelector: ")
    peers = [str(p) for a in snap.admin_policies for p in a.ingress[0].peers]
    assert peers == ["every pod in namespaces [team=web]", "every pod in every namespace",
                     "every pod in namespaces [team=db]"]


PODS_MISSING = [
    # v1alpha1's NamespacedPod requires both selectors (config/crd/standard's AdminNetworkPolicy
    # CRD: `required: [namespaceSelector, podSelector]`), in peers and subjects alike.
    (anp, {"priority": 1, "subject": ALL, "ingress": [{"action": "Deny", "from": [{"pods": {"podSelector": {}}}]}]},
     "spec.ingress[0].from[0].pods: namespaceSelector is required (write namespaceSelector: {} to select every "
     "namespace)"),
    (anp, {"priority": 1, "subject": ALL, "egress": [{"action": "Deny", "to": [
        ALL, {"pods": {"namespaceSelector": {"matchLabels": {"team": "db"}}}}]}]},
     "spec.egress[0].to[1].pods: podSelector is required (write podSelector: {} to select every pod)"),
    (lambda name, spec: anp(name, spec, baseline=True),
     {"subject": {"pods": {"podSelector": {"matchLabels": {"app": "d"}}}}}, "spec.subject.pods: namespaceSelector is required"),
    (anp, {"priority": 1, "subject": {"pods": {"namespaceSelector": {}}}}, "spec.subject.pods: podSelector is required"),
    # A null is pruned by the CRD's server before its schema is checked: absent, so refused.
    (anp, {"priority": 1, "subject": ALL, "ingress": [{"action": "Allow", "from": [
        {"pods": {"namespaceSelector": None, "podSelector": {}}}]}]}, "pods: namespaceSelector is required"),
    # The first revisions' shape: NamespacedPodPeer's podSelector "is NOT optional" either.
    (anp, {"priority": 1, "subject": ALL, "ingress": [{"action": "Deny", "from": [
        {"pods": {"namespaces": {"namespaceSelector": {}}}}]}]}, "spec.ingress[0].from[0].pods: podSelector is required"),
    # ClusterNetworkPolicy's NamespacedPod: podSelector is `+required` (v1alpha2, v1beta1).
    (cnp, {**CNP, "ingress": [{"action": "Deny", "from": [{"pods": {"namespaceSelector": {}}}]}]},
     "spec.ingress[0].from[0].pods: podSelector is required"),
    (lambda name, spec: cnp(name, spec, version="v1alpha2"), {**CNP, "subject": {"pods": {"namespaceSelector": {}}}},
     "spec.subject.pods: podSelector is required"),
]


@pytest.mark.parametrize(("make", "spec", "message"), PODS_MISSING)
def test_a_pods_selection_without_a_selector_the_crd_requires_is_an_error(tmp_path, make, spec, message):
    # Read as {}, the missing selector would select every namespace or every pod: a Deny would
    # cover the cluster, where the API server refuses the object.
    obj = make("bad", spec)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.dump(Dumper=KUBECTL_YAML, data=obj))
    with pytest.raises(PolicyError) as e:
        k8sviz.load(path)
    assert e.value.source == str(path) and e.value.obj == f"{obj['kind']}/bad"
    assert message in e.value.message and "the API server refuses a pods selection without it" in e.value.message


def test_a_misspelt_pods_selector_is_named_in_the_error(tmp_path):
    path = tmp_path / "anp.yaml"
    typo = anp("typo", {"priority": 1, "subject": ALL, "ingress": [
        {"action": "Deny", "from": [{"pods": {"namespaceSelector": {}, "podSelecter": {"matchLabels": {"app": "a"}}}}]}]})
    path.write_text(yaml.dump(typo, Dumper=KUBECTL_YAML))
    with pytest.raises(PolicyError) as e:
        k8sviz.load(path)
    assert e.value.message.endswith(
        "(read without spec.ingress[0].from[0].pods.podSelecter, not a field of AdminNetworkPolicy "
        "policy.networking.k8s.io/v1alpha1)")


def test_a_cluster_network_policy_pods_selection_without_namespace_selector_is_every_namespace():
    # v1beta1 and the later v1alpha2 revisions mark NamespacedPod.namespaceSelector `+optional`
    # (the CRD requires only podSelector): the Go zero value, the empty selector, is read.
    for version in ("v1alpha2", "v1beta1"):
        deny_b = cnp("no-ns", {**CNP, "subject": {"pods": {"podSelector": {"matchLabels": {"app": "d"}}}},
                               "ingress": [{"action": "Deny", "from": [{"pods": {"podSelector": {"matchLabels": {"app": "b"}}}}]}]},
                     version=version)
        snap = snapshot(*base(deny_b))
        pol = snap.admin_policies[0]
        assert str(pol.ingress[0].peers[0]) == "pods [app=b] in every namespace"
        r = k8sviz.reachability(snap)
        assert not r.can_reach("web/b", "db/d", 5432) and r.can_reach("web/a", "db/d", 5432)


def test_a_required_field_misspelt_is_an_error_that_says_which_field_was_dropped(tmp_path):
    path = tmp_path / "anp.yaml"
    path.write_text(yaml.dump(Dumper=KUBECTL_YAML, data=anp("bad", {"priority": 1, "subject": ALL, "egress": [
        {"action": "Deny", "to": [ALL], "ports": [{"portNumbr": {"protocol": "TCP", "port": 80}}]}]})))
    with pytest.raises(PolicyError) as e:
        k8sviz.load(path)
    assert str(e.value) == (
        f"{path}, AdminNetworkPolicy/bad: spec.egress[0].ports[0] must set exactly one of portNumber, portRange, "
        "namedPort (read without spec.egress[0].ports[0].portNumbr, not a field of AdminNetworkPolicy "
        "policy.networking.k8s.io/v1alpha1)")


def test_admin_policies_of_every_field_have_no_unknown_field_warning():
    sel = {"matchLabels": {"team": "web"}, "matchExpressions": [{"key": "app", "operator": "In", "values": ["a"]}]}
    pods = {"pods": {"namespaceSelector": sel, "podSelector": {}}}
    ports = [{"portNumber": {"protocol": "TCP", "port": 80}}, {"portRange": {"protocol": "UDP", "start": 1, "end": 9}},
             {"namedPort": "sql"}]
    full = anp("full", {"priority": 1, "subject": {"pods": {"namespaceSelector": {}, "podSelector": sel}},
                        "ingress": [{"name": "in", "action": "Pass", "from": [{"namespaces": sel}, pods], "ports": ports}],
                        "egress": [{"name": "out", "action": "Deny", "to": [{"namespaces": {}}, pods], "ports": ports},
                                   {"action": "Allow", "to": [{"nodes": sel}, {"networks": ["10.0.0.0/8"]},
                                                              {"domainNames": ["example.com"]}],
                                    "ports": ports[:2]}]})
    early = anp("early", {"priority": 2, "subject": {"namespaces": sel}, "ingress": [
        {"action": "Deny", "from": [{"namespaces": {"namespaceSelector": sel}},
                                    {"pods": {"namespaces": {"sameLabels": ["team"]}, "podSelector": sel}},
                                    {"namespaces": {"related": "Self"}}, {"namespaces": {"notSameLabels": ["x"]}}]}]})
    banp = anp("default", {"subject": ALL, "ingress": [{"name": "in", "action": "Deny", "from": [pods], "ports": ports}],
                           "egress": [{"action": "Allow", "to": [{"nodes": {}}, {"networks": ["10.0.0.0/8"]}]}]},
               baseline=True)
    protocols = [{"tcp": {"destinationPort": {"number": 80}}}, {"udp": {"destinationPort": {"range": {"start": 1, "end": 9}}}},
                 {"sctp": {"destinationPort": {"number": 7}}}, {"destinationNamedPort": "sql"}]
    cnp_spec = {"tier": "Baseline", "priority": 3, "subject": {"namespaces": sel}, "ingress": [
        {"name": "in", "action": "Accept", "from": [{"namespaces": {}}, pods], "protocols": protocols}],
        "egress": [{"name": "out", "action": "Accept", "to": [{"nodes": {}}, {"networks": ["10.0.0.0/8"]},
                                                             {"domainNames": ["example.com"]}], "protocols": protocols[:3]}]}
    snap = snapshot(*base(full, early, banp, cnp("a", cnp_spec, "v1alpha2"), cnp("b", cnp_spec, "v1beta1")))
    assert len(snap.admin_policies) == 5
    assert unknown_fields(snap) == {}


@pytest.mark.parametrize("baseline", [False, True])
def test_admin_v1alpha1_networks_refuse_an_ipv4_mapped_cidr_written_with_its_ipv4_part(tmp_path, baseline):
    # Every v1alpha1 CRD refuses it: the first ones hold a CIDR to
    # self.contains(':') != self.contains('.') ("IPv4 address embedded in IPv6 addresses are
    # not supported"), later ones to CEL isCIDR, which refuses IPv4-mapped addresses.
    spec = {"subject": ALL, "egress": [{"action": "Deny", "to": [{"networks": ["10.9.0.0/16", "::ffff:10.0.0.0/104"]}]}]}
    obj = anp("mapped", spec, baseline=True) if baseline else anp("mapped", {"priority": 1, **spec})
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.dump(Dumper=KUBECTL_YAML, data=obj))
    with pytest.raises(PolicyError) as e:
        k8sviz.load(path)
    text = str(e.value)
    assert "networks[1]: CIDR '::ffff:10.0.0.0/104' is an IPv4-mapped IPv6 address" in text
    assert "let a CIDR hold ':' or '.', not both" in text and "(write 10.0.0.0/8)" in text
    assert f"{obj['kind']}/mapped" in text and "policy.yaml" in text


def test_admin_v1alpha1_networks_keep_a_hex_ipv4_mapped_cidr_as_ipv6_with_a_warning():
    # Written in hex it has no '.', so the first v1alpha1 CRDs stored it: it loads, as the
    # IPv6 block it is, which no IPv4 peer is in; the warning says an implementation matching
    # with Go's net.IPNet would read the IPv4 block instead.
    obj = anp("hexmapped", {"priority": 1, "subject": ALL, "egress": [
        {"action": "Deny", "to": [{"networks": ["::ffff:a00:0/104"]}]}]})
    snap = snapshot(*base(obj))
    assert [b.cidr for b in snap.admin_policies[0].egress[0].peers[0].networks] == ["::ffff:a00:0/104"]
    (w,) = [w for w in snap.warnings if "IPv4-mapped" in w.message]
    assert w.code == "cidr-notation" and w.obj == "AdminNetworkPolicy/hexmapped"
    assert "read as the IPv6 block ::ffff:a00:0/104, which matches no IPv4 peer" in w.message
    assert "would take it as the IPv4 block 10.0.0.0/8" in w.message
    # db/d (10.0.0.9) is in 10.0.0.0/8 but not in the IPv6 block: not denied.
    assert k8sviz.reachability(snap).can_reach("web/a", "db/d", 5432)


def test_admin_selector_labels_the_api_server_refuses_are_warned_as_networkpolicy_ones_are():
    """A number where a label value or key belongs was compared as its text without a word
    (a NetworkPolicy's selectors said so): found by fuzzing the admin kinds."""
    sel = {"matchLabels": {"team": 1.5}, "matchExpressions": [{"key": 5, "operator": "Exists"}]}
    snap = snapshot(*base(anp("p", {"priority": 1, "subject": {"namespaces": sel}, "ingress": [
        {"action": "Deny", "from": [{"pods": {"namespaceSelector": {}, "podSelector": sel}}]}]})))
    said = [w.message for w in snap.warnings if w.code == "invalid-selector-label"]
    assert [m.split(":")[0] for m in said] == [
        "spec.subject.namespaces.matchLabels", "spec.subject.namespaces.matchExpressions[0]",
        "spec.ingress[0].from[0].pods.podSelector.matchLabels",
        "spec.ingress[0].from[0].pods.podSelector.matchExpressions[0]"]
    assert "value of label 'team' is not a string: 1.5 (a number), compared as '1.5'" in said[0]
    assert "label key 5 is not a string (a number), compared as '5'" in said[1]


def test_cidr_peers_and_pods_without_an_address_are_warned_about():
    # A pod synthesised from a manifest (or not yet given an address) has none in the
    # snapshot, so no CIDR matches it; in the cluster it has one, and a Deny to 0.0.0.0/0
    # denies its pod-to-pod traffic too.  Reviewing manifests, the verdict is silently the
    # opposite of the cluster's unless this is said.
    from tests.objects import deployment

    cnp = {"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy",
           "metadata": {"name": "no-internet"},
           "spec": {"tier": "Admin", "priority": 10, "subject": {"namespaces": {}},
                    "egress": [{"name": "deny", "action": "Deny", "to": [{"networks": ["0.0.0.0/0"]}]}]}}
    manifests = [ns("a"), deployment("a", "web", {"app": "web"}), deployment("a", "db", {"app": "db"}, [
        {"name": "pg", "containerPort": 5432}])]

    def warned(*objs: dict, **kw: bool) -> str:
        r = k8sviz.reachability(snapshot(*objs), **kw)
        return next((str(w) for w in r.warnings if w.code == "pods-without-address"), "")

    text = warned(*manifests, cnp)
    assert "ClusterNetworkPolicy/no-internet" in text and "2 pods" in text and "a/web-" in text
    assert "0.0.0.0/0" in text and "every IPv4 pod" in text
    assert warned(*manifests) == ""  # no CIDR peer: nothing to say
    # Pods read from the cluster have their addresses: no warning.
    live = [ns("a"), pod("a", "web", {"app": "web"}, "10.0.0.1"), pod("a", "db", {"app": "db"}, "10.0.0.2")]
    assert warned(*live, cnp) == ""
    # An ipBlock matches pods only on request; a Calico net always does.
    block = netpol("a", "b", {"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]})
    assert warned(*manifests, block) == ""
    assert "NetworkPolicy/a/b" in warned(*manifests, block, ipblocks_match_pods=True)
    # Read external-only, a whole-family ipBlock still certainly covers them: where Calico or
    # kube-network-policies enforce, it matches them.
    anywhere = netpol("a", "c", {"podSelector": {},
                                 "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]})
    text = warned(*manifests, anywhere)
    assert "NetworkPolicy/a/c" in text and "0.0.0.0/0 covers every IPv4 pod" in text
    assert "--ipblocks-match-pods" in text and "external-only" in text
    assert "external-only" not in warned(*manifests, anywhere, ipblocks_match_pods=True)
    assert warned(*live, anywhere) == ""
    gnp = {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "g"},
           "spec": {"order": 1, "selector": "all()",
                    "egress": [{"action": "Deny", "destination": {"nets": ["10.0.0.0/8"]}}]}}
    assert "GlobalNetworkPolicy/g" in warned(*manifests, gnp)
