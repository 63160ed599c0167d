"""Import: a pasted request loads into the workbench; a bad one changes nothing."""

import json
import shlex
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.drafts import put_messages, stored
from workbench.chat.conversation import message
from workbench.chat.models import Draft
from workbench.snippets.importing import parse_pasted
from workbench.snippets.pasted import UnreadableSnippet
from workbench.snippets.shell import shell_words

BODY = {
    "model": "fake-chat",
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": "Bye?"},
    ],
    "temperature": 0,
    "stream": True,
    "stream_options": {"include_usage": True},
}


@pytest.fixture
def draft(client, db) -> Draft:
    return put_messages(client, model="smollm2-135m-instruct")


def test_import_loads_model_prompt_messages_parameters_and_message_box(client, draft):
    r = client.post("/workbench/import", {"import_text": json.dumps(BODY)})
    assert r.status_code == 204 and r["HX-Redirect"] == "/workbench"
    draft.refresh_from_db()
    column = draft.column()
    assert column.model_id == "fake-chat" and column.system_prompt == "Be brief."
    assert column.request_messages() == BODY["messages"][1:3]
    assert draft.pending == "Bye?"
    assert column.parameters == {"temperature": 0, "stream": True}
    assert draft.request_body() == BODY


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "Paste a request first: a cURL or httpie command, a JSON body, or code."),
        ("{nope", "The pasted text is not valid JSON"),
        ("curl -X POST http://x", "Found a cURL command to http://x, but no body (-d or --json)."),
        ("curl -d 'unterminated", "could not be read as shell words"),
        ("def (:", "The Python code does not parse"),
        ("hello, can you import this?", "This does not look like a request. Paste a cURL"),
        ("https://api.openai.com/v1/chat/completions", "This does not look like a request."),
        (
            "requests.post(url, json=make_payload())",
            "The json= argument holds &#x27;make_payload()&#x27;, which is not a plain value",
        ),
        ("print(1)", "Found Python code, but no request in it"),
        ("const x = 1; fetch(url)", "Found a fetch to a URL, but no body in its options."),
        (json.dumps({**BODY, "temperature": 9}), "Temperature must be at most 2"),
        (json.dumps({**BODY, "top_k": 3}), "is not a parameter of Fake Chat"),
        (
            json.dumps({**BODY, "messages": [{"role": "user", "content": [{"type": "text"}]}]}),
            "has a content part (1) that is neither {type: text, text}",
        ),
    ],
)
def test_unreadable_paste_is_explained_and_nothing_changes(client, draft, text, reason):
    put_messages(client, message("user", "keep me"))
    before = stored(client).columns
    r = client.post("/workbench/import", {"import_text": text})
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="import-reply"' in html and "Could not import: " in html and reason in html
    assert stored(client).columns == before


def test_import_asks_before_it_replaces_a_conversation(client, draft):
    put_messages(client, message("user", "keep me"), message("assistant", "kept"))
    client.post("/workbench/draft", {"model": "smollm2-135m-instruct", "system_prompt": "Rules"})
    before = stored(client).columns
    r = client.post("/workbench/import", {"import_text": json.dumps(BODY)})
    html = r.content.decode()
    assert r.status_code == 200 and 'id="import-reply"' in html
    assert (
        "Import replaces what is on the workbench: 2 messages and the system prompt. "
        "Replace it?" in html
    )
    assert ">Replace conversation</button>" in html and 'hx-vals=\'{"replace": "1"}\'' in html
    assert stored(client).columns == before  # nothing replaced yet
    r = client.post("/workbench/import", {"import_text": json.dumps(BODY), "replace": "1"})
    assert r.status_code == 204 and r["HX-Redirect"] == "/workbench"
    assert stored(client).column().system_prompt == "Be brief."


def test_a_paste_that_cannot_load_says_why_before_asking(client, draft):
    put_messages(client, message("user", "keep me"))
    r = client.post("/workbench/import", {"import_text": json.dumps({**BODY, "temperature": 9})})
    assert "Temperature must be at most 2" in r.content.decode()
    assert "Replace it?" not in r.content.decode()


def test_openai_sdk_call_with_extra_body_is_read():
    code = (
        "completion = client.chat.completions.create(\n    model='fake-chat',\n"
        "    messages=[{'role': 'user', 'content': 'x'}],\n    extra_body={'top_k': 2},\n"
        "    extra_headers={'Authorization': omit},\n)"
    )
    assert parse_pasted(code).body == {
        "model": "fake-chat",
        "messages": [{"role": "user", "content": "x"}],
        "top_k": 2,
    }


