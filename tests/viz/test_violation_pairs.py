"""The violating pairs a network figure marks: read from the violation frame on codes, held to
a row-by-row reading of the frame."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from k8sviz.analysis.zones import EXTERNAL
from k8sviz.viz.network import _violation_set, violation_ends

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
    src, dst = violation_ends(df)
    assert set(zip(src.tolist(), dst.tolist(), strict=True)) == want
    assert _violation_set(df) == want
    among = {(rng.choice(ENDS + ["192.168.0.0/16"]), rng.choice(ENDS + ["192.168.0.0/16"])) for _ in range(15)}
    assert _violation_set(df, among=among) == want & among


def test_frames_without_zones_or_blocks_pair_src_and_dst():
    df = pd.DataFrame({"src": ["a/x", "b/y"], "dst": ["b/y", 7]})
    assert _violation_set(df) == {("a/x", "b/y"), ("b/y", "7")}
    assert _violation_set(df, among=[("b/y", "7")]) == {("b/y", "7")}
    assert _violation_set(pd.DataFrame({"src": []})) == set()
