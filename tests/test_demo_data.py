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


def _gen_module():
    spec = importlib.util.spec_from_file_location("demo_generate", DEMO / "generate.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_committed_files_match_generator(tmp_path):
    _gen_module().generate(tmp_path)
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
