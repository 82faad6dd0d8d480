"""The bundled demo loads cleanly through the public API and keeps no secrets."""

from __future__ import annotations

import k8sviz
from k8sviz.cli import main


def test_demo_loads_without_warnings():
    snap = k8sviz.demo()
    assert snap.meta["cluster"] == "demo-boutique"
    assert snap.warnings == ()
    assert {n.name for n in snap.namespaces} >= {"shop", "pci", "ingress-nginx", "monitoring", "kube-system"}
    assert not any(p.synthesized for p in snap.pods)
    # Pods resolve to their controllers through ReplicaSets.
    assert {p.workload for p in snap.pods if p.namespace == "pci"} == {"paymentservice", "card-vault"}
    assert {p.key for p in snap.pods if p.host_network} == {
        p.key for p in snap.pods if p.workload == "node-agent"
    }


def test_demo_snapshot_has_no_secret_values():
    data = k8sviz.demo().to_json()
    assert b"DB_PASSWORD" in data  # the variable name is kept ...
    assert b"last-applied-configuration" not in data and b"managedFields" not in data
    env_values = [e for o in k8sviz.demo().raw_objects() for e in _envs(o) if "value" in e]
    assert env_values == []  # ... its value is not


def _envs(obj):
    spec = obj.get("spec") or {}
    spec = (spec.get("template") or {}).get("spec") or spec
    for c in spec.get("containers") or ():
        yield from c.get("env") or ()


def test_demo_path_and_cli(capsys):
    assert k8sviz.demo_path("cluster").is_dir()
    assert main(["info", "--demo"]) == 0
    assert "demo-boutique" in capsys.readouterr().out
