"""Calico NetworkPolicy / GlobalNetworkPolicy tiers on the engine, rule by rule."""

from __future__ import annotations

from typing import Any

import pytest

import k8sviz
from k8sviz.errors import PolicyError

from .helpers import anp, netpol, ns, pod, snapshot


def cal(kind: str, name: str, spec: dict[str, Any], namespace: str | None = None,
        labels: dict[str, str] | None = None, version: str = "projectcalico.org/v3") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = labels
    return {"apiVersion": version, "kind": kind, "metadata": meta, "spec": spec}


def gnp(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """A GlobalNetworkPolicy, by default of order 10: before the NetworkPolicies (order 1000)."""
    return cal("GlobalNetworkPolicy", name, {"order": 10, **spec})


def base(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    """web/a (app=a, named port http 8080), web/b (app=b), db/d (app=d), and a NetworkPolicy
    that allows everything into db, so that "no Calico decision" reads as allowed."""
    return [
        ns("web", team="web"), ns("db", team="db"),
        pod("web", "a", {"app": "a"}, "10.0.0.1", (("http", 8080, "TCP"),)),
        pod("web", "b", {"app": "b"}, "10.0.0.2"),
        pod("db", "d", {"app": "d"}, "10.0.0.9", (("http", 9090, "TCP"),)),
        netpol("db", "allow-all", {"podSelector": {}, "ingress": [{}]}),
        *extra,
    ]


def reach(*extra: dict[str, Any]) -> k8sviz.Reachability:
    return k8sviz.reachability(snapshot(*base(*extra)))


DENY_WEB_TO_DB = gnp("deny-web", {"selector": "app == 'd'", "order": 10,
                                  "ingress": [{"action": "Deny", "source": {"namespaceSelector": "team == 'web'"}}]})


def test_a_deny_before_the_networkpolicy_decides():
    r = reach(DENY_WEB_TO_DB)
    assert not r.can_reach("web/a", "db/d", 80)
    v = r.explain("web/a", "db/d", 80)
    assert "denied by GlobalNetworkPolicy/deny-web ingress[0]" in str(v)


def test_explain_names_no_allowing_rule_that_a_calico_rule_overrides():
    """A connection denied before the NetworkPolicies' rules are reached is not "allowed by"
    them, and a tier's end is no policy: explain's policies and allowed_by say what
    NetworkPolicy decided, as without Calico."""
    # In the default tier, before the NetworkPolicy (order 1000) that allows everything into db.
    v = reach(DENY_WEB_TO_DB).explain("web/a", "db/d", 80)
    assert not v.allowed and v.ingress.policies == ("db/allow-all",) and v.ingress.allowed_by == ()
    # A Calico tier before the default one (and before the admin tier) decides: NetworkPolicy,
    # the admin and the baseline tiers are not reached.
    early = [{"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": "security"},
              "spec": {"order": 50}},
             cal("GlobalNetworkPolicy", "first", {"tier": "security", "selector": "app == 'd'",
                                                  "ingress": [{"action": "Deny"}]}),
             anp("allow-all", {"priority": 1, "subject": {"namespaces": {}},
                               "ingress": [{"action": "Allow", "from": [{"namespaces": {}}]}]}),
             anp("default", {"subject": {"namespaces": {}},
                             "ingress": [{"action": "Allow", "from": [{"namespaces": {}}]}]}, baseline=True)]
    v = reach(*early).explain("web/a", "db/d", 80)
    assert not v.allowed and not v.ingress.isolated
    assert v.ingress.policies == v.ingress.allowed_by == ()
    assert v.ingress.admin is None and v.ingress.baseline is None
    assert [(d.tier, d.match.policy, d.action) for d in v.ingress.steps] == [
        ("Calico tier security", "GlobalNetworkPolicy/first", "deny")]
    # A Calico policy of the default tier isolates no more than its tier's end is a policy.
    v = reach(gnp("d-only", {"selector": "app == 'b'", "ingress": [{"action": "Allow", "protocol": "UDP"}]})
              ).explain("web/a", "web/b", 80)
    assert not v.allowed and v.ingress.policies == () and v.ingress.allowed_by == ()
    assert [(d.match.policy, d.action) for d in v.ingress.steps] == [("Tier/default", "deny")]
    # What NetworkPolicy allows, where nothing overrides it, it names.
    v = reach().explain("web/a", "db/d", 80)
    assert v.allowed and [(m.policy, m.rule) for m in v.ingress.allowed_by] == [("db/allow-all", 0)]


def test_networkpolicies_sit_in_the_default_tier_at_order_1000():
    allow_then_deny = gnp("late-deny", {"selector": "app == 'd'", "order": 2000,
                                        "ingress": [{"action": "Deny"}]})
    # The NetworkPolicy (knp.default.allow-all, order 1000) allows first: Allow is final.
    assert reach(allow_then_deny).can_reach("web/a", "db/d", 80)
    early = gnp("early-deny", {"selector": "app == 'd'", "order": 999, "ingress": [{"action": "Deny"}]})
    assert not reach(early).can_reach("web/a", "db/d", 80)
    # Same order: by name, "knp.default.allow-all" before "zz" but after "aa".
    assert reach(gnp("zz", {"selector": "app == 'd'", "order": 1000, "ingress": [{"action": "Deny"}]})).can_reach(
        "web/a", "db/d", 80)
    assert not reach(gnp("aa", {"selector": "app == 'd'", "order": 1000, "ingress": [{"action": "Deny"}]})).can_reach(
        "web/a", "db/d", 80)


def test_end_of_tier_denies_what_its_policies_selected_and_did_not_decide():
    only_80 = cal("NetworkPolicy", "only-80", {"selector": "app == 'b'", "ingress": [
        {"action": "Allow", "protocol": "TCP", "destination": {"ports": [80]}}]}, "web")
    r = reach(only_80)
    assert r.can_reach("web/a", "web/b", 80)
    assert not r.can_reach("web/a", "web/b", 81)
    assert r.can_reach("web/b", "web/a", 81)  # web/a is selected by nothing
    assert "end of tier default" in str(r.explain("web/a", "web/b", 81))


def test_a_policy_without_rules_for_a_direction_still_selects():
    r = reach(gnp("isolate", {"selector": "app == 'b'", "types": ["Ingress", "Egress"]}))
    assert not r.can_reach("web/a", "web/b", 80) and not r.can_reach("web/b", "web/a", 80)


def test_types_default_to_ingress_or_to_the_directions_with_rules():
    egress_only = gnp("e", {"selector": "app == 'b'", "egress": [{"action": "Deny", "protocol": "UDP"}]})
    r = reach(egress_only)
    assert not r.can_reach("web/b", "web/a", 53, "UDP")
    assert r.can_reach("web/b", "web/a", 53, "TCP") is False  # selected for egress: the tier's end denies
    assert r.can_reach("web/a", "web/b", 53, "UDP")  # not selected for ingress
    no_rules = gnp("i", {"selector": "app == 'b'"})
    assert not reach(no_rules).can_reach("web/a", "web/b", 80)  # Ingress by default
    assert reach(no_rules).can_reach("web/b", "web/a", 80)


def test_tiers_by_order_and_pass():
    objs = [
        cal("Tier", "security", {"order": 100}),
        cal("Tier", "platform", {"order": 200}),
        gnp("security.pass-db", {"tier": "security", "selector": "app == 'd'", "ingress": [{"action": "Pass"}]}),
        gnp("platform.deny-db", {"tier": "platform", "selector": "app == 'd'", "ingress": [
            {"action": "Deny", "protocol": "TCP", "destination": {"ports": [5432]}}, {"action": "Pass"}]}),
    ]
    r = reach(*objs)
    assert not r.can_reach("web/a", "db/d", 5432)
    assert r.can_reach("web/a", "db/d", 80)  # passed twice, then the NetworkPolicy allows
    lines = str(r.explain("web/a", "db/d", 80))
    assert lines.index("Calico tier security") < lines.index("Calico tier platform") < lines.index("tier default")


def test_tier_default_action_pass():
    objs = [cal("Tier", "security", {"order": 100, "defaultAction": "Pass"}),
            gnp("security.p", {"tier": "security", "selector": "app == 'b'", "ingress": [
                {"action": "Allow", "source": {"selector": "app == 'nobody'"}}]})]
    assert reach(*objs).can_reach("web/a", "web/b", 80)  # passed on to the default tier: nothing selects b
    # Deny, written or not: a Tier from before Calico 3.29 has no such field, and its end is the
    # implicit deny the tier docs describe.
    for spec in ({"order": 100}, {"order": 100, "defaultAction": "Deny"}):
        objs[0] = cal("Tier", "security", spec)
        r = reach(*objs)
        assert not r.can_reach("web/a", "web/b", 80)
        assert "end of tier security: deny" in str(r.explain("web/a", "web/b", 80))


def test_a_policy_without_an_order_comes_after_every_ordered_one():
    """Felix's policy sorter (felix/calc/policy_sorter.go): ``ExtractPolicyMetadata`` reads a
    missing ``order`` as +Inf (``polMetaDefaultOrder``), and ``PolKVLess`` breaks a tie of
    orders, +Inf with +Inf included, by name."""
    deny_b = cal("GlobalNetworkPolicy", "bbb", {"selector": "app == 'b'", "ingress": [{"action": "Deny"}]})
    assert not reach(deny_b).can_reach("web/a", "web/b", 80)
    # Any order, however large, comes first.
    late_allow = gnp("zzz", {"selector": "app == 'b'", "order": 1e9, "ingress": [{"action": "Allow"}]})
    assert reach(deny_b, late_allow).can_reach("web/a", "web/b", 80)
    # So does the NetworkPolicy (knp.default.allow-all, order 1000) of the same tier.
    no_order_deny_d = cal("GlobalNetworkPolicy", "aaa", {"selector": "app == 'd'",
                                                         "ingress": [{"action": "Deny"}]})
    v = reach(no_order_deny_d).explain("web/a", "db/d", 80)
    assert v.allowed and [(m.policy, m.rule) for m in v.ingress.allowed_by] == [("db/allow-all", 0)]
    # Two policies without an order: by name.
    for name, allowed in (("aaa", True), ("ccc", False)):
        allow_b = cal("GlobalNetworkPolicy", name, {"selector": "app == 'b'",
                                                    "ingress": [{"action": "Allow"}]})
        assert reach(deny_b, allow_b).can_reach("web/a", "web/b", 80) is allowed


def test_a_tier_without_an_order_comes_after_every_ordered_tier_the_baseline_included():
    """Felix's ``TierLess`` (felix/calc/policy_sorter.go): a tier whose order is nil sorts after
    every tier with one, and so after the baseline tier Calico places at order 10,000,000: a
    BaselineAdminNetworkPolicy decides before it."""
    last = [cal("Tier", "last", {}),
            cal("GlobalNetworkPolicy", "last.deny-b", {"tier": "last", "selector": "app == 'b'",
                                                       "ingress": [{"action": "Deny"}]})]
    every_namespace = {"namespaces": {}}
    banp_allow = anp("default", {"subject": every_namespace,
                                 "ingress": [{"action": "Allow", "from": [every_namespace]}]}, baseline=True)
    assert not reach(*last).can_reach("web/a", "web/b", 80)
    r = reach(*last, banp_allow)
    assert r.can_reach("web/a", "web/b", 80)
    assert "allowed by BaselineAdminNetworkPolicy/default ingress[0]" in str(r.explain("web/a", "web/b", 80))
    assert not any(w.code == "calico-tier-missing" for w in r.warnings)  # the Tier is there, without an order
    # With an order (any before the baseline's), the same tier decides first.
    last[0] = cal("Tier", "last", {"order": 9_999_999})
    assert not reach(*last, banp_allow).can_reach("web/a", "web/b", 80)


def test_a_pass_no_later_tier_takes_up_is_allowed_by_the_profile():
    """Calico's Tier reference ("How policy is evaluated"): a Pass hands the packet to "the
    next Tier containing a Policy that applies to the endpoint"; where no tier does, the
    namespace profile Calico gives every pod allows it.  A tier applies per direction: one whose
    policies select the endpoint for egress only (Felix's ``GovernsIngress`` /
    ``GovernsEgress``, policy_sorter.go) is no tier for its ingress, and has no end-of-tier
    deny there."""
    passing = [cal("Tier", "security", {"order": 100}),
               gnp("security.pass-b", {"tier": "security", "selector": "app == 'b'",
                                       "types": ["Ingress", "Egress"],
                                       "ingress": [{"action": "Pass"}], "egress": [{"action": "Pass"}]})]
    r = reach(*passing)
    assert r.can_reach("web/a", "web/b", 80) and r.can_reach("web/b", "web/a", 80)
    lines = str(r.explain("web/a", "web/b", 80))
    assert "passed on by GlobalNetworkPolicy/security.pass-b ingress[0]" in lines
    assert "no tier after it decided: allowed" in lines
    # The default tier selects b for egress only: it decides b's egress (its end denies TCP),
    # not b's ingress, which stays passed on to nothing.
    egress_only = gnp("udp-out", {"selector": "app == 'b'", "types": ["Egress"],
                                  "egress": [{"action": "Allow", "protocol": "UDP"}]})
    r = reach(*passing, egress_only)
    assert r.can_reach("web/a", "web/b", 80)
    assert not r.can_reach("web/b", "web/a", 80) and r.can_reach("web/b", "web/a", 53, "UDP")
    assert "end of tier default" in str(r.explain("web/b", "web/a", 80))


def test_log_goes_on_and_first_match_wins():
    r = reach(gnp("g", {"selector": "app == 'b'", "ingress": [
        {"action": "Log"}, {"action": "Allow", "protocol": "TCP"}, {"action": "Deny"}]}))
    assert r.can_reach("web/a", "web/b", 80) and not r.can_reach("web/a", "web/b", 80, "UDP")


def test_protocols_ports_ranges_named_ports_and_not_ports():
    r = reach(gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Allow", "protocol": "TCP", "destination": {"ports": ["1000:2000", "http"], "notPorts": [1500]}},
        {"action": "Allow", "protocol": 17, "destination": {"ports": [53]}},
        {"action": "Allow", "notProtocol": "TCP", "destination": {}},
        {"action": "Deny"}]}))
    assert r.can_reach("web/a", "db/d", 1000) and r.can_reach("web/a", "db/d", 2000)
    assert not r.can_reach("web/a", "db/d", 1500)
    assert r.can_reach("web/a", "db/d", 9090)  # http on the destination pod
    assert not r.can_reach("web/a", "db/d", 8080)  # http on the source pod does not count
    assert r.can_reach("web/a", "db/d", 53, "UDP") and r.can_reach("web/a", "db/d", 9, "SCTP")
    assert not r.can_reach("web/a", "db/d", 80)


