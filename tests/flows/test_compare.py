"""Edges, windows, clock skew, archive aggregation and intent-vs-observed on the demo flows."""

from __future__ import annotations

import pandas as pd
import pytest

import k8sviz
from k8sviz.flows.compare import port_ranges

from .conftest import DATA

SKEWED = "gke-shop-pool-1-32c3bb81-5nj2"


def test_port_ranges():
    assert port_ranges([8080, 80, 8081, 8082, None, 443]) == ["80", "443", "8080-8082"]
    assert port_ranges([]) == []


class TestDemoLoad:
    def test_sources_and_windows(self, demo_flows):
        rep = k8sviz.flow_report(demo_flows)
        fmts = {s["format"]: s for s in rep["sources"]}
        assert set(fmts) == {"hubble", "calico"}
        assert fmts["hubble"]["skipped"] == {"lost_events": 4, "agent_event": 4}
        assert rep["unmapped"] == {} and rep["problems"] == []
        w = k8sviz.flow_windows(demo_flows).set_index("source_format")
        assert w.loc["hubble", "first"] >= pd.Timestamp("2024-03-10T00:00:00Z")
        assert w.loc["hubble", "last"] < pd.Timestamp("2024-03-17T00:00:08Z")
        assert w.loc["hubble", "span"] > pd.Timedelta(days=6)
        assert w.loc["calico", "first"] == pd.Timestamp("2024-03-15T00:00:00Z")
        assert w.loc["calico", "flows"] > w.loc["calico", "records"]  # aggregated rows

    def test_every_flow_endpoint_is_mapped(self, demo_flows):
        for side in ("src", "dst"):
            assert set(demo_flows[f"{side}_type"]) <= {"pod", "workload", "node", "external"}


class TestEdges:
    def test_workload_edges(self, demo_flows):
        e = k8sviz.flow_edges(demo_flows)
        row = e[(e["src"] == "shop/checkoutservice") & (e["dst"] == "pci/paymentservice")].iloc[0]
        assert row["ports"] == ["50051"] and row["denied"] > 0 and row["allowed"] > 0
        assert row["verdicts"] == "allowed,denied" and row["sources"] == "calico,hubble"
        assert row["first_seen"] < row["last_seen"]
        # Connections are counted once, by the observer that saw the most: checkout's egress
        # forwarded every one; payment's ingress dropped the 6 attempts of anomaly (b), in 18
        # Hubble drop events (SYN and two retransmissions each) and Calico deny records of 6 flows.
        assert row["denied"] == 6 and row["flows"] == row["allowed"] > 100
        assert row["records"] > row["flows"]
        ml = e[(e["src"] == "shop/recommendationservice") & (e["dst"] == "34.149.87.45")].iloc[0]
        assert ml["dst_type"] == "external" and ml["ports"] == ["443"]

    def test_namespace_edges_and_replies(self, demo_flows):
        e = k8sviz.flow_edges(demo_flows, level="namespace")
        pairs = set(zip(e["src"], e["dst"], strict=True))
        assert ("shop", "pci") in pairs and ("shop", "external-public") in pairs
        assert ("external-public", "ingress-nginx") in pairs
        with_replies = k8sviz.flow_edges(demo_flows, level="namespace", replies=True)
        assert with_replies["records"].sum() > e["records"].sum()

    def test_reporter_filter_and_bad_level(self, demo_flows):
        e = k8sviz.flow_edges(demo_flows, reporter="src")
        assert e["records"].sum() < k8sviz.flow_edges(demo_flows)["records"].sum()
        with pytest.raises(k8sviz.InputError):
            k8sviz.flow_edges(demo_flows, level="cluster")

    def test_reporter_in_any_case_and_checked(self, demo_flows):
        # "SRC" matched no record (an empty table), "source" too, silently
        e = k8sviz.flow_edges(demo_flows, reporter="src")
        assert len(e) and k8sviz.flow_edges(demo_flows, reporter="SRC").equals(e)
        with pytest.raises(k8sviz.InputError, match=r"^reporter must be 'src', 'dst' or None, not 'source'"):
            k8sviz.flow_edges(demo_flows, reporter="source")

    def test_sample_checked(self, demo_flows):
        reach = k8sviz.reachability(k8sviz.demo())
        with pytest.raises(k8sviz.InputError, match=r"^flow_discrepancies: sample must be a count .* not '3'"):
            k8sviz.flow_discrepancies(demo_flows, reach, sample="3")


