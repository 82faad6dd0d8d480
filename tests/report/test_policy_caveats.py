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
    m = re.search(r'<details id="policy-caveats"[^>]*>(.*?)</details>', page, flags=re.S)
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
    section = re.search(r'<details id="policy-caveats"[^>]*>.*?</details>', page, flags=re.S)
    assert section is not None
    assert HOSTILE not in section.group(0) and "<script" not in section.group(0)
    assert html.escape(HOSTILE, quote=False) in section.group(0)
    said = _caveats(page)
    assert said is not None and f"NetworkPolicy/a/{HOSTILE} : ipBlock 10.0.0.0/8" in said


def test_a_hostile_namespace_in_the_hostnetwork_caveat_is_text(write):
    objs = [pod("a", "p0", {"app": "p0"}, ip="10.0.0.1"), pod("a", HOSTILE2, host_network=True)]
    path = write("x.json", {"apiVersion": "v1", "kind": "List", "items": objs})
    page = k8sviz.report(path, generated_at="x")
    section = re.search(r'<details id="policy-caveats"[^>]*>.*?</details>', page, flags=re.S)
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


def _every_caveat_cluster(tmp_path) -> str:
    """A snapshot file on which the engine raises every warning code it has, and whose
    coverage records refused nodes and ClusterNetworkPolicies (as a live read saves them)."""
    import hashlib
    import json

    from k8sviz.snapshot import SnapshotBuilder, canonical_json

    from ..policy.helpers import anp, ns
    from ..policy.helpers import pod as ppod

    every = {"namespaces": {}}
    db = {"namespaces": {"matchLabels": {"team": "db"}}}
    dual = ppod("db", "d", {"app": "d"}, "10.0.0.9")
    dual["status"]["podIPs"] = [{"ip": "10.0.0.9"}, {"ip": "fd00::9"}]

    def calico(kind: str, name: str, spec: dict) -> dict:
        return {"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": {"name": name}, "spec": spec}

    def cilium(name: str, spec: dict) -> dict:
        return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
                "metadata": {"namespace": "db", "name": name}, "spec": spec}

    objs = [
        ns("db", team="db"),  # web and kube-system: known only from their pods
        ppod("web", "a", {"app": "a"}, "10.0.0.1"), dual,
        ppod("kube-system", "agent", {"app": "agent"}, "10.0.1.1", host=True, host_ip="10.0.1.1"),
        netpol("db", "ipb", {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [
            {"ipBlock": {"cidr": "10.0.0.0/8"}}, {"namespaceSelector": {"matchLabels": {"team": "web"}}}]}]}),
        anp("tie-a", {"priority": 5, "subject": db,
                      "ingress": [{"action": "Deny", "from": [{"futurePeer": {}}]}]}),
        anp("tie-b", {"priority": 5, "subject": every,
                      "egress": [{"action": "Allow", "to": [{"domainNames": ["example.com"]}]}]}),
        anp("nets", {"priority": 7, "subject": every, "egress": [{"action": "Deny", "to": [
            {"networks": ["10.0.0.0/8"]}, {"nodes": {"matchLabels": {"role": "w"}}}]}]}),
        anp("other", {"subject": every}, baseline=True),
        calico("GlobalNetworkPolicy", "ghost.p",
               {"tier": "ghost", "selector": "app == 'd'", "order": 10, "ingress": [{"action": "Deny"}]}),
        calico("Tier", "default", {"order": 5}),
        cilium("fqdn", {"endpointSelector": {"matchLabels": {"app": "d"}},
                        "egress": [{"toFQDNs": [{"matchName": "api.example.com"}]}]}),
        cilium("to-nodes", {"endpointSelector": {},
                            "egress": [{"toNodes": [{"matchLabels": {"role": "x"}}]}]}),
    ]
    b = SnapshotBuilder()
    for o in objs:
        b.add(o, "test")
    path = tmp_path / "snap.json"
    b.build(cluster="every").save(path)
    doc = json.loads(path.read_text())
    doc["coverage"].update({"nodes": "forbidden", "clusternetworkpolicies": "forbidden"})
    del doc["sha256"]
    doc["sha256"] = hashlib.sha256(canonical_json(doc)).hexdigest()
    path.write_text(json.dumps(doc))
    return str(path)


