"""A finding's evidence as a page shows it: without the keys that hold nothing, or "none" where
that is the evidence; its CSV keeps every key."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from k8sviz.viz.html import csv_text, table_html


def _cell(value, **kw) -> str:
    out = table_html(pd.DataFrame({"c": [value]}), **kw)
    return re.search(r"<td>(.*?)</td>", out).group(1)


def test_evidence_leaves_out_empty_keys_on_the_page_and_keeps_them_in_csv():
    evidence = {"src": "a/b", "rules": [], "policies": [], "expired_exceptions": [], "first_seen": None,
                "sample": [], "reopened_by": {}, "zone": None, "connections": 0, "ports": np.array([80]),
                "unapproved_ports": [], "default_deny": {"egress": [], "ingress": ["a/deny"]}}
    shown = _cell(evidence)
    # empty where the emptiness is the evidence: said; elsewhere left out; a zero is a value
    assert shown == ("connections=0, default_deny={egress=none, ingress=[a/deny]}, policies=none, "
                     "ports=[80], rules=none, src=a/b, unapproved_ports=none")
    csv = csv_text(pd.DataFrame({"evidence": [evidence]}))
    for kept in ("expired_exceptions=[]", "first_seen=,", "sample=[]", "reopened_by={}", "zone=",
                 "rules=[]", "default_deny={egress=[], ingress=[a/deny]}"):
        assert kept in csv
