"""The input of a lesson that reads pictures: a canvas to draw on (mouse, finger or keyboard) beside a picker of
held-out images -- one compact row, the canvas one click away, as the text lessons have a text box.

The canvas is our own Streamlit component (``st.components.v2``): its HTML, CSS and JavaScript are in this file and
served by the app itself, so it works offline and loads nothing from elsewhere. When a stroke ends it hands back the
drawing as a PNG (a data URL); the lesson turns that into its input (``Lesson.picture_input``), exactly as it reads a
PNG file, and a drawing it cannot read (a blank canvas) is one line under the row.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import streamlit as st
from streamlit.components.v2 import component

from pipeline.errors import InputError
from ui.widgets import escape_markdown

if TYPE_CHECKING:
    from pipeline.lessons import Lesson

SIZE = 224  # the canvas's own pixels; shown at most this wide, narrower on a small screen
MAX_DATA_URL = 1_500_000  # characters of a drawing's PNG as a data URL (a 224 x 224 drawing is ~10,000)
PNG_PREFIX = "data:image/png;base64,"

HTML = f"""<div class="pt-draw">
  <div class="pad"><canvas width="{SIZE}" height="{SIZE}" tabindex="0" role="img"
    aria-label="Drawing area. Draw a digit with the mouse or a finger. Keys: arrows move the pen, Space inks a dot,
    Shift with an arrow draws a line, Delete clears."></canvas><div class="pen" aria-hidden="true"></div></div>
  <div class="bar"><button type="button" class="clear">Clear</button>
    <span class="hint">Draw with the mouse or a finger · keys: arrows move, Space inks, Shift+arrow draws,
    Delete clears</span></div>
</div>"""

CSS = f"""
.pt-draw {{ display: flex; flex-direction: column; gap: .4rem; align-items: flex-start; }}
.pt-draw .pad {{ position: relative; width: min({SIZE}px, 70vw); aspect-ratio: 1; }}
.pt-draw canvas {{ width: 100%; height: 100%; border: 2px solid #374151; border-radius: 6px; background: #fff;
  touch-action: none; cursor: crosshair; display: block; }}
