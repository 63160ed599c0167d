"""Tools: the parameters, tool calls streamed and kept, a tool's result added and sent."""

import json
import secrets

import pytest
from asgiref.sync import sync_to_async
from django.utils.datastructures import MultiValueDict

from tests.relay_helpers import connect, next_frame, reload, run_frame, start_draft, until_finished
from workbench.catalog.registry import get_catalog
from workbench.catalog.request import RequestError
from workbench.catalog.tools import TOOL_CHOICE, TOOLS
from workbench.chat import current
from workbench.chat.conversation import Column, message
from workbench.chat.forms import PanelForm
from workbench.chat.models import Draft
from workbench.library import exchange
from workbench.library.models import Session
from workbench.limits import TOOL_ARGUMENTS, TOOL_CALLS
from workbench.relay import frames
from workbench.relay.runs import Reply
from workbench.snippets.importing import parse_pasted

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
}
ARGUMENTS = '{"city": "Paris <b>&</b>", "days": [1, 2, 3]}'


def test_models_whose_output_includes_tools_take_tools_and_tool_choice():
    catalog = get_catalog()
    for model_id in ("fake-chat", "gpt-4.1", "gpt-4-1-mini-2025-04-14", "smollm2-135m-instruct"):
        params = dict(catalog.get(model_id).parameters())
        assert params["tools"]["title"] == "Tools" and "tool_choice" in params
    assert "tools" not in dict(catalog.get("6xyzj").parameters())


@pytest.mark.parametrize(
    ("prop", "value", "said"),
    [
        (TOOLS, [WEATHER], None),
        (TOOLS, [{"type": "function", "function": {"name": "a b"}}], "does not match"),
        (TOOLS, [{"type": "function", "function": {"name": "f", "parameters": 3}}], "object"),
        (TOOLS, {"not": "a list"}, "is not of type 'array'"),
        (TOOL_CHOICE, "auto", None),
        (TOOL_CHOICE, {"type": "function", "function": {"name": "get_weather"}}, None),
        (TOOL_CHOICE, "sometimes", "is not valid"),
    ],
)
def test_tools_and_tool_choice_are_checked_by_their_schema(prop, value, said):
    column = Column("fake-chat", parameters={prop["title"].lower().replace(" ", "_"): value})
    if said is None:
        assert column.request_body("Hi")["messages"][-1]["content"] == "Hi"
    else:
        with pytest.raises(RequestError) as refused:
            column.request_body("Hi")
        assert said in str(refused.value)


def conversation_with_a_tool_result() -> Column:
    turns = [
        message("user", "Weather in Paris?"),
        message("assistant", "", tool_calls=[CALL]),
        message("tool", '{"temp": 21}', tool_call_id="call_1"),
    ]
    return Column(
        "fake-chat", parameters={"tools": [WEATHER], "tool_choice": "auto"}, messages=turns
    )


def test_the_body_carries_calls_and_results_and_reads_back():
    column = conversation_with_a_tool_result()
    body = column.request_body()
    assert body["messages"][1:] == [
        {"role": "assistant", "content": None, "tool_calls": [CALL]},
        {"role": "tool", "content": '{"temp": 21}', "tool_call_id": "call_1"},
    ]
    assert body["tools"] == [WEATHER] and body["tool_choice"] == "auto"
    imported, pending = Column.from_body(parse_pasted(json.dumps(body)).body)
    assert pending == "" and imported.request_body() == body


@pytest.mark.parametrize(
    ("turn", "said"),
    [
        ({"role": "tool", "content": "21"}, "without the tool_call_id"),
        ({"role": "user", "content": "x", "tool_call_id": "c"}, "only a tool turn"),
        ({"role": "user", "content": "x", "tool_calls": [CALL]}, "only an assistant turn"),
        ({"role": "assistant", "content": None, "tool_calls": [{"id": "c"}]}, "not valid"),
    ],
)
def test_a_body_with_misplaced_tool_fields_is_refused(turn, said):
    answer = {"role": "assistant", "content": "a"}
    body = {"model": "fake-chat", "messages": [{"role": "user", "content": "q"}, turn, answer]}
    with pytest.raises(RequestError) as refused:
        Column.from_body(body)
    assert said in str(refused.value)


