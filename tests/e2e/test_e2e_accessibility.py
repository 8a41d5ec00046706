"""Every page of the app's navigation in real headless Chromium at a phone's size (390x844): axe-core's
WCAG 2.1 A/AA rules, caption contrast, no sideways scrolling; and the sidebar and the widest page at a
laptop's size. (Presenter mode is checked with axe-core in test_e2e_links_presenter.py.)

axe-core (Deque's engine, the axe.min.js bundled by the axe-playwright-python package) is injected into
each page after it has drawn, and run with the tags wcag2a, wcag2aa, wcag21a and wcag21aa. A violation of
impact "critical" or "serious" fails the test, unless it is listed in ALLOWED (rule and selector) with the
reason it is not ours to fix. Phone screenshots go to artifacts/screenshots/phone-*.png
(gitignored): look at them.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from browser_helpers import axe_violations, describe_violations, load
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
# (axe rule, CSS selector) -> why it is not ours to fix: only nodes of that rule matching that selector are
# excused, never a whole rule.
ALLOWED: dict[tuple[str, str], str] = {
    ("scrollable-region-focusable", '[data-testid="stMarkdownContainer"]:has(> table)'):
        "A table's own sideways scroll box (ui.state.PAGE_CSS). On a phone a table of 5 to 6 columns is still a "
        "little wider than the screen even with the smaller table type, and scrolls sideways by touch; WCAG's "
        "reflow criterion exempts data tables. Streamlit's Markdown takes no tabindex (and no page script may add "
        "one), so the box cannot be given keyboard focus from the app.",
}


def navigation() -> list[str]:
    """The path of every page app.py puts in the navigation: a page added there is checked here too."""
    source = (ROOT / "app.py").read_text()
    pages = re.findall(r'st\.Page\("pages/(\w+)\.py"[^)]*?(default=True)?\)', source)
    assert len(pages) >= 8, "app.py's page list was not found"
    return ["/" if default else f"/{stem}" for stem, default in pages]


PAGES = navigation()
# px of a table that may lie past a phone's edge (to scroll to by touch): about five characters with the phone
# type of ui.state.PAGE_CSS; without it the Open a trace page's stage table hides 105 px.
MAX_TABLE_OVERFLOW = 90
IDS = [path.strip("/") or "overview" for path in PAGES]

# The contrast of every caption, as a person sees it: its colour faded by its own and its ancestors'
# opacity over the first opaque background behind it. axe leaves faded text it cannot place "incomplete".
CAPTION_CONTRAST = """() => {
    const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
    const lum = c => {
        const [r, g, b] = c.slice(0, 3).map(v => v / 255)
            .map(v => v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    return [...document.querySelectorAll('[data-testid=stCaptionContainer]')].filter(e => e.offsetParent).map(e => {
        let fade = 1, bg = null;
        for (let n = e; n && n.nodeType === 1; n = n.parentElement) {
            const style = getComputedStyle(n);
            fade *= Number(style.opacity);
            const c = rgb(style.backgroundColor);
            if (!bg && c.length >= 3 && (c.length === 3 || c[3] === 1)) bg = c;
        }
        bg = bg || [255, 255, 255];
        const fg = rgb(getComputedStyle(e).color), alpha = (fg.length > 3 ? fg[3] : 1) * fade;
        const shown = fg.slice(0, 3).map((v, i) => alpha * v + (1 - alpha) * bg[i]);
        const [a, b] = [lum(shown), lum(bg)].sort((x, y) => y - x);
        return {text: e.innerText.slice(0, 60), ratio: (a + 0.05) / (b + 0.05)};
    });
}"""


def whole_page(page: Page, path: Path) -> None:
    """A screenshot of the whole page: Streamlit scrolls inside its main area, so the viewport grows to fit it.
    Only the height changes, so no chart redraws (full_screenshot waits for that after a change of width)."""
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": 390, "height": min(max(height, 844), 12_000)})
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.screenshot(path=str(path))


def check_axe_and_captions(page: Page, where: str) -> None:
    violations = axe_violations(page, ALLOWED)
    assert not violations, f"axe-core on {where}:\n{describe_violations(violations)}"
    faint = [c for c in page.evaluate(CAPTION_CONTRAST) if c["ratio"] < 4.5]
    assert not faint, f"captions under 4.5:1 on {where}: {faint}"


@pytest.mark.parametrize("path", PAGES, ids=IDS)
def test_every_page_on_a_phone(browser: Browser, app_url: str, screenshots, path: str) -> None:
    """A learner's phone, 390x844: axe-core finds nothing serious, nothing scrolls sideways, and for the
    Prediction page the stepper and the stage's verdict are on the first screen. A screenshot of the whole page."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  base_url=app_url)
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        load(page, path)
        assert urlsplit(page.url).path == path  # the page asked for, not a redirect
        expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")  # folded on a phone
        check_axe_and_captions(page, f"{path} (phone)")
        wide = page.evaluate("() => document.documentElement.scrollWidth")
        assert wide <= 390, f"{path} is {wide} px wide: the page scrolls sideways"
        heading = page.get_by_test_id("stMain").get_by_test_id("stHeading").first.bounding_box()
        assert heading["x"] >= 0 and heading["x"] + heading["width"] <= 390
        hidden = page.evaluate("() => [...document.querySelectorAll('[data-testid=stMarkdownContainer] table')]"
                               ".map(table => table.scrollWidth - table.parentElement.clientWidth)")
        assert max(hidden, default=0) <= MAX_TABLE_OVERFLOW, f"tables hide {hidden} px off the screen"
        if path == "/prediction":
            verdict = page.get_by_test_id("stMain").get_by_test_id("stAlertContentInfo").first.bounding_box()
            assert verdict["y"] + verdict["height"] <= 844, f"the verdict is below the first screen: {verdict}"
        whole_page(page, screenshots / f"phone-{path.strip('/') or 'overview'}.png")
    finally:
        context.close()


def test_the_sidebar_and_a_wide_page(page: Page) -> None:
    """At a laptop's size, with the sidebar open (lesson picker, its caption, presenter mode, the link): the
    Overview, the widest page (charts side by side)."""
    load(page, "/")
    expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "false")
    check_axe_and_captions(page, "/ (laptop, sidebar open)")
