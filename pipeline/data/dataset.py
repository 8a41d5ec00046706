"""Labelled text datasets: the container, a seeded split, and a validated CSV loader for user data."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.text import MAX_TEXT_CHARS, InputError, normalize

MAX_CSV_BYTES = 5_000_000
MAX_ROWS = 50_000
MAX_CLASSES = 20


@dataclass(frozen=True)
class TextDataset:
    """Parallel lists of texts and integer labels, with the class names the labels index."""

    texts: list[str]
    labels: list[int]
    classes: list[str]

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise ValueError(f"{len(self.texts)} texts but {len(self.labels)} labels")
        bad = [y for y in self.labels if not 0 <= y < len(self.classes)]
        if bad:
            raise ValueError(f"label {bad[0]} is out of range for {len(self.classes)} classes")

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, indices: list[int]) -> TextDataset:
        return TextDataset([self.texts[i] for i in indices], [self.labels[i] for i in indices], self.classes)

    def split(self, val_fraction: float = 0.2, seed: int = 0) -> tuple[TextDataset, TextDataset]:
        """A shuffled (train, validation) split; the same seed gives the same split."""
        if not 0 < val_fraction < 1:
            raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
        order = list(range(len(self)))
        random.Random(seed).shuffle(order)
        n_val = max(1, round(len(order) * val_fraction))
        return self.subset(order[n_val:]), self.subset(order[:n_val])


def load_csv(source: str | Path | bytes, name: str = "the file") -> TextDataset:
    """Load a ``text,label`` CSV from a path or raw bytes; raise InputError that names the problem."""
    raw = Path(source).read_bytes() if isinstance(source, str | Path) else source
    name = str(source) if isinstance(source, str | Path) else name
    if len(raw) > MAX_CSV_BYTES:
        raise InputError(f"{name} is {len(raw) / 1e6:.1f} MB; the limit is {MAX_CSV_BYTES / 1e6:.0f} MB.")
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{name} is not UTF-8 text (invalid byte 0x{raw[e.start]:02x} at position {e.start}); "
                         "save it as UTF-8 CSV.") from None
    if not content.strip():
        raise InputError(f"{name} is empty: it needs a header line 'text,label' and one row per example.")
    try:
        frame = pd.read_csv(io.StringIO(content), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, csv.Error) as e:
        raise InputError(f"{name} is not a valid CSV: {str(e).strip().splitlines()[-1]}") from None
    return _validate(frame, name)


def _validate(frame: pd.DataFrame, name: str) -> TextDataset:
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in ("text", "label") if c not in frame.columns]
    if missing:
        found = ", ".join(frame.columns) or "none"
        raise InputError(f"{name} has no column {' or '.join(repr(m) for m in missing)} (found: {found}).")
    if frame.empty:
        raise InputError(f"{name} has a header but no rows.")
    if len(frame) > MAX_ROWS:
        raise InputError(f"{name} has {len(frame):,} rows; the limit is {MAX_ROWS:,}.")
    texts, labels = frame["text"].tolist(), [label.strip() for label in frame["label"]]
    for row, (text, label) in enumerate(zip(texts, labels, strict=True), start=2):
        if not normalize(text):
            raise InputError(f"{name}, line {row}: the text is empty.")
        if len(text) > MAX_TEXT_CHARS:
            raise InputError(f"{name}, line {row}: the text has {len(text):,} characters "
                             f"(limit {MAX_TEXT_CHARS:,}).")
        if not label:
            raise InputError(f"{name}, line {row}: the label is empty.")
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise InputError(f"{name} has only one class ({classes[0]!r}); a classifier needs at least two.")
    if len(classes) > MAX_CLASSES:
        raise InputError(f"{name} has {len(classes)} different labels; the limit is {MAX_CLASSES}.")
    index = {c: i for i, c in enumerate(classes)}
    return TextDataset(texts, [index[label] for label in labels], classes)
