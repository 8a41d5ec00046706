"""The Overview's numbers for a lesson's default run, kept as a small JSON file beside the run cache.

The Overview page draws the lesson card -- curves, tables, what one prediction went through -- from
this file, so its first paint imports no torch and loads no model. The file's name holds the code's
hash: a change of code is a new file, written again the next time the default run is loaded.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from pipeline.paths import code_hash, data_dir
from pipeline.safeio import atomic_write

MAX_BYTES = 5_000_000


def path(slug: str) -> Path:
    return data_dir("overview") / f"{slug}-{code_hash()[:20]}.json"


def summary(doc: Any, examples_total: int) -> dict[str, Any]:
    """What the Overview shows of a lesson document, as plain JSON (a figure as Plotly's JSON)."""
    # plotly only here, when a default run writes the file: the Overview page reads it without plotly or torch
    from pipeline.render import figures, tables
    from pipeline.render.describe import reading

    probes = figures.probes_figure(doc.epochs)
    p = doc.prediction
    return {
        "curves": json.loads(figures.training_curves(doc.epochs).to_json()),
        "epochs": tables.epoch_rows(doc.epochs),
        "probes": json.loads(probes.to_json()) if probes is not None else None,
        "probe_rows": tables.probe_rows(doc.epochs),
        "examples": tables.examples_rows(doc.examples),
        "examples_total": examples_total,
        "stages": tables.stage_rows(doc.stages),
        "prediction": None if p is None else {
            "text": p.text, "output": p.output, "confidence": p.confidence if math.isfinite(p.confidence) else None,
            "expected": p.expected,
            "notes": list(p.general_notes),
            "layers": [{"Layer": f"{i}. {v.title}", "Shape": tables.fmt_shape(v.shape), "What it shows": reading(v)}
                       for i, v in enumerate(p.layers, start=1)]},
    }


def save(slug: str, data: dict[str, Any]) -> None:
    atomic_write(path(slug), json.dumps(data, allow_nan=False, default=_finite))


def load(slug: str) -> dict[str, Any] | None:
    """The kept summary for this code, or None (missing, or unreadable: it is made again)."""
    try:
        file = path(slug)
        if not file.is_file() or file.stat().st_size > MAX_BYTES:
            return None
        data = json.loads(file.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) and {"curves", "epochs", "stages"} <= set(data) else None
    except (OSError, ValueError):
        return None


def _finite(value: Any) -> Any:
    raise TypeError(f"not JSON: {type(value).__name__}")
