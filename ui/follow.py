"""Learners follow the teacher by push: the server reruns just what moved on each following learner's page.

Following by Streamlit's own means -- a fragment's ``run_every`` timer asking the database -- costs every
learner a rerun every poll (200 learners: 130 reruns a second, 4-7 ms of the one GIL each), brings the
class into step (a move makes every page rerun at once, and every timer restarts together), and rests on
a timer that lives in the browser: under a burst Streamlit drops a finished run's messages as coming from
a "non-current ScriptRunner", the page keeps that run's ``new_session`` (which clears its timers) and never
gets its ``auto_rerun``, and it never polls again.

Here, one :class:`~pipeline.classroom.watch.ClassWatch` per server process notices a move (one query for
all its classes, four times a second), and the :class:`Hub` asks Streamlit, on its event loop, to rerun on
each following learner's session the part that moved:

- the stage fragment (the one that calls ``ui.state.sync_link``: the Prediction page's stepper) when only
  the stage moved -- :func:`ui.classroom.on_view` moves the stepper inside that run;
- the class bar fragment when the open question changed, or a learner was renamed or removed; and on the
  Prediction page the stage fragment too when a guess is asked or revealed (the stage it hides hides or shows);
- the whole page when the lesson, model or input changed, or the class ended.

Pushes go out a few at a time (``IN_FLIGHT``), in a new random order at each move, and only to a session
with no script running: never a new ScriptRunner while an old one's messages are still on their way. Each
learner's class bar also keeps a slow watchdog timer, re-armed at every run of the bar, so a push that is
ever missed is caught up within ``WATCHDOG_SECONDS``.

This leans on Streamlit's runtime (``Runtime.get_app_session``, ``AppSession.request_rerun``, its event
loop, pinned in constraints.txt). :func:`available` says whether they are there; without them the class bar
polls at ``POLL_SECONDS`` as before.
"""

from __future__ import annotations

import asyncio
import os
import random
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.classroom.views import ClassState

IN_FLIGHT = int(os.environ.get("PIPELINE_TRACE_PUSH_IN_FLIGHT", "2"))  # pushed reruns running at once (see bench)
UNSENT = int(os.environ.get("PIPELINE_TRACE_PUSH_UNSENT", "4"))  # pushed sessions whose messages are not all out
BUSY_WAIT_SECONDS = 10.0  # a session running a script this long gets no push: its watchdog catches up
FULL = ""  # "rerun the whole page" (no fragment)

View = tuple[str, str, str, int]  # lesson, run key, input text, stage


def view_of(state: ClassState) -> View:
    return state.lesson, state.run_key, state.text, state.stage


Question = tuple[int, bool, int | None]  # the open question's id, whether it is revealed, the stage a guess is about


def question_of(state: ClassState | None) -> Question | None:
    q = state.question if state is not None else None
    return None if q is None else (q.id, q.revealed, q.stage)


@dataclass
class Follower:
    """One learner's session as the hub knows it: what its page shows now, and which fragments redraw what."""

    session_id: str
    code: str
    following: bool
    page: str = ""
    view: View | None = None  # the class's view this page shows (when following)
    question: Question | None = None  # the open question its bar shows
    version: int = 0  # the class version its bar last read
    stage_fragment: str = ""  # the fragment that draws the stage (on the Prediction page)
    bar_fragment: str = ""  # the class bar's fragment
    pushed_at: float = -1e9  # when the hub last asked this session to rerun (time.monotonic())
    pushed: tuple[str, ...] = ()  # what the hub last asked this session to rerun (fragment ids, FULL)
    again: bool = False  # push ``pushed`` once more at the next round (its messages may have been dropped)


