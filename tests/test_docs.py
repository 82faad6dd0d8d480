"""The docs' code runs as shown.

Every Python block of README.md, docs/*.md and data/demo/README.md runs on the demo data (the
live one against the loopback test API server), with the results its comments state; every
``k8sviz`` command line of their shell blocks runs through the CLI's ``main`` in a directory
where its placeholders (``snap.json``, ``zones.yaml``...) are demo files; the other lines name
files, extras and templates that exist. A user copies these first: a drift is a defect.
"""

from __future__ import annotations

import ast
import re
import shlex
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import k8sviz
from k8sviz.cli import build_parser, main

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "demo"
DOCS = (REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), DEMO / "README.md")


@dataclass(frozen=True)
class Block:
    doc: str  # the Markdown file, relative to the repository
    line: int  # the line of the block's first code line in it
    lang: str
    code: str


def blocks() -> list[Block]:
    found = []
    for path in DOCS:
        text = path.read_text()
        for m in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.S | re.M):
            line = text.count("\n", 0, m.start(2)) + 1
            found.append(Block(path.relative_to(REPO).as_posix(), line, m.group(1), m.group(2)))
    return found


# ---------------------------------------------------------------------------------- Python blocks

#: Every Python block, by the test that runs it: (doc, its n-th Python block).
PYTHON_BLOCKS = {
    "quick start": ("README.md", 0),
    "change review": ("README.md", 1),
    "flows": ("docs/flows.md", 0),
    "live": ("docs/live.md", 0),
    "report": ("docs/report.md", 0),
    "demo flows": ("data/demo/README.md", 0),
}


def python_block(name: str) -> Block:
    doc, index = PYTHON_BLOCKS[name]
    return [b for b in blocks() if b.doc == doc and b.lang == "python"][index]


def test_every_python_block_is_run_here():
    from collections import Counter

    shown, count = set(), Counter[str]()
    for b in blocks():
        if b.lang == "python":
            shown.add((b.doc, count[b.doc]))
            count[b.doc] += 1
    assert shown == set(PYTHON_BLOCKS.values()), "a Python block was added or removed: run it here"


class Ran:
    """What running a block left: the names it bound, and each top-level expression's value."""

    def __init__(self, names: dict[str, Any], values: list[tuple[str, Any]]):
        self.names = names
        self.values = values

    def __getitem__(self, name: str) -> Any:
        return self.names[name]

    def value(self, start: str) -> Any:
        """The value of the one expression whose source starts with ``start``."""
        (hit,) = [v for src, v in self.values if src.startswith(start)]
        return hit


def run_block(block: Block, **placeholders: str | Path) -> Ran:
    """Runs ``block`` as a user pasting it would, statement by statement, with each quoted
    placeholder (``"snap-2026-05.json"``) replaced by the path given for it; a failure's
    traceback names the doc's own line."""
    code = block.code
    for name, path in placeholders.items():
        assert f'"{name}"' in code, f"{block.doc}:{block.line}: no placeholder {name!r}"
        code = code.replace(f'"{name}"', repr(str(path)))
    tree = ast.parse(code)
    sources = [ast.get_source_segment(code, node) or "" for node in tree.body]
    ast.increment_lineno(tree, block.line - 1)
    filename = str(REPO / block.doc)
    names: dict[str, Any] = {"__name__": "__docs__"}
    values = []
    for node, src in zip(tree.body, sources, strict=True):
        if isinstance(node, ast.Expr):
            values.append((src, eval(compile(ast.Expression(node.value), filename, "eval"), names)))
        else:
            exec(compile(ast.Module([node], type_ignores=[]), filename, "exec"), names)
    return Ran(names, values)


@pytest.fixture
def lost_hubble_events_warn():
    """The demo capture's lost Hubble events warn, as data/demo/README.md says they do."""
    with pytest.warns(k8sviz.FlowWarning, match="Hubble lost 66 events"):
        yield


