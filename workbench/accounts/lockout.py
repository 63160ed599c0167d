"""django-axes, fitted to Workbench: which address a log-in comes from, and the page
that says a username is locked out.

The address is the one the relay's quotas count (workbench/relay/quotas.py):
the peer, or what X-Forwarded-For says only when the peer is one of
WORKBENCH_TRUSTED_PROXIES. So a client cannot dodge its lockout by sending a
made-up X-Forwarded-For, and behind a proxy people are not all locked out together.
"""

import ipaddress
import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from workbench.relay.quotas import client_address


def client_ip(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the client address, or None if there is no valid one
    (axes stores it in an IP address column)."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    scope = {
        "client": (request.META.get("REMOTE_ADDR") or "unknown",),
        "headers": [(b"x-forwarded-for", forwarded.encode("latin-1", "replace"))],
    }
    address = client_address(scope)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def locked_out(
    request: HttpRequest, original_response: object = None, credentials: object = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a page, status 429 and Retry-After. Each attempt while
    locked out restarts the wait, so the wait is the whole cool-off from now."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": math.ceil(seconds / 60)}
    response = render(request, "accounts/locked_out.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response
