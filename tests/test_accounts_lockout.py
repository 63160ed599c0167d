"""Login rate-limiting (django-axes): a username is locked out from one address after
AXES_FAILURE_LIMIT failures, for AXES_COOLOFF_TIME, with a page that says so."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.test import RequestFactory, override_settings

from tests.accounts import (
    PASSWORD,
    fast_hashing,  # noqa: F401 (autouse)
    logged_in_id,
    make_user,
)
from workbench.accounts.lockout import client_ip

pytestmark = pytest.mark.django_db
URL = "/accounts/login/"


def attempt(client, password: str = "wrong", username: str = "ada", **extra):
    return client.post(URL, {"username": username, "password": password}, **extra)


def test_the_fifth_failure_locks_out_even_the_right_password(client):
    make_user()
    assert [attempt(client).status_code for _ in range(4)] == [200] * 4
    locked = attempt(client)
    html = locked.content.decode()
    assert locked.status_code == 429 and locked["Retry-After"] == "900"
    assert "<h1" in html and "Too many failed log-ins</h1>" in html
    assert "failed to log in 5 times from your address" in html
    assert "Try again in 15 minutes" in html
    assert attempt(client).status_code == 429  # the sixth
    assert attempt(client, PASSWORD).status_code == 429
    assert logged_in_id(client) is None


def test_the_lock_holds_for_that_username_from_that_address_only(client):
    make_user("ada")
    make_user("grace")
    for _ in range(5):
        attempt(client)
    assert attempt(client, PASSWORD, "grace").status_code == 302
    client.post("/accounts/logout/")
    assert attempt(client, PASSWORD, REMOTE_ADDR="192.0.2.7").status_code == 302


def test_a_success_clears_the_count(client):
    make_user()
    for _ in range(4):
        attempt(client)
    assert attempt(client, PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    assert [attempt(client).status_code for _ in range(4)] == [200] * 4


def test_the_lock_ends_after_the_cool_off(client):
    make_user()
    for _ in range(5):
        attempt(client)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=16))
    assert attempt(client, PASSWORD).status_code == 302


def test_a_made_up_forwarded_for_does_not_dodge_the_lock(client):
    """The test client's peer (127.0.0.1) is no trusted proxy: its X-Forwarded-For is ignored."""
    make_user()
    codes = [attempt(client, headers={"X-Forwarded-For": f"198.51.100.{i}"}) for i in range(6)]
    assert [r.status_code for r in codes][-2:] == [429, 429]


@override_settings(WORKBENCH_TRUSTED_PROXIES=["127.0.0.1"])
def test_behind_a_trusted_proxy_each_client_address_has_its_own_count(client):
    make_user()
    for _ in range(5):
        attempt(client, headers={"X-Forwarded-For": "198.51.100.1"})
    assert attempt(client, headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 429
    ok = attempt(client, PASSWORD, headers={"X-Forwarded-For": "203.0.113.5, 198.51.100.1"})
    assert ok.status_code == 429  # the nearest hop that is not a proxy: 198.51.100.1
    assert attempt(client, PASSWORD, headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 302


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "expected"),
    [
        ("192.0.2.1", "", [], "192.0.2.1"),
        ("192.0.2.1", "198.51.100.9", [], "192.0.2.1"),
        ("10.0.0.1", "198.51.100.9", ["10.0.0.1"], "198.51.100.9"),
        ("10.0.0.1", "198.51.100.9, 10.0.0.2", ["10.0.0.1", "10.0.0.2"], "198.51.100.9"),
        ("10.0.0.1", "not an address", ["10.0.0.1"], None),
        ("", "", [], None),
        ("::1", "", [], "::1"),
    ],
)
def test_client_ip_follows_the_relays_rule(remote, forwarded, trusted, expected):
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(WORKBENCH_TRUSTED_PROXIES=trusted):
        assert client_ip(request) == expected
