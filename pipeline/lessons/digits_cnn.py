"""Lesson: handwritten digits with a CNN -- pixels -> (convolution -> ReLU -> max-pool) twice -> linear -> softmax.

The 1,797 8 x 8 digits that ship inside scikit-learn, or a learner's own PNG images; a learner's drawing is turned into
an 8 x 8 image the way the training images were made (``pipeline.data.pixels``) and followed through every layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import ClassVar, cast

from torch import nn

from pipeline.document.views import FeatureMapsView, Prediction
from pipeline.lessons.common import (
    DIGITS,
    ImageClassificationLesson,
    ImageClassifier,
    feature_maps,
    image_answer,
    image_view,
)
from pipeline.lessons.protocol import LessonRun
from pipeline.nn.cnn import CNNConfig, DigitsCNN
from pipeline.trace import traced_forward
from pipeline.training.loop import TrainConfig
from pipeline.training.settings import setting


@dataclass(frozen=True)
class DigitsCNNSettings(TrainConfig):
    """Training settings (tuned for this model) plus the two convolutions' numbers of filters."""

    epochs: int = setting(5, 1, 50, "Epochs", "Full passes over the training images.")
    samples: int = setting(DIGITS, 100, DIGITS, "Images",
                           f"How many of the {DIGITS:,} handwritten digits to use (80% train).")
    lr: float = setting(0.01, 0.0001, 1.0, "Learning rate",
                        "Adam step size. Try 0.5 or 1 to see what too high a rate does.")
    filters1: int = setting(16, 1, 64, "Filters, first convolution",
                            "3x3 filters the first convolution learns: one feature map each.")
    filters2: int = setting(32, 1, 64, "Filters, second convolution",
                            "3x3x(first filters) filters the second convolution learns: one feature map each.")


class At(StrEnum):
    """The calls of the traced pipeline this lesson reads, named once."""

    PIXELS = "pixels"
    CONV1 = "model.conv1"
    RELU1 = "model.relu1"
    POOL1 = "model.pool1"
    CONV2 = "model.conv2"
    RELU2 = "model.relu2"
    POOL2 = "model.pool2"
    FLATTEN = "model.flatten"
    CLASSIFIER = "model.classifier"
    SOFTMAX = "model.softmax"


class DigitsCNNLesson(ImageClassificationLesson[DigitsCNNSettings]):
    slug = "digits-cnn"
    settings_type = DigitsCNNSettings
    content_file = Path(__file__).with_name("digits_cnn.toml")
    stages: ClassVar[dict[str, tuple[str, str]]] = {
        "pixels": (At.PIXELS, At.PIXELS),
        "conv1": (At.CONV1, At.RELU1),
        "pool1": (At.POOL1, At.POOL1),
        "conv2": (At.CONV2, At.RELU2),
        "pool2": (At.POOL2, At.POOL2),
        "dense": (At.FLATTEN, At.CLASSIFIER),
        "probabilities": (At.SOFTMAX, At.SOFTMAX),
    }

    def make_model(self, settings: DigitsCNNSettings, num_classes: int) -> nn.Module:
        return DigitsCNN(CNNConfig(num_classes, settings.filters1, settings.filters2))

    def predict(self, run: LessonRun[DigitsCNNSettings], text: str) -> Prediction:
        self.check_input(text)
        pipeline = cast(ImageClassifier, run.model)
        cnn = cast(DigitsCNN, pipeline.model)
        _, t = traced_forward(pipeline, [text])
        stage = self.content.stage

        def maps(key: str, at: At, conv: nn.Conv2d | None = None, inputs: At | None = None) -> FeatureMapsView:
            s = stage(key)
            return feature_maps(key, s.title, s.description, t[at], conv=conv, conv_input=t[inputs] if inputs else None)

        pixels = stage("pixels")
        layers = (
            image_view("pixels", pixels.title, pixels.description, t[At.PIXELS]),
            maps("conv1", At.CONV1, cnn.conv1, At.PIXELS),
            maps("pool1", At.POOL1),
            maps("conv2", At.CONV2, cnn.conv2, At.POOL1),
            maps("pool2", At.POOL2),
        )
        return image_answer(self, run, text, t, layers, At.CLASSIFIER, At.SOFTMAX)
