"""/healthz: 200 when the database and the channel layer answer, 503 naming what does not."""

import asyncio
import json

import pytest
from django.test import AsyncClient

from tests.conftest import manage
from tests.relay_helpers import connect, redis_layers, start_draft
from tests.testenv import CLOSED_PORT
from workbench import health

pytestmark = pytest.mark.django_db(transaction=True)  # the websocket test needs it


def test_healthy_with_the_in_memory_layer(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"database": "ok", "channel_layer": "ok"}
    assert "no-cache" in r["Cache-Control"]


def test_healthy_with_a_real_redis(client, settings):
    settings.CHANNEL_LAYERS = redis_layers()
    r = client.get("/healthz")
    assert (r.status_code, r.json()) == (200, {"database": "ok", "channel_layer": "ok"})


async def test_healthy_on_redis_while_a_page_waits_for_messages(settings):
    """The check's message comes back while the process's sockets wait on the same layer."""
    settings.CHANNEL_LAYERS = redis_layers()
    page = await connect(await start_draft())
    r = await AsyncClient().get("/healthz")
    assert (r.status_code, r.json()) == (200, {"database": "ok", "channel_layer": "ok"})
    await page.disconnect()


def test_a_redis_that_does_not_answer_is_a_503(client, settings):
    settings.CHANNEL_LAYERS = redis_layers(f"redis://127.0.0.1:{CLOSED_PORT}/0")
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json() == {"database": "ok", "channel_layer": "ConnectionError"}


class SilentLayer:
    """A channel layer that takes every message and never delivers one."""

    async def new_channel(self, prefix: str = "specific") -> str:
        return f"{prefix}.silent!1"

    async def send(self, channel: str, message: dict) -> None:
        pass

    async def receive(self, channel: str) -> dict:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


def test_a_layer_that_takes_but_never_delivers_is_a_503(client, monkeypatch):
    monkeypatch.setattr(health, "get_channel_layer", SilentLayer)
    monkeypatch.setattr(health, "LAYER_TIMEOUT", 0.1)
    r = client.get("/healthz")
    assert (r.status_code, r.json()) == (503, {"database": "ok", "channel_layer": "TimeoutError"})


def test_only_get(client):
    assert client.post("/healthz").status_code == 405


def test_a_database_that_does_not_answer_is_a_503_that_tells_no_secret():
    """A real unreachable PostgreSQL, in a process of its own with production's HTTPS
    settings (a probe over plain HTTP is answered, not redirected). Login is required
    and the probe carries a session cookie: the check must still not need the database."""
    code = (
        "from django.test import Client\n"
        "client = Client()\n"
        "client.cookies['sessionid'] = 'x' * 32\n"
        "r = client.get('/healthz')\n"
        "print(r.status_code, r.content.decode())\n"
    )
    done = manage(
        "shell",
        "-c",
        code,
        DATABASE_URL=f"postgres://admin:s3cret-pw@127.0.0.1:{CLOSED_PORT}/nowhere",
        WORKBENCH_REQUIRE_LOGIN="1",
    )
    assert done.returncode == 0, done.stderr
    status, body = done.stdout.strip().splitlines()[-1].split(" ", 1)
    assert status == "503"
    assert json.loads(body) == {"database": "OperationalError", "channel_layer": "ok"}
    assert "s3cret" not in body and str(CLOSED_PORT) not in body
