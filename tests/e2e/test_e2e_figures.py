"""Every picture of a prediction, and the training charts, drawn by plotly.js in Chromium once:

- in one layout pass: the margins ``pipeline.render.margins`` estimates already hold every label, so Plotly's
  automargin never has to draw the figure a second time (it did for most stage pictures, about half a Next
  click's drawing time);
- and not again when Streamlit hands Plotly.react a deep copy of it after the first draw
  (``pipeline.render.drawing``): checked for every figure here, and in the app itself for a few Next clicks.

Drawn at the widths the app gives them on a laptop: a stage picture beside its words (580 px) and a chart
across the page (900 px). A figure carries no template, so it is the same whether Streamlit's Plotly template
(the default wherever Streamlit is imported: the app) or Plotly's own (the command line's offline handout) was
the default when it was built. On a phone a long legend wraps onto more rows than estimated, and Plotly draws
that chart twice, as it did before; nothing is cut off either way."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

import plotly.io as pio
import pytest
import streamlit.elements.plotly_chart  # noqa: F401 -- registers Streamlit's Plotly template, as the app does
from browser_helpers import open_app, settle, step_button
from playwright.sync_api import Browser, Page

from pipeline.lessons import InputKind, all_lessons
from pipeline.render import figures

WIDTHS = (490, 580, 900)
LONG = "an extraordinarily underwhelming xylophone"  # long words, unknown ones among them


def every_figure(template: str = "streamlit") -> dict[str, dict]:
    """Every figure's JSON, built while ``template`` is Plotly's default template."""
    found, before = {}, pio.templates.default
    pio.templates.default = template
    try:
        _build_every_figure(found)
    finally:
        pio.templates.default = before
    return {name: json.loads(pio.to_json(fig, validate=False)) for name, fig in found.items()}


@cache
def one_epoch_run(slug: str):
    lesson = all_lessons()[slug]
    return lesson.run(lesson.settings_type(epochs=1, seed=0))


def _build_every_figure(found: dict[str, object]) -> None:
    for slug, lesson in all_lessons().items():
        run = one_epoch_run(slug)
        inputs = [run.examples[0][0]] + ([LONG] if lesson.input_kind is InputKind.TEXT and lesson.data_format else [])
        for text in inputs:
            for i, view in enumerate(lesson.predict(run, text).screens()):
                fig = figures.layer_figure(view)
                if fig is not None:
                    found[f"{slug} “{text}” screen {i + 1} ({type(view).__name__})"] = fig
        found[f"{slug} training curves"] = figures.training_curves(run.epochs)
        probes = figures.probes_figure(run.epochs)
        if probes is not None:
            found[f"{slug} probes"] = probes


def test_a_figure_is_the_same_whatever_the_default_template_and_names_its_data() -> None:
    in_app, offline = every_figure("streamlit"), every_figure("plotly")
    assert len(in_app) > 25 and in_app == offline
    for name, spec in in_app.items():
        assert "template" not in spec["layout"], name
        assert len(spec["layout"]["datarevision"]) == 16, name
    by_data = {json.dumps(spec["data"], sort_keys=True): spec["layout"]["datarevision"] for spec in in_app.values()}
    assert len(set(by_data.values())) == len(by_data) > 25  # the same data, the same revision; else another


DRAW = """async ([spec, width]) => {
    const el = document.getElementById('plot');
    el.style.width = width + 'px';
    Plotly.purge(el);
    await Plotly.newPlot(el, spec.data, spec.layout);
    const size = el._fullLayout._size;
    return {l: size.l, r: size.r, t: size.t, b: size.b};
}"""
# What Streamlit does after drawing a new chart: Plotly.react with a deep copy of the figure it drew (as Plotly
# left it: autoranged axes hold their ranges), now with the width it measured. Returns how many changes that made
# to the page (none: nothing was drawn again).
REDRAW = """async (width) => {
    const el = document.getElementById('plot');
    const changes = [];
    const watch = new MutationObserver(records => changes.push(records.length));
    watch.observe(el, {subtree: true, childList: true, attributes: true, characterData: true});
    const copy = JSON.parse(JSON.stringify({data: el.data, layout: el.layout}));
    await Plotly.react(el, copy.data, {...copy.layout, width});
    await new Promise(done => setTimeout(done, 50));
    watch.disconnect();
    return changes.reduce((a, b) => a + b, 0);
}"""


@pytest.mark.timeout(600)
def test_every_figure_fits_its_margins_in_one_layout_pass_and_a_copy_draws_nothing(browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.set_content("<html><body style='margin:0'><div id='plot'></div></body></html>")
    page.add_script_tag(path=str(files("plotly") / "package_data" / "plotly.min.js"))
    grown, redrawn = [], []
    drawn = every_figure()
    assert len(drawn) > 25
    for name, spec in drawn.items():
        given = spec["layout"]["margin"]
        for width in WIDTHS:
            final = page.evaluate(DRAW, [spec, width])
            wider = {side: round(final[side] - given[side]) for side in "lrtb" if final[side] > given[side] + 0.5}
            if wider:
                grown.append(f"{name} at {width} px: Plotly widened {wider} (given {given})")
            changes = page.evaluate(REDRAW, width)
            if changes:
                redrawn.append(f"{name} at {width} px: drawn again ({changes} changes to the page)")
    page.close()
    assert not grown, "\n".join(grown)
    assert not redrawn, "\n".join(redrawn)


# Records, for every chart that appears, each time Plotly drew it (its afterplot events): the width it drew it at,
# and whether the chart could be seen then.
DRAWS = """() => { window.__draws = []; new MutationObserver(records => { for (const r of records)
    for (const n of r.addedNodes) if (n.nodeType === 1 && n.classList.contains('plot-container')) {
        const gd = n.parentElement, drawn = [];
        window.__draws.push(drawn);
        gd.on('plotly_afterplot', () => drawn.push([gd._fullLayout.width, getComputedStyle(gd).visibility]));
    } }).observe(document.body, {subtree: true, childList: true}); }"""


def stage_draws(page: Page, clicks: int) -> list[list[list]]:
    """Open the Prediction page, press Next ``clicks`` times; each new chart's draws, as ``DRAWS`` records them."""
    open_app(page, "/prediction")
    page.evaluate(DRAWS)
    for _ in range(clicks):
        step_button(page, "Next").click()
        settle(page)
        page.wait_for_timeout(300)  # Streamlit's second Plotly.react comes after the chart's first draw
    return page.evaluate("() => window.__draws")


