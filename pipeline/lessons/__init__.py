"""The lesson registry: every ``Lesson`` subclass in a module of this package is a lesson of the product.

No lesson is named anywhere else: the CLI, the app's pages and the quiz list what this scan finds.
A lesson's module is named after its slug (``sequence-classification`` lives in
``sequence_classification.py``), so ``get_lesson(slug)`` imports that one module only, and the
full scan (``LESSONS``) runs only when something needs every lesson -- a command line that runs one
lesson does not pay for importing the others.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import pkgutil
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

from pipeline.lessons.protocol import InputKind, Lesson, LessonRun, TrainingStopped

_NOT_LESSONS = {"protocol", "common"}
_instances: dict[str, Lesson] = {}  # one instance per lesson, whichever way it was found
_all: dict[str, Lesson] | None = None
_lock = threading.RLock()


def module_name(slug: str) -> str:
    """The module a lesson lives in: its slug with ``-`` as ``_``."""
    return slug.replace("-", "_")


def _lessons_in(module: ModuleType) -> list[Lesson]:
    classes = [c for _, c in inspect.getmembers(module, inspect.isclass)
               if issubclass(c, Lesson) and c.__module__ == module.__name__ and not inspect.isabstract(c)]
    found = []
    for cls in classes:
        stem = module.__name__.rsplit(".", 1)[-1]
        if module_name(cls.slug) != stem or Path(cls.content_file).name != f"{stem}.toml":
            raise RuntimeError(f"lesson {cls.slug!r} must live in pipeline/lessons/{module_name(cls.slug)}.py with its "
                               f"content in {module_name(cls.slug)}.toml")
        found.append(_instances.setdefault(cls.slug, cls()))
    return found


def _discover() -> dict[str, Lesson]:
    found: list[Lesson] = []
    for info in pkgutil.iter_modules(__path__):
        if info.name not in _NOT_LESSONS and not info.name.startswith("_"):
            found += _lessons_in(importlib.import_module(f"{__name__}.{info.name}"))
    found.sort(key=lambda lesson: (lesson.content.order, lesson.slug))
    return {lesson.slug: lesson for lesson in found}


def all_lessons() -> dict[str, Lesson]:
    """Every lesson, in their ``order`` (the scan runs once per process)."""
    global _all
    with _lock:
        if _all is None:
            _all = _discover()
        return _all


def get_lesson(slug: str) -> Lesson:
    """The lesson called ``slug`` (importing its module only); a KeyError lists the ones there are."""
    with _lock:
        if slug in _instances:
            return _instances[slug]
        if isinstance(slug, str) and slug and slug.replace("-", "").replace("_", "").isalnum():
            with contextlib.suppress(ModuleNotFoundError):
                _lessons_in(importlib.import_module(f"{__name__}.{module_name(slug)}"))
        if slug in _instances:
            return _instances[slug]
    raise KeyError(f"unknown lesson {slug!r}; choose one of: {', '.join(all_lessons())}")


def __getattr__(name: str) -> Any:
    if name == "LESSONS":  # every lesson, found on first use
        return all_lessons()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["LESSONS", "InputKind", "Lesson", "LessonRun", "TrainingStopped", "all_lessons", "get_lesson"]
