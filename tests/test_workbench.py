"""The workbench page: the draft behind it and the accessible controls."""

import pytest
from django.db import connection

from tests.drafts import put_messages, stored
from workbench.chat import current
from workbench.chat.conversation import Status, message
from workbench.chat.models import Draft

pytestmark = pytest.mark.django_db


def test_first_visit_shows_an_empty_workbench_and_stores_nothing(client):
    r = client.get("/")
    assert r.status_code == 200
    assert Draft.objects.count() == 0  # a visit that writes nothing stores nothing
    assert client.cookies[current.COOKIE]["httponly"]
    html = r.content.decode()
    for snippet in (
        '<label for="model">Model</label>',
        '<option value="smollm2-135m-instruct" selected>',
        '<label for="system_prompt">System prompt</label>',
        '<label for="message">Message</label>',
        ">Run</button>",
        ">Stop</button>",
        'role="log" aria-label="Conversation"',
        'role="tab"',
        ">Chat</button>",
        "<summary>More parameters</summary>",
        'id="param-stream" checked',
    ):
        assert snippet in html


def test_a_parameter_left_empty_says_its_default_and_a_set_one_can_be_reset(client):
    put_messages(client, model="smollm2-135m-instruct")
    client.post("/workbench/draft", {"model": "smollm2-135m-instruct", "param-max_tokens": "64"})
    html = client.get("/").content.decode()
    temperature = html.split('data-param="param-temperature"')[1].split('class="field-error"')[0]
    assert 'value="0.8" aria-label="Temperature"' in temperature  # the slider rests at it
    assert 'name="param-temperature"' in temperature and "placeholder" not in temperature
    assert '<span class="default">Default: 0.8.</span>' in temperature
    assert 'aria-label="Reset Temperature" disabled>' in temperature  # nothing to reset
    max_tokens = html.split('data-param="param-max_tokens"')[1].split('class="field-error"')[0]
    assert 'value="64"' in max_tokens and 'aria-label="Reset Max tokens">' in max_tokens
    stream = html.split('data-param="param-stream"')[1].split('class="field-error"')[0]
    assert "Reset" not in stream and "Default:" not in stream  # a checkbox is on or off


def test_a_thousand_cookieless_visits_store_nothing(client):
    for _ in range(1000):
        client.cookies.clear()
        assert client.get("/").status_code == 200
    assert Draft.objects.count() == 0


def test_model_link_preselects_without_storing(client):
    client.get("/")
    client.post("/workbench/draft", {"model": "fake-chat", "message": "hi"})
    r = client.get("/workbench", {"model": "gpt-4-1-2025-04-14"})
    html = r.content.decode()
    assert r.status_code == 200 and "data-preselected" in html
    assert '<option value="gpt-4-1-2025-04-14" selected>' in html
    assert stored(client).column().model_id == "fake-chat"  # a link changes nothing
    client.post("/workbench/draft", {"model": "gpt-4-1-2025-04-14", "message": "hi"})
    assert stored(client).column().model_id == "gpt-4-1-2025-04-14"
    assert "data-preselected" not in client.get("/workbench").content.decode()


def test_unknown_model_query_is_404_with_reason(client):
    r = client.get("/workbench", {"model": "nope"})
    assert r.status_code == 404
    assert "Unknown model &#x27;nope&#x27;." in r.content.decode()


def test_parameters_render_from_the_schema(client):
    html = client.get("/workbench", {"model": "smollm2-135m-instruct"}).content.decode()
    basic, more = html.split("<summary>More parameters</summary>")
    assert '<label for="param-temperature">Temperature</label>' in basic
    assert 'type="range"' in basic and 'aria-label="Temperature"' in basic
    assert 'type="number" name="param-temperature" step="0.01"' in basic
    assert '<label for="param-top_k">Top K</label>' in more
    assert '<label for="param-seed">Seed</label>' in more
    assert '<label for="param-stop">Stop sequences</label>' in more
    assert '<input type="checkbox" name="param-stream"' in basic


def test_reload_shows_the_stored_conversation(client):
    put_messages(
        client,
        message("user", "Hello <b>there</b>"),
        message(
            "assistant",
            "**bold** <script>alert(1)</script>",
            Status.DONE,
            figures={
                "ttft_ms": 12.0,
                "total_ms": 40.0,
                "prompt_tokens": 3,
                "completion_tokens": 5,
                "approximate": False,
                "tokens_per_second": 9.5,
                "finish_reason": "stop",
            },
        ),
    )
    html = client.get("/").content.decode()
    assert "Hello &lt;b&gt;there&lt;/b&gt;" in html
    assert "<strong>bold</strong>" in html and "<script>alert(1)" not in html
    assert "Time to first token" in html and "12 ms" in html


@pytest.mark.parametrize(
    ("content", "status"),
    [
        ("cut emoji \ud83d", Status.DONE),  # stored before text checks, on SQLite
        ("hi", "gone"),  # a status this version does not know
    ],
    ids=["lone-surrogate", "unknown-status"],
)
def test_a_draft_that_cannot_be_shown_offers_to_start_afresh(client, content, status):
    if "\ud83d" in content and connection.vendor == "postgresql":
        pytest.skip("PostgreSQL never held a lone surrogate: its JSON refuses to store one")
    put_messages(client, message("user", content, status))
    r = client.get("/")
    assert r.status_code == 500 and "Start a new workbench" in r.content.decode()
    assert client.post("/workbench/set-aside").status_code == 302
    assert client.get("/").status_code == 200
    assert Draft.objects.filter(browser__startswith="aside-").count() == 1  # kept, apart
