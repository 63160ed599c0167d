"""The relay consumer against the fake upstream: streaming, Stop, errors, bad frames."""

import asyncio
import html
import json
import time
from html.parser import HTMLParser

import pytest
from asgiref.sync import sync_to_async

from tests.relay_helpers import (
    ERRORS,
    connect,
    next_frame,
    redis_layers,
    reload,
    run_frame,
    run_id_of,
    start_draft,
    status_of,
    streamed_text,
    streaming,
    turns,
    until_finished,
)
from workbench.chat.models import Run
from workbench.limits import MAX_FRAME_BYTES
from workbench.relay.frames import FINISHED, NOTICE, SNAPSHOT, TEXT
from workbench.relay.runs import FRAME_INTERVAL

pytestmark = pytest.mark.django_db(transaction=True)


async def test_run_streams_text_and_stores_the_answer(fake):
    fake.configure(tokens=30)
    draft = await start_draft()
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame("Hi there"))
    started = await next_frame(comm)
    assert 'hx-swap-oob="beforeend:#conversation"' in started and 'data-role="user"' in started
    assert "Hi there" in started and 'id="run-' in started
    assert 'id="meter-refresh" hidden hx-swap-oob="true"' in started  # the box was used up
    buttons = {a.get("id"): a for tag, a in elements(started) if tag == "button"}
    assert "disabled" not in buttons["stop"] and "disabled" in buttons["run"]
    frames = await until_finished(comm)
    expected = "".join(f"tok{i} " for i in range(30))
    assert streamed_text(frames) == expected
    assert status_of(frames) == "done"
    stored = turns(await reload(draft))
    assert stored[0] == {"role": "user", "content": "Hi there", "status": "done"}
    assert stored[1]["content"] == expected and stored[1]["status"] == "done"
    figures = (await reload(draft)).column().messages[1]["figures"]
    assert figures["completion_tokens"] == 30 and figures["approximate"] is False
    assert figures["finish_reason"] == "stop" and figures["ttft_ms"] >= 0
    sent = fake.requests()[0]["body"]
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert sent["messages"] == [{"role": "user", "content": "Hi there"}]
    await comm.disconnect()


async def test_first_delta_at_once_later_ones_coalesced(fake):
    # The pause after the first token: two tokens a millisecond apart could
    # otherwise land in one read on a busy machine, and be one piece.
    fake.configure(tokens=100, rate=1000, after_first=0.2)
    comm = await connect(await start_draft())
    await comm.send_to(text_data=run_frame())
    await next_frame(comm)
    began = time.monotonic()
    frames = await until_finished(comm)
    elapsed = time.monotonic() - began
    deltas = [f for f in frames if TEXT.match(f)]
    assert deltas[0].count("tok") == 1  # the first piece went out alone
    # then at most one frame per FRAME_INTERVAL, however fast the tokens come
    assert len(deltas) <= 2 + elapsed / FRAME_INTERVAL
    assert streamed_text(frames).count("tok") == 100
    await comm.disconnect()


async def test_exact_parameter_values_reach_the_upstream(fake):
    comm = await connect(await start_draft())
    await comm.send_to(
        text_data=run_frame(
            temperature="0", top_p="1", seed="0", stream=None, stop="END\nSTOP", max_tokens="5"
        )
    )
    await next_frame(comm)
    frames = await until_finished(comm)
    assert status_of(frames) == "done"
    body = fake.requests()[0]["body"]
    assert body["temperature"] == 0 and body["seed"] == 0 and body["top_p"] == 1
    assert body["stream"] is False and "stream_options" not in body
    assert body["stop"] == ["END", "STOP"] and body["max_tokens"] == 5
    await comm.disconnect()


