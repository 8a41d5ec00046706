"""Inside the model, in real Chromium: stepping through the Transformer's opened attention block with a word
highlighted, and scrubbing a stage's time-lapse across the epochs, at 1280x720, in presenter mode at 150 % and on
a phone. Screenshots go to artifacts/screenshots/inside-*.png (gitignored): look at them."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from browser_helpers import load, plot_js, settle, stage_title, step_button
from layout import VIEWS, chart_problems, measure, picture_problem
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.e2e

PROBE = "the acting was not good"  # a probe of the lesson: its stages are kept after every epoch
LINK = f"/prediction?lesson=transformer-classification&text={quote(PROBE)}"
BLOCK = [("Queries, keys and values", "qkv"), ("Scores in", "scores"), ("Softmax in", "softmax"),
         ("Weighted sum in", "mix"), ("Output projection, residual and LayerNorm", "residual")]
FIRST = 5  # the stage number of the queries, keys and values (after the text, ids, embedding, words in space)
HIGHLIGHTS = plot_js(0, "(g.layout.shapes || []).filter(s => s.name === 'highlight').map(s => [s.xref, s.y0, s.x0])")


def words(page: Page):
    """The pills that choose a word to highlight (a radio group: arrow keys and Enter, or a tap)."""
    return page.get_by_test_id("stMain").get_by_role("radiogroup", name=re.compile("^Highlight a word"))


def slider(page: Page):
    return page.get_by_test_id("stMain").get_by_role("slider")


def first_z(page: Page) -> list:
    return page.evaluate(plot_js(0, "Array.from(g.data[0].z[0])"))


def test_stepping_through_the_opened_attention_block_with_a_word_highlighted(page: Page, screenshots) -> None:
    load(page, f"{LINK}&step={FIRST}")
    for k, (title, name) in enumerate(BLOCK):
        assert stage_title(page).startswith(title), stage_title(page)
        expect(page.get_by_test_id("stMain").get_by_text(re.compile(f"^Stage {FIRST + k} of 12$"))).to_be_visible()
        expect(words(page).get_by_role("radio", name="4 · not")).to_be_visible()  # every stage of the block
        if name == "scores":
            assert page.evaluate(HIGHLIGHTS) == []
            words(page).get_by_role("radio", name="4 · not").click()
            settle(page)
            marks = page.evaluate(HIGHLIGHTS)
            assert len(marks) == 2 * 4  # its row and its column in each of the 4 heads
            assert {m[1] for m in marks if m[0].endswith("domain")} == {2.5}  # the row of “not”
            assert {m[2] for m in marks if not m[0].endswith("domain")} == {2.5}  # its column
            page.screenshot(path=str(screenshots / "inside-laptop-scores-not-highlighted.png"))
        step_button(page, "Next").click()
        settle(page)
    assert stage_title(page).startswith("Output of the encoder block")


def test_scrubbing_a_time_lapse_changes_the_picture_and_says_what_changed(page: Page, screenshots) -> None:
    load(page, f"{LINK}&step=7")  # the softmax: every head's attention, kept after each epoch
    assert stage_title(page).startswith("Softmax in")
    thumb = slider(page)
    expect(thumb).to_have_attribute("aria-valuetext", "5")
    last = first_z(page)
    thumb.focus()
    page.keyboard.press("Home")  # the keyboard scrubs: epoch 1
    settle(page)
    expect(thumb).to_have_attribute("aria-valuetext", "1")
    assert first_z(page) != last  # the weights after epoch 1, not the trained model's
    for epoch in (2, 3):
        thumb.focus()
        page.keyboard.press("ArrowRight")
        settle(page)
        expect(page.get_by_test_id("stMain").get_by_text(re.compile(f"^Epoch {epoch}: "))).to_be_visible()
    page.screenshot(path=str(screenshots / "inside-laptop-softmax-epoch-3.png"))
    load(page, f"{LINK}&step=4")  # the words in space: every epoch on the same two directions
    assert stage_title(page).startswith("Words in space")
    expect(slider(page)).to_have_attribute("aria-valuetext", "5")
    page.screenshot(path=str(screenshots / "inside-laptop-words-in-space.png"))


@pytest.mark.parametrize("view", [v for v in VIEWS if v.name != "laptop"], ids=lambda v: v.name)
def test_the_block_and_its_controls_read_in_this_view(browser: Browser, app_url: str, screenshots, view) -> None:
    """The stages with a word to choose and a time-lapse keep their picture on the first screen in presenter mode (at
    100 % and 150 %) and on a phone, the controls beside or under it; screenshots of each."""
    context = view.context(browser, app_url)
    page = context.new_page()
    page.set_default_timeout(90_000)
    try:
        for step, name in ((4, "words-in-space"), (6, "scores"), (7, "softmax")):
            load(page, f"{LINK}&step={step}" + ("&present=1" if view.present else ""))
            found = measure(page)
            problems = ([p] if (p := picture_problem(found)) else []) + chart_problems(found)
            assert not problems, f"{name} ({view.name}):\n" + "\n".join(problems)
            expect(slider(page).or_(words(page)).first).to_be_attached()
            page.screenshot(path=str(screenshots / f"inside-{view.name}-{name}.png"))
    finally:
        context.close()
