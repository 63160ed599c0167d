"""Talking to an OpenAI-compatible upstream: one shared client, SSE parsing,
and errors a person can act on.
"""

import asyncio
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import httpx
import httpx_aiohttp

from workbench.catalog.entries import Provider
from workbench.catalog.registry import get_catalog

CONNECT_TIMEOUT = 5.0
ERROR_BODY_LIMIT = 64 * 1024

_client: httpx.AsyncClient | None = None
_client_loop: asyncio.AbstractEventLoop | None = None


def client() -> httpx.AsyncClient:
    """The process's shared client (one per event loop): pooled, with explicit timeouts.

    httpx's API on aiohttp's transport (httpx-aiohttp): a quarter less CPU per
    relayed token than httpcore's, and a faster start burst (docs/benchmarks.md)."""
    global _client, _client_loop
    loop = asyncio.get_running_loop()
    if _client is None or _client_loop is not loop or _client.is_closed:
        _client = httpx_aiohttp.HttpxAiohttpClient(
            timeout=httpx.Timeout(60.0, connect=CONNECT_TIMEOUT, pool=CONNECT_TIMEOUT),
            limits=httpx.Limits(max_connections=2000),
        )
        _client_loop = loop
    return _client


async def close() -> None:
    """Close the shared client's connections: the process (or a test's loop) ends."""
    global _client
    if _client is not None and _client_loop is asyncio.get_running_loop():
        await _client.aclose()
    _client = None


def broken(exc: httpx.TransportError) -> bool:
    """Whether the upstream closed or reset the connection. httpx-aiohttp reports
    aiohttp's "server disconnected" and resets as a ConnectTimeout; the cause says
    what happened (a connect failure proper is a ClientConnectorError)."""
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return True
    cause = exc.__cause__
    return isinstance(cause, aiohttp.ServerDisconnectedError) or (
        isinstance(cause, aiohttp.ClientOSError)
        and not isinstance(cause, aiohttp.ClientConnectorError)
    )


class UpstreamError(Exception):
    """A failure worded for the person at the workbench; ``kind`` is for code and tests."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


def headers_for(provider: Provider) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
    if provider.api_key_env:
        if provider.missing_key:  # Run refuses first; the key may go while a page is open
            raise UpstreamError("missing_key", provider.no_key_reason())
        headers.update(provider.auth_headers())
    return headers


def _upstream_message(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:500]
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict) and "message" in err:
            return str(err["message"])
        if isinstance(err, str):
            return err
    return text[:500]


def http_error(
    provider: Provider, model_id: str, response: httpx.Response, raw: bytes
) -> UpstreamError:
    status = response.status_code
    detail = (_upstream_message(raw) or response.reason_phrase).rstrip(". ")
    detail = get_catalog().without_keys(detail)  # kept with the run, shown, exported
    name = provider.name
    if status in (401, 403):
        hint = f" Check {provider.api_key_env}." if provider.api_key_env else ""
        return UpstreamError("auth", f"{name} refused the request ({status}): {detail}.{hint}")
    if status == 404:
        return UpstreamError(
            "not_found", f"{name} does not know model '{model_id}' (404): {detail}."
        )
    if status == 429:
        retry = response.headers.get("retry-after")
        wait = f" Retry after {retry} s." if retry else ""
        return UpstreamError(
            "rate_limited", f"{name} is rate-limiting requests (429): {detail}.{wait}"
        )
    if status >= 500:
        return UpstreamError("server", f"{name} had a server error ({status}): {detail}.")
    return UpstreamError("bad_request", f"{name} rejected the request ({status}): {detail}.")


def connect_error(provider: Provider, exc: Exception) -> UpstreamError:
    if provider.id == "local":
        return UpstreamError(
            "unreachable",
            f"The local model server is not running at {provider.base_url}. "
            "Start it with: python manage.py localmodel (make run starts it for you).",
        )
    return UpstreamError(
        "unreachable",
        f"Could not connect to {provider.name} at {provider.base_url}: {connect_reason(exc)}.",
    )


def connect_reason(exc: Exception) -> str:
    """Why a connection failed, in the system's words ("Connection refused"), not
    aiohttp's, which name an "ssl:default" context even for plain http."""
    cause = exc.__cause__
    if isinstance(cause, aiohttp.ClientConnectorError):
        failed = cause.os_error
        return os.strerror(failed.errno) if failed.errno else "the connection failed"
    if isinstance(exc, httpx.ConnectTimeout) and not cause:
        return f"no answer within {CONNECT_TIMEOUT:g} s"
    return str(exc).rstrip(".") or type(exc).__name__


