"""Saved sessions: a named copy of a draft's conversation, and its run history.

A browser's ``Draft`` is the working copy on screen; ``Save`` copies it into
a ``Session`` (the same ``Column`` JSON), and the draft remembers which
session it edits. Opening another session never loses work: a draft with
unsaved work is first kept in the Library as an *unsaved draft* (a session
with ``saved=False``). Every change here locks the draft (and the session)
and happens in one transaction, like the draft's own methods.
"""

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from workbench.catalog.registry import get_catalog
from workbench.chat.conversation import Column, Status
from workbench.chat.models import Draft, Run
from workbench.library.owner import Owner

if TYPE_CHECKING:
    from workbench.library.exchange import ImportedSession

TITLE_LENGTH = 80
UNTITLED = "Untitled session"


def default_title(columns: list[dict[str, Any]], pending: str = "") -> str:
    """The first user message (else the Message box), on one line and shortened."""
    for col in columns:
        for m in col.get("messages", []):
            if m.get("role") == "user" and m.get("content", "").strip():
                return shorten(m["content"])
    return shorten(pending) if pending.strip() else UNTITLED


def shorten(text: str, length: int = TITLE_LENGTH) -> str:
    line = " ".join(text.split())
    return line if len(line) <= length else line[: length - 1].rstrip() + "…"


def searchable(title: str, columns: list[dict[str, Any]], pending: str) -> str:
    """Everything search looks through, lower-cased: kept in a column of its own so
    that one ``LIKE`` works the same on SQLite and PostgreSQL."""
    parts = [title, pending]
    for col in columns:
        parts.append(col.get("system_prompt", ""))
        parts.extend(m.get("content", "") for m in col.get("messages", []))
    return "\n".join(parts).lower()


