"""The connection graph as a notebook draws it: the figure's own page, as wide as the window
(no report page round it to cap its width nor script to set its names smaller), in headless
Chromium."""

from __future__ import annotations

import warnings
from pathlib import Path

import networkx as nx
import pytest

import k8sviz

from ..report.test_browser import CHROMIUM, open_offline
from ..report.test_browser_screen import _OVERLAPS, _PLOT_AND_LEGEND
from .conftest import HOSTILE, HOSTILE2

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed"),
]


def _page(tmp_path: Path, figures: dict[str, object]) -> Path:
    """One page of figures, each as wide as the window (Plotly's responsive figure, offline)."""
    parts = [fig.to_html(full_html=False, include_plotlyjs=i == 0, div_id=fid,  # type: ignore[attr-defined]
                         config={"responsive": True})
             for i, (fid, fig) in enumerate(figures.items())]
    out = tmp_path / "figures.html"
    out.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body style='margin:0'>"
                   + "".join(parts) + "</body></html>", encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def demo_figures(tmp_path_factory) -> Path:
    """The demo's graph (its flows and zones, as the report draws it) by workload, zone and
    namespace."""
    snap = k8sviz.demo()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        flows = k8sviz.load_flows(k8sviz.demo_path("flows"), snapshot=snap)
    G = k8sviz.graph(snap, flows=flows, zones=k8sviz.demo_path("zones.yaml"))
    return _page(tmp_path_factory.mktemp("widths"), {
        "fig-graph": k8sviz.network_figure(G),
        "fig-graph-zones": k8sviz.network_figure(G, aggregate="zone"),
        "fig-graph-ns": k8sviz.network_figure(G, aggregate="namespace"),
    })


_FIGURES = ("fig-graph", "fig-graph-zones", "fig-graph-ns")


@pytest.mark.parametrize("width", [1280, 1600, 1920])
def test_no_two_labels_overlap_in_a_wide_figure(browser, demo_figures, width):
    """Drawn wider than the report draws it (a wide notebook), the workload graph keeps the
    size it is laid out at (the plot as wide as high) and the rings theirs: no two names
    overlap, nor a name a namespace's title."""
    ctx, page, seen, _ = open_offline(browser, demo_figures)
    try:
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_timeout(500)
        for fig in _FIGURES:
            found = page.evaluate(_OVERLAPS, fig)
            assert len(found["labels"]) >= {"fig-graph": 25, "fig-graph-zones": 6, "fig-graph-ns": 7}[fig]
            assert found["over"] == [], fig
            assert page.evaluate("id => document.getElementById(id)._fullLayout.width", fig) == width
        # the names the figure writes for a notebook's narrowest cell (no script runs there):
        # each whole or cut in its middle, the longest crowded ones cut
        labels = set(page.evaluate(_OVERLAPS)["labels"])
        assert {"shop", "kube-system", "redis-cart", "recomme…service"} <= labels
        assert "recommendationservice" not in labels
        assert seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()


def _cut_from(label: str, names: set[str]) -> bool:
    head, cut, tail = label.partition("…")
    return label in names or (cut != "" and any(n.startswith(head) and n.endswith(tail) for n in names))


@pytest.mark.parametrize("width", [600, 800])
def test_a_narrow_figure_gives_its_width_to_the_plot(browser, demo_figures, width):
    """In a notebook cell of 600 px the legend on the right took 179 px: the workload graph and
    the rings were drawn 362 px wide (558 at 800 px). Under the plot, its rows take height,
    which a plot as wide as high has to spare: the plot is now the figure's width, margins
    aside (540 and 740 px)."""
    ctx, page, seen, _ = open_offline(browser, demo_figures)
    try:
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_timeout(500)
        for fig in _FIGURES:
            got = page.evaluate(_PLOT_AND_LEGEND, fig)
            _, plot_width, top, plot_height = got["plot"]
            assert plot_width == width - 60, (fig, got)  # the margins: 40 and 20 px
            assert round(got["axis"]) == round(min(plot_width, plot_height)), (fig, got)
            assert got["legend"][1] >= top + plot_height - 1, (fig, got)
        assert seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()


