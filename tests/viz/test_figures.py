from __future__ import annotations

import json
import re

import pandas as pd
import plotly.graph_objects as go
import pytest

import k8sviz
from k8sviz.viz import (
    findings_summary,
    flow_sankey,
    flow_timeline,
    network_figure,
    reachability_matrix,
    segmentation_heatmap,
    table_html,
)

from .conftest import HOSTILE, HOSTILE2


def _raw_strings(fig: go.Figure) -> str:
    return json.dumps(fig.to_plotly_json(), default=str)


class TestNetworkFigure:
    def test_traces_per_category(self, graph):
        fig = network_figure(graph)
        names = [t.name for t in fig.data]
        assert "allowed by policy" in names
        assert "observed in flows" in names
        assert "violates segmentation" in names
        assert any(n.startswith("zone: cde") for n in names)
        viol = next(t for t in fig.data if t.name == "violates segmentation (hover)")
        assert len(viol.x) == 1
        assert "pci/payment" in viol.text[0]

    def test_hostile_labels_are_escaped(self, graph):
        raw = _raw_strings(network_figure(graph))
        assert "<script" not in raw and "<img" not in raw
        assert "&lt;script&gt;" in raw

    def test_deterministic(self, graph):
        a = network_figure(graph).to_html(full_html=False, include_plotlyjs=False, div_id="g")
        b = network_figure(graph).to_html(full_html=False, include_plotlyjs=False, div_id="g")
        assert a == b

    def test_aggregate_namespace(self, graph):
        fig = network_figure(graph, aggregate="namespace")
        nodes = [t for t in fig.data if t.name and t.name.startswith("zone:")]
        ids = sorted(i for t in nodes for i in t.customdata)
        assert ids == ["(external)", "kube-system", "pci", "shop"]

    def test_aggregate_zone(self, graph):
        fig = network_figure(graph, aggregate="zone")
        ids = sorted(i for t in fig.data if t.name.startswith("zone:") for i in t.customdata)
        assert ids == ["(no zone)", "cde", "web"]

    def test_drill_down(self, graph):
        fig = network_figure(graph, namespace="pci")
        ids = sorted(i for t in fig.data if t.name.startswith("zone:") for i in t.customdata)
        assert ids == ["kube-system/agent", "pci/payment", "shop/cart"]

    def test_spring_layout_seeded(self, graph):
        a = network_figure(graph, layout="spring", seed=3).to_plotly_json()
        b = network_figure(graph, layout="spring", seed=3).to_plotly_json()
        assert json.dumps(a, default=str) == json.dumps(b, default=str)

    def test_large_graph_is_fast(self):

        import networkx as nx

        G = nx.MultiDiGraph()
        for i in range(2000):
            G.add_node(f"ns{i % 40}/w{i}", namespace=f"ns{i % 40}", zone=f"z{i % 5}", labels={"app": str(i)})
        for i in range(6000):
            G.add_edge(
                f"ns{i % 40}/w{i % 2000}",
                f"ns{(i * 7) % 40}/w{(i * 7) % 2000}",
                kind="allowed",
                ports=["80"],
                protocol="TCP",
            )
        fig = network_figure(G, aggregate="namespace")
        full = network_figure(G)
        assert len([t for t in fig.data if t.name.startswith("zone:")]) >= 1
        assert isinstance(full.data[0], go.Scattergl)


@pytest.mark.parametrize(("groups", "mode"), [(150, "markers+text"), (151, "markers")])
def test_many_namespaces_are_named_on_hover_only(groups, mode):
    import networkx as nx

    G = nx.MultiDiGraph()
    for i in range(groups):
        G.add_node(f"ns{i:03d}/w", namespace=f"ns{i:03d}", zone="z", labels={})
    fig = network_figure(G, aggregate="namespace", max_groups=None)  # else only the busiest 30 are drawn
    (nodes,) = [t for t in fig.data if t.name.startswith("zone:")]
    assert nodes.mode == mode
    last = f"ns{groups - 1:03d}"
    assert f"<b>namespace {last}</b>" in nodes.hovertext[-1]  # every name is on hover


