"""The public Python API called the way a notebook user misuses it: wrong types, out-of-range
values, hostile strings and objects of another cluster.  Each call either works as documented
or raises an error of :mod:`k8sviz.errors` (or a TypeError/ValueError) whose message names the
argument; never an AttributeError/KeyError from deep inside, a traceback of the file system, or
a silently wrong answer.  The cases are fixed (no randomness): each one found a defect."""

from __future__ import annotations

import json
import re
import warnings

import pandas as pd
import pytest

import k8sviz
from k8sviz.errors import InputError, K8svizError, QueryError, ZoneError
from k8sviz.report import ReportError

ZONES = k8sviz.demo_path("zones.yaml")
CLUSTER = k8sviz.demo_path("cluster")
LONG = "x" * 10_000  # a name no file system takes (ENAMETOOLONG)


@pytest.fixture(scope="module")
def demo():
    snap = k8sviz.demo()
    return snap, k8sviz.reachability(snap)


@pytest.fixture(scope="module")
def zones():
    return k8sviz.load_zones(ZONES)


@pytest.fixture(scope="module")
def flows(demo):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        return k8sviz.load_flows(k8sviz.demo_path("flows"), snapshot=demo[0])


# ------------------------------------------------------------------------------------ paths


@pytest.mark.parametrize(
    "call",
    [
        lambda p: k8sviz.load(p),
        lambda p: k8sviz.load_flows(p),
        lambda p: k8sviz.load_flows(k8sviz.demo_path("flows"), snapshot=p),
        lambda p: k8sviz.load_zones(p),
        lambda p: k8sviz.report(p),
        lambda p: k8sviz.report(CLUSTER, flows=p),
        lambda p: k8sviz.report(CLUSTER, zones=p),
    ],
    ids=["load", "load_flows", "load_flows-snapshot", "load_zones", "report", "report-flows", "report-zones"],
)
@pytest.mark.parametrize(
    ("path", "says"),
    [
        # "" is Path(""), the current directory: load("") read every YAML file below it
        ("", "a path is empty"),
        # open() raised a bare "ValueError: embedded null byte"
        ("shop/\x00frontend", "a path contains a NUL character"),
        # Path.is_dir raised "OSError: [Errno 36] File name too long"
        (LONG, "(?i)file name too long"),
    ],
    ids=["empty", "nul", "too-long"],
)
def test_paths_that_name_no_file(call, path, says):
    with pytest.raises(K8svizError, match=says):
        call(path)


def test_load_of_a_directory_that_is_missing_or_a_file_as_directory(tmp_path):
    with pytest.raises(InputError, match="no such file or directory"):
        k8sviz.load(tmp_path / "nope")
    (tmp_path / "f.yaml").write_text("{}\n")
    with pytest.raises(InputError, match="no such file or directory"):
        k8sviz.load(tmp_path / "f.yaml" / "x.yaml")


@pytest.mark.parametrize(
    ("output", "says"),
    [
        (3, r"^report: output: a path must be a str or pathlib.Path, got int"),
        (pd.DataFrame(), "got DataFrame"),
        ("", "a path is empty"),
        ("r\x00.html", "NUL character"),
    ],
)
def test_report_output_checked_before_the_work(demo, output, says):
    snap, _ = demo
    with pytest.raises(ReportError, match=says):  # a TypeError from pathlib, after the build
        k8sviz.report(snap, output=output)


def test_report_generated_at(demo):
    snap, _ = demo
    for wrong in (3, "", ["2024-01-01"]):  # 3 was written into the report as its date
        with pytest.raises(ReportError, match=r"^report: generated_at must be a datetime or a time"):
            k8sviz.report(snap, generated_at=wrong)


@pytest.mark.parametrize(
    ("path", "says"),
    [
        (None, r"^save: a path must be a str or pathlib.Path, got NoneType"),
        (3, "got int"),
        ("", "a path is empty"),
        ("s\x00.json", "NUL character"),
        (LONG, r"^save: cannot write the snapshot to x+: File name too long"),
    ],
)
def test_snapshot_save(demo, path, says):
    snap, _ = demo
    with pytest.raises(InputError, match=says):
        snap.save(path)


