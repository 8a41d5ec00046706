"""Drawing a digit: a stroke on the canvas with the mouse, with a finger (touch events on a phone) and with the keys
changes the prediction; a cleared canvas is one line; every stage of the CNN steps through with its picture, and
screenshots of the lesson at 1280x720, presenter mode at 150 % and on a phone are saved (artifacts/screenshots/)."""

from __future__ import annotations

import re

import pytest
from browser_helpers import load, settle, stage_title, step_button, step_label
from layout import VIEWS, ScreenView
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.e2e

LESSON = "digits-cnn"
ONE = [(0.5, 0.15 + 0.07 * i) for i in range(11)]  # a vertical stroke, top to bottom: a 1
SEVEN = [(0.25 + 0.05 * i, 0.2) for i in range(10)] + [(0.7 - 0.03 * i, 0.2 + 0.07 * i) for i in range(1, 10)]


def view(name: str) -> ScreenView:
    return next(v for v in VIEWS if v.name == name)


def answer(page: Page) -> str:
    """The model's answer, read on the last stage's verdict ("The model answers “7”, 98.1% sure ...")."""
    step_button(page, "Last").click()
    verdict = page.get_by_test_id("stMain").get_by_text(re.compile(r"^The model answers “"))
    expect(verdict).to_be_visible()
    settle(page, 500)
    return re.search(r"answers “(.+?)”", verdict.inner_text()).group(1)


def pixels_verdict(page: Page) -> str:
    """The first stage's verdict: how many pixels hold ink, and where."""
    return page.get_by_test_id("stMain").get_by_text(re.compile(r"^The model reads 64 pixels")).inner_text()


def open_canvas(page: Page):
    """The canvas, in the input row's "Draw a digit" popover; its box in the page."""
    page.get_by_role("button", name="Draw a digit").click()
    canvas = page.locator("canvas[aria-label^='Drawing area']")
    expect(canvas).to_be_visible()
    return canvas, canvas.bounding_box()


def drawn(page: Page) -> None:
    """Wait for the rerun a finished stroke starts (the stepper back at the first stage, the new pixels), then close
    the canvas's popover as a learner does (Escape), so the stepper is in reach again."""
    settle(page)
    expect(step_label(page)).to_have_text(re.compile(r"^Stage 1 of 7$"))
    page.keyboard.press("Escape")
    expect(page.locator("canvas[aria-label^='Drawing area']")).to_be_hidden()


def test_a_stroke_drawn_with_the_mouse_with_a_finger_or_with_keys_changes_the_prediction(browser: Browser,
                                                                                           app_url: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=app_url)
    page = context.new_page()
    page.set_default_timeout(90_000)
    try:
        load(page, f"/prediction?lesson={LESSON}")
        first = answer(page)
        canvas, box = open_canvas(page)
        page.mouse.move(box["x"] + ONE[0][0] * box["width"], box["y"] + ONE[0][1] * box["height"])
        page.mouse.down()
        for x, y in ONE[1:]:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=3)
        page.mouse.up()
        drawn(page)
        assert answer(page) == "1" != first
        step_button(page, "First").click()
        settle(page, 500)
        one = pixels_verdict(page)
        open_canvas(page)
        page.get_by_role("button", name="Clear", exact=True).click()
        settle(page)
        expect(page.get_by_text("Your drawing is blank: draw a digit in the box first.")).to_be_visible()  # one line
        canvas.focus()  # the keys: the pen starts in the middle; Shift+arrows draw, as the canvas's label says
        for key in ["Shift+ArrowUp"] * 6 + ["Shift+ArrowDown"] * 12 + ["Shift+ArrowRight"] * 6:  # an L
            page.keyboard.press(key)
        drawn(page)
        expect(page.get_by_text("Your drawing is blank")).to_have_count(0)
        assert pixels_verdict(page) != one  # the L's pixels, not the 1's
    finally:
        context.close()


def test_a_finger_draws_on_a_phone(browser: Browser, app_url: str, screenshots) -> None:
    phone = view("phone")
    context = phone.context(browser, app_url)
    page = context.new_page()
    page.set_default_timeout(90_000)
    try:
        load(page, f"/prediction?lesson={LESSON}")
        first = answer(page)
        _, box = open_canvas(page)
        touch = context.new_cdp_session(page)
        points = [{"x": box["x"] + x * box["width"], "y": box["y"] + y * box["height"]} for x, y in SEVEN]
        touch.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [points[0]]})
        for point in points[1:]:
            touch.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        page.screenshot(path=str(screenshots / "digits-phone-canvas.png"))
        drawn(page)
        assert answer(page) == "7" != first
    finally:
        context.close()


def test_every_stage_of_the_cnn_steps_through_with_its_picture(browser: Browser, app_url: str, screenshots) -> None:
    context = view("laptop").context(browser, app_url)
    page = context.new_page()
    page.set_default_timeout(90_000)
    try:
        load(page, f"/prediction?lesson={LESSON}")
        titles = []
        for step in range(1, 8):
            expect(step_label(page)).to_have_text(f"Stage {step} of 7")
            settle(page, 300)
            titles.append(stage_title(page))
            picture = page.locator('[class*="st-key-stage-picture-"] [data-testid=stPlotlyChart] .main-svg').first
            expect(picture).to_be_visible()
            page.screenshot(path=str(screenshots / f"digits-laptop-stage-{step}.png"))
            if step < 7:
                step_button(page, "Next").click()
        assert titles[:2] == ["Pixels", "First convolution"] and titles[-1].startswith("Softmax")
        assert len(set(titles)) == 7
    finally:
        context.close()


@pytest.mark.parametrize("name", ["presenter-150", "phone"])
def test_the_pixels_and_the_feature_maps_in_presenter_mode_and_on_a_phone(browser: Browser, app_url: str,
                                                                          screenshots, name: str) -> None:
    """Screenshots of the first two stages (the layout test measures every stage in every view)."""
    screen = view(name)
    context = screen.context(browser, app_url)
    page = context.new_page()
    page.set_default_timeout(90_000)
    try:
        for step in (1, 2):
            load(page, f"/prediction?lesson={LESSON}&step={step}" + ("&present=1" if screen.present else ""))
            expect(step_label(page)).to_have_text(f"Stage {step} of 7")
            page.screenshot(path=str(screenshots / f"digits-{name}-stage-{step}.png"))
    finally:
        context.close()