def test_segmentation_heatmap_text_and_violations():
    m = pd.DataFrame(
        [["allowed", "denied"], ["partial", "unknown"]], index=["web", "cde"], columns=["web", "cde"]
    )

    class Seg:
        matrix = m
        violations = pd.DataFrame([{"src_zone": "web", "dst_zone": "cde", "detail": "x"}])

    fig = segmentation_heatmap(Seg())
    assert isinstance(fig.data[0], go.Heatmap)
    assert list(fig.data[0].y) == ["web", "cde"]
    assert len(fig.layout.shapes) == 1
    # the legend names each colour with the word its cells show
    bar = fig.data[0].colorbar
    legend = dict(zip(bar.tickvals, bar.ticktext, strict=True))
    cells = {t: z for zr, tr in zip(fig.data[0].z, fig.data[0].text, strict=True) for z, t in zip(zr, tr, strict=True)}
    assert all(legend[code] == word for word, code in cells.items())
    # the outlined cell says on hover what its outline means
    assert [list(r) for r in fig.data[0].customdata] == [["", " (violation: red outline)"], ["", ""]]
    assert fig.data[0].hovertemplate == "%{y} → %{x}: %{text}%{customdata}<extra></extra>"


def test_segmentation_heatmap_legend_names_only_values_the_matrix_can_hold():
    """A segmentation's matrix holds denied, partial or allowed: its colour bar listed 'unknown'
    and 'violation' too, colours no cell had (a violation is a red outline, not a colour)."""
    import k8sviz

    snap = k8sviz.demo()
    zones = k8sviz.load_zones(k8sviz.demo_path("zones.yaml"))
    seg = k8sviz.segmentation(snap, k8sviz.reachability(snap), zones)
    trace = segmentation_heatmap(seg).data[0]
    assert list(trace.colorbar.ticktext) == ["denied", "partial", "allowed"]
    assert "red outline" in trace.colorbar.title.text and len(seg.violations)
    legend = dict(zip(trace.colorbar.tickvals, trace.colorbar.ticktext, strict=True))
    for zr, tr in zip(trace.z, trace.text, strict=True):
        assert [legend[z] for z in zr] == list(tr)
    # each word's colour is its band of the scale, as before
    colors = dict(zip(legend.values(), [trace.colorscale[2 * i][1] for i in range(len(legend))], strict=True))
    assert colors == {"denied": "#e8f5e9", "partial": "#fff59d", "allowed": "#90caf9"}
    assert (trace.zmin, trace.zmax) == (-0.5, 2.5)
    # a bare frame: the values its cells hold, no violation outline to explain
    frame = pd.DataFrame([["allowed", "denied"]], index=["a"], columns=["a", "b"])
    bare = segmentation_heatmap(frame).data[0]
    assert list(bare.colorbar.ticktext) == ["denied", "allowed"] and bare.colorbar.title.text is None


def test_segmentation_heatmap_numeric():
    m = pd.DataFrame([[3, 1], [0, 2]], index=["a", "b"], columns=["a", "b"])
    fig = segmentation_heatmap(m)
    assert fig.data[0].text[0][1] == "1"


def test_reachability_matrix(reach_frame):
    fig = reachability_matrix(reach_frame)
    hm = fig.data[0]
    assert "(external)" in hm.y
    assert "internet" in reachability_matrix(reach_frame, collapse_external=False).data[0].y
    raw = _raw_strings(fig)
    assert "8000-8100, 50051" in raw
    assert "<script" not in raw


def test_reachability_matrix_aggregates(reach_frame):
    fig = reachability_matrix(reach_frame, max_labels=2)
    assert "namespaces" in fig.layout.title.text
    assert "pci" in fig.data[0].x
    assert "(external)" in fig.data[0].y


def test_flow_sankey_bipartite(flows):
    fig = flow_sankey(flows)
    s = fig.data[0]
    assert "shop (src)" in s.node.label and "shop (dst)" in s.node.label
    assert sum(s.link.value) == len(flows)


def test_flow_sankey_edges_frame():
    e = pd.DataFrame(
        [
            {"src_namespace": "a", "dst_namespace": "b", "flows": 5},
            {"src_namespace": "a", "dst_namespace": "a", "flows": 2},
        ]
    )
    s = flow_sankey(e).data[0]
    assert list(s.node.label) == ["a (src)", "a (dst)", "b (dst)"]
    assert sorted(s.link.value) == [2.0, 5.0]


