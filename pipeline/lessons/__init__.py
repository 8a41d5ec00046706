"""The lesson registry: every lesson here appears in the CLI and the app."""

from __future__ import annotations

from pipeline.lessons.base import Lesson, LessonRun, Prediction, PredictionLayer, StageView
from pipeline.lessons.seq2seq import SequenceToSequence
from pipeline.lessons.sequence_classification import SequenceClassification

LESSONS: dict[str, Lesson] = {lesson.slug: lesson for lesson in (SequenceClassification(),
                                                                 SequenceToSequence())}


def get_lesson(slug: str) -> Lesson:
    """The lesson called ``slug``; a KeyError lists the ones there are."""
    if slug not in LESSONS:
        raise KeyError(f"unknown lesson {slug!r}; choose one of: {', '.join(LESSONS)}")
    return LESSONS[slug]


__all__ = ["LESSONS", "Lesson", "LessonRun", "Prediction", "PredictionLayer", "StageView", "get_lesson"]
