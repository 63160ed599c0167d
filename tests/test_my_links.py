"""My links: every link of mine, with audience, expiry, revisions, views; revoke."""

import datetime as dt

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from tests.sharing_helpers import HX, share, update
from workbench.sharing.models import Link

pytestmark = pytest.mark.django_db


def test_empty(client):
    html = client.get("/links").content.decode()
    assert "0 links" in html and "No links yet" in html


def test_lists_each_link_with_its_figures(client):
    link = share(client)
    update(client, link, "second")
    Client().get(f"/s/{link.pk}")  # someone else's view
    html = client.get("/links").content.decode()
    assert "1 link" in html and "What is the sea?</a></h2>" in html  # the session's title
    assert f'href="http://testserver/s/{link.pk}"' in html
    assert "<dt>Audience</dt><dd>Anyone with the link</dd>" in html
    assert "<dt>Expiry</dt><dd>never</dd>" in html
    assert "<dt>Revisions</dt><dd>2</dd>" in html
    assert "<dt>Views</dt><dd>1</dd>" in html
    assert f'href="/links/{link.pk}/revoke"' in html
    assert f'action="/links/{link.pk}/options"' in html


def test_dead_links_stay_listed_without_actions(client):
    revoked = share(client)
    client.post(f"/links/{revoked.pk}/revoke", **HX)
    expired = share(client)
    Link.objects.filter(pk=expired.pk).update(
        expires_on=timezone.localdate() - dt.timedelta(days=1)
    )
    html = client.get("/links").content.decode()
    assert "2 links" in html
    assert '<span class="badge">revoked</span>' in html
    assert '<span class="badge">expired</span>' in html
    assert "/revoke" not in html and "/options" not in html


@override_settings(WORKBENCH_PUBLIC_LINKS=False)
def test_with_public_links_off_a_link_for_anyone_says_it_is_login_only(client):
    link = share(client)
    Link.objects.filter(pk=link.pk).update(audience="anyone")  # made while they were on
    html = client.get("/links").content.decode()
    assert "Links for anyone are turned off on this server" in html
    assert "Logged-in users of this install, while links for anyone are turned off" in html


def test_a_page_of_links_is_a_constant_number_of_queries(client, django_assert_max_num_queries):
    for _ in range(3):
        link = share(client)
        client.post(f"/links/{link.pk}/revoke", **HX)
    with django_assert_max_num_queries(8):
        assert client.get("/links").status_code == 200
