"""Revoke: the link answers 404 to everyone from then on, and stays dead."""

import pytest

from tests.sharing_helpers import HX, share, update
from workbench.sharing.models import Link

pytestmark = pytest.mark.django_db


def test_get_asks_to_confirm_and_changes_nothing(client):
    link = share(client)
    r = client.get(f"/links/{link.pk}/revoke")
    assert r.status_code == 200 and "Revoke the link to “What is the sea?”?" in r.content.decode()
    assert Link.objects.live().get() == link


def test_revoke_from_my_links(client):
    link = share(client)
    r = client.post(f"/links/{link.pk}/revoke")
    assert r.status_code == 302 and r["Location"] == "/links"
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert "Revoked the link" in client.get("/links").content.decode()


def test_revoke_from_the_session_bar_brings_share_back(client):
    link = share(client)
    r = client.post(f"/links/{link.pk}/revoke", **HX)
    html = r.content.decode()
    assert r.status_code == 200 and "Revoked: the link no longer opens" in html
    assert ">Share</button>" in html and 'id="share-link" value=' not in html


def test_every_revision_url_is_404_after_revoke_even_for_the_owner(client):
    link = share(client)
    update(client, link, "second")
    client.post(f"/links/{link.pk}/revoke", **HX)
    for url in (f"/s/{link.pk}", f"/s/{link.pk}/1", f"/s/{link.pk}/2"):
        assert client.get(url).status_code == 404
    assert client.post(f"/s/{link.pk}/open").status_code == 404
    assert Link.objects.filter(pk=link.pk).exists()  # kept, so the id stays dead


def test_revoking_twice_is_404(client):
    link = share(client)
    client.post(f"/links/{link.pk}/revoke")
    assert client.post(f"/links/{link.pk}/revoke").status_code == 404
    assert client.get(f"/links/{link.pk}/revoke").status_code == 404


def test_deleting_the_session_says_its_live_link_stops_working_and_it_does(client):
    link = share(client)
    confirm = client.get(f"/library/{link.session_id}/delete").content.decode()
    assert "and its share links stop working" in confirm
    client.post(f"/links/{link.pk}/revoke")
    confirm = client.get(f"/library/{link.session_id}/delete").content.decode()
    assert "share links" not in confirm  # a revoked link has stopped already
    live = share(client)
    client.post(f"/library/{live.session_id}/delete")
    assert client.get(f"/s/{live.pk}").status_code == 404


def test_the_404_of_a_dead_link_is_a_page_of_the_site_saying_why(client):
    link = share(client)
    client.post(f"/links/{link.pk}/revoke")
    html = client.get(f"/s/{link.pk}").content.decode()
    assert "<h1>Not found</h1>" in html and "revoked or has expired" in html
    assert 'aria-label="Main"' in html  # the site's navigation, to go on from
