"""Plotly figure builders: plain functions, data in -> ``go.Figure`` out. No Streamlit here.

``layer_figure(view)`` draws any prediction layer with the builder registered for its type
(``functools.singledispatch``): a new kind of view registers one builder here. Every label that may
come from a learner's input is HTML-escaped, because Plotly renders a subset of HTML in text.
"""

from __future__ import annotations

import html
import math
import textwrap
from collections.abc import Callable, Sequence
from functools import singledispatch
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pipeline.document.views import (
    AttentionView,
    DecoderStepsView,
    DecoderStepView,
    FeatureMapsView,
    ImageView,
    LSTMGatesView,
    Mark,
    MatrixView,
    ProbabilitiesView,
    TextView,
    TokensView,
    VectorView,
    View,
)
from pipeline.render.describe import focus, real_rows
from pipeline.render.drawing import Figure, drawn_once
from pipeline.render.margins import fit_margins, text_size
from pipeline.render.numbers import percent, plain, signed
from pipeline.training.live import TrainingLog
from pipeline.training.results import EpochResult

FONT = {"size": 16}
TRAIN, VAL, BATCH = "#1d4ed8", "#c2410c", "#93c5fd"
ACCENT, MUTED, DONE, TODO = "#1d4ed8", "#6b7280", "#bfdbfe", "#f3f4f6"
MARK_COLORS = {Mark.WORD: "#1d4ed8", Mark.UNK: "#b45309", Mark.PAD: "#4b5563", Mark.SOS: "#6d28d9",
               Mark.EOS: "#6d28d9"}
DIVERGING, SEQUENTIAL = "RdBu_r", "Blues"
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


# --- training --------------------------------------------------------------------------------------

def training_curves(epochs: Sequence[EpochResult], log: TrainingLog | None = None,
                    total_epochs: int | None = None) -> go.Figure:
    """Loss above accuracy, over the same epochs: per-epoch training and validation lines, per-batch values faintly.

    Stacked, not side by side: on a phone two panels side by side left each title a third of the screen, and the
    titles ran into each other; the legend sits above both panels, where nothing else is."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, figure=Figure())
    if log and log.batch_x:
        for row, (values, what, fmt) in enumerate(((log.batch_loss, "loss", ".3f"),
                                                   (log.batch_accuracy, "accuracy", ".0%")), start=1):
            fig.add_scatter(x=log.batch_x, y=finite(values), name="training, each batch", mode="lines",
                            legendgroup="batch", showlegend=row == 1, line={"color": BATCH, "width": 1}, row=row,
                            col=1, hovertemplate=f"epoch %{{x:.2f}}<br>batch {what} %{{y:{fmt}}}<extra></extra>")
    x = [e.epoch for e in epochs]
    for row, (train, val, what, fmt) in enumerate([("loss", "val_loss", "loss", ".3f"),
                                                    ("accuracy", "val_accuracy", "accuracy", ".1%")], start=1):
        for attr, who, line in ((train, "training", {"color": TRAIN, "width": 3}),
                                (val, "validation", {"color": VAL, "width": 3, "dash": "dash"})):
            fig.add_scatter(x=x, y=finite([getattr(e, attr) for e in epochs]), name=who, legendgroup=who,
                            showlegend=row == 1, mode="lines+markers", line=line, row=row, col=1,
                            hovertemplate=f"epoch %{{x}}<br>{who} {what} %{{y:{fmt}}}<extra></extra>")
    return _loss_and_accuracy_axes(fig, total_epochs or max(x, default=1), 480)


def _loss_and_accuracy_axes(fig: go.Figure, epochs: int, height: int, what: str = "") -> go.Figure:
    """Epochs along both panels (titled once, under the lower one), loss from zero above, accuracy 0-100 % below,
    each panel named by its y axis; the legend above the panels."""
    fig.update_xaxes(range=[0, epochs + 0.1], dtick=max(1, math.ceil(epochs / 10)), showgrid=True,
                     gridcolor="#e5e7eb")
    fig.update_xaxes(title_text="epoch", row=2, col=1)
    fig.update_yaxes(showgrid=True, gridcolor="#e5e7eb", rangemode="tozero", title_text=f"{what}loss<br>(lower is "
                     "better)", title_font_size=14, row=1, col=1)
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", showgrid=True, gridcolor="#e5e7eb",
                     title_text=f"{what}accuracy<br>(higher is better)", title_font_size=14, row=2, col=1)
    return base(fig, height, legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1, "yanchor": "bottom"},
                margin={"l": 20, "r": 20, "t": 50, "b": 20})


RUN_COLORS = ["#1d4ed8", "#c2410c", "#15803d", "#7c3aed", "#b45309", "#0f766e", "#be185d", "#4b5563"]
RUN_DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "solid", "dash"]


def runs_overlay(runs: Sequence[tuple[str, Sequence[EpochResult]]]) -> go.Figure:
    """Several runs' validation loss and accuracy, epoch by epoch, one line per run labelled with what set
    it apart; colour and dash both change from run to run, so colour never tells them apart alone."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, figure=Figure())
    longest = 1
    for k, (label, epochs) in enumerate(runs):
        x = [e.epoch for e in epochs]
        longest = max(longest, *x) if x else longest
        line = {"color": RUN_COLORS[k % len(RUN_COLORS)], "dash": RUN_DASHES[k % len(RUN_DASHES)], "width": 2.5}
        name = esc(label)
        for row, (attr, fmt) in enumerate((("val_loss", ".3f"), ("val_accuracy", ".1%")), start=1):
            fig.add_scatter(x=x, y=finite([getattr(e, attr) for e in epochs]), name=name, legendgroup=str(k),
                            showlegend=row == 1, mode="lines+markers", line=line, row=row, col=1,
                            hovertemplate=f"{name}<br>epoch %{{x}}: %{{y:{fmt}}}<extra></extra>")
    return _loss_and_accuracy_axes(fig, longest, 520, "validation ")


