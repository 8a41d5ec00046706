"""Prediction page: input, Prev / Next / Play through every layer, bad input as inline messages."""

from __future__ import annotations

import time

import pytest
from app_helpers import charts, markdown_tables, plain, trace

import ui
from pipeline.app import stepper
from pipeline.app.quiz import guess_question
from pipeline.lessons import get_lesson
from pipeline.render.numbers import percent

SLUG = "sequence-classification"


def titles(at) -> list[str]:
    return [plain(s.value) for s in at.subheader]


def test_steps_from_raw_text_to_class_probabilities(open_page) -> None:
    at = open_page("prediction")
    text = at.text_input(key=f"pred-text:{SLUG}").value
    expected = get_lesson(SLUG).predict(ui.default_run(SLUG).run, text)
    assert any("lesson's model" in c.value for c in at.caption)
    assert titles(at) == ["Raw text"] and at.text[0].value == text
    assert at.button(key="prev").disabled and "**Stage 1 of 7**" in [m.value for m in at.markdown]

    seen = []
    for _ in expected.layers[1:]:
        at.button(key="next").click().run()
        seen.append(titles(at)[0])
    assert seen == [layer.title for layer in expected.layers[1:]]
    assert at.button(key="next").disabled
    (bars,) = charts(at)
    assert trace(bars, "classifier")["x"] == pytest.approx(expected.layer("classifier").values)
    verdict = plain(at.info[0].value)  # the last stage's verdict names the answer and how sure
    assert verdict.startswith(f"The model answers “{expected.output}”, {percent(expected.confidence)} sure")

    at.button(key="prev").click().run()
    assert titles(at) == [expected.layers[-2].title]


def test_unknown_words_and_padding_are_marked(open_page) -> None:
    at = open_page("prediction")
    at.text_input(key=f"pred-text:{SLUG}").input("the plot was zorgly").run()
    assert any("zorgly" in w.value for w in at.warning)
    at.button(key="next").click().run()
    (tokens,) = charts(at)
    cells = tokens["data"][0]["text"]
    assert cells[3] == ["zorgly ?", "1 (unknown)"] and cells[4] == ["&lt;pad&gt; ·", "0 (padding)"]
    assert "“zorgly” is not in the vocabulary and reads as <unk>" in plain(at.info[0].value)


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty"),
    ("   \u200b\u200d  ", "empty"),
    ("x" * 10_001, "10,001 characters"),
])
def test_bad_input_is_an_inline_message(open_page, text: str, message: str) -> None:
    at = open_page("prediction")
    at.text_input(key=f"pred-text:{SLUG}").input(text).run()
    assert not at.exception
    assert len(at.error) == 1 and message in at.error[0].value


@pytest.mark.parametrize("text", ["good " * 2000, "ＧＯＯＤ ｍｏｖｉｅ 👍🏽 e\u0301 \U0001f600 ∑∫ 漢字 עברית"])
def test_long_and_odd_unicode_input_still_predicts(open_page, text: str) -> None:
    at = open_page("prediction")
    at.text_input(key=f"pred-text:{SLUG}").input(text).run()
    assert not at.exception and not at.error
    assert at.text[0].value == text.strip()  # shown literally (st.text trims outer whitespace)
    assert at.warning  # truncated, or unknown words


def test_typed_html_and_markdown_stay_plain_text(open_page) -> None:
    at = open_page("prediction")
    typed = "<script>alert(1)</script> <b>bold</b> **x** $y$ :red[z] [a](javascript:alert(1))"
    at.text_input(key=f"pred-text:{SLUG}").input(typed).run()
    assert at.text[0].value == typed  # shown verbatim, never as Markdown
    assert all(not m.proto.allow_html for m in [*at.markdown, *at.caption])  # alerts never render HTML
    assert "<script>" not in at.warning[0].value and "\\<unk\\>" in at.warning[0].value
    at.button(key="next").click().run()
    text = " ".join(cell for row in charts(at)[0]["data"][0]["text"] for cell in row)
    assert "<b>bold" not in text and "&lt;" in text


