"""Delete the drafts of anonymous browsers that saved nothing, once they are old.

Run it daily from cron (README, "Housekeeping"):
    0 4 * * *  cd /srv/workbench && .venv/bin/python manage.py purgedrafts
"""

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from workbench.chat.models import Draft, Run
from workbench.library.models import Session


class Command(BaseCommand):
    help = "Delete anonymous drafts with no saved session, untouched for WORKBENCH_DRAFT_DAYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=settings.WORKBENCH_DRAFT_DAYS,
            help="age in days (default: WORKBENCH_DRAFT_DAYS, %(default)s)",
        )
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")

    def handle(self, *args: Any, days: int, dry_run: bool, **options: Any) -> None:
        if days < 1:
            self.stderr.write("--days must be at least 1.")
            raise SystemExit(2)
        cutoff = timezone.now() - dt.timedelta(days=days)
        with transaction.atomic():
            # Not a signed-in person's and not a saved session's: the working
            # copy of a browser, and the unsaved work kept in its Library.
            unsaved = Session.objects.filter(user=None, saved=False, updated_at__lt=cutoff)
            drafts = Draft.objects.filter(user=None, updated_at__lt=cutoff).filter(
                Q(session=None) | Q(session__in=unsaved)
            )
            runs = Run.objects.filter(Q(draft__in=drafts, session=None) | Q(session__in=unsaved))
            counts = drafts.count(), unsaved.count(), runs.count()
            if not dry_run:
                runs.delete()  # kept by no saved session: they go with their draft
                drafts.delete()
                unsaved.delete()
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            f"{verb} {counts[0]} drafts, {counts[1]} unsaved sessions and {counts[2]} runs "
            f"untouched for {days} days."
        )
