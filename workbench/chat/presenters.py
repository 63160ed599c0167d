"""What templates need from a draft: the panel, messages as HTML, the API tab.

Kept apart from the views because the relay renders the same fragments (a
finished answer, an error) from outside any request.
"""

import contextlib
import json
import math
from typing import Any

from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe

from workbench.catalog.entries import Model
from workbench.catalog.registry import get_catalog
from workbench.catalog.request import RequestError
from workbench.chat.conversation import Column, Message, Status
from workbench.chat.forms import PanelForm
from workbench.chat.markdown import RENDERER_VERSION, is_plain, render_answer
from workbench.chat.models import MAX_COLUMNS, Draft
from workbench.chat.standings import standings
from workbench.limits import MAX_FRAME_BYTES
from workbench.snippets.render import render_snippets
from workbench.text import TextError, parse_json


def model_groups() -> dict[str, list[tuple[Model, str | None]]]:
    """Models by provider name, each with the API key variable it lacks (or None)."""
    catalog = get_catalog()
    groups: dict[str, list[tuple[Model, str | None]]] = {}
    for m in catalog.models.values():
        provider = catalog.providers[m.provider]
        groups.setdefault(provider.name, []).append((m, provider.missing_key))
    return groups


def page_context(
    draft: Draft,
    form: PanelForm | None = None,
    errors: dict[str, str] | None = None,
    focus: int = 0,
    columns: list[Column] | None = None,
) -> dict[str, Any]:
    """Everything the workbench page shows of ``draft``; ``form`` holds what was
    typed; ``focus`` is the column the panel edits; ``columns``, when given,
    are shown instead of the draft's (a compare link's, not stored yet)."""
    columns = columns or [draft.column(i) for i in range(len(draft.columns))]
    focus = min(max(focus, 0), len(columns) - 1)
    column = columns[focus]
    form = form or PanelForm(column=column)
    basic, more = form.parameter_fields()
    live = draft.live_runs()
    texts = {run_id: run.text for run_id, run in live.items()}
    views = [column_view(i, c, live, texts) for i, c in enumerate(columns)]
    return {
        "draft": draft,
        "form": form,
        "model": form.chosen,
        "missing_key": get_catalog().provider_of(form.chosen).missing_key,
        "model_groups": model_groups(),
        "basic_fields": basic,
        "more_fields": more,
        "messages": views[0]["messages"],
        "columns": views,
        "compare": len(views) > 1,
        "standings": standings(columns),
        "can_compare": len(views) < MAX_COLUMNS,
        "focus": focus,
        "focus_number": focus + 1,
        "active_run": next(iter(live), None),
        "errors": errors or form.refusal(),
        "max_frame_bytes": MAX_FRAME_BYTES,
        **session_state(draft),
    }


def conversation_id(index: int) -> str:
    """The id of column ``index``'s conversation log (the first keeps ``conversation``)."""
    return "conversation" if index == 0 else f"conversation-{index + 1}"


def column_view(
    index: int, column: Column, live: dict[str, Any], texts: dict[str, str]
) -> dict[str, Any]:
    """One column of the page: its model, its messages and the run streaming in it."""
    streaming = next((m["run"] for m in column.streaming() if m.get("run") in live), None)
    return {
        "index": index,
        "number": index + 1,
        "model": column.model,
        "messages": message_views(column.messages, texts),
        "conversation_id": conversation_id(index),
        "active_run": streaming,
    }


def session_state(draft: Draft) -> dict[str, Any]:
    """Which saved session the draft edits, and whether it has changed since its Save."""
    session = draft.session if draft.session_id else None
    if session is None:
        return {"session": None, "unsaved": draft.has_work()}
    return {"session": session, "unsaved": not session.saved or session.differs_from(draft)}


