"""What every Import reader gives back, and the checks they share.

Readers say what they recognised (``kind``, ``url``) as well as the body, so
that a refusal can name what was found and a success can say what loaded.
Keys are noticed only to say that one was ignored: no reader keeps a header.
"""

import re
from dataclasses import dataclass
from typing import Any

from workbench.text import MAX_DEPTH, TextError, parse_json


class UnreadableSnippet(ValueError):
    """What could not be read, worded for the person who pasted it."""


@dataclass
class Pasted:
    """A request body read from a paste, and how it was found."""

    body: dict[str, Any]
    kind: str  # "a cURL command": follows "Loaded ..." and "Found ..."
    url: str = ""  # where the paste sends it, when it says
    key_ignored: bool = False


# Variables that hold the body in code that shows it but not the call that sends it.
BODY_NAMES = ("payload", "body", "data")
# Headers that carry a key: OpenAI's Authorization, Azure's api-key, Anthropic's x-api-key.
CREDENTIAL_HEADERS = {"authorization", "api-key", "x-api-key", "proxy-authorization"}
# "$OPENAI_API_KEY", "${KEY}", "Bearer {{KEY}}" (REST clients): a reference to a key, not a key.
_REFERENCE = re.compile(r"(?:\w+\s+)?(?:\$\{?[A-Za-z_]\w*\}?|\{\{\s*\w+\s*\}\})")


def is_key(value: str) -> bool:
    """Whether ``value`` is a key written out (not empty, not an environment variable)."""
    return bool(value.strip()) and not _REFERENCE.fullmatch(value.strip())


def holds_key(name: str, value: str) -> bool:
    """Whether a header ``name: value`` carries a key written out."""
    return name.strip().lower() in CREDENTIAL_HEADERS and is_key(value)


def json_body(text: str, where: str) -> dict[str, Any]:
    """The JSON object in ``text``; ``where`` names it in the refusal ("cURL command's -d data")."""
    try:
        value = parse_json(text)
    except TextError as exc:
        raise UnreadableSnippet(f"The {where} {exc}.") from None
    return body_of(value, where)


def body_of(value: Any, where: str) -> dict[str, Any]:
    """A request body from a JSON value: an object, or a list of messages."""
    if isinstance(value, list) and value and all(isinstance(m, dict) for m in value):
        return {"messages": value}
    if not isinstance(value, dict):
        raise UnreadableSnippet(
            f"The {where} must be a JSON object with model and messages, or a list of messages."
        )
    return value


def short_url(url: str) -> str:
    """A URL as a refusal names it: its end, where the endpoint shows."""
    return url if len(url) <= 60 else "…" + url[-50:]


MAX_VALUES = 100_000  # values one paste may build: far above a long conversation's


class Budget:
    """How much a code reader may still build, and how deep.

    Variables may name each other (``a = [b, b]``), so a short paste could
    stand for a value far larger than itself; the size and depth guards on
    the text cannot see that, so the readers count as they build.
    """

    def __init__(self, language: str):
        self.language = language
        self.left = MAX_VALUES

    def spend(self, depth: int) -> None:
        self.left -= 1
        if self.left < 0:
            raise UnreadableSnippet(f"The {self.language} builds a body too large to import.")
        if depth > MAX_DEPTH:
            raise UnreadableSnippet(f"The {self.language} is too deeply nested to read.")
