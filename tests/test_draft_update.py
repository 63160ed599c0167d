"""Autosave of the panel: valid values stored exactly, invalid ones refused beside the field."""

import pytest

from tests.drafts import stored
from workbench.chat.models import Draft

pytestmark = pytest.mark.django_db


def post(client, **fields):
    data = {
        "model": "fake-chat",
        "panel_model": "fake-chat",  # the model whose fields the page shows
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
    draft = stored(client)
    assert draft.column().model_id == "fake-chat"
    assert draft.column().parameters == {
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
    draft = stored(client)
    assert draft.column().parameters["temperature"] == 0.5  # the last valid value
    assert draft.column().parameters["top_p"] == 0.3


def test_clearing_a_field_unsets_it(client):
    client.get("/")
    post(client, **{"param-max_tokens": "10"})
    post(client, **{"param-max_tokens": ""})
    assert "max_tokens" not in stored(client).column().parameters


def test_switching_model_rerenders_the_panel_and_keeps_shared_values(client):
    client.get("/")
    values = {
        "param-temperature": "0.2",
        "param-top_k": "5",
        "panel_model": "smollm2-135m-instruct",
    }
    post(client, **values, model="smollm2-135m-instruct")
    r = post(client, **values, model="fake-chat")
    html = r.content.decode()
    assert '<div id="parameters" hx-swap-oob="true">' in html
    assert "param-top_k" not in html
    assert stored(client).column().parameters == {"temperature": 0.2, "stream": True}


def test_unknown_model_is_refused(client):
    client.get("/")
    r = post(client, model="nope", message="typed")
    assert "Unknown model &#x27;nope&#x27;." in r.content.decode()
    assert Draft.objects.count() == 0  # nothing of a refused form is stored


def test_an_autosave_older_than_the_last_run_cannot_bring_sent_text_back(client):
    post(client, message="sent already", revision="0")
    draft = stored(client)
    draft.pending, draft.revision = "", 1  # what a Run does to the box
    draft.save()
    post(client, message="sent already", revision="0")  # arrives late
    assert stored(client).pending == ""
    post(client, message="new text", revision="1")
    assert stored(client).pending == "new text"


def test_a_too_long_system_prompt_is_refused_beside_it_and_the_rest_is_saved(client):
    r = post(client, system_prompt="x" * 200_001, message="keep me", **{"param-top_p": "0.5"})
    page = r.content.decode()
    assert 'id="error-system_prompt" role="alert" hx-swap-oob="true">' in page
    assert "The system prompt is too long to keep: 200001 characters" in page
    draft = stored(client)
    assert draft.pending == "keep me" and draft.column().parameters["top_p"] == 0.5
    assert draft.column().system_prompt == ""


def test_the_longest_texts_in_four_byte_characters_fit_in_one_autosave(client):
    """200,000 emoji in both the system prompt and the Message box: 4.8 MB as a
    form post, over Django's default 2.5 MB, within the limits people are shown."""
    text = "😀" * 200_000
    r = post(client, system_prompt=text, message=text)
    assert r.status_code == 200
    draft = stored(client)
    assert draft.pending == text and draft.column().system_prompt == text
