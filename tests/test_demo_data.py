"""The committed demo cluster in data/demo/cluster is exactly what generate.py produces."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
FILES = ["namespaces.yaml", "nodes.json", "workloads.yaml", "pods.json", "services.yaml",
         "networkpolicies.yaml", "ingresses.yaml"]


def _script(name: str):
    """A generator script of data/demo, imported as a module."""
    spec = importlib.util.spec_from_file_location(f"demo_{name}", DEMO / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_committed_files_match_generator(tmp_path):
    _script("generate").generate(tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (DEMO / "cluster" / name).read_bytes(), name


def test_formats_and_gaps():
    c = DEMO / "cluster"
    nodes = json.loads((c / "nodes.json").read_text())
    assert nodes["kind"] == "NodeList" and all("kind" not in n for n in nodes["items"])
    pods = json.loads((c / "pods.json").read_text())
    assert pods["kind"] == "PodList" and len(pods["items"]) == 29
    for f in ("namespaces.yaml", "workloads.yaml", "services.yaml", "ingresses.yaml"):
        doc = yaml.safe_load((c / f).read_text())
        assert doc["kind"] == "List" and doc["apiVersion"] == "v1"
    pols = {(p["metadata"]["namespace"], p["metadata"]["name"]): p
            for p in yaml.safe_load_all((c / "networkpolicies.yaml").read_text())}
    assert ("shop", "recommendation-egress-ml-api") in pols
    assert ("shop", "cartservice-legacy-allow") in pols
    assert pols[("pci", "card-vault-maintenance")]["spec"]["ingress"] == [
        {"from": [{"namespaceSelector": {"matchLabels": {"team": "web"}}}]}]
    assert not any(ns == "monitoring" and p["spec"]["podSelector"] == {} for (ns, _), p in pols.items())


def test_committed_remediated_snapshot_matches_its_generator(tmp_path):
    _script("generate_remediated").write(tmp_path / "r.json")
    ours, committed = (json.loads(p.read_text()) for p in (tmp_path / "r.json", DEMO / "remediated.k8sviz.json"))
    for doc in (ours, committed):
        doc["meta"].pop("k8sviz_version")  # a release bump is not a change of the demo
    assert ours == committed


def test_the_remediation_closes_the_reviewed_gaps_and_nothing_else():
    import k8sviz

    before, after = k8sviz.demo(), k8sviz.load(DEMO / "remediated.k8sviz.json")
    assert after.meta["collected_at"] == "2024-03-24T09:30:00Z" and after.meta["cluster"] == "demo-boutique"
    zones = k8sviz.load_zones(DEMO / "zones.yaml")
    found = [{(f.finding, f.namespace, f.name) for f in k8sviz.gaps(s, zones=zones).itertuples()}
             for s in (before, after)]
    assert found[1] < found[0]
    assert found[0] - found[1] == {
        ("allow-all-rule", "pci", "card-vault-maintenance"),  # gap 2
        ("allow-all-rule", "shop", "recommendation-egress-ml-api"),  # gap 3
        ("metadata-egress", "shop", "recommendationservice"),
        ("policy-selects-nothing", "shop", "cartservice-legacy-allow"),  # gap 4
        ("namespace-without-default-deny", "monitoring", "monitoring"),  # gap 1
        ("no-egress-isolation", "monitoring", "prometheus"),
        ("internet-egress", "monitoring", "prometheus"),
        ("metadata-egress", "monitoring", "prometheus"),
    }
    changed = k8sviz.policy_diff(before, after)
    assert sorted(zip(changed["policy"], changed["change"], strict=True)) == [
        ("NetworkPolicy/monitoring/default-deny-all", "added"),
        ("NetworkPolicy/monitoring/prometheus-egress", "added"),
        ("NetworkPolicy/pci/card-vault-maintenance", "removed"),
        ("NetworkPolicy/shop/cartservice-legacy-allow", "removed"),
        ("NetworkPolicy/shop/recommendation-egress-ml-api", "modified"),
    ]
    conn = k8sviz.reachability_diff(k8sviz.reachability(before), k8sviz.reachability(after))
    assert set(conn["src"]) == {"monitoring/prometheus", "shop/recommendationservice"}
    assert not (conn["change"].isin(["added", "widened", "changed"])).any()  # remediation only closes
    import ipaddress

    ml, neighbour = ipaddress.ip_address("34.149.87.45"), ipaddress.ip_address("34.149.87.44")
    rec = conn[(conn["src"] == "shop/recommendationservice") & (conn["dst_type"] == "external")]
    assert not any(ml in ipaddress.ip_network(d) for d in rec["dst"])  # ml-api stays reachable on 443
    closed = rec[rec["change"] == "removed"]["dst"]
    assert any(neighbour in ipaddress.ip_network(d) for d in closed)