class TestClockSkew:
    def test_demo_skew_is_found_on_one_node(self, demo_flows):
        sk = k8sviz.clock_skew(demo_flows, threshold="2s")
        assert len(sk) == 4 and set(sk["source_format"]) == {"hubble"}
        assert set(sk["suspect_node"]) == {SKEWED}
        to_skewed = sk[sk["dst_node"] == SKEWED]
        assert (to_skewed["offset_seconds"].round() == 7).all()
        assert (sk.loc[sk["src_node"] == SKEWED, "offset_seconds"].round() == -7).all()

    def test_all_pairs_and_threshold(self, demo_flows):
        every = k8sviz.clock_skew(demo_flows, all_pairs=True)
        assert len(every) > 4 and not every.loc[~every["skewed"], "offset_seconds"].abs().gt(1).any()
        assert k8sviz.clock_skew(demo_flows, threshold="10s").empty

    @pytest.mark.parametrize("bad", [2, 2.5, None, "abc", "-1s", ["2s"]])
    def test_threshold_needs_a_unit(self, demo_flows, bad):
        # 2 was read by pandas as 2 nanoseconds (every pair skewed), "abc" a ValueError from pandas
        with pytest.raises(k8sviz.InputError, match=r"^clock_skew: threshold must be a duration such as '2s'"):
            k8sviz.clock_skew(demo_flows, threshold=bad)
        with pytest.raises(k8sviz.InputError, match=r"^clock_skew: tolerance must be a duration"):
            k8sviz.clock_skew(demo_flows, tolerance=bad)

    def test_threshold_as_a_timedelta(self, demo_flows):
        import datetime as dt

        by_text = k8sviz.clock_skew(demo_flows, threshold="2s")
        assert k8sviz.clock_skew(demo_flows, threshold=dt.timedelta(seconds=2)).equals(by_text)
        assert k8sviz.clock_skew(demo_flows, threshold=pd.Timedelta(2, "s")).equals(by_text)

    def test_calico_reporters(self, demo_snap):
        df = k8sviz.load_flows(DATA / "calico_array.json", snapshot=demo_snap)
        sk = k8sviz.clock_skew(df, threshold="2s")
        assert len(sk) == 1
        row = sk.iloc[0]
        assert (row["src_node"], row["dst_node"], row["offset_seconds"]) == (
            "gke-shop-pool-1-32c3bb81-6swf",
            "gke-shop-pool-1-32c3bb81-jgp7",
            3.0,
        )


