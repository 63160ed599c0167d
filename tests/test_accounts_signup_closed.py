"""WORKBENCH_SIGNUP=closed: the sign-up page says so with a 403, and no link leads there.

403 with a page rather than 404: a person following an old link learns that
sign-up exists but is closed here, and whom to ask.
"""

import pytest
from django.contrib.auth.models import User
from django.test import override_settings

from tests.accounts import PASSWORD, account_nav, fast_hashing  # noqa: F401 (autouse)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("closed")]
URL = "/accounts/signup/"


@pytest.fixture
def closed():
    with override_settings(WORKBENCH_SIGNUP="closed"):
        yield


def test_the_page_says_sign_up_is_closed(client):
    r = client.get(URL)
    html = r.content.decode()
    assert r.status_code == 403
    assert ">Sign-up is closed</h1>" in html and "does not take new accounts" in html
    assert 'href="/accounts/login/">log in</a>' in html


def test_a_post_creates_no_account(client):
    fields = {"username": "grace", "password1": PASSWORD, "password2": PASSWORD}
    assert client.post(URL, fields).status_code == 403
    assert not User.objects.exists()


@pytest.mark.parametrize("path", ["/", "/models", "/accounts/login/"])
def test_no_link_offers_sign_up(client, path):
    html = client.get(path).content.decode()
    assert "Log in</a>" in account_nav(html)
    assert "/accounts/signup/" not in html and "Sign up" not in html
