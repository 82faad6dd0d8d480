"""The network-policy-api conformance scenarios, as facts, against k8sviz's admin tiers.

kubernetes-sigs/network-policy-api ships a conformance suite (``conformance/``): a model cluster
(``base/manifests.yaml``: one namespace per Hogwarts house, a two-replica StatefulSet in each, a
hostNetwork StatefulSet in ``forbidden-forrest``) and tests that apply admin policies and poke
servers on TCP/UDP/SCTP ports.  Each test here is named after the upstream test it ports
(``ShortName``) and checks every connection that test checks, with ``reach.can_reach``.

Versions.  Upstream's history covers two generations, both ported:

* AdminNetworkPolicy / BaselineAdminNetworkPolicy (``policy.networking.k8s.io/v1alpha1``;
  tests ``AdminNetworkPolicy*`` and ``BaselineAdminNetworkPolicy*``);
* ClusterNetworkPolicy (``v1alpha2``, then ``v1beta1``: ``tier`` Admin or Baseline, ``Accept``,
  ``protocols``; tests ``CNPAdminTier*`` and ``CNPBaselineTier*``).

Each scenario's facts (subjects, rule order and actions, peers, ports, expected verdicts) are
the same in both generations; the policies are written once here and rendered per API: v1alpha1
in its final peer shape (``namespaces: <LabelSelector>``) and, for the scenarios whose stored
manifests use it, in the first v1alpha1 revisions' shape too (``namespaces: {namespaceSelector:
...}``, ``pods: {namespaces: {namespaceSelector: ...}, podSelector: ...}``: ``EARLY``);
ClusterNetworkPolicy as v1beta1 (``protocols``; several stored CNP manifests are from the
migration and still say ``ports``/``Allow``), with a spot check as v1alpha2.

Disagreement found: k8sviz read the first v1alpha1 revisions' peers (``EARLY``) as selecting
every namespace, where upstream's verdicts (and those revisions' API types) select the nested
``namespaceSelector``'s; the parser now reads that shape (``k8sviz/model.py``).

Adapted, since a snapshot is static:

* rules swapped, actions changed, a priority changed or a NetworkPolicy deleted in the middle of
  a test: each step is its own snapshot of the policies as they stand after the edits so far
  (upstream's edits accumulate from step to step, and so do ours);
* the hostNetwork ports upstream picks at run time (``.HostNetworkPorts``) are fixed numbers;
  node and pod addresses are ours, and the CIDRs upstream builds from pod IPs use them.

Not ported:

* ``CNPAdminTierHairpin`` from a pod to itself through its Service: k8sviz does not judge a pod's
  traffic to itself (``can_reach`` refuses the query); the same Deny between the two pods behind
  that Service is checked instead;
* FQDN peers (``domainNames``), which k8sviz cannot resolve from a snapshot (such a peer matches
  nothing, with a warning); none of the tests ported here needs one;
* the ``professor-*`` pods of an old revision's ``hogwarts-staff`` namespace (the stored base
  manifests no longer create it), and the stored port-range manifests against the
  ``durmstrang`` namespace and ``standard-gress-omitted-namespaceselector.yaml``, whose tests
  are not among the stored files: there are no upstream verdicts to port for them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

import k8sviz

from .helpers import netpol, node, snapshot

# ----------------------------------------------------------------------------------------------
# The model cluster of base/manifests.yaml

HOUSES = {  # house -> StatefulSet
    "gryffindor": "harry-potter",
    "slytherin": "draco-malfoy",
    "hufflepuff": "cedric-diggory",
    "ravenclaw": "luna-lovegood",
    "durmstrang": "viktor-krum",
}
FOREST = "forbidden-forrest"  # upstream's spelling
NODES = {"node-0": "172.18.0.2", "node-1": "172.18.0.3"}
HOST_PORTS = (36363, 36364, 36365, 36366, 36367, 36368, 36369, 36370)  # .HostNetworkPorts, fixed


def ns_name(house: str) -> str:
    return f"network-policy-conformance-{house}"


def ref(house: str, i: int) -> str:
    """``namespace/pod`` of replica ``i`` of the house's StatefulSet (``centaur`` in the forest)."""
    return f"{ns_name(house)}/{HOUSES.get(house, 'centaur')}-{i}"


def _container_ports(house: str) -> list[dict[str, Any]]:
    # The servers of each house pod; only 80 ("web") and 53 ("dns") are named, as upstream does
    # (durmstrang names them all).
    named = (
        {80: "web", 53: "dns"}
        if house != "durmstrang"
        else {80: "web", 8080: "web-8080", 53: "dns", 5353: "dns-sd"}
    )
    out = []
    for port, proto in (
        (80, "TCP"),
        (8080, "TCP"),
        (5353, "UDP"),
        (53, "UDP"),
        (9003, "SCTP"),
        (9005, "SCTP"),
    ):
        entry: dict[str, Any] = {"containerPort": port, "protocol": proto}
        if port in named:
            entry["name"] = named[port]
        out.append(entry)
    return out


def _pod(
    namespace: str, name: str, house: str, ip: str, node_name: str, ports: list[dict[str, Any]], host: bool
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "namespace": namespace,
            "name": name,
            # The StatefulSet controller adds the pod-name label; upstream's policies select it.
            "labels": {"conformance-house": house, "statefulset.kubernetes.io/pod-name": name},
        },
        "spec": {
            "nodeName": node_name,
            "hostNetwork": host,
            "containers": [{"name": "server", "image": "agnhost", "ports": ports}],
        },
        "status": {"podIP": ip, "hostIP": NODES[node_name], "phase": "Running"},
    }