class TestArchive:
    def test_matches_in_memory_edges(self, demo_snap):
        path = k8sviz.demo_path("flows", "hubble.json.gz")
        a = k8sviz.aggregate_flow_archive(path, snapshot=demo_snap)
        m = k8sviz.flow_edges(k8sviz.load_flows(path, snapshot=demo_snap))
        key = ["src", "dst", "protocol"]
        merged = a.merge(m, on=key, suffixes=("_a", "_m"))
        assert len(merged) == len(a) == len(m)
        assert (merged["flows_a"] == merged["flows_m"]).all()
        assert (merged["denied_a"] == merged["denied_m"]).all()
        assert (merged["ports_a"] == merged["ports_m"]).all()

    def test_calico_array_and_pretty(self, demo_snap):
        path = k8sviz.demo_path("flows", "calico.json")
        a = k8sviz.aggregate_flow_archive(path, snapshot=demo_snap)
        m = k8sviz.flow_edges(k8sviz.load_flows(path, snapshot=demo_snap))
        merged = a.merge(m, on=["src", "dst", "protocol"], suffixes=("_a", "_m"))
        assert len(merged) == len(a) == len(m)
        assert (merged["flows_a"] == merged["flows_m"]).all() and (
            merged["bytes_a"] == merged["bytes_m"]
        ).all()
        pretty = k8sviz.aggregate_flow_archive(DATA / "calico_pretty.json", snapshot=demo_snap)
        assert pretty["records"].sum() == 3

    def test_calico_and_parquet(self, demo_snap, tmp_path):
        df = k8sviz.load_flows(k8sviz.demo_path("flows", "calico.json"), snapshot=demo_snap)
        df.to_parquet(tmp_path / "calico.parquet")
        a = k8sviz.aggregate_flow_archive(tmp_path, snapshot=demo_snap, level="namespace")
        m = k8sviz.flow_edges(df, level="namespace")
        assert a["flows"].sum() == m["flows"].sum()
        assert set(zip(a["src"], a["dst"], strict=True)) == set(zip(m["src"], m["dst"], strict=True))


def assert_same_edges(archive: pd.DataFrame, edges: pd.DataFrame, but: tuple[str, ...] = ()) -> None:
    """The archive's edges are flow_edges' edges: row for row (kept apart by endpoint kind, as
    flow_edges keeps them), every column both have but ``but``."""
    from k8sviz.flows.compare import _kinds

    def keyed(df):
        return df.assign(_sk=_kinds(df["src_type"]), _dk=_kinds(df["dst_type"])).set_index(
            ["src", "_sk", "dst", "_dk", "protocol"]).sort_index()

    a, m = keyed(archive), keyed(edges)
    assert list(a.index) == list(m.index)
    keys = {"src", "dst", "protocol", "src_type", "dst_type"}
    for col in sorted(set(archive.columns) & set(edges.columns) - keys - set(but)):
        assert a[col].tolist() == m[col].tolist(), col


def _collision(tmp_path):
    """A snapshot with a node x and a pod x of a namespace called node (both are node/x), and a
    Calico log of each sending to a/y: the node's host endpoint as felix names it."""
    import json

    from tests.analysis.helpers import ns, pod, snapshot

    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "x"},
            "status": {"addresses": [{"type": "InternalIP", "address": "192.168.0.9"}]}}
    snap = snapshot(ns("node"), ns("a"), pod("node", "x", ip="10.0.0.1"), pod("a", "y", ip="10.0.0.2"), node)
    doc = {"start_time": 1710496800, "end_time": 1710497100, "action": "allow", "proto": "tcp",
           "reporter": "dst", "dest_port": 80, "num_flows": 2, "bytes_in": 10, "bytes_out": 20,
           "source_type": "wep", "source_namespace": "node", "source_name": "x", "source_name_aggr": "x",
           "source_ip": "10.0.0.1", "dest_type": "wep", "dest_namespace": "a", "dest_name": "y",
           "dest_name_aggr": "y", "dest_ip": "10.0.0.2"}
    hep = {**doc, "source_type": "hep", "source_namespace": "-", "source_name": "-", "source_name_aggr": "x",
           "source_ip": "-", "dest_port": 9100, "num_flows": 3, "bytes_in": 1, "bytes_out": 1}
    path = tmp_path / "calico.json"
    path.write_text(json.dumps(doc) + "\n" + json.dumps(hep) + "\n")
    return snap, path


