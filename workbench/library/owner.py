"""Who owns saved work: the signed-in person, or else the browser (its cookie).

A visitor may save without an account; what the browser saved moves to the
account when they log in or sign up (``library.signals``), so one rule says
whose a session is everywhere: ``Owner.of(request)`` and ``owns``.
"""

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class Owner:
    browser: str
    user_id: int | None = None

    @classmethod
    def of(cls, request: HttpRequest) -> "Owner":
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        return cls(request.browser, user.pk if signed_in else None)

    @property
    def fields(self) -> dict[str, Any]:
        """The owner columns of a row this owner creates (and filters by)."""
        if self.user_id is not None:
            return {"user_id": self.user_id, "browser": ""}
        return {"user_id": None, "browser": self.browser}

    def owns(self, row: Any) -> bool:
        if self.user_id is not None:
            return row.user_id == self.user_id
        return row.user_id is None and row.browser == self.browser
