"""The websocket relay: frames from the workbench page in, HTML fragments out.

Frames in are what htmx's ws-send posts (the workbench form's values plus a
``type``): run, regenerate, stop, attach (a page showing a streaming answer
follows it) and ack (how much the page has read). Frames out are htmx
out-of-band swaps (``frames``). The consumer is thin: the draft decides
(``Draft.begin_run``), the run streams (``RunStream``), and this socket is
one of the run's viewers.
"""

import asyncio
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from workbench.chat import current
from workbench.chat.conversation import failed_before_text, message
from workbench.chat.forms import PanelForm, as_multivalue
from workbench.chat.models import MAX_COLUMNS, Draft, Refusal, Run
from workbench.limits import MAX_FRAME_BYTES
from workbench.relay import frames, quotas
from workbench.relay.runs import RunStream, new_run_id
from workbench.text import TextError, parse_json

LEASE_SLACK = 0.5  # seconds past a lease's end before its run counts as dead
# "Try again later": htmx reconnects after it, so a page over a quota or one
# that fell behind comes back by itself once there is room.
CLOSE_TRY_LATER = 1013


class FrameError(Exception):
    """An incoming frame the relay cannot act on; the message goes to the page."""


class RelayConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.browser = current.from_cookies(self.scope.get("cookies", {}))
        self.address = quotas.client_address(self.scope)
        self.started: set[RunStream] = set()  # runs this socket watches directly
        self.watching: dict[str, str] = {}  # run id -> channel, watched via the layer
        self.watchdogs: set[asyncio.Task] = set()
        self.closed = False
        self.sent = self.acked = 0  # characters sent, and read by the page
        self.held: list[tuple[quotas.Quota, str]] = []
        await self.accept()
        for quota, key in (
            (quotas.SOCKETS_PER_ADDRESS, self.address),
            (quotas.SOCKETS_PER_BROWSER, self.browser),
        ):
            if key is None:
                continue
            if refused := quota.take(key):
                await self.send_html(frames.notice(refused))
                await self.close(code=CLOSE_TRY_LATER)
                return
            self.held.append((quota, key))

    async def disconnect(self, code: int) -> None:
        # The runs go on (for their grace period); this page just stops watching.
        self.closed = True
        for quota, key in self.held:
            quota.give(key)
        self.held = []
        for watchdog in self.watchdogs:
            watchdog.cancel()
        for stream in self.started:
            stream.detach(self.send_html)
        for channel in self.watching.values():
            await self.channel_layer.send(
                channel, {"type": "run.detach", "viewer": self.channel_name}
            )

    async def send_html(self, html: str) -> None:
        """Send a frame, unless the page has stopped reading what it was sent: then
        drop the socket (its runs go on) rather than buffer without bound."""
        if self.closed:
            return
        self.sent += len(html)
        backlog = settings.WORKBENCH_SOCKET_BACKLOG
        if backlog and self.sent - self.acked > backlog:
            self.closed = True
            await self.close(code=CLOSE_TRY_LATER)
            return
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
                await self.stop_run(str(frame.get("run", "")), bool(frame.get("all")))
            elif kind == "attach":
                await self.attach(str(frame.get("run", "")))
            elif kind == "ack":
                read = frame.get("read")
                if isinstance(read, int) and not isinstance(read, bool):
                    self.acked = max(self.acked, min(read, self.sent))
            else:
                raise FrameError(
                    f"Unknown frame type {kind!r}: expected run, regenerate, stop, attach or ack."
                )
        except FrameError as exc:
            await self.send_html(frames.notice(str(exc)))

    def parse(self, text_data: str | None, bytes_data: bytes | None) -> dict[str, Any]:
        if text_data is None:
            raise FrameError("Binary frames are not accepted; send JSON text.")
        try:
            frame = parse_json(text_data, max_bytes=MAX_FRAME_BYTES)
        except TextError as exc:
            raise FrameError(f"The frame {exc}.") from None
        if not isinstance(frame, dict):
            raise FrameError("Frame must be a JSON object.")
        return frame

    def require_browser(self) -> str:
        if self.browser is None:
            raise FrameError("This browser has no workbench yet: reload the page.")
        return self.browser

    async def start_run(self, frame: dict[str, Any], regenerate: bool) -> None:
        """One run of the draft: a stream per column, each its own task, upstream
        request and channel, all on this socket."""
        browser = self.require_browser()
        if refused := quotas.RUNS_PER_ADDRESS.take(self.address):
            raise FrameError(refused)
        try:
            # One id and one channel for each column there may be; those left over go unused.
            # The channels are of the default kind, as the sockets' are: channels_redis
            # reads all of a process's channels of one kind with one blocking read, and
            # that read holds off the other kinds until a message comes for its own
            # (a Stop sent to a "run." channel waited for a frame to some page).
            run_ids = [new_run_id() for _ in range(MAX_COLUMNS)]
            channels = [await self.channel_layer.new_channel() for _ in range(MAX_COLUMNS)]
            try:
                values = as_multivalue(
                    {k: v for k, v in frame.items() if k not in ("type", "HEADERS", "only")}
                )
            except ValueError as exc:
                raise FrameError(str(exc)) from None
            begun = await database_sync_to_async(begin_run)(
                browser, values, run_ids, channels, regenerate, only_column(frame)
            )
        except BaseException:
            quotas.RUNS_PER_ADDRESS.give(self.address)
            raise
        if isinstance(begun, Refused):
            quotas.RUNS_PER_ADDRESS.give(self.address)
            await self.send_html(begun.html)
            if begun.streaming:  # another page's answer: show it here and follow it
                await self.attach(begun.streaming)
            return
        html, streams = begun
        left = [len(streams)]  # the run's place in the quota is let go with its last stream

        def ended(stream: RunStream) -> None:
            self.started.discard(stream)
            left[0] -= 1
            if left[0] == 0:
                quotas.RUNS_PER_ADDRESS.give(self.address)

        for stream in streams:
            stream.attach(self.send_html)
            self.started.add(stream)
            task = stream.begin()
            task.add_done_callback(lambda _, stream=stream: ended(stream))
        # The turns are rendered and sent before the runs' tasks first run; their
        # text waits (stream.shown) until the page has a place for it.
        try:
            await self.send_html(html)
        finally:
            for stream in streams:
                stream.shown.set()

    async def stop_run(self, run_id: str, every: bool = False) -> None:
        """Stop one column's run, or (``every``: the page-level Stop) every run of the draft."""
        browser = self.require_browser()
        if every:
            runs = await database_sync_to_async(live_runs)(browser)
            if not runs:
                raise FrameError("That run has already finished.")
            for run in runs:
                await self.channel_layer.send(run.channel, {"type": "run.stop"})
            return
        run = await database_sync_to_async(find_run)(browser, run_id)
        if run is None or not run.is_live:
            raise FrameError("That run has already finished.")
        await self.channel_layer.send(run.channel, {"type": "run.stop"})

    async def attach(self, run_id: str) -> None:
        """Follow a run this page shows as streaming; if it has ended, show how."""
        run = await database_sync_to_async(find_run)(self.require_browser(), run_id)
        if run is None:
            raise FrameError("That answer no longer exists: reload the page.")
        if not run.is_live:
            await self.send_ended(run.id)
            return
        mine = next((s for s in self.started if s.id == run.id and not s.task.done()), None)
        if mine is not None:  # its text comes here directly: the page wants it whole again
            for html in mine.snapshot():
                await self.send_html(html)
        else:
            if run.id not in self.watching:
                watchdog = asyncio.create_task(self.watch_lease(run))
                self.watchdogs.add(watchdog)
                watchdog.add_done_callback(self.watchdogs.discard)
            self.watching[run.id] = run.channel
            await self.channel_layer.send(
                run.channel, {"type": "run.attach", "viewer": self.channel_name}
            )
        await self.send_html(frames.following(run.id))

    async def send_ended(self, run_id: str) -> None:
        for html in await database_sync_to_async(ended_run)(self.require_browser(), run_id):
            await self.send_html(html)

    async def watch_lease(self, run: Run | None) -> None:
        """If the process streaming ``run`` dies, its lease runs out: then say so here."""
        while run is not None and run.is_live:
            wait = (run.lease_until - timezone.now()).total_seconds()
            await asyncio.sleep(max(wait, 0) + LEASE_SLACK)
            run = await database_sync_to_async(find_run)(self.require_browser(), run.id)
        if run is not None and run.id in self.watching:
            await self.send_ended(run.id)


