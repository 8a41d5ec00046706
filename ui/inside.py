"""Looking inside a Prediction stage: a word to highlight in its picture, and its time-lapse across the epochs.

Both are widgets in the stage's left column (under the verdict), so the picture never moves down; both live in the
stepper's fragment, so choosing a word or an epoch reruns the stage only. The words are pills (a keyboard's Tab and
Enter, or a tap, choose one); the epochs a slider (arrow keys, or a drag).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from pipeline.render.describe import reading
from ui import keys
from ui.widgets import escape_markdown

if TYPE_CHECKING:
    from pipeline.app.inside import Timelapse
    from pipeline.document.views import View
    from pipeline.lessons import Lesson, LessonRun


@dataclass(frozen=True)
class Stage:
    """What the stepper draws for a stage: the view (after the epoch chosen), its verdict, the word highlighted, and
    the widgets that choose them."""

    view: View
    verdict: str
    highlight: int | None
    controls: Callable[[], None] | None


def stage(lesson: Lesson, run: LessonRun, text: str, screen: View, at: int, guessing: bool = False) -> Stage:
    """The stage ``screen`` (number ``at`` of the stepper, 0-based) as the learner has chosen to see it; with
    ``guessing``, a time-lapse asks its question (which word changes most) before it can be watched."""
    # the lesson's code is loaded already (the page predicted with it); this keeps torch off ui's import
    from pipeline.app.inside import highlightable, probe_to_watch, stage_timelapse
    from pipeline.app.quiz import timelapse_question

    slug = lesson.slug
    lapse = stage_timelapse(run, text, screen)
    epoch_key, word_key = keys.epoch(slug, screen.key), keys.highlight(slug, screen.key)
    view, change = screen, ""
    question = timelapse_question(run.epochs, run.info, text, screen, seed=text) if guessing and lapse else None
    guesses: dict = st.session_state.setdefault(keys.lapse_guesses(slug), {})
    if question is not None and (text, screen.key) not in guesses:
        lapse = None  # watched only once the guess is made
    if lapse is not None:
        epoch = st.session_state.setdefault(epoch_key, lapse.epochs[-1])
        if epoch != lapse.epochs[-1]:  # the last epoch's picture is the stage itself, from the trained model
            view = lapse.at(epoch)[0]
        change = lapse.at(epoch)[1]
    words = highlightable(view)
    chosen = st.session_state.get(word_key)
    highlight = chosen if isinstance(chosen, int) and 0 <= chosen < len(words) else None
    offer = probe_to_watch(lesson, run, screen) if lapse is None and question is None else None
    if lapse is None and question is None and not words and offer is None:
        return Stage(view, reading(view), None, None)

    def controls() -> None:
        if question is not None:
            _guess(question, guesses, (text, screen.key), slug)
        if lapse is not None:
            _epochs(lapse, epoch_key, change)
        elif offer is not None:
            _watch(slug, text, offer, at)
        if words:
            st.pills("Highlight a word", list(range(len(words))), format_func=lambda k: f"{k + 1} · {words[k]}",
                     key=word_key, help="Frames the word's row in amber (what it looks at) and, where the words are "
                                        "on both axes, its column in violet (what looks at it), in every head.")

    return Stage(view, reading(view), highlight, controls)


def _epochs(lapse: Timelapse, key: str, change: str) -> None:
    """The time-lapse's slider, and what changed most in the epoch it shows."""
    st.select_slider("Epoch by epoch", options=list(lapse.epochs), key=key,
                     help="The same picture after each epoch of training: drag, or use ← → once the slider has the "
                          "focus. The last epoch is the model as trained.")
    st.caption(escape_markdown(change))


def _guess(question, guesses: dict, key: tuple[str, str], slug: str) -> None:
    """Predict, then watch: the time-lapse's question until it is answered, then whether the guess was right."""
    if key in guesses:
        right = guesses[key] == question.answer
        (st.success if right else st.error)(escape_markdown(("Right: " if right else "Not this time: ") +
                                                            question.explanation), icon=":material/psychology:")
        return
    widget = f"lapse-guess-{slug}-{key[1]}-{len(guesses)}"
    st.markdown(f"**Guess, then watch it learn:** {escape_markdown(question.question)}")
    st.radio(question.question, list(range(len(question.choices))), index=None, key=widget,
             label_visibility="collapsed", format_func=lambda c: escape_markdown(question.label(c)),
             on_change=lambda: guesses.__setitem__(key, st.session_state[widget]))


def _watch(slug: str, text: str, probe: str, at: int) -> None:
    """A button that shows this stage for a probe input, whose time-lapse the run kept."""
    def go() -> None:
        st.session_state[keys.text(slug)] = probe
        st.session_state[keys.LINK_STEP] = at + 1  # the same stage for the new input, not stage 1

    st.button(f"Watch it learn: “{probe}”", on_click=go, icon=":material/movie:",
              help="This stage is kept after every epoch for a few fixed sentences only (the lesson's probes). "
                   "Shows it for one of them, with a slider over the epochs.")
