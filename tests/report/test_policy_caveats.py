"""The policy engine's warnings (``reach.warnings``) in the report, next to the loader's."""

from __future__ import annotations

import html
import re
from collections import Counter

import k8sviz
from k8sviz.report import _render

from ..objects import netpol, pod
from ..viz.conftest import HOSTILE, HOSTILE2


def _caveats(page: str) -> str | None:
    """The folded list of caveats as the reader sees it (tags dropped, entities read), or None."""
    m = re.search(r'<details id="policy-caveats">(.*?)</details>', page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", m.group(1))).split()) if m else None


def test_the_demo_reports_its_caveats_per_code_with_counts():
    snap = k8sviz.demo()
    warnings = k8sviz.reachability(snap).warnings
    counts = Counter(w.code for w in warnings)
    assert {"ipblock-covers-pods", "hostnetwork-unenforced"} <= set(counts)
    page = k8sviz.report(snap, generated_at="2024-01-01T00:00:00Z")
    said = _caveats(page)
    assert said is not None
    assert said.startswith(f"{len(warnings)} caveats of the policy verdicts ")
    for code, n in counts.items():
        assert f" {code} : {n} " in said
    for w in warnings:  # each one whole, under its code
        assert " ".join(w.message.split()) in said
    assert "more" not in said  # nothing left out
    # inside the Inputs and coverage section, after the coverage table
    inputs = re.search(r'<section id="inputs">.*?</section>', page, flags=re.S)
    assert inputs is not None and 'id="policy-caveats"' in inputs.group(0)
    assert inputs.group(0).index('id="coverage-table"') < inputs.group(0).index('id="policy-caveats"')
    assert k8sviz.report(snap, generated_at="2024-01-01T00:00:00Z") == page  # deterministic


def test_no_caveats_no_list(hostile_dump):
    snap = k8sviz.load(hostile_dump)
    assert not k8sviz.reachability(snap).warnings
    page = k8sviz.report(snap, generated_at="x")
    assert _caveats(page) is None
    assert "of the policy verdicts" not in page


def _ipblock_cluster(name: str, n: int) -> list[dict]:
    """Two pods on 10.0.0.x and ``n`` policies whose ipBlock 10.0.0.0/8 covers them, the first
    named ``name``; one hostNetwork pod."""
    objs = [pod("a", f"p{i}", {"app": f"p{i}"}, ip=f"10.0.0.{i + 1}") for i in range(2)]
    objs.append(pod("a", "agent", host_network=True))
    objs += [netpol("a", name if i == 0 else f"ip{i}",
                    {"podSelector": {}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]})
             for i in range(n)]
    return objs


def test_a_hostile_policy_name_in_a_caveat_is_text(write):
    path = write("x.json", {"apiVersion": "v1", "kind": "List", "items": _ipblock_cluster(HOSTILE, 1)})
    warnings = k8sviz.reachability(k8sviz.load(path)).warnings
    assert any(HOSTILE in w.obj for w in warnings if w.code == "ipblock-covers-pods")
    page = k8sviz.report(path, generated_at="x")
    section = re.search(r'<details id="policy-caveats">.*?</details>', page, flags=re.S)
    assert section is not None
    assert HOSTILE not in section.group(0) and "<script" not in section.group(0)
    assert html.escape(HOSTILE, quote=False) in section.group(0)
    said = _caveats(page)
    assert said is not None and f"NetworkPolicy/a/{HOSTILE} : ipBlock 10.0.0.0/8" in said


def test_a_hostile_namespace_in_the_hostnetwork_caveat_is_text(write):
    objs = [pod("a", "p0", {"app": "p0"}, ip="10.0.0.1"), pod("a", HOSTILE2, host_network=True)]
    path = write("x.json", {"apiVersion": "v1", "kind": "List", "items": objs})
    page = k8sviz.report(path, generated_at="x")
    section = re.search(r'<details id="policy-caveats">.*?</details>', page, flags=re.S)
    assert section is not None and "<img" not in section.group(0)
    said = _caveats(page)
    assert said is not None and f"a/{HOSTILE2}" in said


def test_caveats_past_the_cap_say_how_many_more_and_how_to_list_them(write, monkeypatch):
    path = write("x.yaml", _ipblock_cluster("ip0", 4))
    monkeypatch.setattr(_render, "ENGINE_WARNINGS_SHOWN", 1)
    said = _caveats(k8sviz.report(path, generated_at="x"))
    assert said is not None and said.startswith("5 caveats of the policy verdicts ")
    assert (" ipblock-covers-pods : 4 NetworkPolicy/a/ip0 : ipBlock 10.0.0.0/8 in ingress rule 0 covers "
            "2 pod addresses; ") in said
    assert "NetworkPolicy/a/ip1" not in said
    assert ("... 3 more ipblock-covers-pods ; every one: k8sviz connectivity CLUSTER... --warnings all , "
            "with this report's cluster inputs.") in said
    assert said.count("more") == 1  # hostnetwork-unenforced: one, shown
    # judged with ipBlocks matching pods, the command lists the warnings of that judgement
    said = _caveats(k8sviz.report(path, generated_at="x", ipblocks_match_pods=True))
    assert said is not None and "and matches them (ipblocks_match_pods=True)" in said
    assert "every one: k8sviz connectivity CLUSTER... --warnings all --ipblocks-match-pods ," in said
