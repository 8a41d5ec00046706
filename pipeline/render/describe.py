"""Every picture in words: a view's verdict (the point it makes), what its picture marks, and its data as rows.

The verdict is the stepper's line under the buttons and the text alternative of the view's chart. It states the
point in the learner's words -- the answer and how sure, the word that moved the memory or drew the attention
most, what changed from the stage before -- never a bare range. ``focus(view)`` is what that sentence points at
(rows, columns or cells of the view's grid), and the chart marks exactly that, so the two always agree. Numbers
are written by :mod:`pipeline.render.numbers`, as on the charts.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import singledispatch

from pipeline.document.views import (
    AttentionView,
    DecoderStepsView,
    DecoderStepView,
    FeatureMapsView,
    ImageView,
    LSTMGatesView,
    Mark,
    Matrix,
    MatrixView,
    ProbabilitiesView,
    TextView,
    TokensView,
    VectorView,
    View,
)
from pipeline.render.numbers import count, percent, plain, signed
from pipeline.render.tables import Rows, fmt_shape, preview

LISTED = 6  # words named in one sentence before "…"
TOKENS_LISTED = 4  # token → id pairs named in the tokens' verdict


@dataclass(frozen=True)
class Focus:
    """What a view's verdict points at: rows, columns or single cells of its grid (0-based, as in the view)."""

    rows: tuple[int, ...] = ()
    cols: tuple[int, ...] = ()
    cells: tuple[tuple[int, int], ...] = ()


def fmt_dims(view: View) -> str:
    """The view's shape with its dimensions named when the view names them: ``1 sentence × 10 positions × 50
    embedding features`` (else ``1 × 10 × 50``)."""
    if len(view.dims) != len(view.shape) or None in view.shape:
        return fmt_shape(view.shape)
    return " × ".join(count(int(n), name) for n, name in zip(view.shape, view.dims, strict=True))


def quoted(words: Sequence[str], limit: int = LISTED) -> str:
    """``“the”, “plot” and “was”``; past ``limit`` words, ``… and 3 more``."""
    shown = [f"“{w}”" for w in words[:limit]]
    if len(words) > limit:
        return ", ".join(shown) + f" and {len(words) - limit} more"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + f" and {shown[-1]}" if shown else ""


def real_rows(marks: Sequence[Mark], n: int) -> list[int]:
    """The rows (of ``n``) that hold something other than padding."""
    return [r for r in range(n) if r >= len(marks) or marks[r] is not Mark.PAD]


def _finite(x: float) -> float:
    return x if math.isfinite(x) else -math.inf


def _norm(row: Sequence[float]) -> float:
    return math.sqrt(sum(v * v for v in row if math.isfinite(v)))


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    na, nb = _norm(a), _norm(b)
    if na == 0 or nb == 0:
        return -math.inf
    return sum(x * y for x, y in zip(a, b, strict=True) if math.isfinite(x) and math.isfinite(y)) / (na * nb)


# --- the verdict -----------------------------------------------------------------------------------

@singledispatch
def reading(view: View) -> str:
    """One sentence stating the point of the view, with the numbers it rests on."""
    return f"{view.title}: {fmt_dims(view)}."


@reading.register
def _(view: TextView) -> str:
    words = view.text.split()
    shown = " ".join(words) if len(" ".join(words)) <= 60 else " ".join(words)[:59] + "…"
    return f"Your input, “{shown}”: {count(len(words), 'word')}, {count(len(view.text), 'character')}."


@reading.register
def _(view: TokensView) -> str:
    if view.probs:
        return _written(view)
    real = [i for i, m in enumerate(view.marks) if m is not Mark.PAD]
    pairs = [f"“{view.tokens[i]}” → {view.ids[i]}" for i in real if i < len(view.tokens)]
    listed = ", ".join(pairs[:TOKENS_LISTED]) + (", …" if len(pairs) > TOKENS_LISTED else "")
    line = f"{count(len(real), 'token')} become ids ({listed})"
    pads = len(view.ids) - len(real)
    if pads:
        pad_id = view.ids[next(i for i, m in enumerate(view.marks) if m is Mark.PAD)]
        line += f", then {pads} × <pad> (id {pad_id}) fill the {len(view.ids)} positions"
    unknown = list(dict.fromkeys(view.tokens[i] for i in real if view.marks[i] is Mark.UNK))
    if unknown:
        one = len(unknown) == 1
        verbs = "is not in the vocabulary and reads" if one else "are not in the vocabulary and read"
        line += f"; {quoted(unknown)} {verbs} as <unk>"
    return line + "."


