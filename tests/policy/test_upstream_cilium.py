"""Cilium's ``cilium connectivity test`` policy scenarios, ported as facts about reachability.

Upstream (cilium/cilium, ``cilium-cli/connectivity/``; read for this port):

* the model: ``check/deployment.go`` (pods ``client``, ``client2`` (``other=client``) on one
  node, ``client3`` (``other=client-other-node``) on another; ``echo-same-node``
  (``other=echo``) beside ``client``, ``echo-other-node`` (``first=echo``) away from it, each
  serving 8080 as ``http-8080`` and DNS on 53; a hostNetwork ``host-netns`` pod per node; each
  Deployment runs as a ServiceAccount of its own name; namespace ``cilium-test``);
* the probes: ``tests/pod.go`` (PodToPod: HTTP to each echo pod's 8080; ClientToClient: ICMP
  between client pods), ``tests/to-cidr.go`` (PodToCIDR: HTTPS to ExternalIP 1.1.1.1 and
  ExternalOtherIP 1.0.0.1, inside ExternalCIDR 1.0.0.0/8), ``tests/world.go`` (PodToWorld:
  HTTP 80 and HTTPS 443 to one.one.one.one, whose addresses are 1.1.1.1 and 1.0.0.1);
* the scenarios and their ``WithExpectations``: ``builder/*.go``, manifests in
  ``builder/manifests/*.yaml``.

Each test is named after upstream's scenario and asserts every connection its expectations
state (a verdict other than ``ResultOK`` is a drop).  ClientToClient is ICMP, outside the
TCP/UDP/SCTP model: where the scenario's policies are L3 only (no ``toPorts``), their verdict is
the same for every protocol and port, so it is asserted on TCP 8080 and UDP 53 instead.

Left out, with the reason:

* ICMP-only scenarios: ``host-entity-egress`` / ``host-entity-ingress`` (PodToHost pings),
  ``client-ingress-icmp``, ``client-ingress-from-other-client-icmp-deny``;
* L7 and what k8sviz does not model: ``client-egress-l7*``, ``echo-ingress-l7*``, TLS/SNI,
  mutual auth, Envoy, Ingress/Gateway, egress gateway, encryption, NodePort and Service
  datapath scenarios, ``to-fqdns`` (names resolved at run time), host firewall, ClusterMesh;
* scenarios whose manifests were not in the sources read (``all-ingress-deny-knp``,
  ``all-egress-deny-knp``, ``all-entities-deny``) or not read for lack of time
  (``client-egress-expression*``, the ServiceAccount scenarios, the ``*-ccnp`` variants,
  ``*-port-range`` variants).

Scenarios k8sviz declines to judge, asserted as such (the policy listed as not evaluated, with
its reason): ``allow-all-except-world`` (entities ``init`` and ``health``) and ``dns-only`` (a selector on the cluster's name, which a snapshot does
not hold).
"""

from __future__ import annotations

from typing import Any

import pytest

import k8sviz

from . import reference
from .helpers import kubernetes_slice, netpol, node, ns, pod, snapshot

NS = "cilium-test"
NODES = {"node-a": "172.18.0.2", "node-b": "172.18.0.3"}
#: ExternalIP and ExternalOtherIP: one.one.one.one's addresses, inside ExternalCIDR 1.0.0.0/8.
EXTERNAL_IP, EXTERNAL_OTHER_IP = "1.1.1.1", "1.0.0.1"
CLIENTS = ("client", "client2", "client3")
ECHOES = ("echo-same-node", "echo-other-node")
ECHO_PORTS = (("http-8080", 8080, "TCP"), ("dns-53", 53, "TCP"), ("dns-udp-53", 53, "UDP"))
#: The selector term upstream's manifests add so that a peer matches pods of any cluster.
ANY_CLUSTER = {"key": "io.cilium.k8s.policy.cluster", "operator": "Exists"}
KUBE_DNS = {"matchExpressions": [
    {"key": "k8s-app", "operator": "In", "values": ["kube-dns", "coredns", "node-local-dns", "nodelocaldns"]},
    {"key": "io.kubernetes.pod.namespace", "operator": "In", "values": ["kube-system"]}]}
