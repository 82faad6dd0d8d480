"""FlowWarnings name the user's line, whether load_flows is called directly or by report."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import k8sviz

LOST = [
    {"lost_events": {"source": "HUBBLE_RING_BUFFER", "num_events_lost": "3"}, "node_name": "n1",
     "time": "2024-01-01T00:00:10Z"},
    {"flow": {"time": "2024-01-01T00:01:00Z", "verdict": "FORWARDED",
              "IP": {"source": "10.0.0.6", "destination": "10.0.0.5"},
              "l4": {"TCP": {"source_port": 40000, "destination_port": 80, "flags": {"SYN": True}}},
              "node_name": "n1", "traffic_direction": "EGRESS"}},
]


def _flows(tmp_path: Path) -> Path:
    path = tmp_path / "hubble.json"
    path.write_text("".join(json.dumps(x) + "\n" for x in LOST))
    return path


def _lost_warnings(caught: list[warnings.WarningMessage]) -> list[warnings.WarningMessage]:
    return [w for w in caught if issubclass(w.category, k8sviz.FlowWarning) and "Hubble lost 3" in str(w.message)]


def test_load_flows_warning_points_at_the_caller(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        k8sviz.load_flows(_flows(tmp_path))
    lost = _lost_warnings(caught)
    assert len(lost) == 1 and lost[0].filename == __file__


def test_report_warning_points_at_the_caller_not_into_k8sviz(tmp_path):
    # report calls load_flows some frames deeper: a fixed stacklevel named report's own code
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        k8sviz.report(k8sviz.demo(), flows=[_flows(tmp_path)], generated_at="2024-01-01T00:00:00Z")
    lost = _lost_warnings(caught)
    assert lost and all(w.filename == __file__ for w in lost), [w.filename for w in lost]
