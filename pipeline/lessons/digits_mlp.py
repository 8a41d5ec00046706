"""Lesson: handwritten digits with a plain network (MLP) -- pixels -> one hidden layer -> linear -> softmax.

The same digits, split and seed as the CNN lesson, so the Compare page can put the two side by side: every hidden unit
has its own weight for every pixel, where a convolution reuses a few weights at every position.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import ClassVar, cast

from torch import nn

from pipeline.document.views import Prediction, VectorView
from pipeline.lessons.common import DIGITS, ImageClassificationLesson, ImageClassifier, image_answer, image_view
from pipeline.lessons.protocol import LessonRun
from pipeline.nn.cnn import DigitsMLP, MLPConfig
from pipeline.trace import traced_forward
from pipeline.training.loop import TrainConfig
from pipeline.training.settings import setting


@dataclass(frozen=True)
class DigitsMLPSettings(TrainConfig):
    """Training settings (as the CNN lesson's) plus the size of the hidden layer."""

    epochs: int = setting(5, 1, 50, "Epochs", "Full passes over the training images.")
    samples: int = setting(DIGITS, 100, DIGITS, "Images",
                           f"How many of the {DIGITS:,} handwritten digits to use (80% train).")
    lr: float = setting(0.01, 0.0001, 1.0, "Learning rate",
                        "Adam step size. Try 0.5 or 1 to see what too high a rate does.")
    hidden: int = setting(128, 1, 1024, "Hidden units", "Units of the hidden layer, each with a weight per pixel.")


class At(StrEnum):
    """The calls of the traced pipeline this lesson reads, named once."""

    PIXELS = "pixels"
    FLATTEN = "model.flatten"
    RELU = "model.relu"
    CLASSIFIER = "model.classifier"
    SOFTMAX = "model.softmax"


class DigitsMLPLesson(ImageClassificationLesson[DigitsMLPSettings]):
    slug = "digits-mlp"
    settings_type = DigitsMLPSettings
    content_file = Path(__file__).with_name("digits_mlp.toml")
    stages: ClassVar[dict[str, tuple[str, str]]] = {
        "pixels": (At.PIXELS, At.PIXELS),
        "hidden": (At.FLATTEN, At.RELU),
        "dense": (At.CLASSIFIER, At.CLASSIFIER),
        "probabilities": (At.SOFTMAX, At.SOFTMAX),
    }

    def make_model(self, settings: DigitsMLPSettings, num_classes: int) -> nn.Module:
        return DigitsMLP(MLPConfig(num_classes, settings.hidden))

    def predict(self, run: LessonRun[DigitsMLPSettings], text: str) -> Prediction:
        self.check_input(text)
        pipeline = cast(ImageClassifier, run.model)
        _, t = traced_forward(pipeline, [text])
        pixels, hidden = self.content.stage("pixels"), self.content.stage("hidden")
        values = t[At.RELU].tensor.tolist()
        active = sum(v > 0 for v in values)
        strongest = max(values, default=0.0)
        layers = (
            image_view("pixels", pixels.title, pixels.description, t[At.PIXELS]),
            VectorView(key="hidden", title=hidden.title, description=hidden.description,
                       shape=tuple(t[At.RELU].output_shape), dims=("image", "hidden unit"), stage="hidden",
                       values=tuple(values),
                       origin=f"the hidden layer's {len(values)} units after ReLU: {active} of them answer (above "
                              f"zero), the strongest with {strongest:+.2f}"),  # as render.numbers.signed writes it
        )
        return image_answer(self, run, text, t, layers, At.CLASSIFIER, At.SOFTMAX)
