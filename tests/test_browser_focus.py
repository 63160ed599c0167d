"""Keyboard use of the workbench: focus is never dropped, Escape cancels, a skip link."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser_helpers import ANSWER, open_workbench, run

pytestmark = pytest.mark.browser


def answered(page: Page, fake, text: str) -> None:
    """A workbench with one turn of ``text`` and its answer."""
    fake.configure(content="short answer")
    open_workbench(page)
    run(page, text)
    expect(page.locator(f"{ANSWER}[data-status=done]")).to_have_count(1)


def focused_id(page: Page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.tagName")


def test_run_keeps_the_message_box_and_stop_gives_focus_to_run(page: Page, fake):
    fake.configure(tokens=1000, rate=50)
    open_workbench(page)
    run(page, "go on")
    expect(page.locator(f"{ANSWER}[data-status=streaming]")).to_contain_text("tok1")
    message = page.get_by_role("textbox", name="Message")
    expect(message).to_be_focused()
    page.keyboard.press("Tab")  # Run is disabled while the answer streams
    expect(page.get_by_role("button", name="Stop")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(f"{ANSWER}[data-status=stopped]")).to_have_count(1)
    expect(page.get_by_role("button", name="Run")).to_be_focused()
    page.keyboard.press("Tab")
    assert focused_id(page) == "regenerate"  # the next Tab stays on the page


def test_ctrl_enter_and_regenerate_keep_focus_in_the_message_box(page: Page, fake):
    fake.configure(content="short answer")
    open_workbench(page)
    message = page.get_by_role("textbox", name="Message")
    message.fill("hello")
    message.press("Control+Enter")
    expect(page.locator(f"{ANSWER}[data-status=done]")).to_contain_text("short answer")
    expect(message).to_be_focused()
    page.get_by_role("button", name="Regenerate").click()
    expect(page.locator(f"{ANSWER}[data-status=done]")).to_have_count(1)
    expect(page.get_by_role("button", name="Run")).to_be_enabled()
    expect(message).to_be_focused()


def test_edit_focuses_the_box_escape_cancels_save_returns_to_the_message(page: Page, fake):
    answered(page, fake, "first words")
    edit = page.get_by_role("button", name="Edit user message 1")
    edit.click()
    text = page.get_by_role("textbox", name="Text")
    expect(text).to_be_focused()
    text.fill("changed, then abandoned")
    text.press("Escape")
    expect(page.locator("article[data-role=user]")).to_contain_text("first words")
    expect(edit).to_be_focused()

    edit.press("Enter")
    expect(text).to_be_focused()
    text.fill("second words")
    page.get_by_role("button", name="Save message").click()
    expect(page.locator("article[data-role=user]")).to_contain_text("second words")
    expect(edit).to_be_focused()


def test_delete_moves_focus_to_undo_and_undo_to_the_message_box(page: Page, fake):
    answered(page, fake, "to be deleted")
    page.get_by_role("button", name="Delete assistant message 2").click()
    expect(page.locator(ANSWER)).to_have_count(0)
    expect(page.get_by_role("button", name="Undo")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(ANSWER)).to_have_count(1)
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()


def test_skip_link_moves_focus_past_the_navigation(page: Page):
    open_workbench(page)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert focused_id(page) == "main"
    page.keyboard.press("Tab")
    expect(page.get_by_role("navigation", name="Main").locator(":focus")).to_have_count(0)
