"""Structured output: ``response_format``, and JSON Schema checks with ``jsonschema``.

An object-valued parameter is described by JSON Schema (the property itself),
so the same library checks a request's ``response_format`` against its
property, the schema a person writes against the JSON Schema metaschema, and
an answer against that schema. Messages follow "The <thing> ..." phrasing
and say where: "'int' is not valid ..., at json_schema.schema.properties.age".
"""

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import regex
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator
from jsonschema.validators import extend, validator_for

from workbench.text import TextError, parse_json

METASCHEMA = "https://json-schema.org/draft/2020-12/schema"
JSON_FORMATS = ("json_object", "json_schema")  # the response formats that ask for JSON

# OpenAI's shape, which llama.cpp's server reads too. The schema is checked
# against the metaschema (offline: jsonschema ships the metaschemas).
RESPONSE_FORMAT: dict[str, Any] = {
    "type": "object",
    "title": "Response format",
    "x-order": 9,
    "x-editor": "response_format",
    "description": "Ask for JSON: any JSON object (json_object), or JSON that fits a "
    "schema (json_schema). The answer is then shown formatted and checked.",
    "properties": {
        "type": {"enum": list(JSON_FORMATS)},
        "json_schema": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
                "description": {"type": "string"},
                "strict": {"type": "boolean"},
                "schema": {"$ref": METASCHEMA, "type": "object"},
            },
            "required": ["name", "schema"],
            "additionalProperties": False,
        },
    },
    "required": ["type"],
    "additionalProperties": False,
    "if": {"properties": {"type": {"const": "json_schema"}}},
    "then": {"required": ["json_schema"]},
    "examples": [{"type": "json_object"}],
}

# The editor's starting points: (label, name, schema).
EXAMPLES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "Person (name and age)",
        "person",
        {
            "type": "object",
            "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
            "required": ["name", "age"],
            "additionalProperties": False,
        },
    ),
    (
        "Sentiment (label and score)",
        "sentiment",
        {
            "type": "object",
            "properties": {
                "label": {"enum": ["positive", "neutral", "negative"]},
                "score": {"type": "number", "minimum": 0, "maximum": 1},
            },
            "required": ["label", "score"],
            "additionalProperties": False,
        },
    ),
    (
        "List of tasks",
        "tasks",
        {
            "type": "object",
            "properties": {
                "tasks": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"title": {"type": "string"}, "done": {"type": "boolean"}},
                        "required": ["title", "done"],
                        "additionalProperties": False,
                    },
                }
            },
            "required": ["tasks"],
            "additionalProperties": False,
        },
    ),
]


# A schema's patterns come from people and from imported files, and run on the
# server: each search may take this long (seconds), so that a pattern that
# backtracks without end ("^(a|aa)+$") cannot tie up a worker.
PATTERN_SECONDS = 0.05


class _Stuck(Exception):
    pass


def _search(pattern: str, text: str) -> bool:
    try:
        return regex.search(pattern, text, timeout=PATTERN_SECONDS) is not None
    except TimeoutError:
        raise _Stuck(pattern) from None


def _pattern(validator: Validator, pattern: str, instance: Any, schema: Any) -> Iterator:
    if not validator.is_type(instance, "string"):
        return
    try:
        if not _search(pattern, instance):
            yield ValidationError(f"{instance!r} does not match {pattern!r}")
    except _Stuck:
        yield ValidationError(f"the pattern {pattern!r} took too long to check")
    except regex.error as exc:
        yield ValidationError(f"the pattern {pattern!r} is not a regular expression ({exc})")


def _pattern_properties(
    validator: Validator, patterns: dict[str, Any], instance: Any, schema: Any
) -> Iterator:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            try:
                matches = _search(pattern, key)
            except (_Stuck, regex.error):
                yield ValidationError(f"the pattern {pattern!r} could not be checked")
                return
            if matches:
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


@cache
def _guarded(cls: type[Validator]) -> type[Validator]:
    """The validator class with patterns searched under a time limit."""
    return extend(cls, {"pattern": _pattern, "patternProperties": _pattern_properties})


def _where(error: ValidationError) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return f", at {path.lstrip('.')}" if path else ""


def _said(error: ValidationError) -> str:
    # An anyOf's own message ("is not valid under any of the given schemas") says
    # less than its closest alternative ("'strin' is not one of [...]").
    while error.context:
        error = best_match(error.context)
    return f"{error.message}{_where(error)}"


def problem(schema: dict[str, Any], value: Any) -> str | None:
    """Why ``value`` does not fit ``schema`` (in its own draft, 2020-12 by default), or None."""
    validator = _guarded(validator_for(schema, default=Draft202012Validator))(schema)
    error = best_match(validator.iter_errors(value))
    return None if error is None else _said(error)


def schema_problem(schema: Any) -> str | None:
    """Why ``schema`` is not a JSON Schema (checked against its metaschema), or None."""
    if not isinstance(schema, dict | bool):
        return "must be a JSON object"
    meta = validator_for(schema, default=Draft202012Validator).META_SCHEMA
    return problem(meta, schema)


def asks_for_json(response_format: Any) -> bool:
    return isinstance(response_format, dict) and response_format.get("type") in JSON_FORMATS


@dataclass(frozen=True)
class AnswerCheck:
    """An answer asked for as JSON: its value (if it parsed) and what the check found."""

    value: Any
    parsed: bool
    valid: bool
    verdict: str  # "Valid against the schema", or why not


def check_answer(text: str, response_format: dict[str, Any]) -> AnswerCheck:
    """Parse an answer and, for json_schema, validate it against the schema asked for."""
    try:
        value = parse_json(text.strip())
    except TextError as exc:
        return AnswerCheck(None, False, False, f"Not valid JSON: the answer {exc}.")
    if response_format.get("type") != "json_schema":
        return AnswerCheck(value, True, True, "Valid JSON")
    schema = response_format["json_schema"]["schema"]
    if found := problem(schema, value):
        return AnswerCheck(value, True, False, f"Not valid against the schema: {found}.")
    return AnswerCheck(value, True, True, "Valid against the schema")
