"""Shared fixtures: real servers in subprocesses (daphne), a real Chromium."""

import inspect
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command
from django.db import connection
from django.test import TransactionTestCase

from tests import axe
from tests.databases import (
    empty_tables_by_delete,
    on_postgres,
    server_database,
    suite_database_name,
)
from tests.discovery_helpers import write_catalog
from tests.ports import free_port
from tests.processes import stop, wait_for_port
from tests.raw_upstreams import KeepAliveRace, cut_connection, serving
from tests.testenv import CUT_PORT, FAKE_PORT, RACE_PORT, WORK_DIR
from workbench.catalog import discovery
from workbench.catalog.registry import static_catalog
from workbench.relay import upstream

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
if on_postgres():
    empty_tables_by_delete()


# Fixtures that put a test in a group (pyproject's markers), whether or not the
# test says so: a test that drives Chromium is a browser test, one that talks
# to the real llama.cpp server a local-model test, and one that reaches a
# database, in process (pytest-django's fixtures) or through a server the
# suite starts, a database test. The PostgreSQL pass (Makefile) runs the
# database tests that are neither of the others.
MARKING_FIXTURES = {
    "browser": "browser",
    "local_server": "localmodel",
    "db": "database",
    "transactional_db": "database",
    "live_server_url": "database",
}


def pytest_itemcollected(item: pytest.Item) -> None:
    """Marks each test as it is collected, before -m selects by the markers."""
    names = set(getattr(item, "fixturenames", ()))
    for fixture, marker in MARKING_FIXTURES.items():
        if fixture in names:
            item.add_marker(marker)
    cls = getattr(item, "cls", None)
    if item.get_closest_marker("django_db") or (
        cls is not None and issubclass(cls, TransactionTestCase)  # Django's TestCase too
    ):
        item.add_marker("database")


def pytest_report_header() -> str:
    if on_postgres():
        return f"database: PostgreSQL, {suite_database_name()} (DATABASE_URL)"
    return "database: SQLite"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running in
    the main thread from its first use on, and no async test can start after.
    Async tests close the shared upstream client before their loop ends."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
    for item in items:
        if inspect.iscoroutinefunction(getattr(item, "function", None)):
            item.fixturenames.append("close_upstream")


@pytest.fixture
async def close_upstream():
    """The relay's shared client lives as long as its event loop: a test's loop
    ends with the test, so its connections are closed here, not left to the
    garbage collector ("Unclosed client session")."""
    yield
    await upstream.close()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database; on PostgreSQL, the connections that
    worker threads (database_sync_to_async) keep open are ended first, or
    DROP DATABASE at the end would refuse ("being accessed by other users")."""
    yield
    if on_postgres():
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture(scope="session", autouse=True)
def static_files() -> None:
    """Hashed static files, as production serves them (DEBUG is off in tests)."""
    call_command("collectstatic", interactive=False, verbosity=0)


def start_daphne(
    app: str, port: int, env: dict | None = None, log: str = "daphne"
) -> subprocess.Popen:
    with open(WORK_DIR / f"{log}.log", "ab") as out:  # the child keeps its own handle
        proc = subprocess.Popen(
            [sys.executable, "-m", "workbench.serve", "-b", "127.0.0.1", "-p", str(port), app],
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    wait_for_port(port, proc)
    return proc


class FakeUpstreamControl:
    """Scripts the fake upstream and reads what it recorded."""

    def __init__(self, port: int):
        self.url = f"http://127.0.0.1:{port}"

    def configure(self, **config) -> None:
        httpx.post(f"{self.url}/_control/config", json=config).raise_for_status()

    def requests(self) -> list[dict]:
        return httpx.get(f"{self.url}/_control/requests").json()

    def wait_for(self, predicate, timeout: float = 5.0) -> list[dict]:
        """Poll the records until ``predicate(records)`` holds; return them."""
        deadline = time.monotonic() + timeout
        while True:
            records = self.requests()
            if predicate(records) or time.monotonic() > deadline:
                return records
            time.sleep(0.02)


@pytest.fixture(scope="session")
def fake_upstream() -> Iterator[FakeUpstreamControl]:
    proc = start_daphne("tests.fake_upstream:app", FAKE_PORT, log="fake-upstream")
    yield FakeUpstreamControl(FAKE_PORT)
    stop(proc)


@pytest.fixture
def fake(fake_upstream: FakeUpstreamControl) -> FakeUpstreamControl:
    """The fake upstream, reset to its defaults for this test."""
    fake_upstream.configure()
    return fake_upstream


@pytest.fixture(scope="session")
def cutter() -> Iterator[None]:
    """An upstream that starts a stream, then drops the TCP connection mid-answer."""
    with serving(cut_connection, CUT_PORT):
        yield


@pytest.fixture(scope="session")
def racer() -> Iterator[KeepAliveRace]:
    """An upstream that closes each kept-alive connection as it is reused."""
    race = KeepAliveRace()
    with serving(race.serve, RACE_PORT):
        yield race


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """``manage.py *args`` in a subprocess with the suite's environment plus
    ``env``, DEBUG and WORKBENCH_HTTPS left to their production defaults."""
    full = {k: v for k, v in os.environ.items() if k not in ("WORKBENCH_HTTPS", "DEBUG")}
    full.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full, capture_output=True, text=True
    )


def start_workbench(env: dict, log: str, port: int) -> subprocess.Popen:
    """The real ASGI app under daphne on ``port``, its database migrated first."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )
    return start_daphne("workbench.asgi:application", port, env, log=log)


