from __future__ import annotations

import json
import re

import pytest

import k8sviz
from k8sviz.cli import main

from ..viz.conftest import HOSTILE
from .conftest import unwrapped


def _scripts(page: str) -> list[str]:
    return re.findall(r"<script\b[^>]*>(.*?)</script>", page, flags=re.S | re.I)


def test_report_sections(hostile_report):
    page = hostile_report.read_text()
    for sid in (
        "summary",
        "scope",
        "inputs",
        "coverage-table",
        "findings",
        "segmentation",
        "graph",
        "flows",
        "appendix",
        "fig-findings",
        "fig-segmentation",
        "fig-graph",
        "fig-flow-sankey",
        "fig-flow-timeline",
        "fig-reachability",
        "controls-table",
        "allowed-table",
    ):
        assert f'id="{sid}"' in page, sid
    # Every analysis ran: the only limitations are what the dump leaves out (no Service nor
    # Ingress, no policy kind but NetworkPolicy), which are unknown, not absent.
    assert _limitations(page) == ["exposure unknown: services (not-in-input), ingresses (not-in-input)",
                                  "policy kinds not in the input: adminnetworkpolicies"]


def _limitations(page: str) -> list[str]:
    """The first words of each limitation the page lists."""
    section = re.search(r'<section id="problems".*?</section>', page, flags=re.S)
    items = re.findall(r"<li>(.*?)</li>", section.group(0), flags=re.S) if section else []
    return [re.split(r",? (?:were|baselineadmin)", i, maxsplit=1)[0] for i in items]


def test_plotlyjs_embedded_once_and_no_remote_refs(hostile_report):
    page = hostile_report.read_text()
    scripts = re.findall(r"<script\b([^>]*)>", page)
    assert all("src" not in attrs for attrs in scripts)
    assert page.count("plotly.js v") <= 2  # banner of the single bundle
    assert len([s for s in _scripts(page) if len(s) > 1_000_000]) == 1
    assert not re.search(r"""<(link|img|iframe)\b[^>]*(src|href)=["']?https?:""", page)


def test_hostile_strings_are_text(hostile_report):
    page = hostile_report.read_text()
    # outside scripts nothing hostile is live markup
    body = re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.S | re.I)
    assert "<img" not in body
    assert "window.__pwned" in page or "&lt;script&gt;" in body
    assert "&lt;script&gt;window.__pwned=1;alert(1)&lt;/script&gt;" in body
    # inside figure JSON every < is \u003c
    for s in _scripts(page):
        if "Plotly.newPlot" in s:
            assert "<" not in s.split("Plotly.newPlot", 1)[1]
    # labels are never evaluated as templates
    assert "{{ 7*7 }}" in page or "{{ 7*7 }}" in page.replace("&#123;", "{")
    assert ">49<" not in page


def test_deterministic(tmp_path, hostile_dump):
    a = k8sviz.report(hostile_dump, generated_at="2024-01-01T00:00:00Z")
    b = k8sviz.report(hostile_dump, generated_at="2024-01-01T00:00:00Z")
    assert a == b
    c = k8sviz.report(hostile_dump)
    diff = [(x, y) for x, y in zip(a.splitlines(), c.splitlines(), strict=True) if x != y]
    assert len(diff) == 1 and "generated-at" in diff[0][0]


def test_coverage_unknown_in_red(hostile_report):
    page = hostile_report.read_text()
    assert re.search(
        r'<tr class="unknown-row"><td>ciliumnetworkpolicies</td><td><span class="unknown">unknown \(not-in-input\)',
        page,
    )


def test_inputs_hashed(hostile_report, hostile_dump):
    import hashlib

    page = hostile_report.read_text()
    digest = hashlib.sha256((hostile_dump / "dump.json").read_bytes()).hexdigest()
    assert digest in page
    assert "flows.csv" in page and "zones.yaml" in page


def test_missing_analysis_is_a_visible_problem(tmp_path, hostile_dump, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("nope")

    monkeypatch.setattr(k8sviz, "reachability", boom, raising=False)
    page = k8sviz.report(hostile_dump, generated_at="2024-01-01T00:00:00Z")
    assert "Limitations of this report" in page
    # what happened in words, not the name of a Python exception
    assert "reachability: an unexpected failure (nope); an error in k8sviz, not in the inputs" in page
    problems = page.split('id="problems"', 1)[1].split("</section>", 1)[0]
    assert "Error" not in problems


def test_cli(tmp_path, hostile_dump, capsys):
    out = tmp_path / "a.html"
    assert main(["report", str(hostile_dump), "-o", str(out)]) == 0
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert "wrote" in capsys.readouterr().err


def test_cli_demo(tmp_path):
    out = tmp_path / "demo.html"
    assert main(["report", "--demo", "-o", str(out)]) == 0
    assert "demo-boutique" in out.read_text()


def test_module_is_callable(hostile_dump):
    import k8sviz.report as mod

    assert isinstance(mod(hostile_dump, generated_at="x"), str)
    assert HOSTILE not in k8sviz.report(hostile_dump, generated_at="x").split("<script>", 1)[0]


def test_demo_report_with_real_analyses(tmp_path):
    """The bundled demo, every analysis for real: all sections, stable, and two limitations
    only: the Hubble events its capture lost (data/demo/README.md) and the policy kinds the
    dump does not hold."""
    zones = k8sviz.demo_path("zones.yaml")
    flows = k8sviz.demo_path("flows")
    kw = {"zones": zones, "generated_at": "2024-03-10T09:00:00Z", "flows": flows}
    page = unwrapped(k8sviz.report(k8sviz.demo(), **kw))
    limits = page.split('id="problems"', 1)[1].split("</section>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", limits, flags=re.S)
    lost = [i for i in items if i.startswith("flow events lost")]
    assert len(lost) == 1 and lost[0].startswith(
        f"flow events lost: {flows / 'hubble.json.gz'}: Hubble lost 66 events between ")
    assert 'id="flow-lost-events"' in page
    assert [x for x in _limitations(page) if not x.startswith("flow events lost")] == [
        "policy kinds not in the input: adminnetworkpolicies"]
    for sid in (
        "fig-findings",
        "fig-segmentation",
        "fig-graph",
        "fig-graph-zones",
        "fig-reachability",
        "controls-table",
        "violations-table",
        "allowed-ns-table",
    ):
        assert f'id="{sid}"' in page, sid
    assert 'class="card st-fail"' in page
    # scope: the CDE, what connects to it, approved flows with an expired exception in red
    for sid in ("zones-table", "connected-table", "zone-allow-table"):
        assert f'id="{sid}"' in page, sid
    assert "<td>shop/checkoutservice</td><td>shop</td><td>to pci</td>" in page
    assert '<td class="expired">2024-01-31</td>' in page
    # every finding a control points to is an anchor in the findings table
    links = set(re.findall(r'href="#(finding-[a-z0-9-]+)"', page))
    assert links and links <= set(re.findall(r'id="(finding-[a-z0-9-]+)"', page))
    if flows.is_dir():
        for sid in ("flows", "fig-flow-sankey", "fig-flow-timeline", "flow-sources-table", "discrepancies-table"):
            assert f'id="{sid}"' in page, sid
        disc = page.split('id="discrepancies-table"', 1)[1].split("</tr>", 1)[0]
        assert re.findall(r"<th>([^<]*)</th>", disc)[:6] == ["kind", "src", "dst", "src_type", "dst_type", "protocol"]
        # The demo's skewed node: offsets in seconds with their sign, not "-1 days +23:59:53..."
        skew = page.split('id="clock-skew-table"', 1)[1].split("</table>", 1)[0]
        assert "<th>offset_seconds</th>" in skew and "<td>-6.99" in skew
        assert "days" not in skew and "<th>offset</th>" not in skew
    assert page == unwrapped(k8sviz.report(k8sviz.demo(), **kw))


def test_hostile_labels_through_real_analyses(hostile_dump):
    """No fakes: the loader, engine, graph and gaps see the hostile labels; the page shows text."""
    page = k8sviz.report(hostile_dump, generated_at="x")
    body = re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.S | re.I)
    assert "<img" not in body and "<script" not in body
    assert "&lt;img src=x onerror=" in body or "&lt;img src=x" in body
    for s in _scripts(page):
        if "Plotly.newPlot" in s:
            assert "<" not in s.split("Plotly.newPlot", 1)[1]


