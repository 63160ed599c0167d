"""What templates need from a draft: fields with their current text, messages as HTML.

Kept apart from the views because the websocket relay renders the same
fragments (a finished answer, an error) from outside any request.
"""

from typing import Any

from django.utils.html import linebreaks
from django.utils.safestring import mark_safe

from workbench.catalog.entries import Model
from workbench.catalog.request import RequestError
from workbench.chat.markdown import render_markdown
from workbench.chat.panel import PARAM_PREFIX
from workbench.snippets.generate import LANGUAGES, json_text
from workbench.snippets.highlight import highlight


def _as_text(prop: dict[str, Any], value: Any) -> str:
    if value is None:
        return ""
    if prop.get("type") == "array":
        return "\n".join(value)
    return str(value)


def _field(name: str, prop: dict[str, Any], value: Any, typed: dict, errors: dict) -> dict:
    kind = prop.get("type")
    field = {
        "name": name,
        "key": PARAM_PREFIX + name,
        "title": prop.get("title", name),
        "prop": prop,
        "kind": kind,
        "text": typed.get(name, _as_text(prop, value)),
        "checked": bool(prop.get("default", False) if value is None else value),
        "error": errors.get(name, ""),
        "placeholder": _as_text(prop, prop.get("default")),
    }
    if kind in ("number", "integer") and "minimum" in prop and "maximum" in prop:
        span = prop["maximum"] - prop["minimum"]
        # A slider over a range this wide (a seed) would be useless.
        if span <= 1000:
            field["slider"] = {
                "min": prop["minimum"],
                "max": prop["maximum"],
                "step": 1 if kind == "integer" else prop.get("x-step", 0.01),
                "value": field["text"] or field["placeholder"] or prop["minimum"],
            }
    return field


def panel_fields(
    model: Model, values: dict[str, Any], typed: dict | None = None, errors: dict | None = None
) -> tuple[list[dict], list[dict]]:
    """(basic, more) fields of the parameter panel, in the schema's order."""
    basic = set(model.basic_parameters())
    fields = [_field(n, p, values.get(n), typed or {}, errors or {}) for n, p in model.parameters()]
    return [f for f in fields if f["name"] in basic], [f for f in fields if f["name"] not in basic]


def api_view(draft: Any) -> dict[str, Any]:
    """The API tab: what Run would send now, as code in every language, or why nothing."""
    try:
        body = draft.request_body()
    except RequestError as exc:
        return {"problem": "; ".join(f"{k}: {v}" for k, v in exc.errors.items())}
    provider = draft.provider
    snippets = []
    for key, (label, lexer, generate) in LANGUAGES.items():
        code = generate(provider, body)
        snippets.append({"id": key, "label": label, "code": code, "html": highlight(code, lexer)})
    code = json_text(body) + "\n"
    snippets.append({"id": "json", "label": "JSON", "code": code, "html": highlight(code, "json")})
    return {"snippets": snippets}


def message_view(index: int, message: dict[str, Any]) -> dict[str, Any]:
    content = message.get("content", "")
    if message["role"] == "assistant":
        html = render_markdown(content)
    else:
        html = mark_safe(linebreaks(content, autoescape=True))  # noqa: S308 - escaped
    return {"index": index, "html": html, **message}


def messages_view(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [message_view(i, m) for i, m in enumerate(messages)]
