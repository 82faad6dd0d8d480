"""Notebook set-up: choose a Plotly renderer that survives export and works offline."""

from __future__ import annotations

__all__ = ["setup"]


def setup(renderer: str = "plotly_mimetype+notebook") -> str:
    """Set ``plotly.io.renderers.default`` for notebooks and return it.

    The default keeps JupyterLab's native Plotly view (``plotly_mimetype``) and also embeds
    plotly.js into the output (``notebook``), so ``jupyter nbconvert --to html`` exports
    figures that work offline. Never uses ``notebook_connected`` (it loads plotly.js from a CDN).
    """
    import plotly.io as pio

    if "connected" in renderer:
        from .errors import InputError

        msg = f"renderer {renderer!r} loads plotly.js from the internet; use 'notebook' or 'plotly_mimetype+notebook'"
        raise InputError(msg)
    pio.renderers.default = renderer
    return renderer