def conversation_view(columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A stored conversation, read-only (a saved session, a shared revision): per
    column its model, system prompt, parameters and messages as the workbench shows them."""
    views = []
    for data in columns:
        column = Column.from_json(data)
        views.append(
            {
                "model": column.model,
                "column": column,
                # as they are sent (true, not Python's True)
                "parameters": {k: json.dumps(v) for k, v in column.parameters.items()},
                "messages": message_views(column.messages),
            }
        )
    return views


def answer_html(m: Message, live_text: str | None = None) -> SafeString:
    """An answer as rendered when its run ended; as plain text while it streams."""
    if m["status"] == Status.STREAMING:
        return escape(live_text or "")
    if m.get("html_version") == RENDERER_VERSION:
        return mark_safe(m["html"])  # rendered and sanitised by render_answer
    return render_answer(m["content"], m.get("response_format"))


def token_view(logprobs: list[list[Any]]) -> list[dict[str, Any]]:
    """An answer's tokens for the shaded view: each with a shade from 0 (unlikely) to
    4 (near certain) and what it says on hover or focus: its probability and the
    likeliest alternatives."""

    def percent(logprob: float) -> str:
        return f"{math.exp(logprob) * 100:.1f} %"

    tokens = []
    for text, logprob, alternatives in logprobs:
        says = f"{text!r}: {percent(logprob)}"
        if others := ", ".join(f"{a!r} {percent(lp)}" for a, lp in alternatives if a != text):
            says += f"; instead: {others}"
        shade = sum(math.exp(logprob) >= bound for bound in (0.1, 0.3, 0.6, 0.9))
        tokens.append({"text": text, "shade": shade, "says": says})
    return tokens


PRETTY_ARGUMENTS = 10_000  # characters of a call's arguments shown indented, at most


def tool_call_views(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An answer's tool calls as shown: name, id and arguments (indented, if they
    are JSON; as the model wrote them, if not)."""
    views = []
    for call in calls:
        arguments = call["function"]["arguments"]
        if len(arguments) <= PRETTY_ARGUMENTS:  # indenting a long one could multiply it
            with contextlib.suppress(TextError):  # guarded: a model's text may be anything
                arguments = json.dumps(parse_json(arguments), indent=2, ensure_ascii=False)
        views.append({"id": call["id"], "name": call["function"]["name"], "arguments": arguments})
    return views


def message_views(messages: list[Message], live: dict[str, str] | None = None) -> list[dict]:
    """A conversation's messages as shown: a tool result names the call it answers,
    and a call already answered offers no second Add result."""
    names = {c["id"]: c["function"]["name"] for m in messages for c in m.get("tool_calls", [])}
    answered = {m.get("tool_call_id") for m in messages if m["role"] == "tool"}
    views = [message_view(i, m, live) for i, m in enumerate(messages)]
    for view in views:
        for call in view["calls"]:
            call["answered"] = call["id"] in answered
        if view["role"] == "tool":
            view["answers"] = names.get(view.get("tool_call_id", ""), "")
    return views


def message_view(index: int, m: Message, live: dict[str, str] | None = None) -> dict[str, Any]:
    if m["role"] == "assistant":
        html = answer_html(m, (live or {}).get(m.get("run", "")))
    else:
        html = mark_safe(linebreaks(m["content"], autoescape=True))
    streaming = m["status"] == Status.STREAMING
    badge = m["status"] in (Status.STOPPED, Status.INTERRUPTED)  # an answer cut short says so
    return {
        **m,
        "index": index,
        "number": index + 1,
        "html": html,
        "streaming": streaming,
        "badge": Status(m["status"]).label.lower() if badge else "",
        # The text as written, for "Copy message N" (static/js/copy.js); text too long
        # to render is shown as written, and is copied from the page.
        "source": not streaming and not is_plain(m["content"]),
        "tokens": token_view(m.get("logprobs") or []),
        "calls": tool_call_views(m.get("tool_calls") or []),
    }


def announcement(m: Message) -> str:
    """What the status region says when an answer's run ends: how it ended, not its text
    (the conversation itself is not a live region, see workbench.html)."""
    if m["status"] == Status.ERROR:
        return f"Answer failed: {m.get('error', '')}"
    tokens = (m.get("figures") or {}).get("completion_tokens")
    counted = f" ({tokens} token{'' if tokens == 1 else 's'})" if tokens is not None else ""
    ended = {Status.DONE: "finished", Status.STOPPED: "stopped"}.get(m["status"], "interrupted")
    return f"Answer {ended}{counted}"


def api_view(draft: Draft, focus: int = 0) -> dict[str, Any]:
    """The API tab: what Run would send now from the column ``focus``, as code in
    every language, or why nothing."""
    focus = min(max(focus, 0), len(draft.columns) - 1)
    named = {"api_column": focus + 1} if len(draft.columns) > 1 else {}
    try:
        body = draft.request_body(focus)
    except RequestError as exc:
        return {"problem": "; ".join(f"{k}: {v}" for k, v in exc.errors.items()), **named}
    return {"snippets": render_snippets(draft.column(focus).provider, body), **named}
