"""Tables, explanations, display and the CLI."""

from __future__ import annotations

import json

import k8sviz
from k8sviz.cli import main

from .helpers import netpol, ns, pod, snapshot


def rs(namespace, name, app, ip, n=""):
    o = pod(namespace, f"{name}-{n}", {"app": app}, ip, (("http", 8080, "TCP"),))
    o["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": f"{name}-abc", "controller": True}]
    o["metadata"]["labels"]["pod-template-hash"] = "abc"
    return o


OBJS = (
    ns("shop"),
    ns("ops"),
    rs("shop", "web", "web", "10.0.0.1", "1"),
    rs("shop", "web", "web", "10.0.0.2", "2"),
    rs("shop", "api", "api", "10.0.0.3", "1"),
    pod("ops", "probe", {"app": "probe"}, "10.0.1.1"),
    netpol("shop", "api", {"podSelector": {"matchLabels": {"app": "api"}}, "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}], "ports": [{"port": "http"}, {"port": 9000, "endPort": 9100}]}]}),
    netpol("shop", "web", {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress", "Egress"], "ingress": [{}], "egress": [{"to": [{"podSelector": {}}]}, {"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": [{"port": 443}]}]}),
)


def reach():
    return k8sviz.reachability(snapshot(*OBJS))


def test_to_frame_columns_ports_and_order():
    r = reach()
    df = r.to_frame("pod")
    assert list(df.columns) == ["src", "dst", "src_namespace", "dst_namespace", "src_type", "dst_type", "protocol", "ports"]
    row = df[(df.src == "shop/web-1") & (df.dst == "shop/api-1")]
    assert row.protocol.tolist() == ["TCP"] and row.ports.tolist() == [["8080", "9000-9100"]]
    ext = df[(df.src == "shop/web-1") & (df.dst == "203.0.113.0/24")]
    assert ext.ports.tolist() == [["443"]] and ext.dst_type.tolist() == ["external"]
    assert df[(df.src == "ops/probe") & (df.dst == "shop/web-1")].ports.tolist() == [["1-65535"]] * 3
    assert df.equals(r.to_frame("pod"))  # deterministic
    keys = list(zip(df.src, df.dst, strict=True))
    assert len(set(keys)) <= len(keys)


def test_workload_level_is_union_over_pods_and_keeps_self_pairs_of_distinct_pods():
    r = reach()
    df = r.to_frame("workload")
    assert set(df.src_type) == {"workload", "external"}
    row = df[(df.src == "shop/web") & (df.dst == "shop/api")]
    assert row.ports.tolist() == [["8080", "9000-9100"]]
    assert ((df.src == "shop/web") & (df.dst == "shop/web")).any()  # web-1 -> web-2
    assert not ((df.src == "shop/api") & (df.dst == "shop/api")).any()  # a single pod
    assert r.can_reach("shop/web", "shop/api", 8080) and not r.can_reach("shop/web", "shop/api", 80)


def test_rule_frame_lists_what_each_rule_admits_end_to_end():
    r = reach()
    rf = r.rule_frame()
    assert list(rf.columns) == [
        "policy", "direction", "rule", "src", "dst", "protocol", "ports", "src_type", "dst_type"]
    api = rf[rf.policy == "shop/api"]
    assert api[["src", "dst", "protocol"]].values.tolist() == [["shop/web", "shop/api", "TCP"]]
    assert api.ports.tolist() == [["8080", "9000-9100"]]
    eg = rf[(rf.policy == "shop/web") & (rf.direction == "egress") & (rf.rule == 0)]
    # egress to shop pods: only what the destination also lets in
    assert eg[eg.dst == "shop/api"].ports.tolist() == [["8080", "9000-9100"]]


def test_rule_frame_types_each_end_as_to_frame_does():
    """A workload key is of the level's type, a CIDR of "external", in the same columns and with
    the same values as to_frame's."""
    r = reach()
    rf = r.rule_frame()
    out = rf[(rf.policy == "shop/web") & (rf.direction == "egress") & (rf.rule == 1)]
    assert set(zip(out.src, out.src_type, out.dst, out.dst_type, strict=True)) == {
        ("shop/web", "workload", "203.0.113.0/24", "external")}
    into = rf[(rf.policy == "shop/web") & (rf.direction == "ingress")]
    kinds = {(s, t) for s, t in zip(into.src, into.src_type, strict=True)}
    assert ("shop/api", "workload") in kinds and ("203.0.113.0/24", "external") in kinds
    assert set(into.dst_type) == {"workload"}
    edges = r.to_frame("workload")
    typed = set(zip(edges.src, edges.src_type, strict=True)) | set(zip(edges.dst, edges.dst_type, strict=True))
    assert set(zip(rf.src, rf.src_type, strict=True)) | set(zip(rf.dst, rf.dst_type, strict=True)) <= typed
    pods = r.rule_frame(level="pod")
    assert set(pods.src_type) | set(pods.dst_type) == {"pod", "external"}


def test_explain_text_and_html_escape():
    r = reach()
    v = r.explain("shop/web-1", "shop/api-1", 8080)
    assert v.allowed and v.ingress.isolated and v.ingress.policies == ("shop/api",)
    assert [(m.policy, m.direction, m.rule) for m in v.ingress.allowed_by] == [("shop/api", "ingress", 0)]
    assert [(m.policy, m.rule) for m in v.egress.allowed_by] == [("shop/web", 0)]
    assert "ALLOWED" in str(v) and "shop/api ingress[0]" in str(v)
    v2 = r.explain("ops/probe", "shop/api-1", 8080)
    assert not v2.allowed and "no rule" in str(v2)
    evil = snapshot(
        ns("a"), pod("a", "x", {"app": "<script>"}, "10.0.0.1"), pod("a", "y", {}, "10.0.0.2"),
        netpol("a", "p", {"podSelector": {}, "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "<script>"}}}]}]}),
    )
    h = k8sviz.reachability(evil).explain("a/x", "a/y", 80)._repr_html_()
    assert "<script>" not in h and "&lt;script&gt;" in h
    shown = k8sviz.reachability(evil)._repr_html_()
    assert "<table>" in shown
    # Every count says what it means.
    for key, text in k8sviz.Reachability.SUMMARY_TEXT.items():
        assert f"<th style='text-align:left'>{key}</th>" in shown and text.replace("'", "&#x27;") in shown
    assert set(k8sviz.Reachability.SUMMARY_TEXT) == set(r.summary())
    assert "Reachability" in repr(r)


def test_cli_json_and_formats(tmp_path, capsys):
    d = tmp_path / "c"
    d.mkdir()
    (d / "objs.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": list(OBJS)}))
    out = tmp_path / "o.json"
    assert main(["connectivity", str(d), "--level", "pod", "--format", "json", "-o", str(out)]) == 0
    data = json.loads(out.read_text())
    assert {"src": "shop/web-1", "dst": "shop/api-1", "protocol": "TCP", "ports": ["8080", "9000-9100"]} in data
    for fmt in ("csv", "md", "txt"):
        assert main(["connectivity", str(d), "--format", fmt]) == 0
        assert "shop/web" in capsys.readouterr().out


def _plain_render(df, fmt):
    """The CLI output written the obvious way from ``to_frame`` (what the fast writer must equal)."""
    from k8sviz.notebook import to_csv

    records = [
        {"src": s, "dst": d, "protocol": p, "ports": list(ports)}
        for s, d, p, ports in zip(df["src"], df["dst"], df["protocol"], df["ports"], strict=True)
    ]
    if fmt == "json":
        return json.dumps(records, indent=1) + "\n"
    if fmt == "csv":  # the notebook's CSV of the frame, rows ended as a shell tool ends them
        return to_csv(df[["src", "dst", "protocol", "ports"]]).replace("\r\n", "\n")
    if fmt == "md":
        def cell(x):  # markup as entities, '|' escaped, one line
            x = x.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", chr(92) + "|")
            return x.replace("\r", " ").replace("\n", " ")

        lines = ["| src | dst | protocol | ports |", "|---|---|---|---|"]
        lines += [f"| {cell(r['src'])} | {cell(r['dst'])} | {r['protocol']} | {', '.join(r['ports'])} |" for r in records]
        return "\n".join(lines) + "\n"
    rows = "".join(f"{r['src']} => {r['dst']} : {r['protocol']} {','.join(r['ports'])}\n" for r in records)
    return rows or "(none)\n"


def test_cli_writer_equals_plain_rendering_of_to_frame():
    """The CLI writes from the engine's arrays without pandas; every format must match
    the frame exactly, hostile names included (quotes, commas, pipes, non-ASCII, newlines,
    formulas)."""
    from k8sviz.commands.connectivity import render

    hostile = snapshot(
        ns("a"), ns('b"|,x'),
        pod("a", "web", {"app": "web"}, "10.0.0.1", (("http", 80, "TCP"), ("dns", 53, "UDP"))),
        pod('b"|,x', 'p,"q|\nr', {"app": "x"}, "10.0.0.2"),
        pod('b"|,x', "é-ü", {"app": "y"}, "10.0.0.3", (("http", 8080, "TCP"),)),
        pod("@c", "=1+2", {"app": "z"}, "10.0.0.4"),  # names a spreadsheet would run as formulas
        netpol("a", "p", {"podSelector": {}, "ingress": [{"ports": [{"port": "http"}, {"port": "dns", "protocol": "UDP"}, {"port": 9000, "endPort": 9100}]}],
                          "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]}]}),
    )
    empty = snapshot(ns("a"), pod("a", "x", {}, "10.0.0.1"), netpol("a", "deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}))
    plain = snapshot(*OBJS)
    for snap in (hostile, empty, plain, k8sviz.demo()):
        reach = k8sviz.reachability(snap)
        for level in ("pod", "workload"):
            df = reach.to_frame(level)
            for fmt in ("json", "csv", "md", "txt"):
                assert render(reach._table(level), fmt) == _plain_render(df, fmt), (level, fmt)
    assert render(k8sviz.reachability(empty)._table("pod"), "json") == "[]\n"