def test_icmp_rules_leave_tcp_alone():
    r = reach(gnp("g", {"selector": "app == 'd'", "ingress": [{"action": "Deny", "protocol": "ICMP"},
                                                                {"action": "Allow"}]}))
    assert r.can_reach("web/a", "db/d", 80)
    # ICMP type matches need protocol ICMP(v6), so they never touch TCP/UDP/SCTP: judged.
    typed = gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "protocol": "ICMPv6", "ipVersion": 6, "notICMP": {"type": 128}},
        {"action": "Allow", "protocol": "ICMP", "icmp": {"type": 8, "code": 0}}, {"action": "Deny"}]})
    snap = snapshot(*base(typed))
    assert snap.unevaluated_policies == ()
    assert not k8sviz.reachability(snap).can_reach("web/a", "db/d", 80)

    with pytest.raises(PolicyError, match=r"ingress\[0\]\.icmp needs protocol ICMP or ICMPv6"):
        snapshot(*base(gnp("g", {"selector": "all()", "ingress": [{"action": "Allow", "icmp": {"type": 8}}]})))


@pytest.mark.parametrize("protocol", [None, "TCP", "UDP", 6])
def test_not_icmp_without_an_icmp_protocol_is_taken_but_not_judged(protocol):
    # libcalico-go's validateRule checks the protocol of icmp only; Felix renders notICMP as
    # written, and what that does to other traffic is the dataplane's (iptables refuses the
    # rule, nftables matches ICMP only, eBPF compares a destination-port byte).
    rule: dict[str, Any] = {"action": "Deny", "notICMP": {"type": 8}}
    if protocol is not None:
        rule["protocol"] = protocol
    snap = snapshot(*base(gnp("g", {"selector": "app == 'd'", "ingress": [rule, {"action": "Allow"}]})))
    (p,) = snap.unevaluated_policies
    assert len(p.unsupported) == 1 and p.unsupported[0].startswith("spec.ingress[0].notICMP (")
    assert "dataplane" in p.unsupported[0]
    # Not evaluated: the NetworkPolicy alone decides, and the policy is listed as not judged.
    assert k8sviz.reachability(snap).can_reach("web/a", "db/d", 80)
    # Its fields are still checked as Calico's validator checks them.
    with pytest.raises(PolicyError, match="an ICMP code needs an ICMP type"):
        snapshot(*base(gnp("g", {"selector": "app == 'd'", "ingress": [{**rule, "notICMP": {"code": 0}}]})))


def test_not_icmp_with_an_icmp_protocol_is_judged():
    for protocol in ("ICMP", 1):
        snap = snapshot(*base(gnp("g", {"selector": "app == 'd'", "ingress": [
            {"action": "Allow", "protocol": protocol, "notICMP": {"type": 8}}, {"action": "Deny"}]})))
        assert snap.unevaluated_policies == ()
        assert not k8sviz.reachability(snap).can_reach("web/a", "db/d", 80)


def test_a_namespaced_rule_selector_stays_in_its_namespace_but_not_selector_does_not():
    allow_a = cal("NetworkPolicy", "p", {"selector": "app == 'd'", "order": 10, "ingress": [
        {"action": "Allow", "source": {"selector": "app == 'a'"}}, {"action": "Deny"}]}, "db")
    # web/a is app=a, but a selector without namespaceSelector means db's endpoints only.
    assert not reach(allow_a).can_reach("web/a", "db/d", 80)
    not_b = cal("NetworkPolicy", "p", {"selector": "app == 'd'", "order": 10, "ingress": [
        {"action": "Allow", "source": {"notSelector": "app == 'b'"}}, {"action": "Deny"}]}, "db")
    # notSelector alone in a namespaced policy: db's endpoints that are not app=b.
    assert not reach(not_b).can_reach("web/a", "db/d", 80)
    glob = gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Allow", "source": {"notSelector": "app == 'b'"}}, {"action": "Deny"}]})
    r = reach(glob)
    assert r.can_reach("web/a", "db/d", 80) and r.can_reach("8.8.8.8", "db/d", 80)
    assert not r.can_reach("web/b", "db/d", 80)  # excluded whatever the namespace


def test_namespace_selectors_all_and_global():
    objs = [
        cal("GlobalNetworkSet", "dns", {"nets": ["8.8.8.0/24"]}, labels={"role": "dns"}),
        cal("NetworkSet", "partners", {"nets": ["192.168.0.0/16"]}, "web", labels={"role": "dns"}),
    ]
    to = lambda ns_sel: gnp("g", {"selector": "app == 'b'", "egress": [  # noqa: E731
        {"action": "Allow", "destination": {"namespaceSelector": ns_sel, "selector": "role == 'dns'"}}]})
    r = reach(*objs, to("global()"))
    assert r.can_reach("web/b", "8.8.8.8", 53) and not r.can_reach("web/b", "192.168.1.1", 53)
    r = reach(*objs, to("all()"))
    assert not r.can_reach("web/b", "8.8.8.8", 53) and r.can_reach("web/b", "192.168.1.1", 53)
    r = reach(*objs, to("team == 'web'"))
    assert not r.can_reach("web/b", "8.8.8.8", 53) and r.can_reach("web/b", "192.168.1.1", 53)


def test_selectors_match_network_sets_by_address_pods_included():
    objs = [cal("NetworkSet", "inner", {"nets": ["10.0.0.1/32"]}, "db", labels={"app": "trusted"}),
            cal("NetworkPolicy", "p", {"selector": "app == 'd'", "order": 10, "ingress": [
                {"action": "Allow", "source": {"selector": "app == 'trusted'"}}, {"action": "Deny"}]}, "db")]
    r = reach(*objs)
    assert r.can_reach("web/a", "db/d", 80)  # 10.0.0.1 is in a matching set, whoever holds it
    assert not r.can_reach("web/b", "db/d", 80)


def test_nets_match_pod_addresses():
    r = reach(gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "source": {"nets": ["10.0.0.0/31"]}}, {"action": "Allow"}]}))
    assert not r.can_reach("web/a", "db/d", 80)  # 10.0.0.1
    assert r.can_reach("web/b", "db/d", 80)  # 10.0.0.2
    r = reach(gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Allow", "source": {"notNets": ["10.0.0.0/31"]}}, {"action": "Deny"}]}))
    assert not r.can_reach("web/a", "db/d", 80) and r.can_reach("web/b", "db/d", 80)


def test_global_policy_namespace_selector_and_calico_labels():
    r = reach(gnp("g", {"namespaceSelector": "team == 'db'", "selector": "all()", "ingress": [
        {"action": "Allow", "source": {"selector": "projectcalico.org/namespace == 'web' && app == 'a'"}},
        {"action": "Deny"}]}))
    assert r.can_reach("web/a", "db/d", 80) and not r.can_reach("web/b", "db/d", 80)
    assert r.can_reach("db/d", "web/b", 80)  # web is not selected


def test_admin_tier_stands_before_calico_default_tier():
    allow_anp = anp("allow", {"priority": 1, "subject": {"namespaces": {"matchLabels": {"team": "db"}}},
                              "ingress": [{"action": "Allow", "from": [{"namespaces": {}}]}]})
    assert reach(DENY_WEB_TO_DB, allow_anp).can_reach("web/a", "db/d", 80)  # DENY_WEB_TO_DB is default tier
    early = [cal("Tier", "first", {"order": 1}),
             gnp("first.deny", {"tier": "first", "selector": "app == 'd'", "ingress": [{"action": "Deny"}]})]
    assert not reach(*early, allow_anp).can_reach("web/a", "db/d", 80)  # order 1 < 1000 (admin tier)


def test_what_a_snapshot_cannot_judge_is_not_evaluated_and_said_so():
    # (Calico takes HTTP matches in Allow rules only.)
    http = gnp("l7", {"selector": "app == 'd'", "ingress": [{"action": "Allow", "http": {"methods": ["GET"]}},
                                                            {"action": "Deny"}]})
    snap = snapshot(*base(http))
    r = k8sviz.reachability(snap)
    assert r.can_reach("web/a", "db/d", 80)  # the policy is not evaluated ...
    assert [p.name for p in snap.unevaluated_policies] == ["l7"]  # ... and is listed as such
    assert any("GlobalNetworkPolicy/l7" in n for n in r.explain("web/a", "db/d", 80).notes)
    assert "policy-not-evaluated" in set(k8sviz.gaps(snap, r)["finding"])
    sport = gnp("sp", {"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "protocol": "TCP", "source": {"ports": [1234]}}]})
    assert snapshot(*base(sport)).unevaluated_policies[0].unsupported[0].startswith("spec.ingress[0].source ports")


@pytest.mark.parametrize(("http", "judged"), [
    ({"methods": ["*"]}, True),
    ({"methods": ["GET", "*"]}, True),
    ({"methods": []}, True),
    ({"methods": ["GET"]}, False),
    ({"methods": ["*"], "paths": [{"prefix": "/"}]}, False),
])
def test_an_http_match_whose_methods_hold_the_wildcard_is_no_condition(http, judged):
    # Dikastes' matchHTTPMethods takes "*" as every method (app-policy/checker/match.go, in
    # every version back to the first HTTP match): only paths could still narrow the rule.
    p = gnp("l7", {"selector": "app == 'd'", "ingress": [{"action": "Allow", "source": {"selector": "app == 'a'"},
                                                          "http": http}, {"action": "Deny"}]})
    snap = snapshot(*base(p))
    assert (snap.unevaluated_policies == ()) is judged
    if judged:
        r = k8sviz.reachability(snap)
        assert r.can_reach("web/a", "db/d", 80) and not r.can_reach("web/b", "db/d", 80)


def test_host_endpoint_policies_and_staged_policies_change_nothing():
    pre = gnp("pre", {"selector": "all()", "preDNAT": True, "applyOnForward": True,
                      "ingress": [{"action": "Deny"}]})
    staged = cal("StagedGlobalNetworkPolicy", "s", {"selector": "all()", "ingress": [{"action": "Deny"}]})
    snap = snapshot(*base(pre, staged))
    assert k8sviz.reachability(snap).can_reach("web/a", "db/d", 80)
    assert snap.unevaluated_policies == ()


def test_crd_version_and_counts():
    snap = snapshot(*base(cal("GlobalNetworkPolicy", "g", {"selector": "app == 'd'", "order": 1,
                                                           "ingress": [{"action": "Deny"}]},
                              version="crd.projectcalico.org/v1")))
    assert snap.counts()["calico policies"] == 1
    assert not k8sviz.reachability(snap).can_reach("web/a", "db/d", 80)


def test_a_missing_tier_is_placed_last_with_a_warning():
    r = reach(gnp("ghost.p", {"tier": "ghost", "selector": "app == 'd'", "ingress": [{"action": "Deny"}]}))
    assert any(w.code == "calico-tier-missing" for w in r.warnings)
    assert r.can_reach("web/a", "db/d", 80)  # the default tier allowed it first


@pytest.mark.parametrize(("spec", "message"), [
    ({"selector": "app == "}, "spec.selector"),
    ({"selector": "global()"}, "global() can only be used"),
    ({"ingress": [{"action": "Reject"}]}, "action must be Allow, Deny, Log or Pass"),
    ({"ingress": [{"action": "Allow", "destination": {"ports": [80]}}]}, "port numbers and ranges need protocol TCP, UDP or SCTP"),
    ({"ingress": [{"action": "Allow", "destination": {"ports": ["http", 80]}}]}, "need protocol TCP, UDP or SCTP"),
    ({"ingress": [{"action": "Allow", "protocol": "ICMP", "destination": {"ports": ["http"]}}]}, "(named ports: that or none)"),
    ({"ingress": [{"action": "Allow", "source": {"namespaceSelector": "global() || team == 'web'"}}]},
     "global() cannot be combined with other selectors"),
    ({"ingress": [{"action": "Allow", "source": {"namespaceSelector": "!global()"}}]}, "global() cannot be combined"),
    ({"ingress": [{"action": "Allow", "protocol": "TCP", "destination": {"ports": ["90:80"]}}]}, "ends before it starts"),
    ({"ingress": [{"action": "Allow", "source": {"nets": ["10.0.0.0/33"]}}]}, "invalid CIDR"),
    ({"ingress": [{"action": "Allow", "protocol": "XTP"}]}, "invalid protocol"),
    ({"types": ["ingress"]}, "spec.types"),
    ({"order": "first"}, "spec.order must be a number"),
    ({"order": True}, "spec.order must be a number, not true"),  # YAML's word, not Python's True
    # What else Calico's validator refuses (libcalico-go/lib/validator/v3).
    ({"ingress": [{"action": "Allow", "protocol": "tcp"}]},
     "invalid protocol 'tcp' (Calico spells it 'TCP')"),
    ({"ingress": [{"action": "Allow", "protocol": "TCP", "destination": {"ports": [0]}}]},
     "out of range 1-65535"),
    ({"ingress": [{"action": "Allow", "protocol": "TCP", "destination": {"notPorts": ["0:456"]}}]},
     "port numbers are 1-65535"),
    ({"ingress": [{"action": "Allow", "protocol": "ICMP", "icmp": {"type": 255}}]},
     "icmp.type must be a number 0-254"),
    ({"ingress": [{"action": "Allow", "protocol": "ICMP", "icmp": {"type": False}}]},
     "icmp.type must be a number 0-254, not false"),
    ({"ingress": [{"action": "Allow", "protocol": "ICMP", "notICMP": {"code": 0}}]},
     "an ICMP code needs an ICMP type"),
    ({"ingress": [{"action": "Allow", "protocol": "ICMP", "ipVersion": 6}]},
     "protocol ICMP needs ipVersion 4"),
    ({"ingress": [{"action": "Allow", "notProtocol": "ICMPv6", "ipVersion": 4}]},
     "notProtocol ICMPv6 needs ipVersion 6"),
    ({"ingress": [{"action": "Allow", "source": {"nets": ["10.0.0.0/8"]},
                   "destination": {"notNets": ["fd00::/8"]}}]},
     "mixes IPv4 and IPv6 CIDRs"),
    ({"ingress": [{"action": "Deny", "http": {"methods": ["GET"]}}]}, "http is only valid in Allow rules"),
    ({"ingress": [{"action": "Allow", "protocol": "UDP", "http": {"methods": ["GET"]}}]},
     "http needs protocol TCP"),
    ({"egress": [{"action": "Allow", "http": {"methods": ["GET"]}}]},
     "egress[0].http is not allowed in egress rules"),
    ({"types": ["Egress", "Egress"]}, "spec.types lists a type more than once"),
    # A map or list for the action was "malformed object (TypeError: unhashable type: 'dict')".
    ({"ingress": [{"action": {"matchLabels": None}}]},
     "spec.ingress[0].action must be Allow, Deny, Log or Pass"),
    ({"ingress": [{"action": "Allow", "http": {"paths": 0}}]},
     "spec.ingress[0].http.paths must be a list, not 0"),
    ({"ingress": [{"action": "Allow", "http": {"methods": "GET"}}]},
     "spec.ingress[0].http.methods must be a list, not 'GET'"),
    ({"egress": [{"action": ["Deny"]}]},
     "spec.egress[0].action must be Allow, Deny, Log or Pass, not ['Deny']"),
    ({"preDNAT": True, "ingress": [{"action": "Deny"}]},
     "spec.applyOnForward must be true with spec.preDNAT"),
    ({"preDNAT": True, "doNotTrack": True, "applyOnForward": True}, "cannot both be true"),
    ({"preDNAT": True, "applyOnForward": True, "types": ["Egress"]},
     "cannot have egress rules or type Egress"),
])
def test_invalid_policies_name_the_object(spec, message):
    with pytest.raises(PolicyError, match="GlobalNetworkPolicy/bad") as e:
        snapshot(*base(gnp("bad", spec)))
    assert message in str(e.value)


def test_invalid_tier():
    with pytest.raises(PolicyError, match="Tier/t: spec.defaultAction"):
        snapshot(*base(cal("Tier", "t", {"defaultAction": "Allow"})))
    # Found by fuzzing: a falsy value of another type was read as absent (Deny), unsaid.
    with pytest.raises(PolicyError, match=r"Tier/t: spec\.defaultAction must be Deny or Pass, not 0"):
        snapshot(*base(cal("Tier", "t", {"defaultAction": 0})))


@pytest.mark.parametrize(("flag", "value", "shown"), [
    ("doNotTrack", "false", "'false'"), ("preDNAT", "no", "'no'"), ("doNotTrack", {"a": 1}, "{'a': 1}"),
    ("applyOnForward", [True], "[true]")])
def test_host_flags_that_are_not_booleans_are_errors(flag, value, shown):
    """They were read for their truth: ``doNotTrack: "false"`` made the policy one for host
    endpoints only, and its deny no longer applied to any pod, unsaid (found by fuzzing)."""
    spec = {"applyOnForward": True, **DENY_WEB_TO_DB["spec"], flag: value}
    with pytest.raises(PolicyError) as e:
        snapshot(*base(gnp("deny-web", spec)))
    said = f"test, GlobalNetworkPolicy/deny-web: spec.{flag} must be true or false, not {shown}"
    assert str(e.value) == said


def test_gaps_count_calico_isolation():
    snap = snapshot(*base(cal("NetworkPolicy", "iso", {"selector": "all()", "types": ["Ingress", "Egress"]}, "web")))
    df = k8sviz.gaps(snap)
    web = df[df["namespace"] == "web"]
    assert not {"no-ingress-isolation", "no-egress-isolation"} & set(web["finding"])
    (row,) = web[web["finding"] == "namespace-without-policy"].itertuples()
    assert row.severity == "low" and row.evidence["cni_policies"] == ["NetworkPolicy.projectcalico.org/web/iso"]
    # Without it, the web workloads are unisolated.
    assert "no-ingress-isolation" in set(k8sviz.gaps(snapshot(*base()))["finding"])


def test_explain_json_lists_every_tier_step(capsys, tmp_path):
    import json

    from k8sviz.cli import main

    objs = base(cal("Tier", "security", {"order": 100}),
                gnp("security.pass", {"tier": "security", "selector": "app == 'd'", "ingress": [{"action": "Pass"}]}))
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}))
    assert main(["explain", str(path), "--from", "web/a", "--to", "db/d", "--port", "80", "--format", "json"]) == 0
    steps = json.loads(capsys.readouterr().out)["ingress"]["steps"]
    assert [(s["tier"], s["action"], s["policy"]) for s in steps] == [
        ("Calico tier security", "pass", "GlobalNetworkPolicy/security.pass"),
        ("Calico tier default (NetworkPolicy)", "allow", "db/allow-all"),
    ]


