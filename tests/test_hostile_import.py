"""Import never fails with a 500: hostile pastes are refused with a reason, and
what is imported can always be stored and shown."""

import json
import logging
import shlex
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.drafts import put_messages, stored
from workbench.catalog.request import RequestError
from workbench.chat.conversation import Column
from workbench.chat.conversation import message as turn
from workbench.snippets import importing
from workbench.snippets.generate import js_template
from workbench.snippets.importing import parse_pasted
from workbench.snippets.pasted import UnreadableSnippet
from workbench.text import MAX_BYTES


def body_with(**fields) -> str:
    body = {"model": "fake-chat", "messages": [{"role": "user", "content": "hi"}], **fields}
    return json.dumps(body)


def max_tokens(number: str) -> str:
    return body_with(max_tokens=0).replace('"max_tokens": 0', f'"max_tokens": {number}')


LAUGHS_PY = "a0 = ['lol']\n" + "".join(f"a{i} = [a{i - 1}, a{i - 1}]\n" for i in range(1, 40))
LAUGHS_JS = "const a0 = ['lol'];\n" + "".join(
    f"const a{i} = [a{i - 1}, a{i - 1}];\n" for i in range(1, 40)
)

HOSTILE = [
    (  # each variable doubles the last: 2**39 values from 2 kB of text
        LAUGHS_PY + "requests.post(u, json={'model': 'm', 'messages': a39})",
        "The Python code builds a body too large to import.",
    ),
    (
        LAUGHS_JS + "fetch(u, { body: JSON.stringify({ messages: a39 }) });",
        "The JavaScript builds a body too large to import.",
    ),
    (  # a variable that names itself
        "const body = { messages: body };\nfetch(u, { body: JSON.stringify(body) });",
        "which is not a plain value",
    ),
    ("fetch(u, { body: " + "[" * 90_000 + "]" * 90_000 + " });", "nested deeper than 100 levels"),
    (  # an operator chain nests without brackets: tree-sitter and the walk have no recursion
        "fetch(u, { body: JSON.stringify(" + "1+" * 100_000 + "1) });",
        "which is not a plain value",
    ),
    (
        "openai.chat.completions.create({ model: 'm', messages: [], max_tokens: 1"
        + "0" * 20_000
        + " });",
        "The JavaScript holds a number with 20,001 digits.",
    ),
    (  # a file is named, never read
        "curl http://x --json @/etc/passwd",
        "whose body is read from the file &#x27;@/etc/passwd&#x27;",
    ),
    ("http POST x.io model=@/etc/passwd", "reads &#x27;model=@/etc/passwd&#x27; from a file"),
    (
        "POST /v1 HTTP/1.1\nHost: x\n\n" + "[" * 90_000 + "]" * 90_000,
        "The pasted text is nested deeper than 100 levels.",
    ),
    (  # stored, then every page load failed encoding it
        '{"model":"fake-chat","messages":[{"role":"user","content":"hi"},'
        '{"role":"assistant","content":"cut emoji \\ud83d"}]}',
        "The pasted text holds a lone surrogate \\ud83d at messages[1].content.",
    ),
    ("[" * 90_000 + "]" * 90_000, "The pasted text is nested deeper than 100 levels."),
    ('{"a":' * 30_000 + "1" + "}" * 30_000, "The pasted text is nested deeper than 100 levels."),
    ("payload = {[1]: 2}", "payload cannot be read: a key must be a string."),
    ("payload = " + "-" * 100_000 + "1", "The Python code is too deeply nested to read."),
    ("payload = 1" + "+1" * 90_000, "The Python code is too deeply nested to read."),
    (
        'const body = {"model": oops};\nawait fetch(url, {method: "POST", body});',
        "The fetch body holds &#x27;oops&#x27;, which is not a plain value",
    ),
    (max_tokens("9" * 20_000), "The pasted text holds a number with 20,000 digits"),
    (max_tokens("9" * 30), "Max tokens must be between -9223372036854775808 and"),
    (  # Python reads a hex literal of any size; the int could then not be saved
        "payload = {'model': 'fake-chat', 'messages': [{'role': 'user', 'content': 'hi'}],"
        f" 'max_tokens': 0x{'f' * 20_000}}}",
        "Max tokens must be between",
    ),
    (max_tokens("NaN"), "The pasted text holds NaN, which JSON has no place for."),
    (
        "curl http://x -d " + shlex.quote(body_with(stop=["\ud83d"])),
        "The cURL command&#x27;s -d data holds a lone surrogate \\ud83d at stop[0].",
    ),
    (
        "payload = {'model': 'fake-chat', 'messages': [{'role': 'user', 'content': '\\udc80'}]}",
        "The request body holds a lone surrogate \\udc80 at messages[0].content.",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "reason"), HOSTILE)
def test_hostile_paste_is_refused_with_a_reason_and_pages_still_load(client, text, reason):
    before = put_messages(client, turn("user", "keep me")).columns
    r = client.post("/workbench/import", {"import_text": text})
    assert r.status_code == 200
    assert reason in r.content.decode()
    assert stored(client).columns == before
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_emoji_pairs_import_and_show_and_nul_is_refused(client):
    client.get("/")
    text = body_with(messages=[{"role": "user", "content": "😀"}])
    assert "\\ud83d\\ude00" in text  # json writes the pair as two escapes; reading joins them
    r = client.post("/workbench/import", {"import_text": text})
    assert r.status_code == 204
    assert stored(client).pending == "😀"
    page = client.get("/")
    assert page.status_code == 200 and "😀" in page.content.decode()
    nul = body_with(
        messages=[{"role": "assistant", "content": "\x00"}, {"role": "user", "content": "x"}]
    )
    r = client.post("/workbench/import", {"import_text": nul})
    assert "null character (U+0000)" in r.content.decode()  # PostgreSQL could not keep it
    assert stored(client).pending == "😀"


