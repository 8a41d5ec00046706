"""The model explorer as one piece of HTML: a notebook cell's output, ``pipeline.show`` and the handout of a traced
model all show it -- the data flow, breadcrumbs, the stages one at a time with their pictures, and the model as a
tree with a search. Offline: Plotly's JavaScript is inlined, the pictures' JSON sits in the page, and nothing is
fetched; a few lines of script draw a stage's picture when it is shown.

Every text from a model or a file is escaped (``html_escape``) and every JSON block has no ``<`` at all
(``script_json``), here and in the handout. Pictures are built breadth first -- the model's stages, then each
module's, level by level -- until ``MAX_PICTURES`` or ``MAX_PICTURE_BYTES`` of them: a stage past that says its
picture was left out.
"""

from __future__ import annotations

import html
import json
import os
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import plotly.io as pio
from plotly.offline import get_plotlyjs

from pipeline.document.document import Stage, TraceDocument, relative_name, trace_document
from pipeline.document.pictures import stage_view
from pipeline.document.views import TextView
from pipeline.render import walkthrough
from pipeline.render.animation import dataflow_animation
from pipeline.render.describe import drawn, fmt_dims, reading
from pipeline.render.figures import layer_figure
from pipeline.render.tables import fmt_shape
from pipeline.safeio import atomic_write
from pipeline.trace import Record, RecordKind, Trace

# The page may run its own inline scripts and styles and draw data:/blob: images (Plotly's PNG export);
# it may fetch, connect to or embed nothing else.
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; "
       "font-src data:; base-uri 'none'; form-action 'none'")
MAX_PICTURE_BYTES = 4_000_000  # of the stages' pictures' JSON in one view (a feature-map picture: about 50 KB)
MAX_PICTURES = 60  # pictures built for one view: each costs Plotly 40-100 ms to build


def html_escape(text: Any) -> str:
    """Any value as HTML text: ``<``, ``>``, ``&`` and both quotes escaped."""
    return html.escape(str(text), quote=True)


def script_json(text: str) -> str:
    """JSON made safe inside a ``<script>`` element: no ``<`` at all, so neither ``</script>`` nor ``<!--``."""
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


CSS = """
.pt-explorer { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #111827;
  max-width: 1100px; }
.pt-explorer h2 { font-size: 1.4rem; margin: .5rem 0; } .pt-explorer h3 { font-size: 1.15rem; margin: .75rem 0 .25rem; }
.pt-explorer button { font: inherit; padding: .3rem .7rem; border: 1px solid #9ca3af; border-radius: 6px;
  background: #fff; color: #111827; cursor: pointer; }
.pt-explorer button:disabled { color: #6b7280; cursor: default; }
.pt-explorer .pt-crumbs button { margin: 0 .2rem .2rem 0; } .pt-explorer .pt-crumbs span { color: #6b7280; }
.pt-explorer .pt-step { display: flex; gap: .75rem; align-items: center; margin: .5rem 0; }
.pt-explorer .pt-verdict { border-left: 4px solid #1d4ed8; background: #eff6ff; padding: .4rem .7rem;
  font-weight: 600; }
.pt-explorer .pt-caption, .pt-explorer .pt-muted { color: #4b5563; }
.pt-explorer .pt-literal { white-space: pre-wrap; overflow-wrap: anywhere; background: #f3f4f6; padding: .4rem .7rem;
  font-family: ui-monospace, Menlo, Consolas, monospace; }
.pt-explorer .pt-flow { overflow-x: auto; } .pt-explorer .pt-flow > div { min-width: 700px; }
.pt-explorer details.pt-tree-box { border: 1px solid #d1d5db; border-radius: 6px; padding: .4rem .7rem; }
.pt-explorer .pt-tree, .pt-explorer .pt-tree ul { list-style: none; padding-left: 1.1rem; margin: 0; }
.pt-explorer .pt-tree { padding-left: 0; max-height: 420px; overflow: auto; }
.pt-explorer .pt-tree button { border: none; padding: 0 .2rem; color: #1d4ed8; text-decoration: underline; }
.pt-explorer .pt-tree .pt-here > details > summary > button { font-weight: 700; }
.pt-explorer .pt-tree small { color: #4b5563; }
.pt-explorer input[type=search] { font: inherit; width: min(28rem, 100%); margin: .3rem 0; padding: .25rem .4rem; }
"""

