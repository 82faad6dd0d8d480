"""Kubernetes' own e2e NetworkPolicy scenarios, as truth tables.

Source: kubernetes/kubernetes ``test/e2e/network/netpol/network_policy.go`` (the version whose
model is the full 3 x 3 cluster, commit 9db638c; later versions keep the same scenarios but
create only the pods each one needs), with ``model.go``, ``reachability.go`` and
``test_helper.go``.  The facts are ported, not the code:

- The model: namespaces x, y and z (labelled ``ns=<name>``, plus the
  ``kubernetes.io/metadata.name`` label the API server sets), each with pods a, b and c
  (labelled ``pod=<name>``), each pod one container per port (80, 81) and protocol (TCP, UDP,
  SCTP) whose port is named ``serve-<port>-<protocol>``.
- Every scenario starts from "everything reaches everything" and states the exceptions with
  upstream's four operations, mirrored by :class:`Truth`: ``Expect`` (one pair),
  ``ExpectAllIngress`` (every source into a pod), ``ExpectAllEgress`` (a pod to every
  destination) and ``ExpectPeer`` (namespace/pod patterns on both ends, applied in order).
- Policies are built as upstream's helpers build them: ``SetSpecIngressRules`` and
  ``SetSpecEgressRules`` also append the direction to ``policyTypes``.
- Each check compares the full 9 x 9 matrix for one port and protocol with
  ``reach.can_reach(src, dst, port, protocol)``, and with the reference evaluator
  (``tests/policy/reference.py``).  A pod to itself is left out: upstream ignores loopback
  (``ignoreLoopback``, kubernetes#95879) and k8sviz does not judge it.

Adapted:

- A scenario that changes the cluster mid-test (a policy created, updated or deleted, a
  namespace or pod label added) is one snapshot per stage, named ``step N``.
- Upstream probes each pod through its Service's name; NetworkPolicy sees the connection after
  the Service's address translation, so it is judged here from pod to pod.
- The three ipBlock scenarios build their CIDRs from the model's pod addresses, as upstream
  builds them from ``status.podIP``.  They rely on the CNI matching ipBlocks against pod
  addresses, which the API documentation leaves open ("These should be cluster-external IPs,
  since Pod IPs are ephemeral and unpredictable"); k8sviz judges them so with
  ``ipblocks_match_pods=True`` only.  :func:`test_ipblock_scenarios_need_ipblocks_match_pods`
  pins what the default (external-only) reading gives instead.
- Earlier versions of upstream's egress policies (``policies.go``: ``GetAllowEgressByPort``,
  ``GetAllowEgressByNamespaceAndPod``, ``GetAllowEgressByCIDR[Except]``) carried one more rule,
  UDP 53 to anywhere, so that the Service name in the probe resolved.  Those scenarios run
  again with that rule (``+dns``): the upstream matrices must not change, and UDP 53 must
  reach what the rule opens (an expectation written here, not upstream's).

Not ported:

- ``network_policy_api.go``: create/read/update/delete through the API, no connectivity.
- ``network_legacy.go``: the older suite of server/client pods and Services, without truth
  tables; the truth-table suite here superseded it upstream.
- The Windows model (TCP only): the same scenarios on fewer protocols.
- Probe timing and retries, and the 3-second wait after deleting policies: a snapshot has no
  time; the state after each change is a separate step.
"""

from __future__ import annotations

import copy
import ipaddress
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

import k8sviz
from k8sviz.snapshot import Snapshot, SnapshotBuilder

from . import reference

NAMESPACES = ("x", "y", "z")
POD_NAMES = ("a", "b", "c")
PODS = tuple(f"{n}/{p}" for n in NAMESPACES for p in POD_NAMES)
PORTS = (80, 81)
PROTOCOLS = ("TCP", "UDP", "SCTP")
NAME_LABEL = "kubernetes.io/metadata.name"

Json = dict[str, Any]


# ------------------------------------------------------------------------------ the model


def pod_ip(key: str) -> str:
    """x/a -> 10.0.0.10, z/c -> 10.0.2.12: every pod in 10.0.0.0/22, like a node's pod CIDR."""
    space, name = key.split("/")
    return f"10.0.{NAMESPACES.index(space)}.{10 + POD_NAMES.index(name)}"