def probes_figure(epochs: Sequence[EpochResult]) -> go.Figure | None:
    """How the answers to the probe sentences changed while the model learned: one panel per sentence,
    one line per class (its probability after each epoch). None when the answers are not probabilities."""
    probes = list(epochs[0].probes) if epochs else []
    if not probes or not all(isinstance(a, dict) for e in epochs for a in e.probes.values()):
        return None
    classes = list(epochs[0].probes[probes[0]])
    cols = min(len(probes), 2)  # two panels a row, their titles short enough for half a phone's width
    rows = math.ceil(len(probes) / cols)
    fig = make_subplots(rows=rows, cols=cols, shared_yaxes=True, horizontal_spacing=0.06,
                        vertical_spacing=0.34 / rows, subplot_titles=[_panel_title(p, 16) for p in probes],
                        figure=Figure())
    # ten distinct colours: the digits lessons have ten classes, and a colour used twice would pair two of them
    colors = ["#c2410c", "#6b7280", "#1d4ed8", "#15803d", "#7c3aed", "#b45309", "#0f766e", "#be185d", "#111827",
              "#0891b2"]
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
    fig.update_annotations(font_size=12)  # the panel titles: two short lines each, never over the next panel's
    # the legend under everything: below the "epoch" titles (yanchor top), pushing the bottom margin as it wraps
    return base(fig, 250 * rows + 110, legend={"orientation": "h", "y": -0.42 / rows, "yanchor": "top", "x": 0},
                margin={"l": 20, "r": 20, "t": 70, "b": 90})


def _panel_title(text: str, width: int = 22) -> str:
    """A probe sentence as a panel title: at most two lines of ``width`` characters, escaped."""
    lines = textwrap.wrap(text, width) or [""]
    if len(lines) > 2:
        lines = [lines[0], _short(" ".join(lines[1:]), width)]
    return "<br>".join(esc(line) for line in lines)


