"""How much one browser or one client address may hold open in this process.

Counts are per process (a process holds the sockets and runs it counts); a
limit of 0 turns a quota off, as the benchmark does. Behind a reverse proxy
the client address comes from X-Forwarded-For, but only when the connection
itself comes from an address in WORKBENCH_TRUSTED_PROXIES.
"""

from collections import Counter
from typing import Any

from django.conf import settings


class Quota:
    def __init__(self, setting: str, what: str):
        self.setting = setting
        self.what = what
        self.counts: Counter[str] = Counter()

    def take(self, key: str) -> str | None:
        """Count one more for ``key``; if that is over the limit, why not (and nothing counted)."""
        limit = getattr(settings, self.setting)
        if limit and self.counts[key] >= limit:
            return f"Too many {self.what} (limit {limit}, {self.setting}): close some, then retry."
        self.counts[key] += 1
        return None

    def give(self, key: str) -> None:
        self.counts[key] -= 1
        if self.counts[key] <= 0:
            del self.counts[key]


SOCKETS_PER_BROWSER = Quota("WORKBENCH_MAX_SOCKETS_PER_BROWSER", "open workbench pages here")
SOCKETS_PER_ADDRESS = Quota("WORKBENCH_MAX_SOCKETS_PER_ADDRESS", "open pages from your address")
RUNS_PER_ADDRESS = Quota("WORKBENCH_MAX_RUNS_PER_ADDRESS", "answers streaming for your address")


def client_address(scope: dict[str, Any]) -> str:
    """The peer's address, or the proxy's word for it if the peer is a trusted proxy."""
    peer = (scope.get("client") or ("unknown",))[0]
    if peer not in settings.WORKBENCH_TRUSTED_PROXIES:
        return peer
    forwarded = dict(scope.get("headers") or []).get(b"x-forwarded-for", b"").decode("latin-1")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    # The nearest hop that is not one of our proxies is what our proxies saw.
    for hop in reversed(hops):
        if hop not in settings.WORKBENCH_TRUSTED_PROXIES:
            return hop
    return peer
