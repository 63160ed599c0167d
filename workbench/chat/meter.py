"""The token and cost meter: what the request Run would send now costs before it is
sent — its prompt tokens, the share of the model's context they take, the prompt's
cost and the most the answer can cost, from the catalog's per-token prices.

Counts are exact where the provider can count them offline: a llama.cpp server
(``tokenizer = "llama.cpp"``) through its own chat template and ``/tokenize``.
Elsewhere they are estimates, and say so ("≈"): no OpenAI encoding ships with a
package here, and nothing is downloaded at run time.
"""

import logging
from dataclasses import dataclass
from typing import Any

import httpx

from workbench.catalog.entries import Provider
from workbench.catalog.request import RequestError
from workbench.chat.conversation import Column

logger = logging.getLogger(__name__)
COUNT_TIMEOUT = 1.0  # seconds the page waits for a server to count; an estimate after that
CHARS_PER_TOKEN = 4  # English prose in the common BPE encodings, roughly
TOKENS_PER_MESSAGE = 4  # a chat template's role markers, roughly


@dataclass
class Meter:
    prompt_tokens: int
    exact: bool
    context_length: int | None
    max_tokens: int | None  # the most the answer may take, if known
    prices: dict[str, float] | None
    last: dict[str, Any]  # the figures of the column's last answer (real usage), if any

    @property
    def context_percent(self) -> float | None:
        return 100 * self.prompt_tokens / self.context_length if self.context_length else None

    @property
    def prompt_cost(self) -> float | None:
        return self.prompt_tokens * self.prices["input"] if self.prices else None

    @property
    def answer_cost(self) -> float | None:
        if not self.prices or self.max_tokens is None:
            return None
        return self.max_tokens * self.prices.get("output", 0)


def measure(column: Column, pending: str) -> Meter | None:
    """The meter of the request the column would send with ``pending``; None when
    there is none to send (the panel holds something invalid, or no message)."""
    try:
        body = column.request_body(pending)
    except RequestError:
        return None
    model, provider = column.model, column.provider
    counted = count(provider, body["messages"])
    tokens = counted if counted is not None else estimate(body["messages"])
    answer = column.last_answer()
    max_tokens = body.get("max_tokens") or model.max_output_tokens
    prices = model.pricing if model.pricing and "input" in model.pricing else None
    last = (answer or {}).get("figures") or {}
    return Meter(tokens, counted is not None, model.context_length, max_tokens, prices, last)


def estimate(messages: list[dict[str, Any]]) -> int:
    text = sum(len(str(m.get("content", ""))) for m in messages)
    return -(-text // CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE * len(messages) + 3


def count(provider: Provider, messages: list[dict[str, Any]]) -> int | None:
    """Exact prompt tokens from a llama.cpp server: its chat template applied, then
    its tokenizer, as it does for a completion. None if it cannot say now."""
    if provider.tokenizer != "llama.cpp":
        return None
    root = provider.base_url.rstrip("/").removesuffix("/v1")
    try:
        with httpx.Client(timeout=COUNT_TIMEOUT) as client:
            templated = client.post(f"{root}/apply-template", json={"messages": messages})
            prompt = templated.raise_for_status().json()["prompt"]
            tokenized = client.post(
                f"{root}/tokenize", json={"content": prompt, "add_special": True}
            )
            tokens = tokenized.raise_for_status().json()["tokens"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        logger.info("meter: %s could not count tokens (%s)", provider.id, type(exc).__name__)
        return None
    return len(tokens) if isinstance(tokens, list) else None
