"""Flow records with values of the wrong type or range: reported with file and line, never raised."""

from __future__ import annotations

import copy
import functools
import gzip
import json
import random
import re
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import k8sviz
from tests.objects import leaf_paths, set_path

HOSTILE = [None, 0, -1, 1.5, 2**70, -(2**63), True, "", "<script>", "80", [], {}, [1], {"a": 1}, 1e308, 65536]


@functools.cache
def _demo_text(fmt):
    if fmt == "hubble":
        text = gzip.decompress(k8sviz.demo_path("flows/hubble.json.gz").read_bytes()).decode()
        return json.dumps([json.loads(line) for line in text.splitlines()[:40]])
    if fmt == "goldmane":
        from tests.flows.test_goldmane import CART, FRONTEND, PUB, emitter, whisker

        both = [emitter(FRONTEND, CART, 7070, 1), emitter(CART, PUB, 443, 2, dst_type=4), whisker(FRONTEND, CART, 80, "Deny")]
        return json.dumps(both * 5)
    return json.dumps(json.loads(k8sviz.demo_path("flows/calico.json").read_text())[:40])


def _demo_records(fmt):
    return json.loads(_demo_text(fmt))  # a fresh copy to tamper with


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fmt=st.sampled_from(["hubble", "calico", "goldmane"]), data=st.data())
def test_tampered_records_are_reported_not_raised(tmp_path, demo_snap, fmt, data):
    records = _demo_records(fmt)
    tampered = set()
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(records) - 1))
        path = data.draw(st.sampled_from(sorted(leaf_paths(records[i]), key=str)))
        set_path(records[i], path, copy.deepcopy(data.draw(st.sampled_from(HOSTILE))))  # never shared
        tampered.add(i)
    path = tmp_path / f"{fmt}.json"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")  # both as JSON lines
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        df = k8sviz.load_flows(path, snapshot=demo_snap)
    report = df.attrs["k8sviz"]
    dropped = sum(report["problem_counts"].values())
    src = report["sources"][0]
    # Every record is either a row or a counted problem/skip; only tampered ones may be lost.
    assert len(df) + dropped + sum(src["skipped"].values()) >= len(records) - len(tampered)
    assert dropped <= len(tampered)
    assert all(p["file"] == str(path) and isinstance(p["line"], int) for p in report["problems"])
    # Whatever was kept has the table's types, so the analyses run on it.
    assert df["dst_port"].dropna().between(0, 65535).all()
    k8sviz.flow_edges(df)
    k8sviz.clock_skew(df)


def test_a_list_where_a_port_belongs_names_file_and_line(tmp_path, demo_snap):
    records = _demo_records("hubble")[:5]
    records[2]["flow"]["l4"] = {"TCP": {"source_port": 5000, "destination_port": [80]}}
    path = tmp_path / "h.json"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        df = k8sviz.load_flows(path, snapshot=demo_snap)
    assert len(df) == 4
    (p,) = df.attrs["k8sviz"]["problems"]
    assert (p["kind"], p["line"]) == ("malformed", 3)
    assert "destination port [80] is not a port number" in p["message"]
    records[2]["flow"]["l4"] = {"UDP": {"source_port": 70000, "destination_port": 53}}
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        df = k8sviz.load_flows(path, snapshot=demo_snap)
    assert len(df) == 4 and "source port 70000" in df.attrs["k8sviz"]["problems"][0]["message"]


def test_a_bad_hit_of_a_calico_search_response_costs_only_itself(tmp_path, demo_snap):
    docs = json.loads(k8sviz.demo_path("flows/calico.json").read_text())[:3]
    response = {"took": 3, "hits": {"total": {"value": 4}, "hits": [{"_source": docs[0]}, [1, 2], docs[1], {"_source": docs[2]}]}}
    path = tmp_path / "search.json"
    path.write_text(json.dumps(response))
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        df = k8sviz.load_flows(path, snapshot=demo_snap)
    report = k8sviz.flow_report(df)
    assert len(df) == 3
    (problem,) = report["problems"]
    assert problem["kind"] == "malformed" and "item 1" in problem["message"] and problem["line"] == 1


