"""The reachability matrix, the report's per-namespace table and its first rows are computed on
integer codes (frames of millions of rows); each is held here to a plain row-by-row reading."""

from __future__ import annotations

import math
import random

import numpy as np
import pandas as pd
import pytest

import k8sviz
from k8sviz.viz import reachability_matrix, table_html
from k8sviz.viz._common import esc, fmt_list
from k8sviz.viz.matrix import _pkey, _port_tuple, first_sorted, namespace_cells

NAMESPACES = ["shop", "pci", "kube-system", "a<b>", None]
# adjacent and overlapping ranges among them: a cell shows their union as the fewest ranges
PORT_LISTS = [["80"], ["443", "8000-8080"], ["53"], None, [], ["all"], [80], ["79", "8081"], ["50-100"]]


def random_frame(rng: random.Random, rows: int, endpoints: int, categorical: bool) -> pd.DataFrame:
    ends = []
    for i in range(endpoints):
        ns = rng.choice(NAMESPACES)
        ends.append((f"{ns}/w{i}" if ns else f"10.{i}.0.0/16", ns))
    # shared lists, as the engine shares one list per distinct port set, and equal copies
    shared = [list(p) if p is not None else None for p in PORT_LISTS]
    recs = []
    for _ in range(rows):
        (s, sns), (d, dns) = rng.choice(ends), rng.choice(ends)
        ports = rng.choice(shared)
        recs.append({"src": s, "dst": d, "src_namespace": sns, "dst_namespace": dns,
                     "protocol": rng.choice(["TCP", "UDP", "SCTP"]),
                     "ports": list(ports) if ports is not None and rng.random() < 0.3 else ports})
    df = pd.DataFrame(recs)
    if categorical:
        for c in ("src_namespace", "dst_namespace", "protocol"):
            df[c] = df[c].astype("category")
    return df


def reference_cells(df: pd.DataFrame, aggregated: bool, collapse: bool) -> dict[tuple[str, str], dict]:
    """Row by row, as the matrix is defined: one cell per (source, destination), its rows
    counted and the union of their ports per protocol."""
    cells: dict[tuple[str, str], dict] = {}
    for r in df.to_dict("records"):
        s, d = r["src"], r["dst"]
        sns, dns = (None if pd.isna(r[c]) else r[c] for c in ("src_namespace", "dst_namespace"))
        if aggregated:
            s, d = sns or "(external)", dns or "(external)"
        elif collapse:
            s, d = s if sns else "(external)", d if dns else "(external)"
        cell = cells.setdefault((str(s), str(d)), {"n": 0, "ports": {}})
        cell["n"] += 1
        cell["ports"].setdefault(str(r["protocol"]), set()).update(_port_tuple(r["ports"]))
    for cell in cells.values():
        cell["ports"] = {p: _as_ranges(v) for p, v in cell["ports"].items()}
    return cells


def _as_ranges(texts: set[str]) -> set[str]:
    """Every port of ``texts`` one by one, then runs of consecutive ports as ranges; "all"
    (a row without a port list: every port) alone where it is among them."""
    if "all" in texts:
        return {"all"}
    ports = sorted({n for t in texts if t[:1].isdigit()
                    for n in range(int(t.split("-")[0]), int(t.split("-")[-1]) + 1)})
    runs: list[list[int]] = []
    for n in ports:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return {str(a) if a == b else f"{a}-{b}" for a, b in runs} | {t for t in texts if not t[:1].isdigit()}


def reference_heatmap(cells: dict, aggregated: bool) -> tuple[list, list, list, list]:
    srcs = sorted({k[0] for k in cells})
    dsts = sorted({k[1] for k in cells})
    z = [[None] * len(dsts) for _ in srcs]
    text = [[""] * len(dsts) for _ in srcs]
    for (s, d), cell in cells.items():
        i, j = srcs.index(s), dsts.index(d)
        z[i][j] = round(math.log10(cell["n"]), 3) if aggregated else 1  # a log colour scale when aggregated
        desc = "<br>".join(f"{esc(p)}: {fmt_list(sorted(v, key=_pkey), limit=8 if aggregated else 16)}"
                           for p, v in sorted(cell["ports"].items()))
        text[i][j] = desc + (f"<br>{cell['n']} workload pair(s)" if aggregated else "")
    return [esc(d) for d in dsts], [esc(s) for s in srcs], z, text


@pytest.mark.parametrize("seed", range(12))
def test_matrix_agrees_with_a_row_by_row_reading(seed):
    rng = random.Random(seed)
    df = random_frame(rng, rows=rng.randint(1, 400), endpoints=rng.randint(2, 40), categorical=seed % 2 == 0)
    for max_labels, collapse in ((300, True), (300, False), (3, True), (3, False)):
        fig = reachability_matrix(df, max_labels=max_labels, collapse_external=collapse)
        ends = {str(x) for x in df["src"]} | {str(x) for x in df["dst"]}
        if collapse:
            ends = {str(s) if not pd.isna(ns) else "(external)" for s, ns in zip(df["src"], df["src_namespace"],
                                                                                 strict=True)} | \
                   {str(d) if not pd.isna(ns) else "(external)" for d, ns in zip(df["dst"], df["dst_namespace"],
                                                                                 strict=True)}
        aggregated = len(ends) > max_labels
        x, y, z, text = reference_heatmap(reference_cells(df, aggregated, collapse), aggregated)
        trace = fig.data[0]
        assert list(trace.x) == x and list(trace.y) == y
        assert [list(r) for r in trace.z] == z
        assert [list(r) for r in trace.text] == text
        assert ("aggregated to namespaces" in fig.layout.title.text) == aggregated


