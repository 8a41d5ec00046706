"""Small Playwright helpers for driving the Streamlit app like a learner."""

from __future__ import annotations

import contextlib
from pathlib import Path

from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning'][data-test-connection-state='CONNECTED']"
RUNNING = "[data-testid='stApp'][data-test-script-state='running']"
CHARTS_DRAWN = """() => !document.querySelector('[data-testid=stMain] [data-testid=stSkeleton]')
    && [...document.querySelectorAll('[data-testid=stPlotlyChart]')].every(c => c.querySelector('.main-svg'))"""


def settle(page: Page, started_within_ms: int = 1500) -> None:
    """Wait for the rerun an action triggered (if it starts soon) to finish, then for charts to draw."""
    with contextlib.suppress(PlaywrightTimeoutError):  # the rerun was already over, or none was triggered
        page.wait_for_selector(RUNNING, timeout=started_within_ms)
    page.wait_for_selector(IDLE)
    page.wait_for_function(CHARTS_DRAWN)
    page.wait_for_timeout(200)  # let Plotly finish laying out text
    exceptions = page.get_by_test_id("stException")
    assert exceptions.count() == 0, f"the app raised: {exceptions.first.inner_text()}"


def open_app(page: Page, path: str = "/") -> None:
    page.goto(path)
    page.wait_for_selector(IDLE)
    settle(page, 500)


def go_to(page: Page, title: str) -> None:
    """Click a page in the sidebar navigation."""
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    expect(page.get_by_test_id("stHeading").first).to_contain_text(title if title != "Overview" else "")
    settle(page)


def pick_lesson(page: Page, title: str) -> None:
    """Choose a lesson in the sidebar's selectbox."""
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").click()
    page.get_by_role("option", name=title).click()
    settle(page)


def click_button(page: Page, label: str) -> None:
    page.get_by_role("button", name=label, exact=True).click()
    settle(page)


def plot_js(index: int, expression: str) -> str:
    """JS evaluating ``expression`` on the ``index``-th Plotly chart's graph div (as ``g``)."""
    return (f"() => {{ const g = document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot')[{index}];"
            f" return g ? ({expression}) : null; }}")


def full_screenshot(page: Page, path: Path) -> None:
    """The whole page: Streamlit scrolls inside its own container, so grow the viewport to fit it."""
    size = page.viewport_size
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": min(max(height + 40, size["height"]), 12_000)})
    page.wait_for_timeout(800)  # plotly redraws at the new size
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
