"""A raw HTTP request: a request line, headers, a blank line, the body.

As devtools' "copy request headers", HTTP traces and the ``.http`` files of
editors' REST clients show it (those allow a full URL on the request line).
"""

import re

from workbench.snippets.pasted import Pasted, UnreadableSnippet, holds_key, json_body, short_url

REQUEST_LINE = re.compile(
    r"(?P<method>POST|PUT|PATCH|GET) +(?P<target>\S+)(?: +HTTP/[\d.]+)? *\r?\n", re.I
)
_BLANK_LINE = re.compile(r"(\r?\n[ \t]*\r?\n)")
_HEADER = re.compile(r"(?P<name>[!#$%&'*+.^_`|~0-9A-Za-z-]+): *(?P<value>.*)")


def from_http(text: str) -> Pasted:
    line = REQUEST_LINE.match(text)
    if line is None:
        raise UnreadableSnippet("The HTTP request has no request line (POST /path HTTP/1.1).")
    # The headers end at the first blank line (or at once: a request may have none).
    head, _, body = [*_BLANK_LINE.split("\n" + text[line.end() :], maxsplit=1), "", ""][:3]
    headers = {}
    for raw in filter(str.strip, head.splitlines()):
        header = _HEADER.fullmatch(raw.strip())
        if header is None:
            raise UnreadableSnippet(
                f"The HTTP request has a line that is not a header: {raw[:40]!r}."
            )
        headers[header["name"].lower()] = header["value"]
    url = line["target"]
    if url.startswith("/") and "host" in headers:
        local = headers["host"].startswith(("localhost", "127.0.0.1"))
        url = f"{'http' if local else 'https'}://{headers['host']}{url}"
    if not body.strip():
        raise UnreadableSnippet(
            f"Found an HTTP {line['method'].upper()} request to {short_url(url)}, but no body "
            "after the headers (leave one blank line between them)."
        )
    key = any(holds_key(name, value) for name, value in headers.items())
    return Pasted(json_body(body, "HTTP request's body"), "an HTTP request", url, key)
