"""Kubernetes NetworkPolicies where Cilium is the CNI: their selectors see identity labels.

Cilium translates a NetworkPolicy into its own rule (``ParseNetworkPolicy`` in
pkg/k8s/network_policy.go): the ``podSelector`` and a peer's lone ``podSelector`` get
``io.kubernetes.pod.namespace=<policy namespace>`` in ``matchLabels`` (replacing one written
there), a ``namespaceSelector``'s keys get the ``io.cilium.k8s.namespace.labels.`` prefix, and
every selector then matches the pod's identity labels: its own (less those under
``io.cilium.k8s`` and those the default label filter drops) plus the namespace name, the
namespace's labels, the ServiceAccount and the cluster name (``SanitizePodLabels`` in
pkg/k8s/utils).  Each test checks the engine and the reference evaluator, and the same policy
without Cilium.
"""

from __future__ import annotations

from typing import Any

import pytest

import k8sviz

from . import reference
from .helpers import netpol, ns, pod, snapshot


def _pod(namespace: str, name: str, labels: dict[str, str], ip: str, account: str | None = None) -> dict[str, Any]:
    obj = pod(namespace, name, labels, ip)
    if account is not None:
        obj["spec"]["serviceAccountName"] = account
    return obj


def agent() -> dict[str, Any]:
    """A running cilium-agent: the snapshot shows Cilium as the CNI."""
    obj = pod("kube-system", "cilium-x", {"k8s-app": "cilium"}, "10.0.1.1", host=True, host_ip="10.0.1.1")
    obj["spec"]["containers"] = [{"name": "cilium-agent", "image": "quay.io/cilium/cilium:v1.17.2"}]
    return obj


PODS = (("web", "a"), ("web", "b"), ("db", "d"), ("db", "e"))


def build(*policies: dict[str, Any], cilium: bool = True) -> k8sviz.Reachability:
    """web/a (account api), web/b, db/d, db/e (default accounts); with a Cilium agent or none."""
    snap = snapshot(
        ns("web", team="web"), ns("db", team="db"),
        _pod("web", "a", {"app": "a"}, "10.0.0.1", "api"),
        _pod("web", "b", {"app": "b"}, "10.0.0.2"),
        _pod("db", "d", {"app": "d"}, "10.0.0.9"),
        _pod("db", "e", {"app": "e"}, "10.0.0.10"),
        *([agent()] if cilium else []),
        *policies,
    )
    assert snap.runs_cilium == cilium
    return k8sviz.reachability(snap)


def allowed(r: k8sviz.Reachability) -> set[tuple[str, str]]:
    """The pod pairs that may connect on TCP 80, after checking that the reference agrees."""
    snap = r.snapshot
    out = set()
    for s in PODS:
        for d in PODS:
            if s == d:
                continue
            src, dst = f"{s[0]}/{s[1]}", f"{d[0]}/{d[1]}"
            engine = r.can_reach(src, dst, 80)
            assert reference.allowed(snap, snap.pod(src), snap.pod(dst), "TCP", 80) == engine, (src, dst)
            if engine:
                out.add((src, dst))
    return out


def into_d(peer: dict[str, Any]) -> dict[str, Any]:
    """Ingress to db/d from ``peer`` only."""
    return netpol("db", "p", {"podSelector": {"matchLabels": {"app": "d"}}, "ingress": [{"from": [peer]}]})


def sources_of_d(r: k8sviz.Reachability) -> set[str]:
    return {s for s, d in allowed(r) if d == "db/d"}


CLUSTER_EXISTS = {"key": "io.cilium.k8s.policy.cluster", "operator": "Exists"}


def test_exists_on_the_cluster_label_holds_for_every_pod_under_cilium_only():
    peer = {"podSelector": {"matchExpressions": [CLUSTER_EXISTS]}}
    assert sources_of_d(build(into_d(peer))) == {"db/e"}  # still the policy's namespace
    assert sources_of_d(build(into_d(peer), cilium=False)) == set()  # no pod has the label
    subject = netpol("db", "p", {"podSelector": {"matchExpressions": [CLUSTER_EXISTS]}, "ingress": []})
    assert {d for _, d in allowed(build(subject))} == {"web/a", "web/b"}  # both db pods isolated
    assert {d for _, d in allowed(build(subject, cilium=False))} == {s for s in
                                                                     ("web/a", "web/b", "db/d", "db/e")}


def test_a_lone_pod_selector_is_pinned_to_the_policys_namespace_whatever_it_says():
    """Cilium sets the namespace entry of ``matchLabels``: one written there is replaced, an
    expression on it stays ANDed with the pin."""
    written = {"podSelector": {"matchLabels": {"io.kubernetes.pod.namespace": "web"}}}
    assert sources_of_d(build(into_d(written))) == {"db/e"}
    assert sources_of_d(build(into_d(written), cilium=False)) == set()
    expression = {"podSelector": {"matchExpressions": [
        {"key": "io.kubernetes.pod.namespace", "operator": "In", "values": ["web"]}]}}
    assert sources_of_d(build(into_d(expression))) == set()
    same = {"podSelector": {"matchExpressions": [
        {"key": "io.kubernetes.pod.namespace", "operator": "In", "values": ["db"]}]}}
    assert sources_of_d(build(into_d(same))) == {"db/e"}
    subject = netpol("db", "p", {"podSelector": {"matchLabels": {"io.kubernetes.pod.namespace": "web"}},
                                 "ingress": []})
    assert {d for _, d in allowed(build(subject))} == {"web/a", "web/b"}  # db's pods, not web's


