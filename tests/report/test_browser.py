"""Open reports (and an exported notebook) in headless Chromium, offline."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed"),
]


def open_offline(browser, path: Path, *, wait_for: str = ".plotly .main-svg"):
    """Open ``path``; record console errors, dialogs and every request; block anything not local."""
    ctx = browser.new_context(offline=True)
    page = ctx.new_page()
    seen = {"console": [], "requests": [], "dialogs": [], "errors": []}
    page.on("console", lambda m: seen["console"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("request", lambda r: seen["requests"].append(r.url))

    def on_dialog(d):
        seen["dialogs"].append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    url = path.resolve().as_uri()
    page.route("**/*", lambda route: route.continue_() if route.request.url == url else route.abort())
    page.goto(url, wait_until="load")
    if wait_for:
        page.wait_for_selector(wait_for, timeout=20_000)
    return ctx, page, seen, url


def _non_data(urls, url):
    return [u for u in urls if u != url and not u.startswith(("data:", "blob:", "about:"))]


def test_report_renders_offline_and_hostile_labels_inert(browser, hostile_report):
    ctx, page, seen, url = open_offline(browser, hostile_report)
    try:
        fig_ids = page.eval_on_selector_all(".plotly-graph-div", "els => els.map(e => e.id)")
        assert {
            "fig-findings",
            "fig-segmentation",
            "fig-graph",
            "fig-flow-sankey",
            "fig-flow-timeline",
            "fig-reachability",
        } <= set(fig_ids)
        for fid in fig_ids:
            assert page.locator(f"#{fid} .main-svg").count() >= 1, fid
        page.wait_for_timeout(300)
        assert page.evaluate("window.__pwned === undefined")
        assert page.locator("img").count() == 0
        assert page.locator("script").count() == 2 + len(fig_ids)  # plotly.js, printing, one per figure
        assert seen["dialogs"] == []
        assert seen["errors"] == [] and seen["console"] == []
        assert _non_data(seen["requests"], url) == []
        # the hostile strings show as text: a zone justification, and a tampered pod name
        # that the real analyses carry into their findings
        assert "<script>window.__pwned=1;alert(1)</script>" in page.inner_text("#scope")
        assert '"><img src=x onerror="window.__pwned=2">' in page.inner_text("#findings")
        # hovering a node does not execute anything either
        page.hover("#fig-graph .scatterlayer .trace:last-child .point", force=True)
        page.wait_for_timeout(200)
        assert page.evaluate("window.__pwned === undefined")
    finally:
        ctx.close()



def test_hostile_row_names_cut_by_the_page_stay_text(browser, hostile_report):
    """In a narrow window the page's script cuts the matrix's row names (escaped, as plotly reads
    them) shorter: a tampered name is cut as read and written back escaped, text, never markup."""
    ctx, page, seen, _ = open_offline(browser, hostile_report)
    try:
        page.set_viewport_size({"width": 480, "height": 800})
        page.wait_for_timeout(800)
        got = page.evaluate("""() => {
          const d = document.getElementById('fig-reachability'), ticks = d.querySelectorAll('.ytick');
          const read = s => {
            const t = document.createElement('textarea'); t.innerHTML = s; return t.value;
          };
          return {rows: d.data[0].y.map(read), drawn: Array.from(ticks).map(t => t.textContent),
                  elements: Array.from(ticks)
                    .flatMap(t => Array.from(t.querySelectorAll('*')).map(e => e.tagName))};
        }""")
        assert len(got["rows"]) == len(got["drawn"]) >= 2
        assert any("<" in r or "&" in r or '"' in r for r in got["rows"])  # the tampered names
        cut = [(r, d) for r, d in zip(got["rows"], got["drawn"], strict=True) if r != d]
        # the tampered pod's name among them (evil/"><img src=x onerror=...>: evil/"…ed=2">)
        assert any("<img" in row for row, _ in cut), cut
        for row, drawn in cut:
            head, _, tail = drawn.partition("\u2026")
            assert row.startswith(head) and row.endswith(tail), (row, drawn)
        assert set(got["elements"]) <= {"text", "tspan"}
        assert page.evaluate("window.__pwned === undefined")
        assert seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()

@pytest.mark.slow
def test_large_report_renders(browser, tmp_path):
    """A ~2,000-workload synthetic cluster: the report stays small and every figure renders.

    How fast it opens is measured by bench/bench_report.py, not asserted here.
    """
    import k8sviz
    from k8sviz.synth import generate_cluster, write_cluster

    src = tmp_path / "big.json"
    write_cluster(src, generate_cluster(pods=6800, policies=700, seed=3), fmt="json")
    snap = k8sviz.load(src)
    assert len(snap.workloads) >= 1500
    out = k8sviz.report(snap, output=tmp_path / "big.html")
    assert out.stat().st_size < 12_000_000
    ctx, page, seen, url = open_offline(browser, out)
    try:
        page.wait_for_selector("#fig-graph .main-svg", timeout=60_000)
        page.wait_for_selector("#fig-reachability .main-svg", timeout=60_000)
        assert seen["errors"] == [] and seen["console"] == []
        assert _non_data(seen["requests"], url) == []
    finally:
        ctx.close()


@pytest.mark.slow
def test_exported_notebook_shows_figures_offline(browser, tmp_path):
    """``jupyter nbconvert --to html --no-input --execute`` with the k8sviz template works offline."""
    pytest.importorskip("nbconvert")
    import k8sviz.notebook

    root = Path(__file__).resolve().parents[2]
    src = tmp_path / "02-segmentation.ipynb"
    shutil.copy(root / "notebooks" / "02-segmentation.ipynb", src)
    env = dict(os.environ, PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "nbconvert",
        "--to",
        "html",
        "--no-input",
        "--execute",
        *k8sviz.notebook.nbconvert_args(),
        "--output-dir",
        str(tmp_path),
        str(src),
    ]
    subprocess.run(cmd, check=True, env=env, cwd=tmp_path, capture_output=True, timeout=300)
    html_path = tmp_path / "02-segmentation.html"
    text = html_path.read_text()
    import re

    assert not re.search(r"""<(script|link|img|iframe)\b[^>]*(src|href)=["']?https?:""", text)
    ctx, page, seen, url = open_offline(browser, html_path)
    try:
        n_figs = page.locator(".plotly-graph-div").count()
        assert n_figs == 3
        page.wait_for_function(f"document.querySelectorAll('.plotly-graph-div .main-svg').length >= {n_figs}")
        assert _non_data(seen["requests"], url) == []
        assert seen["errors"] == []
    finally:
        ctx.close()


