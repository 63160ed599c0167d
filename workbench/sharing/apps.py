from django.apps import AppConfig


class SharingConfig(AppConfig):
    """Share links: a stable URL per shared session, pointing at its published revisions."""

    name = "workbench.sharing"
    label = "sharing"