def posted(**values: str) -> MultiValueDict:
    data = {"model": "fake-chat", **{f"param-{k}": v for k, v in values.items()}}
    return MultiValueDict({k: [v] for k, v in data.items()})


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"tool_choice_kind": ""}, None),
        ({"tool_choice_kind": "required"}, "required"),
        (
            {"tool_choice_kind": "function", "tool_choice_name": "get_weather"},
            {"type": "function", "function": {"name": "get_weather"}},
        ),
    ],
)
def test_the_panel_puts_tool_choice_together(values, expected):
    panel = PanelForm(posted(**values)).panel()
    assert panel.errors == {} and panel.parameters["tool_choice"] == expected


def test_the_panel_reads_the_tools_list_and_refuses_a_bad_one_saying_where():
    panel = PanelForm(posted(tools=json.dumps([WEATHER]))).panel()
    assert panel.parameters["tools"] == [WEATHER]
    bad = [{"type": "function", "function": {"name": "get weather"}}]
    panel = PanelForm(posted(tools=json.dumps(bad))).panel()
    assert "tools" not in panel.parameters
    assert "at [0].function.name" in panel.errors["tools"]
    panel = PanelForm(posted(tool_choice_kind="function")).panel()
    assert panel.errors["tool_choice"] == "Name the function the model must call."


def test_the_panel_shows_what_is_stored():
    column = Column(
        "fake-chat",
        parameters={
            "tools": [WEATHER],
            "tool_choice": {"type": "function", "function": {"name": "f"}},
        },
    )
    form = PanelForm(column=column)
    tools = form["param-tools"].as_field_group()
    assert "&quot;get_weather&quot;" in tools and "Add a function" in tools
    choice = str(form["param-tool_choice"])
    assert '<option value="function" selected>' in choice and 'value="f"' in choice


