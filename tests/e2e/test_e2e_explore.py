"""Open a trace walks through real architectures in Chromium: a torchvision Swin-T (620 calls, traced with its ops)
opens with every stage box of its data flow labelled in every frame, each stage's shape the record's, a convolution
drawn as feature-map images; a click in the tree opens a module, a block opens into its parts and its attention
into its heads, the breadcrumbs lead back; no chart text runs into another or out of its chart at 1280x720. A
ResNet-18's pictures read the same way at 150 % and on a phone. Screenshots: artifacts/screenshots/open-trace-*.png.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from browser_helpers import full_screenshot, load, open_app, plot_js, settle, tables
from layout import VIEWS, chart_problems, measure
from playwright.sync_api import Browser, Page

from pipeline.document.pictures import stage_view
from pipeline.render import walkthrough
from pipeline.render.describe import fmt_dims
from pipeline.render.tables import fmt_shape

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the real architectures
import real_traces

pytestmark = pytest.mark.e2e

FLOW = "[data-testid=stPlotlyChart] .js-plotly-plot"
# Each stage box drawn in the data flow's current frame: its label and whether the label has a size (a label too
# big for its box is hidden by Plotly: no size).
LABELS = """() => [...document.querySelector('FLOW').querySelectorAll('.funnellayer .point')].map(p => {
  const t = p.querySelector('text'), r = t && t.getBoundingClientRect();
  return [t ? t.textContent : '', !!(r && r.width && r.height)]; })""".replace("FLOW", FLOW)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("traces")
    paths = {}
    for name in ("swin_t", "resnet18"):
        paths[name] = folder / f"{name}.trace.zip"
        paths[name].write_bytes(real_traces.file_bytes(name))
    return paths


def upload(page: Page, path: Path) -> None:
    # The app's front page first: a server's very first session opened at /open_trace ran the page on its own
    # (Streamlit's pages folder), without app.py -- no sidebar, no page style
    load(page, "/")
    open_app(page, "/open_trace")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
    settle(page, 10_000)
    page.wait_for_selector(FLOW)


def boxes_unlabelled(page: Page) -> list[str]:
    """Every frame of the data flow: the stage boxes drawn with no label or a label hidden for want of room."""
    missing = []
    for index in range(page.evaluate(plot_js(0, "g._transitionData._frames.length"))):
        page.evaluate(f"""() => Plotly.animate(document.querySelector('{FLOW}'), ['{index}'],
                          {{mode: 'immediate', frame: {{duration: 0, redraw: true}}, transition: {{duration: 0}}}})""")
        page.wait_for_timeout(150)
        missing += [f"frame {index + 1}: box {k + 1} ({label!r})" for k, (label, drawn) in
                    enumerate(page.evaluate(LABELS)) if not (label and drawn)]
    return missing


def stage_table(page: Page) -> list[dict[str, str]]:
    table = tables(page).first
    heads = [h.inner_text() for h in table.locator("th").all()]
    return [dict(zip(heads, (c.inner_text() for c in row.locator("td").all()), strict=True))
            for row in table.locator("tbody tr").all()]


def shapes_agree(page: Page, stages) -> None:
    """The stage table's titles and output shapes are the records' (the real shape, not a sample's)."""
    rows = stage_table(page)
    assert [r["Stage"] for r in rows] == [f"{i}. {s.title}" for i, s in enumerate(stages, start=1)]
    assert [r["Output shape"] for r in rows] == [fmt_shape(s.record.output_shape) for s in stages]


def caption(page: Page) -> str:
    return page.get_by_test_id("stCaptionContainer").filter(has_text="Shape: ").first.inner_text()


def crumbs(page: Page) -> list[str]:
    """The breadcrumbs' labels, from the model down (each button's text, its icon's name left out)."""
    count = page.locator("[class*=st-key-crumb-]").count()
    texts = [page.locator(f".st-key-crumb-{i} button").first.inner_text() for i in range(count)]
    return [t.split("\n")[-1].removeprefix("account_tree").removeprefix("chevron_right") for t in texts]


def click(page: Page, name: str) -> None:
    page.get_by_role("button", name=name).first.click()
    settle(page, 3000)


def find(page: Page, text: str) -> None:
    """Type into the tree's search box."""
    page.get_by_label("Find a module by name or type").fill(text)
    page.keyboard.press("Enter")
    settle(page, 3000)


def tree_click(page: Page, module: str) -> None:
    """Click a module's name in the tree (a cell of the tree's table, found by its text in the grid's rows)."""
    grid = page.get_by_test_id("stDataFrame").first
    grid.scroll_into_view_if_needed()
    grid.locator("tr[role=row]").nth(1).wait_for(state="attached")  # a new grid writes its rows a moment later
    names = [r.locator("td").first.text_content() for r in grid.locator("tr[role=row]").all()[1:]]
    index = next((i for i, n in enumerate(names) if n.strip(" ▸▾\u00a0") == module), None)
    assert index is not None, f"{module!r} is not among the tree's rows {names}"
    box = grid.bounding_box()
    row = (box["height"] - 2) / (min(len(names), 10) + 1)  # the header and the rows shown are one height
    page.mouse.click(box["x"] + 120, box["y"] + row * (index + 1.5))
    settle(page, 3000)


def test_a_620_call_swin_is_walked_through_labelled_with_real_shapes(browser: Browser, app_url: str, files,
                                                                    screenshots: Path) -> None:
    doc = real_traces.document("swin_t")
    assert len(doc.trace) >= 600
    context = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=app_url)
    page = context.new_page()
    page.set_default_timeout(90_000)
    try:
        upload(page, files["swin_t"])
        assert boxes_unlabelled(page) == []
        shapes_agree(page, doc.stages)
        first = stage_view(doc.stages[0])  # the patch embedding: a convolution, 96 channels of 16 x 16
        assert caption(page).startswith(f"Shape: {fmt_dims(first)}.") and "16 of the 96 channels" in caption(page)
        names = page.evaluate(plot_js(1, "g.data.map(t => t.type + ' ' + t.name)"))
        assert len(names) == 16 and all(n.startswith("heatmap channel ") for n in names)  # images, one a channel
        problems = chart_problems(measure(page))  # at 1280 x 720 (the other views: the ResNet test below)
        assert not problems, problems
        page.locator(FLOW).first.screenshot(path=str(screenshots / "open-trace-swin-flow.png"))
        full_screenshot(page, screenshots / "open-trace-swin.png")

        tree_click(page, "features")  # the tree: a click opens a module
        assert crumbs(page) == ["SwinTransformer", "features"]
        features = walkthrough.stages_at(doc, doc.trace["features"])
        shapes_agree(page, features)

        block = doc.trace["features.1.0"]  # a Swin block: its attention and MLP, each with a residual add
        click(page, "SwinTransformer")
        for _ in range(3):
            click(page, "Next ▶")
        click(page, "Open features.1.0")
        parts = walkthrough.stages_at(doc, block)
        shapes_agree(page, parts)
        assert [s.title for s in parts][:4] == ["norm1", "attn", "stochastic_depth", "add()"]
        assert boxes_unlabelled(page) == []
        full_screenshot(page, screenshots / "open-trace-swin-block.png")

        find(page, "features.1.0.attn.softmax")  # a search, then a click: the attention opens at its heads
        tree_click(page, "features.1.0.attn.softmax()")
        assert crumbs(page) == ["SwinTransformer", "features", "1", "0", "attn"]
        inside = walkthrough.stages_at(doc, doc.trace["features.1.0.attn"])
        softmax = next(s for s in inside if s.title == "softmax()")
        heads = page.evaluate(plot_js(1, "g.data.map(t => t.name)"))
        assert heads == ["head 1", "head 2", "head 3"], heads
        assert caption(page).startswith(f"Shape: {fmt_dims(stage_view(softmax))}.")
        full_screenshot(page, screenshots / "open-trace-swin-attention.png")
        problems = chart_problems(measure(page))
        assert not problems, problems
        click(page, "SwinTransformer")
        shapes_agree(page, doc.stages)
    finally:
        context.close()


# 1280 x 720 is measured on Swin above; presenter mode at 100 % is the laptop's layout with larger type
@pytest.mark.parametrize("view", [v for v in VIEWS if v.name in ("presenter-150", "phone")], ids=lambda v: v.name)
def test_a_resnets_pictures_read_in_this_view(browser: Browser, app_url: str, files, view) -> None:
    """The data flow, a convolution's feature maps and a block's residual add: no chart text runs into another or
    out of its chart, and no page scrolls sideways."""
    context = view.context(browser, app_url)
    page = context.new_page()
    page.set_default_timeout(90_000)
    problems: list[str] = []
    try:
        upload(page, files["resnet18"])
        problems += [f"conv1: {p}" for p in chart_problems(measure(page))]
        find(page, "layer1.0.add_")
        tree_click(page, "layer1.0.add_()")  # the block opens at its residual add
        assert "6. add_()" in page.locator("h3").all_inner_texts()
        problems += [f"layer1.0's add: {p}" for p in chart_problems(measure(page))]
        full_screenshot(page, Path(__file__).resolve().parents[2] / "artifacts" / "screenshots" /
                        f"open-trace-resnet-{view.name}.png")
    finally:
        context.close()
    assert not problems, "\n".join(problems)
