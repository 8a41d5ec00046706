"""Benchmark a lecture hall: a teacher and N learners speaking Streamlit's browser protocol to the real server.

    python bench/classroom.py --learners 30 100 200 [--moves 5] [--gap 8] [--browsers 2] [--replicas 2 [--db-url URL]]

For each class size, fresh ``pipeline-trace serve`` processes start on 127.0.0.1 (one, or ``--replicas`` on one
database and one data folder, each on its own port). Every learner is a :class:`stclient.Tab`: a websocket
session that opens the QR link ``/?class=CODE`` on a server (learners split evenly), types a name in the join
dialog and clicks Join, then keeps every fragment auto-rerun timer exactly as Streamlit's frontend does. They
arrive over ``--arrive`` seconds, as a room scanning the QR code does. ``--browsers`` more learners are real
phone-sized pages in headless Chromium (a cross-check of the protocol learners). The teacher is a tab too, on
the first server: it starts the class on the Class page, opens the Prediction page and clicks Next ``--moves``
times, ``--gap`` seconds apart.

Reported per class size: how many joined and how long joining took (open to the class's stage shown); the
follow time of each move (the teacher's click to each learner's new "Stage k of 7" heading) as median, p95
and max; follows not shown within 15 s; learners no longer following at the end (no class-bar timer armed,
or the last move never shown); each server's CPU at rest (``--rest`` seconds, nobody moving) and during the
moves (100 % = one core), and its peak RSS. Loopback only; every wait is bounded; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from servers import free_port, process_cpu_seconds, stop, wait_healthy, wait_quiet
from stclient import Tab

from pipeline.cli.serve import WARM_UP_DELAY

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("PIPELINE_TRACE_CHROMIUM", "/usr/bin/chromium")
# Each real learner has a phone with the class in the foreground: no background-tab timer throttling.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-background-timer-throttling",
                 "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning'][data-test-connection-state='CONNECTED']"
LOST_AFTER = 15.0  # seconds: a follow not shown by then is counted lost
JOIN_WITHIN = 180.0
CAP = 400  # the class cap on the bench's servers: every learner and Chromium learner gets in
WATCH = """n => { window.__seen = window.__seen || {}; const id = setInterval(() => {
    if (document.body.innerText.includes(`Stage ${n} of`)) { window.__seen[n] = Date.now(); clearInterval(id); }
}, 25); }"""


@dataclass
class Server:
    """One ``pipeline-trace serve`` process and its CPU and memory, sampled every half second."""

    port: int
    process: subprocess.Popen
    samples: list[tuple[float, float, float]] = field(default_factory=list)  # (when, CPU s, RSS MB)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sample(self) -> None:
        try:
            rss = next(int(line.split()[1]) for line in Path(f"/proc/{self.process.pid}/status").read_text()
                       .splitlines() if line.startswith("VmRSS:")) / 1024
        except (OSError, StopIteration):
            return
        self.samples.append((time.monotonic(), process_cpu_seconds(self.process.pid), rss))

    def cpu(self, start: float, end: float) -> float:
        """Average CPU % of one core over [start, end]."""
        inside = [s for s in self.samples if start <= s[0] <= end]
        if len(inside) < 2:
            return float("nan")
        return 100 * (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])

    def rss(self) -> float:
        return max((s[2] for s in self.samples), default=float("nan"))


@contextmanager
def servers(count: int, data: str, db_url: str | None):
    """``count`` serve processes on one data folder (and one database, if given); stopped on the way out."""
    env = {**os.environ, "PIPELINE_TRACE_DATA": data, "PIPELINE_TRACE_CLASS_CAP": str(CAP)}
    env.pop("PIPELINE_TRACE_DB_URL", None)
    if db_url:
        env["PIPELINE_TRACE_DB_URL"] = db_url
    started: list[Server] = []
    stopping = threading.Event()
    try:
        for i in range(count):
            port = free_port()
            log = Path(data) / f"server-{i}.log"
            with log.open("w") as out:
                process = subprocess.Popen([sys.executable, "-m", "pipeline", "serve", "--port", str(port)], cwd=ROOT,
                                           env=env, stdout=out, stderr=subprocess.STDOUT)
            started.append(Server(port, process))
            wait_healthy(port, process)

        def sampler() -> None:
            while not stopping.wait(0.5):
                for server in started:
                    server.sample()

        threading.Thread(target=sampler, daemon=True).start()
        yield started
    finally:
        stopping.set()
        for i, server in enumerate(started):
            stop(server.process)
            kept = Path(tempfile.gettempdir()) / f"class-bench-server-{i}.log"  # the data folder goes with the run
            kept.write_bytes((Path(data) / f"server-{i}.log").read_bytes())


@contextmanager
def database(url: str | None):
    """``url`` with a fresh PostgreSQL schema of its own (dropped afterwards), or None for SQLite."""
    if not url:
        yield None
        return
    from sqlalchemy import create_engine, make_url, text
    from sqlalchemy.pool import NullPool

    schema = f"pt_bench_{secrets.token_hex(4)}"
    admin = create_engine(url, poolclass=NullPool)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


async def warm(server: Server) -> None:
    """Open a first page on the server and wait for its warm-up (torch and every lesson's default run: trained on
    this fresh data folder) to end: a class meets a server its teacher started before the lesson, not one that is
    still training its models."""
    await asyncio.to_thread(wait_quiet, server.process.pid)
    tab = Tab(server.url, "/")
    await tab.open()
    await tab.wait_for(lambda: tab.runs_finished >= 1, "the first page", 120)
    await tab.close()
    await asyncio.sleep(WARM_UP_DELAY + 1)
    await asyncio.to_thread(wait_quiet, server.process.pid, 0.05, 600)


async def teacher_opens(server: Server) -> tuple[Tab, str]:
    """The teacher starts a class on the Class page and opens the Prediction page. Returns (tab, code)."""
    tab = Tab(server.url, "/class_session")
    await tab.open()
    await tab.wait_for(lambda: "class-start" in tab.widgets, "the Start button", 120)
    await tab.click("class-start")
    await tab.wait_for(lambda: any(b.startswith("# Class code") for _, b in tab.seen), "the class code", 60)
    code = next(b for _, b in tab.seen if b.startswith("# Class code")).split("**")[1]
    await tab.go_to("prediction")
    await tab.wait_for(lambda: bool(tab.stages) and "next" in tab.widgets, "the teacher's stepper", 180)
    return tab, code


async def learner_joins(server: Server, code: str, name: str, delay: float) -> tuple[Tab, float | None]:
    """Open the QR link after ``delay`` s, join through the dialog; (tab, seconds to the class's stage or None)."""
    await asyncio.sleep(delay)
    tab = Tab(server.url, f"/?class={code}")
    started = time.monotonic()
    try:
        await tab.open()
        await tab.wait_for(lambda: "class-name" in tab.widgets, "the join dialog", JOIN_WITHIN)
        for attempt in range(2):  # a learner whose typing came to nothing types again
            await tab.type_text("class-name", name)
            try:
                await tab.wait_for(lambda: tab.runs_finished >= 2, "the name typed", JOIN_WITHIN / 6)
                break
            except TimeoutError:
                tab.errors.append(f"join: the name typed came to nothing (try {attempt + 1})")
        await tab.click("class-join")
        await tab.wait_for(lambda: bool(tab.stages) and tab.saw(f"**Class {code}** · "), "the class bar and stage",
                           JOIN_WITHIN)
    except (TimeoutError, OSError) as e:
        tab.errors.append(f"join: {e}")
        return tab, None
    return tab, time.monotonic() - started


async def browser_learners(playwright, url: str, code: str, count: int):
    """Phone-sized Chromium pages that open the join link and join through the dialog, as learners do."""
    if count == 0:
        return None, []
    browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    pages = []
    for i in range(count):
        page = await (await browser.new_context(viewport={"width": 390, "height": 844})).new_page()
        page.set_default_timeout(JOIN_WITHIN * 1000)
        await page.goto(f"{url}/?class={code}")
        await page.wait_for_selector(IDLE)
        dialog = page.get_by_role("dialog")
        await dialog.get_by_label("Your name").fill(f"Browser {i + 1}")
        await dialog.get_by_label("Your name").press("Enter")
        await page.wait_for_timeout(500)
        await dialog.get_by_role("button", name="Join", exact=True).click()
        try:
            await page.get_by_text("Stage 1 of").first.wait_for()
        except Exception as e:  # said in the report, not fatal: the protocol learners are the measure
            print(f"Chromium learner {i + 1} did not join: {str(e).splitlines()[0]}")
            await page.screenshot(path=str(Path(tempfile.gettempdir()) / f"class-bench-browser-{i + 1}.png"))
            continue
        pages.append(page)
    return browser, pages


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))] if ordered else float("nan")


