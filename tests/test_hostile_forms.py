"""Hostile form posts: never a 500; a refused value is shown with its reason
beside its field while the rest of the panel is saved; the page still renders.

The test client skips CSRF, as a same-origin script would get past it.
"""

import re
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.drafts import put_messages, stored
from workbench.chat.conversation import message
from workbench.chat.forms import MAX_TEXT

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"
PANEL = {"model": "fake-chat", "panel_model": "fake-chat", "param-stream-shown": "1"}


@pytest.fixture
def ids(client) -> list[str]:
    """A browser whose draft holds a question and its answer."""
    draft = put_messages(client, message("user", "one"), message("assistant", "two"))
    return [m["id"] for m in draft.column().messages]


def state(client) -> tuple:
    draft = stored(client)
    return draft.columns, draft.pending, draft.revision


def error_beside(html: str, field: str) -> str:
    """The text of the reason shown beside ``field`` ("" if none)."""
    found = re.search(rf'id="error-{field}"[^>]*>([^<]*)<', html)
    return found.group(1).strip() if found else ""


def assert_page_renders(client) -> None:
    assert client.get("/").status_code == 200


def post_raw(client, url: str, body: bytes):
    return client.post(url, body, content_type=FORM, headers={"HX-Request": "true"})


def test_an_over_long_system_prompt_is_refused_beside_it_and_the_box_still_saved(client, ids):
    r = client.post(
        "/workbench/draft", {**PANEL, "system_prompt": "x" * (MAX_TEXT + 1), "message": "kept"}
    )
    assert r.status_code == 200
    assert "200" in error_beside(r.content.decode(), "system_prompt")
    draft = stored(client)
    assert draft.pending == "kept" and draft.column().system_prompt == ""
    assert_page_renders(client)


def test_an_over_long_message_is_refused_beside_it_and_the_panel_still_saved(client, ids):
    r = client.post(
        "/workbench/draft", {**PANEL, "system_prompt": "Be brief.", "message": "x" * (MAX_TEXT + 1)}
    )
    assert "200" in error_beside(r.content.decode(), "message")
    assert stored(client).column().system_prompt == "Be brief."
    assert_page_renders(client)


# (field, posted text): stored exactly, or refused with a reason beside the field.
TEXTS = [
    ("system_prompt", "a\x00b"),
    ("message", "a\x00b"),
    ("system_prompt", "\ufffe\uffff\u202e"),
    ("message", "😀" * 10),
]


@pytest.mark.parametrize(("field", "text"), TEXTS)
def test_odd_text_is_kept_exactly_or_refused_with_a_reason(client, ids, field, text):
    r = client.post("/workbench/draft", {**PANEL, "system_prompt": "", "message": "", field: text})
    assert r.status_code == 200
    draft = stored(client)
    kept = draft.pending if field == "message" else draft.column().system_prompt
    assert kept == text or error_beside(r.content.decode(), field)
    assert_page_renders(client)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("param-max_tokens", "9" * 5_000),
        ("param-max_tokens", "1e999"),
        ("param-temperature", "1e999"),
        ("param-temperature", "nan"),
        ("param-temperature", "-inf"),
        ("param-seed", "-" + "9" * 30),
        ("param-top_p", "0x10"),
    ],
)
def test_a_huge_or_odd_number_is_refused_beside_it_and_the_rest_saved(client, ids, field, value):
    r = client.post("/workbench/draft", {**PANEL, "message": "kept", field: value})
    assert r.status_code == 200
    assert error_beside(r.content.decode(), field)
    draft = stored(client)
    assert draft.pending == "kept" and field.removeprefix("param-") not in draft.column().parameters
    assert_page_renders(client)


