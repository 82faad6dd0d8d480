from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import k8sviz

from ..viz.conftest import HOSTILE, HOSTILE2, flows, gaps, graph, make_graph, reach_frame  # noqa: F401

HOSTILE_DUMP = {
    "apiVersion": "v1",
    "kind": "List",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "evil", "labels": {"team": HOSTILE, "x": HOSTILE2}},
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "web-0",
                "namespace": "evil",
                "labels": {"app": HOSTILE2, "t": "{{ 7*7 }}"},
                "creationTimestamp": "2024-01-01T00:00:00Z",
            },
            "spec": {
                "nodeName": "n1",
                "containers": [{"name": "c", "image": "nginx:1.25", "ports": [{"containerPort": 80}]}],
            },
            "status": {"phase": "Running", "podIP": "10.0.0.5"},
        },
    ],
}


class FakeSeg:
    def __init__(self) -> None:
        self.matrix = pd.DataFrame(
            [["allowed", "partial"], ["denied", HOSTILE]], index=["web", "cde"], columns=["web", "cde"]
        )
        self.violations = pd.DataFrame(
            [
                {
                    "src_zone": "web",
                    "dst_zone": "cde",
                    "src": "shop/cart",
                    "dst": "pci/payment",
                    "detail": HOSTILE2,
                }
            ]
        )


class FakeReach:
    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame

    def to_frame(self, level: str = "pod") -> pd.DataFrame:
        return self._frame


@pytest.fixture
def hostile_dump(tmp_path: Path) -> Path:
    p = tmp_path / "cluster" / "dump.json"
    p.parent.mkdir()
    p.write_text(json.dumps(HOSTILE_DUMP))
    return p.parent


@pytest.fixture
def fake_analysis(monkeypatch, reach_frame, gaps, flows):  # noqa: F811
    """Stand-ins for the analysis API, built from hand-made inputs with hostile strings."""
    calls: dict[str, int] = {}

    def track(name, value):
        def fn(*a, **k):
            calls[name] = calls.get(name, 0) + 1
            return value

        monkeypatch.setattr(k8sviz, name, fn, raising=False)

    controls = pd.DataFrame(
        [
            {"control": "PCI-1.2.1", "status": "fail", "findings": 1, "title": HOSTILE},
            {"control": "PCI-1.3.1", "status": "pass", "findings": 0, "title": "inbound to CDE restricted"},
            {"control": "PCI-1.2.7", "status": "manual", "findings": 0, "title": "review every 6 months"},
        ]
    )
    track("reachability", FakeReach(reach_frame))
    track("graph", make_graph())
    track("load_zones", {"zones": ["web", "cde"]})
    track("segmentation", FakeSeg())
    track("gaps", gaps)
    track("controls_summary", controls)
    track("load_flows", flows)
    track(
        "flow_edges",
        flows.groupby(["src_namespace", "dst_namespace", "verdict"]).size().rename("flows").reset_index(),
    )
    track("flow_discrepancies", pd.DataFrame([{"kind": "observed-but-denied", "src": HOSTILE, "dst": "x"}]))
    track("clock_skew", pd.DataFrame([{"node": "n1", "skew_seconds": 1.5}]))
    return calls


@pytest.fixture
def hostile_report(tmp_path, hostile_dump, fake_analysis) -> Path:
    flows_dir = tmp_path / "flows"
    flows_dir.mkdir()
    (flows_dir / "hubble.jsonl").write_text("{}\n")
    zones = tmp_path / "zones.yaml"
    zones.write_text("zones: {}\n")
    return k8sviz.report(
        hostile_dump,
        flows=[flows_dir],
        zones=zones,
        output=tmp_path / "report.html",
        generated_at="2024-01-01T00:00:00Z",
    )