@pytest.mark.slow
def test_identical_across_processes(tmp_path):
    """Two CLI runs with different hash seeds write the same report apart from the generation time."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pages = []
    for seed in ("1", "2"):
        out = tmp_path / f"r{seed}.html"
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(root))
        subprocess.run(
            [sys.executable, "-m", "k8sviz", "report", "--demo", "-o", str(out)],
            check=True,
            env=env,
            cwd=tmp_path,
            capture_output=True,
            timeout=300,
        )
        pages.append([line for line in out.read_text().splitlines() if "generated-at" not in line])
    assert pages[0] == pages[1]


def test_bad_zones_file_is_an_error(tmp_path, hostile_dump, capsys):
    bad = tmp_path / "zones.yaml"
    bad.write_text("zones: [unclosed\n")
    assert main(["report", str(hostile_dump), "--zones", str(bad), "-o", str(tmp_path / "x.html")]) == 2
    assert "error" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()


def test_unwritable_output_is_an_error_and_leaves_no_temporary_file(tmp_path, hostile_dump, capsys):
    out = tmp_path / "out"
    out.mkdir()
    blocked = out / "file"
    blocked.write_text("not a directory")
    assert main(["report", str(hostile_dump), "-o", str(blocked / "r.html")]) == 2
    # said before the inputs are read, naming the file where a directory belongs
    target = blocked / "r.html"
    assert capsys.readouterr().err == f"k8sviz: error: cannot write {target}: {blocked} is not a directory\n"
    assert main(["report", str(hostile_dump), "-o", str(out / "ok.html")]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["file", "ok.html"]  # no .tmp left behind


def test_report_file_has_the_mode_open_would_give_it(tmp_path, hostile_dump):
    import os

    old = os.umask(0o022)
    try:
        out = k8sviz.report(hostile_dump, output=tmp_path / "r.html", generated_at="x")
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644  # readable by the auditors it is written for


def test_an_input_given_twice_is_listed_once(tmp_path):
    from k8sviz.report._build import _files

    (tmp_path / "d").mkdir()
    f = tmp_path / "d" / "flows.json"
    f.write_text("{}")
    assert _files([f, tmp_path / "d", str(f)]) == [f]


def _baseline_pair(tmp_path):
    """A baseline without the policy, and the current dump with it, annotated with a hostile key."""
    import copy
    import json

    from .conftest import HOSTILE_DUMP

    before = copy.deepcopy(HOSTILE_DUMP)
    before["items"] = [o for o in before["items"] if o["kind"] != "NetworkPolicy"]
    after = copy.deepcopy(HOSTILE_DUMP)
    policy = next(o for o in after["items"] if o["kind"] == "NetworkPolicy")
    policy["metadata"]["annotations"] = {HOSTILE: "x"}
    paths = []
    for name, doc in (("before", before), ("after", after)):
        p = tmp_path / f"{name}.json"
        p.write_text(json.dumps(doc))
        paths.append(p)
    return paths


def test_changes_since_a_baseline(tmp_path):
    import hashlib

    base, now = _baseline_pair(tmp_path)
    page = unwrapped(k8sviz.report(now, baseline=base, generated_at="2024-01-01T00:00:00Z"))
    assert 'id="changes"' in page and 'href="#changes"' in page
    want = k8sviz.reachability_diff(k8sviz.reachability(k8sviz.load(base)), k8sviz.reachability(k8sviz.load(now)))
    assert len(want) and set(want["change"]) <= {"removed", "narrowed"}  # the new policy isolates
    assert f"{len(want)} workload-level connections changed" in page
    section = page.split('id="changes"', 1)[1].split("</section>", 1)[0]
    found = k8sviz.findings_diff(*(k8sviz.gaps(k8sviz.load(p)) for p in (base, now)))
    # connection rows + header, finding rows + header, policy row + header
    assert section.count("<tr") == len(want) + 1 + len(found) + 1 + 2
    policies = section.split('id="policy-changes"', 1)[1]
    assert "NetworkPolicy/evil/web-ingress" in policies and "<td>added</td>" in policies
    assert "rules_before" in section and "rules_after" in section  # the rules behind each change
    assert "No namespace or workload label changed." in section
    assert hashlib.sha256(base.read_bytes()).hexdigest() in page  # the baseline is an input, hashed
    assert k8sviz.load(base).sha256 in section
    # given as a Snapshot, the files it was read from are the inputs (they were left out)
    as_snapshot = k8sviz.report(now, baseline=k8sviz.load(base), generated_at="2024-01-01T00:00:00Z")
    inputs = as_snapshot.split('id="inputs-table"', 1)[1].split("</table>", 1)[0]
    digest = hashlib.sha256(base.read_bytes()).hexdigest()
    assert f"<tr><td>baseline</td><td><code>{base}</code></td><td><code>{digest}</code></td></tr>" in inputs
    body = re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.S | re.I)
    assert "<script" not in body and "<img" not in body


def _finding_pair(tmp_path):
    """A baseline without the policy, and the dump with it named as an attack on the page, the
    zones file requiring an owner annotation (so a finding's detail names the policy)."""
    import copy

    from ..viz.conftest import HOSTILE2
    from .conftest import HOSTILE_DUMP

    before = copy.deepcopy(HOSTILE_DUMP)
    before["items"] = [o for o in before["items"] if o["kind"] != "NetworkPolicy"]
    after = copy.deepcopy(HOSTILE_DUMP)
    next(o for o in after["items"] if o["kind"] == "NetworkPolicy")["metadata"]["name"] = HOSTILE2
    paths = [tmp_path / "before.json", tmp_path / "after.json", tmp_path / "zones.yaml"]
    paths[0].write_text(json.dumps(before))
    paths[1].write_text(json.dumps(after))
    paths[2].write_text("requiredPolicyAnnotations: [owner]\nzones:\n"
                        "  cde: {namespaceSelector: {matchLabels: {zone: cde}}, sensitive: true}\n")
    return paths


def _table_rows(page: str, table_id: str) -> list[list[str]]:
    import html

    table = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S)
    return [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)] for r in rows]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_findings_since_the_baseline(tmp_path, monkeypatch):
    from k8sviz.report import _render
    from k8sviz.viz.html import embedded_csv

    from ..viz.conftest import HOSTILE2

    base, now, zones = _finding_pair(tmp_path)
    z = k8sviz.load_zones(zones)
    found = k8sviz.findings_diff(*(k8sviz.gaps(k8sviz.load(p), zones=z, today="2024-01-01")
                                   for p in (base, now)))
    assert {"new", "resolved"} <= set(found["change"])
    raw = k8sviz.report(now, baseline=base, zones=zones, today="2024-01-01", generated_at="x")
    page = unwrapped(raw)
    section = page.split('id="changes"', 1)[1].split("</section>", 1)[0]
    # Every finding change, in findings_diff's order, each cell as it reads.
    got = _table_rows(section, "finding-changes")
    cols = ["change", "opens", "severity", "severity_before", "finding", "namespace", "name", "detail",
            "detail_before"]
    assert got == [[("yes" if v is True else "no" if v is False else "" if v is None or v != v else str(v))
                     for v in row] for row in found[cols].itertuples(index=False, name=None)]
    # The policy's name is in a cell as text, escaped: no element of it reaches the page.
    (named,) = [r for r in got if r[4] == "policy-missing-annotations"]
    assert HOSTILE2 in named[7] and named[:2] == ["new", "yes"]
    body = re.sub(r"<script\b[^>]*>.*?</script>", "", raw, flags=re.S | re.I)
    assert "<img" not in body and "&lt;img" in body
    counts = " ".join(f"{(found['change'] == c).sum()} {c}" for c in ("new", "changed", "resolved")
                      if (found["change"] == c).any())
    said = re.sub(r"<[^>]+>", "", section.split('id="finding-changes-summary">', 1)[1].split("</p>", 1)[0])
    assert " ".join(said.split()).startswith(
        f"{len(found)} findings new, changed or resolved since the baseline: "
        f"{counts} {int(found['opens'].sum())} open something")
    assert "finding-changes-csv" not in raw  # all inline
    # Past its rows, the table says how many it shows and the page carries every row as CSV.
    monkeypatch.setattr(_render, "FINDING_CHANGE_ROWS", 2)
    raw = k8sviz.report(now, baseline=base, zones=zones, today="2024-01-01", generated_at="x")
    page = unwrapped(raw)
    assert _table_rows(page, "finding-changes")[2:] == [[f"... {len(found) - 2} more rows not shown"]]
    text = re.sub(r"<[^>]+>", "", re.sub(r"<script.*?</script>", "",
                  page.split('<p id="finding-changes-download">', 1)[1].split("</p>", 1)[0], flags=re.S))
    assert " ".join(text.split()).startswith(
        f"The table shows the first 2 of the {len(found)} finding changes; the page carries all {len(found)} "
        "as a CSV file")
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(embedded_csv(raw, "finding-changes-csv"), newline="")))
    assert [(r["change"], r["finding"], r["name"], r["opens"]) for r in rows] == [
        (c, f, n, "yes" if o else "no")
        for c, f, n, o in found[["change", "finding", "name", "opens"]].itertuples(index=False, name=None)]
    assert any(HOSTILE2 in r["evidence"] for r in rows)  # every column, the evidence too
    # The cap is what the other tables' CSV is: with it the command that lists them all.
    monkeypatch.setattr(_render, "FINDING_CSV_CHARS", 600)
    raw = k8sviz.report(now, baseline=base, zones=zones, today="2024-01-01", generated_at="x")
    assert "<code>k8sviz diff BASELINE SNAPSHOT --findings --zones FILE --format csv</code>" in raw


