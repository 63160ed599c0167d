"""Snippets are exact by construction, proven by running them.

For generated form states (hostile text, 0/false values, every parameter
type), each snippet is executed for real against the fake upstream — cURL by
bash, Python by python, the SDK snippet with the real openai package,
JavaScript by node — and the upstream must receive exactly the body and
headers the relay sends for that state. Importing each snippet gives the
state back.
"""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT
from tests.testenv import WORK_DIR
from workbench.catalog.entries import Provider
from workbench.chat.conversation import Column, message
from workbench.relay.upstream import headers_for
from workbench.snippets.generate import LANGUAGES
from workbench.snippets.importing import parse_pasted

KEY = "sk-test-key-123"
BATCH = 20
PIECES = [
    '"',
    "'",
    "\\",
    "\n",
    "\r",
    "\t",
    "$",
    "`",
    "${x}",
    "$(id)",
    "</script>",
    "🌊",
    "שלום",
    "\x00",
    "\x01",
    "\x1b",
    "\x7f",
    "\u2028",
    "{",
    "}",
    "%s",
    "-d",
    " ",
    "a",
]

text = st.lists(
    st.one_of(st.sampled_from(PIECES), st.characters(exclude_categories=("Cs",))), max_size=10
).map("".join)
floats = st.floats(allow_nan=False, allow_infinity=False)
PARAMS = {
    "temperature": floats.filter(lambda v: 0 <= v <= 2) | st.sampled_from([0, 0.0, 2, 1]),
    "max_tokens": st.integers(1, 10**6),
    "top_p": st.floats(0, 1) | st.just(0),
    "frequency_penalty": st.floats(-2, 2),
    "presence_penalty": st.floats(-2, 2),
    "stop": st.lists(text, min_size=1, max_size=4),
    "seed": st.integers(-(2**63), 2**63 - 1) | st.just(0),
    "stream": st.booleans(),
    "response_format": st.just({"type": "json_object"})
    | st.builds(
        lambda name, strict, description, key, title: {
            "type": "json_schema",
            "json_schema": {
                "name": name,
                **strict,
                **description,
                "schema": {
                    "type": "object",
                    "title": title,
                    "properties": {key: {"type": "string"}, "age": {"type": "integer"}},
                    "required": [key, "age"],
                    "additionalProperties": False,
                },
            },
        },
        name=st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True),
        strict=st.fixed_dictionaries({}, optional={"strict": st.booleans()}),
        description=st.fixed_dictionaries({}, optional={"description": text}),
        key=text,
        title=text,
    ),
    "tools": st.lists(
        st.builds(
            lambda name, description, key: {
                "type": "function",
                "function": {
                    "name": name,
                    "description": description,
                    "parameters": {"type": "object", "properties": {key: {"type": "string"}}},
                },
            },
            name=st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True),
            description=text,
            key=text,
        ),
        min_size=1,
        max_size=2,
    ),
    "tool_choice": st.sampled_from(["none", "auto", "required"])
    | st.builds(
        lambda name: {"type": "function", "function": {"name": name}},
        st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True),
    ),
}


@dataclass
class State:
    model: str
    system: str
    messages: list[dict]
    pending: str
    params: dict

    def column(self) -> Column:
        turns = [message(**m) for m in self.messages]
        return Column(self.model, self.system, self.params, turns)

    def body(self) -> dict:
        return self.column().request_body(self.pending)


states = st.builds(
    State,
    model=st.sampled_from(["fake-chat", "fake-keyed"]),
    system=text,
    messages=st.lists(
        st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant"]), "content": text}),
        max_size=3,
    ),
    pending=text.filter(bool),
    params=st.fixed_dictionaries({}, optional=PARAMS),
)


def run_batch(language: str, snippets: list[str]) -> list[str]:
    env = {**os.environ, "FAKE_KEYED_API_KEY": KEY}
    path = WORK_DIR / f"batch-{language}"
    if language == "curl":
        path.write_text("".join(s + "\n" for s in snippets), encoding="utf-8")
        command = ["bash", str(path)]
    elif language == "javascript":
        path = path.with_suffix(".mjs")
        path.write_text(
            "".join(f"await (async () => {{\n{s}\n}})();\n" for s in snippets), encoding="utf-8"
        )
        command = ["node", str(path)]
    else:
        path.write_text(json.dumps(snippets), encoding="utf-8")
        command = [sys.executable, str(ROOT / "tests" / "snippet_runner.py"), str(path)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout) if language in ("python", "openai") else [done.stdout]


