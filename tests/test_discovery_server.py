"""A real server with providers that list their own models: it starts whether
or not they answer, shows what they list, and says which could not be reached."""

import time

import httpx

from tests.conftest import manage
from tests.discovery_helpers import write_catalog
from tests.testenv import WORK_DIR


def listed(url: str, text: str, timeout: float = 15) -> str:
    """/models once it shows ``text`` (the listing runs in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        page = httpx.get(f"{url}/models").text
        if text in page or time.monotonic() > deadline:
            return page


def test_the_models_of_a_discovering_provider_are_shown(discovering_server):
    url, _ = discovering_server
    page = listed(url, "Lab server listed 4 models at")
    assert "Lab server listed 4 models at" in page
    assert "Lab Oxen-style" in page and "<code>lab/fake-chat</code>" in page
    models = httpx.get(f"{url}/api/models", params={"provider": "lab"}).json()["data"]
    assert {m["id"] for m in models} == {"lab-described", "lab-plain", "lab/fake-chat", "lab-oxen"}
    one = httpx.get(f"{url}/api/models/lab/fake-chat").json()
    assert (one["provider"], one["upstream_id"]) == ("lab", "fake-chat")
    page = httpx.get(f"{url}/models/lab/fake-chat").text
    assert '"model": "fake-chat"' in page  # the examples send its own id


def test_a_provider_down_at_start_up_gives_a_warning_and_a_notice(discovering_server):
    url, down_port = discovering_server
    page = listed(url, "Could not list the models of Lab down")
    assert (
        f"Could not list the models of Lab down: could not connect to "
        f"http://127.0.0.1:{down_port}/v1/models"
    ) in page
    assert httpx.get(f"{url}/healthz").status_code == 200  # started, and serving
    log = (WORK_DIR / "discovering.log").read_text()
    assert "Could not list the models of Lab down: could not connect to" in log


def test_management_commands_never_wait_for_a_provider(tmp_path):
    catalog = write_catalog(tmp_path)
    done = manage("check", WORKBENCH_CONFIG=str(catalog))
    assert done.returncode == 0, done.stderr
    assert "list the models" not in done.stdout + done.stderr
