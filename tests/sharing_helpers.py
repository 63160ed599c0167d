"""Sharing from a test client's browser, and reading the rows a share leaves."""

import json

from django.core import serializers
from django.test import Client

from tests.drafts import put_messages
from workbench.chat.conversation import Status, message
from workbench.library.models import Session
from workbench.sharing.models import Link

HX = {"HTTP_HX_REQUEST": "true"}  # as htmx posts from the workbench's session bar


def conversation(text: str = "What is the sea?", answer: str = "Salt water.") -> list:
    figures = {"ttft_ms": 12, "total_ms": 340, "prompt_tokens": 9, "completion_tokens": 3}
    return [
        message("user", text),
        message("assistant", answer, Status.DONE, figures=figures),
    ]


def share(client: Client, *messages, model: str = "fake-chat") -> Link:
    """Give the client's browser a conversation, press Share, return the link."""
    put_messages(client, *(messages or conversation()), model=model)
    r = client.post("/links/share", **HX)
    assert r.status_code == 200, r.content
    return Link.objects.order_by("-created_at").first()


def update(client: Client, link: Link, text: str) -> None:
    """Change the conversation on screen, then Update link."""
    put_messages(client, *conversation(text, f"An answer to {text}"))
    r = client.post(f"/links/{link.pk}/update", **HX)
    assert r.status_code == 200, r.content


def rows(session: Session) -> str:
    """The session, its runs, links and revisions as serialized rows, to compare."""
    objects = [session, *session.runs.all()]
    for link in session.links.order_by("pk"):
        objects += [link, *link.revisions.order_by("number")]
    return json.dumps(json.loads(serializers.serialize("json", objects)), sort_keys=True)