def test_flow_sankey_says_what_its_link_colours_mean():
    """A Sankey has no legend: the title keys the colours, and a red link's hover says how
    many of its flows were denied."""
    e = pd.DataFrame(
        [
            {"src_namespace": "a", "dst_namespace": "b", "flows": 5, "denied": 2},
            {"src_namespace": "a", "dst_namespace": "a", "flows": 2, "denied": 0},
        ]
    )
    fig = flow_sankey(e)
    assert fig.layout.title.text.endswith("<sup>links: green: none denied; red: some denied</sup>")
    link = fig.data[0].link
    assert list(link.customdata) == ["", "(2 denied)"] and "%{customdata}" in link.hovertemplate
    assert [c.startswith("rgba(198,40,40") for c in link.color] == [False, True]
    quiet = flow_sankey(e.assign(denied=0))
    assert quiet.layout.title.text.endswith("<sup>links: green: none denied</sup>")
    records = pd.DataFrame({"src_namespace": ["a", "a", "b"], "dst_namespace": ["b", "b", "a"],
                            "verdict": ["allowed", "denied", "unknown"]})
    assert flow_sankey(records).layout.title.text.endswith(
        "<sup>links: green: allowed; red: denied; grey: unknown</sup>")


def test_flow_timeline(flows):
    fig = flow_timeline(flows)
    names = [t.name for t in fig.data]
    assert names == ["allowed", "denied", "unknown"]
    assert sum(sum(t.y) for t in fig.data) == len(flows)


def test_findings_summary(gaps):
    fig = findings_summary(gaps)
    assert [t.name for t in fig.data] == ["high", "medium"]
    assert list(fig.data[0].y) == ["namespace-without-policy", "host-network"]


@pytest.mark.parametrize("fn", [findings_summary, flow_timeline, flow_sankey, reachability_matrix])
def test_empty_inputs(fn):
    fig = fn(pd.DataFrame())
    assert fig.layout.annotations


def test_table_html_escapes():
    df = pd.DataFrame([{"a": HOSTILE, "b": [HOSTILE2, "x"]}])
    out = table_html(df)
    assert "<script" not in out and "<img" not in out
    assert "&lt;script&gt;" in out


def test_table_html_writes_durations_as_signed_seconds():
    df = pd.DataFrame({"offset": pd.to_timedelta(["-6.999501s", "7s", "1ms"])})
    out = table_html(df)
    assert re.findall(r"<td>(.*?)</td>", out) == ["-6.999501 s", "+7 s", "+0.001 s"]
    assert "days" not in out


def test_categorical_columns(reach_frame, flows):
    """The engine and flow loader return categoricals; figures must not add categories in place."""
    cat = {c: "category" for c in ("src", "dst", "src_namespace", "dst_namespace", "protocol")}
    fig = reachability_matrix(reach_frame.astype(cat))
    assert "(external)" in fig.data[0].y
    assert "(external)" in reachability_matrix(reach_frame.astype(cat), max_labels=2).data[0].y
    f = flows.astype({"src_namespace": "category", "dst_namespace": "category", "verdict": "category"})
    f.loc[0, "verdict"] = None
    assert sum(flow_sankey(f).data[0].link.value) == len(f)
    assert sum(sum(t.y) for t in flow_timeline(f).data) == len(f)


def test_table_html_links_and_anchors():
    df = pd.DataFrame([{"finding": HOSTILE, "ids": [HOSTILE, "host-network"]}, {"finding": "host-network", "ids": []}])
    out = table_html(df, links={"ids": "f-"}, anchor=("finding", "f-"))
    assert '<a href="#f-host-network">host-network</a>' in out
    assert '<tr id="f-host-network">' in out
    assert 'id="f-script-window-pwned-1-alert-1-script"' in out
    assert "<script" not in out


