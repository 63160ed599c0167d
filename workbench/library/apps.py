from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "workbench.library"
    label = "library"

    def ready(self) -> None:
        from workbench.library import signals  # noqa: F401  (connects the receivers)