#: The white under the figure ``id``'s legend, the legend's height, the plot's axes' lengths.
_UNDER_LEGEND = """id => {
  const d = document.getElementById(id), fl = d._fullLayout;
  const f = d.querySelector('.main-svg').getBoundingClientRect();
  const l = d.querySelector('.legend').getBoundingClientRect();
  return {white: f.bottom - l.bottom, legend: l.height, axes: [fl.xaxis._length, fl.yaxis._length]};
}"""


@pytest.mark.parametrize("width", [480, 800, 1280, 1920])
def test_no_white_under_the_legend(browser, demo_figures, width):
    """The figure's margin held the legend's rows as a narrow figure wraps them: a wide one's
    legend in one row left 99 px of white under it (a ring's, 41 under the workload graph's).
    The margin holds one row, Plotly lowers it by those a narrower legend takes, and the plot
    has the rest: a ring at 1280 px is drawn 557 px high, not 470."""
    ctx, page, seen, _ = open_offline(browser, demo_figures)
    try:
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_timeout(500)
        for fig in _FIGURES:
            got = page.evaluate(_UNDER_LEGEND, fig)
            assert got["white"] <= 15, (fig, got)
            if width >= 1280:
                least = 800 if fig == "fig-graph" else 540
                assert got["legend"] < 40 and min(got["axes"]) > least, (fig, got)
        assert seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()


def test_a_wide_plot_keeps_its_height_with_the_legend_under_it():
    """The figure is made higher by the legend's rows: where the plot is as wide as high, the
    rows the legend takes fit under it, and the plot is as high as the workload graph's layout
    (or a ring's figure as before: 560 px, its margins aside)."""
    snap = k8sviz.demo()
    G = k8sviz.graph(snap, zones=k8sviz.demo_path("zones.yaml"))
    for fig in (k8sviz.network_figure(G), k8sviz.network_figure(G, aggregate="zone")):
        lo = fig.layout
        assert (lo.legend.orientation, lo.legend.y, lo.legend.yanchor) == ("h", 0, "top")
        # the margin holds one row of the legend: Plotly lowers it by the rows it takes
        assert lo.margin.b == 41
        plot = lo.height - lo.margin.t - lo.margin.b
        if lo.xaxis.range is not None and fig.data[-1].meta:  # the workload graph: in pixels
            assert plot >= lo.yaxis.range[1] - lo.yaxis.range[0]
        else:
            assert plot > 560 - 50 - 40  # and the rows a narrow figure's legend takes
    # a height given is the figure's: the legend takes its rows from it
    fig = k8sviz.network_figure(G, height=500)
    assert fig.layout.height == 500 and fig.layout.legend.orientation == "h"



#: Each text the figure ``id`` draws: node names, namespace titles, legend entries.
_TEXTS = """id => Array.from(document.querySelectorAll(
    '#' + id + ' .scatterlayer .textpoint text, #' + id + ' .annotation-text, #' + id + ' .legend .traces'))
  .map(t => t.textContent)"""


def test_names_with_quotes_and_markup_are_drawn_as_written(browser, tmp_path):
    """A name (a tampered dump's) is drawn as its text, quotes included: a double quote read
    ``&quot;`` (plotly.js reads numeric entities, not that one), and markup never runs."""
    G = nx.MultiDiGraph()
    quoted = 'say "hi"'
    G.add_node(f"a/{quoted}", namespace="a", zone=HOSTILE, kind="workload", labels={})
    G.add_node(f"{HOSTILE2}/it's", namespace=HOSTILE2, zone=HOSTILE2, kind="workload", labels={})
    G.add_edge(f"a/{quoted}", f"{HOSTILE2}/it's", kind="allowed", protocol="TCP", ports=[80])
    ctx, page, seen, _ = open_offline(browser, _page(tmp_path, {"g": k8sviz.network_figure(G)}))
    try:
        page.set_viewport_size({"width": 600, "height": 800})
        page.wait_for_timeout(300)
        texts = set(page.evaluate(_TEXTS, "g"))
        assert {quoted, "it's", "a", HOSTILE2, f"zone: {HOSTILE}", f"zone: {HOSTILE2}"} <= texts, texts
        assert not any("&quot;" in t or "&#" in t for t in texts), texts
        page.hover("#g .scatterlayer .trace:last-child .point", force=True)
        page.wait_for_timeout(200)
        hover = page.evaluate("Array.from(document.querySelectorAll('#g .hovertext'))"
                              ".map(t => t.textContent)")
        assert any(f"a/{quoted}" in h and HOSTILE in h for h in hover), hover
        assert page.evaluate("window.__pwned === undefined && document.querySelectorAll('img').length === 0")
        assert seen["dialogs"] == [] and seen["errors"] == []
    finally:
        ctx.close()


