"""Tool calls as an upstream sends them, put together.

Streamed, a call arrives in pieces (``delta.tool_calls``): its first piece
names its ``index``, ``id`` and function ``name``, later pieces add to its
``arguments`` text. Not streamed, the message holds the calls whole
(``message.tool_calls``). Either way the answer keeps a list of
``{id, type: "function", function: {name, arguments}}``, the shape a request
sends back (catalog.tools.TOOL_CALLS). Read leniently: a piece of another
shape is skipped, not fatal.
"""

import json
from typing import Any

from workbench.limits import TOOL_ARGUMENTS, TOOL_CALLS
from workbench.text import repair


class ToolCalls:
    def __init__(self) -> None:
        self._calls: dict[int, dict[str, Any]] = {}  # by the upstream's index
        self._room = TOOL_ARGUMENTS  # characters of arguments still kept
        self.changed = False  # since the pages were last sent them

    def take(self, pieces: Any) -> bool:
        """Add a chunk's ``tool_calls`` (pieces, or whole calls); whether any was taken."""
        taken = False
        for position, piece in enumerate(pieces if isinstance(pieces, list) else []):
            if not isinstance(piece, dict):
                continue
            index = piece.get("index", position)
            if isinstance(index, bool) or not isinstance(index, int):
                continue
            call = self._calls.get(index)
            if call is None:
                if len(self._calls) >= TOOL_CALLS:
                    continue
                call = self._calls[index] = {"id": "", "name": "", "arguments": ""}
            function = piece.get("function") if isinstance(piece.get("function"), dict) else {}
            for key, value in (("id", piece.get("id")), ("name", function.get("name"))):
                if isinstance(value, str) and value:
                    call[key] = repair(value)
            arguments = function.get("arguments")
            if isinstance(arguments, dict):  # some servers send the object itself
                arguments = json.dumps(arguments, ensure_ascii=False)
            if isinstance(arguments, str) and arguments:
                kept = arguments[: self._room]
                self._room -= len(kept)
                call["arguments"] += repair(kept)
            taken = True
        self.changed = self.changed or taken
        return taken

    def calls(self) -> list[dict[str, Any]]:
        """The calls so far, in the upstream's order, as a request sends them back.
        A call whose id never came gets one (a tool result must name its call)."""
        return [
            {
                "id": call["id"] or f"call_{index}",
                "type": "function",
                "function": {"name": call["name"], "arguments": call["arguments"]},
            }
            for index, call in sorted(self._calls.items())
        ]

    def __bool__(self) -> bool:
        return bool(self._calls)