def test_selecting_policies_names_calico_policies_too():
    r = reach(gnp("g", {"selector": "app == 'd'", "types": ["Egress"]}))
    assert r.selecting_policies("db/d", "egress") == ["GlobalNetworkPolicy/g"]
    assert r.selecting_policies("db/d", "ingress") == ["db/allow-all"] and r.isolated("db/d", "ingress")
    assert r.selecting_policies("web/a", "egress") == [] and not r.isolated("web/a", "egress")


def test_policies_in_the_reserved_admin_tiers_are_not_evaluated():
    snap = snapshot(*base(gnp("adminnetworkpolicy.x", {"tier": "adminnetworkpolicy", "selector": "all()",
                                                        "ingress": [{"action": "Deny"}]})))
    assert k8sviz.reachability(snap).can_reach("web/a", "db/d", 80)
    assert "Calico keeps it for AdminNetworkPolicy" in snap.unevaluated_policies[0].unsupported[0]


def test_flow_discrepancies_name_the_calico_rule_that_decided(tmp_path):
    r = reach(DENY_WEB_TO_DB)
    flows = tmp_path / "f.csv"
    flows.write_text("time,src_ip,dst_ip,dst_port,protocol,verdict\n"
                     "2026-11-20T10:00:00Z,10.0.0.1,10.0.0.9,5432,TCP,allowed\n")
    d = k8sviz.flow_discrepancies(k8sviz.load_flows(flows, snapshot=r.snapshot), r)
    row = d[d["kind"] == "observed-but-policy-denies"].iloc[0]
    assert row["policy"] == "GlobalNetworkPolicy/deny-web" and row["direction"] == "ingress"
    assert "denied by GlobalNetworkPolicy/deny-web ingress[0]" in row["rule"]


def test_a_policy_that_passes_everything_does_not_count_as_isolation():
    passing = gnp("p", {"selector": "all()", "types": ["Ingress"], "ingress": [{"action": "Pass"}]})
    df = k8sviz.gaps(snapshot(*base(passing)))
    assert "web/a" in set(df[df["finding"] == "no-ingress-isolation"]["evidence"].map(lambda e: e["workload"]))


def test_redundant_rule_looks_at_networkpolicy_rules_only():
    # Two Calico rules that admit the same connections: in tiers, order matters, so neither is
    # "never decisive" in the additive sense that redundant-rule means.
    objs = base(gnp("g1", {"selector": "app == 'b'", "ingress": [{"action": "Allow"}]}),
                gnp("g2", {"selector": "app == 'b'", "order": 20, "ingress": [{"action": "Allow"}]}))
    df = k8sviz.gaps(snapshot(*objs))
    assert not [p for p in df[df["finding"] == "redundant-rule"]["evidence"] if "GlobalNetworkPolicy" in p["policy"]]


def _with_sa(obj: dict[str, Any], sa: str) -> dict[str, Any]:
    obj["spec"]["serviceAccountName"] = sa
    return obj


def test_service_accounts_by_name():
    objs = [o for o in base() if o["metadata"].get("name") != "a"] + [
        _with_sa(pod("web", "a", {"app": "a"}, "10.0.0.1"), "frontend")]
    rule = gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Allow", "source": {"serviceAccounts": {"names": ["frontend"]}}}, {"action": "Deny"}]})
    r = k8sviz.reachability(snapshot(*objs, rule))
    assert r.can_reach("web/a", "db/d", 80) and not r.can_reach("web/b", "db/d", 80)
    # web/b names no ServiceAccount: the API server gives it "default".
    by_default = gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Allow", "source": {"serviceAccounts": {"selector": "projectcalico.org/name == 'default'"}}},
        {"action": "Deny"}]})
    r = k8sviz.reachability(snapshot(*objs, by_default))
    assert r.can_reach("web/b", "db/d", 80) and not r.can_reach("web/a", "db/d", 80)
    subject = gnp("s", {"selector": "all()", "serviceAccountSelector": "projectcalico.org/name == 'frontend'",
                        "egress": [{"action": "Deny"}]})
    r = k8sviz.reachability(snapshot(*objs, subject))
    assert not r.can_reach("web/a", "db/d", 80) and r.can_reach("web/b", "db/d", 80)


def test_service_accounts_never_match_network_sets_and_labels_are_not_judged_without_accounts():
    objs = base(cal("GlobalNetworkSet", "s", {"nets": ["8.8.8.0/24"]}, labels={"app": "x"}),
                gnp("g", {"selector": "app == 'd'", "ingress": [
                    {"action": "Allow", "source": {"selector": "app == 'x'", "serviceAccounts": {"names": ["default"]}}},
                    {"action": "Deny"}]}))
    assert not k8sviz.reachability(snapshot(*objs)).can_reach("8.8.8.8", "db/d", 80)
    by_label = gnp("l", {"selector": "all()", "serviceAccountSelector": "team == 'x'"})
    assert "ServiceAccount labels" in snapshot(*base(by_label)).unevaluated_policies[0].unsupported[0]


def sa(namespace: str, name: str, labels: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"namespace": namespace, "name": name, **({"labels": labels} if labels else {})}, **extra}


def _accounts() -> list[dict[str, Any]]:
    """Every pod of base() runs as "default" except web/a ("frontend", team=shop)."""
    objs = [o for o in base() if o["metadata"].get("name") != "a"]
    return [*objs, _with_sa(pod("web", "a", {"app": "a"}, "10.0.0.1"), "frontend"),
            sa("web", "frontend", {"team": "shop"}), sa("web", "default"), sa("db", "default", {"team": "db"})]


def test_service_account_labels_are_judged_when_the_snapshot_holds_the_accounts():
    by_label = gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Allow", "source": {"serviceAccounts": {"selector": "team == 'shop'"}}}, {"action": "Deny"}]})
    snap = snapshot(*_accounts(), by_label)
    assert snap.unevaluated_policies == ()
    assert [a.key for a in snap.service_accounts] == ["db/default", "web/default", "web/frontend"]
    r = k8sviz.reachability(snap)
    assert r.can_reach("web/a", "db/d", 80) and not r.can_reach("web/b", "db/d", 80)
    # Names and labels together: both must match (Calico ANDs them).
    both = gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Allow", "source": {"serviceAccounts": {"names": ["default"], "selector": "team == 'shop'"}}},
        {"action": "Deny"}]})
    r = k8sviz.reachability(snapshot(*_accounts(), both))
    assert not r.can_reach("web/a", "db/d", 80) and not r.can_reach("web/b", "db/d", 80)


def test_the_policy_service_account_selector_and_pcsa_labels_select_by_account_labels():
    subject = gnp("s", {"selector": "all()", "serviceAccountSelector": "team == 'db'", "ingress": [{"action": "Deny"}]})
    r = k8sviz.reachability(snapshot(*_accounts(), subject))
    assert not r.can_reach("web/a", "db/d", 80) and r.can_reach("db/d", "web/b", 80)
    # An endpoint inherits its account's labels as pcsa.<key>, which any selector can test.
    inherited = gnp("p", {"selector": "pcsa.team == 'shop'", "egress": [{"action": "Deny"}]})
    snap = snapshot(*_accounts(), inherited)
    r = k8sviz.reachability(snap)
    assert not r.can_reach("web/a", "db/d", 80) and r.can_reach("web/b", "db/d", 80)
    assert r.selecting_policies("web/a", "egress") == ["GlobalNetworkPolicy/p"]


def test_service_account_labels_stay_unjudged_when_an_account_is_missing():
    by_label = gnp("l", {"selector": "all()", "serviceAccountSelector": "team == 'x'"})
    partial = [o for o in _accounts() if not (o["kind"] == "ServiceAccount" and o["metadata"]["namespace"] == "db")]
    snap = snapshot(*partial, by_label)
    assert snap.pods_without_service_account == ("db/d",)
    (pol,) = snap.unevaluated_policies
    assert "spec.serviceAccountSelector on ServiceAccount labels" in pol.unsupported[0]
    assert "kubectl get serviceaccounts" in pol.unsupported[0]
    # Without any ServiceAccount at all, the same.
    assert snapshot(*base(by_label)).unevaluated_policies[0].ref == "GlobalNetworkPolicy/l"
    # The name alone never needs the accounts.
    by_name = gnp("n", {"selector": "all()", "serviceAccountSelector": "projectcalico.org/name == 'x'"})
    assert snapshot(*partial, by_name).unevaluated_policies == ()


def test_service_accounts_keep_no_secret_names(tmp_path):
    acct = sa("web", "frontend", {"team": "shop"}, secrets=[{"name": "frontend-token-abc12"}],
              imagePullSecrets=[{"name": "registry-key"}], automountServiceAccountToken=False)
    snap = snapshot(*base(acct))
    (raw,) = [o for o in snap.raw_objects() if o["kind"] == "ServiceAccount"]
    assert "secrets" not in raw and "imagePullSecrets" not in raw and raw["automountServiceAccountToken"] is False
    assert "frontend-token" not in snap.to_json().decode() and "registry-key" not in snap.to_json().decode()
    snap.save(tmp_path / "s.json")
    assert k8sviz.load(tmp_path / "s.json").service_accounts == snap.service_accounts
    assert snap.counts()["service accounts"] == 1


def test_a_tier_object_cannot_move_the_fixed_tiers():
    r = reach(cal("Tier", "default", {"order": 5}), DENY_WEB_TO_DB)
    (w,) = [w for w in r.warnings if w.code == "calico-tier-order"]
    assert "Tier 'default' has order 5.0" in w.message


def test_a_fixed_tier_without_an_order_is_said_in_words():
    # It said "has order None".
    r = reach(cal("Tier", "default", {}), DENY_WEB_TO_DB)
    (w,) = [w for w in r.warnings if w.code == "calico-tier-order"]
    assert w.message == "Tier 'default' has no order; k8sviz keeps Calico's own place for it (1e+06)"


