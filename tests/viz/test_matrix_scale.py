"""The colour scale of a matrix aggregated to namespaces: logarithmic, its range set by the
cells between namespaces, never by the ``(external)`` row and column, whose counts (every
outside address block merged) run to a hundred times the others'."""

from __future__ import annotations

import math

import pandas as pd

from k8sviz.viz import reachability_matrix


def _frame(external: int) -> pd.DataFrame:
    """a -> b: 3 workload pairs, a -> c: 40, b -> c: 7; then each of a, b sends ``external``
    connections to outside blocks and c receives ``external`` from them."""
    rows = []
    for s, d, n in (("a", "b", 3), ("a", "c", 40), ("b", "c", 7)):
        rows += [{"src": f"{s}/w{k}", "dst": f"{d}/w{k}", "src_namespace": s, "dst_namespace": d,
                  "protocol": "TCP", "ports": ["80"]} for k in range(n)]
    for k in range(external):
        block = f"10.{k // 256}.{k % 256}.0/24"
        rows += [{"src": f"{s}/w0", "dst": block, "src_namespace": s, "dst_namespace": None,
                  "protocol": "TCP", "ports": ["443"]} for s in ("a", "b")]
        rows.append({"src": block, "dst": "c/w0", "src_namespace": None, "dst_namespace": "c",
                     "protocol": "TCP", "ports": ["443"]})
    return pd.DataFrame(rows)


def _log(n: int) -> float:
    """The colour of a count: its logarithm, to three decimals."""
    return round(math.log10(n), 3)


def _cells(fig) -> dict[tuple[str, str], tuple[float, str]]:
    t = fig.data[0]
    return {(y, x): (z, h) for y, zr, hr in zip(t.y, t.z, t.text, strict=True)
            for x, z, h in zip(t.x, zr, hr, strict=True) if z is not None}


def test_the_external_row_does_not_set_the_range():
    fig = reachability_matrix(_frame(5000), max_labels=5)
    t = fig.data[0]
    # the range runs over the namespace cells only: 3 to 40 workload pairs, on a log scale
    assert (t.zmin, t.zmax) == (_log(3), _log(40))
    cells = _cells(fig)
    assert cells[("a", "b")][0] == _log(3)
    assert cells[("b", "c")][0] == _log(7)
    # the external cells are past the top of the scale, and their hover gives the exact count
    z, hover = cells[("a", "(external)")]
    assert z > t.zmax and z == _log(5000) == 3.699
    assert hover.endswith("<br>5000 workload pair(s)")
    assert cells[("(external)", "c")][1].endswith("<br>5000 workload pair(s)")
    # the colour bar names counts, says the top colour stands for more, and how far the external cells go
    assert list(t.colorbar.ticktext) == ["3", "5", "10", "20", "40 or more"]
    assert [round(10 ** v) for v in t.colorbar.tickvals] == [3, 5, 10, 20, 40]
    assert "(external): up to 5,000" in t.colorbar.title.text


def test_without_a_larger_external_cell_the_scale_is_the_cells():
    fig = reachability_matrix(_frame(1), max_labels=5)
    t = fig.data[0]
    # the external cells (1 and 2 pairs) are inside the range, set by the namespace cells' 3 to 40
    assert (t.zmin, t.zmax) == (_log(3), _log(40))
    assert t.colorbar.ticktext[-1] == "40"
    assert "external" not in t.colorbar.title.text
    # with no external cell at all, the same
    only = _frame(0)
    t = reachability_matrix(only, max_labels=5).data[0]
    assert (t.zmin, t.zmax) == (_log(3), _log(40))


def test_one_count_is_a_range_still():
    df = _frame(0)
    df = df[df["src_namespace"].eq("a") & df["dst_namespace"].eq("b")]
    t = reachability_matrix(df, max_labels=2).data[0]
    # every cell has 3 pairs: they take the top colour of a decade's range, not an empty range
    assert t.zmin < t.zmax and t.zmax == _log(3)
    assert list(t.colorbar.ticktext) == ["3"]


def test_a_matrix_per_workload_keeps_its_one_colour():
    t = reachability_matrix(_frame(2)).data[0]  # 8 endpoints, under max_labels: not aggregated
    assert t.zmin is None and t.zmax is None and t.showscale is False
    assert {z for row in t.z for z in row if z is not None} == {1}
