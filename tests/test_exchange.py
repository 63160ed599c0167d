"""Export and import of sessions as files (``library.exchange``): the format, the
round trip, refusals that name the problem, nothing partial, and who may do what."""

import copy
import html
import json
import re
import secrets
from pathlib import Path
from urllib.parse import unquote

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.library_helpers import browser_of, owner_of
from tests.relay_helpers import connect, run_frame, start_draft, until_finished
from tests.test_hostile_import import values as hostile_json
from workbench.chat import current
from workbench.chat.conversation import Column, Status
from workbench.chat.conversation import message as turn
from workbench.chat.markdown import RENDERER_VERSION
from workbench.chat.models import Draft, Run
from workbench.library import exchange
from workbench.library.models import Session, shorten
from workbench.library.owner import Owner
from workbench.limits import MAX_IMPORT_BYTES, MAX_TEXT

pytestmark = pytest.mark.django_db

FIGURES = {
    "ttft_ms": 12.5,
    "total_ms": 40.0,
    "prompt_tokens": 9,
    "completion_tokens": 3,
    "approximate": False,
    "tokens_per_second": 100.0,
    "finish_reason": "stop",
}


def make_session(
    owner: Owner,
    *,
    title: str = "Greetings",
    system: str = "Be brief.",
    turns: tuple[tuple[str, str], ...] = (("user", "Hi"), ("assistant", "Hello!")),
    pending: str = "And then?",
    answer_error: str = "",
    run_text: str | None = None,
    status: Status = Status.DONE,
) -> Session:
    """A saved session whose last answer was written by a run, as the relay leaves them."""
    column = Column("fake-chat", system, {"stream": True, "temperature": 0.5})
    for role, content in turns[:-1]:
        column.messages.append(turn(role, content))
    body = column.request_body("next")
    last_role, last_text = turns[-1]
    run_id = f"r{len(Run.objects.all()):011d}"
    extra = {"run": run_id, "figures": dict(FIGURES), "html": "<p>cached</p>", "html_version": 1}
    if answer_error:
        extra["error"] = answer_error
    column.messages.append(turn(last_role, last_text, status, **extra))
    session = Session.objects.create(
        title=title, columns=[column.as_json()], pending=pending, **owner.fields
    )
    Run.objects.create(
        id=run_id,
        session=session,
        status=status,
        body=body,
        text=last_text if run_text is None else run_text,
        error=answer_error,
        figures=dict(FIGURES),
    )
    return session


def export(client, session: Session) -> dict:
    r = client.get(f"/library/{session.pk}/export")
    assert r.status_code == 200
    return json.loads(r.content.decode("utf-8"))


def upload(client, data: bytes | str | dict | list, name: str = "session.json", **kwargs):
    if isinstance(data, dict | list):
        data = json.dumps(data, ensure_ascii=False)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    file = SimpleUploadedFile(name, data, content_type="application/json")
    return client.post("/library/import", {"file": file}, **kwargs)


def rows() -> tuple[int, int]:
    return Session.objects.count(), Run.objects.count()


def imported_one(client, data) -> Session:
    before = set(Session.objects.values_list("pk", flat=True))
    r = upload(client, data)
    assert r.status_code == 302, r.content.decode()[-2000:]
    [new] = Session.objects.exclude(pk__in=before)
    return new


def refusal(r) -> str:
    found = re.search(r'id="import-error" role="alert">([^<]*)<', r.content.decode())
    assert found, r.content.decode()[-2000:]
    return html.unescape(found.group(1))


def library_page(client) -> str:
    return html.unescape(client.get("/library").content.decode())


# -- export -------------------------------------------------------------------


