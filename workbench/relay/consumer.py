"""The websocket relay: frames from the workbench page in, HTML fragments out.

Frames in are what htmx's ws-send posts (the panel's form values plus a
``type``): run, regenerate or stop. Frames out are htmx out-of-band swaps.
Every run is a task in ``self.runs``; a closed socket cancels them all.
"""

import asyncio
import json
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
        run_id = new_run_id()
        prepared = await sync_to_async(prepare_run)(self.draft_id(), frame, run_id, regenerate)
        if prepared.get("body") is None:
            await self.send_html(prepared["html"])
            return
        # The turn is rendered and sent before the run's task starts (it starts
        # when this coroutine first yields). Text waits (run.shown) until the
        # turn is on the page. Rendering after the request had left was tried
        # and measured: docs/benchmarks.md.
        run = Run(run_id, prepared["provider"], prepared["body"], self._text_sender(run_id))
        self.runs[run_id] = asyncio.create_task(self.follow(run, prepared["draft_id"]))
        try:
            await self.send_html(render_to_string(PAGE + "#run-started", prepared["ctx"]))
        finally:
            run.shown.set()

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


@transaction.atomic
def prepare_run(draft_id: str, frame: dict[str, Any], run_id: str, regenerate: bool) -> dict:
    """Apply the panel, build the body and record the turn; runs in a thread (ORM)."""
    draft = Draft.locked(draft_id)
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
    ctx: dict[str, Any] = {"oob": True, "errors": errors, "draft": draft}
    if errors:
        draft.save_panel()
        ctx["notice"] = "Nothing was sent: " + "; ".join(errors.values())
        return {"html": render_to_string(PAGE + "#run-refused", ctx), "body": None}
    first_new = len(draft.messages)
    if pending:
        draft.add_message("user", pending)
    draft.add_message("assistant", "", status="streaming", run=run_id)
    draft.pending = ""
    draft.save()
    new = [message_view(i, draft.messages[i]) for i in range(first_new, len(draft.messages))]
    ctx.update(active_run=run_id, new_messages=new, removed=removed, regenerate=regenerate)
    return {
        "ctx": ctx,
        "body": body,
        "provider": draft.provider,
        "draft_id": str(draft.pk),
    }


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
