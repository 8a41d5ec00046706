"""The lessons as their content files describe them -- read without importing a lesson, so without torch.

The sidebar's lesson picker and the first lines of a page need only titles and texts; they come from
``pipeline/lessons/<module>.toml`` (a lesson's slug is its module name with ``_`` as ``-``), so a
page paints before the model code is imported. The registry (``pipeline.lessons``) checks that every
lesson's code and content file agree.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pipeline.content.lesson import LessonContent, read_content

LESSONS_DIR = Path(__file__).parents[1] / "lessons"  # their content files, read without importing a lesson


def slug_of(path: Path) -> str:
    """``sequence_classification.toml`` -> ``sequence-classification``."""
    return path.stem.replace("_", "-")


@cache
def catalog() -> dict[str, LessonContent]:
    """Every lesson's validated content by slug, in the lessons' order."""
    found = {slug_of(p): read_content(p) for p in LESSONS_DIR.glob("*.toml")}
    return dict(sorted(found.items(), key=lambda item: (item[1].order, item[0])))
