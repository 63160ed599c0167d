"""The draft — everything on a browser's workbench — and the runs made from it.

``Draft`` owns its changes: every method that changes a conversation locks
the row, checks, changes and saves in one transaction (like healthchecks'
``Check.ping``), so a run finishing, a second tab and an edit never
interleave. Views and the relay validate input, call these and render.
"""

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from workbench.catalog.entries import Model, Provider
from workbench.catalog.images import MAX_IMAGES
from workbench.catalog.registry import get_catalog
from workbench.catalog.request import RequestError
from workbench.catalog.structured import asks_for_json
from workbench.chat.conversation import (
    Column,
    Message,
    Status,
    failed_before_text,
    message,
    new_id,
    user_turn,
)
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
MAX_COLUMNS = 6  # a comparison holds at most this many columns


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
    column: int = 0  # the column the panel edits (the one that has focus)
    # The model of each column, by index, where a column's own Model box was posted.
    models: dict[int, str] = field(default_factory=dict)
    # A compare link's models (``?model=a&model=b``), taken on the first action.
    opened: list[str] | None = None


@dataclass
class ColumnStart:
    """One column's part of a run: its own run id, channel, body and new turns."""

    run_id: str
    column: int
    channel: str
    provider: Provider
    body: dict[str, Any]
    new: list[tuple[int, Message]]  # (index, message) added to the column


@dataclass
class RunStart:
    """A run that may go: one stream per column, and what the page must show for it."""

    draft: "Draft"
    columns: list[ColumnStart]
    removed: list[str]  # ids of answers a regenerate replaced
    cleared_box: bool

    # The first column's part, for a draft of one column.
    @property
    def run_id(self) -> str:
        return self.columns[0].run_id

    @property
    def provider(self) -> Provider:
        return self.columns[0].provider

    @property
    def body(self) -> dict[str, Any]:
        return self.columns[0].body

    @property
    def new(self) -> list[tuple[int, Message]]:
        return self.columns[0].new


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


def copied_id(message_id: str, column: int) -> str:
    """The id of a message's copy in another column (see ``Draft._copy``)."""
    return hashlib.sha256(f"{message_id}:{column}".encode()).hexdigest()[:12]


class Occupied(Exception):
    """An Import that was to ask first found something there: what it would replace."""

    def __init__(self, column: Column, pending: str, images: int = 0):
        super().__init__("the workbench holds a conversation")
        self.column, self.pending, self.images = column, pending, images


@dataclass
class Deleted:
    """A message taken out of the conversation, and where it was: enough to put it back."""

    message: Message
    index: int
    after: str | None  # the id of the message just before it, if any
    before: str | None  # and of the one just after it
    column: int = 0  # the column it was in


def lease_end() -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=settings.WORKBENCH_RUN_LEASE)


