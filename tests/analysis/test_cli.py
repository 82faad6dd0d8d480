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


def test_gaps_demo_counts_the_findings_of_report_demo(capsys, tmp_path):
    """``report --demo`` reads the demo's flow logs and ``gaps --demo`` did not: the command gave
    54 findings and the report 57 (the three flow discrepancies). Both read them now, and
    ``--flows`` still replaces them."""
    import re
    import warnings

    import k8sviz

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)  # the demo's lost Hubble events
        assert main(["gaps", "--demo", "--format", "json"]) == 0
        found = json.loads(capsys.readouterr().out)
        assert main(["report", "--demo", "-o", str(tmp_path / "r.html")]) == 0
        capsys.readouterr()
        empty = tmp_path / "none.csv"
        empty.write_text("time,src_ip,dst_ip,dst_port,protocol,verdict\n")
        assert main(["gaps", "--demo", "--format", "json", "--flows", str(empty)]) == 0
        given = json.loads(capsys.readouterr().out)
    flow_kinds = {"observed-but-policy-denies", "dropped-but-policy-allows", "allowed-but-unused"}
    assert flow_kinds <= {r["finding"] for r in found}
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    (shown,) = re.findall(r'<div class="num">(\d+)</div><div>findings</div>', page)
    assert int(shown) == len(found)
    # a flow log with no record given: the demo's logs are not read, no flow finding is checked
    assert not flow_kinds & {r["finding"] for r in given}
    assert len(given) == len(found) - len(flow_kinds)


def test_segmentation_cli(capsys, tmp_path):
    assert main(["segmentation", "--demo"]) == 0
    assert "judged on 2024-03-10" in capsys.readouterr().out
    bad = tmp_path / "z.yaml"
    bad.write_text("zones:\n  a: {podSelector: {}}\nallow:\n  - {from: a, to: b, justification: x}\n")
    assert main(["segmentation", "--demo", "--zones", str(bad)]) == 2
    assert "unknown zone 'b'" in capsys.readouterr().err


def test_segmentation_txt_ends_with_the_count_the_notebook_view_gives(capsys):
    """gaps, blast and paths end with a count on stderr; segmentation printed a table of 70
    rows and no total to compare with the notebook's (or the report's) view of the result."""
    import k8sviz

    assert main(["segmentation", "--demo"]) == 0
    captured = capsys.readouterr()
    snap = k8sviz.demo()
    zones = k8sviz.load_zones(k8sviz.demo_path("zones.yaml"))
    seg = k8sviz.segmentation(snap, k8sviz.reachability(snap), zones)
    said = captured.err.splitlines()[-1]
    assert said == "70 violating connections in 12 zone pairs (allow rules' expiry judged on 2024-03-10)"
    assert said.split(" (")[0] in seg.to_html()  # "Segmentation against ...: 70 violating connections in ..."
    assert len(captured.out.split("allowed_ports", 1)[1].splitlines()) - 1 == len(seg.violations) == 70
    for fmt in ("csv", "json", "md"):  # the table alone, as before
        assert main(["segmentation", "--demo", "--format", fmt]) == 0
        assert "violating connections" not in capsys.readouterr().err


@pytest.mark.parametrize("command", ["gaps", "segmentation"])
@pytest.mark.parametrize(("today", "reason"), [
    ("2024-13-01", " (month must be in 1..12)"), ("tomorrow", ""), ("2024-02-30", " (day is out of range for month)"),
])
def test_a_bad_today_is_one_line_and_exit_2(capsys, command, today, reason):
    assert main([command, "--demo", "--today", today]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"k8sviz: error: --today {today!r} is not a date{reason}; write YYYY-MM-DD\n"
    assert captured.out == ""
