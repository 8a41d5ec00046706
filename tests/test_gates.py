"""LSTM gates recomputed from the weights: equal to nn.LSTM's own states, and read back in words."""

import pytest
import torch
from torch import nn

from pipeline.nn.gates import LSTMGates, _forget_sentence, forget_step, gates_reading, lstm_gates

SIZES = [(3, 2, 1), (5, 4, 7), (50, 64, 10), (16, 33, 25)]  # (E, H, T)


def make_lstm(e: int, h: int, batch_first: bool, seed: int = 0, **kwargs) -> nn.LSTM:
    torch.manual_seed(seed)
    return nn.LSTM(e, h, batch_first=batch_first, **kwargs)


def run_torch(lstm: nn.LSTM, x: torch.Tensor, state=None):
    """nn.LSTM on one (T, E) sequence: outputs (T, H) and the final cell (H,)."""
    batch = x[None] if lstm.batch_first else x[:, None]
    with torch.no_grad():
        out, (_, c_n) = lstm(batch, state)
    return (out[0] if lstm.batch_first else out[:, 0]), c_n[0, 0]


def random_state(h: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(1, 1, h, generator=g), torch.randn(1, 1, h, generator=g)


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize(("e", "h", "t"), SIZES)
def test_hidden_and_cell_equal_nn_lstm(e, h, t, batch_first, with_state):
    lstm = make_lstm(e, h, batch_first, seed=e + h + t)
    x = torch.randn(t, e, generator=torch.Generator().manual_seed(t))
    state = random_state(h, seed=h) if with_state else None
    out, c_n = run_torch(lstm, x, state)
    gates = lstm_gates(lstm, x, state)
    assert gates.h.shape == (t, h) and gates.i.shape == (t, h)
    assert (gates.h - out).abs().max() <= 1e-5
    assert (gates.c[-1] - c_n).abs().max() <= 1e-5


@pytest.mark.parametrize("batch_first", [True, False])
def test_batch_of_one_in_the_lstm_layout_and_real_length_only(batch_first):
    lstm = make_lstm(6, 5, batch_first)
    x = torch.randn(8, 6, generator=torch.Generator().manual_seed(1))
    batch = x[None] if batch_first else x[:, None]  # (1, T, E) or (T, 1, E)
    out, c_n = run_torch(lstm, x[:5])  # the LSTM stopped after 5 real tokens
    gates = lstm_gates(lstm, batch, length=5)
    assert gates.h.shape == (5, 5)
    assert (gates.h - out).abs().max() <= 1e-5 and (gates.c[-1] - c_n).abs().max() <= 1e-5


def test_without_bias():
    lstm = make_lstm(4, 3, batch_first=True, bias=False)
    x = torch.randn(6, 4, generator=torch.Generator().manual_seed(2))
    out, c_n = run_torch(lstm, x)
    gates = lstm_gates(lstm, x)
    assert (gates.h - out).abs().max() <= 1e-5 and (gates.c[-1] - c_n).abs().max() <= 1e-5


def test_decoder_starting_from_an_encoder_context():
    encoder, decoder = make_lstm(4, 6, True, seed=1), make_lstm(3, 6, True, seed=2)
    src, tgt = torch.randn(1, 5, 4), torch.randn(1, 4, 3)
    with torch.no_grad():
        _, context = encoder(src)  # (1, 1, H) each
        out, (_, c_n) = decoder(tgt, context)
    gates = lstm_gates(decoder, tgt, context)
    assert (gates.h - out[0]).abs().max() <= 1e-5 and (gates.c[-1] - c_n[0, 0]).abs().max() <= 1e-5
    assert torch.equal(gates.c0, context[1].reshape(6))


@pytest.mark.parametrize("with_state", [False, True])
def test_recurrences_hold_and_gates_stay_in_range(with_state):
    lstm = make_lstm(7, 9, batch_first=True, seed=3)
    x = 3 * torch.randn(12, 7, generator=torch.Generator().manual_seed(3))  # large inputs: gates near 0 and 1
    g = lstm_gates(lstm, x, random_state(9, 4) if with_state else None)
    assert (g.c - (g.f * g.c_prev + g.i * g.g)).abs().max() <= 1e-6
    assert (g.h - g.o * g.c.tanh()).abs().max() <= 1e-6
    for gate in (g.i, g.f, g.o):
        assert gate.min() > 0 and gate.max() < 1
    assert g.g.min() > -1 and g.g.max() < 1
    assert not any(t.requires_grad for t in (g.i, g.f, g.g, g.o, g.c, g.h))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"num_layers": 2}, "num_layers=2"),
    ({"bidirectional": True}, "bidirectional=True"),
    ({"proj_size": 2}, "proj_size=2"),
])
def test_refuses_what_it_cannot_replay(kwargs, message):
    lstm = nn.LSTM(4, 3, **kwargs)
    with pytest.raises(ValueError, match=message):
        lstm_gates(lstm, torch.randn(5, 4))


