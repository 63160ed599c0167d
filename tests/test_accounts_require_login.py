"""WORKBENCH_REQUIRE_LOGIN: anonymous visitors are sent to log in, over HTTP and websocket."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.test import Client, override_settings

from tests.accounts import PASSWORD, fast_hashing, make_user  # noqa: F401 (autouse)

pytestmark = pytest.mark.django_db(transaction=True)  # the websocket tests need it
required = override_settings(WORKBENCH_REQUIRE_LOGIN=True)


def test_off_by_default_anonymous_use_works(client):
    assert settings.WORKBENCH_REQUIRE_LOGIN is False
    assert client.get("/").status_code == 200


@required
@pytest.mark.parametrize(
    ("method", "path", "next_"),
    [
        ("get", "/", "/"),
        ("get", "/workbench?model=fake-chat", "/workbench%3Fmodel%3Dfake-chat"),
        ("get", "/models", "/models"),
        ("get", "/api/models", "/api/models"),
        ("get", "/s/some-shared-link", "/s/some-shared-link"),  # shared links: the general rule
        ("get", "/library", "/library"),
        ("post", "/workbench/draft", "/workbench/draft"),
    ],
)
def test_anonymous_requests_are_sent_to_log_in(client, method, path, next_):
    r = getattr(client, method)(path)
    assert r.status_code == 302 and r.url == f"/accounts/login/?next={next_}"


@required
def test_an_htmx_request_sends_the_whole_page_to_log_in(client):
    r = client.post("/workbench/draft", headers={"HX-Request": "true"})
    assert r.status_code == 204 and r["HX-Redirect"] == "/accounts/login/?next=/workbench/draft"


@required
@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/"])
def test_the_account_pages_stay_open(client, path):
    assert client.get(path).status_code == 200


@required
def test_health_check_and_static_files_stay_open(client):
    assert client.get("/healthz").status_code != 302
    assert client.get(staticfiles_storage.url("css/workbench.css")).status_code == 200


@required
def test_a_logged_in_person_gets_the_pages(client):
    client.force_login(make_user())
    assert client.get("/").status_code == 200
    assert client.get("/models").status_code == 200


@required
def test_logging_in_brings_one_back_to_the_page_asked_for(client):
    make_user()
    login = client.get("/models").url
    r = client.post(login, {"username": "ada", "password": PASSWORD})
    assert r.url == "/models"


def app():
    from workbench.asgi import application  # built once static files are collected

    return application


async def websocket_accepted(session_key: str | None = None) -> bool:
    headers = [(b"host", b"127.0.0.1:8101"), (b"origin", b"http://127.0.0.1:8101")]
    if session_key:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode()))
    communicator = WebsocketCommunicator(app(), "/ws/relay", headers=headers)
    connected, _ = await communicator.connect()
    await communicator.disconnect()
    return connected


def logged_in_session() -> str:
    client = Client()
    client.force_login(make_user())
    return client.session.session_key


async def test_an_anonymous_websocket_is_refused_when_login_is_required():
    assert await websocket_accepted()  # off: anyone's page may open it
    with required:
        assert not await websocket_accepted()
        assert await websocket_accepted(await sync_to_async(logged_in_session)())
