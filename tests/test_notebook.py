"""k8sviz.notebook.table: the readable, escaped view of a result DataFrame."""

from __future__ import annotations

import pandas as pd

import k8sviz.notebook

from .viz.conftest import HOSTILE


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "workload": [HOSTILE, "shop/cart", "pci/vault"],
            "path": [["internet", "shop/frontend"], ["shop/cart"], []],
            "offset": pd.to_timedelta(["-7s", "7s", "0s"]),
            "priority": [float("nan"), 10.0, 2.0],
            "detail": ["x" * 120, "short", "y"],
        }
    )


def test_table_escapes_cluster_strings():
    html = k8sviz.notebook.table(_frame())._repr_html_()
    assert HOSTILE not in html
    assert "&lt;script&gt;window.__pwned=1;alert(1)&lt;/script&gt;" in html


def test_table_reads_as_text_not_python_reprs():
    html = k8sviz.notebook.table(_frame())._repr_html_()
    assert "<td>internet, shop/frontend</td>" in html  # not "['internet', 'shop/frontend']"
    assert "<td>-7 s</td>" in html and "days" not in html  # not "-1 days +23:59:53"
    assert "<td>10</td>" in html and "nan" not in html.lower()
    assert "x" * 120 in html  # pandas would cut it at 50 characters


def test_table_limits_rows_and_says_how_many_are_left_out():
    df = pd.DataFrame({"n": range(30)})
    html = str(k8sviz.notebook.table(df, max_rows=5))
    assert html.count("<tr>") == 1 + 5  # header and five rows
    assert "25 more rows not shown" in html and "30 rows" in html
    assert "<td>4</td>" in html and "<td>5</td>" not in html


def test_table_picks_columns_in_the_given_order():
    html = str(k8sviz.notebook.table(_frame(), columns=["detail", "nope", "workload"]))
    assert html.index("<th>detail</th>") < html.index("<th>workload</th>")
    assert "<th>path</th>" not in html and "nope" not in html


def test_table_writes_a_list_per_hop_as_groups():
    df = pd.DataFrame({"ports": [[["TCP/53", "UDP/53"], ["TCP/443"]]]})
    assert "<td>TCP/53, UDP/53 | TCP/443</td>" in str(k8sviz.notebook.table(df))


def test_table_style_is_scoped_to_its_own_tables():
    # Left-aligned text for sentences, without restyling the user's other tables.
    import re

    html = str(k8sviz.notebook.table(_frame()))
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    selectors = [sel.strip() for rule in style.split("}") if "{" in rule for sel in rule.split("{")[0].split(",")]
    assert selectors and all(sel.startswith("table.k8sviz-table.k8sviz-nb ") for sel in selectors)
    assert 'class="k8sviz-table k8sviz-nb"' in html


def test_table_arguments_are_checked():
    import pytest

    from k8sviz.errors import InputError

    # a Snapshot was a TypeError (no len), max_rows "5" another, and one column given as a str
    # picked its letters: a table with no column
    with pytest.raises(InputError, match=r"^table: df must be a DataFrame .* got Snapshot"):
        k8sviz.notebook.table(k8sviz.demo())
    with pytest.raises(InputError, match=r"^table: max_rows must be a count of rows or None, not '5'"):
        k8sviz.notebook.table(_frame(), max_rows="5")
    html = str(k8sviz.notebook.table(_frame(), columns="detail"))
    assert "<th>detail</th>" in html and "<th>workload</th>" not in html
    assert str(k8sviz.notebook.table(_frame(), max_rows=None)).count("<tr") == len(_frame()) + 1


def test_to_csv_writes_cells_as_text_whole_and_defused(tmp_path):
    import csv
    import io

    df = _frame()
    df["evidence"] = [{"policy": "shop/a", "ports": ["TCP/80"]}, {}, {"rule": 0}]
    df["detail"] = ["=HYPERLINK(\"http://x\")", "x" * 700, "-5"]
    out = k8sviz.notebook.to_csv(df, tmp_path / "evidence.csv")
    assert out == tmp_path / "evidence.csv"
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    assert rows[0] == list(df.columns) and len(rows) == 1 + len(df)
    by_col = dict(zip(rows[0], zip(*rows[1:], strict=True), strict=True))
    assert by_col["path"] == ("internet, shop/frontend", "shop/cart", "")  # not "['internet', ...]"
    assert by_col["evidence"][0] == "policy=shop/a, ports=[TCP/80]" and by_col["evidence"][1] == ""
    # signed seconds, not "-1 days +23:59:53"; a sign starts a formula, so they are quoted too
    assert by_col["offset"] == ("'-7 s", "'+7 s", "'+0 s") and by_col["priority"] == ("", "10", "2")
    # a cluster string a spreadsheet would run is defused; a number stays a number; nothing is cut
    assert by_col["detail"] == ("'=HYPERLINK(\"http://x\")", "x" * 700, "-5")
    assert k8sviz.notebook.to_csv(df) == out.read_bytes().decode("utf-8")  # the same text, CRLF kept


