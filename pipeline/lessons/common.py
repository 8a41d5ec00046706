"""Helpers the lessons share: token views and notes for the text lessons, and what the sentence classifiers and the
digit classifiers each have in common (their data, split, probes, and answers as class probabilities)."""

from __future__ import annotations

import dataclasses
from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, TypeVar, cast

import torch
import torch.nn.functional as F
from torch import nn

from pipeline.data import TextDataset, load_csv
from pipeline.data.counts import text_counts
from pipeline.data.images import MAX_IMAGE_BYTES, ImageDataset, digits, image_code, load_image_data, load_images
from pipeline.data.pixels import check_code
from pipeline.data.sentiment import PROBES, generate
from pipeline.data.tokens import MAX_LEN, MAX_VOCAB, PAD, PAD_ID, UNK_ID, Vocabulary, tokenize
from pipeline.document import pictures
from pipeline.document.timelapse import space_views
from pipeline.document.views import (
    FeatureMapsView,
    ImageView,
    LSTMGatesView,
    Mark,
    Prediction,
    ProbabilitiesView,
    TokensView,
    VectorView,
    View,
    matrix,
    token_marks,
)
from pipeline.lessons.protocol import InputKind, Lesson, Prepared
from pipeline.nn.cnn import Pixels
from pipeline.nn.gates import forget_step, gates_reading, lstm_gates
from pipeline.nn.text import TextPipeline
from pipeline.trace import Record, Trace
from pipeline.training.loop import StepOutput, TrainConfig, seeded
from pipeline.training.settings import setting


class TextClassifier(nn.Module):
    """Raw texts -> class probabilities: the text pipeline, then a classifier of padded ids (an LSTM's, a
    Transformer's: anything with a ``classifier`` layer and ``predict_proba``).

    Shape:
        - Input: a list of B strings
        - Output: (B, C) probabilities
    """

    def __init__(self, text: TextPipeline, model: nn.Module, classes: list[str]) -> None:
        super().__init__()
        self.text, self.model, self.classes = text, model, classes

    def forward(self, texts: list[str]) -> torch.Tensor:
        # an LSTM's or a Transformer's classifier: nn.Module attributes are untyped, so their types are named here
        classifier = cast(nn.Linear, self.model.classifier)
        proba = cast(Callable[[torch.Tensor], torch.Tensor], self.model.predict_proba)
        ids = self.text(texts).to(classifier.weight.device)  # (B, T)
        return proba(ids)  # (B, C)


@lru_cache(maxsize=32)
def sentiment_counts(samples: int, seed: int) -> tuple[int, int, int, int]:
    """The work budget's counts of the generated sentiment corpus (both classification lessons train on it)."""
    return text_counts(generate(samples, seed), seed)


def vocabulary_note(info: Mapping[str, Any]) -> list[str]:
    """When the training data had more distinct words than a lesson keeps: how many were left out."""
    left_out = info.get("words_left_out") or 0
    if not left_out:
        return []
    kept = info.get("vocab_size", info.get("source_vocab_size", 0)) - 2
    return [f"The training data had {kept + left_out:,} different words; the model keeps the {kept:,} most "
            f"frequent, and the other {left_out:,} read as <unk>."]


def token_view(key: str, title: str, description: str, tokens: Sequence[str], ids: Sequence[int],
               shape: Sequence[int | None], notes: Sequence[str] = ()) -> TokensView:
    """The padded ids of one input, with the token at each position (``<pad>`` for padding) and its mark; ``key``
    is also the lesson stage it belongs to."""
    marks = token_marks(ids, PAD_ID, UNK_ID)
    shown = tuple(PAD if m is Mark.PAD else (tokens[i] if i < len(tokens) else "") for i, m in enumerate(marks))
    return TokensView(key=key, title=title, description=description, shape=tuple(shape), dims=("sentence", "position"),
                      notes=tuple(notes), stage=key, ids=tuple(ids), tokens=shown, marks=marks)


def unknown_words_note(tokens: Sequence[str], marks: Sequence[Mark], if_none_known: str,
                       info: Mapping[str, Any] | None = None) -> list[str]:
    """A note listing the words read as <unk>, or nothing when every word is known; with the run's ``info``,
    also how many words of the training data the vocabulary left out, if any."""
    unknown = [t for t, m in zip(tokens, marks, strict=False) if m is Mark.UNK]
    if not unknown:
        return []
    listed = ", ".join(f"“{t}”" for t in dict.fromkeys(unknown))
    extra = f" {if_none_known}" if Mark.WORD not in marks else ""
    return [f"Not in the vocabulary, read as <unk>: {listed}.{extra}", *vocabulary_note(info or {})]