def test_violations_to_and_from_outside_addresses_are_drawn_as_violating():
    """A segmentation violation with outside addresses merges its blocks into one row (their
    text is no node's id); the figure pairs each block with the other end."""
    import k8sviz
    from k8sviz.viz import network_figure

    snap = k8sviz.demo()
    zones = k8sviz.load_zones(k8sviz.demo_path("zones.yaml"))
    reach = k8sviz.reachability(snap)
    v = k8sviz.segmentation(snap, reach, zones).violations
    outside = v[v["src_zone"] == "external"]
    assert len(outside) and "kube-system/node-agent" in set(outside["dst"])
    fig = network_figure(k8sviz.graph(snap, reach=reach, zones=zones), violations=v)
    hover = next(t for t in fig.data if t.name == "violates segmentation (hover)")
    assert any(h.startswith("<b>external: internet → kube-system/node-agent</b>") for h in hover.text)
    for by in ("namespace", "zone"):
        agg = network_figure(k8sviz.graph(snap, reach=reach, zones=zones), aggregate=by, violations=v)
        hover = next(t for t in agg.data if t.name == "violates segmentation (hover)")
        want = "external → kube-system" if by == "zone" else "(external) → kube-system"
        assert any(h.startswith(f"<b>{want}</b>") for h in hover.text), [h[:60] for h in hover.text]


def test_figures_name_a_wrong_object():
    # a Snapshot or a Reachability given for a table had no len() (a TypeError), and
    # segmentation_heatmap drew a Snapshot as "no zones defined"
    import k8sviz
    from k8sviz.errors import InputError

    snap = k8sviz.demo()
    reach = k8sviz.reachability(snap)
    for call, words in [
        (lambda: k8sviz.reachability_matrix(reach), r"^reachability_matrix: reach_frame must be a DataFrame "
                                                    r"from reach.to_frame\(level='workload'\), got Reachability"),
        (lambda: k8sviz.findings_summary(snap), r"^findings_summary: gaps must be a DataFrame .* got Snapshot"),
        (lambda: k8sviz.controls_figure(snap), r"^controls_figure: summary must be a DataFrame"),
        (lambda: k8sviz.flow_sankey(snap), r"^flow_sankey: flow_edges_ns must be a DataFrame"),
        (lambda: k8sviz.flow_timeline(reach), r"^flow_timeline: flows must be a DataFrame .* got Reachability"),
        (lambda: k8sviz.changes_figure(snap), r"^changes_figure: changes must be a DataFrame"),
        (lambda: k8sviz.segmentation_heatmap(snap), r"^segmentation_heatmap: seg must be k8sviz.segmentation"),
    ]:
        with pytest.raises(InputError, match=words):
            call()
    # what they take still draws
    assert k8sviz.reachability_matrix(reach.to_frame(level="workload")).data


def test_figure_arguments_are_checked():
    # each was a TypeError, a ValueError or KeyError from pandas or plotly, or silently ignored
    import k8sviz
    from k8sviz.errors import InputError

    snap = k8sviz.demo()
    reach = k8sviz.reachability(snap)
    G = k8sviz.graph(snap, reach=reach)
    flows = k8sviz.load_flows(k8sviz.demo_path("flows"), snapshot=snap)
    for call, words in [
        (lambda: k8sviz.network_figure(G, show=("alowed",)), r"^show: 'alowed' is no edge category"),
        (lambda: k8sviz.network_figure(G, layout="Grouped"), r"^layout must be 'grouped', 'spring' or 'circular'"),
        (lambda: k8sviz.network_figure(G, height="600"), r"^height must be a count of pixels"),
        (lambda: k8sviz.network_figure(G, violations=snap), r"^violations must be \(src, dst\) pairs"),
        (lambda: k8sviz.reachability_matrix(reach.to_frame(level="workload"), max_labels="3"),
         r"^max_labels must be a count of labels"),
        (lambda: k8sviz.flow_timeline(flows, freq="banana"), r"^flow_timeline: freq must be a pandas frequency"),
        (lambda: k8sviz.flow_sankey(k8sviz.flow_edges(flows, level="namespace"), value="nope"),
         r"^flow_sankey: value 'nope' is no column of the table"),
    ]:
        with pytest.raises(InputError, match=words):
            call()
    # one category given as a str is that category (its letters drew no edge at all)
    one = k8sviz.network_figure(G, show="allowed")
    assert one.to_json() == k8sviz.network_figure(G, show=("allowed",)).to_json()
    assert any(len(t.x or ()) for t in one.data if t.name == "allowed by policy")
    # a segmentation stands for its violations
    zones = k8sviz.demo_path("zones.yaml")
    seg = k8sviz.segmentation(snap, reach, zones)
    Gz = k8sviz.graph(snap, reach=reach, zones=zones)
    assert (k8sviz.network_figure(Gz, violations=seg).to_json()
            == k8sviz.network_figure(Gz, violations=seg.violations).to_json())


