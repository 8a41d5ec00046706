"""A figure on its way to the browser: shown as soon as it is drawn, drawn there once, and looking the same
wherever it is drawn.

Only Plotly here (no lesson code, no torch): the Overview rebuilds its kept charts with it on a first page.
"""

from __future__ import annotations

import hashlib
from typing import Any

import plotly.graph_objects as go
import plotly.io
from plotly.io.json import to_json_plotly


class Figure(go.Figure):
    """A ``go.Figure`` whose JSON says its width is automatic (``"width": null``) unless it sets one.

    Plotly.js sizes such a figure to its frame, as it does one with no width at all. Streamlit, though, keeps a
    chart whose layout has no width hidden until it has one, and it has one only after Plotly has drawn the
    chart and React has been through it once more: 15-25 ms of every Next click in which the new stage's
    picture was drawn but not shown. A width of null is not "no width": the chart is shown as it is drawn.
    Every figure builder makes this class (``drawn_once`` checks)."""

    def to_dict(self) -> dict[str, Any]:
        kept = getattr(self, "_pt_spec", None)
        if kept is not None:
            return kept
        spec = super().to_dict()
        spec["layout"].setdefault("width", None)
        if "template" in spec["layout"] and spec["layout"]["template"] is None:
            del spec["layout"]["template"]  # built from plain dicts, unvalidated: None is kept, and means none
        return spec

    def keep(self) -> Figure:
        """Say that nothing will change this figure any more: its dict is made now, once, and ``to_dict`` returns
        that same dict from then on (for reading only). A figure kept for every session that opens its stage is
        sent to each of them, and ``st.plotly_chart`` asks for its dict each time: a deep copy of every trace,
        0.1-4.6 ms a send for the lessons' stages (the LSTM gates' 300 kB the most), 200 times when a class of 200
        follows a move. The dict also carries the JSON it is sent as (:class:`KeptSpec`, see
        :func:`send_kept_json`)."""
        self._pt_spec = None
        spec = KeptSpec(self.to_dict())
        spec.json = plotly.io.to_json(spec, validate=False)  # what st.plotly_chart makes of it, made once
        self._pt_spec = spec
        return self


class KeptSpec(dict):
    """A kept figure's dict (for reading only), with ``json``: the JSON ``plotly.io.to_json`` makes of it."""

    json: str = ""


def send_kept_json() -> None:
    """Let ``plotly.io.to_json`` answer with a kept figure's JSON, made once, rather than encode its dict again.

    ``st.plotly_chart`` encodes the figure's dict at every send: for a class of 200 following a move, 200 times
    the same stage picture (0.5 ms for the LSTM gates' 150 kB, and the GIL held throughout). Any other figure,
    or other options, go through Plotly's own function as before."""
    original = plotly.io.to_json
    if getattr(original, "sends_kept", False):
        return

    def to_json(fig: Any, validate: bool = True, pretty: bool = False, remove_uids: bool = True,
                engine: str | None = None) -> str:
        if isinstance(fig, KeptSpec) and fig.json and not validate and not pretty and remove_uids and engine is None:
            return fig.json
        return original(fig, validate=validate, pretty=pretty, remove_uids=remove_uids, engine=engine)

    to_json.sends_kept = True  # type: ignore[attr-defined]
    plotly.io.to_json = to_json


def drawn_once(fig: go.Figure) -> go.Figure:
    """Let the browser draw ``fig`` once, not twice; its look no longer depends on where it is drawn.

    Streamlit draws a new chart, then hands Plotly.react a deep copy of the same figure. Plotly compares a
    template, and data arrays, by identity: the copy looked new, and the whole figure was drawn a second
    time (50-100 ms of a Next click in Chromium). So a figure carries no template -- its style is all its
    own, the same in the app (where Streamlit's template would be the default) and in a handout (Plotly's)
    -- and a ``datarevision`` naming its data, which Plotly.react compares instead of the arrays."""
    if not isinstance(fig, Figure):
        raise TypeError(f"build figures with pipeline.render.drawing.Figure, not {type(fig).__name__}: "
                        "a chart with no width is shown only after a second pass in the app")
    fig.layout.template = None  # plotly.py leaves it out of the JSON; Plotly.js's own defaults apply
    traces = to_json_plotly([trace.to_plotly_json() for trace in fig.data])
    fig.layout.datarevision = hashlib.blake2b(traces.encode(), digest_size=8).hexdigest()
    return fig


def from_json(spec: dict[str, Any]) -> Figure:
    """A figure back from its JSON (one of ours, kept on disk) as it was built: ``go.Figure`` alone would give it
    the default template again."""
    fig = Figure(spec)
    fig.layout.template = None
    return fig
