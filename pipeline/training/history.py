"""A learner's last training runs, kept light (settings and per-epoch numbers, no model) to compare them.

    kept = remember(kept, PastRun(settings, run.epochs, "the built-in sentences", run.complete))
    for label, past in labelled(kept): ...   # label: what set the run apart, e.g. "Learning rate 0.01"
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.training.results import EpochResult
from pipeline.training.settings import differences

if TYPE_CHECKING:  # the loop imports torch; the history is kept by pages that may not have loaded it yet
    from pipeline.training.loop import TrainConfig

KEPT = 6  # runs compared on the Training page, newest first
BUILT_IN = "the built-in data"


@dataclass(frozen=True)
class PastRun:
    """One finished (or stopped) run: what it was trained with, and how each epoch went."""

    settings: TrainConfig  # the lesson's own settings dataclass
    epochs: tuple[EpochResult, ...]
    source: str = BUILT_IN  # the data it trained on: the built-in data or the learner's file name
    complete: bool = True

    @property
    def final_accuracy(self) -> float | None:
        return self.epochs[-1].val_accuracy if self.epochs else None


def remember(kept: Sequence[PastRun], run: PastRun, keep: int = KEPT) -> list[PastRun]:
    """``run`` first, then the others; a run with the same settings and data replaces its earlier self."""
    others = [p for p in kept if (p.settings, p.source) != (run.settings, run.source)]
    return [run, *others][:keep]


def labelled(kept: Sequence[PastRun]) -> list[tuple[str, PastRun]]:
    """Each run with a label naming the settings (and data) that set it apart from the others."""
    labels = differences([p.settings for p in kept], [p.source for p in kept])
    return [(label + ("" if p.complete else f" (stopped after {len(p.epochs)})"), p)
            for label, p in zip(labels, kept, strict=True)]
