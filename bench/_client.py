"""A light student for the server benchmark: Streamlit's own websocket protocol, no browser.

One :class:`Student` is one session: it connects to ``/_stcore/stream`` as the frontend does, asks
for a page (a ``rerun_script`` BackMsg with the URL's query string and the page's url path), keeps
the latest element at every delta path (what a browser would show), and clicks a button by sending
its widget id as a trigger (with the fragment id the button was drawn in, as the frontend does).
Each ForwardMsg is time-stamped on arrival, so "first loss point" is when the message carrying the
progress text ``step N: loss`` reached the client (a browser draws it a frame later). Sixty of these
run in one asyncio loop in one process, a few MiB and a little CPU each, where sixty Chromium tabs
would take the 2 cores the server needs.

It does not run JavaScript: charts are not drawn, widget values other than the clicked trigger are
left to the server's own session state (the values the page last had), and "Link to this view"
is read from the page's own markdown.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field

LOSS = re.compile(r"step \d+: loss")


def _protos():
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    return BackMsg, ForwardMsg


@dataclass
class Student:
    base_url: str  # http://127.0.0.1:PORT
    screen: dict = field(default_factory=dict)  # delta path -> (element kind, Element)
    fragments: dict = field(default_factory=dict)  # delta path -> fragment id it was drawn in
    pages: dict = field(default_factory=dict)  # url path -> page script hash
    finished: int = 0  # full runs finished successfully
    fragment_runs: int = 0
    first_loss_at: float | None = None
    events: list = field(default_factory=list)  # (monotonic time, what)
    received_bytes: int = 0
    page: str = ""
    query: str = ""  # the address bar's query string (the app rewrites it: st.query_params)
    _ws: object = None
    _reader: asyncio.Task | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _drawn_by: dict = field(default_factory=dict)  # delta path -> id of the script run that drew it
    _run_id: str = ""  # the run under way (its new_session names it; the deltas that follow are its)

    async def connect(self) -> None:
        from websockets.asyncio.client import connect

        uri = self.base_url.replace("http", "ws", 1) + "/_stcore/stream"
        self._ws = await connect(uri, subprotocols=["streamlit"], max_size=None, open_timeout=60)
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()

    async def _read(self) -> None:
        _, ForwardMsg = _protos()
        async for data in self._ws:
            now = time.monotonic()
            self.received_bytes += len(data)
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self._run_id = msg.metadata.run.script_run_id
            elif kind == "page_info_changed":
                self.query = msg.page_info_changed.query_string
            elif kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                path = tuple(msg.metadata.delta_path)
                element = msg.delta.new_element
                what = element.WhichOneof("type")
                self.screen[path] = (what, element)
                self.fragments[path] = msg.delta.fragment_id
                self._drawn_by[path] = self._run_id
                if what == "progress" and self.first_loss_at is None and LOSS.search(element.progress.text):
                    self.first_loss_at = now
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
                self.events.append((now, status))
                if status == "FINISHED_SUCCESSFULLY":
                    self._drop_stale(msg.metadata.run)
                    self.finished += 1
                elif status == "FINISHED_FRAGMENT_RUN_SUCCESSFULLY":
                    self._drop_stale(msg.metadata.run)
                    self.fragment_runs += 1
            self._changed.set()

    def _drop_stale(self, run) -> None:
        """What the browser does when a run ends: the elements that run did not draw again are
        removed (after a whole-page run, any; after a fragment's, those of its fragments)."""
        if not run.script_run_id:
            return
        frags = set(run.fragment_ids)
        for path in [p for p, by in self._drawn_by.items() if by != run.script_run_id]:
            if not frags or self.fragments.get(path) in frags:
                self.screen.pop(path, None)
                self.fragments.pop(path, None)
                del self._drawn_by[path]

    async def _send(self, page: str, query: str = "", widgets=(), fragment_id: str = "") -> None:
        BackMsg, _ = _protos()
        back = BackMsg()
        state = back.rerun_script
        state.query_string = query
        state.page_name = page
        if page in self.pages:
            state.page_script_hash = self.pages[page]
        state.fragment_id = fragment_id
        state.context_info.url = f"{self.base_url}/{page}" + (f"?{query}" if query else "")
        state.context_info.timezone = "UTC"
        state.context_info.locale = "en-GB"
        for widget_id in widgets:
            w = state.widget_states.widgets.add()
            w.id = widget_id
            w.trigger_value = True
        await self._ws.send(back.SerializeToString())

    async def until(self, predicate, timeout: float) -> bool:
        """Wait until ``predicate()`` holds (checked at every message), at most ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(left, 1.0))
            except TimeoutError:
                pass
        return True

    async def open(self, page: str, query: str = "", timeout: float = 180) -> float:
        """Open ``page`` (url path, "" = home) with ``query``: seconds until its run finished."""
        start, before = time.monotonic(), self.finished
        self.page, self.query = page, query
        if self._ws is None:
            await self.connect()
        self.screen.clear()
        await self._send(page, query)
        if not await self.until(lambda: self.finished > before, timeout):
            raise TimeoutError(f"{page or 'home'} did not finish within {timeout:.0f} s")
        return time.monotonic() - start

    def button(self, label: str) -> tuple[str, str] | None:
        """(widget id, fragment id) of the first button on screen with exactly this label."""
        for path in sorted(self.screen):
            what, element = self.screen[path]
            if what == "button" and element.button.label == label:
                return element.button.id, self.fragments.get(path, "")
        return None

    async def click(self, label: str) -> float:
        """Click the button ``label``; returns the monotonic time the click was sent."""
        found = self.button(label)
        if found is None:
            raise LookupError(f"no button {label!r} on {self.page or 'home'}")
        widget_id, fragment_id = found
        self.first_loss_at = None
        sent = time.monotonic()
        await self._send(self.page, self.query, [widget_id], fragment_id)
        return sent

    def texts(self, kinds=("markdown", "alert", "heading", "text")) -> list[str]:
        """Every text on screen in delta-path order (markdown, captions, alerts, headings)."""
        out = []
        for path in sorted(self.screen):
            what, element = self.screen[path]
            if what in kinds:
                out.append(getattr(element, what).body)
        return out

    def figures(self) -> list[str]:
        """Every Plotly chart's JSON spec on screen, in delta-path order."""
        return [e.plotly_chart.spec for p, (w, e) in sorted(self.screen.items()) if w == "plotly_chart"]
