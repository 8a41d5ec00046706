"""Typed prediction layers: one frozen dataclass per kind of picture, and the token-mark enum.

A lesson turns a traced prediction into a tuple of views; every surface (Plotly figures, the
terminal report, the app's pages, the offline handout) draws a view with a renderer registered for
its type (``functools.singledispatch``). Adding a kind is one dataclass here plus one renderer per
surface. The ``kind`` field tags each view in the trace file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator


def _nan_from_null(value: Any) -> Any:
    return math.nan if value is None else value


# A float that may be NaN or infinite (a diverged model): written as null in JSON, read back as NaN.
Num = Annotated[float, BeforeValidator(_nan_from_null)]
Shape = tuple[int | None, ...]
Matrix = tuple[tuple[Num, ...], ...]


class Mark(StrEnum):
    """What a token position holds. Each mark has a symbol too, so colour never carries it alone."""

    WORD = "word"
    UNK = "unk"
    PAD = "pad"
    SOS = "sos"
    EOS = "eos"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    @property
    def label(self) -> str:
        return _LABELS[self]


_SYMBOLS = {Mark.WORD: "", Mark.UNK: "?", Mark.PAD: "·", Mark.SOS: "▸", Mark.EOS: "■"}
_LABELS = {Mark.WORD: "known word", Mark.UNK: "unknown word (<unk>)", Mark.PAD: "padding (<pad>)",
           Mark.SOS: "start marker (<sos>)", Mark.EOS: "end marker (<eos>)"}


@dataclass(frozen=True, kw_only=True)
class View:
    """What every layer has: a key, a title, a description, the tensor shape it shows, and notes.

    ``dims`` names each dimension of ``shape`` in the learner's words (``("sentence", "position", "embedding
    feature")``), so a shape reads as "1 sentence × 10 positions × 50 embedding features"; ``stage`` is the key of
    the lesson stage (the data-flow box) the view belongs to, when the lesson says so.
    """

    key: str
    title: str
    description: str
    shape: Shape = ()
    dims: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    stage: str = ""

    def screens(self) -> list[View]:
        """The screens this layer takes when a learner steps through a prediction (usually itself)."""
        return [self]


@dataclass(frozen=True, kw_only=True)
class TextView(View):
    """A piece of text, shown as typed."""

    text: str
    kind: Literal["text"] = "text"


@dataclass(frozen=True, kw_only=True)
class TokensView(View):
    """Token ids with the token at each position and what each position holds; for tokens a model wrote, how sure
    it was of each one (``probs``, the probability of the token it chose at that step)."""

    ids: tuple[int, ...]
    tokens: tuple[str, ...]
    marks: tuple[Mark, ...]
    probs: tuple[Num, ...] = ()
    kind: Literal["tokens"] = "tokens"

    @property
    def written(self) -> str:
        """The text of the tokens a model wrote, without its markers (<eos>, <pad>)."""
        return " ".join(t for t, m in zip(self.tokens, self.marks, strict=False) if m in (Mark.WORD, Mark.UNK))


@dataclass(frozen=True, kw_only=True)
class MatrixView(View):
    """A heatmap: one row per position (``rows`` name them, ``row_marks`` say what they hold).

    ``row_change`` is how far each row moved from the stage before (``change_from`` names it, e.g. "the
    embedding"): the length of the difference of the two vectors, so the verdict can say which word changed most.
    """

    values: Matrix
    rows: tuple[str, ...]
    cols: tuple[str, ...] = ()
    row_marks: tuple[Mark, ...] = ()
    row_title: str = "position"
    col_title: str = "feature"
    row_change: tuple[Num, ...] = ()
    change_from: str = ""
    kind: Literal["matrix"] = "matrix"


@dataclass(frozen=True, kw_only=True)
class VectorView(View):
    """A vector of numbers, one bar each (``labels`` optional); ``origin`` says in words where it comes from
    ("the LSTM's memory after “good”, the last real word")."""

    values: tuple[Num, ...]
    labels: tuple[str, ...] = ()
    origin: str = ""
    kind: Literal["vector"] = "vector"


@dataclass(frozen=True, kw_only=True)
class ProbabilitiesView(View):
    """A probability per class or token, with what each is for."""

    values: tuple[Num, ...]
    labels: tuple[str, ...]
    kind: Literal["probabilities"] = "probabilities"

    @property
    def best(self) -> int:
        return max(range(len(self.values)), key=lambda i: _finite(self.values[i]))


@dataclass(frozen=True, kw_only=True)
class DecoderStep:
    """One token a decoder wrote: its input, its memory, its top choices and the one it took."""

    step: int
    input: str
    hidden: tuple[Num, ...]
    top: tuple[tuple[str, Num], ...]
    chosen: str
    attention: tuple[Num, ...] | None = None  # over the source tokens, if the model attends


@dataclass(frozen=True, kw_only=True)
class DecoderStepView(View):
    """One decoder step on its own screen."""

    step: DecoderStep
    source: tuple[str, ...] = ()
    kind: Literal["decoder_step"] = "decoder_step"


@dataclass(frozen=True, kw_only=True)
class DecoderStepsView(View):
    """Every step of a decoder at a glance; stepping through it shows one step per screen."""

    steps: tuple[DecoderStep, ...]
    source: tuple[str, ...] = ()  # the source tokens that attention weights refer to
    kind: Literal["decoder_steps"] = "decoder_steps"

    def screens(self) -> list[View]:
        n = len(self.steps)
        return [DecoderStepView(key=f"{self.key}.{s.step}", title=f"{self.title}: step {s.step} of {n}",
                                description=self.description, shape=self.shape, dims=self.dims, notes=self.notes,
                                stage=self.stage, step=s, source=self.source) for s in self.steps] or [self]


@dataclass(frozen=True, kw_only=True)
class AttentionView(View):
    """Attention weights, one (rows x cols) matrix per head: who looks at whom."""

    weights: tuple[Matrix, ...]  # (heads, rows, cols); each row sums to 1 over the real columns
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    row_marks: tuple[Mark, ...] = ()
    col_marks: tuple[Mark, ...] = ()
    heads: tuple[str, ...] = ()  # a title per head
    kind: Literal["attention"] = "attention"


@dataclass(frozen=True, kw_only=True)
class LSTMGatesView(View):
    """An LSTM's gates and memory at every real token: each a (time x hidden) matrix."""

    tokens: tuple[str, ...]
    marks: tuple[Mark, ...]
    i: Matrix
    f: Matrix
    g: Matrix
    o: Matrix
    c: Matrix
    h: Matrix
    reading: tuple[str, ...] = ()  # sentences derived from the numbers
    forget_at: int = -1  # the word where the forget gate is lowest (the reading's first sentence), -1 if none
    kind: Literal["lstm_gates"] = "lstm_gates"

    GATES = (("i", "i · input gate"), ("f", "f · forget gate"), ("g", "g · candidate"), ("o", "o · output gate"),
             ("c", "c · cell state (memory)"), ("h", "h · hidden state (output)"))


@dataclass(frozen=True, kw_only=True)
class PanelsView(View):
    """Stacked heatmaps over the same words, one (rows x features) matrix per panel -- the queries, keys and values of
    attention; the heads' outputs joined; what attention adds, the residual sum and its LayerNorm -- whose columns
    fall into ``groups`` equal groups (one per head; 1: no groups).

    ``point`` says what the panels are, so the verdict can say what they show: ``queries`` (the first panel holds the
    queries), ``mix`` (a weighted sum of values, with the ``weights`` it used, (heads, rows, rows)), ``residual``
    (what was added, the sum, its LayerNorm), or "" (nothing in particular).
    """

    panels: tuple[str, ...]  # a title per panel
    values: tuple[Matrix, ...]  # (panels, rows, features)
    rows: tuple[str, ...]
    row_marks: tuple[Mark, ...] = ()
    groups: int = 1  # column groups: features = groups x features per group
    group_title: str = "head"
    col_title: str = "feature"
    point: Literal["", "queries", "mix", "residual"] = ""
    weights: tuple[Matrix, ...] = ()
    kind: Literal["panels"] = "panels"


@dataclass(frozen=True, kw_only=True)
class ScoresView(View):
    """Attention scores before the softmax, one (rows x cols) matrix per head: q·k / √d, with the keys the padding
    mask hides (``masked``: their scores become the lowest float, so the softmax gives them exactly 0)."""

    scores: tuple[Matrix, ...]  # (heads, rows, cols), as divided by ``scale``, before the mask
    masked: tuple[bool, ...]  # per column
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    row_marks: tuple[Mark, ...] = ()
    col_marks: tuple[Mark, ...] = ()
    scale: Num = 1.0  # √d, the number each dot product was divided by
    kind: Literal["scores"] = "scores"


@dataclass(frozen=True, kw_only=True)
class SpaceView(View):
    """Words as points in a plane: an embedding table projected on two fixed directions (PCA fitted once, on the
    last epoch's table), so a point that moves between epochs is a vector that changed.

    ``marked`` are the words to point out (the learner's); ``variance`` the share of the table's variance each
    direction keeps; ``epoch`` the epoch whose table is drawn.
    """

    words: tuple[str, ...]
    points: tuple[tuple[Num, Num], ...]  # (words, 2)
    marked: tuple[int, ...] = ()  # indices into ``words``
    variance: tuple[Num, Num] = (math.nan, math.nan)
    epoch: int = 0
    vocabulary: int = 0  # words in the whole table (``words`` may keep fewer)
    bounds: tuple[Num, ...] = ()  # (x0, x1, y0, y1) every epoch's points fit in: frames of a time-lapse line up
    kind: Literal["space"] = "space"


@dataclass(frozen=True, kw_only=True)
class FeatureMapsView(View):
    """A convolution's output as small images, one per channel: where in one example each filter responded.

    ``shape`` is the layer's whole output, e.g. ``(N, C, H, W)`` (``(N, H, W, C)`` with ``channels_last``, as Swin
    keeps its maps), so a caption can say what part of it is drawn. ``values`` are the maps drawn, of example
    ``example`` (0-based), in the order they are drawn (the most active first, when a picker chose them);
    ``channels`` is each map's channel index in the layer (0-based). A map may be a corner of the layer's
    (a trace keeps a bounded sample): its rows and columns are then the first ones of the layer's.

    ``kernels``, when given, are the weights that made each drawn map: for each map, one ``(kh, kw)`` matrix per
    input channel named in ``kernel_inputs`` (0-based indices into the layer's input channels).

    Args:
        values: the maps, ``(len(channels), rows, cols)``.
        channels: the channel each map is.
        example: the example of the batch the maps belong to.
        kernels: optional, ``(len(channels), len(kernel_inputs), kh, kw)``.
        kernel_inputs: the input channels whose kernel slices ``kernels`` holds.
        channels_last: the layer's channels are its last dimension.

    Shape:
        - values: ``(K, rows, cols)`` with ``K <= C``, ``rows <= H``, ``cols <= W``
        - kernels: ``(K, I, kh, kw)`` or empty
    """

    values: tuple[Matrix, ...]
    channels: tuple[int, ...]
    example: int = 0
    kernels: tuple[tuple[Matrix, ...], ...] = ()
    kernel_inputs: tuple[int, ...] = ()
    channels_last: bool = False
    kind: Literal["feature_maps"] = "feature_maps"

    @property
    def layer_channels(self) -> int | None:
        """How many channels the layer has (None when its shape does not say)."""
        axis = -1 if self.channels_last else 1
        return self.shape[axis] if len(self.shape) == 4 else None

    @property
    def layer_size(self) -> tuple[int | None, int | None]:
        """The layer's map size, (H, W) (Nones when its shape does not say)."""
        if len(self.shape) != 4:
            return None, None
        return (self.shape[1], self.shape[2]) if self.channels_last else (self.shape[2], self.shape[3])


@dataclass(frozen=True, kw_only=True)
class ImageView(FeatureMapsView):
    """A grey image as a network reads it: one map of ink, 0 (none) to ``full`` -- the input of a convolutional
    network. Drawn as feature maps are (it is one); its verdict speaks of ink and where it lies."""

    full: Num = 1.0  # the value of a fully inked pixel
    kind: Literal["image"] = "image"  # type: ignore[assignment]


LAYER_TYPES = (TextView, TokensView, MatrixView, VectorView, ProbabilitiesView, DecoderStepsView, DecoderStepView,
               AttentionView, LSTMGatesView, PanelsView, ScoresView, SpaceView, FeatureMapsView, ImageView)


@dataclass(frozen=True, kw_only=True)
class Prediction:
    """One input traced from raw text to the model's answer, as typed layers."""

    text: str
    output: str  # the predicted class, or the decoded sequence
    confidence: Num
    layers: tuple[View, ...]
    notes: tuple[str, ...] = ()  # e.g. unknown words, dropped tokens, an input out of the lesson's range
    expected: str | None = None  # the right answer, when the lesson knows it (shown on request only)

    def layer(self, key: str) -> View:
        """The layer called ``key``; a KeyError names the ones there are."""
        for layer in self.layers:
            if layer.key == key:
                return layer
        raise KeyError(f"no layer {key!r}; the layers are: {', '.join(v.key for v in self.layers)}")

    def screens(self) -> list[View]:
        """Every screen of a step-through: each layer's screens, in order."""
        return [screen for layer in self.layers for screen in layer.screens()]

    @property
    def general_notes(self) -> tuple[str, ...]:
        """The notes no layer shows already (e.g. "the right answer is ...")."""
        shown = {n for layer in self.layers for n in layer.notes}
        return tuple(n for n in self.notes if n not in shown)


def token_marks(ids: Sequence[int], pad_id: int, unk_id: int) -> tuple[Mark, ...]:
    """Per position: padding, an unknown word, or a known word."""
    return tuple(Mark.PAD if i == pad_id else Mark.UNK if i == unk_id else Mark.WORD for i in ids)


def matrix(values: Sequence[Sequence[float]]) -> Matrix:
    """Nested lists (e.g. a sample's ``tolist()``) as the immutable matrix a view holds."""
    return tuple(tuple(float(v) for v in row) for row in values)


def _finite(x: float) -> float:
    return x if math.isfinite(x) else -math.inf
