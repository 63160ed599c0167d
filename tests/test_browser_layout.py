"""Where things are on screen: the conversation follows answers, and on phones and
tablets Message and Run are on the first screen."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser_helpers import ANSWER, open_workbench, run

pytestmark = pytest.mark.browser

AT_BOTTOM = "el => el.scrollHeight - el.scrollTop - el.clientHeight <= 48"


def test_conversation_follows_the_answer_until_the_reader_scrolls_up(page: Page, fake):
    page.set_viewport_size({"width": 1024, "height": 600})
    fake.configure(tokens=3000, rate=200)
    open_workbench(page)
    run(page, "a long answer")
    log = page.get_by_role("log", name="Conversation")
    streaming = page.locator(f"{ANSWER}[data-status=streaming]")
    expect(streaming).to_contain_text("tok400")
    assert log.evaluate("el => el.scrollHeight > 2 * el.clientHeight")
    assert log.evaluate(AT_BOTTOM)  # followed while it grew

    log.evaluate("el => el.scrollTo(0, 0)")
    jump = page.get_by_role("button", name="Jump to latest")
    expect(jump).to_be_visible()
    expect(streaming).to_contain_text("tok800")
    assert log.evaluate("el => el.scrollTop") == 0  # no longer followed

    jump.click()
    expect(jump).to_be_hidden()
    assert log.evaluate(AT_BOTTOM)
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()
    page.get_by_role("button", name="Stop").click()
    expect(page.locator(f"{ANSWER}[data-status=stopped]")).to_have_count(1)

    page.reload()  # opens at the latest turn
    expect(page.locator(f"{ANSWER}[data-status=stopped]")).to_have_count(1)
    assert page.get_by_role("log", name="Conversation").evaluate(AT_BOTTOM)


@pytest.mark.parametrize("size", [(390, 844), (768, 1024)], ids=["phone", "tablet"])
def test_message_and_run_are_on_the_first_screen(page: Page, fake, size):
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    open_workbench(page)
    for control in (
        page.get_by_role("textbox", name="Message"),
        page.get_by_role("button", name="Run"),
    ):
        expect(control).to_be_in_viewport(ratio=1)
    parameters = page.get_by_role("button", name="Parameters")
    expect(parameters).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("combobox", name="Model")).to_be_hidden()
    # one column: the folded panel sits above the chat, not beside it
    box = page.get_by_role("textbox", name="Message").bounding_box()
    assert box["width"] > 0.8 * width
    parameters.click()
    expect(page.get_by_role("combobox", name="Model")).to_be_visible()


def test_on_a_phone_the_page_is_the_one_scroll_area_and_run_stays_in_reach(page: Page, fake):
    page.set_viewport_size({"width": 390, "height": 844})
    fake.configure(tokens=600, rate=300)
    open_workbench(page)
    run(page, "a long answer")
    expect(page.locator(f"{ANSWER}[data-status=done]")).to_have_count(1, timeout=15_000)
    assert page.evaluate("document.scrollingElement.scrollHeight > 2 * innerHeight")
    assert page.get_by_role("log", name="Conversation").evaluate(
        "el => el.scrollHeight === el.clientHeight"
    )
    assert page.evaluate(f"({AT_BOTTOM})(document.scrollingElement)")
    page.evaluate("scrollTo(0, 0)")
    expect(page.get_by_role("button", name="Run")).to_be_in_viewport(ratio=1)
    expect(page.get_by_role("textbox", name="Message")).to_be_in_viewport(ratio=1)
