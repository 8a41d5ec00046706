"""Following a few fixed inputs while a model learns: after every epoch, the model's answer to each."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from pipeline.training.loop import Callback
from pipeline.training.results import EpochResult


class ProbeAnswers(Callback):
    """After each epoch, the model's answers to a few fixed inputs: how its answer changes while it learns."""

    def __init__(self, lesson: Any, model: nn.Module, inputs: Sequence[str]) -> None:
        self.lesson, self.model, self.inputs = lesson, model, list(inputs)

    def on_epoch_end(self, result: EpochResult) -> None:
        """Answer every probe with the weights this epoch ended with (eval mode, no gradients)."""
        was_training = self.model.training
        try:
            with torch.no_grad():
                answers = self.lesson.answer(self.model.eval(), self.inputs)
        finally:
            self.model.train(was_training)
        result.probes = dict(zip(self.inputs, answers, strict=True))
