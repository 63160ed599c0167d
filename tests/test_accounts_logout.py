"""Log-out: a POST with the CSRF token; nothing else logs anyone out."""

import pytest
from django.test import Client

from tests.accounts import (
    account_nav,
    fast_hashing,  # noqa: F401 (autouse)
    logged_in_id,
    make_user,
)

pytestmark = pytest.mark.django_db
URL = "/accounts/logout/"


@pytest.fixture
def user(client):
    user = make_user()
    client.force_login(user)
    return user


def test_the_nav_shows_who_is_logged_in_and_a_log_out_button(client, user):
    nav = account_nav(client.get("/models").content.decode())
    assert '<span class="who">ada</span>' in nav
    assert '<a href="/accounts/password_change/">Change password</a>' in nav
    assert '<form method="post" action="/accounts/logout/">' in nav
    assert 'name="csrfmiddlewaretoken"' in nav and '<button type="submit">Log out</button>' in nav
    assert "Log in" not in nav and "Sign up" not in nav


def test_a_post_logs_out(client, user):
    r = client.post(URL)
    assert r.status_code == 302 and r.url == "/workbench"
    assert logged_in_id(client) is None
    nav = account_nav(client.get("/").content.decode())
    assert "Log in" in nav and "Log out" not in nav


def test_a_get_does_not_log_out(client, user):
    assert client.get(URL).status_code == 405
    assert logged_in_id(client) == user.pk


def test_a_post_without_the_csrf_token_does_not_log_out(user):
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(user)
    assert csrf.post(URL).status_code == 403
    assert logged_in_id(csrf) == user.pk