DNS_PORTS = [{"port": "53", "protocol": "UDP"}, {"port": "53", "protocol": "TCP"}]


def _pod(namespace: str, name: str, labels: dict[str, str], ip: str, on: str,
         ports: tuple[tuple[str, int, str], ...] = (), host: bool = False) -> dict[str, Any]:
    o = pod(namespace, name, labels, ip, ports, host=host, host_ip=NODES[on])
    o["spec"]["nodeName"] = on
    if not host:
        o["spec"]["serviceAccountName"] = labels.get("name", name)  # each Deployment's own
    return o


def model(*policies: dict[str, Any]) -> k8sviz.Reachability:
    """The connectivity test's deployment, with a Cilium agent per node, and ``policies``."""
    objs = [
        ns(NS), ns("kube-system"), *(node(n, ip) for n, ip in NODES.items()),
        _pod(NS, "client", {"name": "client", "kind": "client"}, "10.244.0.10", "node-a",
             (("http-8080", 8080, "TCP"),)),
        _pod(NS, "client2", {"name": "client2", "kind": "client", "other": "client"}, "10.244.0.11", "node-a",
             (("http-8080", 8080, "TCP"),)),
        _pod(NS, "client3", {"name": "client3", "kind": "client", "other": "client-other-node"},
             "10.244.1.12", "node-b"),
        _pod(NS, "echo-same-node", {"name": "echo-same-node", "kind": "echo", "other": "echo"},
             "10.244.0.20", "node-a", ECHO_PORTS),
        _pod(NS, "echo-other-node", {"name": "echo-other-node", "kind": "echo", "first": "echo"},
             "10.244.1.21", "node-b", ECHO_PORTS),
        _pod("kube-system", "coredns", {"k8s-app": "kube-dns", "name": "coredns"}, "10.244.0.5", "node-a",
             (("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"))),
    ]
    for n, ip in NODES.items():
        objs.append(_pod(NS, f"host-netns-{n}", {"name": "host-netns", "kind": "host-netns", "other": "host-netns"},
                         ip, n, host=True))
        agent = _pod("kube-system", f"cilium-{n}", {"k8s-app": "cilium"}, ip, n, host=True)
        agent["spec"]["containers"] = [{"name": "cilium-agent", "image": "quay.io/cilium/cilium:v1.17.2"}]
        objs.append(agent)
    # The API server, as kind runs it: on the control-plane node (its endpoints are that node's
    # address), which the ``cluster`` entity covers.
    objs.append(kubernetes_slice(NODES["node-a"]))
    snap = snapshot(*objs, *policies)
    assert snap.runs_cilium
    return k8sviz.reachability(snap)


def cnp(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
            "metadata": {"name": name, "namespace": NS}, "spec": spec}


def at(name: str) -> str:
    return f"{NS}/{name}"


def evaluated(r: k8sviz.Reachability) -> k8sviz.Reachability:
    assert not r.snapshot.unevaluated_policies, [p.unsupported for p in r.snapshot.unevaluated_policies]
    return r


# ------------------------------------------------------------------ the manifests

ALLOW_ALL_EGRESS = cnp("allow-all-egress", {"endpointSelector": {}, "egress": [
    {"toEndpoints": [{"matchExpressions": [ANY_CLUSTER]}]}, {"toCIDR": ["0.0.0.0/0", "::/0"]}]})
ALLOW_ALL_INGRESS = cnp("allow-all-ingress", {"endpointSelector": {}, "ingress": [
    {"fromEndpoints": [{"matchExpressions": [ANY_CLUSTER]}]}]})
CLIENT_EGRESS_TO_CIDR_DENY = cnp("client-egress-to-cidr-deny", {
    "endpointSelector": {"matchLabels": {"kind": "client"}},
    "egressDeny": [{"toCIDRSet": [{"cidr": "1.0.0.0/8", "except": [f"{EXTERNAL_IP}/32"]}]}]})


# ------------------------------------------------------------------ scenarios


def test_no_policies():
    r = evaluated(model())
    for c in CLIENTS:
        assert all(r.can_reach(at(c), at(e), 8080) for e in ECHOES)
        assert r.can_reach(at(c), EXTERNAL_IP, 443) and r.can_reach(at(c), EXTERNAL_OTHER_IP, 443)