@pytest.fixture(scope="module")
def demo_drawn():
    snap = k8sviz.demo()
    reach = k8sviz.reachability(snap)
    return k8sviz.graph(snap, reach=reach), reach.to_frame(level="workload")


def _changes():
    """Changes between eight namespace pairs: more than a ``top`` of 5."""
    return pd.DataFrame([{"src": f"n{i}/a", "dst": f"m{i}/b", "src_type": "workload", "dst_type": "workload",
                          "protocol": "TCP", "change": "added", "ports_before": [], "ports_after": ["TCP/80"],
                          "added": ["TCP/80"], "removed": []} for i in range(8)])


# how each is called with a count, the count (one that cuts), the start of a wrong one's error
COUNT_ARGUMENTS = {
    "network_figure max_edges": (lambda d, v: k8sviz.network_figure(d[0], max_edges=v), 5,
                                 r"^max_edges must be a count of edges"),
    "network_figure max_groups": (
        lambda d, v: k8sviz.network_figure(d[0], aggregate="namespace", max_groups=v), 5,
        r"^max_groups must be a count of namespaces or zones"),
    "network_figure height": (lambda d, v: k8sviz.network_figure(d[0], height=v), 500,
                              r"^height must be a count of pixels"),
    "reachability_matrix max_labels": (lambda d, v: k8sviz.reachability_matrix(d[1], max_labels=v), 5,
                                       r"^max_labels must be a count of labels"),
    "reachability_matrix max_namespaces": (
        lambda d, v: k8sviz.reachability_matrix(d[1], max_labels=1, max_namespaces=v), 5,
        r"^max_namespaces must be a count of namespaces"),
    "changes_figure top": (lambda d, v: k8sviz.changes_figure(_changes(), top=v), 5,
                           r"^changes_figure: top must be a count of namespace pairs"),
    "table_html max_rows": (lambda d, v: table_html(d[1], max_rows=v), 5,
                            r"^table_html: max_rows must be a count"),
    "table_html total": (lambda d, v: table_html(d[1].head(3), max_rows=2, total=v), 5,
                         r"^table_html: total must be a count"),
}


@pytest.mark.parametrize("which", COUNT_ARGUMENTS)
def test_count_arguments_take_numpy_integers_and_refuse_bools_and_floats(demo_drawn, which):
    """A notebook's counts come from pandas as numpy integers: the same figure as with the
    int; a bool or a float stays an error naming the argument."""
    import numpy as np

    from k8sviz.errors import InputError

    draw, n, words = COUNT_ARGUMENTS[which]
    want = draw(demo_drawn, n)
    for v in (np.int64(n), np.int32(n)):
        got = draw(demo_drawn, v)
        assert (got == want) if isinstance(want, str) else (got.to_json() == want.to_json())
    for bad in (True, float(n)):
        with pytest.raises(InputError, match=words):
            draw(demo_drawn, bad)


def test_a_numpy_cap_is_a_plain_int_in_the_figure_meta(demo_drawn):
    import numpy as np

    meta = k8sviz.network_figure(demo_drawn[0], max_edges=np.int64(5)).layout.meta
    assert meta["max_edges"] == 5 and type(meta["max_edges"]) is int
    assert json.loads(json.dumps(meta))["drawn"] == 5


def test_flow_sankey_names_a_few_columns_of_a_wide_table_whatever_their_names():
    """It listed every column, and a column named by a number raised a TypeError (str.join)."""
    import pandas as pd

    from k8sviz.errors import InputError

    df = pd.DataFrame({**{f"c{i}": [1] for i in range(20)}, "src_namespace": ["a"], "dst_namespace": ["b"], 3: [1]})
    with pytest.raises(InputError) as e:
        k8sviz.flow_sankey(df, value="x")
    assert str(e.value) == ("flow_sankey: value 'x' is no column of the table (it has 'c0', 'c1', 'c2', 'c3', "
                            "'c4', 'c5', 'c6', 'c7', 'c8', 'c9', 'c10', 'c11' and 11 more)")
