"""The API tab's panel: built on demand, from the same body Run would send."""

import html
import json
import re

import pytest

from tests.drafts import stored

pytestmark = pytest.mark.django_db


def raw_snippets(page: str) -> dict[str, str]:
    found = re.findall(
        r'<textarea id="code-(\w+)" class="raw" hidden readonly>(.*?)</textarea>', page, re.S
    )
    return {key: html.unescape(code) for key, code in found}


def test_panel_shows_every_language_for_the_current_body(client, monkeypatch):
    planted = "sk-planted-key-0123456789"
    monkeypatch.setenv("OXEN_API_KEY", planted)
    form = {"model": "gpt-4-1-2025-04-14", "message": "Hello", "param-temperature": "0"}
    client.post("/workbench/draft", {**form, "param-stream-shown": "1"})
    snippets = raw_snippets(client.get("/workbench/api").content.decode())
    assert set(snippets) == {"curl", "python", "openai", "javascript", "json"}
    body = json.loads(snippets["json"])
    assert body == stored(client).request_body()
    assert body["temperature"] == 0 and body["stream"] is False
    assert body["messages"] == [{"role": "user", "content": "Hello"}]
    assert "$OXEN_API_KEY" in snippets["curl"] and "OXEN_API_KEY" in snippets["python"]
    assert planted not in "".join(snippets.values())


def test_panel_explains_when_there_is_nothing_to_send(client):
    client.get("/")
    page = client.get("/workbench/api").content.decode()
    assert "Nothing to show yet" in page and "conversation is empty" in page


def test_autosave_refreshes_the_panel_only_while_it_is_open(client):
    client.get("/workbench?model=fake-chat")
    data = {"model": "fake-chat", "message": "hi", "param-temperature": "0.25"}
    closed = client.post("/workbench/draft", data).content.decode()
    assert 'hx-get="/workbench/api" hx-trigger="intersect once"' in closed
    opened = client.post("/workbench/draft", {**data, "api_open": "1"}).content.decode()
    assert '"temperature": 0.25' in raw_snippets(opened)["json"]
