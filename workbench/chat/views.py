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

from workbench.catalog.registry import get_catalog
from workbench.catalog.request import RequestError
from workbench.chat import undo
from workbench.chat.forms import MessageForm, PanelForm
from workbench.chat.imported import (
    MODEL_QUESTION,
    ImportReport,
    import_notices,
    replaced_by_import,
)
from workbench.chat.models import Draft, Occupied, RefusedChange
from workbench.chat.presenters import api_view, message_view, page_context
from workbench.snippets.importing import UnreadableSnippet, parse_pasted

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
    the person's first action, never on a visit."""
    draft = Draft.settle(request.browser)
    column = draft.column()
    asked = request.GET.get("model")
    if asked and get_catalog().get(asked) is None:
        ctx = page_context(draft, errors={"model": f"Unknown model '{asked}'."})
        return render(request, PAGE, ctx, status=404)
    if asked and asked != column.model_id:
        column.switch_model(asked)
        ctx = page_context(draft, PanelForm(column=column))
        ctx["preselected"] = column.model
        return render(request, PAGE, ctx)
    return render(request, PAGE, {**page_context(draft), **import_notices(request)})


@require_POST
def set_aside(request: HttpRequest) -> HttpResponse:
    """Start afresh; the draft that could not be shown is kept, apart."""
    Draft.set_aside(request.browser)
    return redirect("workbench")


@require_POST
def draft_update(request: HttpRequest) -> HttpResponse:
    """Autosave: keep what is valid, show the reason beside what is not."""
    before = Draft.of(request.browser)
    form = PanelForm(request.POST, column=before.column())
    panel = form.panel()
    draft = Draft.save_panel(request.browser, panel) if panel else before
    ctx = page_context(draft, form)  # the fields of the model chosen, as typed
    # The panel is redrawn only when it shows another model's fields: a
    # redraw would wipe what was typed while this request was on its way.
    ctx["model_changed"] = form.chosen.id != request.POST.get("panel_model")
    if request.POST.get("api_open"):  # on screen: refresh it now, else when next shown
        ctx["api"] = api_view(draft)
    return render(request, ENVELOPES + "feedback.html", ctx)


@require_http_methods(["GET", "POST"])
def message(request: HttpRequest, message_id: str) -> HttpResponse:
    """GET: the message (``?edit=1``: as an edit form); POST: save it and show it."""
    column = Draft.of(request.browser).column()
    index = column.find(message_id)
    if index is None:
        return refuse("That message no longer exists; reload the page.")
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
    return render(request, ENVELOPES + "conversation_changed.html", ctx)


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
def clear(request: HttpRequest) -> HttpResponse:
    return _conversation_changed(request, Draft.clear)


@require_GET
def api_panel(request: HttpRequest) -> HttpResponse:
    """The API tab's snippets, built when the tab is shown rather than on every change."""
    ctx = {"api": api_view(Draft.of(request.browser))}
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
        what = replaced_by_import(there.column, there.pending)
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