@pytest.mark.parametrize("seed", range(8))
def test_namespace_cells_count_distinct_sources_and_destinations(seed):
    rng = random.Random(100 + seed)
    df = random_frame(rng, rows=rng.randint(1, 300), endpoints=rng.randint(2, 30), categorical=seed % 2 == 1)
    if seed == 3:  # a missing endpoint name is no distinct source, as nunique has it
        df.loc[df.index[:5], "src"] = None
    if seed in (1, 3, 5):  # endpoints as Categoricals, as the report's appendix gives them
        df = df.assign(src=pd.Categorical(df["src"]), dst=pd.Categorical(df["dst"]))
    cells = namespace_cells(df)
    work = df.assign(src_namespace=df["src_namespace"].astype(object).fillna("(external)").astype(str),
                     dst_namespace=df["dst_namespace"].astype(object).fillna("(external)").astype(str))
    want = work.groupby(["src_namespace", "dst_namespace"]).agg(
        n=("src", "size"), sources=("src", "nunique"), destinations=("dst", "nunique"))
    assert sorted(cells) == sorted(want.index)
    for key, row in want.iterrows():
        assert (cells[key].n, cells[key].sources, cells[key].destinations) == (
            row["n"], row["sources"], row["destinations"])


@pytest.mark.parametrize("seed", range(15))
def test_first_sorted_is_the_head_of_a_stable_sort(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 500))
    names = np.array(["b", "a", "c", "a/b", "", "Z", None], dtype=object)
    df = pd.DataFrame({
        "src": names[rng.integers(0, len(names), n)],
        "dst": names[rng.integers(0, len(names) - 1, n)],
        # categories not in text order: a categorical sorts by its categories, as pandas does
        "protocol": pd.Categorical(np.array(["UDP", "TCP", "SCTP", None], dtype=object)[rng.integers(0, 4, n)],
                                   categories=["UDP", "TCP", "SCTP"]),
        "row": np.arange(n),
    })
    for by in (["src", "dst", "protocol"], ["protocol"], ["dst", "src"]):
        for k in (0, 1, 7, n // 2, n, n + 3):
            got = first_sorted(df, by, k)
            want = df.sort_values(by, kind="stable").iloc[:k]
            pd.testing.assert_frame_equal(got, want)


def test_table_says_how_many_rows_of_the_whole_table_are_left_out():
    df = pd.DataFrame({"a": range(5)})
    assert "... 95 more rows not shown" in table_html(df, max_rows=5, total=100)
    assert "more rows" not in table_html(df, max_rows=5)
    assert "... 2 more rows not shown" in table_html(df, max_rows=3)


def test_report_appendix_on_the_demo_lists_first_rows_in_order():
    snap = k8sviz.demo()
    rf = k8sviz.reachability(snap).to_frame(level="workload")
    head = first_sorted(rf, ["src", "dst", "protocol"], 10)
    assert head["src"].tolist() == sorted(rf["src"])[:10]
    assert len(namespace_cells(rf)) == len(
        rf.assign(s=rf["src_namespace"].astype(object).fillna("-"), d=rf["dst_namespace"].astype(object).fillna("-"))
        .groupby(["s", "d"]).size())


def test_external_blocks_merged_into_one_count_as_one_label():
    # two workloads and five external blocks: three labels once the blocks are merged, so the
    # matrix stays per workload at max_labels=3 (the blocks' own names are no labels then)
    rows = [{"src": "shop/web", "dst": f"10.{i}.0.0/16", "src_namespace": "shop", "dst_namespace": None,
             "protocol": "TCP", "ports": ["443"]} for i in range(5)]
    rows.append({"src": "shop/web", "dst": "shop/db", "src_namespace": "shop", "dst_namespace": "shop",
                 "protocol": "TCP", "ports": ["5432"]})
    fig = reachability_matrix(pd.DataFrame(rows), max_labels=3)
    assert "aggregated" not in fig.layout.title.text
    assert list(fig.data[0].x) == ["(external)", "shop/db"]
    assert "aggregated" in reachability_matrix(pd.DataFrame(rows), max_labels=3, collapse_external=False
                                               ).layout.title.text


@pytest.mark.parametrize("categorical", [False, True])
def test_violation_cells_are_the_distinct_zone_pairs(categorical):
    from k8sviz.viz.matrix import _violation_cells

    rng = random.Random(7)
    zones = ["cde", "web", "external", None, "a<b>"]
    v = pd.DataFrame({"src_zone": [rng.choice(zones) for _ in range(200)],
                      "dst_zone": [rng.choice(zones) for _ in range(200)]})
    if categorical:
        v = v.astype("category")
    seg = type("Seg", (), {"violations": v})()
    assert _violation_cells(seg) == {(str(a), str(b)) for a, b in zip(v["src_zone"], v["dst_zone"], strict=True)}


def test_table_columns_are_chosen_after_the_rows():
    df = pd.DataFrame({"a": range(10), "b": list("abcdefghij"), "c": range(10)})
    out = table_html(df, max_rows=2, columns=["c", "a"])
    assert out.index("<th>c</th>") < out.index("<th>a</th>") and "<th>b</th>" not in out
    assert "... 8 more rows not shown" in out and "<td>1</td>" in out and "<td>2</td>" not in out
