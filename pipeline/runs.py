"""Trained runs a session can use: the lesson's default run (shared, read-only) and private copies of it."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from pipeline.document import TraceDocument
from pipeline.lessons import Lesson, LessonRun
from pipeline.views import Prediction


@dataclass(frozen=True)
class DefaultRun:
    """A lesson trained with its default settings, one traced prediction, and its document: shared, read-only."""

    run: LessonRun
    prediction: Prediction
    document: TraceDocument


def default_run(lesson: Lesson) -> DefaultRun:
    """Train ``lesson`` with its default settings and trace its first held-out example."""
    run = lesson.run(lesson.settings_type())
    example = run.examples[0][0] if run.examples else lesson.content.title
    prediction = lesson.predict(run, example)
    return DefaultRun(run, prediction, lesson.document(run, prediction))


def private_copy(run: LessonRun) -> LessonRun:
    """A deep copy a session may trace and predict with, leaving the shared original untouched."""
    return copy.deepcopy(run)
