"""The workbench's forms: the panel (one field per schema property) and a message.

The same form serves the autosave POST and the websocket's Run frame, so a
value typed into the panel means the same thing on either path. A value the
schema refuses is left out (the draft keeps its previous one) and its reason
is shown beside the field, with the typed text still in it.
"""

from typing import Any

from django import forms
from django.utils.datastructures import MultiValueDict

from workbench.catalog.entries import Model
from workbench.catalog.registry import get_catalog
from workbench.catalog.request import ROLES, SYSTEM_ROLES
from workbench.catalog.schema import ParameterError, json_valued, parse_form_value
from workbench.catalog.tools import EXAMPLES as TOOL_EXAMPLES
from workbench.chat.conversation import Column
from workbench.chat.editors import ResponseFormatField, ShownCheckbox, ToolChoiceField
from workbench.chat.models import MAX_COLUMNS, Panel
from workbench.limits import MAX_TEXT
from workbench.snippets.generate import json_text

PARAM_PREFIX = "param-"
TOO_LONG = (
    "{what} is too long to keep: %(show_value)s characters, the limit is %(limit_value)s. "
    "Nothing of it was saved."
)
SLIDER_SPAN = 1000  # a slider over a wider range (a seed) would be useless


def as_multivalue(values: dict[str, Any]) -> MultiValueDict:
    """Form data from a websocket frame: htmx's ws-send sends a field once as a
    string and a repeated one as a list. A number or true/false is taken as its
    text; anything else (an object, a nested list, null) is refused (ValueError)."""
    out = MultiValueDict()
    for key, value in values.items():
        items = value if isinstance(value, list) else [value]
        texts = []
        for item in items:
            if isinstance(item, bool):
                texts.append("true" if item else "false")
            elif isinstance(item, str | int | float):
                texts.append(str(item))
            else:
                raise ValueError(
                    f"The field {key[:40]!r} must hold text, not {type(item).__name__}."
                )
        out.setlist(key, texts)
    return out


def long_text(what: str, rows: int | None = None) -> forms.CharField:
    """A prompt or message: kept exactly as typed, up to MAX_TEXT characters."""
    return forms.CharField(
        required=False,
        max_length=MAX_TEXT,
        strip=False,
        widget=forms.Textarea(attrs={"rows": rows} if rows else None),
        error_messages={
            "max_length": TOO_LONG.format(what=what),
            "null_characters_not_allowed": f"{what} holds a null character (U+0000), "
            "which cannot be kept; remove it.",
        },
    )


def step(prop: dict[str, Any]) -> int | float:
    """One step of a number: the arrow keys' and the slider's (not 1, which took
    Temperature from 0.8 to 1 to 2)."""
    return 1 if prop["type"] == "integer" else prop.get("x-step", 0.01)


