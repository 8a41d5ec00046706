"""The digits lessons' models: images as pixels, a small convolutional network, and a plain one to compare it with.

Shapes: B = batch, S = image side (8), C1 / C2 = the two convolutions' filters, H = hidden units, K = classes.
Every layer is a module of its own (no ``nn.Sequential``), so the tracer records each one under its own name.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from pipeline.data.pixels import INK, SIDE, decode


class Pixels(nn.Module):
    """Image codes (``pipeline.data.pixels``) -> a (B, 1, S, S) tensor of ink from 0 to 1 (the code's 0..16 / 16).

    Parameter-free, so one trace over ``Pixels -> model`` records the journey from the image as given to the answer.
    """

    def forward(self, codes: list[str]) -> torch.Tensor:
        grids = [decode(code) for code in codes]
        return torch.tensor(grids, dtype=torch.float32).reshape(len(codes), 1, SIDE, SIDE) / INK  # (B, 1, S, S)

    def extra_repr(self) -> str:
        return f"{SIDE}x{SIDE} ink 0..{INK} -> 0..1"


@dataclass(frozen=True)
class CNNConfig:
    """Sizes of the digits CNN: (3x3 conv -> ReLU -> 2x2 max-pool) twice, then Linear(K)."""

    num_classes: int = 10
    filters1: int = 16
    filters2: int = 32
    kernel: int = 3
    side: int = SIDE

    @property
    def flat(self) -> int:
        """Numbers the classifier reads: the second pooling's maps, flattened."""
        return self.filters2 * (self.side // 4) ** 2


class DigitsCNN(nn.Module):
    """Grey images -> class logits: two blocks of convolution, ReLU and max-pooling, then one linear layer.

    Each convolution slides small learned filters (kernels) over every position of its input, so one filter's few
    weights find the same stroke anywhere in the image; each pooling keeps the strongest answer of every 2x2 patch.

    Shape:
        - Input: (B, 1, S, S) ink from 0 to 1
        - Output: (B, K) logits; ``predict_proba`` gives (B, K) probabilities
    """

    def __init__(self, cfg: CNNConfig) -> None:
        super().__init__()
        self.cfg = cfg
        pad = cfg.kernel // 2  # same-size maps: every pixel, the border ones too, is a filter's centre once
        self.conv1 = nn.Conv2d(1, cfg.filters1, cfg.kernel, padding=pad)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(cfg.filters1, cfg.filters2, cfg.kernel, padding=pad)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.classifier = nn.Linear(cfg.flat, cfg.num_classes)
        self.softmax = nn.Softmax(dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool1(self.relu1(self.conv1(x)))  # (B, C1, S/2, S/2)
        x = self.pool2(self.relu2(self.conv2(x)))  # (B, C2, S/4, S/4)
        return self.classifier(self.flatten(x))  # (B, K) logits: cross-entropy applies log-softmax itself

    def predict_proba(self, x: torch.Tensor) -> torch.Tensor:
        return self.softmax(self(x))  # (B, K), rows sum to 1


@dataclass(frozen=True)
class MLPConfig:
    """Sizes of the plain network: every pixel to every hidden unit, then Linear(K)."""

    num_classes: int = 10
    hidden: int = 128
    side: int = SIDE


class DigitsMLP(nn.Module):
    """Grey images -> class logits: the pixels in a row, one hidden layer with ReLU, then one linear layer.

    Every hidden unit has its own weight for every pixel: nothing is shared between positions, so a stroke learned
    in one place has to be learned again in every other.

    Shape:
        - Input: (B, 1, S, S) ink from 0 to 1
        - Output: (B, K) logits; ``predict_proba`` gives (B, K) probabilities
    """

    def __init__(self, cfg: MLPConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.flatten = nn.Flatten()
        self.hidden = nn.Linear(cfg.side * cfg.side, cfg.hidden)
        self.relu = nn.ReLU()
        self.classifier = nn.Linear(cfg.hidden, cfg.num_classes)
        self.softmax = nn.Softmax(dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.relu(self.hidden(self.flatten(x)))  # (B, H)
        return self.classifier(h)  # (B, K) logits

    def predict_proba(self, x: torch.Tensor) -> torch.Tensor:
        return self.softmax(self(x))  # (B, K), rows sum to 1
