from __future__ import annotations

import json

from k8sviz.cli import main

from .conftest import DATA


def test_flows_txt(capsys):
    assert main(["flows", str(DATA / "hubble_wrapped.jsonl"), "--snapshot", "data/demo/cluster"]) == 0
    out = capsys.readouterr().out
    assert "hubble  1 file(s), 5 records" in out and "1 malformed, 1 truncated" in out
    assert "malformed: " in out and ":4:" in out
    assert "shop/loadgenerator => shop/cartservice : TCP 7070  2 flows (allowed 1, DENIED 1)" in out


def test_flows_json_and_csv(capsys, tmp_path):
    assert main(["flows", str(DATA / "calico_array.json"), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"]["sources"]["calico"]["records"] == 6
    assert {"src", "dst", "ports", "flows", "first_seen"} <= set(doc["edges"][0])
    out = tmp_path / "e.csv"
    assert (
        main(["flows", str(DATA / "flows.csv"), "--format", "csv", "-o", str(out), "--level", "namespace"])
        == 0
    )
    assert out.read_text().startswith("src,dst,protocol,ports,flows")


def test_flows_missing_file(capsys):
    assert main(["flows", "no/such/file.json"]) == 2
    assert "no such file" in capsys.readouterr().err
