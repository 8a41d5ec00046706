"""The lesson models. Each has a config dataclass; every tensor line says its shape.

Shapes: B = batch, T = sequence length (10), E = embedding size, H = hidden size, C = classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from pipeline.data.tokens import PAD_ID


@dataclass(frozen=True)
class ClassifierConfig:
    """Sizes of the sequence classifier (the lesson card's Embedding(50) -> LSTM(64) -> Linear(3))."""

    vocab_size: int
    num_classes: int = 3
    embed_dim: int = 50
    hidden_dim: int = 64


class LastStepLSTM(nn.Module):
    """An LSTM that reads every timestep and returns its hidden state at each sequence's last real token.

    Reading the state at the last real token (not at position T) keeps padding from diluting it.

    Shape:
        - Input: (B, T, E) vectors and (B,) lengths
        - Output: (B, H)
    """

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, batch_first=True)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        states, _ = self.lstm(x)  # (B, T, H): one hidden state per timestep
        last = (lengths - 1).clamp(min=0)  # (B,) index of the last real token
        return states[torch.arange(x.size(0)), last]  # (B, H)

    def extra_repr(self) -> str:
        return f"{self.lstm.input_size} -> {self.lstm.hidden_size}, state at the last real token"


class SequenceClassifier(nn.Module):
    """Token ids -> class logits: Embedding -> LSTM (last real step) -> Linear; softmax for probabilities.

    Shape:
        - Input: (B, T) token ids, padded with PAD_ID at the end
        - Output: (B, C) logits; ``predict_proba`` gives (B, C) probabilities
    """

    def __init__(self, cfg: ClassifierConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embedding = nn.Embedding(cfg.vocab_size, cfg.embed_dim, padding_idx=PAD_ID)
        self.encoder = LastStepLSTM(cfg.embed_dim, cfg.hidden_dim)
        self.classifier = nn.Linear(cfg.hidden_dim, cfg.num_classes)
        self.softmax = nn.Softmax(dim=-1)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        lengths = (ids != PAD_ID).sum(dim=1)  # (B,)
        x = self.embedding(ids)  # (B, T, E)
        h = self.encoder(x, lengths)  # (B, H)
        return self.classifier(h)  # (B, C) logits: CrossEntropyLoss applies log-softmax itself

    def predict_proba(self, ids: torch.Tensor) -> torch.Tensor:
        return self.softmax(self(ids))  # (B, C), rows sum to 1


# --- Sequence to sequence -----------------------------------------------------------------------------
# Shapes: S = source length (10), T = target steps (10), V = target vocabulary size.


@dataclass(frozen=True)
class Seq2SeqConfig:
    """Sizes of the encoder-decoder (the lesson card's Embedding(64) -> LSTM(128) x 2 -> Linear(V))."""

    src_vocab_size: int
    tgt_vocab_size: int
    sos_id: int  # the token the decoder starts from
    eos_id: int  # the token that ends a translation
    embed_dim: int = 64
    hidden_dim: int = 128
    attention: bool = False  # Luong dot-product attention over the encoder states
    max_len: int = 10  # steps greedy decoding takes at most


class Unpack(nn.Module):
    """A packed LSTM output -> (B, S, H) states, zeros after each sequence's last real token."""

    def __init__(self, total_length: int) -> None:
        super().__init__()
        self.total_length = total_length

    def forward(self, packed: nn.utils.rnn.PackedSequence) -> torch.Tensor:
        states, _ = nn.utils.rnn.pad_packed_sequence(packed, batch_first=True, total_length=self.total_length)
        return states  # (B, S, H)

    def extra_repr(self) -> str:
        return f"pad to {self.total_length} steps"


class Seq2SeqEncoder(nn.Module):
    """Reads the embedded source; its final (h, c) after the last real token is the context.

    The LSTM sees a packed batch, so it stops at each sequence's last real token and padding never
    reaches the context.

    Shape:
        - Input: (B, S, E) vectors and (B,) lengths
        - Output: context ``h`` (B, H), cell ``c`` (B, H), states at every position (B, S, H)
    """

    def __init__(self, input_size: int, hidden_size: int, max_len: int) -> None:
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, batch_first=True)
        self.unpack = Unpack(max_len)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        # (sum of lengths, E): the real tokens only, so the LSTM stops at each sequence's last one
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.clamp(min=1).cpu(), batch_first=True,
                                                   enforce_sorted=False)
        out, (h, c) = self.lstm(packed)  # h, c: (1, B, H) after each sequence's last real token
        return h[0], c[0], self.unpack(out)  # (B, H), (B, H), (B, S, H)

    def extra_repr(self) -> str:
        return f"{self.lstm.input_size} -> {self.lstm.hidden_size}, final state = context"


