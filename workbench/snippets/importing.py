"""The way back: a pasted request becomes a request body again.

People paste what docs and tools publish: cURL and httpie commands, raw HTTP
requests, JSON bodies or lists of messages, Python (requests, httpx, the
OpenAI SDK) and JavaScript or TypeScript (fetch, axios, the OpenAI SDK).
Each is read by a parser, never run: the shell's words by ``shell_words``,
JSON by ``json``, Python by ``ast``, JavaScript by tree-sitter.

The pasted text is hostile until read: ``parse_pasted`` is the one way in, so
every reader runs behind the same guards (size, nesting, valid text, and no
exception but UnreadableSnippet), present and future readers alike.
"""

import logging
import re
import traceback

from workbench.snippets.jscode import from_javascript
from workbench.snippets.pasted import Pasted, UnreadableSnippet, body_of
from workbench.snippets.pycode import from_python
from workbench.snippets.rawhttp import REQUEST_LINE, from_http
from workbench.snippets.shell import from_curl, from_httpie
from workbench.text import TextError, check_size, find_invalid, parse_json

logger = logging.getLogger(__name__)

# What only JavaScript says: declarations, ES imports, fetch, JSON.stringify, arrows, create({.
_JAVASCRIPT = re.compile(
    r"^[ \t]*(?:const|let|var|export)[ \t]|^[ \t]*import[ \t].+[ \t]from[ \t]|\bfetch\("
    r"|JSON\.stringify|=>|\.create\(\s*\{|\baxios\.",
    re.M,
)
_PROMPT = re.compile(r"^\$\s+")  # "$ curl ...", as docs print a command
_CALL_OR_ASSIGNMENT = re.compile(r"[(=]")  # Python that sends a request has one or the other
NOT_A_REQUEST = (
    "This does not look like a request. Paste a cURL or httpie command, a raw HTTP "
    "request, a JSON body or list of messages, or Python or JavaScript code that sends one."
)


def from_json(text: str) -> Pasted:
    try:
        value = parse_json(text)
    except TextError as exc:
        raise UnreadableSnippet(f"The pasted text {exc}.") from None
    kind = "a JSON list of messages" if isinstance(value, list) else "a JSON body"
    return Pasted(body_of(value, "pasted JSON"), kind)


def _read(text: str) -> Pasted:
    text = _PROMPT.sub("", text)
    first = text.split(None, 1)[0]
    if text[0] in "{[":
        return from_json(text)
    if first in ("curl", "curl.exe"):
        return from_curl(text)
    if first in ("http", "https", "xh", "xhs"):  # httpie, and xh which reads the same
        return from_httpie(text)
    if REQUEST_LINE.match(text):
        return from_http(text)
    if _JAVASCRIPT.search(text):
        return from_javascript(text)
    if not _CALL_OR_ASSIGNMENT.search(text):  # prose, a URL, a key: not code at all
        raise UnreadableSnippet(NOT_A_REQUEST)
    return from_python(text)


def parse_pasted(text: str) -> Pasted:
    """The request body held by ``text``, whichever form it has, and how it was found.

    Raises UnreadableSnippet, and nothing else, for text that is too long, too
    deeply nested (brackets outside quotes), unreadable, or holding invalid text.
    An unexpected error in a reader is logged with its traceback (not the
    text, which may be private) and explained as unreadable.
    """
    stripped = text.strip()
    if not stripped:
        raise UnreadableSnippet(
            "Paste a request first: a cURL or httpie command, a JSON body, or code."
        )
    try:
        check_size(stripped, quotes="\"'`")
        pasted = _read(stripped)
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
    if problem := find_invalid(pasted.body):
        raise UnreadableSnippet(f"The request body holds {problem}.")
    return pasted
