"""SSE parsing of upstream replies, however the bytes are split into reads; the
keep-alive race (a pooled connection closed as it is reused) retried unseen."""

import asyncio

import httpx
import pytest

from tests.raw_upstreams import KeepAliveRace, event
from workbench.catalog.entries import Provider
from workbench.relay.upstream import UpstreamError, _sse_payloads, events


def reply(*reads: bytes) -> httpx.Response:
    async def body():
        for read in reads:
            yield read

    return httpx.Response(200, content=body())


async def payloads(*reads: bytes) -> list[dict]:
    return [data async for data in _sse_payloads(reply(*reads))]


def texts(events: list[dict]) -> str:
    return "".join(c.get("delta", {}).get("content", "") for e in events for c in e["choices"])


async def test_events_split_anywhere_keep_their_text():
    whole = event("héllo ") + event("wörld 🌊") + event("", "stop") + b"data: [DONE]\n\n"
    for size in (1, 2, 3, 7, len(whole)):  # splits inside UTF-8 sequences too
        reads = [whole[i : i + size] for i in range(0, len(whole), size)]
        assert texts(await payloads(*reads)) == "héllo wörld 🌊"


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"])
async def test_crlf_and_cr_line_ends(newline):
    whole = (event("a") + event("b", "stop") + b"data: [DONE]\n\n").replace(b"\n", newline)
    half = len(whole) // 2
    assert texts(await payloads(whole[:half], whole[half:])) == "ab"


async def test_last_line_without_newline_is_read():
    assert (
        texts(await payloads(event("x"), b'data: {"choices": [{"finish_reason": "stop"}]}')) == "x"
    )


async def test_comments_and_other_fields_are_skipped():
    reads = [b": keep-alive\n\n", b"event: message\nid: 1\nretry: 5\n", event("ok", "stop")]
    assert texts(await payloads(*reads)) == "ok"


async def test_a_line_that_is_not_sse_names_itself():
    with pytest.raises(UpstreamError, match="not SSE: 'hello there'"):
        await payloads(event("a"), b"hello there\n\n")


async def test_a_stream_ending_early_is_cut():
    with pytest.raises(UpstreamError) as caught:
        await payloads(event("a"), event("b"))
    assert caught.value.kind == "cut"


async def run_events(upstream: KeepAliveRace, runs: int) -> list[str]:
    server = await asyncio.start_server(upstream.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    provider = Provider("race", "Race", f"http://127.0.0.1:{port}/v1")
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    answers = []
    try:
        for _ in range(runs):
            answers.append(texts([e async for e in events(provider, body)]))
    finally:
        server.close()
    return answers


async def test_a_connection_closed_as_it_is_reused_is_retried_once_unseen():
    upstream = KeepAliveRace()
    assert await run_events(upstream, 3) == ["fine answer"] * 3
    # Runs 2 and 3 each met a closed kept-alive connection, then went on a new one.
    assert (upstream.requests, upstream.connections) == (5, 3)


async def test_a_connection_that_breaks_after_text_is_not_retried():
    upstream = KeepAliveRace(break_after_text=True)
    with pytest.raises(UpstreamError, match="broke mid-answer"):
        await run_events(upstream, 1)
    assert upstream.requests == 1
