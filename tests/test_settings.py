"""Settings from the environment: production-safe defaults, Postgres and Redis paths."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import manage
from tests.databases import fresh_postgres

ROOT = Path(__file__).resolve().parent.parent
PROD = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 20 + uuid.uuid4().hex + "Z!x@" * 5,
    "ALLOWED_HOSTS": "workbench.example.org",
}


def test_no_default_secret_key_when_debug_is_off():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DEBUG"] = "0"
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "Set SECRET_KEY in the environment" in done.stderr


def test_check_deploy_is_clean_with_real_settings():
    done = manage("check", "--deploy", "--fail-level", "WARNING", **PROD)
    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout


@pytest.fixture
def postgres_url():
    with fresh_postgres() as url:
        yield url


@pytest.fixture
def migrated_postgres(postgres_url):
    """A fresh PostgreSQL database with every migration applied."""
    assert manage("migrate", "--noinput", DATABASE_URL=postgres_url).returncode == 0
    return postgres_url


def shell_on(database_url: str, code: str) -> str:
    """What ``code`` prints, run by ``manage.py shell`` against ``database_url``."""
    done = manage("shell", "-c", code, DATABASE_URL=database_url)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_database_url_runs_on_postgres(migrated_postgres):
    code = (
        "from django.db import connection\n"
        "from workbench.chat.models import Draft\n"
        "Draft.add_message('b' * 32, 'hé', None)\n"
        "print(Draft.of('b' * 32).column().request_messages(), connection.vendor)\n"
    )
    assert "[{'role': 'user', 'content': 'hé'}] postgresql" in shell_on(migrated_postgres, code)


def test_redis_url_selects_the_redis_channel_layer():
    code = (
        "import asyncio\n"
        "from channels.layers import get_channel_layer\n"
        "async def main():\n"
        "    layer = get_channel_layer()\n"
        "    name = await layer.new_channel()\n"
        "    await layer.send(name, {'type': 'ping', 'n': 1})\n"
        "    print(type(layer).__name__, await layer.receive(name))\n"
        "asyncio.run(main())\n"
    )
    done = manage("shell", "-c", code, REDIS_URL="redis://127.0.0.1:6379/0")
    assert done.returncode == 0, done.stderr
    assert "RedisChannelLayer {'type': 'ping', 'n': 1}" in done.stdout


def test_the_redis_channel_layer_waits_longer_for_a_read_than_for_a_message():
    """A consumer waits for messages in a blocking read of ``brpop_timeout`` seconds;
    a socket timeout as short (redis-py 8's default) would end every idle socket."""
    code = (
        "from channels.layers import get_channel_layer\n"
        "layer = get_channel_layer()\n"
        "print(layer.hosts[0]['socket_timeout'] > layer.brpop_timeout)\n"
    )
    done = manage("shell", "-c", code, REDIS_URL="redis://127.0.0.1:6379/0")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "True"


def test_trusted_origins_serve_websockets_and_csrf_and_keep_the_old_variable():
    code = (
        "from django.conf import settings\n"
        "print(settings.WORKBENCH_TRUSTED_ORIGINS == settings.CSRF_TRUSTED_ORIGINS,"
        " settings.WORKBENCH_TRUSTED_ORIGINS)\n"
    )
    done = manage(
        "shell",
        "-c",
        code,
        WORKBENCH_TRUSTED_ORIGINS="https://a.example, https://b.example:8443",
        CSRF_TRUSTED_ORIGINS="https://c.example,https://a.example",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == (
        "True ['https://a.example', 'https://b.example:8443', 'https://c.example']"
    )


def test_first_writes_of_one_browser_at_once_on_postgres(migrated_postgres):
    """Eight writes racing to create and change one draft: none fails, none is lost."""
    code = (
        "from concurrent.futures import ThreadPoolExecutor\n"
        "from django.db import connection\n"
        "from workbench.chat.models import Draft\n"
        "def add(i):\n"
        "    try:\n"
        "        Draft.add_message('b' * 32, f'm{i}', None)\n"
        "    finally:\n"
        "        connection.close()\n"
        "with ThreadPoolExecutor(8) as pool:\n"
        "    list(pool.map(add, range(8)))\n"
        "texts = [m['content'] for m in Draft.of('b' * 32).column().request_messages()]\n"
        "print(sorted(texts), Draft.objects.count())\n"
    )
    assert f"{sorted(f'm{i}' for i in range(8))} 1" in shell_on(migrated_postgres, code)
