"""Compare: columns in the draft, a compare link, and one run streaming every column."""

import asyncio
import json
import re

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.drafts import put_messages, stored
from tests.relay_helpers import connect, next_frame, reload, run_frame, start_draft
from workbench.chat.conversation import Column, message
from workbench.chat.models import MAX_COLUMNS, Draft, Panel, RefusedChange, Run
from workbench.library.models import Session
from workbench.relay import frames, runs
from workbench.sharing.models import Link


def regions(page: str) -> list[str]:
    return re.findall(r'role="region" aria-label="(Column \d+)"', page)


@pytest.mark.django_db
def test_a_compare_link_opens_one_column_per_model_and_stores_nothing(client):
    page = client.get("/workbench?model=6xyzj&model=9xyzj&model=6qyzj").content.decode()
    assert regions(page) == ["Column 1", "Column 2", "Column 3"]
    for index, model in enumerate(["6xyzj", "9xyzj", "6qyzj"]):
        select = re.search(
            rf'<select id="model-{index}" name="model-{index}">(.*?)</select>', page, re.S
        )
        assert select and f'value="{model}" selected' in select.group(1)
    assert page.count(">Stop column ") == 3 and 'aria-label="Conversation, column 3"' in page
    assert not Draft.objects.exists()  # a visit stores nothing
    # The first action (an autosave) stores the comparison the page shows.
    values = {
        "column": "0",
        "model-0": "6xyzj",
        "model-1": "9xyzj",
        "model-2": "6qyzj",
    }
    client.post(
        "/workbench/draft",
        {**values, "opened": ["6xyzj", "9xyzj", "6qyzj"]},
    )
    assert [c["model_id"] for c in stored(client).columns] == [
        "6xyzj",
        "9xyzj",
        "6qyzj",
    ]


@pytest.mark.django_db
def test_an_unknown_model_in_a_compare_link_is_a_404(client):
    response = client.get("/workbench?model=6xyzj&model=nope")
    assert response.status_code == 404 and "Unknown model" in response.content.decode()


@pytest.mark.django_db
def test_compare_copies_the_column_close_and_keep(client):
    draft = put_messages(client, message("user", "hi"), message("assistant", "hello"))
    browser = draft.browser
    draft = Draft.add_column(browser, 0)
    one, two = draft.column(0), draft.column(1)
    assert two.model_id == one.model_id and two.parameters == one.parameters
    assert [m["content"] for m in two.messages] == ["hi", "hello"]  # its own copy of the history
    assert {m["id"] for m in one.messages}.isdisjoint(m["id"] for m in two.messages)
    for _ in range(MAX_COLUMNS - 2):
        Draft.add_column(browser, 1)
    with pytest.raises(RefusedChange, match="at most 6"):
        Draft.add_column(browser, 0)
    draft = Draft.close_column(browser, 5)
    assert len(draft.columns) == MAX_COLUMNS - 1
    # Column 2 answers differently; keeping it gives every column its turns.
    column = draft.column(1)
    column.messages[-1]["content"] = "column two's answer"
    draft.columns[1] = column.as_json()
    draft.save()
    draft = Draft.keep_column(browser, 1)
    for index in range(len(draft.columns)):
        assert draft.column(index).messages[-1]["content"] == "column two's answer"
    for _ in range(len(draft.columns) - 1):
        draft = Draft.close_column(browser, 0)
    with pytest.raises(RefusedChange, match="last column"):
        Draft.close_column(browser, 0)


