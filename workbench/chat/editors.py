"""Controls of the panel beyond Django's own: a checkbox that says it was shown,
and the editors for ``response_format`` and ``tool_choice`` (one parameter,
several controls).

A form field holds one value, but a response format is chosen in parts (a
kind; for json_schema a name, description, strict, and the schema as JSON
text). A MultiValueField keeps it one parameter: its parts are posted as
``param-response_format_<part>``, put together here, then checked by the
same ``check_value`` as a pasted body's, so the panel and Import agree on
what is valid and a schema the metaschema refuses never reaches Run.
"""

from typing import Any

from django import forms

from workbench.catalog.schema import ParameterError, check_value
from workbench.catalog.structured import EXAMPLES
from workbench.catalog.tools import CHOICES
from workbench.snippets.generate import json_text
from workbench.text import TextError, parse_json


class ShownCheckbox(forms.CheckboxInput):
    """A checkbox that says when it was on the page: an unticked box sends
    nothing, so a hidden marker tells "unticked" from "not in this form"."""

    template_name = "chat/widgets/shown_checkbox.html"

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and name + "-shown" not in data


KINDS = [
    ("", "None: plain text"),
    ("json_object", "json_object: any JSON object"),
    ("json_schema", "json_schema: JSON that fits a schema"),
]


class ResponseFormatWidget(forms.MultiWidget):
    template_name = "chat/widgets/response_format.html"

    def __init__(self) -> None:
        rows = {"rows": 8, "spellcheck": "false", "class": "code"}
        super().__init__(
            {
                "type": forms.Select(choices=KINDS),
                "name": forms.TextInput(attrs={"maxlength": 64, "autocomplete": "off"}),
                "description": forms.TextInput(attrs={"autocomplete": "off"}),
                "strict": ShownCheckbox(),
                "schema": forms.Textarea(attrs=rows),
            }
        )

    def decompress(self, value: Any) -> list[Any]:
        if not isinstance(value, dict):
            return ["", "", "", True, ""]  # strict unless unticked, as OpenAI advises
        spec = value.get("json_schema") or {}
        schema = spec.get("schema")
        return [
            value.get("type", ""),
            spec.get("name", ""),
            spec.get("description", ""),
            spec.get("strict", False),
            "" if schema is None else json_text(schema),
        ]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["examples"] = [(label, slug, json_text(s)) for label, slug, s in EXAMPLES]
        return context


class ResponseFormatField(forms.MultiValueField):
    """``response_format`` from the editor: None (not sent), json_object or json_schema."""

    def __init__(self, prop: dict[str, Any], **kwargs: Any):
        self.prop = prop
        text = {"required": False, "strip": False}
        fields = (
            forms.CharField(required=False),
            forms.CharField(required=False),
            forms.CharField(**text),
            forms.BooleanField(required=False),
            forms.CharField(**text),
        )
        super().__init__(
            fields,
            require_all_fields=False,
            required=False,
            label=prop.get("title"),
            widget=ResponseFormatWidget(),
            template_name="chat/_response_format.html",
            **kwargs,
        )

    def compress(self, data_list: list[Any]) -> dict[str, Any] | None:
        kind, name, description, strict, schema = data_list or ["", "", "", False, ""]
        if not kind:
            return None
        value: dict[str, Any] = {"type": kind}
        if kind == "json_schema":
            spec = {"name": name, "description": description, "strict": strict}
            spec = {k: v for k, v in spec.items() if v != ""}  # no description: none sent
            spec["schema"] = self.schema(schema)
            value["json_schema"] = spec
        try:
            return check_value(self.prop, value)
        except ParameterError as exc:
            raise forms.ValidationError(f"{self.label} {exc}.") from None

    def schema(self, text: str) -> Any:
        if not text.strip():
            raise forms.ValidationError("Write the schema (JSON), or start from an example.")
        try:
            return parse_json(text)
        except TextError as exc:
            raise forms.ValidationError(f"The schema {exc}.") from None


TOOL_CHOICES = [
    ("", "Default (auto when there are tools)"),
    *((c, c) for c in CHOICES),
    ("function", "function: this one"),
]


class ToolChoiceWidget(forms.MultiWidget):
    template_name = "chat/widgets/tool_choice.html"

    def __init__(self) -> None:
        name = forms.TextInput(attrs={"maxlength": 64, "autocomplete": "off"})
        super().__init__({"kind": forms.Select(choices=TOOL_CHOICES), "name": name})

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, dict):
            return ["function", (value.get("function") or {}).get("name", "")]
        return [value or "", ""]


class ToolChoiceField(forms.MultiValueField):
    """``tool_choice`` from its editor: None (not sent), none, auto, required, or
    ``{"type": "function", "function": {"name": ...}}`` for the function named."""

    def __init__(self, prop: dict[str, Any], **kwargs: Any):
        self.prop = prop
        super().__init__(
            (forms.CharField(required=False), forms.CharField(required=False)),
            require_all_fields=False,
            required=False,
            label=prop.get("title"),
            widget=ToolChoiceWidget(),
            template_name="chat/_tool_choice.html",
            **kwargs,
        )

    def compress(self, data_list: list[Any]) -> Any:
        kind, name = data_list or ["", ""]
        if not kind:
            return None
        value: Any = kind
        if kind == "function":
            if not name.strip():
                raise forms.ValidationError("Name the function the model must call.")
            value = {"type": "function", "function": {"name": name.strip()}}
        try:
            return check_value(self.prop, value)
        except ParameterError as exc:
            raise forms.ValidationError(f"{self.label} {exc}.") from None
