"""Save and Save as new: what is kept, titles, updates in place, refusals."""

import pytest
from django.test import Client

from tests.drafts import put_messages, stored
from tests.library_helpers import owner_of, saved_session
from workbench.chat.conversation import Status, message
from workbench.chat.models import Draft, RefusedChange, Run
from workbench.library.models import Session, default_title

pytestmark = pytest.mark.django_db


def save(client: Client, **extra) -> object:
    draft = stored(client) if Draft.objects.exists() else None
    model = draft.column().model_id if draft else "fake-chat"
    return client.post("/library/save", {"model": model, **extra}, headers={"HX-Request": "true"})


def test_save_keeps_the_whole_session_and_titles_it_by_the_first_user_message():
    client = Client()
    put_messages(
        client,
        message("user", "  Write a haiku\n about   the sea, please, with a lot of words after it"),
        message(
            "assistant", "Waves", Status.DONE, figures={"total_ms": 12, "completion_tokens": 3}
        ),
    )
    response = save(
        client, system_prompt="Be terse", message="next one", **{"param-temperature": "0.4"}
    )
    assert response.status_code == 200
    session = Session.objects.get()
    column = session.column()
    assert session.title == "Write a haiku about the sea, please, with a lot of words after it"
    assert column.system_prompt == "Be terse"
    assert column.parameters["temperature"] == 0.4
    assert [m["content"] for m in column.messages][1] == "Waves"
    assert column.messages[1]["figures"] == {"total_ms": 12, "completion_tokens": 3}
    assert session.pending == "next one"  # what the page showed, though no autosave ran
    assert stored(client).session_id == session.pk
    body = response.content.decode()
    assert "Saved as “Write a haiku" in body and 'id="session-bar"' in body


def test_saving_again_updates_the_same_session_and_save_as_new_copies():
    client = Client()
    first = saved_session(client)
    put_messages(client, message("user", "changed"))
    save(client)
    assert Session.objects.get().pk == first.pk
    assert Session.objects.get().column().messages[0]["content"] == "changed"
    save(client, as_new="1")
    assert Session.objects.count() == 2
    copy = Session.objects.exclude(pk=first.pk).get()
    assert copy.title == "Tell me a joke (copy)"
    assert stored(client).session_id == copy.pk
    assert Session.objects.get(pk=first.pk).column().messages[0]["content"] == "changed"


def test_long_titles_are_shortened_and_an_empty_session_is_untitled():
    assert default_title([{"messages": [{"role": "user", "content": "x" * 500}]}]).endswith("…")
    assert len(default_title([{"messages": [{"role": "user", "content": "x" * 500}]}])) == 80
    assert default_title([{"messages": []}]) == "Untitled session"
    assert default_title([{"messages": []}], "box text") == "box text"


def test_save_is_refused_while_an_answer_streams():
    client = Client()
    put_messages(
        client, message("user", "hi"), message("assistant", "", Status.STREAMING, run="r1")
    )
    draft = stored(client)
    Run.objects.create(id="r1", draft=draft, body={}, lease_until="2999-01-01T00:00Z")
    with pytest.raises(RefusedChange):
        Session.save_draft(owner_of(client))
    response = save(client)
    assert response.status_code == 400 and "still streaming" in response.content.decode()
    assert not Session.objects.exists()


def test_runs_made_before_the_first_save_join_the_session():
    client = Client()
    put_messages(client, message("user", "hi"))
    Run.objects.create(id="r1", draft=stored(client), body={"model": "fake-chat"}, status="done")
    session = Session.save_draft(owner_of(client))
    assert list(session.runs.values_list("id", flat=True)) == ["r1"]


def test_the_session_bar_says_whether_there_are_unsaved_changes():
    client = Client()
    put_messages(client, message("user", "hi"))
    assert "not saved" in client.get("/").content.decode()
    saved_session(client)
    page = client.get("/").content.decode()
    assert 'data-unsaved="false"' in page and "Tell me a joke" in page
    put_messages(client, message("user", "edited"))
    assert "unsaved changes" in client.get("/").content.decode()


def test_save_by_get_is_not_allowed():
    assert Client().get("/library/save").status_code == 405
