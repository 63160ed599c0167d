"""Hostile upstream replies: every run ends with a status, keeps its text and
tells the page, whatever shape the reply takes.

Each fault is a reply an OpenAI-compatible server (or a proxy in front of
one) really can send; tests/fake_upstream.py sends it on demand.
"""

import asyncio
import json

import pytest

from tests.fake_upstream import HUGE_TEXT
from tests.relay_helpers import (
    connect,
    delivered_text,
    next_frame,
    page_status,
    reply_to,
    run_ended_well,
    run_frame,
    run_id_of,
    start_draft,
    until_finished,
)
from workbench.relay import frames

pytestmark = pytest.mark.django_db(transaction=True)
TOKENS = "".join(f"tok{i} " for i in range(20))
DEADLINE = 1.5  # fake-deadline's, in tests/testenv.py


async def run_through(stream: bool = True) -> tuple[dict, list[str]]:
    """One run against the fake as configured: the stored answer (checked) and the frames."""
    draft = await start_draft()
    comm = await connect(draft)
    seen = await reply_to(comm, run_frame(stream="true" if stream else None))
    answer = await run_ended_well(draft, run_id_of(seen[0]), seen)
    assert await page_status(draft) == 200
    await comm.disconnect()
    return answer, seen


@pytest.fixture
def faulty(fake):
    """Configure the fake upstream with a fault: ``faulty("huge")``."""

    def configure(fault: str, **config) -> None:
        fake.configure(fault=fault, **config)

    return configure


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
async def test_content_as_a_list_of_parts_is_read_as_text(faulty, stream):
    faulty("content_parts")
    answer, _ = await run_through(stream)
    assert (answer["status"], answer["content"]) == ("done", TOKENS)


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
async def test_completion_tokens_as_a_string_still_ends_the_run(faulty, stream):
    faulty("usage_string")
    answer, _ = await run_through(stream)
    assert (answer["status"], answer["content"]) == ("done", TOKENS)


async def test_a_surrogate_pair_split_across_deltas_arrives_as_one_emoji(faulty):
    faulty("split_surrogate")
    answer, seen = await run_through()
    assert delivered_text(seen) == answer["content"] == "smile 😀 done"


async def test_lone_surrogates_become_replacement_characters(faulty):
    faulty("lone_surrogate")
    answer, _ = await run_through()
    assert answer["status"] == "done"
    assert answer["content"] == "a \ufffd b \ufffd c"


async def test_an_answer_over_a_mib_comes_in_frames_under_a_mib_and_is_stored_whole(faulty):
    # reply_to checks every frame's size; run_ended_well that the page got it all
    faulty("huge")
    answer, _ = await run_through()
    assert answer["status"] == "done" and answer["content"] == HUGE_TEXT


async def test_keepalives_forever_end_at_the_run_deadline(fake):
    """A server that keeps the connection alive but never answers is never
    caught by the read timeout: only a deadline on the whole run ends it."""
    fake.configure(fault="keepalive")
    draft = await start_draft("fake-deadline")  # its provider's deadline: 1.5 s
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame(model="fake-deadline"))
    try:
        answer, seen = await _until_end(comm, draft, timeout=DEADLINE + 5)
    finally:
        await comm.disconnect()
    assert answer["status"] == "error" and "the longest a run may take" in seen[-1]
    assert answer["content"] == "tok0 tok1 "  # the text so far is kept
    records = await _wait_closed(fake)
    assert records[0]["disconnected_at"] is not None  # and the upstream is let go


async def _until_end(comm, draft, timeout: float) -> tuple[dict, list[str]]:
    first = await next_frame(comm)
    seen = [first, *await until_finished(comm, timeout=timeout)]
    return await run_ended_well(draft, run_id_of(first), seen), seen


async def _wait_closed(fake) -> list[dict]:
    return await asyncio.to_thread(fake.wait_for, lambda r: r[0]["disconnected_at"], 2)


@pytest.mark.parametrize("fault", ["choices_not_list", "delta_not_dict"])
async def test_a_chunk_of_the_wrong_shape_ends_the_run_with_its_text_kept(faulty, fault):
    faulty(fault)
    answer, seen = await run_through()
    assert answer["status"] in ("done", "error")
    assert answer["content"].startswith("tok0 tok1 ")
    if answer["status"] == "error":
        assert 'class="run-error" role="alert"' in seen[-1]


async def test_finish_reasons_of_odd_types_are_shown_without_failing(faulty):
    faulty("finish_odd")
    answer, seen = await run_through()
    assert (answer["status"], answer["content"]) == ("done", TOKENS)
    json.dumps(answer["figures"], allow_nan=False)  # figures stay storable


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
async def test_a_200_with_an_empty_body_is_an_error(faulty, stream):
    faulty("empty_body")
    answer, seen = await run_through(stream)
    assert answer["status"] == "error" and "No answer: " in seen[-1]  # in the notice


async def test_a_stream_of_only_done_is_an_empty_answer(faulty):
    faulty("only_done")
    answer, seen = await run_through()
    assert answer["status"] == "error" and "empty answer" in seen[-1]


async def test_a_kept_alive_connection_closed_as_it_is_reused_costs_the_run_nothing(racer):
    """The keep-alive race: the upstream closes an idle connection just as the next
    run reuses it. The request goes again on a new connection; no error is shown."""
    draft = await start_draft("7qzjx")
    comm = await connect(draft)
    before = racer.requests
    for turn in ("first", "second", "third"):
        await comm.send_to(text_data=run_frame(turn, model="7qzjx"))
        seen = await until_finished(comm)
        answer = await run_ended_well(draft, run_id_of(seen[0]), seen)
        assert (answer["status"], answer["content"]) == ("done", "fine answer")
        assert not any(frames.NOTICE.search(f) and "No answer" in f for f in seen)
    assert racer.requests - before == 5  # runs 2 and 3 each met a closed connection first
    await comm.disconnect()
