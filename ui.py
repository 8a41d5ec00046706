"""Streamlit glue the pages share: the chosen lesson, cached default runs, the learner's own run,
widgets built from settings specs, and drawing any prediction layer by its type.

It lives beside app.py, not in pipeline/ (which never imports Streamlit) and not in pages/ (where
every file is a page). All logic stays in pipeline/; this file only reads and writes Streamlit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import singledispatch
from typing import Any

import plotly.graph_objects as go
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.uploaded_file_manager import UploadedFile

from pipeline import runs
from pipeline.content import Question
from pipeline.lessons import LESSONS, Lesson, LessonRun, get_lesson
from pipeline.quiz import choice_label
from pipeline.render import figures, tables
from pipeline.render.tables import fmt_shape
from pipeline.settings import SettingSpec, specs
from pipeline.stepper import Stepper
from pipeline.views import Prediction, TextView, View

LESSON_KEY = "lesson"


def lesson() -> Lesson:
    """The lesson picked in the sidebar (the first one before anything is picked).

    Every page calls this first, so it also makes sure the page runs under app.py's router: on a
    fresh server Streamlit starts in its legacy mode for apps with a ``pages/`` folder and would run
    a deep-linked page (``/training``) on its own -- no lesson picker, no thread limit -- until some
    run of app.py calls ``st.navigation`` (a known Streamlit limitation, see streamlit/streamlit#10276).
    Leaving that mode and rerunning fixes it for everyone.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
    slug = st.session_state.get(LESSON_KEY)
    return get_lesson(slug if slug in LESSONS else next(iter(LESSONS)))


@st.cache_resource(show_spinner="Loading this lesson's model (trained once, for every learner)…", max_entries=16)
def default_run(slug: str) -> runs.CachedPrediction:
    """The lesson's default run, from the run cache (trained only if it is in neither memory nor disk).

    Shared by all sessions, read-only: pages trace and predict with it, never train it."""
    return runs.default_run(get_lesson(slug))


def own_run_key(slug: str) -> str:
    return f"run:{slug}"


def own_run(slug: str) -> LessonRun | None:
    """The model this learner trained on the Training page, if any (kept in their session only)."""
    return st.session_state.get(own_run_key(slug))


def run_to_use(slug: str) -> tuple[LessonRun, bool]:
    """(run, is_own): the learner's own run, else the shared default run (tracing it is thread-safe)."""
    mine = own_run(slug)
    return (mine, True) if mine is not None else (default_run(slug).run, False)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=^])")


