"""A run: one request to the upstream, as a task with an id that belongs to
the conversation, not to the socket that started it.

- Text goes to every page watching: the socket that started the run
  directly, pages that re-attached (a reload, another tab) through the
  channel layer.
- Control (Stop, attach, detach) arrives on the run's own channel, so it
  works the same from any socket of any process.
- With no page watching, the run goes on for ``WORKBENCH_RUN_GRACE``
  seconds, then stops; its partial answer is kept as "stopped".
- Every ``SAVE_EVERY`` seconds the text so far is saved and the run's lease
  renewed (one transaction for all runs of the process), so a crash loses
  at most those seconds and no process mistakes a live run for a dead one.
"""

import asyncio
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from workbench.catalog.entries import Provider
from workbench.chat.conversation import Status
from workbench.chat.markdown import render_answer
from workbench.chat.models import Draft, Outcome, Run
from workbench.limits import LOGPROB_ALTERNATIVES, LOGPROB_TOKENS
from workbench.relay import frames, upstream
from workbench.relay.calls import ToolCalls
from workbench.text import repair

logger = logging.getLogger(__name__)
FRAME_INTERVAL = 0.03  # at most one text frame per 30 ms after the first
Send = Callable[[str], Awaitable[None]]

ACTIVE: dict[str, "RunStream"] = {}  # this process's runs, by id
_keeper: asyncio.Task | None = None


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


def save_every() -> float:
    return min(2.0, settings.WORKBENCH_RUN_LEASE / 3)


