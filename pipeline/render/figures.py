"""Plotly figure builders: plain functions, data in -> ``go.Figure`` out. No Streamlit here.

``layer_figure(view)`` draws any prediction layer with the builder registered for its type
(``functools.singledispatch``): a new kind of view registers one builder here. Every label that may
come from a learner's input is HTML-escaped, because Plotly renders a subset of HTML in text.
"""

from __future__ import annotations

import html
import math
import textwrap
from collections.abc import Sequence
from functools import singledispatch
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pipeline.live import TrainingLog
from pipeline.render.drawing import Figure, drawn_once
from pipeline.render.margins import fit_margins
from pipeline.train import EpochResult
from pipeline.views import (
    AttentionView,
    DecoderStepsView,
    DecoderStepView,
    LSTMGatesView,
    Mark,
    MatrixView,
    ProbabilitiesView,
    TextView,
    TokensView,
    VectorView,
    View,
)

FONT = {"size": 16}
TRAIN, VAL, BATCH = "#1d4ed8", "#c2410c", "#93c5fd"
ACCENT, MUTED, DONE, TODO = "#1d4ed8", "#6b7280", "#bfdbfe", "#f3f4f6"
MARK_COLORS = {Mark.WORD: "#1d4ed8", Mark.UNK: "#b45309", Mark.PAD: "#4b5563", Mark.SOS: "#6d28d9",
               Mark.EOS: "#6d28d9"}
DIVERGING, SEQUENTIAL = "RdBu_r", "Blues"
MAX_CELL_TEXT, MAX_TEXT_COLUMNS = 160, 12  # larger heatmaps show colours only: the numbers would not fit
SEPARATORS = ".,"  # decimal point and thousands comma whatever the browser's locale: 1,000.5


def esc(text: Any) -> str:
    """Text made safe for Plotly labels: ``<b>`` shows as typed instead of turning bold."""
    return html.escape(str(text), quote=False)


def base(fig: go.Figure, height: int, fit: bool = True, **layout: Any) -> go.Figure:
    """The house style, applied last to a finished figure: white, 16 px type, fixed number format; margins wide
    enough for the labels from the start (``margins.fit_margins``: one layout pass in the browser, not two),
    ``margin`` the least of them (exactly them with ``fit=False``); drawn once (``drawing.drawn_once``)."""
    least = {"l": 20, "r": 20, "t": 50, "b": 20, **layout.pop("margin", {})}
    fig.update_layout(height=height, font=FONT, paper_bgcolor="white", plot_bgcolor="white",
                      separators=SEPARATORS, hoverlabel={"font_size": 15}, **layout)
    # a heatmap's axes count cells: no zero line (it showed through the gaps between the cells as a dotted line)
    lines = {"zeroline": False} if any(trace.type == "heatmap" for trace in fig.data) else {}
    fig.update_xaxes(automargin=True, **lines)
    fig.update_yaxes(automargin=True, **lines)
    fig.update_layout(margin=fit_margins(fig, least) if fit else least)
    return drawn_once(fig)


def finite(values: Sequence[float]) -> list[float | None]:
    """NaN and infinities as gaps (None): a chart of a diverged run draws what is there."""
    return [v if isinstance(v, int | float) and math.isfinite(v) else None for v in values]


def pct(p: float, digits: int = 0) -> str:
    """A probability for reading: ``97%``, or ``<1%`` rather than a misleading ``0%`` (escape it for Plotly)."""
    if not math.isfinite(p):
        return "n/a"
    smallest = 0.5 * 10 ** -(digits + 2)
    return f"{p:.{digits}%}" if p >= smallest or p == 0 else f"<{10 ** -digits:g}%"


# --- training --------------------------------------------------------------------------------------