@pytest.mark.django_db
def test_a_page_older_than_its_columns_cannot_close_or_keep_one(client):
    """Tab B closed column 2; tab A still shows the old column 2 (now gone): its Close
    must not take out what is now column 2."""
    draft = put_messages(client, message("user", "hi"))
    for _ in range(2):
        draft = Draft.add_column(draft.browser, 0)
    seen = draft.revision  # what tab A shows
    models = [c["model_id"] for c in draft.columns]
    client.post("/workbench/columns/2/close", {"column": "0", "revision": str(seen)})  # tab B
    after_b = stored(client)
    assert len(after_b.columns) == 2 and after_b.revision > seen
    for action in ("close", "keep"):
        late = client.post(f"/workbench/columns/2/{action}", {"column": "0", "revision": seen})
        assert late.status_code == 400 and "out of date" in late.content.decode()
        assert stored(client).columns == after_b.columns  # nothing changed
    fresh = client.post("/workbench/columns/2/close", {"column": "0", "revision": after_b.revision})
    assert fresh.status_code == 204 and len(stored(client).columns) == 1
    assert models  # three columns were shown to begin with


@pytest.mark.django_db
def test_the_panel_edits_the_column_that_has_focus(client):
    draft = put_messages(client)
    Draft.add_column(draft.browser, 0)
    panel = Panel(
        model_id="9xyzj",
        system_prompt="Be terse.",
        parameters={"temperature": 0.3},
        column=1,
        models={0: "6xyzj", 1: "9xyzj"},
    )
    draft = Draft.save_panel(draft.browser, panel)
    one, two = draft.column(0), draft.column(1)
    assert (one.model_id, one.system_prompt, one.parameters.get("temperature")) == (
        "6xyzj",
        "",
        None,
    )
    assert (two.model_id, two.system_prompt, two.parameters["temperature"]) == (
        "9xyzj",
        "Be terse.",
        0.3,
    )
    # Focus on Column 2: the panel says so and shows its values; the API tab shows its code.
    page = client.get("/workbench?column=2").content.decode()
    assert "— Column 2" in page and "Be terse." in page
    api = client.get("/workbench/api?column=1").content.decode()
    assert "The code of Column 2" in api and "Be terse." in api
    # Moving the focus saves the panel for the column it showed, then shows the other's.
    reply = client.post(
        "/workbench/draft",
        {
            "column": "1",
            "model-0": "6xyzj",
            "model-1": "9xyzj",
            "system_prompt": "Terse!",
            "focus": "0",
        },
    ).content.decode()
    assert stored(client).column(1).system_prompt == "Terse!"
    assert 'id="panel-body"' in reply and "— Column 1" in reply


@pytest.mark.django_db
def test_column_buttons_redirect_to_the_page_at_the_column(client):
    put_messages(client)
    response = client.post("/workbench/columns/add", {"column": "0", "model": "fake-chat"})
    assert response.status_code == 204 and response["HX-Redirect"].endswith("?column=2#column-2")
    response = client.post("/workbench/columns/2/keep", {"column": "0", "model": "fake-chat"})
    assert response.status_code == 204
    response = client.post("/workbench/columns/1/close", {"column": "0", "model": "fake-chat"})
    assert response.status_code == 204 and len(stored(client).columns) == 1
    response = client.post("/workbench/columns/1/close", {"column": "0", "model": "fake-chat"})
    assert response.status_code == 400 and "last column" in response.content.decode()


@pytest.mark.django_db
def test_a_saved_session_keeps_every_column(client):
    draft = put_messages(client, message("user", "hi"), message("assistant", "hello"))
    Draft.add_column(draft.browser, 0)
    Draft.add_column(draft.browser, 0)
    client.post("/library/save", {"column": "0", "model": "fake-chat"})
    session = stored(client).session
    assert session is not None and len(session.columns) == 3
    assert session.columns == stored(client).columns