def _written(view: TokensView) -> str:
    """The answer a decoder wrote, how sure it was of the whole, and its least sure choice."""
    steps = min(len(view.tokens), len(view.probs))
    whole = math.prod(view.probs[:steps])
    line = f"It wrote “{view.written}”"
    if Mark.EOS in view.marks[:steps]:
        line += ", then the end marker <eos>"
    line += f": {percent(whole)} sure of the whole answer"
    focus_at = focus(view).cells
    if steps > 1 and focus_at:
        t = focus_at[0][0]
        line += f" (its least sure choice: “{view.tokens[t]}”, {percent(view.probs[t])})"
    return line + "."


@reading.register
def _(view: MatrixView) -> str:
    at = focus(view).rows
    names = [view.rows[r] if r < len(view.rows) else f"row {r + 1}" for r in at]
    if view.row_change and at:
        r = at[0]
        others = [c for i, c in enumerate(view.row_change) if i != r and i in real_rows(view.row_marks,
                                                                                         len(view.row_change))]
        spread = f" (the other words: {plain(min(others))} to {plain(max(others))})" if others else ""
        return (f"“{names[0]}” changed most from {view.change_from or 'the stage before'}: its vector moved by "
                f"{plain(view.row_change[r])}{spread}.")
    width = len(view.values[0]) if view.values else 0
    if len(at) == 2:
        a, b = at
        similarity = _cosine(view.values[a], view.values[b])
        return (f"Each word is now {count(width, 'number')}; “{names[0]}” and “{names[1]}” have the most alike "
                f"vectors (cosine similarity {plain(similarity)}; 1 is the same direction).")
    if at:
        r = at[0]
        return (f"“{names[0]}” is now a vector of {count(width, 'number')} (its length "
                f"{plain(_norm(view.values[r]))}); the other rows are padding.")
    return f"{count(len(view.values), view.row_title)} of {count(width, 'number')} each."


@reading.register
def _(view: VectorView) -> str:
    if view.origin:
        return f"The input is now one vector of {count(len(view.values), 'number')}: {view.origin}."
    top = focus(view).cols
    if not top:
        return f"{count(len(view.values), 'number')}, none of them a finite number."
    j = top[0]
    name = view.labels[j] if j < len(view.labels) else f"number {j + 1}"
    if _named(view):  # each number is something's score: which is highest, and by how much
        second = max((i for i in range(len(view.values)) if i != j and math.isfinite(view.values[i])),
                     key=view.values.__getitem__, default=None)
        line = f"“{name}” scores highest, {signed(view.values[j])}"
        if second is not None:
            line += (f", {plain(view.values[j] - view.values[second])} ahead of the next, “{view.labels[second]}” "
                     f"({signed(view.values[second])})")
        return line + f", of {count(len(view.values), 'score')}."
    whole = _whole(view)
    if whole > len(view.values):  # a sample: the first numbers of the example's
        return (f"The first {len(view.values):,} of its {count(whole, 'number')}; the largest of them in size is "
                f"{name}, {signed(view.values[j])}.")
    return f"{count(len(view.values), 'number')}; the largest in size is {name}, {signed(view.values[j])}."


def _whole(view: View) -> int:
    """How many numbers one example of the view's tensor holds (its shape past the first dimension), when the
    shape says; 0 when it does not."""
    dims = view.shape[1:] if len(view.shape) > 1 else view.shape
    return math.prod(dims) if dims and None not in dims else 0


@reading.register
def _(view: ProbabilitiesView) -> str:
    if not view.values:
        return "No answers to choose from."
    order = sorted(range(len(view.values)), key=lambda i: -_finite(view.values[i]))
    best = order[0]
    rest = ", ".join(f"{view.labels[i]} {percent(view.values[i])}" for i in order[1:])
    return f"The model answers “{view.labels[best]}”, {percent(view.values[best])} sure" + \
        (f" ({rest})." if rest else ".")


