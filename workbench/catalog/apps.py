from django.apps import AppConfig


class CatalogConfig(AppConfig):
    """Which providers and models exist, and which request parameters each accepts."""

    name = "workbench.catalog"

    def ready(self) -> None:
        # Load now so that a bad data file or operator TOML stops start-up with
        # a message naming the file, entry and field, instead of a 500 later.
        from workbench.catalog.registry import static_catalog

        static_catalog()