def base_cluster() -> list[dict[str, Any]]:
    """Namespaces, nodes and pods of the conformance profile's base manifests."""
    objs: list[dict[str, Any]] = []
    for name, ip in NODES.items():
        objs.append(node(name, ip, **{"kubernetes.io/os": "linux"}))
    for h, (house, sts) in enumerate(HOUSES.items()):
        objs.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": ns_name(house), "labels": {"conformance-house": house}},
            }
        )
        for i, node_name in enumerate(NODES):
            objs.append(
                _pod(
                    ns_name(house),
                    f"{sts}-{i}",
                    house,
                    f"10.244.{h}.{10 + i}",
                    node_name,
                    _container_ports(house),
                    False,
                )
            )
    objs.append(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns_name(FOREST), "labels": {"conformance-house": FOREST}},
        }
    )
    forest_ports = [
        {"containerPort": HOST_PORTS[0], "protocol": "TCP", "name": f"web-{HOST_PORTS[0]}"},
        {"containerPort": HOST_PORTS[1], "protocol": "TCP", "name": f"web-{HOST_PORTS[1]}"},
        {"containerPort": HOST_PORTS[2], "protocol": "UDP", "name": f"dns-{HOST_PORTS[2]}"},
        {"containerPort": HOST_PORTS[4], "protocol": "UDP", "name": f"dns-{HOST_PORTS[4]}"},
        {"containerPort": HOST_PORTS[6], "protocol": "SCTP"},
        {"containerPort": HOST_PORTS[7], "protocol": "SCTP"},
    ]
    for i, (node_name, ip) in enumerate(NODES.items()):
        # hostNetwork: the pod's address is its node's.
        objs.append(_pod(ns_name(FOREST), f"centaur-{i}", FOREST, ip, node_name, forest_ports, True))
    return objs


# ----------------------------------------------------------------------------------------------
# Policies, written once and rendered per API version

PortSpec = tuple[str, int] | tuple[str, int, int] | str  # (proto, port) | (proto, start, end) | port name
Dialect = str  # "v1alpha1" (ANP/BANP), "v1alpha2" or "v1beta1" (ClusterNetworkPolicy)
EARLY = "v1alpha1-early"  # ANP/BANP v1alpha1 with the first revisions' nested namespace selectors


