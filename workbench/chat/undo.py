"""Undo for Delete: the deleted message goes to the page, signed, and comes back
with Undo; nothing is kept on the server meanwhile.

The signature (Django's signing, salted with the browser's key, which the
token never holds: that key is an http-only cookie) makes the token the
server's word: what comes back is what was deleted, from this browser's
draft, within ``UNDO_FOR`` seconds.
"""

from dataclasses import asdict

from django.core import signing

from workbench.chat.conversation import Message
from workbench.chat.models import Deleted, RefusedChange

SALT = "workbench.chat.undo:"
UNDO_FOR = 60 * 60  # seconds


def token(browser: str, deleted: Deleted) -> str:
    return signing.dumps(asdict(deleted), salt=SALT + browser, compress=True)


def deleted_from(browser: str, value: str) -> Deleted:
    """What ``token`` signed; RefusedChange for a token that is not this browser's or too old."""
    try:
        data = signing.loads(value, salt=SALT + browser, max_age=UNDO_FOR)
    except signing.SignatureExpired:
        raise RefusedChange("Too late to undo: the message was deleted over an hour ago.") from None
    except signing.BadSignature:
        raise RefusedChange("That Undo is not valid here; reload the page.") from None
    return Deleted(
        Message(**data["message"]),
        data["index"],
        data["after"],
        data["before"],
        data.get("column", 0),
    )
