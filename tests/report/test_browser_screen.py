"""The demo report as an auditor reads it on a 1280 px wide screen, in headless Chromium: every
table fits the page (no box scrolled sideways), the printed layout still fits its pages, and no
two labels of the workload graph are written over each other."""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import pytest

import k8sviz

from .test_browser import CHROMIUM, open_offline

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed"),
]

#: Each table wider than the box it is in: id, its width, the box's.
_WIDE_TABLES = """() => Array.from(document.querySelectorAll('table'))
    .map(t => [t.id || t.className, t.scrollWidth, t.parentElement.clientWidth])
    .filter(([, w, room]) => w > room)"""
_PAGE_WIDTH = "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"

#: The boxes of the workload graph's texts (node labels and group titles) that overlap another;
#: of another figure's, given its id.
_OVERLAPS = """id => {
  const fig = document.getElementById(id || 'fig-graph');
  const boxes = Array.from(fig.querySelectorAll('.scatterlayer .textpoint text, .annotation-text'))
    .map(t => [t.textContent, t.getBoundingClientRect()]).filter(([, b]) => b.width > 0);
  const over = [];
  boxes.forEach(([a, p], i) => boxes.slice(i + 1).forEach(([b, q]) => {
    if (p.left < q.right && q.left < p.right && p.top < q.bottom && q.top < p.bottom) over.push([a, b]);
  }));
  return {labels: boxes.map(([t]) => t), over: over};
}"""


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory) -> Path:
    """The README's first command's report (the demo cluster, its flows and zones)."""
    out = tmp_path_factory.mktemp("screen") / "r.html"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        flows, zones = k8sviz.demo_path("flows"), k8sviz.demo_path("zones.yaml")
        return k8sviz.report(k8sviz.demo(), flows=flows, zones=zones, output=out, generated_at="x")


def test_every_table_fits_a_1280_px_screen(browser, demo_report):
    ctx, page, seen, _ = open_offline(browser, demo_report)
    try:
        page.set_viewport_size({"width": 1280, "height": 800})
        page.wait_for_timeout(300)
        # the wide ones the demo has (a box scrolled sideways, each, before)
        ids = page.evaluate("Array.from(document.querySelectorAll('table.k8sviz-table')).map(t => t.id)")
        assert {"violations-table", "discrepancies-table", "flow-sources-table", "clock-skew-table",
                "isolation-table", "policy-inventory", "findings-table"} <= set(ids)
        assert page.evaluate(_WIDE_TABLES) == []
        width, room = page.evaluate(_PAGE_WIDTH)
        assert width <= room
        # the cells wrap at the places the page marks, their text as it is
        cell = page.locator("#violations-table td", has_text="shop/recommendationservice").first
        assert cell.inner_text() == "shop/recommendationservice"
        assert cell.evaluate("td => td.getClientRects()[0].height > 0")
        # printed, on a landscape A4 page's width, every table still fits
        page.set_viewport_size({"width": 1047, "height": 718})
        page.emulate_media(media="print")
        page.wait_for_timeout(200)
        assert page.evaluate(_WIDE_TABLES) == []
        assert seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()


@pytest.mark.parametrize("width", [1280, 1600, 1920, 480])
def test_no_two_labels_of_the_workload_graph_overlap(browser, demo_report, width):
    """Wider than the page's 1280 px the figure keeps its size (the page does), and no two names
    overlap; in a 480 px window ``card-vault`` was written over the ``monitoring`` title, the
    plot 158 px wide beside its legend: the legend is now under it."""
    ctx, page, seen, _ = open_offline(browser, demo_report)
    try:
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_timeout(500)  # the responsive figure follows the window
        found = page.evaluate(_OVERLAPS)
        # every workload of the crowded shop namespace is named, and every group
        assert {"recommendationservice", "productcatalogservice", "checkoutservice", "currencyservice",
                "shop", "kube-system", "(nodes)"} <= set(found["labels"])
        assert len(found["labels"]) >= 25
        assert found["over"] == []
        # the page writes every name whole and under its node, where the layout keeps them
        # apart (the figure moves some above or beside theirs to fit a notebook's cell)
        places = page.evaluate("""Array.from(document.getElementById('fig-graph').data)
            .filter(t => t.meta && t.meta.labels_in_pixels)
            .flatMap(t => Array.isArray(t.textposition) ? t.textposition : [t.textposition])""")
        assert len(places) >= 20 and set(places) == {"bottom center"}, places
        assert seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()


