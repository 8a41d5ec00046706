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
    PanelsView,
    ProbabilitiesView,
    ScoresView,
    SpaceView,
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
    head: int = -1  # the head (or panel) the cells are in, when the picture has several


def fmt_dims(view: View) -> str:
    """The view's shape with its dimensions named when the view names them: ``1 sentence × 10 positions × 50
    embedding features`` (else ``1 × 10 × 50``)."""
    if len(view.dims) != len(view.shape) or None in view.shape:
        return fmt_shape(view.shape)
    return " × ".join(count(n or 0, name) for n, name in zip(view.shape, view.dims, strict=True))  # no None here


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
    if not view.rows and len(at) == 2:  # a traced model's positions: no words to name them
        a, b = at
        return (f"Each position is now {count(width, 'number')}; positions {a + 1} and {b + 1} have the most alike "
                f"vectors (cosine similarity {plain(_cosine(view.values[a], view.values[b]))}; 1 is the same "
                "direction).")
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
    shape = _known(view.shape)
    dims = (shape[1:] if len(shape) > 1 else shape) if shape is not None else ()
    return math.prod(dims) if dims else 0


def _known(shape: Sequence[int | None]) -> tuple[int, ...] | None:
    """``shape`` when every dimension of it is known, else None."""
    return None if any(d is None for d in shape) else tuple(d for d in shape if d is not None)


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
    if cols and s.attention:
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
        if _positions(view):
            return (f"Position {view.cols[j]} draws the most attention: each position gives it {percent(share)} of "
                    f"its attention{heads}.")
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
    return Focus(cells=tuple((r, _ranked(cols, grid[r])[0]) for r in rows if cols and r < len(grid)))


def _ranked(cols: Sequence[int], row: Sequence[float]) -> list[int]:
    """``cols`` from the largest finite weight in ``row`` down (equals keep their order)."""
    return sorted(cols, key=lambda c: -_finite(row[c]))


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
    shape = _known(view.shape)
    if not view.rows and shape is not None and len(shape) >= 2:  # a traced call's sample: say which part
        rows = math.prod(shape[1:-1]) if len(shape) > 2 else 1
        part = f"{_part(len(real), rows, view.row_title)} × {_part(width, shape[-1], view.col_title)}"
        return f"Drawn: {part} of the first example, {scale}."
    return f"Drawn: {count(len(real), view.row_title)}{left_out} × {count(width, view.col_title)}, {scale}."


def _part(drawn: int, whole: int, noun: str) -> str:
    """``all 10 positions`` or ``the first 4 of 50 features``."""
    return f"the first {drawn:,} of {count(whole, noun)}" if whole > drawn else count(whole, noun)


@drawn.register
def _(view: VectorView) -> str:
    whole = _whole(view)
    what = f"the first {len(view.values):,} of the {whole:,} numbers of the first example" if whole > len(
        view.values) else f"all {count(len(view.values), 'number')}"
    return f"Drawn: {what} as bars, blue above zero, orange below."


@drawn.register
def _(view: ProbabilitiesView) -> str:
    whole = view.shape[-1] if view.shape and view.shape[-1] is not None else 0
    if whole > len(view.values):  # a traced model's top answers
        return f"Drawn: the {len(view.values):,} most likely of the {count(whole, 'answer')}, ranked."
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
    shape = _known(view.shape)
    if _positions(view) and shape is not None and len(shape) == 4:  # a traced call: say which part
        heads = len(view.weights)
        which = f"all {count(heads, 'head')}" if heads == shape[1] else f"{heads} of its {shape[1]:,} heads"
        queries = _part(len(rows), shape[2], "query position")
        keys = _part(len(cols), shape[3], "key position")
        first = "the first example" if shape[0] == 1 else f"the first of {shape[0]:,} in its first dimension"
        top = max((w for head in view.weights for row in head for w in row if math.isfinite(w)), default=0.0)
        return (f"Drawn: {which} of {first}, each {queries} × {keys}; each row of weights sums to one over all its "
                f"keys; colours from 0 to the largest weight drawn, {percent(top)}.")
    return f"Drawn: {count(len(view.weights), 'head')}, each {len(rows)} × {len(cols)} words{left_out}."


