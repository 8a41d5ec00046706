"""Drawing a prediction layer: its words, then its picture, chosen by the view's type."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import lru_cache, singledispatch
from typing import Any

import streamlit as st

from pipeline.content.glossary import terms_in
from pipeline.document.views import TextView, View
from pipeline.render import figures
from pipeline.render.describe import data_rows, drawn, fmt_dims
from pipeline.render.drawing import Figure, send_kept_json
from ui.widgets import chart, escape_markdown

FIGURES_KEPT = 64  # about 9 stages x a few inputs x a few learners' runs; a figure is a few hundred KB at most


def layer_figure(view: View):
    """``figures.layer_figure(view)``, built once per distinct view and shared by every session.

    Building a figure through Plotly's object model (every property validated) was most of a Next click's
    server time; a view is a frozen dataclass of tuples, so equal views share one figure. Nothing changes a
    figure once built (``Figure.keep``): ``st.plotly_chart`` only reads it."""
    if not _keepable(view):  # a view holding something unhashable (a list in a hand-made view): built each time
        return figures.layer_figure(view)
    with _lock:
        building = _building.get(view)
    if building is not None:
        building.join()  # already being built in the background: wait for it rather than build it twice
    return _kept_figure(view)


def _keepable(view: View) -> bool:
    """Whether ``view`` can key the figure cache (hashable: every view built from a trace is)."""
    try:
        hash(view)
    except TypeError:
        return False
    return True


class KeptFigures:
    """Figures by view, the ``size`` most recently used kept (shared by every session); ``hits`` and ``misses``
    count the calls that found one and those that built one."""

    def __init__(self, size: int) -> None:
        self.size, self.hits, self.misses = size, 0, 0
        self._kept: OrderedDict[View, Any] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, view: View) -> bool:
        with self._lock:
            return view in self._kept

    def __call__(self, view: View) -> Any:
        with self._lock:
            figure = self._kept.get(view)
            if figure is not None:
                self._kept.move_to_end(view)
                self.hits += 1
                return figure
            self.misses += 1
        figure = figures.layer_figure(view)
        if isinstance(figure, Figure):
            figure.keep()  # shared by every session from now on, and never changed: its dict made once
        with self._lock:
            self._kept[view] = figure
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return figure


_kept_figure = KeptFigures(FIGURES_KEPT)
send_kept_json()  # st.plotly_chart sends a kept figure's JSON as made once, not encoded again at every send
_building: dict[View, threading.Thread] = {}  # views whose figures are being built in the background
_lock = threading.Lock()


def stage_rows(view: View) -> Sequence[dict]:
    """``describe.data_rows(view)``: the numbers behind the stage's picture, worked out once per view (read only)."""
    return _kept_rows(view) if _keepable(view) else data_rows(view)


@lru_cache(maxsize=FIGURES_KEPT)
def _kept_rows(view: View) -> tuple[dict, ...]:
    # asked at every draw of a stage, to know whether it has numbers to offer: 200 times when a class follows a move
    return tuple(data_rows(view))


def prepare(view: View) -> threading.Thread | None:
    """Start building ``view``'s figure in the background -- the stage a learner will most likely open next --
    so that the click that opens it finds it built. Returns the thread (None for a view with no figure)."""
    if isinstance(view, TextView) or not _keepable(view):
        return None
    with _lock:
        if view in _kept_figure:
            return None  # built already: a follower's every push would start a thread for nothing
        if view in _building:
            return _building[view]
        thread = _building[view] = threading.Thread(target=_build, args=(view,), name="pipeline-trace-figure",
                                                    daemon=True)
    thread.start()
    return thread


def _build(view: View) -> None:
    try:
        _kept_figure(view)
    except Exception:  # the click that opens the stage builds it again, and shows what went wrong there
        pass
    finally:
        with _lock:
            _building.pop(view, None)


@singledispatch
def picture(view: View, key: str, highlight: int | None = None) -> None:
    """Draw a layer's picture: its Plotly figure (every view type with a figure builder); ``highlight``: the position
    (among the words drawn) of a word whose row and column are highlighted."""
    fig = layer_figure(view)
    chart(fig if highlight is None else figures.highlight_word(fig, highlight), key=key)


@picture.register
def _(view: TextView, key: str, highlight: int | None = None) -> None:
    st.text(view.text)  # preformatted and literal: never Markdown


def glossary(*texts: str) -> None:
    """The glossary's entries for the words these texts use, one click away."""
    terms = terms_in(*texts)
    if terms:
        with st.popover("Words used here", icon=":material/menu_book:"):
            st.markdown("\n".join(f"- **{escape_markdown(t.term)}**: {escape_markdown(t.definition)}" for t in terms))


def show_layer(view: View, key: str, number: int | None = None, notes: Sequence[str] = (),
               side_by_side: str | None = None, verdict: str | None = None, below: Callable[[], None] | None = None,
               controls: Callable[[], None] | None = None, highlight: int | None = None) -> None:
    """Draw one prediction layer: its title and verdict, its picture, then its description, shape and notes.

    ``side_by_side`` (a name for the place, the same from stage to stage) lays the words left of the picture on a
    wide screen -- the picture right of the title, never under the words, so it starts on the first screen -- and on
    a phone puts the picture straight after the title, its verdict and the longer words after it (a CSS grid:
    ``ui.state.PAGE_CSS``). The place's blocks keep their names from stage to stage and only what is in them changes:
    blocks named per stage were new blocks, and React moved the old picture into them and drew it once more before
    the new one came. ``verdict`` is the sentence that states the stage's point; ``notes`` are the prediction's notes
    (unknown words, a cut input), shown with the view's own beside every stage, where they push no picture down;
    ``below`` adds what follows the words (e.g. the stage's numbers as a table); ``controls`` what follows the
    verdict (a time-lapse's epochs, the words to highlight): beside the picture, never above it. ``highlight``: see
    ``picture``.
    """
    stage = st.container(key=f"stage-{side_by_side}" if side_by_side else None)
    head, drawing, said, rest = (stage.container(key=f"stage-{part}-{side_by_side}" if side_by_side else None)
                                 for part in ("head", "picture", "verdict", "rest"))
    head.subheader(escape_markdown(f"{number}. {view.title}" if number else view.title), anchor=False)
    with drawing:
        picture(view, key, highlight)
    if verdict:
        said.info(escape_markdown(verdict), icon=":material/visibility:")
    if controls is not None:
        with said:
            controls()
    with rest:
        st.markdown(escape_markdown(view.description))
        st.caption(f"Shape: {escape_markdown(fmt_dims(view))}. {escape_markdown(drawn(view))}")
        for note in dict.fromkeys([*view.notes, *notes]):
            st.warning(escape_markdown(note), icon=":material/info:")
        glossary(view.title, view.description)
        if below is not None:
            below()
