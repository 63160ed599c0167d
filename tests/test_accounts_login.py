"""Log-in: Django's LoginView with plain labels, behind axes (lockout: test_accounts_lockout)."""

import pytest
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
URL = "/accounts/login/"


def test_the_form_is_labelled_username_and_password(client):
    r = client.get(URL)
    html = r.content.decode()
    assert r.status_code == 200 and ">Log in</h1>" in html
    assert '<label for="id_username">Username</label>' in html
    assert '<label for="id_password">Password</label>' in html
    assert 'aria-current="page">Log in</a>' in account_nav(html)


def test_the_right_password_logs_in_and_fires_the_signal(client):
    user = make_user()
    seen = []

    def receiver(sender, request, user, **kwargs):
        seen.append(user.username)

    user_logged_in.connect(receiver)
    try:
        r = client.post(URL, {"username": "ada", "password": PASSWORD})
    finally:
        user_logged_in.disconnect(receiver)
    assert r.status_code == 302 and r.url == "/workbench"
    assert logged_in_id(client) == user.pk and seen == ["ada"]


def test_a_wrong_password_says_so_and_keeps_the_username(client):
    make_user()
    r = client.post(URL, {"username": "ada", "password": "not it"})
    html = r.content.decode()
    assert r.status_code == 200 and logged_in_id(client) is None
    assert "<title>Error: Log in" in html
    assert '<div class="form-errors" role="alert">' in html
    assert "Please enter a correct username and password." in html
    assert 'value="ada"' in html


def test_next_is_followed_on_this_site_only(client):
    make_user()
    r = client.post(URL + "?next=/models", {"username": "ada", "password": PASSWORD})
    assert r.url == "/models"
    client.post("/accounts/logout/")
    credentials = {"username": "ada", "password": PASSWORD, "next": "https://evil.example/"}
    assert client.post(URL, credentials).url == "/workbench"


def test_the_page_carries_next_to_the_form_and_to_sign_up(client):
    html = client.get(URL + "?next=/models/fake-chat").content.decode()
    assert '<input type="hidden" name="next" value="/models/fake-chat">' in html
    assert 'href="/accounts/signup/?next=/models/fake-chat">Sign up</a>' in html


def test_a_post_without_the_csrf_token_is_refused():
    make_user()
    csrf = Client(enforce_csrf_checks=True)
    r = csrf.post(URL, {"username": "ada", "password": PASSWORD})
    assert r.status_code == 403 and logged_in_id(csrf) is None