def _short(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- prediction layers -----------------------------------------------------------------------------
#
# Every picture is readable at the widths the app gives it -- a stage picture beside its words on a laptop
# (~560 px), on a projector at 150 % (~540 px) and on a phone (~360 px) -- so no label is placed where a narrow
# chart would run it into the next: panels are stacked, never side by side; words go on the y axis, where they
# have the room of the left margin; heatmaps print no numbers in their cells (the hover, the verdict and the
# stage's table give them). Every heatmap has a colour bar with its range; padding is folded away where it
# carries nothing (the caption, ``describe.drawn``, says so); what the verdict names is marked (``describe.focus``).

MARKED = "#111827"  # the outline around what the verdict names


@singledispatch
def layer_figure(view: View) -> go.Figure | None:
    """The figure for a prediction layer, by its type; None for a view that is plain text."""
    raise TypeError(f"no figure is registered for {type(view).__name__}")


@layer_figure.register
def _(view: TextView) -> None:
    return None


def _mark_list(marks: Sequence[Mark], n: int) -> list[Mark]:
    return list(marks)[:n] + [Mark.WORD] * (n - len(marks))


def tick_label(position: int, token: str, mark: Mark, marked: bool = False) -> str:
    """``3 · good``, with the mark's symbol for unknown words and padding (colour is never the only sign); a row
    the verdict names is bold, with an arrow."""
    symbol = f" {mark.symbol}" if mark.symbol else ""
    text = f"{position} · {esc(token)}{symbol}" if token else str(position)
    if marked:
        text = f"<b>▶ {text}</b>"
    return text if mark is Mark.WORD else f"<span style='color:{MARK_COLORS[mark]}'>{text}</span>"


def colorbar(title: str, tickformat: str = "", **extra: Any) -> dict[str, Any]:
    """A colour bar with its title (what the colours mean) above it."""
    return {"title": {"text": esc(title), "side": "top", "font": {"size": 13}}, "thickness": 12,
            "tickfont": {"size": 12}, "tickformat": tickformat, "outlinewidth": 0, **extra}


def heatmap_scale(values: list[float]) -> dict[str, Any]:
    """A sequential scale for non-negative data, else a diverging one centred on 0 (the sign matters)."""
    clean = [v for v in values if math.isfinite(v)] or [0.0]
    bound = max(abs(v) for v in clean) or 1.0
    if min(clean) >= 0:
        return {"colorscale": SEQUENTIAL, "zmin": 0, "zmax": max(clean) or 1.0}
    return {"colorscale": DIVERGING, "zmin": -bound, "zmax": bound, "zmid": 0}


def heatmap(z: Sequence[Sequence[float]], rows: Sequence[str], cols: Sequence[str], name: str,
            value_name: str = "value", fmt: Callable[[float], str] = signed, **extra: Any) -> go.Heatmap:
    """A heatmap whose hover names the row, the column and the value (written by ``fmt``, as the verdict writes
    it); a colour bar titled ``value_name`` unless ``showscale=False``."""
    z = [finite(row) for row in z]
    values = [v for row in z for v in row if v is not None]
    hover = [[f"{rows[r] if r < len(rows) else r + 1}<br>{cols[c] if c < len(cols) else c + 1}<br>{esc(value_name)} "
              f"{'n/a' if v is None else fmt(v)}" for c, v in enumerate(row)] for r, row in enumerate(z)]
    n_cols = len(z[0]) if z else 0
    return go.Heatmap(z=z, x=list(range(n_cols)), y=list(range(len(z))), xgap=1, ygap=1, name=name,
                      customdata=hover, hovertemplate="%{customdata}<extra></extra>",
                      **{"colorbar": colorbar(value_name), **heatmap_scale(values or [0.0]), **extra})


def outline(fig: go.Figure, x: tuple[float, float], y: tuple[float, float], xref: str = "x", yref: str = "y"
            ) -> None:
    """A dark frame around cells (``x``, ``y``: the first and last cell index on each axis): what the verdict names."""
    fig.add_shape(type="rect", x0=x[0] - 0.5, x1=x[1] + 0.5, y0=y[0] - 0.5, y1=y[1] + 0.5, xref=xref, yref=yref,
                  line={"color": MARKED, "width": 2.5}, fillcolor="rgba(0,0,0,0)", layer="above")


@layer_figure.register
def tokens_figure(view: TokensView) -> go.Figure:
    """The positions as a column, one row each -- whole words always fit, however narrow the chart: the token in a
    cell coloured by what it holds, its id (with what an id means: padding, unknown, a marker) and, for tokens a
    model wrote, how sure it was of each."""
    n = len(view.ids)
    marks = _mark_list(view.marks, n)
    tokens = list(view.tokens) + [""] * (n - len(view.tokens))
    probs = [percent(p) for p in view.probs[:n]]
    probs += [""] * (n - len(probs)) if probs else []
    columns = ["token", "id"] + (["how sure"] if probs else [])
    kinds = list(MARK_COLORS)
    grey = len(kinds)  # the id and probability cells: the band above the marks' colours
    z = [[kinds.index(m)] + [grey] * (len(columns) - 1) for m in marks]
    text, hover = [], []
    for p, (tok, i, m) in enumerate(zip(tokens, view.ids, marks, strict=True)):
        sure = [esc(probs[p])] if probs else []
        text.append([f"{esc(tok)}{(' ' + m.symbol) if m.symbol else ''}", _id_text(i, m), *sure])
        hover.append([f"position {p + 1}: “{esc(tok)}” → id {i} ({esc(m.label)})"
                      + (f", {sure[0]} sure" if sure else "")] * len(columns))
    fig = Figure(go.Heatmap(z=z, text=text, texttemplate="%{text}", colorscale=_token_scale(), zmin=-0.5,
                           zmax=grey + 0.5, showscale=False, xgap=3, ygap=3, customdata=hover, name=view.key,
                           hovertemplate="%{customdata}<extra></extra>", x=list(range(len(columns))),
                           y=list(range(n)), textfont={"size": 15}))
    # white on the coloured token cells, dark on the grey ones (Plotly picks the text colour per cell from the fill)
    focused = sorted(set(focus(view).rows) | {r for r, _ in focus(view).cells})
    fig.update_xaxes(tickvals=list(range(len(columns))), ticktext=columns, side="top", showgrid=False, ticks="")
    fig.update_yaxes(tickvals=list(range(n)), ticktext=[f"<b>▶ {p + 1}</b>" if p in focused else str(p + 1)
                                                          for p in range(n)],
                     autorange="reversed", showgrid=False, ticks="", title_text="position")
    for r in focused:
        outline(fig, (0, len(columns) - 1), (r, r))
    return base(fig, 70 + 36 * n, margin={"l": 20, "r": 20, "t": 40, "b": 10})


def _token_scale() -> list[list[Any]]:
    """Discrete colours: one band per mark (z = the mark's index), then light grey (z = the number of marks)."""
    bands = [*MARK_COLORS.values(), "#e5e7eb"]
    n = len(bands)
    return [[pos, colour] for i, colour in enumerate(bands) for pos in (i / n, (i + 1) / n)]


def _id_text(token_id: int, mark: Mark) -> str:
    """An id, and what it is when it is not a known word: ``0 (padding)``."""
    meaning = {Mark.PAD: "padding", Mark.UNK: "unknown", Mark.SOS: "start", Mark.EOS: "end"}.get(mark)
    return f"{token_id} ({meaning})" if meaning else str(token_id)


@layer_figure.register
def matrix_figure(view: MatrixView) -> go.Figure:
    """A heatmap of the rows that hold something (padding folded away, and said so), named by their words, with a
    colour bar; the rows the verdict names framed and pointed at."""
    z = [list(row) for row in view.values]
    if not z or not z[0]:
        raise ValueError(f"matrix layer {view.key!r} has no values")
    marks = _mark_list(view.row_marks, len(z))
    names = list(view.rows) + [""] * (len(z) - len(view.rows))
    shown = real_rows(marks, len(z)) or list(range(len(z)))
    focused = set(focus(view).rows)
    n_cols = len(z[0])
    cols = [esc(c) for c in view.cols[:n_cols]] or [f"{esc(view.col_title)} {c + 1}" for c in range(n_cols)]
    fig = Figure(heatmap([z[r] for r in shown], [f"{r + 1} · {esc(names[r])}" for r in shown], cols, view.key))
    named = bool(view.cols)
    fig.update_xaxes(title_text=esc(view.col_title), side="top", showgrid=False, zeroline=False,
                     tickvals=list(range(n_cols)) if named else None, ticktext=cols if named else None)
    fig.update_yaxes(tickvals=list(range(len(shown))), autorange="reversed", showgrid=False, zeroline=False,
                     ticktext=[tick_label(r + 1, names[r], marks[r], r in focused) for r in shown])
    for i, r in enumerate(shown):
        if r in focused:
            outline(fig, (0, n_cols - 1), (i, i))
    return base(fig, max(200, 34 * len(shown) + 110), margin={"l": 20, "r": 20, "t": 60, "b": 20})


@layer_figure.register
def vector_figure(view: VectorView) -> go.Figure:
    """Bars for each number of a vector: blue positive, orange negative; the largest in size framed."""
    values = finite(view.values)
    named = len(view.labels) == len(values)
    x = [esc(c) for c in view.labels] if named else list(range(1, len(values) + 1))
    hover = [f"{esc(view.labels[i]) if named else f'number {i + 1}'}: {signed(v, 3) if v is not None else 'n/a'}"
             for i, v in enumerate(values)]
    fig = Figure(go.Bar(x=x, y=values, marker_color=[TRAIN if (v or 0) >= 0 else VAL for v in values],
                        name=view.key, customdata=hover, hovertemplate="%{customdata}<extra></extra>"))
    fig.update_xaxes(title_text=view.dims[-1] if view.dims else "" if named else "number", showgrid=False,
                     type="category" if named else "linear", range=None if named else [0.4, len(values) + 0.6])
    fig.update_yaxes(zeroline=True, zerolinecolor="#111827", gridcolor="#e5e7eb", title_text="value")
    at = focus(view).cols
    for j in at:  # bars stand at 1, 2, ... on a numbered axis, at 0, 1, ... on a named one
        left = j - 0.5 if named else j + 0.5
        fig.add_shape(type="rect", x0=left, x1=left + 1, y0=0, y1=values[j] or 0, xref="x", yref="y",
                      line={"color": MARKED, "width": 2.5}, layer="above")
    if named:  # the name the verdict gives, bold
        fig.update_xaxes(tickvals=x, ticktext=[f"<b>{t}</b>" if i in at else t for i, t in enumerate(x)])
    return base(fig, 300)


@layer_figure.register
def probabilities_figure(view: ProbabilitiesView) -> go.Figure:
    """Horizontal bars with percentages, one per class name; the most likely answer highlighted."""
    probs = finite(view.values)
    labels = [esc(label) for label in view.labels] or [str(i) for i in range(len(probs))]
    best = view.best if probs else -1
    texts = [esc(percent(p)) for p in view.values]
    fig = Figure(go.Bar(x=probs, y=labels, orientation="h", text=texts, textposition="outside", name=view.key,
                        cliponaxis=False, customdata=[f"{label}: {t}" for label, t in zip(labels, texts, strict=True)],
                        hovertemplate="%{customdata}<extra></extra>",
                        marker_color=[ACCENT if i == best else MUTED for i in range(len(probs))]))
    fig.update_xaxes(range=[0, 1.2], tickformat=".0%", gridcolor="#e5e7eb", title_text="probability")
    fig.update_yaxes(type="category", autorange="reversed",
                     ticktext=[f"<b>{t}</b>" if i == best else t for i, t in enumerate(labels)], tickvals=labels)
    return base(fig, 110 + 48 * len(probs), margin={"l": 20, "r": 20, "t": 20, "b": 20})


def _choice(token: str, prob: float, chosen: bool) -> str:
    label = esc(f"{token} {percent(prob)}")
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
    hover = [[f"step {s.step}: choice {j + 1} “{esc(tok)}” {percent(p)}" for j, (tok, p) in enumerate(s.top)] +
             [""] * (k - len(s.top)) for s in steps]
    fig = Figure(go.Heatmap(z=z, text=text, texttemplate="%{text}", textfont={"size": 14}, colorscale=SEQUENTIAL,
                           zmin=0, zmax=1, xgap=3, ygap=3, name=view.key, customdata=hover,
                           hovertemplate="%{customdata}<extra></extra>", colorbar=colorbar("probability", ".0%")))
    ticks = [f"{s.step}: {esc(s.input)} → {esc(s.chosen)}" for s in steps]
    fig.update_xaxes(tickvals=list(range(k)), ticktext=[f"choice {i + 1}" for i in range(k)], side="top")
    fig.update_yaxes(tickvals=list(range(len(steps))), ticktext=ticks, autorange="reversed")
    return base(fig, max(240, 44 * len(steps) + 100), margin={"l": 20, "r": 20, "t": 60, "b": 20})


@layer_figure.register
def decoder_step_figure(view: DecoderStepView) -> go.Figure:
    """One decoder step: its top choices (the chosen one highlighted) and, if the model attends, how much it looks
    at each source word -- both as horizontal bars, so every word is written level, on the left."""
    step = view.step
    attention = step.attention
    titles = ["Top choices for the next token"] + (["Attention over the source words"] if attention else [])
    sources = [f"{i + 1} · {esc(t)}" for i, t in enumerate(view.source[: len(attention or ())])]
    sources += [str(i + 1) for i in range(len(sources), len(attention or ()))]
    rows = [len(step.top), len(sources)] if attention else [len(step.top)]
    fig = make_subplots(rows=len(rows), cols=1, subplot_titles=titles, row_heights=[max(r, 1) for r in rows],
                        vertical_spacing=0.22 if attention else 0.1, figure=Figure())
    tokens, probs = [esc(t) for t, _ in step.top], [p for _, p in step.top]
    texts = [esc(percent(p)) for p in probs]
    fig.add_bar(x=finite(probs), y=tokens, orientation="h", text=texts, textposition="outside", cliponaxis=False,
                name="top choices", customdata=[f"“{t}”: {p}" for t, p in zip(tokens, texts, strict=True)],
                hovertemplate="%{customdata}<extra></extra>",
                marker_color=[ACCENT if t == step.chosen else MUTED for t, _ in step.top], row=1, col=1)
    fig.update_xaxes(range=[0, 1.25], tickformat=".0%", row=1, col=1)
    fig.update_yaxes(type="category", autorange="reversed", row=1, col=1)  # digits are tokens, not numbers
    if attention:
        shares = [esc(percent(a)) for a in attention]
        top = set(focus(view).cols)
        fig.add_bar(x=finite(attention), y=sources, orientation="h", name="attention", text=shares,
                    textposition="outside", cliponaxis=False,
                    marker_color=[VAL if j in top else "#fdba74" for j in range(len(attention))],
                    customdata=[f"{w}: {s} of the attention" for w, s in zip(sources, shares, strict=True)],
                    hovertemplate="%{customdata}<extra></extra>", row=2, col=1)
        fig.update_xaxes(range=[0, 1.25], tickformat=".0%", row=2, col=1)
        fig.update_yaxes(type="category", autorange="reversed", row=2, col=1)
    fig.update_layout(showlegend=False)
    fig.update_annotations(font_size=15, xanchor="left", x=0)  # the panel titles, left-aligned over their bars
    return base(fig, 100 + 34 * sum(rows) + 60 * len(rows), margin={"l": 20, "r": 20, "t": 40, "b": 20})


ATTENTION_ROW_PX = 30
NARROW_PLOT_PX = 220  # a stage picture's plot area on a phone: wider labels than this fits are turned upright
TITLE_PX = 34  # a panel title and the space above it


@layer_figure.register
def attention_figure(view: AttentionView) -> go.Figure:
    """One heatmap per head, stacked (side by side, two narrow panels ran their labels together): rows are the
    words that look, columns the words looked at, both named -- under each panel, upright when a phone would not
    fit them level, with room for them before the next panel's title; padding folded away; the column the verdict
    names (or its cells) framed in every head."""
    heads = len(view.weights)
    row_marks = _mark_list(view.row_marks, len(view.rows))
    rows = real_rows(row_marks, len(view.rows)) or list(range(len(view.rows)))
    cols = real_rows(_mark_list(view.col_marks, len(view.cols)), len(view.cols)) or list(range(len(view.cols)))
    at = focus(view)
    col_ticks = [f"<b>{esc(view.cols[c])}</b>" if c in at.cols else esc(view.cols[c]) for c in cols]
    widest = max((text_size(t, 13)[0] for t in col_ticks), default=0.0)
    upright = len(cols) * (widest + 8) > NARROW_PLOT_PX
    labels_px = (widest if upright else 18) + 16
    panel_px = ATTENTION_ROW_PX * len(rows) + 8
    gap_px = labels_px + TITLE_PX
    plot_px = heads * panel_px + (heads - 1) * gap_px
    titles = [esc(view.heads[h]) if h < len(view.heads) else f"head {h + 1}" for h in range(heads)]
    fig = make_subplots(rows=heads, cols=1, subplot_titles=titles if heads > 1 else None, figure=Figure(),
                        vertical_spacing=gap_px / plot_px if heads > 1 else 0)
    row_ticks = [tick_label(r + 1, view.rows[r], row_marks[r], r in {c for c, _ in at.cells}) for r in rows]
    for h, weights in enumerate(view.weights):
        grid = [[weights[r][c] for c in cols] for r in rows]
        fig.add_trace(heatmap(grid, [f"“{esc(view.rows[r])}” looks at" for r in rows],
                              [f"“{esc(view.cols[c])}”" for c in cols], f"head {h + 1}", "weight", percent, zmin=0,
                              zmax=1, colorscale=SEQUENTIAL, showscale=h == 0,
                              colorbar=colorbar("weight", ".0%", len=min(1.0, 300 / plot_px), y=1, yanchor="top")),
                      row=h + 1, col=1)
        fig.update_yaxes(tickvals=list(range(len(rows))), ticktext=row_ticks, autorange="reversed", row=h + 1, col=1)
        fig.update_xaxes(tickvals=list(range(len(cols))), ticktext=col_ticks, tickangle=-90 if upright else 0,
                         tickfont_size=13, row=h + 1, col=1)
        axis = "" if h == 0 else str(h + 1)
        for c in at.cols:
            if c in cols:
                outline(fig, (cols.index(c), cols.index(c)), (0, len(rows) - 1), f"x{axis}", f"y{axis}")
        for r, c in at.cells:
            if r in rows and c in cols:
                outline(fig, (cols.index(c), cols.index(c)), (rows.index(r), rows.index(r)), f"x{axis}", f"y{axis}")
    fig.update_annotations(font_size=14, xanchor="left", x=0)  # head titles, left-aligned over their panels
    fig.update_xaxes(title_text="word looked at" if view.rows == view.cols else "source word", title_font_size=14,
                     row=heads, col=1)
    top = TITLE_PX + 16
    return base(fig, plot_px + top + labels_px + 50, margin={"l": 20, "r": 20, "t": top, "b": labels_px + 40})


GATE_SCALES = {"i": ("0 to 1", {"zmin": 0, "zmax": 1, "colorscale": SEQUENTIAL}),
               "f": ("0 to 1", {"zmin": 0, "zmax": 1, "colorscale": SEQUENTIAL}),
               "o": ("0 to 1", {"zmin": 0, "zmax": 1, "colorscale": SEQUENTIAL}),
               "g": ("−1 to 1", {"zmin": -1, "zmax": 1, "zmid": 0, "colorscale": DIVERGING}),
               "h": ("−1 to 1", {"zmin": -1, "zmax": 1, "zmid": 0, "colorscale": DIVERGING})}


@layer_figure.register
def lstm_gates_figure(view: LSTMGatesView) -> go.Figure:
    """The six aligned heatmaps of an LSTM over the words -- i, f, g, o, then c and h -- each with its own colour
    bar (gates 0-1, candidate and hidden state -1 to 1, the memory around 0); the word where the forget gate is
    lowest framed on the forget gate's panel."""
    names = [name for name, _ in LSTMGatesView.GATES]
    n = len(view.tokens)
    spacing = 0.045
    fig = make_subplots(rows=len(names), cols=1, shared_xaxes=False, vertical_spacing=spacing,
                        subplot_titles=[esc(text) for _, text in LSTMGatesView.GATES], figure=Figure())
    focused = set(focus(view).rows)
    words = [f"{i + 1} · {esc(t)}" for i, t in enumerate(view.tokens)]
    ticks = [f"<b>▶ {w}</b>" if i in focused else w for i, w in enumerate(words)]
    panel = (1 - spacing * (len(names) - 1)) / len(names)
    for k, name in enumerate(names, start=1):
        z = [list(row) for row in getattr(view, name)]
        units = len(z[0]) if z else 0
        _, scale = GATE_SCALES.get(name, ("", {}))
        centre = 1 - (k - 1) * (panel + spacing) - panel / 2
        bar = colorbar(name, len=panel, y=centre, yanchor="middle")
        fig.add_trace(heatmap(z, words, [f"unit {u + 1}" for u in range(units)], name, name,
                              **{**scale, "colorbar": bar}), row=k, col=1)
        fig.update_yaxes(tickvals=list(range(n)), ticktext=ticks if name == "f" else words, autorange="reversed",
                         row=k, col=1)
        fig.update_xaxes(showticklabels=k == len(names), title_text="hidden unit" if k == len(names) else "",
                         row=k, col=1)
        if name == "f":
            for r in focused:
                outline(fig, (0, units - 1), (r, r), f"x{k}", f"y{k}")
    fig.update_annotations(font_size=14, xanchor="left", x=0)  # panel titles, left-aligned: never under a colour bar
    return base(fig, len(names) * (26 * n + 70) + 60, showlegend=False,
                margin={"l": 20, "r": 20, "t": 40, "b": 40})


MAPS_PER_ROW = 4  # small images a row: on a phone each is still about 80 px wide
MAP_PX, KERNEL_PX, MAP_TITLE_PX = 105, 60, 30  # a square map's row; a kernel's row; a title


@layer_figure.register
def feature_maps_figure(view: FeatureMapsView) -> go.Figure:
    """Each drawn channel as a small image, in the view's order (the most active first), under one colour scale so
    the maps compare; its channel named above it, the one the verdict names framed and pointed at. With kernels, a
    row of the kernels that made them under each row of maps, on a scale of their own centred on 0."""
    k = len(view.values)
    if not k or not view.values[0] or not view.values[0][0]:
        raise ValueError(f"feature-map layer {view.key!r} has no values")
    per_row = min(MAPS_PER_ROW, k)
    map_rows = math.ceil(k / per_row)
    kernels = bool(view.kernels)
    rows = map_rows * (2 if kernels else 1)
    aspect = len(view.values[0]) / len(view.values[0][0])  # a map's height over its width
    map_px = round(min(2.0, max(0.5, aspect)) * MAP_PX)
    heights = [map_px, KERNEL_PX] * map_rows if kernels else [map_px] * map_rows
    at = set(focus(view).rows)
    titles: list[str] = []
    for r in range(map_rows):
        chunk = range(r * per_row, min(k, (r + 1) * per_row))
        # "ch 12", not "channel 12": four titles side by side on a phone (~75 px each) ran into each other
        titles += [f"<b>▶ ch {view.channels[i]}</b>" if i in at else f"ch {view.channels[i]}" for i in chunk]
        titles += [""] * (per_row - len(chunk))
        if kernels:
            titles += [""] * per_row
    fig = make_subplots(rows=rows, cols=per_row, row_heights=heights, subplot_titles=titles, figure=Figure(),
                        horizontal_spacing=0.04, vertical_spacing=MAP_TITLE_PX / (sum(heights) + MAP_TITLE_PX * rows))
    every = [v for m in view.values for row in m for v in row]
    scale = heatmap_scale(every)
    plot_px = sum(heights) + MAP_TITLE_PX * rows
    for i, m in enumerate(view.values):
        row, col = (i // per_row) * (2 if kernels else 1) + 1, i % per_row + 1
        names = [f"channel {view.channels[i]}, row {r + 1}" for r in range(len(m))]
        image = heatmap(m, names, [f"column {c + 1}" for c in range(len(m[0]))], f"channel {view.channels[i]}",
                        **scale, showscale=i == 0, colorbar=colorbar("value", len=min(1.0, 260 / plot_px), y=1,
                                                                     yanchor="top"))
        fig.add_trace(image.update(xgap=0, ygap=0), row=row, col=col)  # an image: no gaps between its pixels
        if i in at:
            outline(fig, (0, len(m[0]) - 1), (0, len(m) - 1), _axis("x", fig, row, col), _axis("y", fig, row, col))
        if kernels and i < len(view.kernels) and view.kernels[i]:
            fig.add_trace(_kernel(view, i, i == 0, plot_px), row=row + 1, col=col)
    fig.update_xaxes(showticklabels=False, showgrid=False, ticks="", constrain="domain")
    # each image hangs from its title: the square pixels leave the rest of its row's height below it
    fig.update_yaxes(showticklabels=False, showgrid=False, ticks="", autorange="reversed", constrain="domain",
                     constraintoward="top")
    for trace in fig.data:  # square pixels: an image, not a stretched grid
        fig.layout[f"yaxis{trace.yaxis[1:]}"].scaleanchor = trace.xaxis
    fig.update_annotations(font_size=13)
    return base(fig, plot_px + 40, margin={"l": 10, "r": 20, "t": 30, "b": 10})


def _kernel(view: FeatureMapsView, i: int, scale: bool, plot_px: int) -> go.Heatmap:
    """The kernel that made map ``i`` (its first input channel's slice), on a scale centred on 0 shared by all."""
    w = view.kernels[i][0]
    bound = max((abs(v) for kernel in view.kernels if kernel for row in kernel[0] for v in row if math.isfinite(v)),
                default=1.0) or 1.0
    bar = colorbar("kernel weight", len=min(1.0, 160 / plot_px), y=0, yanchor="bottom")
    return heatmap(w, [f"kernel row {r + 1}" for r in range(len(w))],
                   [f"kernel column {c + 1}" for c in range(len(w[0]) if w else 0)], f"kernel {view.channels[i]}",
                   "weight", colorscale=DIVERGING, zmin=-bound, zmax=bound, zmid=0, showscale=scale, colorbar=bar)


def _axis(letter: str, fig: go.Figure, row: int, col: int) -> str:
    """The axis name (``x3``, ``y3``) of the subplot at ``row``, ``col``, as a shape's ``xref`` or ``yref``."""
    axis = fig.get_subplot(row, col)
    name = (axis.xaxis if letter == "x" else axis.yaxis).plotly_name  # "xaxis3"
    return letter + name.removeprefix(f"{letter}axis")


INK = [[0.0, "#ffffff"], [1.0, "#111827"]]  # white paper to dark ink
IMAGE_PX = 300  # the image's side on a laptop; it shrinks with the chart on a phone


@layer_figure.register
def image_figure(view: ImageView) -> go.Figure:
    """The image a network reads, large and pixel by pixel, white (no ink) to dark (full ink) with its colour bar;
    the rows and columns the ink spans (what the verdict names) framed."""
    image = view.values[0] if view.values else ()
    if not image or not image[0]:
        raise ValueError(f"image layer {view.key!r} has no values")
    n, m = len(image), len(image[0])
    fig = Figure(heatmap(image, [f"row {r + 1}" for r in range(n)], [f"column {c + 1}" for c in range(m)], view.key,
                         "ink", plain, zmin=0, zmax=view.full or 1.0, colorscale=INK,
                         colorbar=colorbar("ink", len=0.8)).update(xgap=0, ygap=0))
    at = focus(view)
    if at.rows and at.cols:
        outline(fig, (min(at.cols), max(at.cols)), (min(at.rows), max(at.rows)))
    fig.update_xaxes(tickvals=list(range(m)), ticktext=[str(c + 1) for c in range(m)], side="top", showgrid=False,
                     title_text="column", constrain="domain")
    fig.update_yaxes(tickvals=list(range(n)), ticktext=[str(r + 1) for r in range(n)], autorange="reversed",
                     showgrid=False, title_text="row", scaleanchor="x", constrain="domain", constraintoward="top")
    return base(fig, IMAGE_PX + 70, margin={"l": 20, "r": 20, "t": 50, "b": 10})
