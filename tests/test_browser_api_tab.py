"""The API tab in a real Chromium: it follows the form, and Copy copies exactly."""

import json
import shlex

import pytest
from playwright.sync_api import Page, expect

from tests.browser_helpers import ANSWER, open_workbench, run
from tests.test_import_corpus import PASTES

pytestmark = pytest.mark.browser


def test_api_tab_follows_the_form_and_copies_exact_text(page: Page, fake):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/workbench?model=fake-chat")
    page.get_by_role("spinbutton", name="Temperature").fill("0.35")
    page.get_by_role("textbox", name="Message").fill('It\'s a "test" with $HOME')
    page.get_by_role("tab", name="API").click()
    snippets = page.get_by_role("tablist", name="Snippets")
    expected = {
        "cURL": '"temperature": 0.35',
        "Python": "'temperature': 0.35",
        "OpenAI SDK": "temperature=0.35",
        "JavaScript": '"temperature": 0.35',
    }
    for label, text in expected.items():
        snippets.get_by_role("tab", name=label).click()
        panel = page.get_by_role("tabpanel", name=label)
        expect(panel).to_contain_text(text)
        expect(panel).to_contain_text("$HOME")

    page.get_by_role("spinbutton", name="Temperature").fill("0")  # still on the API tab
    panel = page.get_by_role("tabpanel", name="JavaScript")
    expect(panel).to_contain_text('"temperature": 0,')  # refreshed, same tab still shown

    snippets.get_by_role("tab", name="cURL").click()
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("tabpanel", name="cURL").get_by_role("status")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#code-curl").input_value()
    assert copied.startswith("curl -N -X POST http://127.0.0.1:")
    words = shlex.split(copied.replace("\\\n", " "))
    body = json.loads(words[words.index("-d") + 1])
    assert body["temperature"] == 0
    assert body["messages"][-1] == {"role": "user", "content": 'It\'s a "test" with $HOME'}


def test_import_from_the_api_tab_loads_the_request(page: Page, fake):
    page.goto("/workbench?model=smollm2-135m-instruct")
    page.get_by_role("tab", name="API").click()
    page.get_by_text("Import a request").click()
    box = page.get_by_role(
        "textbox", name="Paste a cURL command, a JSON body, or code from this tab"
    )
    box.fill("not a request")
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-reply")).to_contain_text("Could not import")
    expect(box).to_have_value("not a request")  # nothing lost
    body = {"model": "fake-chat", "messages": [{"role": "user", "content": "imported?"}], "seed": 5}
    box.fill(f"curl -X POST http://x -d '{json.dumps(body)}'")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("combobox", name="Model")).to_have_value("fake-chat")
    expect(page.get_by_role("textbox", name="Message")).to_have_value("imported?")
    page.get_by_text("More parameters").click()
    expect(page.get_by_role("spinbutton", name="Seed")).to_have_value("5")


def _import(page: Page, text: str, replace: bool = False) -> None:
    """Import ``text``; ``replace``: there is a conversation, and Import asks first."""
    page.get_by_role("tab", name="API").click()
    page.get_by_text("Import a request").click()
    page.get_by_role("textbox", name="Paste a cURL command").fill(text)
    page.get_by_role("button", name="Import").click()
    if replace:
        page.get_by_role("button", name="Replace conversation").click()


def test_docs_examples_import_and_an_unknown_model_is_asked_about(page: Page, fake):
    pastes = {p["name"]: p["text"] for p in PASTES}
    page.goto("/workbench?model=fake-chat")
    _import(page, pastes["oxen-gpt-4-1-basic-parameters-python"])
    expect(page.get_by_role("combobox", name="Model")).to_have_value("gpt-4-1-2025-04-14")
    expect(page.get_by_role("textbox", name="Message")).to_have_value("Hello, what can you do?")
    expect(page.get_by_role("status").filter(has_text="Loaded Python code")).to_contain_text(
        "Stream is off"
    )
    expect(page.get_by_role("checkbox", name="Stream")).not_to_be_checked()

    _import(page, pastes["openai-reference-node-sdk-developer"], replace=True)
    expect(page.get_by_role("combobox", name="Model")).to_have_value("gpt-4.1")
    prompt = page.get_by_role("textbox", name="System prompt")
    expect(prompt).to_have_value("You are a helpful assistant.")
    expect(page.get_by_role("combobox", name="Sent as")).to_have_value("developer")

    _import(page, pastes["groq-quickstart-curl"], replace=True)
    question = page.locator("#model-question")
    expect(question).to_contain_text("'llama-3.3-70b-versatile' is not in the catalog")
    expect(page.get_by_role("combobox", name="Model")).to_have_value("smollm2-135m-instruct")
    expect(page.get_by_role("textbox", name="Message")).to_have_value(
        "Explain the importance of fast language models"
    )


def test_import_asks_before_replacing_a_conversation_and_cancel_keeps_it(page: Page, fake):
    fake.configure(content="an answer to keep")
    open_workbench(page)
    run(page, "a question to keep")
    expect(page.locator(f"{ANSWER}[data-status=done]")).to_have_count(1)
    body = {"model": "fake-chat", "messages": [{"role": "user", "content": "imported"}]}
    _import(page, json.dumps(body))
    reply = page.locator("#import-reply")
    expect(reply).to_contain_text("Import replaces what is on the workbench: 2 messages.")
    page.get_by_role("button", name="Cancel").click()
    expect(reply).to_be_empty()
    expect(page.get_by_role("textbox", name="Paste a cURL command")).to_be_focused()
    page.get_by_role("tab", name="Chat").click()
    expect(page.locator("article.message")).to_have_count(2)  # kept
    page.get_by_role("tab", name="API").click()  # Import a request is still open
    page.get_by_role("button", name="Import").click()
    page.get_by_role("button", name="Replace conversation").click()
    expect(page.get_by_role("textbox", name="Message")).to_have_value("imported")
    expect(page.locator("article.message")).to_have_count(0)
    expect(page.locator("#notice")).to_have_text(
        "Loaded a JSON body for fake-chat: 1 message, 0 parameters. "
        "Stream is off, as the pasted request does not ask for it."
    )
