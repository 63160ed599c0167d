"""The catalog's pages: the list of models and one page per model."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from workbench.catalog.forms import ModelFilterForm
from workbench.catalog.registry import get_catalog
from workbench.catalog.request import example_body
from workbench.snippets.render import render_snippets

EXAMPLE_LEVELS = [("minimal", "Minimal"), ("basic", "Basic parameters"), ("all", "All parameters")]


def model_list(request: HttpRequest) -> HttpResponse:
    form = ModelFilterForm(request.GET)
    models = form.results() if form.is_valid() else []
    template = "catalog/model_list.html"
    if request.htmx:
        template += "#results"
    ctx = {"form": form, "models": models}
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