def _positions(view: AttentionView) -> bool:
    """Whether the view's rows and columns are positions (a traced model's attention), not words."""
    return "query position" in view.dims


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
            top = _ranked([c for c in keys if c < len(row)], row)[:3]
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


# --- the attention block opened up, and words in space -----------------------------------------------------------

def top_score(view: ScoresView) -> tuple[int, int, int] | None:
    """(head, row, col) of the highest score between real words that the mask leaves, or None."""
    rows = real_rows(view.row_marks, len(view.rows))
    cols = [c for c in real_rows(view.col_marks, len(view.cols)) if not (c < len(view.masked) and view.masked[c])]
    cells = [(h, r, c) for h, grid in enumerate(view.scores) for r in rows if r < len(grid) for c in cols
             if c < len(grid[r]) and math.isfinite(grid[r][c])]
    return max(cells, key=lambda x: view.scores[x[0]][x[1]][x[2]]) if cells else None


@reading.register
def _(view: PanelsView) -> str:
    point = _panels_point(view)
    if point is None:
        width = len(view.values[0][0]) if view.values and view.values[0] else 0
        return f"{count(len(view.values), 'panel')} of {count(width, 'number')} per word."
    (_, row, group), number = point
    word = view.rows[row] if row < len(view.rows) else f"row {row + 1}"
    size = _group_size(view)
    if view.point == "queries":
        return (f"Each word now has a query (what it looks for), a key (what it offers) and a value (what it passes "
                f"on): {count(view.groups, view.group_title)} × {count(size, 'number')} each. The longest query is "
                f"“{word}”'s in {view.group_title} {group + 1} (length {plain(number)}): the longer a query, the "
                "sharper that word's attention.")
    if view.point == "mix":
        k = _mix_source(view, group, row)
        source = "its own value" if k == row else f"“{view.rows[k]}”'s value"
        return (f"Each word's new vector is the weighted sum of every word's value, {view.group_title} by "
                f"{view.group_title}, the {count(view.groups, view.group_title)}' numbers side by side again: "
                f"“{word}” takes {percent(number)} of its {view.group_title}-{group + 1} mix from {source}, the "
                "largest share of any.")
    return (f"The projection mixes the heads into what attention adds to each word, and the residual adds it to the "
            f"word's own vector, so nothing is lost: it changes “{word}” most for its size (it adds a vector "
            f"{plain(number)} times as long as the word's own). LayerNorm then scales each word to mean 0 and "
            "spread 1 for the feed-forward net.")


def _group_size(view: PanelsView) -> int:
    width = len(view.values[0][0]) if view.values and view.values[0] else 0
    return width // view.groups if view.groups > 0 and width % view.groups == 0 else width


def _panels_point(view: PanelsView) -> tuple[tuple[int, int, int], float] | None:
    """((panel, row, group), number) that the verdict names: the longest query (per group) for ``queries``, the
    largest weight for ``mix``, the word attention changed most for its size for ``residual``; None otherwise."""
    n = len(view.values[0]) if view.values else 0
    real = real_rows(view.row_marks, n)
    size = _group_size(view)
    found: list[tuple[tuple[int, int, int], float]] = []
    if view.point == "queries" and real and size:
        found = [((0, r, g), _norm(view.values[0][r][g * size:(g + 1) * size])) for r in real
                 for g in range(max(view.groups, 1))]
    elif view.point == "mix":
        found = [((0, r, g), w) for g, grid in enumerate(view.weights) for r in real if r < len(grid)
                 for w in [max((_finite(grid[r][k]) for k in real if k < len(grid[r])), default=-math.inf)]]
    elif view.point == "residual" and len(view.values) >= 2:
        added, total = view.values[0], view.values[1]
        for r in real:
            own = _norm([t - a for t, a in zip(total[r], added[r], strict=False)])
            found.append(((1, r, 0), _norm(added[r]) / own if own > 0 else -math.inf))
    found = [f for f in found if math.isfinite(f[1])]
    return max(found, key=lambda f: f[1]) if found else None