class SchemaField(forms.Field):
    """One property of a model's request schema, checked by the schema itself."""

    def __init__(self, prop: dict[str, Any], **kwargs: Any):
        self.prop = prop
        kind = prop.get("type")
        if kind == "boolean":
            widget: forms.Widget = ShownCheckbox()
        elif prop.get("enum"):
            default = prop.get("default")
            blank = f"Default ({default})" if default is not None else "Default"
            widget = forms.Select(choices=[("", blank), *((str(c), c) for c in prop["enum"])])
        elif kind in ("number", "integer"):
            attrs = {"step": step(prop)}
            attrs.update({k[:3]: prop[k] for k in ("minimum", "maximum") if k in prop})
            widget = forms.NumberInput(attrs=attrs)
        elif json_valued(prop):
            widget = forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "class": "code"})
        elif kind == "array":
            widget = forms.Textarea(attrs={"rows": 2, "placeholder": "One per line"})
        else:
            widget = forms.TextInput()
        super().__init__(
            required=False,
            label=prop.get("title"),
            widget=widget,
            template_name="chat/_parameter.html",
            initial=prop.get("default") if kind == "boolean" else None,
            **kwargs,
        )

    def to_python(self, value: Any) -> Any:
        if self.prop.get("type") == "boolean":
            return value in (True, "on", "true", "1")
        try:
            return parse_form_value(self.prop, "" if value is None else str(value))
        except ParameterError as exc:
            raise forms.ValidationError(f"{self.label} {exc}.") from None

    def prepare_value(self, value: Any) -> Any:
        if json_valued(self.prop) and isinstance(value, dict | list):
            return json_text(value)
        if self.prop.get("type") == "array" and isinstance(value, list):
            return "\n".join(value)
        return value

    @property
    def resettable(self) -> bool:
        """A number has Reset beside it: back to not set, so the provider's default applies.
        (A list of choices has its "Default" choice; a text is emptied as it is typed.)"""
        return self.prop.get("type") in ("number", "integer") and not self.prop.get("enum")

    @property
    def default_hint(self) -> str:
        """What a field left empty means, said as help text rather than shown as a
        placeholder value that looks like one typed."""
        prop = self.prop
        if "default" not in prop or prop.get("type") == "boolean" or prop.get("enum"):
            return ""  # a checkbox is on or off; a list of choices has its "Default" choice
        return f"Default: {prop['default']}."

    @property
    def slider(self) -> dict[str, Any] | None:
        prop = self.prop
        if prop.get("type") not in ("number", "integer") or prop.get("enum"):
            return None
        if "minimum" not in prop or "maximum" not in prop:
            return None
        if prop["maximum"] - prop["minimum"] > SLIDER_SPAN:
            return None
        rest = prop.get("default", prop["minimum"])  # where it stands when nothing is set
        return {"min": prop["minimum"], "max": prop["maximum"], "step": step(prop), "rest": rest}


class ToolsField(SchemaField):
    """``tools`` as the JSON list sent, with a small form beside it that adds a
    function to the list (name, description, parameters: static/js/workbench.js)."""

    def __init__(self, prop: dict[str, Any]):
        super().__init__(prop)
        self.template_name = "chat/_tools.html"
        self.widget.attrs["rows"] = 8

    def get_bound_field(self, form: forms.Form, field_name: str) -> forms.BoundField:
        bound = super().get_bound_field(form, field_name)
        bound.examples = [(label, json_text(tool)) for label, tool in TOOL_EXAMPLES]  # type: ignore[attr-defined]
        return bound


EDITORS: dict[str, Any] = {
    "response_format": ResponseFormatField,
    "tools": ToolsField,
    "tool_choice": ToolChoiceField,
}


def field_for(prop: dict[str, Any]) -> forms.Field:
    """The panel's field for a schema property: its own editor where it names one."""
    return EDITORS.get(prop.get("x-editor", ""), SchemaField)(prop)


