"""The offline handout: one self-contained HTML file of a trace document that a learner takes home.

The file needs no server and no network: Plotly's JavaScript is inlined once, every figure's JSON
sits in one ``<script type="application/json">`` block that a few lines of script draw, and a
Content-Security-Policy forbids the page from loading anything at all. The figures and tables are
the app's own (``pipeline.render.figures``, ``animation``, ``tables``), never a second copy.

Every string that may come from a learner or a file (input text, tokens, labels, file names, lesson
and quiz text, the command) is escaped with ``html.escape``; in the JSON block every ``<`` is written
``\\u003c``, so no text can close the script element. Readable on a phone, printable, and each chart
has a caption saying in words what it shows and its key numbers.
"""

from __future__ import annotations

import os

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from pipeline.document.document import TraceDocument
from pipeline.document.timelapse import frames, probes_kept, space_views
from pipeline.document.views import Prediction, SpaceView, TextView, View
from pipeline.render import tables
from pipeline.render.animation import dataflow_animation
from pipeline.render.describe import drawn, epoch_verdicts, fmt_dims, reading
from pipeline.render.figures import HIGHLIGHT_JS, layer_figure, timelapse_figure, training_curves
from pipeline.render.notebook import CSP, explorer_html, html_escape, script_json
from pipeline.render.numbers import percent
from pipeline.render.tables import Rows, fmt_shape
from pipeline.safeio import atomic_write

MAX_HANDOUT_BYTES = 15_000_000
EXAMPLES_SHOWN = 6
CSS = """
:root { color-scheme: light; --ink: #111827; --muted: #4b5563; --line: #d1d5db; --accent: #1d4ed8; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.55;
       font: 17px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main, footer { max-width: 1100px; margin: 0 auto; padding: 1rem 1.25rem; }
h1 { font-size: 2rem; line-height: 1.2; margin: 1rem 0 .5rem; }
h2 { font-size: 1.5rem; margin: 2.5rem 0 .75rem; padding-top: 1rem; border-top: 2px solid var(--line); }
h3 { font-size: 1.2rem; margin: 1.75rem 0 .5rem; }
.summary { font-size: 1.15rem; font-weight: 600; }
.muted, figcaption, .shape { color: var(--muted); }
.note { border-left: 4px solid #b45309; background: #fffbeb; padding: .5rem .75rem; }
.insight { border-left: 4px solid #15803d; background: #f0fdf4; padding: .75rem 1rem; }
.verdict { border-left: 4px solid var(--accent); background: #eff6ff; padding: .5rem .75rem; font-weight: 600; }
.literal { white-space: pre-wrap; overflow-wrap: anywhere; font-family: ui-monospace, Menlo, Consolas, monospace;
           background: #f3f4f6; padding: .5rem .75rem; border-radius: 4px; }
.table-wrap { overflow-x: auto; margin: .75rem 0; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
caption { text-align: left; color: var(--muted); padding: .25rem 0; }
th, td { border: 1px solid var(--line); padding: .35rem .5rem; text-align: left; vertical-align: top;
         overflow-wrap: break-word; }
th { background: #f3f4f6; }
figure { margin: 1rem 0; }
.chart { width: 100%; min-height: 200px; }
.scroll { overflow-x: auto; } .wide { min-width: 760px; }  /* drawn for a wide screen: a phone scrolls sideways */
ol.screens { padding: 0; list-style: none; }
details { border: 1px solid var(--line); border-radius: 6px; padding: .5rem .75rem; margin: .5rem 0; }
summary { cursor: pointer; font-weight: 600; color: var(--accent); }
dl.source { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dl.source dt { font-weight: 600; } dl.source dd { margin: 0; overflow-wrap: anywhere; }
@media (max-width: 600px) { body { font-size: 16px; } main, footer { padding: .75rem; } h1 { font-size: 1.6rem; } }
@media print {
  body { font-size: 11pt; } main, footer { max-width: none; padding: 0; }
  h2 { break-before: auto; } figure, tr, .screen { break-inside: avoid; }
  .modebar-container { display: none !important; }
}
"""

