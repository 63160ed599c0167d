"""The draft: everything on a person's workbench, kept server-side so that a
reload, a crash or a closed tab loses nothing.
"""

import uuid
from typing import Any

from django.db import models

from workbench.catalog.entries import Model, Provider
from workbench.catalog.registry import get_catalog
from workbench.catalog.request import RequestError, build_body

# The workbench streams unless the person turns it off (the API default is off).
INITIAL_PARAMETERS = {"stream": True}


class Draft(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    model_id = models.CharField(max_length=200)
    system_prompt = models.TextField(blank=True, default="")
    parameters = models.JSONField(default=dict)
    # Each message: {"role", "content"} plus, for answers, "status"
    # (done/stopped/error), "error" and "figures".
    messages = models.JSONField(default=list)
    pending = models.TextField(blank=True, default="")  # the unsent Message box
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Draft {self.pk} ({self.model_id}, {len(self.messages)} messages)"

    @classmethod
    def start(cls, model_id: str | None = None) -> "Draft":
        model = get_catalog().get(model_id or "") or get_catalog().default_model()
        return cls.objects.create(model_id=model.id, parameters=dict(INITIAL_PARAMETERS))

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

    def request_messages(self) -> list[dict[str, str]]:
        """The conversation as the model sees it: failed answers with no text are left out."""
        return [
            {"role": m["role"], "content": m["content"]}
            for m in self.messages
            if not (m.get("status") == "error" and not m["content"])
        ]

    def request_body(self, pending: str | None = None) -> dict[str, Any]:
        """What Run sends now: the conversation, plus the Message box as the last user turn."""
        messages = self.request_messages()
        text = self.pending if pending is None else pending
        if text:
            messages.append({"role": "user", "content": text})
        return build_body(self.model, self.provider, messages, self.parameters, self.system_prompt)

    PANEL_FIELDS = ("model_id", "system_prompt", "parameters", "pending", "updated_at")

    def save_panel(self) -> None:
        """Save the panel only: a run finishing meanwhile keeps its answer."""
        self.save(update_fields=self.PANEL_FIELDS)

    @classmethod
    def locked(cls, pk: Any) -> "Draft | None":
        """The draft, locked for a read-modify-write of its messages (inside atomic())."""
        return cls.objects.select_for_update().filter(pk=pk).first()

    def load_body(self, body: dict[str, Any]) -> None:
        """Take model, prompt, conversation and parameters from a request body.

        The inverse of ``request_body``: a leading system message becomes the
        system prompt and a trailing user message the Message box. Raises
        RequestError (nothing changed) when the body does not fit a model.
        """
        model = get_catalog().get(str(body.get("model", "")))
        if model is None:
            raise RequestError(
                {
                    "model": f"Unknown model {body.get('model')!r}: add it to the "
                    "catalog (WORKBENCH_CONFIG) first."
                }
            )
        messages = body.get("messages")
        if not isinstance(messages, list) or not all(
            isinstance(m, dict) and isinstance(m.get("content"), str) for m in messages
        ):
            raise RequestError({"messages": "must be a list of {role, content} with text content"})
        messages = [{"role": m.get("role"), "content": m["content"]} for m in messages]
        system = messages.pop(0)["content"] if messages and messages[0]["role"] == "system" else ""
        pending = messages.pop()["content"] if messages and messages[-1]["role"] == "user" else ""
        params = {k: v for k, v in body.items() if k not in ("model", "messages", "stream_options")}
        provider = get_catalog().provider_of(model)
        convo = messages + ([{"role": "user", "content": pending}] if pending else [])
        build_body(model, provider, convo, params, system)  # refuses what does not fit
        self.model_id, self.system_prompt, self.pending = model.id, system, pending
        self.messages, self.parameters = messages, params

    def add_message(self, role: str, content: str, **extra: Any) -> int:
        self.messages.append({"role": role, "content": content, **extra})
        return len(self.messages) - 1
