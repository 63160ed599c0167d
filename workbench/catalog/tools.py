"""Tools (function calling): ``tools``, ``tool_choice``, and the messages they bring.

Like ``response_format`` (catalog.structured), each is a parameter whose
property is JSON Schema for its value, so a value typed into the panel, one
in a pasted body and one in an imported file are checked by the same schema.
A turn that calls tools (assistant ``tool_calls``) and one that answers a
call (role ``tool`` with ``tool_call_id``) are checked here too, by
``message_problem``: the request builder and the exchange format share it.
"""

from typing import Any

from workbench.catalog.structured import METASCHEMA, problem

FUNCTION_NAME = "^[A-Za-z0-9_-]{1,64}$"  # OpenAI's rule for a function's name

# OpenAI's shape, which llama.cpp's server (with its Jinja templates) reads too.
TOOLS: dict[str, Any] = {
    "type": "array",
    "title": "Tools",
    "x-order": 11,
    "x-editor": "tools",
    "description": "Functions the model may call: each a name, a description and its "
    "parameters as JSON Schema. A call is shown as it streams; add its result and Run "
    "to continue.",
    "items": {
        "type": "object",
        "properties": {
            "type": {"const": "function"},
            "function": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "pattern": FUNCTION_NAME},
                    "description": {"type": "string"},
                    "parameters": {"$ref": METASCHEMA, "type": "object"},
                    "strict": {"type": "boolean"},
                },
                "required": ["name"],
                "additionalProperties": False,
            },
        },
        "required": ["type", "function"],
        "additionalProperties": False,
    },
    "maxItems": 128,
}

# The editor's starting points for a function to add: (label, tool).
EXAMPLES: list[tuple[str, dict[str, Any]]] = [
    (
        "get_weather (a city)",
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "The current weather in a city.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "city": {"type": "string", "description": "The city, e.g. Paris"},
                        "unit": {"enum": ["celsius", "fahrenheit"]},
                    },
                    "required": ["city"],
                    "additionalProperties": False,
                },
            },
        },
    ),
    (
        "search (a query)",
        {
            "type": "function",
            "function": {
                "name": "search",
                "description": "Search the web and return the top results.",
                "parameters": {
                    "type": "object",
                    "properties": {"query": {"type": "string"}},
                    "required": ["query"],
                    "additionalProperties": False,
                },
            },
        },
    ),
]

CHOICES = ("none", "auto", "required")
TOOL_CHOICE: dict[str, Any] = {
    "type": ["string", "object"],
    "title": "Tool choice",
    "x-order": 12,
    "x-editor": "tool_choice",
    "description": "Whether the model may call a tool (auto), must call one (required), "
    "must call the function named, or may not (none).",
    "anyOf": [
        {"enum": list(CHOICES)},
        {
            "type": "object",
            "properties": {
                "type": {"const": "function"},
                "function": {
                    "type": "object",
                    "properties": {"name": {"type": "string", "pattern": FUNCTION_NAME}},
                    "required": ["name"],
                    "additionalProperties": False,
                },
            },
            "required": ["type", "function"],
            "additionalProperties": False,
        },
    ],
}

# An answer's calls, as kept with it and sent back: arguments are JSON text,
# as the model wrote it (it may not parse: it is shown and sent as it came).
TOOL_CALLS: dict[str, Any] = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "minLength": 1, "maxLength": 200},
            "type": {"const": "function"},
            "function": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "maxLength": 200},
                    "arguments": {"type": "string"},
                },
                "required": ["name", "arguments"],
                "additionalProperties": False,
            },
        },
        "required": ["id", "type", "function"],
        "additionalProperties": False,
    },
}


def message_problem(turn: dict[str, Any]) -> str | None:
    """What is wrong with a turn's tool fields (``tool_calls``, ``tool_call_id``), or None.

    Only an answer calls tools, and a ``tool`` turn must say which call it answers.
    """
    role = turn.get("role")
    if "tool_calls" in turn:
        if role != "assistant":
            return "has tool_calls, which only an assistant turn may have"
        if found := problem(TOOL_CALLS, turn["tool_calls"]):
            return f"has tool_calls that are not valid: {found}"
    if role == "tool":
        call_id = turn.get("tool_call_id")
        if not isinstance(call_id, str) or not call_id:
            return "is a tool result without the tool_call_id of the call it answers"
    elif "tool_call_id" in turn:
        return "has a tool_call_id, which only a tool turn may have"
    return None


def tool_names(tools: Any) -> list[str]:
    """The function names of a valid ``tools`` value (for tool_choice's choices)."""
    if not isinstance(tools, list):
        return []
    return [t["function"]["name"] for t in tools if isinstance(t, dict) and "function" in t]