def test_a_junk_first_record_does_not_hide_the_format(tmp_path, demo_snap):
    from tests.flows.test_goldmane import CART, FRONTEND, emitter

    good = [emitter(FRONTEND, CART, 7070, 1), emitter(FRONTEND, CART, 7070, 2)]
    for junk in ({}, {"Key": None, "start_time": 1}, [1, 2], "text", 7):
        path = tmp_path / "goldmane.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in [junk, *good]) + "\n")
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            df = k8sviz.load_flows(path, snapshot=demo_snap)
        report = k8sviz.flow_report(df)
        assert report["sources"][0]["format"] == "goldmane", junk
        assert len(df) == 2 and sum(report["problem_counts"].values()) + sum(
            report["sources"][0]["skipped"].values()
        ) == 1, junk


def test_text_between_the_objects_of_an_array_is_reported(tmp_path, demo_snap):
    docs = json.loads(k8sviz.demo_path("flows/calico.json").read_text())[:2]
    path = tmp_path / "calico.json"
    path.write_text("[\n" + json.dumps(docs[0], indent=2) + ',\n  42, "junk",\n' + json.dumps(docs[1], indent=2) + "\n]\n")
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        df = k8sviz.load_flows(path, snapshot=demo_snap)
    (problem,) = k8sviz.flow_report(df)["problems"]
    assert len(df) == 2 and problem["kind"] == "malformed" and "42" in problem["message"]
    assert problem["line"] > 2  # where the junk is, not line 1


#: Python's own words: a problem in them names no field of the record.
PYTHON_WORDS = re.compile(r"AttributeError|TypeError|KeyError|IndexError|object has no attribute|unhashable|"
                          r"not subscriptable|not iterable|NoneType|invalid literal|argument of type")
CONTAINERS = [None, 0, 1.5, True, "", "x", [], {}, [1], [None], ["x"], [{"a": 1}], [[]], {"a": 1}]


def _nodes(obj, at=()):
    out = [at] if at else []
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for k, v in items:
        out += _nodes(v, (*at, k))
    return out


@pytest.mark.parametrize("fmt", ["hubble", "calico", "goldmane"])
def test_a_field_of_another_shape_is_named_in_the_records_terms(tmp_path, demo_snap, fmt):
    """Any field, leaf or not, replaced by a value of another shape: a problem that names the
    field ("flow.source.workloads[0] is a list, not an object"), never Python's words ("'list'
    object has no attribute 'get'"), which is all these problems said before."""
    rnd = random.Random(f"shapes-{fmt}")
    base = _demo_records(fmt)[:4]
    path = tmp_path / f"{fmt}.json"
    said = 0
    for _ in range(60):
        records = copy.deepcopy(base)
        i = rnd.randrange(len(records))
        where = rnd.choice(_nodes(records[i]))
        set_path(records[i], where, copy.deepcopy(rnd.choice(CONTAINERS)))
        path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", k8sviz.FlowWarning)
            df = k8sviz.load_flows(path, snapshot=demo_snap)
        for p in df.attrs["k8sviz"]["problems"]:
            said += 1
            assert not PYTHON_WORDS.search(p["message"]), (where, p["message"])
    assert said >= 10  # the cases do reach the readers' failures


@pytest.mark.parametrize(("where", "value", "said"), [
    (("flow", "source"), "x", "flow.source is a string, not an object"),
    (("flow", "l4"), [1], "flow.l4 is a list, not an object"),
    (("flow", "IP"), 5, "flow.IP is a number, not an object"),
    (("flow", "IP", "destination"), {"a": 1}, "flow.IP.destination is an object, not a string"),
    (("flow", "destination", "namespace"), ["shop"], "flow.destination.namespace is a list, not a string"),
    (("flow", "traffic_direction"), [], "flow.traffic_direction is a list, not a string or a number"),
    (("flow", "source", "workloads"), [["x"]], "flow.source.workloads[0] is a list, not an object"),
    (("flow",), "x", "flow is a string, not an object"),
])
def test_a_hubble_field_of_another_shape_is_named(tmp_path, demo_snap, where, value, said):
    records = _demo_records("hubble")[:2]
    set_path(records[0], where, value)
    path = tmp_path / "hubble.json"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        df = k8sviz.load_flows(path, snapshot=demo_snap)
    got = [(p["kind"], p["line"], p["message"]) for p in df.attrs["k8sviz"]["problems"]]
    assert got == [("malformed", 1, f"unexpected structure: {said}")]