def test_snapshot_save_to_a_directory(demo, tmp_path):
    snap, _ = demo
    with pytest.raises(InputError, match=r"^save: cannot write the snapshot to .*is a directory"):
        snap.save(tmp_path)  # was an IsADirectoryError
    assert snap.save(tmp_path / "new" / "s.json").is_file()  # documented: directories created


def test_demo_path_parts():
    with pytest.raises(InputError, match=r"^demo_path: each part must be a str .* got int"):
        k8sviz.demo_path(3)
    assert k8sviz.demo_path("zones.yaml") == ZONES


# ------------------------------------------------------------------------------------ levels


LEVEL_CALLS = {
    "to_frame": lambda s, r, z, f, lv: r.to_frame(lv),
    "isolation": lambda s, r, z, f, lv: r.isolation(lv),
    "rule_frame": lambda s, r, z, f, lv: r.rule_frame(lv),
    "graph": lambda s, r, z, f, lv: k8sviz.graph(s, r, level=lv),
    "segmentation": lambda s, r, z, f, lv: k8sviz.segmentation(s, r, z, level=lv),
    "reachability_diff": lambda s, r, z, f, lv: k8sviz.reachability_diff(r, r, lv),
    "flow_edges": lambda s, r, z, f, lv: k8sviz.flow_edges(f, lv),
    "Zones.assign": lambda s, r, z, f, lv: z.assign(s, lv),
    "aggregate_flow_archive": lambda s, r, z, f, lv: k8sviz.aggregate_flow_archive(
        k8sviz.demo_path("flows"), level=lv),
}


@pytest.mark.parametrize("name", sorted(LEVEL_CALLS))
@pytest.mark.parametrize(
    "level", [pd.DataFrame({"a": [1]}), ["workload"], {"workload": 1}, "zone", "", None, 3],
    ids=["DataFrame", "list", "dict", "zone", "empty", "None", "int"],
)
def test_level_of_the_wrong_kind(demo, zones, flows, name, level):
    # A DataFrame raised pandas' "truth value of a DataFrame is ambiguous", a list
    # "unhashable type": neither names the argument.
    snap, reach = demo
    with pytest.raises(K8svizError, match="level must be"):
        LEVEL_CALLS[name](snap, reach, zones, flows, level)


# ------------------------------------------------------------------------------------ zones


@pytest.mark.parametrize(
    "method", ["pod_zones", "workload_zones", "workload_zone_sets", "split_workloads",
               "split_workloads_text", "empty_zones", "empty_zones_text", "assign"],
)
@pytest.mark.parametrize(
    "wrong", [None, "data/demo/cluster", pd.DataFrame(), "reach"], ids=["None", "path", "DataFrame", "reach"]
)
def test_zones_methods_take_a_snapshot(demo, zones, method, wrong):
    snap, reach = demo
    wrong = reach if isinstance(wrong, str) and wrong == "reach" else wrong
    # each was an AttributeError: 'str' object has no attribute 'namespaces'
    with pytest.raises(QueryError, match=r"^Zones\.\w+: snapshot must be a Snapshot"):
        getattr(zones, method)(wrong)
    assert isinstance(getattr(zones, method)(snap), dict | list | str | type(None))


def test_zones_zone_of_takes_label_dicts(zones):
    for args in ((None, {}), ({}, "shop"), ({"app": "x"}, pd.DataFrame())):
        with pytest.raises(QueryError, match=r"^Zones\.zone_of: \w+_labels must be a dict of labels"):
            zones.zone_of(*args)
    assert zones.zone_of({}, {"kubernetes.io/metadata.name": "nowhere"}) == "unzoned"


def test_zones_rank_and_is_sensitive_take_a_name(zones):
    for wrong in (["pci"], None, 3):
        with pytest.raises(QueryError, match=r"zone must be a zone name \(str\)"):
            zones.rank(wrong)
        with pytest.raises(QueryError, match=r"zone must be a zone name \(str\)"):
            zones.is_sensitive(wrong)
    assert zones.is_sensitive("pci") and not zones.is_sensitive("nope")


def test_zones_given_as_an_empty_path(demo):
    snap, reach = demo
    for call in (
        lambda: k8sviz.segmentation(snap, reach, ""),
        lambda: k8sviz.gaps(snap, reach, zones=""),
        lambda: k8sviz.graph(snap, reach, zones=""),
        lambda: k8sviz.reachability_diff(reach, reach, zones="a\x00b"),
    ):
        with pytest.raises(ZoneError, match=r"^load_zones: a path (is empty|contains a NUL)"):
            call()


