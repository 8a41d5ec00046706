"""The data flow in real Chromium: on a 1280×720 laptop the stage diagram and the values fit on screen with the
page's header and sidebar; at 150 % zoom and on a phone it still reads. In every frame no text, button or slider
overlaps another, and every label stays inside its box. Screenshots: artifacts/screenshots/dataflow-*.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_helpers import IDLE, full_screenshot, plot_js, settle
from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

SCREENS = {  # name: (viewport in CSS px, device pixels per CSS px)
    "laptop": ({"width": 1280, "height": 720}, 1.0),
    "zoom-150": ({"width": 853, "height": 480}, 1.5),  # a 1280×720 screen at 150 % zoom
    "phone": ({"width": 390, "height": 844}, 3.0),
}
FLOW = "[data-testid=stPlotlyChart] .js-plotly-plot"
# Every piece of text or control Plotly placed outside the plot's own axes, as [kind, text, left, top, right, bottom].
PLACED = """() => { const g = document.querySelector('FLOW');
  const box = (kind, e) => { const r = e.getBoundingClientRect();
    return [kind, e.textContent.trim(), r.left, r.top, r.right, r.bottom]; };
  return [...g.querySelectorAll('.slider-container')].map(e => box('slider', e))
    .concat([...g.querySelectorAll('.updatemenu-button')].map(e => box('button', e)))
    .concat([...g.querySelectorAll('.annotation')].map(e => box('annotation', e)))
    .filter(b => b[4] > b[2] && b[5] > b[3]); }""".replace("FLOW", FLOW)
# Each stage box of the diagram with the label drawn in it: [label, box left, top, right, bottom, label's box].
LABELS = """() => [...document.querySelectorAll('FLOW .funnellayer .point')].map(p => {
  const b = p.querySelector('path').getBoundingClientRect(), t = p.querySelector('text');
  const r = t && t.getBoundingClientRect();  // a label too big for its box is hidden: no size
  return [t ? t.textContent : '', b.left, b.top, b.right, b.bottom, r && r.width ? [r.left, r.top, r.right, r.bottom]
          : null]; })""".replace("FLOW", FLOW)
ACTIVE = plot_js(0, "g._fullLayout.sliders[0].active")


@pytest.fixture
def screen(browser: Browser, app_url: str) -> Iterator:
    """Open a page of the app on one of ``SCREENS``: ``screen("phone", "/data_flow")``."""
    contexts = []

    def opener(name: str, path: str) -> Page:
        viewport, scale = SCREENS[name]
        context = browser.new_context(viewport=viewport, device_scale_factor=scale, base_url=app_url,
                                      is_mobile=name == "phone", has_touch=name == "phone")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(path)
        page.wait_for_selector(IDLE)
        settle(page, 500)
        return page

    yield opener
    for context in contexts:
        context.close()


def show_frame(page: Page, index: int) -> None:
    """Jump to a frame the way the slider does, and wait until it is drawn and laid out (Plotly's promise, then two
    animation frames)."""
    page.evaluate(f"""() => Plotly.animate(document.querySelector('{FLOW}'), ['{index}'],
                      {{mode: 'immediate', frame: {{duration: 0, redraw: true}}, transition: {{duration: 0}}}})
                      .then(() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done))))""")


def overlapping(placed: list[list]) -> list[tuple[str, str]]:
    """Pairs of placed things whose boxes overlap by more than a pixel (two buttons of one menu may touch)."""
    found = []
    for i, (kind, text, left, top, right, bottom) in enumerate(placed):
        for other, other_text, l2, t2, r2, b2 in placed[i + 1:]:
            if min(right, r2) - max(left, l2) > 1 and min(bottom, b2) - max(top, t2) > 1:
                found.append((f"{kind} {text[:40]!r}", f"{other} {other_text[:40]!r}"))
    return found


def check_every_frame(page: Page, screenshots: Path, name: str, shots: dict[int, str]) -> None:
    """Every frame: nothing overlaps, nothing leaves the chart, each stage label stays in its box."""
    frames = page.evaluate(plot_js(0, "g._transitionData._frames.length"))
    chart = page.locator(FLOW).bounding_box()
    for index in range(frames):
        show_frame(page, index)
        placed = page.evaluate(PLACED)
        assert {p[0] for p in placed} >= {"slider", "button", "annotation"}, placed
        assert overlapping(placed) == [], f"{name}, frame {index + 1}: {overlapping(placed)}"
        for kind, text, left, _, right, _ in placed:
            assert left >= chart["x"] - 1 and right <= chart["x"] + chart["width"] + 1, f"{kind} {text!r} cut off"
        for label, left, top, right, bottom, text_box in page.evaluate(LABELS):
            if label and text_box:  # a label that does not fit is hidden, never drawn across its box's edge
                assert left - 1 <= text_box[0] and text_box[2] <= right + 1 and top - 1 <= text_box[1] \
                    and text_box[3] <= bottom + 1, f"{name}, frame {index + 1}: {label!r} leaves its box"
        if index in shots:  # a laptop as seen (it fits); a smaller screen whole (it scrolls)
            path = screenshots / f"dataflow-{name}-{shots[index]}.png"
            page.screenshot(path=str(path)) if name.startswith("laptop") else full_screenshot(page, path)


def test_on_a_laptop_the_diagram_and_the_values_fit_on_screen_and_the_animation_plays(screen, screenshots) -> None:
    page = screen("laptop", "/data_flow")
    chart = page.locator(FLOW).bounding_box()
    header = page.get_by_test_id("stHeader").bounding_box()
    sidebar = page.get_by_test_id("stSidebar").bounding_box()
    assert sidebar["width"] > 200 and chart["x"] >= sidebar["x"] + sidebar["width"]  # the sidebar is open beside it
    assert chart["y"] >= header["y"] + header["height"] - 1 and chart["y"] + chart["height"] <= 720  # no scrolling
    slider = page.locator(f"{FLOW} .slider-container").bounding_box()
    assert slider["y"] + slider["height"] <= 720
    page.screenshot(path=str(screenshots / "dataflow-laptop-start.png"))

    values = plot_js(0, "JSON.stringify(g.data[3].z)")
    before = page.evaluate(values)
    page.locator(".updatemenu-button").filter(has_text="Play").click()
    page.wait_for_function(f"({ACTIVE})() >= 3", timeout=15_000)  # the browser animates, no reruns
    page.locator(".updatemenu-button").filter(has_text="Pause").click()
    paused_at = page.evaluate(ACTIVE)
    page.wait_for_timeout(2500)
    assert page.evaluate(ACTIVE) == paused_at  # pause holds
    assert page.evaluate(values) != before  # the values moved on: the words became ids
    page.screenshot(path=str(screenshots / "dataflow-laptop-playing.png"))
    frames = page.evaluate(plot_js(0, "g._transitionData._frames.length"))
    check_every_frame(page, screenshots, "laptop", {6: "ids", 10: "embedding", 14: "lstm", frames - 1: "answer"})


@pytest.mark.parametrize("name", ["zoom-150", "phone"])
def test_at_150_percent_zoom_and_on_a_phone_nothing_overlaps(screen, screenshots, name: str) -> None:
    page = screen(name, "/data_flow")
    check_every_frame(page, screenshots, name, {2: "ids", 14: "lstm", 17: "answer"})


@pytest.mark.parametrize(("lesson", "shots"), [("seq2seq", {12: "encoder", 19: "decoder"}),
                                                ("transformer-classification", {12: "attention"})])
def test_the_other_lessons_frames_fit_too(screen, screenshots, lesson: str, shots: dict[int, str]) -> None:
    page = screen("laptop", f"/data_flow?lesson={lesson}")
    check_every_frame(page, screenshots, f"laptop-{lesson}", shots)
    phone = screen("phone", f"/data_flow?lesson={lesson}")
    check_every_frame(phone, screenshots, f"phone-{lesson}", {})
