"""Where the product keeps its files: one data folder (``PIPELINE_TRACE_DATA``), created on first use."""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

DATA_ENV = "PIPELINE_TRACE_DATA"
DEFAULT_DATA = "~/.local/share/pipeline-trace/"


def data_dir(*parts: str) -> Path:
    """``$PIPELINE_TRACE_DATA/<parts>`` (default ``~/.local/share/pipeline-trace/``), created if missing."""
    folder = Path(os.environ.get(DATA_ENV, "").strip() or DEFAULT_DATA).expanduser().joinpath(*parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


PIPELINE = Path(__file__).resolve().parent


@cache
def code_hash() -> str:
    """The sha256 of every source and content file of ``pipeline/``: anything kept on disk under a name that
    includes it (a run, an overview) is never used by other code."""
    digest = hashlib.sha256()
    for path in sorted(p for p in PIPELINE.rglob("*") if p.suffix in (".py", ".toml") and "__pycache__" not in p.parts):
        digest.update(path.relative_to(PIPELINE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
