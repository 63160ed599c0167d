"""Environment for the test run, set before Django reads its settings.

Loaded as a pytest plugin (``-p tests.testenv`` in pyproject), so it runs
before pytest-django imports the settings. It writes an operator catalog
that points a ``fake`` provider at the fake upstream's port, and gives a run
on PostgreSQL a database name of its own.
"""

import os
import tempfile
import uuid
from pathlib import Path

from tests.databases import name_of, on_postgres, with_name
from tests.ports import free_port

FAKE_PORT = free_port()
CLOSED_PORT = free_port()  # nothing listens here: "connection refused"
LOCAL_PORT = free_port()
CUT_PORT = free_port()  # tests.conftest.cutter: drops the connection mid-stream
RACE_PORT = free_port()  # tests.conftest.racer: closes kept-alive connections as they are reused
WORK_DIR = Path(tempfile.mkdtemp(prefix="workbench-tests-"))

CATALOG = f"""
[providers.fake]
name = "Fake upstream"
base_url = "http://127.0.0.1:{FAKE_PORT}/v1"
read_timeout = 2
logprobs = true

[providers.fakekeyed]
name = "Fake keyed"
base_url = "http://127.0.0.1:{FAKE_PORT}/keyed/v1"
api_key_env = "FAKE_KEYED_API_KEY"

[providers.fakedeadline]
name = "Fake with a deadline"
base_url = "http://127.0.0.1:{FAKE_PORT}/v1"
deadline = 1.5

[providers.nowhere]
name = "Nowhere"
base_url = "http://127.0.0.1:{CLOSED_PORT}/v1"

[providers.cutter]
name = "Cutter"
base_url = "http://127.0.0.1:{CUT_PORT}/v1"

[providers.racer]
name = "Racer"
base_url = "http://127.0.0.1:{RACE_PORT}/v1"

[[models]]
id = "7qzjx"  # no letter of the corpus ids, as the compare models below
provider = "racer"
display_name = "Fake Race"

[[models]]
id = "fake-cut"
provider = "cutter"
display_name = "Fake Cut"

[[models]]
id = "fake-chat"
provider = "fake"
display_name = "Fake Chat"
# takes response_format, tools and tool_choice
capabilities = {{ input = ["text"], output = ["text", "json", "tools"] }}
context_length = 4096

# Three more models of the fake upstream, for comparisons (each scripted by its id).
# Their ids share no letter with the model ids of tests/data/pasted_requests.toml,
# so an import's closest stand-in (difflib) is never one of them.
[[models]]
id = "6xyzj"
provider = "fake"
display_name = "Fake Compare 1"

[[models]]
id = "9xyzj"
provider = "fake"
display_name = "Fake Compare 2"

[[models]]
id = "6qyzj"
provider = "fake"
display_name = "Fake Compare 3"

[[models]]
id = "fake-keyed"
provider = "fakekeyed"
display_name = "Fake Keyed"
capabilities = {{ input = ["text"], output = ["text", "json", "tools"] }}

[[models]]
id = "fake-deadline"
provider = "fakedeadline"
display_name = "Fake Deadline"

[[models]]
id = "fake-nowhere"
provider = "nowhere"
display_name = "Fake Nowhere"
"""
(WORK_DIR / "catalog.toml").write_text(CATALOG)

for key, value in {
    "SECRET_KEY": "test-secret-key-not-for-production-0123456789abcdefghijklmnop",
    "DEBUG": "0",
    "WORKBENCH_HTTPS": "0",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "WORKBENCH_TRUSTED_ORIGINS": "https://workbench.example.org",
    "WORKBENCH_CONFIG": str(WORK_DIR / "catalog.toml"),
    "WORKBENCH_LOCAL_PORT": str(LOCAL_PORT),
}.items():
    os.environ[key] = value  # the suite defines its own environment
os.environ.pop("REDIS_URL", None)
os.environ.pop("FAKE_KEYED_API_KEY", None)

# On PostgreSQL (the second pass, README "Tests") each run takes names of its
# own: pytest-django creates test_<name>_<run> and drops it at the end, and
# servers started in subprocesses get test_<name>_<run>_<label>
# (tests/databases.py), so runs on one shared server never collide.
if on_postgres():
    url = os.environ["DATABASE_URL"]
    os.environ["DATABASE_URL"] = with_name(url, f"{name_of(url)}_{uuid.uuid4().hex[:8]}")
