"""Driving the workbench page in Chromium as a person would."""

from playwright.sync_api import Page, expect

ANSWER = "article[data-role=assistant]"


def open_workbench(page: Page, model: str = "fake-chat") -> None:
    page.goto(f"/workbench?model={model}")
    # By id, not role: on a phone the folded panel hides the Model select.
    expect(page.locator("select#model")).to_have_value(model)


def run(page: Page, text: str) -> None:
    page.get_by_role("textbox", name="Message").fill(text)
    page.get_by_role("button", name="Run").click()
