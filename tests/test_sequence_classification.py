"""The sequence-classification lesson: real training, the lesson's shapes, prediction traces, bad input."""

import pytest
import torch

from pipeline.data.sentiment import generate
from pipeline.data.tokens import tokenize
from pipeline.document.fileformat import json_text, loads
from pipeline.document.views import (
    LSTMGatesView,
    Mark,
    MatrixView,
    ProbabilitiesView,
    SpaceView,
    TextView,
    TokensView,
    VectorView,
)
from pipeline.errors import InputError
from pipeline.lessons import get_lesson
from pipeline.trace import trace


def test_stage_shapes_match_the_lesson_card(classification_run):
    _, run = classification_run
    assert [s.output_shape for s in run.stages] == [[1000, None], [1000, 10], [1000, 10, 50], [1000, 64], [1000, 3]]
    assert [s.input_shape for s in run.stages] == [[1000, None], [1000, None], [1000, 10], [1000, 10, 50],
                                                   [1000, 64]]
    assert all(s.sample is not None and s.description for s in run.stages)
    assert run.stages[2].sample.shape == (10, 50)  # the first sentence's embedding, in its own shape
    assert run.stages[-1].sample.sum().item() == pytest.approx(1.0, abs=1e-5)
    assert run.stages[1].operation.startswith("Tokenize(words and symbols) → EncodePad(")


def test_the_run_keeps_the_trace_of_the_whole_dataset(classification_run):
    _, run = classification_run
    t = run.trace
    assert t.root.output_shape == [1000, 3] and t["model.encoder.lstm"].output_shape == [1000, 10, 64]
    assert t["model.embedding"].stats.count == 1000 * 10 * 50


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
    assert [(e.loss, e.val_accuracy) for e in run.epochs] == [(e.loss, e.val_accuracy) for e in again.epochs]
    for a, b in zip(run.trace, again.trace, strict=True):
        assert a.name == b.name and a.stats == b.stats
        assert (a.sample == b.sample if isinstance(a.sample, str | list) else torch.equal(a.sample, b.sample))


def test_prediction_traces_every_stage_with_padding_and_unknown_words_marked(classification_run):
    lesson, run = classification_run
    p = lesson.predict(run, "The plot was not zorgly")
    assert [(layer.key, type(layer), layer.stage) for layer in p.layers] == [
        ("raw_text", TextView, "raw_text"), ("tokenize_pad", TokensView, "tokenize_pad"),
        ("embedding", MatrixView, "embedding"), ("space", SpaceView, "embedding"),
        ("lstm_gates", LSTMGatesView, "lstm"), ("lstm", VectorView, "lstm"),
        ("classifier", ProbabilitiesView, "classifier")]  # in the order the data flows, one name each
    assert len({layer.title for layer in p.layers}) == len(p.layers)
    tokens = p.layer("tokenize_pad")
    assert tokens.tokens[:5] == ("the", "plot", "was", "not", "zorgly") and tokens.tokens[5:] == ("<pad>",) * 5
    assert tokens.marks == (Mark.WORD,) * 4 + (Mark.UNK,) + (Mark.PAD,) * 5
    assert tokens.ids[4] == 1 and tokens.ids[5:] == (0,) * 5
    gates = p.layer("lstm_gates")
    assert gates.tokens == tokens.tokens[:5] and len(gates.h[0]) == 64
    assert p.layer("lstm").values == pytest.approx(gates.h[4], abs=1e-5)  # the state after the last real word
    assert "“zorgly”, its last real word" in p.layer("lstm").origin
    probs = p.layer("classifier")
    assert sum(probs.values) == pytest.approx(1.0, abs=1e-5) and probs.labels == tuple(run.info["classes"])
    assert p.output == probs.labels[probs.best] and p.confidence == max(probs.values)
    assert p.notes == ("Not in the vocabulary, read as <unk>: “zorgly”.",)
    assert p.layer("embedding").values[4] == p.layer("embedding").values[4]  # unknown words share one row


def test_words_beyond_the_tenth_are_listed_as_dropped(classification_run):
    lesson, run = classification_run
    text = "the plot was good and the acting was great but the ending was awful"
    p = lesson.predict(run, text)
    dropped = [n for n in p.notes if "dropped" in n]
    assert dropped == ["The model reads the first 10 tokens; the text has 14, so the last 4 were dropped and play "
                       "no part in the answer: “the ending was awful”."]
    assert p.layer("tokenize_pad").notes == p.notes  # shown where the tokens are