def test_export_is_a_versioned_json_download_without_render_caches(client):
    session = make_session(owner_of(client), title="Greetings: “hi” / 你好")
    r = client.get(f"/library/{session.pk}/export")
    assert r["Content-Type"] == "application/json; charset=utf-8"
    disposition = r["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "greetings-hi-你好.json" in unquote(disposition)
    assert "private" in r["Cache-Control"] or "no-store" in r["Cache-Control"]
    data = json.loads(r.content)
    assert list(data) == ["format", "title", "exported_at", "columns", "pending", "runs"]
    assert data["format"] == "workbench.session/1" and data["title"] == session.title
    assert data["pending"] == "And then?"
    [column] = data["columns"]
    assert column["model_id"] == "fake-chat" and column["system_prompt"] == "Be brief."
    assert column["parameters"] == {"stream": True, "temperature": 0.5}
    question, answer = column["messages"]
    assert question == {
        "id": question["id"],
        "role": "user",
        "content": "Hi",
        "status": "done",
    }
    assert "html" not in answer and "html_version" not in answer
    assert answer["figures"] == FIGURES and answer["run"] == data["runs"][0]["id"]
    [run] = data["runs"]
    assert list(run) == [
        "id",
        "column",
        "status",
        "body",
        "text",
        "error",
        "figures",
        "started_at",
        "finished_at",
    ]
    assert run["body"]["messages"][0] == {"role": "system", "content": "Be brief."}
    assert run["started_at"].endswith("Z") and run["finished_at"] is None


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("../../etc/passwd", "etcpasswd.json"),
        ('a"b\r\nX-Evil: 1', "ab-x-evil-1.json"),
        ("\u202eexe.txt", "exetxt.json"),
        ("   ", "session.json"),
        ("x" * 200, "x" * 60 + ".json"),
    ],
)
def test_the_file_name_comes_from_the_title_safely(client, title, name):
    session = make_session(owner_of(client), title=title)
    disposition = client.get(f"/library/{session.pk}/export")["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    assert disposition == f'attachment; filename="{name}"'


def test_export_links_on_the_library_and_the_session_page(client):
    session = make_session(owner_of(client), title="Linked")
    link = f'href="/library/{session.pk}/export" download'
    assert link in client.get("/library").content.decode()
    assert link in client.get(f"/library/{session.pk}").content.decode()


# -- round trip ---------------------------------------------------------------

HOSTILE_TEXTS = [
    "",
    " ",
    "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "{{ request }}{% csrf_token %}",
    '{"format": "workbench.session/2", "columns": []}',
    '"}], "runs": [{"id": "x"}]',
    "\\ud83d \\u0000 literally",
    "مرحبا بالعالم \u202eevil\u202c שלום",
    "e\u0301\u0302\u0303\u0304 Z\u0351\u0352\u0353",
    "😀👩‍👩‍👧‍👦🏳️‍🌈 𝕏𝔸 \U0010fffd",
    "\ufeffBOM \u2028 line \u2029 para \r\n\t\x0b\x0c\x1c",
    "\ufffe\uffff",
    "x" * 5000,
]
text = st.one_of(
    st.sampled_from(HOSTILE_TEXTS),
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40),
)
roles = st.sampled_from(["system", "developer", "user", "assistant"])
statuses = st.sampled_from([Status.DONE, Status.STOPPED, Status.INTERRUPTED, Status.ERROR])


def equal_modulo_run_ids(original: Session, imported: Session) -> None:
    """Equal sessions; runs compared by what they hold, their ids differing by design."""
    assert imported.title == original.title and imported.pending == original.pending
    old_runs = {r.id: r for r in original.runs.all()}
    new_runs = {r.id: r for r in imported.runs.all()}
    assert not set(old_runs) & set(new_runs)
    renamed = {}
    for old_col, new_col in zip(original.columns, imported.columns, strict=True):
        old_msgs, new_msgs = old_col["messages"], new_col["messages"]
        assert len(old_msgs) == len(new_msgs)
        for old, new in zip(old_msgs, new_msgs, strict=True):
            if "run" in old:
                renamed[old["run"]] = new["run"]
            kept = {k: v for k, v in old.items() if k not in ("run", "html", "html_version")}
            assert {k: v for k, v in new.items() if k != "run"} == kept
        assert {**new_col, "messages": []} == {**old_col, "messages": []}

    def held(run: Run) -> tuple:
        return (
            run.column,
            run.status,
            run.body,
            run.text,
            run.error,
            run.figures,
            run.started_at,
            run.finished_at,
        )

    assert sorted(map(held, new_runs.values()), key=repr) == sorted(
        map(held, old_runs.values()), key=repr
    )
    for old_id, new_id in renamed.items():
        assert held(new_runs[new_id]) == held(old_runs[old_id])


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    title=text,
    system=text,
    turns=st.lists(st.tuples(roles, text), min_size=1, max_size=4),
    pending=text,
    error=text,
    run_text=text,
    status=statuses,
)
def test_export_then_import_gives_an_equal_session(
    client, title, system, turns, pending, error, run_text, status
):
    original = make_session(
        owner_of(client),
        title=shorten(title, 200) if title.strip() else "Untitled session",
        system=system,
        turns=tuple(turns),
        pending=pending,
        answer_error=error,
        run_text=run_text,
        status=status,
    )
    exported = export(client, original)
    imported = imported_one(client, exported)
    equal_modulo_run_ids(original, imported)
    assert imported.saved and Owner(browser_of(client)).owns(imported)
    assert client.get(f"/library/{imported.pk}").status_code == 200


