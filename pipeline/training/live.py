"""Live training for a page: batch and epoch results gathered for a chart, redrawn as work gets done.

The chart is redrawn every few batches and at each epoch's end -- paced by work done, not by the
clock, so a busy server does not redraw more often (and so slow down further) while a model trains.
A clock only caps the rate: at most ``MAX_REDRAWS_PER_SECOND`` redraws a second. A page that has
fallen behind the training skips redraws that newer results would make stale at once, but never for
longer than ``MAX_SKIP_SECONDS``: on a busy server the chart still moves while the model trains.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.training.loop import Callback
from pipeline.training.results import BatchResult, EpochResult

MAX_BATCH_POINTS = 2_000  # batch losses kept for the live chart, however long the training
REDRAWS_PER_EPOCH = 4  # chart redraws within an epoch (plus one at its end)
MAX_REDRAWS_PER_SECOND = 3.0
# The probes' answers change once an epoch and sit under the curves: redrawn at most once a second while a run trains
# (every epoch of a slow run, the last of a fast one: the finished run shows them all). Building the curves and the
# probes' chart was half of the server's CPU while a class of 30 trained (bench/load.py, py-spy).
PROBES_REDRAWS_PER_SECOND = 1.0
MAX_SKIP_SECONDS = 1.5  # longest a page that lags behind its training goes without a redraw


def redraw_due(now: float, last: float, lagging: bool, per_second: float = MAX_REDRAWS_PER_SECOND) -> bool:
    """Whether a page should redraw now, ``last`` being when it last did: not more than ``per_second``
    times a second, and while more results already wait (``lagging``) only once ``MAX_SKIP_SECONDS`` have
    passed (or more, for a chart redrawn more rarely still)."""
    waited = now - last
    return waited >= (max(MAX_SKIP_SECONDS, 1 / per_second) if lagging else 1 / per_second)


@dataclass
class TrainingLog:
    """What the live chart draws: sampled batch results and every epoch's results."""

    total_epochs: int = 0
    total_batches: int = 0
    batch_x: list[float] = field(default_factory=list)  # position in epochs, e.g. 2.5 = half-way through epoch 3
    batch_loss: list[float] = field(default_factory=list)
    batch_accuracy: list[float] = field(default_factory=list)
    epochs: list[EpochResult] = field(default_factory=list)
    done_batches: int = 0

    @property
    def fraction(self) -> float:
        return self.done_batches / self.total_batches if self.total_batches else 0.0


class LiveTraining(Callback):
    """Feeds training progress to a progress function and a chart function, paced by batches done.

    Within an epoch the chart is redrawn every ``1 / REDRAWS_PER_EPOCH`` of its batches, and always
    at the epoch's end; the progress bar moves every few batches too. Neither runs more than
    ``max_per_second`` times a second, whatever the pace of training.
    """

    def __init__(self, total_epochs: int, on_progress: Callable[[float, str], None],
                 on_chart: Callable[[TrainingLog], None], clock: Callable[[], float] = time.monotonic,
                 redraws_per_epoch: int = REDRAWS_PER_EPOCH, max_per_second: float = MAX_REDRAWS_PER_SECOND) -> None:
        self.log = TrainingLog(total_epochs)
        self.on_progress, self.on_chart, self.clock = on_progress, on_chart, clock
        self.redraws_per_epoch, self.min_gap = redraws_per_epoch, 1 / max_per_second
        self.stride, self.every, self.charts = 1, 1, 0
        self._last_chart = self._last_progress = -math.inf

    def on_train_start(self, total_batches: int) -> None:
        """Remember the size of the job; sample batches so the chart stays small."""
        self.log.total_batches = total_batches
        self.stride = max(1, math.ceil(total_batches / MAX_BATCH_POINTS))
        per_epoch = max(1, total_batches // max(self.log.total_epochs, 1))
        self.every = max(1, math.ceil(per_epoch / self.redraws_per_epoch))

    def on_batch_end(self, result: BatchResult) -> None:
        """Record the batch; every ``every`` batches, move the bar and redraw the chart (rate permitting)."""
        log = self.log
        log.done_batches += 1
        if log.done_batches % self.stride == 0:
            log.batch_x.append(result.epoch - 1 + result.batch / result.num_batches)
            log.batch_loss.append(result.loss)
            log.batch_accuracy.append(result.accuracy)
        if result.batch % self.every or result.batch == result.num_batches:
            return  # the epoch's last batch is drawn by on_epoch_end
        now = self.clock()
        if now - self._last_progress >= self.min_gap:
            self._progress(f"Epoch {result.epoch} of {log.total_epochs} · batch {result.batch} of "
                           f"{result.num_batches} · loss {result.loss:.3f}", now)
        if now - self._last_chart >= self.min_gap:
            self._chart(now)

    def on_epoch_end(self, result: EpochResult) -> None:
        """Record the epoch and redraw (always: an epoch's end is never skipped)."""
        self.log.epochs.append(result)
        now = self.clock()
        self._progress(f"Epoch {result.epoch} of {self.log.total_epochs} done · validation accuracy "
                       f"{result.val_accuracy:.0%}", now)
        self._chart(now)

    def on_train_end(self, history: list[EpochResult]) -> None:
        """Show the bar full."""
        self.on_progress(1.0, f"Done: {len(history)} epochs, {self.log.done_batches:,} batches.")

    def _progress(self, text: str, now: float) -> None:
        self._last_progress = now
        self.on_progress(min(self.log.fraction, 1.0), text)

    def _chart(self, now: float) -> None:
        self._last_chart = now
        self.charts += 1
        self.on_chart(self.log)
