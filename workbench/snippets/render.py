"""Snippets as the pages show them: the code for each language, highlighted.

The one rendering used by the API tab and the model pages, so both print
exactly the code that ``generate`` writes.
"""

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
        snippets.append({"id": key, "label": label, "code": code, "html": highlight(code, lexer)})
    return snippets
