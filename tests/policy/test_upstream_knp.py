"""kube-network-policies' evaluation tests, as facts, against k8sviz.

kubernetes-sigs/kube-network-policies is SIG Network's own implementation of NetworkPolicy,
AdminNetworkPolicy, BaselineAdminNetworkPolicy and ClusterNetworkPolicy: an agent that judges
each new connection in userspace.  Its Go unit tests are tables of a small cluster, policies
and packets (source, destination, protocol, port) with the verdict expected.  Each test here is
named after the upstream case it ports and asks ``reach.can_reach`` the same question, with the
packet's own addresses where upstream gives addresses.  The files, at the commits read:

* ``pkg/networkpolicy/networkpolicy_test.go`` (583a637; 088e451 has the same cases) and
  ``pkg/pipeline/networkpolicy_test.go`` (9c46240): ``TestSyncPacket``,
  ``TestEvaluator_evaluateSelectors``, ``TestEvaluator_evaluateIPBlocks``,
  ``TestEvaluator_evaluatePorts``;
* ``pkg/networkpolicy/helpers_test.go`` (0382765): ``TestMatchesSelector``;
* ``pkg/networkpolicy/adminnetworkpolicy_test.go`` (044f2f7; the same cases in
  ``networkpolicyapi_test.go`` 4652bab and, as the admin tier's own verdict, in
  ``pkg/pipeline/adminnetworkpolicy_test.go`` 06c4ee1): ``Test_adminNetworkPolicyAction``,
  ``Test_evaluateAdminNetworkPolicyPort``, ``TestController_getAdminNetworkPoliciesForPod``;
* ``pkg/networkpolicy/baselineadminnetworkpolicy_test.go`` (0382765; ``plugins/npa-v1alpha1``
  bfc352c keeps the cases with one policy): ``Test_baselineAdminNetworkPolicyAction``;
* ``plugins/npa-v1alpha2/clusternetworkpolicy_test.go`` (1c9bd7a, 4497878) and
  ``pkg/networkpolicy/clusternetworkpolicy_test.go`` (661b9e5):
  ``Test_ClusterNetworkPolicy_Evaluation``, ``Test_evaluateClusterNetworkPolicyPort``;
* ``pkg/networkpolicy/engine_test.go`` (044f2f7): ``TestSinglePipelineWithRealEvaluators``;
* ``plugins/anp/adminnetworkpolicy_test.go`` (5edbe92): the same ANP tables, and
  ``TestController_evaluateAdminEgress_DomainNames``;
* ``pkg/podinfo/ipresolver_test.go`` (3ec46bc): ``TestInformerResolver_LookupPod``, which pod a
  packet's address stands for.

How the cases are read:

* kube-network-policies lets ipBlocks match pod addresses; the NetworkPolicy cases are
  evaluated with ``ipblocks_match_pods=True`` for that reason (the two that depend on it also
  check k8sviz's default, which keeps ipBlocks for addresses outside the pods).
* Upstream's fixtures build packets, not connections: a packet with no port or protocol (the
  BaseLine and ClusterNetworkPolicy tables) meets policies without ports, so it is asked on TCP,
  UDP and SCTP alike; a unit test of one function (``evaluatePorts``, ``matchesSelector``...) is
  asked through the smallest policy whose verdict turns on that function alone.
* Upstream's evaluators know a pod only together with its Namespace object.  The
  ``Test_adminNetworkPolicyAction`` cluster has no Namespace ``blocked``, so its pod ``c``
  (192.168.3.33) is an address no pod has to upstream; the port leaves that Pod out, and
  ``test_anp_blocked_namespace_present`` says what changes once the namespace exists.
* ClusterNetworkPolicies are written in the API's released shape (``Accept``, ``protocols``);
  the stored tests use the in-development v1alpha2 Go types (``Allow`` and ``ports`` at 1c9bd7a,
  ``Accept`` at 4497878) with the same facts.  The engine test's ANP and BANP verdicts are mocks;
  here they are policies with one rule per direction that give that verdict.

Disagreements (each a test below, with k8sviz's reading and why):

* ``allow all override deny ingress``: upstream reads ``ingress: []`` (an empty, non-nil Go
  slice) as "allow everything"; the API says an empty ``ingress`` allows nothing, and the API
  server cannot even store the difference (the field is ``omitempty``): k8sviz denies.
* ``multiport allow egress node port``: upstream matches an AdminNetworkPolicy ``nodes`` peer
  against the labels of the node a destination pod runs on; the API's peer is the nodes
  themselves (their addresses and hostNetwork pods; network-policy-api's conformance test
  ``AdminNetworkPolicyEgressNodePeers`` checks that pods on those nodes are not), so k8sviz
  denies the pod and allows the node's address.
* Objects the API server refuses, which upstream's in-memory fixtures can hold: ``endPort``
  65537, an ``except`` outside its ``cidr``, a selector operator ``bad-operator``, an
  AdminNetworkPolicy without subject.  k8sviz refuses them too (``PolicyError``); the cases
  whose facts do not depend on the invalid part are also asked of the nearest valid object
  (``endPort`` 65535, which names the same existing ports; the block without the except).
* ``multiple pods with same ip, one running``: k8sviz mapped an address two live pods list to
  the first by name; upstream's resolver prefers the Running pod.  Nothing in the API orders
  them (two live pods with one address is a stale status), and Running is the better guess (its
  containers are all set up), so k8sviz now ranks Running before Pending, ended pods last
  (``k8sviz.model.address_rank``, for address queries, flows and the ``pod-ip-conflict``
  warning).
* Several BaselineAdminNetworkPolicies (the API admits one, named ``default``): upstream applies
  them by name, and so does k8sviz, with a ``baseline-not-default`` warning.

Left out: the six ``TestController_evaluateAdminEgress_DomainNames`` cases where a name resolves
to the packet's address ("Allow rule matches domain and IP", "Deny rule matches domain and IP",
"Multiple domains in rule, one matches", "Wildcard domain matches IP", "Rule with multiple peer
types, domain matches", "Rule with deny all, domain matches"): they need DNS answers, which a
snapshot does not hold (k8sviz matches no address with a ``domainNames`` peer, and says so; the
five cases where no name resolves to the address are ported);
``TestPolicyEngine_*`` other than the one above (the engine's mechanics with mock evaluators:
errors, cancellation, evaluator sorting); ``evaluateIPBlocks`` "empty" and
``evaluateSelectors`` "no selectors" and ``matchesSelector`` "nil selector" (a peer without
ipBlock or selectors cannot be written: k8sviz refuses it, ``test_peer_without_selector``);
the NRI resolver's and ``getPodIPs``' tests (the runtime's view of the same pods), packet
parsing, conntrack, DNS, nftables, NRI and ipcache tests (no policy verdicts; the dataplane's
own exceptions, such as letting DNS replies and IPv6 neighbour discovery through, are not the
policies').
"""

from __future__ import annotations

from typing import Any

import pytest

import k8sviz
from k8sviz.errors import PolicyError
from k8sviz.policy.reachability import Reachability

from . import reference
from .helpers import anp, netpol, snapshot

PROTOCOLS = ("TCP", "UDP", "SCTP")
NODE = "testnode"
NODE_IP = "172.18.0.2"  # upstream's node has no address; one is given to check the nodes peer


# ----------------------------------------------------------------------------------------------
# Upstream's fixtures