# ------------------------------------------------------------------------------------ flows


@pytest.fixture(scope="module")
def other():
    """A one-pod cluster: its flows, reachability and segmentation are no answer about the demo."""
    from .analysis.helpers import ns, pod, snapshot

    snap = snapshot(ns("lonely"), pod("lonely", "one", app="one"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        flows = k8sviz.load_flows(k8sviz.demo_path("flows"), snapshot=snap)
    return snap, k8sviz.reachability(snap), flows


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("gaps", lambda s, r, f: k8sviz.gaps(s, r, f)),
        ("graph", lambda s, r, f: k8sviz.graph(s, r, f)),
        ("flow_discrepancies", lambda s, r, f: k8sviz.flow_discrepancies(f, r)),
    ],
)
def test_flows_mapped_to_another_cluster(other, flows, name, call):
    # The demo's flows name the demo's workloads, none of which is in the other cluster: judged
    # against its policies, every answer was silently wrong.
    snap, reach, _ = other
    with pytest.raises(QueryError, match=rf"^{name}: flows were mapped to another snapshot .* and none of "
                       r"the \d+ workloads they name is in it") as e:
        call(snap, reach, flows)
    # a wrong table, as one load_flows did not make: an InputError too, in every function
    assert isinstance(e.value, k8sviz.TableError) and isinstance(e.value, InputError)


def test_report_of_flows_mapped_to_another_cluster(other, flows):
    with pytest.raises(ReportError, match="flows were mapped to another snapshot"):
        k8sviz.report(other[0], flows=flows)


def test_flows_mapped_to_a_snapshot_that_names_them_by_shape_are_warned(demo, other):
    # Flows loaded against the one-pod cluster still name the demo's workloads (by the shape of
    # their pod names): judged against the demo, with a warning naming both snapshots.
    snap, reach = demo
    with pytest.warns(k8sviz.FlowWarning, match=r"^gaps: flows were mapped to another snapshot"):
        k8sviz.gaps(snap, reach, other[2])


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("gaps", lambda s, r, f: k8sviz.gaps(s, r, f)),
        ("graph", lambda s, r, f: k8sviz.graph(s, r, f)),
        ("flow_discrepancies", lambda s, r, f: k8sviz.flow_discrepancies(f, r)),
    ],
)
def test_flows_judged_against_a_later_snapshot_of_their_cluster_are_warned(flows, name, call):
    # Would last week's traffic pass the remediated policies? A question worth asking: the
    # same cluster's workloads, another snapshot of it, said in a warning that names both.
    later = k8sviz.load(k8sviz.demo_path("remediated.k8sviz.json"))
    with pytest.warns(k8sviz.FlowWarning, match=rf"^{name}: flows were mapped to another snapshot "
                      r"\('demo-boutique', SHA-256 [0-9a-f]{12}\) than the one given \('demo-boutique', "
                      r"SHA-256 [0-9a-f]{12}\): they are judged against its policies"):
        call(later, k8sviz.reachability(later), flows)


def test_flows_with_some_workloads_not_in_the_snapshot_say_how_many(demo, flows, tmp_path):
    snap, _ = demo
    kept = [o for o in snap.raw_objects()  # frontend's pods and controllers (pods are synthesized from these)
            if not (o.get("kind") in ("Pod", "ReplicaSet", "Deployment") and o["metadata"]["name"].startswith("frontend"))]
    path = tmp_path / "fewer.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": kept}))
    fewer = k8sviz.load(path, cluster="demo-boutique")
    with pytest.warns(k8sviz.FlowWarning, match=r"; 1 of the \d+ workloads they name is not in it$"):
        k8sviz.flow_discrepancies(flows, k8sviz.reachability(fewer))


def test_flows_of_the_same_snapshot_loaded_again_are_taken(demo, flows):
    again = k8sviz.load(CLUSTER, cluster="demo-boutique")
    assert len(k8sviz.flow_discrepancies(flows, k8sviz.reachability(again))) > 0


