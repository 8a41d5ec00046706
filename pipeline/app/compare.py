"""Two lessons that read the same data, side by side: accuracy per epoch, size, training time, why one needs fewer
parameters than the other (weights a convolution shares between positions), and how each model combines the words of
one sentence -- as rows, one figure and plain sentences made from the numbers.

Lessons are comparable when their ``data_format`` is the same (and not None): they train on the same
sentences, split and seed, so their default runs differ only in the model. No Streamlit here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import singledispatch
from typing import Any

import plotly.graph_objects as go

from pipeline.document.views import AttentionView, Mark, MatrixView, Prediction, View
from pipeline.lessons import Lesson, LessonRun
from pipeline.render.drawing import Figure
from pipeline.render.figures import TRAIN, VAL, base, esc, finite
from pipeline.trace import RecordKind, Trace

GOOD_ENOUGH = 0.9  # the "first epoch past 90%" the reading mentions
COLORS = (TRAIN, VAL)


@dataclass(frozen=True)
class Weights:
    """One layer that holds parameters: how many, and how many numbers it reads and makes for one example."""

    name: str
    type: str  # the module's class: "Conv2d", "Linear", ...
    params: int
    inputs: int
    outputs: int
    maps: tuple[int, ...] = ()  # a convolution's output: (maps, height, width)


@dataclass(frozen=True)
class Side:
    """One lesson's default run, in the numbers a comparison needs."""

    slug: str
    title: str
    val_accuracy: tuple[float, ...]  # per epoch
    params: int  # from the trace root: every parameter of the traced pipeline
    seconds: float  # training time, all epochs
    val_size: int
    layers: tuple[Weights, ...] = ()  # the layers holding parameters, in the order the model calls them

    @property
    def final(self) -> float:
        return self.val_accuracy[-1] if self.val_accuracy else math.nan

    def first_epoch_at(self, level: float) -> int | None:
        """The first epoch (1-based) whose validation accuracy reached ``level``, or None."""
        return next((i for i, a in enumerate(self.val_accuracy, start=1) if a >= level), None)


def comparable(lessons: Mapping[str, Lesson]) -> list[str]:
    """The lessons whose data format (not None) at least one other lesson shares, in registry order."""
    return [slug for slug in lessons if partners(lessons, slug)]


def partners(lessons: Mapping[str, Lesson], slug: str) -> list[str]:
    """The other lessons that read the same data as ``slug``, in registry order."""
    fmt = lessons[slug].data_format
    return [s for s, lesson in lessons.items() if s != slug and fmt is not None and lesson.data_format == fmt]


def side(lesson: Lesson, run: LessonRun) -> Side:
    """The comparison numbers of one lesson's run."""
    return Side(lesson.slug, lesson.content.title, tuple(e.val_accuracy for e in run.epochs), run.trace.root.num_params,
                sum(e.seconds for e in run.epochs), int(run.info.get("val_size", 0)), weights(run.trace))


def weights(t: Trace) -> tuple[Weights, ...]:
    """The innermost modules of a trace that hold parameters (their first call), with their sizes per example."""
    def per_example(shape: Sequence[int | None]) -> int:
        return math.prod(d or 0 for d in shape[1:]) if len(shape) > 1 else 0

    found = []
    for r in t:
        if r.kind is RecordKind.MODULE and r.call == 0 and r.num_params and not t.children(r):
            maps = tuple(d or 0 for d in r.output_shape[1:]) if len(r.output_shape) == 4 else ()
            found.append(Weights(r.name, r.type, r.num_params, per_example(r.input_shape),
                                 per_example(r.output_shape), maps))
    return tuple(found)


