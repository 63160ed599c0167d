"""The conversation type: one column of a workbench — its model, parameters,
system prompt and turns.

A draft holds one or more columns (compare adds more); a saved session, a
shared revision and an export will hold the same ``Column`` values, stored
as the JSON that ``as_json`` gives.
"""

import secrets
from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict

from django.db import models

from workbench.catalog.entries import Model, Provider
from workbench.catalog.registry import get_catalog
from workbench.catalog.request import SYSTEM_ROLES, RequestError, accepts, build_body
from workbench.limits import MAX_TEXT


class Status(models.TextChoices):
    """Where an answer is in its life; a user or system turn is always DONE."""

    STREAMING = "streaming"
    DONE = "done"
    STOPPED = "stopped"
    INTERRUPTED = "interrupted"
    ERROR = "error"


class Message(TypedDict):
    id: str
    role: str
    content: str
    status: Status
    error: NotRequired[str]
    figures: NotRequired[dict[str, Any]]
    run: NotRequired[str]  # the run that wrote (or is writing) this answer
    reasoning: NotRequired[str]  # a reasoning model's thinking: shown, never sent back
    logprobs: NotRequired[list[list[Any]]]  # each token's: [token, logprob, alternatives]
    html: NotRequired[str]  # the answer rendered once, when its run ended...
    html_version: NotRequired[int]  # ...by this version of chat.markdown
    response_format: NotRequired[dict[str, Any]]  # the JSON its run asked for (shown as such)
    tool_calls: NotRequired[list[dict[str, Any]]]  # an answer's calls: {id, type, function}
    tool_call_id: NotRequired[str]  # a tool turn: the call whose result it holds


def new_id() -> str:
    return secrets.token_hex(6)


def message(role: str, content: str, status: Status = Status.DONE, **extra: Any) -> Message:
    return Message(id=new_id(), role=role, content=content, status=status, **extra)


def failed_before_text(status: str, text: str, tool_calls: Any = None) -> bool:
    """A run that failed before any text came (refused, unreachable, an HTTP error, an
    empty answer) leaves no answer: nothing to keep, and no figures to show, only its
    reason, in a notice. The user's turn stays, so Regenerate sends it again.
    Tool calls are an answer too: a run that made some did not fail before text."""
    return status == Status.ERROR and not text and not tool_calls


def is_sendable(m: Message) -> bool:
    """A turn goes into a request unless it is still streaming or has no text to send.

    A stopped, interrupted or failed answer with text is sent as it is: it is
    what the person saw, and they can edit or delete it.
    """
    if m["status"] == Status.STREAMING:
        return False
    return m["status"] == Status.DONE or bool(m["content"])


# A turn's fields that go into a request besides role and content (catalog.request).
TOOL_FIELDS = ("tool_calls", "tool_call_id")


def sent_fields(m: Message | dict[str, Any]) -> dict[str, Any]:
    """A turn as the request builder takes it: role, content and its tool fields."""
    turn = {"role": m.get("role"), "content": m.get("content")}
    turn.update((k, m[k]) for k in TOOL_FIELDS if k in m)  # type: ignore[literal-required]
    return turn


