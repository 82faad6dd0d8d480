"""The tiered core on hand-made rules: first match wins, Deny before later Allows, Pass skips a tier."""

from __future__ import annotations

import numpy as np

from k8sviz.policy.engine import CoreRule, EndpointSet, Engine, PortSel
from k8sviz.policy.ports import PortSpace


def ents(*idx):
    return EndpointSet(ents=np.asarray(idx, dtype=np.int64))


def run(rules, n=3):
    space = PortSpace({"TCP": {80, 81}})
    ent_lc = np.full(n, -1, dtype=np.int64)
    e = Engine(ent_lc, 0, {}, space, rules)
    return e, space


def allowed(e, space, a, b, port):
    atom = space.atom("TCP", port)
    return bool(int(e.matrix[e.bmap[a], e.bmap[b], 0]) >> atom & 1)


def test_admin_deny_before_networkpolicy_allow():
    space = PortSpace({"TCP": {80, 81}})
    p80 = PortSel(space.range_bits("TCP", 80, 80))
    rules = [
        CoreRule(10, 0, "deny", "ingress", ents(1), ents(0), p80),
        CoreRule(100, 0, "allow", "ingress", ents(1), EndpointSet(everything=True), PortSel(space.all)),
        CoreRule(100, 1, "deny", "ingress", ents(1), EndpointSet(everything=True), PortSel(space.all)),
    ]
    e, space = run(rules)
    assert not allowed(e, space, 0, 1, 80) and allowed(e, space, 0, 1, 81) and allowed(e, space, 2, 1, 80)


def test_pass_skips_rest_of_tier_and_allow_shadows_later_deny():
    space = PortSpace({"TCP": {80, 81}})
    allp = PortSel(space.all)
    rules = [
        CoreRule(10, 0, "pass", "egress", ents(0), ents(1), allp),
        CoreRule(10, 1, "deny", "egress", ents(0), EndpointSet(everything=True), allp),
        CoreRule(20, 0, "allow", "egress", ents(0), ents(2), allp),  # shadowed: tier 10 denied 0->2
        CoreRule(20, 1, "deny", "egress", ents(0), ents(1), PortSel(space.range_bits("TCP", 80, 80))),
    ]
    e, space = run(rules)
    assert not allowed(e, space, 0, 1, 80) and allowed(e, space, 0, 1, 81)  # passed, then denied on 80 only
    assert not allowed(e, space, 0, 2, 80)
    assert allowed(e, space, 1, 0, 80)  # undecided: allowed
