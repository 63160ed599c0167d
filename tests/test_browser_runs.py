"""A run belongs to the conversation: reloads, second tabs and a crashed server lose nothing."""

import json
import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser_helpers import ANSWER, open_workbench, run
from tests.conftest import start_workbench, stop
from tests.databases import server_database
from tests.ports import free_port

pytestmark = pytest.mark.browser


def api_body(page: Page) -> dict:
    page.get_by_role("tab", name="API").click()
    page.get_by_role("tab", name="JSON").click()
    raw = page.locator("#code-json").input_value()
    page.get_by_role("tab", name="Chat").click()
    return json.loads(raw)


def tokens(n: int) -> str:
    return "".join(f"tok{i} " for i in range(n))


def test_sent_text_never_comes_back_into_the_message_box(page: Page, fake):
    fake.configure(content="ok")
    open_workbench(page)
    sent = []
    for i in range(20):
        box = page.get_by_role("textbox", name="Message")
        box.fill(f"message {i}")
        if i % 2:
            box.press("Control+Enter")
        else:
            page.get_by_role("button", name="Run").click()
        sent.append(f"message {i}")
        expect(page.locator(f"{ANSWER}[data-status=done]")).to_have_count(i + 1)
        page.reload()
        expect(page.get_by_role("textbox", name="Message")).to_have_value("")
        users = [m["content"] for m in api_body(page)["messages"] if m["role"] == "user"]
        assert users == sent  # each sent message exactly once, nothing else typed
    bodies = [r["body"]["messages"] for r in fake.requests()]
    assert [m["content"] for m in bodies[-1] if m["role"] == "user"] == sent


def test_two_tabs_of_one_browser_cannot_run_at_once(browser, live_server_url, fake):
    fake.configure(tokens=60, rate=30)
    first = browser.new_context(base_url=live_server_url)
    a = first.new_page()
    open_workbench(a)
    a.get_by_role("textbox", name="Message").fill("from tab A")
    with a.expect_response("**/workbench/draft"):
        a.get_by_role("textbox", name="System prompt").fill("shared")
    second = browser.new_context(base_url=live_server_url)
    second.add_cookies(first.cookies())  # the same browser, another window
    b = second.new_page()
    open_workbench(b)
    b.get_by_role("textbox", name="Message").fill("from tab B")
    a.get_by_role("button", name="Run").click()
    b.get_by_role("button", name="Run").click()
    notices = [p.locator("#notice") for p in (a, b)]
    streaming = [p.locator(f"{ANSWER}[data-status=streaming]") for p in (a, b)]
    texts = ["", ""]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        texts = [n.text_content() or "" for n in notices]
        if any("still streaming" in t for t in texts):
            break
        time.sleep(0.05)
    refused = [i for i, t in enumerate(texts) if "still streaming" in t]
    assert len(refused) == 1, texts
    winner = 1 - refused[0]
    expect(streaming[winner]).to_contain_text("tok1")
    loser = (a, b)[refused[0]]
    expect(loser.locator(ANSWER)).to_have_count(1)  # the winner's answer, followed; none of its own
    expect(loser.get_by_role("textbox", name="Message")).to_have_value(
        ("from tab A", "from tab B")[refused[0]]
    )
    requests = fake.requests()
    assert len(requests) == 1
    for m in requests[0]["body"]["messages"]:
        assert m["content"], "a placeholder was sent"
    first.close()
    second.close()


def test_reload_mid_answer_shows_the_text_so_far_and_goes_on(page: Page, fake):
    fake.configure(tokens=120, rate=25)
    open_workbench(page)
    run(page, "a long answer please")
    expect(page.locator(f"{ANSWER}[data-status=streaming]")).to_contain_text("tok1")
    time.sleep(2.5)
    page.reload()
    streaming = page.locator(f"{ANSWER}[data-status=streaming]")
    expect(streaming).to_contain_text("tok30", timeout=3000)  # at once, not only new text
    expect(page.get_by_role("button", name="Stop")).to_be_enabled()
    done = page.locator(f"{ANSWER}[data-status=done]")
    expect(done).to_have_count(1, timeout=15_000)
    assert done.locator(".content").inner_text().strip() == tokens(120).strip()
    assert fake.requests()[0]["completed"] is True


def test_stop_from_a_second_tab_closes_the_upstream_within_a_second(page: Page, fake):
    fake.configure(tokens=1000, rate=50)
    open_workbench(page)
    run(page, "go on")
    expect(page.locator(f"{ANSWER}[data-status=streaming]")).to_contain_text("tok2")
    other = page.context.new_page()
    other.goto("/workbench")
    stop = other.get_by_role("button", name="Stop")
    expect(stop).to_be_enabled()
    expect(other.locator(f"{ANSWER}[data-status=streaming]")).to_contain_text("tok5")
    clicked = time.time()
    stop.click()
    records = fake.wait_for(lambda r: r and r[0]["disconnected_at"], timeout=3)
    assert records[0]["disconnected_at"] - clicked < 1.0
    for p in (page, other):
        expect(p.locator(f"{ANSWER}[data-status=stopped]")).to_contain_text("tok2")
        expect(p.get_by_role("button", name="Run")).to_be_enabled()