@pytest.mark.parametrize(
    "wrong", [[], "", [1], {"time": 1}, "frame-of-gaps", pd.DataFrame({"a": [1]})],
    ids=["emptylist", "emptystr", "list", "dict", "gaps", "DataFrame"],
)
@pytest.mark.parametrize("name", ["gaps", "graph"])
def test_flows_argument_checked(demo, name, wrong):
    # graph took [] and "" as no flows, a list was an AttributeError ('list' object has no
    # attribute 'assign'); both took the findings of gaps, or any DataFrame, as no flows.
    snap, reach = demo
    if isinstance(wrong, str) and wrong == "frame-of-gaps":
        wrong = k8sviz.gaps(snap, reach)
    with pytest.raises(QueryError, match=rf"^{name}: flows must be a DataFrame from k8sviz.load_flows"):
        getattr(k8sviz, name)(snap, reach, flows=wrong)


_TAKE_FLOWS = {
    "flow_report": lambda s, r, f: k8sviz.flow_report(f),
    "flow_edges": lambda s, r, f: k8sviz.flow_edges(f),
    "flow_windows": lambda s, r, f: k8sviz.flow_windows(f),
    "clock_skew": lambda s, r, f: k8sviz.clock_skew(f),
    "flow_discrepancies": lambda s, r, f: k8sviz.flow_discrepancies(f, r),
    "gaps": lambda s, r, f: k8sviz.gaps(s, r, flows=f),
    "graph": lambda s, r, f: k8sviz.graph(s, r, flows=f),
}


@pytest.mark.parametrize("name", list(_TAKE_FLOWS))
def test_a_table_that_is_not_flows_is_one_error_everywhere(demo, flows, name):
    # gaps and graph raised a QueryError, the flow functions an InputError, in two wordings:
    # one TableError now, an InputError and a QueryError both, in one wording
    snap, reach = demo
    call = _TAKE_FLOWS[name]
    not_flows = pd.DataFrame({"src": ["a/b"], "dst": ["c/d"]})
    use = r"; load the flow logs with k8sviz\.load_flows\(path, snapshot=snapshot\)$"
    path = r"got str \(load it first: k8sviz\.load_flows"
    for wrong, says in ((not_flows, rf"got a DataFrame without the columns? \w[\w ,]*{use}"),
                        (["a"], r"got list$"), ("flows.json", path)):
        with pytest.raises(k8sviz.TableError) as e:
            call(snap, reach, wrong)
        # an except clause of either, as written before, still catches it
        assert isinstance(e.value, InputError) and isinstance(e.value, QueryError)
        assert re.match(rf"^{name}: flows must be a DataFrame from k8sviz\.load_flows\(\.\.\.\), {says}",
                        str(e.value)), str(e.value)
    assert len(call(snap, reach, flows)) > 0  # the flows of load_flows are taken


def test_clock_skew_durations_without_unit(flows):
    for wrong in ("10", " 2 ", "1e3"):  # pandas read "10" as 10 nanoseconds: every pair skewed
        with pytest.raises(InputError, match=r"threshold must be a duration .*\(a bare number has no unit\)"):
            k8sviz.clock_skew(flows, wrong)
    assert len(k8sviz.clock_skew(flows, "2s")) == len(k8sviz.clock_skew(flows, pd.Timedelta("2s")))


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"paths": 3}, r"^aggregate_flow_archive: paths must be a path or a list of paths, got int"),
        ({"paths": ""}, "a path is empty"),
        ({"paths": [k8sviz.demo_path("flows"), None]}, "a path must be a str or pathlib.Path, got NoneType"),
        ({"memory_limit": 3}, r"memory_limit must be a size such as '1GB'.*got 3"),
        ({"memory_limit": "lots"}, r"memory_limit must be a size such as '1GB'.*got 'lots'"),
        ({"threads": -1}, r"threads must be a whole number of at least 1 or None, got -1"),
        ({"threads": 1.5}, "got 1.5"),
        # named load_flows, which was not called
        ({"snapshot": "reach"}, r"^aggregate_flow_archive: snapshot must be a Snapshot .*got Reachability"),
    ],
)
def test_aggregate_flow_archive_arguments(demo, kwargs, says):
    # memory_limit=3 was DuckDB's ParserException, threads=-1 its SyntaxException,
    # paths=3 "TypeError: 'int' object is not iterable"
    kwargs = {"paths": k8sviz.demo_path("flows"), **kwargs}
    error = QueryError if kwargs.get("snapshot") == "reach" else InputError
    if error is QueryError:
        kwargs["snapshot"] = demo[1]
    with pytest.raises(error, match=says):
        k8sviz.aggregate_flow_archive(kwargs.pop("paths"), **kwargs)