def send_and_import(fake_upstream, language: str, states: list[State]) -> list[tuple]:
    """Each state's snippet run against the fake upstream, which must get exactly the
    body the relay sends; then each snippet pasted into Import: (column, Message box)."""
    bodies = [s.body() for s in states]
    snippets = [
        LANGUAGES[language][2](s.column().provider, b) for s, b in zip(states, bodies, strict=True)
    ]
    fake_upstream.configure()
    run_batch(language, snippets)
    assert [r["body"] for r in fake_upstream.requests()] == bodies
    return [Column.from_body(parse_pasted(snippet).body) for snippet in snippets]


def expected_headers(column: Column, monkeypatch) -> dict[str, str]:
    """The headers the relay sends that a snippet must send too."""
    monkeypatch.setenv("FAKE_KEYED_API_KEY", KEY)
    headers = headers_for(column.provider)
    return {
        k.lower(): v for k, v in headers.items() if k.lower() in ("authorization", "content-type")
    }


@pytest.mark.parametrize("language", list(LANGUAGES))
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(batch=st.lists(states, min_size=BATCH, max_size=BATCH))
def test_snippets_send_exactly_what_the_relay_sends(fake_upstream, monkeypatch, language, batch):
    generate = LANGUAGES[language][2]
    columns = [state.column() for state in batch]
    bodies = [state.body() for state in batch]  # what the relay sends for this state
    snippets = [generate(c.provider, body) for c, body in zip(columns, bodies, strict=True)]
    fake_upstream.configure()
    outputs = run_batch(language, snippets)
    received = fake_upstream.requests()
    assert len(received) == len(batch)
    for column, body, got in zip(columns, bodies, received, strict=True):
        assert got["body"] == body
        sent = {k: v for k, v in got["headers"].items() if k in ("authorization", "content-type")}
        assert sent == expected_headers(column, monkeypatch)
    text = "".join(outputs)
    assert "SNIPPET FAILED" not in text
    if language != "curl":  # the answer is printed, streamed or not
        assert text.count("tok19") == len(batch)


@pytest.mark.parametrize("language", list(LANGUAGES))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(state=states)
def test_import_of_each_snippet_gives_the_state_back(language, state):
    # A NUL is sent exactly by every snippet (above), but Import refuses to keep one.
    assume(
        "\x00" not in state.system + state.pending + "".join(m["content"] for m in state.messages)
    )
    body = state.body()
    imported, pending = Column.from_body(
        parse_pasted(LANGUAGES[language][2](state.column().provider, body)).body
    )
    assert imported.model_id == state.model
    assert imported.system_prompt == state.system
    assert imported.request_messages() == state.messages
    assert pending == state.pending
    assert imported.parameters == state.params
    assert imported.request_body(pending) == body


PERSON = {
    "type": "json_schema",
    "json_schema": {
        "name": "person",
        "description": 'A person\'s "name" and `age` — ${x} $(id) \u2028 🌊',
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
            "required": ["name", "age"],
            "additionalProperties": False,
        },
    },
}


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_json_schema_request_is_sent_and_imported_exactly(fake_upstream, language):
    """Structured output in every snippet: sent as the relay sends it, and read back."""
    states = [
        State("fake-keyed", "Answer in JSON.", [], "Who?", {"response_format": PERSON}),
        State("fake-chat", "", [], "Any JSON", {"response_format": {"type": "json_object"}}),
    ]
    imports = send_and_import(fake_upstream, language, states)
    for state, (imported, pending) in zip(states, imports, strict=True):
        assert imported.parameters == state.params
        assert imported.request_body(pending) == state.body()


