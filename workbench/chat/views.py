"""The workbench page and the htmx endpoints that edit its draft."""

from typing import Any

from django import forms
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from workbench.catalog.registry import get_catalog
from workbench.catalog.request import ROLES, RequestError
from workbench.chat.models import Draft
from workbench.chat.panel import MAX_TEXT, PARAM_PREFIX, apply_panel
from workbench.chat.presenters import api_view, message_view, messages_view, panel_fields
from workbench.snippets.importing import UnreadableSnippet, parse_pasted

PAGE = "chat/workbench.html"
SESSION_KEY = "draft_id"
MESSAGE_FIELDS = ["messages", "updated_at"]


def current_draft(request: HttpRequest, lock: bool = False) -> Draft:
    """The browser session's draft, created on first visit.

    ``lock`` (inside a transaction) serialises edits of the conversation with
    a run that is storing its answer at the same moment.
    """
    drafts = Draft.objects.select_for_update() if lock else Draft.objects
    draft = drafts.filter(pk=request.session.get(SESSION_KEY)).first()
    if draft is None:
        draft = Draft.start(request.GET.get("model"))
        request.session[SESSION_KEY] = str(draft.pk)
    return draft


def page_context(draft: Draft, typed: dict | None = None, errors: dict | None = None) -> dict:
    catalog = get_catalog()
    basic, more = panel_fields(draft.model, draft.parameters, typed, errors)
    groups: dict[str, list] = {}
    for m in catalog.models.values():
        groups.setdefault(catalog.providers[m.provider].name, []).append(m)
    return {
        "draft": draft,
        "model": draft.model,
        "model_groups": groups,
        "basic_fields": basic,
        "more_fields": more,
        "messages": messages_view(draft.messages),
        "errors": errors or {},
    }


@require_GET
def workbench(request: HttpRequest) -> HttpResponse:
    draft = current_draft(request)
    model_id = request.GET.get("model")
    if model_id and model_id != draft.model_id:
        if get_catalog().get(model_id) is None:
            ctx = page_context(draft, errors={"model": f"Unknown model '{model_id}'."})
            return render(request, PAGE, ctx, status=404)
        draft.switch_model(model_id)
        draft.save_panel()
    if model_id:
        # The choice now lives in the draft; a reload of ?model= would undo later changes.
        return redirect("workbench")
    return render(request, PAGE, page_context(draft))


@require_POST
def draft_update(request: HttpRequest) -> HttpResponse:
    """Autosave: keep what is valid, show the reason beside what is not."""
    draft = current_draft(request)
    before = draft.model_id
    errors = apply_panel(draft, request.POST)
    draft.save_panel()
    posted = request.POST.items()
    typed = {k.removeprefix(PARAM_PREFIX): v for k, v in posted if k.startswith(PARAM_PREFIX)}
    ctx = page_context(draft, typed=typed, errors=errors)
    ctx["model_changed"] = draft.model_id != before
    if request.POST.get("api_open"):  # on screen: refresh it now, else when next shown
        ctx["api"] = api_view(draft)
    return render(request, PAGE + "#feedback", ctx)


class MessageForm(forms.Form):
    role = forms.ChoiceField(choices=[(r, r) for r in ROLES])
    content = forms.CharField(required=False, max_length=MAX_TEXT, strip=False)


def _message_at(draft: Draft, index: int) -> dict[str, Any] | None:
    return draft.messages[index] if 0 <= index < len(draft.messages) else None


@transaction.atomic
def message(request: HttpRequest, index: int) -> HttpResponse:
    """GET: the message as an edit form; POST: save it and show it again."""
    draft = current_draft(request, lock=True)
    found = _message_at(draft, index)
    if found is None:
        return HttpResponseBadRequest("That message no longer exists; reload the page.")
    if request.method == "POST":
        form = MessageForm(request.POST)
        if not form.is_valid():
            ctx = {"m": message_view(index, found), "form": form}
            return render(request, PAGE + "#message-edit", ctx, status=400)
        found.update(role=form.cleaned_data["role"], content=form.cleaned_data["content"])
        draft.save(update_fields=MESSAGE_FIELDS)
    if request.GET.get("edit"):
        return render(request, PAGE + "#message-edit", {"m": message_view(index, found)})
    return render(request, PAGE + "#message-saved", {"m": message_view(index, found)})


@require_POST
@transaction.atomic
def message_delete(request: HttpRequest, index: int) -> HttpResponse:
    draft = current_draft(request, lock=True)
    if _message_at(draft, index) is None:
        return HttpResponseBadRequest("That message no longer exists; reload the page.")
    del draft.messages[index]
    draft.save(update_fields=MESSAGE_FIELDS)
    return render(request, PAGE + "#conversation-changed", page_context(draft))


@require_POST
@transaction.atomic
def message_add(request: HttpRequest) -> HttpResponse:
    """Add the Message box's text to the conversation without running the model."""
    draft = current_draft(request, lock=True)
    text = request.POST.get("message", "")
    if not text or len(text) > MAX_TEXT:
        return HttpResponseBadRequest("Write the message to add first.")
    draft.add_message("user", text)
    draft.pending = ""
    draft.save(update_fields=[*MESSAGE_FIELDS, "pending"])
    ctx = page_context(draft)
    ctx["clear_message"] = True
    return render(request, PAGE + "#conversation-changed", ctx)


@require_POST
@transaction.atomic
def clear(request: HttpRequest) -> HttpResponse:
    draft = current_draft(request, lock=True)
    draft.messages = []
    draft.save(update_fields=MESSAGE_FIELDS)
    return render(request, PAGE + "#conversation-changed", page_context(draft))


@require_GET
def api_panel(request: HttpRequest) -> HttpResponse:
    """The API tab's snippets, built when the tab is shown rather than on every change."""
    return render(request, PAGE + "#api-panel", {"api": api_view(current_draft(request))})


@require_POST
@transaction.atomic
def import_request(request: HttpRequest) -> HttpResponse:
    """Load a pasted cURL command, JSON body or API-tab code into the workbench.

    On success the page reloads with the imported state; on failure only the
    reason is shown, and nothing on screen changes.
    """
    draft = current_draft(request, lock=True)
    text = request.POST.get("import_text", "")
    try:
        if len(text) > MAX_TEXT:
            raise UnreadableSnippet(f"The pasted text is too long (limit {MAX_TEXT:,} characters).")
        draft.load_body(parse_pasted(text))
    except (UnreadableSnippet, RequestError) as exc:
        problem = "; ".join(exc.errors.values()) if isinstance(exc, RequestError) else str(exc)
        ctx = {"import_error": f"Could not import: {problem}", "oob": False}
        return render(request, PAGE + "#import-error", ctx)
    draft.save()
    response = HttpResponse(status=204)
    response["HX-Redirect"] = reverse("workbench")
    return response
