"""Save, the Library, and a session's run history.

Every view finds sessions and runs through ``Owner``: someone else's id
answers 404, exactly like an id that does not exist.
"""

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from workbench.catalog.registry import get_catalog
from workbench.catalog.request import RequestError
from workbench.chat.models import Draft, RefusedChange, Run
from workbench.chat.presenters import conversation_view, page_context
from workbench.chat.views import keep_posted_panel, refuse
from workbench.library import exchange
from workbench.library.forms import RenameForm
from workbench.library.models import Session, shorten
from workbench.library.owner import Owner
from workbench.snippets.render import render_snippets

PER_PAGE = 50


def _session(request: HttpRequest, session_id: UUID) -> Session:
    try:
        return Session.objects.owned_by(Owner.of(request)).get(pk=session_id)
    except Session.DoesNotExist:
        raise Http404("No such session.") from None


def _run(request: HttpRequest, run_id: str) -> Run:
    mine = Session.objects.owned_by(Owner.of(request))
    run = Run.objects.filter(pk=run_id, session__in=mine).select_related("session").first()
    if run is None:
        raise Http404("No such run.")
    return run


@require_GET
def library(request: HttpRequest) -> HttpResponse:
    """My sessions, newest first; ``?q=`` searches titles and text."""
    return _library_page(request)


def _library_page(request: HttpRequest, status: int = 200, **extra: str) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    found = Session.objects.owned_by(Owner.of(request)).search(query)
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    editing = Draft.of(request.browser).session_id
    ctx = {"page": page, "query": query, "editing": editing, **extra}
    return render(request, "library/library.html", ctx, status=status)


@require_POST
def save(request: HttpRequest) -> HttpResponse:
    """Save (or, with ``as_new``, Save as new): the panel as posted, then the draft."""
    keep_posted_panel(request)
    try:
        session = Session.save_draft(Owner.of(request), as_new=bool(request.POST.get("as_new")))
    except RefusedChange as exc:
        return refuse(str(exc))
    draft = Draft.of(request.browser)
    ctx = {**page_context(draft), "notice": f"Saved as “{session.title}”."}
    return render(request, "library/envelopes/saved.html", ctx)


def to_workbench(request: HttpRequest, kept: Session | None) -> HttpResponse:
    """Back to the workbench, now showing another conversation; say where the work
    that was on screen went, if it was kept."""
    if kept is not None:
        messages.info(request, f"Your unsaved work is kept in the Library as “{kept.title}”.")
    if request.htmx:
        return HttpResponseClientRedirect(reverse("workbench"))
    return redirect("workbench")


@require_POST
def new(request: HttpRequest) -> HttpResponse:
    try:
        kept = Session.start_new(Owner.of(request))
    except RefusedChange as exc:
        return refuse(str(exc))
    return to_workbench(request, kept)


@require_POST
def open_session(request: HttpRequest, session_id: UUID) -> HttpResponse:
    session = _session(request, session_id)
    try:
        kept = Session.open(Owner.of(request), session.pk)
    except RefusedChange as exc:
        messages.error(request, str(exc))
        return redirect("library")
    messages.success(request, f"Opened “{session.title}”.")
    return to_workbench(request, kept)


@require_http_methods(["GET", "POST"])
def session_detail(request: HttpRequest, session_id: UUID) -> HttpResponse:
    """A session: its conversation, its runs, and (POST) a new title."""
    session = _session(request, session_id)
    form = RenameForm(request.POST or None, initial={"title": session.title})
    if request.method == "POST" and form.is_valid():
        Session.rename(Owner.of(request), session.pk, form.cleaned_data["title"])
        messages.success(request, "Renamed.")
        return redirect("session-detail", session.pk)
    runs = session.runs.order_by("-started_at")
    columns = conversation_view(session.columns)
    ctx = {"session": session, "columns": columns, "form": form, "runs": runs}
    return render(request, "library/session.html", ctx, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, session_id: UUID) -> HttpResponse:
    """GET asks to confirm; POST deletes the session and its runs."""
    session = _session(request, session_id)
    if request.method == "POST":
        Session.remove(Owner.of(request), session.pk)
        messages.success(request, f"Deleted “{session.title}”.")
        return redirect("library")
    return render(request, "library/delete.html", {"session": session})


@require_GET
def run_code(request: HttpRequest, run_id: str) -> HttpResponse:
    """A run's exact request body as code, as the API tab shows it."""
    run = _run(request, run_id)
    catalog = get_catalog()
    asked = str(run.body.get("model", ""))
    provider = catalog.provider_of(catalog.get(asked) or catalog.closest(asked))
    snippets = render_snippets(provider, run.body)
    return render(request, "library/run_code.html", {"run": run, "snippets": snippets})


@require_POST
def run_restore(request: HttpRequest, run_id: str) -> HttpResponse:
    """Load a run's body into the workbench, through Import's loader."""
    run = _run(request, run_id)
    try:
        kept = Session.restore(Owner.of(request), run.body)
    except (RefusedChange, RequestError) as exc:
        problem = "; ".join(exc.errors.values()) if isinstance(exc, RequestError) else str(exc)
        messages.error(request, f"Could not restore that run: {problem}")
        return redirect("session-detail", run.session_id)
    messages.success(request, "The run's request is in the workbench, as it was sent.")
    return to_workbench(request, kept)


@require_GET
@never_cache
def export(request: HttpRequest, session_id: UUID) -> HttpResponse:
    """The session as a ``workbench.session/1`` file (``library.exchange``), downloaded."""
    session = _session(request, session_id)
    response = HttpResponse(
        exchange.export_text(session), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(
        True, exchange.filename(session.title)
    )
    return response


@require_POST
def import_file(request: HttpRequest) -> HttpResponse:
    """A session file, a request body or a list of bodies, as the importer's saved
    sessions; refused whole, with the reason beside the form, if anything is wrong."""
    upload = request.FILES.get("file")
    try:
        read = exchange.read_upload(upload)
    except exchange.RefusedFile as exc:
        name = f" from “{shorten(upload.name or '', 80)}”" if upload else ""
        problem = f"Nothing was imported{name}: {exc}."
        return _library_page(request, 422, import_error=problem)
    Session.import_sessions(Owner.of(request), read.sessions)
    messages.success(request, read.summary())
    return redirect("library")