def model_objects(ns_labels: dict[str, dict[str, str]], pod_labels: dict[str, dict[str, str]]) -> list[Json]:
    """The namespaces and pods of upstream's model, with labels added by a scenario's step."""
    objs: list[Json] = []
    for space in NAMESPACES:
        labels = {"ns": space, **ns_labels.get(space, {})}
        objs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": space, "labels": labels}})
    for key in PODS:
        space, name = key.split("/")
        containers = [
            {
                "name": f"cont-{port}-{proto.lower()}",
                "image": "agnhost",
                "ports": [
                    {"containerPort": port, "name": f"serve-{port}-{proto.lower()}", "protocol": proto}
                ],
            }
            for port in PORTS
            for proto in PROTOCOLS
        ]
        objs.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "namespace": space,
                    "name": name,
                    "labels": {"pod": name, **pod_labels.get(key, {})},
                },
                "spec": {"containers": containers},
                "status": {"phase": "Running", "podIP": pod_ip(key)},
            }
        )
    return objs


def build(objs: list[Json]) -> Snapshot:
    b = SnapshotBuilder()
    for o in objs:
        b.add(o, "upstream-e2e")
    return b.build()


# ------------------------------------------------------------------------------ policies


def match(**labels: str) -> Json:
    return {"matchLabels": dict(labels)}


def expr(key: str, operator: str, *values: str) -> Json:
    return {"matchExpressions": [{"key": key, "operator": operator, "values": list(values)}]}


def ns_named(name: str) -> Json:
    return match(**{NAME_LABEL: name})


def policy(
    namespace: str,
    name: str,
    pod_selector: Json,
    *,
    ingress: list[Json] | None = None,
    egress: list[Json] | None = None,
    types: list[str] | None = None,
) -> Json:
    """A NetworkPolicy as upstream's helpers make it: giving a direction's rules (even none)
    adds the direction to ``policyTypes``, in the order given, unless ``types`` says otherwise."""
    spec: Json = {"podSelector": pod_selector}
    kinds = []
    if ingress is not None:
        spec["ingress"] = ingress
        kinds.append("Ingress")
    if egress is not None:
        spec["egress"] = egress
        kinds.append("Egress")
    spec["policyTypes"] = kinds if types is None else types
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"namespace": namespace, "name": name},
        "spec": spec,
    }


def port(number: int | str, protocol: str | None = None) -> Json:
    p: Json = {"port": number}
    if protocol:
        p["protocol"] = protocol
    return p


DNS_RULE: Json = {"ports": [{"protocol": "UDP", "port": 53}]}


# ------------------------------------------------------------------------------ truth tables


def _matches(pattern: str, key: str) -> bool:
    """Upstream's Peer: "*" is any pod, "x" any pod of namespace x, "x/a" that pod."""
    if pattern == "*":
        return True
    return key == pattern if "/" in pattern else key.split("/")[0] == pattern


class Truth:
    """Expected connectivity of every ordered pair of distinct pods, allowed unless stated."""

    def __init__(self) -> None:
        self.cells = {(s, d): True for s in PODS for d in PODS if s != d}

    def expect(self, src: str, dst: str, ok: bool) -> Truth:
        self.cells[(src, dst)] = ok
        return self

    def all_ingress(self, dst: str, ok: bool) -> Truth:
        return self.peer("*", dst, ok)

    def all_egress(self, src: str, ok: bool) -> Truth:
        return self.peer(src, "*", ok)

    def peer(self, src: str, dst: str, ok: bool) -> Truth:
        for s, d in self.cells:
            if _matches(src, s) and _matches(dst, d):
                self.cells[(s, d)] = ok
        return self


def grid(cells: dict[tuple[str, str], bool], other: dict[tuple[str, str], bool] | None = None) -> str:
    """Upstream's printout: "." connects, "X" does not, "-" is the pod itself; a "*" marks a
    cell that differs from ``other``."""
    lines = ["-\t" + "\t".join(PODS)]
    for s in PODS:
        row = []
        for d in PODS:
            if s == d:
                row.append("-")
                continue
            mark = "." if cells[(s, d)] else "X"
            row.append(f"*{mark}*" if other is not None and other[(s, d)] != cells[(s, d)] else mark)
        lines.append(s + "\t" + "\t".join(row))
    return "\n".join(lines)


# ------------------------------------------------------------------------------ scenarios


@dataclass(frozen=True)
class Check:
    port: int
    protocol: str
    truth: Truth


@dataclass(frozen=True)
class Step:
    policies: tuple[Json, ...]
    checks: tuple[Check, ...]
    ns_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    pod_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    ipblocks_match_pods: bool = False


@dataclass(frozen=True)
class Scenario:
    #: The ginkgo Context: "TCP" for "NetworkPolicy between server and client", "UDP" and
    #: "SCTP" for "... using UDP" / "... using SCTP".
    context: str
    #: The ``It("...")`` text upstream.
    name: str
    steps: tuple[Step, ...]


