"""data/demo/flows/ is exactly what data/demo/generate_flows.py writes (seeded, deterministic)."""

from __future__ import annotations

import importlib.util

import k8sviz


def test_demo_flows_in_sync(tmp_path):
    path = k8sviz.demo_path("generate_flows.py")
    spec = importlib.util.spec_from_file_location("generate_flows", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.OUT = tmp_path
    mod.main()
    for name in ("hubble.json.gz", "calico.json"):
        assert (tmp_path / name).read_bytes() == k8sviz.demo_path("flows", name).read_bytes(), name
