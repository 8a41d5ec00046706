"""A learner's journeys in real headless Chromium against `streamlit run`, with screenshots.

Screenshots go to artifacts/screenshots/ (gitignored); look at them: they must show real charts and values.
"""

from __future__ import annotations

import re
import time

import pytest
from browser_helpers import (
    click_button,
    full_screenshot,
    go_to,
    open_app,
    pick_lesson,
    plot_js,
    settle,
    stage_title,
    step_button,
    tables,
)
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

CLASSIFICATION, SEQ2SEQ = "Sequence classification", "Sequence to sequence"


def heading(page: Page):
    return page.get_by_test_id("stMain").get_by_test_id("stHeading").first


def test_overview_of_each_lesson(page: Page, screenshots) -> None:
    open_app(page)
    expect(heading(page)).to_have_text(CLASSIFICATION)
    expect(tables(page).filter(has_text="First epoch")).to_have_count(1)  # the epochs, each with its reading
    expect(tables(page).filter(has_text="Expected output")).to_have_count(1)  # held-out examples, as words
    expect(tables(page).filter(has_text="1,000 × 10 × 50")).to_have_count(1)  # the stages' shapes
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(1)  # the curves; the probes' chart on demand
    page.get_by_text("The same answers as a chart").click()
    expect(page.get_by_test_id("stPlotlyChart").locator(".main-svg").first).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(2)
    full_screenshot(page, screenshots / "01-overview-sequence-classification.png")

    pick_lesson(page, SEQ2SEQ)
    expect(heading(page)).to_have_text(SEQ2SEQ)
    expect(tables(page).filter(has_text="thousand")).not_to_have_count(0)  # number words -> digits
    expect(tables(page).filter(has_text="Embedding")).not_to_have_count(0)  # the stages
    full_screenshot(page, screenshots / "02-overview-seq2seq.png")


def test_data_flow_animation_plays_in_the_browser(page: Page, screenshots) -> None:
    open_app(page, "/data_flow")
    expect(heading(page)).to_have_text("Data flow")
    active = plot_js(0, "g._fullLayout.sliders[0].active")
    assert page.evaluate(active) == 0
    sentence = plot_js(0, "g._fullLayout.annotations[0].text")
    assert "goes in" in page.evaluate(sentence)  # the first example's own words enter
    page.screenshot(path=str(screenshots / "03-data-flow-stage-1.png"))

    page.locator(".updatemenu-button").filter(has_text="Play").click()
    page.wait_for_function(f"({active})() >= 2", timeout=15_000)  # the browser animates, no reruns
    page.locator(".updatemenu-button").filter(has_text="Pause").click()
    paused_at = page.evaluate(active)
    page.wait_for_timeout(2500)
    assert page.evaluate(active) == paused_at  # pause holds
    page.wait_for_timeout(500)
    assert "→ id" in page.evaluate(sentence)  # the words are becoming ids
    heatmap_cells = page.evaluate(plot_js(0, "g.data.find(t => t.type === 'heatmap').z.flat().length"))
    assert heatmap_cells > 1
    page.screenshot(path=str(screenshots / "04-data-flow-playing.png"))

    page.locator(".updatemenu-button").filter(has_text="Play").click()  # it goes on from where it paused
    page.wait_for_function(f"({active})() >= {paused_at + 3}", timeout=20_000)
    page.wait_for_timeout(500)  # the frame's redraw follows the slider
    page.screenshot(path=str(screenshots / "05-data-flow-later.png"))


def test_training_curves_grow_while_the_model_trains(page: Page, screenshots) -> None:
    open_app(page, "/training")
    page.get_by_label("Epochs", exact=True).fill("12")
    page.get_by_label("Sentences", exact=True).fill("4000")
    page.get_by_role("button", name="Train").click()

    points = plot_js(0, "g.data.find(t => t.name === 'training, each batch')?.x.length ?? 0")
    epochs = plot_js(0, "g.data.find(t => t.name === 'validation')?.x.length ?? 0")
    seen, shot, deadline = [], False, time.monotonic() + 180
    while time.monotonic() < deadline:
        count = page.evaluate(points) or 0
        if count and (not seen or count != seen[-1]):
            seen.append(count)
        if not shot and (page.evaluate(epochs) or 0) >= 4:
            page.screenshot(path=str(screenshots / "06-training-live.png"))
            shot = True
        if page.get_by_text("Your model is trained").count():
            break
        page.wait_for_timeout(150)
    settle(page)
    # at least one state before the last: a chart drawn only at the end would be seen once. (Under load the
    # browser may draw only some of the page's redraws, so no more is asked.)
    assert len(seen) >= 2 and seen == sorted(seen), f"the chart did not grow live: {seen}"
    expect(page.get_by_test_id("stProgress")).to_have_count(0)  # the live parts make way for the result
    table = tables(page).filter(has_text="Observation")
    expect(table).to_contain_text("Validation accuracy")
    expect(table.locator("tbody tr")).to_have_count(12)
    full_screenshot(page, screenshots / "07-training-done.png")

    go_to(page, "Prediction")
    expect(page.get_by_text("your own model")).to_be_visible()


