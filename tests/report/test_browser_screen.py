"""The demo report as an auditor reads it on a 1280 px wide screen, in headless Chromium: every
table fits the page (no box scrolled sideways), and the printed layout still fits its pages."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import k8sviz

from .test_browser import CHROMIUM, browser, open_offline  # noqa: F401 (the fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed"),
]

#: Each table wider than the box it is in: id, its width, the box's.
_WIDE_TABLES = """() => Array.from(document.querySelectorAll('table'))
    .map(t => [t.id || t.className, t.scrollWidth, t.parentElement.clientWidth])
    .filter(([, w, room]) => w > room)"""
_PAGE_WIDTH = "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"

@pytest.fixture(scope="module")
def demo_report(tmp_path_factory) -> Path:
    """The README's first command's report (the demo cluster, its flows and zones)."""
    out = tmp_path_factory.mktemp("screen") / "r.html"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        flows, zones = k8sviz.demo_path("flows"), k8sviz.demo_path("zones.yaml")
        return k8sviz.report(k8sviz.demo(), flows=flows, zones=zones, output=out, generated_at="x")


def test_every_table_fits_a_1280_px_screen(browser, demo_report):  # noqa: F811
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
