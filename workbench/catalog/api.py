"""The models API: the catalog as JSON, each model with its json_request_schema."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from workbench.catalog.forms import ModelFilterForm
from workbench.catalog.registry import get_catalog


def _error(message: str, kind: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"message": message, "type": kind}}, status=status)


@require_GET
def models(request: HttpRequest) -> JsonResponse:
    form = ModelFilterForm(request.GET)
    if not form.is_valid():
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        return _error(problems, "invalid_request", 400)
    return JsonResponse({"object": "list", "data": [m.as_json() for m in form.results()]})


@require_GET
def model(request: HttpRequest, model_id: str) -> JsonResponse:
    found = get_catalog().get(model_id)
    if found is None:
        return _error(f"No model with id '{model_id}'.", "not_found", 404)
    return JsonResponse(found.as_json())
