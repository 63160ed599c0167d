"""Structured output: response_format in the schema, the panel, the body, Import and answers."""

import json

import pytest
from django.utils.datastructures import MultiValueDict

from workbench.catalog.registry import CatalogError, get_catalog, load_catalog
from workbench.catalog.request import RequestError
from workbench.catalog.schema import ParameterError, check_value
from workbench.catalog.structured import EXAMPLES, RESPONSE_FORMAT, check_answer, problem
from workbench.chat.conversation import Column, message
from workbench.chat.forms import PanelForm
from workbench.chat.markdown import render_answer
from workbench.library.exchange import RefusedFile, read_file
from workbench.snippets.importing import parse_pasted

PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}
FORMAT = {
    "type": "json_schema",
    "json_schema": {"name": "person", "strict": True, "schema": PERSON},
}


def test_models_whose_output_includes_json_take_response_format():
    catalog = get_catalog()
    for model_id in ("gpt-4.1", "gpt-4-1-2025-04-14", "smollm2-135m-instruct", "fake-chat"):
        assert dict(catalog.get(model_id).parameters())["response_format"] == RESPONSE_FORMAT
    assert "response_format" not in dict(catalog.get("fake-cut").parameters())


@pytest.mark.parametrize(
    "value",
    [
        {"type": "json_object"},
        FORMAT,
        *({"type": "json_schema", "json_schema": {"name": n, "schema": s}} for _, n, s in EXAMPLES),
    ],
)
def test_valid_formats_pass(value):
    assert check_value(RESPONSE_FORMAT, value) == value


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("json_object", "must be a JSON object"),
        ({"type": "xml"}, "'xml' is not one of ['json_object', 'json_schema'], at type"),
        ({"type": "json_schema"}, "'json_schema' is a required property"),
        ({"type": "json_object", "extra": 1}, "Additional properties are not allowed"),
        (
            {"type": "json_schema", "json_schema": {"name": "a b", "schema": PERSON}},
            "at json_schema.name",
        ),
        (
            {"type": "json_schema", "json_schema": {"name": "p", "schema": {"required": "name"}}},
            "'name' is not of type 'array', at json_schema.schema.required",
        ),
        (
            {
                "type": "json_schema",
                "json_schema": {"name": "p", "schema": {"properties": {"a": {"type": "int"}}}},
            },
            "'int' is not one of",
        ),
    ],
)
def test_invalid_formats_are_refused_saying_where(value, said):
    with pytest.raises(ParameterError) as caught:
        check_value(RESPONSE_FORMAT, value)
    assert said in str(caught.value)


def test_a_catalog_object_property_must_itself_be_json_schema(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        "[providers.p]\nname = 'P'\nbase_url = 'http://x/v1'\n"
        "[[models]]\nid = 'x'\nprovider = 'p'\ndisplay_name = 'X'\n"
        "[models.json_request_schema.properties.bias]\ntype = 'object'\nrequired = 'a'\n"
    )
    with pytest.raises(CatalogError, match="properties.bias': is not a JSON Schema"):
        load_catalog([path])


def test_the_request_body_carries_it_and_refuses_a_bad_one():
    column = Column("fake-chat", parameters={"response_format": FORMAT})
    assert column.request_body("Who?")["response_format"] == FORMAT
    column.parameters["response_format"] = {"type": "json_schema", "json_schema": {"name": "p"}}
    with pytest.raises(RequestError) as caught:
        column.request_body("Who?")
    assert "'schema' is a required property" in caught.value.errors["response_format"]
    bare = Column("fake-cut", parameters={"response_format": {"type": "json_object"}})
    with pytest.raises(RequestError, match="is not a parameter of Fake Cut"):
        bare.request_body("Who?")


def posted(**parts: str) -> MultiValueDict:
    data = {"model": "fake-chat", "param-response_format_strict-shown": "1"}
    data.update({f"param-response_format_{k}": v for k, v in parts.items()})
    return MultiValueDict({k: [v] for k, v in data.items()})


@pytest.mark.parametrize(
    ("parts", "value"),
    [
        ({"type": ""}, None),
        ({"type": "json_object", "schema": "not even JSON"}, {"type": "json_object"}),
        (
            {"type": "json_schema", "name": "person", "strict": "on", "schema": json.dumps(PERSON)},
            FORMAT,
        ),
        (
            {"type": "json_schema", "name": "p", "description": "Who", "schema": "{}"},
            {
                "type": "json_schema",
                "json_schema": {"name": "p", "description": "Who", "strict": False, "schema": {}},
            },
        ),
    ],
)
def test_the_panel_puts_the_parts_together(parts, value):
    panel = PanelForm(posted(**parts)).panel()
    assert panel.errors == {} and panel.parameters["response_format"] == value


