"""Share links that stay true: a stable, unguessable URL that points at revisions.

Share saves the session and publishes its state as revision 1 of a new
``Link``; "Update link" publishes the state on screen as the next revision at
the same URL. A revision is a copy of the session's columns (no keys: a column
holds none) and Message box, so nothing a viewer or the owner does later
changes what a revision shows. A session has at most one live link; a revoked
or expired link stays in the table, dead, so its id never answers again.

Every change locks what it reads and happens in one transaction, in the order
the draft's own changes take: the draft, then the session, then the link.
"""

import secrets
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone

from workbench.chat.models import RefusedChange
from workbench.library.models import Session, shorten
from workbench.library.owner import Owner

ID_BYTES = 16  # 128 bits from secrets: 22 URL-safe characters
STALE_LINK = (
    "This page is out of date: the workbench now shows another session. "
    "Reload the page to see which, then Update link again."
)
NO_DESCRIPTION = "A conversation shared from Workbench."


def new_id() -> str:
    return secrets.token_urlsafe(ID_BYTES)


class Audience(models.TextChoices):
    ANYONE = "anyone", "Anyone with the link"
    USERS = "users", "Logged-in users of this install"


def public_links() -> bool:
    """Whether the operator allows links for anyone (``WORKBENCH_PUBLIC_LINKS``)."""
    return settings.WORKBENCH_PUBLIC_LINKS


def default_audience() -> Audience:
    return Audience.ANYONE if public_links() else Audience.USERS


class LinkQuerySet(models.QuerySet):
    def owned_by(self, owner: Owner) -> "LinkQuerySet":
        """Links of sessions the owner owns (the link is the session's owner's)."""
        return self.filter(**{f"session__{k}": v for k, v in owner.fields.items()})

    def live(self) -> "LinkQuerySet":
        """Neither revoked nor expired: a link works up to the end of its expiry day."""
        today = timezone.localdate()
        return self.filter(revoked_at=None).filter(Q(expires_on=None) | Q(expires_on__gte=today))


class Link(models.Model):
    id = models.CharField(primary_key=True, max_length=64, default=new_id, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="links")
    audience = models.CharField(max_length=8, choices=Audience.choices, default=Audience.ANYONE)
    expires_on = models.DateField(null=True, blank=True)  # the last day it works; None: never
    revoked_at = models.DateTimeField(null=True, blank=True)
    views = models.PositiveIntegerField(default=0)  # by anyone but the owner
    created_at = models.DateTimeField(default=timezone.now)

    objects = LinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Link {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("shared", args=[self.pk])

    @property
    def expired(self) -> bool:
        return self.expires_on is not None and self.expires_on < timezone.localdate()

    @property
    def live(self) -> bool:
        return self.revoked_at is None and not self.expired

    @property
    def served_audience(self) -> Audience:
        """Who may open it now: a link for anyone is login-only while the operator
        has turned public links off (its setting is kept for when they are back on)."""
        if self.audience == Audience.ANYONE and public_links():
            return Audience.ANYONE
        return Audience.USERS

    def audience_text(self) -> str:
        """Who may open it, as the owner reads it."""
        if self.served_audience == self.audience:
            return self.get_audience_display()
        return f"{Audience.USERS.label}, while links for anyone are turned off"

    def latest(self) -> "Revision":
        return self.revisions.order_by("-number").first()

    def latest_number(self) -> int:
        return self.revisions.aggregate(n=Max("number"))["n"] or 0

    # -- changes (each in one transaction) ------------------------------------

    @classmethod
    @transaction.atomic
    def share(cls, owner: Owner) -> tuple["Link", bool]:
        """Save the session on screen and give its live link; a new link (with
        the session's state as revision 1) if it has none. True if new."""
        session = Session.save_draft(owner)  # locks the draft and the session
        link = cls.objects.live().filter(session=session).first()
        if link is not None:
            return link, False
        link = cls.objects.create(session=session, audience=default_audience())
        link._publish(session)
        return link, True

    @classmethod
    @transaction.atomic
    def update(cls, owner: Owner, link_id: str) -> "Revision":
        """Save the session on screen and publish it as the link's next revision.
        DoesNotExist when the link is not the owner's or is dead; RefusedChange
        when the workbench no longer edits the link's session."""
        session = Session.save_draft(owner)
        link = cls._mine(owner, link_id)
        if link.session_id != session.pk:
            raise RefusedChange(STALE_LINK)
        return link._publish(session)

    @classmethod
    @transaction.atomic
    def set_options(cls, owner: Owner, link_id: str, audience: str, expires_on: Any) -> "Link":
        link = cls._mine(owner, link_id)
        link.audience, link.expires_on = audience, expires_on
        link.save(update_fields=["audience", "expires_on"])
        return link

    @classmethod
    @transaction.atomic
    def revoke(cls, owner: Owner, link_id: str) -> "Link":
        """From now on the link answers 404 to everyone, for good."""
        link = cls._mine(owner, link_id)
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
        return link

    @classmethod
    def count_view(cls, link_id: str) -> None:
        cls.objects.filter(pk=link_id).update(views=F("views") + 1)

    @classmethod
    def _mine(cls, owner: Owner, link_id: str) -> "Link":
        """One of the owner's live links, locked (inside atomic())."""
        return cls.objects.owned_by(owner).live().select_for_update().get(pk=link_id)

    def _publish(self, session: Session) -> "Revision":
        """The session's state as the next revision (the link is locked or new)."""
        return Revision.objects.create(
            link=self,
            number=self.latest_number() + 1,
            title=session.title,
            columns=session.columns,
            pending=session.pending,
        )


class Revision(models.Model):
    """What a link showed from its publication on: a copy, never changed."""

    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()  # 1, 2, … per link
    title = models.CharField(max_length=200)
    columns = models.JSONField(default=list)  # Column.as_json() values, as in Session
    pending = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["link", "number"], name="one_revision_per_number"),
        ]

    def __str__(self) -> str:
        return f"{self.link_id} revision {self.number}"

    def get_absolute_url(self) -> str:
        return reverse("shared-revision", args=[self.link_id, self.number])

    def description(self) -> str:
        """For previews (Open Graph): the first user message, shortened."""
        for col in self.columns:
            for m in col.get("messages", []):
                if m.get("role") == "user" and m.get("content", "").strip():
                    return shorten(m["content"], 200)
        return shorten(self.pending, 200) if self.pending.strip() else NO_DESCRIPTION
