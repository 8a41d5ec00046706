"""The models a page uses: the lesson's shared default run, the learner's own run, predictions, the stepper.

The lesson code (and torch) is imported on first use, not at import: a page paints its first lines first.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

import streamlit as st

from pipeline.app import overview as kept_overview
from pipeline.app.stepper import Stepper
from pipeline.paths import code_hash
from pipeline.training.settings import make_settings
from ui import keys
from ui.state import current_slug, ensure_router

if TYPE_CHECKING:
    from pipeline.app.default_run import CachedPrediction
    from pipeline.app.stepper import Stepper
    from pipeline.document.views import Prediction
    from pipeline.lessons import Lesson, LessonRun

_torch_ready = False


def _prepare_torch() -> None:
    """One torch thread per process: every session runs in its own thread, so pools would multiply."""
    global _torch_ready
    if not _torch_ready:
        import torch  # on first use: a page paints its first lines before torch loads

        if torch.get_num_threads() != 1:
            torch.set_num_threads(1)
        _torch_ready = True


def lesson() -> Lesson:
    """The lesson picked in the sidebar, its code imported (with torch) on first use."""
    ensure_router()
    _prepare_torch()
    from pipeline.lessons import get_lesson  # torch: each lesson's module imports it

    current = get_lesson(current_slug())
    if st.session_state.get(keys.LINK_SETTINGS, ("",))[0] == current.slug:  # before the page reads its model
        _restore_from_link(current, st.session_state.pop(keys.LINK_SETTINGS)[1])
    return current


@st.cache_resource(show_spinner="Loading this lesson's model (trained once, for every learner)…", max_entries=16)
def default_run(slug: str) -> CachedPrediction:
    """The lesson's default run, from the run cache (trained only if it is in neither memory nor disk).

    Shared by all sessions, read-only: pages trace and predict with it, never train it."""
    _prepare_torch()
    # torch and the lesson's code, once per server (this is cached)
    from pipeline.app.default_run import default_run as cached_default_run
    from pipeline.lessons import get_lesson

    return cached_default_run(get_lesson(slug))


def own_run(slug: str) -> LessonRun | None:
    """The model this learner trained on the Training page, if any (kept in their session only)."""
    return st.session_state.get(keys.own_run(slug))


def _restore_from_link(current: Lesson, values: dict) -> None:
    """After a reload (or from a shared link) the link's settings name a run (the lesson's defaults for the
    rest): if the run cache holds it, it is this learner's model again at once, never trained again."""
    # torch: the run cache holds models; only when a link names settings
    from pipeline.runs.cache import shared_cache
    from pipeline.training.live import TrainingLog

    slug = current.slug
    if own_run(slug) is not None:
        return
    try:
        settings = make_settings(current.settings_type, values)
    except ValueError:  # the link's settings were checked one by one; a combination may still be refused
        return
    run = shared_cache().get(current, settings)
    if run is not None and run.complete:  # shown as the Training page shows a run the cache had when Train is pressed
        st.session_state[keys.own_run(slug)] = run
        st.session_state[keys.train_log(slug)] = TrainingLog(settings.epochs, epochs=list(run.epochs))


def run_to_use(slug: str) -> tuple[LessonRun, bool]:
    """(run, is_own): the learner's own run, else the shared default run (tracing it is thread-safe)."""
    mine = own_run(slug)
    return (mine, True) if mine is not None else (default_run(slug).run, False)


PREDICTIONS_KEPT = 4  # per session: a step click or a side-by-side comparison never traces again


def predict(current: Lesson, run: LessonRun, text: str) -> Prediction:
    """``current.predict(run, text)``, remembered in the session so a step click does not re-trace."""
    kept: list = st.session_state.setdefault(keys.PREDICTIONS, [])
    for entry in kept:
        if entry[0] is run and entry[1] == text:
            return entry[2]
    prediction = current.predict(run, text)
    kept.insert(0, (run, text, prediction))
    del kept[PREDICTIONS_KEPT:]
    return prediction