def _mix_source(view: PanelsView, group: int, row: int) -> int:
    """The word whose value makes up most of ``row``'s mix in ``group``."""
    grid = view.weights[group][row]
    real = real_rows(view.row_marks, len(grid))
    return max(real or [0], key=lambda k: _finite(grid[k]))


@reading.register
def _(view: ScoresView) -> str:
    best = top_score(view)
    masked = sum(view.masked)
    mask = (f"; the {count(masked, 'padding key')} {'is' if masked == 1 else 'are'} masked, so the softmax will give "
            f"{'it' if masked == 1 else 'them'} exactly 0") if masked else ""
    if best is None:
        return f"{count(len(view.scores), 'head')} of scores{mask}."
    h, r, c = best
    heads = f" in head {h + 1}" if len(view.scores) > 1 else ""
    return (f"The highest score: “{view.rows[r]}” looking at “{view.cols[c]}”{heads}, "
            f"{signed(view.scores[h][r][c])} (q·k ÷ {plain(view.scale)}){mask}.")


@reading.register
def _(view: SpaceView) -> str:
    pair = _closest(view)
    plane = f"on the table's two main directions ({_kept(view)} of its variance)" if _kept(view) else \
        "on the table's two main directions"
    if pair is None:
        return f"{count(len(view.words), 'word')} as points {plane}."
    a, b = pair
    line = (f"Of {'your words' if len(set(view.marked)) > 1 else 'the words'}, “{view.words[a]}” and "
            f"“{view.words[b]}” lie closest ({plain(_distance(view, a, b))} apart) {plane}")
    far = _farthest(view, pair)
    if far is not None:
        line += f"; “{view.words[far]}” lies farthest from them"
    return line + "."


def _kept(view: SpaceView) -> str:
    share = sum(v for v in view.variance if math.isfinite(v))
    return percent(share) if share > 0 else ""


def _distance(view: SpaceView, a: int, b: int) -> float:
    (xa, ya), (xb, yb) = view.points[a], view.points[b]
    return math.hypot(xa - xb, ya - yb)


def _marked(view: SpaceView) -> list[int]:
    return [i for i in dict.fromkeys(view.marked) if 0 <= i < len(view.points)]


def _closest(view: SpaceView) -> tuple[int, int] | None:
    """The closest two of the marked words; with one marked, it and its nearest word; with none, any closest two."""
    marked = _marked(view)
    everyone = range(len(view.points))
    if len(marked) >= 2:
        pairs = [(a, b) for k, a in enumerate(marked) for b in marked[k + 1:]]
    elif marked:
        pairs = [(marked[0], b) for b in everyone if b != marked[0]]
    else:
        pairs = [(a, b) for a in everyone for b in everyone if a < b][:20_000]
    finite = [p for p in pairs if math.isfinite(_distance(view, *p))]
    return min(finite, key=lambda p: _distance(view, *p)) if finite else None


def _farthest(view: SpaceView, pair: tuple[int, int]) -> int | None:
    """The marked word farthest from the closest pair (from the nearer of the two), when three or more are marked."""
    others = [i for i in _marked(view) if i not in pair]
    if not others:
        return None
    return max(others, key=lambda i: min(_distance(view, i, pair[0]), _distance(view, i, pair[1])))


@focus.register
def _(view: PanelsView) -> Focus:
    point = _panels_point(view)
    if point is None:
        return Focus()
    (panel, row, group), _ = point
    size = _group_size(view)
    cols = tuple(range(group * size, (group + 1) * size)) if view.point in ("queries", "mix") else ()
    return Focus(rows=(row,), cols=cols, head=panel)


@focus.register
def _(view: ScoresView) -> Focus:
    best = top_score(view)
    return Focus(cells=((best[1], best[2]),), head=best[0]) if best else Focus()


@focus.register
def _(view: SpaceView) -> Focus:
    pair = _closest(view)
    return Focus(rows=pair) if pair else Focus()


