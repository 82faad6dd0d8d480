"""The segmentation violations past the report's table: carried as CSV in the page, up to a
cap past which the page says how many there are and which command lists them all."""

from __future__ import annotations

import csv
import html
import io
import re

import pandas as pd
import pytest

import k8sviz
from k8sviz.cli import main
from k8sviz.report import _render
from k8sviz.synth import generate_cluster, write_cluster
from k8sviz.viz.html import embedded_csv

from .conftest import CLOSER, FORMULA

# One zone per env label of the synthetic namespaces: 525 violations at 300 pods (seed 3).
SYNTH_ZONES = """
zones:
  dev: {namespaceSelector: {matchLabels: {env: dev}}, sensitive: true}
  prod: {namespaceSelector: {matchLabels: {env: prod}}}
  staging: {namespaceSelector: {matchLabels: {env: staging}}}
allow:
  - {from: dev, to: staging, ports: ["TCP/443"], justification: bench}
"""

@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    """A 300-pod synthetic cluster and its zones file, as files (the report lists them)."""
    root = tmp_path_factory.mktemp("synth")
    write_cluster(root / "cluster.json", generate_cluster(pods=300, policies=30, seed=3), fmt="json")
    (root / "zones.yaml").write_text(SYNTH_ZONES)
    return root / "cluster.json", root / "zones.yaml"


@pytest.fixture(scope="module")
def synth_violations(synth):
    cluster, zones = synth
    v = k8sviz.segmentation(k8sviz.load(cluster), None, zones).violations
    assert len(v) > _render.VIOLATION_ROWS  # the table is cut
    return v


def _embedded(page: str, element_id: str = "violations-csv") -> str:
    return embedded_csv(page, element_id)  # unpacked if the page carries it compressed


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _as_written(v: pd.DataFrame) -> list[dict[str, str]]:
    """The violation frame's rows as the CSV should write them: lists joined with ", "."""
    return [{c: ", ".join(x) if isinstance(x, list) else str(x) for c, x in r.items()}
            for r in v.to_dict("records")]


def _download_paragraph(page: str) -> str:
    m = re.search(r'<p id="violations-download">(.*?)</p>', page, re.S)
    assert m is not None
    # the link's element out, the rest as the reader sees it
    return html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<script.*?</script>", "", m.group(1), flags=re.S)))


