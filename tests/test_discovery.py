"""Models a provider lists itself: reading its listing, merging it into the
catalog, fetching it (errors worded, keys kept out) and following the database."""

import logging

import pytest

from tests.discovery_helpers import LISTING
from tests.testenv import CLOSED_PORT, FAKE_PORT
from workbench.catalog import discovery
from workbench.catalog.discovery import DiscoveryError, entry_of, fetch, merge
from workbench.catalog.entries import Provider
from workbench.catalog.models import ModelListing
from workbench.catalog.registry import get_catalog, static_catalog
from workbench.catalog.request import build_body
from workbench.catalog.schema import standard_schema

HELLO = [{"role": "user", "content": "Hello"}]


def provider(path: str = "/v1", port: int = FAKE_PORT, **fields) -> Provider:
    return Provider(
        id="lab", name="Lab server", base_url=f"http://127.0.0.1:{port}{path}", **fields
    )


def test_entry_of_reads_openai_vllm_llamacpp_and_oxen_objects():
    assert entry_of({"id": "m", "object": "model", "owned_by": "x"}) == {
        "id": "m",
        "display_name": "m",
    }
    assert entry_of({"id": "m", "max_model_len": 4096})["context_length"] == 4096
    llamacpp = entry_of({"id": "m.gguf", "meta": {"n_ctx_train": 8192, "n_params": 135}})
    assert (llamacpp["context_length"], llamacpp["parameter_count"]) == (8192, 135)
    oxen = entry_of(LISTING[3])
    assert oxen["display_name"] == "Lab Oxen-style" and "json_request_schema" in oxen
    assert entry_of({"id": "m", "upstream_id": "other"}) == {"id": "m", "display_name": "m"}
    assert entry_of({"object": "model"}) is None and entry_of("m") is None


def test_merge_keeps_the_operators_entries_and_qualifies_colliding_ids(discovering):
    static = static_catalog()
    catalog = merge(static, {"lab": LISTING})
    plain = catalog.get("lab-plain")
    assert (plain.provider, plain.display_name, plain.upstream_id) == ("lab", "lab-plain", None)
    assert plain.json_request_schema == standard_schema()
    assert catalog.get("lab-described").display_name == "Described by the operator"
    assert catalog.get("fake-chat") is static.get("fake-chat")
    twin = catalog.get("lab/fake-chat")
    assert (twin.provider, twin.upstream_id, twin.sent_id) == ("lab", "fake-chat", "fake-chat")
    body = build_body(twin, catalog.provider_of(twin), HELLO, {})
    assert body["model"] == "fake-chat"
    oxen = catalog.get("lab-oxen")
    assert oxen.context_length == 32768
    assert dict(oxen.parameters())["temperature"]["maximum"] == 1.5


def test_merge_skips_invalid_and_repeated_entries_with_a_warning(discovering, caplog):
    listing = [
        {"id": "has space"},
        {"id": "bad-length", "context_length": "big"},
        {"id": "bad-schema", "json_request_schema": {"properties": {"t": {"type": "weird"}}}},
        {"no": "id"},
        {"id": "lab-plain"},
        {"id": "lab-plain", "name": "again"},
    ]
    with caplog.at_level(logging.WARNING, logger="workbench.catalog.discovery"):
        catalog = merge(static_catalog(), {"lab": listing, "fake": [{"id": "not-discovering"}]})
    ids = {m.id for m in catalog.models.values() if m.provider == "lab"}
    assert ids == {"lab-described", "lab-plain"}
    assert catalog.get("lab-plain").display_name == "lab-plain"
    assert catalog.get("not-discovering") is None  # fake has no discover = true
    warned = caplog.text
    assert "model 'has space': field 'id'" in warned
    assert "model 'bad-length': field 'context_length': must be int" in warned
    assert "model 'bad-schema': field 'json_request_schema.properties.t'" in warned
    assert "models[3]: skipped: it has no id" in warned


