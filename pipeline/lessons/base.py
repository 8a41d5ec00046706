"""What every lesson produces: stage views, a training history, a prediction trace, the trace JSON.

A lesson is a ``Lesson`` subclass plus a TOML content file. The CLI and the app only use the
interface here, so a new lesson appears everywhere without page or command code of its own.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, Literal

import torch
from torch import nn

from pipeline.lessons.content import LessonContent, load_content
from pipeline.text import PAD, PAD_ID, UNK_ID, check_text
from pipeline.trace import SAMPLE_SIZE, StageRecord, trace
from pipeline.train import Callback, EpochResult

SCHEMA = "pipeline-trace/1"
PREDICTION_SAMPLE = 4096  # a single prediction keeps whole matrices (10 x 256 at most), not a preview
LayerKind = Literal["text", "tokens", "matrix", "vector", "probabilities", "decoder_steps"]


@dataclass(frozen=True)
class StageView:
    """One row of a lesson's data-flow table: a span of traced modules under the lesson's name for it."""

    key: str
    title: str
    description: str
    operation: str
    input_shape: list[int | None]
    output_shape: list[int | None]
    sample: list[Any]
    sample_shape: list[int]
    stats: dict[str, float] | None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.key, **{k: v for k, v in dataclasses.asdict(self).items() if k != "key"}}


def traced_forward(model: nn.Module, *args: Any, sample_size: int = SAMPLE_SIZE, **kwargs: Any
                   ) -> tuple[Any, list[StageRecord]]:
    """One eval-mode forward of ``model`` without gradients, traced: (output, records)."""
    with torch.no_grad(), trace(model, train=False, sample_size=sample_size) as records:
        output = model(*args, **kwargs)
    return output, records


def stage_views(records: list[StageRecord], spans: dict[str, tuple[str, str]], content: LessonContent
                ) -> list[StageView]:
    """Group trace records into the lesson's stages; ``spans`` maps a stage to its first and last module."""
    by_name = {r.name: r for r in reversed(records)}  # first call of each module wins
    order = [r.name for r in records]
    views = []
    for key, (first, last) in spans.items():
        start, end = by_name[first], by_name[last]
        names = order[order.index(first) : order.index(last) + 1]
        outer = [n for n in dict.fromkeys(names) if not any(n.startswith(m + ".") for m in names)]
        text = content.stage(key)
        views.append(StageView(key, text.title, text.description,
                               " → ".join(by_name[n].operation for n in outer),
                               start.input_shape, end.output_shape, end.sample, end.sample_shape,
                               end.stats.to_dict()))
    return views


@dataclass
class PredictionLayer:
    """One step of a single prediction, in a form a page or a terminal can draw without lesson code.

    ``kind`` says how to draw ``values``:

    - ``text``: ``values = [str]``.
    - ``tokens``: ``values`` = ids, ``row_labels`` = the token at each position, ``marks`` = per
      position ``"word"``, ``"unk"`` (unknown word), ``"pad"``, ``"eos"`` or ``"sos"``.
    - ``matrix``: ``values`` = rows of floats (a heatmap); ``row_labels`` name the rows (tokens,
      timesteps), ``col_labels`` the columns; ``marks`` as for tokens, one per row.
    - ``vector``: ``values`` = floats; ``col_labels`` optional.
    - ``probabilities``: ``values`` = probabilities, ``row_labels`` = what each one is for.
    - ``decoder_steps``: ``values`` = one dict per generated token: ``{"step": int, "input": str,
      "hidden": [float], "top": [[token, prob], ...], "chosen": str, "attention": [float] | None}``;
      ``col_labels`` = the source tokens the attention weights refer to.
    """

    key: str
    title: str
    description: str
    kind: LayerKind
    shape: list[int | None]
    values: Any
    row_labels: list[str] = field(default_factory=list)
    col_labels: list[str] = field(default_factory=list)
    marks: list[str] = field(default_factory=list)  # per row: "word", "unk", "pad", ...
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def matrix_layer(key: str, title: str, description: str, record: StageRecord, labels: list[str],
                 marks: list[str]) -> PredictionLayer:
    """A heatmap layer from a record whose sample holds a whole (rows, cols) matrix of one example."""
    rows, cols = record.sample_shape
    values = [record.sample[r * cols : (r + 1) * cols] for r in range(rows)]
    return PredictionLayer(key, title, description, "matrix", record.output_shape, values, labels[:rows],
                           [str(c) for c in range(cols)], marks[:rows])


