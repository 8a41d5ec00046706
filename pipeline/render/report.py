"""Terminal rendering of a trace document: tables, an ASCII loss chart and the prediction trace.

Every string that came from a learner, a data file or a trace file is shown literally: it becomes a
``rich.text.Text`` (never parsed as Rich markup), with control characters written as visible
escapes (``\\x1b``), so no file can restyle, move the cursor or retitle the terminal.
"""

from __future__ import annotations

import math
from functools import singledispatch
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from pipeline.document.document import TraceDocument
from pipeline.document.views import (
    AttentionView,
    DecoderStepsView,
    DecoderStepView,
    FeatureMapsView,
    LSTMGatesView,
    Mark,
    MatrixView,
    Prediction,
    ProbabilitiesView,
    TextView,
    TokensView,
    VectorView,
    View,
)
from pipeline.render import tables
from pipeline.render.describe import data_rows, drawn
from pipeline.render.tables import Rows, fmt_shape, preview
from pipeline.safeio import visible
from pipeline.training.results import EpochResult


def lit(text: Any, style: str = "") -> Text:
    """A literal, safe piece of text for Rich: no markup, no control characters."""
    return Text(visible(text), style=style)


MAX_TABLE_ROWS = 500  # rows a terminal table shows (Rich lays out about 1,500 a second); the rest are counted


def rows_table(rows: Rows, title: str) -> Table:
    """A Rich table of ``pipeline.render.tables`` rows, so the terminal shows what the app shows (its first
    ``MAX_TABLE_ROWS`` rows, and a line saying how many more there are)."""
    more = len(rows) - MAX_TABLE_ROWS
    caption = Text(f"… and {more:,} more rows (Open a trace in the app shows every one)") if more > 0 else None
    table = Table(title=Text(title, style="bold"), title_justify="left", show_lines=True, caption=caption,
                  caption_justify="left")
    for column in (rows[0] if rows else {}):
        table.add_column(lit(column), overflow="fold")
    for row in rows[:MAX_TABLE_ROWS]:
        table.add_row(*(lit(v) for v in row.values()))
    return table


def loss_chart(epochs: list[EpochResult], height: int = 8) -> str:
    """Training (*) and validation (o) loss per epoch as a small ASCII chart (a diverged epoch shows as !)."""
    series = [[e.loss for e in epochs], [e.val_loss for e in epochs]]
    finite = [v for s in series for v in s if math.isfinite(v)] or [0.0]
    lo, hi = min(finite), max(finite)
    span = (hi - lo) or 1.0
    grid = [[" "] * (3 * len(epochs)) for _ in range(height)]
    for mark, values in zip("*o", series, strict=True):
        for i, v in enumerate(values):
            row = round((hi - v) / span * (height - 1)) if math.isfinite(v) else 0
            cell = grid[row][3 * i + 1]
            grid[row][3 * i + 1] = "!" if not math.isfinite(v) else "#" if cell not in (" ", mark) else mark
    lines = [f"{hi - r * span / (height - 1):6.2f} |{''.join(row)}" for r, row in enumerate(grid)]
    lines.append("       +" + "-" * (3 * len(epochs)))
    lines.append("        " + "".join(f"{e.epoch:^3}" for e in epochs) + " epoch")
    return "Loss  (* train, o validation, # both, ! not a number)\n" + "\n".join(lines)


@singledispatch
def layer_body(view: View) -> RenderableType:
    """A prediction layer for the terminal, drawn by its type."""
    raise TypeError(f"no terminal renderer is registered for {type(view).__name__}")


@layer_body.register
def _(view: TextView) -> RenderableType:
    return lit(view.text)


def _mark_note(mark: Mark) -> str:
    return "" if mark is Mark.WORD else f"{mark.symbol} {mark.label}"


@layer_body.register
def _(view: TokensView) -> RenderableType:
    table = Table("Position", "Token", "Id", "Note")
    for i, (token, token_id, mark) in enumerate(zip(view.tokens, view.ids, view.marks, strict=False)):
        table.add_row(str(i + 1), lit(token), str(token_id), _mark_note(mark))
    return table


@layer_body.register
def _(view: MatrixView) -> RenderableType:
    width = len(view.values[0]) if view.values else 0
    table = Table("Row", f"Values ({width} per row)", "Note")
    marks = list(view.row_marks) + [Mark.WORD] * len(view.values)
    for label, row, mark in zip(view.rows, view.values, marks, strict=False):
        table.add_row(lit(label), preview(list(row)), _mark_note(mark))
    return table


@layer_body.register
def _(view: VectorView) -> RenderableType:
    return Text(f"{len(view.values)} numbers: {preview(list(view.values), 8)}")


def _bar(label: str, p: float) -> Text:
    width = round(p * 30) if math.isfinite(p) else 0
    return Text.assemble((visible(label, 20).rjust(20), ""), " ", "█" * width, " " * (30 - width),
                         f" {p:6.1%}" if math.isfinite(p) else "    n/a")


@layer_body.register
def _(view: ProbabilitiesView) -> RenderableType:
    return Group(*(_bar(label, p) for label, p in zip(view.labels, view.values, strict=False)))


