from django.apps import AppConfig


class ChatConfig(AppConfig):
    """The workbench page: the draft a person is editing — model, parameters, conversation."""

    name = "workbench.chat"
