"""The sequence-to-sequence lesson: masking, the two decoding paths, attention, the trace, bad input."""

import math
from itertools import pairwise

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from pipeline.data.tokens import PAD_ID, Vocabulary
from pipeline.document.fileformat import json_text, loads
from pipeline.document.views import LAYER_TYPES, AttentionView, DecoderStepsView, Mark
from pipeline.errors import InputError
from pipeline.lessons import LESSONS, get_lesson
from pipeline.lessons.seq2seq import EOS, SOS, Seq2SeqSettings, encode_targets, seq2seq_step
from pipeline.nn.models import DotAttention, Seq2Seq, Seq2SeqConfig, UntilEos
from pipeline.trace import trace
from pipeline.training.settings import specs

# Small and fast, yet trained enough to decode several steps (an untrained model stops at once).
TINY = {"samples": 300, "epochs": 3, "embed_dim": 16, "hidden_dim": 32, "lr": 0.01, "seed": 0}
V = 14  # target vocabulary of the number lesson: <pad> <unk> <sos> <eos> and ten digits


@pytest.fixture(scope="module")
def lesson():
    return get_lesson("seq2seq")


@pytest.fixture(scope="module")
def default_run(lesson):
    """The lesson as the issue runs it: 1,000 pairs, 5 epochs, seed 0, no attention."""
    return lesson.run(Seq2SeqSettings(epochs=5, seed=0))


@pytest.fixture(scope="module")
def tiny_attention_run(lesson):
    return lesson.run(Seq2SeqSettings(**TINY, attention=True))


def _model(attention: bool, seed: int = 0) -> Seq2Seq:
    torch.manual_seed(seed)
    return Seq2Seq(Seq2SeqConfig(src_vocab_size=12, tgt_vocab_size=V, sos_id=2, eos_id=3, embed_dim=8,
                                 hidden_dim=16, attention=attention)).eval()


SRC = torch.tensor([[4, 5, 6, 0, 0, 0, 0, 0, 0, 0],
                    [7, 8, 9, 10, 11, 4, 5, 0, 0, 0]])  # (2, 10): 3 and 7 real tokens, then padding


class _Fixed(nn.Module):
    """A stand-in model that returns the logits it was given, whatever the batch."""

    def __init__(self, logits: torch.Tensor) -> None:
        super().__init__()
        self.logits = logits

    def forward(self, src: torch.Tensor, targets_in: torch.Tensor) -> torch.Tensor:
        return self.logits


# --- training step: padding is masked ---------------------------------------------------------------

def test_loss_and_accuracy_ignore_padding_positions():
    targets_out = torch.tensor([[5, 6, 3, 0, 0], [7, 3, 0, 0, 0]])  # 3 + 2 real tokens
    batch = [torch.zeros(2, 5, dtype=torch.long), torch.zeros(2, 5, dtype=torch.long), targets_out]
    torch.manual_seed(0)
    logits = torch.randn(2, 5, V)
    logits[0, 0, 5] = logits[1, 0, 7] = logits[1, 1, 3] = 50.0  # right at three real positions
    logits[0, 1, 9] = 50.0  # wrong at one: row 0 is not an exact match
    out = seq2seq_step(_Fixed(logits), batch)
    real = targets_out != PAD_ID
    expected_loss = F.cross_entropy(logits[real], targets_out[real])  # the real tokens only
    assert out.loss.item() == pytest.approx(expected_loss.item(), rel=1e-6)
    assert out.weight == 5
    correct = int((logits.argmax(-1) == targets_out)[real].sum())
    assert out.counts == {"accuracy": (correct, 5), "sequence_accuracy": (1 if correct < 5 else 2, 2)}

    garbage = logits.clone()
    garbage[~real] = torch.randn(int((~real).sum()), V) * 100  # whatever the model says at padding...
    garbage[~real, PAD_ID] = 1000.0  # ...even a confident "<pad>", which would be "right" if it counted
    again = seq2seq_step(_Fixed(garbage), batch)
    assert again.loss.item() == pytest.approx(out.loss.item(), rel=1e-6)
    assert again.counts == out.counts


def test_targets_are_shifted_right_for_teacher_forcing():
    vocab = Vocabulary([SOS, EOS, *"0123456789"])
    inputs, outputs = encode_targets(vocab, ["4 0 5", "7"], max_len=6)
    d = {c: vocab.stoi[c] for c in "04578"}
    assert inputs.tolist() == [[2, d["4"], d["0"], d["5"], 0, 0], [2, d["7"], 0, 0, 0, 0]]
    assert outputs.tolist() == [[d["4"], d["0"], d["5"], 3, 0, 0], [d["7"], 3, 0, 0, 0, 0]]


# --- the model: teacher forcing, greedy decoding, attention -------------------------------------------

