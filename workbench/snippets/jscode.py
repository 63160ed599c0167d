"""JavaScript and TypeScript that send a chat request: ``fetch``, axios, the OpenAI SDK.

Parsed with tree-sitter's TypeScript grammar (a superset of the JavaScript
people paste) and never run: object literals count (unquoted keys, single
quotes, trailing commas), and variables that hold them. tree-sitter's parser
is written in C without recursion, and this module walks its tree with a
stack, so deep or long input cannot overflow anything.
"""

import math
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import tree_sitter_typescript
from tree_sitter import Language, Node, Parser

from workbench.snippets.pasted import (
    BODY_NAMES,
    Budget,
    Pasted,
    UnreadableSnippet,
    body_of,
    holds_key,
    is_key,
    json_body,
    short_url,
)
from workbench.text import MAX_DIGITS

WRAPPERS = {  # TypeScript's annotations and brackets around a value: the value inside
    "parenthesized_expression",
    "as_expression",
    "satisfies_expression",
    "non_null_expression",
}
IDENTIFIERS = ("identifier", "shorthand_property_identifier")
CONSTANTS = {"true": True, "false": False, "null": None}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_INTEGER = re.compile(r"\d+n?")


@cache
def parser() -> Parser:
    return Parser(Language(tree_sitter_typescript.language_typescript()))


def nodes(root: Node) -> Iterator[Node]:
    """Every named node under ``root``, in source order, without recursion."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.named_children))


def source(node: Node | None) -> str:
    return node.text.decode("utf-8", "surrogatepass") if node and node.text else ""


def callee(call: Node) -> str:
    """``openai.chat.completions.create``: the called name, without spaces or comments."""
    return re.sub(r"\s+|/\*.*?\*/|//[^\n]*", "", source(call.child_by_field_name("function")))


def arguments(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    return [a for a in args.named_children if a.type != "comment"] if args else []


class JavaScriptReader:
    def __init__(self, root: Node):
        self.budget = Budget("JavaScript")
        self.names: dict[str, Node] = {}
        self.resolving: set[str] = set()
        self.calls: list[Node] = []
        self.constructed: list[Node] = []
        for node in nodes(root):
            if node.type == "variable_declarator" and node.child_by_field_name("value"):
                self.names[source(node.child_by_field_name("name"))] = node.child_by_field_name(
                    "value"
                )
            elif node.type == "call_expression":
                self.calls.append(node)
            elif node.type == "new_expression":
                self.constructed.append(node)

    def read(self) -> Pasted:
        base_url, key = "", False
        for new in self.constructed:  # new OpenAI({ baseURL, apiKey })
            if source(new.child_by_field_name("constructor")).endswith("OpenAI"):
                options = self.options(new)
                base_url = self.text_of(options.get("baseURL"))
                key = key or is_key(self.text_of(options.get("apiKey")))
        for call in self.calls:
            name = callee(call)
            if name.endswith("completions.create"):
                url = base_url.rstrip("/") + "/chat/completions" if base_url else ""
                what = f"The argument of {name}"
                body = body_of(self.value(self.argument(call, 0, name), what), name)
                return Pasted(body, "JavaScript (OpenAI SDK)", url, key)
            if name in ("fetch", "window.fetch", "globalThis.fetch"):
                return self.fetch(call, key)
            if name.endswith(("axios.post", "axios.put")):
                url = self.text_of(self.argument(call, 0, name))
                body = self.dumped(self.argument(call, 1, name), name)
                return Pasted(body, f"JavaScript ({name})", url, key)
        for name in BODY_NAMES:
            if name in self.names:
                body = self.dumped(self.names[name], name)
                return Pasted(body, f"JavaScript (const {name} = ...)", base_url, key)
        raise UnreadableSnippet(
            "Found JavaScript, but no request in it: no fetch(url, { body }) and no "
            "openai.chat.completions.create({...})."
        )

    def fetch(self, call: Node, key: bool) -> Pasted:
        url = self.text_of(self.argument(call, 0, "fetch"))
        options = self.options(call, 1)
        headers = self.resolve(options.get("headers"))
        if headers is not None and headers.type == "object":
            key = key or any(holds_key(k, self.text_of(v)) for k, v in self.pairs(headers))
        if "body" not in options:
            raise UnreadableSnippet(
                f"Found a fetch to {short_url(url) or 'a URL'}, but no body in its options."
            )
        return Pasted(self.dumped(options["body"], "fetch body"), "JavaScript (fetch)", url, key)

    def argument(self, call: Node, index: int, name: str) -> Node:
        args = arguments(call)
        if len(args) <= index:
            raise UnreadableSnippet(f"Found a call to {name}, but not the request in it.")
        return args[index]

    def options(self, call: Node, index: int = 0) -> dict[str, Node]:
        """An options object's properties, by name (a ``{ body }`` shorthand names its variable)."""
        found = arguments(call)
        node = self.resolve(found[index]) if len(found) > index else None
        return dict(self.pairs(node)) if node is not None and node.type == "object" else {}

    def pairs(self, obj: Node) -> Iterator[tuple[str, Node]]:
        for child in obj.named_children:
            if child.type in ("pair", *IDENTIFIERS):
                yield self.pair(child)

    def pair(self, child: Node) -> tuple[str, Node]:
        """One property as (name, value node); ``{ model }`` is the variable model's value."""
        if child.type == "pair":
            return self.key(child.child_by_field_name("key")), child.child_by_field_name("value")
        return source(child), child

    def key(self, node: Node) -> str:
        if node.type in ("string", "number"):
            return str(self.value(node, "A key"))
        if node.type == "property_identifier":
            return source(node)
        raise UnreadableSnippet(f"The key {source(node)[:40]!r} is computed, not written out.")

    def dumped(self, node: Node | None, what: str) -> dict[str, Any]:
        """``JSON.stringify({...})``, or JSON text (a string or template literal)."""
        node = self.resolve(node)
        if node is not None and node.type == "call_expression" and callee(node) == "JSON.stringify":
            return body_of(self.value(self.argument(node, 0, "JSON.stringify"), what), what)
        value = self.value(node, f"The {what}")
        if isinstance(value, str):
            return json_body(value, f"JavaScript {what}")
        return body_of(value, what)

    def resolve(self, node: Node | None) -> Node | None:
        seen = set()
        while node is not None and node.type in (*IDENTIFIERS, *WRAPPERS):
            if node.type in WRAPPERS:
                node = node.named_children[0] if node.named_children else None
                continue
            name = source(node)
            if name not in self.names or name in seen:
                return node
            seen.add(name)
            node = self.names[name]
        return node

    def text_of(self, node: Node | None) -> str:
        node = self.resolve(node)
        if node is not None and node.type in ("string", "template_string"):
            try:
                return self.value(node, "A string")
            except UnreadableSnippet:  # a template with ${...} in it
                return ""
        return ""

    def value(self, node: Node | None, what: str, depth: int = 0) -> Any:
        """The value of a literal, with variables and TypeScript annotations looked through."""
        self.budget.spend(depth)
        deeper = depth + 1
        if node is None:
            raise UnreadableSnippet(f"{what} is missing a value.")
        kind = node.type
        if kind in CONSTANTS:
            return CONSTANTS[kind]
        elif kind in ("string", "template_string") and not any(
            c.type == "template_substitution" for c in node.named_children
        ):
            return text_value(node)
        elif kind == "number":
            return number(source(node))
        elif kind == "object":
            out: dict[str, Any] = {}
            for child in node.named_children:
                if child.type == "spread_element":
                    out.update(self.mapping(child.named_children[0], what, deeper))
                elif child.type in ("pair", *IDENTIFIERS):
                    name, value = self.pair(child)
                    out[name] = self.value(value, what, deeper)
                elif child.type != "comment":  # a method, a getter: code, not data
                    raise UnreadableSnippet(f"{what} holds code: {source(child)[:40]!r}.")
            return out
        elif kind == "array":
            items: list[Any] = []
            for child in node.named_children:
                if child.type == "spread_element":
                    items.extend(self.value(child.named_children[0], what, deeper))
                elif child.type != "comment":
                    items.append(self.value(child, what, deeper))
            return items
        elif kind == "unary_expression" and source(node)[:1] in "-+":
            operand = self.value(node.child_by_field_name("argument"), what, deeper)
            if isinstance(operand, int | float) and not isinstance(operand, bool):
                return -operand if source(node)[0] == "-" else operand
        elif kind in WRAPPERS and node.named_children:
            return self.value(node.named_children[0], what, deeper)
        elif kind in IDENTIFIERS and source(node) in self.names:
            name = source(node)
            if name not in self.resolving:
                self.resolving.add(name)
                try:
                    return self.value(self.names[name], what, deeper)
                finally:
                    self.resolving.discard(name)
        raise UnreadableSnippet(
            f"{what} holds {source(node)[:40]!r}, which is not a plain value "
            "(only literals can be imported)."
        )

    def mapping(self, node: Node, what: str, depth: int) -> dict[str, Any]:
        value = self.value(node, what, depth)
        if not isinstance(value, dict):
            raise UnreadableSnippet(f"{what} spreads {source(node)[:40]!r}, not an object.")
        return value


