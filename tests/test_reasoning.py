"""A reasoning model's thinking (``reasoning_content`` deltas): streamed into its own
folded block apart from the answer, kept with the answer, never sent back."""

import html
import json

import pytest
from asgiref.sync import sync_to_async

from tests.relay_helpers import (
    connect,
    next_frame,
    reload,
    run_frame,
    run_id_of,
    start_draft,
    streamed_text,
    until_finished,
)
from workbench.chat.models import Draft
from workbench.library import exchange
from workbench.library.models import Session
from workbench.relay import frames
from workbench.relay.runs import Reply

pytestmark = pytest.mark.django_db(transaction=True)
THOUGHT = "The user greets me, so I greet back."


def reasoning_of(seen: list[str], run_id: str) -> str:
    prefix = f'<span hx-swap-oob="beforeend:#reasoning-{run_id}">'
    return "".join(
        html.unescape(f[len(prefix) : -len("</span>")]) for f in seen if f.startswith(prefix)
    )


@pytest.mark.parametrize("stream", ["true", "false"])
async def test_reasoning_is_kept_apart_from_the_answer_and_never_sent_back(fake, stream):
    fake.configure(reasoning=THOUGHT, content="Hello to you")
    draft = await start_draft()
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame("Hello", stream=stream))
    started = await next_frame(comm)
    run_id = run_id_of(started)
    assert f'id="reasoning-{run_id}"' in started  # the block waits, folded and empty
    seen = await until_finished(comm)
    assert reasoning_of(seen, run_id) == THOUGHT and streamed_text(seen) == "Hello to you"
    finished = next(f for f in seen if frames.FINISHED.search(f))
    assert '<details class="reasoning"><summary>Reasoning</summary>' in finished
    assert html.escape(THOUGHT) in finished
    answer = (await reload(draft)).column().messages[1]
    assert (answer["content"], answer["reasoning"]) == ("Hello to you", THOUGHT)
    await comm.send_to(text_data=run_frame("And then?", stream=stream))
    await until_finished(comm)
    sent = fake.requests()[-1]["body"]["messages"]
    assert sent[1] == {"role": "assistant", "content": "Hello to you"}  # no reasoning
    await comm.disconnect()


async def test_a_page_that_attaches_gets_the_reasoning_so_far(fake):
    fake.configure(reasoning=" ".join(f"step{i}" for i in range(40)), content="done", rate=40)
    draft = await start_draft()
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame("Think"))
    run_id = run_id_of(await next_frame(comm))
    while "step3" not in reasoning_of([await next_frame(comm)], run_id):
        pass
    second = await connect(draft)
    await second.send_to(text_data=json.dumps({"type": "attach", "run": run_id}))
    seen = await until_finished(second)
    emptied = f'<div class="reasoning-text" id="reasoning-{run_id}" hx-swap-oob="true"></div>'
    after = seen[seen.index(emptied) + 1 :]
    assert reasoning_of(after, run_id) == " ".join(f"step{i}" for i in range(40))
    await comm.disconnect()
    await second.disconnect()


async def test_an_answer_left_empty_by_reasoning_says_what_to_change(fake):
    fake.configure(reasoning="long thoughts", content="")
    draft = await start_draft()
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame("Think hard"))
    seen = await until_finished(comm)
    assert "raise Max tokens to leave room for an answer" in frames.NOTICE.search(seen[-1]).group(1)
    await comm.disconnect()


def test_reasoning_is_read_from_either_field_and_only_as_text():
    reply = Reply()
    chunk = {"choices": [{"delta": {"reasoning_content": "a", "content": "x"}}]}
    assert reply.read(chunk) == ("x", "a")
    assert reply.read({"choices": [{"delta": {"reasoning": "b"}}]}) == ("", "b")
    assert reply.read({"choices": [{"delta": {"reasoning": {"not": "text"}}}]}) == ("", "")
    assert reply.pieces == 2  # a piece of reasoning counts as a token, as usage does


async def test_an_export_keeps_the_reasoning(fake):
    fake.configure(reasoning=THOUGHT, content="Hi")
    draft = await start_draft()
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame("Hello"))
    await until_finished(comm)
    await comm.disconnect()

    def round_trip() -> dict:
        stored = Draft.objects.get(pk=draft.pk)
        session = Session.objects.create(title="t", browser=stored.browser, columns=stored.columns)
        read = exchange.read_file(exchange.export_text(session).encode())
        return read.sessions[0].columns[0]["messages"][1]

    assert (await sync_to_async(round_trip)())["reasoning"] == THOUGHT