def test_the_longest_texts_the_workbench_takes_round_trip(client):
    longest = "é" * MAX_TEXT
    original = make_session(
        owner_of(client), system=longest, turns=(("user", longest), ("assistant", "ok"))
    )
    equal_modulo_run_ids(original, imported_one(client, export(client, original)))


def test_a_long_answer_round_trips_though_longer_than_a_person_may_type(client):
    answer = "<p>&" * (MAX_TEXT // 2)
    original = make_session(owner_of(client), turns=(("user", "Go on"), ("assistant", answer)))
    equal_modulo_run_ids(original, imported_one(client, export(client, original)))


def test_imported_runs_have_new_ids_so_a_file_cannot_overwrite_a_run(client):
    victim = make_session(owner_of(Client()), title="Someone else's")
    victim_run = victim.runs.get()
    data = export(client, make_session(owner_of(client)))
    data["runs"][0]["id"] = victim_run.id
    data["columns"][0]["messages"][-1]["run"] = victim_run.id
    data["runs"][0]["text"] = "overwritten?"
    imported = imported_one(client, data)
    victim_run.refresh_from_db()
    assert victim_run.session_id == victim.pk and victim_run.text == "Hello!"
    [new_run] = imported.runs.all()
    assert new_run.id != victim_run.id and new_run.text == "overwritten?"
    assert imported.columns[0]["messages"][-1]["run"] == new_run.id


def test_a_cached_rendering_in_a_file_is_never_trusted(client):
    data = export(client, make_session(owner_of(client)))
    answer = data["columns"][0]["messages"][-1]
    answer.update(html="<script>alert(1)</script>", html_version=RENDERER_VERSION)
    answer["content"] = "<b>bold</b>"
    imported = imported_one(client, data)
    stored = imported.columns[0]["messages"][-1]
    assert "html" not in stored and "html_version" not in stored
    page = client.get(f"/library/{imported.pk}").content.decode()
    assert "<script>alert(1)" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page


def test_unknown_fields_are_ignored_and_a_run_the_file_lacks_is_unlinked(client):
    data = export(client, make_session(owner_of(client)))
    data["comment"] = "from a later minor writer"
    data["columns"][0]["messages"][-1]["run"] = "not-in-this-file"
    data["runs"][0]["figures"]["joules"] = 3
    imported = imported_one(client, data)
    assert "run" not in imported.columns[0]["messages"][-1]
    assert "joules" not in imported.runs.get().figures


def test_a_run_streaming_when_exported_is_imported_as_interrupted(client):
    data = export(client, make_session(owner_of(client)))
    data["runs"][0]["status"] = "streaming"
    run = imported_one(client, data).runs.get()
    assert run.status == Status.INTERRUPTED and run.error == exchange.STILL_STREAMING
    assert not run.is_live


def test_an_imported_session_opens_and_its_runs_show_code_and_restore(client):
    data = export(client, make_session(owner_of(client)))
    data["runs"][0]["body"]["tools"] = [{"type": "function", "function": {"name": "f'\"`${x}"}}]
    imported = imported_one(client, data)
    run = imported.runs.get()
    assert client.get(f"/library/runs/{run.pk}").status_code == 200
    assert client.post(f"/library/runs/{run.pk}/restore").status_code == 302
    assert client.post(f"/library/{imported.pk}/open").status_code == 302
    assert Draft.objects.get(browser=browser_of(client)).session_id == imported.pk
    page = client.get("/")
    assert page.status_code == 200 and "Be brief." in page.content.decode()


def test_a_model_the_catalog_lacks_is_replaced_by_the_closest_and_said(client):
    data = export(client, make_session(owner_of(client)))
    data["columns"][0]["model_id"] = "fake-chat-2099"
    data["columns"][0]["parameters"]["top_k"] = 5  # the stand-in does not take it
    assert upload(client, data).status_code == 302
    said = library_page(client)
    assert "“fake-chat-2099” is not in this Workbench's catalog: Fake Chat (fake-chat)" in said
    column = Session.objects.latest("created_at").columns[0]
    assert column["model_id"] == "fake-chat" and "top_k" not in column["parameters"]


# -- refusals -----------------------------------------------------------------


def valid() -> dict:
    column = Column("fake-chat", "Be brief.", {"temperature": 0.5})
    column.messages = [turn("user", "Hi"), turn("assistant", "Hello!", run="r1")]
    body = column.request_body()
    return {
        "format": "workbench.session/1",
        "title": "T",
        "exported_at": "2026-01-01T00:00:00Z",
        "columns": [column.as_json()],
        "pending": "",
        "runs": [
            {
                "id": "r1",
                "column": 0,
                "status": "done",
                "body": body,
                "text": "Hello!",
                "error": "",
                "figures": dict(FIGURES),
                "started_at": "2026-01-01T00:00:00Z",
                "finished_at": None,
            }
        ],
    }


def changed(change) -> str:
    data = copy.deepcopy(valid())
    change(data)
    return json.dumps(data)  # lone surrogates and NUL as \u escapes


def message_3(data):
    data["columns"][0]["messages"] += [turn("user", "a"), turn("function", "b")]


BROKEN = [
    ("not json at all", "The file is not valid JSON at line 1, column 1: a value is missing"),
    ("", "The file is not valid JSON"),
    (b"\xff\xfe{}", "The file is not UTF-8 text: byte 0 cannot be read"),
    ("42", "The file holds a number: neither a Workbench session file"),
    ("[]", "The file holds a list: neither"),
    ('{"title": "x"}', "neither a Workbench session file (an object with"),
    ("[" * 101 + "]" * 101, "The file is nested deeper than 100 levels"),
    ('{"format": "workbench.session/1", "a": NaN}', "The file holds NaN"),
    (changed(lambda d: d.update(format=1)), "format: must be text, not a number"),
    (changed(lambda d: d.update(format="workbench.session/1.1")), "“workbench.session/1.1” is not"),
    (changed(lambda d: d.update(format="openai")), "format: “openai” is not a format"),
    (changed(lambda d: d.pop("columns")), "columns: is missing"),
    (changed(lambda d: d.pop("title")), "title: is missing"),
    (changed(lambda d: d.update(columns={})), "columns: must be a list, not an object"),
    (changed(lambda d: d.update(columns=[])), "columns: must hold at least one column"),
    (changed(lambda d: d.update(columns=[1])), "columns[0]: must be an object, not a number"),
    (changed(lambda d: d["columns"][0].pop("model_id")), "columns[0].model_id: is missing"),
    (changed(lambda d: d.update(title=["T"])), "title: must be text, not a list"),
    (changed(lambda d: d.update(title="x" * 201)), "title: Ensure this value has at most 200"),
    (changed(lambda d: d.update(pending=None)), "pending: must be text, not null"),
    (
        changed(message_3),
        "columns[0].messages[3].role: must be one of system, developer, user, assistant, "
        "tool, not “function”",
    ),
    (
        changed(lambda d: d["columns"][0]["messages"].append(turn("tool", "b"))),
        "columns[0].messages[2]: is a tool result without the tool_call_id of the call it answers",
    ),
    (
        changed(lambda d: d["columns"][0]["messages"][0].update(status="streaming")),
        "columns[0].messages[0].status: must be one of done, stopped, interrupted, error",
    ),
    (
        changed(lambda d: d["columns"][0]["messages"][0].update(status="finished")),
        "columns[0].messages[0].status: must be one of",
    ),
    (
        changed(lambda d: d["columns"][0]["messages"][1].pop("content")),
        "columns[0].messages[1].content: is missing",
    ),
    (
        changed(lambda d: d["columns"][0]["messages"][1].update(content={"t": 1})),
        "columns[0].messages[1].content: must be text, not an object",
    ),
    (
        changed(lambda d: d["columns"][0]["messages"][1].update(id="<a href=x>")),
        "columns[0].messages[1].id: must be 1 to 64 letters, digits, - or _",
    ),
    (
        changed(
            lambda d: d["columns"][0]["messages"][1].update(id=d["columns"][0]["messages"][0]["id"])
        ),
        "columns[0].messages[1].id: repeats the id of messages[0]",
    ),
    (
        changed(lambda d: d["columns"][0]["messages"][1].update(figures={"total_ms": "fast"})),
        "columns[0].messages[1].figures.total_ms: must be a number or null, not text",
    ),
    (
        changed(lambda d: d["runs"][0]["figures"].update(completion_tokens=True)),
        "runs[0].figures.completion_tokens: must be a whole number or null, not true or false",
    ),
    (
        changed(lambda d: d["columns"][0]["parameters"].update(temperature=3)),
        "columns[0].parameters.temperature: Temperature must be at most 2",
    ),
    (
        changed(lambda d: d["columns"][0]["parameters"].update(api_key="sk-x")),
        "columns[0].parameters.api_key: is not a parameter of Fake Chat",
    ),
    (
        changed(lambda d: d["columns"][0].update(system_role="root")),
        "columns[0].system_role: must be system or developer",
    ),
    (
        changed(lambda d: d["columns"][0].update(system_prompt="a\x00b")),
        "The file holds a null character (U+0000) at columns[0].system_prompt",
    ),
    (
        changed(lambda d: d["runs"][0]["body"].update({"k\x00": 1})),
        "The file holds a null character (U+0000) in a key of runs[0].body",
    ),
    (
        changed(lambda d: d.update(title="cut \ud83d")),
        "The file holds a lone surrogate \\ud83d at title",
    ),
    (
        changed(lambda d: d["columns"][0]["messages"][0].update(content="x" * (MAX_TEXT + 1))),
        "columns[0].messages[0].content: holds 200,001 characters; a message or prompt holds "
        "at most 200,000",
    ),
    (
        changed(lambda d: d.update(pending="x" * (MAX_TEXT + 1))),
        "pending: holds 200,001 characters",
    ),
    (changed(lambda d: d.update(runs={})), "runs: must be a list, not an object"),
    (changed(lambda d: d["runs"][0].pop("body")), "runs[0].body: is missing"),
    (changed(lambda d: d["runs"][0].pop("status")), "runs[0].status: is missing"),
    (changed(lambda d: d["runs"][0].update(status="ok")), "runs[0].status: must be one of"),
    (changed(lambda d: d["runs"][0].update(column=1)), "runs[0].column: must be the number of"),
    (changed(lambda d: d["runs"][0].update(column=True)), "runs[0].column: must be the number"),
    (changed(lambda d: d["runs"][0].update(body=[])), "runs[0].body: must be an object, not a"),
    (
        changed(lambda d: d["runs"][0]["body"]["messages"].append({"role": "x", "content": ""})),
        "runs[0].body.messages[3].role: must be one of",
    ),
    (
        changed(lambda d: d["runs"][0]["body"].update(model=None)),
        "runs[0].body.model: must be text, not null",
    ),
    (
        changed(lambda d: d["runs"][0].update(started_at="yesterday")),
        "runs[0].started_at: must be a date and time such as 2026-01-31T12:00:00Z",
    ),
    (
        changed(lambda d: d["runs"][0].update(finished_at="2026-02-30T00:00:00")),
        "runs[0].finished_at: must be a date and time",
    ),
    (changed(lambda d: d["runs"].append(d["runs"][0])), "runs[1].id: repeats the id of runs[0]"),
    (
        changed(lambda d: d.update(columns=d["columns"] * 17)),
        "columns: holds 17 columns; a session has at most 16",
    ),
]


@pytest.mark.parametrize(("data", "problem"), BROKEN)
def test_a_broken_file_is_refused_naming_the_problem_and_nothing_is_created(client, data, problem):
    make_session(owner_of(client))
    before = rows()
    r = upload(client, data, name="broken <file>.json")
    assert r.status_code == 422
    said = refusal(r)
    assert said.startswith("Nothing was imported from “broken <file>.json”: ")
    assert problem in said, said
    assert rows() == before
    assert 'aria-invalid="true"' in r.content.decode()


@pytest.mark.parametrize("version", ["workbench.session/2", "workbench.session/10"])
def test_a_file_of_a_newer_format_is_refused_saying_so(client, version):
    before = rows()
    r = upload(client, changed(lambda d: d.update(format=version)))
    assert r.status_code == 422
    assert (
        f"made by a newer Workbench: format {version}; this one reads workbench.session/1"
        in refusal(r)
    )
    assert rows() == before


def test_a_file_over_the_limit_is_refused_before_it_is_read(client, monkeypatch):
    read = []
    monkeypatch.setattr(exchange, "read_file", lambda data: read.append(data))
    r = upload(client, b" " * (MAX_IMPORT_BYTES + 1))
    assert r.status_code == 422 and not read
    assert "The file is longer than the limit of 10,485,760 bytes" in refusal(r)


def test_no_file_is_refused(client):
    r = client.post("/library/import", {})
    assert (
        r.status_code == 422
        and refusal(r) == "Nothing was imported: Choose a file to import first."
    )


def test_import_is_post_only(client):
    assert client.get("/library/import").status_code == 405


# -- hostile files: refused or imported whole, never a 500 -------------------

PATHS = [
    (),
    ("title",),
    ("pending",),
    ("columns",),
    ("columns", 0),
    ("columns", 0, "model_id"),
    ("columns", 0, "parameters"),
    ("columns", 0, "parameters", "stop"),
    ("columns", 0, "messages"),
    ("columns", 0, "messages", 0),
    ("columns", 0, "messages", 1, "content"),
    ("columns", 0, "messages", 1, "figures"),
    ("columns", 0, "messages", 1, "run"),
    ("runs", 0),
    ("runs", 0, "body"),
    ("runs", 0, "body", "messages"),
    ("runs", 0, "body", "stop"),
    ("runs", 0, "figures", "total_ms"),
    ("runs", 0, "started_at"),
]


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")  # long reprs
@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(path=st.sampled_from(PATHS), value=hostile_json)
def test_any_hostile_value_anywhere_is_refused_or_imported_whole(client, path, value):
    data = valid()
    if path:
        *parents, last = path
        target = data
        for step in parents:
            target = target[step]
        target[last] = "\x01PLACEHOLDER\x01"  # the value goes in as the JSON text it is
        text = json.dumps(data).replace('"\\u0001PLACEHOLDER\\u0001"', value)
    else:
        text = value
    before = rows()
    r = upload(client, text)
    assert r.status_code in (302, 422), r.status_code
    if r.status_code == 422:
        assert rows() == before and refusal(r)
        return
    session = Session.objects.latest("created_at")
    assert client.get(f"/library/{session.pk}").status_code == 200
    assert client.get("/library").status_code == 200
    for run in session.runs.all():
        assert client.get(f"/library/runs/{run.pk}").status_code == 200
    assert client.post(f"/library/{session.pk}/open").status_code == 302
    assert client.get("/").status_code == 200
    json.dumps(export(client, session))


# -- OpenAI request bodies ----------------------------------------------------


def test_an_openai_body_becomes_a_session_titled_by_its_first_user_message(client):
    body = {
        "model": "fake-chat",
        "messages": [
            {"role": "developer", "content": "Answer in French."},
            {"role": "user", "content": "  What is\n the capital of Italy?"},
            {"role": "assistant", "content": "Rome."},
            {"role": "user", "content": "And Spain?"},
        ],
        "temperature": 0.2,
    }
    r = upload(client, body)
    assert r.status_code == 302 and r["Location"] == "/library"
    session = Session.objects.get()
    assert session.title == "What is the capital of Italy?"
    assert Owner(browser_of(client)).owns(session) and session.saved
    column = session.column()
    assert column.system_prompt == "Answer in French." and column.system_role == "developer"
    assert [(m["role"], m["content"]) for m in column.messages] == [
        ("user", "  What is\n the capital of Italy?"),
        ("assistant", "Rome."),
    ]
    assert session.pending == "And Spain?" and column.parameters == {"temperature": 0.2}
    assert not session.runs.exists()
    said = "Imported “What is the capital of Italy?” from an OpenAI request body: 4 messages."
    assert said in library_page(client)


def test_a_list_of_bodies_becomes_one_session_each_first_on_top(client):
    bodies = [
        {"model": "gpt-9-imaginary", "messages": [{"role": "user", "content": f"Question {i}"}]}
        for i in range(3)
    ]
    r = upload(client, bodies)
    assert r.status_code == 302
    page = library_page(client)
    assert (
        "Imported 3 sessions from a list of 3 OpenAI request bodies: "
        "“Question 0”, “Question 1”, “Question 2”." in page
    )
    assert "“gpt-9-imaginary” is not in this Workbench's catalog" in page
    listed = page[page.index('class="session-list"') :]
    assert listed.index("Question 0") < listed.index("Question 1") < listed.index("Question 2")
    assert Session.objects.count() == 3


def test_a_list_with_one_bad_body_imports_none(client):
    make_session(owner_of(client))
    before = rows()
    good = {"model": "fake-chat", "messages": [{"role": "user", "content": "fine"}]}
    bad = {"model": "fake-chat", "messages": [{"role": "user", "content": "x" * (MAX_TEXT + 1)}]}
    r = upload(client, [good, good, bad, good])
    assert r.status_code == 422
    assert "[2].messages[0]: holds 200,001 characters" in refusal(r)
    assert rows() == before


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"model": "fake-chat", "messages": "hi"}, "messages: must be a list of {role, content}"),
        ([{"model": "fake-chat", "messages": []}], "[0].messages: Write a message first"),
        (["not a body"], "[0]: must be an object, not text"),
        ({"model": 5, "messages": []}, "model: must be text, not a number"),
        (
            {"model": "fake-chat", "messages": [{"role": "user", "content": "x"}], "top_k": 1},
            "top_k: is not a parameter of Fake Chat",
        ),
    ],
)
def test_a_bad_body_is_refused_naming_the_problem(client, data, problem):
    before = rows()
    r = upload(client, data)
    assert r.status_code == 422 and problem in refusal(r)
    assert rows() == before


