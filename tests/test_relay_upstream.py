"""SSE parsing of upstream replies, however the bytes are split into reads."""

import json

import httpx
import pytest

from workbench.relay.upstream import UpstreamError, _sse_payloads


def reply(*reads: bytes) -> httpx.Response:
    async def body():
        for read in reads:
            yield read

    return httpx.Response(200, content=body())


async def payloads(*reads: bytes) -> list[dict]:
    return [data async for data in _sse_payloads(reply(*reads))]


def event(text: str, finish: str | None = None) -> bytes:
    delta = {"content": text} if text else {}
    chunk = {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return b"data: " + json.dumps(chunk, ensure_ascii=False).encode() + b"\n\n"


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
