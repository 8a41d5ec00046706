"""The view a learner is on: the lesson picked, the link they opened, the link that follows them, presenter mode.

A link restores a view (``pipeline.app.viewstate``); bad values in it are ignored with a note shown at the
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

from pipeline.app.viewstate import RESERVED, LinkView, from_params, to_params
from pipeline.content.catalog import catalog
from pipeline.content.lesson import LessonContent
from pipeline.training.settings import specs as settings_specs
from ui import keys
from ui.widgets import escape_markdown, preload_charts

PUBLIC_ENV = "PIPELINE_TRACE_PUBLIC"
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
# - The page starts right under the fixed header (3.75rem): Streamlit's default 6rem pushed every page's first
#   picture 2 rem further down the first screen.
# - A Prediction stage (ui.layers.show_layer, side by side): on a wide screen its title, verdict and words fill the
#   left third and the picture the rest, from the top; on a phone (where Streamlit stacks columns too) the title,
#   then the picture, its verdict and the words. The input row stays one row on a phone.
# - The stepper's toolbar: no key hints on a touch screen (no keys to press); on a phone its buttons show their icons
#   only, their words kept (visually hidden) as their names for a screen reader.
PAGE_CSS = """<style>
[data-testid="stFullScreenFrame"] { width: round(down, 100%, 1px); }
[data-testid="stMainBlockContainer"] { padding-top: 4.25rem; }
[class*="st-key-stage-head-"] h3 { font-size: 1.45rem; }
[data-testid="stMarkdownContainer"]:has(table) { overflow-x: auto; max-width: 100%; }
@media (max-width: 640px) {
  [data-testid="stMarkdownContainer"] table { font-size: 0.8rem; }
  [data-testid="stMarkdownContainer"] :is(th, td) { padding: 0.3rem; }
  .st-key-stepper-bar [data-testid="stButton"] button [data-testid="stMarkdownContainer"] {
    position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
  .st-key-stepper-bar [data-testid="stButton"] button { padding-left: 0.45rem; padding-right: 0.45rem; }
}
@media (hover: none) { .st-key-stepper-bar kbd { display: none; } }
/* The data-flow animation names every stage in its boxes: narrower than 640 px it would drop the names, so a phone
   scrolls it sideways inside its own box instead. */
.st-key-dataflow-animation { overflow-x: auto; }
.st-key-dataflow-animation [data-testid="stPlotlyChart"] { min-width: 640px; }
@media (min-width: 641px) {
  [class*="st-key-stage-step-"] { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 2fr);
                                 grid-template-rows: auto auto 1fr; column-gap: 2rem; align-items: start; }
  [class*="st-key-stage-step-"] > :has(> [class*="st-key-stage-head-"]) { grid-column: 1; grid-row: 1; }
  [class*="st-key-stage-step-"] > :has(> [class*="st-key-stage-verdict-"]) { grid-column: 1; grid-row: 2; }
  [class*="st-key-stage-step-"] > :has(> [class*="st-key-stage-rest-"]) { grid-column: 1; grid-row: 3; }
  [class*="st-key-stage-step-"] > :has(> [class*="st-key-stage-picture-"]) { grid-column: 2; grid-row: 1 / span 3; }
}
@media (max-width: 640px) {
  .st-key-input-row [data-testid="stHorizontalBlock"] { flex-wrap: nowrap; }
  .st-key-input-row [data-testid="stColumn"] { min-width: 0; width: auto; flex: 3 1 0; }
  .st-key-input-row [data-testid="stColumn"] + [data-testid="stColumn"] { flex: 2 1 0; }
}
</style>"""
# The main block starts below the fixed header (3.75rem high), so the input is never hidden under it.
# In presenter mode the stepper's toolbar stays one row where it can (no key hints: the keys are in the tooltips), and
# a stage's title is smaller, so the title, the verdict and the picture all fit 1280x720 at 150 %.
PRESENTER_CSS = """<style>
html { font-size: 22px; }
[data-testid="stMainBlockContainer"] { padding-top: 4rem; padding-bottom: 1rem; max-width: 100%; }
[data-testid="stHeading"] h1 { font-size: 1.6rem; padding-top: 0; }
.st-key-stepper-bar { gap: 0.35rem; }
.st-key-stepper-bar kbd { display: none; }
.st-key-stepper-bar [data-testid="stButton"] button { padding-left: 0.5rem; padding-right: 0.5rem; }
.st-key-stepper-bar :is(.st-key-first, .st-key-last) button [data-testid="stMarkdownContainer"] {
  position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
[class*="st-key-stage-head-"] h3 { font-size: 1.15rem; }
@media (min-width: 641px) {
  [class*="st-key-stage-step-"] { grid-template-columns: minmax(0, 1fr) minmax(0, 1.4fr); }
}
</style>"""


def current_slug() -> str:
    """The lesson picked in the sidebar (the first lesson before anything is picked)."""
    slug = st.session_state.get(keys.LESSON)
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
    return bool(st.session_state.get(keys.PRESENT, False))


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
    if st.session_state.get(keys.LINK_READ):
        return
    st.session_state[keys.LINK_READ] = True
    params = st.query_params.to_dict()
    default = next(iter(catalog()))
    view, notes = from_params(params, _settings_specs(params), default)
    slug = view.lesson or default
    st.session_state[keys.LESSON] = slug
    if view.text is not None:
        st.session_state[keys.text(slug)] = view.text
    if view.step is not None:
        st.session_state[keys.LINK_STEP] = view.step
        st.session_state[keys.LINK_STEP_NOTE] = True  # ui.runs.stepper: a step past the last stage gets a note
    for name, value in view.settings.items():
        st.session_state[keys.setting(slug, name)] = value
    if view.settings:  # ui.runs.lesson looks this run up in the run cache: a reload finds the model again
        st.session_state[keys.LINK_SETTINGS] = (slug, dict(view.settings))
    st.session_state[keys.PRESENT] = view.present
    if view.class_code:
        st.session_state[keys.CLASS_CODE] = view.class_code
    st.session_state[keys.LINK_NOTES] = notes


def _settings_specs(params: dict[str, str]) -> dict:
    """Each lesson's settings, when the link has any (only then are the lessons' modules imported)."""
    if not set(params) - set(RESERVED):
        return {slug: [] for slug in catalog()}
    from pipeline.lessons import all_lessons  # torch: only when the link names settings

    return {slug: settings_specs(lesson.settings_type) for slug, lesson in all_lessons().items()}


def link_notes() -> None:
    """Show, once, what the opened link asked for that could not be used."""
    for note in st.session_state.pop(keys.LINK_NOTES, []):
        st.warning(escape_markdown(note), icon=":material/link_off:")


def current_view(page_path: str) -> LinkView:
    """The view on screen now: what the link should say."""
    slug = current_slug()
    state = st.session_state
    step = None
    entry = state.get(keys.stepper(slug))
    if page_path == "prediction" and entry is not None:
        step = entry[1].index + 1
    settings = {}
    prefix = keys.setting(slug, "")

    own = state.get(keys.own_run(slug))
    if page_path == "training":
        settings = {k[len(prefix):]: v for k, v in state.items() if isinstance(k, str) and k.startswith(prefix)}
    elif own is not None and not state.get(keys.CLASS_CODE):  # the learner's own model (a class lends the teacher's)
        settings = dataclasses.asdict(own.settings)
    return LinkView(slug, state.get(keys.text(slug)), step, settings, presenting(), state.get(keys.CLASS_CODE))


def sync_link(page_path: str) -> None:
    """Make the address bar hold the current view (without a rerun), so a reload or a copied link restores it."""
    view = current_view(page_path)
    specs = []
    if view.settings:
        from pipeline.lessons import get_lesson  # torch: only once the view has settings

        specs = settings_specs(get_lesson(view.lesson).settings_type)
    params = to_params(view, specs)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
    st.session_state[keys.LINK_URL] = _url(page_path, params)
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
        slug = st.selectbox("Lesson", list(lessons), key=keys.LESSON, format_func=lambda s: lessons[s].title)
        st.caption(lessons[slug].summary)
        st.toggle("Presenter mode", key=keys.PRESENT, help="Larger type and the sidebar folded away, for a "
                  "projector. On the Prediction page, ← and → step through the stages, Space plays.")
        with st.popover("Link to this view", icon=":material/link:", use_container_width=True):
            st.caption("Opening this link shows this page, lesson, input, step and settings. It holds no "
                       "password or key.")
            st.code(st.session_state.get(keys.LINK_URL, ""), language=None, wrap_lines=True)
        preload_charts()  # last, in the sidebar: on every page (even one that stops early), taking no room
    st.html(PAGE_CSS)
    if presenting():
        st.html(PRESENTER_CSS)
    link_notes()
