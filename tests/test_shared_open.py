"""Open in Workbench: a revision becomes the viewer's own new session; the shared
session, its link and revisions are only read."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.drafts import put_messages, stored
from tests.sharing_helpers import HX, conversation, rows, share, update
from workbench.library.models import Session
from workbench.sharing.models import Audience, Link

pytestmark = pytest.mark.django_db


def test_forks_the_latest_revision_into_the_viewers_workbench(client):
    link = share(client)
    viewer = Client()
    viewer.get(f"/s/{link.pk}")
    r = viewer.post(f"/s/{link.pk}/open")
    assert r.status_code == 302 and r["Location"] == "/workbench"
    fork = Session.objects.exclude(pk=link.session_id).get()
    draft = stored(viewer)
    assert draft.session_id == fork.pk and draft.columns == link.latest().columns
    assert fork.title == "What is the sea?" and fork.columns == link.latest().columns
    assert fork.browser == draft.browser and fork.user is None  # the viewer's own
    page = viewer.get("/workbench").content.decode()
    assert "is now your own session" in page and "Salt water." in page


def test_forks_the_revision_asked_for(client):
    link = share(client)
    update(client, link, "Second question")
    viewer = Client()
    viewer.post(f"/s/{link.pk}/open", {"revision": "1"})
    messages = stored(viewer).columns[0]["messages"]
    assert messages[0]["content"] == "What is the sea?"
    assert viewer.post(f"/s/{link.pk}/open", {"revision": "7"}).status_code == 404


def test_the_original_stays_byte_identical_through_a_fork_and_the_forks_changes(client):
    link = share(client)
    update(client, link, "Second question")
    client.get(f"/s/{link.pk}")  # the owner's own view: not counted, nothing written
    original = Session.objects.get(pk=link.session_id)
    before = rows(original)
    viewer = Client()
    viewer.post(f"/s/{link.pk}/open", {"revision": "1"})
    viewer.post("/workbench/draft", {"model": "fake-chat", "system_prompt": "Changed."})
    put_messages(viewer, *conversation("The viewer's own turn"))
    viewer.post("/library/save", **HX)
    viewer.post("/links/share", **HX)  # and shares the fork: a link of its own
    assert rows(Session.objects.get(pk=original.pk)) == before
    assert Link.objects.count() == 2


def test_a_logged_in_viewer_gets_a_session_in_their_account(client):
    link = share(client)
    user = get_user_model().objects.create_user("viewer")
    viewer = Client()
    viewer.force_login(user)
    viewer.post(f"/s/{link.pk}/open")
    assert Session.objects.get(user=user).columns == link.latest().columns


def test_the_viewers_unsaved_work_is_kept_first(client):
    link = share(client)
    viewer = Client()
    put_messages(viewer, *conversation("Unsaved work of mine"))
    viewer.post(f"/s/{link.pk}/open")
    kept = Session.objects.get(saved=False)
    assert kept.columns[0]["messages"][0]["content"] == "Unsaved work of mine"


def test_login_only_link_is_refused_to_anonymous_visitors(client):
    link = share(client)
    Link.objects.filter(pk=link.pk).update(audience=Audience.USERS)
    r = Client().post(f"/s/{link.pk}/open")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")
    assert Session.objects.count() == 1


def test_open_is_post_only_and_needs_a_csrf_token(client):
    link = share(client)
    viewer = Client(enforce_csrf_checks=True)
    assert viewer.get(f"/s/{link.pk}/open").status_code == 405
    assert viewer.post(f"/s/{link.pk}/open").status_code == 403
    html = viewer.get(f"/s/{link.pk}").content.decode()
    token = html.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    r = viewer.post(f"/s/{link.pk}/open", {"csrfmiddlewaretoken": token})
    assert r.status_code == 302 and Session.objects.count() == 2
