"""Prediction page: input, Prev / Next / Play through every layer, bad input as inline messages."""

from __future__ import annotations

import time

import pytest
from app_helpers import charts, plain, trace

import ui
from pipeline import session
from pipeline.lessons import get_lesson

SLUG = "sequence-classification"


def titles(at) -> list[str]:
    return [plain(s.value) for s in at.subheader]


def test_steps_from_raw_text_to_class_probabilities(open_page) -> None:
    at = open_page("prediction")
    text = at.text_input(key=f"pred-text:{SLUG}").value
    expected = get_lesson(SLUG).predict(ui.default_run(SLUG).run, text)
    assert any("lesson's model" in c.value for c in at.caption)
    assert titles(at) == ["Raw text"] and at.code[0].value == text
    assert at.button(key="prev").disabled

    seen = []
    for _ in expected.layers[1:]:
        at.button(key="next").click().run()
        seen.append(titles(at)[0])
    assert seen == [layer.title for layer in expected.layers[1:]]
    assert at.button(key="next").disabled
    (bars,) = charts(at)
    assert trace(bars, "classifier")["x"] == pytest.approx(expected.layer("classifier").values)
    assert at.metric[0].value == expected.output

    at.button(key="prev").click().run()
    assert titles(at) == [expected.layers[-2].title]


def test_unknown_words_and_padding_are_marked(open_page) -> None:
    at = open_page("prediction")
    at.text_input(key=f"pred-text:{SLUG}").input("the plot was zorgly").run()
    assert any("zorgly" in w.value for w in at.warning)
    at.button(key="next").click().run()
    (tokens,) = charts(at)
    cells = tokens["data"][0]["text"][0]
    assert cells[3].startswith("zorgly<br><b>1</b>") and cells[4].startswith("&lt;pad&gt;<br><b>0</b>")
    assert [t["name"] for t in tokens["data"][1:]] == ["known word", "unknown word (&lt;unk&gt;)",
                                                       "padding (&lt;pad&gt;)"]


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
    assert at.code[0].value == text
    assert at.warning  # truncated, or unknown words


def test_typed_html_and_markdown_stay_plain_text(open_page) -> None:
    at = open_page("prediction")
    typed = "<script>alert(1)</script> <b>bold</b> **x** $y$ :red[z] [a](javascript:alert(1))"
    at.text_input(key=f"pred-text:{SLUG}").input(typed).run()
    assert at.code[0].value == typed  # shown verbatim in a code block
    assert all(not m.proto.allow_html for m in [*at.markdown, *at.caption])  # alerts never render HTML
    assert "<script>" not in at.warning[0].value and "\\<unk\\>" in at.warning[0].value
    at.button(key="next").click().run()
    text = " ".join(charts(at)[0]["data"][0]["text"][0])
    assert "<b>bold" not in text and "&lt;" in text


def test_picking_an_example_fills_the_input(open_page) -> None:
    at = open_page("prediction")
    examples = [t for t, _ in ui.default_run(SLUG).run.examples]
    at.selectbox(key=f"pred-example:{SLUG}").select(examples[3]).run()
    assert at.text_input(key=f"pred-text:{SLUG}").value == examples[3]
    assert at.code[0].value == examples[3]
    assert at.selectbox(key=f"pred-example:{SLUG}").value is None  # ready for the next pick


def test_play_advances_on_its_own_and_stops_at_the_end(open_page, monkeypatch) -> None:
    monkeypatch.setattr(session, "PLAY_SECONDS", 0.05)
    at = open_page("prediction")
    at.button(key="play").click().run()
    assert at.button(key="play").label == "❚❚ Pause"
    for _ in range(10):
        time.sleep(0.06)
        at.run()
    assert titles(at) == ["Linear + softmax"]
    assert at.button(key="play").label == "▶ Play"


def test_a_seq2seq_prediction_renders_every_layer_kind(open_page, fake_seq2seq: str) -> None:
    at = open_page("prediction", lesson=fake_seq2seq)
    at.text_input(key=f"pred-text:{fake_seq2seq}").input("the black cat").run()
    assert at.code[0].value == "the black cat"
    kinds = {}
    while True:
        for fig in charts(at):
            kinds.setdefault(titles(at)[0], [t.get("name") for t in fig["data"]])
        if at.button(key="next").disabled:
            break
        at.button(key="next").click().run()
    assert kinds["Source tokens"][0] == "tokens" and "start / end marker" in kinds["Source tokens"]
    steps = [title for title in kinds if title.startswith("Decoder: step")]
    assert steps == [f"Decoder: step {i} of 4" for i in range(1, 5)]
    assert kinds[steps[0]] == ["top choices", "attention", "hidden state"]
    assert kinds["Attention"] == ["attention"]
    assert kinds["Context vector"] == ["context"]