def test_the_archive_keeps_a_node_and_a_workload_of_one_label_apart(tmp_path):
    """Both are node/x: the archive keeps two rows, as flow_edges does, with the same counts."""
    snap, path = _collision(tmp_path)
    a = k8sviz.aggregate_flow_archive(path, snapshot=snap)
    assert sorted(zip(a["src"], a["src_type"], a["ports"], a["flows"], a["bytes"], strict=True)) == [
        ("node/x", "node", ["9100"], 3, 2), ("node/x", "pod", ["80"], 2, 30)]
    flows = k8sviz.load_flows(path, snapshot=snap)
    assert_same_edges(a, k8sviz.flow_edges(flows))
    flows.to_parquet(tmp_path / "flows.parquet")
    # (The archive names a Parquet table's rows by the file kind, parquet, in sources.)
    assert_same_edges(k8sviz.aggregate_flow_archive(tmp_path / "flows.parquet", snapshot=snap),
                      k8sviz.flow_edges(flows), but=("sources",))
    # At namespace level the node is "node", as the namespace called node is: still two rows.
    a = k8sviz.aggregate_flow_archive(path, snapshot=snap, level="namespace")
    assert sorted(zip(a["src"], a["src_type"], strict=True)) == [("node", "node"), ("node", "pod")]
    assert_same_edges(a, k8sviz.flow_edges(flows, level="namespace"))


@pytest.mark.parametrize("name", ["hubble.json.gz", "calico.json"])
@pytest.mark.parametrize("level", ["workload", "namespace"])
def test_the_archive_and_flow_edges_agree_on_the_demo(demo_snap, name, level):
    path = k8sviz.demo_path("flows", name)
    with pytest.warns(k8sviz.FlowWarning) if name.startswith("hubble") else _no_warning():
        flows = k8sviz.load_flows(path, snapshot=demo_snap)
    assert_same_edges(k8sviz.aggregate_flow_archive(path, snapshot=demo_snap, level=level),
                      k8sviz.flow_edges(flows, level=level))


def _no_warning():
    import contextlib
    import warnings

    @contextlib.contextmanager
    def strict():
        with warnings.catch_warnings():
            warnings.simplefilter("error", k8sviz.FlowWarning)
            yield

    return strict()


class FakeReach:
    """The engine contract, for a unit test independent of the engine."""

    def __init__(self, allowed, rules):
        self.allowed = allowed
        self.rules = rules

    def can_reach(self, src, dst, port, protocol="TCP"):
        w = lambda k: k.split("/")[0] + "/" + k.split("/")[1].split("-")[0] if "/" in k else k  # noqa: E731
        return (w(src), w(dst), port) in self.allowed

    def explain(self, src, dst, port, protocol="TCP"):
        return "fake verdict"

    def rule_frame(self, level="workload"):
        return pd.DataFrame(
            self.rules, columns=["policy", "direction", "rule", "src", "dst", "protocol", "ports"]
        )


def test_discrepancies_with_fake_engine(demo_snap):
    df = k8sviz.load_flows(DATA / "hubble_bare.json.gz", snapshot=demo_snap)
    reach = FakeReach(
        {("shop/loadgenerator", "shop/frontend", 8080), ("shop/loadgenerator", "shop/cartservice", 7070)},
        [
            ("shop/a", "egress", 0, "shop/loadgenerator", "shop/frontend", "TCP", ["8000-9000"]),
            ("shop/b", "ingress", 1, "shop/adservice", "shop/frontend", "TCP", ["8080"]),
            ("shop/c", "egress", 0, "shop/recommendationservice", "0.0.0.0/0", "TCP", ["443"]),
            ("shop/d", "egress", 0, "shop/adservice", "10.0.0.0/8", "TCP", ["5432"]),
        ],
    )
    d = k8sviz.flow_discrepancies(df, reach)
    kinds = dict(zip(d["kind"], d["src"] + " -> " + d["dst"], strict=True))
    assert kinds["observed-but-policy-denies"] == "shop/recommendationservice -> 35.190.0.1"
    assert kinds["dropped-but-policy-allows"] == "shop/loadgenerator -> shop/cartservice"
    unused = d[d["kind"] == "allowed-but-unused"]
    assert list(unused["policy"]) == ["shop/b", "shop/d"]  # shop/c is used: 35.190.0.1 is in 0.0.0.0/0
    assert unused.iloc[0]["flows"] == 0 and unused.iloc[0]["rule"] == "1"
    # an engine that words no rule (no rule_texts): the rule named by policy, direction and index
    assert unused.iloc[0]["rule_text"] == "shop/b ingress[1]"
    # A rule frame without types (this engine gives none): a CIDR end is external, others workloads.
    assert unused[["src_type", "dst_type"]].values.tolist() == [
        ["workload", "workload"], ["workload", "external"]]
    observed = d[d["kind"] != "allowed-but-unused"]
    assert set(zip(observed["dst"], observed["dst_type"], strict=True)) == {
        ("35.190.0.1", "external"), ("shop/cartservice", "pod")}


