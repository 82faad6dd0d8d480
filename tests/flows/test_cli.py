from __future__ import annotations

import csv
import io
import json

from k8sviz.cli import main

from .conftest import DATA


def test_flows_txt(capsys):
    assert main(["flows", str(DATA / "hubble_wrapped.jsonl"), "--snapshot", "data/demo/cluster"]) == 0
    out = capsys.readouterr().out
    assert "hubble  1 file, 5 records" in out and "1 malformed, 1 truncated" in out
    assert "malformed: " in out and ":4:" in out
    assert "hubble_wrapped.jsonl: Hubble lost 12 events at 2026-11-20T10:00:02+00:00" in out
    assert "shop/loadgenerator => shop/cartservice : TCP 7070  2 flows (allowed 1, DENIED 1)" in out


def test_flows_txt_says_why_verdict_counts_need_not_add_up(capsys):
    """'145 flows (allowed 145, DENIED 6)' read as a sum gone wrong: the text says how they are
    counted when an edge's verdicts do not add up to its flows, and only then."""
    from k8sviz.flows import flow_edges, load_flows

    note = "allowed, DENIED and unknown are each counted that way within their verdict"
    demo = "data/demo/flows"
    assert main(["flows", f"{demo}/hubble.json.gz", "--snapshot", "data/demo/cluster"]) == 0
    out = capsys.readouterr().out
    assert "shop/checkoutservice => pci/paymentservice : TCP 50051  145 flows (allowed 145, DENIED 6)" in out
    assert out.rstrip("\n").splitlines()[-1].startswith("flows: connections, as counted by the observer")
    assert note in out and 'docs/flows.md, "Counting connections"' in out
    # the Calico log alone: every edge's verdicts add up (41 flows, allowed 35, DENIED 6)
    assert main(["flows", f"{demo}/calico.json", "--snapshot", "data/demo/cluster"]) == 0
    out = capsys.readouterr().out
    assert "41 flows (allowed 35, DENIED 6)" in out and note not in out
    edges = flow_edges(load_flows(f"{demo}/calico.json", snapshot=None))
    assert (edges["allowed"] + edges["denied"] + edges["unknown"] == edges["flows"]).all()


def test_flows_txt_names_a_problem_of_every_kind(capsys, tmp_path):
    """The text listed the first ten problems: a damaged file's "unreadable", after its
    malformed lines, was not said, nor that it could not be read to its end."""
    import gzip

    good = json.dumps({"flow": {"time": "2024-03-15T10:00:00Z", "verdict": "FORWARDED",
                                "IP": {"source": "10.0.0.1", "destination": "10.0.0.2"},
                                "l4": {"TCP": {"source_port": 40000, "destination_port": 80}}}})
    packed = bytearray(gzip.compress(("\n".join([good] + [good[:40]] * 12 + [good]) + "\n").encode()))
    packed[-8] ^= 0xFF  # the CRC: read to the end, then refused
    p = tmp_path / "hubble.json.gz"
    p.write_bytes(bytes(packed))
    assert main(["flows", str(p)]) == 0
    lines = capsys.readouterr().out.splitlines()
    said = [line.split(":", 1)[0].strip() for line in lines if line.startswith("  ")]
    assert said[:11] == ["malformed"] * 10 + ["unreadable"], lines
    assert f"  unreadable: {p}:15: cannot read further: CRC check failed" in "\n".join(lines)
    assert "  ... and more problems: --format json lists the first 13" in lines


