"""Links, presenter mode and a reload after training, in real headless Chromium against `streamlit run`.

- A link restores its view (lesson, input, step); the address bar follows the learner; a reload gives the
  same view. Bad values in a link are notes on the page, never a traceback.
- Presenter mode (`?present=1`) at 1280x720 and at 150 % zoom: the stepper's buttons (whole labels), the
  step number and the stage's verdict fit the first screen; ←/→, Home/End step, but not while typing.
- A reload after training shows the learner's model again at once, with no training.

Screenshots go to artifacts/screenshots/presenter-*.png and reload-*.png (gitignored).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from browser_helpers import (
    axe_violations,
    describe_violations,
    go_to,
    idle,
    load,
    stage_title,
    step_button,
    step_label,
    tables,
)
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.e2e

SEQ2SEQ = "Sequence to sequence"
# Seconds of a tiny run (a seed no other test trains): the reload test needs a model of its own.
TINY = {"Epochs": "2", "Sentences": "200", "Embedding size": "8", "LSTM hidden size": "8", "Seed": "4242"}


def main(page: Page):
    return page.get_by_test_id("stMain")


def chosen_lesson(page: Page):
    """The sidebar's lesson picker (its value is the lesson's title)."""
    return page.get_by_test_id("stSidebar").get_by_role("combobox", name="Lesson")


def verdict(page: Page):
    """The stage's one-line reading under the stepper (an st.info)."""
    return main(page).get_by_test_id("stAlertContentInfo").first


