"""The migrations build the schema from nothing, on SQLite and on PostgreSQL,
and the models need no migration that is not written yet."""

from collections.abc import Iterator

import pytest

from tests.conftest import manage
from tests.databases import fresh_postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database(request, tmp_path) -> Iterator[tuple[str, str]]:
    """(vendor, DATABASE_URL) of a database that holds no table yet."""
    if request.param == "sqlite":
        yield request.param, f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    else:
        with fresh_postgres() as url:
            yield request.param, url


def test_migrations_apply_to_a_fresh_database_and_none_are_missing(fresh_database):
    vendor, url = fresh_database

    def run(*args: str) -> str:
        done = manage(*args, DATABASE_URL=url)
        assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return done.stdout

    code = "from django.db import connection; print(connection.vendor)"
    assert run("shell", "-v0", "-c", code).strip() == vendor
    assert "No migrations to apply" not in run("migrate", "--noinput")
    run("migrate", "--check")  # nothing left unapplied
    assert "No changes detected" in run("makemigrations", "--check", "--dry-run")
