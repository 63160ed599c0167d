"""A fake OpenAI-compatible upstream for tests and benchmarks (an ASGI app).

Serve it with daphne (``daphne -p PORT tests.fake_upstream:app``) or uvicorn. Behaviour
is set over HTTP, so a test in another process can script it:

- ``POST /_control/config`` with JSON: ``tokens`` (count), ``rate`` (tokens per
  second, 0 = no pause), ``ttft`` (seconds before the first token),
  ``after_first`` (seconds of silence after the first token),
  ``content`` (a text whose words are the tokens), ``reasoning`` (a text streamed
  first, word by word, as ``reasoning_content``), ``usage`` (send usage),
  ``fault`` (see FAULTS), ``stamp`` (each token is ``@<unix time it was sent> ``,
  for measuring delays); ``models``: per model id (the body's ``model``), any of
  these to use for that model's requests instead. Resets what was recorded.
- A request with ``"logprobs": true`` gets each token's log probability (the
  i-th token's probability is 1, 1/2, 1/4, 1/8, 1/16 in turn) and, with
  ``top_logprobs``, one alternative ``alt<i>``.
- ``tool_call`` (``{"name": ..., "arguments": ...}``, arguments as JSON text):
  answer with that tool call instead of text, unless the conversation already
  ends with a tool result. Streamed, its arguments come in pieces of
  TOOL_PIECE characters (``delta.tool_calls``, as OpenAI sends them), then
  finish_reason "tool_calls"; not streamed, as ``message.tool_calls``.
- A user message holding ``[fault=<name>]`` sets the fault for that request
  alone, so concurrent runs (bench/faults.py) can each meet their own fault.
- ``GET /_control/requests``: every chat request received: its body, its
  headers, and whether and when the client went away before the end.
- ``GET .../models`` lists ``listing`` (model objects) as OpenAI does,
  ``{"object": "list", "data": [...]}``, or fails as ``listing_fault`` says
  (see LISTING_FAULTS). ``GET /_control/listed``: the headers of each such request.
"""

