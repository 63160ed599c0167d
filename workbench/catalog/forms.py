"""Declared inputs of the catalog pages and API: checked before anything else runs."""

from django import forms

from workbench.catalog.registry import get_catalog


class ModelFilterForm(forms.Form):
    provider = forms.ChoiceField(required=False, label="Provider")
    capability = forms.ChoiceField(required=False, label="Capability")
    search = forms.CharField(required=False, max_length=200, label="Search")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        catalog = get_catalog()
        self.fields["provider"].choices = [("", "All providers")] + [
            (p.id, p.name) for p in catalog.providers.values()
        ]
        self.fields["capability"].choices = [("", "Any capability")] + [
            (c, c) for c in catalog.capabilities()
        ]

    def results(self) -> list:
        data = self.cleaned_data
        return get_catalog().search(
            provider=data["provider"], capability=data["capability"], text=data["search"]
        )