@reading.register
def _(view: DecoderStepView) -> str:
    s = view.step
    chosen = next((p for t, p in s.top if t == s.chosen), math.nan)
    line = f"Step {s.step}: reading “{s.input}”, it writes “{s.chosen}”, {percent(chosen)} sure"
    cols = focus(view).cols
    if cols:
        j = cols[0]
        word = view.source[j] if j < len(view.source) else str(j + 1)
        line += f"; it looks most at “{word}” ({percent(s.attention[j])} of its attention)"
    return line + "."


@reading.register
def _(view: DecoderStepsView) -> str:
    written = " ".join(s.chosen for s in view.steps)
    return f"In {count(len(view.steps), 'step')} the decoder writes “{written}”, one token per step."


@reading.register
def _(view: AttentionView) -> str:
    at = focus(view)
    if view.rows == view.cols and at.cols:  # self-attention: the word the others look at most
        j = at.cols[0]
        share = _received(view)[j]
        heads = "" if len(view.weights) == 1 else f" (the mean of {len(view.weights)} heads)"
        return (f"“{view.cols[j]}” draws the most attention: each word gives it {percent(share)} of its "
                f"attention{heads}.")
    pairs = [f"“{view.rows[r]}” ← “{view.cols[c]}” ({percent(view.weights[0][r][c])})" for r, c in at.cells
             if r < len(view.rows) and c < len(view.cols)]
    if not pairs:
        return f"{count(len(view.weights), 'head')} of attention weights."
    listed = ", ".join(pairs[:4]) + (", …" if len(pairs) > 4 else "")
    return f"Where each output token looked most: {listed}."


@reading.register
def _(view: LSTMGatesView) -> str:
    return view.reading[0] if view.reading else f"The LSTM's gates over {count(len(view.tokens), 'word')}."


@reading.register
def _(view: FeatureMapsView) -> str:
    strengths = map_strengths(view)
    at = focus(view).rows
    if not at:
        return f"{count(len(view.values), 'feature map')}, none of them holding a finite number."
    k = at[0]
    r, c = strongest_at(view.values[k])
    if k < len(view.kernels) and view.kernels[k]:  # a convolution's map: what its filter looks for, and where
        on = view.kernel_inputs[0] if view.kernel_inputs else 0
        kernel = f"its kernel{f' on input channel {on}' if on else ''}"
        return (f"Filter {view.channels[k]} lights up most, at row {r + 1}, column {c + 1} "
                f"({signed(view.values[k][r][c])}; its map averages {plain(strengths[k])} in size): {kernel} "
                f"{kernel_reading(view.kernels[k][0])}.")
    line = (f"Channel {view.channels[k]} responds most strongly: its values average {plain(strengths[k])} in size, "
            f"strongest at row {r + 1}, column {c + 1}")
    silent = sum(1 for m in view.values if all(v == 0 for row in m for v in row))
    if silent:
        line += f"; {silent} of the {count(len(view.values), 'map')} drawn are all zero (nothing there excited them)"
    return line + "."


@reading.register
def _(view: ImageView) -> str:
    image = view.values[0] if view.values else ()
    inked = [(r, c) for r, row in enumerate(image) for c, v in enumerate(row) if math.isfinite(v) and v > 0]
    pixels = sum(len(row) for row in image)
    if not inked:
        return f"The image is {count(pixels, 'pixel')}, none of them inked."
    at = focus(view)
    full = sum(1 for r, c in inked if image[r][c] >= view.full)
    return (f"The model reads {count(pixels, 'pixel')}: {len(inked)} hold ink, {full} of them fully inked, in rows "
            f"{_span(at.rows)} and columns {_span(at.cols)} (framed) of {len(image)} × {len(image[0])}.")


def _span(indices: Sequence[int]) -> str:
    """``2–7`` (1-based) of sorted 0-based indices; one number when they are one."""
    return f"{indices[0] + 1}" if indices[0] == indices[-1] else f"{indices[0] + 1}–{indices[-1] + 1}"