def in_ns(house: str) -> dict[str, Any]:
    """A ``namespaces`` peer selecting the house's namespace by its name label."""
    return {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": ns_name(house)}}}


def house_pods(house: str) -> dict[str, Any]:
    """A ``pods`` peer (or subject): the house's pods in the house's namespace, by labels."""
    return {
        "pods": {
            "namespaceSelector": {"matchLabels": {"conformance-house": house}},
            "podSelector": {"matchLabels": {"conformance-house": house}},
        }
    }


@dataclass
class Rule:
    action: str  # Accept (Allow in v1alpha1), Deny, Pass
    peers: list[dict[str, Any]]
    ports: Sequence[PortSpec] | None = None
    name: str = ""

    def render(self, direction: str, dialect: Dialect) -> dict[str, Any]:
        anp = dialect.startswith("v1alpha1")
        peers = [_early_peer(p) for p in self.peers] if dialect == EARLY else copy.deepcopy(self.peers)
        out: dict[str, Any] = {
            "action": "Allow" if (self.action == "Accept" and anp) else self.action,
            "from" if direction == "ingress" else "to": peers,
        }
        if self.name:
            out["name"] = self.name
        if self.ports is not None:
            if anp:
                out["ports"] = [_anp_port(p) for p in self.ports]
            else:
                out["protocols"] = [_cnp_protocol(p) for p in self.ports]
        return out


def _early_peer(peer: dict[str, Any]) -> dict[str, Any]:
    """A peer in the first v1alpha1 revisions' shape, as upstream's stored ``core-*`` manifests
    write it: the namespace selector nested one level deeper."""
    if "namespaces" in peer:
        return {"namespaces": {"namespaceSelector": copy.deepcopy(peer["namespaces"])}}
    if "pods" in peer:
        pods = peer["pods"]
        return {
            "pods": {
                "namespaces": {"namespaceSelector": copy.deepcopy(pods.get("namespaceSelector", {}))},
                "podSelector": copy.deepcopy(pods["podSelector"]),
            }
        }
    return copy.deepcopy(peer)


def _anp_port(p: PortSpec) -> dict[str, Any]:
    if isinstance(p, str):
        return {"namedPort": p}
    if len(p) == 2:
        return {"portNumber": {"protocol": p[0], "port": p[1]}}
    return {"portRange": {"protocol": p[0], "start": p[1], "end": p[2]}}  # type: ignore[misc]


def _cnp_protocol(p: PortSpec) -> dict[str, Any]:
    if isinstance(p, str):
        return {"destinationNamedPort": p}
    dest: dict[str, Any] = {"number": p[1]} if len(p) == 2 else {"range": {"start": p[1], "end": p[2]}}  # type: ignore[misc]
    return {p[0].lower(): {"destinationPort": dest}}


@dataclass
class Policy:
    name: str
    tier: str  # Admin or Baseline
    priority: int
    subject: dict[str, Any]
    ingress: list[Rule] | None = None
    egress: list[Rule] | None = None

    def render(self, dialect: Dialect) -> dict[str, Any]:
        spec: dict[str, Any] = {"subject": copy.deepcopy(self.subject)}
        if dialect.startswith("v1alpha1"):
            kind = "AdminNetworkPolicy" if self.tier == "Admin" else "BaselineAdminNetworkPolicy"
            api = "policy.networking.k8s.io/v1alpha1"
            if self.tier == "Admin":
                spec["priority"] = self.priority
        else:
            kind, api = "ClusterNetworkPolicy", f"policy.networking.k8s.io/{dialect}"
            spec.update(tier=self.tier, priority=self.priority)
        for direction in ("ingress", "egress"):
            rules = getattr(self, direction)
            if rules is not None:
                spec[direction] = [r.render(direction, dialect) for r in rules]
        return {"apiVersion": api, "kind": kind, "metadata": {"name": self.name}, "spec": spec}


def swap(direction: str, i: int, j: int) -> Callable[[Policy], None]:
    """The edit upstream makes mid-test: exchange two rules of one direction."""

    def edit(pol: Policy) -> None:
        rules = getattr(pol, direction)
        rules[i], rules[j] = rules[j], rules[i]

    return edit


Probe = tuple[str, str, str, int, bool]  # src, dst, protocol, port, expected


def check(
    objs: Iterable[dict[str, Any]], probes: Iterable[Probe], expected_warnings: Sequence[str] = ()
) -> None:
    """Every probe's verdict, reported all at once.  The policies must read cleanly: a peer read
    as unknown would fail closed and could pass a Deny probe by accident."""
    snap = snapshot(*base_cluster(), *objs)
    assert not snap.warnings
    reach = k8sviz.reachability(snap)
    admin_warnings = sorted({w.code for w in reach.warnings if w.code.startswith("admin-")})
    assert admin_warnings == sorted(expected_warnings)
    wrong = [
        (s, d, proto, port, want)
        for s, d, proto, port, want in probes
        if reach.can_reach(s, d, port, proto) != want
    ]
    assert not wrong, "k8sviz disagrees (src, dst, protocol, port, upstream's verdict): " + repr(wrong)


DIALECTS = ("v1alpha1", "v1beta1")


# ----------------------------------------------------------------------------------------------
# Rule ordering, per protocol and direction (…IngressTCP, …EgressUDP, …)
#
# Each of these tests has the same shape.  The subject's rules, in order: Accept, Deny and Pass
# everything with house A; Deny then Pass house B on one port; Accept house C on one port, then
# Deny C everything (the baseline tier has no Pass: 5 rules).  Steps: as written; swap rules 0
# and 1 (A denied); then (admin) swap 0 and 2 (A passed: nothing below decides, allowed) and swap
# 3 and 4 (B passed on its port).


@dataclass(frozen=True)
class Ordering:
    v1alpha1_name: str
    cnp_name: str
    tier: str
    direction: str
    protocol: str
    subject: str
    a: str
    b: str
    c: str
    b_port: int
    c_port: int
    other: dict[int, int]  # the second port each probe pair uses
    priority: int
    reverse_unaffected: bool = False  # newer revisions check the other direction is untouched

    def policy(self) -> Policy:
        def p(port: int) -> list[PortSpec]:
            return [(self.protocol, port)]

        rules = [Rule("Accept", [in_ns(self.a)]), Rule("Deny", [in_ns(self.a)])]
        if self.tier == "Admin":
            rules.append(Rule("Pass", [in_ns(self.a)]))
        rules.append(Rule("Deny", [in_ns(self.b)], p(self.b_port)))
        if self.tier == "Admin":
            rules.append(Rule("Pass", [in_ns(self.b)], p(self.b_port)))
        rules += [Rule("Accept", [in_ns(self.c)], p(self.c_port)), Rule("Deny", [in_ns(self.c)])]
        name = f"{self.direction}-{self.protocol.lower()}" if self.tier == "Admin" else "default"
        subject = {"namespaces": in_ns(self.subject)["namespaces"]}
        return Policy(name, self.tier, self.priority, subject, **{self.direction: rules})

    def probe(self, peer: str, i: int, port: int, want: bool) -> Probe:
        """Replica ``i`` of the peer house talks to the subject (ingress) or the other way (egress)."""
        if self.direction == "ingress":
            return (ref(peer, i), ref(self.subject, 0), self.protocol, port, want)
        return (ref(self.subject, i), ref(peer, 0), self.protocol, port, want)

    def both_ports(self, peer: str, port: int, want: bool) -> list[Probe]:
        return [self.probe(peer, i, p, want) for i in (0, 1) for p in (port, self.other[port])]

    def steps(self) -> list[tuple[Callable[[Policy], None] | None, list[Probe]]]:
        d, b, c = self.direction, self.b_port, self.c_port
        steps: list[tuple[Callable[[Policy], None] | None, list[Probe]]] = [
            # allow-<dir> with rule ordering; allow at the specified port, the rest of C denied
            (
                None,
                [
                    *self.both_ports(self.a, b, True),
                    self.probe(self.c, 0, c, True),
                    self.probe(self.c, 1, self.other[c], False),
                ],
            ),
            # deny-<dir> with rule ordering: Deny now comes before Accept
            (swap(d, 0, 1), self.both_ports(self.a, b, False)),
            # deny at the specified port; B's other ports match no rule
            (None, [self.probe(self.b, 0, b, False), self.probe(self.b, 1, self.other[b], True)]),
        ]
        if self.reverse_unaffected:
            # "Should not affect egress traffic when only ingress rules are specified" (and the
            # reverse): the subject's other direction, even towards B on B's port.
            flip = "egress" if d == "ingress" else "ingress"
            back = Ordering(**{**self.__dict__, "direction": flip})
            steps.insert(1, (None, [back.probe(self.a, 0, 80, True), back.probe(self.b, 1, 80, True)]))
        if self.tier == "Admin":
            steps += [
                # pass-<dir> with rule ordering: Pass first (nothing below decides: allowed)
                (swap(d, 0, 2), self.both_ports(self.a, b, True)),
                # pass at the specified port
                (swap(d, 3, 4), [self.probe(self.b, 0, b, True), self.probe(self.b, 1, self.other[b], True)]),
            ]
        return steps


TCP = {80: 8080, 8080: 80}
UDP = {53: 5353, 5353: 53}
SCTP = {9003: 9005, 9005: 9003}

ORDERINGS = [
    # Admin tier: ANP v1alpha1 / admin CNP
    Ordering(
        "AdminNetworkPolicyIngressTCP",
        "CNPAdminTierIngressTCP",
        "Admin",
        "ingress",
        "TCP",
        "gryffindor",
        "ravenclaw",
        "slytherin",
        "hufflepuff",
        80,
        80,
        TCP,
        3,
        reverse_unaffected=True,
    ),
    Ordering(
        "AdminNetworkPolicyEgressTCP",
        "CNPAdminTierEgressTCP",
        "Admin",
        "egress",
        "TCP",
        "gryffindor",
        "ravenclaw",
        "slytherin",
        "hufflepuff",
        80,
        8080,
        TCP,
        6,
    ),
    Ordering(
        "AdminNetworkPolicyIngressUDP",
        "CNPAdminTierIngressUDP",
        "Admin",
        "ingress",
        "UDP",
        "hufflepuff",
        "ravenclaw",
        "slytherin",
        "gryffindor",
        5353,
        53,
        UDP,
        4,
    ),
    Ordering(
        "AdminNetworkPolicyEgressUDP",
        "CNPAdminTierEgressUDP",
        "Admin",
        "egress",
        "UDP",
        "hufflepuff",
        "ravenclaw",
        "slytherin",
        "gryffindor",
        5353,
        53,
        UDP,
        7,
    ),
    Ordering(
        "AdminNetworkPolicyIngressSCTP",
        "CNPAdminTierIngressSCTP",
        "Admin",
        "ingress",
        "SCTP",
        "ravenclaw",
        "gryffindor",
        "slytherin",
        "hufflepuff",
        9003,
        9003,
        SCTP,
        5,
    ),
    Ordering(
        "AdminNetworkPolicyEgressSCTP",
        "CNPAdminTierEgressSCTP",
        "Admin",
        "egress",
        "SCTP",
        "ravenclaw",
        "gryffindor",
        "slytherin",
        "hufflepuff",
        9003,
        9003,
        SCTP,
        8,
    ),
    # Baseline tier: the BANP v1alpha1 / baseline CNP, named "default"
    Ordering(
        "BaselineAdminNetworkPolicyIngressTCP",
        "CNPBaselineTierIngressTCP",
        "Baseline",
        "ingress",
        "TCP",
        "gryffindor",
        "ravenclaw",
        "slytherin",
        "hufflepuff",
        80,
        80,
        TCP,
        10,
        reverse_unaffected=True,
    ),
    Ordering(
        "BaselineAdminNetworkPolicyEgressTCP",
        "CNPBaselineTierEgressTCP",
        "Baseline",
        "egress",
        "TCP",
        "gryffindor",
        "ravenclaw",
        "slytherin",
        "hufflepuff",
        80,
        8080,
        TCP,
        10,
        reverse_unaffected=True,
    ),
    Ordering(
        "BaselineAdminNetworkPolicyIngressUDP",
        "CNPBaselineTierIngressUDP",
        "Baseline",
        "ingress",
        "UDP",
        "hufflepuff",
        "ravenclaw",
        "slytherin",
        "gryffindor",
        5353,
        53,
        UDP,
        10,
    ),
    Ordering(
        "BaselineAdminNetworkPolicyEgressUDP",
        "CNPBaselineTierEgressUDP",
        "Baseline",
        "egress",
        "UDP",
        "hufflepuff",
        "ravenclaw",
        "slytherin",
        "gryffindor",
        5353,
        53,
        UDP,
        10,
    ),
    Ordering(
        "BaselineAdminNetworkPolicyIngressSCTP",
        "CNPBaselineTierIngressSCTP",
        "Baseline",
        "ingress",
        "SCTP",
        "ravenclaw",
        "gryffindor",
        "slytherin",
        "hufflepuff",
        9003,
        9003,
        SCTP,
        10,
    ),
    Ordering(
        "BaselineAdminNetworkPolicyEgressSCTP",
        "CNPBaselineTierEgressSCTP",
        "Baseline",
        "egress",
        "SCTP",
        "ravenclaw",
        "gryffindor",
        "slytherin",
        "hufflepuff",
        9003,
        9003,
        SCTP,
        10,
    ),
]


def run_steps(
    dialect: Dialect,
    policies: list[Policy],
    steps: Iterable[tuple[Any, list[Probe]]],
    extra: Sequence[dict[str, Any]] = (),
) -> None:
    """Apply each step's edit (they accumulate, as upstream's do) and check its probes."""
    for edit, probes in steps:
        if edit is not None:
            edit(policies)
        check([*extra, *(p.render(dialect) for p in policies)], probes)


@pytest.mark.parametrize("dialect", [*DIALECTS, EARLY])
@pytest.mark.parametrize("case", ORDERINGS, ids=lambda c: f"{c.v1alpha1_name}-{c.cnp_name}")
def test_rule_ordering(case: Ordering, dialect: Dialect) -> None:
    pol = case.policy()
    steps = [(None if e is None else (lambda pols, e=e: e(pols[0])), probes) for e, probes in case.steps()]
    run_steps(dialect, [pol], steps)


def test_rule_ordering_probes_cover_upstream() -> None:
    """A spot check of the generated probes against AdminNetworkPolicyIngressTCP's text."""
    steps = ORDERINGS[0].steps()
    g0, g1 = ref("gryffindor", 0), ref("gryffindor", 1)
    assert (ref("hufflepuff", 0), g0, "TCP", 80, True) in steps[0][1]
    assert (ref("hufflepuff", 1), g0, "TCP", 8080, False) in steps[0][1]
    assert (g0, ref("ravenclaw", 0), "TCP", 80, True) in steps[1][1]  # egress unaffected
    assert (g1, ref("slytherin", 0), "TCP", 80, True) in steps[1][1]
    assert (ref("slytherin", 0), g0, "TCP", 80, False) in steps[3][1]
    assert (ref("slytherin", 1), g0, "TCP", 8080, True) in steps[3][1]
    assert (ref("slytherin", 0), g0, "TCP", 80, True) in steps[5][1]


def test_cnp_v1alpha2_reads_as_v1beta1() -> None:
    """ClusterNetworkPolicy v1alpha2 (the shape of most stored CNP manifests) gives the same verdicts."""
    case = ORDERINGS[2]  # CNPAdminTierIngressUDP
    pol = case.policy()
    steps = [(None if e is None else (lambda pols, e=e: e(pols[0])), probes) for e, probes in case.steps()]
    run_steps("v1alpha2", [pol], steps)


# ----------------------------------------------------------------------------------------------
# AdminNetworkPolicyGress / CNPAdminTierGress: the same ordering, ingress and egress together,
# each rule over TCP, UDP and SCTP at once.


def _gress_policy(tier: str) -> Policy:
    """Seven rules per direction in the admin tier, five (no Pass) in the baseline tier."""

    def everything(action: str, house: str) -> Rule:
        return Rule(action, [in_ns(house)])

    deny_ports: list[PortSpec] = [("TCP", 80), ("UDP", 53), ("SCTP", 9003)]
    admin = tier == "Admin"

    def rules(allow_ports: list[PortSpec]) -> list[Rule]:
        return [
            everything("Accept", "ravenclaw"),
            everything("Deny", "ravenclaw"),
            *([everything("Pass", "ravenclaw")] if admin else []),
            Rule("Deny", [in_ns("slytherin")], deny_ports),
            *([Rule("Pass", [in_ns("slytherin")], deny_ports)] if admin else []),
            Rule("Accept", [in_ns("hufflepuff")], allow_ports),
            everything("Deny", "hufflepuff"),
        ]

    return Policy(
        "gress-rules" if admin else "default",
        tier,
        15 if admin else 10,
        {"namespaces": in_ns("gryffindor")["namespaces"]},
        ingress=rules([("TCP", 80), ("UDP", 5353), ("SCTP", 9003)]),
        egress=rules([("TCP", 8080), ("UDP", 5353), ("SCTP", 9003)]),
    )


def _swap_both(i: int, j: int) -> Callable[[list[Policy]], None]:
    def edit(pols: list[Policy]) -> None:
        swap("ingress", i, j)(pols[0])
        swap("egress", i, j)(pols[0])

    return edit


@pytest.mark.parametrize("tier", ["Admin", "Baseline"])
@pytest.mark.parametrize("dialect", [*DIALECTS, EARLY])
def test_gress(dialect: Dialect, tier: str) -> None:
    """AdminNetworkPolicyGress / CNPAdminTierGress; BaselineAdminNetworkPolicyGress / CNPBaselineTierGress."""
    g = [ref("gryffindor", i) for i in (0, 1)]
    rc, sl, hp = ([ref(h, i) for i in (0, 1)] for h in ("ravenclaw", "slytherin", "hufflepuff"))

    def everything(want: bool, udp: int = 53) -> list[Probe]:
        # egress from gryffindor to ravenclaw, then ingress from ravenclaw
        return [
            (g[0], rc[0], "TCP", 80, want),
            (g[1], rc[0], "UDP", udp, want),
            (g[0], rc[0], "SCTP", 9003, want),
            (rc[0], g[0], "TCP", 80, want),
            (rc[1], g[0], "UDP", 53, want),
            (rc[1], g[0], "SCTP", 9003, want),
        ]

    def at_ports(want_on: bool) -> list[Probe]:
        # slytherin on the listed ports (decided by want_on), and off them (no rule: allowed)
        return [
            (g[0], sl[0], "TCP", 80, want_on),
            (g[1], sl[0], "TCP", 8080, True),
            (g[0], sl[0], "UDP", 53, want_on),
            (g[1], sl[0], "UDP", 5353, True),
            (g[0], sl[0], "SCTP", 9003, want_on),
            (g[1], sl[0], "SCTP", 9005, True),
            (sl[0], g[0], "TCP", 80, want_on),
            (sl[1], g[0], "TCP", 8080, True),
            (sl[0], g[0], "UDP", 53, want_on),
            (sl[1], g[0], "UDP", 5353, True),
            (sl[0], g[0], "SCTP", 9003, want_on),
            (sl[1], g[0], "SCTP", 9005, True),
        ]

    hufflepuff = [
        (g[0], hp[1], "TCP", 8080, True),
        (g[1], hp[1], "TCP", 80, False),
        (g[0], hp[1], "UDP", 5353, True),
        (g[1], hp[1], "UDP", 53, False),
        (g[0], hp[1], "SCTP", 9003, True),
        (g[1], hp[1], "SCTP", 9005, False),
        (hp[0], g[1], "TCP", 80, True),
        (hp[1], g[1], "TCP", 8080, False),
        (hp[0], g[1], "UDP", 5353, True),
        (hp[1], g[1], "UDP", 53, False),
        (hp[0], g[1], "SCTP", 9003, True),
        (hp[1], g[1], "SCTP", 9005, False),
    ]
    steps: list[tuple[Any, list[Probe]]] = [
        (None, everything(True) + hufflepuff),
        (_swap_both(0, 1), everything(False)),
        (None, at_ports(False)),
    ]
    if tier == "Admin":
        steps += [(_swap_both(0, 2), everything(True, udp=5353)), (_swap_both(3, 4), at_ports(True))]
    run_steps(dialect, [_gress_policy(tier)], steps)


# ----------------------------------------------------------------------------------------------
# AdminNetworkPolicyPriorityField / CNPAdminTierPriorityField


@pytest.mark.parametrize("dialect", [*DIALECTS, EARLY])
def test_priority_field(dialect: Dialect) -> None:
    subject = house_pods("gryffindor")
    slytherin = [house_pods("slytherin")]
    pols = [
        Policy(
            "priority-50-example",
            "Admin",
            50,
            subject,
            ingress=[Rule("Deny", slytherin)],
            egress=[Rule("Deny", slytherin)],
        ),
        Policy(
            "old-priority-60-new-priority-40-example",
            "Admin",
            60,
            subject,
            ingress=[Rule("Pass", slytherin)],
            egress=[Rule("Pass", slytherin)],
        ),
        Policy(
            "default",
            "Baseline",
            10,
            subject,
            ingress=[Rule("Accept", slytherin)],
            egress=[Rule("Accept", slytherin)],
        ),
    ]
    g0, g1, s0, s1 = ref("gryffindor", 0), ref("gryffindor", 1), ref("slytherin", 0), ref("slytherin", 1)

    def both_ways(want: bool) -> list[Probe]:
        return [
            (s0, g0, "TCP", 80, want),
            (s1, g0, "TCP", 8080, want),
            (g0, s0, "TCP", 80, want),
            (g1, s0, "TCP", 8080, want),
        ]

    def reprioritise(p: list[Policy]) -> None:
        p[1].priority = 40  # now before the Deny at 50: Pass hands over to the baseline's Accept

    run_steps(dialect, pols, [(None, both_ways(False)), (reprioritise, both_ways(True))])


# ----------------------------------------------------------------------------------------------
# AdminNetworkPolicyIntegration / CNPAdminTierIntegration: admin tier, NetworkPolicy, baseline


@pytest.mark.parametrize("dialect", DIALECTS)
def test_integration(dialect: Dialect) -> None:
    by_house = {"namespaces": {"matchLabels": {"conformance-house": "gryffindor"}}}
    from_sly = [{"namespaces": {"matchLabels": {"conformance-house": "slytherin"}}}]
    pols = [
        Policy(
            "pass-example",
            "Admin",
            10,
            by_house,
            ingress=[Rule("Deny", from_sly)],
            egress=[Rule("Deny", from_sly)],
        ),
        Policy(
            "default",
            "Baseline",
            10,
            by_house,
            ingress=[Rule("Deny", from_sly)],
            egress=[Rule("Deny", from_sly)],
        ),
    ]
    np = netpol(
        ns_name("gryffindor"),
        "allow-gress-from-to-slytherin-to-gryffindor",
        {
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {"from": [{"namespaceSelector": {"matchLabels": {"conformance-house": "slytherin"}}}]}
            ],
            "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"conformance-house": "slytherin"}}}]}],
        },
    )
    g0, g1, s0, s1 = ref("gryffindor", 0), ref("gryffindor", 1), ref("slytherin", 0), ref("slytherin", 1)
    ingress = lambda want: [(s0, g0, "TCP", 80, want), (s1, g0, "TCP", 8080, want)]  # noqa: E731
    egress = lambda want: [(g0, s0, "TCP", 80, want), (g1, s0, "TCP", 8080, want)]  # noqa: E731

    def to_pass(direction: str) -> Callable[[list[Policy]], None]:
        def edit(p: list[Policy]) -> None:
            getattr(p[0], direction)[0].action = "Pass"

        return edit

    # The admin Deny decides; Pass hands each direction to the NetworkPolicy, which allows.
    run_steps(
        dialect,
        pols,
        [
            (None, ingress(False) + egress(False)),
            (to_pass("ingress"), ingress(True)),
            (to_pass("egress"), egress(True)),
        ],
        extra=[np],
    )
    # The NetworkPolicy deleted: what the admin tier passes meets the baseline's Deny.
    run_steps(dialect, pols, [(None, ingress(False) + egress(False))])