def test_network_set_labels_must_be_strings():
    bad = cal("GlobalNetworkSet", "s", {"nets": ["1.0.0.0/8"]}, labels={"role": {"x": 1}})  # type: ignore[dict-item]
    with pytest.raises(PolicyError, match="GlobalNetworkSet/s: metadata.labels\\['role'\\]"):
        snapshot(*base(bad))
    ok = cal("GlobalNetworkSet", "s", {"nets": ["1.0.0.0/8"]}, labels={"tier": 1})  # type: ignore[dict-item]
    assert snapshot(*base(ok)).network_sets[0].labels == {"tier": "1"}


def test_network_sets_cannot_carry_calicos_namespace_label():
    # Calico marks namespaced endpoints with it (its validator refuses it on network sets).
    bad = cal("NetworkSet", "s", {"nets": ["1.0.0.0/8"]}, "web", labels={"projectcalico.org/namespace": "db"})
    with pytest.raises(PolicyError, match="NetworkSet/web/s: .*projectcalico.org/namespace is reserved"):
        snapshot(*base(bad))


def scoped_denies(set_obj: dict[str, Any], rule_source: dict[str, Any], policy_ns: str | None = None) -> bool:
    """Whether a policy on db/d that denies ``rule_source`` (then allows) keeps web/b out, web/b's
    address being in ``set_obj`` only."""
    rules = {"selector": "app == 'd'", "types": ["Ingress"], "order": 10,
             "ingress": [{"action": "Deny", "source": rule_source}, {"action": "Allow"}]}
    policy = cal("NetworkPolicy", "p", rules, "db") if policy_ns else gnp("p", rules)
    # web/b's own labels must not match: the set's address decides.
    snap = snapshot(*base(set_obj, policy))
    return not k8sviz.reachability(snap).can_reach("web/b", "db/d", 80)


def test_a_crd_global_network_set_with_calicos_namespace_label_is_scoped_by_it():
    # globalnetworksetprocessor.go keeps the labels, and rules.go scopes rule selectors by that
    # label: Felix takes the set for one in that namespace, though it has no namespace profile.
    labels = {"kind": "s", "projectcalico.org/namespace": "db"}
    gns = cal("GlobalNetworkSet", "s", {"nets": ["10.0.0.2/32"]}, labels=labels, version=CRD)
    (message,) = unvalidated(snapshot(*base(gns)))
    assert "projectcalico.org/namespace is reserved" in message and "as written" in message
    assert scoped_denies(gns, {"selector": "kind == 's'"}, "db")  # projectcalico.org/namespace == 'db'
    assert scoped_denies(gns, {"namespaceSelector": "all()", "selector": "kind == 's'"})
    assert not scoped_denies(gns, {"namespaceSelector": "global()", "selector": "kind == 's'"})
    # Other namespace selectors test the set's own pcns. labels, not the db namespace's.
    assert not scoped_denies(gns, {"namespaceSelector": "team == 'db'", "selector": "kind == 's'"})
    own = cal("GlobalNetworkSet", "s", {"nets": ["10.0.0.2/32"]}, labels={**labels, "pcns.team": "x"}, version=CRD)
    assert scoped_denies(own, {"namespaceSelector": "team == 'x'", "selector": "kind == 's'"})
    # Without the label: a global set, as before.
    plain = cal("GlobalNetworkSet", "s", {"nets": ["10.0.0.2/32"]}, labels={"kind": "s"})
    assert not scoped_denies(plain, {"selector": "kind == 's'"}, "db")
    assert scoped_denies(plain, {"namespaceSelector": "global()", "selector": "kind == 's'"})


def test_a_crd_network_set_with_calicos_namespace_label_keeps_its_own_namespace():
    # networksetprocessor.go writes the set's namespace over the label after copying the labels.
    ns_set = cal("NetworkSet", "s", {"nets": ["10.0.0.2/32"]}, "web",
                 labels={"kind": "s", "projectcalico.org/namespace": "db"}, version=CRD)
    (message,) = unvalidated(snapshot(*base(ns_set)))
    assert "as the set's own namespace" in message and "networksetprocessor.go" in message
    assert not scoped_denies(ns_set, {"selector": "kind == 's'"}, "db")
    assert scoped_denies(ns_set, {"namespaceSelector": "team == 'web'", "selector": "kind == 's'"})
    assert scoped_denies(ns_set, {"selector": "projectcalico.org/namespace == 'web'"})
    assert not scoped_denies(ns_set, {"selector": "projectcalico.org/namespace == 'db'"})


@pytest.mark.parametrize("source", [
    {"selector": ""},
    {"notSelector": ""},
    {"namespaceSelector": ""},
    {"nets": []},
    {"notNets": []},
    {"serviceAccounts": {}},
    {"serviceAccounts": {"names": []}},
    {"serviceAccounts": {"names": [], "selector": ""}},
])
def test_an_empty_match_field_is_a_missing_field(source):
    # Calico's Go types cannot tell "" or [] from a missing field: the rule matches every
    # source, outside the cluster included, rather than nothing or only the namespace's pods.
    only_d = gnp("only", {"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "source": source}, {"action": "Allow"}]})
    r = reach(only_d)
    for src in ("web/a", "web/b", "192.0.2.1"):
        assert not r.can_reach(src, "db/d", 80), (source, src)


def test_an_empty_namespaced_rule_selector_still_matches_outside_the_namespace():
    # A namespaced policy scopes its rule selectors to its own namespace, but only once a
    # selector is given: ``selector: ""`` is none, so web/a (another namespace) matches.
    pol = cal("NetworkPolicy", "p", {"selector": "app == 'd'", "order": 10, "ingress": [
        {"action": "Deny", "source": {"selector": ""}}, {"action": "Allow"}]}, "db")
    assert not reach(pol).can_reach("web/a", "db/d", 80)
    scoped = cal("NetworkPolicy", "p", {"selector": "app == 'd'", "order": 10, "ingress": [
        {"action": "Deny", "source": {"selector": "all()"}}, {"action": "Allow"}]}, "db")
    assert reach(scoped).can_reach("web/a", "db/d", 80)


def test_empty_types_are_defaulted_like_missing_ones():
    # Calico's defaulting fills an empty list as it fills a missing one: egress rules only
    # make an Egress policy, anything else an Ingress one.
    deny_in = gnp("t", {"selector": "app == 'd'", "types": [], "ingress": [{"action": "Deny"}]})
    assert not reach(deny_in).can_reach("web/a", "db/d", 80)
    deny_out = gnp("t", {"selector": "app == 'a'", "types": [], "egress": [{"action": "Deny"}]})
    r = reach(deny_out)
    assert not r.can_reach("web/a", "db/d", 80) and r.can_reach("web/b", "web/a", 80)


def test_an_empty_policy_selector_selects_every_endpoint():
    pol = cal("NetworkPolicy", "p", {"selector": "", "order": 10, "ingress": [{"action": "Deny"}]}, "db")
    assert not reach(pol).can_reach("web/a", "db/d", 80)


def eps(namespace: str, name: str, service: str, addresses: list[str], ports: list[tuple[str, int | None]],
        address_type: str = "IPv4") -> dict[str, Any]:
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": address_type,
            "metadata": {"namespace": namespace, "name": name, "labels": {"kubernetes.io/service-name": service}},
            "endpoints": [{"addresses": [a]} for a in addresses],
            "ports": [{"protocol": pr, **({"port": p} if p is not None else {})} for pr, p in ports]}


SLICES = [
    eps("db", "db-svc-1", "db-svc", ["10.0.0.9"], [("TCP", 9090)]),
    eps("db", "db-svc-2", "db-svc", ["10.0.0.2"], [("TCP", 7000), ("UDP", 53)]),  # another slice, other ports
    eps("default", "kubernetes", "kubernetes", ["172.18.0.2"], [("TCP", 6443)]),
    eps("web", "front-1", "front", ["10.0.0.1"], [("TCP", 8080)]),
]


def test_egress_to_a_service_matches_its_endpoints_on_their_ports():
    only = gnp("svc", {"selector": "app == 'a'", "egress": [
        {"action": "Allow", "destination": {"services": {"name": "db-svc", "namespace": "db"}}},
        {"action": "Allow", "protocol": "TCP", "destination": {"services": {"name": "kubernetes", "namespace": "default"}}},
        {"action": "Deny"}]})
    snap = snapshot(*base(only, *SLICES))
    assert snap.unevaluated_policies == () and len(snap.endpoint_slices) == 4
    assert snap.counts()["endpoint slices"] == 4
    r = k8sviz.reachability(snap)
    assert r.can_reach("web/a", "db/d", 9090) and not r.can_reach("web/a", "db/d", 80)
    # Per slice: 10.0.0.2 serves 7000/TCP and 53/UDP, not 9090.
    assert r.can_reach("web/a", "web/b", 7000) and r.can_reach("web/a", "web/b", 53, "UDP")
    assert not r.can_reach("web/a", "web/b", 9090) and not r.can_reach("web/a", "web/b", 53)
    assert r.can_reach("web/a", "172.18.0.2", 6443) and not r.can_reach("web/a", "172.18.0.2", 443)
    assert not r.can_reach("web/a", "172.18.0.3", 6443)
    v = r.explain("web/a", "172.18.0.2", 6443)
    assert "GlobalNetworkPolicy/svc egress[1]" in str(v) and "service default/kubernetes" in str(v)


def test_ingress_from_a_service_matches_its_endpoint_addresses():
    pol = cal("NetworkPolicy", "from-front", {"selector": "app == 'd'", "order": 10, "ingress": [
        {"action": "Allow", "source": {"services": {"name": "front", "namespace": "web"}}}, {"action": "Deny"}]}, "db")
    r = k8sviz.reachability(snapshot(*base(pol, *SLICES)))
    assert r.can_reach("web/a", "db/d", 80) and r.can_reach("web/a", "db/d", 5432)  # any port: addresses only
    assert not r.can_reach("web/b", "db/d", 80)
    # A namespaced policy's service defaults to its own namespace: db has no "front".
    own = cal("NetworkPolicy", "own", {"selector": "app == 'd'", "order": 10, "ingress": [
        {"action": "Allow", "source": {"services": {"name": "front"}}}, {"action": "Deny"}]}, "db")
    assert not k8sviz.reachability(snapshot(*base(own, *SLICES))).can_reach("web/a", "db/d", 80)


def test_services_need_the_endpoint_slices():
    pol = gnp("svc", {"selector": "app == 'a'", "egress": [
        {"action": "Allow", "destination": {"services": {"name": "db-svc", "namespace": "db"}}}, {"action": "Deny"}]})
    (p,) = snapshot(*base(pol)).unevaluated_policies
    assert p.unsupported[0].startswith("spec.egress[0].destination.services (")
    assert "kubectl get endpointslices" in p.unsupported[0]
    # Read, and the Service has no slice: it has no endpoints, so the rule matches nothing.
    r = k8sviz.reachability(snapshot(*base(pol, SLICES[2])))
    assert not r.can_reach("web/a", "db/d", 9090)
    # A slice of FQDNs has no address to match: skipped with a warning.
    snap = snapshot(*base(eps("db", "f", "db-svc", ["db.example.com"], [("TCP", 1)], "FQDN")))
    assert snap.endpoint_slices == () and "endpointslice-fqdn" in {w.code for w in snap.warnings}


@pytest.mark.parametrize(("rule", "message"), [
    ({"action": "Allow", "destination": {"services": {"name": "x", "namespace": "db"}, "selector": "all()"}},
     "services cannot be combined with selector"),
    ({"action": "Allow", "destination": {"services": {"name": "x", "namespace": "db"}, "nets": ["1.0.0.0/8"]}},
     "services cannot be combined with nets"),
    ({"action": "Allow", "protocol": "TCP", "destination": {"services": {"name": "x", "namespace": "db"}, "ports": [80]}},
     "take their ports from the Service's endpoints"),
    ({"action": "Allow", "source": {"services": {"name": "x", "namespace": "db"}}},
     r"egress\[0\]\.source\.services is not allowed"),
    ({"action": "Allow", "destination": {"services": {"name": "x"}}}, "must name a namespace in a GlobalNetworkPolicy"),
    ({"action": "Allow", "destination": {"services": {"namespace": "db"}}}, "needs a service name"),
    ({"action": "Allow", "destination": {"services": {"name": "x", "namespace": "db"}, "serviceAccounts": {}}},
     "services cannot be combined with serviceAccounts"),
])
def test_services_are_validated_as_calico_does(rule, message):
    with pytest.raises(PolicyError, match=message):
        snapshot(*base(gnp("g", {"selector": "all()", "egress": [rule]})))


def test_ip_version_rules_match_one_family_in_a_single_stack_cluster():
    v4 = gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "protocol": "TCP", "ipVersion": 4}, {"action": "Allow"}]})
    snap = snapshot(*base(v4))
    assert snap.unevaluated_policies == ()
    r = k8sviz.reachability(snap)
    assert not r.can_reach("web/a", "db/d", 80) and not r.can_reach("192.0.2.1", "db/d", 80)
    assert r.can_reach("2001:db8::1", "db/d", 80)  # an IPv6 peer: the IPv4 rule does not match
    assert r.can_reach("web/a", "db/d", 53, "UDP")
    assert "Deny IPv4 TCP" in str(r.explain("web/a", "db/d", 80))


def test_ip_version_must_agree_with_the_rule_cidrs():
    with pytest.raises(PolicyError, match=r"ingress\[0\]\.source: 10\.0\.0\.0/8 is not an IPv6 CIDR"):
        snapshot(*base(gnp("g", {"selector": "all()", "ingress": [
            {"action": "Allow", "ipVersion": 6, "source": {"nets": ["10.0.0.0/8"]}}]})))


def test_ip_version_rules_are_not_judged_with_dual_stack_pods():
    v6 = gnp("g", {"selector": "app == 'd'", "ingress": [{"action": "Deny", "protocol": "TCP", "ipVersion": 6}]})
    dual = pod("web", "dual", {"app": "x"}, "10.0.0.5")
    dual["status"]["podIPs"] = [{"ip": "10.0.0.5"}, {"ip": "fd00::5"}]
    (pol,) = snapshot(*base(v6, dual)).unevaluated_policies
    assert pol.unsupported[0].startswith("spec.ingress[0].ipVersion (the pods' IP families are not all known")
    # A pod without an address (pending, or from a manifest) could get either family.
    (pol,) = snapshot(*base(v6, pod("web", "pending", {"app": "x"}))).unevaluated_policies
    assert "a pod without an address" in pol.unsupported[0]
    # An ICMP rule's ipVersion needs nothing: it matches no TCP/UDP/SCTP traffic anyway.
    icmp = gnp("g", {"selector": "all()", "ingress": [{"action": "Deny", "protocol": "ICMP", "ipVersion": 4}]})
    assert snapshot(*base(icmp, dual)).unevaluated_policies == ()


