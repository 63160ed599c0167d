"""A run of a session as code, and restored into the workbench."""

import pytest
from django.test import Client

from tests.drafts import stored
from tests.library_helpers import saved_session
from workbench.chat.models import Run
from workbench.library.models import Session

pytestmark = pytest.mark.django_db

BODY = {
    "model": "fake-chat",
    "messages": [
        {"role": "system", "content": "Be brief"},
        {"role": "user", "content": "Name a colour"},
        {"role": "assistant", "content": "Red"},
        {"role": "user", "content": "Another"},
    ],
    "temperature": 0.3,
    "stream": True,
}


def session_with_run(client: Client) -> Run:
    session = saved_session(client)
    return Run.objects.create(id="abc123", session=session, body=BODY, status="done", text="Blue")


def test_a_run_shows_as_code_with_its_exact_body():
    client = Client()
    run = session_with_run(client)
    page = client.get(f"/library/runs/{run.pk}").content.decode()
    assert "&quot;Name a colour&quot;" in page or "Name a colour" in page
    assert 'aria-label="Snippets"' in page and ">cURL<" in page and ">Copy<" in page
    assert "0.3" in page


def test_restore_loads_the_body_through_the_import_loader_and_keeps_the_work():
    client = Client()
    run = session_with_run(client)
    response = client.post(f"/library/runs/{run.pk}/restore")
    assert response.status_code == 302
    draft = stored(client)
    column = draft.column()
    assert draft.session is None
    assert column.system_prompt == "Be brief" and column.parameters["temperature"] == 0.3
    assert [m["content"] for m in column.messages] == ["Name a colour", "Red"]
    assert draft.pending == "Another"
    again = column.request_body(draft.pending)  # Run would send the same conversation
    assert again["messages"] == BODY["messages"] and again["temperature"] == 0.3
    assert Session.objects.count() == 1  # the saved session was unchanged: nothing to keep


def test_a_body_that_no_longer_fits_is_refused_with_a_message():
    client = Client()
    run = session_with_run(client)
    Run.objects.filter(pk=run.pk).update(body={"model": "fake-chat", "messages": "nope"})
    response = client.post(f"/library/runs/{run.pk}/restore", follow=True)
    assert "Could not restore that run" in response.content.decode()
    assert stored(client).session_id == run.session_id  # nothing changed


def test_nobody_else_sees_or_restores_my_runs():
    run = session_with_run(Client())
    other = Client()
    assert other.get(f"/library/runs/{run.pk}").status_code == 404
    assert other.post(f"/library/runs/{run.pk}/restore").status_code == 404
    assert other.get("/library/runs/..%2F..%2Fetc").status_code == 404
