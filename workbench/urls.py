from django.urls import include, path

from workbench.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("workbench.accounts.urls")),
    path("", include("workbench.chat.urls")),
    path("", include("workbench.catalog.urls")),
    path("", include("workbench.library.urls")),
    path("", include("workbench.sharing.urls")),
]
