"""Tables the report cuts say where the rest is: CSV in the page, or the command that lists it."""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pandas as pd
import pytest

import k8sviz
from k8sviz.cli import main
from k8sviz.report import _render
from k8sviz.viz.html import embedded_csv

from .conftest import unwrapped


def _embedded(page: str, element_id: str) -> str:
    return embedded_csv(page, element_id)  # unpacked if the page carries it compressed


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _said(page: str, pid: str) -> str:
    """The text of paragraph ``pid`` as the reader sees it (the CSV's element left out)."""
    m = re.search(rf'<p id="{pid}">(.*?)</p>', page, re.S)
    assert m is not None
    text = re.sub(r"<[^>]+>", "", re.sub(r"<script.*?</script>", "", m.group(1), flags=re.S))
    return " ".join(html.unescape(text).split())


def _cells(page: str, table_id: str, col: int) -> list[str]:
    table = unwrapped(page).split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", r, re.S) for r in rows]
    return [html.unescape(c[col]) for c in cells if len(c) > col]


@pytest.fixture(scope="module")
def demo_findings() -> pd.DataFrame:
    """The demo's findings with its zones, in the report's order (by severity, then kind)."""
    g = k8sviz.gaps(k8sviz.demo(), zones=k8sviz.load_zones(k8sviz.demo_path("zones.yaml")))
    rank = g["severity"].map({"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4})
    return g.assign(_r=rank).sort_values(["_r", "finding", "namespace", "name"], kind="stable").drop(columns="_r")


def test_findings_past_the_table_keep_each_kind_and_travel_as_csv(monkeypatch, demo_findings,
                                                                  demo_zones_page):
    g = demo_findings
    page = demo_zones_page
    assert "findings-csv" not in page and "findings-download" not in page

    monkeypatch.setattr(_render, "FINDING_ROWS", 20)
    page = k8sviz.report(k8sviz.demo(), zones=k8sviz.demo_path("zones.yaml"), generated_at="x")
    shown = _cells(page, "findings-table", 0)
    kinds = list(dict.fromkeys(g["finding"]))
    late = [k for k in kinds if k not in set(g["finding"].iloc[:20])]
    assert late  # the least severe kinds start past row 20
    assert shown == list(g["finding"].iloc[: 20 - len(late)]) + late + [f"... {len(g) - 20} more rows not shown"]
    # every link of the executive summary to a finding lands on a row
    links = set(re.findall(r'href="#(finding-[^"]+)"', page))
    assert links and links <= set(re.findall(r'id="(finding-[^"]+)"', page))
    assert _said(page, "findings-download") == (
        f"The table shows 20 of the {len(g)} findings: the first ones, and the first of each kind past them, "
        f"which the summary links to. The page carries all {len(g)} as a CSV file, in this order, saved from "
        "the page itself, offline.")
    got = _rows(_embedded(page, "findings-csv"))
    assert list(got[0]) == list(g.columns)
    assert [(r["finding"], r["namespace"], r["name"], r["detail"]) for r in got] == list(
        g[["finding", "namespace", "name", "detail"]].astype(str).itertuples(index=False, name=None))
    assert [r["controls"] for r in got] == [", ".join(c) for c in g["controls"]]
    assert page.count("a.csv-download") == 1


def test_findings_past_the_cap_give_the_command(monkeypatch, demo_findings, capsys):
    g = demo_findings
    monkeypatch.setattr(_render, "FINDING_ROWS", 20)
    monkeypatch.setattr(_render, "FINDING_CSV_CHARS", 5_000)
    zones = k8sviz.demo_path("zones.yaml")
    page = k8sviz.report(k8sviz.demo(), zones=zones, generated_at="x")
    got = _rows(_embedded(page, "findings-csv"))
    assert 0 < len(got) < len(g)
    today = re.search(r'id="judged-on">([\d-]+)<', page).group(1)
    command = f"k8sviz gaps CLUSTER... --zones FILE --today {today} --format csv"
    assert _said(page, "findings-download").endswith(
        f"Its text is capped at 5,000 characters: it holds the first {len(got)} findings. All {len(g)}: "
        f"{command}, with this report's inputs (listed under Inputs and coverage).")
    args = command.split()[1:]
    args[args.index("CLUSTER...")] = str(k8sviz.demo_path("cluster"))
    args[args.index("FILE")] = str(zones)
    assert main(args) == 0
    listed = _rows(capsys.readouterr().out)
    key = ["finding", "namespace", "name", "detail"]
    assert sorted(tuple(r[k] for k in key) for r in listed) == sorted(
        g[key].astype(str).itertuples(index=False, name=None))


def test_the_findings_command_names_the_inputs_the_report_had(monkeypatch):
    monkeypatch.setattr(_render, "FINDING_ROWS", 3)
    monkeypatch.setattr(_render, "FINDING_CSV_CHARS", 1_000)
    page = k8sviz.report(k8sviz.demo(), generated_at="x", today="2024-05-01", ipblocks_match_pods=True)
    assert "<code>k8sviz gaps CLUSTER... --today 2024-05-01 --ipblocks-match-pods --format csv</code>" in page


def test_zone_members_past_the_cell_and_connected_systems_past_the_table_travel_as_csv(
        monkeypatch, demo_zones_page):
    """Both come from the report alone (no command lists them) and are bounded by the workloads:
    carried whole once cut."""
    from k8sviz.report import _build

    snap = k8sviz.demo()
    zones = k8sviz.demo_path("zones.yaml")
    page = demo_zones_page
    assert "zone-members-csv" not in page and "connected-csv" not in page
    data = _build.collect(snap, zones=zones, generated_at="x")
    scope = _render._scope(data)
    assert len(scope["zones"]) > 1 and scope["n_connected"] == 3

    monkeypatch.setattr(_render, "ZONE_MEMBERS", 2)
    monkeypatch.setattr(_render, "CONNECTED_ROWS", 2)
    page = k8sviz.report(snap, zones=zones, generated_at="x")
    want = [(z["zone"], "yes" if z["sensitive"] else "", w)
            for z in scope["zones"] for w in sorted(_members(data)[z["zone"]])]
    got = _rows(_embedded(page, "zone-members-csv"))
    assert [(r["zone"], r["sensitive"], r["workload"]) for r in got] == want
    assert len(want) == sum(z["workloads"] for z in scope["zones"])
    assert _said(page, "zone-members-download") == (
        f"A zone lists its first 2 workloads; the page carries every workload with its zone, all {len(want)} as a "
        "CSV file, saved from the page itself, offline.")
    n = scope["n_connected"]
    connected = _rows(_embedded(page, "connected-csv"))
    assert len(connected) == n and list(connected[0]) == ["system", "zone", "direction"]
    assert _cells(page, "connected-table", 0) == [r["system"] for r in connected[:2]] + ["... 1 more row not shown"]
    assert _said(page, "connected-download") == (
        f"The table shows the first 2 of {n} connected systems; the page carries all {n} as a CSV file, "
        "saved from the page itself, offline.")
    assert page.count("a.csv-download") == 1


def _members(data) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for w, z in _render._workload_zones(data).items():
        out.setdefault(z, []).append(w)
    return out


def _notes(page: str) -> list[str]:
    """The "not inlined" notes after cut tables, as the reader sees them."""
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", "", m)).split())
            for m in re.findall(r'<p class="muted"[^>]*>(.*?)</p>', page, re.S)]


def test_cut_flow_tables_and_paths_say_where_the_rest_is(monkeypatch, capsys):
    for name in ("PATH_ROWS", "FLOW_SOURCE_ROWS", "DISCREPANCY_ROWS", "SKEW_ROWS"):
        monkeypatch.setattr(_render, name, 1)
    zones = k8sviz.demo_path("zones.yaml")
    page = k8sviz.report(k8sviz.demo(), zones=zones, flows=[k8sviz.demo_path("flows")], generated_at="x")
    notes = _notes(page)
    paths = _cells(page, "internet-paths-table", 0)
    assert paths[-1] == "... 1 more row not shown"
    command = "k8sviz paths CLUSTER... --to TARGET --zones FILE --format csv"
    assert (f"1 more row not inlined; every path into a zone: {command}, TARGET being pci, with this "
            "report's inputs (listed under Inputs and coverage).") in notes
    assert main(["paths", str(k8sviz.demo_path("cluster")), "--to", "pci", "--zones", str(zones),
                 "--format", "csv"]) == 0
    assert [r["target"] for r in _rows(capsys.readouterr().out)][:1] == paths[:1]
    flows = "flows being k8sviz.load_flows(FLOWS..., snapshot=k8sviz.load(CLUSTER...)) on this report's inputs."
    assert f'1 more file not inlined; every file: k8sviz.flow_report(flows)["sources"], {flows}' in notes
    assert ("2 more rows not inlined; the full table: k8sviz.flow_discrepancies(flows, k8sviz.reachability(snapshot)), "
            "flows being k8sviz.load_flows(FLOWS..., snapshot=snapshot) on this report's inputs.") in notes
    assert "3 more rows not inlined; the full table: k8sviz.clock_skew(flows)." in notes


def test_flow_problems_count_every_problem_and_say_where_they_are(monkeypatch, tmp_path):
    """The loader keeps the first problems as samples and counts them all: the page counts them
    all, and past the table says where the samples and the counts are."""
    from k8sviz.flows import _table

    bad = "\n".join(f"2024-01-01T00:00:0{i}Z,10.0.0.1,10.0.0.2,x{i},TCP,allowed" for i in range(6))
    (tmp_path / "f.csv").write_text("time,src_ip,dst_ip,dst_port,protocol,verdict\n" + bad + "\n")
    monkeypatch.setattr(_table, "PROBLEM_SAMPLES", 4)
    monkeypatch.setattr(_render, "FLOW_PROBLEM_ROWS", 2)
    with pytest.warns(k8sviz.FlowWarning):
        page = k8sviz.report(k8sviz.demo(), flows=[tmp_path], generated_at="x")
    assert _cells(page, "flow-problems-table", 0)[-1] == "... 2 more rows not shown"
    assert "6 flow log lines could not be read" in page
    m = re.search(r'<p class="muted" id="flow-problems-more">(.*?)</p>', page, re.S)
    said = " ".join(html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).split())
    assert said.startswith("The table shows the first 2 of these problems; the loader keeps the first 4 with "
                           "their file and line, and counts every one per kind and per file")
    assert "k8sviz.flow_report(flows)" in said


