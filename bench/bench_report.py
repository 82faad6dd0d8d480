"""Report speed: build the audit report of a ~2,000-workload cluster and open it in Chromium.

    python bench/bench_report.py [--pods 6800] [--policies 700] [--zones] [--no-steps] [--no-browser]
                                 [--keep PATH] [--print]

Prints build time, file size and the size of each figure and CSV file in the page, and the time
until every figure has rendered in headless Chromium (Debian's /usr/bin/chromium, or
$K8SVIZ_CHROMIUM, through Playwright), offline (with ``--print``, then the
time to print it to PDF as a browser's "Save as PDF" does, and the pages); then the steps that weigh
most in the build, each timed alone on the same cluster (the engine, the workload graph and its
namespace-level figure; and what the report does instead above 150 nodes: the graph without its
allowed edges, those as codes, and the namespace-level figure drawn from them).
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("K8SVIZ_CHROMIUM") or "/usr/bin/chromium"  # as the browser tests take it
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pods", type=int, default=6800)
    ap.add_argument("--policies", type=int, default=700)
    ap.add_argument("--zones", action="store_true",
                    help="also give the report zones: one per namespace env label, the first sensitive")
    ap.add_argument("--no-steps", action="store_true",
                    help="leave out the steps timed alone (they build a second engine and graph)")
    ap.add_argument("--no-browser", action="store_true", help="do not open the report in Chromium")
    ap.add_argument("--keep", type=Path, help="also copy the report to this file")
    ap.add_argument("--print", action="store_true",
                    help="also print the opened report to PDF (as 'Save as PDF' does): time and pages")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    import k8sviz
    from k8sviz.synth import generate_cluster, write_cluster

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "cluster.json"
        write_cluster(src, generate_cluster(pods=args.pods, policies=args.policies, seed=3), fmt="json")
        t = time.perf_counter()
        snap = k8sviz.load(src)
        t_load = time.perf_counter() - t
        zones = None
        if args.zones:
            envs = sorted({n.labels["env"] for n in snap.namespaces if n.labels.get("env")})
            zones = k8sviz.load_zones({
                "zones": {e: {"namespaceSelector": {"matchLabels": {"env": e}}, "sensitive": i == 0}
                          for i, e in enumerate(envs)},
                "allow": [{"from": envs[0], "to": envs[-1], "ports": ["TCP/443"], "justification": "bench"}],
            })
        t = time.perf_counter()
        out = k8sviz.report(snap, zones=zones, output=Path(tmp) / "report.html")
        t_build = time.perf_counter() - t
        # The report pauses the cyclic GC: what it leaves to collect is paid here, not hidden.
        t = time.perf_counter()
        left = gc.collect()
        t_left = time.perf_counter() - t
        # Peak of the whole process so far: the synthetic cluster, the load and the build.
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        zoned = "" if zones is None else f", zones: {len(zones.zones)} ({next(iter(zones.zones))} sensitive)"
        print(f"{len(snap.workloads)} workloads, {len(snap.pods)} pods, "
              f"{len(snap.network_policies)} policies{zoned}")
        print(f"{'stage':<28}{'value':>10}")
        print(f"{'load (s)':<28}{t_load:>10.2f}")
        print(f"{'report build (s)':<28}{t_build:>10.2f}")
        print(f"{'then gc.collect() (s)':<28}{t_left:>10.2f}   ({left:,} objects freed)")
        print(f"{'peak RSS, to here (GiB)':<28}{peak:>10.2f}")
        print(f"{'report size (MiB)':<28}{out.stat().st_size / 2**20:>10.1f}", flush=True)
        page = out.read_text(encoding="utf-8")
        for div, size in _figure_sizes(page) + _csv_sizes(page):
            print(f"  {div + ' (MiB)':<26}{size / 2**20:>10.2f}")
        del page
        if args.keep is not None:
            shutil.copyfile(out, args.keep)
        if not args.no_steps:
            _steps(k8sviz, snap)
        if not args.no_browser:
            from playwright.sync_api import sync_playwright

            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page()
                t = time.perf_counter()
                page.goto(out.as_uri(), timeout=600_000)  # a big page on a loaded machine: minutes
                n = page.evaluate("document.querySelectorAll('.plotly-graph-div').length")
                page.wait_for_function(
                    f"document.querySelectorAll('.plotly-graph-div .main-svg').length >= {n}", timeout=120_000
                )
                t_open = time.perf_counter() - t
                pdf = b""
                if args.print:
                    t = time.perf_counter()
                    page.emulate_media(media="print")
                    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
                    pdf = page.pdf(prefer_css_page_size=True)
                    t_print = time.perf_counter() - t
                browser.close()
            print(f"{'open in Chromium, ' + str(n) + ' figures (s)':<28}{t_open:>10.2f}")
            if args.print:
                pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
                size = f"{pages:,} pages, {len(pdf) / 2**20:.1f} MiB"
                print(f"{'print to PDF (s)':<28}{t_print:>10.2f}   ({size})")


def _figure_sizes(page: str) -> list[tuple[str, int]]:
    """Each figure's div id and the characters of its script (its data and layout as JSON)."""
    script = re.compile(r'<script>\s*window\.PLOTLYENV.*?Plotly\.newPlot\(\s*"([^"]+)".*?</script>', re.S)
    return [(m.group(1), m.end() - m.start()) for m in script.finditer(page)]


def _csv_sizes(page: str) -> list[tuple[str, int]]:
    """Each CSV file the page carries (its element id, "packed" if gzip-compressed) and the
    characters of its JSON text in the page."""
    element = re.compile(
        r'<script type="application/json" id="([^"]+)"( data-encoding="gzip")?>(.*?)</script>', re.S
    )
    return [(m.group(1) + (", packed" if m.group(2) else ""), len(m.group(3)))
            for m in element.finditer(page)]


def _steps(k8sviz: Any, snap: Any) -> None:
    """The steps that weigh most in the build, timed alone on the same cluster."""
    from k8sviz.analysis.graph import graph_without_allowed
    from k8sviz.viz import network_figure
    from k8sviz.viz._network_frame import aggregated_figure, allowed_edges

    steps: list[tuple[str, float]] = []
    t = time.perf_counter()
    reach = k8sviz.reachability(snap)
    reach.to_frame(level="workload")
    steps.append(("reachability + to_frame", time.perf_counter() - t))
    t = time.perf_counter()
    G = k8sviz.graph(snap, reach=reach, level="workload")
    steps.append((f"graph ({G.number_of_edges():,} edges)", time.perf_counter() - t))
    t = time.perf_counter()
    network_figure(G, aggregate="namespace")
    steps.append(("network_figure, namespaces", time.perf_counter() - t))
    del G
    # what the report does instead above 150 nodes: no graph edge per allowed pair
    t = time.perf_counter()
    base, frame = graph_without_allowed(snap, reach, level="workload")
    allowed = allowed_edges(reach, frame)
    steps.append(("graph without allowed + codes", time.perf_counter() - t))
    t = time.perf_counter()
    if allowed is not None:
        aggregated_figure(base, allowed, by="namespace")
    steps.append(("aggregated_figure, namespaces", time.perf_counter() - t))
    print("steps alone (s):")
    for name, secs in steps:
        print(f"  {name:<36}{secs:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