def test_endpoint_labels_of_network_sets_and_hidden_addresses(tmp_path, demo_snap):
    """A namespaced network set is no workload of its name; hidden addresses by their space."""
    import warnings

    from k8sviz.flows.compare import endpoint_labels

    from .conftest import calico_doc, write_jsonl

    front = next(p for p in demo_snap.pods if p.workload_key == "shop/frontend")
    src = {"type": "wep", "namespace": "shop", "name": front.name, "ip": front.ips[0]}
    docs = [
        calico_doc(src, {"type": "ns", "namespace": "shop", "name_aggr": "frontend"}, 443),
        calico_doc(src, {"type": "ns", "name_aggr": "threat-feed"}, 443),
        calico_doc(src, {"type": "net", "name_aggr": "pub"}, 443),
        calico_doc(src, {"type": "net", "name_aggr": "pvt"}, 443),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        flows = k8sviz.load_flows(write_jsonl(tmp_path, docs), snapshot=demo_snap)
    assert list(flows["dst_type"]) == ["networkset"] * 2 + ["external"] * 2
    assert list(endpoint_labels(flows, "dst")) == [
        "networkset/shop/frontend", "networkset/threat-feed", "external-public", "external-private"
    ]
    assert set(endpoint_labels(flows, "src")) == {"shop/frontend"}
    assert list(endpoint_labels(flows, "dst", "namespace")) == ["shop", "networkset", "external-public",
                                                                 "external-private"]


def test_endpoint_labels_of_a_table_without_types():
    """A hand-built table names its endpoints by what each row holds."""
    from k8sviz.flows.compare import endpoint_labels, endpoint_types

    df = pd.DataFrame({"src_namespace": ["a", "a", None, None], "src_pod": ["web-1", None, None, None],
                       "src_workload": ["web", "web", None, None],
                       "src_ip": ["10.0.0.1", None, "8.8.8.8", None]})
    assert list(endpoint_types(df, "src")) == ["pod", "workload", "external", None]
    assert list(endpoint_labels(df, "src")) == ["a/web", "a/web", "8.8.8.8", "unknown"]
    assert list(endpoint_labels(df, "src", "pod")) == ["a/web-1", "a/web", "8.8.8.8", "unknown"]


def test_a_flow_table_built_by_hand_needs_only_its_endpoints():
    """The comparisons read a hand-built table (no counters, no source format) as load_flows
    reads missing values: one connection per record, no bytes; a table that is no flow table at
    all is a clear error, not a KeyError."""
    import k8sviz
    from k8sviz.errors import InputError
    from k8sviz.flows.compare import flow_windows

    t = pd.Timestamp("2024-01-01", tz="UTC")
    rows = {"time": [t, t], "src_type": ["pod", "pod"], "dst_type": ["pod", "pod"], "src_namespace": ["a", "a"],
            "dst_namespace": ["b", "b"], "src_pod": ["p", "p"], "dst_pod": ["q", "q"], "src_workload": ["p", "p"],
            "dst_workload": ["q", "q"], "src_ip": ["10.0.0.1"] * 2, "dst_ip": ["10.0.0.2"] * 2,
            "protocol": ["TCP", "TCP"], "dst_port": [80, 81], "verdict": ["allowed", "denied"]}
    edges = k8sviz.flow_edges(pd.DataFrame(rows))
    (e,) = edges.itertuples()
    assert (e.src, e.dst, e.ports, e.flows, e.allowed, e.denied, e.bytes) == ("a/p", "b/q", ["80-81"], 2, 1, 1, 0)
    windows = flow_windows(pd.DataFrame(rows))
    assert windows[["source_format", "file", "records", "flows"]].values.tolist() == [["unknown", "unknown", 2, 2]]
    with pytest.raises(InputError, match="^flow_edges: flows must be a DataFrame from k8sviz.load_flows.* "
                                         "without the columns time and src_type"):
        k8sviz.flow_edges(pd.DataFrame({"src": ["a"]}))


def _hosts(tmp_path, *flows):
    """A node x (192.168.0.9), a pod a/y, a policy letting 192.168.0.0/16 reach a/y on 10250;
    Hubble records from ``(labels, ip, port)`` to a/y."""
    import json

    from tests.analysis.helpers import ns, pod, snapshot

    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "x"},
            "status": {"addresses": [{"type": "InternalIP", "address": "192.168.0.9"}]}}
    policy = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"namespace": "a", "name": "from-hosts"},
              "spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "192.168.0.0/16"}}],
                                                       "ports": [{"port": 10250}]}]}}
    snap = snapshot(ns("a"), pod("a", "y", ip="10.0.0.2", app="y"), node, policy)
    lines = [{"time": "2024-01-01T00:00:00Z", "verdict": "FORWARDED", "traffic_direction": "INGRESS",
              "is_reply": False, "IP": {"source": ip, "destination": "10.0.0.2"},
              "l4": {"TCP": {"source_port": 40000 + i, "destination_port": port}},
              "source": {"labels": labels},
              "destination": {"namespace": "a", "pod_name": "y", "labels": ["k8s:app=y"]}}
             for i, (labels, ip, port) in enumerate(flows)]
    path = tmp_path / "hubble.json"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return snap, path