# Draws the view in the element with id ROOT from its data block: the data flow once, then a stage at a time.
CONTROLLER = r"""
(function start() {
  if (!window.Plotly) { window.addEventListener("load", start, {once: true}); return; }  // a page's Plotly comes last
  var root = document.getElementById(ROOT), data = JSON.parse(document.getElementById(ROOT + "-data").textContent);
  var config = {responsive: true, displaylogo: false, displayModeBar: "hover"};
  var at = {module: data.start, stage: 0};
  var $ = function (sel) { return root.querySelector(sel); };
  if (data.flow) { Plotly.newPlot($(".pt-flow > div"), {data: data.flow.data, layout: data.flow.layout,
                                                        frames: data.flow.frames || [], config: config}); }
  function text(el, value) { el.textContent = value; return el; }
  function show() {
    var module = data.modules[at.module], stages = module.stages, s = stages[at.stage];
    var crumbs = $(".pt-crumbs"); crumbs.textContent = "";
    module.path.forEach(function (key, i) {
      if (i) { crumbs.appendChild(text(document.createElement("span"), " › ")); }
      var b = text(document.createElement("button"), data.modules[key].crumb);
      b.disabled = key === at.module; b.onclick = function () { go(key, 0); }; crumbs.appendChild(b);
    });
    text($(".pt-count"), "Stage " + (at.stage + 1) + " of " + stages.length);
    $("[data-act=prev]").disabled = at.stage === 0; $("[data-act=next]").disabled = at.stage === stages.length - 1;
    text($(".pt-title"), (at.stage + 1) + ". " + s.title);
    text($(".pt-verdict"), s.verdict); text($(".pt-description"), s.description);
    text($(".pt-caption"), "Shape: " + s.shape + ". " + s.drawn);
    var picture = $(".pt-picture"), literal = $(".pt-text");
    literal.hidden = s.text === null; text(literal, s.text || "");
    if (s.picture >= 0) { picture.hidden = false; Plotly.react(picture, data.pictures[s.picture].data,
                                                              data.pictures[s.picture].layout, config); }
    else { picture.hidden = true; if (window.Plotly) { Plotly.purge(picture); } }
    var open = $("[data-act=open]"); open.hidden = !s.opens;
    if (s.opens) { text(open, "Open " + s.title + ": its " + data.modules[s.opens].stages.length +
                   " calls become the stages"); }
    root.querySelectorAll(".pt-here").forEach(function (e) { e.classList.remove("pt-here"); });
    var here = root.querySelector('[data-module="' + CSS.escape(at.module) + '"]');
    if (here) { here.classList.add("pt-here"); }
    root.setAttribute("data-module", at.module); root.setAttribute("data-stage", String(at.stage));
  }
  function go(module, stage) { at = {module: module, stage: stage}; show(); }
  root.addEventListener("click", function (e) {
    var b = e.target.closest("button"); if (!b || !root.contains(b)) { return; }
    var act = b.getAttribute("data-act"), stages = data.modules[at.module].stages;
    if (act === "prev" && at.stage > 0) { go(at.module, at.stage - 1); }
    else if (act === "next" && at.stage < stages.length - 1) { go(at.module, at.stage + 1); }
    else if (act === "open") { go(stages[at.stage].opens, 0); }
    else if (b.hasAttribute("data-open")) { go(b.getAttribute("data-open"), Number(b.getAttribute("data-at"))); }
  });
  root.addEventListener("keydown", function (e) {
    if (e.target.tagName === "INPUT") { return; }
    if (e.key === "ArrowRight") { $("[data-act=next]").click(); }
    else if (e.key === "ArrowLeft") { $("[data-act=prev]").click(); }
  });
  $(".pt-find").addEventListener("input", function () {
    var q = this.value.trim().toLowerCase(), items = root.querySelectorAll(".pt-tree li"), shown = 0;
    items.forEach(function (li) { li.hidden = !!q; });
    if (q) { items.forEach(function (li) {
      if (li.getAttribute("data-find").indexOf(q) < 0) { return; }
      shown++;
      for (var e = li; e && e !== root; e = e.parentElement) {
        if (e.tagName === "LI") { e.hidden = false; } if (e.tagName === "DETAILS") { e.open = true; }
      }
    }); }
    text($(".pt-found"), q ? shown + " match" + (shown === 1 ? "" : "es") : "");
  });
  show();
})();
"""

