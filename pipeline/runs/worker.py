"""The worker side of the training pool: a process that trains one job at a time and streams its progress.

Messages to the pool, on the worker's one pipe: ("ready", 0) once, then per job ("train_start", id, batches),
("batches", id, [BatchResult, ...]) at most ``FLUSH_SECONDS`` apart, ("epoch_end", id, EpochResult),
("train_end", id, history), and one outcome: ("done", id, packed run, timed out), ("cancelled" | "stopped" |
"failed", id, message). From the pool: ("job", id, slug, settings, data), ("cancel", id), or None to close.
"""

from __future__ import annotations

import signal
import time
from multiprocessing.connection import Connection

from pipeline.lessons import TrainingStopped
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

    def on_train_start(self, total_batches: int) -> None:
        self.conn.send(("train_start", self.job_id, total_batches))

    def on_batch_end(self, result: BatchResult) -> None:
        self.bundle.append(result)
        now = time.monotonic()
        if now - self.sent >= FLUSH_SECONDS:
            self._flush(now)
        while self.conn.poll():  # only a cancel (or a shutdown) arrives while a job trains
            msg = self.conn.recv()
            if msg is None or msg == ("cancel", self.job_id):
                self.closing = msg is None
                raise _Cancelled
        if not self.timed_out and now > self.deadline:
            self.timed_out = True
            raise StopTraining

    def on_epoch_end(self, result: EpochResult) -> None:
        self._flush(time.monotonic())
        self.conn.send(("epoch_end", self.job_id, result))

    def on_train_end(self, history: list[EpochResult]) -> None:
        self._flush(time.monotonic())
        self.conn.send(("train_end", self.job_id, history))

    def _flush(self, now: float) -> None:
        if self.bundle:
            self.conn.send(("batches", self.job_id, self.bundle))
            self.bundle, self.sent = [], now


def worker_main(conn: Connection, run_seconds: float, code: str) -> None:
    """A worker: one torch thread, then jobs from ``conn`` until it closes."""
    # in the worker process only: the server that starts it does not load every lesson to do so
    import torch

    from pipeline.lessons import get_lesson
    from pipeline.runs import cache as run_cache

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops its workers
    torch.set_num_threads(1)
    run_cache.code_hash = lambda: code  # name runs as the server does (it checks the name when it unpacks)
    conn.send(("ready", 0))
    while (msg := _receive_job(conn)) is not None:
        _, job_id, slug, settings, data = msg
        lesson, stream = get_lesson(slug), _Stream(conn, job_id, time.monotonic() + run_seconds)
        try:
            run = lesson.run(settings, [stream], data)
            conn.send(("done", job_id, run_cache.pack(lesson, run, data), stream.timed_out))
        except _Cancelled:
            conn.send(("cancelled", job_id, "The training was cancelled."))
        except TrainingStopped:
            conn.send(("stopped", job_id, f"The time limit ({run_seconds:g} s per run) came before the first "
                                          "epoch ended, so there is no model to keep: choose smaller settings."))
        except ValueError as e:
            conn.send(("failed", job_id, str(e)))
        except Exception as e:
            conn.send(("failed", job_id, f"Training failed: {type(e).__name__}: {e}"))
        if stream.closing:
            return


def _receive_job(conn: Connection) -> tuple | None:
    """The next job; None when the pool closes. A cancel arriving after its job ended is skipped."""
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return None
        if msg is None or msg[0] == "job":
            return msg
