"""Following a few fixed inputs while a model learns: after every epoch, the model's answer to each, and what it
held inside -- the views of a few of its stages, and where its most frequent words lie in a fixed plane.

What is kept is bounded: the probe inputs only (a lesson has four), at most ``FRAME_VALUES`` numbers of views for a
whole run (an LSTM's gates keep fewer hidden units, attention fewer heads, when a run has many epochs), and the
``WORDS_KEPT`` most frequent words' two coordinates per epoch.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from pipeline.document.views import AttentionView, LSTMGatesView, View
from pipeline.nn.space import fit_plane
from pipeline.training.loop import Callback
from pipeline.training.results import EpochResult

FRAME_VALUES = 131_072  # numbers of the time-lapse's views a run keeps, every epoch and probe together
WORDS_KEPT = 200  # the most frequent words whose place in the plane is kept, per epoch
SPECIAL_IDS = 2  # <pad> and <unk> come first in every vocabulary: never drawn as words


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


class InsideFrames(Callback):
    """After each epoch, what the model holds inside: for each probe the views the lesson keeps epoch by epoch
    (``lesson.timelapse``), read from the prediction the lesson would show; and its most frequent words' vectors.
    After the last epoch, those vectors projected on the plane of the last table (``pipeline.nn.space``).

    ``words`` and ``plane`` say, once training ends, which words the points are and how much variance they keep.
    """

    def __init__(self, lesson: Any, run: Any, inputs: Sequence[str], epochs: int) -> None:
        self.lesson, self.run, self.inputs = lesson, run, list(inputs)
        self.budget = FRAME_VALUES // max(epochs, 1)  # numbers per epoch, for every probe together
        self.tables: list[torch.Tensor] = []  # (W, E) per finished epoch, until training ends
        self.results: list[EpochResult] = []
        self.words: list[str] = []
        self.vocabulary = 0
        self.variance: list[float] = []

    def on_epoch_end(self, result: EpochResult) -> None:
        """The probes' views and the word vectors, with the weights this epoch ended with (eval mode, no gradients)."""
        model = self.run.model
        was_training = model.training
        try:
            with torch.no_grad():
                model.eval()
                views = [self.lesson.inside(self.run, text) for text in self.inputs]
                table = self.lesson.word_table(model)
        finally:
            model.train(was_training)
        share = self.budget // max(sum(len(v) for v in views), 1)
        result.inside = {text: {k: within(v, share) for k, v in kept.items()} for text, kept in zip(
            self.inputs, views, strict=True) if kept}
        if table is not None:
            weights, words = table
            self.tables.append(weights[SPECIAL_IDS:SPECIAL_IDS + WORDS_KEPT].detach().to("cpu", copy=True))
            self.words, self.vocabulary = list(words[SPECIAL_IDS:SPECIAL_IDS + WORDS_KEPT]), len(words) - SPECIAL_IDS
        self.results.append(result)

    def on_train_end(self, history: list[EpochResult]) -> None:
        """Fit the plane on the last table and place every epoch's words on it."""
        if not self.tables or len(self.words) < 3:
            return
        plane = fit_plane(self.tables[-1])
        for result, table in zip(self.results, self.tables, strict=True):
            result.space = tuple((x, y) for x, y in compact(plane.project(table).tolist()))
        self.variance = plane.variance.tolist()
        self.tables.clear()  # kept only until the plane was fitted

    def info(self) -> dict[str, Any]:
        """What a run's info says about its plane: the words drawn, the whole table's size, each direction's share."""
        if not self.variance:
            return {}
        return {"space": {"words": self.words, "vocabulary": self.vocabulary, "variance": self.variance}}


def compact(values: Any) -> Any:
    """Nested lists of float32 values written with the 9 digits that give each one back exactly (as float32): a
    frame in a trace file is half as long, and nothing changes by more than 1e-9 of its size."""
    if isinstance(values, list | tuple):
        return [compact(v) for v in values]
    return float(f"{values:.9g}")


def within(view: View, budget: int) -> View:
    """``view`` keeping at most about ``budget`` numbers: an LSTM's gates the first hidden units, attention the first
    heads (at least one); any other view as it is. Its numbers ``compact``."""
    if isinstance(view, LSTMGatesView):
        steps = max(len(view.tokens), 1)
        units = max(1, min(len(view.h[0]) if view.h else 0, budget // (6 * steps)))
        kept: dict[str, Any] = {name: _matrix(compact([row[:units] for row in getattr(view, name)]))
                                for name in "ifgoch"}
        return dataclasses.replace(view, **kept)
    if isinstance(view, AttentionView):
        size = max(len(view.rows) * len(view.cols), 1)
        heads = max(1, min(len(view.weights), budget // size))
        return dataclasses.replace(view, weights=tuple(_matrix(compact(grid)) for grid in view.weights[:heads]),
                                   heads=view.heads[:heads])
    return view


def _matrix(rows: list[list[float]]) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(row) for row in rows)
