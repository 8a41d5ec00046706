"""Lesson: sequence classification -- text -> tokens -> padded ids -> embedding -> LSTM -> linear + softmax."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from pipeline.data import TextDataset, load_csv
from pipeline.data.sentiment import generate
from pipeline.lessons.base import (
    PREDICTION_SAMPLE,
    Lesson,
    LessonRun,
    Prediction,
    PredictionLayer,
    matrix_layer,
    stage_views,
    token_marks,
    traced_forward,
    unknown_words_note,
)
from pipeline.models import ClassifierConfig, SequenceClassifier
from pipeline.settings import setting
from pipeline.text import MAX_LEN, TextPipeline, Vocabulary, tokenize
from pipeline.train import Callback, StepOutput, TrainConfig, fit, seeded


@dataclass(frozen=True)
class ClassificationSettings(TrainConfig):
    """Training settings plus the data size and model widths of this lesson."""

    samples: int = setting(1000, 100, 20_000, "Sentences", "How many sentences to generate (80% train).")
    embed_dim: int = setting(50, 4, 256, "Embedding size", "Numbers per word vector.")
    hidden_dim: int = setting(64, 4, 256, "LSTM hidden size", "Numbers in the LSTM's memory.")


class TextClassifier(nn.Module):
    """Raw texts -> class probabilities: the text pipeline, then the classifier.

    Shape:
        - Input: a list of B strings
        - Output: (B, C) probabilities
    """

    def __init__(self, text: TextPipeline, model: SequenceClassifier, classes: list[str]) -> None:
        super().__init__()
        self.text, self.model, self.classes = text, model, classes

    def forward(self, texts: list[str]) -> torch.Tensor:
        return self.model.predict_proba(self.text(texts))  # (B, C)


def classification_step(model: nn.Module, batch: Sequence[torch.Tensor]) -> StepOutput:
    """Cross-entropy on one batch of (ids, labels), with the number classified correctly."""
    ids, labels = batch
    logits = model(ids)  # (B, C)
    correct = int((logits.argmax(dim=1) == labels).sum())
    return StepOutput(F.cross_entropy(logits, labels), len(labels), {"accuracy": (correct, len(labels))})


class SequenceClassification(Lesson):
    slug = "sequence-classification"
    settings_type = ClassificationSettings
    content_file = Path(__file__).with_name("sequence_classification.toml")
    data_format = "CSV with columns text,label (UTF-8, at most 5 MB)"
    stage_spans: ClassVar[dict[str, tuple[str, str]]] = {
        "raw_text": ("text.normalize", "text.normalize"),
        "tokenize_pad": ("text.tokenize", "text.encode_pad"),
        "embedding": ("model.embedding", "model.embedding"),
        "lstm": ("model.encoder", "model.encoder"),
        "classifier": ("model.classifier", "model.softmax"),
    }

    def run(self, settings: ClassificationSettings, callbacks: Sequence[Callback] = (),
            data: TextDataset | None = None) -> LessonRun:
        data = data or generate(settings.samples, settings.seed)
        train, val = data.split(0.2, settings.seed)
        text = TextPipeline(Vocabulary.build(tokenize(t) for t in train.texts), MAX_LEN)
        cfg = ClassifierConfig(len(text.vocab), len(data.classes), settings.embed_dim, settings.hidden_dim)
        with seeded(settings.seed):
            pipeline = TextClassifier(text, SequenceClassifier(cfg), data.classes)
        tensors = [(text(d.texts), torch.tensor(d.labels)) for d in (train, val)]
        history = fit(pipeline.model, classification_step, *tensors, settings, callbacks, chance=1 / len(data.classes))
        _, records = traced_forward(pipeline, data.texts)  # the whole dataset, one pass, after training
        info = {"sequences": len(data), "train_size": len(train), "val_size": len(val),
                "vocab_size": len(text.vocab), "classes": data.classes, "max_len": MAX_LEN}
        examples = [(t, data.classes[y]) for t, y in zip(val.texts, val.labels, strict=True)]
        return LessonRun(self.slug, settings, stage_views(records, self.stage_spans, self.content), history,
                         pipeline, info, examples)

    def load_data(self, raw: bytes, name: str) -> TextDataset:
        return load_csv(raw, name)

    def predict(self, run: LessonRun, text: str) -> Prediction:
        self.check_input(text)
        pipeline: TextClassifier = run.model
        output, records = traced_forward(pipeline, [text], sample_size=PREDICTION_SAMPLE)
        probs = output[0].tolist()
        rec = {r.name: r for r in records}
        tokens, n_tokens = rec["text.tokenize"].sample, rec["text.tokenize"].output_shape[1] or 0
        ids = rec["text.encode_pad"].sample
        labels, marks = token_marks(tokens, ids)
        last = max(sum(m != "pad" for m in marks) - 1, 0)
        best = max(range(len(probs)), key=probs.__getitem__)
        stage = self.content.stage
        layers = [
            PredictionLayer("raw_text", stage("raw_text").title, stage("raw_text").description, "text",
                            rec["text.normalize"].input_shape, [text]),
            PredictionLayer("tokenize_pad", stage("tokenize_pad").title, stage("tokenize_pad").description,
                            "tokens", rec["text.encode_pad"].output_shape, ids, labels, marks=marks,
                            notes=_token_notes(tokens, n_tokens, marks, run.info["max_len"])),
            matrix_layer("embedding", stage("embedding").title, stage("embedding").description, rec["model.embedding"],
                    labels, marks),
            matrix_layer("lstm_states", "LSTM hidden state at every timestep",
                    "The LSTM's 64 numbers after reading each position. Rows after the last real word are "
                    "padding; the model ignores them.", rec["model.encoder.lstm"], labels, marks),
            PredictionLayer("lstm", stage("lstm").title,
                            f"{stage('lstm').description} It is the row for position {last + 1} "
                            f"(“{labels[last]}”) above.", "vector", rec["model.encoder"].output_shape,
                            rec["model.encoder"].sample),
            PredictionLayer("classifier", stage("classifier").title, stage("classifier").description,
                            "probabilities", rec["model.softmax"].output_shape, probs, list(pipeline.classes)),
        ]
        notes = layers[1].notes
        return Prediction(text, pipeline.classes[best], probs[best], layers, notes)


def _token_notes(tokens: list[str], n_tokens: int, marks: list[str], max_len: int) -> list[str]:
    notes = unknown_words_note(tokens, marks, "None of the words are known, so the model has only their "
                                              "count and position to go on.")
    if n_tokens > max_len:
        notes.append(f"The text has {n_tokens:,} tokens; only the first {max_len} are used.")
    return notes
