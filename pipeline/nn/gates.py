"""LSTM gates, recomputed step by step from a trained ``nn.LSTM``'s own weights.

``nn.LSTM`` returns only the hidden and cell states; the four gates that produce them stay inside
its fused kernel. ``lstm_gates`` replays the recurrence for one sequence so a learner can see, at
every word, how much the LSTM forgets (f), how much it writes (i, g) and how much it shows (o).
``gates_reading`` turns those numbers into a few plain-English sentences.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

SATURATED = 0.1  # an output gate value below this or above 1 - this counts as saturated (shut or wide open)


@dataclass(frozen=True)
class LSTMGates:
    """The gates and states of a single-layer LSTM at every real token of one sequence.

    PyTorch's equations, per step ``t``:
    ``i, f, o = sigmoid(...)``, ``g = tanh(...)``, ``c_t = f * c_(t-1) + i * g``, ``h_t = o * tanh(c_t)``.

    Shape:
        - ``i``, ``f``, ``g``, ``o``, ``c``, ``h``: (T, H), T = the real tokens read
        - ``h0``, ``c0``: (H,), the state before the first token
    """

    i: torch.Tensor
    f: torch.Tensor
    g: torch.Tensor
    o: torch.Tensor
    c: torch.Tensor
    h: torch.Tensor
    h0: torch.Tensor
    c0: torch.Tensor

    @property
    def c_prev(self) -> torch.Tensor:
        """The cell state each step starts from: ``c0`` then ``c`` shifted by one, (T, H)."""
        return torch.cat([self.c0[None], self.c[:-1]])  # (T, H)


def check_supported(lstm: nn.Module) -> None:
    """Raise ValueError naming what ``lstm_gates`` cannot replay (it handles one plain LSTM layer)."""
    if not isinstance(lstm, nn.LSTM):
        raise ValueError(f"lstm_gates needs an nn.LSTM, got {type(lstm).__name__}")
    if lstm.num_layers != 1:
        raise ValueError(f"lstm_gates supports a single-layer LSTM only, got num_layers={lstm.num_layers}")
    if lstm.bidirectional:
        raise ValueError("lstm_gates supports a unidirectional LSTM only, got bidirectional=True")
    if lstm.proj_size:
        raise ValueError(f"lstm_gates does not support projections, got proj_size={lstm.proj_size}")


def _one_sequence(lstm: nn.LSTM, x: torch.Tensor) -> torch.Tensor:
    """``x`` as (T, E): a 2-D sequence, or a batch of one in the LSTM's own layout."""
    if x.dim() == 3:
        batch = x.size(0) if lstm.batch_first else x.size(1)
        if batch != 1:
            raise ValueError(f"x must hold one sequence, got a batch of {batch} (shape {list(x.shape)})")
        x = x[0] if lstm.batch_first else x[:, 0]
    if x.dim() != 2 or x.size(1) != lstm.input_size:
        raise ValueError(f"x must be (T, {lstm.input_size}) or a batch of one, got shape {list(x.shape)}")
    if x.size(0) == 0:
        raise ValueError("x must hold at least one token, got an empty sequence")
    return x


def _initial(state: tuple[torch.Tensor, torch.Tensor] | None, hidden: int, like: torch.Tensor
             ) -> tuple[torch.Tensor, torch.Tensor]:
    """``(h0, c0)`` as two (H,) tensors; zeros when no state is given."""
    if state is None:
        zeros = like.new_zeros(hidden)
        return zeros, zeros
    h0, c0 = state
    for name, t in (("h0", h0), ("c0", c0)):
        if t.numel() != hidden:
            raise ValueError(f"{name} must hold one state of {hidden} numbers, got shape {list(t.shape)}")
    return h0.reshape(hidden).to(like), c0.reshape(hidden).to(like)


def lstm_gates(lstm: nn.LSTM, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None,
               length: int | None = None) -> LSTMGates:
    """Replay ``lstm`` over one sequence and return its gates and states at the first ``length`` steps.

    Args:
        lstm: a single-layer, unidirectional ``nn.LSTM`` without projection, with or without bias.
        x: (T, E), or one sequence in the LSTM's layout: (1, T, E) if ``batch_first`` else (T, 1, E).
        state: the initial ``(h0, c0)``, each with H numbers (e.g. (1, 1, H)); zeros when None.
        length: how many leading tokens are real (the rest is padding); all T when None.
    """
    check_supported(lstm)
    x = _one_sequence(lstm, x)  # (T, E)
    steps = x.size(0) if length is None else length
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= x.size(0):
        raise ValueError(f"length must be an integer between 1 and {x.size(0)}, got {length!r}")
    w_ih, w_hh = lstm.get_parameter("weight_ih_l0"), lstm.get_parameter("weight_hh_l0")  # (4H, E), (4H, H): i, f, g, o
    with torch.no_grad():
        h0, c0 = _initial(state, lstm.hidden_size, w_hh)
        bias = (lstm.get_parameter("bias_ih_l0") + lstm.get_parameter("bias_hh_l0") if lstm.bias
                else w_hh.new_zeros(w_hh.size(0)))  # (4H,)
        inputs = x[:steps].to(w_ih) @ w_ih.T + bias  # (T, 4H): the input's share, all steps at once
        i, f, g, o, c, h = _recur(inputs, w_hh, h0, c0)  # (T, H) each
    return LSTMGates(i, f, g, o, c, h, h0.clone(), c0.clone())