def kns(name: str, **extra: str) -> dict[str, Any]:
    """``makeNamespace``: the name label and ``a=b`` (``extra`` adds labels)."""
    labels = {"kubernetes.io/metadata.name": name, "a": "b", **extra}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def kpod(name: str, namespace: str, ip: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    """``makePod``: labels ``a=b`` unless given, on ``testnode``, one container port ``http`` 80/TCP."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "namespace": namespace,
            "name": name,
            "labels": {"a": "b"} if labels is None else labels,
        },
        "spec": {
            "nodeName": NODE,
            "containers": [
                {"name": "write-pod", "ports": [{"name": "http", "containerPort": 80, "protocol": "TCP"}]}
            ],
        },
        "status": {"podIP": ip, "podIPs": [{"ip": ip}], "phase": "Running"},
    }


def knode() -> dict[str, Any]:
    """``makeNode("testnode")``, with an address (upstream's has none)."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": NODE, "labels": {"kubernetes.io/node": NODE, "a": "b"}},
        "status": {"addresses": [{"type": "InternalIP", "address": NODE_IP}]},
    }


class Cluster:
    """A snapshot's verdicts from k8sviz's engine, checked against the reference evaluator.

    ``can_reach`` takes what a packet carries (an address) or a ``namespace/pod``; an address a
    pod has stands for that pod, any other is outside the pods.
    """

    def __init__(self, objs: tuple[dict[str, Any], ...], ipblocks_match_pods: bool) -> None:
        self.snap = snapshot(*objs)
        self.ipblocks_match_pods = ipblocks_match_pods
        self.reach: Reachability = k8sviz.reachability(self.snap, ipblocks_match_pods=ipblocks_match_pods)

    @property
    def warnings(self) -> tuple[Any, ...]:
        return tuple(self.reach.warnings)

    def isolated(self, pod: str, direction: str) -> bool:
        return bool(self.reach.isolated(pod, direction))

    def _endpoint(self, ref: str) -> Any:
        """The pod ``ref`` names, or holding the address (a Running pod before other live ones
        before those that ended, as upstream's resolver ranks them), or the address itself."""
        by_name = [p for p in self.snap.pods if p.key == ref]
        holders = [p for p in self.snap.pods if not p.host_network and ref in p.ips]
        holders.sort(key=lambda p: 2 if p.phase in ("Succeeded", "Failed") else p.phase != "Running")
        return (by_name + holders + [ref])[0]

    def can_reach(self, src: str, dst: str, port: int, protocol: str = "TCP") -> bool:
        engine = self.reach.can_reach(src, dst, port, protocol)
        ref = reference.allowed(
            self.snap, self._endpoint(src), self._endpoint(dst), protocol, port, self.ipblocks_match_pods
        )
        assert engine == ref, f"engine {engine}, reference evaluator {ref}: {src} -> {dst} {port}/{protocol}"
        return engine


def reach(*objs: dict[str, Any], ipblocks_match_pods: bool = True) -> Cluster:
    return Cluster(objs, ipblocks_match_pods)


def refused(*objs: dict[str, Any]) -> str:
    """The message with which k8sviz refuses the input (the API server refuses it too)."""
    with pytest.raises(PolicyError) as e:
        snapshot(*objs)
    return str(e.value)


def sel(**labels: str) -> dict[str, Any]:
    return {"matchLabels": dict(labels)}


# ----------------------------------------------------------------------------------------------
# TestSyncPacket: NetworkPolicy, packets between pods a (foo), b and d (bar), c (blocked)

A, B, C, D = "192.168.1.11", "192.168.2.22", "192.168.3.33", "192.168.4.44"


def sync_cluster() -> list[dict[str, Any]]:
    return [
        kns("foo"),
        kns("bar"),
        kpod("a", "foo", A),
        kpod("b", "bar", B),
        kpod("c", "blocked", C, {"c": "d"}),  # matches neither selectors nor namespaces
        kpod("d", "bar", D, {"c": "d"}),
    ]


def _np(namespace: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return netpol(namespace, name, spec)


NP: dict[str, dict[str, Any]] = {
    # upstream names both default-deny policies "default-deny-ingress"; one object each here
    "deny-ingress": _np("bar", "default-deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]}),
    "deny-egress": _np("bar", "default-deny-egress", {"podSelector": {}, "policyTypes": ["Egress"]}),
    # Ingress: [] (empty, non-nil): see test_sync_packet_allow_all_override_deny_ingress
    "allow-all-ingress": _np(
        "bar", "default-allow-ingress", {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": []}
    ),
    "allow-ingress-ipblock": _np(
        "bar",
        "default-allow-ingress-ipblock",
        {
            "podSelector": {},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"ipBlock": {"cidr": "192.168.0.0/16"}}]}],
        },
    ),
    # upstream's endPort is 65537, which the API server refuses: 65535 names the same ports
    "multiport-egress": _np(
        "foo",
        "multiport-egress",
        {
            "podSelector": sel(a="b"),
            "policyTypes": ["Egress"],
            "egress": [{"ports": [{"protocol": "TCP", "port": 30000, "endPort": 65535}], "to": []}],
        },
    ),
    "egress-ipblock": _np(
        "foo",
        "multiport-egress-ipblock",
        {
            "podSelector": sel(a="b"),
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": "192.168.0.0/16"}}]}],
        },
    ),
    "egress-pod": _np(
        "foo",
        "multiport-egress-pod",
        {
            "podSelector": sel(a="b"),
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"podSelector": sel(a="b")}]}],
        },
    ),
    "egress-ns": _np(
        "foo",
        "multiport-egress-ns",
        {
            "podSelector": sel(a="b"),
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"namespaceSelector": sel(a="b")}]}],
        },
    ),
    "egress-pod-ns": _np(
        "foo",
        "multiport-egress-pod-ns",
        {
            "podSelector": sel(a="b"),
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"podSelector": sel(a="b"), "namespaceSelector": sel(a="b")}]}],
        },
    ),
    "ingress-pod-ns": _np(
        "bar",
        "multiport-ingress-pod-ns",
        {
            "podSelector": sel(a="b"),
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": sel(a="b"), "namespaceSelector": sel(a="b")}]}],
        },
    ),
}

# (upstream name, policies, source, destination, TCP port, upstream verdict)
SYNC_PACKET: list[tuple[str, tuple[str, ...], str, str, int, bool]] = [
    ("no network policy", (), A, B, 80, True),
    ("deny ingress", ("deny-ingress",), A, B, 80, False),
    ("deny egress", ("deny-egress",), B, A, 80, False),
    ("deny egress on reply does not have effect", ("deny-egress",), A, B, 80, True),
    ("allow all override deny ingress", ("deny-ingress", "allow-all-ingress"), A, B, 80, True),
    ("ip block override deny ingress", ("deny-ingress", "allow-ingress-ipblock"), A, B, 80, True),
    ("ip block deny ingress", ("allow-ingress-ipblock",), "10.0.0.1", B, 80, False),
    ("multiport deny egress port", ("deny-egress", "multiport-egress"), A, B, 80, False),
    ("multiport allow egress port", ("deny-egress", "multiport-egress"), A, B, 30080, True),
    ("multiport allow egress", ("deny-egress", "multiport-egress", "egress-ipblock"), A, B, 80, True),
    (
        "multiport allow egress port selector not match ns",
        ("deny-egress", "multiport-egress", "egress-pod"),
        A,
        B,
        80,
        False,
    ),
    (
        "multiport allow egress port selector not match pod selector",
        ("deny-egress", "multiport-egress", "egress-pod"),
        A,
        C,
        80,
        False,
    ),
    ("multiport allow egress ns selector", ("deny-egress", "multiport-egress", "egress-ns"), A, B, 80, True),
    (
        "multiport allow egress ns selector fail",
        ("deny-egress", "multiport-egress", "egress-ns"),
        A,
        C,
        80,
        False,
    ),
    (
        "multiport allow egress ns and pod selector",
        ("deny-egress", "multiport-egress", "egress-pod-ns"),
        A,
        B,
        80,
        True,
    ),
    (
        "multiport allow egress ns and pod selector fail",
        ("deny-egress", "multiport-egress", "egress-pod-ns"),
        A,
        C,
        80,
        False,
    ),
    ("multiport allow ingress ns and pod selector", ("deny-ingress", "ingress-pod-ns"), A, B, 80, True),
    ("multiport allow ingress ns and pod selector fail", ("deny-ingress", "ingress-pod-ns"), A, D, 80, False),
]

