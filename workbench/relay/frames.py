"""The run's wire format: every frame the relay sends to a page.

Frames are htmx out-of-band swaps. Text frames are built by hand (one per
30 ms per run, so no template); the rest are templates in
``templates/relay/``. Tests and the benchmark read frames with the patterns
here rather than keeping their own.
"""

import re
from typing import Any

from django.template.loader import render_to_string
from django.utils.html import escape

from workbench.chat.conversation import Message
from workbench.chat.models import Refusal, RunStart
from workbench.chat.presenters import message_view

TEXT = re.compile(r'^<span hx-swap-oob="beforeend:#answer-(\w+)">(.*)</span>$', re.S)
SNAPSHOT = re.compile(
    r'^<div class="content" id="answer-(\w+)" hx-swap-oob="true">(.*)</div>$', re.S
)
STARTED = re.compile(r'<article class="message" id="run-(\w+)"')
FINISHED = re.compile(
    r'data-status="(done|stopped|interrupted|error)" hx-swap-oob="outerHTML:#run-(\w+)"'
)
NOTICE = re.compile(
    r'<p id="notice" class="notice" role="status" hx-swap-oob="true">(.*?)</p>', re.S
)


def text(run_id: str, piece: str) -> str:
    """More of an answer, appended to what the page shows."""
    return f'<span hx-swap-oob="beforeend:#answer-{run_id}">{escape(piece)}</span>'


def snapshot(run_id: str, so_far: str) -> str:
    """The whole answer so far, for a page that (re-)attaches to a streaming run."""
    return f'<div class="content" id="answer-{run_id}" hx-swap-oob="true">{escape(so_far)}</div>'


def started(start: RunStart) -> str:
    """The new turns (the user's and the streaming answer), Stop enabled, the box emptied."""
    ctx: dict[str, Any] = {
        "oob": True,
        "active_run": start.run_id,
        "new_messages": [message_view(i, m) for i, m in start.new],
        "removed": start.removed,
        "cleared_box": start.cleared_box,
        "draft": start.draft,
        "errors": {},
    }
    return render_to_string("relay/started.html", ctx)


def finished(run_id: str, index: int, answer: Message) -> str:
    """The answer, rendered once as Markdown, in place of its streaming card."""
    ctx = {"oob": True, "oob_target": f"#run-{run_id}", "m": message_view(index, answer)}
    return render_to_string("relay/finished.html", ctx)


def refused(refusal: Refusal) -> str:
    ctx = {"oob": True, "errors": refusal.errors, "notice": refusal.notice}
    return render_to_string("relay/refused.html", ctx)


def notice(message: str) -> str:
    return render_to_string("chat/workbench.html#notice", {"notice": message, "oob": True})