def test_no_changes_section_without_a_baseline_and_the_cli_option(tmp_path, capsys):
    base, now = _baseline_pair(tmp_path)
    assert 'id="changes"' not in k8sviz.report(now, generated_at="x")
    out = tmp_path / "r.html"
    assert main(["report", str(now), "--baseline", str(base), "-o", str(out)]) == 0
    assert "Changes since the baseline" in out.read_text()
    out.unlink()
    assert main(["report", "--baseline", str(base), str(now), "-o", str(out)]) == 0  # one value: PATH stays
    assert "Changes since the baseline" in out.read_text()
    assert main(["report", str(now), "--baseline", str(tmp_path / "missing"), "-o", str(out)]) == 2
    assert "no such file" in capsys.readouterr().err


def _baseline_named(page: str) -> str:
    return re.search(r"Baseline: cluster <code>([^<]*)</code>", page).group(1)


def _mismatches(recwarn) -> list[str]:
    """The cluster mismatches warned about since the last call (pytest records the warnings the
    CLI would print: a test of stderr needs a real process)."""
    said = [str(w.message) for w in recwarn if "cluster mismatch" in str(w.message)]
    recwarn.clear()
    return said


MISMATCH = ("cluster mismatch: the baseline is a snapshot of cluster 'staging', this report's of 'prod'; "
            "the changes since compare two clusters' objects, not one cluster's over time")


