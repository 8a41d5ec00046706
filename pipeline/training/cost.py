"""What a run's cost depends on, counted before anything trains: a lesson's ``workload`` returns a
:class:`Workload`, and the work budget (``pipeline.runs.budget``) turns it into seconds and megabytes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Workload:
    """What a run's cost depends on, counted from its settings and data before it trains."""

    examples: int  # train + validation
    train: int
    vocab: int  # source vocabulary, <pad> and <unk> included
    params: int
    madds: float  # multiply-adds of one example's forward pass
    activations: float  # numbers one example's forward pass keeps alive
    steps: int  # optimiser steps over all epochs
    epochs: int

    def time_features(self) -> list[float]:
        passes = self.epochs * (3 * self.train + (self.examples - self.train)) + self.examples  # fwd+bwd ~ 3 fwd
        return [1.0, self.steps, self.steps * self.params / 1e6, passes * self.madds / 1e9, self.examples / 1e3]

    def memory_features(self) -> list[float]:
        return [1.0, self.params * 4 / 1e6, self.examples * self.activations * 4 / 1e6]


@functools.lru_cache(maxsize=256)
def count_params(make: Callable[[Any], Any], config: Any) -> int:
    """The exact parameter count of ``make(config)``'s model, built on the ``meta`` device (no memory).

    Kept per (model class, config): building even on ``meta`` costs ~0.35 s here, and a class pressing Train
    with the default settings asks for the same model thirty times. ``config`` must be hashable (a frozen
    dataclass)."""
    import torch

    with torch.device("meta"):
        return sum(p.numel() for p in make(config).parameters())
