"""Token probabilities: asked for where the provider returns them, kept with the
answer (bounded, read leniently), shown shaded with the alternatives, exported."""

import json
import math

import pytest
from asgiref.sync import sync_to_async

from tests.relay_helpers import connect, next_frame, reload, run_frame, start_draft, until_finished
from workbench.catalog.registry import get_catalog
from workbench.catalog.request import RequestError
from workbench.chat.conversation import Column
from workbench.chat.models import Draft
from workbench.library import exchange
from workbench.library.models import Session
from workbench.limits import LOGPROB_ALTERNATIVES, LOGPROB_TOKENS
from workbench.relay import frames
from workbench.relay.runs import Reply

WORDS = "one two three four five six"


async def answer_to(stream: str, **params) -> tuple[list[str], dict]:
    draft = await start_draft()
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame("Count", stream=stream, **params))
    await next_frame(comm)
    seen = await until_finished(comm)
    await comm.disconnect()
    return seen, (await reload(draft)).column().messages[-1]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("stream", ["true", "false"])
async def test_an_answer_keeps_each_tokens_probability_and_shows_it_shaded(fake, stream):
    fake.configure(content=WORDS)
    seen, answer = await answer_to(stream, logprobs="true", top_logprobs="2")
    assert fake.requests()[0]["body"]["logprobs"] is True
    tokens = answer["logprobs"]
    assert "".join(t[0] for t in tokens) == answer["content"] == WORDS
    assert [round(math.exp(t[1]), 4) for t in tokens] == [1, 0.5, 0.25, 0.125, 0.0625, 1]
    assert tokens[1][2][1][0] == "alt1"  # the alternative, after the token itself
    finished = next(f for f in seen if frames.FINISHED.search(f))
    assert "<summary>Token probabilities</summary>" in finished
    assert '<span class="tok p4" title="&#x27;one&#x27;: 100.0 %; instead: ' in finished
    assert "&#x27; two&#x27;: 50.0 %; instead: &#x27;alt1&#x27; 50.0 %" in finished


@pytest.mark.django_db(transaction=True)
async def test_without_logprobs_nothing_is_kept_or_shown(fake):
    seen, answer = await answer_to("true")
    assert "logprobs" not in fake.requests()[0]["body"] and "logprobs" not in answer
    assert "Token probabilities" not in next(f for f in seen if frames.FINISHED.search(f))


def test_logprobs_are_offered_where_the_provider_returns_them():
    catalog = get_catalog()
    offered = {
        m.id: "logprobs" in m.json_request_schema["properties"] for m in catalog.models.values()
    }
    assert offered["gpt-4.1"] and offered["smollm2-135m-instruct"] and offered["fake-chat"]
    assert not offered["gpt-4-1-2025-04-14"]  # Oxen's: not known to return them


def entry(token, logprob, *alternatives):
    return {"token": token, "logprob": logprob, "top_logprobs": list(alternatives)}


def test_logprobs_are_read_leniently_and_bounded():
    reply = Reply()
    odd = [
        entry("a", -0.5, entry("a", -0.5), {"token": 3}, entry("b", "x"), *[entry("c", -1)] * 9),
        {"token": "no logprob"},
        entry("nan", float("nan")),
        entry("big", 7),  # not a log probability: taken as certain
        "not an entry",
        entry("\ud800", -1),  # a lone surrogate is repaired
    ]
    reply.read({"choices": [{"delta": {"content": "x"}, "logprobs": {"content": odd}}]})
    reply.read({"choices": [{"delta": {}, "logprobs": "not an object"}]})
    assert [t[0] for t in reply.logprobs] == ["a", "big", "\ufffd"]
    assert reply.logprobs[1][1] == 0.0
    assert len(reply.logprobs[0][2]) == LOGPROB_ALTERNATIVES
    many = {"content": [entry("t", -1)] * (LOGPROB_TOKENS + 10)}
    reply.read({"choices": [{"delta": {"content": "y"}, "logprobs": many}]})
    assert len(reply.logprobs) == LOGPROB_TOKENS


@pytest.mark.django_db(transaction=True)
async def test_an_export_keeps_them_and_an_import_checks_them(fake):
    fake.configure(content=WORDS)
    draft = await start_draft()
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame("Count", logprobs="true", top_logprobs="1"))
    await until_finished(comm)
    await comm.disconnect()

    def exported() -> dict:
        stored = Draft.objects.get(pk=draft.pk)
        session = Session.objects.create(title="t", browser=stored.browser, columns=stored.columns)
        return json.loads(exchange.export_text(session))

    data = await sync_to_async(exported)()
    answer = data["columns"][0]["messages"][1]
    assert len(answer["logprobs"]) == 6
    read = exchange.read_file(json.dumps(data).encode())
    assert read.sessions[0].columns[0]["messages"][1]["logprobs"] == answer["logprobs"]
    for bad in ([["t", 0.5, []]], [["t", -1]], [["t", -1, [["u", -1]] * 6]], "no"):
        answer["logprobs"] = bad
        with pytest.raises(exchange.RefusedFile, match=r"messages\[1\]\.logprobs"):
            exchange.read_file(json.dumps(data).encode())


def test_top_logprobs_without_logprobs_is_refused_before_sending():
    column = Column("fake-chat", parameters={"logprobs": False, "top_logprobs": 2})
    with pytest.raises(RequestError) as refused:
        column.request_body("hi")
    assert refused.value.errors == {
        "top_logprobs": "Top log probabilities needs Log probabilities on"
    }
    column.parameters["logprobs"] = True
    assert column.request_body("hi")["top_logprobs"] == 2