# -- nothing secret -----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_an_export_of_runs_made_with_a_keyed_provider_holds_no_key(fake, monkeypatch):
    key = "sk-planted-" + secrets.token_hex(16)
    monkeypatch.setenv("FAKE_KEYED_API_KEY", key)
    fake.configure(content="an answer")
    draft = await start_draft("fake-keyed")
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame("a question", model="fake-keyed"))
    await until_finished(comm)
    await comm.send_to(text_data=run_frame("[fault=http_401] again", model="fake-keyed"))
    await until_finished(comm)
    await comm.disconnect()
    sent = fake.requests()
    assert [r["headers"]["authorization"] for r in sent] == [f"Bearer {key}"] * 2  # it was used
    session = await sync_to_async(Session.save_draft)(Owner(draft.browser))
    client = Client()
    client.cookies[current.COOKIE] = draft.browser
    r = await sync_to_async(client.get)(f"/library/{session.pk}/export")
    text = r.content.decode()
    data = json.loads(text)
    assert [run["status"] for run in data["runs"]] == ["done", "error"]
    assert "refused the request (401)" in data["runs"][1]["error"]
    assert key not in text and "sk-planted" not in text


def test_a_key_an_upstream_echoed_into_an_error_is_removed_from_the_export(client, monkeypatch):
    key = "sk-planted-" + secrets.token_hex(16)
    monkeypatch.setenv("FAKE_KEYED_API_KEY", key)
    echoed = f"Fake keyed refused the request (401): Incorrect API key provided: {key}."
    session = make_session(owner_of(client), answer_error=echoed, status=Status.ERROR)
    text = client.get(f"/library/{session.pk}/export").content.decode()
    assert key not in text
    assert "Incorrect API key provided: [an API key, removed]." in text


