"""Lesson: sentiment with a Transformer -- text -> ids -> token + position -> encoder block(s) -> mean -> softmax.

The same sentences, split and seed as the LSTM lesson, so the two can be compared. The whole
pipeline is traced with ``ops=True``: every matmul, the scaling, the mask, the softmax and the
residual additions inside the blocks are records of their own, attention weights included.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, cast

import torch
from torch import nn

from pipeline.data import TextDataset
from pipeline.data.counts import text_counts
from pipeline.data.tokens import MAX_LEN, PAD_ID, UNK_ID
from pipeline.document.views import (
    AttentionView,
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
from pipeline.lessons.attention_block import opened_block
from pipeline.lessons.common import (
    TextClassificationLesson,
    TextClassifier,
    TextSettings,
    dropped_tokens_note,
    read,
    sentiment_counts,
    token_view,
    unknown_words_note,
    with_space,
)
from pipeline.lessons.protocol import LessonRun
from pipeline.nn.transformer import TRAINING, TransformerClassifier, TransformerConfig
from pipeline.nn.transformer import step as transformer_step
from pipeline.trace import Trace, traced_forward
from pipeline.training.cost import Workload, count_params
from pipeline.training.loop import TrainConfig
from pipeline.training.settings import setting

_MODEL = TransformerConfig(vocab_size=1)  # the model's tuned defaults, read once


def _train_default(name: str, value: Any) -> Any:
    """TrainConfig's setting ``name`` (bounds, label, help) with this lesson's default."""
    return dataclasses.field(default=value, metadata=TrainConfig.__dataclass_fields__[name].metadata)


@dataclass(frozen=True)
class TransformerSettings(TextSettings):
    """Training settings (tuned for this model) plus the data size and the Transformer's sizes."""

    epochs: int = _train_default("epochs", TRAINING.epochs)
    lr: float = _train_default("lr", TRAINING.lr)
    batch_size: int = _train_default("batch_size", TRAINING.batch_size)
    samples: int = setting(1000, 100, 20_000, "Sentences", "How many sentences to generate (80% train).")
    d_model: int = setting(_MODEL.d_model, 8, 256, "Model width",
                           "Numbers per word vector, kept the same through every block.")
    n_heads: int = setting(_MODEL.n_heads, 1, 8, "Attention heads",
                           "Heads share the width: each gets width / heads numbers, so it must divide the width.")
    n_layers: int = setting(_MODEL.n_layers, 1, 2, "Encoder blocks", "Attention + feed-forward blocks, one or two.")
    d_ff: int = setting(_MODEL.d_ff, 8, 512, "Feed-forward size", "Hidden numbers of each block's feed-forward net.")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.d_model % self.n_heads:
            raise ValueError(f"Model width (d_model) must be divisible by Attention heads (n_heads): "
                             f"{self.d_model} is not divisible by {self.n_heads}")


class At(StrEnum):
    """The calls of the traced pipeline this lesson reads, named once (``block(i, In.X)`` inside block i)."""

    NORMALIZE = "text.normalize"
    TOKENIZE = "text.tokenize"
    ENCODE = "text.encode_pad"
    EMBED = "model.embed"
    BLOCKS = "model.blocks"
    LN_F = "model.ln_f"
    POOL = "model.pool"
    CLASSIFIER = "model.classifier"
    SOFTMAX = "model.softmax"


class In(StrEnum):
    """Calls inside an encoder block, relative to the block."""

    OUTPUT = ""
    WEIGHTS = "attn.softmax()"  # (B, h, T, T): every head's attention weights


def block(i: int, part: str = In.OUTPUT) -> str:
    """The trace name of ``part`` of encoder block ``i`` (0-based)."""
    return f"{At.BLOCKS}.{i}" + (f".{part}" if part else "")