@pytest.mark.parametrize(
    ("schema", "said"),
    [
        ("", "Write the schema (JSON), or start from an example."),
        ('{"type": "object"', "The schema is not valid JSON at line 1"),
        ('{"type": "strin"}', "Response format is not valid: 'strin' is not one of"),
    ],
)
def test_the_panel_refuses_a_bad_schema_beside_the_field(schema, said):
    panel = PanelForm(posted(type="json_schema", name="p", schema=schema)).panel()
    assert "response_format" not in panel.parameters  # the draft keeps its previous value
    assert panel.errors["response_format"].startswith(said)


def test_the_panel_shows_what_is_stored():
    form = PanelForm(column=Column("fake-chat", parameters={"response_format": FORMAT}))
    html = str(form["param-response_format"])
    assert '<option value="json_schema" selected>' in html
    assert 'value="person"' in html and "checked" in html
    assert "&quot;required&quot;: [" in html  # the schema, formatted, in its textarea


@pytest.mark.parametrize(
    "text",
    [
        "curl https://x/v1/chat/completions -d '{}'",
        "import requests\nrequests.post('https://x/v1/chat/completions', json={})",
        "await fetch('https://x/v1/chat/completions', {body: JSON.stringify({})})",
        "{}",
    ],
)
def test_import_reads_it_back(text):
    body = {
        "model": "fake-chat",
        "messages": [{"role": "user", "content": "Who?"}],
        "response_format": FORMAT,
    }
    literal = json.dumps(body)
    if text.startswith("import"):
        literal = literal.replace("true", "True")
    column, pending = Column.from_body(parse_pasted(text.replace("{}", literal, 1)).body)
    assert column.parameters == {"response_format": FORMAT}
    assert column.request_body(pending) == body


@pytest.mark.parametrize(
    ("text", "fmt", "verdict", "valid"),
    [
        ('{"name": "Ada", "age": 36}', FORMAT, "Valid against the schema", True),
        (
            '{"name": "Ada"}',
            FORMAT,
            "Not valid against the schema: 'age' is a required property.",
            False,
        ),
        ('{"name": "Ada", "age": "x"}', FORMAT, "'x' is not of type 'integer', at age", False),
        ("[1, 2]", {"type": "json_object"}, "Valid JSON", True),
        ("Sure! {", {"type": "json_object"}, "Not valid JSON: the answer is not valid JSON", False),
    ],
)
def test_an_answer_is_checked(text, fmt, verdict, valid):
    check = check_answer(text, fmt)
    assert verdict in check.verdict and check.valid is valid


def test_an_answer_asked_for_as_json_is_shown_formatted_and_escaped():
    html = render_answer('{"name": "<script>alert(1)</script>", "age": 3}', FORMAT)
    assert '<p class="json-check invalid">' not in html
    assert '<p class="json-check valid">Valid against the schema</p>' in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<span class="code-lang">JSON</span>' in html
    not_json = render_answer("**Sorry**, no JSON", {"type": "json_object"})
    assert 'class="json-check invalid"' in not_json and "<strong>Sorry</strong>" in not_json
    assert "json-check" not in render_answer('{"a": 1}')  # asked for nothing: Markdown


@pytest.mark.django_db
def test_the_format_is_kept_with_the_answer_through_a_session_file():
    answer = message("assistant", '{"name": "Ada", "age": 36}', response_format=FORMAT)
    column = Column("fake-chat", parameters={"response_format": FORMAT}, messages=[answer])
    data = {"format": "workbench.session/1", "title": "t", "columns": [column.as_json()]}
    kept = read_file(json.dumps(data).encode()).sessions[0].columns[0]
    assert kept["messages"][0]["response_format"] == FORMAT
    assert kept["parameters"] == {"response_format": FORMAT}
    data["columns"][0]["messages"][0]["response_format"] = {"type": "xml"}
    with pytest.raises(RefusedFile, match=r"messages\[0\]\.response_format: is not valid"):
        read_file(json.dumps(data).encode())


def test_a_pattern_that_backtracks_without_end_is_cut_short():
    """A hostile pattern (from a person or an imported file) must not tie up a worker."""
    schema = {"type": "object", "properties": {"s": {"type": "string", "pattern": "^(a|aa)+$"}}}
    answer = json.dumps({"s": "a" * 40 + "!"})
    asked = {"type": "json_schema", "json_schema": {"name": "n", "schema": schema}}
    check = check_answer(answer, asked)  # unguarded: 10⁸ steps of backtracking
    assert not check.valid and "took too long to check" in check.verdict
    keys = {"type": "object", "patternProperties": {"^(a|aa)+$": {"type": "integer"}}}
    assert "could not be checked" in problem(keys, {"a" * 40 + "!": 1})
    assert problem({"type": "string", "pattern": "^ab+$"}, "abbb") is None
    assert "does not match" in problem({"type": "string", "pattern": "^ab+$"}, "ac")
