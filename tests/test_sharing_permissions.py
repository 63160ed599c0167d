"""Nobody but a link's owner can update, revoke, change or list it, tried straight
against the URLs: logged out, as another browser, as another user, and as the
owner without a CSRF token. Each is refused and leaves every row as it was."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from tests.drafts import put_messages
from tests.sharing_helpers import HX, conversation, rows, share
from workbench.chat import current
from workbench.library.models import Session
from workbench.sharing.models import Link

pytestmark = pytest.mark.django_db

NEXT_WEEK = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
ACTIONS = {  # (method, path after /links/<id>, data)
    "update": ("post", "update", {}),
    "options": ("post", "options", {"audience": "users", "expires_on": NEXT_WEEK}),
    "revoke": ("post", "revoke", {}),
    "revoke, the confirmation": ("get", "revoke", {}),
}


def make_user(name: str):
    return get_user_model().objects.create_user(name)  # no password: force_login needs none


def logged_in(name: str) -> Client:
    client = Client()
    client.force_login(make_user(name))
    return client


def with_work(client: Client) -> Client:
    """A browser that has a conversation of its own on screen (so an Update
    posted from it would have something to publish)."""
    put_messages(client, *conversation("Someone else's words"))
    return client


OTHERS = {
    "logged out": lambda: Client(),
    "another browser": lambda: with_work(Client()),
    "another user": lambda: with_work(logged_in("mallory")),
}


@pytest.fixture(params=["anonymous owner", "owner with an account"])
def owner(request) -> Client:
    return Client() if request.param == "anonymous owner" else logged_in("alice")


@pytest.mark.parametrize("who", OTHERS)
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "form"])
def test_nobody_else_can_act_on_a_link(owner, who, action, htmx):
    link = share(owner)
    before = rows(Session.objects.get(pk=link.session_id))
    method, path, data = ACTIONS[action]
    other = OTHERS[who]()
    r = getattr(other, method)(f"/links/{link.pk}/{path}", data, **(HX if htmx else {}))
    assert r.status_code == 404
    assert rows(Session.objects.get(pk=link.session_id)) == before


@pytest.mark.parametrize("action", [a for a in ACTIONS if ACTIONS[a][0] == "post"])
def test_the_owner_without_a_csrf_token_is_refused(owner, action):
    link = share(owner)
    before = rows(Session.objects.get(pk=link.session_id))
    method, path, data = ACTIONS[action]
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = owner.cookies  # the owner's browser (and login), without the token
    r = strict.post(f"/links/{link.pk}/{path}", data, **HX)
    assert r.status_code == 403
    assert rows(Session.objects.get(pk=link.session_id)) == before


@pytest.mark.parametrize("action", [a for a in ACTIONS if ACTIONS[a][0] == "post"])
def test_the_owner_with_the_csrf_token_may(owner, action):
    link = share(owner)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = owner.cookies
    page = strict.get("/").content.decode()  # the workbench: htmx sends its token as a header
    token = page.split('"X-CSRFToken": "')[1].split('"')[0]
    method, path, data = ACTIONS[action]
    r = strict.post(f"/links/{link.pk}/{path}", data, HTTP_X_CSRFTOKEN=token, **HX)
    assert r.status_code == 200


@pytest.mark.parametrize("who", OTHERS)
def test_nobody_else_sees_the_link_in_my_links(owner, who):
    link = share(owner)
    html = OTHERS[who]().get("/links").content.decode()
    assert link.pk not in html and "0 links" in html
    assert link.pk in owner.get("/links").content.decode()


@pytest.mark.parametrize("who", OTHERS)
def test_share_from_another_browser_never_touches_the_owners_link(owner, who):
    link = share(owner)
    before = rows(Session.objects.get(pk=link.session_id))
    other = OTHERS[who]()
    other.post("/links/share", **HX)
    assert rows(Session.objects.get(pk=link.session_id)) == before
    assert Link.objects.live().filter(session=link.session_id).get() == link


def test_the_same_account_in_another_browser_is_the_owner():
    alice = make_user("alice")
    first, second = Client(), Client()
    first.force_login(alice)
    second.force_login(alice)
    link = share(first)
    assert link.pk in second.get("/links").content.decode()
    r = second.post(f"/links/{link.pk}/options", {"audience": "users", "expires_on": ""})
    assert r.status_code == 302


def test_a_browser_that_logged_out_is_no_longer_the_owner():
    client = logged_in("alice")
    link = share(client)
    client.logout()
    client.cookies.pop(current.COOKIE, None)
    assert client.post(f"/links/{link.pk}/revoke").status_code == 404
    assert Link.objects.live().get() == link


def test_the_session_bar_shows_no_link_to_someone_else():
    owner = Client()
    link = share(owner)
    other = Client()
    other.get("/")
    assert link.pk not in other.get("/").content.decode()
