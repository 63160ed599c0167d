"""Structured output in a real Chromium: the schema editor, the snippet, the checked answer."""

import json

import pytest
from playwright.sync_api import Page, expect

from tests.axe import assert_none, violations
from tests.browser_helpers import ANSWER, open_workbench, run

pytestmark = pytest.mark.browser


def test_a_json_schema_run_shows_the_answer_checked(audited_page: Page, fake):
    page = audited_page
    fake.configure(content='{"name": "Ada", "age": 36}')
    open_workbench(page)
    page.get_by_text("More parameters").click()
    kind = page.get_by_role("combobox", name="Response format")
    schema = page.get_by_role("textbox", name="Schema", exact=True)
    expect(schema).to_be_hidden()  # the json_schema parts only when chosen
    kind.select_option("json_schema")
    page.get_by_role("combobox", name="Start from an example").select_option("person")
    expect(page.get_by_role("textbox", name="Schema name")).to_have_value("person")
    expect(page.get_by_role("checkbox", name="Strict")).to_be_checked()

    # A schema the metaschema refuses is shown beside the field, and Run sends nothing.
    schema.fill('{"type": "object", "properties": {"age": {"type": "int"}}}')
    error = page.locator("#error-param-response_format")
    expect(error).to_contain_text("'int' is not one of")
    expect(error).to_contain_text("json_schema.schema.properties.age.type")
    run(page, "Who?")
    expect(page.locator("#error-param-response_format")).to_contain_text("'int'")
    expect(page.locator(ANSWER)).to_have_count(0)
    assert fake.requests() == []

    page.get_by_role("combobox", name="Start from an example").select_option("person")
    expect(error).to_be_empty()
    page.get_by_role("tab", name="API").click()
    curl = page.get_by_role("tabpanel", name="cURL")
    expect(curl).to_contain_text('"response_format": {')
    expect(curl).to_contain_text('"name": "person"')
    page.get_by_role("tab", name="Chat").click()

    run(page, "Who is she?")
    answer = page.locator(ANSWER)
    expect(answer).to_have_attribute("data-status", "done")
    expect(answer.locator(".json-check")).to_have_text("Valid against the schema")
    expect(answer.locator("pre")).to_have_text('{\n  "name": "Ada",\n  "age": 36\n}')
    sent = fake.requests()[-1]["body"]["response_format"]
    assert sent["json_schema"]["name"] == "person" and sent["json_schema"]["strict"] is True
    assert sent["json_schema"]["schema"]["required"] == ["name", "age"]
    found = {}
    for scheme in ("light", "dark"):  # the mark's colour, the editor, in both schemes
        page.emulate_media(color_scheme=scheme)
        found[scheme] = violations(page)
    assert_none(found)

    page.reload()  # kept in the draft: the editor and the checked answer come back
    expect(page.locator(ANSWER).locator(".json-check")).to_have_text("Valid against the schema")
    page.get_by_text("More parameters").click()
    expect(page.get_by_role("combobox", name="Response format")).to_have_value("json_schema")
    shown = page.get_by_role("textbox", name="Schema", exact=True).input_value()
    assert json.loads(shown) == sent["json_schema"]["schema"]
