"""Notebook set-up: Plotly output that survives ``nbconvert`` and works offline.

Call :func:`setup` in the first cell. Export with::

    TPL=$(python -c "import k8sviz.notebook as n; print(n.TEMPLATE_DIR)")
    jupyter nbconvert --to html --no-input --execute --template k8sviz_offline \\
        --TemplateExporter.extra_template_basedirs="$TPL" notebooks/01-quickstart.ipynb

(:func:`nbconvert_args` returns those two options.) :func:`table` shows a DataFrame the way the
report does: lists joined, every cell escaped, at most ``max_rows`` rows; :func:`to_csv` saves
one as the report's CSV downloads are written, for evidence handed on in a spreadsheet.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ._text import as_given

if TYPE_CHECKING:
    import pandas as pd

    from .viz.html import HTML

__all__ = [
    "OFFLINE_RENDERER", "TEMPLATE_DIR", "TEMPLATE_NAME", "nbconvert_args", "setup", "table", "teardown",
    "to_csv",
]

#: Directory holding the ``k8sviz_offline`` nbconvert template (extends ``lab``).
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates" / "nbconvert"
TEMPLATE_NAME = "k8sviz_offline"
#: Name of the registered renderer: plotly's ``notebook`` renderer without the MathJax CDN tag.
OFFLINE_RENDERER = "k8sviz_notebook"

_CDN_SCRIPT = re.compile(r"<script\b[^>]*\bsrc=[\"']https?://[^\"']*[\"'][^>]*>\s*</script>", re.IGNORECASE)


def _register() -> None:
    import plotly.io as pio
    from plotly.io._base_renderers import NotebookRenderer

    if OFFLINE_RENDERER in pio.renderers:
        return

    class OfflineNotebookRenderer(NotebookRenderer):  # type: ignore[misc]
        """Embeds plotly.js once (like ``notebook``) and drops the MathJax CDN script tag."""

        def to_mimebundle(self, fig_dict: Any) -> dict[str, Any]:
            bundle: dict[str, Any] = super().to_mimebundle(fig_dict)
            bundle["text/html"] = _CDN_SCRIPT.sub("", bundle["text/html"])
            return bundle

    pio.renderers[OFFLINE_RENDERER] = OfflineNotebookRenderer(config={"displaylogo": False})


#: ``plotly.io.renderers.default`` before the first :func:`setup`, as :func:`teardown` puts it
#: back; a list of one while set up, empty otherwise.
_RENDERER_BEFORE: list[str | None] = []


def setup(renderer: str = f"plotly_mimetype+{OFFLINE_RENDERER}") -> str:
    """Set ``plotly.io.renderers.default`` for notebooks and return it; show k8sviz's warnings
    in words.

    The default keeps JupyterLab's native Plotly view (``plotly_mimetype``) and also writes
    an HTML view that embeds plotly.js (once per notebook) with no CDN reference, so
    ``jupyter nbconvert --to html`` exports figures that work offline. ``*_connected``
    renderers load plotly.js from the internet and are refused.

    A warning of k8sviz (a ``FlowWarning``, a ``ZoneWarning``, a graph's aggregation...) then
    shows on one line, ``k8sviz: FlowWarning: ...`` (the command line writes
    ``k8sviz: warning: ...``), where Python writes the kernel's temporary file of the cell and
    the cell's source line; its class is the one a filter takes:
    ``warnings.simplefilter("ignore", k8sviz.FlowWarning)`` (a ``UserWarning``, as the graph's
    aggregation raises, by its message too: ``warnings.filterwarnings("ignore", ".*exceed
    max_edges", UserWarning)``).  Other libraries' warnings show as before; warnings' classes
    and filters are unchanged.

    Two settings of the whole process change: ``plotly.io.renderers.default`` and
    ``warnings.showwarning``.  Calling it again changes the renderer only (the warnings are not
    wrapped twice); :func:`teardown` puts both back as they were before the first call.
    """
    import plotly.io as pio

    if "connected" in renderer:
        from .errors import InputError

        msg = (
            f"renderer {as_given(renderer)} loads plotly.js from the internet; "
            f"use {OFFLINE_RENDERER!r} or 'notebook'"
        )
        raise InputError(msg)
    _register()
    if not _RENDERER_BEFORE:
        _RENDERER_BEFORE.append(pio.renderers.default)
    pio.renderers.default = renderer
    _show_warnings_in_words()
    return renderer


def teardown() -> None:
    """Undo :func:`setup`: ``plotly.io.renderers.default`` and ``warnings.showwarning`` as they
    were before its first call (k8sviz's warnings then show in Python's form again).  Harmless
    without a setup, or twice; the ``k8sviz_notebook`` renderer stays registered, unused.

    A ``showwarning`` another library put in front of k8sviz's since is left in place; k8sviz's
    behind it passes every warning on as Python shows it."""
    import warnings

    import plotly.io as pio

    if not _RENDERER_BEFORE:
        return
    pio.renderers.default = _RENDERER_BEFORE.pop()
    shown = warnings.showwarning
    if getattr(shown, "_k8sviz", False):
        warnings.showwarning = shown._k8sviz_shown_before  # type: ignore[attr-defined]


def _show_warnings_in_words() -> None:
    """Put k8sviz's ``show`` in front of ``warnings.showwarning``, unless it is there already
    (a second :func:`setup`), so a warning is never handled twice."""
    import warnings

    if getattr(warnings.showwarning, "_k8sviz", False):
        return
    shown_before = warnings.showwarning

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: TextIO | None = None, line: str | None = None) -> None:
        from ._warnings import raised_by_k8sviz, warning_line

        if not _RENDERER_BEFORE or not raised_by_k8sviz(category):  # after teardown(): as Python shows it
            shown_before(message, category, filename, lineno, file, line)
            return
        stream = sys.stderr if file is None else file
        with contextlib.suppress(OSError):  # as Python's own: stderr gone, the warning is lost
            stream.write(warning_line(str(message), category))

    show._k8sviz = True  # type: ignore[attr-defined]
    show._k8sviz_shown_before = shown_before  # type: ignore[attr-defined]  # for teardown()
    warnings.showwarning = show


def nbconvert_args() -> list[str]:
    """Command-line options selecting the offline nbconvert template."""
    return [
        "--template",
        TEMPLATE_NAME,
        f"--TemplateExporter.extra_template_basedirs={TEMPLATE_DIR}",
    ]


def table(df: pd.DataFrame, max_rows: int | None = 20, *, columns: Sequence[str] | None = None) -> HTML:
    """``df`` as the report's escaped HTML table, for reading rather than computing.

    pandas' own view prints list cells as ``['a', 'b']``, cuts text at 50 characters and
    writes a negative Timedelta as ``-1 days +23:59:53``; here lists are joined with commas,
    text is kept (up to 600 characters a cell), durations are signed seconds and missing
    values are blank, and a boolean column reads yes / no, as in the report. Only the first
    ``max_rows`` rows are written, with a last row saying how many were left out; ``columns``
    picks and orders columns (unknown names are skipped).
    The DataFrame itself is unchanged: keep computing on it.
    """
    import pandas as pd

    from ._checks import is_count
    from .errors import InputError
    from .viz.html import HTML, table_html

    # a Snapshot had no len(), a max_rows of "5" failed a comparison, a str picked its letters
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"table: df must be a DataFrame (an analysis' result), got {type(df).__name__}")
    if max_rows is not None:
        if not is_count(max_rows) or max_rows < 0:
            raise InputError(f"table: max_rows must be a count of rows or None, not {as_given(max_rows)}")
        max_rows = int(max_rows)
    if isinstance(columns, str):
        columns = [columns]
    shown = df if columns is None else df.loc[:, [c for c in columns if c in df.columns]]
    flags = [c for c in shown.columns if shown[c].dtype == bool]
    if flags:
        # yes / no, as the report shows a policy's "evaluated" or a node's "skewed": the same
        # frame read "True" in a notebook and "yes" in the report
        import numpy as np

        shown = shown.copy(deep=False)  # columns replaced in the copy only; names of any type
        for c in flags:
            shown[c] = np.where(shown[c].to_numpy(), "yes", "no")
    caption = f"<p><small>{len(df)} {'row' if len(df) == 1 else 'rows'}</small></p>"
    return HTML(_TABLE_STYLE + caption
                + table_html(shown, max_rows=max_rows, classes="k8sviz-table k8sviz-nb"))


def to_csv(df: pd.DataFrame, path: str | os.PathLike[str] | None = None) -> str | Path:
    """``df`` as CSV for a spreadsheet, written to ``path`` (returned), or returned as text.

    ``DataFrame.to_csv`` writes a list cell as ``['PCI-1.2.5', 'PCI-1.3.1']``, a finding's
    evidence as a Python dict and a cluster string such as ``=HYPERLINK(...)`` as it is, which a
    spreadsheet runs as a formula. Here cells are the text :func:`table` shows, whole (lists
    joined with ``", "``, a mapping as ``key=value``, times in ISO 8601), and a cell a
    spreadsheet would run is prefixed with ``'``: the CSV the report's download links give, and
    the commands' ``--format csv`` (rows ended with a line feed there, CR LF here).
    Every row is written. The file is UTF-8 and replaced atomically; missing directories are
    created.
    """
    import pandas as pd

    from ._checks import require_paths
    from ._files import atomic_write
    from .errors import InputError
    from .viz.html import csv_text

    if not isinstance(df, pd.DataFrame):
        raise InputError(f"to_csv: df must be a DataFrame (an analysis' result), got {type(df).__name__}")
    if path is not None:
        require_paths((path,), "to_csv")
    text = csv_text(df)
    if path is None:
        return text
    target = Path(path)
    try:
        atomic_write(target, text.encode("utf-8"))
    except OSError as e:
        raise InputError(f"to_csv: cannot write {target}: {e.strerror or e}") from None
    return target


# JupyterLab right-aligns every cell, which makes sentences (details, reasons) hard to read;
# two classes outrank its ":not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td" rule.
_TABLE_STYLE = (
    "<style>table.k8sviz-table.k8sviz-nb td, table.k8sviz-table.k8sviz-nb th {text-align: left; "
    "vertical-align: top} table.k8sviz-table.k8sviz-nb tr.more td {font-style: italic}</style>"
)
