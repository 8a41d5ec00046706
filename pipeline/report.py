"""Terminal rendering of a lesson run: data-flow table, epoch table, ASCII loss chart, prediction trace."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from pipeline.lessons.base import Prediction, PredictionLayer, StageView
from pipeline.train import EpochResult

PREVIEW = 6  # values shown per sample or row


def format_shape(shape: Sequence[int | None]) -> str:
    """``[1000, None, 50]`` -> ``1000 × ? × 50`` (``?`` = varies between examples)."""
    return " × ".join("?" if d is None else str(d) for d in shape) or "scalar"


def format_values(values: Sequence[Any], limit: int = PREVIEW) -> str:
    """A short preview: ``[0.12, -0.40, 0.05, …]``; texts are quoted."""
    shown = [repr(v) if isinstance(v, str) else f"{v:.2f}" if isinstance(v, float) else str(v)
             for v in values[:limit]]
    return "[" + ", ".join(shown) + (", …" if len(values) > limit else "") + "]"


def stage_table(stages: list[StageView]) -> Table:
    table = Table(title="Data flow", title_justify="left", show_lines=True)
    for col in ("Stage", "Input shape", "Operation", "Output shape", "Example values"):
        table.add_column(col, overflow="fold")
    for i, s in enumerate(stages, start=1):
        table.add_row(f"{i}. {s.title}", format_shape(s.input_shape), s.operation, format_shape(s.output_shape),
                      format_values(s.sample))
    return table


def epoch_table(epochs: list[EpochResult]) -> Table:
    table = Table(title="Training, epoch by epoch", title_justify="left")
    extra = [k for k in (epochs[0].metrics if epochs else {}) if not k.startswith("val_")]
    columns = ["Epoch", "Loss", "Accuracy", "Val loss", "Val accuracy"]
    columns += [f"{k.replace('_', ' ').capitalize()} (train / val)" for k in extra] + ["Observation"]
    for col in columns:
        table.add_column(col, overflow="fold", justify="left" if col == "Observation" else "right")
    for e in epochs:
        cells = [str(e.epoch), f"{e.loss:.3f}", f"{e.accuracy:.3f}", f"{e.val_loss:.3f}", f"{e.val_accuracy:.3f}"]
        cells += [f"{e.metrics[k]:.3f} / {e.metrics['val_' + k]:.3f}" for k in extra]
        table.add_row(*cells, e.observation)
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
        parts.append(Text(f"\nLayer {i}: {layer.title}  [{format_shape(layer.shape)}]", style="bold cyan"))
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
            table.add_row(label, format_values(row), "" if mark in ("word", "") else mark)
        return table
    if layer.kind == "vector":
        return Text(f"{len(layer.values)} numbers: {format_values(layer.values, 8)}")
    if layer.kind == "probabilities":
        return Text("\n".join(f"{label:>12} {'█' * round(p * 30):<30} {p:6.1%}"
                              for label, p in zip(layer.row_labels, layer.values, strict=True)))
    if layer.kind == "decoder_steps":
        return _decoder_table(layer)
    return Text(format_values(layer.values))


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
