"""WORKBENCH_REQUIRE_LOGIN: no anonymous use of the site over HTTP.

A path rule, not a per-view one, so that pages other apps add later (shared
links under /s/, the library) are covered without knowing about it. Open are
only what a person needs to log in or sign up, the health check (a load
balancer has no account) and static files. The websocket has its own check
(websocket.py): HTTP middleware never sees it.
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

OPEN_PREFIXES = ("/accounts/",)
OPEN_PATHS = ("/healthz", "/healthz/")


def is_open(path: str) -> bool:
    static = "/" + settings.STATIC_URL.lstrip("/")
    return path in OPEN_PATHS or path.startswith((*OPEN_PREFIXES, static))


class LoginRequiredMiddleware:
    """Sends an anonymous visitor to the login page, with ``?next=`` back to what they asked
    for. An htmx request gets ``HX-Redirect`` instead, so the whole page goes there rather
    than the login form being swapped into a fragment."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The path first: reading the user may read the database, which the
        # health check must answer without (503 when it is down, not 500).
        if (
            settings.WORKBENCH_REQUIRE_LOGIN
            and not is_open(request.path_info)
            and not request.user.is_authenticated
        ):
            response = redirect_to_login(request.get_full_path())
            if request.headers.get("HX-Request") == "true":
                response = HttpResponse(status=204, headers={"HX-Redirect": response.url})
            return response
        return self.get_response(request)
