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
from typing import Any, cast

import plotly.colors
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
    PanelsView,
    ProbabilitiesView,
    ScoresView,
    SpaceView,
    TextView,
    TokensView,
    VectorView,
    View,
)
from pipeline.render.describe import focus, real_rows, top_score
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


def base(fig: go.Figure, height: float, fit: bool = True, **layout: Any) -> go.Figure:
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


def finite(values: Sequence[float | None]) -> list[float | None]:
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
GAPPED_COLUMNS = 32  # heatmaps of more columns than this draw their cells with no gap between them
SHARES = [0, 0.25, 0.5, 0.75, 1]  # a probability axis runs past 100 % (room for labels); its ticks stop at it


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
    text = f"{position} · {esc(token)}{symbol}" if token and token != str(position) else f"{position}{symbol}"
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


def heatmap(z: Sequence[Sequence[float | None]], rows: Sequence[str], cols: Sequence[str], name: str,
            value_name: str = "value", fmt: Callable[[float], str] = signed, **extra: Any) -> go.Heatmap:
    """A heatmap whose hover names the row, the column and the value (written by ``fmt``, as the verdict writes
    it); a colour bar titled ``value_name`` unless ``showscale=False``."""
    cells = [finite(row) for row in z]
    values = [v for row in cells for v in row if v is not None]
    hover = [[f"{rows[r] if r < len(rows) else r + 1}<br>{cols[c] if c < len(cols) else c + 1}<br>{esc(value_name)} "
              f"{'n/a' if v is None else fmt(v)}" for c, v in enumerate(row)] for r, row in enumerate(cells)]
    n_cols = len(cells[0]) if cells else 0
    gap = 1 if n_cols <= GAPPED_COLUMNS else 0  # a phone gives 64 columns 3 px each: a 1 px gap would eat them
    return go.Heatmap(z=cells, x=list(range(n_cols)), y=list(range(len(cells))), xgap=gap, ygap=1, name=name,
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
    fig.update_xaxes(range=[0, 1.2], tickvals=SHARES, tickformat=".0%", gridcolor="#e5e7eb", title_text="probability")
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
    fig.update_xaxes(range=[0, 1.25], tickvals=SHARES, tickformat=".0%", row=1, col=1)
    fig.update_yaxes(type="category", autorange="reversed", row=1, col=1)  # digits are tokens, not numbers
    if attention:
        shares = [esc(percent(a)) for a in attention]
        top = set(focus(view).cols)
        fig.add_bar(x=finite(attention), y=sources, orientation="h", name="attention", text=shares,
                    textposition="outside", cliponaxis=False,
                    marker_color=[VAL if j in top else "#fdba74" for j in range(len(attention))],
                    customdata=[f"{w}: {s} of the attention" for w, s in zip(sources, shares, strict=True)],
                    hovertemplate="%{customdata}<extra></extra>", row=2, col=1)
        fig.update_xaxes(range=[0, 1.25], tickvals=SHARES, tickformat=".0%", row=2, col=1)
        fig.update_yaxes(type="category", autorange="reversed", row=2, col=1)
    fig.update_layout(showlegend=False)
    fig.update_annotations(font_size=15, xanchor="left", x=0)  # the panel titles, left-aligned over their bars
    return base(fig, 100 + 34 * sum(rows) + 60 * len(rows), margin={"l": 20, "r": 20, "t": 40, "b": 20})


ATTENTION_ROW_PX = 30
ATTENTION_ROWS_FULL = 12  # rows of a head drawn at full height; more share that height (a traced model's positions)
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
    row_px = ATTENTION_ROW_PX if len(rows) <= ATTENTION_ROWS_FULL else max(10, 12 * ATTENTION_ROW_PX // len(rows))
    panel_px = row_px * len(rows) + 8
    gap_px = labels_px + TITLE_PX
    plot_px = heads * panel_px + (heads - 1) * gap_px
    titles = [esc(view.heads[h]) if h < len(view.heads) else f"head {h + 1}" for h in range(heads)]
    fig = make_subplots(rows=heads, cols=1, subplot_titles=titles if heads > 1 else None, figure=Figure(),
                        vertical_spacing=gap_px / plot_px if heads > 1 else 0)
    row_ticks = [tick_label(r + 1, view.rows[r], row_marks[r], r in {c for c, _ in at.cells}) for r in rows]
    # Over many positions (a traced model's window of 49) weights of 2 % drew a blank on 0-100 %: up to the largest
    top = max((w for head in view.weights for row in head for w in row if math.isfinite(w)), default=1.0) \
        if "key position" in view.dims else 1.0
    for h, weights in enumerate(view.weights):
        grid = [[weights[r][c] for c in cols] for r in rows]
        fig.add_trace(heatmap(grid, [f"“{esc(view.rows[r])}” looks at" for r in rows],
                              [f"“{esc(view.cols[c])}”" for c in cols], f"head {h + 1}", "weight", percent, zmin=0,
                              zmax=top or 1.0, colorscale=SEQUENTIAL, showscale=h == 0,
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
    looked_at = "key position" if "key position" in view.dims else "word looked at" if view.rows == view.cols else \
        "source word"
    fig.update_xaxes(title_text=looked_at, title_font_size=14,
                     row=heads, col=1)
    fig.update_layout(meta=highlights("row+col" if view.rows == view.cols else "row"))
    top = TITLE_PX + 16
    return base(fig, plot_px + top + labels_px + 50, margin={"l": 20, "r": 20, "t": top, "b": labels_px + 40})


GATE_SCALES: dict[str, tuple[str, dict[str, Any]]] = {"i": ("0 to 1", {"zmin": 0, "zmax": 1, "colorscale": SEQUENTIAL}),
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


# --- the attention block opened up -------------------------------------------------------------------------
#
# Each step of self-attention is its own picture with the words on its axes, stacked like the gates: the queries,
# keys and values (columns in one group per head), the scores before the softmax (the keys the padding mask hides
# drawn as one grey column), the heads' outputs joined, the output projection, the residual and its LayerNorm.

PANEL_ROW_PX = 26
GROUP_LINE = "#111827"  # the line between two heads' columns
MASKED = "#d1d5db"  # the cells the padding mask hides


def _panel_layout(n: int) -> tuple[float, float]:
    """(spacing, panel height) as fractions of the plot, for ``n`` stacked panels with a title each."""
    spacing = 0.09 if n > 1 else 0.0
    return spacing, (1 - spacing * (n - 1)) / n


@layer_figure.register
def panels_figure(view: PanelsView) -> go.Figure:
    """Stacked heatmaps over the same words (padding folded away), each with its own colour bar centred on zero:
    columns split into their groups (heads) by a line and named under the last panel; the row the verdict names
    framed in its panel."""
    if not view.values or not view.values[0] or not view.values[0][0]:
        raise ValueError(f"panels layer {view.key!r} has no values")
    n, width = len(view.values[0]), len(view.values[0][0])
    marks = _mark_list(view.row_marks, n)
    names = list(view.rows) + [""] * (n - len(view.rows))
    shown = real_rows(marks, n) or list(range(n))
    groups = view.groups if view.groups > 0 and width % view.groups == 0 else 1
    size = width // groups
    spacing, panel = _panel_layout(len(view.values))
    titles = [esc(view.panels[k]) if k < len(view.panels) else f"panel {k + 1}" for k in range(len(view.values))]
    fig = make_subplots(rows=len(view.values), cols=1, vertical_spacing=spacing, subplot_titles=titles,
                        figure=Figure())
    marked = focus(view)
    at = (marked.head, marked.rows[0]) if marked.rows else (-1, -1)
    cols = [f"{esc(view.group_title)} {j // size + 1}, {esc(view.col_title)} {j % size + 1}" if groups > 1 else
            f"{esc(view.col_title)} {j + 1}" for j in range(width)]
    for k, z in enumerate(view.values, start=1):
        grid = [list(z[r]) for r in shown]
        centre = 1 - (k - 1) * (panel + spacing) - panel / 2
        scale = {"colorbar": colorbar("value", len=panel, y=centre, yanchor="middle"),
                 **_centred([v for row in grid for v in row])}
        fig.add_trace(heatmap(grid, [f"“{esc(names[r])}”" for r in shown], cols, titles[k - 1], "value", **scale),
                      row=k, col=1)
        fig.update_yaxes(tickvals=list(range(len(shown))), autorange="reversed", showgrid=False, row=k, col=1,
                         ticktext=[tick_label(r + 1, names[r], marks[r], (k - 1, r) == at) for r in shown])
        last = k == len(view.values)
        if groups > 1:
            fig.update_xaxes(tickvals=[g * size + (size - 1) / 2 for g in range(groups)], showgrid=False, row=k,
                             col=1, ticktext=[f"{esc(view.group_title)} {g + 1}" for g in range(groups)],
                             showticklabels=last, ticks="")
        else:
            fig.update_xaxes(showticklabels=last, showgrid=False, row=k, col=1)
        axis = "" if k == 1 else str(k)
        for g in range(1, groups):
            fig.add_shape(type="line", x0=g * size - 0.5, x1=g * size - 0.5, y0=-0.5, y1=len(shown) - 0.5,
                          xref=f"x{axis}", yref=f"y{axis}", line={"color": GROUP_LINE, "width": 2}, layer="above")
        if at[0] == k - 1 and at[1] in shown:
            span = (min(marked.cols), max(marked.cols)) if marked.cols else (0, width - 1)
            outline(fig, span, (shown.index(at[1]),) * 2, f"x{axis}", f"y{axis}")
    fig.update_xaxes(title_text=esc(f"{view.col_title}s, {size} per {view.group_title}" if groups > 1 else
                                    view.col_title), title_font_size=14, row=len(view.values), col=1)
    fig.update_annotations(font_size=14, xanchor="left", x=0)  # panel titles, left-aligned: never under a colour bar
    fig.update_layout(meta=highlights("row"))
    return base(fig, len(view.values) * (PANEL_ROW_PX * len(shown) + 80) + 70, showlegend=False,
                margin={"l": 20, "r": 20, "t": 40, "b": 40})


def _centred(values: list[float]) -> dict[str, Any]:
    """A diverging scale centred on 0, symmetric (the sign of a query's number matters as much as its size)."""
    clean = [abs(v) for v in values if v is not None and math.isfinite(v)]
    bound = max(clean, default=0.0) or 1.0
    return {"colorscale": DIVERGING, "zmin": -bound, "zmax": bound, "zmid": 0}


@layer_figure.register
def scores_figure(view: ScoresView) -> go.Figure:
    """One heatmap of scores per head, stacked, the words on both axes (padding rows folded away); the keys the
    padding mask hides drawn as one grey column marked −∞ (the softmax gives them exactly 0); one colour scale
    centred on zero for every head; the highest score framed in its head."""
    heads = len(view.scores)
    if not heads:
        raise ValueError(f"scores layer {view.key!r} has no heads")
    row_marks = _mark_list(view.row_marks, len(view.rows))
    col_marks = _mark_list(view.col_marks, len(view.cols))
    rows = real_rows(row_marks, len(view.rows)) or list(range(len(view.rows)))
    masked = [c for c in range(len(view.cols)) if c < len(view.masked) and view.masked[c]]
    cols = [c for c in range(len(view.cols)) if c not in masked]
    best = top_score(view)
    col_ticks = [f"<b>{esc(view.cols[c])}</b>" if best and c == best[2] else esc(view.cols[c]) for c in cols]
    if masked:
        col_ticks.append(f"&lt;pad&gt; ×{len(masked)}" if all(col_marks[c] is Mark.PAD for c in masked) else
                         f"masked ×{len(masked)}")
    widest = max((text_size(t, 13)[0] for t in col_ticks), default=0.0)
    upright = len(col_ticks) * (widest + 8) > NARROW_PLOT_PX
    labels_px = (widest if upright else 18) + 16
    panel_px = ATTENTION_ROW_PX * len(rows) + 8
    gap_px = labels_px + TITLE_PX
    plot_px = heads * panel_px + (heads - 1) * gap_px
    fig = make_subplots(rows=heads, cols=1, figure=Figure(), vertical_spacing=gap_px / plot_px if heads > 1 else 0,
                        subplot_titles=[f"head {h + 1}" for h in range(heads)] if heads > 1 else None)
    scale = _centred([view.scores[h][r][c] for h in range(heads) for r in rows for c in cols])
    looks = [f"“{esc(view.rows[r])}” · " for r in rows]
    for h, grid in enumerate(view.scores):
        z = [[grid[r][c] for c in cols] + ([None] if masked else []) for r in rows]
        fig.add_trace(heatmap(z, looks, [f"key “{esc(view.cols[c])}”" for c in cols] + ["padding"], f"head {h + 1}",
                              "score", showscale=h == 0, **{**scale, "colorbar": colorbar(
                                  "score", len=min(1.0, 300 / plot_px), y=1, yanchor="top")}), row=h + 1, col=1)
        if masked:
            fig.add_trace(go.Heatmap(z=[[0] for _ in rows], x=[len(cols)], y=list(range(len(rows))), xgap=1, ygap=1,
                                     colorscale=[[0, MASKED], [1, MASKED]], showscale=False, text=[["−∞"]] * len(rows),
                                     texttemplate="%{text}", textfont={"size": 13, "color": "#111827"},
                                     name=f"head {h + 1} mask", hovertemplate=esc(
                                         f"masked: the {len(masked)} padding keys' scores become the lowest float, "
                                         "so their weights are exactly 0") + "<extra></extra>"), row=h + 1, col=1)
        fig.update_yaxes(tickvals=list(range(len(rows))), autorange="reversed", row=h + 1, col=1,
                         ticktext=[tick_label(r + 1, view.rows[r], row_marks[r], best is not None and r == best[1])
                                   for r in rows])
        fig.update_xaxes(tickvals=list(range(len(col_ticks))), ticktext=col_ticks, tickangle=-90 if upright else 0,
                         tickfont_size=13, row=h + 1, col=1)
        if best and best[0] == h and best[1] in rows:
            axis = "" if h == 0 else str(h + 1)
            outline(fig, (cols.index(best[2]),) * 2, (rows.index(best[1]),) * 2, f"x{axis}", f"y{axis}")
    fig.update_annotations(font_size=14, xanchor="left", x=0)
    fig.update_xaxes(title_text="key: the word looked at", title_font_size=14, row=heads, col=1)
    fig.update_layout(meta=highlights("row+col"))
    top = TITLE_PX + 16
    return base(fig, plot_px + top + labels_px + 50, margin={"l": 20, "r": 20, "t": top, "b": labels_px + 40})


# --- words in space ----------------------------------------------------------------------------------------

SPACE_HEIGHT = 460
SPACE_LABEL_PX = 22  # the least distance between two word labels, down the label column
SPACE_LABEL_CHARS = 12
LABEL_ROOM = 0.55  # of the points' width, kept right of them for the labels of the marked words


@layer_figure.register
def space_figure(view: SpaceView) -> go.Figure:
    """Every kept word as a grey point in the plane of the table's two main directions, the marked words (the
    learner's) as large blue points named in a column right of the cloud, each label joined to its point by a line
    (two words close together never run their names into each other); the axes fixed by ``bounds`` so that frames
    of different epochs line up."""
    if not view.points:
        raise ValueError(f"space layer {view.key!r} has no points")
    x0, x1, y0, y1 = _space_bounds(view)
    pad_x, pad_y = (x1 - x0) * 0.06 or 1.0, (y1 - y0) * 0.08 or 1.0
    marked = [i for i in dict.fromkeys(view.marked) if 0 <= i < len(view.points)]
    rest = [i for i in range(len(view.points)) if i not in marked]
    fig = Figure()
    for group, style, name in ((rest, {"size": 7, "color": "#9ca3af"}, "the other words"),
                               (marked, {"size": 13, "color": ACCENT, "line": {"color": "white", "width": 1.5}},
                                "your words")):
        fig.add_scatter(x=finite([view.points[i][0] for i in group]), y=finite([view.points[i][1] for i in group]),
                        mode="markers", marker=style, name=name, customdata=[esc(view.words[i]) for i in group],
                        hovertemplate="“%{customdata}”<extra></extra>")
    label_x = x1 + pad_x
    plot_px = SPACE_HEIGHT - 130
    span = (y1 - y0) + 2 * pad_y
    for i, y in zip(marked, _label_rows([view.points[i][1] for i in marked], y0 - pad_y, y1 + pad_y,
                                        SPACE_LABEL_PX / plot_px * span), strict=True):
        fig.add_annotation(x=view.points[i][0], y=view.points[i][1], ax=label_x, ay=y, axref="x", ayref="y",
                           text=esc(_short(view.words[i], SPACE_LABEL_CHARS)), showarrow=True, arrowhead=0,
                           arrowcolor="#6b7280", arrowwidth=1, xanchor="left", font={"size": 14, "color": ACCENT},
                           standoff=6)
    fig.update_xaxes(range=[x0 - pad_x, x1 + pad_x + LABEL_ROOM * (x1 - x0 or 1.0)], zeroline=False,
                     showticklabels=False, gridcolor="#f3f4f6", title_text=_direction(1, view.variance[0]),
                     title_font_size=14)
    fig.update_yaxes(range=[y0 - pad_y, y1 + pad_y], zeroline=False, showticklabels=False, gridcolor="#f3f4f6",
                     title_text=_direction(2, view.variance[1]), title_font_size=14)
    fig.update_layout(meta=highlights("point"))
    return base(fig, SPACE_HEIGHT, showlegend=True, margin={"l": 20, "r": 20, "t": 60, "b": 20},
                legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1, "yanchor": "bottom"})


def _space_bounds(view: SpaceView) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1): the view's fixed bounds when it has them, else its own points'."""
    if len(view.bounds) == 4 and all(math.isfinite(b) for b in view.bounds):
        x0, x1, y0, y1 = view.bounds
        return x0, x1, y0, y1
    xs = [p[0] for p in view.points if math.isfinite(p[0])] or [0.0]
    ys = [p[1] for p in view.points if math.isfinite(p[1])] or [0.0]
    return min(xs), max(xs), min(ys), max(ys)


def _direction(k: int, share: float) -> str:
    return f"direction {k}" + (f" · {percent(share)} of the variance" if math.isfinite(share) else "")


def _label_rows(ys: list[float], low: float, high: float, gap: float) -> list[float]:
    """Heights for labels that want to sit at ``ys`` (data units), at least ``gap`` apart and within
    [``low``, ``high``], in the same order as ``ys``."""
    order = sorted(range(len(ys)), key=lambda i: -ys[i] if math.isfinite(ys[i]) else 0.0)
    placed: dict[int, float] = {}
    previous = high + gap
    for i in order:  # from the top down, each label at its point or just under the one above
        y = ys[i] if math.isfinite(ys[i]) else previous - gap
        placed[i] = previous = min(y, previous - gap, high)
    overflow = low - min(placed.values(), default=low)
    if overflow > 0:  # the lowest fell off the bottom: lift them all, never above ``high``
        lifted = sorted(placed, key=lambda i: placed[i])
        floor = low
        for i in lifted:
            placed[i] = floor = max(placed[i], floor)
            floor += gap
    return [placed[i] for i in range(len(ys))]


# --- hovering (or choosing) a word: what it attends to, and what attends to it ----------------------------------

ROW_MARK, COLUMN_MARK = "#f59e0b", "#7c3aed"  # amber: the word's row (what it looks at); violet: its column


def highlights(how: str) -> str:
    """What a chart's ``layout.meta`` says about hovering (or choosing) a word: "highlight:row", "highlight:row+col"
    or "highlight:point" (read by ``highlight_word`` and ``HIGHLIGHT_JS``). A string, not an object: Plotly.react
    compares ``meta`` by identity, and the copy of the figure Streamlit hands it drew the whole chart again."""
    return f"highlight:{how}"


def highlighted(meta: Any) -> str:
    """The highlight a figure's ``layout.meta`` asks for ("" for none): the inverse of :func:`highlights`."""
    return meta.removeprefix("highlight:") if isinstance(meta, str) and meta.startswith("highlight:") else ""


def highlight_word(fig: go.Figure, position: int) -> go.Figure:
    """A copy of a words-on-the-axes figure with the word drawn at ``position`` (its index among the rows shown)
    highlighted in every panel: its row (what it attends to) and, where the words are on both axes, its column
    (what attends to it). The handout's pages do the same on hover, in the browser (``HIGHLIGHT_JS``)."""
    out = Figure(fig)
    how = highlighted(fig.layout.meta)
    for axis in _panel_axes(fig):
        for shape in word_shapes(axis, position, "col" in how):
            out.add_shape(shape)
    return out


def _panel_axes(fig: go.Figure) -> list[str]:
    """The suffix of each panel's axes ("", "2", ...): one per heatmap that draws words."""
    return list(dict.fromkeys((trace.xaxis or "x")[1:] for trace in fig.data if trace.type == "heatmap"))


def word_shapes(axis: str, position: int, column: bool) -> list[dict[str, Any]]:
    """The frames that highlight the word at ``position`` in the panel of axes ``x{axis}``/``y{axis}``: a band across
    its row and, with ``column``, one down its column (the same as ``HIGHLIGHT_JS`` draws)."""
    shapes = [{"type": "rect", "xref": f"x{axis} domain", "yref": f"y{axis}", "x0": 0, "x1": 1,
               "y0": position - 0.5, "y1": position + 0.5, "line": {"color": ROW_MARK, "width": 3},
               "fillcolor": "rgba(245,158,11,0.12)", "layer": "above", "name": "highlight"}]
    if column:
        shapes.append({"type": "rect", "xref": f"x{axis}", "yref": f"y{axis} domain", "x0": position - 0.5,
                       "x1": position + 0.5, "y0": 0, "y1": 1, "line": {"color": COLUMN_MARK, "width": 3},
                       "fillcolor": "rgba(124,58,237,0.10)", "layer": "above", "name": "highlight"})
    return shapes


# The browser's half of ``highlight_word``, for pages with no server (the handout): hovering a cell of a chart whose
# layout.meta is "highlight:row" or "highlight:row+col" frames that cell's row -- and its column -- in every panel.
HIGHLIGHT_JS = """
function pipelineTraceHighlight(gd) {
  var meta = gd.layout.meta, how = typeof meta === "string" && meta.indexOf("highlight:") === 0 ? meta.slice(10) : "";
  if (how.indexOf("row") < 0) return;
  var base = (gd.layout.shapes || []).filter(function (s) { return s.name !== "highlight"; });
  var axes = [];
  gd.data.forEach(function (t) { var a = (t.xaxis || "x").slice(1);
    if (t.type === "heatmap" && axes.indexOf(a) < 0) axes.push(a); });
  gd.on("plotly_hover", function (ev) {
    var p = ev.points[0], r = Array.isArray(p.pointNumber) ? p.pointNumber[0] : p.y, shapes = base.slice();
    axes.forEach(function (a) {
      shapes.push({type: "rect", xref: "x" + a + " domain", yref: "y" + a, x0: 0, x1: 1, y0: r - 0.5, y1: r + 0.5,
                   line: {color: "ROW_MARK", width: 3}, fillcolor: "rgba(245,158,11,0.12)", layer: "above",
                   name: "highlight"});
      if (how.indexOf("col") >= 0) shapes.push({type: "rect", xref: "x" + a, yref: "y" + a + " domain",
                   x0: r - 0.5, x1: r + 0.5, y0: 0, y1: 1, line: {color: "COLUMN_MARK", width: 3},
                   fillcolor: "rgba(124,58,237,0.10)", layer: "above", name: "highlight"});
    });
    Plotly.relayout(gd, {shapes: shapes});
  });
  gd.on("plotly_unhover", function () { Plotly.relayout(gd, {shapes: base}); });
}
""".replace("COLUMN_MARK", COLUMN_MARK).replace("ROW_MARK", ROW_MARK)


# --- a time-lapse: one stage's picture after each epoch, played in the browser ------------------------------------

TIMELAPSE_CONTROLS_PX = 110  # the slider and the Play button under the picture


def timelapse_figure(views: Sequence[View], epochs: Sequence[int]) -> go.Figure:
    """The pictures of one stage after each epoch as one figure: the last epoch drawn, a slider over the epochs and a
    Play button under it; each frame holds that epoch's traces, shapes, labels and word ticks (Plotly plays them in
    the browser, with no server). Every view must draw the same number of traces (one stage's views do)."""
    drawn = [cast(go.Figure, layer_figure(v)) for v in views]  # every view of a stage is drawn
    fig = Figure(drawn[-1])
    keep = ("shapes", "annotations", *(name for name in fig.layout if name.startswith(("xaxis", "yaxis"))))
    fig.frames = [go.Frame(name=str(e), data=list(f.data), layout={k: f.layout[k] for k in keep if f.layout[k]})
                  for e, f in zip(epochs, drawn, strict=True)]
    steps = [{"label": f"epoch {e}", "method": "animate",
              "args": [[str(e)], {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
                                  "transition": {"duration": 0}}]} for e in epochs]
    play = {"label": "▶ Play", "method": "animate",
            "args": [None, {"frame": {"duration": 900, "redraw": True}, "fromcurrent": False,
                            "transition": {"duration": 0}}]}
    fig.update_layout(
        sliders=[{"active": len(steps) - 1, "steps": steps, "x": 0.16, "len": 0.84, "y": 0, "yanchor": "top",
                  "pad": {"t": 40}, "currentvalue": {"prefix": "after ", "font": {"size": 14}}, "font": {"size": 12}}],
        updatemenus=[{"type": "buttons", "buttons": [play], "showactive": False, "x": 0, "xanchor": "left", "y": 0,
                      "yanchor": "top", "pad": {"t": 48}}])
    fig.update_layout(height=(fig.layout.height or 400) + TIMELAPSE_CONTROLS_PX,
                      margin_b=(fig.layout.margin.b or 20) + TIMELAPSE_CONTROLS_PX)
    return drawn_once(fig)
MAPS_PER_ROW = 4  # small images a row: on a phone each is still about 80 px wide
# A square map's row, a kernel's row, the room above each for its title. A map is drawn about 70 px wide in the
# Prediction page's picture column (laptop and phone alike), square: rows taller than that left bands of white.
MAP_PX, KERNEL_PX, MAP_TITLE_PX, KERNEL_TITLE_PX = 80, 70, 30, 18


@layer_figure.register
def feature_maps_figure(view: FeatureMapsView) -> go.Figure:
    """Each drawn channel as a small image, in the view's order (the most active first), under one colour scale so
    the maps compare; its channel named above it, the one the verdict names framed and pointed at. With kernels, a
    row of the kernels that made them under each row of maps, on a scale of their own centred on 0.

    Built as plain dicts and validated once: through ``make_subplots`` and its updates, 16 small panels took
    Plotly a quarter of a second."""
    k = len(view.values)
    if not k or not view.values[0] or not view.values[0][0]:
        raise ValueError(f"feature-map layer {view.key!r} has no values")
    per_row = min(MAPS_PER_ROW, k)
    map_rows = math.ceil(k / per_row)
    kernels = bool(view.kernels)
    aspect = len(view.values[0]) / len(view.values[0][0])  # a map's height over its width
    map_px = round(min(2.0, max(0.5, aspect)) * MAP_PX)
    heights = [map_px, KERNEL_PX] * map_rows if kernels else [map_px] * map_rows
    rooms = [MAP_TITLE_PX, KERNEL_TITLE_PX] * map_rows if kernels else [MAP_TITLE_PX] * map_rows
    plot_px = sum(heights) + sum(rooms)
    at = set(focus(view).rows)
    scale = heatmap_scale([v for m in view.values for row in m for v in row])
    data: list[dict[str, Any]] = []
    layout: dict[str, Any] = {"annotations": [], "shapes": []}
    for i, m in enumerate(view.values):
        row, col = (i // per_row) * (2 if kernels else 1), i % per_row
        axis = _panel(layout, len(data) + 1, _cell(heights, rooms, row, col, per_row, plot_px))
        # the map the verdict names: bold and framed (an arrow too ran into the next title on a phone)
        # "ch 12", not "channel 12": four titles side by side on a phone (~75 px each) ran into each other
        title = f"<b>ch {view.channels[i]}</b>" if i in at else f"ch {view.channels[i]}"
        layout["annotations"].append({"text": title, "xref": "paper", "yref": "paper", "showarrow": False,
                                      "x": sum(layout[f"xaxis{axis[1:]}"]["domain"]) / 2, "xanchor": "center",
                                      "y": layout[f"yaxis{axis[1:]}"]["domain"][1], "yanchor": "bottom",
                                      "font": {"size": 12}})
        data.append(_map_image(m, view.channels[i], scale, i == 0, plot_px) | {"xaxis": axis, "yaxis": f"y{axis[1:]}"})
        if i in at:
            layout["shapes"].append({"type": "rect", "xref": axis, "yref": f"y{axis[1:]}", "x0": 0.5,
                                     "x1": len(m[0]) + 0.5, "y0": 0.5, "y1": len(m) + 0.5, "layer": "above",
                                     "line": {"color": MARKED, "width": 2.5}, "fillcolor": "rgba(0,0,0,0)"})
        if kernels and i < len(view.kernels) and view.kernels[i]:
            kaxis = _panel(layout, len(data) + 1, _cell(heights, rooms, row + 1, col, per_row, plot_px))
            data.append(_kernel(view, i, i == 0, plot_px).to_plotly_json() | {"xaxis": kaxis, "yaxis": f"y{kaxis[1:]}"})
            layout["annotations"].append({"text": "its filter", "xref": "paper", "yref": "paper", "showarrow": False,
                                          "x": sum(layout[f"xaxis{kaxis[1:]}"]["domain"]) / 2, "xanchor": "center",
                                          "y": layout[f"yaxis{kaxis[1:]}"]["domain"][1], "yanchor": "bottom",
                                          "font": {"size": 10, "color": "#4b5563"}})
    # Not validated: dicts made the same way every time (the tests check them through Plotly), and validating 16
    # small images' arrays was most of the time a picture took to build
    fig = Figure(data=data, layout=layout, _validate=False)
    return base(fig, plot_px + 40, margin={"l": 10, "r": 20, "t": 30, "b": 10})


def _cell(heights: list[int], rooms: list[int], row: int, col: int, cols: int, plot_px: int
          ) -> tuple[list[float], list[float]]:
    """The paper domains (x, y) of the panel at ``row``, ``col``: each row under its title's room (``rooms``), rows
    of their own heights, columns of equal widths with a small gap."""
    gap = 0.04
    width = (1 - gap * (cols - 1)) / cols
    top = sum(heights[:row]) + sum(rooms[: row + 1])
    return ([col * (width + gap), col * (width + gap) + width],
            [1 - (top + heights[row]) / plot_px, 1 - top / plot_px])


def _panel(layout: dict[str, Any], n: int, domains: tuple[list[float], list[float]]) -> str:
    """Add the ``n``-th panel's axes to ``layout`` (no ticks, square pixels hanging from the top, row 1 on top as in
    an image) and return its x axis's name (``x3``)."""
    suffix = "" if n == 1 else str(n)
    plain = {"showticklabels": False, "showgrid": False, "ticks": "", "zeroline": False, "constrain": "domain"}
    layout[f"xaxis{suffix}"] = {**plain, "domain": domains[0], "anchor": f"y{suffix}"}
    layout[f"yaxis{suffix}"] = {**plain, "domain": domains[1], "anchor": f"x{suffix}", "autorange": "reversed",
                                "scaleanchor": f"x{suffix}", "constraintoward": "top"}
    return f"x{suffix}"


def _map_image(m: Sequence[Sequence[float]], channel: int, scale: dict[str, Any], showscale: bool, plot_px: int
               ) -> dict[str, Any]:
    """One map as an image: no gaps between its pixels, values to 3 decimals. Its hover text is a template
    Plotly fills in (rows and columns counted from 1), not a text per pixel as elsewhere: 16 maps of 16 x 16
    made 200 KB of hover texts for one picture."""
    z = [[round(v, 3) if v is not None else None for v in row] for row in (finite(r) for r in m)]
    return {"type": "heatmap", "z": z, "x": list(range(1, len(z[0]) + 1)), "y": list(range(1, len(z) + 1)),
            "xgap": 0, "ygap": 0, "name": f"channel {channel}", "showscale": showscale,
            "hovertemplate": f"channel {channel}<br>row %{{y}}, column %{{x}}<br>value %{{z:+.2f}}<extra></extra>",
            "colorbar": colorbar("value", len=min(1.0, 260 / plot_px), y=1, yanchor="top"),
            **{k: _colorscale_name(v) if k == "colorscale" else v for k, v in scale.items()}}


def _colorscale_name(scale: Any) -> Any:
    """A colour scale as Plotly.js reads it (a figure that is not validated is not converted): a plotly.py name
    such as "RdBu_r" as its list of colours."""
    return plotly.colors.get_colorscale(scale) if isinstance(scale, str) else scale


def _kernel(view: FeatureMapsView, i: int, scale: bool, plot_px: int) -> go.Heatmap:
    """The kernel that made map ``i`` (its first input channel's slice), on a scale centred on 0 shared by all."""
    w = view.kernels[i][0]
    bound = max((abs(v) for kernel in view.kernels if kernel for row in kernel[0] for v in row if math.isfinite(v)),
                default=1.0) or 1.0
    bar = colorbar("kernel weight", len=min(1.0, 160 / plot_px), y=0, yanchor="bottom")
    return heatmap(w, [f"kernel row {r + 1}" for r in range(len(w))],
                   [f"kernel column {c + 1}" for c in range(len(w[0]) if w else 0)], f"kernel {view.channels[i]}",
                   "weight", colorscale=DIVERGING, zmin=-bound, zmax=bound, zmid=0, showscale=scale, colorbar=bar)


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