# Where k8sviz answers otherwise, and why (see the module docstring).
SYNC_PACKET_DIFFERS = {"allow all override deny ingress"}


@pytest.mark.parametrize("case", SYNC_PACKET, ids=[c[0] for c in SYNC_PACKET])
def test_sync_packet(case: tuple[str, tuple[str, ...], str, str, int, bool]) -> None:
    name, policies, src, dst, port, upstream = case
    r = reach(*sync_cluster(), *(NP[p] for p in policies))
    expected = not upstream if name in SYNC_PACKET_DIFFERS else upstream
    assert r.can_reach(src, dst, port, "TCP") is expected


def test_sync_packet_allow_all_override_deny_ingress() -> None:
    """``ingress: []`` allows nothing: b stays isolated by default-deny-ingress.

    Upstream's fixture is a Go ``[]NetworkPolicyIngressRule{}`` (empty, not nil), which its
    evaluator reads as "allow all" while a nil one isolates.  The API documents an empty
    ``ingress`` as allowing no traffic, and the field is ``omitempty``: an object created with
    ``ingress: []`` comes back from the API server without the field, so no agent watching the
    API can see the difference upstream's fixture makes.
    """
    r = reach(*sync_cluster(), NP["deny-ingress"], NP["allow-all-ingress"])
    assert not r.can_reach(A, B, 80)
    # Alone, the policy with the empty list isolates b just as default-deny-ingress does.
    alone = reach(*sync_cluster(), NP["allow-all-ingress"])
    assert alone.isolated("bar/b", "ingress") and not alone.can_reach(A, B, 80)
    # An ingress rule that is present but empty is the "allow all" upstream meant.
    allow_all = _np(
        "bar", "default-allow-ingress", {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{}]}
    )
    assert reach(*sync_cluster(), NP["deny-ingress"], allow_all).can_reach(A, B, 80)


@pytest.mark.parametrize(
    ("policies", "src"),
    [
        (("deny-ingress", "allow-ingress-ipblock"), A),
        (("deny-egress", "multiport-egress", "egress-ipblock"), A),
    ],
    ids=["ip block override deny ingress", "multiport allow egress"],
)
def test_sync_packet_ipblocks_over_pod_addresses(policies: tuple[str, ...], src: str) -> None:
    """Both cases allow a pod by the ipBlock holding its address, which upstream matches.

    By default k8sviz keeps ipBlocks for addresses outside the pods (the API's intent), and the
    same packet is denied; an address outside the pods in the block is allowed either way.
    """
    objs = (*sync_cluster(), *(NP[p] for p in policies))
    assert reach(*objs).can_reach(src, B, 80)
    default = reach(*objs, ipblocks_match_pods=False)
    assert not default.can_reach(src, B, 80)
    if "deny-ingress" in policies:
        assert default.can_reach("192.168.200.1", B, 80)
    else:
        assert default.can_reach(src, "192.168.200.1", 80)


def test_sync_packet_end_port_65537_is_refused() -> None:
    """Upstream's ``endPort: 65537`` cannot be created: the API server checks it is a port number."""
    bad = _np(
        "foo",
        "multiport-egress",
        {
            "podSelector": sel(a="b"),
            "egress": [{"ports": [{"protocol": "TCP", "port": 30000, "endPort": 65537}]}],
        },
    )
    assert "endPort 65537" in refused(*sync_cluster(), bad)


def test_sync_packet_end_port_range_ends() -> None:
    """The range 30000-65535 as upstream counts it: both ends in, the port below out."""
    r = reach(*sync_cluster(), NP["multiport-egress"])
    assert [r.can_reach(A, B, p) for p in (29999, 30000, 65535)] == [False, True, True]
    assert not r.can_reach(A, B, 30000, "UDP")


# ----------------------------------------------------------------------------------------------
# TestEvaluator_evaluateSelectors: one peer, asked from pod1 (ns1) or pod2 (ns2)

SELECTOR_CASES: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None, str, bool]] = [
    # (name, peer podSelector, peer namespaceSelector, source pod, upstream verdict)
    ("matching pod selector", sel(app="foo"), None, "pod1", True),
    ("non-matching pod selector", sel(app="bar"), None, "pod1", False),
    ("matching namespace selector", None, sel(team="blue"), "pod1", True),
    ("non-matching namespace selector", None, sel(team="red"), "pod1", False),
    ("matching pod and namespace selectors", sel(app="foo"), sel(team="blue"), "pod1", True),
    ("matching pod, non-matching namespace selector", sel(app="foo"), sel(team="red"), "pod1", False),
    ("non-matching pod, matching namespace selector", sel(app="bar"), sel(team="blue"), "pod1", False),
    ("empty pod selector matches all pods in policy namespace", {}, None, "pod1", True),
    ("empty pod selector does not match pod in other namespace", {}, None, "pod2", False),
    ("empty namespace selector matches all namespaces", None, {}, "pod2", True),
]


@pytest.mark.parametrize("case", SELECTOR_CASES, ids=[c[0] for c in SELECTOR_CASES])
def test_evaluate_selectors(
    case: tuple[str, dict[str, Any] | None, dict[str, Any] | None, str, bool],
) -> None:
    """The peer sits in an ingress rule of a policy in ns1 (the policy namespace upstream passes)."""
    _name, pod_sel, ns_sel, source, upstream = case
    peer: dict[str, Any] = {}
    if pod_sel is not None:
        peer["podSelector"] = pod_sel
    if ns_sel is not None:
        peer["namespaceSelector"] = ns_sel
    objs = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns1", "labels": {"team": "blue"}}},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns2", "labels": {"team": "red"}}},
        kpod("pod1", "ns1", "10.1.0.1", {"app": "foo"}),
        kpod("pod2", "ns2", "10.2.0.1", {"app": "bar"}),
        kpod("target", "ns1", "10.1.0.9", {"role": "target"}),
        _np("ns1", "peer", {"podSelector": sel(role="target"), "ingress": [{"from": [peer]}]}),
    ]
    src = {"pod1": "ns1/pod1", "pod2": "ns2/pod2"}[source]
    assert reach(*objs).can_reach(src, "ns1/target", 80) is upstream


def test_peer_without_selector() -> None:
    """A peer with neither selector nor ipBlock (upstream's "no selectors", "empty" ipBlock and
    nil selector unit cases) cannot be written: the API server wants one of them, and so does k8sviz."""
    bad = _np("bar", "p", {"podSelector": {}, "ingress": [{"from": [{}]}]})
    assert "a peer needs" in refused(*sync_cluster(), bad)


# ----------------------------------------------------------------------------------------------
# TestEvaluator_evaluateIPBlocks


def _ipblock_policy(block: dict[str, Any]) -> dict[str, Any]:
    return _np("bar", "ipblock", {"podSelector": {}, "ingress": [{"from": [{"ipBlock": block}]}]})


@pytest.mark.parametrize(
    ("name", "ip", "upstream"),
    [
        ("match cidr", "192.168.0.1", True),
        ("no match cidr", "10.0.0.1", False),
        ("match cidr and not except", "192.168.0.1", True),
        ("match cidr and  except", "192.168.1.1", False),
    ],
)
def test_evaluate_ip_blocks(name: str, ip: str, upstream: bool) -> None:
    """The block is 192.168.0.0/24; the "except" cases' except (192.168.1.0/24) lies outside it.

    The API server refuses an except that is not inside the cidr (and k8sviz does too, below);
    since that except covers none of the block, the cases keep their facts without it.
    """
    r = reach(kns("bar"), kpod("b", "bar", B), _ipblock_policy({"cidr": "192.168.0.0/24"}))
    assert r.can_reach(ip, B, 80) is upstream


