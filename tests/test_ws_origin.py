"""Websockets accept only the exact origin the site is served from (no CSWSH).

In-process tests go through the real ``workbench.asgi.application`` with the
handshake's headers set by hand; the live one asks daphne over TCP.
"""

import asyncio

import pytest
from channels.testing import WebsocketCommunicator
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from workbench.relay.origin import SameOriginValidator

# Channels closes stale database connections around every message it hands a
# consumer; after another test has used the ORM's thread, that touches the test
# database, so these tests must be allowed to.
pytestmark = pytest.mark.django_db(transaction=True)


def app():
    """The real ASGI app, built once the static files are collected (whitenoise
    reads the static root when the app is built)."""
    from workbench.asgi import application

    return application


TRUSTED = "https://workbench.example.org"  # WORKBENCH_TRUSTED_ORIGINS in tests/testenv.py


async def accepted(origin: str | None, host: str = "127.0.0.1:8101", scheme: str = "ws") -> bool:
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    communicator = WebsocketCommunicator(app(), "/ws/relay", headers=headers)
    communicator.scope["scheme"] = scheme  # daphne sets it; the communicator does not
    connected, _ = await communicator.connect()
    await communicator.disconnect()
    return connected


@pytest.mark.parametrize(
    ("origin", "host", "scheme"),
    [
        ("http://127.0.0.1:8101", "127.0.0.1:8101", "ws"),
        ("http://localhost:8101", "localhost:8101", "ws"),
        ("https://127.0.0.1:8101", "127.0.0.1:8101", "wss"),
        ("http://localhost", "localhost", "ws"),  # default ports: Host and Origin omit :80
        ("http://localhost", "localhost:80", "ws"),
        ("https://localhost:443", "localhost", "wss"),
        (TRUSTED, "127.0.0.1:8101", "ws"),  # listed in WORKBENCH_TRUSTED_ORIGINS
    ],
)
async def test_the_sites_own_origin_is_accepted(origin, host, scheme):
    assert await accepted(origin, host, scheme)


@pytest.mark.parametrize(
    ("origin", "host", "scheme"),
    [
        ("http://127.0.0.1:9101", "127.0.0.1:8101", "ws"),  # another port of the same host
        ("http://localhost:3000", "localhost:8101", "ws"),
        ("http://localhost", "localhost:8101", "ws"),
        ("https://127.0.0.1", "127.0.0.1:8101", "ws"),
        ("https://127.0.0.1:8101", "127.0.0.1:8101", "ws"),  # other scheme, same host:port
        ("http://127.0.0.1:8101", "127.0.0.1:8101", "wss"),
        ("http://evil.example:8101", "127.0.0.1:8101", "ws"),  # other host
        ("http://localhost:8101", "127.0.0.1:8101", "ws"),
        (None, "127.0.0.1:8101", "ws"),  # no Origin at all
        ("null", "127.0.0.1:8101", "ws"),  # sandboxed frames, file: pages
        ("", "127.0.0.1:8101", "ws"),
        ("http://evil.example:8101", "evil.example:8101", "ws"),  # Host not in ALLOWED_HOSTS
        ("http://127.0.0.1:8101@evil.example", "127.0.0.1:8101", "ws"),  # user info trick
        ("http://evil.example@127.0.0.1:8101", "127.0.0.1:8101", "ws"),
        ("http://127.0.0.1:8101/", "127.0.0.1:8101", "ws"),  # an origin has no path
        ("http://127.0.0.1:8101/x.evil.example", "127.0.0.1:8101", "ws"),
        ("http://127.0.0.1:8101?", "127.0.0.1:8101", "ws"),
        ("http://127.0.0.1:8101, http://evil.example", "127.0.0.1:8101", "ws"),
        ("ws://127.0.0.1:8101", "127.0.0.1:8101", "ws"),
        (TRUSTED + ":444", "127.0.0.1:8101", "ws"),
        ("http://workbench.example.org", "127.0.0.1:8101", "ws"),
    ],
)
async def test_any_other_origin_is_refused(origin, host, scheme):
    assert not await accepted(origin, host, scheme)


async def test_a_second_origin_header_is_refused():
    headers = [(b"host", b"127.0.0.1:8101")]
    headers += [(b"origin", b"http://127.0.0.1:8101"), (b"origin", b"http://evil.example")]
    communicator = WebsocketCommunicator(app(), "/ws/relay", headers=headers)
    assert await communicator.connect() == (False, 1000)


async def test_no_host_header_is_refused():
    communicator = WebsocketCommunicator(
        app(), "/ws/relay", headers=[(b"origin", b"http://127.0.0.1:8101")]
    )
    assert await communicator.connect() == (False, 1000)


@pytest.mark.parametrize(
    ("forwarded", "origin", "ok"),
    [
        ("https", "https://127.0.0.1:8101", True),  # a TLS proxy in front, as for pages
        ("https", "http://127.0.0.1:8101", False),
        ("http", "http://127.0.0.1:8101", True),
    ],
)
async def test_behind_a_tls_proxy_the_forwarded_scheme_counts(forwarded, origin, ok):
    headers = [
        (b"host", b"127.0.0.1:8101"),
        (b"origin", origin.encode()),
        (b"x-forwarded-proto", forwarded.encode()),
    ]
    communicator = WebsocketCommunicator(app(), "/ws/relay", headers=headers)
    assert (await communicator.connect())[0] is ok
    await communicator.disconnect()


@pytest.mark.parametrize(
    "origin", ["https://*.example.org", "https://example.org/", "example.org", "null"]
)
def test_a_trusted_origin_that_is_no_origin_stops_start_up(origin):
    with (
        override_settings(WORKBENCH_TRUSTED_ORIGINS=[origin]),
        pytest.raises(ImproperlyConfigured, match="WORKBENCH_TRUSTED_ORIGINS"),
    ):
        SameOriginValidator(app())


async def test_live_daphne_refuses_a_foreign_origin_and_accepts_its_own(live_server_url):
    ws_url = live_server_url.replace("http://", "ws://") + "/ws/relay"
    port = live_server_url.rsplit(":", 1)[1]
    with pytest.raises(InvalidStatus) as refused:
        await connect(ws_url, origin=f"http://127.0.0.1:{int(port) + 1}")
    assert refused.value.response.status_code == 403
    async with connect(ws_url, origin=live_server_url) as ws:
        await asyncio.wait_for(await ws.ping(), 5)  # the pong: the relay is really open
