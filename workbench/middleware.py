"""Permissions-Policy on every response.

Workbench uses no camera, microphone, location, payment, USB or the like. With
those features switched off for the page and anything in it, neither injected
markup nor a compromised script can ask the user for them. Django has no
setting for this header; the list is settings.PERMISSIONS_POLICY_DENIED.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.deprecation import MiddlewareMixin


class PermissionsPolicyMiddleware(MiddlewareMixin):
    """Adds ``Permissions-Policy: feature=(), …`` unless a view set its own."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        policy = ", ".join(f"{feature}=()" for feature in settings.PERMISSIONS_POLICY_DENIED)
        response.headers.setdefault("Permissions-Policy", policy)
        return response