.pt-draw canvas:focus-visible {{ outline: 3px solid #1d4ed8; outline-offset: 2px; }}
.pt-draw .pen {{ position: absolute; width: 7%; aspect-ratio: 1; border: 2px solid #1d4ed8; border-radius: 50%;
  transform: translate(-50%, -50%); pointer-events: none; display: none; }}
.pt-draw canvas:focus-visible + .pen {{ display: block; }}
.pt-draw .bar {{ display: flex; gap: .6rem; align-items: center; flex-wrap: wrap; max-width: min({SIZE}px, 70vw); }}
.pt-draw button {{ font: inherit; padding: .2rem .8rem; border: 1px solid #6b7280; border-radius: .4rem;
  background: #fff; color: #111827; cursor: pointer; }}
.pt-draw .hint {{ font-size: .8rem; color: #374151; }}
"""

JS = """
export default function (component) {
  const { parentElement, setStateValue } = component;
  const root = parentElement.querySelector('.pt-draw');
  if (!root || root.dataset.ready) return;
  root.dataset.ready = '1';
  const canvas = root.querySelector('canvas'), pen = root.querySelector('.pen');
  const ctx = canvas.getContext('2d'), size = canvas.width, step = size / 16;
  let down = false, last = null, inked = false, timer = null;
  const cursor = { x: size / 2, y: size / 2 };
  const blank = () => { ctx.fillStyle = '#ffffff'; ctx.fillRect(0, 0, size, size); inked = false; };
  const send = () => setStateValue('png', inked ? canvas.toDataURL('image/png') : '');
  const later = () => { clearTimeout(timer); timer = setTimeout(send, 600); };
  const line = (a, b) => {
    ctx.strokeStyle = '#111827'; ctx.lineWidth = size / 13; ctx.lineCap = 'round'; ctx.lineJoin = 'round';
    ctx.beginPath(); ctx.moveTo(a.x, a.y); ctx.lineTo(b.x + 0.01, b.y); ctx.stroke(); inked = true;
  };
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    return { x: (e.clientX - r.left) * size / r.width, y: (e.clientY - r.top) * size / r.height };
  };
  const showPen = () => { pen.style.left = `${cursor.x / size * 100}%`; pen.style.top = `${cursor.y / size * 100}%`; };
  blank();
  showPen();
  canvas.addEventListener('pointerdown', (e) => {
    e.preventDefault(); canvas.focus({ preventScroll: true });
    canvas.setPointerCapture(e.pointerId); down = true; last = at(e); line(last, last);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!down) return;
    e.preventDefault(); const p = at(e); line(last, p); last = p;
  });
  const end = () => { if (down) { down = false; clearTimeout(timer); send(); } };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  canvas.addEventListener('keydown', (e) => {
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (moves[e.key]) {
      e.preventDefault();
      const from = { ...cursor };
      cursor.x = Math.min(size - step / 2, Math.max(step / 2, cursor.x + moves[e.key][0] * step));
      cursor.y = Math.min(size - step / 2, Math.max(step / 2, cursor.y + moves[e.key][1] * step));
      if (e.shiftKey) { line(from, cursor); later(); }
      showPen();
    } else if (e.key === ' ' || e.key === 'Enter') {
      e.preventDefault(); line(cursor, cursor); later();
    } else if (e.key === 'Delete' || e.key === 'Backspace') {
      e.preventDefault(); blank(); clearTimeout(timer); send();
    }
  });
  root.querySelector('.clear').addEventListener('click', () => { blank(); clearTimeout(timer); send(); });
}
"""

_component = component("pipeline_trace.draw", html=HTML, css=CSS, js=JS)


def drawing_to_input(current: Lesson, data_url: str | None) -> str:
    """A drawing's PNG data URL as the lesson's input; InputError (one line) when it holds no usable drawing."""
    if not data_url:
        raise InputError("Your drawing is blank: draw a digit in the box first.")
    if len(data_url) > MAX_DATA_URL or not data_url.startswith(PNG_PREFIX):
        raise InputError("Your drawing could not be read: it did not arrive as a PNG image. Draw it again.")
    try:
        raw = base64.b64decode(data_url[len(PNG_PREFIX):], validate=True)
    except ValueError:
        raise InputError("Your drawing could not be read: its PNG data is damaged. Draw it again.") from None
    try:
        return current.picture_input(raw, "the drawing")
    except InputError as e:
        message = str(e).removeprefix("the drawing: ")
        raise InputError(f"Your drawing: {message[:1].lower()}{message[1:]}") from None


def canvas(current: Lesson, key: str, on_input: Callable[[str | None, str | None], None]) -> None:
    """The canvas; after each stroke (or Clear) ``on_input(input, problem)`` gets the drawing as the lesson's input,
    or None and the one line that says why it cannot be used."""
    def changed() -> None:
        try:
            on_input(drawing_to_input(current, st.session_state[key].get("png")), None)
        except ValueError as e:
            on_input(None, str(e))

    _component(key=key, on_png_change=changed, width="content")


def input_name(current: Lesson, text: str, examples: Sequence[str]) -> str:
    """How a page names an input in a list or a heading: a text as typed; a picture by its place among the held-out
    examples (never by its answer), else "your drawing"."""
    from pipeline.lessons import InputKind  # the lesson code is loaded by the page already; kept off this import

    if current.input_kind is InputKind.TEXT:
        return text
    return f"held-out image {list(examples).index(text) + 1}" if text in examples else "your drawing"


def problem_line(text: str) -> None:
    """The one line saying why the drawing could not be used."""
    st.error(escape_markdown(text), icon=":material/draw:")