@pytest.mark.django_db
def test_a_share_link_and_an_export_keep_every_column(client):
    draft = put_messages(client, message("user", "hi"), message("assistant", "hello"))
    Draft.add_column(draft.browser, 0)
    column = Column.from_json(stored(client).columns[1])
    column.messages[-1]["content"] = "a different answer"  # column 2's own history
    fresh = stored(client)
    fresh.columns[1] = column.as_json()
    fresh.save()
    assert client.post("/links/share", {"column": "0", "model": "fake-chat"}).status_code == 200
    link = Link.objects.get()
    shared = Client().get(f"/s/{link.pk}").content.decode()
    assert "Column 1: Fake Chat" in shared and "Column 2: Fake Chat" in shared
    assert "a different answer" in shared and "hello" in shared
    exported = json.loads(client.get(f"/library/{link.session_id}/export").content)
    assert [c["messages"][-1]["content"] for c in exported["columns"]] == [
        "hello",
        "a different answer",
    ]
    other = Client()
    upload = SimpleUploadedFile("s.json", json.dumps(exported).encode(), "application/json")
    assert other.post("/library/import", {"file": upload}).status_code == 302
    imported = Session.objects.exclude(pk=link.session_id).get()
    assert [c["messages"][-1]["content"] for c in imported.columns] == [
        "hello",
        "a different answer",
    ]


async def compare_draft(*models: str) -> Draft:
    draft = await start_draft(models[0])

    def widen() -> Draft:
        fresh = Draft.objects.get(pk=draft.pk)
        fresh.columns = [c.as_json() for c in fresh.opened(list(models))]
        fresh.save()
        return fresh

    return await sync_to_async(widen)()


async def frames_until_all_finished(comm, count: int, timeout: float = 15) -> list[str]:
    seen: list[str] = []
    async with asyncio.timeout(timeout):
        while sum(1 for f in seen if frames.FINISHED.search(f)) < count:
            seen.append(await next_frame(comm, timeout))
    return seen