def one(policies: list[Json], port_: int, protocol: str, truth: Truth, **kw: Any) -> tuple[Step, ...]:
    return (Step(tuple(policies), (Check(port_, protocol, truth),), **kw),)


def _deny_ingress(namespace: str = "x", name: str = "deny-ingress") -> Json:
    return policy(namespace, name, {}, ingress=[])


def _ingress_only_from(namespace_: str, peer: Json, name: str = "allow") -> Json:
    """Upstream's usual shape: a policy in x selecting pod=a, one ingress rule from ``peer``."""
    return policy(namespace_, name, match(pod="a"), ingress=[{"from": [peer]}])


def _to_x_a_from(*patterns: tuple[str, bool]) -> Truth:
    t = Truth()
    for pattern, ok in patterns:
        t.peer(pattern, "x/a", ok)
    return t


def _tcp_scenarios() -> Iterator[Scenario]:
    ctx = "TCP"
    yield Scenario(
        ctx,
        "should support a 'default-deny-ingress' policy",
        one([_deny_ingress()], 80, "TCP", Truth().peer("*", "x", False)),
    )
    yield Scenario(
        ctx,
        "should support a 'default-deny-all' policy",
        one(
            [policy("x", "deny-all", {}, ingress=[], egress=[])],
            80,
            "TCP",
            Truth().peer("*", "x", False).peer("x", "*", False),
        ),
    )

    only_x_b = Truth().all_ingress("x/a", False).expect("x/b", "x/a", True)
    yield Scenario(
        ctx,
        "should enforce policy to allow traffic from pods within server namespace based on PodSelector",
        one([_ingress_only_from("x", {"podSelector": match(pod="b")})], 80, "TCP", only_x_b),
    )
    yield Scenario(
        ctx,
        "should enforce policy to allow ingress traffic for a target",
        one(
            [
                _deny_ingress(name="deny-all"),
                _ingress_only_from("x", {"podSelector": {}, "namespaceSelector": {}}, "allow-all-to-a"),
            ],
            80,
            "TCP",
            Truth().all_ingress("x/a", True).all_ingress("x/b", False).all_ingress("x/c", False),
        ),
    )
    yield Scenario(
        ctx,
        "should enforce policy to allow ingress traffic from pods in all namespaces",
        one([_ingress_only_from("x", {"namespaceSelector": match()})], 80, "TCP", Truth()),
    )

    only_y = _to_x_a_from(("x", False), ("z", False))
    yield Scenario(
        ctx,
        "should enforce policy to allow traffic only from a different namespace, based on NamespaceSelector",
        one([_ingress_only_from("x", {"namespaceSelector": ns_named("y")})], 80, "TCP", only_y),
    )
    yield Scenario(
        ctx,
        "should enforce policy based on PodSelector with MatchExpressions",
        one([_ingress_only_from("x", {"podSelector": expr("pod", "In", "b")})], 80, "TCP", only_x_b),
    )
    yield Scenario(
        ctx,
        "should enforce policy based on NamespaceSelector with MatchExpressions",
        one([_ingress_only_from("x", {"namespaceSelector": expr(NAME_LABEL, "In", "y")})], 80, "TCP", only_y),
    )

    not_x = expr(NAME_LABEL, "NotIn", "x")
    yield Scenario(
        ctx,
        "should enforce policy based on PodSelector or NamespaceSelector",
        one(
            [
                policy(
                    "x",
                    "allow",
                    match(pod="a"),
                    ingress=[{"from": [{"namespaceSelector": not_x}, {"podSelector": match(pod="b")}]}],
                )
            ],
            80,
            "TCP",
            Truth().expect("x/c", "x/a", False),
        ),
    )
    yield Scenario(
        ctx,
        "should enforce policy based on PodSelector and NamespaceSelector",
        one(
            [_ingress_only_from("x", {"namespaceSelector": not_x, "podSelector": match(pod="b")})],
            80,
            "TCP",
            Truth().all_ingress("x/a", False).expect("y/b", "x/a", True).expect("z/b", "x/a", True),
        ),
    )
    yield Scenario(
        ctx,
        "should enforce policy based on Multiple PodSelectors and NamespaceSelectors",
        one(
            [
                _ingress_only_from(
                    "x", {"namespaceSelector": not_x, "podSelector": expr("pod", "In", "b", "c")}
                )
            ],
            80,
            "TCP",
            _to_x_a_from(("x", False)).expect("y/a", "x/a", False).expect("z/a", "x/a", False),
        ),
    )
    yield Scenario(
        ctx,
        "should enforce policy based on any PodSelectors",
        one(
            [
                policy(
                    "x",
                    "allow",
                    match(pod="a"),
                    ingress=[{"from": [{"podSelector": match(pod="b")}, {"podSelector": match(pod="c")}]}],
                )
            ],
            80,
            "TCP",
            Truth().all_ingress("x/a", False).expect("x/b", "x/a", True).expect("x/c", "x/a", True),
        ),
    )
    yield from _pod_in_other_namespace(ctx, "TCP")
    yield from _ports(ctx, "TCP")

    allow_81 = policy(
        "x",
        "allow-81",
        match(pod="a"),
        ingress=[{"from": [{"namespaceSelector": ns_named("y")}], "ports": [port(81, "TCP")]}],
    )
    allow_80 = policy(
        "x",
        "allow-80",
        match(pod="a"),
        ingress=[{"from": [{"namespaceSelector": ns_named("y")}], "ports": [port(80, "TCP")]}],
    )
    from_y = _to_x_a_from(("x", False), ("y", True), ("z", False))
    yield Scenario(
        ctx,
        "should enforce multiple, stacked policies with overlapping podSelectors",
        (
            Step(
                (allow_81,), (Check(81, "TCP", from_y), Check(80, "TCP", Truth().all_ingress("x/a", False)))
            ),
            Step((allow_81, allow_80), (Check(80, "TCP", from_y),)),
        ),
    )

    allow_all = policy("x", "allow-all", {}, ingress=[{}])
    yield Scenario(
        ctx,
        "should support allow-all policy",
        (Step((allow_all,), (Check(80, "TCP", Truth()), Check(81, "TCP", Truth()))),),
    )
    yield Scenario(
        ctx,
        "should allow ingress access on one named port",
        (
            Step(
                (policy("x", "allow-all", {}, ingress=[{"ports": [port("serve-81-tcp")]}]),),
                (Check(81, "TCP", Truth()), Check(80, "TCP", Truth().peer("*", "x", False))),
            ),
        ),
    )
    yield Scenario(
        ctx,
        "should allow ingress access from namespace on one named port",
        (
            Step(
                (
                    policy(
                        "x",
                        "allow-80",
                        match(pod="a"),
                        ingress=[
                            {
                                "from": [{"namespaceSelector": ns_named("y")}],
                                "ports": [port("serve-80-tcp", "TCP")],
                            }
                        ],
                    ),
                ),
                (
                    Check(80, "TCP", _to_x_a_from(("x", False), ("z", False))),
                    Check(81, "TCP", Truth().all_ingress("x/a", False)),
                ),
            ),
        ),
    )
    yield Scenario(
        ctx,
        "should allow egress access on one named port",
        (
            Step(
                (policy("x", "allow-egress", {}, egress=[{"ports": [port("serve-80-tcp")]}]),),
                (Check(80, "TCP", Truth()), Check(81, "TCP", Truth().peer("x", "*", False))),
            ),
        ),
    )
    yield Scenario(
        ctx,
        "should enforce updated policy",
        (
            Step((allow_all,), (Check(81, "TCP", Truth()),)),
            Step(
                (policy("x", "allow-all", {}, ingress=[]),),
                (Check(81, "TCP", Truth().peer("*", "x", False)),),
            ),
        ),
    )

    from_ns2 = _ingress_only_from("x", {"namespaceSelector": match(ns2="updated")})
    yield Scenario(
        ctx,
        "should allow ingress access from updated namespace",
        (
            Step((from_ns2,), (Check(80, "TCP", Truth().all_ingress("x/a", False)),)),
            Step(
                (from_ns2,),
                (Check(80, "TCP", Truth().all_ingress("x/a", False).peer("y", "*", True)),),
                ns_labels={"y": {"ns2": "updated"}},
            ),
        ),
    )
    from_pod2 = _ingress_only_from("x", {"podSelector": match(pod="b", pod2="updated")})
    yield Scenario(
        ctx,
        "should allow ingress access from updated pod",
        (
            Step((from_pod2,), (Check(80, "TCP", Truth().all_ingress("x/a", False)),)),
            Step((from_pod2,), (Check(80, "TCP", only_x_b),), pod_labels={"x/b": {"pod2": "updated"}}),
        ),
    )
    yield Scenario(
        ctx,
        "should deny ingress from pods on other namespaces",
        one(
            [policy("x", "deny-empty-policy", {}, ingress=[{"from": [{"podSelector": match()}]}])],
            80,
            "TCP",
            Truth().peer("y", "x", False).peer("z", "x", False),
        ),
    )
    isolate = policy("x", "deny-ingress-via-label-selector", match(target="isolated"), ingress=[])
    yield Scenario(
        ctx,
        "should deny ingress access to updated pod",
        (
            Step((isolate,), (Check(80, "TCP", Truth()),)),
            Step(
                (isolate,),
                (Check(80, "TCP", Truth().all_ingress("x/a", False)),),
                pod_labels={"x/a": {"target": "isolated"}},
            ),
        ),
    )
    yield Scenario(
        ctx,
        "should deny egress from pods based on PodSelector",
        one(
            [policy("x", "deny-egress-pod-a", match(pod="a"), egress=[])],
            80,
            "TCP",
            Truth().all_egress("x/a", False),
        ),
    )
    yield Scenario(
        ctx,
        "should deny egress from all pods in a namespace",
        one([policy("x", "deny-egress-ns-x", {}, egress=[])], 80, "TCP", Truth().peer("x", "*", False)),
    )
    yield Scenario(
        ctx,
        "should work with Ingress, Egress specified together",
        (
            Step(
                (
                    policy(
                        "x",
                        "allow",
                        match(pod="a"),
                        ingress=[{"from": [{"podSelector": match(pod="b")}]}],
                        egress=[{"ports": [port(80)]}],
                        types=["Egress", "Ingress"],
                    ),
                ),
                (
                    Check(80, "TCP", only_x_b),
                    Check(
                        81,
                        "TCP",
                        Truth().all_ingress("x/a", False).all_egress("x/a", False).expect("x/b", "x/a", True),
                    ),
                ),
            ),
        ),
    )

    to_y_a = {"namespaceSelector": ns_named("y"), "podSelector": match(pod="a")}
    from_x_a = {"from": [{"namespaceSelector": ns_named("x"), "podSelector": match(pod="a")}]}
    yield Scenario(
        ctx,
        "should support denying of egress traffic on the client side "
        "(even if the server explicitly allows this traffic)",
        one(
            [
                policy("x", "allow-to-ns-y-pod-a", match(pod="a"), egress=[{"to": [to_y_a]}]),
                policy("y", "allow-from-xa-on-ya", match(pod="a"), ingress=[from_x_a]),
                policy("y", "allow-from-xa-on-yb", match(pod="b"), ingress=[from_x_a]),
            ],
            80,
            "TCP",
            Truth()
            .peer("x/a", "*", False)
            .peer("*", "y/a", False)
            .peer("x/a", "y/a", True)
            .peer("*", "y/b", False),
        ),
    )
    yield Scenario(
        ctx,
        "should enforce egress policy allowing traffic to a server in a different namespace "
        "based on PodSelector and NamespaceSelector",
        one(
            [policy("x", "allow-to-ns-y-pod-a", match(pod="a"), egress=[{"to": [to_y_a]}])],
            80,
            "TCP",
            Truth().all_egress("x/a", False).expect("x/a", "y/a", True),
        ),
    )
    yield Scenario(
        ctx,
        "should enforce ingress policy allowing any port traffic to a server on a specific protocol",
        (
            Step(
                (
                    policy(
                        "x",
                        "allow-ingress-by-proto",
                        match(pod="a"),
                        ingress=[{"ports": [{"protocol": "TCP"}]}],
                    ),
                ),
                (Check(80, "TCP", Truth()), Check(80, "UDP", Truth().all_ingress("x/a", False))),
            ),
        ),
    )

    only_80_in = policy("x", "allow-ingress-port-80", {}, ingress=[{"ports": [port(80)]}])
    yield Scenario(
        ctx,
        "should enforce multiple ingress policies with ingress allow-all policy taking precedence",
        (
            Step((only_80_in,), (Check(81, "TCP", Truth().peer("*", "x", False)),)),
            Step((only_80_in, policy("x", "allow-ingress", {}, ingress=[{}])), (Check(81, "TCP", Truth()),)),
        ),
    )
    only_80_out = policy("x", "allow-egress-port-80", {}, egress=[{"ports": [port(80)]}])
    yield Scenario(
        ctx,
        "should enforce multiple egress policies with egress allow-all policy taking precedence",
        (
            Step((only_80_out,), (Check(81, "TCP", Truth().peer("x", "*", False)),)),
            Step((only_80_out, policy("x", "allow-egress", {}, egress=[{}])), (Check(81, "TCP", Truth()),)),
        ),
    )
    yield Scenario(
        ctx,
        "should stop enforcing policies after they are deleted",
        (
            Step(
                (policy("x", "deny-all", {}, ingress=[], egress=[]),),
                (Check(80, "TCP", Truth().peer("x", "*", False).peer("*", "x", False)),),
            ),
            Step((), (Check(80, "TCP", Truth()),)),
        ),
    )
    yield from _ipblock_scenarios(ctx)

    target = match(pod="a")
    egress_all = policy("x", "allow-egress-for-target", target, egress=[{}])
    yield Scenario(
        ctx,
        "should enforce policies to check ingress and egress policies can be controlled "
        "independently based on PodSelector",
        (
            Step((egress_all,), (Check(80, "TCP", Truth()),)),
            Step(
                (egress_all, policy("x", "deny-ingress-via-label-selector", target, ingress=[])),
                (Check(80, "TCP", Truth().all_ingress("x/a", False)),),
            ),
        ),
    )
    yield Scenario(
        ctx,
        "should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP', "
        "even if the plugin doesn't support SCTP",
        one(
            [
                _deny_ingress(),
                policy(
                    "x",
                    "allow-only-sctp-ingress-on-port-81",
                    match(pod="a"),
                    ingress=[{"ports": [port(81, "SCTP")]}],
                ),
            ],
            81,
            "TCP",
            Truth().peer("*", "x", False),
        ),
    )
    yield Scenario(
        ctx,
        "should properly isolate pods that are selected by a policy allowing SCTP, "
        "even if the plugin doesn't support SCTP",
        one(
            [
                policy(
                    "x",
                    "allow-only-sctp-ingress-on-port-80",
                    match(pod="a"),
                    ingress=[{"ports": [port(80, "SCTP")]}],
                )
            ],
            81,
            "TCP",
            Truth().all_ingress("x/a", False),
        ),
    )
    yield Scenario(
        ctx,
        "should not allow access by TCP when a policy specifies only UDP",
        one(
            [
                policy(
                    "x",
                    "allow-only-udp-ingress-on-port-81",
                    match(pod="a"),
                    ingress=[{"ports": [port(81, "UDP")]}],
                )
            ],
            81,
            "TCP",
            Truth().all_ingress("x/a", False),
        ),
    )
    yield Scenario(
        ctx,
        "should enforce policy to allow traffic based on NamespaceSelector with MatchLabels "
        "using default ns label",
        one([_ingress_only_from("x", {"namespaceSelector": ns_named("y")})], 80, "TCP", only_y),
    )
    yield Scenario(
        ctx,
        "should enforce policy based on NamespaceSelector with MatchExpressions using default ns label",
        one(
            [
                policy(
                    "x",
                    "allow-ns-y-match-selector-for-immutable-ns-label",
                    match(pod="a"),
                    egress=[{"to": [{"namespaceSelector": expr(NAME_LABEL, "NotIn", "y")}]}],
                )
            ],
            80,
            "TCP",
            Truth().peer("x/a", "y", False),
        ),
    )


