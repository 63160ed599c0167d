"""The one request builder: exact values, refused values, and the message list."""

import math

import pytest

from workbench.catalog.registry import get_catalog
from workbench.catalog.request import RequestError, build_body
from workbench.catalog.schema import ParameterError, parse_form_value, standard_schema

USER = [{"role": "user", "content": "Hi"}]


def body(parameters, model_id="fake-chat", messages=USER, system=""):
    catalog = get_catalog()
    model = catalog.get(model_id)
    return build_body(model, catalog.provider_of(model), messages, parameters, system)


def test_zero_and_false_are_sent_exactly():
    b = body({"temperature": 0, "top_p": 0, "frequency_penalty": 0, "stream": False, "seed": 0})
    assert b["temperature"] == 0 and b["top_p"] == 0 and b["seed"] == 0
    assert b["frequency_penalty"] == 0
    assert b["stream"] is False
    assert "stream_options" not in b


def test_unset_parameters_are_left_to_the_provider():
    b = body({"temperature": None})
    assert b == {"model": "fake-chat", "messages": USER}


def test_order_model_messages_then_schema_order():
    b = body({"stream": True, "seed": 3, "temperature": 0.5})
    assert list(b) == ["model", "messages", "temperature", "seed", "stream", "stream_options"]
    assert b["stream_options"] == {"include_usage": True}


def test_bounds_are_inclusive():
    assert body({"temperature": 2, "top_p": 1, "presence_penalty": -2})["temperature"] == 2


@pytest.mark.parametrize(
    ("params", "field", "reason"),
    [
        ({"temperature": 2.01}, "temperature", "Temperature must be at most 2"),
        ({"temperature": -0.1}, "temperature", "Temperature must be at least 0"),
        ({"temperature": "hot"}, "temperature", "Temperature must be a number"),
        ({"temperature": True}, "temperature", "Temperature must be a number"),
        ({"temperature": math.nan}, "temperature", "must be a finite number"),
        ({"max_tokens": 1.5}, "max_tokens", "Max tokens must be a whole number"),
        ({"max_tokens": 0}, "max_tokens", "Max tokens must be at least 1"),
        ({"stream": "yes"}, "stream", "Stream must be true or false"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop", "Stop sequences takes at most 4 values"),
        ({"stop": "END"}, "stop", "must be a list of text values"),
        ({"top_k": 5}, "top_k", "is not a parameter of Fake Chat"),
    ],
)
def test_out_of_schema_values_are_refused_with_reason(params, field, reason):
    with pytest.raises(RequestError) as info:
        body(params)
    assert reason in info.value.errors[field]


def test_every_error_is_reported_at_once():
    with pytest.raises(RequestError) as info:
        body({"temperature": 9, "top_p": 9})
    assert set(info.value.errors) == {"temperature", "top_p"}


def test_system_prompt_goes_first_and_empty_conversation_is_refused():
    b = body({}, system="Be brief.")
    assert b["messages"][0] == {"role": "system", "content": "Be brief."}
    with pytest.raises(RequestError) as info:
        body({}, messages=[])
    assert "empty" in info.value.errors["messages"]


def test_bad_message_role_is_refused():
    with pytest.raises(RequestError) as info:
        body({}, messages=[{"role": "wizard", "content": "x"}])
    assert "messages[0]" in info.value.errors


def test_local_model_extras_are_accepted():
    b = body({"top_k": 0, "min_p": 0.1, "repeat_penalty": 1.1}, model_id="smollm2-135m-instruct")
    assert (b["top_k"], b["min_p"], b["repeat_penalty"]) == (0, 0.1, 1.1)


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("temperature", "0", 0),
        ("temperature", "0.70", 0.7),
        ("temperature", "  1 ", 1),
        ("temperature", "", None),
        ("max_tokens", "12", 12),
        ("max_tokens", "12.0", 12),
        ("stop", "END\n\nSTOP\n", ["END", "STOP"]),
        ("stop", "", None),
        ("seed", "-5", -5),
    ],
)
def test_form_text_becomes_typed_values(name, raw, expected):
    prop = standard_schema()["properties"][name]
    value = parse_form_value(prop, raw)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    ("name", "raw", "reason"),
    [
        ("temperature", "abc", "must be a number"),
        ("temperature", "inf", "must be a number"),
        ("temperature", "1e999", "finite"),
        ("max_tokens", "1.5", "whole number"),
        ("max_tokens", "ten", "whole number"),
        ("seed", str(2**64), "at most"),
    ],
)
def test_bad_form_text_is_refused(name, raw, reason):
    with pytest.raises(ParameterError, match=reason):
        parse_form_value(standard_schema()["properties"][name], raw)