@pytest.fixture
def crashable_server(fake_upstream):
    """A workbench server of its own, with a short run lease, that a test may kill."""
    with server_database("crash") as url:
        env = {"DATABASE_URL": url, "WORKBENCH_RUN_LEASE": "2"}
        port = free_port()
        server = {"proc": start_workbench(env, "crash", port), "url": f"http://127.0.0.1:{port}"}
        server["restart"] = lambda: server.update(proc=start_workbench(env, "crash", port))
        yield server
        stop(server["proc"])


def test_a_crash_mid_answer_leaves_it_interrupted_with_its_text(browser, crashable_server, fake):
    fake.configure(tokens=1000, rate=20)
    context = browser.new_context(base_url=crashable_server["url"])
    page = context.new_page()
    open_workbench(page)
    run(page, "first question")
    expect(page.locator(f"{ANSWER}[data-status=streaming]")).to_contain_text("tok20")
    crashable_server["proc"].kill()  # no goodbye: SIGKILL
    crashable_server["proc"].wait()
    crashable_server["restart"]()
    page.reload()
    interrupted = page.locator(f"{ANSWER}[data-status=interrupted]")
    expect(interrupted).to_contain_text("tok10", timeout=10_000)
    expect(interrupted.get_by_role("button", name="Delete assistant message 2")).to_be_visible()
    fake.configure(content="second answer")
    run(page, "second question")
    expect(page.locator(f"{ANSWER}[data-status=done]")).to_contain_text("second answer")
    sent = fake.requests()[-1]["body"]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[1]["content"].startswith("tok0 tok1") and all(m["content"] for m in sent)
    context.close()


def test_a_tab_that_redraws_the_conversation_follows_the_answer_streaming_in_another(
    page: Page, fake
):
    fake.configure(content="first answer")
    open_workbench(page)
    run(page, "one")
    expect(page.locator(f"{ANSWER}[data-status=done]")).to_have_count(1)
    other = page.context.new_page()
    other.goto("/workbench")
    fake.configure(tokens=80, rate=20)
    run(page, "two")
    expect(page.locator(f"{ANSWER}[data-status=streaming]")).to_contain_text("tok1")
    other.get_by_role("button", name="Delete user message 1").click()  # redraws it all
    streaming = other.locator(f"{ANSWER}[data-status=streaming]")
    expect(streaming).to_contain_text("tok10")  # followed here too, from the start
    expect(other.get_by_role("button", name="Stop")).to_be_enabled()
    done = other.locator(f"{ANSWER}[data-status=done]")
    expect(done.last).to_contain_text("tok79", timeout=15_000)
    assert done.last.locator(".content").inner_text().strip() == tokens(80).strip()


def test_a_refused_run_keeps_what_its_tab_was_about_to_send(browser, live_server_url, fake):
    fake.configure(tokens=40, rate=20)
    first = browser.new_context(base_url=live_server_url)
    a = first.new_page()
    open_workbench(a)
    with a.expect_response("**/workbench/draft"):
        a.get_by_role("textbox", name="System prompt").fill("shared")
    b = first.new_page()
    b.goto("/workbench")
    run(a, "from A")
    expect(a.locator(f"{ANSWER}[data-status=streaming]")).to_contain_text("tok1")
    run(b, "from B")
    expect(b.locator("#notice")).to_contain_text("still streaming")
    expect(b.get_by_role("button", name="Stop")).to_be_enabled()  # Stop here stops A's run
    expect(b.locator("article[data-role=user]")).to_contain_text("from A")  # B now shows it
    expect(b.locator(f"{ANSWER}[data-status=done]")).to_contain_text("tok39", timeout=15_000)
    expect(b.get_by_role("button", name="Run")).to_be_enabled()  # and B is free again
    expect(b.get_by_role("button", name="Stop")).to_be_disabled()
    b.reload()
    expect(b.get_by_role("textbox", name="Message")).to_have_value("from B")
    first.close()


def test_a_change_the_server_refuses_says_why(page: Page, fake):
    open_workbench(page)
    page.get_by_role("button", name="Add").click()  # nothing to add
    expect(page.locator("#notice")).to_have_text("Write the message to add first.")


def test_run_pressed_twice_sends_once(page: Page, fake):
    fake.configure(content="once")
    open_workbench(page)
    page.get_by_role("textbox", name="Message").fill("hello")
    page.get_by_role("button", name="Run").dblclick()
    expect(page.locator(f"{ANSWER}[data-status=done]")).to_contain_text("once")
    assert len(fake.requests()) == 1
    expect(page.locator("#notice")).to_have_text("")


def test_a_model_link_is_stored_by_the_first_look_at_the_api_tab(page: Page, fake):
    open_workbench(page, "smollm2-135m-instruct")
    page.get_by_role("textbox", name="Message").fill("hi")
    with page.expect_response("**/workbench/draft"):
        page.get_by_role("textbox", name="System prompt").fill("x")
    page.goto("/workbench?model=fake-chat")  # pre-selected, not stored
    expect(page.locator("#preselected")).to_contain_text("chosen by the link")
    page.get_by_role("tab", name="API").click()
    expect(page.locator("#preselected")).to_have_count(0)  # stored now: the note goes
    page.get_by_role("tab", name="JSON").click()
    expect(page.locator("#panel-code-json")).to_contain_text('"model": "fake-chat"')
    assert page.url.endswith("/workbench")
    page.reload()
    expect(page.get_by_role("combobox", name="Model")).to_have_value("fake-chat")
