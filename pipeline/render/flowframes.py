"""The frames of the data-flow animation: what each prediction layer shows while the first example moves.

``view_shots(view, flow)`` turns one typed view into its shots (one per animation frame) with the
builder registered for the view's type (``functools.singledispatch``, like ``figures.layer_figure``):
a new kind of view adds its frames here, in one function. A shot (``shots.Shot``) is plain data that
``animation`` draws with the same fixed set of traces in every frame. A builder may look back at what
earlier views showed (``Flow``): the embedding rows name the ids of the tokens before them, the
probabilities keep the vector they come from in view.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import singledispatch

from pipeline.document.views import (
    AttentionView,
    DecoderStep,
    DecoderStepsView,
    DecoderStepView,
    FeatureMapsView,
    LSTMGatesView,
    Mark,
    MatrixView,
    ProbabilitiesView,
    TextView,
    TokensView,
    VectorView,
    View,
)
from pipeline.render.describe import reading
from pipeline.render.figures import SEQUENTIAL, esc, heatmap_scale
from pipeline.render.numbers import percent
from pipeline.render.shots import (
    LABEL_CHARS,
    LOWER,
    MARK_ORDER,
    MARK_WORDS,
    MAX_CELL_TEXT,
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_TEXT_COLUMNS,
    STRIP,
    TOP_CHOICES,
    UPPER,
    WHOLE,
    Bars,
    Grid,
    Shot,
    bold,
    finite_or_low,
    groups,
    mark_of,
    mark_scale,
    marks_for,
    matrix_heading,
    padded,
    rounded,
    row_labels,
    sentence,
    short,
    value_grid,
)


@dataclass
class Flow:
    """What earlier views showed: a later view refers back to it (ids of the tokens, the last vector)."""

    tokens: TokensView | None = None  # the first tokens view: its ids name the embedding rows
    previous: View | None = None
    positions: MatrixView | None = None  # the last matrix over positions
    shots: list[Shot] = field(default_factory=list)


def flow_shots(views: Sequence[View], stage_keys: Sequence[str]) -> list[Shot]:
    """Every view's shots in order, each tagged with the stage (index into ``stage_keys``) it belongs to."""
    flow, stages = Flow(), assign_stages(views, stage_keys)
    for view, stage in zip(views, stages, strict=True):
        flow.shots += [replace(s, stage=stage) for s in view_shots(view, flow)]
        flow.previous = view
    return flow.shots


def assign_stages(views: Sequence[View], stage_keys: Sequence[str]) -> list[int]:
    """The stage of each view: the one it names (``view.stage``), else the one with its key or whose key starts it
    (``encoder_states`` -> ``encoder``), else the stage after the last one matched (a traced model's views).
    Linear in the number of views and stages: a file of thousands of stages is drawn as fast as its size allows."""
    index = {key: i for i, key in reversed(list(enumerate(stage_keys)))}  # the first stage of a repeated key
    result, matched = [], -1
    for view in views:
        match = index.get(view.stage, index.get(view.key))
        if match is None:
            parts = view.key.split("_")
            match = next((index[p] for k in range(1, len(parts)) if (p := "_".join(parts[:k])) in index), None)
        if match is None:
            result.append(min(matched + 1, len(stage_keys) - 1))
            continue
        result.append(match)
        matched = match
    return result


@singledispatch
def view_shots(view: View, flow: Flow) -> list[Shot]:
    """The shots of one view, by its type (a new view type registers one builder)."""
    raise TypeError(f"no data-flow frames are registered for {type(view).__name__}")


@view_shots.register
def _text(view: TextView, flow: Flow) -> list[Shot]:
    text = " ".join(view.text.split())
    return [Shot(line=f"{view.title}: “{short(text, 60)}” goes in, {len(view.text):,} characters.", words=text)]


