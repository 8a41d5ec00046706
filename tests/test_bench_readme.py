"""The README's benchmark section is what bench/readme.py makes of the saved outputs: no figure typed by hand."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_shows_the_saved_benchmark_outputs_as_they_are() -> None:
    spec = importlib.util.spec_from_file_location("bench_readme", ROOT / "bench" / "readme.py")
    readme = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(readme)
    text = (ROOT / "README.md").read_text()
    assert readme.updated(text) == text, "run .venv/bin/python bench/readme.py after saving a benchmark's output"
    for name, *_ in readme.SECTIONS:
        assert (ROOT / "bench" / "results" / f"{name}.txt").read_text().splitlines()[0].startswith("$ ")
