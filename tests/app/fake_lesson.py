"""A stand-in encoder-decoder lesson with the seq2seq prediction layers, for testing generic rendering.

It trains a real (tiny) model through ``pipeline.train.fit`` so callbacks fire as in a real lesson,
and its ``predict`` returns hand-built layers of every kind, including ``decoder_steps`` with
attention, until the real seq2seq lesson lands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from pipeline.lessons.base import Lesson, LessonRun, Prediction, PredictionLayer, StageView
from pipeline.settings import setting
from pipeline.text import check_text, tokenize
from pipeline.train import Callback, StepOutput, TrainConfig, fit

SLUG = "fake-seq2seq"
TARGET = {"hello": "bonjour", "cat": "chat", "the": "le", "black": "noir"}


@dataclass(frozen=True)
class FakeSettings(TrainConfig):
    """Optimisation settings plus the attention switch."""

    attention: bool = setting(True, 0, 1, "Attention", "Let the decoder look back at every source token.")


def _step(model: nn.Module, batch: Sequence[torch.Tensor]) -> StepOutput:
    x, y = batch
    logits = model(x)
    return StepOutput(F.cross_entropy(logits, y), len(y), {"accuracy": (int((logits.argmax(1) == y).sum()), len(y))})


def _stage(key: str, title: str, shape: list[int | None], sample: list, sample_shape: list[int]) -> StageView:
    return StageView(key, title, f"What the {title.lower()} does.", f"Op({key})", [8, None], shape, sample,
                     sample_shape, None)


class FakeSeq2Seq(Lesson):
    slug = SLUG
    settings_type = FakeSettings
    content_file = Path(__file__).with_name("fake_seq2seq.toml")
    stage_spans: ClassVar[dict[str, tuple[str, str]]] = {"source": ("a", "a"), "encoder": ("b", "b"),
                                                         "decoder": ("c", "c")}

    def run(self, settings: FakeSettings, callbacks: Sequence[Callback] = (), data: object = None) -> LessonRun:
        torch.manual_seed(settings.seed)
        x, y = torch.randn(64, 4), torch.randint(0, 2, (64,))
        model = nn.Linear(4, 2)
        history = fit(model, _step, (x[:48], y[:48]), (x[48:], y[48:]), settings, callbacks, chance=0.5)
        stages = [_stage("source", "Source tokens", [8, 6], [2, 5, 7, 3, 0, 0], [6]),
                  _stage("encoder", "Encoder", [8, 6, 4], [0.1 * i - 1 for i in range(24)], [2, 3, 4]),
                  _stage("decoder", "Decoder", [8, 5, 9], [0.05 * i for i in range(9)], [9])]
        return LessonRun(self.slug, settings, stages, history, model, {"sequences": 64},
                         [("hello cat", "bonjour chat"), ("the black cat", "le chat noir")])

    def predict(self, run: LessonRun, text: str) -> Prediction:
        check_text(text)
        return seq2seq_prediction(text, attention=run.settings.attention)


def seq2seq_prediction(text: str, attention: bool = True) -> Prediction:
    """Every layer kind the seq2seq lesson produces, built by hand from ``text``."""
    words = tokenize(text)[:6]
    source = ["<sos>", *words, "<eos>"]
    marks = ["sos", *("word" if w in TARGET else "unk" for w in words), "eos"]
    output = [TARGET.get(w, "<unk>") for w in words] + ["<eos>"]
    n = len(source)
    steps = []
    for i, chosen in enumerate(output):
        weights = [1.0 if j == i + 1 else 0.0 for j in range(n)]
        steps.append({"step": i + 1, "input": "<sos>" if i == 0 else output[i - 1], "hidden": [0.3, -0.2, 0.5],
                      "top": [[chosen, 0.7], ["<unk>" if chosen != "<unk>" else "le", 0.2], ["chat", 0.1]],
                      "chosen": chosen, "attention": weights if attention else None})
    layers = [
        PredictionLayer("source", "Source text", "The sentence to translate.", "text", [1, len(text)], [text]),
        PredictionLayer("tokens", "Source tokens", "Ids with start and end markers.", "tokens", [1, n],
                        list(range(n)), source, marks=marks),
        PredictionLayer("encoder_states", "Encoder states", "One state per source token.", "matrix", [1, n, 3],
                        [[0.1 * j - 0.2 * i for j in range(3)] for i in range(n)], source, ["0", "1", "2"], marks),
        PredictionLayer("context", "Context vector", "The encoder's summary.", "vector", [1, 3], [0.4, -0.1, 0.2]),
        PredictionLayer("decoder", "Decoder", "One token at a time.", "decoder_steps", [1, len(output)], steps,
                        col_labels=source),
    ]
    if attention:
        layers.append(PredictionLayer("attention", "Attention", "Rows: output tokens; columns: source tokens.",
                                      "matrix", [1, len(output), n], [s["attention"] for s in steps], output,
                                      source))
    return Prediction(text, " ".join(output[:-1]), 0.7, layers)