@pytest.mark.parametrize("width", [1280, 1600, 1920, 480])
def test_no_two_labels_of_the_zone_graph_overlap(browser, demo_report, width):
    """The zone graph's names, by the measure of the workload graph's: its six zones are named
    and no two names overlap, 1280 px included (its node traces draw no other text, and it
    has no annotation).  In a 480 px window the two lowest zones' names, both under their
    nodes, were written over each other: each name is now written away from the ring's centre,
    where no chord runs either, and drawn whole past the axes."""
    ctx, page, seen, _ = open_offline(browser, demo_report)
    try:
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_timeout(500)
        found = page.evaluate(_OVERLAPS, "fig-graph-zones")
        assert sorted(found["labels"]) == ["dmz", "external", "kube-system", "monitoring", "pci", "shop"]
        assert found["over"] == []
        # every name inside the figure, none cut at the plot's edge
        inside = page.evaluate("""() => {
          const fig = document.getElementById('fig-graph-zones').getBoundingClientRect();
          return Array.from(document.querySelectorAll('#fig-graph-zones .textpoint text')).map(t => {
            const b = t.getBoundingClientRect(), clip = t.closest('[clip-path]');
            return [t.textContent, b.left >= fig.left && b.right <= fig.right, clip === null];
          });
        }""")
        assert all(whole and unclipped for _, whole, unclipped in inside), inside
        assert seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()


@pytest.mark.parametrize("width", [480, 1280, 1920])
def test_no_two_labels_overlap_in_any_figure_of_the_report(browser, demo_report, width):
    """The measure of the graphs' names, on every figure of the page: its texts drawn on the
    plot (node names, cell texts of a scatter) and its notes and titles of groups."""
    ctx, page, seen, _ = open_offline(browser, demo_report)
    try:
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_timeout(500)
        ids = page.eval_on_selector_all(".plotly-graph-div", "els => els.map(e => e.id)")
        assert {"fig-findings", "fig-segmentation", "fig-graph", "fig-graph-zones", "fig-flow-sankey",
                "fig-flow-timeline", "fig-reachability"} <= set(ids)
        found = {fig: page.evaluate(_OVERLAPS, fig) for fig in ids}
        assert sum(len(f["labels"]) for f in found.values()) >= 36  # the graphs' 30 and 6 at least
        assert {fig: f["over"] for fig, f in found.items() if f["over"]} == {}
        assert seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()


#: The tick labels of a figure's axes, those written level (a turned label's box is no measure
#: of its text), that overlap another: their texts.
_TICK_OVERLAPS = """id => {
  const boxes = Array.from(document.querySelectorAll('#' + id + ' .xtick text, #' + id + ' .ytick text'))
    .filter(t => !(t.getAttribute('transform') || '').includes('rotate'))
    .map(t => [t.textContent, t.getBoundingClientRect()]).filter(([, b]) => b.width > 0);
  const over = [];
  boxes.forEach(([a, p], i) => boxes.slice(i + 1).forEach(([b, q]) => {
    if (p.left < q.right && q.left < p.right && p.top < q.bottom && q.top < p.bottom) over.push([a, b]);
  }));
  return {ticks: boxes.length, over: over};
}"""


@pytest.mark.parametrize("width", [480, 1280, 1920])
def test_no_two_tick_labels_overlap_in_the_report(browser, demo_report, width):
    """The flow timeline's first date, two lines under the axes' corner ("Mar 10" over "2024"),
    was written over the 0 of the counts left of it: the dates are set lower."""
    ctx, page, seen, _ = open_offline(browser, demo_report)
    try:
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_timeout(500)
        ids = page.eval_on_selector_all(".plotly-graph-div", "els => els.map(e => e.id)")
        found = {fig: page.evaluate(_TICK_OVERLAPS, fig) for fig in ids}
        assert found["fig-flow-timeline"]["ticks"] >= 8
        assert {fig: f["over"] for fig, f in found.items() if f["over"]} == {}
        assert seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()


