"""The token and cost meter in Chromium: it follows the Message box as it grows, and
shows what a priced model's request costs."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.axe import assert_none, violations
from tests.browser_helpers import open_workbench

pytestmark = pytest.mark.browser


def tokens(page: Page) -> int:
    return int(re.search(r"(\d+) prompt token", page.locator("#meter").inner_text()).group(1))


def test_the_meter_follows_the_message_and_shows_a_priced_models_cost(audited_page: Page, fake):
    page = audited_page
    open_workbench(page)
    meter = page.locator("#meter")
    box = page.get_by_role("textbox", name="Message")
    box.fill("Hello")
    expect(meter).to_contain_text("prompt tokens")
    first = tokens(page)
    box.fill("Hello " * 100)
    expect(meter).not_to_contain_text(f"≈ {first} prompt")
    assert tokens(page) > first + 100
    expect(meter).to_contain_text("no prices in the catalog")
    page.locator("select#model").select_option("gpt-4.1")
    expect(meter).to_contain_text("prompt ≈ $")
    expect(meter).to_contain_text("answer at most $")
    expect(meter).to_contain_text("of the 1047576-token context")
    assert_none({"the meter, priced": violations(page)})


def test_the_meter_asks_once_and_is_not_a_first_action(page: Page, fake):
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/workbench/meter" in r.url else None)
    page.goto("/workbench?model=gpt-4.1")  # a link's model: shown, not stored yet
    page.wait_for_load_state("networkidle")  # a meter that asked again and again never idles
    assert len(asked) == 1 and "model=gpt-4.1" in asked[0]
    expect(page.locator("#preselected")).to_contain_text("chosen by the link")