def test_picking_an_example_fills_the_input(open_page) -> None:
    at = open_page("prediction")
    examples = [t for t, _ in ui.default_run(SLUG).run.examples]
    at.selectbox(key=f"pred-example:{SLUG}").select(examples[3]).run()
    assert at.text_input(key=f"pred-text:{SLUG}").value == examples[3]
    assert at.text[0].value == examples[3]
    assert at.selectbox(key=f"pred-example:{SLUG}").value is None  # ready for the next pick


def test_play_advances_on_its_own_and_stops_at_the_end(open_page, monkeypatch) -> None:
    monkeypatch.setitem(stepper.PLAY_SPEEDS, "normal", 0.05)
    at = open_page("prediction")
    at.button(key="play").click().run()
    assert at.button(key="play").label == "Pause"
    for _ in range(10):
        time.sleep(0.06)
        at.run()
    assert titles(at) == ["Linear + softmax: the answer"]
    assert at.button(key="play").label == "Play"


def test_a_seq2seq_prediction_steps_through_every_decoder_step(open_page) -> None:
    at = open_page("prediction", lesson="seq2seq")
    at.text_input(key="pred-text:seq2seq").input("two thousand and five").run()
    assert at.text[0].value == "two thousand and five" if at.text else True
    seen = {}
    while True:
        for fig in charts(at):
            seen.setdefault(titles(at)[0], [t.get("name") for t in fig["data"]])
        if at.button(key="next").disabled:
            break
        at.button(key="next").click().run()
    assert seen["Source ids"] == ["source"]
    steps = [title for title in seen if ": step " in title]
    assert steps and steps[0].endswith("step 1 of 5") and len(steps) == 5
    assert seen[steps[0]] == ["top choices"]
    assert titles(at) == ["Output tokens: the answer"]
    assert plain(at.info[0].value).startswith("It wrote “2 0 0 5”, then the end marker <eos>")


def test_guess_before_each_stage_asks_then_reveals_and_keeps_score(open_page) -> None:
    at = open_page("prediction")
    at.toggle(key=f"guess:{SLUG}").set_value(True).run()
    at.button(key="next").click().run()  # tokens: how much padding
    assert not charts(at) and any(m.value.startswith("**Guess first:**") for m in at.markdown)
    assert any("**0 of 0** guesses right" in m.value for m in at.markdown)  # the score, beside the stage number
    guess = next(r for r in at.radio if r.key.startswith(f"guess-{SLUG}-1"))
    right = guess_question(get_lesson(SLUG).predict(ui.default_run(SLUG).run, at.text_input(
        key=f"pred-text:{SLUG}").value).screens()[1], seed=at.text_input(key=f"pred-text:{SLUG}").value).answer
    guess.set_value(right).run()
    assert charts(at) and at.success and plain(at.success[0].value).startswith("Right: ")
    assert any("**1 of 1** guesses right" in m.value for m in at.markdown)
    at.button(key="next").click().run()
    wrong = next(r for r in at.radio if r.key.startswith(f"guess-{SLUG}-2"))
    wrong.set_value((guess_question(at.session_state["predictions"][0][2].screens()[2],
                                    seed=at.text_input(key=f"pred-text:{SLUG}").value).answer + 1) % 3).run()
    assert at.error and any("**1 of 2** guesses right" in m.value for m in at.markdown)  # the score counts
    assert at.button(key="play").disabled


def test_each_stage_links_the_words_it_uses_to_the_glossary(open_page) -> None:
    at = open_page("prediction")
    at.button(key="next").click().run()  # tokens, ids and padding
    entries = " ".join(m.value for m in at.markdown if m.value.startswith("- **"))
    assert "**token**" in entries and "**padding**" in entries and "Filler ids" in entries