@dataclass
class Column:
    model_id: str
    system_prompt: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    system_role: str = "system"  # or "developer": the system prompt goes back as it came

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Column":
        messages = [
            Message(**{**m, "status": Status(m.get("status", Status.DONE))})  # type: ignore[typeddict-item]
            for m in data.get("messages", [])
        ]
        return cls(
            model_id=data["model_id"],
            system_prompt=data.get("system_prompt", ""),
            system_role=data.get("system_role", "system"),
            parameters=dict(data.get("parameters", {})),
            messages=messages,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "system_prompt": self.system_prompt,
            "system_role": self.system_role,
            "parameters": self.parameters,
            "messages": [dict(m) for m in self.messages],
        }

    @property
    def model(self) -> Model:
        """The chosen model; a model removed from the catalog falls back to the default."""
        return get_catalog().get(self.model_id) or get_catalog().default_model()

    @property
    def provider(self) -> Provider:
        return get_catalog().provider_of(self.model)

    def switch_model(self, model_id: str) -> None:
        """Keep the parameters the new model also accepts, with their values."""
        if model_id == self.model_id:
            return
        self.model_id = model_id
        accepted = dict(self.model.parameters())
        self.parameters = {k: v for k, v in self.parameters.items() if k in accepted}

    def set_parameters(self, values: dict[str, Any]) -> None:
        """Apply the panel's values; ``None`` means "not set" (the provider's default)."""
        params = dict(self.parameters)
        for name, value in values.items():
            if value is None:
                params.pop(name, None)
            else:
                params[name] = value
        self.parameters = params

    def find(self, message_id: str) -> int | None:
        return next((i for i, m in enumerate(self.messages) if m["id"] == message_id), None)

    def find_run(self, run_id: str) -> int | None:
        return next((i for i, m in enumerate(self.messages) if m.get("run") == run_id), None)

    def last_answer(self) -> Message | None:
        """The latest answer that has ended (what Compare's diff compares)."""
        ended = (m for m in reversed(self.messages) if m["role"] == "assistant")
        return next((m for m in ended if m["status"] != Status.STREAMING), None)

    def streaming(self) -> list[Message]:
        return [m for m in self.messages if m["status"] == Status.STREAMING]

    def request_messages(self) -> list[dict[str, Any]]:
        """The conversation as the model sees it."""
        return [sent_fields(m) for m in self.messages if is_sendable(m)]

    def ends_with_tool_results(self) -> bool:
        return bool(self.messages) and self.messages[-1]["role"] == "tool"

    def request_body(self, pending: str = "") -> dict[str, Any]:
        """What Run sends: the conversation, plus ``pending`` as the last user turn."""
        messages = self.request_messages()
        if pending:
            messages.append({"role": "user", "content": pending})
        return build_body(
            self.model,
            self.provider,
            messages,
            self.parameters,
            self.system_prompt,
            self.system_role,
        )

    @classmethod
    def from_body(cls, body: dict[str, Any], stand_in: Model | None = None) -> tuple["Column", str]:
        """A column and Message box text from a request body: the inverse of ``request_body``.

        A leading system or developer message becomes the system prompt (its
        role kept) and a trailing user message the Message box. Raises
        RequestError when the body does not fit a model of the catalog.

        ``stand_in`` takes the place of a model the catalog does not have:
        the conversation is kept whole, and a parameter the stand-in does not
        take is left out rather than refusing the body.
        """
        model = stand_in or get_catalog().get(str(body.get("model", "")))
        if model is None:
            raise RequestError(
                {
                    "model": f"Unknown model {body.get('model')!r}: add it to the "
                    "catalog (WORKBENCH_CONFIG) first."
                }
            )
        turns = body.get("messages")
        if not isinstance(turns, list) or not all(
            isinstance(m, dict)
            and (
                isinstance(m.get("content"), str)
                or (m.get("content") is None and "tool_calls" in m)
            )
            for m in turns
        ):
            raise RequestError({"messages": "must be a list of {role, content} with text content"})
        # An answer that only called tools has null content: kept as no text.
        turns = [{**sent_fields(m), "content": m["content"] or ""} for m in turns]
        for i, turn in enumerate(turns):
            if "\x00" in turn["content"]:
                raise RequestError(
                    {f"messages[{i}]": "holds a null character (U+0000), which cannot be kept"}
                )
            if len(turn["content"]) > MAX_TEXT:
                raise RequestError(
                    {
                        f"messages[{i}]": f"holds {len(turn['content']):,} characters; "
                        f"a message or prompt holds at most {MAX_TEXT:,}"
                    }
                )
        system, system_role = "", "system"
        if turns and turns[0]["role"] in SYSTEM_ROLES:
            first = turns.pop(0)
            system, system_role = first["content"], first["role"]
        pending = turns.pop()["content"] if turns and turns[-1]["role"] == "user" else ""
        params = {k: v for k, v in body.items() if k not in ("model", "messages", "stream_options")}
        if stand_in is not None:
            params = {k: v for k, v in params.items() if accepts(stand_in, k, v)}
        turns = [message(**t) for t in turns]
        column = cls(model.id, system, params, turns, system_role)
        column.request_body(pending)  # refuses what does not fit
        return column, pending
