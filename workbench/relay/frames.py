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
from django.utils.safestring import mark_safe

from workbench.chat.conversation import Message, failed_before_text
from workbench.chat.markdown import is_plain
from workbench.chat.models import Draft, Refusal, Run, RunStart
from workbench.chat.presenters import (
    announcement,
    conversation_id,
    image_views,
    message_view,
    page_context,
    tool_call_views,
)
from workbench.limits import OUT_CHUNK

TEXT = re.compile(r'^<span hx-swap-oob="beforeend:#answer-(\w+)">(.*)</span>$', re.S)
MORE = re.compile(r'^<span hx-swap-oob="beforeend:#content-(\w+)">(.*)</span>$', re.S)
SNAPSHOT = re.compile(
    r'^<div class="content" id="answer-(\w+)" hx-swap-oob="true">(.*)</div>$', re.S
)
STARTED = re.compile(r'<article class="message" id="run-(\w+)"')
# A run's last frame: its answer in place of the streaming card, or (failed before
# any text) the card deleted.
FINISHED = re.compile(
    r'data-status="(done|stopped|interrupted|error)" hx-swap-oob="(?:outerHTML|delete):#run-(\w+)"'
)
NOTICE = re.compile(
    r'<p id="notice" class="notice" role="status" hx-swap-oob="true">(.*?)</p>', re.S
)


def _appended(target: str, text: str) -> list[str]:
    """``text`` appended to the element ``target``, in frames of at most OUT_CHUNK
    characters (each at most 6 bytes once escaped), so no frame is too large."""
    pieces = (text[i : i + OUT_CHUNK] for i in range(0, len(text), OUT_CHUNK))
    return [f'<span hx-swap-oob="beforeend:#{target}">{escape(piece)}</span>' for piece in pieces]


def text(run_id: str, more: str) -> list[str]:
    """More of an answer, appended to what the page shows."""
    return _appended(f"answer-{run_id}", more)


def reasoning(run_id: str, more: str) -> list[str]:
    """More of a reasoning model's thinking, in the answer's folded Reasoning block."""
    return _appended(f"reasoning-{run_id}", more)


def tool_calls(run_id: str, calls: list[dict[str, Any]]) -> str:
    """The tool calls of a streaming answer so far, in place of those shown (a
    call's arguments grow piece by piece; the calls are few and short, so the
    block is sent whole, at most once per text frame)."""
    ctx = {"run": run_id, "streaming": True, "calls": tool_call_views(calls), "oob": True}
    return render_to_string("chat/_tool_calls.html", ctx).strip()


def snapshot(run_id: str, so_far: str, thought: str = "") -> list[str]:
    """The whole answer (and reasoning) so far, for a page that (re-)attaches to a
    streaming run; what is sent after it follows on."""
    first, rest = so_far[:OUT_CHUNK], so_far[OUT_CHUNK:]
    whole = f'<div class="content" id="answer-{run_id}" hx-swap-oob="true">{escape(first)}</div>'
    pieces = [whole, *text(run_id, rest)]
    if thought:  # it only grows: a page shows none of it, or less, and gets it whole
        emptied = f'<div class="reasoning-text" id="reasoning-{run_id}" hx-swap-oob="true"></div>'
        pieces += [emptied, *reasoning(run_id, thought)]
    return pieces


def sent_view(index: int, m: Message) -> dict[str, Any]:
    """A new turn as a frame shows it: an uploaded picture's megabytes stay out of
    the frame (one a browser is sure to take), and the turn fetches itself over HTTP."""
    view = message_view(index, m)
    if any(p["inline"] for p in view["pictures"]):
        view["images_later"] = True
    return view


def started(start: RunStart) -> str:
    """The new turns of each column (the user's and the streaming answer), Stop
    enabled, the box emptied."""
    compare = len(start.draft.columns) > 1
    ctx: dict[str, Any] = {
        "oob": True,
        "active_run": start.run_id,
        "started_columns": [
            {
                "number": c.column + 1,
                "conversation_id": conversation_id(c.column),
                "new_messages": [sent_view(i, m) for i, m in c.new],
                "was_empty": c.new[0][0] == 0 and not start.removed,
                "active_run": c.run_id,
            }
            for c in start.columns
        ],
        "compare": compare,
        "removed": start.removed,
        "cleared_box": start.cleared_box,
        "draft": start.draft,
        "attachments": image_views(start.draft.pending_images),
        "errors": {},
        "announcement": (
            f"{len(start.columns)} answers started" if len(start.columns) > 1 else "Answer started"
        ),
    }
    return render_to_string("relay/started.html", ctx)