def training_curves(epochs: Sequence[EpochResult], log: TrainingLog | None = None,
                    total_epochs: int | None = None) -> go.Figure:
    """Loss and accuracy side by side: per-epoch train and validation lines, per-batch loss faintly."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Loss (lower is better)", "Accuracy (higher is better)"),
                        horizontal_spacing=0.1, figure=Figure())
    if log and log.batch_x:
        fig.add_scatter(x=log.batch_x, y=finite(log.batch_loss), name="training loss, each batch", mode="lines",
                        line={"color": BATCH, "width": 1}, row=1, col=1,
                        hovertemplate="epoch %{x:.2f}<br>batch loss %{y:.3f}<extra></extra>")
        fig.add_scatter(x=log.batch_x, y=finite(log.batch_accuracy), name="training accuracy, each batch",
                        mode="lines", line={"color": BATCH, "width": 1}, showlegend=False, row=1, col=2,
                        hovertemplate="epoch %{x:.2f}<br>batch accuracy %{y:.0%}<extra></extra>")
    x = [e.epoch for e in epochs]
    for col, (train, val, what, fmt) in enumerate([("loss", "val_loss", "loss", ".3f"),
                                                    ("accuracy", "val_accuracy", "accuracy", ".1%")], start=1):
        for attr, who, line in ((train, "training", {"color": TRAIN, "width": 3}),
                                (val, "validation", {"color": VAL, "width": 3, "dash": "dash"})):
            fig.add_scatter(x=x, y=finite([getattr(e, attr) for e in epochs]), name=f"{who} {what}",
                            mode="lines+markers", line=line, row=1, col=col,
                            hovertemplate=f"epoch %{{x}}<br>{who} {what} %{{y:{fmt}}}<extra></extra>")
    return _loss_and_accuracy_axes(fig, total_epochs or max(x, default=1), 440)


def _loss_and_accuracy_axes(fig: go.Figure, epochs: int, height: int) -> go.Figure:
    """Epochs along both panels, loss from zero on the left, accuracy 0-100 % on the right, legend below."""
    fig.update_xaxes(title_text="epoch", range=[0, epochs + 0.1], dtick=max(1, math.ceil(epochs / 10)),
                     showgrid=True, gridcolor="#e5e7eb")
    fig.update_yaxes(showgrid=True, gridcolor="#e5e7eb", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", showgrid=True, gridcolor="#e5e7eb", row=1, col=2)
    return base(fig, height, legend={"orientation": "h", "y": -0.3, "x": 0},
                margin={"l": 20, "r": 20, "t": 50, "b": 100})


RUN_COLORS = ["#1d4ed8", "#c2410c", "#15803d", "#7c3aed", "#b45309", "#0f766e", "#be185d", "#4b5563"]
RUN_DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "solid", "dash"]


def runs_overlay(runs: Sequence[tuple[str, Sequence[EpochResult]]]) -> go.Figure:
    """Several runs' validation loss and accuracy, epoch by epoch, one line per run labelled with what set
    it apart; colour and dash both change from run to run, so colour never tells them apart alone."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=("Validation loss (lower is better)", "Validation accuracy (higher is better)"),
                        figure=Figure())
    longest = 1
    for k, (label, epochs) in enumerate(runs):
        x = [e.epoch for e in epochs]
        longest = max(longest, *x) if x else longest
        line = {"color": RUN_COLORS[k % len(RUN_COLORS)], "dash": RUN_DASHES[k % len(RUN_DASHES)], "width": 2.5}
        name = esc(label)
        for col, (attr, fmt) in enumerate((("val_loss", ".3f"), ("val_accuracy", ".1%")), start=1):
            fig.add_scatter(x=x, y=finite([getattr(e, attr) for e in epochs]), name=name, legendgroup=str(k),
                            showlegend=col == 1, mode="lines+markers", line=line, row=1, col=col,
                            hovertemplate=f"{name}<br>epoch %{{x}}: %{{y:{fmt}}}<extra></extra>")
    return _loss_and_accuracy_axes(fig, longest, 440)


def probes_figure(epochs: Sequence[EpochResult]) -> go.Figure | None:
    """How the answers to the probe sentences changed while the model learned: one panel per sentence,
    one line per class (its probability after each epoch). None when the answers are not probabilities."""
    probes = list(epochs[0].probes) if epochs else []
    if not probes or not all(isinstance(a, dict) for e in epochs for a in e.probes.values()):
        return None
    classes = list(epochs[0].probes[probes[0]])
    cols = min(len(probes), 2)  # two panels a row: a phone has room for two titles side by side, not four
    rows = math.ceil(len(probes) / cols)
    fig = make_subplots(rows=rows, cols=cols, shared_yaxes=True, horizontal_spacing=0.04,
                        vertical_spacing=0.3 / rows, subplot_titles=[_panel_title(p) for p in probes], figure=Figure())
    colors = ["#c2410c", "#6b7280", "#1d4ed8", "#15803d", "#7c3aed", "#b45309"]
    x = [e.epoch for e in epochs]
    for k, probe in enumerate(probes):
        where = esc(_short(probe))
        for j, name in enumerate(classes):
            fig.add_scatter(x=x, y=finite([e.probes[probe].get(name, math.nan) for e in epochs]), mode="lines+markers",
                            name=esc(name), legendgroup=name, showlegend=k == 0, row=k // cols + 1, col=k % cols + 1,
                            line={"color": colors[j % len(colors)], "width": 3},
                            hovertemplate=f"“{where}”<br>epoch %{{x}}: {esc(name)} %{{y:.0%}}<extra></extra>")
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", gridcolor="#e5e7eb")
    fig.update_xaxes(dtick=max(1, math.ceil(len(x) / 10)), gridcolor="#e5e7eb")
    fig.update_xaxes(title_text="epoch", title_font_size=14, row=rows)  # under the last row only
    fig.update_annotations(font_size=13)  # the panel titles: two short lines each, never over the next panel's
    # the legend under the panels' "epoch" titles (yanchor top, below them), not across them
    return base(fig, 260 * rows + 90, legend={"orientation": "h", "y": -0.32 / rows, "yanchor": "top", "x": 0},
                margin={"l": 20, "r": 20, "t": 70, "b": 110})