def test_to_csv_errors_are_one_line():
    import pytest

    from k8sviz.errors import InputError

    with pytest.raises(InputError, match=r"^to_csv: df must be a DataFrame .* got Snapshot"):
        k8sviz.notebook.to_csv(k8sviz.demo(), "x.csv")
    with pytest.raises(InputError, match=r"^to_csv: cannot write /proc/k8sviz-nope/x\.csv: "):
        k8sviz.notebook.to_csv(_frame(), "/proc/k8sviz-nope/x.csv")
    with pytest.raises(InputError, match=r"^to_csv: a path must be a str or pathlib\.Path, got int"):
        k8sviz.notebook.to_csv(_frame(), 3)


def test_table_shows_booleans_as_the_report_does():
    """Notebook 4's policy inventory read 'evaluated True' where the report reads 'yes'."""
    import re

    snap = k8sviz.demo()
    policies = k8sviz.policy_inventory(snap)
    html = str(k8sviz.notebook.table(policies, max_rows=None, columns=["policy", "evaluated"]))
    cells = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td></tr>", html)
    assert len(cells) == len(policies)
    assert [e for _, e in cells] == ["yes" if v else "no" for v in policies["evaluated"]]
    assert "True" not in html and "False" not in html
    assert policies["evaluated"].dtype == bool  # the frame itself unchanged
    report = k8sviz.report(snap, generated_at="x")
    inventory = report.split('id="policy-inventory"', 1)[1].split("</table>", 1)[0]
    assert ("<td>yes</td>" in inventory) == ("yes" in {e for _, e in cells})


def test_notebook_4_says_why_its_count_of_findings_is_not_the_reports():
    """Notebook 4 counted 54 findings, the report of the same demo 57 (it reads the flow logs),
    and nothing said why: its checked output now gives both, and the report's is the second."""
    import re
    import warnings
    from pathlib import Path

    import nbformat

    path = Path(__file__).resolve().parents[1] / "notebooks" / "04-policy-gaps.ipynb"
    nb = nbformat.read(path, as_version=4)
    outputs = ["".join(o.get("text", "")) for c in nb.cells if c.cell_type == "code"
               for o in c.get("outputs", [])]
    said = next(o for o in outputs if "findings without flow logs" in o)
    counts = re.match(r"(\d+) findings without flow logs, (\d+) with them", said)
    without, with_flows = map(int, counts.groups())
    assert any(o.startswith(f"{without} findings\n") for o in outputs)  # the count the notebook gave first
    assert any("counts more findings" in c.source and "flow logs" in c.source
               for c in nb.cells if c.cell_type == "markdown")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        page = k8sviz.report(k8sviz.demo(), flows=k8sviz.demo_path("flows"),
                             zones=k8sviz.demo_path("zones.yaml"), generated_at="x")
    assert f'<div class="num">{with_flows}</div><div>findings</div>' in page and without < with_flows