def test_pcsa_selectors_need_the_accounts_too():
    # Endpoints inherit their account's labels as pcsa.<key>: without the accounts, unknown.
    by_pcsa = gnp("p", {"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "source": {"selector": "pcsa.team == 'shop'"}}, {"action": "Allow"}]})
    (pol,) = snapshot(*base(by_pcsa)).unevaluated_policies
    assert pol.unsupported[0].startswith("spec.ingress[0].source.selector on ServiceAccount labels")
    subject = gnp("s", {"selector": "pcsa.team == 'db'", "ingress": [{"action": "Deny"}]})
    assert snapshot(*base(subject)).unevaluated_policies[0].unsupported[0].startswith("spec.selector on")
    # The account's name is always known.
    by_name = gnp("n", {"selector": "pcsa.projectcalico.org/name == 'default'", "ingress": [{"action": "Deny"}]})
    assert snapshot(*base(by_name)).unevaluated_policies == ()
    # With every account: judged.
    r = k8sviz.reachability(snapshot(*_accounts(), by_pcsa))
    assert not r.can_reach("web/a", "db/d", 80) and r.can_reach("web/b", "db/d", 80)
    # An ICMP rule needs no account labels: it matches no TCP/UDP/SCTP traffic.
    icmp = gnp("i", {"selector": "all()", "ingress": [
        {"action": "Deny", "protocol": "ICMP", "source": {"serviceAccounts": {"selector": "team == 'x'"}}}]})
    assert snapshot(*base(icmp)).unevaluated_policies == ()


@pytest.mark.parametrize(("change", "message"), [
    ({"endpoints": {"addresses": ["10.0.0.9"]}}, "endpoints is a mapping, not a list"),
    ({"endpoints": ["10.0.0.9"]}, r"endpoints\[0\] is a string, not a mapping"),
    ({"endpoints": [{"addresses": "10.0.0.9"}]}, r"endpoints\[0\]\.addresses is a string, not a list"),
    ({"ports": [80]}, r"ports\[0\] is a number, not a mapping"),
    ({"ports": [{"port": "80"}]}, r"ports\[0\]\.port '80' is not a port number"),
    ({"addressType": "IPv5"}, "addressType 'IPv5' is not IPv4, IPv6 or FQDN"),
])
def test_a_malformed_endpoint_slice_is_a_clear_error(change, message):
    with pytest.raises(k8sviz.InputError, match=message) as e:
        snapshot(*base({**eps("db", "bad", "db-svc", ["10.0.0.9"], [("TCP", 80)]), **change}))
    assert "EndpointSlice/db/bad" in str(e.value)


@pytest.mark.parametrize(("key", "matches"), [("projectcalico.org/name", True), ("projectcalico.org/namespace", False)])
def test_namespace_selectors_see_the_namespace_profile_not_the_endpoints_namespace_label(key, matches):
    # Calico prefixes each key of a namespace selector with pcns.: the namespace profile has
    # projectcalico.org/name, while projectcalico.org/namespace is a label of endpoints only.
    deny_from_web = gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "source": {"namespaceSelector": f"{key} == 'web'"}}]})
    assert reach(deny_from_web).can_reach("web/a", "db/d", 80) is not matches
    has_key = gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "source": {"namespaceSelector": f"has({key})"}}]})
    assert reach(has_key).can_reach("web/a", "db/d", 80) is not matches
    # A GlobalNetworkPolicy's own namespaceSelector reads the same profile.
    on_db = gnp("g", {"namespaceSelector": f"{key} == 'db'", "ingress": [{"action": "Deny"}]})
    assert reach(on_db).can_reach("web/a", "db/d", 80) is not matches
    # all() still means every namespaced endpoint.
    everyone = gnp("g", {"selector": "app == 'd'", "ingress": [{"action": "Deny", "source": {"namespaceSelector": "all()"}}]})
    assert not reach(everyone).can_reach("web/a", "db/d", 80)


def test_notports_take_named_ports_out_too():
    # Every criterion of a rule must hold: notPorts narrow the named ports listed in ports,
    # and a named notPort narrows port numbers (db/d: http = 9090).
    def allow(dst: dict[str, Any]) -> k8sviz.Reachability:
        return reach(gnp("g", {"selector": "app == 'd'", "ingress": [
            {"action": "Allow", "protocol": "TCP", "destination": dst}, {"action": "Deny"}]}))

    r = allow({"ports": ["http"], "notPorts": [9090]})
    assert not r.can_reach("web/a", "db/d", 9090)
    r = allow({"ports": ["http", 100], "notPorts": ["9000:9999"]})
    assert not r.can_reach("web/a", "db/d", 9090) and r.can_reach("web/a", "db/d", 100)
    r = allow({"ports": ["9000:9100"], "notPorts": ["http"]})
    assert not r.can_reach("web/a", "db/d", 9090) and r.can_reach("web/a", "db/d", 9091)
    r = allow({"notPorts": ["http"]})
    assert not r.can_reach("web/a", "db/d", 9090) and r.can_reach("web/a", "db/d", 80)
    assert r.snapshot.unevaluated_policies == ()
    # web/a's http is 8080: a named notPort resolves on each destination.
    r = reach(gnp("g", {"selector": "all()", "ingress": [
        {"action": "Allow", "protocol": "TCP", "destination": {"notPorts": ["http"]}}, {"action": "Deny"}]}))
    assert r.can_reach("web/b", "web/a", 9090) and not r.can_reach("web/b", "web/a", 8080)
    v = r.explain("web/b", "web/a", 8080)
    assert "denied by GlobalNetworkPolicy/g ingress[1]" in str(v)


