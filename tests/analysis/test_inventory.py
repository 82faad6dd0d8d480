"""The policy inventory: every dialect in one table, in evaluation order, with pods selected."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

import k8sviz
from k8sviz.analysis.inventory import INVENTORY_COLUMNS
from k8sviz.cli import main
from k8sviz.snapshot import SnapshotBuilder

from ..policy.helpers import anp, netpol, ns, pod, snapshot


def _calico(kind: str, name: str, spec: dict[str, Any], namespace: str | None = None) -> dict[str, Any]:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": meta, "spec": spec}


def _cilium(name: str, spec: dict[str, Any], namespace: str = "web") -> dict[str, Any]:
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def _objects() -> list[dict[str, Any]]:
    done = pod("web", "old", {"app": "a"}, "10.0.0.8")
    done["status"]["phase"] = "Succeeded"
    return [
        ns("web", team="web"), ns("db", team="db"),
        pod("web", "a1", {"app": "a"}, "10.0.0.1"), pod("web", "a2", {"app": "a"}, "10.0.0.2"),
        pod("web", "h", {"app": "a"}, host=True, host_ip="10.0.1.1"),  # hostNetwork: never counted
        done,  # ran to completion: not counted
        pod("db", "d", {"app": "d"}, "10.0.0.9"),
        {**netpol("web", "np-a", {"podSelector": {"matchLabels": {"app": "a"}}, "ingress": [{}, {}]}),
         "metadata": {"namespace": "web", "name": "np-a", "labels": {"team": "web"},
                      "annotations": {"owner": "web-team", "justification": "CHG-1234 <b>",
                                      "kubectl.kubernetes.io/last-applied-configuration": "{}"}}},
        netpol("db", "np-none", {"podSelector": {"matchLabels": {"app": "zzz"}}, "egress": [{}]}),
        anp("anp-db", {"priority": 5, "subject": {"namespaces": {"matchLabels": {"team": "db"}}},
                       "ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}]}),
        _calico("Tier", "security", {"order": 100}),
        _calico("GlobalNetworkPolicy", "late", {"tier": "security", "order": 50, "selector": "all()",
                                                "ingress": [{"action": "Pass"}]}),
        _calico("GlobalNetworkPolicy", "early", {"tier": "security", "order": 5, "selector": "app == 'd'",
                                                 "egress": [{"action": "Allow"}]}),
        _calico("NetworkPolicy", "in-default", {"selector": "all()", "ingress": [{"action": "Allow"}]}, "web"),
        _cilium("c", {"endpointSelector": {"matchLabels": {"app": "a"}}, "ingress": [{"fromEntities": ["world"]}]}),
        _cilium("fqdn", {"endpointSelector": {}, "egress": [{"toFQDNs": [{"matchName": "example.com"}]}]}),
        _calico("StagedNetworkPolicy", "staged", {"selector": "all()"}, "web"),
    ]


def test_one_row_per_policy_in_evaluation_order():
    df = k8sviz.policy_inventory(snapshot(*_objects()))
    assert tuple(df.columns) == INVENTORY_COLUMNS
    assert list(df["policy"]) == [
        "NetworkPolicy/db/np-none", "NetworkPolicy/web/np-a", "AdminNetworkPolicy/anp-db",
        # Tier "security" (order 100) before the default tier; by order within it.
        "GlobalNetworkPolicy/early", "GlobalNetworkPolicy/late", "NetworkPolicy.projectcalico.org/web/in-default",
        "CiliumNetworkPolicy/web/c", "CiliumNetworkPolicy/web/fqdn", "StagedNetworkPolicy/web/staged",
    ]
    row = df.set_index("policy")
    # Live pods only: two of app=a in web (not the hostNetwork pod, not the finished one).
    assert row.loc["NetworkPolicy/web/np-a", "selected_pods"] == 2
    # Owners and justifications live in labels and annotations (last-applied left out).
    assert row.loc["NetworkPolicy/web/np-a", "labels"] == {"team": "web"}
    assert row.loc["NetworkPolicy/web/np-a", "annotations"] == {"owner": "web-team", "justification": "CHG-1234 <b>"}
    assert row.loc["GlobalNetworkPolicy/late", "annotations"] == {}
    assert row.loc["NetworkPolicy/web/np-a", ["types", "rules"]].tolist() == ["Ingress", 2]
    assert row.loc["NetworkPolicy/db/np-none", "selected_pods"] == 0
    assert row.loc["NetworkPolicy/db/np-none", "types"] == "Ingress,Egress"  # implied
    assert row.loc["AdminNetworkPolicy/anp-db", ["dialect", "tier", "order", "selected_pods"]].tolist() == [
        "admin", "admin", 5.0, 1]
    assert row.loc["GlobalNetworkPolicy/late", ["tier", "order", "selected_pods"]].tolist() == ["security", 50.0, 3]
    assert row.loc["NetworkPolicy.projectcalico.org/web/in-default", ["tier", "selected_pods"]].tolist() == [
        "default", 2]
    assert row.loc["CiliumNetworkPolicy/web/c", ["selected_pods", "evaluated"]].tolist() == [2, True]
    fqdn = row.loc["CiliumNetworkPolicy/web/fqdn"]
    assert fqdn["evaluated"] and fqdn["selected_pods"] == 2  # every live pod of web
    assert fqdn["not_judged"].startswith("toFQDNs example.com: DNS answers are not in a snapshot")
    staged = row.loc["StagedNetworkPolicy/web/staged"]
    assert staged["dialect"] == "other" and not staged["evaluated"] and pd.isna(staged["selected_pods"])
    assert staged["not_judged"] == "enforces nothing by itself"


def test_empty_snapshot_has_the_columns():
    df = k8sviz.policy_inventory(snapshot(ns("web")))
    assert df.empty and tuple(df.columns) == INVENTORY_COLUMNS


def test_cli_prints_every_format(tmp_path, capsys):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": _objects()}))
    assert main(["policies", str(path), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 9 and rows[1]["policy"] == "NetworkPolicy/web/np-a" and rows[1]["selected_pods"] == 2
    assert main(["policies", str(path), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(",".join(INVENTORY_COLUMNS)) and "<NA>" not in out
    assert main(["policies", "--demo"]) == 0
    assert "NetworkPolicy/pci/card-vault-ingress" in capsys.readouterr().out


def test_cli_txt_and_md_cells_read_as_the_csv_and_the_report(tmp_path, capsys):
    """txt and md wrote a flag as Python's True, a mapping as JSON and an order as 50.0, where the
    CSV, the report and notebook.table write yes / no, key=value and 50."""
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": _objects()}))
    for fmt in ("txt", "md"):
        assert main(["policies", str(path), "--format", fmt]) == 0
        out = capsys.readouterr().out
        late = next(line for line in out.splitlines() if "GlobalNetworkPolicy/late" in line)
        np_a = next(line for line in out.splitlines() if "NetworkPolicy/web/np-a" in line)
        staged = next(line for line in out.splitlines() if "StagedNetworkPolicy/web/staged" in line)
        assert " 50 " in late.replace("|", " ") and "50.0" not in late, fmt
        assert "yes" in np_a.split() and "no" in staged.split() and "True" not in out and "False" not in out
        assert "justification=CHG-1234 <b>, owner=web-team" in np_a.replace("&lt;", "<").replace("&gt;", ">")
        assert "team=web" in np_a and "{" not in out
    assert main(["policies", str(path), "--format", "csv"]) == 0
    assert "justification=CHG-1234 <b>, owner=web-team" in capsys.readouterr().out


def test_the_report_carries_the_inventory():
    # The cells as their text reads: tables mark where a line may wrap with <wbr>.
    page = k8sviz.report(snapshot(*_objects()), generated_at="2026-01-01T00:00:00Z").replace("<wbr>", "")
    assert 'id="policy-inventory"' in page and '<a href="#policies">Policies</a>' in page
    assert "9 policy objects" in page and "1 is not evaluated by k8sviz" in page
    assert "1 evaluated policy applies to no running pod" in page  # db/np-none
    assert "justification=CHG-1234 &lt;b&gt;; owner=web-team" in page


def test_gaps_flags_dead_policies_of_every_dialect():
    objs = [*_objects(),
            _calico("NetworkPolicy", "ghost", {"selector": "app == 'nope'", "ingress": [{"action": "Deny"}]}, "web"),
            # A GlobalNetworkPolicy may be for host endpoints (not in a snapshot): never called dead.
            _calico("GlobalNetworkPolicy", "hosts", {"selector": "has(node-role)", "ingress": [{"action": "Deny"}]}),
            _cilium("ghost", {"endpointSelector": {"matchLabels": {"app": "nope"}}, "ingress": [{}]}),
            _cilium("unjudged", {"endpointSelector": {"matchLabels": {"app": "nope"}},
                                 "ingress": [{"fromRequires": [{"matchLabels": {"env": "prod"}}]}]}),
            anp("ghost", {"priority": 9, "subject": {"namespaces": {"matchLabels": {"team": "none"}}},
                          "ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}]})]
    df = k8sviz.gaps(snapshot(*objs))
    dead = df[df["finding"] == "policy-selects-nothing"]
    policies = sorted(e["policy"] for e in dead["evidence"])
    # A Cilium policy that is not evaluated (fromRequires) is not judged dead either.
    assert policies == ["AdminNetworkPolicy/ghost", "CiliumNetworkPolicy/web/ghost",
                        "NetworkPolicy.projectcalico.org/web/ghost", "db/np-none"]
    # In a namespace-scoped snapshot a cluster-scoped policy's pods may be elsewhere.
    b = SnapshotBuilder()
    for o in objs:
        b.add(o, "t")
    scoped = k8sviz.gaps(b.build(namespace_scope=["web", "db"]))
    scoped_dead = sorted(e["policy"] for e in scoped[scoped["finding"] == "policy-selects-nothing"]["evidence"])
    assert scoped_dead == ["CiliumNetworkPolicy/web/ghost", "NetworkPolicy.projectcalico.org/web/ghost",
                           "db/np-none"]


def test_hostile_text_in_the_inventory_is_escaped_in_the_report():
    # A label key with an unknown source lands in not_judged verbatim: the report escapes it.
    hostile = _cilium("x", {"endpointSelector": {"matchLabels": {"weird:<script>alert(1)</script>": "v"}},
                            "ingress": [{"fromEntities": ["world"]}]})
    snap = snapshot(ns("web"), pod("web", "a", {"app": "a"}, "10.0.0.1"), hostile)
    assert "<script>" in k8sviz.policy_inventory(snap)["not_judged"][0]
    page = k8sviz.report(snap, generated_at="2026-01-01T00:00:00Z")
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.replace("<wbr>", "")  # as its text reads


def test_labels_and_annotations_survive_a_snapshot_file(tmp_path):
    snap = snapshot(*_objects())
    snap.save(tmp_path / "s.json")
    back = k8sviz.load(tmp_path / "s.json")
    assert back.policy_metadata == snap.policy_metadata
    assert back.policy_metadata["NetworkPolicy/web/np-a"]["annotations"]["owner"] == "web-team"


def test_required_policy_annotations_are_checked_when_the_zones_file_asks():
    zones = {"zones": {"web": {"namespaceSelector": {"matchLabels": {"team": "web"}}}},
             "requiredPolicyAnnotations": ["owner", "justification"]}
    df = k8sviz.gaps(snapshot(*_objects()), zones=zones)
    rows = df[df["finding"] == "policy-missing-annotations"]
    by_policy = {e["policy"]: e["missing"] for e in rows["evidence"]}
    assert "NetworkPolicy/web/np-a" not in by_policy  # carries both
    assert by_policy["NetworkPolicy/db/np-none"] == ["owner", "justification"]
    assert by_policy["GlobalNetworkPolicy/late"] == ["owner", "justification"]
    assert len(by_policy) == 8  # every other policy, of every dialect
    assert "policy-missing-annotations" in df.attrs["checked"]
    assert set(rows["controls"].iloc[0]) == {"PCI-1.2.1", "PCI-1.2.7"}
    # Without the key, nothing is checked.
    plain = k8sviz.gaps(snapshot(*_objects()), zones={"zones": zones["zones"]})
    assert "policy-missing-annotations" not in set(plain["finding"])
    assert "policy-missing-annotations" not in plain.attrs["checked"]


def test_required_policy_annotations_must_be_a_list_of_keys():
    with pytest.raises(k8sviz.ZoneError, match="requiredPolicyAnnotations' must be a list of annotation keys"):
        k8sviz.load_zones({"zones": {"a": {"podSelector": {}}}, "requiredPolicyAnnotations": "owner"})


def test_cli_prints_none_for_no_policy(tmp_path, capsys):
    dump = tmp_path / "c.json"
    dump.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [ns("web")]}))
    assert main(["policies", str(dump)]) == 0
    assert capsys.readouterr().out == "(none)\n"


def test_without_pods_how_many_a_policy_selects_is_unknown():
    import k8sviz

    df = k8sviz.policy_inventory(k8sviz.load("data/demo/cluster/networkpolicies.yaml"))
    assert len(df) and df["selected_pods"].isna().all()
    assert k8sviz.policy_inventory(k8sviz.demo())["selected_pods"].notna().any()