@pytest.mark.parametrize(("text", "note"), [
    ("x " * 5000, "the text has 5,000, so the last 4,990 were dropped"),
    ("😀🎬🍿", "None of the words are known"),
    ("qwzx plorg blevit", "None of the words are known"),
    ("ＧＲＥＡＴ\u200b movie", None),
])
def test_odd_input_gives_a_valid_trace_with_a_note(classification_run, text, note):
    lesson, run = classification_run
    p = lesson.predict(run, text)
    assert len(p.layer("tokenize_pad").ids) == 10
    assert sum(p.layer("classifier").values) == pytest.approx(1.0, abs=1e-5)
    assert (note is None and not p.notes) or any(note in n for n in p.notes)


@pytest.mark.parametrize(("text", "message"), [
    ("", "The text is empty"),
    ("   \n\u200b", "The text is empty"),
    ("x" * 10_001, "The text is 10,001 characters long; the limit is 10,000."),
    (None, "Expected text, got NoneType."),
])
def test_unusable_input_gets_a_clear_message(classification_run, text, message):
    lesson, run = classification_run
    with pytest.raises(InputError) as info:
        lesson.predict(run, text)
    assert message in str(info.value)


def test_the_document_round_trips_through_its_json_form(classification_run):
    lesson, run = classification_run
    doc = lesson.document(run, lesson.predict(run, "i loved the music"))
    back = loads(json_text(doc).encode(), "t.json")
    assert back.lesson.slug == "sequence-classification" and len(back.quiz) >= 3
    assert [s.key for s in back.stages] == list(lesson.stages) and back.prediction == doc.prediction
    assert torch.equal(back.stages[2].sample, doc.stages[2].sample)


def test_the_lstm_gates_are_recomputed_exactly_and_obey_the_lstm_equations(classification_run):
    import numpy as np

    lesson, run = classification_run
    p = lesson.predict(run, "the plot was not good")
    gates = p.layer("lstm_gates")
    assert gates.tokens == ("the", "plot", "was", "not", "good") and len(gates.h) == 5 and len(gates.h[0]) == 64
    i, f, g, o, c, h = (np.array(getattr(gates, name)) for name in "ifgoch")
    with torch.no_grad(), trace(run.model, train=False) as t:
        run.model(["the plot was not good"])
    assert np.abs(h - t["model.encoder.lstm"].sample.numpy()[:5]).max() <= 1e-5  # nn.LSTM's own states
    c_before = np.vstack([np.zeros((1, 64)), c[:-1]])
    assert np.abs(c - (f * c_before + i * g)).max() <= 1e-5 and np.abs(h - o * np.tanh(c)).max() <= 1e-5
    assert (f > 0).all() and (f < 1).all() and (g > -1).all() and (g < 1).all()
    assert gates.reading and all(any(ch.isdigit() for ch in sentence) for sentence in gates.reading)


def test_the_answers_to_the_probe_sentences_are_kept_for_every_epoch(classification_run):
    lesson, run = classification_run
    for epoch in run.epochs:
        assert list(epoch.probes) == list(lesson.probes)
        assert all(set(p) == set(run.info["classes"]) and sum(p.values()) == pytest.approx(1.0, abs=1e-5)
                   for p in epoch.probes.values())
    last = run.epochs[-1].probes
    assert max(last["the acting was good"], key=last["the acting was good"].get) == "positive"
    assert run.epochs[0].probes != last  # the answers moved while it learned


def test_a_file_with_more_words_than_the_vocabulary_keeps_says_how_many_were_left_out(monkeypatch):
    from pipeline.lessons import common

    monkeypatch.setattr(common, "MAX_VOCAB", 30)  # the classification lessons build their vocabulary there
    lesson = get_lesson("sequence-classification")
    settings = lesson.settings_type(samples=200, epochs=1)
    run = lesson.run(settings)
    assert run.info["vocab_size"] == 32 and run.info["words_left_out"] > 0  # 30 words, <pad> and <unk>
    rare = next(t for t in tokenize(" ".join(generate(200, 0).texts)) if t not in run.model.text.vocab.stoi)
    notes = " ".join(lesson.predict(run, f"the film was {rare}").notes)
    assert f"“{rare}”" in notes
    assert f"the model keeps the 30 most frequent, and the other {run.info['words_left_out']:,} read as <unk>" in notes
    known = " ".join(run.model.text.vocab.itos[2:6])
    assert "most frequent" not in " ".join(lesson.predict(run, known).notes)  # every word known: no note
