from hypothesis import given
from hypothesis import strategies as st

from k8sviz.analysis import _ports

rng = st.tuples(st.integers(1, 300), st.integers(0, 40)).map(lambda t: (t[0], min(t[0] + t[1], 65535)))
ranges = st.lists(rng, max_size=6).map(_ports.normalize)


def expand(rs):
    return {p for lo, hi in rs for p in range(lo, hi + 1)}


@given(ranges, ranges)
def test_set_algebra(a, b):
    assert expand(_ports.union(a, b)) == expand(a) | expand(b)
    assert expand(_ports.intersect(a, b)) == expand(a) & expand(b)
    assert expand(_ports.subtract(a, b)) == expand(a) - expand(b)


def test_parse_and_fmt():
    assert _ports.parse(["80", "8000-8080", "81"]) == ((80, 81), (8000, 8080))
    assert _ports.parse([53]) == ((53, 53),)
    assert _ports.parse(None) == _ports.ALL
    assert _ports.fmt(((80, 81), (443, 443))) == ["80-81", "443"]