import asyncio
import json
import math
import re
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
    # Hostile replies: valid enough to be read, odd enough to trip a reader.
    "content_parts",  # content as a list of parts [{"type": "text", "text": ...}]
    "usage_string",  # usage.completion_tokens as a string
    "split_surrogate",  # an emoji's surrogate pair split across two deltas
    "lone_surrogate",  # deltas holding half a surrogate pair, never completed
    "huge",  # one delta of more than a MiB of text
    "keepalive",  # two tokens, then ": keepalive" comments every 0.5 s forever
    "choices_not_list",  # a chunk whose choices are an object
    "delta_not_dict",  # a chunk whose delta is a string
    "finish_odd",  # finish_reason as a number, a list, an object, true...
    "empty_body",  # 200 with no body at all
    "only_done",  # an SSE stream of just "data: [DONE]"
    "echo_key",  # a 401 whose message repeats the Authorization header it got
}
FAULT_TAG = re.compile(r"\[fault=(\w+)\]")
SPLIT_SURROGATE = ["smile ", "\ud83d", "\ude00", " done"]  # "smile 😀 done", split
LONE_SURROGATE = ["a ", "\ude00", " b ", "\ud83d", " c"]  # each half alone
# Over a MiB, with characters that grow when escaped for HTML.
HUGE_TEXT = "".join(f"<p>&{i:07d} " + "x" * 88 for i in range(11_000))
KEEPALIVE_EVERY = 0.5
ODD_FINISH = [7, ["stop"], {"why": "stop"}, True, 1.5]
DEFAULT_CONFIG: dict[str, Any] = {
    "tokens": 20,
    "rate": 0,
    "ttft": 0.0,
    "after_first": 0.0,
    "content": None,
    "reasoning": None,
    "usage": True,
    "fault": None,
    "stamp": False,
    "models": {},
    "listing": [],
    "listing_fault": None,
    "tool_call": None,
}
TOOL_PIECE = 4  # characters of a tool call's arguments per streamed delta
TOOL_CALL_ID = "call_fake_1"
LISTING_FAULTS = {
    None,
    "http_500",  # a server error with an OpenAI-style error body
    "not_json",  # 200 with a text body
    "not_list",  # JSON, but no list of models in it
    "huge",  # more than 4 MiB of model objects
    "stall",  # answers nothing, ever
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
        self.listed: list[dict[str, str]] = []

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
            faults = [
                self.config["fault"],
                *(m.get("fault") for m in self.config["models"].values()),
            ]
            if unknown := [f for f in faults if f not in FAULTS]:
                return await respond(send, 400, {"error": f"unknown fault {unknown[0]}"})
            if self.config["listing_fault"] not in LISTING_FAULTS:
                return await respond(send, 400, {"error": "unknown listing_fault"})
            self.requests, self.listed = [], []
            return await respond(send, 200, self.config)
        if path == "/_control/requests":
            return await respond(send, 200, self.requests)
        if path == "/_control/listed":
            return await respond(send, 200, self.listed)
        if path.endswith("/models") and scope["method"] == "GET":
            self.listed.append({k.decode().lower(): v.decode() for k, v in scope["headers"]})
            return await self.models(send)
        if path.endswith("/chat/completions") and scope["method"] == "POST":
            return await self.chat(scope, receive, send, body)
        return await respond(send, 404, {"error": {"message": f"no route {path}"}})

    async def models(self, send) -> None:
        fault = self.config["listing_fault"]
        if fault == "stall":
            await asyncio.sleep(3600)
        if fault == "http_500":
            err = {"error": {"message": "The model registry is down.", "type": "fake_error"}}
            return await respond(send, 500, err)
        if fault == "not_json":
            return await respond_raw(send, 200, b"<html>models</html>", b"text/html")
        if fault == "not_list":
            return await respond(send, 200, {"object": "list", "data": "none"})
        listing = self.config["listing"]
        if fault == "huge":
            listing = [{"id": f"m{i}", "description": "x" * 1000} for i in range(5000)]
        await respond(send, 200, {"object": "list", "data": listing})

    async def chat(self, scope, receive, send, raw: bytes) -> None:
        record: dict[str, Any] = {
            "body": json.loads(raw),
            "headers": {k.decode().lower(): v.decode() for k, v in scope["headers"]},
            "started": time.time(),
            "completed": False,
            "disconnected_at": None,
        }
        self.requests.append(record)
        own = (self.config.get("models") or {}).get(record["body"].get("model"), {})
        config = {**self.config, **own}
        fault = request_fault(record["body"]) or config["fault"]
        cfg = {**config, "fault": fault}
        if fault == "echo_key":
            sent = record["headers"].get("authorization", "")
            err = {"error": {"message": f"Incorrect API key provided: {sent}", "type": "fake"}}
            return await respond(send, 401, err)
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
        if fault == "empty_body":
            return await respond_raw(send, 200, b"", b"text/event-stream")

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
                reply = completion(record["body"], tokens(cfg), fault, cfg["reasoning"])
                if call := tool_call_of(record["body"], cfg):
                    message = {"role": "assistant", "content": None, "tool_calls": [call]}
                    reply["choices"][0].update(message=message, finish_reason="tool_calls")
                await respond(send, 200, reply)
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
        if fault == "only_done":
            await event("[DONE]")
            return await send({"type": "http.response.body", "body": b"", "more_body": False})
        words = [] if fault == "empty" else tokens(cfg)
        model = record["body"].get("model", "fake")
        if call := tool_call_of(record["body"], cfg):
            for delta in tool_call_deltas(call):
                if not await event(json.dumps(chunk(model, delta))):
                    return
                if cfg["rate"]:
                    await asyncio.sleep(1 / cfg["rate"])
            await event(json.dumps(chunk(model, {}, finish="tool_calls")))
            await event("[DONE]")
            return await send({"type": "http.response.body", "body": b"", "more_body": False})
        for word in split_words(cfg["reasoning"]) if cfg["reasoning"] else []:
            if not await event(json.dumps(chunk(model, {"reasoning_content": word}))):
                return
            if cfg["rate"]:
                await asyncio.sleep(1 / cfg["rate"])
        for i, word in enumerate(words):
            if fault == "keepalive" and i == 2:
                while not record["disconnected_at"]:  # alive, but never answers
                    await send_raw(send, b": keepalive\n\n")
                    await asyncio.sleep(KEEPALIVE_EVERY)
                return
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
            if fault == "choices_not_list" and i == len(words) // 2:
                await event(json.dumps({**chunk(model, {}), "choices": {"0": {"delta": {}}}}))
            if fault == "delta_not_dict" and i == len(words) // 2:
                await event(json.dumps(chunk(model, "not a delta")))
            if cfg["stamp"]:
                word = f"@{time.time():.6f} "
            finish = ODD_FINISH[i % len(ODD_FINISH)] if fault == "finish_odd" else None
            odds = logprobs_of(record["body"], [word], start=i)
            if not await event(json.dumps(chunk(model, delta_of(fault, word), finish, odds))):
                return
            if i == 0 and cfg["after_first"]:
                await asyncio.sleep(cfg["after_first"])
            if cfg["rate"]:
                await asyncio.sleep(1 / cfg["rate"])
        if fault == "no_done":
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        await event(json.dumps(chunk(model, {}, finish="stop" if words else "length")))
        wants_usage = (record["body"].get("stream_options") or {}).get("include_usage")
        if cfg["usage"] and wants_usage:
            usage = usage_of(record["body"], words, fault)
            await event(json.dumps({**chunk(model, {}), "choices": [], "usage": usage}))
        await event("[DONE]")
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def request_fault(body: dict[str, Any]) -> str | None:
    """The fault a user message of this request names with ``[fault=<name>]``, if any."""
    for m in reversed(body.get("messages") or []):
        if m.get("role") == "user" and (found := FAULT_TAG.search(str(m.get("content")))):
            return found.group(1) if found.group(1) in FAULTS else None
    return None


def tool_call_of(body: dict[str, Any], cfg: dict[str, Any]) -> dict[str, Any] | None:
    """The scripted tool call, unless the conversation ends with a tool's result."""
    spec = cfg.get("tool_call")
    turns = body.get("messages") or [{}]
    if not spec or turns[-1].get("role") == "tool":
        return None
    function = {"name": spec["name"], "arguments": spec.get("arguments", "{}")}
    return {"id": TOOL_CALL_ID, "type": "function", "function": function}


def tool_call_deltas(call: dict[str, Any]) -> list[dict[str, Any]]:
    """A call as OpenAI streams it: id and name first, then the arguments in pieces."""
    name, arguments = call["function"]["name"], call["function"]["arguments"]
    first = {"index": 0, "id": call["id"], "type": "function"}
    deltas = [{"tool_calls": [{**first, "function": {"name": name, "arguments": ""}}]}]
    for i in range(0, len(arguments), TOOL_PIECE):
        piece = {"index": 0, "function": {"arguments": arguments[i : i + TOOL_PIECE]}}
        deltas.append({"tool_calls": [piece]})
    return deltas


def tokens(cfg: dict[str, Any]) -> list[str]:
    if cfg["fault"] == "split_surrogate":
        return SPLIT_SURROGATE
    if cfg["fault"] == "lone_surrogate":
        return LONE_SURROGATE
    if cfg["fault"] == "huge":
        return [HUGE_TEXT]
    if cfg["content"] is not None:
        return split_words(cfg["content"])
    return [f"tok{i} " for i in range(cfg["tokens"])]


def split_words(text: str) -> list[str]:
    """Tokens of a text: its words, each after the first with its space."""
    parts = text.split(" ")
    return [p if i == 0 else " " + p for i, p in enumerate(parts)]


def prompt_tokens(body: dict[str, Any]) -> int:
    return sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))