def _pod_in_other_namespace(ctx: str, protocol: str) -> Iterator[Scenario]:
    yield Scenario(
        ctx,
        "should enforce policy to allow traffic only from a pod in a different namespace "
        "based on PodSelector and NamespaceSelector",
        one(
            [_ingress_only_from("x", {"namespaceSelector": ns_named("y"), "podSelector": match(pod="a")})],
            80,
            protocol,
            Truth().all_ingress("x/a", False).expect("y/a", "x/a", True),
        ),
    )


def _ports(ctx: str, protocol: str) -> Iterator[Scenario]:
    # Upstream's TCP variant also says y -> x/a is allowed; the UDP and SCTP ones leave it to
    # the default, which is the same.
    yield Scenario(
        ctx,
        "should enforce policy based on Ports",
        one(
            [
                policy(
                    "x",
                    "allow-81",
                    match(pod="a"),
                    ingress=[{"from": [{"namespaceSelector": ns_named("y")}], "ports": [port(81, protocol)]}],
                )
            ],
            81,
            protocol,
            _to_x_a_from(("x", False), ("y", True), ("z", False)),
        ),
    )


def _ipblock_scenarios(ctx: str) -> Iterator[Scenario]:
    y_b = f"{pod_ip('y/b')}/32"
    yield Scenario(
        ctx,
        "should allow egress access to server in CIDR block",
        one(
            [
                policy(
                    "x",
                    "allow-client-a-via-cidr-egress-rule",
                    match(pod="a"),
                    egress=[{"to": [{"ipBlock": {"cidr": y_b}}]}],
                )
            ],
            80,
            "TCP",
            Truth().all_egress("x/a", False).expect("x/a", "y/b", True),
            ipblocks_match_pods=True,
        ),
    )
    # Upstream writes x/a's address with a /4 (host bits set; the API masks them), except x/b.
    around_x_a = f"{pod_ip('x/a')}/4"
    x_b = f"{pod_ip('x/b')}/32"
    but_x_b = policy(
        "x",
        "allow-client-a-via-cidr-egress-rule",
        match(pod="a"),
        egress=[{"to": [{"ipBlock": {"cidr": around_x_a, "except": [x_b]}}]}],
    )
    yield Scenario(
        ctx,
        "should enforce except clause while egress access to server in CIDR block",
        one([but_x_b], 80, "TCP", Truth().expect("x/a", "x/b", False), ipblocks_match_pods=True),
    )
    # The second stage replaces the policy (same name, UpdatePolicy) with one for x/b alone.
    yield Scenario(
        ctx,
        "should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed",
        (
            Step(
                (but_x_b,), (Check(80, "TCP", Truth().expect("x/a", "x/b", False)),), ipblocks_match_pods=True
            ),
            Step(
                (
                    policy(
                        "x",
                        "allow-client-a-via-cidr-egress-rule",
                        match(pod="a"),
                        egress=[{"to": [{"ipBlock": {"cidr": x_b}}]}],
                    ),
                ),
                (Check(80, "TCP", Truth().all_egress("x/a", False).expect("x/a", "x/b", True)),),
                ipblocks_match_pods=True,
            ),
        ),
    )