# ------------------------------------------------------------------------------------ flags


FLAG_CALLS = {
    "clock_skew(all_pairs)": lambda s, r, f, v: k8sviz.clock_skew(f, all_pairs=v),
    "flow_edges(replies)": lambda s, r, f, v: k8sviz.flow_edges(f, replies=v),
    "graph(services)": lambda s, r, f, v: k8sviz.graph(s, r, services=v),
    "reachability(ipblocks_match_pods)": lambda s, r, f, v: k8sviz.reachability(s, ipblocks_match_pods=v),
    "internet_paths(exposed_only)": lambda s, r, f, v: k8sviz.internet_paths(
        r, "pci", ZONES, exposed_only=v),
    "reachability_diff(rules)": lambda s, r, f, v: k8sviz.reachability_diff(r, r, rules=v),
    "reachability_matrix(collapse_external)": lambda s, r, f, v: k8sviz.reachability_matrix(
        r.to_frame("workload"), collapse_external=v),
    "network_figure(services)": lambda s, r, f, v: k8sviz.network_figure(k8sviz.graph(s, r), services=v),
    "network_figure(webgl)": lambda s, r, f, v: k8sviz.network_figure(k8sviz.graph(s, r), webgl=v),
    "network_figure(collapse_external)": lambda s, r, f, v: k8sviz.network_figure(
        k8sviz.graph(s, r), collapse_external=v),
    "report(ipblocks_match_pods)": lambda s, r, f, v: k8sviz.report(s, ipblocks_match_pods=v),
}


@pytest.mark.parametrize("name", sorted(FLAG_CALLS))
@pytest.mark.parametrize("value", ["no", "false", 3])
def test_flags_are_booleans(demo, flows, name, value):
    # each was read by its truth: all_pairs="no", services="false" did what they said not to
    snap, reach = demo
    argument = name[name.index("(") + 1:-1]
    with pytest.raises(K8svizError, match=rf"{argument} must be True or False, got {value!r}"):
        FLAG_CALLS[name](snap, reach, flows, value)


# ------------------------------------------------------------------------------------ figures


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("findings_summary", lambda s, r, f, t: k8sviz.findings_summary(k8sviz.gaps(s, r), title=t)),
        ("controls_figure", lambda s, r, f, t: k8sviz.controls_figure(
            k8sviz.controls_summary(k8sviz.gaps(s, r)), title=t)),
        ("changes_figure", lambda s, r, f, t: k8sviz.changes_figure(k8sviz.reachability_diff(r, r), title=t)),
        ("flow_sankey", lambda s, r, f, t: k8sviz.flow_sankey(k8sviz.flow_edges(f, "namespace"), title=t)),
        ("flow_timeline", lambda s, r, f, t: k8sviz.flow_timeline(f, title=t)),
        ("reachability_matrix", lambda s, r, f, t: k8sviz.reachability_matrix(
            r.to_frame("workload"), title=t)),
        ("segmentation_heatmap", lambda s, r, f, t: k8sviz.segmentation_heatmap(
            k8sviz.segmentation(s, r, ZONES), title=t)),
        ("network_figure", lambda s, r, f, t: k8sviz.network_figure(k8sviz.graph(s, r), title=t)),
    ],
)
def test_figure_titles(demo, flows, name, call):
    # a DataFrame raised pandas' "truth value is ambiguous", a number was drawn as the title
    snap, reach = demo
    for wrong in (pd.DataFrame({"a": [1]}), 3, ["a"]):
        with pytest.raises(InputError, match=rf"^{name}: title must be a str or None, got"):
            call(snap, reach, flows, wrong)
    assert call(snap, reach, flows, "ünïcode <b>title</b>").layout.title.text


