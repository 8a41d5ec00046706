"""The encoder block opened up: every step of self-attention as a picture with the words on its axes.

Read from a trace made with ``ops=True``, where each projection, matmul, the scaling, the mask, the softmax and the
residual addition are records of their own, so every number drawn is the one the model computed:

    LayerNorm -> queries, keys, values (per head) -> scores q·k / √d, padding masked -> softmax -> weights × values,
    the heads joined -> output projection -> + the block's input (the residual) -> LayerNorm (for the feed-forward)

The softmax is the lesson's attention view; the stages around it are built here. ``tests/test_attention_block.py``
checks them against PyTorch's own ``nn.MultiheadAttention`` and ``scaled_dot_product_attention`` on the same weights.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import StrEnum

import torch

from pipeline.document.views import Mark, PanelsView, ScoresView, View, matrix
from pipeline.trace import Trace


class Part(StrEnum):
    """The calls inside one encoder block that the opened block reads, relative to the block."""

    LN1 = "ln1"
    QUERY = "attn.query"
    KEY = "attn.key"
    VALUE = "attn.value"
    HEADS = "attn.transpose()"  # call 0: the queries split into heads, (B, h, T, d)
    SCORES = "attn.div()"  # (B, h, T, T): q·k / √d, before the mask
    PADDING = "attn.invert()"  # (B, 1, 1, T): True at the keys the mask hides
    WEIGHTS = "attn.softmax()"
    JOINED = "attn.reshape()"  # (B, T, D): weights × values, the heads side by side again
    PROJECTION = "attn.proj"
    RESIDUAL = "add()"  # call 0: the block's input plus attention's output
    LN2 = "ln2"


class Opened:
    """The records of one traced encoder block, its words and its name, for the views of its steps."""

    def __init__(self, t: Trace, prefix: str, name: str, title: str, rows: tuple[str, ...], marks: tuple[Mark, ...]
                 ) -> None:
        self.t, self.prefix, self.name, self.title, self.rows, self.marks = t, prefix, name, title, rows, marks
        heads = t[self.at(Part.HEADS)]
        self.h, self.d = heads.output_shape[1] or 0, heads.output_shape[3] or 0  # (B, h, T, d): both known

    def at(self, part: Part) -> str:
        return f"{self.prefix}.{part}"

    def sample(self, part: Part) -> torch.Tensor:
        return self.t[self.at(part)].tensor  # the first (only) sentence

    def shape(self, part: Part) -> tuple[int | None, ...]:
        return tuple(self.t[self.at(part)].output_shape)


def queries_keys_values(o: Opened) -> PanelsView:
    """Q, K and V of every word: three (T x D) panels, their columns in one group of d per head."""
    return PanelsView(
        key=f"qkv_{o.name}", title=f"Queries, keys and values in {o.title}",
        description=f"Three Linear layers turn each word's vector (after a LayerNorm) into a query, a "
                    f"key and a value of {o.h * o.d} numbers; each of the {o.h} heads takes its own {o.d}. A word's "
                    "query is compared with every word's key (the next stage); the values are what gets mixed.",
        shape=o.shape(Part.HEADS), dims=("sentence", "head", "position", "number"), stage="encoder",
        panels=("Q · queries", "K · keys", "V · values"),
        values=tuple(matrix(o.sample(p).tolist()) for p in (Part.QUERY, Part.KEY, Part.VALUE)),
        rows=o.rows, row_marks=o.marks, groups=o.h, col_title="number", point="queries")


def scores(o: Opened) -> ScoresView:
    """Every head's scores q·k / √d, as divided, with the keys the padding mask hides."""
    masked = tuple(bool(m) for m in o.sample(Part.PADDING).flatten().tolist())  # (T,)
    root = math.sqrt(o.d)
    return ScoresView(
        key=f"scores_{o.name}", title=f"Scores in {o.title}: q·k ÷ √{o.d}, padding masked",
        description=f"How well each word's query matches each word's key: their dot product, divided by √{o.d} "
                    f"= {root:g} (the head size) so that the scores stay in a range the softmax can tell apart. "
                    "Then the padding mask: every score against a <pad> key becomes the lowest number a float can "
                    "hold, so after the softmax no word looks at padding.",
        shape=o.shape(Part.SCORES), dims=("sentence", "head", "word", "word"), stage="encoder",
        scores=tuple(matrix(grid) for grid in o.sample(Part.SCORES).tolist()), masked=masked, rows=o.rows,
        cols=o.rows, row_marks=o.marks, col_marks=o.marks, scale=root)


def weighted_sum(o: Opened) -> PanelsView:
    """Weights × values per head, the heads joined side by side (the traced reshape), with the weights it used."""
    return PanelsView(
        key=f"mix_{o.name}", title=f"Weighted sum in {o.title}: each head's mix, heads joined",
        description="Each head multiplies its attention weights by the values: a word's row is the mix of the "
                    "values of the words it looks at, in the proportions of its weights. The heads' mixes are then "
                    "put side by side again, one group of columns per head.",
        shape=o.shape(Part.JOINED), dims=("sentence", "position", "number"), stage="encoder",
        panels=("weights × values, per head",), values=(matrix(o.sample(Part.JOINED).tolist()),),
        rows=o.rows, row_marks=o.marks, groups=o.h, col_title="number", point="mix",
        weights=tuple(matrix(grid) for grid in o.sample(Part.WEIGHTS).tolist()))


def projection_and_residual(o: Opened, before: str) -> PanelsView:
    """What the output projection adds to each word, the residual sum, and the LayerNorm the feed-forward net reads."""
    return PanelsView(
        key=f"residual_{o.name}", title=f"Output projection, residual and LayerNorm in {o.title}",
        description=f"The output projection, one Linear layer, mixes the heads' numbers into what attention adds to "
                    f"each word. Pre-norm: the block keeps {before} and adds that to it (the residual connection), so "
                    "nothing the word held is lost. The sum goes on to the feed-forward net through a LayerNorm, "
                    "which gives each word's numbers mean 0 and spread 1, then its learned scale and shift.",
        shape=o.shape(Part.RESIDUAL), dims=("sentence", "position", "feature"), stage="encoder",
        panels=("what attention adds", "x + attention: the residual", "LayerNorm of the sum"),
        values=tuple(matrix(o.sample(p).tolist()) for p in (Part.PROJECTION, Part.RESIDUAL, Part.LN2)),
        rows=o.rows, row_marks=o.marks, point="residual")


def opened_block(t: Trace, prefix: str, name: str, title: str, rows: Sequence[str], marks: Sequence[Mark],
                 before: str) -> tuple[list[View], list[View]]:
    """The views of block ``prefix``'s steps: those before the softmax (Q, K, V; the scores) and those after it (the
    weighted sum; the projection, residual and LayerNorm). ``name`` keys them ("1"), ``title`` names the block in
    words, ``before`` names what the block was given ("the embedding")."""
    o = Opened(t, prefix, name, title, tuple(rows), tuple(marks))
    return [queries_keys_values(o), scores(o)], [weighted_sum(o), projection_and_residual(o, before)]
