"""Every picture in words: a one-line reading of a view (its most important numbers), and its data as rows.

The reading is the stepper's verdict line and the text alternative of the view's chart; the rows are
the chart's data as a table, so a learner who cannot see the picture (or wants the numbers) has both.
"""

from __future__ import annotations

import math
from functools import singledispatch
from typing import Any

from pipeline.render.tables import Rows, fmt_shape, preview
from pipeline.views import (
    AttentionView,
    DecoderStepsView,
    DecoderStepView,
    LSTMGatesView,
    Mark,
    MatrixView,
    ProbabilitiesView,
    TextView,
    TokensView,
    VectorView,
    View,
)


def pct(p: float) -> str:
    return f"{p:.0%}" if math.isfinite(p) else "n/a"


@singledispatch
def reading(view: View) -> str:
    """One sentence saying what the view shows, with its most important numbers."""
    return f"{view.title}: {fmt_shape(view.shape)}."


@reading.register
def _(view: TextView) -> str:
    words = len(view.text.split())
    return f"The input as typed: {words:,} word{'s' if words != 1 else ''}, {len(view.text):,} characters."


@reading.register
def _(view: TokensView) -> str:
    counts = {m: sum(1 for x in view.marks if x is m) for m in Mark}
    real = len(view.ids) - counts[Mark.PAD]
    parts = [f"{len(view.ids)} positions: {real} token{'s' if real != 1 else ''}"]
    if counts[Mark.UNK]:
        parts.append(f"{counts[Mark.UNK]} unknown (read as <unk>)")
    if counts[Mark.PAD]:
        parts.append(f"{counts[Mark.PAD]} padding")
    return ", ".join(parts) + "."


def _extreme(values: Any) -> tuple[float, int, int]:
    best, where = 0.0, (0, 0)
    for r, row in enumerate(values):
        for c, v in enumerate(row):
            if math.isfinite(v) and abs(v) > abs(best):
                best, where = v, (r, c)
    return best, *where


@reading.register
def _(view: MatrixView) -> str:
    rows, cols = len(view.values), len(view.values[0]) if view.values else 0
    value, r, c = _extreme(view.values)
    row = view.rows[r] if r < len(view.rows) else str(r + 1)
    return (f"{rows} rows of {cols} numbers, one row per {view.row_title}; the largest in size is {value:+.2f}, "
            f"at “{row}”, {view.col_title} {c + 1}.")


@reading.register
def _(view: VectorView) -> str:
    finite = [v for v in view.values if math.isfinite(v)] or [0.0]
    return f"{len(view.values)} numbers, from {min(finite):+.2f} to {max(finite):+.2f}."


@reading.register
def _(view: ProbabilitiesView) -> str:
    order = sorted(range(len(view.values)), key=lambda i: -(view.values[i] if math.isfinite(view.values[i]) else -1))
    first = f"{view.labels[order[0]]}: {pct(view.values[order[0]])}" if order else "no classes"
    rest = ", ".join(f"{view.labels[i]} {pct(view.values[i])}" for i in order[1:3])
    return f"The answer is {first}" + (f" (then {rest})." if rest else ".")


@reading.register
def _(view: DecoderStepView) -> str:
    s = view.step
    chosen = next((p for t, p in s.top if t == s.chosen), math.nan)
    line = f"Step {s.step}: input “{s.input}”, wrote “{s.chosen}” ({pct(chosen)} likely)"
    if s.attention:
        j = max(range(len(s.attention)), key=lambda k: s.attention[k] if math.isfinite(s.attention[k]) else -1)
        word = view.source[j] if j < len(view.source) else str(j + 1)
        line += f", looking most at “{word}” ({pct(s.attention[j])})"
    return line + "."


@reading.register
def _(view: DecoderStepsView) -> str:
    written = " ".join(s.chosen for s in view.steps)
    return f"{len(view.steps)} steps, writing “{written}”."


@reading.register
def _(view: AttentionView) -> str:
    best = (-1.0, 0, 0, 0)
    for h, weights in enumerate(view.weights):
        for r, row in enumerate(weights):
            for c, w in enumerate(row):
                if math.isfinite(w) and w > best[0] and (r != c or len(row) == 1):
                    best = (w, h, r, c)
    w, h, r, c = best
    heads = "One head" if len(view.weights) == 1 else f"{len(view.weights)} heads"
    if w < 0:
        return f"{heads} of attention weights."
    which = f" (head {h + 1})" if len(view.weights) > 1 else ""
    return (f"{heads}; the strongest look at another word: “{view.rows[r]}” looks at “{view.cols[c]}” with "
            f"{pct(w)} of its attention{which}.")


@reading.register
def _(view: LSTMGatesView) -> str:
    return view.reading[0] if view.reading else f"The LSTM's gates over {len(view.tokens)} words."


@singledispatch
def data_rows(view: View) -> Rows:
    """The numbers behind a view's picture, as table rows."""
    return []


@data_rows.register
def _(view: TokensView) -> Rows:
    return [{"Position": str(i + 1), "Token": t, "Id": str(x), "Holds": m.label}
            for i, (t, x, m) in enumerate(zip(view.tokens, view.ids, view.marks, strict=False))]


@data_rows.register
def _(view: MatrixView) -> Rows:
    return [{view.row_title.capitalize(): f"{i + 1} · {r}", "Numbers": preview(list(row), 8)}
            for i, (r, row) in enumerate(zip(view.rows, view.values, strict=False))]


@data_rows.register
def _(view: VectorView) -> Rows:
    return [{"Number": view.labels[i] if i < len(view.labels) else str(i + 1), "Value": f"{v:+.3f}"}
            for i, v in enumerate(view.values)]


@data_rows.register
def _(view: ProbabilitiesView) -> Rows:
    return [{"Answer": label, "Probability": f"{p:.1%}" if math.isfinite(p) else "n/a"}
            for label, p in zip(view.labels, view.values, strict=False)]


@data_rows.register
def _(view: DecoderStepView) -> Rows:
    return [{"Choice": str(k + 1), "Token": t, "Probability": f"{p:.1%}"} for k, (t, p) in enumerate(view.step.top)]


@data_rows.register
def _(view: DecoderStepsView) -> Rows:
    return [{"Step": str(s.step), "Input": s.input, "Wrote": s.chosen,
             "Top choices": ", ".join(f"{t} {p:.0%}" for t, p in s.top)} for s in view.steps]


@data_rows.register
def _(view: AttentionView) -> Rows:
    rows = []
    for h, weights in enumerate(view.weights):
        for word, row in zip(view.rows, weights, strict=False):
            top = sorted(range(len(row)), key=lambda c, row=row: -row[c])[:3]
            rows.append({"Head": str(h + 1), "Word": word,
                         "Looks most at": ", ".join(f"{view.cols[c]} {row[c]:.0%}" for c in top if c < len(view.cols))})
    return rows


@data_rows.register
def _(view: LSTMGatesView) -> Rows:
    return [{"Word": token, **{name: f"{sum(getattr(view, name)[t]) / max(len(getattr(view, name)[t]), 1):+.2f}"
                               for name, _ in LSTMGatesView.GATES}} for t, token in enumerate(view.tokens)]
