"""`manage.py purgedrafts`: old anonymous drafts that saved nothing go; nothing else does."""

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from tests.drafts import put_messages, stored
from tests.library_helpers import owner_of, saved_session
from workbench.chat.conversation import message
from workbench.chat.models import Draft, Run
from workbench.library.models import Session

pytestmark = pytest.mark.django_db


def age(days: int) -> None:
    then = timezone.now() - dt.timedelta(days=days)
    Draft.objects.update(updated_at=then)
    Session.objects.update(updated_at=then)


def purge(*args: str) -> str:
    out = StringIO()
    call_command("purgedrafts", *args, stdout=out)
    return out.getvalue()


def test_old_anonymous_unsaved_work_goes_saved_and_recent_work_stays():
    idle, keeper, recent = Client(), Client(), Client()
    put_messages(idle, message("user", "scratch"))
    Run.objects.create(id="scratch", draft=stored(idle), body={}, status="done")
    idle.post("/library/new")  # the scratch work is kept as an unsaved draft...
    put_messages(idle, message("user", "more scratch"))
    saved_session(keeper)
    Run.objects.create(
        id="kept", draft=stored(keeper), session=Session.objects.get(saved=True), body={}
    )
    user = get_user_model().objects.create_user("ada", password="pw-123456789")
    put_messages(Client(), message("user", "an account's"))
    Draft.objects.exclude(browser__in=[stored(idle).browser, stored(keeper).browser]).update(
        user=user
    )
    age(31)
    put_messages(recent, message("user", "today"))

    assert "Would delete 1 drafts, 1 unsaved sessions and 1 runs" in purge("--dry-run")
    assert Draft.objects.count() == 4
    assert "Deleted 1 drafts, 1 unsaved sessions and 1 runs untouched for 30 days." in purge()
    assert stored(keeper).session.saved  # editing a saved session: stays
    assert set(Run.objects.values_list("id", flat=True)) == {"kept"}
    assert Session.objects.get().saved
    assert Draft.objects.filter(user=user).exists()  # a signed-in person's draft stays
    assert stored(recent).column().messages[0]["content"] == "today"
    assert not Draft.objects.filter(browser=idle.cookies["workbench_browser"].value).exists()
    assert owner_of(keeper).owns(Session.objects.get())


@override_settings(WORKBENCH_DRAFT_DAYS=3)
def test_the_age_comes_from_the_setting_or_the_option():
    put_messages(Client(), message("user", "x"))
    age(2)
    assert purge().startswith("Deleted 0 drafts")
    assert purge("--days", "1").startswith("Deleted 1 drafts")
