from __future__ import annotations

import copy
import functools
import json
import os
import re
import warnings
from pathlib import Path
from typing import Any

import pytest

import k8sviz

from ..viz.conftest import HOSTILE, HOSTILE2

#: The browser the browser tests drive: Debian's by default; K8SVIZ_CHROMIUM names another
#: (a Chromium or Chrome binary elsewhere, on another system).
CHROMIUM = os.environ.get("K8SVIZ_CHROMIUM") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@functools.cache
def demo_report_html() -> str:
    """The README's first command's report (the demo cluster, its flows and zones), built once
    for the report tests that read it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        return k8sviz.report(k8sviz.demo(), flows=k8sviz.demo_path("flows"),
                             zones=k8sviz.demo_path("zones.yaml"), generated_at="2024-03-10T09:00:00Z")


@pytest.fixture(scope="session")
def demo_zones_page() -> str:
    """The demo cluster's report with its zones (no flows), built once for the tests that read
    it as it is.  Session-scoped, so built before any test's monkeypatch of the report's limits."""
    return k8sviz.report(k8sviz.demo(), zones=k8sviz.demo_path("zones.yaml"), generated_at="x")


@pytest.fixture(scope="session")
def demo_plain_page() -> str:
    """The demo cluster's report alone (no zones, no flows), built once, as demo_zones_page."""
    return k8sviz.report(k8sviz.demo(), generated_at="x")


def unwrapped(page: str) -> str:
    """A page's HTML without the ``<wbr>`` its tables mark the places a line may wrap with, nor
    the elements that keep a port range or a piece of a date on one line (test_browser_screen.py and
    tests/viz/test_table_wrap.py test those): the cells as their text reads."""
    return _ENTRY.sub(r"\1", _WHOLE.sub(r"\1", page.replace("<wbr>", "")))


#: A port range or a piece of a date kept on one line: its text holds no element.
_WHOLE = re.compile(r'<span class="nowrap">([^<]*)</span>')
#: An entry of a list under its row, kept on one line while it fits (after _WHOLE: no element).
_ENTRY = re.compile(r'<span class="entry">([^<]*)</span>')


def _pod(ns: str, name: str, labels: dict[str, str], ip: str, port: int) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels,
                     "creationTimestamp": "2024-01-01T00:00:00Z"},
        "spec": {
            "nodeName": "n1",
            "containers": [{"name": "c", "image": "nginx:1.25",
                            "ports": [{"name": "http", "containerPort": port}]}],
        },
        "status": {"phase": "Running", "podIP": ip},
    }


# A tampered dump: values the API server would reject (<, quotes, braces) in labels, a pod
# name and policy selectors.  Every analysis runs for real on it.
HOSTILE_DUMP = {
    "apiVersion": "v1",
    "kind": "List",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "evil", "labels": {"team": HOSTILE, "x": HOSTILE2, "zone": "cde"}},
        },
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"zone": "web"}}},
        _pod("evil", "web-0", {"app": HOSTILE2, "t": "{{ 7*7 }}"}, "10.0.0.5", 80),
        _pod("evil", HOSTILE2, {"app": "db"}, "10.0.0.7", 5432),
        _pod("shop", "cart-1", {"app": "cart"}, "10.0.0.6", 7070),
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "web-ingress", "namespace": "evil"},
            "spec": {
                "podSelector": {"matchLabels": {"app": HOSTILE2}},
                "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"zone": "web"}}}],
                             "ports": [{"port": "http"}]}],
            },
        },
    ],
}

HOSTILE_ZONES = f"""
requiredPolicyAnnotations: [owner]
zones:
  web: {{namespaceSelector: {{matchLabels: {{zone: web}}}}, description: {json.dumps(HOSTILE2)}}}
  cde: {{namespaceSelector: {{matchLabels: {{zone: cde}}}}, sensitive: true}}
allow:
  - {{from: web, to: cde, ports: ["TCP/80"], justification: {json.dumps(HOSTILE)}, owner: {json.dumps(HOSTILE2)}}}
"""

HOSTILE_FLOWS = (
    "time,src_ip,dst_ip,dst_port,protocol,verdict\n"
    "2024-01-01T00:00:00Z,10.0.0.6,10.0.0.5,80,TCP,allowed\n"
    "2024-01-01T00:01:00Z,10.0.0.6,10.0.0.7,5432,TCP,allowed\n"
    "2024-01-01T00:02:00Z,10.0.0.5,10.0.0.6,7070,TCP,denied\n"
    "2024-01-01T00:03:00Z,10.0.0.5,93.184.216.34,443,TCP,allowed\n"
)


@pytest.fixture
def hostile_dump(tmp_path: Path) -> Path:
    p = tmp_path / "cluster" / "dump.json"
    p.parent.mkdir()
    p.write_text(json.dumps(HOSTILE_DUMP))
    return p.parent


@pytest.fixture
def hostile_report(tmp_path, hostile_dump) -> Path:
    """The report of the tampered dump, with flows and zones, every analysis real."""
    flows_dir = tmp_path / "flows"
    flows_dir.mkdir()
    (flows_dir / "flows.csv").write_text(HOSTILE_FLOWS)
    zones = tmp_path / "zones.yaml"
    zones.write_text(HOSTILE_ZONES)
    return k8sviz.report(
        hostile_dump,
        flows=[flows_dir],
        zones=zones,
        output=tmp_path / "report.html",
        generated_at="2024-01-01T00:00:00Z",
    )


#: A namespace a spreadsheet would read as a formula (DDE) and a pod name that would close a
#: script element: tampered input, which the loader keeps as text.
FORMULA = "=cmd|' /C calc'!A0"
CLOSER = "</script><script>window.__pwned=3</script>"


@pytest.fixture
def hostile_cut(tmp_path, monkeypatch) -> tuple[Path, Any]:
    """The hostile dump with a namespace named as a spreadsheet formula and a pod whose name
    closes a script element, its violation table cut after 5 rows."""
    dump = copy.deepcopy(HOSTILE_DUMP)
    dump["items"].insert(0, {"apiVersion": "v1", "kind": "Namespace",
                             "metadata": {"name": FORMULA, "labels": {"zone": "web"}}})
    dump["items"].append(_pod(FORMULA, CLOSER, {"app": "x"}, "10.0.0.9", 80))
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "dump.json").write_text(json.dumps(dump))
    (tmp_path / "zones.yaml").write_text(HOSTILE_ZONES)
    from k8sviz.report import _render

    monkeypatch.setattr(_render, "VIOLATION_ROWS", 5)
    out = k8sviz.report(tmp_path / "c", zones=tmp_path / "zones.yaml", output=tmp_path / "r.html",
                        generated_at="x")
    v = k8sviz.segmentation(k8sviz.load(tmp_path / "c"), None, tmp_path / "zones.yaml").violations
    return out, v