@dataclass
class Refused:
    """A Run that did not start: the frame saying why, and the run streaming
    instead (another page's), which this page should then show and follow."""

    html: str
    streaming: str | None = None


def only_column(frame: dict[str, Any]) -> int | None:
    """The column index a Run is for ("Send to column N only": ``only`` is N), or None
    for every column."""
    only = frame.get("only")
    if only in (None, ""):
        return None
    if isinstance(only, str) and only.isascii() and only.isdigit():
        only = int(only)
    if isinstance(only, int) and not isinstance(only, bool) and 0 < only <= MAX_COLUMNS:
        return only - 1
    raise FrameError(f"The field 'only' must be a column number from 1 to {MAX_COLUMNS}.")


def begin_run(
    browser: str,
    values: MultiValueDict,
    run_ids: list[str],
    channels: list[str],
    regenerate: bool,
    only: int | None = None,
) -> Refused | tuple[str, list[RunStream]]:
    """Validate the frame, start the run in the draft; the page's frame (and a stream per
    column that runs)."""
    form = PanelForm(values)  # only validated here, never shown
    panel = form.panel()
    if panel is None:
        return Refused(frames.refused(Refusal.of(form.refusal())))
    begun = Draft.begin_run(
        browser, panel, run_id=run_ids, channel=channels, regenerate=regenerate, only=only
    )
    if isinstance(begun, Refusal):
        if begun.active_run is None:
            return Refused(frames.refused(begun))
        html = frames.refused(begun) + frames.conversation(Draft.of(browser))
        return Refused(html, begun.active_run)
    ending = asyncio.Lock()  # the columns end one at a time (see RunStream.ending)
    streams = [RunStream(c.run_id, c.provider, c.body, c.channel, ending) for c in begun.columns]
    return frames.started(begun), streams


def find_run(browser: str, run_id: str) -> Run | None:
    """The run, if it belongs to this browser's draft."""
    return Run.objects.filter(pk=run_id, draft__browser=browser).first()


def live_runs(browser: str) -> list[Run]:
    """The runs of this browser's draft still streaming somewhere."""
    return list(Run.objects.filter(draft__browser=browser).live())


def ended_run(browser: str, run_id: str) -> list[str]:
    """How a run that has ended ended: its answer, or why it has none."""
    draft = Draft.settle(browser)
    found = draft.find_run(run_id)
    where = found[0] if found else 0
    state = {
        "column": where,
        "compare": len(draft.columns) > 1,
        "active_run": draft._streaming_run(),
    }
    if found is not None:
        _, column, index = found
        return frames.finished(run_id, index, column.messages[index], **state)
    run = find_run(browser, run_id)
    if run is not None and failed_before_text(run.status, run.text):  # it left no answer
        lost = message("assistant", "", run.status, error=run.error)
        return [frames.failed(run_id, lost, **{**state, "column": run.column})]
    return [frames.notice("That answer was removed: reload the page.")]
