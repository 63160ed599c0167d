"""The websocket relay: frames from the workbench page in, HTML fragments out.

Frames in are what htmx's ws-send posts (the panel's form values plus a
``type``): run, regenerate or stop. Frames out are htmx out-of-band swaps.
Every run is a task in ``self.runs``; a closed socket cancels them all.
"""

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.html import escape

from workbench.catalog.request import RequestError
from workbench.chat.models import Draft
from workbench.chat.panel import apply_panel, as_multivalue
from workbench.chat.presenters import message_view
from workbench.chat.views import PAGE, SESSION_KEY
from workbench.relay.runs import Run, RunResult, new_run_id

MAX_FRAME = 1024 * 1024  # characters in one incoming frame


class FrameError(Exception):
    """An incoming frame the relay cannot act on; the message goes to the page."""


def notice(text: str) -> str:
    return render_to_string(PAGE + "#notice", {"notice": text, "oob": True})


class RelayConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.runs: dict[str, asyncio.Task] = {}
        self.closed = False
        await self.accept()

    async def disconnect(self, code: int) -> None:
        self.closed = True
        tasks = list(self.runs.values())
        for task in tasks:
            task.cancel()
        # Let each run save its partial answer before the consumer goes.
        await asyncio.gather(*tasks, return_exceptions=True)

    async def send_html(self, html: str) -> None:
        if not self.closed:
            await self.send(text_data=html)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            frame = self.parse(text_data, bytes_data)
            kind = frame.get("type")
            if kind in ("run", "regenerate"):
                await self.start_run(frame, regenerate=kind == "regenerate")
            elif kind == "stop":
                await self.stop_run(str(frame.get("run", "")))
            else:
                raise FrameError(f"Unknown frame type {kind!r}: expected run, regenerate or stop.")
        except FrameError as exc:
            await self.send_html(notice(str(exc)))

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

    def draft_id(self) -> str:
        draft_id = self.scope.get("session", {}).get(SESSION_KEY)
        if not draft_id:
            raise FrameError("This browser has no workbench yet: reload the page.")
        return draft_id

    async def start_run(self, frame: dict[str, Any], regenerate: bool) -> None:
        if any(not t.done() for t in self.runs.values()):
            raise FrameError("An answer is still streaming: stop it first.")
        draft_id, run_id = self.draft_id(), new_run_id()
        turn = await sync_to_async(plan_run)(draft_id, frame, regenerate)
        if turn.body is None:
            await self.send_html(await sync_to_async(refuse_run)(draft_id, frame, regenerate))
            return
        # The request goes out first. While the upstream thinks, one thread step
        # renders the turn, hands it over to be shown (text waits for
        # run.shown) and writes it; the run's finish_run, in the same thread,
        # can only come after.
        run = Run(run_id, turn.draft.provider, turn.body, self._text_sender(run_id))
        task = self.runs[run_id] = asyncio.create_task(self.follow(run, draft_id))
        loop = asyncio.get_running_loop()
        rendered = loop.create_future()

        def hand_over(html: str) -> None:
            loop.call_soon_threadsafe(rendered.set_result, html)

        writing = asyncio.ensure_future(sync_to_async(start_turn)(turn, frame, run_id, hand_over))
        try:
            await asyncio.wait([rendered, writing], return_when=asyncio.FIRST_COMPLETED)
            if rendered.done():
                await self.send_html(rendered.result())
        finally:
            run.shown.set()
        try:
            await writing
        except FrameError:
            task.cancel()
            raise

    def _text_sender(self, run_id: str):
        async def send_text(text: str) -> None:
            await self.send_html(
                f'<span hx-swap-oob="beforeend:#answer-{run_id}">{escape(text)}</span>'
            )

        return send_text

    async def follow(self, run: Run, draft_id: str) -> RunResult:
        result = await run.execute()
        # Shielded: a second cancel (socket closing during a Stop) must not
        # lose the answer on its way to the database.
        html = await asyncio.shield(sync_to_async(finish_run)(draft_id, run.id, result))
        self.runs.pop(run.id, None)
        await self.send_html(html)
        return result

    async def stop_run(self, run_id: str) -> None:
        task = self.runs.get(run_id)
        if task is None:
            raise FrameError("That run has already finished.")
        task.cancel()


