"""Python that sends a chat request: ``requests``/``httpx`` or the OpenAI SDK.

Read with ``ast`` and never run: only literals count, and variables that
hold literals. Docs often print JSON inside Python (``"stream": false``), so
``true``, ``false`` and ``null`` are read as JSON reads them.
"""

import ast
from typing import Any

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

JSON_NAMES = {"true": True, "false": False, "null": None}
HTTP_CALLS = {"post", "request", "put", "patch"}  # requests.post, httpx.request("POST", ...)
SDK_SKIPPED = {"extra_headers", "extra_query", "timeout"}  # not part of the body


def dotted(node: ast.AST) -> str:
    """``client.chat.completions.create`` for that call's function; ``()`` for a call on the way."""
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            parts.append("()")
            node = node.func
        else:
            parts.append(node.id if isinstance(node, ast.Name) else "?")
            return ".".join(reversed(parts)).replace(".()", "()")


class PythonReader:
    def __init__(self, text: str, tree: ast.Module):
        self.text = text
        self.budget = Budget("Python code")
        self.names: dict[str, ast.expr] = {}
        self.resolving: set[str] = set()
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AnnAssign) and node.value:  # payload: dict = {...}
                targets = [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    self.names[target.id] = node.value
        self.calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]

    def read(self) -> Pasted:
        base_url, key = "", False
        for call in self.calls:
            if dotted(call.func).endswith("OpenAI"):  # OpenAI(), AsyncOpenAI(), AzureOpenAI()
                for kw in call.keywords:
                    if kw.arg == "base_url":
                        base_url = self.text_of(kw.value)
                    key = key or (kw.arg == "api_key" and is_key(self.text_of(kw.value)))
        for call in self.calls:
            name = dotted(call.func)
            if name.endswith("completions.create"):
                url = base_url.rstrip("/") + "/chat/completions" if base_url else ""
                return Pasted(self.sdk_body(call), "Python code (OpenAI SDK)", url, key)
            if name.rsplit(".", 1)[-1] in HTTP_CALLS and "." in name:
                return self.http_request(call, name, key)
        for name in BODY_NAMES:
            if name in self.names:
                body = body_of(self.value(self.names[name], name), name)
                return Pasted(body, f"Python code ({name} = ...)", base_url, key)
        raise UnreadableSnippet(
            "Found Python code, but no request in it: no requests.post(...) or httpx.post(...) "
            "with json=, and no client.chat.completions.create(...)."
        )

    def sdk_body(self, call: ast.Call) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for kw in call.keywords:
            if kw.arg in SDK_SKIPPED:
                continue
            if kw.arg is None or kw.arg == "extra_body":  # **kwargs, or fields the SDK passes on
                body.update(self.mapping(kw.value, kw.arg or "The **arguments"))
            else:
                body[kw.arg] = self.value(kw.value, f"The argument {kw.arg}")
        return body_of(body, "OpenAI SDK call")

    def http_request(self, call: ast.Call, name: str, key: bool) -> Pasted:
        args = {kw.arg: kw.value for kw in call.keywords if kw.arg}
        positional = call.args[1:] if name.endswith(".request") else call.args
        url = self.text_of(args.get("url") or (positional[0] if positional else None))
        headers = self.resolve(args.get("headers"))
        if isinstance(headers, ast.Dict):
            key = key or any(
                holds_key(self.text_of(k), self.text_of(v))
                for k, v in zip(headers.keys, headers.values, strict=True)
            )
        kind = f"Python code ({name})"
        if "json" in args:
            body = body_of(self.value(args["json"], "The json= argument"), "json= argument")
        elif "data" in args or "content" in args:
            body = self.dumped(args.get("data") or args["content"])
        else:
            raise UnreadableSnippet(
                f"Found {kind} to {short_url(url) or 'a URL'}, but no body (json= or data=)."
            )
        return Pasted(body, kind, url, key)

    def dumped(self, node: ast.expr) -> dict[str, Any]:
        """``data=json.dumps(payload)``, or data= holding JSON text."""
        node = self.resolve(node)
        if isinstance(node, ast.Call) and dotted(node.func).endswith("dumps") and node.args:
            return body_of(self.value(node.args[0], "The json.dumps argument"), "data= argument")
        value = self.value(node, "The data= argument")
        if not isinstance(value, str):
            raise UnreadableSnippet("The data= argument must be JSON text or json.dumps(...).")
        return json_body(value, "data= argument")

    def resolve(self, node: ast.expr | None) -> ast.expr | None:
        """What a variable was set to (its last assignment), or the node itself."""
        seen = set()
        while isinstance(node, ast.Name) and node.id in self.names and node.id not in seen:
            seen.add(node.id)
            node = self.names[node.id]
        return node

    def text_of(self, node: ast.expr | None) -> str:
        """A string the code spells out (a URL, a key); "" for anything computed."""
        node = self.resolve(node)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        return ""

    def mapping(self, node: ast.expr, what: str) -> dict[str, Any]:
        value = self.value(node, what)
        if not isinstance(value, dict):
            raise UnreadableSnippet(f"{what} must be a dictionary.")
        return value

    def value(self, node: ast.expr, what: str, depth: int = 0) -> Any:
        """The value of a literal, JSON-style names and variables included."""
        self.budget.spend(depth)
        deeper = depth + 1
        if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float | None):
            return node.value
        if isinstance(node, ast.Dict):
            out: dict[str, Any] = {}
            for k, v in zip(node.keys, node.values, strict=True):
                if k is None:  # {**other}
                    out.update(self.mapping(v, what))
                    continue
                name = self.value(k, what, deeper)
                if not isinstance(name, str):
                    raise UnreadableSnippet(f"{what} cannot be read: a key must be a string.")
                out[name] = self.value(v, what, deeper)
            return out
        if isinstance(node, ast.List | ast.Tuple):
            return [self.value(item, what, deeper) for item in node.elts]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            number = self.value(node.operand, what, deeper)
            if isinstance(number, int | float) and not isinstance(number, bool):
                return -number if isinstance(node.op, ast.USub) else number
        if isinstance(node, ast.Call) and dotted(node.func) == "dict" and not node.args:
            return {kw.arg: self.value(kw.value, what, deeper) for kw in node.keywords if kw.arg}
        if isinstance(node, ast.Name):
            if node.id in JSON_NAMES:
                return JSON_NAMES[node.id]
            if node.id in self.names and node.id not in self.resolving:
                self.resolving.add(node.id)
                try:
                    return self.value(self.names[node.id], what, deeper)
                finally:
                    self.resolving.discard(node.id)
        source = (ast.get_source_segment(self.text, node) or type(node).__name__)[:40]
        raise UnreadableSnippet(
            f"{what} holds {source!r}, which is not a plain value (only literals can be imported)."
        )


def from_python(text: str) -> Pasted:
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise UnreadableSnippet(
            f"The Python code does not parse: {exc.msg} (line {exc.lineno})."
        ) from None
    except (MemoryError, RecursionError):  # how CPython's parser says "nested too deep"
        raise UnreadableSnippet("The Python code is too deeply nested to read.") from None
    return PythonReader(text, tree).read()
