"""The workbench in a real Chromium against the real daphne app and the fake upstream."""

import re
import time
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import Page, expect

from tests.browser_helpers import ANSWER, open_workbench, run
from tests.relay_helpers import ERRORS

pytestmark = pytest.mark.browser


def test_answer_streams_in_and_shows_figures(page: Page, fake):
    fake.configure(tokens=40, rate=20)
    open_workbench(page)
    run(page, "Write a haiku about the sea")
    conversation = page.get_by_role("log", name="Conversation")
    expect(conversation.locator("article[data-role=user]")).to_contain_text(
        "Write a haiku about the sea"
    )
    streaming = conversation.locator(f"{ANSWER}[data-status=streaming]")
    expect(streaming).to_contain_text("tok3")  # text arrives while the run is going
    expect(page.get_by_role("button", name="Stop")).to_be_enabled()
    expect(page.get_by_role("button", name="Run")).to_be_disabled()
    done = conversation.locator(f"{ANSWER}[data-status=done]")
    expect(done).to_contain_text("tok39", timeout=15_000)
    figures = done.locator("dl.figures")
    expect(figures).to_contain_text("Time to first token")
    expect(figures).to_contain_text("40 out")
    expect(figures).to_contain_text("Finish reason")
    expect(page.get_by_role("button", name="Stop")).to_be_disabled()
    expect(page.get_by_role("textbox", name="Message")).to_have_value("")


def test_ctrl_enter_runs(page: Page, fake):
    fake.configure(content="short answer")
    open_workbench(page)
    page.get_by_role("textbox", name="Message").fill("hello")
    page.get_by_role("textbox", name="Message").press("Control+Enter")
    expect(page.locator(f"{ANSWER}[data-status=done]")).to_contain_text("short answer")


def test_stop_closes_the_upstream_within_a_second_and_keeps_partial(page: Page, fake):
    fake.configure(tokens=1000, rate=50)
    open_workbench(page)
    run(page, "go on forever")
    expect(page.locator(f"{ANSWER}[data-status=streaming]")).to_contain_text("tok2")
    clicked = time.time()
    page.get_by_role("button", name="Stop").click()
    stopped = page.locator(f"{ANSWER}[data-status=stopped]")
    expect(stopped).to_contain_text("stopped")
    expect(stopped).to_contain_text("tok2")
    expect(stopped.locator("dt:text-is('Finish reason') + dd")).to_have_text("stopped")
    records = fake.wait_for(lambda r: r and r[0]["disconnected_at"], timeout=3)
    assert records[0]["disconnected_at"] is not None
    assert records[0]["disconnected_at"] - clicked < 1.0
    expect(page.get_by_role("button", name="Run")).to_be_enabled()


def test_reload_keeps_model_parameters_messages_and_answers(page: Page, fake):
    fake.configure(content="the answer")
    open_workbench(page)
    page.get_by_role("textbox", name="System prompt").fill("Be brief.")
    page.get_by_role("spinbutton", name="Temperature").fill("0")
    page.get_by_role("spinbutton", name="Max tokens").fill("12")
    run(page, "first question")
    expect(page.locator(f"{ANSWER}[data-status=done]")).to_contain_text("the answer")

    def saves_the_draft_text(response) -> bool:  # not an earlier autosave still in flight
        request = response.request
        form = parse_qs(request.post_data or "")
        return request.url.endswith("/workbench/draft") and form.get("message") == ["unsent draft"]

    with page.expect_response(saves_the_draft_text):
        page.get_by_role("textbox", name="Message").fill("unsent draft")
    page.reload()
    expect(page.get_by_role("combobox", name="Model")).to_have_value("fake-chat")
    expect(page.get_by_role("textbox", name="System prompt")).to_have_value("Be brief.")
    expect(page.get_by_role("spinbutton", name="Temperature")).to_have_value("0")
    expect(page.get_by_role("spinbutton", name="Max tokens")).to_have_value("12")
    expect(page.get_by_role("textbox", name="Message")).to_have_value("unsent draft")
    expect(page.locator("article[data-role=user]")).to_have_text(re.compile("first question"))
    expect(page.locator(f"{ANSWER}[data-status=done]")).to_contain_text("the answer")
    body = fake.requests()[0]["body"]
    assert body["temperature"] == 0 and body["max_tokens"] == 12
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}


def test_out_of_range_value_is_refused_beside_the_field(page: Page, fake):
    open_workbench(page)
    page.get_by_role("spinbutton", name="Temperature").fill("5")
    expect(page.locator("#error-param-temperature")).to_have_text("Temperature must be at most 2.")
    run(page, "hello")
    expect(page.locator("#notice")).to_contain_text("Nothing was sent")
    expect(page.get_by_role("textbox", name="Message")).to_have_value("hello")
    assert fake.requests() == []


