"""A work budget per run: the seconds of one core and the peak memory a run needs, known before it trains.

A run's cost follows from a few counts that are cheap to take before anything trains: examples,
vocabulary size (the distinct words of the training split), the model's parameters (built on the
``meta`` device: exact, and no memory), multiply-adds per example, optimiser steps and epochs. A
small linear model per lesson turns them into seconds and megabytes; its constants were fitted to
real runs on this machine and kept on the lesson's class (``cost_time`` and ``cost_memory``, with its
``workload`` method that takes the counts: ``pipeline.training.cost``). A run over the budget is refused with the
estimate and the settings to lower::

    cost = check(lesson, settings, data)  # OverBudget (a ValueError) names what to lower
    cost.seconds, cost.memory_mb
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pipeline.training.cost import Workload
from pipeline.training.settings import specs

if TYPE_CHECKING:  # the lessons and the loop import torch: the budget is read before any of them is loaded
    from pipeline.lessons import Lesson
    from pipeline.training.loop import TrainConfig

S = TypeVar("S", bound="TrainConfig")

BUDGET_SECONDS = 120.0  # of one core, per run
BUDGET_MB = 2000.0  # peak memory of one run, above an idle training process
SECONDS_ENV, MB_ENV = "PIPELINE_TRACE_BUDGET_SECONDS", "PIPELINE_TRACE_BUDGET_MB"

# A lesson's constants are fitted by `python bench/budget.py --calibrate SLUG` (on the 2-core x86 server, torch 2.13
# CPU, one thread: 11-12 real runs per lesson, each in a fresh process forked from a warm one, measuring CPU seconds
# and peak RSS) and kept on its class (the features: pipeline.training.cost.Workload):
#   cost_time:   seconds = a + b*steps + c*steps*params/1e6 + d*forward_madds/1e9 + e*examples/1e3
#   cost_memory: megabytes = m0 + m1*weights_mb + m2*activations_mb (the whole dataset's traced pass)
# How close the estimates come to measured runs is a benchmark (bench/budget.py), never a test: a timing depends on
# the machine and on what else runs there.


@dataclass(frozen=True)
class Cost:
    """A run's estimated cost: seconds of one core and peak megabytes, with the counts behind them."""

    seconds: float
    memory_mb: float
    workload: Workload


class OverBudget(ValueError):
    """A run would need more time or memory than the budget allows; the message says what to lower."""

    def __init__(self, message: str, cost: Cost) -> None:
        super().__init__(message)
        self.cost = cost


def limits() -> tuple[float, float]:
    """(seconds, megabytes) a run may use: ``PIPELINE_TRACE_BUDGET_SECONDS`` / ``_MB`` or the defaults."""
    return _positive(SECONDS_ENV, BUDGET_SECONDS), _positive(MB_ENV, BUDGET_MB)


def _positive(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise ValueError(f"{name} must be a number of {'seconds' if 'SECONDS' in name else 'MB'}, "
                         f"got {raw[:40]!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be above 0, got {raw[:40]!r}")
    return value


def workload(lesson: Lesson[S], settings: S, data: Any = None) -> Workload | None:
    """The counts a run's cost depends on, or None for a lesson without a cost model."""
    return lesson.workload(settings, data)


def estimate(lesson: Lesson[S], settings: S, data: Any = None) -> Cost | None:
    """The seconds of one core and peak megabytes a run needs; None for a lesson without a cost model."""
    w = workload(lesson, settings, data)
    if w is None or lesson.cost_time is None or lesson.cost_memory is None:
        return None
    seconds = sum(k * f for k, f in zip(lesson.cost_time, w.time_features(), strict=True))
    memory = sum(k * f for k, f in zip(lesson.cost_memory, w.memory_features(), strict=True))
    return Cost(max(seconds, 0.05), max(memory, 1.0), w)


def check(lesson: Lesson[S], settings: S, data: Any = None, seconds: float | None = None,
          memory_mb: float | None = None) -> Cost | None:
    """The run's cost if it fits the budget (default: :func:`limits`), else OverBudget naming what to lower."""
    cost = estimate(lesson, settings, data)
    if cost is None:
        return None
    max_s, max_mb = limits()
    max_s, max_mb = seconds or max_s, memory_mb or max_mb
    if cost.seconds > max_s:
        need = f"about {duration(cost.seconds)} of training (the limit is {duration(max_s)})"
        raise OverBudget(f"This run would take {need}: {_advice(lesson, settings, data, 'seconds')}.", cost)
    if cost.memory_mb > max_mb:
        need = f"about {megabytes(cost.memory_mb)} of memory (the limit is {megabytes(max_mb)})"
        raise OverBudget(f"This run would need {need}: {_advice(lesson, settings, data, 'memory_mb')}.", cost)
    return cost


def duration(seconds: float) -> str:
    """``about``-style wording: ``40 seconds``, ``9 minutes``, ``2.5 hours``."""
    if seconds < 1.5:
        return "1 second"
    if seconds < 90:
        return f"{round(seconds)} seconds"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} minutes"
    return f"{seconds / 3600:.1f} hours"


def megabytes(mb: float) -> str:
    return f"{mb / 1000:.1f} GB" if mb >= 1000 else f"{round(mb)} MB"


def _advice(lesson: Lesson[S], settings: S, data: Any, what: str) -> str:
    """The two settings whose default saves the most, e.g. ``lower Epochs (50) or Sentences (20,000)``."""
    base = getattr(estimate(lesson, settings, data), what)
    saving = []
    for spec in specs(settings):
        value = getattr(settings, spec.name)
        if spec.kind is bool or spec.name in ("seed", "lr") or value == spec.default:
            continue
        try:
            cheaper = estimate(lesson, dataclasses.replace(settings, **{spec.name: spec.default}), data)
        except ValueError:  # e.g. a width the heads no longer divide
            continue
        if cheaper is not None and getattr(cheaper, what) < base * 0.95:
            saving.append((getattr(cheaper, what), "lower" if spec.default < value else "raise",
                           f"{spec.label} ({spec.fmt(value)})"))
    best = sorted(saving)[:2]
    steps = [f"{verb} {text}" if i == 0 or verb != best[0][1] else text for i, (_, verb, text) in enumerate(best)]
    if data is not None:
        steps.append(f"use a smaller data file (it has {len(data):,} rows)")
    return " or ".join(steps) if steps else "use smaller settings"
