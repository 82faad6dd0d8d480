"""The k8sviz command: clean errors, info and snapshot, fast --help."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

from tests.objects import netpol, pod

import k8sviz
from k8sviz.cli import main


def test_info_prints_counts_coverage_and_warnings(write, capsys):
    path = write("x.yaml", [pod("a", "p"), {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "a"}}])
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "pods" in out and "secret-skipped" in out and "not in input" in out


def main_csv(args, capsys):
    """The standard output of ``k8sviz ARGS --format csv``."""
    assert main([*args, "--format", "csv"]) == 0
    return capsys.readouterr().out


def test_info_and_tables_say_what_python_would_not(write, capsys):
    # Manifests say nothing of when they were collected: "collected at  None", Python's word
    path = write("x.yaml", [pod("a", "p")])
    assert main(["info", str(path)]) == 0
    assert "collected at  unknown\n" in capsys.readouterr().out
    # a policy's "evaluated" read True / False, where the report and notebook tables say yes / no
    for fmt in ("txt", "md"):
        assert main(["policies", "--demo", "--format", fmt]) == 0
        out = capsys.readouterr().out
        cells = out.replace("|", " ").split()
        assert "yes" in cells and "True" not in cells and "False" not in cells, fmt
    # and in CSV too, which README says reads as the report's CSV file (whose column says yes / no)
    assert main(["policies", "--demo", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["evaluated"] for r in rows} == {"yes"}
    import k8sviz.notebook

    inventory = k8sviz.policy_inventory(k8sviz.demo())
    assert k8sviz.notebook.to_csv(inventory).replace("\r\n", "\n") == main_csv(["policies", "--demo"], capsys)


def test_commands_say_how_many_load_warnings_there_were_and_how_to_list_them(write, capsys, tmp_path):
    docs = [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"s{i}", "namespace": "a"}} for i in range(3)]
    path = write("x y.yaml", [pod("a", "p"), *docs])
    assert main(["policies", str(path)]) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if "load warning" in line]
    assert said == [f"k8sviz: warning: 3 load warnings while reading the input, the first: [secret-skipped] "
                    f"{path}#2, Secret/a/s0: Secret objects are never stored in a snapshot "
                    f"(`k8sviz info '{path}' --warnings all` lists them)"]
    # info lists them itself: no summary line on top
    assert main(["info", str(path)]) == 0
    assert "load warning" not in capsys.readouterr().err
    # an empty directory: said, where it was a silent empty cluster
    (tmp_path / "empty").mkdir()
    assert main(["connectivity", str(tmp_path / "empty")]) == 0
    err = capsys.readouterr().err
    assert f"1 load warning while reading the input: [no-input] {tmp_path / 'empty'}: no .yaml" in err
    # input without warnings: no line
    assert main(["policies", "--demo"]) == 0
    assert "load warning" not in capsys.readouterr().err


def test_info_warnings_limit(write, capsys):
    docs = [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"s{i}", "namespace": "a"}} for i in range(5)]
    path = write("x.yaml", [pod("a", "p"), *docs])

    def listed(*opts):
        assert main(["info", str(path), *opts]) == 0
        lines = capsys.readouterr().out.split("warnings      5\n", 1)[1].splitlines()
        return (sum(line.startswith("  [secret-skipped]") for line in lines),
                [line for line in lines if "(--warnings all" in line])

    assert listed() == (5, [])
    # N per code, as the commands that evaluate the policies take it
    assert listed("--warnings", "2") == (2, ["  ... 3 more [secret-skipped] (--warnings all shows every one)"])
    assert listed("--warnings", "0") == (0, ["  5 [secret-skipped] (--warnings all shows every one)"])
    assert listed("--warnings", "all") == (5, [])
    # summary, as the commands that evaluate the policies take it: 3 per code, then a count
    assert listed("--warnings", "Summary") == (
        3, ["  ... 2 more [secret-skipped] (--warnings all shows every one)"])
    for bad in ("-1", "many"):
        # -1 showed all but one and then "... 6 more"
        assert main(["info", str(path), "--warnings", bad]) == 2
        err = capsys.readouterr().err
        assert err == f"k8sviz: error: --warnings takes summary, all or a count of 0 or more, not {bad!r}\n"


def test_snapshot_writes_file(write, tmp_path, capsys):
    path = write("x.yaml", [pod("a", "p"), netpol("a", "n", {"podSelector": {}})])
    out = tmp_path / "snap.json"
    assert main(["snapshot", str(path), "-o", str(out)]) == 0
    assert out.exists() and "wrote" in capsys.readouterr().err
    assert main(["info", str(out)]) == 0


def test_snapshot_live_options_with_paths_name_what_was_given(write, tmp_path, capsys):
    """``-n shop`` on a dump reads as a filter of it; the error named options not given."""
    path = write("x.yaml", [pod("a", "p")])
    out = tmp_path / "snap.json"
    assert main(["snapshot", str(path), "-n", "a", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.endswith("not both (given: PATHs and --namespace; --namespace applies to a live snapshot only)\n")
    assert main(["snapshot", "--demo", "--context", "prod", "-o", str(out)]) == 2
    assert capsys.readouterr().err.endswith("not both (given: --demo and --context)\n")
    assert not out.exists()


def test_snapshot_without_input_names_the_live_options_too(tmp_path, capsys, monkeypatch):
    """``k8sviz snapshot -o x.json`` said only "give at least one PATH (or --demo)": a user who
    expects kubectl's current context was not told that a live snapshot needs an option."""
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))  # there, yet not read without an option
    out = tmp_path / "snap.json"
    assert main(["snapshot", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("k8sviz: error: give at least one PATH (or --demo) for an offline snapshot, ")
    assert "--kubeconfig FILE, --context NAME or --in-cluster for a live one" in err
    assert err.count("\n") == 1 and not out.exists()


@pytest.mark.parametrize(("args", "option"), [
    (["gaps", "BAD", "--zones", "MISSING"], "--zones"),
    (["gaps", "BAD", "--flows", "MISSING"], "--flows"),
    (["segmentation", "BAD", "--zones", "MISSING"], "--zones"),
    (["paths", "BAD", "--to", "pci", "--zones", "MISSING"], "--zones"),
    (["report", "BAD", "--zones", "MISSING", "-o", "OUT"], "--zones"),
    (["report", "BAD", "--flows", "MISSING", "-o", "OUT"], "--flows"),
    (["report", "BAD", "--baseline", "MISSING", "-o", "OUT"], "--baseline"),
    (["diff", "BAD", "MISSING"], "AFTER"),
    (["diff", "BAD", "BAD", "--zones", "MISSING"], "--zones"),
    (["flows", "MISSING", "--snapshot", "BAD"], "FLOWS"),
    (["flows", "BAD", "--snapshot", "MISSING"], "--snapshot"),
])
def test_a_missing_file_of_an_option_is_said_before_the_inputs_are_read(args, option, tmp_path, capsys):
    """A mistyped --zones, --flows or --baseline (or diff's AFTER) was said only once the PATHs,
    a large dump maybe, and the flow logs had been read. BAD is a malformed dump: reading it
    first would be the error said."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("{unclosed\n")
    names = {"BAD": str(bad), "MISSING": str(tmp_path / "missng.yaml"), "OUT": str(tmp_path / "r.html")}
    assert main([names.get(a, a) for a in args]) == 2
    err = capsys.readouterr().err
    assert err == f"k8sviz: error: {tmp_path / 'missng.yaml'}: no such file or directory ({option})\n"
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("args", [
    ["gaps", "BAD", "--zones", "ZONES"],
    ["gaps", "--demo", "--zones", "ZONES"],  # the demo's flow logs are not read first either
    ["segmentation", "BAD", "--zones", "ZONES"],
    ["paths", "BAD", "--to", "pci", "--zones", "ZONES"],
    ["report", "BAD", "--zones", "ZONES", "-o", "OUT"],
    ["diff", "BAD", "BAD", "--zones", "ZONES"],
])
def test_a_bad_zones_file_is_said_before_the_inputs_are_read(args, tmp_path):
    """A zones file needs no snapshot to be read: one that cannot be used (a mistyped zone in a
    rule) was said only once the PATHs, a large dump maybe, and gaps' flow logs had been read.
    BAD is a malformed dump: reading it first would be the error said. A subprocess, as the
    flow logs' warnings are the CLI's lines."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("{unclosed\n")
    zones = tmp_path / "zones.yaml"
    zones.write_text("zones:\n  pci: {namespaceSelector: {}}\n"
                     "allow:\n  - {from: pci, to: pcii, justification: x}\n")
    names = {"BAD": str(bad), "ZONES": str(zones), "OUT": str(tmp_path / "r.html")}
    env = {**os.environ, "PYTHONPATH": str(Path(k8sviz.__file__).parents[1])}
    proc = subprocess.run([sys.executable, "-m", "k8sviz", *[names.get(a, a) for a in args]],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    assert proc.stderr == (f"k8sviz: error: {zones}, allow[0].to: unknown zone 'pcii'; did you mean 'pci'? "
                           "(known: external, pci, unzoned)\n")
    assert not (tmp_path / "r.html").exists()


def test_bad_input_is_an_error_without_traceback(write, capsys):
    path = write("np.yaml", netpol("a", "bad", {"podSelector": {"matchExpressions": [{"key": "a", "operator": "Nope"}]}}))
    assert main(["info", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("k8sviz: error:") and "np.yaml" in err and "Traceback" not in err


def test_missing_inputs(capsys, tmp_path):
    assert main(["info"]) == 2
    assert main(["info", str(tmp_path / "nope.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_help_does_not_import_heavy_libraries():
    code = ("import sys; from k8sviz.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('pandas','numpy','plotly','networkx','kubernetes') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_library_warnings_are_one_line(write, tmp_path):
    dump = write("x.yaml", [pod("a", "p", ip="10.0.0.1")])
    flows = tmp_path / "flows.json"
    flows.write_text('{"flow": {"verdict": "FORWARDED"\n')
    # A real process: pytest would capture the warning before the CLI formats it.
    cmd = [sys.executable, "-m", "k8sviz", "report", str(dump), "--flows", str(flows),
           "-o", str(tmp_path / "r.html")]
    err = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
    assert "k8sviz: warning:" in err and "flows.json" in err
    assert ".py:" not in err  # no source line of the library that warned


def test_explain_says_why_and_sets_the_exit_status(capsys):
    assert main(["explain", "--demo", "--from", "shop/frontend", "--to", "shop/cartservice", "--port", "7070"]) == 0
    out = capsys.readouterr().out
    assert "ALLOWED" in out and "allowed by shop/cartservice-ingress ingress[0]" in out
    args = ["explain", "--demo", "--from", "shop/loadgenerator", "--to", "pci/paymentservice", "--port", "50051"]
    assert main(args) == 1
    assert "DENIED" in capsys.readouterr().out
    assert main([*args, "--format", "json", "--protocol", "udp"]) == 1
    v = json.loads(capsys.readouterr().out)
    assert (v["allowed"], v["protocol"], v["port"]) == (False, "UDP", 50051)
    assert v["ingress"]["isolated"] and "pci/default-deny-all" in v["ingress"]["policies"]
    assert v["egress"]["allowed_by"] == []


def test_explain_names_the_block_of_an_address(capsys):
    args = ["explain", "--demo", "--from", "8.8.8.8", "--to", "ingress-nginx/ingress-nginx-controller", "--port", "443",
            "--format", "json"]
    assert main(args) == 0
    v = json.loads(capsys.readouterr().out)
    assert v["src"].startswith("8.8.8.8 (in ") and v["egress"]["note"].startswith("external address")
    assert v["ingress"]["allowed_by"][0]["policy"] == "ingress-nginx/ingress-nginx-controller-ingress"


def test_explain_errors_are_clean(capsys):
    assert main(["explain", "--demo", "--from", "shop/nope", "--to", "shop/frontend", "--port", "80"]) == 2
    err = capsys.readouterr().err
    assert "unknown source 'shop/nope'" in err and "Traceback" not in err
    assert main(["explain", "--demo", "--from", "shop/frontend-wsgrhlsk-c2w9b", "--to", "shop/frontend-wsgrhlsk-c2w9b", "--port", "80"]) == 2
    assert "to itself" in capsys.readouterr().err


def test_explain_resolves_a_port_name_on_the_destination(write, capsys):
    base = ["explain", "--demo", "--from", "shop/checkoutservice", "--to", "pci/paymentservice"]
    assert main([*base, "--port", "grpc"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("port grpc is TCP/50051 on pci/paymentservice\n")
    assert " TCP/50051: ALLOWED" in out
    assert main([*base, "--port", "grpc", "--format", "json"]) == 0
    v = json.loads(capsys.readouterr().out)
    assert (v["port"], v["port_name"], v["allowed"]) == (50051, "grpc", True)
    # A pod, and a port named for another protocol than the one asked.
    pod_key = next(p.key for p in k8sviz.demo().pods if p.workload_key == "kube-system/coredns")
    assert main(["explain", "--demo", "--from", "shop/frontend", "--to", pod_key, "--port", "dns", "--protocol", "UDP"]) == 0  # allowed
    assert capsys.readouterr().out.startswith(f"port dns is UDP/53 on {pod_key}\n")
    for port, message in (
        ("dns", f"no container port named 'dns' for TCP on {pod_key} (it names a UDP port: add --protocol UDP)"),
        ("web", f"no container port named 'web' for TCP on {pod_key}"),
        ("-5", "invalid port '-5' (expected a number from 1 to 65535 or a container port name)"),
        ("\u0665\u0660", "invalid port '\u0665\u0660' (expected a number from 1 to 65535 or a container port name)"),
        ("70000", "invalid port 70000 (expected a number from 1 to 65535)"),
    ):
        assert main(["explain", "--demo", "--from", "shop/frontend", "--to", pod_key, "--port", port]) == 2
        assert capsys.readouterr().err == f"k8sviz: error: {message}\n"
    assert main(["explain", "--demo", "--from", "shop/frontend", "--to", "8.8.8.8", "--port", "https"]) == 2
    assert "needs a destination pod to resolve it, and 8.8.8.8 is an address outside" in capsys.readouterr().err
    # Pods of one workload that number the name differently (mid-rollout): no single answer.
    ports = [{"name": "http", "containerPort": 8080}]
    path = write("w.yaml", [pod("a", "w-1", {"app": "w"}, ip="10.0.0.1", owner=("StatefulSet", "w"), ports=ports),
                            pod("a", "w-2", {"app": "w"}, ip="10.0.0.2", owner=("StatefulSet", "w"),
                                ports=[{"name": "http", "containerPort": 9090}]),
                            pod("a", "c", {"app": "c"}, ip="10.0.0.3")])
    assert main(["explain", str(path), "--from", "a/c", "--to", "a/w", "--port", "http"]) == 2
    assert capsys.readouterr().err == ("k8sviz: error: port 'http' (TCP) is not one number on a/w: 8080 on a/w-1, "
                                       "9090 on a/w-2; give the number\n")
    assert main(["explain", str(path), "--from", "a/c", "--to", "a/w-2", "--port", "http"]) == 0
    assert capsys.readouterr().out.startswith("port http is TCP/9090 on a/w-2\n")
    # One pod whose two containers number it differently: policies match either, so no one port.
    two = pod("a", "two", {"app": "two"}, ip="10.0.0.4", ports=ports)
    two["spec"]["containers"].append({"name": "side", "image": "img", "ports": [{"name": "http", "containerPort": 9090}]})
    path = write("two.yaml", [two, pod("a", "c", {"app": "c"}, ip="10.0.0.3")])
    assert main(["explain", str(path), "--from", "a/c", "--to", "a/two", "--port", "http"]) == 2
    said, error = capsys.readouterr().err.splitlines()
    assert said.startswith("k8sviz: warning: 1 load warning while reading the input: [named-port-conflict] ")
    assert error == "k8sviz: error: port 'http' (TCP) is not one number on a/two: 8080 and 9090 on a/two; give the number"


def test_a_reader_that_goes_away_is_not_an_error(tmp_path):
    # `k8sviz connectivity ... | head`: the pipe closes before the output is written.
    proc = subprocess.Popen(
        [sys.executable, "-m", "k8sviz", "connectivity", "--demo", "--level", "pod"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait() == 141
    assert "error" not in err and "Traceback" not in err and "Exception ignored" not in err


def test_counts_in_messages_agree_with_their_nouns(write, tmp_path, capsys):
    from k8sviz._text import counted

    assert [counted(n, "policy") for n in (0, 1, 2)] == ["0 policies", "1 policy", "2 policies"]
    assert counted(1, "flow log line") == "1 flow log line" and counted(3, "flow record") == "3 flow records"
    assert counted(2, "namespace or workload", "namespaces or workloads") == "2 namespaces or workloads"
    assert counted(2, "match") == "2 matches" and counted(2, "key") == "2 keys"
    path = write("x.yaml", [pod("a", "p"), netpol("a", "n", {"podSelector": {}})])
    assert main(["snapshot", str(path), "-o", str(tmp_path / "s.json")]) == 0
    assert "(1 pod, 1 network policy, 0 warnings, sha256" in capsys.readouterr().err
    assert main(["info", str(path)]) == 0
    assert "inputs        1 file\n" in capsys.readouterr().out


def test_markdown_tables_escape_markup_from_the_cluster(write, capsys):
    """Annotations are free text in Kubernetes; Markdown renders raw HTML, so a cell holds it as
    entities (and a '|' escaped), never as markup."""
    pol = netpol("a", "deny", {"podSelector": {}})
    pol["metadata"]["annotations"] = {"owner": "<script>alert(document.cookie)</script> | x"}
    path = write("x.yaml", [pod("a", "p"), pol])
    assert main(["policies", str(path), "--format", "md"]) == 0
    out = capsys.readouterr().out
    assert "<script>" not in out and "&lt;script&gt;alert(document.cookie)&lt;/script&gt; \\| x" in out


def test_every_command_and_option_says_what_it_does():
    """`k8sviz COMMAND --help` is where the README sends users for the rest: every subcommand
    has a description and every option a help text (segmentation's --format had none)."""
    import argparse

    from k8sviz.cli import COMMANDS, build_parser

    subparsers = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert sorted(subparsers.choices) == sorted(COMMANDS)
    silent = []
    for name, p in subparsers.choices.items():
        if not p.description:
            silent.append(name)
        silent += [f"{name} {a.option_strings or a.dest}" for a in p._actions
                   if not isinstance(a, argparse._HelpAction) and not a.help]
    assert silent == []
    # Defaults the commands apply are the ones their help names.
    args = build_parser().parse_args(["segmentation", "--demo"])
    assert args.format == "txt" and "(default txt)" in subparsers.choices["segmentation"].format_help()


@pytest.mark.parametrize("columns", ["40", "60", "80"])
def test_help_never_breaks_an_option_name(columns, monkeypatch):
    """argparse wraps with textwrap, which breaks after a hyphen: snapshot's help read
    "in-cluster for --in-" and then "cluster)" in a terminal 60 columns wide."""
    import argparse

    from k8sviz.cli import build_parser

    monkeypatch.setenv("COLUMNS", columns)  # argparse reads the width from it
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    names = {o for p in subparsers.choices.values() for a in p._actions for o in a.option_strings}
    assert "--in-cluster" in names and "--ipblocks-match-pods" in names
    for name, p in [("k8sviz", parser), *subparsers.choices.items()]:
        text = p.format_help()
        assert not re.search(r"\w-\n", text), (name, re.findall(r".*\w-\n.*", text))
        words = set(text.split())
        # each option a help text names is whole on its line, in every command's help
        for option in names:
            if option in " ".join(text.split()):
                assert any(option in w for w in words), (name, option)
    wide = max(len(line) for line in subparsers.choices["snapshot"].format_help().splitlines())
    assert wide <= int(columns) or columns == "40"  # a word longer than the line runs past it


def test_the_cluster_name_defaults_as_the_help_says(write, tmp_path, capsys):
    help_text = " ".join(build_help("info").split())
    assert "(default: from a snapshot file, else 'unnamed'; with --demo, demo-boutique)" in help_text
    path = write("x.yaml", [pod("a", "p")])
    assert main(["info", str(path)]) == 0
    assert capsys.readouterr().out.startswith("cluster       unnamed\n")
    assert main(["info", "--demo"]) == 0
    assert capsys.readouterr().out.startswith("cluster       demo-boutique\n")
    assert main(["snapshot", str(path), "--cluster", "prod", "-o", str(tmp_path / "s.json")]) == 0
    assert main(["info", str(tmp_path / "s.json")]) == 0
    assert capsys.readouterr().out.startswith("cluster       prod\n")


def test_a_live_snapshot_is_named_after_its_context_as_the_help_says(tmp_path, capsys):
    """snapshot's --cluster help gave the offline defaults only; a live one takes the context's."""
    pytest.importorskip("kubernetes")
    from tests.live.apiserver import FakeAPIServer

    help_text = " ".join(build_help("snapshot").split()).replace("- ", "-")  # wrapped at a hyphen
    assert "live: the name of the kubeconfig context, in-cluster for --in-cluster)" in help_text
    objects = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}]
    with FakeAPIServer(objects) as server:
        server.kubeconfig(tmp_path / "kc", context="prod-eu")
        assert main(["snapshot", "--kubeconfig", str(tmp_path / "kc"), "--context", "prod-eu",
                     "-o", str(tmp_path / "s.json")]) == 0
    capsys.readouterr()
    assert main(["info", str(tmp_path / "s.json")]) == 0
    assert capsys.readouterr().out.startswith("cluster       prod-eu\n")


def build_help(command: str) -> str:
    from k8sviz.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sub.choices[command].format_help()


def _isolation_cluster() -> list[dict]:
    """Two pods under a namespace-wide deny, one reopened for ingress, and a hostNetwork pod."""
    return [
        pod("a", "web", {"app": "web"}, ip="10.0.0.1"), pod("a", "db", {"app": "db"}, ip="10.0.0.2"),
        pod("a", "agent", host_network=True),
        netpol("a", "deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        netpol("a", "web-open", {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"],
                                 "ingress": [{}]}),
    ]


def test_isolation_lists_each_pod_or_workload_and_direction(write, capsys):
    objs = _isolation_cluster()
    path = write("x.yaml", objs)
    assert main(["isolation", str(path), "--level", "pod", "--format", "json"]) == 0
    captured = capsys.readouterr()
    rows = {(r["pod"], r["direction"]): r for r in json.loads(captured.out)}
    assert len(rows) == 6
    assert rows[("a/web", "ingress")]["state"] == "reopened" and rows[("a/web", "ingress")]["allow_by"] == ["a/web-open"]
    assert rows[("a/db", "egress")]["state"] == "isolated" and rows[("a/db", "egress")]["deny_by"] == ["a/deny"]
    assert rows[("a/agent", "ingress")]["state"] == "not-judged"
    assert "hostnetwork-unenforced" in captured.err
    # Workload level (the default), as CSV: lists joined in one cell.
    assert main(["isolation", str(path), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "namespace,workload,direction,state,pods,pods_in_state,deny_by,allow_by,open_to,not_judged"
    assert 'a,a/web,ingress,reopened,1,1,"a/deny, a/web-open",a/web-open,,' in lines


def test_isolation_help_names_every_state_it_prints():
    """`k8sviz --help` listed four of the five states (not-judged, which hostNetwork pods and
    pods that ended get, was missing) where README and `isolation --help` list five."""
    import argparse

    from k8sviz.cli import build_parser
    from k8sviz.policy.posture import NOT_JUDGED, STATES

    subparsers = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    (line,) = [a.help for a in subparsers._choices_actions if a.dest == "isolation"]
    description = subparsers.choices["isolation"].description
    for state in (*STATES, NOT_JUDGED):
        assert state in line and state in description, state


def test_isolation_and_policies_txt_end_with_a_count_as_the_other_commands(write, capsys):
    """connectivity, gaps, segmentation, blast and paths end their txt rows with a count on
    stderr; isolation and policies ended with none."""
    staged = {"apiVersion": "projectcalico.org/v3", "kind": "StagedNetworkPolicy",
              "metadata": {"name": "s", "namespace": "a"}, "spec": {"selector": "all()", "order": 1}}
    objs = [*_isolation_cluster(), staged]
    path = write("x.yaml", objs)

    def last_line(*argv: str) -> tuple[str, str]:
        assert main([*argv, str(path)]) == 0
        err = capsys.readouterr().err.splitlines()
        return err[-2], err[-1]

    # web's ingress reopened, its egress and db's isolated, the hostNetwork pod's not judged
    assert last_line("isolation") == (
        "", "3 workloads, ingress and egress: 1 reopened, 3 isolated, 2 not-judged")
    assert last_line("isolation", "--level", "pod")[1] == (
        "3 pods, ingress and egress: 1 reopened, 3 isolated, 2 not-judged")
    assert last_line("policies") == ("", "3 policies: 2 NetworkPolicy, 1 StagedNetworkPolicy; 2 evaluated, "
                                         "1 not (see not_judged)")
    for command in ("isolation", "policies"):  # the other formats are the table only
        for fmt in ("csv", "json", "md"):
            assert main([command, str(path), "--format", fmt]) == 0
            err = capsys.readouterr().err.splitlines()
            said = [line for line in err if line.startswith(("3 workloads", "3 policies"))]
            assert not said, (command, fmt)
    empty = write("empty.yaml", [pod("a", "p")])
    assert main(["policies", str(empty)]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == "0 policies"


def test_blast_lists_what_a_compromised_workload_reaches(capsys):
    reach = k8sviz.reachability(k8sviz.demo())
    want = k8sviz.blast_radius(reach, "shop/frontend")
    assert main(["blast", "--demo", "--from", "shop/frontend", "--format", "json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got == json.loads(want.to_json(orient="records"))
    assert {r["hops"] for r in got} >= {1, 2}
    # A hop limit, and the table formats: the path and each hop's ports as text.
    assert main(["blast", "--demo", "--from", "shop/frontend", "--max-hops", "1", "--format", "csv"]) == 0
    out = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out.out)))
    assert len(rows) == len(want[want["hops"] == 1]) and {r["hops"] for r in rows} == {"1"}
    dns = next(r for r in rows if r["workload"] == "kube-system/coredns")
    assert dns["path"] == "shop/frontend -> kube-system/coredns" and dns["ports"] == "TCP/53, UDP/53"
    assert main(["blast", "--demo", "--from", "shop/frontend", "--max-hops", "2"]) == 0
    two = want[want["hops"] <= 2]
    assert (f"{len(two)} workloads in {two['namespace'].nunique()} namespaces reachable from shop/frontend "
            "within 2 hops") in capsys.readouterr().err


def test_blast_errors_are_clean(capsys):
    assert main(["blast", "--demo", "--from", "shop/nope"]) == 2
    assert "unknown workload or pod 'shop/nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["blast", "--demo", "--from", "shop/frontend", "--max-hops", "0"])
    assert "--max-hops: must be a whole number of hops, 1 or more, not '0'" in capsys.readouterr().err


def test_paths_from_the_internet_into_a_zone(capsys):
    snap = k8sviz.demo()
    zones = k8sviz.load_zones("data/demo/zones.yaml")
    reach = k8sviz.reachability(snap)
    want = k8sviz.internet_paths(reach, "pci", zones)
    assert len(want)  # the demo's hostNetwork agent is an entry into the CDE
    assert main(["paths", "--demo", "--to", "pci", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(want.to_json(orient="records"))
    # Any workload internet addresses may reach counts as an entry with --any-entry.
    anyone = k8sviz.internet_paths(reach, "shop", zones, exposed_only=False)
    assert main(["paths", "--demo", "--to", "shop", "--any-entry", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(anyone.to_json(orient="records"))
    assert main(["paths", "--demo", "--to", "pci", "--format", "md"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| target | namespace | zone | hops | path | ports |")
    assert "internet -&gt; " in out and " \\| " in out  # one group of ports per hop, escaped
    assert main(["paths", "--demo", "--to", "nowhere"]) == 2
    err = capsys.readouterr().err
    assert "'nowhere' is no zone, workload, pod or namespace" in err and "no zones file" not in err
    # a zone named without a zones file: "no zone" alone read as if zones had been searched
    demo = str(k8sviz.demo_path("cluster"))
    assert main(["paths", demo, "--to", "dmz"]) == 2
    assert capsys.readouterr().err.endswith(
        "'dmz' is no zone, workload, pod or namespace of the snapshot (no zones file was given, and a "
        "zone name needs one)\n")


@pytest.mark.parametrize(("args", "said"), [
    (["explain", "--from", "shop/fronted", "--to", "pci/card-vault", "--port", "5432"],
     "unknown source 'shop/fronted': no pod or workload of that name in the snapshot; did you mean "
     "'shop/frontend'?"),
    (["explain", "--from", "frontend", "--to", "pci/card-vault", "--port", "5432"],
     "unknown source 'frontend': expected 'namespace/pod', 'namespace/workload' or an IP address; did you "
     "mean 'shop/frontend'?"),
    (["explain", "--from", "shop/frontend", "--to", "pci/cardvault", "--port", "5432"],
     "unknown destination 'pci/cardvault': no pod or workload of that name in the snapshot; did you mean "
     "'pci/card-vault'?"),
    (["blast", "--from", "checkoutservice"],
     "unknown workload or pod 'checkoutservice' (expected namespace/pod or namespace/workload); did you mean "
     "'shop/checkoutservice'?"),
    (["paths", "--to", "pcii"],
     "'pcii' is no zone, workload, pod or namespace of the snapshot; did you mean 'pci'?"),
    (["paths", "--to", "card-vault"],
     "'card-vault' is no zone, workload, pod or namespace of the snapshot; did you mean 'pci/card-vault'?"),
    # case aside: Kubernetes names are lower case
    (["paths", "--to", "PCI"],
     "'PCI' is no zone, workload, pod or namespace of the snapshot; did you mean 'pci'?"),
    (["explain", "--from", "Shop/Frontend", "--to", "pci/card-vault", "--port", "5432"],
     "unknown source 'Shop/Frontend': no pod or workload of that name in the snapshot; did you mean "
     "'shop/frontend'?"),
    # a namespace where a pod or workload is asked
    (["explain", "--from", "shop", "--to", "pci/card-vault", "--port", "5432"],
     "unknown source 'shop': expected 'namespace/pod', 'namespace/workload' or an IP address; did you "
     "mean a workload of namespace 'shop', such as 'shop/adservice', 'shop/cartservice' or "
     "'shop/checkoutservice'?"),
    (["blast", "--from", "pci"],
     "unknown workload or pod 'pci' (expected namespace/pod or namespace/workload); did you mean a workload "
     "of namespace 'pci', such as 'pci/card-vault' or 'pci/paymentservice'?"),
    # nothing near: no guess
    (["blast", "--from", "shop/zzzzzz"],
     "unknown workload or pod 'shop/zzzzzz' (expected namespace/pod or namespace/workload)"),
])
def test_an_unknown_endpoint_names_the_workloads_it_may_have_meant(args, said, capsys):
    """An auditor typing a name from memory (no namespace, a letter off) was told only that it
    was unknown, and had to list the workloads to find it."""
    assert main([*args, "--demo"]) == 2
    assert capsys.readouterr().err == f"k8sviz: error: {said}\n"
    with pytest.raises(k8sviz.QueryError, match="did you mean 'shop/frontend'"):
        k8sviz.reachability(k8sviz.demo()).can_reach("shop/fronted", "pci/card-vault", 5432)


@pytest.mark.parametrize("command", ["gaps", "segmentation"])
def test_gaps_and_segmentation_take_ipblocks_match_pods(command, capsys):
    snap = k8sviz.demo()
    zones = k8sviz.load_zones("data/demo/zones.yaml")
    reach = k8sviz.reachability(snap, ipblocks_match_pods=True)
    if command == "gaps":  # --demo reads the demo's flow logs too, as report --demo does
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", k8sviz.FlowWarning)  # the demo's lost Hubble events
            flows = k8sviz.load_flows(k8sviz.demo_path("flows"), snapshot=snap)
        want = k8sviz.gaps(snap, reach, zones=zones, flows=flows)
        plain = k8sviz.gaps(snap, zones=zones, flows=flows)
        key = ["finding", "namespace", "name", "detail"]
    else:
        want = k8sviz.segmentation(snap, reach, zones).violations
        plain = k8sviz.segmentation(snap, None, zones).violations
        key = ["src", "dst", "protocol"]
    assert len(want) != len(plain)  # the demo's 0.0.0.0/0 blocks cover pod addresses
    assert main([command, "--demo", "--ipblocks-match-pods", "--format", "json"]) == 0
    got = pd.DataFrame(json.loads(capsys.readouterr().out))
    assert sorted(map(tuple, got[key].astype(str).values)) == sorted(map(tuple, want[key].astype(str).values))


def test_segmentation_help_says_which_formats_print_the_matrix(capsys):
    """The help promised the zone x zone matrix in every format; only txt prints it."""
    printed = {}
    for fmt in ("txt", "csv", "json", "md"):
        assert main(["segmentation", "--demo", "--format", fmt]) == 0
        out = capsys.readouterr().out
        printed[fmt] = out.startswith("judged on ") and "\nfrom " in out
    assert printed == {"txt": True, "csv": False, "json": False, "md": False}
    import argparse

    from k8sviz.cli import build_parser

    subparsers = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    described = " ".join(subparsers.choices["segmentation"].format_help().split())
    assert ("The matrix, the date exceptions were judged on and the count of violations (on stderr) are "
            "printed with --format txt only: csv, json and md are the table of connections.") in described


def test_segmentation_csv_has_every_column_whole(capsys):
    """--format csv: every violation column, the outside blocks whole (src names only the first
    ones), lists joined with ", ", as the report's CSV file writes them."""
    import csv
    import io

    seg = k8sviz.segmentation(k8sviz.demo(), None, k8sviz.load_zones("data/demo/zones.yaml"))
    assert main(["segmentation", "--demo", "--format", "csv"]) == 0
    got = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(got[0]) == list(seg.violations.columns)
    want = [{c: ", ".join(x) if isinstance(x, list) else str(x) for c, x in r.items()}
            for r in seg.violations.to_dict("records")]
    assert got == want
    ext = [r for r in got if r["src_zone"] == "external"]
    assert ext and all("more blocks" in r["src"] and "more" not in r["external_blocks"] for r in ext)


def test_csv_tables_of_every_command_guard_formula_cells(capsys):
    """emit writes every command's CSV table (gaps, policies, isolation, blast, paths, diff):
    a cell a spreadsheet would run is quoted, a number is kept."""
    from k8sviz.commands.gaps import emit

    buf = io.StringIO()
    emit(pd.DataFrame({"name": ["=HYPERLINK(\"http://x\")", "ok"], "n": [-5, 3], "l": [["@x"], []]}), "csv", buf)
    assert list(csv.reader(io.StringIO(buf.getvalue()))) == [
        ["name", "n", "l"], ["'=HYPERLINK(\"http://x\")", "-5", "'@x"], ["ok", "3", ""]]


def test_diff_and_flows_say_the_load_warnings_of_each_snapshot_they_read(write, capsys, tmp_path):
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "a"}}
    warned = write("w.yaml", [pod("a", "p"), secret])
    clean = write("c.yaml", [pod("a", "p")])
    assert main(["diff", str(warned), str(clean), "--policies"]) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if "load warning" in line]
    assert said == [f"k8sviz: warning: 1 load warning while reading BEFORE ({warned}): [secret-skipped] "
                    f"{warned}#2, Secret/a/s: Secret objects are never stored in a snapshot "
                    f"(`k8sviz info {warned} --warnings all` lists it)"]
    assert main(["diff", str(clean), str(warned)]) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if "load warning" in line]
    assert len(said) == 1
    assert said[0].startswith(f"k8sviz: warning: 1 load warning while reading AFTER ({warned}):")
    # an empty --snapshot directory maps no flow: said, where it was silent
    (tmp_path / "empty").mkdir()
    flows = str(k8sviz.demo_path("flows"))
    assert main(["flows", flows, "--snapshot", str(tmp_path / "empty")]) == 0
    err = capsys.readouterr().err
    empty = tmp_path / "empty"
    assert f"1 load warning while reading the --snapshot input: [no-input] {empty}: no .yaml" in err
    assert main(["flows", flows, "--snapshot", str(clean)]) == 0
    assert "load warning" not in capsys.readouterr().err


def test_diff_warns_when_its_snapshots_name_different_clusters(write, tmp_path, capsys):
    dump = write("x.yaml", [pod("a", "p", ip="10.0.0.1"), netpol("a", "n", {"podSelector": {}})])
    for name in ("prod", "staging"):
        assert main(["snapshot", str(dump), "--cluster", name, "-o", str(tmp_path / f"{name}.json")]) == 0
    capsys.readouterr()
    assert main(["diff", str(tmp_path / "staging.json"), str(tmp_path / "prod.json")]) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if "mismatch" in line]
    assert said == ["k8sviz: warning: cluster mismatch: BEFORE is a snapshot of cluster 'staging', AFTER of "
                    "'prod'; the changes compare two clusters' objects, not one cluster's over time"]
    # the same name, or a dump (which names no cluster): nothing to say
    for before in (tmp_path / "prod.json", dump):
        assert main(["diff", str(before), str(tmp_path / "prod.json"), "--policies"]) == 0
        assert "mismatch" not in capsys.readouterr().err


def test_dash_output_is_standard_output_and_no_file_named_dash(write, tmp_path, monkeypatch, capsysbinary):
    monkeypatch.chdir(tmp_path)
    path = write("x.yaml", [pod("a", "p", ip="10.0.0.1"), netpol("a", "n", {"podSelector": {}})])
    assert main(["snapshot", str(path), "-o", str(tmp_path / "s.json")]) == 0
    capsysbinary.readouterr()
    assert main(["snapshot", str(path), "-o", "-"]) == 0
    out, err = capsysbinary.readouterr()
    assert out == (tmp_path / "s.json").read_bytes()  # the bytes the file gets, nothing else
    assert err.startswith(b"wrote standard output (1 pod, 1 network policy, 0 warnings, sha256 ")
    assert main(["connectivity", str(path)]) == 0
    plain = capsysbinary.readouterr().out
    assert main(["connectivity", str(path), "-o", "-"]) == 0
    assert capsysbinary.readouterr().out == plain
    assert not (tmp_path / "-").exists()


def test_report_to_standard_output_is_the_whole_report_and_messages_go_to_stderr(tmp_path):
    # A real process and a real redirection: `k8sviz report --demo -o - > r.html`.
    import hashlib

    target = tmp_path / "r.html"
    with target.open("wb") as fh:
        proc = subprocess.run([sys.executable, "-m", "k8sviz", "report", "--demo", "-o", "-"], cwd=tmp_path,
                              env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
                              stdout=fh, stderr=subprocess.PIPE, text=True, check=True)
    data = target.read_bytes()
    assert data.startswith(b"<!DOCTYPE html>") and data.rstrip().endswith(b"</html>")
    assert "k8sviz: warning:" in proc.stderr  # the demo flows' lost events: said, on stderr only
    assert b"k8sviz: warning" not in data
    assert proc.stderr.splitlines()[-1] == (f"wrote standard output ({len(data) / 1e6:.1f} MB, "
                                            f"sha256 {hashlib.sha256(data).hexdigest()})")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]


@pytest.mark.parametrize("command", [["snapshot"], ["connectivity"], ["report"], ["flows"]])
def test_output_into_missing_directories_creates_and_names_them(write, tmp_path, capsys, command):
    """As the library's writers (report(output=), Snapshot.save, to_csv) do: the command refused
    them, the library made them.  Named on stderr, so a mistyped one is seen."""
    path = write("x.yaml", [pod("a", "p")])
    if command == ["flows"]:  # flow logs in, the flow summary out
        path = Path(__file__).resolve().parent / "flows" / "data" / "flows.csv"
    target = tmp_path / "reprots" / "sub" / "out.file"
    assert main([*command, str(path), "-o", str(target)]) == 0
    err = capsys.readouterr().err
    assert (f"k8sviz: created the directories {tmp_path / 'reprots'}, {tmp_path / 'reprots' / 'sub'}\n"
            in err), err
    assert target.stat().st_size > 0 and [p.name for p in target.parent.iterdir()] == ["out.file"]
    # the directory there now: written again, nothing said of it
    assert main([*command, str(path), "-o", str(target)]) == 0
    assert "created the director" not in capsys.readouterr().err
    # one directory, said in the singular
    assert main([*command, str(path), "-o", str(tmp_path / "one" / "out.file")]) == 0
    assert f"k8sviz: created the directory {tmp_path / 'one'}\n" in capsys.readouterr().err


@pytest.mark.parametrize("writer", ["report", "save", "to_csv", "write_cluster"])
def test_library_writers_create_missing_directories_as_the_commands_do(write, tmp_path, writer):
    import k8sviz.notebook
    from k8sviz import synth

    path = write("x.yaml", [pod("a", "p")])
    target = tmp_path / "new" / "sub" / "out.file"
    snap = k8sviz.load(path)
    written = {
        "report": lambda: k8sviz.report(snap, output=target, generated_at="x"),
        "save": lambda: snap.save(target),
        "to_csv": lambda: k8sviz.notebook.to_csv(k8sviz.policy_inventory(snap), target),
        "write_cluster": lambda: synth.write_cluster(target, [pod("a", "p")]),
    }[writer]()
    assert written == target and target.stat().st_size > 0
    assert [p.name for p in target.parent.iterdir()] == ["out.file"]  # no temporary file left


@pytest.mark.parametrize("command", [["snapshot"], ["connectivity"], ["report"], ["flows"]])
def test_output_directories_are_not_made_by_a_run_that_writes_nothing(write, tmp_path, capsys, command):
    """Checked before the inputs are read by making them and removing them again: a run that
    stops on its input leaves no empty directory, and one that cannot be made is said before
    a report or a live snapshot takes minutes to build."""
    target = tmp_path / "new" / "sub" / "out.file"
    assert main([*command, str(tmp_path / "nope.yaml"), "-o", str(target)]) == 2
    assert "nope.yaml" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    # /proc takes no directory: said before the input (missing too) is
    unmade = "/proc/k8sviz-nope/sub/out.file"
    assert main([*command, str(tmp_path / "nope.yaml"), "-o", unmade]) == 2
    assert capsys.readouterr().err == (f"k8sviz: error: cannot write {unmade}: cannot create the directory "
                                       "/proc/k8sviz-nope: No such file or directory\n")


@pytest.mark.parametrize("command", [["snapshot"], ["connectivity"], ["report"], ["flows"]])
@pytest.mark.parametrize("below", ["out.file", "sub/out.file"])
def test_output_under_a_file_is_an_error_naming_it(write, tmp_path, capsys, command, below):
    """``-o notes.txt/out.file``: the file where a directory belongs is named, in one line,
    before the inputs are read (the write said only "File exists", after building the output)."""
    path = write("x.yaml", [pod("a", "p")])
    if command == ["flows"]:  # flow logs in, the flow summary out
        path = Path(__file__).resolve().parent / "flows" / "data" / "flows.csv"
    notes = tmp_path / "notes.txt"
    notes.write_text("kept\n")
    target = notes / below
    assert main([*command, str(path), "-o", str(target)]) == 2
    assert capsys.readouterr().err == f"k8sviz: error: cannot write {target}: {notes} is not a directory\n"
    assert notes.read_text() == "kept\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "x.yaml"]  # nothing else written
    # said before the inputs are read: a missing input is not what stops it
    assert main([*command, str(tmp_path / "nope.yaml"), "-o", str(target)]) == 2
    assert capsys.readouterr().err == f"k8sviz: error: cannot write {target}: {notes} is not a directory\n"


@pytest.mark.parametrize("command", [["snapshot"], ["connectivity"], ["report"]])
def test_output_onto_a_directory_is_an_error(write, tmp_path, capsys, command):
    path = write("x.yaml", [pod("a", "p")])
    assert main([*command, str(path), "-o", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (f"k8sviz: error: cannot write {tmp_path}: it is a directory "
                                       "(give a file name, or - for standard output)\n")
    assert [p.name for p in tmp_path.iterdir()] == ["x.yaml"]
    # an unset shell variable (`-o "$OUT"`): not the current directory
    assert main([*command, str(path), "-o", ""]) == 2
    assert capsys.readouterr().err == "k8sviz: error: -o: give a file name, or - for standard output\n"


def test_output_help_says_dash_and_the_directory_rule(capsys):
    for command, dash in (("snapshot", "- for standard output, if not a terminal"),
                          ("connectivity", "- for standard output"), ("flows", "- for standard output"),
                          ("report", "- for standard output, if not a terminal")):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert f"{dash}; missing directories are created and named on stderr)" in text, command


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
@pytest.mark.parametrize("command", [
    ["connectivity", "--demo"],
    ["flows", str(Path(__file__).resolve().parent / "flows" / "data" / "flows.csv")],
    ["snapshot", "--demo"],
])
def test_a_write_that_fails_half_way_leaves_the_previous_file_whole(tmp_path, command):
    # A real failure in the middle of the write: a file size limit (RLIMIT_FSIZE, as a full
    # disk would) well below what the command writes.  A plain open() had truncated the old
    # file and left the first 512 bytes of the new one, which read as a complete answer.
    import resource

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (512, 512))

    (tmp_path / "out.txt").write_text("the previous answer\n")
    # (no .pyc either: the limit would apply to them too)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
           "PYTHONDONTWRITEBYTECODE": "1"}
    run = [sys.executable, "-m", "k8sviz", *command, "-o", "out.txt"]
    proc = subprocess.run(run, cwd=tmp_path, env=env, capture_output=True, text=True,
                          preexec_fn=limit_file_size)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines()[-1] == "k8sviz: error: File too large: out.txt"
    assert "Traceback" not in proc.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temporary file left
    assert (tmp_path / "out.txt").read_text() == "the previous answer\n"
    # without the limit, the same command replaces it whole
    subprocess.run(run, cwd=tmp_path, env=env, capture_output=True, check=True)
    whole = subprocess.run([*run[:-1], "-"], cwd=tmp_path, env=env, capture_output=True, check=True).stdout
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    assert (tmp_path / "out.txt").read_bytes() == whole and len(whole) > 512


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
@pytest.mark.parametrize("command", [
    ["connectivity", "--demo"],
    ["snapshot", "--demo"],
])
def test_a_write_that_fails_leaves_no_directory_it_created(tmp_path, command):
    # The same real failure as above, into directories the write creates: they go with the
    # temporary file, or an empty "evidence/2026" would look as if the answer went there.
    import resource

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (512, 512))

    (tmp_path / "evidence").mkdir()
    (tmp_path / "evidence" / "kept.txt").write_text("kept\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
           "PYTHONDONTWRITEBYTECODE": "1"}
    run = [sys.executable, "-m", "k8sviz", *command, "-o", "evidence/2026/11/out.txt"]
    proc = subprocess.run(run, cwd=tmp_path, env=env, capture_output=True, text=True,
                          preexec_fn=limit_file_size)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == "k8sviz: error: File too large: evidence/2026/11/out.txt"
    assert "created the director" not in proc.stderr
    assert [p.name for p in (tmp_path / "evidence").iterdir()] == ["kept.txt"]  # existing: kept
    # without the limit, the directories are made and the file written
    subprocess.run(run, cwd=tmp_path, env=env, capture_output=True, check=True)
    assert (tmp_path / "evidence" / "2026" / "11" / "out.txt").stat().st_size > 512


def test_a_library_write_that_fails_leaves_no_directory_it_created(tmp_path):
    from k8sviz._files import atomic_open

    target = tmp_path / "new" / "sub" / "out.file"
    with pytest.raises(RuntimeError, match="stopped"), atomic_open(target) as f:
        f.write(b"half")
        raise RuntimeError("stopped")
    assert list(tmp_path.iterdir()) == []
    # a directory another writer filled meanwhile is not removed
    with pytest.raises(RuntimeError, match="stopped"), atomic_open(target) as f:
        (tmp_path / "new" / "other.txt").write_text("theirs")
        raise RuntimeError("stopped")
    assert [p.name for p in (tmp_path / "new").iterdir()] == ["other.txt"]


@pytest.mark.skipif(not Path("/dev/stdout").exists(), reason="no /dev/stdout")
@pytest.mark.parametrize("command", [
    ["connectivity", "--demo"],
    ["flows", str(Path(__file__).resolve().parent / "flows" / "data" / "flows.csv")],
    ["snapshot", "--demo"],
])
def test_output_to_dev_stdout_onto_a_pipe_is_written_into_it(tmp_path, command):
    # /dev/stdout onto a pipe links to "pipe:[...]": the atomic write wrote into it only when
    # it asked what the file is before following the link.
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    run = [sys.executable, "-m", "k8sviz", *command, "-o"]
    got = subprocess.run([*run, "/dev/stdout"], cwd=tmp_path, env=env, capture_output=True, check=True).stdout
    dash = subprocess.run([*run, "-"], cwd=tmp_path, env=env, capture_output=True, check=True).stdout
    assert got == dash and len(got) > 500
    assert list(tmp_path.iterdir()) == []


def _on_a_terminal(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], bytes]:
    """``python -m k8sviz ARGS`` with a pseudo-terminal as standard output: the process, and
    what reached the terminal (read as it comes, so a process that floods it cannot block)."""
    import threading

    master, slave = os.openpty()
    shown: list[bytes] = []

    def read() -> None:
        while True:
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:  # EIO: every writer of the terminal is gone
                return
            if not chunk:
                return
            shown.append(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        proc = subprocess.run([sys.executable, "-m", "k8sviz", *args], cwd=cwd, stdout=slave,
                              stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    finally:
        os.close(slave)
        reader.join()
        os.close(master)
    return proc, b"".join(shown)


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
@pytest.mark.parametrize(("command", "what"), [("report", "the report"), ("snapshot", "the snapshot")])
def test_report_and_snapshot_refuse_to_write_to_a_terminal(tmp_path, command, what):
    # As gzip does: megabytes of HTML or JSON on the screen help nobody.  Said before the
    # inputs are read: the PATH does not exist, and that is not what stops it.
    for inputs in ([str(tmp_path / "nope.yaml")], ["--demo"]):
        proc, shown = _on_a_terminal([command, *inputs, "-o", "-"], tmp_path)
        assert proc.returncode == 2 and shown == b""
        assert proc.stderr == (f"k8sviz: error: refusing to write {what} to a terminal: redirect it (> FILE) "
                               "or give -o FILE\n")
    assert list(tmp_path.iterdir()) == []
    # a file given with -o is written as ever, whatever standard output is
    proc, shown = _on_a_terminal([command, "--demo", "-o", "out"], tmp_path)
    assert proc.returncode == 0 and shown == b"" and (tmp_path / "out").stat().st_size > 1000


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_text_tables_still_go_to_a_terminal(tmp_path):
    proc, shown = _on_a_terminal(["connectivity", "--demo", "-o", "-"], tmp_path)
    assert proc.returncode == 0 and b"shop/frontend => " in shown


def test_report_and_snapshot_write_to_a_pipe(write, tmp_path):
    path = write("x.yaml", [pod("a", "p", ip="10.0.0.1"), netpol("a", "n", {"podSelector": {}})])
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    snap = subprocess.run([sys.executable, "-m", "k8sviz", "snapshot", str(path), "-o", "-"], cwd=tmp_path,
                          env=env, capture_output=True, check=True)
    sha256 = json.loads(snap.stdout)["sha256"]
    # the piped snapshot read back, as the README shows
    info = subprocess.run([sys.executable, "-m", "k8sviz", "info", "/dev/stdin"], input=snap.stdout,
                          cwd=tmp_path, env=env, capture_output=True, check=True).stdout.decode()
    assert f"sha256        {sha256}\n" in info and re.search(r"^pods +1$", info, re.M)
    html = subprocess.run([sys.executable, "-m", "k8sviz", "report", str(path), "-o", "-"], cwd=tmp_path,
                          env=env, capture_output=True, check=True).stdout
    assert html.startswith(b"<!DOCTYPE html>") and html.rstrip().endswith(b"</html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.yaml"]


def _warned_cluster(ipblocks: int, fqdns: int = 0) -> list[dict]:
    """Pods a/p0..p2 on 10.0.0.x, a hostNetwork pod, and policies that each raise one engine
    warning: ``ipblocks`` with an ipBlock 10.0.0.0/8 over the pods (ipblock-covers-pods),
    ``fqdns`` Cilium policies with toFQDNs (cilium-fqdn)."""
    objs: list[dict] = [pod("a", f"p{i}", {"app": f"p{i}"}, ip=f"10.0.0.{i + 1}") for i in range(3)]
    objs.append(pod("a", "agent", host_network=True))
    objs += [netpol("a", f"ip{i}", {"podSelector": {}, "policyTypes": ["Ingress"],
                                    "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]})
             for i in range(ipblocks)]
    objs += [{"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
              "metadata": {"name": f"dns{i}", "namespace": "a"},
              "spec": {"endpointSelector": {}, "egress": [{"toFQDNs": [{"matchName": f"x{i}.example.com"}]}]}}
             for i in range(fqdns)]
    return objs


_WARNED_COMMANDS = {
    "explain": ["--from", "a/p0", "--to", "a/p1", "--port", "80"],
    "connectivity": [],
    "isolation": [],
    "blast": ["--from", "a/p0"],
    "paths": ["--to", "a"],
}


@pytest.mark.parametrize("command", _WARNED_COMMANDS)
def test_engine_warnings_are_summarised_per_code_unless_warnings_all(command, write, capsys):
    """Hundreds of one caveat (an ipBlock per policy rule on a big cluster) buried the answer:
    at most 3 lines per code, codes in the order first seen, then a count of the rest."""
    path = write("x.yaml", _warned_cluster(ipblocks=5, fqdns=4))
    warnings = k8sviz.reachability(k8sviz.load(path)).warnings
    assert [w.code for w in warnings] == (
        ["ipblock-covers-pods"] * 5 + ["hostnetwork-unenforced"] + ["cilium-fqdn"] * 4)
    every = [f"k8sviz: warning: {w}" for w in warnings]

    def said(*opts: str) -> list[str]:
        main([command, str(path), *_WARNED_COMMANDS[command], *opts])
        # not paths' own warning that Services were not read
        return [line for line in capsys.readouterr().err.splitlines()
                if line.startswith(("k8sviz: warning: [", "k8sviz: warning: ... and"))]

    assert said() == [
        *every[:3],
        "k8sviz: warning: ... and 2 more [ipblock-covers-pods] warnings like these "
        "(--warnings all lists them)",
        every[5],  # one of its code: no count
        *every[6:9],
        "k8sviz: warning: ... and 1 more [cilium-fqdn] warning like these (--warnings all lists it)",
    ]
    assert said("--warnings", "summary") == said()
    assert said("--warnings", "all") == every


def test_three_engine_warnings_of_a_code_are_all_said(write, capsys):
    path = write("x.yaml", _warned_cluster(ipblocks=3))
    every = [f"k8sviz: warning: {w}" for w in k8sviz.reachability(k8sviz.load(path)).warnings]
    assert len(every) == 4
    assert main(["connectivity", str(path)]) == 0
    *warned, blank, count = capsys.readouterr().err.splitlines()  # then the txt table's count
    assert warned == every and blank == "" and " allowed connections at workload level: " in count


def test_json_output_is_whole_when_engine_warnings_are_summarised(write, capsys):
    path = write("x.yaml", _warned_cluster(ipblocks=5))
    assert main(["explain", str(path), "--from", "a/p0", "--to", "a/p1", "--port", "80",
                 "--format", "json"]) == 1
    out = capsys.readouterr()
    assert json.loads(out.out)["allowed"] is False
    assert "... and 2 more [ipblock-covers-pods] warnings" in out.err


def test_diff_summarises_the_engine_warnings_of_both_snapshots(write, capsys):
    """Each warning keeps its before:/after: prefix (none when both snapshots raise it)."""
    objs = _warned_cluster(ipblocks=7)
    ips = [o for o in objs if o["kind"] == "NetworkPolicy"]
    rest = [o for o in objs if o["kind"] != "NetworkPolicy"]
    before = write("before.yaml", rest + ips[:5])  # ip0..ip4
    after = write("after.yaml", rest + ips[2:])  # ip2..ip6
    old, new = (k8sviz.reachability(k8sviz.load(p)).warnings for p in (before, after))
    assert main(["diff", str(before), str(after), "--warnings", "all"]) == 0
    every = [line for line in capsys.readouterr().err.splitlines() if line.startswith("k8sviz: warning: ")]
    assert every == [f"k8sviz: warning: before: {old[0]}", f"k8sviz: warning: before: {old[1]}",
                     *(f"k8sviz: warning: {w}" for w in old[2:]),  # ip2..ip4, then the hostNetwork pod
                     f"k8sviz: warning: after: {new[3]}", f"k8sviz: warning: after: {new[4]}"]
    assert main(["diff", str(before), str(after)]) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if line.startswith("k8sviz: warning: ")]
    assert said == [
        *every[:3],
        "k8sviz: warning: ... and 4 more [ipblock-covers-pods] warnings like these "
        "(--warnings all lists them)",
        every[5],
    ]


def test_summarised_engine_warnings_are_one_line_each_and_cut_if_huge(capsys):
    from k8sviz.commands._common import WARNING_LINE_MAX, say_engine_warnings
    from k8sviz.model import LoadWarning

    huge = LoadWarning("huge", "x" * 5000)
    split = LoadWarning("split", "a name with\na newline")
    say_engine_warnings([huge, split])
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and len(lines[0]) == WARNING_LINE_MAX
    assert lines[0].startswith("k8sviz: warning: [huge] xxx")
    assert lines[0].endswith("x… (cut; --warnings all prints it whole)")
    assert lines[1] == "k8sviz: warning: [split] a name with a newline"
    say_engine_warnings([huge, split], "all")  # as they are
    assert capsys.readouterr().err == f"k8sviz: warning: {huge}\nk8sviz: warning: {split}\n"


def test_warnings_takes_summary_all_or_a_count_as_info_does(write, capsys):
    path = write("x.yaml", _warned_cluster(ipblocks=5))
    every = [f"k8sviz: warning: {w}" for w in k8sviz.reachability(k8sviz.load(path)).warnings]
    assert main(["isolation", str(path), "--warnings", "ALL"]) == 0
    assert capsys.readouterr().err.count("[ipblock-covers-pods]") == 5

    def said(value: str) -> list[str]:
        assert main(["isolation", str(path), "--warnings", value]) == 0
        return [line for line in capsys.readouterr().err.splitlines() if line.startswith("k8sviz: warning: ")]

    # a count took a usage error here and worked for info only; N lines per code, then a count
    # of the rest of that code: the first N in order hid the hostNetwork caveat behind ipBlocks
    assert said("4") == [*every[:4], "k8sviz: warning: ... and 1 more [ipblock-covers-pods] warning like "
                         "these (--warnings all lists it)", every[5]]
    assert said("0") == ["k8sviz: warning: 5 [ipblock-covers-pods] warnings (--warnings all lists them)",
                         "k8sviz: warning: 1 [hostnetwork-unenforced] warning (--warnings all lists it)"]
    assert said("3") == said("summary")
    assert said("5") == said("60") == every
    for bad in ("-1", "some"):
        assert main(["isolation", str(path), "--warnings", bad]) == 2
        assert capsys.readouterr().err == (
            f"k8sviz: error: --warnings takes summary, all or a count of 0 or more, not {bad!r}\n")


def test_warnings_n_is_per_code_and_leaves_the_other_sources_as_they_are(write, tmp_path):
    """What --warnings N does to each source of warning lines, in a real process (the library's
    warnings reach stderr through Python's warnings machinery, which pytest captures): the
    engine's caveats N per code then a count per code; the loader's one line whatever N; a flow
    log's warnings one line each."""
    secrets = [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"s{i}", "namespace": "a"}}
               for i in range(4)]
    path = write("x.yaml", [*_warned_cluster(ipblocks=5, fqdns=1), *secrets])
    flows = Path(__file__).resolve().parent / "flows" / "data" / "flows.csv"
    caveats = [f"k8sviz: warning: {w}" for w in k8sviz.reachability(k8sviz.load(path)).warnings]
    assert len(caveats) == 7  # ipBlock x5, hostNetwork, toFQDNs

    def said(value: str) -> list[str]:
        proc = subprocess.run([sys.executable, "-m", "k8sviz", "gaps", str(path), "--flows", str(flows),
                               "--format", "json", "--warnings", value], capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
        assert proc.returncode == 0, proc.stderr
        json.loads(proc.stdout)  # the output whole, whatever is said on stderr
        lines = proc.stderr.splitlines()
        assert all(line.startswith("k8sviz: warning: ") for line in lines), lines
        return lines

    every = said("all")
    loader = [line for line in every if "load warnings while reading the input" in line]
    flow_lines = [line for line in every if str(flows) in line]
    assert len(loader) == 1 and loader[0].startswith("k8sviz: warning: 4 load warnings ")
    assert len(flow_lines) == 2  # the records skipped, the endpoints not mapped
    assert [line for line in every if line in caveats] == caveats
    # gaps' own line: the flow checks it could not make
    unchecked = [line for line in every if line.startswith("k8sviz: warning: not checked, since no flow")]
    assert len(every) == len(loader) + len(flow_lines) + len(caveats) + len(unchecked) and len(unchecked) == 1
    engine = {}
    for value in ("0", "1", "60"):
        lines = said(value)
        # the other sources as with all, in the same order
        others = loader + flow_lines + unchecked
        assert [line for line in lines if line in others] == others, value
        engine[value] = [line for line in lines if line not in others]
    assert engine["0"] == ["k8sviz: warning: 5 [ipblock-covers-pods] warnings (--warnings all lists them)",
                           "k8sviz: warning: 1 [hostnetwork-unenforced] warning (--warnings all lists it)",
                           "k8sviz: warning: 1 [cilium-fqdn] warning (--warnings all lists it)"]
    assert engine["1"] == [caveats[0], "k8sviz: warning: ... and 4 more [ipblock-covers-pods] warnings like these "
                           "(--warnings all lists them)", caveats[5], caveats[6]]
    assert engine["60"] == caveats


@pytest.mark.parametrize("command", ["gaps", "segmentation", "report"])
def test_gaps_segmentation_and_report_summarise_the_engine_warnings_too(command, write, tmp_path, capsys):
    """They evaluate the policies as the others do, and said none of the caveats their findings,
    violations and report rest on."""
    path = write("x.yaml", _warned_cluster(ipblocks=5, fqdns=1))
    zones = write("zones.yaml", {"zones": {"a": {"namespaceSelector": {
        "matchLabels": {"kubernetes.io/metadata.name": "a"}}}}})
    opts = {"gaps": [], "segmentation": ["--zones", str(zones)],
            "report": ["-o", str(tmp_path / "r.html")]}[command]
    warnings = k8sviz.reachability(k8sviz.load(path)).warnings
    assert [w.code for w in warnings] == (
        ["ipblock-covers-pods"] * 5 + ["hostnetwork-unenforced", "cilium-fqdn"])
    every = [f"k8sviz: warning: {w}" for w in warnings]

    def said(*more: str) -> list[str]:
        assert main([command, str(path), *opts, *more]) == 0
        return [line for line in capsys.readouterr().err.splitlines()
                if line.startswith(("k8sviz: warning: [", "k8sviz: warning: ... and"))]

    assert said() == [
        *every[:3],
        "k8sviz: warning: ... and 2 more [ipblock-covers-pods] warnings like these "
        "(--warnings all lists them)",
        *every[5:],
    ]
    assert said("--warnings", "all") == every
    # judged with ipBlocks matching pods, the warnings say so
    assert all("and matches them (ipblocks_match_pods=True)" in line
               for line in said("--ipblocks-match-pods", "--warnings", "all")[:5])


def test_connectivity_txt_says_none_where_the_policies_allow_nothing(write, capsys):
    # Found by fuzzing the CLI: txt printed nothing at all, as a run that read nothing would;
    # the other formats keep their header and the other commands' txt tables say "(none)".
    deny = netpol("a", "deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
    path = write("x.yaml", [pod("a", "p", ip="10.0.0.1"), deny])
    assert main(["connectivity", str(path)]) == 0
    assert capsys.readouterr().out == "(none)\n"
    assert main(["connectivity", str(path), "--format", "csv"]) == 0
    assert capsys.readouterr().out == "src,dst,protocol,ports\n"


@pytest.mark.parametrize("level", ["workload", "pod"])
def test_connectivity_txt_ends_with_the_counts_of_to_frame(level, write, capsys):
    """gaps, blast, paths and segmentation end with a count; connectivity printed 563 rows and
    none, where notebook 1 counts them by src_type and dst_type."""
    assert main(["connectivity", "--demo", "--level", level]) == 0
    captured = capsys.readouterr()
    df = k8sviz.reachability(k8sviz.demo()).to_frame(level=level)
    by = df.groupby(["src_type", "dst_type"]).size().to_dict()
    assert set(by) == {(level, level), (level, "external"), ("external", level)}
    assert captured.err.splitlines()[-1] == (
        f"{len(df):,} allowed connections at {level} level: {by[level, level]} between {level}s, "
        f"{by[level, 'external']} to outside address blocks, {by['external', level]} from them")
    assert len(captured.out.splitlines()) == len(df)
    if level == "workload":  # the figures notebook 1 prints
        counts = (len(df), by[level, level], by[level, "external"], by["external", level])
        assert counts == (563, 114, 313, 136)
    assert main(["connectivity", "--demo", "--level", level, "--format", "json"]) == 0
    assert "allowed connections" not in capsys.readouterr().err  # the table alone, as before
    deny = netpol("a", "deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
    path = write("x.yaml", [pod("a", "p", ip="10.0.0.1"), deny])
    assert main(["connectivity", str(path), "--level", level]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"0 allowed connections at {level} level: 0 between {level}s, 0 to outside address blocks, "
        "0 from them")


_TAMPERED = ('apiVersion: v1\nkind: Pod\nmetadata: {name: "p\\e[2J\\rx", namespace: a}\n'
             'spec: {containers: [{name: c, image: x}]}\nstatus: {phase: Running, podIP: 10.0.0.1}\n---\n'
             'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: "n\\e[2J", namespace: a}\n'
             'spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}}]}]}\n')


def test_control_characters_of_a_tampered_input_are_shown_not_obeyed_in_messages(tmp_path, capsys):
    # Found while fuzzing the CLI: a name holding ESC [2J (which the API server refuses, a dump
    # does not) cleared the screen from a warning line, hiding the lines before it.
    path = tmp_path / "x.yaml"
    path.write_text(_TAMPERED)
    assert main(["connectivity", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "[ipblock-covers-pods] NetworkPolicy/a/n\\x1b[2J: ipBlock 10.0.0.0/8" in err and "\x1b" not in err
    # not a terminal: the output is the data as it is (a pipe or file gets the name)
    assert "a/p\x1b[2J\rx => " in out


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_control_characters_of_a_tampered_input_are_shown_not_obeyed_on_a_terminal(tmp_path):
    (tmp_path / "x.yaml").write_text(_TAMPERED)
    proc, shown = _on_a_terminal(["connectivity", "x.yaml", "--level", "pod"], tmp_path)
    assert proc.returncode == 0 and b"\x1b" not in shown and b"\r" not in shown.replace(b"\r\n", b"")
    assert b"a/p\\x1b[2J\\x0dx => " in shown


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (a full disk)")
@pytest.mark.parametrize("command", [["connectivity", "--demo"], ["snapshot", "--demo"],
                                     ["flows", str(k8sviz.demo_path("flows") / "calico.json")]])
def test_an_output_file_that_cannot_be_written_is_named(command, capsys):
    # Found by fuzzing the CLI: "k8sviz: error: No space left on device", naming no file.
    assert main([*command, "-o", "/dev/full"]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert errors == ["k8sviz: error: No space left on device: /dev/full"]


def test_a_warning_raised_twice_is_said_once(capsys):
    from k8sviz.commands._common import say_engine_warnings
    from k8sviz.model import LoadWarning

    unread = LoadWarning("policies-not-read", "no NetworkPolicy is in the input")
    other = LoadWarning("policies-not-read", "networkpolicies were not read (forbidden)")
    for how in ("summary", "all"):
        say_engine_warnings([unread, unread, other, unread], how)
        assert capsys.readouterr().err == f"k8sviz: warning: {unread}\nk8sviz: warning: {other}\n"
    # diff's prefixes tell BEFORE's line from AFTER's: both are said
    say_engine_warnings([unread, unread], "all", ["before: ", "after: "])
    assert capsys.readouterr().err.count("[policies-not-read]") == 2


@pytest.mark.parametrize("command", ["blast", "paths", "explain", "connectivity", "isolation", "gaps"])
def test_pods_without_networkpolicies_are_one_caveat_on_stderr(command, write, capsys):
    path = write("x.yaml", [pod("a", "p", {"app": "p"}, ip="10.0.0.1"),
                            pod("a", "q", {"app": "q"}, ip="10.0.0.2")])
    opts = {"blast": ["--from", "a/p"], "paths": ["--to", "a/q", "--any-entry"],
            "explain": ["--from", "a/p", "--to", "a/q", "--port", "80"]}.get(command, [])
    main([command, str(path), *opts])
    assert capsys.readouterr().err.count("[policies-not-read]") == 1


def test_main_puts_the_warning_form_back_for_its_python_caller(tmp_path):
    """main() writes a warning on one line, k8sviz's way, while it runs; a Python caller of it
    (a test, a notebook) got that form for every later warning of the process, its file and line
    gone."""
    before = warnings.formatwarning
    assert main(["info", "--demo"]) == 0
    assert main(["info", str(tmp_path / "missing")]) == 2  # an error's way out too
    assert warnings.formatwarning is before
    assert warnings.formatwarning("m", UserWarning, "f.py", 3).startswith("f.py:3: UserWarning: m")