def _udp_sctp_scenarios() -> Iterator[Scenario]:
    for protocol in ("UDP", "SCTP"):
        yield Scenario(
            protocol,
            "should support a 'default-deny-ingress' policy",
            one([_deny_ingress(name="deny-all")], 80, protocol, Truth().peer("*", "x", False)),
        )
        yield from _ports(protocol, protocol)
        yield from _pod_in_other_namespace(protocol, protocol)


SCENARIOS = (*_tcp_scenarios(), *_udp_sctp_scenarios())

#: The scenarios whose egress policies upstream's earlier helpers built with the DNS rule, and
#: what UDP 53 should then do: the rule opens it from every pod the policies isolate for egress,
#: and ingress isolation still applies at the destination.
DNS_VARIANTS: dict[str, Callable[[], Truth]] = {
    "should allow egress access on one named port": Truth,
    "should enforce multiple egress policies with egress allow-all policy taking precedence": Truth,
    "should enforce egress policy allowing traffic to a server in a different namespace "
    "based on PodSelector and NamespaceSelector": Truth,
    "should support denying of egress traffic on the client side "
    "(even if the server explicitly allows this traffic)": lambda: (
        Truth()
        .peer("*", "y/a", False)
        .peer("*", "y/b", False)
        .expect("x/a", "y/a", True)
        .expect("x/a", "y/b", True)
    ),
    "should allow egress access to server in CIDR block": Truth,
    "should enforce except clause while egress access to server in CIDR block": Truth,
    "should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed": Truth,
}


