"""The relay consumer against the fake upstream: streaming, Stop, errors, bad frames."""

import asyncio
import json
import time
from html.parser import HTMLParser

import pytest

from tests.relay_helpers import (
    connect,
    next_frame,
    reload,
    run_frame,
    run_id_of,
    start_draft,
    status_of,
    streamed_text,
    until_finished,
)
from workbench.relay.consumer import MAX_FRAME

pytestmark = pytest.mark.django_db(transaction=True)


async def test_run_streams_text_and_stores_the_answer(fake):
    fake.configure(tokens=30)
    draft = await start_draft()
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame("Hi there"))
    started = await next_frame(comm)
    assert 'hx-swap-oob="beforeend:#conversation"' in started and 'data-role="user"' in started
    assert "Hi there" in started and 'id="run-' in started
    assert (
        '<button type="button" id="stop" ws-send' in started
        and "disabled" not in started.split('id="stop"')[1].split(">")[0]
    )
    frames = await until_finished(comm)
    expected = "".join(f"tok{i} " for i in range(30))
    assert streamed_text(frames) == expected
    assert status_of(frames) == "done"
    stored = (await reload(draft)).messages
    assert stored[0] == {"role": "user", "content": "Hi there"}
    assert stored[1]["content"] == expected and stored[1]["status"] == "done"
    figures = stored[1]["figures"]
    assert figures["completion_tokens"] == 30 and figures["approximate"] is False
    assert figures["finish_reason"] == "stop" and figures["ttft_ms"] >= 0
    sent = fake.requests()[0]["body"]
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert sent["messages"] == [{"role": "user", "content": "Hi there"}]
    await comm.disconnect()


async def test_first_delta_at_once_later_ones_coalesced(fake):
    fake.configure(tokens=100, rate=1000)
    comm = await connect(await start_draft())
    await comm.send_to(text_data=run_frame())
    await next_frame(comm)
    frames = await until_finished(comm)
    deltas = [f for f in frames if "beforeend:#answer-" in f]
    assert deltas[0].count("tok") == 1  # the first piece went out alone
    assert len(deltas) < 100  # the rest were gathered into fewer frames
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


async def test_invalid_parameter_refuses_the_run_and_sends_nothing(fake):
    draft = await start_draft()
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame("keep me", temperature="3"))
    frame = await next_frame(comm)
    assert "Temperature must be at most 2." in frame and 'id="error-param-temperature"' in frame
    assert "Nothing was sent" in frame
    assert fake.requests() == []
    assert (await reload(draft)).pending == "keep me"  # the message is not lost
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
        ("not json", "Frame is not valid JSON."),
        ("[1, 2]", "Frame must be a JSON object."),
        ('{"type": "dance"}', "Unknown frame type &#x27;dance&#x27;"),
        ('{"message": "no type"}', "Unknown frame type None"),
        ('{"type": "stop", "run": "nope"}', "That run has already finished."),
        ("x" * (MAX_FRAME + 1), "Frame too large"),
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
    comm.scope["session"] = {}
    await comm.connect()
    await comm.send_to(text_data=run_frame())
    assert "reload the page" in await next_frame(comm)
    await comm.disconnect()


async def test_stop_closes_the_upstream_at_once_and_keeps_partial(fake):
    fake.configure(tokens=500, rate=50)
    draft = await start_draft()
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame())
    run_id = run_id_of(await next_frame(comm))
    await next_frame(comm)  # first text
    stopped_at = time.time()
    await comm.send_to(text_data=json.dumps({"type": "stop", "run": run_id}))
    frames = await until_finished(comm)
    assert status_of(frames) == "stopped"
    records = fake.wait_for(lambda r: r[0]["disconnected_at"], timeout=2)
    assert records[0]["disconnected_at"] - stopped_at < 1.0
    assert records[0]["completed"] is False
    answer = (await reload(draft)).messages[-1]
    assert answer["status"] == "stopped" and answer["content"].startswith("tok0 ")
    await comm.disconnect()


async def test_closing_the_socket_cancels_the_run_and_keeps_partial(fake):
    fake.configure(tokens=500, rate=50)
    draft = await start_draft()
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame())
    await next_frame(comm)
    await next_frame(comm)
    closed_at = time.time()
    await comm.disconnect()
    records = fake.wait_for(lambda r: r[0]["disconnected_at"], timeout=2)
    assert records[0]["disconnected_at"] - closed_at < 1.0
    answer = (await reload(draft)).messages[-1]
    assert answer["status"] == "stopped" and answer["content"]


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
    messages = (await reload(draft)).messages
    assert [m["content"] for m in messages] == ["Q", "second answer"]
    assert fake.requests()[0]["body"]["messages"] == [{"role": "user", "content": "Q"}]
    await comm.disconnect()


ERRORS = [
    (
        {"fault": "http_401"},
        "fake-chat",
        "Fake upstream refused the request (401): Incorrect API key provided.",
    ),
    ({"fault": "http_403"}, "fake-chat", "refused the request (403)"),
    (
        {"fault": "http_404"},
        "fake-chat",
        "does not know model &#x27;fake-chat&#x27; (404): The model does not exist.",
    ),
    (
        {"fault": "http_400"},
        "fake-chat",
        "rejected the request (400): Invalid value for &#x27;temperature&#x27;",
    ),
    (
        {"fault": "http_429"},
        "fake-chat",
        "rate-limiting requests (429): Rate limit reached for requests.. Retry after 7 s.",
    ),
    ({"fault": "http_500"}, "fake-chat", "had a server error (500)"),
    (
        {"fault": "http_503"},
        "fake-chat",
        "had a server error (503): The engine is currently overloaded.",
    ),
    ({"fault": "html_error"}, "fake-chat", "had a server error (502): &lt;html&gt;"),
    ({"tokens": 50, "rate": 100, "ttft": 0}, "fake-cut", "broke mid-answer"),
    ({"fault": "stall"}, "fake-chat", "stopped sending mid-answer: nothing for 2 s"),
    ({"fault": "no_done"}, "fake-chat", "The stream ended before the answer was complete."),
    ({"fault": "garbage"}, "fake-chat", "a line that is not SSE"),
    ({"fault": "bad_json"}, "fake-chat", "an event that is not JSON"),
    (
        {"fault": "error_event"},
        "fake-chat",
        "The model stopped with an error: Model overloaded mid-stream",
    ),
    ({"fault": "empty"}, "fake-chat", "The model returned an empty answer"),
    ({"ttft": 3}, "fake-chat", "sent nothing for 2 s"),
    ({}, "fake-nowhere", "Could not connect to Nowhere at http://127.0.0.1:"),
    ({}, "fake-keyed", "set the environment variable FAKE_KEYED_API_KEY"),
]


@pytest.mark.parametrize(("config", "model", "message"), ERRORS)
async def test_each_error_is_shown_where_the_answer_would_be(fake, cutter, config, model, message):
    fake.configure(**config)
    draft = await start_draft(model)
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame("Hi", model=model))
    await next_frame(comm)
    frames = await until_finished(comm)
    final = frames[-1]
    assert status_of(frames) == "error"
    assert 'class="run-error" role="alert"' in final and message in final
    answer = (await reload(draft)).messages[-1]
    assert answer["status"] == "error"
    if model == "fake-cut" or config.get("fault") in (
        "stall",
        "no_done",
        "garbage",
        "bad_json",
        "error_event",
    ):
        assert answer["content"].startswith("tok0")  # the partial answer is kept
        assert streamed_text(frames) == answer["content"]
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
    assert status_of(frames) == "error" and "a reply of an unexpected shape" in frames[-1]
    await comm.disconnect()
