"""Inside the model, in real Chromium: stepping through the Transformer's opened attention block with a word
highlighted (1280x720), scrubbing a stage's time-lapse by keyboard (presenter mode at 150 %), and both on a phone --
the picture still on the first screen with the controls beside or under it, no chart text colliding. Screenshots go
to artifacts/screenshots/inside-*.png (gitignored): look at them."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from browser_helpers import load, plot_js, settle, stage_title, step_button
from layout import STAGE_PICTURE, VIEWS, chart_problems, measure, picture_problem
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.e2e

PROBE = "the acting was not good"  # a probe of the lesson: its stages are kept after every epoch
LINK = f"/prediction?lesson=transformer-classification&text={quote(PROBE)}"
BLOCK = [("Queries, keys and values", "qkv"), ("Scores in", "scores"), ("Softmax in", "softmax"),
         ("Weighted sum in", "mix"), ("Output projection, residual and LayerNorm", "residual")]
SPACE, QKV, SOFTMAX = 4, 5, 7  # stage numbers: after the text, the ids, the embedding (and the words in space)
HIGHLIGHTS = plot_js(0, "(g.layout.shapes || []).filter(s => s.name === 'highlight').map(s => [s.xref, s.y0, s.x0])")
LAPTOP, PRESENTER_150, PHONE = ({v.name: v for v in VIEWS}[name] for name in ("laptop", "presenter-150", "phone"))


@pytest.fixture
def opened(browser: Browser, app_url: str, request):
    """A page in the view the test names (``request.param``)."""
    context = request.param.context(browser, app_url)
    page = context.new_page()
    page.set_default_timeout(90_000)
    yield request.param, page
    context.close()


def words(page: Page):
    """The pills that choose a word to highlight (a radio group: arrow keys and Enter, or a tap)."""
    return page.get_by_test_id("stMain").get_by_role("radiogroup", name=re.compile("^Highlight a word"))


def slider(page: Page):
    return page.get_by_test_id("stMain").get_by_role("slider")


def first_z(page: Page) -> list:
    return page.evaluate(plot_js(0, "Array.from(g.data[0].z[0])"))


def to_picture(page: Page) -> None:
    """Scroll the stage's picture to the top of the screen (a tap below it left the page scrolled there)."""
    page.locator(STAGE_PICTURE).first.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)


def reads(page: Page, where: str) -> None:
    """The stage's picture starts on the first screen, and no chart text collides or is cut off."""
    found = measure(page)
    problems = ([p] if (p := picture_problem(found)) else []) + chart_problems(found)
    assert not problems, f"{where}:\n" + "\n".join(problems)


def highlight_not(page: Page) -> None:
    """Choose “not” (the 4th word) and check its row and column are framed in each of the 4 heads."""
    assert page.evaluate(HIGHLIGHTS) == []
    words(page).get_by_role("radio", name="4 · not").click()
    settle(page)
    marks = page.evaluate(HIGHLIGHTS)
    assert len(marks) == 2 * 4, marks
    assert {m[1] for m in marks if m[0].endswith("domain")} == {2.5}  # the row of “not”
    assert {m[2] for m in marks if not m[0].endswith("domain")} == {2.5}  # its column


def scrub(page: Page) -> None:
    """From the last epoch to the first with Home, then on with →: the picture and the line follow."""
    thumb = slider(page)
    expect(thumb).to_have_attribute("aria-valuetext", "5")
    last = first_z(page)
    thumb.focus()
    page.keyboard.press("Home")
    settle(page)
    expect(thumb).to_have_attribute("aria-valuetext", "1")
    assert first_z(page) != last  # the weights after epoch 1, not the trained model's
    for epoch in (2, 3):
        thumb.focus()
        page.keyboard.press("ArrowRight")
        settle(page)
        expect(page.get_by_test_id("stMain").get_by_text(re.compile(f"^Epoch {epoch}: "))).to_be_visible()


@pytest.mark.parametrize("opened", [LAPTOP], ids=["1280x720"], indirect=True)
def test_stepping_through_the_opened_attention_block_with_a_word_highlighted(opened, screenshots) -> None:
    _, page = opened
    load(page, f"{LINK}&step={QKV}")
    for k, (title, name) in enumerate(BLOCK):
        assert stage_title(page).startswith(title), stage_title(page)
        expect(page.get_by_test_id("stMain").get_by_text(re.compile(f"^Stage {QKV + k} of 12$"))).to_be_visible()
        expect(words(page).get_by_role("radio", name="4 · not")).to_be_visible()  # every stage of the block
        if name == "scores":
            highlight_not(page)
        reads(page, f"{name} (1280x720)")
        page.mouse.move(0, 0)  # no tooltip or hover label over the screenshot
        page.wait_for_timeout(500)
        page.screenshot(path=str(screenshots / f"inside-1280x720-{QKV + k:02d}-{name}.png"))
        step_button(page, "Next").click()
        settle(page)
    assert stage_title(page).startswith("Output of the encoder block")