def test_flows_json_and_csv(capsys, tmp_path):
    assert main(["flows", str(DATA / "calico_array.json"), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"]["sources"]["calico"]["records"] == 6
    assert {"src", "dst", "ports", "flows", "first_seen"} <= set(doc["edges"][0])
    out = tmp_path / "e.csv"
    assert (
        main(["flows", str(DATA / "flows.csv"), "--format", "csv", "-o", str(out), "--level", "namespace"])
        == 0
    )
    assert out.read_text().startswith("src,dst,protocol,ports,flows")


def test_flows_csv_cells_from_the_logs_never_run_as_formulas(capsys, tmp_path):
    """A pod name in a tampered log is text in a spreadsheet, not a command; counts stay numbers."""
    from .conftest import write_jsonl
    from .test_bad_values import hubble

    rec = hubble("2024-03-15T10:00:00Z", src="10.0.0.1", dst="10.0.0.2")
    rec["flow"]["source"] = {"namespace": "=cmd|' /C calc'!A0", "pod_name": "@SUM(A1)"}
    out = tmp_path / "e.csv"
    assert main(["flows", str(write_jsonl(tmp_path, [rec])), "--format", "csv", "-o", str(out)]) == 0
    (row,) = list(csv.DictReader(io.StringIO(out.read_text())))
    assert row["src"].startswith("'=cmd|' /C calc'!A0/")
    assert row["flows"] == "1" and row["ports"] == "80"


def test_flows_missing_file(capsys):
    assert main(["flows", "no/such/file.json"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_flows_summary_counts_hubble_event_types(capsys, tmp_path):
    from .conftest import write_jsonl
    from .test_l7_sock import CART, FRONTEND, HTTP_REQ, LOADGEN, event

    p = write_jsonl(tmp_path, [
        event(LOADGEN, FRONTEND, 8080, "FORWARDED", type_="L3_L4", t=1),
        event(LOADGEN, FRONTEND, 8080, "DROPPED", type_="L7", l7=HTTP_REQ, t=2),
        event(LOADGEN, CART, 7070, "TRACED", type_="SOCK", xlate="SOCK_XLATE_POINT_PRE_DIRECTION_FWD", t=3),
    ])
    assert main(["flows", str(p), "--snapshot", "data/demo/cluster"]) == 0
    out = capsys.readouterr().out
    assert "Hubble event types: L3_L4 1, L7 1, SOCK 1" in out
    assert main(["flows", str(p), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["flow_types"] == {"L3_L4": 1, "L7": 1, "SOCK": 1}
    # Plain packets only: no line about event types.
    assert main(["flows", str(DATA / "hubble_wrapped.jsonl")]) == 0
    assert "event types" not in capsys.readouterr().out


def test_an_option_that_took_the_positional_paths_says_so(capsys, tmp_path):
    flows = str(DATA / "hubble_wrapped.jsonl")
    # --snapshot and --flows take one or more paths: argparse gave them the positional ones too,
    # and its error named only the "missing" FLOWS or PATH.
    assert main(["flows", "--snapshot", "data/demo/cluster", flows]) == 2
    err = capsys.readouterr().err
    assert err == (f"k8sviz: error: give at least one FLOWS file or directory: --snapshot takes one or more paths "
                   f"and took every one after it (data/demo/cluster, {flows}); put --snapshot after the FLOWS, "
                   "or end its paths with -- (then give every other option before it)\n")
    for cmd in ("gaps", "report"):
        assert main([cmd, "--flows", flows, "data/demo/cluster", "-o" if cmd == "report" else "--summary",
                     *([str(tmp_path / "r.html")] if cmd == "report" else [])]) == 2
        err = capsys.readouterr().err
        assert err.startswith("k8sviz: error: give at least one PATH (or --demo): --flows takes one or more paths "
                              f"and took every one after it ({flows}, data/demo/cluster); put --flows after the PATHs")
        assert err.count("\n") == 1
    assert main(["flows"]) == 2
    assert capsys.readouterr().err == "k8sviz: error: give at least one FLOWS file or directory\n"
    # the ways out it names work
    assert main(["flows", "--snapshot", "data/demo/cluster", "--", flows]) == 0
    assert main(["gaps", "--flows", flows, "--", "data/demo/cluster"]) == 0


def test_flows_option_is_repeatable():
    from k8sviz.cli import build_parser

    for cmd in ("gaps", "report"):
        args = build_parser().parse_args([cmd, "s.json", "--flows", "a.json", "--flows", "b.json", "c.json"])
        assert args.flows == ["a.json", "b.json", "c.json"]  # the first --flows was dropped


def test_a_directory_without_flow_logs_is_said_not_read_as_a_quiet_network(capsys, tmp_path):
    """A mistyped directory, or logs under a suffix not read, loaded as zero flows and printed
    nothing: indistinguishable from a network that sent nothing."""
    import warnings

    import k8sviz
    from k8sviz.flows import FlowWarning, flow_report

    empty = tmp_path / "logs"
    empty.mkdir()
    (empty / "hubble.json.zst").write_bytes(b"\x28\xb5\x2f\xfd")  # a suffix k8sviz does not read
    assert main(["flows", str(empty)]) == 0
    out = capsys.readouterr().out
    assert f"  no-input: {empty}: no flow log file (.json, .jsonl," in out
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = k8sviz.load_flows(empty, DATA / "flows.csv")
    assert len(df)  # the other input is read as before
    assert [p["kind"] for p in flow_report(df)["problems"] if p["file"] == str(empty)] == ["no-input"]
    assert any(w.category is FlowWarning and "no-input" in str(w.message) for w in caught)
    # a directory that holds a flow log is no problem
    df = k8sviz.load_flows(k8sviz.demo_path("flows"))
    assert "no-input" not in flow_report(df)["problem_counts"]


def test_flows_help_says_what_each_format_holds(capsys):
    """The help promised a per-source summary in every format; csv holds the edges only."""
    import argparse

    from k8sviz.cli import build_parser

    flows = str(DATA / "flows.csv")
    assert main(["flows", flows, "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("src,dst,protocol,ports,flows")
    assert main(["flows", flows, "--format", "json"]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {"summary", "edges"}
    subparsers = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    described = " ".join(subparsers.choices["flows"].format_help().split())
    said = ("and the observed edges (--format csv and md: the edges only, with what the summary would say "
            "of lost events, unreadable lines and unmapped endpoints as warnings on stderr; json: both, "
            "under summary and edges).")
    assert said in described


def test_flows_csv_says_on_stderr_what_the_summary_would():
    """csv holds the edges only: the lost events and unreadable lines the txt summary reports
    were said nowhere, a capture with holes read as a whole one."""
    import subprocess
    import sys

    flows = str(DATA / "hubble_wrapped.jsonl")

    def run(fmt: str) -> subprocess.CompletedProcess[str]:
        # A real process: pytest would capture the warnings before the CLI prints them.
        cmd = [sys.executable, "-m", "k8sviz", "flows", flows, "--format", fmt]
        return subprocess.run(cmd, capture_output=True, text=True, check=True)

    done = run("csv")
    assert done.stdout.startswith("src,dst,protocol,ports,flows")
    assert f"k8sviz: warning: {flows}: skipped 1 malformed, 1 truncated" in done.stderr
    md = run("md")  # the edges only too: the same warnings
    assert md.stdout.startswith("| src | dst | protocol | ports | flows |") and md.stderr == done.stderr
    # A shell user is sent to the command that lists the problems, not into a DataFrame's attrs.
    assert "(first at line 4); see the problems that `k8sviz flows FLOWS --format json` lists" in done.stderr
    assert "df.attrs" not in done.stderr
    assert f"k8sviz: warning: {flows}: Hubble lost 12 events at 2026-11-20T10:00:02+00:00" in done.stderr
    # txt and json hold the same facts in the summary: not said twice
    for fmt, said in (("txt", "Hubble lost 12 events"), ("json", '"lost_events"')):
        done = run(fmt)
        assert said in done.stdout and done.stderr == ""


def test_flows_output_does_not_depend_on_the_order_of_the_files(capsys):
    """The per-format summary followed the order the files were given in; the edges did not."""
    import k8sviz

    calico, hubble = (str(k8sviz.demo_path("flows") / n) for n in ("calico.json", "hubble.json.gz"))
    for fmt in ("txt", "json"):
        outs = []
        for files in ([calico, hubble], [hubble, calico]):
            assert main(["flows", *files, "--format", fmt]) == 0
            outs.append(capsys.readouterr().out)
        assert outs[0] == outs[1]
    assert outs[0].index('"calico"') < outs[0].index('"hubble"')


def test_flows_output_conventions(capsys, tmp_path, monkeypatch):
    """``-o -`` is standard output, as without ``-o``; a directory as ``-o`` is an error naming
    it, and a missing directory is created and named, as in every other command."""
    monkeypatch.chdir(tmp_path)
    flows = str(DATA / "flows.csv")
    assert main(["flows", flows, "--format", "csv"]) == 0
    plain = capsys.readouterr().out
    assert main(["flows", flows, "--format", "csv", "-o", "-"]) == 0
    assert capsys.readouterr().out == plain and plain.startswith("src,dst,protocol,ports,flows")
    assert not (tmp_path / "-").exists()
    assert main(["flows", flows, "-o", str(tmp_path)]) == 2
    assert "it is a directory" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    target = tmp_path / "missing" / "e.csv"
    assert main(["flows", flows, "--format", "csv", "-o", str(target)]) == 0
    assert capsys.readouterr().err == f"k8sviz: created the directory {tmp_path / 'missing'}\n"
    assert target.read_text() == plain


def test_a_file_with_no_records_has_no_window(capsys, tmp_path):
    """Its summary line said "window None .. None"."""
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert main(["flows", str(empty)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("unknown 1 file, 0 records, no records; skipped 0 malformed")
    assert "None" not in out
    assert main(["flows", str(empty), "--format", "json"]) == 0
    source = json.loads(capsys.readouterr().out)["summary"]["sources"]["unknown"]
    assert source["records"] == 0 and source["first"] is None and source["last"] is None
    # records keep their window
    assert main(["flows", str(DATA / "hubble_wrapped.jsonl")]) == 0
    assert "hubble  1 file, 5 records, window 2026-" in capsys.readouterr().out


def test_flows_md_is_the_csv_table_in_markdown(capsys):
    """flows had no --format md, unlike the other commands: the same table writer, the csv's
    rows and columns, times in ISO 8601."""
    flows = ["data/demo/flows/hubble.json.gz", "--snapshot", "data/demo/cluster"]
    assert main(["flows", *flows, "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert main(["flows", *flows, "--format", "md"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "| " + " | ".join(rows[0]) + " |" and lines[1] == "|" + "---|" * len(rows[0])
    cells = [[c.strip() for c in line.strip("|").split(" | ")] for line in lines[2:]]
    assert len(rows) > 2 and cells == rows[1:]
    assert "shop/checkoutservice" in {r[0] for r in cells} and "T" in cells[0][-3]
