from django.urls import path

from workbench.sharing import views

urlpatterns = [
    # Viewers: the latest revision, a given one, and Open in Workbench (POST).
    path("s/<slug:link_id>", views.shared, name="shared"),
    path("s/<slug:link_id>/<int:number>", views.shared, name="shared-revision"),
    path("s/<slug:link_id>/open", views.open_in_workbench, name="shared-open"),
    # The owner: My links, Share (POST, from the workbench) and each link's actions.
    path("links", views.my_links, name="my-links"),
    path("links/share", views.share, name="link-share"),
    path("links/<slug:link_id>/update", views.update, name="link-update"),
    path("links/<slug:link_id>/options", views.options, name="link-options"),
    path("links/<slug:link_id>/revoke", views.revoke, name="link-revoke"),
]