@pytest.mark.parametrize("opened", [PRESENTER_150], ids=["presenter-150"], indirect=True)
def test_scrubbing_a_time_lapse_changes_the_picture_and_says_what_changed(opened, screenshots) -> None:
    _, page = opened
    load(page, f"{LINK}&step={SOFTMAX}&present=1")  # the softmax: every head's attention, kept after each epoch
    assert stage_title(page).startswith("Softmax in")
    scrub(page)
    reads(page, "softmax at epoch 3 (presenter at 150 %)")
    page.screenshot(path=str(screenshots / "inside-presenter-150-07-softmax-epoch-3.png"))
    load(page, f"{LINK}&step={SPACE}&present=1")  # the words in space: every epoch on the same two directions
    assert stage_title(page).startswith("Words in space")
    expect(slider(page)).to_have_attribute("aria-valuetext", "5")
    reads(page, "words in space (presenter at 150 %)")
    page.screenshot(path=str(screenshots / "inside-presenter-150-04-words-in-space.png"))


@pytest.mark.parametrize("opened", [PHONE], ids=["phone"], indirect=True)
def test_on_a_phone_a_word_is_a_tap_and_the_epochs_a_slider_under_the_picture(opened, screenshots) -> None:
    _, page = opened
    load(page, f"{LINK}&step=6")  # the scores
    reads(page, "scores (phone)")
    highlight_not(page)  # the pills are under the picture: a tap there, then back up to the picture
    to_picture(page)
    page.screenshot(path=str(screenshots / "inside-phone-06-scores-not-highlighted.png"))
    load(page, f"{LINK}&step={SOFTMAX}")
    reads(page, "softmax (phone)")
    scrub(page)
    to_picture(page)
    page.screenshot(path=str(screenshots / "inside-phone-07-softmax-epoch-3.png"))


def test_the_handout_highlights_a_hovered_word_and_plays_the_time_lapse(browser: Browser, tmp_path,
                                                                         screenshots) -> None:
    """The offline page, no server: hovering a cell of the scores frames its word's row and column in every head (the
    page's own script), and Play runs the words in space through the epochs."""
    from pipeline.lessons import get_lesson
    from pipeline.render.handout import save_handout

    lesson = get_lesson("transformer-classification")
    run = lesson.run(lesson.settings_type(epochs=3, samples=300, seed=0, d_model=16, d_ff=16))
    path = tmp_path / "handout.html"
    save_handout(lesson.document(run, lesson.predict(run, PROBE)), path)
    context = browser.new_context(viewport={"width": 900, "height": 900})
    page = context.new_page()
    try:
        page.goto(path.as_uri())
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .main-svg').length > 5")
        scores = page.locator('li.screen:has(h3:has-text("Scores")) .js-plotly-plot').first
        scores.evaluate("e => e.scrollIntoView({block: 'start'})")
        cell = page.locator('li.screen:has(h3:has-text("Scores")) .nsewdrag').first.bounding_box()
        page.mouse.move(cell["x"] + cell["width"] * 0.3, cell["y"] + cell["height"] * 0.7)  # a cell of “not”'s row
        page.wait_for_function("g => (g.layout.shapes || []).some(s => s.name === 'highlight')",
                               arg=scores.element_handle())
        marks = scores.evaluate("g => g.layout.shapes.filter(s => s.name === 'highlight').map(s => [s.xref, s.y0])")
        assert len(marks) == 2 * 4 and len({y for _, y in marks if y != 0}) == 1  # one word: its row and column
        page.screenshot(path=str(screenshots / "inside-handout-scores-hovered.png"))
        space = page.locator('h3:has-text("Words in space") + figure .js-plotly-plot').first
        space.evaluate("e => e.scrollIntoView({block: 'start'})")
        assert space.evaluate("g => g._fullLayout.sliders[0].active") == 2
        before = space.evaluate("g => Array.from(g.data[1].x)")
        space.locator(".updatemenu-button").first.click()  # ▶ Play: from epoch 1, one frame after another
        page.wait_for_function("g => g._fullLayout.sliders[0].active === 0", arg=space.element_handle())
        assert space.evaluate("g => Array.from(g.data[1].x)") != before  # your words where epoch 1 left them
        page.wait_for_function("g => g._fullLayout.sliders[0].active === 2", arg=space.element_handle(),
                               timeout=15_000)
        page.screenshot(path=str(screenshots / "inside-handout-words-in-space.png"))
    finally:
        context.close()