@pytest.mark.parametrize(
    ("name", "call", "says"),
    [
        # each was a KeyError from pandas ('finding', 'src', 'time')
        ("findings_summary", lambda s, r, f, g: k8sviz.findings_summary(k8sviz.controls_summary(g)),
         "without the column finding"),
        ("findings_summary", lambda s, r, f, g: k8sviz.findings_summary(pd.DataFrame({"a": [1]})),
         "without the column finding"),
        ("reachability_matrix", lambda s, r, f, g: k8sviz.reachability_matrix(f),
         "without the columns src and dst"),
        ("flow_timeline", lambda s, r, f, g: k8sviz.flow_timeline(g), "without the column time"),
        # the findings of gaps were drawn as "no controls evaluated"
        ("controls_figure", lambda s, r, f, g: k8sviz.controls_figure(g), "without the column status"),
    ],
)
def test_figures_of_another_table(demo, flows, name, call, says):
    snap, reach = demo
    with pytest.raises(k8sviz.TableError, match=rf"^{name}: \w+ must be a DataFrame from .*{says}") as e:
        call(snap, reach, flows, k8sviz.gaps(snap, reach))
    assert isinstance(e.value, InputError)  # as it was


def test_controls_summary_of_another_table(demo):
    snap, reach = demo
    said = (r"^controls_summary: gaps_df must be a DataFrame from k8sviz\.gaps\(\.\.\.\), got one without "
            r"the column finding")
    with pytest.raises(k8sviz.TableError, match=said) as e:
        k8sviz.controls_summary(pd.DataFrame({"a": [1]}))  # was KeyError: 'finding'
    assert isinstance(e.value, QueryError)  # as it was
    with pytest.raises(QueryError, match=r"^controls_summary: checked must be a list of finding ids, got 3"):
        k8sviz.controls_summary(k8sviz.gaps(snap, reach), checked=3)  # 'int' object is not iterable


def test_network_figure_options(demo):
    snap, reach = demo
    G = k8sviz.graph(snap, reach)
    for kwargs, says in (
        ({"show": None}, r"show must be edge categories \(any of .*\), got NoneType"),  # TypeError
        ({"show": 3}, "show must be edge categories"),
        ({"namespace": 3}, "namespace must be a namespace name or a list of them, got int"),  # TypeError
        ({"namespace": "shopp"}, r"no node of the graph is in the namespace 'shopp'"),  # an empty figure
        ({"namespace": ["shop", "nope"]}, "no node of the graph is in the namespace 'nope'"),
        ({"seed": "x"}, "seed must be a whole number, got 'x'"),  # ignored
    ):
        with pytest.raises(InputError, match=rf"^network_figure: {says}"):
            k8sviz.network_figure(G, **kwargs)
    with pytest.raises(InputError, match=r"^layout must be 'grouped', 'spring' or 'circular'"):
        k8sviz.network_figure(G, layout=pd.DataFrame({"a": [1]}))  # "truth value is ambiguous"
    # any iterable of names still works: an iterator, a set
    shop = k8sviz.network_figure(G, namespace=iter(["shop"]), show={"allowed"})
    assert shop.to_json() == k8sviz.network_figure(G, namespace=["shop"], show=("allowed",)).to_json()
    assert shop.to_json() != k8sviz.network_figure(G, show=("allowed",)).to_json()


# ------------------------------------------------------------------------------------ live


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        # "not a usable kubeconfig (AttributeError: 'int' object has no attribute 'split')"
        ({"kubeconfig": 3}, r"^snapshot_cluster: kubeconfig must be a path \(str or pathlib.Path\), got int"),
        ({"kubeconfig": "kube\x00config"}, "^snapshot_cluster: kubeconfig: a path contains a NUL character"),
        ({"context": 3}, "^snapshot_cluster: context must be a str, got int"),
        ({"cluster": ["prod"]}, "^snapshot_cluster: cluster must be a str, got list"),  # was stored
        ({"in_cluster": "no"}, "^snapshot_cluster: in_cluster must be True or False, got 'no'"),  # was True
        ({"progress": 3}, "^snapshot_cluster: progress must be a text stream"),
        ({"concurrency": 0}, "^concurrency must be a whole number of at least 1, got 0"),
    ],
)
def test_snapshot_cluster_arguments_checked_before_connecting(kwargs, says):
    with pytest.raises(k8sviz.LiveError, match=says):
        k8sviz.snapshot_cluster(**kwargs)


# ------------------------------------------------------------------------------------ lookups


