"""The handout's time-lapse and hover: what the model held inside after every epoch, played in the page itself (a
slider and Play, one frame per epoch, a verdict per epoch in the caption), and the words on the axes highlighted on
hover by the page's own script -- all inside the one offline file."""

from __future__ import annotations

import json
import re

import pytest
import torch

from pipeline.document.timelapse import frames
from pipeline.lessons import get_lesson
from pipeline.render.describe import epoch_verdicts
from pipeline.render.figures import HIGHLIGHT_JS, highlighted
from pipeline.render.handout import handout_html

PROBE = "the acting was not good"


@pytest.fixture(scope="module")
def page_and_run():
    torch.set_num_threads(1)
    lesson = get_lesson("transformer-classification")
    run = lesson.run(lesson.settings_type(epochs=3, samples=300, seed=0, d_model=16, d_ff=16))
    return handout_html(lesson.document(run, lesson.predict(run, PROBE))), run


def figures_of(page: str) -> dict:
    block = re.search(r'<script id="figures" type="application/json">(.*?)</script>', page, re.DOTALL).group(1)
    return json.loads(block)


def test_the_handout_plays_each_kept_stage_and_the_words_in_space_epoch_by_epoch(page_and_run) -> None:
    page, run = page_and_run
    section = page[page.index('<h2 id="inside">'):page.index('<h2 id="prediction">')]
    assert section.count("<figure>") == 2  # the words in space, and the probe's attention (one block)
    assert "<h3>Words in space</h3>" in section and f"for “{PROBE}”" in section.replace("&#x27;", "'")
    ids = re.findall(r'id="(chart-\d+)"', section)
    figures = figures_of(page)
    for chart in ids:
        fig = figures[chart]
        assert [f["name"] for f in fig["frames"]] == ["1", "2", "3"]
        assert [s["label"] for s in fig["layout"]["sliders"][0]["steps"]] == ["epoch 1", "epoch 2", "epoch 3"]
        assert fig["layout"]["updatemenus"][0]["buttons"][0]["label"] == "▶ Play"
    attention = figures[ids[1]]
    kept = frames(run.epochs, PROBE)["attention_1"]
    assert attention["frames"][0]["data"][0]["z"][0] == pytest.approx(list(kept[0][1].weights[0][0][:5]), abs=1e-6)
    for line in epoch_verdicts(kept):  # what changed most, epoch by epoch, said under the picture
        assert line.replace("'", "&#x27;") in section


def test_hovering_a_word_highlights_it_in_the_handout_by_its_own_script(page_and_run) -> None:
    page, _ = page_and_run
    assert page.count("function pipelineTraceHighlight") == 1 and HIGHLIGHT_JS in page
    assert ".then(\n      pipelineTraceHighlight)" in page  # every chart is handed to it once drawn
    figures = figures_of(page)
    kinds = [highlighted(fig["layout"].get("meta")) for fig in figures.values()]
    assert kinds.count("row+col") >= 2 and "row" in kinds  # the scores and softmax; the panels