def test_fetch_reads_an_openai_list_and_sends_the_key(fake, monkeypatch):
    fake.configure(listing=LISTING)
    assert fetch(provider()) == LISTING
    keyed = provider("/keyed/v1", api_key_env="LAB_TEST_KEY")
    with pytest.raises(DiscoveryError, match="set the environment variable LAB_TEST_KEY"):
        fetch(keyed)
    monkeypatch.setenv("LAB_TEST_KEY", "sk-lab-0123456789")
    fetch(keyed)
    assert fake_listed(fake)[-1]["authorization"] == "Bearer sk-lab-0123456789"


def fake_listed(fake) -> list[dict]:
    import httpx

    return httpx.get(f"{fake.url}/_control/listed").json()


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("http_500", "/v1/models answered 500: The model registry is down."),
        ("not_json", "/v1/models did not answer with JSON"),
        ("not_list", "/v1/models did not answer with a list of models"),
        ("huge", "/v1/models sent more than 4 MiB"),
    ],
)
def test_fetch_words_each_failure(fake, fault, message):
    fake.configure(listing_fault=fault)
    with pytest.raises(DiscoveryError, match=message):
        fetch(provider())


def test_fetch_gives_up_on_a_silent_server(fake, monkeypatch):
    monkeypatch.setattr(discovery, "TIMEOUT", 0.3)
    fake.configure(listing_fault="stall")
    with pytest.raises(DiscoveryError, match="did not answer within 0.3 s"):
        fetch(provider())


def test_fetch_keeps_at_most_max_models(fake, monkeypatch):
    monkeypatch.setattr(discovery, "MAX_MODELS", 2)
    fake.configure(listing=LISTING)
    assert fetch(provider()) == LISTING[:2]


def test_fetch_from_nowhere_says_where_it_tried():
    with pytest.raises(
        DiscoveryError, match=f"could not connect to http://127.0.0.1:{CLOSED_PORT}"
    ):
        fetch(provider(port=CLOSED_PORT))


@pytest.mark.django_db
def test_refresh_stores_the_listing_and_the_catalog_follows(discovering, fake):
    fake.configure(listing=LISTING)
    lab = static_catalog().providers["lab"]
    assert get_catalog().get("lab-plain") is None
    row = discovery.refresh(lab)
    assert (row.listing, row.error) == (LISTING, "") and row.listed_at == row.tried_at
    assert get_catalog().get("lab/fake-chat").upstream_id == "fake-chat"
    fake.configure(listing=[{"id": "lab-new"}])
    discovery.refresh(lab)
    assert get_catalog().get("lab-new") and get_catalog().get("lab-plain") is None


@pytest.mark.django_db
def test_a_failed_refresh_keeps_the_models_and_words_the_error(discovering, fake, caplog):
    fake.configure(listing=LISTING)
    lab = static_catalog().providers["lab"]
    discovery.refresh(lab)
    fake.configure(listing_fault="http_500")
    with caplog.at_level(logging.WARNING, logger="workbench.catalog.discovery"):
        row = discovery.refresh(lab)
    assert row.listing == LISTING and row.listed_at < row.tried_at
    assert row.error.endswith("answered 500: The model registry is down.")
    assert "Could not list the models of Lab server: " in caplog.text
    assert get_catalog().get("lab-plain") is not None


@pytest.mark.django_db
def test_an_echoed_key_is_not_stored(discovering, monkeypatch):
    monkeypatch.setenv("FAKE_KEYED_API_KEY", "sk-echoed-0123456789")
    lab = static_catalog().providers["lab"]
    monkeypatch.setattr(
        discovery,
        "fetch",
        lambda p: (_ for _ in ()).throw(DiscoveryError("no sk-echoed-0123456789")),
    )
    row = discovery.refresh(lab)
    assert "sk-echoed" not in row.error and "[an API key, removed]" in row.error


@pytest.mark.django_db
def test_the_catalog_follows_rows_written_by_another_process(discovering):
    ModelListing.objects.create(provider="lab", listing=[{"id": "from-elsewhere"}])
    assert get_catalog().get("from-elsewhere").provider == "lab"
    ModelListing.objects.all().delete()
    assert get_catalog().get("from-elsewhere") is None


def test_without_discovering_providers_the_catalog_reads_no_database():
    # No database access is allowed here: a query would fail the test.
    assert get_catalog() is static_catalog()