def test_client_ingress():
    """client-ingress-from-client2: ingress to ``kind=client`` only from ``other=client``
    (ClientToClient, ICMP; the rule is L3 only, so the verdict holds on every port)."""
    r = evaluated(model(cnp("client-ingress-from-client2", {
        "endpointSelector": {"matchLabels": {"kind": "client"}},
        "ingress": [{"fromEndpoints": [{"matchLabels": {"other": "client"}}]}]})))
    for src in CLIENTS:
        for dst in CLIENTS:
            if src != dst:
                for port, proto in ((8080, "TCP"), (53, "UDP")):
                    assert r.can_reach(at(src), at(dst), port, proto) == (src == "client2"), (src, dst, port)


def test_client_ingress_knp():
    """client-ingress-from-client2-knp: the same as a NetworkPolicy whose peer also requires the
    cluster label to exist.  Cilium matches the NetworkPolicy's selectors against identity
    labels, which carry ``io.cilium.k8s.policy.cluster``, so the Exists term holds for every
    pod (ClientToClient is ICMP; the policy has no ports, so the verdict holds on every port)."""
    r = evaluated(model(netpol(NS, "client-ingress-from-client2", {
        "podSelector": {"matchLabels": {"kind": "client"}},
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"other": "client"}, "matchExpressions": [ANY_CLUSTER]}}]}]})))
    snap = r.snapshot
    for src in CLIENTS:
        for dst in CLIENTS:
            if src != dst:
                for port, proto in ((8080, "TCP"), (53, "UDP")):
                    assert r.can_reach(at(src), at(dst), port, proto) == (src == "client2"), (src, dst, port)
                    assert reference.allowed(snap, snap.pod(at(src)), snap.pod(at(dst)), proto, port) == (
                        src == "client2"), (src, dst, port)


def test_all_ingress_deny():
    """all-ingress-deny (deny-all-ingress.yaml: ``endpointSelector: {}``, ``ingress: [{}]``):
    PodToPod dropped (default deny at ingress: the empty entry allows nothing), PodToCIDR to
    ExternalIP / ExternalOtherIP allowed (no egress policy; the replies are no new ingress)."""
    r = evaluated(model(cnp("all-ingress-deny", {"endpointSelector": {}, "ingress": [{}]})))
    snap = r.snapshot
    for c in CLIENTS:
        for e in ECHOES:
            assert not r.can_reach(at(c), at(e), 8080), (c, e)
            assert not reference.allowed(snap, snap.pod(at(c)), snap.pod(at(e)), "TCP", 8080), (c, e)
        assert r.can_reach(at(c), EXTERNAL_IP, 443) and r.can_reach(at(c), EXTERNAL_OTHER_IP, 443)


def test_all_egress_deny():
    """all-egress-deny (deny-all-egress.yaml, ``egress: [{}]``): PodToPod dropped at egress
    (``ResultDefaultDenyEgressDrop``; upstream probes only pods, but the default deny it
    expects holds for an outside address too)."""
    r = evaluated(model(cnp("all-egress-deny", {"endpointSelector": {}, "egress": [{}]})))
    snap = r.snapshot
    for c in CLIENTS:
        for e in ECHOES:
            assert not r.can_reach(at(c), at(e), 8080), (c, e)
            assert not reference.allowed(snap, snap.pod(at(c)), snap.pod(at(e)), "TCP", 8080), (c, e)
        assert not r.can_reach(at(c), EXTERNAL_IP, 443)


def test_allow_all_except_world_is_not_judged():
    """Its entities ``init`` and ``health`` name identities a snapshot does not place
    (``kube-apiserver`` it places, from the default/kubernetes EndpointSlices)."""
    r = model(cnp("allow-all-except-world", {
        "endpointSelector": {},
        "egress": [
            {"toEntities": ["host", "remote-node", "cluster", "init", "health", "kube-apiserver"]},
            {"toEndpoints": [{"matchExpressions": [ANY_CLUSTER]}]},
            {"toPorts": [{"ports": DNS_PORTS}], "toEntities": ["world"]}],
        "ingress": [
            {"fromEntities": ["host", "remote-node", "cluster", "init", "health", "kube-apiserver"]},
            {"fromEndpoints": [{"matchExpressions": [ANY_CLUSTER]}]}]}))
    (pol,) = r.snapshot.unevaluated_policies
    for entity in ("init", "health"):
        assert any(f"entity '{entity}'" in u for u in pol.unsupported), pol.unsupported
    assert not any("kube-apiserver" in u for u in pol.unsupported), pol.unsupported