def finished(
    run_id: str,
    index: int,
    answer: Message,
    column: int = 0,
    compare: bool = False,
    active_run: str | None = None,
) -> list[str]:
    """The answer as rendered when its run ended, in place of its streaming card;
    in a comparison, its column's Stop disabled, and Run enabled only once no
    column (``active_run``: one still streaming) streams.

    A long answer (plain text) could make one frame too large: its card goes
    first with an empty text, then the text follows in pieces. A run that
    failed before any text has no answer to show (``failed``).
    """
    if failed_before_text(answer["status"], answer["content"], answer.get("tool_calls")):
        return [failed(run_id, answer, column, compare, active_run)]
    view = message_view(index, answer)
    said = announcement(answer)
    ctx = {
        "oob": True,
        "oob_target": f"#run-{run_id}",
        "m": view,
        "compare": compare,
        "col": {"number": column + 1, "active_run": None},
        "active_run": active_run,
        "announcement": f"Column {column + 1}: {said}" if compare else said,
    }
    if not is_plain(answer["content"]):
        return [render_to_string("relay/finished.html", ctx)]
    target = f"content-{answer['id']}"
    view["html"] = mark_safe(f'<p class="plain" id="{target}"></p>')
    return [render_to_string("relay/finished.html", ctx), *_appended(target, answer["content"])]


def column_state(run_id: str) -> dict[str, Any]:
    """Where a run's answer is: its column, whether the draft compares, and a run
    still streaming in another column (what ``finished`` needs)."""
    run = Run.objects.filter(pk=run_id).first()
    draft = Draft.objects.filter(pk=run.draft_id).first() if run and run.draft_id else None
    if run is None or draft is None:
        return {}
    return {
        "column": run.column,
        "compare": len(draft.columns) > 1,
        "active_run": draft._streaming_run(),
    }


def failed(
    run_id: str,
    answer: Message,
    column: int = 0,
    compare: bool = False,
    active_run: str | None = None,
) -> str:
    """A run that failed before any text: its streaming card goes, the reason is
    shown in the notice (and announced), and the user's turn stays to send again.
    In a comparison the column shows the reason in place of the card (not kept),
    so each failing column says why beside the others' answers."""
    where = f"Column {column + 1}: " if compare else ""
    ctx = {
        "oob": True,
        "run_id": run_id,
        "error": answer.get("error", ""),
        "compare": compare,
        "col": {"number": column + 1, "active_run": None},
        "active_run": active_run,
        "notice": f"{where}No answer: {answer.get('error', '')} "
        "Your message is kept: Regenerate sends it again.",
        "announcement": where + announcement(answer),
    }
    return render_to_string("relay/failed.html", ctx)


def conversation(draft: Draft) -> str:
    """The whole conversation again, as stored (answers streaming show their text so far)."""
    ctx = page_context(draft)
    return render_to_string("chat/workbench.html#columns", {**ctx, "oob": True})


def following(run_id: str) -> str:
    """The controls of a page that follows a run it did not start: Stop stops that run."""
    return render_to_string("chat/workbench.html#controls", {"oob": True, "active_run": run_id})


def refused(refusal: Refusal) -> str:
    """Nothing was sent: the reasons beside their fields and in the notice."""
    params = {
        k: v for k, v in refusal.errors.items() if k not in ("model", "message", "system_prompt")
    }
    ctx = {
        "oob": True,
        "errors": refusal.errors,
        "param_errors": params,
        "notice": refusal.notice,
        "active_run": refusal.active_run,  # Stop on this page stops that one
    }
    return render_to_string("relay/refused.html", ctx)


def notice(message: str) -> str:
    return render_to_string("chat/workbench.html#notice", {"notice": message, "oob": True})
