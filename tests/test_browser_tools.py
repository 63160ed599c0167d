"""Tools in a real Chromium: the editor, a tool call streamed in pieces, its result, Run."""

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.axe import assert_none, violations
from tests.browser_helpers import ANSWER, open_workbench

pytestmark = pytest.mark.browser
ARGUMENTS = '{"city": "Paris", "unit": "celsius", "note": "<b>bold?</b>"}'


def test_a_tool_call_streams_in_and_a_result_continues_the_conversation(audited_page: Page, fake):
    page = audited_page
    fake.configure(
        tool_call={"name": "get_weather", "arguments": ARGUMENTS},
        content="It is 21 in Paris",
        rate=8,
    )
    open_workbench(page)
    page.get_by_text("More parameters").click()
    page.get_by_role("combobox", name="Example function").select_option(
        label="get_weather (a city)"
    )
    expect(page.get_by_role("textbox", name="Function name")).to_have_value("get_weather")
    page.get_by_role("button", name="Add function").click()
    expect(page.get_by_role("status").filter(has_text="Added get_weather")).to_be_visible()
    tools = page.get_by_role("textbox", name="Tools", exact=True)
    expect(tools).to_have_value(re.compile('"name": "get_weather"'))
    choice = page.get_by_role("combobox", name="Tool choice")
    function = page.get_by_role("textbox", name="Function to call")
    expect(function).to_be_hidden()  # only for "function: this one"
    choice.select_option("function")
    function.fill("get_weather")
    page.get_by_role("textbox", name="Message").fill("Weather in Paris?")
    page.get_by_role("tab", name="API").click()
    curl = page.get_by_role("tabpanel", name="cURL")
    expect(curl).to_contain_text('"tools": [')
    expect(curl).to_contain_text('"tool_choice": {')
    page.get_by_role("tab", name="Chat").click()

    page.get_by_role("button", name="Run").click()
    streaming = page.locator(f"{ANSWER}[data-status=streaming] .tool-call")
    expect(streaming).to_contain_text("get_weather")  # shown while its arguments stream in
    answer = page.locator(ANSWER).last
    expect(answer).to_have_attribute("data-status", "done")
    shown = answer.locator(".tool-arguments")
    expect(shown).to_have_text(json.dumps(json.loads(ARGUMENTS), indent=2))  # escaped, as text
    sent = fake.requests()[-1]["body"]
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert sent["tools"][0]["function"]["name"] == "get_weather"

    page.get_by_role("textbox", name="Result of get_weather").fill('{"temp": 21}')
    page.get_by_role("button", name="Add result of get_weather").click()
    result = page.locator("article[data-role=tool]")
    expect(result).to_contain_text('{"temp": 21}')
    expect(page.get_by_role("button", name="Add result of get_weather")).to_have_count(0)
    found = {}
    for scheme in ("light", "dark"):  # the call, its result, the editors, in both schemes
        page.emulate_media(color_scheme=scheme)
        found[scheme] = violations(page)
    assert_none(found)

    page.get_by_role("button", name="Run").click()  # the Message box is empty: continue
    last = page.locator(ANSWER).last
    expect(last).to_contain_text("It is 21 in Paris")
    expect(last).to_have_attribute("data-status", "done")
    turns = fake.requests()[-1]["body"]["messages"]
    assert turns[-1] == {"role": "tool", "content": '{"temp": 21}', "tool_call_id": "call_fake_1"}
    assert turns[-2]["tool_calls"][0]["function"]["arguments"] == ARGUMENTS

    page.reload()  # kept in the draft
    expect(page.locator("article[data-role=tool]")).to_contain_text('{"temp": 21}')
    expect(page.locator(ANSWER).first.locator(".tool-call")).to_contain_text("get_weather")
