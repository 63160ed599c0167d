from django.apps import AppConfig


class SnippetsConfig(AppConfig):
    """Code that reproduces a request body exactly: cURL, Python, OpenAI SDK, JavaScript."""

    name = "workbench.snippets"