def test_violations_past_the_table_travel_whole_as_csv(synth, synth_violations):
    cluster, zones = synth
    v = synth_violations
    page = k8sviz.report(cluster, zones=zones, generated_at="x")
    table = page.split('id="violations-table"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 1 + _render.VIOLATION_ROWS  # the header and the first rows
    assert f"... {len(v) - 500} more rows not shown" in table
    said = " ".join(_download_paragraph(page).split())
    assert said == (f"The table shows the first 500 of {len(v)} violating connections; the page carries all "
                    f"{len(v)} as a CSV file, every column whole (each row's outside address blocks too), "
                    "saved from the page itself, offline.")
    assert 'download="segmentation-violations.csv"' in page
    got = _rows(_embedded(page))
    # every row, every column (external_blocks too, which the table leaves out), lists joined
    assert list(got[0]) == list(v.columns)
    assert got == _as_written(v)
    assert any(r["external_blocks"].count(", ") > 3 for r in got)  # whole, not "... (+N more blocks)"
    assert page.count("a.csv-download") == 1  # the links' script, once


def test_the_cli_csv_is_the_report_csv(synth, synth_violations, capsys):
    """``k8sviz segmentation --format csv``, which the page names past its cap, writes the same
    columns and cells (lines end in LF on standard output)."""
    cluster, zones = synth
    page = k8sviz.report(cluster, zones=zones, generated_at="x")
    today = re.search(r'id="judged-on">([\d-]+)<', page).group(1)
    assert main(["segmentation", str(cluster), "--zones", str(zones), "--today", today, "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "\r" not in out
    assert out.replace("\n", "\r\n") == _embedded(page)


def test_past_the_cap_the_page_says_how_many_and_how_to_list_them(synth, synth_violations, monkeypatch,
                                                                  capsys):
    cluster, zones = synth
    v = synth_violations
    monkeypatch.setattr(_render, "VIOLATION_CSV_CHARS", 30_000)
    page = k8sviz.report(cluster, zones=zones, generated_at="x")
    text = _embedded(page)
    assert len(text) <= 30_000
    got = _rows(text)
    n = len(got)
    assert 0 < n < len(v)
    assert got == _as_written(v.iloc[:n])  # the first rows, whole, in the table's order
    today = re.search(r'id="judged-on">([\d-]+)<', page).group(1)
    said = " ".join(_download_paragraph(page).split())
    assert f"the page carries the first {n} as a CSV file" in said
    command = f"k8sviz segmentation CLUSTER... --zones FILE --today {today} --format csv"
    assert said.endswith(
        f"Its text is capped at 30,000 characters: it holds the first {n} rows, in the table's order. "
        f"All {len(v)} rows, with the same columns: {command}, CLUSTER... and FILE being this report's "
        "cluster inputs and zones file (listed under Inputs and coverage; the snapshot they make has the "
        "SHA-256 above).")
    # the inputs are listed, and the command on them lists every row, the page's first
    inputs = page.split('id="inputs-table"', 1)[1].split("</table>", 1)[0]
    assert f"<code>{cluster}</code>" in inputs and f"<code>{zones}</code>" in inputs
    args = command.split()[1:]
    args[args.index("CLUSTER...")] = str(cluster)
    args[args.index("FILE")] = str(zones)
    assert main(args) == 0
    everything = _rows(capsys.readouterr().out)
    assert everything == _as_written(v)


def test_the_command_reads_ipblocks_as_the_report_did(synth, monkeypatch):
    cluster, zones = synth
    monkeypatch.setattr(_render, "VIOLATION_CSV_CHARS", 30_000)
    page = k8sviz.report(cluster, zones=zones, generated_at="x", ipblocks_match_pods=True)
    assert re.search(r"<code>k8sviz segmentation CLUSTER\.\.\. --zones FILE --today [\d-]+ "
                     r"--ipblocks-match-pods --format csv</code>", page)


def test_a_table_that_is_not_cut_carries_no_csv(demo_zones_page):
    page = demo_zones_page
    assert 'id="violations-table"' in page
    assert "violations-csv" not in page and "violations-download" not in page
    assert "csv-download" not in page and "a.csv-download" not in page  # nor the links' script


def test_hostile_violations_in_the_csv_are_inert_and_guarded(hostile_cut):
    out, v = hostile_cut
    page = out.read_text()
    m = re.search(r'<script type="application/json" id="violations-csv"[^>]*>(.*?)</script>', page, re.S)
    assert m is not None and not set("<>&") & set(m.group(1))  # nothing can close the element
    got = _rows(_embedded(page))
    want = _as_written(v)
    assert len(got) == len(v) > 5
    ends = {r["src"] for r in got} | {r["dst"] for r in got}
    # the formula cell quoted, the markup verbatim
    assert f"'{FORMULA}/{CLOSER}" in ends and f"{FORMULA}/{CLOSER}" not in ends
    assert 'evil/"><img src=x onerror="window.__pwned=2">' in ends
    unquoted = [{c: x[1:] if x.startswith("'=") else x for c, x in r.items()} for r in got]
    assert unquoted == want


def _table_rows(page: str, table_id: str) -> list[dict[str, str]]:
    """A table's rows as the reader reads them: each cell's text, its wrap marks out."""
    table = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    head, body = table.split("</thead>", 1)

    def text(cell: str) -> str:
        return html.unescape(re.sub(r"<[^>]+>", "", cell))

    cols = [text(c) for c in re.findall(r"<th>(.*?)</th>", head)]
    return [dict(zip(cols, map(text, re.findall(r"<td>(.*?)</td>", row)), strict=True))
            for row in re.findall(r"<tr>(.*?)</tr>", body)]


def test_a_violation_no_rule_opens_says_so_on_the_page_only(synth, synth_violations):
    """Its ``rules`` and ``policies`` were blank cells, which read as a value left out: the page
    says no rule opens it, the CSV it carries keeps them empty, as ``--format csv`` does."""
    cluster, zones = synth
    v = synth_violations.iloc[: _render.VIOLATION_ROWS]
    page = k8sviz.report(cluster, zones=zones, generated_at="x")
    shown = _table_rows(page, "violations-table")
    assert len(shown) == len(v)
    empty = [not len(r) for r in v["rules"]]
    assert 0 < sum(empty) < len(v)  # both kinds of row are shown
    for row, (_, r), none in zip(shown, v.iterrows(), empty, strict=True):
        assert (row["src"], row["dst"], row["protocol"]) == (r["src"], r["dst"], r["protocol"])
        if none:
            assert row["rules"] == row["policies"] == "none: allowed by default"
        else:
            assert row["rules"] == ", ".join(r["rules"]) and row["policies"] == ", ".join(r["policies"])
    assert "say <em>none: allowed by default</em> where no rule does" in page
    csv_rows = _rows(_embedded(page))[: len(v)]
    assert [r["rules"] == "" for r in csv_rows] == empty
    assert [r["policies"] == "" for r in csv_rows] == [not len(p) for p in v["policies"]]