def escape_markdown(text: str) -> str:
    """Backslash-escape Markdown (and Streamlit's $math$, :directives:) so text shows as typed."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


RIGHT, WRONG, OTHER = ":green[:material/check_circle:]", ":red[:material/cancel:]", ":gray[:material/circle:]"


def marked_choices(question: Question, chosen: int) -> list[str]:
    """An answered question's choices in Streamlit Markdown: the right one ticked, a wrong pick crossed,
    the pick in bold. (Icons from Streamlit's own icon font: not every machine has an emoji font.)"""
    lines = []
    for i in range(len(question.choices)):
        mark = RIGHT if i == question.answer else WRONG if i == chosen else OTHER
        label = escape_markdown(choice_label(question, i))
        lines.append(f"{mark} **{label}** · your answer" if i == chosen else f"{mark} {label}")
    return lines


def table(rows: list[dict[str, Any]], columns: Sequence[str] | None = None) -> None:
    """A static table of ``pipeline.render.tables`` rows. st.table renders cells as Markdown, so every
    cell is escaped: a stage called "1. <b>x</b>" or a learner's ``**text**`` shows exactly as written."""
    escaped = [{k: escape_markdown(v) if isinstance(v, str) else v for k, v in row.items()} for row in rows]
    st.table(tables.frame(escaped, columns), hide_index=True)


def chart(fig: go.Figure, key: str) -> None:
    """Show a Plotly figure full width, with our own styling (not the Streamlit theme)."""
    st.plotly_chart(fig, key=key, theme=None, config={"displaylogo": False})


def setting_widget(spec: SettingSpec, key: str) -> Any:
    """One input for a bounded setting: a toggle for bools, else a number input within its bounds."""
    help_text = spec.help if spec.kind is bool else f"{spec.help} From {spec.range_text}."
    if spec.kind is bool:
        return st.toggle(spec.label, value=spec.default, help=help_text, key=key, persist_state="session")
    if spec.kind is int:
        return st.number_input(spec.label, int(spec.min), int(spec.max), int(spec.default), step=1,
                               help=help_text, key=key, persist_state="session")
    decimals = max(0, -int(f"{spec.min:e}".split("e")[1]))
    return st.number_input(spec.label, float(spec.min), float(spec.max), float(spec.default),
                           step=float(spec.default) / 2, format=f"%.{decimals}f", help=help_text, key=key,
                           persist_state="session")


def settings_form(current: Lesson, columns: int = 4) -> tuple[dict[str, Any], UploadedFile | None, bool]:
    """The lesson's settings as a form with a Train button: (values by name, uploaded data file, submitted).

    Lessons that accept a learner's own data (``data_format``) also get a file uploader.
    """
    values, upload = {}, None
    with st.form(f"settings-{current.slug}", border=True):
        cols = st.columns(columns)
        for i, spec in enumerate(specs(current.settings_type)):
            with cols[i % columns]:
                values[spec.name] = setting_widget(spec, key=f"setting:{current.slug}:{spec.name}")
        if current.data_format:
            upload = st.file_uploader(f"Your own data (optional): {current.data_format}", type=["csv"],
                                      key=f"data:{current.slug}",
                                      help="Leave empty to train on the lesson's built-in sentences.")
        submitted = st.form_submit_button("Train", type="primary", icon=":material/model_training:")
    return values, upload, submitted


@singledispatch
def picture(view: View, key: str) -> None:
    """Draw a layer's picture: its Plotly figure (every view type with a figure builder)."""
    chart(figures.layer_figure(view), key=key)


@picture.register
def _(view: TextView, key: str) -> None:
    st.text(view.text)  # preformatted and literal: never Markdown


def show_layer(view: View, key: str, number: int | None = None, shown_notes: Sequence[str] = (),
               side_by_side: bool = False) -> None:
    """Draw one prediction layer: its words (title, description, shape, notes), then its picture.

    ``shown_notes`` are notes the page already shows elsewhere, so they are not repeated here;
    ``side_by_side`` puts the words left of the picture, so both fit on one screen.
    """
    words, drawing = st.columns([1, 2], gap="medium") if side_by_side else (st.container(), st.container())
    with words:
        st.subheader(escape_markdown(f"{number}. {view.title}" if number else view.title), anchor=False)
        st.markdown(escape_markdown(view.description))
        st.caption(f"Shape: {fmt_shape(view.shape)}")
        for note in (n for n in view.notes if n not in shown_notes):
            st.warning(escape_markdown(note), icon=":material/info:")
    with drawing:
        picture(view, key)


def predict(current: Lesson, run: LessonRun, text: str) -> Prediction:
    """``current.predict(run, text)``, remembered in the session so a step click does not re-trace."""
    key = f"prediction:{current.slug}"
    cached = st.session_state.get(key)
    if cached is not None and cached[0] is run and cached[1] == text:
        return cached[2]
    prediction = current.predict(run, text)
    st.session_state[key] = (run, text, prediction)
    return prediction


def stepper(slug: str, signature: tuple, count: int) -> Stepper:
    """This session's Prev/Next/Play position, reset when the input or the model changes."""
    key = f"stepper:{slug}"
    entry = st.session_state.get(key)
    if entry is None or entry[0] != signature or entry[1].count != count:
        entry = (signature, Stepper(count))
        st.session_state[key] = entry
    return entry[1]


@st.cache_resource(max_entries=32, show_spinner=False)
def _open_trace(digest: str, name: str, _raw: bytes):
    from pipeline.fileformat import loads

    return loads(_raw, name)


def open_trace_bytes(raw: bytes, name: str):
    """A trace file's document, parsed once per distinct content (shared read-only between sessions)."""
    import hashlib

    return _open_trace(hashlib.sha256(raw).hexdigest(), name, raw)