class Draft(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    browser = models.CharField(max_length=64, unique=True)  # see chat.current
    columns = models.JSONField(default=list)  # Column.as_json() values
    pending = models.TextField(blank=True, default="")  # the unsent Message box
    # Images attached for the next Run ({id, url, name}, see catalog.images): they
    # come over HTTP, never in a websocket frame, and Run adds them to its user turn.
    pending_images = models.JSONField(default=list, blank=True)
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

    CHANGED = ["columns", "pending", "pending_images", "revision", "updated_at"]
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

    def request_body(self, index: int = 0) -> dict[str, Any]:
        """What Run would send now from column ``index`` (the Message box as the last user turn)."""
        column = self.column(self.column_index(index))
        return column.request_body(self.pending, self.pending_images)

    def column_index(self, index: int) -> int:
        """A column index from a page, kept within the columns there are."""
        return min(max(index, 0), len(self.columns) - 1)

    # -- changes (each in its own transaction) -------------------------------

    def _apply(self, panel: Panel) -> None:
        if panel.opened and self._streaming_run() is None:
            self._open(panel.opened)
        for index, model_id in panel.models.items():
            if 0 <= index < len(self.columns) and index != panel.column:
                column = self.column(index)
                column.switch_model(model_id)
                self._put(index, column)
        index = self.column_index(panel.column)
        column = self.column(index)
        column.switch_model(panel.model_id)
        if panel.system_prompt is not None:
            column.system_prompt = panel.system_prompt
        if panel.system_role is not None:
            column.system_role = panel.system_role
        column.set_parameters(panel.parameters)
        self._put(index, column)
        if panel.message is not None and not self._already_sent(panel.message, panel.revision):
            self.pending = panel.message

    def _open(self, model_ids: list[str]) -> None:
        self.columns = [c.as_json() for c in self.opened(model_ids)]

    def opened(self, model_ids: list[str]) -> list[Column]:
        """A compare link's columns: one per model, in order, each the column in the
        same place (or a copy of the first, with its history) with that model."""
        columns = []
        for index, model_id in enumerate(model_ids[:MAX_COLUMNS]):
            column = self.column(index) if index < len(self.columns) else self._copy(0, index)
            column.switch_model(model_id)
            columns.append(column)
        return columns

    def _copy(self, index: int, into: int) -> Column:
        """Column ``index`` again, to be column ``into``: its model, parameters, system
        prompt and history. Ids name elements of the page, so the copy's turns get
        their own, the same each time (a page can show a copy before it is stored)."""
        column = self.column(index)
        column.messages = [{**m, "id": copied_id(m["id"], into)} for m in column.messages]  # type: ignore[misc]
        return column

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

    def _take_panel(self, panel: Panel | None, revision: int | None) -> None:
        """A column action keeps its page's panel first, unless the page (at
        ``revision``) is older than the columns it shows: then Close or Keep could
        hit another column than the one pressed (another tab closed one), and
        nothing is changed."""
        if revision is not None and revision < self.revision:
            raise RefusedChange(
                "This page is out of date (another tab changed the conversation): "
                "nothing was changed. Reload the page."
            )
        if panel is not None:
            self._apply(panel)

    @classmethod
    @transaction.atomic
    def add_column(
        cls, browser: str, from_index: int, panel: Panel | None = None, revision: int | None = None
    ) -> "Draft":
        """Compare: one more column, a copy of column ``from_index`` (model,
        parameters, system prompt and history), placed after the others."""
        draft = cls._locked(browser)
        draft._take_panel(panel, revision)
        draft._idle()
        if len(draft.columns) >= MAX_COLUMNS:
            raise RefusedChange(f"A comparison holds at most {MAX_COLUMNS} columns.")
        draft.columns.append(
            draft._copy(draft.column_index(from_index), len(draft.columns)).as_json()
        )
        draft.revision += 1  # pages showing fewer columns are out of date
        draft._store()
        return draft

    @classmethod
    @transaction.atomic
    def close_column(
        cls, browser: str, index: int, panel: Panel | None = None, revision: int | None = None
    ) -> "Draft":
        """Take column ``index`` out of the comparison (its answers go with it)."""
        draft = cls._locked(browser)
        draft._take_panel(panel, revision)
        draft._idle()
        if len(draft.columns) < 2:
            raise RefusedChange("The last column cannot be closed.")
        if not 0 <= index < len(draft.columns):
            raise RefusedChange("That column no longer exists; reload the page.")
        del draft.columns[index]
        draft.revision += 1
        draft._store()
        return draft

    @classmethod
    @transaction.atomic
    def keep_column(
        cls, browser: str, index: int, panel: Panel | None = None, revision: int | None = None
    ) -> "Draft":
        """Keep this one: column ``index``'s turns become every column's history
        (each column keeps its own model, parameters and system prompt)."""
        draft = cls._locked(browser)
        draft._take_panel(panel, revision)
        draft._idle()
        if not 0 <= index < len(draft.columns):
            raise RefusedChange("That column no longer exists; reload the page.")
        kept = draft.column(index).messages
        for i in range(len(draft.columns)):
            if i == index:
                continue
            column = draft.column(i)
            column.messages = [{**m, "id": new_id()} for m in kept]  # type: ignore[misc]
            draft._put(i, column)
        draft.revision += 1
        draft._store()
        return draft

    @classmethod
    @transaction.atomic
    def begin_run(
        cls,
        browser: str,
        panel: Panel,
        *,
        run_id: str | list[str],
        channel: str | list[str],
        regenerate: bool = False,
        only: int | None = None,
    ) -> RunStart | Refusal:
        """Take the panel, then start a run: in every column (or in column ``only``,
        an index), add the user turn and a streaming placeholder. ``run_id`` and
        ``channel`` give one per column, by index (a single one serves a draft of
        one column).

        Refused, with nothing sent, while another run of this draft is live,
        when the page is older than the last Run, when a column's body is
        invalid, or when a column's model has no API key set (rather than
        storing a failed answer).
        """
        run_ids = [run_id] if isinstance(run_id, str) else list(run_id)
        channels = [channel] if isinstance(channel, str) else list(channel)
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
        if len(draft.columns) > min(len(run_ids), len(channels)):
            draft._store()
            return Refusal.of({"run": "this run was not given a stream for every column"})
        many = len(draft.columns) > 1
        if only is not None and not 0 <= only < len(draft.columns):
            draft._store()
            return Refusal.of({"run": f"there is no column {only + 1} to send to"})
        text = "" if regenerate else draft.pending
        images = [] if regenerate else draft.pending_images
        indexes = range(len(draft.columns)) if only is None else [only]
        columns = {i: draft.column(i) for i in indexes}
        removed: list[str] = []
        bodies = {}
        for i, column in columns.items():
            where = f"Column {i + 1}: " if many else ""
            if column.provider.missing_key:
                draft._store()
                return Refusal.of({"model": where + column.provider.no_key_reason()})
            if regenerate:
                while column.messages and column.messages[-1]["role"] == "assistant":
                    removed.append(column.messages.pop()["id"])
            try:
                bodies[i] = column.request_body(text, images)
            except RequestError as exc:
                draft._store()
                errors = {k: where + v for k, v in exc.errors.items()}
                for beside_box in ("messages", "images"):  # shown beside the Message box
                    if beside_box in errors:
                        errors["message"] = errors.pop(beside_box)
                return Refusal.of(errors)
        starts = []
        for i, column in columns.items():
            first = len(column.messages)
            if text or images:
                column.messages.append(message(**user_turn(text, images)))
            column.messages.append(message("assistant", "", Status.STREAMING, run=run_ids[i]))
            draft._put(i, column)
            new = list(enumerate(column.messages))[first:]
            starts.append(ColumnStart(run_ids[i], i, channels[i], column.provider, bodies[i], new))
        if text or images:
            draft.pending, draft.pending_images = "", []
            draft.revision += 1
        draft._store()
        Run.objects.bulk_create(
            Run(
                id=start.run_id,
                draft=draft,
                session_id=draft.session_id,
                column=start.column,
                body=start.body,
                channel=start.channel,
                lease_until=lease_end(),
            )
            for start in starts
        )
        return RunStart(draft, starts, removed, bool(text or images))

    @classmethod
    @transaction.atomic
    def finish_run(
        cls, run_id: str, outcome: "Outcome", html: str = "", response_format: Any = None
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
        if outcome.reasoning:
            answer["reasoning"] = outcome.reasoning
        if outcome.logprobs:
            answer["logprobs"] = outcome.logprobs
        if outcome.tool_calls:
            answer["tool_calls"] = outcome.tool_calls
        if asks_for_json(response_format):  # how it is shown, if rendered again
            answer["response_format"] = response_format
        if html:
            answer["html"], answer["html_version"] = html, RENDERER_VERSION
        index = column.find_run(run_id)
        if failed_before_text(outcome.status, outcome.text, outcome.tool_calls):
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
        where, column, index = draft._editable(message_id)
        edited = column.messages[index]
        edited.update(role=role, content=content)
        for cached in ("html", "html_version"):  # rendered from the old text
            edited.pop(cached, None)  # type: ignore[misc]
        if role != "user":  # only a user turn sends images
            edited.pop("images", None)
        draft._put(where, column)
        draft._store()
        return column.messages[index]

    @classmethod
    @transaction.atomic
    def delete_message(cls, browser: str, message_id: str) -> tuple["Draft", Deleted]:
        """Take a message out; what was taken, and from where, to undo it."""
        draft = cls._locked(browser)
        where, column, index = draft._editable(message_id)
        ids = [m["id"] for m in column.messages]
        after, before = (ids[index - 1] if index else None), next(iter(ids[index + 1 :]), None)
        deleted = Deleted(column.messages.pop(index), index, after, before, where)
        draft._put(where, column)
        draft._store()
        return draft, deleted

    @classmethod
    @transaction.atomic
    def restore_message(cls, browser: str, deleted: Deleted) -> "Draft":
        """Undo a delete: the message goes back just after the one it followed (first if
        it followed none), else just before the one that followed it, else at the
        place it had (or last)."""
        draft = cls._locked(browser)
        if not 0 <= deleted.column < len(draft.columns):
            raise RefusedChange("That column is closed: the message cannot go back.")
        if draft.find(deleted.message["id"]) is not None:
            raise RefusedChange("That message is back already.")
        column = draft.column(deleted.column)
        if column.find(deleted.message["id"]) is not None:
            raise RefusedChange("That message is back already.")
        after = column.find(deleted.after) if deleted.after else -1
        before = column.find(deleted.before) if deleted.before else None
        if after is not None:
            index = after + 1
        else:
            index = before if before is not None else min(deleted.index, len(column.messages))
        column.messages.insert(index, deleted.message)
        draft._put(deleted.column, column)
        draft._store()
        return draft

    def find(self, message_id: str) -> tuple[int, Column, int] | None:
        """(column index, column, message index) of a message, in whichever column."""
        for where in range(len(self.columns)):
            column = self.column(where)
            index = column.find(message_id)
            if index is not None:
                return where, column, index
        return None

    def find_run(self, run_id: str) -> tuple[int, Column, int] | None:
        """(column index, column, message index) of a run's answer."""
        for where in range(len(self.columns)):
            column = self.column(where)
            index = column.find_run(run_id)
            if index is not None:
                return where, column, index
        return None

    def _editable(self, message_id: str) -> tuple[int, Column, int]:
        found = self.find(message_id)
        if found is None:
            raise RefusedChange("That message no longer exists; reload the page.")
        where, column, index = found
        if column.messages[index]["status"] == Status.STREAMING:
            raise RefusedChange("That answer is still streaming: stop it first.")
        return found

    @classmethod
    @transaction.atomic
    def add_message(cls, browser: str, text: str, revision: int | None) -> "Draft":
        """The Message box's text as a user turn of every column, without running a model."""
        draft = cls._locked(browser)
        if revision is not None and revision < draft.revision:
            raise RefusedChange(STALE_PAGE)
        for where in range(len(draft.columns)):
            column = draft.column(where)
            column.messages.append(message("user", text))
            draft._put(where, column)
        draft.pending = ""
        draft.revision += 1
        draft._store()
        return draft

    @classmethod
    @transaction.atomic
    def add_tool_result(cls, browser: str, message_id: str, call: int, content: str) -> "Draft":
        """The result of an answer's ``call``-th tool call, as a ``tool`` turn after the
        answer (and after the results already added to it), for the next Run to send."""
        draft = cls._locked(browser)
        where, column, index = draft._editable(message_id)
        calls = column.messages[index].get("tool_calls") or []
        if not 0 <= call < len(calls):
            raise RefusedChange("That tool call no longer exists; reload the page.")
        after = index + 1
        while after < len(column.messages) and column.messages[after]["role"] == "tool":
            after += 1
        column.messages.insert(after, message("tool", content, tool_call_id=calls[call]["id"]))
        draft._put(where, column)
        draft._store()
        return draft

    @classmethod
    @transaction.atomic
    def attach_images(cls, browser: str, images: list[dict[str, Any]]) -> "Draft":
        """Images (``{url, name}``, checked) for the next Run, after those attached
        already; refused past the number one message holds."""
        draft = cls._locked(browser)
        if len(draft.pending_images) + len(images) > MAX_IMAGES:
            raise RefusedChange(f"A message holds at most {MAX_IMAGES} images.")
        draft.pending_images = [*draft.pending_images, *({**i, "id": new_id()} for i in images)]
        draft._store()
        return draft

    @classmethod
    @transaction.atomic
    def remove_image(cls, browser: str, image_id: str) -> "Draft":
        """Take an attached image away before Run (one already gone is no error)."""
        draft = cls._locked(browser)
        draft.pending_images = [i for i in draft.pending_images if i.get("id") != image_id]
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
        return bool(self.pending.strip() or self.pending_images) or any(
            c.messages or c.system_prompt for c in columns
        )

    def load(self, columns: list[dict[str, Any]], pending: str, session: Any) -> None:
        """Show another conversation (a locked draft; the caller stores it with SWITCHED)."""
        self.columns, self.pending, self.session = columns, pending, session
        self.pending_images = []
        self.revision += 1  # pages showing the old conversation are out of date

    @classmethod
    @transaction.atomic
    def clear(cls, browser: str) -> "Draft":
        draft = cls._locked(browser)
        draft._idle()
        for where in range(len(draft.columns)):
            column = draft.column(where)
            column.messages = []
            draft._put(where, column)
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
            raise Occupied(draft.column(), draft.pending, len(draft.pending_images))
        draft.columns = [column.as_json()]  # an imported request is one conversation
        draft.pending, draft.pending_images = pending, []
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
    reasoning: str = ""  # a reasoning model's, kept apart from the answer
    logprobs: list[list[Any]] = field(default_factory=list)  # see relay.runs.Reply
    tool_calls: list[dict[str, Any]] = field(default_factory=list)  # see relay.calls


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
