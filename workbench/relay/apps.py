from django.apps import AppConfig


class RelayConfig(AppConfig):
    """Relays chat completions from an OpenAI-compatible upstream to the browser, as runs."""

    name = "workbench.relay"