@dataclass
class Turn:
    """What a run frame makes of a draft: the body to send, or why nothing can be sent."""

    draft: Draft
    body: dict[str, Any] | None
    errors: dict[str, str]
    removed: list[int]  # answers a regenerate takes away
    pending: str  # the user message this turn adds

    def add_to_draft(self, run_id: str) -> list[int]:
        """Append the user message and the answer's placeholder; return their indexes."""
        first_new = len(self.draft.messages)
        if self.pending:
            self.draft.add_message("user", self.pending)
        self.draft.add_message("assistant", "", status="streaming", run=run_id)
        self.draft.pending = ""
        return list(range(first_new, len(self.draft.messages)))


def apply_frame(draft: Draft | None, frame: dict[str, Any], regenerate: bool) -> Turn:
    """Apply the frame's panel to the draft in memory and build the body."""
    if draft is None:
        raise FrameError("This workbench no longer exists: reload the page.")
    values = {k: v for k, v in frame.items() if k not in ("type", "HEADERS")}
    errors = apply_panel(draft, as_multivalue(values))
    removed = []
    if regenerate:
        while draft.messages and draft.messages[-1]["role"] == "assistant":
            draft.messages.pop()
            removed.append(len(draft.messages))
    pending = "" if regenerate else draft.pending
    body = None
    if not errors:
        try:
            body = draft.request_body(pending=pending)
        except RequestError as exc:
            errors = dict(exc.errors)
            if "messages" in errors:  # shown beside the Message box
                errors["message"] = errors.pop("messages")
    return Turn(draft, body, errors, removed, pending)


def plan_run(draft_id: str, frame: dict[str, Any], regenerate: bool) -> Turn:
    """Read only: the request can leave before anything is rendered or written."""
    return apply_frame(Draft.objects.filter(pk=draft_id).first(), frame, regenerate)


def start_turn(turn: Turn, frame: dict[str, Any], run_id: str, show: Callable[[str], None]) -> None:
    """Show the new turn on the page, then write it to the draft as it is now."""
    new = turn.add_to_draft(run_id)
    regenerate = frame.get("type") == "regenerate"
    ctx = {
        "oob": True,
        "errors": {},
        "draft": turn.draft,
        "active_run": run_id,
        "new_messages": [message_view(i, turn.draft.messages[i]) for i in new],
        "removed": turn.removed,
        "regenerate": regenerate,
    }
    show(render_to_string(PAGE + "#run-started", ctx))
    with transaction.atomic():
        latest = apply_frame(Draft.locked(turn.draft.pk), frame, regenerate)
        latest.add_to_draft(run_id)
        latest.draft.save()


@transaction.atomic
def refuse_run(draft_id: str, frame: dict[str, Any], regenerate: bool) -> str:
    """Keep the panel as typed and say, beside each field, why nothing was sent."""
    turn = apply_frame(Draft.locked(draft_id), frame, regenerate)
    turn.draft.save_panel()
    ctx = {
        "oob": True,
        "errors": turn.errors,
        "draft": turn.draft,
        "notice": "Nothing was sent: " + "; ".join(turn.errors.values()),
    }
    return render_to_string(PAGE + "#run-refused", ctx)


@transaction.atomic
def finish_run(draft_id: str, run_id: str, result: RunResult) -> str:
    """Store the answer where its placeholder was and render it once, as Markdown.

    If the placeholder was deleted meanwhile, the answer is added at the end:
    an answer that cost time and tokens is never dropped.
    """
    draft = Draft.locked(draft_id)
    message = {
        "role": "assistant",
        "content": result.text,
        "status": result.status,
        "error": result.error,
        "figures": result.figures,
    }
    if draft is None:
        return notice("This workbench was removed while the answer was streaming.")
    places = [i for i, m in enumerate(draft.messages) if m.get("run") == run_id]
    if places:
        index = places[0]
        draft.messages[index] = message
    else:
        index = draft.add_message(**message)
    draft.save(update_fields=["messages", "updated_at"])
    ctx = {"oob": True, "oob_target": f"#run-{run_id}", "m": message_view(index, message)}
    return render_to_string(PAGE + "#run-finished", ctx)