# -- who may do what ----------------------------------------------------------


def test_nobody_else_can_export_a_session(client, django_user_model):
    owner = django_user_model.objects.create_user("owner", password="pw-12345678")
    other = django_user_model.objects.create_user("other", password="pw-12345678")
    client.force_login(owner)
    mine = make_session(owner_of(client, owner.pk))
    browsers = make_session(owner_of(Client()))  # some browser's, no account
    assert client.get(f"/library/{mine.pk}/export").status_code == 200
    assert client.get(f"/library/{browsers.pk}/export").status_code == 404
    as_other = Client()
    as_other.force_login(other)
    logged_out = Client()
    for outsider in (as_other, logged_out):
        assert outsider.get(f"/library/{mine.pk}/export").status_code == 404
        assert outsider.get(f"/library/{browsers.pk}/export").status_code == 404
    assert client.get("/library/00000000-0000-0000-0000-000000000000/export").status_code == 404


def test_export_is_get_only(client):
    session = make_session(owner_of(client))
    assert client.post(f"/library/{session.pk}/export").status_code == 405


def test_import_creates_rows_owned_by_the_importer_only(client, django_user_model):
    user = django_user_model.objects.create_user("importer", password="pw-12345678")
    anonymous = Client()
    data = json.dumps(valid())
    assert upload(anonymous, data).status_code == 302
    client.force_login(user)
    assert upload(client, data).status_code == 302
    by_browser = Session.objects.get(user=None)
    by_user = Session.objects.get(user=user)
    assert by_browser.browser == browser_of(anonymous) and by_user.browser == ""
    assert Run.objects.filter(session=by_browser).count() == 1
    assert Run.objects.filter(session=by_user).count() == 1
    assert f"/library/{by_user.pk}" in client.get("/library").content.decode()
    assert client.get(f"/library/{by_browser.pk}").status_code == 404
    assert anonymous.get(f"/library/{by_user.pk}").status_code == 404