#: The matrix's column names as drawn: each turned name's own box (its text's, turned as the
#: page draws it: the box of a turned name on the page's axes covers its neighbours' whatever
#: their room), the pairs of them that overlap (by separating axes: two boxes are apart where
#: some edge's line leaves them on either side), the font size, and the columns' whole names.
_COLUMN_NAMES = """() => {
  const fig = document.getElementById('fig-reachability');
  const boxes = Array.from(fig.querySelectorAll('.xtick text'))
    .filter(t => t.textContent && t.getBoundingClientRect().width > 0).map(t => {
      const b = t.getBBox(), m = t.getScreenCTM();
      const at = (x, y) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f];
      return [t.textContent, [at(b.x, b.y), at(b.x + b.width, b.y), at(b.x + b.width, b.y + b.height),
                              at(b.x, b.y + b.height)]];
    });
  const apart = (p, q) => [p, q].some(box => box.some((a, i) => {
    const b = box[(i + 1) % 4], nx = a[1] - b[1], ny = b[0] - a[0];
    const along = r => r.map(([x, y]) => x * nx + y * ny), P = along(p), Q = along(q);
    return Math.max(...P) <= Math.min(...Q) || Math.max(...Q) <= Math.min(...P);
  }));
  const over = [];
  boxes.forEach(([a, p], i) => boxes.slice(i + 1).forEach(([b, q]) => {
    if (!apart(p, q)) over.push([a, b]);
  }));
  const axis = fig.layout.xaxis;
  return {shown: boxes.map(([t]) => t), over: over, columns: fig.data[0].x,
          written: fig._k8svizColumns ? fig._k8svizColumns.texts : (axis.ticktext || fig.data[0].x),
          font: Math.min(...Array.from(fig.querySelectorAll('.xtick text'))
            .map(t => parseFloat(getComputedStyle(t).fontSize))),
          width: fig._fullLayout.width};
}"""
#: Hover over the matrix's first cell in column ``x``.
_HOVER_COLUMN = """x => {
  const d = document.getElementById('fig-reachability');
  Plotly.Fx.hover(d, {xval: x, yval: d.data[0].z.findIndex(row => row[x] !== null)});
}"""
_HOVER_TEXTS = "Array.from(document.querySelectorAll('#fig-reachability .hovertext')).map(t => t.textContent)"


def _column_names(page) -> dict:
    got = page.evaluate(_COLUMN_NAMES)
    assert len(got["columns"]) == len(got["written"]) == 18  # the demo's workloads and (external)
    return got


@pytest.mark.parametrize("width", [400, 480, 600, 1280])
def test_no_two_column_names_of_the_matrix_overlap(browser, demo_report, width):
    """In a 480 px window the matrix's 18 columns were 9 px apart: their turned names were
    written over each other (17 pairs).  Where they do not fit, the page sets them smaller (down
    to 8 px), and only where that is not enough (a 400 px window) writes every second (third...)
    name, the others told by the hover; where they fit (1280 px, 600 px at 10 px; 480 px at 8,
    the row names cut shorter there giving the grid room) every name is written."""
    ctx, page, seen, _ = open_offline(browser, demo_report)
    try:
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_timeout(500)
        got = _column_names(page)
        assert got["over"] == [], got["over"]
        assert got["font"] >= 8
        # the names written are the columns', in their order
        written = got["written"]
        assert got["shown"] == [w for w in written if w in got["shown"]]
        if width >= 480:
            assert got["shown"] == written
        else:
            hidden = [i for i, w in enumerate(written) if w not in got["shown"]]
            assert hidden, got["shown"]  # 18 names cannot be written apart 9 px from each other
            # a name not written is the hover's, whole
            for i in hidden[:3]:
                page.evaluate(_HOVER_COLUMN, i)
                page.wait_for_timeout(200)  # plotly draws one hover in each 50 ms at most
                hover = page.evaluate(_HOVER_TEXTS)
                assert any(f"→ {got['columns'][i]}" in h for h in hover), (got["columns"][i], hover)
        assert seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()


@pytest.mark.parametrize("window", [480, 1280])
def test_the_matrix_prints_every_column_name(browser, demo_report, window):
    """Printed, the page has no hover: the matrix is drawn at the printed page's 960 px, from a
    narrow window too (it was printed as the window drew it, 392 px wide, its names over each
    other), every column named and none over another; then as the window draws it again."""
    ctx, page, seen, _ = open_offline(browser, demo_report)
    try:
        page.set_viewport_size({"width": window, "height": 800})
        page.wait_for_timeout(500)
        before = _column_names(page)
        page.emulate_media(media="print")
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        page.wait_for_timeout(800)
        got = _column_names(page)
        assert got["width"] == 960
        assert got["over"] == [] and got["shown"] == got["written"]
        page.emulate_media(media="screen")
        page.evaluate("window.dispatchEvent(new Event('afterprint'))")
        page.wait_for_timeout(800)
        after = _column_names(page)
        assert (after["width"], after["shown"], after["over"]) == (before["width"], before["shown"], [])
        assert seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()