def test_two_inputs_side_by_side_at_the_same_stage(open_page) -> None:
    at = open_page("prediction")
    at.text_input(key=f"pred-text:{SLUG}").input("the acting was good").run()
    at.segmented_control(key=f"compare:{SLUG}").set_value("another input").run()
    at.text_input(key=f"pred-text2:{SLUG}").input("the acting was <b>not</b> good").run()
    for _ in range(10):
        if at.button(key="next").disabled:
            break
        at.button(key="next").click().run()
    left, right = charts(at)[-2:]
    assert trace(left, "classifier")["x"] != trace(right, "classifier")["x"]
    labels = [m.value for m in at.markdown if m.value.startswith("**")]
    assert any("the acting was good" in plain(v) for v in labels)
    assert any("the acting was <b>not</b> good" in plain(v) for v in labels)  # shown literally


def test_seq2seq_compares_the_same_input_with_attention_on_and_off(open_page) -> None:
    at = open_page("prediction", lesson="seq2seq")
    at.segmented_control(key="compare:seq2seq").set_value("attention on and off").run()
    assert not at.exception
    labels = [plain(m.value) for m in at.markdown if m.value.startswith("**") and " → " in m.value]
    assert [v.split(" →")[0] for v in labels] == ["**attention off**", "**attention on**"]
    assert len(charts(at)) >= 2  # the same stage drawn for both models


def test_a_stage_table_is_built_only_while_its_expander_is_open_and_stays_open(open_page) -> None:
    at = open_page("prediction")
    at.button(key="next").click().run()  # the token ids: a stage with numbers
    assert len([e for e in at.expander if "as a table" in e.label]) == 1
    assert not markdown_tables(at)  # closed: nothing built, nothing sent
    at.session_state[f"stage-table:{SLUG}"] = True  # what the learner's click on it reports
    at.run()
    assert markdown_tables(at)  # open: this stage's numbers
    at.button(key="next").click().run()
    assert markdown_tables(at)  # still open at the next stage, with its numbers


def test_a_stage_picture_is_built_once_and_shared_by_every_session() -> None:
    import dataclasses

    from pipeline.document.views import VectorView
    from ui.layers import layer_figure

    view = VectorView(key="v", title="V", description="d", shape=(3,), values=(0.5, -0.25, 1.0))
    twin = dataclasses.replace(view)  # equal, not the same object: another session's prediction
    assert layer_figure(view) is layer_figure(twin)
    assert layer_figure(dataclasses.replace(view, values=(0.5, -0.25, 2.0))) is not layer_figure(view)
    unhashable = dataclasses.replace(view, values=[0.5, -0.25, 1.0])  # a hand-made view holding a list
    assert layer_figure(unhashable).data[0].y == (0.5, -0.25, 1.0)


def test_the_next_stage_picture_is_built_in_the_background() -> None:
    from pipeline.document.views import TextView, VectorView
    from ui.layers import _kept_figure, layer_figure, prepare

    view = VectorView(key="next", title="Next", description="d", shape=(2,), values=(0.125, -0.875))
    thread = prepare(view)
    thread.join(timeout=30)
    hits, misses = _kept_figure.hits, _kept_figure.misses
    layer_figure(view)  # the click that opens it
    assert (_kept_figure.hits, _kept_figure.misses) == (hits + 1, misses)
    assert prepare(view) is None  # built already: no thread started for it again
    assert prepare(TextView(key="t", title="T", description="d", shape=(1,), text="x")) is None  # no figure


def test_a_click_during_the_background_build_waits_for_it_instead_of_building_twice() -> None:
    from pipeline.document.views import MatrixView
    from ui.layers import _kept_figure, layer_figure, prepare

    values = tuple(tuple(float(r * 64 + c) for c in range(64)) for r in range(48))  # slow enough to be caught
    view = MatrixView(key="big", title="Big", description="d", shape=(48, 64), values=values, rows=())
    hits, misses = _kept_figure.hits, _kept_figure.misses
    thread = prepare(view)
    assert prepare(view) is thread  # asked again while it builds: the same build
    figure = layer_figure(view)  # the click, while it is still being built
    assert (_kept_figure.hits, _kept_figure.misses) == (hits + 1, misses + 1) and figure is layer_figure(view)
