"""The workbench page and the htmx endpoints that edit its draft.

Each view validates its input with a form first, asks the draft to change
(``Draft``'s methods lock and save), then renders: a fragment for htmx, the
page otherwise.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from workbench.catalog.images import MAX_IMAGE_BYTES, MAX_IMAGES, linked, uploaded
from workbench.catalog.registry import get_catalog
from workbench.catalog.request import RequestError
from workbench.chat import undo
from workbench.chat.diff import diff
from workbench.chat.forms import DiffForm, MessageForm, PanelForm, ToolResultForm
from workbench.chat.imported import (
    MODEL_QUESTION,
    ImportReport,
    import_notices,
    replaced_by_import,
)
from workbench.chat.meter import measure
from workbench.chat.models import MAX_COLUMNS, Draft, Occupied, RefusedChange
from workbench.chat.presenters import api_view, image_views, message_view, page_context
from workbench.chat.standings import standings
from workbench.snippets.importing import UnreadableSnippet, parse_pasted

METER_CHANGED = "meter"  # the page's meter asks again (templates/chat/workbench.html#meter)
logger = logging.getLogger(__name__)
PAGE = "chat/workbench.html"
ENVELOPES = "chat/envelopes/"


def refuse(reason: str) -> HttpResponse:
    """A change the draft did not take: the reason, as text the page shows in its notice."""
    return HttpResponse(reason, status=400, content_type="text/plain; charset=utf-8")


@require_GET
def workbench(request: HttpRequest) -> HttpResponse:
    """The browser's draft; if it cannot be shown, a page that offers to set it aside."""
    try:
        return _workbench(request)
    except Exception:
        logger.exception("the workbench of a browser could not be shown")
        return render(request, "chat/unrenderable.html", status=500)


def _workbench(request: HttpRequest) -> HttpResponse:
    """``?model=`` pre-selects a model without storing it: the draft changes on
    the person's first action, never on a visit. ``model`` repeated opens a
    comparison, one column per model; ``column`` (from 1) is the column the
    panel edits."""
    draft = Draft.settle(request.browser)
    focus = _number(request.GET.get("column"), 1) - 1
    asked = request.GET.getlist("model")[:MAX_COLUMNS]
    unknown = [m for m in asked if get_catalog().get(m) is None]
    if unknown:
        ctx = page_context(draft, errors={"model": f"Unknown model '{unknown[0]}'."})
        return render(request, PAGE, ctx, status=404)
    if len(asked) > 1:
        columns = [draft.column(i) for i in range(len(draft.columns))]
        if asked != [c.model_id for c in columns]:
            opened = draft.opened(asked)
            focus = min(max(focus, 0), len(opened) - 1)
            ctx = page_context(draft, PanelForm(column=opened[focus]), focus=focus, columns=opened)
            ctx["preselected_columns"] = asked
            return render(request, PAGE, ctx)
    elif asked and asked[0] != draft.column().model_id and len(draft.columns) == 1:
        column = draft.column()
        column.switch_model(asked[0])
        ctx = page_context(draft, PanelForm(column=column))
        ctx["preselected"] = column.model
        return render(request, PAGE, ctx)
    ctx = {**page_context(draft, focus=focus), **import_notices(request)}
    return render(request, PAGE, ctx)


def _number(value: Any, default: int = 0) -> int:
    """A small whole number from a request, or ``default``."""
    try:
        return int(str(value)[:3])
    except ValueError:
        return default


@require_POST
def set_aside(request: HttpRequest) -> HttpResponse:
    """Start afresh; the draft that could not be shown is kept, apart."""
    Draft.set_aside(request.browser)
    return redirect("workbench")


def posted_panel(request: HttpRequest) -> tuple[Draft, int, PanelForm]:
    """The panel as a page posted it, read against the column it edits: the draft
    before, that column's index, and the form."""
    before = Draft.of(request.browser)
    edited = before.column_index(_number(request.POST.get("column")))
    return before, edited, PanelForm(request.POST, column=before.column(edited))


def keep_posted_panel(request: HttpRequest) -> None:
    """Before an action on the whole draft (Save, Share, Update link): keep the panel
    as posted, so the action takes what the page shows even if its last autosave
    is still on its way."""
    if panel := posted_panel(request)[2].panel():
        Draft.save_panel(request.browser, panel)


