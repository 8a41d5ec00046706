"""The picture of a recorded call, chosen by what its tensor holds: one function every surface asks.

A lesson builds its own views; any other model's calls are drawn by what their outputs hold:

- ``(N, C, H, W)`` (or ``(N, H, W, C)``, as Swin keeps its maps) -> ``FeatureMapsView``: each channel a small
  image, the most active first;
- ``(N, heads, T, S)`` whose rows sum to one -> ``AttentionView``: a map per head;
- ``(N, K)`` that sums to one -> ``ProbabilitiesView``: the most likely first;
- ``(N, T, D)`` -> ``MatrixView``: a heatmap over the positions;
- one number per example, per channel or per feature -> ``VectorView``; text -> ``TextView``.

Each view carries the call's real output shape, so its caption can say what part of it is drawn (a record keeps
a bounded sample of the first example: ``pipeline.trace.capture.take_sample``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from pipeline.document.document import Stage
from pipeline.document.views import (
    AttentionView,
    FeatureMapsView,
    MatrixView,
    ProbabilitiesView,
    TextView,
    VectorView,
    View,
    matrix,
)
from pipeline.trace import Record

MAX_MAPS = 16  # feature maps drawn of one layer
MAX_HEADS_DRAWN = 4  # attention heads drawn of one call
MAX_ATTENTION = 24  # query and key positions drawn of each head
TOP_ANSWERS = 10  # probabilities drawn, the most likely first
SUMS_TO_ONE = 1e-3  # how far a row of probabilities may be from summing to one (float32 softmax: 1e-6)
SOFTMAX = frozenset({"softmax", "Softmax", "_softmax"})  # what makes probabilities (a torch function, a module)
MAX_DRAWN_ROWS, MAX_DRAWN_COLUMNS = 128, 64  # of a heatmap or a vector: what a picture can show
MAP_DIMS = ("example", "channel", "row", "column")


def stage_view(stage: Stage) -> View:
    """A stage of any traced model as the picture of its call's output (its last call's, for a run of calls)."""
    what = f"{stage.operation} turns {_shape(stage.input_shape)} into {_shape(stage.output_shape)}."
    if stage.record is None:
        return TextView(key=stage.key, title=stage.title, description=what, shape=tuple(stage.output_shape),
                        text="(no sample)")
    return record_view(stage.record, stage.key, stage.title, what, stage.output_shape)


def record_view(record: Record, key: str, title: str, description: str,
                shape: Sequence[int | None] | None = None) -> View:
    """The picture of ``record``'s output, by what it holds (see the module's docstring); ``shape`` is the output's
    shape when the record's own structure does not say it (default: the record's)."""
    full = tuple(record.output_shape or shape or ())
    common: dict[str, Any] = {"key": key, "title": title, "description": description, "shape": full}
    sample = record.sample
    if not isinstance(sample, torch.Tensor) or sample.numel() == 0 or sample.is_complex():
        text = sample if isinstance(sample, str) else " ".join(sample) if isinstance(sample, list) else ""
        return TextView(text=text or "(no sample: the call's output has no values to draw)", **common)
    x = sample.detach().float()
    if len(full) == x.dim() + 1 and x.dim() == 3 and _attention(record, x, full):
        return _attention_view(x, common)
    if len(full) == 4 and x.dim() == 3:
        last = _channels_last(full)
        height, width = (full[1], full[2]) if last else (full[2], full[3])
        if height == width == 1:  # pooled to one value per channel
            values = _numbers(x.reshape(-1))
            return VectorView(values=values, labels=tuple(f"channel {c}" for c in range(len(values))), **common)
        return feature_maps(x.permute(2, 0, 1) if last else x, common, channels_last=last)
    if x.dim() == 1 and _probabilities(record, x, full):
        return _probabilities_view(x, common)
    if x.dim() <= 1:
        return VectorView(values=_numbers(x.reshape(-1)), **common)
    rows = x.reshape(-1, x.shape[-1])  # (N, T, D): one row per position; more dimensions: stacked into rows
    return MatrixView(values=matrix(rows[:MAX_DRAWN_ROWS, :MAX_DRAWN_COLUMNS].tolist()), rows=(),
                      dims=("example", "position", "feature")[: len(full)] if len(full) == 3 else (), **common)


def feature_maps(maps: torch.Tensor, common: dict[str, Any], channels_last: bool = False,
                 example: int = 0) -> FeatureMapsView:
    """``maps`` (channels, H, W) of one example as a ``FeatureMapsView`` of its ``MAX_MAPS`` most active channels,
    the most active (largest mean absolute value) first; channel indices are their places in ``maps``."""
    finite = torch.nan_to_num(maps.abs(), nan=0.0, posinf=0.0, neginf=0.0)
    strength = finite.flatten(1).mean(1)
    order = torch.argsort(strength, descending=True, stable=True)[:MAX_MAPS]
    drawn = maps[order]
    return FeatureMapsView(values=tuple(matrix(m.tolist()) for m in drawn), channels=tuple(order.tolist()),
                           example=example, channels_last=channels_last,
                           dims=common.pop("dims", None) or _map_dims(channels_last), **common)


def _map_dims(channels_last: bool) -> tuple[str, ...]:
    return ("example", "row", "column", "channel") if channels_last else MAP_DIMS


def _channels_last(full: tuple[int | None, ...]) -> bool:
    """Whether a 4-D output keeps its channels last, ``(N, H, W, C)``: square maps in the middle and a different
    size last (Swin's and ConvNeXt's blocks); a channels-first map is rarely exactly as tall as it has channels."""
    _, a, b, c = full
    return a == b and c != a


def _attention(record: Record, x: torch.Tensor, full: tuple[int | None, ...]) -> bool:
    """Whether ``x`` (heads, T, S) holds attention weights: every value in [0, 1] and each row summing to one --
    or, when the sample keeps only part of each row, made by a softmax."""
    if not bool(torch.isfinite(x).all()) or x.min() < 0 or x.max() > 1 + SUMS_TO_ONE:
        return False
    if x.shape[-1] == full[-1]:
        return bool((x.sum(-1) - 1).abs().max() <= SUMS_TO_ONE)
    return record.type in SOFTMAX


def _probabilities(record: Record, x: torch.Tensor, full: tuple[int | None, ...]) -> bool:
    """Whether ``x`` (K,) is one example's probabilities: all in [0, 1], summing to one (or made by a softmax when
    the sample keeps only the first classes)."""
    if len(full) != 2 or x.numel() < 2 or not bool(torch.isfinite(x).all()) or x.min() < 0:
        return False
    if x.shape[0] == full[1]:
        return abs(float(x.sum()) - 1) <= SUMS_TO_ONE
    return record.type in SOFTMAX


def _attention_view(x: torch.Tensor, common: dict[str, Any]) -> AttentionView:
    heads = x[:MAX_HEADS_DRAWN, :MAX_ATTENTION, :MAX_ATTENTION]
    rows, cols = heads.shape[1], heads.shape[2]
    return AttentionView(weights=tuple(matrix(h.tolist()) for h in heads), rows=tuple(str(i + 1) for i in range(rows)),
                         cols=tuple(str(i + 1) for i in range(cols)),
                         heads=tuple(f"head {h + 1}" for h in range(heads.shape[0])),
                         dims=("example", "head", "query position", "key position"), **common)


def _probabilities_view(x: torch.Tensor, common: dict[str, Any]) -> ProbabilitiesView:
    order = torch.argsort(x, descending=True, stable=True)[:TOP_ANSWERS]
    return ProbabilitiesView(values=_numbers(x[order]), labels=tuple(f"class {int(i)}" for i in order),
                             dims=("example", "class"), **common)


def _numbers(x: torch.Tensor) -> tuple[float, ...]:
    return tuple(float(v) for v in x[:MAX_DRAWN_COLUMNS].tolist())


def _shape(shape: list[int | None]) -> str:
    if not shape:
        return "a single value"
    return " × ".join("?" if d is None else f"{d:,}" for d in shape)
