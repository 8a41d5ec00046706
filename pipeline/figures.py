"""Plotly figure builders: plain functions, data in -> ``go.Figure`` out. No Streamlit here.

Every label that may come from a learner's input (tokens, row labels) is HTML-escaped, because
Plotly renders a subset of HTML in text.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pipeline.lessons.base import PredictionLayer
from pipeline.session import TrainingLog
from pipeline.tables import flatten
from pipeline.train import EpochResult

FONT = {"size": 16}
TRAIN, VAL, BATCH = "#1d4ed8", "#c2410c", "#93c5fd"
ACCENT, MUTED, DONE, TODO = "#1d4ed8", "#9ca3af", "#bfdbfe", "#f3f4f6"
MARK_COLORS = {"word": "#1d4ed8", "unk": "#c2410c", "pad": "#6b7280", "sos": "#7c3aed", "eos": "#7c3aed"}
MARK_NAMES = {"word": "known word", "unk": "unknown word (<unk>)", "pad": "padding (<pad>)",
              "sos": "start / end marker", "eos": "start / end marker"}
DIVERGING, SEQUENTIAL = "RdBu_r", "Blues"
MAX_CELL_TEXT, MAX_TEXT_COLUMNS = 160, 12  # larger heatmaps show colours only: the numbers would not fit


def esc(text: Any) -> str:
    """Text made safe for Plotly labels: ``<b>`` shows as typed instead of turning bold."""
    return html.escape(str(text), quote=False)


def _base(fig: go.Figure, height: int, **layout: Any) -> go.Figure:
    layout = {"margin": {"l": 20, "r": 20, "t": 50, "b": 20}, **layout}
    fig.update_layout(height=height, font=FONT, paper_bgcolor="white", plot_bgcolor="white", **layout)
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


# --- training --------------------------------------------------------------------------------------

def training_curves(epochs: Sequence[EpochResult], log: TrainingLog | None = None,
                    total_epochs: int | None = None) -> go.Figure:
    """Loss and accuracy side by side: per-epoch train and validation lines, per-batch loss faintly."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Loss (lower is better)", "Accuracy (higher is better)"),
                        horizontal_spacing=0.1)
    if log and log.batch_x:
        fig.add_scatter(x=log.batch_x, y=log.batch_loss, name="training loss, each batch", mode="lines",
                        line={"color": BATCH, "width": 1}, row=1, col=1)
        fig.add_scatter(x=log.batch_x, y=log.batch_accuracy, name="training accuracy, each batch",
                        mode="lines", line={"color": BATCH, "width": 1}, showlegend=False, row=1, col=2)
    x = [e.epoch for e in epochs]
    for col, (train, val, what) in enumerate([("loss", "val_loss", "loss"),
                                               ("accuracy", "val_accuracy", "accuracy")], start=1):
        fig.add_scatter(x=x, y=[getattr(e, train) for e in epochs], name=f"training {what}",
                        mode="lines+markers", line={"color": TRAIN, "width": 3}, row=1, col=col)
        fig.add_scatter(x=x, y=[getattr(e, val) for e in epochs], name=f"validation {what}",
                        mode="lines+markers", line={"color": VAL, "width": 3, "dash": "dash"}, row=1, col=col)
    last = total_epochs or max(x, default=1)
    fig.update_xaxes(title_text="epoch", range=[0, last + 0.1], dtick=max(1, math.ceil(last / 10)),
                     showgrid=True, gridcolor="#e5e7eb")
    fig.update_yaxes(showgrid=True, gridcolor="#e5e7eb", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", showgrid=True, gridcolor="#e5e7eb", row=1, col=2)
    return _base(fig, 440, legend={"orientation": "h", "y": -0.3, "x": 0}, margin={"l": 20, "r": 20,
                                                                                      "t": 50, "b": 100})


# --- prediction layers -----------------------------------------------------------------------------

def layer_figure(layer: PredictionLayer) -> go.Figure | None:
    """The figure for any prediction layer, chosen by its kind; None for plain text."""
    builders = {"tokens": tokens_figure, "matrix": matrix_figure, "vector": vector_figure,
                "probabilities": probabilities_figure, "decoder_steps": decoder_steps_figure}
    if layer.kind == "text":
        return None
    if layer.kind not in builders:
        raise ValueError(f"unknown layer kind {layer.kind!r}; expected one of text, {', '.join(builders)}")
    return builders[layer.kind](layer)


def _marks(layer: PredictionLayer, n: int) -> list[str]:
    return list(layer.marks) + ["word"] * (n - len(layer.marks))


def tokens_figure(layer: PredictionLayer) -> go.Figure:
    """One coloured cell per position: the token above its id; unknown words and padding marked."""
    ids = list(layer.values)
    labels = list(layer.row_labels) + [""] * (len(ids) - len(layer.row_labels))
    marks = _marks(layer, len(ids))
    kinds = list(dict.fromkeys(MARK_COLORS))
    z = [[kinds.index(m) if m in kinds else 0 for m in marks]]
    scale = [[pos, MARK_COLORS[k]] for i, k in enumerate(kinds)
             for pos in (i / len(kinds), (i + 1) / len(kinds))]
    text = [[f"{esc(label)}<br><b>{i}</b>" for label, i in zip(labels, ids, strict=True)]]
    fig = go.Figure(go.Heatmap(z=z, text=text, texttemplate="%{text}", textfont={"size": 16, "color": "white"},
                               colorscale=scale, zmin=0, zmax=len(kinds), showscale=False, xgap=4, ygap=4,
                               hoverinfo="skip", x=list(range(1, len(ids) + 1)), name=layer.key))
    for kind in dict.fromkeys(m if m != "eos" else "sos" for m in marks):
        fig.add_scatter(x=[None], y=[None], mode="markers", name=esc(MARK_NAMES.get(kind, kind)),
                        marker={"symbol": "square", "size": 14, "color": MARK_COLORS.get(kind, ACCENT)})
    fig.update_xaxes(title_text="position", dtick=1, showgrid=False)
    fig.update_yaxes(visible=False)
    return _base(fig, 240, legend={"orientation": "h", "y": -0.45, "x": 0}, margin={"l": 20, "r": 20, "t": 20,
                                                                                      "b": 70})


def _row_ticks(layer: PredictionLayer, rows: int) -> list[str]:
    labels = list(layer.row_labels) + [""] * (rows - len(layer.row_labels))
    marks = _marks(layer, rows)
    ticks = []
    for i, (label, mark) in enumerate(zip(labels, marks, strict=True), start=1):
        tick = f"{i} · {esc(label)}" if label else str(i)
        ticks.append(f"<span style='color:{MARK_COLORS[mark]}'>{tick}</span>" if mark in ("unk", "pad") else tick)
    return ticks


def matrix_figure(layer: PredictionLayer) -> go.Figure:
    """A heatmap of ``values`` with labelled rows; non-negative data on a sequential scale, else diverging."""
    z = [list(row) for row in layer.values]
    if not z or not z[0]:
        raise ValueError(f"matrix layer {layer.key!r} has no values")
    rows, cols = len(z), len(z[0])
    values = flatten(z)
    bound = max(abs(v) for v in values) or 1.0
    scale = {"colorscale": SEQUENTIAL, "zmin": 0, "zmax": max(values) or 1.0} if min(values) >= 0 else \
        {"colorscale": DIVERGING, "zmin": -bound, "zmax": bound}
    cells = rows * cols <= MAX_CELL_TEXT and cols <= MAX_TEXT_COLUMNS
    fig = go.Figure(go.Heatmap(z=z, x=list(range(cols)), y=list(range(rows)), xgap=1, ygap=1, name=layer.key,
                               text=[[f"{v:.2f}" for v in row] for row in z] if cells else None,
                               texttemplate="%{text}" if cells else None,
                               colorbar={"thickness": 14}, **scale))
    col_labels = [esc(c) for c in layer.col_labels[:cols]]
    numeric_cols = all(c.isdigit() for c in layer.col_labels)
    fig.update_xaxes(title_text="feature" if numeric_cols else "", side="top",
                     tickvals=None if numeric_cols else list(range(len(col_labels))),
                     ticktext=None if numeric_cols else col_labels, showgrid=False)
    fig.update_yaxes(tickvals=list(range(rows)), ticktext=_row_ticks(layer, rows), autorange="reversed",
                     showgrid=False, zeroline=False)
    fig.update_xaxes(zeroline=False)
    return _base(fig, max(260, 34 * rows + 110), margin={"l": 20, "r": 20, "t": 60, "b": 20})


def vector_figure(layer: PredictionLayer) -> go.Figure:
    """Bars for each number of a vector: blue positive, orange negative."""
    values = list(layer.values)
    x = [esc(c) for c in layer.col_labels] if len(layer.col_labels) == len(values) else list(range(len(values)))
    fig = go.Figure(go.Bar(x=x, y=values, marker_color=[TRAIN if v >= 0 else VAL for v in values],
                           name=layer.key, hovertemplate="%{x}: %{y:.3f}<extra></extra>"))
    fig.update_xaxes(title_text="feature", showgrid=False, type="category" if isinstance(x[0], str) else None)
    fig.update_yaxes(zeroline=True, zerolinecolor="#111827", gridcolor="#e5e7eb")
    return _base(fig, 300)


def probabilities_figure(layer: PredictionLayer) -> go.Figure:
    """Horizontal bars with percentages; the most likely answer highlighted."""
    probs = list(layer.values)
    labels = [esc(label) for label in layer.row_labels] or [str(i) for i in range(len(probs))]
    best = max(range(len(probs)), key=probs.__getitem__) if probs else -1
    fig = go.Figure(go.Bar(x=probs, y=labels, orientation="h", text=[esc(pct(p, 1)) for p in probs],
                           textposition="outside", name=layer.key, cliponaxis=False,
                           marker_color=[ACCENT if i == best else MUTED for i in range(len(probs))]))
    fig.update_xaxes(range=[0, 1.15], tickformat=".0%", gridcolor="#e5e7eb")
    fig.update_yaxes(type="category", autorange="reversed")
    return _base(fig, 90 + 48 * len(probs), margin={"l": 20, "r": 40, "t": 20, "b": 20})


def decoder_steps_figure(layer: PredictionLayer) -> go.Figure:
    """All decoder steps at a glance: one row per step, its top choices left to right, the chosen one bold."""
    steps = list(layer.values)
    if not steps:
        raise ValueError(f"decoder_steps layer {layer.key!r} has no steps")
    k = max(len(s["top"]) for s in steps)
    z = [[p for _, p in s["top"]] + [None] * (k - len(s["top"])) for s in steps]
    text = [[_choice(token, p, token == s["chosen"]) for token, p in s["top"]] + [""] * (k - len(s["top"]))
            for s in steps]
    fig = go.Figure(go.Heatmap(z=z, text=text, texttemplate="%{text}", textfont={"size": 15}, colorscale=SEQUENTIAL,
                               zmin=0, zmax=1, xgap=3, ygap=3, name=layer.key, colorbar={"title": {"text": "prob."},
                                                                         "thickness": 14, "tickformat": ".0%"}))
    ticks = [f"{s['step']}: {esc(s['input'])} → {esc(s['chosen'])}" for s in steps]
    fig.update_xaxes(tickvals=list(range(k)), ticktext=[f"choice {i + 1}" for i in range(k)], side="top")
    fig.update_yaxes(tickvals=list(range(len(steps))), ticktext=ticks, autorange="reversed")
    return _base(fig, max(240, 44 * len(steps) + 100), margin={"l": 20, "r": 20, "t": 60, "b": 20})


def pct(p: float, digits: int = 0) -> str:
    """A probability for reading: ``97%``, or ``<1%`` rather than a misleading ``0%`` (escape it for Plotly)."""
    smallest = 0.5 * 10 ** -(digits + 2)
    return f"{p:.{digits}%}" if p >= smallest or p == 0 else f"<{10 ** -digits:g}%"


def _choice(token: str, prob: float, chosen: bool) -> str:
    label = esc(f"{token} {pct(prob)}")
    return f"<b>{label}</b>" if chosen else label


def decoder_step_figure(layer: PredictionLayer, index: int) -> go.Figure:
    """One decoder step: its top choices (chosen one highlighted), the attention over the source tokens
    if the model has attention, and its hidden state."""
    step = layer.values[index]
    attention = step.get("attention")
    titles = ["Top choices for the next token"] + (["Attention over the source words"] if attention else []) + \
        [f"Decoder memory (first {len(step.get('hidden') or [])} numbers)"]
    heights = [0.45, 0.35, 0.2] if attention else [0.7, 0.3]
    fig = make_subplots(rows=len(heights), cols=1, subplot_titles=titles, row_heights=heights, vertical_spacing=0.12)
    tokens = [esc(t) for t, _ in step["top"]]
    probs = [p for _, p in step["top"]]
    fig.add_bar(x=probs, y=tokens, orientation="h", text=[esc(pct(p)) for p in probs], textposition="outside",
                cliponaxis=False, name="top choices",
                marker_color=[ACCENT if t == step["chosen"] else MUTED for t, _ in step["top"]], row=1, col=1)
    fig.update_xaxes(range=[0, 1.2], tickformat=".0%", row=1, col=1)
    fig.update_yaxes(type="category", autorange="reversed", row=1, col=1)  # digits are tokens, not numbers
    if attention:
        sources = [f"{i + 1} {esc(t)}" for i, t in enumerate(layer.col_labels[: len(attention)])]
        sources += [str(i + 1) for i in range(len(sources), len(attention))]
        fig.add_bar(x=sources, y=attention, name="attention", marker_color=VAL, text=[esc(pct(a)) for a in attention],
                    textposition="outside", cliponaxis=False, row=2, col=1)
        fig.update_xaxes(type="category", row=2, col=1)
        fig.update_yaxes(range=[0, 1.15], tickformat=".0%", row=2, col=1)
    hidden = list(step.get("hidden") or [])
    if hidden:
        bound = max(abs(v) for v in hidden) or 1.0
        last = len(heights)
        fig.add_heatmap(z=[hidden], colorscale=DIVERGING, zmin=-bound, zmax=bound, showscale=False, xgap=2,
                        text=[[f"{v:.2f}" for v in hidden]], texttemplate="%{text}", name="hidden state",
                        row=last, col=1)
        fig.update_yaxes(visible=False, row=last, col=1)
    title = f"Step {step['step']}: input <b>{esc(step['input'])}</b> → chose <b>{esc(step['chosen'])}</b>"
    fig.update_layout(showlegend=False, title={"text": title, "x": 0, "font": {"size": 18}})
    return _base(fig, 680 if attention else 480, margin={"l": 20, "r": 20, "t": 90, "b": 20})
