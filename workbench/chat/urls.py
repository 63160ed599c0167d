from django.urls import path

from workbench.chat import views

urlpatterns = [
    path("", views.workbench, name="workbench-home"),
    path("workbench", views.workbench, name="workbench"),
    path("workbench/draft", views.draft_update, name="draft-update"),
    path("workbench/messages/add", views.message_add, name="message-add"),
    path("workbench/messages/restore", views.message_restore, name="message-restore"),
    path("workbench/messages/<slug:message_id>", views.message, name="message"),
    path(
        "workbench/messages/<slug:message_id>/delete",
        views.message_delete,
        name="message-delete",
    ),
    path(
        "workbench/messages/<slug:message_id>/result/<int:call>",
        views.tool_result,
        name="tool-result",
    ),
    path("workbench/clear", views.clear, name="clear"),
    path("workbench/set-aside", views.set_aside, name="set-aside"),
    path("workbench/import", views.import_request, name="import"),
    path("workbench/columns/add", views.column_add, name="column-add"),
    path("workbench/columns/diff", views.column_diff, name="column-diff"),
    path("workbench/columns/standings", views.column_standings, name="column-standings"),
    path("workbench/columns/<int:number>/close", views.column_close, name="column-close"),
    path("workbench/columns/<int:number>/keep", views.column_keep, name="column-keep"),
    path("workbench/api", views.api_panel, name="api-panel"),
    path("workbench/meter", views.meter, name="meter"),
]
