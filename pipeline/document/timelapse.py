"""The time-lapse: what a run kept epoch by epoch -- the probes' views and the words' places in a fixed plane -- as
views to draw, one per epoch (``pipeline.lessons.probes`` keeps them while the model learns).

Everything here reads a run's epochs and info only, so a saved trace file draws the same time-lapse as the run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.document.views import SpaceView, View
from pipeline.training.results import EpochResult

SPACE_TITLE = "Words in space: the embedding table in two dimensions"
SPACE_TEXT = ("Each word's vector has many numbers. PCA finds the two directions in which the table's vectors differ "
              "most, and each word is drawn where its vector falls on them: words the model treats alike end up close "
              "together. Your words are in blue. The directions were fitted once, on the table after the last epoch, "
              "and every epoch is drawn on the same two, so a word that moves between epochs has a vector that "
              "changed.")


def frames(epochs: Sequence[EpochResult], text: str) -> dict[str, list[tuple[int, View]]]:
    """For probe ``text``: per view key, (epoch, the view after that epoch) for every epoch that kept it."""
    found: dict[str, list[tuple[int, View]]] = {}
    for e in epochs:
        for key, view in e.inside.get(text, {}).items():
            found.setdefault(key, []).append((e.epoch, view))
    return found


def probes_kept(epochs: Sequence[EpochResult]) -> list[str]:
    """The inputs whose views the run kept epoch by epoch."""
    return list(dict.fromkeys(text for e in epochs for text in e.inside))


def space_views(epochs: Sequence[EpochResult], info: Mapping[str, Any], words: Sequence[str]) -> list[SpaceView]:
    """One picture of the words in space per epoch that kept their places, ``words`` (the learner's) marked; every
    picture has the same bounds, so the frames line up. Empty when the run kept none."""
    space = info.get("space") or {}
    names = [str(w) for w in space.get("words", [])]
    kept = [e for e in epochs if len(e.space) == len(names) and names]
    if not kept:
        return []
    index = {w: i for i, w in enumerate(names)}
    marked = tuple(dict.fromkeys(index[w] for w in words if w in index))
    variance = tuple(float(v) for v in space.get("variance", [math.nan, math.nan])[:2])
    xs = [p[0] for e in kept for p in e.space if math.isfinite(p[0])] or [0.0]
    ys = [p[1] for e in kept for p in e.space if math.isfinite(p[1])] or [0.0]
    bounds = (min(xs), max(xs), min(ys), max(ys))
    return [SpaceView(key="space", title=SPACE_TITLE, description=SPACE_TEXT, shape=(len(names), 2),
                      dims=("word", "direction"), stage="embedding", words=tuple(names),
                      points=tuple((float(x), float(y)) for x, y in e.space), marked=marked,
                      variance=variance if len(variance) == 2 else (math.nan, math.nan), epoch=e.epoch,
                      vocabulary=int(space.get("vocabulary") or len(names)), bounds=bounds) for e in kept]
