"""Every command's ``--format csv`` writes its cells as ``k8sviz.notebook.to_csv`` and the
report's CSV files do (``viz.html.csv_text``): lists joined with ", ", mappings as key=value,
times in ISO 8601, a cell a spreadsheet would run prefixed with ``'``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import k8sviz
from k8sviz.cli import main
from k8sviz.notebook import to_csv

from .objects import netpol, pod

#: A label value and names a spreadsheet would run as formulas (the API server would refuse
#: them; a tampered dump carries them).
EVIL = "=HYPERLINK(\"http://x\")"


def _cluster(team: str = EVIL, extra: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "labels": {"team": team}}}
    objs = [
        namespace,
        pod("a", "=web", {"app": "web"}, ip="10.0.0.1"),
        pod("a", "db", {"app": "db"}, ip="10.0.0.2"),
        pod("@b", "client", {"app": "client"}, ip="10.0.0.3"),
        netpol("a", "=to-db", {"podSelector": {"matchLabels": {"app": "db"}}, "ingress": [
            {"from": [{"podSelector": {"matchLabels": {"app": "web"}}}],
             "ports": [{"port": 5432}, {"port": 6379}]},
            {"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "client"}}}]}]}),
        netpol("a", "web-in", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [
            {"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}),
        netpol("@b", "client-out", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
            {"to": [{"namespaceSelector": {}}], "ports": [{"port": 443}, {"port": 5432}]}]}),
        *extra,
    ]
    return {"apiVersion": "v1", "kind": "List", "items": objs}


@pytest.fixture
def cluster(tmp_path: Path) -> Path:
    path = tmp_path / "c.json"
    path.write_text(json.dumps(_cluster()))
    return path


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert main([*args, "--format", "csv"]) == 0
    return capsys.readouterr().out


def _same(out: str, df: pd.DataFrame) -> list[dict[str, str]]:
    """``out`` is ``to_csv(df)`` with rows ended by "\\n"; its rows as dicts."""
    text = to_csv(df)
    assert isinstance(text, str)
    assert out == text.replace("\r\n", "\n")
    assert list(csv.reader(io.StringIO(out))) == list(csv.reader(io.StringIO(text)))
    return list(csv.DictReader(io.StringIO(out)))


def test_gaps_csv_is_the_notebooks_with_evidence_as_key_value(cluster, capsys):
    snap = k8sviz.load(cluster)
    df = k8sviz.gaps(snap, k8sviz.reachability(snap))
    rows = _same(_cli(capsys, "gaps", str(cluster)), df)
    (row,) = [r for r in rows if r["finding"] == "metadata-egress" and r["name"] == "'=web"]  # defused
    assert row["controls"] == "NSA-NP-METADATA, NIST-800-190-4.4.2"  # a list joined with ", "
    # the evidence mapping as key=value, as the notebook and the report write it (was JSON)
    assert row["evidence"] == ("block=0.0.0.0/0, endpoints=[169.254.169.254, fd00:ec2::254], "
                               "ports=[SCTP/1-65535, TCP/1-65535, UDP/1-65535], workload=a/=web")
    _same(_cli(capsys, "gaps", str(cluster), "--summary"), k8sviz.controls_summary(df))


def test_policies_and_isolation_csv(cluster, capsys):
    snap = k8sviz.load(cluster)
    rows = _same(_cli(capsys, "policies", str(cluster)), k8sviz.policy_inventory(snap))
    names = {(r["namespace"], r["name"]) for r in rows}
    assert names == {("'@b", "client-out"), ("a", "'=to-db"), ("a", "web-in")}
    reach = k8sviz.reachability(snap)
    for level, key in (("pod", "pod"), ("workload", "workload")):
        rows = _same(_cli(capsys, "isolation", str(cluster), "--level", level), reach.isolation(level))
        (out,) = [r for r in rows if r[key] == "'@b/client" and r["direction"] == "egress"]
        assert out["deny_by"] == "'@b/client-out"  # a list of one whose text a spreadsheet would run
        (into_db,) = [r for r in rows if r[key] == "a/db" and r["direction"] == "ingress"]
        assert into_db["allow_by"] == "a/=to-db"


def test_connectivity_csv_is_the_notebooks_csv_of_to_frame(cluster, capsys):
    reach = k8sviz.reachability(k8sviz.load(cluster))
    for level in ("pod", "workload"):
        out = _cli(capsys, "connectivity", str(cluster), "--level", level)
        rows = _same(out, reach.to_frame(level)[["src", "dst", "protocol", "ports"]])
        assert {(r["src"], r["dst"], r["protocol"]): r["ports"] for r in rows if r["dst"] == "a/db"} == {
            ("'@b/client", "a/db", "TCP"): "443, 5432",  # was "443 5432"
            ("a/=web", "a/db", "TCP"): "5432, 6379",
        }


def test_diff_csv_of_connections_policies_and_labels(cluster, tmp_path, capsys):
    after = tmp_path / "after.json"
    extra = (netpol("@b", "=deny", {"podSelector": {}, "policyTypes": ["Ingress"]}),)
    after.write_text(json.dumps(_cluster(team="@new", extra=extra)))
    r0, r1 = (k8sviz.reachability(k8sviz.load(p)) for p in (cluster, after))
    rows = _same(_cli(capsys, "diff", str(cluster), str(after)),
                 k8sviz.reachability_diff(r0, r1, level="workload"))
    assert {r["dst"] for r in rows} == {"'@b/client"} and {r["change"] for r in rows} == {"removed"}
    rows = _same(_cli(capsys, "diff", str(cluster), str(after), "--policies"),
                 k8sviz.policy_diff(r0.snapshot, r1.snapshot))
    assert [(r["namespace"], r["name"], r["change"]) for r in rows] == [("'@b", "'=deny", "added")]
    (row,) = _same(_cli(capsys, "diff", str(cluster), str(after), "--labels"),
                   k8sviz.label_diff(r0.snapshot, r1.snapshot))
    # mappings as key=value (a value starting with "=" inside one runs nothing: the cell starts "team")
    assert (row["object"], row["set"], row["previous"]) == ("Namespace/a", "team=@new", f"team={EVIL}")


def test_segmentation_blast_and_paths_csv(cluster, tmp_path, capsys):
    zones = tmp_path / "z.yaml"
    zones.write_text("zones:\n  za: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: a}}}\n"
                     "  zb: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: '@b'}}}\n")
    snap = k8sviz.load(cluster)
    reach = k8sviz.reachability(snap)
    seg = k8sviz.segmentation(snap, reach, k8sviz.load_zones(zones))
    rows = _same(_cli(capsys, "segmentation", str(cluster), "--zones", str(zones)), seg.violations)
    into_client = [r for r in rows if r["dst"] == "'@b/client" and r["src_zone"] == "external"]
    assert into_client and all(r["external_blocks"] == "0.0.0.0/0, ::/0" for r in into_client)
    rows = _same(_cli(capsys, "blast", str(cluster), "--from", "@b/client"),
                 k8sviz.paths_as_text(k8sviz.blast_radius(reach, "@b/client")))
    assert [(r["path"], r["ports"]) for r in rows] == [("'@b/client -> a/db", "TCP/443, TCP/5432")]
    rows = _same(_cli(capsys, "paths", str(cluster), "--to", "a", "--any-entry"),
                 k8sviz.paths_as_text(k8sviz.internet_paths(reach, "a", exposed_only=False)))
    assert {r["path"] for r in rows} == {"internet -> a/=web", "internet -> @b/client -> a/db"}


def test_flows_csv_is_the_notebooks_csv_of_flow_edges(cluster, tmp_path, capsys):
    from k8sviz.commands.flows import EDGE_COLUMNS

    log = tmp_path / "f.csv"
    log.write_text("time,src_ip,dst_ip,dst_port,protocol,verdict\n"
                   "2024-03-15T10:00:00Z,10.0.0.3,10.0.0.2,5432,TCP,allowed\n"
                   "2024-03-15T10:00:05.5Z,10.0.0.3,10.0.0.2,443,TCP,denied\n")
    edges = k8sviz.flow_edges(k8sviz.load_flows(log, snapshot=k8sviz.load(cluster)), level="workload")
    (row,) = _same(_cli(capsys, "flows", str(log), "--snapshot", str(cluster)),
                   edges.loc[:, list(EDGE_COLUMNS)])
    assert (row["src"], row["dst"], row["ports"]) == ("'@b/client", "a/db", "443, 5432")  # was "443 5432"
    assert row["first_seen"] == "2024-03-15T10:00:00+00:00"  # ISO 8601, as the notebook writes it
    assert row["last_seen"] == "2024-03-15T10:00:05.500000+00:00"
