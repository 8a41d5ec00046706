"""The view a learner is on: the lesson picked, the link they opened, the link that follows them, presenter mode.

A link restores a view (``pipeline.viewstate``); bad values in it are ignored with a note shown at the
top of the page. As the learner types, steps and changes settings, the address bar follows, so a
reload or a copied link gives the same view. Only the lessons' content files are read here (no torch).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

import streamlit as st

from pipeline.catalog import catalog
from pipeline.content import LessonContent
from pipeline.viewstate import RESERVED, View, from_params, to_params
from ui.widgets import escape_markdown, preload_charts

LESSON_KEY = "lesson"
PRESENT_KEY = "present"
NOTES_KEY = "link-notes"
STARTED_KEY = "link-read"
CLASS_KEY = "class-code"
PUBLIC_ENV = "PIPELINE_TRACE_PUBLIC"
# What an opened link asks for, kept until ui.runs applies it (a class's stage uses LINK_STEP_KEY too)
LINK_STEP_KEY = "link-step"  # a step, applied when the stepper is made
LINK_STEP_NOTE_KEY = "link-step-note"  # set with a step from a link: one past the last stage is said, not kept
LINK_SETTINGS_KEY = "link-settings"  # (lesson, settings), looked up in the run cache once
# Called by sync_link with the page path, from every run that may move the view (the stepper's fragment too, which
# skips app.py): ui.classroom adds the class's (the teacher's move goes out, a following learner's stage moves).
VIEW_HOOKS: list[Callable[[str], None]] = []
# Every page's own CSS:
# - Every chart's frame is a whole number of pixels wide. Streamlit sizes a new chart first from its frame's
#   computed width (which the browser rounds to 1/1000 px), then from the width it measures; a fractional width
#   made the two differ and Plotly drew the chart a second time (pipeline.render.drawing has the other half).
# - A table (ui.table: Markdown) that is wider than the screen scrolls sideways inside its own box, never the
#   whole page. On a phone five or six columns would not fit: smaller type and padding there, so most tables fit
#   and the widest scroll by a few characters. Cells never break inside a word or number.
PAGE_CSS = """<style>
[data-testid="stFullScreenFrame"] { width: round(down, 100%, 1px); }
[data-testid="stMarkdownContainer"]:has(> table) { overflow-x: auto; }
@media (max-width: 640px) {
  [data-testid="stMarkdownContainer"] table { font-size: 0.8rem; }
  [data-testid="stMarkdownContainer"] :is(th, td) { padding: 0.3rem; }
}
</style>"""
# The main block starts below the fixed header (3.75rem high), so the input is never hidden under it.
PRESENTER_CSS = """<style>
html { font-size: 22px; }
[data-testid="stMainBlockContainer"] { padding-top: 4rem; padding-bottom: 1rem; max-width: 100%; }
[data-testid="stHeading"] h1 { font-size: 1.9rem; }
</style>"""


def current_slug() -> str:
    """The lesson picked in the sidebar (the first lesson before anything is picked)."""
    slug = st.session_state.get(LESSON_KEY)
    lessons = catalog()
    return slug if slug in lessons else next(iter(lessons))


def content() -> LessonContent:
    """The picked lesson's words: title, summary, intro, stage texts, quiz (no torch needed)."""
    ensure_router()
    return catalog()[current_slug()]


