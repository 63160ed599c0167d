"""Images in a real Chromium: attached as a file, given by URL, removed, sent as content parts."""

import base64
import re

import pytest
from playwright.sync_api import Page, expect

from tests.axe import assert_none, violations
from tests.browser_helpers import ANSWER, open_workbench

pytestmark = pytest.mark.browser
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
PNG_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()
PHOTO = "https://example.org/cat.jpg"


def test_an_attached_image_is_sent_as_a_content_part(audited_page: Page, fake):
    page = audited_page
    fake.configure(content="A single pixel.")
    open_workbench(page)
    page.get_by_label("Attach image").set_input_files(
        {"name": "pixel.png", "mimeType": "image/png", "buffer": PNG}
    )
    attachments = page.locator("#attachments")
    expect(attachments.get_by_role("img", name="pixel.png")).to_have_attribute("src", PNG_URL)
    page.get_by_role("textbox", name="Image URL").fill(PHOTO)
    page.get_by_role("button", name="Attach URL").click()
    expect(attachments).to_contain_text(PHOTO)  # as text: the page never fetches it
    expect(attachments.locator("img")).to_have_count(1)
    expect(page.get_by_role("textbox", name="Image URL")).to_have_value("")
    page.get_by_role("button", name=f"Remove image {PHOTO}").click()
    expect(attachments).not_to_contain_text(PHOTO)
    page.get_by_role("textbox", name="Message").fill("What is this?")
    page.get_by_role("tab", name="API").click()
    expect(page.get_by_role("tabpanel", name="cURL")).to_contain_text('"image_url"')
    page.get_by_role("tab", name="Chat").click()
    found = {}
    for scheme in ("light", "dark"):  # the attach controls and a thumbnail, in both schemes
        page.emulate_media(color_scheme=scheme)
        found[scheme] = violations(page)
    assert_none(found)

    page.get_by_role("button", name="Run").click()
    expect(page.locator(ANSWER).last).to_have_attribute("data-status", "done")
    sent = fake.requests()[-1]["body"]["messages"]
    assert sent == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": PNG_URL}},
            ],
        }
    ]
    user = page.locator("article[data-role=user]")
    expect(user.get_by_role("img", name="pixel.png")).to_be_visible()
    expect(attachments.locator("img")).to_have_count(0)  # used up by the Run
    page.reload()  # kept with the turn
    expect(
        page.locator("article[data-role=user]").get_by_role("img", name="pixel.png")
    ).to_be_visible()


def test_a_refused_upload_says_why(audited_page: Page, fake):
    page = audited_page
    open_workbench(page)
    page.get_by_label("Attach image").set_input_files(
        {"name": "notes.png", "mimeType": "image/png", "buffer": b"not a picture"}
    )
    expect(page.get_by_role("alert").filter(has_text=re.compile("Not attached"))).to_contain_text(
        "notes.png is not a PNG, JPEG, GIF or WebP image"
    )


def test_an_image_pasted_into_message_is_attached(audited_page: Page, fake):
    page = audited_page
    open_workbench(page)
    box = page.get_by_role("textbox", name="Message")
    box.fill("Look:")
    page.evaluate(
        """(b64) => {
          const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
          const data = new DataTransfer();
          data.items.add(new File([bytes], "pasted.png", { type: "image/png" }));
          const paste = new ClipboardEvent(
            "paste", { clipboardData: data, bubbles: true, cancelable: true });
          document.getElementById("message").dispatchEvent(paste);
        }""",
        base64.b64encode(PNG).decode(),
    )
    expect(page.locator("#attachments").get_by_role("img", name="pasted.png")).to_be_visible()
    expect(box).to_have_value("Look:")  # the picture is not pasted as text
