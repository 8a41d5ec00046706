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
from browser_helpers import load
from layout import VIEWS, ScreenView, chart_problems, measure, picture_problem
from playwright.sync_api import Browser

from pipeline.catalog import catalog

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
            for step in range(1, stage_count(page) + 1):
                load(page, f"{link}&step={step}")
                found = measure(page)
                where = f"{slug} stage {step} ({view.name})"
                picture = picture_problem(found)
                problems += [f"{where}: {p}" for p in ([picture] if picture else []) + chart_problems(found)]
    finally:
        context.close()
    assert not problems, "\n".join(problems)