async def _sse_payloads(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    """Yield each ``data:`` payload of an SSE stream as JSON, until [DONE]."""
    finished = done = False
    async for line in response.aiter_lines():
        if not line or line.startswith((":", "event:", "id:", "retry:")):
            continue
        if not line.startswith("data:"):
            raise UpstreamError(
                "malformed", f"The stream held a line that is not SSE: {line[:200]!r}"
            )
        payload = line[5:].strip()
        if payload == "[DONE]" or done:
            # Read on to the end of the body so the connection goes back to
            # the pool: a new TCP connection per run costs the next run's TTFT.
            done = True
            continue
        try:
            data = json.loads(payload)
        except ValueError:
            raise UpstreamError(
                "malformed", f"The stream held an event that is not JSON: {payload[:200]!r}"
            ) from None
        if not isinstance(data, dict):
            raise UpstreamError("malformed", f"Unexpected event in the stream: {payload[:200]!r}")
        if "error" in data:
            message = _upstream_message(payload.encode())
            raise UpstreamError("stream_error", f"The model stopped with an error: {message}")
        choices = data.get("choices")
        finished = finished or (
            isinstance(choices, list)
            and any(isinstance(c, dict) and c.get("finish_reason") for c in choices)
        )
        yield data
    if not (finished or done):
        raise UpstreamError("cut", "The stream ended before the answer was complete.")


@asynccontextmanager
async def _response(
    provider: Provider, body: dict[str, Any], timeout: httpx.Timeout
) -> AsyncIterator[httpx.Response]:
    """The upstream's response, its body still to read. A request whose connection
    fails before any byte of the reply is sent again, once: nothing was shown yet,
    and the upstream never answered it."""
    shared = client()
    request = shared.build_request(
        "POST",
        provider.chat_completions_url,
        json=body,
        headers=headers_for(provider),
        timeout=timeout,
    )
    try:
        response = await shared.send(request, stream=True)
    except httpx.TransportError as exc:
        if not broken(exc):  # the keep-alive race: closed just as it was reused
            raise
        response = await shared.send(request, stream=True)
    try:
        yield response
    finally:
        await response.aclose()


async def events(provider: Provider, body: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    """Send ``body``; yield each chunk (streamed) or the single reply (not streamed).

    Leaving the iterator early — a Stop, a closed socket — closes the upstream
    response at once, and with it the connection.
    """
    timeout = httpx.Timeout(provider.read_timeout, connect=CONNECT_TIMEOUT, pool=CONNECT_TIMEOUT)
    started = False
    try:
        async with _response(provider, body, timeout) as response:
            if response.status_code >= 400:
                raw = b""
                async for part in response.aiter_bytes():
                    raw += part
                    if len(raw) > ERROR_BODY_LIMIT:
                        break
                raise http_error(provider, body["model"], response, raw)
            if body.get("stream"):
                async for data in _sse_payloads(response):
                    started = True
                    yield data
            else:
                raw = await response.aread()
                try:
                    reply = json.loads(raw)
                    if not isinstance(reply, dict):
                        raise ValueError("not an object")
                except ValueError:
                    raise UpstreamError(
                        "malformed",
                        f"The reply is not JSON: {raw[:200].decode('utf-8', 'replace')!r}",
                    ) from None
                yield reply
    except httpx.TransportError as exc:
        raise worded(provider, exc, started) from None


def worded(provider: Provider, exc: httpx.TransportError, started: bool) -> UpstreamError:
    """A transport failure as the person at the workbench can act on it."""
    name = provider.name
    if broken(exc):
        when = "mid-answer" if started else "before answering"
        return UpstreamError("cut", f"The connection to {name} broke {when} ({exc or 'closed'}).")
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return connect_error(provider, exc)
    if isinstance(exc, httpx.ReadTimeout):
        when = "stopped sending mid-answer: nothing" if started else "sent nothing"
        return UpstreamError(
            "timeout", f"{name} {when} for {provider.read_timeout:g} s; gave up waiting."
        )
    if isinstance(exc, httpx.PoolTimeout):
        return UpstreamError("busy", "Too many answers are streaming at once; try again.")
    return UpstreamError("cut", f"The request to {name} failed: {exc or type(exc).__name__}.")
