"""Text that can be stored, shown and sent: the one home for text checks.

A Python ``str`` may hold lone surrogates (one half of a UTF-16 pair): JSON's
``"\\ud83d"`` escape lets them in, and a model's stream splits a pair across
two deltas. They cannot be encoded as UTF-8, so one stored in a draft makes
every page that shows it fail. Text from people (Import, forms, websocket
frames) and from the operator's config is checked where it arrives and
refused with a message saying where; text from a model is repaired instead,
since the model's answer should still be shown.

NUL is valid Unicode and valid JSON, but PostgreSQL can store it in neither
text nor JSON: text from people that holds it is refused where it is kept
(forms, Import), and a model's NUL is repaired like a lone surrogate.
"""

import json
import math
import re
from typing import Any, NoReturn

MAX_BYTES = 1_000_000  # a pasted request or a frame; a long conversation is far below
MAX_DEPTH = 100  # a chat body nests about 5 levels; json and ast recurse per level
MAX_DIGITS = 100  # int() refuses more than 4300 with a message meant for programmers

_SURROGATE = re.compile("[\ud800-\udfff]")


class TextError(ValueError):
    """Text refused, worded to follow "The <thing> ...": "is nested deeper than 100 levels"."""


def find_invalid(value: Any, max_depth: int = MAX_DEPTH, *, nul: bool = False) -> str | None:
    """The first problem in a JSON-like value that would stop it being stored or sent.

    Walks strings, lists and dicts (keys before their values) without recursion
    and returns e.g. "a lone surrogate \\ud83d at messages[1].content", or None.
    With ``nul``, a NUL anywhere is a problem too: for a value stored whole (a
    file imported into JSON fields, which PostgreSQL cannot give a NUL).
    """
    # (item, path to it, depth, whether it is a key of the container at path)
    stack: list[tuple[Any, str, int, bool]] = [(value, "", 0, False)]
    while stack:
        item, path, depth, is_key = stack.pop()
        if isinstance(item, str):
            if found := _SURROGATE.search(item):
                return f"a lone surrogate \\u{ord(found.group()):04x}{_where(path, is_key)}"
            if nul and "\x00" in item:
                return f"a null character (U+0000){_where(path, is_key)}"
        elif isinstance(item, dict | list | tuple):
            if depth >= max_depth:
                return f"nesting deeper than {max_depth} levels{_where(path, False)}"
            if isinstance(item, dict):
                children = [(v, _step(path, k), depth + 1, False) for k, v in item.items()]
                keys = [(k, path, depth, True) for k in item]
            else:
                children = [(v, f"{path}[{i}]", depth + 1, False) for i, v in enumerate(item)]
                keys = []
            stack.extend(reversed(keys + children))
    return None


def _step(path: str, key: Any) -> str:
    name = str(key)[:40]  # keys are checked before their values: this is valid text
    return f"{path}.{name}" if path else name


def _where(path: str, is_key: bool) -> str:
    if is_key:
        return f" in a key of {path}" if path else " in a key"
    return f" at {path}" if path else ""


def repair(text: str) -> str:
    """Text from a model made valid: split surrogate pairs joined, lone halves
    and NUL as U+FFFD.

    Repair the text as a whole (or hold back a trailing high surrogate until
    the next delta): a pair split across two deltas, repaired one delta at a
    time, would become two replacement characters.
    """
    text = text.replace("\x00", "\ufffd")  # PostgreSQL stores no NUL
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def nesting_depth(text: str, quotes: str = '"') -> int:
    """How deep brackets nest in ``text``, leaving out those inside quotes.

    A scan, not a parse: it cannot overflow a stack however deep the text
    nests, so it can refuse text before a recursive parser sees it. Quotes
    end at the next unescaped quote of the same kind.
    """
    strings = "|".join(rf"{q}[^{q}\\]*(?:\\.[^{q}\\]*)*{q}" for q in map(re.escape, quotes))
    depth = deepest = 0
    for bracket in re.findall(r"[\[\]{}()]", re.sub(strings, "", text)):
        depth = depth + 1 if bracket in "[{(" else max(depth - 1, 0)
        deepest = max(deepest, depth)
    return deepest


def check_size(
    text: str, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH, quotes: str = '"'
) -> None:
    """Refuse (TextError) text too long or too deeply nested to parse safely."""
    # Characters first: encoding a huge text only to measure it would be waste.
    if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise TextError(f"is longer than the limit of {max_bytes:,} bytes")
    if nesting_depth(text, quotes) > max_depth:
        raise TextError(f"is nested deeper than {max_depth} levels")


def _refuse_constant(name: str) -> NoReturn:
    raise TextError(f"holds {name}, which JSON has no place for")


def _finite(digits: str) -> float:
    number = float(digits)
    if not math.isfinite(number):
        raise TextError(f"holds the number {digits[:20]}, too large to read")
    return number


def _integer(digits: str) -> int:
    if len(digits) > MAX_DIGITS:
        raise TextError(f"holds a number with {len(digits):,} digits, too long to read")
    return int(digits)


# What the json module's complaints mean, for people who write JSON by hand.
_JSON_PROBLEMS = {
    "Expecting value": "a value is missing or is not JSON (text goes in double quotes; "
    "true, false and null are lower case)",
    "Expecting property name enclosed in double quotes": "a key is not in double quotes, "
    "or a comma stands before a closing brace",
    "Expecting ',' delimiter": "a comma is missing between two items",
    "Expecting ':' delimiter": "a colon is missing after a key",
    "Illegal trailing comma before end of object": "a comma stands before a closing brace",
    "Illegal trailing comma before end of array": "a comma stands before a closing bracket",
    "Unterminated string starting at": "a text is not closed with a double quote",
    "Extra data": "more follows the end of the JSON",
    "Invalid control character at": "a text holds a line break or tab as it is (write \\n or \\t)",
    "Invalid \\escape": "a backslash starts an escape JSON does not know",
}


def json_problem(exc: json.JSONDecodeError) -> str:
    """Where and what is wrong, in words, not the parser's."""
    return f"at line {exc.lineno}, column {exc.colno}: {_JSON_PROBLEMS.get(exc.msg, exc.msg)}"


def parse_json(text: str, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` for text from outside, refusing with TextError what it would
    accept but nothing downstream can use.

    Refused: text over ``max_bytes`` or nested deeper than ``max_depth`` (checked
    before parsing, so no RecursionError), NaN and Infinity, numbers too large to
    read, and strings that are not valid Unicode (lone surrogates).
    """
    check_size(text, max_bytes, max_depth)
    try:
        value = json.loads(
            text, parse_constant=_refuse_constant, parse_float=_finite, parse_int=_integer
        )
    except json.JSONDecodeError as exc:
        raise TextError(f"is not valid JSON {json_problem(exc)}") from None
    if problem := find_invalid(value, max_depth):
        raise TextError(f"holds {problem}")
    return value
