"""The catalog's two kinds of entry: providers (where to send requests) and models."""

import os
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    base_url: str
    api_key_env: str | None = None
    # llama.cpp and OpenAI accept stream_options.include_usage; some proxies reject it.
    stream_usage: bool = True
    # It returns token log probabilities (OpenAI, llama.cpp): its models' schemas
    # then offer logprobs and top_logprobs.
    logprobs: bool = False
    # How its prompts can be counted exactly: "llama.cpp" (its /tokenize), or not at all.
    tokenizer: str | None = None
    # Longest silence (seconds) between two bytes of an answer, the first included.
    read_timeout: float = 60.0
    # Longest a whole run may take (seconds), however steadily bytes arrive.
    deadline: float = 600.0
    # It lists its models at GET {base_url}/models (vLLM, Ollama, llama.cpp, Oxen):
    # the catalog adds them beside the operator's entries (catalog/discovery.py).
    discover: bool = False

    @property
    def chat_completions_url(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"

    @property
    def models_url(self) -> str:
        return self.base_url.rstrip("/") + "/models"

    def api_key(self) -> str | None:
        """The key from the environment; never stored anywhere else."""
        return os.environ.get(self.api_key_env) if self.api_key_env else None

    @property
    def missing_key(self) -> str | None:
        """The environment variable this provider needs and the server lacks, if any."""
        return self.api_key_env if self.api_key_env and not self.api_key() else None

    def auth_headers(self) -> dict[str, str]:
        """The Authorization header its key makes, if it has one."""
        key = self.api_key()
        return {"Authorization": f"Bearer {key}"} if key else {}

    def no_key_reason(self) -> str:
        return (
            f"No API key for {self.name}: set the environment variable "
            f"{self.api_key_env} for the Workbench server, then restart it."
        )


@dataclass(frozen=True)
class Model:
    id: str
    provider: str
    display_name: str
    json_request_schema: dict[str, Any]
    summary: str | None = None
    description: str | None = None
    developer: str | None = None
    capabilities: dict[str, list[str]] = field(
        default_factory=lambda: {"input": ["text"], "output": ["text"]}
    )
    context_length: int | None = None
    max_output_tokens: int | None = None
    parameter_count: int | None = None
    mixture_of_experts: bool | None = None
    active_parameter_count: int | None = None
    multilingual: bool | None = None
    quantized: str | bool | None = None
    released_at: str | None = None
    pricing: dict[str, float] | None = None
    # The id the provider knows it by, when the catalog's differs (two providers
    # serving one model name): what goes upstream as "model".
    upstream_id: str | None = None

    @property
    def sent_id(self) -> str:
        return self.upstream_id or self.id

    def parameters(self) -> list[tuple[str, dict[str, Any]]]:
        """Tunable request fields (everything but model and messages), in x-order."""
        props = self.json_request_schema.get("properties", {})
        names = [n for n in props if n not in ("model", "messages")]
        names.sort(key=lambda n: (props[n].get("x-order", 1000), n))
        return [(n, props[n]) for n in names]

    def basic_parameters(self) -> list[str]:
        return list(self.json_request_schema.get("basic", []))

    def required_fields(self) -> list[str]:
        return list(self.json_request_schema.get("required", []))

    def has_capability(self, capability: str) -> bool:
        return any(capability in values for values in self.capabilities.values())

    def as_json(self) -> dict[str, Any]:
        return asdict(self)
