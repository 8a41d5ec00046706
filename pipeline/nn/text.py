"""Text preprocessing as modules -- normalise, tokenise, map to ids, pad -- so the tracer sees every step.

The steps are parameter-free ``nn.Module``s on purpose: one ``trace(...)`` over ``TextPipeline -> model`` records
the whole journey, from raw text to class probabilities. What each step does is plain Python:
``pipeline.data.tokens``.
"""

from __future__ import annotations

import torch
from torch import nn

from pipeline.data.tokens import MAX_LEN, Vocabulary, normalize, pad, split


class Normalize(nn.Module):
    """Raw text -> normalised text (NFKC, lower case, no control characters)."""

    def forward(self, texts: list[str]) -> list[str]:
        return [normalize(t) for t in texts]

    def extra_repr(self) -> str:
        return "NFKC, lower case"


class Tokenize(nn.Module):
    """Normalised text -> lists of word tokens of varying length."""

    def forward(self, texts: list[str]) -> list[list[str]]:
        return [split(t) for t in texts]

    def extra_repr(self) -> str:
        return "words and symbols"


class EncodePad(nn.Module):
    """Token lists -> a (B, max_len) tensor of ids, unknown words as <unk>, padded with <pad>."""

    def __init__(self, vocab: Vocabulary, max_len: int = MAX_LEN) -> None:
        super().__init__()
        self.vocab, self.max_len = vocab, max_len

    def forward(self, token_lists: list[list[str]]) -> torch.Tensor:
        rows = [pad(self.vocab.encode(tokens), self.max_len) for tokens in token_lists]
        return torch.tensor(rows, dtype=torch.long).reshape(len(rows), self.max_len)  # (B, T)

    def extra_repr(self) -> str:
        return f"vocab {len(self.vocab)}, pad/truncate to {self.max_len}"


class TextPipeline(nn.Sequential):
    """Raw texts -> padded id tensor (B, max_len): normalize, tokenize, encode_pad."""

    def __init__(self, vocab: Vocabulary, max_len: int = MAX_LEN) -> None:
        super().__init__()
        self.normalize = Normalize()
        self.tokenize = Tokenize()
        self.encode_pad = EncodePad(vocab, max_len)

    @property
    def vocab(self) -> Vocabulary:
        return self.encode_pad.vocab

    @property
    def max_len(self) -> int:
        return self.encode_pad.max_len
