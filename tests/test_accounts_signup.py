"""Sign-up: a new account, logged in at once through auth.login (its signal fires)."""

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in
from django.test import Client

from tests.accounts import (
    PASSWORD,
    account_nav,
    fast_hashing,  # noqa: F401 (autouse)
    logged_in_id,
    make_user,
)

pytestmark = pytest.mark.django_db
URL = "/accounts/signup/"


def form(username: str = "grace", password: str = PASSWORD, again: str | None = None) -> dict:
    return {"username": username, "password1": password, "password2": again or password}


def test_the_form_has_plain_labels_and_a_heading(client):
    r = client.get(URL)
    html = r.content.decode()
    assert r.status_code == 200
    assert "<h1" in html and ">Sign up</h1>" in html
    assert '<label for="id_username">Username</label>' in html
    assert '<label for="id_password1">Password</label>' in html
    assert '<label for="id_password2">Password confirmation</label>' in html


def test_signing_up_creates_the_account_and_logs_in(client):
    r = client.post(URL, form())
    assert r.status_code == 302 and r.url == "/workbench"
    user = User.objects.get(username="grace")
    assert user.check_password(PASSWORD) and not user.is_staff
    assert logged_in_id(client) == user.pk
    assert "grace" in account_nav(client.get("/").content.decode())


def test_signing_up_fires_user_logged_in_with_the_browser(client):
    """Another app moves what the anonymous browser saved on this signal."""
    client.get("/")  # the browser gets its cookie, as a person's would have
    browser = client.cookies["workbench_browser"].value
    seen = []

    def receiver(sender, request, user, **kwargs):
        seen.append((user.username, request.browser))

    user_logged_in.connect(receiver)
    try:
        client.post(URL, form())
    finally:
        user_logged_in.disconnect(receiver)
    assert seen == [("grace", browser)]


def test_next_is_followed_on_this_site_only(client):
    assert client.post(URL + "?next=/models", form("one")).url == "/models"
    client.post("/accounts/logout/")
    r = client.post(URL, {**form("two"), "next": "https://evil.example/"})
    assert r.url == "/workbench"


def test_mismatched_passwords_are_shown_beside_the_field(client):
    r = client.post(URL, form(again=PASSWORD + "x"))
    html = r.content.decode()
    assert r.status_code == 200 and not User.objects.exists()
    assert "<title>Error: Sign up" in html
    assert 'role="alert">Please correct the fields marked below.' in html
    assert 'id="id_password2_error"' in html and "didn’t match" in html
    assert 'aria-invalid="true" aria-describedby="id_password2_helptext id_password2_error"' in html
    assert logged_in_id(client) is None


@pytest.mark.parametrize(
    ("username", "password", "reason"),
    [
        ("ADA", PASSWORD, "A user with that username already exists."),  # case-insensitively
        ("grace", "password", "This password is too common."),
        ("grace", "12345678901", "This password is entirely numeric."),
        ("grace", "short", "This password is too short."),
        ("no spaces", PASSWORD, "Enter a valid username."),
    ],
)
def test_a_taken_name_or_weak_password_is_refused(client, username, password, reason):
    make_user("ada")
    r = client.post(URL, form(username, password))
    assert r.status_code == 200 and reason in r.content.decode()
    assert User.objects.count() == 1


def test_a_post_without_the_csrf_token_is_refused():
    r = Client(enforce_csrf_checks=True).post(URL, form())
    assert r.status_code == 403 and not User.objects.exists()


def test_only_get_and_post(client):
    assert client.put(URL).status_code == 405