#: A figure's plot area and legend as drawn, in pixels from the figure's top left: the
#: figure's width, the plot area's left, width, top and height, the x axis' length (a ring, as
#: wide as high, is drawn that wide), the legend's left, top, right and bottom.
_PLOT_AND_LEGEND = """id => {
  const d = document.getElementById(id), s = d._fullLayout._size, f = d.getBoundingClientRect();
  const l = d.querySelector('.legend').getBoundingClientRect();
  return {width: d._fullLayout.width, plot: [s.l, s.w, s.t, s.h], axis: d._fullLayout.xaxis._length,
          legend: [l.left - f.left, l.top - f.top, l.right - f.left, l.bottom - f.top]};
}"""


@pytest.mark.parametrize("width", [480, 800, 1280])
def test_the_graphs_legends_are_under_their_plots(browser, demo_report, width):
    """On the right, each graph's legend took 179 px of the figure's width: in a 480 px window
    the workload graph and the zone ring were drawn 158 px wide in a 392 px figure, at 800 px
    472 px in 712.  The legend is now in rows under the plot, which has the figure's width
    (margins aside); at 1280 px the workload graph is drawn at the size it is laid out at."""
    ctx, page, seen, _ = open_offline(browser, demo_report)
    try:
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_timeout(500)
        for fig in ("fig-graph", "fig-graph-zones"):
            got = page.evaluate(_PLOT_AND_LEGEND, fig)
            left, plot_width, top, plot_height = got["plot"]
            assert plot_width >= got["width"] - 70, (fig, got)  # its margins: 40 and 20 px
            # the square of its layout as large as the plot: as wide as it is high, or as wide
            assert round(got["axis"]) == round(min(plot_width, plot_height)), (fig, got)
            l_left, l_top, l_right, l_bottom = got["legend"]
            assert l_top >= top + plot_height - 1, (fig, got)  # under the plot, not beside it
            assert l_left >= left - 1 and l_right <= got["width"] and l_bottom <= page.evaluate(
                "id => document.getElementById(id)._fullLayout.height", fig), (fig, got)
        if width >= 1280:  # at its size: a pixel of the layout is one on the screen
            assert page.evaluate(_LABEL_SIZE) and set(page.evaluate(_LABEL_SIZE)) == {9}
        assert seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()


#: The width and height in pixels of the span of a ring's nodes (the figure ``id``'s markers),
#: as drawn.
_RING_SPAN = """id => {
  const pts = Array.from(document.querySelectorAll('#' + id + ' .scatterlayer .point'))
    .map(p => p.getBoundingClientRect()).filter(b => b.width > 0 && b.width < 60);
  const xs = pts.map(b => b.left + b.width / 2), ys = pts.map(b => b.top + b.height / 2);
  return [Math.round(Math.max(...xs) - Math.min(...xs)), Math.round(Math.max(...ys) - Math.min(...ys))];
}"""


def test_the_zone_ring_keeps_its_size_when_the_window_is_resized(browser, demo_report):
    """Plotly kept an axis range it had widened to draw the ring as wide as high: opened at
    1280 px, then drawn at 480 and at 1280 again, the zone ring's nodes spanned 390, 114 and
    122 px (275 at 480 opened so).  The plot is now made narrower or wider, the ranges kept."""
    ctx, page, seen, _ = open_offline(browser, demo_report)
    try:
        spans = []
        for width in (1280, 480, 1280, 1920, 800):
            page.set_viewport_size({"width": width, "height": 800})
            page.wait_for_timeout(600)
            spans.append(page.evaluate(_RING_SPAN, "fig-graph-zones"))
        wide, narrow = spans[0], spans[1]
        assert narrow[0] >= 0.6 * wide[0]  # 332 px of plot at 480 px: 275 of 390
        assert spans[2] == wide and spans[3] == wide and spans[4] == wide, spans
        assert seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()


#: The size of the workload graph's node names, as drawn.
_LABEL_SIZE = """() => Array.from(document.querySelectorAll('#fig-graph .scatterlayer .textpoint text'))
    .map(t => parseFloat(getComputedStyle(t).fontSize)).filter(s => s > 0)"""