@pytest.mark.parametrize("attention", [False, True])
def test_teacher_forced_and_greedy_paths_agree(attention):
    model = _model(attention)
    with torch.no_grad():
        greedy = model(SRC)  # (B, T, V)
        chosen = greedy.argmax(-1)  # (B, T)
        fed_back = torch.cat([torch.full((2, 1), 2), chosen[:, :-1]], dim=1)  # <sos> + its own choices
        forced = model(SRC, fed_back)
        single = model(SRC[:1], stop_at_eos=True)
    assert greedy.shape == forced.shape == (2, 10, V)
    # Teacher forcing with the greedy choices as targets reproduces greedy decoding step for step.
    torch.testing.assert_close(forced, greedy, rtol=1e-5, atol=1e-5)
    assert 1 <= single.shape[1] <= 10 and single.shape[2] == V
    torch.testing.assert_close(single[0], greedy[0, : single.shape[1]], rtol=1e-5, atol=1e-5)


def test_greedy_decoding_of_one_sequence_stops_at_eos():
    model = _model(attention=False)
    with torch.no_grad():
        model.decoder.out.bias.fill_(0.0)
        model.decoder.out.bias[3] = 100.0  # make <eos> the certain first choice
        assert model(SRC[:1], stop_at_eos=True).shape == (1, 1, V)
        assert model(SRC[:1]).shape == (1, 10, V)  # a batch run always takes max_len steps


def test_attention_weights_sum_to_one_over_real_positions_and_are_zero_on_padding():
    attention = DotAttention(16)
    torch.manual_seed(0)
    query, memory = torch.randn(2, 4, 16), torch.randn(2, 10, 16) * 3
    mask = SRC != PAD_ID
    attended, weights = attention(query, memory, mask)
    assert attended.shape == (2, 4, 16) and weights.shape == (2, 4, 10)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 4))
    assert torch.all(weights[~mask[:, None, :].expand_as(weights)] == 0.0)
    assert torch.all(weights[mask[:, None, :].expand_as(weights)] > 0.0)


def test_the_model_records_attention_weights_in_a_trace():
    model = _model(attention=True)
    with torch.no_grad(), trace(model) as t:
        model(SRC[1:])
    steps = t.calls("decoder.attention.softmax")
    assert len(steps) == 10 and steps[0].output_shape == [1, 1, 10] and steps[0].sample.shape == (1, 10)
    for r in steps:
        assert r.sample[0, :7].sum().item() == pytest.approx(1.0, abs=1e-6) and r.sample[0, 7:].tolist() == [0.0] * 3


def test_padding_never_reaches_the_context():
    model = _model(attention=False)
    with torch.no_grad():
        mask = SRC != PAD_ID
        h, _, states = model.encoder(model.embedding(SRC), mask.sum(1))
        alone, _, _ = model.encoder(model.embedding(SRC[:1, :3]), torch.tensor([3]))
    torch.testing.assert_close(h, states[torch.arange(2), mask.sum(1) - 1])  # the last real step
    assert torch.all(states[~mask] == 0.0)
    torch.testing.assert_close(h[0], alone[0])  # seven <pad>s later, the same context


def test_until_eos_pads_everything_after_the_first_eos():
    logits = F.one_hot(torch.tensor([[5, 3, 6, 3], [4, 4, 4, 4]]), V).float()
    assert UntilEos(eos_id=3)(logits).tolist() == [[5, 3, 0, 0], [4, 4, 4, 4]]


# --- the lesson ------------------------------------------------------------------------------------------

def test_the_lesson_is_registered_with_an_attention_switch():
    assert "seq2seq" in LESSONS
    spec = {s.name: s for s in specs(Seq2SeqSettings)}
    assert spec["attention"].kind is bool and spec["attention"].default is False
    assert (spec["embed_dim"].default, spec["hidden_dim"].default, spec["samples"].default) == (64, 128, 1000)
    with pytest.raises(ValueError, match=r"Attention \(attention\) must be on or off, got 1"):
        Seq2SeqSettings(attention=1)


def test_stage_shapes_match_the_issue(default_run):
    run = default_run
    assert [s.key for s in run.stages] == ["source", "embedding", "encoder", "decoder", "output"]
    assert [s.output_shape for s in run.stages] == [[1000, 10], [1000, 10, 64], [1000, 128], [1000, 10, V],
                                                    [1000, 10]]
    assert all(s.sample is not None and s.description and s.record.stats for s in run.stages)
    assert run.info["target_vocab_size"] == V and run.info["target_vocab"][2:4] == [SOS, EOS]
    tokens = run.stages[-1].sample.tolist()
    assert len(tokens) == 10 and 3 in tokens and tokens[tokens.index(3) + 1 :] == [0] * (9 - tokens.index(3))


