"""What templates need from a draft: the panel, messages as HTML, the API tab.

Kept apart from the views because the relay renders the same fragments (a
finished answer, an error) from outside any request.
"""

import json
from typing import Any

from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe

from workbench.catalog.entries import Model
from workbench.catalog.registry import get_catalog
from workbench.catalog.request import RequestError
from workbench.chat.conversation import Column, Message, Status
from workbench.chat.forms import PanelForm
from workbench.chat.markdown import RENDERER_VERSION, is_plain, render_answer
from workbench.chat.models import Draft
from workbench.limits import MAX_FRAME_BYTES
from workbench.snippets.render import render_snippets


def model_groups() -> dict[str, list[tuple[Model, str | None]]]:
    """Models by provider name, each with the API key variable it lacks (or None)."""
    catalog = get_catalog()
    groups: dict[str, list[tuple[Model, str | None]]] = {}
    for m in catalog.models.values():
        provider = catalog.providers[m.provider]
        groups.setdefault(provider.name, []).append((m, provider.missing_key))
    return groups


def page_context(
    draft: Draft, form: PanelForm | None = None, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    """Everything the workbench page shows of ``draft``; ``form`` holds what was typed."""
    column = draft.column()
    form = form or PanelForm(column=column)
    basic, more = form.parameter_fields()
    live = draft.live_runs()
    texts = {run_id: run.text for run_id, run in live.items()}
    return {
        "draft": draft,
        "form": form,
        "model": form.chosen,
        "missing_key": get_catalog().provider_of(form.chosen).missing_key,
        "model_groups": model_groups(),
        "basic_fields": basic,
        "more_fields": more,
        "messages": [message_view(i, m, texts) for i, m in enumerate(column.messages)],
        "active_run": next(iter(live), None),
        "errors": errors or form.refusal(),
        "max_frame_bytes": MAX_FRAME_BYTES,
        **session_state(draft),
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
                "messages": [message_view(i, m) for i, m in enumerate(column.messages)],
            }
        )
    return views


def answer_html(m: Message, live_text: str | None = None) -> SafeString:
    """An answer as rendered when its run ended; as plain text while it streams."""
    if m["status"] == Status.STREAMING:
        return escape(live_text or "")
    if m.get("html_version") == RENDERER_VERSION:
        return mark_safe(m["html"])  # rendered and sanitised by render_answer
    return render_answer(m["content"])


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


def api_view(draft: Draft) -> dict[str, Any]:
    """The API tab: what Run would send now, as code in every language, or why nothing."""
    try:
        body = draft.request_body()
    except RequestError as exc:
        return {"problem": "; ".join(f"{k}: {v}" for k, v in exc.errors.items())}
    return {"snippets": render_snippets(draft.column().provider, body)}
