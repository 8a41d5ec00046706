"""The worker side of the training pool: a process that trains one job at a time and streams its progress.

Messages (``pipeline.runs.messages``) to the pool, on the worker's one pipe: ``Ready`` once, then per job
``TrainStart``, ``Batches`` at most ``FLUSH_SECONDS`` apart, ``EpochEnd``, ``TrainEnd``, and one outcome: ``Done``
(the packed run) or ``Ended`` (cancelled, stopped or failed, with the message). From the pool: ``TrainJob``,
``Cancel``, or None to close.
"""

from __future__ import annotations

import signal
import time
from multiprocessing.connection import Connection

from pipeline.lessons import TrainingStopped
from pipeline.runs.messages import (
    Batches,
    Cancel,
    Done,
    Ended,
    Ending,
    EpochEnd,
    FromWorker,
    Ready,
    ToWorker,
    TrainEnd,
    TrainJob,
    TrainStart,
)
from pipeline.training.loop import Callback, StopTraining
from pipeline.training.results import BatchResult, EpochResult

FLUSH_SECONDS = 0.1  # batch results travel in bundles, at most this far apart


class _Cancelled(Exception):
    """Raised in a worker when its job is cancelled: not a StopTraining, so nothing is traced or kept."""


class _Stream(Callback):
    """Sends a job's progress to the pool; stops it when it is cancelled or past its time limit."""

    def __init__(self, conn: Connection, job_id: int, deadline: float) -> None:
        self.conn, self.job_id, self.deadline = conn, job_id, deadline
        self.bundle: list[BatchResult] = []
        self.sent, self.timed_out, self.closing = time.monotonic(), False, False

    def send(self, msg: FromWorker) -> None:
        self.conn.send(msg)

    def on_train_start(self, total_batches: int) -> None:
        self.send(TrainStart(self.job_id, total_batches))

    def on_batch_end(self, result: BatchResult) -> None:
        self.bundle.append(result)
        now = time.monotonic()
        if now - self.sent >= FLUSH_SECONDS:
            self._flush(now)
        while self.conn.poll():  # only a cancel (or a shutdown) arrives while a job trains
            msg: ToWorker = self.conn.recv()
            if msg is None or msg == Cancel(self.job_id):
                self.closing = msg is None
                raise _Cancelled
        if not self.timed_out and now > self.deadline:
            self.timed_out = True
            raise StopTraining

    def on_epoch_end(self, result: EpochResult) -> None:
        self._flush(time.monotonic())
        self.send(EpochEnd(self.job_id, result))

    def on_train_end(self, history: list[EpochResult]) -> None:
        self._flush(time.monotonic())
        self.send(TrainEnd(self.job_id, history))

    def _flush(self, now: float) -> None:
        if self.bundle:
            self.send(Batches(self.job_id, self.bundle))
            self.bundle, self.sent = [], now


def worker_main(conn: Connection, run_seconds: float, code: str) -> None:
    """A worker: one torch thread, then jobs from ``conn`` until it closes."""
    # in the worker process only: the server that starts it does not load every lesson to do so
    import torch

    from pipeline.lessons import get_lesson
    from pipeline.runs import cache as run_cache

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops its workers
    torch.set_num_threads(1)
    # name runs as the server does (it checks the name when it unpacks)
    run_cache.code_hash = lambda: code  # type: ignore[assignment]
    conn.send(Ready())
    while (job := _receive_job(conn)) is not None:
        lesson, stream = get_lesson(job.slug), _Stream(conn, job.job_id, time.monotonic() + run_seconds)
        outcome: FromWorker
        try:
            run = lesson.run(job.settings, [stream], job.data)
            outcome = Done(job.job_id, run_cache.pack(lesson, run, job.data), stream.timed_out)
        except _Cancelled:
            outcome = Ended(job.job_id, Ending.CANCELLED, "The training was cancelled.")
        except TrainingStopped:
            outcome = Ended(job.job_id, Ending.STOPPED, f"The time limit ({run_seconds:g} s per run) came before the "
                                                        "first epoch ended, so there is no model to keep: choose "
                                                        "smaller settings.")
        except ValueError as e:
            outcome = Ended(job.job_id, Ending.FAILED, str(e))
        except Exception as e:
            outcome = Ended(job.job_id, Ending.FAILED, f"Training failed: {type(e).__name__}: {e}")
        conn.send(outcome)
        if stream.closing:
            return


def _receive_job(conn: Connection) -> TrainJob | None:
    """The next job; None when the pool closes. A cancel arriving after its job ended is skipped."""
    while True:
        try:
            msg: ToWorker = conn.recv()
        except (EOFError, OSError):
            return None
        if msg is None or isinstance(msg, TrainJob):
            return msg