def test_quick_start(tmp_path, monkeypatch, lost_hubble_events_warn):
    monkeypatch.chdir(REPO)  # its paths are the checkout's
    ran = run_block(python_block("quick start"), **{"audit-report.html": tmp_path / "r.html"})
    assert ran.value("reach.can_reach(") is False  # "# -> False"
    verdict = ran.value("reach.explain(")  # "which rule of which policy"
    assert verdict.allowed
    assert "allowed by shop/checkoutservice-egress-payment egress[0]" in str(verdict)
    assert "allowed by pci/paymentservice-ingress ingress[0]" in str(verdict)
    assert {"src", "dst", "protocol", "ports"} <= set(ran.value("reach.to_frame("))
    isolation = ran.value("reach.isolation(")
    assert {"namespace", "workload", "direction"} <= set(isolation)
    assert set(isolation["state"]) <= {"isolated", "partial", "reopened", "unrestricted", "not-judged"}
    seg, findings, zones = ran["seg"], ran["findings"], ran["zones"]
    assert isinstance(seg.matrix, pd.DataFrame) and len(seg.violations)
    assert list(findings) == ["finding", "severity", "namespace", "name", "detail", "controls", "evidence"]
    # "zones=zones alone works too"
    pd.testing.assert_frame_equal(k8sviz.gaps(ran["snap"], ran["reach"], zones=zones), findings)
    assert "hops" in ran.value("k8sviz.blast_radius(")
    kinds = set(ran.value("k8sviz.flow_discrepancies(")["kind"])
    assert {"observed-but-policy-denies", "dropped-but-policy-allows"} <= kinds
    import networkx as nx
    import plotly.graph_objects as go

    assert type(ran["G"]) is nx.MultiDiGraph
    assert isinstance(ran.value("k8sviz.network_figure("), go.Figure)
    assert (tmp_path / "r.html").stat().st_size > 100_000


def test_change_review():
    """The demo's remediated snapshot stands in for the later review (data/demo/README.md)."""
    ran = run_block(python_block("change review"), **{
        "snap-2026-05.json": DEMO / "cluster",
        "snap-2026-11.json": DEMO / "remediated.k8sviz.json",
        "zones.yaml": DEMO / "zones.yaml",
    })
    assert set(ran["changes"]["change"]) == {"removed", "narrowed"}  # data/demo/README.md says so
    changed = sorted(ran.value("k8sviz.policy_diff(")["change"])
    assert changed == ["added", "added", "modified", "removed", "removed"]
    assert list(ran.value("k8sviz.label_diff(")["object"]) == []  # no label was edited
    findings = ran.value("k8sviz.findings_diff(")
    assert "resolved" in set(findings["change"]) and "new" not in set(findings["change"])
    import plotly.graph_objects as go

    assert isinstance(ran.value("k8sviz.changes_figure("), go.Figure)


def test_flows(tmp_path, monkeypatch, lost_hubble_events_warn):
    pytest.importorskip("duckdb")  # aggregate_flow_archive: pip install 'k8sviz[flows]'
    monkeypatch.chdir(tmp_path)  # it runs from anywhere: the demo data is found by demo_path
    ran = run_block(python_block("flows"))
    files = ran.value("k8sviz.flow_report(")["sources"]
    assert sorted(s["format"] for s in files) == ["calico", "hubble"]
    edges = ran.value("k8sviz.flow_edges(")
    assert len(ran.value("k8sviz.flow_windows(")) == 2
    assert set(ran.value("k8sviz.clock_skew(")["suspect_node"]) == {"gke-shop-pool-1-32c3bb81-5nj2"}
    assert len(ran.value("k8sviz.flow_discrepancies(")) == 3
    # docs/flows.md: "the same edges as flow_edges, with the same labels and counts"
    archive = ran.value("k8sviz.aggregate_flow_archive(")
    key = ["src", "dst", "protocol", "flows", "records"]
    assert sorted(archive[key].astype(str).values.tolist()) == sorted(edges[key].astype(str).values.tolist())


def test_report_from_python(tmp_path, monkeypatch, lost_hubble_events_warn):
    monkeypatch.chdir(REPO)
    ran = run_block(python_block("report"), **{"audit-report.html": tmp_path / "r.html"})
    assert ran.value("k8sviz.report(") == tmp_path / "r.html"  # "# -> Path"
    assert (tmp_path / "r.html").stat().st_size > 100_000
    assert isinstance(ran["html"], str) and ran["html"].rstrip().endswith("</html>")  # output=None