def _cell(tmp_path: Path, fig: object, width: int) -> Path:
    """The figure as JupyterLab's plotly renderer draws it: plotly's own output (no report page
    round it, none of its scripts) responsive in an element ``width`` px wide, a cell's."""
    part = fig.to_html(full_html=False, include_plotlyjs=True, div_id="cell",  # type: ignore[attr-defined]
                       config={"responsive": True})
    out = tmp_path / "cell.html"
    out.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body style='margin:0'>"
                   f"<div style='width:{width}px'>{part}</div></body></html>", encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def notebook_graphs() -> dict[str, nx.MultiDiGraph]:
    """The workload graphs the notebooks draw: the quickstart's (policy only), the flows
    notebook's (policy and flows) and the report's (flows and zones)."""
    snap = k8sviz.demo()
    reach = k8sviz.reachability(snap)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        flows = k8sviz.load_flows(k8sviz.demo_path("flows"), snapshot=snap)
    return {"quickstart": k8sviz.graph(snap, reach=reach),
            "flows": k8sviz.graph(snap, reach=reach, flows=flows),
            "zones": k8sviz.graph(snap, flows=flows, zones=k8sviz.demo_path("zones.yaml"))}


@pytest.mark.parametrize("width", [480, 520, 600])
@pytest.mark.parametrize("which", ["quickstart", "flows", "zones"])
def test_no_two_names_overlap_in_a_notebook_cell(browser, tmp_path, notebook_graphs, which, width):
    """In a notebook cell the workload graph is drawn at half to two thirds of the pixels it is
    laid out in, its names at their own size (no report script sets them smaller): eight pairs
    of the flows notebook's names were written over each other at 480 px, four at 520, one at
    600 (in the crowded shop namespace, and the nodes' and the kube-system's titles).  The
    figure now writes only what fits the narrowest cell: a name that would meet another or a
    title is cut in its middle (``…``) or left to the hover, which names every node in full."""
    G = notebook_graphs[which]
    fig = k8sviz.network_figure(G)
    ctx, page, seen, _ = open_offline(browser, _cell(tmp_path, fig, width))
    try:
        page.set_viewport_size({"width": 1000, "height": 800})
        page.wait_for_timeout(500)
        assert page.evaluate("document.getElementById('cell')._fullLayout.width") == width
        found = page.evaluate(_OVERLAPS, "cell")
        assert found["over"] == []
        # every drawn name is a node's (or a group's title), whole or cut; most are written
        names = ({str(n).rsplit("/", 1)[-1] for n in G}
                 | {f"external: {c}" for c in ("internet", "private", "metadata")})
        groups = {str(d.get("namespace") or "") for _, d in G.nodes(data=True)} | {"(external)", "(nodes)"}
        written = [t for t in found["labels"] if t not in groups]
        assert all(_cut_from(t, names) for t in written), written
        assert len(written) >= 0.8 * len([t for t in fig.data if t.mode == "markers+text" for _ in t.x])
        # every node is named in full in the hover
        hover = " ".join(h for t in fig.data if t.mode == "markers+text" for h in t.hovertext)
        assert "shop/recommendationservice" in hover and "shop/productcatalogservice" in hover
        assert seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()


#: The figure's title and the figure, each's box: [left, top, right, bottom].
_TITLE_BOX = """id => {
  const box = b => [b.left, b.top, b.right, b.bottom];
  const fig = document.getElementById(id);
  return {title: box(fig.querySelector('.gtitle').getBoundingClientRect()),
          figure: box(fig.querySelector('.main-svg').getBoundingClientRect()),
          lines: fig.querySelectorAll('.gtitle tspan.line').length};
}"""