def plan(f: Follower, state: ClassState | None, roster_version: int) -> list[str]:
    """What to rerun on ``f``'s page for ``state``: fragment ids, ``[FULL]`` for the page, ``[]`` for nothing."""
    if state is None or state.ended:
        return [FULL]
    parts = []
    if f.following and f.view != view_of(state):
        if f.view is not None and f.view[:3] == view_of(state)[:3] and f.page == "prediction" and f.stage_fragment:
            parts.append(f.stage_fragment)
        else:
            return [FULL]
    if f.question != question_of(state) or f.version < roster_version:
        if not f.bar_fragment:
            return [FULL]
        if f.page == "prediction" and f.question != question_of(state) and _guess(f.question, question_of(state)) \
                and f.stage_fragment not in parts:
            if not f.stage_fragment:
                return [FULL]
            parts.append(f.stage_fragment)  # a guess asked, revealed or closed: its stage hides or shows
        parts.append(f.bar_fragment)
    return parts


def _guess(*questions: Question | None) -> bool:
    """Whether any of ``questions`` is a guess about a stage (which a learner's Prediction page hides until the
    reveal)."""
    return any(q is not None and q[2] is not None for q in questions)


def available() -> bool:
    """Whether this Streamlit has what pushing needs (a runtime whose sessions can be asked to rerun)."""
    try:
        from streamlit.runtime import Runtime
        from streamlit.runtime.app_session import AppSession
    except ImportError:
        return False
    return Runtime.exists() and all(hasattr(AppSession, a) for a in ("request_rerun", "_create_scriptrunner"))


class Hub:
    """The followers of every class in this process, and the pushes to them (see the module docstring)."""

    def __init__(self, engine: Any) -> None:
        from pipeline.classroom.watch import ClassWatch  # SQLAlchemy: once a class is followed, not at first paint

        self.watch = ClassWatch(engine, on_change=self._moved)
        self._followers: dict[str, Follower] = {}
        self._roster: dict[str, int] = {}  # code -> version of its last rename or removal
        self._previous: dict[str, ClassState | None] = {}  # code -> the state the last move left
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Future] = set()
        self._dispatching: dict[str, bool] = {}  # code -> "moved again while pushing"
        self.pushed: Counter[str] = Counter()  # "stage", "bar", "page", "waited", "gone": for tests and benches
        self.watch.start()

    def enter(self, f: Follower, state: ClassState, session: Any) -> None:
        """A learner's full run: remember what their page shows (and learn the server's event loop)."""
        self._loop = self._loop or getattr(session, "_event_loop", None)
        with self._lock:
            old = self._followers.get(f.session_id)
            if old is not None:
                f.stage_fragment = f.stage_fragment or (old.stage_fragment if old.page == f.page else "")
            if old is None or old.code != f.code:
                self.watch.follow(f.code, state)
                if old is not None:
                    self.watch.unfollow(old.code)
            self._followers[f.session_id] = f

    def update(self, session_id: str, **fields: Any) -> None:
        with self._lock:
            f = self._followers.get(session_id)
            if f is not None:
                for name, value in fields.items():
                    setattr(f, name, value)

    def follower(self, session_id: str) -> Follower | None:
        return self._followers.get(session_id)

    def leave(self, session_id: str) -> None:
        with self._lock:
            f = self._followers.pop(session_id, None)
        if f is not None:
            self.watch.unfollow(f.code)

    def latest(self, code: str) -> ClassState | None:
        return self.watch.latest(code)

    def redraw(self, session_id: str) -> None:
        """Push to this session again what was last pushed to it (the stage, the bar, or the whole page), as soon as
        it is idle and its messages are out."""
        with self._lock:
            f = self._followers.get(session_id)
            if f is None:
                return
            f.again = True
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._kick, f.code)

    def pushing(self, code: str) -> bool:
        """Whether a round of pushes to the followers of ``code`` is under way (a move is on its way to them)."""
        return code in self._dispatching

    def moved_here(self) -> None:
        """The teacher moved in this process: look now rather than at the next tick."""
        self.watch.poke()

    def followers(self, code: str) -> list[Follower]:
        with self._lock:
            return [f for f in self._followers.values() if f.code == code]

    # -- on the watch's thread, then on Streamlit's event loop --------------------------------------------------

    def _moved(self, code: str, state: ClassState | None) -> None:
        previous, self._previous[code] = self._previous.get(code), state
        if previous is not None and state is not None and view_of(previous) == view_of(state) \
                and question_of(previous) == question_of(state) and previous.ended == state.ended:
            self._roster[code] = state.version  # nothing the class sees moved: a learner was renamed or removed
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._kick, code)

    def _kick(self, code: str) -> None:
        if code in self._dispatching:
            self._dispatching[code] = True
            return
        self._dispatching[code] = False
        self._tasks.add(task := asyncio.ensure_future(self._dispatch(code)))
        task.add_done_callback(self._tasks.discard)

    async def _dispatch(self, code: str) -> None:
        try:
            while True:
                await self._push_round(code)
                if not self._dispatching.get(code):
                    return
                self._dispatching[code] = False
        finally:
            self._dispatching.pop(code, None)

    async def _push_round(self, code: str) -> None:
        from streamlit.runtime import Runtime

        runtime = Runtime.instance()
        todo = deque((f.session_id, time.monotonic() + BUSY_WAIT_SECONDS) for f in self.followers(code))
        random.shuffle(todo)  # a new order at every move: nobody is always last
        running: list[Any] = []  # pushed, and not yet sent out
        while todo or running:
            running = [s for s in running if _busy(s)]
            for _ in range(len(todo)):
                if sum(map(_running, running)) >= IN_FLIGHT or len(running) >= UNSENT:
                    break
                session_id, deadline = todo.popleft()
                session = runtime.get_app_session(session_id)
                if session is None:  # the tab closed and Streamlit let the session go
                    self.pushed["gone"] += 1
                    self.leave(session_id)
                    continue
                if _busy(session):
                    if time.monotonic() < deadline:
                        todo.append((session_id, deadline))
                    else:
                        self.pushed["waited"] += 1
                    continue
                f = self.follower(session_id)
                parts = [] if f is None else again(f) if f.again else \
                    plan(f, self.latest(code), self._roster.get(code, 0))
                if parts:
                    f.pushed_at, f.pushed, f.again = time.monotonic(), tuple(parts), False
                for fragment_id in parts:
                    _rerun(session, fragment_id)
                    self.pushed["page" if fragment_id == FULL else "stage" if fragment_id == f.stage_fragment
                                else "bar"] += 1
                if parts:
                    running.append(session)
            await asyncio.sleep(0.002)


