"""The lesson registry: every ``Lesson`` subclass in a module of this package is a lesson of the product.

No lesson is named anywhere else: the CLI, the app's pages and the quiz list what this scan finds.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from pipeline.lessons.protocol import Lesson, LessonRun, TrainingStopped

_NOT_LESSONS = {"protocol", "common"}


def _discover() -> dict[str, Lesson]:
    found: list[type[Lesson]] = []
    for info in pkgutil.iter_modules(__path__):
        if info.name in _NOT_LESSONS or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found += [c for _, c in inspect.getmembers(module, inspect.isclass)
                  if issubclass(c, Lesson) and c.__module__ == module.__name__ and not inspect.isabstract(c)]
    found.sort(key=lambda c: (c.order, c.slug))
    lessons = {}
    for cls in found:
        if cls.slug in lessons:
            raise RuntimeError(f"two lessons have the slug {cls.slug!r}: {type(lessons[cls.slug]).__name__} and "
                               f"{cls.__name__}")
        lessons[cls.slug] = cls()
    return lessons


LESSONS: dict[str, Lesson] = _discover()


def get_lesson(slug: str) -> Lesson:
    """The lesson called ``slug``; a KeyError lists the ones there are."""
    if slug not in LESSONS:
        raise KeyError(f"unknown lesson {slug!r}; choose one of: {', '.join(LESSONS)}")
    return LESSONS[slug]


__all__ = ["LESSONS", "Lesson", "LessonRun", "TrainingStopped", "get_lesson"]
