"""Plain tables for the app, the terminal and the handout: examples, data flow, calls and epochs.

Rows are plain dicts (the terminal needs no pandas); ``frame(rows)`` makes a pandas frame for a page.
Importing this module imports neither torch nor pandas: the Overview draws its tables from kept JSON
before any model code loads.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.document.document import Stage
    from pipeline.trace import Trace
    from pipeline.training.results import EpochResult

Rows = list[dict[str, Any]]

PREVIEW_ITEMS = 6  # values shown in an "example values" cell


def fmt_shape(shape: Sequence[int | None]) -> str:
    """``[1000, None, 50]`` -> ``"1,000 × ? × 50"`` (``?``: the size varies); ``[]`` -> ``"scalar"``."""
    if not shape:
        return "scalar"
    return " × ".join("?" if d is None else f"{d:,}" for d in shape)


def fmt_value(value: Any) -> str:
    """One value the way a learner reads it: floats to 2 decimals, strings in quotes."""
    if isinstance(value, float):
        return f"{value:.2f}" if value == value else "NaN"
    if isinstance(value, str):
        return f"“{value}”"
    return str(value)


def _is_tensor(value: Any) -> bool:
    """Whether ``value`` is a tensor -- without importing torch: if it is not imported, nothing is a tensor."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def flatten(values: Any) -> list[Any]:
    """Nested lists (or a tensor) -> one flat list, in row-major order."""
    if _is_tensor(values):
        return values.flatten().tolist()
    if isinstance(values, list | tuple):
        return [v for item in values for v in flatten(item)]
    return [values]


def preview(values: Any, limit: int = PREVIEW_ITEMS) -> str:
    """A short, readable preview of sample values: ``[0.12, -1.17, 0.36, …]``."""
    if values is None:
        return "—"
    flat = flatten(values.flatten()[: limit + 1] if _is_tensor(values) else values)
    if not flat:
        return "—"
    if len(flat) == 1 and isinstance(flat[0], str):
        return fmt_value(flat[0])
    shown = ", ".join(fmt_value(v) for v in flat[:limit])
    return f"[{shown}{', …' if len(flat) > limit else ''}]"


def frame(rows: Rows, columns: Sequence[str] | None = None) -> Any:
    """A pandas frame of rows, for a page (pandas is imported only here, when a page needs it)."""
    import pandas as pd

    return pd.DataFrame(rows, columns=list(columns) if columns else None)


def examples_rows(examples: Sequence[tuple[str, str]], n: int = 6) -> Rows:
    """A few held-out examples as words: each input and the output the data expects for it."""
    return [{"Input": text, "Expected output": expected} for text, expected in examples[:n]]


def stage_rows(stages: Sequence[Stage]) -> Rows:
    """The lesson card's data-flow table: one row per stage."""
    return [{"Stage": f"{i}. {s.title}", "Input shape": fmt_shape(s.input_shape), "Operation": s.operation,
             "Output shape": fmt_shape(s.output_shape), "Example values": preview(s.sample)}
            for i, s in enumerate(stages, start=1)]


def call_rows(trace: Trace) -> Rows:
    """Every recorded call: its name, what it is, its output and its parameters (torchinfo's table, plus values)."""
    from pipeline.trace import RecordKind, format_structure  # torch: the Overview draws its tables without it

    return [{"Call": ("  " * r.depth) + r.label + (f" [{r.call + 1}]" if r.call else ""),
             "Kind": r.kind.value, "Operation": r.operation, "Output": format_structure(r.outputs),
             "Parameters": f"{r.num_params:,}" if r.kind is RecordKind.MODULE else "",
             "Mean ± std": f"{r.stats.mean:.3g} ± {r.stats.std:.3g}" if r.stats else "",
             "Example values": preview(r.sample)} for r in trace]


def epoch_rows(epochs: Sequence[EpochResult]) -> Rows:
    """One row per epoch, formatted for reading: losses, accuracies (%), extra metrics, the observation."""
    rows = []
    for e in epochs:
        row: dict[str, Any] = {"Epoch": str(e.epoch), "Loss": _num(e.loss, ".3f"), "Accuracy": _num(e.accuracy, ".1%"),
                               "Val loss": _num(e.val_loss, ".3f"), "Val accuracy": _num(e.val_accuracy, ".1%")}
        row.update({_metric_label(k): _num(v, ".1%" if "accuracy" in k else ".3f") for k, v in e.metrics.items()})
        row["Observation"] = e.observation
        rows.append(row)
    return rows


def probe_rows(epochs: Sequence[EpochResult]) -> Rows:
    """The model's answer to each probe input after every epoch: one row per input, one column per epoch."""
    probes = list(epochs[0].probes) if epochs else []
    return [{"Input": probe, **{f"After epoch {e.epoch}": _answer(e.probes.get(probe)) for e in epochs}}
            for probe in probes]


def _answer(answer: Any) -> str:
    if isinstance(answer, dict) and answer:
        best = max(answer, key=lambda k: answer[k] if answer[k] == answer[k] else -1.0)
        return f"{best} {answer[best]:.0%}"
    return "—" if answer is None else str(answer)


def _num(value: float, spec: str) -> str:
    return format(value, spec) if value == value and abs(value) != float("inf") else "n/a (diverged)"


def _metric_label(name: str) -> str:
    label = name.removeprefix("val_").replace("_", " ")
    return f"Val {label}" if name.startswith("val_") else label.capitalize()