# Draws every chart from the JSON block; opens every <details> before printing, so answers print too.
LOADER = """
(function () {
  var figures = JSON.parse(document.getElementById("figures").textContent);
  var config = {responsive: true, displaylogo: false, displayModeBar: "hover"};
  Object.keys(figures).forEach(function (id) {
    var f = figures[id];
    Plotly.newPlot(id, {data: f.data, layout: f.layout, frames: f.frames || [], config: config}).then(
      pipelineTraceHighlight);
  });
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
})();
"""


class Charts:
    """The figures of one handout: each gets a numbered ``<div>`` in the page and its JSON in one block."""

    def __init__(self) -> None:
        self.figures: list[str] = []

    def add(self, fig: go.Figure, caption: str, wide: bool = False) -> str:
        """A ``<figure>`` holding the chart and its caption; the figure's JSON is kept for the block.

        A ``wide`` chart keeps a desktop width and scrolls sideways on a phone instead of squeezing.
        """
        self.figures.append(pio.to_json(fig, validate=False))
        chart = f'<div class="chart" id="chart-{len(self.figures)}"></div>'
        if wide:
            chart = f'<div class="scroll"><div class="wide">{chart}</div></div>'
        return f"<figure>{chart}<figcaption>{html_escape(caption)}</figcaption></figure>"

    def json(self) -> str:
        """Every figure as one JSON object keyed by chart id, safe to put inside a script element."""
        body = ",".join(f'"chart-{i}":{fig}' for i, fig in enumerate(self.figures, start=1))
        return script_json("{" + body + "}")


def handout_html(doc: TraceDocument) -> str:
    """The whole handout of ``doc`` as one HTML page (at most ``MAX_HANDOUT_BYTES`` of UTF-8).

    Raises:
        ValueError: if the page would be larger than ``MAX_HANDOUT_BYTES``.
    """
    charts = Charts()
    sections = [_header(doc), _examples(doc), _data_flow(doc, charts), _training(doc, charts), _inside(doc, charts),
                _prediction(doc.prediction, charts) if doc.prediction else "", _quiz(doc), _insight(doc)]
    page = "".join([
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>{html_escape(doc.title)} · pipeline-trace handout</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        "<main>\n", *sections, "</main>\n", _footer(doc),
        f'<script>{get_plotlyjs()}</script>\n',  # once, however many charts
        f'<script id="figures" type="application/json">{charts.json()}</script>\n',
        f"<script>{HIGHLIGHT_JS}{LOADER}</script>\n</body>\n</html>\n"])
    size = len(page.encode("utf-8"))
    if size > MAX_HANDOUT_BYTES:
        raise ValueError(f"the handout would be {size / 1e6:.1f} MB; the limit is {MAX_HANDOUT_BYTES / 1e6:.0f} MB")
    return page


def save_handout(doc: TraceDocument, path: str | os.PathLike) -> None:
    """Write the handout of ``doc`` to ``path`` atomically (a failure leaves an old file whole)."""
    atomic_write(path, handout_html(doc))


# --- sections ---------------------------------------------------------------------------------------

def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html_escape(' '.join(p.split()))}</p>\n" for p in text.split("\n\n") if p.strip())