class PanelForm(forms.Form):
    """Model, system prompt, Message box and the model's parameters.

    The parameter fields follow the model chosen in the posted data (or,
    unbound, the column's own), so switching models shows the new model's.
    """

    model = forms.CharField(max_length=200)
    system_prompt = long_text("The system prompt")
    system_role = forms.ChoiceField(
        choices=[(r, r) for r in SYSTEM_ROLES], required=False, label="Sent as"
    )
    message = long_text("The message")
    revision = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    # The column the panel edits; in a comparison each column posts its own
    # Model box as ``model-<index>``, the panel's column's is its ``model``.
    column = forms.IntegerField(
        required=False, min_value=0, max_value=MAX_COLUMNS - 1, widget=forms.HiddenInput
    )

    def __init__(
        self, data: MultiValueDict | None = None, *, column: Column | None = None, **kwargs: Any
    ):
        """``column``: what the fields show when unbound (and the model when none is posted)."""
        initial = {}
        if column is not None:
            initial = {
                "model": column.model_id,
                "system_prompt": column.system_prompt,
                "system_role": column.system_role,
                **{PARAM_PREFIX + k: v for k, v in column.parameters.items()},
            }
        if data is not None and "model" not in data:
            own = f"model-{data.get('column') or 0}"
            if own in data:
                data = data.copy()
                data["model"] = data[own]
        super().__init__(data, initial=initial, auto_id="%s", label_suffix="", **kwargs)
        chosen = get_catalog().get((data or {}).get("model", "")) if data is not None else None
        self.chosen: Model = chosen or (column.model if column else get_catalog().default_model())
        for name, prop in self.chosen.parameters():
            key = PARAM_PREFIX + name
            self.fields[key] = field_for(prop)
            self.fields[key].widget.attrs["aria-describedby"] = f"help-{key} error-{key}"

    def clean_model(self) -> str:
        model_id = self.cleaned_data["model"]
        if get_catalog().get(model_id) is None:
            raise forms.ValidationError(f"Unknown model '{model_id}'.")
        return model_id

    def parameter_fields(self) -> tuple[list[forms.BoundField], list[forms.BoundField]]:
        """(basic, more): the parameters shown at once and those under "More"."""
        basic = {PARAM_PREFIX + n for n in self.chosen.basic_parameters()}
        bound = [self[name] for name in self.fields if name.startswith(PARAM_PREFIX)]
        return [f for f in bound if f.name in basic], [f for f in bound if f.name not in basic]

    def panel(self) -> Panel | None:
        """The validated values, or None when the model is refused (nothing fits then).

        Any other refused field is left out, as if not posted, and keeps its
        stored value: a too-long system prompt does not stop the Message box
        from being saved.
        """
        self.is_valid()
        if "model" in self.errors or "revision" in self.errors:
            return None
        data = self.cleaned_data
        parameters = {}
        for name, field in self.fields.items():
            if not name.startswith(PARAM_PREFIX) or name in self.errors:
                continue
            if field.widget.value_omitted_from_data(self.data, self.files, self.add_prefix(name)):
                continue  # not in this form: the draft keeps its value
            parameters[name.removeprefix(PARAM_PREFIX)] = data[name]
        return Panel(
            model_id=data["model"],
            system_prompt=data.get("system_prompt"),
            system_role=data.get("system_role") or None,
            parameters=parameters,
            message=data["message"] if "message" in self.data and "message" in data else None,
            revision=data["revision"],
            errors=self.refusal(),
            column=data.get("column") or 0,
            models=self.column_models(),
            opened=self.opened(),
        )

    def column_models(self) -> dict[int, str]:
        """Each column's own Model box, where posted and a model of the catalog."""
        models = {}
        for index in range(MAX_COLUMNS):
            model_id = self.data.get(f"model-{index}")
            if isinstance(model_id, str) and get_catalog().get(model_id) is not None:
                models[index] = model_id
        return models

    def opened(self) -> list[str] | None:
        """A compare link's models (``?model=a&model=b``), if this page came from one."""
        getlist = getattr(self.data, "getlist", None)
        opened = [str(m) for m in getlist("opened")] if getlist else []
        if len(opened) < 2 or any(get_catalog().get(m) is None for m in opened):
            return None
        return opened[:MAX_COLUMNS]

    def refusal(self) -> dict[str, str]:
        """Why each refused field was refused, parameters by their own name."""
        return {k.removeprefix(PARAM_PREFIX): " ".join(v) for k, v in self.errors.items()}


class MessageForm(forms.Form):
    role = forms.ChoiceField(choices=[(r, r) for r in ROLES])
    content = long_text("The text", rows=4)


class ToolResultForm(forms.Form):
    """What a tool returned, as the person writes it (often JSON; any text is sent)."""

    content = long_text("The tool result")

    def clean_content(self) -> str:
        if not self.cleaned_data["content"].strip():
            raise forms.ValidationError("Write the tool's result first.")
        return self.cleaned_data["content"]


class DiffForm(forms.Form):
    """Compare's diff: two different columns, by their numbers on the page."""

    first = forms.IntegerField(min_value=1, max_value=MAX_COLUMNS)
    second = forms.IntegerField(min_value=1, max_value=MAX_COLUMNS)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("first") is not None and data.get("first") == data.get("second"):
            raise forms.ValidationError("Pick two different columns.")
        return data
