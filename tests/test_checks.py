"""A wrong object given to a public function (a path where a snapshot is expected, the snapshot
where a reachability is, a reachability where a graph is) is a QueryError naming the function
and the argument, never an AttributeError or TypeError from deep inside."""

from pathlib import Path

import pytest

import k8sviz
from k8sviz.errors import QueryError
from k8sviz.notebook import table

ZONES = k8sviz.demo_path("zones.yaml")


@pytest.fixture(scope="module")
def demo():
    snap = k8sviz.load(k8sviz.demo_path("cluster"))
    return snap, k8sviz.reachability(snap)


def test_reachability_of_no_snapshot():
    with pytest.raises(QueryError, match=r"^reachability: snapshot must be .* got str \(load it first"):
        k8sviz.reachability("data/demo/cluster")
    with pytest.raises(QueryError, match="got PosixPath"):
        k8sviz.reachability(Path("data/demo/cluster"))


def test_reachability_of_a_reachability(demo):
    _, reach = demo
    with pytest.raises(QueryError, match=r"got Reachability \(that is a reachability: give its .snapshot\)"):
        k8sviz.reachability(reach)


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("gaps", lambda snap, reach: k8sviz.gaps(reach, snap)),
        ("gaps", lambda snap, reach: k8sviz.gaps("data/demo/cluster")),
        ("segmentation", lambda snap, reach: k8sviz.segmentation(reach, snap, ZONES)),
        ("graph", lambda snap, reach: k8sviz.graph(reach)),
        ("policy_inventory", lambda snap, reach: k8sviz.policy_inventory(reach)),
        ("load_flows", lambda snap, reach: k8sviz.load_flows(k8sviz.demo_path("flows"), snapshot=reach)),
    ],
)
def test_snapshot_argument_checked(demo, name, call):
    snap, reach = demo
    with pytest.raises(QueryError, match=rf"^{name}: snapshot must be a Snapshot"):
        call(snap, reach)


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("blast_radius", lambda snap, reach: k8sviz.blast_radius(snap, "shop/frontend")),
        ("internet_paths", lambda snap, reach: k8sviz.internet_paths(snap, "pci")),
        ("gaps", lambda snap, reach: k8sviz.gaps(snap, snap)),
        ("segmentation", lambda snap, reach: k8sviz.segmentation(snap, snap, ZONES)),
        ("graph", lambda snap, reach: k8sviz.graph(snap, "data/demo/cluster")),
        ("graph", lambda snap, reach: k8sviz.graph(None, None)),
    ],
)
def test_reach_argument_checked(demo, name, call):
    snap, reach = demo
    with pytest.raises(QueryError, match=rf"^{name}: (reach must come from|give a snapshot)"):
        call(snap, reach)


@pytest.mark.filterwarnings("ignore::k8sviz.FlowWarning")
def test_flow_discrepancies_of_a_snapshot(demo):
    snap, _ = demo
    flows = k8sviz.load_flows(k8sviz.demo_path("flows"), snapshot=snap)
    with pytest.raises(QueryError, match=r"^flow_discrepancies: reach must come from .* got Snapshot"):
        k8sviz.flow_discrepancies(flows, snap)


def test_gaps_flows_path(demo):
    snap, reach = demo
    with pytest.raises(QueryError, match=r"^gaps: flows must be a DataFrame .* got str \(load it first"):
        k8sviz.gaps(snap, reach, flows="data/demo/flows")


def test_network_figure_of_no_graph(demo):
    snap, reach = demo
    for wrong in (snap, reach):
        with pytest.raises(k8sviz.InputError, match=r"^network_figure: G must be a graph from k8sviz.graph"):
            k8sviz.network_figure(wrong)


def test_controls_summary_of_no_frame(demo):
    snap, _ = demo
    with pytest.raises(QueryError, match=r"^controls_summary: gaps_df must be a DataFrame .* got Snapshot"):
        k8sviz.controls_summary(snap)


def test_right_arguments_still_work(demo):
    snap, reach = demo
    assert len(k8sviz.blast_radius(reach, "shop/frontend"))
    assert k8sviz.graph(None, reach).number_of_nodes() == k8sviz.graph(snap, reach).number_of_nodes()
    assert len(k8sviz.policy_inventory(snap)) == len(snap.network_policies) == 33


@pytest.fixture(scope="module")
def other():
    """A one-pod cluster: its reachability is no answer about the demo's pods."""
    from .analysis.helpers import ns, pod, snapshot

    snap = snapshot(ns("lonely"), pod("lonely", "one", app="one"))
    return snap, k8sviz.reachability(snap)


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("gaps", lambda s, r: k8sviz.gaps(s, r)),
        ("segmentation", lambda s, r: k8sviz.segmentation(s, r, ZONES)),
        ("graph", lambda s, r: k8sviz.graph(s, reach=r)),
    ],
)
def test_reach_of_another_snapshot(demo, other, name, call):
    snap, reach = demo
    osnap, oreach = other
    for s, r in ((snap, oreach), (osnap, reach)):
        with pytest.raises(QueryError, match=rf"^{name}: reach was computed from another snapshot"):
            call(s, r)


