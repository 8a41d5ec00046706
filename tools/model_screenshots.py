"""Screenshots of real architectures in Open a trace and in a notebook, to look at by eye (not a test).

    .venv/bin/python tools/model_screenshots.py

Traces a torchvision ResNet-18 and Swin-T (weights=None) and a 2-layer BERT with eager attention
(tests/real_traces.py), then: (1) starts the app, uploads each trace to Open a trace and saves the page with a
convolution's (or the embeddings') stage and a block opened; (2) runs one notebook showing the three traces in a
Jupyter kernel, converts it to HTML and saves each view. Everything goes to artifacts/screenshots/.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "e2e")]

import nbformat  # noqa: E402 -- after the tests' folders are on the path
import real_traces  # noqa: E402
from browser_helpers import full_screenshot, load, open_app, settle  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbconvert import HTMLExporter  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

OUT = ROOT / "artifacts" / "screenshots"
OPEN = {"resnet18": "layer1.0", "swin_t": "features.1.0", "bert": "encoder.layer.0"}  # the block each one opens


def server() -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
                                "--server.port", str(port), "--server.headless", "true",
                                "--browser.gatherUsageStats", "false"], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            return process, url
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("streamlit did not start")


def open_a_trace(browser, url: str, folder: Path) -> None:
    for name, block in OPEN.items():
        path = folder / f"{name}.trace.zip"
        path.write_bytes(real_traces.file_bytes(name))
        page = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=url).new_page()
        page.set_default_timeout(120_000)
        load(page, "/")
        open_app(page, "/open_trace")
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
        settle(page, 10_000)
        full_screenshot(page, OUT / f"model-{name}-open-trace.png")
        page.get_by_label("Find a module by name or type").fill(block)
        page.keyboard.press("Enter")
        settle(page, 3000)
        page.get_by_test_id("stDataFrame").first.scroll_into_view_if_needed()
        box = page.get_by_test_id("stDataFrame").first.bounding_box()
        page.mouse.click(box["x"] + 120, box["y"] + 39 * 1.5)  # the first match: the block itself
        settle(page, 5000)
        full_screenshot(page, OUT / f"model-{name}-open-trace-block.png")
        page.context.close()


def notebook(browser, folder: Path) -> None:
    cells = [f"import sys; sys.path.insert(0, {str(ROOT / 'tests')!r})\nimport real_traces, pipeline"]
    cells += [f"pipeline.show(real_traces.document({name!r}))" for name in OPEN]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    page_path = folder / "models.html"
    page_path.write_text(HTMLExporter().from_notebook_node(nb)[0], encoding="utf-8")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page = context.new_page()
    page.goto(page_path.as_uri())
    page.wait_for_function("() => document.querySelectorAll('.pt-explorer .pt-picture .plot-container').length >= 3")
    for k, name in enumerate(OPEN):
        view = page.locator(".pt-explorer").nth(k)
        view.screenshot(path=str(OUT / f"model-{name}-notebook.png"))
        view.locator(".pt-find").fill(OPEN[name])
        view.locator(f'.pt-tree button[data-open="{OPEN[name]}#0"]').first.click()  # the block, found in the tree
        view.screenshot(path=str(OUT / f"model-{name}-notebook-block.png"))
    context.close()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    process, url = server()
    try:
        with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                args=["--headless", "--no-sandbox", "--disable-gpu"])
            if "--notebook-only" not in sys.argv:
                open_a_trace(browser, url, Path(tmp))
            notebook(browser, Path(tmp))
            browser.close()
    finally:
        process.terminate()
    print(f"Screenshots in {OUT}: " + ", ".join(sorted(p.name for p in OUT.glob("model-*.png"))))


if __name__ == "__main__":
    main()