@require_POST
def draft_update(request: HttpRequest) -> HttpResponse:
    """Autosave: keep what is valid, show the reason beside what is not. With
    ``focus``, the panel then edits that column instead (it is redrawn)."""
    before, edited, form = posted_panel(request)
    panel = form.panel()
    draft = Draft.save_panel(request.browser, panel) if panel else before
    focus = _number(request.POST.get("focus"), -1)
    if 0 <= focus < len(draft.columns) and focus != edited:
        ctx = page_context(draft, focus=focus)
        ctx["focus_changed"] = True
    else:
        ctx = page_context(draft, form, focus=edited)  # the fields of the model chosen, as typed
        # The panel is redrawn only when it shows another model's fields: a
        # redraw would wipe what was typed while this request was on its way.
        ctx["model_changed"] = form.chosen.id != request.POST.get("panel_model")
    if request.POST.get("api_open"):  # on screen: refresh it now, else when next shown
        ctx["api"] = api_view(draft, ctx["focus"])
    return trigger_client_event(render(request, ENVELOPES + "feedback.html", ctx), METER_CHANGED)


def _columns_changed(
    request: HttpRequest, change: Callable[..., Draft], index: int
) -> HttpResponse:
    """Compare, close or keep a column: the panel as posted is kept first, then the
    page is shown again with its new columns, the panel on ``index``."""
    form = posted_panel(request)[2]
    panel = form.panel()
    try:  # the page's revision, read by the panel's own field (as Add reads it)
        draft = change(request.browser, index, panel, form.cleaned_data.get("revision"))
    except RefusedChange as exc:
        return refuse(str(exc))
    focus = min(index, len(draft.columns) - 1) + 1
    response = HttpResponse(status=204)
    response["HX-Redirect"] = f"{reverse('workbench')}?column={focus}#column-{focus}"
    return response


@require_POST
def column_add(request: HttpRequest) -> HttpResponse:
    """Compare: a copy of the column the panel edits, after the last column."""
    source = _number(request.POST.get("column"))
    response = _columns_changed(request, Draft.add_column, source)
    if response.status_code == 204:  # the new column is the last one
        count = len(Draft.of(request.browser).columns)
        response["HX-Redirect"] = f"{reverse('workbench')}?column={count}#column-{count}"
    return response


@require_POST
def column_close(request: HttpRequest, number: int) -> HttpResponse:
    return _columns_changed(request, Draft.close_column, number - 1)


@require_POST
def column_keep(request: HttpRequest, number: int) -> HttpResponse:
    return _columns_changed(request, Draft.keep_column, number - 1)


@require_GET
def column_standings(request: HttpRequest) -> HttpResponse:
    """Compare's figures side by side, as they are now (asked for when a run ends)."""
    draft = Draft.of(request.browser)
    columns = [draft.column(i) for i in range(len(draft.columns))]
    return render(request, PAGE + "#standings", {"standings": standings(columns)})


@require_GET
def column_diff(request: HttpRequest) -> HttpResponse:
    """Compare: how the last answers of two columns differ, word by word (or as JSON)."""
    form = DiffForm(request.GET)
    draft = Draft.of(request.browser)
    ctx: dict[str, Any] = {}
    if not form.is_valid():
        ctx["diff_error"] = " ".join(e for errs in form.errors.values() for e in errs)
    elif max(form.cleaned_data["first"], form.cleaned_data["second"]) > len(draft.columns):
        ctx["diff_error"] = "That column is closed: reload the page."
    else:
        numbers = form.cleaned_data["first"], form.cleaned_data["second"]
        columns = [draft.column(n - 1) for n in numbers]
        answers = [c.last_answer() for c in columns]
        missing = [n for n, a in zip(numbers, answers, strict=True) if a is None]
        if missing:
            ctx["diff_error"] = f"Column {missing[0]} has no answer yet: Run first."
        else:
            ctx["d"] = diff(answers[0]["content"], answers[1]["content"])  # type: ignore[index]
            ctx["sides"] = list(zip(numbers, (c.model for c in columns), strict=True))
            # After "Send to column N only" the two may answer different messages.
            asked = [
                next((m["content"] for m in reversed(c.messages) if m["role"] == "user"), "")
                for c in columns
            ]
            ctx["asked_apart"] = asked[0] != asked[1]
    return render(request, PAGE + "#diff", ctx)


