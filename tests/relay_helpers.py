"""Driving the relay consumer over a real websocket protocol (channels' communicator)."""

import asyncio
import html
import json
import os
import secrets
from pathlib import Path
from typing import Any

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import AsyncClient

from workbench.chat import current
from workbench.chat.conversation import Status, failed_before_text
from workbench.chat.models import Draft, Run
from workbench.relay import frames
from workbench.relay.consumer import RelayConsumer

WS_LIMIT = 1024 * 1024  # bytes in one frame a browser's websocket is sure to take
# The suite's Redis (channel names are random: runs sharing it never meet).
REDIS_URL = "redis://127.0.0.1:6379/3"


def redis_layers(url: str = REDIS_URL) -> dict:
    """CHANNEL_LAYERS as settings.py makes them from REDIS_URL."""
    host = {"address": url, "socket_timeout": 15}
    return {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [host]}}
    }


async def start_draft(model_id: str = "fake-chat", pending: str = "") -> Draft:
    def create() -> Draft:
        draft = Draft.new(secrets.token_urlsafe(24), model_id)
        draft.pending = pending
        draft.save()
        return draft

    return await sync_to_async(create)()


async def connect(draft: Draft) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(RelayConsumer.as_asgi(), "/ws/relay")
    comm.scope["cookies"] = {current.COOKIE: draft.browser}
    connected, _ = await comm.connect()
    assert connected
    return comm


def run_frame(message: str = "Hello", model: str = "fake-chat", kind: str = "run", **params) -> str:
    frame = {
        "type": kind,
        "model": model,
        "system_prompt": "",
        "message": message,
        "param-stream-shown": "1",
        "HEADERS": {"HX-Request": "true"},
    }
    params.setdefault("stream", "true")
    for name, value in params.items():
        if value is not None:
            frame[f"param-{name}"] = value
    return json.dumps(frame)


async def streaming(draft: Draft, **frame) -> tuple[WebsocketCommunicator, str]:
    """A page of ``draft`` that started a run and has its first text: (page, run id)."""
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame(**frame))
    run_id = run_id_of(await next_frame(comm))
    await next_frame(comm)
    return comm, run_id


async def next_frame(comm: WebsocketCommunicator, timeout: float = 10) -> str:
    return await comm.receive_from(timeout=timeout)


async def until_finished(comm: WebsocketCommunicator, timeout: float = 15) -> list[str]:
    """Every frame up to and including the one that replaces the streaming answer."""
    frames_seen = []
    async with asyncio.timeout(timeout):
        while True:
            frames_seen.append(await comm.receive_from(timeout=timeout))
            if frames.FINISHED.search(frames_seen[-1]):
                return frames_seen


def run_id_of(frame: str) -> str:
    return frames.STARTED.search(frame).group(1)


def streamed_text(frames_seen: list[str]) -> str:
    pieces = (frames.TEXT.match(f) for f in frames_seen)
    return "".join(html.unescape(m.group(2)) for m in pieces if m)


def delivered_text(frames_seen: list[str]) -> str:
    """What the page shows of an answer: a snapshot replaces it, text frames add to it."""
    shown = ""
    for frame in frames_seen:
        if found := frames.SNAPSHOT.match(frame):
            shown = html.unescape(found.group(2))
        elif found := frames.TEXT.match(frame):
            shown += html.unescape(found.group(2))
    return shown


def sendable(frame: str) -> None:
    """A real server must be able to send the frame: UTF-8, under a MiB."""
    size = len(frame.encode("utf-8"))  # raises on a lone surrogate
    assert size < WS_LIMIT, f"a frame of {size:,} bytes"


async def reply_to(
    comm: WebsocketCommunicator,
    text_data: str | None = None,
    bytes_data: bytes | None = None,
    timeout: float = 4,
) -> list[str]:
    """Send one frame; what it brings back: a notice, or a run's frames up to its end.

    An exception in the consumer comes out of here (the communicator re-raises
    it): that is a socket closed without a notice.
    """
    # send_input, not send_to: an empty frame is a frame too
    data = {"bytes": bytes_data} if bytes_data is not None else {"text": text_data}
    await comm.send_input({"type": "websocket.receive", **data})
    first = await next_frame(comm, timeout)
    run = frames.STARTED.search(first)
    seen = [first, *(await until_finished(comm, timeout) if run else [])]
    for frame in seen:
        sendable(frame)
    return seen


async def refused(
    comm: WebsocketCommunicator, text_data: str | None = None, bytes_data: bytes | None = None
) -> str:
    """Send a frame the relay must refuse: the notice's text (no run started)."""
    seen = await reply_to(comm, text_data, bytes_data)
    assert not frames.STARTED.search(seen[0]), "the frame started a run"
    found = frames.NOTICE.search(seen[0])
    assert found and found.group(1), f"no notice in {seen[0][:300]!r}"
    return html.unescape(found.group(1))


