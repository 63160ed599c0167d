"""Models a provider lists itself (``discover = true``): fetched from its
``GET {base_url}/models``, stored in the database (catalog/models.py), and
merged into the catalog beside the operator's entries.

Fetching never happens while something waits on the catalog: the web server
starts a thread for it (workbench/asgi.py), and the "Refresh models" button
asks for it. Every process reads the stored listings, so all workers show the
same models, and a server that is down at start-up costs a warning, not a start.
"""

import asyncio
import json
import logging
import math
import threading
import time
from typing import Any

import httpx
from django.db import DatabaseError, connections

from workbench.catalog.entries import Provider
from workbench.catalog.models import ModelListing
from workbench.catalog.registry import (
    _MODEL_FIELDS,
    Catalog,
    CatalogError,
    _parse_model,
    static_catalog,
)

logger = logging.getLogger(__name__)

TIMEOUT = 5.0  # seconds, to connect and between two bytes of the reply
MAX_BODY = 4 * 1024 * 1024  # a listing of thousands of models fits well within
MAX_MODELS = 1000  # kept per provider; the rest are left out, with a warning
CHECK_EVERY = 2.0  # seconds between two looks at whether the stored listings changed


class DiscoveryError(Exception):
    """Why a provider's models could not be listed, worded for the /models page."""


def fetch(provider: Provider) -> list[Any]:
    """The model objects ``provider`` lists, as received (at most MAX_MODELS)."""
    if provider.missing_key:
        raise DiscoveryError(provider.no_key_reason())
    url = provider.models_url
    headers = {"Accept": "application/json", **provider.auth_headers()}
    try:
        with httpx.stream("GET", url, headers=headers, timeout=TIMEOUT) as response:
            raw = b""
            for part in response.iter_bytes():
                raw += part
                if len(raw) > MAX_BODY:
                    raise DiscoveryError(f"{url} sent more than {MAX_BODY // 2**20} MiB")
    except httpx.TimeoutException:
        raise DiscoveryError(f"{url} did not answer within {TIMEOUT:g} s") from None
    except httpx.TransportError as exc:
        raise DiscoveryError(f"could not connect to {url} ({exc})") from None
    if response.status_code >= 400:
        from workbench.relay.upstream import _upstream_message  # the relay's reading of errors

        detail = _upstream_message(raw) or response.reason_phrase
        raise DiscoveryError(f"{url} answered {response.status_code}: {detail[:300]}")
    try:
        data = json.loads(raw)
    except ValueError:
        raise DiscoveryError(f"{url} did not answer with JSON") from None
    items = data.get("data") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise DiscoveryError(f'{url} did not answer with a list of models ({{"data": [...]}})')
    if len(items) > MAX_MODELS:
        logger.warning("%s lists %d models; the first %d are kept", url, len(items), MAX_MODELS)
    return items[:MAX_MODELS]


def refresh(provider: Provider) -> ModelListing:
    """Fetch now and store what came: the list, or why there is none."""
    try:
        row = ModelListing.record(provider.id, fetch(provider))
        logger.info("%s lists %d models", provider.name, len(row.listing))
    except DiscoveryError as exc:
        message = static_catalog().without_keys(str(exc))
        logger.warning("Could not list the models of %s: %s", provider.name, message)
        row = ModelListing.record(provider.id, None, message)
    following.stale()
    return row


def refresh_in_background() -> threading.Thread | None:
    """Start listing every discovering provider's models in a thread of its own:
    the web server comes up at once, whatever those servers do."""
    providers = static_catalog().discovering()
    if not providers:
        return None
    thread = threading.Thread(
        target=_refresh_all, args=(providers,), name="discover-models", daemon=True
    )
    thread.start()
    return thread


def _refresh_all(providers: list[Provider]) -> None:
    try:
        for provider in providers:
            refresh(provider)
    except DatabaseError as exc:
        logger.warning(
            "Could not store the models providers list (run manage.py migrate?): %s", exc
        )
    finally:
        connections.close_all()  # this thread's own connections


