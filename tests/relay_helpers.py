"""Driving the relay consumer over a real websocket protocol (channels' communicator)."""

import asyncio
import html
import json
import secrets

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from workbench.chat import current
from workbench.chat.models import Draft
from workbench.relay import frames
from workbench.relay.consumer import RelayConsumer


async def start_draft(model_id: str = "fake-chat") -> Draft:
    def create() -> Draft:
        draft = Draft.new(secrets.token_urlsafe(24), model_id)
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


# Every class of upstream failure: (fake upstream config, model, what the page says).
ERRORS = [
    (
        {"fault": "http_401"},
        "fake-chat",
        "Fake upstream refused the request (401): Incorrect API key provided.",
    ),
    ({"fault": "http_403"}, "fake-chat", "refused the request (403)"),
    (
        {"fault": "http_404"},
        "fake-chat",
        "does not know model &#x27;fake-chat&#x27; (404): The model does not exist.",
    ),
    (
        {"fault": "http_400"},
        "fake-chat",
        "rejected the request (400): Invalid value for &#x27;temperature&#x27;",
    ),
    (
        {"fault": "http_429"},
        "fake-chat",
        "rate-limiting requests (429): Rate limit reached for requests.. Retry after 7 s.",
    ),
    ({"fault": "http_500"}, "fake-chat", "had a server error (500)"),
    (
        {"fault": "http_503"},
        "fake-chat",
        "had a server error (503): The engine is currently overloaded.",
    ),
    ({"fault": "html_error"}, "fake-chat", "had a server error (502): &lt;html&gt;"),
    ({"tokens": 50, "rate": 100, "ttft": 0}, "fake-cut", "broke mid-answer"),
    ({"fault": "stall"}, "fake-chat", "stopped sending mid-answer: nothing for 2 s"),
    ({"fault": "no_done"}, "fake-chat", "The stream ended before the answer was complete."),
    ({"fault": "garbage"}, "fake-chat", "a line that is not SSE"),
    ({"fault": "bad_json"}, "fake-chat", "an event that is not JSON"),
    (
        {"fault": "error_event"},
        "fake-chat",
        "The model stopped with an error: Model overloaded mid-stream",
    ),
    ({"fault": "empty"}, "fake-chat", "The model returned an empty answer"),
    ({"ttft": 3}, "fake-chat", "sent nothing for 2 s"),
    ({}, "fake-nowhere", "Could not connect to Nowhere at http://127.0.0.1:"),
]