def test_evaluate_ip_blocks_except_outside_cidr_is_refused() -> None:
    block = {"cidr": "192.168.0.0/24", "except": ["192.168.1.0/24"]}
    assert "strict subset" in refused(kns("bar"), kpod("b", "bar", B), _ipblock_policy(block))


def test_evaluate_ip_blocks_except_inside_cidr() -> None:
    """The except as the API admits it (inside the cidr) takes its addresses out."""
    block = {"cidr": "192.168.0.0/16", "except": ["192.168.1.0/24"]}
    r = reach(kns("bar"), kpod("b", "bar", B), _ipblock_policy(block), ipblocks_match_pods=False)
    assert r.can_reach("192.168.0.1", B, 80) and not r.can_reach("192.168.1.1", B, 80)


# ----------------------------------------------------------------------------------------------
# TestEvaluator_evaluatePorts: the ports of one rule, against makePod("a", "b", "192.168.1.1")

PORTS_DST, PORTS_SRC = "192.168.1.1", "192.168.9.9"
PORT_CASES: list[tuple[str, list[dict[str, Any]] | None, int, str, bool]] = [
    # (name, rule ports, port, protocol, upstream verdict); endPort 65537 read as 65535
    ("match TCP", [{"protocol": "TCP", "port": 30000}], 30000, "TCP", True),
    ("match UDP", [{"protocol": "UDP", "port": 30000}], 30000, "UDP", True),
    ("no match TCP", [{"protocol": "TCP", "port": 30000}], 138, "TCP", False),
    ("no match UDP", [{"protocol": "UDP", "port": 30000}], 138, "UDP", False),
    ("match TCP range", [{"protocol": "TCP", "port": 30000, "endPort": 65535}], 30138, "TCP", True),
    ("match UDP range", [{"protocol": "UDP", "port": 30000, "endPort": 65535}], 30138, "UDP", True),
    ("no match TCP range", [{"protocol": "TCP", "port": 30000, "endPort": 65535}], 138, "TCP", False),
    ("no match UDP range", [{"protocol": "UDP", "port": 30000, "endPort": 65535}], 138, "UDP", False),
    ("match TCP named port", [{"protocol": "TCP", "port": "http"}], 80, "TCP", True),
    ("no match UDP named port", [{"protocol": "UDP", "port": "http"}], 80, "TCP", False),
]


def _ports_cluster(rule_ports: list[dict[str, Any]] | None, direction: str) -> Cluster:
    rule: dict[str, Any] = {} if rule_ports is None else {"ports": rule_ports}
    if direction == "ingress":
        pol = _np("b", "ports", {"podSelector": {}, "ingress": [rule]})
    else:
        pol = _np("client", "ports", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [rule]})
    return reach(
        kns("b"), kns("client"), kpod("a", "b", PORTS_DST), kpod("src", "client", PORTS_SRC, {}), pol
    )


@pytest.mark.parametrize("direction", ["ingress", "egress"])
@pytest.mark.parametrize("case", PORT_CASES, ids=[c[0] for c in PORT_CASES])
def test_evaluate_ports(
    case: tuple[str, list[dict[str, Any]] | None, int, str, bool], direction: str
) -> None:
    _name, ports, port, protocol, upstream = case
    assert _ports_cluster(ports, direction).can_reach(PORTS_SRC, PORTS_DST, port, protocol) is upstream


@pytest.mark.parametrize("direction", ["ingress", "egress"])
def test_evaluate_ports_empty(direction: str) -> None:
    """ "empty": a rule without ports matches every port of every protocol (upstream asks port 0)."""
    r = _ports_cluster(None, direction)
    assert all(r.can_reach(PORTS_SRC, PORTS_DST, p, proto) for p in (1, 80, 65535) for proto in PROTOCOLS)


# ----------------------------------------------------------------------------------------------
# TestMatchesSelector: a podSelector peer, asked from a pod with the labels


MATCH_SELECTOR: list[tuple[str, dict[str, Any], dict[str, str], bool]] = [
    ("empty selector matches any labels", {}, {"app": "test"}, True),
    ("empty selector matches empty labels", {}, {}, True),
    ("MatchLabels: simple match", sel(app="test"), {"app": "test"}, True),
    ("MatchLabels: subset match", sel(app="test"), {"app": "test", "env": "prod"}, True),
    ("MatchLabels: multi-label match", sel(app="test", env="prod"), {"app": "test", "env": "prod"}, True),
    ("MatchLabels: value mismatch", sel(app="test"), {"app": "wrong"}, False),
    ("MatchLabels: key missing", sel(app="test"), {"environment": "prod"}, False),
    ("MatchLabels: label empty", sel(app="test"), {}, False),
    (
        "MatchExpressions: 'In' operator match",
        {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["frontend", "backend"]}]},
        {"tier": "frontend"},
        True,
    ),
    (
        "MatchExpressions: 'In' operator no match",
        {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["frontend", "backend"]}]},
        {"tier": "database"},
        False,
    ),
    (
        "MatchExpressions: 'NotIn' operator match",
        {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["frontend", "backend"]}]},
        {"tier": "database"},
        True,
    ),
    (
        "MatchExpressions: 'NotIn' operator no match",
        {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["frontend", "backend"]}]},
        {"tier": "frontend"},
        False,
    ),
    (
        "MatchExpressions: 'Exists' operator match",
        {"matchExpressions": [{"key": "env", "operator": "Exists"}]},
        {"env": "production"},
        True,
    ),
    (
        "MatchExpressions: 'Exists' operator no match",
        {"matchExpressions": [{"key": "env", "operator": "Exists"}]},
        {"app": "test"},
        False,
    ),
    (
        "MatchExpressions: 'DoesNotExist' operator match",
        {"matchExpressions": [{"key": "env", "operator": "DoesNotExist"}]},
        {"app": "test"},
        True,
    ),
    (
        "MatchExpressions: 'DoesNotExist' operator no match",
        {"matchExpressions": [{"key": "env", "operator": "DoesNotExist"}]},
        {"app": "test", "env": "prod"},
        False,
    ),
    (
        "Combined: MatchLabels and MatchExpressions both match",
        {
            "matchLabels": {"app": "database"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["cache", "storage"]}],
        },
        {"app": "database", "tier": "storage"},
        True,
    ),
    (
        "Combined: MatchLabels fail",
        {
            "matchLabels": {"app": "database"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["cache", "storage"]}],
        },
        {"app": "wrong", "tier": "storage"},
        False,
    ),
    (
        "Combined: MatchExpressions fail",
        {
            "matchLabels": {"app": "database"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["cache", "storage"]}],
        },
        {"app": "database", "tier": "frontend"},
        False,
    ),
]


def _selector_cluster(selector: dict[str, Any], labels: dict[str, str]) -> list[dict[str, Any]]:
    return [
        kns("ns"),
        kpod("source", "ns", "10.0.0.1", labels),
        kpod("target", "ns", "10.0.0.2", {"role": "target"}),
        _np(
            "ns",
            "peer",
            {"podSelector": sel(role="target"), "ingress": [{"from": [{"podSelector": selector}]}]},
        ),
    ]


@pytest.mark.parametrize("case", MATCH_SELECTOR, ids=[c[0] for c in MATCH_SELECTOR])
def test_matches_selector(case: tuple[str, dict[str, Any], dict[str, str], bool]) -> None:
    _name, selector, labels, upstream = case
    assert reach(*_selector_cluster(selector, labels)).can_reach("ns/source", "ns/target", 80) is upstream