@view_shots.register
def _tokens(view: TokensView, flow: Flow) -> list[Shot]:
    n = len(view.ids)
    marks, tokens = marks_for(view.marks, n), padded(view.tokens, n)
    first = flow.tokens is None
    if first:
        flow.tokens = view
    legend = ", ".join(f"{m.symbol} {MARK_WORDS[m]}" for m in dict.fromkeys(marks) if m.symbol)
    heading = "Each word → its id" + (f" ({legend})" if legend else "")
    shots = []
    for start, stop, line in _token_steps(view, marks, tokens) if first else [(0, n, _token_list(view, tokens))]:
        z = [[MARK_ORDER.index(m) if i < stop else None] for i, m in enumerate(marks)]
        text = [[f"{view.ids[i]:,}" if i < stop else ""] for i in range(n)]
        shots.append(Shot(line=line, grid=Grid(
            z=z, rows=row_labels(tokens, marks, stop - 1 if stop - start == 1 else -1), cols=["id"],
            heading=heading, cell_text=text, focus=(start, stop - 1, 0, 0), band=WHOLE, width=0.3,
            scale={"colorscale": mark_scale(), "zmin": 0, "zmax": len(MARK_ORDER)},
            hover="position %{y}: id %{text}")))
    return shots


def _token_steps(view: TokensView, marks: list[Mark], tokens: list[str]) -> list[tuple[int, int, str]]:
    real = [i for i, m in enumerate(marks) if m is not Mark.PAD]
    steps = [(g[0], g[-1] + 1, _token_line(tokens, view.ids, marks, g)) for g in groups(real)]
    pads = [i for i, m in enumerate(marks) if m is Mark.PAD]
    if pads:
        steps.append((pads[0], len(marks), f"{len(pads):,} × <pad> → id {view.ids[pads[0]]:,}: padding fills the "
                                           f"row to {len(marks):,} ids."))
    return steps


def _token_line(tokens: list[str], ids: Sequence[int], marks: list[Mark], group: list[int]) -> str:
    if len(group) > 1:
        return f"Words {group[0] + 1}–{group[-1] + 1} become ids " + ", ".join(str(ids[i]) for i in group) + "."
    i = group[0]
    what = "is not in the vocabulary → <unk>," if marks[i] is Mark.UNK else "→"
    return f"Word {i + 1}: “{tokens[i]}” {what} id {ids[i]:,} ({marks[i].label})."


def _token_list(view: TokensView, tokens: list[str]) -> str:
    pairs = ", ".join(f"“{t}” → {i:,}" for t, i in list(zip(tokens, view.ids, strict=False))[:8])
    words = " ".join(t for t, m in zip(tokens, view.marks, strict=False) if m is Mark.WORD)
    return f"{view.title}: {pairs}{', …' if len(view.ids) > 8 else ''}" + (f". It reads “{words}”." if words else ".")


@view_shots.register
def _matrix(view: MatrixView, flow: Flow) -> list[Shot]:
    drawn = view.values if view.rows else view.values[:MAX_ROWS]  # unnamed rows: only those a frame shows
    z = [[rounded(v) for v in row[:MAX_COLUMNS]] for row in drawn]
    if not z or not z[0]:
        return [Shot(line=f"{view.title}: no values.")]
    n, cols = len(view.values), len(view.values[0])
    heading = matrix_heading(view.title, view.shape, n, cols)
    if not view.rows:  # a sample with unnamed rows: all at once
        z = z[:MAX_ROWS]
        stacked = f" · example 1 as {n:,} rows" if len(view.shape) > 3 else ""
        more = f", the first {MAX_ROWS}" if n > MAX_ROWS else ""
        return [Shot(line=sentence(view.title, view.description), grid=value_grid(
            z, [f"{i + 1:,}" for i in range(len(z))], heading + stacked + more, WHOLE))]
    flow.positions = view
    marks, rows = marks_for(view.row_marks, n), padded(view.rows, n)
    tokens = flow.tokens
    lookup = isinstance(flow.previous, TokensView) and tokens is not None and tuple(rows) == padded(tokens.tokens, n)
    real = [i for i, m in enumerate(marks) if m is not Mark.PAD]
    pads = [i for i, m in enumerate(marks) if m is Mark.PAD]
    steps = [(g[0], g[-1] + 1) for g in groups(real)] + ([(pads[0], n)] if pads else [])
    scale = heatmap_scale([v for row in z for v in row if v is not None])
    shots = []
    for start, stop in steps:
        shown = z[:stop]  # the rows still to come are left out: the axis keeps their place
        if start in pads:
            line = (f"{len(pads):,} × <pad> → id {tokens.ids[start]:,} → row {tokens.ids[start]:,} of the table "
                    f"(positions {start + 1}–{n})." if lookup and tokens else
                    f"{view.title}: positions {start + 1}–{n} hold padding (<pad>).")
        elif stop - start > 1:
            line = f"{view.title}: words {start + 1}–{stop} fill rows {start + 1}–{stop}."
        elif lookup and tokens:
            line = f"“{rows[start]}” → id {tokens.ids[start]:,} → row {tokens.ids[start]:,} of the embedding table."
        else:
            line = f"{view.title}: “{rows[start]}” (word {real.index(start) + 1} of {len(real)}) → row {start + 1}, " \
                   f"{cols:,} numbers."
        grid = value_grid(shown, row_labels(rows, marks, start if stop - start == 1 else -1), heading, WHOLE,
                           scale=scale)
        shots.append(Shot(line=line, grid=replace(grid, focus=(start, stop - 1, 0, len(z[0]) - 1),
                                                  hover="position %{y}<br>number %{x}<br>value %{z:.3f}")))
    return shots


