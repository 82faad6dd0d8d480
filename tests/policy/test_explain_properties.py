"""Property tests: explain() names the policies and rules the plain reference evaluator names.

test_properties.py checks the verdicts; an auditor signs on the reasons: which policies select
each end, which rule of which policy allowed the connection (or that none did), and, where
tiers decide, which rule of which tier decided or passed it on.
"""

from __future__ import annotations

import os
import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import k8sviz
from k8sviz.errors import QueryError

from . import reference
from .helpers import snapshot
from .test_properties import (
    EXTERNAL,
    calico_ip_family_clusters,
    calico_network_set_clusters,
    calico_service_account_clusters,
    calico_service_clusters,
    cilium_apiserver_clusters,
    cilium_egress_named_clusters,
    cilium_l7_clusters,
    cilium_service_clusters,
    cilium_world_clusters,
    clusters,
    judged_pairs,
    requiring_clusters,
)

#: Connections explained per pair: a port most rules name, one a named port or a range may give,
#: and one few rules name (so that isolation and tier ends decide too).
EXPLAINED = ((80, "TCP"), (53, "UDP"), (444, "TCP"))

# 150 examples each keep the three tests under a minute; K8SVIZ_EXPLAIN_EXAMPLES runs more.
_SETTINGS = settings(max_examples=int(os.environ.get("K8SVIZ_EXPLAIN_EXAMPLES", "150")), deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# The tests below, about 35 s together at these numbers; the same variable runs more.
_MORE = int(os.environ.get("K8SVIZ_EXPLAIN_EXAMPLES", "0")) or None
_ENDPOINTS = settings(_SETTINGS, max_examples=_MORE or 40)
_FOCUSED = settings(_SETTINGS, max_examples=_MORE or 50)


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


# ------------------------------------------------------------------------------ endpoints by name or address

#: Workload names: two, and one that is also a pod's name (the pod's wins where both are).
WORKLOADS = ["web", "db", "p1"]


@st.composite
def workload_clusters(draw, **flavour):
    """``clusters(**flavour)`` whose pods some StatefulSets own (so a workload has 1-5 pods),
    maybe with a pod that has ended and whose address a running pod now holds (listed first:
    the address is the running pod's)."""
    objs, match_pods = draw(clusters(**flavour))
    pods = [o for o in objs if o["kind"] == "Pod" and o["metadata"]["name"] != "cilium-x"]
    for o in pods:
        owner = draw(st.sampled_from([None, *WORKLOADS]))
        if owner is not None:
            o["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "StatefulSet",
                                                 "name": owner, "uid": f"u-{owner}", "controller": True}]
    if draw(st.booleans()):
        held = draw(st.sampled_from(pods))
        ended = {**held, "metadata": {**held["metadata"], "name": "old"},
                 "status": {**held["status"], "phase": draw(st.sampled_from(["Succeeded", "Failed"]))}}
        objs.append(ended)
    return objs, match_pods


def _refs(snap):
    """What a query may name: pods, workloads, the pods' addresses (hostNetwork ones are their
    node's), and addresses outside the pods."""
    addresses = {ip for p in snap.pods for ip in (*p.ips, *([p.host_ip] if p.host_ip else []))}
    return sorted({*(p.key for p in snap.pods), *(p.workload_key for p in snap.pods), *addresses, *EXTERNAL})


def _queries_as_reference(case, data):
    objs, match_pods = case
    snap = snapshot(*objs)
    r = k8sviz.reachability(snap, ipblocks_match_pods=match_pods)
    refs = st.sampled_from(_refs(snap))
    # Workloads of several pods half the time: where their pairs differ, which one explain picks.
    several = [w for w, n in Counter(p.workload_key for p in snap.pods).items() if n > 1]
    if several:
        refs = st.one_of(st.sampled_from(several), refs)
    calico = bool(snap.calico_policies or snap.calico_tiers)
    for src, dst in data.draw(st.lists(st.tuples(refs, refs), min_size=1, max_size=12, unique=True)):
        pairs = reference.query_pairs(snap, src, dst)
        for port, proto in EXPLAINED:
            if not pairs:  # a pod to itself, or two outside addresses
                with pytest.raises(QueryError):
                    r.can_reach(src, dst, port, proto)
                with pytest.raises(QueryError):
                    r.explain(src, dst, port, proto)
                continue
            want = reference.query_allowed(snap, src, dst, proto, port, match_pods)
            assert r.can_reach(src, dst, port, proto) == want, (src, dst, proto, port)
            v = r.explain(src, dst, port, proto)
            s, d = reference.explained_pair(snap, src, dst, proto, port, match_pods)
            # The pair judged, by pod key, or by the address given (with the block it falls in).
            assert (v.src.split(" (in ")[0], v.dst.split(" (in ")[0]) == (
                getattr(s, "key", s), getattr(d, "key", d)), (src, dst, str(v))
            assert v.allowed == reference.allowed(snap, s, d, proto, port, match_pods), (src, dst, str(v))
            _sides_as_reference(snap, v, s, d, match_pods, calico=calico)