def token_marks(tokens: list[str], ids: list[int]) -> tuple[list[str], list[str]]:
    """Per padded position: the token shown there (``<pad>`` for padding) and its mark (word / unk / pad)."""
    marks = ["pad" if i == PAD_ID else "unk" if i == UNK_ID else "word" for i in ids]
    return [PAD if m == "pad" else tokens[i] for i, m in enumerate(marks)], marks


def unknown_words_note(tokens: list[str], marks: list[str], if_none_known: str) -> list[str]:
    """A note listing the words read as <unk>, or nothing when every word is known."""
    unknown = [t for t, m in zip(tokens, marks, strict=False) if m == "unk"]
    if not unknown:
        return []
    listed = ", ".join(f"“{t}”" for t in dict.fromkeys(unknown))
    extra = f" {if_none_known}" if "word" not in marks else ""
    return [f"Not in the vocabulary, read as <unk>: {listed}.{extra}"]


@dataclass
class Prediction:
    """A single input traced from raw text to the model's answer."""

    text: str
    output: str  # the predicted class, or the decoded sequence
    confidence: float
    layers: list[PredictionLayer]
    notes: list[str] = field(default_factory=list)  # e.g. unknown words, truncation

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "output": self.output, "confidence": self.confidence,
                "notes": self.notes, "layers": [layer.to_dict() for layer in self.layers]}

    def layer(self, key: str) -> PredictionLayer:
        return next(layer for layer in self.layers if layer.key == key)


@dataclass
class LessonRun:
    """A trained model with its data-flow stages and its epoch history."""

    lesson: str
    settings: Any
    stages: list[StageView]
    epochs: list[EpochResult]
    model: nn.Module  # the whole traced pipeline, input to output
    info: dict[str, Any] = field(default_factory=dict)  # dataset sizes, vocabulary size, classes, ...
    examples: list[tuple[str, str]] = field(default_factory=list)  # held-out (input, expected output)


class Lesson(ABC):
    """A lesson: its settings type, content file, and how it trains, traces and predicts."""

    slug: ClassVar[str]
    settings_type: ClassVar[type]
    content_file: ClassVar[Path]
    stage_spans: ClassVar[dict[str, tuple[str, str]]]  # stage key -> (first module, last module)

    data_format: ClassVar[str | None] = None  # e.g. "CSV with columns text,label"; None: embedded data only

    def load_data(self, raw: bytes, name: str) -> Any:
        """Parse a learner's own data file for ``run(data=...)``; raise InputError naming the problem."""
        raise NotImplementedError(f"the {self.slug} lesson trains on its embedded data only")

    @cached_property
    def content(self) -> LessonContent:
        return load_content(self.content_file, list(self.stage_spans))

    @abstractmethod
    def run(self, settings: Any, callbacks: Sequence[Callback] = (), data: Any = None) -> LessonRun:
        """Train on ``data`` (None: the embedded corpus), reporting to ``callbacks``; trace the data flow."""

    def check_input(self, text: str) -> str:
        """Return ``text`` if this lesson can trace it, else raise InputError saying why (before any training)."""
        return check_text(text)

    @abstractmethod
    def predict(self, run: LessonRun, text: str) -> Prediction:
        """Trace one input through the trained model; raise InputError for unusable input."""

    def to_json(self, run: LessonRun, prediction: Prediction | None) -> dict[str, Any]:
        """The trace document (schema ``pipeline-trace/1``) the app, exports and other tools read."""
        return {
            "schema": SCHEMA,
            "lesson": {"slug": self.slug, "title": self.content.title,
                       "settings": dataclasses.asdict(run.settings), **run.info},
            "stages": [s.to_dict() for s in run.stages],
            "epochs": [e.to_dict() for e in run.epochs],
            "prediction": prediction.to_dict() if prediction else None,
            "quiz": [q.model_dump() for q in self.content.quiz],
            "key_insight": self.content.key_insight,
        }
