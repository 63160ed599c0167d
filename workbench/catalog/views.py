"""The catalog's pages: the list of models (with "Refresh models" for the providers
that list their own) and one page per model."""

from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from workbench.catalog import discovery
from workbench.catalog.forms import ModelFilterForm
from workbench.catalog.registry import get_catalog, static_catalog
from workbench.catalog.request import example_body
from workbench.snippets.render import render_snippets

EXAMPLE_LEVELS = [("minimal", "Minimal"), ("basic", "Basic parameters"), ("all", "All parameters")]


@require_GET
def model_list(request: HttpRequest) -> HttpResponse:
    return _listed(request, ModelFilterForm(request.GET), "#results")


@require_POST
def refresh_models(request: HttpRequest, provider_id: str) -> HttpResponse:
    """List a discovering provider's models now (the "Refresh models" button)."""
    provider = static_catalog().providers.get(provider_id)
    if provider is None or not provider.discover:
        raise Http404(f"No provider {provider_id!r} lists its models")
    row = discovery.refresh(provider)
    form = ModelFilterForm(request.POST)
    if not request.htmx:
        filters = {k: v for k, v in form.data.items() if k in form.fields and v}
        return redirect(f"{reverse('model-list')}?{urlencode(filters)}".rstrip("?"))
    return _listed(request, form, "#catalog", refreshed=(provider, row))


def _listed(request: HttpRequest, form: ModelFilterForm, part: str, **ctx: Any) -> HttpResponse:
    """The model list (the page, or for htmx its ``part``) for these filters."""
    template = "catalog/model_list.html" + (part if request.htmx else "")
    ctx |= {
        "form": form,
        "models": form.results() if form.is_valid() else [],
        "discoveries": discovery.statuses(),
    }
    return render(request, template, ctx, status=200 if form.is_valid() else 400)


def model_detail(request: HttpRequest, model_id: str) -> HttpResponse:
    catalog = get_catalog()
    model = catalog.get(model_id)
    if model is None:
        raise Http404(f"No model with id {model_id!r}")
    provider = catalog.provider_of(model)
    examples = []
    for level, label in EXAMPLE_LEVELS:
        body = example_body(model, provider, level)
        snippets = render_snippets(provider, body, ["curl", "python"])
        examples.append({"id": level, "label": label, "snippets": snippets})
    required = model.required_fields()
    props = model.json_request_schema["properties"]
    ctx = {
        "model": model,
        "provider": provider,
        "required_fields": [(n, props[n]) for n in required],
        "optional_fields": [(n, p) for n, p in props.items() if n not in required],
        "examples": examples,
    }
    return render(request, "catalog/model_detail.html", ctx)
