"""Refresh models in a real Chromium: a provider that was down at start-up
comes back, and one click lists its models, the filters kept; axe finds nothing."""

import pytest
from playwright.sync_api import expect

from tests import axe
from tests.conftest import FakeUpstreamControl, start_daphne, stop

pytestmark = pytest.mark.browser


def test_refresh_models_lists_a_provider_that_came_back(browser, axe_script, discovering_server):
    url, down_port = discovering_server
    context = browser.new_context(base_url=url)
    context.set_default_timeout(10_000)
    context.add_init_script(path=axe_script)
    page = context.new_page()
    page.goto("/models")
    down = page.get_by_role("listitem").filter(has_text="Lab down")
    expect(down).to_contain_text("Could not list the models of Lab down: could not connect to")
    page.get_by_label("Search").fill("back")
    expect(page.get_by_text("No model matches these filters.")).to_be_visible()
    found = {"down": axe.violations(page)}

    back = start_daphne("tests.fake_upstream:app", down_port, log="lab-back")
    try:
        FakeUpstreamControl(down_port).configure(listing=[{"id": "back-model", "name": "Back"}])
        down.get_by_role("button", name="Refresh models").click()
        expect(down).to_contain_text("Lab down listed 1 model at")
        expect(page.get_by_role("status").filter(has_text="Lab down listed")).to_have_count(1)
        expect(page.get_by_role("link", name="Back", exact=True)).to_be_visible()
        expect(page.get_by_label("Search")).to_have_value("back")
        found["refreshed"] = axe.violations(page)
    finally:
        stop(back)
        context.close()
    axe.assert_none(found)