# ----------------------------------------------------------------------------------------------
# CNPAdminTierIngressRulesEgressUnaffected, CNPAdminTierEgressRulesIngressUnaffected


@pytest.mark.parametrize("direction", ["ingress", "egress"])
def test_one_direction_leaves_the_other_unaffected(direction: str) -> None:
    peer = "from" if direction == "ingress" else "to"
    pol = Policy(
        f"admin-{direction}-isolation",
        "Admin",
        20,
        {"namespaces": in_ns("gryffindor")["namespaces"]},
        **{direction: [Rule("Deny", [in_ns("slytherin")], name=f"deny-{peer}-slytherin")]},
    )
    g0 = ref("gryffindor", 0)
    if direction == "ingress":
        probes = [
            (ref("slytherin", 0), g0, "TCP", 80, False),
            (g0, ref("ravenclaw", 0), "TCP", 80, True),
            (g0, ref("hufflepuff", 0), "TCP", 80, True),
        ]
    else:
        probes = [
            (g0, ref("slytherin", 0), "TCP", 80, False),
            (ref("ravenclaw", 0), g0, "TCP", 80, True),
            (ref("hufflepuff", 0), g0, "TCP", 80, True),
        ]
    check([pol.render("v1beta1")], probes)


# ----------------------------------------------------------------------------------------------
# CNPAdminTierPodSelector, CNPBaselineTierPodSelector