def test_a_host_endpoint_of_no_known_node_is_node_slash_its_address(tmp_path):
    """Hubble's host at an address no node of the snapshot has: the address is kept, under the
    node prefix, everywhere the endpoint is named, and never confused with the external
    endpoint of that same address (which is named by it bare)."""
    snap, path = _hosts(tmp_path, (["reserved:host"], "192.168.7.7", 10250),
                        (["reserved:world"], "192.168.7.7", 443), (["reserved:remote-node"], "192.168.0.9", 9100))
    with pytest.warns(k8sviz.FlowWarning, match="1 node-not-in-snapshot .* e.g. 192.168.7.7"):
        flows = k8sviz.load_flows(path, snapshot=snap)
    assert flows["src_ip"].tolist() == ["192.168.7.7", "192.168.7.7", "192.168.0.9"]
    edges = k8sviz.flow_edges(flows)
    assert sorted(zip(edges["src"], edges["src_type"], edges["ports"], strict=True)) == [
        ("192.168.7.7", "external", ["443"]), ("node/192.168.7.7", "node", ["10250"]), ("node/x", "node", ["9100"])]
    assert_same_edges(k8sviz.aggregate_flow_archive(path, snapshot=snap), edges)
    G = k8sviz.graph(snap, flows=flows)
    host = G.nodes["node/192.168.7.7"]
    assert (host["type"], host["name"], host["addresses"]) == ("node", None, ["192.168.7.7"])
    assert G.nodes["192.168.7.7"]["type"] == "external"
    assert not [n for n in G if n.startswith("node:")]  # no clash left to prefix
    # Without a snapshot no address is a known node's: every host is node/<address>.
    bare = k8sviz.flow_edges(k8sviz.load_flows(path))
    assert set(bare["src"]) == {"192.168.7.7", "node/192.168.7.7", "node/192.168.0.9"}