# Plotly's bundle registers itself with an AMD loader when the page has one (classic Jupyter, some exports) and
# then never sets window.Plotly: the loader is hidden while it runs.
PLOTLY_BEFORE = "<script>window.__ptDefine = window.define; window.define = undefined;</script>\n"
PLOTLY_AFTER = "<script>window.define = window.__ptDefine;</script>\n"


@dataclass
class _Pictures:
    """The stages' pictures of one view, built once per stage and within the view's budget."""

    figures: list[str]
    by_stage: dict[str, int]
    size: int = 0
    left_out: int = 0

    def index(self, stage: Stage) -> int:
        """The picture of ``stage`` (its index in ``figures``), built if the budget allows; -1 when it has none."""
        if stage.key in self.by_stage:
            return self.by_stage[stage.key]
        view = stage_view(stage)
        figure = None
        if not isinstance(view, TextView) and len(self.figures) < MAX_PICTURES and self.size < MAX_PICTURE_BYTES:
            figure = pio.to_json(layer_figure(view), validate=False)
        elif not isinstance(view, TextView):
            self.left_out += 1
        if figure is None:
            self.by_stage[stage.key] = -1
            return -1
        self.figures.append(figure)
        self.size += len(figure)
        self.by_stage[stage.key] = len(self.figures) - 1
        return len(self.figures) - 1


def _key(record: Record) -> str:
    return f"{record.name}#{record.call}"


def explorer_data(doc: TraceDocument) -> tuple[dict[str, Any], list[str]]:
    """What the view's script needs: every module that has parts (its breadcrumb, path and stages, each stage's
    words, shape and picture index), and the pictures' JSON (kept apart: it goes into the page as it is)."""
    root = walkthrough.root_of(doc.trace)
    pictures = _Pictures([], {})
    modules: dict[str, dict[str, Any]] = {}
    queue: list[Record | None] = [root]
    while queue:  # breadth first: the model's stages get their pictures before deeper modules'
        module = queue.pop(0)
        key = _key(module) if module is not None else "#"
        if key in modules:
            continue
        stages = walkthrough.stages_at(doc, module)
        entries = []
        for stage in stages:
            inner = walkthrough.can_open(doc.trace, stage)
            if inner is not None and inner is not module:
                queue.append(inner)
            entries.append(_stage_entry(stage, pictures, _key(inner) if inner is not None and inner is not module
                                        else None))
        path = doc.trace.path(module) if module is not None else []
        modules[key] = {"crumb": _crumb(module, depth=len(path) - 1), "path": [_key(r) for r in path] or [key],
                        "stages": entries}
    for r in doc.trace.modules():  # every module with parts opens from the tree, even if no stage names it
        if _key(r) not in modules and walkthrough.inside(doc.trace, r):
            stages = walkthrough.stages_at(doc, r)
            modules[_key(r)] = {"crumb": _crumb(r, depth=len(doc.trace.path(r)) - 1),
                                "path": [_key(p) for p in doc.trace.path(r)],
                                "stages": [_stage_entry(s, pictures, None) for s in stages]}
    start = _key(root) if root is not None else "#"
    return {"start": start, "modules": modules, "left_out": pictures.left_out}, pictures.figures


def _crumb(module: Record | None, depth: int) -> str:
    if module is None:
        return "model"
    return module.label if depth <= 0 else module.name.rpartition(".")[2] or module.label


def _stage_entry(stage: Stage, pictures: _Pictures, opens: str | None) -> dict[str, Any]:
    view = stage_view(stage)
    picture = pictures.index(stage)
    said = drawn(view)
    if picture < 0 and not isinstance(view, TextView):
        said += " (Its picture was left out of this view to keep it small; Open a trace in the app draws it.)"
    return {"title": stage.title, "verdict": reading(view), "description": view.description,
            "shape": fmt_dims(view), "drawn": said, "picture": picture, "opens": opens,
            "text": view.text if isinstance(view, TextView) else None}


