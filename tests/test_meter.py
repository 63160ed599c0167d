"""The token and cost meter (GET /workbench/meter): prompt tokens of what Run would
send now, the context it takes, the prompt's cost and the most the answer can cost."""

import json
import re

import pytest
from django.test import Client

from tests.drafts import put_messages, stored
from workbench.catalog.registry import get_catalog
from workbench.chat.conversation import Column, message
from workbench.chat.meter import estimate, measure

pytestmark = pytest.mark.django_db


def shown(client: Client) -> str:
    html = client.get("/workbench/meter", {"column": "0"}).content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


def test_the_meter_grows_with_the_message_and_says_it_estimates():
    client = Client()
    put_messages(client, message("user", "hi"), message("assistant", "hello"))
    draft = stored(client)
    draft.pending = "x" * 40
    draft.save()
    short = shown(client)
    assert short.startswith("≈ ") and "prompt tokens" in short
    assert "% of the 4096-token context" in short and "no prices in the catalog" in short
    draft.pending = "x" * 400
    draft.save()
    longer = shown(client)
    count = lambda text: int(re.search(r"≈ (\d+) prompt", text).group(1))  # noqa: E731
    assert count(longer) - count(short) == 90  # 360 more characters, about 4 a token


def test_a_priced_model_shows_the_prompts_cost_and_the_most_the_answer_can_cost():
    column = Column("gpt-4.1", parameters={"max_tokens": 1000})
    meter = measure(column, "Hello there")
    prices = get_catalog().get("gpt-4.1").pricing
    assert not meter.exact and meter.prompt_tokens == estimate(
        [{"role": "user", "content": "Hello there"}]
    )
    assert meter.prompt_cost == pytest.approx(meter.prompt_tokens * prices["input"])
    assert meter.answer_cost == pytest.approx(1000 * prices["output"])
    unbounded = measure(Column("gpt-4.1"), "Hello there")
    assert unbounded.max_tokens == get_catalog().get("gpt-4.1").max_output_tokens


def test_nothing_to_send_shows_nothing():
    client = Client()
    put_messages(client)
    assert shown(client) == ""
    assert measure(Column("fake-chat", parameters={"temperature": 9}), "hi") is None


def test_the_real_usage_of_the_last_run_is_shown_beside_the_estimate():
    client = Client()
    figures = {"prompt_tokens": 12, "completion_tokens": 30}
    put_messages(client, message("user", "hi"), message("assistant", "yo", figures=figures))
    assert "last run: 12 in, 30 out" in shown(client)


def test_an_autosave_and_a_change_to_the_conversation_ask_the_meter_again():
    client = Client()
    put_messages(client, message("user", "hi"))
    saved = client.post("/workbench/draft", {"model": "fake-chat", "message": "more"})
    assert "meter" in json.loads(saved.headers["HX-Trigger"])
    cleared = client.post("/workbench/clear")
    assert "meter" in json.loads(cleared.headers["HX-Trigger"])


def test_a_model_a_link_chose_is_measured_before_it_is_stored():
    client = Client()
    put_messages(client, message("user", "hi"))
    assert "no prices in the catalog" in shown(client)
    html = client.get("/workbench/meter", {"column": "0", "model": "gpt-4.1"}).content.decode()
    assert "answer at most $" in html
    assert stored(client).column().model_id == "fake-chat"  # asking stores nothing
    unknown = client.get("/workbench/meter", {"column": "0", "model": "nope"}).content.decode()
    assert "no prices in the catalog" in unknown
