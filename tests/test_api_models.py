import pytest

pytestmark = pytest.mark.django_db


def test_list_returns_models_with_schemas(client):
    data = client.get("/api/models").json()
    ids = [m["id"] for m in data["data"]]
    assert "gpt-4-1-2025-04-14" in ids and "smollm2-135m-instruct" in ids
    for m in data["data"]:
        assert m["json_request_schema"]["required"] == ["model", "messages"]


def test_list_filters(client):
    data = client.get("/api/models", {"provider": "local"}).json()
    assert [m["id"] for m in data["data"]] == ["smollm2-135m-instruct"]
    data = client.get("/api/models", {"search": "mini", "capability": "text"}).json()
    assert {m["id"] for m in data["data"]} == {"gpt-4-1-mini-2025-04-14", "gpt-4.1-mini"}


def test_bad_filter_is_400_json(client):
    r = client.get("/api/models", {"provider": "acme"})
    assert r.status_code == 400
    assert r.json()["error"]["type"] == "invalid_request"


def test_one_model(client):
    m = client.get("/api/models/gpt-4-1-2025-04-14").json()
    assert m["display_name"] == "GPT 4.1"
    assert m["context_length"] == 1_000_000 and m["parameter_count"] is None
    props = m["json_request_schema"]["properties"]
    assert props["temperature"]["maximum"] == 2 and props["stream"]["type"] == "boolean"
    assert m["json_request_schema"]["basic"]


def test_unknown_model_is_404_with_json_error(client):
    r = client.get("/api/models/nope")
    assert r.status_code == 404
    assert r.json() == {"error": {"message": "No model with id 'nope'.", "type": "not_found"}}


def test_only_get(client):
    assert client.post("/api/models").status_code == 405