KERNEL_SHAPES = {  # the pattern a kernel's weights follow, by the direction along which they change
    "columns": ("vertical", "left", "right"), "rows": ("horizontal", "top", "bottom"),
    "diagonal": ("diagonal (↘)", "bottom-left", "top-right"), "anti-diagonal": ("diagonal (↗)", "top-left",
                                                                                "bottom-right")}


def kernel_reading(kernel: Matrix) -> str:
    """What a small convolution kernel looks for, read from its weights (a phrase to follow "its kernel"): a stroke
    (its middle line weighs more than both sides), an edge (one side more than the other), or its whole patch alike.

    The weights are averaged along each direction -- columns, rows and both diagonals; the direction whose averages
    differ most is the kernel's, and the phrase gives the averages it rests on."""
    w = [[v if math.isfinite(v) else 0.0 for v in row] for row in kernel]
    n, m = len(w), len(w[0]) if w else 0
    if n < 2 or m < 2:
        return f"is one weight, {signed(w[0][0] if w and w[0] else math.nan)}: it scales its input"
    lines = {"columns": [_mean([w[r][c] for r in range(n)]) for c in range(m)],
             "rows": [_mean(w[r]) for r in range(n)],
             "diagonal": _diagonals(w, lambda r, c: c - r), "anti-diagonal": _diagonals(w, lambda r, c: r + c)}
    spread = {name: max(v) - min(v) for name, v in lines.items()}
    direction = max(spread, key=spread.__getitem__)
    values = lines[direction]
    if spread[direction] < 0.5 * max(abs(v) for row in w for v in row):  # no line stands out from the others
        return f"weighs its whole patch alike (mean {signed(_mean([v for row in w for v in row]))})"
    name, first, last = KERNEL_SHAPES[direction]
    middle, sides = values[len(values) // 2], _mean([values[0], values[-1]])
    if len(values) >= 3 and abs(middle - sides) >= abs(values[0] - values[-1]):
        kind = "stroke" if middle > sides else "gap between two strokes"
        return (f"looks for a {name} {kind}: its middle line weighs {signed(middle)}, the lines either side "
                f"{signed(sides)}")
    heavier = first if values[0] > values[-1] else last
    return (f"looks for a {name} edge, heavier at the {heavier}: its {first} line weighs {signed(values[0])}, its "
            f"{last} line {signed(values[-1])}")


def _diagonals(w: list[list[float]], along: Callable[[int, int], int]) -> list[float]:
    """The mean weight of the diagonal lines of ``w`` (cells with the same ``along(r, c)``), in order: the central
    ones only, as many as ``w`` has rows (a corner cell alone is no line)."""
    lines: dict[int, list[float]] = {}
    for r, row in enumerate(w):
        for c, v in enumerate(row):
            lines.setdefault(along(r, c), []).append(v)
    keys = sorted(lines)
    skip = (len(keys) - len(w)) // 2
    return [_mean(lines[key]) for key in keys[skip:skip + len(w)]]


# --- what the verdict points at --------------------------------------------------------------------

@singledispatch
def focus(view: View) -> Focus:
    """The rows, columns or cells of the view's picture that its verdict names."""
    return Focus()


@focus.register
def _(view: TokensView) -> Focus:
    if view.probs:  # a written answer: its least sure token
        steps = min(len(view.tokens), len(view.probs))
        t = min(range(steps), key=lambda i: view.probs[i] if math.isfinite(view.probs[i]) else -1.0, default=None)
        return Focus(cells=((t, 0),)) if t is not None else Focus()
    return Focus(rows=tuple(i for i, m in enumerate(view.marks) if m is Mark.UNK))


@focus.register
def _(view: MatrixView) -> Focus:
    real = real_rows(view.row_marks, len(view.values))
    if view.row_change:
        moved = [r for r in real if r < len(view.row_change)]
        return Focus(rows=(max(moved, key=lambda r: _finite(view.row_change[r])),)) if moved else Focus()
    distinct = list({view.rows[r] if r < len(view.rows) else r: r for r in real}.values())
    pairs = [(a, b) for i, a in enumerate(distinct) for b in distinct[i + 1:]]
    if pairs:
        return Focus(rows=max(pairs, key=lambda p: _cosine(view.values[p[0]], view.values[p[1]])))
    return Focus(rows=tuple(real[:1]))


@focus.register
def _(view: VectorView) -> Focus:
    finite = [j for j, v in enumerate(view.values) if math.isfinite(v)]
    if not finite:
        return Focus()
    if _named(view):  # scores: the highest
        return Focus(cols=(max(finite, key=view.values.__getitem__),))
    return Focus(cols=(max(finite, key=lambda j: abs(view.values[j])),))


def _named(view: VectorView) -> bool:
    """Whether every number of the vector is named (a score per class): then the highest, not the largest in size,
    is its point."""
    return len(view.labels) == len(view.values) > 1


@focus.register
def _(view: ProbabilitiesView) -> Focus:
    return Focus(rows=(view.best,)) if view.values else Focus()


@focus.register
def _(view: DecoderStepView) -> Focus:
    attention = view.step.attention
    if not attention:
        return Focus()
    return Focus(cols=(max(range(len(attention)), key=lambda k: _finite(attention[k])),))


@focus.register
def _(view: AttentionView) -> Focus:
    if view.rows == view.cols:
        received = _received(view)
        keys = real_rows(view.col_marks, len(view.cols))
        return Focus(cols=(max(keys, key=received.__getitem__),)) if keys else Focus()
    rows = real_rows(view.row_marks, len(view.rows))
    cols = real_rows(view.col_marks, len(view.cols))
    grid = view.weights[0] if view.weights else ()
    return Focus(cells=tuple((r, max(cols, key=lambda c, r=r: _finite(grid[r][c]))) for r in rows
                             if cols and r < len(grid)))


@focus.register
def _(view: LSTMGatesView) -> Focus:
    return Focus(rows=(view.forget_at,)) if 0 <= view.forget_at < len(view.tokens) else Focus()


@focus.register
def _(view: FeatureMapsView) -> Focus:
    if view.kernels:  # a convolution's maps: the filter that lights up most (its largest value), as the verdict says
        peaks = [max((v for row in m for v in row if math.isfinite(v)), default=-math.inf) for m in view.values]
        return Focus(rows=(max(range(len(peaks)), key=peaks.__getitem__),)) if peaks else Focus()
    strengths = map_strengths(view)
    finite = [k for k, v in enumerate(strengths) if math.isfinite(v)]
    return Focus(rows=(max(finite, key=strengths.__getitem__),)) if finite else Focus()


@focus.register
def _(view: ImageView) -> Focus:
    image = view.values[0] if view.values else ()
    inked = [(r, c) for r, row in enumerate(image) for c, v in enumerate(row) if math.isfinite(v) and v > 0]
    if not inked:
        return Focus()
    rows, cols = [r for r, _ in inked], [c for _, c in inked]
    return Focus(rows=tuple(range(min(rows), max(rows) + 1)), cols=tuple(range(min(cols), max(cols) + 1)))


def map_strengths(view: FeatureMapsView) -> list[float]:
    """Each drawn map's mean absolute value (NaN when it holds no finite number): how strongly that channel responds."""
    out = []
    for m in view.values:
        values = [abs(v) for row in m for v in row if math.isfinite(v)]
        out.append(sum(values) / len(values) if values else math.nan)
    return out


def strongest_at(values: Matrix) -> tuple[int, int]:
    """The (row, column) of a map's largest value (its first, on a tie; (0, 0) when none is finite)."""
    best, at = -math.inf, (0, 0)
    for r, row in enumerate(values):
        for c, v in enumerate(row):
            if math.isfinite(v) and v > best:
                best, at = v, (r, c)
    return at


def _received(view: AttentionView) -> list[float]:
    """Per key word: the share of attention the real query words give it, averaged over queries and heads."""
    queries = real_rows(view.row_marks, len(view.rows))
    totals = [0.0] * len(view.cols)
    for grid in view.weights:
        for q in queries:
            for k, w in enumerate(grid[q][: len(totals)]):
                totals[k] += w if math.isfinite(w) else 0.0
    n = max(len(queries) * len(view.weights), 1)
    return [t / n for t in totals]


# --- what the picture draws of the tensor ------------------------------------------------------------

@singledispatch
def drawn(view: View) -> str:
    """A sentence saying which part of the view's tensor its picture draws (a caption states the real shape)."""
    return f"Drawn: {fmt_dims(view)}."


@drawn.register
def _(view: TextView) -> str:
    return "Shown: the text as typed."


@drawn.register
def _(view: TokensView) -> str:
    extra = ", with how sure the model was of each" if view.probs else ""
    return f"Drawn: all {count(len(view.ids), 'position')}, each token with its id{extra}."


@drawn.register
def _(view: MatrixView) -> str:
    real = real_rows(view.row_marks, len(view.values)) or list(range(len(view.values)))
    width = len(view.values[0]) if view.values else 0
    folded = len(view.values) - len(real)
    left_out = f" (the {count(folded, 'padding row')} left out)" if folded else ""
    values = [v for r in real for v in view.values[r] if math.isfinite(v)] or [0.0]
    scale = f"colours from {signed(min(values))} to {signed(max(values))}"
    if not view.rows and len(view.shape) >= 2 and None not in view.shape:  # a traced call's sample: say which part
        rows = math.prod(view.shape[1:-1]) if len(view.shape) > 2 else 1
        part = f"{_part(len(real), rows, view.row_title)} × {_part(width, view.shape[-1], view.col_title)}"
        return f"Drawn: {part} of the first example, {scale}."
    return f"Drawn: {count(len(real), view.row_title)}{left_out} × {count(width, view.col_title)}, {scale}."


def _part(drawn: int, whole: int, noun: str) -> str:
    """``all 10 positions`` or ``the first 4 of 50 features``."""
    return f"the first {drawn:,} of {count(whole, noun)}" if whole > drawn else f"all {count(whole, noun)}"


@drawn.register
def _(view: VectorView) -> str:
    whole = _whole(view)
    what = f"the first {len(view.values):,} of the {whole:,} numbers of the first example" if whole > len(
        view.values) else f"all {count(len(view.values), 'number')}"
    return f"Drawn: {what} as bars, blue above zero, orange below."


@drawn.register
def _(view: ProbabilitiesView) -> str:
    return f"Drawn: the probability of each of the {count(len(view.values), 'answer')}."


@drawn.register
def _(view: DecoderStepView) -> str:
    line = f"Drawn: the {count(len(view.step.top), 'most likely token')}"
    if view.step.attention:
        line += f" and the attention over {count(len(view.step.attention), 'source word')}"
    return line + "."


@drawn.register
def _(view: AttentionView) -> str:
    rows = real_rows(view.row_marks, len(view.rows))
    cols = real_rows(view.col_marks, len(view.cols))
    left_out = " (padding left out)" if len(rows) < len(view.rows) or len(cols) < len(view.cols) else ""
    return f"Drawn: {count(len(view.weights), 'head')}, each {len(rows)} × {len(cols)} words{left_out}."


@drawn.register
def _(view: LSTMGatesView) -> str:
    units = len(view.h[0]) if view.h else 0
    return (f"Drawn: six panels (i, f, g, o, c, h), each {count(len(view.tokens), 'word')} × "
            f"{count(units, 'hidden unit')}.")


@drawn.register
def _(view: FeatureMapsView) -> str:
    k = len(view.values)
    rows, cols = (len(view.values[0]), len(view.values[0][0]) if view.values[0] else 0) if k else (0, 0)
    total, (height, width) = view.layer_channels, view.layer_size
    which = f"the {count(k, 'channel')}" if total in (None, k) else f"{k} of the {count(total, 'channel')}"
    example = "the first example" if view.example == 0 else f"example {view.example + 1}"
    listed = ", ".join(str(c) for c in view.channels[:LISTED]) + (", …" if k > LISTED else "")
    order = ", the most active first" if _descending(map_strengths(view)) and k > 1 else ""
    line = f"Drawn: {which} of {example} (channel{'s' if k != 1 else ''} {listed}{order}), each {rows} × {cols}"
    if height is not None and width is not None and (rows, cols) != (height, width):
        line += f": the top-left {rows} × {cols} of each {height} × {width} map"
    values = [v for m in view.values for row in m for v in row if math.isfinite(v)] or [0.0]
    line += f"; one colour scale for every map, from {signed(min(values))} to {signed(max(values))}"
    if view.kernels:
        inputs = ", ".join(str(i) for i in view.kernel_inputs[:LISTED]) or "0"
        line += f"; under each map, the kernel that made it (input channel {inputs})"
    return line + "."


@drawn.register
def _(view: ImageView) -> str:
    image = view.values[0] if view.values else ()
    return (f"Drawn: all {len(image)} × {len(image[0]) if image else 0} pixels, from white (no ink, 0) to dark "
            f"(full ink, {plain(view.full)}).")


def _descending(values: Sequence[float]) -> bool:
    finite = [v for v in values if math.isfinite(v)]
    return all(a >= b for a, b in itertools.pairwise(finite))


# --- the numbers, as rows --------------------------------------------------------------------------

@singledispatch
def data_rows(view: View) -> Rows:
    """The numbers behind a view's picture, as table rows."""
    return []


@data_rows.register
def _(view: TokensView) -> Rows:
    rows = [{"Position": str(i + 1), "Token": t, "Id": str(x), "Holds": m.label}
            for i, (t, x, m) in enumerate(zip(view.tokens, view.ids, view.marks, strict=False))]
    for row, p in zip(rows, view.probs, strict=False):
        row["Probability"] = percent(p)
    return rows


@data_rows.register
def _(view: MatrixView) -> Rows:
    rows = [{view.row_title.capitalize(): f"{i + 1} · {r}", "Numbers": preview(list(row), 8)}
            for i, (r, row) in enumerate(zip(view.rows, view.values, strict=False))]
    for row, change in zip(rows, view.row_change, strict=False):
        row[f"Moved from {view.change_from or 'the stage before'}"] = plain(change)
    return rows


@data_rows.register
def _(view: VectorView) -> Rows:
    return [{"Number": view.labels[i] if i < len(view.labels) else str(i + 1), "Value": signed(v, 3)}
            for i, v in enumerate(view.values)]


@data_rows.register
def _(view: ProbabilitiesView) -> Rows:
    return [{"Answer": label, "Probability": percent(p)} for label, p in zip(view.labels, view.values, strict=False)]


@data_rows.register
def _(view: DecoderStepView) -> Rows:
    return [{"Choice": str(k + 1), "Token": t, "Probability": percent(p)} for k, (t, p) in enumerate(view.step.top)]


@data_rows.register
def _(view: DecoderStepsView) -> Rows:
    return [{"Step": str(s.step), "Input": s.input, "Wrote": s.chosen,
             "Top choices": ", ".join(f"{t} {percent(p)}" for t, p in s.top)} for s in view.steps]


@data_rows.register
def _(view: AttentionView) -> Rows:
    rows = []
    keys = real_rows(view.col_marks, len(view.cols))
    for h, weights in enumerate(view.weights):
        for r in real_rows(view.row_marks, len(view.rows)):
            row = weights[r]
            top = sorted((c for c in keys if c < len(row)), key=lambda c, row=row: -_finite(row[c]))[:3]
            rows.append({"Head": str(h + 1), "Word": view.rows[r],
                         "Looks most at": ", ".join(f"{view.cols[c]} {percent(row[c])}" for c in top)})
    return rows


@data_rows.register
def _(view: LSTMGatesView) -> Rows:
    return [{"Word": token, **{f"mean {name}": signed(_mean(getattr(view, name)[t]))
                               for name, _ in LSTMGatesView.GATES}} for t, token in enumerate(view.tokens)]


@data_rows.register
def _(view: FeatureMapsView) -> Rows:
    rows = []
    for channel, m, strength in zip(view.channels, view.values, map_strengths(view), strict=False):
        r, c = strongest_at(m)
        top = m[r][c] if m and m[0] else math.nan
        rows.append({"Channel": str(channel), "Mean size": plain(strength), "Largest": signed(top),
                     "Where (row, column)": f"{r + 1}, {c + 1}"})
    return rows


def _mean(row: Sequence[float]) -> float:
    return sum(row) / max(len(row), 1)


def row_means(values: Matrix) -> list[float]:
    """Each row's mean (a gate's mean over the hidden units at each word)."""
    return [_mean(row) for row in values]