def dropped_tokens_note(tokens: Sequence[str], count: int, max_len: int) -> list[str]:
    """When an input has more tokens (``count``) than the model reads: how many, and which were dropped."""
    if count <= max_len:
        return []
    dropped = list(tokens[max_len : max_len + 20])
    shown = " ".join(dropped) + (" …" if count > max_len + len(dropped) else "")
    return [f"The model reads the first {max_len} tokens; the text has {count:,}, so the last {count - max_len:,} "
            f"were dropped and play no part in the answer: “{shown}”."]


def gates_view(key: str, title: str, description: str, lstm: nn.Module, inputs: torch.Tensor, tokens: Sequence[str],
               marks: Sequence[Mark], state: tuple[torch.Tensor, torch.Tensor] | None = None, stage: str = "",
               step_name: str = "word") -> LSTMGatesView:
    """The LSTM's gates and memory at every real token, recomputed from its trained weights.

    ``inputs`` (T, E) are what the LSTM read at each step (the trace's sample of its input); only the
    first ``len(tokens)`` steps -- the real tokens -- are shown. ``step_name`` names a step ("word", "step").
    """
    n = len(tokens)
    g = lstm_gates(cast(nn.LSTM, lstm), inputs.to(next(lstm.parameters()).device), state=state, length=n)
    return LSTMGatesView(key=key, title=title, description=description, shape=(n, g.h.size(-1)),
                         dims=(step_name, "hidden unit"), stage=stage, tokens=tuple(tokens), marks=tuple(marks[:n]),
                         i=matrix(g.i.tolist()), f=matrix(g.f.tolist()), g=matrix(g.g.tolist()),
                         o=matrix(g.o.tolist()), c=matrix(g.c.tolist()), h=matrix(g.h.tolist()),
                         reading=tuple(gates_reading(g, list(tokens))), forget_at=forget_step(g))


GATES_TEXT = ("Four gates decide, word by word, what the LSTM's memory (the cell state c) keeps and shows. The input "
              "gate i lets new information in, the forget gate f keeps (near 1) or clears (near 0) the memory, the "
              "candidate g is what is on offer, the output gate o decides how much of the memory becomes the hidden "
              "state h. c = f·c(before) + i·g and h = o·tanh(c). Every number is recomputed from the trained weights.")


def read(text: TextPipeline, raw: str) -> tuple[torch.Tensor, tuple[str, ...], tuple[Mark, ...]]:
    """One input as a model reads it, without a trace: its (1, T) ids, the token at each position (<pad> for
    padding) and what each position holds -- the rows and marks ``predict`` gets from its trace."""
    tokens = text.tokenize(text.normalize([raw]))[0]
    ids = text.encode_pad([tokens])  # (1, T)
    view = token_view("ids", "", "", tokens, ids[0].tolist(), tuple(ids.shape))
    return ids, view.tokens, view.marks


def embedding_of(model: nn.Module) -> nn.Embedding:
    """The word embedding of a classifier of padded ids: an LSTM's ``embedding``, a Transformer's ``embed.token``."""
    found = model.embedding if hasattr(model, "embedding") else cast(nn.Module, model.embed).token
    return cast(nn.Embedding, found)


def with_space(layers: Sequence[View], run: Any, tokens: Sequence[str]) -> tuple[View, ...]:
    """``layers`` with the words in space (after the last epoch, ``tokens`` marked) right after the embedding, when
    the run kept their places."""
    views = space_views(run.epochs, run.info, tokens)
    if not views:
        return tuple(layers)
    at = next((k + 1 for k, v in enumerate(layers) if v.key == "embedding"), len(layers))
    return (*layers[:at], views[-1], *layers[at:])


def class_answers(model: nn.Module, inputs: list[str]) -> list[dict[str, float]]:
    """A text classifier's answers (``model(texts)`` gives probabilities; ``model.classes`` names them)."""
    probs = model(inputs)  # (N, C)
    classes = cast(list[str], model.classes)
    return [dict(zip(classes, map(float, row), strict=True)) for row in probs.tolist()]


@dataclass(frozen=True)
class TextSettings(TrainConfig):
    """Training settings plus how many sentences to generate: what every sentence-classification lesson has."""

    samples: int = setting(1000, 100, 20_000, "Sentences", "How many sentences to generate (80% train).")


TextSettingsT = TypeVar("TextSettingsT", bound=TextSettings)


