"""Measuring a page as a class sees it, from the page itself in Chromium: where the stage's picture starts
against the first screen, which texts inside one chart run into each other, and which fall outside their chart.

The four views a class uses: a laptop or projector at 1280x720, presenter mode there, presenter mode at 150 %
zoom (the same screen seen through 853x480 CSS pixels), and a phone (390x844, touch). Used by
``test_e2e_layout.py`` for every stage of every lesson, and by the other browser tests for their charts.
"""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Browser, BrowserContext, Page


@dataclass(frozen=True)
class ScreenView:
    """One way a class looks at the app."""

    name: str
    width: int  # the CSS viewport: what 1280x720 at 150 % leaves of it
    height: int
    scale: float
    present: bool
    phone: bool = False

    def context(self, browser: Browser, base_url: str) -> BrowserContext:
        return browser.new_context(viewport={"width": self.width, "height": self.height},
                                   device_scale_factor=self.scale, is_mobile=self.phone, has_touch=self.phone,
                                   base_url=base_url)


VIEWS = (ScreenView("laptop", 1280, 720, 1, False), ScreenView("presenter", 1280, 720, 1, True),
         ScreenView("presenter-150", 853, 480, 1.5, True), ScreenView("phone", 390, 844, 2, False, phone=True))

SHARE = 0.4  # of the screen's height, the least of a picture that must show without scrolling (all of a short one)
OVERLAP_PX = 4  # two texts collide when they overlap by more than this, both across and down
OUTSIDE_PX = 1  # a text is cut off when it passes its chart's edge by more than this

# Every visible text of every Plotly chart in the main area (tick labels, axis, chart and colour-bar titles,
# legends, annotations, cell and bar texts; not the hover layer), the chart's box, and the stage picture's box.
MEASURE = """(pictureSelector) => {
  const seen = (el) => { const s = getComputedStyle(el);
    return s.display !== 'none' && s.visibility !== 'hidden' && parseFloat(s.opacity || '1') > 0; };
  const visible = (el) => {
    for (let e = el; e && e.tagName !== 'svg'; e = e.parentElement) { if (!seen(e)) return false; }
    return true; };
  const box = (r) => ({x: r.left, y: r.top, w: r.width, h: r.height});
  const charts = [...document.querySelectorAll('[data-testid=stMain] .js-plotly-plot')].map((plot, index) => {
    const frame = plot.getBoundingClientRect();
    const texts = [...plot.querySelectorAll('svg text')].filter(t => !t.closest('.hoverlayer') && visible(t)
        && t.textContent.trim() !== '').map(t => ({text: t.textContent.trim(), ...box(t.getBoundingClientRect())}))
        .filter(t => t.w > 0 && t.h > 0);
    return {index, frame: box(frame), texts};
  });
  const first = document.querySelector(pictureSelector);
  return {charts, picture: first ? box(first.getBoundingClientRect()) : null,
          viewport: {w: window.innerWidth, h: window.innerHeight},
          main: (m => ({scroll: m.scrollWidth, client: m.clientWidth}))(
              document.querySelector('[data-testid=stMain]'))};
}"""


STAGE_PICTURE = ('[class*="st-key-stage-picture-"] :is([data-testid=stPlotlyChart], [data-testid=stText])')
FIRST_CHART = "[data-testid=stMain] [data-testid=stPlotlyChart]"


def measure(page: Page, picture: str = STAGE_PICTURE) -> dict:
    """What the page shows now: its charts' texts and boxes, and the box of ``picture`` (a CSS selector)."""
    return page.evaluate(MEASURE, picture)


def collisions(chart: dict) -> list[str]:
    """Pairs of texts in one chart that overlap by more than OVERLAP_PX both across and down."""
    found, texts = [], chart["texts"]
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            across = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
            down = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
            if across > OVERLAP_PX and down > OVERLAP_PX:
                found.append(f"chart {chart['index'] + 1}: “{a['text']}” runs into “{b['text']}” "
                             f"({across:.0f} x {down:.0f} px)")
    return found


def cut_off(chart: dict, viewport_width: float) -> list[str]:
    """Texts of a chart that pass its box, or the screen's right edge."""
    frame, found = chart["frame"], []
    right = min(frame["x"] + frame["w"], viewport_width)
    for t in chart["texts"]:
        out = max(frame["x"] - t["x"], t["x"] + t["w"] - right, frame["y"] - t["y"],
                  t["y"] + t["h"] - (frame["y"] + frame["h"]))
        if out > OUTSIDE_PX:
            found.append(f"chart {chart['index'] + 1}: “{t['text']}” is cut off by {out:.0f} px")
    return found


def picture_problem(found: dict) -> str | None:
    """Why the stage's picture is not on the first screen with enough of it showing, or None if it is."""
    picture, height = found["picture"], found["viewport"]["h"]
    if picture is None:
        return "no stage picture on the page"
    shown = min(picture["y"] + picture["h"], height) - max(picture["y"], 0)
    wanted = min(SHARE * height, picture["h"])
    if picture["y"] >= height or shown < wanted - 1:
        return (f"the picture starts at y = {picture['y']:.0f} of {height} px and shows {max(shown, 0):.0f} px of "
                f"it ({wanted:.0f} wanted)")
    return None


def chart_problems(found: dict) -> list[str]:
    """Every collision and cut-off text in the page's charts, and a page wider than the screen."""
    problems = [p for chart in found["charts"] for p in collisions(chart) + cut_off(chart, found["viewport"]["w"])]
    if found["main"]["scroll"] > found["main"]["client"] + OUTSIDE_PX:
        problems.append(f"the page scrolls sideways: {found['main']['scroll']} px wide in {found['main']['client']}")
    return problems
