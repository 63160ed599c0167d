"""Snippets as the pages show them: the code for each language, highlighted.

The one rendering used by the API tab and the model pages, so both print
exactly the code that ``generate`` writes.
"""

import re
from collections.abc import Iterable
from typing import Any

from workbench.catalog.entries import Provider
from workbench.snippets.generate import LANGUAGES, json_text
from workbench.snippets.highlight import highlight


def render_snippets(
    provider: Provider, body: dict[str, Any], languages: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """``{id, label, code, html}`` per language (all of them, then JSON, by default)."""
    snippets = []
    for key in languages or [*LANGUAGES, "json"]:
        if key == "json":
            label, lexer, code = "JSON", "json", json_text(body) + "\n"
        else:
            label, lexer, generate = LANGUAGES[key]
            code = generate(provider, body)
        shown = fold(code)
        snippets.append(
            {
                "id": key,
                "label": label,
                "code": code,
                "html": highlight(shown, lexer),
                "folded": shown != code,
            }
        )
    return snippets


# An image's base64 past its first characters: a picture's megabytes would
# bury the code. Only the display folds it; Copy takes ``code``, whole.
_LONG_DATA = re.compile(r"(data:image/[a-z]+;base64,[A-Za-z0-9+/]{32})[A-Za-z0-9+/]{64,}={0,2}")


def fold(code: str) -> str:
    """``code`` as displayed: each long data URL cut, saying how much is left out."""
    return _LONG_DATA.sub(lambda m: f"{m[1]}…({len(m[0]) - len(m[1]):,} more)", code)
