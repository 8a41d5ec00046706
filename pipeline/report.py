"""Terminal rendering of a lesson run: data-flow table, epoch table, ASCII loss chart, prediction trace."""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich.console import Group
from rich.table import Table
from rich.text import Text

from pipeline.lessons.base import Prediction, PredictionLayer
from pipeline.tables import fmt_shape, preview
from pipeline.train import EpochResult


def frame_table(frame: pd.DataFrame, title: str) -> Table:
    """A rich table of one of ``pipeline.tables``' frames, so the terminal shows what the app shows."""
    table = Table(title=title, title_justify="left", show_lines=True)
    for column in frame.columns:
        table.add_column(str(column), overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*(str(v) for v in row))
    return table


def loss_chart(epochs: list[EpochResult], height: int = 8) -> str:
    """Training (*) and validation (o) loss per epoch as a small ASCII chart."""
    series = [[e.loss for e in epochs], [e.val_loss for e in epochs]]
    lo, hi = min(min(s) for s in series), max(max(s) for s in series)
    span = (hi - lo) or 1.0
    grid = [[" "] * (3 * len(epochs)) for _ in range(height)]
    for mark, values in zip("*o", series, strict=True):
        for i, v in enumerate(values):
            row = round((hi - v) / span * (height - 1))
            cell = grid[row][3 * i + 1]
            grid[row][3 * i + 1] = "#" if cell not in (" ", mark) else mark
    lines = [f"{hi - r * span / (height - 1):6.2f} |{''.join(row)}" for r, row in enumerate(grid)]
    lines.append("       +" + "-" * (3 * len(epochs)))
    lines.append("        " + "".join(f"{e.epoch:^3}" for e in epochs) + " epoch")
    return "Loss  (* train, o validation, # both)\n" + "\n".join(lines)


def prediction_view(prediction: Prediction) -> Group:
    """The prediction trace, one block per layer, drawn by the layer's kind."""
    parts: list[Any] = [Text(f"Prediction for: {prediction.text[:200]!r}", style="bold")]
    for i, layer in enumerate(prediction.layers, start=1):
        parts.append(Text(f"\nLayer {i}: {layer.title}  [{fmt_shape(layer.shape)}]", style="bold cyan"))
        parts.append(_layer_body(layer))
    parts.append(Text(f"\n→ {prediction.output}  (confidence {prediction.confidence:.0%})", style="bold green"))
    parts += [Text(f"Note: {note}", style="yellow") for note in prediction.notes]
    return Group(*parts)


def _layer_body(layer: PredictionLayer) -> Any:
    if layer.kind == "text":
        return Text(str(layer.values[0])[:200])
    if layer.kind == "tokens":
        table = Table("Position", "Token", "Id", "Note")
        for i, (token, token_id, mark) in enumerate(zip(layer.row_labels, layer.values, layer.marks, strict=True)):
            table.add_row(str(i + 1), token, str(token_id), "" if mark == "word" else mark)
        return table
    if layer.kind == "matrix":
        table = Table("Row", f"Values ({len(layer.values[0]) if layer.values else 0} per row)", "Note")
        for label, row, mark in zip(layer.row_labels, layer.values, layer.marks or [""] * len(layer.values),
                                    strict=False):
            table.add_row(label, preview(row), "" if mark in ("word", "") else mark)
        return table
    if layer.kind == "vector":
        return Text(f"{len(layer.values)} numbers: {preview(layer.values, 8)}")
    if layer.kind == "probabilities":
        return Text("\n".join(f"{label:>12} {'█' * round(p * 30):<30} {p:6.1%}"
                              for label, p in zip(layer.row_labels, layer.values, strict=True)))
    if layer.kind == "decoder_steps":
        return _decoder_table(layer)
    return Text(preview(layer.values))


def _decoder_table(layer: PredictionLayer) -> Table:
    table = Table("Step", "Input", "Top choices", "Chosen", "Attends most to")
    for step in layer.values:
        top = ", ".join(f"{tok} {p:.0%}" for tok, p in step["top"])
        weights = step.get("attention")
        focus = ""
        if weights:
            j = max(range(len(weights)), key=weights.__getitem__)
            focus = f"{layer.col_labels[j] if j < len(layer.col_labels) else j} ({weights[j]:.0%})"
        table.add_row(str(step["step"]), step["input"], top, step["chosen"], focus)
    return table
