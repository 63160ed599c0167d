"""axe-core on every view, at desktop and phone sizes, light and dark: no violations.

Default rules plus target-size (tests/axe.py). A view is checked as a person
sees it: the conversation holds an error, a finished answer with code and a
table, and an answer still streaming.
"""

import pytest
from playwright.sync_api import Page, expect

from tests.axe import assert_none, violations
from tests.browser_helpers import ANSWER, open_workbench, run

pytestmark = pytest.mark.browser

MARKDOWN = """# A heading

Here is **code**, from https://example.org/docs:

```python
def add(a, b):
    # a comment
    return a + 'b' + 1
```

| Left | Right |
|:-----|------:|
| a    |     1 |

> a quote with https://example.org/a/very/long/url
"""


def test_workbench_empty(shown: Page):
    open_workbench(shown)
    assert_none({"workbench": violations(shown)})


def test_workbench_with_conversation_and_api_tab(shown: Page, fake):
    open_workbench(shown)
    fake.configure(fault="no_done")
    run(shown, "fail, please")
    expect(shown.locator(f"{ANSWER}[data-status=error]")).to_have_count(1)
    fake.configure(content=MARKDOWN)
    run(shown, "show me code")
    expect(shown.locator(f"{ANSWER}[data-status=done] pre")).to_have_count(1)
    fake.configure(fault="http_500")
    run(shown, "fail before any text")
    expect(shown.get_by_role("button", name="Dismiss")).to_be_visible()
    found = {"failure notice": violations(shown)}
    shown.get_by_role("button", name="Delete user message 5").click()
    expect(shown.get_by_role("button", name="Undo")).to_be_visible()
    found["undo notice"] = violations(shown)
    fake.configure(tokens=1000, rate=20)
    run(shown, "go on")
    expect(shown.locator(f"{ANSWER}[data-status=streaming]")).to_contain_text("tok1")
    found["conversation"] = violations(shown)
    shown.get_by_role("button", name="Stop").click()
    expect(shown.locator(f"{ANSWER}[data-status=stopped]")).to_have_count(1)
    shown.get_by_role("tab", name="API").click()
    expect(shown.get_by_role("tab", name="cURL")).to_be_visible()
    found["api tab"] = violations(shown)
    shown.get_by_text("Import a request").click()
    shown.get_by_role("textbox", name="Paste a cURL command").fill(
        '[{"role": "user", "content": "x"}]'
    )
    shown.get_by_role("button", name="Import").click()
    expect(shown.get_by_role("button", name="Replace conversation")).to_be_visible()
    found["import question"] = violations(shown)
    assert_none(found)


def test_catalog_pages(shown: Page):
    shown.goto("/models")
    found = {"models": violations(shown)}
    shown.goto("/models/gpt-4-1-2025-04-14")
    found["model page"] = violations(shown)
    assert_none(found)


def test_headings_outline_the_workbench(page: Page):
    open_workbench(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Workbench")
    for name in ("Parameters", "Conversation"):
        expect(page.get_by_role("heading", name=name, level=2)).to_have_count(1)
    page.get_by_role("tab", name="API").click()
    expect(page.get_by_role("heading", name="API request", level=2)).to_have_count(1)


def test_status_region_says_how_a_run_goes_not_its_text(page: Page, fake):
    fake.configure(tokens=40, rate=20)
    open_workbench(page)
    expect(page.get_by_role("log", name="Conversation")).to_have_attribute("aria-live", "off")
    status = page.locator("#announcer")
    expect(status).to_have_attribute("role", "status")
    run(page, "count to forty")
    expect(status).to_have_text("Answer started")
    expect(page.locator(f"{ANSWER}[data-status=done]")).to_have_count(1, timeout=15_000)
    expect(status).to_have_text("Answer finished (40 tokens)")

    fake.configure(fault="http_500")
    run(page, "fail")
    expect(status).to_contain_text("Answer failed: Fake upstream had a server error (500)")
    expect(page.locator(ANSWER)).to_have_count(1)  # a failure before any text stores none