@pytest.mark.parametrize(
    ("model", "params", "field", "reason"),
    [
        ("fake-chat", {"temperature": "3"}, "param-temperature", "Temperature must be at most 2."),
        ("fake-keyed", {}, "model", "set the environment variable FAKE_KEYED_API_KEY"),
    ],
    ids=["invalid parameter", "missing API key"],
)
async def test_a_refused_run_sends_nothing_and_stores_no_turn(fake, model, params, field, reason):
    draft = await start_draft(model)
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame("keep me", model=model, **params))
    frame = await next_frame(comm)
    assert reason in frame and f'id="error-{field}"' in frame
    assert "Nothing was sent" in frame
    assert fake.requests() == []
    draft = await reload(draft)
    assert turns(draft) == [] and draft.pending == "keep me"  # the message is not lost
    await comm.disconnect()


async def test_empty_conversation_is_refused_beside_message(fake):
    comm = await connect(await start_draft())
    await comm.send_to(text_data=run_frame(""))
    frame = await next_frame(comm)
    assert 'id="error-message"' in frame and "conversation is empty" in frame
    await comm.disconnect()


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ("not json", "The frame is not valid JSON at line 1, column 1: a value is missing"),
        ("[" * 100_000, "The frame is nested deeper than 100 levels."),
        ('{"message": "cut \\ud83d"}', "The frame holds a lone surrogate \\ud83d at message."),
        ('{"n": 1e999}', "too large to read"),
        ("[1, 2]", "Frame must be a JSON object."),
        ('{"type": "dance"}', "Unknown frame type &#x27;dance&#x27;"),
        ('{"message": "no type"}', "Unknown frame type None"),
        ('{"type": "stop", "run": "nope"}', "That run has already finished."),
        (
            '"' + "x" * MAX_FRAME_BYTES + '"',
            "The frame is longer than the limit of 4,194,304 bytes",
        ),
        (json.dumps({"type": "run", "model": "nope", "message": "x"}), "Unknown model"),
    ],
)
async def test_bad_frames_get_an_error_frame_and_the_socket_lives(fake, frame, reason):
    comm = await connect(await start_draft())
    await comm.send_to(text_data=frame)
    assert reason in await next_frame(comm)
    await comm.send_to(text_data=run_frame())
    await next_frame(comm)
    assert status_of(await until_finished(comm)) == "done"
    await comm.disconnect()


async def test_binary_frame_is_refused(fake):
    comm = await connect(await start_draft())
    await comm.send_to(bytes_data=b"\x00\x01")
    assert "Binary frames are not accepted" in await next_frame(comm)
    await comm.disconnect()


async def test_no_session_draft_is_told_to_reload(fake):
    from channels.testing import WebsocketCommunicator

    from workbench.relay.consumer import RelayConsumer

    comm = WebsocketCommunicator(RelayConsumer.as_asgi(), "/ws/relay")
    await comm.connect()  # no browser cookie
    await comm.send_to(text_data=run_frame())
    assert "reload the page" in await next_frame(comm)
    await comm.disconnect()


async def test_stop_closes_the_upstream_at_once_and_keeps_partial(fake):
    fake.configure(tokens=500, rate=50)
    draft = await start_draft()
    comm, run_id = await streaming(draft)
    stopped_at = time.time()
    await comm.send_to(text_data=json.dumps({"type": "stop", "run": run_id}))
    frames = await until_finished(comm)
    assert status_of(frames) == "stopped"
    assert "<dt>Finish reason</dt><dd>stopped</dd>" in frames[-1]  # not a bare dash
    records = fake.wait_for(lambda r: r[0]["disconnected_at"], timeout=2)
    assert records[0]["disconnected_at"] - stopped_at < 1.0
    assert records[0]["completed"] is False
    answer = turns(await reload(draft))[-1]
    assert answer["status"] == "stopped" and answer["content"].startswith("tok0 ")
    await comm.disconnect()


async def test_closed_page_leaves_the_run_going_for_the_grace_period(fake, settings):
    settings.WORKBENCH_RUN_GRACE = 0.5
    fake.configure(tokens=500, rate=50)
    draft = await start_draft()
    comm, _ = await streaming(draft)
    closed_at = time.time()
    await comm.disconnect()
    await asyncio.sleep(0.3)
    assert fake.requests()[0]["disconnected_at"] is None  # still streaming, nobody watching
    records = await asyncio.to_thread(fake.wait_for, lambda r: r[0]["disconnected_at"], 3)
    assert 0.5 <= records[0]["disconnected_at"] - closed_at < 1.5
    answer = (await wait_for_status(draft, "stopped"))[-1]
    assert answer["content"].startswith("tok0 ")