class TransformerClassification(TextClassificationLesson[TransformerSettings]):
    slug = "transformer-classification"
    settings_type = TransformerSettings
    content_file = Path(__file__).with_name("transformer_classification.toml")
    trace_ops = True
    step = staticmethod(transformer_step)
    timelapse = ("attention_1", "attention_2")

    cost_time = (0.168161, 0.00263, 0.012326, 0.04849, 0.161042)
    cost_memory = (43.5408, 11.2738, 0.2894)
    calibration_widths: ClassVar[dict[str, dict[str, Any]]] = {
        "wide": {"d_model": 256, "d_ff": 512, "n_layers": 2}, "narrow": {"d_model": 16, "d_ff": 16, "n_heads": 2}}

    def workload(self, settings: TransformerSettings, data: TextDataset | None = None) -> Workload:
        n, train, vocab, classes = sentiment_counts(settings.samples, settings.seed) if data is None else \
            text_counts(data, settings.seed)
        d, ff, layers, heads, t = settings.d_model, settings.d_ff, settings.n_layers, settings.n_heads, MAX_LEN
        params = count_params(TransformerClassifier, TransformerConfig(vocab, classes, MAX_LEN, d, heads, layers, ff))
        madds = layers * (t * (4 * d * d + 2 * d * ff) + 2 * t * t * d) + d * classes
        # every op's output of the whole dataset's traced pass stays alive until the pass ends (ops=True)
        return Workload(n, train, vocab, params, madds, layers * t * (12 * d + 2 * ff + 3 * heads * t) + 2 * t * d,
                        settings.epochs * -(-train // settings.batch_size), settings.epochs)

    stages: ClassVar[dict[str, tuple[str, str]]] = {
        "raw_text": (At.NORMALIZE, At.NORMALIZE),
        "tokenize_pad": (At.TOKENIZE, At.ENCODE),
        "embedding": (At.EMBED, At.EMBED),
        "encoder": (block(0), At.LN_F),  # every block, then the final LayerNorm (1 or 2 blocks)
        "pooling": (At.POOL, At.POOL),
        "classifier": (At.CLASSIFIER, At.SOFTMAX),
    }

    def make_model(self, settings: TransformerSettings, vocab_size: int, num_classes: int) -> nn.Module:
        return TransformerClassifier(TransformerConfig(vocab_size, num_classes, MAX_LEN, settings.d_model,
                                                       settings.n_heads, settings.n_layers, settings.d_ff))

    def inside(self, run: LessonRun[TransformerSettings], text: str) -> dict[str, View]:
        """Every block's attention for ``text`` from a plain forward (after every epoch, for each probe): the views
        ``predict`` reads from its trace, without tracing every operation."""
        pipeline = cast(TextClassifier, run.model)
        ids, rows, marks = read(pipeline.text, text)
        model = cast(TransformerClassifier, pipeline.model)
        maps = model.attention_maps(ids.to(model.classifier.weight.device))  # n_layers x (h, T, T)
        n = len(maps)
        return {f"attention_{i + 1}": attention_view(w.tolist(), i, n, rows, marks, (1, *w.shape))
                for i, w in enumerate(maps)}

    def predict(self, run: LessonRun[TransformerSettings], text: str) -> Prediction:
        self.check_input(text)
        pipeline = cast(TextClassifier, run.model)
        _, t = traced_forward(pipeline, [text], ops=True)
        stage, cfg = self.content.stage, cast(TransformerConfig, pipeline.model.cfg)
        tokens, ids = t[At.TOKENIZE].words, t[At.ENCODE].tensor.tolist()
        marks = token_marks(ids, PAD_ID, UNK_ID)
        notes = unknown_words_note(tokens, marks, "None of the words are known: every word is the same <unk> "
                                   "vector, so only the positions tell them apart.", run.info)
        notes += dropped_tokens_note(tokens, t[At.TOKENIZE].output_shape[1] or 0, run.info["max_len"])
        tokens_layer = token_view("tokenize_pad", stage("tokenize_pad").title, stage("tokenize_pad").description,
                                  tokens, ids, t[At.ENCODE].output_shape, notes)
        rows = tokens_layer.tokens
        embedding = MatrixView(key="embedding", title=stage("embedding").title,
                               description=stage("embedding").description, shape=tuple(t[At.EMBED].output_shape),
                               dims=("sentence", "position", "feature"), stage="embedding",
                               values=matrix(t[At.EMBED].tensor.tolist()), rows=rows, row_marks=marks,
                               col_title="feature")
        layers: list[View] = [
            TextView(key="raw_text", title=stage("raw_text").title, description=stage("raw_text").description,
                     shape=tuple(t[At.NORMALIZE].input_shape), dims=("sentence", "character"), stage="raw_text",
                     text=text),
            tokens_layer,
            embedding,
        ]
        before = embedding
        for i in range(cfg.n_layers):
            after = _block_view(t, i, cfg.n_layers, rows, marks, before)
            given = "the embedding" if i == 0 else f"the output of block {i}"
            ahead, behind = opened_block(t, block(i), str(i + 1), _block_name(i, cfg.n_layers), rows, marks,
                                         f"each word's vector as it came in ({given})")
            layers += [*ahead, _attention_view(t, i, cfg.n_layers, rows, marks), *behind, after]
            before = after
        probs = t[At.SOFTMAX].tensor.tolist()
        n_real = sum(m is not Mark.PAD for m in marks)
        layers += [
            VectorView(key="pooling", title=f"{stage('pooling').title}: the sentence vector",
                       description=stage("pooling").description, shape=tuple(t[At.POOL].output_shape),
                       dims=("sentence", "feature"), stage="pooling", values=tuple(t[At.POOL].tensor.tolist()),
                       origin=f"the mean of its {n_real} words' vectors, “{rows[0]}” to "
                              f"“{rows[max(n_real - 1, 0)]}” (padding left out)"),
            ProbabilitiesView(key="classifier", title=f"{stage('classifier').title}: the answer",
                              description=stage("classifier").description, shape=tuple(t[At.SOFTMAX].output_shape),
                              dims=("sentence", "class"), stage="classifier", values=tuple(probs),
                              labels=tuple(pipeline.classes)),
        ]
        best = cast(ProbabilitiesView, layers[-1]).best
        return Prediction(text=text, output=pipeline.classes[best], confidence=probs[best],
                          layers=with_space(layers, run, rows),
                          notes=tuple(notes), expected=dict(run.examples).get(text))


def _block_name(i: int, n_layers: int) -> str:
    return f"block {i + 1} of {n_layers}" if n_layers > 1 else "the encoder block"


def _attention_view(t: Trace, i: int, n_layers: int, rows: tuple[str, ...], marks: tuple[Mark, ...]) -> AttentionView:
    """Every head's (T x T) weights in block ``i``, as the softmax produced them, with padding marked."""
    record = t[block(i, In.WEIGHTS)]
    return attention_view(record.tensor.tolist(), i, n_layers, rows, marks, tuple(record.output_shape))


def attention_view(weights: list, i: int, n_layers: int, rows: tuple[str, ...], marks: tuple[Mark, ...],
                   shape: tuple[int | None, ...]) -> AttentionView:
    """Block ``i``'s attention view from its weights, (h, T, T) nested lists, with padding marked."""
    real = [j for j, m in enumerate(marks) if m is not Mark.PAD]
    heads = []
    for h, grid in enumerate(weights):
        received = [sum(grid[q][k] for q in real) for k in range(len(marks))]  # attention each word gets
        top = max(real, key=received.__getitem__) if real else 0
        heads.append(f"head {h + 1}: most to “{rows[top]}”")
    return AttentionView(
        key=f"attention_{i + 1}",
        title=f"Softmax in {_block_name(i, n_layers)}: attention weights, {len(weights)} heads",
        description="One grid per head. Row: the word that looks; column: the word it looks at. Each row sums "
                    "to 1. Padded positions are masked before the softmax, so no word looks at them (their columns "
                    "are exactly 0); the rows for <pad> are computed too, but nothing ever reads them. Both are "
                    "left out of the picture.",
        shape=shape, dims=("sentence", "head", "word", "word"),
        stage="encoder", weights=tuple(matrix(grid) for grid in weights), rows=rows, cols=rows,
        row_marks=marks, col_marks=marks, heads=tuple(heads))


def _block_view(t: Trace, i: int, n_layers: int, rows: tuple[str, ...], marks: tuple[Mark, ...],
                before: MatrixView) -> MatrixView:
    """The vectors block ``i`` hands on: each word after attention and the feed-forward net, both added back; with
    how far each word's vector moved from ``before`` (what the block was given)."""
    record = t[block(i)]
    values = record.tensor
    change = (values - torch.tensor(before.values, dtype=values.dtype)).norm(dim=-1)  # (T,)
    return MatrixView(
        key=f"block_{i + 1}", title=f"Output of {_block_name(i, n_layers)}",
        description="Each word's vector after the block: its own vector plus what attention mixed in from the "
                    "other words, plus the feed-forward net's change. Same shape as the embedding.",
        shape=tuple(record.output_shape), dims=("sentence", "position", "feature"), stage="encoder",
        values=matrix(values.tolist()), rows=rows, row_marks=marks, col_title="feature",
        row_change=tuple(change.tolist()),
        change_from="the embedding" if i == 0 else f"the output of block {i}")