def test_named_ports_without_a_protocol_are_read_as_tcp():
    # Calico accepts named ports without a protocol, and Felix matches them as TCP.
    r = reach(gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Allow", "destination": {"ports": ["http"]}}, {"action": "Deny"}]}))
    assert r.snapshot.unevaluated_policies == ()
    assert r.can_reach("web/a", "db/d", 9090) and not r.can_reach("web/a", "db/d", 9090, "UDP")
    assert not r.can_reach("web/a", "db/d", 80)
    r = reach(gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Allow", "destination": {"notPorts": ["http"]}}, {"action": "Deny"}]}))
    assert not r.can_reach("web/a", "db/d", 9090) and r.can_reach("web/a", "db/d", 9090, "UDP")


@pytest.mark.parametrize(("ns_sel", "global_set", "namespaced_set"), [
    ("global( )", True, False), ("all( )", False, True), ("(all( ))", False, True), ("!all( )", True, False),
])
def test_all_and_global_written_with_spaces_mean_what_they_mean_without(ns_sel, global_set, namespaced_set):
    # Calico rewrites a rule's namespaceSelector in its canonical form, where "all( )" is "all()".
    objs = [
        cal("GlobalNetworkSet", "dns", {"nets": ["8.8.8.0/24"]}, labels={"role": "dns"}),
        cal("NetworkSet", "partners", {"nets": ["192.168.0.0/16"]}, "web", labels={"role": "dns"}),
        gnp("g", {"selector": "app == 'b'", "egress": [
            {"action": "Allow", "destination": {"namespaceSelector": ns_sel, "selector": "role == 'dns'"}}]}),
    ]
    r = reach(*objs)
    assert r.can_reach("web/b", "8.8.8.8", 53) is global_set
    assert r.can_reach("web/b", "192.168.1.1", 53) is namespaced_set


def test_global_in_a_not_selector_or_service_account_selector_is_true_of_everything():
    # Calico's validation lets global() into these fields, and its evaluator takes it as true.
    gns = cal("GlobalNetworkSet", "dns", {"nets": ["8.8.8.0/24"]}, labels={"role": "dns"})
    outsiders = gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Allow", "source": {"notSelector": "global( ) && all()"}}, {"action": "Deny"}]})
    r = reach(gns, outsiders)
    assert r.can_reach("1.2.3.4", "db/d", 80)  # no endpoint, no network set
    assert not r.can_reach("web/a", "db/d", 80) and not r.can_reach("8.8.8.8", "db/d", 80)
    anyone = gnp("g", {"selector": "app == 'b'", "egress": [
        {"action": "Allow", "destination": {"serviceAccounts": {"selector": "global()"}}}]})
    r = reach(gns, anyone)
    assert r.can_reach("web/b", "db/d", 80) and r.can_reach("web/b", "8.8.8.8", 53)
    assert not r.can_reach("web/b", "1.2.3.4", 53)
    # Where Calico refuses global(), it is refused written with spaces too.
    with pytest.raises(PolicyError, match="global\\(\\) can only be used"):
        snapshot(*base(gnp("g", {"selector": "global( )"})))


def unknown_fields(snap):
    return {w.obj: w.message for w in snap.warnings if w.code == "unknown-field"}


def test_fields_the_calico_kinds_do_not_have_are_warned_and_read_as_absent():
    # `selecter`: the policy selects every endpoint; `sel`: the source is anything (this was an
    # error, unlike a typo anywhere else in a Calico object; the API server drops such a field
    # unless the client asks for strict validation, as its CRDs do).
    wide = gnp("wide", {"selecter": "app == 'd'", "ingress": [{"action": "Deny", "source": {"sel": "app == 'a'"}}]})
    # doNotTrack is a GlobalNetworkPolicy field: a NetworkPolicy is read without it (not host-only).
    nstrack = cal("NetworkPolicy", "track", {"selector": "all()", "doNotTrack": True, "types": ["Ingress"]}, "web")
    tier = cal("Tier", "security", {"order": 1, "defaultActon": "Pass"})
    nets = cal("GlobalNetworkSet", "ext", {"net": ["8.8.8.0/24"]}, version="crd.projectcalico.org/v1")
    snap = snapshot(*base(wide, nstrack, tier, nets))
    found = unknown_fields(snap)
    assert found == {
        "GlobalNetworkPolicy/wide": "spec.selecter, spec.ingress[0].source.sel: not a field of GlobalNetworkPolicy "
        "projectcalico.org/v3 (a typo?); read without it, as an API server that accepts the object stores it "
        "(kubectl's strict validation refuses it); did you mean spec.selector?",
        "NetworkPolicy/web/track": found["NetworkPolicy/web/track"],
        "Tier/security": found["Tier/security"],
        "GlobalNetworkSet/ext": found["GlobalNetworkSet/ext"],
    }
    assert found["NetworkPolicy/web/track"].startswith("spec.doNotTrack: not a field of NetworkPolicy projectcalico.org/v3")
    assert found["Tier/security"].startswith("spec.defaultActon: not a field of Tier projectcalico.org/v3")
    assert found["GlobalNetworkSet/ext"].startswith("spec.net: not a field of GlobalNetworkSet crd.projectcalico.org/v1")
    r = k8sviz.reachability(snap)
    assert not r.can_reach("web/b", "db/d", 80) and not r.can_reach("db/d", "web/b", 80)  # every endpoint, any source
    (track,) = [p for p in snap.calico_policies if p.name == "track"]
    assert not track.host_only
    assert [t.default_action for t in snap.calico_tiers] == ["deny"]
    assert [s.nets for s in snap.network_sets] == [()]


def test_a_required_calico_field_misspelt_is_an_error_that_says_which_field_was_dropped():
    with pytest.raises(PolicyError) as e:
        snapshot(*base(gnp("bad", {"ingress": [{"action": "Allow", "protocl": "TCP", "destination": {"ports": [80]}}]})))
    assert str(e.value) == (
        "test, GlobalNetworkPolicy/bad: spec.ingress[0].destination: port numbers and ranges need protocol TCP, UDP "
        "or SCTP (read without spec.ingress[0].protocl, not a field of GlobalNetworkPolicy projectcalico.org/v3)")


def test_calico_objects_of_every_field_have_no_unknown_field_warning():
    entity = {"nets": ["10.0.0.0/8"], "notNets": ["10.1.0.0/16"], "selector": "app == 'a'", "notSelector": "app == 'b'",
              "namespaceSelector": "team == 'web'", "ports": [80, "1000:2000", "http"], "notPorts": [81],
              "serviceAccounts": {"names": ["default"], "selector": "projectcalico.org/name == 'default'"}}
    rules = [
        {"action": "Allow", "protocol": "TCP", "notProtocol": "UDP", "ipVersion": 4, "source": entity,
         "destination": entity, "http": {"methods": ["GET"], "paths": [{"exact": "/"}, {"prefix": "/a"}]},
         "metadata": {"annotations": {"k": "v"}}},
        {"action": "Deny", "protocol": "ICMP", "icmp": {"type": 8, "code": 0}, "notICMP": {"type": 3}},
        {"action": "Pass", "destination": {"services": {"name": "s", "namespace": "db"}}},
    ]
    common = {"tier": "security", "order": 5, "selector": "all()", "types": ["Ingress", "Egress"],
              "serviceAccountSelector": "", "performanceHints": ["AssumeNeededOnEveryNode"],
              "ingress": rules[:2], "egress": [{k: v for k, v in rules[0].items() if k != "http"}, *rules[1:]]}
    objs = [
        cal("Tier", "security", {"order": 10, "defaultAction": "Pass"}),
        cal("GlobalNetworkPolicy", "security.g", {**common, "namespaceSelector": "all()", "doNotTrack": False,
                                                  "preDNAT": False, "applyOnForward": True}),
        cal("NetworkPolicy", "security.n", common, "web", version="crd.projectcalico.org/v1"),
        cal("NetworkSet", "s", {"nets": ["10.2.0.0/16"]}, "web"),
        cal("GlobalNetworkSet", "g", {"nets": ["8.8.8.0/24"]}),
    ]
    snap = snapshot(*base(*objs))
    assert (len(snap.calico_policies), len(snap.calico_tiers), len(snap.network_sets)) == (2, 1, 2)
    assert unknown_fields(snap) == {}


# ---------------------------------------------------------------------------------------------
# crd.projectcalico.org/v1 objects written straight to the CRD skip Calico's validator


CRD = "crd.projectcalico.org/v1"


def crd_gnp(name: str, spec: dict[str, Any], version: str = CRD) -> dict[str, Any]:
    return cal("GlobalNetworkPolicy", name, {"order": 10, "types": ["Ingress"], **spec}, version=version)


def unvalidated(snap: k8sviz.Snapshot) -> list[str]:
    return [w.message for w in snap.warnings if w.code == "calico-unvalidated"]


#: ``(spec, what the validator says, how Felix reads it, can web/a reach db/d on TCP 80)``: what a
#: crd.projectcalico.org/v1 object may hold against Calico's validator, with Felix's reading.
FELIX_READS = [
    # libcalico-go lowercases protocol names (numorstring Protocol.ToV1).
    ({"selector": "app == 'd'", "ingress": [{"action": "Deny", "protocol": "tcp"}, {"action": "Allow"}]},
     "invalid protocol 'tcp' (Calico spells it 'TCP')", "as TCP", False),
    ({"selector": "app == 'd'", "ingress": [{"action": "Deny", "protocol": "uDp"}, {"action": "Allow"}]},
     "invalid protocol 'uDp'", "as UDP", True),
    # ... and the action (updateprocessors/rules.go); Felix's renderers take "" as allow and
    # "next-tier" as pass.
    ({"selector": "app == 'd'", "ingress": [{"action": "deny"}]}, "action must be Allow, Deny, Log or Pass",
     "as Deny", False),
    ({"selector": "app == 'd'", "ingress": [{"action": ""}]}, "not ''", "as Allow", True),
    ({"selector": "app == 'd'", "ingress": [{"action": "next-tier"}]}, "not 'next-tier'", "as Pass", True),
    # Felix keeps a rule to one family for ipVersion 4 and 6 only (felix/calc/rule_convert.go).
    ({"selector": "app == 'd'", "ingress": [{"action": "Deny", "ipVersion": 5}]}, "ipVersion must be 4 or 6",
     "as no ipVersion", False),
    ({"selector": "app == 'd'", "ingress": [{"action": "Deny", "notProtocol": "ICMPv6", "ipVersion": 4}]},
     "notProtocol ICMPv6 needs ipVersion 6", "as written", False),
    ({"selector": "app == 'd'", "ingress": [{"action": "Deny", "protocol": "ICMP", "icmp": {"code": 0}},
                                            {"action": "Allow"}]},
     "an ICMP code needs an ICMP type", "without the code", True),
    # Felix evaluates selectors as written: global() is true of everything ...
    ({"selector": "global()", "ingress": [{"action": "Deny"}]}, "global() can only be used", "as all()",
     False),
    ({"selector": "app == 'd'", "ingress": [{"action": "Deny", "source": {"selector": "global()"}}]},
     "source.selector: global() can only be used", "as all()", False),
    # ... and libcalico-go rewrites global() inside a rule's namespace selector as text.
    ({"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "source": {"namespaceSelector": "global() || team == 'web'"}},
        {"action": "Allow"}]},
     "global() cannot be combined", "not a namespaced endpoint", False),
    ({"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "source": {"namespaceSelector": "global() && team == 'web'"}},
        {"action": "Allow"}]},
     "global() cannot be combined", "not a namespaced endpoint", True),
    # A CIDR libcalico-go cannot parse is left out; a field left empty restricts nothing.
    ({"selector": "app == 'd'", "ingress": [{"action": "Deny", "source": {"nets": ["garbage"]}},
                                            {"action": "Allow"}]},
     "invalid CIDR 'garbage'", "without that entry", False),
    ({"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "destination": {"notNets": ["10.0.0.9/32", "10.0.0.0/33"]}}, {"action": "Allow"}]},
     "invalid CIDR '10.0.0.0/33'", "without that entry", True),
    # Felix renders a rule per IP family with that family's CIDRs, and not for a family that
    # empties one of its CIDR fields (felix/rules/policy.go FilterRuleToIPVersion).
    ({"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "source": {"nets": ["10.0.0.0/24", "fd00::/8"]}}, {"action": "Allow"}]},
     "mixes IPv4 and IPv6", "per IP family", False),
    ({"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "source": {"nets": ["10.0.0.0/8"]}, "destination": {"notNets": ["fd00::/8"]}},
        {"action": "Allow"}]},
     "mixes IPv4 and IPv6", "per IP family", True),
    ({"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "ipVersion": 6, "source": {"nets": ["10.0.0.0/8"]}}, {"action": "Allow"}]},
     "10.0.0.0/8 is not an IPv6 CIDR", "per IP family", True),
    # The validator compares a rule's protocol with the one a name decodes to: ICMP fields need
    # ICMP or ICMPv6 by name, HTTP matches TCP by name (validateRule); Felix matches the
    # protocol by its number, with the ICMP type match, and Dikastes the HTTP request.
    ({"selector": "app == 'd'", "ingress": [{"action": "Deny", "protocol": 1, "icmp": {"type": 8}},
                                            {"action": "Allow"}]},
     "icmp needs protocol ICMP or ICMPv6 by name, not 1", "as written: protocol 1 by its number", True),
    ({"selector": "app == 'd'", "ingress": [{"action": "Deny", "protocol": "58", "ipVersion": 6,
                                             "icmp": {"type": 128, "code": 0}}, {"action": "Allow"}]},
     "icmp needs protocol ICMP or ICMPv6 by name, not '58'", "protocol 58 by its number", True),
    ({"selector": "app == 'd'", "ingress": [{"action": "Allow", "protocol": 6, "http": {}}]},
     "http needs protocol TCP (or none), not 6", "as a TCP rule", True),
    ({"selector": "app == 'd'", "ingress": [{"action": "Allow", "protocol": "6", "http": {"methods": ["*"]}}]},
     "http needs protocol TCP (or none), not '6'", "as a TCP rule", True),
    # preDNAT and doNotTrack policies are for host endpoints, whatever else they say.
    ({"selector": "app == 'd'", "preDNAT": True, "ingress": [{"action": "Deny"}]},
     "spec.applyOnForward must be true with spec.preDNAT", "host endpoint policy", True),
    ({"selector": "app == 'd'", "preDNAT": True, "doNotTrack": True, "applyOnForward": True,
      "ingress": [{"action": "Deny"}]}, "cannot both be true", "host endpoint policy", True),
]


@pytest.mark.parametrize(("spec", "refusal", "reading", "reaches"), FELIX_READS)
def test_what_the_validator_refuses_a_crd_object_holds_and_felix_reads(spec, refusal, reading, reaches):
    # The projectcalico.org/v3 object passed the validator, which refuses this.
    with pytest.raises(PolicyError, match="GlobalNetworkPolicy/p") as e:
        snapshot(*base(crd_gnp("p", spec, version="projectcalico.org/v3")))
    assert refusal in str(e.value)
    assert "skips Calico's validator" not in str(e.value)
    # The crd.projectcalico.org/v1 one did not, and Felix reads it: so does k8sviz, and says so.
    snap = snapshot(*base(crd_gnp("p", spec)))
    (message,) = unvalidated(snap)
    assert refusal in message and reading in message and "skips Calico's validator" in message
    assert snap.unevaluated_policies == ()
    assert k8sviz.reachability(snap).can_reach("web/a", "db/d", 80) is reaches


@pytest.mark.parametrize("version", ["projectcalico.org/v3", CRD])
@pytest.mark.parametrize("protocol", [1, "1", 58])
def test_icmp_by_number_is_held_to_no_ip_version_as_the_validator_holds_it(version, protocol):
    # validateRule ties ipVersion to ICMP and ICMPv6 written by name; their numbers are
    # not checked, so a v3 object may pair them with either family, and loads without a word.
    spec = {"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "protocol": protocol, "ipVersion": 10 - {1: 4, "1": 4, 58: 6}[protocol]},
        {"action": "Allow"}]}
    snap = snapshot(*base(crd_gnp("p", spec, version=version)))
    assert unvalidated(snap) == [] and snap.unevaluated_policies == ()
    assert k8sviz.reachability(snap).can_reach("web/a", "db/d", 80)  # no TCP rule
    # By name, the pairing is refused (and, in a crd.projectcalico.org/v1 object, warned of).
    named = {"selector": "app == 'd'", "ingress": [{"action": "Deny", "protocol": "ICMP", "ipVersion": 6}]}
    if version == CRD:
        assert any("protocol ICMP needs ipVersion 4" in m for m in unvalidated(snapshot(*base(crd_gnp("p", named)))))
    else:
        with pytest.raises(PolicyError, match="protocol ICMP needs ipVersion 4"):
            snapshot(*base(crd_gnp("p", named, version=version)))


#: ``(spec, what the validator says, why k8sviz cannot judge the crd object)``.
FELIX_UNKNOWN = [
    ({"ingress": [{"action": "Reject"}]}, "action must be Allow, Deny, Log or Pass", "panics"),
    ({"ingress": [{"action": "Allow", "protocol": "XTP"}]}, "invalid protocol 'XTP'",
     "unknown name as protocol 0"),
    ({"ingress": [{"action": "Allow", "protocol": 0}]}, "invalid protocol 0", "no reading of it"),
    ({"ingress": [{"action": "Allow", "protocol": 256}]}, "invalid protocol 256", "cannot decode it"),
    ({"ingress": [{"action": "Allow", "protocol": "TCP", "destination": {"ports": [70000]}}]},
     "out of range 1-65535", "cannot decode it"),
    ({"ingress": [{"action": "Allow", "protocol": "TCP", "destination": {"ports": ["90:80"]}}]},
     "ends before it starts", "cannot decode it"),
    ({"ingress": [{"action": "Allow", "protocol": "TCP", "destination": {"ports": [0]}}]},
     "out of range 1-65535", "no reading of it"),
    ({"ingress": [{"action": "Allow", "destination": {"ports": [80]}}]}, "need protocol TCP, UDP or SCTP",
     "no reading of it"),
    ({"ingress": [{"action": "Allow", "protocol": "ICMP", "icmp": {"type": 255}}]}, "0-254",
     "no reading of it"),
    ({"ingress": [{"action": "Deny", "http": {"methods": ["GET"]}}]}, "only valid in Allow rules",
     "no reading"),
    ({"namespaceSelector": "global()"}, "spec.namespaceSelector: global() can only be used", "no reading"),
    ({"egress": [{"action": "Allow", "destination": {"services": {"name": "x"}}}]},
     "must name a namespace", "no reading"),
]


@pytest.mark.parametrize(("spec", "refusal", "why"), FELIX_UNKNOWN)
def test_a_crd_object_felix_has_no_known_reading_of_stays_an_error_that_says_why(spec, refusal, why):
    with pytest.raises(PolicyError) as e:
        snapshot(*base(crd_gnp("p", spec, version="projectcalico.org/v3")))
    assert refusal in str(e.value) and "skips" not in str(e.value)
    with pytest.raises(PolicyError, match="GlobalNetworkPolicy/p") as e:
        snapshot(*base(crd_gnp("p", spec)))
    text = str(e.value)
    assert refusal in text and why in text
    assert "skips Calico's validator" in text and "k8sviz cannot tell" in text


def deny_from_sets(*sets: dict[str, Any]) -> list[dict[str, Any]]:
    """db/d denies what the network sets labelled kind=s hold, and allows the rest."""
    return base(*sets, gnp("p", {"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "source": {"selector": "kind == 's'"}}, {"action": "Allow"}]}))


def test_a_crd_global_network_set_drops_what_libcalico_go_cannot_parse():
    # globalnetworksetprocessor.go logs an entry ParseCIDROrIP refuses and goes on.
    spec = {"nets": ["garbage", "10.0.0.0/33", "10.0.0.2"]}
    with pytest.raises(PolicyError, match=r"GlobalNetworkSet/s: spec.nets\[0\]: invalid CIDR 'garbage'$"):
        snapshot(*deny_from_sets(cal("GlobalNetworkSet", "s", spec, labels={"kind": "s"})))
    snap = snapshot(*deny_from_sets(cal("GlobalNetworkSet", "s", spec, labels={"kind": "s"}, version=CRD)))
    assert [n.cidr for n in snap.network_sets[0].nets] == ["10.0.0.2/32"]
    messages = unvalidated(snap)
    assert len(messages) == 2 and all("globalnetworksetprocessor.go" in m for m in messages)
    assert "invalid CIDR '10.0.0.0/33'" in messages[1] and "without that entry" in messages[1]
    r = k8sviz.reachability(snap)
    assert not r.can_reach("web/b", "db/d", 80) and r.can_reach("web/a", "db/d", 80)


def test_a_crd_network_set_with_an_unparsable_cidr_stays_an_error_naming_the_panic():
    # networksetprocessor.go logs it too, but appends the nil network all the same.
    bad = cal("NetworkSet", "s", {"nets": ["10.0.0.0/8", "garbage"]}, "web", labels={"kind": "s"}, version=CRD)
    with pytest.raises(PolicyError, match=r"NetworkSet/web/s: spec.nets\[1\]: invalid CIDR 'garbage'") as e:
        snapshot(*deny_from_sets(bad))
    assert "skips Calico's validator" in str(e.value) and "networksetprocessor.go" in str(e.value)
    assert "panics" in str(e.value)


@pytest.mark.parametrize("version", ["projectcalico.org/v3", CRD])
def test_network_set_host_bits_addresses_and_both_families_are_no_refusal(version):
    # The "cidr" tag of (Global)NetworkSetSpec.Nets takes them, and no family check applies:
    # no warning, the masked networks.
    sets = [cal(kind, "s", {"nets": ["10.0.0.3/31", "fd00::1", "10.0.0.9"]}, ns_, {"kind": "s"}, version)
            for kind, ns_ in (("GlobalNetworkSet", None), ("NetworkSet", "db"))]
    for s in sets:
        snap = snapshot(*deny_from_sets(s))
        assert [n.cidr for n in snap.network_sets[0].nets] == ["10.0.0.2/31", "fd00::1/128", "10.0.0.9/32"]
        assert unvalidated(snap) == []
        assert not k8sviz.reachability(snap).can_reach("web/b", "db/d", 80)



# ---------------------------------------------------------------------------------------------
# Port syntax: numorstring.PortFromString, then the validator's IsValidPortName for names


def port_rule(port: Any, version: str = "projectcalico.org/v3") -> dict[str, Any]:
    return crd_gnp("p", {"selector": "app == 'd'", "ingress": [
        {"action": "Allow", "protocol": "TCP", "destination": {"ports": [port]}}, {"action": "Deny"}]},
        version)


@pytest.mark.parametrize(("port", "open_port"), [
    ("0080", 80),  # strconv.ParseUint takes leading zeros
    ("09000:09100", 9000),
    ("http", 9090),  # db/d's container port named http
    (65535, 65535),
])
def test_port_forms_numorstring_reads(port, open_port):
    r = k8sviz.reachability(snapshot(*base(port_rule(port))))
    assert r.can_reach("web/a", "db/d", open_port)
    assert not r.can_reach("web/a", "db/d", open_port - 1)


@pytest.mark.parametrize(("port", "message"), [
    ("80:", "a number, min:max or a port name"),
    (":80", "a number, min:max or a port name"),
    ("http:80", "a number, min:max or a port name"),
    ("80:90:100", "a number, min:max or a port name"),
    (" 80", "a number, min:max or a port name"),
    ("\uff18\uff10", "a number, min:max or a port name"),  # fullwidth digits: Go's \d is ASCII
    ("http\n", "a number, min:max or a port name"),
    ("a" * 129, "a number, min:max or a port name"),
    ("", "a number, min:max or a port name"),
    ("65536", "port numbers are 1-65535"),
    ("80:65536", "port numbers are 1-65535"),
    ("0:80", "port numbers are 1-65535"),
    ("90:80", "ends before it starts"),
    # numorstring takes these as names, which the validator holds to IsValidPortName.
    ("HTTP", "'HTTP' is not a valid port name (at most 15 lowercase letters, digits and '-', with a letter; "
             "write 'http')"),
    ("80-90", "'80-90' is not a valid port name"),
    ("my_port", "'my_port' is not a valid port name"),
    ("a.b", "'a.b' is not a valid port name"),
    ("averyveryverylongname", "is not a valid port name"),
    ("-http", "is not a valid port name"),
    ("ht--tp", "is not a valid port name"),
])
def test_port_forms_calico_refuses(port, message):
    with pytest.raises(PolicyError) as e:
        snapshot(*base(port_rule(port)))
    assert "spec.ingress[0].destination.ports[0]: " in str(e.value) and message in str(e.value)


def test_a_crd_port_name_the_validator_refuses_is_a_name_no_pod_port_has():
    # numorstring decodes "HTTP" as a name; Felix looks it up among the pods' port names,
    # which Kubernetes keeps to IsValidPortName: it matches nothing.
    snap = snapshot(*base(port_rule("HTTP", CRD)))
    (message,) = unvalidated(snap)
    assert "'HTTP' is not a valid port name" in message and "matches nothing" in message
    r = k8sviz.reachability(snap)
    assert not r.can_reach("web/a", "db/d", 9090)
    # What numorstring cannot decode stays an error.
    with pytest.raises(PolicyError, match="cannot decode it"):
        snapshot(*base(port_rule("80:", CRD)))


# ---------------------------------------------------------------------------------------------
# Rule nets: masked CIDRs for Calico's validator; Felix masks what a crd object holds


def nets_rule(nets: list[str], version: str = "projectcalico.org/v3") -> dict[str, Any]:
    return crd_gnp("p", {"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "source": {"nets": nets}}, {"action": "Allow"}]}, version)


@pytest.mark.parametrize(("net", "message"), [
    # validateIPNetwork (the "net" tag of EntityRule.Nets): the address must be the network's.
    ("10.0.0.3/31", "'10.0.0.3/31' has host bits set (the network is 10.0.0.2/31)"),
    ("fd00::1/64", "'fd00::1/64' has host bits set (the network is fd00::/64)"),
    # validateRule parses each with net.ParseCIDR, which wants a prefix length.
    ("10.0.0.2", "'10.0.0.2' is an address, not a CIDR (write 10.0.0.2/32)"),
    # Go's net.ParseCIDR takes neither a netmask nor a zone, which Python's ip_network takes.
    ("10.0.0.0/255.0.0.0", "invalid CIDR '10.0.0.0/255.0.0.0'"),
    ("fe80::1%eth0/64", "invalid CIDR 'fe80::1%eth0/64'"),
])
def test_rule_nets_the_validator_refuses(net, message):
    with pytest.raises(PolicyError) as e:
        snapshot(*base(nets_rule([net])))
    assert f"spec.ingress[0].source.nets[0]: {message}" in str(e.value)


@pytest.mark.parametrize("net", ["10.0.0.3/31", "10.0.0.2"])
def test_crd_rule_nets_are_masked_as_felix_reads_them(net):
    # libcalico-go reads rule nets with ParseCIDROrIP (Go's net.ParseCIDR masks; a lone
    # address is a /32): both read as 10.0.0.2/31 or 10.0.0.2/32, web/b's address, not web/a's.
    snap = snapshot(*base(nets_rule([net], CRD)))
    (message,) = unvalidated(snap)
    assert "host bits set" in message or "is an address" in message
    r = k8sviz.reachability(snap)
    assert not r.can_reach("web/b", "db/d", 80) and r.can_reach("web/a", "db/d", 80)


def test_network_set_nets_may_be_addresses_or_unmasked():
    # The "cidr" tag of (Global)NetworkSetSpec.Nets takes both; Go's parser still decides the form.
    objs = [cal("GlobalNetworkSet", "s", {"nets": ["10.0.0.2", "10.0.0.9/31"]}, labels={"kind": "s"}),
            gnp("p", {"selector": "app == 'd'", "ingress": [
                {"action": "Deny", "source": {"selector": "kind == 's'"}}, {"action": "Allow"}]})]
    snap = snapshot(*base(*objs))
    assert [n.cidr for n in snap.network_sets[0].nets] == ["10.0.0.2/32", "10.0.0.8/31"]
    assert not k8sviz.reachability(snap).can_reach("web/b", "db/d", 80)
    with pytest.raises(PolicyError, match="invalid CIDR '10.0.0.0/255.0.0.0'"):
        snapshot(*base(cal("GlobalNetworkSet", "s", {"nets": ["10.0.0.0/255.0.0.0"]})))



def test_crd_tiers_read_every_default_action_but_pass_as_deny():
    # tierprocessor.go: "Any value except Pass is interpreted as Deny" (the CRD's enum, where
    # its schema has one, keeps the API server from storing them at all).
    pass_tier = [gnp("security.p", {"tier": "security", "selector": "app == 'b'", "ingress": [
        {"action": "Allow", "source": {"selector": "app == 'nobody'"}}]})]
    for action in ("pass", "Allow", "PASS", "whatever"):
        with pytest.raises(PolicyError, match=f"Tier/security: spec.defaultAction must be Deny or Pass, not '{action}'$"):
            snapshot(*base(cal("Tier", "security", {"order": 100, "defaultAction": action}), *pass_tier))
        snap = snapshot(*base(cal("Tier", "security", {"order": 100, "defaultAction": action}, version=CRD),
                              *pass_tier))
        assert snap.calico_tiers[0].default_action == "deny"
        (message,) = unvalidated(snap)
        assert "tierprocessor.go" in message and "as Deny" in message
        assert not k8sviz.reachability(snap).can_reach("web/a", "web/b", 80)
    snap = snapshot(*base(cal("Tier", "security", {"order": 100, "defaultAction": "Pass"}, version=CRD), *pass_tier))
    assert unvalidated(snap) == [] and k8sviz.reachability(snap).can_reach("web/a", "web/b", 80)
    # The CRD's schema holds it to a string.
    with pytest.raises(PolicyError, match="Tier/t: spec.defaultAction must be Deny or Pass, not 1$"):
        snapshot(*base(cal("Tier", "t", {"defaultAction": 1}, version=CRD)))

# ---------------------------------------------------------------------------------------------
# notNets: Felix renders a rule for the family of its CIDRs only, and not at all for a family
# whose catch-all CIDR a negated field holds


def not_nets_rule(nets: list[str]) -> dict[str, Any]:
    return crd_gnp("p", {"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "source": {"notNets": nets}}, {"action": "Allow"}]}, "projectcalico.org/v3")


def test_notnets_of_one_family_keep_the_rule_to_that_family():
    # FilterRuleToIPVersion drops the IPv4 CIDRs from the IPv6 rendering, which empties the
    # field: the rule is not rendered for IPv6, so an IPv6 client is not denied by it.
    r = reach(not_nets_rule(["10.0.0.0/24"]))
    assert not r.can_reach("192.0.2.1", "db/d", 80)
    assert r.can_reach("2001:db8::1", "db/d", 80)
    assert r.can_reach("web/a", "db/d", 80)  # in 10.0.0.0/24
    # An IPv6 rule never meets db/d, whose only address is IPv4.
    r6 = reach(not_nets_rule(["2001:db8::/64"]))
    for client in ("2001:db9::1", "192.0.2.1", "web/a"):
        assert r6.can_reach(client, "db/d", 80), client


@pytest.mark.parametrize("catch_all", ["0.0.0.0/0", "::/0"])
def test_a_catch_all_notnets_matches_nothing_with_a_warning(catch_all):
    # Calico's validator refuses it since projectcalico/calico#10563 (July 2025, v3.29 and v3.30
    # branches too) and Felix drops the rule for that family; older releases stored it, and their
    # Felix rendered a match no packet meets (or failed with iptables-nft, #9211).  The other
    # family never had the rule.  So it matches nothing, in every release: loaded, with a warning.
    snap = snapshot(*base(not_nets_rule([catch_all])))
    (w,) = [w for w in snap.warnings if w.code == "calico-notnets-catch-all"]
    assert f"spec.ingress[0].source.notNets holds {catch_all}" in w.message and "#10563" in w.message
    r = k8sviz.reachability(snap)
    for client in ("web/a", "192.0.2.1", "2001:db8::1"):
        assert r.can_reach(client, "db/d", 80), client


# ---------------------------------------------------------------------------------------------
# types: filled in on write for projectcalico.org/v3, read by Felix as both when a crd object has none


@pytest.mark.parametrize("types", [None, []])
def test_a_crd_policy_without_types_governs_both_directions_as_felix_reads_it(types):
    # Calico's API server and calicoctl default an empty or missing types from the rules
    # (clientv3 defaultPolicyTypesField): an ingress-only policy.  Written straight to the
    # CRD, it stays empty, and Felix's policy sorter reads no types as Ingress and Egress, so
    # web/b's egress meets the end of the default tier.
    spec = {"selector": "app == 'b'", "ingress": [{"action": "Allow"}]}
    if types is not None:
        spec["types"] = types
    v3 = snapshot(*base(cal("NetworkPolicy", "p", spec, "web")))
    assert v3.calico_policies[0].types == ("Ingress",) and unvalidated(v3) == []
    assert k8sviz.reachability(v3).can_reach("web/b", "web/a", 80)
    crd = snapshot(*base(cal("NetworkPolicy", "p", spec, "web", version=CRD)))
    assert crd.calico_policies[0].types == ("Ingress", "Egress")
    (message,) = unvalidated(crd)
    assert "Felix reads a policy without types as Ingress and Egress (not Ingress alone)" in message
    r = k8sviz.reachability(crd)
    assert not r.can_reach("web/b", "web/a", 80) and r.can_reach("web/a", "web/b", 80)


def test_a_crd_policy_without_types_but_rules_both_ways_reads_the_same_without_a_warning():
    spec = {"selector": "app == 'b'", "ingress": [{"action": "Allow"}], "egress": [{"action": "Allow"}]}
    snap = snapshot(*base(cal("NetworkPolicy", "p", spec, "web", version=CRD)))
    assert snap.calico_policies[0].types == ("Ingress", "Egress") and unvalidated(snap) == []


@pytest.mark.parametrize(("types", "read"), [
    (["ingress"], ("Ingress",)),
    (["Egress", "EGRESS"], ("Egress",)),
    (["Ingress", "Ingress"], ("Ingress",)),
    (["Sideways"], ()),  # a non-empty list naming neither: Felix governs no direction
])
def test_crd_types_are_read_case_insensitively_as_felix_does(types, read):
    spec = {"selector": "app == 'd'", "types": types, "ingress": [{"action": "Deny"}]}
    with pytest.raises(PolicyError, match="spec.types"):
        snapshot(*base(gnp("p", spec)))
    snap = snapshot(*base(crd_gnp("p", spec)))
    assert snap.calico_policies[0].types == read
    (message,) = unvalidated(snap)
    assert "case-insensitively" in message
    assert k8sviz.reachability(snap).can_reach("web/a", "db/d", 80) is ("Ingress" not in read)


# ---------------------------------------------------------------------------------------------
# http: an empty HTTP match is no condition


@pytest.mark.parametrize("http", [{}, {"methods": [], "paths": []}, {"methods": None, "paths": None}])
def test_an_empty_http_match_is_no_condition_and_is_judged(http):
    # Dikastes' matchHTTP takes no methods and no paths as every request (and Felix's rules
    # carry the other matches only), so the rule is a plain Allow of its other matches.
    pol = gnp("l7", {"selector": "app == 'd'", "ingress": [
        {"action": "Allow", "protocol": "TCP", "destination": {"ports": [80]}, "http": http},
        {"action": "Deny"}]})
    snap = snapshot(*base(pol))
    assert snap.unevaluated_policies == ()
    r = k8sviz.reachability(snap)
    assert r.can_reach("web/a", "db/d", 80) and not r.can_reach("web/a", "db/d", 81)


@pytest.mark.parametrize(("rules", "message"), [
    # The validator's ruleUsesAppLayerPolicy tests the field's presence (rule.HTTP != nil).
    ({"ingress": [{"action": "Deny", "http": {}}]}, "http is only valid in Allow rules"),
    ({"egress": [{"action": "Allow", "http": {}}]}, "http is not allowed in egress rules"),
    ({"ingress": [{"action": "Allow", "protocol": "UDP", "http": {}}]}, "http needs protocol TCP"),
    ({"ingress": [{"action": "Allow", "http": "GET"}]}, "http must be an object, not 'GET'"),
])
def test_an_empty_http_match_is_still_held_to_the_validator(rules, message):
    with pytest.raises(PolicyError, match=message):
        snapshot(*base(gnp("l7", {"selector": "app == 'd'", **rules})))


def test_an_http_match_with_methods_or_paths_is_still_not_judged():
    for http in ({"methods": ["GET"]}, {"paths": [{"prefix": "/"}]}):
        pol = gnp("l7", {"selector": "app == 'd'", "ingress": [{"action": "Allow", "http": http}]})
        (p,) = snapshot(*base(pol)).unevaluated_policies
        assert p.unsupported == ("spec.ingress[0].http",)


# ---------------------------------------------------------------------------------------------
# Felix reads an endpoint's own labels before its profiles' (felix/labelindex endpointData
# GetHandle: own labels, then parents), and pods keep every label they carry
# (conversion/workload_endpoint_default.go copies pod.Labels, then sets only
# projectcalico.org/namespace, /orchestrator and /serviceaccount).


def _with_own(labels: dict[str, str]) -> list[dict[str, Any]]:
    """base(), with web/b carrying ``labels`` of its own too."""
    return [pod("web", "b", {"app": "b", **labels}, "10.0.0.2") if o["metadata"].get("name") == "b" else o
            for o in base()]


def test_a_pods_own_pcns_label_is_what_namespace_selectors_see_of_its_namespace():
    deny = gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "source": {"namespaceSelector": "team == 'db'"}}, {"action": "Allow"}]})
    # web/b claims db's team label: rules.go hands Felix pcns.team == 'db', which b's own label meets.
    r = k8sviz.reachability(snapshot(*_with_own({"pcns.team": "db"}), deny))
    assert not r.can_reach("web/b", "db/d", 80) and r.can_reach("web/a", "db/d", 80)
    # And the other way: its own label hides its namespace's.
    from_web = gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "source": {"namespaceSelector": "team == 'web'"}}, {"action": "Allow"}]})
    r = k8sviz.reachability(snapshot(*_with_own({"pcns.team": "x"}), from_web))
    assert r.can_reach("web/b", "db/d", 80) and not r.can_reach("web/a", "db/d", 80)
    # Its namespace's name too (pcns.projectcalico.org/name), but not the mark of a namespaced
    # endpoint, which the pod's conversion sets: global() still excludes it.
    by_name = gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "source": {"namespaceSelector": "projectcalico.org/name == 'db'"}}, {"action": "Allow"}]})
    assert not k8sviz.reachability(snapshot(*_with_own({"pcns.projectcalico.org/name": "db"}), by_name)).can_reach(
        "web/b", "db/d", 80)
    only_global = gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "source": {"namespaceSelector": "global()"}}, {"action": "Allow"}]})
    assert k8sviz.reachability(snapshot(*_with_own({"pcns.projectcalico.org/name": "db"}), only_global)).can_reach(
        "web/b", "db/d", 80)