def _with_dns(p: Json) -> Json:
    """The policy with the DNS rule appended, where it restricts egress with rules."""
    spec = p["spec"]
    if "Egress" not in spec["policyTypes"] or not spec.get("egress"):
        return p
    return {**p, "spec": {**spec, "egress": [*spec["egress"], DNS_RULE]}}


def _dns_variant(s: Scenario, truth53: Callable[[], Truth]) -> Scenario:
    steps = tuple(
        Step(
            tuple(_with_dns(p) for p in st.policies),
            (*st.checks, Check(53, "UDP", truth53())),
            st.ns_labels,
            st.pod_labels,
            st.ipblocks_match_pods,
        )
        for st in s.steps
    )
    return Scenario(s.context, s.name + " +dns", steps)


ALL_SCENARIOS = (
    *SCENARIOS,
    *(_dns_variant(s, DNS_VARIANTS[s.name]) for s in SCENARIOS if s.name in DNS_VARIANTS),
)


def _cases() -> Iterator[Any]:
    for s in ALL_SCENARIOS:
        for i, step in enumerate(s.steps, 1):
            suffix = f" [step {i}]" if len(s.steps) > 1 else ""
            yield pytest.param(step, id=f"{s.context}: {s.name}{suffix}")


# ------------------------------------------------------------------------------ tests