def delta_of(fault: str | None, word: str) -> dict[str, Any]:
    """The delta carrying ``word``: as a string, or as a list of parts."""
    if fault == "content_parts":
        return {"content": [{"type": "text", "text": word}]}
    return {"content": word}


def usage_of(body: dict[str, Any], words: list[str], fault: str | None) -> dict[str, Any]:
    completion_tokens: Any = str(len(words)) if fault == "usage_string" else len(words)
    return {
        "prompt_tokens": prompt_tokens(body),
        "completion_tokens": completion_tokens,
        "total_tokens": 0,
    }


def chunk(model: str, delta: Any, finish: Any = None, logprobs: Any = None) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    if logprobs is not None:
        choice["logprobs"] = logprobs
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [choice],
    }


def logprobs_of(body: dict[str, Any], words: list[str], start: int = 0) -> dict | None:
    """The ``logprobs`` of a choice holding ``words``, if the request asked for them."""
    if body.get("logprobs") is not True:
        return None
    content = []
    for i, word in enumerate(words, start):
        logprob = -(i % 5) * math.log(2)
        entry: dict[str, Any] = {"token": word, "logprob": logprob, "top_logprobs": []}
        if body.get("top_logprobs"):
            other = math.log(max(1 - math.exp(logprob), 1e-9))
            entry["top_logprobs"] = [
                {"token": word, "logprob": logprob},
                {"token": f"alt{i}", "logprob": other},
            ]
        content.append(entry)
    return {"content": content}


def completion(
    body: dict[str, Any], words: list[str], fault: str | None = None, reasoning: str | None = None
) -> dict[str, Any]:
    text = "".join(words)
    content: Any = [{"type": "text", "text": text}] if fault == "content_parts" else text
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if reasoning:
        message["reasoning_content"] = reasoning
    choice: dict[str, Any] = {"index": 0, "finish_reason": "stop", "message": message}
    if (odds := logprobs_of(body, words)) is not None:
        choice["logprobs"] = odds
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model"),
        "choices": [choice],
        "usage": usage_of(body, words, fault),
    }


async def read_body(receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def send_raw(send, body: bytes) -> None:
    """A part of a streamed body, as it is (an SSE comment, say)."""
    await send({"type": "http.response.body", "body": body, "more_body": True})


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
