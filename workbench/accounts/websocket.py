"""WORKBENCH_REQUIRE_LOGIN for the websocket: an anonymous handshake is refused.

It wraps the relay inside Channels' AuthMiddlewareStack (workbench/asgi.py),
which has put the session's user in ``scope["user"]`` by then; the relay
itself needs to know nothing about accounts.
"""

from channels.security.websocket import WebsocketDenier
from django.conf import settings


class LoginRequiredWebsocket:
    """ASGI middleware: refuses (HTTP 403) a websocket with no logged-in user when login is
    required; otherwise hands the connection on untouched."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send) -> None:
        user = scope.get("user")
        if settings.WORKBENCH_REQUIRE_LOGIN and not getattr(user, "is_authenticated", False):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