def test_the_decoder_loop_is_recorded_one_call_per_step(default_run):
    steps = default_run.trace.calls("model.decoder.lstm")
    assert [r.call for r in steps] == list(range(10)) and all(r.output_shape == [1000, 1, 128] for r in steps)


def test_training_learns_visibly_and_translates_held_out_numbers(default_run):
    first, last = default_run.epochs[0], default_run.epochs[-1]
    assert last.val_accuracy >= 0.72 and last.val_accuracy > first.val_accuracy + 0.2
    assert all(b.val_accuracy > a.val_accuracy for a, b in pairwise(default_run.epochs))
    assert set(last.metrics) == {"sequence_accuracy", "val_sequence_accuracy"}
    assert all(e.observation for e in default_run.epochs)
    greedy = default_run.info["val_greedy_exact_match"]
    assert greedy > 0.5  # most held-out numbers come out exactly right
    # A translation is exactly right under teacher forcing iff greedy decoding gets it right too: until
    # the first mistake both decoders see the same inputs. (Tolerance: one sequence of 200, for float ties.)
    assert greedy == pytest.approx(last.metrics["val_sequence_accuracy"], abs=0.006)


def test_examples_are_held_out_pairs_as_words(default_run):
    assert len(default_run.examples) == 200
    source, target = default_run.examples[0]
    assert source.isascii() and any(c.isalpha() for c in source) and target.replace(" ", "").isdigit()
    assert len(default_run.info["sample_pairs"]) == 5


def test_same_seed_gives_the_same_trace_number_for_number(lesson, tiny_attention_run):
    again = lesson.run(Seq2SeqSettings(**TINY, attention=True))
    other = lesson.run(Seq2SeqSettings(**{**TINY, "seed": 1}, attention=True))
    text = "two thousand and five"
    predictions = [lesson.predict(r, text) for r in (tiny_attention_run, again, other)]
    losses = [[e.loss for e in r.epochs] for r in (tiny_attention_run, again, other)]
    assert predictions[0] == predictions[1] and losses[0] == losses[1] and losses[0] != losses[2]
    assert [r.stats for r in tiny_attention_run.trace] == [r.stats for r in again.trace]


@pytest.mark.parametrize("attention", [False, True])
def test_prediction_traces_every_decoder_step(lesson, default_run, tiny_attention_run, attention):
    run = tiny_attention_run if attention else default_run
    p = lesson.predict(run, "four thousand three hundred and five")
    keys = ["source", "embedding", "space", "encoder_gates", "encoder", "decoder", "decoder_gates",
            *(["attention"] if attention else []), "output"]
    assert [layer.key for layer in p.layers] == keys  # in the order the data flows: the decoder's gates after its steps
    assert [layer.stage for layer in p.layers] == ["source", "embedding", "embedding", "encoder", "encoder", "decoder",
                                                   "decoder",
                                                   *(["decoder"] if attention else []), "output"]
    assert len({screen.title for screen in p.screens()}) == len(p.screens())  # one name per stage
    assert all(isinstance(layer, LAYER_TYPES) for layer in p.layers)
    source = p.layer("source")
    assert source.tokens[:7] == ("four", "thousand", "three", "hundred", "and", "five", "<pad>")
    assert source.marks == (Mark.WORD,) * 6 + (Mark.PAD,) * 4 and source.ids[6:] == (0,) * 4
    states = p.layer("encoder_gates").h
    assert len(states) == 6 and len(states[0]) == run.settings.hidden_dim
    assert p.layer("encoder").values == pytest.approx(states[5], abs=1e-5)  # the context: the state after "five"

    decoder = p.layer("decoder")
    assert isinstance(decoder, DecoderStepsView) and decoder.source == source.tokens[:6]
    steps = decoder.steps
    assert steps[0].input == SOS and [s.step for s in steps] == list(range(1, len(steps) + 1))
    for before, step in pairwise(steps):
        assert step.input == before.chosen
    for step in steps:
        probs = [prob for _, prob in step.top]
        assert len(step.top) == 5 and probs == sorted(probs, reverse=True) and sum(probs) <= 1 + 1e-6
        assert step.chosen == step.top[0][0] and len(step.hidden) == 8
        if attention:
            assert len(step.attention) == 6 and sum(step.attention) == pytest.approx(1.0, abs=1e-5)
        else:
            assert step.attention is None
    output = p.layer("output")
    assert output.tokens == tuple(s.chosen for s in steps)
    assert output.probs == pytest.approx(tuple(s.top[0][1] for s in steps))  # how sure of each token it wrote
    assert p.output == " ".join(t for t in output.tokens if t != EOS)
    assert p.confidence == pytest.approx(math.prod(s.top[0][1] for s in steps))
    if attention:
        heatmap = p.layer("attention")
        assert isinstance(heatmap, AttentionView) and heatmap.weights == (tuple(s.attention for s in steps),)
        assert heatmap.cols == source.tokens[:6] and heatmap.rows == output.tokens
    assert loads(json_text(lesson.document(run, p)).encode()).prediction == p  # the whole trace round-trips

    # Every step's numbers match a teacher-forced pass fed the same inputs, computed independently.
    model, vocab = run.model.model, run.model.target_vocab
    inputs = torch.tensor([[vocab.stoi[s.input] for s in steps]])  # (1, T)
    with torch.no_grad(), trace(model) as t:
        logits = model(run.model.source([p.text]), inputs)[0]  # (T, V)
    for i, step in enumerate(steps):
        probs = logits[i].softmax(-1)
        assert step.top[0] == (vocab.itos[int(probs.argmax())], pytest.approx(float(probs.max()), abs=1e-5))
        assert step.hidden == pytest.approx(t["decoder.lstm"].sample[i, :8].tolist(), abs=1e-5)
        if attention:
            assert step.attention == pytest.approx(t["decoder.attention.softmax"].sample[i, :6].tolist(), abs=1e-5)
    assert logits.shape == (len(steps), V)


