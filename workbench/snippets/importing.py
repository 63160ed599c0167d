"""The way back: a pasted cURL command, JSON body, or code from the API tab
becomes a request body again.

Reading is done by parsers, never by running the code: JSON by ``json``,
the shell by ``shlex``, Python by ``ast`` (literals only), JavaScript by
finding the JSON text the API tab writes.

The pasted text is hostile until read: ``parse_pasted`` is the one way in, so
every reader runs behind the same guards (size, nesting, valid text, and no
exception but UnreadableSnippet), present and future readers alike.
"""

import ast
import json
import logging
import re
import traceback
from typing import Any

from workbench.text import TextError, check_size, find_invalid, parse_json

logger = logging.getLogger(__name__)

DATA_FLAGS = ("-d", "--data", "--data-raw", "--data-binary", "--json")


class UnreadableSnippet(ValueError):
    """What could not be read, worded for the person who pasted it."""


def _json_object(text: str, where: str) -> dict[str, Any]:
    try:
        value = parse_json(text)
    except TextError as exc:
        raise UnreadableSnippet(f"The {where} {exc}.") from None
    if not isinstance(value, dict):
        raise UnreadableSnippet(f"The {where} must be a JSON object with model and messages.")
    return value


# One piece of a POSIX shell word: whitespace between words, '...', "...", \x, or plain.
_SHELL_PIECE = re.compile(
    r"(?P<space>[ \t\r\n]+)"
    r"|'(?P<single>[^']*)'"
    r'|"(?P<double>[^"\\]*(?:\\.[^"\\]*)*)"'
    r"|\\(?P<escaped>.)"
    r"""|(?P<plain>[^ \t\r\n'"\\]+)""",
    re.S,
)
_DOUBLE_QUOTED_ESCAPE = re.compile(r'\\([\\"])')


def shell_words(text: str) -> list[str]:
    """The words of a shell command exactly as ``shlex.split`` reads them.

    shlex grows each word a character at a time, which takes seconds for a
    megabyte-long -d body; matching whole quoted strings at once does not.
    """
    words: list[str] = []
    word: list[str] | None = None  # None between words; [] is an empty word ('')
    pos = 0
    while pos < len(text):
        piece = _SHELL_PIECE.match(text, pos)
        if piece is None:
            raise ValueError(
                "No escaped character" if text[pos] == "\\" else "No closing quotation"
            )
        pos = piece.end()
        if piece["space"] is not None:
            if word is not None:
                words.append("".join(word))
            word = None
            continue
        word = word if word is not None else []
        if piece["double"] is not None:
            word.append(_DOUBLE_QUOTED_ESCAPE.sub(r"\1", piece["double"]))
        else:
            word.append(piece["single"] or piece["escaped"] or piece["plain"] or "")
    if word is not None:
        words.append("".join(word))
    return words


def from_curl(text: str) -> dict[str, Any]:
    try:
        words = shell_words(text.replace("\\\r\n", " ").replace("\\\n", " "))
    except ValueError as exc:
        raise UnreadableSnippet(
            f"The cURL command could not be read as shell words: {exc}."
        ) from None
    for i, word in enumerate(words[:-1]):
        if word in DATA_FLAGS:
            return _json_object(words[i + 1], "cURL command's -d data")
    raise UnreadableSnippet("The cURL command has no -d data with the request body.")


def _literal(node: ast.AST, what: str) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise UnreadableSnippet(
            f"{what} is not a plain value (only literals can be imported)."
        ) from None
    except TypeError as exc:  # {[1]: 2}: a literal, but not a value
        raise UnreadableSnippet(f"{what} cannot be read: {exc}.") from None


def from_python(text: str) -> dict[str, Any]:
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise UnreadableSnippet(
            f"The Python code does not parse: {exc.msg} (line {exc.lineno})."
        ) from None
    except (MemoryError, RecursionError):  # how CPython's parser says "nested too deep"
        raise UnreadableSnippet("The Python code is too deeply nested to read.") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "payload" for t in node.targets
        ):
            return _dict(_literal(node.value, "payload"))
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "create":
            body: dict[str, Any] = {}
            for kw in node.keywords:
                if kw.arg in ("extra_headers", "timeout"):
                    continue
                value = _literal(kw.value, f"The argument {kw.arg}")
                if kw.arg == "extra_body":
                    body.update(_dict(value))
                else:
                    body[kw.arg] = value
            return body
    raise UnreadableSnippet(
        "The Python code has no payload = {...} and no completions.create(...) call."
    )


def _dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UnreadableSnippet("The request body must be a dictionary with model and messages.")
    return value


_JS_BODY = re.compile(r"const (?:body|payload) = (`|\{)", re.S)


def from_javascript(text: str) -> dict[str, Any]:
    found = _JS_BODY.search(text)
    if not found:
        raise UnreadableSnippet("The JavaScript has no const body = `...` with the request body.")
    if found.group(1) == "{":
        start = found.end() - 1
        try:  # where the object ends; parse_json reads it, or says what is wrong
            end = json.JSONDecoder().raw_decode(text, start)[1]
        except ValueError:
            end = len(text)
        return _json_object(text[start:end], "JavaScript body")
    chars, i = [], found.end()
    while i < len(text) and text[i] != "`":
        if text[i] == "\\" and i + 1 < len(text):
            i += 1  # \\, \` and \$ stand for themselves
        chars.append(text[i])
        i += 1
    return _json_object("".join(chars), "JavaScript body")


def _read(text: str) -> dict[str, Any]:
    if text.startswith("{"):
        return _json_object(text, "pasted text")
    if text.startswith("curl"):
        return from_curl(text)
    if "const " in text and ("fetch(" in text or "JSON" in text):
        return from_javascript(text)
    return from_python(text)


def parse_pasted(text: str) -> dict[str, Any]:
    """The request body held by ``text``, whichever form it has.

    Raises UnreadableSnippet, and nothing else, for text that is too long, too
    deeply nested (brackets outside quotes), unreadable, or holding invalid text.
    An unexpected error in a reader is logged with its traceback (not the
    text, which may be private) and explained as unreadable.
    """
    stripped = text.strip()
    if not stripped:
        raise UnreadableSnippet(
            "Paste a cURL command, a JSON body, or code from the API tab first."
        )
    try:
        check_size(stripped, quotes="\"'`")
        body = _read(stripped)
    except UnreadableSnippet:
        raise
    except TextError as exc:
        raise UnreadableSnippet(f"The pasted text {exc}.") from None
    except Exception as exc:
        frames = "".join(traceback.format_tb(exc.__traceback__, limit=-20))
        logger.warning(
            "Import could not read a paste of %d characters: %s\n%s",
            len(stripped),
            type(exc).__name__,
            frames,
        )
        raise UnreadableSnippet("The pasted text could not be read as a request.") from None
    if problem := find_invalid(body):
        raise UnreadableSnippet(f"The request body holds {problem}.")
    return body