def test_beside_a_namespace_selector_the_pod_selector_sees_every_identity_label():
    every_ns = {"namespaceSelector": {}}
    by_ns_name = {**every_ns, "podSelector": {"matchLabels": {"io.kubernetes.pod.namespace": "web"}}}
    assert sources_of_d(build(into_d(by_ns_name))) == {"web/a", "web/b"}
    assert sources_of_d(build(into_d(by_ns_name), cilium=False)) == set()
    by_ns_label = {**every_ns, "podSelector": {"matchLabels": {"io.cilium.k8s.namespace.labels.team": "web"}}}
    assert sources_of_d(build(into_d(by_ns_label))) == {"web/a", "web/b"}
    assert sources_of_d(build(into_d(by_ns_label), cilium=False)) == set()


def test_the_service_account_label_selects_by_account():
    by_account = {"namespaceSelector": {}, "podSelector": {"matchLabels": {
        "io.cilium.k8s.policy.serviceaccount": "api"}}}
    assert sources_of_d(build(into_d(by_account))) == {"web/a"}
    assert sources_of_d(build(into_d(by_account), cilium=False)) == set()
    default = {"podSelector": {"matchLabels": {"io.cilium.k8s.policy.serviceaccount": "default"}}}
    assert sources_of_d(build(into_d(default))) == {"db/e"}  # a pod naming none runs as default


def test_a_pods_own_labels_under_ciliums_prefix_are_not_in_its_identity():
    """The agent drops them (``filterPodLabels``): a pod cannot claim another account."""
    forged = _pod("db", "f", {"app": "f", "io.cilium.k8s.policy.serviceaccount": "api",
                              "io.cilium.k8s.extra": "x"}, "10.0.0.11")
    peer = {"namespaceSelector": {}, "podSelector": {"matchLabels": {"io.cilium.k8s.policy.serviceaccount": "api"}}}
    r = k8sviz.reachability(snapshot(ns("web"), ns("db"), agent(), _pod("web", "a", {}, "10.0.0.1", "api"),
                                     _pod("db", "d", {"app": "d"}, "10.0.0.9"), forged, into_d(peer)))
    assert r.can_reach("web/a", "db/d", 80) and not r.can_reach("db/f", "db/d", 80)
    extra = into_d({"podSelector": {"matchExpressions": [{"key": "io.cilium.k8s.extra", "operator": "Exists"}]}})
    r = k8sviz.reachability(snapshot(ns("db"), agent(), _pod("db", "d", {"app": "d"}, "10.0.0.9"), forged, extra))
    assert not r.can_reach("db/f", "db/d", 80)
    snap = r.snapshot
    assert not reference.allowed(snap, snap.pod("db/f"), snap.pod("db/d"), "TCP", 80)


def test_a_namespace_selector_sees_the_namespaces_labels_as_without_cilium():
    """Its keys get the namespace-label prefix, so ``kubernetes.io/metadata.name`` (a namespace
    label) selects, and the pod-namespace key, which no namespace carries, does not."""
    by_name = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "web"}}}
    by_pod_key = {"namespaceSelector": {"matchLabels": {"io.kubernetes.pod.namespace": "web"}}}
    for cilium in (True, False):
        assert sources_of_d(build(into_d(by_name), cilium=cilium)) == {"web/a", "web/b"}
        assert sources_of_d(build(into_d(by_pod_key), cilium=cilium)) == set()