def _observed(step: Step, check: Check) -> tuple[dict[tuple[str, str], bool], dict[tuple[str, str], bool]]:
    snap = build([*model_objects(step.ns_labels, step.pod_labels), *step.policies])
    reach = k8sviz.reachability(snap, ipblocks_match_pods=step.ipblocks_match_pods)
    pods = {p.key: p for p in snap.pods}
    engine = {(s, d): reach.can_reach(s, d, check.port, check.protocol) for s, d in check.truth.cells}
    ref = {
        (s, d): reference.allowed(
            snap, pods[s], pods[d], check.protocol, check.port, step.ipblocks_match_pods
        )
        for s, d in check.truth.cells
    }
    return engine, ref


@pytest.mark.parametrize("step", _cases())
def test_upstream_scenario(step: Step) -> None:
    for check in step.checks:
        want = check.truth.cells
        engine, ref = _observed(step, check)
        where = f"{check.port}/{check.protocol}"
        assert engine == want, f"k8sviz on {where}\nexpected:\n{grid(want)}\nk8sviz:\n{grid(engine, want)}"
        assert ref == want, f"reference on {where}\nexpected:\n{grid(want)}\nreference:\n{grid(ref, want)}"


def test_all_upstream_scenarios_are_here() -> None:
    """The It() names of the full-model version: 42 in the TCP context, 3 each for UDP and SCTP."""
    names = {(s.context, s.name) for s in SCENARIOS}
    assert len(names) == len(SCENARIOS)
    assert sum(ctx == "TCP" for ctx, _ in names) == 42
    assert sum(ctx == "UDP" for ctx, _ in names) == sum(ctx == "SCTP" for ctx, _ in names) == 3
    assert set(DNS_VARIANTS) <= {n for _, n in names}


