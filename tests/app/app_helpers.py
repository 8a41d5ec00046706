"""Helpers for reading what an AppTest page shows."""

from __future__ import annotations

import json
import re
from typing import Any

from streamlit.testing.v1 import AppTest


def charts(at: AppTest) -> list[dict[str, Any]]:
    """The Plotly figures on the page, as JSON (AppTest does not model plotly_chart)."""
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def trace(figure: dict[str, Any], name: str) -> dict[str, Any]:
    """The trace called ``name`` in a figure's JSON."""
    return next(t for t in figure["data"] if t.get("name") == name)


def plain(markdown: str) -> str:
    """Text as shown in the browser: Markdown backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


def table(at: AppTest, index: int = 0) -> Any:
    """The ``index``-th st.table as a pandas frame, cells as the browser shows them (escapes removed)."""
    return at.table[index].value.map(lambda v: plain(v) if isinstance(v, str) else v)


def table_with(at: AppTest, column: str) -> Any:
    """The first st.table that has ``column``, as the browser shows it."""
    for i in range(len(at.table)):
        frame = table(at, i)
        if column in frame.columns:
            return frame
    raise AssertionError(f"no table has a column {column!r}")
