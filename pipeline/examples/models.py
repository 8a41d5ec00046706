"""Small models the shipped example traces are made from (``pipeline-trace trace models.py:FACTORY``)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pipeline.nn.transformer import TransformerClassifier, TransformerConfig


class DigitsCNN(nn.Module):
    """8x8 grey images -> 10 digit classes: two conv blocks, then a linear layer.

    Shape:
        - Input: (B, 1, 8, 8)
        - Output: (B, 10) class probabilities
    """

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, 8, 4, 4)
            nn.Conv2d(8, 16, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, 16, 2, 2)
        )
        self.classifier = nn.Linear(16 * 2 * 2, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(x).flatten(1)  # (B, 64)
        return F.softmax(self.classifier(h), dim=-1)  # (B, 10)


def digits_cnn() -> nn.Module:
    torch.manual_seed(0)
    return DigitsCNN()


def tiny_transformer() -> nn.Module:
    torch.manual_seed(0)
    return TransformerClassifier(TransformerConfig(vocab_size=50, num_classes=3, n_layers=1))
