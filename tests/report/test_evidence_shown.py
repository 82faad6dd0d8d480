"""A finding's evidence in the report: without the keys that hold nothing (the CSV keeps them)."""

from __future__ import annotations

import html
import re
import warnings

import pytest

import k8sviz
from k8sviz.cli import main

from .conftest import demo_report_html, unwrapped


@pytest.fixture(scope="module")
def demo_findings() -> str:
    """The findings table of the README's first command's report."""
    return unwrapped(demo_report_html()).split('id="findings-table"', 1)[1].split("</table>", 1)[0]


def test_evidence_on_the_page_leaves_out_empty_keys(demo_findings):
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", demo_findings.split("<tbody>", 1)[1], re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", r, re.S) for r in rows]
    evidence = {(c[0], c[2], c[3]): html.unescape(c[-1]) for c in cells if len(c) == 7}
    for text in evidence.values():
        # no key=[], key={}, or key= with nothing after it
        assert not re.search(r"\w=(?:\[\]|\{\}|(?=, )|$)", text), text
        assert "expired_exceptions" not in text or "expired_exceptions=[" in text
    # the hostNetwork node agent into the card vault: no rule opens it, which is the evidence
    vault = evidence[("zone-violation", "pci", "card-vault")]
    assert "rules=none" in vault and "policies=none" in vault and "expired_exceptions" not in vault
    unused = next(t for (f, _, _), t in evidence.items() if f == "allowed-but-unused")
    assert "first_seen" not in unused and "sample" not in unused and "flows=0" in unused


def test_evidence_in_csv_keeps_every_key(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        main(["gaps", str(k8sviz.demo_path("cluster")), "--zones", str(k8sviz.demo_path("zones.yaml")),
              "--flows", str(k8sviz.demo_path("flows")), "--format", "csv"])
    out = capsys.readouterr().out
    assert "expired_exceptions=[]" in out and "rules=[]" in out and "first_seen=," in out
    assert "=none" not in out
