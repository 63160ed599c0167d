"""Opening a session, New, and what happens to the work on screen."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.drafts import put_messages, stored
from tests.library_helpers import saved_session
from workbench.chat.conversation import message
from workbench.library.models import Session

pytestmark = pytest.mark.django_db


def test_opening_a_session_shows_it_and_keeps_unsaved_work_in_the_library():
    client = Client()
    session = saved_session(client, "First session")
    put_messages(client, message("user", "Work in progress"))  # edits, not saved
    client.post("/library/new")
    assert stored(client).session is None and stored(client).column().messages == []
    kept = Session.objects.get(saved=False)
    assert kept.title == "First session"  # the unsaved edits of it, kept apart
    assert kept.column().messages[0]["content"] == "Work in progress"
    assert Session.objects.get(pk=session.pk).column().messages[0]["content"] == "First session"

    put_messages(client, message("user", "Something new"))
    response = client.post(f"/library/{session.pk}/open")
    assert response.status_code == 302 and response["Location"] == "/workbench"
    page = client.get("/workbench").content.decode()
    assert "Opened “First session”." in page and "kept in the Library" in page
    assert stored(client).session_id == session.pk
    assert Session.objects.filter(saved=False).count() == 2  # "Something new" kept too


def test_opening_a_saved_session_unchanged_keeps_nothing_extra():
    client = Client()
    session = saved_session(client)
    client.post("/library/new")
    client.post(f"/library/{session.pk}/open")
    assert Session.objects.count() == 1


def test_reopening_an_unsaved_draft_and_leaving_it_again_updates_it_in_place():
    client = Client()
    put_messages(client, message("user", "draft one"))
    client.post("/library/new")
    kept = Session.objects.get(saved=False)
    client.post(f"/library/{kept.pk}/open")
    put_messages(client, message("user", "draft one, longer"))
    client.post("/library/new")
    assert Session.objects.get().column().messages[0]["content"] == "draft one, longer"


def test_new_with_htmx_redirects_the_page():
    client = Client()
    response = client.post("/library/new", headers={"HX-Request": "true"})
    assert response.status_code == 200 and response["HX-Redirect"] == "/workbench"


def test_someone_else_cannot_open_my_session():
    mine, theirs = Client(), Client()
    session = saved_session(mine)
    put_messages(theirs, message("user", "their own work"))
    assert theirs.post(f"/library/{session.pk}/open").status_code == 404
    assert stored(theirs).column().messages[0]["content"] == "their own work"
    user = get_user_model().objects.create_user("someone", password="pw-123456789")
    theirs.force_login(user)
    assert theirs.post(f"/library/{session.pk}/open").status_code == 404


def test_open_needs_a_csrf_token():
    client = Client(enforce_csrf_checks=True)
    session = saved_session(client)
    client.post("/library/new")  # refused: no token
    assert client.post(f"/library/{session.pk}/open").status_code == 403
    assert stored(client).session_id == session.pk  # nothing changed


def test_logging_in_moves_the_browser_s_sessions_and_draft_to_the_account():
    client = Client()
    session = saved_session(client)
    user = get_user_model().objects.create_user("ada", password="pw-123456789")
    response = client.post("/accounts/login/", {"username": "ada", "password": "pw-123456789"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.user_id == user.pk and session.browser == ""
    assert stored(client).user_id == user.pk


def test_signing_up_moves_them_too():
    client = Client()
    session = saved_session(client)
    form = {
        "username": "grace",
        "password1": "a-long-pass-phrase-9",
        "password2": "a-long-pass-phrase-9",
    }
    assert client.post("/accounts/signup/", form).status_code == 302
    session.refresh_from_db()
    assert session.user.username == "grace"


def test_logging_out_starts_a_new_browser_that_sees_nothing_of_the_account():
    client = Client()
    user = get_user_model().objects.create_user("ada", password="pw-123456789")
    client.post("/accounts/login/", {"username": "ada", "password": "pw-123456789"})
    saved_session(client, "Private notes", user_id=user.pk)
    before = client.cookies["workbench_browser"].value
    client.post("/accounts/logout/")
    after = client.cookies["workbench_browser"].value
    assert after != before
    page = client.get("/").content.decode()
    assert "Private notes" not in page and "New session" in page
    assert "Private notes" not in client.get("/library").content.decode()