def test_matches_selector_invalid_operator_is_refused() -> None:
    """ "Invalid operator should not match": the API server refuses the selector; k8sviz too."""
    selector = {"matchExpressions": [{"key": "tier", "operator": "bad-operator", "values": ["val"]}]}
    assert "invalid operator" in refused(*_selector_cluster(selector, {"tier": "val"}))


# ----------------------------------------------------------------------------------------------
# Test_adminNetworkPolicyAction

ALL: dict[str, Any] = {"namespaces": {}}
RANGE_80_120 = [{"portRange": {"protocol": "TCP", "start": 80, "end": 120}}]


def _anp(name: str, priority: int, **rules: list[dict[str, Any]]) -> dict[str, Any]:
    return anp(name, {"priority": priority, "subject": ALL, **rules})


def _pods_peer(ns_sel: dict[str, Any] | None = None, pod_sel: dict[str, Any] | None = None) -> dict[str, Any]:
    # v1alpha1 NamespacedPod: both selectors required; Go's zero value is the empty selector.
    return {"pods": {"namespaceSelector": ns_sel or {}, "podSelector": pod_sel or {}}}


ANP: dict[str, dict[str, Any]] = {
    "deny-ingress": _anp("default-deny-ingress", 110, ingress=[{"action": "Deny", "from": [ALL]}]),
    "deny-egress": _anp("default-deny-egress", 110, egress=[{"action": "Deny", "to": [ALL]}]),
    "allow-all-ingress": _anp("default-allow-ingress", 100, ingress=[{"action": "Allow", "from": [ALL]}]),
    "allow-ingress-pods": _anp(
        "default-allow-ingress-pods",
        110,
        ingress=[{"action": "Allow", "from": [_pods_peer(pod_sel=sel(a="b"))]}],
    ),
    "egress-range": _anp(
        "multiport-egress", 10, egress=[{"action": "Allow", "to": [ALL], "ports": RANGE_80_120}]
    ),
    "egress-range-nodes": _anp(
        "multiport-egress-nodes",
        10,
        egress=[{"action": "Allow", "to": [{"nodes": {}}], "ports": RANGE_80_120}],
    ),
    "egress-range-cidr": _anp(
        "multiport-egress-cidr",
        10,
        egress=[{"action": "Allow", "to": [{"networks": ["192.168.0.0/16"]}], "ports": RANGE_80_120}],
    ),
    "egress-range-pods": _anp(
        "multiport-egress-pods",
        100,
        egress=[{"action": "Allow", "to": [_pods_peer(pod_sel=sel(a="b"))], "ports": RANGE_80_120}],
    ),
    "egress-range-ns": _anp(
        "multiport-egress-ns",
        10,
        egress=[{"action": "Allow", "to": [_pods_peer(ns_sel=sel(a="b"))], "ports": RANGE_80_120}],
    ),
    "egress-range-pod-ns": _anp(
        "multiport-egress-pod-ns",
        10,
        egress=[{"action": "Allow", "to": [_pods_peer(sel(a="b"), sel(a="b"))], "ports": RANGE_80_120}],
    ),
    "ingress-range-pod-ns": _anp(
        "multiport-ingress-pod-ns",
        10,
        ingress=[{"action": "Allow", "from": [_pods_peer(sel(a="b"), sel(a="b"))], "ports": RANGE_80_120}],
    ),
}


def anp_cluster() -> list[dict[str, Any]]:
    """Upstream's cluster as its evaluators see it: pod c's namespace has no object, so c is
    unknown to them and 192.168.3.33 an address no pod has; c's Pod is left out."""
    return [
        kns("foo"),
        kns("bar"),
        knode(),
        kpod("a", "foo", A),
        kpod("b", "bar", B),
        kpod("d", "bar", D, {"c": "d"}),
    ]


ANP_ACTION: list[tuple[str, tuple[str, ...], str, str, int, bool]] = [
    ("no network policy", (), A, B, 80, True),
    ("deny ingress", ("deny-ingress",), A, B, 80, False),
    ("deny egress", ("deny-egress",), B, A, 80, False),
    (
        "allow all override deny ingress if it has higher priority",
        ("deny-ingress", "allow-all-ingress"),
        A,
        B,
        80,
        True,
    ),
    ("allow ingress", ("allow-ingress-pods",), "10.0.0.1", B, 80, True),
    ("multiport allow egress port", ("deny-egress", "egress-range"), A, B, 80, True),
    ("multiport allow egress node port", ("deny-egress", "egress-range-nodes"), A, B, 80, True),
    ("multiport deny egress port", ("deny-egress", "egress-range"), A, B, 30080, False),
    ("multiport allow egress", ("deny-egress", "egress-range-cidr"), A, B, 80, True),
    (
        "multiport allow egress port selector not match ns",
        ("deny-egress", "egress-range-pods"),
        A,
        B,
        80,
        True,
    ),
    ("multiport allow egress ns selector", ("deny-egress", "egress-range-ns"), A, B, 80, True),
    ("multiport allow egress ns selector fail", ("deny-egress", "egress-range-ns"), A, C, 80, True),
    ("multiport allow egress ns and pod selector", ("deny-egress", "egress-range-pod-ns"), A, B, 80, True),
    (
        "multiport allow egress ns and pod selector fail",
        ("deny-egress", "egress-range-pod-ns"),
        A,
        C,
        80,
        True,
    ),
    ("multiport allow ingress ns and pod selector", ("deny-ingress", "ingress-range-pod-ns"), A, B, 80, True),
    (
        "multiport allow ingress ns and pod selector fail",
        ("deny-ingress", "ingress-range-pod-ns"),
        A,
        D,
        9080,
        False,
    ),
]
ANP_ACTION_DIFFERS = {"multiport allow egress node port"}


@pytest.mark.parametrize("case", ANP_ACTION, ids=[c[0] for c in ANP_ACTION])
def test_admin_network_policy_action(case: tuple[str, tuple[str, ...], str, str, int, bool]) -> None:
    name, policies, src, dst, port, upstream = case
    r = reach(*anp_cluster(), *(ANP[p] for p in policies))
    expected = not upstream if name in ANP_ACTION_DIFFERS else upstream
    assert r.can_reach(src, dst, port, "TCP") is expected


def test_anp_multiport_allow_egress_node_port() -> None:
    """A ``nodes`` peer is the nodes, not the pods scheduled on them.

    Upstream matches the peer's selector against the labels of the destination pod's node, so
    a to b on 80 meets the Allow.  The API's peer selects nodes (their addresses, and the
    hostNetwork pods that use them), and network-policy-api's conformance test
    ``AdminNetworkPolicyEgressNodePeers`` checks that pods on a selected node are not matched:
    a to b falls through to the Deny.  With a Deny that also covers every address, a reaches
    the node's own address on 80 (the Allow) and not on 130.
    """
    r = reach(*anp_cluster(), ANP["deny-egress"], ANP["egress-range-nodes"])
    assert not r.can_reach(A, B, 80)
    deny_all = _anp(
        "default-deny-egress", 110, egress=[{"action": "Deny", "to": [ALL, {"networks": ["0.0.0.0/0"]}]}]
    )
    r = reach(*anp_cluster(), deny_all, ANP["egress-range-nodes"])
    assert not r.can_reach(A, B, 80)
    assert r.can_reach(A, NODE_IP, 80) and not r.can_reach(A, NODE_IP, 130)


def test_anp_blocked_namespace_present() -> None:
    """With namespace ``blocked`` and pod c in the cluster, the Deny to ``namespaces: {}`` takes c.

    Upstream's "... fail" cases allow a to 192.168.3.33 because c is unknown to its evaluators
    (no Namespace object); in a cluster where c runs, its namespace exists and every namespace
    is selected, so the priority-110 Deny decides (the namespace has only its name label: "c will
    not match neither selectors or namespaces", as upstream's fixture says of it).
    """
    blocked = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "blocked"}}
    objs = (*anp_cluster(), blocked, kpod("c", "blocked", C, {"c": "d"}))
    for allow in ("egress-range-ns", "egress-range-pod-ns"):
        r = reach(*objs, ANP["deny-egress"], ANP[allow])
        assert not r.can_reach(A, C, 80)
        assert r.can_reach(A, B, 80)


