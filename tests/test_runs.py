"""The run cache: a finished run comes back from disk exactly, is trained once however many ask, and a
damaged, stale or stopped run is never trusted."""

from __future__ import annotations

import threading
import time
import zipfile
from pathlib import Path

import pytest
import torch

from pipeline.data import load_csv
from pipeline.lessons import get_lesson
from pipeline.runs import cache as run_cache
from pipeline.runs.cache import RunCache, RunFileError, pack, run_key, unpack, weights_equal

TINY = {"epochs": 1, "samples": 200, "embed_dim": 8, "hidden_dim": 8}


@pytest.fixture(scope="module")
def lesson():
    return get_lesson("sequence-classification")


@pytest.fixture(scope="module")
def tiny(lesson):
    settings = lesson.settings_type(**TINY)
    return settings, lesson.run(settings)


def test_a_packed_run_comes_back_exactly(lesson, tiny):
    settings, run = tiny
    back = unpack(pack(lesson, run), lesson, settings)
    assert weights_equal(back.model, run.model) and back.model is not run.model
    assert [(r.name, r.stats) for r in back.trace] == [(r.name, r.stats) for r in run.trace]
    assert [e.to_dict() for e in back.epochs] == [e.to_dict() for e in run.epochs]
    assert back.info == run.info and back.examples == run.examples
    text = "the plot was not good"
    assert lesson.predict(back, text) == lesson.predict(run, text)


def test_keys_change_with_settings_data_and_code(lesson, monkeypatch):
    base = lesson.settings_type(**TINY)
    key = run_key(lesson, base)
    assert run_key(lesson, lesson.settings_type(**TINY)) == key
    assert run_key(lesson, lesson.settings_type(**{**TINY, "seed": 1})) != key
    a, b = load_csv(_bytes(6), "a.csv"), load_csv(_bytes(7), "a.csv")
    assert run_key(lesson, base, a) != run_key(lesson, base, b) != key  # other bytes: another run
    assert run_key(lesson, base, a) == run_key(lesson, base, load_csv(_bytes(6), "other name.csv"))  # same bytes
    monkeypatch.setattr(run_cache, "code_hash", lambda: "different code")
    assert run_key(lesson, base) != key


def _bytes(n: int) -> bytes:
    return b"text,label\n" + b"".join(b"good %d,pos\nbad %d,neg\n" % (i, i) for i in range(n))


def test_the_disk_tier_serves_a_fresh_process_and_the_memory_tier_is_bounded(lesson, tiny, tmp_path):
    settings, run = tiny
    RunCache(tmp_path).put(lesson, run)
    fresh = RunCache(tmp_path, memory=1)  # a new server process: nothing in memory yet
    got = fresh.run(lesson, settings, train=lambda: pytest.fail("trained although the run was on disk"))
    assert weights_equal(got.model, run.model) and fresh.hits == {"memory": 0, "disk": 1, "shared": 0, "trained": 0}
    assert fresh.get(lesson, settings) is got and fresh.hits["memory"] == 1
    other = lesson.settings_type(**{**TINY, "seed": 3})
    fresh.put(lesson, lesson.run(other))
    assert list(fresh._runs) == [run_key(lesson, other)]  # the older run left memory, not the disk
    assert len(list(tmp_path.glob("*.run.zip"))) == 2


@pytest.mark.parametrize("damage", ["truncate", "garbage", "other run", "bad weights"])
def test_a_damaged_or_stale_run_file_is_deleted_and_trained_again(lesson, tiny, tmp_path, damage):
    settings, run = tiny
    RunCache(tmp_path).put(lesson, run)
    path = next(tmp_path.glob("*.run.zip"))
    raw = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "garbage":
        path.write_bytes(b"\x00" * 100)
    elif damage == "other run":
        path.write_bytes(pack(lesson, lesson.run(lesson.settings_type(**{**TINY, "seed": 5}))))
    else:
        with zipfile.ZipFile(path) as z:
            members = {n: z.read(n) for n in z.namelist()}
        from safetensors.torch import save
        members["weights.safetensors"] = save({"nonsense": torch.zeros(2)})
        with zipfile.ZipFile(path, "w") as z:
            for n, data in members.items():
                z.writestr(n, data)
    with pytest.raises(RunFileError):
        unpack(path.read_bytes(), lesson, settings)
    trained = []
    cache = RunCache(tmp_path)
    cache.run(lesson, settings, train=lambda: trained.append(1) or run)
    assert trained == [1] and unpack(path.read_bytes(), lesson, settings)  # replaced by a good file


def test_identical_trainings_asked_for_together_run_once(lesson, tiny, tmp_path):
    settings, run = tiny
    cache, calls, results = RunCache(tmp_path), [], []

    def train():
        calls.append(1)
        time.sleep(0.5)
        return run

    threads = [threading.Thread(target=lambda: results.append(cache.run(lesson, settings, train=train)))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [1] and len(results) == 8 and all(r is run for r in results)
    assert cache.hits["shared"] + cache.hits["memory"] == 7


def test_a_run_stopped_early_is_never_kept_and_waiters_hear_why(lesson, tmp_path):
    settings = lesson.settings_type(**{**TINY, "seed": 9})
    cache, errors = RunCache(tmp_path), []

    def stopped():
        time.sleep(0.3)
        raise KeyboardInterrupt("stopped")

    def wait():
        try:
            cache.run(lesson, settings, train=lambda: pytest.fail("a waiter must not train"))
        except BaseException as e:
            errors.append(type(e).__name__)

    owner = threading.Thread(target=lambda: errors.append(_catch(lambda: cache.run(lesson, settings, train=stopped))))
    owner.start()
    time.sleep(0.1)
    waiter = threading.Thread(target=wait)
    waiter.start()
    owner.join()
    waiter.join()
    assert sorted(errors) == ["KeyboardInterrupt", "KeyboardInterrupt"]
    assert cache.get(lesson, settings) is None and not list(Path(tmp_path).glob("*.run.zip"))


def _catch(fn):
    try:
        fn()
    except BaseException as e:
        return type(e).__name__
    return None


def test_a_run_with_fewer_epochs_than_asked_is_used_but_never_kept(lesson, tmp_path):
    from pipeline.training.loop import Callback, StopTraining

    class StopInEpoch2(Callback):
        def on_batch_end(self, result):
            if result.epoch == 2:
                raise StopTraining

    settings = lesson.settings_type(**{**TINY, "epochs": 3, "seed": 11})
    cache = RunCache(tmp_path)
    run = cache.run(lesson, settings, callbacks=[StopInEpoch2()])
    assert len(run.epochs) == 1 and not run.complete
    assert cache.get(lesson, settings) is None and not list(tmp_path.glob("*.run.zip"))
    with pytest.raises(ValueError, match="only complete runs are kept: this one has 1 of 3 epochs"):
        cache.put(lesson, run)


def test_other_probe_inputs_are_another_run_the_lessons_own_are_the_default(lesson):
    settings = lesson.settings_type(**TINY)
    assert run_key(lesson, settings, None, lesson.probes) == run_key(lesson, settings)
    assert run_key(lesson, settings, None, [*lesson.probes, "my own sentence"]) != run_key(lesson, settings)
