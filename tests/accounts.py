"""Shared by the account tests: a password Django's validators accept, and a person."""

import re

import pytest
from django.contrib.auth.models import User

PASSWORD = "correct horse battery staple 42"


def make_user(username: str = "ada", password: str = PASSWORD) -> User:
    return User.objects.create_user(username, password=password)


def logged_in_id(client) -> int | None:
    """The id of the user the client's session is logged in as, if any."""
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def account_nav(html: str) -> str:
    """The account navigation landmark of a page."""
    found = re.search(r'<nav class="account" aria-label="Account">(.*?)</nav>', html, re.S)
    assert found, "no account navigation on the page"
    return found.group(1)


@pytest.fixture(autouse=True)
def fast_hashing(settings) -> None:
    """A cheap hasher: the real one takes a good part of a second per password on a
    shared machine, and these tests hash dozens. Autouse where a module imports it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