def _panel_title(text: str, width: int = 22) -> str:
    """A probe sentence as a panel title: at most two lines of ``width`` characters, escaped."""
    lines = textwrap.wrap(text, width) or [""]
    if len(lines) > 2:
        lines = [lines[0], _short(" ".join(lines[1:]), width)]
    return "<br>".join(esc(line) for line in lines)


def _short(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- prediction layers -----------------------------------------------------------------------------

@singledispatch
def layer_figure(view: View) -> go.Figure | None:
    """The figure for a prediction layer, by its type; None for a view that is plain text."""
    raise TypeError(f"no figure is registered for {type(view).__name__}")


@layer_figure.register
def _(view: TextView) -> None:
    return None


def _mark_list(marks: Sequence[Mark], n: int) -> list[Mark]:
    return list(marks)[:n] + [Mark.WORD] * (n - len(marks))


def tick_label(position: int, token: str, mark: Mark) -> str:
    """``3 · good``, with the mark's symbol for unknown words and padding (colour is never the only sign)."""
    symbol = f" {mark.symbol}" if mark.symbol else ""
    text = f"{position} · {esc(token)}{symbol}" if token else str(position)
    return text if mark is Mark.WORD else f"<span style='color:{MARK_COLORS[mark]}'>{text}</span>"


@layer_figure.register
def tokens_figure(view: TokensView) -> go.Figure:
    """One coloured cell per position: the token above its id; unknown words and padding marked."""
    n = len(view.ids)
    marks = _mark_list(view.marks, n)
    kinds = list(MARK_COLORS)
    scale = [[pos, MARK_COLORS[k]] for i, k in enumerate(kinds) for pos in (i / len(kinds), (i + 1) / len(kinds))]
    tokens = list(view.tokens) + [""] * (n - len(view.tokens))
    text = [[f"{esc(tok)}{(' ' + m.symbol) if m.symbol else ''}<br><b>{i}</b>"
             for tok, i, m in zip(tokens, view.ids, marks, strict=True)]]
    hover = [[f"position {p + 1}: “{esc(tok)}” → id {i} ({m.label})"
              for p, (tok, i, m) in enumerate(zip(tokens, view.ids, marks, strict=True))]]
    fig = Figure(go.Heatmap(z=[[kinds.index(m) for m in marks]], text=text, texttemplate="%{text}",
                           textfont={"size": 16, "color": "white"}, colorscale=scale, zmin=0, zmax=len(kinds),
                           showscale=False, xgap=4, ygap=4, customdata=hover,
                           hovertemplate="%{customdata}<extra></extra>", x=list(range(1, n + 1)), name=view.key))
    for mark in dict.fromkeys(Mark.SOS if m is Mark.EOS else m for m in marks):
        fig.add_scatter(x=[None], y=[None], mode="markers", name=esc(f"{mark.symbol} {mark.label}".strip()),
                        marker={"symbol": "square", "size": 14, "color": MARK_COLORS[mark]})
    fig.update_xaxes(title_text="position", dtick=1, showgrid=False)
    fig.update_yaxes(visible=False)
    return base(fig, 240, legend={"orientation": "h", "y": -0.45, "x": 0}, margin={"l": 20, "r": 20, "t": 20,
                                                                                     "b": 70})


def heatmap_scale(values: list[float]) -> dict[str, Any]:
    """A sequential scale for non-negative data, else a diverging one centred on 0."""
    clean = [v for v in values if math.isfinite(v)] or [0.0]
    bound = max(abs(v) for v in clean) or 1.0
    if min(clean) >= 0:
        return {"colorscale": SEQUENTIAL, "zmin": 0, "zmax": max(clean) or 1.0}
    return {"colorscale": DIVERGING, "zmin": -bound, "zmax": bound}


def heatmap(z: Sequence[Sequence[float]], rows: Sequence[str], cols: Sequence[str], name: str,
            value_name: str = "value", numbers: bool = True, **extra: Any) -> go.Heatmap:
    """A heatmap whose hover text names the row, the column and the value, with numbers in small ones (unless
    ``numbers`` is False: a panel among several, too narrow for them)."""
    z = [finite(row) for row in z]
    values = [v for row in z for v in row if v is not None]
    n_rows, n_cols = len(z), len(z[0]) if z else 0
    cells = numbers and n_rows * n_cols <= MAX_CELL_TEXT and n_cols <= MAX_TEXT_COLUMNS
    hover = [[f"{rows[r] if r < len(rows) else r + 1}<br>{cols[c] if c < len(cols) else c}<br>{value_name} "
              f"{'n/a' if v is None else f'{v:.3f}'}" for c, v in enumerate(row)] for r, row in enumerate(z)]
    return go.Heatmap(z=z, x=list(range(n_cols)), y=list(range(n_rows)), xgap=1, ygap=1, name=name,
                      text=[["" if v is None else f"{v:.2f}" for v in row] for row in z] if cells else None,
                      texttemplate="%{text}" if cells else None, customdata=hover,
                      hovertemplate="%{customdata}<extra></extra>", **{**heatmap_scale(values or [0.0]), **extra})


@layer_figure.register
def matrix_figure(view: MatrixView) -> go.Figure:
    """A heatmap of the matrix with labelled rows (tokens, with their marks) and columns."""
    z = [list(row) for row in view.values]
    if not z or not z[0]:
        raise ValueError(f"matrix layer {view.key!r} has no values")
    n_rows, n_cols = len(z), len(z[0])
    marks = _mark_list(view.row_marks, n_rows)
    rows = list(view.rows) + [""] * (n_rows - len(view.rows))
    cols = [esc(c) for c in view.cols[:n_cols]] or [f"{view.col_title} {c + 1}" for c in range(n_cols)]
    hover_rows = [f"{i + 1} · {esc(r)}" for i, r in enumerate(rows)]
    fig = Figure(heatmap(z, hover_rows, cols, view.key, colorbar={"thickness": 14}))
    named = bool(view.cols)
    fig.update_xaxes(title_text=esc(view.col_title), side="top", showgrid=False, zeroline=False,
                     tickvals=list(range(n_cols)) if named else None, ticktext=cols if named else None)
    fig.update_yaxes(tickvals=list(range(n_rows)), ticktext=[tick_label(i + 1, r, m) for i, (r, m) in
                                                             enumerate(zip(rows, marks, strict=True))],
                     autorange="reversed", showgrid=False, zeroline=False, title_text=esc(view.row_title))
    return base(fig, max(260, 34 * n_rows + 110), margin={"l": 20, "r": 20, "t": 60, "b": 20})


@layer_figure.register
def vector_figure(view: VectorView) -> go.Figure:
    """Bars for each number of a vector: blue positive, orange negative."""
    values = finite(view.values)
    named = len(view.labels) == len(values)
    x = [esc(c) for c in view.labels] if named else [str(i + 1) for i in range(len(values))]
    fig = Figure(go.Bar(x=x, y=values, marker_color=[TRAIN if (v or 0) >= 0 else VAL for v in values],
                        name=view.key, hovertemplate="number %{x}: %{y:.3f}<extra></extra>"))
    fig.update_xaxes(title_text="" if named else "number", showgrid=False, type="category")
    fig.update_yaxes(zeroline=True, zerolinecolor="#111827", gridcolor="#e5e7eb")
    return base(fig, 300)


@layer_figure.register
def probabilities_figure(view: ProbabilitiesView) -> go.Figure:
    """Horizontal bars with percentages, one per class name; the most likely answer highlighted."""
    probs = finite(view.values)
    labels = [esc(label) for label in view.labels] or [str(i) for i in range(len(probs))]
    best = view.best if probs else -1
    fig = Figure(go.Bar(x=probs, y=labels, orientation="h", text=[esc(pct(p, 1)) for p in view.values],
                        textposition="outside", name=view.key, cliponaxis=False,
                        hovertemplate="%{y}: %{x:.1%}<extra></extra>",
                        marker_color=[ACCENT if i == best else MUTED for i in range(len(probs))]))
    fig.update_xaxes(range=[0, 1.15], tickformat=".0%", gridcolor="#e5e7eb", title_text="probability")
    fig.update_yaxes(type="category", autorange="reversed")
    return base(fig, 90 + 48 * len(probs), margin={"l": 20, "r": 40, "t": 20, "b": 20})


def _choice(token: str, prob: float, chosen: bool) -> str:
    label = esc(f"{token} {pct(prob)}")
    return f"<b>{label}</b>" if chosen else label


@layer_figure.register
def decoder_steps_figure(view: DecoderStepsView) -> go.Figure:
    """All decoder steps at a glance: one row per step, its top choices left to right, the chosen one bold."""
    steps = view.steps
    if not steps:
        raise ValueError(f"decoder layer {view.key!r} has no steps")
    k = max(len(s.top) for s in steps)
    z = [finite([p for _, p in s.top]) + [None] * (k - len(s.top)) for s in steps]
    text = [[_choice(tok, p, tok == s.chosen) for tok, p in s.top] + [""] * (k - len(s.top)) for s in steps]
    hover = [[f"step {s.step}: choice {j + 1} “{esc(tok)}” {pct(p, 1)}" for j, (tok, p) in enumerate(s.top)] +
             [""] * (k - len(s.top)) for s in steps]
    fig = Figure(go.Heatmap(z=z, text=text, texttemplate="%{text}", textfont={"size": 15}, colorscale=SEQUENTIAL,
                           zmin=0, zmax=1, xgap=3, ygap=3, name=view.key, customdata=hover,
                           hovertemplate="%{customdata}<extra></extra>",
                           colorbar={"title": {"text": "prob."}, "thickness": 14, "tickformat": ".0%"}))
    ticks = [f"{s.step}: {esc(s.input)} → {esc(s.chosen)}" for s in steps]
    fig.update_xaxes(tickvals=list(range(k)), ticktext=[f"choice {i + 1}" for i in range(k)], side="top")
    fig.update_yaxes(tickvals=list(range(len(steps))), ticktext=ticks, autorange="reversed")
    return base(fig, max(240, 44 * len(steps) + 100), margin={"l": 20, "r": 20, "t": 60, "b": 20})


@layer_figure.register
def decoder_step_figure(view: DecoderStepView) -> go.Figure:
    """One decoder step: its top choices (chosen one highlighted), the attention over the source words
    if the model attends, and its memory."""
    step = view.step
    attention = step.attention
    titles = ["Top choices for the next token"] + (["Attention over the source words"] if attention else []) + \
        [f"Decoder memory (first {len(step.hidden)} numbers)"]
    heights = [0.45, 0.35, 0.2] if attention else [0.7, 0.3]
    fig = make_subplots(rows=len(heights), cols=1, subplot_titles=titles, row_heights=heights, vertical_spacing=0.12,
                        figure=Figure())
    tokens, probs = [esc(t) for t, _ in step.top], [p for _, p in step.top]
    fig.add_bar(x=finite(probs), y=tokens, orientation="h", text=[esc(pct(p)) for p in probs], textposition="outside",
                cliponaxis=False, name="top choices", hovertemplate="“%{y}”: %{x:.1%}<extra></extra>",
                marker_color=[ACCENT if t == step.chosen else MUTED for t, _ in step.top], row=1, col=1)
    fig.update_xaxes(range=[0, 1.2], tickformat=".0%", row=1, col=1)
    fig.update_yaxes(type="category", autorange="reversed", row=1, col=1)  # digits are tokens, not numbers
    if attention:
        sources = [f"{i + 1} {esc(t)}" for i, t in enumerate(view.source[: len(attention)])]
        sources += [str(i + 1) for i in range(len(sources), len(attention))]
        fig.add_bar(x=sources, y=finite(attention), name="attention", marker_color=VAL,
                    text=[esc(pct(a)) for a in attention], textposition="outside", cliponaxis=False,
                    hovertemplate="%{x}: %{y:.1%} of the attention<extra></extra>", row=2, col=1)
        fig.update_xaxes(type="category", row=2, col=1)
        fig.update_yaxes(range=[0, 1.15], tickformat=".0%", row=2, col=1)
    if step.hidden:
        hidden = finite(step.hidden)
        last = len(heights)
        fig.add_trace(heatmap([hidden], ["memory"], [f"number {i + 1}" for i in range(len(hidden))], "hidden state",
                              showscale=False), row=last, col=1)
        fig.update_yaxes(visible=False, row=last, col=1)
    title = f"Step {step.step}: input <b>{esc(step.input)}</b> → chose <b>{esc(step.chosen)}</b>"
    fig.update_layout(showlegend=False, title={"text": title, "x": 0, "font": {"size": 18}})
    return base(fig, 680 if attention else 480, margin={"l": 20, "r": 20, "t": 90, "b": 20})


@layer_figure.register
def attention_figure(view: AttentionView) -> go.Figure:
    """One heatmap per head: rows are the words that look, columns the words looked at; padding marked."""
    heads = len(view.weights)
    cols = min(heads, 2)
    n_rows = math.ceil(heads / cols)
    titles = [_panel_title(view.heads[h], 14) if h < len(view.heads) else f"head {h + 1}" for h in range(heads)]
    # the words that look are labelled once, left of each row of panels: beside every panel they ran over the
    # panel to their left on a phone
    fig = make_subplots(rows=n_rows, cols=cols, subplot_titles=titles if heads > 1 else None,
                        horizontal_spacing=0.04, vertical_spacing=0.16, figure=Figure())
    row_marks = _mark_list(view.row_marks, len(view.rows))
    col_marks = _mark_list(view.col_marks, len(view.cols))
    row_ticks = [tick_label(i + 1, r, m) for i, (r, m) in enumerate(zip(view.rows, row_marks, strict=True))]
    # the words looked at by number (the rows name them; the hover says both, and each cell's weight): whole words,
    # tilted, and numbers in the cells ran into each other in a panel a quarter of the page wide
    col_ticks = [tick_label(i + 1, "", m) for i, m in enumerate(col_marks)]
    for h, weights in enumerate(view.weights):
        r, c = h // cols + 1, h % cols + 1
        fig.add_trace(heatmap(weights, [f"“{esc(t)}” looks at" for t in view.rows],
                              [f"“{esc(t)}”" for t in view.cols], f"head {h + 1}", "weight", zmin=0, zmax=1,
                              colorscale=SEQUENTIAL, showscale=h == 0, colorbar={"thickness": 14, "tickformat": ".0%"},
                              numbers=heads == 1),
                      row=r, col=c)
        # Not shared_yaxes: an axis that "matches" another is stored by Plotly as plain autorange once drawn, so a
        # copy of the figure (Streamlit's) looked changed and was drawn again. The same rows, labelled once.
        fig.update_yaxes(tickvals=list(range(len(row_ticks))), ticktext=row_ticks, autorange="reversed",
                         showticklabels=c == 1, row=r, col=c, **({} if c == 1 else {"ticks": ""}))
        fig.update_xaxes(tickvals=list(range(len(col_ticks))), ticktext=col_ticks, tickangle=0, tickfont_size=12,
                         row=r, col=c,
                         **({"title_text": "word looked at", "title_font_size": 14} if r == n_rows else {}))
    return base(fig, max(320, n_rows * (34 * len(view.rows) + 150)), margin={"l": 20, "r": 20, "t": 50, "b": 20})


@layer_figure.register
def lstm_gates_figure(view: LSTMGatesView) -> go.Figure:
    """The six aligned heatmaps of an LSTM over the words: i, f, g, o, then c and h."""
    names = [name for name, _ in LSTMGatesView.GATES]
    fig = make_subplots(rows=len(names), cols=1, shared_xaxes=False, vertical_spacing=0.035,
                        subplot_titles=[esc(text) for _, text in LSTMGatesView.GATES], figure=Figure())
    words = [f"{i + 1} · {esc(t)}" for i, t in enumerate(view.tokens)]
    for k, name in enumerate(names, start=1):
        z = [list(row) for row in getattr(view, name)]
        bounded = {"zmin": 0, "zmax": 1, "colorscale": SEQUENTIAL} if name in "ifo" else \
            {"zmin": -1, "zmax": 1, "colorscale": DIVERGING} if name in "gh" else {}
        fig.add_trace(heatmap(z, words, [f"unit {u + 1}" for u in range(len(z[0]) if z else 0)], name, name,
                              showscale=False, **bounded), row=k, col=1)
        fig.update_yaxes(tickvals=list(range(len(words))), ticktext=words, autorange="reversed", row=k, col=1)
        fig.update_xaxes(showticklabels=k == len(names), title_text="hidden unit" if k == len(names) else "",
                         row=k, col=1)
    return base(fig, len(names) * (26 * len(words) + 70) + 60, showlegend=False,
                margin={"l": 20, "r": 20, "t": 40, "b": 40})