def test_graph_labels_keep_apart_in_a_narrow_window_and_in_print(browser, demo_report):
    """The graph is laid out in pixels at its full size: drawn narrower (an 800 px window, a
    printed page's 960 x 680 px), its names were written over each other. They are now set
    smaller by as much, and back to their size when the window grows again."""
    ctx, page, seen, _ = open_offline(browser, demo_report)
    try:
        page.set_viewport_size({"width": 1280, "height": 800})
        page.wait_for_timeout(500)
        assert set(page.evaluate(_LABEL_SIZE)) == {9}
        page.set_viewport_size({"width": 800, "height": 800})
        page.wait_for_timeout(800)
        found = page.evaluate(_OVERLAPS)
        assert len(found["labels"]) >= 25 and found["over"] == []
        narrow = set(page.evaluate(_LABEL_SIZE))
        assert len(narrow) == 1 and 4 < narrow.pop() < 9
        page.set_viewport_size({"width": 1280, "height": 800})
        page.wait_for_timeout(800)
        assert set(page.evaluate(_LABEL_SIZE)) == {9}
        assert page.evaluate(_OVERLAPS)["over"] == []
        # printed: the script before printing draws the figure on a page's 960 x 680 px
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        page.wait_for_timeout(800)
        assert page.evaluate("[document.getElementById('fig-graph')._fullLayout.width, "
                             "document.getElementById('fig-graph')._fullLayout.height]") == [960, 680]
        found = page.evaluate(_OVERLAPS)
        assert len(found["labels"]) >= 25 and found["over"] == []
        assert max(page.evaluate(_LABEL_SIZE)) < 9
        page.evaluate("window.dispatchEvent(new Event('afterprint'))")
        page.wait_for_timeout(800)
        assert set(page.evaluate(_LABEL_SIZE)) == {9}
        assert seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()


#: The inline code names outside tables (legends, notes) drawn on more than one line: each
#: name's text and the number of lines it takes.
_BROKEN_CODE = """() => Array.from(document.querySelectorAll('p code'))
    .filter(c => c.textContent.length <= 40 && !c.closest('table'))
    .map(c => [c.textContent, c.getClientRects().length]).filter(([, n]) => n > 1)"""


def test_short_code_names_in_the_prose_are_not_broken_mid_word(browser, demo_report):
    """``word-break: break-all`` on code cut names at any letter to fill a line: the violations
    legend read "a / llowed_ports" and "expi / red_exceptions".  A name now wraps only where it
    cannot fit a line otherwise."""
    ctx, page, _, _ = open_offline(browser, demo_report)
    try:
        page.set_viewport_size({"width": 1280, "height": 800})
        page.wait_for_timeout(300)
        assert page.evaluate("document.querySelectorAll('#violations-legend code').length") >= 5
        assert page.evaluate(_BROKEN_CODE) == []
    finally:
        ctx.close()


#: Each text a regular expression (``range``) finds in a table cell drawn on more than one line:
#: the table's id, the text and the tops of its lines.  Measured on the text (a DOM range over
#: the cell's text nodes), whatever element holds it.
_SPLIT = r"""range => {
  range = new RegExp(range, 'g');
  const split = [], seen = [];
  document.querySelectorAll('table.k8sviz-table td').forEach(td => {
    const nodes = [], walk = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
    let text = '';
    for (let n = walk.nextNode(); n; n = walk.nextNode()) { nodes.push([n, text.length]); text += n.data; }
    const at = i => {
      let k = nodes.length - 1;
      while (nodes[k][1] > i) k--;
      return [nodes[k][0], i - nodes[k][1]];
    };
    for (const m of text.matchAll(range)) {
      const r = document.createRange();
      r.setStart(...at(m.index));
      r.setEnd(...at(m.index + m[0].length - 1));
      r.setEnd(r.endContainer, r.endOffset + 1);
      const tops = [...new Set(Array.from(r.getClientRects()).filter(b => b.width > 0)
        .map(b => Math.round(b.top)))];
      seen.push(m[0]);
      if (tops.length > 1) split.push([td.closest('table').id, m[0], tops]);
    }
  });
  return {seen: seen, split: split};
}"""
#: A port range (``444-6442``, ``TCP/444-6442``).
_PORT_RANGE = r"(?<![\w.:/-])(?:[A-Za-z]+/)?\d{1,5}-\d{1,5}(?![\w.:/-])"
#: A date (``2024-03-10``), a time of day after a date (``T00:24:36``, `` 12:00:00``) and its
#: UTC offset (``+00:00``).
_DATE_PIECE = r"(?<![\w.:/-])\d{4}-\d\d-\d\d|(?<=\d[T ])\d\d:\d\d(?::\d\d)?|(?<=\d)[+-]\d\d:\d\d(?![\w:])"


#: The lines an element's text is drawn on.
_LINES = """e => { const r = document.createRange(); r.selectNodeContents(e);
  return new Set(Array.from(r.getClientRects()).filter(b => b.width > 0)
    .map(b => Math.round(b.top))).size; }"""


