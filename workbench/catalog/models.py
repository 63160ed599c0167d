"""What a discovering provider last said about its models, kept in the database
so that every worker process builds the same catalog from it."""

from typing import Any

from django.db import models
from django.db.models import Count, Max
from django.utils import timezone


class ModelListing(models.Model):
    """One provider's ``GET {base_url}/models``: the objects as received (bounded
    by catalog/discovery.py), when it last answered, and why it last failed."""

    provider = models.CharField(max_length=200, primary_key=True)
    listing = models.JSONField(default=list)
    listed_at = models.DateTimeField(null=True)  # the last answer that was a list
    tried_at = models.DateTimeField(null=True)
    error = models.TextField(blank=True)  # worded for people, never holding a key
    updated = models.DateTimeField(auto_now=True)  # the catalog's version (see version())

    def __str__(self) -> str:
        return f"models of {self.provider}"

    @classmethod
    def record(cls, provider: str, listing: list[Any] | None, error: str = "") -> "ModelListing":
        """Store an attempt: a list replaces the last one; a failure keeps it (the
        models stay usable while their server is briefly away) beside the error."""
        now = timezone.now()
        row, _ = cls.objects.get_or_create(provider=provider)
        row.tried_at, row.error = now, error
        if listing is not None:
            row.listing, row.listed_at = listing, now
        row.save()
        return row

    @classmethod
    def version(cls) -> tuple[Any, int]:
        """Changes whenever a row is written or removed: one cheap query."""
        found = cls.objects.aggregate(latest=Max("updated"), rows=Count("pk"))
        return found["latest"], found["rows"]

    @classmethod
    def listings(cls) -> dict[str, list[Any]]:
        return dict(cls.objects.values_list("provider", "listing"))
