from django.urls import path

from workbench.catalog import api, views

urlpatterns = [
    path("models", views.model_list, name="model-list"),
    path("models/<path:model_id>", views.model_detail, name="model-detail"),
    path(
        "providers/<path:provider_id>/refresh-models",
        views.refresh_models,
        name="refresh-models",
    ),
    path("api/models", api.models, name="api-models"),
    path("api/models/<path:model_id>", api.model, name="api-model"),
]
