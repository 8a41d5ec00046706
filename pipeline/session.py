"""What a learner's session needs besides widgets: live-training feed, prediction stepper, quiz score.

Plain Python, no Streamlit: the pages hand in render functions and keep these objects in their
session state, and the tests drive them directly.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.lessons.base import Lesson, LessonRun, Prediction, PredictionLayer
from pipeline.lessons.content import Question
from pipeline.settings import specs
from pipeline.train import BatchResult, Callback, EpochResult

MAX_BATCH_POINTS = 2_000  # batch losses kept for the live chart, however long the training
CHART_SECONDS = 0.3  # at most one chart redraw per this many seconds between epoch ends
PROGRESS_SECONDS = 0.1  # at most one progress-bar update per this many seconds
PLAY_SECONDS = 1.5  # time per stage when the Prediction page plays through the stages


@dataclass
class TrainingLog:
    """What the live chart draws: sampled batch results and every epoch's results."""

    total_epochs: int = 0
    total_batches: int = 0
    batch_x: list[float] = field(default_factory=list)  # position in epochs, e.g. 2.5 = half-way through epoch 3
    batch_loss: list[float] = field(default_factory=list)
    batch_accuracy: list[float] = field(default_factory=list)
    epochs: list[EpochResult] = field(default_factory=list)
    done_batches: int = 0

    @property
    def fraction(self) -> float:
        return self.done_batches / self.total_batches if self.total_batches else 0.0


class LiveTraining(Callback):
    """Feeds training progress to a progress function and a chart function, at a bounded rate.

    The chart is redrawn after every epoch and, between epochs, at most every ``chart_seconds``;
    the progress function is called at most every ``progress_seconds`` and at the end.
    """

    def __init__(self, total_epochs: int, on_progress: Callable[[float, str], None],
                 on_chart: Callable[[TrainingLog], None], clock: Callable[[], float] = time.monotonic,
                 chart_seconds: float = CHART_SECONDS, progress_seconds: float = PROGRESS_SECONDS) -> None:
        self.log = TrainingLog(total_epochs)
        self.on_progress, self.on_chart, self.clock = on_progress, on_chart, clock
        self.chart_seconds, self.progress_seconds = chart_seconds, progress_seconds
        self.stride, self.charts = 1, 0
        self._last_chart = self._last_progress = -math.inf

    def on_train_start(self, total_batches: int) -> None:
        """Remember the size of the job and sample batches so the chart stays small."""
        self.log.total_batches = total_batches
        self.stride = max(1, math.ceil(total_batches / MAX_BATCH_POINTS))

    def on_batch_end(self, result: BatchResult) -> None:
        """Record the batch, then update the progress bar and the chart if they are due."""
        log = self.log
        log.done_batches += 1
        if log.done_batches % self.stride == 0:
            log.batch_x.append(result.epoch - 1 + result.batch / result.num_batches)
            log.batch_loss.append(result.loss)
            log.batch_accuracy.append(result.accuracy)
        now = self.clock()
        if now - self._last_progress >= self.progress_seconds:
            self._progress(f"Epoch {result.epoch} of {log.total_epochs} · batch {result.batch} of "
                           f"{result.num_batches} · loss {result.loss:.3f}", now)
        if now - self._last_chart >= self.chart_seconds:
            self._chart(now)

    def on_epoch_end(self, result: EpochResult) -> None:
        """Record the epoch and redraw."""
        self.log.epochs.append(result)
        now = self.clock()
        self._progress(f"Epoch {result.epoch} of {self.log.total_epochs} done · validation accuracy "
                       f"{result.val_accuracy:.0%}", now)
        self._chart(now)

    def on_train_end(self, history: list[EpochResult]) -> None:
        """Show the bar full."""
        self.on_progress(1.0, f"Done: {len(history)} epochs, {self.log.done_batches} batches.")

    def _progress(self, text: str, now: float) -> None:
        self._last_progress = now
        self.on_progress(min(self.log.fraction, 1.0), text)

    def _chart(self, now: float) -> None:
        self._last_chart = now
        self.charts += 1
        self.on_chart(self.log)


