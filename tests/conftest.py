"""Shared fixtures: one trained default run per lesson, reused by every test that only reads it."""

import pytest

from pipeline.lessons import get_lesson


@pytest.fixture(scope="session")
def classification_run():
    lesson = get_lesson("sequence-classification")
    return lesson, lesson.run(lesson.settings_type(epochs=5, seed=0))
