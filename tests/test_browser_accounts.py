"""The account pages in a real Chromium: axe finds nothing on them (desktop and phone,
light and dark), and a person signs up, logs out and logs in again by their labels."""

import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.accounts import PASSWORD
from tests.axe import assert_none, violations

pytestmark = pytest.mark.browser


def someone() -> str:
    """A username no other test on the shared live server has used."""
    return f"u{uuid.uuid4().hex[:12]}"


def log_in(page: Page, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def sign_up(page: Page, username: str, password: str = PASSWORD, again: str = PASSWORD) -> None:
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password confirmation").fill(again)
    page.get_by_role("button", name="Sign up").click()


def no_sideways_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_logged_out_account_pages(shown: Page):
    shown.goto("/accounts/login/")
    found = {"login": violations(shown)}
    log_in(shown, someone(), "not the password")
    expect(shown.get_by_role("alert")).to_contain_text("Please enter a correct username")
    found["login refused"] = violations(shown)
    sign_up(shown, someone(), again="something else")
    expect(shown.get_by_text("The two password fields didn’t match.")).to_be_visible()
    found["sign-up refused"] = violations(shown)
    assert no_sideways_scroll(shown)
    shown.goto("/accounts/login/")
    locked = someone()
    for _ in range(5):
        log_in(shown, locked, "wrong")
    expect(shown.get_by_role("heading", level=1)).to_have_text("Too many failed log-ins")
    found["locked out"] = violations(shown)
    assert_none(found)


def test_logged_in_account_pages(shown: Page):
    sign_up(shown, someone())
    expect(shown.get_by_role("button", name="Log out")).to_be_visible()
    found = {"workbench, logged in": violations(shown)}
    assert no_sideways_scroll(shown)
    shown.get_by_role("link", name="Change password").click()
    found["password change"] = violations(shown)
    shown.get_by_label("Old password").fill("not it")
    shown.get_by_label("New password", exact=True).fill("another long passphrase 9")
    shown.get_by_label("New password confirmation").fill("another long passphrase 9")
    shown.get_by_role("button", name="Change password").click()
    expect(shown.get_by_text("Your old password was entered incorrectly.")).to_be_visible()
    found["password change refused"] = violations(shown)
    assert_none(found)


def test_sign_up_log_out_and_log_in_again(page: Page):
    name = someone()
    page.goto("/models")
    account = page.get_by_role("navigation", name="Account")
    account.get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign up")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url("/models")  # back where the person was
    expect(account).to_contain_text(name)

    account.get_by_role("button", name="Log out").click()
    expect(account.get_by_role("link", name="Log in")).to_be_visible()
    expect(account).not_to_contain_text(name)

    account.get_by_role("link", name="Log in").click()
    expect(account.get_by_role("link", name="Log in")).to_have_attribute("aria-current", "page")
    log_in(page, name, "not it")
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username")
    expect(page.get_by_label("Username")).to_have_value(name)
    log_in(page, name, PASSWORD)
    expect(page.get_by_role("button", name="Run")).to_be_visible()  # the workbench
    expect(account).to_contain_text(name)
