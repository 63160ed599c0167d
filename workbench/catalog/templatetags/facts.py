"""Show catalog facts the way the model pages print them: "Unknown" for null."""

from typing import Any

from django import template

register = template.Library()


@register.filter
def fact(value: Any, unit: str = "") -> str:
    if value is None:
        return "Unknown"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int):
        text = f"{value:,}"
        return f"{text} {unit}" if unit else text
    return str(value)


@register.filter
def per_million(cost: float | None) -> str:
    """Prices are stored per token and shown per million tokens, as providers quote them."""
    return "Unknown" if cost is None else f"${cost * 1_000_000:,.2f}"


@register.filter
def json_type(prop: dict[str, Any]) -> str:
    kind = prop.get("type", "")
    if kind == "array" and "items" in prop:
        return f"array of {prop['items'].get('type', 'any')}"
    return kind


@register.filter
def json_default(prop: dict[str, Any]) -> str:
    if "default" not in prop:
        return "—"
    value = prop["default"]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