def test_truth_operations_follow_upstream() -> None:
    """ExpectPeer applies in order; ExpectAllIngress/Egress cover every other pod, not itself."""
    t = Truth().peer("x/a", "*", False).peer("*", "y/a", False).peer("x/a", "y/a", True)
    assert not t.cells[("x/a", "x/b")] and t.cells[("x/a", "y/a")] and not t.cells[("z/c", "y/a")]
    assert ("x/a", "x/a") not in Truth().all_ingress("x/a", False).cells
    assert sum(not ok for ok in Truth().all_egress("x/a", False).cells.values()) == len(PODS) - 1
    assert sum(not ok for ok in Truth().peer("y", "x", False).cells.values()) == 9


def test_ipblock_scenarios_need_ipblocks_match_pods() -> None:
    """By default an ipBlock matches external addresses only (the API's intent), so the CIDR
    scenarios, which rely on the CNI matching pod addresses, read differently: x/a's egress
    is isolated and its ipBlock reaches no pod."""
    [cidr] = [s for s in SCENARIOS if s.name == "should allow egress access to server in CIDR block"]
    step = cidr.steps[0]
    default = Step(step.policies, step.checks)
    engine, ref = _observed(default, step.checks[0])
    want = Truth().all_egress("x/a", False).cells
    assert engine == want and ref == want
    snap = build([*model_objects({}, {}), *step.policies])
    assert k8sviz.reachability(snap).ipblocks_covering_pods()


def test_model_ip_addresses_sit_in_the_except_scenarios_block() -> None:
    """The except scenarios assume every pod is inside x/a's /4, as pod CIDRs are upstream."""
    block = ipaddress.ip_network(f"{pod_ip('x/a')}/4", strict=False)
    assert all(ipaddress.ip_address(pod_ip(k)) in block for k in PODS)


def test_except_scenario_reads_the_same_with_the_block_upstream_now_masks() -> None:
    """Upstream's newer version writes the /4 without host bits (``makeLargeCIDRForIP``); the
    earlier ``<pod IP>/4`` is masked by the API to the same block, which k8sviz warns about."""
    [scenario] = [
        s
        for s in SCENARIOS
        if s.name == "should enforce except clause while egress access to server in CIDR block"
    ]
    step = scenario.steps[0]
    [earlier] = step.policies
    newer = copy.deepcopy(earlier)
    block = newer["spec"]["egress"][0]["to"][0]["ipBlock"]
    block["cidr"] = str(ipaddress.ip_network(block["cidr"], strict=False))
    assert block["cidr"] == "0.0.0.0/4"
    masked = Step((newer,), step.checks, ipblocks_match_pods=True)
    assert _observed(masked, step.checks[0]) == _observed(step, step.checks[0])
    codes = {w.code for w in build([*model_objects({}, {}), earlier]).warnings}
    assert "cidr-host-bits" in codes
    assert "cidr-host-bits" not in {w.code for w in build([*model_objects({}, {}), newer]).warnings}
