"""Policies of dialects the engine does not evaluate are never silent: warnings, notes, findings."""

from __future__ import annotations

import json
from typing import Any

import k8sviz
from k8sviz.cli import main

from .helpers import netpol, ns, pod, snapshot


def _cilium(namespace: str, name: str) -> dict[str, Any]:
    return {
        "apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
        "metadata": {"namespace": namespace, "name": name},
        "spec": {"endpointSelector": {}, "egress": [{"toNodes": [{"matchLabels": {"role": "x"}}]}]},
    }


def _calico(kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
    """A Calico policy with an HTTP match, which a snapshot cannot judge: not evaluated."""
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": meta,
            "spec": {"selector": "all()", "ingress": [{"action": "Allow", "http": {"methods": ["GET"]}}]}}


def _cilium_clusterwide(name: str) -> dict[str, Any]:
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": name},
            "spec": {"endpointSelector": {}, "egress": [{"toNodes": [{"matchLabels": {"role": "x"}}]}]}}


def _cluster(*extra: dict[str, Any]):
    return snapshot(
        ns("a"), ns("b"), ns("c"),
        pod("a", "p", {"app": "p"}, ip="10.0.0.1"),
        pod("b", "q", {"app": "q"}, ip="10.0.0.2"),
        pod("c", "r", {"app": "r"}, ip="10.0.0.3"),
        netpol("b", "deny", {"podSelector": {}}),
        *extra,
    )


def test_only_enforcing_kinds_count():
    snap = _cluster(
        _cilium("a", "cnp"),
        _calico("GlobalNetworkPolicy", "gnp"),
        _calico("StagedNetworkPolicy", "staged", "a"),  # reports only, enforces nothing
        {"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": "security"},
         "spec": {"order": 100}},
        {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkSet", "metadata": {"name": "s"},
         "spec": {"nets": ["1.2.3.0/24"]}},
    )
    assert sorted(p.key for p in snap.unevaluated_policies) == ["a/cnp", "gnp"]
    assert len(snap.other_policies) == 1  # the staged policy: kept raw
    assert (len(snap.calico_policies), len(snap.calico_tiers), len(snap.network_sets)) == (1, 1, 1)
    ((why,),) = [p.unsupported for p in snap.cilium_policies]
    assert why.startswith("spec.egress[0].toNodes: ") and "enable-node-selector-labels" in why


def test_clean_snapshot_has_no_caveat():
    reach = k8sviz.reachability(_cluster())
    assert reach.unevaluated == ()
    assert not [w for w in reach.warnings if w.code == "policies-not-evaluated"]
    assert all("not evaluate" not in n for n in reach.explain("a/p", "c/r", 80).notes)
    assert "policy-not-evaluated" not in set(k8sviz.gaps(reach.snapshot, reach)["finding"])


def test_reachability_warns_and_explain_notes_only_where_they_apply():
    reach = k8sviz.reachability(_cluster(_cilium("a", "cnp")))
    (w,) = [w for w in reach.warnings if w.code == "policies-not-evaluated"]
    assert "1 CiliumNetworkPolicy" in w.message and "CiliumNetworkPolicy/a/cnp" in w.message
    assert reach.summary()["policies_not_evaluated"] == 1
    # The verdict stays the NetworkPolicy one; the note says it may not be the cluster's.
    v = reach.explain("a/p", "c/r", 80)
    assert v.allowed
    assert any("CiliumNetworkPolicy/a/cnp" in n and "may differ" in n for n in v.notes)
    assert "may differ" in str(v) and "may differ" in v._repr_html_()
    assert any("a/cnp" in n for n in reach.explain("c/r", "a/p", 80).notes)
    # A namespaced policy in neither endpoint's namespace governs neither end.
    assert not any("not evaluate" in n for n in reach.explain("c/r", "b/q", 80).notes)
    assert not any("not evaluate" in n for n in reach.explain("8.8.8.8", "c/r", 80).notes)


def test_cluster_wide_policies_apply_everywhere():
    reach = k8sviz.reachability(_cluster(_cilium_clusterwide("default-deny")))
    for src, dst in (("c/r", "b/q"), ("8.8.8.8", "c/r"), ("a/p", "c/r")):
        assert any("CiliumClusterwideNetworkPolicy/default-deny" in n for n in reach.explain(src, dst, 80).notes)


def test_gaps_lists_each_unevaluated_policy_at_high_severity():
    snap = _cluster(_cilium("kube-system", "cnp"), _cilium_clusterwide("gnp"))
    df = k8sviz.gaps(snap)
    rows = df[df["finding"] == "policy-not-evaluated"]
    assert sorted(zip(rows["namespace"].fillna(""), rows["name"])) == [("", "gnp"), ("kube-system", "cnp")]
    # Not lowered in kube-system: the caveat is about the evidence, not the workload.
    assert set(rows["severity"]) == {"high"}
    assert all(r["kind"] in ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy") for r in rows["evidence"])
    assert "policy-not-evaluated" in df.attrs["checked"]
    # A caveat, not a failed automated control.
    summary = k8sviz.controls_summary(df)
    assert summary.set_index("control").loc["PCI-1.2.8", "status"] == "manual"


def test_report_lists_the_caveat_among_its_limitations():
    page = k8sviz.report(_cluster(_cilium("a", "cnp"), _calico("NetworkPolicy", "np", "b")),
                         generated_at="2026-01-01T00:00:00Z")
    assert "Limitations of this report" in page
    assert "policies not evaluated" in page and "1 CiliumNetworkPolicy, 1 NetworkPolicy.projectcalico.org" in page


def test_cli_explain_warns_on_stderr(tmp_path, capsys):
    objs = [ns("a"), ns("c"), pod("a", "p", ip="10.0.0.1"), pod("c", "r", ip="10.0.0.3"), _cilium("a", "cnp")]
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}))
    args = ["explain", str(path), "--from", "a/p", "--to", "c/r", "--port", "80", "--format", "json"]
    assert main(args) == 0
    cap = capsys.readouterr()
    assert "does not evaluate" in cap.err
    assert any("a/cnp" in n for n in json.loads(cap.out)["notes"])