def test_prediction_steps_through_every_stage(page: Page, screenshots) -> None:
    open_app(page, "/prediction")
    box = page.get_by_label("Type an input")
    page.get_by_test_id("stMain").get_by_test_id("stSelectbox").click()
    example = page.get_by_role("option").nth(2)
    picked = example.inner_text()
    example.click()
    settle(page)
    expect(box).to_have_value(picked)
    expect(page.get_by_test_id("stText")).to_have_text(picked)
    box.fill("the plot was not good but the music was zorgly")
    box.press("Enter")
    settle(page)
    expect(page.get_by_test_id("stAlert").first).to_contain_text("zorgly")
    expect(page.get_by_test_id("stText")).to_contain_text("the plot was not good")

    stages = []
    for _ in range(10):
        stages.append(stage_title(page))
        if stages[-1] == "Tokens, ids and padding":
            full_screenshot(page, screenshots / "08-prediction-tokens.png")
        if stages[-1] == "LSTM, word by word: gates and memory":
            full_screenshot(page, screenshots / "09-prediction-lstm-gates.png")
        if step_button(page, "Next").is_disabled():
            break
        step_button(page, "Next").click()
        settle(page)
    assert stages == ["Raw text", "Tokens, ids and padding", "Embedding",
                      "Words in space: the embedding table in two dimensions", "LSTM, word by word: gates and memory",
                      "Sentence vector: the LSTM's last memory", "Linear + softmax: the answer"]
    expect(page.get_by_test_id("stMain").get_by_test_id("stAlertContentInfo").first).to_have_text(
        re.compile("The model answers “(negative|neutral|positive)”, [0-9.]+% sure"))
    full_screenshot(page, screenshots / "10-prediction-probabilities.png")

    step_button(page, "Play").click()
    settle(page)  # from the end: starts again and advances on its own
    page.wait_for_function("() => [...document.querySelectorAll('h3')].some(h => h.innerText === 'Embedding')",
                           timeout=15_000)


def test_bad_and_hostile_input_gives_messages_not_tracebacks(page: Page, screenshots) -> None:
    open_app(page, "/prediction")
    box = page.get_by_label("Type an input")
    for text, message in [("", "empty"), ("\u200b\u200b", "empty"), ("x" * 10_001, "10,001 characters")]:
        box.fill(text)
        box.press("Enter")
        settle(page)
        expect(page.get_by_test_id("stAlertContentError")).to_contain_text(message)
    assert page.get_by_test_id("stException").count() == 0

    hostile = "<img src=x onerror=alert(1)> <b>bold</b> **x** :red[z]"
    box.fill(hostile)
    box.press("Enter")
    settle(page)
    expect(page.get_by_test_id("stText")).to_have_text(hostile)
    main = page.get_by_test_id("stMain")
    assert main.locator("img[src=x]").count() == 0 and main.locator("b", has_text="bold").count() == 0
    full_screenshot(page, screenshots / "11-prediction-hostile-input.png")


def test_seq2seq_with_attention_trains_and_shows_decoder_steps(page: Page, screenshots) -> None:
    open_app(page, "/training")
    pick_lesson(page, SEQ2SEQ)
    page.get_by_label("Epochs", exact=True).fill("12")
    page.get_by_test_id("stCheckbox").filter(has_text="Attention").locator("input").check(force=True)
    page.get_by_role("button", name="Train").click()
    expect(page.get_by_text("Your model is trained")).to_be_visible(timeout=180_000)
    settle(page)

    go_to(page, "Prediction")
    box = page.get_by_label("Type an input")
    box.fill("three thousand and forty two")
    box.press("Enter")
    settle(page)
    titles = []
    for _ in range(15):
        title = stage_title(page)
        titles.append(title)
        if title == "Decoder LSTM: step 2 of 5":
            full_screenshot(page, screenshots / "12-seq2seq-decoder-step.png")
        if title == "Attention: where each output token looked":
            full_screenshot(page, screenshots / "13-seq2seq-attention.png")
        if step_button(page, "Next").is_disabled():
            break
        step_button(page, "Next").click()
        settle(page)
    assert "Attention: where each output token looked" in titles
    steps = [t for t in titles if t.startswith("Decoder LSTM: step")]
    assert steps == [f"Decoder LSTM: step {i} of 5" for i in range(1, 6)]
    full_screenshot(page, screenshots / "14-seq2seq-output.png")


def test_quiz_feedback_score_and_retry(page: Page, screenshots) -> None:
    open_app(page, "/quiz")
    page.get_by_text("A. Every sentence becomes exactly ten ids long").click()
    settle(page)
    page.get_by_text("A. Position ten is always an unknown word").click()
    settle(page)
    expect(page.get_by_text("Position ten is always an unknown word · your answer")).to_be_visible()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text("Right.")
    expect(page.get_by_test_id("stAlertContentError")).to_contain_text("Not quite")
    score = page.get_by_test_id("stMetricValue").first
    expect(score).to_have_text(re.compile(r"^1 of \d+$"))
    full_screenshot(page, screenshots / "15-quiz-feedback.png")

    go_to(page, "Overview")
    go_to(page, "Quiz")
    expect(score).to_have_text(re.compile(r"^1 of \d+$"))  # answers kept between pages
    click_button(page, "Retry the quiz")
    expect(score).to_have_text(re.compile(r"^0 of \d+$"))


def test_open_a_trace_shows_the_shipped_examples(page: Page, screenshots) -> None:
    open_app(page, "/open_trace")
    expect(heading(page)).to_have_text("Open a trace")
    expect(page.get_by_test_id("stMain").get_by_test_id("stHeading").nth(1)).to_have_text("DigitsCNN")
    expect(tables(page)).to_contain_text("1. features.0")  # literal, not a Markdown list
    assert tables(page).locator("li").count() == 0
    frames = page.evaluate(plot_js(0, "g._transitionData ? g._transitionData._frames.length : 0"))
    assert frames >= 5
    full_screenshot(page, screenshots / "16-open-trace-cnn.png")
    page.get_by_text("A one-block Transformer reading 10 tokens").click()
    settle(page)
    expect(tables(page)).to_contain_text("blocks.0")
    full_screenshot(page, screenshots / "17-open-trace-transformer.png")
