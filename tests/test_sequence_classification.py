"""The sequence-classification lesson: real training, the lesson's shapes, prediction traces, bad input."""

import pytest

from pipeline.lessons.base import SCHEMA
from pipeline.text import InputError


def test_stage_shapes_match_the_lesson_card(classification_run):
    _, run = classification_run
    assert [s.output_shape for s in run.stages] == [[1000, None], [1000, 10], [1000, 10, 50], [1000, 64], [1000, 3]]
    assert [s.input_shape for s in run.stages] == [[1000, None], [1000, None], [1000, 10], [1000, 10, 50],
                                                   [1000, 64]]
    assert all(s.sample and s.description for s in run.stages)
    probabilities = run.stages[-1].sample
    assert sum(probabilities) == pytest.approx(1.0, abs=1e-5)


def test_training_learns_visibly_and_well(classification_run):
    _, run = classification_run
    first, last = run.epochs[0], run.epochs[-1]
    assert last.val_loss < first.val_loss
    assert last.val_accuracy >= 0.85
    assert last.accuracy - first.accuracy > 0.2  # not solved after one epoch
    assert all(e.observation for e in run.epochs)


def test_same_seed_gives_the_same_trace_number_for_number(classification_run):
    lesson, run = classification_run
    again = lesson.run(lesson.settings_type(epochs=5, seed=0))
    strip = lambda doc: [e | {"seconds": 0} for e in doc["epochs"]]  # noqa: E731 -- wall time differs
    a, b = lesson.to_json(run, None), lesson.to_json(again, None)
    assert a["stages"] == b["stages"] and strip(a) == strip(b)


def test_prediction_traces_every_stage_with_padding_and_unknown_words_marked(classification_run):
    lesson, run = classification_run
    p = lesson.predict(run, "The plot was not zorgly")
    assert [layer.key for layer in p.layers] == ["raw_text", "tokenize_pad", "embedding", "lstm_states", "lstm",
                                                 "classifier"]
    tokens = p.layer("tokenize_pad")
    assert tokens.row_labels[:5] == ["the", "plot", "was", "not", "zorgly"]
    assert tokens.marks == ["word"] * 4 + ["unk"] + ["pad"] * 5
    assert tokens.values[4] == 1 and tokens.values[5:] == [0] * 5
    states = p.layer("lstm_states")
    assert len(states.values) == 10 and len(states.values[0]) == 64
    assert p.layer("lstm").values == pytest.approx(states.values[4])  # the state after the last real word
    assert sum(p.layer("classifier").values) == pytest.approx(1.0, abs=1e-5)
    assert p.output in run.info["classes"] and "“zorgly”" in p.notes[0]


@pytest.mark.parametrize(("text", "note"), [
    ("x " * 5000, "5,000 tokens; only the first 10 are used"),
    ("😀🎬🍿", "None of the words are known"),
    ("qwzx plorg blevit", "None of the words are known"),
    ("ＧＲＥＡＴ\u200b movie", None),
])
def test_odd_input_gives_a_valid_trace_with_a_note(classification_run, text, note):
    lesson, run = classification_run
    p = lesson.predict(run, text)
    assert len(p.layer("tokenize_pad").values) == 10
    assert sum(p.layer("classifier").values) == pytest.approx(1.0, abs=1e-5)
    assert (note is None and not p.notes) or any(note in n for n in p.notes)


@pytest.mark.parametrize("text", ["", "   \n", "x" * 10_001])
def test_unusable_input_gets_a_clear_message(classification_run, text):
    lesson, run = classification_run
    with pytest.raises(InputError):
        lesson.predict(run, text)


def test_trace_json_follows_the_contract(classification_run):
    lesson, run = classification_run
    doc = lesson.to_json(run, lesson.predict(run, "i loved the music"))
    assert doc["schema"] == SCHEMA
    assert set(doc) >= {"schema", "lesson", "stages", "epochs", "prediction", "quiz"}
    assert set(doc["stages"][0]) >= {"name", "description", "input_shape", "output_shape", "sample"}
    assert set(doc["epochs"][0]) >= {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "observation"}
    assert doc["lesson"]["slug"] == "sequence-classification" and len(doc["quiz"]) >= 3