@_ENDPOINTS
@given(workload_clusters(), st.data())
def test_queries_by_workload_and_address_name_what_the_reference_does(case, data):
    """NetworkPolicy only: can_reach on workloads is any pod pair, explain the first pair that
    connects (else the first), an address the pod holding it (a running one first) or itself."""
    _queries_as_reference(case, data)


@_ENDPOINTS
@given(workload_clusters(admin=True, cilium=True), st.data())
def test_queries_by_workload_and_address_with_cilium_and_admin_tiers(case, data):
    """The same, where Cilium's rules and the admin tiers decide (node addresses included)."""
    _queries_as_reference(case, data)


@_ENDPOINTS
@given(st.one_of(workload_clusters(admin=True, calico=True),
                 workload_clusters(admin=True, calico=True, cilium=True)), st.data())
def test_queries_by_workload_and_address_with_calico_tiers(case, data):
    """The same, through Calico's tiers (with Cilium's rules or not), where network sets and
    nets match addresses too."""
    _queries_as_reference(case, data)


# ------------------------------------------------------------------------------ the focused clusters

#: The focused clusters of test_properties.py, around one feature each, and whether Calico's
#: tiers judge them.
FOCUSED = {
    "calico network sets": (calico_network_set_clusters, True),
    "calico services": (calico_service_clusters, True),
    "calico service accounts": (calico_service_account_clusters, True),
    "calico ip versions": (calico_ip_family_clusters, True),
    "cilium services": (cilium_service_clusters, False),
    "cilium kube-apiserver": (cilium_apiserver_clusters, False),
    "cilium world": (cilium_world_clusters, False),
    "cilium l7": (cilium_l7_clusters, False),
    "cilium requires": (requiring_clusters, False),
}


@pytest.mark.parametrize("name", list(FOCUSED))
@_FOCUSED
@given(data=st.data())
def test_explain_names_the_rules_of_the_reference_on_focused_clusters(name, data):
    """Network sets, Services, ServiceAccounts and IP versions in Calico rules; Services, the
    API server, world, L7 rules and requirements in Cilium's (egress named ports: below): the
    rules explain names are the reference's."""
    strategy, calico = FOCUSED[name]
    _explains_as_reference(data.draw(strategy()), calico=calico)


@settings(_SETTINGS, max_examples=_MORE or 100)
@given(clusters(admin=True, calico=True, cilium=True))
def test_explain_names_the_rules_of_the_reference_with_calico_and_cilium(case):
    """Calico and Cilium policies both evaluated (cni-policies-mixed): Cilium's rules in the
    default tier, its denies and allows first, its default deny the tier's end."""
    _explains_as_reference(case, calico=True)


@settings(_SETTINGS, max_examples=_MORE or 20)
@given(cilium_egress_named_clusters())
def test_explain_notes_what_an_egress_named_port_resolved_to(case):
    """Egress named ports the cluster's pods give one number, several or none (Cilium 1.18, 1.19,
    1.20, no release): explain names the reference's rules; where it says an egress rule's named
    port matched through the cluster's number, or did not for a duplicate, the reference
    resolves the name so and the destination's own ports read otherwise; its verdict is
    can_reach's and the reference's."""
    objs, _ = case
    snap = snapshot(*objs)
    r = k8sviz.reachability(snap)
    wide = reference._cluster_wide_egress(snap, "egress")
    for s, d, sk, dk in judged_pairs(snap):
        for port, proto in EXPLAINED:
            v = r.explain(sk, dk, port, proto)
            assert v.allowed == r.can_reach(sk, dk, port, proto) == reference.allowed(snap, s, d, proto, port)
            _sides_as_reference(snap, v, s, d, False)
            notes = [n for n in v.notes if "names the port 'http'" in n]
            assert wide or not notes, str(v)
            gives = not isinstance(d, str) and reference._named(snap, d, "http", proto, port)
            number = reference._egress_named_number(snap, "http", proto)
            if wide and v.allowed != _per_destination(snap, s, d, proto, port):
                # The verdict is what it is for the cluster's number: explain says so.
                assert notes, str(v)
            for n in notes:
                # An allow or a deny entry.
                if re.search(f"so the rule (allows|denies) {proto}/{port} towards every peer", n):
                    assert number == port and not gives, str(v)
                else:
                    said = f"so the rule does not (allow|deny) {proto}/{port} towards {re.escape(v.dst)}"
                    assert re.search(said, n), str(v)
                    assert number != port and gives, str(v)


def _per_destination(snap, s, d, proto, port):
    """The reference's verdict were egress named ports resolved on the destination (Cilium 1.20)."""
    wide = reference._cluster_wide_egress
    reference._cluster_wide_egress = lambda snap, direction: False
    try:
        return reference.allowed(snap, s, d, proto, port)
    finally:
        reference._cluster_wide_egress = wide
