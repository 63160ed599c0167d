"""The accounts' settings from the environment, and accounts made on the command line."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from tests.accounts import PASSWORD, fast_hashing, logged_in_id  # noqa: F401 (autouse)
from tests.test_settings import manage

SHOW = (
    "from django.conf import settings\n"
    "print(settings.WORKBENCH_SIGNUP, settings.WORKBENCH_REQUIRE_LOGIN)\n"
)


@pytest.mark.parametrize(
    ("env", "shown"),
    [
        ({}, "open False"),
        ({"WORKBENCH_SIGNUP": "closed", "WORKBENCH_REQUIRE_LOGIN": "1"}, "closed True"),
        ({"WORKBENCH_SIGNUP": " Open ", "WORKBENCH_REQUIRE_LOGIN": "off"}, "open False"),
    ],
)
def test_the_environment_sets_signup_and_require_login(env, shown):
    base = {"WORKBENCH_SIGNUP": "", "WORKBENCH_REQUIRE_LOGIN": "", "DEBUG": "1"}
    done = manage("shell", "-c", SHOW, **{**base, **env})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == shown


def test_an_unknown_signup_value_stops_start_up():
    done = manage("check", DEBUG="1", WORKBENCH_SIGNUP="invite")
    assert done.returncode != 0
    assert "WORKBENCH_SIGNUP must be 'open' or 'closed', not 'invite'." in done.stderr


@pytest.mark.django_db
def test_createsuperuser_makes_an_account_that_logs_in(client, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command(
        "createsuperuser", interactive=False, username="root", email="root@example.org", verbosity=0
    )
    user = User.objects.get(username="root")
    assert user.is_superuser and user.is_staff
    r = client.post("/accounts/login/", {"username": "root", "password": PASSWORD})
    assert r.status_code == 302 and logged_in_id(client) == user.pk
