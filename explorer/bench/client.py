"""A lightweight client of Streamlit's own websocket protocol: one student's session without a browser.

It speaks what the Streamlit frontend speaks (``/_stcore/stream``, binary protobufs: a ``BackMsg`` with
``rerun_script`` carrying the URL's query string and the changed widgets' states; ``ForwardMsg`` deltas
back, ending in ``script_finished``), keeps the frontend's message cache (large elements already received
come back as references, ``ref_hash``), follows the query string the page writes (``page_info_changed``),
and keeps the last run's elements by their delta path. So the server does exactly the work a browser
session makes it do, while the client's own cost is a few protobuf decodes: the load benchmark measures
the server, not the browsers rendering its figures.
"""
from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FAILED_RUN = {ForwardMsg.FINISHED_WITH_COMPILE_ERROR}


@dataclass
class Run:
    """What one script run sent: its elements by delta path, and how long it took (seconds)."""

    elements: dict = field(default_factory=dict)  # delta path (tuple) -> Element proto
    seconds: float = 0.0
    status: int | None = None

    def of_type(self, kind: str) -> list:
        return [e for _, e in sorted(self.elements.items()) if e.WhichOneof("type") == kind]

    def errors(self) -> list[str]:
        """Error lines and exceptions on the page (what a student would see as a failure)."""
        out = [f"error on the page: {e.alert.body[:200]}" for e in self.of_type("alert") if e.alert.format == 1]
        out += [f"exception on the page: {e.exception.type}: {e.exception.message[:200]}"
                for e in self.of_type("exception")]
        if self.status in FAILED_RUN:
            out.append("the script failed to compile")
        return out

    def button(self, label: str):
        return next((e.button for e in self.of_type("button") if e.button.label == label), None)

    def selectable_chart(self):
        """The first chart that takes selections (the forget-set editor)."""
        return next((e.plotly_chart for e in self.of_type("plotly_chart") if len(e.plotly_chart.selection_mode)), None)

    def animation(self):
        """The first chart with frames and a slider: a playable animation."""
        return next((e.plotly_chart for e in self.of_type("plotly_chart")
                     if '"frames"' in e.plotly_chart.spec and '"sliders"' in e.plotly_chart.spec), None)


class Session:
    """One Streamlit session over one websocket, driven run by run (``open``, then ``rerun``)."""

    def __init__(self, url: str, query: str = ""):
        self.ws_url = url.replace("http://", "ws://", 1).rstrip("/") + "/_stcore/stream"
        self.query = query
        self.page_hash = ""
        self.cache: dict[str, ForwardMsg] = {}  # hash -> a cacheable message received (the frontend's cache)
        self.ws = None

    async def open(self, timeout: float) -> Run:
        """Connect and run the page once, as a browser opening the link does."""
        self.ws = await websockets.connect(self.ws_url, subprotocols=["streamlit"], max_size=None,
                                           open_timeout=timeout, compression=None)
        return await self.rerun([], timeout)

    async def rerun(self, widgets: list[WidgetState], timeout: float) -> Run:
        """Send the changed widgets (the rest keep their values on the server) and wait for the run's end."""
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string, state.page_script_hash = self.query, self.page_hash
        state.widget_states.widgets.extend(widgets)
        state.cached_message_hashes.extend(self.cache)
        start = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        run = Run()
        deadline = start + timeout
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"no end of the script run within {timeout:.0f} s")
            data = await asyncio.wait_for(self.ws.recv(), remaining)
            fwd = ForwardMsg()
            fwd.ParseFromString(data)
            if self._take(fwd, run):
                run.seconds = time.perf_counter() - start
                return run

    def _take(self, fwd: ForwardMsg, run: Run) -> bool:
        """Record one message; True at the end of the run."""
        kind = fwd.WhichOneof("type")
        if kind == "ref_hash":
            cached = self.cache.get(fwd.ref_hash)
            if cached is None:
                raise RuntimeError(f"the server referred to a message this client never received ({fwd.ref_hash})")
            fwd, kind = cached, cached.WhichOneof("type")
        elif fwd.metadata.cacheable and fwd.hash:
            self.cache[fwd.hash] = fwd
        if kind == "new_session":
            self.page_hash = fwd.new_session.page_script_hash or self.page_hash
        elif kind == "page_info_changed":
            self.query = fwd.page_info_changed.query_string
        elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
            run.elements[tuple(fwd.metadata.delta_path)] = fwd.delta.new_element
        elif kind == "script_finished":
            run.status = fwd.script_finished
            return fwd.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN
        return False

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


def select_points(chart, ids) -> WidgetState:
    """The selection event a click on training points sends (the chart carries each point's id in customdata)."""
    points = [{"curve_number": 0, "point_number": int(i), "point_index": int(i), "customdata": int(i)} for i in ids]
    event = {"selection": {"points": points, "point_indices": [int(i) for i in ids], "box": [], "lasso": []}}
    return WidgetState(id=chart.id, string_value=json.dumps(event))


def press(button) -> WidgetState:
    return WidgetState(id=button.id, trigger_value=True)
