"""Sessions as files: the one home of the wire format, ``workbench.session/1``.

Export writes a saved session as JSON: its title, columns (model, parameters,
system prompt and messages with their status, error, figures, run and the JSON
format asked for), the Message box, and its runs with the exact bodies they
sent. Render caches are left out, and nothing secret is in any of these fields;
as a last guard, a key the server holds is removed should an upstream have
echoed one into an error.

Import reads such a file, an OpenAI chat-completions request body, or a list
of them, into plain values (``ImportedFile``) that ``Session.import_sessions``
stores, all or nothing. The file is hostile until read: every check happens
here, before anything is stored, and a refusal (``RefusedFile``) names the
problem and where it is, e.g. "columns[0].messages[3].role: must be one of ...".

The version rule: a reader reads its own version and refuses a newer one,
saying so; within a version, a writer adds only fields an older reader may
ignore, and a reader ignores fields it does not know.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn

from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from workbench.catalog.registry import get_catalog
from workbench.catalog.request import ROLES, RequestError, accepts, build_body
from workbench.catalog.schema import ParameterError, check_value
from workbench.catalog.structured import RESPONSE_FORMAT
from workbench.catalog.tools import message_problem
from workbench.chat.conversation import TOOL_FIELDS, Column, Status, new_id
from workbench.library.forms import RenameForm
from workbench.library.models import Session, default_title, shorten
from workbench.limits import LOGPROB_ALTERNATIVES, LOGPROB_TOKENS, MAX_IMPORT_BYTES, MAX_TEXT
from workbench.text import TextError, find_invalid, parse_json

NAME = "workbench.session"
VERSION = 1
FORMAT = f"{NAME}/{VERSION}"
_VERSIONED = re.compile(rf"{re.escape(NAME)}/([1-9][0-9]{{0,8}})")

# What a message keeps in a file: not its render cache (``html``, ``html_version``),
# which is made again from the text and never taken from outside.
MESSAGE_FIELDS = ("id", "role", "content", "status", "error", "figures", "run")
# An answer's, kept apart from its text: see chat.conversation.Message.
MESSAGE_FIELDS += ("reasoning", "logprobs", "response_format")
# An answer's tool calls, and the call a tool turn answers (catalog.tools).
MESSAGE_FIELDS += ("tool_calls", "tool_call_id")
# A run's figures (relay.runs), by the JSON types each may hold besides null.
FIGURES: dict[str, tuple[type, ...]] = {
    "ttft_ms": (int, float),
    "total_ms": (int, float),
    "prompt_tokens": (int,),
    "completion_tokens": (int,),
    "approximate": (bool,),
    "tokens_per_second": (int, float),
    "finish_reason": (str,),
}
# A saved conversation never holds a streaming answer (Save waits for it to end).
MESSAGE_STATUSES = [s for s in Status.values if s != Status.STREAMING]
_MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # it goes into URLs (a slug) and HTML ids
MAX_COLUMNS = 16
MAX_BODIES = 1000  # sessions from one list of bodies
STILL_STREAMING = "This run was still streaming when the file was made."


class RefusedFile(ValueError):
    """Why nothing was imported, worded for the person: what is wrong, and where."""


@dataclass(frozen=True)
class ImportedRun:
    key: str  # its id in the file, which messages' "run" name; it is stored under a new id
    column: int
    status: str
    body: dict[str, Any]
    text: str = ""
    error: str = ""
    figures: dict[str, Any] = field(default_factory=dict)
    started_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass
class ImportedSession:
    title: str
    columns: list[dict[str, Any]]  # Column.as_json() values; "run" names an ImportedRun.key
    pending: str = ""
    runs: list[ImportedRun] = field(default_factory=list)
    stand_ins: dict[str, str] = field(default_factory=dict)  # model asked -> model used


@dataclass
class ImportedFile:
    kind: str  # follows "from": "a Workbench session file"
    sessions: list[ImportedSession]

    def summary(self) -> str:
        """What the Library says once the sessions are stored."""
        titles = [f"“{s.title}”" for s in self.sessions]
        if len(titles) == 1:
            s = self.sessions[0]
            # as Import counts: the system prompt and the Message box are turns too
            turns = sum(len(c["messages"]) + bool(c["system_prompt"]) for c in s.columns)
            turns += bool(s.pending)
            said = f"Imported {titles[0]} from {self.kind}: {_count(turns, 'message')}"
            said += f", {_count(len(s.runs), 'run')}." if s.runs else "."
        else:
            shown = ", ".join(titles[:5]) + (
                f" and {len(titles) - 5} more" if len(titles) > 5 else ""
            )
            said = f"Imported {len(titles)} sessions from {self.kind}: {shown}."
        swapped = {k: v for s in self.sessions for k, v in s.stand_ins.items()}
        catalog = get_catalog()
        for asked, used in list(swapped.items())[:3]:
            model = catalog.get(used) or catalog.default_model()
            said += (
                f" The model “{shorten(asked, 60)}” is not in this Workbench's catalog: "
                f"{model.display_name} ({model.id}), the closest, takes its place."
            )
        return said


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# -- export -------------------------------------------------------------------


def export(session: Session) -> dict[str, Any]:
    """A session as the file holds it (see the README's "Export and import")."""
    runs = session.runs.order_by("started_at", "id")
    return {
        "format": FORMAT,
        "title": session.title,
        "exported_at": _time(timezone.now()),
        "columns": [_column_out(c) for c in session.columns],
        "pending": session.pending,
        "runs": [
            {
                "id": run.id,
                "column": run.column,
                "status": run.status,
                "body": run.body,
                "text": run.text,
                "error": run.error,
                "figures": run.figures,
                "started_at": _time(run.started_at),
                "finished_at": _time(run.finished_at),
            }
            for run in runs
        ],
    }


def export_text(session: Session) -> str:
    """The file's text: JSON, readable (indented, characters as they are)."""
    return get_catalog().without_keys(
        json.dumps(export(session), ensure_ascii=False, indent=2) + "\n"
    )


def filename(title: str) -> str:
    """A download name from the title: letters, digits and dashes only."""
    return (slugify(title, allow_unicode=True)[:60].strip("-_") or "session") + ".json"


def _column_out(data: dict[str, Any]) -> dict[str, Any]:
    column = Column.from_json(data).as_json()
    column["messages"] = [
        {k: str(m[k]) if k == "status" else m[k] for k in MESSAGE_FIELDS if k in m}
        for m in column["messages"]
    ]
    return column


def _time(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


# -- import -------------------------------------------------------------------


def read_upload(upload: UploadedFile | None) -> ImportedFile:
    """An uploaded file, read and checked; its size is checked before it is read."""
    if upload is None:
        raise RefusedFile("Choose a file to import first")
    if upload.size is None or upload.size > MAX_IMPORT_BYTES:
        raise RefusedFile(f"The file is longer than the limit of {MAX_IMPORT_BYTES:,} bytes")
    return read_file(upload.read())


def read_file(data: bytes) -> ImportedFile:
    """A session file, an OpenAI chat-completions body, or a list of bodies: checked
    whole (RefusedFile at the first problem) and nothing stored."""
    if len(data) > MAX_IMPORT_BYTES:
        raise RefusedFile(f"The file is longer than the limit of {MAX_IMPORT_BYTES:,} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RefusedFile(
            f"The file is not UTF-8 text: byte {exc.start:,} cannot be read"
        ) from None
    try:
        value = parse_json(text, max_bytes=MAX_IMPORT_BYTES)
    except TextError as exc:
        raise RefusedFile(f"The file {exc}") from None
    if problem := find_invalid(value, nul=True):
        raise RefusedFile(f"The file holds {problem}, which cannot be kept")
    if isinstance(value, dict) and "format" in value:
        return ImportedFile("a Workbench session file", [_session(value)])
    if isinstance(value, dict) and "messages" in value:
        return ImportedFile("an OpenAI request body", [_from_body(value, "")])
    if isinstance(value, list) and value:
        if len(value) > MAX_BODIES:
            raise RefusedFile(
                f"The file holds {len(value):,} bodies; a list holds at most {MAX_BODIES:,}"
            )
        sessions = [_from_body(body, f"[{i}]") for i, body in enumerate(value)]
        return ImportedFile(f"a list of {len(value)} OpenAI request bodies", sessions)
    raise RefusedFile(
        f"The file holds {_kind(value)}: neither a Workbench session file (an object with "
        '"format"), nor an OpenAI chat-completions request body (an object with "messages"), '
        "nor a list of such bodies"
    )


def _session(data: dict[str, Any]) -> ImportedSession:
    _format(data["format"])
    columns_in = _list(_field(data, "columns", ""), "columns")
    if not columns_in:
        _refuse("columns", "must hold at least one column")
    if len(columns_in) > MAX_COLUMNS:
        _refuse("columns", f"holds {len(columns_in)} columns; a session has at most {MAX_COLUMNS}")
    stand_ins: dict[str, str] = {}
    columns = [_column(c, f"columns[{i}]", stand_ins) for i, c in enumerate(columns_in)]
    pending = _person_text(_field(data, "pending", "", ""), "pending")
    runs_in = _list(_field(data, "runs", "", []), "runs")
    runs = [_run(r, f"runs[{i}]", len(columns)) for i, r in enumerate(runs_in)]
    seen: dict[str, int] = {}
    for i, run in enumerate(runs):
        if run.key in seen:
            _refuse(f"runs[{i}].id", f"repeats the id of runs[{seen[run.key]}]")
        seen[run.key] = i
    title = _title(_field(data, "title", ""), columns, pending)
    return ImportedSession(title, columns, pending, runs, stand_ins)


def _format(value: Any) -> None:
    name = _string(value, "format")
    if name == FORMAT:
        return
    newer = _VERSIONED.fullmatch(name)
    if newer and int(newer.group(1)) > VERSION:
        raise RefusedFile(
            f"The file was made by a newer Workbench: format {name}; this one reads {FORMAT}. "
            "Update this Workbench to import it"
        )
    _refuse("format", f"“{shorten(name, 60)}” is not a format this Workbench reads ({FORMAT})")


def _title(value: Any, columns: list[dict[str, Any]], pending: str) -> str:
    """The title as Rename takes it; a blank one becomes the first user message."""
    title = _string(value, "title")
    if not title.strip():
        return default_title(columns, pending)
    form = RenameForm({"title": title})
    if not form.is_valid():
        _refuse("title", " ".join(form.errors["title"]).rstrip("."))
    return form.cleaned_data["title"]


def _column(value: Any, path: str, stand_ins: dict[str, str]) -> dict[str, Any]:
    data = _object(value, path)
    model_id = _string(_field(data, "model_id", path), f"{path}.model_id")
    system_prompt = _person_text(_field(data, "system_prompt", path, ""), f"{path}.system_prompt")
    system_role = _string(_field(data, "system_role", path, "system"), f"{path}.system_role")
    parameters = _object(_field(data, "parameters", path, {}), f"{path}.parameters")
    catalog = get_catalog()
    model = catalog.get(model_id)
    if model is None:  # as Import does: the closest model, with what it takes
        model = catalog.closest(model_id)
        parameters = {k: v for k, v in parameters.items() if accepts(model, k, v)}
        stand_ins[model_id] = model.id
    try:  # the one request builder checks the parameters and the system role
        body = build_body(
            model,
            catalog.provider_of(model),
            [{"role": "user", "content": ""}],
            parameters,
            "",
            system_role,
        )
    except RequestError as exc:
        name, reason = next(iter(exc.errors.items()))
        where = "system_role" if name == "system_role" else f"parameters.{shorten(name, 40)}"
        _refuse(f"{path}.{where}", reason.rstrip("."))
    messages_in = _list(_field(data, "messages", path, []), f"{path}.messages")
    ids: dict[str, int] = {}
    messages = [_message(m, f"{path}.messages[{i}]", ids) for i, m in enumerate(messages_in)]
    checked = {k: body[k] for k in parameters if k in body}  # as checked: 5.0 -> 5 for an integer
    return Column(model.id, system_prompt, checked, messages, system_role).as_json()  # type: ignore[arg-type]


def _message(value: Any, path: str, ids: dict[str, int]) -> dict[str, Any]:
    data = _object(value, path)
    role = _string(_field(data, "role", path), f"{path}.role")
    if role not in ROLES:
        _refuse(f"{path}.role", f"must be one of {', '.join(ROLES)}, not “{shorten(role, 40)}”")
    content = _string(_field(data, "content", path), f"{path}.content")
    if role != "assistant":  # what a person wrote; an answer is bounded by the file alone
        _person_text(content, f"{path}.content")
    status = _choice(_field(data, "status", path, Status.DONE), f"{path}.status", MESSAGE_STATUSES)
    message_id = _string(_field(data, "id", path, new_id()), f"{path}.id")
    if not _MESSAGE_ID.fullmatch(message_id):
        _refuse(f"{path}.id", "must be 1 to 64 letters, digits, - or _")
    if message_id in ids:
        _refuse(f"{path}.id", f"repeats the id of messages[{ids[message_id]}]")
    ids[message_id] = len(ids)
    out: dict[str, Any] = {
        "id": message_id,
        "role": role,
        "content": content,
        "status": str(status),
    }
    if "error" in data:
        out["error"] = _string(data["error"], f"{path}.error")
    if "figures" in data:
        out["figures"] = _figures(data["figures"], f"{path}.figures")
    if "run" in data:
        out["run"] = _string(data["run"], f"{path}.run")
    if "reasoning" in data and role == "assistant":
        out["reasoning"] = _string(data["reasoning"], f"{path}.reasoning")
    if "logprobs" in data and role == "assistant":
        out["logprobs"] = _logprobs(data["logprobs"], f"{path}.logprobs")
    for key in TOOL_FIELDS:
        if key in data:
            out[key] = data[key]
    if found := message_problem(out):
        _refuse(path, found)
    if "response_format" in data:  # the answer is shown as the JSON asked for
        try:
            out["response_format"] = check_value(RESPONSE_FORMAT, data["response_format"])
        except ParameterError as exc:
            _refuse(f"{path}.response_format", str(exc))
    return out


def _logprobs(value: Any, path: str) -> list[list[Any]]:
    """Token probabilities as an answer keeps them: [token, logprob, alternatives]."""
    if not isinstance(value, list) or len(value) > LOGPROB_TOKENS:
        _refuse(path, f"must be a list of at most {LOGPROB_TOKENS} tokens")
    return [_logprob(entry, f"{path}[{i}]", alternatives=True) for i, entry in enumerate(value)]


def _logprob(value: Any, path: str, alternatives: bool = False) -> list[Any]:
    shape = "[token, logprob, [[token, logprob], ...]]" if alternatives else "[token, logprob]"
    if not isinstance(value, list) or len(value) != (3 if alternatives else 2):
        _refuse(path, f"must be {shape}")
    token, logprob = _string(value[0], f"{path}[0]"), value[1]
    if isinstance(logprob, bool) or not isinstance(logprob, int | float) or not logprob <= 0:
        _refuse(f"{path}[1]", "must be a log probability: a number, 0 or less")
    if not alternatives:
        return [token, float(logprob)]
    others = value[2]
    if not isinstance(others, list) or len(others) > LOGPROB_ALTERNATIVES:
        _refuse(f"{path}[2]", f"must be a list of at most {LOGPROB_ALTERNATIVES} alternatives")
    return [token, float(logprob), [_logprob(o, f"{path}[2][{j}]") for j, o in enumerate(others)]]


def _run(value: Any, path: str, columns: int) -> ImportedRun:
    data = _object(value, path)
    key = _string(_field(data, "id", path), f"{path}.id")
    column = _field(data, "column", path, 0)
    if type(column) is not int or not 0 <= column < columns:
        _refuse(f"{path}.column", f"must be the number of a column, 0 to {columns - 1}")
    status = _choice(_field(data, "status", path), f"{path}.status", Status.values)
    error = _string(_field(data, "error", path, ""), f"{path}.error")
    if status == Status.STREAMING:  # nothing streams it here
        status, error = Status.INTERRUPTED, error or STILL_STREAMING
    return ImportedRun(
        key=key,
        column=column,
        status=status,
        body=_body(_field(data, "body", path), f"{path}.body"),
        text=_string(_field(data, "text", path, ""), f"{path}.text"),
        error=error,
        figures=_figures(_field(data, "figures", path, {}), f"{path}.figures"),
        started_at=_moment(_field(data, "started_at", path, None), f"{path}.started_at"),
        finished_at=_moment(_field(data, "finished_at", path, None), f"{path}.finished_at"),
    )


def _body(value: Any, path: str) -> dict[str, Any]:
    """A request body as sent: kept exactly, once it has the shape pages rely on."""
    body = _object(value, path)
    _string(_field(body, "model", path), f"{path}.model")
    for i, turn in enumerate(_list(_field(body, "messages", path), f"{path}.messages")):
        where = f"{path}.messages[{i}]"
        role = _string(_field(_object(turn, where), "role", where), f"{where}.role")
        if role not in ROLES:
            _refuse(
                f"{where}.role", f"must be one of {', '.join(ROLES)}, not “{shorten(role, 40)}”"
            )
        _string(_field(turn, "content", where), f"{where}.content")
    return body


def _figures(value: Any, path: str) -> dict[str, Any]:
    """A run's figures: the known ones, each of its type or null (others are left out)."""
    figures = _object(value, path)
    out = {}
    for name, types in FIGURES.items():
        if name not in figures:
            continue
        item = figures[name]
        if item is not None and (
            not isinstance(item, types) or (isinstance(item, bool) and bool not in types)
        ):
            _refuse(f"{path}.{name}", f"must be {_kind_of(types)} or null, not {_kind(item)}")
        out[name] = item
    return out


def _moment(value: Any, path: str) -> datetime | None:
    if value is None:
        return None
    text = _string(value, path)
    try:
        moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        _refuse(path, "must be a date and time such as 2026-01-31T12:00:00Z, or null")
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


def _from_body(value: Any, where: str) -> ImportedSession:
    """A chat-completions body, read as Import reads one (a model the catalog
    lacks is replaced by the closest)."""
    body = _object(value, where)
    model_id = _string(body.get("model", ""), _at(where, "model"))
    stand_in = get_catalog().stand_in(model_id, "")
    try:
        column, pending = Column.from_body(body, stand_in)
    except RequestError as exc:
        raise RefusedFile(
            "; ".join(f"{_at(where, k)}: {v.rstrip('.')}" for k, v in exc.errors.items())
        ) from None
    columns = [column.as_json()]
    stand_ins = {model_id: stand_in.id} if stand_in else {}
    return ImportedSession(default_title(columns, pending), columns, pending, [], stand_ins)


# -- checks -------------------------------------------------------------------

_MISSING = object()


def _at(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _refuse(path: str, reason: str) -> NoReturn:
    raise RefusedFile(f"{path}: {reason}" if path else reason)


def _field(data: dict[str, Any], name: str, path: str, default: Any = _MISSING) -> Any:
    if name in data:
        return data[name]
    if default is _MISSING:
        _refuse(_at(path, name), "is missing")
    return default


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    return {dict: "an object", list: "a list", str: "text"}.get(type(value), "a number")


def _kind_of(types: tuple[type, ...]) -> str:
    if bool in types:
        return "true or false"
    return "text" if str in types else "a whole number" if types == (int,) else "a number"


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        _refuse(path or "The file", f"must be an object, not {_kind(value)}")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        _refuse(path, f"must be a list, not {_kind(value)}")
    return value


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        _refuse(path, f"must be text, not {_kind(value)}")
    return value


def _person_text(value: Any, path: str) -> str:
    """Text a person wrote: as long as the workbench takes (NUL is refused for the whole file)."""
    text = _string(value, path)
    if len(text) > MAX_TEXT:
        _refuse(
            path, f"holds {len(text):,} characters; a message or prompt holds at most {MAX_TEXT:,}"
        )
    return text


def _choice(value: Any, path: str, choices: list[str]) -> str:
    text = _string(value, path)
    if text not in choices:
        _refuse(path, f"must be one of {', '.join(choices)}, not “{shorten(text, 40)}”")
    return text
