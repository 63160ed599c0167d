"""The catalog pages in a real Chromium."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_models_list_filters_and_model_page_metrics(page: Page):
    page.goto("/models")
    expect(page.get_by_role("heading", name="Models", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="GPT 4.1", exact=True)).to_be_visible()
    page.get_by_label("Search").fill("nano")
    expect(page.get_by_role("link", name="GPT 4.1 mini", exact=True)).to_have_count(0)
    expect(page).to_have_url(re.compile(r"search=nano"))
    page.get_by_label("Search").fill("")
    page.get_by_label("Provider").select_option("oxen")
    expect(page.get_by_role("link", name="GPT-4.1 (OpenAI)")).to_have_count(0)
    page.get_by_role("link", name="GPT 4.1", exact=True).click()

    expect(page.get_by_role("heading", name="GPT 4.1", level=1)).to_be_visible()
    table = page.get_by_role("table", name="Metrics")
    rows = {
        row.locator("th").inner_text(): row.locator("td").inner_text()
        for row in table.locator("tbody tr").all()
    }
    assert rows["Parameter Count"] == "Unknown"
    assert rows["Mixture of Experts"] == "No"
    assert rows["Context Length"] == "1,000,000 tokens"
    assert rows["Multilingual"] == "Yes"
    assert rows["Quantized*"] == "Unknown"

    tabs = page.get_by_role("tablist", name="Example requests")
    tabs.get_by_role("tab", name="All parameters").click()
    panel = page.get_by_role("tabpanel", name="All parameters")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("'stream': False")
    expect(page.get_by_role("tabpanel", name="Minimal")).to_be_hidden()

    page.get_by_role("link", name="Try in the Workbench").click()
    expect(page.get_by_role("combobox", name="Model")).to_have_value("gpt-4-1-2025-04-14")


def test_the_model_count_is_read_out_as_filters_change(page: Page):
    page.goto("/models")
    count = page.get_by_role("status")
    expect(count).to_have_text("")  # nothing said before anything changed
    page.get_by_label("Search").fill("smol")
    expect(count).to_have_text("1 model")
    page.get_by_label("Search").fill("no such model at all")
    expect(count).to_have_text("0 models")


def test_each_example_on_a_model_page_has_copy(page: Page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/models/gpt-4-1-2025-04-14")
    for tab in ("Minimal", "Basic parameters", "All parameters"):
        page.get_by_role("tab", name=tab).click()
        panel = page.get_by_role("tabpanel", name=tab)
        copies = panel.get_by_role("button", name="Copy", exact=True)
        expect(copies).to_have_count(2)  # cURL and Python, each described by its heading
        expect(copies.first).to_have_accessible_description("cURL")
        copies.last.click()
        expect(panel.get_by_role("status").last).to_have_text("Copied")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert "import requests" in copied
        assert copied == panel.locator("textarea.raw").last.input_value()