async def test_a_new_page_reattaches_to_the_live_run_and_gets_all_the_text(fake, settings):
    settings.WORKBENCH_RUN_GRACE = 5
    fake.configure(tokens=60, rate=40)
    draft = await start_draft()
    first, run_id = await streaming(draft)
    await first.disconnect()  # a reload: the page goes...
    await asyncio.sleep(0.3)
    second = await connect(draft)  # ...and comes back
    await second.send_to(text_data=json.dumps({"type": "attach", "run": run_id}))
    frames = await until_finished(second)
    [snapshot] = [m for f in frames if (m := SNAPSHOT.match(f))]
    assert snapshot.group(1) == run_id and "tok0 " in snapshot.group(2)
    after = frames[frames.index(snapshot.string) :]
    so_far = html.unescape(snapshot.group(2))
    assert so_far + streamed_text(after) == "".join(f"tok{i} " for i in range(60))
    stop = [f for f in frames if 'id="stop"' in f]
    assert stop and f'"run": "{run_id}"' in html.unescape(stop[0])  # Stop here stops it
    assert status_of(frames) == "done"
    assert fake.requests()[0]["completed"] is True
    await second.disconnect()


async def test_attach_to_a_run_that_ended_shows_its_answer(fake):
    fake.configure(content="all done")
    draft = await start_draft()
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame())
    run_id = run_id_of(await next_frame(comm))
    await until_finished(comm)
    await comm.send_to(text_data=json.dumps({"type": "attach", "run": run_id}))
    frame = await next_frame(comm)
    assert FINISHED.search(frame).groups() == ("done", run_id) and "all done" in frame
    await comm.disconnect()


@pytest.mark.parametrize("layer", ["in memory", "redis"])
async def test_stop_from_another_page_of_the_same_browser(fake, settings, layer):
    """Stop from another page closes the upstream within a second; on Redis too, where
    the pages wait for messages (a Stop sent to the run's channel is read at once,
    not only once some page of the process gets a message)."""
    if layer == "redis":
        settings.CHANNEL_LAYERS = redis_layers()
    fake.configure(tokens=500, rate=50)
    draft = await start_draft()
    first, second = await connect(draft), await connect(draft)
    await first.send_to(text_data=run_frame())
    run_id = run_id_of(await next_frame(first))
    await next_frame(first)
    await second.send_to(text_data=json.dumps({"type": "stop", "run": run_id}))
    records = await asyncio.to_thread(fake.wait_for, lambda r: r[0]["disconnected_at"], 1.0)
    assert records[0]["disconnected_at"] is not None
    assert status_of(await until_finished(first)) == "stopped"
    await first.disconnect()
    await second.disconnect()


async def test_another_browser_cannot_stop_or_follow_a_run(fake):
    fake.configure(tokens=100, rate=100)
    draft = await start_draft()
    owner, stranger = await connect(draft), await connect(await start_draft())
    await owner.send_to(text_data=run_frame())
    run_id = run_id_of(await next_frame(owner))
    for kind in ("stop", "attach"):
        await stranger.send_to(text_data=json.dumps({"type": kind, "run": run_id}))
        assert NOTICE.search(await next_frame(stranger))
    assert status_of(await until_finished(owner)) == "done"
    assert await stranger.receive_nothing(timeout=0.2)
    await owner.disconnect()
    await stranger.disconnect()


async def wait_for_status(draft, status: str, timeout: float = 5) -> list[dict]:
    async with asyncio.timeout(timeout):
        while (stored := turns(await reload(draft)))[-1]["status"] != status:
            await asyncio.sleep(0.05)
    return stored


async def test_second_run_while_streaming_is_refused(fake):
    fake.configure(tokens=200, rate=100)
    comm = await connect(await start_draft())
    await comm.send_to(text_data=run_frame())
    run_id = run_id_of(await next_frame(comm))
    await comm.send_to(text_data=run_frame("again"))
    while "still streaming" not in (frame := await next_frame(comm)):
        assert "beforeend" in frame
    await comm.send_to(text_data=json.dumps({"type": "stop", "run": run_id}))
    await until_finished(comm)
    await comm.disconnect()


