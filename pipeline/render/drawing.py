"""A figure on its way to the browser: drawn there once, and looking the same wherever it is drawn.

Only Plotly here (no lesson code, no torch): the Overview rebuilds its kept charts with it on a first page.
"""

from __future__ import annotations

import hashlib
from typing import Any

import plotly.graph_objects as go
from plotly.io.json import to_json_plotly


def drawn_once(fig: go.Figure) -> go.Figure:
    """Let the browser draw ``fig`` once, not twice; its look no longer depends on where it is drawn.

    Streamlit draws a new chart, then hands Plotly.react a deep copy of the same figure. Plotly compares a
    template, and data arrays, by identity: the copy looked new, and the whole figure was drawn a second
    time (50-100 ms of a Next click in Chromium). So a figure carries no template -- its style is all its
    own, the same in the app (where Streamlit's template would be the default) and in a handout (Plotly's)
    -- and a ``datarevision`` naming its data, which Plotly.react compares instead of the arrays."""
    fig.layout.template = None  # plotly.py leaves it out of the JSON; Plotly.js's own defaults apply
    traces = to_json_plotly([trace.to_plotly_json() for trace in fig.data])
    fig.layout.datarevision = hashlib.blake2b(traces.encode(), digest_size=8).hexdigest()
    return fig


def from_json(spec: dict[str, Any]) -> go.Figure:
    """A figure back from its JSON (one of ours, kept on disk) as it was built: ``go.Figure`` alone would give it
    the default template again."""
    fig = go.Figure(spec)
    fig.layout.template = None
    return fig