@layer_body.register
def _(view: DecoderStepsView) -> RenderableType:
    table = Table("Step", "Input", "Top choices", "Chosen", "Attends most to")
    for step in view.steps:
        top = ", ".join(f"{visible(tok, 20)} {p:.0%}" for tok, p in step.top)
        focus = ""
        if step.attention:
            j = max(range(len(step.attention)), key=step.attention.__getitem__)
            word = view.source[j] if j < len(view.source) else str(j + 1)
            focus = f"{visible(word, 30)} ({step.attention[j]:.0%})"
        table.add_row(str(step.step), lit(step.input), Text(top), lit(step.chosen), Text(focus))
    return table


@layer_body.register
def _(view: DecoderStepView) -> RenderableType:
    return layer_body(DecoderStepsView(key=view.key, title=view.title, description=view.description,
                                       steps=(view.step,), source=view.source))


@layer_body.register
def _(view: AttentionView) -> RenderableType:
    parts: list[RenderableType] = []
    for h, weights in enumerate(view.weights):
        table = Table("Word", "Looks most at", title=view.heads[h] if h < len(view.heads) else None)
        for word, row in zip(view.rows, weights, strict=False):
            j = max(range(len(row)), key=lambda k, row=row: row[k] if math.isfinite(row[k]) else -1.0)
            table.add_row(lit(word), Text.assemble(visible(view.cols[j] if j < len(view.cols) else j, 40),
                                                   f" ({row[j]:.0%})"))
        parts.append(table)
    return Group(*parts)


@layer_body.register
def _(view: LSTMGatesView) -> RenderableType:
    table = Table("Word", *(f"mean {name}" for name, _ in LSTMGatesView.GATES))
    for t, token in enumerate(view.tokens):
        table.add_row(lit(token), *(f"{sum(getattr(view, n)[t]) / len(getattr(view, n)[t]):+.2f}"
                                    for n, _ in LSTMGatesView.GATES))
    return Group(table, *(lit(sentence) for sentence in view.reading))


SHADES = " ░▒▓█"  # a map's values from its smallest to its largest
SHADED_MAPS, SHADED_COLUMNS = 4, 16  # maps drawn as characters, side by side; columns of each


@layer_body.register
def _(view: FeatureMapsView) -> RenderableType:
    maps = [m for m in view.values[:SHADED_MAPS] if m and m[0]]
    names = [f"channel {c}" for c in view.channels[: len(maps)]]
    widths = [max(len(name), min(len(m[0]), SHADED_COLUMNS)) for name, m in zip(names, maps, strict=True)]
    values = [v for m in maps for line in m for v in line if math.isfinite(v)] or [0.0]
    low, span = min(values), (max(values) - min(values)) or 1.0  # one scale for every map, as on the chart
    lines = ["  ".join(name.ljust(w) for name, w in zip(names, widths, strict=True)).rstrip()]
    for r in range(max((len(m) for m in maps), default=0)):
        cells = [_shaded(m[r][:SHADED_COLUMNS], low, span) if r < len(m) else "" for m in maps]
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
    return Group(Text("\n".join(lines)), lit(drawn(view)), rows_table(data_rows(view), "Each map drawn"))


def _shaded(row: tuple[float, ...], low: float, span: float) -> str:
    """One row of a map as shade characters, darker where the value is larger ("?" where it is not a number)."""
    return "".join("?" if not math.isfinite(v) else SHADES[min(len(SHADES) - 1, int((v - low) / span * len(SHADES)))]
                   for v in row)


def prediction_view(prediction: Prediction) -> Group:
    """The prediction trace, one block per layer, drawn by the layer's type."""
    parts: list[RenderableType] = [Text.assemble(("Prediction for: ", "bold"), lit(repr(prediction.text)))]
    for i, layer in enumerate(prediction.layers, start=1):
        parts.append(Text.assemble((f"\nLayer {i}: ", "bold cyan"), lit(layer.title, "bold cyan"),
                                   (f"  [{fmt_shape(layer.shape)}]", "cyan")))
        parts.append(layer_body(layer))
    confidence = f"{prediction.confidence:.0%}" if math.isfinite(prediction.confidence) else "n/a"
    parts.append(Text.assemble(("\n→ ", "bold green"), lit(prediction.output, "bold green"),
                               (f"  (confidence {confidence})", "bold green")))
    if prediction.expected is not None:
        verdict = "right" if prediction.expected == prediction.output else "wrong"
        parts.append(Text.assemble("The data's answer: ", lit(prediction.expected), f" — the model is {verdict}."))
    parts += [Text.assemble(("Note: ", "yellow"), lit(note, "yellow")) for note in prediction.notes]
    return Group(*parts)


def document_view(doc: TraceDocument) -> Group:
    """The whole report of a document: what made it, examples, data flow, training, the prediction."""
    parts: list[RenderableType] = []
    if doc.lesson:
        parts.append(Text.assemble(lit(doc.lesson.title, "bold"), " — ", lit(doc.lesson.summary), "\n"))
    else:
        parts.append(Text.assemble(lit(doc.title, "bold"), f" — {len(doc.trace)} calls traced\n"))
    if doc.examples:
        parts.append(rows_table(tables.examples_rows(doc.examples), "Held-out examples"))
    parts.append(rows_table(tables.stage_rows(doc.stages), "Data flow"))
    if not doc.lesson:
        parts.append(rows_table(tables.call_rows(doc.trace), "Every call"))
    if doc.epochs:
        parts.append(rows_table(tables.epoch_rows(doc.epochs), "Training, epoch by epoch"))
        parts.append(Text(loss_chart(doc.epochs)))
    if doc.prediction:
        parts.append(prediction_view(doc.prediction))
    return Group(*parts)