async def test_regenerate_replaces_the_last_answer(fake):
    fake.configure(content="first answer")
    draft = await start_draft()
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame("Q"))
    await until_finished(comm)
    fake.configure(content="second answer")
    await comm.send_to(text_data=run_frame("", kind="regenerate"))
    await until_finished(comm)
    messages = turns(await reload(draft))
    assert [m["content"] for m in messages] == ["Q", "second answer"]
    assert fake.requests()[0]["body"]["messages"] == [{"role": "user", "content": "Q"}]
    await comm.disconnect()


@pytest.mark.parametrize(("config", "model", "message", "text_first"), ERRORS)
async def test_each_error_is_shown_where_the_answer_would_be(
    fake, cutter, config, model, message, text_first
):
    """After some text: an answer card with that text and the error. Before any: no
    answer (its card goes), the error in the notice, the user's turn kept."""
    fake.configure(**config)
    draft = await start_draft(model)
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame("Hi", model=model))
    run_id = run_id_of(await next_frame(comm))
    frames = await until_finished(comm)
    final = frames[-1]
    assert status_of(frames) == "error"
    run = await sync_to_async(Run.objects.get)(pk=run_id)
    assert run.status == "error" and message.split(":")[0] in html.escape(run.error)
    if text_first:
        assert 'class="run-error" role="alert"' in final and message in final
        answer = turns(await reload(draft))[-1]
        assert answer["status"] == "error"
        assert answer["content"].startswith("tok0")  # the partial answer is kept
        assert streamed_text(frames) == answer["content"]
    else:
        assert f'hx-swap-oob="delete:#run-{run_id}"' in final and "run-error" not in final
        assert message in NOTICE.search(final).group(1)
        assert "Regenerate sends it again" in final and "Total time" not in final
        assert turns(await reload(draft)) == [{"role": "user", "content": "Hi", "status": "done"}]
    await comm.disconnect()


async def test_a_page_that_follows_a_run_failed_before_text_is_told_so(fake):
    """A page attaching once the run has failed gets the same frame as its watchers."""
    fake.configure(fault="http_500")
    draft = await start_draft()
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame("Hi"))
    run_id = run_id_of(await next_frame(comm))
    await until_finished(comm)
    later = await connect(draft)
    await later.send_to(text_data=json.dumps({"type": "attach", "run": run_id}))
    frame = await next_frame(later)
    assert f'hx-swap-oob="delete:#run-{run_id}"' in frame
    assert "had a server error (500)" in NOTICE.search(frame).group(1)
    await comm.disconnect()
    await later.disconnect()


async def test_regenerate_after_a_failure_before_text_sends_the_kept_turn(fake):
    fake.configure(fault="http_503")
    draft = await start_draft()
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame("Hi"))
    await until_finished(comm)
    fake.configure(content="now it works")
    await comm.send_to(text_data=run_frame("", kind="regenerate"))
    assert status_of(await until_finished(comm)) == "done"
    assert [m["content"] for m in turns(await reload(draft))] == ["Hi", "now it works"]
    assert fake.requests()[0]["body"]["messages"] == [{"role": "user", "content": "Hi"}]
    await comm.disconnect()


async def test_local_server_down_says_how_to_start_it(fake):
    comm = await connect(await start_draft("smollm2-135m-instruct"))
    await comm.send_to(text_data=run_frame("Hi", model="smollm2-135m-instruct"))
    await next_frame(comm)
    final = (await until_finished(comm))[-1]
    assert "The local model server is not running" in final
    assert "python manage.py localmodel" in final
    await comm.disconnect()


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict]]:
    parser = TagCollector()
    parser.feed(html)
    return parser.tags


