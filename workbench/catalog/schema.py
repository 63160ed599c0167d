"""Request schemas: the standard chat-completions schema and value checking.

A model's ``json_request_schema`` says which fields a request may carry. The
same checks serve the parameter panel (strings typed into a form) and typed
values (a JSON body being imported), so a value means the same wherever it
comes from.
"""

import math
from typing import Any

from workbench.catalog import structured, tools
from workbench.text import TextError, parse_json

PARAMETER_TYPES = {"number", "integer", "boolean", "string", "array", "object"}
# Integers a request may carry whatever the schema says: providers read 64
# bits at most, and Python cannot even print an int of 4300 digits or more.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

_MODEL = {"type": "string", "title": "Model", "description": "ID of the model to use."}
_MESSAGES = {
    "type": "array",
    "title": "Messages",
    "description": "The conversation so far: objects with a role (system, developer, "
    "user, assistant or tool) and content.",
}
_STANDARD_PROPERTIES: dict[str, dict[str, Any]] = {
    "temperature": {
        "type": "number",
        "title": "Temperature",
        "minimum": 0,
        "maximum": 2,
        "default": 1,
        "x-order": 1,
        "description": "Sampling temperature. Higher values make the output more random, "
        "lower values more focused and deterministic.",
    },
    "max_tokens": {
        "type": "integer",
        "title": "Max tokens",
        "minimum": 1,
        "x-order": 2,
        "examples": [256],
        "description": "The maximum number of tokens to generate in the answer.",
    },
    "top_p": {
        "type": "number",
        "title": "Top P",
        "minimum": 0,
        "maximum": 1,
        "default": 1,
        "x-order": 3,
        "description": "Nucleus sampling: only the tokens within the top_p probability mass "
        "are considered.",
    },
    "frequency_penalty": {
        "type": "number",
        "title": "Frequency penalty",
        "minimum": -2,
        "maximum": 2,
        "default": 0,
        "x-order": 4,
        "description": "Positive values penalise tokens by how often they already appeared.",
    },
    "presence_penalty": {
        "type": "number",
        "title": "Presence penalty",
        "minimum": -2,
        "maximum": 2,
        "default": 0,
        "x-order": 5,
        "description": "Positive values penalise tokens that already appeared at all, "
        "nudging the model towards new topics.",
    },
    "stop": {
        "type": "array",
        "items": {"type": "string"},
        "maxItems": 4,
        "title": "Stop sequences",
        "x-order": 6,
        "examples": [["\n\n"]],
        "description": "Up to 4 sequences at which the model stops generating.",
    },
    "seed": {
        "type": "integer",
        "title": "Seed",
        "minimum": INT64_MIN,
        "maximum": INT64_MAX,
        "x-order": 7,
        "examples": [42],
        "description": "Sample deterministically where the provider supports it: the same "
        "seed and parameters give the same answer.",
    },
    "stream": {
        "type": "boolean",
        "title": "Stream",
        "default": False,
        "x-order": 8,
        "description": "Send the answer token by token as server-sent events.",
    },
}
_BASIC = ["temperature", "max_tokens", "top_p", "stream"]
# Offered where the provider returns them (Provider.logprobs), not by the standard
# schema, which every OpenAI-compatible server must take.
_LOGPROBS: dict[str, dict[str, Any]] = {
    "logprobs": {
        "type": "boolean",
        "title": "Log probabilities",
        "default": False,
        "x-order": 13,
        "description": "Return the probability of each token of the answer: the answer can "
        "then be read shaded by probability.",
    },
    "top_logprobs": {
        "type": "integer",
        "title": "Top log probabilities",
        "minimum": 0,
        "maximum": 20,
        "x-order": 14,
        "examples": [3],
        "description": "How many of the likeliest alternatives to return for each token "
        "(with Log probabilities on).",
    },
}