async def still_usable(comm: WebsocketCommunicator, message: str = "Hello") -> None:
    """After whatever came before, a normal run on this socket succeeds."""
    seen = await reply_to(comm, run_frame(message))
    assert frames.STARTED.search(seen[0]), seen[0][:300]
    assert status_of(seen) == "done"


async def page_status(draft: Draft) -> int:
    """``GET /`` as the draft's browser: the page must render whatever the draft holds."""
    client = AsyncClient()
    client.cookies[current.COOKIE] = draft.browser
    return (await client.get("/")).status_code


async def state_of(draft: Draft) -> dict[str, Any]:
    """Everything a refused input must leave as it was."""

    def read() -> dict[str, Any]:
        fresh = Draft.objects.get(pk=draft.pk)
        runs = sorted(Run.objects.filter(draft=fresh).values_list("id", flat=True))
        return {
            "columns": fresh.columns,
            "pending": fresh.pending,
            "revision": fresh.revision,
            "runs": runs,
        }

    return await sync_to_async(read)()


async def run_ended_well(draft: Draft, run_id: str, frames_seen: list[str]) -> dict:
    """The checks every run must pass however it ended; the stored answer.

    It has a final status (in the frames, the message and the Run), is not
    left streaming, and what the page was shown is what was stored. A run
    that failed before any text stores no answer: its status, text and error
    are the Run's, and its reason is in the page's notice.
    """
    stored = await reload(draft)
    run = await sync_to_async(Run.objects.get)(pk=run_id)
    column = stored.column(run.column)
    ended = status_of(frames_seen)
    if failed_before_text(run.status, run.text):
        assert column.find_run(run_id) is None and ended == Status.ERROR
        assert html.escape(run.error) in frames.NOTICE.search(frames_seen[-1]).group(1)
        return {"status": run.status, "content": run.text, "error": run.error}
    answer = column.messages[column.find_run(run_id)]
    assert answer["status"] == run.status == ended != Status.STREAMING
    assert answer["content"] == run.text == delivered_text(frames_seen)
    return answer


def status_of(frames_seen: list[str]) -> str:
    return frames.FINISHED.search(frames_seen[-1]).group(1)


async def reload(draft: Draft) -> Draft:
    return await sync_to_async(Draft.objects.get)(pk=draft.pk)


def turns(draft: Draft, column: int = 0) -> list[dict]:
    """The column's messages as (role, content, status) dicts, without ids."""
    return [
        {"role": m["role"], "content": m["content"], "status": m["status"]}
        for m in draft.column(column).messages
    ]


# Every class of upstream failure: (fake upstream config, model, what the page says,
# whether text came first). A run that failed after some text keeps it in an answer
# card with the error; one that failed before any leaves no answer, only a notice.
ERRORS = [
    (
        {"fault": "http_401"},
        "fake-chat",
        "Fake upstream refused the request (401): Incorrect API key provided.",
        False,
    ),
    ({"fault": "http_403"}, "fake-chat", "refused the request (403)", False),
    (
        {"fault": "http_404"},
        "fake-chat",
        "does not know model &#x27;fake-chat&#x27; (404): The model does not exist.",
        False,
    ),
    (
        {"fault": "http_400"},
        "fake-chat",
        "rejected the request (400): Invalid value for &#x27;temperature&#x27;",
        False,
    ),
    (
        {"fault": "http_429"},
        "fake-chat",
        "rate-limiting requests (429): Rate limit reached for requests. Retry after 7 s.",
        False,
    ),
    ({"fault": "http_500"}, "fake-chat", "had a server error (500)", False),
    (
        {"fault": "http_503"},
        "fake-chat",
        "had a server error (503): The engine is currently overloaded.",
        False,
    ),
    ({"fault": "html_error"}, "fake-chat", "had a server error (502): &lt;html&gt;", False),
    ({"tokens": 50, "rate": 100, "ttft": 0}, "fake-cut", "broke mid-answer", True),
    ({"fault": "stall"}, "fake-chat", "stopped sending mid-answer: nothing for 2 s", True),
    ({"fault": "no_done"}, "fake-chat", "The stream ended before the answer was complete.", True),
    ({"fault": "garbage"}, "fake-chat", "a line that is not SSE", True),
    ({"fault": "bad_json"}, "fake-chat", "an event that is not JSON", True),
    (
        {"fault": "error_event"},
        "fake-chat",
        "The model stopped with an error: Model overloaded mid-stream",
        True,
    ),
    ({"fault": "empty"}, "fake-chat", "The model returned an empty answer", False),
    ({"ttft": 3}, "fake-chat", "sent nothing for 2 s", False),
    ({}, "fake-nowhere", "Could not connect to Nowhere at http://127.0.0.1:", False),
    ({}, "fake-nowhere", "/v1: Connection refused.", False),
]


def open_connections_to(port: int) -> int:
    """ESTABLISHED TCP connections of this process whose remote port is ``port``."""
    inodes = set()
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if remote_port == port and fields[3] == "01" and fields[9] in inodes:
                count += 1
    return count
