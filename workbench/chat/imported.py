"""What the page says after an Import: what loaded, and which model to use.

Import reloads the page, so these go through Django's messages and are
shown once, on the page that follows: the report as a status (not an
alert: nothing went wrong), and, for a model the catalog lacks, a question
beside the Model select, which already holds the closest model.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest

from workbench.chat.conversation import Column
from workbench.snippets.pasted import Pasted

MODEL_QUESTION = "model-question"  # the tag of the message that asks for a model


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@dataclass
class ImportReport:
    pasted: Pasted
    column: Column  # as loaded
    pending: str

    def loaded(self) -> str:
        """ "Loaded a cURL command for fake-chat: 3 messages, 2 parameters." and what to know."""
        turns = len(self.column.messages) + bool(self.column.system_prompt) + bool(self.pending)
        sentences = [
            f"Loaded {self.pasted.kind} for {self.column.model_id}: "
            f"{_count(turns, 'message')}, {_count(len(self.column.parameters), 'parameter')}."
        ]
        if not self.column.parameters.get("stream"):
            sentences.append("Stream is off, as the pasted request does not ask for it.")
        if left_out := self.left_out():
            sentences.append(
                f"Left out, as {self.column.model.display_name} does not take them as written: "
                f"{', '.join(left_out)}."
            )
        if self.pasted.key_ignored:
            sentences.append("An API key in the paste was ignored: keys are never kept.")
        return " ".join(sentences)

    def left_out(self) -> list[str]:
        body: dict[str, Any] = self.pasted.body
        ignored = {"model", "messages", "stream_options"}
        return [k for k in body if k not in ignored and k not in self.column.parameters]

    def model_question(self) -> str:
        asked = self.pasted.body.get("model")
        model = self.column.model
        named = f"The model {asked!r} is not in the catalog" if asked else "No model is named"
        return (
            f"{named}: which catalog model should Run use? {model.display_name} ({model.id}), "
            "the closest, is chosen under Model; keep it or pick another. To use the pasted "
            "model itself, add it to the catalog in the WORKBENCH_CONFIG file."
        )


def replaced_by_import(column: Column, pending: str, images: int = 0) -> str:
    """What an Import would replace, in words ("3 messages and the system prompt"; "" if
    nothing): Import asks before it replaces what is there."""
    parts = [_count(len(column.messages), "message")] if column.messages else []
    parts += ["the system prompt"] if column.system_prompt else []
    parts += ["the text in Message"] if pending else []
    parts += [_count(images, "attached image")] if images else []
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)


def import_notices(request: HttpRequest) -> dict[str, str]:
    """The page's ``notice`` and ``model_question`` from the action just made (an
    Import, opening a session), if any; several notices are read as one."""
    notices: dict[str, str] = {}
    for message in messages.get_messages(request):
        key = "model_question" if MODEL_QUESTION in message.tags else "notice"
        notices[key] = f"{notices[key]} {message}" if key in notices else str(message)
    return notices
