"""The Library page: my sessions only, newest first, search."""

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from tests.library_helpers import saved_session
from workbench.library.models import Session

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    return re.findall(
        r'<h2><a href="/library/[0-9a-f-]+">([^<]*)</a></h2>', response.content.decode()
    )


def test_lists_my_sessions_newest_first_and_nobody_else_s():
    me, other = Client(), Client()
    older = saved_session(me, "Older one")
    Session.objects.filter(pk=older.pk).update(updated_at=timezone.now() - dt.timedelta(days=1))
    me.post("/library/new")
    saved_session(me, "Newer one")
    saved_session(other, "Not mine")
    assert titles(me.get("/library")) == ["Newer one", "Older one"]
    assert titles(other.get("/library")) == ["Not mine"]
    assert titles(Client().get("/library")) == []


def test_search_looks_through_titles_and_text():
    me = Client()
    saved_session(me, "About whales")
    me.post("/library/new")
    saved_session(me, "Something else")
    assert titles(me.get("/library", {"q": "whales"})) == ["About whales"]
    assert titles(me.get("/library", {"q": "CHICKEN"})) == ["Something else", "About whales"]
    assert titles(me.get("/library", {"q": "whales chicken"})) == ["About whales"]
    assert titles(me.get("/library", {"q": "nothing like it"})) == []
    assert "No session matches." in me.get("/library", {"q": "zzz"}).content.decode()


def test_a_signed_in_person_sees_their_account_s_sessions_on_any_browser():
    user = get_user_model().objects.create_user("ada", password="pw-123456789")
    laptop, phone = Client(), Client()
    laptop.force_login(user)
    phone.force_login(user)
    saved_session(laptop, "From the laptop", user_id=user.pk)
    assert titles(phone.get("/library")) == ["From the laptop"]
    assert titles(Client().get("/library")) == []


def test_hostile_queries_render():
    me = Client()
    saved_session(me)
    for q in ["%", "_", "'; drop table x; --", "<script>", "\\", "x" * 5000]:
        response = me.get("/library", {"q": q})
        assert response.status_code == 200
        assert "<script>" not in response.content.decode().split("<main", 1)[1]
