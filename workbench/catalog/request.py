"""The one request builder: what the relay sends and the API tab prints both
come from ``build_body``, and each run records the body it sent.
"""

from dataclasses import dataclass, field
from typing import Any

from workbench.catalog.entries import Model, Provider
from workbench.catalog.images import content_parts, images_problem, takes_images
from workbench.catalog.schema import ParameterError, check_value
from workbench.catalog.tools import message_problem

ROLES = ("system", "developer", "user", "assistant", "tool")
# OpenAI's newer models take instructions as "developer"; others know only "system".
SYSTEM_ROLES = ("system", "developer")


@dataclass
class RequestError(ValueError):
    """Every field that is wrong, keyed by field name, with the reason."""

    errors: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return "; ".join(f"{k}: {v}" for k, v in self.errors.items())


# A parameter that only goes with another's value: OpenAI and llama.cpp refuse it
# otherwise (400), so it is said before anything is sent.
NEEDS: dict[str, tuple[str, Any]] = {"top_logprobs": ("logprobs", True)}


def build_body(
    model: Model,
    provider: Provider,
    messages: list[dict[str, Any]],
    parameters: dict[str, Any],
    system_prompt: str = "",
    system_role: str = "system",
) -> dict[str, Any]:
    """A chat-completions body for ``model``: checked, ordered, ready to send.

    ``parameters`` holds only what the user set; each goes out with its exact
    value (0 and false included). Nothing is filled in from defaults, so the
    provider's own defaults apply to the rest — as the schema describes.
    The system prompt goes first with ``system_role``, exactly as chosen.
    """
    errors: dict[str, str] = {}
    props = dict(model.parameters())
    params: dict[str, Any] = {}
    for name, value in parameters.items():
        if value is None:
            continue
        if name not in props:
            errors[name] = f"is not a parameter of {model.display_name}"
            continue
        try:
            params[name] = check_value(props[name], value)
        except ParameterError as exc:
            errors[name] = f"{props[name].get('title', name)} {exc}"
    for name, (needed, value) in NEEDS.items():
        if name in params and params.get(needed) != value:
            title = props[needed].get("title", needed)
            errors[name] = f"{props[name].get('title', name)} needs {title} on"
    if system_role not in SYSTEM_ROLES:
        errors["system_role"] = "must be system or developer"
    convo = [{"role": system_role, "content": system_prompt}] if system_prompt else []
    for i, message in enumerate(messages):
        try:
            convo.append(request_message(message))
        except ValueError as exc:
            errors[f"messages[{i}]"] = str(exc)
    if any(m.get("images") for m in messages) and not takes_images(model):
        errors["images"] = f"{model.display_name} does not take images: remove them first"
    if not convo:
        errors["messages"] = "Write a message first: the conversation is empty"
    if errors:
        raise RequestError(errors)
    body: dict[str, Any] = {"model": model.sent_id, "messages": convo}
    body.update((name, params[name]) for name in props if name in params)
    if body.get("stream") and provider.stream_usage:
        body["stream_options"] = {"include_usage": True}
    return body


def request_message(turn: dict[str, Any]) -> dict[str, Any]:
    """A turn as a request carries it: role and content, plus an answer's
    ``tool_calls`` (its content then null when it said nothing, as OpenAI sends
    it) or a tool result's ``tool_call_id``; a user turn's ``images`` make its
    content a list of parts (catalog.images). Raises ValueError saying what is wrong."""
    calls = turn.get("tool_calls")
    content = turn.get("content")
    images = turn.get("images")
    if turn.get("role") not in ROLES or not (
        isinstance(content, str) or (content is None and calls)
    ):
        raise ValueError(f"needs a role ({', '.join(ROLES)}) and text")
    if found := message_problem(turn):
        raise ValueError(found)
    if images is not None:
        if turn["role"] != "user":
            raise ValueError("has images, which only a user turn may have")
        if found := images_problem(images):
            raise ValueError(f"has images that are not valid: {found}")
        return {"role": "user", "content": content_parts(content, images)}
    out: dict[str, Any] = {"role": turn["role"], "content": (content or None) if calls else content}
    if calls:
        out["tool_calls"] = calls
    if turn["role"] == "tool":
        out["tool_call_id"] = turn["tool_call_id"]
    return out


def accepts(model: Model, name: str, value: Any) -> bool:
    """Whether ``model`` takes the parameter ``name`` with this value."""
    prop = dict(model.parameters()).get(name)
    if prop is None:
        return False
    try:
        check_value(prop, value)
    except ParameterError:
        return False
    return True


def example_body(model: Model, provider: Provider, level: str) -> dict[str, Any]:
    """The model page's examples: minimal, basic parameters, or all parameters."""
    names = {
        "minimal": [],
        "basic": model.basic_parameters(),
        "all": [n for n, _ in model.parameters()],
    }[level]
    props = dict(model.parameters())
    values = {}
    for name in names:
        prop = props[name]
        if "default" in prop:
            values[name] = prop["default"]
        elif prop.get("examples"):
            values[name] = prop["examples"][0]
    for name, (needed, value) in NEEDS.items():
        if name in values and needed in values:  # an example shows what goes together
            values[needed] = value
    messages = [{"role": "user", "content": "Hello! What can you do?"}]
    return build_body(model, provider, messages, values)
