"""Shared fixtures: a private data folder for the whole run, and one trained run per lesson to read."""

import os

import pytest

from pipeline.lessons import get_lesson


@pytest.fixture(scope="session", autouse=True)
def _private_data_folder(tmp_path_factory: pytest.TempPathFactory):
    """Run caches and class databases go to a fresh folder, never the user's own data folder."""
    folder = tmp_path_factory.mktemp("pipeline-trace-data")
    before = os.environ.get("PIPELINE_TRACE_DATA")
    os.environ["PIPELINE_TRACE_DATA"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("PIPELINE_TRACE_DATA", None)
    else:
        os.environ["PIPELINE_TRACE_DATA"] = before


@pytest.fixture(scope="session")
def classification_run():
    lesson = get_lesson("sequence-classification")
    return lesson, lesson.run(lesson.settings_type(epochs=5, seed=0))
