"""The websocket relay: frames from the workbench page in, HTML fragments out.

Frames in are what htmx's ws-send posts (the workbench form's values plus a
``type``): run, regenerate, stop, or attach (a page showing a streaming
answer follows it). Frames out are htmx out-of-band swaps (``frames``).
The consumer is thin: the draft decides (``Draft.begin_run``), the run
streams (``RunStream``), and this socket is one of the run's viewers.
"""

import asyncio
import json
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import timezone

from workbench.chat import current
from workbench.chat.forms import PanelForm, as_multivalue
from workbench.chat.models import Draft, Refusal, Run
from workbench.relay import frames
from workbench.relay.runs import RunStream, new_run_id

MAX_FRAME = 1024 * 1024  # characters in one incoming frame
LEASE_SLACK = 0.5  # seconds past a lease's end before its run counts as dead


class FrameError(Exception):
    """An incoming frame the relay cannot act on; the message goes to the page."""


class RelayConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.browser = current.from_cookies(self.scope.get("cookies", {}))
        self.started: set[RunStream] = set()  # runs this socket watches directly
        self.watching: dict[str, str] = {}  # run id -> channel, watched via the layer
        self.watchdogs: set[asyncio.Task] = set()
        self.closed = False
        await self.accept()

    async def disconnect(self, code: int) -> None:
        # The runs go on (for their grace period); this page just stops watching.
        self.closed = True
        for watchdog in self.watchdogs:
            watchdog.cancel()
        for stream in self.started:
            stream.detach(self.send_html)
        for channel in self.watching.values():
            await self.channel_layer.send(
                channel, {"type": "run.detach", "viewer": self.channel_name}
            )

    async def send_html(self, html: str) -> None:
        if not self.closed:
            await self.send(text_data=html)

    async def run_frame(self, event: dict[str, Any]) -> None:
        """A frame of a run this socket re-attached to, from whichever process runs it."""
        if event.get("last"):
            self.watching.pop(event.get("run"), None)
        await self.send_html(event["html"])

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            frame = self.parse(text_data, bytes_data)
            kind = frame.get("type")
            if kind in ("run", "regenerate"):
                await self.start_run(frame, regenerate=kind == "regenerate")
            elif kind == "stop":
                await self.stop_run(str(frame.get("run", "")))
            elif kind == "attach":
                await self.attach(str(frame.get("run", "")))
            else:
                raise FrameError(f"Unknown frame type {kind!r}: expected run, regenerate or stop.")
        except FrameError as exc:
            await self.send_html(frames.notice(str(exc)))

    def parse(self, text_data: str | None, bytes_data: bytes | None) -> dict[str, Any]:
        if text_data is None:
            raise FrameError("Binary frames are not accepted; send JSON text.")
        if len(text_data) > MAX_FRAME:
            raise FrameError(
                f"Frame too large ({len(text_data):,} characters; limit {MAX_FRAME:,})."
            )
        try:
            frame = json.loads(text_data)
        except ValueError:
            raise FrameError("Frame is not valid JSON.") from None
        if not isinstance(frame, dict):
            raise FrameError("Frame must be a JSON object.")
        return frame

    def require_browser(self) -> str:
        if self.browser is None:
            raise FrameError("This browser has no workbench yet: reload the page.")
        return self.browser

    async def start_run(self, frame: dict[str, Any], regenerate: bool) -> None:
        browser = self.require_browser()
        run_id = new_run_id()
        channel = await self.channel_layer.new_channel("run")
        values = {k: v for k, v in frame.items() if k not in ("type", "HEADERS")}
        begun = await database_sync_to_async(begin_run)(
            browser, values, run_id, channel, regenerate
        )
        if isinstance(begun, str):
            await self.send_html(begun)
            return
        html, stream = begun
        stream.attach(self.send_html)
        self.started.add(stream)
        stream.begin()
        # The turn is rendered and sent before the run's task first runs; its
        # text waits (stream.shown) until the page has a place for it.
        try:
            await self.send_html(html)
        finally:
            stream.shown.set()

    async def stop_run(self, run_id: str) -> None:
        run = await database_sync_to_async(find_run)(self.require_browser(), run_id)
        if run is None or not run.is_live:
            raise FrameError("That run has already finished.")
        await self.channel_layer.send(run.channel, {"type": "run.stop"})

    async def attach(self, run_id: str) -> None:
        """Follow a run this page shows as streaming; if it has ended, show how."""
        run = await database_sync_to_async(find_run)(self.require_browser(), run_id)
        if run is None:
            raise FrameError("That answer no longer exists: reload the page.")
        if run.is_live:
            self.watching[run.id] = run.channel
            await self.channel_layer.send(
                run.channel, {"type": "run.attach", "viewer": self.channel_name}
            )
            self.watchdogs.add(asyncio.create_task(self.watch_lease(run)))
        else:
            await self.send_html(await database_sync_to_async(ended_run)(self.browser, run.id))

    async def watch_lease(self, run: Run) -> None:
        """If the process streaming ``run`` dies, its lease runs out: then say so here."""
        while run is not None and run.is_live:
            wait = (run.lease_until - timezone.now()).total_seconds()
            await asyncio.sleep(max(wait, 0) + LEASE_SLACK)
            run = await database_sync_to_async(find_run)(self.browser, run.id)
        if run is not None and run.id in self.watching:
            await self.send_html(await database_sync_to_async(ended_run)(self.browser, run.id))


def begin_run(
    browser: str, values: dict[str, Any], run_id: str, channel: str, regenerate: bool
) -> str | tuple[str, RunStream]:
    """Validate the frame, start the run in the draft; the page's frame (and the stream)."""
    form = PanelForm(as_multivalue(values), column=Draft.of(browser).column())
    panel = form.panel()
    if panel is None:
        return frames.refused(Refusal(form.refusal(), "Nothing was sent: " + _join(form)))
    begun = Draft.begin_run(browser, panel, run_id=run_id, channel=channel, regenerate=regenerate)
    if isinstance(begun, Refusal):
        return frames.refused(begun)
    return frames.started(begun), RunStream(run_id, begun.provider, begun.body, channel)


def _join(form: PanelForm) -> str:
    return "; ".join(form.refusal().values())


def find_run(browser: str, run_id: str) -> Run | None:
    """The run, if it belongs to this browser's draft."""
    return Run.objects.filter(pk=run_id, draft__browser=browser).first()


def ended_run(browser: str, run_id: str) -> str:
    draft = Draft.settle(browser)
    column = draft.column()
    index = column.find_run(run_id)
    if index is None:
        return frames.notice("That answer was removed: reload the page.")
    return frames.finished(run_id, index, column.messages[index])
