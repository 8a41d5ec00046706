"""The offline handout in real headless Chromium, opened from disk with every network request refused.

`pipeline-trace run sequence-classification --epochs 2 --html lesson.html`, then `file://lesson.html`:
every chart draws, nothing is fetched, no console or page error, the data-flow animation plays, a
quiz answer unfolds. Screenshots go to artifacts/screenshots/handout-*.png (desktop and phone).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from pipeline.cli.main import main

pytestmark = pytest.mark.e2e

DESKTOP, PHONE = {"width": 1280, "height": 720}, {"width": 390, "height": 844}
CHARTS_DRAWN = "n => { const c = [...document.querySelectorAll('.chart')];" \
               " return c.length === n && c.every(d => d.querySelector('.main-svg')); }"
FLOW = "document.getElementById('chart-1')"  # the data-flow animation is the first chart


@pytest.fixture(scope="module")
def handout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("handout") / "lesson.html"
    assert main(["run", "sequence-classification", "--epochs", "2", "--html", str(path)]) == 0
    return path


class Offline:
    """A page that may load only the handout itself: every other request is aborted and remembered."""

    def __init__(self, browser: Browser, path: Path, viewport: dict[str, int]) -> None:
        self.url = path.as_uri()
        self.context = browser.new_context(viewport=viewport, service_workers="block")
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.attempted: list[str] = []
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}")
                     if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.context.route("**/*", self._route)

    def _route(self, route: Route) -> None:
        if route.request.url == self.url:
            route.continue_()
        else:
            self.attempted.append(route.request.url)
            route.abort()

    def open(self, charts: int) -> Page:
        self.page.goto(self.url)
        self.page.wait_for_function(CHARTS_DRAWN, arg=charts)
        self.page.wait_for_timeout(300)  # let Plotly finish laying out text
        return self.page

    def check(self) -> None:
        assert self.attempted == [], f"the handout tried to fetch: {self.attempted[:5]}"
        assert self.errors == [], self.errors


@pytest.fixture
def offline(browser: Browser, handout: Path) -> Iterator[Callable[[dict[str, int]], Offline]]:
    opened: list[Offline] = []

    def make(viewport: dict[str, int]) -> Offline:
        opened.append(Offline(browser, handout, viewport))
        return opened[-1]

    yield make
    for o in opened:
        o.context.close()


def test_handout_plays_offline_on_a_laptop(offline, handout: Path, screenshots: Path) -> None:
    charts = handout.read_text(encoding="utf-8").count('<div class="chart"')
    o = offline(DESKTOP)
    page = o.open(charts)
    expect(page.locator("h1")).to_have_text("Sequence classification")
    expect(page.locator("#data-flow ~ .table-wrap table").first).to_contain_text("1,000 × 10 × 50")
    assert page.evaluate(f"{FLOW}._fullLayout.sliders[0].active") == 0
    page.locator("#chart-1").scroll_into_view_if_needed()
    page.locator("#chart-1 .updatemenu-button").filter(has_text="Play").click()
    page.wait_for_function(f"() => {FLOW}._fullLayout.sliders[0].active >= 2", timeout=10_000)
    expect(page.locator("#chart-1 .slider-container")).to_contain_text(" of 5")
    page.screenshot(path=str(screenshots / "handout-desktop-dataflow.png"))

    question = page.locator("section.question").first
    answer = question.locator("details")
    expect(answer.locator("p").first).to_be_hidden()
    answer.locator("summary").click()
    expect(answer.locator("p").first).to_be_visible()
    expect(answer).to_contain_text("Answer: ")
    assert answer.evaluate("d => d.open") is True
    page.screenshot(path=str(screenshots / "handout-desktop.png"), full_page=True)
    o.check()


def test_handout_reads_on_a_phone(offline, handout: Path, screenshots: Path) -> None:
    charts = handout.read_text(encoding="utf-8").count('<div class="chart"')
    o = offline(PHONE)
    page = o.open(charts)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a {PHONE['width']} px phone"
    sizes = page.evaluate("[...document.querySelectorAll('.chart')].map(c => [c.id, c.getBoundingClientRect().width,"
                          " c.closest('.scroll') !== null])")
    for chart, width, scrolls in sizes:  # a chart follows the screen's width, or keeps a laptop's and scrolls
        assert width >= 700 if scrolls else width <= PHONE["width"], f"{chart} is {width} px wide"
    assert sum(scrolls for *_, scrolls in sizes) == 2  # the data-flow animation and the training curves
    page.screenshot(path=str(screenshots / "handout-phone-top.png"))
    page.screenshot(path=str(screenshots / "handout-phone.png"), full_page=True)
    o.check()
