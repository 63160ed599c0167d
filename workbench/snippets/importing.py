"""The way back: a pasted cURL command, JSON body, or code from the API tab
becomes a request body again.

Reading is done by parsers, never by running the code: JSON by ``json``,
the shell by ``shlex``, Python by ``ast`` (literals only), JavaScript by
finding the JSON text the API tab writes.
"""

import ast
import json
import re
import shlex
from typing import Any

DATA_FLAGS = ("-d", "--data", "--data-raw", "--data-binary", "--json")


class UnreadableSnippet(ValueError):
    """What could not be read, worded for the person who pasted it."""


def _json_object(text: str, where: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise UnreadableSnippet(f"The {where} is not valid JSON: {exc}.") from None
    if not isinstance(value, dict):
        raise UnreadableSnippet(f"The {where} must be a JSON object with model and messages.")
    return value


def from_curl(text: str) -> dict[str, Any]:
    try:
        words = shlex.split(text.replace("\\\r\n", " ").replace("\\\n", " "))
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


def from_python(text: str) -> dict[str, Any]:
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise UnreadableSnippet(
            f"The Python code does not parse: {exc.msg} (line {exc.lineno})."
        ) from None
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
        decoded, _ = json.JSONDecoder().raw_decode(text, found.end() - 1)
        return _dict(decoded)
    chars, i = [], found.end()
    while i < len(text) and text[i] != "`":
        if text[i] == "\\" and i + 1 < len(text):
            i += 1  # \\, \` and \$ stand for themselves
        chars.append(text[i])
        i += 1
    return _json_object("".join(chars), "JavaScript body")


def parse_pasted(text: str) -> dict[str, Any]:
    """The request body held by ``text``, whichever form it has."""
    stripped = text.strip()
    if not stripped:
        raise UnreadableSnippet(
            "Paste a cURL command, a JSON body, or code from the API tab first."
        )
    if stripped.startswith("{"):
        return _json_object(stripped, "pasted text")
    if stripped.startswith("curl"):
        return from_curl(stripped)
    if "const " in stripped and ("fetch(" in stripped or "JSON" in stripped):
        return from_javascript(stripped)
    return from_python(stripped)
