"""The live-training feed: redraws paced by batches done, never by the clock alone; a real fit drives it."""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn

from pipeline.training import live
from pipeline.training.loop import StepOutput, TrainConfig, fit
from pipeline.training.results import BatchResult, EpochResult


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def feed(clock: Clock, epochs: int = 2, **kwargs) -> tuple[live.LiveTraining, list, list]:
    progress, charts = [], []
    feed = live.LiveTraining(epochs, lambda f, t: progress.append((f, t)), lambda log: charts.append(len(log.epochs)),
                             clock=clock, **kwargs)
    return feed, progress, charts


def run_batches(f: live.LiveTraining, clock: Clock, epochs: int, per_epoch: int, seconds_per_batch: float) -> None:
    f.on_train_start(epochs * per_epoch)
    for epoch in range(1, epochs + 1):
        for batch in range(1, per_epoch + 1):
            clock.now += seconds_per_batch
            f.on_batch_end(BatchResult(epoch, batch, per_epoch, 1.0 / batch, 0.5))
        f.on_epoch_end(EpochResult(epoch, 0.5, 0.6, 0.55, 0.58))
    f.on_train_end(f.log.epochs)


def test_redraws_depend_on_batches_done_not_on_how_slow_the_server_is() -> None:
    counts = []
    for seconds_per_batch in (0.4, 4.0, 40.0):  # a lone learner, a busy server, a very busy one
        clock = Clock()
        f, progress, charts = feed(clock, redraws_per_epoch=4)
        run_batches(f, clock, epochs=2, per_epoch=20, seconds_per_batch=seconds_per_batch)
        counts.append(len(charts))
        assert charts[-1] == 2 and progress[-1][0] == 1.0 and f.log.fraction == 1.0
    assert counts == [2 * (3 + 1)] * 3  # every 5 batches (the epoch's last one drawn at its end) + each epoch end


def test_the_rate_cap_only_ever_skips_redraws_within_an_epoch() -> None:
    clock = Clock()
    f, _, charts = feed(clock, redraws_per_epoch=20, max_per_second=2.0)
    run_batches(f, clock, epochs=2, per_epoch=20, seconds_per_batch=0.01)  # very fast batches
    assert charts.count(0) <= 1 and charts.count(1) <= 1 + 1  # at most one in-epoch redraw per half second
    assert charts[-2:] == [1, 2] or charts[-1] == 2
    assert [c for c in charts if c] == sorted(c for c in charts if c) and 2 in charts  # epoch ends always drawn


def test_batches_are_sampled_when_there_are_very_many() -> None:
    clock = Clock()
    f, _, _ = feed(clock, epochs=1)
    n = 10 * live.MAX_BATCH_POINTS
    f.on_train_start(n)
    for i in range(1, n + 1):
        f.on_batch_end(BatchResult(1, i, n, 1.0, 0.5))
    assert len(f.log.batch_loss) == live.MAX_BATCH_POINTS


def test_the_feed_follows_a_real_fit() -> None:
    torch.manual_seed(0)
    x, y = torch.randn(40, 3), torch.randint(0, 2, (40,))
    model = nn.Linear(3, 2)

    def step(m: nn.Module, batch: list[torch.Tensor]) -> StepOutput:
        logits = m(batch[0])
        return StepOutput(F.cross_entropy(logits, batch[1]), len(batch[1]),
                          {"accuracy": (int((logits.argmax(1) == batch[1]).sum()), len(batch[1]))})

    clock = Clock()
    f, progress, charts = feed(clock, epochs=3)
    history = fit(model, step, (x[:32], y[:32]), (x[32:], y[32:]), TrainConfig(epochs=3, batch_size=8), [f])
    assert f.log.epochs == history and f.log.total_batches == f.log.done_batches == 12
    assert charts[-3:] == [1, 2, 3] and progress[-1][0] == 1.0
    assert f.log.batch_x[0] == 0.25 and f.log.batch_x[-1] == 3.0


def test_a_page_behind_its_training_skips_stale_redraws_but_never_for_long() -> None:
    """On a busy server the page follows its job's events more slowly than they come: redrawing at each would
    only fall further behind, yet a chart frozen until the end (seen: 25 points, then 875) is no live chart."""
    assert live.redraw_due(10.0, 10.0 - 1 / live.MAX_REDRAWS_PER_SECOND, lagging=False)
    assert not live.redraw_due(10.0, 9.9, lagging=False)  # the rate cap
    assert not live.redraw_due(10.0, 9.5, lagging=True)  # newer results are waiting: this one would be stale
    assert live.redraw_due(10.0, 10.0 - live.MAX_SKIP_SECONDS, lagging=True)  # ... but not for long
    last, draws = -math.inf, []
    for tick in range(100):  # 10 s of events every 0.1 s, always lagging
        if live.redraw_due(tick / 10, last, lagging=True):
            last = tick / 10
            draws.append(last)
    assert len(draws) >= 10 / live.MAX_SKIP_SECONDS and max(b - a for a, b in itertools.pairwise(draws)) <= 1.6


def test_the_probes_chart_is_redrawn_at_most_once_a_second() -> None:
    rate = live.PROBES_REDRAWS_PER_SECOND
    assert rate <= 1.0
    assert not live.redraw_due(10.0, 9.5, lagging=False, per_second=rate)
    assert live.redraw_due(10.0, 10.0 - 1 / rate, lagging=False, per_second=rate)
    assert not live.redraw_due(10.0, 10.0 - live.MAX_SKIP_SECONDS, lagging=True, per_second=0.5)  # never sooner
    assert live.redraw_due(10.0, 8.0, lagging=True, per_second=0.5)
