"""A work budget per run: the seconds of one core and the peak memory a run needs, known before it trains.

A run's cost follows from a few counts that are cheap to take before anything trains: examples,
vocabulary size (the distinct words of the training split), the model's parameters (built on the
``meta`` device: exact, and no memory), multiply-adds per example, optimiser steps and epochs. A
small linear model per lesson turns them into seconds and megabytes; its constants were fitted to
real runs on this machine and kept on the lesson's class (``cost_time`` and ``cost_memory``, with its
``workload`` method that takes the counts). A run over the budget is refused with the estimate and
the settings to lower::

    cost = check(lesson, settings, data)  # OverBudget (a ValueError) names what to lower
    cost.seconds, cost.memory_mb
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

BUDGET_SECONDS = 120.0  # of one core, per run
BUDGET_MB = 2000.0  # peak memory of one run, above an idle training process
SECONDS_ENV, MB_ENV = "PIPELINE_TRACE_BUDGET_SECONDS", "PIPELINE_TRACE_BUDGET_MB"

# A lesson's constants are fitted by `python -m pipeline.budget --calibrate SLUG` (on the 2-core x86
# server, torch 2.13 CPU, one thread: 11-12 real runs per lesson, each in a fresh process forked from a
# warm one, measuring CPU seconds and peak RSS) and kept on its class:
#   cost_time:   seconds = a + b*steps + c*steps*params/1e6 + d*forward_madds/1e9 + e*examples/1e3
#   cost_memory: megabytes = m0 + m1*weights_mb + m2*activations_mb (the whole dataset's traced pass)
FACTOR = 2.0  # the calibration's estimates fall within this factor of measured runs (tests hold it)


@dataclass(frozen=True)
class Workload:
    """What a run's cost depends on, counted from its settings and data before it trains."""

    examples: int  # train + validation
    train: int
    vocab: int  # source vocabulary, <pad> and <unk> included
    params: int
    madds: float  # multiply-adds of one example's forward pass
    activations: float  # numbers one example's forward pass keeps alive
    steps: int  # optimiser steps over all epochs
    epochs: int

    def time_features(self) -> list[float]:
        passes = self.epochs * (3 * self.train + (self.examples - self.train)) + self.examples  # fwd+bwd ~ 3 fwd
        return [1.0, self.steps, self.steps * self.params / 1e6, passes * self.madds / 1e9, self.examples / 1e3]

    def memory_features(self) -> list[float]:
        return [1.0, self.params * 4 / 1e6, self.examples * self.activations * 4 / 1e6]


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


def workload(lesson: Any, settings: Any, data: Any = None) -> Workload | None:
    """The counts a run's cost depends on, or None for a lesson without a cost model."""
    return lesson.workload(settings, data)


def estimate(lesson: Any, settings: Any, data: Any = None) -> Cost | None:
    """The seconds of one core and peak megabytes a run needs; None for a lesson without a cost model."""
    w = workload(lesson, settings, data)
    if w is None or lesson.cost_time is None or lesson.cost_memory is None:
        return None
    seconds = sum(k * f for k, f in zip(lesson.cost_time, w.time_features(), strict=True))
    memory = sum(k * f for k, f in zip(lesson.cost_memory, w.memory_features(), strict=True))
    return Cost(max(seconds, 0.05), max(memory, 1.0), w)