# ----------------------------------------------------------------------------------------------
# Test_evaluateAdminNetworkPolicyPort and Test_evaluateClusterNetworkPolicyPort: the ports of an
# Allow rule followed by a Deny of everything, for makePod("test", "nstest", "192.168.1.1")

ADMIN_PORT_CASES: list[tuple[str, list[dict[str, Any]], int, str, bool]] = [
    ("match port", [{"portNumber": {"protocol": "TCP", "port": 80}}], 80, "TCP", True),
    ("wrong port protocol", [{"portNumber": {"protocol": "TCP", "port": 80}}], 80, "UDP", False),
    ("wrong port number", [{"portNumber": {"protocol": "TCP", "port": 80}}], 443, "TCP", False),
    ("match port named", [{"namedPort": "http"}], 80, "TCP", True),
    ("match port range", RANGE_80_120, 80, "TCP", True),
    ("out port range", RANGE_80_120, 180, "TCP", False),
    ("inside port range but wrong protocol", RANGE_80_120, 90, "UDP", False),
]
CNP_PORT_CASES: list[tuple[str, list[dict[str, Any]], int, str, bool]] = [
    ("match port number", [{"tcp": {"destinationPort": {"number": 80}}}], 80, "TCP", True),
    ("match named port", [{"destinationNamedPort": "http"}], 80, "TCP", True),
    (
        "match port range",
        [{"tcp": {"destinationPort": {"range": {"start": 80, "end": 90}}}}],
        85,
        "TCP",
        True,
    ),
    ("no match port number", [{"tcp": {"destinationPort": {"number": 80}}}], 443, "TCP", False),
]


def cnp(name: str, tier: str, priority: int, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "policy.networking.k8s.io/v1beta1",
        "kind": "ClusterNetworkPolicy",
        "metadata": {"name": name},
        "spec": {"tier": tier, "priority": priority, **spec},
    }


def _admin_port_cluster(kind: str, ports: list[dict[str, Any]] | None, direction: str) -> Cluster:
    """An Allow rule with ``ports`` (none: no ``ports``), then a Deny of every peer."""
    subject_ns = "nstest" if direction == "ingress" else "client"
    subject = {"namespaces": sel(**{"kubernetes.io/metadata.name": subject_ns})}
    peer_key = "from" if direction == "ingress" else "to"
    port_key = "protocols" if kind == "cnp" else "ports"
    allow: dict[str, Any] = {"action": "Accept" if kind == "cnp" else "Allow", peer_key: [ALL]}
    if ports is not None:
        allow[port_key] = ports
    spec = {"subject": subject, direction: [allow, {"action": "Deny", peer_key: [ALL]}]}
    pol = cnp("ports", "Admin", 5, spec) if kind == "cnp" else anp("ports", {"priority": 5, **spec})
    return reach(
        kns("nstest"),
        kns("client"),
        kpod("test", "nstest", PORTS_DST),
        kpod("src", "client", PORTS_SRC, {}),
        pol,
    )


@pytest.mark.parametrize("direction", ["ingress", "egress"])
@pytest.mark.parametrize("case", ADMIN_PORT_CASES, ids=[c[0] for c in ADMIN_PORT_CASES])
def test_evaluate_admin_network_policy_port(
    case: tuple[str, list[dict[str, Any]], int, str, bool], direction: str
) -> None:
    _name, ports, port, protocol, upstream = case
    assert (
        _admin_port_cluster("anp", ports, direction).can_reach(PORTS_SRC, PORTS_DST, port, protocol)
        is upstream
    )


@pytest.mark.parametrize("direction", ["ingress", "egress"])
@pytest.mark.parametrize("case", CNP_PORT_CASES, ids=[c[0] for c in CNP_PORT_CASES])
def test_evaluate_cluster_network_policy_port(
    case: tuple[str, list[dict[str, Any]], int, str, bool], direction: str
) -> None:
    _name, ports, port, protocol, upstream = case
    assert (
        _admin_port_cluster("cnp", ports, direction).can_reach(PORTS_SRC, PORTS_DST, port, protocol)
        is upstream
    )


@pytest.mark.parametrize("kind", ["anp", "cnp"])
@pytest.mark.parametrize("direction", ["ingress", "egress"])
def test_evaluate_admin_port_empty(kind: str, direction: str) -> None:
    """ "empty" / "empty ports match all": a rule without ports matches every port and protocol."""
    r = _admin_port_cluster(kind, None, direction)
    assert all(r.can_reach(PORTS_SRC, PORTS_DST, p, proto) for p in (1, 80, 65535) for proto in PROTOCOLS)


# ----------------------------------------------------------------------------------------------
# TestController_getAdminNetworkPoliciesForPod: does the subject select pod a (foo)?

SUBJECTS: list[tuple[str, dict[str, Any], bool]] = [
    ("empty namespace selector matches all", {"namespaces": {}}, True),
    ("match namespace", {"namespaces": sel(a="b")}, True),
    ("do not match namespace", {"namespaces": sel(c="do not match")}, False),
    ("empty selectors matches all", _pods_peer(), True),
    ("match pod selectors", _pods_peer(pod_sel=sel(a="b")), True),
    ("match namespace selectors", _pods_peer(ns_sel=sel(a="b")), True),
    ("match namespace label", _pods_peer(ns_sel=sel(**{"kubernetes.io/metadata.name": "foo"})), True),
    ("match namespace and selectors", _pods_peer(sel(a="b"), sel(a="b")), True),
    ("do not match namespace match pod", _pods_peer(sel(c="do not match"), sel(a="b")), False),
]


@pytest.mark.parametrize("case", SUBJECTS, ids=[c[0] for c in SUBJECTS])
def test_get_admin_network_policies_for_pod(case: tuple[str, dict[str, Any], bool]) -> None:
    """The policy denies all ingress to its subject: a is selected iff b cannot reach it."""
    _name, subject, upstream = case
    pol = anp("anp", {"priority": 1, "subject": subject, "ingress": [{"action": "Deny", "from": [ALL]}]})
    r = reach(kns("foo"), kns("client", a="x"), kpod("a", "foo", A), kpod("b", "client", B, {}), pol)
    assert r.can_reach(B, A, 80) is not upstream


def test_get_admin_network_policies_for_pod_empty() -> None:
    """ "empty": an AdminNetworkPolicy without subject; the API requires one, k8sviz refuses it."""
    bare = anp("anp", {"priority": 1, "ingress": [{"action": "Deny", "from": [ALL]}]})
    assert "subject" in refused(kns("foo"), kpod("a", "foo", A), bare)


# ----------------------------------------------------------------------------------------------
# Test_baselineAdminNetworkPolicyAction: pods a (foo), b (bar), c (baz), all labelled a=b


def _banp(name: str, **rules: list[dict[str, Any]]) -> dict[str, Any]:
    return anp(name, {"subject": ALL, **rules}, baseline=True)


