"""The animated data-flow diagram: a batch moving through a lesson's stages, one Plotly frame per stage.

Boxes grow with the size of each stage's output tensor; the current stage shows its shape, its real
sample as a heatmap and its description. Play / Pause and the slider run in the browser, no reruns.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
import torch

from pipeline.document import Stage
from pipeline.render.figures import (
    ACCENT,
    DIVERGING,
    DONE,
    MAX_CELL_TEXT,
    MAX_TEXT_COLUMNS,
    MUTED,
    SEQUENTIAL,
    TODO,
    VAL,
    base,
    esc,
)
from pipeline.render.tables import flatten, fmt_shape

FRAME_MS = 1600


def tensor_size(shape: Sequence[int | None]) -> int:
    """Number of values in a tensor of ``shape``; a dimension that varies counts as 1."""
    return math.prod(d or 1 for d in shape) if shape else 1


def sample_matrix(sample: object) -> list[list[float]] | None:
    """A stage's sample as rows for a heatmap (1-D: one row; 3-D and up: leading dims stacked), or None for text."""
    if not isinstance(sample, torch.Tensor) or sample.numel() == 0:
        return None
    x = sample.float()
    return x.reshape(1, -1).tolist() if x.dim() < 2 else x.reshape(-1, x.shape[-1]).tolist()


def _box_geometry(stages: Sequence[Stage], gap: float = 0.9) -> list[tuple[float, float, float]]:
    """(left, width, height) per stage box; both sides grow with log10 of the tensor size."""
    boxes, left = [], 0.0
    for s in stages:
        magnitude = math.log10(tensor_size(s.output_shape) + 1)
        width, height = 0.35 * magnitude + 0.3, 0.07 * magnitude + 0.12
        boxes.append((left, width, height))
        left += width + gap
    return boxes


def _wrap(text: str, width: int) -> str:
    return "<br>".join(textwrap.wrap(esc(" ".join(text.split())), width)) or "&nbsp;"


def dataflow_animation(stages: Sequence[Stage], frame_ms: int = FRAME_MS) -> go.Figure:
    """A batch moving through the stages: boxes sized by tensor size, the current stage's real sample
    as a heatmap, and its description beside it. Play / Pause buttons and a slider run in the browser."""
    if not stages:
        raise ValueError("dataflow_animation needs at least one stage")
    boxes = _box_geometry(stages)
    frames = [go.Frame(name=str(i), data=_flow_traces(stages, boxes, i), traces=list(range(len(stages) + 4)),
                       layout={"annotations": _flow_annotations(stages, boxes, i), **_sample_axes(stages[i])})
              for i in range(len(stages))]
    fig = go.Figure(data=frames[0].data, frames=frames)
    right = boxes[-1][0] + boxes[-1][1]
    fig.update_layout(
        xaxis={"domain": [0, 1], "range": [-0.3, right + 0.3], "visible": False, "fixedrange": True},
        yaxis={"domain": [0.56, 1], "range": [-0.65, 0.95], "visible": False, "fixedrange": True},
        annotations=frames[0].layout.annotations, showlegend=False, **_sample_axes(stages[0]),
        updatemenus=[_play_pause(frame_ms)], sliders=[_slider(stages)])
    return base(fig, 740, margin={"l": 20, "r": 20, "t": 30, "b": 130})


def _flow_traces(stages: Sequence[Stage], boxes: list[tuple[float, float, float]], current: int
                 ) -> list[go.BaseTraceType]:
    traces: list[go.BaseTraceType] = []
    for i, (left, width, height) in enumerate(boxes):
        fill = ACCENT if i == current else DONE if i < current else TODO
        traces.append(go.Scatter(x=[left, left + width, left + width, left, left],
                                 y=[-height / 2, -height / 2, height / 2, height / 2, -height / 2],
                                 fill="toself", fillcolor=fill, mode="lines", line={"color": ACCENT, "width": 2},
                                 hoverinfo="skip", name=f"stage {i + 1}"))
    centers = [left + width / 2 for left, width, _ in boxes]
    numbers = [str(i + 1) for i in range(len(stages))]
    text_colors = ["white" if i == current else "#111827" for i in range(len(stages))]
    traces.append(go.Scatter(x=centers, y=[0] * len(stages), mode="text", text=numbers, hoverinfo="skip",
                             textfont={"size": 22, "color": text_colors}, name="stage numbers"))
    labels = [f"<b>{_wrap(s.title, 16)}</b><br>{esc(fmt_shape(s.output_shape))}" for s in stages]
    traces.append(go.Scatter(x=centers, y=[-0.45] * len(stages), mode="text", text=labels, hoverinfo="skip",
                             textfont={"size": 14, "color": "#111827"}, name="stage labels"))
    top = boxes[current][2] / 2
    traces.append(go.Scatter(x=[centers[current]], y=[top + 0.22], mode="markers+text", text=["batch"],
                             textposition="top center", marker={"symbol": "triangle-down", "size": 22,
                                                                "color": VAL}, name="batch", hoverinfo="skip"))
    traces.append(_sample_heatmap(stages[current]))
    return traces


