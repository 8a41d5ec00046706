"""Every picture of a prediction, and the training charts, drawn by plotly.js in Chromium in one layout pass:
the margins ``pipeline.render.margins`` estimates already hold every label, so Plotly's automargin never has
to draw the figure a second time (it did for most stage pictures, about half a Next click's drawing time).

Drawn at the widths the app gives them on a laptop: a stage picture beside its words (580 px) and a chart
across the page (900 px); built under Streamlit's Plotly template, the default wherever Streamlit is imported
(the app), and under Plotly's own (the command line's offline handout). On a phone a long legend wraps onto
more rows than estimated, and Plotly draws that chart twice, as it did before; nothing is cut off either way."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

import plotly.io as pio
import pytest
import streamlit.elements.plotly_chart  # noqa: F401 -- registers Streamlit's Plotly template, as the app does
from playwright.sync_api import Browser

from pipeline.lessons import all_lessons
from pipeline.render import figures

WIDTHS = (580, 900)
LONG = "an extraordinarily underwhelming xylophone"  # long words, unknown ones among them


def every_figure(template: str) -> dict[str, object]:
    found, before = {}, pio.templates.default
    pio.templates.default = template
    try:
        _build_every_figure(found)
    finally:
        pio.templates.default = before
    return found


@cache
def one_epoch_run(slug: str):
    lesson = all_lessons()[slug]
    return lesson.run(lesson.settings_type(epochs=1, seed=0))


def _build_every_figure(found: dict[str, object]) -> None:
    for slug, lesson in all_lessons().items():
        run = one_epoch_run(slug)
        inputs = [run.examples[0][0]] + ([LONG] if lesson.data_format else [])
        for text in inputs:
            for i, view in enumerate(lesson.predict(run, text).screens()):
                fig = figures.layer_figure(view)
                if fig is not None:
                    found[f"{slug} “{text}” screen {i + 1} ({type(view).__name__})"] = fig
        found[f"{slug} training curves"] = figures.training_curves(run.epochs)
        probes = figures.probes_figure(run.epochs)
        if probes is not None:
            found[f"{slug} probes"] = probes


DRAW = """async ([spec, width]) => {
    const el = document.getElementById('plot');
    el.style.width = width + 'px';
    Plotly.purge(el);
    await Plotly.newPlot(el, spec.data, spec.layout);
    const size = el._fullLayout._size;
    return {l: size.l, r: size.r, t: size.t, b: size.b};
}"""


@pytest.mark.timeout(600)
@pytest.mark.parametrize("template", ["streamlit", "plotly"])
def test_every_figure_fits_its_margins_in_one_layout_pass(browser: Browser, template: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.set_content("<html><body style='margin:0'><div id='plot'></div></body></html>")
    page.add_script_tag(path=str(files("plotly") / "package_data" / "plotly.min.js"))
    grown = []
    drawn = every_figure(template)
    assert len(drawn) > 25
    for name, fig in drawn.items():
        spec = json.loads(pio.to_json(fig, validate=False))
        given = spec["layout"]["margin"]
        for width in WIDTHS:
            final = page.evaluate(DRAW, [spec, width])
            wider = {side: round(final[side] - given[side]) for side in "lrtb" if final[side] > given[side] + 0.5}
            if wider:
                grown.append(f"{name} at {width} px: Plotly widened {wider} (given {given})")
    page.close()
    assert not grown, "\n".join(grown)
