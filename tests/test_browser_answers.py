"""Answers and messages in a real Chromium: code blocks, links, headings, copying,
a failure before any text, and Undo after Delete."""

import pytest
from playwright.sync_api import Page, expect

from tests.axe import assert_none, violations
from tests.browser_helpers import ANSWER, open_workbench, run

pytestmark = pytest.mark.browser

CODE = 'def add(a, b):\n    return a + b  # "sum"\n'
ANSWER_TEXT = f"""# Adding

See https://example.org/add for more.

```python
{CODE}```

## Shell

```sh
echo hi
```
"""


@pytest.fixture
def clipboard(page: Page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    return lambda: page.evaluate("navigator.clipboard.readText()")


def test_code_blocks_are_labelled_highlighted_and_copied_exactly(page: Page, fake, clipboard):
    fake.configure(content=ANSWER_TEXT)
    open_workbench(page)
    run(page, "code please")
    answer = page.locator(f"{ANSWER}[data-status=done]")
    blocks = answer.locator(".code-block")
    expect(blocks).to_have_count(2)
    expect(blocks.locator(".code-lang")).to_have_text(["Python", "Bash"])
    expect(blocks.first.locator("pre span.k")).to_have_text(["def", "return"])  # highlighted
    copy = answer.get_by_role("button", name="Copy code")
    expect(copy).to_have_count(2)
    copy.first.click()
    expect(page.locator("#announcer")).to_have_text("Copied")
    assert clipboard() == CODE
    copy.last.click()
    assert clipboard() == "echo hi\n"


def test_links_are_safe_and_headings_follow_the_page_outline(page: Page, fake):
    fake.configure(content=ANSWER_TEXT)
    open_workbench(page)
    run(page, "code please")
    answer = page.locator(f"{ANSWER}[data-status=done]")
    link = answer.get_by_role("link", name="https://example.org/add")
    expect(link).to_have_attribute("href", "https://example.org/add")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
    expect(answer.get_by_role("heading", level=3)).to_have_text("Adding")
    expect(answer.get_by_role("heading", level=4)).to_have_text("Shell")
    expect(page.get_by_role("heading", level=1)).to_have_count(1)


def test_streaming_text_is_plain_until_the_final_render(page: Page, fake):
    fake.configure(content=ANSWER_TEXT + " more" * 200, rate=100)
    open_workbench(page)
    run(page, "code please")
    streaming = page.locator(f"{ANSWER}[data-status=streaming] .content")
    expect(streaming).to_contain_text("```python")  # the fence as text, not a half-built block
    assert streaming.locator("*").count() == 0
    done = page.locator(f"{ANSWER}[data-status=done]")
    expect(done.locator(".code-block")).to_have_count(2, timeout=15_000)
    expect(done).not_to_contain_text("```")


def test_copy_message_copies_it_as_written(page: Page, fake, clipboard):
    fake.configure(content=ANSWER_TEXT)
    open_workbench(page)
    run(page, "Two  spaces\nand a **star**")
    expect(page.locator(f"{ANSWER}[data-status=done]")).to_have_count(1)
    page.get_by_role("button", name="Copy message 1").click()
    assert clipboard() == "Two  spaces\nand a **star**"
    page.get_by_role("button", name="Copy message 2").click()
    assert clipboard() == ANSWER_TEXT  # the Markdown, not the text shown


def test_a_failure_before_any_text_is_a_notice_and_the_turn_stays(page: Page, fake):
    fake.configure(fault="http_503")
    open_workbench(page)
    run(page, "Hi")
    notice = page.locator("#notice")
    expect(notice).to_contain_text("No answer: Fake upstream had a server error (503)")
    expect(notice).to_contain_text("Regenerate sends it again")
    expect(page.locator(ANSWER)).to_have_count(0)  # no card with "Total time: 0 ms"
    expect(page.locator("article[data-role=user]")).to_have_count(1)
    page.get_by_role("button", name="Dismiss").click()
    expect(notice).to_be_empty()
    expect(page.get_by_role("button", name="Dismiss")).to_be_hidden()
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()
    fake.configure(content="second try")
    page.get_by_role("button", name="Regenerate").click()
    expect(page.locator(f"{ANSWER}[data-status=done]")).to_contain_text("second try")
    page.reload()
    expect(page.locator("article.message")).to_have_count(2)


def test_delete_offers_undo_which_puts_the_message_back(page: Page, fake):
    fake.configure(content="the answer")
    open_workbench(page)
    run(page, "first")
    expect(page.locator(f"{ANSWER}[data-status=done]")).to_have_count(1)
    page.get_by_role("button", name="Delete user message 1").click()
    expect(page.locator("article.message")).to_have_count(1)
    undo = page.get_by_role("button", name="Undo")
    expect(page.locator("#notice")).to_contain_text("Deleted user message 1.")
    expect(undo).to_be_focused()  # the keyboard can take it back at once
    page.keyboard.press("Enter")
    expect(page.locator("#notice")).to_have_text("Message restored.")
    expect(page.locator("article.message")).to_have_count(2)
    expect(page.locator("article.message").first).to_contain_text("first")
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()
    page.reload()
    expect(page.locator("article.message").first).to_contain_text("first")


def test_reasoning_streams_into_a_folded_block_above_the_answer(audited_page: Page, fake):
    page = audited_page
    thought = " ".join(f"thought{i}" for i in range(30))
    fake.configure(reasoning=thought, content="The answer", rate=30)
    open_workbench(page)
    run(page, "think first")
    streaming = page.locator(f"{ANSWER}[data-status=streaming]")
    block = streaming.locator("details.reasoning")
    expect(block).to_be_visible()  # shown once the first thought arrives, folded
    expect(block).not_to_have_attribute("open", "")
    answer = page.locator(f"{ANSWER}[data-status=done]")
    expect(answer.locator(".content")).to_have_text("The answer")
    summary = answer.get_by_text("Reasoning", exact=True)
    summary.focus()
    page.keyboard.press("Enter")  # unfolds from the keyboard
    expect(answer.locator(".reasoning-text")).to_have_text(thought)
    assert_none({"an answer with its reasoning": violations(page)})


def test_an_answer_without_reasoning_shows_no_block(page: Page, fake):
    open_workbench(page)
    run(page, "plain")
    answer = page.locator(f"{ANSWER}[data-status=done]")
    expect(answer.locator(".content")).to_contain_text("tok19")
    expect(answer.locator("details.reasoning")).to_have_count(0)


def test_token_probabilities_are_read_with_the_keyboard(audited_page: Page, fake):
    page = audited_page
    fake.configure(content="one two three")
    open_workbench(page)
    page.get_by_text("More parameters").click()
    with page.expect_response("**/workbench/draft"):
        page.get_by_role("checkbox", name="Log probabilities").check()
    with page.expect_response("**/workbench/draft"):
        page.get_by_role("spinbutton", name="Top log probabilities").fill("2")
    run(page, "count")
    answer = page.locator(f"{ANSWER}[data-status=done]")
    answer.get_by_text("Token probabilities", exact=True).click()
    tokens = answer.get_by_role("group", name="Tokens of this answer")
    expect(tokens.locator(".tok")).to_have_count(3)
    tokens.focus()
    detail = answer.locator(".token-detail")
    expect(detail).to_have_text("'one': 100.0 %; instead: 'alt0' 0.0 %")
    page.keyboard.press("ArrowRight")
    expect(detail).to_have_text("' two': 50.0 %; instead: 'alt1' 50.0 %")
    page.keyboard.press("End")
    expect(detail).to_contain_text("' three': 25.0 %")
    assert fake.requests()[-1]["body"]["top_logprobs"] == 2
    light = violations(page)
    page.emulate_media(color_scheme="dark")
    assert_none({"token probabilities, light": light, "dark": violations(page)})