def again(f: Follower) -> list[str]:
    """What to push once more to ``f`` after a push whose messages may have been dropped: the same fragments while
    its page still has them, else the whole page."""
    known = {f.stage_fragment, f.bar_fragment} - {FULL}
    return list(f.pushed) if f.pushed and set(f.pushed) <= known else [FULL]


def _running(session: Any) -> bool:
    """A session whose pushed script has not ended: its place among the ``IN_FLIGHT`` is free once it has (its
    messages are then all in the session's queue, which Streamlit's loop sends within a few milliseconds; waiting
    for that as well kept the places idle between runs). ``UNSENT`` bounds the sessions whose messages are not
    all out yet."""
    return getattr(session, "_scriptrunner", None) is not None


def _busy(session: Any) -> bool:
    """A session that is running a script, or whose messages wait to be sent: the next push waits for those to
    go out, so that a burst of pushes never holds every learner's new stage back until the last run ends."""
    queue = getattr(session, "_browser_queue", None)
    return getattr(session, "_scriptrunner", None) is not None or (queue is not None and not queue.is_empty())


def _rerun(session: Any, fragment_id: str) -> None:
    """Ask ``session`` to rerun a fragment (or its page), as if its browser had: same page, query and context."""
    from streamlit.proto.ClientState_pb2 import ClientState

    last = session._client_state
    wanted = ClientState(query_string=last.query_string, page_script_hash=last.page_script_hash,
                         fragment_id=fragment_id)
    if last.HasField("context_info"):
        wanted.context_info.CopyFrom(last.context_info)
    session.request_rerun(wanted)  # no widget states: the session keeps the ones it has, no callback fires


_hub: Hub | None = None
_hub_lock = threading.Lock()


def hub(engine: Any) -> Hub:
    """The process's hub (started on first use)."""
    global _hub
    with _hub_lock:
        if _hub is None or _hub.watch.engine is not engine:
            if _hub is not None:
                _hub.watch.stop()
            _hub = Hub(engine)
        return _hub