def sharing_reading(a: Side, b: Side) -> list[str]:
    """Why a convolutional model needs fewer parameters than one without convolutions, from their layers' numbers:
    its first convolution's weights, reused at every position, against a dense layer making the same numbers --
    and the dense model's first layer, one weight for every input and unit. Empty unless exactly one has one."""
    convs = [next((w for w in s.layers if w.type.startswith("Conv") and len(w.maps) == 3), None) for s in (a, b)]
    if convs[0] is not None and convs[1] is None:
        cnn, conv, other = a, convs[0], b
    elif convs[1] is not None and convs[0] is None:
        cnn, conv, other = b, convs[1], a
    else:
        return []
    maps, height, width = conv.maps
    dense = conv.inputs * conv.outputs + conv.outputs
    lines = [f"Why {cnn.title} needs fewer parameters: its first convolution makes {conv.outputs:,} numbers ({maps} "
             f"maps of {height} × {width}) from {conv.inputs:,} inputs with {conv.params:,} parameters, because each "
             f"filter's few weights are reused at all {height * width:,} positions. A dense layer making the same "
             f"{conv.outputs:,} numbers from the same {conv.inputs:,} inputs would need {dense:,} "
             f"({conv.inputs:,} × {conv.outputs:,} weights + {conv.outputs:,} biases), {dense / conv.params:,.0f}× as "
             "many."]
    first = next((w for w in other.layers if w.type == "Linear"), None)
    if first is not None:
        lines.append(f"{other.title}'s first layer gives each of its {first.outputs:,} units its own weight for each "
                     f"of the {first.inputs:,} inputs: {first.params:,} parameters for {first.outputs:,} numbers, and "
                     "what it learns at one position says nothing about the next.")
    return lines


def summary_rows(sides: Sequence[Side]) -> list[dict[str, Any]]:
    """One row per lesson: final and best validation accuracy, parameters, training time."""
    rows = []
    for s in sides:
        best = max(range(len(s.val_accuracy)), key=s.val_accuracy.__getitem__, default=None)
        rows.append({"Lesson": s.title, "Final val accuracy": _pct(s.final),
                     "Best val accuracy": "n/a" if best is None else f"{_pct(s.val_accuracy[best])} (epoch {best + 1})",
                     "Parameters": f"{s.params:,}", "Training time": f"{s.seconds:.1f} s"})
    return rows


def accuracy_figure(sides: Sequence[Side]) -> go.Figure:
    """Validation accuracy per epoch, one line per lesson."""
    fig = Figure()
    for s, color in zip(sides, COLORS * len(sides), strict=False):
        epochs = list(range(1, len(s.val_accuracy) + 1))
        fig.add_scatter(x=epochs, y=finite(s.val_accuracy), name=esc(s.title), mode="lines+markers",
                        line={"color": color, "width": 3},
                        hovertemplate=f"{esc(s.title)}<br>epoch %{{x}}: %{{y:.1%}}<extra></extra>")
    last = max((len(s.val_accuracy) for s in sides), default=1)
    fig.update_xaxes(title_text="epoch", dtick=1, range=[0.8, last + 0.2], showgrid=True, gridcolor="#e5e7eb")
    fig.update_yaxes(title_text="validation accuracy", range=[0, 1.02], tickformat=".0%", showgrid=True,
                     gridcolor="#e5e7eb")
    # the legend above the plot, where nothing else is (below it, it ran into the "epoch" title)
    return base(fig, 380, legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1, "yanchor": "bottom"},
                margin={"l": 20, "r": 20, "t": 30, "b": 20})


