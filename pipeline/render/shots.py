"""What one frame of the data-flow animation shows, as plain data, and the helpers that fill it.

A ``Shot`` is one frame: the stage it belongs to, a sentence saying what happens, and what the panels
show -- a heatmap ``Grid`` (rows of values, appearing one by one), probability ``Bars``, or the raw
text. ``flowframes`` makes shots from typed views; ``animation`` draws them. Strings are plain text,
escaped when drawn; only ``Grid.rows`` holds ready HTML tick labels (``figures.tick_label`` escapes
the token inside).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.document.views import Mark
from pipeline.render.figures import MARK_COLORS, heatmap_scale, tick_label

MAX_STEPS = 12  # positions or decoder steps revealed one per frame; beyond that, a few at a time
MAX_COLUMNS = 64  # numbers per row sent to the browser
MAX_ROWS = 32  # rows of an unnamed matrix (a plain trace's sample)
MAX_CELL_TEXT, MAX_TEXT_COLUMNS = 60, 10  # a grid this small prints its numbers in the cells
TOP_CHOICES = 3  # a decoder step's choices drawn as bars
LABEL_CHARS = 10  # a token or class name in a tick label is cut after this many characters
MARK_ORDER = list(Mark)
MARK_WORDS = {Mark.WORD: "word", Mark.UNK: "unknown word", Mark.PAD: "padding", Mark.SOS: "start", Mark.EOS: "end"}
Band = tuple[float, float]  # bottom and top of a panel, as fractions of the values area
WHOLE, UPPER, LOWER, STRIP = (0.0, 1.0), (0.5, 1.0), (0.0, 0.36), (0.82, 1.0)


@dataclass(frozen=True, kw_only=True)
class Grid:
    """A heatmap panel: rows (HTML tick labels) x columns of values; ``None`` cells are not there yet."""

    z: list[list[float | None]]  # the rows shown so far (fewer than ``rows`` while they appear one by one)
    rows: list[str]
    cols: list[str] = field(default_factory=list)  # column tick labels; empty: numbered 1..n
    heading: str = ""
    scale: dict[str, object] = field(default_factory=dict)
    cell_text: list[list[str]] | None = None  # text per cell; None: ``cell_format`` of the value
    cell_format: str = ""  # e.g. "%{z:.2f}"; "" prints nothing
    focus: tuple[int, int, int, int] | None = None  # first row, last row, first col, last col (0-based) to outline
    hover: str = "row %{y}<br>number %{x}<br>value %{z:.3f}"
    band: Band = WHOLE
    width: float = 1.0  # fraction of the width the grid spans
    xticks: bool = True
    gaps: bool = True  # a line between cells; none in an image (feature maps)


@dataclass(frozen=True, kw_only=True)
class Bars:
    """A horizontal bar panel of probabilities, one named bar each, one highlighted."""

    labels: list[str]
    values: list[float | None]
    highlight: int
    heading: str = ""
    band: Band = LOWER


@dataclass(frozen=True, kw_only=True)
class Shot:
    """One frame: which stage it belongs to, a line saying what happens, and what the panels show."""

    line: str
    stage: int = 0
    grid: Grid | None = None
    bars: Bars | None = None
    words: str = ""  # text shown large in place of a grid (the raw input)


def short(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (plain text: escape it when drawing)."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sentence(title: str, description: str) -> str:
    """``title: `` and the first sentence of ``description``: a frame's line from a view's own words."""
    first = re.split(r"(?<=[.!?])\s+(?=[A-Z])", " ".join(description.split()), maxsplit=1)[0]
    return f"{title}: {short(first, 150)}" if first else f"{title}."


def matrix_heading(title: str, shape: Sequence[int | None], rows: int, cols: int) -> str:
    """A grid's heading: the title and the shape (``Embedding · 1 × 10 × 50``), and how much of it is sent."""
    size = " × ".join("?" if d is None else f"{d:,}" for d in shape) if shape else f"{rows:,} × {cols:,}"
    more = f" · {MAX_COLUMNS} of {cols:,} shown" if cols > MAX_COLUMNS else ""
    return f"{short(title, 22)} · {size}{more}"


def value_grid(z: list[list[float | None]], rows: list[str], heading: str, band: Band,
               scale: dict[str, object] | None = None) -> Grid:
    """A grid of numbers: its colour scale from the values, and the values in the cells when it is small."""
    values = [v for row in z for v in row if v is not None]
    cols = max(len(row) for row in z)
    cells = len(rows) * cols <= MAX_CELL_TEXT and cols <= MAX_TEXT_COLUMNS
    integral = bool(values) and all(float(v).is_integer() for v in values)
    fmt = ("%{z:,.0f}" if integral else "%{z:.2f}") if cells else ""
    return Grid(z=z, rows=rows, heading=heading, scale=scale or heatmap_scale(values or [0.0]), cell_format=fmt,
                band=band)


def groups(indices: list[int]) -> list[list[int]]:
    """Indices one per frame, or a few per frame when there are more than ``MAX_STEPS``."""
    size = max(1, math.ceil(len(indices) / MAX_STEPS))
    return [indices[i: i + size] for i in range(0, len(indices), size)]


def row_labels(tokens: Sequence[str], marks: Sequence[Mark], current: int) -> list[str]:
    """Tick labels ``3 · was`` with the marks' symbols and colours (escaped); the ``current`` row in bold."""
    labels = [tick_label(i + 1, short(t, LABEL_CHARS), m) for i, (t, m) in enumerate(zip(tokens, marks, strict=True))]
    return [bold(label) if i == current else label for i, label in enumerate(labels)]


def bold(label: str) -> str:
    """A label in bold (HTML for Plotly)."""
    return f"<b>{label}</b>"


def marks_for(marks: Sequence[Mark], n: int) -> list[Mark]:
    """``n`` marks: the given ones, then plain words."""
    return list(marks)[:n] + [Mark.WORD] * (n - len(marks))


def padded(tokens: Sequence[str], n: int) -> tuple[str, ...]:
    """``n`` tokens: the given ones, then empty labels."""
    return tuple(tokens)[:n] + ("",) * (n - len(tokens))


def mark_of(token: str) -> Mark:
    """The mark a special token stands for (a decoder's source words carry no marks of their own)."""
    return {"<pad>": Mark.PAD, "<unk>": Mark.UNK, "<sos>": Mark.SOS, "<eos>": Mark.EOS}.get(token, Mark.WORD)


def mark_scale() -> list[list[object]]:
    """A colour scale with one band per mark, in ``MARK_ORDER``: the ids' cells take their mark's colour."""
    n = len(MARK_ORDER)
    return [[pos, MARK_COLORS[m]] for i, m in enumerate(MARK_ORDER) for pos in (i / n, (i + 1) / n)]


def rounded(value: float, digits: int = 3) -> float | None:
    """Three decimals are what a learner reads, and they keep the figure's JSON small; NaN becomes a gap."""
    return round(float(value), digits) if math.isfinite(value) else None


def finite_or_low(x: float) -> float:
    """``x``, or minus infinity when it is NaN or infinite (so it never wins a max)."""
    return x if math.isfinite(x) else -math.inf
