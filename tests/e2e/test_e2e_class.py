"""A class in real Chromium: a teacher page (projector size) and two learner pages (phone size) side by side.

The learners join through the class link's dialog, follow a stage change made on the teacher's Prediction
page, answer the teacher's question on their phones and see the reveal. Screenshots of all three go to
artifacts/screenshots/ (gitignored): 20-class-teacher.png, 21-class-learner-ana.png, 22-class-learner-ben.png.
Then a class guesses a stage before it is shown: 23-class-guess-ask.png (the board's button), 24-class-guess-board.png
(the teacher's tally before the reveal), 25-class-guess-hidden.png and 26-class-guess-revealed.png (a learner's
phone).
"""

from __future__ import annotations

import re
import time

import pytest
from browser_helpers import IDLE, settle
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.e2e

PROJECTOR, PHONE = {"width": 1280, "height": 720}, {"width": 390, "height": 844}
FOLLOW_WITHIN_MS = 8_000  # a push is a stage rerun (well under a second here), with room for a slow machine


def open_session(browser: Browser, app_url: str, viewport: dict, path: str) -> Page:
    context = browser.new_context(viewport=viewport, base_url=app_url)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(path)
    page.wait_for_selector(IDLE)
    return page


def join(page: Page, name: str) -> None:
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Join the class")
    dialog.get_by_label("Your name").fill(name)
    dialog.get_by_label("Your name").press("Enter")
    settle(page)
    dialog.get_by_role("button", name="Join", exact=True).click()
    settle(page)
    expect(page.locator(".st-key-class-bar")).to_contain_text(name)


def open_question(page: Page, label: str) -> None:
    """Open the question's popover on the class bar (its button says where the learner stands)."""
    button = page.locator(".st-key-class-bar").get_by_role("button", name=re.compile(label))
    expect(button).to_be_visible(timeout=FOLLOW_WITHIN_MS)
    button.click()


def answer(page: Page, letter: str) -> None:
    open_question(page, "Question 1: answer")
    radio = page.get_by_test_id("stRadio").first
    radio.get_by_text(re.compile(f"^{letter}\\. ")).click()
    settle(page)
    expect(page.get_by_text(f"Your answer ({letter}) is in")).to_be_visible()  # in the popover


def test_a_class_joins_follows_answers_and_sees_the_reveal(browser: Browser, app_url: str, screenshots) -> None:
    teacher = open_session(browser, app_url, PROJECTOR, "/class_session")
    teacher.get_by_role("button", name="Start a class").click()
    settle(teacher)
    heading = teacher.get_by_text(re.compile(r"^Class code [2-9A-Z]{6}$"))
    code = heading.inner_text().split()[-1]
    expect(teacher.get_by_test_id("stImage").locator("img")).to_have_attribute("src", re.compile("^data:image/svg"))

    learners = {name: open_session(browser, app_url, PHONE, f"/?class={code}") for name in ("Ana", "Ben")}
    for name, page in learners.items():
        join(page, name)
        expect(page.get_by_text("Stage 1 of 7")).to_be_visible()  # joining brought them to the teacher's view
    learners["Ana"].get_by_role("button", name=re.compile("Rejoin code")).click()
    learners["Ana"].get_by_role("button", name="I noted it").click()  # Ben's phone keeps the rejoin code shown
    settle(learners["Ana"])

    teacher.get_by_role("link", name=re.compile("Lead from the Prediction page")).click()
    settle(teacher)
    for _ in range(2):
        teacher.get_by_role("button", name=re.compile("^Next")).click()
        settle(teacher)
    moved = time.monotonic()
    for page in learners.values():  # no click on their side: the server pushes the teacher's stage
        expect(page.get_by_text("Stage 3 of 7")).to_be_visible(timeout=FOLLOW_WITHIN_MS)
    assert time.monotonic() - moved < FOLLOW_WITHIN_MS / 1000

    teacher.get_by_test_id("stSidebarNav").get_by_text("Class", exact=True).click()
    settle(teacher)
    teacher.get_by_role("button", name="Ask the class", exact=True).click()
    settle(teacher)
    for page, letter in zip(learners.values(), "AB", strict=True):
        answer(page, letter)
    expect(teacher.get_by_text("2 of 2 answered")).to_be_visible(timeout=FOLLOW_WITHIN_MS)
    teacher.get_by_role("button", name="Reveal the answer").click()
    settle(teacher)
    for page in learners.values():
        open_question(page, "Question 1: answer shown")
    expect(learners["Ana"].get_by_test_id("stAlertContentSuccess")).to_contain_text("Right.",
                                                                                     timeout=FOLLOW_WITHIN_MS)
    expect(learners["Ben"].get_by_test_id("stAlertContentError")).to_contain_text("Not quite.",
                                                                                   timeout=FOLLOW_WITHIN_MS)

    teacher.get_by_text(re.compile(r"^Class code ")).scroll_into_view_if_needed()
    teacher.wait_for_timeout(300)
    teacher.screenshot(path=str(screenshots / "20-class-teacher.png"))
    for i, (name, page) in enumerate(learners.items()):
        page.get_by_test_id("stMain").evaluate("m => m.scrollTo(0, 0)")
        page.screenshot(path=str(screenshots / f"{21 + i}-class-learner-{name.lower()}.png"))
    for page in (teacher, *learners.values()):
        assert page.get_by_test_id("stException").count() == 0
        page.context.close()


