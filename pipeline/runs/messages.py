"""What the training pool and its workers say to each other, and where a job stands: typed, never bare strings.

A worker sends ``Ready`` once, then per job ``TrainStart``, ``Batches`` (bundled), ``EpochEnd``, ``TrainEnd`` and
one outcome: ``Done`` (the packed run) or ``Ended`` (cancelled, stopped or failed, with the learner's message). The
pool sends ``TrainJob``, ``Cancel``, or None to close. Every message is a frozen dataclass, pickled through the
worker's pipe.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pipeline.training.results import BatchResult, EpochResult

if TYPE_CHECKING:  # the loop imports torch; the messages are read by the pool before any lesson is loaded
    from pipeline.training.loop import TrainConfig


class JobState(StrEnum):
    """Where a job stands: ``waiting`` -> ``running`` -> one of ``done``, ``failed``, ``cancelled``."""

    WAITING = "waiting"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Ending(StrEnum):
    """How a job ended without a run to keep."""

    CANCELLED = "cancelled"  # by its learner, or because their page stopped following it
    STOPPED = "stopped"  # the time limit came before the first epoch ended
    FAILED = "failed"  # the training raised, or the worker died

    @property
    def state(self) -> JobState:
        return JobState.CANCELLED if self is Ending.CANCELLED else JobState.FAILED


# --- pool -> worker ---

@dataclass(frozen=True)
class TrainJob:
    """Train ``slug`` with ``settings`` (the lesson's settings type) on ``data`` (None: the lesson's own)."""

    job_id: int
    slug: str
    settings: TrainConfig  # the lesson's own settings dataclass: the worker looks the lesson up by slug
    data: Any


@dataclass(frozen=True)
class Cancel:
    """Stop job ``job_id`` at its next batch; nothing is kept."""

    job_id: int


# --- worker -> pool ---

@dataclass(frozen=True)
class Ready:
    """The worker has imported torch and the lessons and waits for a job."""


@dataclass(frozen=True)
class TrainStart:
    job_id: int
    total_batches: int


@dataclass(frozen=True)
class Batches:
    """Batch results, bundled at most ``worker.FLUSH_SECONDS`` apart."""

    job_id: int
    results: list[BatchResult]


@dataclass(frozen=True)
class EpochEnd:
    job_id: int
    result: EpochResult


@dataclass(frozen=True)
class TrainEnd:
    job_id: int
    history: list[EpochResult]


@dataclass(frozen=True)
class Done:
    """The job trained: its run packed by ``runs.cache.pack``; ``timed_out`` if the time limit stopped it early."""

    job_id: int
    packed: bytes
    timed_out: bool


@dataclass(frozen=True)
class Ended:
    """The job ended with no run: how, and the message for the learner."""

    job_id: int
    how: Ending
    message: str


Progress = TrainStart | Batches | EpochEnd | TrainEnd  # what a job's follower passes to its callbacks
Outcome = Done | Ended
FromWorker = Ready | Progress | Outcome
ToWorker = TrainJob | Cancel | None  # None: close
