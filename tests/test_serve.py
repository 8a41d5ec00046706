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


@pytest.fixture
def fresh_preload(monkeypatch) -> threading.Event:
    """A preload that runs until the returned event is set."""
    release = threading.Event()

    def slow_preload() -> None:
        release.wait(10)
        serve._preloaded.set()

    monkeypatch.setattr(serve, "preload", slow_preload)
    monkeypatch.setattr(serve, "_preload_state", {"started": False})
    monkeypatch.setattr(serve, "_preloaded", threading.Event())
    return release


def test_pages_wait_for_a_running_preload_and_not_without_one(fresh_preload) -> None:
    serve.wait_preloaded()  # none started (streamlit run, AppTest): at once, although nothing is loaded
    serve.start_preload()
    serve.start_preload()  # once per process
    page = threading.Thread(target=serve.wait_preloaded)
    page.start()
    page.join(0.3)
    assert page.is_alive()  # the page waits while its imports are still being made
    fresh_preload.set()
    page.join(5)
    assert not page.is_alive()


# What Plotly (figures' to_dict), narwhals and Streamlit look up in sys.modules without importing: a module another
# thread is still importing is found half made there ("partially initialized module 'pandas'").
LOOKED_UP = {"pandas", "pyarrow", "polars", "modin", "cudf", "dask", "xarray", "PIL", "ibis", "duckdb", "pyspark",
             "sqlframe", "numpy", "narwhals", "IPython"}
LATER_IMPORTS = """
import sys
from pipeline.cli import serve
serve.preload()
before = {name.split(".")[0] for name in sys.modules}
import torch
from pipeline.lessons import all_lessons
from pipeline.data.images import digits
all_lessons()
digits()  # the warm-up loads the digit lesson's data through scikit-learn
print(" ".join(sorted({name.split(".")[0] for name in sys.modules} - before)))  # packages new at the top
"""


def test_what_loads_after_the_preload_holds_no_module_plotly_looks_up() -> None:
    """The warm-up imports torch, the lessons and scikit-learn while pages draw figures: none of what it brings may
    be a module Plotly or narwhals find in ``sys.modules`` (the preload makes those first)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", LATER_IMPORTS], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    later = set(done.stdout.split())
    assert "sklearn" in later  # the check sees the warm-up's imports
    assert later & LOOKED_UP == set()


THEMES = """
import sys
from pathlib import Path
from streamlit import config
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime import app_session
from streamlit.web import bootstrap
from pipeline.cli import serve

config._main_script_path = str(serve.APP)
bootstrap.load_config_options(flag_options={})
config.set_option("theme.sidebar.backgroundColor", "#fafafa")
fill, made = app_session._populate_theme_msg, []


def counted(msg, section="theme"):
    made.append(section)
    fill(msg, section)


def new_session():  # the theme's part of a run's new_session, filled as Streamlit fills it
    msg = ForwardMsg()
    theme = msg.new_session.custom_theme
    for part, section in ((theme, "theme"), (theme.light, "theme.light"), (theme.dark, "theme.dark"),
                          (theme.sidebar, "theme.sidebar"), (theme.light.sidebar, "theme.light.sidebar")):
        app_session._populate_theme_msg(part, section)
    return msg.SerializeToString()


app_session._populate_theme_msg = counted
before = new_session()
serve.keep_config_sections()
serve.keep_theme_messages()
made.clear()
runs = [new_session() for _ in range(3)]
print(len(before) > 40, all(run == before for run in runs), len(made))
config._on_config_parsed.send()  # Streamlit read its settings again: the messages are made anew
new_session()
print(len(made))
"""


def test_the_theme_is_filled_into_every_run_as_streamlit_fills_it_and_made_once() -> None:
    """``keep_theme_messages``: every run's ``new_session`` carries the same theme as Streamlit's own filling gives
    (the project's light theme, a sidebar colour), made once per section -- again after the settings are read
    again."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", THEMES], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "5", "10"]
