"""Upstreams on raw sockets, for faults an ASGI server cannot make (it ends every
response cleanly): a connection dropped mid-answer, and the keep-alive race.
Each runs on its own loop in a thread (``serving``), for in-process and
live-server tests alike."""

import asyncio
import json
import re
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextmanager
def serving(handler: Handler, port: int) -> Iterator[None]:
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    async def serve() -> None:
        await asyncio.start_server(handler, "127.0.0.1", port)
        ready.set()

    thread = threading.Thread(
        target=lambda: (loop.run_until_complete(serve()), loop.run_forever()), daemon=True
    )
    thread.start()
    ready.wait(5)
    try:
        yield
    finally:
        loop.call_soon_threadsafe(loop.stop)


def event(text: str, finish: str | None = None) -> bytes:
    delta = {"content": text} if text else {}
    chunk = {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return b"data: " + json.dumps(chunk, ensure_ascii=False).encode() + b"\n\n"


async def cut_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Start a chunked SSE answer, then abort the TCP connection."""
    await reader.readuntil(b"\r\n\r\n")
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    for i in range(5):
        chunk = event(f"tok{i} ")
        writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        await writer.drain()
        await asyncio.sleep(0.01)
    writer.transport.abort()


class KeepAliveRace:
    """An upstream on a real socket that closes a kept-alive connection as it is
    reused: the second request on a connection gets no reply at all. With
    ``break_after_text``, every reply is cut after its first event instead."""

    def __init__(self, break_after_text: bool = False):
        self.break_after_text = break_after_text
        self.requests = 0  # requests read, answered or not
        self.connections = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        on_this_connection = 0
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))
                await reader.readexactly(length)
                self.requests += 1
                on_this_connection += 1
                if on_this_connection > 1:
                    return  # closed just as it was reused
                whole = event("fine ") + event("answer", "stop") + b"data: [DONE]\n\n"
                if self.break_after_text:
                    whole = event("fine ")
                head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                if self.break_after_text:
                    writer.write(head + b"content-length: 9999\r\n\r\n" + whole)
                    await writer.drain()
                    return
                writer.write(head + b"content-length: %d\r\n\r\n" % len(whole) + whole)
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()