@dataclass
class Result:
    """One class size's figures."""

    learners: int
    replicas: int
    joined: int
    join_s: list[float]
    follows: list[float]
    lost: int
    moves: int
    not_following: int
    rest_cpu: list[float]
    move_cpu: list[float]
    rss: list[float]
    browser_follows: list[float]
    load: tuple[float, float]
    errors: list[str]
    client_cpu: float  # this bench's own CPU during the moves, % of one core (it shares the machine's cores)


async def one_class(args: argparse.Namespace, n: int, data: str, db_url: str | None) -> Result:
    from playwright.async_api import async_playwright

    load_before = os.getloadavg()[0]
    with servers(args.replicas, data, db_url) as running:
        for server in running:
            await warm(server)
        teacher, code = await teacher_opens(running[0])
        joins = await asyncio.gather(*(learner_joins(running[i % len(running)], code, f"Learner {i + 1}",
                                                     random.uniform(0, args.arrive)) for i in range(n)))
        tabs = [tab for tab, _ in joins]
        join_s = [s for _, s in joins if s is not None]
        async with async_playwright() as playwright:
            browser, pages = await browser_learners(playwright, running[0].url, code, args.browsers)
            await asyncio.sleep(5)  # the last joins' pages settle
            rest_start = time.monotonic()
            await asyncio.sleep(args.rest)
            rest_end = time.monotonic()
            print(f"{n} learners: {len(join_s)} joined, {len(pages)} Chromium; the teacher moves now", flush=True)
            made, browser_follows, client_cpu = [], [], time.process_time()
            runs_before = sum(t.full_runs for t in tabs), sum(t.fragment_runs for t in tabs)
            for _ in range(args.moves):
                stage = teacher.stages[-1][1] + 1
                for page in pages:
                    await page.evaluate(WATCH, stage)
                made.append((time.monotonic(), time.time(), stage))
                await teacher.click("next")
                await asyncio.sleep(args.gap)
            moves_end, client_cpu = time.monotonic(), time.process_time() - client_cpu
            await asyncio.sleep(max(0.0, LOST_AFTER - args.gap))  # the last move's stragglers
            print(f"{n} learners: page runs during the moves: {sum(t.full_runs for t in tabs) - runs_before[0]} whole, "
                  f"{sum(t.fragment_runs for t in tabs) - runs_before[1]} fragment")
            follows, lost, per_move = [], 0, []
            for t0, wall0, stage in made:
                per_move.append(len(follows))
                for tab in (t for t in tabs if t.stages):  # a learner who never joined is counted there
                    seen = [at - t0 for at, k in tab.stages if k == stage and at >= t0]
                    if seen and seen[0] <= LOST_AFTER:
                        follows.append(seen[0])
                    else:
                        lost += 1
                for page in pages:
                    shown = await page.evaluate(f"() => (window.__seen || {{}})[{stage}]")
                    if shown:
                        browser_follows.append(shown / 1000 - wall0)
            per_move = [follows[a:b] for a, b in zip(per_move, [*per_move[1:], len(follows)], strict=True)]
            print(f"{n} learners: follow median / max of each move: " + ", ".join(
                f"{statistics.median(m):.2f} / {max(m):.2f}" for m in per_move if m))
            last = made[-1][2]
            stopped = [tab for tab in tabs if tab.stages and (
                not any(k == last for _, k in tab.stages) or not any(i >= 1 for _, i in tab.armed()))]
            not_following = len(stopped)
            for tab in stopped:  # what the bench saw of each, to tell why
                print(f"not following at the end: stages {[k for _, k in tab.stages][-6:]}, timers {tab.armed()}, "
                      f"runs {tab.full_runs} full + {tab.fragment_runs} fragment, errors {tab.errors[:2]}")
            if browser is not None:
                await browser.close()
        for tab in (teacher, *tabs):
            await tab.close()
        errors = [e for tab in tabs for e in tab.errors]
        return Result(n, args.replicas, len(join_s), join_s, follows, lost, args.moves, not_following,
                      [s.cpu(rest_start, rest_end) for s in running],
                      [s.cpu(rest_end, moves_end) for s in running], [s.rss() for s in running],
                      browser_follows, (load_before, os.getloadavg()[0]), errors,
                      100 * client_cpu / (moves_end - rest_end))