def test_flow_problems_that_lose_no_record_are_no_lines_lost(tmp_path):
    """An unused CSV column (ignored-columns) and an end time that cannot be read (bad-end-time,
    the record kept) are listed among the problems, but no flow log line was lost: the page
    said "1 flow log line could not be read" for a file that read whole."""
    header = "time,end_time,src_ip,dst_ip,dst_port,protocol,verdict,note\n"
    good = "2024-01-01T00:00:00Z,never,10.0.0.1,10.0.0.2,80,TCP,allowed,x\n"
    (tmp_path / "f.csv").write_text(header + good)
    with pytest.warns(k8sviz.FlowWarning):
        page = k8sviz.report(k8sviz.demo(), flows=[tmp_path], generated_at="x")
    assert sorted(_cells(page, "flow-problems-table", 0)) == ["bad-end-time", "ignored-columns"]
    assert "could not be read" not in page
    (tmp_path / "f.csv").write_text(header + good + "2024-01-01T00:00:01Z,,10.0.0.1\n" + good)
    with pytest.warns(k8sviz.FlowWarning):
        page = k8sviz.report(k8sviz.demo(), flows=[tmp_path], generated_at="x")
    assert "1 flow log line could not be read: the flows it held are unknown." in page


def test_flow_files_not_read_are_said_by_file_not_as_lines(tmp_path):
    """An empty file, a directory without flow files, a file in no flow format and a CSV whose
    header cannot be read were each counted as "1 flow log line could not be read"."""
    header = "time,src_ip,dst_ip,dst_port,protocol,verdict\n"
    good = "2024-01-01T00:00:00Z,10.0.0.1,10.0.0.2,80,TCP,allowed\n"
    (tmp_path / "good.csv").write_text(header + good)
    (tmp_path / "empty.json").write_text("")
    (tmp_path / "other.json").write_text('{"hello": "world"}\n')
    (tmp_path / "bad.csv").write_text("time,src_ip,dst_ip\n" + good)
    (tmp_path / "nothing").mkdir()
    paths = [tmp_path / n for n in ("good.csv", "empty.json", "other.json", "bad.csv", "nothing")]
    with pytest.warns(k8sviz.FlowWarning):
        page = k8sviz.report(k8sviz.demo(), flows=paths, generated_at="x")
    kinds = sorted(_cells(page, "flow-problems-table", 0))
    assert kinds == ["bad-header", "empty", "no-input", "unknown-format"], kinds
    assert "flow log line" not in page
    assert "1 flow log file could not be read (its CSV header): the flows it held are unknown." in page
    assert "1 flow log file could not be read (not a flow log format): the flows it held are unknown." in page
    assert "1 flow log file held no flow records." in page
    assert "1 flow log directory held no flow log file." in page


