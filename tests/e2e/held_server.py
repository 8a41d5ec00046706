"""`pipeline-trace serve` with a slow event loop for class learners, to reproduce the lost-learner race.

    python tests/e2e/held_server.py PORT HOLD_SECONDS

Under a burst the server's event loop handles a finished run's messages late. Here, for every session opened
with ``?class=`` in its link, a full run's ``new_session`` goes out at once and everything after it (its
elements, its ``auto_rerun`` timers, its end) ``HOLD_SECONDS`` later, in order: the window in which a rerun
request makes Streamlit start a new ScriptRunner and drop the rest as coming from a "non-current" one.
"""

from __future__ import annotations

import sys
import threading

from streamlit.runtime.app_session import AppSession
from streamlit.runtime.scriptrunner import ScriptRunnerEvent

from pipeline.cli.serve import serve

_original = AppSession._on_scriptrunner_event
_held: dict[str, list] = {}
_lock = threading.Lock()


def _on_event(self: AppSession, sender, event, **kwargs) -> None:
    learner = "class=" in (self._client_state.query_string or "")
    full_start = event == ScriptRunnerEvent.SCRIPT_STARTED and not kwargs.get("fragment_ids_this_run")
    with _lock:
        holding = self.id in _held
        if learner and full_start and not holding:
            _original(self, sender, event, **kwargs)  # the new_session goes out now
            _held[self.id] = []
            timer = threading.Timer(HOLD, _release, args=(self,))
            timer.daemon = True
            timer.start()
            return
        if holding:
            _held[self.id].append((sender, event, kwargs))
            return
    _original(self, sender, event, **kwargs)


def _release(session: AppSession) -> None:
    with _lock:
        events = _held.pop(session.id, [])
    for sender, event, kwargs in events:
        _original(session, sender, event, **kwargs)


if __name__ == "__main__":
    PORT, HOLD = int(sys.argv[1]), float(sys.argv[2])
    AppSession._on_scriptrunner_event = _on_event
    raise SystemExit(serve(PORT, warm=False))
