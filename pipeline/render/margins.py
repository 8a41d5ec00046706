"""The margins a Plotly figure needs, estimated from its labels before a browser draws it.

Plotly's ``automargin`` measures the tick labels, titles, colour bars and legend once a figure is drawn and,
when they do not fit the margins it was given, draws the whole figure again with wider ones. That second
layout pass was half the browser's time for a stage picture (a heatmap of words: 66 ms drawn twice against
24 ms drawn once). Starting from margins wide enough for the labels makes the first pass the last one.
``automargin`` stays on: a label longer than estimated (a rare font, a phone's narrow plot) is still never
cut off, it only costs that second pass.

Widths are estimated per character from the metrics of Verdana / DejaVu Sans, the widest of the sans-serif
fonts Plotly asks for or falls back to: on a narrower font a label leaves a few spare pixels, never too few.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import plotly.graph_objects as go

LINE_EM = 1.2  # a line of label text, in ems
LEGEND_EM = 1.3  # a legend row's text is a little taller (two rows of ten classes came out 3 px over at 1.2)
TICK_GAP = {"x": 14, "y": 6}  # between the tick labels and the plot, px (with no template, x axes draw ticks)
TITLE_GAP = 14  # between the tick labels and the axis title, px
SPARE = 8  # px on every side: rounding, and the few px Plotly keeps between a label and the edge
# advance widths in ems, by character class (Verdana / DejaVu Sans); anything else counts as ``_OTHER``
_WIDTHS = {**dict.fromkeys("il.,:;|!'`", 0.30), **dict.fromkeys("fjrt()[]{} ", 0.42),
           **dict.fromkeys("mwMW%@", 0.98), **dict.fromkeys("0123456789", 0.64)}
_OTHER = 0.64
_UPPER = 0.72
PLOT_WIDTH = 480  # the plot width assumed when deciding whether x labels will be tilted (a stage picture)
NUMBER = "−0.50"  # what a numeric axis's tick labels are, at their widest, for the width estimate
_TAG = re.compile(r"<[^>]+>")
_ENTITY = re.compile(r"&[#\w]+;")


def text_size(text: Any, font_px: float) -> tuple[float, float]:
    """(width, height) in px of Plotly label text: its tags (``<b>``, ``<span>``) take no room, ``<br>`` breaks."""
    lines = [_ENTITY.sub("x", _TAG.sub("", line)) for line in re.split(r"<br\s*/?>", str(text), flags=re.IGNORECASE)]
    return max(map(_ems, lines)) * font_px, len(lines) * LINE_EM * font_px


def _ems(line: str) -> float:
    return sum(_WIDTHS.get(c) or (_UPPER if c.isupper() else 1.0 if ord(c) > 0x2E7F else _OTHER) for c in line)


def _widest(labels: Iterable[Any], font_px: float) -> tuple[float, float]:
    sizes = [text_size(label, font_px) for label in labels] or [(0.0, 0.0)]
    return max(w for w, _ in sizes), max(h for _, h in sizes)


def _size(font: Mapping | None, default: float) -> float:
    return float((font or {}).get("size") or default)


def _axis_labels(name: str, axis: Mapping, traces: list[go.BaseTraceType]) -> list[Any]:
    """The tick labels an axis will show: its ``ticktext``, else the categories its traces put on it, else a
    number at its widest."""
    if axis.get("ticktext") is not None:
        return list(axis["ticktext"])
    letter, ref = name[0], name[0] + name[5:]  # "yaxis2" -> "y", "y2"
    categories: list[Any] = []
    for trace in traces:
        if (trace[f"{letter}axis"] or letter) != ref:
            continue
        values = trace[letter]
        first = next((v for v in values if v is not None), None) if values is not None else None
        if first is not None and (axis.get("type") == "category" or isinstance(first, str)):
            categories += [v for v in values if v is not None]
    return categories or [_widest_number(axis.get("tickformat"))]


def _widest_number(tickformat: str | None) -> str:
    """The widest tick label a numeric axis (or colour bar) shows: a percentage, or a signed decimal."""
    return "100%" if "%" in str(tickformat or "") else NUMBER


def _axis_room(name: str, axis: Mapping, traces: list[go.BaseTraceType], font_px: float) -> tuple[str, float]:
    """(side, px) that one axis takes outside the plot: its tick labels and its title."""
    letter = name[0]
    side = {"x": {"top": "t"}, "y": {"right": "r"}}[letter].get(str(axis.get("side")), "b" if letter == "x" else "l")
    if axis.get("visible") is False:
        return side, 0.0
    room = 0.0
    if axis.get("showticklabels", True):
        labels = _axis_labels(name, axis, traces)
        width, height = _widest(labels, _size(axis.get("tickfont"), font_px))
        if letter == "y":
            room = width + TICK_GAP["y"]
        else:
            angle = axis.get("tickangle")
            if angle in (None, "auto") and len(labels) * (width + font_px) > PLOT_WIDTH:
                angle = 30  # Plotly tilts crowded x labels by 30 degrees
            tilt = math.radians(abs(float(angle))) if angle not in (None, "auto") else 0.0
            room = width * math.sin(tilt) + height * math.cos(tilt) + TICK_GAP["x"]
    title = axis.get("title") or {}
    if title.get("text"):
        room += text_size(title["text"], _size(title.get("font"), font_px))[1] + TITLE_GAP
    return side, room


def _legend_room(layout: Mapping, traces: list[go.BaseTraceType], height: float, top: float,
                 font_px: float) -> tuple[str, float]:
    """(side, px) for the legend: above or below the plot when horizontal, else right of it."""
    # a trace is in the legend when it asks to be, or by default unless it is a heatmap (drawn with a colour bar)
    shown = [t for t in traces if t.name and (t.showlegend or (t.showlegend is None and t.type != "heatmap"))]
    if layout.get("showlegend") is False or (layout.get("showlegend") is None and len(shown) < 2):
        return "r", 0.0
    legend = layout.get("legend") or {}
    size = _size(legend.get("font"), font_px)
    names = [t.name for t in shown]
    if legend.get("orientation") != "h":
        return "r", _widest(names, size)[0] + 60
    rows = max(1, math.ceil(sum(text_size(n, size)[0] + 50 for n in names) / PLOT_WIDTH))
    legend_height = rows * (LEGEND_EM * size + 8) + 12
    if float(legend.get("y", -0.1)) >= 1:  # above the plot, from its top edge up
        return "t", legend_height + 6
    below = abs(min(0.0, float(legend.get("y", -0.1))))  # a fraction of the plot's height, below its bottom
    # the plot's height depends on the bottom margin itself: b = below * (height - top - b) + legend_height
    return "b", (below * (height - top) + legend_height) / (1 + below)


def _colorbar_room(traces: list[go.BaseTraceType], font_px: float) -> float:
    widest = 0.0
    for trace in traces:
        if trace.type in ("heatmap", "contour") and trace.showscale is not False:
            bar = trace.colorbar
            labels = [_widest_number(bar.tickformat), bar.title.text or ""]
            widest = max(widest, (bar.thickness or 30) + _widest(labels, font_px)[0] + 36)
    return widest


def fit_margins(fig: go.Figure, minimum: Mapping[str, float]) -> dict[str, float]:
    """Margins (l, r, t, b) for ``fig`` at least ``minimum`` and wide enough for its labels, in px."""
    layout = fig.layout.to_plotly_json()
    traces = list(fig.data)
    font_px = _size(layout.get("font"), 12)
    need = {side: float(minimum.get(side, 0)) for side in "lrtb"}
    room = {side: 0.0 for side in "lrtb"}
    axes = {"xaxis": {}, "yaxis": {}, **{k: v for k, v in layout.items() if re.fullmatch(r"[xy]axis\d*", k)}}
    for name, axis in axes.items():
        side, px = _axis_room(name, axis, traces, font_px)
        room[side] = max(room[side], px)
    room["r"] = max(room["r"], _colorbar_room(traces, font_px))
    side, px = _legend_room(layout, traces, float(layout.get("height") or 450), max(need["t"], room["t"]), font_px)
    room[side] = max(room[side], px)  # the legend sits beyond the axis labels, measured from the plot's edge
    return {side: math.ceil(max(need[side], room[side] + SPARE)) for side in "lrtb"}
