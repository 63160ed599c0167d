"""A session's page: its conversation, rename, its runs; and deleting it."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.library_helpers import saved_session
from workbench.chat.models import Run
from workbench.library.models import Session

pytestmark = pytest.mark.django_db


def test_shows_the_conversation_safely_and_renames():
    client = Client()
    session = saved_session(client, "<img src=x onerror=alert(1)> hello")
    page = client.get(f"/library/{session.pk}").content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt; hello" in page and "<img" not in page
    assert "<dt>stream</dt><dd><code>true</code></dd>" in page  # as sent, not Python's True
    Session.objects.filter(pk=session.pk).update(pending="<b>typed, not run</b>")
    page = client.get(f"/library/{session.pk}").content.decode()
    assert "Next message, not yet run" in page and "&lt;b&gt;typed, not run&lt;/b&gt;" in page
    response = client.post(f"/library/{session.pk}", {"title": "  A  better   title "})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.title == "A better title" and "a better title" in session.text


@pytest.mark.parametrize("title", ["", "   ", "x" * 201, "bad\x00title"])
def test_a_bad_title_is_refused_and_changes_nothing(title):
    client = Client()
    session = saved_session(client)
    response = client.post(f"/library/{session.pk}", {"title": title})
    assert response.status_code == 422
    assert 'role="alert"' in response.content.decode()
    assert Session.objects.get(pk=session.pk).title == "Tell me a joke"


def test_lists_its_runs_newest_first_with_outcome_and_figures():
    client = Client()
    session = saved_session(client)
    for i, status in enumerate(["done", "stopped", "error"]):
        Run.objects.create(
            id=f"run{i}",
            session=session,
            body={"model": "fake-chat", "messages": []},
            status=status,
            text=f"answer {i}",
            error="boom" if status == "error" else "",
            figures={"total_ms": 10 + i},
        )
    page = client.get(f"/library/{session.pk}").content.decode()
    assert page.index('id="run-run2"') < page.index('id="run-run1"') < page.index('id="run-run0"')
    assert "Stopped" in page and "Error: boom" in page and "answer 1" in page


def test_delete_asks_then_deletes_with_the_runs():
    client = Client()
    session = saved_session(client)
    Run.objects.create(id="r", session=session, body={}, status="done")
    assert (
        "Delete “Tell me a joke”?" in client.get(f"/library/{session.pk}/delete").content.decode()
    )
    assert Session.objects.exists()
    assert client.post(f"/library/{session.pk}/delete").status_code == 302
    assert not Session.objects.exists() and not Run.objects.exists()


def test_nobody_else_can_read_rename_or_delete():
    owner = Client()
    session = saved_session(owner)
    stranger = Client()
    user = get_user_model().objects.create_user("eve", password="pw-123456789")
    signed_in = Client()
    signed_in.force_login(user)
    for other in (stranger, signed_in):
        assert other.get(f"/library/{session.pk}").status_code == 404
        assert other.post(f"/library/{session.pk}", {"title": "pwned"}).status_code == 404
        assert other.get(f"/library/{session.pk}/delete").status_code == 404
        assert other.post(f"/library/{session.pk}/delete").status_code == 404
    assert Session.objects.get(pk=session.pk).title == "Tell me a joke"


def test_rename_and_delete_need_a_csrf_token():
    client = Client(enforce_csrf_checks=True)
    session = saved_session(client)
    assert client.post(f"/library/{session.pk}", {"title": "x"}).status_code == 403
    assert client.post(f"/library/{session.pk}/delete").status_code == 403
    assert Session.objects.get(pk=session.pk).title == "Tell me a joke"


def test_a_user_s_session_is_not_the_browser_s_after_log_out():
    user = get_user_model().objects.create_user("ada", password="pw-123456789")
    client = Client()
    client.force_login(user)
    session = saved_session(client, user_id=user.pk)
    client.logout()
    assert client.get(f"/library/{session.pk}").status_code == 404