BANP: dict[str, dict[str, Any]] = {
    "deny-all-ingress": _banp("z-deny-all-ingress", ingress=[{"action": "Deny", "from": [ALL]}]),
    "deny-all-egress": _banp("z-deny-all-egress", egress=[{"action": "Deny", "to": [ALL]}]),
    "allow-egress-to-bar": _banp(
        "a-allow-egress-to-bar", egress=[{"action": "Allow", "to": [{"namespaces": sel(a="b")}]}]
    ),
    "allow-ingress-from-foo": _banp(
        "a-allow-ingress-from-foo", ingress=[{"action": "Allow", "from": [{"namespaces": sel(a="b")}]}]
    ),
    "deny-port-80": _banp(
        "deny-port-80",
        egress=[{"action": "Deny", "to": [ALL], "ports": [{"portNumber": {"protocol": "TCP", "port": 80}}]}],
    ),
}
BANP_ACTION: list[tuple[str, tuple[str, ...], str, str, tuple[str, int] | None, bool]] = [
    # (name, policies, source, destination, (protocol, port) or None for upstream's portless packet, verdict)
    ("no policies should result in VerdictNext", (), A, B, None, True),
    ("deny-all-egress policy should deny traffic", ("deny-all-egress",), A, B, None, False),
    ("deny-all-ingress policy should deny traffic", ("deny-all-ingress",), A, B, None, False),
    (
        "allow-egress rule found before deny-egress rule allows traffic",
        ("allow-egress-to-bar", "deny-all-egress"),
        A,
        B,
        None,
        True,
    ),
    (
        "allow-ingress rule found before deny-ingress rule allows traffic",
        ("allow-ingress-from-foo", "deny-all-ingress"),
        A,
        B,
        None,
        True,
    ),
    (
        "traffic not matching specific ingress-allow defaults to allow",
        ("allow-ingress-from-foo",),
        C,
        B,
        None,
        True,
    ),
    ("egress traffic to a specific port is denied", ("deny-port-80",), A, B, ("TCP", 80), False),
    ("egress traffic to a different port is allowed by default", ("deny-port-80",), A, B, ("TCP", 443), True),
]


@pytest.mark.parametrize("case", BANP_ACTION, ids=[c[0] for c in BANP_ACTION])
def test_baseline_admin_network_policy_action(
    case: tuple[str, tuple[str, ...], str, str, tuple[str, int] | None, bool],
) -> None:
    _name, policies, src, dst, packet, upstream = case
    r = reach(
        kns("foo"),
        kns("bar"),
        kns("baz"),
        kpod("a", "foo", A),
        kpod("b", "bar", B),
        kpod("c", "baz", C),
        *(BANP[p] for p in policies),
    )
    asks = [packet] if packet else [(proto, 80) for proto in PROTOCOLS]
    assert all(r.can_reach(src, dst, port, proto) is upstream for proto, port in asks)
    # Two BaselineAdminNetworkPolicies: the API admits one, named "default"; both apply, by name.
    assert any(w.code == "baseline-not-default" for w in r.warnings) is bool(policies)


# ----------------------------------------------------------------------------------------------
# Test_ClusterNetworkPolicy_Evaluation: pods a (ns-foo), b (ns-bar), c (ns-baz)


def _cnp_subject_all(name: str, tier: str, priority: int, **rules: list[dict[str, Any]]) -> dict[str, Any]:
    return cnp(name, tier, priority, {"subject": ALL, **rules})


CNP: dict[str, dict[str, Any]] = {
    "admin-deny-all-egress": _cnp_subject_all(
        "admin-deny-all-egress", "Admin", 100, egress=[{"action": "Deny", "to": [ALL]}]
    ),
    "admin-allow-egress-to-ns-bar": cnp(
        "admin-allow-egress-to-ns-bar",
        "Admin",
        50,
        {
            "subject": {"namespaces": sel(**{"kubernetes.io/metadata.name": "ns-foo"})},
            "egress": [{"action": "Accept", "to": [{"namespaces": sel(team="bar")}]}],
        },
    ),
    "baseline-deny-all-ingress": _cnp_subject_all(
        "baseline-deny-all-ingress", "Baseline", 100, ingress=[{"action": "Deny", "from": [ALL]}]
    ),
    "baseline-allow-ingress-from-ns-foo": cnp(
        "baseline-allow-ingress-from-ns-foo",
        "Baseline",
        50,
        {
            "subject": {"namespaces": sel(team="bar")},
            "ingress": [{"action": "Accept", "from": [{"namespaces": sel(team="foo")}]}],
        },
    ),
}
CNP_EVALUATION: list[tuple[str, tuple[str, ...], str, str, bool]] = [
    # each case's policies are of one tier, whose verdict is then the connection's
    (
        "Admin: Deny Egress overrides lower priority Allow",
        ("admin-deny-all-egress", "admin-allow-egress-to-ns-bar"),
        A,
        B,
        True,
    ),
    ("Admin: No matching policy should pass", ("admin-deny-all-egress",), A, C, False),
    (
        "Baseline: Allow Ingress from specific namespace",
        ("baseline-deny-all-ingress", "baseline-allow-ingress-from-ns-foo"),
        A,
        B,
        True,
    ),
    (
        "Baseline: Deny Ingress from other namespace",
        ("baseline-deny-all-ingress", "baseline-allow-ingress-from-ns-foo"),
        C,
        B,
        False,
    ),
    ("No policies applied", (), A, B, True),
]


@pytest.mark.parametrize("case", CNP_EVALUATION, ids=[c[0] for c in CNP_EVALUATION])
def test_cluster_network_policy_evaluation(case: tuple[str, tuple[str, ...], str, str, bool]) -> None:
    _name, policies, src, dst, upstream = case
    r = reach(
        kns("ns-foo", team="foo"),
        kns("ns-bar", team="bar"),
        kns("ns-baz", team="baz"),
        kpod("a", "ns-foo", A),
        kpod("b", "ns-bar", B),
        kpod("c", "ns-baz", C),
        *(CNP[p] for p in policies),
    )
    assert all(r.can_reach(src, dst, 80, proto) is upstream for proto in PROTOCOLS)


# ----------------------------------------------------------------------------------------------
# TestSinglePipelineWithRealEvaluators: NetworkPolicy between mocked ANP and BANP verdicts

PIPE_A, PIPE_B = "10.0.1.10", "10.0.2.20"


def _tier(kind: str, verdict: str) -> list[dict[str, Any]]:
    """A policy that gives ``verdict`` (Accept/Deny) to every connection, both ways; Next: none."""
    if verdict == "Next":
        return []
    action = "Allow" if verdict == "Accept" else "Deny"
    spec: dict[str, Any] = {
        "subject": ALL,
        "ingress": [{"action": action, "from": [ALL]}],
        "egress": [{"action": action, "to": [ALL]}],
    }
    if kind == "anp":
        return [anp("mock", {"priority": 1, **spec})]
    return [anp("default", spec, baseline=True)]


def _pipe_np(
    namespace: str, name: str, app: str, types: list[str], **rules: list[dict[str, Any]]
) -> dict[str, Any]:
    return _np(namespace, name, {"podSelector": sel(app=app), "policyTypes": types, **rules})


PIPELINE: list[tuple[str, str, str, list[dict[str, Any]], bool]] = [
    # (name, ANP verdict, BANP verdict, NetworkPolicies, upstream verdict)
    (
        "ANP Allow overrides NP Deny",
        "Accept",
        "Next",
        [_pipe_np("ns-a", "deny-a-egress", "a", ["Egress"])],
        True,
    ),
    (
        "BANP Allow do not overrides NP Deny",
        "Next",
        "Accept",
        [_pipe_np("ns-a", "deny-a-egress", "a", ["Egress"])],
        False,
    ),
    (
        "ANP Deny overrides NP Allow",
        "Deny",
        "Next",
        [_pipe_np("ns-a", "allow-a-egress", "a", ["Egress"], egress=[{}])],
        False,
    ),
    (
        "NP Deny when ANP and BANP Pass",
        "Next",
        "Next",
        [_pipe_np("ns-a", "deny-a-egress", "a", ["Egress"])],
        False,
    ),
    (
        "NP Allow when ANP Pass and BANP Deny",
        "Next",
        "Deny",
        [
            _pipe_np("ns-a", "allow-a-egress", "a", ["Egress", "Ingress"], egress=[{}]),
            _pipe_np("ns-b", "allow-b-ingress", "b", ["Ingress"], ingress=[{}]),
        ],
        True,
    ),
    ("Default Allow when all evaluators Pass", "Next", "Next", [], True),
]


