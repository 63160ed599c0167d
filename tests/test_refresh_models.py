"""POST /providers/<id>/refresh-models: the "Refresh models" button of /models."""

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from tests.discovery_helpers import LISTING
from tests.relay_helpers import connect, run_frame, start_draft, until_finished
from workbench.catalog.models import ModelListing

pytestmark = pytest.mark.django_db


def test_models_page_offers_a_refresh_per_discovering_provider(client, discovering):
    page = client.get("/models").content.decode()
    assert page.count(">Refresh models</button>") == 2
    assert "The models of Lab server are being listed from" in page
    assert 'action="/providers/lab/refresh-models"' in page


def test_refresh_lists_the_models_and_redirects_with_the_filters(client, discovering, fake):
    fake.configure(listing=LISTING)
    response = client.post("/providers/lab/refresh-models", {"search": "lab", "provider": ""})
    assert (response.status_code, response.url) == (302, "/models?search=lab")
    page = client.get(response.url).content.decode()
    assert "Lab server listed 4 models at" in page
    assert "lab-plain" in page and "Lab Oxen-style" in page and "lab/fake-chat" in page
    listed = client.get("/api/models", {"provider": "lab"}).json()["data"]
    assert {m["id"]: m["upstream_id"] for m in listed} == {
        "lab-described": None,
        "lab-plain": None,
        "lab/fake-chat": "fake-chat",
        "lab-oxen": None,
    }


def test_refresh_for_htmx_returns_the_listing_and_reads_out_the_result(client, discovering):
    response = client.post("/providers/labdown/refresh-models", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<p id="discovery-status" hx-swap-oob="innerHTML">')
    assert '<div id="catalog">' in html and "<html" not in html
    assert "Could not list the models of Lab down: could not connect to" in html
    assert ", last tried at <time" in html
    assert ModelListing.objects.get(provider="labdown").error.startswith("could not connect")


def test_refresh_needs_post_csrf_and_a_discovering_provider(discovering):
    csrf = Client(enforce_csrf_checks=True)
    assert csrf.post("/providers/lab/refresh-models").status_code == 403
    assert csrf.get("/providers/lab/refresh-models").status_code == 405
    assert Client().post("/providers/fake/refresh-models").status_code == 404
    assert Client().post("/providers/nope/refresh-models").status_code == 404
    assert not ModelListing.objects.exists()


@pytest.mark.django_db(transaction=True)
async def test_a_run_of_a_listed_model_sends_its_own_id_upstream(discovering, fake):
    await sync_to_async(ModelListing.record)("lab", LISTING)
    draft = await start_draft("lab/fake-chat")
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame("Hi", model="lab/fake-chat"))
    await until_finished(comm)
    await comm.disconnect()
    assert fake.requests()[-1]["body"]["model"] == "fake-chat"
