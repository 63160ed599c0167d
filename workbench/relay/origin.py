"""Websockets only from this site's own pages: no cross-site websocket hijacking.

A browser sends the user's cookies with a websocket handshake whatever page
opens it, and the same-origin policy does not cover websockets: the handshake's
``Origin`` header is all that says which page that is. Channels'
AllowedHostsOriginValidator compares its host name only, so a page on another
port or scheme of an allowed host (say http://127.0.0.1:9101, next to the
workbench on :8101) could drive the relay with the user's session.

Here the Origin must be exactly the origin the handshake was made to, as
Django's CSRF check requires of form posts: the scheme Django sees (http for
ws, https for wss, or X-Forwarded-Proto as far as SECURE_PROXY_SSL_HEADER says)
and the ``Host`` header, checked against ALLOWED_HOSTS, default ports made
explicit. An origin listed in settings.WORKBENCH_TRUSTED_ORIGINS passes too.
A handshake without an Origin is refused: browsers always send one.
"""

import logging
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.core.exceptions import DisallowedHost, ImproperlyConfigured
from django.http import HttpRequest
from django.http.request import split_domain_port

logger = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": "80", "https": "443"}

type Origin = tuple[str, str, str]  # scheme, host, port


def parse_origin(origin: str) -> Origin | None:
    """``origin`` as (scheme, host, port), or None if it is not a bare
    scheme://host[:port]: no user info, path, query or fragment."""
    parts = urlsplit(origin)
    if parts.scheme not in DEFAULT_PORTS or origin != f"{parts.scheme}://{parts.netloc}":
        return None
    return _with_port(parts.scheme, parts.netloc)


def _with_port(scheme: str, host: str) -> Origin | None:
    domain, port = split_domain_port(host)  # "" for anything but a host name and port
    if not domain:
        return None
    return scheme, domain, port or DEFAULT_PORTS[scheme]


class Handshake(HttpRequest):
    """A websocket handshake as Django sees a request, so that its scheme and
    host follow SECURE_PROXY_SSL_HEADER and ALLOWED_HOSTS exactly as for pages."""

    def __init__(self, scope: dict) -> None:
        super().__init__()
        for name, value in scope.get("headers", []):
            key = "HTTP_" + name.decode("latin1").upper().replace("-", "_")
            value = value.decode("latin1")
            self.META[key] = f"{self.META[key]},{value}" if key in self.META else value
        self._tls = scope.get("scheme") == "wss"

    def _get_scheme(self) -> str:
        return "https" if self._tls else "http"

    def own_origin(self) -> Origin | None:
        """The origin this handshake was made to; None without a valid, allowed Host."""
        if "HTTP_HOST" not in self.META:
            return None
        try:
            host = self.get_host()
        except DisallowedHost:
            return None
        return _with_port(self.scheme, host)


class SameOriginValidator:
    """ASGI middleware for websockets: lets a handshake through only from the
    site's own origin or a trusted one, and refuses it (HTTP 403) otherwise."""

    def __init__(self, application) -> None:
        self.application = application
        self.trusted: set[Origin] = set()
        for origin in settings.WORKBENCH_TRUSTED_ORIGINS:
            parsed = parse_origin(origin)
            if parsed is None:
                raise ImproperlyConfigured(
                    f"WORKBENCH_TRUSTED_ORIGINS: {origin!r} is not an origin such as "
                    "https://workbench.example.org (scheme, host and port only, no wildcard)."
                )
            self.trusted.add(parsed)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator guards websocket connections only")
        if self.allows(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)

    def allows(self, scope: dict) -> bool:
        handshake = Handshake(scope)
        sent = handshake.META.get("HTTP_ORIGIN")
        origin = parse_origin(sent) if sent else None
        if origin is not None and (origin in self.trusted or origin == handshake.own_origin()):
            return True
        logger.warning(
            "Websocket refused: Origin %r is neither the site's own (Host %r) nor trusted.",
            sent,
            handshake.META.get("HTTP_HOST"),
        )
        return False
