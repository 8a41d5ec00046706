"""Every stage of every lesson, opened by link in the four views a class uses, measured in the page itself:

(a) the stage's picture starts on the first screen and at least 40 % of the screen's height of it shows without
scrolling (all of it when it is shorter) -- at 1280x720, in presenter mode there and in presenter mode at 150 %;
on a phone too; (b) no two texts inside one chart run into each other by more than 4 px both ways; (c) no chart
text passes its chart's edge, and no page scrolls sideways. Any one failure fails the test, naming the stage,
the view and the texts.

A stage is opened by its link (``/prediction?lesson=...&step=N``), as a teacher's prepared link opens it.
"""

from __future__ import annotations

import re

import pytest
from browser_helpers import idle, load
from layout import FIRST_CHART, VIEWS, ScreenView, chart_problems, measure, picture_problem
from playwright.sync_api import Browser

from pipeline.content.catalog import catalog

pytestmark = pytest.mark.e2e

STAGES = re.compile(r"Stage (\d+) of (\d+)")


def stage_count(page) -> int:
    text = page.get_by_test_id("stMain").get_by_text(STAGES).first.inner_text()
    return int(STAGES.search(text).group(2))


@pytest.mark.parametrize("view", VIEWS, ids=[v.name for v in VIEWS])
def test_every_stage_of_every_lesson_reads_in_this_view(browser: Browser, app_url: str, view: ScreenView) -> None:
    context = view.context(browser, app_url)
    page = context.new_page()
    page.set_default_timeout(90_000)
    problems: list[str] = []
    try:
        for slug in catalog():
            link = f"/prediction?lesson={slug}" + ("&present=1" if view.present else "")
            load(page, link)
            count = stage_count(page)
            for step in range(1, count + 1):
                if step > 1:  # as a learner steps: Next reruns the stage only (a page load each took 4x as long)
                    page.get_by_role("button", name=re.compile(r"^Next\b")).click()
                    page.get_by_test_id("stMain").get_by_text(f"Stage {step} of {count}").first.wait_for()
                    idle(page)
                found = measure(page)
                where = f"{slug} stage {step} ({view.name})"
                picture = picture_problem(found)
                problems += [f"{where}: {p}" for p in ([picture] if picture else []) + chart_problems(found)]
    finally:
        context.close()
    assert not problems, "\n".join(problems)


PAGES = [f"/{page}?lesson={slug}" for slug in catalog() for page in ("", "data_flow")] + ["/compare"]


@pytest.mark.parametrize("view", VIEWS, ids=[v.name for v in VIEWS])
def test_every_chart_of_the_other_pages_reads_in_this_view(browser: Browser, app_url: str, view: ScreenView) -> None:
    """The Overview and Data flow of every lesson and Compare lessons: no text of any chart runs into another or
    out of its chart, and no page scrolls sideways (the data-flow animation scrolls inside its own box)."""
    context = view.context(browser, app_url)
    page = context.new_page()
    page.set_default_timeout(90_000)
    problems: list[str] = []
    try:
        for link in PAGES:
            load(page, link + ("&present=1" if view.present else "") if "?" in link else
                 link + ("?present=1" if view.present else ""))
            found = measure(page)
            assert found["charts"], f"{link}: no chart drawn"
            problems += [f"{link} ({view.name}): {p}" for p in chart_problems(found)]
    finally:
        context.close()
    assert not problems, "\n".join(problems)


# A run that trains for several seconds (a seed of its own: nothing in the run cache), so its live curves are measured
# while it trains; it is cancelled once they are.
TRAINING = {"Epochs": "8", "Sentences": "8000"}
FIGURE_FIRST = [v for v in VIEWS if not v.phone]  # the views the issue asks the picture first in


@pytest.mark.parametrize("view", FIGURE_FIRST, ids=[v.name for v in FIGURE_FIRST])
def test_the_live_curves_start_on_the_first_screen_while_a_run_trains(browser: Browser, app_url: str,
                                                                      view: ScreenView) -> None:
    context = view.context(browser, app_url)
    page = context.new_page()
    page.set_default_timeout(120_000)
    try:
        load(page, "/training" + ("?present=1" if view.present else ""))
        for label, value in {**TRAINING, "Seed": str(5000 + VIEWS.index(view))}.items():
            page.get_by_label(label, exact=True).fill(value)
        page.get_by_role("button", name="Train").click()
        page.wait_for_selector("[data-testid=stMain] [data-testid=stPlotlyChart] .main-svg")  # the live curves
        found = measure(page, FIRST_CHART)
        assert page.get_by_role("button", name="Cancel").is_visible()  # still training when measured
        problems = ([p] if (p := picture_problem(found)) else []) + chart_problems(found)
        assert not problems, "\n".join(problems)
        page.get_by_role("button", name="Cancel").click()
    finally:
        context.close()


def test_on_a_phone_the_stepper_is_one_row_of_named_icons_with_no_key_hints(browser: Browser, app_url: str) -> None:
    phone = next(v for v in VIEWS if v.phone)
    context = phone.context(browser, app_url)
    page = context.new_page()
    try:
        load(page, "/prediction?step=2")
        bar = page.locator(".st-key-stepper-bar")
        buttons = bar.get_by_test_id("stButton").locator("button:visible")  # Streamlit keeps hidden copies too
        assert buttons.count() == 5
        tops = {round(buttons.nth(i).bounding_box()["y"]) for i in range(5)}
        assert len(tops) == 1, f"the stepper's buttons wrap onto {len(tops)} rows"
        assert bar.locator("kbd:visible").count() == 0  # a touch screen has no keys to press
        for name in ("First", "Prev", "Play", "Next", "Last"):  # each named for a screen reader
            assert bar.get_by_role("button", name=re.compile(f"^{name}")).locator("visible=true").count() == 1, name
        for i in range(5):  # the words are hidden from sight only: the icon alone shows
            assert buttons.nth(i).get_by_test_id("stMarkdownContainer").bounding_box()["width"] <= 1
    finally:
        context.close()