def test_more_parameters_and_model_switch(page: Page, fake):
    open_workbench(page, "smollm2-135m-instruct")
    expect(page.get_by_role("spinbutton", name="Top K")).to_be_hidden()
    page.get_by_text("More parameters").click()
    expect(page.get_by_role("spinbutton", name="Top K")).to_be_visible()
    page.get_by_role("spinbutton", name="Seed").fill("7")
    with page.expect_response("**/workbench/draft"):
        page.get_by_role("combobox", name="Model").select_option("fake-chat")
    expect(page.get_by_role("spinbutton", name="Top K")).to_have_count(0)
    page.get_by_text("More parameters").click()
    expect(page.get_by_role("spinbutton", name="Seed")).to_have_value("7")


@pytest.mark.parametrize(("config", "model", "message", "text_first"), ERRORS)
def test_each_error_class_is_shown(page: Page, fake, cutter, config, model, message, text_first):
    """After some text, in the answer's card; before any, in a notice, with no answer."""
    import html

    fake.configure(**config)
    open_workbench(page, model)
    run(page, "Hi")
    if text_first:
        failed = page.locator(f"{ANSWER}[data-status=error]")
        expect(failed.get_by_role("alert")).to_contain_text(html.unescape(message), timeout=15_000)
        return
    notice = page.locator("#notice")
    expect(notice).to_contain_text(html.unescape(message), timeout=15_000)
    expect(page.locator(ANSWER)).to_have_count(0)
    expect(page.locator("article[data-role=user]")).to_have_text(re.compile("Hi"))


def test_model_markup_is_inert(page: Page, fake):
    fake.configure(
        content="**bold** <script>window.pwned=1</script> "
        '<img src=x onerror="window.pwned=2"> <b hx-get="/x">b</b>'
    )
    open_workbench(page)
    run(page, "hi")
    done = page.locator(f"{ANSWER}[data-status=done]")
    expect(done.locator("strong")).to_have_text("bold")
    assert done.locator(".content").locator("script, img, [hx-get]").count() == 0
    assert page.evaluate("window.pwned") is None


def test_models_without_their_key_are_marked_and_run_sends_nothing(page: Page, fake):
    open_workbench(page, "fake-keyed")
    model = page.get_by_role("combobox", name="Model")
    expect(model.locator("option[value=fake-keyed]")).to_have_text(
        "Fake Keyed (needs FAKE_KEYED_API_KEY)"
    )
    expect(model.locator("option[value=fake-chat]")).to_have_text("Fake Chat")
    expect(page.locator("#key-missing")).to_contain_text("FAKE_KEYED_API_KEY")
    run(page, "Hi")
    expect(page.locator("#notice")).to_contain_text("Nothing was sent: No API key for Fake keyed")
    expect(page.locator("article.message")).to_have_count(0)
    expect(page.get_by_role("textbox", name="Message")).to_have_value("Hi")
    with page.expect_response("**/workbench/draft"):
        model.select_option("fake-chat")
    expect(page.locator("#key-missing")).to_have_count(0)
    assert fake.requests() == []


def test_numbers_step_finely_and_sliders_are_reachable(page: Page):
    open_workbench(page)
    temperature = page.get_by_role("spinbutton", name="Temperature")
    temperature.fill("0.8")
    temperature.press("ArrowUp")
    expect(temperature).to_have_value("0.81")
    slider = page.get_by_role("slider", name="Temperature")
    temperature.focus()
    page.keyboard.press("Shift+Tab")
    expect(slider).to_be_focused()
    slider.press("ArrowRight")
    expect(temperature).to_have_value("0.82")


def test_defaults_are_said_not_shown_as_values_and_reset_goes_back_to_them(page: Page):
    open_workbench(page)
    temperature = page.get_by_role("spinbutton", name="Temperature")
    expect(temperature).to_have_value("")  # nothing typed: nothing sent
    assert temperature.get_attribute("placeholder") is None
    expect(page.locator("#help-param-temperature")).to_contain_text("Default: 1.")
    reset = page.get_by_role("button", name="Reset Temperature")
    expect(reset).to_be_disabled()
    with page.expect_response("**/workbench/draft"):
        temperature.fill("0.3")
    slider = page.get_by_role("slider", name="Temperature")
    expect(slider).to_have_value("0.3")
    expect(reset).to_be_enabled()

    def saves_no_temperature(response) -> bool:  # not the save of 0.3 as the box loses focus
        form = parse_qs(response.request.post_data or "", keep_blank_values=True)
        return response.url.endswith("/workbench/draft") and form["param-temperature"] == [""]

    with page.expect_response(saves_no_temperature):
        reset.click()
    expect(temperature).to_have_value("")
    expect(temperature).to_be_focused()
    expect(slider).to_have_value("1")
    expect(reset).to_be_disabled()
    page.reload()
    expect(page.get_by_role("spinbutton", name="Temperature")).to_have_value("")


def test_number_boxes_are_one_width_with_or_without_a_slider(page: Page):
    open_workbench(page)
    widths = {
        name: page.get_by_role("spinbutton", name=name).bounding_box()["width"]
        for name in ("Temperature", "Max tokens", "Top P")
    }
    assert len(set(widths.values())) == 1, widths
