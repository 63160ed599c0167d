"""A link's options: who can open it, and until when."""

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.sharing_helpers import HX, share
from workbench.sharing.models import Audience, Link

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    return timezone.localdate()


def test_options_from_the_session_bar(client):
    link = share(client)
    day = today() + dt.timedelta(days=7)
    r = client.post(
        f"/links/{link.pk}/options", {"audience": "users", "expires_on": day.isoformat()}, **HX
    )
    link.refresh_from_db()
    assert r.status_code == 200 and "Link options saved." in r.content.decode()
    assert link.audience == Audience.USERS and link.expires_on == day
    assert "Logged-in users of this install" in r.content.decode()


def test_options_from_my_links_redirect_back_with_a_message(client):
    link = share(client)
    r = client.post(f"/links/{link.pk}/options", {"audience": "anyone", "expires_on": ""})
    assert r.status_code == 302 and r["Location"] == "/links"
    assert "Link options saved" in client.get("/links").content.decode()
    link.refresh_from_db()
    assert link.expires_on is None


def test_today_is_allowed_and_the_link_works_through_it(client):
    link = share(client)
    client.post(f"/links/{link.pk}/options", {"audience": "anyone", "expires_on": today()}, **HX)
    assert client.get(f"/s/{link.pk}").status_code == 200


@pytest.mark.parametrize("hx", [HX, {}], ids=["session bar", "my links"])
def test_a_past_date_is_refused_beside_the_field(client, hx):
    link = share(client)
    yesterday = (today() - dt.timedelta(days=1)).isoformat()
    r = client.post(
        f"/links/{link.pk}/options", {"audience": "users", "expires_on": yesterday}, **hx
    )
    html = r.content.decode()
    assert r.status_code == 422 and "That day is past" in html
    assert 'aria-invalid="true"' in html and 'role="alert"' in html
    assert Link.objects.get() == link and link.expires_on is None
    link.refresh_from_db()
    assert link.audience == Audience.ANYONE  # nothing of a refused form is kept


BAD = [{"audience": "everyone"}, {"audience": ""}, {"expires_on": "soon"}]


@pytest.mark.parametrize("bad", BAD)
def test_nonsense_is_refused(client, bad):
    link = share(client)
    data = {"audience": "anyone", "expires_on": "", **bad}
    assert client.post(f"/links/{link.pk}/options", data, **HX).status_code == 422


@override_settings(WORKBENCH_PUBLIC_LINKS=False)
@pytest.mark.parametrize("hx", [HX, {}], ids=["session bar", "my links"])
def test_with_public_links_off_anyone_cannot_be_chosen(client, hx):
    link = share(client)
    html = client.get("/links" if not hx else "/").content.decode()
    assert '<option value="anyone"' not in html  # not offered...
    r = client.post(f"/links/{link.pk}/options", {"audience": "anyone", "expires_on": ""}, **hx)
    assert r.status_code == 422 and "WORKBENCH_PUBLIC_LINKS=0" in r.content.decode()  # ...nor taken
    link.refresh_from_db()
    assert link.audience == Audience.USERS


def test_the_options_form_is_redrawn_with_the_saved_values(client):
    link = share(client)
    client.post(f"/links/{link.pk}/options", {"audience": "users", "expires_on": ""}, **HX)
    html = client.get("/").content.decode()
    assert '<option value="users" selected>' in html
