"""Django's auth forms, with labels that are just the field's name.

Django puts a colon after each label ("Username:"); that colon would be part
of the control's accessible name, and people (and browser tests) look for
`Username` and `Password`.
"""

from typing import Any

from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, UserCreationForm


class PlainLabels:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class LoginForm(PlainLabels, AuthenticationForm):
    pass


class SignupForm(PlainLabels, UserCreationForm):
    pass


class ChangePasswordForm(PlainLabels, PasswordChangeForm):
    pass
