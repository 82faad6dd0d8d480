import pytest

from k8sviz.analysis.blast import blast_radius, internet_paths
from k8sviz.analysis.zones import load_zones
from k8sviz.errors import QueryError

from .helpers import FakeReach, ns, pod, service, snapshot


def chain():
    snap = snapshot(
        ns("edge"),
        ns("app"),
        ns("pci", compliance="pci"),
        pod("edge", "lb", app="lb"),
        service("edge", "lb", {"app": "lb"}, "LoadBalancer"),
        pod("app", "web", app="web"),
        pod("app", "api", app="api"),
        pod("app", "side", app="side"),
        pod("pci", "pay", app="pay"),
        pod("pci", "vault", app="vault"),
    )
    reach = FakeReach(
        snap,
        edges=[
            ("0.0.0.0/5", "edge/lb", "TCP", ["443"]),
            ("0.0.0.0/5", "app/side", "TCP", ["80"]),  # policy-reachable but not exposed
            ("10.0.0.0/8", "app/api", "TCP", ["80"]),  # private range is no internet entry
            ("edge/lb", "app/web", "TCP", ["8080"]),
            ("app/web", "app/api", "TCP", ["5050"]),
            ("app/api", "pci/pay", "TCP", ["50051"]),
            ("app/side", "pci/vault", "TCP", ["5432"]),
            ("pci/pay", "pci/vault", "TCP", ["5432"]),
            ("pci/vault", "pci/vault", "TCP", ["5432"]),
        ],
    )
    return snap, reach


def test_blast_radius():
    snap, reach = chain()
    df = blast_radius(reach, "app/web")
    assert df["workload"].tolist() == ["app/api", "pci/pay", "pci/vault"]
    assert df["hops"].tolist() == [1, 2, 3]
    assert df.iloc[2]["path"] == ["app/web", "app/api", "pci/pay", "pci/vault"]
    assert df.iloc[2]["ports"] == [["TCP/5050"], ["TCP/50051"], ["TCP/5432"]]
    assert blast_radius(reach, "app/web", max_hops=1)["workload"].tolist() == ["app/api"]
    # a pod key maps to its workload
    web_pod = next(p.key for p in snap.pods if p.workload_key == "app/web")
    assert blast_radius(reach, web_pod)["workload"].tolist() == df["workload"].tolist()
    assert blast_radius(reach, "pci/vault").empty
    with pytest.raises(QueryError):
        blast_radius(reach, "nope/x")


def test_internet_paths():
    _snap, reach = chain()
    zones = load_zones({"zones": {"pci": {"namespaceSelector": {"matchLabels": {"compliance": "pci"}}}}})
    df = internet_paths(reach, "pci", zones)
    assert df["target"].tolist() == ["pci/pay", "pci/vault"]
    assert df.iloc[1]["path"] == ["internet", "edge/lb", "app/web", "app/api", "pci/pay", "pci/vault"]
    assert df.iloc[1]["ports"][0] == ["TCP/443"]
    loose = internet_paths(reach, "pci/vault", exposed_only=False)
    assert loose.iloc[0]["path"] == ["internet", "app/side", "pci/vault"]
    assert internet_paths(reach, "app")["target"].tolist() == ["app/web", "app/api"]


def test_internet_paths_max_hops_counts_the_first_hop():
    _snap, reach = chain()
    # internet -> edge/lb is one hop: none is left within zero hops.
    assert internet_paths(reach, "edge", max_hops=0).empty
    assert internet_paths(reach, "edge", max_hops=1)["target"].tolist() == ["edge/lb"]
    assert internet_paths(reach, "app", max_hops=2)["target"].tolist() == ["app/web"]
    assert internet_paths(reach, "app", exposed_only=False, max_hops=0).empty


def test_internet_paths_first_hop_ports_are_one_set():
    snap, _ = chain()
    # Two internet blocks allowed on overlapping ports, UDP listed before TCP.
    reach = FakeReach(snap, edges=[
        ("8.0.0.0/7", "edge/lb", "UDP", ["53"]),
        ("0.0.0.0/5", "edge/lb", "TCP", ["443"]),
        ("8.0.0.0/7", "edge/lb", "TCP", ["400-500"]),
        ("16.0.0.0/4", "edge/lb", "TCP", ["501"]),
        ("10.0.0.0/8", "edge/lb", "TCP", ["22"]),  # private: no internet port
    ])
    assert internet_paths(reach, "edge/lb")["ports"].tolist() == [[["TCP/400-501", "UDP/53"]]]


def test_internet_paths_into_the_external_zone_is_an_error():
    """``external`` holds the outside addresses the paths start from: no workload is in it,
    so asking for paths into it is a mistake, not an empty answer."""
    _snap, reach = chain()
    zones = load_zones({"zones": {"pci": {"namespaceSelector": {"matchLabels": {"compliance": "pci"}}}}})
    with pytest.raises(QueryError, match="'external' is the zone of the addresses outside the cluster"):
        internet_paths(reach, "external", zones)
    # unzoned is a zone of workloads: a target like any other.
    assert internet_paths(reach, "unzoned", zones)["target"].tolist() == ["edge/lb", "app/web", "app/api"]


@pytest.mark.parametrize(
    ("start", "max_hops", "match"),
    [
        (["app/web"], None, r"^blast_radius: start must be a str .* got list"),
        ("app/web", "3", r"^blast_radius: max_hops must be None or a whole number >= 0, got '3'"),
        ("app/web", -1, r"max_hops must be .* got -1"),
        ("app/web", 1.5, r"max_hops must be .* got 1.5"),
    ],
)
def test_blast_radius_bad_arguments(start, max_hops, match):
    # a list was a TypeError (unhashable) and "3" one ('<' between int and str) from deep inside
    _, reach = chain()
    with pytest.raises(QueryError, match=match):
        blast_radius(reach, start, max_hops=max_hops)


def test_internet_paths_bad_arguments():
    _, reach = chain()
    with pytest.raises(QueryError, match=r"^internet_paths: zone_or_workload must be a str .* got list"):
        internet_paths(reach, ["pci"])
    with pytest.raises(QueryError, match=r"^internet_paths: max_hops must be .* got '2'"):
        internet_paths(reach, "pci", max_hops="2")
    assert internet_paths(reach, "pci/vault", max_hops=0).empty
