"""flow_report: still the dict it always was, displayed as escaped tables in a notebook."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import k8sviz

from ..viz.conftest import HOSTILE, HOSTILE2


def _hostile_flows(tmp_path: Path) -> Path:
    flow = {"flow": {"time": "2024-01-01T00:01:00Z", "verdict": "FORWARDED",
                     "IP": {"source": "10.9.9.9", "destination": "10.0.0.5"},
                     "source": {"namespace": "evil", "pod_name": HOSTILE2},
                     "destination": {"namespace": "shop", "pod_name": "nope-0"},
                     "l4": {"TCP": {"source_port": 40000, "destination_port": 80, "flags": {"SYN": True}}},
                     "node_name": "n1", "traffic_direction": "EGRESS"}}
    lost = {"lost_events": {"source": HOSTILE, "num_events_lost": "5"}, "node_name": "n1",
            "time": "2024-01-01T00:00:10Z"}
    path = tmp_path / f"h{HOSTILE2.replace('/', '_')}.json"
    path.write_text(json.dumps(lost) + "\n" + json.dumps(flow) + "\n" + "{" + HOSTILE + "\n")
    return path


def _report(tmp_path: Path) -> k8sviz.flows.FlowLoadReport:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flows = k8sviz.load_flows(_hostile_flows(tmp_path), snapshot=k8sviz.demo())
    return k8sviz.flow_report(flows)


def test_flow_report_is_still_the_dict_of_the_table_attrs(tmp_path):
    rep = _report(tmp_path)
    assert isinstance(rep, dict) and rep["sources"][0]["records"] == 1
    assert rep["sources"][0]["lost_events"]["events"] == 5 and rep["problem_counts"]


def test_flow_report_html_escapes_files_sources_problems_and_endpoints(tmp_path):
    rep = _report(tmp_path)
    assert rep["unmapped"]  # the hostile pod is not in the demo snapshot
    html = rep._repr_html_()
    assert "<script" not in html and "<img" not in html
    assert "&lt;img src=x onerror=" in html  # the file name and the unmapped pod
    assert "&lt;script&gt;window.__pwned=1" in html  # the lost_events source and the malformed line


def test_flow_report_html_says_what_was_read_lost_and_unmapped(tmp_path):
    html = _report(tmp_path)._repr_html_()
    assert "<th>records</th>" in html and "<th>lost_events</th>" in html
    assert "Hubble lost 5 events" in html
    assert "Problems</b>: malformed 1" in html
    assert "Unmapped endpoints" in html


def test_flow_report_html_of_a_table_without_attrs():
    import pandas as pd

    assert "No flow file was read" in k8sviz.flow_report(pd.DataFrame())._repr_html_()


#: The start and end of the message of a table that is no flow table.
NOT_FLOWS = r"flows must be a DataFrame from k8sviz\.load_flows\(\.\.\.\), got a DataFrame without the column"
USE = r"; load the flow logs with k8sviz\.load_flows\(path, snapshot=snapshot\)$"


def test_flow_report_of_a_table_load_flows_did_not_make_is_an_input_error(demo_flows):
    # it was an empty report ("No flow file was read") for a table of anything
    import pandas as pd
    import pytest

    with pytest.raises(k8sviz.InputError,
                       match=rf"^flow_report: {NOT_FLOWS}s time, src_namespace, .* and 11 more{USE}"):
        k8sviz.flow_report(pd.DataFrame({"a": [1]}))
    edges = k8sviz.flow_edges(demo_flows)  # a table of k8sviz, with attrs, but no load report
    with pytest.raises(k8sviz.InputError, match=rf"^flow_report: {NOT_FLOWS}s time, .*{USE}"):
        k8sviz.flow_report(edges)
    bare = demo_flows.drop(columns=["src_type", "dst_type"])
    bare.attrs = {}
    with pytest.raises(k8sviz.InputError, match=rf"{NOT_FLOWS}s src_type and dst_type{USE}"):
        k8sviz.flow_report(bare)
    # load_flows' table whose attrs a pandas operation left behind: its report is not empty, but lost
    with pytest.raises(k8sviz.InputError, match=r"^flow_report: flows has 15,493 rows but no load report "
                                                r"\(df.attrs\['k8sviz'\]\), .* call flow_report on the table"):
        k8sviz.flow_report(pd.DataFrame(demo_flows))


def test_flow_report_of_an_empty_flow_table_is_valid(demo_flows):
    import pandas as pd

    assert k8sviz.flow_report(demo_flows.iloc[:0])["sources"] == demo_flows.attrs["k8sviz"]["sources"]
    lost = pd.DataFrame(demo_flows.iloc[:0])  # the right columns, no rows, no attrs: nothing is lost
    assert k8sviz.flow_report(lost) == {"sources": [], "problems": [], "problem_counts": {}, "unmapped": {}}


def test_the_flow_functions_name_the_columns_a_table_lacks(demo_flows):
    import pytest

    reach = k8sviz.reachability(k8sviz.demo())
    for name, call in (("flow_edges", k8sviz.flow_edges), ("flow_windows", k8sviz.flow_windows),
                       ("clock_skew", k8sviz.clock_skew),
                       ("flow_discrepancies", lambda f: k8sviz.flow_discrepancies(f, reach))):
        with pytest.raises(k8sviz.InputError, match=rf"^{name}: {NOT_FLOWS} src_type{USE}"):
            call(demo_flows.drop(columns=["src_type"]))
        assert len(call(demo_flows.iloc[:0])) == 0  # no rows, the right columns: no flows