def make_settings(settings_type: type, values: Mapping[str, Any]) -> Any:
    """Build a settings dataclass from widget values, coercing each to its declared kind."""
    kinds = {s.name: s.kind for s in specs(settings_type)}
    unknown = set(values) - {f.name for f in dataclasses.fields(settings_type)}
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    coerced = {k: _coerce(k, v, kinds.get(k)) for k, v in values.items()}
    return settings_type(**coerced)


def _coerce(name: str, value: Any, kind: type | None) -> Any:
    if kind is int and isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{name} must be an integer, got {value:g}")
        return int(value)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def private_copy(run: LessonRun) -> LessonRun:
    """A deep copy a session may trace and predict with, leaving the shared original untouched."""
    return copy.deepcopy(run)


def unattached_notes(prediction: Prediction) -> list[str]:
    """The prediction's notes that no layer shows already (e.g. "the right answer is ...")."""
    return [n for n in prediction.notes if not any(n in layer.notes for layer in prediction.layers)]


@dataclass(frozen=True)
class PredictionStep:
    """One screen of the Prediction page: a layer, or one step of a decoder layer."""

    layer: PredictionLayer
    title: str
    decoder_step: int | None = None  # index into layer.values for decoder_steps layers


def prediction_steps(prediction: Prediction) -> list[PredictionStep]:
    """The screens to step through: every layer, with a decoder layer split into its steps."""
    steps = []
    for layer in prediction.layers:
        if layer.kind == "decoder_steps" and layer.values:
            n = len(layer.values)
            steps += [PredictionStep(layer, f"{layer.title}: step {i + 1} of {n}", i) for i in range(n)]
        else:
            steps.append(PredictionStep(layer, layer.title))
    return steps


@dataclass
class Stepper:
    """Prev / Next / Play position over ``count`` screens; ``tick`` advances while playing."""

    count: int
    index: int = 0
    playing: bool = False
    last_move: float = 0.0

    def next(self) -> None:
        self.index = min(self.index + 1, self.count - 1)

    def prev(self) -> None:
        self.index = max(self.index - 1, 0)

    def play(self, now: float) -> None:
        """Start playing; from the start again if at the end."""
        if self.index >= self.count - 1:
            self.index = 0
        self.playing, self.last_move = True, now

    def pause(self) -> None:
        self.playing = False

    def tick(self, now: float, seconds: float = PLAY_SECONDS) -> bool:
        """Advance one screen if playing and ``seconds`` have passed; stop at the end. True if it moved."""
        if not self.playing or now - self.last_move < seconds * 0.9:  # timers fire a little early
            return False
        self.next()
        self.last_move = now
        self.playing = self.index < self.count - 1
        return True


LETTERS = "ABCDEF"  # quiz choices are labelled A, B, C, ...


def choice_label(question: Question, index: int) -> str:
    return f"{LETTERS[index]}. {question.choices[index]}"


RIGHT, WRONG, OTHER = ":green[:material/check_circle:]", ":red[:material/cancel:]", ":gray[:material/circle:]"


def marked_choices(question: Question, chosen: int) -> list[str]:
    """An answered question's choices in Streamlit Markdown: the right one ticked, a wrong pick crossed,
    the pick in bold. (Icons from Streamlit's own icon font: not every machine has an emoji font.)"""
    lines = []
    for i in range(len(question.choices)):
        mark = RIGHT if i == question.answer else WRONG if i == chosen else OTHER
        label = choice_label(question, i)
        lines.append(f"{mark} **{label}** · your answer" if i == chosen else f"{mark} {label}")
    return lines


def quiz_score(questions: Sequence[Question], answers: Mapping[int, int]) -> tuple[int, int]:
    """(correct, answered) for the answers given so far, by question index."""
    correct = sum(1 for i, choice in answers.items() if 0 <= i < len(questions) and questions[i].answer == choice)
    return correct, len(answers)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")


def escape_markdown(text: str) -> str:
    """Backslash-escape Markdown (and Streamlit's $math$, :directives:) so text shows as typed."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


@dataclass(frozen=True)
class DefaultRun:
    """A lesson trained with its default settings, and one traced prediction: shared, read-only."""

    run: LessonRun
    prediction: Prediction


def default_run(lesson: Lesson) -> DefaultRun:
    """Train ``lesson`` with its default settings and trace its first held-out example."""
    run = lesson.run(lesson.settings_type())
    example = run.examples[0][0] if run.examples else lesson.content.title
    return DefaultRun(run, lesson.predict(run, example))