@pytest.mark.parametrize("tier", ["Admin", "Baseline"])
def test_pod_selector(tier: str) -> None:
    def pods(pod_labels: dict[str, str], house: str | None = None) -> dict[str, Any]:
        sel: dict[str, Any] = {"podSelector": {"matchLabels": pod_labels}}
        if house:
            sel["namespaceSelector"] = {"matchLabels": {"conformance-house": house}}
        return {"pods": sel}

    cedric0 = pods({"statefulset.kubernetes.io/pod-name": "cedric-diggory-0"}, "hufflepuff")
    pols = [
        # namespaceSelector left out on purpose, upstream says: pods by label in every namespace
        Policy(
            "pod-selector-rules",
            tier,
            20 if tier == "Admin" else 10,
            pods({"conformance-house": "gryffindor"}),
            egress=[Rule("Deny", [pods({"conformance-house": "ravenclaw"})]), Rule("Deny", [cedric0])],
            ingress=[Rule("Deny", [pods({"conformance-house": "slytherin"})]), Rule("Deny", [cedric0])],
        ),
        Policy(
            "pod-name-subject-rules",
            tier,
            21 if tier == "Admin" else 10,
            pods({"statefulset.kubernetes.io/pod-name": "luna-lovegood-0"}, "ravenclaw"),
            egress=[Rule("Deny", [in_ns("slytherin")])],
        ),
    ]
    g0 = ref("gryffindor", 0)
    probes = [
        (g0, ref("ravenclaw", 0), "TCP", 80, False),
        (g0, ref("hufflepuff", 0), "TCP", 80, False),
        (g0, ref("hufflepuff", 1), "TCP", 80, True),
        (ref("slytherin", 0), g0, "TCP", 80, False),
        (ref("hufflepuff", 0), g0, "TCP", 80, False),
        (ref("hufflepuff", 1), g0, "TCP", 80, True),
        (ref("slytherin", 0), ref("hufflepuff", 0), "TCP", 80, True),  # not a subject
        (ref("ravenclaw", 0), ref("slytherin", 0), "TCP", 80, False),
        (ref("ravenclaw", 1), ref("slytherin", 0), "TCP", 80, True),
    ]
    # Upstream's two baseline policies share priority 10 (disjoint subjects): k8sviz notes the tie.
    check(
        [p.render("v1beta1") for p in pols],
        probes,
        expected_warnings=["admin-priority-tie"] if tier == "Baseline" else [],
    )