def ensure_router() -> None:
    """Make sure the page runs under app.py's router.

    On a fresh server Streamlit starts in its legacy mode for apps with a ``pages/`` folder and would
    run a deep-linked page (``/training``) on its own -- no lesson picker -- until some run of app.py
    calls ``st.navigation`` (a known Streamlit limitation, streamlit/streamlit#10276). Leaving that
    mode and rerunning fixes it for everyone. Every page calls this first (through ``content`` or ``lesson``).
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def presenting() -> bool:
    return bool(st.session_state.get(PRESENT_KEY, False))


def refuse_public_address() -> None:
    """Stop unless the server listens on loopback, or a public address was allowed explicitly."""
    address = (st.get_option("server.address") or "").strip()
    if _loopback(address) or os.environ.get(PUBLIC_ENV) == "1":
        return
    where = address or "every network interface"
    st.error(f"This server listens on {where}, which other machines can reach. Start it with `pipeline-trace "
             "serve` (loopback only), or for a class behind a reverse proxy with `pipeline-trace serve --public` "
             "(see the README's deployment notes).", icon=":material/lock:")
    st.stop()


def _loopback(address: str) -> bool:
    if address in ("localhost", "127.0.0.1", "::1"):
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def start_session() -> None:
    """Read the link the learner opened, once per session: lesson, input, step, settings, presenter mode."""
    if st.session_state.get(STARTED_KEY):
        return
    st.session_state[STARTED_KEY] = True
    params = st.query_params.to_dict()
    default = next(iter(catalog()))
    view, notes = from_params(params, _settings_specs(params), default)
    slug = view.lesson or default
    st.session_state[LESSON_KEY] = slug
    if view.text is not None:
        st.session_state[f"pred-text:{slug}"] = view.text
    if view.step is not None:
        st.session_state[LINK_STEP_KEY] = view.step
        st.session_state[LINK_STEP_NOTE_KEY] = True  # ui.runs.stepper: a step past the last stage gets a note
    for name, value in view.settings.items():
        st.session_state[f"setting:{slug}:{name}"] = value
    if view.settings:  # ui.runs.lesson looks this run up in the run cache: a reload finds the model again
        st.session_state[LINK_SETTINGS_KEY] = (slug, dict(view.settings))
    st.session_state[PRESENT_KEY] = view.present
    if view.class_code:
        st.session_state[CLASS_KEY] = view.class_code
    st.session_state[NOTES_KEY] = notes


def _settings_specs(params: dict[str, str]) -> dict:
    """Each lesson's settings, when the link has any (only then are the lessons' modules imported)."""
    if not set(params) - set(RESERVED):
        return {slug: [] for slug in catalog()}
    from pipeline.lessons import all_lessons
    from pipeline.settings import specs

    return {slug: specs(lesson.settings_type) for slug, lesson in all_lessons().items()}


def link_notes() -> None:
    """Show, once, what the opened link asked for that could not be used."""
    for note in st.session_state.pop(NOTES_KEY, []):
        st.warning(escape_markdown(note), icon=":material/link_off:")


def current_view(page_path: str) -> View:
    """The view on screen now: what the link should say."""
    slug = current_slug()
    state = st.session_state
    step = None
    entry = state.get(f"stepper:{slug}")
    if page_path == "prediction" and entry is not None:
        step = entry[1].index + 1
    settings = {}
    prefix = f"setting:{slug}:"
    from ui.runs import own_run_key  # here: ui.runs imports this module

    own = state.get(own_run_key(slug))
    if page_path == "training":
        settings = {k[len(prefix):]: v for k, v in state.items() if isinstance(k, str) and k.startswith(prefix)}
    elif own is not None and not state.get(CLASS_KEY):  # the learner's own model (a class lends the teacher's)
        settings = dataclasses.asdict(own.settings)
    return View(slug, state.get(f"pred-text:{slug}"), step, settings, presenting(), state.get(CLASS_KEY))


def sync_link(page_path: str) -> None:
    """Make the address bar hold the current view (without a rerun), so a reload or a copied link restores it."""
    view = current_view(page_path)
    specs = []
    if view.settings:
        from pipeline.lessons import get_lesson
        from pipeline.settings import specs as settings_specs

        specs = settings_specs(get_lesson(view.lesson).settings_type)
    params = to_params(view, specs)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
    st.session_state["link-url"] = _url(page_path, params)
    for hook in VIEW_HOOKS:
        hook(page_path)


def _url(page_path: str, params: dict[str, str]) -> str:
    try:
        base = urlsplit(st.context.url)
        origin = f"{base.scheme}://{base.netloc}" if base.netloc else ""
    except Exception:  # no browser context (a test runner): a relative link
        origin = ""
    query = urlencode(params)
    return f"{origin}/{page_path}" + (f"?{query}" if query else "")


def sidebar() -> None:
    """The lesson picker, presenter mode and the link to this view; presenter mode's larger type; the loader of
    Plotly's code."""
    lessons = catalog()
    with st.sidebar:
        slug = st.selectbox("Lesson", list(lessons), key=LESSON_KEY, format_func=lambda s: lessons[s].title)
        st.caption(lessons[slug].summary)
        st.toggle("Presenter mode", key=PRESENT_KEY, help="Larger type and the sidebar folded away, for a "
                  "projector. On the Prediction page, ← and → step through the stages, Space plays.")
        with st.popover("Link to this view", icon=":material/link:", use_container_width=True):
            st.caption("Opening this link shows this page, lesson, input, step and settings. It holds no "
                       "password or key.")
            st.code(st.session_state.get("link-url", ""), language=None, wrap_lines=True)
        preload_charts()  # last, in the sidebar: on every page (even one that stops early), taking no room
    st.html(PAGE_CSS)
    if presenting():
        st.html(PRESENTER_CSS)
    link_notes()
