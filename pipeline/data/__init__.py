"""Embedded datasets (generated, deterministic under a seed) and validated loaders for user data."""

from pipeline.data.dataset import (
    MAX_CLASSES,
    MAX_CSV_BYTES,
    MAX_LABEL_CHARS,
    MAX_ROWS,
    MIN_ROWS_PER_CLASS,
    TextDataset,
    load_csv,
    load_csv_bytes,
    load_csv_path,
)

__all__ = [
    "MAX_CLASSES",
    "MAX_CSV_BYTES",
    "MAX_LABEL_CHARS",
    "MAX_ROWS",
    "MIN_ROWS_PER_CLASS",
    "TextDataset",
    "load_csv",
    "load_csv_bytes",
    "load_csv_path",
]
