"""Pipeline Trace: see how a neural network turns data into a prediction.

``pipeline.show(trace_or_path)`` shows a traced model as the model explorer (the data flow, the model as a tree,
its stages one at a time with their pictures): inline in a notebook, as an HTML file anywhere else. In a notebook
a ``Trace`` and an opened trace file show themselves the same way, as a cell's last line.

Importing this package imports neither torch nor plotly: a page's first lines paint before they load.
"""

from __future__ import annotations

import sys
from typing import Any


def show(target: Any) -> Any:
    """The model explorer of a ``Trace``, a trace document or a trace file's path (``pipeline.render.notebook``)."""
    from pipeline.render.notebook import show as explorer  # torch and plotly load when something is shown

    return explorer(target)


def _notebook_html(target: Any) -> str:
    from pipeline.render.notebook import notebook_html  # torch and plotly load when a notebook shows a trace

    return notebook_html(target)


def _display_in_notebooks() -> None:
    """Register the explorer as the HTML of a ``Trace`` and a ``TraceDocument`` with the running IPython (a
    Jupyter kernel), by class name: the classes and their modules load only when one is shown. The trace and
    document layers cannot import the renderers above them, so the display is registered from here, the top."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    formatters = getattr(getattr(shell, "display_formatter", None), "formatters", {})
    html = formatters.get("text/html") if isinstance(formatters, dict) else None
    if html is None:
        return
    html.for_type_by_name("pipeline.trace.result", "Trace", _notebook_html)
    html.for_type_by_name("pipeline.document.document", "TraceDocument", _notebook_html)


_display_in_notebooks()
