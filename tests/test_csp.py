"""Content-Security-Policy and Permissions-Policy on every response, and pages
that need nothing the policy forbids (inline script or style, eval)."""

import json
from html.parser import HTMLParser

import pytest

pytestmark = pytest.mark.django_db

RESPONSES = {  # path: status
    "/": 200,
    "/workbench?model=fake-chat": 200,
    "/models": 200,
    "/models/fake-chat": 200,
    "/api/models": 200,
    "/no-such-page": 404,
    "/models/no-such-model": 404,
}
POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
}
DENIED = {"camera", "microphone", "geolocation", "payment", "usb", "serial", "display-capture"}


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in filter(None, (part.strip() for part in header.split(";"))):
        name, *sources = directive.split()
        parsed[name] = sources
    return parsed


def features(header: str) -> dict[str, str]:
    return dict(item.strip().split("=", 1) for item in header.split(","))


@pytest.fixture(params=RESPONSES)
def response(request, client):
    response = client.get(request.param)
    assert response.status_code == RESPONSES[request.param]
    return response


def test_every_page_sends_the_policy(response):
    header = response.headers["Content-Security-Policy"]
    assert directives(header) == POLICY
    assert "unsafe" not in header  # no 'unsafe-eval', 'unsafe-inline' nor 'unsafe-hashes'


def test_every_page_denies_browser_features_it_does_not_use(response):
    policy = features(response.headers["Permissions-Policy"])
    assert policy.keys() >= DENIED
    assert set(policy.values()) == {"()"}
    assert "clipboard-write" not in policy  # Copy in the API tab needs it


def test_static_files_get_the_headers_too(client):
    response = client.get("/static/css/workbench.css")
    assert response.status_code == 200
    assert "Permissions-Policy" in response.headers
    assert "Content-Security-Policy" in response.headers


class Inline(HTMLParser):
    """What a page has inline: style attributes and elements, scripts without
    src, event handler attributes; and htmx's configuration."""

    def __init__(self, html: str):
        super().__init__()
        self.found: list[str] = []
        self.htmx_config: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "style" or (tag == "script" and not names.get("src")):
            self.found.append(f"<{tag}> element")
        self.found += [f"{name} on <{tag}>" for name in names if name == "style"]
        self.found += [f"{name} on <{tag}>" for name in names if name.startswith("on")]
        if tag == "meta" and names.get("name") == "htmx-config":
            self.htmx_config = names["content"]


@pytest.mark.parametrize("path", ["/", "/models", "/models/fake-chat"])
def test_pages_have_no_inline_script_or_style_and_htmx_needs_no_eval(client, path):
    page = Inline(client.get(path).content.decode())
    assert page.found == []
    config = json.loads(page.htmx_config)
    assert config["allowEval"] is False and config["includeIndicatorStyles"] is False


def test_fragments_htmx_swaps_in_have_no_inline_script_or_style(client):
    client.get("/workbench?model=fake-chat")
    assert Inline(client.get("/workbench/api").content.decode()).found == []
