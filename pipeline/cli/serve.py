"""``pipeline-trace serve``: the app with its safe settings, from any folder, warmed up while it starts.

Whatever the working folder, the server listens on 127.0.0.1 (``--public`` listens on every interface,
for a class behind a reverse proxy), caps uploads at the loaders' own limit, shows learners no
tracebacks, keeps XSRF protection on and collects no usage statistics. Once the first page has been
sent and drawn (``WARM_UP_DELAY`` later; or after ``WARM_UP_AFTER`` seconds with no visitor), a thread
imports torch and loads every lesson's default run from the run cache (training it once if it is not
there), so the next pages wait for neither -- and the first page, which needs neither, does not share the CPU with it.

A sweep thread deletes expired classes with their learners' names and answers every ``SWEEP_SECONDS`` (as the
README and the teacher's board promise): started with the server, or by the first page a plain ``streamlit run``
sends.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

APP = Path(__file__).resolve().parents[2] / "app.py"
UPLOAD_MB = 5  # the CSV loader's limit; trace files are far smaller still

SAFE_FLAGS: dict[str, Any] = {
    "server_headless": True,
    "server_maxUploadSize": UPLOAD_MB,
    "server_enableXsrfProtection": True,
    "server_runOnSave": False,
    "server_fileWatcherType": "none",
    "client_showErrorDetails": "none",
    "client_toolbarMode": "viewer",
    "browser_gatherUsageStats": False,
    # After every rerun Streamlit runs gc.collect(), which walks every torch object alive (~200 ms a
    # click here); Python's own generational GC still runs, and warm_up() freezes the long-lived
    # objects so those collections skip them (bench/app.py measures clicks and memory over 500 clicks).
    "runner_postScriptGC": False,
    # Pages write with st.* calls only; without "magic" a page's first run skips rewriting its syntax tree.
    "runner_magicEnabled": False,
}


def flags(port: int = 8501, public: bool = False) -> dict[str, Any]:
    """The Streamlit options ``serve`` starts with."""
    return {**SAFE_FLAGS, "server_port": port, "server_address": "0.0.0.0" if public else "127.0.0.1"}


def warm_up() -> None:
    """Import torch and every lesson, load their default runs (trained once if not cached), then freeze
    what is alive so later garbage collections do not walk it again."""
    # torch and the lessons once the first page is out (this module starts the server: it must not wait for them)
    import torch

    from pipeline.app.default_run import default_run
    from pipeline.lessons import all_lessons

    torch.set_num_threads(1)

    for lesson in all_lessons().values():
        default_run(lesson)
    gc.collect()
    gc.freeze()


def preload() -> None:
    """Import what pages need from many threads at once, in one thread, while the browser still fetches the app's
    scripts: NumPy, Plotly's figures and narwhals, pandas (with pyarrow: the Data flow's tables, and scikit-learn's
    digits loader at the warm-up) and Pillow (a drawn or uploaded digit). Pages wait for it (:func:`wait_preloaded`).

    Plotly and narwhals ask ``sys.modules`` whether pandas is there before converting a figure; while another
    thread is still importing pandas they find it half made and fail with "partially initialized module 'pandas'
    has no attribute 'Series'". A fresh server with a class arriving had 38-43 page runs fail so (the warm-up's
    digits loader importing pandas; bench/classroom.py at 200 learners), each printing a rich traceback that took
    a third of the pages' CPU. NumPy comes first, alone, for the same reason (two replicas, 200 learners)."""
    try:
        import narwhals.stable.v1  # noqa: F401  (Plotly's validators' dataframe layer)
        import numpy  # noqa: F401
        import pandas  # noqa: F401
        import PIL.Image  # noqa: F401
        import plotly.graph_objects  # noqa: F401
    finally:
        _preloaded.set()


PRELOAD_WAIT = 30.0  # seconds a page waits for the preload at most (it takes about 0.4 s on two cores)
_preloaded = threading.Event()
_preload_state = {"started": False}