def test_a_dump_baseline_is_named_as_the_cluster_unless_named_otherwise(tmp_path, recwarn):
    """A dump carries no cluster name, and --cluster names the PATHs only: the baseline read
    "unnamed", as if the previous review had been of some other cluster."""
    import subprocess
    import sys

    base, now = _baseline_pair(tmp_path)
    out = tmp_path / "r.html"
    assert main(["report", str(now), "--cluster", "prod", "--baseline", str(base), "-o", str(out)]) == 0
    page = out.read_text()
    assert _baseline_named(page) == "prod"
    # named as load(cluster=) names it: the SHA-256 shown is that snapshot's
    assert k8sviz.load(base, cluster="prod").sha256 in page.split('id="changes"', 1)[1]
    assert 'id="baseline-mismatch"' not in page and not _mismatches(recwarn)
    # another name: kept, and the other cluster said in the report and on stderr
    cmd = [sys.executable, "-m", "k8sviz", "report", str(now), "--cluster", "prod", "--baseline", str(base),
           "--baseline-cluster", "staging", "-o", str(out)]
    err = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
    said = [line for line in err.splitlines() if "cluster mismatch" in line]
    assert len(said) == 1 and said[0].startswith(f"k8sviz: warning: {MISMATCH} (")
    page = out.read_text()
    assert _baseline_named(page) == "staging"
    shown = page.split('id="baseline-mismatch">', 1)[1].split("</p>", 1)[0]
    assert shown.startswith(MISMATCH.replace("'", "&#39;"))
    # unnamed on both sides: nothing to default to, and no mismatch
    assert main(["report", str(now), "--baseline", str(base), "-o", str(out)]) == 0
    assert _baseline_named(out.read_text()) == "unnamed"
    assert not _mismatches(recwarn)


def test_a_snapshot_file_baseline_keeps_its_name_unless_renamed(tmp_path, recwarn):
    base, now = _baseline_pair(tmp_path)
    snap, out = tmp_path / "base.k8sviz.json", tmp_path / "r.html"
    assert main(["snapshot", str(base), "--cluster", "staging", "-o", str(snap)]) == 0
    assert main(["report", str(now), "--cluster", "prod", "--baseline", str(snap), "-o", str(out)]) == 0
    assert _baseline_named(out.read_text()) == "staging"
    assert [m.split(" (", 1)[0] for m in _mismatches(recwarn)] == [MISMATCH]
    # the same cluster renamed since: named as this one, it is no mismatch
    assert main(["report", str(now), "--cluster", "prod", "--baseline", str(snap),
                 "--baseline-cluster", "prod", "-o", str(out)]) == 0
    assert _baseline_named(out.read_text()) == "prod"
    assert not _mismatches(recwarn)
    # the PATHs unnamed: no name is no evidence of another cluster
    assert main(["report", str(now), "--baseline", str(snap), "-o", str(out)]) == 0
    assert _baseline_named(out.read_text()) == "staging"
    assert not _mismatches(recwarn)


def test_the_baseline_cluster_option_and_argument_errors(tmp_path, capsys):
    from k8sviz.report import ReportError

    from ..test_cli import build_help

    help_text = " ".join(build_help("report").split())
    assert ("--baseline-cluster NAME name of the baseline's cluster (default: from its snapshot file, else "
            "the cluster name of the PATHs, as a baseline is usually the same cluster at an earlier date)"
            ) in help_text
    # said before the inputs are read (this one does not exist)
    assert main(["report", str(tmp_path / "missing"), "--baseline-cluster", "x", "-o", "-"]) == 2
    assert capsys.readouterr().err == ("k8sviz: error: --baseline-cluster names the --baseline's cluster: "
                                       "give --baseline too\n")
    base, now = _baseline_pair(tmp_path)
    missing = tmp_path / "missing"
    for kwargs, words in [
        ({"baseline_cluster": "x"}, "give baseline too"),
        ({"baseline": base, "baseline_cluster": 7}, "baseline_cluster must be a str, got 7"),
        ({"baseline": k8sviz.load(base), "baseline_cluster": "x"}, r"a Snapshot has its name already"),
    ]:
        with pytest.raises(ReportError, match=words):
            k8sviz.report(missing, generated_at="x", **kwargs)
    # from Python: the snapshot's name is the default, and a mismatch is the caller's warning
    named = k8sviz.load(now, cluster="prod")
    assert _baseline_named(k8sviz.report(named, baseline=base, generated_at="x")) == "prod"
    other = "cluster mismatch: the baseline is a snapshot of cluster 'old'"
    with pytest.warns(UserWarning, match=other) as seen:
        page = k8sviz.report(named, baseline=[base], baseline_cluster="old", generated_at="x")
    assert _baseline_named(page) == "old"
    assert all(w.filename == __file__ for w in seen if "mismatch" in str(w.message))  # the caller's line
    # a Snapshot is named by whoever loaded it: the caller's object is not renamed
    plain = k8sviz.load(base)
    assert _baseline_named(k8sviz.report(named, baseline=plain, generated_at="x")) == "unnamed"
    assert plain.meta["cluster"] == "unnamed"


def test_changes_carry_zones_and_flag_openings_into_sensitive_ones(tmp_path):
    from .conftest import HOSTILE_ZONES

    with_policy, without = reversed(_baseline_pair(tmp_path))  # the isolating policy was deleted
    zones = tmp_path / "zones.yaml"
    zones.write_text(HOSTILE_ZONES)
    page = unwrapped(k8sviz.report(without, baseline=with_policy, zones=zones, generated_at="x"))
    section = page.split('id="changes"', 1)[1].split("</section>", 1)[0]
    assert "<th>src_zone</th>" in section and "<th>dst_zone</th>" in section
    want = k8sviz.reachability_diff(k8sviz.reachability(k8sviz.load(with_policy)),
                                    k8sviz.reachability(k8sviz.load(without)))
    into_cde = want[want["dst"].str.startswith("evil/") & want["change"].isin(["added", "widened"])]
    assert len(into_cde)  # evil is the sensitive zone cde
    flag = section.split('id="changes-sensitive"', 1)[1].split("</p>", 1)[0]
    assert "touch a sensitive zone (cde)" in flag
    n = int(re.search(r'sev-high">(\d+)<', flag).group(1))
    assert n >= len(into_cde)
    calm = k8sviz.report(with_policy, baseline=without, zones=zones, generated_at="x")  # only closings
    assert "No opened connection touches a sensitive zone (cde)" in calm