def tool_turns(arguments: str, result: str) -> list[dict]:
    """A call-only answer (no text: null content when sent) and its result, then an answer."""
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": arguments}}
    return [
        {"role": "user", "content": "Call f"},
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "content": result, "tool_call_id": "call_1"},
        {"role": "assistant", "content": "Done", "tool_calls": [{**call, "id": "call_2"}]},
        {"role": "tool", "content": "{}", "tool_call_id": "call_2"},
    ]


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "f",
            "description": "Quotes \" ' ` ${x} $(id) \u2028 🌊",
            "parameters": {"type": "object", "properties": {"a": {"type": "string"}}},
        },
    }
]


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_tools_calls_and_results_are_sent_and_imported_exactly(fake_upstream, language):
    """Tools, tool_choice, an answer's tool calls and a tool's result in every snippet:
    sent as the relay sends them, and read back by Import."""
    hostile = '{"a": "\'$(id)` \\n 🌊"}'
    states = [
        State("fake-keyed", "", tool_turns(hostile, "it's $HOME"), "", {"tools": TOOLS}),
        State(
            "fake-chat",
            "Use tools.",
            tool_turns("{}", 'x"y'),
            "and then?",
            {"tools": TOOLS, "tool_choice": {"type": "function", "function": {"name": "f"}}},
        ),
        State("fake-chat", "", tool_turns("", ""), "", {"tools": TOOLS, "tool_choice": "required"}),
    ]
    assert states[0].body()["messages"][1]["content"] is None  # as OpenAI sends a call-only answer
    imports = send_and_import(fake_upstream, language, states)
    for state, (imported, pending) in zip(states, imports, strict=True):
        assert imported.request_messages() == state.messages and pending == state.pending
        assert imported.parameters == state.params
        assert imported.request_body(pending) == state.body()


# A tiny PNG (one pixel) and an image given by URL, as content parts of user turns.
PIXEL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwA"
    "ChwGA60e6kgAAAABJRU5ErkJggg=="
)
PHOTO = "https://example.org/a%20cat.jpg?x=1&y='$(id)'"


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_image_content_parts_are_sent_and_imported_exactly(fake_upstream, language):
    """Images in every snippet: a data URL and an https URL, with and without text,
    sent as the relay sends them (content parts) and read back by Import."""
    pixel, photo = {"url": PIXEL, "name": ""}, {"url": PHOTO, "name": "", "detail": "low"}
    states = [
        State(
            "fake-chat",
            "Describe.",
            [
                {"role": "user", "content": 'What\'s "this"? ${x} 🌊', "images": [pixel]},
                {"role": "assistant", "content": "A pixel."},
                {"role": "user", "content": "", "images": [photo, pixel]},
            ],
            "",
            {"temperature": 0},
        ),
        State("fake-chat", "", [{"role": "user", "content": "a", "images": [photo]}], "b", {}),
    ]
    assert states[0].body()["messages"][1]["content"][1] == {
        "type": "image_url",
        "image_url": {"url": PIXEL},
    }
    imports = send_and_import(fake_upstream, language, states)
    for state, (imported, pending) in zip(states, imports, strict=True):
        assert imported.request_messages() == state.messages and pending == state.pending
        assert imported.request_body(pending) == state.body()


def test_json_body_imports_too():
    state = State(
        "fake-chat",
        "sys",
        [{"role": "assistant", "content": "a"}],
        "q",
        {"temperature": 0, "stream": False},
    )
    body = state.body()
    imported, pending = Column.from_body(parse_pasted(json.dumps(body)).body)
    assert imported.request_body(pending) == body


def test_runner_reports_a_failing_snippet(tmp_path: Path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(["raise RuntimeError('boom')", "print('ok')"]))
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "snippet_runner.py"), str(path)],
        capture_output=True,
        text=True,
    )
    outputs = json.loads(done.stdout)
    assert "SNIPPET FAILED" in outputs[0] and "boom" in outputs[0] and outputs[1] == "ok\n"


@pytest.mark.parametrize(
    "path", ["$(touch {marker})", ";touch {marker};", "&touch {marker}&", "a b`touch {marker}`"]
)
def test_curl_snippet_quotes_a_hostile_provider_url(fake_upstream, tmp_path, path):
    """Shell syntax in a provider's URL is sent as URL text, never run."""
    marker = tmp_path / "injected"
    base_url = f"{fake_upstream.url}/v1/{path.format(marker=marker)}"
    body = {"model": "fake-chat", "messages": [{"role": "user", "content": "hi"}]}
    fake_upstream.configure()
    snippet = LANGUAGES["curl"][2](Provider(id="odd", name="Odd", base_url=base_url), body)
    done = subprocess.run(["bash", "-c", snippet], capture_output=True, text=True, timeout=30)
    assert not marker.exists()
    received = [r["body"] for r in fake_upstream.requests()]
    if " " in path:  # curl refuses a URL with a space: a clean failure
        assert (done.returncode, received) == (3, [])
    else:
        assert (done.returncode, received) == (0, [body])
