"""Loading the catalog: the shipped data file, then the operator's TOML.

Every entry is checked field by field; a mistake stops start-up with a
message naming the file, the entry and the field, because a catalog that
silently drops a model is worse than one that refuses to start, and one
that loads but makes a page fail later is worse still. (TOML itself refuses
text that is not Unicode, such as a lone surrogate escape.)
"""

import datetime
import difflib
import json
import math
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from workbench.catalog.entries import Model, Provider
from workbench.catalog.schema import (
    PARAMETER_TYPES,
    ParameterError,
    check_value,
    json_valued,
    standard_schema,
    with_logprobs,
)
from workbench.catalog.structured import schema_problem

BUILTIN_DATA = Path(__file__).parent / "data" / "catalog.toml"

# Ids go into URLs and the draft; key variable names into the cURL and JS snippets.
ID_CHARS = re.compile(r"[A-Za-z0-9._:/-]+")
ID_RULE = "must be letters, digits and . _ : / - only"
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f-\x9f]")


class CatalogError(ImproperlyConfigured):
    def __init__(self, path: Path | str, entry: str, field: str | None, problem: str):
        where = f"{path}: {entry}" + (f": field '{field}'" if field else "")
        super().__init__(f"{where}: {problem}")


class Catalog:
    def __init__(self, providers: dict[str, Provider], models: dict[str, Model]):
        self.providers = providers
        self.models = models

    def get(self, model_id: str) -> Model | None:
        return self.models.get(model_id)

    def provider_of(self, model: Model) -> Provider:
        return self.providers[model.provider]

    def search(self, *, provider: str = "", capability: str = "", text: str = "") -> list[Model]:
        text = text.strip().lower()
        return [
            m
            for m in self.models.values()
            if (not provider or m.provider == provider)
            and (not capability or m.has_capability(capability))
            and (not text or text in m.display_name.lower() or text in m.id.lower())
        ]

    def discovering(self) -> list[Provider]:
        return [p for p in self.providers.values() if p.discover]

    def capabilities(self) -> list[str]:
        return sorted({c for m in self.models.values() for v in m.capabilities.values() for c in v})

    def default_model(self) -> Model:
        """The local model when there is one: it needs no key."""
        local = [m for m in self.models.values() if m.provider == "local"]
        return (local or list(self.models.values()))[0]

    def without_keys(self, text: str) -> str:
        """The text without any API key this server holds: no field is meant to hold
        one, but an upstream's error message, kept as it came, could echo one."""
        for provider in self.providers.values():
            key = provider.api_key()
            if key and len(key.strip()) >= 8:
                for form in {key, json.dumps(key, ensure_ascii=False)[1:-1]}:
                    text = text.replace(form, "[an API key, removed]")
        return text

    def stand_in(self, model_id: str, url: str = "") -> Model | None:
        """What loads a body naming ``model_id`` in its place: None when the catalog
        has that model, else the closest (see ``Column.from_body``)."""
        return None if self.get(model_id) else self.closest(model_id, url)

    def closest(self, model_id: str, url: str = "") -> Model:
        """The model a pasted id most likely means, when the catalog has no such id.

        Among the models of the providers the pasted ``url`` points at (all
        models when it points at none), the id most like ``model_id``; with
        no id to go by, the first of them.
        """
        served = [
            m
            for m in self.models.values()
            if url and url.startswith(self.provider_of(m).base_url.rstrip("/"))
        ]
        candidates = {m.id: m for m in served or self.models.values()}
        if not model_id:
            return next(iter(candidates.values())) if served else self.default_model()
        best = difflib.get_close_matches(model_id, list(candidates), n=1, cutoff=0)
        return candidates[best[0]] if best else self.default_model()


# What each field of an entry may hold: (types, required).
_PROVIDER_FIELDS: dict[str, tuple[tuple[type, ...], bool]] = {
    "name": ((str,), True),
    "base_url": ((str,), True),
    "api_key_env": ((str,), False),
    "stream_usage": ((bool,), False),
    "logprobs": ((bool,), False),
    "tokenizer": ((str,), False),
    "read_timeout": ((int, float), False),
    "deadline": ((int, float), False),
    "discover": ((bool,), False),
}
_INT = (int,)
_MODEL_FIELDS: dict[str, tuple[tuple[type, ...], bool]] = {
    "id": ((str,), True),
    "provider": ((str,), True),
    "display_name": ((str,), True),
    "summary": ((str,), False),
    "description": ((str,), False),
    "developer": ((str,), False),
    "capabilities": ((dict,), False),
    "context_length": (_INT, False),
    "max_output_tokens": (_INT, False),
    "parameter_count": (_INT, False),
    "mixture_of_experts": ((bool,), False),
    "active_parameter_count": (_INT, False),
    "multilingual": ((bool,), False),
    "quantized": ((str, bool), False),
    "released_at": ((str, datetime.date), False),
    "pricing": ((dict,), False),
    "json_request_schema": ((dict,), False),
    "upstream_id": ((str,), False),
}


