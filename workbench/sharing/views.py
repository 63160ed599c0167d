"""Share links: Share, Update link, options and Revoke for the owner; the shared
page and Open in Workbench for anyone the link lets in.

A link that does not exist, is not the owner's (for owner actions), is revoked
or has expired answers 404, the same to everyone: nobody can tell which.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from workbench.catalog.request import RequestError
from workbench.chat.conversation import Column
from workbench.chat.models import Draft, RefusedChange
from workbench.chat.presenters import conversation_view, page_context
from workbench.chat.views import keep_posted_panel, refuse
from workbench.library.models import Session
from workbench.library.owner import Owner
from workbench.library.views import to_workbench
from workbench.sharing.forms import LinkOptionsForm, OpenForm
from workbench.sharing.models import Audience, Link, Revision, public_links
from workbench.snippets.render import render_snippets

PER_PAGE = 50
SESSION_BAR = "library/envelopes/saved.html"  # the session bar and a notice, out of band


# -- the owner's side ---------------------------------------------------------


def _mine(request: HttpRequest, link_id: str) -> Link:
    """One of the requester's live links, else 404."""
    link = Link.objects.owned_by(Owner.of(request)).live().filter(pk=link_id).first()
    if link is None:
        raise Http404("No such link.")
    return link


def _session_bar(request: HttpRequest, notice: str, **extra: Any) -> HttpResponse:
    """The workbench's session bar, redrawn with the link as it now is."""
    ctx = {**page_context(Draft.of(request.browser)), "notice": notice, "share_changed": True}
    return render(
        request, SESSION_BAR, {**ctx, **extra}, status=422 if "link_form" in extra else 200
    )


@require_POST
def share(request: HttpRequest) -> HttpResponse:
    """Share: save the session on screen and show its link (made now, with the
    session as revision 1, if it has no live one)."""
    keep_posted_panel(request)
    try:
        link, created = Link.share(Owner.of(request))
    except RefusedChange as exc:
        return refuse(str(exc))
    if created:
        notice = f"Shared: {link.audience_text().lower()} can open it."
    else:
        number = link.latest_number()
        notice = (
            f"This session is already shared: the link shows revision {number}. "
            "Update link publishes what is on screen now."
        )
    return _session_bar(request, notice)


@require_POST
def update(request: HttpRequest, link_id: str) -> HttpResponse:
    """Update link: save, and publish the session as the next revision at the same URL."""
    _mine(request, link_id)  # someone else's: 404 before anything is saved
    keep_posted_panel(request)
    try:
        revision = Link.update(Owner.of(request), link_id)
    except Link.DoesNotExist:
        raise Http404("No such link.") from None
    except RefusedChange as exc:
        return refuse(str(exc))
    return _session_bar(request, f"The link now shows revision {revision.number}.")


@require_POST
def options(request: HttpRequest, link_id: str) -> HttpResponse:
    """A link's audience and expiry, from the session bar (htmx) or My links."""
    link = _mine(request, link_id)
    form = LinkOptionsForm(request.POST, auto_id=_auto_id(request, link))
    if not form.is_valid():
        if request.htmx:
            return _session_bar(request, "The link options were not saved.", link_form=form)
        return my_links_page(request, invalid=(link.pk, form))
    try:
        Link.set_options(Owner.of(request), link.pk, **form.cleaned_data)
    except Link.DoesNotExist:
        raise Http404("No such link.") from None
    notice = "Link options saved."
    if request.htmx:
        return _session_bar(request, notice)
    messages.success(request, f"{notice[:-1]} for “{link.session.title}”.")
    return redirect("my-links")


@require_http_methods(["GET", "POST"])
def revoke(request: HttpRequest, link_id: str) -> HttpResponse:
    """GET asks to confirm; POST revokes: the link answers 404 from now on, for good."""
    link = _mine(request, link_id)
    if request.method == "GET":
        return render(request, "sharing/revoke.html", {"link": link})
    try:
        Link.revoke(Owner.of(request), link.pk)
    except Link.DoesNotExist:
        raise Http404("No such link.") from None
    notice = "Revoked: the link no longer opens, for anyone. Share makes a new one."
    if request.htmx:
        return _session_bar(request, notice)
    messages.success(request, f"Revoked the link to “{link.session.title}”.")
    return redirect("my-links")


def _auto_id(request: HttpRequest, link: Link) -> str:
    """Field ids: the session bar has one link's form, My links one per link."""
    return "share-%s" if request.htmx else f"link-{link.pk}-%s"


@require_GET
def my_links(request: HttpRequest) -> HttpResponse:
    return my_links_page(request)


