"""Property tests: explain() names the policies and rules the plain reference evaluator names.

test_properties.py checks the verdicts; an auditor signs on the reasons: which policies select
each end, which rule of which policy allowed the connection (or that none did), and, where
tiers decide, which rule of which tier decided or passed it on.
"""

from __future__ import annotations

import os

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
            v = r.explain(sk, dk, port, proto)
            for side, ep, other, direction in ((v.egress, s, d, "egress"), (v.ingress, d, s, "ingress")):
                want = reference.explain_side(snap, ep, other, proto, port, direction, match_pods)
                got = _named(side)
                if calico:
                    # The default tier's rules come in its order, NetworkPolicies by name; the
                    # engine keeps their order only where Calico policies share the tier.
                    got["allowed_by"].sort()
                    want["allowed_by"].sort()
                assert got == want, (sk, dk, proto, port, direction, str(v))
                # The reference's reasons give its own verdict (and so the engine's).
                final = next((step[3] for step in want["steps"] if step[3] != "pass"), None)
                assert (final != "deny") == side.allowed, (sk, dk, proto, port, direction, str(v))


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
