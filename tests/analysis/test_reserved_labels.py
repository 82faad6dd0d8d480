"""calico-reserved-label: pods and network sets carrying the labels Calico reserves for
namespace and ServiceAccount identity (pcns., pcsa., projectcalico.org/...)."""

from __future__ import annotations

from typing import Any

import k8sviz
from k8sviz.analysis.controls import controls_summary
from k8sviz.analysis.gaps import gaps

from .helpers import ns, pod, policy, snapshot

FINDING = "calico-reserved-label"
LONG = "sa-" + "x" * 62  # too long for projectcalico.org/serviceaccount (63 or more)


def _rows(df):
    return df[df["finding"] == FINDING]


def _calico_node() -> dict[str, Any]:
    node = pod("calico-system", "calico-node-x1", ip="192.168.0.5", **{"k8s-app": "calico-node"})
    node["spec"]["containers"] = [{"name": "calico-node", "image": "quay.io/calico/node:v3.30.2"}]
    node["spec"]["hostNetwork"] = True
    return node


def _gnp(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": name},
            "spec": spec}


def _from_payments() -> dict[str, Any]:
    """A NetworkPolicy that lets the payments namespace into db: under Calico its
    namespaceSelector reaches Felix as pcns.team == 'payments'."""
    return policy("db", "from-payments", {"app": "db"}, ["Ingress"],
                  ingress=[{"from": [{"namespaceSelector": {"matchLabels": {"team": "payments"}}}]}])


def _cluster(*extra: dict[str, Any], spoof: dict[str, str] | None = None) -> Any:
    return snapshot(
        ns("web", team="web"), ns("payments", team="payments"), ns("db"),
        pod("web", "front", ip="10.0.0.1", app="front", **(spoof or {})),
        pod("payments", "pay", ip="10.0.0.2", app="pay"),
        pod("db", "db", ip="10.0.0.3", app="db"),
        _from_payments(),
        *extra,
    )


def test_a_pod_claiming_another_namespaces_label_is_high_where_calico_runs():
    snap = _cluster(_calico_node(), spoof={"pcns.team": "payments"})
    assert snap.runs_calico and snap.calico_signs[0].startswith("calico-node pods (calico-system/calico-node-x1")
    (row,) = _rows(gaps(snap)).to_dict("records")
    assert (row["severity"], row["namespace"], row["name"]) == ("high", "web", "front")
    ev = row["evidence"]
    assert ev["labels"] == {"pcns.team": "payments"}
    assert ev["seen_as"] == {"pcns.team": "in a namespace labelled team=payments"}
    assert ev["could_pass_as_namespaces"] == ["payments"]
    # The NetworkPolicy whose namespaceSelector Calico reads as pcns.team is named.
    assert ev["read_by"] == ["NetworkPolicy/db/from-payments"]
    assert ev["pods"] == ["web/front"] and ev["calico"] == list(snap.calico_signs)
    assert "pcns.team=payments makes it match as if in a namespace labelled team=payments" in row["detail"]
    assert "NetworkPolicies" in row["detail"] and "the snapshot shows Calico" in row["detail"]
    assert row["controls"] == ["NSA-NP-SELECT", "NIST-800-190-4.3.3"]  # no CDE: no PCI 1.3.x
    # k8sviz keeps the Kubernetes API's reading of the NetworkPolicy: web/front is not let in.
    assert not k8sviz.reachability(snap).can_reach("web/front", "db/db", 5432)
    assert k8sviz.reachability(snap).can_reach("payments/pay", "db/db", 5432)


def test_no_reserved_label_no_finding():
    df = gaps(_cluster(_calico_node(), spoof={"team": "payments", "projectcalico.org-ish": "x"}))
    assert _rows(df).empty
    assert FINDING in df.attrs["checked"]


def test_severity_follows_what_the_snapshot_shows_of_the_cni():
    spoof = {"pcns.projectcalico.org/name": "payments"}
    # No CNI shown: it may be Calico.
    (row,) = _rows(gaps(_cluster(spoof=spoof))).to_dict("records")
    assert row["severity"] == "medium" and "does not show which CNI" in row["detail"]
    assert row["evidence"]["seen_as"] == {"pcns.projectcalico.org/name": "in namespace payments (its name)"}
    assert row["evidence"]["could_pass_as_namespaces"] == ["payments"]
    # A Calico policy in the snapshot shows Calico.
    gnp = _gnp("g", {"selector": "app == 'db'", "ingress": [{"action": "Allow"}]})
    (row,) = _rows(gaps(_cluster(gnp, spoof=spoof))).to_dict("records")
    assert row["severity"] == "high" and row["evidence"]["calico"] == ["Calico policies"]
    # Cilium and no Calico: such labels mean nothing to its selectors.
    agent = pod("kube-system", "cilium-x", ip="192.168.0.6")
    agent["spec"]["containers"] = [{"name": "cilium-agent", "image": "quay.io/cilium/cilium:v1.17.1"}]
    (row,) = _rows(gaps(_cluster(agent, spoof=spoof))).to_dict("records")
    assert row["severity"] == "info" and "Cilium" in row["detail"]