def _table(rows: Rows, caption: str) -> str:
    if not rows:
        return ""
    head = "".join(f'<th scope="col">{html_escape(c)}</th>' for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html_escape(v)}</td>" for v in row.values()) + "</tr>\n" for row in rows)
    return (f'<div class="table-wrap"><table><caption>{html_escape(caption)}</caption>\n'
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody></table></div>\n")


def _header(doc: TraceDocument) -> str:
    parts = [f"<h1>{html_escape(doc.title)}</h1>\n"]
    if doc.lesson:
        parts.append(f'<p class="summary">{html_escape(doc.lesson.summary)}</p>\n')
        parts.append(_paragraphs(doc.lesson.intro))
    else:
        parts.append(f"<p>A model of type <strong>{html_escape(doc.trace.model_type or 'unknown')}</strong>, traced "
                     f"on one input: {len(doc.trace):,} calls recorded, shown below as {len(doc.stages)} stages.</p>\n")
    return "".join(parts)


def _examples(doc: TraceDocument) -> str:
    if not doc.examples:
        return ""
    rows = tables.examples_rows(doc.examples, EXAMPLES_SHOWN)
    caption = f"{len(rows)} held-out examples: inputs the model never trained on, and what the data expects."
    return '<h2 id="data">The data, as words</h2>\n' + _table(rows, caption)


def _data_flow(doc: TraceDocument, charts: Charts) -> str:
    stages = doc.stages
    if not stages:
        return ""
    names = "; ".join(f"{i}. {s.title}" for i, s in enumerate(stages, start=1))
    moving = (f"the values of “{doc.prediction.text}” moving" if doc.prediction is not None else
              "a sample of each stage's values, one stage after another,")
    caption = (f"Animation of {moving} through the {len(stages)} stages, from {fmt_shape(stages[0].input_shape)} "
               f"to {fmt_shape(stages[-1].output_shape)}: {names}. Press Play or drag the slider; the table below "
               "lists the same stages for the whole traced batch.")
    table = _table(tables.stage_rows(stages), "Every stage: its input and output shapes, what it does, and the "
                   "first example's values (? means the size varies from example to example).")
    flow = (f'<h2 id="data-flow">Data flow · {len(stages)} stages</h2>\n'
            + charts.add(dataflow_animation(stages, doc.prediction), caption, wide=True) + table)
    if doc.lesson is None:  # a traced model: walk through it, as in a notebook and Open a trace
        flow += ('<h2 id="explore">Walk through the model</h2>\n<p>Step through the stages, open a module to see '
                 "the calls inside it, or find one in the tree.</p>\n" + explorer_html(doc, "explorer", plotly=False))
    return flow


def _training(doc: TraceDocument, charts: Charts) -> str:
    if not doc.epochs:
        return ""
    rows = tables.epoch_rows(doc.epochs)
    last = rows[-1]
    caption = (f"Loss and accuracy over {len(rows)} epochs, training (solid) and validation (dashed). After the "
               f"last epoch: training loss {last['Loss']}, validation loss {last['Val loss']}, validation "
               f"accuracy {last['Val accuracy']}.")
    return (f'<h2 id="training">Training · {len(rows)} epochs</h2>\n'
            + charts.add(training_curves(doc.epochs), caption, wide=True)
            + _table(rows, "Each epoch's numbers and what they say."))


def _inside(doc: TraceDocument, charts: Charts) -> str:
    """The time-lapse: the words in space and the stages kept for one probe (the input, when it is one), each
    after every epoch, with a slider and Play, and what changed most in each epoch."""
    kept = probes_kept(doc.epochs)
    shown = doc.prediction.text if doc.prediction is not None and doc.prediction.text in kept else \
        (kept[0] if kept else None)
    mine = next((v for v in doc.prediction.layers if isinstance(v, SpaceView)), None) if doc.prediction else None
    words = [mine.words[i] for i in mine.marked] if mine else (shown or "").split()
    info = doc.lesson.info if doc.lesson else {}
    lapses: list[tuple[str, list[tuple[int, View]]]] = [
        (SPACE_HEADING, [(v.epoch, v) for v in space_views(doc.epochs, info, words)])]
    lapses += [(f"{pairs[-1][1].title}, for “{shown}”", pairs) for pairs in frames(doc.epochs, shown or "").values()]
    parts = []
    for heading, pairs in lapses:
        if len(pairs) < 2:
            continue
        views, epochs = [v for _, v in pairs], [e for e, _ in pairs]
        caption = (f"{heading}, after each of {len(epochs)} epochs (drag the slider or press Play). "
                   + " ".join(epoch_verdicts(pairs)))
        parts.append(f"<h3>{html_escape(heading)}</h3>\n" + charts.add(timelapse_figure(views, epochs), caption))
    if not parts:
        return ""
    return ('<h2 id="inside">Inside the model while it learned</h2>\n<p>The same pictures after every epoch of '
            "training, for a few fixed inputs: watch what the model holds inside change as it learns.</p>\n"
            + "".join(parts))


SPACE_HEADING = "Words in space"


def _prediction(prediction: Prediction, charts: Charts) -> str:
    screens = prediction.screens()
    parts = ['<h2 id="prediction">Prediction, step by step</h2>\n',
             f'<p>The input:</p>\n<p class="literal">{html_escape(prediction.text)}</p>\n',
             f"<p>The model answers <strong>{html_escape(prediction.output)}</strong> "
             f"({html_escape(percent(prediction.confidence))} confident). Here is how it got there, in {len(screens)} "
             "steps.</p>\n"]
    parts += [f'<p class="note">{html_escape(note)}</p>\n' for note in prediction.general_notes]
    if prediction.expected is not None:
        verdict = "right" if prediction.expected == prediction.output else "wrong"
        parts.append(f"<details><summary>Show the data's answer</summary><p>The data says "
                     f"<strong>{html_escape(prediction.expected)}</strong>: the model is {verdict}.</p></details>\n")
    parts.append('<ol class="screens">\n')
    for number, view in enumerate(screens, start=1):
        parts.append(f'<li class="screen"><h3>Step {number} of {len(screens)}: {html_escape(view.title)}</h3>\n'
                     f'<p class="verdict">{html_escape(reading(view))}</p>\n{_paragraphs(view.description)}'
                     f'<p class="shape">Shape: {html_escape(fmt_dims(view))}</p>\n')
        parts += [f'<p class="note">{html_escape(note)}</p>\n' for note in view.notes]
        fig = layer_figure(view)
        if fig is None:
            literal = view.text if isinstance(view, TextView) else view.title
            parts.append(f'<p class="literal">{html_escape(literal)}</p>\n')
        else:
            parts.append(charts.add(fig, drawn(view)))
        parts.append("</li>\n")
    parts.append("</ol>\n")
    return "".join(parts)


def _quiz(doc: TraceDocument) -> str:
    if not doc.quiz:
        return ""
    parts = [f'<h2 id="quiz">Quiz · {len(doc.quiz)} questions</h2>\n']
    for number, q in enumerate(doc.quiz, start=1):
        choices = "".join(f"<li>{html_escape(q.label(i))}</li>" for i in range(len(q.choices)))
        parts.append(f'<section class="question"><h3>Question {number}</h3>\n<p>{html_escape(q.question)}</p>\n'
                     f'<ul class="choices">{choices}</ul>\n<details><summary>Show the answer</summary>\n'
                     f"<p><strong>Answer: {html_escape(q.label(q.answer))}</strong></p>\n"
                     f"{_paragraphs(q.explanation)}</details></section>\n")
    return "".join(parts)


def _insight(doc: TraceDocument) -> str:
    if not doc.key_insight:
        return ""
    return f'<h2 id="key-insight">Key insight</h2>\n<div class="insight">{_paragraphs(doc.key_insight)}</div>\n'


SOURCE_LABELS = {"tool": "Made with", "torch": "PyTorch", "python": "Python", "created": "Created",
                 "made_by": "Command"}


def _footer(doc: TraceDocument) -> str:
    rows = "".join(f"<dt>{html_escape(SOURCE_LABELS.get(k, k))}</dt><dd>{html_escape(v)}</dd>"
                   for k, v in doc.source.items())
    if doc.lesson:  # the settings it was trained with and its data (sizes, vocabulary, a learner's file name)
        for label, values in (("Settings", doc.lesson.settings), ("Data", doc.lesson.info)):
            if values:
                rows += f"<dt>{label}</dt><dd>{html_escape(', '.join(f'{k} = {v}' for k, v in values.items()))}</dd>"
    return (f'<footer>\n<h2 id="provenance">Where this handout came from</h2>\n<dl class="source">{rows}</dl>\n'
            '<p class="muted">This page works offline: everything it shows is inside the file.</p>\n</footer>\n')
