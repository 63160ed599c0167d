"""Which browser is this: a random id in a cookie, the key of its draft.

A cookie and not the session: setting it writes nothing to the database, so
a visit that changes nothing stores nothing, and the cookie is there before
the page opens its websocket (Channels cannot set cookies), so even a first
Run over the socket finds the browser. Both the views and the relay import
this module.
"""

import re
import secrets
from collections.abc import Callable, Mapping

from django.conf import settings
from django.http import HttpRequest, HttpResponse

COOKIE = "workbench_browser"
_VALID = re.compile(r"[A-Za-z0-9_-]{32}")


def from_cookies(cookies: Mapping[str, str]) -> str | None:
    value = cookies.get(COOKIE, "")
    return value if _VALID.fullmatch(value) else None


def new_browser(request: HttpRequest) -> None:
    """From now on this is another browser (its cookie is replaced by the response)."""
    request.browser = secrets.token_urlsafe(24)


class BrowserMiddleware:
    """Sets ``request.browser`` and gives a new browser its cookie."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        known = from_cookies(request.COOKIES)
        if known is None:
            new_browser(request)
        else:
            request.browser = known
        response = self.get_response(request)
        if request.browser != known:
            response.set_cookie(
                COOKIE,
                request.browser,
                max_age=settings.SESSION_COOKIE_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