def my_links_page(
    request: HttpRequest, invalid: tuple[str, LinkOptionsForm] | None = None
) -> HttpResponse:
    """Every link of mine, newest first, with its audience, expiry, revisions and views;
    ``invalid``: the options form of one link, as posted, with its reasons."""
    found = (
        Link.objects.owned_by(Owner.of(request))
        .select_related("session")
        .defer("session__columns", "session__text", "session__pending")
        .annotate(revision_count=Count("revisions"))
        .order_by("-created_at")
    )
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    items = []
    for link in page:
        if invalid and invalid[0] == link.pk:
            form = invalid[1]
        else:
            initial = {"audience": link.audience, "expires_on": link.expires_on}
            form = LinkOptionsForm(initial=initial, auto_id=f"link-{link.pk}-%s")
        url = request.build_absolute_uri(link.get_absolute_url())
        items.append({"link": link, "url": url, "form": form if link.live else None})
    ctx = {"page": page, "items": items, "public_links": public_links()}
    return render(request, "sharing/my_links.html", ctx, status=422 if invalid else 200)


# -- the viewer's side --------------------------------------------------------


def _viewable(request: HttpRequest, link_id: str) -> tuple[Link, bool]:
    """The live link, and whether the requester owns it; 404 if there is none."""
    link = (
        Link.objects.live()
        .select_related("session")
        .only("id", "audience", "expires_on", "revoked_at", "session__user", "session__browser")
        .filter(pk=link_id)
        .first()
    )
    if link is None:
        raise Http404("No such link.")
    return link, Owner.of(request).owns(link.session)


def _refused(request: HttpRequest, link: Link, mine: bool) -> bool:
    """A login-only link and a visitor who has not logged in (the owner may look)."""
    return link.served_audience == Audience.USERS and not mine and not request.user.is_authenticated


@never_cache  # a revoked link stops showing at once, in caches too
@require_safe
def shared(request: HttpRequest, link_id: str, number: int | None = None) -> HttpResponse:
    """A revision, read-only: the latest, or ``number``."""
    link, mine = _viewable(request, link_id)
    if _refused(request, link, mine):
        return redirect_to_login(request.get_full_path())
    numbers = list(link.revisions.values_list("number", "created_at"))
    latest = numbers[-1][0] if numbers else 0
    revision = link.revisions.filter(number=latest if number is None else number).first()
    if revision is None:
        raise Http404("No such revision.")
    if not mine and request.method == "GET":
        Link.count_view(link.pk)
    ctx = {
        "link": link,
        "revision": revision,
        "revisions": numbers,
        "latest": latest,
        "mine": mine,
        "url": request.build_absolute_uri(link.get_absolute_url()),
        "columns": conversation_view(revision.columns),
        "api": _api(revision),
    }
    response = render(request, "sharing/shared.html", ctx)
    response["X-Robots-Tag"] = "noindex, nofollow"
    # The link is never passed on to another site. Not "no-referrer": Chromium then
    # sends "Origin: null" with the page's own Open in Workbench form, which the CSRF
    # check rightly refuses. Set here, whatever SECURE_REFERRER_POLICY becomes.
    response["Referrer-Policy"] = "same-origin"
    return response


def _api(revision: Revision) -> list[dict[str, Any]]:
    """Per column: the request Run would send next (the Message box as the last user
    turn), as code, or why there is none."""
    views = []
    several = len(revision.columns) > 1
    for index, data in enumerate(revision.columns):
        column = Column.from_json(data)
        prefix = f"c{index + 1}-" if several else ""
        try:
            body = column.request_body(revision.pending)
        except RequestError as exc:
            problem = "; ".join(f"{k}: {v}" for k, v in exc.errors.items())
            views.append({"number": index + 1, "problem": problem, "prefix": prefix})
            continue
        snippets = render_snippets(column.provider, body)
        views.append({"number": index + 1, "snippets": snippets, "prefix": prefix})
    return views


@require_POST
def open_in_workbench(request: HttpRequest, link_id: str) -> HttpResponse:
    """Copy a revision into the viewer's own new session, and show it in their
    workbench. The link and its revisions are only read."""
    link, mine = _viewable(request, link_id)
    if _refused(request, link, mine):
        return redirect_to_login(link.get_absolute_url())
    form = OpenForm(request.POST)
    number = form.cleaned_data["revision"] if form.is_valid() else None
    revisions = link.revisions.order_by("-number")
    revision = revisions.filter(number=number).first() if number else revisions.first()
    if revision is None:
        raise Http404("No such revision.")
    try:
        kept = Session.fork(Owner.of(request), revision.title, revision.columns, revision.pending)
    except RefusedChange as exc:
        messages.error(request, str(exc))
        return redirect(revision)
    messages.success(request, f"“{revision.title}” is now your own session, open here.")
    return to_workbench(request, kept)
