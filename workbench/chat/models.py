"""The draft — everything on a browser's workbench — and the runs made from it.

``Draft`` owns its changes: every method that changes a conversation locks
the row, checks, changes and saves in one transaction (like healthchecks'
``Check.ping``), so a run finishing, a second tab and an edit never
interleave. Views and the relay validate input, call these and render.
"""

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from workbench.catalog.entries import Model, Provider
from workbench.catalog.registry import get_catalog
from workbench.catalog.request import RequestError
from workbench.chat.conversation import Column, Message, Status, failed_before_text, message
from workbench.chat.markdown import RENDERER_VERSION

# The workbench streams unless the person turns it off (the API default is off).
INITIAL_PARAMETERS = {"stream": True}
STALE_PAGE = (
    "This page is out of date: the conversation changed in another tab. "
    "Reload the page to see it, then Run again."
)
BUSY = (
    "An answer is still streaming in this conversation (perhaps in another tab): "
    "press Stop, or wait for it to finish, then Run again."
)


@dataclass
class Panel:
    """The workbench form's values, already validated (see ``chat.forms.PanelForm``)."""

    model_id: str
    system_prompt: str | None  # None = refused or not posted: keep the stored one
    parameters: dict[str, Any]  # the valid values posted; None = back to the default
    message: str | None = None  # the Message box; None = not posted
    revision: int | None = None  # the draft revision the page last saw
    errors: dict[str, str] = field(default_factory=dict)
    system_role: str | None = None  # "system" or "developer"; None = not posted


@dataclass
class RunStart:
    """A run that may go: what to send, and what the page must show for it."""

    run_id: str
    draft: "Draft"
    provider: Provider
    body: dict[str, Any]
    new: list[tuple[int, Message]]  # (index, message) added to the column
    removed: list[str]  # ids of answers a regenerate replaced
    cleared_box: bool


@dataclass
class Refusal:
    """Nothing was sent: why, by field (or ``notice`` for the whole run)."""

    errors: dict[str, str]
    notice: str
    active_run: str | None = None  # the run that is streaming instead, if one is

    @classmethod
    def of(cls, errors: dict[str, str]) -> "Refusal":
        """The reasons beside their fields, and together, as sentences, in the notice."""
        sentences = " ".join(e if e.endswith(".") else e + "." for e in errors.values())
        return cls(errors, "Nothing was sent: " + sentences)


class RefusedChange(Exception):
    """An edit the draft cannot take now; the message is for the person."""


class Occupied(Exception):
    """An Import that was to ask first found something there: what it would replace."""

    def __init__(self, column: Column, pending: str):
        super().__init__("the workbench holds a conversation")
        self.column, self.pending = column, pending


@dataclass
class Deleted:
    """A message taken out of the conversation, and where it was: enough to put it back."""

    message: Message
    index: int
    after: str | None  # the id of the message just before it, if any
    before: str | None  # and of the one just after it


def lease_end() -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=settings.WORKBENCH_RUN_LEASE)