def test_report_with_reach_of_another_snapshot(demo, other, tmp_path):
    from k8sviz.report import ReportError

    snap, _ = demo
    _, oreach = other
    with pytest.raises(ReportError, match="reach was computed from another snapshot"):
        k8sviz.report(snap, reach=oreach, output=tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


def test_gaps_with_segmentation_of_another_snapshot(demo, other):
    snap, reach = demo
    osnap, oreach = other
    seg = k8sviz.segmentation(osnap, oreach, ZONES)
    with pytest.raises(QueryError, match="segmentation was computed from another snapshot"):
        k8sviz.gaps(snap, reach, segmentation=seg)


def test_same_content_loaded_twice_is_the_same_snapshot(demo):
    snap, _ = demo
    again = k8sviz.load(k8sviz.demo_path("cluster"))
    assert again is not snap
    reach = k8sviz.reachability(again)
    seg = k8sviz.segmentation(again, reach, ZONES)
    assert seg.snapshot is again
    assert len(k8sviz.gaps(snap, reach, segmentation=seg))


def test_tables_and_keys_of_the_wrong_kind(demo):
    # each was a TypeError or AttributeError from deep inside
    snap, _ = demo
    with pytest.raises(QueryError, match=r"^paths_as_text: df must be a frame of blast_radius or internet_paths, "
                                         r"got Snapshot"):
        k8sviz.paths_as_text(snap)
    with pytest.raises(k8sviz.InputError, match=r"^flow_report: flows must be a DataFrame from k8sviz.load_flows"):
        k8sviz.flow_report(snap)
    with pytest.raises(QueryError, match=r"pod must be 'namespace/name', got \['shop/x'\]"):
        snap.pod(["shop/x"])
    assert snap.pod("shop/nonexistent") is None


def test_controls_summary_checked_ids(demo):
    # "host-network" was read as a set of characters, and a misspelt id was silently ignored
    snap, reach = demo
    g = k8sviz.gaps(snap, reach)
    with pytest.raises(QueryError, match=r"^controls_summary: checked must be a list of finding ids, got 'host-network'"):
        k8sviz.controls_summary(g, checked="host-network")
    with pytest.raises(QueryError, match=r"^controls_summary: checked names no finding: 'host-netwrk'"):
        k8sviz.controls_summary(g, checked=["host-network", "host-netwrk"])
    assert (k8sviz.controls_summary(g, checked=[])["status"] != "pass").all()


def test_a_segmentation_is_no_reachability(demo):
    # a Segmentation carries .snapshot too: taken for a reachability, it failed deep inside
    snap, reach = demo
    seg = k8sviz.segmentation(snap, reach, ZONES)
    with pytest.raises(QueryError, match=r"^blast_radius: reach must come from .* got Segmentation"):
        k8sviz.blast_radius(seg, "shop/frontend")


def _same(a, b) -> bool:
    """Equal results: frames by value, graphs by their JSON, HTML by its text."""
    import json

    import networkx as nx
    import pandas as pd

    if isinstance(a, pd.DataFrame):
        return a.equals(b) and a.attrs == b.attrs
    if isinstance(a, nx.Graph):
        return json.dumps(nx.node_link_data(a, edges="links"), sort_keys=True) == json.dumps(
            nx.node_link_data(b, edges="links"), sort_keys=True)
    return str(a) == str(b)


# how each is called with a count (one that cuts), the error class and the start of its message
COUNTS = {
    "graph max_edges": (lambda s, r, f, v: k8sviz.graph(s, r, max_edges=v), QueryError,
                        r"^graph: max_edges must be a count of edges"),
    "blast_radius max_hops": (lambda s, r, f, v: k8sviz.blast_radius(r, "shop/frontend", max_hops=v),
                              QueryError, r"^blast_radius: max_hops must be None or a whole number"),
    "internet_paths max_hops": (lambda s, r, f, v: k8sviz.internet_paths(r, "pci", ZONES, max_hops=v),
                                QueryError, r"^internet_paths: max_hops must be None or a whole number"),
    "Segmentation.to_html max_rows": (lambda s, r, f, v: k8sviz.segmentation(s, r, ZONES).to_html(max_rows=v),
                                      QueryError, r"^Segmentation.to_html: max_rows must be a count of rows"),
    "flow_discrepancies sample": (lambda s, r, f, v: k8sviz.flow_discrepancies(f, r, sample=v),
                                  k8sviz.InputError, r"^flow_discrepancies: sample must be a count"),
    "table max_rows": (lambda s, r, f, v: table(r.to_frame(), v), k8sviz.InputError,
                       r"^table: max_rows must be a count of rows"),
}


@pytest.mark.filterwarnings("ignore::UserWarning")  # graph(max_edges=2) says it aggregates
@pytest.mark.parametrize("which", COUNTS)
def test_count_arguments_take_numpy_integers_and_refuse_bools_and_floats(demo, which):
    """A count from pandas is a numpy integer: the same answer as the int; a bool or a float
    stays the error naming the function and the argument."""
    import numpy as np

    snap, reach = demo
    flows = k8sviz.load_flows(k8sviz.demo_path("flows"), snapshot=snap)
    call, error, words = COUNTS[which]
    want = call(snap, reach, flows, 2)
    for v in (np.int64(2), np.int32(2)):
        assert _same(call(snap, reach, flows, v), want)
    for bad in (True, 2.0):
        with pytest.raises(error, match=words):
            call(snap, reach, flows, bad)


def test_a_count_is_any_integral_but_a_bool():
    import fractions

    import numpy as np

    from k8sviz._checks import is_count

    assert all(is_count(v) for v in (0, 7, -1, np.int64(3), np.int32(3), np.uint8(3), 10**30))
    assert not any(is_count(v) for v in (True, False, np.bool_(True), 3.0, np.float64(3), "3", None,
                                         fractions.Fraction(3), [3]))