def test_an_unknown_model_is_refused_beside_it_and_changes_nothing(client, ids):
    before = state(client)
    r = client.post("/workbench/draft", {**PANEL, "model": "nope", "message": "x"})
    assert r.status_code < 500 and "nope" in error_beside(r.content.decode(), "model")
    assert state(client) == before
    assert_page_renders(client)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"model=fake-chat&model=nope&message=a&message=b",
        b"model=%ED%A0%BD&message=%FF%FE%ED%A0%BD",
        b"model=fake-chat&system_prompt=%ED%A0%BD%ED%B8%80&message=%C0%80",
        b"model=fake-chat&revision=" + b"9" * 5_000,
        b"model=fake-chat&revision=-1&message=x",
        b"%ZZ=%ZZ&model=fake-chat&message=%",
        b"model=fake-chat&param-stop=%ED%A0%BD&param-stop-shown=1",
    ],
)
@pytest.mark.parametrize("url", ["/workbench/draft", "/workbench/messages/add", "/workbench/clear"])
def test_malformed_posts_never_fail(client, ids, url, body):
    r = post_raw(client, url, body)
    assert r.status_code < 500
    assert_page_renders(client)


@pytest.mark.parametrize(
    "data",
    [
        {"role": "user", "content": "x" * (MAX_TEXT + 1)},
        {"role": "user", "content": "a\x00b"},
        {"role": ["user", "wizard"], "content": "x"},
        {"content": "no role"},
        {},
    ],
    ids=["200001", "nul", "repeated-role", "no-role", "nothing"],
)
def test_a_refused_message_edit_says_why_and_changes_nothing(client, ids, data):
    before = state(client)
    r = client.post(f"/workbench/messages/{ids[0]}", data)
    assert r.status_code == 422 and r.content.strip()  # the form again, with its reasons
    assert state(client) == before
    assert_page_renders(client)


def test_another_browsers_message_cannot_be_edited(client, ids):
    from django.test import Client

    stranger = Client()
    stranger.get("/")
    r = stranger.post(f"/workbench/messages/{ids[0]}", {"role": "user", "content": "mine"})
    assert r.status_code == 400
    assert [m["content"] for m in stored(client).column().messages] == ["one", "two"]


def test_an_over_long_message_is_not_added(client, ids):
    before = state(client)
    r = client.post("/workbench/messages/add", {"message": "x" * (MAX_TEXT + 1)})
    assert r.status_code == 400 and "200" in r.content.decode()
    assert state(client) == before


@pytest.mark.parametrize(
    "body",
    [
        b"import_text=" + b"x" * (MAX_TEXT + 1),
        b"import_text=%ED%A0%BD%FF",
        b"import_text=a&import_text=" + quote_from_bytes(b'{"model":"fake-chat"}').encode(),
        b"",
        b"import_text=%00",
    ],
    ids=["200001", "bad-utf8", "repeated", "missing", "nul"],
)
def test_hostile_imports_are_refused_without_a_500(client, ids, body):
    before = state(client)
    r = post_raw(client, "/workbench/import", body)
    assert r.status_code in (200, 204)
    if r.status_code == 200:
        assert "Could not import" in r.content.decode() and state(client) == before
    assert_page_renders(client)


# Property: any urlencoded body, of fields the views know and any bytes, to
# any endpoint. Never a 500; the page renders; the conversation is as it was
# (none of these endpoints may change it from such input except Add and Clear).

FIELDS = ["model", "system_prompt", "message", "revision", "role", "content", "import_text"]
FIELDS += ["param-temperature", "param-stop", "param-max_tokens", "param-seed", "param-stream"]
PIECES = [b"\xed\xa0\xbd", b"\xff", b"\x00", b"9" * 400, b"1e999", b"nan", b"fake-chat", b"%"]
raw_values = st.lists(st.one_of(st.binary(max_size=12), st.sampled_from(PIECES)), max_size=4).map(
    b"".join
)
pairs = st.lists(
    st.tuples(st.one_of(st.sampled_from(FIELDS), st.text(max_size=8)), raw_values), max_size=6
)
URLS = ["/workbench/draft", "/workbench/messages/add", "/workbench/import", "/workbench/clear"]


def urlencoded(items: list[tuple[str, bytes]]) -> bytes:
    return b"&".join(
        quote_from_bytes(k.encode("utf-8", "surrogatepass")).encode()
        + b"="
        + quote_from_bytes(v).encode()
        for k, v in items
    )


@settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(url=st.sampled_from(URLS + ["/workbench/messages/{id}"]), items=pairs)
def test_any_post_answers_without_a_500_and_the_page_renders(client, ids, url, items):
    r = post_raw(client, url.format(id=ids[1]), urlencoded(items))
    assert r.status_code < 500
    assert_page_renders(client)
