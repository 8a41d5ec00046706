"""Embedded datasets (generated, deterministic under a seed) and validated loaders for user data."""

from pipeline.data.dataset import TextDataset, load_csv

__all__ = ["TextDataset", "load_csv"]
