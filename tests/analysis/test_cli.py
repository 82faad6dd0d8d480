import json

import pytest

from k8sviz.cli import main


def test_gaps_cli_formats(capsys):
    assert main(["gaps", "--demo", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"finding", "severity", "namespace", "name", "detail", "controls", "evidence"} <= set(data[0])
    assert any(r["finding"] == "zone-violation" for r in data)  # --demo brings its zones
    assert main(["gaps", "--demo", "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("finding,severity,namespace,name,detail,controls,evidence")
    assert main(["gaps", "--demo", "--format", "md", "--summary"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| control |") and "| CIS-5.3.2 |" in out and "nan" not in out
    assert main(["gaps", "--demo"]) == 0
    assert "policy-selects-nothing" in capsys.readouterr().out


def test_segmentation_cli(capsys, tmp_path):
    assert main(["segmentation", "--demo"]) == 0
    assert "judged on 2024-03-10" in capsys.readouterr().out
    bad = tmp_path / "z.yaml"
    bad.write_text("zones:\n  a: {podSelector: {}}\nallow:\n  - {from: a, to: b, justification: x}\n")
    assert main(["segmentation", "--demo", "--zones", str(bad)]) == 2
    assert "unknown zone 'b'" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["gaps", "segmentation"])
@pytest.mark.parametrize(("today", "reason"), [
    ("2024-13-01", " (month must be in 1..12)"), ("tomorrow", ""), ("2024-02-30", " (day is out of range for month)"),
])
def test_a_bad_today_is_one_line_and_exit_2(capsys, command, today, reason):
    assert main([command, "--demo", "--today", today]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"k8sviz: error: --today {today!r} is not a date{reason}; write YYYY-MM-DD\n"
    assert captured.out == ""
