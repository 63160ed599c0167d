"""Two daphne workers behind nginx (deploy/nginx.conf), on PostgreSQL and Redis.

A run streams in the worker whose socket started it; Stop and a reloaded page
may come to the other worker, and reach the run through the channel layer,
finding it by its record in the database. The sockets that must meet a given
worker connect to it directly; a third goes through nginx, which proves its
websocket upgrade, as the page and /healthz prove its proxying.

PostgreSQL in every pass (``fresh_postgres``), so this is not one of the
``database`` tests the PostgreSQL pass runs again.
"""

import asyncio
import json
import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import psycopg
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests import nginx
from tests.conftest import manage, start_daphne, stop
from tests.databases import fresh_postgres
from tests.ports import free_port
from tests.relay_helpers import REDIS_URL, delivered_text, run_frame, run_id_of, status_of
from tests.testenv import WORK_DIR
from workbench.limits import MAX_IMPORT_BYTES
from workbench.relay import frames

TOKENS = 400  # at 40 a second: streaming still when it is stopped


@dataclass
class Site:
    public: str  # https://127.0.0.1:<nginx's port>
    plain: str  # http://127.0.0.1:<nginx's other port>, which sends browsers to HTTPS
    workers: list[str]  # http://127.0.0.1:<port> of each worker
    database: str


@pytest.fixture(scope="module")
def site(fake_upstream) -> Iterator[Site]:
    ports = [free_port(), free_port()]
    http_port, https_port = free_port(), free_port()
    with fresh_postgres() as database:
        env = {
            "DATABASE_URL": database,
            "REDIS_URL": REDIS_URL,
            "WORKBENCH_HTTPS": "1",  # production's: nginx terminates TLS
            "WORKBENCH_TRUSTED_PROXIES": "127.0.0.1",
        }
        migrated = manage("migrate", "--noinput", "-v0", **env)
        assert migrated.returncode == 0, migrated.stderr
        workers = []
        try:
            for i, port in enumerate(ports, 1):
                workers.append(start_daphne("workbench.asgi:application", port, env, f"worker{i}"))
            with nginx.running(WORK_DIR / "nginx", http_port, https_port, ports):
                yield Site(
                    f"https://127.0.0.1:{https_port}",
                    f"http://127.0.0.1:{http_port}",
                    [f"http://127.0.0.1:{port}" for port in ports],
                    database,
                )
        finally:
            for worker in workers:
                stop(worker)


class Page:
    """A workbench page's websocket: what it sends, and every frame it got, in order."""

    def __init__(self, ws: ClientConnection):
        self.ws = ws
        self.frames: list[str] = []

    async def send(self, frame: str | dict) -> None:
        await self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def until(self, predicate: Callable[[list[str]], bool], timeout: float = 10) -> None:
        try:
            async with asyncio.timeout(timeout):
                while not predicate(self.frames):
                    self.frames.append(await self.ws.recv())
        except TimeoutError:
            shown = "\n".join(frame[:300] for frame in self.frames[-5:])
            why = f"{predicate.__name__}: not after {timeout} s in\n{shown}"
            raise AssertionError(why) from None


@asynccontextmanager
async def page(origin: str, cookie: str) -> AsyncIterator[Page]:
    """A page served from ``origin`` (a worker's, or nginx's), with the browser's cookie."""
    url = origin.replace("http", "ws", 1) + "/ws/relay"
    insecure = ssl.create_default_context()  # the certificate is self-signed
    insecure.check_hostname, insecure.verify_mode = False, ssl.CERT_NONE
    async with connect(
        url,
        origin=origin,
        additional_headers={"Cookie": cookie},
        ssl=insecure if url.startswith("wss:") else None,
    ) as ws:
        yield Page(ws)


def finished(seen: list[str]) -> bool:
    return any(frames.FINISHED.search(f) for f in seen)


def attached(seen: list[str]) -> bool:
    """The text so far (a snapshot), then more of it as it streams."""
    after = [f for f in seen if frames.SNAPSHOT.match(f)][:1]
    return bool(after) and any(frames.TEXT.match(f) for f in seen[seen.index(after[0]) :])


def stored(database: str, run_id: str) -> tuple[str, str]:
    with psycopg.connect(database) as conn:
        return conn.execute("SELECT status, text FROM chat_run WHERE id = %s", [run_id]).fetchone()


async def test_each_worker_answers_its_health_check_over_plain_http(site):
    """As a load balancer probes them, past nginx: not sent to HTTPS."""
    for worker in site.workers:
        health = httpx.get(f"{worker}/healthz")
        assert (health.status_code, health.json()) == (
            200,
            {"database": "ok", "channel_layer": "ok"},
        )


async def test_nginx_passes_pages_health_and_large_bodies_on(site):
    async with httpx.AsyncClient(base_url=site.public, verify=False) as http:
        health = await http.get("/healthz")
        assert (health.status_code, health.json()) == (
            200,
            {"database": "ok", "channel_layer": "ok"},
        )
        home = await http.get("/")
        assert home.status_code == 200 and 'ws-connect="/ws/relay"' in home.text
        # A post as large as an import may be gets to the app (which refuses it:
        # no CSRF token), not nginx's 413.
        big = await http.post("/library/import", content=b"x" * (MAX_IMPORT_BYTES + 4096))
        assert big.status_code == 403
    plain = httpx.get(f"{site.plain}/workbench?model=fake-chat")
    assert plain.status_code == 301
    assert plain.headers["location"] == "https://127.0.0.1/workbench?model=fake-chat"


async def test_a_run_on_one_worker_is_followed_and_stopped_from_the_other(site, fake):
    fake.configure(tokens=TOKENS, rate=40)
    async with httpx.AsyncClient(base_url=site.public, verify=False) as http:
        cookie = "; ".join(f"{k}={v}" for k, v in (await http.get("/")).cookies.items())
        async with (
            page(site.workers[0], cookie) as first,
            page(site.workers[1], cookie) as second,
            page(site.public, cookie) as third,
        ):
            await first.send(run_frame("Hello"))
            await first.until(lambda seen: "tok3 " in delivered_text(seen))
            run_id = run_id_of(first.frames[0])
            # The page again (a reload, another tab), from whichever worker: it
            # shows the run streaming, and its socket follows it: one on the
            # other worker, one through nginx.
            assert f'id="run-{run_id}"' in (await http.get("/")).text
            for later in (second, third):
                await later.send({"type": "attach", "run": run_id})
            for later in (second, third):
                await later.until(attached)
            await second.send({"type": "stop", "run": run_id})
            records = await asyncio.to_thread(
                fake.wait_for, lambda records: records[0]["disconnected_at"], 1.0
            )
            assert records[0]["disconnected_at"] is not None, "Stop did not reach the upstream"
            for seen in (first, second, third):
                await seen.until(finished)
    status, text = stored(site.database, run_id)
    assert status == status_of(second.frames) == status_of(third.frames) == "stopped"
    assert text == delivered_text(first.frames) == delivered_text(second.frames)
    assert text == delivered_text(third.frames)
    assert 0 < len(text.split()) < TOKENS
