"""Share (from the workbench's session bar): save, then a link with revision 1."""

import pytest
from django.test import override_settings

from tests.drafts import put_messages, stored
from tests.sharing_helpers import HX, conversation, share
from workbench.chat.conversation import Status, message
from workbench.chat.models import Run, lease_end
from workbench.library.models import Session
from workbench.sharing.models import Audience, Link

pytestmark = pytest.mark.django_db


def test_share_saves_the_session_and_publishes_revision_1(client):
    link = share(client)
    session = Session.objects.get()
    assert session.saved and stored(client).session_id == session.pk
    assert link.session_id == session.pk
    revision = link.revisions.get()
    assert revision.number == 1
    assert revision.title == session.title == "What is the sea?"
    assert revision.columns == session.columns and revision.pending == session.pending
    assert link.audience == Audience.ANYONE and link.expires_on is None and link.views == 0


def test_the_session_bar_then_holds_the_absolute_url_with_copy(client):
    put_messages(client, *conversation())
    r = client.post("/links/share", **HX)
    link = Link.objects.get()
    html = r.content.decode()
    assert '<label for="share-link">Share link</label>' in html
    assert f'id="share-link" value="http://testserver/s/{link.pk}" readonly' in html
    assert 'class="copy" data-copy="share-link">Copy link</button>' in html
    assert ">Update link</button>" in html and ">Revoke</button>" in html
    assert "Shared: anyone with the link can open it." in html
    # ...and so does the workbench page, from then on
    page = client.get("/").content.decode()
    assert f'value="http://testserver/s/{link.pk}"' in page and ">Share</button>" not in page


def test_the_panel_posted_with_share_is_what_is_shared(client):
    put_messages(client, *conversation())
    client.post("/links/share", {"model": "fake-chat", "system_prompt": "Be terse."}, **HX)
    column = Link.objects.get().revisions.get().columns[0]
    assert column["system_prompt"] == "Be terse."


def test_the_id_is_unguessable_and_each_link_has_its_own(client):
    ids = set()
    for _ in range(5):
        link = share(client)
        ids.add(link.pk)
        client.post(f"/links/{link.pk}/revoke", **HX)
    assert len(ids) == 5
    for link_id in ids:  # secrets.token_urlsafe(16): 128 bits, 22 URL-safe characters
        assert len(link_id) >= 22 and link_id.replace("-", "").replace("_", "").isalnum()


def test_share_again_shows_the_live_link_and_publishes_nothing(client):
    link = share(client)
    r = client.post("/links/share", **HX)
    assert Link.objects.get() == link and link.revisions.count() == 1
    assert "already shared: the link shows revision 1" in r.content.decode()


def test_after_revoke_share_makes_a_new_link_and_the_old_stays_dead(client):
    old = share(client)
    client.post(f"/links/{old.pk}/revoke", **HX)
    new = share(client)
    assert new.pk != old.pk and new.session_id == old.session_id
    assert Link.objects.count() == 2 and Link.objects.live().get() == new
    assert client.get(f"/s/{old.pk}").status_code == 404
    assert client.get(f"/s/{new.pk}").status_code == 200


def test_share_is_refused_while_an_answer_streams(client):
    streaming = message("assistant", "", Status.STREAMING, run="r1")
    draft = put_messages(client, message("user", "hi"), streaming)
    Run.objects.create(id="r1", draft=draft, body={}, lease_until=lease_end())  # live
    r = client.post("/links/share", **HX)
    assert r.status_code == 400 and "still streaming" in r.content.decode()
    assert not Link.objects.exists() and not Session.objects.exists()


@override_settings(WORKBENCH_PUBLIC_LINKS=False)
def test_with_public_links_off_a_new_link_is_for_logged_in_users(client):
    link = share(client)
    assert link.audience == Audience.USERS


def test_share_is_post_only(client):
    assert client.get("/links/share").status_code == 405
    assert not Link.objects.exists()