def _check_fields(data: Any, spec: dict, path: Path | str, entry: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise CatalogError(path, entry, None, "must be a table")
    for key in data:
        if key not in spec:
            raise CatalogError(path, entry, key, "unknown field")
    for key, (types, required) in spec.items():
        if key not in data:
            if required:
                raise CatalogError(path, entry, key, "is required")
            continue
        value = data[key]
        if isinstance(value, bool) and bool not in types:
            raise CatalogError(path, entry, key, f"must be {types[0].__name__}, not a boolean")
        if not isinstance(value, types):
            names = " or ".join(t.__name__ for t in types)
            raise CatalogError(path, entry, key, f"must be {names}")
        if types == _INT and value <= 0:
            raise CatalogError(path, entry, key, "must be a positive integer")
    return dict(data)


def _parse_provider(pid: str, data: Any, path: Path | str) -> Provider:
    entry = f"provider '{pid}'"
    if not ID_CHARS.fullmatch(pid):
        raise CatalogError(path, entry, None, f"the id {ID_RULE}")
    fields = _check_fields(data, _PROVIDER_FIELDS, path, entry)
    for name in ("read_timeout", "deadline"):
        seconds = fields.get(name, 1)
        if not (math.isfinite(seconds) and seconds > 0):
            raise CatalogError(path, entry, name, "must be a positive number of seconds")
    if "api_key_env" in fields and not ENV_NAME.fullmatch(fields["api_key_env"]):
        raise CatalogError(path, entry, "api_key_env", "must be a name like MYLAB_API_KEY")
    if fields.get("tokenizer", "llama.cpp") != "llama.cpp":
        raise CatalogError(path, entry, "tokenizer", 'must be "llama.cpp" (or left out)')
    base_url = fields["base_url"].replace("{local_port}", str(settings.WORKBENCH_LOCAL_PORT))
    if not base_url.startswith(("http://", "https://")):
        raise CatalogError(path, entry, "base_url", "must start with http(s)://")
    if _CONTROL_OR_SPACE.search(base_url):
        raise CatalogError(path, entry, "base_url", "must not hold spaces or control characters")
    return Provider(id=pid, **{**fields, "base_url": base_url})


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _property_problem(prop: Any) -> str | None:
    """What in a schema property would make a page fail later, or None."""
    kinds = prop.get("type") if isinstance(prop, dict) else None
    kinds = kinds if isinstance(kinds, list) and kinds else [kinds]  # or a list of types
    if not isinstance(prop, dict) or not all(
        isinstance(k, str) and k in PARAMETER_TYPES for k in kinds
    ):
        return f"type must be {', '.join(sorted(PARAMETER_TYPES))}"
    for key in ("minimum", "maximum", "x-order"):
        if key in prop and not _is_number(prop[key]):
            return f"{key} must be a finite number"
    if prop.get("minimum", -math.inf) > prop.get("maximum", math.inf):
        return "minimum must not be above maximum"
    max_items = prop.get("maxItems", 0)
    if not isinstance(max_items, int) or isinstance(max_items, bool) or max_items < 0:
        return "maxItems must be a whole number, 0 or more"
    if not isinstance(prop.get("enum", []), list) or not isinstance(prop.get("examples", []), list):
        return "enum and examples must be arrays"
    if json_valued(prop) and (found := schema_problem(prop)):
        return f"is not a JSON Schema: {found}"  # it is the schema its values are checked by
    # Each value the schema offers must be one it accepts (the page shows and sends them).
    free = {k: v for k, v in prop.items() if k != "enum"}
    offered = [("enum", v, free) for v in prop.get("enum", [])]
    offered += [("examples", v, prop) for v in prop.get("examples", [])]
    offered += [("default", prop["default"], prop)] if "default" in prop else []
    for key, value, rules in offered:
        try:
            check_value(rules, value)
        except ParameterError as exc:
            return f"{key} {value!r} {exc}"
    return None


def _check_schema(schema: dict, path: Path | str, entry: str) -> None:
    props = schema.get("properties")
    if not isinstance(props, dict):
        raise CatalogError(path, entry, "json_request_schema", "needs a 'properties' table")
    for name, prop in props.items():
        if problem := _property_problem(prop):
            raise CatalogError(path, entry, f"json_request_schema.properties.{name}", problem)
    for key in ("required", "basic"):
        unknown = [n for n in schema.get(key, []) if n not in props]
        if unknown:
            raise CatalogError(
                path, entry, f"json_request_schema.{key}", f"names unknown fields {unknown}"
            )


def _parse_model(data: Any, path: Path | str, index: int, providers: dict) -> Model:
    entry = f"models[{index}]"
    if isinstance(data, dict) and isinstance(data.get("id"), str):
        entry = f"model '{data['id']}'"
    fields = _check_fields(data, _MODEL_FIELDS, path, entry)
    if not ID_CHARS.fullmatch(fields["id"]):
        raise CatalogError(path, entry, "id", ID_RULE)
    if _CONTROL_OR_SPACE.search(fields.get("upstream_id", "x")):
        raise CatalogError(path, entry, "upstream_id", "must not hold spaces or control characters")
    if fields["provider"] not in providers:
        raise CatalogError(path, entry, "provider", f"unknown provider '{fields['provider']}'")
    if "released_at" in fields:
        fields["released_at"] = str(fields["released_at"])
    caps = fields.get("capabilities")
    if caps is not None and not all(
        isinstance(v, list) and all(isinstance(c, str) for c in v) for v in caps.values()
    ):
        raise CatalogError(path, entry, "capabilities", "must map input/output to lists of text")
    pricing = fields.get("pricing")
    if pricing is not None and not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in pricing.values()
    ):
        raise CatalogError(path, entry, "pricing", "costs must be numbers")
    schema = fields.pop("json_request_schema", None)
    # A model whose output includes "json" takes response_format (structured output),
    # one whose output includes "tools" takes tools and tool_choice.
    output = (caps or {}).get("output", [])
    kinds = {"json_output": "json" in output, "tool_calls": "tools" in output}
    if schema is None:
        schema = standard_schema(**kinds)
    elif "extends" in schema:
        # A schema may add provider-specific fields to the standard one.
        extra = schema["extends"] == "standard" and schema.get("properties", {})
        if not isinstance(extra, dict):
            raise CatalogError(path, entry, "json_request_schema.extends", "must be 'standard'")
        schema = {
            **standard_schema(extra, **kinds),
            "basic": schema.get("basic", standard_schema()["basic"]),
        }
    if providers[fields["provider"]].logprobs:
        schema = with_logprobs(schema)
    _check_schema(schema, path, entry)
    return Model(json_request_schema=schema, **fields)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise CatalogError(path, "file", None, "not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(path, "file", None, f"is not valid TOML ({exc})") from None
    except UnicodeDecodeError as exc:
        raise CatalogError(path, "file", None, f"is not UTF-8 text ({exc})") from None


def load_catalog(paths: list[Path]) -> Catalog:
    """Read the files in order; a later provider or model replaces an earlier one by id."""
    providers: dict[str, Provider] = {}
    models: dict[str, Model] = {}
    for path in paths:
        data = _read_toml(path)
        unknown = set(data) - {"providers", "models"}
        if unknown:
            raise CatalogError(path, "file", sorted(unknown)[0], "unknown top-level table")
        raw_providers = data.get("providers", {})
        if not isinstance(raw_providers, dict):
            raise CatalogError(path, "file", "providers", "must be a table of providers")
        for pid, pdata in raw_providers.items():
            providers[pid] = _parse_provider(pid, pdata, path)
        raw_models = data.get("models", [])
        if not isinstance(raw_models, list):
            raise CatalogError(path, "file", "models", "must be an array of tables [[models]]")
        for index, mdata in enumerate(raw_models):
            model = _parse_model(mdata, path, index, providers)
            models[model.id] = model
    return Catalog(providers, models)


@cache
def static_catalog() -> Catalog:
    """The built-in data and the operator's file: read once per process."""
    paths = [BUILTIN_DATA]
    if settings.WORKBENCH_CONFIG:
        paths.append(Path(settings.WORKBENCH_CONFIG))
    return load_catalog(paths)


def get_catalog() -> Catalog:
    """The catalog: the static one, plus the models discovering providers list
    (catalog/discovery.py), which the database holds and may change any time."""
    static = static_catalog()
    if not static.discovering():
        return static
    from workbench.catalog.discovery import following  # it needs the apps loaded

    return following.get(static)
