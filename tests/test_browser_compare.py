"""Compare in Chromium: three columns stream at once, one fails, Stop ends the rest,
turn two sends each model its own history; Compare adds a column; axe is clean."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.axe import assert_none, violations
from tests.browser_helpers import ANSWER

pytestmark = pytest.mark.browser

LINK = "/workbench?model=6xyzj&model=9xyzj&model=6qyzj"
SLOW_WORDS = " ".join(f"slow{i}" for i in range(400))


def column(page: Page, n: int):
    return page.get_by_role("region", name=f"Column {n}", exact=True)


def test_three_columns_stream_at_once_one_fails_stop_ends_the_rest(audited_page: Page, fake):
    page = audited_page
    fake.configure(
        models={
            "6xyzj": {"tokens": 10, "rate": 50},  # fast: done in about 0.2 s
            # slow: 10 s, its own words, so its history cannot pass for the fast one's
            "9xyzj": {"content": SLOW_WORDS, "rate": 40, "ttft": 0.3},
            "6qyzj": {"fault": "http_500"},
        }
    )
    page.goto(LINK)
    for n, model in enumerate(["6xyzj", "9xyzj", "6qyzj"], start=1):
        expect(column(page, n).get_by_role("combobox", name="Model")).to_have_value(model)
    page.get_by_role("textbox", name="Message").fill("Compare this")
    page.get_by_role("button", name="Run", exact=True).click()
    fast, slow, failing = (column(page, n).locator(ANSWER) for n in (1, 2, 3))
    # The slow one's first token shows while the fast one is still going or just done.
    expect(slow).to_contain_text("slow1")
    expect(fast).to_have_attribute("data-status", "done")
    expect(slow).to_have_attribute("data-status", "streaming")  # the fast one finished first
    expect(failing).to_have_attribute("data-status", "error")
    expect(failing.locator(".run-error")).to_contain_text("server error (500)")
    expect(column(page, 2).get_by_role("button", name="Stop column 2")).to_be_enabled()
    expect(column(page, 1).get_by_role("button", name="Stop column 1")).to_be_disabled()
    stop = page.get_by_role("button", name="Stop", exact=True)
    expect(stop).to_be_enabled()
    stop.click()
    expect(slow).to_have_attribute("data-status", "stopped")
    records = fake.wait_for(lambda r: any(x["disconnected_at"] for x in r), timeout=3)
    slow_record = next(r for r in records if r["body"]["model"] == "9xyzj")
    assert slow_record["disconnected_at"] and not slow_record["completed"]  # closed mid-answer
    fast_record = next(r for r in records if r["body"]["model"] == "6xyzj")
    assert fast_record["completed"] and not fast_record["disconnected_at"]
    expect(page.get_by_role("button", name="Run", exact=True)).to_be_enabled()

    # Turn two: each column is sent its own history.
    fake.configure(content="second")
    page.get_by_role("textbox", name="Message").fill("And then?")
    page.get_by_role("button", name="Run", exact=True).click()
    for n, done in ((1, 2), (2, 1), (3, 1)):  # after a stopped answer and a failed one
        expect(column(page, n).locator(f"{ANSWER}[data-status=done]")).to_have_count(done)
    bodies = {r["body"]["model"]: r["body"]["messages"] for r in fake.requests()}
    assert bodies["6xyzj"][1]["content"] == "".join(f"tok{i} " for i in range(10))
    slow_history = bodies["9xyzj"][1]["content"]
    assert slow_history.startswith("slow0 slow1") and SLOW_WORDS.startswith(slow_history)
    assert slow_history != SLOW_WORDS  # the stopped part, not the whole
    assert [m["content"] for m in bodies["6qyzj"]] == ["Compare this", "And then?"]

    # When the last column ends, the figures of the last answers, side by side.
    leaders = page.locator("#standings summary")
    expect(leaders).to_contain_text("Fastest first token: Column")
    expect(leaders).to_contain_text("Cheapest: no prices in the catalog")
    leaders.click()  # the table, folded below its line of leaders
    standings = page.get_by_role("region", name="Last answers side by side")
    expect(standings.locator("tbody tr")).to_have_count(3)
    expect(standings).to_contain_text("fastest")
    expect(standings).to_contain_text("no prices in the catalog")

    # The diff of two columns' last answers (both "second": nothing changed), then 1 and 3.
    page.get_by_role("button", name="Show diff").click()
    difference = page.get_by_role("region", name="Difference")
    expect(difference).to_contain_text("Column 1 (")
    expect(difference).to_contain_text(": 0 removed, 0 added.")
    page.get_by_role("combobox", name="with column").select_option("3")
    page.get_by_role("button", name="Show diff").click()
    expect(difference).to_contain_text("→ Column 3")
    assert_none({"compare with a diff": violations(page)})


def test_compare_adds_a_column_and_the_panel_follows_focus(audited_page: Page, fake):
    page = audited_page
    page.goto("/workbench?model=6xyzj")
    page.get_by_role("button", name="Compare").click()
    expect(column(page, 2)).to_be_visible()
    expect(page.locator("#panel-column")).to_have_text(" — Column 2")
    expect(column(page, 2).get_by_role("combobox", name="Model")).to_have_value("6xyzj")
    column(page, 2).get_by_role("combobox", name="Model").select_option("9xyzj")
    with page.expect_response("**/workbench/draft"):
        page.get_by_role("textbox", name="System prompt").fill("Column two only")
    column(page, 1).get_by_role("combobox", name="Model").focus()
    expect(page.locator("#panel-column")).to_have_text(" — Column 1")
    expect(page.get_by_role("textbox", name="System prompt")).to_have_value("")
    page.reload()
    expect(column(page, 2).get_by_role("combobox", name="Model")).to_have_value("9xyzj")
    column(page, 2).get_by_role("button", name="Keep this one").focus()
    expect(page.get_by_role("textbox", name="System prompt")).to_have_value("Column two only")
    assert_none({"compare": violations(page)})
    page.set_viewport_size({"width": 390, "height": 844})
    expect(column(page, 1)).to_be_attached()
    assert_none({"compare on a phone": violations(page)})
    page.get_by_role("button", name="Close column 2").click()
    expect(column(page, 2)).to_have_count(0)
    assert re.search(r"column=1", page.url)


def test_send_to_one_column_only(audited_page: Page, fake):
    page = audited_page
    fake.configure(content="only here" + " and on" * 20, rate=20)  # about two seconds
    page.goto("/workbench?model=6xyzj&model=9xyzj")
    page.get_by_role("textbox", name="Message").fill("Just column two")
    send = column(page, 2).get_by_role("button", name="Send to column 2 only")
    send.click()
    answer = column(page, 2).locator(ANSWER)
    expect(answer).to_have_attribute("data-status", "streaming")
    # While it streams, nothing else can start a run.
    for button in (send, column(page, 1).get_by_role("button", name="Send to column 1 only")):
        expect(button).to_be_disabled()
    expect(answer).to_have_attribute("data-status", "done")
    expect(answer).to_contain_text("only here")
    expect(column(page, 1).locator("article")).to_have_count(0)
    expect(column(page, 2).locator("article[data-role=user]")).to_have_text(
        re.compile("Just column two")
    )
    expect(page.get_by_role("textbox", name="Message")).to_have_value("")
    for n in (1, 2):
        again = column(page, n).get_by_role("button", name=f"Send to column {n} only")
        expect(again).to_be_enabled()
    assert [r["body"]["model"] for r in fake.requests()] == ["9xyzj"]
    assert_none({"compare, one column sent to": violations(page)})


def test_every_column_follows_its_own_answer(page: Page, fake):
    fake.configure(content=" ".join(f"line{i}\n\n" for i in range(80)), rate=400)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/workbench?model=6xyzj&model=9xyzj&model=6qyzj")
    page.get_by_role("textbox", name="Message").fill("A long one")
    page.get_by_role("button", name="Run", exact=True).click()
    for n in (1, 2, 3):
        expect(column(page, n).locator(f"{ANSWER}[data-status=done]")).to_have_count(1)
    at_bottom = page.evaluate(
        """() => [...document.querySelectorAll('#columns .conversation')].map(
            (el) => el.scrollHeight - el.scrollTop - el.clientHeight <= 48)"""
    )
    assert at_bottom == [True, True, True]
    expect(page.get_by_role("button", name="Jump to latest")).to_be_hidden()