@pytest.mark.parametrize("case", PIPELINE, ids=[c[0] for c in PIPELINE])
def test_single_pipeline_with_real_evaluators(case: tuple[str, str, str, list[dict[str, Any]], bool]) -> None:
    _name, anp_verdict, banp_verdict, nps, upstream = case
    objs = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns-a", "labels": {"team": "a"}}},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns-b", "labels": {"team": "b"}}},
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"namespace": "ns-a", "name": "pod-a", "labels": {"app": "a"}},
            "spec": {"containers": [{"name": "c"}]},
            "status": {"podIP": PIPE_A},
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"namespace": "ns-b", "name": "pod-b", "labels": {"app": "b"}},
            "spec": {"containers": [{"name": "c"}]},
            "status": {"podIP": PIPE_B},
        },
        *nps,
        *_tier("anp", anp_verdict),
        *_tier("banp", banp_verdict),
    ]
    assert reach(*objs).can_reach(PIPE_A, PIPE_B, 80, "TCP") is upstream


# ----------------------------------------------------------------------------------------------
# TestInformerResolver_LookupPod: which pod a packet's address stands for.  Asked through a
# policy that lets in only the pods labelled ``allowed``: the address reaches the target iff
# it stands for such a pod.


def _phase_pod(
    namespace: str, name: str, ips: list[str], phase: str, allowed: bool, host: bool = False
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"namespace": namespace, "name": name, "labels": {"allowed": str(allowed).lower()}},
        # On another node than the target: a node's own traffic gets into its pods whatever
        # their policies, which is not what these cases ask.
        "spec": {"nodeName": "other-node", "hostNetwork": host, "containers": [{"name": "c"}]},
        "status": {"phase": phase, "podIP": ips[0], "podIPs": [{"ip": ip} for ip in ips]},
    }


def _lookup_cluster(*pods: dict[str, Any]) -> Cluster:
    namespaces = sorted({p["metadata"]["namespace"] for p in pods} | {"target"})
    return reach(
        *({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in namespaces),
        *pods,
        kpod("server", "target", "10.9.9.9", {}),
        _np(
            "target",
            "only-allowed",
            {
                "podSelector": {},
                "ingress": [{"from": [{"namespaceSelector": {}, "podSelector": sel(allowed="true")}]}],
            },
        ),
        ipblocks_match_pods=False,
    )


def test_lookup_pod_found_running_pod() -> None:
    assert _lookup_cluster(_phase_pod("ns1", "pod1", ["10.0.0.1"], "Running", True)).can_reach(
        "10.0.0.1", "10.9.9.9", 80
    )


def test_lookup_pod_found_non_running_pod() -> None:
    """A pod that completed still stands for its address when no other pod has it."""
    r = _lookup_cluster(_phase_pod("ns1", "pod2", ["10.0.0.2"], "Succeeded", True))
    assert r.can_reach("10.0.0.2", "10.9.9.9", 80)


def test_lookup_pod_ip_not_found() -> None:
    """An address no pod has is outside the pods: no pod selector takes it."""
    r = _lookup_cluster(_phase_pod("ns1", "pod1", ["10.0.0.1"], "Running", True))
    assert not r.can_reach("1.2.3.4", "10.9.9.9", 80)


@pytest.mark.parametrize(
    "pending_name", ["pod3-pending", "a-pod3-pending"], ids=["listed after", "listed before"]
)
def test_lookup_pod_multiple_pods_with_same_ip_one_running(pending_name: str) -> None:
    """Two pods claim 10.0.0.3, one Running and one Pending: the Running one stands for it,
    whichever comes first in the input (and in the snapshot's order, by name)."""
    for running_allowed in (True, False):
        running = _phase_pod("ns2", "pod3", ["10.0.0.3"], "Running", running_allowed)
        pending = _phase_pod("ns2", pending_name, ["10.0.0.3"], "Pending", not running_allowed)
        for pods in ((running, pending), (pending, running)):
            assert _lookup_cluster(*pods).can_reach("10.0.0.3", "10.9.9.9", 80) is running_allowed


def test_lookup_pod_host_network_pod_ip_is_not_indexed() -> None:
    """A hostNetwork pod's address is its node's, not a pod's: the pod selector does not take it
    (and the pod itself is not judged by NetworkPolicy)."""
    r = _lookup_cluster(_phase_pod("ns1", "pod4-host", ["10.0.0.4"], "Running", True, host=True))
    assert not r.can_reach("10.0.0.4", "10.9.9.9", 80)
    assert "ns1/pod4-host" in r.reach.unenforced


@pytest.mark.parametrize("ip", ["10.0.0.5", "192.168.1.5"], ids=["found by first ip", "found by second ip"])
def test_lookup_pod_with_multiple_ips(ip: str) -> None:
    r = _lookup_cluster(_phase_pod("ns3", "pod5", ["10.0.0.5", "192.168.1.5"], "Running", True))
    assert r.can_reach(ip, "10.9.9.9", 80)


# ----------------------------------------------------------------------------------------------
# TestController_evaluateAdminEgress_DomainNames (plugins/anp/adminnetworkpolicy_test.go
# 5edbe92; pkg/networkpolicy/adminnetworkpolicy_test.go 044f2f7): from pod a (foo) to outside
# addresses, with a mock resolver that knows allow.example.com (and test.wild.com) as 10.0.0.1
# and deny.example.com as 10.0.0.2.  A snapshot holds no DNS answers, and k8sviz matches no
# address with a domainNames peer, with a warning: the cases where the resolver does not put
# the packet's address under the rule's names are the same facts, and are ported; those where
# it does (a name that resolves to the address) are not.

ALLOW_IP, OTHER_IP = "10.0.0.1", "10.0.0.3"
DOMAIN_CASES: list[tuple[str, list[dict[str, Any]], str, bool]] = [
    (
        "Allow rule matches domain but not IP",
        [{"action": "Allow", "to": [{"domainNames": ["allow.example.com"]}]}],
        OTHER_IP,
        True,
    ),
    (
        "Rule domain does not match cached domains",
        [{"action": "Allow", "to": [{"domainNames": ["other.example.com"]}]}],
        ALLOW_IP,
        True,
    ),
    (
        "Wildcard domain does not match IP",
        [{"action": "Allow", "to": [{"domainNames": ["*.wild.com"]}]}],
        OTHER_IP,
        True,
    ),
    (
        "Rule with multiple peer types, domain does not match",
        [{"action": "Allow", "to": [{"networks": ["192.0.2.0/24"]}, {"domainNames": ["other.example.com"]}]}],
        ALLOW_IP,
        True,
    ),
    (
        "Rule with deny all, domain does not match",
        [
            {"action": "Allow", "to": [{"domainNames": ["allow.example.com"]}]},
            {"action": "Deny", "to": [{"networks": ["0.0.0.0/0"]}]},
        ],
        OTHER_IP,
        False,
    ),
]


@pytest.mark.parametrize("case", DOMAIN_CASES, ids=[c[0] for c in DOMAIN_CASES])
def test_evaluate_admin_egress_domain_names(case: tuple[str, list[dict[str, Any]], str, bool]) -> None:
    name, egress, dst, upstream = case
    r = reach(
        kns("foo"),
        kpod("a", "foo", A),
        anp(
            name.lower().replace(" ", "-").replace(",", ""),
            {"priority": 10, "subject": ALL, "egress": egress},
        ),
    )
    assert all(r.can_reach(A, dst, 80, proto) is upstream for proto in PROTOCOLS)
    assert any(w.code == "admin-domain-names" for w in r.warnings)
