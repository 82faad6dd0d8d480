"""Policy resources that were not read are unknown, never "none": every consumer says so."""

from __future__ import annotations

import hashlib
import json

import k8sviz
from k8sviz.snapshot import SnapshotBuilder, canonical_json

from .helpers import netpol, ns, pod, snapshot


def _objs() -> list[dict]:
    return [ns("a"), pod("a", "p", {"app": "p"}, ip="10.0.0.1"), pod("a", "q", {"app": "q"}, ip="10.0.0.2")]


def test_no_networkpolicy_in_the_input_is_a_caveat_not_a_silence():
    snap = snapshot(*_objs())
    assert snap.unread_policies == {"networkpolicies": "not-in-input"}
    reach = k8sviz.reachability(snap)
    (w,) = [w for w in reach.warnings if w.code == "policies-not-read"]
    assert "no NetworkPolicy is in the input" in w.message
    v = reach.explain("a/p", "a/q", 80)
    assert v.allowed and any("take them as empty" in n for n in v.notes)
    df = k8sviz.gaps(snap, reach)
    (row,) = df[df["finding"] == "policies-not-read"].itertuples()
    assert row.severity == "high"
    assert row.evidence == {"resource": "networkpolicies", "coverage": "not-in-input"}
    # Ambiguous (a cluster may have none): the absence findings still stand, beside the caveat.
    assert "namespace-without-policy" in set(df["finding"])


def test_read_policies_raise_no_caveat():
    snap = snapshot(*_objs(), netpol("a", "deny", {"podSelector": {}}))
    assert snap.unread_policies == {}
    reach = k8sviz.reachability(snap)
    assert not [w for w in reach.warnings if w.code == "policies-not-read"]
    assert reach.explain("a/p", "a/q", 80).notes == ()
    assert "policies-not-read" not in set(k8sviz.gaps(snap, reach)["finding"])


def test_an_empty_typed_list_proves_there_are_none():
    b = SnapshotBuilder()
    b.add_documents([{"apiVersion": "v1", "kind": "List", "items": _objs()},
                     {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicyList", "items": []}],
                    "dump")
    assert b.build().unread_policies == {}


def test_admin_kinds_count_only_when_refused(tmp_path):
    snap = snapshot(*_objs(), netpol("a", "deny", {"podSelector": {}}))
    assert snap.coverage["adminnetworkpolicies"] == "not-in-input"  # usual in offline dumps
    assert snap.unread_policies == {}
    # A snapshot file records what the live read was refused; loading it keeps that.
    path = tmp_path / "snap.json"
    snap.save(path)
    doc = json.loads(path.read_text())
    doc["coverage"]["adminnetworkpolicies"] = "forbidden"
    doc["coverage"]["clusternetworkpolicies"] = "not-installed"
    del doc["sha256"]
    doc["sha256"] = hashlib.sha256(canonical_json(doc)).hexdigest()
    path.write_text(json.dumps(doc))
    loaded = k8sviz.load(path)
    assert loaded.unread_policies == {"adminnetworkpolicies": "forbidden"}
    notes = k8sviz.reachability(loaded).explain("a/p", "a/q", 80).notes
    assert any("adminnetworkpolicies were not read (forbidden)" in n for n in notes)
    df = k8sviz.gaps(loaded)
    assert list(df[df["finding"] == "policies-not-read"]["name"]) == ["adminnetworkpolicies"]
    # Only a refused NetworkPolicy list hides the isolation findings.
    assert "no-ingress-isolation" in df.attrs["checked"]


def _ns_selector_policy(key: str) -> dict:
    return netpol("b", "np", {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {key: "a"}}}]}]})


def test_namespaces_known_only_by_name_are_named_when_selectors_need_their_labels():
    # No Namespace objects: "a" and "b" carry only kubernetes.io/metadata.name.
    objs = [pod("a", "p", ip="10.0.0.1"), pod("b", "q", ip="10.0.0.2"), pod("c", "r", ip="10.0.0.3")]
    snap = snapshot(*objs, _ns_selector_policy("team"))
    assert snap.namespaces_with_unknown_labels == ("a", "b", "c")
    reach = k8sviz.reachability(snap)
    assert any(w.code == "namespace-labels-unknown" for w in reach.warnings)
    v = reach.explain("a/p", "b/q", 80)
    assert not v.allowed  # as if "a" had no team label ...
    assert [n for n in v.notes if "labels of namespace" in n] == [  # ... and said so, per endpoint
        f"the labels of namespace {x} were not read: namespaceSelectors on other labels than "
        "kubernetes.io/metadata.name are judged as if it had none" for x in ("a", "b")
    ]
    page = k8sviz.report(snap, reach=reach, generated_at="2026-01-01T00:00:00Z")
    assert ("namespace labels not read: 3 namespaces are known only from the objects in them (caveat "
            '<a href="#caveat-namespace-labels-unknown">') in page
    assert "the labels of 3 namespaces were not read (a, b, c)" in page  # said in the caveat, once


def test_name_only_selectors_or_read_namespaces_need_no_caveat():
    objs = [pod("a", "p", ip="10.0.0.1"), pod("b", "q", ip="10.0.0.2")]
    # The name label is set by the API server: it is known without the Namespace object.
    snap = snapshot(*objs, _ns_selector_policy("kubernetes.io/metadata.name"))
    assert snap.namespaces_with_unknown_labels == ()
    assert k8sviz.reachability(snap).explain("a/p", "b/q", 80).allowed
    snap = snapshot(ns("a", team="a"), ns("b"), *objs, _ns_selector_policy("team"))
    assert snap.namespaces_with_unknown_labels == ()
    reach = k8sviz.reachability(snap)
    assert reach.explain("a/p", "b/q", 80).allowed
    assert not [w for w in reach.warnings if w.code == "namespace-labels-unknown"]
