import datetime as dt

from django import forms
from django.utils import timezone

from workbench.sharing.models import Audience, public_links

PUBLIC_OFF = (
    "Links for anyone are turned off on this server (WORKBENCH_PUBLIC_LINKS=0): "
    "choose logged-in users."
)


class LinkOptionsForm(forms.Form):
    """A link's audience and expiry (from the session bar or My links)."""

    audience = forms.ChoiceField(label="Who can open it", choices=Audience.choices)
    expires_on = forms.DateField(
        label="Expires after",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The last day the link works (UTC). Empty: it never expires.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not public_links():  # not offered; posted anyway, it is refused
            self.fields["audience"].widget.choices = [(Audience.USERS, Audience.USERS.label)]
        today = timezone.localdate().isoformat()
        self.fields["expires_on"].widget.attrs["min"] = today

    def clean_audience(self) -> str:
        audience = self.cleaned_data["audience"]
        if audience == Audience.ANYONE and not public_links():
            raise forms.ValidationError(PUBLIC_OFF)
        return audience

    def clean_expires_on(self) -> dt.date | None:
        day = self.cleaned_data["expires_on"]
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError(
                "That day is past: choose today or later, or leave it empty for never."
            )
        return day


class OpenForm(forms.Form):
    """Open in Workbench: which revision to copy (the latest if not given)."""

    revision = forms.IntegerField(min_value=1, required=False)
