"""Every command's ``--format json`` writes ``/`` plain, as kubectl does (pandas' encoder wrote
``"a\\/db"``: valid, but a grep for ``a/db`` missed it), and reads back as pandas wrote it."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import k8sviz
from k8sviz.cli import main
from k8sviz.commands.blast import flat_paths
from k8sviz.commands.gaps import emit

from .objects import netpol
from .test_cli_csv import _cluster


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    before, after, zones = tmp_path / "c.json", tmp_path / "after.json", tmp_path / "z.yaml"
    before.write_text(json.dumps(_cluster()))
    extra = (netpol("@b", "=deny", {"podSelector": {}, "policyTypes": ["Ingress"]}),)
    after.write_text(json.dumps(_cluster(team="@new", extra=extra)))
    zones.write_text("zones:\n  za: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: a}}}\n"
                     "  zb: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: '@b'}}}\n")
    return {"before": before, "after": after, "zones": zones}


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[str, Any]:
    capsys.readouterr()
    assert main([*args, "--format", "json"]) in (0, 1)
    out = capsys.readouterr().out
    return out, json.loads(out)


def _pandas(df: pd.DataFrame) -> Any:
    """What the command wrote before: pandas' JSON of the same table, read back."""
    return json.loads(df.to_json(orient="records", indent=1, default_handler=str))


def _strings(v: Any) -> list[str]:
    if isinstance(v, str):
        return [v]
    if isinstance(v, dict):
        return [s for k, x in v.items() for s in (k, *_strings(x))]
    if isinstance(v, list):
        return [s for x in v for s in _strings(x)]
    return []


def test_no_command_escapes_a_slash_and_every_value_reads_back_the_same(files, capsys):
    b, a, z = (str(files[k]) for k in ("before", "after", "zones"))
    snap, later = k8sviz.load(b), k8sviz.load(a)
    reach, reach_after = k8sviz.reachability(snap), k8sviz.reachability(later)
    findings = k8sviz.gaps(snap, reach)
    expected: dict[tuple[str, ...], pd.DataFrame | None] = {
        ("gaps", b): findings,
        ("gaps", b, "--summary"): k8sviz.controls_summary(findings),
        ("policies", b): k8sviz.policy_inventory(snap),
        ("isolation", b, "--level", "pod"): reach.isolation("pod"),
        ("diff", b, a): k8sviz.reachability_diff(reach, reach_after, level="workload"),
        ("diff", b, a, "--policies"): k8sviz.policy_diff(snap, later),
        ("diff", b, a, "--labels"): k8sviz.label_diff(snap, later),
        ("diff", b, a, "--findings"): k8sviz.findings_diff(findings, k8sviz.gaps(later, reach_after)),
        ("segmentation", b, "--zones", z): k8sviz.segmentation(snap, reach, k8sviz.load_zones(z)).violations,
        ("blast", b, "--from", "@b/client"): flat_paths(k8sviz.blast_radius(reach, "@b/client"), "json"),
        ("paths", b, "--to", "a", "--any-entry"): flat_paths(
            k8sviz.internet_paths(reach, "a", exposed_only=False), "json"),
        ("connectivity", b, "--level", "workload"): None,  # json.dumps: never escaped a slash
    }
    for args, df in expected.items():
        out, got = _json(capsys, *args)
        assert "\\/" not in out, args
        # names with slashes are there, written plain (a/db, @b/client, Namespace/a, NetworkPolicy/...)
        assert any("/" in s for s in _strings(got)), args
        if df is not None:
            assert got == _pandas(df), args
            # byte for byte pandas' text but for the slashes: key order, number forms, nulls
            was = df.to_json(orient="records", indent=1, default_handler=str)
            assert out.replace("/", "\\/") == was + "\n"


def test_a_backslash_before_a_slash_is_kept():
    names = ["kube-system/coredns", "a\\/b", "c\\", "\\\\/", "/"]
    df = pd.DataFrame({"name": names, "n": [1.5, None, 3, 4, 5]})
    buf = io.StringIO()
    emit(df, "json", buf)
    assert "\\/" not in buf.getvalue().replace("\\\\", "")
    assert json.loads(buf.getvalue()) == _pandas(df)
    assert [r["name"] for r in json.loads(buf.getvalue())] == list(df["name"])


def test_no_rows_is_an_empty_json_list_as_every_command_writes_it(capsys):
    # pandas wrote "[\n\n]"; connectivity, flows and explain (json.dumps) write "[]".
    demo = str(Path(__file__).resolve().parents[1] / "data" / "demo" / "cluster")
    assert main(["diff", demo, demo, "--format", "json"]) == 0
    assert capsys.readouterr().out == "[]\n"
    out = io.StringIO()
    emit(pd.DataFrame({"a": ["x/y"]}).iloc[:0], "json", out)
    assert out.getvalue() == "[]\n"
