"""workbench.text: invalid text is found, repaired or refused, never passed on."""

import re

import pytest

from workbench.text import (
    MAX_DEPTH,
    TextError,
    check_size,
    find_invalid,
    nesting_depth,
    parse_json,
    repair,
)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("cut emoji \ud83d", "a lone surrogate \\ud83d"),
        (
            {"messages": [{"content": "hi"}, {"content": "x\ude00"}]},
            "a lone surrogate \\ude00 at messages[1].content",
        ),
        ({"stop": ["ok", "\udfff"]}, "a lone surrogate \\udfff at stop[1]"),
        ({"a": {"\ud800": "x"}}, "a lone surrogate \\ud800 in a key of a"),
        ({"\ud800": 1}, "a lone surrogate \\ud800 in a key"),
        ([[[[1]]]], None),
        ("NUL \x00 and 😀 are text", None),
        ({"n": 10**5000, "f": float("nan"), "b": b"\xff"}, None),  # not text: not its job
    ],
)
def test_find_invalid_says_what_and_where(value, problem):
    assert find_invalid(value) == problem


def test_find_invalid_finds_nul_when_asked_for_a_value_stored_whole():
    assert find_invalid({"a": ["ok", "x\x00"]}, nul=True) == "a null character (U+0000) at a[1]"
    assert find_invalid({"k\x00": 1}, nul=True) == "a null character (U+0000) in a key"
    assert find_invalid({"a": "\x00\ud83d"}, nul=True) == "a lone surrogate \\ud83d at a"


def test_find_invalid_bounds_depth_without_recursing():
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    assert find_invalid(deep) == f"nesting deeper than {MAX_DEPTH} levels at {'[0]' * MAX_DEPTH}"
    assert find_invalid({"a": deep}, max_depth=3) == "nesting deeper than 3 levels at a[0][0]"


@pytest.mark.parametrize(
    ("text", "repaired"),
    [
        ("\ud83d" + "\ude00", "😀"),  # a pair split across two deltas, joined
        ("a\ud83db", "a\ufffdb"),
        ("\ude00\ud83d", "\ufffd\ufffd"),  # halves in the wrong order are no pair
        ("plain 😀 \x00", "plain 😀 \ufffd"),  # PostgreSQL stores no NUL
    ],
)
def test_repair_joins_pairs_and_replaces_lone_halves(text, repaired):
    assert repair(text) == repaired
    repair(text).encode("utf-8")


def test_nesting_depth_leaves_out_quoted_brackets():
    assert nesting_depth('{"a": [1, "[[[", {"b": "}\\"{"}]}') == 3
    assert nesting_depth("f(':(', \"((\", `[[`)", quotes="\"'`") == 1
    assert nesting_depth("]]] [") == 1  # stray closers do not hide openers


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('"\\ud83d"', "holds a lone surrogate \\ud83d"),
        ('{"a": ["\\ude00"]}', "holds a lone surrogate \\ude00 at a[0]"),
        ("[" * 90_000 + "]" * 90_000, f"is nested deeper than {MAX_DEPTH} levels"),
        ('{"a":' * 90_000 + "1" + "}" * 90_000, f"is nested deeper than {MAX_DEPTH} levels"),
        ("[NaN]", "holds NaN, which JSON has no place for"),
        ('{"t": -Infinity}', "holds -Infinity, which JSON has no place for"),
        ("1e999", "holds the number 1e999, too large to read"),
        ("9" * 20_000, "holds a number with 20,000 digits, too long to read"),
        ("[1,", "is not valid JSON at line 1, column 4: a value is missing or is not JSON"),
        ('{"a": 1 "b": 2}', "is not valid JSON at line 1, column 9: a comma is missing"),
        ('"' + "x" * 1_000_000 + '"', "is longer than the limit of 1,000,000 bytes"),
        ('"' + "é" * 500_000 + '"', "is longer than the limit of 1,000,000 bytes"),
    ],
)
def test_parse_json_refuses_with_one_error_type(text, message):
    with pytest.raises(TextError, match="^" + re.escape(message)):
        parse_json(text)


def test_parse_json_reads_what_json_allows():
    assert parse_json('{"a": "\\ud83d\\ude00\\u0000", "a": [1.5, -0, 9223372036854775807]}') == {
        "a": [1.5, 0, 2**63 - 1]  # duplicate keys: the last wins, as in json
    }
    assert parse_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None


def test_check_size_counts_bytes_and_brackets_outside_any_quotes():
    check_size("'" + "(" * 500 + "'", quotes="'")
    with pytest.raises(TextError, match="nested deeper than 2 levels"):
        check_size("a(b(c(d)))", max_depth=2)
    with pytest.raises(TextError, match="longer than the limit of 3 bytes"):
        check_size("éé", max_bytes=3)