def _follow_runs(column: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    """A column whose messages name their runs by the runs' new ids."""
    messages = []
    for m in column["messages"]:
        m = dict(m)
        if "run" in m:
            if m["run"] in ids:
                m["run"] = ids[m["run"]]
            else:
                del m["run"]
        messages.append(m)
    return {**column, "messages": messages}


class SessionQuerySet(models.QuerySet):
    def owned_by(self, owner: Owner) -> "SessionQuerySet":
        return self.filter(**owner.fields)

    def search(self, query: str) -> "SessionQuerySet":
        words = query.lower().split()
        return self.filter(*[Q(text__contains=w) for w in words]) if words else self


class Session(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="workbench_sessions",
    )
    browser = models.CharField(max_length=64, blank=True, default="")  # owner when anonymous
    title = models.CharField(max_length=200)
    columns = models.JSONField(default=list)  # Column.as_json() values, as in Draft
    pending = models.TextField(blank=True, default="")
    text = models.TextField(blank=True, default="")  # see searchable()
    saved = models.BooleanField(default=True)  # False: work kept when another was opened
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        indexes = [
            models.Index(fields=["user", "-updated_at"]),
            models.Index(fields=["browser", "-updated_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        """The search text follows the title and the conversation, whatever changed them."""
        self.text = searchable(self.title, self.columns, self.pending)
        if (fields := kwargs.get("update_fields")) is not None:
            kwargs["update_fields"] = {*fields, "text"}
        super().save(*args, **kwargs)

    def column(self, index: int = 0) -> Column:
        return Column.from_json(self.columns[index])

    def _take(self, draft: Draft) -> None:
        """Copy the draft's conversation and Message box into this session."""
        self.columns, self.pending = draft.columns, draft.pending
        self.updated_at = timezone.now()

    def differs_from(self, draft: Draft) -> bool:
        return self.columns != draft.columns or self.pending != draft.pending

    # -- changes (each in one transaction) ------------------------------------

    @classmethod
    @transaction.atomic
    def save_draft(cls, owner: Owner, *, as_new: bool = False) -> "Session":
        """Save: update the session the draft edits, or create one ("Save as new"
        always creates one, titled as a copy). Refused while an answer streams."""
        draft = Draft._locked(owner.browser)
        draft._idle()
        current = draft.session if draft.session_id else None
        if current is not None and owner.owns(current) and not as_new:
            session = cls.objects.select_for_update().get(pk=current.pk)
            session.saved = True
        else:
            title = default_title(draft.columns, draft.pending)
            if as_new and current is not None:
                title = shorten(f"{current.title} (copy)", 200)
            session = cls(title=title, **owner.fields)
        session._take(draft)
        session.save()
        draft.session = session
        draft.save(update_fields=["session"])
        Run.objects.filter(draft=draft, session=None).update(session=session)
        return session

    @classmethod
    def _keep_unsaved(cls, draft: Draft, owner: Owner) -> "Session | None":
        """Before the draft shows something else: keep its unsaved work in the Library."""
        current = draft.session if draft.session_id else None
        if current is not None and not current.differs_from(draft):
            return None
        if current is None and not draft.has_work():
            return None
        if current is not None and not current.saved and owner.owns(current):
            kept = cls.objects.select_for_update().get(pk=current.pk)  # still a draft: update
        else:
            title = current.title if current else default_title(draft.columns, draft.pending)
            kept = cls(title=title, saved=False, **owner.fields)
        kept._take(draft)
        kept.save()
        Run.objects.filter(draft=draft, session=None).update(session=kept)
        return kept

    @classmethod
    @transaction.atomic
    def open(cls, owner: Owner, session_id: Any) -> "Session | None":
        """Show one of the owner's sessions in the workbench (DoesNotExist if it is
        not theirs); the work on screen is kept first."""
        session = cls.objects.owned_by(owner).get(pk=session_id)
        return cls._show(owner, session.columns, session.pending, session)

    @classmethod
    @transaction.atomic
    def start_new(cls, owner: Owner) -> "Session | None":
        """An empty conversation with the model on screen (its work kept first)."""
        draft = Draft.of(owner.browser)
        model_id = draft.column().model_id if draft.columns else None
        return cls._show(owner, Draft.new(owner.browser, model_id).columns, "", None)

    @classmethod
    @transaction.atomic
    def fork(
        cls, owner: Owner, title: str, columns: list[dict[str, Any]], pending: str
    ) -> "Session | None":
        """A copy of someone's conversation as the owner's own new session, opened."""
        session = cls(title=shorten(title, 200), **owner.fields)
        session.columns, session.pending = columns, pending
        session.save()
        return cls._show(owner, columns, pending, session)

    @classmethod
    @transaction.atomic
    def restore(cls, owner: Owner, body: dict[str, Any]) -> "Session | None":
        """A request body (a run's) in the workbench, read as Import reads one; the work
        on screen is kept first. Raises RequestError when the body fits no model."""
        stand_in = get_catalog().stand_in(str(body.get("model", "")))
        column, pending = Column.from_body(body, stand_in)
        return cls._show(owner, [column.as_json()], pending, None)

    @classmethod
    def _show(
        cls, owner: Owner, columns: list[dict[str, Any]], pending: str, session: "Session | None"
    ) -> "Session | None":
        """Show a conversation in the owner's workbench; the unsaved work kept, if any."""
        draft = Draft._locked(owner.browser)
        draft._idle()
        kept = cls._keep_unsaved(draft, owner)
        draft.load(columns, pending, session)
        draft.save(update_fields=Draft.SWITCHED)
        return kept

    @classmethod
    @transaction.atomic
    def rename(cls, owner: Owner, session_id: Any, title: str) -> "Session":
        session = cls.objects.owned_by(owner).select_for_update().get(pk=session_id)
        session.title = title
        session.save(update_fields=["title"])
        return session

    @classmethod
    @transaction.atomic
    def remove(cls, owner: Owner, session_id: Any) -> None:
        """Delete one of the owner's sessions with its runs (DoesNotExist if not theirs).
        A draft editing it keeps its conversation, as not saved, and an answer
        streaming into it finishes there (its run is let go, not deleted)."""
        session = cls.objects.owned_by(owner).select_for_update().get(pk=session_id)
        session.runs.exclude(status=Status.STREAMING).delete()
        session.delete()

    @classmethod
    @transaction.atomic
    def import_sessions(cls, owner: Owner, imported: list["ImportedSession"]) -> list["Session"]:
        """Sessions read from a file (``library.exchange`` checked them) as the owner's
        saved sessions: all of them or, if anything fails, none.

        Runs get new ids, and messages' "run" follow them (one naming no run of
        the file loses it): a file can never reach a run that already exists.
        The first session of the file comes first in the Library.
        """
        now = timezone.now()
        created = []
        for order, item in enumerate(imported):
            ids = {run.key: uuid.uuid4().hex for run in item.runs}
            columns = [_follow_runs(column, ids) for column in item.columns]
            session = cls(
                title=item.title,
                columns=columns,
                pending=item.pending,
                saved=True,
                created_at=now,
                updated_at=now - dt.timedelta(microseconds=order),
                **owner.fields,
            )
            session.save(force_insert=True)
            runs = Run.objects.bulk_create(  # INSERTs, never an update of a row with that id
                Run(
                    id=ids[run.key],
                    session=session,
                    column=run.column,
                    status=run.status,
                    body=run.body,
                    text=run.text,
                    error=run.error,
                    figures=run.figures,
                    finished_at=run.finished_at,
                )
                for run in item.runs
            )
            dated = []  # auto_now_add stamped them all with now: their own times go back
            for made, run in zip(runs, item.runs, strict=True):
                if run.started_at:
                    made.started_at = run.started_at
                    dated.append(made)
            Run.objects.bulk_update(dated, ["started_at"])
            created.append(session)
        return created

    @classmethod
    @transaction.atomic
    def claim(cls, browser: str, user_id: int) -> None:
        """On log in or sign up: what this browser saved, and its draft, become the account's."""
        cls.objects.filter(user=None, browser=browser).update(user_id=user_id, browser="")
        Draft._locked(browser)  # so the draft exists, and is the account's from now on
        Draft.objects.filter(browser=browser).update(user_id=user_id)
