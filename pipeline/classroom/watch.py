"""Which classes moved: one small query for every class a server process follows, however many learners.

A :class:`ClassWatch` keeps the latest :class:`~pipeline.classroom.views.ClassState` of each class that
someone in this process follows. Every ``every`` seconds (at once after :meth:`ClassWatch.poke`) it reads
the version of all of them in one query -- a read, no write lock -- and loads the full state of those that
changed, once, for every learner of the class to share. ``on_change`` is then called with each class that
moved (its new state, or None once the class is gone: deleted, swept or expired).

Two server processes on one database each run their own watch: a move made on one reaches the learners
of the other within ``every`` seconds.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from pipeline.classroom import access
from pipeline.classroom.service import class_state
from pipeline.classroom.store import ClassRow, transact
from pipeline.classroom.views import ClassState

_UNKNOWN: Any = object()
WATCH_SECONDS = 0.25  # how often a process asks "did any class I follow move?" (one query for all of them)


class ClassWatch:
    """The latest state of every class this process follows (see the module docstring).

    Args:
        engine: the classroom database.
        on_change: called from the watch's thread with ``(code, state)`` for each class that moved; ``state``
            is None once the class is gone.
        every: seconds between two looks at the database.
    """

    def __init__(self, engine: Engine, on_change: Callable[[str, ClassState | None], None] | None = None,
                 every: float = WATCH_SECONDS) -> None:
        self.engine, self.on_change, self.every = engine, on_change, every
        self._followed: Counter[str] = Counter()
        self._states: dict[str, ClassState | None] = {}
        self._lock = threading.Lock()
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None

    def follow(self, code: str, state: ClassState | None = None) -> None:
        """Watch ``code`` (counted: each ``follow`` needs its ``unfollow``); ``state`` is what the caller just read."""
        with self._lock:
            self._followed[code] += 1
            known = self._states.get(code)
            if state is not None and (known is None or known.version < state.version):
                self._states[code] = state

    def unfollow(self, code: str) -> None:
        with self._lock:
            self._followed[code] -= 1
            if self._followed[code] <= 0:
                del self._followed[code]
                self._states.pop(code, None)

    def latest(self, code: str) -> ClassState | None:
        """The newest state seen of a followed class (None when unknown or gone)."""
        return self._states.get(code)

    def poke(self) -> None:
        """Look at the database now (a move was just made in this process)."""
        self._wake.set()

    def check(self) -> list[tuple[str, ClassState | None]]:
        """Read every followed class's version in one query; load and keep the states that changed."""
        with self._lock:
            codes = list(self._followed)
        if not codes:
            return []
        query = select(ClassRow.code, ClassRow.version, ClassRow.expires_at).where(ClassRow.code.in_(codes))
        found = {row.code: row for row in transact(self.engine, lambda s: s.execute(query).all(), write=False)}
        now = access.utc()
        moved: list[tuple[str, ClassState | None]] = []
        for code in codes:
            row, known = found.get(code), self._states.get(code, _UNKNOWN)
            if row is None or row.expires_at <= now:
                if known is not None:  # gone since the last look (or never seen): say so once
                    moved.append((code, None))
            elif known is _UNKNOWN or known is None or known.version != row.version:
                moved.append((code, class_state(self.engine, code)))
        with self._lock:
            for code, state in moved:
                if code in self._followed:
                    self._states[code] = state
        return moved

    def start(self) -> ClassWatch:
        """Look every ``every`` seconds in a daemon thread, calling ``on_change`` for what moved."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="pipeline-trace-class-watch", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.every)
            self._wake.clear()
            try:
                moved = self.check()
            except Exception:  # a database hiccup: the next look tries again; learners' watchdogs still poll
                continue
            for code, state in moved:
                if self.on_change is not None:
                    self.on_change(code, state)