def test_demo_flows(lost_hubble_events_warn):
    """The block of data/demo/README.md's "Flows", with the anomalies that section plants."""
    ran = run_block(python_block("demo flows"))
    found = ran.value("k8sviz.flow_discrepancies(")
    kinds = ["allowed-but-unused", "dropped-but-policy-allows", "observed-but-policy-denies"]  # a, b, c
    assert sorted(found["kind"]) == kinds
    skew = ran.value("k8sviz.clock_skew(")
    assert len(skew) == 4 and set(skew["suspect_node"]) == {"gke-shop-pool-1-32c3bb81-5nj2"}  # anomaly d


# ---------------------------------------------------------------------------------- command lines


@dataclass(frozen=True)
class Line:
    doc: str
    line: int
    text: str  # as shown, without its comment

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}: {self.text}"


#: docs/flows.md's example of a CSV flow log, the one block without a language that is no shell.
CSV_HEADER = "time,src_ip,dst_ip,dst_port,protocol,verdict\n"


def shell_lines() -> list[Line]:
    """The command lines of every shell block (``\\`` continuations joined) and the README's
    ``    $ `` lines."""
    found = []
    for b in blocks():
        if b.lang not in ("", "sh", "bash") or b.code.startswith(CSV_HEADER):
            continue
        joined = b.code.replace("\\\n", " ")
        for i, line in enumerate(joined.splitlines()):
            text = line.split(" #", 1)[0].strip()
            if text and not text.startswith("#"):
                found.append(Line(b.doc, b.line + i, text))
    readme = (REPO / "README.md").read_text()
    for m in re.finditer(r"^    \$ (.+)$", readme, re.M):
        found.append(Line("README.md", readme.count("\n", 0, m.start()) + 1, m.group(1)))
    return found


def k8sviz_lines() -> list[Line]:
    """Each ``k8sviz ...`` line, as its arguments (``pip install . && k8sviz ...`` too)."""
    found = []
    for line in shell_lines():
        command = line.text.rsplit("&& ", 1)[-1]
        if command.startswith("k8sviz "):
            found.append(Line(line.doc, line.line, command.removeprefix("k8sviz ")))
    return found


#: The lines shown that read a live cluster. They run against the loopback test API server
#: (tests/live/apiserver.py) standing in for the auditor's cluster, in this order; the report
#: reads the snapshot the first one writes. ``--in-cluster`` needs a pod's service account:
#: that one is only parsed.
LIVE = (
    "snapshot --kubeconfig auditor.kubeconfig --context prod -o prod.snapshot.json",
    "snapshot --kubeconfig auditor.kubeconfig -n shop -n payments -o shop.snapshot.json",
    "report prod.snapshot.json --zones zones.yaml -o prod-audit.html",
)
PARSED_ONLY = ("snapshot --in-cluster --cluster prod -o /tmp/prod.snapshot.json",)


def offline_lines() -> list[Line]:
    """The other lines, each once (where it is first shown)."""
    first: dict[str, Line] = {}
    for line in k8sviz_lines():
        if line.text not in LIVE + PARSED_ONLY:
            first.setdefault(line.text, line)
    return list(first.values())


#: What the lines' placeholders stand for: made in the directory each line runs in (snap.json
#: is a snapshot file of the demo cluster, last-quarter.json the demo's later one); data/demo/
#: paths are the checkout's own.
PLACEHOLDERS = {
    "data": REPO / "data",
    "dumps": DEMO / "cluster",
    "last-quarter.json": DEMO / "remediated.k8sviz.json",
    "zones.yaml": DEMO / "zones.yaml",
    "flows": DEMO / "flows",
    "hubble.json.gz": DEMO / "flows" / "hubble.json.gz",
    "calico.json": DEMO / "flows" / "calico.json",
}

#: Exit statuses other than 0, as the line's comment says ("exit 0 allowed, 1 denied"): the
#: frontend may not reach the payment service.
EXIT_STATUS = {"explain snap.json --from shop/frontend --to pci/paymentservice --port 50051": 1}


