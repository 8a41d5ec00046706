"""Lesson: sequence classification -- text -> tokens -> padded ids -> embedding -> LSTM -> linear + softmax."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import ClassVar, cast

import torch
import torch.nn.functional as F
from torch import nn

from pipeline.data import TextDataset
from pipeline.data.counts import text_counts
from pipeline.data.tokens import MAX_LEN, PAD_ID, UNK_ID
from pipeline.document.views import (
    LSTMGatesView,
    Mark,
    MatrixView,
    Prediction,
    ProbabilitiesView,
    TextView,
    VectorView,
    View,
    matrix,
    token_marks,
)
from pipeline.lessons.common import (
    GATES_TEXT,
    TextClassificationLesson,
    TextClassifier,
    TextSettings,
    dropped_tokens_note,
    embedding_of,
    gates_view,
    read,
    sentiment_counts,
    token_view,
    unknown_words_note,
    with_space,
)
from pipeline.lessons.protocol import LessonRun
from pipeline.nn.models import ClassifierConfig, SequenceClassifier
from pipeline.trace import traced_forward
from pipeline.training.cost import Workload, count_params
from pipeline.training.loop import StepOutput
from pipeline.training.settings import setting


@dataclass(frozen=True)
class ClassificationSettings(TextSettings):
    """Training settings plus the data size and model widths of this lesson."""

    samples: int = setting(1000, 100, 20_000, "Sentences", "How many sentences to generate (80% train).")
    embed_dim: int = setting(50, 4, 256, "Embedding size", "Numbers per word vector.")
    hidden_dim: int = setting(64, 4, 256, "LSTM hidden size", "Numbers in the LSTM's memory.")


class At(StrEnum):
    """The calls of the traced pipeline this lesson reads, named once."""

    NORMALIZE = "text.normalize"
    TOKENIZE = "text.tokenize"
    ENCODE = "text.encode_pad"
    EMBED = "model.embedding"
    ENCODER = "model.encoder"
    LSTM = "model.encoder.lstm"
    CLASSIFIER = "model.classifier"
    SOFTMAX = "model.softmax"


def classification_step(model: nn.Module, batch: Sequence[torch.Tensor]) -> StepOutput:
    """Cross-entropy on one batch of (ids, labels), with the number classified correctly."""
    ids, labels = batch
    logits = model(ids)  # (B, C)
    correct = int((logits.argmax(dim=1) == labels).sum())
    return StepOutput(F.cross_entropy(logits, labels), len(labels), {"accuracy": (correct, len(labels))})


class SequenceClassification(TextClassificationLesson[ClassificationSettings]):
    slug = "sequence-classification"
    settings_type = ClassificationSettings
    content_file = Path(__file__).with_name("sequence_classification.toml")
    stages: ClassVar[dict[str, tuple[str, str]]] = {
        "raw_text": (At.NORMALIZE, At.NORMALIZE),
        "tokenize_pad": (At.TOKENIZE, At.ENCODE),
        "embedding": (At.EMBED, At.EMBED),
        "lstm": (At.ENCODER, At.ENCODER),
        "classifier": (At.CLASSIFIER, At.SOFTMAX),
    }

    step = staticmethod(classification_step)
    timelapse = ("lstm_gates",)
    cost_time = (0.10475, 0.001554, 0.014515, 0.018608, 0.053964)
    cost_memory = (40.2343, 5.4435, 0.7204)
    calibration_widths: ClassVar[dict[str, dict[str, int]]] = {"wide": {"embed_dim": 256, "hidden_dim": 256},
                                                               "narrow": {"embed_dim": 8, "hidden_dim": 8}}

    def workload(self, settings: ClassificationSettings, data: TextDataset | None = None) -> Workload:
        n, train, vocab, classes = sentiment_counts(settings.samples, settings.seed) if data is None else \
            text_counts(data, settings.seed)
        e, h, t = settings.embed_dim, settings.hidden_dim, MAX_LEN
        params = count_params(SequenceClassifier, ClassifierConfig(vocab, classes, e, h))
        return Workload(n, train, vocab, params, t * 4 * h * (e + h) + h * classes, t * (e + 5 * h),
                        settings.epochs * -(-train // settings.batch_size), settings.epochs)

    def make_model(self, settings: ClassificationSettings, vocab_size: int, num_classes: int) -> nn.Module:
        return SequenceClassifier(ClassifierConfig(vocab_size, num_classes, settings.embed_dim, settings.hidden_dim))

    def inside(self, run: LessonRun[ClassificationSettings], text: str) -> dict[str, View]:
        """The LSTM's gates for ``text`` without tracing it (after every epoch, for each probe): the same view."""
        pipeline = cast(TextClassifier, run.model)
        ids, rows, marks = read(pipeline.text, text)
        embedded = embedding_of(pipeline.model)(ids.to(next(pipeline.model.parameters()).device))[0]  # (T, E)
        return {"lstm_gates": self._gates(pipeline, embedded, rows, marks)}

    def _gates(self, pipeline: TextClassifier, embedded: torch.Tensor, rows: tuple[str, ...],
               marks: tuple[Mark, ...]) -> LSTMGatesView:
        """The LSTM word by word over the real words, from what it read (``embedded``, (T, E))."""
        last = max(sum(m is not Mark.PAD for m in marks) - 1, 0)
        encoder_lstm = cast(nn.LSTM, cast(nn.Module, pipeline.model.encoder).lstm)
        return gates_view("lstm_gates", "LSTM, word by word: gates and memory",
                          f"{' '.join(self.content.stage('lstm').description.split())} {GATES_TEXT}",
                          encoder_lstm, embedded, rows[: last + 1], marks, stage="lstm")

    def predict(self, run: LessonRun[ClassificationSettings], text: str) -> Prediction:
        self.check_input(text)
        pipeline = cast(TextClassifier, run.model)
        _, t = traced_forward(pipeline, [text])
        stage, max_len = self.content.stage, run.info["max_len"]
        tokens, ids = t[At.TOKENIZE].words, t[At.ENCODE].tensor.tolist()
        marks = token_marks(ids, PAD_ID, UNK_ID)
        notes = unknown_words_note(tokens, marks, "None of the words are known, so the model has only their count "
                                   "and position to go on.", run.info)
        notes += dropped_tokens_note(tokens, t[At.TOKENIZE].output_shape[1] or 0, max_len)
        tokens_layer = token_view("tokenize_pad", stage("tokenize_pad").title, stage("tokenize_pad").description,
                                  tokens, ids, t[At.ENCODE].output_shape, notes)
        rows = tokens_layer.tokens
        last = max(sum(m is not Mark.PAD for m in marks) - 1, 0)
        probs = t[At.SOFTMAX].tensor.tolist()
        layers = (
            TextView(key="raw_text", title=stage("raw_text").title, description=stage("raw_text").description,
                     shape=tuple(t[At.NORMALIZE].input_shape), dims=("sentence", "character"), stage="raw_text",
                     text=text),
            tokens_layer,
            MatrixView(key="embedding", title=stage("embedding").title, description=stage("embedding").description,
                       shape=tuple(t[At.EMBED].output_shape), dims=("sentence", "position", "embedding feature"),
                       stage="embedding", values=matrix(t[At.EMBED].tensor.tolist()), rows=rows, row_marks=marks,
                       col_title="embedding feature"),
            self._gates(pipeline, t[At.EMBED].tensor, rows, marks),
            VectorView(key="lstm", title="Sentence vector: the LSTM's last memory",
                       description=f"The LSTM's memory after the last real word, position {last + 1} (“{rows[last]}”): "
                                   "the h row for that word on the stage before. The padding after it never reaches "
                                   "the classifier.", shape=tuple(t[At.ENCODER].output_shape),
                       dims=("sentence", "hidden unit"), stage="lstm", values=tuple(t[At.ENCODER].tensor.tolist()),
                       origin=f"the LSTM's memory after “{rows[last]}”, its last real word"),
            ProbabilitiesView(key="classifier", title=f"{stage('classifier').title}: the answer",
                              description=stage("classifier").description, shape=tuple(t[At.SOFTMAX].output_shape),
                              dims=("sentence", "class"), stage="classifier", values=tuple(probs),
                              labels=tuple(pipeline.classes)),
        )
        best = layers[-1].best
        return Prediction(text=text, output=pipeline.classes[best], confidence=probs[best],
                          layers=with_space(layers, run, rows),
                          notes=tuple(notes), expected=dict(run.examples).get(text))