@pytest.mark.parametrize("width", [1280, 480])
def test_no_port_range_is_split_across_lines(browser, demo_report, width):
    """Chromium wrapped ``444-6442`` after its hyphen (``444-`` / ``6442``) in narrow cells: a
    range now stays on one line, a list of ranges wraps between its entries, and the text a
    reader copies is the range as written."""
    ctx, page, seen, _ = open_offline(browser, demo_report)
    try:
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_timeout(300)
        found = page.evaluate(_SPLIT, _PORT_RANGE)
        assert {"444-6442", "1-65535"} <= set(found["seen"])  # the demo's, in several tables
        assert found["split"] == []
        # the violations row of the node agent's egress, its four ranges on more than one line
        cell = page.locator("#violations-table td", has_text="444-6442").first
        assert cell.inner_text() == "1-52, 54-442, 444-6442, 6444-65535"
        if width < 1000:
            assert cell.evaluate(_LINES) > 1
        assert seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()


#: Per row of the flow discrepancies: the most lines a cell of it is drawn on, and under it, per
#: line of its rules and samples: ``name``, its lines, and the ``file:line`` entries of a sample
#: drawn on more than one line (measured on the text, a DOM range over its text nodes).
_DISCREPANCY_LINES = """() => {
  const tops = r => new Set(Array.from(r.getClientRects()).filter(b => b.width > 0)
    .map(b => Math.round(b.top))).size;
  const lines = e => { const r = document.createRange(); r.selectNodeContents(e); return tops(r); };
  const splitEntries = d => {
    const walk = document.createTreeWalker(d, NodeFilter.SHOW_TEXT), nodes = [];
    let all = '';
    for (let n = walk.nextNode(); n; n = walk.nextNode()) { nodes.push([n, all.length]); all += n.data; }
    const pos = i => {
      let k = nodes.length - 1;
      while (nodes[k][1] > i) k--;
      return [nodes[k][0], i - nodes[k][1]];
    };
    const name = d.querySelector('.below-name').textContent, split = [];
    let at = name.length + 1;
    for (const entry of all.slice(at).split(', ')) {
      const start = all.indexOf(entry, at), r = document.createRange();
      r.setStart(...pos(start));
      r.setEnd(...pos(start + entry.length - 1));
      r.setEnd(r.endContainer, r.endOffset + 1);
      if (tops(r) > 1) split.push(entry);
      at = start + entry.length;
    }
    return split;
  };
  const rows = document.querySelectorAll('#discrepancies-table tbody tr:not(.below):not(.more)');
  return Array.from(rows).map(tr => {
    const next = tr.nextElementSibling;
    const fields = next && next.matches('tr.below') ? Array.from(next.querySelectorAll('td > div'))
      .map(d => { const name = d.querySelector('.below-name').textContent;
                  return [name, lines(d), name === 'sample' ? splitEntries(d) : []]; }) : [];
    return [Math.max(...Array.from(tr.children).map(lines)), fields];
  });
}"""


@pytest.fixture(scope="module")
def deep_flows_report(tmp_path_factory) -> Path:
    """The demo report, its flow logs read from a directory 70 characters deeper (CI's clone is
    in a longer directory than a developer's: where a sample's path wrapped depended on it)."""
    root = tmp_path_factory.mktemp("screen-deep")
    flows = root / "a-clone-of-the-project-in-a-longer-directory" / "than-the-developers-one"
    shutil.copytree(k8sviz.demo_path("flows"), flows)
    out = root / "r.html"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        return k8sviz.report(k8sviz.demo(), flows=flows, zones=k8sviz.demo_path("zones.yaml"),
                             output=out, generated_at="x")


@pytest.mark.parametrize("which", ["demo_report", "deep_flows_report"])
def test_flow_discrepancies_read_at_1280_px(browser, which, request):
    """Sixteen narrow columns ran a sample's file path one segment per line and a rule one word
    per line (25 lines a row): the rules and samples go under their row, at the table's width,
    each ``file:line`` of a sample on one line, however long its directory (a sample moves to the
    next line whole, rather than wrapping inside its path)."""
    ctx, page, seen, _ = open_offline(browser, request.getfixturevalue(which))
    try:
        page.set_viewport_size({"width": 1280, "height": 800})
        page.wait_for_timeout(300)
        rows = page.evaluate(_DISCREPANCY_LINES)
        assert len(rows) == 3
        for most, fields in rows:
            assert most <= 5  # the longest: an unused rule's detail (before: 10, a rule 25)
            names = [name for name, _, _ in fields]
            assert names[:3] == ["policy", "direction", "rule"]
            for name, n, split in fields:
                assert split == [], name
                assert n <= {"policy": 2, "direction": 1, "rule": 3, "sample": 3}[name], (name, n)
        samples = [f for _, fields in rows for f in fields if f[0] == "sample"]
        assert len(samples) == 2  # the unused rule's row has none
        assert page.evaluate(_WIDE_TABLES) == []
        assert seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()


