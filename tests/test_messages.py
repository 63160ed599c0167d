"""Editing the conversation: edit, change role, delete, add, clear."""

import json
import re

import pytest
from django.core import signing

from tests.drafts import put_messages, stored
from workbench.chat import undo
from workbench.chat.conversation import Status, message

pytestmark = pytest.mark.django_db


@pytest.fixture
def ids(client) -> list[str]:
    draft = put_messages(client, message("user", "one"), message("assistant", "two"))
    return [m["id"] for m in draft.column().messages]


def contents(client) -> list[str]:
    return [m["content"] for m in stored(client).column().messages]


def test_edit_form_then_save_with_new_role(client, ids):
    form = client.get(f"/workbench/messages/{ids[1]}", {"edit": "1"}).content.decode()
    assert "two</textarea>" in form and '<option value="assistant" selected>' in form
    r = client.post(f"/workbench/messages/{ids[1]}", {"role": "user", "content": "changed"})
    assert 'data-role="user"' in r.content.decode()
    edited = stored(client).column().messages[1]
    assert edited["content"] == "changed" and edited["role"] == "user" and edited["id"] == ids[1]


def test_bad_role_is_refused_and_nothing_changes(client, ids):
    r = client.post(f"/workbench/messages/{ids[0]}", {"role": "wizard", "content": "x"})
    assert r.status_code == 422 and "Select a valid choice" in r.content.decode()  # shown
    assert contents(client) == ["one", "two"]


def test_delete_and_missing_message(client, ids):
    r = client.post(f"/workbench/messages/{ids[0]}/delete")
    assert "<p>one</p>" not in r.content.decode() and "<p>two</p>" in r.content.decode()
    assert contents(client) == ["two"]
    assert client.post(f"/workbench/messages/{ids[0]}/delete").status_code == 400
    assert client.post("/workbench/messages/nope/delete").status_code == 400


def undo_token(response) -> str:
    """The signed message the notice's Undo button posts back."""
    found = re.search(
        r'id="undo" [^>]*hx-vals=\'\{"deleted": "([^"]+)"\}\'', response.content.decode()
    )
    assert found, "no Undo in the notice"
    return found.group(1)


def test_undo_puts_a_deleted_message_back_where_it_was(client, ids):
    r = client.post(f"/workbench/messages/{ids[0]}/delete")
    notice = re.search(r'<p id="notice"[^>]*>(.*?)</p>', r.content.decode(), re.S).group(1)
    assert notice.startswith("Deleted user message 1. <button")
    token = undo_token(r)
    client.post("/workbench/messages/add", {"message": "three"})
    r = client.post("/workbench/messages/restore", {"deleted": token})
    assert r.status_code == 200 and ">Message restored.</p>" in r.content.decode()
    restored = stored(client).column().messages
    assert [m["content"] for m in restored] == ["one", "two", "three"]
    assert restored[0]["id"] == ids[0]  # the same message, not a copy
    again = client.post("/workbench/messages/restore", {"deleted": token})
    assert again.status_code == 400 and "back already" in again.content.decode()


def test_undo_follows_the_message_before_it_or_keeps_its_place(client, ids):
    """Deleted after "one", restored after "one" wherever that is; if "one" is gone
    too, at its old place."""
    client.post("/workbench/messages/add", {"message": "three"})
    token = undo_token(client.post(f"/workbench/messages/{ids[1]}/delete"))
    put_messages(client, message("user", "zero"), *stored(client).column().messages)
    client.post("/workbench/messages/restore", {"deleted": token})
    assert contents(client) == ["zero", "one", "two", "three"]
    token = undo_token(client.post(f"/workbench/messages/{ids[1]}/delete"))
    client.post(f"/workbench/messages/{ids[0]}/delete")
    client.post("/workbench/messages/restore", {"deleted": token})
    assert contents(client) == ["zero", "two", "three"]


def test_undo_is_refused_when_forged_or_from_another_browser(client, ids):
    from django.test import Client

    token = undo_token(client.post(f"/workbench/messages/{ids[0]}/delete"))
    forged = token.replace(token[5], "A" if token[5] != "A" else "B", 1)
    r = client.post("/workbench/messages/restore", {"deleted": forged})
    assert r.status_code == 400 and "not valid" in r.content.decode()
    other = Client()
    put_messages(other, message("user", "theirs"))
    r = other.post("/workbench/messages/restore", {"deleted": token})
    assert r.status_code == 400 and [m["content"] for m in stored(other).column().messages] == [
        "theirs"
    ]
    assert contents(client) == ["two"]
    browser = client.cookies["workbench_browser"].value
    assert browser not in json.dumps(signing.loads(token, salt=undo.SALT + browser))  # http-only
    browser = client.cookies["workbench_browser"].value
    assert browser not in json.dumps(signing.loads(token, salt=undo.SALT + browser))  # http-only


def test_a_streaming_answer_cannot_be_edited_or_deleted(client):
    draft = put_messages(client, message("assistant", "", Status.STREAMING, run="r1"))
    streaming = draft.column().messages[0]["id"]
    assert client.post(f"/workbench/messages/{streaming}/delete").status_code == 400
    r = client.post(f"/workbench/messages/{streaming}", {"role": "user", "content": "x"})
    assert r.status_code == 400


def test_add_and_clear(client, ids):
    revision = stored(client).revision
    r = client.post("/workbench/messages/add", {"message": "three", "revision": revision})
    assert 'id="message" name="message" rows="3" hx-swap-oob="true"' in r.content.decode()
    assert f'id="revision" value="{revision + 1}" hx-swap-oob="true"' in r.content.decode()
    assert contents(client) == ["one", "two", "three"] and stored(client).pending == ""
    r = client.post("/workbench/messages/add", {"message": ""})
    assert r.status_code == 400 and r.content.decode() == "Write the message to add first."
    client.post("/workbench/clear")
    assert contents(client) == []


def test_add_from_a_page_older_than_the_last_run_is_refused(client, ids):
    draft = stored(client)
    draft.revision = 3
    draft.save()
    r = client.post("/workbench/messages/add", {"message": "stale", "revision": 2})
    assert r.status_code == 400 and "out of date" in r.content.decode()
    assert contents(client) == ["one", "two"]


def test_message_too_long_to_add_says_so(client, ids):
    r = client.post("/workbench/messages/add", {"message": "x" * 200_001})
    assert r.status_code == 400 and "200001 characters, the limit is 200000" in r.content.decode()