# ----------------------------------------------------------------------------------------------
# CNPAdminTierPortRange, CNPBaselineTierPortRange (and portRange in v1alpha1)


@pytest.mark.parametrize("tier", ["Admin", "Baseline"])
@pytest.mark.parametrize("dialect", DIALECTS)
def test_port_range(dialect: Dialect, tier: str) -> None:
    exists = [{"namespaces": {"matchExpressions": [{"key": "conformance-house", "operator": "Exists"}]}}]
    ranges: list[tuple[str, PortSpec]] = [
        ("ravenclaw", ("TCP", 80, 8080)),
        ("hufflepuff", ("UDP", 53, 5353)),
        ("slytherin", ("SCTP", 9003, 9005)),
    ]
    name = "port-range-rules" if tier == "Admin" or dialect != "v1alpha1" else "default"
    pol = Policy(
        name,
        tier,
        9 if tier == "Admin" else 10,
        {"namespaces": in_ns("gryffindor")["namespaces"]},
        egress=[*(Rule("Accept", [in_ns(h)], [r]) for h, r in ranges), Rule("Deny", exists)],
        ingress=[*(Rule("Accept", [in_ns(h)], [r]) for h, r in ranges), Rule("Deny", exists)],
    )
    g0, g1 = ref("gryffindor", 0), ref("gryffindor", 1)
    rc, hp, sl = ref("ravenclaw", 0), ref("hufflepuff", 0), ref("slytherin", 0)
    probes: list[Probe] = [
        (g0, rc, "TCP", 80, True),
        (g0, rc, "TCP", 8080, True),
        (g1, rc, "UDP", 53, False),
        (g0, hp, "UDP", 53, True),
        (g0, hp, "UDP", 5353, True),
        (g1, hp, "TCP", 80, False),
        (g0, sl, "SCTP", 9003, True),
        (g0, sl, "SCTP", 9005, True),
        (g1, sl, "TCP", 80, False),
        (rc, g0, "TCP", 80, True),
        (rc, g0, "TCP", 8080, True),
        (ref("ravenclaw", 1), g0, "UDP", 53, False),
        (hp, g0, "UDP", 53, True),
        (hp, g0, "UDP", 5353, True),
        (ref("hufflepuff", 1), g0, "TCP", 80, False),
        (sl, g0, "SCTP", 9003, True),
        (sl, g0, "SCTP", 9005, True),
        (ref("slytherin", 1), g0, "TCP", 80, False),
    ]
    check([pol.render(dialect)], probes)


