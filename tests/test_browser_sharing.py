"""Sharing in a real Chromium: the owner shares, someone with no login opens the
link, forks it and runs; the owner updates the link and revokes it. Then axe on
the shared page, My links and the session bar's share controls."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.axe import assert_none, violations
from tests.browser_helpers import ANSWER, open_workbench, run

pytestmark = pytest.mark.browser

LINK = re.compile(r"^http://127\.0\.0\.1:\d+/s/[A-Za-z0-9_-]{22,}$")
MARKDOWN = """The sea is **salt water**:

```python
salinity = 35  # grams per litre
```

| Sea | Salinity |
|:----|---------:|
| Red |       40 |
"""


def new_page(browser: Browser, base_url: str) -> tuple[Page, list[str]]:
    """A page in a context of its own: another browser, with no login."""
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page, errors


def share_conversation(page: Page, fake, question: str = "What is the sea?") -> str:
    """Run a prompt, Save, Share; the link from the Share link box."""
    open_workbench(page)
    fake.configure(content=MARKDOWN)
    run(page, question)
    expect(page.locator(f"{ANSWER}[data-status=done]")).to_contain_text("salt water")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#session-state")).to_have_text("saved")
    page.get_by_role("button", name="Share", exact=True).click()
    box = page.get_by_role("textbox", name="Share link")
    expect(box).to_have_value(LINK)
    expect(box).to_have_attribute("readonly", "")
    return box.input_value()


def test_share_open_fork_update_and_revoke(page: Page, browser: Browser, live_server_url, fake):
    url = share_conversation(page, fake)
    expect(page.get_by_role("textbox", name="Share link")).to_be_focused()  # where Share was
    expect(page.locator("#notice")).to_have_text("Shared: anyone with the link can open it.")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator(".share-link .copied")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == url

    viewer, errors = new_page(browser, live_server_url)
    viewer.goto(url)
    expect(viewer.get_by_role("heading", level=1)).to_have_text("What is the sea?")
    shared = viewer.get_by_role("log", name="Conversation")
    expect(shared.locator("article[data-role=user]")).to_have_text(re.compile("What is the sea?"))
    expect(shared.locator(f"{ANSWER} strong")).to_have_text("salt water")
    expect(shared.locator(f"{ANSWER} dl.figures")).to_contain_text("Time to first token")
    expect(viewer.get_by_role("tab", name="cURL")).to_have_attribute("aria-selected", "true")
    expect(viewer.locator("#panel-code-curl pre")).to_contain_text("What is the sea?")
    viewer.get_by_role("tab", name="Python").click()
    expect(viewer.locator("#panel-code-python pre")).to_contain_text("salt water")
    expect(viewer.get_by_role("button", name="Update link")).to_have_count(0)

    viewer.get_by_role("button", name="Open in Workbench").click()
    expect(viewer).to_have_url(re.compile(r"/workbench$"))
    expect(viewer.locator("#notice")).to_contain_text("is now your own session")
    expect(viewer.get_by_role("log", name="Conversation").locator(ANSWER)).to_have_count(1)
    fake.configure(content="Rivers are fresh water.")
    run(viewer, "And rivers?")
    expect(viewer.locator(f"{ANSWER}[data-status=done]").last).to_have_text(
        re.compile("Rivers are fresh water.")
    )
    expect(viewer.get_by_role("textbox", name="Share link")).to_have_count(0)  # not theirs

    fake.configure(content="Oceans are the largest seas.")
    run(page, "And the ocean?")
    expect(page.locator(f"{ANSWER}[data-status=done]")).to_have_count(2)
    page.get_by_role("button", name="Update link").click()
    expect(page.locator("#notice")).to_have_text("The link now shows revision 2.")
    expect(page.get_by_role("textbox", name="Share link")).to_have_value(url)  # the same URL

    viewer.goto(url)
    expect(viewer.locator(".meta")).to_contain_text("revision 2 of 2")
    expect(viewer.get_by_role("log", name="Conversation")).to_contain_text("And the ocean?")
    expect(viewer.get_by_role("log", name="Conversation")).not_to_contain_text("And rivers?")
    viewer.get_by_role("link", name="Revision 1").click()
    expect(viewer).to_have_url(f"{url}/1")
    expect(viewer.locator(".meta")).to_contain_text("revision 1 of 2")
    expect(viewer.get_by_role("log", name="Conversation")).not_to_contain_text("And the ocean?")

    page.once("dialog", lambda dialog: dialog.accept())  # "Revoke this link?"
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator("#notice")).to_contain_text("Revoked")
    expect(page.get_by_role("button", name="Share", exact=True)).to_be_visible()
    for address in (url, f"{url}/1", f"{url}/2"):
        assert viewer.goto(address).status == 404
        assert page.goto(address).status == 404  # the owner's too
    viewer.context.close()
    assert not errors, f"JavaScript errors on the viewer's page: {errors}"


def test_link_options_in_the_session_bar_survive_an_autosave(page: Page, fake):
    share_conversation(page, fake)
    page.get_by_text("Link options", exact=True).click()
    page.get_by_role("combobox", name="Who can open it").select_option("users")
    expiry = page.get_by_role("textbox", name="Expires after")
    expiry.fill("2999-12-31")
    with page.expect_response("**/workbench/draft"):  # the session bar is drawn again
        page.get_by_role("textbox", name="System prompt").fill("Be brief.")
    expect(expiry).to_have_value("2999-12-31")  # what was being chosen is still there
    page.get_by_role("button", name="Save options").click()
    expect(page.locator("#notice")).to_have_text("Link options saved.")
    expect(page.locator("#share-about")).to_contain_text("Logged-in users of this install")
    expect(page.locator("#share-about")).to_contain_text("31 Dec 2999")

    page.get_by_text("Link options", exact=True).click()
    page.get_by_role("textbox", name="Expires after").fill("2000-01-01")
    page.get_by_role("button", name="Save options").click()
    expect(page.get_by_role("alert").filter(has_text="That day is past")).to_be_visible()
    expect(page.locator("#share-about")).to_contain_text("31 Dec 2999")  # nothing changed


def test_axe_shared_page_my_links_and_the_share_controls(shown: Page, fake):
    url = share_conversation(shown, fake)
    shown.get_by_text("Link options", exact=True).click()
    found = {"share controls": violations(shown)}
    shown.goto(url)
    expect(shown.get_by_role("button", name="Open in Workbench")).to_be_visible()
    found["shared page"] = violations(shown)
    shown.goto("/links")
    expect(shown.get_by_role("heading", name="My links")).to_be_visible()
    found["my links"] = violations(shown)
    shown.get_by_role("link", name=re.compile("^Revoke the link")).click()
    found["revoke"] = violations(shown)
    assert_none(found)
