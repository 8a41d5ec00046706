"""Benchmark the app as a learner meets it, in headless Chromium against `streamlit run` on 127.0.0.1.

    python bench/app_bench.py [--repeats 3] [--steps 10]

Measures, each repeated and reported as the median (min-max):
  server up    -- from launching `streamlit run` until it answers its health check;
  cold start   -- from launching `streamlit run` to the Overview fully drawn in the browser (server
                  start, torch import, training the default model once, every chart drawn);
  warm open    -- a second learner opening the Overview on the running server (the cached run);
  next step    -- one "Next ▶" click on the Prediction page until the next stage is fully drawn
                  (a rerun of the page script plus the browser's redraw);
  script rerun -- the same Next step in AppTest: the page script alone, no browser.
Side by side, for scale on this machine: the warm open of a one-line Streamlit app and of a Streamlit
app with one small Plotly chart (which pays for loading Plotly in the browser), started the same way.
This is a benchmark, not a test: it prints figures and asserts nothing about them.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning'][data-test-connection-state='CONNECTED']"
DRAWN = """() => !document.querySelector('[data-testid=stMain] [data-testid=stSkeleton]')
    && [...document.querySelectorAll('[data-testid=stPlotlyChart]')].every(c => c.querySelector('.main-svg'))"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


BASELINES = {
    "hello app": 'import streamlit as st\nst.title("Hello")\nst.table({"a": [1, 2]})\n',
    "1-chart app": 'import plotly.graph_objects as go\nimport streamlit as st\nst.title("Chart")\n'
                   'st.table({"a": [1, 2]})\nst.plotly_chart(go.Figure(go.Bar(y=[1, 3, 2])), theme=None)\n',
}


def start_server(port: int, script: Path = ROOT / "app.py") -> subprocess.Popen:
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.address", "127.0.0.1",
               "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    return subprocess.Popen(command, cwd=script.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_healthy(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"no answer from {url}")


def open_overview(browser: Browser, url: str) -> Page:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(120_000)
    page.goto(url)
    page.wait_for_selector(IDLE)
    page.get_by_test_id("stTable").first.wait_for()
    page.wait_for_function(DRAWN)
    return page


def cold_and_warm(browser: Browser) -> tuple[float, float, float]:
    """(server answering, cold start, warm open) in seconds, on a freshly started server."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    server = start_server(port)
    try:
        wait_healthy(url)
        up = time.perf_counter() - started
        open_overview(browser, url).close()
        cold = time.perf_counter() - started
        started = time.perf_counter()
        open_overview(browser, url).close()
        return up, cold, time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=15)


def baseline_opens(browser: Browser, source: str, repeats: int) -> list[float]:
    """Warm opens of a minimal app (after one unmeasured open), for scale."""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "baseline.py"
        script.write_text(source)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = start_server(port, script)
        try:
            wait_healthy(url)
            open_overview(browser, url).close()
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                open_overview(browser, url).close()
                times.append(time.perf_counter() - started)
            return times
        finally:
            server.terminate()
            server.wait(timeout=15)


def next_steps(browser: Browser, steps: int) -> list[float]:
    """Seconds per Next click on the Prediction page (Prev between rounds, not timed)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(port)
    try:
        wait_healthy(url)
        page = open_overview(browser, url)
        page.get_by_test_id("stSidebarNav").get_by_text("Prediction", exact=True).click()
        page.get_by_role("button", name="Next ▶").wait_for()
        page.wait_for_selector(IDLE)
        times = []
        for _ in range(steps):
            if page.get_by_role("button", name="Next ▶").is_disabled():
                page.get_by_role("button", name="◀ Prev").click()
                page.wait_for_function(DRAWN)
                page.wait_for_selector(IDLE)
            before = page.locator("[data-testid=stMain] h3").first.inner_text()
            started = time.perf_counter()
            page.get_by_role("button", name="Next ▶").click()
            page.wait_for_function("(b) => { const h = document.querySelector('[data-testid=stMain] h3');"
                                   " return h && h.innerText !== b; }", arg=before)
            page.wait_for_selector(IDLE)
            page.wait_for_function(DRAWN)
            times.append(time.perf_counter() - started)
        return times
    finally:
        server.terminate()
        server.wait(timeout=15)


def script_reruns(steps: int) -> list[float]:
    """Seconds per Next step in AppTest (page script only)."""
    sys.path.insert(0, str(ROOT))
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    original = PagesManager.__init__

    def init(self: PagesManager, *args: object, **kwargs: object) -> None:  # run pages under app.py's router
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/prediction.py").run()
    times = []
    for _ in range(steps):
        if at.button(key="next").disabled:
            at.button(key="prev").click().run()
        started = time.perf_counter()
        at.button(key="next").click().run()
        times.append(time.perf_counter() - started)
    return times


def summary(name: str, values: list[float], scale: float = 1.0, unit: str = "s") -> str:
    shown = [v * scale for v in values]
    return (f"{name:<14} median {statistics.median(shown):8.3f} {unit}   (min {min(shown):.3f}, max {max(shown):.3f}, "
            f"n={len(shown)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="cold starts to measure (each a new server)")
    parser.add_argument("--steps", type=int, default=10, help="Next clicks to measure")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        runs = [cold_and_warm(browser) for _ in range(args.repeats)]
        steps = next_steps(browser, args.steps)
        baselines = {name: baseline_opens(browser, source, args.repeats) for name, source in BASELINES.items()}
        browser.close()
    reruns = script_reruns(args.steps)

    print(f"Pipeline Trace app benchmark (Chromium headless, 127.0.0.1; {args.repeats} cold starts, "
          f"{args.steps} steps)")
    print(summary("server up", [u for u, _, _ in runs]) + "   <- `streamlit run` answering /_stcore/health")
    print(summary("cold start", [c for _, c, _ in runs]) + "   <- to the Overview fully drawn")
    print(summary("warm open", [w for _, _, w in runs]) + "   <- another learner, cached run")
    print(summary("next step", steps, 1000.0, "ms"))
    print(summary("script rerun", reruns, 1000.0, "ms"))
    for name, times in baselines.items():
        print(summary(name, times) + "   <- for scale: a minimal app, warm open")


if __name__ == "__main__":
    main()