def test_changes_since_the_baseline_in_a_browser(browser, tmp_path):
    """The demo's remediation as the assessor sees it: the nav link, the tables, no script."""
    import k8sviz

    out = k8sviz.report(k8sviz.demo_path("remediated.k8sviz.json"), baseline=k8sviz.demo_path("cluster"),
                        zones=k8sviz.demo_path("zones.yaml"), output=tmp_path / "r.html")
    want = k8sviz.reachability_diff(k8sviz.reachability(k8sviz.demo()),
                                    k8sviz.reachability(k8sviz.load(k8sviz.demo_path("remediated.k8sviz.json"))))
    ctx, page, seen, url = open_offline(browser, out)
    try:
        page.click('nav a[href="#changes"]')
        assert page.evaluate("location.hash") == "#changes"
        assert page.locator("#connection-changes tbody tr").count() == len(want)
        assert page.locator("#policy-changes tbody tr").count() == 5
        text = page.inner_text("#changes")
        assert "No opened connection touches a sensitive zone (pci)" in text
        assert "shop/recommendation-egress-ml-api egress[0]" in text
        # The remediation resolves findings and narrows some: none opens anything.
        assert page.locator("#finding-changes tbody tr").count() > 20
        assert "none opens anything" in page.inner_text("#finding-changes-summary")
        assert "resolved" in page.inner_text("#finding-changes") and "new" not in page.locator(
            "#finding-changes tbody tr td:first-child").all_inner_texts()
        assert page.locator("#fig-changes .main-svg").count() >= 1  # the figure renders
        assert seen["errors"] == [] and seen["console"] == []
        assert _non_data(seen["requests"], url) == []
    finally:
        ctx.close()