def _only_removed_or_narrowed(out: str, err: str) -> bool:
    _header, *rows = out.splitlines()
    return bool(rows) and not any(re.search(r"\s(added|widened|changed)\s", row) for row in rows)


def _csv(out: str) -> list[dict[str, str]]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(out)))


def _within_hops(out: str, err: str) -> bool:
    _header, *rows = out.splitlines()  # workload, namespace, hops, path, ports
    return bool(rows) and {int(row.split()[2]) for row in rows} <= {1, 2, 3}


def _connections(out: str, err: str) -> bool:
    import json

    return all(set(c) == {"src", "dst", "protocol", "ports"} for c in json.loads(out))


STATES = {"isolated", "partial", "reopened", "unrestricted", "not-judged"}

#: What a line's comment promises of its output (standard output, standard error).
PROMISES: dict[str, Callable[[str, str], bool]] = {
    "info data/demo/cluster": lambda out, err: "coverage" in out and "warnings" in out,
    "snapshot dumps/ -o snap.json": lambda out, err: "sha256" in err,
    "connectivity snap.json --level workload --format json": _connections,
    "explain snap.json --from shop/frontend --to pci/paymentservice --port 50051":
        lambda out, err: "DENIED" in out,
    "policies snap.json --format csv":
        lambda out, err: {"tier", "order", "selected_pods", "evaluated"} <= set(_csv(out)[0]),
    "isolation snap.json --level pod --format csv":
        lambda out, err: {r["state"] for r in _csv(out)} <= STATES and all(r["pod"] for r in _csv(out)),
    "blast snap.json --from shop/frontend --max-hops 3": _within_hops,
    "paths snap.json --to pci --zones zones.yaml":
        lambda out, err: "internet -> kube-system/node-agent -> pci/card-vault" in out,
    "flows data/demo/flows --snapshot data/demo/cluster --level namespace --format csv":
        lambda out, err: all("/" not in r["src"] + r["dst"] for r in _csv(out)),
    "diff data/demo/cluster data/demo/remediated.k8sviz.json": _only_removed_or_narrowed,
    "diff data/demo/cluster data/demo/remediated.k8sviz.json --policies":
        lambda out, err: "2 added, 2 removed, 1 modified" in err,
}


def test_the_lists_above_name_lines_the_docs_show():
    """Nothing stale: each line named here is shown (a line edited in a doc fails here)."""
    shown = {line.text for line in k8sviz_lines()}
    named = {*LIVE, *PARSED_ONLY, *EXIT_STATUS, *PROMISES}
    assert named <= shown, named - shown
    assert len(offline_lines()) >= 15


def test_every_command_line_parses():
    for line in k8sviz_lines():
        try:
            build_parser().parse_args(shlex.split(line.text))
        except SystemExit:
            raise AssertionError(f"{line}: does not parse") from None


@pytest.fixture(scope="module")
def demo_snapshot_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return k8sviz.load(DEMO / "cluster").save(tmp_path_factory.mktemp("snap") / "snap.json")


def workdir(path: Path, snap: Path) -> Path:
    for name, target in PLACEHOLDERS.items():
        (path / name).symlink_to(target)
    shutil.copy(snap, path / "snap.json")  # a copy: `snapshot ... -o snap.json` replaces it
    return path


def output_file(args: list[str]) -> str | None:
    for flag in ("-o", "--output"):
        if flag in args:
            return args[args.index(flag) + 1]
    return None