def test_import_needs_the_csrf_token():
    client = Client(enforce_csrf_checks=True)
    page = client.get("/library").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    before = rows()
    assert upload(client, valid()).status_code == 403
    assert rows() == before
    file = SimpleUploadedFile("s.json", json.dumps(valid()).encode(), "application/json")
    r = client.post("/library/import", {"file": file, "csrfmiddlewaretoken": token})
    assert r.status_code == 302 and rows() == (before[0] + 1, before[1] + 1)


def test_the_library_shows_the_import_form(client):
    page = client.get("/library").content.decode()
    assert 'enctype="multipart/form-data"' in page and 'action="/library/import"' in page
    assert '<label for="import-file">Import a session file</label>' in page


def test_the_readme_example_is_a_file_that_imports():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    example = re.search(r'```json\n(\{\n  "format": "workbench.session/1".*?)```', readme, re.S)
    read = exchange.read_file(example.group(1).encode())
    [session] = read.sessions
    assert session.title == "Capitals" and session.pending == "And of Spain?"
    assert session.columns[0]["model_id"] == "gpt-4.1-mini" and not session.stand_ins
    assert session.runs[0].key == session.columns[0]["messages"][1]["run"]


@override_settings(WORKBENCH_REQUIRE_LOGIN=True)
def test_with_login_required_anonymous_export_and_import_go_to_log_in(client, django_user_model):
    user = django_user_model.objects.create_user("owner", password="pw-12345678")
    session = make_session(owner_of(Client(), user.pk))
    before = rows()
    r = client.get(f"/library/{session.pk}/export")
    assert r.status_code == 302 and r.url.startswith("/accounts/login/")
    r = upload(client, valid())
    assert r.status_code == 302 and r.url.startswith("/accounts/login/")
    assert rows() == before