def training_reading(a: Side, b: Side) -> list[str]:
    """Which lesson's model did better and by how much, how big each is and how long each took, in words."""
    gap = a.final - b.final
    if not math.isfinite(gap):
        first = [f"{a.title} ended at {_pct(a.final)} validation accuracy and {b.title} at {_pct(b.final)}."]
    elif abs(gap) < 0.0005:
        first = [f"Both end at {_pct(a.final)} validation accuracy: on this data neither model is better."]
    else:
        win, lose = (a, b) if gap > 0 else (b, a)
        sentences = round(abs(gap) * win.val_size) if win.val_size else 0
        count = f", {sentences} more of the {win.val_size:,} held-out examples right" if sentences else ""
        first = [f"{win.title} ends at {_pct(win.final)} validation accuracy and {lose.title} at "
                 f"{_pct(lose.final)}: {win.title} is ahead by {abs(gap) * 100:.1f} percentage points{count}."]
    at = [(s, s.first_epoch_at(GOOD_ENOUGH)) for s in (a, b)]
    first.append(" ".join(f"{s.title} first reached {GOOD_ENOUGH:.0%} in epoch {e}." if e else
                          f"{s.title} never reached {GOOD_ENOUGH:.0%}." for s, e in at))
    big, small = (a, b) if a.params >= b.params else (b, a)
    first.append(f"{big.title} has {big.params:,} parameters, {small.title} {small.params:,}"
                 + (f" ({big.params / small.params:.1f}× as many)." if small.params else "."))
    slow, fast = (a, b) if a.seconds >= b.seconds else (b, a)
    ratio = f", {slow.seconds / fast.seconds:.1f}× as long" if fast.seconds > 0 else ""
    first.append(f"Training took {slow.title} {slow.seconds:.1f} s and {fast.title} {fast.seconds:.1f} s on this "
                 f"machine{ratio}.")
    return first


def context_layer(prediction: Prediction) -> View | None:
    """The layer that shows how a model combines the words: its last attention, else its last matrix over the
    positions (a recurrent model's state at every word); None if it has neither."""
    for kind in (AttentionView, MatrixView):
        found = [layer for layer in prediction.layers if isinstance(layer, kind)]
        if found:
            return found[-1]
    return None


@singledispatch
def reading(view: View, who: str) -> list[str]:
    """Sentences about how ``who`` combined the words, read from one prediction layer's numbers."""
    return []


@reading.register
def _(view: AttentionView, who: str) -> list[str]:
    real = _real(view.cols, view.col_marks)
    queries = _real(view.rows, view.row_marks)
    if not real or not queries or not view.weights:
        return []
    # The share of all attention each word receives: averaged over the real words that look, then the heads.
    per_head = [[sum(grid[q][k] for q in queries) / len(queries) for k in real] for grid in view.weights]
    mean = [sum(h[i] for h in per_head) / len(per_head) for i in range(len(real))]
    top = max(range(len(real)), key=mean.__getitem__)
    heads = "; ".join(f"head {h + 1} at “{view.cols[real[max(range(len(real)), key=shares.__getitem__)]]}”"
                      for h, shares in enumerate(per_head))
    return [f"{who}: averaged over its {len(view.weights)} heads, the words look most at “{view.cols[real[top]]}” "
            f"({_pct(mean[top])} of the attention; an even spread would give each word {_pct(1 / len(real))}). "
            f"Looking most: {heads}."]


@reading.register
def _(view: MatrixView, who: str) -> list[str]:
    rows = _real(view.rows, view.row_marks)
    if len(rows) < 2:
        return []
    states = [view.values[r] for r in rows]
    steps = [math.dist(states[i - 1], states[i]) for i in range(1, len(states))]  # change on reading word i
    big, small = max(range(len(steps)), key=steps.__getitem__), min(range(len(steps)), key=steps.__getitem__)
    average = sum(steps) / len(steps)
    return [f"{who}: from one word to the next, its {len(states[0])} numbers change most on reading "
            f"“{view.rows[rows[big + 1]]}” (a step of {steps[big]:.2f}, against {average:.2f} on average) and least "
            f"on “{view.rows[rows[small + 1]]}” ({steps[small]:.2f})."]


def _real(labels: Sequence[str], marks: Sequence[Mark]) -> list[int]:
    """The positions that hold a word (not padding); every position when there are no marks."""
    return [i for i in range(len(labels)) if i >= len(marks) or marks[i] is not Mark.PAD]


def _pct(x: float) -> str:
    return f"{x:.1%}" if math.isfinite(x) else "n/a"