def variant_run(current: Lesson, run: LessonRun, setting: str) -> LessonRun:
    """``run``'s settings with one on/off setting flipped (e.g. attention), from the run cache: trained
    once, and shared by every learner who asks for the same settings."""
    from pipeline.runs.cache import shared_cache  # torch: it trains or loads a model

    flipped = not getattr(run.settings, setting)
    with st.spinner(f"Preparing the model with {setting} {'on' if flipped else 'off'} (trained once, then "
                    "kept for everyone)…"):
        return shared_cache().run(current, dataclasses.replace(run.settings, **{setting: flipped}))


def stepper(slug: str, signature: tuple, count: int) -> Stepper:
    """This session's Prev/Next/Play position, reset when the input or the model changes."""
    key = keys.stepper(slug)
    entry = st.session_state.get(key)
    if entry is None or entry[0] != signature or entry[1].count != count:
        entry = (signature, Stepper(count))
        st.session_state[key] = entry
        asked = st.session_state.pop(keys.LINK_STEP, None)
        from_link = st.session_state.pop(keys.LINK_STEP_NOTE, False)
        if asked is not None and asked > count and from_link:  # a hand-written link: say so, start at 1
            st.warning(f"The link's step {asked} is past the last stage of this input ({count}); starting at "
                       "step 1.", icon=":material/link_off:")
        elif asked is not None:
            entry[1].go(asked - 1)
    return entry[1]


OPENED_FILES_BYTES = 256_000_000  # memory the server keeps for opened trace files, for every session together


class _OpenedFiles:
    """Opened trace files by content, the least recently opened dropped first once they hold more than
    ``budget`` bytes (as ``fileformat.opened_bytes`` estimates them): bounded in bytes, not in files."""

    def __init__(self, budget: int) -> None:
        self.budget, self.held = budget, 0
        self._docs: OrderedDict[str, tuple[object, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, raw: bytes, name: str):
        from pipeline.document.fileformat import loads, opened_bytes  # pydantic and torch: when a file is opened

        digest = hashlib.sha256(raw).hexdigest()
        with self._lock:
            if digest in self._docs:
                self._docs.move_to_end(digest)
                return self._docs[digest][0]
        doc = loads(raw, name)  # outside the lock: other sessions' files open meanwhile
        size = opened_bytes(raw)
        with self._lock:
            if digest not in self._docs:
                self._docs[digest] = (doc, size)
                self.held += size
            while self.held > self.budget and len(self._docs) > 1:
                _, (_, dropped) = self._docs.popitem(last=False)
                self.held -= dropped
        return doc


@st.cache_resource(show_spinner=False)
def _opened_files() -> _OpenedFiles:
    return _OpenedFiles(OPENED_FILES_BYTES)


def open_trace_bytes(raw: bytes, name: str):
    """A trace file's document, parsed once per distinct content (shared read-only between sessions, and
    kept while the opened files hold less than ``OPENED_FILES_BYTES``)."""
    return _opened_files().get(raw, name)


@st.cache_resource(show_spinner="Loading this lesson's numbers…", max_entries=16)
def _overview(slug: str, version: str) -> dict:
    from pipeline.render.drawing import from_json  # plotly: the charts are drawn after the page's first lines

    card = kept_overview.load(slug)
    if card is None:  # not kept yet (a new server, new code): the default run writes it
        default_run(slug)
        card = kept_overview.load(slug)
    # Its charts as figures, validated once here: handed a dict, st.plotly_chart would validate it through
    # Plotly's object model again for every learner who opens the page (about 50 ms of each first run).
    return {**card, **{name: from_json(card[name]) for name in ("curves", "probes") if card.get(name)}}


def overview(slug: str) -> dict:
    """The Overview's numbers for the lesson's default run, without loading the model when they are kept."""
    return _overview(slug, code_hash())


def handout(slug: str) -> str:
    """The offline handout of the lesson's default run (built when asked for)."""
    from pipeline.render.handout import handout_html  # plotly and the handout: when one is asked for

    return handout_html(default_run(slug).document)