@pytest.mark.parametrize("width", [1280, 480])
def test_no_date_nor_time_is_split_across_lines(browser, demo_report, width):
    """Chromium wrapped a date after a hyphen (``2024-`` / ``03-10``) and a time after a colon in
    narrow cells, as it did port ranges: each piece of a timestamp (date, time, offset) now stays
    on one line, a timestamp wraps between them, and its text is copied as written."""
    ctx, page, seen, _ = open_offline(browser, demo_report)
    try:
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_timeout(300)
        found = page.evaluate(_SPLIT, _DATE_PIECE)
        pieces = set(found["seen"])
        # the flow sources', the clock skew's and the findings' times (RFC 3339)
        assert {"2024-03-10", "+00:00"} <= pieces and any(re.fullmatch(r"\d\d:\d\d:\d\d", p) for p in pieces)
        assert found["split"] == []
        cell = page.locator("#clock-skew-table td", has_text=re.compile(r"^2024-03-10T")).first
        assert re.fullmatch(r"2024-03-10T\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)", cell.inner_text())
        assert seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()


#: Each figure's id, its width as drawn and its box's (the figure's div takes its box's width).
_FIGURE_WIDTHS = """() => Array.from(document.querySelectorAll('.js-plotly-plot'))
    .map(d => [d.id, d._fullLayout.width, d.clientWidth])"""
_FIGURES = {"fig-findings", "fig-segmentation", "fig-graph", "fig-graph-zones", "fig-flow-sankey",
            "fig-flow-timeline", "fig-reachability"}


@pytest.mark.parametrize("window", [480, 1280])
def test_every_figure_prints_at_the_pages_width(browser, demo_report, window):
    """Printed from a narrow window, every figure but the matrix kept the window's width (392 px
    from a 480 px window): each is now drawn at the printed page's 960 px whatever the window,
    its names laid out for that width (none over another), and at its box's width after."""
    ctx, page, seen, _ = open_offline(browser, demo_report)
    try:
        page.set_viewport_size({"width": window, "height": 800})
        page.wait_for_timeout(500)
        before = page.evaluate(_FIGURE_WIDTHS)
        assert {fig for fig, _, _ in before} >= _FIGURES
        assert [(fig, w) for fig, w, box in before if w != box] == []
        page.emulate_media(media="print")
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        page.wait_for_timeout(800)
        assert {fig: w for fig, w, _ in page.evaluate(_FIGURE_WIDTHS)} == {fig: 960 for fig, _, _ in before}
        found = {fig: page.evaluate(_OVERLAPS, fig) for fig, _, _ in before}
        assert sum(len(f["labels"]) for f in found.values()) >= 36
        assert {fig: f["over"] for fig, f in found.items() if f["over"]} == {}
        assert {fig: f["over"] for fig, f in
                ((fig, page.evaluate(_TICK_OVERLAPS, fig)) for fig, _, _ in before) if f["over"]} == {}
        page.emulate_media(media="screen")
        page.evaluate("window.dispatchEvent(new Event('afterprint'))")
        page.wait_for_timeout(800)
        assert page.evaluate(_FIGURE_WIDTHS) == before
        assert seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()


@pytest.mark.parametrize("screen_first", [True, False],
                         ids=["screen-then-afterprint", "afterprint-then-screen"])
def test_after_printing_no_figure_is_wider_than_its_box(browser, demo_report, screen_first):
    """A page opened in a 1280 px window, narrowed to 480 px and printed: given back no size
    after printing, plotly drew a figure at the one it first drew it at (1192 px, the window's
    when the page opened) until a later resize corrected it; and an afterprint while the page
    was still laid out for print (as it may come) left the figures at the printed box's 480 px
    in their 392 px boxes.  Each figure is now drawn again at the size it had before printing
    and, once the page is laid out for the screen, at its box's width."""
    ctx, page, seen, _ = open_offline(browser, demo_report)
    try:
        page.set_viewport_size({"width": 480, "height": 800})
        page.wait_for_timeout(500)
        before = page.evaluate(_FIGURE_WIDTHS)
        assert {fig for fig, _, _ in before} >= _FIGURES and {w for _, w, _ in before} == {392}
        page.emulate_media(media="print")
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        page.wait_for_timeout(800)
        if screen_first:
            page.emulate_media(media="screen")
            # as drawn at once, in the task that hands the figures back
            now = page.evaluate("""() => { window.dispatchEvent(new Event('afterprint'));
                return Array.from(document.querySelectorAll('.js-plotly-plot'))
                  .map(d => [d.id, d._fullLayout.width, d.clientWidth]); }""")
            assert now == before
        else:
            page.evaluate("window.dispatchEvent(new Event('afterprint'))")
            page.wait_for_timeout(300)
            page.emulate_media(media="screen")
        page.wait_for_timeout(800)
        assert page.evaluate(_FIGURE_WIDTHS) == before
        assert seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()


