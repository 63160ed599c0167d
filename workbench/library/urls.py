from django.urls import path

from workbench.library import views

urlpatterns = [
    path("library", views.library, name="library"),
    path("library/save", views.save, name="session-save"),
    path("library/new", views.new, name="session-new"),
    path("library/import", views.import_file, name="session-import"),
    path("library/<uuid:session_id>", views.session_detail, name="session-detail"),
    path("library/<uuid:session_id>/open", views.open_session, name="session-open"),
    path("library/<uuid:session_id>/delete", views.delete, name="session-delete"),
    path("library/<uuid:session_id>/export", views.export, name="session-export"),
    path("library/runs/<slug:run_id>", views.run_code, name="run-code"),
    path("library/runs/<slug:run_id>/restore", views.run_restore, name="run-restore"),
]
