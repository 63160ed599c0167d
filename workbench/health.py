"""``/healthz``: whether this process can serve, for a load balancer or a supervisor.

It answers 200 only when what every worker shares answers: the database (every
draft and run is stored there) and the channel layer (with several workers, a
Stop or a reloaded page reaches its run through it). Otherwise 503, naming the
part that failed by its error's class alone: the body is public (no log-in is
needed for it) and must not show a host, a user or a password; the log has the
whole error.
"""

import asyncio
import logging

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)
OK = "ok"
# Seconds the channel layer may take for a message to itself. The database has
# no such bound here: a blocked query cannot be cancelled from this side, so a
# PostgreSQL that may hang needs ``?connect_timeout=`` in DATABASE_URL.
LAYER_TIMEOUT = 2.0


@never_cache
@require_GET
async def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": await database(), "channel_layer": await channel_layer()}
    healthy = all(result == OK for result in checks.values())
    return JsonResponse(checks, status=200 if healthy else 503)


async def database() -> str:
    try:
        await sync_to_async(_select_one)()
    except Exception as exc:
        return _failed("database", exc)
    return OK


def _select_one() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def channel_layer() -> str:
    """A message sent to a new channel of this process's layer comes back. The
    channel is of the default kind, as the sockets' and runs' are: on Redis, one
    of another kind waits for the read of theirs (see relay/consumer.py)."""
    layer = get_channel_layer()
    try:
        async with asyncio.timeout(LAYER_TIMEOUT):
            channel = await layer.new_channel()
            await layer.send(channel, {"type": "healthz"})
            await layer.receive(channel)
    except Exception as exc:
        return _failed("channel layer", exc)
    return OK


def _failed(part: str, exc: Exception) -> str:
    logger.warning("healthz: the %s does not answer", part, exc_info=exc)
    return type(exc).__name__