@view_shots.register
def _vector(view: VectorView, flow: Flow) -> list[Shot]:
    line = sentence(view.title, view.description)
    matrix, row = flow.positions, _matching_row(view, flow.positions)
    before = flow.shots[-1].grid if flow.shots else None
    if matrix is not None and row is not None and before is not None and len(before.z) == len(matrix.values):
        # The vector is one row of the matrix just shown (an LSTM's state after the last real word): point at it.
        line += f" It is row {row + 1}, the state after “{matrix.rows[row]}”."
        labels = [label.removeprefix("<b>").removesuffix("</b>") for label in before.rows]
        labels[row] = f"<b>{labels[row]}</b>"
        return [Shot(line=line, grid=replace(before, rows=labels, focus=(row, row, 0, len(before.z[0]) - 1)))]
    return [Shot(line=line, grid=vector_strip(view))]


def vector_strip(view: VectorView) -> Grid:
    """A vector as one row of a heatmap: a thin strip, or cells with numbers when it is short."""
    values = [rounded(v) for v in view.values[:MAX_COLUMNS]]
    few = len(values) <= MAX_TEXT_COLUMNS
    grid = value_grid([values], [""], matrix_heading(view.title, view.shape, 1, len(view.values)),
                       WHOLE if few else STRIP)
    if view.labels and len(view.labels) == len(view.values):
        grid = replace(grid, cols=[short(label, LABEL_CHARS) for label in view.labels[:MAX_COLUMNS]])
    return replace(grid, hover="number %{x}<br>value %{z:.3f}")


@view_shots.register
def _probabilities(view: ProbabilitiesView, flow: Flow) -> list[Shot]:
    labels = [short(label, LABEL_CHARS) for label in view.labels] or [str(i + 1) for i in range(len(view.values))]
    best = view.best if view.values else 0
    answer = f"“{view.labels[best] if best < len(view.labels) else best + 1}” ({percent(view.values[best])})"
    line, strip = f"{view.title}: the answer is {answer}.", None
    if isinstance(flow.previous, VectorView):
        count = len(flow.previous.values)
        line = f"{view.title}: {count:,} numbers → {len(labels)} scores → probabilities. The answer: {answer}."
        strip = replace(vector_strip(flow.previous), band=STRIP, xticks=False)
    bars = Bars(labels=labels, values=[rounded(v, 5) for v in view.values], highlight=best,
                band=LOWER if strip else WHOLE, heading=f"{view.title} · probability of each class")
    return [Shot(line=line, grid=strip, bars=bars)]