@pytest.mark.parametrize("ip", ["192.168.7.7", "192.168.0.9"])
def test_a_node_uses_the_ipblock_rule_its_address_is_in(tmp_path, ip):
    """flow_discrepancies judges a node by its address; the rule that admits that address is used
    by it, whether the node is known (node/x) or not (node/<address>)."""
    import warnings

    snap, path = _hosts(tmp_path, (["reserved:host"], ip, 10250))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)  # the unknown node's
        flows = k8sviz.load_flows(path, snapshot=snap)
    found = k8sviz.flow_discrepancies(flows, k8sviz.reachability(snap))
    assert found.attrs["k8sviz"]["judged_records"] == 1
    assert found.empty, found[["kind", "src", "dst", "detail"]].to_string()


@pytest.mark.parametrize(("ip", "label"), [("192.168.0.9", "node/x"), ("192.168.7.7", "node/192.168.7.7")])
def test_findings_of_a_node_and_a_workload_of_one_label_are_kept_apart(tmp_path, ip, label):
    """A host (the node x, or a host at an address no node has) and the pod of its name in a
    namespace called node share a label; both send to a/y on a port no rule opens. They are two
    findings, told apart by src_type, not one that adds up their records."""
    import json
    import warnings

    from tests.analysis.helpers import ns, pod, snapshot

    name = label.split("/", 1)[1]
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "x"},
            "status": {"addresses": [{"type": "InternalIP", "address": "192.168.0.9"}]}}
    # One rule with a CIDR peer and a pod peer, neither used: its ends are of both types.
    policy = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"namespace": "a", "name": "from-hosts"},
              "spec": {"podSelector": {"matchLabels": {"app": "y"}},
                       "ingress": [{"from": [{"ipBlock": {"cidr": "192.168.0.0/16"}},
                                             {"podSelector": {"matchLabels": {"app": "z"}}}],
                                    "ports": [{"port": 10250}]}]}}
    pods = [pod("node", name, ip="10.0.0.1"), pod("a", "y", ip="10.0.0.2", app="y"),
            pod("a", "z", ip="10.0.0.3", app="z")]
    snap = snapshot(ns("node"), ns("a"), *pods, node, policy)
    host = ["reserved:remote-node"] if label == "node/x" else ["reserved:host"]
    sources = [({"labels": host}, ip, 1),
               ({"namespace": "node", "pod_name": name, "labels": []}, "10.0.0.1", 2)]
    lines = [{"time": "2024-01-01T00:00:00Z", "verdict": "FORWARDED", "traffic_direction": "INGRESS",
              "is_reply": False, "IP": {"source": src_ip, "destination": "10.0.0.2"},
              "l4": {"TCP": {"source_port": 40000 + i, "destination_port": 9100}},
              "source": src, "destination": {"namespace": "a", "pod_name": "y", "labels": ["k8s:app=y"]}}
             for src, src_ip, n in sources for i in range(n)]
    path = tmp_path / "hubble.json"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)  # the unknown node's
        flows = k8sviz.load_flows(path, snapshot=snap)
    found = k8sviz.flow_discrepancies(flows, k8sviz.reachability(snap))
    denied = found[found["kind"] == "observed-but-policy-denies"]
    assert sorted(zip(denied["src"], denied["src_type"], denied["dst"], denied["dst_type"], denied["records"],
                      strict=True)) == [(label, "node", "a/y", "pod", 1), (label, "pod", "a/y", "pod", 2)]
    unused = found[found["kind"] == "allowed-but-unused"]
    assert unused[["src", "src_type", "dst", "dst_type"]].values.tolist() == [
        ["192.168.0.0/16,a/z", "external,workload", "a/y", "workload"]]
