"""Driving the relay consumer over a real websocket protocol (channels' communicator)."""

import asyncio
import json
import re

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from workbench.chat.models import Draft
from workbench.relay.consumer import RelayConsumer

FINISHED = re.compile(r'data-status="(done|stopped|error)" hx-swap-oob="outerHTML:#run-(\w+)"')
DELTA = re.compile(r'<span hx-swap-oob="beforeend:#answer-(\w+)">(.*)</span>', re.S)


async def start_draft(model_id: str = "fake-chat") -> Draft:
    return await sync_to_async(Draft.start)(model_id)


async def connect(draft: Draft) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(RelayConsumer.as_asgi(), "/ws/relay")
    comm.scope["session"] = {"draft_id": str(draft.pk)}
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


async def next_frame(comm: WebsocketCommunicator, timeout: float = 10) -> str:
    return await comm.receive_from(timeout=timeout)


async def until_finished(comm: WebsocketCommunicator, timeout: float = 15) -> list[str]:
    """Every frame up to and including the one that replaces the streaming answer."""
    frames = []
    async with asyncio.timeout(timeout):
        while True:
            frames.append(await comm.receive_from(timeout=timeout))
            if FINISHED.search(frames[-1]):
                return frames


def run_id_of(frame: str) -> str:
    return re.search(r'id="run-(\w+)"', frame).group(1)


def streamed_text(frames: list[str]) -> str:
    import html

    return "".join(html.unescape(m.group(2)) for f in frames for m in [DELTA.search(f)] if m)


def status_of(frames: list[str]) -> str:
    return FINISHED.search(frames[-1]).group(1)


async def reload(draft: Draft) -> Draft:
    return await sync_to_async(Draft.objects.get)(pk=draft.pk)
