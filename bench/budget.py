"""The work budget's cost model against measured runs: its calibration, and how close its estimates come.

    .venv/bin/python bench/budget.py                       # every budgeted lesson: estimate / measured, per run
    .venv/bin/python bench/budget.py --calibrate [SLUG ...]  # fit a lesson's cost_time and cost_memory again

Each run of the grid trains in a fresh process forked from a warm one (one torch thread, as in a training
worker), measuring the CPU seconds of the run and its packing, and its peak memory above the memory it started
with. The estimates are ``pipeline.runs.budget.estimate``; the table gives each run's estimate over its
measurement and, per lesson, their median and range. How close they come depends on the machine and on what else
runs there, so this is a benchmark, never a test (the budget's tests check what holds anywhere: the counts, the
refusal's advice, that more work never costs less).
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing as mp
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.data import TextDataset
from pipeline.lessons import LESSONS, get_lesson
from pipeline.runs.budget import estimate, workload
from pipeline.runs.cache import pack

# (settings, width: default or one of the lesson's ``calibration_widths``, words of a random corpus)
GRID: list[tuple[dict[str, Any], str, int]] = [
    ({"samples": 200, "epochs": 1}, "", 0), ({}, "", 0), ({"batch_size": 8}, "", 0),
    ({"batch_size": 128, "epochs": 10}, "", 0), ({"samples": 5000, "epochs": 2}, "", 0),
    ({"samples": 5000, "epochs": 1}, "wide", 0), ({"samples": 2000, "batch_size": 16}, "narrow", 0),
    ({"samples": 10000, "epochs": 1, "batch_size": 256}, "", 0), ({"epochs": 3}, "wide", 0),
    ({"samples": 200, "epochs": 20, "batch_size": 4}, "", 0), ({"epochs": 3, "attention": True}, "", 0),
    ({"samples": 5000, "epochs": 1, "embed_dim": 128, "d_model": 128}, "", 20_000),
    ({"samples": 20000, "epochs": 1, "batch_size": 256, "embed_dim": 256, "d_model": 256}, "", 60_000),
]


def random_corpus(rows: int, words: int, seed: int = 0) -> TextDataset:
    """Labelled sentences of 8 words drawn from ``words`` made-up words: a learner's file with a huge vocabulary."""
    rng = random.Random(seed)
    texts = [" ".join(f"w{rng.randrange(words)}" for _ in range(8)) for _ in range(rows)]
    return TextDataset(texts, [rng.randrange(3) for _ in range(rows)], ["a", "b", "c"], "random", f"random-{seed}")


def measure(slug: str, settings: Any, data: Any, conn: Any) -> None:
    """In a forked child: CPU seconds and peak MB (above the RSS it started with) of one run and its packing."""
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


def fit(rows: list[list[float]], measured: list[float], floor: float) -> list[float]:
    """Non-negative least squares on relative error: drop the most negative constant until none is."""
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


def runs(slug: str) -> list[tuple[Any, Any, float, float, str]]:
    """Every grid run the lesson takes, measured: (settings, data, CPU seconds, peak MB, label)."""
    fork = mp.get_context("fork")  # this script is single-threaded: forking a warm process is safe here
    lesson = LESSONS[slug]
    lesson.run(lesson.settings_type(samples=100, epochs=1))  # warm up the process every child is forked from
    names = {f.name for f in dataclasses.fields(lesson.settings_type)}
    done = []
    for overrides, width, words in GRID:
        values = {**overrides, **(lesson.calibration_widths.get(width, {}) if width else {})}
        values = {k: v for k, v in values.items() if k in names}
        if (words and lesson.data_format is None) or ("attention" in overrides and "attention" not in names):
            continue
        settings = lesson.settings_type(**values)
        data = random_corpus(settings.samples, words) if words else None
        parent, child = fork.Pipe()
        p = fork.Process(target=measure, args=(slug, settings, data, child))
        p.start()
        seconds, mb = parent.recv()
        p.join()
        done.append((settings, data, seconds, mb, f"{values}" + (f" on {words:,} random words" if words else "")))
    return done


def report(slug: str, done: list[tuple[Any, Any, float, float, str]]) -> None:
    lesson = LESSONS[slug]
    print(f"\n{slug}\n{'CPU s':>7} {'est':>7} {'ratio':>6} {'MB':>7} {'est':>7} {'ratio':>6}  settings")
    ratios: tuple[list[float], list[float]] = ([], [])
    for settings, data, seconds, mb, label in done:
        cost = estimate(lesson, settings, data)
        ratios[0].append(cost.seconds / seconds)
        ratios[1].append(cost.memory_mb / max(mb, 1.0))
        print(f"{seconds:7.2f} {cost.seconds:7.2f} {ratios[0][-1]:6.2f} {mb:7.0f} {cost.memory_mb:7.0f} "
              f"{ratios[1][-1]:6.2f}  {label}", flush=True)
    for what, values in zip(("time", "memory"), ratios, strict=True):
        print(f"  estimate / measured, {what}: median {statistics.median(values):.2f} "
              f"(range {min(values):.2f}-{max(values):.2f}, {len(values)} runs)")


def main() -> int:
    modelled = [slug for slug, lesson in LESSONS.items() if lesson.cost_time is not None]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibrate", action="store_true", help="fit the lessons' constants again and print them")
    parser.add_argument("slugs", nargs="*", choices=[*modelled, []], metavar="LESSON", help=", ".join(modelled))
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"# torch {torch.__version__}, one thread; CPU seconds and peak MB of each run in a forked process")
    for slug in args.slugs or modelled:
        done = runs(slug)
        if args.calibrate:
            lesson = LESSONS[slug]
            counts = [workload(lesson, settings, data) for settings, data, *_ in done]
            lesson.cost_time = tuple(fit([w.time_features() for w in counts], [row[2] for row in done], 0.05))
            lesson.cost_memory = tuple(fit([w.memory_features() for w in counts], [row[3] for row in done], 20.0))
            print(f"{type(lesson).__name__}.cost_time = {tuple(round(v, 6) for v in lesson.cost_time)}")
            print(f"{type(lesson).__name__}.cost_memory = {tuple(round(v, 4) for v in lesson.cost_memory)}")
        report(slug, done)
    return 0


if __name__ == "__main__":
    sys.exit(main())