def test_in_the_app_a_new_stage_picture_is_drawn_at_the_width_streamlit_measures(page: Page) -> None:
    """Beside its words a stage picture is a fraction of the page wide. Plotly draws a new chart at its frame's
    computed width (rounded to 1/1000 px), then Streamlit hands it the width it measured; the two differed by a
    fraction of a pixel and the chart was drawn again. The app rounds the frame to whole pixels
    (ui.state.PAGE_CSS), so every draw of a chart is at one width. (Whether a copy at the same width draws
    anything is checked above, for every figure.) The window is tall enough that no stage makes the page
    scroll: a scroll bar coming or going would narrow the chart for real."""
    page.set_viewport_size({"width": 1400, "height": 3000})
    drawn = [[width for width, _ in draws] for draws in stage_draws(page, 4)]  # ids, embedding, states, gates
    assert len(drawn) == 4 and all(len(widths) >= 2 for widths in drawn), drawn  # one chart a click: drawn, then
    # handed its width (a picture moved into a new block was drawn once more: ui.layers.show_layer)
    assert all(len(set(widths)) == 1 for widths in drawn), f"drawn at more than one width: {drawn}"


def test_in_the_app_a_new_stage_picture_is_shown_as_soon_as_it_is_drawn(page: Page) -> None:
    """Streamlit keeps a chart whose layout has no width hidden until React has been through it again after
    Plotly drew it (15-25 ms of a Next click). Our figures say their width is automatic (``"width": null``,
    pipeline.render.drawing.Figure), which Plotly.js draws the same but Streamlit does not hide."""
    shown = [[seen for _, seen in draws] for draws in stage_draws(page, 3)]  # ids, embedding, states
    assert len(shown) == 3 and all(shown), shown
    assert all(draws[0] == "visible" for draws in shown), f"hidden when first drawn: {shown}"


PLOTLY_FETCHES = r"""() => performance.getEntriesByType('resource')
    .filter(entry => /\/static\/js\/PlotlyChart\.[^/]*\.js$/.test(entry.name)).length"""


@pytest.mark.parametrize("presenting", [False, True], ids=["sidebar open", "presenter mode"])
def test_a_page_with_no_chart_yet_loads_plotly_while_the_learner_reads_it(page: Page, presenting: bool) -> None:
    """The Prediction page opens on the raw text, which has no chart. Streamlit fetches Plotly's code (4.7 MB)
    when the first chart arrives, so the first Next click waited about 1.5 s before drawing anything. The page
    now loads it once idle (ui.widgets.preload_charts, in the sidebar: also when presenter mode folds it away),
    and the first chart uses that very module: it is fetched once."""
    open_app(page, "/prediction?present=1" if presenting else "/prediction")
    assert page.get_by_test_id("stPlotlyChart").count() == 0
    page.wait_for_function(f"() => ({PLOTLY_FETCHES})() === 1", timeout=30_000)
    step_button(page, "Next").click()
    settle(page)
    assert page.get_by_test_id("stPlotlyChart").count() == 1
    assert page.evaluate(PLOTLY_FETCHES) == 1