def test_an_empty_input_is_a_visible_limitation_and_an_empty_baseline_an_error(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    page = k8sviz.report(empty, generated_at="x")  # no crash on a graph of no node
    assert "no Kubernetes object was read" in page.split('id="problems"', 1)[1].split("</section>", 1)[0]
    base, now = _baseline_pair(tmp_path)
    with pytest.raises(k8sviz.K8svizError, match=r"baseline \(.*empty\) holds no Kubernetes objects"):
        k8sviz.report(now, baseline=empty, generated_at="x")
    assert main(["report", str(now), "--baseline", str(empty), "-o", str(tmp_path / "r.html")]) == 2
    assert "holds no Kubernetes objects" in capsys.readouterr().err


def test_label_changes_in_the_report_are_text(tmp_path):
    import copy
    import json

    from .conftest import HOSTILE_DUMP

    after = copy.deepcopy(HOSTILE_DUMP)
    shop = next(o for o in after["items"] if o["kind"] == "Namespace" and o["metadata"]["name"] == "shop")
    shop["metadata"]["labels"]["owner"] = HOSTILE
    paths = []
    for name, doc in (("before", HOSTILE_DUMP), ("after", after)):
        p = tmp_path / f"{name}.json"
        p.write_text(json.dumps(doc))
        paths.append(p)
    page = k8sviz.report(paths[1], baseline=paths[0], generated_at="x")
    labels = page.split('id="label-changes"', 1)[1].split("</table>", 1)[0]
    assert "Namespace" in labels and "shop" in labels and "owner=" in labels
    assert "<script" not in labels and "&lt;script&gt;" in labels


def test_flow_inputs_without_records_are_a_visible_limitation(tmp_path):
    (tmp_path / "unknown.json").write_text('{"foo": 1}\n')
    from k8sviz.flows import FlowWarning

    with pytest.warns(FlowWarning):
        page = k8sviz.report(k8sviz.demo(), flows=tmp_path / "unknown.json", generated_at="x")
    problems = page.split('id="problems"', 1)[1].split("</section>", 1)[0]
    assert "findings not checked, since the flow inputs hold no flow record" in problems
    assert "allowed-but-unused" in problems


def _violations(page: str) -> int:
    return int(re.search(r"<h3>Violations \((\d+)\)</h3>", page).group(1))


def test_today_and_ipblocks_match_pods_reach_every_analysis(tmp_path, capsys):
    snap = k8sviz.demo()
    zones = k8sviz.demo_path("zones.yaml")
    kw = {"zones": zones, "generated_at": "2024-03-10T09:00:00Z"}
    default = unwrapped(k8sviz.report(snap, **kw))
    assert '<span id="judged-on">2024-03-10</span>' in default  # the snapshot's collected_at
    early = unwrapped(k8sviz.report(snap, today="2024-01-01", **kw))
    assert '<span id="judged-on">2024-01-01</span>' in early
    # An exception that expired on 2024-01-31 still holds on 2024-01-01: fewer violations, and
    # the findings and the approved-flows table agree with the segmentation.
    seg = k8sviz.segmentation(snap, None, zones, today="2024-01-01")
    assert _violations(early) == len(seg.violations) < _violations(default)
    assert '<td class="expired">2024-01-31</td>' in default and '<td class="expired">2024-01-31</td>' not in early
    findings = len(k8sviz.gaps(snap, zones=zones, today="2024-01-01"))
    assert findings < len(k8sviz.gaps(snap, zones=zones))
    assert f"<p>{findings} findings: " in early

    matched = k8sviz.report(snap, ipblocks_match_pods=True, **kw)
    n = len(k8sviz.reachability(snap, ipblocks_match_pods=True).to_frame(level="workload"))
    assert n > len(k8sviz.reachability(snap).to_frame(level="workload"))
    assert f"{n} allowed workload-level connections from the NetworkPolicy evaluation <span id=\"ipblocks-match-pods\">" in matched
    assert 'id="ipblocks-match-pods"' not in default
    from k8sviz.errors import InputError
    from k8sviz.report import ReportError

    with pytest.raises(ReportError, match="ipblocks_match_pods=True, but the reach given"):
        k8sviz.report(snap, reach=k8sviz.reachability(snap), ipblocks_match_pods=True, **kw)
    with pytest.raises(InputError, match="today 'tomorrow' is not a date"):
        k8sviz.report("no/such/dump", today="tomorrow")  # before the inputs are read

    out = tmp_path / "r.html"
    argv = ["report", "--demo", "--today", "2024-01-01", "--ipblocks-match-pods", "-o", str(out)]
    assert main(argv) == 0
    page = out.read_text()
    assert '<span id="judged-on">2024-01-01</span>' in page and 'id="ipblocks-match-pods"' in page
    capsys.readouterr()
    assert main(["report", "--demo", "--today", "2024-02-30", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("k8sviz: error: --today '2024-02-30' is not a date") and err.count("\n") == 1


def test_the_flow_inputs_listed_are_the_files_read(tmp_path):
    from k8sviz.report._build import collect

    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "a.json").write_bytes(open("data/demo/flows/calico.json", "rb").read())
    (flows / ".hidden.json").write_bytes(open("data/demo/flows/calico.json", "rb").read())
    (flows / "NOTES.md").write_text("not flows")
    data = collect("data/demo/cluster", flows=[flows])
    assert [i["path"] for i in data.inputs if i["role"] == "flows"] == [str(flows / "a.json")]
    assert len(data.flows) == 2405  # the hidden copy is skipped, as hidden manifests are


def test_lost_hubble_events_in_the_flow_section_and_limitations(tmp_path, hostile_dump):
    """Hubble's lost_events reports: a limitation and a note under the flow files, escaped."""
    import json

    from .conftest import HOSTILE2, HOSTILE_FLOWS

    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "flows.csv").write_text(HOSTILE_FLOWS)
    lost = [
        {"lost_events": {"source": HOSTILE, "num_events_lost": "40", "cpu": 1}, "node_name": "n1",
         "time": "2024-01-01T00:00:10Z"},
        {"lost_events": {"source": "HUBBLE_RING_BUFFER", "num_events_lost": "2"}, "node_name": "n1",
         "time": "2024-01-01T00:02:00Z"},
        {"flow": {"time": "2024-01-01T00:01:00Z", "verdict": "FORWARDED",
                  "IP": {"source": "10.0.0.6", "destination": "10.0.0.5"},
                  "l4": {"TCP": {"source_port": 40000, "destination_port": 80, "flags": {"SYN": True}}},
                  "node_name": "n1", "traffic_direction": "EGRESS"}},
    ]
    name = flows / f"h{HOSTILE2.replace('/', '_')}.json"
    name.write_text("".join(json.dumps(x) + "\n" for x in lost))
    with pytest.warns(k8sviz.FlowWarning, match="Hubble lost 42 events"):
        page = unwrapped(k8sviz.report(hostile_dump, flows=[flows], generated_at="2024-01-01T00:00:00Z"))
    body = re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.S | re.I)
    assert "<img" not in body and "<script" not in body
    limits = body.split('id="problems"', 1)[1].split("</section>", 1)[0]
    said = [x for x in re.findall(r"<li>(.*?)</li>", limits, flags=re.S) if x.startswith("flow events lost")]
    assert len(said) == 1
    assert "Hubble lost 42 events between 2024-01-01T00:00:10+00:00 and 2024-01-01T00:02:00+00:00" in said[0]
    assert "&lt;img src=x onerror=" in said[0] and "&lt;script&gt;window.__pwned=1" in said[0]
    section = body.split('id="flow-lost-events"', 1)[1].split("</ul>", 1)[0]
    assert "Hubble lost 42 events" in section and "HUBBLE_RING_BUFFER 2" in section
    assert "&lt;script&gt;window.__pwned=1;alert(1)&lt;/script&gt; 40" in section
    table = body.split('id="flow-sources-table"', 1)[1].split("</table>", 1)[0]
    assert "<th>lost_events</th>" in table and "<td>42</td>" in table


