"""Databases for the suite besides pytest-django's own.

The suite runs on SQLite unless ``DATABASE_URL`` names PostgreSQL: that is the
second pass CI makes (``make test-postgres``, README "Tests"). Then
tests/testenv.py gives the run a database name of its own, pytest-django
creates ``test_<that name>``, and servers the suite starts in subprocesses get
fresh databases named after it (``server_database``), so runs sharing one
PostgreSQL server never meet. Tests that need a PostgreSQL database whatever
the pass (``fresh_postgres``) get one made for them and dropped after.
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import dj_database_url

# Where PostgreSQL is looked for when DATABASE_URL does not name a server.
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


def on_postgres(url: str | None = None) -> bool:
    """Whether ``url`` (by default the run's DATABASE_URL) is a PostgreSQL database."""
    url = os.environ.get("DATABASE_URL", "") if url is None else url
    return bool(url) and "postgresql" in dj_database_url.parse(url)["ENGINE"]


def with_name(url: str, name: str) -> str:
    """``url`` with its database name replaced by ``name``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def name_of(url: str) -> str:
    return dj_database_url.parse(url)["NAME"]


def suite_database_name() -> str:
    """The database pytest-django creates for the run (Django's rule: ``test_`` + NAME)."""
    return "test_" + name_of(os.environ["DATABASE_URL"])


@contextmanager
def fresh_postgres(name: str | None = None) -> Iterator[str]:
    """A new, empty PostgreSQL database on the run's server (or the default one),
    as a DATABASE_URL; dropped on the way out, whoever is still connected."""
    import psycopg

    server = os.environ["DATABASE_URL"] if on_postgres() else DEFAULT_SERVER
    name = name or f"workbench_test_{uuid.uuid4().hex[:8]}"
    assert len(name) <= 63, f"PostgreSQL would cut the name {name!r} short"
    # libpq reads postgresql:// URLs; the maintenance database takes CREATE/DROP.
    admin = with_name(urlsplit(server)._replace(scheme="postgresql").geturl(), "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_name(server, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def server_database(label: str) -> Iterator[str]:
    """The DATABASE_URL for a server subprocess the suite starts: a SQLite file
    of its own in the run's work directory, or on the PostgreSQL pass a fresh
    database ``test_<run>_<label>`` beside pytest-django's ``test_<run>``.
    Either starts empty: the server migrates it (conftest.start_workbench)."""
    if not on_postgres():
        from tests.testenv import WORK_DIR

        yield f"sqlite:///{WORK_DIR / f'{label}.sqlite3'}"
        return
    with fresh_postgres(f"{suite_database_name()}_{label}") as url:
        yield url


def empty_tables_by_delete() -> None:
    """Between transactional tests Django empties every table with one TRUNCATE,
    which on PostgreSQL makes new files for each table and index: about 0.3 s a
    test here, against milliseconds for DELETE on the few rows a test leaves.
    Tests only (tests/conftest.py): DELETE in one transaction, foreign keys
    checked at its end (Django makes them DEFERRABLE INITIALLY DEFERRED);
    a flush that resets sequences still truncates."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences:
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        return [f"{style.SQL_KEYWORD('DELETE FROM')} {self.quote_name(t)};" for t in tables]

    DatabaseOperations.sql_flush = sql_flush
