"""The app as a learner meets it, alternated with a one-chart Streamlit app, in headless Chromium.

    .venv/bin/python bench/app.py [--pairs 5] [--clicks 500]

Every measure runs our app and the baseline (one Plotly chart and one button, started the same way)
in alternating order, ``--pairs`` times, and reports the median of the paired ratios with its range:

  cold start -- from launching the server (``pipeline-trace serve`` with a warm run cache on disk; the
                baseline with ``streamlit run`` and the same flags) until the first page is fully drawn;
  warm open  -- a new tab on the running server until its first chart is drawn;
  Next click -- one "Next ▶" on the Prediction page until the new stage is drawn, against one click of
                the baseline's button until its rerun is drawn: in the page's own clock, from the click event
                to the last change of the page it caused (a MutationObserver; the page then quiet for
                ``QUIET_MS``), so neither Playwright's own work nor the quiet wait is counted. Reported twice:
                the first pass through the stages of a freshly opened page, begun after ``READ_S`` seconds on
                its first stage, as a learner reads it (the browser meets each kind of picture for the first
                time; ``FIRST_PASSES`` pages), then ``--pairs`` x 6 clicks of the passes after it (a learner
                going back and forth);
  script     -- the page script of that click alone, server-side (no browser): AppTest.
Then, with ``--clicks``, memory: the server's PSS every 50 Next clicks in one session (flat is the goal).
This is a benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright
from servers import free_port, stop, wait_healthy, wait_quiet

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("PIPELINE_TRACE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning'][data-test-connection-state='CONNECTED']"
DRAWN = """() => !document.querySelector('[data-testid=stMain] [data-testid=stSkeleton]')
    && [...document.querySelectorAll('[data-testid=stPlotlyChart]')].length > 0
    && [...document.querySelectorAll('[data-testid=stPlotlyChart]')].every(c => c.querySelector('.main-svg'))"""
FIRST_CHART = "() => !!document.querySelector('[data-testid=stPlotlyChart] .main-svg')"
SETTLED = """() => !!document.querySelector("[data-testid='stApp'][data-test-script-state='notRunning']")
    && [...document.querySelectorAll('[data-testid=stPlotlyChart]')].every(c => c.querySelector('.main-svg'))"""
BASELINE = ('import plotly.graph_objects as go\nimport streamlit as st\n\nst.title("One chart")\n'
            'clicks = st.session_state.setdefault("clicks", 0)\n'
            'st.plotly_chart(go.Figure(go.Bar(y=[1, 3, 2, clicks])), theme=None, key="chart")\n'
            'if st.button("Next", key="next"):\n    st.session_state["clicks"] += 1\n    st.rerun()\n'
            'st.write(f"clicks: {clicks}")\n')
FLAGS = ["--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", "--runner.postScriptGC", "false", "--runner.magicEnabled", "false",
         "--client.showErrorDetails", "none"]


def start(which: str, port: int, folder: Path) -> subprocess.Popen:
    env = {**os.environ, "PIPELINE_TRACE_DATA": str(folder / "data")}
    if which == "ours":
        command = [sys.executable, "-m", "pipeline", "serve", "--port", str(port)]
    else:
        command = [sys.executable, "-m", "streamlit", "run", str(folder / "baseline.py"), "--server.port", str(port),
                   *FLAGS]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def open_page(browser: Browser, port: int, path: str = "/", until: str = DRAWN) -> tuple[Page, float]:
    start_time = time.perf_counter()
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(180_000)
    page.goto(f"http://127.0.0.1:{port}{path}")
    page.wait_for_function(until, polling=20)
    return page, time.perf_counter() - start_time


def cold_start(which: str, browser: Browser, folder: Path) -> float:
    port = free_port()
    started = time.perf_counter()
    process = start(which, port, folder)
    try:
        wait_healthy(port, process)
        page, _ = open_page(browser, port)
        page.wait_for_selector(IDLE)
        page.wait_for_function(DRAWN, polling=20)
        elapsed = time.perf_counter() - started
        page.context.close()
        return elapsed
    finally:
        stop(process)


def button(page: Page, label: str):
    """A button by its label; its accessible name may also hold its icon's name before it and its keyboard
    shortcut after it ("first_page First Shortcut Home", "Next ▶ Shortcut →")."""
    return page.get_by_role("button", name=re.compile(rf"(^|\s){re.escape(label)}(\s|$)"))


QUIET_MS = 300  # a click's work is over once the page has not changed for this long
READ_S = 3  # seconds a learner spends on a freshly opened page's first stage before the first Next
FIRST_PASSES = 3  # freshly opened pages whose first pass is timed
WATCH = """() => { if (window.__clickWatch) return; const w = window.__clickWatch = {click: 0, last: 0};
    new MutationObserver(() => { w.last = performance.now(); }).observe(document.body,
        {subtree: true, childList: true, attributes: true, characterData: true});
    document.addEventListener('click', () => { w.click = performance.now(); }, true); }"""
QUIET = "(ms) => performance.now() - window.__clickWatch.last > ms"


def click_time(page: Page, label: str, changed: str) -> float:
    """Click, wait until the page shows the change, is idle with every chart drawn and then quiet; return the
    seconds from the click event to the last change to the page (the new state fully drawn)."""
    page.evaluate(WATCH)
    before = page.evaluate(changed)
    if before is None:
        raise SystemExit(f"the benchmark cannot see what a click changes ({changed}): nothing to wait for")
    button(page, label).click()
    page.wait_for_function(f"(b) => ({changed})() !== b", arg=before, polling=10)
    page.wait_for_selector(IDLE)
    page.wait_for_function(SETTLED, polling=10)
    page.wait_for_function(QUIET, arg=QUIET_MS, polling=20)
    watch = page.evaluate("() => window.__clickWatch")
    return (watch["last"] - watch["click"]) / 1000


STEP_HEADING = "() => [...document.querySelectorAll('h3')].map(h => h.innerText).join('|')"
BASELINE_COUNT = "() => document.querySelector('[data-testid=stMain]').innerText.match(/clicks: \\d+/)?.[0]"


def paired(run: Callable[[str], float], pairs: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"ours": [], "baseline": []}
    for i in range(pairs):
        for which in (("ours", "baseline") if i % 2 == 0 else ("baseline", "ours")):
            times[which].append(run(which))
    return times


def report(name: str, times: dict[str, list[float]], unit: str = "s") -> None:
    ratios = [a / b for a, b in zip(times["ours"], times["baseline"], strict=True)]
    scale = 1000 if unit == "ms" else 1
    med = lambda v: statistics.median(v) * scale  # noqa: E731
    print(f"{name:12} ours {med(times['ours']):8.2f} {unit} | one-chart app {med(times['baseline']):8.2f} {unit} | "
          f"ratio median {statistics.median(ratios):.2f} (range {min(ratios):.2f}-{max(ratios):.2f})", flush=True)


def script_times(pairs: int) -> dict[str, list[float]]:
    """The page script of one Next click (server-side, AppTest), against the baseline's button click.

    AppTest reruns the whole page where the server reruns only the stepper's fragment, so this is an upper
    bound. Unlike the server, AppTest compiles every script afresh at every run; both apps share one script
    cache here, as the server's runs do, so that compiling is not counted."""
    import streamlit.testing.v1.app_test as app_test
    import streamlit.testing.v1.local_script_runner as local_script_runner
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import AppTest

    shared = ScriptCache()
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared

    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "baseline.py"
        base.write_text(BASELINE)
        ours = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
        ours.switch_page("pages/prediction.py").run()
        theirs = AppTest.from_file(str(base), default_timeout=60).run()
        times: dict[str, list[float]] = {"ours": [], "baseline": []}
        for i in range(pairs * 4):
            for which, at, key in (("ours", ours, "next"), ("baseline", theirs, "next"))[:: 1 if i % 2 else -1]:
                if which == "ours" and at.button(key="next").disabled:
                    at.button(key="first").click().run()
                started = time.perf_counter()
                at.button(key=key).click().run()
                times[which].append(time.perf_counter() - started)
        return times