def test_no_lost_events_no_note(hostile_report):
    page = hostile_report.read_text()
    assert 'id="flow-lost-events"' not in page and "flow events lost" not in page


def test_lost_events_of_a_load_report_without_every_field():
    """A table's attrs from Parquet or an older k8sviz: what is there is said, nothing raises."""
    from k8sviz.report._build import lost_events

    assert lost_events(None) == [] and lost_events({"sources": "x"}) == []
    load = {"sources": [{"file": "a.json", "lost_events": {"reports": 2, "events": 5}},
                        {"file": "b.json", "lost_events": {"reports": 0}}, {"file": "c.json"}, "junk"]}
    (line,) = lost_events(load)
    assert line.startswith("a.json: Hubble lost 5 events (2 lost_events reports); flows of that time")


def test_controls_without_their_inputs_are_limitations_not_passes():
    from ..analysis.helpers import ns, pod, policy, snapshot

    snap = snapshot(ns("pay"), pod("pay", "vault", ip="10.0.0.3", app="vault"),
                    policy("pay", "deny", types=["Ingress", "Egress"]))
    from k8sviz.report._build import collect

    data = collect(snap, generated_at="2026-01-01T00:00:00Z")
    ctl = data.controls.set_index("control")
    assert ctl.loc["PCI-1.3.1", "status"] == "not-checked" and ctl.loc["CIS-5.3.2", "status"] == "manual"
    text = " | ".join(data.problems)
    assert "controls not checked (PCI-1.3.1, PCI-1.3.2, PCI-1.4.4, NIST-800-190-4.3.3): no CDE declared" in text
    assert "no flow logs judged" in text and "no ruleset standard" in text
    page = k8sviz.report(snap, generated_at="2026-01-01T00:00:00Z")
    assert "Limitations of this report" in page and "no CDE declared" in page
    assert "<em>not-checked</em> names the missing input" in page


def test_unread_services_and_policy_kinds_are_limitations():
    from k8sviz.snapshot import SnapshotBuilder

    from ..analysis.helpers import ns, pod, policy

    b = SnapshotBuilder()
    for o in (ns("shop"), pod("shop", "lb-1", ip="10.0.0.3", app="lb"),
              policy("shop", "lb-in", {"app": "lb"}, ["Ingress"],
                     ingress=[{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}])):
        b.add(o, "test")
    b.coverage.update({"services": "forbidden", "ingresses": "forbidden", "ciliumnetworkpolicies": "forbidden"})
    page = k8sviz.report(b.build(cluster="t"), generated_at="2026-01-01T00:00:00Z")
    lims = _limitations(page)
    assert "exposure unknown: services (forbidden), ingresses (forbidden)" in lims
    assert "policy kinds not in the input: adminnetworkpolicies" in lims
    assert "whether a Service or Ingress exposes it is unknown" in page
    assert "Policy kinds merely\n    missing from the input" in page  # the coverage note says what is assumed