@view_shots.register
def _decoder(view: DecoderStepsView, flow: Flow) -> list[Shot]:
    steps = view.steps
    if not steps:
        return [Shot(line=f"{view.title}: no steps.")]
    shots = []
    for group in groups(list(range(len(steps)))):
        last = group[-1]
        step = steps[last]
        written = " ".join(s.chosen for s in steps[: last + 1])
        grid = _attention_grid(view, last, group[0]) if step.attention else _memory_grid(view, last, group[0])
        top = list(step.top[:TOP_CHOICES])
        bars = Bars(labels=[short(t, LABEL_CHARS) for t, _ in top], values=[rounded(p, 5) for _, p in top],
                    highlight=next((i for i, (t, _) in enumerate(top) if t == step.chosen), 0), band=LOWER,
                    heading=f"Output so far: {written} · top {len(top)} choices at step {step.step}")
        shots.append(Shot(line=_decoder_line(view, step, last), grid=grid, bars=bars))
    return shots


@view_shots.register
def _decoder_step(view: DecoderStepView, flow: Flow) -> list[Shot]:
    return _decoder(DecoderStepsView(key=view.key, title=view.title, description=view.description,
                                     steps=(view.step,), source=view.source), flow)


def _decoder_line(view: DecoderStepsView, step: DecoderStep, index: int) -> str:
    chosen = dict(step.top).get(step.chosen)
    sure = f" ({percent(chosen)})" if chosen is not None else ""
    start = "The context seeds the decoder; with" if index == 0 else f"Step {step.step}:"
    line = f"{start} input “{step.input}” → it writes “{step.chosen}”{sure}."
    attention = step.attention
    if attention and view.source:
        w = max(range(len(attention)), key=lambda i: finite_or_low(attention[i]))
        if w < len(view.source):
            line += f" It looks most at “{view.source[w]}” ({percent(attention[w])})."
    return line


def _attention_grid(view: DecoderStepsView, last: int, first: int) -> Grid:
    source = list(view.source) or [str(i + 1) for i in range(len(view.steps[0].attention or ()))]
    z = [[rounded(s.attention[w]) if j <= last and s.attention and w < len(s.attention) else None
          for j, s in enumerate(view.steps)] for w in range(len(source))]
    return Grid(z=z, rows=row_labels(source, [mark_of(t) for t in source], -1), band=UPPER, xticks=True,
                cols=[short(s.chosen, 4) for s in view.steps], cell_format="",
                heading="Attention over the source words, one column per step", focus=(0, len(source) - 1, first, last),
                scale={"colorscale": SEQUENTIAL, "zmin": 0, "zmax": 1}, hover="source word %{y}<br>step %{x}<br>"
                                                                              "attention %{z:.0%}")


def _memory_grid(view: DecoderStepsView, last: int, first: int) -> Grid:
    width = max(len(s.hidden) for s in view.steps)
    z = [[rounded(v) for v in s.hidden] + [None] * (width - len(s.hidden)) for s in view.steps[: last + 1]]
    rows = [f"{s.step} · {short(s.input, 5)} → {short(s.chosen, 5)}" for s in view.steps]
    labels = [bold(esc(r)) if first <= j <= last else esc(r) for j, r in enumerate(rows)]
    every = [v for s in view.steps for v in s.hidden if math.isfinite(v)]
    grid = value_grid(z, labels, f"Decoder memory: first {width} numbers, a row per step", UPPER,
                       scale=heatmap_scale(every or [0.0]))
    return replace(grid, focus=(first, last, 0, width - 1), xticks=False,
                   hover="step %{y}<br>number %{x}<br>value %{z:.3f}")


