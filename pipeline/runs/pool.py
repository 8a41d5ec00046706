"""A pool of training processes: each learner's run trains on a core of its own, its progress streamed back.

Streamlit runs every session in a thread of one process, under one GIL: learners training at once
share one core. The pool trains in worker processes instead, one per core, forked from a forkserver
that imported torch and the lessons once (safe in a threaded server, unlike a plain fork). Each worker
has one pipe: a job goes in (lesson slug, settings, data); batch results (in bundles), epoch results
and at last the ``runs.pack`` bytes come out. One dispatcher thread reads every pipe into each job's
own queue; the page's thread follows the job and drives its callbacks as if it trained itself::

    run = shared_pool().submit(lesson, settings, data).follow([live_training], on_wait=show_queue)

A cancelled job leaves the queue, or stops at its next batch (nothing kept). A run past the time
limit stops like ``StopTraining``, keeping its epochs. A worker that dies fails its job, and is replaced.
"""

from __future__ import annotations

import atexit
import contextlib
import heapq
import logging
import multiprocessing as mp
import os
import queue
import signal
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.context import ForkServerContext, SpawnContext
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar, cast

from pipeline.lessons import Lesson, LessonRun, TrainingStopped
from pipeline.paths import code_hash
from pipeline.runs.budget import estimate as cost_of
from pipeline.runs.cache import RunCache, RunFileError, unpack
from pipeline.runs.messages import (
    Batches,
    Cancel,
    Done,
    Ended,
    Ending,
    EpochEnd,
    FromWorker,
    JobState,
    Outcome,
    Progress,
    Ready,
    ToWorker,
    TrainJob,
    TrainStart,
)
from pipeline.runs.worker import worker_main
from pipeline.training.loop import Callback, TrainConfig

S = TypeVar("S", bound=TrainConfig)

WORKERS_ENV, RUN_SECONDS_ENV = "PIPELINE_TRACE_WORKERS", "PIPELINE_TRACE_RUN_SECONDS"
RUN_SECONDS = 60.0  # wall-clock limit of one run
GRACE_SECONDS = 30.0  # past its limit by this much, a worker is killed (a batch that never ends)
PRELOAD = ["__main__", "torch", "torch._dynamo", "pipeline.lessons", "pipeline.runs.cache",
           "pipeline.training.observations", "pipeline.runs.worker"]
_log = logging.getLogger(__name__)