@pytest.mark.django_db(transaction=True)
async def test_one_run_streams_every_column_and_turn_two_sends_each_its_own_history(fake):
    fake.configure(
        models={
            "6xyzj": {"content": "alpha answer", "ttft": 0},
            "9xyzj": {"content": "beta answer", "ttft": 0.3},
            "6qyzj": {"fault": "http_500"},
        }
    )
    draft = await compare_draft("6xyzj", "9xyzj", "6qyzj")
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame("Hello", model="6xyzj"))
    started = await next_frame(comm)
    for target in ("#conversation", "#conversation-2", "#conversation-3"):
        assert f'hx-swap-oob="beforeend:{target}"' in started
    assert started.count(">Stop column ") == 3
    seen = await frames_until_all_finished(comm, 3)
    ended = [frames.FINISHED.search(f) for f in seen if frames.FINISHED.search(f)]
    assert sorted(m.group(1) for m in ended) == ["done", "done", "error"]
    last = [f for f in seen if frames.FINISHED.search(f)][-1]
    assert re.search(r'<button type="button" id="run"[^>]*>Run', last)
    assert 'id="run" class="primary" ws-send hx-vals=\'{"type": "run"}\'>' in last  # enabled
    fresh = await reload(draft)
    answers = [fresh.column(i).messages[-1] for i in range(3)]
    assert [a["content"] for a in answers[:2]] == ["alpha answer", "beta answer"]
    # The failing column keeps no answer (its reason was shown), only the user's turn.
    assert answers[2]["role"] == "user"
    assert "Column 3: No answer: " in next(f for f in seen if 'data-status="error"' in f)
    runs = await sync_to_async(lambda: sorted(Run.objects.values_list("column", flat=True)))()
    assert runs == [0, 1, 2]
    # Turn two: each model is sent its own previous answer.
    fake.configure(models={})
    await comm.send_to(text_data=run_frame("And then?", model="6xyzj"))
    await next_frame(comm)
    await frames_until_all_finished(comm, 3)
    bodies = {r["body"]["model"]: r["body"]["messages"] for r in fake.requests()}
    assert bodies["6xyzj"][1] == {"role": "assistant", "content": "alpha answer"}
    assert bodies["9xyzj"][1] == {"role": "assistant", "content": "beta answer"}
    assert [m["content"] for m in bodies["6qyzj"]] == [
        "Hello",
        "And then?",
    ]  # no error text
    await comm.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_stop_one_column_then_the_page_level_stop_ends_the_rest(fake):
    fake.configure(tokens=1000, rate=50)
    draft = await compare_draft("6xyzj", "9xyzj", "6qyzj")
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame("go", model="6xyzj"))
    started = await next_frame(comm)
    run_ids = re.findall(r'<article class="message" id="run-(\w+)"', started)
    assert len(run_ids) == 3
    await asyncio.to_thread(fake.wait_for, lambda r: len(r) == 3)  # every column is streaming
    await comm.send_to(text_data=json.dumps({"type": "stop", "run": run_ids[1]}))
    seen: list[str] = []
    async with asyncio.timeout(10):
        while not any(frames.FINISHED.search(f) for f in seen):
            seen.append(await next_frame(comm))
    first = frames.FINISHED.search([f for f in seen if frames.FINISHED.search(f)][0])
    assert first.groups() == ("stopped", run_ids[1])
    await comm.send_to(text_data='{"type": "stop", "run": "", "all": "1"}')
    await frames_until_all_finished(comm, 2)
    records = await asyncio.to_thread(
        fake.wait_for, lambda r: all(x["disconnected_at"] for x in r), 3
    )
    assert len(records) == 3 and all(r["disconnected_at"] for r in records)
    await comm.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_columns_ending_together_leave_run_enabled(fake, monkeypatch):
    """Two columns end at once; the first to be stored is slow to be sent (a viewer
    over the channel layer, a busy socket). Its frame, written while the other
    column still streamed, must not be the last the page gets."""
    fake.configure(content="same answer", ttft=0)
    real_broadcast = runs.RunStream._broadcast
    first: list[str] = []

    async def slow_first(stream, html, last=False):
        if frames.FINISHED.search(html) and not first:
            first.append(stream.id)
            await asyncio.sleep(0.3)  # the other column ends meanwhile
        await real_broadcast(stream, html, last)

    monkeypatch.setattr(runs.RunStream, "_broadcast", slow_first)
    draft = await compare_draft("6xyzj", "9xyzj")
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame("Hello", model="6xyzj"))
    await next_frame(comm)
    seen = await frames_until_all_finished(comm, 2)
    last = [f for f in seen if frames.FINISHED.search(f)][-1]
    assert frames.FINISHED.search(last).group(2) != first[0]  # the one stored last
    assert 'id="run" class="primary" ws-send hx-vals=\'{"type": "run"}\'>' in last  # enabled
    await comm.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_send_to_one_column_only(fake):
    fake.configure(content="just me", ttft=0)
    draft = await compare_draft("6xyzj", "9xyzj", "6qyzj")
    comm = await connect(draft)
    frame = json.loads(run_frame("Only you", model="6xyzj"))
    await comm.send_to(text_data=json.dumps({**frame, "only": "2"}))
    started = await next_frame(comm)
    assert 'hx-swap-oob="beforeend:#conversation-2"' in started
    assert "#conversation-3" not in started and 'beforeend:#conversation"' not in started
    assert "Answer started" in started
    await frames_until_all_finished(comm, 1)
    assert [r["body"]["model"] for r in fake.requests()] == ["9xyzj"]
    fresh = await reload(draft)
    assert [m["content"] for m in fresh.column(1).messages] == ["Only you", "just me"]
    assert fresh.column(0).messages == fresh.column(2).messages == []
    assert fresh.pending == ""
    # A column that is not there, or not a number: nothing is sent, the page is told why.
    for only in ("4", "0", "7", "x", "²", True, [2], -1):
        await comm.send_to(text_data=json.dumps({**frame, "message": "again", "only": only}))
        notice = await next_frame(comm)
        assert "Nothing was sent" in notice or "must be a column number" in notice
    assert len(fake.requests()) == 1
    await comm.disconnect()