def test_cluster_entity():
    """entity-cluster: clients' egress to the ``cluster`` entity; PodToPod to echo-same-node."""
    r = evaluated(model(cnp("entity-cluster", {"endpointSelector": {"matchLabels": {"kind": "client"}},
                                               "egress": [{"toEntities": ["cluster"]}]})))
    assert all(r.can_reach(at(c), at("echo-same-node"), 8080) for c in CLIENTS)


def test_echo_ingress():
    """echo-ingress-from-other-client: echo pods take ingress only from ``other=client`` pods
    (of any cluster)."""
    r = evaluated(model(cnp("echo-ingress-from-other-client", {
        "endpointSelector": {"matchLabels": {"kind": "echo"}},
        "ingress": [{"fromEndpoints": [{"matchLabels": {"other": "client"}, "matchExpressions": [ANY_CLUSTER]}]}]})))
    for c in CLIENTS:
        for e in ECHOES:
            assert r.can_reach(at(c), at(e), 8080) == (c == "client2"), (c, e)


def test_client_egress():
    """client-egress-to-echo: clients' egress to echo pods on TCP 8080 and to DNS."""
    r = evaluated(model(cnp("client-egress-to-echo", {
        "endpointSelector": {"matchLabels": {"kind": "client"}},
        "egress": [
            {"toPorts": [{"ports": [{"port": "8080", "protocol": "TCP"}]}],
             "toEndpoints": [{"matchLabels": {"io.kubernetes.pod.namespace": NS, "kind": "echo"},
                              "matchExpressions": [ANY_CLUSTER]}]},
            {"toPorts": [{"ports": DNS_PORTS}], "toEndpoints": [KUBE_DNS]},
            {"toPorts": [{"ports": DNS_PORTS}], "toEntities": ["world"]}]})))
    assert all(r.can_reach(at(c), at(e), 8080) for c in CLIENTS for e in ECHOES)