def query_of(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def query(page: Page) -> dict[str, str]:
    return query_of(page.url)


@pytest.fixture
def new_page(browser: Browser, app_url: str) -> Iterator:
    """Pages in contexts of their own (a viewport, a zoom), closed after the test."""
    contexts = []

    def make(**options) -> Page:
        context = browser.new_context(base_url=app_url, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(60_000)
        return page

    yield make
    for context in contexts:
        context.close()


def test_a_link_restores_the_view_and_the_address_follows_the_learner(page: Page) -> None:
    load(page, "/prediction?lesson=seq2seq&text=two%20thousand%20and%20five")
    lesson = chosen_lesson(page)
    box = page.get_by_label("Type an input")
    expect(lesson).to_have_value(SEQ2SEQ)
    expect(box).to_have_value("two thousand and five")
    expect(step_label(page)).to_have_text(re.compile(r"^Stage 1 of "))

    load(page)
    expect(lesson).to_have_value(SEQ2SEQ)
    expect(box).to_have_value("two thousand and five")

    box.fill("forty two")
    box.press("Enter")
    page.wait_for_url(lambda url: query_of(url).get("text") == "forty two")
    idle(page)
    for step in (2, 3):
        step_button(page, "Next").click()
        expect(step_label(page)).to_have_text(re.compile(f"^Stage {step} of "))
        idle(page)
    page.wait_for_url(lambda url: "step=3" in url, timeout=15_000)  # follows a step made inside the stepper
    assert query(page) == {"lesson": "seq2seq", "text": "forty two", "step": "3"}
    label, title = step_label(page).inner_text(), stage_title(page)

    load(page)
    expect(box).to_have_value("forty two")
    expect(step_label(page)).to_have_text(label)
    assert stage_title(page) == title
    expect(lesson).to_have_value(SEQ2SEQ)


def test_bad_values_in_a_link_are_visible_notes_not_tracebacks(page: Page) -> None:
    long_text = "x" * 501
    load(page, f"/prediction?lesson=%3Cb%3Enope%3C/b%3E&text={long_text}&step=999&epochs=0")
    notes = page.get_by_test_id("stAlertContentWarning")
    expect(notes.filter(has_text="a lesson that does not exist (“<b>nope</b>”)")).to_be_visible()
    expect(notes.filter(has_text="501 characters long")).to_be_visible()
    expect(notes.filter(has_text="step “999” is not a step number")).to_be_visible()
    expect(notes.filter(has_text="Epochs (epochs) must be between 1 and 50, got 0")).to_be_visible()
    assert main(page).locator("b", has_text="nope").count() == 0  # the note shows the name, as text
    expect(chosen_lesson(page)).to_have_value("Sequence classification")
    expect(step_label(page)).to_have_text(re.compile(r"^Stage 1 of "))  # the page itself works
    expect(page.get_by_label("Type an input")).not_to_have_value(long_text)

    load(page, "/prediction?text=the%20plot%20was%20good&step=50")  # 1 to 100 is a step, 50 is past the end
    expect(notes.filter(has_text="step 50 is past the last stage")).to_be_visible()
    expect(step_label(page)).to_have_text(re.compile(r"^Stage 1 of "))
    for shown in (page, main(page)):
        assert shown.get_by_test_id("stException").count() == 0
    expect(page.locator("body")).not_to_contain_text("Traceback")


def within(box: dict, width: float, height: float, top: float = 0) -> bool:
    return box["x"] >= 0 and box["y"] >= top and box["x"] + box["width"] <= width and box["y"] + box["height"] <= height


@pytest.mark.parametrize("zoom", [1.0, 1.5], ids=["100%", "150%"])
def test_presenter_mode_fits_a_projector(new_page, screenshots, zoom: float) -> None:
    """1280x720 device pixels; at 150 % the page lays out in 853x480 CSS pixels, drawn 1.5 times larger."""
    width, height = round(1280 / zoom), round(720 / zoom)
    page = new_page(viewport={"width": width, "height": height}, device_scale_factor=zoom)
    load(page, "/prediction?present=1")
    expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")  # folded away
    assert main(page).get_by_test_id("stHeading").filter(has_text="Prediction").count() == 0  # no title in the way
    step_button(page, "Next").click()
    expect(step_label(page)).to_have_text(re.compile(r"^Stage 2 of "))
    idle(page)
    page.mouse.move(0, height - 1)  # no tooltip over the screenshot

    scrolled = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollTop")
    assert scrolled == 0
    header = page.get_by_test_id("stHeader").bounding_box()
    top = header["y"] + header["height"]  # the fixed header hides what is under it
    input_button = main(page).get_by_role("button", name=re.compile("^“"))  # the input, folded in the toolbar
    for name, element in [("step number", step_label(page)), ("stage title", main(page).locator("h3").first),
                          ("verdict", verdict(page)), ("input", input_button)]:
        box = element.bounding_box()
        assert box and within(box, width, height, top), f"the {name} is not on the first screen: {box}"
    buttons = main(page).get_by_test_id("stButton").locator("button:visible")
    assert buttons.count() == 5
    for i in range(5):
        button = buttons.nth(i)
        assert within(button.bounding_box(), width, height, top)
        if i in (1, 2, 3):  # Prev, Play, Next keep their words; First and Last are their icons
            cut = button.get_by_test_id("stMarkdownContainer").evaluate("e => e.scrollWidth > e.clientWidth + 1")
            assert not cut, f"the label of {button.inner_text()!r} is cut short"
    input_button.click()  # the input, one click away and working with the keyboard
    box = page.get_by_label("Type an input")
    box.fill("the acting was not good")
    box.press("Enter")
    expect(step_label(page)).to_have_text(re.compile(r"^Stage 1 of "))  # a new input starts at stage 1
    page.screenshot(path=str(screenshots / f"presenter-1280x720-{int(zoom * 100)}.png"))
    if zoom == 1.0:  # larger type, the same markup: axe-core's WCAG 2.1 AA rules once in presenter mode
        violations = axe_violations(page)
        assert not violations, f"axe-core in presenter mode:\n{describe_violations(violations)}"


def test_arrow_keys_step_but_not_while_typing(new_page) -> None:
    page = new_page(viewport={"width": 1280, "height": 720})
    load(page, "/prediction?present=1")
    first = stage_title(page)
    expect(step_label(page)).to_have_text(re.compile(r"^Stage 1 of (\d+)$"))
    total = step_label(page).inner_text().split()[-1]

    page.keyboard.press("ArrowRight")
    expect(step_label(page)).to_have_text(f"Stage 2 of {total}")
    idle(page)
    second = stage_title(page)
    assert second != first
    page.keyboard.press("ArrowLeft")
    expect(step_label(page)).to_have_text(f"Stage 1 of {total}")
    idle(page)
    assert stage_title(page) == first
    page.keyboard.press("End")
    expect(step_label(page)).to_have_text(f"Stage {total} of {total}")
    idle(page)
    page.keyboard.press("Home")
    expect(step_label(page)).to_have_text(f"Stage 1 of {total}")
    idle(page)

    main(page).get_by_role("button", name=re.compile("^“")).click()  # the input, in the toolbar
    box = page.get_by_label("Type an input")
    box.click()
    box.press("End")  # the caret moves to the end of the text: no jump to the last stage
    box.press("ArrowLeft")
    box.press("ArrowRight")
    box.press("ArrowRight")
    page.keyboard.press("Escape")  # close the input and leave the box: the keys step again
    step_label(page).click()
    page.keyboard.press("ArrowRight")
    expect(step_label(page)).to_have_text(f"Stage 2 of {total}")  # one step from 1: the keys typed did nothing
    idle(page)
    assert stage_title(page) == second
    expect(step_label(page)).to_have_text(f"Stage 2 of {total}")


def test_a_reload_after_training_finds_the_model_with_no_training(page: Page, screenshots) -> None:
    load(page, "/training")
    for label, value in TINY.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Train").click()
    expect(page.get_by_text("Your model is trained")).to_be_visible(timeout=120_000)
    idle(page)
    page.wait_for_url(lambda url: "seed=4242" in url)
    assert {k: query(page)[k] for k in ("epochs", "samples", "seed")} == {"epochs": "2", "samples": "200",
                                                                          "seed": "4242"}

    load(page)  # a new session: only the link knows the settings
    expect(page.get_by_text("Your model is trained")).to_be_visible()
    expect(page.get_by_text("Nothing had to train")).to_be_visible()  # from the run cache
    assert page.get_by_test_id("stProgress").count() == 0  # nothing trained on this visit
    expect(page.get_by_label("Epochs", exact=True)).to_have_value("2")
    expect(tables(page).locator("tbody tr")).to_have_count(2)  # its two epochs
    page.screenshot(path=str(screenshots / "reload-training.png"))

    go_to(page, "Prediction")
    expect(page.get_by_text("your own model")).to_be_visible()
    assert query(page)["seed"] == "4242"  # the link names the model on every page
    load(page)
    expect(page.get_by_text("your own model")).to_be_visible()
    page.screenshot(path=str(screenshots / "reload-prediction.png"))