@pytest.mark.parametrize("line", offline_lines(), ids=lambda line: f"{line.doc}:{line.line}")
def test_command_line_runs(line, demo_snapshot_file, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(workdir(tmp_path, demo_snapshot_file))
    args = shlex.split(line.text)
    assert main(args) == EXIT_STATUS.get(line.text, 0), str(line)
    out, err = capsys.readouterr()
    written = output_file(args)
    if written not in (None, "-"):
        assert (tmp_path / written).stat().st_size > 0, str(line)
    else:
        assert out.strip(), str(line)
    assert "Traceback" not in err
    if line.text in PROMISES:
        assert PROMISES[line.text](out, err), f"{line}: the output is not what its comment says"


def test_live_lines_and_block_against_the_test_api_server(tmp_path, monkeypatch, capsys):
    """docs/live.md's Python block and the live command lines shown, against the loopback test
    API server serving the demo cluster (and the ``payments`` namespace a line names)."""
    pytest.importorskip("kubernetes")
    from k8sviz.sources.manifests import expand_list, read_path
    from tests.live.apiserver import FakeAPIServer

    objects = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "payments"}}]
    for _, docs in read_path(DEMO / "cluster", lambda w: None):
        for i, doc in enumerate(docs):
            objects += [d.obj for d in expand_list(doc, f"#{i}", lambda w: None)]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "zones.yaml").symlink_to(DEMO / "zones.yaml")
    with FakeAPIServer(objects) as server:
        server.kubeconfig(tmp_path / "auditor.kubeconfig", context="prod")
        ran = run_block(python_block("live"))
        coverage = ran.value("snap.coverage")  # {"pods": "ok", "ciliumnetworkpolicies": "not-installed", ...}
        assert coverage["pods"] == "ok" and coverage["ciliumnetworkpolicies"] == "not-installed"
        saved = k8sviz.load("prod.snapshot.json")
        assert saved.meta["cluster"] == "prod"  # "defaults to the context name"
        assert len(saved.pods) == len(k8sviz.load(DEMO / "cluster").pods)
        for text in LIVE:
            args = shlex.split(text)
            assert main(args) == 0, text
            assert (tmp_path / args[-1]).stat().st_size > 0
        assert "Traceback" not in capsys.readouterr().err
    assert set(k8sviz.load("shop.snapshot.json").namespace_scope or ()) == {"shop", "payments"}


# ---------------------------------------------------------------------------------- other blocks