def test_a_global_policys_namespace_selector_reads_the_pods_own_pcns_label():
    # globalnetworkpolicyprocessor.go ANDs spec.namespaceSelector into the selector with pcns.
    on_db = gnp("g", {"namespaceSelector": "team == 'db'", "egress": [{"action": "Deny"}]})
    snap = snapshot(*_with_own({"pcns.team": "db"}), on_db)
    r = k8sviz.reachability(snap)
    assert not r.can_reach("web/b", "db/d", 80) and r.can_reach("web/a", "db/d", 80)
    assert r.selecting_policies("web/b", "egress") == ["GlobalNetworkPolicy/g"]
    assert r.selecting_policies("web/a", "egress") == []


def test_a_pods_own_pcsa_label_is_what_service_account_selectors_see():
    # web/b runs as "default" (no team label); its own pcsa.team label answers for the account.
    objs = [o for o in _accounts() if o["metadata"].get("name") != "b"]
    objs.append(pod("web", "b", {"app": "b", "pcsa.team": "shop", "pcsa.projectcalico.org/name": "frontend"},
                    "10.0.0.2"))
    by_label = gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "source": {"serviceAccounts": {"selector": "team == 'shop'"}}}, {"action": "Allow"}]})
    snap = snapshot(*objs, by_label)
    assert snap.unevaluated_policies == ()
    r = k8sviz.reachability(snap)
    assert not r.can_reach("web/b", "db/d", 80) and not r.can_reach("web/a", "db/d", 80)
    # The policy's own serviceAccountSelector reads it too.
    subject = gnp("s", {"selector": "all()", "serviceAccountSelector": "projectcalico.org/name == 'frontend'",
                        "egress": [{"action": "Deny"}]})
    assert k8sviz.reachability(snapshot(*objs, subject)).selecting_policies("web/b", "egress") == [
        "GlobalNetworkPolicy/s"]
    # Names are not: rules.go matches them on projectcalico.org/serviceaccount, which the
    # pod's conversion sets from its spec.
    by_name = gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "source": {"serviceAccounts": {"names": ["frontend"]}}}, {"action": "Allow"}]})
    r = k8sviz.reachability(snapshot(*objs, by_name))
    assert r.can_reach("web/b", "db/d", 80) and not r.can_reach("web/a", "db/d", 80)


