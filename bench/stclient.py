"""A browser tab as Streamlit's server sees it: a websocket session speaking the browser's protocol.

    tab = Tab("http://127.0.0.1:8501", "/?class=K7QX2M")
    await tab.open()
    await tab.type_text("class-name", "Ana")
    await tab.click("class-join")

Each tab sends what Streamlit's frontend sends (``BackMsg.rerun_script`` with the query string, the page,
the widget states it holds, the cached message hashes and the browser context) and keeps what the frontend
keeps from the ``ForwardMsg`` stream: the page it is on, the query string, each widget's id and fragment,
the messages it may be sent again by reference, and the fragment auto-rerun timers. Those timers follow
the frontend's rules (``App.handleAutoRerun`` in Streamlit 1.67): one interval per fragment, a second
``auto_rerun`` with the same interval is ignored, another interval replaces it, ``stop_auto_rerun``
clears it, and a full run's ``new_session`` or a page change clears them all. A fired timer sends a
fragment rerun with ``is_auto_rerun`` set, whatever the tab is doing, as the frontend's ``setInterval`` does.

What the tab saw is kept with the time it arrived (``time.monotonic()``): every Markdown body and the
stage headings ("**Stage 3 of 7**") in particular. Nothing is drawn.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect

STAGE_HEADING = re.compile(r"\*\*Stage (\d+) of \d+\*\*")  # the Prediction page's stepper: "**Stage 3 of 7**"

WIDGETS = {"button", "text_input", "toggle", "checkbox", "radio", "selectbox", "number_input", "text_area",
           "segmented_control", "button_group", "form_submit_button", "download_button", "slider", "multiselect"}


@dataclass
class Widget:
    """A widget the tab was sent: its id, the fragment it belongs to (its rerun scope) and its kind."""

    id: str
    fragment_id: str
    kind: str


@dataclass
class Tab:
    """One browser tab on one Streamlit server (see the module docstring)."""

    base: str  # "http://127.0.0.1:8501"
    path: str = "/"  # the address opened: "/?class=K7QX2M", "/class_session"
    ws: object = None
    query: str = ""
    page_hash: str = ""
    page_name: str = ""
    pages: dict[str, str] = field(default_factory=dict)  # url path ("prediction") -> page script hash
    widgets: dict[str, Widget] = field(default_factory=dict)  # by key (the end of the id)
    values: dict[str, WidgetState] = field(default_factory=dict)  # widget id -> the value this tab holds
    cache: dict[str, ForwardMsg] = field(default_factory=dict)  # hash -> a cacheable message
    timers: dict[str, tuple[float, asyncio.Task]] = field(default_factory=dict)  # fragment id -> (interval, task)
    seen: list[tuple[float, str]] = field(default_factory=list)  # (arrival, Markdown body)
    stages: list[tuple[float, int]] = field(default_factory=list)  # (arrival, stage number shown)
    runs_finished: int = 0
    full_runs: int = 0
    fragment_runs: int = 0
    auto_reruns_sent: int = 0
    messages: int = 0
    errors: list[str] = field(default_factory=list)
    closed: bool = False
    race: float = 0.0  # seconds: a busy page whose timers fire this long after a full run began (see _handle)
    on_markdown: Callable[[str], None] | None = None
    _reader: asyncio.Task | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _sending: set = field(default_factory=set)

    async def open(self, timeout: float = 60) -> None:
        """Connect and ask for the first run of the address, as a browser loading the page does."""
        parts = urlsplit(self.base)
        self.ws = await connect(f"ws://{parts.netloc}/_stcore/stream", subprotocols=["streamlit"], max_size=None,
                                ping_interval=None, open_timeout=timeout, close_timeout=2)
        address = urlsplit(self.path)
        self.query, self.page_name = address.query, address.path.strip("/")
        self._reader = asyncio.create_task(self._read())
        await self.send()

    async def close(self) -> None:
        """Close the websocket (the session stays on the server until its disconnected-session TTL)."""
        self.closed = True
        for _, task in self.timers.values():
            task.cancel()
        self.timers.clear()
        if self._reader is not None:
            self._reader.cancel()
        with contextlib.suppress(Exception):
            await self.ws.close()

    # -- what a learner does ----------------------------------------------------------------------------------

    async def type_text(self, key: str, text: str) -> None:
        """Type into a text input and leave it (the frontend sends the value then, rerunning its fragment)."""
        widget = self.widget(key)
        self.values[widget.id] = WidgetState(id=widget.id, string_value=text)
        await self.send(fragment_id=widget.fragment_id)

    async def click(self, key: str) -> None:
        """Click a button: a trigger sent once, with the widgets' values, rerunning the button's fragment."""
        widget = self.widget(key)
        await self.send([WidgetState(id=widget.id, trigger_value=True)], fragment_id=widget.fragment_id)

    async def go_to(self, url_path: str) -> None:
        """Open another page from the navigation (the frontend clears every auto-rerun timer first)."""
        self._clear_timers()
        await self.send(page_hash=self.pages[url_path])

    def widget(self, key: str) -> Widget:
        found = self.widgets.get(key)
        if found is None:
            raise LookupError(f"no widget with key {key!r} on this tab (has {sorted(self.widgets)[:20]})")
        return found

    async def wait_for(self, check: Callable[[], bool], what: str, timeout: float) -> None:
        """Wait until ``check()`` holds (checked after every message), or raise TimeoutError naming ``what``."""
        deadline = time.monotonic() + timeout
        while not check():
            left = deadline - time.monotonic()
            if left <= 0 or self.closed:
                raise TimeoutError(f"{what}: not seen within {timeout:g} s")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 1.0))

    def saw(self, text: str, since: float = 0.0) -> bool:
        return any(at >= since and text in body for at, body in self.seen)

    def armed(self) -> list[tuple[str, float]]:
        """The fragment auto-rerun timers this tab holds now: (fragment id, interval)."""
        return [(fid, interval) for fid, (interval, task) in self.timers.items() if not task.done()]

    # -- the protocol -----------------------------------------------------------------------------------------

    async def send(self, triggers: list[WidgetState] = (), fragment_id: str = "", page_hash: str | None = None,
                   auto: bool = False) -> None:
        msg = BackMsg()
        rerun = msg.rerun_script
        rerun.query_string = self.query
        rerun.page_script_hash = self.page_hash if page_hash is None else page_hash
        rerun.page_name = "" if rerun.page_script_hash else self.page_name
        rerun.fragment_id = fragment_id
        rerun.is_auto_rerun = auto
        trigger_ids = {t.id for t in triggers}
        rerun.widget_states.widgets.extend([v for i, v in self.values.items() if i not in trigger_ids])
        rerun.widget_states.widgets.extend(triggers)
        rerun.cached_message_hashes.extend(self.cache)
        info = rerun.context_info
        info.url = f"{self.base}/{self.page_name}" + (f"?{self.query}" if self.query else "")
        info.timezone, info.timezone_offset, info.locale, info.is_embedded = "UTC", 0, "en-US", False
        try:
            await self.ws.send(msg.SerializeToString())
        except Exception as e:  # the server went away: the reader says so too
            self.errors.append(f"send: {type(e).__name__}: {e}")

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                fwd = ForwardMsg()
                fwd.ParseFromString(raw)
                self.messages += 1
                self._handle(fwd)
                self._changed.set()
        except asyncio.CancelledError:
            raise
        except Exception as e:
            if not self.closed:
                self.errors.append(f"read: {type(e).__name__}: {e}")
        finally:
            self.closed = True
            self._changed.set()

    def _handle(self, fwd: ForwardMsg) -> None:
        if fwd.WhichOneof("type") == "ref_hash":
            cached = self.cache.get(fwd.ref_hash)
            if cached is None:
                self.errors.append(f"a reference to a message never received: {fwd.ref_hash}")
                return
            fwd = cached
        elif fwd.metadata.cacheable:
            self.cache[fwd.hash] = fwd
        kind = fwd.WhichOneof("type")
        if kind == "new_session":
            if self.race and not fwd.metadata.run.fragment_ids and self.timers:
                # A busy page (a phone drawing the last run) reads this message late: its timers fire meanwhile,
                # and their reruns reach the server while the run's other messages are still on their way.
                armed = list(self.timers)
                asyncio.get_running_loop().call_later(self.race, self._fire, armed)
            if fwd.metadata.run.fragment_ids:
                self.fragment_runs += 1
            else:  # a full run: the frontend drops every auto-rerun timer
                self.full_runs += 1
                self._clear_timers()
            self.page_hash = fwd.new_session.page_script_hash
        elif kind == "navigation":
            self.pages = {p.url_pathname: p.page_script_hash for p in fwd.navigation.app_pages}
            self.page_hash = fwd.navigation.page_script_hash or self.page_hash
        elif kind == "page_info_changed":
            self.query = fwd.page_info_changed.query_string
        elif kind == "auto_rerun":
            self._arm(fwd.auto_rerun.fragment_id, fwd.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for fid in fwd.stop_auto_rerun.fragment_ids:
                self._disarm(fid)
        elif kind == "script_finished":
            self.runs_finished += 1
        elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
            self._element(fwd.delta.new_element, fwd.delta.fragment_id)

    def _element(self, element, fragment_id: str) -> None:
        kind = element.WhichOneof("type")
        if kind == "markdown":
            body, now = element.markdown.body, time.monotonic()
            self.seen.append((now, body))
            heading = STAGE_HEADING.match(body)
            if heading:
                self.stages.append((now, int(heading.group(1))))
            if self.on_markdown is not None:
                self.on_markdown(body)
        elif kind in WIDGETS:
            widget_id = getattr(element, kind).id
            key = widget_id.split("-", 2)[2] if widget_id.startswith("$$ID-") else widget_id  # "$$ID-<hash>-<key>"
            self.widgets[key] = Widget(widget_id, fragment_id, kind)

    def _arm(self, fragment_id: str, interval: float) -> None:
        if not fragment_id:
            return
        held = self.timers.get(fragment_id)
        if held is not None and held[0] == interval and not held[1].done():
            return  # the frontend ignores the same interval for the same fragment
        self._disarm(fragment_id)
        self.timers[fragment_id] = (interval, asyncio.create_task(self._tick(fragment_id, interval)))

    def _disarm(self, fragment_id: str) -> None:
        held = self.timers.pop(fragment_id, None)
        if held is not None:
            held[1].cancel()

    def _clear_timers(self) -> None:
        for fragment_id in list(self.timers):
            self._disarm(fragment_id)

    def _fire(self, fragment_ids: list[str]) -> None:
        for fragment_id in fragment_ids:
            self.auto_reruns_sent += 1
            self._sending.add(task := asyncio.ensure_future(self.send(fragment_id=fragment_id, auto=True)))
            task.add_done_callback(self._sending.discard)

    async def _tick(self, fragment_id: str, interval: float) -> None:
        while not self.closed:
            await asyncio.sleep(interval)
            self.auto_reruns_sent += 1
            await self.send(fragment_id=fragment_id, auto=True)
