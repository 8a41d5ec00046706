"""The training pool: the same numbers as training here, events in order, cancel, time limit, dead workers, sharing."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest
import torch

from pipeline.lessons import get_lesson
from pipeline.runs import pool as pool_module
from pipeline.runs.cache import RunCache, weights_equal
from pipeline.runs.pool import JobCancelled, JobFailed, TrainingPool
from pipeline.training.loop import Callback

LESSON = get_lesson("sequence-classification")
TINY = LESSON.settings_type(epochs=2, samples=200, embed_dim=8, hidden_dim=8, batch_size=16, seed=3)
LONG = LESSON.settings_type(epochs=50, samples=4000, batch_size=8, seed=4)  # minutes: always stopped early


class Recorder(Callback):
    def __init__(self) -> None:
        self.events: list = []

    def on_train_start(self, total_batches: int) -> None:
        self.events.append(("start", total_batches))

    def on_batch_end(self, result) -> None:
        self.events.append(result)

    def on_epoch_end(self, result) -> None:
        self.events.append(("epoch", {**result.to_dict(), "seconds": 0.0}))

    def on_train_end(self, history) -> None:
        self.events.append(("end", len(history)))


@pytest.fixture(scope="module")
def one() -> Iterator[TrainingPool]:
    """A pool with one worker, so jobs queue behind each other."""
    p = TrainingPool(workers=1)
    yield p
    p.close()


def until(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_pool_run_has_exactly_the_numbers_and_events_of_a_run_here(one: TrainingPool) -> None:
    remote, here = Recorder(), Recorder()
    run = one.submit(LESSON, TINY).follow([remote])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in a worker
    try:
        local = LESSON.run(TINY, [here])
    finally:
        torch.set_num_threads(threads)
    assert remote.events == here.events  # every batch and epoch, in the order fit made them
    assert remote.events[0] == ("start", 20) and remote.events[-1] == ("end", 2)
    assert weights_equal(run.model, local.model) and run.complete
    assert LESSON.predict(run, "a great film").output == LESSON.predict(local, "a great film").output


def test_cancel_a_waiting_job_then_a_running_one(one: TrainingPool) -> None:
    running = one.submit(LESSON, LONG)
    waiting = one.submit(LESSON, TINY)
    until(lambda: running.done_batches > 0)
    status = waiting.status()
    assert (status.state, status.position) == ("waiting", 1) and status.seconds > 0
    waiting.cancel()
    with pytest.raises(JobCancelled, match="before it started"):
        waiting.result(timeout=1)
    assert one.snapshot()["waiting"] == 0  # out of the queue: no worker ever gets it
    started = time.monotonic()
    running.cancel()
    with pytest.raises(JobCancelled):
        running.result(timeout=5)
    assert time.monotonic() - started < 2  # stopped at the next batch, not at the end of the run
    assert one.submit(LESSON, TINY).result(timeout=30).complete  # the same worker goes on
    assert one.snapshot()["replaced"] == 0 and one.snapshot()["waiting"] == one.snapshot()["running"] == 0


def test_the_queue_says_who_is_ahead_and_about_how_long(one: TrainingPool) -> None:
    first, second, third = (one.submit(LESSON, s, estimate=4.0) for s in (LONG, TINY, TINY))
    until(lambda: first.state == "running")
    status, before = third.status(), second.status()
    assert (before.position, status.position) == (1, 2)
    assert abs(status.seconds - (before.seconds + 4.0)) < 0.5  # the running job's rest, plus the one ahead
    assert status.text.startswith("Waiting for a free trainer: 1 learner ahead of you — about ")
    for job in (third, second, first):
        job.cancel()


def test_a_run_past_the_time_limit_keeps_its_epochs_and_is_not_cached() -> None:
    # about 0.7 s an epoch here (35 s for the 50): 4 s leaves the first epoch room on a busy machine (the suite runs
    # on every core), and the 50 room to stop on one five times as fast
    p = TrainingPool(workers=1, run_seconds=4.0)
    cache = RunCache(None)
    settings = LESSON.settings_type(epochs=50, samples=12_000, seed=5)
    try:
        run = pool_module.train(LESSON, settings, pool=p, cache=cache)
    finally:
        p.close()
    assert not run.complete and 1 <= len(run.epochs) < 50
    assert run.info["stopped"] == f"Stopped after {len(run.epochs)} of 50 epochs (time limit: 4 s per run)."
    assert cache.get(LESSON, settings) is None


def test_a_killed_worker_fails_its_job_and_is_replaced(one: TrainingPool) -> None:
    job = one.submit(LESSON, LONG)
    until(lambda: job.done_batches > 0)
    os.kill(job.worker_pid, signal.SIGKILL)
    with pytest.raises(JobFailed, match=r"stopped unexpectedly \(killed by signal 9 — often a sign it ran out"):
        job.result(timeout=10)
    again = one.submit(LESSON, TINY)
    assert again.result(timeout=30).complete and again.worker_pid != job.worker_pid
    assert one.snapshot()["replaced"] == 1


def test_learners_asking_for_the_same_run_share_one_training(one: TrainingPool) -> None:
    cache, results = RunCache(None), []
    settings = LESSON.settings_type(epochs=3, samples=400, seed=6)
    submitted = one.snapshot()["submitted"]

    def learner() -> None:
        results.append(pool_module.train(LESSON, settings, pool=one, cache=cache))

    first = threading.Thread(target=learner)
    first.start()
    until(lambda: one.snapshot()["submitted"] == submitted + 1)
    second = threading.Thread(target=learner)
    second.start()
    first.join(30)
    second.join(30)
    assert len(results) == 2 and results[0] is results[1]
    assert one.snapshot()["submitted"] == submitted + 1 and cache.hits["shared"] == 1


def test_when_the_learner_who_started_a_shared_run_cancels_it_the_other_trains_it(one: TrainingPool) -> None:
    cache, outcomes = RunCache(None), {}
    settings = LESSON.settings_type(epochs=2, samples=300, seed=7)
    blocker = one.submit(LESSON, LONG)  # so the shared job waits, and can be cancelled while it waits
    submitted = one.snapshot()["submitted"]

    def learner(name: str) -> None:
        try:
            outcomes[name] = pool_module.train(LESSON, settings, pool=one, cache=cache)
        except JobCancelled:
            outcomes[name] = "cancelled"

    owner = threading.Thread(target=learner, args=("owner",))
    owner.start()
    until(lambda: one.snapshot()["submitted"] == submitted + 1)
    other = threading.Thread(target=learner, args=("other",))
    other.start()
    until(lambda: cache.hits["shared"] == 1)
    next(job for job in list(one._waiting) if job.settings == settings).cancel()
    until(lambda: one.snapshot()["submitted"] == submitted + 2)  # the other learner's own job
    blocker.cancel()
    owner.join(10)
    other.join(30)
    assert outcomes["owner"] == "cancelled" and outcomes["other"].complete
