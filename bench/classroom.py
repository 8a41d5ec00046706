"""Benchmark a class: one teacher, N simulated learners and two real learner pages, on the real app server.

    python bench/classroom.py --learners 30 [--browsers 2] [--changes 2] [--questions 2]

Starts ``python -m pipeline serve --no-warm-up`` on 127.0.0.1 with the default SQLite store in a fresh
temporary data folder. The teacher and the simulated learners call the same ``pipeline.classroom``
functions the pages call, each learner in its own thread polling at the pages' cadence
(``ui.classroom.POLL_SECONDS``: ``state_if_changed``, then ``learner_view`` when it changed, as a page's
full rerun does). The browser learners are real pages in headless Chromium: they open the join link,
join through the dialog, follow and answer by clicking. Everyone joins, follows ``--changes`` stage
changes and answers ``--questions`` questions. Prints how long the teacher's change took to reach the
learners (median, p95) for each kind, what one poll costs, the server's CPU and memory, and last
``answers recorded: X/Y`` (Y: answers sent). A benchmark: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from servers import free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CHROMIUM = os.environ.get("PIPELINE_TRACE_CHROMIUM", "/usr/bin/chromium")
# Each real learner has a phone with the class in the foreground: no background-tab timer throttling.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-background-timer-throttling",
                 "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning'][data-test-connection-state='CONNECTED']"
LESSON, WAIT_S = "sequence-classification", 45.0  # every wait is bounded
WATCH = """n => { window.__seen = window.__seen || {}; const id = setInterval(() => {
    if (document.body.innerText.includes(`Stage ${n} of`)) { window.__seen[n] = Date.now(); clearInterval(id); }
}, 25); }"""


@dataclass
class Learner:
    """One simulated learner's thread: its token, what it saw and when."""

    token: str
    seen: dict[int, float] = field(default_factory=dict)  # stage -> wall time it first showed
    sent: int = 0
    poll_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Usage(threading.Thread):
    """Samples a process's CPU time and resident memory from /proc every half second."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.samples, self.done = pid, [], threading.Event()

    def read(self) -> tuple[float, float, float]:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        rss = next(int(line.split()[1]) for line in Path(f"/proc/{self.pid}/status").read_text().splitlines()
                   if line.startswith("VmRSS:")) / 1024
        return time.monotonic(), cpu, rss

    def run(self) -> None:
        while not self.done.wait(0.5):
            try:
                self.samples.append(self.read())
            except (OSError, StopIteration):  # the server is gone
                return

    def between(self, start: float, end: float) -> tuple[float, float, float]:
        """(average CPU %, peak CPU % over 1 s, peak RSS MB) for samples in [start, end]."""
        inside = [s for s in self.samples if start <= s[0] <= end]
        if len(inside) < 3:
            return float("nan"), float("nan"), float("nan")
        average = 100 * (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])
        peaks = [100 * (b[1] - a[1]) / (b[0] - a[0]) for a, b in zip(inside, inside[2:], strict=False)]
        return average, max(peaks), max(s[2] for s in inside)


def simulate(learner: Learner, engine, code: str, poll: float, stop: threading.Event, answers: dict) -> None:
    """A learner's page: poll at the page's cadence; on a change, read the class as a full rerun does."""
    from pipeline import classroom as room

    version, answered = 0, set()
    stop.wait(random.uniform(0, poll))  # pages open at different moments
    while not stop.wait(poll):
        try:
            started = time.perf_counter()
            changed = room.state_if_changed(engine, code, version)
            if changed is None:
                learner.poll_s.append(time.perf_counter() - started)
                continue
            view = room.learner_view(engine, learner.token)
            version = view.state.version
            learner.seen.setdefault(view.state.stage + 1, time.time())
            q = view.state.question
            if q is not None and not q.revealed and q.id not in answered:
                choice = answers.setdefault((q.id, learner.token), random.randrange(len(q.choices)))
                learner.sent += 1
                room.answer(engine, learner.token, q.id, choice)
                answered.add(q.id)
        except Exception as e:  # counted, shown, never hidden
            learner.errors.append(f"{type(e).__name__}: {e}")


def stats(values: list[float]) -> str:
    if not values:
        return "no samples"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered):.2f} s, p95 {p95:.2f} s, max {ordered[-1]:.2f} s (n={len(ordered)})"


def until(check, what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=30, help="simulated learners (default 30)")
    parser.add_argument("--browsers", type=int, default=2, help="real learner pages in Chromium (default 2)")
    parser.add_argument("--changes", type=int, default=2, help="stage changes to follow (default 2)")
    parser.add_argument("--questions", type=int, default=2, help="questions to answer (default 2)")
    args = parser.parse_args()
    if not 1 <= args.learners <= 500 or not 0 <= args.browsers <= 8 or not 1 <= args.changes <= 5:
        parser.error("learners 1-500, browsers 0-8, changes 1-5")
    with tempfile.TemporaryDirectory(prefix="pipeline-trace-class-bench-") as folder:
        os.environ["PIPELINE_TRACE_DATA"] = folder
        os.environ.pop("PIPELINE_TRACE_DB_URL", None)
        return run(args, folder)


def run(args: argparse.Namespace, folder: str) -> int:
    from playwright.sync_api import sync_playwright

    from pipeline import classroom as room
    from pipeline.content.catalog import catalog
    from ui.classroom import POLL_SECONDS

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = Path(folder) / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "pipeline", "serve", "--port", str(port), "--no-warm-up"],
                                  cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=os.environ.copy())
    stop, answers, usage = threading.Event(), {}, Usage(server.pid)
    try:
        wait_healthy(port, server)
        usage.start()
        engine = room.engine_for()
        info, secret = room.start_class(engine, LESSON)
        code = info.code
        print(f"server {url} (pid {server.pid}), data {folder}, class {code}, poll every {POLL_SECONDS} s")
        learners = [Learner(room.join_class(engine, code, f"Learner {i + 1}").token) for i in range(args.learners)]
        threads = [threading.Thread(target=simulate, args=(x, engine, code, POLL_SECONDS, stop, answers), daemon=True)
                   for x in learners]
        for thread in threads:
            thread.start()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            pages = [join_in_browser(browser, url, code, f"Browser {i + 1}") for i in range(args.browsers)]
            joined = len(room.roster(engine, code, secret))
            print(f"joined: {joined}/{args.learners + args.browsers}")
            for page in pages:  # the first visit to the Prediction page loads the model: not timed
                page.get_by_text("Stage 1 of").first.wait_for(timeout=WAIT_S * 1000)
            idle_start = time.monotonic()
            time.sleep(10)  # nothing changes: every page only polls
            idle = usage.between(idle_start, time.monotonic())
            moving_start = time.monotonic()
            sim_lat, browser_lat = [], []
            for change in range(args.changes):
                stage = 2 + 2 * change  # 0-based: "Stage 3 of 7", then "Stage 5 of 7"
                for page in pages:
                    page.evaluate(WATCH, stage + 1)
                t0 = time.time()
                room.set_view(engine, code, secret, stage=stage)
                until(lambda s=stage: all(s + 1 in x.seen for x in learners), f"simulated learners at stage {stage}")
                until(lambda s=stage: all(p.evaluate(f"() => (window.__seen || {{}})[{s + 1}]") for p in pages),
                      f"browser learners at stage {stage}")
                sim_lat += [x.seen[stage + 1] - t0 for x in learners]
                browser_lat += [p.evaluate(f"() => window.__seen[{stage + 1}]") / 1000 - t0 for p in pages]
            sent_browser = ask(engine, code, secret, pages, catalog()[LESSON].quiz[: args.questions],
                               args.learners + args.browsers)
            moving = usage.between(moving_start, time.monotonic())
            browser.close()
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
        report(room, engine, code, secret, learners, sim_lat, browser_lat, idle, moving, usage, sent_browser,
               args.browsers, POLL_SECONDS)
        room.delete_class(engine, code, secret)
        return 0
    finally:
        stop.set()
        usage.done.set()
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()


def join_in_browser(browser, url: str, code: str, name: str):
    """A phone-sized page opens the join link and joins through the dialog, as a learner does."""
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.set_default_timeout(WAIT_S * 1000)
    page.goto(f"{url}/?class={code}")
    page.wait_for_selector(IDLE)
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Your name").fill(name)
    dialog.get_by_label("Your name").press("Enter")
    page.wait_for_timeout(500)
    dialog.get_by_role("button", name="Join", exact=True).click()
    page.get_by_text(f"you are {name}").wait_for()
    return page


def ask(engine, code: str, secret: str, pages: list, questions: list, everyone: int) -> int:
    """Open each question, let everyone answer (browsers by a click), wait for all answers, reveal. Returns clicks."""
    from pipeline import classroom as room

    clicks = 0
    for q in questions:
        opened = room.open_question(engine, code, secret, q.question, list(q.choices), q.answer, q.explanation,
                                    room.QuestionSource.WRITTEN)
        for page in pages:
            page.get_by_text(f"Question {opened.position}.").wait_for()
            letter = "ABCD"[random.randrange(len(q.choices))]
            page.get_by_test_id("stRadio").first.get_by_text(re.compile(f"^{letter}\\. ")).click()
            clicks += 1
            page.get_by_text(f"Your answer ({letter}) is in").wait_for()
        until(lambda o=opened: room.distribution(engine, code, secret, o.id).answered >= everyone,
              f"all {everyone} answers to question {opened.position}")
        room.reveal(engine, code, secret, opened.id)
    return clicks


def report(room, engine, code, secret, learners, sim_lat, browser_lat, idle, moving, usage, sent_browser,
           browsers, poll) -> None:
    polls = [s for x in learners for s in x.poll_s]
    errors = [e for x in learners for e in x.errors]
    print(f"teacher's change -> simulated learners ({len(learners)}): {stats(sim_lat)}")
    print(f"teacher's change -> browser learners ({browsers}, stage shown on the page): {stats(browser_lat)}")
    print(f"one poll of an unchanged class (state_if_changed, in this process, {len(polls)} polls): median "
          f"{statistics.median(polls) * 1000:.2f} ms, p95 {sorted(polls)[int(0.95 * (len(polls) - 1))] * 1000:.2f} ms")
    print(f"server while {browsers} browser learners only poll (10 s): CPU {idle[0]:.1f}% average, {idle[1]:.1f}% "
          f"peak; about {idle[0] / 100 * poll / max(browsers, 1) * 1000:.1f} ms CPU per poll; RSS {idle[2]:.0f} MB")
    print(f"server during the changes and questions: CPU {moving[0]:.1f}% average, {moving[1]:.1f}% peak "
          f"(1 s windows; 100% = one core); RSS peak {moving[2]:.0f} MB")
    print(f"errors in simulated learners: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
    csv_rows = room.results_csv(engine, code, secret).splitlines()[1:]
    recorded = sum(not row.endswith(",no answer") for row in csv_rows)
    sent = sum(x.sent for x in learners) + sent_browser
    print(f"answers recorded: {recorded}/{sent}")


if __name__ == "__main__":
    raise SystemExit(main())
