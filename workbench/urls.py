from django.urls import include, path

urlpatterns = [
    path("accounts/", include("workbench.accounts.urls")),
    path("", include("workbench.chat.urls")),
    path("", include("workbench.catalog.urls")),
    path("", include("workbench.library.urls")),
    path("", include("workbench.sharing.urls")),
]