def start_preload() -> None:
    """Start :func:`preload` in a thread (once per process)."""
    with _warm_up_lock:
        if _preload_state["started"]:
            return
        _preload_state["started"] = True
    threading.Thread(target=preload, name="pipeline-trace-preload", daemon=True).start()


def wait_preloaded() -> None:
    """Called before every page script (app.py): while the preload runs, wait for it; at once otherwise (and under
    a plain ``streamlit run``, which has none)."""
    if _preload_state["started"]:
        _preloaded.wait(PRELOAD_WAIT)


WARM_UP_AFTER = 20.0  # seconds after the server starts, if no page has been sent by then
# Seconds from the first page's script ending to the warm-up starting: the browser takes a few more to draw that
# page, and on two cores importing torch beside it made the cold start ~1 s slower (bench/app.py). A learner who
# opens a page that needs torch sooner imports it there; the warm-up then finds it loaded.
WARM_UP_DELAY = 4.0
_warm_up_lock = threading.Lock()
_warm_up_state = {"scheduled": False, "started": False}


def schedule_warm_up(after: float = WARM_UP_AFTER) -> None:
    """Warm up once the first page has been sent (:func:`page_sent`), or after ``after`` seconds."""
    _warm_up_state["scheduled"] = True
    timer = threading.Timer(after, page_sent)
    timer.daemon = True
    timer.start()


def page_sent() -> None:
    """Called after every page script (app.py): the first call starts the scheduled warm-up, once (and the sweep
    of expired classes, under a plain ``streamlit run``)."""
    if not _sweep_state["started"] and _in_a_server():
        start_sweep()
    if not _warm_up_state["scheduled"] or _warm_up_state["started"]:
        return
    with _warm_up_lock:
        if _warm_up_state["started"]:
            return
        _warm_up_state["started"] = True
    timer = threading.Timer(WARM_UP_DELAY, warm_up)  # the browser is still drawing that page meanwhile
    timer.name, timer.daemon = "pipeline-trace-warm-up", True
    timer.start()


SWEEP_ENV = "PIPELINE_TRACE_SWEEP_SECONDS"
SWEEP_SECONDS = 60.0  # an expired class is gone at most this long after its expiry
_sweep_state = {"started": False}


def sweep_every() -> float:
    """Seconds between two sweeps: ``PIPELINE_TRACE_SWEEP_SECONDS`` (at least 0.5), else ``SWEEP_SECONDS``."""
    raw = os.environ.get(SWEEP_ENV, "").strip()
    try:
        return max(0.5, float(raw)) if raw else SWEEP_SECONDS
    except ValueError:
        return SWEEP_SECONDS


def sweep_once() -> int:
    """Delete every expired class (names, answers and all); returns how many. A server that never held a class
    has no database to sweep, and gets none made for it."""
    from pipeline.classroom.where import DB_FILE, URL_ENV  # no SQLAlchemy: a server without classes never needs it
    from pipeline.paths import DATA_ENV, DEFAULT_DATA

    folder = Path(os.environ.get(DATA_ENV, "").strip() or DEFAULT_DATA).expanduser()
    if not os.environ.get(URL_ENV, "").strip() and not (folder / DB_FILE).exists():
        return 0
    from pipeline.classroom import engine_for, expire_classes  # only when there is a database to sweep

    return expire_classes(engine_for())


def _in_a_server() -> bool:
    """Whether this process is a Streamlit server (not AppTest, which runs pages without one)."""
    from streamlit.runtime import Runtime

    return Runtime.exists()


def start_sweep() -> None:
    """Sweep expired classes every :func:`sweep_every` seconds, in a daemon thread (once per process): the first
    sweep waits as long too, so it never competes with the page the server was started to paint."""
    with _warm_up_lock:
        if _sweep_state["started"]:
            return
        _sweep_state["started"] = True

    def loop() -> None:
        while True:
            time.sleep(sweep_every())
            try:
                sweep_once()
            except Exception as e:  # a database that is down now: the next sweep tries again
                print(f"pipeline-trace: sweeping expired classes failed: {e}", file=sys.stderr)

    threading.Thread(target=loop, name="pipeline-trace-sweep", daemon=True).start()


