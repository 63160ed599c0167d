"""What bounds a run and a socket: the run deadline, a page that stops reading,
sockets and runs per browser and per address, and answers too big for one frame."""

import asyncio
import html
import json

import httpx
import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import connect as ws_connect

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
from workbench.chat.markdown import RENDERER_VERSION
from workbench.limits import MARKDOWN_LIMIT, MAX_TEXT, OUT_CHUNK
from workbench.relay import frames
from workbench.relay.consumer import CLOSE_TRY_LATER
from workbench.relay.quotas import client_address

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_run_that_never_ends_stops_at_its_providers_deadline(fake):
    fake.configure(fault="keepalive")  # the upstream stays alive and never answers
    draft = await start_draft("fake-deadline")  # deadline = 1.5 s in tests/testenv.py
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame(model="fake-deadline"))
    await next_frame(comm)
    result = await until_finished(comm, timeout=10)
    assert status_of(result) == "error" and "the longest a run may take" in result[-1]
    records = await asyncio.to_thread(fake.wait_for, lambda r: r[0]["disconnected_at"], 3)
    assert records[0]["disconnected_at"] is not None
    assert (await reload(draft)).column().messages[-1]["status"] == "error"
    await comm.disconnect()


async def closed_with(comm, timeout: float = 5) -> int:
    """Read frames until the consumer closes the socket; its close code."""
    async with asyncio.timeout(timeout):
        while True:
            output = await comm.receive_output(timeout)
            if output["type"] == "websocket.close":
                return output["code"]


async def test_a_page_that_stops_reading_is_dropped_and_its_run_goes_on(fake, settings):
    settings.WORKBENCH_SOCKET_BACKLOG = 5_000
    settings.WORKBENCH_RUN_GRACE = 30
    fake.configure(tokens=400, rate=400)
    draft = await start_draft()
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame())
    assert await closed_with(comm) == CLOSE_TRY_LATER  # it never sent an ack
    async with asyncio.timeout(10):
        while (answer := (await reload(draft)).column().messages[-1])["status"] == "streaming":
            await asyncio.sleep(0.1)
    assert answer["status"] == "done" and answer["content"].count("tok") == 400
    await comm.disconnect()


async def test_a_page_that_acknowledges_what_it_read_is_kept(fake, settings):
    settings.WORKBENCH_SOCKET_BACKLOG = 12_000  # more than the last frame, less than them all
    fake.configure(tokens=400, rate=400)
    comm = await connect(await start_draft())
    await comm.send_to(text_data=run_frame())
    read = 0
    seen = []
    async with asyncio.timeout(15):
        while not seen or not frames.FINISHED.search(seen[-1]):
            seen.append(await comm.receive_from(5))
            read += len(seen[-1])
            await comm.send_to(text_data=json.dumps({"type": "ack", "read": read}))
    assert streamed_text(seen).count("tok") == 400
    assert read > settings.WORKBENCH_SOCKET_BACKLOG
    await comm.disconnect()


async def test_too_many_pages_of_one_browser_are_told_why(fake, settings):
    settings.WORKBENCH_MAX_SOCKETS_PER_BROWSER = 2
    draft = await start_draft()
    pages = [await connect(draft) for _ in range(2)]
    third = await connect(draft)
    notice = frames.NOTICE.search(await next_frame(third)).group(1)
    assert (
        "Too many open workbench pages" in notice and "WORKBENCH_MAX_SOCKETS_PER_BROWSER" in notice
    )
    assert await closed_with(third) == CLOSE_TRY_LATER
    await third.disconnect()
    await pages[0].disconnect()  # a page closed makes room
    again = await connect(draft)
    assert await again.receive_nothing(timeout=0.2)
    for page in (pages[1], again):
        await page.disconnect()


async def test_runs_per_address_are_capped(fake, settings):
    settings.WORKBENCH_MAX_RUNS_PER_ADDRESS = 1
    fake.configure(tokens=100, rate=50)
    first, second = await connect(await start_draft()), await connect(await start_draft())
    await first.send_to(text_data=run_frame())
    run_id = run_id_of(await next_frame(first))
    await second.send_to(text_data=run_frame())
    while not (notice := frames.NOTICE.search(await next_frame(second))):
        pass
    assert "Too many answers streaming for your address" in notice.group(1)
    await first.send_to(text_data=json.dumps({"type": "stop", "run": run_id}))
    await until_finished(first)
    fake.configure(tokens=5)
    await second.send_to(text_data=run_frame())  # the finished run gave its place back
    assert status_of(await until_finished(second)) == "done"
    for comm in (first, second):
        await comm.disconnect()


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("127.0.0.9", "203.0.113.5", "127.0.0.9"),  # not a trusted proxy: its header is ignored
        ("127.0.0.2", "203.0.113.5", "203.0.113.5"),
        ("127.0.0.2", "198.51.100.1, 203.0.113.5", "203.0.113.5"),  # the nearest hop counts
        ("127.0.0.2", "203.0.113.5, 127.0.0.3", "203.0.113.5"),  # through two proxies
        ("127.0.0.2", "", "127.0.0.2"),
    ],
)
def test_client_address_trusts_only_the_configured_proxies(settings, peer, forwarded, expected):
    settings.WORKBENCH_TRUSTED_PROXIES = ["127.0.0.2", "127.0.0.3"]
    scope = {"client": (peer, 5000), "headers": [(b"x-forwarded-for", forwarded.encode())]}
    assert client_address(scope) == expected


