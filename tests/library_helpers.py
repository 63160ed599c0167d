"""Saved sessions in tests: a browser with a conversation, saved or not."""

from django.test import Client

from tests.drafts import put_messages
from workbench.chat import current
from workbench.chat.conversation import Status, message
from workbench.library.models import Session
from workbench.library.owner import Owner


def browser_of(client: Client) -> str:
    if current.COOKIE not in client.cookies:
        client.get("/")
    return client.cookies[current.COOKIE].value


def owner_of(client: Client, user_id: int | None = None) -> Owner:
    return Owner(browser_of(client), user_id)


def saved_session(client: Client, text: str = "Tell me a joke", user_id: int | None = None):
    """The client's browser with a two-turn conversation, saved."""
    put_messages(
        client,
        message("user", text),
        message("assistant", "Why did the chicken…", Status.DONE, figures={"ttft_ms": 5}),
    )
    return Session.save_draft(owner_of(client, user_id))