@view_shots.register
def _attention(view: AttentionView, flow: Flow) -> list[Shot]:
    heads = len(view.weights)
    if not heads or not view.rows:
        return [Shot(line=f"{view.title}: no weights.")]
    row_marks, col_marks = marks_for(view.row_marks, len(view.rows)), marks_for(view.col_marks, len(view.cols))
    names = [f"head {h + 1}" for h in range(heads)]  # the heads' own titles are long; the Prediction page has them
    real = [i for i, m in enumerate(row_marks) if m is not Mark.PAD]
    shots = []
    for group in groups(real):
        i = group[-1]
        z = [[rounded(view.weights[h][i][w]) for h in range(heads)] for w in range(len(view.cols))]
        best = [max(range(len(view.cols)), key=lambda w, h=h: finite_or_low(view.weights[h][i][w]))
                for h in range(heads)]
        pulls = ", ".join(f"{h + 1} → “{short(view.cols[w], 12)}”" for h, w in enumerate(best))
        line = f"“{view.rows[i]}” (word {real.index(i) + 1} of {len(real)}) looks at every word; each head's " \
               f"strongest pull: {pulls}."
        cells = len(view.cols) * heads <= MAX_CELL_TEXT
        shots.append(Shot(line=line, grid=Grid(
            z=z, rows=row_labels(list(view.cols), col_marks, i if i < len(view.cols) else -1), cols=names,
            heading=f"What “{short(view.rows[i], 12)}” looks at, one column per head",
            scale={"colorscale": SEQUENTIAL, "zmin": 0, "zmax": 1}, cell_format="%{z:.0%}" if cells else "",
            hover="word %{y}<br>head %{x}<br>weight %{z:.0%}", band=WHOLE)))
    return shots


@view_shots.register
def _gates(view: LSTMGatesView, flow: Flow) -> list[Shot]:
    return []  # the hidden state over the positions already shows each step; the gates are on the Prediction page


MOSAIC_COLUMNS, MOSAIC_ROWS = 136, 34  # of the tiled feature maps sent to the browser: 16 maps of 16 x 16
PANEL_ASPECT = 4.0  # the values panel's width over its height on a laptop: tiles drawn about square there


@view_shots.register
def _feature_maps(view: FeatureMapsView, flow: Flow) -> list[Shot]:
    """The maps tiled into one picture, the most active first, a blank line between neighbours; as many as fit
    ``MOSAIC_COLUMNS`` across and ``MOSAIC_ROWS`` down (the stage's own picture draws each on its own)."""
    if not view.values or not view.values[0] or not view.values[0][0]:
        return [Shot(line=f"{view.title}: no values.")]
    height, width = len(view.values[0]), len(view.values[0][0])
    most_across = max(1, (MOSAIC_COLUMNS + 1) // (width + 1))
    tiles = min(len(view.values), most_across * max(1, (MOSAIC_ROWS + 1) // (height + 1)))
    down = math.ceil(tiles / most_across)
    across = math.ceil(tiles / down)
    z: list[list[float | None]] = []
    for t in range(0, tiles, across):
        if z:
            z.append([None] * len(z[0]))
        for r in range(height):
            line: list[float | None] = []
            for m in view.values[t:min(t + across, tiles)]:
                line += ([None] if line else []) + [rounded(v) for v in m[r][:width]]
            z.append(line + [None] * ((width + 1) * across - 1 - len(line)))
    shown = ", ".join(str(c) for c in view.channels[:min(tiles, 8)]) + (", …" if tiles > 8 else "")
    heading = f"{short(view.title, 22)} · {_dims(view.shape)} · channels {shown}"
    scale = heatmap_scale([v for m in view.values for row in m for v in row])
    grid = replace(value_grid(z, [""] * len(z), heading, WHOLE, scale=scale), cell_format="", xticks=False,
                   hover="value %{z:.3f}", gaps=False, width=min(1.0, len(z[0]) / len(z) / PANEL_ASPECT))
    return [Shot(line=f"{view.title}: {reading(view)}", grid=grid)]


def _dims(shape: Sequence[int | None]) -> str:
    return " × ".join("?" if d is None else f"{d:,}" for d in shape)


def _matching_row(view: VectorView, matrix: MatrixView | None) -> int | None:
    """The row of the last matrix over positions that equals this vector (an LSTM's last real state), or None."""
    if matrix is None:
        return None
    for i, row in enumerate(matrix.values):
        if len(row) == len(view.values) and all(math.isclose(a, b, abs_tol=1e-4) for a, b in zip(row, view.values,
                                                                                                   strict=True)):
            return i
    return None