class Pieces:
    """Text as it streams in: kept in pieces, repaired (a surrogate pair split
    across two pieces is joined), with how much of it the pages were sent."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.sent = 0  # parts already sent to the pages
        self._high = ""  # a high surrogate waiting for its other half

    def take(self, piece: str) -> bool:
        """Add a piece; whether there is new text to send."""
        piece, self._high = self._high + piece, ""
        if "\ud800" <= piece[-1] <= "\udbff":
            piece, self._high = piece[:-1], piece[-1]
        if piece:
            self.parts.append(repair(piece))
        return bool(piece)

    def end(self) -> None:
        """A half pair left at the end will never be whole."""
        if self._high:
            self.take("\ufffd")

    def unsent(self) -> str:
        more = "".join(self.parts[self.sent :])
        self.sent = len(self.parts)
        return more

    def shown(self) -> str:
        return "".join(self.parts[: self.sent])

    def __str__(self) -> str:
        return "".join(self.parts)


class RunStream:
    def __init__(
        self,
        run_id: str,
        provider: Provider,
        body: dict[str, Any],
        channel: str,
        ending: asyncio.Lock | None = None,
    ):
        self.id = run_id
        self.provider = provider
        self.body = body
        self.channel = channel
        self.answer = Pieces()
        self.reply = Reply()
        self.reasoning = Pieces()  # what a reasoning model streams apart from its answer
        self.direct: set[Send] = set()
        self.remote: set[str] = set()  # channel names of consumers that re-attached
        self.shown = asyncio.Event()  # set once the starting page has a place for the text
        self._wake = asyncio.Event()
        self._grace: asyncio.TimerHandle | None = None
        self.reader: asyncio.Task | None = None
        self.task: asyncio.Task | None = None
        self._pulling = False  # reading the upstream: only then does Stop cancel
        self._stop_asked = False
        # The columns of one run share this: each stores its answer and sends the
        # frames saying so before the next may, so the last frame a page gets is
        # the one written last (it alone knows no column is left streaming).
        self.ending = ending or asyncio.Lock()
        # A page that re-attaches gets the text sent so far, then joins the viewers;
        # a flush in between (while the snapshot is on its way over the channel
        # layer) would send a piece to everyone but it, and it would never see it.
        self._sending = asyncio.Lock()

    # -- lifecycle ------------------------------------------------------------

    def begin(self) -> asyncio.Task:
        self.task = asyncio.create_task(self._main(), name=f"run-{self.id}")
        ACTIVE[self.id] = self
        _ensure_keeper()
        return self.task

    def stop(self) -> None:
        """Stop reading the upstream (closing its response). Once reading is over,
        a Stop changes nothing: the answer is being stored as it ended."""
        self._stop_asked = True
        if self._pulling and self.reader is not None:
            self.reader.cancel()

    async def _main(self) -> Outcome:
        control = asyncio.create_task(self._control())
        self.reader = asyncio.create_task(self._read())
        try:
            outcome = await asyncio.shield(self.reader)
        except asyncio.CancelledError:  # the process is going away: keep what there is
            self.stop()
            outcome = await self.reader
        finally:
            control.cancel()
            if self._grace:
                self._grace.cancel()
        figures = outcome.figures
        logger.info(
            "run %s ended: model=%s provider=%s outcome=%s ttft_ms=%s tokens=%s total_ms=%.0f",
            self.id,
            self.body.get("model"),
            self.provider.id,
            outcome.status,
            None if figures.get("ttft_ms") is None else round(figures["ttft_ms"]),
            figures.get("completion_tokens"),
            figures.get("total_ms", 0),
        )  # never the text, the body's messages or a key
        try:
            await asyncio.shield(self._end(outcome))  # stored even if the process is going
        except Exception:
            logger.exception("run %s: could not store its outcome (%s)", self.id, outcome.status)
        finally:
            ACTIVE.pop(self.id, None)
            if not ACTIVE and _keeper is not None:
                _keeper.cancel()  # nothing left to keep
        return outcome

    async def _end(self, outcome: Outcome) -> None:
        async with self.ending:
            response_format = self.body.get("response_format")
            pieces = await database_sync_to_async(_finish)(self.id, outcome, response_format)
            async with self._sending:
                for i, html in enumerate(pieces):
                    await self._broadcast(html, last=i == len(pieces) - 1)

    # -- who is watching ------------------------------------------------------

    def attach(self, send: Send) -> None:
        self.direct.add(send)
        self._watchers_changed()

    def detach(self, send: Send) -> None:
        self.direct.discard(send)
        self._watchers_changed()

    def snapshot(self) -> list[str]:
        """Frames that put the whole answer so far on a page (in pieces, if long);
        what is sent after them follows on."""
        shown = frames.snapshot(self.id, self.answer.shown(), self.reasoning.shown())
        if self.reply.tool_calls:
            shown.append(frames.tool_calls(self.id, self.reply.tool_calls.calls()))
        return shown

    async def _attach_remote(self, viewer: str) -> None:
        sent = True
        async with self._sending:  # no flush between the snapshot and joining the viewers
            for html in self.snapshot():
                sent = sent and await self._send_remote(viewer, html)
            if sent:
                self.remote.add(viewer)
        self._watchers_changed()

    def _watchers_changed(self) -> None:
        if self.direct or self.remote:
            if self._grace:
                self._grace.cancel()
                self._grace = None
        elif self._grace is None and self.task is not None:
            grace = settings.WORKBENCH_RUN_GRACE
            self._grace = asyncio.get_running_loop().call_later(grace, self.stop)

    async def _control(self) -> None:
        layer = get_channel_layer()
        while True:
            message = await layer.receive(self.channel)
            kind = message.get("type")
            if kind == "run.stop":
                self.stop()
            elif kind == "run.attach":
                await self._attach_remote(str(message.get("viewer")))
            elif kind == "run.detach":
                self.remote.discard(str(message.get("viewer")))
                self._watchers_changed()

    async def _send_remote(self, viewer: str, html: str, last: bool = False) -> bool:
        event = {"type": "run.frame", "run": self.id, "html": html, "last": last}
        try:
            await get_channel_layer().send(viewer, event)
        except ChannelFull:  # that page stopped reading
            return False
        return True

    async def _broadcast(self, html: str, last: bool = False) -> None:
        for send in list(self.direct):
            try:
                await send(html)
            except Exception:
                logger.warning("run %s: a page could not be sent to", self.id, exc_info=True)
                self.direct.discard(send)
        for viewer in list(self.remote):
            if not await self._send_remote(viewer, html, last):
                self.remote.discard(viewer)
        if not (self.direct or self.remote):
            self._watchers_changed()

    # -- text -----------------------------------------------------------------

    def text(self) -> str:
        return str(self.answer)

    async def _flusher(self) -> None:
        # Wakes on new text; after each frame waits FRAME_INTERVAL, so the
        # first piece goes out at once and later ones are gathered.
        await self.shown.wait()
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._flush()
            await asyncio.sleep(FRAME_INTERVAL)

    async def _flush(self) -> None:
        async with self._sending:
            for html in frames.reasoning(self.id, self.reasoning.unsent()):
                await self._broadcast(html)
            for html in frames.text(self.id, self.answer.unsent()):
                await self._broadcast(html)
            calls = self.reply.tool_calls
            if calls.changed:  # the calls so far, in place of those shown
                calls.changed = False
                await self._broadcast(frames.tool_calls(self.id, calls.calls()))

    async def _read(self) -> Outcome:
        """Read the answer to its end, whatever the upstream sends: every way out
        (done, Stop, an upstream error, a reply of an unexpected shape, the
        deadline) ends in an Outcome with the text so far."""
        started = time.perf_counter()
        reply = self.reply
        status, error = Status.DONE, ""
        flusher = asyncio.create_task(self._flusher())
        try:
            self._pulling = True
            if self._stop_asked:  # stopped before it began
                raise asyncio.CancelledError
            async with asyncio.timeout(self.provider.deadline):
                async for data in upstream.events(self.provider, self.body):
                    text, reasoning = reply.read(data)
                    new = bool(reasoning) and self.reasoning.take(reasoning)
                    if (text and self.answer.take(text)) or new or reply.tool_calls.changed:
                        self._wake.set()
        except asyncio.CancelledError:
            status = Status.STOPPED
        except TimeoutError:
            status = Status.ERROR
            error = (
                f"{self.provider.name} was still answering after {self.provider.deadline:g} s, "
                "the longest a run may take; the answer so far is kept."
            )
        except upstream.UpstreamError as exc:
            status, error = Status.ERROR, exc.message
        except Exception as exc:  # a reply of an unexpected shape must still end the run
            logger.exception("run %s: unexpected reply from %s", self.id, self.provider.id)
            status = Status.ERROR
            error = (
                f"{self.provider.name} sent a reply of an unexpected shape ({type(exc).__name__})."
            )
        finally:
            self._pulling = False
            flusher.cancel()
            await asyncio.gather(flusher, return_exceptions=True)
        self.answer.end()
        self.reasoning.end()
        await self.shown.wait()
        await self._flush()
        text, reasoning = str(self.answer), str(self.reasoning)
        calls = reply.tool_calls.calls()
        if status == Status.DONE and not text and not calls:
            status = Status.ERROR
            error = (
                "The model returned an empty answer "
                f"(finish reason: {reply.finish_reason or 'none'})."
            )
            if reasoning:
                error += " It was still reasoning: raise Max tokens to leave room for an answer."
        figures = reply.figures(started, time.perf_counter())
        return Outcome(text, status, error, figures, reasoning, reply.logprobs, calls)


REASONING_FIELDS = ("reasoning_content", "reasoning")


class Reply:
    """What an OpenAI-compatible reply says, read leniently: text as a string or
    as content parts, usage only where it is a number."""

    def __init__(self) -> None:
        self.first: float | None = None
        self.pieces = 0
        self.usage: dict[str, Any] = {}
        self.finish_reason: str | None = None
        self.logprobs: list[list[Any]] = []  # [token, logprob, [[alternative, logprob], ...]]
        self.tool_calls = ToolCalls()

    def read(self, data: dict[str, Any]) -> tuple[str, str]:
        """The text in one chunk (streamed) or reply (not streamed), and the reasoning
        text beside it (``reasoning_content``, as llama.cpp, vLLM and DeepSeek send
        it, or ``reasoning``). Tool calls are gathered in ``tool_calls``."""
        if isinstance(data.get("usage"), dict):
            self.usage = data["usage"]
        choices = data.get("choices") or []
        if not isinstance(choices, list):
            raise upstream.UpstreamError("malformed", "The reply's choices are not a list.")
        text = reasoning = ""
        called = False
        for choice in choices:
            if not isinstance(choice, dict):
                raise upstream.UpstreamError("malformed", "A choice in the reply is not an object.")
            turn = choice.get("delta") or choice.get("message") or {}
            if isinstance(turn, dict):
                text += _text_of(turn.get("content"))
                reasoning += next(
                    (turn[k] for k in REASONING_FIELDS if isinstance(turn.get(k), str)), ""
                )
                called = self.tool_calls.take(turn.get("tool_calls")) or called
            if isinstance(choice.get("finish_reason"), str):
                self.finish_reason = choice["finish_reason"]
            self._read_logprobs(choice.get("logprobs"))
        if text or reasoning or called:  # the first token, whichever it is
            self.first = self.first or time.perf_counter()
            self.pieces += 1
        return text, reasoning

    def _read_logprobs(self, logprobs: Any) -> None:
        """Each token's log probability and its likeliest alternatives, where the
        choice has them (``logprobs.content``) in the shape they should have."""
        entries = logprobs.get("content") if isinstance(logprobs, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if len(self.logprobs) >= LOGPROB_TOKENS:
                return
            if (token := _token(entry)) is None:
                continue
            others = entry.get("top_logprobs")
            others = others if isinstance(others, list) else []
            alternatives = [list(t) for o in others if (t := _token(o))]
            self.logprobs.append([*token, alternatives[:LOGPROB_ALTERNATIVES]])

    def figures(self, started: float, ended: float) -> dict[str, Any]:
        completion = _count(self.usage.get("completion_tokens"))
        approximate = completion is None
        if completion is None:
            completion = self.pieces  # one streamed piece is about one token
        generating = ended - self.first if self.first else 0
        return {
            "ttft_ms": (self.first - started) * 1000 if self.first else None,
            "total_ms": (ended - started) * 1000,
            "prompt_tokens": _count(self.usage.get("prompt_tokens")),
            "completion_tokens": completion,
            "approximate": approximate,
            "tokens_per_second": completion / generating if generating > 0 and completion else None,
            "finish_reason": self.finish_reason,
        }


def _text_of(content: Any) -> str:
    """Message content as text: a string, or the text of its ``{"type": "text"}`` parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            p["text"]
            for p in content
            if isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
        )
    return ""