def cores() -> int:
    """The cores this process may run on (an affinity mask or a cgroup's cpuset counts)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class JobFailed(RuntimeError):
    """The run could not be trained; the message says why, in words for the learner."""


class JobCancelled(Exception):
    """The job was cancelled: by its learner, or because their page stopped following it."""


@dataclass(frozen=True)
class Status:
    """Where a job stands: ``waiting`` at ``position`` (1 = next), about ``seconds`` before it starts; or later."""

    state: JobState
    position: int = 0
    seconds: float | None = None

    @property
    def text(self) -> str:
        if self.state is not JobState.WAITING:
            return "Training…" if self.state is JobState.RUNNING else "Finished."
        ahead = self.position - 1
        if ahead == 0 and self.seconds is not None and self.seconds < 1:
            return "Starting…"
        who = "you are next" if ahead == 0 else f"{ahead} learner{'s' * (ahead != 1)} ahead of you"
        when = f" — about {max(1, round(self.seconds))} s" if self.seconds is not None else ""
        return f"Waiting for a free trainer: {who}{when}."


class Job:
    """One run for the pool to train: follow it for its events, then take its result (or cancel it)."""

    def __init__(self, pool: TrainingPool, job_id: int, lesson: Lesson[Any], settings: TrainConfig, data: Any,
                 estimate: float) -> None:
        self.id, self.lesson, self.settings, self.estimate = job_id, lesson, settings, estimate
        self.state = JobState.WAITING  # -> RUNNING -> DONE / FAILED / CANCELLED
        self.worker_pid: int | None = None
        self.started_at, self.done_batches, self.total_batches, self.cancel_requested = 0.0, 0, 0, False
        self._pool, self._data = pool, data
        self._outcome: Outcome | None = None
        self._run: LessonRun[Any] | None = None
        self._events: queue.SimpleQueue[Progress | None] = queue.SimpleQueue()  # None: the job has ended
        self._finished = threading.Event()

    def cancel(self) -> None:
        """Take the job out of the queue, or stop its training at the next batch; nothing is kept."""
        self._pool._cancel(self)

    def status(self) -> Status:
        """Its place in the queue and about how long until it starts (from the running jobs' progress)."""
        return self._pool._status(self)

    @property
    def lagging(self) -> bool:
        """Whether more events are already here to follow (a redraw now would soon be stale)."""
        return not self._events.empty()

    def follow(self, callbacks: Sequence[Callback] = (), on_wait: Callable[[Job], None] | None = None,
               poll: float = 0.5) -> LessonRun:
        """Pass the job's events to ``callbacks`` in this thread until it ends; return its run.

        ``on_wait(job)`` is called at once and whenever ``poll`` seconds pass without an event (a page
        shows the queue there, and Streamlit may stop the page there). Whatever stops this thread
        following (an exception, a stopped page) cancels the job.
        """
        try:
            if on_wait:
                on_wait(self)
            while True:
                try:
                    event = self._events.get(timeout=poll)
                except queue.Empty:
                    if not self._pool.alive:
                        self._pool._finish(self, Ended(self.id, Ending.FAILED,
                                                       "The training pool stopped; press Train again."))
                    if on_wait:
                        on_wait(self)
                    continue
                if event is None:
                    return self.result()
                _deliver(event, callbacks)
        finally:
            self.cancel()

    def result(self, timeout: float | None = None) -> LessonRun:
        """The trained run, unpacked here; JobFailed, JobCancelled or TrainingStopped if there is none."""
        if not self._finished.wait(timeout):
            raise TimeoutError(f"job {self.id} is still {self.state}")
        if self._run is None:
            outcome = self._outcome
            if isinstance(outcome, Ended):
                raise _RAISED[outcome.how](outcome.message)
            assert isinstance(outcome, Done), f"job {self.id} finished with no outcome"
            try:
                run = unpack(outcome.packed, self.lesson, self.settings, self._data)
            except RunFileError as e:
                raise JobFailed(f"The trained model could not be read back: {e}") from None
            if outcome.timed_out:  # stopped by the time limit
                run.info["stopped"] = (f"Stopped after {len(run.epochs)} of {self.settings.epochs} epochs (time limit: "
                                       f"{self._pool.run_seconds:g} s per run).")
            self._run, self._outcome, self._data = run, Done(self.id, b"", outcome.timed_out), None
        return self._run


_RAISED: dict[Ending, type[Exception]] = {Ending.FAILED: JobFailed, Ending.CANCELLED: JobCancelled,
                                          Ending.STOPPED: TrainingStopped}


def _deliver(event: Progress, callbacks: Sequence[Callback]) -> None:
    """One event of a job to every callback, in fit's order (each batch of a bundle, every callback)."""
    if isinstance(event, Batches):
        for result in event.results:
            for cb in callbacks:
                cb.on_batch_end(result)
        return
    for cb in callbacks:
        if isinstance(event, TrainStart):
            cb.on_train_start(event.total_batches)
        elif isinstance(event, EpochEnd):
            cb.on_epoch_end(event.result)
        else:
            cb.on_train_end(event.history)


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    ready: bool = False
    job: Job | None = None
    cancel_sent: bool = False
    killed_for: str = ""


class TrainingPool:
    """Worker processes that each train one run at a time, in order of arrival.

    Args:
        workers: how many processes (default ``PIPELINE_TRACE_WORKERS``, else :func:`cores`).
        run_seconds: a run's wall-clock limit (default ``PIPELINE_TRACE_RUN_SECONDS``, else 60).
        start_method: ``forkserver`` (default where there is one) or ``spawn``; never a plain fork,
            which is unsafe in a threaded server.
    """

    def __init__(self, workers: int | None = None, run_seconds: float | None = None,
                 start_method: str | None = None) -> None:
        self.size = workers or int(os.environ.get(WORKERS_ENV) or 0) or cores()
        self.run_seconds = run_seconds or float(os.environ.get(RUN_SECONDS_ENV) or RUN_SECONDS)
        method = start_method or ("forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn")
        if self.size < 1 or self.run_seconds <= 0 or method == "fork":
            raise ValueError(f"a pool needs at least 1 worker, a time limit above 0 and forkserver or spawn; got "
                             f"{self.size}, {self.run_seconds} and {method}")
        self._ctx = cast(ForkServerContext | SpawnContext, mp.get_context(method))
        if method == "forkserver":
            self._ctx.set_forkserver_preload(PRELOAD)
        self._lock = threading.Lock()
        self._waiting: deque[Job] = deque()
        self._workers: list[_Worker] = []
        self._next_id, self._closed = 1, False
        self.counts = {"submitted": 0, "done": 0, "failed": 0, "cancelled": 0, "replaced": 0}
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._thread = threading.Thread(target=self._loop, name="training-pool", daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def submit(self, lesson: Lesson[S], settings: S, data: Any = None, estimate: float | None = None) -> Job:
        """Queue a run; ``estimate`` (seconds) feeds the queue's waiting times (default: the budget's)."""
        if estimate is None:
            estimate = getattr(cost_of(lesson, settings, data), "seconds", 5.0)
        with self._lock:
            if self._closed:
                raise JobFailed("The training pool is shutting down.")
            job = Job(self, self._next_id, lesson, settings, data, estimate)
            self._next_id += 1
            self._waiting.append(job)
            self.counts["submitted"] += 1
        self._wake()
        return job

    def snapshot(self) -> dict[str, Any]:
        """Workers' process ids, jobs waiting and running, and the counts so far."""
        with self._lock:
            return {"pids": [w.process.pid for w in self._workers], "waiting": len(self._waiting),
                    "running": sum(w.job is not None for w in self._workers), **self.counts}

    def close(self, timeout: float = 5.0) -> None:
        """Stop the workers; waiting and running jobs fail."""
        with self._lock:
            self._closed = True
        self._wake()
        self._thread.join(timeout)

    # --- called from the learners' threads ---

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # a full buffer: the dispatcher is awake already
            self._wake_w.send(b"x")

    def _cancel(self, job: Job) -> None:
        with self._lock:
            if job.state is JobState.WAITING:
                self._waiting.remove(job)
                self._finish(job, Ended(job.id, Ending.CANCELLED, "The training was cancelled before it started."))
            elif job.state is JobState.RUNNING and not job.cancel_requested:
                job.cancel_requested = True
                self._wake()

    def _status(self, job: Job) -> Status:
        with self._lock:
            if job.state is not JobState.WAITING:
                return Status(job.state)
            now, position = time.monotonic(), self._waiting.index(job) + 1
            free = sorted(self._remaining(w.job, now) if w.job else 0.0 for w in self._workers) or [0.0]
            for ahead in list(self._waiting)[: position - 1]:  # each goes to the worker free first
                heapq.heappush(free, heapq.heappop(free) + ahead.estimate)
            return Status(JobState.WAITING, position, free[0])

    def _remaining(self, job: Job, now: float) -> float:
        elapsed = now - job.started_at
        if job.done_batches and job.total_batches:
            left = elapsed * (job.total_batches - job.done_batches) / job.done_batches
        else:
            left = max(job.estimate - elapsed, 0.0)
        return min(left, max(self.run_seconds - elapsed, 0.0))

    def _finish(self, job: Job, outcome: Outcome) -> None:
        if job._finished.is_set():
            return
        job.state = JobState.DONE if isinstance(outcome, Done) else outcome.how.state
        self.counts[job.state] += 1
        job._outcome = outcome
        if job.state is not JobState.DONE:
            job._data = None
        job._finished.set()
        job._events.put(None)

    # --- the dispatcher thread ---

    def _loop(self) -> None:
        while not self._closed:
            try:
                self._step()
            except Exception:  # never let one bad message stop every learner's training
                _log.exception("training pool dispatcher")
                time.sleep(0.5)
        self._shutdown()

    def _step(self) -> None:
        with self._lock:
            missing = self.size - len(self._workers)
        for _ in range(missing):
            try:
                self._start_worker()
            except Exception as e:  # no process could start: fail what waits rather than keep it waiting
                _log.exception("starting a training worker")
                with self._lock:
                    for job in list(self._waiting) if not self._workers else ():
                        self._finish(job, Ended(job.id, Ending.FAILED, "No training process could start "
                                                                       f"({type(e).__name__}: {e})."))
                        self._waiting.remove(job)
                time.sleep(1.0)
                break
        workers = list(self._workers)
        ready = set(wait([self._wake_r, *(w.conn for w in workers), *(w.process.sentinel for w in workers)], 1.0))
        with contextlib.suppress(BlockingIOError):
            while self._wake_r.recv(4096):
                pass
        for w in workers:
            if w.conn in ready:
                self._receive(w)
            if w.process.sentinel in ready:
                self._died(w)
        self._dispatch()

    def _start_worker(self) -> None:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(target=worker_main, args=(child, self.run_seconds, code_hash()),
                                    name="training-worker", daemon=True)
        process.start()
        child.close()
        with self._lock:
            self._workers.append(_Worker(process, parent))

    def _receive(self, w: _Worker) -> None:
        try:
            while w.conn.poll():
                msg: FromWorker = w.conn.recv()
                job = w.job
                if isinstance(msg, Ready):
                    w.ready = True
                elif job is None or msg.job_id != job.id:
                    continue  # a late message of a job already ended
                elif isinstance(msg, Done | Ended):
                    with self._lock:
                        w.job, w.cancel_sent = None, False
                        self._finish(job, msg)
                else:
                    if isinstance(msg, TrainStart):
                        job.total_batches = msg.total_batches
                    elif isinstance(msg, Batches):
                        job.done_batches += len(msg.results)
                    job._events.put(msg)
        except (EOFError, OSError):
            pass  # the worker is gone: its sentinel says so, and _died handles it

    def _died(self, w: _Worker) -> None:
        self._receive(w)  # whatever it sent before it died
        w.process.join(1.0)
        code = w.process.exitcode
        with self._lock:
            self._workers.remove(w)
            if w.job is not None:
                how = w.killed_for or (f"killed by signal {-code}" if code is not None and code < 0 else
                                       f"exit code {code}")
                hint = " — often a sign it ran out of memory" if code == -signal.SIGKILL and not w.killed_for else ""
                self._finish(w.job, Ended(w.job.id, Ending.FAILED, f"The training process stopped unexpectedly "
                                                                   f"({how}{hint}). Try smaller settings, or press "
                                                                   "Train again."))
            self.counts["replaced"] += 1
        w.conn.close()  # the next step starts its replacement

    def _dispatch(self) -> None:
        now = time.monotonic()
        with self._lock:
            for w in self._workers:
                job = w.job
                if job is None and w.ready and self._waiting:
                    job = w.job = self._waiting.popleft()
                    job.state, job.started_at, job.worker_pid = JobState.RUNNING, now, w.process.pid
                    self._send(w, TrainJob(job.id, job.lesson.slug, job.settings, job._data))
                elif job is not None and job.cancel_requested and not w.cancel_sent:
                    w.cancel_sent = True
                    self._send(w, Cancel(job.id))
                elif job is not None and now - job.started_at > self.run_seconds + GRACE_SECONDS:
                    w.killed_for = f"it did not stop within {self.run_seconds + GRACE_SECONDS:g} s"
                    w.process.kill()

    def _send(self, w: _Worker, msg: ToWorker) -> None:
        with contextlib.suppress(OSError, ValueError):  # a dead worker: its sentinel fires, _died fails the job
            w.conn.send(msg)

    def _shutdown(self) -> None:
        for w in self._workers:
            self._send(w, None)
        deadline = time.monotonic() + 2.0
        for w in self._workers:
            w.process.join(max(deadline - time.monotonic(), 0.0))
            if w.process.is_alive():
                w.process.kill()
        with self._lock:
            for job in [*self._waiting, *(w.job for w in self._workers if w.job)]:
                self._finish(job, Ended(job.id, Ending.FAILED, "The server is shutting down: the training stopped."))
            self._waiting.clear()
            self._workers.clear()
        self._wake_r.close()
        self._wake_w.close()


# --- one pool per server process ---

_shared: TrainingPool | None = None
_shared_lock = threading.Lock()


def shared_pool() -> TrainingPool:
    """The process's pool, started on first use."""
    global _shared
    with _shared_lock:
        if _shared is None or not _shared.alive:
            _shared = TrainingPool()
            atexit.register(_shared.close)
        return _shared


def train(lesson: Lesson[S], settings: S, data: Any = None, callbacks: Sequence[Callback] = (), *,
          pool: TrainingPool | None = None, cache: RunCache | None = None,
          on_wait: Callable[[Job], None] | None = None, estimate: float | None = None) -> LessonRun[S]:
    """Train in the pool (default: :func:`shared_pool`), following the job in this thread.

    With a ``RunCache``, a cached run comes from there, and learners asking for a run in flight share
    it (``RunCache.run(train=...)``); if the learner who started it cancels, the others train it.
    """
    pool = pool or shared_pool()
    own: list[Job] = []

    def in_pool() -> LessonRun[S]:
        own.append(pool.submit(lesson, settings, data, estimate))
        return own[-1].follow(callbacks, on_wait)

    if cache is None:
        return in_pool()
    for _ in range(3):
        try:
            return cache.run(lesson, settings, data, train=in_pool)
        except (JobFailed, TrainingStopped, ValueError):
            raise
        except BaseException:
            if own:  # our own job: cancelled here, or this page was stopped
                raise
            # someone else's job, which they cancelled (or left): train it ourselves
    raise JobCancelled("The training was cancelled by another learner with the same settings; press Train again.")
