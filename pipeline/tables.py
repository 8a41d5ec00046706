"""Plain tables for the app and the terminal: examples, data flow and epochs, as pandas frames."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from pipeline.lessons.base import StageView
from pipeline.train import EpochResult

PREVIEW_ITEMS = 6  # values shown in an "example values" cell


def fmt_shape(shape: Sequence[int | None]) -> str:
    """``[1000, None, 50]`` -> ``"1,000 × ? × 50"`` (``?``: the size varies); ``[]`` -> ``"scalar"``."""
    if not shape:
        return "scalar"
    return " × ".join("?" if d is None else f"{d:,}" for d in shape)


def fmt_value(value: Any) -> str:
    """One value the way a learner reads it: floats to 2 decimals, strings in quotes."""
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, str):
        return f"“{value}”"
    return str(value)


def flatten(values: Any) -> list[Any]:
    """Nested lists -> one flat list, in row-major order."""
    if isinstance(values, list | tuple):
        return [v for item in values for v in flatten(item)]
    return [values]


def preview(values: Any, limit: int = PREVIEW_ITEMS) -> str:
    """A short, readable preview of sample values: ``[0.12, -1.17, 0.36, …]``."""
    flat = flatten(values)
    if not flat:
        return "—"
    if len(flat) == 1 and isinstance(flat[0], str):
        return fmt_value(flat[0])
    shown = ", ".join(fmt_value(v) for v in flat[:limit])
    return f"[{shown}{', …' if len(flat) > limit else ''}]"


def examples_table(examples: Sequence[tuple[str, str]], n: int = 6) -> pd.DataFrame:
    """A few held-out examples as words: each input and the output the data expects for it."""
    return pd.DataFrame([{"Input": text, "Expected output": expected} for text, expected in examples[:n]],
                        columns=["Input", "Expected output"])


def stage_table(stages: Sequence[StageView]) -> pd.DataFrame:
    """The lesson card's data-flow table: one row per stage."""
    rows = [{"Stage": f"{i}. {s.title}", "Input shape": fmt_shape(s.input_shape), "Operation": s.operation,
             "Output shape": fmt_shape(s.output_shape), "Example values": preview(s.sample)}
            for i, s in enumerate(stages, start=1)]
    return pd.DataFrame(rows)


def epoch_table(epochs: Sequence[EpochResult]) -> pd.DataFrame:
    """One row per epoch, formatted for reading: losses, accuracies (%), extra metrics, the observation."""
    rows = []
    for e in epochs:
        row: dict[str, Any] = {"Epoch": e.epoch, "Loss": f"{e.loss:.3f}", "Accuracy": f"{e.accuracy:.1%}",
                               "Val loss": f"{e.val_loss:.3f}", "Val accuracy": f"{e.val_accuracy:.1%}"}
        row.update({_metric_label(k): f"{v:.1%}" if "accuracy" in k else f"{v:.3f}" for k, v in e.metrics.items()})
        row["Observation"] = e.observation
        rows.append(row)
    return pd.DataFrame(rows)


def _metric_label(name: str) -> str:
    label = name.removeprefix("val_").replace("_", " ")
    return f"Val {label}" if name.startswith("val_") else label.capitalize()