@pytest.mark.parametrize(("x", "state", "length", "message"), [
    (torch.randn(2, 5, 4), None, None, "one sequence, got a batch of 2"),
    (torch.randn(5, 3), None, None, r"must be \(T, 4\)"),
    (torch.randn(0, 4), None, None, "at least one token"),
    (torch.randn(5, 4), None, 6, "between 1 and 5, got 6"),
    (torch.randn(5, 4), None, 0, "between 1 and 5, got 0"),
    (torch.randn(5, 4), (torch.zeros(3), torch.zeros(2)), None, "c0 must hold one state of 3"),
])
def test_refuses_bad_input_naming_it(x, state, length, message):
    with pytest.raises(ValueError, match=message):
        lstm_gates(make_lstm(4, 3, batch_first=True), x, state, length)


def test_refuses_a_module_that_is_not_an_lstm():
    with pytest.raises(ValueError, match=r"needs an nn\.LSTM, got GRU"):
        lstm_gates(nn.GRU(4, 3), torch.randn(5, 4))


WORDS = ["the", "movie", "was", "not", "good"]


def forgetting_lstm() -> nn.LSTM:
    """One-hot words in, 2 units: remembers everything except at "not"; writes "good" in hardest."""
    lstm = nn.LSTM(len(WORDS), 2, batch_first=True)
    with torch.no_grad():
        for p in lstm.parameters():
            p.zero_()
        i, f, g, o = (slice(k * 2, (k + 1) * 2) for k in range(4))  # PyTorch's row blocks
        lstm.bias_ih_l0[f] = 4.0  # keep memory: f = 0.98
        lstm.weight_ih_l0[f, WORDS.index("not")] = -8.0  # ... except at "not": f = 0.02
        lstm.weight_ih_l0[i, WORDS.index("good")] = 2.0  # write "good" in most: i = 0.88, else 0.5
        lstm.bias_ih_l0[g] = 1.5  # every word writes +0.91
        lstm.bias_ih_l0[o] = 5.0  # output gate wide open: 0.99
    return lstm


def test_reading_finds_the_word_that_clears_the_memory():
    gates = lstm_gates(forgetting_lstm(), torch.eye(len(WORDS)))
    reading = gates_reading(gates, WORDS)
    assert 2 <= len(reading) <= 4
    forget, cell, written, output = reading
    assert forget.startswith(f"At “not” the forget gate is lowest (mean {gates.f[3].mean():.2f}")
    assert "clears much of its memory" in forget
    assert cell.startswith("The memory changes most at “not”")
    assert f"{(gates.c[3] - gates.c[2]).abs().mean():.2f}" in cell
    assert written.startswith(f"The input gate opens widest at “good” (mean {gates.i[4].mean():.2f})")
    assert output.startswith("The output gate is mostly all-or-nothing: 100% of its values")


def test_reading_counts_the_first_step_only_when_there_is_memory_to_clear():
    lstm = forgetting_lstm()
    with torch.no_grad():
        lstm.weight_ih_l0[2:4, WORDS.index("the")] = -9.0  # "the" (first) forgets even harder than "not"
    x = torch.eye(len(WORDS))
    assert "At “not”" in gates_reading(lstm_gates(lstm, x), WORDS)[0]  # nothing to forget yet at "the"
    state = (torch.zeros(2), torch.ones(2))
    assert "At “the”" in gates_reading(lstm_gates(lstm, x, state), WORDS)[0]


def test_reading_a_single_step_and_missing_token_names():
    gates = lstm_gates(forgetting_lstm(), torch.eye(len(WORDS))[:1])
    reading = gates_reading(gates, [])
    assert 2 <= len(reading) <= 4 and all("step 1" in s for s in reading[:-1])
    assert isinstance(gates, LSTMGates)


# --- exact readings and edges (each kills mutants that the tests above let through: bench/mutation.py gates) ---

def zero_lstm(e: int = 3, h: int = 2) -> nn.LSTM:
    """Every weight and bias 0: every gate is sigmoid(0) = 0.5 exactly, the candidate 0."""
    lstm = nn.LSTM(e, h, batch_first=True)
    with torch.no_grad():
        for p in lstm.parameters():
            p.zero_()
    return lstm


def hand_gates(o: list[float], f: list[float] | None = None) -> LSTMGates:
    """Gates of one step written by hand (float64): only ``o`` and ``f`` matter to the readings checked."""
    row = torch.tensor([o], dtype=torch.float64)  # (1, H)
    forget = torch.tensor([f or [0.9] * len(o)], dtype=torch.float64)
    zero = torch.zeros(len(o), dtype=torch.float64)
    return LSTMGates(i=row, f=forget, g=row, o=row, c=row, h=row, h0=zero, c0=zero)