@pytest.fixture(scope="module")
def matrix_figures(tmp_path_factory) -> tuple[Path, Path, dict[str, object]]:
    """The demo's segmentation and matrix, and a matrix cut to its busiest namespaces (its
    title has a note under it), as a notebook draws them; and the demo's report."""
    snap = k8sviz.demo()
    reach = k8sviz.reachability(snap)
    seg = k8sviz.segmentation(snap, reach, k8sviz.demo_path("zones.yaml"))
    frame = reach.to_frame(level="workload")
    figs = {"seg": k8sviz.segmentation_heatmap(seg),
            "matrix": k8sviz.reachability_matrix(frame),
            "cut": k8sviz.reachability_matrix(frame, max_labels=5, max_namespaces=3)}
    where = tmp_path_factory.mktemp("titles")
    report = k8sviz.report(snap, zones=k8sviz.demo_path("zones.yaml"), output=where / "r.html",
                           generated_at="x")
    return _page(where, figs), report, figs


@pytest.mark.parametrize("width", [480, 1280])
@pytest.mark.parametrize("where", ["notebook", "report"])
def test_a_title_fits_a_narrow_figure(browser, matrix_figures, where, width):
    """Plotly writes a title on one line however long: in a 480 px window the segmentation's
    (63 characters, 577 px) ran past the report's figure (392 px) and a notebook's, the
    matrix's too.  They are now written in lines that fit a 392 px figure, and the matrix's
    note under its title too."""
    page_path, report, figs = matrix_figures
    assert "<sup>" in figs["cut"].layout.title.text  # the figure with a note
    ids = {"notebook": ("seg", "matrix", "cut"), "report": ("fig-segmentation", "fig-reachability")}[where]
    ctx, page, seen, _ = open_offline(browser, page_path if where == "notebook" else report)
    try:
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_timeout(500)
        for fig in ids:
            got = page.evaluate(_TITLE_BOX, fig)
            (left, top, right, bottom), (f_left, f_top, f_right, _) = got["title"], got["figure"]
            assert f_left <= left and right <= f_right and f_top <= top, (fig, got)
            assert got["lines"] >= 2, (fig, got)
            # and clear of the plot's labels under it: no title line over a tick label
            ticks = page.evaluate("""id => Array.from(document.querySelectorAll('#' + id + ' .xtick text'))
                .map(t => t.getBoundingClientRect().top)""", fig)
            assert all(bottom <= t + 1 for t in ticks), (fig, got, ticks)
        assert seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()


def test_the_matrix_keeps_its_grid_in_a_narrow_window(browser, matrix_figures):
    """In a 480 px window the report draws the matrix 392 px wide, and the demo's row names (up
    to 38 characters) took 267 px of it: its grid was 75 px wide.  A name longer than 140 px is
    now written cut in its middle (by the report's page shorter still, in so narrow a window),
    whole in the hover."""
    _, report, _ = matrix_figures
    ctx, page, seen, _ = open_offline(browser, report)
    try:
        page.set_viewport_size({"width": 480, "height": 800})
        page.wait_for_timeout(500)
        fl = "document.getElementById('fig-reachability')._fullLayout"
        width, grid = page.evaluate(f"[{fl}.width, {fl}.xaxis._length]")
        assert width < 400 and grid >= 0.4 * width, (width, grid)
        rows = page.evaluate("Array.from(document.querySelectorAll('#fig-reachability .ytick text'))"
                             ".map(t => [t.textContent, t.getBoundingClientRect().left])")
        assert all(left >= 0 for _, left in rows)
        # cut in its middle: by the figure past 140 px, shorter still by the page at this width
        whole = "ingress-nginx/ingress-nginx-controller"
        assert any(t != whole and t.partition("…")[1] and whole.startswith(t.partition("…")[0])
                   and whole.endswith(t.partition("…")[2]) for t, _ in rows), rows
        # the cut row's hover names it whole
        y = page.evaluate(f"{fl}.yaxis.tickvals.indexOf('ingress-nginx/ingress-nginx-controller')")
        assert y >= 0
        page.evaluate(f"""() => {{ const d = document.getElementById('fig-reachability');
            const x = d.data[0].z[{y}].findIndex(v => v !== null);
            Plotly.Fx.hover(d, {{xval: x, yval: {y}}}); }}""")
        page.wait_for_timeout(200)
        hover = page.evaluate("Array.from(document.querySelectorAll('#fig-reachability .hovertext'))"
                              ".map(t => t.textContent)")
        assert any("ingress-nginx/ingress-nginx-controller →" in h for h in hover), hover
        assert seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()
