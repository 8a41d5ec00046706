"""The lesson's default run, shared read-only by every page: from the run cache (trained once when it is not
there), its first held-out example traced, and the Overview's numbers kept beside it for pages that draw them
without torch."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.app import overview
from pipeline.document.document import TraceDocument
from pipeline.document.views import Prediction
from pipeline.lessons import Lesson, LessonRun
from pipeline.runs.cache import RunCache, shared_cache


@dataclass(frozen=True)
class CachedPrediction:
    """A run with one traced prediction, as the pages' default view needs it."""

    run: LessonRun
    prediction: Prediction
    document: TraceDocument


def default_run(lesson: Lesson, cache: RunCache | None = None) -> CachedPrediction:
    """The lesson's run with default settings (from the cache when it is there) and its first held-out example."""
    run = (cache or shared_cache()).run(lesson, lesson.settings_type())
    example = run.examples[0][0] if run.examples else lesson.content.title
    prediction = lesson.predict(run, example)
    shared = CachedPrediction(run, prediction, lesson.document(run, prediction))
    overview.save(lesson.slug, overview.summary(shared.document, len(run.examples)))
    return shared
