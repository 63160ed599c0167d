"""Loading the catalog: the shipped data, the operator's TOML, and bad files."""

from pathlib import Path

import pytest

from workbench.catalog.registry import BUILTIN_DATA, CatalogError, get_catalog, load_catalog

CONTRACT_MINIMAL = """
[providers.mylab]
name = "My lab"
base_url = "http://127.0.0.1:9100/v1"
api_key_env = "MYLAB_API_KEY"

[[models]]
id = "mylab-chat"
provider = "mylab"
display_name = "MyLab Chat"
context_length = 8192
"""


def write(tmp_path: Path, text: str, name: str = "op.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_builtin_catalog_has_real_entries():
    catalog = load_catalog([BUILTIN_DATA])
    gpt = catalog.get("gpt-4-1-2025-04-14")
    assert gpt.display_name == "GPT 4.1"
    assert gpt.summary == "Coding and chat, 1M-token context"
    assert gpt.mixture_of_experts is False
    assert gpt.context_length == 1_000_000
    assert gpt.multilingual is True
    assert gpt.parameter_count is None and gpt.quantized is None
    assert set(catalog.providers) == {"local", "oxen", "openai"}
    assert (
        catalog.providers["oxen"].chat_completions_url
        == "https://hub.oxen.ai/api/ai/chat/completions"
    )
    assert catalog.providers["oxen"].api_key_env == "OXEN_API_KEY"
    assert catalog.providers["openai"].base_url == "https://api.openai.com/v1"


def test_local_model_facts_and_port(settings):
    catalog = load_catalog([BUILTIN_DATA])
    local = catalog.get("smollm2-135m-instruct")
    assert (local.parameter_count, local.context_length) == (134515008, 8192)
    assert (local.mixture_of_experts, local.quantized, local.multilingual) == (False, "Q4_1", False)
    base = catalog.providers["local"].base_url
    assert base == f"http://127.0.0.1:{settings.WORKBENCH_LOCAL_PORT}/v1"
    assert catalog.default_model() is local
    names = [n for n, _ in local.parameters()]
    assert {"top_k", "min_p", "repeat_penalty", "seed", "stop"} <= set(names)


def test_contract_minimal_file_adds_provider_and_model(tmp_path):
    catalog = load_catalog([BUILTIN_DATA, write(tmp_path, CONTRACT_MINIMAL)])
    model = catalog.get("mylab-chat")
    provider = catalog.provider_of(model)
    assert provider.name == "My lab"
    assert provider.chat_completions_url == "http://127.0.0.1:9100/v1/chat/completions"
    assert model.context_length == 8192
    # No schema given: the standard chat-completions schema.
    params = [n for n, _ in model.parameters()]
    assert params == [
        "temperature",
        "max_tokens",
        "top_p",
        "frequency_penalty",
        "presence_penalty",
        "stop",
        "seed",
        "stream",
    ]
    assert model.required_fields() == ["model", "messages"]
    assert catalog.get("gpt-4-1-2025-04-14") is not None  # built-ins stay


def test_operator_replaces_builtin_by_id(tmp_path):
    text = """
[providers.oxen]
name = "Oxen via proxy"
base_url = "http://127.0.0.1:9200/api/ai"

[[models]]
id = "gpt-4-1-2025-04-14"
provider = "oxen"
display_name = "GPT 4.1 (proxied)"
"""
    catalog = load_catalog([BUILTIN_DATA, write(tmp_path, text)])
    assert catalog.providers["oxen"].api_key_env is None
    assert catalog.get("gpt-4-1-2025-04-14").display_name == "GPT 4.1 (proxied)"
    assert catalog.get("gpt-4-1-2025-04-14").summary is None


def test_settings_catalog_includes_operator_file():
    # tests/testenv.py points WORKBENCH_CONFIG at a file with the fake providers.
    assert get_catalog().get("fake-chat").provider == "fake"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[[models]]\nid = 'x'\nprovider = 'local'\n",
            "model 'x': field 'display_name': is required",
        ),
        (
            "[[models]]\nid = 'x'\nprovider = 'nope'\ndisplay_name = 'X'\n",
            "model 'x': field 'provider': unknown provider 'nope'",
        ),
        (
            "[[models]]\nid = 'x'\nprovider = 'local'\ndisplay_name = 'X'\n"
            "context_length = 'big'\n",
            "model 'x': field 'context_length': must be int",
        ),
        (
            "[[models]]\nid = 'x'\nprovider = 'local'\ndisplay_name = 'X'\ncontext_length = -5\n",
            "model 'x': field 'context_length': must be a positive integer",
        ),
        (
            "[[models]]\nid = 'x'\nprovider = 'local'\ndisplay_name = 'X'\nmultilingual = 'yes'\n",
            "model 'x': field 'multilingual': must be bool",
        ),
        (
            "[[models]]\nid = 'x'\nprovider = 'local'\ndisplay_name = 'X'\ncolour = 'red'\n",
            "model 'x': field 'colour': unknown field",
        ),
        (
            "[[models]]\nprovider = 'local'\ndisplay_name = 'X'\n",
            "models[0]: field 'id': is required",
        ),
        ("[providers.p]\nname = 'P'\n", "provider 'p': field 'base_url': is required"),
        (
            "[providers.p]\nname = 'P'\nbase_url = 'ftp://x'\n",
            "provider 'p': field 'base_url': must start with http(s)://",
        ),
        (
            "[[models]]\nid = 'x'\nprovider = 'local'\ndisplay_name = 'X'\n"
            "[models.json_request_schema.properties.t]\ntype = 'float'\n",
            "model 'x': field 'json_request_schema.properties.t': type must be",
        ),
        (
            "[[models]]\nid = 'x'\nprovider = 'local'\ndisplay_name = 'X'\n"
            "[models.json_request_schema]\nbasic = ['nope']\nproperties = {}\n",
            "model 'x': field 'json_request_schema.basic': names unknown fields ['nope']",
        ),
        # Entries that used to load, then make pages fail: stopped at start-up instead.
        (
            "[[models]]\nid = ''\nprovider = 'local'\ndisplay_name = 'X'\n",
            "model '': field 'id': must be letters, digits and . _ : / - only",
        ),
        (
            "[[models]]\nid = 'a b<x>'\nprovider = 'local'\ndisplay_name = 'X'\n",
            "model 'a b<x>': field 'id': must be letters, digits and . _ : / - only",
        ),
        (
            "[providers.'my lab']\nname = 'P'\nbase_url = 'http://x'\n",
            "provider 'my lab': the id must be letters, digits and . _ : / - only",
        ),
        *(
            (
                f"[providers.p]\nname = 'P'\nbase_url = 'http://x'\nread_timeout = {timeout}\n",
                "provider 'p': field 'read_timeout': must be a positive number of seconds",
            )
            for timeout in ("inf", "nan", "-1", "0", "0.0")
        ),
        (
            "[providers.p]\nname = 'P'\nbase_url = 'http://x'\napi_key_env = 'KEY; rm -rf ~'\n",
            "provider 'p': field 'api_key_env': must be a name like MYLAB_API_KEY",
        ),
        (
            '[providers.p]\nname = "P"\nbase_url = "http://x/v1\\n"\n',
            "provider 'p': field 'base_url': must not hold spaces or control characters",
        ),
        (
            "[[models]]\nid = 'x'\nprovider = 'local'\ndisplay_name = 'X'\n"
            "[models.json_request_schema.properties.mode]\ntype = 'string'\n"
            "enum = ['fast', 'slow']\ndefault = 'medium'\n",
            "model 'x': field 'json_request_schema.properties.mode': default 'medium' "
            "must be one of: fast, slow",
        ),
        (
            "[[models]]\nid = 'x'\nprovider = 'local'\ndisplay_name = 'X'\n"
            "[models.json_request_schema.properties.k]\ntype = 'integer'\n"
            "minimum = 10\nmaximum = 1\n",
            "model 'x': field 'json_request_schema.properties.k': "
            "minimum must not be above maximum",
        ),
        (
            "[[models]]\nid = 'x'\nprovider = 'local'\ndisplay_name = 'X'\n"
            "[models.json_request_schema.properties.k]\ntype = 'number'\nmaximum = nan\n",
            "model 'x': field 'json_request_schema.properties.k': maximum must be a finite number",
        ),
        (
            "[[models]]\nid = 'x'\nprovider = 'local'\ndisplay_name = 'X'\n"
            "[models.json_request_schema.properties.k]\ntype = 'integer'\nexamples = ['ten']\n",
            "model 'x': field 'json_request_schema.properties.k': examples 'ten' must be a number",
        ),
        (
            "[[models]]\nid = 'x'\nprovider = 'local'\ndisplay_name = 'X'\n"
            "[models.json_request_schema.properties.k]\ntype = 'number'\nx-order = 'first'\n",
            "model 'x': field 'json_request_schema.properties.k': x-order must be a finite number",
        ),
        (
            "[[models]]\nid = 'x'\nprovider = 'local'\ndisplay_name = 'X'\n"
            "[models.json_request_schema.properties.k]\ntype = 'array'\nmaxItems = 'four'\n",
            "model 'x': field 'json_request_schema.properties.k': maxItems must be a whole number",
        ),
        (
            "[[models]]\nid = 'x'\nprovider = 'local'\ndisplay_name = \"cut \\ud83d\"\n",
            "file: is not valid TOML (Escaped character is not a Unicode scalar value",
        ),
        ("[model]\nid = 'x'\n", "file: field 'model': unknown top-level table"),
        ("[[models]\n", "file: is not valid TOML"),
    ],
)
def test_bad_operator_file_names_file_entry_and_field(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(CatalogError) as info:
        load_catalog([BUILTIN_DATA, path])
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert expected in message


def test_operator_file_not_utf8(tmp_path):
    path = tmp_path / "op.toml"
    path.write_bytes(b"[[models]]\nid = '\xff'\n")
    with pytest.raises(CatalogError, match="op.toml: file: is not UTF-8 text"):
        load_catalog([BUILTIN_DATA, path])


def test_missing_operator_file(tmp_path):
    with pytest.raises(CatalogError, match="op.toml: file: not found"):
        load_catalog([BUILTIN_DATA, tmp_path / "op.toml"])


def test_bad_config_stops_startup(tmp_path):
    """manage.py check fails at start-up with the message, not later with a 500."""
    import os
    import subprocess
    import sys

    path = write(tmp_path, "[[models]]\nid = 'x'\nprovider = 'local'\n")
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env={**os.environ, "WORKBENCH_CONFIG": str(path)},
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    assert done.returncode != 0
    assert f"{path}: model 'x': field 'display_name': is required" in done.stderr