def _recur(inputs: torch.Tensor, w_hh: torch.Tensor, h: torch.Tensor, c: torch.Tensor
           ) -> tuple[torch.Tensor, ...]:
    """Run the LSTM recurrence over (T, 4H) input projections; return i, f, g, o, c, h, each (T, H)."""
    rows: list[tuple[torch.Tensor, ...]] = []
    for x_t in inputs:
        z_i, z_f, z_g, z_o = (x_t + h @ w_hh.T).chunk(4)  # (H,) each
        i, f, g, o = z_i.sigmoid(), z_f.sigmoid(), z_g.tanh(), z_o.sigmoid()
        c = f * c + i * g  # (H,)
        h = o * c.tanh()  # (H,)
        rows.append((i, f, g, o, c, h))
    return tuple(torch.stack(col) for col in zip(*rows, strict=True))


def gates_reading(gates: LSTMGates, tokens: list[str]) -> list[str]:
    """Two to four sentences on what the gates did, each citing the number it rests on.

    ``tokens`` names the steps (the first T are used); a missing name reads as ``step N``.
    """
    steps = gates.h.size(0)
    names = [tokens[t] if t < len(tokens) else f"step {t + 1}" for t in range(steps)]
    sentences = [_forget_sentence(gates, names), _cell_sentence(gates, names), _input_sentence(gates, names),
                 _output_sentence(gates)]
    return [s for s in sentences if s]


def _first_counted(gates: LSTMGates) -> int:
    """1 when the first step has no memory to clear (it starts from zero and is not the only step), else 0."""
    return 1 if gates.f.size(0) > 1 and not gates.c0.any() else 0


def forget_step(gates: LSTMGates) -> int:
    """The step where the forget gate is lowest on average over the units (a first step with no memory to clear
    does not count), or -1 when there is none."""
    first = _first_counted(gates)
    return first + int(gates.f.mean(dim=1)[first:].argmin()) if first < gates.f.size(0) else -1


def _forget_sentence(gates: LSTMGates, names: list[str]) -> str:
    """Where the forget gate clears most memory; skips a first step that has no memory to clear."""
    f = gates.f.mean(dim=1)  # (T,)
    t = forget_step(gates)
    if not 0 <= t < len(names):
        return ""
    average = float(f[_first_counted(gates):].mean())
    keeps = "clears much of its memory" if f[t] < 0.5 else "lets a little of its memory go"
    return (f"At “{names[t]}” the forget gate is lowest (mean {f[t]:.2f}, against {average:.2f} on "
            f"average): the LSTM {keeps} there.")


def _cell_sentence(gates: LSTMGates, names: list[str]) -> str:
    """Where the memory (cell state) changes most from one step to the next."""
    jump = (gates.c - gates.c_prev).abs().mean(dim=1)  # (T,)
    t = int(jump.argmax())
    return (f"The memory changes most at “{names[t]}” (mean |c_t − c_(t−1)| {jump[t]:.2f}, against "
            f"{jump.mean():.2f} per step on average).")


def _input_sentence(gates: LSTMGates, names: list[str]) -> str:
    """Which word the input gate lets into memory most."""
    i = gates.i.mean(dim=1)  # (T,)
    t = int(i.argmax())
    return f"The input gate opens widest at “{names[t]}” (mean {i[t]:.2f}): that word is written in most."


def _output_sentence(gates: LSTMGates) -> str:
    """How often the output gate is shut or wide open rather than in between."""
    o = gates.o
    share = float(((o < SATURATED) | (o > 1 - SATURATED)).float().mean())
    how = "mostly all-or-nothing" if share >= 0.5 else "mostly in between"
    return (f"The output gate is {how}: {share:.0%} of its values are below {SATURATED:g} or above "
            f"{1 - SATURATED:g} (mean {o.mean():.2f}).")