def test_snapshot_lookups_take_a_str(demo):
    snap, _ = demo
    frame = pd.DataFrame({"a": [1]})  # each raised pandas' "truth value of a DataFrame is ambiguous"
    with pytest.raises(QueryError, match=r"^namespace must be a namespace name, got DataFrame"):
        snap.namespace(frame)
    with pytest.raises(QueryError, match=r"^pods_of: workload_key must be 'namespace/workload', got Data"):
        snap.pods_of(frame)
    with pytest.raises(QueryError, match=r"^pod must be 'namespace/name', got 3"):
        snap.pod(3)  # None, as if a pod of that name could exist
    # a long value is cut as every argument is (k8sviz._text.as_given): it was cut at 60
    # characters by hand, to the type's name alone past them
    with pytest.raises(QueryError, match=rf"^pod must be 'namespace/name', got \['{'x' * 78}\.\.\.$"):
        snap.pod(["x" * 10_000])
    with pytest.raises(QueryError, match=r"^namespace must be a namespace name, got \('shop', 'x{66}'\)$"):
        snap.namespace(("shop", "x" * 66))  # 78 characters, shown whole (past 60, it was "got tuple")
    assert snap.namespace("shop/") is None and snap.pod("/frontend") is None
    assert snap.pods_of("x" * 10_000) == ()
    assert snap.namespace("shop") is not None and len(snap.pods_of("shop/frontend")) >= 1


def test_network_figure_violations_of_another_snapshot(demo, other):
    # the other cluster's violating pairs matched no edge: the figure was drawn without any
    snap, reach = demo
    osnap, oreach, _ = other
    G = k8sviz.graph(snap, reach)
    oseg = k8sviz.segmentation(osnap, oreach, ZONES)
    with pytest.raises(InputError, match=r"^network_figure: violations are a segmentation of another"):
        k8sviz.network_figure(G, violations=oseg)
    seg = k8sviz.segmentation(snap, reach, ZONES)
    assert "violates segmentation" in [t.name for t in k8sviz.network_figure(G, violations=seg).data]


# ------------------------------------------------------------------------------------ queries
# These held already; kept so that they keep holding.


@pytest.mark.parametrize("method", ["can_reach", "explain"])
@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((80, "TCP"), None),
        ((0, "TCP"), r"invalid port 0 \(expected a number from 1 to 65535\)"),
        ((65536, "TCP"), "invalid port 65536"),
        ((70000, "TCP"), "invalid port 70000"),  # never False: no port 70000 exists
        ((-1, "TCP"), "invalid port -1"),
        ((True, "TCP"), "invalid port True"),
        ((80.5, "TCP"), "invalid port 80.5"),
        ((80, "ICMP"), r"invalid protocol 'ICMP' \(expected TCP, UDP or SCTP\)"),
        ((80, ""), "invalid protocol ''"),
        ((80, None), "invalid protocol None"),
    ],
)
def test_reachability_queries_ports_and_protocols(demo, method, args, says):
    _, reach = demo
    src, dst = "shop/frontend", "shop/cartservice"
    call = getattr(reach, method)
    if says is None:
        assert call(src, dst, *args) is not None
    else:
        with pytest.raises(QueryError, match=says):
            call(src, dst, *args)


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("shop/", "unknown source 'shop/'"),
        ("/frontend", "unknown source '/frontend'"),
        ("a/b/c", "unknown source 'a/b/c'"),
        ("", "source must be 'namespace/pod', 'namespace/workload' or an IP address, got ''"),
        ("шоп/фронт", "unknown source 'шоп/фронт'"),
        ("shop/\x00frontend", r"unknown source 'shop/\\x00frontend'"),
        (LONG, "unknown source 'xxx"),
        (None, "source must be 'namespace/pod', 'namespace/workload' or an IP address, got None"),
    ],
    ids=["ns-slash", "slash-pod", "two-slashes", "empty", "unicode", "nul", "long", "None"],
)
def test_reachability_queries_hostile_names(demo, name, says):
    _, reach = demo
    with pytest.raises(QueryError, match=says):
        reach.can_reach(name, "shop/cartservice", 80)
    with pytest.raises(QueryError):
        reach.explain("shop/frontend", name, 80)
    if name is not None:
        with pytest.raises(QueryError, match="unknown workload or pod"):
            k8sviz.blast_radius(reach, name)