def pss_mb(pid: int) -> float:
    """Proportional set size of a process and its children, in MB (from /proc/<pid>/smaps_rollup)."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(k) for k in kids] + [g for k in kids for g in _children(int(k))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--clicks", type=int, default=0, help="Next clicks in one session for the memory check")
    args = parser.parse_args()
    if args.pairs < 5:
        parser.error("--pairs must be at least 5: a median of fewer paired ratios says little on a noisy machine")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        folder = Path(tmp)
        (folder / "baseline.py").write_text(BASELINE)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        subprocess.run([sys.executable, "-c", "from pipeline.lessons import all_lessons\nfrom pipeline.app.default_run "
                        "import default_run\nfor lesson in all_lessons().values(): default_run(lesson)"], cwd=ROOT,
                       env={**os.environ, "PIPELINE_TRACE_DATA": str(folder / "data")}, check=True)  # warm disk cache
        print(f"{args.pairs} alternated pairs; ratio = ours / the one-chart app; Chromium {browser.version}, headless")
        report("cold start", paired(lambda w: cold_start(w, browser, folder), args.pairs))
        ports = {w: free_port() for w in ("ours", "baseline")}
        processes = {w: start(w, port, folder) for w, port in ports.items()}
        try:
            for which, port in ports.items():
                wait_healthy(port)
                open_page(browser, port)[0].context.close()  # warm the server: its first session
                wait_quiet(processes[which].pid)  # and whatever it does after it (ours: the warm-up)
            report("warm open", paired(lambda w: _warm_open(browser, ports[w]), args.pairs))
            first: dict[str, list[float]] = {"ours": [], "baseline": []}
            pages: dict[str, Page] = {}
            for _ in range(FIRST_PASSES):
                for page in pages.values():
                    page.context.close()
                pages = _fresh_pages(browser, ports)
                for which, times in _first_pass(pages).items():
                    first[which] += times
            report("Next, 1st", first, "ms")
            report("Next click", paired(lambda w: _click(pages, w), args.pairs * 6), "ms")
            report("script", script_times(args.pairs), "ms")
            if args.clicks:
                _memory(pages["ours"], processes["ours"].pid, args.clicks)
        finally:
            for process in processes.values():
                stop(process)
        browser.close()
    return 0


def _fresh_pages(browser: Browser, ports: dict[str, int]) -> dict[str, Page]:
    """Our Prediction page and the baseline, freshly opened, after ``READ_S`` seconds on their first stage."""
    pages = {"ours": open_page(browser, ports["ours"], "/prediction", until=SETTLED)[0],
             "baseline": open_page(browser, ports["baseline"])[0]}
    time.sleep(READ_S)  # the learner reads stage 1 (ours loads Plotly's code meanwhile)
    return pages


def _first_pass(pages: dict[str, Page]) -> dict[str, list[float]]:
    """One pass through our stages (Next until the last), alternated with as many baseline clicks."""
    return paired(lambda w: _click(pages, w), max(_stage_count(pages["ours"]) - 1, 5))


def _warm_open(browser: Browser, port: int) -> float:
    page, elapsed = open_page(browser, port, until=FIRST_CHART)
    page.context.close()
    return elapsed


def _stage_count(page: Page) -> int:
    """The number of stages the Prediction page steps through ("Stage 1 of 7" -> 7)."""
    found = re.search(r"Stage \d+ of (\d+)", page.evaluate(STEP_HEADING))
    if found is None:
        raise SystemExit("the benchmark cannot find the Prediction page's stage counter")
    return int(found.group(1))


def _click(pages: dict[str, Page], which: str) -> float:
    page = pages[which]
    page.evaluate(WATCH)
    if which == "baseline":
        return click_time(page, "Next", BASELINE_COUNT)
    if button(page, "Next ▶").is_disabled():
        button(page, "First").click()
        page.wait_for_selector(IDLE)
        page.wait_for_function(SETTLED, polling=10)
        page.wait_for_function(QUIET, arg=QUIET_MS, polling=20)  # nothing of it left to land in the timed click
    return click_time(page, "Next ▶", STEP_HEADING)


def _memory(page: Page, pid: int, clicks: int) -> None:
    readings = [pss_mb(pid)]
    for i in range(1, clicks + 1):
        _click({"ours": page}, "ours")
        if i % 50 == 0:
            readings.append(pss_mb(pid))
    print(f"memory over {clicks} Next clicks (server PSS, MB, every 50): " + ", ".join(f"{r:.0f}" for r in readings))
    print(f"  first {readings[0]:.0f} MB, last {readings[-1]:.0f} MB, change {readings[-1] - readings[0]:+.0f} MB "
          f"(after the first 50: {readings[-1] - readings[1]:+.0f} MB)")


if __name__ == "__main__":
    sys.exit(main())