def test_to_entities_world():
    """client-egress-to-entities-world: world on TCP 80 (and DNS); PodToWorld reaches
    one.one.one.one on 80, not on 443."""
    r = evaluated(model(cnp("client-egress-to-entities-world", {
        "endpointSelector": {"matchLabels": {"kind": "client"}},
        "egress": [
            {"toEntities": ["world"], "toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}]}]},
            {"toEndpoints": [KUBE_DNS], "toPorts": [{"ports": [
                *DNS_PORTS, {"port": "8053", "protocol": "UDP"}, {"port": "8053", "protocol": "TCP"}]}]},
            {"toEndpoints": [{"matchExpressions": [
                {"key": "dns.operator.openshift.io/daemonset-dns", "operator": "Exists"},
                {"key": "io.kubernetes.pod.namespace", "operator": "In", "values": ["openshift-dns"]}]}],
             "toPorts": [{"ports": [{"port": "5353", "protocol": "UDP"}, {"port": "5353", "protocol": "TCP"}]}]},
            {"toPorts": [{"ports": DNS_PORTS}], "toEntities": ["host", "world"]}]})))
    for c in CLIENTS:
        for ip in (EXTERNAL_IP, EXTERNAL_OTHER_IP):
            assert r.can_reach(at(c), ip, 80) and not r.can_reach(at(c), ip, 443), (c, ip)


def test_to_cidr_external():
    """client-egress-to-cidr: ExternalCIDR except ExternalOtherIP."""
    r = evaluated(model(cnp("client-egress-to-cidr", {
        "endpointSelector": {"matchLabels": {"kind": "client"}},
        "egress": [{"toCIDRSet": [{"cidr": "1.0.0.0/8", "except": [f"{EXTERNAL_OTHER_IP}/32"]}]}]})))
    for c in CLIENTS:
        assert r.can_reach(at(c), EXTERNAL_IP, 443) and not r.can_reach(at(c), EXTERNAL_OTHER_IP, 443)


def test_echo_ingress_from_other_client_deny():
    """allow-all-egress, allow-all-ingress and a deny of ``other=client`` into echo pods:
    client to echo allowed, client2 to echo denied, client to client allowed (ICMP; every
    policy here is L3 only)."""
    r = evaluated(model(ALLOW_ALL_EGRESS, ALLOW_ALL_INGRESS, cnp("echo-ingress-from-other-client-deny", {
        "endpointSelector": {"matchLabels": {"kind": "echo"}},
        "ingressDeny": [{"fromEndpoints": [{"matchLabels": {"other": "client"}, "matchExpressions": [ANY_CLUSTER]}]}]})))
    for e in ECHOES:
        assert r.can_reach(at("client"), at(e), 8080) and not r.can_reach(at("client2"), at(e), 8080)
    for src in CLIENTS:
        for dst in CLIENTS:
            if src != dst:
                assert r.can_reach(at(src), at(dst), 8080) and r.can_reach(at(src), at(dst), 53, "UDP")


def test_client_egress_to_echo_deny():
    """allow-all-egress, allow-all-ingress and a deny of clients' egress to echo on TCP 8080."""
    r = evaluated(model(ALLOW_ALL_EGRESS, ALLOW_ALL_INGRESS, cnp("client-egress-to-echo-deny", {
        "endpointSelector": {"matchLabels": {"kind": "client"}},
        "egressDeny": [{"toPorts": [{"ports": [{"port": "8080", "protocol": "TCP"}]}],
                        "toEndpoints": [{"matchLabels": {"io.kubernetes.pod.namespace": NS, "kind": "echo"},
                                         "matchExpressions": [ANY_CLUSTER]}]}]})))
    assert not any(r.can_reach(at(c), at(e), 8080) for c in CLIENTS for e in ECHOES)
    # ClientToClient stays allowed: the deny is TCP 8080 to echo pods only.
    assert all(r.can_reach(at(s), at(d), 8080) for s in CLIENTS for d in CLIENTS if s != d)


def test_client_egress_to_cidr_deny():
    """allow-all-egress and a deny of ExternalCIDR except ExternalIP."""
    r = evaluated(model(ALLOW_ALL_EGRESS, CLIENT_EGRESS_TO_CIDR_DENY))
    for c in CLIENTS:
        assert r.can_reach(at(c), EXTERNAL_IP, 443) and not r.can_reach(at(c), EXTERNAL_OTHER_IP, 443)


def test_client_egress_to_cidr_deny_default():
    """The deny alone: it puts the clients in egress default deny, so ExternalIP is dropped too
    (by default deny) and ExternalOtherIP by the deny."""
    r = evaluated(model(CLIENT_EGRESS_TO_CIDR_DENY))
    for c in CLIENTS:
        assert not r.can_reach(at(c), EXTERNAL_IP, 443) and not r.can_reach(at(c), EXTERNAL_OTHER_IP, 443)
    text = str(r.explain(at("client"), EXTERNAL_OTHER_IP, 443))
    assert "egressDeny[0]" in text, text


def test_dns_only_is_not_judged():
    """client-egress-only-dns selects kube-dns by the cluster's name (``In [ClusterName]``),
    which a snapshot does not hold; upstream expects PodToPod and PodToWorld dropped."""
    name_term = {"key": "io.cilium.k8s.policy.cluster", "operator": "In", "values": ["default"]}
    dns = {"ports": DNS_PORTS, "rules": {"dns": [{"matchPattern": "*"}]}}
    r = model(cnp("client-egress-only-dns", {
        "endpointSelector": {"matchLabels": {"kind": "client"}},
        "egress": [
            {"toPorts": [dns], "toEndpoints": [{"matchExpressions": [*KUBE_DNS["matchExpressions"], name_term]}]},
            {"toPorts": [dns], "toEntities": ["world"]}]}))
    (pol,) = r.snapshot.unevaluated_policies
    assert any("the Cilium cluster's name" in u for u in pol.unsupported)
