"""Update link: the state on screen becomes the next revision, at the same URL."""

import pytest

from tests.drafts import put_messages
from tests.sharing_helpers import HX, conversation, share, update
from tests.test_settings import migrated_postgres, postgres_url, shell_on  # noqa: F401 (fixtures)
from workbench.library.models import Session
from workbench.sharing.models import Link

pytestmark = pytest.mark.django_db


def test_update_publishes_revision_2_at_the_same_url(client):
    link = share(client)
    update(client, link, "And the ocean?")
    assert Link.objects.get().pk == link.pk
    first, second = link.revisions.order_by("number")
    assert (first.number, second.number) == (1, 2)
    assert first.columns[0]["messages"][0]["content"] == "What is the sea?"
    assert second.columns[0]["messages"][0]["content"] == "And the ocean?"
    assert second.columns == Session.objects.get().columns  # saved first, then published
    page = client.get(f"/s/{link.pk}").content.decode()
    assert "revision 2 of 2" in page and "And the ocean?" in page


def test_update_answers_with_the_session_bar(client):
    link = share(client)
    put_messages(client, *conversation("More"))
    r = client.post(f"/links/{link.pk}/update", **HX)
    html = r.content.decode()
    assert 'id="session-bar"' in html and "The link now shows revision 2." in html
    assert "Shows revision 2" in html


def test_each_update_is_the_next_number(client):
    link = share(client)
    for text in ("two", "three", "four"):
        update(client, link, text)
    assert list(link.revisions.values_list("number", flat=True)) == [1, 2, 3, 4]


def test_update_from_a_page_showing_another_session_is_refused(client):
    link = share(client)
    client.post("/library/new")  # another tab: the workbench now shows a new session
    put_messages(client, *conversation("Something else"))
    r = client.post(f"/links/{link.pk}/update", **HX)
    assert r.status_code == 400 and "out of date" in r.content.decode()
    assert link.revisions.count() == 1
    assert Session.objects.count() == 1  # the refused update saved nothing either


def test_update_of_a_revoked_link_is_404(client):
    link = share(client)
    client.post(f"/links/{link.pk}/revoke", **HX)
    r = client.post(f"/links/{link.pk}/update", **HX)
    assert r.status_code == 404 and link.revisions.count() == 1


def test_update_is_post_only(client):
    link = share(client)
    assert client.get(f"/links/{link.pk}/update").status_code == 405


def test_shares_and_updates_at_once_on_postgres(migrated_postgres):  # noqa: F811
    """Eight Shares racing make one link; eight Updates racing make eight revisions,
    numbered without a gap or a repeat (each locks the draft, then the link)."""
    code = (
        "from concurrent.futures import ThreadPoolExecutor\n"
        "from django.db import connection\n"
        "from workbench.chat.models import Draft\n"
        "from workbench.library.owner import Owner\n"
        "from workbench.sharing.models import Link\n"
        "owner = Owner('b' * 32)\n"
        "Draft.add_message(owner.browser, 'hello', None)\n"
        "def at_once(change):\n"
        "    def one(i):\n"
        "        try:\n"
        "            return change()\n"
        "        finally:\n"
        "            connection.close()\n"
        "    with ThreadPoolExecutor(8) as pool:\n"
        "        return list(pool.map(one, range(8)))\n"
        "ids = {link.pk for link, _ in at_once(lambda: Link.share(owner))}\n"
        "link = Link.objects.get()\n"
        "at_once(lambda: Link.update(owner, link.pk))\n"
        "print(len(ids), list(link.revisions.values_list('number', flat=True)))\n"
    )
    assert f"1 {list(range(1, 10))}" in shell_on(migrated_postgres, code)