async def test_an_answer_too_big_for_one_frame_comes_in_pieces_and_whole(fake):
    size = 3 * OUT_CHUNK + 7  # plain text: longer than MARKDOWN_LIMIT too
    assert size > MARKDOWN_LIMIT
    fake.configure(content="x" * size)
    draft = await start_draft()
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame(stream=None))  # one reply holding it all
    await next_frame(comm)
    seen = await until_finished(comm)
    assert streamed_text(seen) == "x" * size
    assert max(len(f.encode()) for f in seen) < 6 * OUT_CHUNK + 1000
    tail = []
    while not await comm.receive_nothing(timeout=0.3):
        tail.append(await comm.receive_from())
    pieces = "".join(html.unescape(frames.MORE.match(f).group(2)) for f in tail)
    assert pieces == "x" * size  # the finished card's text follows it in pieces
    answer = (await reload(draft)).column().messages[-1]
    assert answer["content"] == "x" * size and answer["html_version"] == RENDERER_VERSION
    await comm.disconnect()


async def test_an_answer_is_rendered_once_and_an_edit_renders_it_again(client, fake):
    fake.configure(content="**bold**")
    draft = await start_draft()
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame())
    await until_finished(comm)
    await comm.disconnect()
    stored = await reload(draft)
    column = stored.column()
    answer = column.messages[-1]
    assert answer["html"] == "<p><strong>bold</strong></p>\n"
    answer["html"] = "<p>as stored</p>"  # a page shows what was rendered, not a new render
    stored.columns = [column.as_json()]
    await sync_to_async(stored.save)()
    client.cookies["workbench_browser"] = draft.browser
    page = (await sync_to_async(client.get)("/")).content.decode()
    assert "<p>as stored</p>" in page
    await sync_to_async(client.post)(
        f"/workbench/messages/{answer['id']}", {"role": "assistant", "content": "*new*"}
    )
    page = (await sync_to_async(client.get)("/")).content.decode()
    assert "<em>new</em>" in page and "as stored" not in page


async def test_the_longest_prompt_and_message_in_cjk_reach_real_daphne(live_server_url, fake):
    """200,000 CJK characters each: 1.2 MB of frame, over daphne's own 1 MiB default."""
    fake.configure(content="ok")
    async with httpx.AsyncClient(base_url=live_server_url) as http:
        cookies = (await http.get("/")).cookies
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    text = "漢" * MAX_TEXT
    frame = json.loads(run_frame(text))
    frame["system_prompt"] = text
    url = live_server_url.replace("http://", "ws://") + "/ws/relay"
    async with ws_connect(
        url, origin=live_server_url, additional_headers={"Cookie": cookie}, max_size=None
    ) as ws:
        await ws.send(json.dumps(frame, ensure_ascii=False))
        async with asyncio.timeout(20):
            while not frames.FINISHED.search(reply := await ws.recv()):
                assert not frames.NOTICE.search(reply) or 'id="run-' in reply, reply
    body = fake.requests()[0]["body"]
    assert body["messages"] == [
        {"role": "system", "content": text},
        {"role": "user", "content": text},
    ]


async def test_sockets_closed_by_either_side_give_their_place_back(fake, settings):
    from workbench.relay import quotas

    settings.WORKBENCH_MAX_SOCKETS_PER_BROWSER = 1
    draft = await start_draft()
    before = dict(quotas.SOCKETS_PER_ADDRESS.counts)
    for _ in range(3):  # one at a time: each has the browser's only place
        page = await connect(draft)
        assert await page.receive_nothing(timeout=0.1)
        await page.disconnect()
    assert dict(quotas.SOCKETS_PER_ADDRESS.counts) == before
    assert draft.browser not in quotas.SOCKETS_PER_BROWSER.counts
