"""Autosave of the panel: valid values stored exactly, invalid ones refused beside the field."""

import pytest

from workbench.chat.models import Draft

pytestmark = pytest.mark.django_db


def post(client, **fields):
    data = {
        "model": "fake-chat",
        "system_prompt": "",
        "message": "",
        "param-stream-shown": "1",
        "param-stream": "true",
        **fields,
    }
    return client.post("/workbench/draft", data, headers={"HX-Request": "true"})


def test_values_are_stored_typed_including_zero_and_false(client):
    client.get("/")
    post(
        client,
        **{
            "param-temperature": "0",
            "param-seed": "0",
            "param-stream": "",
            "param-stop": "END\nFIN",
            "message": "draft text",
        },
    )
    draft = Draft.objects.get()
    assert draft.model_id == "fake-chat"
    assert draft.parameters == {
        "temperature": 0,
        "seed": 0,
        "stream": False,
        "stop": ["END", "FIN"],
    }
    assert draft.pending == "draft text"


def test_out_of_range_value_is_refused_beside_the_field_and_rest_kept(client):
    client.get("/")
    post(client, **{"param-temperature": "0.5"})
    r = post(client, **{"param-temperature": "7", "param-top_p": "0.3"})
    html = r.content.decode()
    expected = "Temperature must be at most 2."
    assert f'id="error-param-temperature" role="alert" hx-swap-oob="true">{expected}<' in html
    assert 'id="error-param-top_p" role="alert" hx-swap-oob="true"><' in html
    draft = Draft.objects.get()
    assert draft.parameters["temperature"] == 0.5  # the last valid value
    assert draft.parameters["top_p"] == 0.3


def test_clearing_a_field_unsets_it(client):
    client.get("/")
    post(client, **{"param-max_tokens": "10"})
    post(client, **{"param-max_tokens": ""})
    assert "max_tokens" not in Draft.objects.get().parameters


def test_switching_model_rerenders_the_panel_and_keeps_shared_values(client):
    client.get("/")
    post(client, **{"param-temperature": "0.2", "param-top_k": "5"}, model="smollm2-135m-instruct")
    r = post(client, **{"param-temperature": "0.2", "param-top_k": "5"}, model="fake-chat")
    html = r.content.decode()
    assert '<div id="parameters" hx-swap-oob="true">' in html
    assert "param-top_k" not in html
    assert Draft.objects.get().parameters == {"temperature": 0.2, "stream": True}


def test_unknown_model_is_refused(client):
    client.get("/")
    r = post(client, model="nope")
    assert "Unknown model &#x27;nope&#x27;." in r.content.decode()
    assert Draft.objects.get().model_id == "smollm2-135m-instruct"