def test_namespace_pairs_csv_downloads_offline(browser, tmp_path, monkeypatch):
    """The CSV behind the appendix's link is saved from the page itself, under its CSP, offline."""
    import json
    import re

    import k8sviz
    from k8sviz.report import _render

    monkeypatch.setattr(_render, "NAMESPACE_ROWS", 2)
    out = k8sviz.report(k8sviz.demo(), output=tmp_path / "r.html")
    page_text = out.read_text()
    embedded = json.loads(re.search(r'id="allowed-ns-csv">(.*?)</script>', page_text, re.S).group(1))
    ctx, page, seen, url = open_offline(browser, out)
    try:
        for _ in range(2):  # the second click saves the file made by the first
            with page.expect_download() as d:
                page.click("a.csv-download")
            dl = d.value
            assert dl.suggested_filename == "allowed-namespace-pairs.csv"
            assert Path(dl.path()).read_bytes().decode("utf-8") == embedded
        assert embedded.count("\r\n") > 3
        assert seen["errors"] == [] and seen["console"] == [] and seen["dialogs"] == []
        assert _non_data(seen["requests"], url) == []
    finally:
        ctx.close()


def test_csv_download_of_hostile_cells_is_inert(browser, tmp_path):
    """Cells that would close the script element or run as markup: saved verbatim, never run."""
    import pandas as pd

    from k8sviz.viz.html import CSV_DOWNLOAD_JS, csv_download, csv_text

    from ..viz.conftest import HOSTILE, HOSTILE2

    df = pd.DataFrame({"name": [HOSTILE, HOSTILE2, "</script><script>alert(1)</script>", "=1+1"]})
    csp = ("default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
           "img-src data: blob:")
    path = tmp_path / "t.html"
    path.write_text(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" '
        f'content="{csp}"></head><body><p>{csv_download(df, element_id="c", filename="c.csv", label="save")}</p>'
        f"<script>{CSV_DOWNLOAD_JS}</script></body></html>",
        encoding="utf-8",
    )
    ctx, page, seen, url = open_offline(browser, path, wait_for="a.csv-download")
    try:
        assert page.locator("script").count() == 2 and page.locator("img").count() == 0
        with page.expect_download() as d:
            page.click("a.csv-download")
        assert Path(d.value.path()).read_bytes().decode("utf-8") == csv_text(df)
        page.wait_for_timeout(200)
        assert seen["dialogs"] == [] and seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()


def test_a_compressed_csv_is_unpacked_and_saved_by_the_page(browser, tmp_path, monkeypatch):
    """A CSV carried gzip-compressed: the first click unpacks it in the page and saves it, the
    second saves the same file; under the report's CSP, offline, nothing run from the cells."""
    import pandas as pd

    from k8sviz.viz import html as html_mod
    from k8sviz.viz.html import CSV_DOWNLOAD_JS, csv_download, csv_text

    from ..viz.conftest import HOSTILE, HOSTILE2

    monkeypatch.setattr(html_mod, "GZIP_FROM_CHARS", 1)
    df = pd.DataFrame({"name": [HOSTILE, HOSTILE2, "</script><script>alert(1)</script>", "=1+1", "é ü 日本"] * 50})
    link = csv_download(df, element_id="c", filename="c.csv", label="save")
    assert 'data-encoding="gzip"' in link
    csp = ("default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
           "img-src data: blob:")
    path = tmp_path / "t.html"
    path.write_text(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" '
        f'content="{csp}"></head><body><p>{link}</p><script>{CSV_DOWNLOAD_JS}</script></body></html>',
        encoding="utf-8",
    )
    ctx, page, seen, url = open_offline(browser, path, wait_for="a.csv-download")
    try:
        for _ in range(2):
            with page.expect_download() as d:
                page.click("a.csv-download")
            assert d.value.suggested_filename == "c.csv"
            assert Path(d.value.path()).read_bytes().decode("utf-8") == csv_text(df)
        page.wait_for_timeout(200)
        assert page.locator("img").count() == 0
        assert seen["dialogs"] == [] and seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()


def test_the_graph_says_in_the_browser_which_edges_it_left_out(browser, tmp_path, monkeypatch):
    import k8sviz
    from k8sviz.report import _render

    monkeypatch.setattr(_render, "GRAPH_EDGES", 5)
    out = k8sviz.report(k8sviz.demo(), zones=k8sviz.demo_path("zones.yaml"), output=tmp_path / "r.html")
    ctx, page, seen, url = open_offline(browser, out)
    try:
        page.wait_for_selector("#fig-graph .main-svg")
        notes = [t for t in page.locator("#fig-graph .annotation").all_text_contents() if "edges drawn" in t]
        assert len(notes) == 1
        assert notes[0].startswith("5 of ") and "(max_edges=5), only 5 of the 40 violating edges" in notes[0]
        assert page.locator("#fig-graph .scatterlayer .trace .point").count() > 5  # every node drawn
        assert "only 5 of the 40 violating ones" in page.inner_text("#graph-edges-left-out")
        assert seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()