def test_a_one_word_input_keeps_its_forget_gate_sentence():
    """One word, starting from zero memory: that word is still the forget gate's step (the issue's `>` -> `>=`)."""
    gates = lstm_gates(forgetting_lstm(), torch.eye(len(WORDS))[1:2])  # "movie" alone: f = 0.98
    assert forget_step(gates) == 0
    f = float(gates.f.mean())
    assert gates_reading(gates, ["movie"])[0] == (
        f"At “movie” the forget gate is lowest (mean {f:.2f}, against {f:.2f} on average): the LSTM lets a little of "
        "its memory go there.")


def test_the_forget_sentence_in_full_skips_the_first_step_in_its_average():
    gates = lstm_gates(forgetting_lstm(), torch.eye(len(WORDS)))
    f = gates.f.mean(dim=1)
    assert gates_reading(gates, WORDS)[0] == (f"At “not” the forget gate is lowest (mean {f[3]:.2f}, against "
                                              f"{f[1:].mean():.2f} on average): the LSTM clears much of its memory "
                                              "there.")


def test_two_words_from_zero_memory_skip_the_first_even_when_it_forgets_hardest():
    lstm = forgetting_lstm()
    with torch.no_grad():
        lstm.weight_ih_l0[2:4, WORDS.index("the")] = -9.0  # "the" forgets hardest, but has nothing to forget
    gates = lstm_gates(lstm, torch.eye(len(WORDS))[:2])
    assert forget_step(gates) == 1 and gates_reading(gates, WORDS[:2])[0].startswith("At “movie”")


def test_one_hidden_unit_still_finds_its_forget_step():
    gates = lstm_gates(make_lstm(3, 1, batch_first=True, seed=5), torch.randn(4, 3))  # H = 1, T = 4
    assert 1 <= forget_step(gates) <= 3


def test_no_steps_have_no_forget_step_and_no_sentence():
    empty = torch.zeros(0, 2)
    gates = LSTMGates(i=empty, f=empty, g=empty, o=empty, c=empty, h=empty, h0=torch.zeros(2), c0=torch.zeros(2))
    assert forget_step(gates) == -1
    assert _forget_sentence(gates, []) == ""


def test_a_forget_gate_of_exactly_one_half_lets_a_little_go_and_the_output_gate_is_in_between():
    reading = gates_reading(lstm_gates(zero_lstm(), torch.ones(2, 3)), ["a", "b"])
    assert reading[0].endswith("the LSTM lets a little of its memory go there.")  # f = 0.5: not below one half
    assert reading[-1] == ("The output gate is mostly in between: 0% of its values are below 0.1 or above 0.9 "
                           "(mean 0.50).")


@pytest.mark.parametrize(("o", "verdict"), [
    ([0.05, 0.5], "mostly all-or-nothing: 50%"),  # exactly half saturated counts as mostly
    ([0.1, 0.9], "mostly in between: 0%"),  # the bounds themselves are not saturated
    ([0.95, 0.5, 0.5], "mostly in between: 33%"),
])
def test_the_output_sentence_at_its_bounds(o, verdict):
    assert gates_reading(hand_gates(o), ["w"])[-1].startswith(f"The output gate is {verdict} of its values")


def test_a_state_and_input_of_another_dtype_are_read_in_the_weights_dtype():
    lstm = make_lstm(4, 3, batch_first=True, seed=6)
    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(6))
    state = random_state(3, seed=6)
    expected = lstm_gates(lstm, x, state)
    got = lstm_gates(lstm, x.double(), (state[0].double(), state[1].double()))
    assert got.h0.dtype == got.c0.dtype == got.h.dtype == torch.float32
    assert torch.allclose(got.h, expected.h) and torch.equal(got.h0, state[0].reshape(3))


def test_the_initial_states_are_kept():
    lstm = make_lstm(4, 3, batch_first=True, seed=7)
    state = random_state(3, seed=7)
    gates = lstm_gates(lstm, torch.randn(2, 4), state)
    assert torch.equal(gates.h0, state[0].reshape(3)) and torch.equal(gates.c0, state[1].reshape(3))
    plain = lstm_gates(lstm, torch.randn(2, 4))
    assert torch.equal(plain.h0, torch.zeros(3)) and torch.equal(plain.c0, torch.zeros(3))


@pytest.mark.parametrize(("make", "x", "state", "length", "message"), [
    (lambda: nn.LSTM(4, 3, bidirectional=True), torch.randn(5, 4), None, None,
     "lstm_gates supports a unidirectional LSTM only, got bidirectional=True"),
    (lambda: nn.LSTM(4, 3), torch.randn(0, 4), None, None, "x must hold at least one token, got an empty sequence"),
    (lambda: nn.LSTM(4, 3), torch.randn(5, 4), (torch.zeros(2), torch.zeros(3)), None,
     "h0 must hold one state of 3 numbers, got shape [2]"),
    (lambda: nn.LSTM(4, 3), torch.randn(5, 4), None, True, "length must be an integer between 1 and 5, got True"),
])
def test_refusals_in_full(make, x, state, length, message):
    with pytest.raises(ValueError) as refused:
        lstm_gates(make(), x, state, length)
    assert str(refused.value) == message
