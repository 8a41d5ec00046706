"""The offline handout: one self-contained HTML file, every screen and question, hostile text kept inert."""

from __future__ import annotations

import dataclasses
import html
import itertools
import json
import math
import re
from html.parser import HTMLParser

import pytest
import torch
from plotly.offline import get_plotlyjs
from torch import nn

from pipeline.cli.main import main
from pipeline.document.document import TraceDocument, trace_document
from pipeline.document.views import ProbabilitiesView, TextView, TokensView
from pipeline.lessons import LESSONS, get_lesson
from pipeline.render import handout
from pipeline.render.animation import dataflow_animation
from pipeline.render.handout import CSP, MAX_HANDOUT_BYTES, handout_html, script_json
from pipeline.trace import trace

FAST = {"epochs": 1, "samples": 200}
HOSTILE = "</script><script>alert(1)</script><img src=x onerror=alert(2)><!-- \"'&amp;"
SCRIPT_RE = re.compile(r"<script([^>]*)>(.*?)</script>", re.DOTALL | re.IGNORECASE)


@pytest.fixture(scope="module")
def documents() -> dict[str, TraceDocument]:
    """A quick run of every lesson, with a traced prediction of its first held-out example."""
    docs = {}
    for slug in LESSONS:
        lesson = get_lesson(slug)
        run = lesson.run(lesson.settings_type(**FAST))
        docs[slug] = lesson.document(run, lesson.predict(run, run.examples[0][0]), "test")
    return docs


def scripts(page: str) -> list[tuple[str, str]]:
    """(attributes, body) of every script element."""
    return SCRIPT_RE.findall(page)


def figures_json(page: str) -> dict:
    """The figures' JSON block, parsed strictly (NaN or Infinity would be an error in the browser too)."""
    (block,) = [body for attrs, body in scripts(page) if 'id="figures"' in attrs]
    return json.loads(block, parse_constant=lambda c: pytest.fail(f"{c} in the figures' JSON"))


class Folded(HTMLParser):
    """Text of the page, each piece with whether it sits inside a <details> element; and every tag opened."""

    def __init__(self) -> None:
        super().__init__()
        self.depth, self.inside, self.outside, self.tags = 0, [], [], []

    def handle_starttag(self, tag: str, attrs) -> None:
        self.depth += tag == "details"
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag == "details"

    def handle_data(self, data: str) -> None:
        (self.inside if self.depth else self.outside).append(data)


def text_parts(page: str) -> Folded:
    parser = Folded()
    parser.feed(page)
    return parser


def test_one_file_with_plotly_inlined_once_and_nothing_to_fetch(documents) -> None:
    page = handout_html(documents["sequence-classification"])
    bundle = get_plotlyjs()
    assert page.count(bundle) == 1 and len(scripts(page)) == 3
    assert len(page.encode()) <= MAX_HANDOUT_BYTES
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in page
    assert "default-src 'none'" in CSP and "connect-src" not in CSP  # everything not named is refused
    # The Plotly bundle carries URLs in licence comments and map-tile defaults that this page never uses: the
    # browser test proves no request is made. Everything else in the file must name no address at all.
    ours = page.replace(bundle, "").lower()
    for reference in ("http:", "https:", "//cdn", "src=", "href=", "@import", "url(", "<link", "<iframe"):
        assert reference not in ours, reference


def test_it_shows_the_lesson_examples_data_flow_training_and_provenance(documents) -> None:
    doc = documents["sequence-classification"]
    page = handout_html(doc)
    lesson = LESSONS["sequence-classification"].content
    for text in (doc.title, lesson.summary, " ".join(lesson.intro.split()[:12]), doc.examples[0][0],
                 doc.stages[-1].title, doc.epochs[-1].observation, doc.source["made_by"], doc.source["torch"],
                 " ".join(doc.key_insight.split()[:8])):
        assert html.escape(text) in page, text
    headings = [int(level) for level in re.findall(r"<h([1-6])[ >]", page)]
    assert headings[0] == 1 and all(b - a <= 1 for a, b in itertools.pairwise(headings))
    assert '<meta name="viewport"' in page and "@media print" in page
    assert "<dt>Settings</dt><dd>epochs = 1, " in page and "vocab_size = " in page  # what made it, in the footer
    charts = figures_json(page)
    assert len(charts) == page.count('<div class="chart"') == page.count("<figure>") == len(
        re.findall(r'<div class="chart" id="chart-\d+"></div>(?:</div></div>)?<figcaption>[^<]+</figcaption>', page))
    flow = charts["chart-1"]["frames"]  # the animation: the document's prediction travelling through the stages
    assert len(flow) == len(dataflow_animation(doc.stages, doc.prediction).frames) > len(doc.stages)
    assert f"“{doc.prediction.text}” goes in" in flow[0]["layout"]["annotations"][0]["text"].replace("<br>", " ")


