"""What the Prediction page needs to look inside a stage, without Streamlit: the words a learner can highlight in its
picture, and the stage's time-lapse -- the same picture after every epoch, each with a verdict naming what changed.

A time-lapse exists for the stages a lesson keeps epoch by epoch (``Lesson.timelapse``) when the input is one of the
probes (only theirs are kept: bounded), and for the words in space whatever the input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.document.timelapse import frames, probes_kept, space_views
from pipeline.document.views import AttentionView, PanelsView, ScoresView, SpaceView, View
from pipeline.lessons import Lesson, LessonRun
from pipeline.render.describe import epoch_verdicts, real_rows


@dataclass(frozen=True)
class Timelapse:
    """One stage after each epoch: the epochs, the view after each, and a verdict per epoch."""

    epochs: tuple[int, ...]
    views: tuple[View, ...]
    verdicts: tuple[str, ...]

    def at(self, epoch: int) -> tuple[View, str]:
        """The view and the verdict after ``epoch`` (the last one kept if it is not there)."""
        k = self.epochs.index(epoch) if epoch in self.epochs else len(self.epochs) - 1
        return self.views[k], self.verdicts[k]


def highlightable(view: View) -> list[str]:
    """The words on a picture's axes a learner can highlight (its real rows, in order), or [] for a picture without."""
    if isinstance(view, ScoresView | PanelsView) or (isinstance(view, AttentionView) and view.rows == view.cols):
        rows = view.rows
        n = len(view.values[0]) if isinstance(view, PanelsView) and view.values else len(rows)
        return [rows[r] for r in real_rows(view.row_marks, n) if r < len(rows)]
    return []


def stage_timelapse(run: LessonRun, text: str, view: View) -> Timelapse | None:
    """The time-lapse of the stage ``view`` shows for input ``text``, or None when the run kept none for it."""
    pairs: list[tuple[int, View]]
    if isinstance(view, SpaceView):
        kept = space_views(run.epochs, run.info, [view.words[i] for i in view.marked if i < len(view.words)])
        pairs = [(v.epoch, v) for v in kept]
    else:
        pairs = frames(run.epochs, text).get(view.key, [])
    if len(pairs) < 2:
        return None
    return Timelapse(tuple(e for e, _ in pairs), tuple(v for _, v in pairs), tuple(epoch_verdicts(pairs)))


def probe_to_watch(lesson: Lesson, run: LessonRun, view: View) -> str | None:
    """A probe input whose time-lapse of this stage the run kept, when the stage is one the lesson keeps (for another
    input than the one shown); None otherwise."""
    if view.key not in lesson.timelapse:
        return None
    kept = probes_kept(run.epochs)
    return next((p for p in kept if view.key in run.epochs[-1].inside.get(p, {})), None)


def marked_words(view: View) -> Sequence[str]:
    """The words a words-in-space picture marks."""
    return [view.words[i] for i in view.marked] if isinstance(view, SpaceView) else []
