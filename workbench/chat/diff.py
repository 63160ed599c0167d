"""The difference between two answers, for Compare: word by word, or, when both
answers are JSON, line by line of their canonical form (keys sorted, indented),
so that key order and spacing are not reported as changes.

One rendering: everything is escaped, and only <ins>/<del> are added.
"""

import json
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Words, runs of spaces, and single other characters: a change of one word
# in a sentence marks that word, not the sentence.
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")
MAX_TOKENS = 20_000  # SequenceMatcher is quadratic at worst: long answers are cut


@dataclass
class Diff:
    html: SafeString
    as_json: bool  # compared as JSON (canonical lines), not as words
    added: int
    removed: int
    cut: bool  # an answer was longer than MAX_TOKENS pieces: only the start was compared


def _json(text: str) -> Any:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict | list) else None


def diff(first: str, second: str) -> Diff:
    a_json, b_json = _json(first.strip()), _json(second.strip())
    as_json = a_json is not None and b_json is not None
    if as_json:
        canonical = [
            json.dumps(v, indent=2, sort_keys=True, ensure_ascii=False) for v in (a_json, b_json)
        ]
        a, b = (c.splitlines(keepends=True) for c in canonical)
    else:
        a, b = _TOKENS.findall(first), _TOKENS.findall(second)
    cut = len(a) > MAX_TOKENS or len(b) > MAX_TOKENS
    a, b = a[:MAX_TOKENS], b[:MAX_TOKENS]
    parts: list[str] = []
    added = removed = 0
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(escape("".join(a[i1:i2])))
            continue
        if i2 > i1:
            removed += i2 - i1
            parts.append(_mark("del", "removed", a[i1:i2]))
        if j2 > j1:
            added += j2 - j1
            parts.append(_mark("ins", "added", b[j1:j2]))
    return Diff(mark_safe("".join(parts)), as_json, added, removed, cut)


def _mark(tag: str, said: str, pieces: list[str]) -> str:
    """A change, with its kind in words for screen readers (ins/del are not read out)."""
    hidden = f'<span class="visually-hidden">[{said}: </span>'
    return f'<{tag}>{hidden}{escape("".join(pieces))}<span class="visually-hidden">]</span></{tag}>'