def standard_schema(
    extra: dict[str, dict[str, Any]] | None = None,
    *,
    json_output: bool = False,
    tool_calls: bool = False,
) -> dict[str, Any]:
    """The standard chat-completions schema, plus a provider's own extras.

    ``json_output``: the model can answer in JSON (its capabilities say so), so
    the schema has ``response_format`` too; ``tool_calls``: it can call tools, so
    ``tools`` and ``tool_choice``. Not every OpenAI-compatible server takes
    these, and one that does not may refuse the whole request.
    """
    properties = {"model": _MODEL, "messages": _MESSAGES, **_STANDARD_PROPERTIES}
    if json_output:
        properties["response_format"] = structured.RESPONSE_FORMAT
    if tool_calls:
        properties["tools"] = tools.TOOLS
        properties["tool_choice"] = tools.TOOL_CHOICE
    properties.update(extra or {})
    return {
        "type": "object",
        "properties": {k: dict(v) for k, v in properties.items()},
        "required": ["model", "messages"],
        "basic": list(_BASIC),
    }


def with_logprobs(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with logprobs and top_logprobs, unless it says otherwise of them."""
    properties = {**{k: dict(v) for k, v in _LOGPROBS.items()}, **schema["properties"]}
    return {**schema, "properties": properties}


def json_valued(prop: dict[str, Any]) -> bool:
    """Whether a property's value is JSON beyond a number, text or list of texts
    (response_format, tools, tool_choice): the property is then JSON Schema for
    its value, and checked as such."""
    kind = prop.get("type")
    items = prop.get("items")
    return (
        kind == "object"
        or isinstance(kind, list)
        or (kind == "array" and isinstance(items, dict) and items.get("type") != "string")
    )


class ParameterError(ValueError):
    """A value the schema refuses; the message is shown beside the field."""


def check_value(prop: dict[str, Any], value: Any) -> Any:
    """Return ``value`` if it fits ``prop``, else raise ParameterError saying why."""
    kind = prop.get("type")
    if json_valued(prop):
        if kind == "object" and not isinstance(value, dict):
            raise ParameterError("must be a JSON object")
        if found := structured.problem(prop, value):
            raise ParameterError(f"is not valid: {found}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise ParameterError("must be true or false")
    elif kind in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParameterError("must be a number")
        if isinstance(value, float) and not math.isfinite(value):
            raise ParameterError("must be a finite number")
        if kind == "integer" and not (isinstance(value, int) or value.is_integer()):
            raise ParameterError("must be a whole number")
        if kind == "integer":
            value = int(value)
        if "minimum" in prop and value < prop["minimum"]:
            raise ParameterError(f"must be at least {prop['minimum']}")
        if "maximum" in prop and value > prop["maximum"]:
            raise ParameterError(f"must be at most {prop['maximum']}")
        if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
            raise ParameterError(f"must be between {INT64_MIN} and {INT64_MAX}")
    elif kind == "string":
        if not isinstance(value, str):
            raise ParameterError("must be text")
    elif kind == "array":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ParameterError("must be a list of text values")
        if "maxItems" in prop and len(value) > prop["maxItems"]:
            raise ParameterError(f"takes at most {prop['maxItems']} values")
    if "enum" in prop and value not in prop["enum"]:
        choices = ", ".join(str(c) for c in prop["enum"])
        raise ParameterError(f"must be one of: {choices}")
    return value


def parse_form_value(prop: dict[str, Any], raw: str) -> Any:
    """Turn the text of a form field into a typed value (``None`` = not set).

    Booleans are handled by the caller: a checkbox is either sent or not.
    """
    kind = prop.get("type")
    text = raw.strip()
    if json_valued(prop):
        if text == "":
            return None
        try:
            return check_value(prop, parse_json(text))
        except TextError as exc:
            raise ParameterError(str(exc)) from None
    if kind == "array":
        items = [line for line in raw.replace("\r\n", "\n").split("\n") if line != ""]
        return check_value(prop, items) if items else None
    if text == "":
        return None
    if kind == "integer":
        try:
            number: float = int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                raise ParameterError("must be a whole number") from None
        return check_value(prop, number)
    if kind == "number":
        try:
            number = float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:
            raise ParameterError("must be a number") from None
        return check_value(prop, number)
    return check_value(prop, raw)