def _tree(doc: TraceDocument) -> str:
    """The model as nested lists of modules, each a button: a module with parts opens (its parts become the
    stages); one without is shown at its stage in the module it ran in."""
    parts: list[str] = []
    opened: list[int] = []  # the levels of the modules whose list of parts is open
    places: dict[str, list[Stage]] = {}
    for record, level in doc.trace.tree():
        while opened and opened[-1] >= level:
            parts.append("</ul></details></li>\n")
            opened.pop()
        name = record.label if level == 0 else relative_name(record, _parent_name(record))
        name += f" (call {record.call + 1})" if record.call else ""
        info = (f" <small>{html_escape(record.type)} · {html_escape(fmt_shape(record.output_shape))} · "
                f"{record.num_params:,} parameters</small>")
        find = html_escape(f"{record.label} {record.type}".casefold())
        if walkthrough.inside(doc.trace, record):
            unfolded = " open" if level == 0 else ""
            opens = html_escape(_key(record))
            parts.append(f'<li data-module="{opens}" data-find="{find}"><details{unfolded}>'
                         f'<summary><button data-open="{opens}" data-at="0">{html_escape(name)}</button>{info}'
                         "</summary><ul>\n")
            opened.append(level)
            continue
        module, key = walkthrough.open_record(doc.trace, record)
        stages = places.setdefault(_key(module), walkthrough.stages_at(doc, module))
        at = walkthrough.find_stage(stages, key)
        parts.append(f'<li data-find="{find}"><button data-open="{html_escape(_key(module))}" data-at="{at}">'
                     f'{html_escape(name)}'
                     f"</button>{info}</li>\n")
    parts += ["</ul></details></li>\n"] * len(opened)
    return "".join(parts)


def _parent_name(record: Record) -> str:
    return record.module if record.kind is RecordKind.OP else record.name.rpartition(".")[0]


def explorer_html(doc: TraceDocument, uid: str | None = None, plotly: bool = True) -> str:
    """The explorer of ``doc`` as an HTML fragment with its own scripts: a notebook cell's output.

    ``uid`` names its elements (a fresh one by default), so several views live on one page; ``plotly`` inlines
    Plotly's JavaScript (a page that has it already, the handout, leaves it out)."""
    uid = uid or f"pt-{uuid.uuid4().hex[:12]}"
    data, pictures = explorer_data(doc)
    flow = pio.to_json(dataflow_animation(doc.stages, doc.prediction), validate=False) if doc.stages else "null"
    block = script_json(json.dumps(data, ensure_ascii=False)[:-1] + f',"flow":{flow},"pictures":[' +
                        ",".join(pictures) + "]}")
    params = doc.trace.root.num_params if "" in doc.trace else 0
    left_out = (f'<p class="pt-muted">{data["left_out"]:,} deeper stages have no picture here, to keep this view '
                "small; Open a trace in the app draws every one.</p>") if data["left_out"] else ""
    return "".join([
        f'<div class="pt-explorer" id="{uid}" tabindex="0"><style>{CSS}</style>\n',
        f"<h2>{html_escape(doc.title)}</h2>\n<p>{len(doc.trace):,} calls recorded · {params:,} parameters · "
        f"{len(doc.stages)} stages, from {html_escape(fmt_shape(doc.stages[0].input_shape) if doc.stages else '—')} to "
        f"{html_escape(fmt_shape(doc.stages[-1].output_shape) if doc.stages else '—')}</p>\n",
        '<div class="pt-flow"><div></div></div>\n' if doc.stages else "",
        '<nav class="pt-crumbs" aria-label="Where you are in the model"></nav>\n',
        '<div class="pt-step"><button data-act="prev">◀ Previous</button><strong class="pt-count"></strong>'
        '<button data-act="next">Next ▶</button></div>\n',
        '<h3 class="pt-title"></h3>\n<p class="pt-verdict"></p>\n<div class="pt-picture"></div>\n',
        '<p class="pt-text pt-literal" hidden></p>\n<p class="pt-description"></p>\n<p class="pt-caption"></p>\n',
        '<p><button data-act="open" hidden></button></p>\n', left_out,
        f'<details class="pt-tree-box" open><summary>The model as a tree ({len(doc.trace.modules()):,} module '
        'calls): choose a module to open it</summary>\n<input type="search" class="pt-find" '
        'placeholder="Find a module by name or type" aria-label="Find a module by name or type"> '
        f'<span class="pt-found pt-muted"></span>\n<ul class="pt-tree">{_tree(doc)}</ul></details>\n',
        "</div>\n",
        *([PLOTLY_BEFORE, f"<script>{get_plotlyjs()}</script>\n", PLOTLY_AFTER] if plotly else []),
        f'<script type="application/json" id="{uid}-data">{block}</script>\n',
        f"<script>{CONTROLLER.replace('ROOT', json.dumps(uid))}</script>\n"])


