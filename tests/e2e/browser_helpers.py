"""Small Playwright helpers for driving the Streamlit app like a learner."""

from __future__ import annotations

import contextlib
import re
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
    if title == "Prediction":  # no page title there: the stepper's toolbar comes first
        expect(step_label(page)).to_be_visible()
    else:
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


def step_button(page: Page, label: str):
    """A Prediction stepper button ("First", "Prev", "Play", "Pause", "Next", "Last"); its accessible name also
    holds its shortcut ("Next Shortcut →")."""
    return page.get_by_test_id("stMain").get_by_role("button", name=re.compile(f"^{re.escape(label)}"))


def step_label(page: Page):
    """The step number and total, "Stage 3 of 12" (bold, in the stepper's toolbar)."""
    return page.get_by_test_id("stMain").locator("strong").filter(has_text=re.compile(r"^Stage \d+ of \d+$"))


def stage_title(page: Page) -> str:
    """The current stage's own title (its heading, beside its picture)."""
    return page.get_by_test_id("stMain").locator('[class*="st-key-stage-head-"] h3').first.inner_text()


def tables(page: Page):
    """Every table on the page (``ui.table`` writes Markdown tables)."""
    return page.locator("[data-testid=stMarkdownContainer] table")


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


def idle(page: Page) -> None:
    """Wait for the app to be idle with its charts drawn (after an expect has seen the rerun's result)."""
    page.wait_for_selector(IDLE)
    page.wait_for_function(CHARTS_DRAWN)


def load(page: Page, path: str | None = None) -> None:
    """Open ``path`` (None: reload the page) and wait until its first run has drawn -- like open_app, without
    waiting for a rerun that rarely comes: the main area has content while the script is idle, charts drawn."""
    if path is None:
        page.reload()
    else:
        page.goto(path)
    page.wait_for_function(f"() => document.querySelector(\"{IDLE}\") && "
                           "document.querySelector('[data-testid=stMain] [data-testid=stElementContainer]')")
    idle(page)
    exceptions = page.get_by_test_id("stException")
    assert exceptions.count() == 0, f"the app raised: {exceptions.first.inner_text()}"


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]  # WCAG 2.1 A and AA
AXE_RUN = """async ([tags, allowed]) => {
    const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
    const excused = (rule, target) => target.length === 1 && allowed.some(([id, selector]) =>
        id === rule && document.querySelector(target[0])?.matches(selector));
    return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.filter(n => !excused(v.id, n.target)).map(n => ({target: n.target.join(' '),
            html: n.html.slice(0, 160), summary: (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 240)}))}));
}"""


def axe_violations(page: Page, allowed: dict[tuple[str, str], str] | None = None) -> list[dict]:
    """axe-core's critical and serious WCAG 2.1 A/AA violations on the page as it is now.

    axe.min.js is the copy bundled by the axe-playwright-python package (Deque's axe-core), injected
    into the page. ``allowed`` maps (rule id, CSS selector) to why it is not ours to fix: a node that rule
    reports is excused only if it matches that selector.
    """
    import axe_playwright_python

    page.add_script_tag(path=str(Path(axe_playwright_python.__file__).parent / "axe.min.js"))
    found = page.evaluate(AXE_RUN, [AXE_TAGS, [list(pair) for pair in (allowed or {})]])
    return [v for v in found if v["impact"] in ("critical", "serious") and v["nodes"]]


def describe_violations(violations: list[dict]) -> str:
    return "\n".join(f"{v['impact']} {v['id']} ({v['help']}): {n['target']}\n    {n['summary']}\n    {n['html']}"
                     for v in violations for n in v["nodes"])