def test_the_calico_api_read_live_shows_calico():
    from k8sviz.snapshot import SnapshotBuilder

    b = SnapshotBuilder()
    for o in (ns("web"), pod("web", "front", ip="10.0.0.1", **{"pcsa.role": "admin"})):
        b.add(o, "test")
    b.coverage.update({"networkpolicies.projectcalico.org": "ok"})
    snap = b.build(cluster="t")
    assert snap.calico_signs == ("the Calico API served (networkpolicies.projectcalico.org read)",)
    (row,) = _rows(gaps(snap)).to_dict("records")
    assert row["severity"] == "high"
    assert row["evidence"]["seen_as"] == {"pcsa.role": "running as a ServiceAccount labelled role=admin"}


def test_service_account_label_counts_only_where_the_conversion_leaves_it():
    short = pod("web", "short", ip="10.0.0.5", app="s", **{"projectcalico.org/serviceaccount": "admin"})
    long_ = pod("web", "long", ip="10.0.0.6", app="l", **{"projectcalico.org/serviceaccount": "admin"})
    long_["spec"]["serviceAccountName"] = LONG
    by_name = _gnp("g", {"order": 10, "selector": "app == 'db'", "ingress": [
        {"action": "Allow", "source": {"serviceAccounts": {"names": ["admin"]}}}]})
    rows = _rows(gaps(_cluster(short, long_, by_name))).set_index("name")
    # A short ServiceAccount name: the conversion writes it over the pod's label; no effect.
    assert rows.loc["short", "severity"] == "info"
    assert "writes the pod's ServiceAccount over it" in rows.loc["short", "evidence"]["seen_as"][
        "projectcalico.org/serviceaccount"]
    assert "read_by" not in rows.loc["short", "evidence"]
    # A long one leaves the pod's own label, which names rules then match.
    assert rows.loc["long", "severity"] == "high"
    assert rows.loc["long", "evidence"]["read_by"] == ["GlobalNetworkPolicy/g"]
    assert "running as ServiceAccount admin" in rows.loc["long", "detail"]
    # And so Calico matches it, as the engine now computes for Calico policies.
    r = k8sviz.reachability(_cluster(short, long_, by_name,
                                     _gnp("z", {"order": 2000, "selector": "app == 'db'",
                                                "ingress": [{"action": "Deny"}]})))
    assert r.can_reach("web/long", "db/db", 5432) and not r.can_reach("web/short", "db/db", 5432)


def test_labels_the_conversion_writes_over_are_informational():
    (row,) = _rows(gaps(_cluster(spoof={"projectcalico.org/namespace": "payments"}))).to_dict("records")
    assert row["severity"] == "info" and "change no match" in row["detail"]
    # With an effective claim, those ride along in the same row.
    (row,) = _rows(gaps(_cluster(spoof={"projectcalico.org/namespace": "payments",
                                        "pcns.team": "payments"}))).to_dict("records")
    assert row["severity"] == "medium" and "projectcalico.org/namespace: written over by the conversion" in row["detail"]


def test_host_network_pods_have_no_workload_endpoint_to_spoof():
    agent = pod("web", "agent", host_network=True, **{"pcns.team": "payments"})
    assert _rows(gaps(_cluster(agent))).empty


def test_one_row_per_workload_and_info_rows_fail_no_control():
    a = pod("web", "front-1", ip="10.0.0.7", **{"pcns.team": "payments"})
    b = pod("web", "front-2", ip="10.0.0.8", **{"pcns.team": "payments"})
    for p in (a, b):
        p["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": "front-5d8f7c9b6d", "controller": True}]
    df = gaps(_cluster(_calico_node(), a, b))
    (row,) = _rows(df).to_dict("records")
    assert row["evidence"]["pods"] == ["web/front-1", "web/front-2"]
    summary = controls_summary(df).set_index("control")
    assert FINDING in summary.loc["NSA-NP-SELECT", "finding_ids"]
    info_only = gaps(_cluster(spoof={"projectcalico.org/orchestrator": "k8s"}))
    summary = controls_summary(info_only).set_index("control")
    assert FINDING not in summary.loc["NSA-NP-SELECT", "finding_ids"]


