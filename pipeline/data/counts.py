"""The counts of a dataset a run's cost depends on, taken as the lessons split and tokenise it (no model, no torch)."""

from __future__ import annotations

from typing import Any

from pipeline.data.tokens import MAX_VOCAB, tokenize


def text_counts(data: Any, seed: int) -> tuple[int, int, int, int]:
    """(examples, train, vocabulary, classes) of a labelled text dataset, split as the lessons split it.

    The vocabulary is capped as the lessons cap it (``MAX_VOCAB``), ``<pad>`` and ``<unk>`` included.
    """
    train, _ = data.split(0.2, seed)
    vocab = {t for text in train.texts for t in tokenize(text)} - {"<pad>", "<unk>"}
    return len(data), len(train), min(len(vocab), MAX_VOCAB) + 2, len(data.classes)


def pair_counts(data: Any, seed: int) -> tuple[int, int, int, int, float]:
    """(pairs, train, source vocabulary, target vocabulary, mean source length) of a parallel corpus."""
    train, _ = data.split(0.2, seed)
    source = [tokenize(s) for s in train.sources]
    vocab = {t for tokens in source for t in tokens} - {"<pad>", "<unk>"}
    targets = {t for s in train.targets for t in tokenize(s)}
    return (len(data), len(train), min(len(vocab), MAX_VOCAB) + 2, len(targets) + 4,
            sum(map(len, source)) / max(len(source), 1))