#: The matrix's row names as drawn: the grid's left edge and width, each name's text and the
#: right edge of its box, the rows' whole names and the names the figure writes.
_ROW_NAMES = """() => {
  const d = document.getElementById('fig-reachability'), s = d._fullLayout._size;
  const left = d.getBoundingClientRect().left + s.l;
  return {grid: [left, s.w, s.r], width: d._fullLayout.width, rows: d.data[0].y,
          drawn: Array.from(d.querySelectorAll('.ytick text')).filter(t => t.textContent)
            .map(t => [t.textContent, t.getBoundingClientRect().right])};
}"""
#: Hover over the matrix's first cell in row ``y``.
_HOVER_ROW = """y => {
  const d = document.getElementById('fig-reachability');
  Plotly.Fx.hover(d, {yval: y, xval: d.data[0].z[y].findIndex(v => v !== null)});
}"""


@pytest.mark.parametrize("window", [480, 1280])
def test_the_matrix_row_names_leave_the_grid_room(browser, demo_report, window):
    """In a 480 px window the matrix's row names (each up to 140 px, as the figure writes them)
    took 165 of the figure's 392 px, the grid 174.  Where the figure is narrow they are now cut
    shorter in their middle, each still told apart from the others and whole in the hover, and
    none runs into the grid; at 1280 px (and printed, 960 px) they are as the figure writes them."""
    figure = re.search(r'"fig-reachability",.*?"margin":\{[^}]*"l":(\d+)', demo_report.read_text(), re.S)
    assert figure is not None
    left_as_written = int(figure.group(1))
    ctx, page, seen, _ = open_offline(browser, demo_report)
    try:
        page.set_viewport_size({"width": window, "height": 800})
        page.wait_for_timeout(500)
        got = page.evaluate(_ROW_NAMES)
        rows = got["rows"]
        assert len(rows) == len(got["drawn"]) == 17  # the demo's workloads and (external)
        grid_left, grid, right = got["grid"]
        # no name runs into the grid (a pixel for the rounding of its box)
        assert [name for name, end in got["drawn"] if end > grid_left + 1] == []
        drawn = [name for name, _ in got["drawn"]]
        assert len(set(drawn)) == len(rows)  # each row told apart
        if window >= 1280:
            _as_the_figure_writes(got, left_as_written)
        else:
            assert grid >= 1.2 * (got["width"] - left_as_written - right), got  # 229 px of 174
            cut = [i for i, (r, d) in enumerate(zip(rows, drawn, strict=True)) if r != d]
            assert len(cut) >= 10
            for i in cut:
                head, _, tail = drawn[i].partition("…")
                assert rows[i].startswith(head) and rows[i].endswith(tail) and head and tail, drawn[i]
            for i in cut[:3]:
                page.evaluate(_HOVER_ROW, i)
                page.wait_for_timeout(200)  # plotly draws one hover in each 50 ms at most
                hover = page.evaluate(_HOVER_TEXTS)
                assert any(h.startswith(f"{rows[i]} →") for h in hover), (rows[i], hover)
        # printed, at the page's 960 px, as the figure writes them, from either window
        page.emulate_media(media="print")
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        page.wait_for_timeout(800)
        printed = page.evaluate(_ROW_NAMES)
        assert printed["width"] == 960
        _as_the_figure_writes(printed, left_as_written)
        assert seen["errors"] == [] and seen["console"] == []
    finally:
        ctx.close()


def _as_the_figure_writes(got: dict, left: int) -> None:
    """The matrix's row names as the figure writes them: whole, or cut in their middle past
    140 px (the demo's three longest), at the figure's own margin."""
    (_, grid, right), rows = got["grid"], got["rows"]
    drawn = [name for name, _ in got["drawn"]]
    assert got["width"] - left - right == grid
    whole = [r for r, d in zip(rows, drawn, strict=True) if r == d]
    assert len(whole) >= 14 and "shop/checkoutservice" in whole, drawn
    assert all(d == r or (len(d) > 20 and "…" in d) for r, d in zip(rows, drawn, strict=True)), drawn
