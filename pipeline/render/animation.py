"""The animated data flow: the first example's real values travelling through the stages, one Plotly frame per step.

``dataflow_animation(stages, prediction)`` draws a small diagram of the stages across the top (the
current one highlighted), a line per frame saying what happens, and the values themselves below it:
the words becoming ids, the ids picking embedding rows, a recurrent layer filling its state word by
word, a decoder writing one token per frame, the answer as probability bars. The frames come from the
prediction's typed views (``flowframes.view_shots``); without a prediction (any traced model) each
stage's output becomes the view its values call for (``pictures.stage_view``: feature maps, attention, a heatmap
over positions, probabilities, ...), so the same engine draws it. Every frame sets the same fixed
traces and layout keys, so nothing from the frame before stays on screen. Play / Pause and the slider
run in the browser, no reruns.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Any

import plotly.colors
import plotly.graph_objects as go

from pipeline.document.document import Stage
from pipeline.document.pictures import stage_view
from pipeline.document.views import Prediction
from pipeline.render.drawing import Figure
from pipeline.render.figures import ACCENT, DONE, MUTED, TODO, base, esc
from pipeline.render.flowframes import flow_shots
from pipeline.render.shots import Bars, Grid, Shot
from pipeline.render.tables import fmt_shape

FRAME_MS = 1100
HEIGHT = 494
MARGIN = {"l": 104, "r": 12, "t": 28, "b": 96}  # fixed: margins that follow labels would move every frame; the
# top one holds the mode bar (a phone always shows it), so it never covers the stage diagram
DIAGRAM = (0.845, 1.0)  # paper y of the stage boxes
LINE_TOP = 0.825  # the frame's sentence hangs from here
VALUES = (0.0, 0.6)  # paper y of the values area (grid and bars)
MAX_ROW_TICKS = 16
ROWS_FULL = 10  # a grid of fewer rows takes a share of the values area, so its rows keep one height
LINE_CHARS, LINE_LINES, HEADING_CHARS = 48, 3, 56  # wrapped to fit a phone's width (Plotly does not wrap)
TRACE_NAMES = ("stages", "stage numbers", "arrows", "values", "current", "text", "bars", "percentages")
MAX_BOXES = 24  # stage boxes drawn at once: more stages scroll past, so each frame costs the same however many


def dataflow_animation(stages: Sequence[Stage], prediction: Prediction | None = None,
                       frame_ms: int = FRAME_MS) -> go.Figure:
    """The first example moving through ``stages``: from ``prediction``'s typed views when given, else from each
    stage's sample. A diagram of the stages on top, a sentence per frame, the values below; Play / Pause and a
    slider."""
    if not stages:
        raise ValueError("dataflow_animation needs at least one stage")
    views = list(prediction.layers) if prediction is not None else [stage_view(s) for s in stages]
    shots = flow_shots(views, [s.key for s in stages])
    if not shots:
        raise ValueError(f"the prediction's layers ({', '.join(v.key for v in views)}) give no data-flow frames")
    # Plain dicts, validated once by go.Figure: building go objects per frame costs several times more.
    scrolls = len(stages) > MAX_BOXES  # then each frame moves the boxes' axis to the ones it draws
    frames = [{"name": str(k), "data": frame_traces(shot, stages), "traces": list(range(len(TRACE_NAMES))),
               "layout": frame_layout(shot) | ({"xaxis": {"range": _box_range(shot.stage, len(stages))}}
                                               if scrolls else {})} for k, shot in enumerate(shots)]
    first = {key: value for key, value in frames[0]["layout"].items() if key != "xaxis"}
    layout = {"xaxis": {"domain": [0, 1], "range": _box_range(shots[0].stage, len(stages)), "visible": False,
                        "fixedrange": True},
              "yaxis": {"domain": list(DIAGRAM), "range": [-0.55, 1.0], "visible": False, "fixedrange": True},
              "showlegend": False, "uniformtext": {"mode": "hide", "minsize": 10}, "hovermode": "closest",
              "updatemenus": [_play_pause(frame_ms)], "sliders": [_slider(shots, len(stages))], **first}
    fig = base(Animation({"data": frames[0]["data"], "layout": layout}), HEIGHT, fit=False, margin=MARGIN)
    fig.plain_frames = frames
    fig.update_layout(plot_bgcolor="rgba(0,0,0,0)")  # the panels overlap: one's background would hide another
    fig.update_xaxes(automargin=False)
    fig.update_yaxes(automargin=False)
    return fig


class Animation(Figure):
    """A figure whose frames stay the plain dicts built here until someone reads ``fig.frames``.

    Plotly validates every property of every frame it is handed: 8 traces and 4 axes a frame, about 5 ms
    each, so 5 s for 1,000 stages -- to check dicts built the same way every time (the tests check them
    through Plotly). The browser gets the same JSON either way; ``fig.frames`` validates them when read.
    """

    plain_frames: list[dict[str, Any]] | None = None

    @property
    def frames(self) -> Any:
        if self.plain_frames is not None:
            frames, self.plain_frames = self.plain_frames, None
            Figure.frames.fset(self, frames)
        return Figure.frames.fget(self)

    @frames.setter
    def frames(self, value: Any) -> None:
        self.plain_frames = None
        Figure.frames.fset(self, value)

    def to_dict(self) -> dict[str, Any]:
        spec = super().to_dict()
        if self.plain_frames is not None:
            spec["frames"] = self.plain_frames
        return spec


def frame_traces(shot: Shot, stages: Sequence[Stage]) -> list[dict[str, Any]]:
    """The same eight traces in every frame, each with every attribute set (an unset one would keep the last
    frame's value): the stage boxes, their numbers, the arrows, the values grid, its outline, the text, the bars
    and their percentages."""
    now = shot.stage
    shown = range(*_boxes(now, len(stages)))  # every stage, or the MAX_BOXES around the current one
    n = len(shown)
    fills = [ACCENT if i == now else DONE if i < now else TODO for i in shown]
    # A funnel, not a bar trace: the stage labels then size apart from the probability bars (Plotly's
    # ``uniformtext`` is shared by the traces of one type), and a label that does not fit is hidden, not squeezed.
    boxes = _trace("funnel", 0, "x", "y", x=list(shown), y=[1] * n, width=0.8, orientation="v",
                   marker={"color": fills, "line": {"color": ACCENT, "width": 1.5}}, connector={"visible": False},
                   text=[_wrap(stages[i].title, 14, 2) for i in shown], textinfo="text", textposition="inside",
                   insidetextanchor="middle", textangle=0, constraintext="both",
                   textfont={"size": 13, "color": ["white" if i == now else "#111827" for i in shown]},
                   hovertext=[f"{i + 1}. {esc(stages[i].title)}<br>{esc(fmt_shape(stages[i].output_shape))}"
                              for i in shown], hoverinfo="text")
    numbers = _trace("scatter", 1, "x", "y", x=list(shown), y=[0.75] * n, mode="text",
                     text=[str(i + 1) for i in shown], hoverinfo="skip",
                     textfont={"size": 11, "color": [ACCENT if i == now else MUTED for i in shown]})
    arrows = _trace("scatter", 2, "x", "y", x=[i + 0.5 for i in shown[:-1]] or [None], y=[0] * max(n - 1, 1),
                    mode="markers", marker={"symbol": "triangle-right", "size": 9, "color": MUTED}, hoverinfo="skip")
    return [boxes, numbers, arrows, _grid_trace(shot.grid), _focus_trace(shot.grid), _words_trace(shot.words),
            *_bars_traces(shot.bars)]


def _boxes(now: int, n: int) -> tuple[int, int]:
    """The stages whose boxes a frame draws (start, stop): all of them, or ``MAX_BOXES`` with the current one in
    the middle -- so a frame costs the same for 30 stages or 2,000, and the whole animation grows linearly."""
    if n <= MAX_BOXES:
        return 0, n
    start = min(max(now - MAX_BOXES // 2, 0), n - MAX_BOXES)
    return start, start + MAX_BOXES


def _box_range(now: int, n: int) -> list[float]:
    start, stop = _boxes(now, n)
    return [start - 0.5, stop - 0.5]


def _trace(kind: str, slot: int, xaxis: str, yaxis: str, **attrs: Any) -> dict[str, Any]:
    return {"type": kind, "name": TRACE_NAMES[slot], "xaxis": xaxis, "yaxis": yaxis, **attrs}


def _grid_trace(grid: Grid | None) -> dict[str, Any]:
    z, scale = (grid.z, grid.scale) if grid else ([[None]], {"colorscale": "Blues", "zmin": 0, "zmax": 1})
    rows, cols = len(z), len(z[0])
    text = grid.cell_text if grid and grid.cell_text else [[""] * cols for _ in range(rows)]
    template = "%{text}" if grid and grid.cell_text else grid.cell_format if grid else ""
    gap = 1 if grid is None or grid.gaps else 0
    return _trace("heatmap", 3, "x2", "y2", z=z, x=list(range(1, cols + 1)), y=list(range(1, rows + 1)), text=text,
                  texttemplate=template, visible=grid is not None, showscale=False, xgap=gap, ygap=gap,
                  hovertemplate=(grid.hover if grid else "") + "<extra></extra>", textfont={"size": 13},
                  colorscale=_colorscale(scale["colorscale"]), zmin=scale["zmin"], zmax=scale["zmax"])


def _colorscale(scale: Any) -> Any:
    """A colour scale as Plotly.js reads it: a name such as "RdBu_r" (a plotly.py name) as its list of colours,
    as Plotly's validation would make it (frames reach the browser unvalidated, see ``Animation``)."""
    return plotly.colors.get_colorscale(scale) if isinstance(scale, str) else scale


def _focus_trace(grid: Grid | None) -> dict[str, Any]:
    x: list[float | None] = [None]
    y: list[float | None] = [None]
    if grid is not None and grid.focus is not None:
        r0, r1, c0, c1 = grid.focus
        x = [c0 + 0.5, c1 + 1.5, c1 + 1.5, c0 + 0.5, c0 + 0.5]
        y = [r0 + 0.5, r0 + 0.5, r1 + 1.5, r1 + 1.5, r0 + 0.5]
    return _trace("scatter", 4, "x2", "y2", x=x, y=y, mode="lines", line={"color": "#111827", "width": 2.5},
                  hoverinfo="skip")


def _words_trace(words: str) -> dict[str, Any]:
    return _trace("scatter", 5, "x2", "y2", x=[0.5] if words else [None], y=[0.55] if words else [None],
                  mode="text", text=[_wrap(f"“{words}”", 24, 4)] if words else [""], hoverinfo="skip",
                  textfont={"size": 18, "color": "#111827"})


def _bars_traces(bars: Bars | None) -> list[dict[str, Any]]:
    """The probability bars, and their percentages as a text trace (bar text may not fit inside a short bar)."""
    values = bars.values if bars else [None]
    colors = [ACCENT if bars and i == bars.highlight else MUTED for i in range(len(values))]
    positions = list(range(len(values)))
    return [_trace("bar", 6, "x3", "y3", x=values, y=positions, orientation="h", marker={"color": colors},
                   visible=bars is not None, hovertemplate="%{x:.1%}<extra></extra>"),
            _trace("scatter", 7, "x3", "y3", x=[v or 0 for v in values], y=positions, mode="text",
                   text=[esc(_pct_text(v)) for v in values] if bars else [""], textposition="middle right",
                   textfont={"size": 14, "color": "#111827"}, cliponaxis=False, visible=bars is not None,
                   hoverinfo="skip")]


def frame_layout(shot: Shot) -> dict[str, Any]:
    """The axes and the three notes of a frame, every key set in every frame: a frame that left one out would
    keep the last frame's (today's stale-number bug)."""
    grid, bars = shot.grid, shot.bars
    g_band, b_band = _paper(_fit(grid) if grid else (0.0, 1.0)), _paper(bars.band if bars else (0.0, 0.3))
    rows, cols = (len(grid.rows), len(grid.z[0])) if grid else (1, 1)
    named_cols = bool(grid and grid.cols)
    xaxis2 = {"domain": [0, grid.width if grid else 1], "range": [0.5, cols + 0.5] if grid else [0, 1],
              "visible": bool(grid), "showticklabels": bool(grid and grid.xticks),
              "tickmode": "array" if named_cols else "auto", "tickvals": list(range(1, cols + 1)) if named_cols else [],
              "ticktext": [esc(c) for c in grid.cols] if grid and named_cols else [], "nticks": 8,
              "showgrid": False, "zeroline": False, "fixedrange": True, "anchor": "y2", "tickfont": {"size": 12},
              "ticks": ""}
    every = math.ceil(rows / MAX_ROW_TICKS)  # a tall sample labels every few rows, so labels never overlap
    yaxis2 = {"domain": g_band, "range": [rows + 0.5, 0.5] if grid else [0, 1], "visible": bool(grid),
              "tickmode": "array", "tickvals": list(range(1, rows + 1, every)),
              "ticktext": grid.rows[::every] if grid else [""],
              "showgrid": False, "zeroline": False, "fixedrange": True, "anchor": "x2", "tickfont": {"size": 13},
              "ticks": ""}
    k = len(bars.values) if bars else 1
    xaxis3 = {"domain": [0, 0.86], "range": [0, 1.0], "visible": bool(bars), "tickformat": ".0%", "nticks": 5,
              "showgrid": True, "gridcolor": "#e5e7eb", "zeroline": False, "fixedrange": True, "anchor": "y3",
              "tickfont": {"size": 12}, "ticks": ""}
    yaxis3 = {"domain": b_band, "range": [k - 0.5, -0.5], "visible": bool(bars), "tickmode": "array",
              "tickvals": list(range(k)), "ticktext": [esc(label) for label in bars.labels] if bars else [""],
              "fixedrange": True, "anchor": "x3", "tickfont": {"size": 13}, "ticks": ""}
    if not grid and shot.words:
        xaxis2["visible"], yaxis2["visible"] = False, False
    return {"xaxis2": xaxis2, "yaxis2": yaxis2, "xaxis3": xaxis3, "yaxis3": yaxis3,
            "annotations": [_note(_wrap(shot.line, LINE_CHARS, LINE_LINES), LINE_TOP, "top", 14),
                            _note(_wrap(grid.heading, HEADING_CHARS, 1) if grid else "", g_band[1], "bottom", 12),
                            _note(_wrap(bars.heading, HEADING_CHARS, 1) if bars else "", b_band[1], "bottom", 12)]}


def _note(text: str, y: float, anchor: str, size: int) -> dict[str, Any]:
    # From the figure's left edge (over the labels' margin): a phone has no width to spare.
    return {"text": text, "x": 0, "y": y, "xref": "paper", "yref": "paper", "xanchor": "left", "yanchor": anchor,
            "align": "left", "showarrow": False, "font": {"size": size, "color": "#111827"}, "yshift": 2,
            "xshift": 8 - MARGIN["l"]}


def _fit(grid: Grid) -> tuple[float, float]:
    """A whole-area grid of few rows keeps rows of a readable height, hanging from the top."""
    low, high = grid.band
    if grid.band == (0.0, 1.0) and len(grid.rows) < ROWS_FULL:
        low = 1 - len(grid.rows) / ROWS_FULL
    return low, high


def _paper(band: tuple[float, float]) -> list[float]:
    low, high = VALUES
    return [low + band[0] * (high - low), low + band[1] * (high - low)]


def _wrap(text: str, width: int, lines: int) -> str:
    """Plain text escaped and wrapped to ``lines`` lines of ``width`` characters (Plotly does not wrap)."""
    wrapped = textwrap.wrap(" ".join(text.split()), width, max_lines=lines, placeholder=" …")
    return "<br>".join(esc(line) for line in wrapped)


def _pct_text(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.0%}" if value >= 0.01 or value == 0 else "<1%"


def _play_pause(frame_ms: int) -> dict[str, Any]:
    play = {"frame": {"duration": frame_ms, "redraw": True}, "fromcurrent": True, "mode": "immediate",
            "transition": {"duration": 0}}  # heatmaps cannot tween: whole frames switch cleanly
    pause = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate", "transition": {"duration": 0}}
    return {"type": "buttons", "direction": "left", "x": 0, "y": -0.06, "xanchor": "left", "yanchor": "top",
            "pad": {"l": 0, "t": 0}, "showactive": False, "font": {"size": 14},
            "buttons": [{"label": "▶ Play", "method": "animate", "args": [None, play]},
                        {"label": "❚❚ Pause", "method": "animate", "args": [[None], pause]}]}


def _slider(shots: Sequence[Shot], stages: int) -> dict[str, Any]:
    jump = {"mode": "immediate", "frame": {"duration": 0, "redraw": True}, "transition": {"duration": 0}}
    n = len(shots)
    steps = [{"label": f"{s.stage + 1} of {stages} · {k + 1}/{n}", "method": "animate", "args": [[str(k)], jump]}
             for k, s in enumerate(shots)]
    return {"active": 0, "steps": steps, "x": 0, "len": 1, "y": -0.15, "yanchor": "top",
            "pad": {"t": 0, "b": 0, "l": 8, "r": 8}, "ticklen": 4, "minorticklen": 0,
            "font": {"size": 1, "color": "rgba(0,0,0,0)"},  # the steps' own labels would overlap: the current one shows
            "currentvalue": {"prefix": "Stage ", "font": {"size": 14, "color": "#111827"}, "offset": 6}}