@pytest.mark.parametrize("slug", list(LESSONS))
def test_every_prediction_screen_in_order_with_its_words_and_picture(documents, slug: str) -> None:
    doc = documents[slug]
    page = handout_html(doc)
    screens = doc.prediction.screens()
    at = 0
    for number, view in enumerate(screens, start=1):
        at = page.index(f"<h3>Step {number} of {len(screens)}: {html.escape(view.title)}</h3>", at)
        nxt = page.find("<h3>", at + 1)
        block = page[at:nxt]
        assert html.escape(" ".join(view.description.split())) in block
        assert all(html.escape(n) in block for n in view.notes)
        if isinstance(view, TextView):
            assert f'<p class="literal">{html.escape(view.text)}</p>' in block and 'class="chart"' not in block
        else:
            assert block.count('class="chart"') == 1
    assert len(figures_json(page)) == 2 + sum(not isinstance(v, TextView) for v in screens)


def test_every_quiz_answer_and_explanation_is_folded_away(documents) -> None:
    doc = documents["seq2seq"]
    parts = text_parts(handout_html(doc))
    inside, outside = " ".join(parts.inside), " ".join(parts.outside)
    for q in doc.quiz:
        assert q.question in outside and all(q.label(i) in outside for i in range(len(q.choices)))
        answer, explanation = f"Answer: {q.label(q.answer)}", " ".join(q.explanation.split())
        assert answer in inside and answer not in outside
        assert explanation in inside and explanation not in outside
    assert doc.prediction.expected in inside  # the data's answer, on request only


def hostile_document(doc: TraceDocument) -> TraceDocument:
    """``doc`` with a script-breaking string in every text a learner or a file can set."""
    p = doc.prediction
    layers = tuple(dataclasses.replace(v, title=HOSTILE + v.title, notes=(HOSTILE,), **(
        {"labels": tuple(HOSTILE + label for label in v.labels)} if isinstance(v, ProbabilitiesView) else
        {"tokens": tuple(HOSTILE for _ in v.tokens)} if isinstance(v, TokensView) else
        {"text": HOSTILE} if isinstance(v, TextView) else {})) for v in p.layers)
    prediction = dataclasses.replace(p, text=HOSTILE, output=HOSTILE, expected=HOSTILE, notes=(HOSTILE,),
                                     layers=layers)
    quiz = [q.model_copy(update={"question": HOSTILE, "explanation": HOSTILE,
                                 "choices": [HOSTILE + c for c in q.choices]}) for q in doc.quiz]
    stages = [dataclasses.replace(s, title=HOSTILE, description=HOSTILE, operation=HOSTILE) for s in doc.stages]
    epochs = [dataclasses.replace(e, observation=HOSTILE) for e in doc.epochs]
    lesson = dataclasses.replace(doc.lesson, slug=HOSTILE, title=HOSTILE, summary=HOSTILE, settings={HOSTILE: HOSTILE},
                                 info={"data source": f"{HOSTILE}.csv"})
    return dataclasses.replace(doc, prediction=prediction, quiz=quiz, stages=stages, epochs=epochs, lesson=lesson,
                               examples=[(HOSTILE, HOSTILE)], key_insight=HOSTILE,
                               source={**doc.source, "made_by": f"pipeline-trace run x --text '{HOSTILE}'"})


