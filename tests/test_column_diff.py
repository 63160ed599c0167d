"""Compare's diff: two columns' last answers, word by word or as JSON, escaped."""

import re

import pytest
from django.test import Client

from tests.drafts import put_messages, stored
from workbench.chat.conversation import Column, Status, message
from workbench.chat.diff import diff

pytestmark = pytest.mark.django_db


def test_words_that_changed_are_marked_and_the_rest_is_kept():
    d = diff("The sea is calm today.", "The sea is rough today!")
    html = str(d.html)
    assert html.startswith("The sea is ")
    assert '<del><span class="visually-hidden">[removed: </span>calm' in html
    assert '<ins><span class="visually-hidden">[added: </span>rough' in html
    assert (d.removed, d.added, d.as_json) == (2, 2, False)  # the word and the full stop


def test_everything_is_escaped():
    html = str(diff("<b>x</b>", "<img src=x onerror=alert(1)>").html)
    tags = set(re.findall(r"</?([a-z]+)", html))
    assert tags <= {"del", "ins", "span"}, tags  # only the marks: the texts' tags are text
    assert "&lt;" in html and "onerror=alert" in html


def test_json_answers_are_compared_by_their_canonical_form():
    d = diff('{"b": 1, "a": [1, 2]}', '{"a": [1, 2],\n "b": 2}')
    assert d.as_json and d.removed == 1 and d.added == 1  # only b's line: key order is no change
    assert "&quot;b&quot;: 1" in str(d.html) and "&quot;b&quot;: 2" in str(d.html)
    assert not diff('"just a string"', '"another"').as_json  # scalars are words


def test_identical_answers_have_no_marks():
    d = diff("same", "same")
    assert str(d.html) == "same" and d.added == d.removed == 0


def two_columns(client: Client, first: str, second: str | None) -> None:
    put_messages(client, message("user", "hi"), message("assistant", first))
    draft = stored(client)
    column = Column.from_json(draft.columns[0])
    other = Column("fake-chat", parameters={"stream": True})
    other.messages = [message("user", "hi")]
    if second is not None:
        other.messages.append(message("assistant", second, Status.STOPPED))
    draft.columns = [column.as_json(), other.as_json()]
    draft.save()


def test_the_view_diffs_two_columns_last_answers():
    client = Client()
    two_columns(client, "red green blue", "red yellow blue")
    html = client.get("/workbench/columns/diff", {"first": "1", "second": "2"}).content.decode()
    assert 'role="region" aria-label="Difference"' in html
    assert "Column 1 (Fake Chat) → Column 2 (Fake Chat): 1 removed, 1 added." in html
    assert "green" in html and "yellow" in html and "different messages" not in html


def test_answers_to_different_messages_say_so():
    """After "Send to column 2 only", the last answers may answer different questions."""
    client = Client()
    two_columns(client, "red", "blue")
    draft = stored(client)
    second = Column.from_json(draft.columns[1])
    second.messages += [message("user", "and mountains?"), message("assistant", "grey")]
    draft.columns[1] = second.as_json()
    draft.save()
    html = client.get("/workbench/columns/diff", {"first": "1", "second": "2"}).content.decode()
    assert "They answer different messages (their last user messages differ)." in html


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ({"first": "1", "second": "1"}, "Pick two different columns."),
        ({"first": "1", "second": "3"}, "That column is closed: reload the page."),
        ({"first": "x", "second": "2"}, "Enter a whole number."),
        ({"first": "1"}, "This field is required."),
        ({"first": "0", "second": "2"}, "greater than or equal to 1"),
    ],
)
def test_a_bad_pick_says_why(query, said):
    client = Client()
    two_columns(client, "a", "b")
    response = client.get("/workbench/columns/diff", query)
    assert response.status_code == 200 and said in response.content.decode()


def test_a_column_without_an_answer_says_so():
    client = Client()
    two_columns(client, "an answer", None)
    html = client.get("/workbench/columns/diff", {"first": "1", "second": "2"}).content.decode()
    assert "Column 2 has no answer yet: Run first." in html


def test_the_compare_page_offers_the_diff():
    client = Client()
    two_columns(client, "a", "b")
    page = client.get("/workbench").content.decode()
    assert '<label for="diff_first">Diff column</label>' in page and ">Show diff</button>" in page


def test_standings_mark_the_fastest_and_the_cheapest_and_say_when_there_are_no_prices():
    client = Client()
    put_messages(client, message("user", "hi"))
    draft = stored(client)
    figures = [
        {"ttft_ms": 30, "total_ms": 900, "prompt_tokens": 10, "completion_tokens": 100},
        {"ttft_ms": 12, "total_ms": 1500, "prompt_tokens": 10, "completion_tokens": 50},
        {"ttft_ms": 50, "total_ms": 400, "prompt_tokens": 10, "completion_tokens": 20},
    ]
    columns = []
    for model, fig in zip(["gpt-4.1", "gpt-4.1-nano", "fake-chat"], figures, strict=True):
        column = Column(model, parameters={})
        column.messages = [message("user", "hi"), message("assistant", "x", figures=fig)]
        columns.append(column.as_json())
    draft.columns = columns
    draft.save()
    html = client.get("/workbench/columns/standings").content.decode()
    rows = re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)[1:]
    assert len(rows) == 3
    assert '12 ms <strong class="best">fastest</strong>' in rows[1]  # first token
    assert '400 ms <strong class="best">fastest</strong>' in rows[2]  # total
    # gpt-4.1: 10 × 0.000002 + 100 × 0.000008; nano: 10 × 0.0000001 + 50 × 0.0000004
    assert "$0.000820" in rows[0] and '$0.000021 <strong class="best">cheapest</strong>' in rows[1]
    assert "no prices in the catalog" in rows[2]
    assert "Last answers side by side" in client.get("/workbench").content.decode()


def test_standings_need_two_answers():
    client = Client()
    two_columns(client, "only one answer", None)
    html = client.get("/workbench/columns/standings").content.decode()
    assert 'id="standings"' in html and "<table" not in html


def test_the_line_above_the_columns_names_the_leaders():
    client = Client()
    put_messages(client, message("user", "hi"))
    draft = stored(client)
    figures = [{"ttft_ms": 30, "total_ms": 400}, {"ttft_ms": 12, "total_ms": 400}]
    draft.columns = [
        Column(model, parameters={}, messages=[message("assistant", "x", figures=fig)]).as_json()
        for model, fig in zip(["fake-chat", "fake-chat"], figures, strict=True)
    ]
    draft.save()
    page = client.get("/workbench").content.decode()
    summary = re.search(r'<div id="standings".*?<summary>(.*?)</summary>', page, flags=re.S)
    text = re.sub(r"<[^>]+>", "", summary.group(1))
    assert text == (
        "Side by side Fastest first token: Column 2 · Fastest in all: Column 1, Column 2 · "
        "Cheapest: no prices in the catalog"
    )
