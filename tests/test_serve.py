"""`pipeline-trace serve` warms up after the first page is sent (or after a while with no visitor), once."""

from __future__ import annotations

import threading

import pytest

from pipeline.cli import serve


class WarmUps(list):
    """The threads a warm-up ran in; ``done`` is set by the first."""

    def __init__(self) -> None:
        super().__init__()
        self.done = threading.Event()

    def __call__(self) -> None:
        self.append(threading.current_thread().name)
        self.done.set()


@pytest.fixture
def warm_ups(monkeypatch) -> WarmUps:
    started = WarmUps()
    monkeypatch.setattr(serve, "warm_up", started)
    monkeypatch.setattr(serve, "_warm_up_state", {"scheduled": False, "started": False})
    monkeypatch.setattr(serve, "WARM_UP_DELAY", 0.05)
    return started


def test_the_first_page_starts_the_warm_up_and_later_pages_do_not(warm_ups) -> None:
    serve.page_sent()
    assert not warm_ups.done.wait(0.2)  # not scheduled (streamlit run, AppTest): nothing happens
    serve.schedule_warm_up(after=3600)
    for _ in range(5):
        serve.page_sent()
    assert warm_ups.done.wait(5)
    assert warm_ups == ["pipeline-trace-warm-up"]


def test_with_no_visitor_the_timer_starts_it(warm_ups) -> None:
    serve.schedule_warm_up(after=0.05)
    assert warm_ups.done.wait(5)
    serve.page_sent()
    assert len(warm_ups) == 1