# Seconds a thread holds the GIL while another waits for it (Python's default: 0.005). A page's run sends each element
# to the event loop through a socket write that lets the GIL go; getting it back took up to 5 ms while other runs
# computed, for each of a stage's 20-30 elements. At 200 learners following a move: follow p95 1.87 s at 1 ms
# against 2.29 s at 5 ms (bench/classroom.py, one run each, --moves 3).
SWITCH_INTERVAL = 0.001


def keep_config_sections() -> None:
    """Read each section of Streamlit's settings once, not at every run.

    Every script run -- a learner's pushed stage included -- starts with a ``new_session`` message that carries the
    theme, which Streamlit builds by walking all of its ~200 settings for each theme section: 8.6 % of the server's
    CPU while 200 learners followed a move (py-spy, bench/classroom.py). Under ``serve`` the settings are fixed
    once the server starts (no file watcher, no rerun on save); should Streamlit ever parse them again, what was
    kept is dropped. Each caller gets its own copy of the section."""
    from streamlit import config

    read = config.get_options_for_section
    if getattr(read, "kept", None) is not None:
        return
    kept: dict[str, dict[str, Any]] = {}

    def options_for_section(section: str) -> dict[str, Any]:
        if section not in kept:
            kept[section] = read(section)
        return dict(kept[section])

    options_for_section.kept = kept  # type: ignore[attr-defined]
    config.get_options_for_section = options_for_section
    config.on_config_parsed(kept.clear, force_connect=True)


def keep_theme_messages() -> None:
    """Make each theme section's part of Streamlit's ``new_session`` message once, not at every run.

    Streamlit fills the theme into every run's ``new_session`` (a pushed stage's too) from the settings, option by
    option (a name converted to snake case for each): 3.4 % of the server's CPU while 200 learners followed a move,
    with the sections themselves already kept (py-spy, bench/classroom.py). Each section's message is made once
    into an empty message of its type and merged into the (empty) one being filled; it is made again after
    Streamlit parses its settings again."""
    from streamlit import config
    from streamlit.runtime import app_session

    fill = app_session._populate_theme_msg
    if getattr(fill, "kept", None) is not None:
        return
    kept: dict[tuple[type, str], Any] = {}

    def populate_theme_msg(msg: Any, section: str = "theme") -> None:
        made = kept.get((type(msg), section))
        if made is None:
            made = kept[type(msg), section] = type(msg)()
            fill(made, section)
        if made.ListFields():  # a section with nothing set leaves the message as it was: not even present
            msg.MergeFrom(made)

    populate_theme_msg.kept = kept  # type: ignore[attr-defined]
    app_session._populate_theme_msg = populate_theme_msg
    config.on_config_parsed(kept.clear, force_connect=True)


def serve(port: int = 8501, public: bool = False, warm: bool = True) -> int:
    """Run the app until interrupted; returns an exit code."""
    if not APP.is_file():
        raise FileNotFoundError(f"serve runs the app from a checkout of the project: {APP} is missing")
    if public:
        os.environ["PIPELINE_TRACE_PUBLIC"] = "1"  # the app refuses a non-local address unless told so
    options = flags(port, public)
    sys.setswitchinterval(SWITCH_INTERVAL)
    from streamlit import config
    from streamlit.web import bootstrap

    config._main_script_path = str(APP)  # config and secrets are looked up beside the app, not in the cwd
    bootstrap.load_config_options(flag_options=options)
    keep_config_sections()
    keep_theme_messages()
    start_sweep()
    if warm:
        schedule_warm_up()
        start_preload()
    bootstrap.run(str(APP), False, [], options)
    return 0