def test_hostile_text_is_escaped_and_cannot_leave_the_figures_script(documents) -> None:
    page = handout_html(hostile_document(documents["sequence-classification"]))
    assert len(scripts(page)) == 3 and page.lower().count("<script") == page.lower().count("</script") == 3
    tags = text_parts(page).tags
    assert tags.count("script") == 3 and "img" not in tags
    assert page.count(html.escape(HOSTILE)) >= 20
    (block,) = [body for attrs, body in scripts(page) if 'id="figures"' in attrs]
    assert "<" not in block  # no "</script>" and no "<!--" can end or confuse the JSON's script element
    assert HOSTILE.replace("<", "&lt;").replace(">", "&gt;")[:30] in json.dumps(figures_json(page))  # Plotly's escape


def test_script_json_writes_no_angle_bracket_at_all() -> None:
    raw = json.dumps({"label": "</script><!--\u2028"}, ensure_ascii=False)
    safe = script_json(raw)
    assert "<" not in safe and "\u2028" not in safe and json.loads(safe) == json.loads(raw)


def test_a_diverged_run_renders_with_gaps_and_no_nan_in_the_json(documents) -> None:
    doc = documents["sequence-classification"]
    nan = math.nan
    epochs = [dataclasses.replace(e, loss=nan, val_loss=math.inf, accuracy=nan, val_accuracy=nan) for e in doc.epochs]
    layers = tuple(dataclasses.replace(v, values=(nan,) * len(v.values)) if isinstance(v, ProbabilitiesView) else v
                   for v in doc.prediction.layers)
    prediction = dataclasses.replace(doc.prediction, confidence=nan, layers=layers)
    page = handout_html(dataclasses.replace(doc, epochs=epochs, prediction=prediction))
    assert "validation loss n/a (diverged)" in page and "(n/a confident)" in page
    assert len(figures_json(page)) == handout_html(doc).count('<div class="chart"')


def test_a_plain_traced_model_shows_its_name_and_stage_table() -> None:
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    with torch.no_grad(), trace(model) as t:
        model(torch.ones(2, 4))
    page = handout_html(trace_document(t, "pipeline-trace trace m.py:make --input-shape 2,4"))
    assert "<h1>Sequential</h1>" in page and "<strong>Sequential</strong>" in page
    assert "3. 2</td>" in page and "2 × 4" in page and "Linear(3 -&gt; 2)" in page  # the stage table
    assert 'id="quiz"' not in page and 'id="training"' not in page and 'id="prediction"' not in page
    (flow,) = figures_json(page).values()  # the data-flow animation: a frame per stage, from its sample (ReLU "1")
    assert len(flow["frames"]) == 3 and flow["frames"][1]["layout"]["annotations"][1]["text"] == "1 · 2 × 3"


def test_a_handout_over_the_size_limit_is_refused(documents, monkeypatch) -> None:
    monkeypatch.setattr(handout, "MAX_HANDOUT_BYTES", 1_000_000)
    with pytest.raises(ValueError, match=r"the handout would be \d+\.\d MB; the limit is 1 MB"):
        handout_html(documents["sequence-classification"])


def test_cli_run_and_show_write_the_same_handout(tmp_path, capsys) -> None:
    first, saved, second = tmp_path / "lesson.html", tmp_path / "t.zip", tmp_path / "again.html"
    args = ["--epochs", "1", "--samples", "200", "--text", "the cast was <b>great</b>"]
    assert main(["run", "sequence-classification", *args, "--html", str(first), "--save", str(saved)]) == 0
    assert main(["show", str(saved), "--html", str(second)]) == 0
    out = capsys.readouterr().out
    assert f"Handout written to {first}" in out and f"Handout written to {second}" in out
    page = first.read_text(encoding="utf-8")
    assert page == second.read_text(encoding="utf-8") and page.startswith("<!DOCTYPE html>")
    assert "the cast was &lt;b&gt;great&lt;/b&gt;" in page and "--text &#x27;the cast was &lt;b&gt;" in page


def test_cli_refuses_a_bad_html_destination_before_training(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(type(LESSONS["seq2seq"]), "run", lambda *a, **k: pytest.fail("must not train"))
    for bad in (tmp_path / "missing" / "x.html", tmp_path):
        with pytest.raises(SystemExit) as exit_info:
            main(["run", "seq2seq", "--html", str(bad)])
        assert exit_info.value.code == 2 and "argument --html: cannot write" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["show", "whatever.zip", "--html", str(tmp_path)])
    assert "argument --html: cannot write" in capsys.readouterr().err