class Draft(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    browser = models.CharField(max_length=64, unique=True)  # see chat.current
    columns = models.JSONField(default=list)  # Column.as_json() values
    pending = models.TextField(blank=True, default="")  # the unsent Message box
    # Bumped whenever the Message box is used up (Run, Add, Import): a page or
    # an autosave from before that cannot put the sent text back.
    revision = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    # The saved session this draft edits (None: not saved yet), and the account
    # the browser was signed in to when the draft was last claimed.
    session = models.ForeignKey(
        "library.Session", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    def __str__(self) -> str:
        return f"Draft {self.pk} ({len(self.columns)} columns)"

    @classmethod
    def new(cls, browser: str, model_id: str | None = None) -> "Draft":
        """A draft not yet stored: a visit that writes nothing stores nothing."""
        model = get_catalog().get(model_id or "") or get_catalog().default_model()
        column = Column(model.id, parameters=dict(INITIAL_PARAMETERS))
        return cls(browser=browser, columns=[column.as_json()])

    @classmethod
    def of(cls, browser: str) -> "Draft":
        return cls.objects.filter(browser=browser).first() or cls.new(browser)

    @classmethod
    def _locked(cls, browser: str) -> "Draft":
        """The browser's draft, locked (inside atomic()); created on its first write."""
        locked = cls.objects.select_for_update()
        draft = locked.filter(browser=browser).first()
        if draft is None:  # two first writes at once: get_or_create lets one insert
            columns = cls.new(browser).columns
            created, _ = cls.objects.get_or_create(browser=browser, defaults={"columns": columns})
            draft = locked.get(pk=created.pk)
        return draft

    CHANGED = ["columns", "pending", "revision", "updated_at"]  # what a change may touch
    SWITCHED = [*CHANGED, "session"]  # ...and what opening another session touches

    def _store(self) -> None:
        """Save a change of a locked draft: its conversation, box and revision only."""
        self.save(update_fields=self.CHANGED)

    def column(self, index: int = 0) -> Column:
        return Column.from_json(self.columns[index])

    def _put(self, index: int, column: Column) -> None:
        self.columns[index] = column.as_json()

    # -- reading --------------------------------------------------------------

    def live_runs(self) -> dict[str, "Run"]:
        """This draft's runs that a process is still streaming, by id (a run can be
        live only while its answer streams in the draft: no query otherwise)."""
        if self._state.adding or self._streaming_run() is None:
            return {}
        return {r.id: r for r in Run.objects.filter(draft=self).live()}

    def request_body(self) -> dict[str, Any]:
        """What Run would send now (the Message box as the last user turn)."""
        return self.column().request_body(self.pending)

    # -- changes (each in its own transaction) -------------------------------

    def _apply(self, panel: Panel) -> None:
        column = self.column()
        column.switch_model(panel.model_id)
        if panel.system_prompt is not None:
            column.system_prompt = panel.system_prompt
        if panel.system_role is not None:
            column.system_role = panel.system_role
        column.set_parameters(panel.parameters)
        self._put(0, column)
        if panel.message is not None and not self._already_sent(panel.message, panel.revision):
            self.pending = panel.message

    def _already_sent(self, text: str, revision: int | None) -> bool:
        """Whether a Message box from a page older than the last Run holds what that
        Run sent (the box as it was, or as it was being typed): such text must not
        come back. Other text from an old page (another tab's) is new and kept."""
        if (revision or 0) >= self.revision:
            return False
        sent = [m["content"] for m in self.column().messages if m["role"] == "user"]
        return not sent or sent[-1].startswith(text)

    @classmethod
    @transaction.atomic
    def save_panel(cls, browser: str, panel: Panel) -> "Draft":
        """Autosave: keep what is valid (the form has left out what is not)."""
        draft = cls._locked(browser)
        draft._apply(panel)
        draft._store()
        return draft

    @classmethod
    @transaction.atomic
    def begin_run(
        cls, browser: str, panel: Panel, *, run_id: str, channel: str, regenerate: bool = False
    ) -> RunStart | Refusal:
        """Take the panel, then start a run: add the user turn and a streaming placeholder.

        Refused, with nothing sent, while another run of this draft is live,
        when the page is older than the last Run, when the body is invalid, or
        when the model's API key is not set (rather than storing a failed answer).
        """
        draft = cls._locked(browser)
        if draft._reap():
            draft._store()
        live = draft._streaming_run()
        stale = panel.revision is not None and panel.revision < draft.revision
        if live or stale:
            # Nothing is sent and the panel stays as stored, but what this page
            # was about to send is kept in the box, unless it was sent already.
            if panel.message is not None and not draft._already_sent(panel.message, panel.revision):
                draft.pending = panel.message
                draft._store()
            return Refusal({}, BUSY, live) if live else Refusal({}, STALE_PAGE)
        draft._apply(panel)
        if panel.errors:
            draft._store()
            return Refusal.of(panel.errors)
        column = draft.column()
        if column.provider.missing_key:
            draft._store()
            return Refusal.of({"model": column.provider.no_key_reason()})
        removed: list[str] = []
        if regenerate:
            while column.messages and column.messages[-1]["role"] == "assistant":
                removed.append(column.messages.pop()["id"])
        text = "" if regenerate else draft.pending
        try:
            body = column.request_body(text)
        except RequestError as exc:
            draft._store()
            errors = dict(exc.errors)
            if "messages" in errors:  # shown beside the Message box
                errors["message"] = errors.pop("messages")
            return Refusal.of(errors)
        first = len(column.messages)
        if text:
            column.messages.append(message("user", text))
            draft.pending = ""
            draft.revision += 1
        column.messages.append(message("assistant", "", Status.STREAMING, run=run_id))
        draft._put(0, column)
        draft._store()
        Run.objects.create(
            id=run_id,
            draft=draft,
            session_id=draft.session_id,
            column=0,
            body=body,
            channel=channel,
            lease_until=lease_end(),
        )
        new = list(enumerate(column.messages))[first:]
        return RunStart(run_id, draft, column.provider, body, new, removed, bool(text))

    @classmethod
    @transaction.atomic
    def finish_run(
        cls, run_id: str, outcome: "Outcome", html: str = ""
    ) -> tuple[int, Message] | None:
        """Store the answer where its placeholder is: (its index, the answer); None
        if the draft is gone. The Run records the outcome either way.

        If the placeholder was deleted meanwhile, the answer goes at the end:
        an answer that cost time and tokens is never dropped. A run that failed
        before any text leaves no answer (``failed_before_text``): its
        placeholder goes, and the answer returned, at the index it had, is not kept.
        """
        run = Run.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            return None
        run.record(outcome)
        draft = cls.objects.select_for_update().filter(pk=run.draft_id).first()
        if draft is None:
            return None
        column = draft.column(run.column)
        answer = message("assistant", outcome.text, outcome.status, run=run_id)
        if outcome.error:
            answer["error"] = outcome.error
        answer["figures"] = outcome.figures
        if html:
            answer["html"], answer["html_version"] = html, RENDERER_VERSION
        index = column.find_run(run_id)
        if failed_before_text(outcome.status, outcome.text):
            if index is not None:
                del column.messages[index]
            index = len(column.messages) if index is None else index
        elif index is None:
            column.messages.append(answer)
            index = len(column.messages) - 1
        else:
            answer["id"] = column.messages[index]["id"]
            column.messages[index] = answer
        draft._put(run.column, column)
        draft._store()
        return index, answer

    def _streaming_run(self) -> str | None:
        """The run of an answer streaming in this draft, if any. After ``_reap`` it
        is live: a run and its streaming answer begin and end in the same
        transactions, so no query is needed to know."""
        messages = (m for c in self.columns for m in c["messages"])
        return next((m["run"] for m in messages if m.get("status") == Status.STREAMING), None)

    def _reap(self) -> bool:
        """Mark answers whose run is live nowhere (a crashed process) as interrupted."""
        if self._streaming_run() is None:
            return False
        live = self.live_runs()
        changed = False
        for index, col in enumerate(self.columns):
            column = Column.from_json(col)
            for m in column.streaming():
                if m["run"] in live:
                    continue
                run = Run.objects.filter(pk=m["run"]).first()
                m["status"] = Status.INTERRUPTED
                m["content"] = run.text if run else ""
                m["error"] = "The server stopped while this answer was streaming."
                if run and run.status == Status.STREAMING:
                    Run.objects.filter(pk=run.pk).update(
                        status=Status.INTERRUPTED, finished_at=timezone.now(), lease_until=None
                    )
                changed = True
            self._put(index, column)
        return changed

    @classmethod
    def settle(cls, browser: str) -> "Draft":
        """The browser's draft for a page, with answers of dead runs marked interrupted."""
        draft = cls.of(browser)
        if draft._state.adding or draft._streaming_run() is None:
            return draft
        with transaction.atomic():
            draft = cls._locked(browser)
            if draft._reap():
                draft._store()
        return draft

    @classmethod
    @transaction.atomic
    def edit_message(cls, browser: str, message_id: str, role: str, content: str) -> Message:
        draft = cls._locked(browser)
        column, index = draft._editable(message_id)
        edited = column.messages[index]
        edited.update(role=role, content=content)
        for cached in ("html", "html_version"):  # rendered from the old text
            edited.pop(cached, None)  # type: ignore[misc]
        draft._put(0, column)
        draft._store()
        return column.messages[index]

    @classmethod
    @transaction.atomic
    def delete_message(cls, browser: str, message_id: str) -> tuple["Draft", Deleted]:
        """Take a message out; what was taken, and from where, to undo it."""
        draft = cls._locked(browser)
        column, index = draft._editable(message_id)
        ids = [m["id"] for m in column.messages]
        after, before = (ids[index - 1] if index else None), next(iter(ids[index + 1 :]), None)
        deleted = Deleted(column.messages.pop(index), index, after, before)
        draft._put(0, column)
        draft._store()
        return draft, deleted

    @classmethod
    @transaction.atomic
    def restore_message(cls, browser: str, deleted: Deleted) -> "Draft":
        """Undo a delete: the message goes back just after the one it followed (first if
        it followed none), else just before the one that followed it, else at the
        place it had (or last)."""
        draft = cls._locked(browser)
        column = draft.column()
        if column.find(deleted.message["id"]) is not None:
            raise RefusedChange("That message is back already.")
        after = column.find(deleted.after) if deleted.after else -1
        before = column.find(deleted.before) if deleted.before else None
        if after is not None:
            index = after + 1
        else:
            index = before if before is not None else min(deleted.index, len(column.messages))
        column.messages.insert(index, deleted.message)
        draft._put(0, column)
        draft._store()
        return draft

    def _editable(self, message_id: str) -> tuple[Column, int]:
        column = self.column()
        index = column.find(message_id)
        if index is None:
            raise RefusedChange("That message no longer exists; reload the page.")
        if column.messages[index]["status"] == Status.STREAMING:
            raise RefusedChange("That answer is still streaming: stop it first.")
        return column, index

    @classmethod
    @transaction.atomic
    def add_message(cls, browser: str, text: str, revision: int | None) -> "Draft":
        """The Message box's text as a user turn, without running the model."""
        draft = cls._locked(browser)
        if revision is not None and revision < draft.revision:
            raise RefusedChange(STALE_PAGE)
        column = draft.column()
        column.messages.append(message("user", text))
        draft._put(0, column)
        draft.pending = ""
        draft.revision += 1
        draft._store()
        return draft

    def _idle(self) -> None:
        """Refuse a change of the whole conversation while an answer streams in it."""
        self._reap()
        if self._streaming_run():
            raise RefusedChange(BUSY)

    def has_work(self) -> bool:
        """Whether there is anything here a person would miss: turns, a system
        prompt or text in the Message box (a model choice alone is not work)."""
        columns = [self.column(i) for i in range(len(self.columns))]
        return bool(self.pending.strip()) or any(c.messages or c.system_prompt for c in columns)

    def load(self, columns: list[dict[str, Any]], pending: str, session: Any) -> None:
        """Show another conversation (a locked draft; the caller stores it with SWITCHED)."""
        self.columns, self.pending, self.session = columns, pending, session
        self.revision += 1  # pages showing the old conversation are out of date

    @classmethod
    @transaction.atomic
    def clear(cls, browser: str) -> "Draft":
        draft = cls._locked(browser)
        draft._idle()
        column = draft.column()
        column.messages = []
        draft._put(0, column)
        draft._store()
        return draft

    @classmethod
    def set_aside(cls, browser: str) -> None:
        """Detach the browser's draft (kept, under a key no cookie carries)."""
        cls.objects.filter(browser=browser).update(browser=f"aside-{uuid.uuid4().hex}")

    @classmethod
    @transaction.atomic
    def load_body(
        cls, browser: str, body: dict[str, Any], stand_in: Model | None = None, *, ask: bool = False
    ) -> "Draft":
        """Replace the conversation with a request body's (``Column.from_body``,
        with ``stand_in`` for a model the catalog does not have).

        Raises RequestError, and changes nothing, when the body does not fit
        a model or an answer is streaming; with ``ask``, raises Occupied when
        there are messages, a system prompt or a Message box to replace.
        """
        column, pending = Column.from_body(body, stand_in)
        draft = cls._locked(browser)
        try:
            draft._idle()
        except RefusedChange as exc:
            raise RequestError({"run": str(exc)}) from None
        if ask and draft.has_work():
            raise Occupied(draft.column(), draft.pending)
        draft._put(0, column)
        draft.pending = pending
        draft.revision += 1
        draft._store()
        return draft


@dataclass
class Outcome:
    """How a run ended: its text, status, the error worded for people, and figures."""

    text: str
    status: Status
    error: str = ""
    figures: dict[str, Any] = field(default_factory=dict)


class RunQuerySet(models.QuerySet):
    def live(self) -> "RunQuerySet":
        """Runs still streaming in some process: their lease is being renewed."""
        return self.filter(status=Status.STREAMING, lease_until__gt=timezone.now())


class Run(models.Model):
    """One run of one column: the exact body sent, the answer, figures and outcome.

    While it streams, ``text`` is the answer so far (saved every few seconds)
    and ``lease_until`` is renewed with it: a run whose lease ran out belongs
    to a process that died. ``channel`` is where Stop and re-attach are sent.
    """

    id = models.CharField(primary_key=True, max_length=32)
    # A run outlives its draft (housekeeping deletes old drafts) in the
    # history of the session it was made in.
    draft = models.ForeignKey(Draft, null=True, on_delete=models.SET_NULL, related_name="runs")
    session = models.ForeignKey(
        "library.Session", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    column = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.STREAMING)
    body = models.JSONField()
    text = models.TextField(blank=True, default="")
    error = models.TextField(blank=True, default="")
    figures = models.JSONField(default=dict)
    channel = models.CharField(max_length=200, blank=True, default="")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    objects = RunQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["draft", "status"])]

    def __str__(self) -> str:
        return f"Run {self.id} ({self.status})"

    @property
    def is_live(self) -> bool:
        return (
            self.status == Status.STREAMING
            and self.lease_until is not None
            and self.lease_until > timezone.now()
        )

    @classmethod
    def renew(cls, run_id: str, text: str) -> None:
        """Save the text so far and extend the lease: this process is still on it."""
        cls.objects.filter(pk=run_id, status=Status.STREAMING).update(
            text=text, lease_until=lease_end()
        )

    def record(self, outcome: Outcome) -> None:
        self.status = outcome.status
        self.text, self.error, self.figures = outcome.text, outcome.error, outcome.figures
        self.finished_at = timezone.now()
        self.lease_until = None
        self.save(
            update_fields=["status", "text", "error", "figures", "finished_at", "lease_until"]
        )