def check(lesson: Any, settings: Any, data: Any = None, seconds: float | None = None,
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


def _advice(lesson: Any, settings: Any, data: Any, what: str) -> str:
    """The two settings whose default saves the most, e.g. ``lower Epochs (50) or Sentences (20,000)``."""
    from pipeline.settings import specs

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


# --- counting helpers for the lessons' ``workload`` methods ------------------------------------------

@functools.lru_cache(maxsize=256)
def count_params(make: Callable[[Any], Any], config: Any) -> int:
    """The exact parameter count of ``make(config)``'s model, built on the ``meta`` device (no memory).

    Kept per (model class, config): building even on ``meta`` costs ~0.35 s here, and a class pressing Train
    with the default settings asks for the same model thirty times. ``config`` must be hashable (a frozen
    dataclass)."""
    import torch

    with torch.device("meta"):
        return sum(p.numel() for p in make(config).parameters())


def text_counts(data: Any, seed: int) -> tuple[int, int, int, int]:
    """(examples, train, vocabulary, classes) of a labelled text dataset, split as the lessons split it.

    The vocabulary is capped as the lessons cap it (``MAX_VOCAB``), ``<pad>`` and ``<unk>`` included.
    """
    from pipeline.text import MAX_VOCAB, tokenize

    train, _ = data.split(0.2, seed)
    vocab = {t for text in train.texts for t in tokenize(text)} - {"<pad>", "<unk>"}
    return len(data), len(train), min(len(vocab), MAX_VOCAB) + 2, len(data.classes)


def pair_counts(data: Any, seed: int) -> tuple[int, int, int, int, float]:
    """(pairs, train, source vocabulary, target vocabulary, mean source length) of a parallel corpus."""
    from pipeline.text import MAX_VOCAB, tokenize

    train, _ = data.split(0.2, seed)
    source = [tokenize(s) for s in train.sources]
    vocab = {t for tokens in source for t in tokens} - {"<pad>", "<unk>"}
    targets = {t for s in train.targets for t in tokenize(s)}
    return (len(data), len(train), min(len(vocab), MAX_VOCAB) + 2, len(targets) + 4,
            sum(map(len, source)) / max(len(source), 1))


# --- calibration: `python -m pipeline.budget --calibrate` --------------------------------------------

# (settings, width: default or one of the lesson's ``calibration_widths``, words of a random corpus)
_GRID: list[tuple[dict[str, Any], str, int]] = [
    ({"samples": 200, "epochs": 1}, "", 0), ({}, "", 0), ({"batch_size": 8}, "", 0),
    ({"batch_size": 128, "epochs": 10}, "", 0), ({"samples": 5000, "epochs": 2}, "", 0),
    ({"samples": 5000, "epochs": 1}, "wide", 0), ({"samples": 2000, "batch_size": 16}, "narrow", 0),
    ({"samples": 10000, "epochs": 1, "batch_size": 256}, "", 0), ({"epochs": 3}, "wide", 0),
    ({"samples": 200, "epochs": 20, "batch_size": 4}, "", 0), ({"epochs": 3, "attention": True}, "", 0),
    ({"samples": 5000, "epochs": 1, "embed_dim": 128, "d_model": 128}, "", 20_000),
    ({"samples": 20000, "epochs": 1, "batch_size": 256, "embed_dim": 256, "d_model": 256}, "", 60_000),
]


def _random_corpus(rows: int, words: int, seed: int = 0) -> Any:
    """Labelled sentences of 8 words drawn from ``words`` made-up words: a learner's file with a huge vocabulary."""
    import random

    from pipeline.data import TextDataset

    rng = random.Random(seed)
    texts = [" ".join(f"w{rng.randrange(words)}" for _ in range(8)) for _ in range(rows)]
    return TextDataset(texts, [rng.randrange(3) for _ in range(rows)], ["a", "b", "c"], "random", f"random-{seed}")


def _measure(slug: str, settings: Any, data: Any, conn: Any) -> None:
    """In a forked child: CPU seconds and peak MB (above the RSS it started with) of one run and its packing."""
    import time

    from pipeline.lessons import get_lesson
    from pipeline.runs import pack

    def status(key: str) -> float:
        with open("/proc/self/status") as f:
            return next(float(line.split()[1]) / 1024 for line in f if line.startswith(key))

    lesson = get_lesson(slug)
    lesson.run(lesson.settings_type(samples=100, epochs=1))  # first-use costs (imports, allocator) stay out
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak RSS to the current RSS
    before, started = status("VmRSS:"), time.process_time()
    pack(lesson, lesson.run(settings, (), data), data)
    conn.send((time.process_time() - started, status("VmHWM:") - before))


def _fit(rows: list[list[float]], measured: list[float], floor: float) -> list[float]:
    """Non-negative least squares on relative error: drop the most negative constant until none is."""
    import numpy as np

    a, y = np.array(rows), np.array(measured)
    w = 1 / (y + floor)
    active = list(range(a.shape[1]))
    while True:
        k, *_ = np.linalg.lstsq(a[:, active] * w[:, None], y * w, rcond=None)
        if (k >= 0).all():
            out = [0.0] * a.shape[1]
            for i, v in zip(active, k, strict=True):
                out[i] = float(v)
            return out
        active.pop(int(np.argmin(k)))


def calibrate(slugs: list[str]) -> None:
    """Run the grid for each lesson, fit its ``cost_time`` and ``cost_memory``, print them and the fit."""
    import multiprocessing as mp

    import torch
    import torch._dynamo

    from pipeline.lessons import LESSONS

    torch.set_num_threads(1)
    fork = mp.get_context("fork")  # this script is single-threaded: forking a warm process is safe here
    for slug in slugs:
        lesson = LESSONS[slug]
        lesson.run(lesson.settings_type(samples=100, epochs=1))  # warm up the process every child is forked from
        names = {f.name for f in dataclasses.fields(lesson.settings_type)}
        done: list[tuple[Any, Any, float, float, str]] = []
        for overrides, width, words in _GRID:
            values = {**overrides, **(lesson.calibration_widths.get(width, {}) if width else {})}
            values = {k: v for k, v in values.items() if k in names}
            if (words and lesson.data_format is None) or ("attention" in overrides and "attention" not in names):
                continue
            settings = lesson.settings_type(**values)
            data = _random_corpus(settings.samples, words) if words else None
            parent, child = fork.Pipe()
            p = fork.Process(target=_measure, args=(slug, settings, data, child))
            p.start()
            seconds, mb = parent.recv()
            p.join()
            done.append((settings, data, seconds, mb, f"{values}" + (f" on {words:,} random words" if words else "")))
        counts = [workload(lesson, settings, data) for settings, data, *_ in done]
        lesson.cost_time = tuple(_fit([w.time_features() for w in counts], [row[2] for row in done], 0.05))
        lesson.cost_memory = tuple(_fit([w.memory_features() for w in counts], [row[3] for row in done], 20.0))
        print(f"\n{slug}\n{'CPU s':>7} {'est':>7} {'MB':>7} {'est':>7}  settings")
        for settings, data, seconds, mb, label in done:
            cost = estimate(lesson, settings, data)
            print(f"{seconds:7.2f} {cost.seconds:7.2f} {mb:7.0f} {cost.memory_mb:7.0f}  {label}", flush=True)
        print(f"{type(lesson).__name__}.cost_time = {tuple(round(v, 6) for v in lesson.cost_time)}")
        print(f"{type(lesson).__name__}.cost_memory = {tuple(round(v, 4) for v in lesson.cost_memory)}")


if __name__ == "__main__":
    import sys

    from pipeline.lessons import LESSONS

    modelled = [slug for slug, lesson in LESSONS.items() if lesson.cost_time is not None]
    if sys.argv[1:2] != ["--calibrate"] or not set(sys.argv[2:]) <= set(LESSONS):
        sys.exit(f"usage: python -m pipeline.budget --calibrate [LESSON ...] (of {', '.join(LESSONS)})")
    calibrate(sys.argv[2:] or modelled)
