"""Saving in a real browser: Save, the Library, opening a session, New; axe on the pages."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.axe import assert_none, violations
from tests.browser_helpers import ANSWER, open_workbench, run

pytestmark = pytest.mark.browser


def test_save_open_and_new_keep_every_piece_of_work(audited_page: Page, fake):
    page = audited_page
    open_workbench(page)
    fake.configure(tokens=3)
    run(page, "Name three rivers")
    expect(page.locator(f"{ANSWER}[data-status=done]")).to_have_count(1)
    state = page.locator("#session-state")
    expect(state).to_have_text("not saved")
    page.get_by_role("textbox", name="System prompt").fill("Answer in French")
    page.get_by_role("button", name="Save", exact=True).click()  # before the autosave lands
    expect(page.locator("#notice")).to_have_text("Saved as “Name three rivers”.")
    expect(state).to_have_text("saved")
    expect(page.get_by_role("link", name="Name three rivers")).to_be_visible()

    run(page, "And three lakes")
    expect(page.locator(f"{ANSWER}[data-status=done]")).to_have_count(2)
    expect(state).to_have_text("unsaved changes")
    page.get_by_role("button", name="New", exact=True).click()
    expect(page.get_by_role("log", name="Conversation").locator("article")).to_have_count(0)
    expect(page.locator("#notice")).to_contain_text("kept in the Library")

    page.get_by_role("link", name="Library").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Library")
    cards = page.locator(".session-list > li")
    expect(cards).to_have_count(2)  # the saved session, and its unsaved continuation
    expect(cards.filter(has_text="unsaved draft")).to_have_count(1)
    found = {"library": violations(page)}
    cards.filter(has_not_text="unsaved draft").get_by_role("link", name="Runs and title").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Name three rivers")
    expect(page.locator("table.runs tbody tr")).to_have_count(2)  # both were run from it
    found["session"] = violations(page)
    page.get_by_role("button", name="Open in the workbench").click()
    expect(page).to_have_url(re.compile(r"/workbench$"))
    expect(page.get_by_role("textbox", name="System prompt")).to_have_value("Answer in French")
    expect(page.locator(f"{ANSWER}[data-status=done]")).to_have_count(1)
    assert_none(found)


def test_library_pages_at_phone_size_in_dark(audited_page: Page, fake):
    page = audited_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.emulate_media(color_scheme="dark")
    open_workbench(page)
    long_word = "https://example.org/" + "a-very-long-path-segment" * 8  # one word, no spaces
    run(page, long_word)
    expect(page.locator(f"{ANSWER}[data-status=done]")).to_have_count(1)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#notice")).to_contain_text("Saved as")
    no_sideways_scroll = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(no_sideways_scroll), "workbench"
    page.goto("/library")
    assert page.evaluate(no_sideways_scroll), "library"
    found = {"library": violations(page)}
    page.locator(".session-list h2 a").click()
    assert page.evaluate(no_sideways_scroll), "session"  # the runs table scrolls in its region
    header = page.get_by_role("columnheader", name="Started")
    assert header.bounding_box()["height"] < 45  # one line (two would be ~53 px), not letters
    found["session"] = violations(page)
    page.goto("/library")
    page.get_by_role("link", name=re.compile("^Delete ")).click()
    found["delete"] = violations(page)
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Nothing saved yet")).to_be_visible()
    assert page.evaluate(no_sideways_scroll)
    assert_none(found)