def text_value(node: Node) -> str:
    """A string or template literal's text, its escapes read (a \\uD83D\\uDE00 pair joined)."""
    parts = []
    for child in node.named_children:
        if child.type == "escape_sequence":
            parts.append(escape(source(child)))
        elif child.type == "string_fragment":
            parts.append(source(child))
    text = "".join(parts)
    if node.type == "template_string":  # its fragments are not separate nodes in every version
        text = source(node)[1:-1] if not node.named_children else text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def escape(sequence: str) -> str:
    """``\\n``, ``\\x41``, ``\\u00e9``, ``\\u{1F600}``; a line continuation is nothing."""
    letter = sequence[1]
    if letter in "\r\n\u2028\u2029":
        return ""
    if letter in "ux":
        return chr(int(sequence[2:].strip("{}"), 16))
    return _ESCAPES.get(letter, letter)


def number(text: str) -> int | float:
    digits = text.replace("_", "").lower()
    if len(digits) > MAX_DIGITS:
        raise UnreadableSnippet(f"The JavaScript holds a number with {len(digits):,} digits.")
    if _INTEGER.fullmatch(digits):
        return int(digits.rstrip("n"))
    if digits.startswith(("0x", "0o", "0b")):
        return int(digits.rstrip("n"), 0)
    value = float(digits)
    if not math.isfinite(value):
        raise UnreadableSnippet(f"The JavaScript holds the number {text[:20]}, too large to read.")
    return value


def from_javascript(text: str) -> Pasted:
    tree = parser().parse(text.encode("utf-8", "surrogatepass"))
    reader = JavaScriptReader(tree.root_node)
    try:
        return reader.read()
    except UnreadableSnippet:
        if tree.root_node.has_error:
            where = where_wrong(tree.root_node)
            raise UnreadableSnippet(f"The JavaScript does not parse {where}.") from None
        raise


def where_wrong(root: Node) -> str:
    bad = next((n for n in nodes(root) if n.is_error or n.is_missing), root)
    return f"near line {bad.start_point.row + 1}"