def test_scope_without_zones_lists_workloads_not_the_endpoints_flows_add():
    """Without a zones file the scope comes from the graph: its workloads, not the cluster
    nodes, hidden addresses or Services that observed flows add to it."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        page = k8sviz.report(k8sviz.demo(), flows=k8sviz.demo_path("flows"), generated_at="x")
    scope = page.split('id="scope"', 1)[1].split("</section>", 1)[0]
    assert "shop/frontend" in scope and "pci/card-vault" in scope
    assert "node/" not in scope and "external-" not in scope and "svc:" not in scope


def test_isolation_appendix_lists_the_weakest_first(demo_plain_page):
    """The demo's prometheus has no egress policy: its row leads the isolation table, marked;
    the hostNetwork node-agent is listed as not judged, never as isolated."""
    page = unwrapped(demo_plain_page)
    section = page.split('<section id="isolation">', 1)[1].split("</section>", 1)[0]
    assert "Open: 0 workloads for ingress, 1 workload for egress." in section
    rows = re.findall(r"<tr>(.*?)</tr>", section.split("<tbody>", 1)[1], flags=re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", r, flags=re.S) for r in rows]
    assert cells[0][:4] == ["monitoring", "monitoring/prometheus", "egress", "unrestricted"]
    assert '<td class="st-fail">unrestricted</td>' in rows[0]
    states = {(c[1], c[2]): c[3] for c in cells}
    assert states[("kube-system/node-agent", "ingress")] == "not-judged"
    assert states[("pci/card-vault", "ingress")] == "isolated"
    assert len(cells) == 2 * 17  # every workload, both directions


def test_isolation_appendix_says_why_a_workload_of_ended_pods_is_not_judged():
    """A Job whose pods all completed is a not-judged row, and the legend names that case."""
    from tests.analysis.helpers import ns, pod, snapshot

    done = pod("a", "job-x", app="job")
    done["status"]["phase"] = "Succeeded"
    page = unwrapped(k8sviz.report(snapshot(ns("a"), pod("a", "web", app="web"), done), generated_at="x"))
    section = page.split('<section id="isolation">', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", section.split("<tbody>", 1)[1], flags=re.S)
    cells = {tuple(c[1:3]): c for c in (re.findall(r"<td[^>]*>(.*?)</td>", r, flags=re.S) for r in rows)}
    job = cells[("a/job-x", "ingress")]
    assert job[3] == "not-judged" and "ended (Succeeded)" in job[-1]
    assert "<em>not-judged</em> (hostNetwork pods, which NetworkPolicy does not govern, and pods that ended)" in section


def test_internet_paths_into_each_sensitive_zone(tmp_path):
    """The report lists, for each sensitive zone, the paths k8sviz.internet_paths finds, and
    says so of a sensitive zone no path reaches."""
    from tests.objects import netpol, pod

    objs = [
        pod("web", "front", {"app": "front"}, ip="10.0.0.1"),
        pod("vault", "db", {"app": "db"}, ip="10.0.0.2"),
        pod("cards", "api", {"app": "api"}, ip="10.0.0.3"),
        netpol("vault", "deny", {"podSelector": {}, "policyTypes": ["Ingress"]}),
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "front", "namespace": "web"},
         "spec": {"type": "LoadBalancer", "selector": {"app": "front"}, "ports": [{"port": 80}]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "none", "namespace": "web"},
         "spec": {}},
    ]
    dump = tmp_path / "c.json"
    dump.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}))
    zones = tmp_path / "zones.yaml"
    zones.write_text("zones:\n"
                     "  edge: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: web}}}\n"
                     "  vault: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: vault}}, sensitive: true}\n"
                     "  cards: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: cards}}, sensitive: true}\n")
    snap = k8sviz.load(dump)
    reach = k8sviz.reachability(snap)
    z = k8sviz.load_zones(zones)
    assert len(k8sviz.internet_paths(reach, "vault", z)) == 0
    want = k8sviz.internet_paths(reach, "cards", z)
    assert want["path"].tolist() == [["internet", "web/front", "cards/api"]]
    page = unwrapped(k8sviz.report(snap, zones=zones, reach=reach, generated_at="x"))
    section = page.split('id="internet-paths"', 1)[1].split("</section>", 1)[0]
    assert section.startswith(">Paths from the internet into sensitive zones (1)</h3>")
    assert "No such path reaches <strong>vault</strong>." in section
    assert "No such path reaches <strong>cards</strong>" not in section
    row = re.search(r"<td>cards/api</td>.*?</tr>", section, flags=re.S).group(0)
    ports = " | ".join(", ".join(hop) for hop in want["ports"][0])
    assert ports.startswith("TCP/1-65535, UDP/1-65535, SCTP/1-65535 | ")  # no policy in web nor cards
    assert f"<td>internet -&gt; web/front -&gt; cards/api</td><td>{ports}</td>" in row
    # Without zones, or with no sensitive zone, there is no such section.
    assert 'id="internet-paths"' not in k8sviz.report(snap, reach=reach, generated_at="x")
    zones.write_text(zones.read_text().replace(", sensitive: true", ""))
    assert 'id="internet-paths"' not in k8sviz.report(snap, zones=zones, reach=reach, generated_at="x")


def test_a_pod_claiming_calico_identity_labels_is_a_finding_in_the_report():
    """A pod carrying pcns. labels under Calico: the finding row, with its label as text,
    and the NSA selection control failing on it with a link to the row."""
    from ..analysis.helpers import ns, pod, policy, snapshot

    node = pod("calico-system", "calico-node-a", host_network=True)
    node["spec"]["containers"] = [{"name": "calico-node", "image": "quay.io/calico/node:v3.30.2"}]
    snap = snapshot(
        ns("web"), ns("payments", team="payments"), ns("db"), node,
        pod("web", "front", ip="10.0.0.1", **{"pcns.team": "payments"}),
        pod("db", "db", ip="10.0.0.3", app="db"),
        policy("db", "from-payments", {"app": "db"}, ["Ingress"],
               ingress=[{"from": [{"namespaceSelector": {"matchLabels": {"team": "payments"}}}]}]),
    )
    page = unwrapped(k8sviz.report(snap, generated_at="2026-01-01T00:00:00Z"))
    findings = page.split('id="findings-table"', 1)[1].split("</table>", 1)[0]
    row = next(r for r in findings.split("<tr") if "calico-reserved-label" in r)
    assert 'id="finding-calico-reserved-label"' in row
    assert ">high<" in row and "pcns.team=payments makes it match as if in a namespace labelled team=payments" in row
    controls = page.split('id="controls-table"', 1)[1].split("</table>", 1)[0]
    nsa = next(r for r in controls.split("<tr") if "NSA-NP-SELECT" in r)
    assert 'href="#finding-calico-reserved-label"' in nsa


def test_zones_given_as_a_mapping_are_read_as_a_zones_file():
    zones = {"zones": {"shop": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "shop"}},
                                "sensitive": True}},
             "allow": [{"from": "shop", "to": "shop", "ports": ["TCP/443"], "justification": "checkout"}]}
    snap = k8sviz.demo()
    page = k8sviz.report(snap, zones=zones, generated_at="2024-01-01T00:00:00Z")
    assert 'id="zone-allow-table"' in page and "checkout" in page
    assert page == k8sviz.report(snap, zones=k8sviz.load_zones(zones), generated_at="2024-01-01T00:00:00Z")
    with pytest.raises(k8sviz.K8svizError, match="zone"):
        k8sviz.report(snap, zones={"zones": {"shop": {"sensitive": "maybe"}}})


def _ns_table_rows(page: str) -> list[list[str]]:
    table = unwrapped(page).split('id="allowed-ns-table"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [re.findall(r"<td[^>]*>(.*?)</td>", tr) for tr in re.findall(r"<tr>(.*?)</tr>", body)]


def test_namespace_pairs_past_the_table_travel_whole_as_csv(monkeypatch):
    """Past NAMESPACE_ROWS, the appendix tabulates the first pairs and the page carries every
    pair (with every port) as CSV text behind a download link."""
    import csv
    import html
    import io

    from k8sviz.report import _render
    from k8sviz.viz.matrix import namespace_cells

    snap = k8sviz.demo()
    cells = namespace_cells(k8sviz.reachability(snap).to_frame(level="workload"))
    assert len(cells) > 3
    page = k8sviz.report(snap, generated_at="x")
    assert "allowed-ns-csv" not in page and "csv-download" not in page
    assert len(_ns_table_rows(page)) == len(cells)

    monkeypatch.setattr(_render, "NAMESPACE_ROWS", 3)
    page = k8sviz.report(snap, generated_at="x")
    rows = _ns_table_rows(page)
    assert len(rows) == 3 and [html.unescape(r[0]) for r in rows] == [s for s, _ in sorted(cells)[:3]]
    assert f"... {len(cells) - 3} more rows not shown" in page
    assert f"The table shows the first 3 namespace pairs of {len(cells)}" in page
    m = re.search(r'<script type="application/json" id="allowed-ns-csv">(.*?)</script>', page, re.S)
    assert m is not None
    got = list(csv.DictReader(io.StringIO(json.loads(m.group(1)), newline="")))
    assert [(r["source namespace"], r["destination namespace"]) for r in got] == sorted(cells)
    for r in got:
        cell = cells[(r["source namespace"], r["destination namespace"])]
        assert int(r["connections"]) == cell.n
        assert (int(r["sources"]), int(r["destinations"])) == (cell.sources, cell.destinations)
        assert r["protocols / ports"] == "; ".join(
            f"{p} {', '.join(sorted(v, key=lambda x: int(x.split('-')[0])))}" for p, v in sorted(cell.ports.items()))
    # the link's script is in the page, once
    assert page.count("a.csv-download") == 1


def test_namespace_rows_clip_ports_in_the_table_only():
    from k8sviz.report._render import _namespace_rows
    from k8sviz.viz.matrix import Cell

    ports = {str(p) for p in range(8000, 8020)}
    items = [(("a", "b"), Cell(n=2, ports={"TCP": ports}, sources=1, destinations=2))]
    table = _namespace_rows(items, limit=12)["protocols / ports"].iloc[0]
    whole = _namespace_rows(items, limit=None)["protocols / ports"].iloc[0]
    assert table == "TCP " + ", ".join(sorted(ports)[:12]) + " ..."
    assert whole == "TCP " + ", ".join(sorted(ports))


def test_the_matrix_past_its_namespaces_says_what_it_shows(monkeypatch):
    """Past MATRIX_NAMESPACES, the appendix's matrix shows the busiest namespaces and the page
    says how many, pointing at the table of every pair."""
    import functools

    from k8sviz.report import _render
    from k8sviz.viz.matrix import _matrix, namespace_cells

    snap = k8sviz.demo()
    cells = namespace_cells(k8sviz.reachability(snap).to_frame(level="workload"))
    assert "matrix-namespaces-shown" not in k8sviz.report(snap, generated_at="x")
    # the demo's matrix is per workload: aggregated at a few labels, then cut at 2 namespaces
    monkeypatch.setattr(_render, "matrix_figure", functools.partial(_matrix, max_labels=5))
    monkeypatch.setattr(_render, "MATRIX_NAMESPACES", 2)
    monkeypatch.setattr(_render, "NAMESPACE_ROWS", 3)
    page = k8sviz.report(snap, generated_at="x")
    n_src = len({s for s, _ in cells})
    n_dst = len({d for _, d in cells})
    m = re.search(r'<p id="matrix-namespaces-shown">The matrix shows the ([12]) source and ([12]) destination '
                  rf"namespaces with the most allowed workload connections, of {n_src} and {n_dst}: (\d+) of "
                  rf"the {len(cells)} namespace pairs, (\d+) of the ([\d,]+) connections\. "
                  r"Every pair is in the table above and its CSV file\.</p>", page)
    assert m and int(m[3]) <= 4
    assert int(m[5].replace(",", "")) == sum(c.n for c in cells.values()) > int(m[4])
    # the figure's note, in lines under its title that fit a 480 px figure
    matrix = page.split('id="fig-reachability"', 1)[1].replace(
        r"\u003c\u002fsup\u003e\u003cbr\u003e\u003csup\u003e", " ")
    assert f"namespaces with the most connections: {m[3]} of {len(cells)} namespace pairs" in matrix


def test_the_baselines_load_warnings_are_said(tmp_path):
    """The baseline is loaded inside report(): objects it skipped or changed were said nowhere."""
    import json

    base, now = _baseline_pair(tmp_path)
    doc = json.loads(base.read_text())
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "evil"}}
    doc["items"].append(secret)
    base.write_text(json.dumps(doc))
    # Said in the hostile dump's order: its first item's labels first, the Secret skipped last.
    pattern = r"while reading the baseline, the first: \[invalid-label\] \S*before\.json\.items\[0\]"
    with pytest.warns(UserWarning, match=pattern) as caught:
        k8sviz.report(now, baseline=base, generated_at="x")
    assert "[secret-skipped]" in "\n".join(map(str, k8sviz.load(base).warnings))
    assert all(w.filename == __file__ for w in caught if "baseline" in str(w.message))  # the caller's line
    import subprocess
    import sys

    # A real process: pytest would capture the warning before the CLI prints it.
    cmd = [sys.executable, "-m", "k8sviz", "report", str(now), "--baseline", str(base),
           "-o", str(tmp_path / "r.html")]
    err = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
    said = [line for line in err.splitlines() if "while reading the baseline" in line]
    assert len(said) == 1 and said[0].startswith("k8sviz: warning: ")
    them = "them" if "the first" in said[0] else "it"
    assert said[0].endswith(f"(`k8sviz info {base} --warnings all` lists {them})")
    # a baseline given as a Snapshot: its warnings are the caller's to see, not said again
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        k8sviz.report(now, baseline=k8sviz.load(base), generated_at="x")
    assert not [w for w in caught if "while reading the baseline" in str(w.message)]