class MaskedSoftmax(nn.Module):
    """Softmax over source positions that gives padding exactly zero weight.

    Shape:
        - Input: (B, T, S) scores and (B, S) mask, True at real tokens
        - Output: (B, T, S) weights; each row sums to 1 over the real positions
    """

    def forward(self, scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # The dtype's lowest value rather than -inf: exp() still gives exactly 0, and a row with no
        # real token at all comes out uniform instead of NaN.
        scores = scores.masked_fill(~mask[:, None, :], torch.finfo(scores.dtype).min)  # (B, T, S)
        return scores.softmax(dim=-1)  # (B, T, S)


class DotAttention(nn.Module):
    """Luong dot-product attention: every decoder state scores every encoder state and mixes them.

    Shape:
        - Input: decoder states (B, T, H), encoder states (B, S, H), source mask (B, S)
        - Output: attended states (B, T, H) and the weights (B, T, S)
    """

    def __init__(self, hidden_size: int) -> None:
        super().__init__()
        self.softmax = MaskedSoftmax()  # its own module, so a trace records the weights
        self.combine = nn.Linear(2 * hidden_size, hidden_size)

    def forward(self, query: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        scores = query @ memory.transpose(1, 2)  # (B, T, S): dot product of every pair
        weights = self.softmax(scores, mask)  # (B, T, S)
        mixed = weights @ memory  # (B, T, H): a weighted average of the source states
        attended = torch.tanh(self.combine(torch.cat([query, mixed], dim=-1)))  # (B, T, H)
        return attended, weights


class Seq2SeqDecoder(nn.Module):
    """Starts from the context and produces one token per step, teacher-forced or greedily.

    Shape:
        - Input: context ``(h, c)`` each (B, H), encoder states (B, S, H), source mask (B, S), and
          for teacher forcing the target shifted right (B, T)
        - Output: (B, T, V) logits; greedy decoding gives ``cfg.max_len`` steps, or fewer when
          ``stop_at_eos`` and every sequence has produced ``<eos>``
    """

    def __init__(self, cfg: Seq2SeqConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embedding = nn.Embedding(cfg.tgt_vocab_size, cfg.embed_dim, padding_idx=PAD_ID)
        self.lstm = nn.LSTM(cfg.embed_dim, cfg.hidden_dim, batch_first=True)
        self.attention = DotAttention(cfg.hidden_dim) if cfg.attention else None
        self.out = nn.Linear(cfg.hidden_dim, cfg.tgt_vocab_size)

    def forward(self, context: tuple[torch.Tensor, torch.Tensor], memory: torch.Tensor, mask: torch.Tensor,
                targets_in: torch.Tensor | None = None, stop_at_eos: bool = False) -> torch.Tensor:
        state = (context[0][None], context[1][None])  # (1, B, H) each: the LSTM's initial state
        if targets_in is not None:
            return self.step(targets_in, state, memory, mask)[0]  # (B, T, V), all steps at once
        batch, device = memory.size(0), memory.device
        token = torch.full((batch, 1), self.cfg.sos_id, dtype=torch.long, device=device)  # (B, 1)
        finished = torch.zeros(batch, dtype=torch.bool, device=device)  # (B,)
        steps = []
        for _ in range(self.cfg.max_len):
            logits, state = self.step(token, state, memory, mask)  # (B, 1, V)
            steps.append(logits)
            token = logits.argmax(dim=-1)  # (B, 1): the most likely token is the next input
            finished |= token[:, 0] == self.cfg.eos_id  # (B,)
            if stop_at_eos and finished.all():
                break
        return torch.cat(steps, dim=1)  # (B, T, V)

    def step(self, tokens: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor], memory: torch.Tensor,
             mask: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Read ``tokens`` (B, T) from ``state``; return (B, T, V) logits and the new state."""
        x = self.embedding(tokens)  # (B, T, E)
        h, state = self.lstm(x, state)  # (B, T, H)
        if self.attention is not None:
            h, _ = self.attention(h, memory, mask)  # (B, T, H)
        return self.out(h), state  # (B, T, V)

    def extra_repr(self) -> str:
        how = "dot-product attention" if self.cfg.attention else "no attention"
        return f"{self.cfg.embed_dim} -> {self.cfg.hidden_dim} -> {self.cfg.tgt_vocab_size} words, {how}"


class Seq2Seq(nn.Module):
    """Source ids -> target logits: Embedding -> encoder LSTM (context) -> decoder LSTM -> Linear.

    Given the target shifted right the decoder is teacher-forced (training); without it, it decodes
    greedily, feeding back its own most likely token.

    Shape:
        - Input: (B, S) source ids padded with PAD_ID; optionally (B, T) target ids starting with <sos>
        - Output: (B, T, V) logits
    """

    def __init__(self, cfg: Seq2SeqConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embedding = nn.Embedding(cfg.src_vocab_size, cfg.embed_dim, padding_idx=PAD_ID)
        self.encoder = Seq2SeqEncoder(cfg.embed_dim, cfg.hidden_dim, cfg.max_len)
        self.decoder = Seq2SeqDecoder(cfg)

    def forward(self, src: torch.Tensor, targets_in: torch.Tensor | None = None,
                stop_at_eos: bool = False) -> torch.Tensor:
        mask = src != PAD_ID  # (B, S): True at real tokens
        x = self.embedding(src)  # (B, S, E)
        h, c, memory = self.encoder(x, mask.sum(dim=1))  # (B, H), (B, H), (B, S, H)
        return self.decoder((h, c), memory, mask, targets_in, stop_at_eos)  # (B, T, V)


class UntilEos(nn.Module):
    """Per-step probabilities -> the chosen tokens, with everything after the first <eos> set to <pad>.

    Shape:
        - Input: (B, T, V) probabilities (or logits)
        - Output: (B, T) token ids
    """

    def __init__(self, eos_id: int) -> None:
        super().__init__()
        self.eos_id = eos_id

    def forward(self, probs: torch.Tensor) -> torch.Tensor:
        ids = probs.argmax(dim=-1)  # (B, T)
        seen = (ids == self.eos_id).long().cumsum(dim=1)  # (B, T): how many <eos> up to each step
        after = (seen - (ids == self.eos_id).long()) > 0  # (B, T): an <eos> came before this step
        return ids.masked_fill(after, PAD_ID)  # (B, T)

    def extra_repr(self) -> str:
        return f"argmax, <pad> after <eos> (id {self.eos_id})"