def test_warnings_and_changes_past_their_rows_say_where_the_rest_is(monkeypatch, tmp_path):
    """The hostile dump (loader warnings) against a copy with two namespaces relabelled and its
    policy removed: every change table cut after one row."""
    import copy

    from .conftest import HOSTILE_DUMP

    after = copy.deepcopy(HOSTILE_DUMP)
    for o in after["items"]:
        if o["kind"] == "Namespace":
            o["metadata"]["labels"]["owner"] = "x"
    after["items"] = [o for o in after["items"] if o["kind"] != "NetworkPolicy"]
    (tmp_path / "before.json").write_text(json.dumps(HOSTILE_DUMP))
    (tmp_path / "after.json").write_text(json.dumps(after))
    monkeypatch.setattr(_render, "WARNINGS_SHOWN", 1)
    monkeypatch.setattr(_render, "APPENDIX_ROWS", 1)
    page = k8sviz.report(tmp_path / "after.json", baseline=tmp_path / "before.json", generated_at="x")
    notes = _notes(page)
    assert "1 more row not inlined; the full table: k8sviz diff BASELINE SNAPSHOT --labels." in notes
    assert any(n.endswith("not inlined; the full table: k8sviz diff BASELINE SNAPSHOT.") for n in notes)
    n_warnings = len(k8sviz.load(tmp_path / "after.json").warnings)
    assert n_warnings > 1
    assert (f"... {n_warnings - 1} more; every one: k8sviz info CLUSTER... --warnings all, with this "
            "report's cluster inputs.") in " ".join(html.unescape(re.sub(r"<[^>]+>", "", page)).split())


def test_policy_changes_past_their_rows_say_where_the_rest_is(monkeypatch):
    monkeypatch.setattr(_render, "APPENDIX_ROWS", 1)
    page = k8sviz.report(k8sviz.demo_path("remediated.k8sviz.json"), baseline=k8sviz.demo_path("cluster"),
                         generated_at="x")
    n = len(k8sviz.policy_diff(k8sviz.demo(), k8sviz.load(k8sviz.demo_path("remediated.k8sviz.json"))))
    assert n > 1
    assert (f"{n - 1} more rows not inlined; the full table: k8sviz diff BASELINE SNAPSHOT --policies."
            in _notes(page))
