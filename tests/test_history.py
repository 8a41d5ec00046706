"""A learner's last runs: labelled by what set each apart, newest first, bounded, a repeat replacing its own."""

from __future__ import annotations

import dataclasses

from pipeline.lessons.seq2seq import Seq2SeqSettings
from pipeline.lessons.sequence_classification import ClassificationSettings
from pipeline.training.history import BUILT_IN, KEPT, PastRun, labelled, remember
from pipeline.training.results import EpochResult
from pipeline.training.settings import differences


def epochs(n: int, accuracy: float = 0.5) -> tuple[EpochResult, ...]:
    return tuple(EpochResult(k, 1.0, accuracy, 1.0, accuracy) for k in range(1, n + 1))


def test_labels_name_only_the_settings_that_differ() -> None:
    base = ClassificationSettings()
    runs = [base, dataclasses.replace(base, lr=0.01), dataclasses.replace(base, lr=0.01, epochs=10)]
    assert differences(runs) == ["Epochs 5 · Learning rate 0.002", "Epochs 5 · Learning rate 0.01",
                                 "Epochs 10 · Learning rate 0.01"]  # in the settings' own order
    assert differences([base]) == ["same settings"]
    assert differences([base, base]) == ["same settings (run 1)", "same settings (run 2)"]
    on, off = Seq2SeqSettings(attention=True), Seq2SeqSettings(attention=False)
    assert differences([on, off]) == ["Attention on", "Attention off"]


def test_the_data_names_a_run_when_it_differs() -> None:
    s = ClassificationSettings()
    assert differences([s, s], ["my <b>file</b>.csv", BUILT_IN]) == ["my <b>file</b>.csv", BUILT_IN]


def test_newest_first_bounded_and_a_repeat_replaces_its_earlier_self() -> None:
    base = ClassificationSettings()
    kept: list[PastRun] = []
    for k in range(KEPT + 2):
        kept = remember(kept, PastRun(dataclasses.replace(base, seed=k), epochs(2)))
    assert [p.settings.seed for p in kept] == list(range(KEPT + 1, 1, -1))
    kept = remember(kept, PastRun(dataclasses.replace(base, seed=4), epochs(3, 0.9)))
    assert [p.settings.seed for p in kept][:2] == [4, KEPT + 1] and len(kept) == KEPT
    assert kept[0].final_accuracy == 0.9
    same_on_a_file = remember(kept, PastRun(dataclasses.replace(base, seed=4), epochs(1), "mine.csv"))
    assert len(same_on_a_file) == KEPT and same_on_a_file[0].source == "mine.csv"


def test_a_stopped_run_says_so_in_its_label() -> None:
    base = ClassificationSettings()
    kept = [PastRun(dataclasses.replace(base, epochs=10), epochs(3), complete=False), PastRun(base, epochs(5))]
    assert [label for label, _ in labelled(kept)] == ["Epochs 10 (stopped after 3)", "Epochs 5"]
