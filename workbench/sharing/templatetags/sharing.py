"""The share controls of the workbench's session bar: ``{% share_controls %}``.

An inclusion tag, so the session bar (drawn after every autosave, Save and
share action) needs one line to show them.
"""

from typing import Any

from django import template
from django.db.models import Max

from workbench.library.owner import Owner
from workbench.sharing.forms import LinkOptionsForm
from workbench.sharing.models import Link

register = template.Library()


@register.inclusion_tag("sharing/_controls.html", takes_context=True)
def share_controls(context: template.Context) -> dict[str, Any]:
    """Share, or the live link of the session on screen with its revision,
    Copy link, Update link, Revoke and its options."""
    request, session = context.get("request"), context.get("session")
    link = None
    if session is not None and request is not None and Owner.of(request).owns(session):
        live = Link.objects.live().filter(session=session)
        link = live.annotate(shows_revision=Max("revisions__number")).first()  # one query
    ctx: dict[str, Any] = {"link": link}
    if link is not None:
        initial = {"audience": link.audience, "expires_on": link.expires_on}
        ctx.update(
            url=request.build_absolute_uri(link.get_absolute_url()),
            form=context.get("link_form") or LinkOptionsForm(initial=initial, auto_id="share-%s"),
            # Drawn again after each autosave: options being edited stay as they are,
            # unless a share action changed them (hx-preserve).
            preserve=not context.get("share_changed"),
        )
    return ctx