@pytest.fixture(scope="session")
def live_server_url(fake_upstream) -> Iterator[str]:
    """The real ASGI app under daphne, on a database of its own (SQLite, or
    PostgreSQL on that pass: tests/databases.py)."""
    port = free_port()
    with server_database("live") as url:
        proc = start_workbench({"DATABASE_URL": url}, "workbench", port)
        yield f"http://127.0.0.1:{port}"
        stop(proc)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server_url):
    """A fresh browser context (so a fresh session and draft) on the live server."""
    context = browser.new_context(base_url=live_server_url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="session")
def axe_script() -> Path:
    return axe.installed()


@pytest.fixture
def audited_page(page, axe_script):
    """A page on which every navigation loads axe-core (see tests/axe.py)."""
    page.context.add_init_script(path=axe_script)
    return page


SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.fixture(params=[(s, c) for s in SIZES for c in ("light", "dark")], ids="-".join)
def shown(request, audited_page):
    """An audited page at each size, in each colour scheme: a view's axe scan runs in all four."""
    size, scheme = request.param
    width, height = SIZES[size]
    audited_page.set_viewport_size({"width": width, "height": height})
    audited_page.emulate_media(color_scheme=scheme)
    return audited_page


@pytest.fixture
def discovering(settings, tmp_path, monkeypatch) -> Iterator[None]:
    """This process's catalog has providers that list their own models
    (tests/discovery_helpers.py), following the database at every call."""
    settings.WORKBENCH_CONFIG = str(write_catalog(tmp_path))
    monkeypatch.setattr(discovery, "CHECK_EVERY", 0)
    static_catalog.cache_clear()
    yield
    static_catalog.cache_clear()


@pytest.fixture(scope="session")
def discovering_server(fake_upstream) -> Iterator[tuple[str, int]]:
    """The real app under daphne with providers that list their own models
    (tests/discovery_helpers.py): ``lab`` lists LISTING from the fake upstream;
    nothing listens at ``labdown``'s port, yet. (URL, that port)."""
    from tests.discovery_helpers import LISTING

    port, down_port = free_port(), free_port()
    fake_upstream.configure(listing=LISTING)
    catalog = write_catalog(WORK_DIR, down_port)
    with server_database("discovering") as url:
        env = {"DATABASE_URL": url, "WORKBENCH_CONFIG": str(catalog)}
        proc = start_workbench(env, "discovering", port)
        yield f"http://127.0.0.1:{port}", down_port
        stop(proc)
