"""Where the product keeps its files: one data folder (``PIPELINE_TRACE_DATA``), created on first use."""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "PIPELINE_TRACE_DATA"
DEFAULT_DATA = "~/.local/share/pipeline-trace/"


def data_dir(*parts: str) -> Path:
    """``$PIPELINE_TRACE_DATA/<parts>`` (default ``~/.local/share/pipeline-trace/``), created if missing."""
    folder = Path(os.environ.get(DATA_ENV, "").strip() or DEFAULT_DATA).expanduser().joinpath(*parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
