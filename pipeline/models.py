"""The lesson models. Each has a config dataclass; every tensor line says its shape.

Shapes: B = batch, T = sequence length (10), E = embedding size, H = hidden size, C = classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from pipeline.text import PAD_ID


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