def test_streamed_pieces_are_put_together_by_index():
    reply = Reply()
    first = {"index": 0, "id": "c0", "type": "function", "function": {"name": "f", "arguments": ""}}
    second = {"index": 1, "id": "c1", "function": {"name": "g", "arguments": '{"b"'}}
    for delta in (
        {"tool_calls": [first]},
        {"tool_calls": [second]},
        {"tool_calls": [{"index": 0, "function": {"arguments": '{"a": '}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": "1}"}}]},
        {"tool_calls": [{"index": 1, "function": {"arguments": ": 2}"}}, "odd", {"index": "x"}]},
        {"tool_calls": "not a list"},
    ):
        assert reply.read({"choices": [{"delta": delta}]}) == ("", "")
    assert [(c["id"], c["function"]) for c in reply.tool_calls.calls()] == [
        ("c0", {"name": "f", "arguments": '{"a": 1}'}),
        ("c1", {"name": "g", "arguments": '{"b": 2}'}),
    ]
    assert reply.first is not None  # a call is a first token too


def tool_block(seen: list[str], run_id: str) -> list[str]:
    return [f for f in seen if f.startswith(f'<div class="tool-calls" id="tools-{run_id}"')]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("stream", ["true", "false"])
async def test_a_tool_call_is_shown_as_it_streams_kept_and_continued_with_its_result(fake, stream):
    fake.configure(tool_call={"name": "get_weather", "arguments": ARGUMENTS}, content="It is 21")
    draft = await start_draft()
    comm = await connect(draft)
    tools = json.dumps([WEATHER])
    await comm.send_to(text_data=run_frame("Weather?", stream=stream, tools=tools))
    started = await next_frame(comm)
    run_id = frames.STARTED.search(started).group(1)
    assert f'id="tools-{run_id}"' in started  # the block waits, empty
    seen = await until_finished(comm)
    blocks = tool_block(seen, run_id)
    assert blocks and "get_weather" in blocks[-1]
    assert "Paris &lt;b&gt;&amp;&lt;/b&gt;" in blocks[-1]  # escaped, once
    finished = next(f for f in seen if frames.FINISHED.search(f))
    assert 'data-status="done"' in finished and "Result of get_weather" in finished
    assert "&lt;b&gt;" in finished and "<b>" not in finished.split("tool-arguments")[1][:200]
    answer = (await reload(draft)).column().messages[1]
    assert answer["content"] == "" and answer["tool_calls"][0]["function"]["arguments"] == ARGUMENTS
    assert answer["tool_calls"][0]["id"] == "call_fake_1"

    await sync_to_async(Draft.add_tool_result)(draft.browser, answer["id"], 0, '{"temp": 21}')
    await comm.send_to(text_data=run_frame("", stream=stream, tools=tools))  # an empty box
    seen = await until_finished(comm)
    assert any('data-status="done"' in f for f in seen)
    sent = fake.requests()[-1]["body"]["messages"]
    assert sent[1:] == [
        {"role": "assistant", "content": None, "tool_calls": answer["tool_calls"]},
        {"role": "tool", "content": '{"temp": 21}', "tool_call_id": "call_fake_1"},
    ]
    assert [m["content"] for m in (await reload(draft)).column().messages][-1] == "It is 21"
    await comm.disconnect()


@pytest.mark.django_db
def test_add_result_puts_it_after_the_answer_and_the_results_before_it(client):
    second = {**CALL, "id": "call_2"}
    turns = [message("user", "q"), message("assistant", "", tool_calls=[CALL, second])]
    draft = Draft.new(secrets.token_urlsafe(24))
    draft.columns = [Column("fake-chat", messages=turns).as_json()]
    draft.save()
    client.cookies[current.COOKIE] = draft.browser
    url = f"/workbench/messages/{turns[1]['id']}/result"
    assert client.post(f"{url}/1", {"tool_result-1": "two"}).status_code == 200
    page = client.post(f"{url}/0", {"tool_result-0": "one"}).content.decode()
    assert "Result of <code>get_weather</code>" in page and "Add result of" not in page
    stored = Draft.objects.get(pk=draft.pk).column().messages
    assert [(m["role"], m["content"], m.get("tool_call_id")) for m in stored[2:]] == [
        ("tool", "two", "call_2"),
        ("tool", "one", "call_1"),
    ]
    refused = client.post(f"{url}/5", {"tool_result-5": "x"})
    assert refused.status_code == 400 and "no longer exists" in refused.content.decode()
    empty = client.post(f"{url}/0", {"tool_result-0": " "})
    assert empty.status_code == 400 and "Write the tool's result first." in empty.content.decode()


@pytest.mark.django_db
def test_a_session_file_keeps_calls_and_results():
    column = conversation_with_a_tool_result()
    session = Session.objects.create(title="t", browser="b", columns=[column.as_json()])
    read = exchange.read_file(exchange.export_text(session).encode())
    turns = read.sessions[0].columns[0]["messages"]
    assert turns[1]["tool_calls"] == [CALL] and turns[2]["tool_call_id"] == "call_1"


def test_calls_without_end_are_kept_within_bounds():
    reply = Reply()
    piece = {"function": {"name": "f", "arguments": "x" * 1000}}
    for i in range(300):  # 300 calls of 1,000 characters each
        reply.read({"choices": [{"delta": {"tool_calls": [{**piece, "index": i}]}}]})
    calls = reply.tool_calls.calls()
    assert len(calls) == TOOL_CALLS
    assert sum(len(c["function"]["arguments"]) for c in calls) == TOOL_ARGUMENTS
    frame = frames.tool_calls("r1", calls)
    assert len(frame.encode()) < 1024 * 1024  # one frame a page can take