async def test_markup_from_the_model_is_rendered_inert(fake):
    payload = (
        "**bold** <script>alert(1)</script> <img src=x onerror=alert(2)> "
        '<a hx-get="/x" href="javascript:alert(3)">link</a> [ok](https://example.org) '
        "[bad](javascript:alert(4)) ![pic](https://example.org/p.png)"
    )
    fake.configure(content=payload)
    comm = await connect(await start_draft())
    await comm.send_to(text_data=run_frame())
    await next_frame(comm)
    frames = await until_finished(comm)
    answer = frames[-1].split('<div class="content">')[1].split("</div>")[0]
    found = elements("".join(frames[1:-1]) + answer)
    assert ("strong", {}) in found
    assert ("a", {"href": "https://example.org", "rel": "noopener noreferrer nofollow"}) in found
    for tag, attrs in found:
        assert tag not in ("script", "iframe", "style")
        assert not any(a.startswith(("on", "hx-", "ws-", "style")) for a in attrs if tag != "span")
        assert not any("javascript:" in (v or "") for v in attrs.values())
    assert "img" not in [tag for tag, _ in found]  # an image is a link: nothing fetched unasked
    image_link = {"href": "https://example.org/p.png", "rel": "noopener noreferrer nofollow"}
    assert ("a", image_link) in found
    await comm.disconnect()


async def test_many_runs_at_once_share_nothing(fake):
    """Several sockets streaming at once each get their own answer."""
    fake.configure(tokens=40, rate=400)
    comms = [await connect(await start_draft()) for _ in range(5)]
    for i, comm in enumerate(comms):
        await comm.send_to(text_data=run_frame(f"question {i}"))
    results = await asyncio.gather(*(until_finished(c) for c in comms))
    for frames in results:
        assert status_of(frames) == "done" and streamed_text(frames).count("tok") == 40
    for comm in comms:
        await comm.disconnect()


async def test_reply_of_unexpected_shape_ends_the_run_with_an_error(fake):
    fake.configure(fault="shapeless")
    comm = await connect(await start_draft())
    await comm.send_to(text_data=run_frame(stream=None))
    await next_frame(comm)
    frames = await until_finished(comm)
    assert status_of(frames) == "error" and "The reply is not JSON" in frames[-1]
    fake.configure(fault="odd_chunk")
    await comm.send_to(text_data=run_frame("again"))
    await next_frame(comm)
    frames = await until_finished(comm)
    assert (
        status_of(frames) == "error"
        and "unexpected shape" in frames[-1]
        or "is not an object" in frames[-1]
    )
    await comm.disconnect()


async def test_a_stop_that_lands_after_the_answer_ended_changes_nothing(fake, monkeypatch):
    """Stop and the end of an answer race: a Stop arriving while the last text
    is sent must not lose the answer (it was left "streaming" for ever)."""
    from workbench.relay.runs import RunStream

    flush = RunStream._flush

    async def stop_then_flush(self: RunStream) -> None:
        if not self._pulling:  # the upstream is done: this is the final flush
            self.stop()
        await flush(self)

    monkeypatch.setattr(RunStream, "_flush", stop_then_flush)
    fake.configure(content="all of it")
    draft = await start_draft()
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame())
    seen = await until_finished(comm)
    assert status_of(seen) == "done"
    assert turns(await reload(draft))[-1]["content"] == "all of it"
    await comm.disconnect()


async def test_each_run_ends_with_one_log_line_without_text_or_key(fake, caplog, monkeypatch):
    monkeypatch.setenv("FAKE_KEYED_API_KEY", "sk-planted-0123456789")
    fake.configure(content="secret answer text")
    draft = await start_draft("fake-keyed")
    comm = await connect(draft)
    with caplog.at_level("INFO", logger="workbench.relay.runs"):
        await comm.send_to(text_data=run_frame("secret question", model="fake-keyed"))
        await until_finished(comm)
    [line] = [r.getMessage() for r in caplog.records if " ended: " in r.getMessage()]
    assert "model=fake-keyed provider=fakekeyed outcome=done" in line and "tokens=" in line
    logged = caplog.text
    for secret in ("secret question", "secret answer", "sk-planted"):
        assert secret not in logged
    await comm.disconnect()
