"""A catalog with providers that list their own models (``discover = true``):
the suite's catalog plus ``lab`` at the fake upstream and ``labdown`` where
nothing listens, for in-process tests and for servers started apart."""

from pathlib import Path

from tests.testenv import CATALOG, CLOSED_PORT, FAKE_PORT

DISCOVERING = (
    CATALOG
    + f"""
[providers.lab]
name = "Lab server"
base_url = "http://127.0.0.1:{FAKE_PORT}/v1"
discover = true

[providers.labdown]
name = "Lab down"
base_url = "http://127.0.0.1:{{down_port}}/v1"
discover = true

[[models]]
id = "lab-described"
provider = "lab"
display_name = "Described by the operator"
"""
)
# What the lab lists: a plain OpenAI object, one the operator describes, one
# whose id another provider's model has, an Oxen-style object with its own schema.
LISTING = [
    {"id": "lab-plain", "object": "model", "created": 0, "owned_by": "vllm"},
    {"id": "lab-described", "object": "model", "owned_by": "vllm"},
    {"id": "fake-chat", "object": "model", "owned_by": "vllm"},
    {
        "id": "lab-oxen",
        "name": "Lab Oxen-style",
        "context_length": 32768,
        "json_request_schema": {
            "properties": {
                "temperature": {"type": "number", "title": "Temperature", "maximum": 1.5},
            }
        },
    },
]


def write_catalog(folder: Path, down_port: int = CLOSED_PORT) -> Path:
    """DISCOVERING, with ``labdown`` at ``down_port`` (where nothing listens, yet)."""
    path = folder / "discovering.toml"
    path.write_text(DISCOVERING.replace("{down_port}", str(down_port)))
    return path