def test_setup_shows_k8sviz_warnings_in_words_in_a_real_kernel():
    # In a notebook Python writes a warning with the kernel's temporary file of the cell and
    # the cell's source line; after setup() k8sviz's read as the command line writes them, with
    # their class (the name a filter takes) for "warning".  Other warnings keep Python's form,
    # and k8sviz's keep their classes and filters; teardown() puts Python's form back.
    import nbformat
    from nbclient import NotebookClient

    from .flows.conftest import DATA

    flows = str(DATA / "hubble_wrapped.jsonl")
    cells = [
        "import warnings, numpy as np, plotly.io as pio, k8sviz, k8sviz.notebook\n"
        "warnings.simplefilter('always'); before = pio.renderers.default\n"
        "k8sviz.notebook.setup(); k8sviz.notebook.setup()",
        f"df = k8sviz.load_flows({flows!r})",
        "snap = k8sviz.demo(); G = k8sviz.graph(snap, k8sviz.reachability(snap), max_edges=2)",
        "warnings.warn('the user said so', UserWarning)",
        "np.float64(1.0) / 0",
        "with warnings.catch_warnings(record=True) as caught:\n"
        f"    warnings.simplefilter('always'); k8sviz.load_flows({flows!r})\n"
        "print(sorted({w.category.__name__ for w in caught}))",
        f"warnings.simplefilter('ignore', k8sviz.FlowWarning); df = k8sviz.load_flows({flows!r})",
        "warnings.simplefilter('always'); k8sviz.notebook.teardown(); k8sviz.notebook.teardown()\n"
        "print(pio.renderers.default == before, 'k8sviz' not in pio.renderers.default)",
        f"df = k8sviz.load_flows({flows!r})",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=300, kernel_name="python3").execute()

    def stderr(i: int) -> str:
        return "".join(o.get("text", "") for o in nb.cells[i].outputs if o.get("name") == "stderr")

    def stdout(i: int) -> str:
        return "".join(o.get("text", "") for o in nb.cells[i].outputs if o.get("name") == "stdout")

    said = stderr(1).splitlines()  # once each: setup() twice wrapped the warnings once
    assert said and all(line.startswith("k8sviz: FlowWarning: ") for line in said), said
    assert len(said) == len(set(said))
    assert f"k8sviz: FlowWarning: {flows}: skipped 1 malformed, 1 truncated" in said[0]
    assert "ipykernel" not in stderr(1) and "load_flows(" not in stderr(1)
    assert stderr(2).startswith("k8sviz: UserWarning: ") and "exceed max_edges=2" in stderr(2)
    assert stderr(2).count("\n") == 1
    # the user's own warning and numpy's: Python's form, with the cell's line
    assert "UserWarning: the user said so\n" in stderr(3) and "warnings.warn(" in stderr(3)
    assert "k8sviz" not in stderr(3)
    assert "RuntimeWarning: divide by zero" in stderr(4) and "k8sviz" not in stderr(4)
    assert stdout(5) == "['FlowWarning']\n" and stderr(5) == ""
    assert stderr(6) == ""  # filtered by the class the line named
    # teardown(), twice: the renderer as before setup, and Python's form of a warning again
    assert stdout(7) == "True True\n"
    assert "FlowWarning: " in stderr(8) and "load_flows(" in stderr(8)
    assert "k8sviz: FlowWarning" not in stderr(8)


def test_setup_twice_wraps_the_warnings_once_and_teardown_undoes_it():
    import io
    import warnings

    import plotly.io as pio

    import k8sviz.notebook as nb
    from k8sviz import FlowWarning

    saved, renderer = warnings.showwarning, pio.renderers.default

    def original(message, category, filename, lineno, file=None, line=None):
        # Python's own form (pytest's, in place while a test runs, records instead of writing)
        file.write(warnings.formatwarning(message, category, filename, lineno, line))

    warnings.showwarning = original
    try:
        nb.teardown()  # nothing set up: nothing to undo
        assert (warnings.showwarning, pio.renderers.default) == (original, renderer)
        nb.setup()
        wrapped = warnings.showwarning
        assert wrapped is not original
        assert nb.setup("notebook") == "notebook" and warnings.showwarning is wrapped
        assert pio.renderers.default == "notebook"
        buf = io.StringIO()
        # shown for a k8sviz class, whoever warned; once, with the class a filter takes
        warnings.showwarning("lost 3 events\nat x", FlowWarning, "cell.py", 1, buf)
        assert buf.getvalue() == "k8sviz: FlowWarning: lost 3 events at x\n"
        nb.teardown()
        assert (warnings.showwarning, pio.renderers.default) == (original, renderer)
        nb.teardown()
        assert (warnings.showwarning, pio.renderers.default) == (original, renderer)
        # another library's showwarning put in front of k8sviz's is kept; k8sviz's passes on
        nb.setup()
        ours = warnings.showwarning
        seen: list[str] = []

        def theirs(message, category, filename, lineno, file=None, line=None):
            seen.append(str(message))
            ours(message, category, filename, lineno, file, line)

        warnings.showwarning = theirs
        nb.teardown()
        assert warnings.showwarning is theirs and pio.renderers.default == renderer
        buf = io.StringIO()
        warnings.showwarning("lost 3 events", FlowWarning, "cell.py", 1, buf)
        assert seen == ["lost 3 events"]
        assert buf.getvalue().startswith("cell.py:1: FlowWarning: lost 3 events\n")
    finally:
        nb.teardown()
        warnings.showwarning, pio.renderers.default = saved, renderer