def test_plain_fetch_with_object_literal_is_read():
    code = (
        'const payload = {"model": "m", "messages": []};\n'
        "await fetch(url, {body: JSON.stringify(payload)});"
    )
    assert parse_pasted(code).body == {"model": "m", "messages": []}


def test_not_a_dict_is_refused():
    with pytest.raises(UnreadableSnippet, match="must be a JSON object"):
        parse_pasted("curl -d '[1]' http://x")


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from([*" \t\r\n'\"\\ax$`", "\x0b", "é", "\\\\", "''"])).map("".join))
def test_shell_words_reads_as_shlex_does(text):
    try:
        expected: list[str] | None = shlex.split(text)
    except ValueError:
        expected = None  # an open quote or a trailing backslash
    try:
        got: list[str] | None = shell_words(text)
    except ValueError:
        got = None
    assert got == expected


def test_shell_words_is_linear_in_a_long_body():
    body = "x" * 1_000_000
    started = time.monotonic()
    assert shell_words(f"curl -d '{body}' http://x") == ["curl", "-d", body, "http://x"]
    assert time.monotonic() - started < 1  # shlex.split takes about 6 s


def test_an_unknown_model_keeps_the_paste_and_asks_which_model(client, draft):
    body = {**BODY, "model": "auto", "top_k": 3}
    r = client.post("/workbench/import", {"import_text": json.dumps(body)})
    assert r.status_code == 204
    column = stored(client).column()
    assert column.model_id == "fake-cut"  # the closest id (difflib): the Model select shows it
    assert column.system_prompt == "Be brief." and len(column.messages) == 2
    page = client.get("/workbench").content.decode()
    assert 'id="model-question" role="status">The model &#x27;auto&#x27; is not in the' in page
    assert "WORKBENCH_CONFIG" in page and 'key-missing model-question"' in page
    assert "Left out, as Fake Cut does not take them as written: top_k." in page
    assert "model-question" not in client.get("/workbench").content.decode()  # said once


def test_the_report_says_what_loaded_and_that_stream_is_off(client, draft):
    body = {k: v for k, v in BODY.items() if k not in ("stream", "stream_options")}
    text = f"curl http://x -H 'authorization: Bearer sk-live' -d '{json.dumps(body)}'"
    client.post("/workbench/import", {"import_text": text})
    page = client.get("/workbench").content.decode()
    assert (
        '<p id="notice" class="notice" role="status">Loaded a cURL command for fake-chat: '
        "4 messages, 1 parameter. Stream is off, as the pasted request does not ask for it. "
        "An API key in the paste was ignored: keys are never kept.</p>"
    ) in page
    assert "sk-live" not in page and "sk-live" not in json.dumps(stored(client).columns)


def test_a_developer_message_becomes_the_system_prompt_and_goes_back_as_developer(client, draft):
    developer = {"role": "developer", "content": "Be brief."}
    body = {**BODY, "messages": [developer, *BODY["messages"][1:]]}
    client.post("/workbench/import", {"import_text": json.dumps(body)})
    draft = stored(client)
    assert draft.column().system_role == "developer"
    assert draft.request_body() == body
    page = client.get("/workbench").content.decode()
    assert '<option value="developer" selected>developer</option>' in page


def test_the_panel_and_message_editor_take_the_developer_role(client, draft):
    put_messages(client, message("user", "hi"))
    client.post(
        "/workbench/draft",
        {"model": "fake-chat", "system_prompt": "Rules", "system_role": "developer"},
    )
    column = stored(client).column()
    assert column.request_body()["messages"][0] == {"role": "developer", "content": "Rules"}
    m = column.messages[0]
    r = client.post(f"/workbench/messages/{m['id']}", {"role": "developer", "content": "x"})
    assert r.status_code == 200
    assert stored(client).column().messages[0]["role"] == "developer"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("curl https://x/v1/chat/completions --data-binary @req.json", "read from the file"),
        ("curl https://x/v1/chat/completions -F f=@a", "sends a form or file (-F)"),
        ("http POST x.io/v1 model=m messages:=@m.json", "from a file. Import reads no files"),
        ("http POST x.io/v1 Accept:json", "but no body fields"),
        ("POST /v1/chat/completions HTTP/1.1\nHost: x.io\n", "Found an HTTP POST request to"),
        ("requests.post('https://x/v1')", "Found Python code (requests.post) to https://x/v1"),
        ("openai.chat.completions.create({model: f()})", "holds &#x27;f()&#x27;, which is not"),
    ],
)
def test_a_refusal_names_what_was_found_and_what_is_missing(client, draft, text, reason):
    r = client.post("/workbench/import", {"import_text": text})
    assert reason in r.content.decode()
