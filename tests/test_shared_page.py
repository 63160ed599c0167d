"""The shared page: a revision, read-only, to anyone the link lets in."""

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.utils import timezone

from tests.drafts import put_messages
from tests.sharing_helpers import conversation, share, update
from workbench.chat.conversation import Status, message
from workbench.sharing.models import Audience, Link

pytestmark = pytest.mark.django_db


class Tags(HTMLParser):
    """Every start tag of a page, with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.found.append((tag, attrs))


@pytest.fixture
def viewer() -> Client:
    return Client()


def user_client(name: str = "reader") -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_user(name))  # no password needed
    return client


def test_shows_the_latest_revision_read_only(client, viewer):
    link = share(client)
    r = viewer.get(f"/s/{link.pk}")
    html = r.content.decode()
    assert r.status_code == 200
    assert "<h1>What is the sea?</h1>" in html and "revision 1 of 1" in html
    assert 'role="log" aria-label="Conversation"' in html
    assert 'data-role="user"' in html and "Salt water." in html
    assert "<code>fake-chat</code>" in html and "Fake Chat" in html  # the model
    assert "Time to first token" in html and "340 ms" in html  # the run's figures
    assert ">Open in Workbench</button>" in html
    for control in ("Edit", "Delete", "Update link", "Revoke", ">Run<"):
        assert control not in html  # nothing here changes anything


def test_parameters_and_system_prompt_are_shown(client, viewer):
    link = share(client)
    panel = {"model": "fake-chat", "system_prompt": "Be terse.", "param-temperature": "0.3"}
    client.post("/workbench/draft", panel)
    client.post(f"/links/{link.pk}/update", HTTP_HX_REQUEST="true")
    html = viewer.get(f"/s/{link.pk}").content.decode()
    assert "Be terse." in html and "<dt>temperature</dt><dd><code>0.3</code></dd>" in html


def test_the_api_snippets_of_the_revision(client, viewer):
    link = share(client)
    html = viewer.get(f"/s/{link.pk}").content.decode()
    for tab in ("cURL", "Python", "OpenAI SDK", "JavaScript", "JSON"):
        assert f">{tab}</button>" in html
    assert html.count(">Copy</button>") == 5
    raw = re.search(r'<textarea id="code-json"[^>]*>(.*?)</textarea>', html, re.S).group(1)
    assert "What is the sea?" in raw and "Salt water." in raw and "fake-chat" in raw


def test_the_message_box_is_shown_and_is_the_last_turn_of_the_snippets(client, viewer):
    put_messages(client, *conversation())
    client.post("/workbench/draft", {"model": "fake-chat", "message": "And rivers?"})
    client.post("/links/share", HTTP_HX_REQUEST="true")
    link = Link.objects.get()
    html = viewer.get(f"/s/{link.pk}").content.decode()
    assert "Next message, not yet run" in html
    raw = re.search(r'<textarea id="code-json"[^>]*>(.*?)</textarea>', html, re.S).group(1)
    assert raw.index("Salt water.") < raw.index("And rivers?")


def test_text_is_rendered_through_the_same_sanitiser(client, viewer):
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    link = share(
        client,
        message("user", f"Hi {hostile}"),
        message("assistant", f"**bold** {hostile} [x](javascript:alert(3))", Status.DONE),
    )
    html = viewer.get(f"/s/{link.pk}").content.decode()
    tags = Tags()
    tags.feed(html)
    assert all(dict(attrs).get("src") for tag, attrs in tags.found if tag == "script")
    assert not [tag for tag, _ in tags.found if tag == "img"]
    assert not [a for _, attrs in tags.found for a, v in attrs if a.startswith("on")]
    assert not [v for _, attrs in tags.found for a, v in attrs if "javascript:" in (v or "")]
    assert "<strong>bold</strong>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # a user's text, as text


def test_noindex_open_graph_and_no_referrer(client, viewer):
    link = share(client, *conversation("Tell me <everything> about the sea " + "wave " * 80))
    r = viewer.get(f"/s/{link.pk}")
    html = r.content.decode()
    assert r["X-Robots-Tag"].startswith("noindex")
    assert r["Referrer-Policy"] == "same-origin"  # no other site learns the link
    assert "no-store" in r["Cache-Control"]  # a revoked link is not kept anywhere
    assert '<meta name="robots" content="noindex, nofollow">' in html
    title = re.search(r'<meta property="og:title" content="([^"]*)">', html).group(1)
    description = re.search(r'<meta property="og:description" content="([^"]*)">', html).group(1)
    assert title.startswith("Tell me &lt;everything&gt; about the sea wave")
    assert description.startswith("Tell me &lt;everything&gt;") and description.endswith("…")
    assert len(description) < 260
    assert f'<meta property="og:url" content="http://testserver/s/{link.pk}">' in html


def test_earlier_revisions_stay_viewable(client, viewer):
    link = share(client)
    update(client, link, "Second question")
    latest = viewer.get(f"/s/{link.pk}").content.decode()
    assert "revision 2 of 2" in latest and "Second question" in latest
    assert f'href="/s/{link.pk}/1">Revision 1</a>' in latest
    assert f'href="/s/{link.pk}/2" aria-current="page">Revision 2</a> (latest)' in latest
    first = viewer.get(f"/s/{link.pk}/1").content.decode()
    assert "revision 1 of 2" in first and "What is the sea?" in first
    assert "Second question" not in first and "This is an earlier revision." in first
    for missing in (0, 3, 99):
        assert viewer.get(f"/s/{link.pk}/{missing}").status_code == 404


def test_views_are_counted_but_not_the_owners(client, viewer):
    link = share(client)
    client.get(f"/s/{link.pk}")
    viewer.get(f"/s/{link.pk}")
    viewer.get(f"/s/{link.pk}/1")
    viewer.head(f"/s/{link.pk}")  # a preview bot's HEAD is not a view
    link.refresh_from_db()
    assert link.views == 2


def test_an_unknown_id_is_404(viewer):
    assert viewer.get("/s/nothing-here-at-all-1234").status_code == 404
    assert viewer.get("/s/nothing-here-at-all-1234/1").status_code == 404


def test_expired_is_404_for_everyone_on_every_revision_url(client, viewer):
    link = share(client)
    update(client, link, "second")
    Link.objects.filter(pk=link.pk).update(expires_on=timezone.localdate() - dt.timedelta(days=1))
    for who in (client, viewer, user_client()):
        for url in (f"/s/{link.pk}", f"/s/{link.pk}/1", f"/s/{link.pk}/2"):
            assert who.get(url).status_code == 404, url
        assert who.post(f"/s/{link.pk}/open").status_code == 404


def test_a_link_expiring_today_still_opens(client, viewer):
    link = share(client)
    Link.objects.filter(pk=link.pk).update(expires_on=timezone.localdate())
    assert viewer.get(f"/s/{link.pk}").status_code == 200


def test_login_only_is_refused_to_anonymous_visitors(client, viewer):
    link = share(client)
    Link.objects.filter(pk=link.pk).update(audience=Audience.USERS)
    r = viewer.get(f"/s/{link.pk}/1")
    assert r.status_code == 302
    assert r["Location"] == f"/accounts/login/?next=/s/{link.pk}/1"
    assert user_client().get(f"/s/{link.pk}").status_code == 200
    assert client.get(f"/s/{link.pk}").status_code == 200  # its owner's browser
    link.refresh_from_db()
    assert link.views == 1


@override_settings(WORKBENCH_PUBLIC_LINKS=False)
def test_with_public_links_off_a_link_for_anyone_is_served_as_login_only(client, viewer):
    link = share(client)
    Link.objects.filter(pk=link.pk).update(audience=Audience.ANYONE)  # made while they were on
    r = viewer.get(f"/s/{link.pk}")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")
    assert user_client().get(f"/s/{link.pk}").status_code == 200
    with override_settings(WORKBENCH_PUBLIC_LINKS=True):  # back on: public again
        assert viewer.get(f"/s/{link.pk}").status_code == 200


def test_nothing_secret_is_in_a_revision_or_its_page(client, viewer, monkeypatch):
    planted = "sk-planted-0123456789abcdef"
    monkeypatch.setenv("FAKE_KEYED_API_KEY", planted)
    link = share(client, *conversation(), model="fake-keyed")
    html = viewer.get(f"/s/{link.pk}").content.decode()
    assert "FAKE_KEYED_API_KEY" in html  # the snippets read the key from the environment...
    assert planted not in html  # ...and never hold it
    revision = link.revisions.get()
    assert planted not in str(revision.columns) + revision.pending + revision.title


def test_a_model_gone_from_the_catalog_still_shows(client, viewer):
    link = share(client)
    revision = link.revisions.get()
    revision.columns[0]["model_id"] = "no-longer-in-the-catalog"
    revision.save()
    r = viewer.get(f"/s/{link.pk}")
    assert r.status_code == 200 and "Salt water." in r.content.decode()