def row(r: Result) -> str:
    f = r.follows
    follow = f"{statistics.median(f):.2f} / {percentile(f, 0.95):.2f} / {max(f):.2f} s" if f else "none"
    joins = f"{statistics.median(r.join_s):.1f} / {max(r.join_s):.1f} s" if r.join_s else "none"
    cpu = " + ".join(f"{c:.0f}" for c in r.rest_cpu)
    moving = " + ".join(f"{c:.0f}" for c in r.move_cpu)
    rss = " + ".join(f"{m:.0f}" for m in r.rss)
    return (f"| {r.learners} | {r.replicas} | {r.joined} | {joins} | {follow} | {r.lost} / {r.learners * r.moves} | "
            f"{r.not_following} | {cpu} % | {moving} % | {rss} | {r.load[0]:.1f} → {r.load[1]:.1f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, nargs="+", default=[30], help="class sizes (default 30)")
    parser.add_argument("--moves", type=int, default=5, help="Next clicks by the teacher (default 5)")
    parser.add_argument("--gap", type=float, default=8.0, help="seconds between two moves (default 8)")
    parser.add_argument("--arrive", type=float, default=30.0, help="learners open the link over this many s")
    parser.add_argument("--rest", type=float, default=15.0, help="seconds of rest measured before the moves")
    parser.add_argument("--browsers", type=int, default=2, help="Chromium learners, a cross-check (default 2)")
    parser.add_argument("--replicas", type=int, default=1, help="serve processes on one database (default 1)")
    parser.add_argument("--db-url", default=os.environ.get("PIPELINE_TRACE_TEST_PG_URL", ""),
                        help="PostgreSQL URL for the replicas, default $PIPELINE_TRACE_TEST_PG_URL (so that no "
                             "password is in the command a saved output shows); a fresh schema is used")
    parser.add_argument("--sqlite", action="store_true", help="one server on SQLite even if a URL is set")
    args = parser.parse_args()
    if not all(1 <= n <= 300 for n in args.learners) or not 1 <= args.moves <= 6 or not 1 <= args.replicas <= 4 \
            or not 0 <= args.browsers <= 4 or not 2 <= args.gap <= 30:
        parser.error("learners 1-300, moves 1-6, replicas 1-4, browsers 0-4, gap 2-30 s")
    if args.sqlite or args.replicas == 1:
        args.db_url = ""  # one server: the default store, SQLite in the data folder
    if args.replicas > 1 and not args.db_url:
        parser.error("--replicas needs --db-url (a PostgreSQL database both servers share)")
    print(f"cores {len(os.sched_getaffinity(0))}; {args.replicas} server(s) on "
          f"{'PostgreSQL' if args.db_url else 'SQLite'}; teacher's Next clicks {args.moves}, {args.gap:g} s apart; "
          f"learners arrive over {args.arrive:g} s; {args.browsers} Chromium learners on the first server")
    results = []
    with tempfile.TemporaryDirectory(prefix="pipeline-trace-class-bench-") as data, database(args.db_url) as url:
        for n in args.learners:
            results.append(asyncio.run(one_class(args, n, data, url)))
            r = results[-1]
            print(f"{n} learners done: {row(r)}; this bench's own CPU during the moves: {r.client_cpu:.0f} %",
                  flush=True)
            if r.errors:
                print(f"{n} learners: {len(r.errors)} client errors, first: {r.errors[0]}")
            if r.browser_follows:
                print(f"{n} learners: Chromium learners' follows: median {statistics.median(r.browser_follows):.2f} s, "
                      f"max {max(r.browser_follows):.2f} s (n={len(r.browser_follows)})")
            for log in Path(data).glob("server-*.log"):
                text = re.sub(r"\x1b\[[0-9;]*m", "", log.read_text())
                errors = [line.strip(" │") for line in text.splitlines()
                          if re.match(r"^\s*\w+(Error|Exception)\b", line)]
                if errors:
                    print(f"{log.name}: {len(errors)} exception(s) in page runs, the last: {errors[-1][:300]}")
    print("\n| learners | servers | joined | join median / max | follow median / p95 / max | follows not shown within "
          "15 s | no longer following at the end | server CPU at rest (one core) | during moves | RSS MB | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(row(r))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
