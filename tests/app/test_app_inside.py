"""Prediction page, inside the model: a word highlighted in the opened attention block, and a stage's time-lapse
across the epochs (a slider beside the picture, with what changed most), on the lesson's default runs."""

from __future__ import annotations

import pytest
from app_helpers import charts, plain

import ui
from pipeline.app.quiz import timelapse_question
from pipeline.document.timelapse import frames
from pipeline.lessons import get_lesson
from pipeline.render.describe import epoch_verdicts

SLUG = "transformer-classification"
PROBE = "the acting was not good"  # one of the lesson's probes: its views are kept epoch by epoch


def open_stage(open_page, key: str, text: str = PROBE):
    """The Prediction page of the Transformer lesson at the stage whose view is ``key``, for ``text``."""
    at = open_page("prediction", lesson=SLUG)
    at.text_input(key=f"pred-text:{SLUG}").input(text).run()
    screens = get_lesson(SLUG).predict(ui.default_run(SLUG).run, text).screens()
    for _ in range([s.key for s in screens].index(key)):
        at.button(key="next").click().run()
    assert not at.exception, at.exception
    return at, screens


def highlights(figure: dict) -> list[dict]:
    return [s for s in figure["layout"].get("shapes", []) if s.get("name") == "highlight"]


def test_choosing_a_word_highlights_its_row_and_column_in_every_head(open_page) -> None:
    at, _ = open_stage(open_page, "scores_1")
    (figure,) = charts(at)
    assert not highlights(figure)
    (pills,) = [g for g in at.get("button_group") if g.key == f"highlight:{SLUG}:scores_1"]
    assert [o.content for o in pills.proto.options] == ["1 · the", "2 · acting", "3 · was", "4 · not", "5 · good"]
    pills.set_value(3).run()  # “not”, the fourth word
    (figure,) = charts(at)
    marks = highlights(figure)
    heads = 4
    assert len(marks) == 2 * heads  # its row and its column, in each head's panel
    rows = [m for m in marks if m["xref"].endswith("domain")]
    cols = [m for m in marks if m["yref"].endswith("domain")]
    assert {(m["y0"], m["y1"]) for m in rows} == {(2.5, 3.5)} and {(m["x0"], m["x1"]) for m in cols} == {(2.5, 3.5)}


def test_the_softmax_highlights_both_ways_and_the_panels_their_rows(open_page) -> None:
    at, _ = open_stage(open_page, "attention_1")
    next(g for g in at.get("button_group") if g.key == f"highlight:{SLUG}:attention_1").set_value(0).run()
    marks = highlights(charts(at)[0])
    assert len(marks) == 2 * 4 and {m["y0"] for m in marks if m["xref"].endswith("domain")} == {-0.5}
    at.button(key="next").click().run()  # the weighted sum: words on its rows only
    next(g for g in at.get("button_group") if g.key == f"highlight:{SLUG}:mix_1").set_value(1).run()
    marks = highlights(charts(at)[0])
    assert [(m["xref"], m["y0"]) for m in marks] == [("x domain", 0.5)]


def test_the_time_lapse_slider_shows_the_stage_after_each_epoch(open_page) -> None:
    at, screens = open_stage(open_page, "attention_1")
    run = ui.default_run(SLUG).run
    kept = frames(run.epochs, PROBE)["attention_1"]
    slider = at.select_slider(key=f"epoch:{SLUG}:attention_1")
    assert list(slider.options) == [str(e) for e, _ in kept] and slider.value == kept[-1][0]
    (figure,) = charts(at)
    last = screens[[s.key for s in screens].index("attention_1")]
    assert figure["data"][0]["z"][0] == pytest.approx([last.weights[0][0][c] for c in range(5)], abs=1e-6)
    slider.set_value(2).run()
    (figure,) = charts(at)
    second = kept[1][1]
    assert figure["data"][0]["z"][0] == pytest.approx([second.weights[0][0][c] for c in range(5)], abs=1e-6)
    assert any(plain(c.value) == epoch_verdicts(kept)[1] for c in at.caption)  # what changed most in epoch 2


def test_another_input_is_offered_a_probe_to_watch_at_the_same_stage(open_page) -> None:
    at, _ = open_stage(open_page, "attention_1", text="i loved the cast")
    assert not at.get("select_slider")
    (watch,) = [b for b in at.button if "Watch it learn" in b.label]
    watch.click().run()
    assert at.text_input(key=f"pred-text:{SLUG}").value in ui.default_run(SLUG).run.epochs[-1].inside
    assert at.select_slider(key=f"epoch:{SLUG}:attention_1")  # the same stage, now with its time-lapse
    assert "Softmax" in plain(at.subheader[0].value)


def test_guessing_asks_which_word_changes_most_before_the_time_lapse_can_be_watched(open_page) -> None:
    at, screens = open_stage(open_page, "attention_1")
    at.toggle(key=f"guess:{SLUG}").set_value(True).run()
    index = [s.key for s in screens].index("attention_1")
    stage = next(r for r in at.radio if r.key.startswith(f"guess-{SLUG}-{index}"))  # the stage's own question first
    stage.set_value(0).run()
    assert not at.get("select_slider")  # not yet: the time-lapse asks its own question
    run = ui.default_run(SLUG).run
    question = timelapse_question(run.epochs, run.info, PROBE, screens[index], seed=PROBE)
    assert question.question.startswith("From epoch 1 to epoch 5, which word's share of the attention changes most")
    lapse = next(r for r in at.radio if r.key.startswith(f"lapse-guess-{SLUG}-attention_1"))
    lapse.set_value(question.answer).run()
    assert at.select_slider(key=f"epoch:{SLUG}:attention_1")
    assert any(plain(s.value) == f"Right: {question.explanation}" for s in at.success)
