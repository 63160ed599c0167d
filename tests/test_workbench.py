"""The workbench page: the draft behind it and the accessible controls."""

import pytest

from workbench.chat.models import Draft

pytestmark = pytest.mark.django_db


def test_first_visit_creates_a_draft_with_the_local_model(client):
    r = client.get("/")
    assert r.status_code == 200
    draft = Draft.objects.get(pk=client.session["draft_id"])
    assert draft.model_id == "smollm2-135m-instruct"
    assert draft.parameters == {"stream": True}
    html = r.content.decode()
    for snippet in (
        '<label for="model">Model</label>',
        '<label for="system_prompt">System prompt</label>',
        '<label for="message">Message</label>',
        ">Run</button>",
        ">Stop</button>",
        'role="log" aria-label="Conversation"',
        'role="tab"',
        ">Chat</button>",
        "<summary>More parameters</summary>",
    ):
        assert snippet in html


def test_model_query_chooses_the_model_and_keeps_the_draft(client):
    client.get("/")
    r = client.get("/workbench", {"model": "gpt-4-1-2025-04-14"})
    assert r.status_code == 302 and r["Location"] == "/workbench"
    r = client.get("/workbench")
    assert '<option value="gpt-4-1-2025-04-14" selected>' in r.content.decode()
    assert Draft.objects.count() == 1


def test_unknown_model_query_is_404_with_reason(client):
    r = client.get("/workbench", {"model": "nope"})
    assert r.status_code == 404
    assert "Unknown model &#x27;nope&#x27;." in r.content.decode()


def test_parameters_render_from_the_schema(client):
    html = client.get(
        "/workbench", {"model": "smollm2-135m-instruct"}, follow=True
    ).content.decode()
    basic, more = html.split("<summary>More parameters</summary>")
    assert '<label for="param-temperature">Temperature</label>' in basic
    assert 'type="range"' in basic and 'aria-hidden="true"' in basic
    assert '<label for="param-top_k">Top K</label>' in more
    assert '<label for="param-seed">Seed</label>' in more
    assert '<label for="param-stop">Stop sequences</label>' in more
    assert 'id="param-stream" name="param-stream" value="true"' in basic


def test_reload_shows_the_stored_conversation(client):
    client.get("/")
    draft = Draft.objects.get()
    draft.add_message("user", "Hello <b>there</b>")
    draft.add_message(
        "assistant",
        "**bold** <script>alert(1)</script>",
        status="done",
        figures={
            "ttft_ms": 12.0,
            "total_ms": 40.0,
            "prompt_tokens": 3,
            "completion_tokens": 5,
            "approximate": False,
            "tokens_per_second": 9.5,
            "finish_reason": "stop",
        },
    )
    draft.save()
    html = client.get("/").content.decode()
    assert "Hello &lt;b&gt;there&lt;/b&gt;" in html
    assert "<strong>bold</strong>" in html and "<script>alert(1)" not in html
    assert "Time to first token" in html and "12 ms" in html
