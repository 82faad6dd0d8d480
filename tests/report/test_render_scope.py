"""The report's systems connected to sensitive zones, read on codes, held to a row-by-row reading."""

from __future__ import annotations

import random
from collections import defaultdict

import pandas as pd
import pytest

from k8sviz.report._render import _connected_peers


def reference(rf: pd.DataFrame, wz: dict[str, str], sensitive: set[str]) -> dict[str, set[str]]:
    peers: dict[str, set[str]] = defaultdict(set)
    for s, d in zip(rf["src"], rf["dst"], strict=True):
        zs, zd = wz.get(str(s)), wz.get(str(d))
        if zs in sensitive and zd not in sensitive:
            peers[str(d)].add(f"from {zs}")
        if zd in sensitive and zs not in sensitive:
            peers[str(s)].add(f"to {zd}")
    return dict(peers)


@pytest.mark.parametrize("seed", range(10))
def test_connected_peers_agree_with_a_row_by_row_reading(seed):
    rng = random.Random(seed)
    names = [f"ns{i % 4}/w{i}" for i in range(12)] + ["10.0.0.0/8", "0.0.0.0/0", None]
    wz = {n: rng.choice(["cde", "pci", "web", "(no zone)"]) for n in names[:12] if rng.random() < 0.9}
    rf = pd.DataFrame({"src": [rng.choice(names) for _ in range(300)],
                       "dst": [rng.choice(names) for _ in range(300)]})
    sensitive = {"cde", "pci"} if seed % 2 else {"cde"}
    assert dict(_connected_peers(rf, wz, sensitive)) == reference(rf, wz, sensitive)