# ----------------------------------------------------------------------------------------------
# CNPAdminTierSamePriority: two disjoint policies at one priority both apply


def test_same_priority() -> None:
    def pol(name: str, subject: str, allowed: str) -> Policy:
        return Policy(
            name,
            "Admin",
            15,
            {"namespaces": in_ns(subject)["namespaces"]},
            ingress=[Rule("Accept", [in_ns(allowed)]), Rule("Deny", [{"namespaces": {"matchLabels": {}}}])],
        )

    g0, h0 = ref("gryffindor", 0), ref("hufflepuff", 0)
    check(
        [
            pol("same-priority-1", "gryffindor", "ravenclaw").render("v1alpha2"),
            pol("same-priority-2", "hufflepuff", "slytherin").render("v1alpha2"),
        ],
        [
            (ref("ravenclaw", 0), g0, "TCP", 80, True),
            (ref("slytherin", 0), h0, "TCP", 80, True),
            (ref("slytherin", 0), g0, "TCP", 80, False),
            (ref("ravenclaw", 0), h0, "TCP", 80, False),
        ],
        expected_warnings=["admin-priority-tie"],
    )


# ----------------------------------------------------------------------------------------------
# CNPAdminTierHairpin, adapted: the Deny from gryffindor covers the other pod behind the Service


def test_hairpin_between_the_service_pods() -> None:
    pol = Policy(
        "hairpin-ingress-deny",
        "Admin",
        15,
        {"namespaces": in_ns("gryffindor")["namespaces"]},
        ingress=[Rule("Deny", [in_ns("gryffindor")])],
    )
    check([pol.render("v1alpha2")], [(ref("gryffindor", 0), ref("gryffindor", 1), "TCP", 80, False)])


# ----------------------------------------------------------------------------------------------
# Egress to CIDRs (networks), with the pod addresses of our base cluster


def _ip(house: str, i: int) -> str:
    return f"10.244.{list(HOUSES).index(house)}.{10 + i}"


@pytest.mark.parametrize("tier", ["Admin", "Baseline"])
@pytest.mark.parametrize("dialect", DIALECTS)
def test_egress_inline_cidr_peers(dialect: Dialect, tier: str) -> None:
    """CNPAdminTierEgressInlineCIDRPeers; BaselineAdminNetworkPolicyEgressInlineCIDRPeers and its
    baseline CNP successor (subject: the gryffindor namespace)."""
    subject = (
        house_pods("gryffindor") if tier == "Admin" else {"namespaces": in_ns("gryffindor")["namespaces"]}
    )
    name = "inline-cidr-as-peers-example" if tier == "Admin" else "default"
    pol = Policy(
        name,
        tier,
        85 if tier == "Admin" else 10,
        subject,
        egress=[
            Rule("Accept", [house_pods("slytherin")]),
            Rule("Deny", [{"networks": ["0.0.0.0/0", "::/0"]}]),
        ],
    )
    g1 = ref("gryffindor", 1)

    def all_protocols(dst: str, want: bool) -> list[Probe]:
        return [(g1, dst, "TCP", 80, want), (g1, dst, "UDP", 53, want), (g1, dst, "SCTP", 9003, want)]

    def allow_two_pods(p: list[Policy]) -> None:
        p[0].egress.insert(
            0, Rule("Accept", [{"networks": [_ip("ravenclaw", 0) + "/32", _ip("hufflepuff", 0) + "/32"]}])
        )  # type: ignore[union-attr]

    run_steps(
        dialect,
        [pol],
        [
            (
                None,
                all_protocols(ref("ravenclaw", 0), False)
                + all_protocols(ref("hufflepuff", 0), False)
                + all_protocols(ref("slytherin", 0), True),
            ),
            (
                allow_two_pods,
                all_protocols(ref("ravenclaw", 0), True)
                + all_protocols(ref("hufflepuff", 0), True)
                + all_protocols(ref("ravenclaw", 1), False)
                + all_protocols(ref("hufflepuff", 1), False),
            ),
        ],
    )