def _token(entry: Any) -> tuple[str, float] | None:
    """(token, log probability) of a logprobs entry, if it is one."""
    if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
        return None
    logprob = entry.get("logprob")
    if isinstance(logprob, bool) or not isinstance(logprob, int | float):
        return None
    if not math.isfinite(logprob) and logprob != -math.inf:
        return None
    return repair(entry["token"]), min(max(float(logprob), -9999.0), 0.0)  # -inf: never chosen


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _finish(run_id: str, outcome: Outcome, response_format: Any = None) -> list[str]:
    """Render the answer once (as JSON if its body asked for JSON), store it with the
    outcome, and give the frames that replace the streaming card."""
    html = render_answer(outcome.text, response_format)
    placed = Draft.finish_run(run_id, outcome, html, response_format)
    if placed is None:
        return [frames.notice("This workbench was removed while the answer was streaming.")]
    return frames.finished(run_id, *placed, **frames.column_state(run_id))


def _ensure_keeper() -> None:
    global _keeper
    if _keeper is None or _keeper.done():
        _keeper = asyncio.create_task(_keep(), name="run-keeper")


async def _keep() -> None:
    """Save every live run's text and renew its lease, until none is left."""
    while ACTIVE:
        await asyncio.sleep(save_every())
        texts = {run_id: run.text() for run_id, run in list(ACTIVE.items())}
        try:
            await database_sync_to_async(_renew_all)(texts)
        except Exception:
            logger.exception("could not save %d streaming runs", len(texts))


@transaction.atomic
def _renew_all(texts: dict[str, str]) -> None:
    for run_id, text in texts.items():
        Run.renew(run_id, text)
