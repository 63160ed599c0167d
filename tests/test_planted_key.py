"""Nothing secret is stored or shared: a planted API key, used by a real run, is
found in no table row, no page, no export and no log line afterwards."""

import json
import logging

import pytest
from asgiref.sync import sync_to_async
from django.apps import apps
from django.core import serializers
from django.test import Client

from tests.relay_helpers import connect, run_frame, start_draft, until_finished
from workbench.chat import current
from workbench.chat.models import Run
from workbench.library.models import Session
from workbench.sharing.models import Link

pytestmark = pytest.mark.django_db(transaction=True)
PLANTED = "sk-planted-9f8e7d6c5b4a39281706"


def every_row() -> str:
    """Every row of every table the project's models own, as JSON."""
    dumped = []
    for model in apps.get_models():
        dumped.append(serializers.serialize("json", model._default_manager.all()))
    return "\n".join(dumped)


def every_page(client: Client, session: Session, link: Link, run: Run) -> dict[str, str]:
    urls = [
        "/",
        "/workbench/api",
        "/library",
        f"/library/{session.pk}",
        f"/library/{session.pk}/export",
        f"/library/runs/{run.pk}",
        "/links",
        f"/s/{link.pk}",
        f"/s/{link.pk}/1",
        "/models/fake-keyed",
        "/api/models/fake-keyed",
    ]
    pages = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = response.content.decode()
    pages["stranger /s/"] = Client().get(f"/s/{link.pk}").content.decode()
    return pages


async def test_a_planted_key_is_nowhere(fake, caplog, monkeypatch):
    monkeypatch.setenv("FAKE_KEYED_API_KEY", PLANTED)
    fake.configure(content="an answer")
    draft = await start_draft("fake-keyed")
    caplog.set_level(logging.DEBUG)
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame("a question", model="fake-keyed"))
    await until_finished(comm)
    assert fake.requests()[-1]["headers"]["authorization"] == f"Bearer {PLANTED}"  # it was used
    # An upstream that repeats the key in its error: the error is kept, the key is not.
    await comm.send_to(text_data=run_frame("[fault=echo_key] again", model="fake-keyed"))
    await until_finished(comm)
    await comm.disconnect()

    def the_rest() -> None:
        client = Client()
        client.cookies[current.COOKIE] = draft.browser
        model = {"model": "fake-keyed", "message": ""}
        assert client.post("/library/save", model).status_code == 200
        assert client.post("/links/share", model).status_code == 200
        session, link = Session.objects.get(), Link.objects.get()
        run, refused = Run.objects.order_by("started_at")
        assert "Incorrect API key provided: Bearer [an API key, removed]" in refused.error
        exported = client.get(f"/library/{session.pk}/export").content.decode()
        assert json.loads(exported)["runs"][0]["text"] == "an answer"
        everything = {"rows": every_row(), **every_page(client, session, link, run)}
        everything["logs"] = caplog.text
        for where, text in everything.items():
            assert PLANTED not in text, where
            assert PLANTED[3:] not in text, where  # nor the key without its prefix

    await sync_to_async(the_rest)()