@pytest.mark.parametrize(("selector", "reason"), [
    ({"matchExpressions": [{"key": "io.cilium.k8s.policy.cluster", "operator": "In", "values": ["default"]}]},
     "the Cilium cluster's name"),
    ({"matchLabels": {"io.cilium.k8s.policy.cluster": "default"}}, "the Cilium cluster's name"),
    ({"matchLabels": {"pod-template-hash": "5d8c"}}, "'pod-template-hash', which Cilium leaves out of pod identities"),
    ({"matchLabels": {"statefulset.kubernetes.io/pod-name": "db-0"}},
     "'statefulset.kubernetes.io/pod-name', which Cilium leaves out of pod identities"),
    ({"matchExpressions": [{"key": "controller-revision-hash", "operator": "Exists"}]},
     "'controller-revision-hash', which Cilium leaves out of pod identities"),
])
@pytest.mark.parametrize("where", ["subject", "peer", "peer beside a namespaceSelector"])
def test_what_a_snapshot_cannot_judge_under_cilium_leaves_the_policy_unevaluated(selector, reason, where):
    if where == "subject":
        pol = netpol("db", "p", {"podSelector": selector, "ingress": []})
        at = "podSelector"
    else:
        peer = {"podSelector": selector, **({"namespaceSelector": {}} if "beside" in where else {})}
        pol = into_d(peer)
        at = "ingress[0].from[0].podSelector"
    r = build(pol)
    (listed,) = r.snapshot.unevaluated_policies
    assert listed.ref == "NetworkPolicy/db/p"
    assert [u for u in listed.unsupported if u.startswith(f"{at}: ") and reason in u], listed.unsupported
    assert "policies-not-evaluated" in {w.code for w in r.warnings}
    assert len(allowed(r)) == 12  # judged as absent: nothing isolates db/d
    plain = build(pol, cilium=False)
    assert plain.snapshot.unevaluated_policies == () and plain.snapshot.network_policies[0].unsupported == ()
    # Without Cilium the selector reads the pod's labels: no pod has the label, so the policy
    # isolates nothing (as subject) or admits nobody into db/d (as peer).
    assert len(allowed(plain)) == (12 if where == "subject" else 9)


def test_a_namespace_selector_on_a_label_cilium_drops_from_identities_is_not_judged():
    """Cilium matches a namespaceSelector against the identity's namespace labels, which its
    default filter thins like any other identity label: a key with ``beta.kubernetes.io`` in
    it is not there (unless the agents' --labels keep it), so the policy is not judged; the
    same key without Cilium is an ordinary namespace label."""
    dropped = {"namespaceSelector": {"matchLabels": {"topology.beta.kubernetes.io/region": "eu"}}}
    r = build(into_d(dropped))
    (listed,) = r.snapshot.unevaluated_policies
    assert listed.unsupported == (
        "ingress[0].from[0].namespaceSelector: namespace label 'topology.beta.kubernetes.io/region', "
        "which Cilium leaves out of pod identities by default",)
    assert not build(into_d(dropped), cilium=False).snapshot.unevaluated_policies
    kept = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "web"}}}
    assert not build(into_d(kept)).snapshot.unevaluated_policies


def test_an_unevaluated_networkpolicy_reads_as_such_in_gaps_and_counts():
    by_name = into_d({"podSelector": {"matchLabels": {"io.cilium.k8s.policy.cluster": "default"}}})
    r = build(by_name)
    assert r.snapshot.counts()["NetworkPolicy (not evaluated)"] == 1
    (row,) = k8sviz.gaps(r.snapshot, r).query("finding == 'policy-not-evaluated'").itertuples()
    assert "NetworkPolicy (networking.k8s.io/v1)" in row.detail
    assert row.evidence["not_judged"] == list(r.snapshot.network_policies[0].unsupported)
    note = str(r.explain("web/a", "db/d", 80))
    assert "NetworkPolicy/db/p" in note


def test_the_inventory_and_gaps_select_as_the_engine_does():
    """``selected_pods``, ``policy-selects-nothing`` and ``rule-peer-matches-nothing`` read the
    selectors as the CNI does."""
    pol = netpol("db", "p", {"podSelector": {"matchExpressions": [CLUSTER_EXISTS]}, "ingress": [
        {"from": [{"podSelector": {"matchLabels": {"io.cilium.k8s.policy.serviceaccount": "default"}}}]}]})
    for cilium, selected in ((True, 2), (False, 0)):
        r = build(pol, cilium=cilium)
        (row,) = k8sviz.policy_inventory(r.snapshot).query("kind == 'NetworkPolicy'").itertuples()
        assert row.selected_pods == selected and row.evaluated and row.not_judged == ""
        findings = set(k8sviz.gaps(r.snapshot, r)["finding"])
        assert ("policy-selects-nothing" in findings) is not cilium
        assert ("rule-peer-matches-nothing" in findings) is not cilium
    by_name = into_d({"podSelector": {"matchLabels": {"io.cilium.k8s.policy.cluster": "default"}}})
    (row,) = k8sviz.policy_inventory(build(by_name).snapshot).query("kind == 'NetworkPolicy'").itertuples()
    assert not row.evaluated and "the Cilium cluster's name" in row.not_judged


def test_gaps_read_an_identity_label_beside_a_namespace_selector_as_the_engine_does():
    """A podSelector beside a namespaceSelector is not pinned and, where Cilium runs, sees the
    identity labels: the peer of account ``api`` in namespaces of team web matches web/a, so
    ``rule-peer-matches-nothing`` holds only without Cilium, as the engine's answer does."""
    peer = {"namespaceSelector": {"matchLabels": {"team": "web"}},
            "podSelector": {"matchLabels": {"io.cilium.k8s.policy.serviceaccount": "api"}}}
    for cilium in (True, False):
        r = build(into_d(peer), cilium=cilium)
        assert sources_of_d(r) == ({"web/a"} if cilium else set())
        nothing = k8sviz.gaps(r.snapshot, r).query("finding == 'rule-peer-matches-nothing'")
        assert nothing.empty is cilium