class TextClassificationLesson(Lesson[TextSettingsT]):
    """What the sentence-classification lessons share: the same CSV format, generated sentences, split and
    probes (so any two of them compare on equal terms), the data as padded ids, and answers as class
    probabilities. A lesson says how to build its model from the vocabulary and class counts."""

    data_format: ClassVar[str | None] = "CSV with columns text,label (UTF-8, at most 5 MB)"
    probes = PROBES

    @abstractmethod
    def make_model(self, settings: TextSettingsT, vocab_size: int, num_classes: int) -> nn.Module:
        """The classifier of padded ids (B, T) -> logits (B, C) these settings describe."""

    def prepare(self, settings: TextSettingsT, data: TextDataset | None = None, device: str = "cpu") -> Prepared:
        data = data if data is not None else generate(settings.samples, settings.seed)
        train, val = data.split(0.2, settings.seed)
        text = TextPipeline(Vocabulary.build((tokenize(t) for t in train.texts), max_size=MAX_VOCAB), MAX_LEN)
        with seeded(settings.seed):
            model = self.make_model(settings, len(text.vocab), len(data.classes))
            pipeline = TextClassifier(text, model, data.classes).to(device)
        train_t, val_t = [(text(d.texts).to(device), torch.tensor(d.labels, device=device)) for d in (train, val)]
        info = {"sequences": len(data), "train_size": len(train), "val_size": len(val),
                "vocab_size": len(text.vocab), "words_left_out": text.vocab.dropped, "classes": data.classes,
                "max_len": MAX_LEN}
        examples = [(s, data.classes[y]) for s, y in zip(val.texts, val.labels, strict=True)]
        return Prepared(pipeline, pipeline.model, train_t, val_t, data.texts, 1 / len(data.classes), info, examples)

    def load_data(self, raw: bytes, name: str) -> TextDataset:
        return load_csv(raw, name)

    def word_table(self, model: nn.Module) -> tuple[torch.Tensor, list[str]]:
        classifier = cast(TextClassifier, model)
        return embedding_of(classifier.model).weight, classifier.text.vocab.itos

    def answer(self, model: nn.Module, inputs: list[str]) -> list[dict[str, float]]:
        return class_answers(model, inputs)


# --- digits -------------------------------------------------------------------------------------------------

class ImageClassifier(nn.Module):
    """Image codes -> class probabilities: the pixels, then a classifier of grey images (a CNN's, an MLP's: anything
    with ``predict_proba``).

    Shape:
        - Input: a list of B image codes (``pipeline.data.pixels``)
        - Output: (B, K) probabilities
    """

    def __init__(self, model: nn.Module, classes: list[str]) -> None:
        super().__init__()
        self.pixels, self.model, self.classes = Pixels(), model, classes

    def forward(self, codes: list[str]) -> torch.Tensor:
        x = self.pixels(codes).to(next(self.model.parameters()).device)  # (B, 1, S, S)
        proba = cast(Callable[[torch.Tensor], torch.Tensor], self.model.predict_proba)
        return proba(x)  # (B, K)


def image_step(model: nn.Module, batch: Sequence[torch.Tensor]) -> StepOutput:
    """Cross-entropy on one batch of (images, labels), with the number classified correctly."""
    images, labels = batch
    logits = model(images)  # (B, K)
    correct = int((logits.argmax(dim=1) == labels).sum())
    return StepOutput(F.cross_entropy(logits, labels), len(labels), {"accuracy": (correct, len(labels))})


DIGITS = 1797  # images in scikit-learn's handwritten digits
# A few fixed digits of the data, followed epoch by epoch while a model learns: name -> index in ``digits()``.
DIGIT_PROBES = {"image 3: a 3": 3, "image 5: a 5": 5, "image 8: an 8": 8, "image 9: a 9": 9}


ImageSettingsT = TypeVar("ImageSettingsT", bound=TrainConfig)