#: Every code the policy engine warns with (k8sviz/policy): the fixture above raises each.
ENGINE_CODES = {
    "ipblock-covers-pods", "hostnetwork-unenforced", "admin-priority-tie", "baseline-not-default",
    "admin-domain-names", "admin-unknown-peer", "dual-stack-cidr", "calico-tier-missing", "calico-tier-order",
    "cilium-fqdn", "policies-not-evaluated", "namespace-labels-unknown", "nodes-not-read",
    "cni-policies-mixed", "policies-not-read",
}


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_every_caveat_is_said_once_and_the_limitations_refer_to_it(tmp_path):
    path = _every_caveat_cluster(tmp_path)
    warnings = k8sviz.reachability(k8sviz.load(path)).warnings
    assert {w.code for w in warnings} == ENGINE_CODES
    page = k8sviz.report(path, generated_at="x")
    section = re.search(r'<details id="policy-caveats" open>(.*?)</details>', page, flags=re.S)
    assert section is not None  # unfolded: limitations point into it
    said = _text(section.group(1))
    # none is lost: each warning whole, under its code, with its count
    assert said.startswith(f"{len(warnings)} caveats of the policy verdicts ")
    for code, n in Counter(w.code for w in warnings).items():
        assert f" {code} : {n} " in said
        assert f'<li id="caveat-{code}">' in section.group(1)
    visible = _text(page.split("<main>", 1)[1])
    for w in warnings:
        message = " ".join(w.message.split())
        assert message in said
        assert visible.count(message) == 1, w.code  # said once on the page
    # nor in other words among the limitations: no run of six words of a caveat is repeated there
    limitations = re.search(r'<section id="problems".*?</section>', page, flags=re.S)
    assert limitations is not None
    items = re.findall(r"<li>(.*?)</li>", limitations.group(0), flags=re.S)
    listed = " ".join(_text(i) for i in items)
    for w in warnings:
        words = " ".join(w.message.split()).split(" ")
        for i in range(len(words) - 5):
            assert " ".join(words[i:i + 6]) not in listed, (w.code, words[i:i + 6])
    # each limitation the engine also warns of refers to its caveat, by a link to it
    refers = {
        "policies not evaluated": ["policies-not-evaluated"],
        "egress to DNS names": ["cilium-fqdn", "admin-domain-names"],
        "namespace labels not read": ["namespace-labels-unknown"],
        "two CNIs' policies": ["cni-policies-mixed"],
        "policies not read": ["policies-not-read"],
        "resources not read": ["nodes-not-read"],
    }
    for label, codes in refers.items():
        (item,) = [i for i in items if _text(i).startswith(label + ":")]
        for code in codes:
            assert f'<a href="#caveat-{code}"><code>{code}</code></a>' in item, label
            marked = f'<code>{code}</code>: 1 <span class="unknown">(<a href="#problems">'
            assert f'<li id="caveat-{code}">{marked}' in page  # and the caveat says so
    # what only the limitations say of the report is kept there
    assert "each listed under findings as policy-not-evaluated" in listed
    assert "listed under findings as policies-not-read" in listed
    assert "egress that 2 policies allow by DNS name is not shown as allowed" in listed
    assert "resources not read: nodes (forbidden); what depends on them is unknown" in listed


def test_a_limitation_without_its_caveat_is_said_whole(tmp_path):
    """A reach given by the caller carries its own warnings: where it lacks the caveat, the
    limitation is not a reference to nothing."""
    path = _every_caveat_cluster(tmp_path)
    reach = k8sviz.reachability(k8sviz.load(path))
    reach.warnings = tuple(w for w in reach.warnings if w.code != "namespace-labels-unknown")
    page = k8sviz.report(reach.snapshot, reach=reach, generated_at="x")
    assert ("namespace labels not read: 2 namespaces (kube-system, web) are known only from the objects in "
            "them; namespaceSelectors on labels") in _text(page)
    assert 'href="#caveat-namespace-labels-unknown"' not in page
    assert 'href="#caveat-cni-policies-mixed"' in page


