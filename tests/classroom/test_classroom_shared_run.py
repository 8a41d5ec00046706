"""A class shares its teacher's run by key (``RunCache.by_key``): built-in data only, never an uploaded file's."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from pipeline.runs.cache import RunCache, RunFileError, probes_of, run_key, weights_equal

UPLOADED = SimpleNamespace(sha256="ab" * 32)  # what a learner's CSV looks like to the cache: its digest


def test_a_run_on_built_in_data_is_found_by_key_in_memory_and_on_disk(classification_run, tmp_path):
    lesson, run = classification_run
    RunCache(tmp_path).put(lesson, run)
    key = run_key(lesson, run.settings, None, probes_of(run))
    cache = RunCache(tmp_path)  # another process's cache: only the disk has it
    loaded = cache.by_key(key, lesson)
    assert loaded is not None and loaded is not run and weights_equal(loaded.model, run.model)
    assert loaded.settings == run.settings and cache.by_key(key, lesson) is loaded  # then from memory
    assert cache.by_key("0" * 40, lesson) is None and cache.by_key("../../etc/passwd", lesson) is None


def test_a_run_on_an_uploaded_file_is_refused_with_the_reason(classification_run, tmp_path):
    lesson, run = classification_run
    cache = RunCache(tmp_path)
    cache.put(lesson, run, UPLOADED)
    key = run_key(lesson, run.settings, UPLOADED, probes_of(run))
    with pytest.raises(RunFileError, match="trained on an uploaded data file"):
        cache.by_key(key, lesson)  # in memory
    with pytest.raises(RunFileError, match="cannot be rebuilt without that file"):
        RunCache(tmp_path).by_key(key, lesson)  # on disk


def test_a_run_of_another_lesson_is_not_handed_out(classification_run, tmp_path):
    from pipeline.lessons import get_lesson

    lesson, run = classification_run
    RunCache(tmp_path).put(lesson, run)
    key = run_key(lesson, run.settings, None, probes_of(run))
    with pytest.raises(RunFileError, match="is not a run of the seq2seq lesson"):
        RunCache(tmp_path).by_key(key, get_lesson("seq2seq"))
