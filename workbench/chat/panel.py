"""The parameter panel's input: declared, checked, then applied to a draft.

The same parsing serves the autosave POST and the websocket's Run frame, so
a value typed into the panel means the same thing on either path.
"""

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.datastructures import MultiValueDict

from workbench.catalog.entries import Model
from workbench.catalog.registry import get_catalog
from workbench.catalog.schema import ParameterError, parse_form_value
from workbench.chat.models import Draft

PARAM_PREFIX = "param-"
MAX_TEXT = 200_000  # characters in one prompt or message


class PanelForm(forms.Form):
    model = forms.CharField(max_length=200)
    system_prompt = forms.CharField(required=False, max_length=MAX_TEXT, strip=False)
    message = forms.CharField(required=False, max_length=MAX_TEXT, strip=False)

    def clean_model(self) -> str:
        model_id = self.cleaned_data["model"]
        if get_catalog().get(model_id) is None:
            raise forms.ValidationError(f"Unknown model '{model_id}'.")
        return model_id


def as_multivalue(values: Mapping[str, Any]) -> MultiValueDict:
    """htmx's ws-send sends a field once as a string and repeated as a list."""
    out = MultiValueDict()
    for key, value in values.items():
        items = value if isinstance(value, list) else [value]
        out.setlist(key, [v if isinstance(v, str) else str(v) for v in items])
    return out


def parse_parameters(model: Model, data: MultiValueDict) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed values for every parameter of ``model`` in the data; errors by name."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, prop in model.parameters():
        key = PARAM_PREFIX + name
        if prop.get("type") == "boolean":
            # A checkbox is sent only when ticked; a marker says the panel held it.
            if key + "-shown" in data:
                values[name] = data.get(key) in ("on", "true", "1")
            continue
        if key not in data:
            continue
        try:
            values[name] = parse_form_value(prop, data.get(key, ""))
        except ParameterError as exc:
            errors[name] = f"{prop.get('title', name)} {exc}."
    return values, errors


def apply_panel(draft: Draft, data: MultiValueDict) -> dict[str, str]:
    """Store what is valid in the draft; return the errors to show beside fields.

    A refused value leaves the draft's previous value in place, and the text
    the person typed stays in the field with the reason beside it.
    """
    form = PanelForm(data)
    if not form.is_valid():
        return {k: " ".join(v) for k, v in form.errors.items()}
    draft.switch_model(form.cleaned_data["model"])
    draft.system_prompt = form.cleaned_data["system_prompt"]
    draft.pending = form.cleaned_data["message"]
    values, errors = parse_parameters(draft.model, data)
    params = dict(draft.parameters)
    for name, value in values.items():
        if name in errors:
            continue
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    draft.parameters = params
    return errors
