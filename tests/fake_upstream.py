"""A fake OpenAI-compatible upstream for tests and benchmarks (an ASGI app).

Serve it with daphne (``daphne -p PORT tests.fake_upstream:app``) or uvicorn. Behaviour
is set over HTTP, so a test in another process can script it:

- ``POST /_control/config`` with JSON: ``tokens`` (count), ``rate`` (tokens per
  second, 0 = no pause), ``ttft`` (seconds before the first token),
  ``content`` (a text whose words are the tokens), ``usage`` (send usage),
  ``fault`` (see FAULTS), ``stamp`` (each token is ``@<unix time it was sent> ``,
  for measuring delays). Resets what was recorded.
- ``GET /_control/requests``: every chat request received: its body, its
  headers, and whether and when the client went away before the end.
"""

import asyncio
import json
import time
from typing import Any

FAULTS = {
    None,
    "http_400",
    "http_401",
    "http_403",
    "http_404",
    "http_429",
    "http_500",
    "http_503",
    "stall",
    "garbage",
    "bad_json",
    "shapeless",
    "odd_chunk",
    "error_event",
    "empty",
    "no_done",
    "html_error",
    "keepalive",
}
DEFAULT_CONFIG: dict[str, Any] = {
    "tokens": 20,
    "rate": 0,
    "ttft": 0.0,
    "content": None,
    "usage": True,
    "fault": None,
    "stamp": False,
}
_HTTP_FAULTS = {
    "http_400": (400, "Invalid value for 'temperature': must be at most 2."),
    "http_401": (401, "Incorrect API key provided."),
    "http_403": (403, "Your key may not use this model."),
    "http_404": (404, "The model does not exist."),
    "http_429": (429, "Rate limit reached for requests."),
    "http_500": (500, "The server had an error while processing your request."),
    "http_503": (503, "The engine is currently overloaded."),
}


class FakeUpstream:
    def __init__(self) -> None:
        self.config = dict(DEFAULT_CONFIG)
        self.requests: list[dict[str, Any]] = []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        path = scope["path"]
        if path == "/_control/config":
            self.config = {**DEFAULT_CONFIG, **json.loads(body or b"{}")}
            if self.config["fault"] not in FAULTS:
                return await respond(send, 400, {"error": f"unknown fault {self.config['fault']}"})
            self.requests = []
            return await respond(send, 200, self.config)
        if path == "/_control/requests":
            return await respond(send, 200, self.requests)
        if path.endswith("/chat/completions") and scope["method"] == "POST":
            return await self.chat(scope, receive, send, body)
        return await respond(send, 404, {"error": {"message": f"no route {path}"}})

    async def chat(self, scope, receive, send, raw: bytes) -> None:
        record: dict[str, Any] = {
            "body": json.loads(raw),
            "headers": {k.decode().lower(): v.decode() for k, v in scope["headers"]},
            "started": time.time(),
            "completed": False,
            "disconnected_at": None,
        }
        self.requests.append(record)
        cfg = self.config
        fault = cfg["fault"]
        if fault in _HTTP_FAULTS:
            status, message = _HTTP_FAULTS[fault]
            headers = [(b"retry-after", b"7")] if status == 429 else []
            err = {"error": {"message": message, "type": "fake_error"}}
            return await respond(send, status, err, headers)
        if fault == "shapeless":  # valid JSON, but not a completion object
            return await respond(send, 200, ["not", "an", "object"])
        if fault == "html_error":
            return await respond_raw(
                send, 502, b"<html><body>Bad gateway</body></html>", b"text/html"
            )

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            record["disconnected_at"] = time.time()

        watcher = asyncio.create_task(watch())
        try:
            if record["body"].get("stream"):
                await self.stream(send, record, cfg)
            else:
                await asyncio.sleep(cfg["ttft"])
                await respond(send, 200, completion(record["body"], tokens(cfg)))
            record["completed"] = record["disconnected_at"] is None
        finally:
            watcher.cancel()

    async def stream(self, send, record: dict[str, Any], cfg: dict[str, Any]) -> None:
        fault = cfg["fault"]
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )

        async def event(payload: str) -> bool:
            if record["disconnected_at"]:
                return False
            await send(
                {
                    "type": "http.response.body",
                    "body": f"data: {payload}\n\n".encode(),
                    "more_body": True,
                }
            )
            return True

        await asyncio.sleep(cfg["ttft"])
        while fault == "keepalive" and not record["disconnected_at"]:  # alive, never answering
            await send(
                {"type": "http.response.body", "body": b": keepalive\n\n", "more_body": True}
            )
            await asyncio.sleep(0.2)
        words = [] if fault == "empty" else tokens(cfg)
        model = record["body"].get("model", "fake")
        for i, word in enumerate(words):
            if fault == "stall" and i == len(words) // 2:
                await asyncio.sleep(3600)  # goes silent mid-answer
            if fault == "no_done" and i == len(words) // 2:
                break
            if fault == "garbage" and i == len(words) // 2:
                await send(
                    {
                        "type": "http.response.body",
                        "body": b"this is not SSE\n\n",
                        "more_body": True,
                    }
                )
            if fault == "bad_json" and i == len(words) // 2:
                await event("{not json")
            if fault == "odd_chunk" and i == len(words) // 2:
                await event(json.dumps({"choices": ["not a choice object"]}))
            if fault == "error_event" and i == len(words) // 2:
                await event(json.dumps({"error": {"message": "Model overloaded mid-stream"}}))
            if cfg["stamp"]:
                word = f"@{time.time():.6f} "
            if not await event(json.dumps(chunk(model, {"content": word}))):
                return
            if cfg["rate"]:
                await asyncio.sleep(1 / cfg["rate"])
        if fault == "no_done":
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        await event(json.dumps(chunk(model, {}, finish="stop" if words else "length")))
        wants_usage = (record["body"].get("stream_options") or {}).get("include_usage")
        if cfg["usage"] and wants_usage:
            usage = {
                "prompt_tokens": prompt_tokens(record["body"]),
                "completion_tokens": len(words),
                "total_tokens": 0,
            }
            await event(json.dumps({**chunk(model, {}), "choices": [], "usage": usage}))
        await event("[DONE]")
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def tokens(cfg: dict[str, Any]) -> list[str]:
    if cfg["content"] is not None:
        parts = cfg["content"].split(" ")
        return [p if i == 0 else " " + p for i, p in enumerate(parts)]
    return [f"tok{i} " for i in range(cfg["tokens"])]


def prompt_tokens(body: dict[str, Any]) -> int:
    return sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))


def chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def completion(body: dict[str, Any], words: list[str]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model"),
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "".join(words)},
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens(body),
            "completion_tokens": len(words),
            "total_tokens": 0,
        },
    }


async def read_body(receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def respond(send, status: int, data: Any, headers: list | None = None) -> None:
    await respond_raw(send, status, json.dumps(data).encode(), b"application/json", headers)


async def respond_raw(send, status: int, body: bytes, ctype: bytes, headers: list | None = None):
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", ctype), *(headers or [])],
        }
    )
    await send({"type": "http.response.body", "body": body})


app = FakeUpstream()
