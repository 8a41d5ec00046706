"""A trace in a notebook: a real Jupyter kernel (nbclient) traces a small CNN and shows it -- the ``Trace`` itself, a
trace file opened with ``open_path`` and ``pipeline.show(path)`` -- then nbconvert writes the executed notebook as
HTML, and headless Chromium opens that file with every network request refused and steps through the stages,
opens a block from the tree and comes back up by the breadcrumbs. Screenshot: artifacts/screenshots/notebook-cnn.png.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbconvert import HTMLExporter
from playwright.sync_api import Browser, Route

pytestmark = pytest.mark.e2e

CELLS = [
    """\
    import torch
    from torch import nn
    import pipeline
    from pipeline.document.fileformat import open_path, save
    from pipeline.document.document import trace_document
    from pipeline.trace import trace
    """,
    """\
    class Block(nn.Module):
        \"\"\"A convolution and its ReLU.\"\"\"

        def __init__(self, cin, cout):
            super().__init__()
            self.conv, self.relu = nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU()

        def forward(self, x):
            return self.relu(self.conv(x))  # (B, cout, H, W)


    class SmallCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.block1, self.block2 = Block(1, 8), Block(8, 16)
            self.pool, self.head = nn.MaxPool2d(2), nn.Linear(16 * 4 * 4, 10)

        def forward(self, x):  # (B, 1, 16, 16)
            x = self.pool(self.block2(self.pool(self.block1(x))))  # (B, 16, 4, 4)
            return torch.softmax(self.head(x.flatten(1)), dim=-1)  # (B, 10)


    torch.manual_seed(0)
    model = SmallCNN().eval()
    x = torch.zeros(2, 1, 16, 16)
    x[:, :, 4:12, 6:10] = 1.0  # a bright bar
    with torch.no_grad(), trace(model) as t:
        model(x)
    t
    """,
    """\
    save(trace_document(t, "a notebook"), "cnn.trace.zip")
    open_path("cnn.trace.zip")
    """,
    """\
    pipeline.show("cnn.trace.zip")
    """,
]


@pytest.fixture(scope="module")
def notebook_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The notebook, run by a real kernel in a folder of its own, then converted to one HTML file."""
    folder = tmp_path_factory.mktemp("notebook")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(textwrap.dedent(c)) for c in CELLS])
    NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    for cell in nb.cells[1:]:  # each display is the explorer, as HTML (and a line of text for a terminal)
        (output,) = [o for o in cell.outputs if o.output_type == "execute_result"]
        assert 'class="pt-explorer"' in output.data["text/html"], output.data.get("text/plain")
    assert "TraceView(SmallCNN: 10 calls, 5 stages" in nb.cells[3].outputs[0].data["text/plain"]
    body, _ = HTMLExporter().from_notebook_node(nb)
    path = folder / "notebook.html"
    path.write_text(body, encoding="utf-8")
    return path


def test_a_notebook_shows_the_trace_offline_and_steps_through_it(browser: Browser, notebook_html: Path,
                                                                 screenshots: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    refused: list[str] = []

    def only_the_file(route: Route) -> None:
        if route.request.url == notebook_html.as_uri():
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_file)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(notebook_html.as_uri())
        views = page.locator(".pt-explorer")
        assert views.count() == 3
        view = views.first
        page.wait_for_function("() => document.querySelectorAll('.pt-explorer .pt-flow .plot-container').length === 3")
        assert view.locator(".pt-count").inner_text() == "Stage 1 of 5"
        titles = []
        for k in range(5):  # every stage: its title, its words, its picture drawn
            titles.append(view.locator(".pt-title").inner_text())
            assert view.locator(".pt-caption").inner_text().startswith("Shape: ")
            assert view.locator(".pt-picture .plot-container").count() == 1 or view.locator(".pt-text").is_visible()
            if k < 4:
                view.locator("[data-act=next]").click()
        assert titles == ["1. block1", "2. pool", "3. block2", "4. pool (call 2)", "5. head"]
        assert view.locator("[data-act=next]").is_disabled()
        view.locator(".pt-tree button", has_text="block2").first.click()  # the tree opens a block
        assert view.locator(".pt-count").inner_text() == "Stage 1 of 2"
        assert view.locator(".pt-title").inner_text() == "1. conv"
        assert view.locator(".pt-picture .plot-container").count() == 1  # the convolution's feature maps
        assert "16 channels" in view.locator(".pt-caption").inner_text()
        assert [b.inner_text() for b in view.locator(".pt-crumbs button").all()] == ["SmallCNN", "block2"]
        view.screenshot(path=str(screenshots / "notebook-cnn.png"))
        view.locator(".pt-crumbs button", has_text="SmallCNN").click()
        assert view.locator(".pt-count").inner_text() == "Stage 1 of 5"
        view.locator(".pt-find").fill("relu")
        assert view.locator(".pt-found").inner_text() == "2 matches"
        assert not errors, errors
        assert not [u for u in refused if not u.startswith(("http://", "https://"))], refused  # nothing local either
    finally:
        context.close()
