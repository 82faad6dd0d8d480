import pytest

from k8sviz.analysis.segmentation import segmentation
from k8sviz.analysis.zones import load_zones
from k8sviz.errors import InputError, ZoneError

from .helpers import FakeReach, ns, pod, snapshot

ZONES = {
    "zones": {
        "a": {"namespaceSelector": {"matchLabels": {"z": "a"}}},
        "b": {"namespaceSelector": {"matchLabels": {"z": "b"}}},
        "c": {"namespaceSelector": {"matchLabels": {"z": "c"}}, "sensitive": True},
    },
    "allow": [
        {"from": "a", "to": "b", "ports": ["TCP/443"], "justification": "api"},
        {"from": "b", "to": "c", "ports": ["TCP/5432"], "justification": "db", "expires": "2026-05-31"},
    ],
}


def fixture():
    snap = snapshot(
        ns("na", z="a"),
        ns("nb", z="b"),
        ns("nc", z="c"),
        ns("free"),
        pod("na", "a1"),
        pod("na", "a2"),
        pod("nb", "b1"),
        pod("nc", "c1"),
        pod("free", "f1"),
    )
    reach = FakeReach(
        snap,
        edges=[
            ("na/a1", "nb/b1", "TCP", ["443"]),
            ("na/a2", "nb/b1", "TCP", ["443", "8080"]),
            ("na/a1", "na/a2", "TCP", ["1-65535"]),
            ("nb/b1", "nc/c1", "TCP", ["5432"]),
            ("free/f1", "nc/c1", "UDP", ["53"]),
            ("0.0.0.0/5", "nb/b1", "TCP", ["443"]),
            ("8.0.0.0/7", "nb/b1", "TCP", ["443"]),
        ],
        rules=[
            ("nb/b1-in", "ingress", 1, "na/a2", "nb/b1", "TCP", ["8080"]),
            ("na/a2-out", "egress", 0, "na/a2", "nb/b1", "TCP", ["443", "8080"]),
        ],
    )
    return snap, reach


def test_matrix_and_violations():
    snap, reach = fixture()
    seg = segmentation(snap, reach, load_zones(ZONES))
    assert seg.today.isoformat() == "2026-06-01"
    m = seg.matrix
    assert m.loc["a", "b"] == "allowed"  # both a pods reach b1
    assert m.loc["a", "a"] == "partial"  # a1 -> a2 but not a2 -> a1
    assert m.loc["b", "a"] == "denied"
    assert m.loc["unzoned", "c"] == "allowed"
    assert list(m.index) == ["a", "b", "c", "unzoned", "external"]
    pairs = seg.pairs.set_index(["src_zone", "dst_zone"])
    assert pairs.loc[("a", "b"), "ports"] == ["TCP/443", "TCP/8080"]
    assert pairs.loc[("a", "b"), "pairs"] == 2 and pairs.loc[("a", "b"), "possible_pairs"] == 2
    v = seg.violations.set_index(["src", "dst"])
    assert v.loc[("na/a2", "nb/b1"), "ports"] == ["8080"]
    # egress rule of the source first, then ingress of the destination
    assert v.loc[("na/a2", "nb/b1"), "rules"] == ["na/a2-out egress[0]", "nb/b1-in ingress[1]"]
    assert v.loc[("nb/b1", "nc/c1"), "expired_exceptions"] == ["allow[1]"]
    assert v.loc[("free/f1", "nc/c1"), "src_zone"] == "unzoned"
    ext = seg.violations[seg.violations["src_zone"] == "external"]
    assert len(ext) == 1 and ext["external_blocks"].item() == ["0.0.0.0/5", "8.0.0.0/7"]
    assert ("na/a1", "nb/b1") not in v.index  # covered by allow[0]
    ok = segmentation(snap, reach, load_zones(ZONES), today="2026-05-31").violations
    assert not ((ok["src"] == "nb/b1") & (ok["dst"] == "nc/c1")).any()


def test_repr_html_escapes():
    snap = snapshot(ns("<x>", z="a"), pod("<x>", "p<script>"))
    reach = FakeReach(snap, edges=[("<x>/p<script>", "0.0.0.0/5", "TCP", ["80"])])
    html = segmentation(snap, reach, load_zones(ZONES))._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_needs_zones():
    snap, reach = fixture()
    with pytest.raises(ZoneError):
        segmentation(snap, reach, None)


def test_a_bad_today_is_an_input_error():
    snap, reach = fixture()
    with pytest.raises(InputError, match="today 'tomorrow' is not a date"):
        segmentation(snap, reach, load_zones(ZONES), today="tomorrow")
