"""The snippet generator: valid code that sends exactly the request body."""

import ast
import json
import shlex
from pathlib import Path

import pytest
from pygments.styles import get_style_by_name
from pygments.token import Token

from workbench.catalog.registry import get_catalog
from workbench.catalog.request import build_body, example_body
from workbench.snippets.generate import curl, javascript, openai_sdk, py_literal, python
from workbench.snippets.highlight import DARK, LIGHT, stylesheet

HOSTILE = "quote\" apostrophe' back\\slash\nnewline $HOME `id` ${x} </script> 🌊 שלום \x01\x7f"


def model_and_provider(model_id: str):
    catalog = get_catalog()
    model = catalog.get(model_id)
    return model, catalog.provider_of(model)


def curl_body(snippet: str) -> dict:
    words = shlex.split(snippet.replace("\\\n", " "))
    return json.loads(words[words.index("-d") + 1])


def python_payload(snippet: str) -> dict:
    tree = ast.parse(snippet)
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "payload":
            return ast.literal_eval(node.value)
    raise AssertionError("no payload in the snippet")


@pytest.mark.parametrize("model_id", ["gpt-4-1-2025-04-14", "gpt-4.1", "smollm2-135m-instruct"])
@pytest.mark.parametrize("level", ["minimal", "basic", "all"])
def test_model_page_examples_are_valid_and_agree(model_id, level):
    model, provider = model_and_provider(model_id)
    body = example_body(model, provider, level)
    assert curl_body(curl(provider, body)) == body
    snippet = python(provider, body)
    compile(snippet, "<python>", "exec")
    assert python_payload(snippet) == body
    assert "false" not in snippet.split("payload")[1] and "null" not in snippet


def test_examples_grow_with_level():
    model, provider = model_and_provider("gpt-4-1-2025-04-14")
    sizes = [len(example_body(model, provider, lvl)) for lvl in ("minimal", "basic", "all")]
    assert sizes[0] < sizes[1] < sizes[2]
    assert example_body(model, provider, "all")["stream"] is False


def test_python_uses_python_literals():
    assert py_literal({"a": True, "b": False, "c": None}) == (
        "{\n    'a': True,\n    'b': False,\n    'c': None,\n}"
    )


def test_hostile_text_survives_every_snippet():
    model, provider = model_and_provider("gpt-4-1-2025-04-14")
    body = build_body(model, provider, [{"role": "user", "content": HOSTILE}], {"stop": [HOSTILE]})
    assert curl_body(curl(provider, body)) == body
    assert python_payload(python(provider, body)) == body
    compile(openai_sdk(provider, body), "<sdk>", "exec")
    assert "$OXEN_API_KEY" in curl(provider, body)
    assert "os.environ['OXEN_API_KEY']" in python(provider, body)
    assert "process.env.OXEN_API_KEY" in javascript(provider, body)


def test_keyless_provider_has_no_authorization_header():
    model, provider = model_and_provider("smollm2-135m-instruct")
    body = example_body(model, provider, "minimal")
    assert "Authorization" not in curl(provider, body)
    assert "Authorization" not in python(provider, body)
    assert "Authorization" not in javascript(provider, body)


def test_streaming_snippets_read_the_stream():
    model, provider = model_and_provider("gpt-4-1-2025-04-14")
    body = build_body(model, provider, [{"role": "user", "content": "x"}], {"stream": True})
    assert curl(provider, body).startswith("curl -N ")
    assert "stream=True" in python(provider, body) and "iter_lines" in python(provider, body)
    assert "getReader" in javascript(provider, body)


def test_sdk_sends_unknown_fields_in_extra_body():
    model, provider = model_and_provider("smollm2-135m-instruct")
    body = build_body(model, provider, [{"role": "user", "content": "x"}], {"top_k": 5})
    snippet = openai_sdk(provider, body)
    assert "extra_body={\n        'top_k': 5,\n    }" in snippet


def test_pygments_css_is_the_generated_stylesheet():
    """The checked-in colours are the contrast-checked styles, regenerated with the code."""
    css = Path(__file__).resolve().parent.parent / "static" / "css" / "pygments.css"
    assert css.read_text() == stylesheet()


def _luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("name", [LIGHT, DARK])
def test_every_highlight_colour_meets_wcag_aa_on_its_background(name):
    """Code in answers and snippets may hold any token: each colour is checked, not
    only those a page under axe happens to show (whitespace has nothing to read)."""
    style = get_style_by_name(name)
    for token, rule in style:
        if not rule["color"] or token in Token.Text.Whitespace:
            continue
        back = "#" + (rule["bgcolor"] or style.background_color.lstrip("#"))
        light, dark = sorted([_luminance(rule["color"]), _luminance(back)], reverse=True)
        assert (light + 0.05) / (dark + 0.05) >= 4.5, (name, str(token), rule["color"], back)
