"""Property tests: explain() names the policies and rules the plain reference evaluator names.

test_properties.py checks the verdicts; an auditor signs on the reasons: which policies select
each end, which rule of which policy allowed the connection (or that none did), and, where
tiers decide, which rule of which tier decided or passed it on.
"""

from __future__ import annotations

import os
import re

from hypothesis import HealthCheck, given, settings

import k8sviz

from . import reference
from .helpers import snapshot
from .test_properties import clusters, judged_pairs

#: Connections explained per pair: a port most rules name, one a named port or a range may give,
#: and one few rules name (so that isolation and tier ends decide too).
EXPLAINED = ((80, "TCP"), (53, "UDP"), (444, "TCP"))

# 150 examples each keep the three tests under a minute; K8SVIZ_EXPLAIN_EXAMPLES runs more.
_SETTINGS = settings(max_examples=int(os.environ.get("K8SVIZ_EXPLAIN_EXAMPLES", "150")), deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _named(side):
    """What an explain() side names, in the reference's terms."""

    def decision(d):
        return None if d is None else (d.match.policy, d.match.rule, d.action)

    return {
        "admin": decision(side.admin),
        "policies": list(side.policies),
        "allowed_by": [(m.policy, m.rule) for m in side.allowed_by],
        "baseline": decision(side.baseline),
        "steps": [(d.tier, d.match.policy, d.match.rule, d.action) for d in side.steps],
    }


def _explains_as_reference(case, *, calico=False):
    objs, match_pods = case
    snap = snapshot(*objs)
    r = k8sviz.reachability(snap, ipblocks_match_pods=match_pods)
    for s, d, sk, dk in judged_pairs(snap):
        for port, proto in EXPLAINED:
            _sides_as_reference(snap, r.explain(sk, dk, port, proto), s, d, match_pods, calico=calico)


def _sides_as_reference(snap, v, s, d, match_pods, *, calico=False):
    """Both sides of verdict ``v`` of ``s`` -> ``d`` name what the reference names, and every
    rule they cite reads as the place it names."""
    for side, ep, other, direction in ((v.egress, s, d, "egress"), (v.ingress, d, s, "ingress")):
        want = reference.explain_side(snap, ep, other, v.protocol, v.port, direction, match_pods)
        got = _named(side)
        if calico:
            # The default tier's rules come in its order, NetworkPolicies by name; the
            # engine keeps their order only where Calico policies share the tier.
            got["allowed_by"].sort()
            want["allowed_by"].sort()
        where = (v.src, v.dst, v.protocol, v.port, direction, str(v))
        assert got == want, where
        # The reference's reasons give its own verdict (and so the engine's).
        final = next((step[3] for step in want["steps"] if step[3] != "pass"), None)
        assert (final != "deny") == side.allowed, where
        for m, action in _cited(side):
            assert _text_names(snap, m, action), (m, action, *where)


def _cited(side):
    """Every rule ``side`` cites, with the action it is cited for."""
    out = [(m, "allow") for m in side.allowed_by]
    out += [(d.match, d.action) for d in (side.admin, side.baseline, *side.steps) if d is not None]
    return out


_CILIUM_PLACE = re.compile(r"(?:specs\[(\d+)\]\.)?(ingress|egress)(Deny)?\[(\d+)\]: (allow|deny) ")
_ADMIN_KINDS = ("AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy")


def _text_names(snap, m, action):
    """Whether ``m.text`` says what its structured fields say: the policy's kind of rule, in
    ``m.direction``, at index ``m.rule`` of that policy (or its closing rule, -1), with
    ``action``.  Text and fields are made apart, so that an explanation citing one rule while
    showing another fails here."""
    if m.implicit:  # the node-local exception
        return m.policy.startswith("node/") and m.rule == -1 and action == "allow"
    if m.policy.startswith("Tier/"):
        return m.rule == -1 and m.text.startswith(f"end of tier {m.policy[5:]}: {action} ")
    kind = m.policy.split("/", 1)[0]
    if kind in _ADMIN_KINDS:
        pol = next(p for p in snap.admin_policies if f"{p.kind}/{p.name}" == m.policy)
        said = "deny" if "(read as deny everything" in m.text else m.text.split(" ", 1)[0].lower()
        return (0 <= m.rule < len(getattr(pol, m.direction))
                and {"accept": "allow"}.get(said, said) == action)
    if kind.startswith("Cilium"):
        pol = next(p for p in snap.cilium_policies if p.ref == m.policy)
        if m.rule == -1:
            return action == "deny" and re.match(r"(specs\[\d+\]\.)?default deny: ", m.text) is not None
        place = _CILIUM_PLACE.match(m.text)
        if place is None or place[2] != m.direction or place[5] != action:
            return False
        # An entry's index counts the policy's entries for the direction, spec by spec, allow
        # entries before deny entries.
        spec = int(place[1] or 0)
        if place[1] is None and len(pol.rules) != 1:
            return False
        counts = [(len(getattr(r, m.direction)), len(getattr(r, f"{m.direction}_deny"))) for r in pol.rules]
        index = sum(a + d for a, d in counts[:spec]) + (counts[spec][0] if place[3] else 0) + int(place[4])
        return index == m.rule
    calico = next((p for p in snap.calico_policies if p.ref == m.policy), None)
    if calico is not None:
        return (0 <= m.rule < len(getattr(calico, m.direction))
                and m.text.split(" ", 1)[0] == action.capitalize())
    pol = next(p for p in snap.network_policies if p.key == m.policy)
    if m.rule == -1:
        return action == "deny" and m.text.startswith("isolation: ")
    return (action == "allow" and 0 <= m.rule < len(getattr(pol, m.direction))
            and m.text.startswith("from " if m.direction == "ingress" else "to "))



@_SETTINGS
@given(clusters())
def test_explain_names_the_networkpolicy_rules_of_the_reference(case):
    """NetworkPolicy only: the selecting policies and every allowing rule (allows add up)."""
    _explains_as_reference(case)


@_SETTINGS
@given(clusters(admin=True))
def test_explain_names_the_admin_tier_rules_of_the_reference(case):
    """AdminNetworkPolicy / ClusterNetworkPolicy, NetworkPolicy and the baseline: the first
    matching admin and baseline rules, and the tier that decided."""
    _explains_as_reference(case)


@_SETTINGS
@given(clusters(admin=True, calico=True))
def test_explain_names_the_calico_tier_rules_of_the_reference(case):
    """Calico tiers around NetworkPolicy and the admin tiers: every tier's first matching rule,
    up to the one that decided, and tier ends."""
    _explains_as_reference(case, calico=True)


@_SETTINGS
@given(clusters(admin=True, cilium=True))
def test_explain_names_the_cilium_rules_of_the_reference(case):
    """Cilium's rules in NetworkPolicy's tier, inside the admin tiers: the deny that decided,
    or every allowing rule and entry, and the policies that put the pod in default deny."""
    _explains_as_reference(case)