def test_a_well_trained_model_explains_its_answer_and_keeps_the_right_one_for_when_it_is_asked(lesson, default_run):
    p = lesson.predict(default_run, "Four thousand three hundred and five")
    assert p.output == "4 3 0 5" and p.layer("output").marks == (Mark.WORD,) * 4 + (Mark.EOS,)
    assert p.expected == "4 3 0 5" and p.notes == ()  # no banner gives the answer away


@pytest.mark.parametrize(("text", "unknown"), [
    ("thousand bananas", "Not in the vocabulary, read as <unk>: “bananas”."),
    ("hello world", "Not in the vocabulary, read as <unk>: “hello”, “world”. None of the words are known, "
                    "so the translation is a guess."),
    ("😀🎬", "None of the words are known"),
    ("  THOUSAND\u200b   hundred ", None),
])
def test_odd_input_gives_a_valid_trace_with_a_note(lesson, tiny_attention_run, text, unknown):
    p = lesson.predict(tiny_attention_run, text)
    assert len(p.layer("source").ids) == 10 and 1 <= len(p.layer("decoder").steps) <= 10
    unknown_notes = [n for n in p.notes if "<unk>" in n]
    assert list(p.layer("source").notes) == unknown_notes
    assert (unknown is None and not unknown_notes) or unknown in unknown_notes[0]
    if unknown is None:
        assert p.layer("source").tokens[:2] == ("thousand", "hundred")


@pytest.mark.parametrize(("text", "note"), [
    ("nine hundred and ninety nine thousand", "That is 999,000: outside what this lesson covers."),
    ("999 thousand", "That is 999,000: outside what this lesson covers."),
    ("4305", "it has never seen digits. In words, 4,305 is “four thousand three hundred and five”."),
    ("one two three four five six seven eight nine ten eleven", "the last 1 were dropped"),
])
def test_inputs_outside_what_the_lesson_covers_are_said_so(lesson, tiny_attention_run, text, note):
    p = lesson.predict(tiny_attention_run, text)
    assert any(note in n for n in p.notes), p.notes


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty"),
    ("   \n\t", "empty"),
    ("x" * 10_001, "10,001 characters"),
    (None, "Expected text, got NoneType"),
])
def test_unusable_input_gets_a_clear_message(lesson, tiny_attention_run, text, message):
    with pytest.raises(InputError, match=message):
        lesson.predict(tiny_attention_run, text)


def test_encoder_and_decoder_gates_match_the_lstms_own_states(lesson, tiny_attention_run):
    import numpy as np

    p = lesson.predict(tiny_attention_run, "four thousand three hundred and five")
    encoder, decoder = p.layer("encoder_gates"), p.layer("decoder_gates")
    with torch.no_grad(), trace(tiny_attention_run.model, train=False) as t:
        tiny_attention_run.model(["four thousand three hundred and five"], stop_at_eos=True)
    states = t["model.encoder.unpack"].sample.numpy()  # nn.LSTM's own states, padded
    assert encoder.tokens == ("four", "thousand", "three", "hundred", "and", "five")
    assert np.abs(np.array(encoder.h) - states[:6]).max() <= 1e-5
    steps = p.layer("decoder").steps
    assert decoder.tokens == tuple(s.input for s in steps) and len(decoder.h) == len(steps)
    hidden = np.array([s.hidden for s in steps])  # the decoder LSTM's first numbers at each step, from the trace
    assert np.abs(np.array(decoder.h)[:, : hidden.shape[1]] - hidden).max() <= 1e-5