def _sample_axes(stage: Stage) -> dict[str, Any]:
    """Axes of the sample heatmap, with explicit ranges: animation frames do not autorange."""
    z = sample_matrix(stage.sample)
    rows, cols = (len(z), len(z[0])) if z else (1, 1)
    common = {"fixedrange": True, "showgrid": False, "zeroline": False, "visible": z is not None}
    return {"xaxis2": {"domain": [0, 0.42], "anchor": "y2", "range": [-0.5, cols - 0.5],
                       "dtick": max(1, cols // 8), "title": {"text": "column"}, **common},
            "yaxis2": {"domain": [0.02, 0.42], "anchor": "x2", "range": [rows - 0.5, -0.5],
                       "dtick": max(1, rows // 8), "title": {"text": "row"}, **common}}


def _sample_heatmap(stage: Stage) -> go.Heatmap:
    z = sample_matrix(stage.sample)
    if z is None:  # every frame sets text too: Plotly keeps the last frame's cell text otherwise
        return go.Heatmap(z=[[0]], text=[[""]], texttemplate="", visible=False, xaxis="x2", yaxis="y2",
                          name="sample")
    values = flatten(z)
    integers = isinstance(stage.sample, torch.Tensor) and not stage.sample.is_floating_point()
    bound = max((abs(v) for v in values), default=1.0) or 1.0
    scale = {"colorscale": SEQUENTIAL, "zmin": 0, "zmax": max(values)} if integers or min(values) >= 0 else \
        {"colorscale": DIVERGING, "zmin": -bound, "zmax": bound}
    cells = len(values) <= MAX_CELL_TEXT and len(z[0]) <= MAX_TEXT_COLUMNS
    text = [[str(int(v)) if integers else f"{v:.2f}" for v in row] if cells else [""] * len(row) for row in z]
    return go.Heatmap(z=z, text=text, texttemplate="%{text}" if cells else "", visible=True,
                      xaxis="x2", yaxis="y2", xgap=1, ygap=1, name="sample",
                      colorbar={"x": 0.43, "y": 0.2, "len": 0.4, "thickness": 14}, **scale)


def _flow_annotations(stages: Sequence[Stage], boxes: list[tuple[float, float, float]], current: int
                      ) -> list[dict[str, Any]]:
    notes = [{"x": boxes[i + 1][0], "y": 0, "ax": boxes[i][0] + boxes[i][1], "ay": 0, "xref": "x", "yref": "y",
              "axref": "x", "ayref": "y", "showarrow": True, "arrowhead": 3, "arrowsize": 1.2,
              "arrowwidth": 2, "arrowcolor": MUTED, "text": ""} for i in range(len(stages) - 1)]
    s = stages[current]
    description = (f"<b>{current + 1}. {esc(s.title)}</b><br>{esc(fmt_shape(s.input_shape))} → "
                   f"{esc(fmt_shape(s.output_shape))}<br><i>{_wrap(s.operation, 44)}</i><br><br>"
                   f"{_wrap(s.description, 44)}")
    notes.append({"x": 0.53, "y": 0.42, "xref": "paper", "yref": "paper", "xanchor": "left", "yanchor": "top",
                  "align": "left", "showarrow": False, "text": description, "font": {"size": 15}})
    notes.append({"x": 0, "y": 0.47, "xref": "paper", "yref": "paper", "xanchor": "left", "yanchor": "bottom",
                  "showarrow": False, "text": _sample_caption(s), "font": {"size": 14}})
    as_text = isinstance(s.sample, str | list) and bool(s.sample)
    # Always present (empty when not needed): a frame with fewer annotations would leave old ones behind.
    notes.append({"x": 0.21, "y": 0.2, "xref": "paper", "yref": "paper", "showarrow": False, "font": {"size": 18},
                  "text": _wrap(" ".join(str(v) for v in flatten(s.sample)), 32) if as_text else ""})
    return notes


def _sample_caption(stage: Stage) -> str:
    example = list(stage.output_shape[1:])
    shape = list(stage.sample.shape) if isinstance(stage.sample, torch.Tensor) else []
    if not shape:
        return "<b>First example of the batch</b>"
    shown = fmt_shape(shape)
    return f"<b>First example of the batch</b>: {esc(shown)} of its {esc(fmt_shape(example))} values"


def _play_pause(frame_ms: int) -> dict[str, Any]:
    play = {"frame": {"duration": frame_ms, "redraw": True}, "fromcurrent": True,
            "transition": {"duration": 0}}  # heatmaps cannot tween: switch whole frames cleanly
    pause = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate", "transition": {"duration": 0}}
    return {"type": "buttons", "direction": "left", "x": 0, "y": -0.11, "xanchor": "left", "yanchor": "top",
            "pad": {"r": 10, "t": 10}, "showactive": False, "font": {"size": 16},
            "buttons": [{"label": "▶ Play", "method": "animate", "args": [None, play]},
                        {"label": "❚❚ Pause", "method": "animate", "args": [[None], pause]}]}


def _slider(stages: Sequence[Stage]) -> dict[str, Any]:
    jump = {"mode": "immediate", "frame": {"duration": 0, "redraw": True}, "transition": {"duration": 0}}
    steps = [{"label": str(i + 1), "method": "animate", "args": [[str(i)], jump]} for i in range(len(stages))]
    return {"active": 0, "steps": steps, "x": 0.24, "len": 0.7, "y": -0.09, "yanchor": "top", "pad": {"t": 10},
            "currentvalue": {"prefix": "Stage ", "suffix": f" of {len(stages)}", "font": {"size": 16}}}
