import pytest

pytestmark = pytest.mark.django_db


def test_lists_every_model(client):
    r = client.get("/models")
    assert r.status_code == 200
    html = r.content.decode()
    for name in ("GPT 4.1", "GPT 4.1 mini", "SmolLM2 135M Instruct (local)", "Fake Chat"):
        assert f">{name}</a>" in html


def test_filters_by_provider_capability_and_search(client):
    html = client.get("/models", {"provider": "openai"}).content.decode()
    assert "GPT-4.1 (OpenAI)" in html and ">GPT 4.1</a>" not in html
    html = client.get("/models", {"capability": "image"}).content.decode()
    assert "GPT-4.1 nano (OpenAI)" in html and "SmolLM2" not in html
    html = client.get("/models", {"search": "NANO"}).content.decode()
    assert "GPT 4.1 nano" in html and "GPT 4.1 mini" not in html
    assert "2 models" in html


def test_htmx_request_gets_only_the_results(client):
    r = client.get("/models", {"search": "smol"}, headers={"HX-Request": "true"})
    html = r.content.decode()
    assert '<div id="results">' in html and "<html" not in html and "SmolLM2" in html
    # and the count, for the status region that reads it out
    assert '<p id="results-count" hx-swap-oob="innerHTML">1 model</p>' in html


def test_unknown_filter_value_is_a_clear_400(client):
    r = client.get("/models", {"provider": "acme"})
    assert r.status_code == 400
    assert "Select a valid choice" in r.content.decode()