def test_a_reader_bug_is_logged_without_the_paste_and_explained(monkeypatch, caplog):
    def broken(text: str) -> dict:
        raise KeyError(text)  # an exception's message may hold the paste

    monkeypatch.setattr(importing, "from_curl", broken)
    with (
        caplog.at_level(logging.WARNING, logger="workbench.snippets.importing"),
        pytest.raises(UnreadableSnippet, match="could not be read as a request"),
    ):
        parse_pasted("curl -d 'my secret prompt' http://x")
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    logged = record.getMessage()
    assert "KeyError" in logged and "in broken" in logged  # type and traceback
    assert "secret" not in logged


def test_paste_size_is_capped_in_bytes():
    with pytest.raises(UnreadableSnippet, match="longer than the limit of 1,000,000 bytes"):
        parse_pasted(body_with(messages=[{"role": "user", "content": "é" * (MAX_BYTES // 2)}]))


def test_largest_paste_is_read_fast():
    """Each reader on a paste just under the size limit: answered in seconds, not minutes."""
    content = "x" * (MAX_BYTES - 200)
    body = body_with(messages=[{"role": "user", "content": content}])
    for text in (
        body,
        "curl http://x -d " + shlex.quote(body),
        f"payload = {body}",
        f'const body = {js_template(body)};\nfetch(url, {{ method: "POST", body }});',
    ):
        started = time.monotonic()
        assert parse_pasted(text).body["messages"][0]["content"] == content
        assert time.monotonic() - started < 3


# Hypothesis: hostile text, and JSON-ish text with what json.dumps never writes.

PIECES = [
    *"\"'\\`{}[]():,-$ \n\x00",
    "\ud83d",
    "\ude00",
    "\\ud83d",
    "\\ude00",
    "\\u0000",
    "NaN",
    "Infinity",
    "1e999",
    "9" * 5000,
    "0x" + "f" * 5000,
    "true",
    "null",
    "${x}",
    "-d",
    "fetch(",
    "JSON",
    "const body = ",
    "payload = ",
    "[" * 200,
    "😀",
]
hostile_text = st.lists(
    st.one_of(st.sampled_from(PIECES), st.characters(codec=None, exclude_categories=())),
    max_size=30,
).map("".join)

SCALARS = [
    "null",
    "true",
    "false",
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "-0",
    "0.5",
    '"fake-chat"',
    '"user"',
    '"\\ud83d"',
    '"\\ude00\\ud83d"',
    '"\\ud83d\\ude00"',
    '"\\u0000"',
    "9223372036854775808",
]
scalars = st.one_of(
    st.sampled_from(SCALARS),
    st.integers().map(str),
    st.integers(20, 30_000).map(lambda n: "9" * n),
    st.floats().map(lambda f: json.dumps(f)),
    hostile_text.map(json.dumps),  # lone surrogates as \\u escapes
    hostile_text.map(lambda s: json.dumps(s, ensure_ascii=False)),  # and as themselves
)
KEYS = ["model", "messages", "role", "content", "temperature", "max_tokens", "seed", "stop"]
keys = st.one_of(st.sampled_from(KEYS + ["stream", "top_k", "stream_options"]), hostile_text)


def json_object(pairs: list[tuple[str, str]]) -> str:  # duplicate keys kept
    return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{v}" for k, v in pairs) + "}"


values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda xs: "[" + ",".join(xs) + "]"),
        st.lists(st.tuples(keys, inner), max_size=4).map(json_object),
    ),
    max_leaves=12,
)
deep = st.tuples(st.integers(50, 3000), st.sampled_from([("[", "]"), ('{"a":', "}")])).map(
    lambda t: t[1][0] * t[0] + "1" + t[1][1] * t[0]
)
message = st.tuples(values, values).map(lambda rc: f'{{"role":{rc[0]},"content":{rc[1]}}}')
messages = st.one_of(st.lists(message, max_size=3).map(lambda ms: "[" + ",".join(ms) + "]"), deep)
bodies = st.one_of(
    st.lists(
        st.one_of(
            st.just(("model", '"fake-chat"')),
            st.tuples(st.just("messages"), messages),
            st.tuples(keys, st.one_of(values, deep)),
        ),
        max_size=6,
    ).map(json_object),
    values,  # non-object top levels
    deep,
)
FORMS = [
    lambda b: b,
    lambda b: "curl http://x -d " + shlex.quote(b),
    lambda b: f"payload = {b}",
    lambda b: f"const body = {js_template(b)};\nfetch(url);",
    lambda b: f"const body = {b};\nawait fetch(url);",
]
PREFIXES = ["", "{", "curl -d ", "payload = ", "const body = `", "fetch(x); const payload = {"]


def imports_cleanly_or_refuses(text: str) -> None:
    """What Import does: read, fit to the model, keep; nothing but a refusal may fail."""
    try:
        column, pending = Column.from_body(parse_pasted(text).body)  # checked against the model
        body = column.request_body(pending)
    except (UnreadableSnippet, RequestError):
        return
    kept = [body, column.as_json(), pending]
    json.dumps(kept, ensure_ascii=False, allow_nan=False).encode("utf-8")


PROPERTY = settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(prefix=st.sampled_from(PREFIXES), text=hostile_text)
def test_any_text_imports_cleanly_or_is_refused(prefix, text):
    imports_cleanly_or_refuses(prefix + text)


@PROPERTY
@given(form=st.sampled_from(FORMS), body=bodies)
def test_any_jsonish_body_imports_cleanly_or_is_refused(form, body):
    imports_cleanly_or_refuses(form(body))
