"""Helpers for reading what an AppTest page shows."""

from __future__ import annotations

import json
import re
from typing import Any

from streamlit.testing.v1 import AppTest

from ui.widgets import JOINER


def charts(at: AppTest) -> list[dict[str, Any]]:
    """The Plotly figures on the page, as JSON (AppTest does not model plotly_chart)."""
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def trace(figure: dict[str, Any], name: str, yaxis: str = "y") -> dict[str, Any]:
    """The trace called ``name`` in a figure's JSON, on the panel of ``yaxis`` ("y2": the second panel)."""
    return next(t for t in figure["data"] if t.get("name") == name and t.get("yaxis", "y") == yaxis)


def plain(markdown: str) -> str:
    """Text as shown in the browser: Markdown backslash escapes and the invisible word joiners removed."""
    return re.sub(r"\\(.)", r"\1", markdown).replace(JOINER, "")


def markdown_tables(at: AppTest) -> list[str]:
    """The Markdown source of every table on the page (``ui.table``), in page order."""
    return [m.value for m in at.markdown if _is_table(m.value)]


def _is_table(markdown: str) -> bool:
    lines = markdown.splitlines()
    return len(lines) >= 2 and lines[0].startswith("| ") and re.fullmatch(r"\|(-{3}:?\|)+", lines[1]) is not None


def cells(line: str) -> list[str]:
    """One row of a Markdown table split at its unescaped pipes, each cell as it is written (escapes kept)."""
    out, cell, i = [], "", 0
    while i < len(line):
        if line[i] == "\\":
            cell += line[i:i + 2]
            i += 2
            continue
        if line[i] == "|":
            out.append(cell.strip())
            cell = ""
        else:
            cell += line[i]
        i += 1
    assert not cell.strip(), f"a row that does not end in a pipe: {line!r}"
    return out[1:]  # the empty text before the first pipe


def table(at: AppTest, index: int = 0) -> Any:
    """The ``index``-th table on the page as a pandas frame of strings, cells as the browser shows them."""
    import pandas as pd

    header, _, *rows = markdown_tables(at)[index].splitlines()
    return pd.DataFrame([[plain(c) for c in cells(r)] for r in rows], columns=[plain(c) for c in cells(header)])


def table_with(at: AppTest, column: str) -> Any:
    """The first table that has ``column``, as the browser shows it."""
    for i in range(len(markdown_tables(at))):
        frame = table(at, i)
        if column in frame.columns:
            return frame
    raise AssertionError(f"no table has a column {column!r}")
