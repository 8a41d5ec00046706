"""Small Streamlit pieces: escaping, tables, charts, the settings form, quiz marks."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

import streamlit as st

from pipeline.training.settings import SettingSpec, specs
from ui import keys

if TYPE_CHECKING:
    import plotly.graph_objects as go
    from streamlit.runtime.uploaded_file_manager import UploadedFile

    from pipeline.content.lesson import Question
    from pipeline.lessons import Lesson

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=^])")
# Streamlit's Markdown turns some plain text into links and icons after parsing, so no backslash escape reaches them:
# GFM's autolinks (``https://…``, ``www.…``, ``a@b.org``) and the ``:material/name:`` and ``:streamlit:`` icons. An
# invisible word joiner (U+2060: no width, no line break) breaks each of those patterns -- after the colon of
# ``://``, ``:material/`` and ``:streamlit:``, before an @, after "www" -- and nothing a reader sees; any other text
# is left as it is.
JOINER = "\u2060"
_LIVE_TEXT = re.compile(r"(?<=:)(?=//|material/|streamlit\\?:)|(?=@)|(?<=\bwww)(?=\\?\.)", re.IGNORECASE)


def escape_markdown(text: str) -> str:
    """``text`` as Streamlit Markdown that shows it exactly as typed: Markdown, HTML, ``$math$`` and ``:directives:``
    backslash-escaped; links and icons Streamlit would make from plain text broken with invisible joiners."""
    return _escaped(str(text))


@functools.lru_cache(maxsize=4096)
def _escaped(text: str) -> str:
    # a stage's words are escaped at every draw: for a class of 200 following a move, 200 times each
    return _LIVE_TEXT.sub(JOINER, _MARKDOWN_SPECIAL.sub(r"\\\1", text))


RIGHT, WRONG, OTHER = ":green[:material/check_circle:]", ":red[:material/cancel:]", ":gray[:material/circle:]"


def marked_choices(question: Question, chosen: int) -> list[str]:
    """An answered question's choices in Streamlit Markdown: the right one ticked, a wrong pick crossed,
    the pick in bold. (Icons from Streamlit's own icon font: not every machine has an emoji font.)"""
    lines = []
    for i in range(len(question.choices)):
        mark = RIGHT if i == question.answer else WRONG if i == chosen else OTHER
        label = escape_markdown(question.label(i))
        lines.append(f"{mark} **{label}** · your answer" if i == chosen else f"{mark} {label}")
    return lines


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> None:
    """A static table of ``pipeline.render.tables`` rows, as a Markdown table (:func:`markdown_table`).

    Not st.table: that sends the rows as an Arrow table, which needs pandas and pyarrow on the server
    (about 0.7 s to import) and a megabyte of Arrow code in the browser, on the first page of every visit."""
    text = markdown_table(rows, columns)
    if text:
        st.markdown(text)


_NUMBER = re.compile(r"[-+−]?[\d,]*\.?\d+%?")


def markdown_table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    """Rows as a GitHub Markdown table ("" when there are no columns): every cell escaped and on one line, so a
    stage called "1. <b>x</b>", a learner's ``**text** | more`` or a line break shows exactly as written and
    never breaks the table; a column of numbers (``12``, ``0.53``, ``97.1%``, ``1,000``) is right-aligned."""
    names = list(columns) if columns is not None else list(dict.fromkeys(k for row in rows for k in row))
    if not names:
        return ""
    texts = [["" if (value := row.get(name)) is None else str(value) for name in names] for row in rows]

    def numbers(i: int) -> bool:
        filled = [r[i] for r in texts if r[i].strip() not in ("", "—")]
        return bool(filled) and all(_NUMBER.fullmatch(t.strip()) for t in filled)

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(escape_markdown(" ".join(c.splitlines())) for c in cells) + " |"

    rule = "|" + "|".join("---:" if numbers(i) else "---" for i in range(len(names))) + "|"
    return "\n".join([line(names), rule, *(line(r) for r in texts)])


# Loads Plotly's code once the page is idle: the chunk's address is taken from the app's own entry script, so it is
# the very module Streamlit imports for its first chart (one copy, shared), wherever the app is served from.
_PRELOAD = """<script>(() => {
  const entry = document.querySelector('script[type="module"][src*="/static/js/index."]');
  if (!entry) return;
  const load = () => import(new URL(CHUNK, entry.src).href).catch(() => {});
  (window.requestIdleCallback || ((then) => setTimeout(then, 200)))(load, {timeout: 4000});
})();</script>"""


def preload_charts() -> None:
    """Start loading Plotly's code (4.7 MB) in the browser while the learner reads a page that has no chart yet.

    Streamlit fetches it when the first chart arrives; on the Prediction page that is the first Next click,
    which then waited about 1.5 s before drawing anything. Loaded at idle after the first paint, it costs a page
    that shows a chart nothing (the module is already there) and one that never does only idle time."""
    chunk = plotly_chunk()
    if chunk:
        st.html(_PRELOAD.replace("CHUNK", json.dumps(chunk)), unsafe_allow_javascript=True)


_CHUNK = re.compile(r"PlotlyChart\.[\w-]+\.js")


@functools.cache
def plotly_chunk() -> str | None:
    """The file name of the Streamlit build's Plotly chunk (``PlotlyChart.<hash>.js``), or None unless it has
    exactly one."""
    folder = resources.files("streamlit") / "static" / "static" / "js"
    try:
        names = [p.name for p in folder.iterdir() if _CHUNK.fullmatch(p.name)]
    except OSError:
        return None
    return names[0] if len(names) == 1 else None


def chart(fig: go.Figure | dict, key: str) -> None:
    """Show a Plotly figure (or its JSON) full width, with our own styling (not the Streamlit theme) and no Plotly
    toolbar: on a touch screen it is always shown, over the chart's top labels (Streamlit's own toolbar remains)."""
    st.plotly_chart(fig, key=key, theme=None, config={"displaylogo": False, "displayModeBar": False})


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


def open_setting_widget(spec: SettingSpec, key: str) -> Any:
    """One input for a setting that takes any number: its range (in the help) is checked when Train is
    pressed, so a value out of range gets a message beside the button rather than only a red field
    (a browser keeps an out-of-range value to itself and the form would train on the old one)."""
    if spec.kind is bool:
        return setting_widget(spec, key)
    help_text = f"{spec.help} From {spec.range_text}."
    if spec.kind is int:
        return st.number_input(spec.label, value=int(spec.default), step=1, help=help_text, key=key,
                               persist_state="session")
    decimals = max(0, -int(f"{spec.min:e}".split("e")[1]))
    return st.number_input(spec.label, value=float(spec.default), step=float(spec.default) / 2,
                           format=f"%.{decimals}f", help=help_text, key=key, persist_state="session")


def training_form(current: Lesson, columns: int = 4) -> tuple[dict[str, Any], UploadedFile | None, bool, Any]:
    """The settings form of the Training page: (values by name, uploaded file, submitted, message slot).

    Number inputs take any number, and an empty slot right below the Train button holds what stops a run
    there (a value out of range, a run over the budget). Lessons that accept a learner's own data
    (``data_format``) also get a file uploader.
    """
    values, upload = {}, None
    # Enter in a field does not train (a learner typing four values started four runs): only the button does
    with st.form(f"settings-{current.slug}", border=True, enter_to_submit=False):
        cols = st.columns(columns)
        for i, spec in enumerate(specs(current.settings_type)):
            with cols[i % columns]:
                values[spec.name] = open_setting_widget(spec, key=keys.setting(current.slug, spec.name))
        if current.data_format:
            upload = st.file_uploader(f"Your own data (optional): {current.data_format}",
                                      type=list(current.data_types), key=keys.upload(current.slug),
                                      help="Leave empty to train on the lesson's built-in data.")
        submitted = st.form_submit_button("Train", type="primary", icon=":material/model_training:")
        message = st.empty()
    return values, upload, submitted, message