# Reading listings into catalog entries.


def entry_of(item: Any) -> dict[str, Any] | None:
    """A catalog entry (fields of the operator's TOML) for one listed object, or
    None when it has no id. OpenAI's ``{id, object, owned_by}`` gives just the
    id; Oxen's objects carry the catalog's own fields, ``json_request_schema``
    included; vLLM's ``max_model_len`` and llama.cpp's ``meta`` say the context
    length and size."""
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        return None
    entry = {k: v for k, v in item.items() if k in _MODEL_FIELDS and k != "upstream_id"}
    meta = item.get("meta") if isinstance(item.get("meta"), dict) else {}
    for field, value in (
        ("display_name", item.get("name")),
        ("context_length", item.get("max_model_len")),
        ("context_length", meta.get("n_ctx_train")),
        ("parameter_count", meta.get("n_params")),
    ):
        if value is not None:
            entry.setdefault(field, value)
    entry.setdefault("display_name", item["id"])
    return entry


def merge(static: Catalog, listings: dict[str, list[Any]]) -> Catalog:
    """The static catalog plus each discovering provider's listed models.

    The operator's (and the built-in) entries win: a listed model that the
    operator describes for that provider is left to that description. A listed
    id that another provider's model already has is listed as
    ``<provider>/<id>``, its own id still what goes upstream. An entry the
    catalog's checks refuse is left out with a warning.
    """
    models = dict(static.models)
    described = {(m.provider, m.sent_id) for m in static.models.values()}
    for provider in static.discovering():
        seen: set[str] = set()
        source = provider.models_url
        for index, item in enumerate(listings.get(provider.id, [])):
            entry = entry_of(item)
            if entry is None:
                logger.warning("%s: models[%d]: skipped: it has no id", source, index)
                continue
            own = entry["id"]
            if own in seen or (provider.id, own) in described:
                continue
            seen.add(own)
            catalog_id = own if own not in models else f"{provider.id}/{own}"
            if catalog_id in models:
                continue
            entry.update(id=catalog_id, provider=provider.id)
            if catalog_id != own:
                entry["upstream_id"] = own
            try:
                model = _parse_model(entry, source, index, static.providers)
            except CatalogError as exc:
                logger.warning("skipped a listed model: %s", exc)
                continue
            models[catalog_id] = model
    return Catalog(static.providers, models)


class _Following:
    """This process's merged catalog, following the stored listings.

    Several workers share the database, not memory: each looks at the
    listings' version (one aggregate query) at most every CHECK_EVERY seconds
    and rebuilds only when it changed; a refresh in this process looks at once.
    Code on an event loop (the relay) may not query the database, so it gets
    the catalog as last built; a run's model is chosen in sync code anyway.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.base: Catalog | None = None
        self.version: Any = None
        self.catalog: Catalog | None = None
        self.checked = -math.inf

    def stale(self) -> None:
        self.checked = -math.inf

    def get(self, static: Catalog) -> Catalog:
        if static is not self.base:
            self.base, self.catalog, self.version = static, None, None
            self.stale()
        if time.monotonic() - self.checked >= CHECK_EVERY and not _on_event_loop():
            with self.lock:
                self._follow(static)
        return self.catalog or static

    def _follow(self, static: Catalog) -> None:
        self.checked = time.monotonic()
        try:
            version = ModelListing.version()
            if version != self.version:
                self.catalog = merge(static, ModelListing.listings())
                self.version = version
        except DatabaseError as exc:  # no table yet: before the first migrate
            logger.debug("listed models not read: %s", exc)


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


following = _Following()


def statuses() -> list[tuple[Provider, ModelListing | None]]:
    """Each discovering provider with its stored listing (None: not tried yet)."""
    providers = static_catalog().discovering()
    rows = ModelListing.objects.in_bulk([p.id for p in providers])
    return [(p, rows.get(p.id)) for p in providers]