@pytest.mark.parametrize("max_hops", [-1, 1.5, "2", True])
def test_max_hops(demo, max_hops):
    _, reach = demo
    with pytest.raises(QueryError, match=r"max_hops must be None or a whole number >= 0"):
        k8sviz.blast_radius(reach, "shop/frontend", max_hops)
    with pytest.raises(QueryError, match=r"max_hops must be None or a whole number >= 0"):
        k8sviz.internet_paths(reach, "pci", ZONES, max_hops=max_hops)


@pytest.mark.parametrize("fmt", ["bogus", "", None, "HUBBLE", 3])
def test_load_flows_formats_not_offered(fmt):
    with pytest.raises(InputError, match=r"format must be auto, hubble, calico, goldmane or csv"):
        k8sviz.load_flows(k8sviz.demo_path("flows"), format=fmt)


@pytest.mark.parametrize(
    "wrong", [None, 3, b"x", ["a"], pd.DataFrame(), "data/demo/cluster"], ids=["None", "int", "bytes", "list",
                                                                              "DataFrame", "path"]
)
def test_snapshot_and_reach_where_the_other_is_expected(demo, wrong):
    snap, reach = demo
    with pytest.raises(QueryError, match=r"^reachability: snapshot must be a Snapshot"):
        k8sviz.reachability(wrong)
    with pytest.raises(QueryError, match=r"^reachability: snapshot must be a Snapshot .*got Reachability"):
        k8sviz.reachability(reach)
    with pytest.raises(QueryError, match=r"^blast_radius: reach must come from k8sviz.reachability"):
        k8sviz.blast_radius(wrong if wrong is not None else snap, "shop/frontend")
    with pytest.raises(QueryError, match=r"^policy_inventory: snapshot must be a Snapshot"):
        k8sviz.policy_inventory(wrong)


#: A name no cluster has, far longer than any message should repeat.
LONG = "x" * 5000


@pytest.mark.parametrize(
    "call",
    [
        lambda s, r, f: r.can_reach(LONG, "shop/frontend", 80),
        lambda s, r, f: r.can_reach("shop/frontend", f"shop/{LONG}", 80),
        lambda s, r, f: r.can_reach("shop/frontend", "shop/cartservice", 80, protocol=LONG),
        lambda s, r, f: r.can_reach("shop/frontend", "shop/cartservice", LONG),
        lambda s, r, f: r.explain(f"shop/{LONG}", "shop/frontend", 80),
        lambda s, r, f: r.explain("shop/frontend", LONG, 80),
        lambda s, r, f: r.posture(LONG, "ingress"),
        lambda s, r, f: r.posture("shop/frontend", LONG),
        lambda s, r, f: r.isolation(LONG),
        lambda s, r, f: r.to_frame(LONG),
        lambda s, r, f: k8sviz.blast_radius(r, f"{LONG}/frontend"),
        lambda s, r, f: k8sviz.internet_paths(r, LONG),
        lambda s, r, f: k8sviz.segmentation(s, r, ZONES, level=LONG),
        lambda s, r, f: k8sviz.graph(s, r, level=LONG),
        lambda s, r, f: k8sviz.reachability_diff(r, r, level=LONG),
        lambda s, r, f: k8sviz.flow_edges(f, level=LONG),
        lambda s, r, f: k8sviz.flow_edges(f, reporter=LONG),
        lambda s, r, f: k8sviz.clock_skew(f, LONG),
        lambda s, r, f: k8sviz.load_flows(k8sviz.demo_path("flows"), format=LONG),
        lambda s, r, f: k8sviz.load(CLUSTER, cluster=[LONG]),
        lambda s, r, f: k8sviz.network_figure(k8sviz.graph(s, r), layout=LONG),
        lambda s, r, f: k8sviz.flow_timeline(f, freq=LONG),
    ],
)
def test_a_long_name_is_cut_in_its_message(demo, flows, call):
    # each repeated all 5,000 characters: a screen of x in a notebook
    snap, reach = demo
    with pytest.raises(K8svizError) as caught:
        call(snap, reach, flows)
    said = str(caught.value)
    assert "x" * 81 not in said and len(said) < 600, said
    assert "more characters)" in said or "..." in said, said
