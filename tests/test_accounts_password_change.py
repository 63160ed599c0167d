"""Changing one's password: the old one first; this browser stays logged in, others not."""

import pytest
from django.test import Client

from tests.accounts import (
    PASSWORD,
    fast_hashing,  # noqa: F401 (autouse)
    logged_in_id,
    make_user,
)

pytestmark = pytest.mark.django_db
URL = "/accounts/password_change/"
NEW = "a quite different passphrase 7"


@pytest.fixture
def user(client):
    user = make_user()
    client.force_login(user)
    return user


def change(client, old: str = PASSWORD, new: str = NEW, again: str | None = None):
    fields = {"old_password": old, "new_password1": new, "new_password2": again or new}
    return client.post(URL, fields)


def test_anonymous_people_are_sent_to_log_in(client):
    r = client.get(URL)
    assert r.status_code == 302 and r.url == "/accounts/login/?next=/accounts/password_change/"


def test_the_form_has_plain_labels(client, user):
    html = client.get(URL).content.decode()
    assert ">Change password</h1>" in html
    for field, label in [
        ("old_password", "Old password"),
        ("new_password1", "New password"),
        ("new_password2", "New password confirmation"),
    ]:
        assert f'<label for="id_{field}">{label}</label>' in html
    assert 'aria-current="page">Change password</a>' in html


def test_a_change_keeps_this_browser_logged_in_and_logs_out_the_others(client, user):
    other = Client()
    other.force_login(user)
    r = change(client)
    assert r.status_code == 302 and r.url == "/accounts/password_change/done/"
    user.refresh_from_db()
    assert user.check_password(NEW) and not user.check_password(PASSWORD)
    done = client.get(r.url)
    assert done.status_code == 200 and ">Password changed</h1>" in done.content.decode()
    assert logged_in_id(client) == user.pk
    assert other.get(URL).status_code == 302  # its session no longer counts


@pytest.mark.parametrize(
    ("old", "new", "again", "reason"),
    [
        ("not it", NEW, None, "Your old password was entered incorrectly."),
        (PASSWORD, NEW, NEW + "x", "The two password fields didn’t match."),
        (PASSWORD, "password", None, "This password is too common."),
    ],
)
def test_a_refused_change_says_why_and_keeps_the_password(client, user, old, new, again, reason):
    r = change(client, old, new, again)
    html = r.content.decode()
    assert r.status_code == 200 and reason in html and 'aria-invalid="true"' in html
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_post_without_the_csrf_token_is_refused(user):
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(user)
    assert change(csrf).status_code == 403
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