def test_network_sets_carrying_service_account_or_namespace_labels():
    def net_set(kind: str, labels: dict[str, str]) -> dict[str, Any]:
        meta: dict[str, Any] = {"name": "partners", "labels": labels}
        if kind == "NetworkSet":
            meta["namespace"] = "web"
        return {"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": meta,
                "spec": {"nets": ["203.0.113.0/24"]}}

    rows = _rows(gaps(_cluster(
        net_set("GlobalNetworkSet", {"projectcalico.org/serviceaccount": "admin", "role": "x"}),
        net_set("NetworkSet", {"pcsa.role": "admin", "pcns.team": "payments"}),
    )))
    by = {r["evidence"]["network_set"]: r for r in rows.to_dict("records")}
    assert set(by) == {"GlobalNetworkSet/partners", "NetworkSet/web/partners"}
    g = by["GlobalNetworkSet/partners"]
    assert g["severity"] == "high" and g["name"] == "partners"
    assert g["evidence"]["labels"] == {"projectcalico.org/serviceaccount": "admin"}
    assert "running as ServiceAccount admin" in g["detail"]
    n = by["NetworkSet/web/partners"]
    assert n["namespace"] == "web"
    assert n["evidence"]["labels"] == {"pcns.team": "payments", "pcsa.role": "admin"}
    assert n["evidence"]["read_by"] == ["NetworkPolicy/db/from-payments"]
    # A set without them is no finding.
    assert _rows(gaps(_cluster(net_set("GlobalNetworkSet", {"role": "x"})))).empty


def _admin(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    version = "v1alpha2" if kind == "ClusterNetworkPolicy" else "v1alpha1"
    return {"apiVersion": f"policy.networking.k8s.io/{version}", "kind": kind, "metadata": {"name": name},
            "spec": spec}


def _team_payments(how: str) -> dict[str, Any]:
    if how == "labels":
        return {"matchLabels": {"team": "payments"}}
    return {"matchExpressions": [{"key": "team", "operator": "In", "values": ["payments"]}]}


def test_admin_policies_whose_namespace_selectors_read_the_claimed_key_are_named():
    """Calico converts AdminNetworkPolicy, BaselineAdminNetworkPolicy and ClusterNetworkPolicy
    to GlobalNetworkPolicies whose subject and peer namespaceSelectors reach Felix as pcns.<key>
    (see k8sviz.analysis._reserved), so those read a pod's own pcns.team."""
    subject = _admin("AdminNetworkPolicy", "payments-no-egress", {
        "priority": 10, "subject": {"namespaces": _team_payments("labels")},
        "egress": [{"name": "none", "action": "Deny", "to": [{"namespaces": {}}]}]})
    pods_peer = _admin("AdminNetworkPolicy", "db-from-payments", {
        "priority": 20,
        "subject": {"pods": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "db"}},
                             "podSelector": {}}},
        "ingress": [{"name": "pay", "action": "Allow", "from": [
            {"pods": {"namespaceSelector": _team_payments("expressions"), "podSelector": {}}}]}]})
    baseline = _admin("BaselineAdminNetworkPolicy", "default", {
        "subject": {"namespaces": {}},
        "ingress": [{"name": "no-payments", "action": "Deny",
                     "from": [{"namespaces": _team_payments("labels")}]}]})
    cluster = _admin("ClusterNetworkPolicy", "web-to-payments", {
        "tier": "Admin", "priority": 30, "subject": {"namespaces": {"matchLabels": {"team": "web"}}},
        "egress": [{"name": "pass", "action": "Pass", "to": [{"namespaces": _team_payments("labels")}]}]})
    # A pod selector reads the pod's own team label, not pcns.team; env is not claimed.
    other = _admin("AdminNetworkPolicy", "other-keys", {
        "priority": 40,
        "subject": {"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"team": "payments"}}}},
        "ingress": [{"name": "prod", "action": "Allow",
                     "from": [{"namespaces": {"matchLabels": {"env": "prod"}}}]}]})
    snap = _cluster(_calico_node(), subject, pods_peer, baseline, cluster, other,
                    spoof={"pcns.team": "payments"})
    assert len(snap.admin_policies) == 5
    (row,) = _rows(gaps(snap)).to_dict("records")
    assert row["severity"] == "high"
    assert row["evidence"]["read_by"] == [
        "AdminNetworkPolicy/db-from-payments", "AdminNetworkPolicy/payments-no-egress",
        "BaselineAdminNetworkPolicy/default", "ClusterNetworkPolicy/web-to-payments",
        "NetworkPolicy/db/from-payments",
    ]
    assert "admin policies" in row["detail"] and "AdminNetworkPolicy" in row["detail"]
    # k8sviz keeps the API's reading of the admin subject: web/front is no subject of
    # payments-no-egress (under Calico it would be, and its egress denied).
    r = k8sviz.reachability(snap)
    assert r.can_reach("web/front", "payments/pay", 80)
    assert not r.can_reach("payments/pay", "web/front", 80)


def test_admin_policies_reading_no_claimed_key_are_not_named():
    anp = _admin("AdminNetworkPolicy", "all-namespaces", {
        "priority": 10, "subject": {"namespaces": {}},
        "ingress": [{"name": "any", "action": "Allow", "from": [{"namespaces": {}}]}]})
    (row,) = _rows(gaps(_cluster(_calico_node(), anp, spoof={"pcns.team": "payments"}))).to_dict("records")
    # Empty namespaceSelectors become all() (has(projectcalico.org/namespace)): no key of the pod's.
    assert row["evidence"]["read_by"] == ["NetworkPolicy/db/from-payments"]