def _cnp(name: str, spec: dict) -> dict:
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
            "metadata": {"name": name, "namespace": "db"}, "spec": spec}


def test_an_l7_parser_clash_is_said_under_the_caveat_it_causes():
    """The loader's ``cilium-l7-parser-clash`` warning and the caveat ``policies-not-evaluated``
    named the same two policies, apart: the reason among the loader warnings, the consequence
    among the caveats.  The clash is now said once, under the caveat, as why; the loader's list
    says where it went, and keeps its other warnings."""
    from ..policy.helpers import netpol as knp
    from ..policy.helpers import ns, snapshot
    from ..policy.helpers import pod as kpod

    port = [{"port": "80", "protocol": "TCP"}]
    http = _cnp("web-http", {"endpointSelector": {"matchLabels": {"app": "d"}}, "ingress": [
        {"fromEndpoints": [{}], "toPorts": [{"ports": port, "rules": {"http": [{"method": "GET"}]}}]}]})
    kafka = _cnp("all-kafka", {"endpointSelector": {}, "ingress": [
        {"fromEndpoints": [{}], "toPorts": [{"ports": port, "rules": {"kafka": [{"topic": "t"}]}}]}]})

    def report(name: str) -> tuple[str, list]:
        snap = snapshot(ns("db"), kpod("db", name, {"app": "d"}, "10.0.0.9"),
                        kpod("db", "e", {"app": "e"}, "10.0.0.10"),
                        http, kafka, knp("db", "plain", {"podSelector": {}, "ingress": [{}]}))
        assert {p.ref for p in snap.unevaluated_policies} == {"CiliumNetworkPolicy/db/web-http",
                                                              "CiliumNetworkPolicy/db/all-kafka"}
        return k8sviz.report(snap, generated_at="2026-01-01T00:00:00Z"), list(snap.warnings)

    for name in ("d", HOSTILE2):
        page, warnings = report(name)
        (clash,) = [w for w in warnings if w.code == "cilium-l7-parser-clash"]
        said = " ".join(clash.message.split())
        assert f"give pods db/{name} L7 parsers" in said
        assert _text(page.split("<main>", 1)[1]).count(said) == 1  # once on the page
        caveat = re.search(r'<li id="caveat-policies-not-evaluated">(.*?)</li></ul></li>', page, re.S)
        assert caveat is not None and "<img" not in caveat.group(1)  # the pod it names is text
        why = _text(caveat.group(1)).split(
            " Why two of them are not evaluated (loader warning cilium-l7-parser-clash ): ")
        assert len(why) == 2 and "CiliumNetworkPolicy/db/all-kafka, CiliumNetworkPolicy/db/web-http" in why[0]
        assert why[1] == said
        note = ('<p id="loader-warnings-clashes">The clash of L7 parsers '
                "(<code>cilium-l7-parser-clash</code>) is under the caveat "
                '<a href="#caveat-policies-not-evaluated"><code>policies-not-evaluated</code></a>, '
                "as why those policies are not evaluated.</p>")
        kept = [w for w in warnings if w is not clash]
        if not kept:  # no other loader warning: no list, the note says where the clash is
            assert '<details id="loader-warnings">' not in page
            assert f'<div id="loader-warnings">{note}</div>' in page
            continue
        # the hostile pod name's invalid-name warning stays among the loader warnings
        assert [w.code for w in kept] == ["invalid-name"]
        loader = re.search(r'<details id="loader-warnings">(.*?)</details>', page, re.S)
        assert loader is not None and note in loader.group(1)
        assert _text(loader.group(1)).startswith("1 loader warning [invalid-name]")
        assert "[cilium-l7-parser-clash]" not in loader.group(1)