class ImageClassificationLesson(Lesson[ImageSettingsT]):
    """What the digits lessons share: scikit-learn's handwritten digits or a learner's PNG images, the same seeded
    split (so any two of them compare on equal terms), images read as pixels, answers as class probabilities and
    the same probe digits. A lesson says how to build its model from the number of classes."""

    input_kind = InputKind.IMAGE
    data_format: ClassVar[str | None] = ("a zip of PNG images named by their label (3_anna.png is a 3), at most "
                                         "5 MB; on the command line a folder of them too")
    data_types: ClassVar[tuple[str, ...]] = ("zip",)
    probes = tuple(DIGIT_PROBES)
    step = staticmethod(image_step)

    @abstractmethod
    def make_model(self, settings: ImageSettingsT, num_classes: int) -> nn.Module:
        """The classifier of grey images (B, 1, S, S) -> logits (B, K) these settings describe."""

    def prepare(self, settings: ImageSettingsT, data: ImageDataset | None = None, device: str = "cpu") -> Prepared:
        if data is None:  # the first ``samples`` of the built-in digits (all ten digits take turns in its order)
            data = digits()
            data = data.subset(list(range(min(getattr(settings, "samples", len(data)), len(data)))))
        train, val = data.split(0.2, settings.seed)
        with seeded(settings.seed):
            pipeline = ImageClassifier(self.make_model(settings, len(data.classes)), data.classes).to(device)
        pixels = pipeline.pixels
        train_t, val_t = [(pixels(d.images).to(device), torch.tensor(d.labels, device=device)) for d in (train, val)]
        info = {"images": len(data), "train_size": len(train), "val_size": len(val), "classes": data.classes,
                "image_side": int(train_t[0].shape[-1])}
        examples = [(code, data.classes[y]) for code, y in zip(val.images, val.labels, strict=True)]
        return Prepared(pipeline, pipeline.model, train_t, val_t, data.images, 1 / len(data.classes), info, examples)

    def load_data(self, raw: bytes, name: str) -> ImageDataset:
        return load_images(raw, name)

    def load_data_path(self, path: str | Path) -> ImageDataset:
        return load_image_data(path)

    def check_input(self, text: str) -> str:
        return check_code(text)

    def picture_input(self, raw: bytes, name: str) -> str:
        return image_code(raw[: MAX_IMAGE_BYTES + 1], name)

    def answer(self, model: nn.Module, inputs: list[str]) -> list[dict[str, float]]:
        codes = digits().images
        return class_answers(model, [codes[DIGIT_PROBES[i]] if i in DIGIT_PROBES else i for i in inputs])


def feature_maps(key: str, title: str, description: str, record: Record, conv: nn.Conv2d | None = None,
                 conv_input: Record | None = None) -> FeatureMapsView:
    """The maps of one traced (1, C, H, W) output as pictures, the most active first (``pictures.feature_maps``); with
    ``conv``, the kernel that made each map -- its slice for the input map ``conv_input`` shows most active (the only
    one, for a grey image)."""
    common = {"key": key, "title": title, "description": description, "shape": tuple(record.output_shape),
              "dims": ("image", "map", "row", "column"), "stage": key}
    view = pictures.feature_maps(record.tensor, common)
    if conv is None:
        return view
    weight = conv.weight.detach().cpu()  # (C_out, C_in, k, k)
    seen = conv_input.tensor if conv_input is not None else None  # (C_in, H, W)
    inputs = (int(seen.flatten(1).abs().mean(1).argmax()) if seen is not None and weight.shape[1] > 1 else 0,)
    kernels = tuple(tuple(matrix(weight[c, i].tolist()) for i in inputs) for c in view.channels)
    return dataclasses.replace(view, kernels=kernels, kernel_inputs=inputs)


def image_view(key: str, title: str, description: str, record: Record) -> ImageView:
    """The image a network reads (a traced (1, 1, H, W) output of ink from 0 to 1), as a picture."""
    return ImageView(key=key, title=title, description=description, shape=tuple(record.output_shape),
                     dims=("image", "channel", "row", "column"), stage=key, values=(matrix(record.tensor[0].tolist()),),
                     channels=(0,), full=1.0)


def image_answer(lesson: Lesson, run: Any, text: str, t: Trace, layers: Sequence[View], scores: str, softmax: str
                 ) -> Prediction:
    """A digit classifier's prediction: ``layers``, then the dense layer's score per class (the call ``scores``)
    and the probabilities (the call ``softmax``)."""
    classes, stage = run.model.classes, lesson.content.stage
    probs = t[softmax].tensor.tolist()
    answer = ProbabilitiesView(key="probabilities", title=f"{stage('probabilities').title}: the answer",
                               description=stage("probabilities").description, shape=tuple(t[softmax].output_shape),
                               dims=("image", "class"), stage="probabilities", values=tuple(probs),
                               labels=tuple(classes))
    dense = VectorView(key="dense", title=stage("dense").title, description=stage("dense").description,
                       shape=tuple(t[scores].output_shape), dims=("image", "class"), stage="dense",
                       values=tuple(t[scores].tensor.tolist()), labels=tuple(classes))
    best = answer.best
    return Prediction(text=text, output=classes[best], confidence=probs[best], layers=(*layers, dense, answer),
                      expected=dict(run.examples).get(text))