def test_violations_csv_of_hostile_names_downloads_offline_and_inert(browser, hostile_cut):
    """The violations' CSV, with a pod name that closes a script element, an <img onerror> and a
    formula-named namespace: saved verbatim (the formula quoted) from the page, nothing run."""
    import json
    import re

    from .conftest import CLOSER, FORMULA

    out, v = hostile_cut
    embedded = json.loads(re.search(r'id="violations-csv">(.*?)</script>', out.read_text(), re.S).group(1))
    assert f"'{FORMULA}/{CLOSER}" in embedded and '"><img src=x onerror=' in embedded
    ctx, page, seen, url = open_offline(browser, out)
    try:
        with page.expect_download() as d:
            page.click("#violations-download a.csv-download")
        assert d.value.suggested_filename == "segmentation-violations.csv"
        assert Path(d.value.path()).read_bytes().decode("utf-8") == embedded
        assert embedded.count("\r\n") == len(v) + 1
        page.wait_for_timeout(200)
        assert page.evaluate("window.__pwned === undefined")
        assert page.locator("img").count() == 0
        assert seen["errors"] == [] and seen["console"] == [] and seen["dialogs"] == []
        assert _non_data(seen["requests"], url) == []
    finally:
        ctx.close()


_CLIPPED = ("Array.from(document.querySelectorAll('.table-wrap'))"
            ".filter(w => w.scrollHeight > w.clientHeight + 1 || w.scrollWidth > w.clientWidth + 1).length")
_FIG_WIDTHS = "Array.from(document.querySelectorAll('.js-plotly-plot')).map(d => d._fullLayout.width)"
_FIG_HEIGHTS = "Array.from(document.querySelectorAll('.js-plotly-plot')).map(d => d._fullLayout.height)"
_OPEN = "Array.from(document.querySelectorAll('details')).map(d => d.open)"


def test_the_report_prints_every_row_and_fits_its_figures(browser, tmp_path):
    """Printed or saved as PDF (the auditor's evidence file), no table is a scroll box showing
    its first screen, folded lists open, and each figure is narrowed to what a landscape page
    holds (the workload graph, as high as its labels need on screen, lowered to a page's
    height); after printing, the page is as it was."""
    import k8sviz

    cluster = tmp_path / "cluster"
    shutil.copytree(k8sviz.demo_path("cluster"), cluster)
    (cluster / "odd.yaml").write_text("apiVersion: example.com/v1\nkind: Gizmo\nmetadata: {name: g}\n")
    snap = k8sviz.load(cluster)
    assert [w.code for w in snap.warnings] == ["unknown-kind"]
    out = k8sviz.report(snap, zones=k8sviz.demo_path("zones.yaml"), output=tmp_path / "r.html")
    ctx, page, seen, url = open_offline(browser, out)
    try:
        page.set_viewport_size({"width": 1400, "height": 900})
        page.wait_for_timeout(300)  # the responsive figures follow the window
        assert page.evaluate(_CLIPPED) > 0  # on screen, long tables scroll in their boxes
        screen = page.evaluate(_FIG_WIDTHS)
        assert max(screen) > 960
        heights = page.evaluate(_FIG_HEIGHTS)
        assert max(heights) > 680  # the workload graph
        assert page.evaluate(_OPEN) == [False, False]  # the loader warnings and the policy caveats, folded
        page.emulate_media(media="print")
        assert page.evaluate(_CLIPPED) == 0
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        assert max(page.evaluate(_FIG_WIDTHS)) <= 960 and max(page.evaluate(_FIG_HEIGHTS)) <= 680
        assert page.evaluate(_OPEN) == [True, True]
        pdf = page.pdf(prefer_css_page_size=True)
        assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) >= 10
        page.evaluate("window.dispatchEvent(new Event('afterprint'))")
        page.emulate_media(media="screen")
        page.wait_for_timeout(300)
        assert min(page.evaluate(_FIG_WIDTHS)) > 960  # back to the width of the window's page
        assert page.evaluate(_FIG_HEIGHTS) == heights
        assert page.evaluate(_OPEN) == [False, False]
        assert seen["errors"] == [] and seen["console"] == []
        assert _non_data(seen["requests"], url) == []
    finally:
        ctx.close()
