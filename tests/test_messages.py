"""Editing the conversation: edit, change role, delete, add, clear."""

import pytest

from workbench.chat.models import Draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(client) -> Draft:
    client.get("/")
    draft = Draft.objects.get()
    draft.add_message("user", "one")
    draft.add_message("assistant", "two", status="done")
    draft.save()
    return draft


def test_edit_form_then_save_with_new_role(client, draft):
    form = client.get("/workbench/messages/1", {"edit": "1"}).content.decode()
    assert '<textarea name="content" rows="4">two</textarea>' in form
    r = client.post("/workbench/messages/1", {"role": "user", "content": "changed"})
    assert 'data-role="user"' in r.content.decode()
    draft.refresh_from_db()
    assert draft.messages[1]["content"] == "changed" and draft.messages[1]["role"] == "user"


def test_bad_role_is_refused_and_nothing_changes(client, draft):
    r = client.post("/workbench/messages/0", {"role": "wizard", "content": "x"})
    assert r.status_code == 400
    draft.refresh_from_db()
    assert draft.messages[0] == {"role": "user", "content": "one"}


def test_delete_and_missing_index(client, draft):
    r = client.post("/workbench/messages/0/delete")
    assert "<p>one</p>" not in r.content.decode() and "<p>two</p>" in r.content.decode()
    draft.refresh_from_db()
    assert [m["content"] for m in draft.messages] == ["two"]
    assert client.post("/workbench/messages/5/delete").status_code == 400


def test_add_and_clear(client, draft):
    r = client.post("/workbench/messages/add", {"message": "three"})
    assert 'id="message" name="message" rows="3" hx-swap-oob="true"' in r.content.decode()
    draft.refresh_from_db()
    assert draft.messages[-1] == {"role": "user", "content": "three"} and draft.pending == ""
    assert client.post("/workbench/messages/add", {"message": ""}).status_code == 400
    client.post("/workbench/clear")
    draft.refresh_from_db()
    assert draft.messages == []