@require_http_methods(["GET", "POST"])
def message(request: HttpRequest, message_id: str) -> HttpResponse:
    """GET: the message (``?edit=1``: as an edit form); POST: save it and show it."""
    where = Draft.of(request.browser).find(message_id)
    if where is None:
        return refuse("That message no longer exists; reload the page.")
    _, column, index = where
    found = column.messages[index]
    if request.method == "POST":
        form = MessageForm(request.POST, auto_id=False)
        if not form.is_valid():
            ctx = {"m": message_view(index, found), "form": form}
            # 422: htmx swaps it in, reasons and all (see base.html's htmx config)
            return render(request, PAGE + "#message-edit", ctx, status=422)
        try:
            found = Draft.edit_message(request.browser, message_id, **form.cleaned_data)
        except RefusedChange as exc:
            return refuse(str(exc))
        return render(request, ENVELOPES + "message_saved.html", {"m": message_view(index, found)})
    if request.GET.get("edit"):
        initial = {"role": found["role"], "content": found["content"]}
        form = MessageForm(initial=initial, auto_id=False)
        return render(
            request, PAGE + "#message-edit", {"m": message_view(index, found), "form": form}
        )
    return render(request, PAGE + "#message", {"m": message_view(index, found)})


def _conversation_changed(
    request: HttpRequest, change: Callable[..., Draft], *args: Any, cleared_box: bool = False
) -> HttpResponse:
    try:
        draft = change(request.browser, *args)
    except RefusedChange as exc:
        return refuse(str(exc))
    return _changed(request, draft, cleared_box=cleared_box)


def _changed(request: HttpRequest, draft: Draft, **extra: Any) -> HttpResponse:
    """The conversation as it now is; ``extra``: the notice (cleared if not given) and more."""
    ctx = {**page_context(draft), **extra}
    response = render(request, ENVELOPES + "conversation_changed.html", ctx)
    return trigger_client_event(response, METER_CHANGED)


@require_GET
def meter(request: HttpRequest) -> HttpResponse:
    """The token and cost meter of what Run would send now from the column the panel
    edits (asked for when the page loads, after an autosave, a change to the
    conversation, or a run's end)."""
    draft = Draft.of(request.browser)
    if not draft.columns:
        return render(request, PAGE + "#meter-text", {"meter": None})
    column = draft.column(draft.column_index(_number(request.GET.get("column"))))
    shown = request.GET.get("model", "")  # a model a link chose, not stored yet
    if shown != column.model_id and get_catalog().get(shown) is not None:
        column.switch_model(shown)
    return render(request, PAGE + "#meter-text", {"meter": measure(column, draft.pending)})


@require_POST
def message_delete(request: HttpRequest, message_id: str) -> HttpResponse:
    """Delete a message; the notice says so and offers to undo it."""
    try:
        draft, deleted = Draft.delete_message(request.browser, message_id)
    except RefusedChange as exc:
        return refuse(str(exc))
    n = deleted.index + 1
    notice = f"Deleted {deleted.message['role']} message {n}."
    return _changed(request, draft, notice=notice, undo=undo.token(request.browser, deleted))


@require_POST
def message_restore(request: HttpRequest) -> HttpResponse:
    """Undo a delete: the message goes back where it was."""
    try:
        deleted = undo.deleted_from(request.browser, request.POST.get("deleted", ""))
        draft = Draft.restore_message(request.browser, deleted)
    except RefusedChange as exc:
        return refuse(str(exc))
    return _changed(request, draft, notice="Message restored.")


@require_POST
def message_add(request: HttpRequest) -> HttpResponse:
    """Add the Message box's text to the conversation without running the model."""
    form = PanelForm(request.POST, column=Draft.of(request.browser).column())
    form.is_valid()
    text = form.cleaned_data.get("message", "")
    if not text:
        problem = form.errors.get("message") or ["Write the message to add first."]
        return refuse(" ".join(problem))
    revision = form.cleaned_data.get("revision")
    return _conversation_changed(request, Draft.add_message, text, revision, cleared_box=True)