@drawn.register
def _(view: PanelsView) -> str:
    n = len(view.values[0]) if view.values else 0
    rows = real_rows(view.row_marks, n)
    width = len(view.values[0][0]) if n else 0
    left_out = f" (the {count(n - len(rows), 'padding row')} left out)" if len(rows) < n else ""
    groups = f", in {view.groups} groups of {width // view.groups} (one per {view.group_title})" \
        if view.groups > 1 and width % view.groups == 0 else ""
    return (f"Drawn: {count(len(view.values), 'panel')}, each {count(len(rows), 'word')}{left_out} × "
            f"{count(width, view.col_title)}{groups}; colours centred on 0.")


@drawn.register
def _(view: ScoresView) -> str:
    rows = real_rows(view.row_marks, len(view.rows))
    masked = sum(view.masked)
    keys = len(view.cols) - masked
    mask = f", and the {count(masked, 'masked key')} as one grey column (−∞)" if masked else ""
    return (f"Drawn: {count(len(view.scores), 'head')}, each {count(len(rows), 'word')} looking × "
            f"{count(keys, 'word')} looked at{mask}; colours centred on 0.")


@drawn.register
def _(view: SpaceView) -> str:
    whole = view.vocabulary or len(view.words)
    kept = f"all {count(whole, 'word')}" if whole <= len(view.words) else \
        f"{count(len(view.words), 'word')} of the {whole:,} (the most frequent)"
    marked = len(_marked(view))
    mine = f", your {count(marked, 'word')} in blue" if marked else ""
    return (f"Drawn: {kept} of the embedding table after epoch {view.epoch}, projected on the two directions that "
            f"keep the most of its variance (PCA, fitted once on the last epoch){mine}.")


@data_rows.register
def _(view: PanelsView) -> Rows:
    rows = []
    n = len(view.values[0]) if view.values else 0
    for r in real_rows(view.row_marks, n):
        row = {"Word": f"{r + 1} · {view.rows[r]}" if r < len(view.rows) else str(r + 1)}
        for title, grid in zip(view.panels, view.values, strict=False):
            row[f"{title}: length"] = plain(_norm(grid[r]))
        rows.append(row)
    return rows


@data_rows.register
def _(view: ScoresView) -> Rows:
    rows = []
    keys = [c for c in real_rows(view.col_marks, len(view.cols)) if not (c < len(view.masked) and view.masked[c])]
    for h, grid in enumerate(view.scores):
        for r in real_rows(view.row_marks, len(view.rows)):
            rows.append({"Head": str(h + 1), "Word": view.rows[r],
                         "Scores": ", ".join(f"{view.cols[c]} {signed(grid[r][c])}" for c in keys)})
    return rows


@data_rows.register
def _(view: SpaceView) -> Rows:
    marked = set(_marked(view))
    order = sorted(range(len(view.words)), key=lambda i: (i not in marked, i))
    return [{"Word": view.words[i], "Yours": "yes" if i in marked else "", "Direction 1": signed(view.points[i][0]),
             "Direction 2": signed(view.points[i][1])} for i in order]


# --- the time-lapse: what changed most from one epoch to the next ------------------------------------------------

GATE_WORDS = {"i": ("the input gate", "opens", "closes"), "f": ("the forget gate", "opens (keeps more memory)",
                                                                  "closes (clears memory)"),
              "o": ("the output gate", "opens", "closes")}


@dataclass(frozen=True)
class Change:
    """What changed most in one stage's view from one epoch to the next: how much (comparable across the epochs of
    one stage), the word it is about, and the sentence that says so."""

    size: float
    word: str
    line: str


@singledispatch
def change(before: View, after: View) -> Change | None:
    """What changed most from ``before`` to ``after`` (the same stage after two epochs), or None."""
    return None


