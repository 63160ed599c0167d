from django.apps import AppConfig


class LocalModelConfig(AppConfig):
    """The embedded llama.cpp server and the small model it serves out of the box."""

    name = "workbench.localmodel"