def explorer_page(doc: TraceDocument) -> str:
    """The explorer of ``doc`` as a whole HTML page that loads nothing (``CSP``): what ``show`` writes outside a
    notebook."""
    return "".join(['<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
                    f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n',
                    '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
                    f"<title>{html_escape(doc.title)} · pipeline-trace</title>\n</head>\n<body>\n",
                    explorer_html(doc), "</body>\n</html>\n"])


def as_document(target: Trace | TraceDocument | str | os.PathLike) -> TraceDocument:
    """A document from a ``Trace`` (a block just traced), a document, or a trace file's path (opened as data)."""
    if isinstance(target, TraceDocument):
        return target
    if isinstance(target, Trace):
        return trace_document(target, "a notebook")
    if isinstance(target, str | os.PathLike):
        from pipeline.document.fileformat import open_path  # pydantic and the file format only for a file

        return open_path(target)
    raise TypeError(f"show() takes a Trace, a trace document or a trace file's path, got {type(target).__name__}")


class TraceView:
    """A traced model shown as the model explorer: inline in a notebook (JupyterLab, VS Code, Colab), or as one
    HTML file anywhere else (``save``).

    Args:
        doc: the document to show.
    """

    def __init__(self, doc: TraceDocument) -> None:
        self.doc = doc

    def _repr_html_(self) -> str:
        return explorer_html(self.doc)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/html": self._repr_html_(), "text/plain": repr(self)}

    def save(self, path: str | os.PathLike) -> Path:
        """Write the view as one self-contained HTML page (no network requests: a Content-Security-Policy forbids
        them) and return its path."""
        atomic_write(path, explorer_page(self.doc))
        return Path(path)

    def __repr__(self) -> str:
        return (f"TraceView({self.doc.title}: {len(self.doc.trace):,} calls, {len(self.doc.stages)} stages; "
                "shown as HTML in a notebook)")


def in_notebook() -> bool:
    """Whether this code runs in a Jupyter kernel (JupyterLab, VS Code, Colab), which shows HTML."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and hasattr(shell, "kernel")


def show(target: Trace | TraceDocument | str | os.PathLike) -> TraceView:
    """Show a traced model as the model explorer -- a ``Trace``, a document, or a trace file's path.

    In a notebook the returned view shows itself (the last line of a cell). Anywhere else the view is written
    to an HTML file in the temporary folder and the line printed says where; if that file cannot be written,
    the terminal report is printed instead.
    """
    view = TraceView(as_document(target))
    if not in_notebook():
        name = "".join(c if c.isalnum() else "-" for c in view.doc.title)[:40] or "trace"
        path = Path(tempfile.gettempdir()) / f"pipeline-trace-{name}-{uuid.uuid4().hex[:8]}.html"
        try:
            view.save(path)
        except (OSError, ValueError) as e:
            from rich.console import Console  # the terminal report, only when the file could not be written

            from pipeline.render.report import document_view

            Console().print(document_view(view.doc))
            print(f"(The HTML view could not be written: {e})")
        else:
            print(f"The model explorer is in {path}: open it in a browser (it works offline).")
    return view


def notebook_html(target: Trace | TraceDocument) -> str:
    """The explorer's HTML for a ``Trace`` or a document: what a notebook shows for one (IPython's formatter)."""
    return explorer_html(as_document(target))
