"""ASGI entry point: HTTP goes to Django, websockets to the relay.

Websockets must come from the site's own pages (workbench/relay/origin.py) and
carry the session, so the relay works on the same draft as the page that opened it;
with WORKBENCH_REQUIRE_LOGIN the session must hold a logged-in user
(workbench/accounts/websocket.py).

Only the web server imports this module, so only it lists the discovering
providers' models at start-up: management commands never wait for a provider.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from workbench.accounts.websocket import LoginRequiredWebsocket  # noqa: E402
from workbench.catalog.discovery import refresh_in_background  # noqa: E402
from workbench.relay.origin import SameOriginValidator  # noqa: E402
from workbench.relay.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": SameOriginValidator(
            AuthMiddlewareStack(LoginRequiredWebsocket(URLRouter(websocket_urlpatterns)))
        ),
    }
)

# Providers with discover = true list their models now, without holding up the start.
refresh_in_background()