# ----------------------------------------------------------------------------------------------
# Named ports: CNPAdminTierIngressNamedPort, CNPAdminTierEgressNamedPort (rendered as v1alpha1
# namedPort too)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_ingress_named_port(dialect: Dialect) -> None:
    """``ingress-udp``'s UDP/53 Accept for gryffindor rewritten as the port named ``dns``."""
    case = ORDERINGS[2]  # CNPAdminTierIngressUDP
    pol = case.policy()
    assert pol.ingress is not None
    pol.ingress[5].ports = ["dns"]
    check(
        [pol.render(dialect)],
        [
            (ref("gryffindor", 0), ref("hufflepuff", 1), "UDP", 53, True),
            (ref("gryffindor", 1), ref("hufflepuff", 1), "UDP", 5353, False),
        ],
    )


@pytest.mark.parametrize("dialect", DIALECTS)
def test_egress_named_port(dialect: Dialect) -> None:
    """``egress-tcp``'s TCP/8080 Accept to hufflepuff rewritten as the port named ``web`` (TCP/80)."""
    case = ORDERINGS[1]  # CNPAdminTierEgressTCP
    pol = case.policy()
    assert pol.egress is not None
    pol.egress[5].ports = ["web"]
    check(
        [pol.render(dialect)],
        [
            (ref("gryffindor", 0), ref("hufflepuff", 1), "TCP", 80, True),
            (ref("gryffindor", 1), ref("hufflepuff", 1), "TCP", 8080, False),
        ],
    )


# ----------------------------------------------------------------------------------------------
# CNPAdminTierEgressNodePeers (rendered as v1alpha1 too): nodes (their addresses, hostNetwork
# pods included)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_egress_node_peers(dialect: Dialect) -> None:
    linux = {"nodes": {"matchLabels": {"kubernetes.io/os": "linux"}}}
    pol = Policy(
        "node-and-cidr-as-peers-example",
        "Admin",
        75,
        house_pods("gryffindor"),
        egress=[
            Rule("Accept", [linux], [("TCP", HOST_PORTS[0])]),
            Rule("Pass", [linux], [("UDP", HOST_PORTS[2])]),
            Rule("Deny", [house_pods("slytherin"), linux, {"networks": ["0.0.0.0/0", "::/0"]}]),
        ],
    )
    g1, centaur = ref("gryffindor", 1), ref(FOREST, 1)
    check(
        [pol.render(dialect)],
        [
            (g1, centaur, "TCP", HOST_PORTS[0], True),
            (g1, centaur, "UDP", HOST_PORTS[2], True),  # passed on: nothing below decides
            (g1, centaur, "TCP", HOST_PORTS[1], False),
            (g1, centaur, "UDP", HOST_PORTS[4], False),
            (g1, centaur, "SCTP", HOST_PORTS[6], False),
        ],
    )


def test_baseline_egress_named_port() -> None:
    """CNPBaselineTierEgressNamedPort: ``egress-udp``'s UDP/53 Accept to gryffindor rewritten as ``dns``."""
    case = ORDERINGS[9]  # CNPBaselineTierEgressUDP
    pol = case.policy()
    assert pol.egress is not None
    pol.egress[3].ports = ["dns"]
    check(
        [pol.render("v1beta1")],
        [
            (ref("hufflepuff", 0), ref("gryffindor", 1), "UDP", 53, True),
            (ref("hufflepuff", 1), ref("gryffindor", 1), "UDP", 5353, False),
        ],
    )


def test_baseline_egress_node_peers() -> None:
    """CNPBaselineTierEgressNodePeers: a TCP range to the nodes, then Deny nodes and the internet."""
    linux = {"nodes": {"matchLabels": {"kubernetes.io/os": "linux"}}}
    pol = Policy(
        "default",
        "Baseline",
        10,
        {"namespaces": in_ns("gryffindor")["namespaces"]},
        egress=[
            Rule("Accept", [linux], [("TCP", HOST_PORTS[0], HOST_PORTS[1])]),
            Rule("Deny", [linux, {"networks": ["0.0.0.0/0", "::/0"]}]),
        ],
    )
    g0, g1, centaur = ref("gryffindor", 0), ref("gryffindor", 1), ref(FOREST, 1)
    check(
        [pol.render("v1beta1")],
        [
            (g0, centaur, "TCP", HOST_PORTS[0], True),
            (g1, centaur, "TCP", HOST_PORTS[1], True),
            (g1, centaur, "UDP", HOST_PORTS[4], False),
            (g1, centaur, "SCTP", HOST_PORTS[6], False),
        ],
    )


def test_baseline_same_priority() -> None:
    """CNPBaselineTierSamePriority: three baseline policies at one priority all apply, each to its
    own subject only."""

    def pol(name: str, subject: str, peer: str, port: int) -> Policy:
        return Policy(
            name,
            "Baseline",
            10,
            {"namespaces": in_ns(subject)["namespaces"]},
            ingress=[Rule("Deny", [in_ns(peer)], [("TCP", port)])],
            egress=[Rule("Deny", [in_ns(peer)], [("TCP", port)])],
        )

    pols = [
        pol("baseline-same-priority-gryffindor-slytherin", "gryffindor", "slytherin", 80),
        pol("baseline-same-priority-gryffindor-hufflepuff", "gryffindor", "hufflepuff", 80),
        pol("baseline-same-priority-hufflepuff-slytherin", "hufflepuff", "slytherin", 8080),
    ]
    g0, g1, s0, s1, h0, h1 = (ref(h, i) for h in ("gryffindor", "slytherin", "hufflepuff") for i in (0, 1))
    check(
        [p.render("v1beta1") for p in pols],
        [
            (s0, g1, "TCP", 80, False),
            (g0, s1, "TCP", 80, False),
            (h0, g1, "TCP", 80, False),
            (g1, h1, "TCP", 80, False),
            (s1, h1, "TCP", 8080, False),
            (h1, s1, "TCP", 8080, False),
            # no rule of one policy bleeds onto another's subject
            (s0, g1, "TCP", 8080, True),
            (g0, s1, "TCP", 8080, True),
            (s1, h1, "TCP", 80, True),
            (h0, s1, "TCP", 80, True),
            # ravenclaw is in no policy
            (ref("ravenclaw", 0), g1, "TCP", 80, True),
            (g0, ref("ravenclaw", 1), "TCP", 80, True),
        ],
        expected_warnings=["admin-priority-tie"],
    )
