"""A learner keeps following whatever order the server's messages arrive in: the lost-learner race.

Under a burst, a full run's messages reach the browser late: its ``new_session`` (which clears the page's
fragment timers) first, its ``auto_rerun`` (which sets them again) later. A timer that fired in between sends
a rerun; Streamlit starts a new ScriptRunner for it and drops the rest of the finished run's messages as
coming from a "non-current" one: the page keeps no timer and, if following rested on that timer, never
follows again. ``held_server.py`` holds a learner's full-run messages after its ``new_session`` for a while;
the learner (a protocol tab, ``bench/stclient.py``) is a busy phone whose timers fire meanwhile.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pipeline.classroom import service, store

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from servers import free_port, stop, wait_healthy  # noqa: E402
from stclient import Tab  # noqa: E402

pytestmark = pytest.mark.e2e

HOLD_SECONDS, BUSY_SECONDS = 2.5, 0.6  # the late messages; when the busy page's timers fire after a run began
LOST_AFTER = 15.0  # the bench's limit: a move not shown by then is a learner lost


@pytest.fixture
def held_server(tmp_path: Path):
    port = free_port()
    env = {**os.environ, "PIPELINE_TRACE_DATA": str(tmp_path)}
    env.pop(store.URL_ENV, None)
    with (tmp_path / "server.log").open("w") as log:
        process = subprocess.Popen([sys.executable, "tests/e2e/held_server.py", str(port), str(HOLD_SECONDS)],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(port, process, timeout=90)
        yield f"http://127.0.0.1:{port}", store.open_engine(f"sqlite:///{tmp_path / store.DB_FILE}")
    finally:
        stop(process)


async def follow_three_moves(url: str, engine, code: str, secret: str) -> tuple[list[int], list]:
    tab = Tab(url, f"/?class={code}", race=BUSY_SECONDS)
    await tab.open()
    try:
        await tab.wait_for(lambda: "class-name" in tab.widgets, "the join dialog", 60)
        await tab.type_text("class-name", "Ana")
        await tab.wait_for(lambda: tab.runs_finished >= 2, "the name typed", 60)
        await tab.click("class-join")
        await tab.wait_for(lambda: bool(tab.stages), "the class's stage after joining", 120)
        shown = []
        for stage in (1, 2, 3):
            await asyncio.to_thread(service.set_stage, engine, code, secret, stage)
            try:
                await tab.wait_for(lambda s=stage: tab.stages[-1][1] == s + 1, f"stage {stage + 1}", LOST_AFTER)
            except TimeoutError:
                continue
            shown.append(stage + 1)
        await asyncio.sleep(HOLD_SECONDS + 1)  # every held message has arrived
        return shown, tab.armed()
    finally:
        await tab.close()


def test_a_learner_whose_run_output_is_late_follows_every_move_and_keeps_a_timer(held_server) -> None:
    url, engine = held_server
    info, secret = service.start_class(engine, "sequence-classification")
    with ThreadPoolExecutor(1) as thread:  # its own event loop: Playwright's sync API may hold this thread's
        shown, armed = thread.submit(asyncio.run, follow_three_moves(url, engine, info.code, secret)).result()
    assert shown == [2, 3, 4]  # every move shown within 15 s
    assert armed  # and the page still holds a timer that keeps it following