def _extras() -> set[str]:
    import tomllib

    return set(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"])


def _commands() -> Iterator[tuple[Line, list[str]]]:
    """The lines of the shell blocks that are not ``k8sviz`` ones, each ``&&`` part split."""
    for line in shell_lines():
        for part in line.text.split("&&"):
            args = shlex.split(part)
            if args and args[0] != "k8sviz":
                yield line, args


def test_other_command_lines_name_what_exists():
    """pip extras, scripts, notebooks and templates the install, test and export lines name."""
    extras = _extras()
    seen = set()
    for line, args in _commands():
        program = args[0]
        seen.add(program)
        assert program in ("pip", "python", "pytest", "jupyter"), f"{line}: a command this test does not know"
        for arg in args[1:]:
            if m := re.fullmatch(r"(?:\.|k8sviz)\[(\w+)\]", arg):
                assert m.group(1) in extras, f"{line}: no extra {m.group(1)!r} in pyproject.toml"
            elif arg.endswith((".py", ".ipynb", "/")) and not arg.startswith("-"):
                assert (REPO / arg).exists(), f"{line}: {arg} does not exist"
            elif m := re.fullmatch(r"--TemplateExporter\.extra_template_basedirs=\$\(python -c '(.*)'\)",
                                   arg):
                import contextlib
                import io

                printed = io.StringIO()
                with contextlib.redirect_stdout(printed):
                    exec(m.group(1), {})
                template = args[args.index("--template") + 1]
                assert (Path(printed.getvalue().strip()) / template / "conf.json").exists(), str(line)
    assert seen == {"pip", "python", "pytest", "jupyter"}


def test_the_csv_header_example_loads(tmp_path, recwarn):
    (csv_block,) = [b for b in blocks() if b.code.startswith(CSV_HEADER)]
    path = tmp_path / "flows.csv"
    path.write_text(csv_block.code)
    flows = k8sviz.load_flows(path, snapshot=k8sviz.demo())
    row = flows.iloc[0]
    assert len(flows) == 1 and k8sviz.flow_report(flows)["problems"] == []
    assert (row["src_namespace"], row["src_workload"], row["dst_workload"], row["dst_port"]) == (
        "shop", "loadgenerator", "cartservice", 7070)


def test_the_zones_example_loads_and_judges_the_demo(tmp_path):
    (zones_block,) = [b for b in blocks() if b.lang == "yaml" and b.code.startswith("zones:")]
    path = tmp_path / "zones.yaml"
    path.write_text(zones_block.code)
    zones = k8sviz.load_zones(path)
    snap = k8sviz.demo()
    seg = k8sviz.segmentation(snap, k8sviz.reachability(snap), zones)
    assert {"pci", "dmz"} <= set(seg.matrix.index)


def test_the_auditor_cluster_role_grants_what_a_live_snapshot_lists():
    """docs/live.md's ClusterRole: get and list on every resource snapshot_cluster may list,
    and nothing else (no Secrets, no ConfigMaps, no write verbs)."""
    from k8sviz.sources.live import RESOURCES

    (rbac,) = [b for b in blocks() if b.doc == "docs/live.md" and b.lang == "yaml"]
    role, binding = yaml.safe_load_all(rbac.code)
    granted = set()
    for rule in role["rules"]:
        assert rule["verbs"] == ["get", "list"]
        granted |= {(g, r) for g in rule["apiGroups"] for r in rule["resources"]}
    wanted = {(r.group, r.plural) for r in RESOURCES}
    assert granted == wanted, (wanted - granted, granted - wanted)
    assert binding["roleRef"]["name"] == role["metadata"]["name"]


# ---------------------------------------------------------------------------------- names in prose


def test_every_name_the_docs_give_exists():
    """``k8sviz.NAME`` (functions, modules, constants) and ``reach.``/``snapshot.``/``zones.``
    attributes named anywhere in the docs exist."""
    import importlib

    text = "\n".join(path.read_text() for path in DOCS)
    for dotted in sorted(set(re.findall(r"(?<![\w./-])k8sviz(?:\.[A-Za-z_]\w*)+", text))):
        parts = dotted.split(".")
        for i in range(len(parts), 0, -1):
            try:
                obj: Any = importlib.import_module(".".join(parts[:i]))
            except ImportError:
                continue
            for attr in parts[i:]:
                assert hasattr(obj, attr), f"the docs name {dotted}, which does not exist"
                obj = getattr(obj, attr)
            break
    snap = k8sviz.demo()
    reach = k8sviz.reachability(snap)
    zones = k8sviz.load_zones(DEMO / "zones.yaml")
    objects = {"reach": reach, "snapshot": snap, "snap": snap, "zones": zones}
    for name, attr in sorted(set(re.findall(r"`(reach|snapshot|snap|zones)\.(?!yaml\b)([a-z_]+)", text))):
        assert hasattr(objects[name], attr), f"the docs name {name}.{attr}, which does not exist"




def test_every_subcommand_but_diff_and_flows_takes_demo():
    """README, "From the shell": all but ``diff`` and ``flows`` take ``--demo`` instead of PATHs."""
    import argparse

    from k8sviz.cli import COMMANDS

    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    takes = {name for name in COMMANDS if "--demo" in sub.choices[name]._option_string_actions}
    assert takes == set(COMMANDS) - {"diff", "flows"}


def test_every_whole_command_in_the_prose_parses():
    """`k8sviz ...` spans of the prose that are whole commands, naming their input (``--demo``
    or a path) and no ``...`` or PLACEHOLDER, each part of a pipe or redirection:
    ``k8sviz snapshot dumps/ -o - | k8sviz info /dev/stdin``. The others name an option or a
    subcommand (`k8sviz report --flows`)."""
    text = "\n".join(path.read_text() for path in DOCS)
    checked = 0
    for span in re.findall(r"`(k8sviz [^`]+)`", text):
        if "..." in span or re.search(r"\b[A-Z]{2,}\b", span):
            continue
        if "--demo" not in span and not any(re.match(r"[^-].*[/.]", a) for a in span.split()[2:]):
            continue
        for part in re.split(r"[|>]", span):
            args = shlex.split(part)
            if args and args[0] == "k8sviz":
                try:
                    build_parser().parse_args(args[1:])
                except SystemExit:
                    raise AssertionError(f"`{span}` does not parse") from None
                checked += 1
    assert checked >= 5
