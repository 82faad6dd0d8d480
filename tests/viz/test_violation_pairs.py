"""The violating pairs a network figure marks: read from the violation frame on codes, held to
a row-by-row reading of the frame."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from k8sviz.analysis.zones import EXTERNAL
from k8sviz.viz.network import _violation_set, violation_codes

ENDS = ["shop/web", "shop/db", "pci/pay", "a<b>/x", "10.0.0.0/8", "0.0.0.0/0"]
ZONES = ["cde", "web", EXTERNAL, None]


def reference(frame: pd.DataFrame) -> set[tuple[str, str]]:
    """Row by row: a row towards or from outside addresses with blocks gives one pair per block,
    paired with the other end; any other row its (src, dst)."""
    out: set[tuple[str, str]] = set()
    for r in frame.to_dict("records"):
        bl, za, zb = r.get("external_blocks"), r.get("src_zone"), r.get("dst_zone")
        if isinstance(bl, list | tuple) and bl and EXTERNAL in (za, zb):
            out.update((str(x), str(r["dst"])) if za == EXTERNAL else (str(r["src"]), str(x)) for x in bl)
        else:
            out.add((str(r["src"]), str(r["dst"])))
    return out


def random_violations(rng: random.Random, n: int, string_dtype: bool) -> pd.DataFrame:
    rows = []
    for _ in range(n):
        za, zb = rng.choice(ZONES), rng.choice(ZONES)
        blocks = rng.choice([None, [], ["10.0.0.0/8"], ["10.0.0.0/8", "0.0.0.0/0"], ("192.168.0.0/16",)])
        rows.append({"src": rng.choice(ENDS), "dst": rng.choice(ENDS), "src_zone": za, "dst_zone": zb,
                     "external_blocks": blocks})
    df = pd.DataFrame(rows, columns=["src", "dst", "src_zone", "dst_zone", "external_blocks"])
    if string_dtype:
        for c in ("src", "dst"):
            df[c] = df[c].astype("string[pyarrow]")
        for c in ("src_zone", "dst_zone"):
            df[c] = df[c].astype("category")
    return df


@pytest.mark.parametrize("seed", range(10))
def test_violation_pairs_agree_with_a_row_by_row_reading(seed):
    rng = random.Random(seed)
    df = random_violations(rng, rng.randint(0, 60), string_dtype=seed % 2 == 1)
    want = reference(df)
    ids = sorted({x for pair in want for x in pair} | {"not/a-node"})
    s, d = violation_codes(df, {x: i for i, x in enumerate(ids)})
    assert {(ids[a], ids[b]) for a, b in zip(s.tolist(), d.tolist(), strict=True)} == want
    # an end outside the index is -1, and its pair is not any pair of ids
    few = {x: i for i, x in enumerate(ids[:2])}
    s, d = violation_codes(df, few)
    assert {(ids[a], ids[b]) for a, b in zip(s.tolist(), d.tolist(), strict=True) if a >= 0 and b >= 0} == {
        (a, b) for a, b in want if a in few and b in few}
    assert _violation_set(df) == want
    some = [*ENDS, "192.168.0.0/16"]
    among = {(rng.choice(some), rng.choice(some)) for _ in range(15)}
    assert _violation_set(df, among=among) == want & among


def test_frames_without_zones_or_blocks_pair_src_and_dst():
    df = pd.DataFrame({"src": ["a/x", "b/y"], "dst": ["b/y", 7]})
    assert _violation_set(df) == {("a/x", "b/y"), ("b/y", "7")}
    assert _violation_set(df, among=[("b/y", "7")]) == {("b/y", "7")}
    assert _violation_set(pd.DataFrame({"src": []})) == set()