@change.register
def _(before: LSTMGatesView, after: LSTMGatesView) -> Change | None:
    if before.tokens != after.tokens:
        return None
    found = []
    for name in GATE_WORDS:
        old, new = row_means(getattr(before, name)), row_means(getattr(after, name))
        found += [(abs(b - a), name, t, a, b) for t, (a, b) in enumerate(zip(old, new, strict=False))
                  if math.isfinite(a) and math.isfinite(b)]
    if not found:
        return None
    size, name, t, a, b = max(found)
    gate, up, down = GATE_WORDS[name]
    return Change(size, after.tokens[t], f"{gate} at “{after.tokens[t]}” changed most (mean {plain(a)} → {plain(b)}): "
                                         f"it {up if b > a else down} there.")


@change.register
def _(before: AttentionView, after: AttentionView) -> Change | None:
    if after.rows == after.cols and before.cols == after.cols:  # self-attention: what each word draws
        old, new = _received(before), _received(after)
        keys = real_rows(after.col_marks, len(after.cols))
        if not keys:
            return None
        k = max(keys, key=lambda j: abs(new[j] - old[j]))
        more = "more" if new[k] > old[k] else "less"
        return Change(abs(new[k] - old[k]), after.cols[k],
                      f"“{after.cols[k]}” now draws {more} attention: {percent(new[k])} of each word's, from "
                      f"{percent(old[k])}.")
    if before.rows != after.rows:  # a decoder that now writes something else
        written = " ".join(r for r, m in zip(after.rows, after.row_marks, strict=False) if m is Mark.WORD)
        was = " ".join(r for r, m in zip(before.rows, before.row_marks, strict=False) if m is Mark.WORD)
        return Change(1.0, written, f"it now writes “{written}” (it wrote “{was}”), and looks where the new picture "
                                    "shows.")
    cells = [(abs(after.weights[0][r][c] - before.weights[0][r][c]), r, c) for r in range(len(after.rows))
             for c in range(len(after.cols)) if r < len(before.weights[0]) and c < len(before.weights[0][r])]
    if not cells:
        return None
    size, r, c = max(cells)
    return Change(size, after.cols[c], f"writing “{after.rows[r]}”, it now gives “{after.cols[c]}” "
                                       f"{percent(after.weights[0][r][c])} of its attention, from "
                                       f"{percent(before.weights[0][r][c])}.")


@change.register
def _(before: SpaceView, after: SpaceView) -> Change | None:
    if before.words != after.words or not after.points:
        return None
    movers = _marked(after) or list(range(len(after.points)))
    moved = [(math.hypot(after.points[i][0] - before.points[i][0], after.points[i][1] - before.points[i][1]), i)
             for i in movers]
    moved = [m for m in moved if math.isfinite(m[0])]
    if not moved:
        return None
    size, i = max(moved)
    line = f"“{after.words[i]}” moved most (by {plain(size)})"
    pair = _closest(after)
    if pair is not None and i not in pair:
        line += f"; “{after.words[pair[0]]}” and “{after.words[pair[1]]}” are now the closest of your words"
    elif pair is not None:
        other = pair[1] if pair[0] == i else pair[0]
        line += f", {'towards' if _distance(after, *pair) < _distance(before, *pair) else 'away from'} " \
                f"“{after.words[other]}” ({plain(_distance(after, *pair))} apart now)"
    return Change(size, after.words[i], line + ".")


def epoch_verdicts(frames: Sequence[tuple[int, View]]) -> list[str]:
    """A verdict per epoch of one stage's time-lapse: what changed most since the epoch before (the first epoch: what
    the picture shows)."""
    lines = []
    for k, (epoch, view) in enumerate(frames):
        moved = change(frames[k - 1][1], view) if k else None
        lines.append(f"Epoch {epoch}: " + (moved.line if moved else reading(view)))
    return lines


def biggest_change(frames: Sequence[tuple[int, View]]) -> tuple[int, Change] | None:
    """(index of the later epoch, what changed) for the step between two epochs where the most changed."""
    steps = [(k, c) for k in range(1, len(frames)) if (c := change(frames[k - 1][1], frames[k][1])) is not None]
    return max(steps, key=lambda s: s[1].size) if steps else None