def test_a_class_guesses_a_stage_that_stays_hidden_on_the_learners_phones_until_the_reveal(
        browser: Browser, app_url: str, screenshots) -> None:
    teacher = open_session(browser, app_url, PROJECTOR, "/class_session")
    teacher.get_by_role("button", name="Start a class").click()
    settle(teacher)
    code = teacher.get_by_text(re.compile(r"^Class code [2-9A-Z]{6}$")).inner_text().split()[-1]
    learners = {name: open_session(browser, app_url, PHONE, f"/?class={code}") for name in ("Ana", "Ben")}
    for name, page in learners.items():
        join(page, name)
    teacher.get_by_role("link", name=re.compile("Lead from the Prediction page")).click()
    settle(teacher)
    for _ in range(4):
        teacher.get_by_role("button", name=re.compile("^Next")).click()
        settle(teacher)
    gates = re.compile("^LSTM, word by word")
    for page in learners.values():
        expect(page.get_by_text("Stage 5 of 7")).to_be_visible(timeout=FOLLOW_WITHIN_MS)
        expect(page.get_by_role("heading", name=gates)).to_be_visible()

    teacher.get_by_test_id("stSidebarNav").get_by_text("Class", exact=True).click()
    settle(teacher)
    ask = teacher.get_by_role("button", name="Ask the class to guess this stage")
    ask.scroll_into_view_if_needed()
    teacher.screenshot(path=str(screenshots / "23-class-guess-ask.png"))
    ask.click()
    settle(teacher)
    expect(teacher.get_by_role("heading", name=re.compile("^Guess before stage 5: "))).to_be_visible()
    for page, letter in zip(learners.values(), "AB", strict=True):  # pushed: no click on their side
        hidden = page.get_by_text("The class is guessing what stage 5 will show.")
        expect(hidden).to_be_visible(timeout=FOLLOW_WITHIN_MS)
        main = page.get_by_test_id("stMain")
        expect(main.get_by_role("heading", name=gates)).to_have_count(0)
        expect(main.get_by_test_id("stPlotlyChart")).to_have_count(0)
        in_bar = page.locator(".st-key-class-bar").get_by_role("button", name=re.compile("Guess: answer$"))
        expect(in_bar).to_be_visible()  # the class bar asks too, until the guess is made
        main.get_by_test_id("stRadio").get_by_text(re.compile(f"^{letter}\\. ")).click()
        settle(page)
        expect(main.get_by_text(f"Your answer ({letter}) is in")).to_be_visible()
        expect(in_bar).to_have_count(0)  # made in place of the stage: the bar no longer asks for it
    expect(teacher.get_by_text("2 of 2 answered")).to_be_visible(timeout=FOLLOW_WITHIN_MS)
    bars = teacher.get_by_test_id("stProgress")
    expect(bars.nth(0)).to_contain_text("· 1")
    expect(bars.nth(1)).to_contain_text("· 1")
    teacher.get_by_role("heading", name=re.compile("^Guess before stage 5")).scroll_into_view_if_needed()
    teacher.screenshot(path=str(screenshots / "24-class-guess-board.png"))
    learners["Ana"].get_by_test_id("stMain").evaluate("m => m.scrollTo(0, 0)")
    learners["Ana"].screenshot(path=str(screenshots / "25-class-guess-hidden.png"))

    teacher.get_by_role("button", name="Reveal the answer and stage 5").click()
    settle(teacher)
    for page in learners.values():  # pushed again: the stage comes back, with the learner's verdict beside it
        main = page.get_by_test_id("stMain")
        expect(main.get_by_role("heading", name=gates)).to_be_visible(timeout=FOLLOW_WITHIN_MS)
        expect(main.get_by_test_id("stPlotlyChart")).to_have_count(1)
        expect(main.get_by_text(re.compile("^(Right|Not quite)\\."))).to_be_visible()
        expect(page.get_by_text("The class is guessing")).to_have_count(0)
    learners["Ana"].get_by_test_id("stMain").evaluate("m => m.scrollTo(0, 0)")
    learners["Ana"].screenshot(path=str(screenshots / "26-class-guess-revealed.png"))
    for page in (teacher, *learners.values()):
        assert page.get_by_test_id("stException").count() == 0
        page.context.close()