@require_POST
def tool_result(request: HttpRequest, message_id: str, call: int) -> HttpResponse:
    """Add the result of an answer's tool call; Run then sends it back to the model."""
    form = ToolResultForm({"content": request.POST.get(f"tool_result-{call}", "")})
    if not form.is_valid():
        return refuse(" ".join(e for errs in form.errors.values() for e in errs))
    content = form.cleaned_data["content"]
    try:
        draft = Draft.add_tool_result(request.browser, message_id, call, content)
    except RefusedChange as exc:
        return refuse(str(exc))
    return _changed(request, draft, notice="Tool result added: press Run to continue.")


@require_POST
def image_attach(request: HttpRequest) -> HttpResponse:
    """Attach images for the next Run: uploaded files (``image``, checked by their
    bytes) or an https URL (``image_url``, kept as text, never fetched). Over
    HTTP, so a picture is never inside a websocket frame. The panel posted with
    them is kept first: the model chosen decides whether images may be sent."""
    keep_posted_panel(request)
    try:
        images = []
        for upload in request.FILES.getlist("image")[: MAX_IMAGES + 1]:
            if upload.size is None or upload.size > MAX_IMAGE_BYTES:
                raise ValueError(f"{upload.name} is larger than {MAX_IMAGE_BYTES // 2**20} MiB")
            images.append(uploaded(upload.name or "", upload.read(MAX_IMAGE_BYTES + 1)))
        if url := request.POST.get("image_url", "").strip():
            images.append(linked(url))
        if not images:
            raise ValueError("Choose an image file, or give an image URL, first.")
        draft = Draft.attach_images(request.browser, images)
    except (ValueError, RefusedChange) as exc:
        draft = Draft.of(request.browser)
        ctx = {
            "attachments": image_views(draft.pending_images),
            "attach_error": f"Not attached: {exc}",
        }
        return render(request, PAGE + "#attachments", ctx)
    return _attachments_changed(request, draft)


@require_POST
def image_remove(request: HttpRequest, image_id: str) -> HttpResponse:
    """Take an attached image away before Run."""
    return _attachments_changed(request, Draft.remove_image(request.browser, image_id))


def _attachments_changed(request: HttpRequest, draft: Draft) -> HttpResponse:
    """The attachments as they now are; the API tab and the meter are out of date."""
    ctx = {"attachments": image_views(draft.pending_images), "attachments_changed": True}
    return trigger_client_event(render(request, PAGE + "#attachments", ctx), METER_CHANGED)


@require_POST
def clear(request: HttpRequest) -> HttpResponse:
    return _conversation_changed(request, Draft.clear)


@require_GET
def api_panel(request: HttpRequest) -> HttpResponse:
    """The API tab's snippets, built when the tab is shown rather than on every change."""
    focus = _number(request.GET.get("column"))
    ctx = {"api": api_view(Draft.of(request.browser), focus)}
    return render(request, PAGE + "#api-panel", ctx)


@require_POST
def import_request(request: HttpRequest) -> HttpResponse:
    """Load a pasted request (``parse_pasted`` reads every shape) into the workbench.

    On success the page reloads with the imported state and says what was
    loaded; a model the catalog lacks is replaced by the closest, and the
    page asks about it. On failure only the reason is shown, and nothing on
    screen changes. A conversation already there is replaced only once the
    person says so (``replace``).
    """
    try:  # parse_pasted refuses what is too long or too deep to read
        pasted = parse_pasted(request.POST.get("import_text", ""))
        stand_in = get_catalog().stand_in(str(pasted.body.get("model", "")), pasted.url)
        ask = not request.POST.get("replace")
        draft = Draft.load_body(request.browser, pasted.body, stand_in, ask=ask)
    except Occupied as there:
        what = replaced_by_import(there.column, there.pending, there.images)
        question = f"Import replaces what is on the workbench: {what}. Replace it?"
        return render(request, PAGE + "#import-reply", {"import_question": question})
    except (UnreadableSnippet, RequestError) as exc:
        problem = "; ".join(exc.errors.values()) if isinstance(exc, RequestError) else str(exc)
        ctx = {"import_error": f"Could not import: {problem}"}
        return render(request, PAGE + "#import-reply", ctx)
    report = ImportReport(pasted, draft.column(), draft.pending)
    messages.success(request, report.loaded())
    if stand_in:
        messages.warning(request, report.model_question(), extra_tags=MODEL_QUESTION)
    response = HttpResponse(status=204)
    response["HX-Redirect"] = reverse("workbench")
    return response
