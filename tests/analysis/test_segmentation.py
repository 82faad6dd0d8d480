import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from k8sviz.analysis.segmentation import segmentation
from k8sviz.analysis.zones import load_zones
from k8sviz.errors import InputError, QueryError, ZoneError

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


def test_repr_html_summarises_per_zone_pair_and_shows_the_first_rows():
    snap, reach = fixture()
    seg = segmentation(snap, reach, load_zones(ZONES), today="2026-05-31")
    assert len(seg.violations) == 3
    html = seg.to_html(max_rows=2)
    assert "3 violating connections in 3 zone pairs" in html and "judged on 2026-05-31" in html
    # the per-pair table: zones, count, who
    assert "<td>unzoned</td><td>c</td><td>1</td><td>free/f1</td><td>nc/c1</td>" in html
    # the first two violations only, lists read as text, not as Python lists
    assert "the first 2 of 3 violations" in html and "<td>free/f1</td><td>nc/c1</td><td>unzoned</td>" not in html
    assert "<td>na/a2-out egress[0], nb/b1-in ingress[1]</td>" in html and "['" not in html
    assert "every violation" in seg.to_html()


def test_to_html_max_rows_none_or_checked():
    # None (every row, as table_html reads it) and "5" were TypeErrors from a comparison
    snap, reach = fixture()
    seg = segmentation(snap, reach, load_zones(ZONES), today="2026-05-31")
    every = seg.to_html(max_rows=None)
    assert "every violation" in every and "<td>free/f1</td><td>nc/c1</td><td>unzoned</td>" in every
    with pytest.raises(QueryError, match=r"max_rows must be a count of rows or None, not '5'"):
        seg.to_html(max_rows="5")


def test_needs_zones():
    snap, reach = fixture()
    with pytest.raises(ZoneError):
        segmentation(snap, reach, None)


def test_a_bad_today_is_an_input_error():
    snap, reach = fixture()
    with pytest.raises(InputError, match="today 'tomorrow' is not a date"):
        segmentation(snap, reach, load_zones(ZONES), today="tomorrow")


def _spans(ports):
    out = []
    for p in ports:
        lo, _, hi = str(p).partition("-")
        out.append((int(lo), int(hi or lo)))
    return out


def _meet(a, b):
    return any(lo <= h2 and lo2 <= hi for lo, hi in _spans(a) for lo2, h2 in _spans(b))


@pytest.mark.parametrize("seed", [3, 8, 21])
def test_opening_rules_are_the_rule_frame_rows_whose_ports_meet_the_uncovered_ones(seed):
    """Each violation's ``rules`` and ``policies``, row by row from ``reach.rule_frame``: the
    rules on its (src, dst, protocol), every block of a merged external row, whose ports meet
    the row's uncovered ports; egress rules first, then by policy and rule number."""
    import k8sviz
    from k8sviz.snapshot import SnapshotBuilder
    from k8sviz.synth import generate_cluster

    b = SnapshotBuilder()
    for o in generate_cluster(pods=600, policies=60, seed=seed):
        b.add(o, "synth")
    snap = b.build(cluster="synth")
    envs = sorted({n.labels["env"] for n in snap.namespaces if n.labels.get("env")})
    zones = load_zones(
        {
            "zones": {e: {"namespaceSelector": {"matchLabels": {"env": e}}} for e in envs},
            "allow": [
                {"from": a, "to": z, "ports": ["TCP/443", "UDP/123"], "justification": "t"}
                for a in envs
                for z in envs
                if a != z
            ],
        }
    )
    reach = k8sviz.reachability(snap)
    viol = segmentation(snap, reach, zones).violations
    by_key: dict = {}
    for r in reach.rule_frame(level="workload").itertuples(index=False):
        by_key.setdefault((r.src, r.dst, str(r.protocol)), []).append(r)
    opened = 0
    for row in viol.itertuples(index=False):
        srcs = row.external_blocks if row.src_zone == "external" else [row.src]
        dsts = row.external_blocks if row.dst_zone == "external" else [row.dst]
        for s in srcs:
            for d in dsts:
                hits = [r for r in by_key.get((s, d, row.protocol), []) if _meet(r.ports, row.ports)]
                hits.sort(key=lambda r: (r.direction != "egress", r.policy, r.rule))
                assert row.rules == [f"{r.policy} {r.direction}[{r.rule}]" for r in hits], (s, d)
                assert row.policies == sorted({r.policy for r in hits})
        opened += bool(row.rules)
    assert opened and opened < len(viol)  # both kinds of rows were judged


def test_a_rule_on_covered_ports_only_does_not_open_the_violation():
    import k8sviz
    from k8sviz.snapshot import SnapshotBuilder
    from tests.objects import netpol
    from tests.objects import pod as raw_pod

    def namespace(name, z):
        return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {"z": z}}}

    def ingress(name, *ports):
        return netpol("nb", name, {"podSelector": {}, "ingress": [{
            "from": [{"namespaceSelector": {"matchLabels": {"z": "a"}}}],
            "ports": [{"port": p} for p in ports]}]})

    b = SnapshotBuilder()
    for o in (namespace("na", "a"), namespace("nb", "b"), raw_pod("na", "a1", ip="10.0.0.1"),
              raw_pod("nb", "b1", ip="10.0.0.2"), ingress("web", 443), ingress("api", 8080),
              ingress("both", 8080, 443)):
        b.add(o, "t")
    snap = b.build(cluster="t")
    zones = {"zones": {z: {"namespaceSelector": {"matchLabels": {"z": z}}} for z in "ab"},
             "allow": [{"from": "a", "to": "b", "ports": ["TCP/443"], "justification": "api"}]}
    viol = segmentation(snap, k8sviz.reachability(snap), load_zones(zones)).violations
    row = viol.set_index(["src", "dst"]).loc[("na/a1", "nb/b1")]
    assert row["ports"] == ["8080"] and row["allowed_ports"] == ["443", "8080"]
    assert row["rules"] == ["nb/api ingress[0]", "nb/both ingress[0]"]  # nb/web opens 443 only
    assert row["policies"] == ["nb/api", "nb/both"]


# -- helpers of the violation frame, against plain readings


@given(
    n_groups=st.integers(0, 8),
    pairs=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 3)), max_size=30),
)
def test_sequence_codes_number_equal_sequences_alike_in_order_of_first_appearance(n_groups, pairs):
    from k8sviz.analysis.segmentation import sequence_codes

    pairs = [(g, v) for g, v in pairs if g < n_groups]
    group = np.asarray([g for g, _ in pairs], dtype=np.int64)
    order = np.argsort(group, kind="stable")  # grouped, each group's values as given
    values = np.asarray([v for _, v in pairs], dtype=np.int64)
    got = sequence_codes(group[order], values[order], n_groups)
    seqs = [tuple(v for g, v in pairs if g == k) for k in range(n_groups)]
    number: dict = {}
    want = [number.setdefault(s, len(number) + 1) if s else 0 for s in seqs]
    assert got.tolist() == want