@pytest.mark.parametrize("kind", ["GlobalNetworkSet", "NetworkSet"])
def test_network_sets_carrying_service_account_labels_match_service_account_rules(kind):
    # A rule's serviceAccounts reaches Felix as a selector (updateprocessors/rules.go): the
    # names as projectcalico.org/serviceaccount in {...}, the selector with pcsa. before each
    # key.  Calico's validator refuses only projectcalico.org/namespace on a network set, so
    # a set may carry those labels, and Felix then matches its addresses.
    def holding_b(labels: dict[str, str]) -> dict[str, Any]:
        return cal(kind, "s", {"nets": ["10.0.0.2/32"]}, "web" if kind == "NetworkSet" else None, labels=labels)

    assert scoped_denies(holding_b({"projectcalico.org/serviceaccount": "frontend"}),
                         {"serviceAccounts": {"names": ["frontend"]}})
    assert not scoped_denies(holding_b({"projectcalico.org/serviceaccount": "frontend"}),
                             {"serviceAccounts": {"names": ["backend"]}})
    assert scoped_denies(holding_b({"pcsa.projectcalico.org/name": "frontend"}),
                         {"serviceAccounts": {"selector": "projectcalico.org/name == 'frontend'"}})
    # pcsa.projectcalico.org/name is not the name rules.go matches names on.
    assert not scoped_denies(holding_b({"pcsa.projectcalico.org/name": "frontend"}),
                             {"serviceAccounts": {"names": ["frontend"]}})
    # Without such labels a set matches a names rule never, a selector rule as the selector
    # reads no label: a test fails, a negation holds.  (web/b itself runs as "default".)
    assert not scoped_denies(holding_b({"kind": "s"}), {"serviceAccounts": {"names": ["frontend"]}})
    assert not scoped_denies(holding_b({"kind": "s"}),
                             {"serviceAccounts": {"selector": "projectcalico.org/name == 'frontend'"}})
    assert scoped_denies(holding_b({"kind": "s"}),
                         {"serviceAccounts": {"selector": "projectcalico.org/name != 'default'"}})
    # Nothing in it is refused or warned of: the validator takes these labels.
    snap = snapshot(*base(holding_b({"projectcalico.org/serviceaccount": "x", "pcsa.team": "shop"})))
    assert unvalidated(snap) == []


def test_network_sets_with_pcsa_labels_match_service_account_label_selectors():
    pcsa_set = cal("GlobalNetworkSet", "s", {"nets": ["10.0.0.2/32"]}, labels={"pcsa.team": "shop"})
    deny = gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "source": {"serviceAccounts": {"selector": "team == 'shop'"}}}, {"action": "Allow"}]})
    snap = snapshot(*_accounts(), pcsa_set, deny)
    assert snap.unevaluated_policies == ()
    r = k8sviz.reachability(snap)
    # web/a by its account's label, web/b (a "default" account without it) by the set's.
    assert not r.can_reach("web/a", "db/d", 80) and not r.can_reach("web/b", "db/d", 80)
    assert k8sviz.reachability(snapshot(*_accounts(), deny)).can_reach("web/b", "db/d", 80)


# ---------------------------------------------------------------------------------------------
# The pod's conversion (conversion/workload_endpoint_default.go) sets
# projectcalico.org/serviceaccount only for a ServiceAccount name shorter than 63 characters;
# rules.go matches serviceAccounts.names on that label, and globalnetworkpolicyprocessor.go
# rewrites the all() left in a GlobalNetworkPolicy's combined selector as has() of it.

LONG = "s" * 62 + "-long"  # 67 characters: a valid ServiceAccount name, no valid label value
EDGE = "e" * 63  # exactly 63: still too long for the conversion (it wants fewer than 63)


def _b_runs_as(name: str, own: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """base(), with web/b running as ServiceAccount ``name`` (and carrying ``own`` labels)."""
    return [_with_sa(pod("web", "b", {"app": "b", **(own or {})}, "10.0.0.2"), name)
            if o["metadata"].get("name") == "b" else o for o in base()]


@pytest.mark.parametrize(("name", "labelled"), [(LONG, False), (EDGE, False), ("e" * 62, True)])
def test_a_long_service_account_name_matches_no_names_rule(name, labelled):
    by_name = gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "source": {"serviceAccounts": {"names": [name]}}}, {"action": "Allow"}]})
    r = k8sviz.reachability(snapshot(*_b_runs_as(name), by_name))
    assert r.can_reach("web/b", "db/d", 80) is not labelled
    assert r.can_reach("web/a", "db/d", 80)
    # The account's name is still what a selector on projectcalico.org/name sees (the
    # ServiceAccount's profile labels it so, whatever its length).
    by_selector = gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "source": {"serviceAccounts": {"selector": f"projectcalico.org/name == '{name}'"}}},
        {"action": "Allow"}]})
    assert not k8sviz.reachability(snapshot(*_b_runs_as(name), by_selector)).can_reach("web/b", "db/d", 80)


def test_a_pod_with_a_long_service_account_name_keeps_its_own_service_account_label():
    # The conversion writes the label over the pod's own only when it sets it: with a long name,
    # a label the pod carries itself is what names rules match.
    objs = _b_runs_as(LONG, {"projectcalico.org/serviceaccount": "frontend"})
    by_name = gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "source": {"serviceAccounts": {"names": ["frontend"]}}}, {"action": "Allow"}]})
    r = k8sviz.reachability(snapshot(*objs, by_name))
    assert not r.can_reach("web/b", "db/d", 80) and r.can_reach("web/a", "db/d", 80)
    # With a short name the conversion's label wins over the pod's.
    short = _b_runs_as("backend", {"projectcalico.org/serviceaccount": "frontend"})
    assert k8sviz.reachability(snapshot(*short, by_name)).can_reach("web/b", "db/d", 80)
    # A rule selector on the label reads the same.
    by_label = gnp("g", {"selector": "app == 'd'", "ingress": [
        {"action": "Deny", "source": {"selector": "projectcalico.org/serviceaccount == 'frontend'"}},
        {"action": "Allow"}]})
    assert not k8sviz.reachability(snapshot(*objs, by_label)).can_reach("web/b", "db/d", 80)


def test_a_global_policys_service_account_all_needs_the_service_account_label():
    objs = _b_runs_as(LONG)
    every_account = gnp("g", {"serviceAccountSelector": "all( )", "egress": [{"action": "Deny"}]})
    r = k8sviz.reachability(snapshot(*objs, every_account))
    # all() became has(projectcalico.org/serviceaccount): web/b, whose account's name is too
    # long for the label, is not selected; web/a ("default") is.
    assert r.selecting_policies("web/b", "egress") == []
    assert r.selecting_policies("web/a", "egress") == ["GlobalNetworkPolicy/g"]
    assert r.can_reach("web/b", "db/d", 80) and not r.can_reach("web/a", "db/d", 80)
    # The selector's own all(), as written, too, when no namespaceSelector took it first ...
    written = gnp("g", {"selector": "all()", "serviceAccountSelector": f"projectcalico.org/name == '{LONG}'",
                        "egress": [{"action": "Deny"}]})
    assert k8sviz.reachability(snapshot(*objs, written)).selecting_policies("web/b", "egress") == []
    # ... but not an absent or empty selector (no all() in its text), nor "all( )" (written
    # with a space: the processor rewrites the selector as written, not its canonical form).
    for spec in ({}, {"selector": ""}, {"selector": "all( )"}):
        absent = gnp("g", {**spec, "serviceAccountSelector": f"projectcalico.org/name == '{LONG}'",
                           "egress": [{"action": "Deny"}]})
        assert k8sviz.reachability(snapshot(*objs, absent)).selecting_policies("web/b", "egress") == [
            "GlobalNetworkPolicy/g"], spec
    with_ns = gnp("g", {"selector": "all()", "namespaceSelector": "all()",
                        "serviceAccountSelector": f"projectcalico.org/name == '{LONG}'", "egress": [{"action": "Deny"}]})
    assert k8sviz.reachability(snapshot(*objs, with_ns)).selecting_policies("web/b", "egress") == [
        "GlobalNetworkPolicy/g"]
    # A pod's own projectcalico.org/serviceaccount label, kept with a long name, answers it.
    labelled = _b_runs_as(LONG, {"projectcalico.org/serviceaccount": "x"})
    assert k8sviz.reachability(snapshot(*labelled, every_account)).selecting_policies("web/b", "egress") == [
        "GlobalNetworkPolicy/g"]


def test_a_namespaced_policys_service_account_all_is_not_rewritten():
    # networkpolicyprocessor.go ANDs the serviceAccountSelector in with no all() rewrite.
    objs = _b_runs_as(LONG)
    np_all = cal("NetworkPolicy", "p", {"selector": "all()", "serviceAccountSelector": "all()",
                                        "egress": [{"action": "Deny"}]}, "web")
    r = k8sviz.reachability(snapshot(*objs, np_all))
    assert r.selecting_policies("web/b", "egress") == ["NetworkPolicy.projectcalico.org/web/p"]
    assert not r.can_reach("web/b", "db/d", 80)


def test_network_set_labels_the_api_server_refuses_are_warned_as_pod_labels_are():
    """Rule selectors match network sets by their labels, as they match pods: a number or an
    invalid key there was compared as text without a word (found by fuzzing)."""
    sets = [cal("GlobalNetworkSet", "g", {"nets": ["8.8.8.0/24"]}, labels={"role": 5}),
            cal("NetworkSet", "s", {"nets": ["10.2.0.0/16"]}, "web", labels={"bad key!": "x"})]
    snap = snapshot(*base(*sets))
    said = {w.obj: w.message for w in snap.warnings if w.code == "invalid-label"}
    assert set(said) == {"GlobalNetworkSet/g", "NetworkSet/web/s"}
    assert said["GlobalNetworkSet/g"].startswith(
        "value of label 'role' is not a string: 5 (a number), compared as '5'")
