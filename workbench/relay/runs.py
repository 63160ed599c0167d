"""A run: one request to the upstream, as an asyncio task with an id.

The run owns the stream, not the socket: whoever started it may cancel it
(Stop, a closed tab), and cancelling closes the upstream response at once
while the text received so far is kept and reported as "stopped".
"""

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from workbench.catalog.entries import Provider
from workbench.relay import upstream

logger = logging.getLogger(__name__)
FRAME_INTERVAL = 0.03  # at most one text frame per 30 ms after the first


@dataclass
class RunResult:
    text: str
    status: str  # done, stopped or error
    error: str = ""
    figures: dict[str, Any] = field(default_factory=dict)


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


class Run:
    """Reads one answer and hands text to ``on_text`` in coalesced pieces."""

    def __init__(
        self,
        run_id: str,
        provider: Provider,
        body: dict[str, Any],
        on_text: Callable[[str], Awaitable[None]],
    ):
        self.id = run_id
        self.provider = provider
        self.body = body
        self.on_text = on_text
        self._unsent: list[str] = []
        self._wake = asyncio.Event()
        self.shown = asyncio.Event()  # set once the page has a place for the text

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
        if self._unsent:
            text, self._unsent = "".join(self._unsent), []
            await self.on_text(text)

    async def execute(self) -> RunResult:
        started = time.perf_counter()
        first: float | None = None
        parts: list[str] = []
        usage: dict[str, Any] | None = None
        finish_reason = None
        pieces = 0
        status, error = "done", ""
        flusher = asyncio.create_task(self._flusher())
        try:
            async for data in upstream.events(self.provider, self.body):
                usage = data.get("usage") or usage
                for choice in data.get("choices") or []:
                    piece = (choice.get("delta") or choice.get("message") or {}).get("content")
                    if piece:
                        first = first or time.perf_counter()
                        pieces += 1
                        parts.append(piece)
                        self._unsent.append(piece)
                        self._wake.set()
                    finish_reason = choice.get("finish_reason") or finish_reason
        except asyncio.CancelledError:
            status = "stopped"
        except upstream.UpstreamError as exc:
            status, error = "error", exc.message
        except Exception as exc:  # a reply of an unexpected shape must still end the run
            logger.exception("run %s: unexpected reply from %s", self.id, self.provider.id)
            status = "error"
            error = f"{self.provider.name} sent a reply of an unexpected shape ({exc!r})."
        finally:
            flusher.cancel()
            await asyncio.gather(flusher, return_exceptions=True)
        await self.shown.wait()
        await self._flush()
        ended = time.perf_counter()
        text = "".join(parts)
        if status == "done" and not text:
            status = "error"
            error = (
                f"The model returned an empty answer (finish reason: {finish_reason or 'none'})."
            )
        return RunResult(
            text, status, error, _figures(started, first, ended, usage, pieces, finish_reason)
        )


def _figures(
    started: float,
    first: float | None,
    ended: float,
    usage: dict[str, Any] | None,
    pieces: int,
    finish_reason: str | None,
) -> dict[str, Any]:
    completion = (usage or {}).get("completion_tokens")
    approximate = completion is None
    if approximate:
        completion = pieces  # one streamed piece is about one token
    generating = ended - first if first else 0
    return {
        "ttft_ms": (first - started) * 1000 if first else None,
        "total_ms": (ended - started) * 1000,
        "prompt_tokens": (usage or {}).get("prompt_tokens"),
        "completion_tokens": completion,
        "approximate": approximate,
        "tokens_per_second": completion / generating if generating > 0 and completion else None,
        "finish_reason": finish_reason,
    }
